//! Fees over HTTP (seed 003): the quote in the API with its exact errors, the customer's
//! projection, the quote editor and settlement on the ticket page, the portal's approval,
//! and the printable receipt.

use aftersales_app::Outcome;
use aftersales_app::parts::RequisitionInput;
use aftersales_app::tickets::Command;
use aftersales_domain::customer::DeviceInput;
use aftersales_testkit::{Org, db_test};
use axum::http::StatusCode;
use serde_json::json;

use crate::pages::{self, form_encode, sign_in};
use crate::support::{Client, error_fields, token};

/// Customer B's out-of-warranty ticket, dispatched to eng_south who called: the id.
async fn out_of_warranty(db: &aftersales_testkit::TestDb, org: &Org) -> i64 {
    let app = &db.app;
    let device = DeviceInput {
        customer_id: Some(org.customer_b.id),
        model: Some("理光 MP C3004".into()),
        serial: Some("RC3004-55120".into()),
        location: Some("行政楼 2 层文印室".into()),
        purchase_date: Some(jiff::civil::date(2019, 5, 20)),
        warranty_end: None,
        consumable_model: Some("MP C3503C".into()),
    };
    let device = app.create_device(&org.admin, &device).await.unwrap();
    // The fuser the quotes name, from the parts catalog (it fits this model only).
    let fuser = aftersales_domain::parts::PartInput {
        number: Some("D0BK-2220".into()),
        name: Some("定影组件".into()),
        unit: Some("套".into()),
        price_fen: Some(128_000),
        models: Some(vec!["理光 MP C3004".into()]),
        ..Default::default()
    };
    app.create_part(&org.keeper, &fuser).await.unwrap();
    let mut r = org.registration(db.now());
    r.device_serial = None;
    r.device_id = Some(device.id);
    let t = app.register(&org.desk, &r, None).await.and_then(Outcome::into_value).unwrap().ticket;
    let mut v = t.version;
    for (who, cmd) in [
        (&org.desk, Command::Accept),
        (&org.desk, Command::Grade { level: "P3".into(), reason: "单台设备".into() }),
        (&org.dispatcher, Command::Dispatch { group_id: None, engineer_id: None }),
        (&org.eng_south, Command::Respond { note: None }),
    ] {
        v = app.act(who, t.id, Some(v), &cmd, None).await.and_then(Outcome::into_value).unwrap().ticket.version;
    }
    t.id
}

