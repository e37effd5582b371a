use aftersales_testkit::app_test;
use aftersales_testkit::client::{ApiClient, api_call};
use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::registration;

app_test!(a_ticket_is_taken_from_registration_to_closure_over_http, |t| {
    let org = &t.org;
    let (desk, dispatcher, eng, customer) =
        (t.api(&org.desk).await, t.api(&org.dispatcher).await, t.api(&org.eng_south).await, t.api(&org.portal_b).await);
    let r = desk.post("/api/v1/tickets", &registration(org, "复印时第二纸盒卡纸，报警 J-7012")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!((r.body["number"].as_str(), r.etag().as_str()), (Some("20240315-001"), "\"1\""));
    let id = r.body["id"].as_i64().unwrap();
    let path = format!("/api/v1/tickets/{id}/transitions");
    let mut etag = r.etag();
    for (who, body) in [
        (&desk, json!({"action": "accept"})),
        (&desk, json!({"action": "grade", "level": "P2", "reason": "影响报销"})),
        (&dispatcher, json!({"action": "dispatch"})),
        (&eng, json!({"action": "respond", "note": "已电话联系"})),
        (&eng, json!({"action": "start", "plan": "上门更换搓纸轮"})),
        (&eng, json!({"action": "resolve", "resolution": "更换搓纸轮"})),
        (&customer, json!({"action": "confirm_closure"})),
    ] {
        let r = who.post_if_match(&path, &body, &etag).await;
        assert_eq!(r.status, StatusCode::OK, "{body}: {}", r.body);
        etag = r.etag();
    }
    let r = customer.get(&format!("/api/v1/tickets/{id}")).await;
    assert_eq!((r.body["status"].as_str(), r.etag()), (Some("closed"), etag));
    let events = desk.get(&format!("/api/v1/tickets/{id}/events")).await;
    let steps = events.body.as_array().unwrap().iter().filter(|e| e["action"] != "notice").count();
    assert_eq!(steps, 8, "{}", events.body);
    // The customer reads the same history as milestones, without the grading or the notices.
    let theirs = customer.get(&format!("/api/v1/tickets/{id}/events")).await;
    let milestones: Vec<&str> =
        theirs.body.as_array().unwrap().iter().filter_map(|e| e["milestone"].as_str()).collect();
    assert_eq!(
        milestones,
        [
            "submitted",
            "accepted",
            "engineer_assigned",
            "engineer_contacted",
            "work_started",
            "resolved",
            "closure_confirmed"
        ]
    );
    let text = theirs.body.to_string() + &customer.get(&format!("/api/v1/tickets/{id}")).await.body.to_string();
    for internal in ["影响报销", "P2", "上门更换搓纸轮", "已电话联系", "priority", "clocks"] {
        assert!(!text.contains(internal), "{internal} reached the customer: {text}");
    }
});

app_test!(requests_without_a_valid_token_are_refused, |t| {
    let r = api_call(&t.router, Method::GET, "/api/v1/tickets", None, None, &[]).await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
    assert_eq!(r.headers.get("www-authenticate").unwrap(), "Bearer");
    let r = ApiClient::new(t.router.clone(), "as_0000".into()).get("/api/v1/tickets").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let me = t.api(&t.org.desk).await.get("/api/v1/me").await;
    assert_eq!(me.body["role"], "desk_agent");
});

app_test!(changes_need_the_current_etag, |t| {
    let org = &t.org;
    let desk = t.api(&org.desk).await;
    let r = desk.post("/api/v1/tickets", &registration(org, "复印时卡纸，报警 J-7012")).await;
    let path = format!("/api/v1/tickets/{}/transitions", r.body["id"]);
    let r = desk.post(&path, &json!({"action": "accept"})).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::PRECONDITION_REQUIRED, Some("precondition_required"))
    );
    let r = desk.post_if_match(&path, &json!({"action": "accept"}), "\"1\"").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = desk.post_if_match(&path, &json!({"action": "cancel", "reason": "invalid"}), "\"1\"").await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        (r.body["current"]["status"].as_str(), r.body["current"]["version"].as_i64()),
        (Some("accepted"), Some(2))
    );
    assert_eq!(r.etag(), "\"2\"");
    let r = desk.post_if_match(&path, &json!({"action": "resolve", "resolution": "x"}), "\"2\"").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a desk agent may not resolve");
    let r = desk.post_if_match(&path, &json!({"action": "accept"}), "\"2\"").await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("illegal_transition")));
    assert!(r.body["error"]["message"].as_str().unwrap().contains("已受理"));
});

app_test!(retries_with_an_idempotency_key_are_answered_once, |t| {
    let org = &t.org;
    let desk = t.api(&org.desk).await;
    let body = registration(org, "复印时卡纸，报警 J-7012");
    let first = desk.send(Method::POST, "/api/v1/tickets", Some(&body), &[("idempotency-key", "phone-42")]).await;
    let again = desk.send(Method::POST, "/api/v1/tickets", Some(&body), &[("idempotency-key", "phone-42")]).await;
    assert_eq!((first.status, again.status), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(first.body, again.body);
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    let other = registration(org, "彩色打印偏色，报警 C-3101");
    let r = desk.send(Method::POST, "/api/v1/tickets", Some(&other), &[("idempotency-key", "phone-42")]).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("idempotency_key_reused"))
    );
    let list = desk.get("/api/v1/tickets").await;
    assert_eq!(list.body["total"], 1);
});

