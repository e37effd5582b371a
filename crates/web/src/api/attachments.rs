//! Evidence attachments (issue 14): uploads (multipart, streamed into the blob store),
//! a ticket's list, downloads with their headers, and the evidence rules of the kinds of
//! service. The multipart reading and the download answer are shared with the pages.

use std::io;

use aftersales_app::attachments::{Download, NewAttachment, TicketAttachments, Variant, WithdrawnFile};
use aftersales_app::{Actor, App, AppError};
use aftersales_domain::attachment::{Attachment, EvidenceRule, EvidenceTag};
use aftersales_domain::audience::Visibility;
use aftersales_domain::error::Reason;
use aftersales_domain::text::forbidden_in_line;
use aftersales_domain::ticket::Kind;
use aftersales_domain::{DomainError, Id, Lang};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, IdPath, Json};
use crate::openapi::ErrorResponse;

/// The form of an upload (`multipart/form-data`): the text fields come before the files
/// they apply to; each `file` part is stored as its own attachment.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// `internal` (default) or `customer`.
    visibility: Option<Visibility>,
    /// `before`, `after` or `other` (default).
    tag: Option<EvidenceTag>,
    /// The work log entry the files belong to.
    log_id: Option<i64>,
    /// A retry key for the next file (a page makes one per file); the header
    /// `Idempotency-Key` serves when the form carries none.
    idempotency_key: Option<String>,
    /// The file (repeat the part for several). Its type is judged by its content.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The files stored by an upload (a retry answers with the first upload's records), and
/// each file's result in the order sent.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Uploaded {
    pub items: Vec<Attachment>,
    pub results: Vec<FileResult>,
}

/// What reading an upload can end with besides the use case's own refusals.
#[derive(Debug)]
pub(crate) enum UploadError {
    App(AppError),
    /// Not a multipart form we can read (named in English for the developer).
    Malformed(String),
    /// A text field holds a control character.
    Field(String, char),
    /// A page's form without its session token.
    Csrf,
}

impl From<AppError> for UploadError {
    fn from(e: AppError) -> Self {
        UploadError::App(e)
    }
}

impl From<UploadError> for ApiError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::App(e) => ApiError::App(e),
            UploadError::Malformed(detail) => ApiError::bad_request(None, detail),
            UploadError::Field(field, found) => ApiError::Invalid { field, reason: Reason::ControlCharacter { found } },
            UploadError::Csrf => ApiError::App(AppError::Unauthenticated),
        }
    }
}

/// The text fields read so far.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    visibility: Option<Visibility>,
    tag: Option<EvidenceTag>,
    log_id: Option<Id>,
    key: Option<String>,
    pub(crate) csrf: Option<String>,
}

const TEXT_LIMIT: usize = 4096;

async fn text(field: &mut multer::Field<'static>, name: &str) -> Result<String, UploadError> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| UploadError::Malformed(e.to_string()))? {
        buf.extend_from_slice(&chunk);
        if buf.len() > TEXT_LIMIT {
            return Err(AppError::invalid(field_name(name), Reason::TooLong { max: TEXT_LIMIT }).into());
        }
    }
    let s = String::from_utf8(buf).map_err(|_| UploadError::Malformed(format!("{name}: not UTF-8")))?;
    if let Some(found) = forbidden_in_line(&s) {
        return Err(UploadError::Field(name.to_owned(), found));
    }
    Ok(s.trim().to_owned())
}

/// The static name of a known field.
fn field_name(name: &str) -> &'static str {
    match name {
        "visibility" => "visibility",
        "tag" => "tag",
        "log_id" => "log_id",
        "idempotency_key" => "idempotency_key",
        _ => "file",
    }
}

fn malformed(expected_en: &'static str, expected_zh: &'static str) -> Reason {
    Reason::Malformed { expected_en, expected_zh }
}

/// One file of an upload and what became of it.
pub(crate) struct Received {
    pub(crate) file_name: String,
    /// Stored (and whether an earlier upload under the same key answers), or refused.
    pub(crate) outcome: Result<(Attachment, bool), AppError>,
}

/// Whether `e` is about one file only (its type, size, content, name or retry key), so
/// the other files of the same upload go on.
fn about_the_file(e: &AppError) -> bool {
    use aftersales_domain::attachment::AttachmentProblem;
    use aftersales_domain::error::Conflict;
    match e {
        AppError::Domain(DomainError::Conflict(Conflict::Attachment(p))) => *p != AttachmentProblem::Interrupted,
        AppError::Domain(DomainError::Invalid(fields)) => {
            fields.iter().all(|(f, _)| matches!(*f, "file" | "idempotency_key"))
        }
        AppError::IdempotencyMismatch => true,
        _ => false,
    }
}

