//! Spare parts (issue 13): the catalog, the stock ledger, requisitions from a ticket
//! through approval, issue, use and return, on both databases.

use aftersales_app::parts::{
    DecisionInput, FaultyReturnCheck, IssueInput, PartsUsed, RequisitionInput, ReturnInput, StockInput, UseInput,
};
use aftersales_app::tickets::Command;
use aftersales_app::{Actor, App, AppError};
use aftersales_domain::error::Conflict;
use aftersales_domain::notice::NoticeKind;
use aftersales_domain::parts::{
    MovementKind, Part, PartInput, PartsProblem, RequisitionStatus, Warehouse, WarehouseInput, WarehouseKind,
};
use aftersales_domain::ticket::Status;
use aftersales_domain::{DomainError, Id};
use aftersales_testkit::{Org, db_test};
use jiff::SignedDuration;

use crate::support::{graded, refused, step, working};

fn problem(e: AppError) -> PartsProblem {
    match e {
        AppError::Domain(DomainError::Conflict(Conflict::Parts(p))) => p,
        other => panic!("expected a parts problem, got {other:?}"),
    }
}

fn fields(e: &AppError) -> Vec<&'static str> {
    match e {
        AppError::Domain(DomainError::Invalid(f)) => f.iter().map(|(f, _)| *f).collect(),
        other => panic!("expected invalid input, got {other:?}"),
    }
}

/// The catalog of the tests: a serial-tracked fuser for the fixture's bizhub C300i
/// (¥680, above the ¥500 threshold), a pickup roller for any model (¥35) and a drum for
/// another model only.
struct Stock {
    fuser: Part,
    roller: Part,
    drum: Part,
    central: Warehouse,
    van: Warehouse,
}

async fn part(app: &App, org: &Org, number: &str, name: &str, price: i64, models: &[&str], tracked: bool) -> Part {
    let input = PartInput {
        number: Some(number.into()),
        name: Some(name.into()),
        unit: Some("个".into()),
        price_fen: Some(price),
        models: Some(models.iter().map(|m| m.to_string()).collect()),
        serial_tracked: Some(tracked),
        active: None,
    };
    app.create_part(&org.keeper, &input).await.unwrap()
}

async fn receive(app: &App, org: &Org, part: Id, warehouse: Id, n: i64) {
    let input = StockInput {
        kind: Some(MovementKind::Receive),
        part_id: Some(part),
        warehouse_id: Some(warehouse),
        quantity: Some(n),
        ..StockInput::default()
    };
    app.move_stock(&org.keeper, &input).await.unwrap();
}

async fn stock(app: &App, org: &Org) -> Stock {
    let fuser = part(app, org, "FU-C300", "定影组件", 68_000, &["bizhub C300i"], true).await;
    let roller = part(app, org, "PR-001", "搓纸轮", 3_500, &[], false).await;
    let drum = part(app, org, "DR-M607", "硒鼓", 45_000, &["HP LaserJet M607"], false).await;
    let wh = |name: &str, kind, owner| WarehouseInput {
        name: Some(name.into()),
        kind: Some(kind),
        owner_id: owner,
        active: None,
    };
    let central = app.create_warehouse(&org.keeper, &wh("中心库", WarehouseKind::Central, None)).await.unwrap();
    let van = app
        .create_warehouse(&org.keeper, &wh("吴工车载库存", WarehouseKind::Van, Some(org.eng_south.id())))
        .await
        .unwrap();
    receive(app, org, fuser.id, central.id, 3).await;
    receive(app, org, roller.id, central.id, 10).await;
    receive(app, org, roller.id, van.id, 2).await;
    Stock { fuser, roller, drum, central, van }
}

fn ask(part: Id, quantity: i64) -> RequisitionInput {
    RequisitionInput {
        part_id: Some(part), quantity: Some(quantity), note: Some("现场检查后确认需更换".into())
    }
}

