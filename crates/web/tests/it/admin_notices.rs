//! The administrator's notice pages (DOMAIN §5): the routing table, the group robots and
//! webhooks, and the deliveries in doubt or dead, through the router as a browser uses them.

use aftersales_app::notices::LEASE;
use aftersales_domain::notice::{Audience, ChannelKind, DeliveryState, NoticeKind};
use aftersales_testkit::{Org, db_test};
use axum::http::{Method, StatusCode};

use crate::pages::{XSS, form_encode, get, post, request, sign_in};
use crate::support::{Client, token};

/// `key=value&…`, every value encoded.
fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={}", form_encode(v))).collect::<Vec<_>>().join("&")
}

const ROBOT_URL: &str = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY-0123456789-wxyz";

db_test!(admin_edits_a_route_and_adds_a_robot, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let page = get(&db, "/admin/notices", &admin).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("通告设置") && page.html.contains("重复报修"), "{}", page.html);
    assert!(page.html.contains(r#"id="notify-targets""#) && page.html.contains("还没有群机器人"));
    let csrf = page.csrf();
    // The index offers the section.
    assert!(get(&db, "/admin", &admin).await.html.contains(r#"href="/admin/notices""#));

    // A DingTalk robot with its signing secret: the secret is never shown, the URL only in part.
    let secret = "SEC-signing-secret-0123456789";
    let url = "https://oapi.dingtalk.com/robot/send?access_token=TOKEN0123456789abcd";
    let f = form(&[("csrf", &csrf), ("name", "ops"), ("kind", "dingtalk"), ("url", url), ("secret", secret)]);
    let saved = post(&db, "/admin/notices/targets", &admin, &f).await;
    assert_eq!(
        (saved.status, saved.location()),
        (StatusCode::SEE_OTHER, "/admin/notices?done=saved"),
        "{}",
        saved.html
    );
    let page = get(&db, "/admin/notices?done=saved", &admin).await;
    assert!(page.html.contains("已保存") && page.html.contains("钉钉") && page.html.contains("已设置"));
    assert!(page.html.contains("oapi.dingtalk.com/robot/s…abcd"), "{}", page.html);
    assert!(!page.html.contains(secret) && !page.html.contains("TOKEN0123456789"), "{}", page.html);
    // Its edit form shows the URL (to change it) but never the secret; saving without typing
    // the secret again keeps it.
    let edit = get(&db, "/admin/notices?target=ops", &admin).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(edit.html.contains(url) && !edit.html.contains(secret) && edit.html.contains("留空则保持不变"));
    let url2 = "https://oapi.dingtalk.com/robot/send?access_token=NEWTOKEN99990000";
    let f = form(&[("csrf", &csrf), ("name", "ops"), ("kind", "dingtalk"), ("url", url2), ("editing", "1")]);
    assert_eq!(post(&db, "/admin/notices/targets", &admin, &f).await.status, StatusCode::SEE_OTHER);
    let targets = db.app.notify_targets(&org.admin).await.unwrap();
    assert_eq!((targets[0].url.as_str(), targets[0].has_secret), (url2, true));
    assert_eq!(get(&db, "/admin/notices?target=nobody", &admin).await.status, StatusCode::NOT_FOUND);

    // A webhook needs a secret: refused on the form, the field named, the URL kept.
    let f = form(&[("csrf", &csrf), ("name", "hook"), ("kind", "webhook"), ("url", "https://hooks.example.com/in")]);
    let refused = post(&db, "/admin/notices/targets", &admin, &f).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains(r#"id="secret-error""#) && refused.html.contains("签名密钥"), "{}", refused.html);
    assert!(refused.html.contains("https://hooks.example.com/in"));
    assert_eq!(db.app.notify_targets(&org.admin).await.unwrap().len(), 1, "nothing stored");

    // The repeat report goes to the supervisor and the specialist, by e-mail and to the robot.
    let f = "csrf=".to_owned()
        + &csrf
        + "&kind=repeat_report&audience=supervisor&audience=project_specialist&channel=email&target=ops";
    let saved = post(&db, "/admin/notices/routes", &admin, &f).await;
    assert_eq!(
        (saved.status, saved.location()),
        (StatusCode::SEE_OTHER, "/admin/notices?done=saved"),
        "{}",
        saved.html
    );
    let c = Client::new(&db);
    let api = c.get("/api/v1/notice-routes", &token(&db, &org.admin).await).await;
    let route = api.body.as_array().unwrap().iter().find(|r| r["kind"] == "repeat_report").unwrap().clone();
    assert_eq!(route["audiences"], serde_json::json!(["supervisor", "project_specialist"]));
    assert_eq!(route["channels"], serde_json::json!(["in_app", "email"]));
    assert_eq!(route["targets"], serde_json::json!(["ops"]));
    let page = get(&db, "/admin/notices", &admin).await;
    let row = &page.html[page.html.find(r#"id="route-repeat_report""#).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("服务主管") && row.contains("项目专员") && row.contains("ops"), "{row}");

    // An unknown robot is refused on that notice's form, which stays open with what was ticked.
    let f = format!("csrf={csrf}&kind=dissatisfied&audience=supervisor&target=nobody");
    let refused = post(&db, "/admin/notices/routes", &admin, &f).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.html);
    assert!(refused.html.contains(r#"id="edit-dissatisfied" open"#), "{}", refused.html);
    assert!(refused.html.contains("群机器人 / Webhook（不存在"), "{}", refused.html);
    let stored = db.app.notice_routes(&org.admin).await.unwrap();
    assert!(!stored.iter().any(|r| r.kind == NoticeKind::Dissatisfied && r.targets.contains(&"nobody".into())));
});

db_test!(a_target_url_is_escaped, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let csrf = get(&db, "/admin/notices", &admin).await.csrf();
    let evil = format!("https://x.example/{XSS}");
    // Refused (a bad name): the form shows the URL as entered, escaped.
    let f = form(&[("csrf", &csrf), ("name", "bad name!"), ("kind", "wecom"), ("url", &evil)]);
    let refused = post(&db, "/admin/notices/targets", &admin, &f).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains(r#"id="name-error""#), "{}", refused.html);
    assert!(!refused.html.contains("<script>alert") && refused.html.contains("&#60;script&#62;"), "{}", refused.html);
    // Stored: the list shows part of it, escaped; so does the edit form, in full.
    let f = form(&[("csrf", &csrf), ("name", "evil"), ("kind", "wecom"), ("url", &evil)]);
    assert_eq!(post(&db, "/admin/notices/targets", &admin, &f).await.status, StatusCode::SEE_OTHER);
    for path in ["/admin/notices", "/admin/notices?target=evil"] {
        let page = get(&db, path, &admin).await;
        assert!(page.html.contains("x.example/&#60;script"), "{path}: {}", page.html);
        assert!(!page.html.contains("<script>alert") && !page.html.contains("<img src=x"), "{path}");
    }
});

/// Two deliveries of a repeat report: the specialist's e-mail, dead (the mailbox refused it for
/// good), and the robot's message, in doubt (the worker stopped mid-send). `(dead, uncertain)`.
async fn dead_and_uncertain(db: &aftersales_testkit::TestDb, org: &Org) -> (i64, i64) {
    let app = &db.app;
    let people = (vec![Audience::ProjectSpecialist], vec![ChannelKind::Email]);
    org.route_to_robot(app, NoticeKind::RepeatReport, people, ("ops", ROBOT_URL.into())).await;
    org.report(app, db.now(), 2).await;
    let claimed = app.claim_deliveries(10).await.unwrap();
    assert_eq!(claimed.len(), 2, "{claimed:?}");
    let mail = claimed.iter().find(|o| o.delivery.channel == ChannelKind::Email).unwrap();
    let robot = claimed.iter().find(|o| o.delivery.channel == ChannelKind::WeCom).unwrap();
    app.finish_delivery("w1", &mail.delivery, Err((false, "550 5.1.1 no such user".into()))).await.unwrap();
    // The robot's worker never reports; after its lease the delivery is in doubt.
    db.advance(LEASE + jiff::SignedDuration::from_secs(1));
    assert!(app.claim_deliveries(0).await.unwrap().is_empty());
    let d = app.delivery(&org.admin, robot.delivery.id).await.unwrap();
    assert_eq!(d.state, DeliveryState::Uncertain);
    (mail.delivery.id, robot.delivery.id)
}

db_test!(admin_confirms_one_in_doubt_and_retries_a_dead_one, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    // Nothing to look at yet: the page says what it is for.
    let empty = get(&db, "/admin/deliveries", &admin).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.html.contains(r#"id="deliveries-empty""#) && empty.html.contains("待确认"), "{}", empty.html);

    let (dead, doubtful) = dead_and_uncertain(&db, &org).await;
    let list = get(&db, "/admin/deliveries", &admin).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.html.contains(&format!(r#"id="delivery-{dead}" data-state="dead""#)), "{}", list.html);
    assert!(list.html.contains(&format!(r#"id="delivery-{doubtful}" data-state="uncertain""#)));
    assert!(list.html.contains("重复报修") && list.html.contains("发送失败") && list.html.contains("550 5.1.1"));
    // The robot's key is not on the page: only its host and the URL's last characters.
    assert!(list.html.contains("qyapi.weixin.qq.com/cgi-bin…wxyz"), "{}", list.html);
    assert!(!list.html.contains("KEY-0123456789"));
    assert!(list.html.contains(r#"<a href="/tickets/"#));
    // The filter narrows to one state.
    let only_dead = get(&db, "/admin/deliveries?state=dead", &admin).await;
    assert!(
        only_dead.html.contains(&format!("delivery-{dead}\""))
            && !only_dead.html.contains(&format!("delivery-{doubtful}\""))
    );
    let csrf = list.csrf();

    // Confirming needs a note: the field is named and nothing changes.
    let path = format!("/admin/deliveries/{doubtful}/confirm");
    let refused = post(&db, &path, &admin, &form(&[("csrf", &csrf), ("note", "  ")])).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains(r#"id="note-error""#) && refused.html.contains("确认说明"), "{}", refused.html);
    assert_eq!(db.app.delivery(&org.admin, doubtful).await.unwrap().state, DeliveryState::Uncertain);
    let note = "10:02 已在运维群看到";
    let done = post(&db, &path, &admin, &form(&[("csrf", &csrf), ("note", note)])).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert_eq!(done.location(), format!("/admin/deliveries/{doubtful}?done=confirmed"));
    let d = db.app.delivery(&org.admin, doubtful).await.unwrap();
    assert_ne!(d.state, DeliveryState::Uncertain);
    let page = get(&db, done.location(), &admin).await;
    assert!(page.html.contains("已确认送达") && page.html.contains(note), "{}", page.html);
    assert!(page.html.contains(r#"id="delivery-log""#) && page.html.contains("结果不明"));
    // Confirmed once: a second confirmation is refused on the page.
    let again = post(&db, &path, &admin, &form(&[("csrf", &csrf), ("note", note)])).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.html);
    assert!(again.html.contains("只有待确认的投递可以确认送达"), "{}", again.html);

    // The dead letter is sent again: back in the queue, with the decision in its log.
    let path = format!("/admin/deliveries/{dead}/retry");
    let done = post(&db, &path, &admin, &form(&[("csrf", &csrf)])).await;
    assert_eq!(
        (done.status, done.location()),
        (StatusCode::SEE_OTHER, format!("/admin/deliveries/{dead}?done=retried").as_str())
    );
    assert_eq!(db.app.delivery(&org.admin, dead).await.unwrap().state, DeliveryState::Pending);
    let page = get(&db, done.location(), &admin).await;
    assert!(page.html.contains("已重新排队") && page.html.contains("550 5.1.1"), "{}", page.html);
    let again = post(&db, &path, &admin, &form(&[("csrf", &csrf)])).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.html.contains("只有发送失败或待确认的投递可以重试"), "{}", again.html);
    // Nothing left to look at.
    assert!(get(&db, "/admin/deliveries", &admin).await.html.contains(r#"id="deliveries-empty""#));
    // An unknown delivery is the localized "not found" page.
    let missing = get(&db, "/admin/deliveries/9999999", &admin).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(get(&db, "/admin/deliveries/abc", &admin).await.status == StatusCode::NOT_FOUND);
});

db_test!(only_policy_managers_reach_the_notice_pages, |db| {
    let org = Org::create(&db.app).await;
    let (dead, doubtful) = dead_and_uncertain(&db, &org).await;
    let desk = sign_in(&db, &org.desk).await;
    for path in ["/admin/notices".to_owned(), "/admin/deliveries".to_owned(), format!("/admin/deliveries/{dead}")] {
        let p = get(&db, &path, &desk).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN, "{path}");
        assert!(p.html.contains("无权"), "{path}");
    }
    let posts = |csrf: &str| {
        vec![
            ("/admin/notices/routes".to_owned(), format!("csrf={csrf}&kind=repeat_report&audience=desk")),
            (
                "/admin/notices/targets".to_owned(),
                form(&[("csrf", csrf), ("name", "x"), ("kind", "wecom"), ("url", "https://x.example/a")]),
            ),
            (format!("/admin/deliveries/{doubtful}/confirm"), form(&[("csrf", csrf), ("note", "seen")])),
            (format!("/admin/deliveries/{dead}/retry"), form(&[("csrf", csrf)])),
        ]
    };
    let csrf = get(&db, "/board", &desk).await.csrf();
    for (path, body) in posts(&csrf) {
        assert_eq!(post(&db, &path, &desk, &body).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    // An administrator's post without the session's token, or from another site, is refused.
    let admin = sign_in(&db, &org.admin).await;
    let csrf = get(&db, "/admin/notices", &admin).await.csrf();
    for ((path, without), (_, good)) in posts("").into_iter().zip(posts(&csrf)) {
        assert_eq!(post(&db, &path, &admin, &without).await.status, StatusCode::FORBIDDEN, "{path}");
        let cross =
            request(&db, Method::POST, &path, Some(&admin), Some(&good), &[("origin", "http://evil.example")]).await;
        assert_eq!(cross.status, StatusCode::FORBIDDEN, "{path}");
    }
    // Nothing changed.
    assert_eq!(db.app.delivery(&org.admin, dead).await.unwrap().state, DeliveryState::Dead);
    assert_eq!(db.app.delivery(&org.admin, doubtful).await.unwrap().state, DeliveryState::Uncertain);
    assert_eq!(db.app.notify_targets(&org.admin).await.unwrap().len(), 1);
    let route = db.app.notice_routes(&org.admin).await.unwrap();
    assert!(!route.iter().any(|r| r.kind == NoticeKind::RepeatReport && r.audiences.contains(&Audience::Desk)));
});
