//! Visits (上门预约, issue 13): the whole busy interval is checked against leave, the business
//! calendar and other visits (travel included); check-in and check-out by the visit's own
//! engineer; declared delays and the late-arrival watch tell the customer and the dispatchers
//! once; the ticket's `visit_at` follows the next open visit; the customer sees only the window.

use aftersales_app::notices::NoticeQuery;
use aftersales_app::tickets::Command;
use aftersales_app::visits::{
    DaysInput, TicketVisits, VisitBooking, VisitCancel, VisitCheck, VisitDelay, VisitLateWatch, VisitReschedule,
    VisitSettings, VisitView,
};
use aftersales_app::{App, AppError};
use aftersales_domain::clock::{ClockKind, ClockState};
use aftersales_domain::error::Conflict;
use aftersales_domain::notice::{Audience, Notice, NoticeKind};
use aftersales_domain::ticket::Ticket;
use aftersales_domain::visit::{Clash, Geo, VisitProblem, VisitStatus};
use aftersales_domain::working_calendar::{Availability, DayKind};
use aftersales_domain::{DomainError, Lang, Timestamp};
use aftersales_testkit::{Org, db_test};
use jiff::SignedDuration;

use crate::support::{graded, step, working};

fn at(s: &str) -> Timestamp {
    jiff::Zoned::strptime("%Y-%m-%dT%H:%M%:z", s).unwrap().timestamp()
}

fn booking(start: &str, planned: &str, minutes: i64, travel: i64) -> VisitBooking {
    VisitBooking {
        window_start: at(start),
        planned_start: Some(at(planned)),
        duration_minutes: minutes,
        travel_minutes: Some(travel),
        address: Some("上海市浦东新区张江路 88 号 3 号楼 2 层机房".into()),
        ..VisitBooking::default()
    }
}

/// A ticket of customer B being worked by eng_south.
async fn worked(app: &App, org: &Org, now: Timestamp) -> Ticket {
    let t = graded(app, org, now, "P2").await;
    working(app, org, &t).await
}

fn problem(e: AppError) -> VisitProblem {
    match e {
        AppError::Domain(DomainError::Conflict(Conflict::Visit(p))) => p,
        other => panic!("expected a visit problem, got {other:?}"),
    }
}

fn fields(e: AppError) -> Vec<&'static str> {
    match e {
        AppError::Domain(DomainError::Invalid(f)) => f.into_iter().map(|(f, _)| f).collect(),
        other => panic!("expected refused fields, got {other:?}"),
    }
}

async fn staff_visits(app: &App, org: &Org, ticket: i64) -> Vec<VisitView> {
    match app.ticket_visits(&org.dispatcher, ticket).await.unwrap() {
        TicketVisits::Staff(v) => v,
        TicketVisits::Customer(_) => panic!("staff get the staff's view"),
    }
}

async fn notices_of(app: &App, org: &Org, ticket: i64) -> Vec<Notice> {
    let q = NoticeQuery { ticket_id: Some(ticket), per_page: Some(100), ..NoticeQuery::default() };
    app.notices(&org.admin, &q).await.unwrap().items
}

fn count(ns: &[Notice], kind: NoticeKind) -> usize {
    ns.iter().filter(|n| n.kind == kind).count()
}

