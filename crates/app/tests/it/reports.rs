//! The service report (issue 14): made once the ticket is resolved, signed by the customer
//! (on the engineer's phone or in the portal), which closes the ticket with the method
//! "signature"; the signed PDF is kept by its SHA-256, names the ticket, the parts and the
//! signer, and is reachable only by the ticket's own readers.

use aftersales_app::attachments::NewAttachment;
use aftersales_app::parts::{DecisionInput, IssueInput, RequisitionInput, StockInput, UseInput};
use aftersales_app::portal::{LinkAnswer, LinkState};
use aftersales_app::reports::{PrepareInput, RefuseInput, SignInput, pdf};
use aftersales_app::tickets::Command;
use aftersales_app::visits::{VisitBooking, VisitCheck};
use aftersales_app::{Actor, App, AppError};
use aftersales_domain::DomainError;
use aftersales_domain::attachment::EvidenceTag;
use aftersales_domain::audience::Visibility;
use aftersales_domain::clock::{ClockKind, ClockState};
use aftersales_domain::customer::ContactInput;
use aftersales_domain::customer_link::{LinkProblem, LinkPurpose};
use aftersales_domain::error::Conflict;
use aftersales_domain::notice::NoticeKind;
use aftersales_domain::parts::{MovementKind, PartInput, WarehouseInput, WarehouseKind};
use aftersales_domain::service_report::{ReportProblem, ReportStatus, SignChannel, SignerRelationship};
use aftersales_domain::ticket::{ClosureMethod, Status, Ticket};
use aftersales_testkit::{Org, db_test};
use base64::Engine as _;

use crate::support::{graded, step, working};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn signed_by(name: &str, image: &[u8]) -> SignInput {
    SignInput {
        signer_name: Some(name.into()),
        relationship: Some(SignerRelationship::DeviceOwner),
        signature: Some(format!("data:image/png;base64,{}", b64(image))),
    }
}

fn problem(e: AppError) -> ReportProblem {
    match e {
        AppError::Domain(DomainError::Conflict(Conflict::Report(p))) => p,
        other => panic!("expected a report problem, got {other:?}"),
    }
}

fn field(e: AppError) -> &'static str {
    match e {
        AppError::Domain(DomainError::Invalid(f)) => f[0].0,
        other => panic!("expected a field problem, got {other:?}"),
    }
}

