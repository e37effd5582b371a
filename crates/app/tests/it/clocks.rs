//! Clocks on tickets (DOMAIN §4), service policies and calendars, through the use cases.

use aftersales_app::clocks::HolidayImport;
use aftersales_app::tickets::{Command, ListQuery, TicketView};
use aftersales_app::{Actor, App, AppError};
use aftersales_domain::calendar::CalendarSpec;
use aftersales_domain::clock::{ClockKind, ClockState, ClockView, SurveyResult, Warning};
use aftersales_domain::customer::CustomerInput;
use aftersales_domain::error::Conflict;
use aftersales_domain::grading::Counting;
use aftersales_domain::ticket::Ticket;
use aftersales_domain::worklog::LogKind;
use aftersales_domain::{DomainError, Timestamp};
use aftersales_testkit::{Org, db_test};
use jiff::SignedDuration;

use crate::support::{fresh, grade, graded, register, step, working};

fn at(s: &str) -> Timestamp {
    jiff::Zoned::strptime("%Y-%m-%dT%H:%M:%S%:z", s).unwrap().timestamp()
}

fn clock(v: &TicketView, kind: ClockKind) -> ClockView {
    v.clocks.iter().rev().find(|c| c.clock == kind).cloned().unwrap_or_else(|| panic!("no {kind} clock"))
}

async fn view(app: &App, actor: &Actor, t: &Ticket) -> TicketView {
    app.ticket(actor, t.id).await.unwrap()
}

async fn log(app: &App, actor: &Actor, t: &Ticket, kind: LogKind, body: &str) {
    fresh(app.add_log(actor, t.id, kind, body, None, None).await.unwrap());
}

async fn numbers(app: &App, actor: &Actor, q: ListQuery) -> Vec<String> {
    app.tickets(actor, &q).await.unwrap().items.into_iter().map(|v| v.ticket.number.to_string()).collect()
}

/// The stored clocks equal a replay of the ticket's whole history.
async fn assert_replays(app: &App, actor: &Actor, t: &Ticket) {
    let stored = view(app, actor, t).await.ticket.clocks;
    let replayed = app.replay_clocks(app.store().read(), &stored_ticket(app, actor, t).await).await.unwrap();
    assert_eq!(stored, replayed, "clocks built event by event equal a replay of the history");
}

async fn stored_ticket(app: &App, actor: &Actor, t: &Ticket) -> Ticket {
    view(app, actor, t).await.ticket
}

