//! Evidence attachments (issue 14) as use cases: an upload is a history event (the customer
//! reads of customer-visible files only), a file is withdrawn with a reason and kept for
//! audit (never from a signed report, never by a customer), no blob is left behind by an
//! upload that is not kept, and a photo's customer copy is at most 1600 px, upright.

use aftersales_app::attachments::{NewAttachment, Variant};
use aftersales_app::reports::{PrepareInput, SignInput, pdf};
use aftersales_app::tickets::Command;
use aftersales_app::{Actor, App, AppError};
use aftersales_domain::DomainError;
use aftersales_domain::attachment::{AttachmentProblem, EvidenceRule, EvidenceTag};
use aftersales_domain::audience::Visibility;
use aftersales_domain::customer_view::Milestone;
use aftersales_domain::error::Conflict;
use aftersales_domain::service_report::{ReportStatus, SignerRelationship};
use aftersales_domain::worklog::LogKind;
use aftersales_files::{BlobId, ByteStream};
use aftersales_testkit::{Org, db_test};
use base64::Engine as _;
use bytes::Bytes;
use futures_util::StreamExt;

use crate::support::{graded, step, working};

/// A photo as a phone saves it (JPEG at quality 92).
fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92).encode_image(&img).unwrap();
    out
}

/// [`jpeg`] with an EXIF orientation (6: the camera was turned, show it rotated 90°).
fn jpeg_turned(width: u32, height: u32) -> Vec<u8> {
    let plain = jpeg(width, height);
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend(1u16.to_be_bytes());
    tiff.extend(0x0112u16.to_be_bytes());
    tiff.extend(3u16.to_be_bytes());
    tiff.extend(1u32.to_be_bytes());
    tiff.extend([0, 6, 0, 0]);
    tiff.extend(0u32.to_be_bytes());
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend(((2 + 6 + tiff.len()) as u16).to_be_bytes());
    app1.extend(b"Exif\0\0");
    app1.extend(tiff);
    let mut out = plain[..2].to_vec();
    out.extend(app1);
    out.extend(&plain[2..]);
    out
}

fn stream(bytes: Vec<u8>) -> ByteStream {
    let bytes = Bytes::from(bytes);
    Box::pin(futures_util::stream::once(async move { Ok(bytes) }))
}

fn new(ticket: i64, visibility: Visibility, tag: EvidenceTag, name: &str) -> NewAttachment {
    NewAttachment { ticket_id: ticket, log_id: None, visibility, tag, file_name: name.into(), idempotency_key: None }
}

async fn upload(app: &App, who: &Actor, n: NewAttachment, content: Vec<u8>) -> i64 {
    app.attach(who, n, stream(content)).await.unwrap().0.id
}

async fn bytes_of(app: &App, who: &Actor, id: i64, variant: Variant) -> Result<Vec<u8>, AppError> {
    let mut d = app.attachment_content(who, id, variant).await?;
    let mut out = Vec::new();
    while let Some(chunk) = d.content.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    Ok(out)
}

fn problem(e: AppError) -> AttachmentProblem {
    match e {
        AppError::Domain(DomainError::Conflict(Conflict::Attachment(p))) => p,
        other => panic!("expected an attachment problem, got {other:?}"),
    }
}