/// The text of a PDF, as `pdftotext` (poppler-utils) reads it.
fn text_of(pdf: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("aftersales-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Unique per call: the SQLite and PostgreSQL runs of a test make the same bytes at once,
    // and one must not remove the other's file.
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let file = dir.join(format!("{:x}-{n}.pdf", rand_suffix(pdf)));
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

fn rand_suffix(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| (h ^ u64::from(x)).wrapping_mul(0x100_0000_01b3))
}

/// A resolved ticket of customer B on which eng_south used a fuser unit with serials.
async fn resolved_with_parts(app: &App, org: &Org, now: aftersales_domain::Timestamp) -> Ticket {
    let part = PartInput {
        number: Some("FU-C300".into()),
        name: Some("定影组件".into()),
        unit: Some("个".into()),
        price_fen: Some(68_000),
        models: Some(vec!["bizhub C300i".into()]),
        serial_tracked: Some(true),
        active: None,
    };
    let part = app.create_part(&org.keeper, &part).await.unwrap();
    let wh = WarehouseInput {
        name: Some("中心库".into()),
        kind: Some(WarehouseKind::Central),
        owner_id: None,
        active: None,
    };
    let central = app.create_warehouse(&org.keeper, &wh).await.unwrap();
    let receive = StockInput {
        kind: Some(MovementKind::Receive),
        part_id: Some(part.id),
        warehouse_id: Some(central.id),
        quantity: Some(2),
        ..StockInput::default()
    };
    app.move_stock(&org.keeper, &receive).await.unwrap();
    let t = working(app, org, &graded(app, org, now, "P2").await).await;
    let ask = RequisitionInput { part_id: Some(part.id), quantity: Some(1), note: None };
    let q = app.request_parts(&org.eng_south, t.id, &ask).await.unwrap();
    app.decide_requisition(&org.supervisor, q.id, &DecisionInput { approve: true, note: None }).await.unwrap();
    app.issue_requisition(&org.keeper, q.id, &IssueInput { warehouse_id: Some(central.id) }).await.unwrap();
    let serials =
        UseInput { quantity: Some(1), serial: Some("FU24A0001873".into()), faulty_serial: Some("FU21C0007741".into()) };
    app.use_parts(&org.eng_south, q.id, &serials).await.unwrap();
    on_site(app, org, t.id, now).await;
    let t = app.ticket(&org.desk, t.id).await.unwrap().ticket;
    step(app, &org.eng_south, &t, Command::Resolve { resolution: "更换定影组件，连续复印 200 张无卡纸".into() }).await
}

/// eng_south's visit to `ticket`, booked for an hour after `now` and checked in: the
/// engineer is on site (only then does the phone record the customer's signature).
async fn on_site(app: &App, org: &Org, ticket: i64, now: aftersales_domain::Timestamp) {
    let start = now + jiff::SignedDuration::from_hours(1);
    let booking = VisitBooking {
        window_start: start,
        planned_start: Some(start),
        duration_minutes: 60,
        travel_minutes: Some(15),
        address: Some("广州市天河区体育西路 100 号 5 楼".into()),
        ..VisitBooking::default()
    };
    let v = app.book_visit(&org.dispatcher, ticket, &booking).await.unwrap();
    let check = VisitCheck { version: v.visit.version, geo: None, note: None };
    app.check_in(&org.eng_south, v.visit.id, &check).await.unwrap();
}

/// A photo of `ticket` taken by `who` (a small JPEG), with its audience; its id.
async fn photo(app: &App, who: &Actor, ticket: i64, visibility: Visibility, name: &str) -> i64 {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 4) as u8, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    let bytes = bytes::Bytes::from(out.into_inner());
    let content: aftersales_files::ByteStream = Box::pin(futures_util::stream::once(async move { Ok(bytes) }));
    let new = NewAttachment {
        ticket_id: ticket,
        log_id: None,
        visibility,
        tag: EvidenceTag::After,
        file_name: name.into(),
        idempotency_key: None,
    };
    app.attach(who, new, content).await.unwrap().0.id
}

async fn ticket(app: &App, who: &Actor, id: i64) -> Ticket {
    app.ticket(who, id).await.unwrap().ticket
}

