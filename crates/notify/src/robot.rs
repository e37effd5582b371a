//! Group robots of the chat tools Chinese teams read: 企业微信, 钉钉, 飞书.
//!
//! Each robot takes a text message as JSON and answers HTTP 200 with a JSON status code
//! (`errcode`, or `code` / `StatusCode` for 飞书) that is 0 on success. A non-zero code is a
//! permanent failure (bad key, signature mismatch, keyword filter, IP allow-list …), except
//! the documented "busy" and rate-limit codes in [`RETRYABLE_CODES`], which pass with time.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::webhook::{Answer, Poster, hmac_sha256, parse_url};
use crate::{Message, Receipt, SendError};

/// Robot status codes that mean "try again later":
/// -1 system busy (企业微信, 钉钉), 45009 API frequency limit (企业微信),
/// 130101 sending too fast (钉钉), 11232 frequency limited (飞书).
pub const RETRYABLE_CODES: &[i64] = &[-1, 45009, 130101, 11232];

/// 企业微信 limits text content to 2048 bytes of UTF-8.
const WECOM_MAX_BYTES: usize = 2048;
/// 钉钉 and 飞书 accept about 20 KB per message; stay below with room for the JSON envelope.
const DINGTALK_MAX_BYTES: usize = 18_000;
const FEISHU_MAX_BYTES: usize = 18_000;

/// The robot text: subject, body, and the link on its own line, cut to `max_bytes` by
/// shortening the body (the subject and the link are what a reader needs most).
pub fn robot_text(msg: &Message, max_bytes: usize) -> String {
    let subject = crate::one_line(&msg.subject);
    let link = msg.link.as_deref().map(|l| format!("\n{l}")).unwrap_or_default();
    let full = format!("{subject}\n{}{link}", msg.body);
    if full.len() <= max_bytes {
        return full;
    }
    const ELLIPSIS: &str = "…";
    let fixed = subject.len() + 1 + ELLIPSIS.len() + link.len();
    if fixed <= max_bytes {
        let body = truncate_bytes(&msg.body, max_bytes - fixed);
        format!("{subject}\n{body}{ELLIPSIS}{link}")
    } else {
        let mut text = truncate_bytes(&full, max_bytes.saturating_sub(ELLIPSIS.len())).to_owned();
        text.push_str(ELLIPSIS);
        text
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate_bytes(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// 钉钉加签: `urlencode(base64(hmac_sha256(key = secret, msg = "{timestamp_ms}\n{secret}")))`;
/// this returns the value before URL encoding (the query serializer encodes it).
pub fn dingtalk_sign(secret: &str, timestamp_ms: u128) -> String {
    BASE64.encode(hmac_sha256(secret.as_bytes(), format!("{timestamp_ms}\n{secret}").as_bytes()))
}

/// 飞书签名校验: `base64(hmac_sha256(key = "{timestamp_s}\n{secret}", msg = ""))`.
pub fn feishu_sign(secret: &str, timestamp_s: u64) -> String {
    BASE64.encode(hmac_sha256(format!("{timestamp_s}\n{secret}").as_bytes(), b""))
}

pub(crate) async fn send_wecom(poster: &Poster, url: &str, msg: &Message) -> Result<Receipt, SendError> {
    let url = parse_url(url)?;
    let payload = json!({"msgtype": "text", "text": {"content": robot_text(msg, WECOM_MAX_BYTES)}});
    let answer = poster.post_json(url, HeaderMap::new(), encode(&payload)?).await?;
    check_code(&answer, &["errcode"], "企业微信")
}

pub(crate) async fn send_dingtalk(
    poster: &Poster,
    url: &str,
    secret: Option<&str>,
    msg: &Message,
) -> Result<Receipt, SendError> {
    let mut url = parse_url(url)?;
    if let Some(secret) = secret {
        let timestamp = crate::unix_now().as_millis();
        let sign = dingtalk_sign(secret, timestamp);
        // Form encoding turns base64's '+', '/' and '=' into %2B, %2F, %3D: the documented
        // URLEncoder.encode(…, "UTF-8").
        url.query_pairs_mut().append_pair("timestamp", &timestamp.to_string()).append_pair("sign", &sign);
    }
    let payload = json!({"msgtype": "text", "text": {"content": robot_text(msg, DINGTALK_MAX_BYTES)}});
    let answer = poster.post_json(url, HeaderMap::new(), encode(&payload)?).await?;
    check_code(&answer, &["errcode"], "钉钉")
}

pub(crate) async fn send_feishu(
    poster: &Poster,
    url: &str,
    secret: Option<&str>,
    msg: &Message,
) -> Result<Receipt, SendError> {
    let url = parse_url(url)?;
    let mut payload = json!({"msg_type": "text", "content": {"text": robot_text(msg, FEISHU_MAX_BYTES)}});
    if let (Some(secret), Value::Object(fields)) = (secret, &mut payload) {
        let timestamp = crate::unix_now().as_secs();
        fields.insert("timestamp".to_owned(), Value::String(timestamp.to_string()));
        fields.insert("sign".to_owned(), Value::String(feishu_sign(secret, timestamp)));
    }
    let answer = poster.post_json(url, HeaderMap::new(), encode(&payload)?).await?;
    check_code(&answer, &["code", "StatusCode"], "飞书")
}

fn encode(payload: &Value) -> Result<Vec<u8>, SendError> {
    serde_json::to_vec(payload).map_err(|e| SendError::Permanent(format!("cannot encode payload: {e}")))
}

/// Reads the robot's status code from the first of `fields` present in the JSON answer.
fn check_code(answer: &Answer, fields: &[&str], robot: &str) -> Result<Receipt, SendError> {
    let json: Value = serde_json::from_slice(&answer.body).map_err(|_| {
        SendError::Permanent(format!(
            "{robot} robot at {} answered HTTP {} without a JSON status: {}",
            answer.display_url,
            answer.status,
            answer.excerpt()
        ))
    })?;
    let code = fields.iter().find_map(|f| json.get(*f)).and_then(Value::as_i64);
    match code {
        Some(0) => Ok(answer.receipt()),
        Some(code) => {
            let text = format!(
                "{robot} robot at {} refused the message (code {code}): {}",
                answer.display_url,
                answer.excerpt()
            );
            if RETRYABLE_CODES.contains(&code) {
                Err(SendError::Retryable(text))
            } else {
                Err(SendError::Permanent(text))
            }
        }
        None => Err(SendError::Permanent(format!(
            "{robot} robot at {} answered without a status code: {}",
            answer.display_url,
            answer.excerpt()
        ))),
    }
}
