//! Fees (seed 003): the warranty fixed at registration, the quote the customer approves
//! before chargeable work starts (portal, mailed link or paper), payments with gap-free
//! receipt numbers, and the consumables service.

use aftersales_app::fees::{FreeInput, PaymentInput, QuoteDecision};
use aftersales_app::portal::{LinkAnswer, LinkState};
use aftersales_app::tickets::Command;
use aftersales_app::{App, AppError};
use aftersales_domain::customer::{ContactInput, DeviceInput, Warranty};
use aftersales_domain::customer_link::{LinkProblem, LinkPurpose};
use aftersales_domain::error::{Conflict, Reason};
use aftersales_domain::fee::{
    ApprovalMethod, FeeConflict, FreeReason, LineInput, LineKind, PaymentMethod, QuoteInput, QuoteStatus,
};
use aftersales_domain::notice::NoticeKind;
use aftersales_domain::ticket::{Kind, Ticket};
use aftersales_domain::{DomainError, Lang};
use aftersales_testkit::{Org, db_test};

use crate::support::{grade, register, step};

fn fee_conflict(e: &AppError) -> Option<&FeeConflict> {
    match e {
        AppError::Domain(DomainError::Conflict(Conflict::Fee(f))) => Some(f),
        _ => None,
    }
}

/// A device of customer B whose warranty ended on 2023-12-31 (the tests run in March 2024).
async fn expired_device(app: &App, org: &Org, serial: &str) -> aftersales_domain::customer::Device {
    let input = DeviceInput {
        customer_id: Some(org.customer_b.id),
        model: Some("柯尼卡美能达 bizhub C300i".into()),
        serial: Some(serial.into()),
        location: Some("财务部 3 楼".into()),
        purchase_date: Some(jiff::civil::date(2020, 12, 1)),
        warranty_end: Some(jiff::civil::date(2023, 12, 31)),
        consumable_model: Some("TN328K".into()),
    };
    let device = app.create_device(&org.admin, &input).await.unwrap();
    catalog(app, org).await;
    device
}

/// The parts the quotes name (a quote's part numbers are the catalog's): a fuser for the
/// bizhub C300i, a pickup roller for any model, a drum for another model only.
async fn catalog(app: &App, org: &Org) {
    let have = app.parts(&org.keeper).await.unwrap();
    for (number, name, models) in [
        ("A5C1R70200", "定影组件", vec!["柯尼卡美能达 bizhub C300i".to_owned()]),
        ("A00J563600", "搓纸轮", vec![]),
        ("DR313K", "硒鼓", vec!["柯尼卡美能达 bizhub C258".to_owned()]),
    ] {
        if have.iter().any(|p| p.number == number) {
            continue;
        }
        let input = aftersales_domain::parts::PartInput {
            number: Some(number.into()),
            name: Some(name.into()),
            unit: Some("个".into()),
            price_fen: Some(10_000),
            models: Some(models),
            ..Default::default()
        };
        app.create_part(&org.keeper, &input).await.unwrap();
    }
}

/// Registered on `device`, accepted, graded, dispatched to eng_south, who called.
async fn responded(app: &App, org: &Org, at: aftersales_domain::Timestamp, device: i64, kind: Kind) -> Ticket {
    let mut r = org.registration(at);
    r.device_serial = None;
    r.device_id = Some(device);
    r.kind = Some(kind);
    let t = register(app, &org.desk, &r).await;
    let t = step(app, &org.desk, &t, Command::Accept).await;
    let t = step(app, &org.desk, &t, grade("P3", "单台设备")).await;
    let t = step(app, &org.dispatcher, &t, Command::Dispatch { group_id: None, engineer_id: None }).await;
    step(app, &org.eng_south, &t, Command::Respond { note: None }).await
}

fn quote(lines: &[(LineKind, &str, Option<&str>, i64, i64)]) -> QuoteInput {
    QuoteInput {
        lines: lines
            .iter()
            .map(|(kind, d, p, q, u)| LineInput {
                kind: *kind,
                description: (*d).into(),
                part_no: p.map(Into::into),
                quantity: *q,
                unit_price: *u,
            })
            .collect(),
        internal_note: Some("INTERNAL-成本价 ¥260，客户议价空间 10%".into()),
    }
}