db_test!(every_clock_of_a_ticket_runs_from_its_start_to_its_stop, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = register(app, &org.desk, &org.registration(db.now())).await;
    assert!(view(app, &org.desk, &t).await.clocks.is_empty(), "no clock runs before acceptance");
    let t = step(app, &org.desk, &t, Command::Accept).await;
    let v = view(app, &org.desk, &t).await;
    assert_eq!(clock(&v, ClockKind::Response).state, ClockState::AwaitingGrading);
    assert_eq!(v.ticket.policy_version, Some(1));
    assert_eq!(v.ticket.calendar.as_deref(), Some("cn"));
    assert_eq!(v.ticket.customer_level.as_deref(), Some("A"));

    // P2 (seed table): respond within 4 h, resolve within 48 h, counted from acceptance at 09:00.
    let t = step(app, &org.desk, &t, grade("P2", "单台设备卡纸，影响财务报销")).await;
    let v = view(app, &org.desk, &t).await;
    let response = clock(&v, ClockKind::Response);
    assert_eq!(
        (response.state, response.due_at, response.remaining_minutes),
        (ClockState::Running, Some(at("2024-03-15T13:00:00+08:00")), Some(240))
    );
    assert_eq!(clock(&v, ClockKind::Resolution).due_at, Some(at("2024-03-17T09:00:00+08:00")));
    assert_eq!(clock(&v, ClockKind::Progress).due_at, Some(at("2024-03-15T17:00:00+08:00")));

    let t = step(app, &org.dispatcher, &t, Command::Dispatch { group_id: None, engineer_id: None }).await;
    let v = view(app, &org.desk, &t).await;
    assert_eq!(clock(&v, ClockKind::EngineerContact).due_at, Some(at("2024-03-15T10:00:00+08:00")));
    assert_eq!(clock(&v, ClockKind::Plan).due_at, Some(at("2024-03-15T11:00:00+08:00")));

    db.advance(SignedDuration::from_mins(20));
    let t = step(app, &org.eng_south, &t, Command::Respond { note: Some("电话联系黄主任".into()) }).await;
    let t = step(app, &org.eng_south, &t, Command::Start { plan: Some("上门检查第二纸盒搓纸轮".into()) }).await;
    let v = view(app, &org.desk, &t).await;
    let response = clock(&v, ClockKind::Response);
    assert_eq!(
        (response.state, response.elapsed_minutes, response.margin_minutes),
        (ClockState::Met, Some(20), Some(220))
    );
    assert_eq!(clock(&v, ClockKind::EngineerContact).state, ClockState::Met);
    assert_eq!(clock(&v, ClockKind::Plan).state, ClockState::Met, "the plan given with `start` stops the plan clock");

    // The daily progress message is due before 17:00; at 18:00 it is overdue.
    assert_eq!(
        numbers(app, &org.desk, ListQuery { due_within: Some(8 * 60), ..ListQuery::default() }).await,
        [t.number.to_string()]
    );
    db.advance(SignedDuration::from_mins(8 * 60 + 40));
    let overdue = ListQuery { overdue: Some(true), ..ListQuery::default() };
    assert_eq!(numbers(app, &org.desk, overdue.clone()).await, [t.number.to_string()]);
    assert_eq!(clock(&view(app, &org.desk, &t).await, ClockKind::Progress).state, ClockState::Breached);
    log(app, &org.desk, &t, LogKind::Progress, "已告知黄主任：配件周一到货后上门更换").await;
    let v = view(app, &org.desk, &t).await;
    let progress = clock(&v, ClockKind::Progress);
    assert_eq!((progress.due_at, progress.missed_days), (Some(at("2024-03-18T17:00:00+08:00")), 1));
    assert!(numbers(app, &org.desk, overdue).await.is_empty());
    assert_eq!(
        numbers(app, &org.desk, ListQuery { breached: Some(true), ..ListQuery::default() }).await,
        [t.number.to_string()],
        "a missed progress day keeps the ticket among the breached"
    );

    // A visit booked for Monday 10:00 promises arrival within the window 10:00–12:00: its
    // end is the arrival deadline; arriving at 09:30 meets it with 2 h 30 min to spare.
    // (The progress message moved a clock, so the ticket's version moved too.)
    let t = stored_ticket(app, &org.desk, &t).await;
    let t = step(app, &org.eng_south, &t, Command::BookVisit { at: at("2024-03-18T10:00:00+08:00"), note: None }).await;
    assert_eq!(
        clock(&view(app, &org.desk, &t).await, ClockKind::Arrival).due_at,
        Some(at("2024-03-18T12:00:00+08:00"))
    );
    db.set(at("2024-03-18T09:30:00+08:00"));
    log(app, &org.eng_south, &t, LogKind::OnSite, "到达现场，更换搓纸轮").await;
    let arrival = clock(&view(app, &org.desk, &t).await, ClockKind::Arrival);
    assert_eq!((arrival.state, arrival.margin_minutes), (ClockState::Met, Some(150)));

    let t = stored_ticket(app, &org.desk, &t).await;
    let t = step(app, &org.eng_south, &t, Command::Resolve { resolution: "更换第二纸盒搓纸轮".into() }).await;
    let v = view(app, &org.desk, &t).await;
    let resolution = clock(&v, ClockKind::Resolution);
    assert_eq!(resolution.state, ClockState::Breached, "48 h from Friday 09:00 ended on Sunday");
    assert_eq!(clock(&v, ClockKind::ServiceReport).due_at, Some(at("2024-03-19T09:30:00+08:00")));
    assert_eq!(clock(&v, ClockKind::Callback).due_at, Some(at("2024-03-19T09:30:00+08:00")));
    log(app, &org.eng_south, &t, LogKind::ServiceReport, "服务报告已发送客户邮箱").await;
    assert_eq!(clock(&view(app, &org.desk, &t).await, ClockKind::ServiceReport).state, ClockState::Met);

    // A dissatisfied callback starts the 48 h re-handling clock.
    db.advance(SignedDuration::from_hours(2));
    let t = stored_ticket(app, &org.desk, &t).await;
    let t = step(
        app,
        &org.desk,
        &t,
        Command::RecordSurvey {
            result: SurveyResult::Dissatisfied,
            note: None,
            solved: None,
            speed_ok: None,
            suggestions: None,
        },
    )
    .await;
    let v = view(app, &org.desk, &t).await;
    assert_eq!(clock(&v, ClockKind::Callback).state, ClockState::Met);
    let rehandling = clock(&v, ClockKind::Rehandling);
    assert_eq!((rehandling.state, rehandling.due_at), (ClockState::Running, Some(at("2024-03-20T11:30:00+08:00"))));
    assert_replays(app, &org.desk, &t).await;
});

