//! The generic signed JSON webhook, and HTTP status classification.

use std::time::{Duration, Instant};

use aftersales_notify::{Message, SendError, Target};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::http_sink::{HttpSink, Reply};
use crate::{chinese_message, now_secs, webhook_notifier};

const SECRET: &str = "whsec_5f0c1e";

fn generic(sink: &HttpSink) -> Target {
    Target::Webhook { url: sink.url("/hooks/aftersales"), secret: SECRET.to_owned() }
}

#[tokio::test]
async fn generic_webhook_is_signed_over_timestamp_and_raw_body() {
    let sink = HttpSink::start().await;
    sink.reply_with(Reply::json(202, r#"{"accepted":true}"#));
    let msg = chinese_message();
    let before = now_secs();

    let receipt = webhook_notifier(&["127.0.0.1"]).send(&generic(&sink), &msg).await.unwrap();

    assert!(receipt.detail.contains("202"), "{receipt:?}");
    let req = &sink.requests()[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.uri.path(), "/hooks/aftersales");
    assert_eq!(
        req.json(),
        json!({"key": msg.key, "subject": msg.subject, "body": msg.body, "link": "https://desk.example.com/tickets/42"})
    );
    assert_eq!(req.header("idempotency-key"), msg.key);
    let timestamp = req.header("x-aftersales-timestamp");
    let seconds: u64 = timestamp.parse().unwrap();
    assert!(seconds >= before && seconds < before + 60);
    // Receiver side: HMAC-SHA256(secret, "{timestamp}.{raw body}"), verified in constant time.
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(&req.body);
    let signature = req.header("x-aftersales-signature");
    let hex_sig = signature.strip_prefix("sha256=").expect("sha256= prefix");
    mac.verify_slice(&hex::decode(hex_sig).unwrap()).expect("signature verifies");
}

#[tokio::test]
async fn generic_webhook_without_link_sends_null() {
    let sink = HttpSink::start().await;
    let msg = Message {
        key: "k1".into(),
        subject: "Subject".into(),
        body: "Body".into(),
        link: None,
        attachments: Vec::new(),
    };

    webhook_notifier(&["127.0.0.1"]).send(&generic(&sink), &msg).await.unwrap();

    assert_eq!(sink.requests()[0].json()["link"], serde_json::Value::Null);
}

#[tokio::test]
async fn http_500_and_429_are_retryable_4xx_permanent() {
    let sink = HttpSink::start().await;
    let notifier = webhook_notifier(&["127.0.0.1"]);
    let cases = [(500, true), (503, true), (429, true), (408, true), (400, false), (401, false), (404, false)];
    for (status, retryable) in cases {
        sink.reply_with(Reply::json(status, r#"{"error":"nope"}"#));
        let err = notifier.send(&generic(&sink), &chinese_message()).await.unwrap_err();
        assert_eq!(err.is_retryable(), retryable, "HTTP {status}: {err:?}");
        assert!(err.detail().contains(&status.to_string()), "{err}");
    }
    // Robots are classified by HTTP status first, too.
    sink.reply_with(Reply::json(502, "bad gateway"));
    let target = Target::WeCom { url: sink.url("/cgi-bin/webhook/send?key=k") };
    assert!(matches!(notifier.send(&target, &chinese_message()).await, Err(SendError::Retryable(_))));
}

#[tokio::test]
async fn slow_receiver_times_out_as_retryable() {
    let sink = HttpSink::start().await;
    sink.reply_with(Reply { delay: Some(Duration::from_secs(10)), ..Reply::json(200, "{}") });
    let policy = aftersales_notify::WebhookPolicy { allowed_hosts: vec!["127.0.0.1".into()], timeout_secs: 1 };
    let notifier = aftersales_notify::Notifier::new(None, policy).unwrap();

    let started = Instant::now();
    let err = notifier.send(&generic(&sink), &chinese_message()).await.unwrap_err();

    assert!(matches!(err, SendError::Retryable(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn connection_refused_is_retryable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let target = Target::Webhook { url: format!("http://127.0.0.1:{port}/hook"), secret: SECRET.into() };

    let err = webhook_notifier(&["127.0.0.1"]).send(&target, &chinese_message()).await.unwrap_err();

    assert!(matches!(err, SendError::Retryable(_)), "{err:?}");
}