async fn balance_agrees(app: &App, part: Id, warehouse: Id) -> i64 {
    let store = app.store().read();
    let balance = aftersales_storage::parts::stock(store, part, warehouse).await.unwrap();
    let ledger = aftersales_storage::parts::ledger_sum(store, part, warehouse).await.unwrap();
    assert_eq!(balance, ledger, "the balance row equals the ledger's sum");
    assert!(balance >= 0);
    balance
}

db_test!(a_requisition_goes_from_the_ticket_through_approval_and_issue_to_use_and_the_faulty_return, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let s = stock(app, &org).await;
    let t = working(app, &org, &graded(app, &org, db.now(), "P2").await).await;
    // Waiting for parts needs a requisition first.
    let e = refused(app, &org.eng_south, &t, Command::WaitForParts { note: None }).await;
    assert_eq!(problem(e), PartsProblem::NoOpenRequisition);
    // ¥680 is above the ¥500 threshold: the supervisor approves.
    let q = app.request_parts(&org.eng_south, t.id, &ask(s.fuser.id, 1)).await.unwrap();
    assert_eq!((q.status, q.value_fen), (RequisitionStatus::Pending, 68_000));
    let t = step(app, &org.eng_south, &t, Command::WaitForParts { note: Some("等定影组件".into()) }).await;
    assert_eq!(t.status, Status::WaitingParts);
    let central = IssueInput { warehouse_id: Some(s.central.id) };
    let e = app.issue_requisition(&org.keeper, q.id, &central).await.unwrap_err();
    assert!(matches!(problem(e), PartsProblem::NotApproved { status: RequisitionStatus::Pending }));
    let e = app.decide_requisition(&org.eng_south, q.id, &DecisionInput { approve: true, note: None }).await;
    assert!(matches!(e, Err(AppError::Domain(DomainError::Forbidden { .. }))), "engineers do not approve");
    app.decide_requisition(&org.supervisor, q.id, &DecisionInput { approve: true, note: None }).await.unwrap();
    // Issued from the central store: the stock leaves it, and the ticket's wait ends with
    // the Resume step in its history.
    let q = app.issue_requisition(&org.keeper, q.id, &central).await.unwrap();
    assert_eq!(q.status, RequisitionStatus::Issued);
    assert_eq!(balance_agrees(app, s.fuser.id, s.central.id).await, 2);
    let now = app.ticket(&org.desk, t.id).await.unwrap().ticket;
    assert_eq!(now.status, Status::InProgress);
    let history = app.history(&org.desk, t.id).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!((last.action.as_str(), last.actor_id), ("resume", org.keeper.id()));
    // A serial-tracked part is used one at a time, with both serials.
    let e = app.use_parts(&org.eng_south, q.id, &UseInput { quantity: Some(1), ..UseInput::default() }).await;
    assert_eq!(fields(&e.unwrap_err()), ["serial", "faulty_serial"]);
    let serials =
        UseInput { quantity: Some(1), serial: Some("FU24A0001873".into()), faulty_serial: Some("FU21C0007741".into()) };
    let e = app.use_parts(&org.eng_east, q.id, &serials).await.unwrap_err();
    assert_eq!(problem(e), PartsProblem::NotYourRequisition, "someone else's requisition");
    let q = app.use_parts(&org.eng_south, q.id, &serials).await.unwrap();
    assert_eq!((q.status, q.used, q.faulty_owed), (RequisitionStatus::Done, 1, 1));
    let e = app.use_parts(&org.eng_south, q.id, &serials).await.unwrap_err();
    assert!(matches!(problem(e), PartsProblem::NotIssued { .. }), "nothing left to use");
    // What the ticket, the customer and the service report see.
    let PartsUsed::Staff(used) = app.parts_used(&org.desk, t.id).await.unwrap() else { panic!("staff view") };
    assert_eq!(used.len(), 1);
    assert_eq!((used[0].part_number.as_str(), used[0].serial.as_deref()), ("FU-C300", Some("FU24A0001873")));
    let PartsUsed::Customer(seen) = app.parts_used(&org.portal_b, t.id).await.unwrap() else { panic!("customer") };
    assert_eq!(
        (seen[0].part_number.as_str(), seen[0].part_name.as_str(), seen[0].quantity),
        ("FU-C300", "定影组件", 1)
    );
    let json = serde_json::to_string(&seen).unwrap();
    assert!(!json.contains("FU21C0007741") && !json.contains("68000"), "no faulty serial, no price: {json}");
    let other = app.parts_used(&org.portal_window_a, t.id).await;
    assert!(matches!(other, Err(AppError::NotFound { .. })), "another customer's ticket is not found");
    // The faulty part is owed back within 7 days; after them the engineer and the
    // supervisor are told, once.
    assert_eq!(app.jobs_of("faulty_return_check", "pending").await.unwrap().len(), 1);
    db.advance(SignedDuration::from_hours(24 * 7 + 1));
    assert_eq!(app.run_jobs::<FaultyReturnCheck>("t", 10).await.unwrap().done, 1);
    assert_eq!(app.run_jobs::<FaultyReturnCheck>("t", 10).await.unwrap().done, 0);
    let q_notices = aftersales_app::notices::NoticeQuery { ticket_id: Some(t.id), ..Default::default() };
    let notices = app.notices(&org.supervisor, &q_notices).await.unwrap();
    let overdue: Vec<_> = notices.items.iter().filter(|n| n.kind == NoticeKind::FaultyPartOverdue).collect();
    assert_eq!(overdue.len(), 1);
    assert!(overdue[0].body_zh.contains("FU-C300"), "{}", overdue[0].body_zh);
    // Returned late, it is recorded; more than owed is refused.
    let back = ReturnInput { quantity: Some(1), faulty: true, faulty_serial: Some("FU21C0007741".into()), note: None };
    let q = app.return_parts(&org.eng_south, q.id, &back).await.unwrap();
    assert_eq!(q.faulty_outstanding(), 0);
    let e = app.return_parts(&org.eng_south, q.id, &back).await.unwrap_err();
    assert!(matches!(problem(e), PartsProblem::NoFaultyOwed { .. }));
    assert_eq!(balance_agrees(app, s.fuser.id, s.central.id).await, 2, "a faulty part is not usable stock");
});

