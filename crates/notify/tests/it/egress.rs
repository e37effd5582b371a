//! The egress guard (SSRF, Zammad CVE-2025-32358): refused destinations receive nothing.
//!
//! Only loopback sinks are ever started; every other address below is refused before any
//! socket is opened, so these tests send no traffic off the machine.

use std::net::IpAddr;

use aftersales_notify::{ConfigError, Notifier, SendError, Target, WebhookPolicy, non_global};

use crate::http_sink::{HttpSink, Reply};
use crate::{chinese_message, webhook_notifier};

fn hook(url: String) -> Target {
    Target::Webhook { url, secret: "s".to_owned() }
}

fn assert_refused(result: Result<aftersales_notify::Receipt, SendError>, mentions: &[&str]) {
    let err = result.unwrap_err();
    assert!(matches!(err, SendError::Permanent(_)), "{err:?}");
    for word in mentions {
        assert!(err.detail().contains(word), "{err} should mention {word}");
    }
}

#[tokio::test]
async fn loopback_ip_is_refused_with_an_empty_allow_list() {
    let sink = HttpSink::start().await;

    let result = webhook_notifier(&[]).send(&hook(sink.url("/hook")), &chinese_message()).await;

    assert_refused(result, &["127.0.0.1", "loopback"]);
    assert!(sink.requests().is_empty());
}

#[tokio::test]
async fn localhost_name_is_refused_after_resolution() {
    let sink = HttpSink::start().await;
    let url = format!("http://localhost:{}/hook", sink.addr.port());

    let result = webhook_notifier(&[]).send(&hook(url), &chinese_message()).await;

    // Names the host and the address it resolved to (127.0.0.1 or ::1).
    assert_refused(result, &["localhost", "loopback"]);
    assert!(sink.requests().is_empty());
}

#[tokio::test]
async fn allowed_host_is_delivered() {
    let sink = HttpSink::start().await;

    webhook_notifier(&["127.0.0.1"]).send(&hook(sink.url("/hook")), &chinese_message()).await.unwrap();

    assert_eq!(sink.requests().len(), 1);
}

#[tokio::test]
async fn allowed_host_name_is_delivered_and_compared_case_insensitively() {
    let sink = HttpSink::start().await;
    let url = format!("http://localhost:{}/hook", sink.addr.port());

    // localhost may resolve to ::1 first, where the sink does not listen: the connector then
    // falls back to 127.0.0.1, which is what the sink needs.
    webhook_notifier(&["LocalHost"]).send(&hook(url), &chinese_message()).await.unwrap();

    assert_eq!(sink.requests().len(), 1);
}

#[tokio::test]
async fn other_ip_spellings_of_loopback_are_refused() {
    let sink = HttpSink::start().await;
    let port = sink.addr.port();
    let notifier = webhook_notifier(&[]);
    for url in [
        format!("http://2130706433:{port}/"),         // decimal 127.0.0.1
        format!("http://0x7f.0.0.1:{port}/"),         // hex
        format!("http://127.1:{port}/"),              // short form
        format!("http://[::ffff:127.0.0.1]:{port}/"), // IPv4-mapped IPv6
        format!("http://[::1]:{port}/"),
        format!("http://0.0.0.0:{port}/"),
    ] {
        let result = notifier.send(&hook(url.clone()), &chinese_message()).await;
        let err = result.unwrap_err();
        assert!(matches!(err, SendError::Permanent(_)), "{url}: {err:?}");
    }
    assert!(sink.requests().is_empty());
}

#[tokio::test]
async fn redirect_to_metadata_endpoint_is_refused() {
    let sink = HttpSink::start().await;
    sink.reply_with(Reply::redirect(307, "http://169.254.169.254/latest/meta-data/iam/"));

    let result = webhook_notifier(&["127.0.0.1"]).send(&hook(sink.url("/hook")), &chinese_message()).await;

    assert_refused(result, &["169.254.169.254", "link-local"]);
    assert_eq!(sink.requests().len(), 1, "only the first, allowed request was made");
}

