//! Callbacks and surveys (DOMAIN §6, issue 15): the daily selection stored and reproducible,
//! the worklist explained per ticket, attempts (stale, done, bad input named and nothing
//! changed), the structured survey (a dissatisfied answer reopens), praise and complaints per
//! engineer, the closing check, and the archive's ZIP.

use std::io::Read as _;

use aftersales_app::callbacks::{ArchiveQuery, AttemptInput, CallbackQuery, DueFilter, FeedbackInput, SurveyInput};
use aftersales_app::tickets::Command;
use aftersales_app::users::Page;
use aftersales_app::{App, AppError};
use aftersales_domain::callback::{
    AttemptOutcome, CallbackReason, CallbackStatus, ClosurePart, FeedbackKind, SurveyChannel,
};
use aftersales_domain::clock::SurveyResult;
use aftersales_domain::error::{Conflict, Reason};
use aftersales_domain::ticket::{ClosureMethod, Status, Ticket};
use aftersales_domain::{DomainError, Timestamp};
use aftersales_testkit::{Org, db_test};
use jiff::civil::Date;

use crate::support::{grade, register, step, working};

fn at(s: &str) -> Timestamp {
    jiff::Zoned::strptime("%Y-%m-%dT%H:%M:%S%:z", s).unwrap().timestamp()
}

fn day(s: &str) -> Date {
    s.parse().unwrap()
}

/// A request of customer B with its own fault code and no device (so no repeat report),
/// handled by eng_south, resolved with `resolution` and closed by the desk after a callback.
async fn closed(app: &App, org: &Org, now: Timestamp, code: &str, resolution: &str) -> Ticket {
    let mut r = org.registration(now);
    r.device_serial = None;
    r.fault_code = Some(code.into());
    r.description = Some(format!("复印机面板报警 {code}，第二纸盒无法进纸，反复出现"));
    let t = register(app, &org.desk, &r).await;
    let t = step(app, &org.desk, &t, Command::Accept).await;
    let t = step(app, &org.desk, &t, grade("P3", "单台设备，影响一个部门")).await;
    let t = working(app, org, &t).await;
    let t = step(app, &org.eng_south, &t, Command::Resolve { resolution: resolution.into() }).await;
    step(app, &org.desk, &t, Command::ConfirmClosure { method: Some(ClosureMethod::Callback) }).await
}

fn survey(result: SurveyResult) -> SurveyInput {
    SurveyInput {
        result,
        solved: Some(result != SurveyResult::Dissatisfied),
        speed_ok: Some(true),
        suggestions: Some("希望提前告知上门时间".into()),
        note: None,
    }
}

fn attempt(outcome: AttemptOutcome) -> AttemptInput {
    AttemptInput { outcome, note: None, call_back_at: None, survey: None, feedback: Vec::new() }
}

fn field_of(e: &AppError) -> Vec<&'static str> {
    match e {
        AppError::Domain(DomainError::Invalid(p)) => p.iter().map(|(f, _)| *f).collect(),
        other => panic!("not a field error: {other:?}"),
    }
}

fn code_of(e: &AppError) -> &'static str {
    match e {
        AppError::Domain(DomainError::Conflict(c)) => c.code(),
        other => panic!("not a conflict: {other:?}"),
    }
}

