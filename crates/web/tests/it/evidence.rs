//! Evidence attachments over HTTP, continued (issue 14): several files at once each get
//! their own result; a file is withdrawn with a reason (API and page) and kept for the
//! administrators; the work log shows each entry's files (staff page and portal); the
//! history names uploads and withdrawals in words.

use aftersales_domain::worklog::LogKind;
use aftersales_testkit::client::call;
use aftersales_testkit::{TestApp, app_test};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;

use crate::attachments::{BOUNDARY, PDF, download, jpeg, multipart, ticket_b, token, upload};
use crate::pages::{self, form_encode, sign_in};

const HEIC: &[u8] = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\0more";

/// The ticket page's form without script: several files at once.
async fn page_upload(t: &TestApp, id: i64, cookie: &str, csrf: &str, files: &[(&str, &[u8])]) -> pages::Page {
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/tickets/{id}/attachments"))
        .header("host", aftersales_testkit::client::HOST)
        .header("origin", pages::ORIGIN)
        .header("cookie", format!("as_session={cookie}"))
        .header("accept", "text/html")
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(Body::from(multipart(&[("csrf", csrf)], files)))
        .unwrap();
    let (status, headers, body) = call(&t.router, req).await;
    pages::Page { status, headers, html: String::from_utf8(body).unwrap() }
}