/// Reads an upload: the text fields, then every `file` part streamed to [`App::attach`]
/// (each file whole or not at all). A file refused for what it is (its type, size,
/// content or name) is reported with its name and the next file goes on; anything else
/// (the ticket, the permission, a broken connection) ends the upload. `allowed` is asked
/// before the first file (a page's CSRF check). `header_key` is the `Idempotency-Key`
/// header, for a form that carries no key of its own (the n-th file after the first gets
/// `key#n`, whatever became of the others).
pub(crate) async fn receive(
    app: &App,
    actor: &Actor,
    ticket: Id,
    headers: &HeaderMap,
    body: Body,
    allowed: &(dyn Fn(&Fields) -> bool + Send + Sync),
) -> Result<Vec<Received>, UploadError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| UploadError::Malformed("expected Content-Type: multipart/form-data with a boundary".into()))?;
    let header_key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut form = multer::Multipart::new(body.into_data_stream(), boundary);
    let mut f = Fields::default();
    let mut received = Vec::new();
    let mut files = 0usize;
    while let Some(mut field) = form.next_field().await.map_err(part_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            let value = text(&mut field, &name).await?;
            match name.as_str() {
                "visibility" => {
                    f.visibility = Some(Visibility::from_code(&value).ok_or_else(|| {
                        AppError::invalid("visibility", malformed("internal or customer", "内部或客户可见"))
                    })?);
                }
                "tag" => {
                    f.tag = Some(EvidenceTag::from_code(&value).ok_or_else(|| {
                        AppError::invalid("tag", malformed("before, after or other", "处理前、处理后或其他"))
                    })?);
                }
                "log_id" if value.is_empty() => f.log_id = None,
                "log_id" => {
                    f.log_id = Some(value.parse().map_err(|_| {
                        AppError::invalid("log_id", malformed("a work log entry's id", "处理记录编号"))
                    })?);
                }
                "idempotency_key" if !value.is_empty() => f.key = Some(value),
                "csrf" => f.csrf = Some(value),
                _ => {}
            }
            continue;
        }
        if !allowed(&f) {
            return Err(UploadError::Csrf);
        }
        let file_name = field.file_name().unwrap_or_default().to_owned();
        if file_name.is_empty() {
            // A file input left empty sends a part without a name or content.
            continue;
        }
        let key = f
            .key
            .take()
            .or_else(|| header_key.as_ref().map(|k| if files == 0 { k.clone() } else { format!("{k}#{files}") }));
        files += 1;
        if let Some(found) = forbidden_in_line(&file_name) {
            let e = AppError::from(DomainError::field("file", Reason::ControlCharacter { found }));
            let shown: String = file_name.chars().map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect();
            received.push(Received { file_name: shown, outcome: Err(e) });
            continue;
        }
        let new = NewAttachment {
            ticket_id: ticket,
            log_id: f.log_id,
            visibility: f.visibility.unwrap_or(Visibility::Internal),
            tag: f.tag.unwrap_or(EvidenceTag::Other),
            file_name: file_name.clone(),
            idempotency_key: key,
        };
        let content = field.map(|chunk| chunk.map_err(io::Error::other)).boxed();
        match app.attach(actor, new, content).await {
            Err(e) if !about_the_file(&e) => return Err(e.into()),
            outcome => received.push(Received { file_name, outcome }),
        }
    }
    if received.is_empty() {
        return Err(AppError::invalid("file", Reason::Missing).into());
    }
    Ok(received)
}

/// One file's result in an upload's answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FileResult {
    /// The file's name as sent.
    pub file_name: String,
    /// Whether it is stored (else `error` says why not, naming the file).
    pub stored: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub attachment: Option<Attachment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub error: Option<crate::openapi::ErrorDetail>,
}

/// The answer to an upload in `lang`: one file refused is that refusal (its status);
/// otherwise 201 with every file stored, or 207 with each file's result when some of
/// several were refused (the stored ones are kept).
pub(crate) fn answer(mut received: Vec<Received>, lang: Lang) -> Result<(StatusCode, Uploaded), AppError> {
    if received.len() == 1
        && received[0].outcome.is_err()
        && let Some(Received { outcome: Err(e), .. }) = received.pop()
    {
        return Err(e);
    }
    let all_stored = received.iter().all(|r| r.outcome.is_ok());
    let mut items = Vec::new();
    let mut results = Vec::with_capacity(received.len());
    for r in received {
        match r.outcome {
            Ok((a, _)) => {
                items.push(a.clone());
                results.push(FileResult { file_name: r.file_name, stored: true, attachment: Some(a), error: None });
            }
            Err(e) => {
                let mut detail = crate::error::detail(ApiError::App(e), lang);
                detail.message = match lang {
                    Lang::Zh => format!("{}：{}", r.file_name, detail.message),
                    Lang::En => format!("{}: {}", r.file_name, detail.message),
                };
                results.push(FileResult {
                    file_name: r.file_name,
                    stored: false,
                    attachment: None,
                    error: Some(detail),
                });
            }
        }
    }
    let status = if all_stored { StatusCode::CREATED } else { StatusCode::MULTI_STATUS };
    Ok((status, Uploaded { items, results }))
}

