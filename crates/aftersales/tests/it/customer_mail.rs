//! A contact without a portal account is told by mail and answers through the mailed link
//! (issue 11), through the real binary: its worker e-mails a local SMTP server, the link in
//! the "please confirm" mail is opened and posted over HTTP, and a second post changes nothing.

use std::time::Duration;

use aftersales_app::{App, Settings};
use aftersales_domain::customer::ContactInput;
use aftersales_storage::Store;
use aftersales_testkit::smtp_sink::SmtpSink;
use aftersales_testkit::{Org, eventually};
use mail_parser::MessageParser;
use serde_json::{Value, json};

use crate::server::{Server, command, free_port, run, temp_dir};

/// A mail as the contact reads it: subject, text, and the raw headers.
#[derive(Clone)]
struct Mail {
    to: Vec<String>,
    subject: String,
    text: String,
    raw: String,
}

fn mails(smtp: &SmtpSink) -> Vec<Mail> {
    smtp.received()
        .into_iter()
        .map(|r| {
            let m = MessageParser::default().parse(&r.data).expect("a mail that parses");
            Mail {
                to: r.rcpt_to.clone(),
                subject: m.subject().unwrap_or_default().to_owned(),
                text: m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
                raw: String::from_utf8_lossy(&r.data).into_owned(),
            }
        })
        .collect()
}