db_test!(the_daily_selection_is_stored_reproducible_and_explained, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let now = db.now();
    let mut ids = Vec::new();
    for code in ["E01", "E02", "E03", "E04"] {
        ids.push(closed(app, &org, now, code, "更换搓纸轮并清洁纸路").await.id);
    }
    let today = now.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).date();
    let first = app.select_callbacks(today).await.unwrap();
    assert_eq!(first.closed, 4);
    // A third of four, rounded up: two; eng_south (the only engineer) has at least one.
    assert_eq!(first.callbacks.len(), 2, "{:?}", first.callbacks);
    assert_eq!(first.added, 2);
    assert!(first.callbacks.iter().all(|c| c.reasons.contains(&CallbackReason::Sample)));
    assert!(first.callbacks.iter().any(|c| c.sampled_for == Some(org.eng_south.id())));
    // A rerun adds nothing and answers the same set.
    let again = app.select_callbacks(today).await.unwrap();
    assert_eq!(again.added, 0);
    assert_eq!(again.callbacks, first.callbacks);
    // The stored selection, as the API reads it.
    let stored = app.callbacks_of_day(&org.supervisor, &today.to_string()).await.unwrap();
    assert_eq!(stored, first.callbacks);

    // The worklist says why, with the engineer's name.
    let q = CallbackQuery { page: Page::default(), ..CallbackQuery::default() };
    let list = app.callbacks(&org.desk, &q).await.unwrap();
    assert_eq!(list.total, 2);
    let line = list.items.iter().find(|l| l.callback.sampled_for.is_some()).unwrap();
    assert!(line.why.iter().any(|w| w.zh.starts_with("每日三分之一抽样（工程师 ")), "{:?}", line.why);
    // The project specialist, PM, GM and data specialist read it; engineers and contacts never.
    for reader in [&org.supervisor, &org.specialist, &org.pm, &org.data] {
        assert_eq!(app.callbacks(reader, &q).await.unwrap().total, 2);
    }
    for outsider in [&org.eng_south, &org.portal_b] {
        let e = app.callbacks(outsider, &q).await.unwrap_err();
        assert!(matches!(e, AppError::Domain(DomainError::Forbidden { .. })), "{e:?}");
        let e = app.callback(outsider, line.callback.id).await.unwrap_err();
        assert!(matches!(e, AppError::Domain(DomainError::Forbidden { .. })), "{e:?}");
    }
    // The filters: a reason the rule does not know is named.
    let bad = CallbackQuery { reason: Some("lucky".into()), ..CallbackQuery::default() };
    assert_eq!(field_of(&app.callbacks(&org.desk, &bad).await.unwrap_err()), ["reason"]);
    let overdue = CallbackQuery { due: DueFilter::Overdue, ..CallbackQuery::default() };
    assert_eq!(app.callbacks(&org.desk, &overdue).await.unwrap().total, 0, "due tomorrow, not overdue yet");
    db.set(at("2024-03-20T09:00:00+08:00"));
    let list = app.callbacks(&org.desk, &overdue).await.unwrap();
    assert_eq!(list.total, 2);
    assert!(list.items.iter().all(|l| l.overdue));
    let _ = ids;
});

db_test!(a_ticket_that_reached_the_pm_and_gm_is_called_within_a_week, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let now = db.now();
    let mut r = org.registration(now);
    r.device_serial = None;
    let t = register(app, &org.desk, &r).await;
    let t = step(app, &org.desk, &t, Command::Accept).await;
    let t = step(app, &org.desk, &t, grade("P3", "单台设备")).await;
    let t = working(app, &org, &t).await;
    // Three working days unclosed: the notice goes to the PM and the GM (DOMAIN §5).
    db.set(at("2024-03-21T10:00:00+08:00"));
    app.run_due_jobs("w1", 100).await.unwrap();
    let t = app.ticket(&org.admin, t.id).await.unwrap().ticket;
    let t = step(app, &org.eng_south, &t, Command::Resolve { resolution: "更换定影组件".into() }).await;
    let t = step(app, &org.desk, &t, Command::ConfirmClosure { method: Some(ClosureMethod::Callback) }).await;
    // The supervisor shortened the week to a day (and gave the confirmation three working
    // days): the management call is the earliest due, a day after closure to the minute.
    let mut settings = app.report_settings(&org.supervisor).await.unwrap();
    settings.callbacks =
        Some(aftersales_domain::callback::CallbackPolicy { management_days: 1, confirm_working_days: 3 });
    app.put_report_settings(&org.supervisor, &settings).await.unwrap();
    let s = app.select_callbacks(day("2024-03-21")).await.unwrap();
    let c = s.callbacks.iter().find(|c| c.ticket_id == t.id).expect("the PM/GM ticket is called back");
    assert!(c.reasons.contains(&CallbackReason::Management), "{:?}", c.reasons);
    let closed_at = t.closed_at.unwrap();
    assert_eq!(c.due_at, closed_at + jiff::SignedDuration::from_hours(24), "the policy as set");
    // A policy out of range is named, and the stored one stays.
    settings.callbacks =
        Some(aftersales_domain::callback::CallbackPolicy { management_days: 0, confirm_working_days: 11 });
    settings.version = String::new();
    let e = app.put_report_settings(&org.supervisor, &settings).await.unwrap_err();
    assert_eq!(field_of(&e), ["management_days", "confirm_working_days"]);
    assert_eq!(app.report_settings(&org.supervisor).await.unwrap().callbacks.unwrap().management_days, 1);
});