fn fuser() -> QuoteInput {
    quote(&[
        (LineKind::Part, "定影组件", Some("A5C1R70200"), 1, 128_000),
        (LineKind::Labour, "更换定影组件及调试", None, 2, 15_000),
        (LineKind::Travel, "上门交通费", None, 1, 5_000),
    ])
}

fn approve(revision: i32) -> QuoteDecision {
    QuoteDecision { revision, approve: true, reason: None, signed_by: None }
}

async fn start(app: &App, org: &Org, t: &Ticket) -> Result<Ticket, AppError> {
    let cmd = Command::Start { plan: Some("更换定影组件".into()) };
    app.act(&org.eng_south, t.id, Some(t.version), &cmd, None).await.map(|o| o.into_value().unwrap().ticket.ticket)
}

db_test!(an_out_of_warranty_repair_starts_after_the_customer_approves_a_frozen_quote, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let device = expired_device(app, &org, "C300I-778812").await;
    let t = responded(app, &org, db.now(), device.id, Kind::Fault).await;
    let f = app.fees(&org.desk, t.id).await.unwrap();
    assert_eq!(
        (f.file.warranty, f.file.warranty_end),
        (Warranty::OutOfWarranty, Some(jiff::civil::date(2023, 12, 31)))
    );
    assert!(f.quote_needed && !f.may_start);
    // A later device edit does not change the ticket's warranty.
    let mut edit = DeviceInput { customer_id: Some(org.customer_b.id), ..DeviceInput::default() };
    edit.model = Some(device.model.clone());
    edit.serial = Some(device.serial.clone());
    edit.warranty_end = Some(jiff::civil::date(2030, 1, 1));
    app.update_device(&org.admin, device.id, &edit).await.unwrap();
    assert_eq!(app.fees(&org.desk, t.id).await.unwrap().file.warranty, Warranty::OutOfWarranty);

    // The work cannot start before the customer approved the fees.
    let err = start(app, &org, &t).await.unwrap_err();
    assert_eq!(err.code(), "quote_not_approved", "{err:?}");
    assert!(err.message(Lang::Zh).contains("须客户确认报价"), "{}", err.message(Lang::Zh));

    // Revision 1: exact totals, tax once on the subtotal (163 000 fen × 13 % = 21 190).
    let f = app.save_quote(&org.eng_south, t.id, &fuser()).await.unwrap();
    let q = f.file.current().unwrap().clone();
    assert_eq!((q.revision, q.status), (1, QuoteStatus::Pending));
    assert_eq!((q.totals.subtotal, q.totals.tax, q.totals.total), (163_000, 21_190, 184_190));
    // Paying before approval is refused; nothing is written.
    let pay = PaymentInput { method: PaymentMethod::Wechat, amount: 184_190, reference: None, note: None };
    let err = app.record_payment(&org.desk, t.id, &pay).await.unwrap_err();
    assert_eq!(fee_conflict(&err), Some(&FeeConflict::PaymentNeedsApproval));

    // The customer sees the lines and totals, never the internal note.
    let c = app.customer_fees(&org.portal_b, t.id).await.unwrap();
    assert_eq!(c.quote.as_ref().unwrap().totals.total, 184_190);
    assert!(!serde_json::to_string(&c).unwrap().contains("INTERNAL"));
    // A contact of another organization cannot see nor approve it.
    assert!(matches!(app.customer_fees(&org.portal_window_a, t.id).await, Err(AppError::NotFound { .. })));
    let err = app.customer_decide_quote(&org.portal_window_a, t.id, &approve(1)).await.unwrap_err();
    assert!(matches!(err, AppError::NotFound { .. }), "{err:?}");
    // A contact may not use the staff's paper approval, nor the staff the portal's.
    assert!(app.decide_quote(&org.portal_b, t.id, &approve(1)).await.is_err());
    assert!(app.customer_decide_quote(&org.desk, t.id, &approve(1)).await.is_err());

    // Approved in the portal, once.
    let c = app.customer_decide_quote(&org.portal_b, t.id, &approve(1)).await.unwrap();
    let cq = c.quote.unwrap();
    assert_eq!((cq.status, cq.approval), (QuoteStatus::Approved, Some(ApprovalMethod::Portal)));
    let err = app.customer_decide_quote(&org.portal_b, t.id, &approve(1)).await.unwrap_err();
    assert_eq!(fee_conflict(&err), Some(&FeeConflict::QuoteDecided { revision: 1, status: QuoteStatus::Approved }));
    assert!(err.message(Lang::Zh).contains("第 1 版报价已确认"), "{}", err.message(Lang::Zh));
    let t = start(app, &org, &t).await.unwrap();

    // A change on site makes revision 2, which needs a new approval; revision 1 is frozen.
    let mut more = fuser();
    more.lines.push(LineInput {
        kind: LineKind::Part,
        description: "搓纸轮".into(),
        part_no: Some("A00J563600".into()),
        quantity: 2,
        unit_price: 3_500,
    });
    let f = app.save_quote(&org.eng_south, t.id, &more).await.unwrap();
    assert_eq!(
        f.file.quotes.iter().map(|q| (q.revision, q.status)).collect::<Vec<_>>(),
        [(1, QuoteStatus::Superseded), (2, QuoteStatus::Pending)]
    );
    assert_eq!(f.file.quotes[0].lines.len(), 3, "the approved revision's lines are kept as they were");
    // The customer's approval of what they saw before the change is refused, naming it.
    let err = app.customer_decide_quote(&org.portal_b, t.id, &approve(1)).await.unwrap_err();
    assert_eq!(fee_conflict(&err), Some(&FeeConflict::QuoteChanged { named: 1, current: 2 }));
    // Another ticket's revision number.
    let err = app.customer_decide_quote(&org.portal_b, t.id, &approve(7)).await.unwrap_err();
    assert_eq!(fee_conflict(&err), Some(&FeeConflict::UnknownRevision { named: 7 }));
    // Recorded as signed on paper: who signed is required.
    let err = app.decide_quote(&org.eng_south, t.id, &approve(2)).await.unwrap_err();
    assert!(matches!(&err, AppError::Domain(DomainError::Invalid(p)) if p[0].0 == "signed_by"), "{err:?}");
    let paper = QuoteDecision { signed_by: Some("黄宁远".into()), ..approve(2) };
    let f = app.decide_quote(&org.eng_south, t.id, &paper).await.unwrap();
    let q2 = f.file.approved().unwrap();
    assert_eq!((q2.approval, q2.signed_by.as_deref()), (Some(ApprovalMethod::Paper), Some("黄宁远")));
    let total = q2.totals.total;
    assert_eq!(total, 184_190 + 7_910);

    // Settlement: not more than remains, not nothing; then in full with a receipt.
    for bad in [0, -100] {
        let err = app.record_payment(&org.desk, t.id, &PaymentInput { amount: bad, ..pay.clone() }).await.unwrap_err();
        assert!(matches!(&err, AppError::Domain(DomainError::Invalid(p)) if p[0].0 == "amount"), "{err:?}");
    }
    let err =
        app.record_payment(&org.desk, t.id, &PaymentInput { amount: total + 1, ..pay.clone() }).await.unwrap_err();
    assert_eq!(fee_conflict(&err), Some(&FeeConflict::Overpaid { remaining: total }));
    let s = app.record_payment(&org.desk, t.id, &PaymentInput { amount: 100_000, ..pay.clone() }).await.unwrap();
    assert_eq!(s.receipt_no, "SJ2024-00001");
    let paid = PaymentInput { amount: total - 100_000, reference: Some("4200002024031512345678".into()), ..pay };
    let s = app.record_payment(&org.desk, t.id, &paid).await.unwrap();
    assert_eq!(s.receipt_no, "SJ2024-00002");
    let err = app.record_payment(&org.desk, t.id, &PaymentInput { amount: 1, ..paid.clone() }).await.unwrap_err();
    assert_eq!(fee_conflict(&err), Some(&FeeConflict::Settled));
    // Once paid, the quote cannot change any more.
    let err = app.save_quote(&org.eng_south, t.id, &fuser()).await.unwrap_err();
    assert_eq!(fee_conflict(&err), Some(&FeeConflict::Settled));
    let r = app.receipt(&org.desk, "SJ2024-00002").await.unwrap();
    assert_eq!((r.receipt.amount, r.ticket_number.as_str()), (total - 100_000, t.number.to_string().as_str()));
    assert_eq!(r.quote.unwrap().revision, 2);
    // The ticket's customer has the same printed receipt; another customer finds none.
    let theirs = app.receipt(&org.portal_b, "SJ2024-00002").await.unwrap();
    assert_eq!(theirs.receipt.reference.as_deref(), Some("4200002024031512345678"));
    assert!(matches!(app.receipt(&org.portal_window_a, "SJ2024-00002").await, Err(AppError::NotFound { .. })));
    assert!(matches!(app.receipt(&org.desk, "SJ2024-09999").await, Err(AppError::NotFound { .. })));

    // Every change is in the history; the customer was told of each quote and receipt.
    let actions: Vec<String> = app.history(&org.desk, t.id).await.unwrap().into_iter().map(|e| e.action).collect();
    for (action, n) in [("quote_written", 2), ("quote_approved", 2), ("payment_recorded", 2), ("start", 1)] {
        assert_eq!(actions.iter().filter(|a| *a == action).count(), n, "{action}: {actions:?}");
    }
    let told = app.notices(&org.portal_b, &Default::default()).await.unwrap();
    let kinds: Vec<NoticeKind> = told.items.iter().map(|n| n.kind).collect();
    assert_eq!(kinds.iter().filter(|k| **k == NoticeKind::QuoteToApprove).count(), 2, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == NoticeKind::Receipt).count(), 2, "{kinds:?}");
});

