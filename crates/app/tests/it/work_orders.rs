//! Work orders across departments, qualified engineers and the dispatch suggestion (issue 13).

use aftersales_app::AppError;
use aftersales_app::jobs::BackgroundJob;
use aftersales_app::tickets::Command;
use aftersales_app::work_orders::{OverdueCheck, StatusChange, WorkOrderEdit};
use aftersales_domain::error::{Conflict, Reason};
use aftersales_domain::notice::NoticeKind;
use aftersales_domain::qualification::{QualificationInput, TrainingInput, TrainingResult};
use aftersales_domain::role::Role;
use aftersales_domain::user::UserInput;
use aftersales_domain::work_order::{DepartmentInput, WorkOrderInput, WorkOrderStatus};
use aftersales_domain::{DomainError, Id};
use aftersales_testkit::{Org, actor, db_test};
use jiff::SignedDuration;

use crate::support::{graded, refused, step, working};

fn input(org: &Org, now: aftersales_domain::Timestamp) -> WorkOrderInput {
    WorkOrderInput {
        department: "logistics".into(),
        owner_id: Some(org.data.id()),
        needed: "调拨一台 bizhub C300i 备用机送至客户现场".into(),
        resources: vec!["备用机出库单\n装箱清单".into()],
        deadline: Some(now + SignedDuration::from_hours(8)),
    }
}

fn fields(e: &AppError) -> Vec<&'static str> {
    match e {
        AppError::Domain(DomainError::Invalid(p)) => p.iter().map(|(f, _)| *f).collect(),
        other => panic!("not a field problem: {other:?}"),
    }
}

fn conflict(e: AppError) -> Conflict {
    match e {
        AppError::Domain(DomainError::Conflict(c)) => c,
        other => panic!("not a conflict: {other:?}"),
    }
}

db_test!(a_work_order_is_opened_listed_for_its_owner_and_the_ticket_keeps_its_engineer, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = graded(app, &org, db.now(), "P3").await;
    let t = working(app, &org, &t).await;
    let w = app.open_work_order(&org.dispatcher, t.id, &input(&org, db.now())).await.unwrap();
    assert_eq!(w.work_order.status, WorkOrderStatus::Open);
    assert_eq!(w.work_order.resources, ["备用机出库单", "装箱清单"]);
    assert_eq!(w.department_zh, "物流");
    // The owner sees it in their list and count; the ticket's engineer stays responsible.
    let mine = app.my_work_orders(&org.data).await.unwrap();
    assert_eq!(mine.iter().map(|m| m.work_order.id).collect::<Vec<_>>(), [w.work_order.id]);
    assert_eq!(app.my_work_order_count(&org.data).await.unwrap(), 1);
    let on_ticket = app.ticket_work_orders(&org.desk, t.id).await.unwrap();
    assert_eq!(on_ticket.responsible_id, Some(org.eng_south.id()));
    assert_eq!(on_ticket.work_orders.len(), 1);
    // The owner's progress starts the work; done takes it off their list.
    let w = app.add_work_order_progress(&org.data, w.work_order.id, "已备货，今日发出").await.unwrap();
    assert_eq!(w.work_order.status, WorkOrderStatus::InProgress);
    assert_eq!(w.progress[0].author_name, org.data.user.display_name);
    let change = StatusChange { status: WorkOrderStatus::Done, version: w.work_order.version };
    app.set_work_order_status(&org.data, w.work_order.id, &change).await.unwrap();
    assert_eq!(app.my_work_order_count(&org.data).await.unwrap(), 0);
    // Its history is on the ticket, attributed.
    let history = app.history(&org.admin, t.id).await.unwrap();
    assert!(history.iter().any(|e| e.action == "work_order_opened" && e.actor_id == org.dispatcher.id()));
});