db_test!(paused_time_is_kept_and_a_regrade_counts_what_was_spent, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = graded(app, &org, db.now(), "P3").await;
    let t = working(app, &org, &t).await;
    db.advance(SignedDuration::from_hours(2));
    let t = step(app, &org.eng_south, &t, Command::WaitForCustomer { note: Some("等客户提供日志".into()) }).await;
    let v = view(app, &org.desk, &t).await;
    let paused = clock(&v, ClockKind::Resolution);
    assert_eq!(
        (paused.state, paused.due_at, paused.remaining_minutes),
        (ClockState::Paused, None, Some(72 * 60 - 120))
    );
    db.advance(SignedDuration::from_hours(5));
    assert_eq!(
        clock(&view(app, &org.desk, &t).await, ClockKind::Resolution).remaining_minutes,
        Some(72 * 60 - 120),
        "nothing is spent while waiting for the customer"
    );
    let t = step(app, &org.eng_south, &t, Command::Resume { note: None }).await;
    // 72 h from 09:00 Friday, plus the 5 h paused.
    assert_eq!(
        clock(&view(app, &org.desk, &t).await, ClockKind::Resolution).due_at,
        Some(at("2024-03-18T14:00:00+08:00"))
    );
    // Regraded to P1 (24 h): the 2 h already spent count, the pause does not.
    let t = step(app, &org.supervisor, &t, grade("P1", "客户产线停机")).await;
    let v = view(app, &org.desk, &t).await;
    assert_eq!(clock(&v, ClockKind::Resolution).due_at, Some(at("2024-03-16T14:00:00+08:00")));
    // Waiting for parts does not pause by default (the parts are the service side's to find).
    org.requisition(app, &org.eng_south, t.id).await;
    let t = step(app, &org.eng_south, &t, Command::WaitForParts { note: None }).await;
    assert_eq!(clock(&view(app, &org.desk, &t).await, ClockKind::Resolution).state, ClockState::Running);
    assert_replays(app, &org.desk, &t).await;
});

db_test!(a_policy_change_applies_to_tickets_graded_after_it_and_counts_working_time, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let early = register(app, &org.desk, &org.registration(db.now())).await;
    let early = step(app, &org.desk, &early, Command::Accept).await;
    let early = step(app, &org.desk, &early, grade("P2", "影响财务报销")).await;

    // P2 response becomes 4 working hours on the cn calendar.
    assert!(matches!(
        app.put_service_policy(&org.desk, &app.service_policy(&org.desk, None).await.unwrap()).await,
        Err(AppError::Domain(DomainError::Forbidden { .. }))
    ));
    let mut p = app.service_policy(&org.admin, None).await.unwrap();
    let row = p.rules.iter_mut().find(|r| r.clock == ClockKind::Response && r.level.as_deref() == Some("P2")).unwrap();
    row.counting = Counting::WorkingTime;
    let stored = app.put_service_policy(&org.admin, &p).await.unwrap();
    assert_eq!(stored.version, 2);
    let mut bad = p.clone();
    bad.rules[0].level = Some("P9".into());
    match app.put_service_policy(&org.admin, &bad).await {
        Err(AppError::Domain(DomainError::Invalid(f))) => assert!(f.iter().any(|(f, _)| *f == "rules.level")),
        other => panic!("expected the unknown level to be named, got {other:?}"),
    }

    db.set(at("2024-03-15T16:00:00+08:00"));
    let late = register(app, &org.desk, &org.registration(db.now())).await;
    let late = step(app, &org.desk, &late, Command::Accept).await;
    let late = step(app, &org.desk, &late, grade("P2", "影响财务报销")).await;
    let (early, late) = (view(app, &org.desk, &early).await, view(app, &org.desk, &late).await);
    assert_eq!((early.ticket.policy_version, late.ticket.policy_version), (Some(1), Some(2)));
    assert_eq!(clock(&early, ClockKind::Response).due_at, Some(at("2024-03-15T13:00:00+08:00")));
    // Friday 16:00–17:30 is 1.5 h; the other 2.5 h run from 08:30 on Monday.
    let response = clock(&late, ClockKind::Response);
    assert_eq!(
        (response.due_at, response.counting, response.remaining_minutes),
        (Some(at("2024-03-18T11:00:00+08:00")), Counting::WorkingTime, Some(240))
    );
    assert_eq!(app.policy_versions(&org.admin).await.unwrap().len(), 2);
    assert_eq!(app.service_policy(&org.data, Some(1)).await.unwrap().version, 1);
});

