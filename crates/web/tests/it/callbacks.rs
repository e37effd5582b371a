//! Callbacks over HTTP (issue 15): the worklist, an attempt with If-Match (428 without, 409
//! stale, 422 naming the field), the survey over the old and the new body, the pages, the
//! closure check and the archive's ZIP.

use aftersales_testkit::app_test;
use aftersales_testkit::client::ApiClient;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::support::registration;

app_test!(the_desk_works_a_callback_over_the_api_and_the_page, |t| {
    let org = &t.org;
    let (desk, dispatcher, eng, supervisor) = (
        t.api(&org.desk).await,
        t.api(&org.dispatcher).await,
        t.api(&org.eng_south).await,
        t.api(&org.supervisor).await,
    );
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
    step(&desk, json!({"action": "grade", "level": "P3", "reason": "单台设备"})).await;
    step(&dispatcher, json!({"action": "dispatch"})).await;
    step(&eng, json!({"action": "respond"})).await;
    step(&eng, json!({"action": "start"})).await;
    step(&eng, json!({"action": "resolve", "resolution": "清洁搓纸轮"})).await;
    step(&desk, json!({"action": "confirm_closure", "method": "callback"})).await;

    // The day's selection, run now by the desk (the worker runs it after the day).
    let day = "2024-03-15";
    let s = desk.send(axum::http::Method::POST, &format!("/api/v1/callbacks/selection?date={day}"), None, &[]).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    assert_eq!(s.body["callbacks"].as_array().unwrap().len(), 1, "{}", s.body);
    let cb = s.body["callbacks"][0]["id"].as_i64().unwrap();
    let bad = desk.get("/api/v1/callbacks/selection?date=15-03-2024").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);

    let list = supervisor.get("/api/v1/callbacks?status=pending").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["total"], 1);
    assert!(list.body["items"][0]["why"][0]["zh"].as_str().unwrap().starts_with("每日三分之一抽样"), "{}", list.body);
    assert_eq!(eng.get("/api/v1/callbacks").await.status, StatusCode::FORBIDDEN);
    let unknown = desk.get("/api/v1/callbacks?due=someday").await;
    assert!(unknown.status.is_client_error(), "{}", unknown.body);

    let one = desk.get(&format!("/api/v1/callbacks/{cb}")).await;
    assert_eq!(one.status, StatusCode::OK);
    let v0 = one.etag();
    let attempts = format!("/api/v1/callbacks/{cb}/attempts");
    // No If-Match: 428; an unknown outcome: 400 naming it; a stale version: 409.
    let r = desk.post(&attempts, &json!({"outcome": "no_answer"})).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED, "{}", r.body);
    let r = desk.post_if_match(&attempts, &json!({"outcome": "busy"}), &v0).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body["error"]["fields"]["outcome"].is_string(), "{}", r.body);
    let r = desk.post_if_match(&attempts, &json!({"outcome": "no_answer"}), &v0).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v1 = r.etag();
    let r = desk.post_if_match(&attempts, &json!({"outcome": "no_answer"}), &v0).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("stale_callback")),
        "{}",
        r.body
    );
    let r = desk.post_if_match(&attempts, &json!({"outcome": "no_answer", "note": "x\u{0}"}), &v1).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // The page: the desk reaches the customer and records the survey there.
    let mut b = t.browser(&org.desk).await;
    let p = b.get("/callbacks").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.html.contains("回访工作表") && p.html.contains("每日三分之一抽样"), "{}", p.html);
    let p = b.get(&format!("/callbacks/{cb}")).await;
    assert!(p.html.contains("无人接听"), "the attempt is listed");
    let csrf = p.csrf();
    let version = v1.trim_matches('"').to_owned();
    let (kind_field, note_field) =
        (format!("fb_kind_{}", org.eng_south.id()), format!("fb_note_{}", org.eng_south.id()));
    let post = b
        .post(
            &format!("/callbacks/{cb}/attempt"),
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("outcome", "reached"),
                ("result", "basic"),
                ("solved", "yes"),
                ("speed_ok", "no"),
                ("suggestions", "希望响应再快一些"),
                (kind_field.as_str(), "complaint"),
                (note_field.as_str(), "到场晚了半小时"),
            ],
        )
        .await;
    assert_eq!(post.status, StatusCode::SEE_OTHER, "{}", post.html);
    let p = b.follow(&post).await;
    assert!(p.html.contains("已回访") && p.html.contains("希望响应再快一些") && p.html.contains("投诉"), "{}", p.html);
    let ticket = desk.get(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!(ticket.body["survey_result"], "basic");

    // The closure check now finds the ticket complete; the archive exports it as a ZIP.
    let cc = supervisor.get(&format!("/api/v1/closure-check?from={day}&to={day}")).await;
    assert_eq!((cc.status, cc.body["total"].as_i64()), (StatusCode::OK, Some(0)), "{}", cc.body);
    let bad = supervisor.get(&format!("/api/v1/closure-check?from={day}&to=2024-01-01")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let zip = supervisor.get(&format!("/api/v1/archive/export?from={day}&to={day}")).await;
    assert_eq!(zip.status, StatusCode::OK);
    assert_eq!(zip.headers.get("content-type").unwrap(), "application/zip");
    let page = b.get(&format!("/archive?from={day}&to={day}")).await;
    assert!(page.html.contains("下载 ZIP"), "{}", page.html);
    let page = b.get(&format!("/closure-check?from={day}&to={day}")).await;
    assert!(page.html.contains("均已闭环"), "{}", page.html);
});
