//! E-mail through a real SMTP conversation with the sink.

use std::time::{Duration, Instant};

use aftersales_notify::{Message, Notifier, SendError, SmtpConfig, SmtpTls, Target, WebhookPolicy, message_id};
use mail_parser::{MessageParser, MimeHeaders};

use crate::chinese_message;
use crate::smtp_sink::SmtpSink;

fn config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".to_owned(),
        port,
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: "售后服务台 <desk@example.com>".to_owned(),
        timeout_secs: 2,
        ca_file: None,
    }
}

fn notifier(port: u16) -> Notifier {
    Notifier::new(Some(config(port)), WebhookPolicy::default()).unwrap()
}

fn to_engineer() -> Target {
    Target::Email { to: "zhang.wei@example.cn".to_owned(), name: Some("张伟".to_owned()) }
}

#[tokio::test]
async fn chinese_mail_arrives_intact_with_message_id_and_notice_header() {
    let sink = SmtpSink::start().await;
    let msg = chinese_message();

    let receipt = notifier(sink.addr.port()).send(&to_engineer(), &msg).await.unwrap();

    assert!(receipt.detail.starts_with("250"), "{receipt:?}");
    let received = sink.received();
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert!(mail.mail_from.contains("<desk@example.com>"), "{}", mail.mail_from);
    assert_eq!(mail.rcpt_to.len(), 1);
    assert!(mail.rcpt_to[0].contains("<zhang.wei@example.cn>"), "{:?}", mail.rcpt_to);
    // What went over the wire is 7-bit: the Chinese is encoded, not sent raw.
    assert!(mail.data.is_ascii(), "raw message is not 7-bit clean");

    let parsed = MessageParser::default().parse(&mail.data).unwrap();
    assert_eq!(parsed.subject(), Some(msg.subject.as_str()));
    // Mail lines end in CRLF on the wire; compare the text with LF line ends.
    let body = parsed.body_text(0).unwrap().replace("\r\n", "\n");
    assert!(body.contains("工单 T42 已超过 30 分钟未响应。\n请立即联系客户。"), "{body}");
    assert!(body.contains("https://desk.example.com/tickets/42"), "{body}");
    let from = parsed.from().unwrap().first().unwrap();
    assert_eq!(from.name(), Some("售后服务台"));
    assert_eq!(from.address(), Some("desk@example.com"));
    let to = parsed.to().unwrap().first().unwrap();
    assert_eq!(to.name(), Some("张伟"));

    let expected_id = message_id(&msg.key, "example.com");
    // mail-parser returns the id without its angle brackets.
    assert_eq!(format!("<{}>", parsed.message_id().unwrap()), expected_id);
    let raw = String::from_utf8_lossy(&mail.data);
    assert!(raw.contains(&format!("Message-ID: {expected_id}")), "{raw}");
    assert_eq!(parsed.header_raw("X-Aftersales-Notice").map(str::trim), Some(msg.key.as_str()));
    let content_type = parsed.content_type().unwrap();
    assert_eq!(content_type.ctype(), "text");
    assert_eq!(content_type.subtype(), Some("plain"));
    assert!(content_type.attribute("charset").unwrap().eq_ignore_ascii_case("utf-8"));
}

#[tokio::test]
async fn a_pdf_attachment_arrives_after_the_text_with_its_chinese_name() {
    let sink = SmtpSink::start().await;
    let pdf = b"%PDF-1.7\n\x00\xff binary body\n%%EOF\n".to_vec();
    let msg = Message {
        attachments: vec![aftersales_notify::Attachment {
            filename: "服务报告-20261207-001-第1版.pdf".to_owned(),
            content_type: "application/pdf".to_owned(),
            content: pdf.clone(),
        }],
        ..chinese_message()
    };

    notifier(sink.addr.port()).send(&to_engineer(), &msg).await.unwrap();

    let mail = &sink.received()[0];
    assert!(mail.data.is_ascii(), "raw message is not 7-bit clean");
    let parsed = MessageParser::default().parse(&mail.data).unwrap();
    assert_eq!(parsed.content_type().unwrap().subtype(), Some("mixed"));
    let body = parsed.body_text(0).unwrap().replace("\r\n", "\n");
    assert!(body.contains("请立即联系客户。"), "{body}");
    assert_eq!(parsed.attachment_count(), 1);
    let part = parsed.attachment(0).unwrap();
    assert_eq!(part.attachment_name(), Some("服务报告-20261207-001-第1版.pdf"));
    let kind = part.content_type().unwrap();
    assert_eq!((kind.ctype(), kind.subtype()), ("application", Some("pdf")));
    assert_eq!(part.contents(), pdf.as_slice());
}

