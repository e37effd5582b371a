//! Notices and escalation (DOMAIN §5): jobs follow the ticket, due jobs raise notices once,
//! steps raise theirs at once, recipients acknowledge with notes, the daily table.

use aftersales_app::notices::{Acknowledgement, NoticeQuery};
use aftersales_app::tickets::Command;
use aftersales_app::{App, AppError};
use aftersales_domain::audience::Visibility;
use aftersales_domain::clock::SurveyResult;
use aftersales_domain::error::Conflict;
use aftersales_domain::notice::{Audience, ChannelKind, DeliveryState, JobKind, Notice, NoticeKind};
use aftersales_domain::ticket::{ClosureMethod, Status};
use aftersales_domain::worklog::LogKind;
use aftersales_domain::{DomainError, Id, Timestamp};
use aftersales_storage::notices::pending_jobs;
use aftersales_testkit::{Org, db_test};
use jiff::SignedDuration;

use crate::support::{grade, graded, register, step, working};

fn at(s: &str) -> Timestamp {
    jiff::Zoned::strptime("%Y-%m-%dT%H:%M:%S%:z", s).unwrap().timestamp()
}

async fn jobs(app: &App, ticket: Id) -> Vec<(JobKind, String, Timestamp)> {
    pending_jobs(app.store().read(), ticket).await.unwrap().into_iter().map(|j| (j.kind, j.key, j.due_at)).collect()
}

/// The internal notices (escalations) of a ticket, oldest first.
async fn notices_of(app: &App, org: &Org, ticket: Id) -> Vec<Notice> {
    let mut items: Vec<Notice> =
        all_notices_of(app, org, ticket).await.into_iter().filter(|n| !n.kind.is_customer_facing()).collect();
    items.reverse();
    items
}

/// Every notice of a ticket, newest first.
async fn all_notices_of(app: &App, org: &Org, ticket: Id) -> Vec<Notice> {
    let q = NoticeQuery { ticket_id: Some(ticket), per_page: Some(100), ..NoticeQuery::default() };
    app.notices(&org.admin, &q).await.unwrap().items
}

fn kinds(ns: &[Notice]) -> Vec<NoticeKind> {
    ns.iter().map(|n| n.kind).collect()
}

