//! One rule counts reopens: a person's and a dissatisfied survey's.

use aftersales_testkit::app_test;
use aftersales_testkit::client::ApiClient;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::registration;

app_test!(a_dissatisfied_survey_counts_as_a_reopen_like_a_manual_one, |t| {
    let org = &t.org;
    let (desk, dispatcher, eng, customer) =
        (t.api(&org.desk).await, t.api(&org.dispatcher).await, t.api(&org.eng_south).await, t.api(&org.portal_b).await);
    let r = desk.post("/api/v1/tickets", &registration(org, "复印时第二纸盒卡纸，报警 J-7012")).await;
    let id = r.body["id"].as_i64().unwrap();
    let path = format!("/api/v1/tickets/{id}/transitions");
    let mut etag = r.etag();
    let mut step = async |who: &ApiClient, body: Value| -> Value {
        let r = who.post_if_match(&path, &body, &etag).await;
        assert_eq!(r.status, StatusCode::OK, "{body}: {}", r.body);
        etag = r.etag();
        r.body["ticket"].clone()
    };
    step(&desk, json!({"action": "accept"})).await;
    step(&desk, json!({"action": "grade", "level": "P2", "reason": "影响报销"})).await;
    step(&dispatcher, json!({"action": "dispatch"})).await;
    step(&eng, json!({"action": "respond"})).await;
    step(&eng, json!({"action": "start"})).await;
    step(&eng, json!({"action": "resolve", "resolution": "清洁搓纸轮"})).await;
    // Surveyed before the customer confirmed: dissatisfied sends it back, counted as a reopen.
    let t = step(&desk, json!({"action": "record_survey", "result": "dissatisfied"})).await;
    assert_eq!(
        (t["status"].as_str(), t["reopen_count"].as_i64(), t["customer_refusals"].as_i64()),
        (Some("in_progress"), Some(1), Some(0)),
        "{t}"
    );
    step(&eng, json!({"action": "resolve", "resolution": "更换搓纸轮"})).await;
    step(&customer, json!({"action": "confirm_closure"})).await;
    let t = step(&desk, json!({"action": "reopen", "reason": "客户来电称再次卡纸"})).await;
    assert_eq!((t["status"].as_str(), t["reopen_count"].as_i64()), (Some("in_progress"), Some(2)), "{t}");
    step(&eng, json!({"action": "resolve", "resolution": "更换分离垫"})).await;
    step(&customer, json!({"action": "confirm_closure"})).await;
    let t = step(&desk, json!({"action": "record_survey", "result": "dissatisfied"})).await;
    assert_eq!((t["status"].as_str(), t["reopen_count"].as_i64()), (Some("in_progress"), Some(3)), "{t}");
    let events = desk.get(&format!("/api/v1/tickets/{id}/events")).await.body;
    let counted = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["changes"].as_array().unwrap().iter().any(|ch| ch["field"] == "reopen_count"))
        .count();
    assert_eq!(counted, 3, "each reopen is in the history");
});
