//! The customer's side (DOMAIN §8): what a contact reads of their own tickets, what they are
//! told and when, and the signed links of customer e-mail.

use aftersales_app::AppError;
use aftersales_app::notices::NoticeQuery;
use aftersales_app::portal::{LinkAnswer, LinkState};
use aftersales_app::tickets::Command;
use aftersales_domain::audience::Visibility;
use aftersales_domain::clock::SurveyResult;
use aftersales_domain::customer::ContactInput;
use aftersales_domain::customer_link::{LinkProblem, LinkPurpose};
use aftersales_domain::customer_view::{CustomerAction, CustomerStatus, Milestone};
use aftersales_domain::error::Conflict;
use aftersales_domain::lifecycle::Step;
use aftersales_domain::notice::{Audience, ChannelKind, NoticeKind, Route, Wording};
use aftersales_domain::ticket::Status;
use aftersales_domain::worklog::LogKind;
use aftersales_domain::{DomainError, Lang};
use aftersales_testkit::{Org, db_test};

use crate::support::{fresh, graded, register, step, working};

db_test!(a_contact_reads_only_what_is_addressed_to_the_customer, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let t = graded(app, &org, db.now(), "P2").await;
    let t = step(app, &org.dispatcher, &t, Command::Dispatch { group_id: None, engineer_id: None }).await;
    let t =
        step(app, &org.eng_south, &t, Command::Respond { note: Some("INTERNAL-contact 客户语气急躁".into()) }).await;
    let t = step(app, &org.eng_south, &t, Command::Start { plan: Some("INTERNAL-plan 先换搓纸轮试试".into()) }).await;
    let log = |who, kind, body: &'static str, v| {
        let app = app.clone();
        let id = t.id;
        async move { app.add_log(who, id, kind, body, v, None).await }
    };
    log(&org.eng_south, LogKind::Diagnosis, "INTERNAL-diagnosis 估计是坏了", None).await.unwrap();
    log(&org.eng_south, LogKind::Diagnosis, "疑似搓纸轮磨损，建议更换", Some(Visibility::Customer)).await.unwrap();
    log(&org.pm, LogKind::Instruction, "INTERNAL-instruction 战略客户务必本周闭环", None).await.unwrap();
    // An instruction never becomes customer-visible; a customer never writes an internal kind.
    let err = log(&org.pm, LogKind::Instruction, "x", Some(Visibility::Customer)).await.unwrap_err();
    assert!(matches!(&err, AppError::Domain(DomainError::Invalid(p)) if p[0].0 == "visibility"), "{err:?}");
    let err = log(&org.portal_b, LogKind::Diagnosis, "x", None).await.unwrap_err();
    assert!(matches!(err, AppError::Domain(DomainError::Forbidden { .. })), "{err:?}");
    log(&org.portal_b, LogKind::CustomerMessage, "下午两点后有人在", None).await.unwrap();
    // Confirming before it is resolved is refused in customer words (处理中, not the staff's state).
    let early = Command::ConfirmClosure { method: None };
    let err = app.customer_act(&org.portal_b, t.id, Some(t.version), &early, None).await.map(|_| ()).unwrap_err();
    let said = err.message(Lang::Zh);
    assert!(said.contains("处理中") && !said.contains("已响应"), "{said}");
    let t = step(app, &org.eng_south, &t, Command::Resolve { resolution: "更换第二纸盒搓纸轮".into() }).await;

    let c = app.customer_ticket(&org.portal_b, t.id).await.unwrap();
    assert_eq!(c.status, CustomerStatus::Resolved);
    assert_eq!(c.engineer.as_deref(), Some(org.eng_south.user.display_name.as_str()));
    assert_eq!(c.waiting_for_you, [CustomerAction::ConfirmClosure]);
    let everything = serde_json::to_string(&(
        &c,
        app.customer_timeline(&org.portal_b, t.id).await.unwrap(),
        app.customer_work_log(&org.portal_b, t.id).await.unwrap(),
        app.notices(&org.portal_b, &NoticeQuery::default()).await.unwrap(),
    ))
    .unwrap();
    for hidden in ["INTERNAL-", "P2", "priority", "按影响范围分级", "policy", "customer_level", "clock"] {
        assert!(!everything.contains(hidden), "{hidden} reached the customer: {everything}");
    }
    let log = app.customer_work_log(&org.portal_b, t.id).await.unwrap();
    let bodies: Vec<&str> = log.iter().map(|e| e.body.as_str()).collect();
    assert_eq!(bodies, ["疑似搓纸轮磨损，建议更换", "下午两点后有人在"]);
    let timeline = app.customer_timeline(&org.portal_b, t.id).await.unwrap();
    let milestones: Vec<Milestone> = timeline.iter().map(|e| e.milestone).collect();
    assert_eq!(
        milestones,
        [
            Milestone::Submitted,
            Milestone::Accepted,
            Milestone::EngineerAssigned,
            Milestone::EngineerContacted,
            Milestone::WorkStarted,
            Milestone::Resolved
        ]
    );
    assert_eq!(timeline[2].engineer.as_deref(), Some(org.eng_south.user.display_name.as_str()));
    assert_eq!(timeline[5].text.as_deref(), Some("更换第二纸盒搓纸轮"));
    // The staff see every entry with its audience.
    let staff: Vec<(LogKind, Visibility)> =
        app.work_log(&org.desk, t.id).await.unwrap().into_iter().map(|e| (e.kind, e.visibility)).collect();
    assert!(staff.contains(&(LogKind::Instruction, Visibility::Internal)));
    assert!(staff.contains(&(LogKind::Diagnosis, Visibility::Customer)));

    // Resolved: confirm or refuse; the survey comes after closure.
    let steps = app.customer_screen(&org.portal_b, t.id).await.unwrap().steps;
    assert!(steps.contains(&Step::ConfirmClosure) && !steps.contains(&Step::RecordSurvey), "{steps:?}");
    // What waits for the customer is listed first in the portal; confirming takes it away.
    let waiting = app.awaiting_customer(&org.portal_b).await.unwrap();
    assert_eq!(waiting.iter().map(|w| w.id).collect::<Vec<_>>(), [t.id]);
    let t = step(app, &org.portal_b, &t, Command::ConfirmClosure { method: None }).await;
    assert_eq!(t.status, Status::Closed);
    let waiting = app.awaiting_customer(&org.portal_b).await.unwrap();
    assert_eq!(waiting[0].waiting_for_you, [CustomerAction::Survey], "then the survey waits");
    let steps = app.customer_screen(&org.portal_b, t.id).await.unwrap().steps;
    assert!(steps.contains(&Step::RecordSurvey), "{steps:?}");
    // The contact marks everything read at once; the staff acknowledge escalations one by one.
    let unread = NoticeQuery { mine: Some(true), acknowledged: Some(false), ..NoticeQuery::default() };
    assert!(app.notices(&org.portal_b, &unread).await.unwrap().total > 0);
    app.read_all_notices(&org.portal_b).await.unwrap();
    assert_eq!(app.notices(&org.portal_b, &unread).await.unwrap().total, 0);
    assert!(app.read_all_notices(&org.specialist).await.is_err());
});