db_test!(the_api_quotes_exactly_and_names_bad_input, |db| {
    let org = Org::create(&db.app).await;
    let id = out_of_warranty(&db, &org).await;
    let c = Client::new(&db);
    let eng = token(&db, &org.eng_south).await;
    let desk = token(&db, &org.desk).await;
    let contact = token(&db, &org.portal_b).await;
    // Purchased in 2019 with no warranty end: one year's default term ended long ago.
    let f = c.get(&format!("/api/v1/tickets/{id}/fees"), &desk).await;
    assert_eq!((f.status, f.body["warranty"].as_str()), (StatusCode::OK, Some("out_of_warranty")), "{}", f.body);
    assert_eq!(f.body["warranty_end"], "2020-05-20");

    let path = format!("/api/v1/tickets/{id}/quotes");
    let line = |q: serde_json::Value, price: serde_json::Value| json!({"lines": [{"kind": "part", "description": "定影组件", "quantity": q, "unit_price": price}], "internal_note": "INTERNAL-成本"});
    for (body, field) in [
        (line(json!(1.5), json!(100)), "lines[0].quantity"),
        (line(json!(1), json!(99.5)), "lines[0].unit_price"),
        (line(json!(1), json!("100")), "lines[0].unit_price"),
    ] {
        // A fraction or a string where whole fen are expected: refused at the door, the
        // field named.
        let r = c.post(&path, &eng, &body, &[]).await;
        assert_eq!((r.status, error_fields(&r.body)), (StatusCode::BAD_REQUEST, vec![field.to_owned()]), "{}", r.body);
    }
    let r = c.post(&path, &eng, &line(json!(-2), json!(100)), &[]).await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["lines".to_owned()]));
    let r = c.post(&path, &eng, &line(json!(100_000), json!(100_000_000)), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // A contact writes no quote.
    assert_eq!(c.post(&path, &contact, &line(json!(1), json!(100)), &[]).await.status, StatusCode::FORBIDDEN);

    let r = c.post(&path, &eng, &line(json!(3), json!(33_333)), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // 99 999 fen × 13 % = 12 999.87 → 13 000.
    assert_eq!(
        (r.body["quotes"][0]["totals"]["tax"].as_i64(), r.body["quotes"][0]["totals"]["total"].as_i64()),
        (Some(13_000), Some(112_999))
    );

    // The contact reads the customer projection: lines and totals, no internal note.
    let f = c.get(&format!("/api/v1/tickets/{id}/fees"), &contact).await;
    assert_eq!(f.body["quote"]["totals"]["total"], 112_999, "{}", f.body);
    assert!(!f.body.to_string().contains("INTERNAL"), "{}", f.body);
    // Paying before approval is refused with the reason.
    let pay = json!({"method": "wechat", "amount": 112_999});
    let r = c.post(&format!("/api/v1/tickets/{id}/payments"), &desk, &pay, &[]).await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("payment_needs_approval")));
    let decision = format!("/api/v1/tickets/{id}/quotes/decision");
    let r = c.post(&decision, &contact, &json!({"revision": 1, "approve": true}), &[]).await;
    assert_eq!((r.status, r.body["quote"]["status"].as_str()), (StatusCode::OK, Some("approved")), "{}", r.body);
    let r = c.post(&decision, &contact, &json!({"revision": 1, "approve": true}), &[]).await;
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("quote_decided")));
    let r = c.post(&format!("/api/v1/tickets/{id}/payments"), &desk, &pay, &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["receipt_no"], "SJ2024-00001");
    let r = c.get("/api/v1/receipts/SJ2024-00001", &desk).await;
    assert_eq!((r.status, r.body["receipt"]["amount"].as_i64()), (StatusCode::OK, Some(112_999)));
});

