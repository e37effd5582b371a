//! Extractors that turn malformed requests into errors naming the offending field, and
//! the bearer-token authentication.

use aftersales_app::{Actor, AppError, Idem};
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRef, FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::{AppState, BODY_LIMIT};

/// Pulls the field name out of serde's messages ("unknown field `x`", "kind: unknown variant …").
fn field_of(detail: &str) -> Option<String> {
    if let Some(rest) = detail.split("unknown field `").nth(1) {
        return rest.split('`').next().map(str::to_owned);
    }
    if let Some(rest) = detail.split("missing field `").nth(1) {
        return rest.split('`').next().map(str::to_owned);
    }
    let (path, _) = detail.split_once(": ")?;
    let path = path.trim();
    (!path.is_empty() && !path.contains(' ') && path != ".").then(|| path.to_owned())
}

fn json_error(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            let detail = e.body_text();
            let detail =
                detail.trim_start_matches("Failed to deserialize the JSON body into the target type: ").to_owned();
            ApiError::bad_request(field_of(&detail).as_deref(), detail)
        }
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request(None, format!("invalid JSON ({})", e.body_text())),
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::bad_request(None, "expected Content-Type: application/json")
        }
        JsonRejection::BytesRejection(_) => ApiError::PayloadTooLarge { limit: BODY_LIMIT },
        other => ApiError::bad_request(None, other.body_text()),
    }
}

/// A JSON body whose errors name the field.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(e) => Err(json_error(e)),
        }
    }
}

/// Parses JSON already read as bytes (for requests whose bytes are also fingerprinted).
pub fn parse_json<T: DeserializeOwned>(headers: &HeaderMap, bytes: &Bytes) -> Result<T, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.contains("+json"));
    if !is_json {
        return Err(ApiError::bad_request(None, "expected Content-Type: application/json"));
    }
    axum::Json::<T>::from_bytes(bytes).map(|axum::Json(v)| v).map_err(json_error)
}

/// A query string accepting only the declared (allow-listed) parameters.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                let detail = e.body_text();
                let detail = detail.trim_start_matches("Failed to deserialize query string: ").to_owned();
                Err(ApiError::bad_request(field_of(&detail).as_deref(), detail))
            }
            Err(e) => Err(ApiError::bad_request(None, e.body_text())),
        }
    }
}

/// A path parameter that must be a record id.
#[derive(Debug)]
pub struct IdPath(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match <axum::extract::Path<i64> as FromRequestParts<S>>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(id)) if id > 0 => Ok(IdPath(id)),
            _ => Err(ApiError::bad_request(Some("id"), "expected a positive integer id")),
        }
    }
}

/// The token of `Authorization: Bearer <token>`, if the request carries one.
pub(crate) fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
}

/// The authenticated caller (`Authorization: Bearer as_…`).
#[derive(Debug, Clone)]
pub struct Auth(pub Actor);

impl<S> FromRequestParts<S> for Auth
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = bearer(&parts.headers).ok_or(ApiError::App(AppError::Unauthenticated))?;
        let actor = state.app.authenticate(token).await?;
        crate::metrics::RequestNotes::user(parts, actor.id());
        Ok(Auth(actor))
    }
}

/// The version a change is based on, from `If-Match: "7"` (also `W/"7"` or `7`).
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub i64);

impl<S: Send + Sync> OptionalFromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        let Some(raw) = parts.headers.get(header::IF_MATCH) else { return Ok(None) };
        let v = raw.to_str().unwrap_or("").trim();
        let v = v.strip_prefix("W/").unwrap_or(v).trim_matches('"');
        v.parse::<i64>()
            .map(|n| Some(IfMatch(n)))
            .map_err(|_| ApiError::bad_request(Some("If-Match"), "expected the ticket's ETag, e.g. \"3\""))
    }
}

/// The `Idempotency-Key` of a POST, with a fingerprint of the request it names.
pub fn idempotency(
    headers: &HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
    status: u16,
) -> Result<Option<Idem>, ApiError> {
    let Some(raw) = headers.get("idempotency-key") else { return Ok(None) };
    let key = raw.to_str().unwrap_or("").trim();
    if key.is_empty() || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::bad_request(Some("Idempotency-Key"), "expected 1 to 128 visible ASCII characters"));
    }
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b" ");
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(body);
    Ok(Some(Idem { key: key.to_owned(), fingerprint: hex::encode(h.finalize()), status }))
}