/// A contact of customer B who has no portal account, reads English, and has an address.
async fn mailed_contact(app: &aftersales_app::App, org: &Org) -> aftersales_domain::customer::Contact {
    let input = ContactInput {
        name: Some("Alice Chen".into()),
        phone: Some("13700000009".into()),
        email: Some("alice@example.com".into()),
        department: None,
        lang: Some(Lang::En),
    };
    app.create_contact(&org.admin, org.customer_b.id, &input).await.unwrap()
}

db_test!(a_contact_without_an_account_is_told_at_every_moment_by_mail, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let alice = mailed_contact(app, &org).await;
    let mut r = org.registration(db.now());
    r.contact_id = Some(alice.id);
    r.contact_name = None;
    r.contact_phone = None;
    let t = register(app, &org.desk, &r).await;
    let t = step(app, &org.desk, &t, Command::Accept).await;
    let t = step(app, &org.desk, &t, crate::support::grade("P3", "单台设备")).await;
    let t = working(app, &org, &t).await;
    let visit = db.now() + jiff::SignedDuration::from_hours(3);
    let t = step(app, &org.eng_south, &t, Command::BookVisit { at: visit, note: None }).await;
    let t = step(app, &org.eng_south, &t, Command::Resolve { resolution: "Replaced the pick-up roller".into() }).await;

    let q = NoticeQuery { ticket_id: Some(t.id), per_page: Some(100), ..NoticeQuery::default() };
    let mut told: Vec<_> =
        app.notices(&org.admin, &q).await.unwrap().items.into_iter().filter(|n| n.kind.is_customer_facing()).collect();
    told.reverse();
    let kinds: Vec<NoticeKind> = told.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        [
            NoticeKind::Accepted,
            NoticeKind::EngineerAssigned,
            NoticeKind::EngineerContacted,
            NoticeKind::VisitBooked,
            NoticeKind::Resolved
        ]
    );
    assert!(
        told[0].body_zh.contains("已受理您的反馈，我们将尽快处理") && told[0].body_zh.contains(&t.number.to_string())
    );
    assert!(told[0].body_zh.contains("2024-03-15 09:00"), "the acceptance time: {}", told[0].body_zh);
    assert!(told.iter().all(|n| n.recipients.is_empty()), "no account, no inbox");
    // Every one goes to her address, in English, marked as hers.
    let ds = app.deliveries(&org.admin, None, None).await.unwrap();
    for n in &told {
        let d = ds.iter().find(|d| d.notice_id == n.id).unwrap_or_else(|| panic!("{:?} not mailed", n.kind));
        assert_eq!(
            (d.channel, d.target.as_str(), d.contact_id, d.lang),
            (ChannelKind::Email, "alice@example.com", Some(alice.id), Some(Lang::En))
        );
    }

    // The "please confirm" mail carries a link that works once, without signing in.
    let out = app.claim_deliveries(100).await.unwrap();
    let resolved = out.iter().find(|o| o.notice.kind == NoticeKind::Resolved).unwrap();
    assert!(out.iter().filter(|o| o.notice.kind != NoticeKind::Resolved).all(|o| o.link.is_none()));
    let link = resolved.link.clone().expect("a link in the mail");
    let token = link.rsplit('/').next().unwrap().to_owned();
    assert!(link.starts_with("http://127.0.0.1:8080/l/") && token.len() >= 40, "{link}");
    match app.link_state(&token).await.unwrap() {
        LinkState::Usable { purpose, ticket, contact } => {
            assert_eq!((purpose, ticket.id, contact.as_str()), (LinkPurpose::Closure, t.id, "Alice Chen"));
        }
        other => panic!("{other:?}"),
    }
    let c = app.use_link(&token, &LinkAnswer::Confirm).await.unwrap();
    assert_eq!(c.status, CustomerStatus::Closed);
    let err = app.use_link(&token, &LinkAnswer::Confirm).await.unwrap_err();
    assert!(matches!(&err, AppError::Domain(DomainError::Conflict(Conflict::Link(LinkProblem::Used)))), "{err:?}");
    assert!(matches!(app.link_state(&token).await.unwrap(), LinkState::Spent { problem: LinkProblem::Used, .. }));
    let closures =
        app.history(&org.admin, t.id).await.unwrap().iter().filter(|e| e.action == "confirm_closure").count();
    assert_eq!(closures, 1, "a second use has no effect");
    // Forged or altered links name nothing.
    for forged in ["", "abc", &format!("{token}x"), &token.replace(&token[..4], "AAAA"), "../../etc/passwd"] {
        assert!(matches!(app.link_state(forged).await, Err(AppError::NotFound { .. })), "{forged}");
        assert!(matches!(app.use_link(forged, &LinkAnswer::Confirm).await, Err(AppError::NotFound { .. })));
    }

    // Closed: the survey request mail, with its own link; a wrong answer for it is refused.
    let out = app.claim_deliveries(100).await.unwrap();
    let survey = out.iter().find(|o| o.notice.kind == NoticeKind::SurveyRequest).expect("a survey request");
    let token = survey.link.clone().unwrap().rsplit('/').next().unwrap().to_owned();
    let err = app.use_link(&token, &LinkAnswer::Confirm).await.unwrap_err();
    assert!(matches!(&err, AppError::Domain(DomainError::Invalid(p)) if p[0].0 == "answer"), "{err:?}");
    let answer = LinkAnswer::Survey {
        result: SurveyResult::Satisfied,
        note: Some("Quick and polite".into()),
        solved: None,
        speed_ok: None,
        suggestions: None,
    };
    assert_eq!(app.use_link(&token, &answer).await.unwrap().survey_result, Some(SurveyResult::Satisfied));
    assert!(app.use_link(&token, &answer).await.is_err());
});

