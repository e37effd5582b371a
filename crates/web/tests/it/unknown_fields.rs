//! Bodies refuse fields they do not know, the calendar and the grading scheme included
//! (issue 11: a typo left a calendar without holidays).

use aftersales_testkit::{Org, db_test};
use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{Client, error_fields, token};

db_test!(calendars_and_the_grading_scheme_refuse_unknown_fields, |db| {
    let org = Org::create(&db.app).await;
    let c = Client::new(&db);
    let admin = token(&db, &org.admin).await;
    let mut cal = c.get("/api/v1/calendars/cn", &admin).await.body;
    assert!(cal["holiday_set"].is_string(), "{cal}");
    let before = cal.clone();
    let spec = cal.as_object_mut().unwrap();
    spec.remove("holiday_years");
    spec.remove("day_minutes");
    let set = spec.remove("holiday_set").unwrap();
    spec.insert("holidays".into(), set);
    let r = c.send(Method::PUT, "/api/v1/calendars/cn", Some(&admin), Some(&cal), &[]).await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::BAD_REQUEST, vec!["holidays".into()]), "{}", r.body);
    assert_eq!(c.get("/api/v1/calendars/cn", &admin).await.body, before, "the calendar keeps its holidays");
    let mut cal = before.clone();
    cal.as_object_mut().unwrap().remove("holiday_years");
    cal.as_object_mut().unwrap().remove("day_minutes");
    cal["week"][0][0]["begin"] = json!("08:00");
    let r = c.send(Method::PUT, "/api/v1/calendars/cn", Some(&admin), Some(&cal), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("begin"), "{}", r.body);

    let mut scheme = c.get("/api/v1/grading-scheme", &admin).await.body;
    let before = scheme.clone();
    scheme["levels"][0]["respond_minute"] = json!(60);
    let r = c.send(Method::PUT, "/api/v1/grading-scheme", Some(&admin), Some(&scheme), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("respond_minute"), "{}", r.body);
    let r =
        c.send(Method::PUT, "/api/v1/grading-scheme", Some(&admin), Some(&json!({"levels": [], "note": 1})), &[]).await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::BAD_REQUEST, vec!["note".into()]), "{}", r.body);
    assert_eq!(c.get("/api/v1/grading-scheme", &admin).await.body, before);
});