#[tokio::test]
async fn redirect_to_a_non_allowed_loopback_host_is_refused() {
    let sink = HttpSink::start().await;
    let other = HttpSink::start().await;
    sink.reply_with(Reply::redirect(302, &format!("http://localhost:{}/internal", other.addr.port())));

    let result = webhook_notifier(&["127.0.0.1"]).send(&hook(sink.url("/hook")), &chinese_message()).await;

    assert_refused(result, &["localhost", "loopback"]);
    assert!(other.requests().is_empty());
}

#[tokio::test]
async fn redirect_to_an_allowed_host_is_followed() {
    let sink = HttpSink::start().await;
    let other = HttpSink::start().await;
    sink.reply_with(Reply::redirect(308, &other.url("/moved")));

    webhook_notifier(&["127.0.0.1"]).send(&hook(sink.url("/hook")), &chinese_message()).await.unwrap();

    let moved = other.requests();
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].method, "POST", "308 keeps the method and body");
    assert_eq!(moved[0].json()["key"], chinese_message().key);
}

#[tokio::test]
async fn at_most_three_redirects_are_followed() {
    let sink = HttpSink::start().await;
    sink.reply_with(Reply::redirect(307, &sink.url("/again")));

    let result = webhook_notifier(&["127.0.0.1"]).send(&hook(sink.url("/hook")), &chinese_message()).await;

    assert_refused(result, &["redirect"]);
    assert_eq!(sink.requests().len(), 4, "the request plus three redirects");
}

#[tokio::test]
async fn only_http_and_https_schemes() {
    let notifier = webhook_notifier(&["127.0.0.1", "localhost"]);
    for url in ["file:///etc/passwd", "ftp://127.0.0.1/notice", "gopher://127.0.0.1:70/", "not a url"] {
        let result = notifier.send(&hook(url.to_owned()), &chinese_message()).await;
        let err = result.unwrap_err();
        assert!(matches!(err, SendError::Permanent(_)), "{url}: {err:?}");
    }
    let sink = HttpSink::start().await;
    // A redirect to another scheme is not followed at all: the 302 itself is the failure.
    sink.reply_with(Reply::redirect(302, "file:///etc/passwd"));
    let result = notifier.send(&hook(sink.url("/hook")), &chinese_message()).await;
    assert_refused(result, &["302", "not followed"]);
    assert_eq!(sink.requests().len(), 1);
}

#[test]
fn allow_list_entries_must_be_bare_hosts() {
    let new = |host: &str| {
        Notifier::new(None, WebhookPolicy { allowed_hosts: vec![host.to_owned()], timeout_secs: 5 }).map(|_| ())
    };
    assert!(new("hooks.corp.local").is_ok());
    assert!(new("10.1.2.3").is_ok());
    assert!(new("[fd00::1]").is_ok());
    assert!(matches!(new("http://hooks.corp.local/"), Err(ConfigError::InvalidAllowedHost(_))));
    assert!(matches!(new("127.0.0.1:8080"), Err(ConfigError::InvalidAllowedHost(_))));
    assert!(matches!(new(""), Err(ConfigError::InvalidAllowedHost(_))));
}

#[test]
fn address_classification() {
    let blocked = [
        "127.0.0.1",
        "127.255.0.9",
        "10.0.0.1",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",
        "100.64.0.1",
        "192.0.2.10",
        "198.18.0.1",
        "224.0.0.1",
        "255.255.255.255",
        "::",
        "::1",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",
        "2001:db8::1",
        "2002:a00:1::1",
    ];
    for ip in blocked {
        assert!(non_global(ip.parse::<IpAddr>().unwrap()).is_some(), "{ip} should be refused");
    }
    let global = [
        "1.1.1.1",
        "8.8.8.8",
        "172.32.0.1",
        "100.128.0.1",
        "2400:3200::1",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
    ];
    for ip in global {
        assert_eq!(non_global(ip.parse::<IpAddr>().unwrap()), None, "{ip} should be allowed");
    }
}