db_test!(signing_on_site_closes_the_ticket_and_keeps_a_pdf_naming_the_ticket_parts_and_signer, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = resolved_with_parts(app, &org, db.now()).await;
    // The photos a report prints are the ticket's, shared with the customer: an internal
    // photo, another ticket's or an unknown id is refused, naming the field.
    let inside = photo(app, &org.eng_south, t.id, Visibility::Internal, "机内.jpg").await;
    let after = photo(app, &org.eng_south, t.id, Visibility::Customer, "修复后.jpg").await;
    let other = working(app, &org, &graded(app, &org, db.now(), "P3").await).await;
    let elsewhere = photo(app, &org.eng_south, other.id, Visibility::Customer, "别处.jpg").await;
    for (ids, says) in [
        (vec![after, inside], "只有上传时设为客户可见的照片"),
        (vec![elsewhere], "不是本工单的照片"),
        (vec![9_999], "不存在"),
    ] {
        let e = app.prepare_report(&org.eng_south, t.id, &PrepareInput { photo_ids: ids }).await.unwrap_err();
        let message = e.message(aftersales_domain::Lang::Zh);
        assert!(message.contains(says), "{message}");
        assert_eq!(field(e), "photo_ids");
    }
    let r = app.prepare_report(&org.eng_south, t.id, &PrepareInput { photo_ids: vec![after] }).await.unwrap();
    assert_eq!((r.version, r.status, r.photo_ids.clone()), (1, ReportStatus::Draft, vec![after]));
    // The preview is a PDF already, with nothing signed.
    let preview = app.report_pdf(&org.eng_south, r.id).await.unwrap();
    assert!(text_of(&preview.bytes).contains("待客户签字"));

    db.advance(jiff::SignedDuration::from_hours(2));
    let signed = app.sign_report(&org.eng_south, r.id, &signed_by("李主任", &pdf::sample_signature())).await.unwrap();
    assert_eq!((signed.status, signed.channel), (ReportStatus::Signed, Some(SignChannel::OnSite)));
    let sha = signed.pdf_sha256.clone().unwrap();
    // Seed 003 验收: the signature closes the ticket with the method "signature".
    let now = ticket(app, &org.desk, t.id).await;
    assert_eq!((now.status, now.closure_method), (Status::Closed, Some(ClosureMethod::Signature)));
    // The history keeps the PDF's hash; the 24-hour report clock is met.
    let history = app.history(&org.desk, t.id).await.unwrap();
    let event = history.iter().find(|e| e.action == "report_signed").unwrap();
    assert!(serde_json::to_string(&event.changes).unwrap().contains(&sha));
    let view = app.ticket(&org.desk, t.id).await.unwrap();
    let clock = view.clocks.iter().find(|c| c.clock == ClockKind::ServiceReport).unwrap();
    assert_eq!(clock.state, ClockState::Met);

    // The customer downloads the kept PDF by id and by hash: the same bytes, under 300 KB,
    // with the ticket number, the part and its serials, and the signer.
    let by_id = app.report_pdf(&org.portal_b, r.id).await.unwrap();
    let by_hash = app.report_pdf_by_hash(&org.portal_b, &sha).await.unwrap();
    assert_eq!(by_id.bytes, by_hash.bytes);
    assert_eq!(aftersales_files::BlobId::of(&by_id.bytes).as_str(), sha);
    assert!(by_id.bytes.len() < 300 * 1024, "{} bytes", by_id.bytes.len());
    let text = text_of(&by_id.bytes);
    for expected in [
        t.number.to_string().as_str(),
        "服务报告",
        "FU-C300",
        "定影组件",
        "FU24A0001873",
        "FU21C0007741",
        "李主任",
        "设备负责人",
        "处理后：修复后.jpg",
    ] {
        assert!(text.contains(expected), "{expected:?} in the PDF's text:\n{text}");
    }

    // A second signature on the signed version is refused, and nothing changes.
    let e = app.sign_report(&org.eng_south, r.id, &signed_by("王五", &pdf::sample_signature())).await.unwrap_err();
    assert_eq!(problem(e), ReportProblem::AlreadySigned { version: 1 });
    assert_eq!(app.report_pdf(&org.desk, r.id).await.unwrap().bytes, by_id.bytes);

    // Another organization's contact reaches nothing: not by id, not by hash, not to sign.
    // The refusal is the one an unknown report gets: it names no ticket.
    let other = &org.portal_window_a;
    assert!(matches!(app.report_pdf(other, r.id).await, Err(AppError::NotFound { what: "service report", .. })));
    assert!(matches!(
        app.report_pdf_by_hash(other, &sha).await,
        Err(AppError::NotFound { what: "service report", .. })
    ));
    assert!(matches!(app.service_report(other, r.id).await, Err(AppError::NotFound { what: "service report", .. })));
    assert!(matches!(app.service_reports(other, t.id).await, Err(AppError::NotFound { .. })));
    let e = app.sign_report(other, r.id, &signed_by("张三", &pdf::sample_signature())).await.unwrap_err();
    assert!(matches!(e, AppError::NotFound { .. }), "{e:?}");

    // A correction is a new version; the signed one is kept as it was.
    let v2 = app.prepare_report(&org.eng_south, t.id, &PrepareInput::default()).await.unwrap();
    assert_eq!((v2.version, v2.status), (2, ReportStatus::Draft));
    let screen = app.service_reports(&org.portal_b, t.id).await.unwrap();
    assert_eq!(screen.versions.len(), 2);
    assert_eq!(screen.versions[0].pdf_sha256.as_deref(), Some(sha.as_str()));
});

