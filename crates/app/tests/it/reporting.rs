//! Reports (DOMAIN §7, issue 15): the facts settle with every change and equal a
//! recomputation from the history; hand-built tickets give the numbers a manager reads.

use aftersales_app::reporting::{CellParams, ListFormat, ReportFilter, ReportKind, ReportParams, ReportSettings};
use aftersales_app::tickets::Command;
use aftersales_app::{App, AppError};
use aftersales_domain::clock::SurveyResult;
use aftersales_domain::error::Conflict;
use aftersales_domain::reporting::{Counter, DeskRules, Period, Weights};
use aftersales_domain::ticket::Ticket;
use aftersales_domain::{DomainError, Lang, Timestamp};
use aftersales_testkit::{Org, db_test};

use crate::support::{graded, step};

fn at(s: &str) -> Timestamp {
    jiff::Zoned::strptime("%Y-%m-%dT%H:%M:%S%:z", s).unwrap().timestamp()
}

async fn same_facts(app: &App, t: &Ticket) {
    let stored = app.stored_facts(t.id).await.unwrap().expect("facts written with the ticket");
    let recomputed = app.recompute_facts(app.store().read(), t.id).await.unwrap();
    assert_eq!(stored, recomputed, "facts of {} as stored and as recomputed from its history", t.number);
}

fn week() -> ReportFilter {
    ReportFilter::of_period(Period::new("2024-03-11".parse().unwrap(), "2024-03-24".parse().unwrap()).unwrap())
}

/// Two tickets of customer B for eng_south, Friday 2024-03-15:
/// A (P1) answered late (a response timeout), resolved, closed, satisfied the same day;
/// B (P3, a repeat report of A: same device and fault) answered at once and left open until
/// Wednesday (same day and three days unclosed).
async fn two_tickets(db: &aftersales_testkit::TestDb, org: &Org) -> (Ticket, Ticket) {
    let app = &db.app;
    let a = graded(app, org, db.now(), "P1").await;
    same_facts(app, &a).await;
    let a = step(app, &org.dispatcher, &a, Command::Dispatch { group_id: None, engineer_id: None }).await;
    same_facts(app, &a).await;
    let b = graded(app, org, db.now(), "P3").await;
    let b = step(app, &org.dispatcher, &b, Command::Dispatch { group_id: None, engineer_id: None }).await;
    let b = step(app, &org.eng_south, &b, Command::Respond { note: None }).await;
    same_facts(app, &b).await;
    // 11:05: A's response timed out (due 11:00).
    db.set(at("2024-03-15T11:05:00+08:00"));
    app.run_due_jobs("w", 100).await.unwrap();
    same_facts(app, &a).await;
    let a = app.ticket(&org.admin, a.id).await.unwrap().ticket;
    let a = step(app, &org.eng_south, &a, Command::Respond { note: None }).await;
    let a = step(app, &org.eng_south, &a, Command::Start { plan: None }).await;
    db.set(at("2024-03-15T14:05:00+08:00"));
    let a = step(app, &org.eng_south, &a, Command::Resolve { resolution: "更换第二纸盒搓纸轮".into() }).await;
    same_facts(app, &a).await;
    let a = step(
        app,
        &org.desk,
        &a,
        Command::ConfirmClosure { method: Some(aftersales_domain::ticket::ClosureMethod::Callback) },
    )
    .await;
    let a = step(
        app,
        &org.desk,
        &a,
        Command::RecordSurvey {
            result: SurveyResult::Satisfied,
            note: None,
            solved: Some(true),
            speed_ok: Some(true),
            suggestions: None,
        },
    )
    .await;
    same_facts(app, &a).await;
    // Wednesday: B is still open (end of Friday, three working days).
    db.set(at("2024-03-20T10:00:00+08:00"));
    app.run_due_jobs("w", 100).await.unwrap();
    let b = app.ticket(&org.admin, b.id).await.unwrap().ticket;
    same_facts(app, &a).await;
    same_facts(app, &b).await;
    (a, b)
}

