//! HTTP for the service desk: the JSON API under `/api/v1` with its OpenAPI document, and
//! the web console's pages (`pages`).
//! Handlers are thin: parse, call one `app` function, render.

pub mod api;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod input;
pub mod metrics;
pub mod openapi;
pub mod pages;

use std::time::Duration;

use aftersales_app::App;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;

// The wording catalogs in locales/ (see `i18n`).
rust_i18n::i18n!("locales");

/// Largest request body the API accepts (descriptions are at most 4,000 characters).
pub const BODY_LIMIT: usize = 256 * 1024;

/// Shared state of every handler.
#[derive(Clone, Debug)]
pub struct AppState {
    pub app: App,
}

/// The ETag of a ticket version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// How long a request may take before its answer starts.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// An upload's (issue 14: a 200 MB video over a slow mobile network).
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(3600);

/// Answers 408 when a request takes longer than its limit: [`REQUEST_TIMEOUT`], or
/// [`UPLOAD_TIMEOUT`] for a file upload (`POST …/attachments`).
async fn time_limit(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    let upload = request.method() == axum::http::Method::POST && request.uri().path().ends_with("/attachments");
    let limit = if upload { UPLOAD_TIMEOUT } else { REQUEST_TIMEOUT };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

/// The whole HTTP application.
pub fn router(app: App) -> Router {
    let state = AppState { app };
    // Every input is checked for characters text may not hold before a handler decodes it.
    let pages = pages::routes().route_layer(axum::middleware::from_fn_with_state(state.clone(), input::pages));
    let (api, _) = openapi::router().split_for_parts();
    metrics::install();
    Router::new()
        .merge(api)
        .merge(pages)
        .route("/metrics", axum::routing::get(metrics::metrics))
        .route_layer(axum::middleware::from_fn(metrics::note_route))
        .fallback(|| async { ApiError::NoRoute })
        .with_state(state)
        .layer(axum::middleware::from_fn(error::localize))
        .layer(axum::middleware::from_fn(pages::security_headers))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn(time_limit))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(metrics::track))
}