db_test!(the_customer_signs_in_the_portal_or_refuses_with_a_reason, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = resolved_with_parts(app, &org, db.now()).await;
    let r = app.prepare_report(&org.eng_south, t.id, &PrepareInput::default()).await.unwrap();
    // Refusing needs a reason; with one it is recorded and the ticket stays resolved.
    let e = app.refuse_report(&org.portal_b, r.id, &RefuseInput::default()).await.unwrap_err();
    assert_eq!(field(e), "reason");
    let refusal = RefuseInput { reason: Some("打印质量仍有条纹，需再观察".into()), signer_name: None };
    let refused = app.refuse_report(&org.portal_b, r.id, &refusal).await.unwrap();
    assert_eq!(refused.status, ReportStatus::Refused);
    assert_eq!(ticket(app, &org.desk, t.id).await.status, Status::Resolved);
    let e = app.sign_report(&org.portal_b, r.id, &signed_by("刘科长", &pdf::sample_signature())).await.unwrap_err();
    assert_eq!(problem(e), ReportProblem::AlreadyRefused { version: 1 });
    // A new version is signed in the portal by the contact: closed by signature.
    let v2 = app.prepare_report(&org.eng_south, t.id, &PrepareInput::default()).await.unwrap();
    let signed = app.sign_report(&org.portal_b, v2.id, &signed_by("刘科长", &pdf::sample_signature())).await.unwrap();
    assert_eq!(signed.channel, Some(SignChannel::Portal));
    let now = ticket(app, &org.desk, t.id).await;
    assert_eq!((now.status, now.closure_method), (Status::Closed, Some(ClosureMethod::Signature)));
});

db_test!(bad_signatures_are_refused_and_nothing_is_kept, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = resolved_with_parts(app, &org, db.now()).await;
    let r = app.prepare_report(&org.eng_south, t.id, &PrepareInput::default()).await.unwrap();
    let good = pdf::sample_signature();
    // Nothing drawn: a transparent canvas.
    let blank = {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, 300, 100);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header().unwrap().write_image_data(&vec![0u8; 300 * 100 * 4]).unwrap();
        out
    };
    let mut truncated = good.clone();
    truncated.truncate(good.len() / 2);
    let too_big = [good.as_slice(), &vec![0u8; 200 * 1024]].concat();
    let cases: Vec<(SignInput, &str)> = vec![
        (SignInput { signature: None, ..signed_by("李主任", &good) }, "signature"),
        (signed_by("李主任", &blank), "signature"),
        (signed_by("李主任", b"GIF89a\x01\x00\x01\x00"), "signature"),
        (signed_by("李主任", &truncated), "signature"),
        (signed_by("李主任", &too_big), "signature"),
        (SignInput { signature: Some("not base64 at all!".into()), ..signed_by("李主任", &good) }, "signature"),
        (signed_by("李\u{1b}[2J主任", &good), "signer_name"),
        (signed_by("  ", &good), "signer_name"),
        (SignInput { relationship: None, ..signed_by("李主任", &good) }, "relationship"),
    ];
    for (input, expected) in cases {
        let e = app.sign_report(&org.eng_south, r.id, &input).await.unwrap_err();
        assert_eq!(field(e), expected, "{:?}", input.signer_name);
    }
    // Nothing half-stored: still a draft, the ticket still resolved.
    let screen = app.service_reports(&org.desk, t.id).await.unwrap();
    assert_eq!(screen.versions[0].status, ReportStatus::Draft);
    assert!(screen.versions[0].pdf_sha256.is_none());
    assert_eq!(ticket(app, &org.desk, t.id).await.status, Status::Resolved);
    // Only the ticket's engineer records it on site; a report before resolution is refused.
    let e = app.sign_report(&org.eng_east, r.id, &signed_by("李主任", &good)).await.unwrap_err();
    assert!(matches!(e, AppError::Domain(DomainError::Conflict(Conflict::NotAssigned))), "{e:?}");
    let open = working(app, &org, &graded(app, &org, db.now(), "P3").await).await;
    let e = app.prepare_report(&org.eng_south, open.id, &PrepareInput::default()).await.unwrap_err();
    assert_eq!(problem(e), ReportProblem::TicketNotResolved { status: Status::InProgress });
});

