//! The administrator's pages for groups, categories, the grading scheme, calendars with their
//! holidays, and the service policy, through the router as a browser uses them.

use aftersales_domain::clock::{ClockKind, ClockRule, MAX_RULES, ServicePolicy};
use aftersales_domain::grading::{Counting, Level};
use aftersales_testkit::{Org, db_test};
use axum::http::{Method, StatusCode};

use crate::pages::{XSS, form_encode, get, post, request, sign_in};

/// `key=value&…`, every value encoded.
fn form(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={}", form_encode(v))).collect::<Vec<_>>().join("&")
}

fn pair(k: impl Into<String>, v: impl Into<String>) -> (String, String) {
    (k.into(), v.into())
}

/// The grading form as the page would post it for `levels`.
fn grading_form(csrf: &str, levels: &[Level]) -> String {
    let mut p = vec![pair("csrf", csrf)];
    for (i, v) in levels.iter().enumerate() {
        let f = |c: &str| format!("l{i}.{c}");
        p.extend([
            pair(f("code"), v.code.clone()),
            pair(f("rank"), v.rank.to_string()),
            pair(f("name_zh"), v.name_zh.clone()),
            pair(f("name_en"), v.name_en.clone()),
            pair(f("scope"), v.scope.clone()),
            pair(f("urgency"), v.urgency.clone()),
            pair(f("respond"), format!("{}m", v.respond_minutes)),
            pair(f("resolve"), format!("{}m", v.resolve_minutes)),
            pair(f("counting"), v.counting.code()),
            pair(f("owner"), v.default_owner.clone()),
        ]);
    }
    form(&p)
}

/// The policy form as the page would post it for `p` (lengths as typed by a person).
fn policy_form(csrf: &str, p: &ServicePolicy, cutoff: &str) -> Vec<(String, String)> {
    let mut out = vec![pair("csrf", csrf), pair("progress_cutoff", cutoff)];
    for (i, r) in p.rules.iter().enumerate() {
        let f = |c: &str| format!("r{i}.{c}");
        out.extend([
            pair(f("clock"), r.clock.code()),
            pair(f("level"), r.level.clone().unwrap_or_default()),
            pair(f("customer_level"), r.customer_level.clone().unwrap_or_default()),
            pair(f("length"), format!("{}h{}m", r.minutes / 60, r.minutes % 60)),
            pair(f("counting"), r.counting.code()),
        ]);
        out.extend(r.pause_on.iter().map(|s| pair(f("pause"), s.code())));
    }
    out
}

