//! The administrator's pages for people and the customer directory, through the router:
//! accounts (create, edit, deactivate, reset the password, no lock-out), customers with
//! their contacts and devices, the API counterparts, permissions, CSRF and named errors.

use aftersales_app::users::Page as Paging;
use aftersales_domain::role::Role;
use aftersales_testkit::{Org, db_test};
use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::pages::{ORIGIN, Page, XSS, form_encode, get, post, request, sign_in};
use crate::support::{Client, token};

/// A form body from pairs, percent-encoded.
fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={}", form_encode(v))).collect::<Vec<_>>().join("&")
}

/// The id at the end of a redirect such as `/admin/users/12?saved=created`.
fn id_in(location: &str, prefix: &str) -> i64 {
    let rest = location.strip_prefix(prefix).unwrap_or_else(|| panic!("{location} starts with {prefix}"));
    rest.split(['?', '#']).next().unwrap().parse().unwrap()
}

async fn customers(db: &aftersales_testkit::TestDb, org: &Org) -> u64 {
    db.app.search_customers(&org.admin, None, Paging::default()).await.unwrap().1
}

/// Every visible input and select of the page has a label (hidden fields have no id).
fn labelled(p: &Page) -> bool {
    let fields = p.html.matches("<input id=").count() + p.html.matches("<select id=").count();
    fields > 0 && fields <= p.html.matches("<label for=").count()
}

/// Signs in through the form with a password; whether it worked.
async fn signs_in(db: &aftersales_testkit::TestDb, username: &str, password: &str) -> Option<String> {
    let body = form(&[("username", username), ("password", password)]);
    let p = request(db, Method::POST, "/login", None, Some(&body), &[("origin", ORIGIN)]).await;
    (p.status == StatusCode::SEE_OTHER).then(|| {
        let c = p.headers.get("set-cookie").unwrap().to_str().unwrap();
        c.trim_start_matches("as_session=").split(';').next().unwrap().to_owned()
    })
}

