//! HTTP delivery: the shared guarded client, and the generic signed JSON webhook.
//!
//! Generic webhook format (for integrators' own endpoints):
//!
//! ```text
//! POST <url>
//! Content-Type: application/json; charset=utf-8
//! Idempotency-Key: <message key>
//! X-Aftersales-Timestamp: <unix seconds>
//! X-Aftersales-Signature: sha256=<hex(hmac_sha256(secret, "<timestamp>.<raw body>"))>
//!
//! {"key": "...", "subject": "...", "body": "...", "link": "..." | null}
//! ```
//!
//! A receiver recomputes the signature over the raw body bytes, compares in constant time,
//! rejects timestamps too far from its clock (replay), and drops repeated `Idempotency-Key`s.
//! Any 2xx answer counts as delivered.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION};
use reqwest::{StatusCode, Url};
use serde::Serialize;
use sha2::Sha256;

use crate::egress::{Egress, GuardedResolver, MAX_REDIRECTS, Refusal};
use crate::{ConfigError, Message, Receipt, SendError, WebhookPolicy};

/// Header carrying the Unix time (seconds) the signature was made at.
pub const TIMESTAMP_HEADER: &str = "X-Aftersales-Timestamp";
/// Header carrying `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "X-Aftersales-Signature";
/// Header carrying the message key.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// Response bodies are read up to this size (robots answer with a few dozen bytes).
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// Characters of a response body kept in receipts and errors.
const EXCERPT_CHARS: usize = 300;

/// The HTTP side of the notifier: one pooled client whose resolver and redirect policy enforce
/// the egress guard.
pub(crate) struct Poster {
    client: reqwest::Client,
    egress: Arc<Egress>,
}

impl fmt::Debug for Poster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poster").field("egress", &self.egress).finish_non_exhaustive()
    }
}

/// A successful (2xx) answer.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
    pub(crate) display_url: String,
}

impl Answer {
    pub(crate) fn excerpt(&self) -> String {
        excerpt(&self.body)
    }

    pub(crate) fn receipt(&self) -> Receipt {
        Receipt { detail: format!("HTTP {}: {}", self.status, self.excerpt()) }
    }
}

impl Poster {
    pub(crate) fn new(policy: &WebhookPolicy) -> Result<Poster, ConfigError> {
        let timeout = crate::secs("webhooks.timeout_secs", policy.timeout_secs)?;
        let egress = Arc::new(Egress::new(&policy.allowed_hosts)?);
        let redirect_egress = Arc::clone(&egress);
        let redirect = reqwest::redirect::Policy::custom(move |attempt| {
            // `previous` holds the original URL plus every redirect already followed.
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(Refusal::TooManyRedirects);
            }
            match redirect_egress.check_url(attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(refusal) => attempt.error(refusal),
            }
        });
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver { egress: Arc::clone(&egress) }))
            .redirect(redirect)
            .connect_timeout(timeout)
            .timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("aftersales-notify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::HttpClient(error_chain(&e)))?;
        Ok(Poster { client, egress })
    }

    /// POSTs a JSON body. Returns the answer for a 2xx status; classifies everything else.
    pub(crate) async fn post_json(&self, url: Url, headers: HeaderMap, body: Vec<u8>) -> Result<Answer, SendError> {
        let display_url = display_url(url.as_str());
        self.egress.check_url(&url).map_err(|r| SendError::Permanent(r.to_string()))?;
        let response = self
            .client
            .post(url)
            .headers(headers)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"))
            .body(body)
            .send()
            .await
            .map_err(|e| classify(e, &display_url))?;
        let status = response.status();
        let location = response.headers().get(LOCATION).and_then(|l| l.to_str().ok()).map(self::display_url);
        let body = read_capped(response).await.map_err(|e| classify(e, &display_url))?;
        let answer = Answer { status, body, display_url };
        if status.is_success() {
            Ok(answer)
        } else {
            let mut text = format!("HTTP {} from {}: {}", status, answer.display_url, answer.excerpt());
            if let (true, Some(location)) = (status.is_redirection(), location) {
                // reqwest hands back redirects it will not follow (non-HTTP target, no usable
                // Location); the policy in `new` refuses the others with an error.
                text.push_str(&format!(" (redirect to {location} not followed)"));
            }
            // 408/429/5xx: the receiver is overloaded or down; everything else (4xx, and a
            // 3xx that was not followed) will not change by itself.
            if status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::REQUEST_TIMEOUT
                || status.is_server_error()
            {
                Err(SendError::Retryable(text))
            } else {
                Err(SendError::Permanent(text))
            }
        }
    }
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_RESPONSE_BYTES - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_RESPONSE_BYTES {
            break;
        }
    }
    Ok(body)
}

