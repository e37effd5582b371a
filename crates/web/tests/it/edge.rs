//! Every input is checked at the edge before a handler decodes it (control characters,
//! issue 11), and every error of the API has the JSON error shape, 413 included.

use aftersales_testkit::app_test;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::pages::{ORIGIN, PASSWORD, form_encode, request, sign_in};
use crate::support::{error_fields, registration, ticket_count};

app_test!(control_characters_are_refused_on_every_input_naming_the_field, |t| {
    let org = &t.org;
    let desk = t.api(&org.desk).await;

    // A JSON body: the registration's description.
    let r = desk.post("/api/v1/tickets", &registration(org, "复印时卡纸\u{0}，报警 J-7012")).await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["description".into()]));
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("故障描述") && message.contains("U+0000"), "{message}");
    let en = desk
        .send(
            Method::POST,
            "/api/v1/tickets",
            Some(&registration(org, "复印时卡纸\u{1b}[2J")),
            &[("accept-language", "en")],
        )
        .await;
    assert_eq!(en.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(en.body["error"]["fields"]["description"].as_str().unwrap().contains("control character (U+001B)"));
    // Through the Json extractor too, at any depth, named by its path.
    let admin = t.api(&org.admin).await;
    let mut scheme = admin.get("/api/v1/grading-scheme").await.body;
    let before = scheme.clone();
    scheme["levels"][1]["name_zh"] = json!("重要\u{7}");
    let r = admin.put("/api/v1/grading-scheme", &scheme).await;
    assert_eq!(
        (r.status, error_fields(&r.body)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["levels[1].name_zh".into()]),
        "{}",
        r.body
    );
    assert_eq!(admin.get("/api/v1/grading-scheme").await.body, before, "nothing changed");

    // Tab and line breaks stay allowed in free text, CRLF included (a browser's textarea).
    let ok = desk.post("/api/v1/tickets", &registration(org, "复印时卡纸\r\n报警\tJ-7012\n每十张一次")).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    assert_eq!(ticket_count(&t.db, org).await, 1, "only the clean registration is stored");

    // A query parameter and path parameters.
    let r = desk.get("/api/v1/customers?q=%E5%8D%97%00").await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["q".into()]));
    assert!(r.body["error"]["message"].as_str().unwrap().contains("搜索词"), "{}", r.body);
    let r = desk.get("/api/v1/tickets/by-number/20240315-001%00").await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["number".into()]));
    let r = desk.get("/api/v1/devices/by-serial/B7C8%0A000456").await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["serial".into()]));

    // The sign-in form, without an account: a page that names the field, no session.
    let form = format!("username=nobody%00&password={PASSWORD}");
    let p = request(&t.db, Method::POST, "/login", None, Some(&form), &[("origin", ORIGIN)]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("用户名") && p.html.contains("U+0000"), "{}", p.html);
    assert!(p.headers.get("set-cookie").is_none());

    // A page form: the registration form, complete but for a NUL in the description.
    let cookie = sign_in(&t.db, &org.desk).await;
    let csrf = crate::pages::get(&t.db, "/tickets/new", &cookie).await.csrf();
    let description = format!("{}%00", form_encode("第二纸盒卡纸，面板提示 E-201，每打印十张左右出现一次"));
    let form = format!(
        "csrf={csrf}&customer_id={}&contact_id={}&channel=phone&kind=fault&category_id={}&device_id={}\
         &fault_code=E-201&description={description}&occurred_at=2024-03-15T08:30&impact_scope={}",
        org.customer_a.id,
        org.other_a.id,
        org.paper_jam.id,
        org.device_a.id,
        form_encode("财务部一台复印机")
    );
    let p = crate::pages::post(&t.db, "/tickets/new", &cookie, &form).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("故障描述"), "{}", p.html);
    let en = request(
        &t.db,
        Method::POST,
        "/tickets/new",
        Some(&cookie),
        Some(&form),
        &[("origin", ORIGIN), ("accept-language", "en")],
    )
    .await;
    assert!(en.html.contains("description contains a control character (U+0000)"), "{}", en.html);
    // The same form without the NUL registers: the refusal was the character, nothing else.
    let clean = form.replace("%00", "");
    let p = crate::pages::post(&t.db, "/tickets/new", &cookie, &clean).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    assert_eq!(ticket_count(&t.db, org).await, 2);
});

app_test!(every_api_error_has_the_json_error_shape, |t| {
    let org = &t.org;
    let desk = t.api(&org.desk).await;
    let r = desk.post("/api/v1/tickets", &registration(org, "复印时卡纸，报警 J-7012")).await;
    let transitions = format!("/api/v1/tickets/{}/transitions", r.body["id"]);
    let big = json!({"action": "cancel", "reason": "invalid", "note": "卡".repeat(100 * 1024)});
    for path in ["/api/v1/tickets", transitions.as_str()] {
        let r = desk.post_if_match(path, &big, "\"1\"").await;
        assert_eq!(
            (r.status, r.body["error"]["code"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")),
            "{path}: {}",
            r.body
        );
        assert!(r.body["error"]["message"].as_str().unwrap().contains("256 KiB"));
        // Whatever the body claims to be.
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("authorization", format!("Bearer {}", desk.token()))
            .header("content-type", "text/plain")
            .header("accept-language", "en")
            .body(Body::from(vec![b'x'; 300 * 1024]))
            .unwrap();
        let res = t.router.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(res.headers()["content-type"], "application/json");
        let body: Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains("too large"), "{body}");
    }
    assert_eq!(t.app().ticket(&org.admin, r.body["id"].as_i64().unwrap()).await.unwrap().version, 1);
    // An answer of the framework, not of a handler: a method the route does not have.
    let r = desk.send(Method::DELETE, "/api/v1/tickets", None, &[]).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed")),
        "{}",
        r.body
    );
});