db_test!(booking_checks_the_whole_interval_against_other_visits_leave_and_hours, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let first = worked(app, &org, db.now()).await;
    let second = worked(app, &org, db.now()).await;
    // Monday 18 March: travel 09:30, on site 10:00–11:00.
    let v = app
        .book_visit(&org.dispatcher, first.id, &booking("2024-03-18T10:00+08:00", "2024-03-18T10:00+08:00", 60, 30))
        .await
        .unwrap();
    assert_eq!(
        (v.visit.status, v.visit.window_end),
        (VisitStatus::Booked, at("2024-03-18T12:00+08:00")),
        "the default window is 2 h"
    );
    // Planned 11:15 with 30 minutes of travel leaves at 10:45, while the first visit runs: refused,
    // naming that visit and its busy time (OCA checked only the start, which is free).
    let clash = booking("2024-03-18T11:00+08:00", "2024-03-18T11:15+08:00", 60, 30);
    let e = problem(app.book_visit(&org.dispatcher, second.id, &clash).await.unwrap_err());
    let VisitProblem::Clashes(all) = &e else { panic!("{e:?}") };
    assert!(
        matches!(&all[..], [Clash::Visit { ticket_number, .. }] if *ticket_number == first.number.to_string()),
        "{all:?}"
    );
    let zh = e.message(Lang::Zh);
    assert!(zh.contains(&format!("与 {} 的上门 3月18日 09:30–11:00", first.number)), "{zh}");
    assert!(staff_visits(app, &org, second.id).await.is_empty(), "nothing half-written");
    // 15 minutes of travel leaves at 11:00, when the first visit is over.
    app.book_visit(&org.dispatcher, second.id, &booking("2024-03-18T11:00+08:00", "2024-03-18T11:15+08:00", 60, 15))
        .await
        .unwrap();

    // Leave on Tuesday; Saturday is a day off unless on duty; 17:30 ends Monday's hours.
    let third = worked(app, &org, db.now()).await;
    let tuesday = "2024-03-19".parse().unwrap();
    app.set_working_days(
        &org.dispatcher,
        org.eng_south.id(),
        &DaysInput { from: tuesday, to: None, kind: Some(DayKind::Leave), note: Some("年假".into()) },
    )
    .await
    .unwrap();
    let e = problem(
        app.book_visit(&org.dispatcher, third.id, &booking("2024-03-19T10:00+08:00", "2024-03-19T10:00+08:00", 60, 30))
            .await
            .unwrap_err(),
    );
    assert_eq!(e, VisitProblem::Clashes(vec![Clash::Leave { day: tuesday }]));
    assert!(e.message(Lang::Zh).contains("请假 3月19日"), "{}", e.message(Lang::Zh));
    let evening = booking("2024-03-18T16:30+08:00", "2024-03-18T16:30+08:00", 90, 30);
    let e = problem(app.book_visit(&org.dispatcher, third.id, &evening).await.unwrap_err());
    assert!(matches!(&e, VisitProblem::Clashes(c) if matches!(c[..], [Clash::OffHours { .. }])), "{e:?}");
    let saturday = booking("2024-03-23T10:00+08:00", "2024-03-23T10:00+08:00", 60, 30);
    let e = problem(app.book_visit(&org.dispatcher, third.id, &saturday).await.unwrap_err());
    assert!(matches!(&e, VisitProblem::Clashes(c) if matches!(c[..], [Clash::DayOff { .. }])), "{e:?}");
    assert_eq!(
        app.engineer_availability(org.eng_south.id(), at("2024-03-19T10:00+08:00")).await.unwrap(),
        Availability::OnLeave
    );
    assert_eq!(
        app.engineer_availability(org.eng_south.id(), at("2024-03-23T10:00+08:00")).await.unwrap(),
        Availability::OffHours
    );
    app.set_working_days(
        &org.supervisor,
        org.eng_south.id(),
        &DaysInput { from: "2024-03-23".parse().unwrap(), to: None, kind: Some(DayKind::Duty), note: None },
    )
    .await
    .unwrap();
    assert_eq!(
        app.engineer_availability(org.eng_south.id(), at("2024-03-23T10:00+08:00")).await.unwrap(),
        Availability::OnDuty
    );
    app.book_visit(&org.dispatcher, third.id, &saturday).await.unwrap();
    // An engineer does not set their own leave.
    let own = DaysInput { from: tuesday, to: None, kind: None, note: None };
    assert!(matches!(
        app.set_working_days(&org.eng_south, org.eng_south.id(), &own).await,
        Err(AppError::Domain(DomainError::Forbidden { .. }))
    ));

    // The calendar shows both Monday visits on eng_south's row and the leave on Tuesday.
    let q = aftersales_app::visits::CalendarQuery {
        from: Some("2024-03-18".parse().unwrap()),
        days: Some(7),
        ..Default::default()
    };
    let cal = app.visit_calendar(&org.dispatcher, &q).await.unwrap();
    let row = cal.rows.iter().find(|r| r.engineer_id == org.eng_south.id()).unwrap();
    assert_eq!(row.cells[0].visits.len(), 2);
    assert_eq!(row.cells[1].kind, Some(DayKind::Leave));
    assert!(!row.cells[5].working_day && row.cells[5].kind == Some(DayKind::Duty) && row.cells[5].visits.len() == 1);
});