db_test!(facts_settle_with_each_change_and_the_weekly_table_counts_them, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let (a, b) = two_tickets(&db, &org).await;
    let fa = app.stored_facts(a.id).await.unwrap().unwrap();
    assert_eq!(fa.notices.response_timeout, 1);
    assert_eq!(fa.response_cal_min, Some(125), "accepted 09:00, answered 11:05");
    assert_eq!(fa.resolution_cal_min, Some(305));
    assert_eq!(fa.survey, Some(SurveyResult::Satisfied));
    let fb = app.stored_facts(b.id).await.unwrap().unwrap();
    assert_eq!((fb.notices.same_day, fb.notices.three_days), (1, 1));

    let w = app.weekly_engineers(&org.data, &week()).await.unwrap();
    assert_eq!(w.rows.len(), 1, "{:?}", w.rows);
    let line = &w.rows[0];
    assert_eq!(line.engineer_id, Some(org.eng_south.id()));
    assert_eq!(line.dispatches, 2);
    assert_eq!(line.response_timeout, 1);
    assert_eq!((line.same_day, line.three_days, line.second_line), (1, 1, 0));
    assert_eq!(line.action_index, Some(0.5), "one of two answered in time");
    // B is a repeat report of A (same device, same fault code, DOMAIN §5).
    assert_eq!(line.repeat, 1);
    // 1 − (blue: same day 1 + red: 2 × (three days 1 + repeat 1)) / 2 dispatches: a bad week
    // shows below zero, as the formula says.
    assert_eq!(line.capability_index, Some(-1.5));
    assert_eq!(line.per_week, 1.0, "2 dispatches over 14 days");
    assert_eq!((line.praise, line.complaints), (Some(0), Some(0)), "no praise or complaint recorded in the period");
    assert!(w.weights_text.contains("蓝色：找二线支持次数, 当天未结案次数"), "{}", w.weights_text);

    // The drill-down of the response timeouts lists ticket A.
    let cell = CellParams {
        report: Some("weekly-engineers".into()),
        measure: Some("response_timeout".into()),
        from: Some("2024-03-11".into()),
        to: Some("2024-03-24".into()),
        engineer: Some(org.eng_south.id()),
        ..CellParams::default()
    };
    let c = app.report_cell(&org.data, &cell).await.unwrap();
    assert_eq!((c.total, c.tickets.len()), (1, 1));
    assert_eq!(c.tickets[0].number, a.number.to_string());

    // The engineer reads their own line only; someone else's is refused.
    let own = app.weekly_engineers(&org.eng_south, &week()).await.unwrap();
    assert_eq!(own.rows.len(), 1);
    assert!(own.totals.is_none());
    let mut other = week();
    other.engineer = Some(org.eng_east.id());
    assert!(matches!(
        app.weekly_engineers(&org.eng_south, &other).await,
        Err(AppError::Domain(DomainError::Forbidden { .. }))
    ));
    assert!(matches!(
        app.weekly_engineers(&org.desk, &week()).await,
        Err(AppError::Domain(DomainError::Forbidden { .. }))
    ));

    // Configured weights change the index and the report states them.
    let read = app.report_settings(&org.supervisor).await.unwrap();
    let s = ReportSettings {
        weights: Weights { blue: vec![Counter::ResponseTimeout], red: vec![] },
        desk: DeskRules::default(),
        callbacks: None,
        version: read.version.clone(),
    };
    let saved = app.put_report_settings(&org.supervisor, &s).await.unwrap();
    assert_ne!(saved.version, read.version, "a new version once changed");
    // A second editor working from the old settings is refused, and nothing is written.
    let stale = ReportSettings { desk: DeskRules { dispatch_yuan: 80, ..DeskRules::default() }, ..s.clone() };
    let e = app.put_report_settings(&org.supervisor, &stale).await.unwrap_err();
    assert!(matches!(e, AppError::Domain(DomainError::Conflict(Conflict::StaleReportSettings))), "{e:?}");
    assert_eq!(app.report_settings(&org.supervisor).await.unwrap(), saved);
    let w = app.weekly_engineers(&org.data, &week()).await.unwrap();
    assert_eq!(w.rows[0].capability_index, Some(0.5));
    assert!(w.weights_text.contains("蓝色：响应超时次数；红色："), "{}", w.weights_text);

    // The monthly service report: volume, P1/P3 split, resolution times, satisfaction.
    let m = app.monthly_service(&org.data, &week()).await.unwrap();
    assert_eq!(m.summary.registered, 2);
    assert_eq!(m.summary.by_priority.get("P1"), Some(&1));
    assert_eq!(m.summary.resolved, 1);
    assert_eq!(m.summary.p90_resolution_cal_min, Some(305));
    assert_eq!(m.summary.satisfaction.get("satisfied"), Some(&1));
    // The monthly table by region and customer.
    let r = app.monthly_regions(&org.data, &week()).await.unwrap();
    assert_eq!(r.rows.len(), 1);
    assert_eq!((r.rows[0].tickets, r.rows[0].below_standard), (2, 2));
    assert_eq!(r.rows[0].compliance, Some(0.0));
    assert_eq!(r.important.len(), 2, "A is P1, B reached the PM and GM");
    // The file carries the same totals as the screen.
    let f = app
        .report_file(&org.data, ReportKind::WeeklyEngineers, week().period.from, week().period.to, Lang::Zh)
        .await
        .unwrap();
    assert!(!f.is_empty);
    let totals = f.sheets[0].totals.clone().unwrap();
    assert_eq!(totals[1].number(), Some(2.0));
    assert_eq!(totals[3].number(), Some(1.0));
});