db_test!(an_upload_is_a_history_event_the_customer_reads_only_for_their_files, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = working(app, &org, &graded(app, &org, db.now(), "P3").await).await;
    let entry = app
        .add_log(&org.eng_south, t.id, LogKind::Progress, "已更换搓纸轮，试印正常", None, None)
        .await
        .unwrap()
        .into_value()
        .unwrap();
    let mut shared = new(t.id, Visibility::Customer, EvidenceTag::After, "修复后.jpg");
    shared.log_id = Some(entry.id);
    upload(app, &org.eng_south, shared, jpeg(40, 30)).await;
    upload(app, &org.eng_south, new(t.id, Visibility::Internal, EvidenceTag::Other, "机内.jpg"), jpeg(20, 20)).await;

    // The staff's history names who, the file, its kind and audience.
    let history = app.history(&org.desk, t.id).await.unwrap();
    let added: Vec<_> = history.iter().filter(|e| e.action == "attachment_added").collect();
    assert_eq!(added.len(), 2);
    let change = |e: &aftersales_domain::event::Event, f: &str| {
        e.changes.iter().find(|c| c.field == f).map(|c| c.after.clone()).unwrap_or_default()
    };
    assert_eq!((added[0].actor_id, change(added[0], "file_name")), (org.eng_south.id(), "修复后.jpg".into()));
    assert_eq!((change(added[0], "file_kind"), change(added[0], "visibility")), ("image".into(), "customer".into()));
    assert_eq!(change(added[1], "visibility"), "internal");
    assert_eq!(aftersales_domain::event::action_label("attachment_added", aftersales_domain::Lang::Zh), "上传附件");

    // The customer reads of the shared file only.
    let timeline = app.customer_timeline(&org.portal_b, t.id).await.unwrap();
    let files: Vec<_> = timeline.iter().filter(|e| e.milestone == Milestone::FileAdded).collect();
    assert_eq!(files.len(), 1, "{timeline:?}");
    assert_eq!(files[0].text.as_deref(), Some("修复后.jpg"));
    // The entry's file is the customer's, on that entry.
    let theirs = match app.attachments(&org.portal_b, t.id).await.unwrap() {
        aftersales_app::attachments::TicketAttachments::Customer(c) => c,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        theirs.iter().map(|a| (a.file_name.as_str(), a.log_id)).collect::<Vec<_>>(),
        [("修复后.jpg", Some(entry.id))]
    );
});

db_test!(a_withdrawn_file_leaves_the_ticket_but_is_kept_for_audit, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = working(app, &org, &graded(app, &org, db.now(), "P3").await).await;
    let rule = EvidenceRule { kind: t.kind, before: 1, after: 0 };
    app.put_evidence_rule(&org.admin, &rule).await.unwrap();
    let photo = jpeg(30, 20);
    let before =
        upload(app, &org.eng_south, new(t.id, Visibility::Customer, EvidenceTag::Before, "处理前.jpg"), photo.clone())
            .await;

    // A customer never withdraws; staff who did not upload it and do not supervise neither;
    // a reason is required.
    let e = app.withdraw_attachment(&org.portal_b, before, "不要了").await.unwrap_err();
    assert!(matches!(e, AppError::Domain(DomainError::Forbidden { .. })), "{e:?}");
    let e = app.withdraw_attachment(&org.desk, before, "传错了").await.unwrap_err();
    assert_eq!(problem(e), AttachmentProblem::NotYours);
    let e = app.withdraw_attachment(&org.eng_south, before, "  ").await.unwrap_err();
    assert!(matches!(&e, AppError::Domain(DomainError::Invalid(f)) if f[0].0 == "reason"), "{e:?}");

    let w = app.withdraw_attachment(&org.eng_south, before, "拍错了设备").await.unwrap();
    let by = w.withdrawal.as_ref().unwrap();
    assert_eq!((by.by, by.reason.as_str()), (org.eng_south.id(), "拍错了设备"));
    // Gone from the lists and downloads of everyone but an administrator.
    for who in [&org.desk, &org.eng_south, &org.supervisor, &org.portal_b] {
        let listed = serde_json::to_value(app.attachments(who, t.id).await.unwrap()).unwrap();
        assert_eq!(listed, serde_json::json!([]), "listed for {:?}", who.user.role);
        let e = bytes_of(app, who, before, Variant::File).await.unwrap_err();
        assert!(matches!(e, AppError::NotFound { .. }), "{e:?}");
    }
    assert_eq!(bytes_of(app, &org.admin, before, Variant::File).await.unwrap(), photo, "kept, content and all");
    let listed = app.withdrawn_attachments(&org.admin).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].attachment.id, listed[0].ticket_number.clone()), (before, t.number.to_string()));
    assert_eq!(listed[0].attachment.withdrawal.as_ref().unwrap().reason, "拍错了设备");
    assert!(app.withdrawn_attachments(&org.desk).await.is_err(), "the list is the administrators'");
    // Once only.
    let e = app.withdraw_attachment(&org.admin, before, "再次").await.unwrap_err();
    assert_eq!(problem(e), AttachmentProblem::AlreadyWithdrawn);
    // The history says who and why; the customer reads that their file was withdrawn, not why.
    let history = app.history(&org.desk, t.id).await.unwrap();
    let event = history.iter().find(|e| e.action == "attachment_withdrawn").unwrap();
    assert_eq!((event.actor_id, event.note.as_deref()), (org.eng_south.id(), Some("拍错了设备")));
    let timeline = app.customer_timeline(&org.portal_b, t.id).await.unwrap();
    let gone = timeline.iter().find(|e| e.milestone == Milestone::FileWithdrawn).unwrap();
    assert_eq!(gone.text.as_deref(), Some("处理前.jpg"));
    // It no longer counts as evidence: the resolve step wants a before photo again.
    let e =
        crate::support::refused(app, &org.eng_south, &t, Command::Resolve { resolution: "更换搓纸轮".into() }).await;
    assert_eq!(problem(e), AttachmentProblem::EvidenceMissing { before: 1, after: 0 });
    // A supervisor withdraws anyone's file.
    let other =
        upload(app, &org.eng_south, new(t.id, Visibility::Internal, EvidenceTag::Before, "b.jpg"), jpeg(8, 8)).await;
    app.withdraw_attachment(&org.supervisor, other, "重复上传").await.unwrap();
});