db_test!(bad_bookings_name_the_problem_and_write_nothing, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = worked(app, &org, db.now()).await;
    let mut b = booking("2024-03-18T10:00+08:00", "2024-03-18T10:00+08:00", 60, 30);
    b.window_end = Some(at("2024-03-18T15:00+08:00"));
    assert_eq!(fields(app.book_visit(&org.dispatcher, t.id, &b).await.unwrap_err()), ["window_end"], "a 5 h window");
    b.window_end = Some(at("2024-03-18T09:00+08:00"));
    assert_eq!(
        fields(app.book_visit(&org.dispatcher, t.id, &b).await.unwrap_err()),
        ["window_end", "planned_start"],
        "end before start"
    );
    let mut b = booking("2024-03-18T10:00+08:00", "2024-03-18T10:00+08:00", -30, -5);
    assert_eq!(
        fields(app.book_visit(&org.dispatcher, t.id, &b).await.unwrap_err()),
        ["duration_minutes", "travel_minutes"]
    );
    b.duration_minutes = 60;
    b.travel_minutes = Some(30);
    b.window_start = at("2024-03-14T10:00+08:00");
    b.planned_start = None;
    assert_eq!(fields(app.book_visit(&org.dispatcher, t.id, &b).await.unwrap_err()), ["window_start"], "in the past");
    // Another engineer books only for themselves, and only on their tickets.
    let mine = booking("2024-03-18T10:00+08:00", "2024-03-18T10:00+08:00", 60, 30);
    assert!(matches!(
        app.book_visit(&org.eng_east, t.id, &mine).await.unwrap_err(),
        AppError::Domain(DomainError::Conflict(Conflict::NotAssigned))
    ));
    assert!(staff_visits(app, &org, t.id).await.is_empty());
    // The organization's window is 1 to 4 hours, set by an administrator.
    assert!(app.put_visit_settings(&org.admin, &VisitSettings { window_minutes: 300 }).await.is_err());
    assert!(app.put_visit_settings(&org.dispatcher, &VisitSettings { window_minutes: 60 }).await.is_err());
    app.put_visit_settings(&org.admin, &VisitSettings { window_minutes: 60 }).await.unwrap();
    let v = app.book_visit(&org.dispatcher, t.id, &mine).await.unwrap();
    assert_eq!(v.visit.window_end, at("2024-03-18T11:00+08:00"));
    // A resolved ticket takes no visit.
    let t = step(
        app,
        &org.eng_south,
        &app.ticket(&org.admin, t.id).await.unwrap().ticket,
        Command::Resolve { resolution: "更换定影组件后测试正常".into() },
    )
    .await;
    let later = booking("2024-03-20T10:00+08:00", "2024-03-20T10:00+08:00", 60, 30);
    assert_eq!(
        problem(app.book_visit(&org.dispatcher, t.id, &later).await.unwrap_err()),
        VisitProblem::TicketNotWorked
    );
});