db_test!(next_years_holidays_move_open_deadlines_and_clear_the_warning, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let mut p = app.service_policy(&org.admin, None).await.unwrap();
    let row =
        p.rules.iter_mut().find(|r| r.clock == ClockKind::Resolution && r.level.as_deref() == Some("P3")).unwrap();
    row.counting = Counting::WorkingTime;
    row.minutes = 3 * 450; // three working days of 7.5 h
    app.put_service_policy(&org.admin, &p).await.unwrap();

    db.set(at("2026-12-31T09:00:00+08:00"));
    let t = graded(app, &org, db.now(), "P3").await;
    let v = view(app, &org.desk, &t).await;
    // Without 2027 data, New Year's Day counts as a working day: 7 h + 7.5 h + 7.5 h + 0.5 h.
    assert_eq!(clock(&v, ClockKind::Resolution).due_at, Some(at("2027-01-05T09:00:00+08:00")));
    assert_eq!(v.clock_warnings, [Warning::NoHolidayData { calendar: "cn".into(), year: 2027 }]);

    let import = HolidayImport {
        format: "csv".into(),
        data: "source,2027,国务院办公厅关于2027年部分节假日安排的通知（测试数据）\noff,2027-01-01,元旦\n".into(),
        source: None,
    };
    assert!(matches!(
        app.import_holidays(&org.desk, "cn", &import).await,
        Err(AppError::Domain(DomainError::Forbidden { .. }))
    ));
    let done = app.import_holidays(&org.admin, "cn", &import).await.unwrap();
    assert_eq!(done.tickets_recomputed, 1);
    assert!(done.years.contains_key(&2027) && done.years.contains_key(&2026), "other years are kept");
    let v = view(app, &org.desk, &t).await;
    assert_eq!(clock(&v, ClockKind::Resolution).due_at, Some(at("2027-01-06T09:00:00+08:00")));
    assert!(v.clock_warnings.is_empty());
    let info = app.calendar_info(&org.desk, "cn").await.unwrap();
    assert!(info.holiday_years.contains_key(&2027));

    let bad = HolidayImport { format: "xls".into(), data: String::new(), source: None };
    assert!(matches!(
        app.import_holidays(&org.admin, "cn", &bad).await,
        Err(AppError::Domain(DomainError::Invalid(_)))
    ));
    assert_replays(app, &org.desk, &t).await;
});

db_test!(a_customer_on_its_own_calendar_gets_deadlines_on_it, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let mut spec = CalendarSpec::around_the_clock("plant_24x7");
    spec.time_zone = "Mars/Olympus".into();
    match app.put_calendar(&org.admin, &spec).await {
        Err(AppError::Domain(DomainError::Invalid(f))) => assert!(f.iter().any(|(f, _)| *f == "time_zone")),
        other => panic!("expected the time zone to be named, got {other:?}"),
    }
    let spec = CalendarSpec::around_the_clock("plant_24x7");
    assert!(matches!(app.put_calendar(&org.desk, &spec).await, Err(AppError::Domain(DomainError::Forbidden { .. }))));
    app.put_calendar(&org.admin, &spec).await.unwrap();
    let c = &org.customer_b;
    let mut input = CustomerInput {
        name: Some(c.name.clone()),
        short_name: Some(c.short_name.clone()),
        region: Some(c.region.clone()),
        level: Some(c.level.clone()),
        window_contact_id: c.window_contact_id,
        specialist_id: c.specialist_id,
        calendar: Some("nope".into()),
    };
    match app.update_customer(&org.admin, c.id, &input).await {
        Err(AppError::Domain(DomainError::Invalid(f))) => assert!(f.iter().any(|(f, _)| *f == "calendar")),
        other => panic!("expected the calendar to be named, got {other:?}"),
    }
    input.calendar = Some("plant_24x7".into());
    app.update_customer(&org.admin, c.id, &input).await.unwrap();
    let answer = app.calendar_add(&org.desk, "plant_24x7", at("2024-03-16T22:00:00+08:00"), "4h").await.unwrap();
    assert_eq!(answer.due.as_deref(), Some("2024-03-17T02:00:00+08:00"), "on a 24×7 site Saturday night counts");
    let t = register(app, &org.desk, &org.registration(db.now())).await;
    let t = step(app, &org.desk, &t, Command::Accept).await;
    assert_eq!(stored_ticket(app, &org.desk, &t).await.calendar.as_deref(), Some("plant_24x7"));
    assert!(matches!(
        app.calendar_add(&org.desk, "nope", db.now(), "1h").await,
        Err(AppError::NotFound { what: "calendar", .. })
    ));
});

