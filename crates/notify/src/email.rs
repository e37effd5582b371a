//! E-mail over SMTP (lettre, async on Tokio, rustls).
//!
//! The mail is one UTF-8 `text/plain` part, or, when the message carries files, a
//! `multipart/mixed` of that text and each file as an attachment (a PDF as
//! `application/pdf`, its name encoded by lettre); lettre encodes the Chinese subject and display
//! names as RFC 2047 encoded words and the body as quoted-printable or base64, so it passes
//! relays without 8BITMIME. `Message-ID` is [`crate::message_id`] of the notice key and the
//! `X-Aftersales-Notice` header carries the key itself, so a repeated delivery can be
//! recognised by the receiver and traced back by an operator.
//!
//! The SMTP relay is configured by the administrator, so the webhook egress guard does not
//! apply to it (intranet relays are the normal case).

use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment as MailAttachment, Mailbox, Message as Email, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::{AsyncSmtpTransportBuilder, PoolConfig};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::webhook::error_chain;
use crate::{ConfigError, Message, Receipt, SendError, SmtpConfig, SmtpTls};

/// Header carrying the notice key.
pub const NOTICE_HEADER: &str = "X-Aftersales-Notice";

/// A whole delivery (connect, TLS, EHLO, AUTH, MAIL, RCPT, DATA) may take this many times the
/// configured timeout before it is abandoned. lettre only bounds connecting (TCP and TLS);
/// without this outer limit a relay that accepts and then stays silent would hang the send.
const WHOLE_SEND_STEPS: u32 = 4;

pub(crate) struct Mailer {
    builder: AsyncSmtpTransportBuilder,
    /// Built on first use: lettre's pool spawns its housekeeping task on the current Tokio
    /// runtime, and [`crate::Notifier::new`] may run before one exists.
    transport: OnceLock<Transport>,
    from: Mailbox,
    domain: String,
    relay: String,
    whole_send: Duration,
}

impl Mailer {
    pub(crate) fn new(cfg: SmtpConfig) -> Result<Mailer, ConfigError> {
        let host = cfg.host.trim().to_owned();
        if host.is_empty() {
            return Err(ConfigError::EmptySmtpHost);
        }
        let step = crate::secs("smtp.timeout_secs", cfg.timeout_secs)?;
        let from: Mailbox = cfg.from.parse().map_err(|_| ConfigError::InvalidFrom { value: cfg.from.clone() })?;
        let domain = from.email.domain().to_owned();
        let ca = cfg.ca_file.as_deref().map(read_ca).transpose()?;
        let tls = match cfg.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::StartTls => Tls::Required(tls_parameters(&host, ca)?),
            SmtpTls::Tls => Tls::Wrapper(tls_parameters(&host, ca)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(cfg.port)
            .tls(tls)
            .timeout(Some(step))
            .pool_config(PoolConfig::new().max_size(4).idle_timeout(Duration::from_secs(60)));
        match (cfg.username, cfg.password) {
            (Some(user), Some(password)) => builder = builder.credentials(Credentials::new(user, password)),
            (None, None) => {}
            _ => return Err(ConfigError::IncompleteCredentials),
        }
        Ok(Mailer {
            builder,
            transport: OnceLock::new(),
            from,
            domain,
            relay: format!("{host}:{} ({:?})", cfg.port, cfg.tls),
            whole_send: step * WHOLE_SEND_STEPS,
        })
    }

    pub(crate) fn relay(&self) -> &str {
        &self.relay
    }

    pub(crate) async fn send(&self, to: &str, name: Option<&str>, msg: &Message) -> Result<Receipt, SendError> {
        let email = self.build(to, name, msg)?;
        let transport = self.transport.get_or_init(|| Transport(Some(self.builder.clone().build())));
        let Some(transport) = transport.0.as_ref() else {
            return Err(SendError::Retryable("SMTP transport is shutting down".to_owned()));
        };
        let sent = tokio::time::timeout(self.whole_send, transport.send(email)).await.map_err(|_| {
            SendError::Retryable(format!("SMTP delivery via {} took longer than {:?}", self.relay, self.whole_send))
        })?;
        match sent {
            Ok(response) => {
                let text = response.message().collect::<Vec<_>>().join(" ");
                Ok(Receipt { detail: format!("{} {}", response.code(), text) })
            }
            Err(err) => Err(classify(&err, &self.relay)),
        }
    }

    fn build(&self, to: &str, name: Option<&str>, msg: &Message) -> Result<Email, SendError> {
        let address: Address =
            to.trim().parse().map_err(|e| SendError::Permanent(format!("invalid recipient address {to:?}: {e}")))?;
        let recipient = Mailbox::new(name.map(crate::one_line).filter(|n| !n.is_empty()), address);
        let mut text = msg.body.clone();
        if let Some(link) = &msg.link {
            text.push_str("\n\n");
            text.push_str(link);
        }
        let builder = Email::builder()
            .from(self.from.clone())
            .to(recipient)
            .subject(crate::one_line(&msg.subject))
            .message_id(Some(crate::message_id(&msg.key, &self.domain)))
            .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str(NOTICE_HEADER), crate::one_line(&msg.key)))
            // RFC 3834: machine-made, so auto-responders do not answer it (no mail loops).
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ));
        let built = if msg.attachments.is_empty() {
            builder.header(ContentType::TEXT_PLAIN).body(text)
        } else {
            let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(text));
            for a in &msg.attachments {
                let kind = ContentType::parse(&a.content_type).map_err(|e| {
                    SendError::Permanent(format!(
                        "attachment {:?} has no valid type {:?}: {e}",
                        a.filename, a.content_type
                    ))
                })?;
                parts =
                    parts.singlepart(MailAttachment::new(crate::one_line(&a.filename)).body(a.content.clone(), kind));
            }
            builder.multipart(parts)
        };
        built.map_err(|e| SendError::Permanent(format!("cannot build the e-mail: {e}")))
    }
}