db_test!(cheap_parts_come_from_the_engineers_van_and_unused_ones_go_back, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let s = stock(app, &org).await;
    let t = working(app, &org, &graded(app, &org, db.now(), "P3").await).await;
    let q = app.request_parts(&org.eng_south, t.id, &ask(s.roller.id, 2)).await.unwrap();
    assert_eq!(q.status, RequisitionStatus::Approved, "¥70 is approved when filed");
    // The engineer issues from their own van (the default); another engineer may not.
    let e = app.issue_requisition(&org.eng_east, q.id, &IssueInput { warehouse_id: Some(s.van.id) }).await;
    assert_eq!(problem(e.unwrap_err()), PartsProblem::NotYourVan);
    let q = app.issue_requisition(&org.eng_south, q.id, &IssueInput::default()).await.unwrap();
    assert_eq!(q.warehouse_id, Some(s.van.id));
    assert_eq!(balance_agrees(app, s.roller.id, s.van.id).await, 0);
    let one = UseInput { quantity: Some(1), ..UseInput::default() };
    let q = app.use_parts(&org.eng_south, q.id, &one).await.unwrap();
    assert_eq!(q.faulty_owed, 0, "a pickup roller is scrapped on site");
    let back = |n| ReturnInput { quantity: Some(n), faulty: false, faulty_serial: None, note: None };
    let e = app.return_parts(&org.eng_south, q.id, &back(2)).await.unwrap_err();
    assert_eq!(problem(e), PartsProblem::MoreThanIssued { asked: 2, left: 1 });
    let q = app.return_parts(&org.eng_south, q.id, &back(1)).await.unwrap();
    assert_eq!(q.status, RequisitionStatus::Done);
    assert_eq!(balance_agrees(app, s.roller.id, s.van.id).await, 1, "the unused roller is back in the van");
    let ledger = app.ledger(&org.keeper, s.roller.id, s.van.id, Default::default()).await.unwrap();
    let kinds: Vec<_> = ledger.iter().map(|m| m.kind).collect();
    assert_eq!(kinds, [MovementKind::ReturnUnused, MovementKind::Use, MovementKind::Issue, MovementKind::Receive]);
    assert!(ledger.iter().all(|m| m.by != 0));
    assert_eq!(ledger[2].ticket_id, Some(t.id));
});

