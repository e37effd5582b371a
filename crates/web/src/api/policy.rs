//! Business calendars, holiday data and service policies (DOMAIN §3, §4).

use aftersales_app::clocks::{CalendarAnswer, CalendarInfo, HolidayImport, HolidayImportResult};
use aftersales_domain::Timestamp;
use aftersales_domain::calendar::{CalendarSpec, HolidaySet};
use aftersales_domain::clock::ServicePolicy;
use aftersales_domain::error::Reason;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, Json, Query};
use crate::openapi::ErrorResponse;

#[utoipa::path(get, path = "/api/v1/calendars", tag = "calendars", security(("bearer" = [])),
    responses((status = 200, body = Vec<CalendarInfo>)))]
pub async fn calendars(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<axum::Json<Vec<CalendarInfo>>, ApiError> {
    Ok(axum::Json(s.app.calendars(&actor).await?))
}

#[utoipa::path(get, path = "/api/v1/calendars/{name}", tag = "calendars", security(("bearer" = [])),
    params(("name" = String, Path)), responses((status = 200, body = CalendarInfo), (status = 404, body = ErrorResponse)))]
pub async fn calendar(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(name): Path<String>,
) -> Result<axum::Json<CalendarInfo>, ApiError> {
    Ok(axum::Json(s.app.calendar_info(&actor, &name).await?))
}

/// Creates or replaces a calendar; tickets counting on it get their clocks recomputed.
#[utoipa::path(put, path = "/api/v1/calendars/{name}", tag = "calendars", security(("bearer" = [])),
    params(("name" = String, Path)), request_body = CalendarSpec,
    responses((status = 200, body = CalendarInfo), (status = 422, body = ErrorResponse)))]
pub async fn put_calendar(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(name): Path<String>,
    Json(spec): Json<CalendarSpec>,
) -> Result<axum::Json<CalendarInfo>, ApiError> {
    if spec.name != name {
        return Err(aftersales_app::AppError::from(aftersales_domain::DomainError::field(
            "name",
            Reason::Mismatch {
                detail_en: "must equal the name in the path", detail_zh: "须与路径中的日历名一致"
            },
        ))
        .into());
    }
    Ok(axum::Json(s.app.put_calendar(&actor, &spec).await?))
}

/// `GET /api/v1/calendars/{name}/add?from=…&working=4h`
#[derive(Debug, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AddQuery {
    /// RFC 3339 instant, e.g. `2025-09-30T16:00:00+08:00`.
    #[param(value_type = String, format = DateTime)]
    pub from: Timestamp,
    /// Working time to add: `90m`, `4h`, `3d` (a day is one full working day), `1h30m`.
    #[param(pattern = "^([0-9]+[dhm])+$")]
    pub working: String,
}

/// The instant a span of working time after `from` (for administrators checking a policy).
#[utoipa::path(get, path = "/api/v1/calendars/{name}/add", tag = "calendars", security(("bearer" = [])),
    params(("name" = String, Path), AddQuery),
    responses((status = 200, body = CalendarAnswer), (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn add(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(name): Path<String>,
    Query(q): Query<AddQuery>,
) -> Result<axum::Json<CalendarAnswer>, ApiError> {
    Ok(axum::Json(s.app.calendar_add(&actor, &name, q.from, &q.working).await?))
}

/// `GET /api/v1/calendars/{name}/between?from=…&to=…`
#[derive(Debug, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BetweenQuery {
    #[param(value_type = String, format = DateTime)]
    pub from: Timestamp,
    #[param(value_type = String, format = DateTime)]
    pub to: Timestamp,
}

/// The working time between two instants, in minutes.
#[utoipa::path(get, path = "/api/v1/calendars/{name}/between", tag = "calendars", security(("bearer" = [])),
    params(("name" = String, Path), BetweenQuery),
    responses((status = 200, body = CalendarAnswer), (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn between(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(name): Path<String>,
    Query(q): Query<BetweenQuery>,
) -> Result<axum::Json<CalendarAnswer>, ApiError> {
    Ok(axum::Json(s.app.calendar_between(&actor, &name, q.from, q.to).await?))
}

#[utoipa::path(get, path = "/api/v1/holiday-sets/{name}", tag = "calendars", security(("bearer" = [])),
    params(("name" = String, Path)), responses((status = 200, body = HolidaySet), (status = 404, body = ErrorResponse)))]
pub async fn holiday_set(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(name): Path<String>,
) -> Result<axum::Json<HolidaySet>, ApiError> {
    Ok(axum::Json(s.app.holiday_set(&actor, &name).await?))
}

/// Imports official holidays and make-up working days (CSV as shipped, or iCalendar); the
/// imported years replace what the set held for them.
#[utoipa::path(post, path = "/api/v1/holiday-sets/{name}/import", tag = "calendars", security(("bearer" = [])),
    params(("name" = String, Path)), request_body = HolidayImport,
    responses((status = 200, body = HolidayImportResult), (status = 422, body = ErrorResponse)))]
pub async fn import_holidays(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(name): Path<String>,
    Json(import): Json<HolidayImport>,
) -> Result<axum::Json<HolidayImportResult>, ApiError> {
    Ok(axum::Json(s.app.import_holidays(&actor, &name, &import).await?))
}

/// The policy in force (the newest version).
#[utoipa::path(get, path = "/api/v1/service-policy", tag = "calendars", security(("bearer" = [])),
    responses((status = 200, body = ServicePolicy)))]
pub async fn service_policy(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<axum::Json<ServicePolicy>, ApiError> {
    Ok(axum::Json(s.app.service_policy(&actor, None).await?))
}

/// One stored policy version (tickets name the version they run under).
#[utoipa::path(get, path = "/api/v1/service-policy/versions/{version}", tag = "calendars", security(("bearer" = [])),
    params(("version" = i64, Path)), responses((status = 200, body = ServicePolicy), (status = 404, body = ErrorResponse)))]
pub async fn policy_version(
    State(s): State<AppState>,
    Auth(actor): Auth,
    crate::extract::IdPath(version): crate::extract::IdPath,
) -> Result<axum::Json<ServicePolicy>, ApiError> {
    Ok(axum::Json(s.app.service_policy(&actor, Some(version)).await?))
}

/// A stored policy version, without its rules.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PolicyVersionInfo {
    pub version: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    pub created_by: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/service-policy/versions", tag = "calendars", security(("bearer" = [])),
    responses((status = 200, body = Vec<PolicyVersionInfo>)))]
pub async fn policy_versions(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<axum::Json<Vec<PolicyVersionInfo>>, ApiError> {
    let versions = s.app.policy_versions(&actor).await?;
    Ok(axum::Json(
        versions
            .into_iter()
            .map(|v| PolicyVersionInfo { version: v.version, created_at: v.created_at, created_by: v.created_by })
            .collect(),
    ))
}

/// Stores a new policy version; it applies to tickets accepted or graded from now on.
#[utoipa::path(put, path = "/api/v1/service-policy", tag = "calendars", security(("bearer" = [])),
    request_body = ServicePolicy, responses((status = 201, body = ServicePolicy), (status = 422, body = ErrorResponse)))]
pub async fn put_service_policy(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Json(p): Json<ServicePolicy>,
) -> Result<(StatusCode, axum::Json<ServicePolicy>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.put_service_policy(&actor, &p).await?)))
}
