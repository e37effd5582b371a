//! The service report (issue 14): made once the ticket is resolved, signed by the customer
//! (on the engineer's phone or in the portal), which closes the ticket with the method
//! "signature"; the signed PDF is kept by its SHA-256, names the ticket, the parts and the
//! signer, and is reachable only by the ticket's own readers.

use aftersales_app::attachments::NewAttachment;
use aftersales_app::parts::{DecisionInput, IssueInput, RequisitionInput, StockInput, UseInput};
use aftersales_app::reports::{PrepareInput, RefuseInput, SignInput, pdf};
use aftersales_app::tickets::Command;
use aftersales_app::{Actor, App, AppError};
use aftersales_domain::DomainError;
use aftersales_domain::attachment::EvidenceTag;
use aftersales_domain::audience::Visibility;
use aftersales_domain::clock::{ClockKind, ClockState};
use aftersales_domain::error::Conflict;
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
    let t = app.ticket(&org.desk, t.id).await.unwrap().ticket;
    step(app, &org.eng_south, &t, Command::Resolve { resolution: "更换定影组件，连续复印 200 张无卡纸".into() }).await
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