db_test!(bad_requisitions_and_movements_are_refused_naming_the_problem_and_change_nothing, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let s = stock(app, &org).await;
    let t = working(app, &org, &graded(app, &org, db.now(), "P3").await).await;
    for n in [0, -2] {
        let e = app.request_parts(&org.eng_south, t.id, &ask(s.roller.id, n)).await.unwrap_err();
        assert_eq!(fields(&e), ["quantity"]);
    }
    let e = app.request_parts(&org.eng_south, t.id, &ask(s.drum.id, 1)).await.unwrap_err();
    assert_eq!(
        problem(e),
        PartsProblem::NotApplicable { number: "DR-M607".into(), model: "bizhub C300i".into() },
        "the drum is for another model"
    );
    let e = app.request_parts(&org.eng_south, t.id, &ask(9_999, 1)).await.unwrap_err();
    assert!(matches!(e, AppError::NotFound { what: "part", .. }));
    let e = app.request_parts(&org.eng_east, t.id, &ask(s.roller.id, 1)).await.unwrap_err();
    assert!(matches!(e, AppError::Domain(DomainError::Conflict(Conflict::NotAssigned))), "not their ticket");
    let e = app.request_parts(&org.portal_b, t.id, &ask(s.roller.id, 1)).await.unwrap_err();
    assert!(matches!(e, AppError::Domain(DomainError::Forbidden { .. })), "customers do not requisition");
    // More than the central store holds: refused with what it holds, nothing written.
    let q = app.request_parts(&org.eng_south, t.id, &ask(s.roller.id, 11)).await.unwrap();
    let central = IssueInput { warehouse_id: Some(s.central.id) };
    let e = app.issue_requisition(&org.keeper, q.id, &central).await.unwrap_err();
    assert_eq!(problem(e), PartsProblem::InsufficientStock { available: 10, asked: 11 });
    assert_eq!(app.requisition(&org.keeper, q.id).await.unwrap().requisition.status, RequisitionStatus::Approved);
    assert_eq!(balance_agrees(app, s.roller.id, s.central.id).await, 10);
    let e = app.issue_requisition(&org.keeper, q.id, &IssueInput { warehouse_id: Some(9_999) }).await.unwrap_err();
    assert!(matches!(e, AppError::NotFound { what: "warehouse", .. }));
    // A negative adjustment below zero, a transfer to itself, an adjustment without reason.
    let adjust = |d: i64, reason: Option<&str>| StockInput {
        kind: Some(MovementKind::Adjust),
        part_id: Some(s.roller.id),
        warehouse_id: Some(s.van.id),
        quantity: Some(d),
        reason: reason.map(Into::into),
        ..StockInput::default()
    };
    let e = app.move_stock(&org.keeper, &adjust(-3, Some("盘点短少"))).await.unwrap_err();
    assert_eq!(problem(e), PartsProblem::InsufficientStock { available: 2, asked: 3 });
    assert_eq!(fields(&app.move_stock(&org.keeper, &adjust(-1, None)).await.unwrap_err()), ["reason"]);
    app.move_stock(&org.keeper, &adjust(-1, Some("盘点短少 1 个"))).await.unwrap();
    assert_eq!(balance_agrees(app, s.roller.id, s.van.id).await, 1);
    let to_self = StockInput {
        kind: Some(MovementKind::Transfer),
        part_id: Some(s.roller.id),
        warehouse_id: Some(s.central.id),
        to_warehouse_id: Some(s.central.id),
        quantity: Some(1),
        reason: None,
    };
    assert_eq!(problem(app.move_stock(&org.keeper, &to_self).await.unwrap_err()), PartsProblem::SameWarehouse);
    let e = app.move_stock(&org.eng_south, &adjust(1, Some("x"))).await.unwrap_err();
    assert!(matches!(e, AppError::Domain(DomainError::Forbidden { .. })), "engineers do not move stock");
    // A rejection needs a note.
    let dear = app.request_parts(&org.eng_south, t.id, &ask(s.fuser.id, 1)).await.unwrap();
    let e = app.decide_requisition(&org.supervisor, dear.id, &DecisionInput { approve: false, note: None }).await;
    assert_eq!(fields(&e.unwrap_err()), ["note"]);
});