/// Maps a transport-level failure: the egress guard's refusals are permanent, anything on the
/// network (DNS, connect, reset, timeout) is retryable.
fn classify(err: reqwest::Error, display_url: &str) -> SendError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    while let Some(e) = source {
        if let Some(refusal) = e.downcast_ref::<Refusal>() {
            return SendError::Permanent(format!("{refusal} (webhook {display_url})"));
        }
        source = e.source();
    }
    // Never echo the full URL: its query carries robot keys and tokens.
    let err = err.without_url();
    let text = format!("{display_url}: {}", error_chain(&err));
    if err.is_builder() || err.is_redirect() { SendError::Permanent(text) } else { SendError::Retryable(text) }
}

/// `scheme://host[:port]/path`, without user info and query: safe for logs and receipts.
pub(crate) fn display_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(u) => {
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            let host = u.host_str().unwrap_or_default();
            format!("{}://{}{}{}", u.scheme(), host, port, u.path())
        }
        Err(_) => "<invalid URL>".to_owned(),
    }
}

pub(crate) fn parse_url(url: &str) -> Result<Url, SendError> {
    Url::parse(url).map_err(|e| SendError::Permanent(format!("invalid webhook URL {:?}: {e}", display_url(url))))
}

/// An error and its sources, `outer: inner: innermost`.
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let s = e.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        source = e.source();
    }
    text
}

/// The start of a response body on one line.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out: String = text.chars().take(EXCERPT_CHARS).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if text.chars().nth(EXCERPT_CHARS).is_some() {
        out.push('…');
    }
    out
}

pub(crate) type HmacSha256 = Hmac<Sha256>;

pub(crate) fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length (long keys are hashed), so this cannot fail.
    match HmacSha256::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(msg);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

#[derive(Serialize)]
struct GenericPayload<'a> {
    key: &'a str,
    subject: &'a str,
    body: &'a str,
    link: Option<&'a str>,
}

/// The `X-Aftersales-Signature` value for a body signed at `timestamp` (Unix seconds).
pub fn signature(secret: &str, timestamp: u64, raw_body: &[u8]) -> String {
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(raw_body);
    format!("sha256={}", hex::encode(hmac_sha256(secret.as_bytes(), &signed)))
}

pub(crate) async fn send_generic(
    poster: &Poster,
    url: &str,
    secret: &str,
    msg: &Message,
) -> Result<Receipt, SendError> {
    let url = parse_url(url)?;
    let payload = GenericPayload { key: &msg.key, subject: &msg.subject, body: &msg.body, link: msg.link.as_deref() };
    let body = serde_json::to_vec(&payload).map_err(|e| SendError::Permanent(format!("cannot encode payload: {e}")))?;
    let timestamp = crate::unix_now().as_secs();
    let mut headers = HeaderMap::new();
    let header = |name: &str, value: &str| {
        HeaderValue::from_str(value).map_err(|_| SendError::Permanent(format!("{name} cannot carry {value:?}")))
    };
    headers.insert(TIMESTAMP_HEADER, header(TIMESTAMP_HEADER, &timestamp.to_string())?);
    headers.insert(SIGNATURE_HEADER, header(SIGNATURE_HEADER, &signature(secret, timestamp, &body))?);
    headers.insert(IDEMPOTENCY_HEADER, header(IDEMPOTENCY_HEADER, &msg.key)?);
    let answer = poster.post_json(url, headers, body).await?;
    Ok(answer.receipt())
}
