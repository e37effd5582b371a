//! Bodies refuse fields they do not know, the calendar and the grading scheme included
//! (issue 11: a typo left a calendar without holidays).

use aftersales_testkit::app_test;
use axum::http::StatusCode;
use serde_json::json;

use crate::support::error_fields;

app_test!(calendars_and_the_grading_scheme_refuse_unknown_fields, |t| {
    let admin = t.api(&t.org.admin).await;
    let mut cal = admin.get("/api/v1/calendars/cn").await.body;
    assert!(cal["holiday_set"].is_string(), "{cal}");
    let before = cal.clone();
    let spec = cal.as_object_mut().unwrap();
    spec.remove("holiday_years");
    spec.remove("day_minutes");
    let set = spec.remove("holiday_set").unwrap();
    spec.insert("holidays".into(), set);
    let r = admin.put("/api/v1/calendars/cn", &cal).await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::BAD_REQUEST, vec!["holidays".into()]), "{}", r.body);
    assert_eq!(admin.get("/api/v1/calendars/cn").await.body, before, "the calendar keeps its holidays");
    let mut cal = before.clone();
    cal.as_object_mut().unwrap().remove("holiday_years");
    cal.as_object_mut().unwrap().remove("day_minutes");
    cal["week"][0][0]["begin"] = json!("08:00");
    let r = admin.put("/api/v1/calendars/cn", &cal).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("begin"), "{}", r.body);

    let mut scheme = admin.get("/api/v1/grading-scheme").await.body;
    let before = scheme.clone();
    scheme["levels"][0]["respond_minute"] = json!(60);
    let r = admin.put("/api/v1/grading-scheme", &scheme).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("respond_minute"), "{}", r.body);
    let r = admin.put("/api/v1/grading-scheme", &json!({"levels": [], "note": 1})).await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::BAD_REQUEST, vec!["note".into()]), "{}", r.body);
    assert_eq!(admin.get("/api/v1/grading-scheme").await.body, before);
});
