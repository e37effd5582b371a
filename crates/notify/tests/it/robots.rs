//! 企业微信 / 钉钉 / 飞书 robots: payload shapes, the vendors' signatures recomputed here from
//! their documentation, and how their answers are classified.

use aftersales_notify::{SendError, Target};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::http_sink::{HttpSink, Reply};
use crate::{chinese_message, now_secs, webhook_notifier};

const EXPECTED_TEXT: &str = "【超时提醒】工单 T42 响应超时：客户“华东机床厂”设备停机\n工单 T42 已超过 30 分钟未响应。\n请立即联系客户。\nSecond line in English.\nhttps://desk.example.com/tickets/42";

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(msg);
    mac.finalize().into_bytes().to_vec()
}

#[tokio::test]
async fn wecom_posts_text_and_accepts_errcode_zero() {
    let sink = HttpSink::start().await;
    let target = Target::WeCom { url: sink.url("/cgi-bin/webhook/send?key=693a91f6-7xxx") };

    let receipt = webhook_notifier(&["127.0.0.1"]).send(&target, &chinese_message()).await.unwrap();

    assert!(receipt.detail.contains("200"), "{receipt:?}");
    let requests = sink.requests();
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.uri.to_string(), "/cgi-bin/webhook/send?key=693a91f6-7xxx");
    assert!(req.header("content-type").starts_with("application/json"));
    assert_eq!(req.json(), json!({"msgtype": "text", "text": {"content": EXPECTED_TEXT}}));
}

#[tokio::test]
async fn wecom_text_is_cut_to_2048_bytes_keeping_subject_and_link() {
    let sink = HttpSink::start().await;
    let mut msg = chinese_message();
    msg.body = "很长的描述。".repeat(400); // 7200 bytes
    let target = Target::WeCom { url: sink.url("/cgi-bin/webhook/send?key=k") };

    webhook_notifier(&["127.0.0.1"]).send(&target, &msg).await.unwrap();

    let content = sink.requests()[0].json()["text"]["content"].as_str().unwrap().to_owned();
    assert!(content.len() <= 2048, "{} bytes", content.len());
    assert!(content.starts_with(&msg.subject));
    assert!(content.ends_with("…\nhttps://desk.example.com/tickets/42"), "{content}");
}