#[tokio::test]
async fn pooled_connection_is_reused_for_the_next_mail() {
    let sink = SmtpSink::start().await;
    let notifier = notifier(sink.addr.port());
    let mut second = chinese_message();
    second.key = "t43:resolve_timeout:1700000000001".to_owned();

    notifier.send(&to_engineer(), &chinese_message()).await.unwrap();
    // lettre returns a used connection to the pool from a spawned task that does no I/O; on
    // this single-threaded runtime it runs as soon as this task yields.
    tokio::task::yield_now().await;
    notifier.clone().send(&to_engineer(), &second).await.unwrap();

    let received = sink.received();
    assert_eq!(received.len(), 2);
    assert_eq!(sink.connections(), 1, "the second mail should reuse the pooled connection");
    let id = MessageParser::default().parse(&received[1].data).unwrap().message_id().unwrap().to_owned();
    assert_eq!(format!("<{id}>"), message_id(&second.key, "example.com"));
}

#[tokio::test]
async fn temporary_rejection_451_is_retryable() {
    let sink = SmtpSink::start().await;
    sink.reply_to_rcpt("451 4.3.0 mailbox busy, try later");

    let err = notifier(sink.addr.port()).send(&to_engineer(), &chinese_message()).await.unwrap_err();

    assert!(matches!(err, SendError::Retryable(_)), "{err:?}");
    assert!(err.detail().contains("451"), "{err}");
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn permanent_rejection_550_is_permanent() {
    let sink = SmtpSink::start().await;
    sink.reply_to_rcpt("550 5.1.1 no such user");

    let err = notifier(sink.addr.port()).send(&to_engineer(), &chinese_message()).await.unwrap_err();

    assert!(matches!(err, SendError::Permanent(_)), "{err:?}");
    assert!(err.detail().contains("550"), "{err}");
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn connection_refused_is_retryable() {
    // Bind to learn a free port, then close it so that nothing listens there.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };

    let err = notifier(port).send(&to_engineer(), &chinese_message()).await.unwrap_err();

    assert!(matches!(err, SendError::Retryable(_)), "{err:?}");
}

#[tokio::test]
async fn silent_server_times_out_as_retryable() {
    // Accepts the TCP connection but never greets.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let (_stream, _) = listener.accept().await.unwrap();
        std::future::pending::<()>().await;
    });
    let mut cfg = config(port);
    cfg.timeout_secs = 1;
    let notifier = Notifier::new(Some(cfg), WebhookPolicy::default()).unwrap();

    let started = Instant::now();
    let err = notifier.send(&to_engineer(), &chinese_message()).await.unwrap_err();

    assert!(matches!(err, SendError::Retryable(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    hold.abort();
}

#[tokio::test]
async fn invalid_recipient_is_permanent_without_connecting() {
    let sink = SmtpSink::start().await;
    let target = Target::Email { to: "not an address".to_owned(), name: None };

    let err = notifier(sink.addr.port()).send(&target, &chinese_message()).await.unwrap_err();

    assert!(matches!(err, SendError::Permanent(_)), "{err:?}");
    assert_eq!(sink.connections(), 0);
}

#[tokio::test]
async fn email_without_smtp_config_is_permanent() {
    let notifier = Notifier::new(None, WebhookPolicy::default()).unwrap();
    let msg = Message { key: "k".into(), subject: "s".into(), body: "b".into(), link: None, attachments: Vec::new() };

    let err = notifier.send(&to_engineer(), &msg).await.unwrap_err();

    assert!(matches!(err, SendError::Permanent(_)), "{err:?}");
}

#[test]
fn bad_smtp_configuration_is_reported_at_startup() {
    use aftersales_notify::ConfigError;
    let new = |cfg: SmtpConfig| Notifier::new(Some(cfg), WebhookPolicy::default()).map(|_| ()).unwrap_err();

    assert!(matches!(new(SmtpConfig { from: "desk@".into(), ..config(25) }), ConfigError::InvalidFrom { .. }));
    assert_eq!(new(SmtpConfig { username: Some("u".into()), ..config(25) }), ConfigError::IncompleteCredentials);
    assert_eq!(
        new(SmtpConfig { timeout_secs: 0, ..config(25) }),
        ConfigError::ZeroTimeout { field: "smtp.timeout_secs" }
    );
    assert_eq!(new(SmtpConfig { host: " ".into(), ..config(25) }), ConfigError::EmptySmtpHost);
    // Built outside any Tokio runtime and dropped there: must not panic.
    let ok = Notifier::new(Some(SmtpConfig { tls: SmtpTls::StartTls, ..config(25) }), WebhookPolicy::default());
    drop(ok.unwrap());
}

#[test]
fn message_id_is_the_sha256_prefix_of_the_key() {
    // sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a3…, the FIPS 180-2 test vector.
    let id = message_id("abc", "example.com");
    assert_eq!(id, "<ba7816bf8f01cfea414140de5dae2223@example.com>");
    assert_eq!(message_id("abc", "example.com"), id, "deterministic");
    assert_ne!(message_id("abd", "example.com"), id);
}

#[tokio::test]
async fn starttls_required_but_not_offered_sends_nothing_in_plain_text() {
    // The sink does not advertise STARTTLS: a required upgrade must not fall back to plain text.
    let sink = SmtpSink::start().await;
    let cfg = SmtpConfig { tls: SmtpTls::StartTls, ..config(sink.addr.port()) };
    let notifier = Notifier::new(Some(cfg), WebhookPolicy::default()).unwrap();

    let err = notifier.send(&to_engineer(), &chinese_message()).await.unwrap_err();

    assert!(err.detail().contains("STARTTLS"), "{err}");
    assert!(matches!(err, SendError::Permanent(_)), "{err:?}");
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn implicit_tls_against_a_plain_server_sends_nothing() {
    let sink = SmtpSink::start().await;
    let cfg = SmtpConfig { tls: SmtpTls::Tls, ..config(sink.addr.port()) };
    let notifier = Notifier::new(Some(cfg), WebhookPolicy::default()).unwrap();

    let err = notifier.send(&to_engineer(), &chinese_message()).await.unwrap_err();

    // A failed handshake is a relay or configuration problem an operator fixes: retry later.
    assert!(matches!(err, SendError::Retryable(_)), "{err:?}");
    assert!(sink.received().is_empty());
}

#[test]
fn notifier_outliving_its_runtime_drops_without_panicking() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (notifier, sink) = runtime.block_on(async {
        let sink = SmtpSink::start().await;
        let notifier = notifier(sink.addr.port());
        notifier.send(&to_engineer(), &chinese_message()).await.unwrap();
        (notifier, sink)
    });
    drop(runtime);
    drop(sink);
    // The SMTP pool exists now; dropping it outside a runtime must not panic.
    drop(notifier);
}

/// A company relay whose certificate the company's own CA signed (issue 18): trusted with
/// `smtp.ca_file`, over STARTTLS and over TLS from the first byte; refused without it.
#[tokio::test]
async fn a_relay_signed_by_the_company_ca_is_trusted_with_ca_file() {
    use crate::smtp_sink::{SinkTls, TEST_CA};
    for (sink_tls, tls) in [(SinkTls::StartTls, SmtpTls::StartTls), (SinkTls::Wrapper, SmtpTls::Tls)] {
        let sink = SmtpSink::start_with(sink_tls).await;
        let cfg = SmtpConfig { host: "localhost".into(), tls, ..config(sink.addr.port()) };

        // Without the company CA the relay's certificate is not trusted: nothing is sent.
        let untrusted = Notifier::new(Some(cfg.clone()), WebhookPolicy::default()).unwrap();
        let err = untrusted.send(&to_engineer(), &chinese_message()).await.unwrap_err();
        assert!(sink.received().is_empty(), "{tls:?}: sent to an untrusted relay ({err})");

        let trusted = SmtpConfig { ca_file: Some(TEST_CA.into()), ..cfg };
        let notifier = Notifier::new(Some(trusted), WebhookPolicy::default()).unwrap();
        let receipt = notifier.send(&to_engineer(), &chinese_message()).await.unwrap();
        assert!(receipt.detail.starts_with("250"), "{tls:?}: {receipt:?}");
        assert_eq!(sink.over_tls(), 1, "{tls:?}: the mail went over TLS");
        let text = String::from_utf8_lossy(&sink.received()[0].data).into_owned();
        assert!(text.contains("X-Aftersales-Notice"), "{text}");
    }
}

#[test]
fn a_ca_file_that_is_missing_or_not_a_certificate_is_named_at_startup() {
    use aftersales_notify::ConfigError;
    let new = |cfg: SmtpConfig| Notifier::new(Some(cfg), WebhookPolicy::default()).map(|_| ()).unwrap_err();
    let missing =
        SmtpConfig { tls: SmtpTls::StartTls, ca_file: Some("/nonexistent/company-ca.pem".into()), ..config(25) };
    assert!(matches!(new(missing), ConfigError::SmtpCa { ref path, .. } if path.contains("company-ca.pem")));
    let dir = std::env::temp_dir().join(format!("aftersales_ca_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let not_pem = dir.join("ca.pem");
    std::fs::write(&not_pem, "=HYPERLINK(\"http://x\")\n").unwrap();
    let err = new(SmtpConfig { tls: SmtpTls::Tls, ca_file: Some(not_pem), ..config(25) });
    assert!(err.to_string().contains("holds no PEM certificate"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