db_test!(jobs_follow_the_ticket_and_due_ones_raise_their_notice_once, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = register(app, &org.desk, &org.registration(db.now())).await;
    assert!(jobs(app, t.id).await.is_empty(), "nothing is watched before acceptance");
    let t = step(app, &org.desk, &t, Command::Accept).await;
    let t = step(app, &org.desk, &t, grade("P1", "产线停机")).await;
    let t = step(app, &org.dispatcher, &t, Command::Dispatch { group_id: None, engineer_id: None }).await;
    let js = jobs(app, t.id).await;
    // Response due 11:00 (2 h): reminders at 10:30 (engineer) and 10:45 (specialist), the timeout at
    // 11:00; resolution due 09:00 tomorrow: its reminders; the end of today's working day; three days.
    let due: Vec<(JobKind, Timestamp)> = js.iter().map(|j| (j.0, j.2)).collect();
    for expected in [
        (JobKind::PreBreach, at("2024-03-15T10:30:00+08:00")),
        (JobKind::PreBreach, at("2024-03-15T10:45:00+08:00")),
        (JobKind::ResponseDue, at("2024-03-15T11:00:00+08:00")),
        (JobKind::PreBreach, at("2024-03-16T08:30:00+08:00")),
        (JobKind::EndOfDay, at("2024-03-15T17:30:00+08:00")),
        (JobKind::ThreeDays, at("2024-03-20T09:00:00+08:00")),
    ] {
        assert!(due.contains(&expected), "{expected:?} not in {due:?}");
    }

    // 10:35: the first reminder goes to the engineer only.
    db.set(at("2024-03-15T10:35:00+08:00"));
    assert_eq!(app.run_due_jobs("w1", 100).await.unwrap(), 1);
    let ns = notices_of(app, &org, t.id).await;
    assert_eq!(kinds(&ns), [NoticeKind::PreBreach]);
    assert_eq!(ns[0].recipients.iter().map(|r| r.user_id).collect::<Vec<_>>(), [org.eng_south.id()]);
    assert!(ns[0].body_zh.contains("响应时限将于 2024-03-15 11:00 到期"), "{}", ns[0].body_zh);

    // 11:05, still no contact: the specialist's reminder and the response timeout.
    db.set(at("2024-03-15T11:05:00+08:00"));
    assert_eq!(app.run_due_jobs("w1", 100).await.unwrap(), 2);
    let ns = notices_of(app, &org, t.id).await;
    assert_eq!(kinds(&ns), [NoticeKind::PreBreach, NoticeKind::PreBreach, NoticeKind::ResponseTimeout]);
    let timeout = &ns[2];
    let to: Vec<(Id, Audience)> = timeout.recipients.iter().map(|r| (r.user_id, r.audience)).collect();
    assert!(to.contains(&(org.supervisor.id(), Audience::Supervisor)), "{to:?}");
    assert!(to.contains(&(org.specialist.id(), Audience::ProjectSpecialist)), "{to:?}");
    assert_eq!(app.run_due_jobs("w1", 100).await.unwrap(), 0, "done jobs do not run again");
    // The notice is on the ticket's history.
    let history = app.history(&org.desk, t.id).await.unwrap();
    let noted = history.iter().filter(|e| e.action == "notice").count();
    assert_eq!(noted, all_notices_of(app, &org, t.id).await.len(), "each notice, internal or to the customer");

    // Run a job twice (as after a crash between the notice and marking it done): one notice.
    use sea_orm::ConnectionTrait;
    app.store().read().execute_unprepared("UPDATE jobs SET state = 'pending' WHERE state = 'done'").await.unwrap();
    assert_eq!(app.run_due_jobs("w2", 100).await.unwrap(), 3);
    assert_eq!(notices_of(app, &org, t.id).await.len(), 3, "a notice key is stored once");

    // The engineer calls: the response jobs go; the resolution ones stay.
    let t = step(app, &org.eng_south, &t, Command::Respond { note: None }).await;
    let js = jobs(app, t.id).await;
    assert!(js.iter().all(|j| !j.1.contains("response")), "{js:?}");
    assert!(js.iter().any(|j| j.1.contains("resolution")));
    // A downgrade approved later moves the resolution reminders (new due, new keys).
    let before: Vec<String> = js.iter().filter(|j| j.1.contains("resolution")).map(|j| j.1.clone()).collect();
    let t = step(app, &org.supervisor, &t, grade("P2", "影响已缓解")).await;
    let after: Vec<String> =
        jobs(app, t.id).await.into_iter().filter(|j| j.1.contains("resolution")).map(|j| j.1).collect();
    assert!(!after.is_empty() && after.iter().all(|k| !before.contains(k)), "{before:?} → {after:?}");

    // Deliveries: every recipient with an address gets an e-mail, queued in the outbox.
    let ds = app.deliveries(&org.admin, None, Some(DeliveryState::Pending)).await.unwrap();
    assert!(ds.iter().any(|d| d.channel == ChannelKind::Email && d.target == "eng.south@example.com"), "{ds:?}");
});