db_test!(bad_work_orders_are_refused_by_field_and_leave_nothing_behind, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = graded(app, &org, db.now(), "P3").await;
    let bad = WorkOrderInput {
        department: "finance".into(),
        owner_id: Some(org.portal_b.id()),
        deadline: Some(db.now() - SignedDuration::from_mins(5)),
        ..input(&org, db.now())
    };
    let e = app.open_work_order(&org.dispatcher, t.id, &bad).await.unwrap_err();
    assert_eq!(fields(&e), ["department", "owner_id", "deadline"]);
    let unknown = WorkOrderInput { owner_id: Some(999_999), ..input(&org, db.now()) };
    let e = app.open_work_order(&org.dispatcher, t.id, &unknown).await.unwrap_err();
    assert!(matches!(&e, AppError::Domain(DomainError::Invalid(p)) if p == &[("owner_id", Reason::Unknown)]));
    assert!(app.ticket_work_orders(&org.admin, t.id).await.unwrap().work_orders.is_empty());
    assert!(app.jobs_of(OverdueCheck::KIND, "pending").await.unwrap().is_empty());
    // An unknown ticket is not found; a customer contact is refused outright.
    let e = app.open_work_order(&org.dispatcher, 999_999, &input(&org, db.now())).await.unwrap_err();
    assert!(matches!(e, AppError::NotFound { what: "ticket", .. }));
    let e = app.ticket_work_orders(&org.portal_b, t.id).await.unwrap_err();
    assert!(matches!(e, AppError::Domain(DomainError::Forbidden { .. })));
    assert!(app.my_work_orders(&org.portal_b).await.is_err());
    assert_eq!(app.my_work_order_count(&org.portal_b).await.unwrap(), 0);
});

db_test!(a_closed_work_order_takes_no_progress_and_a_stale_edit_is_refused, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = graded(app, &org, db.now(), "P3").await;
    let w = app.open_work_order(&org.dispatcher, t.id, &input(&org, db.now())).await.unwrap().work_order;
    // Someone else may not report on it (a project manager reads work orders only).
    let e = app.add_work_order_progress(&org.pm, w.id, "x").await.unwrap_err();
    assert_eq!(conflict(e), Conflict::NotWorkOrderOwner);
    // An edit based on an old version is refused, and changes nothing.
    let edit = WorkOrderEdit { input: input(&org, db.now()), version: w.version };
    let moved = app.update_work_order(&org.dispatcher, w.id, &edit).await.unwrap().work_order;
    assert_eq!(moved.version, w.version + 1);
    let stale = WorkOrderEdit {
        input: WorkOrderInput { needed: "改为研发分析".into(), ..input(&org, db.now()) },
        ..edit
    };
    let e = app.update_work_order(&org.dispatcher, w.id, &stale).await.unwrap_err();
    assert_eq!(conflict(e), Conflict::StaleWorkOrder { current: moved.version });
    assert_eq!(app.work_order(&org.admin, w.id).await.unwrap().work_order.needed, moved.needed);
    let cancel = StatusChange { status: WorkOrderStatus::Cancelled, version: moved.version };
    app.set_work_order_status(&org.dispatcher, w.id, &cancel).await.unwrap();
    let e = app.add_work_order_progress(&org.data, w.id, "补充进展").await.unwrap_err();
    assert_eq!(conflict(e), Conflict::WorkOrderClosed { status: WorkOrderStatus::Cancelled });
    assert!(app.work_order(&org.admin, w.id).await.unwrap().progress.is_empty());
    // A cancelled work order's overdue check is withdrawn.
    assert!(app.jobs_of(OverdueCheck::KIND, "pending").await.unwrap().is_empty());
});