db_test!(check_in_and_out_by_the_visits_own_engineer, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = worked(app, &org, db.now()).await;
    let v = app
        .book_visit(&org.dispatcher, t.id, &booking("2024-03-15T14:00+08:00", "2024-03-15T14:00+08:00", 90, 30))
        .await
        .unwrap();
    let id = v.visit.id;
    let check = |version: i64| VisitCheck {
        version,
        geo: Some(Geo { lat: 31.2, lon: 121.6, accuracy_m: Some(25.0) }),
        note: None,
    };
    assert_eq!(problem(app.check_out(&org.eng_south, id, &check(1)).await.unwrap_err()), VisitProblem::NotCheckedIn);
    let e = app.check_in(&org.eng_east, id, &check(1)).await.unwrap_err();
    assert_eq!(crate_status(&e), 403);
    assert_eq!(problem(e), VisitProblem::NotYourVisit);
    assert!(matches!(
        app.check_in(&org.eng_south, id, &check(0)).await.unwrap_err(),
        AppError::Domain(DomainError::Conflict(Conflict::Visit(VisitProblem::Stale { current: 1 })))
    ));
    db.set(at("2024-03-15T15:10+08:00"));
    let bad = VisitCheck { version: 1, geo: Some(Geo { lat: 95.0, lon: 0.0, accuracy_m: None }), note: None };
    assert_eq!(fields(app.check_in(&org.eng_south, id, &bad).await.unwrap_err()), ["geo"]);
    let inside = app.check_in(&org.eng_south, id, &check(1)).await.unwrap();
    assert_eq!((inside.visit.on_time, inside.visit.checked_in_at), (Some(true), Some(at("2024-03-15T15:10+08:00"))));
    assert_eq!(problem(app.check_in(&org.eng_south, id, &check(2)).await.unwrap_err()), VisitProblem::AlreadyCheckedIn);
    // The arrival clock and the visit agree on what on time means: within the window the
    // customer was promised (14:00–16:00), so 15:10 meets the clock with 50 minutes to spare.
    let seen = app.ticket(&org.admin, t.id).await.unwrap();
    let arrival = seen.clocks.iter().find(|c| c.clock == ClockKind::Arrival).unwrap();
    assert_eq!((arrival.state, arrival.due_at), (ClockState::Met, Some(at("2024-03-15T16:00+08:00"))), "{arrival:?}");
    assert_eq!(seen.visit_due, Some(at("2024-03-15T16:00+08:00")));
    assert_eq!(seen.visit_at, Some(at("2024-03-15T14:00+08:00")), "on site, still the visit the ticket waits for");
    db.set(at("2024-03-15T16:40+08:00"));
    let out = app
        .check_out(
            &org.eng_south,
            id,
            &VisitCheck { version: 2, geo: None, note: Some("更换搓纸轮，试打 50 张正常".into()) },
        )
        .await
        .unwrap();
    assert_eq!((out.visit.status, out.minutes_on_site), (VisitStatus::Done, Some(90)));
    assert_eq!(app.ticket(&org.admin, t.id).await.unwrap().visit_at, None, "no visit is open any more");
    let history = app.history(&org.admin, t.id).await.unwrap();
    for action in ["book_visit", "visit_checked_in", "visit_checked_out"] {
        assert!(history.iter().any(|e| e.action == action), "{action} in the history");
    }
    // The customer sees the window, the status and the engineer, nothing internal.
    match app.ticket_visits(&org.portal_b, t.id).await.unwrap() {
        TicketVisits::Customer(v) => {
            assert_eq!(v.len(), 1);
            assert_eq!((v[0].status, v[0].window_start), (VisitStatus::Done, at("2024-03-15T14:00+08:00")));
            let json = serde_json::to_string(&v).unwrap();
            assert!(!json.contains("planned") && !json.contains("lat") && !json.contains("travel"), "{json}");
        }
        TicketVisits::Staff(_) => panic!("a contact gets the customer's view"),
    }
    assert!(matches!(app.ticket_visits(&org.portal_window_a, t.id).await, Err(AppError::NotFound { .. })));
    assert!(app.visit(&org.portal_b, id).await.is_err());
});

fn crate_status(e: &AppError) -> u16 {
    match e {
        AppError::Domain(DomainError::Conflict(c)) => c.status(),
        _ => 0,
    }
}