db_test!(steps_raise_their_notices_at_once, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = graded(app, &org, db.now(), "P2").await;
    let t = working(app, &org, &t).await;
    let t = step(app, &org.eng_south, &t, Command::BookVisit { at: at("2024-03-15T15:00:00+08:00"), note: None }).await;
    let t = step(app, &org.eng_south, &t, Command::BookVisit { at: at("2024-03-15T16:30:00+08:00"), note: None }).await;
    let t = step(
        app,
        &org.eng_south,
        &t,
        Command::RequestSecondLine { engineer_id: Some(org.eng_second.id()), reason: "需要更换主板".into() },
    )
    .await;
    let t = step(app, &org.eng_south, &t, Command::Resolve { resolution: "更换主板".into() }).await;
    let t = step(app, &org.portal_b, &t, Command::RefuseClosure { reason: "仍有异响".into() }).await;
    let t = step(app, &org.eng_south, &t, Command::Resolve { resolution: "更换风扇".into() }).await;
    let t = step(app, &org.desk, &t, Command::ConfirmClosure { method: Some(ClosureMethod::Callback) }).await;
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
    assert_eq!(t.status, Status::InProgress, "a dissatisfied customer's ticket is reopened for re-handling");
    let ns = notices_of(app, &org, t.id).await;
    assert_eq!(
        kinds(&ns),
        [NoticeKind::VisitDelay, NoticeKind::SecondLine, NoticeKind::CustomerDidNotClose, NoticeKind::Dissatisfied]
    );
    let delay = &ns[0];
    assert!(delay.recipients.iter().all(|r| r.audience != Audience::Contact), "an internal notice");
    assert!(delay.recipients.iter().any(|r| r.user_id == org.specialist.id()));
    assert!(delay.body_zh.contains("15:00") && delay.body_zh.contains("16:30"), "{}", delay.body_zh);
    // The customer hears of the move in customer words (DOMAIN §8).
    let all = all_notices_of(app, &org, t.id).await;
    let moved = all.iter().find(|n| n.kind == NoticeKind::VisitMoved).expect("the customer is told the visit moved");
    assert_eq!(
        moved.recipients.iter().map(|r| (r.user_id, r.audience)).collect::<Vec<_>>(),
        [(org.portal_b.id(), Audience::Contact)]
    );
    assert!(moved.body_zh.contains("16:30") && !moved.body_zh.contains("1 小时"), "{}", moved.body_zh);
    assert!(ns[1].recipients.iter().any(|r| r.user_id == org.eng_second.id()));
    assert!(ns[3].recipients.iter().any(|r| r.user_id == org.supervisor.id()));

    // The desk's progress message reaches the reporting contact's inbox.
    app.add_log(&org.desk, t.id, aftersales_domain::worklog::LogKind::Progress, "工程师明早九点上门复查", None, None)
        .await
        .unwrap();
    let mine = NoticeQuery { mine: Some(true), ..NoticeQuery::default() };
    let theirs = app.notices(&org.portal_b, &mine).await.unwrap().items;
    let progress =
        theirs.iter().find(|n| n.kind == NoticeKind::ProgressUpdate).expect("progress in the customer's inbox");
    assert!(progress.body_zh.contains("工程师明早九点上门复查"), "{}", progress.body_zh);
    // The visit-delay notice went to the specialist, whose status note stays internal: the
    // contact reads neither the notice nor the note, and the note is an internal status note.
    let specialist_ack = aftersales_app::notices::Acknowledgement { note: Some("已协调工程师改期".into()) };
    app.acknowledge_notice(&org.specialist, delay.id, &specialist_ack).await.unwrap();
    let theirs = app.notices(&org.portal_b, &mine).await.unwrap().items;
    assert!(theirs.iter().all(|n| n.id != delay.id && n.kind.is_customer_facing()), "no escalation in the inbox");
    assert!(matches!(app.notice(&org.portal_b, delay.id).await, Err(AppError::NotFound { .. })));
    let seen = theirs.iter().find(|n| n.id == moved.id).expect("the moved visit in the customer's inbox");
    assert_eq!(seen.recipients.iter().map(|r| r.user_id).collect::<Vec<_>>(), [org.portal_b.id()]);
    let note = app.work_log(&org.admin, t.id).await.unwrap().into_iter().find(|e| e.body.contains("已协调工程师改期"));
    assert_eq!(note.map(|e| (e.kind, e.visibility)), Some((LogKind::StatusNote, Visibility::Internal)));
    let log = app.customer_work_log(&org.portal_b, t.id).await.unwrap();
    assert!(log.iter().all(|e| !e.body.contains("已协调工程师改期")), "{log:?}");

    // A repeat report tells the project specialist at once.
    let again = register(app, &org.desk, &org.registration(db.now())).await;
    assert!(again.repeat_of.is_some());
    let ns = notices_of(app, &org, again.id).await;
    assert_eq!(kinds(&ns), [NoticeKind::RepeatReport]);
    assert_eq!(ns[0].recipients[0].user_id, org.specialist.id());
});