db_test!(report_periods_and_filters_are_checked_and_improvements_refuse_stale_edits, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let data = &org.data;
    let bad =
        |p: ReportParams| async move { app.report_filter(data, &p, ReportKind::MonthlyService).await.unwrap_err() };
    let field = |e: AppError| match e {
        AppError::Domain(DomainError::Invalid(v)) => v.into_iter().map(|(f, _)| f).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(field(bad(ReportParams { from: Some("2024-02-30".into()), ..ReportParams::default() }).await), ["from"]);
    assert_eq!(field(bad(ReportParams { customer: Some(999_999), ..ReportParams::default() }).await), ["customer"]);
    assert_eq!(field(bad(ReportParams { priority: Some("P9".into()), ..ReportParams::default() }).await), ["priority"]);
    assert_eq!(
        field(bad(ReportParams { region: Some("华\u{7}东".into()), ..ReportParams::default() }).await),
        ["region"]
    );
    // A customer contact probing ids learns nothing: refused whether the customer exists.
    for c in [org.customer_a.id, 999_999] {
        let p = ReportParams { customer: Some(c), ..ReportParams::default() };
        let e = app.report_filter(&org.portal_b, &p, ReportKind::MonthlyService).await.unwrap_err();
        assert!(matches!(e, AppError::Domain(DomainError::Forbidden { .. })), "{c}: {e:?}");
    }

    let i = app.put_improvements(&org.supervisor, "2024-03", "优化巡检频率：每月一次", 0).await.unwrap();
    assert_eq!(i.version, 1);
    assert_eq!(i.author.as_deref(), Some(org.supervisor.user.display_name.as_str()));
    let stale = app.put_improvements(&org.supervisor, "2024-03", "另一版本", 0).await.unwrap_err();
    assert!(
        matches!(stale, AppError::Domain(DomainError::Conflict(Conflict::StaleImprovements { current: 1 }))),
        "{stale:?}"
    );
    let i = app.put_improvements(&org.supervisor, "2024-03", "更新操作手册", 1).await.unwrap();
    assert_eq!((i.version, i.body.as_str()), (2, "更新操作手册"));
    assert!(app.put_improvements(&org.data, "2024-03", "x", 2).await.is_err(), "the supervisor writes them");

    // The customer edition: a contact reads their own organization's, without the staff's
    // month-wide improvement actions (they may name other customers).
    let (_a, _b) = two_tickets(&db, &org).await;
    let p = Period::new("2024-03-01".parse().unwrap(), "2024-03-31".parse().unwrap()).unwrap();
    let c = app.customer_service_report(&org.portal_b, None, p).await.unwrap();
    assert_eq!(c.summary.registered, 2);
    assert!(!serde_json::to_string(&c).unwrap().contains("更新操作手册"));
    let other = app.customer_service_report(&org.portal_b, Some(org.customer_a.id), p).await.unwrap_err();
    assert!(matches!(other, AppError::NotFound { .. }), "{other:?}");
    let a_edition = app.customer_service_report(&org.portal_window_a, None, p).await.unwrap();
    assert_eq!(a_edition.summary.registered, 0, "customer A sees none of B's tickets");
});