app_test!(several_files_at_once_each_get_their_result_and_a_bad_one_keeps_the_others, |t| {
    let id = ticket_b(&t).await;
    let desk = token(&t, &t.org.desk).await;
    let body =
        || multipart(&[("tag", "before")], &[("前.jpg", &jpeg(20, 20)), ("iphone.heic", HEIC), ("单据.pdf", PDF)]);
    let r = upload(&t, &desk, id, body(), &[("idempotency-key", "batch-1"), ("accept-language", "zh-CN")]).await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS, "{}", r.body);
    let results = r.body["results"].as_array().unwrap();
    assert_eq!(
        results.iter().map(|x| (x["file_name"].as_str().unwrap(), x["stored"].as_bool().unwrap())).collect::<Vec<_>>(),
        [("前.jpg", true), ("iphone.heic", false), ("单据.pdf", true)]
    );
    assert_eq!(results[1]["error"]["code"], "file_heic");
    let message = results[1]["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("iphone.heic：") && message.contains("JPEG"), "{message}");
    assert_eq!(results[0]["attachment"]["id"], r.body["items"][0]["id"]);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    // A retry of the whole form (same key: each file keyed by its place) stores nothing twice.
    let again = upload(&t, &desk, id, body(), &[("idempotency-key", "batch-1")]).await;
    assert_eq!((again.status, &again.body["items"]), (StatusCode::MULTI_STATUS, &r.body["items"]));
    let list = t.api(&t.org.desk).await.get(&format!("/api/v1/tickets/{id}/attachments")).await;
    assert_eq!(list.body.as_array().unwrap().len(), 2, "{}", list.body);
    // All stored: 201 with each result.
    let ok = upload(&t, &desk, id, multipart(&[], &[("a.pdf", PDF), ("b.jpg", &jpeg(9, 9))]), &[]).await;
    assert_eq!((ok.status, ok.body["results"].as_array().unwrap().len()), (StatusCode::CREATED, 2));

    // The page's form without script says which were kept and which not, and why.
    let cookie = sign_in(&t.db, &t.org.desk).await;
    let csrf = pages::get(&t.db, &format!("/tickets/{id}"), &cookie).await.csrf();
    let page = page_upload(&t, id, &cookie, &csrf, &[("后.jpg", &jpeg(21, 20)), ("x.heic", HEIC)]).await;
    assert_eq!(page.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(page.html.contains("已保存：后.jpg"), "{}", page.html);
    assert!(page.html.contains("以下文件未保存：x.heic：不支持 HEIC"), "{}", page.html);
});

app_test!(a_file_is_withdrawn_with_a_reason_and_kept_for_the_administrators, |t| {
    let id = ticket_b(&t).await;
    let desk = token(&t, &t.org.desk).await;
    let r = upload(&t, &desk, id, multipart(&[("visibility", "customer")], &[("错拍.jpg", &jpeg(20, 20))]), &[]).await;
    let aid = r.body["items"][0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/attachments/{aid}/withdrawal");
    let (desk_api, dispatcher) = (t.api(&t.org.desk).await, t.api(&t.org.dispatcher).await);
    let r = desk_api.post(&path, &json!({"reason": ""})).await;
    assert_eq!((r.status, r.body["error"]["fields"].get("reason").is_some()), (StatusCode::UNPROCESSABLE_ENTITY, true));
    let r = dispatcher.post(&path, &json!({"reason": "不是我的"})).await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("attachment_not_yours")));
    let r = t.api(&t.org.portal_b).await.post(&path, &json!({"reason": "删掉"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    let r = desk_api.post(&path, &json!({"reason": "拍到了别的设备"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["withdrawal"]["reason"], "拍到了别的设备");
    // Hidden from lists and downloads for everyone but the administrators.
    let list = desk_api.get(&format!("/api/v1/tickets/{id}/attachments")).await;
    assert_eq!(list.body, json!([]));
    let (status, _, _) = download(&t, &desk, &format!("/api/v1/attachments/{aid}/content")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let contact = token(&t, &t.org.portal_b).await;
    assert_eq!(download(&t, &contact, &format!("/api/v1/attachments/{aid}/content")).await.0, StatusCode::NOT_FOUND);
    let admin = t.api(&t.org.admin).await;
    let (status, _, bytes) = download(&t, admin.token(), &format!("/api/v1/attachments/{aid}/content")).await;
    assert_eq!((status, bytes.is_empty()), (StatusCode::OK, false));
    let withdrawn = admin.get("/api/v1/attachments/withdrawn").await;
    assert_eq!(withdrawn.body[0]["attachment"]["id"], aid, "{}", withdrawn.body);
    assert_eq!(withdrawn.body[0]["attachment"]["withdrawal"]["reason"], "拍到了别的设备");
    assert!(!withdrawn.body[0]["ticket_number"].as_str().unwrap().is_empty());
    assert_eq!(desk_api.get("/api/v1/attachments/withdrawn").await.status, StatusCode::FORBIDDEN);
    let r = admin.post(&path, &json!({"reason": "再撤一次"})).await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("attachment_withdrawn")));

    // The administrators' page lists it with the reason.
    let cookie = sign_in(&t.db, &t.org.admin).await;
    let page = pages::get(&t.db, "/admin/evidence", &cookie).await;
    assert!(page.html.contains(&format!("id=\"withdrawn-{aid}\"")) && page.html.contains("拍到了别的设备"));
    // The customer's progress says a file of theirs was withdrawn, never why.
    let portal = sign_in(&t.db, &t.org.portal_b).await;
    let page = pages::get(&t.db, &format!("/tickets/{id}"), &portal).await;
    assert!(page.html.contains("附件已撤回") && page.html.contains("错拍.jpg"), "{}", page.html);
    assert!(!page.html.contains("拍到了别的设备"));
});

app_test!(the_ticket_page_withdraws_a_file_and_the_history_says_so_in_words, |t| {
    let id = ticket_b(&t).await;
    let desk = token(&t, &t.org.desk).await;
    let r = upload(&t, &desk, id, multipart(&[("tag", "before")], &[("现场.jpg", &jpeg(20, 20))]), &[]).await;
    let aid = r.body["items"][0]["id"].as_i64().unwrap();
    // The uploader is offered the form; someone else who does not supervise is not.
    let other = sign_in(&t.db, &t.org.dispatcher).await;
    assert!(
        !pages::get(&t.db, &format!("/tickets/{id}"), &other).await.html.contains(&format!("id=\"withdraw-{aid}\""))
    );
    let cookie = sign_in(&t.db, &t.org.desk).await;
    let page = pages::get(&t.db, &format!("/tickets/{id}"), &cookie).await;
    assert!(page.html.contains(&format!("id=\"withdraw-{aid}\"")));
    let csrf = page.csrf();
    let post = |reason: &str| format!("csrf={csrf}&ticket={id}&reason={}", form_encode(reason));
    let refused = pages::post(&t.db, &format!("/attachments/{aid}/withdraw"), &cookie, &post(" ")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("撤回原因") || refused.html.contains("原因"), "{}", refused.html);
    let done = pages::post(&t.db, &format!("/attachments/{aid}/withdraw"), &cookie, &post("上传错了工单")).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location(), format!("/tickets/{id}?done=withdrawn#attachments"));
    let page = pages::get(&t.db, &format!("/tickets/{id}?done=withdrawn"), &cookie).await;
    assert!(page.html.contains("文件已撤回"), "{}", page.html);
    assert!(!page.html.contains(&format!("id=\"att-{aid}\"")), "still listed");
    // The history: who, what, why, in words (no raw codes).
    assert!(page.html.contains("上传附件") && page.html.contains("撤回附件") && page.html.contains("上传错了工单"));
    assert!(page.html.contains("文件名：— → 现场.jpg") && page.html.contains("文件类型：— → 图片"), "{}", page.html);
    assert!(page.html.contains("可见范围：— → 内部") && page.html.contains("照片用途：— → 处理前"));
    for code in ["attachment_added", "attachment_withdrawn\"", "file_kind", "evidence_tag"] {
        assert!(!page.html.contains(&format!(">{code}")), "raw code {code}");
    }
});

app_test!(the_work_log_shows_each_entrys_files_and_the_portal_the_customers_only, |t| {
    let id = ticket_b(&t).await;
    let entry = t
        .app()
        .add_log(&t.org.desk, id, LogKind::Progress, "已寄出备件，附快递单", None, None)
        .await
        .unwrap()
        .into_value()
        .unwrap();
    let desk = token(&t, &t.org.desk).await;
    let log = entry.id.to_string();
    let shared = multipart(&[("log_id", &log), ("visibility", "customer")], &[("快递单.jpg", &jpeg(30, 20))]);
    assert_eq!(upload(&t, &desk, id, shared, &[]).await.status, StatusCode::CREATED);
    let internal = multipart(&[("log_id", &log)], &[("内部清单.pdf", PDF)]);
    assert_eq!(upload(&t, &desk, id, internal, &[]).await.status, StatusCode::CREATED);
    upload(&t, &desk, id, multipart(&[], &[("整单.pdf", PDF)]), &[]).await;

    let section = |html: &str| -> String {
        let start = html.find(&format!("data-log-files=\"{}\"", entry.id)).expect("the entry's files");
        html[start..].split("</ul>").next().unwrap().to_owned()
    };
    let cookie = sign_in(&t.db, &t.org.desk).await;
    let page = pages::get(&t.db, &format!("/tickets/{id}"), &cookie).await;
    let files = section(&page.html);
    assert!(files.contains("快递单.jpg") && files.contains("内部清单.pdf"), "{files}");
    assert!(files.contains("/thumbnail") && files.contains(&format!("{} B", PDF.len())), "{files}");
    assert!(!files.contains("整单.pdf"), "a file of the whole ticket is not the entry's");
    let portal = sign_in(&t.db, &t.org.portal_b).await;
    let page = pages::get(&t.db, &format!("/tickets/{id}"), &portal).await;
    let files = section(&page.html);
    assert!(files.contains("快递单.jpg") && files.contains("/thumbnail"), "{files}");
    assert!(!page.html.contains("内部清单.pdf"), "an internal file reached the portal");
});