db_test!(recipients_acknowledge_with_notes_and_the_daily_table_shows_them, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = graded(app, &org, db.now(), "P3").await;
    // Still open at the end of the day, and three working days later.
    db.set(at("2024-03-20T10:00:00+08:00"));
    assert_eq!(
        app.run_due_jobs("w", 100).await.unwrap(),
        7,
        "response and resolution reminders (2 each), the response timeout, the end of day, three days"
    );
    let ns = notices_of(app, &org, t.id).await;
    let same_day = ns.iter().find(|n| n.kind == NoticeKind::NotClosedSameDay).unwrap();
    let three = ns.iter().find(|n| n.kind == NoticeKind::ThreeDaysUnclosed).unwrap();
    assert!(three.recipients.iter().any(|r| r.user_id == org.pm.id()));

    let mine = NoticeQuery { mine: Some(true), acknowledged: Some(false), ..NoticeQuery::default() };
    let inbox = app.notices(&org.specialist, &mine).await.unwrap();
    assert!(inbox.items.iter().any(|n| n.id == same_day.id));
    let ack = Acknowledgement { note: Some("已联系客户，明日上午上门".into()) };
    let n = app.acknowledge_notice(&org.specialist, same_day.id, &ack).await.unwrap();
    let r = n.recipients.iter().find(|r| r.user_id == org.specialist.id()).unwrap();
    assert!(r.acknowledged_at.is_some() && r.note.as_deref() == Some("已联系客户，明日上午上门"));
    let inbox = app.notices(&org.specialist, &mine).await.unwrap();
    assert!(inbox.items.iter().all(|n| n.id != same_day.id), "acknowledged notices leave the open inbox");
    app.acknowledge_notice(&org.pm, three.id, &Acknowledgement { note: Some("请二线工程师支援".into()) })
        .await
        .unwrap();
    match app.acknowledge_notice(&org.desk, three.id, &Acknowledgement::default()).await {
        Err(AppError::Domain(DomainError::Conflict(c))) => assert_eq!(c, Conflict::NotARecipient),
        other => panic!("a non-recipient acknowledged: {other:?}"),
    }
    // A customer contact sees only their own inbox.
    let asks_for_others = NoticeQuery { user_id: Some(org.specialist.id()), ..NoticeQuery::default() };
    let theirs = app.notices(&org.portal_b, &asks_for_others).await.unwrap();
    assert!(theirs.total > 0, "the customer was told of their request");
    assert!(theirs.items.iter().all(|n| n.kind.is_customer_facing()), "internal notices are not the customer's");
    assert!(matches!(app.notice(&org.portal_b, three.id).await, Err(AppError::NotFound { .. })));

    let rows = app.daily_notices(&org.desk, "2024-03-20").await.unwrap();
    let row = rows.iter().find(|r| r.ticket_id == t.id).expect("the ticket is in the day's table");
    assert!(row.notices.contains(&NoticeKind::ThreeDaysUnclosed));
    assert_eq!(row.manager_note.as_deref(), Some("请二线工程师支援"));
    assert_eq!(row.customer, org.customer_b.short_name);
    let day_one = app.daily_notices(&org.desk, "2024-03-15").await.unwrap();
    let row = day_one.iter().find(|r| r.ticket_id == t.id).unwrap();
    assert_eq!(row.desk_note.as_deref(), Some("已联系客户，明日上午上门"));
    assert!(matches!(app.daily_notices(&org.desk, "2024-13-01").await, Err(AppError::Domain(DomainError::Invalid(_)))));
    // Moving on: a late step refreshes nothing already done.
    db.advance(SignedDuration::from_hours(1));
    assert_eq!(app.run_due_jobs("w", 100).await.unwrap(), 0);
});
