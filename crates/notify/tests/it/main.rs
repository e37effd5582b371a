//! Delivery against real peers on 127.0.0.1: an SMTP sink speaking SMTP over TCP and an HTTP
//! sink (axum) standing in for the robots and webhook receivers.
#![allow(clippy::unwrap_used)]

mod egress;
mod email;
mod robots;
mod webhook;

pub use aftersales_testkit::{http_sink, smtp_sink};

use aftersales_notify::{Message, Notifier, WebhookPolicy};

/// A message in Chinese with a link, as the outbox would render it.
pub fn chinese_message() -> Message {
    Message {
        key: "t42:response_timeout:1700000000000".to_owned(),
        subject: "【超时提醒】工单 T42 响应超时：客户“华东机床厂”设备停机".to_owned(),
        body: "工单 T42 已超过 30 分钟未响应。\n请立即联系客户。\nSecond line in English.".to_owned(),
        link: Some("https://desk.example.com/tickets/42".to_owned()),
        attachments: Vec::new(),
    }
}

/// A notifier without e-mail whose webhooks may reach the given hosts.
pub fn webhook_notifier(allowed: &[&str]) -> Notifier {
    let policy = WebhookPolicy { allowed_hosts: allowed.iter().map(|h| (*h).to_owned()).collect(), timeout_secs: 5 };
    Notifier::new(None, policy).unwrap()
}

/// Current Unix time in seconds.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}