db_test!(an_overdue_work_order_tells_its_owner_and_the_engineer_once_and_follows_a_moved_deadline, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = graded(app, &org, db.now(), "P3").await;
    let t = working(app, &org, &t).await;
    let w = app.open_work_order(&org.dispatcher, t.id, &input(&org, db.now())).await.unwrap().work_order;
    // Moved later before it passes: the check follows the new deadline.
    let later = db.now() + SignedDuration::from_hours(30);
    let edit =
        WorkOrderEdit { input: WorkOrderInput { deadline: Some(later), ..input(&org, db.now()) }, version: w.version };
    app.update_work_order(&org.dispatcher, w.id, &edit).await.unwrap();
    let pending = app.jobs_of(OverdueCheck::KIND, "pending").await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].due_at, later);
    db.advance(SignedDuration::from_hours(10));
    assert_eq!(app.run_jobs::<OverdueCheck>("t", 10).await.unwrap().done, 0, "the old deadline is not checked");
    db.advance(SignedDuration::from_hours(21));
    assert_eq!(app.run_jobs::<OverdueCheck>("t", 10).await.unwrap().done, 1);
    // Once more (a second worker, a retry): nothing new.
    assert!(!app.check_work_order_overdue(w.id, later.as_millisecond()).await.unwrap());
    let q = aftersales_app::notices::NoticeQuery { ticket_id: Some(t.id), ..Default::default() };
    let overdue: Vec<_> = app
        .notices(&org.admin, &q)
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|n| n.kind == NoticeKind::WorkOrderOverdue)
        .collect();
    assert_eq!(overdue.len(), 1);
    let mut told: Vec<Id> = overdue[0].recipients.iter().map(|r| r.user_id).collect();
    told.sort();
    let mut expected = vec![org.data.id(), org.eng_south.id()];
    expected.sort();
    assert_eq!(told, expected);
    assert!(app.my_work_orders(&org.data).await.unwrap()[0].overdue);
    // The customer hears nothing of it.
    let mine = aftersales_app::notices::NoticeQuery { mine: Some(true), ..Default::default() };
    let theirs = app.notices(&org.portal_b, &mine).await.unwrap();
    assert!(theirs.items.iter().all(|n| n.kind != NoticeKind::WorkOrderOverdue));
});

db_test!(departments_are_edited_by_administrators_and_a_retired_one_takes_no_new_work_order, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let codes: Vec<String> = app.departments(&org.desk).await.unwrap().into_iter().map(|d| d.code).collect();
    assert_eq!(codes, ["technical", "production", "logistics", "rnd", "sales"]);
    let parts = DepartmentInput {
        code: "spare_parts".into(),
        name_zh: "备件中心".into(),
        name_en: "Spare parts".into(),
        active: None,
    };
    let d = app.create_department(&org.admin, &parts).await.unwrap();
    assert!(d.active);
    assert!(matches!(
        app.create_department(&org.dispatcher, &parts).await,
        Err(AppError::Domain(DomainError::Forbidden { .. }))
    ));
    assert_eq!(conflict(app.create_department(&org.admin, &parts).await.unwrap_err()), Conflict::Duplicate);
    let t = graded(app, &org, db.now(), "P3").await;
    let to_parts = WorkOrderInput { department: "spare_parts".into(), ..input(&org, db.now()) };
    let w = app.open_work_order(&org.dispatcher, t.id, &to_parts).await.unwrap();
    let retired = DepartmentInput { active: Some(false), ..parts.clone() };
    app.update_department(&org.admin, d.id, &retired).await.unwrap();
    let e = app.open_work_order(&org.dispatcher, t.id, &to_parts).await.unwrap_err();
    assert_eq!(fields(&e), ["department"]);
    // The one it has keeps its department through an edit.
    let edit = WorkOrderEdit { input: to_parts, version: w.work_order.version };
    app.update_work_order(&org.dispatcher, w.work_order.id, &edit).await.unwrap();
});

async fn engineer(
    app: &aftersales_app::App,
    username: &str,
    name: &str,
    role: Role,
    region: &str,
    group: i64,
) -> aftersales_app::Actor {
    let input = UserInput {
        username: Some(username.into()),
        display_name: Some(name.into()),
        role: Some(role),
        region: Some(region.into()),
        group_id: Some(group),
        ..UserInput::default()
    };
    actor(app.create_user(None, &input).await.unwrap())
}

fn qualification(scope: &str, expires_on: Option<jiff::civil::Date>) -> QualificationInput {
    QualificationInput {
        scope: scope.into(),
        certificate: "柯尼卡美能达认证维修工程师".into(),
        certificate_no: "KM-2025-0031".into(),
        expires_on,
    }
}

