//! Evidence attachments over HTTP (issue 14): upload and read back, an idempotent retry,
//! the customer's reach (own organization, customer-visible, EXIF stripped), refused files
//! (HEIC, oversized, SVG with script, truncated, mislabelled, polyglot, a control character
//! in the name, an unknown ticket), and the evidence rule that holds back the resolve step.

use aftersales_app::{Actor, Outcome};
use aftersales_files::BlobId;
use aftersales_testkit::client::{Reply, call};
use aftersales_testkit::{TestApp, app_test};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};

pub(crate) const BOUNDARY: &str = "----aftersales-test-boundary";

/// A small photo as a phone sends it (a gradient, so it is not trivially compressible).
pub(crate) fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x * 4) as u8, (y * 4) as u8, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// A TIFF entry (big-endian).
fn entry(t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]) {
    t.extend(tag.to_be_bytes());
    t.extend(kind.to_be_bytes());
    t.extend(count.to_be_bytes());
    t.extend(value);
}

/// [`jpeg`] with EXIF: taken 2026:12:01 09:30:00 at 31°14'24" N, 121°28'12" E (Shanghai).
pub(crate) fn jpeg_with_exif() -> Vec<u8> {
    let plain = jpeg(64, 48);
    let mut t = b"MM\0\x2a\0\0\0\x08".to_vec();
    // IFD0 at 8: two entries (2 + 24 + 4 bytes), then the date (20), the GPS IFD (54), the
    // latitude and longitude (24 each).
    let (date, gps, lat, lon) = (38u32, 58u32, 112u32, 136u32);
    t.extend(2u16.to_be_bytes());
    entry(&mut t, 0x0132, 2, 20, date.to_be_bytes());
    entry(&mut t, 0x8825, 4, 1, gps.to_be_bytes());
    t.extend(0u32.to_be_bytes());
    t.extend(b"2026:12:01 09:30:00\0");
    t.extend(4u16.to_be_bytes());
    entry(&mut t, 1, 2, 2, *b"N\0\0\0");
    entry(&mut t, 2, 5, 3, lat.to_be_bytes());
    entry(&mut t, 3, 2, 2, *b"E\0\0\0");
    entry(&mut t, 4, 5, 3, lon.to_be_bytes());
    t.extend(0u32.to_be_bytes());
    for (n, d) in [(31u32, 1u32), (14, 1), (2400, 100), (121, 1), (28, 1), (1200, 100)] {
        t.extend(n.to_be_bytes());
        t.extend(d.to_be_bytes());
    }
    assert_eq!(t.len(), 160);
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend(((2 + 6 + t.len()) as u16).to_be_bytes());
    app1.extend(b"Exif\0\0");
    app1.extend(t);
    let mut out = plain[..2].to_vec();
    out.extend(app1);
    out.extend(&plain[2..]);
    out
}

/// A tiny PDF.
pub(crate) const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// A multipart body: the text fields, then the files (name, content).
pub(crate) fn multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
        );
    }
    for (file_name, content) in files {
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .bytes(),
        );
        body.extend(*content);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").bytes());
    body
}

/// Sends an upload to the API as `token`.
pub(crate) async fn upload(t: &TestApp, token: &str, ticket: i64, body: Vec<u8>, extra: &[(&str, &str)]) -> Reply {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/tickets/{ticket}/attachments"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"));
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let (status, headers, bytes) = call(&t.router, req.body(Body::from(body)).unwrap()).await;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply { status, headers, body }
}