db_test!(bad_quote_lines_are_named_and_nothing_is_written, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let device = expired_device(app, &org, "C300I-778813").await;
    let t = responded(app, &org, db.now(), device.id, Kind::Fault).await;
    let bad = quote(&[
        (LineKind::Labour, "检测", None, 1, 10_000),
        (LineKind::Part, "硒鼓", Some("DR313K"), 0, 45_000),
        (LineKind::Other, "", None, 1, -1),
        (LineKind::Part, "感光鼓", Some("NO-SUCH-PART"), 1, 45_000),
        (LineKind::Labour, "工时", Some("A00J563600"), 1, 45_000),
    ]);
    let err = app.save_quote(&org.eng_south, t.id, &bad).await.unwrap_err();
    let AppError::Domain(DomainError::Invalid(p)) = &err else { panic!("{err:?}") };
    let lines: Vec<usize> = p
        .iter()
        .map(|(f, r)| match r {
            Reason::AtLine { line, .. } if *f == "lines" => *line,
            other => panic!("{other:?}"),
        })
        .collect();
    // Line 2: a drum of another model, and no quantity; line 3: no description, a negative
    // price; line 4: a part number the catalog does not have; line 5: a part number on labour.
    assert_eq!(lines, [2, 2, 3, 3, 4, 5], "{p:?}");
    let zh = err.message(Lang::Zh);
    assert!(zh.contains("数量须为大于 0 的整数") && zh.contains("不适用于设备型号 柯尼卡美能达 bizhub C300i"), "{zh}");
    assert!(zh.contains("备件编号 NO-SUCH-PART 不在备件目录中") && zh.contains("只有备件项可填写备件编号"), "{zh}");
    let huge = quote(&[(LineKind::Part, "整机更换", None, 100_000, 100_000_000)]);
    let err = app.save_quote(&org.eng_south, t.id, &huge).await.unwrap_err();
    assert!(matches!(&err, AppError::Domain(DomainError::Invalid(p)) if p[0].0 == "lines"), "{err:?}");
    assert!(app.fees(&org.desk, t.id).await.unwrap().file.quotes.is_empty());
    assert!(!app.history(&org.desk, t.id).await.unwrap().iter().any(|e| e.action == "quote_written"));
    // Only the assigned engineer (or the desk) quotes; a contact never writes one.
    assert!(matches!(
        app.save_quote(&org.eng_east, t.id, &fuser()).await,
        Err(AppError::Domain(DomainError::Conflict(Conflict::NotAssigned)))
    ));
    assert!(app.save_quote(&org.portal_b, t.id, &fuser()).await.is_err());
    // Deciding when there is no quote.
    let err = app.customer_decide_quote(&org.portal_b, t.id, &approve(1)).await.unwrap_err();
    assert_eq!(fee_conflict(&err), Some(&FeeConflict::NoQuote));
});

