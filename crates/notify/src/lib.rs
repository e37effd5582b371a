//! Delivering one already-rendered message on one channel.
//!
//! This crate knows nothing about tickets, notice rules or databases: the caller (the outbox
//! worker) decides *what* to say and *to whom*, renders it into a [`Message`], picks a
//! [`Target`], and calls [`Notifier::send`]. The answer is a [`Receipt`] to store, or a
//! [`SendError`] that says whether trying again later can help.
//!
//! Channels:
//! - e-mail over SMTP ([`email`]: plain, STARTTLS or implicit TLS, optional AUTH, pooled);
//! - 企业微信 / 钉钉 / 飞书 group robots and a generic signed JSON webhook ([`robot`], [`webhook`]).
//!
//! Every HTTP request goes through the egress guard ([`egress`]), which refuses loopback,
//! private, link-local and other non-global destinations unless the host is explicitly
//! allowed (Zammad CVE-2025-32358 was exactly such a webhook SSRF).

pub mod egress;
pub mod email;
pub mod robot;
pub mod webhook;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use egress::non_global;

/// What to deliver, already rendered by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Deterministic notice key, e.g. `t42:response_timeout:1700000000000`. Receivers use it
    /// to drop duplicates (e-mail `Message-ID`, webhook `Idempotency-Key`).
    pub key: String,
    /// One line; line breaks are folded into spaces.
    pub subject: String,
    /// Plain text (Chinese or English), may contain newlines.
    pub body: String,
    /// URL of the ticket page, appended to the text when present.
    pub link: Option<String>,
    /// Files an e-mail carries after its text (a service report's PDF); robots and webhooks
    /// never carry them.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

/// A file an e-mail carries.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The name the reader sees (lettre encodes a non-ASCII one per RFC 2231/2047).
    pub filename: String,
    /// A MIME type, e.g. `application/pdf`.
    pub content_type: String,
    pub content: Vec<u8>,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("bytes", &self.content.len())
            .finish()
    }
}

/// Where to deliver a message.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "channel", rename_all = "lowercase")]
pub enum Target {
    /// An e-mail address, with an optional display name.
    Email { to: String, name: Option<String> },
    /// 企业微信群机器人 webhook URL (`…/cgi-bin/webhook/send?key=…`).
    WeCom { url: String },
    /// 钉钉自定义机器人 (access_token in the URL; optional 加签 secret, `SEC…`).
    DingTalk { url: String, secret: Option<String> },
    /// 飞书自定义机器人 (optional 签名校验 secret).
    Feishu { url: String, secret: Option<String> },
    /// Generic JSON webhook signed with HMAC-SHA256 (see [`webhook`]).
    Webhook { url: String, secret: String },
}

impl fmt::Debug for Target {
    /// Secrets and URL query strings (robot keys and tokens) are never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |s: &Option<String>| s.as_ref().map(|_| "<redacted>");
        match self {
            Target::Email { to, name } => f.debug_struct("Email").field("to", to).field("name", name).finish(),
            Target::WeCom { url } => f.debug_struct("WeCom").field("url", &webhook::display_url(url)).finish(),
            Target::DingTalk { url, secret } => f
                .debug_struct("DingTalk")
                .field("url", &webhook::display_url(url))
                .field("secret", &redacted(secret))
                .finish(),
            Target::Feishu { url, secret } => f
                .debug_struct("Feishu")
                .field("url", &webhook::display_url(url))
                .field("secret", &redacted(secret))
                .finish(),
            Target::Webhook { url, .. } => f
                .debug_struct("Webhook")
                .field("url", &webhook::display_url(url))
                .field("secret", &"<redacted>")
                .finish(),
        }
    }
}

/// How to talk to the SMTP relay.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
    /// The `From` mailbox, e.g. `售后服务台 <desk@example.com>`; its domain also names the
    /// `Message-ID`s.
    pub from: String,
    /// Limit for connecting (TCP and TLS handshake). lettre's async client applies no limit
    /// to reading replies, so a whole delivery is additionally bounded by four times this
    /// value (a relay that accepts but never answers cannot hang a worker).
    #[serde(default = "default_smtp_timeout_secs")]
    pub timeout_secs: u64,
    /// A PEM file of certificate authorities trusted besides the public ones: a company
    /// relay's certificate is usually signed by the company's own CA (issue 18).
    #[serde(default)]
    pub ca_file: Option<std::path::PathBuf>,
}

fn default_smtp_timeout_secs() -> u64 {
    30
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .field("timeout_secs", &self.timeout_secs)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

/// Transport security of the SMTP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text: only for intranet relays on a trusted network (and tests).
    None,
    /// Plain connection upgraded with STARTTLS, which is required (no silent fallback).
    StartTls,
    /// TLS from the first byte ("SMTPS", usually port 465).
    Tls,
}

/// Limits on where webhooks may go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookPolicy {
    /// Hosts (exact host names or IP literals, compared case-insensitively) that may be
    /// reached even though they resolve to loopback, private or otherwise non-global
    /// addresses, e.g. an intranet relay `hooks.corp.local` or `10.1.2.3`.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// Limit for one whole request: connecting (including DNS), sending, and reading the
    /// response, redirects included.
    #[serde(default = "default_webhook_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_webhook_timeout_secs() -> u64 {
    10
}