db_test!(attempts_are_logged_and_a_dissatisfied_survey_reopens, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let now = db.now();
    let t = closed(app, &org, now, "E05", "=1+1 调整搓纸轮压力").await;
    let today = now.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).date();
    let c = app.select_callbacks(today).await.unwrap().callbacks.remove(0);
    assert_eq!(c.ticket_id, t.id, "one ticket closed: it is the day's third");

    // 无人接听.
    let s = app.log_attempt(&org.desk, c.id, Some(c.version), &attempt(AttemptOutcome::NoAnswer)).await.unwrap();
    assert_eq!((s.line.callback.attempts, s.line.callback.status), (1, CallbackStatus::Pending));
    // The same page posted again is stale, and changes nothing.
    let e = app.log_attempt(&org.desk, c.id, Some(c.version), &attempt(AttemptOutcome::NoAnswer)).await.unwrap_err();
    assert_eq!(code_of(&e), "stale_callback");
    let e = app.log_attempt(&org.desk, c.id, None, &attempt(AttemptOutcome::NoAnswer)).await.unwrap_err();
    assert!(matches!(e, AppError::PreconditionRequired));
    let v = s.line.callback.version;
    // 稍后再打 needs the time, in the future; a control character is named.
    let e = app.log_attempt(&org.desk, c.id, Some(v), &attempt(AttemptOutcome::CallBackLater)).await.unwrap_err();
    assert_eq!(field_of(&e), ["call_back_at"]);
    let mut bad = attempt(AttemptOutcome::NoAnswer);
    bad.note = Some("占线\u{7}".into());
    let e = app.log_attempt(&org.desk, c.id, Some(v), &bad).await.unwrap_err();
    assert_eq!(field_of(&e), ["note"]);
    assert!(
        matches!(&e, AppError::Domain(DomainError::Invalid(p)) if matches!(p[0].1, Reason::ControlCharacter { .. }))
    );
    let mut later = attempt(AttemptOutcome::CallBackLater);
    later.call_back_at = Some(now + jiff::SignedDuration::from_hours(2));
    let s = app.log_attempt(&org.desk, c.id, Some(v), &later).await.unwrap();
    assert_eq!(s.line.callback.attempts, 2, "the refused attempts changed nothing");
    assert_eq!(s.line.callback.next_call_at, later.call_back_at);
    let v = s.line.callback.version;

    // 已联系 without the survey is refused; praise of someone not on the ticket is named.
    let e = app.log_attempt(&org.desk, c.id, Some(v), &attempt(AttemptOutcome::Reached)).await.unwrap_err();
    assert_eq!(code_of(&e), "callback_survey_needed");
    let mut reached = attempt(AttemptOutcome::Reached);
    reached.survey = Some(survey(SurveyResult::Dissatisfied));
    reached.feedback = vec![FeedbackInput { engineer_id: org.eng_east.id(), kind: FeedbackKind::Praise, note: None }];
    let e = app.log_attempt(&org.desk, c.id, Some(v), &reached).await.unwrap_err();
    assert_eq!(field_of(&e), ["engineer_id"]);
    // Only the desk works callbacks.
    let e = app.log_attempt(&org.supervisor, c.id, Some(v), &reached).await.unwrap_err();
    assert!(matches!(e, AppError::Domain(DomainError::Forbidden { .. })), "{e:?}");

    reached.feedback = vec![FeedbackInput {
        engineer_id: org.eng_south.id(),
        kind: FeedbackKind::Complaint,
        note: Some("上门迟到一小时".into()),
    }];
    let s = app.log_attempt(&org.desk, c.id, Some(v), &reached).await.unwrap();
    assert_eq!(s.line.callback.status, CallbackStatus::Done);
    let kept = s.survey.expect("the survey is kept");
    assert_eq!(
        (kept.result, kept.answers.solved, kept.answers.speed_ok),
        (SurveyResult::Dissatisfied, Some(false), Some(true))
    );
    assert_eq!((kept.channel, kept.callback_id), (SurveyChannel::Desk, Some(c.id)));
    // DOMAIN §5: dissatisfied reopens for re-handling within 48 h.
    let t = app.ticket(&org.admin, t.id).await.unwrap().ticket;
    assert_eq!(t.status, Status::InProgress);
    // Done: no further attempt.
    let e = app
        .log_attempt(&org.desk, c.id, Some(s.line.callback.version), &attempt(AttemptOutcome::NoAnswer))
        .await
        .unwrap_err();
    assert_eq!(code_of(&e), "callback_done");

    // The complaint counts for the weekly table, and its action is reported back once.
    let counts = aftersales_storage::callbacks::feedback_counts(
        app.store().read(),
        now.as_millisecond(),
        (now + jiff::SignedDuration::from_hours(1)).as_millisecond(),
    )
    .await
    .unwrap();
    assert_eq!(counts, [(org.eng_south.id(), 0, 1)]);
    // … and on the weekly table (每周报修事件分析表), on the engineer's line.
    let p = aftersales_app::reporting::ReportParams {
        from: Some(today.to_string()),
        to: Some(today.to_string()),
        ..Default::default()
    };
    let f = app.report_filter(&org.data, &p, aftersales_app::reporting::ReportKind::WeeklyEngineers).await.unwrap();
    let weekly = app.weekly_engineers(&org.data, &f).await.unwrap();
    let line = weekly.rows.iter().find(|l| l.engineer_id == Some(org.eng_south.id())).expect("eng_south's line");
    assert_eq!((line.praise, line.complaints), (Some(0), Some(1)));
    assert_eq!(weekly.totals.as_ref().map(|t| (t.praise, t.complaints)), Some((Some(0), Some(1))));
    let complaint = &s.feedback[0].feedback;
    assert_eq!(field_of(&app.report_action(&org.desk, complaint.id, "  ").await.unwrap_err()), ["action"]);
    let f = app.report_action(&org.desk, complaint.id, "已与工程师约定提前半小时电话告知到达时间").await.unwrap();
    assert!(f.reported_back_at.is_some());
    let e = app.report_action(&org.desk, complaint.id, "再次反馈").await.unwrap_err();
    assert_eq!(code_of(&e), "action_reported");
});