#[tokio::test]
async fn wecom_errcode_is_permanent_and_rate_limit_retryable() {
    let sink = HttpSink::start().await;
    let target = Target::WeCom { url: sink.url("/cgi-bin/webhook/send?key=wrong") };
    let notifier = webhook_notifier(&["127.0.0.1"]);

    sink.reply_with(Reply::json(200, r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#));
    let err = notifier.send(&target, &chinese_message()).await.unwrap_err();
    assert!(matches!(err, SendError::Permanent(_)), "{err:?}");
    assert!(err.detail().contains("93000"), "{err}");
    assert!(!err.detail().contains("key=wrong"), "robot key leaked into the error: {err}");

    sink.reply_with(Reply::json(200, r#"{"errcode":45009,"errmsg":"api freq out of limit"}"#));
    let err = notifier.send(&target, &chinese_message()).await.unwrap_err();
    assert!(matches!(err, SendError::Retryable(_)), "{err:?}");
}

#[tokio::test]
async fn dingtalk_signs_the_url_as_documented() {
    let sink = HttpSink::start().await;
    let secret = "SEC1f0c8e2b7a6d5c4b3a29181706f5e4d3c2b1a0f9e8d7c6b5a4938271605f4e3d";
    let target = Target::DingTalk { url: sink.url("/robot/send?access_token=tok123"), secret: Some(secret.to_owned()) };
    let before_ms = u128::from(now_secs()) * 1000;

    webhook_notifier(&["127.0.0.1"]).send(&target, &chinese_message()).await.unwrap();

    let req = &sink.requests()[0];
    assert_eq!(req.uri.path(), "/robot/send");
    let query = req.uri.query().unwrap();
    // Parse the query by hand: access_token kept first, then timestamp and sign appended.
    let pairs: Vec<(&str, &str)> = query.split('&').map(|p| p.split_once('=').unwrap()).collect();
    assert_eq!(pairs[0], ("access_token", "tok123"));
    assert_eq!(pairs[1].0, "timestamp");
    assert_eq!(pairs[2].0, "sign");
    let timestamp: u128 = pairs[1].1.parse().unwrap();
    assert!(timestamp >= before_ms && timestamp < before_ms + 60_000, "timestamp {timestamp} is not in ms");
    // urlEncode of base64: '+', '/', '=' must be percent-encoded.
    let encoded_sign = pairs[2].1;
    assert!(!encoded_sign.contains(['+', '/', '=']), "sign not URL-encoded: {encoded_sign}");
    let sign = encoded_sign.replace("%2B", "+").replace("%2F", "/").replace("%3D", "=");
    // DingTalk: HmacSHA256(key = secret, data = timestamp + "\n" + secret), Base64, urlEncode.
    let expected = BASE64.encode(hmac_sha256(secret.as_bytes(), format!("{timestamp}\n{secret}").as_bytes()));
    assert_eq!(sign, expected);
    assert_eq!(req.json(), json!({"msgtype": "text", "text": {"content": EXPECTED_TEXT}}));
}

#[tokio::test]
async fn dingtalk_without_secret_leaves_the_url_alone() {
    let sink = HttpSink::start().await;
    let target = Target::DingTalk { url: sink.url("/robot/send?access_token=tok123"), secret: None };

    webhook_notifier(&["127.0.0.1"]).send(&target, &chinese_message()).await.unwrap();

    assert_eq!(sink.requests()[0].uri.query(), Some("access_token=tok123"));
}

#[tokio::test]
async fn dingtalk_sign_mismatch_is_permanent() {
    let sink = HttpSink::start().await;
    sink.reply_with(Reply::json(200, r#"{"errcode":310000,"errmsg":"sign not match"}"#));
    let target = Target::DingTalk { url: sink.url("/robot/send?access_token=t"), secret: Some("SECx".to_owned()) };

    let err = webhook_notifier(&["127.0.0.1"]).send(&target, &chinese_message()).await.unwrap_err();

    assert!(matches!(err, SendError::Permanent(_)), "{err:?}");
    assert!(err.detail().contains("310000"), "{err}");
}

#[tokio::test]
async fn feishu_signs_the_body_as_documented() {
    let sink = HttpSink::start().await;
    sink.reply_with(Reply::json(200, r#"{"code":0,"msg":"success","data":{}}"#));
    let secret = "qu5Ls9kWx3NcBL7O1dJkDe";
    let target = Target::Feishu { url: sink.url("/open-apis/bot/v2/hook/abc-123"), secret: Some(secret.to_owned()) };
    let before = now_secs();

    webhook_notifier(&["127.0.0.1"]).send(&target, &chinese_message()).await.unwrap();

    let body = sink.requests()[0].json();
    assert_eq!(body["msg_type"], "text");
    assert_eq!(body["content"], json!({"text": EXPECTED_TEXT}));
    let timestamp = body["timestamp"].as_str().expect("timestamp is a string");
    let seconds: u64 = timestamp.parse().unwrap();
    assert!(seconds >= before && seconds < before + 60, "timestamp {seconds} is not in seconds");
    // Feishu: key = timestamp + "\n" + secret, HmacSHA256 over an empty message, Base64.
    let expected = BASE64.encode(hmac_sha256(format!("{timestamp}\n{secret}").as_bytes(), b""));
    assert_eq!(body["sign"], expected);
}

#[tokio::test]
async fn feishu_without_secret_sends_no_signature_fields() {
    let sink = HttpSink::start().await;
    sink.reply_with(Reply::json(200, r#"{"StatusCode":0,"StatusMessage":"success"}"#));
    let target = Target::Feishu { url: sink.url("/open-apis/bot/v2/hook/abc"), secret: None };

    webhook_notifier(&["127.0.0.1"]).send(&target, &chinese_message()).await.unwrap();

    assert_eq!(sink.requests()[0].json(), json!({"msg_type": "text", "content": {"text": EXPECTED_TEXT}}));
}

#[tokio::test]
async fn feishu_error_code_is_permanent() {
    let sink = HttpSink::start().await;
    sink.reply_with(Reply::json(
        200,
        r#"{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}"#,
    ));
    let target = Target::Feishu { url: sink.url("/open-apis/bot/v2/hook/abc"), secret: Some("s".to_owned()) };

    let err = webhook_notifier(&["127.0.0.1"]).send(&target, &chinese_message()).await.unwrap_err();

    assert!(matches!(err, SendError::Permanent(_)), "{err:?}");
    assert!(err.detail().contains("19021"), "{err}");
}

#[tokio::test]
async fn robot_answer_without_status_json_is_permanent() {
    let sink = HttpSink::start().await;
    sink.reply_with(Reply::json(200, "<html>captive portal</html>"));
    let target = Target::WeCom { url: sink.url("/cgi-bin/webhook/send?key=k") };

    let err = webhook_notifier(&["127.0.0.1"]).send(&target, &chinese_message()).await.unwrap_err();

    assert!(matches!(err, SendError::Permanent(_)), "{err:?}");
}