db_test!(the_mailed_link_approves_the_quote_it_was_sent_for_once, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let input = ContactInput {
        name: Some("Alice Chen".into()),
        phone: Some("13700000009".into()),
        email: Some("alice@example.com".into()),
        department: None,
        lang: Some(Lang::En),
    };
    let alice = app.create_contact(&org.admin, org.customer_b.id, &input).await.unwrap();
    let device = expired_device(app, &org, "C300I-778814").await;
    let mut r = org.registration(db.now());
    r.device_serial = None;
    r.device_id = Some(device.id);
    r.contact_id = Some(alice.id);
    r.contact_name = None;
    r.contact_phone = None;
    let t = register(app, &org.desk, &r).await;
    let t = step(app, &org.desk, &t, Command::Accept).await;
    app.claim_deliveries(100).await.unwrap();

    app.save_quote(&org.desk, t.id, &fuser()).await.unwrap();
    // Each revision's mail names its total and carries its own link.
    let link_of = |total: &'static str| {
        let app = app.clone();
        async move {
            let out = app.claim_deliveries(100).await.unwrap();
            let o = out.iter().find(|o| o.notice.kind == NoticeKind::QuoteToApprove).expect("the quote mail");
            assert!(o.notice.body_en.contains(total), "{}", o.notice.body_en);
            o.link.clone().expect("a link").rsplit('/').next().unwrap().to_owned()
        }
    };
    let first = link_of("¥1,841.90").await;
    match app.link_state(&first).await.unwrap() {
        LinkState::Usable { purpose, ticket, .. } => assert_eq!((purpose, ticket.id), (LinkPurpose::Quote, t.id)),
        other => panic!("{other:?}"),
    }
    // The quote changes before Alice answers: the first mail's link no longer applies.
    db.advance(jiff::SignedDuration::from_mins(10));
    let mut cheaper = fuser();
    cheaper.lines.pop();
    app.save_quote(&org.desk, t.id, &cheaper).await.unwrap();
    assert!(app.use_link(&first, &LinkAnswer::Confirm).await.is_err());
    assert_eq!(app.fees(&org.desk, t.id).await.unwrap().file.current().unwrap().status, QuoteStatus::Pending);
    let second = link_of("¥1,785.40").await;
    let c = app.use_link(&second, &LinkAnswer::Confirm).await.unwrap();
    assert_eq!(c.id, t.id);
    let f = app.fees(&org.desk, t.id).await.unwrap();
    let q = f.file.current().unwrap();
    assert_eq!((q.revision, q.status, q.approval), (2, QuoteStatus::Approved, Some(ApprovalMethod::EmailLink)));
    let err = app.use_link(&second, &LinkAnswer::Confirm).await.unwrap_err();
    assert!(matches!(&err, AppError::Domain(DomainError::Conflict(Conflict::Link(LinkProblem::Used)))), "{err:?}");
    let approvals = app.history(&org.desk, t.id).await.unwrap().iter().filter(|e| e.action == "quote_approved").count();
    assert_eq!(approvals, 1);
});

