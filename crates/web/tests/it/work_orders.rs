//! Work orders and qualified engineers through the API and the console (issue 13).

use aftersales_app::Outcome;
use aftersales_app::tickets::Command;
use aftersales_testkit::{Org, db_test};
use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::pages::{self, form_encode, sign_in};
use crate::support::{Client, error_fields, token};

/// Customer B's ticket, dispatched to eng_south and being worked.
async fn working_ticket(db: &aftersales_testkit::TestDb, org: &Org) -> aftersales_domain::ticket::Ticket {
    let app = &db.app;
    let t = app.register(&org.desk, &org.registration(db.now()), None).await.and_then(Outcome::into_value).unwrap();
    let mut v = t.version;
    for (who, cmd) in [
        (&org.desk, Command::Accept),
        (&org.desk, Command::Grade { level: "P3".into(), reason: "单台设备故障".into() }),
        (&org.dispatcher, Command::Dispatch { group_id: None, engineer_id: None }),
        (&org.eng_south, Command::Respond { note: None }),
    ] {
        v = app.act(who, t.id, Some(v), &cmd, None).await.and_then(Outcome::into_value).unwrap().ticket.version;
    }
    app.ticket(&org.admin, t.id).await.unwrap().ticket
}

db_test!(work_orders_through_the_api_with_clear_refusals, |db| {
    let org = Org::create(&db.app).await;
    let t = working_ticket(&db, &org).await;
    let c = Client::new(&db);
    let dispatcher = token(&db, &org.dispatcher).await;
    let path = format!("/api/v1/tickets/{}/work-orders", t.id);
    let deadline = (db.now() + jiff::SignedDuration::from_hours(24)).to_string();
    let body = json!({"department": "logistics", "owner_id": org.data.id(), "needed": "调拨备用机一台",
        "resources": ["备用机出库单"], "deadline": deadline});
    let created = c.post(&path, &dispatcher, &body, &[]).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["department_zh"], "物流");
    let id = created.body["id"].as_i64().unwrap();
    // A past deadline, an unknown department, a customer as owner: each named, in Chinese.
    let past = (db.now() - jiff::SignedDuration::from_hours(1)).to_string();
    let bad = json!({"department": "finance", "owner_id": org.portal_b.id(), "needed": "x", "deadline": past});
    let refused = c.post(&path, &dispatcher, &bad, &[("accept-language", "zh-CN")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&refused.body), ["deadline", "department", "owner_id"]);
    assert!(refused.body["error"]["message"].as_str().unwrap().contains("完成期限"), "{}", refused.body);
    // A stale edit is a conflict naming the current version.
    let stale = json!({"department": "logistics", "owner_id": org.data.id(), "needed": "改", "deadline": deadline, "version": 0});
    let res = c.send(Method::PATCH, &format!("/api/v1/work-orders/{id}"), Some(&dispatcher), Some(&stale), &[]).await;
    assert_eq!((res.status, res.body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("stale_version")));
    // The owner reports; the customer never reaches the work order.
    let owner = token(&db, &org.data).await;
    let p = c.post(&format!("/api/v1/work-orders/{id}/progress"), &owner, &json!({"body": "已发出"}), &[]).await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.body);
    assert_eq!(c.get("/api/v1/me/work-orders", &owner).await.body[0]["id"], id);
    let contact = token(&db, &org.portal_b).await;
    assert_eq!(c.get(&path, &contact).await.status, StatusCode::FORBIDDEN);
    assert_eq!(c.get(&format!("/api/v1/work-orders/{id}"), &contact).await.status, StatusCode::FORBIDDEN);
    let theirs = c.get(&format!("/api/v1/tickets/{}", t.id), &contact).await;
    assert!(!theirs.body.to_string().contains("调拨备用机"));
    // The dispatch suggestion names its reasons.
    let t2 = db.app.register(&org.desk, &org.registration(db.now()), None).await.and_then(Outcome::into_value).unwrap();
    let s = c.get(&format!("/api/v1/tickets/{}/dispatch-suggestion", t2.id), &dispatcher).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    assert!(s.body["top"][0]["summary_zh"].as_str().unwrap().starts_with("同区域"), "{}", s.body);
});