db_test!(the_deadline_list_uses_its_index, |db| {
    let app = &db.app;
    if app.store().backend() != aftersales_storage::Backend::Sqlite {
        return; // PostgreSQL's planner picks by table statistics; the SQLite plan is fixed.
    }
    use sea_orm::ConnectionTrait;
    let conn = app.store().read();
    // (query, the index it must read in the query's order, sorting nothing)
    for (sql, index) in [
        (
            "SELECT id FROM tickets WHERE next_due_at IS NOT NULL AND next_due_at <= 1 ORDER BY next_due_at",
            "ix_tickets_due",
        ),
        (
            "SELECT id FROM tickets WHERE clock_misses > 0 ORDER BY registered_at DESC, id DESC LIMIT 50",
            "ix_tickets_missed_registered",
        ),
        (
            "SELECT id FROM tickets WHERE group_id = 1 ORDER BY registered_at DESC, id DESC LIMIT 50",
            "ix_tickets_group_registered",
        ),
        (
            "SELECT id FROM tickets WHERE customer_id = 1 AND next_due_at IS NOT NULL ORDER BY next_due_at, id LIMIT 50",
            "ix_tickets_due_customer",
        ),
    ] {
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let rows =
            conn.query_all_raw(sea_orm::Statement::from_string(conn.get_database_backend(), explain)).await.unwrap();
        let plan: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "detail").unwrap()).collect();
        assert!(plan.iter().any(|d| d.contains(index)), "{sql}: {plan:?}");
        assert!(!plan.iter().any(|d| d == "SCAN tickets"), "{sql} scans the table: {plan:?}");
        assert!(!plan.iter().any(|d| d.contains("TEMP B-TREE")), "{sql} sorts: {plan:?}");
    }
});

db_test!(only_the_assigned_engineer_records_what_stops_a_clock, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = graded(app, &org, db.now(), "P2").await;
    let t = step(app, &org.dispatcher, &t, Command::Dispatch { group_id: None, engineer_id: None }).await;
    let t = step(app, &org.eng_south, &t, Command::BookVisit { at: at("2024-03-15T14:00:00+08:00"), note: None }).await;
    match app.add_log(&org.eng_east, t.id, LogKind::OnSite, "到场", None, None).await {
        Err(AppError::Domain(DomainError::Conflict(c))) => assert_eq!(c, Conflict::NotAssignedToRecord),
        other => panic!("another engineer marked the arrival: {other:?}"),
    }
    assert!(matches!(
        app.add_log(&org.pm, t.id, LogKind::OnSite, "到场", None, None).await,
        Err(AppError::Domain(DomainError::Forbidden { .. }))
    ));
    assert_eq!(clock(&view(app, &org.desk, &t).await, ClockKind::Arrival).state, ClockState::Running);
    log(app, &org.eng_south, &t, LogKind::OnSite, "到达现场").await;
    assert_eq!(clock(&view(app, &org.desk, &t).await, ClockKind::Arrival).state, ClockState::Met);
});

db_test!(tickets_accepted_before_clocks_existed_get_them_at_start, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = graded(app, &org, db.now(), "P2").await;
    let expected = view(app, &org.desk, &t).await;
    // As a database migrated from before clocks leaves such a ticket.
    use sea_orm::ConnectionTrait;
    let conn = app.store().read();
    conn.execute_unprepared(
        "UPDATE tickets SET calendar = NULL, customer_level = NULL, policy_version = NULL, clocks = '{}', next_due_at = NULL",
    )
    .await
    .unwrap();
    assert!(view(app, &org.desk, &t).await.clocks.is_empty());
    assert_eq!(app.backfill_clocks().await.unwrap(), 1);
    let v = view(app, &org.desk, &t).await;
    assert_eq!(v.ticket.calendar.as_deref(), Some("cn"));
    assert_eq!(v.clocks, expected.clocks);
    assert_eq!(app.backfill_clocks().await.unwrap(), 0, "idempotent");
    let listed =
        app.tickets(&org.desk, &ListQuery { due_within: Some(24 * 60), ..ListQuery::default() }).await.unwrap();
    assert_eq!(listed.total, 1, "the list columns were filled too");
});