db_test!(admin_creates_and_edits_groups_and_categories, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let list = get(&db, "/admin/groups", &admin).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.html);
    assert!(list.html.contains("硬件组") && list.html.contains(r#"for="name_zh""#), "{}", list.html);
    let csrf = list.csrf();

    // A new group through the form; it shows in the list after the redirect.
    let created = post(
        &db,
        "/admin/groups",
        &admin,
        &format!("csrf={csrf}&code=field&name_zh={}&name_en=Field+service", form_encode("现场服务组")),
    )
    .await;
    assert_eq!(
        (created.status, created.location()),
        (StatusCode::SEE_OTHER, "/admin/groups?done=created"),
        "{}",
        created.html
    );
    let list = get(&db, created.location(), &admin).await;
    assert!(list.html.contains("现场服务组") && list.html.contains("已创建"), "{}", list.html);
    let field = db.app.groups(&org.admin).await.unwrap().into_iter().find(|g| g.code == "field").unwrap();

    // A repeated code and a missing name are named; what was typed is kept.
    let dup = post(&db, "/admin/groups", &admin, &format!("csrf={csrf}&code=field&name_zh=&name_en=Again")).await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", dup.html);
    assert!(dup.html.contains("中文名称（必填项"), "{}", dup.html);
    assert!(dup.html.contains(r#"value="Again""#), "the form keeps the input");
    let dup = post(&db, "/admin/groups", &admin, &format!("csrf={csrf}&code=field&name_zh=x&name_en=y")).await;
    assert!(dup.html.contains("编码（已存在"), "{}", dup.html);
    assert_eq!(db.app.groups(&org.admin).await.unwrap().len(), 5);

    // Renaming; a name with markup is shown as text.
    let edit = get(&db, &format!("/admin/groups/{}", field.id), &admin).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(edit.html.contains(r#"value="现场服务组""#));
    let path = format!("/admin/groups/{}", field.id);
    // Too long (the limit is 50): named, and the entered text comes back escaped.
    let long = post(&db, &path, &admin, &format!("csrf={csrf}&name_zh={}&name_en=Field", form_encode(XSS))).await;
    assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(long.html.contains("中文名称（过长，最多 50 个字符"), "{}", long.html);
    assert!(long.html.contains("&#60;script&#62;alert(&#34;xss&#34;)&#60;/script&#62;"), "{}", long.html);
    assert!(!long.html.contains("<script>alert") && !long.html.contains("<img src=x"));
    let markup = r#"<script>alert("x")</script>现场组"#;
    let renamed = post(&db, &path, &admin, &format!("csrf={csrf}&name_zh={}&name_en=Field", form_encode(markup))).await;
    assert_eq!((renamed.status, renamed.location()), (StatusCode::SEE_OTHER, "/admin/groups?done=saved"));
    assert_eq!(
        db.app.groups(&org.admin).await.unwrap().into_iter().find(|g| g.id == field.id).unwrap().name_zh,
        markup
    );
    for page in ["/admin/groups".to_owned(), path.clone()] {
        let p = get(&db, &page, &admin).await;
        assert!(p.html.contains("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;现场组"), "{page}: {}", p.html);
        assert!(!p.html.contains("<script>alert"), "{page}");
    }
    let empty =
        post(&db, &format!("/admin/groups/{}", field.id), &admin, &format!("csrf={csrf}&name_zh=&name_en=Field")).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.html.contains("中文名称（必填项"), "{}", empty.html);

    // Unknown or malformed ids: the not-found page.
    assert_eq!(get(&db, "/admin/groups/999999", &admin).await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&db, "/admin/groups/abc", &admin).await.status, StatusCode::NOT_FOUND);
    let p = post(&db, "/admin/groups/999999", &admin, &format!("csrf={csrf}&name_zh=a&name_en=b")).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);

    // A category of the new group.
    let list = get(&db, "/admin/categories", &admin).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.html.contains("卡纸") && list.html.contains(&format!(r#"<option value="{}">"#, field.id)),
        "{}",
        list.html
    );
    let body = form(&[
        pair("csrf", &csrf),
        pair("family", "consumables"),
        pair("code", "fuser"),
        pair("name_zh", "定影器故障"),
        pair("name_en", "Fuser fault"),
        pair("group_id", field.id.to_string()),
        pair("active", "on"),
    ]);
    let created = post(&db, "/admin/categories", &admin, &body).await;
    assert_eq!(
        (created.status, created.location()),
        (StatusCode::SEE_OTHER, "/admin/categories?done=created"),
        "{}",
        created.html
    );
    let list = get(&db, created.location(), &admin).await;
    assert!(list.html.contains("定影器故障") && list.html.contains("Fuser fault"), "{}", list.html);
    let fuser = db.app.categories(&org.admin).await.unwrap().into_iter().find(|c| c.code == "fuser").unwrap();
    assert_eq!((fuser.group_id, fuser.active), (Some(field.id), true));
    // An unknown group is named.
    let bad = post(
        &db,
        "/admin/categories",
        &admin,
        &body.replace("fuser", "fuser2").replace(&format!("group_id={}", field.id), "group_id=999999"),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(bad.html.contains("处理组（不存在"), "{}", bad.html);

    // Editing: another group, no longer offered (the unticked box).
    let edit = get(&db, &format!("/admin/categories/{}", fuser.id), &admin).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(edit.html.contains("定影器故障") && edit.html.contains("checked"));
    let body = form(&[
        pair("csrf", &csrf),
        pair("name_zh", "定影组件故障"),
        pair("name_en", "Fuser unit fault"),
        pair("group_id", org.hardware_group.to_string()),
    ]);
    let saved = post(&db, &format!("/admin/categories/{}", fuser.id), &admin, &body).await;
    assert_eq!(
        (saved.status, saved.location()),
        (StatusCode::SEE_OTHER, "/admin/categories?done=saved"),
        "{}",
        saved.html
    );
    let fuser = db.app.categories(&org.admin).await.unwrap().into_iter().find(|c| c.code == "fuser").unwrap();
    assert_eq!(
        (fuser.name_zh.as_str(), fuser.group_id, fuser.active),
        ("定影组件故障", Some(org.hardware_group), false)
    );
    let list = get(&db, "/admin/categories", &admin).await;
    assert!(list.html.contains("定影组件故障") && list.html.contains("已停用"), "{}", list.html);
    assert_eq!(get(&db, "/admin/categories/999999", &admin).await.status, StatusCode::NOT_FOUND);
});

db_test!(the_grading_scheme_is_edited_as_a_table_and_bad_rows_are_named, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let view = get(&db, "/admin/grading", &admin).await;
    assert_eq!(view.status, StatusCode::OK);
    assert!(
        view.html.contains("核心业务中断") && view.html.contains("2 小时") && view.html.contains("120 小时（5 天）"),
        "{}",
        view.html
    );
    let edit = get(&db, "/admin/grading/edit", &admin).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(
        edit.html.contains(r#"name="l0.respond" value="2h""#) && edit.html.contains(r#"for="l4-code""#),
        "{}",
        edit.html
    );
    let csrf = edit.csrf();
    let before = db.app.grading_scheme(&org.admin).await.unwrap();

    // A value that is not a time, and a row whose resolve time is shorter than its response
    // time: each is named with its row; nothing is stored.
    let mut levels = before.levels.clone();
    levels[1].resolve_minutes = 60;
    let bad = post(&db, "/admin/grading/edit", &admin, &grading_form(&csrf, &levels)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(bad.html.contains("第 2 行（P2）") && bad.html.contains("响应/解决时限"), "{}", bad.html);
    assert!(bad.html.contains(r#"name="l1.resolve" value="60m""#), "the entered values are kept");
    let typo = grading_form(&csrf, &before.levels).replace("l2.respond=480m", "l2.respond=abc");
    let bad = post(&db, "/admin/grading/edit", &admin, &typo).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(bad.html.contains("第 3 行（P3）") && bad.html.contains("响应时限（格式不正确"), "{}", bad.html);
    let mut dup = before.levels.clone();
    dup[3].code = "P1".into();
    let bad = post(&db, "/admin/grading/edit", &admin, &grading_form(&csrf, &dup)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("第 4 行（P1）") && bad.html.contains("级别代码（已存在"), "{}", bad.html);
    assert_eq!(db.app.grading_scheme(&org.admin).await.unwrap(), before, "nothing stored");

    // A good edit: P1 responds within 1.5 h and a fifth level is added.
    let mut levels = before.levels.clone();
    levels[0].respond_minutes = 90;
    let mut p5 = levels[3].clone();
    (p5.code, p5.rank, p5.name_zh, p5.name_en) = ("P5".into(), 5, "归档".into(), "Archive".into());
    levels.push(p5);
    let ok = post(&db, "/admin/grading/edit", &admin, &grading_form(&csrf, &levels)).await;
    assert_eq!(
        (ok.status, ok.location()),
        (StatusCode::SEE_OTHER, "/admin/grading?done=saved&version=2"),
        "{}",
        ok.html
    );
    let stored = db.app.grading_scheme(&org.admin).await.unwrap();
    assert_eq!(stored.levels.len(), 5);
    assert_eq!(stored.level("P1").unwrap().respond_minutes, 90);
    let view = get(&db, ok.location(), &admin).await;
    assert!(
        view.html.contains("1 小时 30 分钟") && view.html.contains("归档") && view.html.contains("v2"),
        "{}",
        view.html
    );
    // The round trip: the form shows what is stored, and posting it back changes nothing.
    let edit = get(&db, "/admin/grading/edit", &admin).await;
    assert!(edit.html.contains(r#"name="l0.respond" value="1h30m""#), "{}", edit.html);
    let same = post(&db, "/admin/grading/edit", &admin, &grading_form(&csrf, &stored.levels)).await;
    assert_eq!((same.status, same.location()), (StatusCode::SEE_OTHER, "/admin/grading?done=saved"));
    // Removing the fifth level with its checkbox.
    let removed = format!("{}&l4.remove=1", grading_form(&csrf, &stored.levels));
    let ok = post(&db, "/admin/grading/edit", &admin, &removed).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.html);
    assert_eq!(db.app.grading_scheme(&org.admin).await.unwrap().levels.len(), 4);
});

db_test!(calendar_hours_and_holidays_move_the_clock, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let list = get(&db, "/admin/calendars", &admin).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.html.contains(r#"href="/admin/calendars/cn""#)
            && list.html.contains("星期一至星期五 08:30–12:00、13:30–17:30"),
        "{}",
        list.html
    );

    // The check: National Day 2025 (Oct 1–8 off), 4 h from Tuesday Sep 30 16:00.
    let check = "/admin/calendars/cn?year=2025&from=2025-09-30T16:00&working=4h";
    let page = get(&db, check, &admin).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("2025-10-09（星期四） 11:00"), "{}", page.html);
    assert!(page.html.contains("国庆节") && page.html.contains("调休上班"), "the year's holidays are listed");
    let csrf = page.csrf();

    // A day off added by hand: shown, and the clock skips it.
    let body =
        form(&[pair("csrf", &csrf), pair("kind", "off"), pair("first", "2025-10-09"), pair("name", "厂区停电检修")]);
    let added = post(&db, "/admin/calendars/cn/holidays", &admin, &body).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.html);
    assert!(added.location().starts_with("/admin/calendars/cn?year=2025&done=holiday"), "{}", added.location());
    let page = get(&db, added.location(), &admin).await;
    assert!(page.html.contains("厂区停电检修") && page.html.contains("节假日安排已保存"), "{}", page.html);
    let page = get(&db, check, &admin).await;
    assert!(page.html.contains("2025-10-10（星期五） 11:00"), "{}", page.html);
    let from: jiff::Timestamp = "2025-09-30T16:00:00+08:00".parse().unwrap();
    let due = db.app.calendar_add(&org.admin, "cn", from, "4h").await.unwrap().due;
    assert_eq!(due.as_deref(), Some("2025-10-10T11:00:00+08:00"));

    // Longer Tuesdays: 2.5 h on Sep 30, the last 1.5 h on Oct 10.
    let mut hours = vec![pair("csrf", &csrf), pair("time_zone", "Asia/Shanghai"), pair("holiday_set", "cn")];
    for d in 0..7 {
        let v = match d {
            1 => "08:30-12:00, 13:30-18:30",
            5 | 6 => "",
            _ => "08:30-12:00, 13:30-17:30",
        };
        hours.push(pair(format!("d{d}"), v));
    }
    let saved = post(&db, "/admin/calendars/cn", &admin, &form(&hours)).await;
    assert_eq!(
        (saved.status, saved.location()),
        (StatusCode::SEE_OTHER, "/admin/calendars/cn?done=saved"),
        "{}",
        saved.html
    );
    let page = get(&db, check, &admin).await;
    assert!(page.html.contains("13:30–18:30") && page.html.contains("2025-10-10（星期五） 10:00"), "{}", page.html);
    // Hours that cannot be read name the day, keep the input and change nothing.
    let mut bad = hours.clone();
    bad[4].1 = "8点到12点".into(); // d1, Tuesday
    let refused = post(&db, "/admin/calendars/cn", &admin, &form(&bad)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.html);
    assert!(refused.html.contains("星期二（格式不正确") && refused.html.contains("8点到12点"), "{}", refused.html);
    let mut bad = hours.clone();
    bad[1].1 = "Mars/Olympus".into();
    let refused = post(&db, "/admin/calendars/cn", &admin, &form(&bad)).await;
    assert!(refused.html.contains("时区（不存在"), "{}", refused.html);
    let spec = db.app.calendar_info(&org.admin, "cn").await.unwrap().spec;
    assert_eq!(spec.week[1].len(), 2);
    assert_eq!(spec.time_zone, "Asia/Shanghai");

    // Removing the day off again.
    let body = form(&[pair("csrf", &csrf), pair("first", "2025-10-09"), pair("last", "2025-10-09")]);
    let removed = post(&db, "/admin/calendars/cn/holidays/remove", &admin, &body).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.html);
    let page = get(&db, check, &admin).await;
    assert!(!page.html.contains("厂区停电检修") && page.html.contains("2025-10-09（星期四） 10:00"), "{}", page.html);

    // A year with no data yet needs its source.
    let body = form(&[pair("csrf", &csrf), pair("kind", "off"), pair("first", "2031-01-01"), pair("name", "元旦")]);
    let refused = post(&db, "/admin/calendars/cn/holidays", &admin, &body).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("数据来源（必填项"), "{}", refused.html);
    let ok =
        post(&db, "/admin/calendars/cn/holidays", &admin, &format!("{body}&source={}", form_encode("测试通知"))).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.html);
    let page = get(&db, "/admin/calendars/cn?year=2031", &admin).await;
    assert!(page.html.contains("测试通知") && page.html.contains("元旦"), "{}", page.html);

    // A pasted year's schedule.
    let csv = "source,2032,测试导入\noff,2032-01-01,元旦\nwork,2032-01-04,调休上班,friday\n";
    let body = form(&[pair("csrf", &csrf), pair("format", "csv"), pair("data", csv)]);
    let ok = post(&db, "/admin/calendars/cn/import", &admin, &body).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.html);
    let page = get(&db, ok.location(), &admin).await;
    assert!(page.html.contains("已导入 2 天") && page.html.contains("按星期五的工作时间"), "{}", page.html);
    let body = form(&[pair("csrf", &csrf), pair("format", "csv"), pair("data", "off,2033-01-01,元旦")]);
    let refused = post(&db, "/admin/calendars/cn/import", &admin, &body).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("第 1 行") && refused.html.contains("source"), "{}", refused.html);

    // A new calendar from the list, and unknown ones.
    let body =
        form(&[pair("csrf", &csrf), pair("name", "plant-24h"), pair("template", "around"), pair("region", "华南")]);
    let created = post(&db, "/admin/calendars", &admin, &body).await;
    assert_eq!(
        (created.status, created.location()),
        (StatusCode::SEE_OTHER, "/admin/calendars/plant-24h?done=created")
    );
    let page = get(&db, created.location(), &admin).await;
    assert!(page.html.contains("00:00–24:00") && page.html.contains("华南"), "{}", page.html);
    let again = post(&db, "/admin/calendars", &admin, &body).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.html.contains("名称（已存在"), "{}", again.html);
    assert_eq!(get(&db, "/admin/calendars/mars", &admin).await.status, StatusCode::NOT_FOUND);
    let p = post(&db, "/admin/calendars/mars", &admin, &form(&hours)).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
});