db_test!(a_late_engineer_is_told_to_the_customer_and_dispatcher_once, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = worked(app, &org, db.now()).await;
    let v = app
        .book_visit(&org.dispatcher, t.id, &booking("2024-03-15T14:00+08:00", "2024-03-15T14:00+08:00", 60, 30))
        .await
        .unwrap();
    assert_eq!(
        count(&notices_of(app, &org, t.id).await, NoticeKind::VisitBooked),
        1,
        "the customer is told the window"
    );
    // Before 15:45 (window end − 15 min) the watch is not due.
    db.set(at("2024-03-15T15:40+08:00"));
    assert_eq!(app.run_jobs::<VisitLateWatch>("w1", 10).await.unwrap().done, 0);
    db.set(at("2024-03-15T15:46+08:00"));
    assert_eq!(app.run_jobs::<VisitLateWatch>("w1", 10).await.unwrap().done, 1);
    let ns = notices_of(app, &org, t.id).await;
    assert_eq!(count(&ns, NoticeKind::VisitLate), 1, "the customer");
    let staff = ns.iter().find(|n| n.kind == NoticeKind::VisitDelay).expect("the staff are told");
    assert!(
        staff.recipients.iter().any(|r| r.audience == Audience::Dispatcher && r.user_id == org.dispatcher.id()),
        "{:?}",
        staff.recipients
    );
    // Running the watch again, or a second job for the same window, tells nobody again.
    assert!(!app.watch_late_arrival(v.visit.id, v.visit.window_end.as_millisecond()).await.unwrap());
    let ns = notices_of(app, &org, t.id).await;
    assert_eq!((count(&ns, NoticeKind::VisitLate), count(&ns, NoticeKind::VisitDelay)), (1, 1));
    // Arriving after the window is recorded as late.
    db.set(at("2024-03-15T16:20+08:00"));
    let current = app.visit(&org.dispatcher, v.visit.id).await.unwrap();
    let arrived = app
        .check_in(&org.eng_south, v.visit.id, &VisitCheck { version: current.visit.version, geo: None, note: None })
        .await
        .unwrap();
    assert_eq!(arrived.visit.on_time, Some(false));
});

db_test!(a_declared_delay_reaches_the_customer_at_once_and_each_once, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = worked(app, &org, db.now()).await;
    let v = app
        .book_visit(&org.dispatcher, t.id, &booking("2024-03-15T14:00+08:00", "2024-03-15T14:00+08:00", 60, 30))
        .await
        .unwrap();
    let id = v.visit.id;
    // 11:00, three hours ahead: the customer hears at once (seed 004: at least 1 h before).
    db.set(at("2024-03-15T11:00+08:00"));
    let late =
        VisitDelay {
            version: 1, expected_arrival: at("2024-03-15T15:30+08:00"), reason: Some("前一单延长".into())
        };
    assert_eq!(problem(app.declare_delay(&org.eng_east, id, &late).await.unwrap_err()), VisitProblem::NotYourVisit);
    let v = app.declare_delay(&org.eng_south, id, &late).await.unwrap();
    let ns = notices_of(app, &org, t.id).await;
    let told = ns.iter().find(|n| n.kind == NoticeKind::VisitDelayed).expect("the customer's notice");
    assert!(told.created_at <= at("2024-03-15T13:00+08:00") && told.body_zh.contains("2024-03-15 15:30"), "{told:?}");
    let staff = ns.iter().find(|n| n.kind == NoticeKind::VisitDelay).unwrap();
    assert!(!staff.body_zh.contains("晚于约定前 1 小时"), "{}", staff.body_zh);
    // A second delay is a second notice; the first is not repeated.
    let again = VisitDelay { version: v.visit.version, expected_arrival: at("2024-03-15T16:00+08:00"), reason: None };
    app.declare_delay(&org.eng_south, id, &again).await.unwrap();
    let ns = notices_of(app, &org, t.id).await;
    assert_eq!((count(&ns, NoticeKind::VisitDelayed), count(&ns, NoticeKind::VisitDelay)), (2, 2));
    let stale = VisitDelay { version: v.visit.version, expected_arrival: at("2024-03-15T16:30+08:00"), reason: None };
    assert!(matches!(
        problem(app.declare_delay(&org.eng_south, id, &stale).await.unwrap_err()),
        VisitProblem::Stale { .. }
    ));
});

