//! Liveness and readiness.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use crate::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub database: &'static str,
}

/// Checks that the database answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses(
    (status = 200, body = Health, description = "Service and database are up"),
    (status = 503, body = Health, description = "The database does not answer"),
))]
pub async fn healthz(State(s): State<AppState>) -> (StatusCode, Json<Health>) {
    let health = s.app.health().await;
    let database = health.backend;
    if health.answers {
        (StatusCode::OK, Json(Health { status: "ok", database }))
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "unavailable", database }))
    }
}