db_test!(dispatch_suggests_qualified_first_line_engineers_with_reasons_and_says_why_when_nobody_fits, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = graded(app, &org, db.now(), "P3").await;
    // Nobody holds a bizhub qualification yet: the model is not restricted, and the idle
    // second-line engineer is not suggested for a paper jam while first line can go.
    let s = app.dispatch_suggestion(&org.dispatcher, t.id, None).await.unwrap();
    let top: Vec<Id> = s.top.iter().map(|r| r.candidate.user_id).collect();
    assert_eq!(top, [org.eng_south.id(), org.eng_east.id()]);
    assert!(
        s.excluded.iter().any(|x| x.candidate.user_id == org.eng_second.id() && x.summary_zh == "二线工程师，一线优先")
    );
    assert!(s.top[0].summary_zh.starts_with("同区域 · 在手 0 单"), "{}", s.top[0].summary_zh);
    // Now the model needs a certificate: only eng_east holds a valid one (eng_south's expired).
    let yesterday = db.now().to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).date().yesterday().unwrap();
    app.add_qualification(&org.supervisor, org.eng_east.id(), &qualification("bizhub", None)).await.unwrap();
    app.add_qualification(&org.supervisor, org.eng_south.id(), &qualification("bizhub C300i", Some(yesterday)))
        .await
        .unwrap();
    let s = app.dispatch_suggestion(&org.dispatcher, t.id, None).await.unwrap();
    assert_eq!(s.top.iter().map(|r| r.candidate.user_id).collect::<Vec<_>>(), [org.eng_east.id()]);
    assert_eq!(s.top[0].summary_zh, "跨区域（华东） · 在手 0 单 · 具备 bizhub 资质 · 无临近时限");
    let dispatched = step(app, &org.dispatcher, &t, Command::Dispatch { group_id: None, engineer_id: None }).await;
    assert_eq!(dispatched.first_line_id, Some(org.eng_east.id()));
    // With eng_east deactivated, nobody passes: the dispatcher is told why, by count.
    let t2 = graded(app, &org, db.now(), "P3").await;
    let off = aftersales_domain::user::UserUpdate { active: Some(false), ..Default::default() };
    app.update_user(&org.admin, org.eng_east.id(), &off).await.unwrap();
    let s = app.dispatch_suggestion(&org.dispatcher, t2.id, None).await.unwrap();
    assert!(s.top.is_empty());
    assert_eq!(s.why_none_zh.as_deref(), Some("1 人已停用；2 人不具备 bizhub C300i 资质"));
    let e = refused(app, &org.dispatcher, &t2, Command::Dispatch { group_id: None, engineer_id: None }).await;
    assert!(matches!(conflict(e), Conflict::NoEligibleEngineer { .. }));
    // The dispatcher may still choose by hand.
    step(app, &org.dispatcher, &t2, Command::Dispatch { group_id: None, engineer_id: Some(org.eng_south.id()) }).await;
});

db_test!(qualifications_and_training_are_kept_by_supervisors_for_engineers_only, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let q = app.add_qualification(&org.admin, org.eng_east.id(), &qualification("bizhub", None)).await.unwrap();
    let e =
        app.add_qualification(&org.dispatcher, org.eng_east.id(), &qualification("bizhub", None)).await.unwrap_err();
    assert!(matches!(e, AppError::Domain(DomainError::Forbidden { .. })));
    let e = app.add_qualification(&org.supervisor, org.desk.id(), &qualification("bizhub", None)).await.unwrap_err();
    assert_eq!(fields(&e), ["user_id"]);
    let e =
        app.add_qualification(&org.supervisor, org.eng_east.id(), &QualificationInput::default()).await.unwrap_err();
    assert_eq!(fields(&e), ["scope", "certificate", "certificate_no"]);
    let today = db.now().to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).date();
    let course = TrainingInput {
        course: "bizhub 定影单元拆装".into(),
        taken_on: Some(today),
        outcome: Some(TrainingResult::Passed),
    };
    app.add_training(&org.supervisor, org.eng_east.id(), &course).await.unwrap();
    let future = TrainingInput { taken_on: Some(today.tomorrow().unwrap()), ..course };
    let e = app.add_training(&org.supervisor, org.eng_east.id(), &future).await.unwrap_err();
    assert_eq!(fields(&e), ["taken_on"]);
    let record = app.engineer_record(&org.dispatcher, org.eng_east.id()).await.unwrap();
    assert_eq!((record.qualifications.len(), record.training.len()), (1, 1));
    assert!(record.qualifications[0].valid);
    assert!(app.engineer_record(&org.portal_b, org.eng_east.id()).await.is_err());
    app.remove_qualification(&org.supervisor, q.id).await.unwrap();
    assert!(matches!(app.remove_qualification(&org.supervisor, q.id).await, Err(AppError::NotFound { .. })));
});