db_test!(a_holiday_import_that_could_not_be_read_back_is_refused_and_nothing_changes, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let huge = HolidayImport {
        format: "csv".into(),
        data: "source,2027,x\noff,2027-01-01..2099-12-31,everything\n".into(),
        source: None,
    };
    match app.import_holidays(&org.admin, "cn", &huge).await {
        Err(AppError::Domain(DomainError::Invalid(f))) => assert_eq!(f[0].0, "data"),
        other => panic!("expected the data to be refused, got {other:?}"),
    }
    let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:New Year\\nHoliday\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let odd = HolidayImport { format: "ics".into(), data: ics.into(), source: Some("line one\nline two".into()) };
    app.import_holidays(&org.admin, "cn", &odd).await.unwrap();
    // Every calendar still loads (a fresh process reads the stored CSV back).
    let fresh = App::new(app.store().clone(), aftersales_app::Settings::default());
    let info = fresh.calendar_info(&org.desk, "cn").await.unwrap();
    assert!(info.holiday_years.contains_key(&2027));
    let bad_name = app.import_holidays(&org.admin, &"x".repeat(40), &odd).await;
    assert!(matches!(bad_name, Err(AppError::Domain(DomainError::Invalid(_)))));
});

db_test!(an_edit_based_on_an_old_policy_version_is_refused_with_the_current_one, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let v1 = app.service_policy(&org.admin, None).await.unwrap();
    let mut mine = v1.clone();
    mine.rules[0].minutes += 30;
    let mut theirs = v1.clone();
    theirs.progress_cutoff = jiff::civil::time(15, 0, 0, 0);
    assert_eq!(app.save_service_policy(&org.admin, &theirs, Some(1)).await.unwrap().version, 2);
    match app.save_service_policy(&org.admin, &mine, Some(1)).await {
        Err(AppError::Domain(e @ DomainError::Conflict(Conflict::StalePolicy { current: 2 }))) => {
            assert!(e.message(aftersales_domain::Lang::Zh).contains("当前为第 2 版"), "{e:?}");
        }
        other => panic!("expected the stale edit to be refused, got {other:?}"),
    }
    assert_eq!(app.service_policy(&org.admin, None).await.unwrap().progress_cutoff, theirs.progress_cutoff);
    assert_eq!(app.policy_versions(&org.admin).await.unwrap().len(), 2, "nothing stored");
    // Based on the current version, or on none (the JSON API), it is stored.
    assert_eq!(app.save_service_policy(&org.admin, &mine, Some(2)).await.unwrap().version, 3);
    assert_eq!(app.save_service_policy(&org.admin, &mine, None).await.unwrap().version, 4);
});

db_test!(saving_the_grading_scheme_says_which_policy_version_it_stored, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let before = app.grading_scheme(&org.admin).await.unwrap();
    // Names only: the policy needs no new version.
    let mut renamed = before.clone();
    renamed.levels[3].name_zh = "低".into();
    let saved = app.save_grading_scheme(&org.admin, &renamed, Some(before.revision())).await.unwrap();
    assert_eq!((saved.scheme, saved.policy_version), (renamed.clone(), None));
    // A form still based on the scheme before the rename is stale.
    let mut faster = before.clone();
    faster.levels[0].respond_minutes = 90;
    match app.save_grading_scheme(&org.admin, &faster, Some(before.revision())).await {
        Err(AppError::Domain(DomainError::Conflict(Conflict::StaleGradingScheme))) => {}
        other => panic!("expected the stale edit to be refused, got {other:?}"),
    }
    assert_eq!(app.grading_scheme(&org.admin).await.unwrap(), renamed, "nothing stored");
    // New times: the version inserted with them is the one answered.
    app.put_service_policy(&org.admin, &app.service_policy(&org.admin, None).await.unwrap()).await.unwrap();
    let mut faster = renamed.clone();
    faster.levels[0].respond_minutes = 90;
    let saved = app.save_grading_scheme(&org.admin, &faster, Some(renamed.revision())).await.unwrap();
    assert_eq!(saved.policy_version, Some(3));
    let p = app.service_policy(&org.admin, None).await.unwrap();
    assert_eq!((p.version, p.rule(ClockKind::Response, Some("P1"), None).unwrap().minutes), (3, 90));
});

