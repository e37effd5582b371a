//! One error type for every HTTP answer that is not a success. It is rendered as
//! `{"error": {"code", "message", "fields"}}` in the caller's language, chosen from
//! `Accept-Language` by the [`localize`] middleware, so handlers simply use `?`.

use std::collections::BTreeMap;
use std::sync::Arc;

use aftersales_app::{AppError, Current};
use aftersales_domain::error::{Reason, field_label};
use aftersales_domain::{DomainError, Lang};
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Everything that can go wrong in a request.
#[derive(Debug)]
pub enum ApiError {
    App(AppError),
    /// The request itself is malformed (JSON syntax, a wrong type, an unknown parameter).
    BadRequest {
        field: Option<String>,
        detail: String,
    },
    /// One field of the request refused before any handler ran (`crate::input`): the
    /// field is named as the client spelled it, so it is not a `domain::Field`.
    Invalid {
        field: String,
        reason: Reason,
    },
    PayloadTooLarge {
        limit: usize,
    },
    /// An answer of the framework that no handler shaped (a rejection, 405): given the
    /// error shape by [`localize`], so every error of the API reads the same.
    Status {
        status: StatusCode,
    },
    NoRoute,
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError::App(e)
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        ApiError::App(AppError::Domain(e))
    }
}

/// The error, rendered in both languages; the middleware picks one.
#[derive(Debug, Clone)]
pub(crate) struct Rendered {
    status: StatusCode,
    code: &'static str,
    message: [String; 2],
    fields: [BTreeMap<String, String>; 2],
    current: Option<Box<Current>>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: ErrorBody<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    current: Option<&'a Current>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    fields: &'a BTreeMap<String, String>,
}

const LANGS: [Lang; 2] = [Lang::Zh, Lang::En];

pub(crate) fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Domain(DomainError::Invalid(_)) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Domain(DomainError::Forbidden { .. }) => StatusCode::FORBIDDEN,
        // Each conflict carries its own status (403 where it is about who acts).
        AppError::Domain(DomainError::Conflict(c)) => StatusCode::from_u16(c.status()).unwrap_or(StatusCode::CONFLICT),
        AppError::Domain(DomainError::IllegalTransition { .. }) => StatusCode::CONFLICT,
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        AppError::Unauthenticated | AppError::SignInFailed => StatusCode::UNAUTHORIZED,
        AppError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
        AppError::Stale { .. } => StatusCode::PRECONDITION_FAILED,
        AppError::IdempotencyMismatch => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::IdempotencyInFlight => StatusCode::CONFLICT,
        AppError::Storage(_) | AppError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ApiError {
    pub fn bad_request(field: Option<&str>, detail: impl Into<String>) -> ApiError {
        ApiError::BadRequest { field: field.map(str::to_owned), detail: detail.into() }
    }

    fn render(self) -> Rendered {
        match self {
            ApiError::App(e) => {
                let status = status_of(&e);
                if e.is_internal() {
                    // The cause goes to the log only; the client reads a generic sentence.
                    tracing::error!(error = %e, "request failed");
                }
                let fields = LANGS.map(|lang| match &e {
                    AppError::Domain(d) => {
                        d.fields(lang).into_iter().map(|(f, m)| (f.to_owned(), format_field(f, &m, lang))).collect()
                    }
                    _ => BTreeMap::new(),
                });
                let current = match &e {
                    AppError::Stale { current } => Some(current.clone()),
                    _ => None,
                };
                Rendered { status, code: e.code(), message: LANGS.map(|l| e.message(l)), fields, current }
            }
            ApiError::BadRequest { field, detail } => {
                let message = [
                    match &field {
                        Some(f) => format!("请求格式有误：{}（{detail}）", field_label(f, Lang::Zh)),
                        None => format!("请求格式有误：{detail}"),
                    },
                    match &field {
                        Some(f) => format!("Malformed request: {f}: {detail}"),
                        None => format!("Malformed request: {detail}"),
                    },
                ];
                let fields = LANGS.map(|_| field.iter().map(|f| (f.clone(), detail.clone())).collect());
                Rendered { status: StatusCode::BAD_REQUEST, code: "bad_request", message, fields, current: None }
            }
            ApiError::Invalid { field, reason } => {
                let message = LANGS.map(|lang| match lang {
                    Lang::Zh => format!("提交的内容有误：{}（{}）", label(&field, lang), reason.message(lang)),
                    Lang::En => format!("Invalid input: {field} {}", reason.message(lang)),
                });
                let fields = LANGS
                    .map(|lang| BTreeMap::from([(field.clone(), format_field(&field, &reason.message(lang), lang))]));
                Rendered {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    code: "invalid_input",
                    message,
                    fields,
                    current: None,
                }
            }
            ApiError::Status { status: StatusCode::PAYLOAD_TOO_LARGE } => {
                ApiError::PayloadTooLarge { limit: crate::BODY_LIMIT }.render()
            }
            ApiError::Status { status } => {
                let (code, zh, en) = match status {
                    StatusCode::METHOD_NOT_ALLOWED => {
                        ("method_not_allowed", "该接口不支持此请求方法", "Method not allowed")
                    }
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                        ("unsupported_media_type", "不支持的内容类型", "Unsupported media type")
                    }
                    StatusCode::REQUEST_TIMEOUT => {
                        ("timeout", "请求超时，请稍后重试", "The request timed out; try again")
                    }
                    s if s.is_server_error() => ("internal", "服务器内部错误", "Internal server error"),
                    _ => ("bad_request", "请求格式有误", "Malformed request"),
                };
                Rendered {
                    status,
                    code,
                    message: [zh.into(), en.into()],
                    fields: [BTreeMap::new(), BTreeMap::new()],
                    current: None,
                }
            }
            ApiError::PayloadTooLarge { limit } => Rendered {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                code: "payload_too_large",
                message: [
                    format!("请求内容过大，上限为 {} KiB", limit / 1024),
                    format!("Request body too large (limit {} KiB)", limit / 1024),
                ],
                fields: [BTreeMap::new(), BTreeMap::new()],
                current: None,
            },
            ApiError::NoRoute => Rendered {
                status: StatusCode::NOT_FOUND,
                code: "no_route",
                message: ["没有这个接口地址".into(), "No such endpoint".into()],
                fields: [BTreeMap::new(), BTreeMap::new()],
                current: None,
            },
        }
    }
}

