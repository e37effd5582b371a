//! Notices (通告, DOMAIN §5): the notice list and inboxes, acknowledgements with notes, the
//! daily table (DOMAIN §7), deliveries and their dead letters, routes and robot targets.

use aftersales_app::notices::{Acknowledgement, DailyRow, NoticePage, NoticeQuery, TargetInfo, TargetInput};
use aftersales_domain::notice::{Delivery, DeliveryState, Notice, Route};
use axum::extract::{Path, State};
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, IdPath, Json, Query};
use crate::openapi::ErrorResponse;

#[utoipa::path(get, path = "/api/v1/notices", tag = "notices", security(("bearer" = [])), params(NoticeQuery),
    responses((status = 200, body = NoticePage), (status = 400, body = ErrorResponse)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<NoticeQuery>,
) -> Result<axum::Json<NoticePage>, ApiError> {
    Ok(axum::Json(s.app.notices(&actor, &q).await?))
}

#[utoipa::path(get, path = "/api/v1/notices/{id}", tag = "notices", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Notice), (status = 404, body = ErrorResponse)))]
pub async fn get(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<Notice>, ApiError> {
    Ok(axum::Json(s.app.notice(&actor, id).await?))
}

/// A recipient acknowledges the notice, optionally with a status note or an instruction (批示).
#[utoipa::path(post, path = "/api/v1/notices/{id}/acknowledge", tag = "notices", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Acknowledgement,
    responses((status = 200, body = Notice), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
pub async fn acknowledge(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(ack): Json<Acknowledgement>,
) -> Result<axum::Json<Notice>, ApiError> {
    Ok(axum::Json(s.app.acknowledge_notice(&actor, id, &ack).await?))
}

#[utoipa::path(get, path = "/api/v1/notices/{id}/deliveries", tag = "notices", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Vec<Delivery>)))]
pub async fn notice_deliveries(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<Vec<Delivery>>, ApiError> {
    Ok(axum::Json(s.app.deliveries(&actor, Some(id), None).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// `pending`, `sending`, `sent`, `dead` (dead letters) or `uncertain` (in doubt: the
    /// worker stopped mid-attempt).
    pub state: Option<DeliveryState>,
}

/// Deliveries in one state, e.g. the dead letters (administrators).
#[utoipa::path(get, path = "/api/v1/deliveries", tag = "notices", security(("bearer" = [])), params(DeliveryQuery),
    responses((status = 200, body = Vec<Delivery>), (status = 403, body = ErrorResponse)))]
pub async fn deliveries(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<DeliveryQuery>,
) -> Result<axum::Json<Vec<Delivery>>, ApiError> {
    Ok(axum::Json(s.app.deliveries(&actor, None, q.state).await?))
}

/// One delivery with its log of attempts (administrators).
#[utoipa::path(get, path = "/api/v1/deliveries/{id}", tag = "notices", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Delivery), (status = 404, body = ErrorResponse)))]
pub async fn delivery(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<Delivery>, ApiError> {
    Ok(axum::Json(s.app.delivery(&actor, id).await?))
}

/// Puts a dead or in-doubt delivery back in the queue; answers the delivery as it now is.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/retry", tag = "notices", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Delivery), (status = 404, body = ErrorResponse),
    (status = 409, body = ErrorResponse)))]
pub async fn retry(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<Delivery>, ApiError> {
    Ok(axum::Json(s.app.retry_delivery(&actor, id).await?))
}

/// What an administrator found when checking an in-doubt delivery at the receiver.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Confirmation {
    /// Where it was seen, e.g. "in the group chat at 10:02".
    #[serde(default)]
    pub note: String,
}

/// Records that an in-doubt delivery did arrive, so it is not sent again.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/confirm", tag = "notices", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Confirmation, responses((status = 200, body = Delivery),
    (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
pub async fn confirm(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(c): Json<Confirmation>,
) -> Result<axum::Json<Delivery>, ApiError> {
    Ok(axum::Json(s.app.confirm_delivery(&actor, id, &c.note).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DailyQuery {
    /// The day, `YYYY-MM-DD` in the service time zone.
    #[param(format = Date)]
    pub date: String,
}

/// The daily "unclosed and notices" table (每日未结案暨通告总表) of one day.
#[utoipa::path(get, path = "/api/v1/reports/daily-notices", tag = "notices", security(("bearer" = [])), params(DailyQuery),
    responses((status = 200, body = Vec<DailyRow>), (status = 400, body = ErrorResponse)))]
pub async fn daily(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<DailyQuery>,
) -> Result<axum::Json<Vec<DailyRow>>, ApiError> {
    Ok(axum::Json(s.app.daily_notices(&actor, &q.date).await?))
}

#[utoipa::path(get, path = "/api/v1/notice-routes", tag = "notices", security(("bearer" = [])),
    responses((status = 200, body = Vec<Route>)))]
pub async fn routes(State(s): State<AppState>, Auth(actor): Auth) -> Result<axum::Json<Vec<Route>>, ApiError> {
    Ok(axum::Json(s.app.notice_routes(&actor).await?))
}

/// Sets who gets one notice type on which channels (and which robots).
#[utoipa::path(put, path = "/api/v1/notice-routes", tag = "notices", security(("bearer" = [])), request_body = Route,
    responses((status = 200, body = Route), (status = 422, body = ErrorResponse)))]
pub async fn put_route(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Json(route): Json<Route>,
) -> Result<axum::Json<Route>, ApiError> {
    Ok(axum::Json(s.app.put_notice_route(&actor, &route).await?))
}

#[utoipa::path(get, path = "/api/v1/notify-targets", tag = "notices", security(("bearer" = [])),
    responses((status = 200, body = Vec<TargetInfo>)))]
pub async fn targets(State(s): State<AppState>, Auth(actor): Auth) -> Result<axum::Json<Vec<TargetInfo>>, ApiError> {
    Ok(axum::Json(s.app.notify_targets(&actor).await?))
}

/// Creates or replaces a WeCom/DingTalk/Feishu robot or a generic webhook.
#[utoipa::path(put, path = "/api/v1/notify-targets/{name}", tag = "notices", security(("bearer" = [])),
    params(("name" = String, Path)), request_body = TargetInput,
    responses((status = 200, body = TargetInfo), (status = 422, body = ErrorResponse)))]
pub async fn put_target(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(name): Path<String>,
    Json(input): Json<TargetInput>,
) -> Result<axum::Json<TargetInfo>, ApiError> {
    Ok(axum::Json(s.app.put_notify_target(&actor, &name, &input).await?))
}
