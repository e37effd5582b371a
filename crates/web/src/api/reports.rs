//! The service report (issue 14): versions, the signature, the PDF.

use aftersales_app::reports::{PrepareInput, RefuseInput, ReportFile, ReportScreen, SignInput};
use aftersales_domain::service_report::ServiceReport;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, IdPath, Json};
use crate::openapi::ErrorResponse;

/// A PDF's bytes, as the OpenAPI document describes them (a binary string).
pub struct PdfFile;

impl utoipa::PartialSchema for PdfFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl utoipa::ToSchema for PdfFile {}

/// A PDF as a download: never rendered by guessing its type, never cached by a proxy.
pub fn pdf_response(file: ReportFile) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", file.filename.replace('"', ""));
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        file.bytes,
    )
        .into_response()
}

/// A ticket's service report versions (a customer contact: their own organization's).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/reports", tag = "reports", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ReportScreen), (status = 404, body = ErrorResponse)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<ReportScreen>, ApiError> {
    Ok(axum::Json(s.app.service_reports(&actor, id).await?))
}

/// Makes a new version of the ticket's service report (or changes the photos of the newest
/// one still awaiting a signature); the ticket must be resolved (or closed, for a correction).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/reports", tag = "reports", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = PrepareInput,
    responses(
        (status = 201, body = ServiceReport), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse, description = "The ticket is not resolved"),
        (status = 422, body = ErrorResponse),
    ))]
pub async fn prepare(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<PrepareInput>,
) -> Result<(StatusCode, axum::Json<ServiceReport>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.prepare_report(&actor, id, &input).await?)))
}

/// A version as PDF: the kept, signed one, or a preview of a version not signed.
#[utoipa::path(get, path = "/api/v1/reports/{id}/pdf", tag = "reports", security(("bearer" = [])), params(("id" = i64, Path)),
    responses(
        (status = 200, content_type = "application/pdf", body = PdfFile, description = "The PDF, as a download"),
        (status = 404, body = ErrorResponse),
    ))]
pub async fn pdf(State(s): State<AppState>, Auth(actor): Auth, IdPath(id): IdPath) -> Result<Response, ApiError> {
    Ok(pdf_response(s.app.report_pdf(&actor, id).await?))
}

/// A signed version's PDF by the SHA-256 the ticket's history names.
#[utoipa::path(get, path = "/api/v1/reports/by-hash/{sha256}/pdf", tag = "reports", security(("bearer" = [])),
    params(("sha256" = String, Path, description = "64 lowercase hexadecimal digits")),
    responses(
        (status = 200, content_type = "application/pdf", body = PdfFile, description = "The PDF, as a download"),
        (status = 404, body = ErrorResponse),
    ))]
pub async fn pdf_by_hash(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    Ok(pdf_response(s.app.report_pdf_by_hash(&actor, &sha256).await?))
}

/// The customer signs a version (the acceptance sign-off): on the engineer's phone
/// (staff record it) or in the portal (the contact). A resolved ticket is closed with the
/// method "signature"; the signed PDF is kept and its SHA-256 recorded in the history.
#[utoipa::path(post, path = "/api/v1/reports/{id}/signature", tag = "reports", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = SignInput,
    responses(
        (status = 200, body = ServiceReport), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse, description = "Signed or refused already, corrected by a newer version, or the ticket is not resolved"),
        (status = 422, body = ErrorResponse, description = "The signer's name, relationship, or the signature image (missing, empty, not a PNG, too large)"),
    ))]
pub async fn sign(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<SignInput>,
) -> Result<axum::Json<ServiceReport>, ApiError> {
    Ok(axum::Json(s.app.sign_report(&actor, id, &input).await?))
}

/// The customer does not sign a version; the reason is recorded.
#[utoipa::path(post, path = "/api/v1/reports/{id}/refusal", tag = "reports", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = RefuseInput,
    responses(
        (status = 200, body = ServiceReport), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse, description = "Signed or refused already, or the ticket is not resolved"),
        (status = 422, body = ErrorResponse),
    ))]
pub async fn refuse(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<RefuseInput>,
) -> Result<axum::Json<ServiceReport>, ApiError> {
    Ok(axum::Json(s.app.refuse_report(&actor, id, &input).await?))
}

/// Sends a version to the ticket's contact to sign: an e-mail with its PDF attached and a
/// one-time link to sign or refuse it (staff who may prepare the report). The report has
/// reached the customer: the 24-hour service-report clock stops.
#[utoipa::path(post, path = "/api/v1/reports/{id}/sending", tag = "reports", security(("bearer" = [])), params(("id" = i64, Path)),
    responses(
        (status = 200, body = ServiceReport, description = "The version sent; the e-mail is queued"),
        (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse, description = "Signed or refused already, corrected by a newer version, the ticket is not resolved, the contact has no e-mail address (or left), or e-mail is off"),
    ))]
pub async fn send(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<ServiceReport>, ApiError> {
    Ok(axum::Json(s.app.send_report(&actor, id).await?))
}