db_test!(a_second_line_request_tells_the_lead_of_the_tickets_group_only, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let groups = app.groups(&org.admin).await.unwrap();
    let software = groups.iter().find(|g| g.code == "software").unwrap().id;
    let lead = engineer(app, "lead.hw", "硬件组长", Role::TechLead, "华东", org.hardware_group).await;
    let other = engineer(app, "lead.sw", "软件组长", Role::TechLead, "华东", software).await;
    let t = graded(app, &org, db.now(), "P3").await;
    let t = working(app, &org, &t).await;
    let cmd = Command::RequestSecondLine {
        engineer_id: Some(org.eng_second.id()),
        reason: "定影单元反复报警，需二线协助".into(),
    };
    step(app, &org.eng_south, &t, cmd).await;
    let q = aftersales_app::notices::NoticeQuery { ticket_id: Some(t.id), ..Default::default() };
    let notices = app.notices(&org.admin, &q).await.unwrap().items;
    let second = notices.iter().find(|n| n.kind == NoticeKind::SecondLine).expect("a second-line notice");
    let told: Vec<Id> = second.recipients.iter().map(|r| r.user_id).collect();
    assert!(told.contains(&lead.id()), "{told:?}");
    assert!(!told.contains(&other.id()), "another group's lead was told: {told:?}");
    assert!(told.contains(&org.eng_second.id()));
});

db_test!(dispatch_passes_over_engineers_on_leave_and_after_hours_prefers_those_on_duty, |db| {
    use aftersales_app::visits::DaysInput;
    use aftersales_domain::working_calendar::DayKind;
    let app = &db.app;
    let org = Org::create(app).await;
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let days = |from: jiff::civil::Date, kind: Option<DayKind>| DaysInput { from, to: None, kind, note: None };
    // Friday 09:00: eng_south is on leave today, so only eng_east is suggested and dispatched.
    let friday = db.now().to_zoned(tz.clone()).date();
    app.set_working_days(&org.dispatcher, org.eng_south.id(), &days(friday, Some(DayKind::Leave))).await.unwrap();
    let t = graded(app, &org, db.now(), "P3").await;
    let s = app.dispatch_suggestion(&org.dispatcher, t.id, None).await.unwrap();
    assert_eq!(s.top.iter().map(|r| r.candidate.user_id).collect::<Vec<_>>(), [org.eng_east.id()]);
    assert!(
        s.excluded.iter().any(|x| x.candidate.user_id == org.eng_south.id() && x.summary_zh == "休假中"),
        "{:?}",
        s.excluded
    );
    let dispatched = step(app, &org.dispatcher, &t, Command::Dispatch { group_id: None, engineer_id: None }).await;
    assert_eq!(dispatched.first_line_id, Some(org.eng_east.id()));
    // Saturday 10:00, a day off: with eng_south on duty, eng_east (off today) is passed over.
    db.advance(SignedDuration::from_hours(25));
    let saturday = friday.tomorrow().unwrap();
    app.set_working_days(&org.dispatcher, org.eng_south.id(), &days(saturday, Some(DayKind::Duty))).await.unwrap();
    let t2 = graded(app, &org, db.now(), "P3").await;
    let s = app.dispatch_suggestion(&org.dispatcher, t2.id, None).await.unwrap();
    assert_eq!(s.top.iter().map(|r| r.candidate.user_id).collect::<Vec<_>>(), [org.eng_south.id()]);
    assert!(s.excluded.iter().any(|x| x.candidate.user_id == org.eng_east.id() && x.summary_zh == "非值班"));
    // With nobody on duty, the work waits for the next working hours with everyone not on
    // leave still a candidate, instead of with nobody.
    app.set_working_days(&org.dispatcher, org.eng_south.id(), &days(saturday, None)).await.unwrap();
    let s = app.dispatch_suggestion(&org.dispatcher, t2.id, None).await.unwrap();
    let mut top: Vec<Id> = s.top.iter().map(|r| r.candidate.user_id).collect();
    top.sort();
    let mut both = vec![org.eng_east.id(), org.eng_south.id()];
    both.sort();
    assert_eq!(top, both);
});