app_test!(bad_input_is_named_and_localized, |t| {
    let org = &t.org;
    let desk = t.api(&org.desk).await;
    let r = desk.post("/api/v1/tickets", &json!({"customer_id": org.customer_b.id})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&String> = r.body["error"]["fields"].as_object().unwrap().keys().collect();
    assert_eq!(fields, ["contact_phone", "description", "impact_scope", "occurred_at"]);
    assert!(r.body["error"]["message"].as_str().unwrap().contains("故障描述"), "{}", r.body);
    let en = desk
        .send(
            Method::POST,
            "/api/v1/tickets",
            Some(&registration(org, "坏了")),
            &[("accept-language", "en-US,en;q=0.9")],
        )
        .await;
    assert_eq!(en.headers.get("content-language").unwrap(), "en");
    assert!(en.body["error"]["fields"]["description"].as_str().unwrap().contains("too vague"), "{}", en.body);
    let r = desk.post("/api/v1/tickets", &json!({"kind": "broken"})).await;
    assert_eq!(
        (r.status, r.body["error"]["fields"].get("kind").is_some()),
        (StatusCode::BAD_REQUEST, true),
        "{}",
        r.body
    );
    let r = desk.post("/api/v1/tickets", &json!({"customer": 1})).await;
    assert_eq!(
        (r.status, r.body["error"]["fields"].get("customer").is_some()),
        (StatusCode::BAD_REQUEST, true),
        "{}",
        r.body
    );
    let r = desk.get("/api/v1/tickets?sort=password").await;
    assert_eq!(
        (r.status, r.body["error"]["fields"].get("sort").is_some()),
        (StatusCode::UNPROCESSABLE_ENTITY, true),
        "{}",
        r.body
    );
    let r = desk.get("/api/v1/tickets?owner=1").await;
    assert_eq!(
        (r.status, r.body["error"]["fields"].get("owner").is_some()),
        (StatusCode::BAD_REQUEST, true),
        "{}",
        r.body
    );
    let r = desk.get("/api/v1/tickets/abc").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = desk.get("/api/v1/tickets/999999").await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let huge = json!({"description": "卡".repeat(300_000)});
    let r = desk.post("/api/v1/tickets", &huge).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let r = desk.get("/api/v1/nowhere").await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("no_route")));
});

app_test!(lists_filter_sort_and_page_by_allowed_fields, |t| {
    let org = &t.org;
    let desk = t.api(&org.desk).await;
    for i in 0..5 {
        let r = desk.post("/api/v1/tickets", &registration(org, &format!("复印第 {i} 次卡纸，报警 J-7012"))).await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let r = desk.get("/api/v1/tickets?status=registered&sort=number&per_page=2&page=2").await;
    assert_eq!((r.body["total"].as_u64(), r.body["items"].as_array().unwrap().len()), (Some(5), 2));
    assert_eq!(r.body["items"][0]["number"], "20240315-003");
    let r = desk.get("/api/v1/tickets?status=closed").await;
    assert_eq!(r.body["total"], 0);
    let r =
        desk.get(&format!("/api/v1/tickets?customer_id={}&created_from=2024-03-15T00:00:00Z", org.customer_b.id)).await;
    assert_eq!(r.body["total"], 5);
    let r = desk.get("/api/v1/tickets?per_page=1000").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
});

app_test!(script_in_a_description_is_stored_and_returned_as_plain_text, |t| {
    let org = &t.org;
    let desk = t.api(&org.desk).await;
    let script = "<script>alert(1)</script> 打印时报警 E02，<img src=x onerror=alert(2)>";
    let r = desk.post("/api/v1/tickets", &registration(org, script)).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.headers.get("content-type").unwrap(), "application/json");
    let r = desk.get(&format!("/api/v1/tickets/{}", r.body["id"])).await;
    assert_eq!(r.body["description"], script);
});

app_test!(another_customers_ticket_does_not_exist_for_a_contact, |t| {
    let org = &t.org;
    let desk = t.api(&org.desk).await;
    let outsider = t.api(&org.portal_window_a).await;
    let r = desk.post("/api/v1/tickets", &registration(org, "复印时卡纸，报警 J-7012")).await;
    let (id, number) = (r.body["id"].clone(), r.body["number"].as_str().unwrap().to_owned());
    for path in [
        format!("/api/v1/tickets/{id}"),
        format!("/api/v1/tickets/{id}/events"),
        format!("/api/v1/tickets/{id}/worklog"),
        format!("/api/v1/tickets/by-number/{number}"),
        format!("/api/v1/customers/{}", org.customer_b.id),
        format!("/api/v1/customers/{}/contacts", org.customer_b.id),
        format!("/api/v1/devices/{}", org.device_b.id),
        format!("/api/v1/devices/by-serial/{}", org.device_b.serial),
    ] {
        let r = outsider.get(&path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
    }
    let r = outsider.get("/api/v1/tickets").await;
    assert_eq!(r.body["total"], 0);
    let r = outsider.get("/api/v1/customers").await;
    assert_eq!(r.body["total"], 1, "only their own organization");
    let r = outsider
        .post(&format!("/api/v1/tickets/{id}/worklog"), &json!({"kind": "customer_message", "body": "hi"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = outsider.get("/api/v1/users").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
});