db_test!(a_policy_edit_stores_a_new_version, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let view = get(&db, "/admin/policy", &admin).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.html);
    assert!(view.html.contains("v1") && view.html.contains("17:00") && view.html.contains("P1 紧急"), "{}", view.html);
    let edit = get(&db, "/admin/policy/edit", &admin).await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.html);
    assert!(edit.html.contains(r#"for="r0-length""#) && edit.html.contains("等待客户"), "{}", edit.html);
    let csrf = edit.csrf();
    let v1 = db.app.service_policy(&org.admin, None).await.unwrap();

    // Refused: a length that is not a time (named with its row), and a level left without
    // its response rule. Nothing is stored.
    let mut body = policy_form(&csrf, &v1, "16:30");
    let at = body.iter().position(|(k, _)| k == "r2.length").unwrap();
    body[at].1 = "soon".into();
    let bad = post(&db, "/admin/policy/edit", &admin, &form(&body)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(bad.html.contains("第 3 行：时长（格式不正确"), "{}", bad.html);
    let body = format!("{}&r0.remove=1", form(&policy_form(&csrf, &v1, "16:30")));
    let bad = post(&db, "/admin/policy/edit", &admin, &body).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(bad.html.contains("每个级别都须有响应和解决时限"), "{}", bad.html);
    let mut body = policy_form(&csrf, &v1, "16:30");
    body.extend([
        pair("r99.clock", "response"),
        pair("r99.level", "P1"),
        pair("r99.length", "1h"),
        pair("r99.counting", "wall_clock"),
    ]);
    let bad = post(&db, "/admin/policy/edit", &admin, &form(&body)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(bad.html.contains("第 14 行：与前面某行的时钟、问题级别和客户级别相同"), "{}", bad.html);
    assert_eq!(db.app.service_policy(&org.admin, None).await.unwrap().version, 1);

    // A new version: progress before 16:30, and strategic customers (A) get P1 answered in 1 h.
    let mut body = policy_form(&csrf, &v1, "16:30");
    body.extend([
        pair("r99.clock", "response"),
        pair("r99.level", "P1"),
        pair("r99.customer_level", "A"),
        pair("r99.length", "1h"),
        pair("r99.counting", "wall_clock"),
    ]);
    let ok = post(&db, "/admin/policy/edit", &admin, &form(&body)).await;
    assert_eq!(
        (ok.status, ok.location()),
        (StatusCode::SEE_OTHER, "/admin/policy?done=saved&version=2"),
        "{}",
        ok.html
    );
    let v2 = db.app.service_policy(&org.admin, None).await.unwrap();
    assert_eq!(
        (v2.version, v2.rules.len(), v2.progress_cutoff.to_string()),
        (2, v1.rules.len() + 1, "16:30:00".into())
    );
    assert_eq!(v2.rule(aftersales_domain::clock::ClockKind::Response, Some("P1"), Some("A")).unwrap().minutes, 60);
    let view = get(&db, ok.location(), &admin).await;
    assert!(view.html.contains("已保存为新版本 v2") && view.html.contains("16:30"), "{}", view.html);
    assert!(view.html.contains("客户级别 A（战略客户）"), "{}", view.html);
    assert!(view.html.contains(r#"href="/admin/policy/versions/1""#), "the old version is listed: {}", view.html);
    // The old version, read-only.
    let old = get(&db, "/admin/policy/versions/1", &admin).await;
    assert_eq!(old.status, StatusCode::OK);
    assert!(
        old.html.contains("历史版本") && old.html.contains("17:00") && !old.html.contains("/admin/policy/edit"),
        "{}",
        old.html
    );
    assert_eq!(get(&db, "/admin/policy/versions/99", &admin).await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&db, "/admin/policy/versions/x", &admin).await.status, StatusCode::NOT_FOUND);

    // In English, with the refusal in English too.
    let switched = post(&db, "/lang", &admin, &format!("csrf={csrf}&lang=en")).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    let view = get(&db, "/admin/policy", &admin).await;
    assert!(
        view.html.contains("Service policy") && view.html.contains("P1 Urgent") && view.html.contains("2 h"),
        "{}",
        view.html
    );
    let mut body = policy_form(&csrf, &v2, "16:30");
    let at = body.iter().position(|(k, _)| k == "r1.length").unwrap();
    body[at].1 = "soon".into();
    let bad = post(&db, "/admin/policy/edit", &admin, &form(&body)).await;
    assert!(bad.html.contains("Row 2: Length is malformed"), "{}", bad.html);
    for path in ["/admin/groups", "/admin/categories", "/admin/grading", "/admin/grading/edit", "/admin/calendars/cn"] {
        let p = get(&db, path, &admin).await;
        assert_eq!(p.status, StatusCode::OK, "{path}");
        assert!(p.html.contains(r#"<html lang="en">"#), "{path}");
    }
});

db_test!(a_desk_agent_gets_403_and_nothing_changes, |db| {
    let org = Org::create(&db.app).await;
    let desk = sign_in(&db, &org.desk).await;
    let csrf = get(&db, "/board", &desk).await.csrf();
    let groups = db.app.groups(&org.admin).await.unwrap();
    let categories = db.app.categories(&org.admin).await.unwrap();
    let scheme = db.app.grading_scheme(&org.admin).await.unwrap();
    let calendar = db.app.calendar_info(&org.admin, "cn").await.unwrap();
    let holidays = db.app.holiday_set(&org.admin, "cn").await.unwrap();
    let policy = db.app.service_policy(&org.admin, None).await.unwrap();
    let gid = groups[0].id;
    let cid = categories[0].id;
    for path in [
        "/admin/groups".to_owned(),
        format!("/admin/groups/{gid}"),
        "/admin/categories".to_owned(),
        format!("/admin/categories/{cid}"),
        "/admin/grading".to_owned(),
        "/admin/grading/edit".to_owned(),
        "/admin/calendars".to_owned(),
        "/admin/calendars/cn".to_owned(),
        "/admin/policy".to_owned(),
        "/admin/policy/edit".to_owned(),
        "/admin/policy/versions/1".to_owned(),
    ] {
        let p = get(&db, &path, &desk).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "GET {path}");
        assert!(!p.html.contains("name=\"name_zh\"") && !p.html.contains("l0.code"), "GET {path} shows no form");
    }
    let posts = [
        ("/admin/groups".to_owned(), "code=x&name_zh=x&name_en=x".to_owned()),
        (format!("/admin/groups/{gid}"), "name_zh=x&name_en=x".to_owned()),
        (
            "/admin/categories".to_owned(),
            format!("family=handling&code=x&name_zh=x&name_en=x&group_id={gid}&active=on"),
        ),
        (format!("/admin/categories/{cid}"), "name_zh=x&name_en=x".to_owned()),
        (
            "/admin/grading/edit".to_owned(),
            grading_form(&csrf, &scheme.levels).replacen(&format!("csrf={csrf}&"), "", 1),
        ),
        ("/admin/calendars".to_owned(), "name=x&template=around".to_owned()),
        ("/admin/calendars/cn".to_owned(), "time_zone=UTC&d0=00%3A00-24%3A00".to_owned()),
        ("/admin/calendars/cn/holidays".to_owned(), "kind=off&first=2025-10-09&name=x".to_owned()),
        ("/admin/calendars/cn/holidays/remove".to_owned(), "first=2025-10-01&last=2025-10-08".to_owned()),
        ("/admin/calendars/cn/import".to_owned(), "format=csv&data=source%2C2040%2Cx".to_owned()),
        (
            "/admin/policy/edit".to_owned(),
            form(&policy_form(&csrf, &policy, "09:00")).replacen(&format!("csrf={csrf}&"), "", 1),
        ),
    ];
    for (path, body) in &posts {
        let p = post(&db, path, &desk, &format!("csrf={csrf}&{body}")).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "POST {path}: {}", p.html);
    }
    assert_eq!(db.app.groups(&org.admin).await.unwrap(), groups);
    assert_eq!(db.app.categories(&org.admin).await.unwrap(), categories);
    assert_eq!(db.app.grading_scheme(&org.admin).await.unwrap(), scheme);
    assert_eq!(db.app.calendar_info(&org.admin, "cn").await.unwrap(), calendar);
    assert_eq!(db.app.holiday_set(&org.admin, "cn").await.unwrap(), holidays);
    assert_eq!(db.app.service_policy(&org.admin, None).await.unwrap(), policy);
    assert_eq!(db.app.calendars(&org.admin).await.unwrap().len(), 1);

    // An administrator's form without the session's token, or from another site: refused.
    let admin = sign_in(&db, &org.admin).await;
    let token = get(&db, "/admin/groups", &admin).await.csrf();
    let p = post(&db, "/admin/groups", &admin, "code=nocsrf&name_zh=x&name_en=x").await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = post(&db, "/admin/groups", &admin, "csrf=forged&code=nocsrf&name_zh=x&name_en=x").await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let cross = request(
        &db,
        Method::POST,
        "/admin/groups",
        Some(&admin),
        Some(&format!("csrf={token}&code=nocsrf&name_zh=x&name_en=x")),
        &[("origin", "http://evil.example")],
    )
    .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    let p = post(&db, "/admin/grading/edit", &admin, &grading_form("forged", &scheme.levels)).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let p = post(&db, "/admin/calendars/cn/holidays", &admin, "kind=off&first=2025-10-09&name=x").await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(db.app.groups(&org.admin).await.unwrap(), groups);
    assert_eq!(db.app.holiday_set(&org.admin, "cn").await.unwrap(), holidays);
});

/// The value of the hidden `based_on` field of the form on `html`.
fn based_on(html: &str) -> String {
    let at = html.find(r#"name="based_on" value=""#).expect("a form based on a version");
    let rest = &html[at + r#"name="based_on" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

db_test!(a_policy_longer_than_the_limit_is_refused_not_cut_short, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let csrf = get(&db, "/admin/policy/edit", &admin).await.csrf();
    let v1 = db.app.service_policy(&org.admin, None).await.unwrap();
    let scheme = db.app.grading_scheme(&org.admin).await.unwrap();
    let customers: Vec<String> =
        db.app.customer_levels(&org.admin).await.unwrap().into_iter().map(|c| c.code).collect();
    // Every distinct clock × level × customer level first (each of the first 100 rows is a
    // good rule), then repeats up to one row past the limit.
    let levels = std::iter::once(None).chain(scheme.levels.iter().map(|v| Some(v.code.clone())));
    let mut rules: Vec<ClockRule> = Vec::new();
    for level in levels {
        for customer in std::iter::once(None).chain(customers.iter().cloned().map(Some)) {
            for clock in ClockKind::ALL.iter().copied().filter(|c| c.has_length()) {
                rules.push(ClockRule {
                    clock,
                    level: level.clone(),
                    customer_level: customer.clone(),
                    minutes: 240,
                    counting: Counting::WallClock,
                    pause_on: Vec::new(),
                });
            }
        }
    }
    assert!(rules.len() > 100, "enough distinct rules: {}", rules.len());
    while rules.len() <= MAX_RULES {
        rules.push(rules[rules.len() % 7].clone());
    }
    let long = ServicePolicy { rules, ..v1.clone() };
    let bad = post(&db, "/admin/policy/edit", &admin, &form(&policy_form(&csrf, &long, "17:00"))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(bad.html.contains(&format!("规则（格式不正确，应为最多 {MAX_RULES} 行")), "{}", bad.html);
    assert!(bad.html.contains(&format!(r#"name="r{MAX_RULES}.length""#)), "every row is shown again");
    assert_eq!(db.app.service_policy(&org.admin, None).await.unwrap(), v1, "nothing stored");
});

db_test!(a_stale_policy_form_gets_409_with_the_current_version_and_keeps_the_rows, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let edit = get(&db, "/admin/policy/edit", &admin).await;
    let csrf = edit.csrf();
    assert_eq!(based_on(&edit.html), "1", "{}", edit.html);
    let v1 = db.app.service_policy(&org.admin, None).await.unwrap();
    // Meanwhile another administrator stores version 2.
    let mut other = v1.clone();
    other.progress_cutoff = jiff::civil::time(15, 0, 0, 0);
    assert_eq!(db.app.put_service_policy(&org.admin, &other).await.unwrap().version, 2);

    let mut body = policy_form(&csrf, &v1, "16:45");
    let at = body.iter().position(|(k, _)| k == "r0.length").unwrap();
    body[at].1 = "7h".into();
    body.push(pair("based_on", "1"));
    let stale = post(&db, "/admin/policy/edit", &admin, &form(&body)).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.html);
    assert!(stale.html.contains("已被他人修改（当前为第 2 版），请查看后重试"), "{}", stale.html);
    assert!(
        stale.html.contains(r#"name="r0.length" value="7h""#) && stale.html.contains(r#"value="16:45""#),
        "the entered rows are kept: {}",
        stale.html
    );
    let current = db.app.service_policy(&org.admin, None).await.unwrap();
    assert_eq!((current.version, current.progress_cutoff), (2, other.progress_cutoff), "version 2 stands");
    // The form shown again is based on version 2: saving it now is a deliberate choice.
    assert_eq!(based_on(&stale.html), "2");
    let body: Vec<_> = body.into_iter().map(|(k, v)| if k == "based_on" { (k, "2".into()) } else { (k, v) }).collect();
    let ok = post(&db, "/admin/policy/edit", &admin, &form(&body)).await;
    assert_eq!(
        (ok.status, ok.location()),
        (StatusCode::SEE_OTHER, "/admin/policy?done=saved&version=3"),
        "{}",
        ok.html
    );
    // A refused form keeps the version it was based on.
    let mut body = policy_form(&csrf, &v1, "16:45");
    let at = body.iter().position(|(k, _)| k == "r0.length").unwrap();
    body[at].1 = "soon".into();
    body.push(pair("based_on", "2"));
    let bad = post(&db, "/admin/policy/edit", &admin, &form(&body)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert_eq!(based_on(&bad.html), "2");
});

db_test!(a_stale_grading_form_gets_409_and_keeps_the_rows, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let edit = get(&db, "/admin/grading/edit", &admin).await;
    let csrf = edit.csrf();
    let shown = based_on(&edit.html);
    let before = db.app.grading_scheme(&org.admin).await.unwrap();
    assert_eq!(shown, before.revision().to_string());
    // Meanwhile another administrator renames P4.
    let mut other = before.clone();
    other.levels[3].name_zh = "低".into();
    db.app.replace_grading_scheme(&org.admin, &other).await.unwrap();

    let mut mine = before.levels.clone();
    mine[0].default_owner = "值班经理".into();
    let body = format!("{}&based_on={shown}", grading_form(&csrf, &mine));
    let stale = post(&db, "/admin/grading/edit", &admin, &body).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.html);
    assert!(stale.html.contains("分级标准已被他人修改"), "{}", stale.html);
    assert!(stale.html.contains(r#"value="值班经理""#), "the entered rows are kept: {}", stale.html);
    assert_eq!(db.app.grading_scheme(&org.admin).await.unwrap(), other, "the other edit stands");
    assert_eq!(based_on(&stale.html), other.revision().to_string(), "now based on the current scheme");
    let again = format!("{}&based_on={}", grading_form(&csrf, &mine), other.revision());
    let ok = post(&db, "/admin/grading/edit", &admin, &again).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.html);
    assert_eq!(db.app.grading_scheme(&org.admin).await.unwrap().levels[0].default_owner, "值班经理");
});

db_test!(a_grading_edit_shows_the_policy_version_it_stored, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let edit = get(&db, "/admin/grading/edit", &admin).await;
    let csrf = edit.csrf();
    // A policy edit after the form was shown does not make the grading form stale, and the
    // version the grading edit stores is the one shown.
    let v1 = db.app.service_policy(&org.admin, None).await.unwrap();
    db.app.put_service_policy(&org.admin, &v1).await.unwrap();
    let mut levels = db.app.grading_scheme(&org.admin).await.unwrap().levels;
    levels[1].respond_minutes = 150;
    let body = format!("{}&based_on={}", grading_form(&csrf, &levels), based_on(&edit.html));
    let ok = post(&db, "/admin/grading/edit", &admin, &body).await;
    assert_eq!(
        (ok.status, ok.location()),
        (StatusCode::SEE_OTHER, "/admin/grading?done=saved&version=3"),
        "{}",
        ok.html
    );
    let p = db.app.service_policy(&org.admin, None).await.unwrap();
    assert_eq!(p.version, 3);
    assert_eq!(p.rule(ClockKind::Response, Some("P2"), None).unwrap().minutes, 150);
});

db_test!(unknown_choices_and_malformed_times_are_named_not_replaced_by_defaults, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let csrf = get(&db, "/admin/policy/edit", &admin).await.csrf();
    let v1 = db.app.service_policy(&org.admin, None).await.unwrap();

    // A policy row with an unknown clock or counting is named, not read as response/wall clock.
    for (column, value, named) in [
        ("r1.clock", "lunch", "第 2 行：时钟（不存在"),
        ("r1.counting", "lunar", "第 2 行：计时方式（不存在"),
        ("r1.length", "1.5h", "第 2 行：时长（格式不正确"),
        ("r1.length", "1e3", "第 2 行：时长（格式不正确"),
        ("r1.length", "0m", "第 2 行：时长（格式不正确"),
        ("r1.length", "90", "第 2 行：时长（格式不正确"),
        ("r1.length", "3d", "第 2 行：时长（格式不正确"),
    ] {
        let mut body = policy_form(&csrf, &v1, "17:00");
        let at = body.iter().position(|(k, _)| k == column).unwrap();
        body[at].1 = value.into();
        let bad = post(&db, "/admin/policy/edit", &admin, &form(&body)).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{column}={value}: {}", bad.html);
        assert!(bad.html.contains(named), "{column}={value}: {}", bad.html);
    }
    // A cutoff that is not HH:MM.
    let bad = post(&db, "/admin/policy/edit", &admin, &form(&policy_form(&csrf, &v1, "8:+5"))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("每日进展通报截止时间（格式不正确"), "{}", bad.html);
    assert_eq!(db.app.service_policy(&org.admin, None).await.unwrap(), v1, "nothing stored");
    // Chinese units are read by the one span reader.
    let mut body = policy_form(&csrf, &v1, "17:00");
    let at = body.iter().position(|(k, _)| k == "r0.length").unwrap();
    body[at].1 = "1小时30分钟".into();
    let ok = post(&db, "/admin/policy/edit", &admin, &form(&body)).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.html);
    let v2 = db.app.service_policy(&org.admin, None).await.unwrap();
    assert_eq!(v2.rules[0].minutes, 90);
    // The grading scheme shows the policy's lengths: the policy is the one source of deadlines.
    let scheme = db.app.grading_scheme(&org.admin).await.unwrap();
    assert_eq!((v2.rules[0].level.as_deref(), scheme.levels[0].respond_minutes), (Some("P1"), 90));

    // A grading row with an unknown counting.
    let bad = grading_form(&csrf, &scheme.levels).replace("l2.counting=wall_clock", "l2.counting=lunar");
    let bad = post(&db, "/admin/grading/edit", &admin, &bad).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(bad.html.contains("第 3 行（P3）：计时方式（不存在"), "{}", bad.html);
    assert_eq!(db.app.grading_scheme(&org.admin).await.unwrap(), scheme);

    // A make-up working day with an unknown weekday, and one with an unknown kind.
    let day = |kind: &str, hours_of: &str| {
        form(&[
            pair("csrf", &csrf),
            pair("kind", kind),
            pair("first", "2025-10-11"),
            pair("name", "调休上班"),
            pair("hours_of", hours_of),
        ])
    };
    let holidays = db.app.holiday_set(&org.admin, "cn").await.unwrap();
    let bad = post(&db, "/admin/calendars/cn/holidays", &admin, &day("work", "someday")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(bad.html.contains("按哪天的工作时间（不存在"), "{}", bad.html);
    let bad = post(&db, "/admin/calendars/cn/holidays", &admin, &day("holiday", "monday")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(bad.html.contains("类型（不存在"), "{}", bad.html);
    assert_eq!(db.app.holiday_set(&org.admin, "cn").await.unwrap(), holidays, "nothing stored");
    let ok = post(&db, "/admin/calendars/cn/holidays", &admin, &day("work", "friday")).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.html);
    let set = db.app.holiday_set(&org.admin, "cn").await.unwrap();
    assert_eq!(
        set.days.get(&jiff::civil::date(2025, 10, 11)),
        Some(&aftersales_domain::calendar::DayRule::Work {
            name: "调休上班".into(),
            hours_of: jiff::civil::Weekday::Friday
        })
    );

    // Working hours with a sign in a time are malformed, not read as 08:05.
    let mut hours = vec![pair("csrf", &csrf), pair("time_zone", "Asia/Shanghai"), pair("holiday_set", "cn")];
    for d in 0..7 {
        hours.push(pair(format!("d{d}"), if d < 5 { "8:+5-12:00" } else { "" }));
    }
    let calendar = db.app.calendar_info(&org.admin, "cn").await.unwrap();
    let bad = post(&db, "/admin/calendars/cn", &admin, &form(&hours)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(bad.html.contains("星期一（格式不正确") && bad.html.contains("8:+5-12:00"), "{}", bad.html);
    assert_eq!(db.app.calendar_info(&org.admin, "cn").await.unwrap(), calendar);
});

db_test!(a_new_calendar_never_replaces_one_and_an_unknown_template_is_named, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let csrf = get(&db, "/admin/calendars", &admin).await.csrf();
    let body = |name: &str, template: &str| {
        form(&[pair("csrf", &csrf), pair("name", name), pair("template", template), pair("region", "华东")])
    };
    // Copying a calendar that is not there: named on the form, which keeps what was typed.
    let bad = post(&db, "/admin/calendars", &admin, &body("east", "copy:nope")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(bad.html.contains("模板（不存在") && bad.html.contains(r#"value="east""#), "{}", bad.html);
    let bad = post(&db, "/admin/calendars", &admin, &body("east", "weekly")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(bad.html.contains("模板（不存在"), "{}", bad.html);
    assert_eq!(db.app.calendars(&org.admin).await.unwrap().len(), 1);
    // An existing name is refused by the app, and the stored calendar is unchanged.
    let cn = db.app.calendar_info(&org.admin, "cn").await.unwrap();
    let again = post(&db, "/admin/calendars", &admin, &body("cn", "around")).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", again.html);
    assert!(again.html.contains("名称（已存在"), "{}", again.html);
    assert_eq!(db.app.calendar_info(&org.admin, "cn").await.unwrap(), cn);
    let ok = post(&db, "/admin/calendars", &admin, &body("east", "copy:cn")).await;
    assert_eq!((ok.status, ok.location()), (StatusCode::SEE_OTHER, "/admin/calendars/east?done=created"));
    let east = db.app.calendar_info(&org.admin, "east").await.unwrap();
    assert_eq!((east.spec.week, east.spec.region.as_deref()), (cn.spec.week, Some("华东")));
});