/// A resolved ticket of customer B worked by eng_south, nobody on site.
async fn resolved(app: &App, org: &Org, now: aftersales_domain::Timestamp) -> Ticket {
    let t = working(app, org, &graded(app, org, now, "P3").await).await;
    step(app, &org.eng_south, &t, Command::Resolve { resolution: "清理搓纸轮，试印 50 张正常".into() }).await
}

fn report_clock(view: &aftersales_app::tickets::TicketView) -> ClockState {
    view.clocks.iter().find(|c| c.clock == ClockKind::ServiceReport).map(|c| c.state).unwrap()
}

/// Customer B's contact 黄主任 gets an e-mail address.
async fn give_email(app: &App, org: &Org) {
    let input = ContactInput {
        name: Some(org.contact_b.name.clone()),
        phone: Some("020-86001234".into()),
        email: Some("huang@nanyue.example.cn".into()),
        department: Some("行政部".into()),
        lang: None,
    };
    app.update_contact(&org.admin, org.contact_b.id, &input).await.unwrap();
}

db_test!(only_the_engineer_checked_in_on_site_records_a_signature_or_refusal, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = working(app, &org, &graded(app, &org, db.now(), "P3").await).await;
    let start = db.now() + jiff::SignedDuration::from_hours(1);
    let booking = VisitBooking {
        window_start: start,
        planned_start: Some(start),
        duration_minutes: 60,
        travel_minutes: Some(15),
        address: Some("广州市天河区体育西路 100 号 5 楼".into()),
        ..VisitBooking::default()
    };
    let visit = app.book_visit(&org.dispatcher, t.id, &booking).await.unwrap().visit;
    let t = ticket(app, &org.desk, t.id).await;
    let t = step(app, &org.eng_south, &t, Command::Resolve { resolution: "清理搓纸轮".into() }).await;
    let r = app.prepare_report(&org.eng_south, t.id, &PrepareInput::default()).await.unwrap();
    let refusal = RefuseInput { reason: Some("还需观察".into()), signer_name: Some("黄主任".into()) };
    // The engineer of the ticket before checking in, and the supervisor who is not there:
    // neither records the customer's answer on the phone; the refusal says to send it.
    for who in [&org.eng_south, &org.supervisor] {
        let e = app.sign_report(who, r.id, &signed_by("黄主任", &pdf::sample_signature())).await.unwrap_err();
        assert!(e.message(aftersales_domain::Lang::Zh).contains("客户门户或通过邮件链接签字"), "{e:?}");
        assert_eq!(problem(e), ReportProblem::NotOnSite);
        let e = app.refuse_report(who, r.id, &refusal).await.unwrap_err();
        assert_eq!(problem(e), ReportProblem::NotOnSite);
        let screen = app.service_reports(who, t.id).await.unwrap();
        assert!(!screen.may_sign && screen.may_send, "{}: sends instead", who.user.username);
    }
    assert_eq!(app.service_reports(&org.desk, t.id).await.unwrap().versions[0].status, ReportStatus::Draft);
    // Checked in on site, the engineer records the customer's signature.
    let check = VisitCheck { version: visit.version, geo: None, note: None };
    app.check_in(&org.eng_south, visit.id, &check).await.unwrap();
    assert!(app.service_reports(&org.eng_south, t.id).await.unwrap().may_sign);
    let signed = app.sign_report(&org.eng_south, r.id, &signed_by("黄主任", &pdf::sample_signature())).await.unwrap();
    assert_eq!(signed.channel, Some(SignChannel::OnSite));
});

