//! The service report reaches the customer by e-mail (issue 14): the ticket page's send
//! step (and the API's), the mail with the PDF attached and a link, the link's signing page
//! with the canvas, the signed copy mailed back; a group robot hears of it with no file.

use aftersales_app::Outcome;
use aftersales_app::reports::{PrepareInput, pdf};
use aftersales_app::tickets::Command;
use aftersales_domain::customer::ContactInput;
use aftersales_domain::notice::{Audience, ChannelKind, NoticeKind};
use aftersales_testkit::app_test;
use axum::http::{Method, StatusCode};
use base64::Engine as _;
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::json;

/// The text of a PDF, as `pdftotext` (poppler-utils) reads it.
fn text_of(pdf: &[u8]) -> String {
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let file = std::env::temp_dir().join(format!("aftersales-report-mail-{}-{n}.pdf", std::process::id()));
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (Debian poppler-utils) is installed");
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A mail as read: its subject, its text, and its PDF attachments with their names.
type Mail = (String, String, Vec<(String, Vec<u8>)>);

/// The mails sent to `to` so far, parsed.
fn mails_to(t: &aftersales_testkit::TestApp, to: &str) -> Vec<Mail> {
    t.mail()
        .iter()
        .filter(|m| m.rcpt_to.iter().any(|r| r.contains(to)))
        .map(|m| {
            let parsed = MessageParser::default().parse(&m.data).unwrap();
            let files = parsed
                .attachments()
                .filter(|a| a.content_type().is_some_and(|c| c.ctype() == "application" && c.subtype() == Some("pdf")))
                .map(|a| (a.attachment_name().unwrap_or_default().to_owned(), a.contents().to_vec()))
                .collect();
            let text = parsed.body_text(0).unwrap_or_default().replace("\r\n", "\n");
            (parsed.subject().unwrap_or_default().to_owned(), text, files)
        })
        .collect()
}

app_test!(the_report_is_mailed_with_its_pdf_signed_through_the_link_and_mailed_back_signed, |t| {
    let (app, org) = (t.app(), &t.org);
    // A group robot hears of every report mail too, without the file.
    let mailed = (vec![Audience::Contact], vec![ChannelKind::InApp, ChannelKind::Email]);
    org.route_to_robot(app, NoticeKind::ReportToSign, mailed, ("desk", t.robot_url("/hooks/desk"))).await;
    let mut ticket = app
        .register(&org.desk, &org.registration(t.db.now()), None)
        .await
        .and_then(Outcome::into_value)
        .unwrap()
        .ticket;
    for (who, cmd) in [
        (&org.desk, Command::Accept),
        (&org.desk, Command::Grade { level: "P3".into(), reason: "单台设备".into() }),
        (&org.dispatcher, Command::Dispatch { group_id: None, engineer_id: None }),
        (&org.eng_south, Command::Respond { note: None }),
        (&org.eng_south, Command::Start { plan: None }),
        (&org.eng_south, Command::Resolve { resolution: "清理搓纸轮，试印 50 张正常".into() }),
    ] {
        ticket = app
            .act(who, ticket.id, Some(ticket.version), &cmd, None)
            .await
            .and_then(Outcome::into_value)
            .unwrap()
            .ticket
            .ticket;
    }
    let number = ticket.number.to_string();
    let r = app.prepare_report(&org.eng_south, ticket.id, &PrepareInput::default()).await.unwrap();

    // The contact has no address: the page says so before any button, the API refuses it.
    let mut supervisor = t.browser(&org.supervisor).await;
    let page = supervisor.get(&format!("/tickets/{}", ticket.id)).await;
    assert!(page.html.contains(r#"id="report-send-no-email""#) && page.html.contains("黄主任"), "{}", page.html);
    assert!(!page.html.contains(r#"id="form-report-send""#));
    let api = t.api(&org.supervisor).await;
    let refused = api.post(&format!("/api/v1/reports/{}/sending", r.id), &json!({})).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(refused.body["error"]["code"], "report_no_contact_email");

    let input = ContactInput {
        name: Some("黄主任".into()),
        phone: Some("020-86001234".into()),
        email: Some("huang@nanyue.example.cn".into()),
        department: Some("行政部".into()),
        lang: None,
    };
    app.update_contact(&org.admin, org.contact_b.id, &input).await.unwrap();
    let page = supervisor.get(&format!("/tickets/{}", ticket.id)).await;
    assert!(page.html.contains("huang@nanyue.example.cn"), "{}", page.html);
    let sent = supervisor.post(&format!("/reports/{}/send", r.id), &[]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let page = supervisor.follow(&sent).await;
    assert!(page.html.contains("服务报告已发送给客户"), "{}", page.html);

    let sweep = t.work().await;
    assert_eq!(sweep.failed, 0, "{sweep:?}");
    let mails = mails_to(&t, "huang@nanyue.example.cn");
    let (subject, text, files) = mails.iter().find(|m| m.0.contains("服务报告待签字")).expect("the report mail");
    assert!(subject.contains(&number), "{subject}");
    assert_eq!(files.len(), 1, "one PDF attached");
    assert_eq!(files[0].0, format!("service-report-{number}-v1.pdf"));
    let preview = text_of(&files[0].1);
    assert!(preview.contains(&number) && preview.contains("待客户签字"), "{preview}");
    let link = text.lines().find(|l| l.contains("/l/")).expect("a link to sign").trim().to_owned();
    let path = &link[link.find("/l/").unwrap()..];
    // The group robot got the notice and no file.
    let posts = t.robot_posts();
    assert_eq!(posts.len(), 1);
    let hook = posts[0].json().to_string();
    assert!(hook.contains("服务报告待签字") && !hook.contains("attachment") && !hook.contains("PDF-"), "{hook}");

    // The link over the API, with no token: what it is for and the version it signs; a
    // signature with nothing drawn is refused naming the field, and nothing changes.
    let token = path.trim_start_matches("/l/");
    let api_path = format!("/api/v1/links/{token}");
    let anonymous = |method: Method, body: Option<serde_json::Value>| {
        let (router, path) = (t.router.clone(), api_path.clone());
        async move { aftersales_testkit::client::api_call(&router, method, &path, None, body.as_ref(), &[]).await }
    };
    let view = anonymous(Method::GET, None).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    let version = view.body["report"]["version"].as_i64();
    assert_eq!((view.body["purpose"].as_str(), version), (Some("report"), Some(i64::from(r.version))));
    // The holder of a link reads the version, not the staff's ids or the ticket's file ids.
    for staff_only in ["id", "created_by", "recorded_by", "photo_ids", "ticket_id"] {
        assert!(view.body["report"].get(staff_only).is_none(), "{staff_only} in {}", view.body);
    }
    assert_eq!(view.body["ticket"]["number"], number.as_str());
    let blank = json!({"answer": "sign", "signer_name": "黄主任", "relationship": "device_owner"});
    let refused = anonymous(Method::POST, Some(blank)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(!refused.body["error"]["fields"]["signature"].is_null(), "{}", refused.body);

    // The link's page: the canvas to sign; opening it changes nothing.
    let mut contact = t.anonymous();
    let open = contact.get(path).await;
    assert_eq!(open.status, StatusCode::OK, "{}", open.html);
    assert!(open.html.contains(r#"id="link-sign""#) && open.html.contains(r#"data-signature="sign-data""#));
    // The report can be read from the page too (a mail client may drop the attachment).
    let pdf_path = format!("{path}/pdf");
    assert!(open.html.contains(&format!(r#"href="{pdf_path}""#)), "{}", open.html);
    let read = contact.get(&pdf_path).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(read.html.starts_with("%PDF-"), "a PDF");
    assert_eq!(app.service_reports(&org.desk, ticket.id).await.unwrap().versions[0].status.code(), "draft");
    let png =
        format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(pdf::sample_signature()));
    let fields =
        [("answer", "sign"), ("signer_name", "黄主任"), ("relationship", "device_owner"), ("signature", png.as_str())];
    let done = contact.post(path, &fields).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert!(done.html.contains("服务报告已签字"), "{}", done.html);
    // Once: the same link again says it was used, and names no ticket.
    let again = contact.post(path, &fields).await;
    assert!(again.html.contains("此链接已使用过") && !again.html.contains(&number), "{}", again.html);
    // A spent link hands out no report either.
    let gone = contact.get(&pdf_path).await;
    assert!(gone.status != StatusCode::OK && !gone.html.starts_with("%PDF-") && !gone.html.contains(&number));

    // The signed copy arrives, the kept PDF attached, naming the ticket and the signer.
    t.work().await;
    let mails = mails_to(&t, "huang@nanyue.example.cn");
    let (_, _, files) = mails.iter().find(|m| m.0.contains("服务报告已签字")).expect("the signed copy");
    let signed = text_of(&files[0].1);
    assert!(signed.contains(&number) && signed.contains("黄主任") && signed.contains("邮件链接"), "{signed}");
    let kept = app.report_pdf(&org.portal_b, r.id).await.unwrap();
    assert_eq!(kept.bytes, files[0].1, "the mail carries the kept PDF");
    let ticket = app.ticket(&org.desk, ticket.id).await.unwrap().ticket;
    assert_eq!(ticket.status.code(), "closed");
});