db_test!(a_photo_in_a_signed_report_cannot_be_withdrawn, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = working(app, &org, &graded(app, &org, db.now(), "P3").await).await;
    let kept =
        upload(app, &org.eng_south, new(t.id, Visibility::Customer, EvidenceTag::After, "修复后.jpg"), jpeg(30, 20))
            .await;
    let loose =
        upload(app, &org.eng_south, new(t.id, Visibility::Customer, EvidenceTag::After, "多余.jpg"), jpeg(31, 20))
            .await;
    let t = step(app, &org.eng_south, &t, Command::Resolve { resolution: "更换定影组件".into() }).await;
    let r = app.prepare_report(&org.eng_south, t.id, &PrepareInput { photo_ids: vec![kept, loose] }).await.unwrap();
    // A draft report lets go of a withdrawn photo.
    app.withdraw_attachment(&org.eng_south, loose, "拍到了客户的资料").await.unwrap();
    let e = app.prepare_report(&org.eng_south, t.id, &PrepareInput { photo_ids: vec![loose] }).await.unwrap_err();
    assert!(e.message(aftersales_domain::Lang::Zh).contains("已被撤回"), "{e:?}");
    let signature = SignInput {
        signer_name: Some("李主任".into()),
        relationship: Some(SignerRelationship::DeviceOwner),
        signature: Some(format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(pdf::sample_signature())
        )),
    };
    // The customer signs in the portal (the engineer never checked in on site).
    let signed = app.sign_report(&org.portal_b, r.id, &signature).await.unwrap();
    assert_eq!((signed.status, signed.photo_ids.clone()), (ReportStatus::Signed, vec![kept]));
    let e = app.withdraw_attachment(&org.admin, kept, "客户要求删除").await.unwrap_err();
    assert!(e.message(aftersales_domain::Lang::Zh).contains("签字"), "{e:?}");
    assert_eq!(problem(e), AttachmentProblem::InSignedReport);
    assert_eq!(bytes_of(app, &org.portal_b, kept, Variant::File).await.map(|b| b.is_empty()).ok(), Some(false));
});