db_test!(a_refused_quote_keeps_the_reason_and_a_new_revision_can_follow, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let device = expired_device(app, &org, "C300I-778815").await;
    let t = responded(app, &org, db.now(), device.id, Kind::Fault).await;
    app.save_quote(&org.eng_south, t.id, &fuser()).await.unwrap();
    let no_reason = QuoteDecision { revision: 1, approve: false, reason: None, signed_by: None };
    let err = app.customer_decide_quote(&org.portal_b, t.id, &no_reason).await.unwrap_err();
    assert!(matches!(&err, AppError::Domain(DomainError::Invalid(p)) if p[0].0 == "reason"), "{err:?}");
    let refuse = QuoteDecision { reason: Some("差旅费请免除，设备在市区".into()), ..no_reason };
    let c = app.customer_decide_quote(&org.portal_b, t.id, &refuse).await.unwrap();
    let q = c.quote.unwrap();
    assert_eq!((q.status, q.refusal_reason.as_deref()), (QuoteStatus::Refused, Some("差旅费请免除，设备在市区")));
    assert_eq!(start(app, &org, &t).await.unwrap_err().code(), "quote_not_approved");
    let mut fixed = fuser();
    fixed.lines.pop();
    let f = app.save_quote(&org.eng_south, t.id, &fixed).await.unwrap();
    assert_eq!(f.file.current().map(|q| (q.revision, q.status)), Some((2, QuoteStatus::Pending)));
    assert_eq!(f.file.quotes[0].status, QuoteStatus::Refused, "a refused revision stays refused");
});

