//! Report subscriptions (issue 15): the reader's own, a new one, ending one, and the Excel
//! file a run sent.

use aftersales_app::subscriptions::{SubscriptionInput, SubscriptionView};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, IdPath, Json};
use crate::openapi::ErrorResponse;

/// An Excel workbook's bytes, as the OpenAPI document describes them (a binary string).
pub struct XlsxFile;

impl utoipa::PartialSchema for XlsxFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl utoipa::ToSchema for XlsxFile {}

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file as a download named `name` (RFC 5987 for a Chinese name), never sniffed or cached.
pub fn download(name: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>().replace('+', "%20");
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// The reader's report subscriptions, each with its latest runs (newest first).
#[utoipa::path(get, path = "/api/v1/subscriptions", tag = "subscriptions", security(("bearer" = [])),
    responses((status = 200, body = Vec<SubscriptionView>), (status = 403, body = ErrorResponse)))]
pub async fn list(State(s): State<AppState>, Auth(actor): Auth) -> Result<axum::Json<Vec<SubscriptionView>>, ApiError> {
    Ok(axum::Json(s.app.my_subscriptions(&actor).await?))
}

/// Subscribes the reader to a report: daily, weekly or monthly (service time zone), by
/// e-mail with the Excel file attached or to a group robot as a summary with a link. The
/// first run is scheduled at once; an empty period is skipped.
#[utoipa::path(post, path = "/api/v1/subscriptions", tag = "subscriptions", security(("bearer" = [])),
    request_body = SubscriptionInput,
    responses(
        (status = 201, body = SubscriptionView), (status = 403, body = ErrorResponse, description = "The reader may not read this report, or may not post reports to a group"),
        (status = 422, body = ErrorResponse, description = "An unknown report or robot, an hour outside 0–23, no e-mail address"),
    ))]
pub async fn create(
    State(s): State<AppState>,
    Auth(actor): Auth,
    headers: axum::http::HeaderMap,
    Json(input): Json<SubscriptionInput>,
) -> Result<(StatusCode, axum::Json<SubscriptionView>), ApiError> {
    // Without a language in the body, the report is written in the caller's.
    let lang = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or_else(Default::default, aftersales_domain::Lang::from_accept_language);
    Ok((StatusCode::CREATED, axum::Json(s.app.subscribe(&actor, &input, lang).await?)))
}

/// Ends one of the reader's subscriptions: no run starts after it.
#[utoipa::path(post, path = "/api/v1/subscriptions/{id}/cancellation", tag = "subscriptions", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = SubscriptionView), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn cancel(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<SubscriptionView>, ApiError> {
    Ok(axum::Json(s.app.unsubscribe(&actor, id).await?))
}

/// The Excel file a run sent (its subscriber's).
#[utoipa::path(get, path = "/api/v1/subscription-runs/{id}/file", tag = "subscriptions", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = XlsxFile, description = "The workbook, as a download"),
        (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
    ))]
pub async fn file(State(s): State<AppState>, Auth(actor): Auth, IdPath(id): IdPath) -> Result<Response, ApiError> {
    let (name, bytes) = s.app.subscription_file(&actor, id).await?;
    Ok(download(&name, XLSX_TYPE, bytes))
}