db_test!(an_upload_not_kept_leaves_no_file_behind, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = working(app, &org, &graded(app, &org, db.now(), "P3").await).await;
    upload(app, &org.eng_south, new(t.id, Visibility::Internal, EvidenceTag::Other, "a.jpg"), jpeg(16, 16)).await;
    let before = db.stored_files();
    assert_eq!(before.len(), 3, "the photo, its thumbnail and the customer copy: {before:?}");

    // Refused after it was streamed in (a truncated photo): nothing stays.
    let cut = jpeg(200, 150)[..400].to_vec();
    let e =
        app.attach(&org.eng_south, new(t.id, Visibility::Internal, EvidenceTag::Other, "cut.jpg"), stream(cut)).await;
    assert_eq!(problem(e.unwrap_err()), AttachmentProblem::Unreadable);
    assert_eq!(db.stored_files(), before);

    // The record is not written (the same key stored meanwhile by a retry that overtook
    // it): the retry's answer stands for both, and the content streamed in goes again.
    let slow = b"E02 paper jam at 10:02\nE03 fuser 198C\nE05 (sent before the retry)\n".to_vec();
    let fast = b"E02 paper jam at 10:02\nE03 fuser 198C\nE04 reset\n".to_vec();
    overtaken(app, &org.eng_south, t.id, "phone-1", slow.clone(), fast.clone()).await;
    assert!(app.files().unwrap().head(&BlobId::of(&slow)).await.is_err(), "the overtaken upload's file was kept");
    assert!(app.files().unwrap().head(&BlobId::of(&fast)).await.is_ok());
    assert_eq!(db.stored_files().len(), before.len() + 1, "{:?}", db.stored_files());

    // Content-addressed: when another attachment has the same content, its file stays.
    let shared = b"counter 123456\n".to_vec();
    upload(app, &org.eng_south, new(t.id, Visibility::Internal, EvidenceTag::Other, "c.txt"), shared.clone()).await;
    overtaken(app, &org.eng_south, t.id, "phone-2", shared.clone(), b"counter 123457\n".to_vec()).await;
    assert!(app.files().unwrap().head(&BlobId::of(&shared)).await.is_ok(), "a file another attachment has was removed");
    assert_eq!(db.stored_files().len(), before.len() + 3);
});

/// Uploads `slow` under `key`, held mid-stream while a retry under the same key uploads
/// `fast` to the end; then lets the first one finish, which the retry's record answers.
async fn overtaken(app: &App, who: &Actor, ticket: i64, key: &str, slow: Vec<u8>, fast: Vec<u8>) {
    let (send, recv) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(1);
    let held: ByteStream =
        Box::pin(futures_util::stream::unfold(recv, |mut r| async move { r.recv().await.map(|c| (c, r)) }));
    let mut keyed = new(ticket, Visibility::Internal, EvidenceTag::Other, "log.txt");
    keyed.idempotency_key = Some(key.into());
    let first = {
        let (app, who, keyed) = (app.clone(), who.clone(), keyed.clone());
        tokio::spawn(async move { app.attach(&who, keyed, held).await })
    };
    let (head, rest) = slow.split_at(4);
    send.send(Ok(Bytes::copy_from_slice(head))).await.unwrap();
    // Taken once the first chunk is read: the upload is past its key check.
    send.send(Ok(Bytes::copy_from_slice(&rest[..1]))).await.unwrap();
    let (stored, again) = app.attach(who, keyed, stream(fast)).await.unwrap();
    assert!(!again);
    send.send(Ok(Bytes::copy_from_slice(&rest[1..]))).await.unwrap();
    drop(send);
    let (answered, again) = first.await.unwrap().unwrap();
    assert_eq!((answered.id, again), (stored.id, true));
}

db_test!(a_photo_is_downscaled_and_upright_for_the_customer_and_whole_for_the_staff, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = working(app, &org, &graded(app, &org, db.now(), "P3").await).await;
    let original = jpeg_turned(2000, 1000);
    let id =
        upload(app, &org.eng_south, new(t.id, Visibility::Customer, EvidenceTag::After, "现场.jpg"), original.clone())
            .await;
    // Staff keep the evidence byte for byte.
    assert_eq!(bytes_of(app, &org.desk, id, Variant::File).await.unwrap(), original);
    // The customer's copy: upright (turned as the camera said), 1600 px on its long side.
    let copy = bytes_of(app, &org.portal_b, id, Variant::File).await.unwrap();
    let img = image::load_from_memory(&copy).unwrap();
    assert_eq!((img.width(), img.height()), (800, 1600));
    assert!(copy.len() < original.len(), "{} ≥ {}", copy.len(), original.len());
    // A small photo is not enlarged.
    let small =
        upload(app, &org.eng_south, new(t.id, Visibility::Customer, EvidenceTag::After, "小.jpg"), jpeg(64, 48)).await;
    let img = image::load_from_memory(&bytes_of(app, &org.portal_b, small, Variant::File).await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (64, 48));
});