async fn wait_for_mail(smtp: &SmtpSink, to: &str, subject: &str, log: &std::path::Path) -> Mail {
    eventually(Duration::from_secs(60), &format!("a mail {subject:?} to {to}"), async || {
        let all = mails(smtp);
        all.iter().find(|m| m.to.iter().any(|t| t.contains(to)) && m.subject.contains(subject)).cloned().ok_or_else(
            || {
                format!(
                    "got {:?}\n{}",
                    all.iter().map(|m| (&m.to, &m.subject)).collect::<Vec<_>>(),
                    std::fs::read_to_string(log).unwrap_or_default()
                )
            },
        )
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_without_an_account_confirms_closure_from_the_mail_exactly_once() {
    let dir = temp_dir("customer_mail");
    let smtp = SmtpSink::start().await;
    let port = free_port();
    std::fs::write(dir.join("aftersales.toml"), format!("demo = false\npublic_url = \"http://127.0.0.1:{port}\"\n"))
        .unwrap();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("data").join("aftersales.db").display());
    // The organization, and a contact of customer B who has no portal account.
    let (org, alice) = {
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let app = App::new(store.clone(), Settings::default());
        app.ensure_defaults().await.unwrap();
        let org = Org::create(&app).await;
        let input = ContactInput {
            name: Some("陈女士".into()),
            phone: Some("13700000009".into()),
            email: Some("chen@example.com".into()),
            department: Some("财务部".into()),
            lang: None,
        };
        let alice = app.create_contact(&org.admin, org.customer_b.id, &input).await.unwrap();
        drop(app);
        store.close().await.unwrap();
        (org, alice)
    };
    let token = |username: &str| {
        let out = run(&dir, &["token", "create", "--username", username]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let (desk, dispatcher, eng) = (token("desk1"), token("dispatch1"), token("eng.south"));
    // The relay as a container is told it: in the environment, nested with `__`.
    let mut serve = command(&dir, &["serve"]);
    serve.env("AFTERSALES_LISTEN", format!("127.0.0.1:{port}")).envs([
        ("AFTERSALES_SMTP__HOST", "127.0.0.1".to_owned()),
        ("AFTERSALES_SMTP__PORT", smtp.addr.port().to_string()),
        ("AFTERSALES_SMTP__TLS", "none".to_owned()),
        ("AFTERSALES_SMTP__FROM", "售后服务台 <desk@example.com>".to_owned()),
        ("AFTERSALES_SMTP__TIMEOUT_SECS", "5".to_owned()),
    ]);
    let server = Server::start_with(&dir, port, serve).await;
    let log = dir.join(format!("server-{port}.log"));
    let api = format!("{}/api/v1", server.base);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // The desk registers her call; the request goes its way to resolution.
    let registration = json!({
        "customer_id": org.customer_b.id, "contact_id": alice.id, "category_id": org.paper_jam.id,
        "device_serial": org.device_b.serial, "fault_code": "J-7012",
        "description": "复印时第二纸盒卡纸，面板报警 J-7012",
        "occurred_at": jiff::Timestamp::now().to_string(), "impact_scope": "财务部一台复印机"
    });
    let r = http.post(format!("{api}/tickets")).bearer_auth(&desk).json(&registration).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let mut etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let t: Value = r.json().await.unwrap();
    let (id, number) = (t["id"].as_i64().unwrap(), t["number"].as_str().unwrap().to_owned());
    for (tok, body) in [
        (&desk, json!({"action": "accept"})),
        (&desk, json!({"action": "grade", "level": "P3", "reason": "单台设备"})),
        (&dispatcher, json!({"action": "dispatch"})),
        (&eng, json!({"action": "respond", "note": "INTERNAL 客户说话很急"})),
        (&eng, json!({"action": "start", "plan": "INTERNAL 先换搓纸轮"})),
        (&eng, json!({"action": "resolve", "resolution": "更换第二纸盒搓纸轮，试印正常"})),
    ] {
        let r = http
            .post(format!("{api}/tickets/{id}/transitions"))
            .bearer_auth(tok)
            .header("if-match", &etag)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{body}");
        etag = r.headers()["etag"].to_str().unwrap().to_owned();
    }

    // She is told it was accepted, and asked to confirm, by mail, in Chinese.
    let accepted = wait_for_mail(&smtp, "chen@example.com", "已受理", &log).await;
    assert!(
        accepted.text.contains("已受理您的反馈，我们将尽快处理") && accepted.text.contains(&number),
        "{}",
        accepted.text
    );
    assert!(accepted.raw.contains("Auto-Submitted: auto-generated"), "marked machine-made");
    let resolved = wait_for_mail(&smtp, "chen@example.com", "请确认", &log).await;
    assert!(resolved.text.contains("更换第二纸盒搓纸轮，试印正常"), "{}", resolved.text);
    for m in mails(&smtp).iter().filter(|m| m.to.iter().any(|t| t.contains("chen@example.com"))) {
        assert!(!m.text.contains("INTERNAL") && !m.text.contains("Notice:"), "{}", m.text);
    }
    let prefix = format!("http://127.0.0.1:{port}/l/");
    let start = resolved.text.find(&prefix).expect("a link in the mail");
    let link: String = resolved.text[start..].chars().take_while(|c| !c.is_whitespace()).collect();

    // Opening it changes nothing; answering through it closes the request, once.
    let page = http.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(&number) && html.contains("陈女士"), "{html}");
    let ticket = async || -> Value {
        http.get(format!("{api}/tickets/{id}")).bearer_auth(&desk).send().await.unwrap().json().await.unwrap()
    };
    assert_eq!(ticket().await["status"], "resolved");
    let origin = server.base.clone();
    let confirm =
        async || http.post(&link).header("origin", &origin).form(&[("answer", "confirm")]).send().await.unwrap();
    let first = confirm().await;
    assert_eq!(first.status(), 200);
    assert!(first.text().await.unwrap().contains("已确认结案"));
    assert_eq!(ticket().await["status"], "closed");
    let second = confirm().await;
    assert_eq!(second.status(), 409);
    assert!(second.text().await.unwrap().contains("此链接已使用过"));
    let events: Value =
        http.get(format!("{api}/tickets/{id}/events")).bearer_auth(&desk).send().await.unwrap().json().await.unwrap();
    let closures = events.as_array().unwrap().iter().filter(|e| e["action"] == "confirm_closure").count();
    assert_eq!(closures, 1, "the second post changed nothing");
    // A post from another site, and a forged link, are refused without a word about the request.
    let r =
        http.post(&link).header("origin", "http://evil.example").form(&[("answer", "confirm")]).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let forged = format!("{prefix}{}", "A".repeat(43));
    let r = http.get(&forged).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(!r.text().await.unwrap().contains(&number));
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
