//! The OpenAPI document is what integrators build against: any change to it must be seen.

#[test]
fn openapi_document_is_3_1_and_unchanged() {
    let doc = aftersales_web::openapi::document();
    let json = doc;
    assert_eq!(json["openapi"], "3.1.0");
    insta::assert_json_snapshot!("openapi", json);
}

#[test]
fn every_route_is_documented() {
    let doc = serde_json::to_value(aftersales_web::openapi::document()).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/healthz",
        "/api/v1/tickets",
        "/api/v1/tickets/{id}",
        "/api/v1/tickets/{id}/transitions",
        "/api/v1/tickets/{id}/events",
        "/api/v1/tickets/{id}/worklog",
        "/api/v1/priority-requests/{id}/decision",
        "/api/v1/grading-scheme",
    ] {
        assert!(paths.contains_key(p), "{p} missing from the OpenAPI document");
    }
}
