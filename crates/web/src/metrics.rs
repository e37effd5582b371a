//! `/metrics` in Prometheus' text format, and one log line per request (issue 18).
//!
//! Every crate records through the `metrics` facade; this module installs the Prometheus
//! recorder once per process and renders it. Recorded as they happen: HTTP requests and
//! their latency by route template and status (here), the write queue's wait (storage),
//! notices raised by kind and delivery attempts by channel and result (app). Read from the
//! database at each scrape: tickets by status, jobs due and overdue, deliveries not sent by
//! state, the pool's use; and the build.
//!
//! Who may read it: with `metrics.token` set, a request carrying `Authorization: Bearer
//! <token>`, or coming from an address of `metrics.allow`; with no token, the addresses of
//! `metrics.allow`, which by default is the loopback addresses only. Behind a reverse proxy
//! the client's address is read as for sign-in throttling (`trusted_proxies`).

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use aftersales_domain::notice::DeliveryState;
use aftersales_domain::ticket::Status;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Extension, RequestExt as _};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::AppState;

/// Latency buckets (seconds) of every `…_seconds` histogram: 1 ms to 30 s.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's Prometheus recorder (the first call does; later ones find it).
/// `None` when another recorder was installed first (then `/metrics` says so).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder =
                match PrometheusBuilder::new().set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS) {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!(error = %e, "metrics buckets refused");
                        return None;
                    }
                };
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => {
                    describe();
                    Some(handle)
                }
                Err(e) => {
                    tracing::error!(error = %e, "another metrics recorder is installed: /metrics reports nothing");
                    None
                }
            }
        })
        .as_ref()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!("http_requests_total", "HTTP requests answered, by method, route template and status");
    describe_histogram!("http_request_duration_seconds", Unit::Seconds, "Time to answer an HTTP request");
    describe_histogram!("aftersales_db_write_wait_seconds", Unit::Seconds, "Time a write waited for its transaction");
    describe_counter!("aftersales_notices_raised_total", "Notices raised, by kind");
    describe_counter!("aftersales_delivery_attempts_total", "Delivery attempts, by channel and result");
    describe_gauge!("aftersales_tickets", "Tickets by status");
    describe_gauge!("aftersales_jobs_due", "Background jobs whose time has come");
    describe_gauge!("aftersales_jobs_overdue", "Background jobs waiting over five minutes past their time");
    describe_gauge!("aftersales_deliveries", "Deliveries not yet sent, by state");
    describe_gauge!("aftersales_db_connections", "Database connections, by state");
    describe_gauge!("aftersales_db_writers_waiting", "Writers waiting for the write lock (SQLite)");
    describe_gauge!("aftersales_build_info", "The running version and database");
}

/// Where the route layer notes which route answered, and the auth extractors who asked.
#[derive(Clone, Default)]
pub(crate) struct RequestNotes {
    route: Arc<OnceLock<String>>,
    user: Arc<OnceLock<i64>>,
}

impl RequestNotes {
    /// Notes the signed-in caller of this request (for its log line).
    pub(crate) fn user(parts: &axum::http::request::Parts, id: i64) {
        if let Some(n) = parts.extensions.get::<RequestNotes>() {
            let _ = n.user.set(id);
        }
    }
}

/// Inside routing: notes the route template that matched (never the path itself, which
/// would make a series per ticket and can carry a token).
pub(crate) async fn note_route(request: Request, next: Next) -> Response {
    if let (Some(notes), Some(path)) =
        (request.extensions().get::<RequestNotes>(), request.extensions().get::<MatchedPath>())
    {
        let _ = notes.route.set(path.as_str().to_owned());
    }
    next.run(request).await
}