db_test!(sending_the_report_mails_it_with_a_link_that_signs_once_and_meets_the_report_clock, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = resolved(app, &org, db.now()).await;
    let r = app.prepare_report(&org.eng_south, t.id, &PrepareInput::default()).await.unwrap();
    // The contact has no e-mail address: the page says so, and the step is refused naming it.
    let screen = app.service_reports(&org.supervisor, t.id).await.unwrap();
    assert!(screen.may_send && screen.send_to.is_none());
    assert_eq!(screen.send_blocked, Some(ReportProblem::NoContactEmail { contact: "黄主任".into() }));
    let e = app.send_report(&org.supervisor, r.id).await.unwrap_err();
    assert!(e.message(aftersales_domain::Lang::Zh).contains("联系人「黄主任」没有电子邮箱"), "{e:?}");
    assert_eq!(problem(e), ReportProblem::NoContactEmail { contact: "黄主任".into() });
    assert_eq!(report_clock(&app.ticket(&org.desk, t.id).await.unwrap()), ClockState::Running);
    // A customer never sends it.
    assert!(app.send_report(&org.portal_b, r.id).await.is_err());

    give_email(app, &org).await;
    let screen = app.service_reports(&org.supervisor, t.id).await.unwrap();
    assert_eq!(screen.send_to.as_deref(), Some("huang@nanyue.example.cn"));
    assert_eq!(screen.send_blocked, None);
    db.advance(jiff::SignedDuration::from_hours(3));
    app.send_report(&org.supervisor, r.id).await.unwrap();
    // The report reached the customer: the 24-hour clock is met, and the customer reads so.
    let view = app.ticket(&org.desk, t.id).await.unwrap();
    assert_eq!(report_clock(&view), ClockState::Met);
    assert_eq!(view.ticket.status, Status::Resolved);
    let log = app.customer_work_log(&org.portal_b, t.id).await.unwrap();
    assert!(log.iter().any(|e| e.body.contains("服务报告第 1 版已通过电子邮件发送")), "{log:?}");

    // The mail: to the contact's address, with the version and a link to sign it.
    let out = app.claim_deliveries(50).await.unwrap();
    let mail = out.iter().find(|o| o.notice.kind == NoticeKind::ReportToSign).expect("a report mail");
    assert_eq!((mail.delivery.target.as_str(), mail.report_id), ("huang@nanyue.example.cn", Some(r.id)));
    let link = mail.link.clone().expect("a link to sign");
    let token = link.rsplit('/').next().unwrap().to_owned();
    let attached = app.report_attachment(r.id).await.unwrap();
    let text = text_of(&attached.bytes);
    assert!(text.contains(&t.number.to_string()) && text.contains("待客户签字"), "{text}");

    // Opening the link changes nothing; signing through it closes the ticket, once.
    match app.link_state(&token).await.unwrap() {
        LinkState::Usable { purpose, .. } => assert_eq!(purpose, LinkPurpose::Report),
        other => panic!("{other:?}"),
    }
    assert_eq!(app.link_report(&token).await.unwrap().map(|v| v.id), Some(r.id));
    let sign = LinkAnswer::Sign {
        signer_name: Some("黄主任".into()),
        relationship: Some(SignerRelationship::DeviceOwner),
        signature: Some(b64(&pdf::sample_signature())),
    };
    let blank = LinkAnswer::Sign {
        signer_name: Some("黄主任".into()),
        relationship: Some(SignerRelationship::DeviceOwner),
        signature: None,
    };
    assert!(matches!(app.use_link(&token, &blank).await, Err(AppError::Domain(DomainError::Invalid(_)))));
    app.use_link(&token, &sign).await.unwrap();
    let now = ticket(app, &org.desk, t.id).await;
    assert_eq!((now.status, now.closure_method), (Status::Closed, Some(ClosureMethod::Signature)));
    let signed = app.service_reports(&org.desk, t.id).await.unwrap().versions.remove(0);
    assert_eq!((signed.status, signed.channel), (ReportStatus::Signed, Some(SignChannel::Link)));
    assert_eq!(signed.recorded_by, Some(org.portal_b.id()));
    assert!(text_of(&app.report_pdf(&org.portal_b, r.id).await.unwrap().bytes).contains("黄主任"));
    // The link is spent, and its page names no ticket.
    let e = app.use_link(&token, &sign).await.unwrap_err();
    assert!(matches!(e, AppError::Domain(DomainError::Conflict(Conflict::Link(LinkProblem::Used)))), "{e:?}");
    match app.link_state(&token).await.unwrap() {
        LinkState::Spent { problem, number } => assert_eq!((problem, number.as_str()), (LinkProblem::Used, "")),
        other => panic!("{other:?}"),
    }
    // The clock stopped at the sending and stays met; the signed copy goes out by mail.
    assert_eq!(report_clock(&app.ticket(&org.desk, t.id).await.unwrap()), ClockState::Met);
    let out = app.claim_deliveries(50).await.unwrap();
    let copy = out.iter().find(|o| o.notice.kind == NoticeKind::ReportSigned).expect("the signed copy");
    assert_eq!((copy.report_id, copy.link.as_deref()), (Some(r.id), None));
});