db_test!(an_administrator_creates_an_account_that_can_sign_in, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let new = get(&db, "/admin/users/new", &admin).await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.html);
    assert!(new.html.contains(r#"<label for="username">"#) && new.html.contains("初始密码"));
    assert!(labelled(&new));
    let csrf = new.csrf();
    let body = form(&[
        ("csrf", &csrf),
        ("username", "Desk.Two"),
        ("display_name", "刘芳"),
        ("role", "desk_agent"),
        ("email", "liu.fang@example.com"),
        ("phone", "13700000009"),
        ("region", "华东"),
        ("group_id", ""),
        ("customer_id", ""),
        ("contact_id", ""),
        ("password", "first-pass-123"),
    ]);
    let created = post(&db, "/admin/users", &admin, &body).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let id = id_in(created.location(), "/admin/users/");
    let page = get(&db, created.location(), &admin).await;
    assert!(
        page.html.contains("已创建") && page.html.contains("刘芳") && page.html.contains("desk.two"),
        "{}",
        page.html
    );
    // The list finds them by name, with the role's label.
    let list = get(&db, &format!("/admin/users?q={}", form_encode("刘芳")), &admin).await;
    assert!(list.html.contains(&format!("/admin/users/{id}")) && list.html.contains("客服专员"), "{}", list.html);
    assert!(!list.html.contains("/admin/users/1\""), "the search narrows the list");
    let by_role = get(&db, "/admin/users?role=project_specialist", &admin).await;
    assert!(by_role.html.contains("冯专员") && !by_role.html.contains("刘芳"));
    // They sign in with the initial password.
    let session = signs_in(&db, "desk.two", "first-pass-123").await.expect("the new account signs in");
    assert_eq!(get(&db, "/board", &session).await.status, StatusCode::OK);

    // The same username again: named, nothing stored.
    let again = post(&db, "/admin/users", &admin, &body).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.html.contains("用户名（已存在）"), "{}", again.html);
    assert!(again.html.contains(r#"value="刘芳""#), "what was entered is shown again");
    assert!(!again.html.contains("first-pass-123"), "never the password");

    // A portal account from a contact of the customer page: prefilled, then created.
    let pre = get(&db, &format!("/admin/users/new?contact_id={}", org.other_a.id), &admin).await;
    assert!(pre.html.contains(&format!(r#"<option value="{}" selected>"#, org.customer_a.id)), "{}", pre.html);
    assert!(pre.html.contains(&format!(r#"<option value="{}" selected>"#, org.other_a.id)));
    let portal = form(&[
        ("csrf", &csrf),
        ("username", "pj.li2"),
        ("display_name", "李工"),
        ("role", "customer_contact"),
        ("customer_id", &org.customer_a.id.to_string()),
        ("contact_id", &org.window_a.id.to_string()),
        ("password", "portal-pass-1"),
    ]);
    let p = post(&db, "/admin/users", &admin, &portal).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let u = db.app.get_user(&org.admin, id_in(p.location(), "/admin/users/")).await.unwrap();
    assert_eq!(
        (u.role, u.customer_id, u.contact_id),
        (Role::CustomerContact, Some(org.customer_a.id), Some(org.window_a.id))
    );
    // A contact of another customer is refused by name.
    let wrong = portal
        .replace("pj.li2", "pj.li3")
        .replace(&format!("contact_id={}", org.window_a.id), &format!("contact_id={}", org.contact_b.id));
    let p = post(&db, "/admin/users", &admin, &wrong).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.html.contains("联系人（不存在）"), "{}", p.html);
    assert!(db.app.user_by_username("pj.li3").await.unwrap().is_none());
});

db_test!(an_administrator_changes_role_group_and_region, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let path = format!("/admin/users/{}", org.desk.id());
    let page = get(&db, &path, &admin).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains(r#"<option value="desk_agent" selected>"#), "{}", page.html);
    let csrf = page.csrf();
    let group = org.hardware_group.to_string();
    let edit = |role: &str, group: &str| {
        form(&[
            ("csrf", &csrf),
            ("display_name", "张敏"),
            ("role", role),
            ("email", ""),
            ("phone", ""),
            ("region", "华南"),
            ("group_id", group),
            ("customer_id", ""),
            ("contact_id", ""),
        ])
    };
    let saved = post(&db, &path, &admin, &edit("first_line_engineer", &group)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    assert_eq!(saved.location(), format!("{path}?saved=saved"));
    assert!(get(&db, saved.location(), &admin).await.html.contains("已保存"));
    let u = db.app.get_user(&org.admin, org.desk.id()).await.unwrap();
    assert_eq!(
        (u.role, u.group_id, u.region.as_deref(), u.email.clone()),
        (Role::FirstLineEngineer, Some(org.hardware_group), Some("华南"), None)
    );
    assert_eq!(u.username, "desk1", "the username stays");
    // An unknown group, an empty name: named, nothing changed.
    let bad = post(
        &db,
        &path,
        &admin,
        &edit("dispatcher", "99999").replace("display_name=%E5%BC%A0%E6%95%8F", "display_name="),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("姓名（必填项，不能为空）"), "{}", bad.html);
    assert!(bad.html.contains(r#"id="display_name-error""#));
    let bad = post(&db, &path, &admin, &edit("dispatcher", "99999")).await;
    assert!(bad.html.contains("处理组（不存在）"), "{}", bad.html);
    assert!(bad.html.contains(r#"<option value="dispatcher" selected>"#), "the entered role is shown again");
    assert_eq!(db.app.get_user(&org.admin, org.desk.id()).await.unwrap(), u);
});

db_test!(deactivation_ends_sessions_and_stops_tokens, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let desk = sign_in(&db, &org.desk).await;
    let api = Client::new(&db);
    let desk_token = token(&db, &org.desk).await;
    assert_eq!(api.get("/api/v1/me", &desk_token).await.status, StatusCode::OK);
    assert_eq!(get(&db, "/board", &desk).await.status, StatusCode::OK);

    let path = format!("/admin/users/{}", org.desk.id());
    let csrf = get(&db, &path, &admin).await.csrf();
    let off = post(&db, &format!("{path}/active"), &admin, &form(&[("csrf", &csrf), ("active", "0")])).await;
    assert_eq!(off.status, StatusCode::SEE_OTHER, "{}", off.html);
    let page = get(&db, off.location(), &admin).await;
    assert!(page.html.contains("账号已停用") && page.html.contains(r#"id="inactive""#), "{}", page.html);
    // Their open session is gone: the next page asks them to sign in.
    let next = get(&db, "/board", &desk).await;
    assert_eq!(next.status, StatusCode::SEE_OTHER);
    assert!(next.location().starts_with("/login"), "{}", next.location());
    // Their API token no longer authenticates, and the password no longer signs in.
    assert_eq!(api.get("/api/v1/me", &desk_token).await.status, StatusCode::UNAUTHORIZED);
    assert!(signs_in(&db, "desk1", crate::pages::PASSWORD).await.is_none());
    let list = get(&db, "/admin/users?status=inactive", &admin).await;
    assert!(list.html.contains("张敏") && !list.html.contains("赵强"), "{}", list.html);

    // Reactivated: the token works again; the password too.
    let on = post(&db, &format!("{path}/active"), &admin, &form(&[("csrf", &csrf), ("active", "1")])).await;
    assert_eq!(on.status, StatusCode::SEE_OTHER);
    assert_eq!(api.get("/api/v1/me", &desk_token).await.status, StatusCode::OK);
    let again = signs_in(&db, "desk1", crate::pages::PASSWORD).await.expect("signs in again");

    // A password reset: checked, then every session of theirs ends and only the new one works.
    let reset = format!("{path}/password");
    let short =
        post(&db, &reset, &admin, &form(&[("csrf", &csrf), ("new_password", "short"), ("repeat_password", "short")]))
            .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.html.contains("新密码（格式不正确"), "{}", short.html);
    let differ = post(
        &db,
        &reset,
        &admin,
        &form(&[("csrf", &csrf), ("new_password", "new-pass-123"), ("repeat_password", "new-pass-124")]),
    )
    .await;
    assert!(differ.html.contains("两次输入不一致"), "{}", differ.html);
    assert_eq!(get(&db, "/board", &again).await.status, StatusCode::OK, "nothing changed yet");
    let ok = post(
        &db,
        &reset,
        &admin,
        &form(&[("csrf", &csrf), ("new_password", "new-pass-123"), ("repeat_password", "new-pass-123")]),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.html);
    assert!(get(&db, ok.location(), &admin).await.html.contains("密码已重置"));
    assert_eq!(get(&db, "/board", &again).await.status, StatusCode::SEE_OTHER);
    assert!(signs_in(&db, "desk1", crate::pages::PASSWORD).await.is_none());
    assert!(signs_in(&db, "desk1", "new-pass-123").await.is_some());
});

db_test!(an_administrator_cannot_lock_themself_out, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let path = format!("/admin/users/{}", org.admin.id());
    let page = get(&db, &path, &admin).await;
    assert!(page.html.contains("不能停用自己"), "the page says so");
    assert!(!page.html.contains(r#"id="status-form""#), "and offers no deactivation");
    let csrf = page.csrf();
    let off = post(&db, &format!("{path}/active"), &admin, &form(&[("csrf", &csrf), ("active", "0")])).await;
    assert_eq!(off.status, StatusCode::CONFLICT);
    assert!(off.html.contains("不能停用自己的账号"), "{}", off.html);
    let demote = form(&[("csrf", &csrf), ("display_name", "管理员"), ("role", "desk_agent")]);
    let p = post(&db, &path, &admin, &demote).await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.html.contains("不能取消自己的管理员角色"), "{}", p.html);
    let pw = post(
        &db,
        &format!("{path}/password"),
        &admin,
        &form(&[("csrf", &csrf), ("new_password", "new-pass-123"), ("repeat_password", "new-pass-123")]),
    )
    .await;
    assert_eq!(pw.status, StatusCode::CONFLICT);
    let me = db.app.get_user(&org.admin, org.admin.id()).await.unwrap();
    assert!(me.active && me.role == Role::Admin);
    assert_eq!(get(&db, "/admin/users", &admin).await.status, StatusCode::OK, "still signed in");
    // The API says the same.
    let api = Client::new(&db);
    let t = token(&db, &org.admin).await;
    let r = api
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{}", org.admin.id()),
            Some(&t),
            Some(&json!({"active": false})),
            &[],
        )
        .await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("self_lockout")));
});

db_test!(people_without_the_permission_are_refused_and_nothing_changes, |db| {
    let org = Org::create(&db.app).await;
    let desk = sign_in(&db, &org.desk).await;
    let csrf = get(&db, "/board", &desk).await.csrf();
    for path in ["/admin/users", "/admin/users/new", &format!("/admin/users/{}", org.eng_east.id())] {
        let p = get(&db, path, &desk).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{path}");
        assert!(p.html.contains("无权人员管理"), "{path}: {}", p.html);
    }
    let create = form(&[
        ("csrf", &csrf),
        ("username", "sneaky"),
        ("display_name", "X"),
        ("role", "admin"),
        ("password", "sneaky-pass-1"),
    ]);
    assert_eq!(post(&db, "/admin/users", &desk, &create).await.status, StatusCode::FORBIDDEN);
    assert!(db.app.user_by_username("sneaky").await.unwrap().is_none());
    let eng = format!("/admin/users/{}", org.eng_east.id());
    let promote = form(&[("csrf", &csrf), ("display_name", "周工"), ("role", "admin")]);
    assert_eq!(post(&db, &eng, &desk, &promote).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        post(&db, &format!("{eng}/active"), &desk, &form(&[("csrf", &csrf), ("active", "0")])).await.status,
        StatusCode::FORBIDDEN
    );
    let pw = form(&[("csrf", &csrf), ("new_password", "taken-over-1"), ("repeat_password", "taken-over-1")]);
    assert_eq!(post(&db, &format!("{eng}/password"), &desk, &pw).await.status, StatusCode::FORBIDDEN);
    assert_eq!(db.app.get_user(&org.admin, org.eng_east.id()).await.unwrap(), org.eng_east.user);
    // The API refuses the same.
    let api = Client::new(&db);
    let t = token(&db, &org.desk).await;
    let r = api
        .send(
            Method::PATCH,
            &format!("/api/v1/users/{}", org.eng_east.id()),
            Some(&t),
            Some(&json!({"role": "admin"})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api
        .post(
            &format!("/api/v1/users/{}/password", org.eng_east.id()),
            &t,
            &json!({"new_password": "taken-over-1"}),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // An engineer may read the directory but not keep it.
    let eng = sign_in(&db, &org.eng_east).await;
    let csrf = get(&db, "/board", &eng).await.csrf();
    assert_eq!(get(&db, "/admin/customers", &eng).await.status, StatusCode::FORBIDDEN);
    assert_eq!(get(&db, &format!("/admin/customers/{}", org.customer_a.id), &eng).await.status, StatusCode::FORBIDDEN);
    let before = customers(&db, &org).await;
    let c = form(&[("csrf", &csrf), ("name", "某公司"), ("short_name", "某"), ("region", "华东"), ("level", "A")]);
    assert_eq!(post(&db, "/admin/customers", &eng, &c).await.status, StatusCode::FORBIDDEN);
    let k = form(&[("csrf", &csrf), ("name", "某人"), ("phone", "13800138000")]);
    assert_eq!(
        post(&db, &format!("/admin/customers/{}/contacts", org.customer_a.id), &eng, &k).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(customers(&db, &org).await, before);
    assert_eq!(db.app.contacts(&org.admin, org.customer_a.id).await.unwrap().len(), 2);
});

db_test!(forms_without_the_session_token_are_refused, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let before = customers(&db, &org).await;
    let c = form(&[("name", "无令牌公司"), ("short_name", "无令牌"), ("region", "华东"), ("level", "A")]);
    assert_eq!(post(&db, "/admin/customers", &admin, &c).await.status, StatusCode::FORBIDDEN);
    let forged = format!("csrf=forged&{c}");
    assert_eq!(post(&db, "/admin/customers", &admin, &forged).await.status, StatusCode::FORBIDDEN);
    assert_eq!(customers(&db, &org).await, before);
    let u =
        form(&[("username", "nocsrf"), ("display_name", "X"), ("role", "desk_agent"), ("password", "no-csrf-pass")]);
    assert_eq!(post(&db, "/admin/users", &admin, &u).await.status, StatusCode::FORBIDDEN);
    assert!(db.app.user_by_username("nocsrf").await.unwrap().is_none());
    let off = post(&db, &format!("/admin/users/{}/active", org.desk.id()), &admin, "active=0").await;
    assert_eq!(off.status, StatusCode::FORBIDDEN);
    assert!(db.app.get_user(&org.admin, org.desk.id()).await.unwrap().active);
    // With the token but from another site: refused too.
    let csrf = get(&db, "/admin/customers", &admin).await.csrf();
    let cross = request(
        &db,
        Method::POST,
        "/admin/customers",
        Some(&admin),
        Some(&format!("csrf={csrf}&{c}")),
        &[("origin", "http://evil.example")],
    )
    .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert_eq!(customers(&db, &org).await, before);
});

db_test!(an_administrator_keeps_a_customer_with_contacts_window_and_devices, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let new = get(&db, "/admin/customers/new", &admin).await;
    assert_eq!(new.status, StatusCode::OK);
    assert!(new.html.contains("战略客户") && new.html.contains("冯专员"), "levels and specialists offered");
    let csrf = new.csrf();
    let specialist = org.specialist.id().to_string();
    let name = format!("苏州{XSS}科技有限公司");
    let body = form(&[
        ("csrf", &csrf),
        ("name", &name),
        ("short_name", "苏州科技"),
        ("region", "华东"),
        ("level", "B"),
        ("specialist_id", &specialist),
        ("calendar", ""),
    ]);
    let created = post(&db, "/admin/customers", &admin, &body).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let id = id_in(created.location(), "/admin/customers/");
    let path = format!("/admin/customers/{id}");
    let page = get(&db, created.location(), &admin).await;
    assert!(page.html.contains("已创建"));
    assert!(page.html.contains("&#60;script&#62;alert(&#34;xss&#34;)&#60;/script&#62;"), "the name is shown escaped");
    assert!(!page.html.contains("<script>alert") && !page.html.contains("<img src=x"), "and runs nothing");
    assert!(page.html.contains("重点客户") && page.html.contains("冯专员"));
    let list = get(&db, &format!("/admin/customers?q={}", form_encode("苏州科技")), &admin).await;
    assert!(list.html.contains(&format!("{path}\"")) && !list.html.contains("浦江精密"), "{}", list.html);
    assert!(!list.html.contains("<script>alert"));

    // A contact, then the window.
    let contact = form(&[
        ("csrf", &csrf),
        ("name", "陈科长"),
        ("phone", "0512-65001234"),
        ("email", "chen@example.com"),
        ("department", "设备科"),
    ]);
    let added = post(&db, &format!("{path}/contacts"), &admin, &contact).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.html);
    let contacts = db.app.contacts(&org.admin, id).await.unwrap();
    let chen = contacts.iter().find(|k| k.name == "陈科长").unwrap().clone();
    let mut edit = vec![
        ("csrf", csrf.as_str()),
        ("name", name.as_str()),
        ("short_name", "苏州科技"),
        ("region", "华东"),
        ("level", "B"),
        ("specialist_id", specialist.as_str()),
        ("calendar", ""),
    ];
    let chen_id = chen.id.to_string();
    edit.push(("window_contact_id", &chen_id));
    let saved = post(&db, &path, &admin, &form(&edit)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    assert_eq!(db.app.get_customer(&org.admin, id).await.unwrap().window_contact_id, Some(chen.id));

    // A device.
    let device = form(&[
        ("csrf", &csrf),
        ("model", "bizhub C450i"),
        ("serial", "sz-0001"),
        ("location", "2楼设备科"),
        ("purchase_date", "2023-01-10"),
        ("warranty_end", "2026-01-09"),
        ("consumable_model", "TN514K"),
    ]);
    let added = post(&db, &format!("{path}/devices"), &admin, &device).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.html);
    let page = get(&db, &path, &admin).await;
    assert!(page.html.contains("陈科长") && page.html.contains("0512-65001234"), "the administrator sees the number");
    assert!(page.html.contains(r#"<dd id="window">陈科长</dd>"#), "{}", page.html);
    assert!(
        page.html.contains("SZ-0001") && page.html.contains("2楼设备科") && page.html.contains("在保"),
        "{}",
        page.html
    );
    assert!(labelled(&page) && labelled(&new), "every input has a label");
    // In English too, with the same words side by side.
    let en = post(&db, "/lang", &admin, &form(&[("csrf", &csrf), ("lang", "en")])).await;
    assert_eq!(en.status, StatusCode::SEE_OTHER);
    let page = get(&db, &path, &admin).await;
    assert!(page.html.contains("Add a contact") && page.html.contains("In warranty"), "{}", page.html);
    assert!(page.html.contains("B · Key account") && page.html.contains("Customer window"));
    let bad = post(
        &db,
        &format!("{path}/contacts"),
        &admin,
        &form(&[("csrf", &csrf), ("name", ""), ("phone", "13800138000")]),
    )
    .await;
    assert!(bad.html.contains("Please correct: Name is required"), "{}", bad.html);
    post(&db, "/lang", &admin, &form(&[("csrf", &csrf), ("lang", "zh")])).await;

    // The same serial again: named, not stored twice.
    let dup = post(&db, &format!("{path}/devices"), &admin, &device).await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.html.contains("序列号（已存在）") && dup.html.contains(r#"value="bizhub C450i""#), "{}", dup.html);

    // Correcting a contact's phone, and a device's location.
    let k = get(&db, &format!("/admin/contacts/{}", chen.id), &admin).await;
    assert_eq!(k.status, StatusCode::OK);
    assert!(k.html.contains(r#"value="0512-65001234""#));
    let fixed =
        form(&[("csrf", &csrf), ("name", "陈科长"), ("phone", "13912345678"), ("email", ""), ("department", "设备科")]);
    let p = post(&db, &format!("/admin/contacts/{}", chen.id), &admin, &fixed).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    assert_eq!(p.location(), format!("{path}?saved=contact#contacts"));
    let now = db.app.contact(&org.admin, chen.id).await.unwrap();
    assert_eq!((now.phone.as_str(), now.email.clone(), now.is_window), ("13912345678", None, true));
    let bad = post(&db, &format!("/admin/contacts/{}", chen.id), &admin, &fixed.replace("13912345678", "12345")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("电话（格式不正确"), "{}", bad.html);
    let d = db.app.devices(&org.admin, Some(id), None, Paging::default()).await.unwrap()[0].clone();
    let moved = device.replace(&form_encode("2楼设备科"), &form_encode("3楼机房"));
    let p = post(&db, &format!("/admin/devices/{}", d.id), &admin, &moved).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    assert_eq!(db.app.get_device(&org.admin, d.id).await.unwrap().location.as_deref(), Some("3楼机房"));
    let taken = moved.replace("sz-0001", &org.device_a.serial);
    let p = post(&db, &format!("/admin/devices/{}", d.id), &admin, &taken).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.html.contains("序列号（已存在）"), "{}", p.html);
});

db_test!(bad_fields_are_named_and_nothing_is_stored, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let csrf = get(&db, "/admin/customers/new", &admin).await.csrf();
    let before = customers(&db, &org).await;
    let p = post(
        &db,
        "/admin/customers",
        &admin,
        &form(&[("csrf", &csrf), ("name", " "), ("short_name", "空名"), ("region", "华东"), ("level", "A")]),
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.html.contains("客户名称（必填项，不能为空）") && p.html.contains(r#"id="name-error""#), "{}", p.html);
    assert!(p.html.contains(r#"value="空名""#), "the entered values are kept");
    let p = post(
        &db,
        "/admin/customers",
        &admin,
        &form(&[("csrf", &csrf), ("name", "某某公司"), ("short_name", "某某"), ("region", "华东"), ("level", "Z")]),
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.html.contains("客户级别（不存在）") && p.html.contains(r#"id="level-error""#), "{}", p.html);
    assert_eq!(customers(&db, &org).await, before);
    // The window must be one of the customer's own contacts.
    let path = format!("/admin/customers/{}", org.customer_b.id);
    let other = org.window_a.id.to_string();
    let p = post(
        &db,
        &path,
        &admin,
        &form(&[
            ("csrf", &csrf),
            ("name", "广州南粤印务有限公司"),
            ("short_name", "南粤印务"),
            ("region", "华南"),
            ("level", "A"),
            ("window_contact_id", &other),
        ]),
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.html.contains("客户窗口（不是该客户单位的联系人）"), "{}", p.html);
    assert_eq!(db.app.get_customer(&org.admin, org.customer_b.id).await.unwrap(), org.customer_b);
    // A contact without a dialable phone; a device with a malformed date.
    let p =
        post(&db, &format!("{path}/contacts"), &admin, &form(&[("csrf", &csrf), ("name", "赵六"), ("phone", "abc")]))
            .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.html.contains(r#"id="contact-phone-error""#) && p.html.contains(r#"value="赵六""#), "{}", p.html);
    assert_eq!(db.app.contacts(&org.admin, org.customer_b.id).await.unwrap().len(), 1);
    let p = post(
        &db,
        &format!("{path}/devices"),
        &admin,
        &form(&[("csrf", &csrf), ("model", "X1"), ("serial", "X1-001"), ("purchase_date", "2024-13-45")]),
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.html.contains("购买日期（格式不正确"), "{}", p.html);
    assert!(db.app.devices(&org.admin, Some(org.customer_b.id), None, Paging::default()).await.unwrap().len() == 1);
    // Unknown records are "not found".
    for path in ["/admin/users/99999", "/admin/customers/99999", "/admin/contacts/99999", "/admin/devices/99999"] {
        assert_eq!(get(&db, path, &admin).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let p = post(
        &db,
        "/admin/customers/99999/contacts",
        &admin,
        &form(&[("csrf", &csrf), ("name", "赵六"), ("phone", "13800138000")]),
    )
    .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
});

db_test!(a_contact_who_leaves_loses_the_portal_but_a_window_must_be_replaced_first, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let portal = sign_in(&db, &org.portal_other_a).await;
    let csrf = get(&db, "/admin/customers", &admin).await.csrf();
    // The window cannot just leave.
    let p = post(
        &db,
        &format!("/admin/contacts/{}/status", org.window_a.id),
        &admin,
        &form(&[("csrf", &csrf), ("left", "1")]),
    )
    .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.html.contains("请先更换或取消客户窗口"), "{}", p.html);
    assert!(!db.app.contact(&org.admin, org.window_a.id).await.unwrap().left);
    // Another contact leaves: their portal account is deactivated and signed out.
    let p = post(
        &db,
        &format!("/admin/contacts/{}/status", org.other_a.id),
        &admin,
        &form(&[("csrf", &csrf), ("left", "1")]),
    )
    .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let page = get(&db, p.location(), &admin).await;
    assert!(page.html.contains("已标记为离开") && page.html.contains("已离开"), "{}", page.html);
    assert!(db.app.contact(&org.admin, org.other_a.id).await.unwrap().left);
    assert!(!db.app.get_user(&org.admin, org.portal_other_a.id()).await.unwrap().active);
    assert_eq!(get(&db, "/board", &portal).await.status, StatusCode::SEE_OTHER);
    // They can be neither the window nor a new portal account now.
    let a = org.customer_a.id.to_string();
    let k = org.other_a.id.to_string();
    let p = post(
        &db,
        &format!("/admin/customers/{a}"),
        &admin,
        &form(&[
            ("csrf", &csrf),
            ("name", "上海浦江精密机械有限公司"),
            ("short_name", "浦江精密"),
            ("region", "华东"),
            ("level", "A"),
            ("window_contact_id", &k),
        ]),
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.html.contains("客户窗口（已离开该客户单位）"), "{}", p.html);
    let p = post(
        &db,
        "/admin/users",
        &admin,
        &form(&[
            ("csrf", &csrf),
            ("username", "pj.li.new"),
            ("display_name", "李工"),
            ("role", "customer_contact"),
            ("customer_id", &a),
            ("contact_id", &k),
            ("password", "portal-pass-2"),
        ]),
    )
    .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.html.contains("联系人（已离开该客户单位）"), "{}", p.html);
    // Back again.
    let p = post(&db, &format!("/admin/contacts/{k}/status"), &admin, &form(&[("csrf", &csrf), ("left", "0")])).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert!(!db.app.contact(&org.admin, org.other_a.id).await.unwrap().left);
});

db_test!(the_api_shares_the_use_cases, |db| {
    let org = Org::create(&db.app).await;
    let api = Client::new(&db);
    let admin = token(&db, &org.admin).await;
    let eng = token(&db, &org.eng_south).await;
    let path = format!("/api/v1/users/{}", org.eng_south.id());
    // PATCH changes what it names; null clears.
    let r = api.send(Method::PATCH, &path, Some(&admin), Some(&json!({"region": "华东", "email": null})), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.body["region"].as_str(), r.body["email"].is_null(), r.body["group_id"].as_i64()),
        (Some("华东"), true, Some(org.hardware_group))
    );
    let r = api.send(Method::PATCH, &path, Some(&admin), Some(&json!({"group_id": 99999})), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["error"]["fields"]["group_id"].is_string(), "{}", r.body);
    let r = api.send(Method::PATCH, &path, Some(&admin), Some(&json!({"username": "x"})), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "the username cannot change");
    let r = api.send(Method::PATCH, "/api/v1/users/99999", Some(&admin), Some(&json!({"active": false})), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Deactivated: their token stops working at once.
    assert_eq!(api.get("/api/v1/me", &eng).await.status, StatusCode::OK);
    let r = api.send(Method::PATCH, &path, Some(&admin), Some(&json!({"active": false})), &[]).await;
    assert_eq!((r.status, r.body["active"].as_bool()), (StatusCode::OK, Some(false)));
    assert_eq!(api.get("/api/v1/me", &eng).await.status, StatusCode::UNAUTHORIZED);
    // A password reset.
    let r = api.post(&format!("{path}/password"), &admin, &json!({"new_password": "short"}), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = api.post(&format!("{path}/password"), &admin, &json!({"new_password": "api-reset-pass"}), &[]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    // Contacts and devices are corrected in place.
    let r = api
        .send(
            Method::PUT,
            &format!("/api/v1/contacts/{}", org.contact_b.id),
            Some(&admin),
            Some(&json!({"name": "黄主任", "phone": "020-86005678", "department": "办公室"})),
            &[],
        )
        .await;
    assert_eq!((r.status, r.body["phone"].as_str()), (StatusCode::OK, Some("020-86005678")), "{}", r.body);
    let r = api
        .send(
            Method::PUT,
            &format!("/api/v1/devices/{}", org.device_b.id),
            Some(&admin),
            Some(&json!({"model": "bizhub C300i", "serial": org.device_b.serial, "location": "1楼前台"})),
            &[],
        )
        .await;
    assert_eq!((r.status, r.body["location"].as_str()), (StatusCode::OK, Some("1楼前台")), "{}", r.body);
    let r = api
        .send(
            Method::PUT,
            &format!("/api/v1/devices/{}", org.device_b.id),
            Some(&admin),
            Some(&json!({"customer_id": org.customer_a.id, "model": "bizhub C300i", "serial": org.device_b.serial})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a device stays with its customer");
    let r = api
        .send(
            Method::PUT,
            &format!("/api/v1/contacts/{}/status", org.window_a.id),
            Some(&admin),
            Some(&json!({"left": true})),
            &[],
        )
        .await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("window_leaving")));
    let desk = token(&db, &org.desk).await;
    let r = api.get(&format!("/api/v1/contacts/{}", org.window_a.id), &desk).await;
    assert_eq!(
        (r.status, r.body["is_window"].as_bool(), r.body["left"].as_bool()),
        (StatusCode::OK, Some(true), Some(false))
    );
});

db_test!(an_account_whose_contact_left_is_not_reactivated, |db| {
    let org = Org::create(&db.app).await;
    let api = Client::new(&db);
    let admin = token(&db, &org.admin).await;
    let account = format!("/api/v1/users/{}", org.portal_other_a.id());
    let r = api
        .send(
            Method::PUT,
            &format!("/api/v1/contacts/{}/status", org.other_a.id),
            Some(&admin),
            Some(&json!({"left": true})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Reactivating the account (or keeping it active) is refused, in both languages.
    let on = json!({"active": true});
    let r = api.send(Method::PATCH, &account, Some(&admin), Some(&on), &[]).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("contact_left")),
        "{}",
        r.body
    );
    assert!(r.body["error"]["message"].as_str().unwrap().contains("联系人已离开客户单位"), "{}", r.body);
    let en = api.send(Method::PATCH, &account, Some(&admin), Some(&on), &[("accept-language", "en")]).await;
    assert!(en.body["error"]["message"].as_str().unwrap().contains("has left the customer"), "{}", en.body);
    assert!(!db.app.get_user(&org.admin, org.portal_other_a.id()).await.unwrap().active);
    db.app.reset_password(&org.admin, org.portal_other_a.id(), "portal-pass-9").await.unwrap();
    assert!(signs_in(&db, "pj.li", "portal-pass-9").await.is_none(), "the person cannot sign in");
    // The inactive account may still be corrected.
    let r =
        api.send(Method::PATCH, &account, Some(&admin), Some(&json!({"display_name": "李工（已离职）"})), &[]).await;
    assert_eq!((r.status, r.body["active"].as_bool()), (StatusCode::OK, Some(false)), "{}", r.body);
    // The page says why, offers no reactivation, and refuses a forged one.
    let page_session = sign_in(&db, &org.admin).await;
    let path = format!("/admin/users/{}", org.portal_other_a.id());
    let page = get(&db, &path, &page_session).await;
    assert!(page.html.contains(r#"id="contact-left""#) && !page.html.contains("重新启用</button>"), "{}", page.html);
    let csrf = page.csrf();
    let p = post(&db, &format!("{path}/active"), &page_session, &form(&[("csrf", &csrf), ("active", "1")])).await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.html.contains("联系人已离开客户单位"), "{}", p.html);
    // Back with the customer: then the account can be reactivated.
    let back = json!({"left": false});
    let status = format!("/api/v1/contacts/{}/status", org.other_a.id);
    assert_eq!(api.send(Method::PUT, &status, Some(&admin), Some(&back), &[]).await.status, StatusCode::OK);
    let r = api.send(Method::PATCH, &account, Some(&admin), Some(&on), &[]).await;
    assert_eq!((r.status, r.body["active"].as_bool()), (StatusCode::OK, Some(true)), "{}", r.body);
    assert!(signs_in(&db, "pj.li", "portal-pass-9").await.is_some());
});

db_test!(contact_phones_are_masked_for_roles_that_do_not_call_customers, |db| {
    let org = Org::create(&db.app).await;
    let api = Client::new(&db);
    let one = format!("/api/v1/contacts/{}", org.window_a.id);
    let list = format!("/api/v1/customers/{}/contacts", org.customer_a.id);
    for who in [&org.data, &org.pm, &org.director] {
        let t = token(&db, who).await;
        let r = api.get(&one, &t).await;
        assert_eq!((r.status, r.body["phone"].as_str()), (StatusCode::OK, Some("139****0001")), "{}", r.body);
        let r = api.get(&list, &t).await;
        let phones: Vec<&str> = r.body.as_array().unwrap().iter().map(|k| k["phone"].as_str().unwrap()).collect();
        assert_eq!(phones, ["139****0001", "139****0002"], "{}", r.body);
    }
    for who in [&org.admin, &org.desk, &org.eng_east] {
        let t = token(&db, who).await;
        assert_eq!(api.get(&one, &t).await.body["phone"].as_str(), Some("13900000001"));
        let r = api.get(&list, &t).await;
        assert_eq!(r.body[1]["phone"].as_str(), Some("13900000002"), "{}", r.body);
    }
});

db_test!(page_numbers_beyond_any_list_are_refused_not_failed, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let huge = "18446744073709551615";
    for path in [
        format!("/admin/users?page={huge}"),
        format!("/admin/customers?page={huge}"),
        format!("/admin/customers/{}?dpage={huge}", org.customer_a.id),
        format!("/board?page={huge}"),
    ] {
        let p = get(&db, &path, &admin).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {}", p.html);
    }
    assert_eq!(get(&db, "/admin/users?page=2", &admin).await.status, StatusCode::OK);
    assert_eq!(get(&db, "/admin/users?page=1000000", &admin).await.status, StatusCode::OK);
    let api = Client::new(&db);
    let t = token(&db, &org.admin).await;
    for path in [format!("/api/v1/tickets?page={huge}"), format!("/api/v1/customers?page={huge}")] {
        let r = api.get(&path, &t).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {}", r.body);
        assert!(r.body["error"]["fields"]["page"].is_string(), "{}", r.body);
    }
});

db_test!(searches_take_wildcards_literally_and_ignore_case, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    for (username, name) in [("eng_1", "Zhang San"), ("engx1", "Li Si"), ("eng.2", "100% Wang")] {
        let input = aftersales_domain::user::UserInput {
            username: Some(username.into()),
            display_name: Some(name.into()),
            role: Some(Role::FirstLineEngineer),
            ..Default::default()
        };
        db.app.create_user(Some(&org.admin), &input).await.unwrap();
    }
    let found = |html: &str| -> Vec<String> {
        ["eng_1", "engx1", "eng.2"].iter().filter(|u| html.contains(&format!(">{u}<"))).map(|u| u.to_string()).collect()
    };
    for (q, expect) in [
        ("eng_1", vec!["eng_1"]),
        ("ENG_1", vec!["eng_1"]),
        ("zhang", vec!["eng_1"]),
        ("100%", vec!["eng.2"]),
        ("%", vec!["eng.2"]),
        ("_", vec!["eng_1"]),
    ] {
        let p = get(&db, &format!("/admin/users?q={}", form_encode(q)), &admin).await;
        assert_eq!(p.status, StatusCode::OK);
        assert_eq!(found(&p.html), expect, "q={q}");
    }
    // Customers the same way: by name or short name, wildcards literal, any case.
    let input = aftersales_domain::customer::CustomerInput {
        name: Some("ACME_Print Ltd".into()),
        short_name: Some("Acme_P".into()),
        region: Some("华东".into()),
        level: Some("A".into()),
        ..Default::default()
    };
    let acme = db.app.create_customer(&org.admin, &input).await.unwrap();
    let link = format!("/admin/customers/{}\"", acme.id);
    for (q, hit) in [("acme_p", true), ("ACME_PRINT", true), ("acmexprint", false), ("acme%ltd", false)] {
        let p = get(&db, &format!("/admin/customers?q={}", form_encode(q)), &admin).await;
        assert_eq!(p.html.contains(&link), hit, "q={q}: {}", p.html);
    }
    let (list, _) = db.app.search_customers(&org.admin, Some("_"), Paging::default()).await.unwrap();
    assert_eq!(list.iter().map(|c| c.id).collect::<Vec<_>>(), [acme.id], "`_` is no wildcard");
});

db_test!(the_account_status_form_takes_only_0_or_1, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let path = format!("/admin/users/{}", org.desk.id());
    let csrf = get(&db, &path, &admin).await.csrf();
    for body in [
        form(&[("csrf", &csrf)]),
        form(&[("csrf", &csrf), ("active", "")]),
        form(&[("csrf", &csrf), ("active", "yes")]),
    ] {
        let p = post(&db, &format!("{path}/active"), &admin, &body).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", p.html);
        assert!(p.html.contains(r#"id="status-error""#), "{}", p.html);
        assert!(db.app.get_user(&org.admin, org.desk.id()).await.unwrap().active, "nothing changed");
    }
    // A contact's status the same way.
    let k = format!("/admin/contacts/{}/status", org.other_a.id);
    let p = post(&db, &k, &admin, &form(&[("csrf", &csrf)])).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(!db.app.contact(&org.admin, org.other_a.id).await.unwrap().left);
});

db_test!(the_customer_search_stays_when_the_account_form_comes_back, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let cq = "浦江";
    let new = get(&db, &format!("/admin/users/new?role=customer_contact&cq={}", form_encode(cq)), &admin).await;
    assert!(new.html.contains(&format!(r#"<option value="{}">"#, org.customer_a.id)), "{}", new.html);
    let csrf = new.csrf();
    let body = form(&[
        ("csrf", &csrf),
        ("cq", cq),
        ("username", ""),
        ("display_name", "新联系人"),
        ("role", "customer_contact"),
        ("customer_id", ""),
        ("password", "portal-pass-3"),
    ]);
    let p = post(&db, "/admin/users", &admin, &body).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains(r#"name="cq" value="浦江""#), "the search is kept: {}", p.html);
    assert!(p.html.contains(&format!(r#"<option value="{}">"#, org.customer_a.id)), "and what it found: {}", p.html);
    // On an account's page too.
    let path = format!("/admin/users/{}", org.desk.id());
    let edit = form(&[("csrf", &csrf), ("cq", cq), ("display_name", ""), ("role", "desk_agent")]);
    let p = post(&db, &path, &admin, &edit).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains(&format!(r#"<option value="{}">"#, org.customer_a.id)), "{}", p.html);
});

db_test!(a_path_that_is_no_id_is_the_not_found_page, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    for path in
        ["/admin/users/abc", "/admin/customers/1x", "/admin/contacts/abc", "/admin/devices/99999999999999999999"]
    {
        let p = get(&db, path, &admin).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}: {}", p.html);
        assert!(p.html.contains("没有这个页面") && p.html.contains("<html"), "{path}: {}", p.html);
    }
    let csrf = get(&db, "/admin/users", &admin).await.csrf();
    let p = post(&db, "/admin/users/abc/active", &admin, &form(&[("csrf", &csrf), ("active", "0")])).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND, "{}", p.html);
    let p = request(&db, Method::GET, "/admin/users/abc", None, None, &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "signed out: asked to sign in first");
});

db_test!(the_customer_page_offers_a_portal_account_only_to_contacts_without_one, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let input = aftersales_domain::customer::ContactInput {
        name: Some("陈科长".into()),
        phone: Some("13912345678".into()),
        ..Default::default()
    };
    let chen = db.app.create_contact(&org.admin, org.customer_a.id, &input).await.unwrap();
    let path = format!("/admin/customers/{}", org.customer_a.id);
    let page = get(&db, &path, &admin).await;
    let open = |k: i64| format!("/admin/users/new?contact_id={k}");
    assert!(!page.html.contains(&open(org.window_a.id)) && !page.html.contains(&open(org.other_a.id)), "{}", page.html);
    assert!(
        page.html.contains(&format!("/admin/users/{}\"", org.portal_window_a.id())) && page.html.contains("已开通")
    );
    assert!(page.html.contains(&open(chen.id)), "{}", page.html);
    // A desk agent keeps the directory but opens no accounts.
    let desk = sign_in(&db, &org.desk).await;
    let page = get(&db, &path, &desk).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.html.contains("/admin/users/"), "{}", page.html);
});