db_test!(a_survey_is_kept_once_per_resolution_and_the_customers_answer_completes_the_callback, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let now = db.now();
    let t = closed(app, &org, now, "E06", "清洁纸路").await;
    let today = now.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).date();
    let c = app.select_callbacks(today).await.unwrap().callbacks.remove(0);
    // The customer rates it in the portal with the structured answers.
    let cmd = Command::RecordSurvey {
        result: SurveyResult::Satisfied,
        note: Some("很快".into()),
        solved: Some(true),
        speed_ok: Some(true),
        suggestions: None,
    };
    let t = step(app, &org.portal_b, &t, cmd).await;
    assert_eq!(t.survey_result, Some(SurveyResult::Satisfied));
    let s = app.callback(&org.desk, c.id).await.unwrap();
    assert_eq!(s.line.callback.status, CallbackStatus::Done, "the customer was heard");
    let kept = s.survey.unwrap();
    assert_eq!((kept.channel, kept.answers.solved), (SurveyChannel::Portal, Some(true)));
    // A second survey of the same resolution is refused and changes nothing.
    let again = Command::RecordSurvey {
        result: SurveyResult::Basic,
        note: None,
        solved: None,
        speed_ok: None,
        suggestions: None,
    };
    let e = crate::support::refused(app, &org.desk, &t, again).await;
    assert!(matches!(e, AppError::Domain(DomainError::Conflict(Conflict::AlreadySurveyed))), "{e:?}");
    let rows = aftersales_storage::callbacks::surveys_of(app.store().read(), t.id).await.unwrap();
    assert_eq!(rows.len(), 1);
    // Suggestions with a control character are named before anything moves.
    let t2 = closed(app, &org, now, "E07", "清洁纸路").await;
    let bad = Command::RecordSurvey {
        result: SurveyResult::Satisfied,
        note: None,
        solved: None,
        speed_ok: None,
        suggestions: Some("好\u{1b}".into()),
    };
    let e = crate::support::refused(app, &org.desk, &t2, bad).await;
    assert_eq!(field_of(&e), ["suggestions"]);
    assert_eq!(app.ticket(&org.admin, t2.id).await.unwrap().ticket.survey_result, None);
});

