//! The check every request passes before a handler sees it: no decoded input holds a
//! character that text may not hold (`domain::text`). It walks what the handlers will
//! decode — path parameters, query parameters, a JSON body (every string and key, at any
//! depth) and a form body — so no handler can forget it, and names the field it refuses.
//!
//! Path and query parameters are single-line values; bodies hold free text, where tab and
//! line breaks (CRLF included, as browsers send a textarea's lines) are allowed.
//!
//! The API answers with the JSON error shape, a page with an error page; a body over the
//! limit is refused here too (413), in the same shapes.

use aftersales_domain::error::Reason;
use aftersales_domain::text::{forbidden_in_line, forbidden_in_text};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, RawPathParams};
use axum::extract::{Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::ApiError;
use crate::pages::{L, PageError, anonymous_lang};
use crate::{AppState, BODY_LIMIT};

/// What is wrong with a request's input, before any handler ran.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The field (a parameter's name or a JSON path such as `levels[0].name`) and the
    /// character it may not hold.
    Field(String, char),
    TooLarge,
}

/// The middleware of the `/api/v1` routes.
pub async fn api(request: Request, next: Next) -> Response {
    match check(request).await {
        Ok(request) => next.run(request).await,
        Err(Refusal::Field(field, found)) => {
            ApiError::Invalid { field, reason: Reason::ControlCharacter { found } }.into_response()
        }
        Err(Refusal::TooLarge) => ApiError::PayloadTooLarge { limit: BODY_LIMIT }.into_response(),
    }
}

/// The middleware of the pages.
pub async fn pages(State(s): State<AppState>, request: Request, next: Next) -> Response {
    let l = L::new(anonymous_lang(request.headers()), s.app.settings().time_zone.clone());
    match check(request).await {
        Ok(request) => next.run(request).await,
        Err(Refusal::Field(field, found)) => {
            PageError::Invalid { field, reason: Reason::ControlCharacter { found }, l }.into_response()
        }
        Err(Refusal::TooLarge) => PageError::TooLarge(l).into_response(),
    }
}

/// Checks the request's path and query parameters and its body, and gives it back (with
/// the body read into memory) when nothing is wrong.
async fn check(request: Request) -> Result<Request, Refusal> {
    let (mut parts, body) = request.into_parts();
    check_parts(&mut parts).await?;
    let kind = body_kind(&parts);
    if kind == BodyKind::Multipart {
        // An upload streams to the blob store: its handler checks each text field and file
        // name itself (`api::attachments::receive`) and its size by the kind of file.
        return Ok(Request::from_parts(parts, body));
    }
    if kind == BodyKind::Other && parts.headers.get(header::CONTENT_LENGTH).is_none_or(|v| v == "0") {
        // Nothing to decode here (GET, or a body the handler refuses by its type).
        return Ok(Request::from_parts(parts, body));
    }
    let bytes: Bytes = axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| Refusal::TooLarge)?;
    match kind {
        BodyKind::Json => {
            // Malformed JSON is the handler's to name (400); only what decodes is walked.
            if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
                walk_json(&value, &mut String::new())?;
            }
        }
        BodyKind::Form => {
            for (name, value) in form_urlencoded::parse(&bytes) {
                if let Some(found) = forbidden_in_line(&name) {
                    return Err(Refusal::Field(name.escape_debug().to_string(), found));
                }
                if let Some(found) = forbidden_in_text(&value) {
                    return Err(Refusal::Field(name.into_owned(), found));
                }
            }
        }
        BodyKind::Other | BodyKind::Multipart => {}
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

async fn check_parts(parts: &mut Parts) -> Result<(), Refusal> {
    // Only matched routes have parameters; a path that does not decode is the handler's.
    if let Ok(params) = RawPathParams::from_request_parts(parts, &()).await {
        for (name, value) in &params {
            if let Some(found) = forbidden_in_line(value) {
                return Err(Refusal::Field(name.to_owned(), found));
            }
        }
    }
    if let Some(query) = parts.uri.query() {
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if let Some(found) = forbidden_in_line(&name) {
                return Err(Refusal::Field(name.escape_debug().to_string(), found));
            }
            if let Some(found) = forbidden_in_line(&value) {
                return Err(Refusal::Field(name.into_owned(), found));
            }
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Json,
    Form,
    Multipart,
    Other,
}

fn body_kind(parts: &Parts) -> BodyKind {
    let Some(ct) = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return BodyKind::Other;
    };
    let ct = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if ct == "application/json" || ct.ends_with("+json") {
        BodyKind::Json
    } else if ct == "application/x-www-form-urlencoded" {
        BodyKind::Form
    } else if ct == "multipart/form-data" {
        BodyKind::Multipart
    } else {
        BodyKind::Other
    }
}

/// Every key and string of a JSON value; `path` is where `value` sits (`levels[0].name`).
fn walk_json(value: &Value, path: &mut String) -> Result<(), Refusal> {
    match value {
        Value::String(s) => match forbidden_in_text(s) {
            Some(found) => Err(Refusal::Field(if path.is_empty() { "body".into() } else { path.clone() }, found)),
            None => Ok(()),
        },
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk_json(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                if let Some(found) = forbidden_in_line(key) {
                    path.push_str(&key.escape_debug().to_string());
                    return Err(Refusal::Field(path.clone(), found));
                }
                path.push_str(key);
                walk_json(item, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn refused(v: Value) -> Option<(String, char)> {
        match walk_json(&v, &mut String::new()) {
            Err(Refusal::Field(f, c)) => Some((f, c)),
            _ => None,
        }
    }

    #[test]
    fn every_string_of_a_json_body_is_walked_and_named_by_its_path() {
        assert_eq!(refused(serde_json::json!({"description": "卡纸\nE02\r\n", "n": 1})), None);
        assert_eq!(refused(serde_json::json!({"description": "卡纸\u{0}"})), Some(("description".into(), '\0')));
        let deep = serde_json::json!({"levels": [{"code": "P1"}, {"code": "P2", "name_zh": "重\u{1b}要"}]});
        assert_eq!(refused(deep), Some(("levels[1].name_zh".into(), '\u{1b}')));
        assert_eq!(refused(serde_json::json!({"a\u{0}": 1})), Some(("a\\0".into(), '\0')));
        assert_eq!(refused(serde_json::json!("\u{7}")), Some(("body".into(), '\u{7}')));
    }
}