/// A part that cannot be read: a header with a control character (in a file name, say) is
/// the file's problem; anything else a malformed form.
fn part_error(e: multer::Error) -> UploadError {
    match e {
        multer::Error::ReadHeaderFailed(_)
        | multer::Error::DecodeHeaderName { .. }
        | multer::Error::DecodeHeaderValue { .. } => {
            AppError::invalid("file", malformed("a file name without control characters", "不含控制字符的文件名"))
                .into()
        }
        e => UploadError::Malformed(e.to_string()),
    }
}

/// `filename*` of RFC 5987: UTF-8, percent-encoded but for the attribute characters.
fn rfc5987(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A plain ASCII name for old clients (`filename=`).
fn ascii_fallback(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect()
}

/// The answer of a download: images inline with their real type, anything else saved;
/// never sniffed, never run (a sandboxing CSP), kept only in the reader's own cache.
pub(crate) fn serve(d: Download) -> Response {
    let disposition = format!(
        "{}; filename=\"{}\"; filename*=UTF-8''{}",
        if d.inline { "inline" } else { "attachment" },
        ascii_fallback(&d.file_name),
        rfc5987(&d.file_name)
    );
    let mut res = Response::new(Body::from_stream(d.content));
    let h = res.headers_mut();
    let content_type = if d.inline { d.content_type.as_str() } else { "application/octet-stream" };
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(d.size));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=600"));
    res
}

/// Uploads photos, videos or documents to a ticket (or one of its work log entries), from
/// the desk or the engineer's phone. Each file's type is judged by its content; a photo
/// gets a thumbnail and a customer copy without EXIF (at most 1600 px on its long side).
/// A retry with the same key (form field `idempotency_key` or header `Idempotency-Key`) is
/// stored once and answered the same. Several files at once: each file's result is listed
/// in `results` (stored, or refused with an error naming the file); one bad file does not
/// stop the others. Each upload writes a history event on the ticket.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/attachments", tag = "attachments", security(("bearer" = [])),
    params(("id" = i64, Path), ("Idempotency-Key" = Option<String>, Header, description = "Retry key of the (first) file")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = Uploaded, description = "Every file stored"),
        (status = 207, body = Uploaded, description = "Several files sent and some refused: `results` names each file's outcome; the stored ones are kept"),
        (status = 400, body = ErrorResponse, description = "Not a multipart form, or the upload broke off"),
        (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 413, body = ErrorResponse, description = "Larger than its kind's limit; nothing kept"),
        (status = 415, body = ErrorResponse, description = "HEIC, SVG, HTML or another type not taken"),
        (status = 422, body = ErrorResponse, description = "A damaged or truncated image, too many pixels, a bad field or file name"),
    ))]
pub async fn upload(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, axum::Json<Uploaded>), ApiError> {
    s.app.may_attach(&actor, id).await?;
    let lang = crate::error::request_lang(&headers);
    let received = receive(&s.app, &actor, id, &headers, body, &|_| true).await?;
    let (status, uploaded) = answer(received, lang)?;
    Ok((status, axum::Json(uploaded)))
}

/// A ticket's attachments: every one with EXIF time and place (staff), or the
/// customer-visible ones (a customer contact of the ticket's organization).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/attachments", tag = "attachments", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = TicketAttachments), (status = 404, body = ErrorResponse)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<TicketAttachments>, ApiError> {
    Ok(axum::Json(s.app.attachments(&actor, id).await?))
}

/// An attachment's content: an image inline with its type, anything else as a download. A
/// customer contact gets a photo's copy without EXIF; a file they may not see is "not found".
#[utoipa::path(get, path = "/api/v1/attachments/{id}/content", tag = "attachments", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, description = "The file: a photo inline as its image type, anything else as a download", content(
        ("image/jpeg"), ("image/png"), ("image/webp"), ("application/octet-stream"))), (status = 404, body = ErrorResponse)))]