/// One error as the `error` object of an answer, in `lang` (for an answer that carries
/// several, such as each refused file of an upload).
pub(crate) fn detail(e: ApiError, lang: Lang) -> crate::openapi::ErrorDetail {
    let r = e.render();
    let i = usize::from(lang == Lang::En);
    let [zh, en] = r.message;
    let [fzh, fen] = r.fields;
    crate::openapi::ErrorDetail {
        code: r.code.to_owned(),
        message: if i == 1 { en } else { zh },
        fields: if i == 1 { fen } else { fzh },
    }
}

fn format_field(field: &str, message: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{}{message}", label(field, lang)),
        Lang::En => message.to_owned(),
    }
}

/// The label of a field or of a JSON path (`levels[0].name_zh` reads as the label of its
/// last name).
pub(crate) fn label(field: &str, lang: Lang) -> String {
    let known = field_label(field, lang);
    if known != field {
        return known.to_owned();
    }
    let last = field.rsplit(['.', '[']).next().unwrap_or(field);
    match field_label(last, lang) {
        l if l == last => field.to_owned(),
        l => format!("{field}（{l}）"),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let rendered = self.render();
        // Rendered in Chinese now; `localize` re-renders in English when the caller asks.
        let mut response = to_response(&rendered, Lang::Zh);
        response.extensions_mut().insert(Arc::new(rendered));
        response
    }
}

fn to_response(r: &Rendered, lang: Lang) -> Response {
    let i = usize::from(lang == Lang::En);
    let body = Body {
        error: ErrorBody { code: r.code, message: &r.message[i], fields: &r.fields[i] },
        current: r.current.as_deref(),
    };
    let mut response = (r.status, axum::Json(body)).into_response();
    if r.status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    if let Some(t) = &r.current
        && let Ok(v) = HeaderValue::from_str(&crate::etag(t.version()))
    {
        response.headers_mut().insert(header::ETAG, v);
    }
    response.headers_mut().insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.code()));
    response
}

/// The caller's language from `Accept-Language` (Chinese by default).
pub fn request_lang(headers: &axum::http::HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or_default()
}

/// Middleware: renders errors in the caller's language.
/// An error of the API that no handler shaped (a framework rejection in plain text, an
/// empty 405) is given the error shape, so a client reads every error the same way.
pub async fn localize(request: Request, next: Next) -> Response {
    let lang = request_lang(request.headers());
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    match (lang, response.extensions().get::<Arc<Rendered>>().cloned()) {
        (Lang::En, Some(rendered)) => to_response(&rendered, Lang::En),
        (_, Some(_)) => response,
        (lang, None) if api && (response.status().is_client_error() || response.status().is_server_error()) => {
            let status = response.status();
            if status.is_server_error() {
                tracing::error!(%status, "unshaped error answer");
            }
            let rendered = ApiError::Status { status }.render();
            let mut shaped = to_response(&rendered, lang);
            for name in [header::ALLOW, header::RETRY_AFTER] {
                if let Some(v) = response.headers().get(&name) {
                    shaped.headers_mut().insert(name, v.clone());
                }
            }
            shaped
        }
        _ => response,
    }
}