db_test!(the_closure_check_names_the_missing_parts, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let now = db.now();
    let t = closed(app, &org, now, "E08", "更换搓纸轮").await;
    let today = now.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).date().to_string();
    let page = app.closure_check(&org.supervisor, &today, &today, Page::default()).await.unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].ticket_id, t.id);
    assert_eq!(page.items[0].missing, [ClosurePart::Callback], "feedback, handling and result are on record");
    let cmd = Command::RecordSurvey {
        result: SurveyResult::Satisfied,
        note: None,
        solved: None,
        speed_ok: None,
        suggestions: None,
    };
    step(app, &org.desk, &t, cmd).await;
    let page = app.closure_check(&org.supervisor, &today, &today, Page::default()).await.unwrap();
    assert_eq!(page.total, 0);
    // A period backwards is named; an engineer may not read it.
    let e = app.closure_check(&org.supervisor, &today, "2024-01-01", Page::default()).await.unwrap_err();
    assert_eq!(field_of(&e), ["to"]);
    let e = app.closure_check(&org.supervisor, "2024-13-01", &today, Page::default()).await.unwrap_err();
    assert_eq!(field_of(&e), ["from"]);
    assert!(app.closure_check(&org.eng_south, &today, &today, Page::default()).await.is_err());
});

db_test!(the_archive_exports_a_zip_of_csv_by_customer_kind_and_date, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let now = db.now();
    let t = closed(app, &org, now, "E09", "=HYPERLINK(\"x\") 更换传感器").await;
    let today = now.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).date().to_string();
    let q = ArchiveQuery {
        customer_id: Some(org.customer_b.id),
        kind: Some("fault".into()),
        from: Some(today.clone()),
        to: Some(today.clone()),
        ..ArchiveQuery::default()
    };
    let page = app.archive(&org.data, &q).await.unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.items[0].number, t.number.to_string());
    let other = ArchiveQuery { customer_id: Some(org.customer_a.id), ..q.clone() };
    assert_eq!(app.archive(&org.data, &other).await.unwrap().total, 0);
    let bad = ArchiveQuery { kind: Some("magic".into()), ..q.clone() };
    assert_eq!(field_of(&app.archive(&org.data, &bad).await.unwrap_err()), ["kind"]);

    let file = app.archive_zip(&org.data, &q).await.unwrap();
    assert_eq!((file.file_name.as_str(), file.content_type, file.rows), ("归档.zip", "application/zip", 1));
    let mut zip = zip::ZipArchive::new(file.file).unwrap();
    let mut csv = String::new();
    zip.by_name("归档.csv").unwrap().read_to_string(&mut csv).unwrap();
    assert!(csv.starts_with('\u{feff}'), "UTF-8 with a BOM");
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    assert!(lines.next().unwrap().starts_with("问题编号,客户名称,问题类型"));
    let row = lines.next().unwrap();
    assert!(row.contains(&t.number.to_string()) && row.contains("故障"), "{row}");
    assert!(row.contains("\"'=HYPERLINK(\"\"x\"\") 更换传感器\""), "formula neutralised: {row}");
    // Customer contacts and engineers never reach the archive.
    assert!(app.archive(&org.portal_b, &q).await.is_err());
    assert!(app.archive_zip(&org.eng_south, &q).await.is_err());
});