/// The certificates of `smtp.ca_file` (PEM; one or more), or why they cannot be used.
fn read_ca(path: &std::path::Path) -> Result<Certificate, ConfigError> {
    let fail = |reason: String| ConfigError::SmtpCa { path: path.display().to_string(), reason };
    let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let count = pem.windows(27).filter(|w| w == b"-----BEGIN CERTIFICATE-----").count();
    if count == 0 {
        return Err(fail("holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into()));
    }
    Certificate::from_pem(&pem).map_err(|e| fail(format!("not a readable PEM certificate file ({})", error_chain(&e))))
}

/// TLS towards `host`: the public roots, and the company CA when one is set.
fn tls_parameters(host: &str, ca: Option<Certificate>) -> Result<TlsParameters, ConfigError> {
    let mut builder = TlsParameters::builder(host.to_owned());
    if let Some(ca) = ca {
        builder = builder.add_root_certificate(ca);
    }
    builder.build().map_err(|e| ConfigError::SmtpTls(error_chain(&e)))
}

/// SMTP 5xx replies and messages the client itself rejects are permanent; 4xx replies,
/// timeouts, refused or broken connections and TLS failures are retryable (a TLS failure is
/// usually a relay or configuration problem that an operator fixes, after which the queued
/// notices should still go out).
fn classify(err: &lettre::transport::smtp::Error, relay: &str) -> SendError {
    let text = format!("SMTP via {relay}: {}", error_chain(err));
    if err.is_permanent() || err.is_client() { SendError::Permanent(text) } else { SendError::Retryable(text) }
}

/// Owns the pooled transport. Dropping lettre's pool spawns a Tokio task (to close idle
/// connections politely); outside a runtime that would panic, so there the pool is leaked
/// instead, which only happens at process exit.
struct Transport(Option<AsyncSmtpTransport<Tokio1Executor>>);

impl Drop for Transport {
    fn drop(&mut self) {
        if let Some(transport) = self.0.take()
            && tokio::runtime::Handle::try_current().is_err()
        {
            std::mem::forget(transport);
        }
    }
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer").field("relay", &self.relay).field("from", &self.from).finish_non_exhaustive()
    }
}