db_test!(a_consumables_replacement_is_confirmed_and_called_back_in_3_to_5_working_days, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    // In warranty, but consumables are chargeable: the plan and fees are confirmed first.
    let t = responded(app, &org, db.now(), org.device_b.id, Kind::Consumables).await;
    let f = app.fees(&org.desk, t.id).await.unwrap();
    assert_eq!(f.file.warranty, Warranty::InWarranty);
    assert!(f.quote_needed && !f.may_start);
    let err = start(app, &org, &t).await.unwrap_err();
    assert!(err.message(Lang::Zh).contains("耗材更换"), "{}", err.message(Lang::Zh));
    // Covered by the service contract: recorded free with the reason, with a receipt.
    let free = FreeInput { reason: FreeReason::Contract, note: Some("全包服务合同 HT-2023-118".into()) };
    let s = app.record_free(&org.desk, t.id, &free).await.unwrap();
    assert_eq!((s.amount, s.receipt_no.as_str()), (0, "SJ2024-00001"));
    assert_eq!(fee_conflict(&app.record_free(&org.desk, t.id, &free).await.unwrap_err()), Some(&FeeConflict::Settled));
    let t = start(app, &org, &t).await.unwrap();
    let t = step(app, &org.eng_south, &t, Command::Resolve { resolution: "更换 TN328K 碳粉盒与废粉盒".into() }).await;
    let due = app.fees(&org.desk, t.id).await.unwrap().file.callback_due_at.expect("a callback date");
    let resolved = t.resolved_at.unwrap();
    // Friday 15 March resolved at 09:00 → five working days later: Friday 22 March.
    let day = due.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).date();
    assert!(due > resolved, "{due} after {resolved}");
    assert_eq!(day, jiff::civil::date(2024, 3, 22), "{due}");
});

db_test!(receipt_numbers_stay_gap_free_under_concurrent_payments, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let device = expired_device(app, &org, "C300I-778816").await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        let t = responded(app, &org, db.now(), device.id, Kind::Fault).await;
        app.save_quote(&org.eng_south, t.id, &fuser()).await.unwrap();
        app.customer_decide_quote(&org.portal_b, t.id, &approve(1)).await.unwrap();
        ids.push(t.id);
    }
    // Two payments per ticket at once, each for the whole amount: one wins per ticket, the
    // other is refused, and refused ones take no number.
    let mut calls = tokio::task::JoinSet::new();
    for &id in &ids {
        for _ in 0..2 {
            let app = app.clone();
            let desk = org.desk.clone();
            calls.spawn(async move {
                let p = PaymentInput { method: PaymentMethod::Transfer, amount: 184_190, reference: None, note: None };
                app.record_payment(&desk, id, &p).await
            });
        }
    }
    let mut numbers = Vec::new();
    while let Some(r) = calls.join_next().await {
        match r.unwrap() {
            Ok(s) => numbers.push(s.receipt_no),
            Err(e) => assert_eq!(fee_conflict(&e), Some(&FeeConflict::Settled), "{e:?}"),
        }
    }
    numbers.sort();
    let expected: Vec<String> = (1..=6).map(|n| format!("SJ2024-{n:05}")).collect();
    assert_eq!(numbers, expected);
});