db_test!(the_ticket_page_quotes_and_settles_and_the_portal_approves, |db| {
    let org = Org::create(&db.app).await;
    let id = out_of_warranty(&db, &org).await;
    let eng = sign_in(&db, &org.eng_south).await;
    let page = pages::get(&db, &format!("/tickets/{id}"), &eng).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("id=\"fees\"") && page.html.contains("过保"), "the warranty on the page");
    assert!(page.html.contains("须客户确认报价"), "the start waits for the approval");
    assert!(!page.html.contains("id=\"form-start\""), "开始处理 is offered before the approval");
    let csrf = page.csrf();
    // A fractional quantity is named with its line; nothing is written.
    let bad = format!(
        "csrf={csrf}&line_0_kind=part&line_0_description={}&line_0_quantity=1.5&line_0_unit_price=380",
        form_encode("定影组件")
    );
    let p = pages::post(&db, &format!("/tickets/{id}/quote"), &eng, &bad).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.html.contains("第 1 项的数量「1.5」不正确"), "{}", p.html);
    let form = format!(
        "csrf={csrf}&line_0_kind=part&line_0_description={}&line_0_part_no=D0BK-2220&line_0_quantity=1&line_0_unit_price=1%2C280.00\
         &line_1_kind=labour&line_1_description={}&line_1_quantity=2&line_1_unit_price=150&line_2_description=&internal_note={}",
        form_encode("定影组件"),
        form_encode("更换定影组件"),
        form_encode("INTERNAL-进价 900")
    );
    let p = pages::post(&db, &format!("/tickets/{id}/quote"), &eng, &form).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let page = pages::get(&db, p.location(), &eng).await;
    // 158 000 + 13 % = 178 540 fen.
    assert!(page.html.contains("¥1,785.40") && page.html.contains("报价已保存"), "{}", page.html);

    // The customer approves on the portal page: totals, never the internal note.
    let b = sign_in(&db, &org.portal_b).await;
    let portal = pages::get(&db, &format!("/tickets/{id}"), &b).await;
    assert!(portal.html.contains("¥1,785.40") && portal.html.contains("form-quote-approve"), "{}", portal.html);
    assert!(!portal.html.contains("INTERNAL"), "the internal note reached the customer");
    let approve = format!("csrf={}&revision=1&approve=true", portal.csrf());
    let p = pages::post(&db, &format!("/tickets/{id}/quote/decision"), &b, &approve).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let again = pages::post(&db, &format!("/tickets/{id}/quote/decision"), &b, &approve).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.html.contains("第 1 版报价已确认"), "{}", again.html);

    // Approved: the engineer is offered 开始处理 now. Once started, 等待备件 is offered only
    // with a requisition open.
    let page = pages::get(&db, &format!("/tickets/{id}"), &eng).await;
    assert!(page.html.contains("id=\"form-start\""), "开始处理 after the approval");
    let t = db.app.ticket(&org.admin, id).await.unwrap();
    let start = Command::Start { plan: None };
    db.app.act(&org.eng_south, id, Some(t.version), &start, None).await.unwrap();
    let page = pages::get(&db, &format!("/tickets/{id}"), &eng).await;
    assert!(page.html.contains("id=\"form-resolve\""), "{}", page.html);
    assert!(!page.html.contains("id=\"form-wait_for_parts\""), "等待备件 without a requisition");
    let fuser = db.app.parts(&org.keeper).await.unwrap().into_iter().find(|p| p.number == "D0BK-2220").unwrap();
    let ask = RequisitionInput { part_id: Some(fuser.id), quantity: Some(1), note: None };
    db.app.request_parts(&org.eng_south, id, &ask).await.unwrap();
    let page = pages::get(&db, &format!("/tickets/{id}"), &eng).await;
    assert!(page.html.contains("id=\"form-wait_for_parts\""), "等待备件 with a requisition open");

    // The desk records the payment and lands on the printable receipt.
    let desk = sign_in(&db, &org.desk).await;
    let page = pages::get(&db, &format!("/tickets/{id}"), &desk).await;
    assert!(page.html.contains("form-payment"));
    let pay = format!("csrf={}&method=wechat&amount=1785.40&reference=42000021582024", page.csrf());
    let p = pages::post(&db, &format!("/tickets/{id}/payment"), &desk, &pay).await;
    assert_eq!((p.status, p.location()), (StatusCode::SEE_OTHER, "/receipts/SJ2024-00001"), "{}", p.html);
    let receipt = pages::get(&db, "/receipts/SJ2024-00001", &desk).await;
    assert_eq!(receipt.status, StatusCode::OK);
    assert!(receipt.html.contains("收款收据") && receipt.html.contains("¥1,785.40") && receipt.html.contains("微信"));
    assert!(receipt.html.contains("window.print()"));
    // The customer has the same receipt from their portal, never the staff's note; another
    // customer's contact finds no such receipt.
    let portal = pages::get(&db, &format!("/tickets/{id}"), &b).await;
    assert!(portal.html.contains("href=\"/receipts/SJ2024-00001\""), "the portal links the receipt");
    let copy = pages::get(&db, "/receipts/SJ2024-00001", &b).await;
    assert_eq!(copy.status, StatusCode::OK);
    assert!(copy.html.contains("收款收据") && copy.html.contains("¥1,785.40") && copy.html.contains("42000021582024"));
    let a = sign_in(&db, &org.portal_window_a).await;
    assert_eq!(pages::get(&db, "/receipts/SJ2024-00001", &a).await.status, StatusCode::NOT_FOUND);
});