db_test!(a_link_from_an_earlier_resolution_cannot_close_a_later_one, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let alice = mailed_contact(app, &org).await;
    let mut r = org.registration(db.now());
    r.contact_id = Some(alice.id);
    let t = register(app, &org.desk, &r).await;
    let t = step(app, &org.desk, &t, Command::Accept).await;
    let t = step(app, &org.desk, &t, crate::support::grade("P3", "单台设备")).await;
    let t = working(app, &org, &t).await;
    let t = step(app, &org.eng_south, &t, Command::Resolve { resolution: "清洁进纸通道".into() }).await;
    let out = app.claim_deliveries(100).await.unwrap();
    let first = out.iter().find(|o| o.notice.kind == NoticeKind::Resolved).unwrap().link.clone().unwrap();
    let first = first.rsplit('/').next().unwrap().to_owned();
    // The customer tells the desk by phone it is not solved; the engineer resolves again.
    db.advance(jiff::SignedDuration::from_mins(30));
    let t = step(app, &org.desk, &t, Command::RefuseClosure { reason: "客户电话反映仍卡纸".into() }).await;
    let _t = step(app, &org.eng_south, &t, Command::Resolve { resolution: "更换搓纸轮".into() }).await;
    match app.link_state(&first).await.unwrap() {
        LinkState::Spent { problem, .. } => assert!(matches!(problem, LinkProblem::Revoked | LinkProblem::Superseded)),
        other => panic!("the old link still works: {other:?}"),
    }
    assert!(app.use_link(&first, &LinkAnswer::Confirm).await.is_err());
    // Expired: 14 days later the new link no longer works either.
    let out = app.claim_deliveries(100).await.unwrap();
    let second = out.iter().find(|o| o.notice.kind == NoticeKind::Resolved).unwrap().link.clone().unwrap();
    let second = second.rsplit('/').next().unwrap().to_owned();
    db.advance(jiff::SignedDuration::from_hours(24 * 15));
    assert!(matches!(app.link_state(&second).await.unwrap(), LinkState::Spent { problem: LinkProblem::Expired, .. }));
});