db_test!(a_report_sent_late_breaches_the_clock_and_a_refusal_on_site_meets_it, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    give_email(app, &org).await;
    let late = resolved(app, &org, db.now()).await;
    let on_site = resolved_with_parts(app, &org, db.now()).await;
    let r = app.prepare_report(&org.eng_south, on_site.id, &PrepareInput::default()).await.unwrap();
    db.advance(jiff::SignedDuration::from_hours(2));
    // Refused on site: the customer had the report in hand, so the clock is met.
    let refusal =
        RefuseInput { reason: Some("费用需上报审批后再签".into()), signer_name: Some("黄主任".into()) };
    let refused = app.refuse_report(&org.eng_south, r.id, &refusal).await.unwrap();
    assert_eq!((refused.status, refused.channel), (ReportStatus::Refused, Some(SignChannel::OnSite)));
    let view = app.ticket(&org.desk, on_site.id).await.unwrap();
    assert_eq!((report_clock(&view), view.ticket.status), (ClockState::Met, Status::Resolved));
    let history = app.history(&org.desk, on_site.id).await.unwrap();
    assert!(history.iter().any(|e| e.action == "report_refused"));
    // Sent ten days after the resolution: the report reached the customer too late.
    db.advance(jiff::SignedDuration::from_hours(240));
    let v = app.prepare_report(&org.eng_south, late.id, &PrepareInput::default()).await.unwrap();
    app.send_report(&org.supervisor, v.id).await.unwrap();
    assert_eq!(report_clock(&app.ticket(&org.desk, late.id).await.unwrap()), ClockState::Breached);
});

/// The files the blob store holds.
fn stored_files(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| if e.path().is_dir() { stored_files(&e.path()) } else { usize::from(e.path().is_file()) })
        .sum()
}

db_test!(two_signatures_at_once_keep_one_pdf_and_leave_no_other_in_the_store, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = resolved(app, &org, db.now()).await;
    let r = app.prepare_report(&org.eng_south, t.id, &PrepareInput::default()).await.unwrap();
    let (first, second) = (signed_by("黄主任", &pdf::sample_signature()), signed_by("王五", &pdf::sample_signature()));
    // Both PDFs are drawn before either write; the second write finds the ticket moved,
    // removes its PDF and is refused as a second signature.
    let (a, b) =
        tokio::join!(app.sign_report(&org.portal_b, r.id, &first), app.sign_report(&org.portal_b, r.id, &second));
    assert!(a.is_ok() != b.is_ok(), "exactly one signature: {a:?} {b:?}");
    let e = a.err().or(b.err()).unwrap();
    assert_eq!(problem(e), ReportProblem::AlreadySigned { version: 1 });
    assert_eq!(stored_files(db.files_dir()), 1, "only the kept PDF is in the store");
    let kept = app.report_pdf(&org.desk, r.id).await.unwrap();
    assert_eq!(
        app.report_pdf_by_hash(&org.desk, &aftersales_files::BlobId::of(&kept.bytes).to_string()).await.unwrap().bytes,
        kept.bytes
    );
});