/// A download: status, headers, bytes.
pub(crate) async fn download(t: &TestApp, token: &str, path: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let req = Request::builder().uri(path).header("authorization", format!("Bearer {token}")).body(Body::empty());
    call(&t.router, req.unwrap()).await
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Customer B's ticket, registered by the desk: its id.
pub(crate) async fn ticket_b(t: &TestApp) -> i64 {
    let r = t.org.registration(t.db.now());
    t.app().register(&t.org.desk, &r, None).await.and_then(Outcome::into_value).unwrap().ticket.id
}

pub(crate) async fn token(t: &TestApp, who: &Actor) -> String {
    t.app().create_token(None, who.id(), "test").await.unwrap()
}

app_test!(a_photo_is_kept_as_evidence_and_the_customer_gets_it_without_exif, |t| {
    let id = ticket_b(&t).await;
    let desk = token(&t, &t.org.desk).await;
    let photo = jpeg_with_exif();
    let r = upload(
        &t,
        &desk,
        id,
        multipart(&[("visibility", "customer"), ("tag", "before")], &[("现场 1.jpg", &photo)]),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let a = &r.body["items"][0];
    assert_eq!((a["content_type"].as_str(), a["kind"].as_str()), (Some("image/jpeg"), Some("image")), "{a}");
    assert_eq!((a["file_name"].as_str(), a["tag"].as_str()), (Some("现场 1.jpg"), Some("before")));
    assert_eq!(a["taken_at"], "2026:12:01 09:30:00");
    assert!((a["gps"]["lat"].as_f64().unwrap() - 31.24).abs() < 1e-6, "{a}");
    assert!((a["gps"]["lon"].as_f64().unwrap() - 121.47).abs() < 1e-6, "{a}");
    let aid = a["id"].as_i64().unwrap();

    // Staff read the original back, byte for byte, shown inline and never sniffed.
    let (status, h, bytes) = download(&t, &desk, &format!("/api/v1/attachments/{aid}/content")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, photo);
    assert_eq!(h["content-type"], "image/jpeg");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["content-security-policy"].to_str().unwrap().contains("sandbox"));
    let disposition = h["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("inline;") && disposition.contains("filename*=UTF-8''%E7%8E%B0%E5%9C%BA%201.jpg"));
    let (status, h, thumb) = download(&t, &desk, &format!("/api/v1/attachments/{aid}/thumbnail")).await;
    assert_eq!((status, h["content-type"].to_str().unwrap()), (StatusCode::OK, "image/jpeg"));
    assert!(image::load_from_memory(&thumb).is_ok());

    // The customer's contact lists it without the time and place, and downloads a copy
    // without EXIF.
    let contact = token(&t, &t.org.portal_b).await;
    let list = t.api(&t.org.portal_b).await.get(&format!("/api/v1/tickets/{id}/attachments")).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body[0]["id"], aid);
    assert!(list.body[0].get("gps").is_none() && list.body[0].get("taken_at").is_none(), "{}", list.body);
    let (status, h, theirs) = download(&t, &contact, &format!("/api/v1/attachments/{aid}/content")).await;
    assert_eq!((status, h["content-type"].to_str().unwrap()), (StatusCode::OK, "image/jpeg"));
    assert!(!contains(&theirs, b"Exif\0\0") && !contains(&theirs, b"2026:12:01"), "EXIF reached the customer");
    let decoded = image::load_from_memory(&theirs).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (64, 48));
    // Staff still have the evidence.
    let staff = t.api(&t.org.desk).await.get(&format!("/api/v1/tickets/{id}/attachments")).await;
    assert_eq!(staff.body[0]["gps"]["lat"], a["gps"]["lat"]);

    // A PDF named like a photo is a PDF, saved (never shown) under its real extension.
    let r = upload(&t, &desk, id, multipart(&[], &[("photo.jpg", PDF)]), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["items"][0]["content_type"], "application/pdf");
    let pid = r.body["items"][0]["id"].as_i64().unwrap();
    let (status, h, bytes) = download(&t, &desk, &format!("/api/v1/attachments/{pid}/content")).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, PDF));
    assert_eq!(h["content-type"], "application/octet-stream");
    assert!(h["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    assert!(h["content-disposition"].to_str().unwrap().contains("photo.jpg.pdf"));
    // Internal by default: the customer cannot reach it.
    let (status, _, _) = download(&t, &contact, &format!("/api/v1/attachments/{pid}/content")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
});

app_test!(a_retried_upload_is_stored_once_and_answered_the_same, |t| {
    let id = ticket_b(&t).await;
    let desk = token(&t, &t.org.desk).await;
    let body = || multipart(&[("tag", "after")], &[("after.jpg", &jpeg(40, 30))]);
    let first = upload(&t, &desk, id, body(), &[("idempotency-key", "phone-17-a")]).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let again = upload(&t, &desk, id, body(), &[("idempotency-key", "phone-17-a")]).await;
    assert_eq!((again.status, &again.body), (StatusCode::CREATED, &first.body));
    // The page's script sends its key as a form field.
    let field = multipart(&[("idempotency_key", "phone-17-b")], &[("b.pdf", PDF)]);
    let one = upload(&t, &desk, id, field.clone(), &[]).await;
    let two = upload(&t, &desk, id, field, &[]).await;
    assert_eq!((one.status, &one.body), (two.status, &two.body));
    let list = t.api(&t.org.desk).await.get(&format!("/api/v1/tickets/{id}/attachments")).await;
    assert_eq!(list.body.as_array().unwrap().len(), 2, "{}", list.body);
    // The same key on another ticket is a different request.
    let other = ticket_b(&t).await;
    let r = upload(&t, &desk, other, body(), &[("idempotency-key", "phone-17-a")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
});

app_test!(a_customer_reaches_only_their_own_customer_visible_files, |t| {
    let id = ticket_b(&t).await;
    let desk = token(&t, &t.org.desk).await;
    let internal = upload(&t, &desk, id, multipart(&[], &[("内部.jpg", &jpeg(20, 20))]), &[]).await;
    let internal = internal.body["items"][0]["id"].as_i64().unwrap();
    // Customer A's ticket with a customer-visible file: not B's.
    let mut r = t.org.registration(t.db.now());
    r.customer_id = Some(t.org.customer_a.id);
    r.contact_id = Some(t.org.window_a.id);
    r.device_serial = Some(t.org.device_a.serial.clone());
    let a = t.app().register(&t.org.desk, &r, None).await.and_then(Outcome::into_value).unwrap().ticket.id;
    let theirs = upload(&t, &desk, a, multipart(&[("visibility", "customer")], &[("a.jpg", &jpeg(20, 20))]), &[]).await;
    let theirs = theirs.body["items"][0]["id"].as_i64().unwrap();

    let contact = token(&t, &t.org.portal_b).await;
    for path in [
        format!("/api/v1/attachments/{internal}/content"),
        format!("/api/v1/attachments/{internal}/thumbnail"),
        format!("/api/v1/attachments/{theirs}/content"),
        format!("/api/v1/attachments/{theirs}/thumbnail"),
        "/api/v1/attachments/999999/content".to_owned(),
    ] {
        let (status, _, body) = download(&t, &contact, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {}", String::from_utf8_lossy(&body));
    }
    let mine = t.api(&t.org.portal_b).await.get(&format!("/api/v1/tickets/{id}/attachments")).await;
    assert_eq!(mine.body, json!([]), "an internal file is not listed for the customer");
    let other = t.api(&t.org.portal_b).await.get(&format!("/api/v1/tickets/{a}/attachments")).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    // The page routes answer the same.
    let cookie = crate::pages::sign_in(&t.db, &t.org.portal_b).await;
    for path in [format!("/attachments/{internal}"), format!("/attachments/{theirs}/thumbnail")] {
        assert_eq!(crate::pages::get(&t.db, &path, &cookie).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    // A customer cannot upload.
    let r = upload(&t, &contact, id, multipart(&[], &[("x.jpg", &jpeg(20, 20))]), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
});

app_test!(bad_files_are_refused_clearly_and_nothing_is_kept, |t| {
    let id = ticket_b(&t).await;
    let desk = token(&t, &t.org.desk).await;
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\0more".to_vec();
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec();
    let html = b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec();
    let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec();
    let truncated = jpeg(200, 150)[..300].to_vec();
    // Larger than the 20 MB of a photo: refused while it streams.
    let mut big = jpeg(8, 8);
    big.resize(21 * 1024 * 1024, 0);
    for (name, content, status, code) in [
        ("iphone.heic", &heic, StatusCode::UNSUPPORTED_MEDIA_TYPE, "file_heic"),
        ("photo.jpg", &heic, StatusCode::UNSUPPORTED_MEDIA_TYPE, "file_heic"),
        ("logo.svg", &svg, StatusCode::UNSUPPORTED_MEDIA_TYPE, "file_type_unsupported"),
        ("logo.jpg", &svg, StatusCode::UNSUPPORTED_MEDIA_TYPE, "file_type_unsupported"),
        ("page.html", &html, StatusCode::UNSUPPORTED_MEDIA_TYPE, "file_type_unsupported"),
        ("invoice.pdf", &exe, StatusCode::UNSUPPORTED_MEDIA_TYPE, "file_type_unsupported"),
        ("cut.jpg", &truncated, StatusCode::UNPROCESSABLE_ENTITY, "file_unreadable"),
        ("big.jpg", &big, StatusCode::PAYLOAD_TOO_LARGE, "file_too_large"),
    ] {
        let r = upload(&t, &desk, id, multipart(&[], &[(name, content)]), &[("accept-language", "zh-CN")]).await;
        assert_eq!((r.status, r.body["error"]["code"].as_str()), (status, Some(code)), "{name}: {}", r.body);
        assert!(!r.body["error"]["message"].as_str().unwrap().is_empty());
        let kept = t.app().files().unwrap().head(&BlobId::of(content)).await;
        assert!(kept.is_err(), "{name} was kept");
    }
    // HEIC says what to send instead.
    let r = upload(&t, &desk, id, multipart(&[], &[("a.heic", &heic)]), &[("accept-language", "en")]).await;
    assert!(r.body["error"]["message"].as_str().unwrap().contains("JPEG or PNG"), "{}", r.body);
    // A control character in the file name; an unknown ticket; no file at all.
    for name in ["a\u{1b}[31m.jpg", "a\u{9b}31m.jpg"] {
        let r = upload(&t, &desk, id, multipart(&[], &[(name, &jpeg(8, 8))]), &[]).await;
        let named = r.body["error"]["fields"].get("file").is_some();
        assert_eq!((r.status, named), (StatusCode::UNPROCESSABLE_ENTITY, true), "{name:?}: {}", r.body);
    }
    let r = upload(&t, &desk, 999_999, multipart(&[], &[("a.jpg", &jpeg(8, 8))]), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = upload(&t, &desk, id, multipart(&[("tag", "before")], &[]), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let list = t.api(&t.org.desk).await.get(&format!("/api/v1/tickets/{id}/attachments")).await;
    assert_eq!(list.body, json!([]), "nothing was stored");

    // A polyglot: a real JPEG with HTML after it. Judged a JPEG, served as one, and the
    // customer's copy is re-encoded (the HTML is gone).
    let mut polyglot = jpeg(32, 32);
    polyglot.extend(b"<html><script>alert(document.cookie)</script></html>");
    let r = upload(&t, &desk, id, multipart(&[("visibility", "customer")], &[("x.html", &polyglot)]), &[]).await;
    assert_eq!((r.status, r.body["items"][0]["content_type"].as_str()), (StatusCode::CREATED, Some("image/jpeg")));
    let pid = r.body["items"][0]["id"].as_i64().unwrap();
    let contact = token(&t, &t.org.portal_b).await;
    let (_, h, theirs) = download(&t, &contact, &format!("/api/v1/attachments/{pid}/content")).await;
    assert_eq!(
        (h["content-type"].to_str().unwrap(), h["x-content-type-options"].to_str().unwrap()),
        ("image/jpeg", "nosniff")
    );
    assert!(!contains(&theirs, b"<script"), "the customer's copy carries the HTML");
    assert!(h["content-disposition"].to_str().unwrap().contains("x.html.jpg"));
});

app_test!(an_evidence_rule_holds_back_the_resolve_step_until_the_photos_are_there, |t| {
    let org = &t.org;
    let id = ticket_b(&t).await;
    let (desk, dispatcher, eng) = (t.api(&org.desk).await, t.api(&org.dispatcher).await, t.api(&org.eng_south).await);
    let kind = desk.get(&format!("/api/v1/tickets/{id}")).await.body["kind"].as_str().unwrap().to_owned();
    // Only who manages the catalog sets a rule.
    let rule = json!({"before": 1, "after": 1});
    assert_eq!(desk.put(&format!("/api/v1/evidence-rules/{kind}"), &rule).await.status, StatusCode::FORBIDDEN);
    let r = t.api(&org.admin).await.put(&format!("/api/v1/evidence-rules/{kind}"), &rule).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let path = format!("/api/v1/tickets/{id}/transitions");
    let mut etag = desk.get(&format!("/api/v1/tickets/{id}")).await.etag();
    for (who, body) in [
        (&desk, json!({"action": "accept"})),
        (&desk, json!({"action": "grade", "level": "P3", "reason": "单台设备"})),
        (&dispatcher, json!({"action": "dispatch"})),
        (&eng, json!({"action": "respond"})),
        (&eng, json!({"action": "start", "plan": "上门更换搓纸轮"})),
    ] {
        let r = who.post_if_match(&path, &body, &etag).await;
        assert_eq!(r.status, StatusCode::OK, "{body}: {}", r.body);
        etag = r.etag();
    }
    let resolve = json!({"action": "resolve", "resolution": "更换搓纸轮，试印正常"});
    let r = eng.send(Method::POST, &path, Some(&resolve), &[("if-match", &etag), ("accept-language", "zh-CN")]).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("evidence_missing")),
        "{}",
        r.body
    );
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("处理前") && message.contains("处理后"), "{message}");
    // The engineer sends the before photo: the after one is still missing.
    let eng_token = eng.token().to_owned();
    let r = upload(&t, &eng_token, id, multipart(&[("tag", "before")], &[("before.jpg", &jpeg(30, 20))]), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = eng.send(Method::POST, &path, Some(&resolve), &[("if-match", &etag), ("accept-language", "en")]).await;
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("\"after\"") && !message.contains("\"before\""), "{message}");
    let r = upload(&t, &eng_token, id, multipart(&[("tag", "after")], &[("after.jpg", &jpeg(30, 21))]), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = eng.post_if_match(&path, &resolve, &etag).await;
    assert_eq!((r.status, r.body["ticket"]["status"].as_str()), (StatusCode::OK, Some("resolved")), "{}", r.body);
    // Another engineer, not on the ticket, may not add files to it.
    let east = token(&t, &org.eng_east).await;
    let r = upload(&t, &east, id, multipart(&[], &[("x.jpg", &jpeg(8, 8))]), &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
});

app_test!(the_ticket_page_uploads_with_and_without_script, |t| {
    let id = ticket_b(&t).await;
    let cookie = crate::pages::sign_in(&t.db, &t.org.desk).await;
    let page = crate::pages::get(&t.db, &format!("/tickets/{id}"), &cookie).await;
    assert!(page.html.contains("id=\"form-attach\"") && page.html.contains("capture=\"environment\""));
    let csrf = page.csrf();
    let send = async |fields: &[(&str, &str)], accept: &str| {
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!("/tickets/{id}/attachments"))
            .header("host", aftersales_testkit::client::HOST)
            .header("origin", crate::pages::ORIGIN)
            .header("cookie", format!("as_session={cookie}"))
            .header("accept", accept)
            .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
            .body(Body::from(multipart(fields, &[("desk.jpg", &jpeg(24, 24))])))
            .unwrap();
        call(&t.router, req).await
    };
    // The script's request: one file, answered in JSON.
    let (status, _, body) = send(&[("csrf", &csrf), ("idempotency_key", "k1")], "application/json").await;
    assert_eq!(status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&body));
    // The form without script: back to the ticket, where the file is listed.
    let (status, h, _) = send(&[("csrf", &csrf), ("visibility", "customer")], "text/html").await;
    assert_eq!(
        (status, h["location"].to_str().unwrap()),
        (StatusCode::SEE_OTHER, format!("/tickets/{id}#attachments").as_str())
    );
    let page = crate::pages::get(&t.db, &format!("/tickets/{id}"), &cookie).await;
    assert_eq!(
        page.html.matches("desk.jpg").count(),
        6,
        "two files, each with a thumbnail, and the history's two uploads"
    );
    // Without the session's token: refused, nothing kept.
    let (status, _, _) = send(&[("csrf", "forged")], "application/json").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let list = t.api(&t.org.desk).await.get(&format!("/api/v1/tickets/{id}/attachments")).await;
    assert_eq!(list.body.as_array().unwrap().len(), 2);
    // The portal shows the customer-visible one (with its thumbnail), and its upload in
    // the progress; not the internal one's.
    let portal = crate::pages::sign_in(&t.db, &t.org.portal_b).await;
    let page = crate::pages::get(&t.db, &format!("/tickets/{id}"), &portal).await;
    assert_eq!(page.html.matches("desk.jpg").count(), 3, "{}", page.html);
    assert_eq!(page.html.matches("新增附件").count(), 1, "{}", page.html);
});