// Parallel issues of one part from one warehouse: exactly as many succeed as the stock
// allows, the rest are refused for stock, and the stock ends at what is left, never
// below zero, equal to the ledger's sum.
db_test!(concurrent_issues_never_drive_stock_negative, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let s = stock(app, &org).await;
    let t = working(app, &org, &graded(app, &org, db.now(), "P3").await).await;
    // 10 rollers in the central store, 12 requisitions of 2 each: 5 can be issued.
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(app.request_parts(&org.eng_south, t.id, &ask(s.roller.id, 2)).await.unwrap().id);
    }
    let mut tasks = Vec::new();
    for id in ids {
        let (app, keeper): (App, Actor) = (app.clone(), org.keeper.clone());
        let central = s.central.id;
        tasks.push(tokio::spawn(async move {
            app.issue_requisition(&keeper, id, &IssueInput { warehouse_id: Some(central) }).await
        }));
    }
    let (mut issued, mut short) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(q) => {
                assert_eq!(q.status, RequisitionStatus::Issued);
                issued += 1;
            }
            Err(e) => match problem(e) {
                PartsProblem::InsufficientStock { available, asked: 2 } if available < 2 => short += 1,
                other => panic!("unexpected refusal {other:?}"),
            },
        }
    }
    assert_eq!((issued, short), (5, 7));
    assert_eq!(balance_agrees(app, s.roller.id, s.central.id).await, 0);
    let list = app.requisitions(&org.keeper, Some(RequisitionStatus::Issued), None, None, Default::default()).await;
    assert_eq!(list.unwrap().items.len(), 5);
});

// Two requisitions of one waiting ticket issued at the same instant (issue 13's note):
// whichever commits second sees the first settled, so the wait always ends, and only once.
db_test!(issuing_the_last_two_requisitions_at_once_ends_the_wait, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let s = stock(app, &org).await;
    for round in 0..4 {
        let t = working(app, &org, &graded(app, &org, db.now(), "P3").await).await;
        let a = app.request_parts(&org.eng_south, t.id, &ask(s.roller.id, 1)).await.unwrap();
        let b = app.request_parts(&org.eng_south, t.id, &ask(s.roller.id, 1)).await.unwrap();
        let t = step(app, &org.eng_south, &t, Command::WaitForParts { note: None }).await;
        assert_eq!(t.status, Status::WaitingParts);
        let tasks: Vec<_> = [a.id, b.id]
            .into_iter()
            .map(|id| {
                let (app, keeper, central) = (app.clone(), org.keeper.clone(), s.central.id);
                tokio::spawn(async move {
                    app.issue_requisition(&keeper, id, &IssueInput { warehouse_id: Some(central) }).await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().status, RequisitionStatus::Issued);
        }
        let now = app.ticket(&org.desk, t.id).await.unwrap().ticket;
        assert_eq!(now.status, Status::InProgress, "round {round}: the wait ended");
        let resumes = app.history(&org.desk, t.id).await.unwrap().iter().filter(|e| e.action == "resume").count();
        assert_eq!(resumes, 1, "round {round}: one Resume in the history");
    }
});