db_test!(a_new_calendar_never_replaces_a_stored_one, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let cn = app.calendar_info(&org.admin, "cn").await.unwrap();
    let spec = CalendarSpec::around_the_clock("cn");
    assert!(matches!(
        app.create_calendar(&org.desk, &spec).await,
        Err(AppError::Domain(DomainError::Forbidden { .. }))
    ));
    match app.create_calendar(&org.admin, &spec).await {
        Err(AppError::Domain(DomainError::Invalid(f))) => {
            assert_eq!(f, vec![("name", aftersales_domain::error::Reason::Duplicate)])
        }
        other => panic!("expected the name to be refused, got {other:?}"),
    }
    assert_eq!(app.calendar_info(&org.admin, "cn").await.unwrap(), cn, "unchanged");
    let mut plant = CalendarSpec::around_the_clock("plant");
    plant.holiday_set = Some("nope".into());
    match app.create_calendar(&org.admin, &plant).await {
        Err(AppError::Domain(DomainError::Invalid(f))) => assert_eq!(f[0].0, "holiday_set"),
        other => panic!("expected the holiday set to be refused, got {other:?}"),
    }
    plant.holiday_set = None;
    let created = app.create_calendar(&org.admin, &plant).await.unwrap();
    assert_eq!(created.spec, plant);
    assert!(app.create_calendar(&org.admin, &plant).await.is_err(), "only once");
    assert_eq!(app.calendars(&org.admin).await.unwrap().len(), 2);
});

db_test!(a_hand_edit_of_holidays_is_checked_by_the_domain_and_stores_nothing_when_refused, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let before = app.holiday_set(&org.admin, "cn").await.unwrap();
    let off = aftersales_domain::calendar::DayRule::Off { name: "检修".into() };
    let d = jiff::civil::date;
    match app.edit_holidays(&org.admin, "cn", d(2024, 1, 1), d(2025, 1, 1), Some(&off), Some("x")).await {
        Err(AppError::Domain(DomainError::Invalid(f))) => assert_eq!(f[0].0, "last"),
        other => panic!("expected the range to be refused, got {other:?}"),
    }
    match app.edit_holidays(&org.admin, "cn", d(2098, 1, 1), d(2098, 1, 2), Some(&off), None).await {
        Err(AppError::Domain(DomainError::Invalid(f))) => assert_eq!(f[0].0, "source"),
        other => panic!("expected the source to be asked for, got {other:?}"),
    }
    assert_eq!(app.holiday_set(&org.admin, "cn").await.unwrap(), before);
    let done = app.edit_holidays(&org.admin, "cn", d(2098, 1, 1), d(2098, 1, 2), Some(&off), Some("测试")).await;
    assert_eq!(done.unwrap().days_imported, 2);
    assert!(app.holiday_set(&org.admin, "cn").await.unwrap().years.contains_key(&2098));
});

// Issue 18: another instance on the same database sees a calendar edit within a second
// (it was a minute: a ticket registered there meanwhile got deadlines on the old hours).
db_test!(a_calendar_edit_reaches_another_instance_within_a_second, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let other = aftersales_app::App::new(app.store().clone(), aftersales_app::Settings::default());
    let saturday_night = at("2024-03-16T22:00:00+08:00");
    app.put_calendar(&org.admin, &CalendarSpec::around_the_clock("plant")).await.unwrap();
    let before = other.calendar_add(&org.desk, "plant", saturday_night, "4h").await.unwrap();
    assert_eq!(before.due.as_deref(), Some("2024-03-17T02:00:00+08:00"));
    // The plant goes back to the office calendar's hours, edited through the first instance.
    let mut office = CalendarSpec::cn_default();
    office.name = "plant".into();
    app.put_calendar(&org.admin, &office).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let after = other.calendar_add(&org.desk, "plant", saturday_night, "4h").await.unwrap();
    assert_ne!(after.due, before.due, "the other instance still used the old calendar");
    assert_eq!(after.due, app.calendar_add(&org.desk, "plant", saturday_night, "4h").await.unwrap().due);
});
