//! Visits (上门预约) and engineers' leave and duty days (issue 13).

use aftersales_app::visits::{
    CalendarQuery, DayVisit, DaysInput, TicketVisits, VisitBooking, VisitCalendar, VisitCancel, VisitCheck, VisitDelay,
    VisitReschedule, VisitSettings, VisitView,
};
use aftersales_domain::working_calendar::EngineerDay;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, IdPath, Json, Query};
use crate::openapi::ErrorResponse;

type Answer<T> = Result<axum::Json<T>, ApiError>;

/// Books a visit: the engineer's whole busy interval (travel + planned work) is checked
/// against leave, the business calendar (unless on duty) and their other visits; a clash
/// answers 409 naming every conflict. The customer is told the window.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/visits", tag = "visits", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = VisitBooking,
    responses((status = 201, body = VisitView), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse, description = "Clashes with leave, off-hours or another visit; the ticket is not being worked"),
        (status = 422, body = ErrorResponse)))]
pub async fn book(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(b): Json<VisitBooking>,
) -> Result<(StatusCode, axum::Json<VisitView>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.book_visit(&actor, id, &b).await?)))
}

/// A ticket's visits: every detail for the staff; for a customer contact only the window,
/// status, engineer and arrival.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/visits", tag = "visits", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = TicketVisits), (status = 404, body = ErrorResponse)))]
pub async fn of_ticket(State(s): State<AppState>, Auth(actor): Auth, IdPath(id): IdPath) -> Answer<TicketVisits> {
    Ok(axum::Json(s.app.ticket_visits(&actor, id).await?))
}

#[utoipa::path(get, path = "/api/v1/visits/{id}", tag = "visits", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = VisitView), (status = 404, body = ErrorResponse)))]
pub async fn get(State(s): State<AppState>, Auth(actor): Auth, IdPath(id): IdPath) -> Answer<VisitView> {
    Ok(axum::Json(s.app.visit(&actor, id).await?))
}

/// Moves a booked visit with a reason (in the history); the customer is told.
#[utoipa::path(post, path = "/api/v1/visits/{id}/reschedule", tag = "visits", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = VisitReschedule,
    responses((status = 200, body = VisitView), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse, description = "A clash, a stale version, or a visit no longer booked"),
        (status = 422, body = ErrorResponse)))]
pub async fn reschedule(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(r): Json<VisitReschedule>,
) -> Answer<VisitView> {
    Ok(axum::Json(s.app.reschedule_visit(&actor, id, &r).await?))
}

#[utoipa::path(post, path = "/api/v1/visits/{id}/cancel", tag = "visits", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = VisitCancel,
    responses((status = 200, body = VisitView), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse, description = "A stale version, or a visit no longer booked"),
        (status = 422, body = ErrorResponse)))]
pub async fn cancel(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(c): Json<VisitCancel>,
) -> Answer<VisitView> {
    Ok(axum::Json(s.app.cancel_visit(&actor, id, &c).await?))
}

/// The visit's own engineer checks in (now), optionally with the phone's position.
#[utoipa::path(post, path = "/api/v1/visits/{id}/check-in", tag = "visits", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = VisitCheck,
    responses((status = 200, body = VisitView), (status = 403, body = ErrorResponse, description = "Not the visit's engineer"),
        (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse, description = "Checked in already, or a stale version"),
        (status = 422, body = ErrorResponse)))]
pub async fn check_in(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(c): Json<VisitCheck>,
) -> Answer<VisitView> {
    Ok(axum::Json(s.app.check_in(&actor, id, &c).await?))
}

#[utoipa::path(post, path = "/api/v1/visits/{id}/check-out", tag = "visits", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = VisitCheck,
    responses((status = 200, body = VisitView), (status = 403, body = ErrorResponse, description = "Not the visit's engineer"),
        (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse, description = "Not checked in, or a stale version"),
        (status = 422, body = ErrorResponse)))]
pub async fn check_out(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(c): Json<VisitCheck>,
) -> Answer<VisitView> {
    Ok(axum::Json(s.app.check_out(&actor, id, &c).await?))
}

/// The visit's engineer declares a delay: the customer and the dispatchers are told at once.
#[utoipa::path(post, path = "/api/v1/visits/{id}/delay", tag = "visits", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = VisitDelay,
    responses((status = 200, body = VisitView), (status = 403, body = ErrorResponse, description = "Not the visit's engineer"),
        (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn delay(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(d): Json<VisitDelay>,
) -> Answer<VisitView> {
    Ok(axum::Json(s.app.declare_delay(&actor, id, &d).await?))
}

/// Engineers' visits, leave and duty over 1 to 14 days (the dispatcher's calendar).
#[utoipa::path(get, path = "/api/v1/visits/calendar", tag = "visits", security(("bearer" = [])), params(CalendarQuery),
    responses((status = 200, body = VisitCalendar), (status = 400, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn calendar(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<CalendarQuery>,
) -> Answer<VisitCalendar> {
    Ok(axum::Json(s.app.visit_calendar(&actor, &q).await?))
}

/// The caller's own visits today, in order (今日上门).
#[utoipa::path(get, path = "/api/v1/me/visits", tag = "visits", security(("bearer" = [])),
    responses((status = 200, body = Vec<DayVisit>)))]
pub async fn my_day(State(s): State<AppState>, Auth(actor): Auth) -> Answer<Vec<DayVisit>> {
    Ok(axum::Json(s.app.my_day(&actor).await?))
}

/// `GET /api/v1/engineers/{id}/days?from=…&to=…`
#[derive(Debug, Deserialize, Serialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DaysQuery {
    #[param(value_type = String, format = Date)]
    pub from: Date,
    #[param(value_type = String, format = Date)]
    pub to: Date,
}

/// An engineer's leave (请假) and duty (值班) days.
#[utoipa::path(get, path = "/api/v1/engineers/{id}/days", tag = "visits", security(("bearer" = [])),
    params(("id" = i64, Path), DaysQuery),
    responses((status = 200, body = Vec<EngineerDay>), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn days(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    Query(q): Query<DaysQuery>,
) -> Answer<Vec<EngineerDay>> {
    Ok(axum::Json(s.app.working_days(&actor, id, q.from, q.to).await?))
}

/// Sets or clears an engineer's leave or duty days (dispatchers, supervisors, administrators).
#[utoipa::path(put, path = "/api/v1/engineers/{id}/days", tag = "visits", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = DaysInput,
    responses((status = 200, body = Vec<EngineerDay>), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn set_days(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<i64>,
    Json(input): Json<DaysInput>,
) -> Answer<Vec<EngineerDay>> {
    Ok(axum::Json(s.app.set_working_days(&actor, id, &input).await?))
}

#[utoipa::path(get, path = "/api/v1/visit-settings", tag = "visits", security(("bearer" = [])),
    responses((status = 200, body = VisitSettings)))]
pub async fn settings(State(s): State<AppState>, Auth(actor): Auth) -> Answer<VisitSettings> {
    Ok(axum::Json(s.app.visit_settings(&actor).await?))
}

/// The arrival window promised to customers (administrators).
#[utoipa::path(put, path = "/api/v1/visit-settings", tag = "visits", security(("bearer" = [])),
    request_body = VisitSettings, responses((status = 200, body = VisitSettings), (status = 422, body = ErrorResponse)))]
pub async fn put_settings(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Json(v): Json<VisitSettings>,
) -> Answer<VisitSettings> {
    Ok(axum::Json(s.app.put_visit_settings(&actor, &v).await?))
}