/// Around everything: counts and times each request, and logs it with its route, status,
/// time and the caller's user id (no query string, header or body: no token or password).
pub(crate) async fn track(mut request: Request, next: Next) -> Response {
    let start = Instant::now();
    let notes = RequestNotes::default();
    request.extensions_mut().insert(notes.clone());
    // Any token is a method to HTTP: only the standard ones get a series of their own.
    let method = match *request.method() {
        ref m @ (axum::http::Method::GET
        | axum::http::Method::POST
        | axum::http::Method::PUT
        | axum::http::Method::PATCH
        | axum::http::Method::DELETE
        | axum::http::Method::HEAD
        | axum::http::Method::OPTIONS) => m.as_str().to_owned(),
        _ => "other".to_owned(),
    };
    let response = next.run(request).await;
    let elapsed = start.elapsed();
    let route = notes.route.get().cloned().unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status().as_u16();
    let labels = [("method", method.clone()), ("route", route.clone()), ("status", status.to_string())];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
    let ms = (elapsed.as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
    match notes.user.get() {
        Some(user) => tracing::info!(target: "aftersales::http", %method, %route, status, ms, user, "request"),
        None => tracing::info!(target: "aftersales::http", %method, %route, status, ms, "request"),
    }
    response
}

/// Whether the request may read `/metrics`, or why not.
fn admitted(state: &AppState, headers: &HeaderMap, client: Option<IpAddr>) -> Result<(), (StatusCode, &'static str)> {
    let access = &state.app.settings().metrics;
    // A request a reverse proxy on this host passed on comes from the loopback address too:
    // one that carries forwarding headers is not "local" unless that proxy is trusted (then
    // `client` is already the address it names).
    let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"].iter().any(|h| headers.contains_key(*h));
    let local = client.is_some_and(|ip| ip.to_canonical().is_loopback()) && !forwarded;
    let from_allowed = client.is_some_and(|ip| {
        let ip = ip.to_canonical();
        if access.allow.is_empty() {
            // No list: the loopback addresses, unless a token is set (then it is needed).
            access.token.is_none() && local
        } else {
            access.allow.iter().any(|n| n.contains(&ip))
        }
    });
    if from_allowed {
        return Ok(());
    }
    let Some(token) = access.token.as_deref() else {
        return Err((
            StatusCode::FORBIDDEN,
            "/metrics answers only the addresses in the metrics.allow setting (by default the loopback addresses), or requests with the metrics.token",
        ));
    };
    match crate::extract::bearer(headers) {
        Some(g) if crate::pages::constant_time_eq(g.as_bytes(), token.as_bytes()) => Ok(()),
        Some(_) => Err((StatusCode::UNAUTHORIZED, "the bearer token is not the metrics.token setting")),
        None => Err((StatusCode::UNAUTHORIZED, "/metrics needs Authorization: Bearer <metrics.token>")),
    }
}

/// `GET /metrics`.
pub(crate) async fn metrics(State(state): State<AppState>, mut request: Request) -> Response {
    let peer = request
        .extract_parts::<Extension<ConnectInfo<SocketAddr>>>()
        .await
        .ok()
        .map(|Extension(ConnectInfo(a))| a.ip());
    let headers = request.headers();
    let client =
        crate::pages::client_address(headers, peer, &state.app.settings().trusted_proxies).parse::<IpAddr>().ok();
    if let Err((status, why)) = admitted(&state, headers, client) {
        return (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], why).into_response();
    }
    let Some(handle) = install() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "another metrics recorder is installed in this process")
            .into_response();
    };
    let (gauges, pool) = match state.app.gauges().await {
        Ok(g) => g,
        Err(e) => {
            tracing::error!(error = %e, "reading the gauges for /metrics");
            return (StatusCode::SERVICE_UNAVAILABLE, "the database did not answer").into_response();
        }
    };
    // Every status and state is reported, with 0 when none is in it (else a series would
    // keep its last value after its last ticket left it).
    for status in Status::ALL {
        let n = gauges.tickets.iter().find(|(s, _)| s == status.code()).map(|(_, n)| *n).unwrap_or(0);
        metrics::gauge!("aftersales_tickets", "status" => status.code()).set(n as f64);
    }
    for state in DeliveryState::ALL.iter().filter(|s| **s != DeliveryState::Sent) {
        let n = gauges.deliveries.iter().find(|(s, _)| s == state.code()).map(|(_, n)| *n).unwrap_or(0);
        metrics::gauge!("aftersales_deliveries", "state" => state.code()).set(n as f64);
    }
    metrics::gauge!("aftersales_jobs_due").set(gauges.jobs_due as f64);
    metrics::gauge!("aftersales_jobs_overdue").set(gauges.jobs_overdue as f64);
    let idle = pool.idle as f64;
    metrics::gauge!("aftersales_db_connections", "state" => "idle").set(idle);
    metrics::gauge!("aftersales_db_connections", "state" => "busy").set((f64::from(pool.size) - idle).max(0.0));
    metrics::gauge!("aftersales_db_writers_waiting").set(pool.writers_waiting as f64);
    metrics::gauge!("aftersales_build_info", "version" => env!("CARGO_PKG_VERSION"), "database" => state.app.database())
        .set(1.0);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render()).into_response()
}
