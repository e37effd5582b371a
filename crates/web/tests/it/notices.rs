//! Notices over HTTP: the inbox, acknowledgement with a note, the daily table, targets.

use aftersales_testkit::app_test;
use axum::http::StatusCode;
use serde_json::json;

use crate::support::registration;

app_test!(a_specialist_reads_and_acknowledges_notices_over_http, |t| {
    let org = &t.org;
    let (desk, specialist, admin, customer) =
        (t.api(&org.desk).await, t.api(&org.specialist).await, t.api(&org.admin).await, t.api(&org.portal_b).await);
    let body = json!({
        "customer_id": org.customer_b.id,
        "contact_id": org.contact_b.id,
        "device_serial": org.device_b.serial,
        "fault_code": "J-7012",
        "description": "复印时第二纸盒卡纸，报警 J-7012",
        "occurred_at": "2024-03-15T08:30:00+08:00",
        "impact_scope": "财务部一台复印机",
    });
    let r = desk.post("/api/v1/tickets", &body).await;
    let (id, mut etag) = (r.body["id"].as_i64().unwrap(), r.etag());
    for step in [json!({"action": "accept"}), json!({"action": "grade", "level": "P3", "reason": "一般"})] {
        let r = desk.post_if_match(&format!("/api/v1/tickets/{id}/transitions"), &step, &etag).await;
        etag = r.etag();
    }
    // The same device and fault again: a repeat report tells the specialist at once.
    let r = desk.post("/api/v1/tickets", &body).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let inbox = specialist.get("/api/v1/notices?mine=true&acknowledged=false").await;
    assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.body);
    assert_eq!(inbox.body["total"], 1);
    let notice = &inbox.body["items"][0];
    assert_eq!(notice["kind"], "repeat_report");
    let nid = notice["id"].as_i64().unwrap();
    let r = specialist.post(&format!("/api/v1/notices/{nid}/acknowledge"), &json!({"note": "已安排王工处理"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["recipients"][0]["note"], "已安排王工处理");
    let r = desk.post(&format!("/api/v1/notices/{nid}/acknowledge"), &json!({})).await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("not_a_recipient")));
    let r = customer.get(&format!("/api/v1/notices/{nid}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another person's notice does not exist for a customer");
    let r = desk.get("/api/v1/notices?kind=nonsense").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    let r = desk.get("/api/v1/reports/daily-notices?date=2024-03-15").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let row = &r.body[0];
    assert_eq!(
        (row["notices"][0].as_str(), row["desk_note"].as_str()),
        (Some("repeat_report"), Some("已安排王工处理"))
    );
    assert_eq!(customer.get("/api/v1/reports/daily-notices?date=2024-03-15").await.status, StatusCode::FORBIDDEN);

    // Targets: administrators only; a generic webhook needs a real secret.
    let target = json!({"kind": "webhook", "url": "https://hooks.example.com/in", "secret": "short"});
    let r = desk.put("/api/v1/notify-targets/ops", &target).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = admin.put("/api/v1/notify-targets/ops", &target).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["error"]["fields"]["secret"].is_string(), "{}", r.body);
    let target = json!({"kind": "webhook", "url": "https://hooks.example.com/in", "secret": "0123456789abcdef0123"});
    let r = admin.put("/api/v1/notify-targets/ops", &target).await;
    assert_eq!((r.status, r.body["has_secret"].as_bool()), (StatusCode::OK, Some(true)), "{}", r.body);
    let listed = admin.get("/api/v1/notify-targets").await;
    assert!(!listed.body.to_string().contains("0123456789abcdef"), "secrets are never listed");
    let route =
        json!({"kind": "response_timeout", "audiences": ["supervisor"], "channels": ["email"], "targets": ["nope"]});
    let r = admin.put("/api/v1/notice-routes", &route).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let route =
        json!({"kind": "response_timeout", "audiences": ["supervisor"], "channels": ["email"], "targets": ["ops"]});
    let r = admin.put("/api/v1/notice-routes", &route).await;
    assert_eq!((r.status, r.body["channels"][0].as_str()), (StatusCode::OK, Some("in_app")), "{}", r.body);
});

app_test!(the_worker_mails_the_specialist_and_posts_to_the_desk_webhook, |t| {
    let org = &t.org;
    let (admin, desk) = (t.api(&org.admin).await, t.api(&org.desk).await);
    let target = json!({"kind": "webhook", "url": t.robot_url("/hooks/desk"), "secret": "0123456789abcdef0123"});
    let r = admin.put("/api/v1/notify-targets/desk", &target).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let route = json!({"kind": "repeat_report", "audiences": ["project_specialist"], "channels": ["email"], "targets": ["desk"]});
    let r = admin.put("/api/v1/notice-routes", &route).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The same device and fault twice: a repeat report, for the specialist and the desk's hook.
    for _ in 0..2 {
        let r = desk.post("/api/v1/tickets", &registration(org, "复印时第二纸盒卡纸，报警 J-7012")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    assert!(t.mail().is_empty() && t.robot_posts().is_empty(), "nothing leaves before the worker runs");
    let sweep = t.work().await;
    assert_eq!(sweep.failed, 0, "{sweep:?}");
    let mail = t.mail();
    assert!(
        mail.iter().any(|m| m.rcpt_to.iter().any(|to| to.contains(&format!("{}@", org.specialist.user.username)))),
        "{:?}",
        mail.iter().map(|m| &m.rcpt_to).collect::<Vec<_>>()
    );
    let posts = t.robot_posts();
    assert_eq!(posts.len(), 1, "one post to the desk's hook");
    assert_eq!(posts[0].uri.path(), "/hooks/desk");
    assert!(posts[0].json().to_string().contains("repeat_report"), "{}", posts[0].json());
});
