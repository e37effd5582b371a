//! Callbacks and surveys, the closing check and the archive (issue 15, DOMAIN §6). The desk
//! works callbacks; the supervisor, project specialist, PM, GM and data specialist read them;
//! engineers and customer contacts are refused every route.

use aftersales_app::callbacks::{
    ArchivePage, ArchiveQuery, AttemptInput, CallbackPage, CallbackQuery, CallbackScreen, ClosureGapPage, DueFilter,
    FeedbackInput, Selection,
};
use aftersales_app::users::Page;
use aftersales_domain::callback::{Callback, Feedback};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::{Auth, IdPath, IfMatch, Json, Query};
use crate::openapi::ErrorResponse;
use crate::{AppState, etag};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WorklistQuery {
    /// `pending` (待回访) or `done` (已回访).
    pub status: Option<String>,
    /// `all`, `overdue` or `today`.
    pub due: Option<DueFilter>,
    /// A reason: `management`, `specialist`, `sample` or `consumables`.
    pub reason: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// The callback worklist (回访), by due time; overdue ones flagged.
#[utoipa::path(get, path = "/api/v1/callbacks", tag = "callbacks", security(("bearer" = [])), params(WorklistQuery),
    responses((status = 200, body = CallbackPage), (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<WorklistQuery>,
) -> Result<axum::Json<CallbackPage>, ApiError> {
    let page = Page::new(q.page, q.per_page)?;
    let q = CallbackQuery { status: q.status, due: q.due.unwrap_or_default(), reason: q.reason, page };
    Ok(axum::Json(s.app.callbacks(&actor, &q).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DayQuery {
    /// The service day, `YYYY-MM-DD`.
    #[param(format = Date)]
    pub date: String,
}

/// The callbacks the daily selection chose for one day (its stored result).
#[utoipa::path(get, path = "/api/v1/callbacks/selection", tag = "callbacks", security(("bearer" = [])), params(DayQuery),
    responses((status = 200, body = Vec<Callback>), (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn selection(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<DayQuery>,
) -> Result<axum::Json<Vec<Callback>>, ApiError> {
    Ok(axum::Json(s.app.callbacks_of_day(&actor, &q.date).await?))
}

fn with_etag(status: StatusCode, screen: CallbackScreen) -> Response {
    let version = screen.line.callback.version;
    let mut r = (status, axum::Json(screen)).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

/// One callback: why it was chosen, its attempts, the survey, praise and complaints; its
/// version as `ETag`.
#[utoipa::path(get, path = "/api/v1/callbacks/{id}", tag = "callbacks", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = CallbackScreen, description = "ETag is the version"), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn get(State(s): State<AppState>, Auth(actor): Auth, IdPath(id): IdPath) -> Result<Response, ApiError> {
    Ok(with_etag(StatusCode::OK, s.app.callback(&actor, id).await?))
}

/// Logs a call attempt (无人接听 / 稍后再打 with a time / 已联系 with the survey). Needs
/// `If-Match`; a stale one is 409 naming the current version.
#[utoipa::path(post, path = "/api/v1/callbacks/{id}/attempts", tag = "callbacks", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag the attempt is based on")),
    request_body = AttemptInput,
    responses(
        (status = 201, body = CallbackScreen, description = "ETag is the new version"), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse, description = "Done already, stale, or the ticket was surveyed already"),
        (status = 422, body = ErrorResponse), (status = 428, body = ErrorResponse),
    ))]
pub async fn attempt(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    if_match: Option<IfMatch>,
    Json(input): Json<AttemptInput>,
) -> Result<Response, ApiError> {
    let screen = s.app.log_attempt(&actor, id, if_match.map(|m| m.0), &input).await?;
    Ok(with_etag(StatusCode::CREATED, screen))
}

/// Praise or a complaint about an engineer of the callback's ticket.
#[utoipa::path(post, path = "/api/v1/callbacks/{id}/feedback", tag = "callbacks", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = FeedbackInput,
    responses((status = 201, body = CallbackScreen), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn feedback(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<FeedbackInput>,
) -> Result<Response, ApiError> {
    let screen = s.app.add_feedback(&actor, id, &input).await?;
    Ok(with_etag(StatusCode::CREATED, screen))
}

/// A complaint's improvement action, as reported back to the customer.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    pub action: String,
}

/// Records a complaint's improvement action reported back to the customer (seed 003).
#[utoipa::path(post, path = "/api/v1/feedback/{id}/action", tag = "callbacks", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ActionInput,
    responses((status = 200, body = Feedback), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse, description = "Reported back already"), (status = 422, body = ErrorResponse)))]
pub async fn action(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<ActionInput>,
) -> Result<axum::Json<Feedback>, ApiError> {
    Ok(axum::Json(s.app.report_action(&actor, id, &input.action).await?))
}

/// Runs the selection of one service day now (it runs by itself after each day; a rerun
/// adds nothing).
#[utoipa::path(post, path = "/api/v1/callbacks/selection", tag = "callbacks", security(("bearer" = [])), params(DayQuery),
    responses((status = 200, body = Selection), (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn select(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<DayQuery>,
) -> Result<axum::Json<Selection>, ApiError> {
    Ok(axum::Json(s.app.run_callback_selection(&actor, &q.date).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// First closing day, `YYYY-MM-DD`.
    #[param(format = Date)]
    pub from: String,
    /// Last closing day, `YYYY-MM-DD` (inclusive).
    #[param(format = Date)]
    pub to: String,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// Closed tickets missing one of "有反馈、有处理、有结果、有回访" (DOMAIN §6), with the parts missing.
#[utoipa::path(get, path = "/api/v1/closure-check", tag = "callbacks", security(("bearer" = [])), params(PeriodQuery),
    responses((status = 200, body = ClosureGapPage), (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn closure_check(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<PeriodQuery>,
) -> Result<axum::Json<ClosureGapPage>, ApiError> {
    let page = Page::new(q.page, q.per_page)?;
    Ok(axum::Json(s.app.closure_check(&actor, &q.from, &q.to, page).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ArchiveParams {
    pub customer_id: Option<i64>,
    /// A kind of service code (`fault`, `consultation`, …).
    pub kind: Option<String>,
    pub category_id: Option<i64>,
    /// First closing day, `YYYY-MM-DD`.
    #[param(format = Date)]
    pub from: Option<String>,
    /// Last closing day, `YYYY-MM-DD` (inclusive).
    #[param(format = Date)]
    pub to: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

impl ArchiveParams {
    fn query(self) -> Result<ArchiveQuery, ApiError> {
        Ok(ArchiveQuery {
            customer_id: self.customer_id,
            kind: self.kind,
            category_id: self.category_id,
            from: self.from,
            to: self.to,
            page: Page::new(self.page, self.per_page)?,
        })
    }
}

/// The archive (按客户名称-问题类型-日期): closed tickets by customer, kind and closing date.
#[utoipa::path(get, path = "/api/v1/archive", tag = "callbacks", security(("bearer" = [])), params(ArchiveParams),
    responses((status = 200, body = ArchivePage), (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn archive(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<ArchiveParams>,
) -> Result<axum::Json<ArchivePage>, ApiError> {
    Ok(axum::Json(s.app.archive(&actor, &q.query()?).await?))
}

/// A ZIP's bytes, as the OpenAPI document describes them.
pub struct ZipFile;

impl utoipa::PartialSchema for ZipFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl utoipa::ToSchema for ZipFile {}

/// The archive of a period as a ZIP: `归档.csv` and the signed service reports in folders
/// 客户/类型/日期.
#[utoipa::path(get, path = "/api/v1/archive/export", tag = "callbacks", security(("bearer" = [])), params(ArchiveParams),
    responses((status = 200, content_type = "application/zip", body = ZipFile, description = "The ZIP, as a download"),
        (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn export(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<ArchiveParams>,
) -> Result<Response, ApiError> {
    Ok(crate::api::reporting::list_download(s.app.archive_zip(&actor, &q.query()?).await?))
}