db_test!(an_administrator_turns_customer_notices_off_and_rewords_them, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let routes = app.notice_routes(&org.admin).await.unwrap();
    let route = |kind| routes.iter().find(|r| r.kind == kind).cloned().unwrap();
    app.put_notice_route(&org.admin, &Route { enabled: false, ..route(NoticeKind::Accepted) }).await.unwrap();
    let wording = Wording {
        subject_zh: "报修 {number} 已处理".into(),
        body_zh: "尊敬的客户：{number} 已由{engineer}处理完毕（{resolution}），请确认。".into(),
        subject_en: "Request {number} resolved".into(),
        body_en: "{number}: {resolution}".into(),
    };
    let resolved = Route { wording: Some(wording.clone()), ..route(NoticeKind::Resolved) };
    app.put_notice_route(&org.admin, &resolved).await.unwrap();
    // Refused: an unknown placeholder, an escalation to the customer, a customer notice to staff.
    let bad = Wording { body_zh: "{ticket}".into(), ..wording };
    for r in [
        Route { wording: Some(bad), ..route(NoticeKind::Resolved) },
        Route { audiences: vec![Audience::Contact], ..route(NoticeKind::ResponseTimeout) },
        Route { audiences: vec![Audience::Supervisor], ..route(NoticeKind::Resolved) },
    ] {
        let err = app.put_notice_route(&org.admin, &r).await.unwrap_err();
        assert!(matches!(err, AppError::Domain(DomainError::Invalid(_))), "{r:?}: {err:?}");
    }

    let t = graded(app, &org, db.now(), "P3").await;
    let t = working(app, &org, &t).await;
    let t = step(app, &org.eng_south, &t, Command::Resolve { resolution: "更换搓纸轮".into() }).await;
    let mine = NoticeQuery { mine: Some(true), ..NoticeQuery::default() };
    let inbox = app.notices(&org.portal_b, &mine).await.unwrap().items;
    assert!(inbox.iter().all(|n| n.kind != NoticeKind::Accepted), "turned off");
    let n = inbox.iter().find(|n| n.kind == NoticeKind::Resolved).unwrap();
    assert_eq!(n.subject_zh, format!("报修 {} 已处理", t.number));
    let engineer = &org.eng_south.user.display_name;
    assert_eq!(n.body_zh, format!("尊敬的客户：{} 已由{engineer}处理完毕（更换搓纸轮），请确认。", t.number));
    // The staff's copy of the customer's words is on the ticket; a customer cannot write notes.
    let ack = aftersales_app::notices::Acknowledgement { note: Some("收到".into()) };
    assert!(app.acknowledge_notice(&org.portal_b, n.id, &ack).await.is_err());
    let read = app.acknowledge_notice(&org.portal_b, n.id, &Default::default()).await.unwrap();
    assert!(read.recipients[0].acknowledged_at.is_some());
    let _ = fresh::<aftersales_domain::customer_view::CustomerTicket>;
});