db_test!(the_step_books_a_visit_and_visit_at_follows_moves_and_cancellations, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = worked(app, &org, db.now()).await;
    let t = step(app, &org.eng_south, &t, Command::BookVisit { at: at("2024-03-18T10:00+08:00"), note: None }).await;
    let vs = staff_visits(app, &org, t.id).await;
    assert_eq!(vs.len(), 1, "the step books a proper visit");
    assert_eq!((vs[0].visit.engineer_id, vs[0].visit.window_end), (org.eng_south.id(), at("2024-03-18T12:00+08:00")));
    // Booking again through the step moves that visit.
    let t = step(app, &org.eng_south, &t, Command::BookVisit { at: at("2024-03-18T14:00+08:00"), note: None }).await;
    let vs = staff_visits(app, &org, t.id).await;
    assert_eq!((vs.len(), vs[0].visit.window_start), (1, at("2024-03-18T14:00+08:00")));
    assert_eq!(t.visit_at, Some(at("2024-03-18T14:00+08:00")));
    // An earlier second visit becomes the one the ticket waits for; moving it with a reason
    // is in the history and told to the customer.
    let early = app
        .book_visit(&org.dispatcher, t.id, &booking("2024-03-18T09:00+08:00", "2024-03-18T09:00+08:00", 60, 20))
        .await
        .unwrap();
    assert_eq!(app.ticket(&org.admin, t.id).await.unwrap().visit_at, Some(at("2024-03-18T09:00+08:00")));
    let r = VisitReschedule {
        version: early.visit.version,
        reason: "客户上午开会".into(),
        window_start: at("2024-03-18T11:00+08:00"),
        duration_minutes: 60,
        travel_minutes: Some(20),
        ..VisitReschedule::default()
    };
    let moved = app.reschedule_visit(&org.dispatcher, early.visit.id, &r).await.unwrap();
    assert_eq!(moved.visit.window_start, at("2024-03-18T11:00+08:00"));
    let history = app.history(&org.admin, t.id).await.unwrap();
    assert!(history.iter().any(|e| e.note.as_deref() == Some("客户上午开会")));
    assert!(count(&notices_of(app, &org, t.id).await, NoticeKind::VisitMoved) >= 1);
    // Cancelling both leaves the ticket without a visit; its arrival clock stops.
    let reason = |v: i64| VisitCancel { version: v, reason: "客户已自行解决".into() };
    app.cancel_visit(&org.dispatcher, moved.visit.id, &reason(moved.visit.version)).await.unwrap();
    assert_eq!(app.ticket(&org.admin, t.id).await.unwrap().visit_at, Some(at("2024-03-18T14:00+08:00")));
    // Another visit is still booked: the customer, told of both bookings, hears that the
    // 11:00 one is cancelled (the other stays as agreed: no "moved" notice for it).
    let ns = notices_of(app, &org, t.id).await;
    let cancelled: Vec<_> = ns.iter().filter(|n| n.kind == NoticeKind::VisitCancelled).collect();
    assert_eq!(cancelled.len(), 1);
    assert!(cancelled[0].body_zh.contains("11:00") && !cancelled[0].body_zh.contains("客户已自行解决"));
    let moved_before = count(&ns, NoticeKind::VisitMoved);
    let last = staff_visits(app, &org, t.id).await.into_iter().find(|v| v.visit.status == VisitStatus::Booked).unwrap();
    app.cancel_visit(&org.dispatcher, last.visit.id, &reason(last.visit.version)).await.unwrap();
    // Nobody is coming now: the customer is told, with the window; the staff's reason stays
    // internal.
    let ns = notices_of(app, &org, t.id).await;
    let told = ns
        .iter()
        .find(|n| n.kind == NoticeKind::VisitCancelled && n.body_zh.contains("14:00"))
        .expect("the customer hears of the cancellation");
    assert!(!told.body_zh.contains("客户已自行解决"), "{}", told.body_zh);
    assert_eq!(count(&ns, NoticeKind::VisitCancelled), 2);
    assert_eq!(count(&ns, NoticeKind::VisitMoved), moved_before);
    let seen = app.ticket(&org.admin, t.id).await.unwrap();
    assert_eq!(seen.visit_at, None);
    assert!(seen.clocks.iter().filter(|c| c.clock == ClockKind::Arrival).all(|c| c.state != ClockState::Running));
    assert_eq!(
        problem(app.cancel_visit(&org.dispatcher, last.visit.id, &reason(last.visit.version + 1)).await.unwrap_err()),
        VisitProblem::NotOpen { status: VisitStatus::Cancelled }
    );
    let _ = SignedDuration::ZERO;
});