pub async fn content(State(s): State<AppState>, Auth(actor): Auth, IdPath(id): IdPath) -> Result<Response, ApiError> {
    Ok(serve(s.app.attachment_content(&actor, id, Variant::File).await?))
}

/// A photo's thumbnail (JPEG, at most 320 px).
#[utoipa::path(get, path = "/api/v1/attachments/{id}/thumbnail", tag = "attachments", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, description = "The thumbnail", content_type = "image/jpeg"), (status = 404, body = ErrorResponse)))]
pub async fn thumbnail(State(s): State<AppState>, Auth(actor): Auth, IdPath(id): IdPath) -> Result<Response, ApiError> {
    Ok(serve(s.app.attachment_content(&actor, id, Variant::Thumbnail).await?))
}

/// Why a file is withdrawn.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalInput {
    /// Required: the history and the administrators' list keep it.
    pub reason: String,
}

/// Withdraws a file (evidence never silently vanishes): its uploader, a supervisor or an
/// administrator gives a reason; the file leaves the ticket's lists, downloads and the
/// evidence count for everyone, is kept with its content for audit (administrators list
/// it at `GET /api/v1/attachments/withdrawn`), and the history records who withdrew it and
/// why. A photo in a signed service report cannot be withdrawn; a second withdrawal is
/// refused (409), so two people withdrawing at once do not both succeed.
#[utoipa::path(post, path = "/api/v1/attachments/{id}/withdrawal", tag = "attachments", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = WithdrawalInput,
    responses(
        (status = 200, body = Attachment, description = "Withdrawn: the record with its withdrawal"),
        (status = 400, body = ErrorResponse), (status = 403, body = ErrorResponse, description = "A customer contact, or staff who neither uploaded it nor supervise"),
        (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse, description = "Already withdrawn, or in a signed service report"),
        (status = 422, body = ErrorResponse, description = "No reason"),
    ))]
pub async fn withdraw(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<WithdrawalInput>,
) -> Result<axum::Json<Attachment>, ApiError> {
    Ok(axum::Json(s.app.withdraw_attachment(&actor, id, &input.reason).await?))
}

/// Withdrawn files of every ticket, the latest first (at most 200), with who withdrew them
/// and why (administrators).
#[utoipa::path(get, path = "/api/v1/attachments/withdrawn", tag = "attachments", security(("bearer" = [])),
    responses((status = 200, body = Vec<WithdrawnFile>), (status = 403, body = ErrorResponse)))]
pub async fn withdrawn(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<axum::Json<Vec<WithdrawnFile>>, ApiError> {
    Ok(axum::Json(s.app.withdrawn_attachments(&actor).await?))
}

/// The evidence rules: photos "before" and "after" each kind of service needs before it is
/// resolved (a kind not listed needs none).
#[utoipa::path(get, path = "/api/v1/evidence-rules", tag = "attachments", security(("bearer" = [])),
    responses((status = 200, body = Vec<EvidenceRule>), (status = 403, body = ErrorResponse)))]
pub async fn rules(State(s): State<AppState>, Auth(actor): Auth) -> Result<axum::Json<Vec<EvidenceRule>>, ApiError> {
    Ok(axum::Json(s.app.evidence_rules(&actor).await?))
}

/// How many photos of each tag a kind of service needs.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub before: u32,
    pub after: u32,
}

/// Sets a kind of service's evidence rule (administrators, supervisors; zeros remove it).
#[utoipa::path(put, path = "/api/v1/evidence-rules/{kind}", tag = "attachments", security(("bearer" = [])),
    params(("kind" = Kind, Path)), request_body = RuleInput,
    responses(
        (status = 200, body = Vec<EvidenceRule>), (status = 400, body = ErrorResponse, description = "Not numbers from 0 up"),
        (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse, description = "More than 20 photos, or an unknown kind"),
    ))]
pub async fn put_rule(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(kind): Path<String>,
    Json(input): Json<RuleInput>,
) -> Result<axum::Json<Vec<EvidenceRule>>, ApiError> {
    actor.require_staff(aftersales_domain::permission::Action::ManageCatalog)?;
    let kind = Kind::from_code(&kind).ok_or_else(|| AppError::invalid("kind", Reason::Unknown))?;
    let rule = EvidenceRule { kind, before: input.before, after: input.after };
    Ok(axum::Json(s.app.put_evidence_rule(&actor, &rule).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_encoded_for_both_kinds_of_client() {
        assert_eq!(rfc5987("现场 1.jpg"), "%E7%8E%B0%E5%9C%BA%201.jpg");
        assert_eq!(ascii_fallback("现场 \"1\".jpg"), "__ _1_.jpg");
    }
}