impl Default for WebhookPolicy {
    fn default() -> Self {
        WebhookPolicy { allowed_hosts: Vec::new(), timeout_secs: default_webhook_timeout_secs() }
    }
}

/// What the receiving side said when it accepted the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// E.g. the SMTP server's final reply, or the HTTP status and an excerpt of the body.
    pub detail: String,
}

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Trying again later may succeed: network errors, timeouts, SMTP 4xx, HTTP 5xx / 429 /
    /// 408, robots' "busy" or rate-limit codes.
    #[error("temporary failure: {0}")]
    Retryable(String),
    /// Trying again cannot help: SMTP 5xx, other HTTP 4xx, a robot's error code, an invalid
    /// address, or a destination refused by the egress guard.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

impl SendError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::Retryable(_))
    }

    /// The description without the retryable / permanent prefix.
    pub fn detail(&self) -> &str {
        match self {
            SendError::Retryable(s) | SendError::Permanent(s) => s,
        }
    }
}

/// A configuration that cannot work; reported at start-up, not at the first send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("smtp.host must not be empty")]
    EmptySmtpHost,
    #[error("smtp.from {value:?} is not a mailbox such as \"售后服务台 <desk@example.com>\"")]
    InvalidFrom { value: String },
    #[error("smtp.username and smtp.password must be given together")]
    IncompleteCredentials,
    #[error("{field} must be at least 1 second")]
    ZeroTimeout { field: &'static str },
    #[error("SMTP TLS setup failed: {0}")]
    SmtpTls(String),
    #[error("smtp.ca_file {path}: {reason}")]
    SmtpCa { path: String, reason: String },
    #[error("invalid entry {0:?} in webhooks.allowed_hosts: give a bare host name or IP address")]
    InvalidAllowedHost(String),
    #[error("HTTP client setup failed: {0}")]
    HttpClient(String),
}

/// The e-mail `Message-ID` derived from a notice key: `<hex(sha256(key))[..32]@domain>`.
///
/// The same notice always gets the same id, so a mail client or relay that sees it twice
/// (after a retry whose first attempt was in fact delivered) can recognise the duplicate.
pub fn message_id(key: &str, domain: &str) -> String {
    let digest = hex::encode(Sha256::digest(key.as_bytes()));
    format!("<{}@{}>", &digest[..32], domain)
}

/// Sends messages; cheap to clone (the SMTP pool and the HTTP client are shared).
#[derive(Clone)]
pub struct Notifier {
    inner: Arc<Inner>,
}

struct Inner {
    mailer: Option<email::Mailer>,
    hooks: webhook::Poster,
}

impl fmt::Debug for Notifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notifier")
            .field("smtp", &self.inner.mailer.as_ref().map(|m| m.relay()))
            .field("webhooks", &self.inner.hooks)
            .finish()
    }
}

impl Notifier {
    /// Checks the configuration and builds the HTTP client. Does not connect anywhere; the
    /// SMTP connection pool is created on the first e-mail (it needs a running Tokio runtime).
    pub fn new(smtp: Option<SmtpConfig>, webhooks: WebhookPolicy) -> Result<Notifier, ConfigError> {
        let mailer = smtp.map(email::Mailer::new).transpose()?;
        let hooks = webhook::Poster::new(&webhooks)?;
        Ok(Notifier { inner: Arc::new(Inner { mailer, hooks }) })
    }

    /// Delivers `msg` to `target` once (no retry here: the caller's outbox decides when to try
    /// again, using [`SendError::is_retryable`]).
    pub async fn send(&self, target: &Target, msg: &Message) -> Result<Receipt, SendError> {
        match target {
            Target::Email { to, name } => match &self.inner.mailer {
                Some(mailer) => mailer.send(to, name.as_deref(), msg).await,
                None => Err(SendError::Permanent("e-mail is not configured (no [smtp] section)".to_owned())),
            },
            Target::WeCom { url } => robot::send_wecom(&self.inner.hooks, url, msg).await,
            Target::DingTalk { url, secret } => {
                robot::send_dingtalk(&self.inner.hooks, url, secret.as_deref(), msg).await
            }
            Target::Feishu { url, secret } => robot::send_feishu(&self.inner.hooks, url, secret.as_deref(), msg).await,
            Target::Webhook { url, secret } => webhook::send_generic(&self.inner.hooks, url, secret, msg).await,
        }
    }
}

pub(crate) fn secs(field: &'static str, value: u64) -> Result<Duration, ConfigError> {
    if value == 0 { Err(ConfigError::ZeroTimeout { field }) } else { Ok(Duration::from_secs(value)) }
}

/// Folds a header-like value onto one line (CR/LF would otherwise end the header).
pub(crate) fn one_line(s: &str) -> String {
    s.split(['\r', '\n']).map(str::trim).filter(|part| !part.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The current Unix time, or zero if the clock is before 1970 (a broken clock must not panic a
/// worker; the receiver will reject the stale signature and the error says so).
pub(crate) fn unix_now() -> Duration {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default()
}