db_test!(the_console_shows_work_orders_on_the_ticket_and_in_the_owners_list, |db| {
    let org = Org::create(&db.app).await;
    let t = working_ticket(&db, &org).await;
    let cookie = sign_in(&db, &org.dispatcher).await;
    let page = pages::get(&db, &format!("/tickets/{}", t.id), &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("主责工程师") && page.html.contains(&org.eng_south.user.display_name));
    let csrf = page.csrf();
    let deadline = (db.now() + jiff::SignedDuration::from_hours(30))
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    let form = format!(
        "csrf={csrf}&department=logistics&owner_id={}&needed={}&resources={}&deadline={}",
        org.data.id(),
        form_encode("调拨一台备用机"),
        form_encode("备用机出库单\n装箱清单"),
        form_encode(&deadline)
    );
    let p = pages::post(&db, &format!("/tickets/{}/work-orders", t.id), &cookie, &form).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let page = pages::get(&db, &format!("/tickets/{}", t.id), &cookie).await;
    assert!(page.html.contains("调拨一台备用机") && page.html.contains("装箱清单"));
    // A deadline in the past comes back on the ticket page, named.
    let past =
        format!("csrf={csrf}&department=logistics&owner_id={}&needed=x&deadline=2020-01-01T09%3A00", org.data.id());
    let p = pages::post(&db, &format!("/tickets/{}/work-orders", t.id), &cookie, &past).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.html.contains("完成期限"), "{}", p.html);
    // The owner finds it in 我的协作工单, counted in the navigation, and reports.
    let owner = sign_in(&db, &org.data).await;
    let mine = pages::get(&db, "/work-orders", &owner).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.html.contains("我的协作工单 <span class=\"badge\">1</span>"), "{}", mine.html);
    let id = db.app.my_work_orders(&org.data).await.unwrap()[0].work_order.id;
    let form = format!("csrf={}&back=mine&body={}", mine.csrf(), form_encode("已备货"));
    let p = pages::post(&db, &format!("/work-orders/{id}/progress"), &owner, &form).await;
    assert_eq!((p.status, p.location()), (StatusCode::SEE_OTHER, "/work-orders?done=1"));
    // The customer's page of the same ticket shows none of it.
    let contact = sign_in(&db, &org.portal_b).await;
    let theirs = pages::get(&db, &format!("/tickets/{}", t.id), &contact).await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(!theirs.html.contains("调拨一台备用机") && !theirs.html.contains("协作工单"));
});

db_test!(administrators_keep_departments_and_supervisors_keep_qualifications_in_the_console, |db| {
    let org = Org::create(&db.app).await;
    let admin = sign_in(&db, &org.admin).await;
    let page = pages::get(&db, "/admin/departments", &admin).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("销售"));
    let form = format!("csrf={}&code=spare_parts&name_zh={}&name_en=Spare+parts", page.csrf(), form_encode("备件中心"));
    let p = pages::post(&db, "/admin/departments", &admin, &form).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let bad = format!("csrf={}&code=Bad+Code&name_zh=&name_en=x", page.csrf());
    let p = pages::post(&db, "/admin/departments", &admin, &bad).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let supervisor = sign_in(&db, &org.supervisor).await;
    let page = pages::get(&db, "/admin/qualifications", &supervisor).await;
    assert_eq!(page.status, StatusCode::OK);
    let form = format!(
        "csrf={}&scope={}&certificate={}&certificate_no=KM-01&expires_on=2099-12-31",
        page.csrf(),
        form_encode("bizhub"),
        form_encode("柯尼卡美能达认证")
    );
    let p = pages::post(&db, &format!("/admin/qualifications/{}", org.eng_east.id()), &supervisor, &form).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let page = pages::get(&db, "/admin/qualifications", &supervisor).await;
    assert!(page.html.contains("柯尼卡美能达认证") && page.html.contains("2099-12-31"));
    let dispatcher = sign_in(&db, &org.dispatcher).await;
    assert_eq!(pages::get(&db, "/admin/qualifications", &dispatcher).await.status, StatusCode::FORBIDDEN);
});