// The tickets behind a number, all of them, as CSV and Excel: 4,500 copies of a ticket
// registered over one day (more than two pages of the export, and several tickets in each
// minute, so the keyset's tie on the instant is crossed), plus the ticket itself.
db_test!(a_cells_whole_list_exports_every_ticket_in_the_screens_order, |db| {
    use std::io::Read;

    use calamine::{Data, Reader};

    let app = &db.app;
    let org = Org::create(app).await;
    let t = graded(app, &org, db.now(), "P1").await;
    let customers =
        [(org.customer_a.id, org.customer_a.region.clone()), (org.customer_b.id, org.customer_b.region.clone())];
    let tx = app.store().write().await.unwrap();
    let written = aftersales_storage::bulk::report_facts(
        &*tx,
        t.id,
        t.id + 1_000_000,
        4_500,
        at("2024-03-14T00:00:00+08:00"),
        1,
        &[org.eng_south.id(), org.eng_east.id()],
        &customers,
        &["P1".into(), "P3".into()],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(written, 4_500);
    let cell = CellParams {
        report: Some("monthly-service".into()),
        from: Some("2024-03-14".into()),
        to: Some("2024-03-15".into()),
        ..CellParams::default()
    };
    let shown = app.report_cell(&org.data, &cell).await.unwrap();
    assert_eq!((shown.total, shown.tickets.len()), (4_501, 500), "the screen lists the newest 500");

    let mut csv = app.report_cell_export(&org.data, &cell, ListFormat::Csv, Lang::Zh).await.unwrap();
    assert_eq!(csv.rows, 4_501);
    assert!(csv.file_name.ends_with(".csv") && csv.file_name.contains("全部工单"), "{}", csv.file_name);
    let mut text = String::new();
    csv.file.read_to_string(&mut text).unwrap();
    assert_eq!(text.len() as u64, csv.len);
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').trim_end().split("\r\n").collect();
    assert_eq!(lines[0], "工单编号,客户,区域,级别,一线工程师,状态,报修时间,问题描述");
    let numbers: Vec<&str> = lines[1..].iter().map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(numbers.len(), 4_501);
    assert_eq!(numbers.iter().collect::<std::collections::BTreeSet<_>>().len(), 4_501, "no ticket twice");
    let screen: Vec<&str> = shown.tickets.iter().map(|t| t.number.as_str()).collect();
    assert_eq!(&numbers[..500], &screen[..], "the file begins with the screen's list, in its order");
    assert!(lines.iter().any(|l| l.contains(&org.customer_b.short_name)), "customer names, not ids");
    assert!(lines.iter().any(|l| l.contains(",吴工,")) && lines.iter().any(|l| l.contains(",周工,")), "{}", lines[1]);

    let mut xlsx = app.report_cell_export(&org.data, &cell, ListFormat::Xlsx, Lang::Zh).await.unwrap();
    assert_eq!(xlsx.rows, 4_501);
    let mut bytes = Vec::new();
    xlsx.file.read_to_end(&mut bytes).unwrap();
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let header = sheet.rows().position(|r| r.first() == Some(&Data::String("工单编号".into()))).expect("a header row");
    let body: Vec<&[Data]> = sheet.rows().skip(header + 1).collect();
    assert_eq!(body.len(), 4_501);
    assert_eq!(body[0][0], Data::String(screen[0].to_owned()));
    assert!(matches!(body[0][6], Data::DateTime(_)), "the time is a real date: {:?}", body[0][6]);

    // A customer contact reads no staff list; a format other than CSV or Excel is named.
    assert!(matches!(
        app.report_cell_export(&org.portal_b, &cell, ListFormat::Csv, Lang::Zh).await,
        Err(AppError::Domain(DomainError::Forbidden { .. }))
    ));
    let wrong = ListFormat::parse("pdf").unwrap_err();
    assert!(wrong.message(Lang::En).contains("format"), "{}", wrong.message(Lang::En));
});

// A database upgraded from before the report facts (m0020) has tickets without them: its
// first start computes them, then records that it has, so later starts on a million
// tickets do not search every ticket again (issue 18: start-up under 2 s).
db_test!(the_first_start_after_the_facts_arrived_computes_the_missing_ones_and_says_so, |db| {
    use sea_orm::ConnectionTrait;
    let app = &db.app;
    let org = Org::create(app).await;
    let t = graded(app, &org, db.now(), "P2").await;
    let conn = app.store().read();
    conn.execute_unprepared(&format!("DELETE FROM ticket_facts WHERE ticket_id = {}", t.id)).await.unwrap();
    conn.execute_unprepared("DELETE FROM visit_settings WHERE name = 'backfilled'").await.unwrap();
    assert_eq!(app.stored_facts(t.id).await.unwrap(), None);
    app.ensure_defaults().await.unwrap();
    same_facts(app, &t).await;
    let marked = aftersales_storage::visits::setting(conn, "backfilled").await.unwrap();
    assert!(marked.is_some(), "the start records that every ticket has its facts");
});
