//! The time a problem occurred lies between the device's purchase (and a horizon) and now.

use aftersales_testkit::app_test;
use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{error_fields, registration, ticket_count};

app_test!(the_time_a_problem_occurred_must_follow_the_purchase_and_lie_within_a_year, |t| {
    let desk = t.api(&t.org.desk).await;
    let at = |occurred: &str| {
        let mut r = registration(&t.org, "复印时卡纸，报警 J-7012");
        r["occurred_at"] = json!(occurred);
        r
    };
    // Without a known device: the horizon (a year by default) refuses the epoch.
    let mut epoch = at("1970-01-01T00:00:00Z");
    epoch.as_object_mut().unwrap().remove("device_serial");
    let r = desk.post("/api/v1/tickets", &epoch).await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["occurred_at".into()]));
    assert_eq!(r.body["error"]["fields"]["occurred_at"], "发生时间过早：只能登记 365 天内发生的问题");
    // Device B was bought on 2023-06-01 (Asia/Shanghai); the clock says 2024-03-15.
    let r = desk
        .send(Method::POST, "/api/v1/tickets", Some(&at("2023-05-31T23:59:00+08:00")), &[("accept-language", "en")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["error"]["fields"]["occurred_at"], "is before the device was purchased");
    let r = desk.post("/api/v1/tickets", &at("2024-03-16T08:30:00+08:00")).await;
    assert_eq!(r.body["error"]["fields"]["occurred_at"], "发生时间不能晚于当前时间", "{}", r.body);
    assert_eq!(ticket_count(&t.db, &t.org).await, 0);
    let r = desk.post("/api/v1/tickets", &at("2023-06-01T00:00:00+08:00")).await;
    assert_eq!(r.status, StatusCode::CREATED, "on the day of the purchase: {}", r.body);
    // An edit that moves the time is held to the same bounds; one that keeps it is not.
    let path = format!("/api/v1/tickets/{}", r.body["id"]);
    let r = desk
        .send(Method::PATCH, &path, Some(&json!({"occurred_at": "2020-01-01T00:00:00Z"})), &[("if-match", "\"1\"")])
        .await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["occurred_at".into()]));
    let r = desk
        .send(Method::PATCH, &path, Some(&json!({"impact_scope": "财务部两台复印机"})), &[("if-match", "\"1\"")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
});
