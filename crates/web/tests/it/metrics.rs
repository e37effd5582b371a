//! `/metrics` (issue 18): Prometheus text with the requests by route template and status
//! and the database's gauges, answered only to the allowed addresses or the token.

use std::net::SocketAddr;

use aftersales_app::MetricsAccess;
use aftersales_testkit::client::call;
use aftersales_testkit::{Org, db_test};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};

use crate::support::{Client, registration, token};

/// The gauges are the process's: one scrape at a time, so a test reads what it set.
static SCRAPES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn scrape(router: &axum::Router, from: Option<&str>, bearer: Option<&str>) -> (StatusCode, String) {
    let mut req = Request::builder().uri("/metrics");
    if let Some(t) = bearer {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let mut req = req.body(Body::empty()).unwrap();
    if let Some(ip) = from {
        let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(addr));
    }
    let (status, _, body) = call(router, req).await;
    (status, String::from_utf8(body).unwrap())
}

/// The value of the sample `name{labels}` in a scrape.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

db_test!(metrics_report_requests_and_the_database_to_the_loopback_only, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let client = Client::new(&db);
    let desk = token(&db, &org.desk).await;
    for i in 0..2 {
        let r = client.post("/api/v1/tickets", &desk, &registration(&org, &format!("复印机卡纸 {i}")), &[]).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let missing = client.get("/api/v1/tickets/73210987", &desk).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let _one = SCRAPES.lock().await;
    let (status, text) = scrape(&client.router, Some("127.0.0.1"), None).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    // Requests by route template (never the id in the path) and status.
    let created = sample(&text, r#"http_requests_total{method="POST",route="/api/v1/tickets",status="201"}"#);
    assert!(created.is_some_and(|n| n >= 2.0), "{text}");
    assert!(text.contains(r#"route="/api/v1/tickets/{id}",status="404""#), "{text}");
    assert!(!text.contains("tickets/73210987"), "a path's id made a series of its own");
    assert!(text.contains("http_request_duration_seconds_bucket{"), "latency is a histogram: {text}");
    // The database's contents: this test's tickets, every status listed.
    let registered = app.tickets(&org.admin, &Default::default()).await.unwrap().total as f64;
    assert_eq!(sample(&text, r#"aftersales_tickets{status="registered"}"#), Some(registered), "{text}");
    assert_eq!(sample(&text, r#"aftersales_tickets{status="closed"}"#), Some(0.0), "{text}");
    assert!(sample(&text, "aftersales_jobs_due").is_some(), "{text}");
    assert!(sample(&text, r#"aftersales_deliveries{state="dead"}"#).is_some(), "{text}");
    assert!(text.contains("aftersales_build_info{"), "{text}");
    assert!(sample(&text, r#"aftersales_db_connections{state="idle"}"#).is_some(), "{text}");

    // Anyone else is refused, saying what would let them in.
    let (status, text) = scrape(&client.router, Some("10.1.2.3"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.contains("metrics.allow"), "{text}");
    let (status, _) = scrape(&client.router, None, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an unknown peer is not the loopback");
});

db_test!(metrics_take_the_token_or_the_allowed_networks, |db| {
    let secret = "m3tr1cs-t0ken-for-prometheus";
    let app = db.app.clone().with_settings(|s| {
        s.metrics = MetricsAccess { token: Some(secret.into()), allow: vec!["10.0.0.0/8".parse().unwrap()] }
    });
    let router = aftersales_web::router(app);
    let _one = SCRAPES.lock().await;
    // With a token set, the loopback needs it too (a proxy on this host would be loopback).
    let (status, text) = scrape(&router, Some("127.0.0.1"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(text.contains("metrics.token"), "{text}");
    let (status, _) = scrape(&router, Some("192.0.2.7"), Some("wrong-token-wrong-token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, text) = scrape(&router, Some("192.0.2.7"), Some(secret)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("aftersales_tickets{"), "{text}");
    // The allowed network needs no token; its neighbour does.
    assert_eq!(scrape(&router, Some("10.200.0.9"), None).await.0, StatusCode::OK);
    assert_eq!(scrape(&router, Some("11.0.0.1"), None).await.0, StatusCode::UNAUTHORIZED);
    // An API token is not the metrics token.
    let org = Org::create(&db.app).await;
    let admin = token(&db, &org.admin).await;
    assert_eq!(scrape(&router, Some("192.0.2.7"), Some(&admin)).await.0, StatusCode::UNAUTHORIZED);
});
