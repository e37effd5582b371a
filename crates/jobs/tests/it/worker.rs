//! Due deadlines become notices, delivered once by e-mail (real SMTP over TCP) and to a
//! group robot (real HTTP), with retries, dead letters and the administrator's retry.

use aftersales_app::tickets::{Command, StepOutcome};
use aftersales_app::{Actor, App};
use aftersales_domain::Timestamp;
use aftersales_domain::notice::{Audience, ChannelKind, DeliveryState, NoticeKind};
use aftersales_domain::ticket::Ticket;
use aftersales_jobs::Worker;
use aftersales_testkit::http_sink::HttpSink;
use aftersales_testkit::smtp_sink::SmtpSink;
use aftersales_testkit::{Org, db_test, notifier};

fn at(s: &str) -> Timestamp {
    jiff::Zoned::strptime("%Y-%m-%dT%H:%M:%S%:z", s).unwrap().timestamp()
}

async fn step(app: &App, actor: &Actor, t: &Ticket, cmd: Command) -> Ticket {
    let o: StepOutcome = app.act(actor, t.id, Some(t.version), &cmd, None).await.unwrap().into_value().unwrap();
    o.ticket.ticket
}

db_test!(a_response_timeout_reaches_people_and_the_robot_once, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let (smtp, robot) = (SmtpSink::start().await, HttpSink::start().await);
    let people = (vec![Audience::Supervisor], vec![ChannelKind::Email]);
    org.route_to_robot(
        app,
        NoticeKind::ResponseTimeout,
        people,
        ("ops-wecom", robot.url("/cgi-bin/webhook/send?key=k1")),
    )
    .await;

    let t =
        aftersales_app::Outcome::into_value(app.register(&org.desk, &org.registration(db.now()), None).await.unwrap())
            .unwrap()
            .ticket;
    let t = step(app, &org.desk, &t, Command::Accept).await;
    let t = step(app, &org.desk, &t, Command::Grade { level: "P1".into(), reason: "产线停机".into() }).await;
    let _t = step(app, &org.dispatcher, &t, Command::Dispatch { group_id: None, engineer_id: None }).await;

    let worker = Worker::new(app.clone(), notifier(&smtp, &robot), "w1");
    db.set(at("2024-03-15T11:05:00+08:00"));
    let first = worker.sweep().await.unwrap();
    // Reminders (engineer, specialist) and the timeout (supervisor by e-mail, the robot).
    assert_eq!((first.jobs, first.failed), (3, 0), "{first:?}");
    assert_eq!(first.sent, 4, "{first:?}");
    let mails = smtp.received();
    let to: Vec<String> = mails.iter().flat_map(|m| m.rcpt_to.clone()).collect();
    for who in ["eng.south@example.com", "specialist1@example.com", "supervisor1@example.com"] {
        assert!(to.iter().any(|r| r.contains(who)), "{who} not in {to:?}");
    }
    let timeout_mail = mails.iter().find(|m| m.rcpt_to.iter().any(|r| r.contains("supervisor1"))).unwrap();
    let text = String::from_utf8_lossy(&timeout_mail.data);
    assert!(text.contains("Message-ID: <") && text.contains("X-Aftersales-Notice:"), "{text}");
    let posts = robot.requests();
    assert_eq!(posts.len(), 1, "the robot gets the timeout once");
    assert!(posts[0].json()["text"]["content"].as_str().unwrap().contains("响应超时"), "{:?}", posts[0].json());

    // Nothing is sent twice.
    let again = worker.sweep().await.unwrap();
    assert_eq!((again.jobs, again.sent, again.failed), (0, 0, 0));
    assert_eq!((smtp.received().len(), robot.requests().len()), (mails.len(), 1));
    let sent = app.deliveries(&org.admin, None, Some(DeliveryState::Sent)).await.unwrap();
    assert_eq!(sent.len(), 4);
    assert!(sent.iter().all(|d| d.receipt.is_some() && d.sent_at.is_some()));
    assert!(sent.iter().all(|d| !d.log.is_empty()), "each sent delivery shows its attempt");

    // Retention (issue 18): after 90 days the sent deliveries' attempt logs go; the
    // deliveries themselves, with their receipts, stay.
    db.advance(jiff::SignedDuration::from_hours(24 * 89));
    assert_eq!(app.prune_records().await.unwrap().1, 0, "not before 90 days");
    db.advance(jiff::SignedDuration::from_hours(24 * 2));
    assert_eq!(app.prune_records().await.unwrap().1, 4);
    let sent = app.deliveries(&org.admin, None, Some(DeliveryState::Sent)).await.unwrap();
    assert_eq!(sent.len(), 4);
    assert!(sent.iter().all(|d| d.log.is_empty() && d.receipt.is_some()));
});

db_test!(failed_deliveries_are_retried_then_dead_and_an_administrator_can_retry, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let (smtp, robot) = (SmtpSink::start().await, HttpSink::start().await);
    robot.reply_with(aftersales_testkit::http_sink::Reply::json(500, "busy"));
    let people = (vec![Audience::ProjectSpecialist], vec![ChannelKind::Email]);
    org.route_to_robot(app, NoticeKind::RepeatReport, people, ("ops", robot.url("/send?key=k"))).await;
    smtp.reply_to_rcpt("550 5.1.1 no such user");
    org.report(app, db.now(), 2).await;

    let worker = Worker::new(app.clone(), notifier(&smtp, &robot), "w1");
    let s = worker.sweep().await.unwrap();
    assert_eq!((s.sent, s.failed), (0, 2), "{s:?}");
    // The mailbox refused for good: dead at once. The robot was busy: retried later.
    let dead = app.deliveries(&org.admin, None, Some(DeliveryState::Dead)).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].channel, ChannelKind::Email);
    assert!(dead[0].last_error.as_deref().unwrap().contains("550"), "{:?}", dead[0].last_error);
    let pending = app.deliveries(&org.admin, None, Some(DeliveryState::Pending)).await.unwrap();
    assert_eq!((pending.len(), pending[0].attempts), (1, 1));
    assert!(pending[0].next_attempt_at > db.now(), "backed off");
    assert_eq!(worker.sweep().await.unwrap().sent, 0, "not before its time");

    // The robot recovers; after the backoff it is delivered.
    robot.reply_with(aftersales_testkit::http_sink::Reply::json(200, r#"{"errcode":0,"errmsg":"ok"}"#));
    db.advance(jiff::SignedDuration::from_mins(2));
    assert_eq!(worker.sweep().await.unwrap().sent, 1);
    assert_eq!(robot.requests().len(), 2);
    // The mailbox is fixed; the administrator retries the dead letter.
    smtp.reply_to_rcpt("250 OK");
    app.retry_delivery(&org.admin, dead[0].id).await.unwrap();
    assert_eq!(worker.sweep().await.unwrap().sent, 1);
    assert!(app.retry_delivery(&org.admin, dead[0].id).await.is_err(), "only a dead letter can be retried");
    assert!(app.retry_delivery(&org.desk, dead[0].id).await.is_err());

    // Each delivery's log tells the story, attempt by attempt, with who made it.
    let mail = app.delivery(&org.admin, dead[0].id).await.unwrap();
    let outcomes: Vec<(i32, &str, &str)> =
        mail.log.iter().map(|l| (l.attempt, l.outcome.code(), l.by.as_str())).collect();
    assert_eq!(outcomes, [(1, "dead", "w1"), (0, "requeued", "admin"), (1, "sent", "w1")]);
    assert!(mail.log[0].detail.as_deref().unwrap().contains("550"), "{:?}", mail.log);
    let robot_delivery = app.delivery(&org.admin, pending[0].id).await.unwrap();
    let outcomes: Vec<(i32, &str)> = robot_delivery.log.iter().map(|l| (l.attempt, l.outcome.code())).collect();
    assert_eq!(outcomes, [(1, "failed"), (2, "sent")]);
    assert!(robot_delivery.log[0].detail.as_deref().unwrap().contains("500"), "{:?}", robot_delivery.log);
});

db_test!(a_delivery_in_doubt_is_not_resent_until_an_administrator_decides, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let (smtp, robot) = (SmtpSink::start().await, HttpSink::start().await);
    let people = (vec![], vec![]);
    org.route_to_robot(app, NoticeKind::RepeatReport, people, ("ops", robot.url("/send?key=k"))).await;
    org.report(app, db.now(), 2).await;
    // A worker claims the robot delivery and dies before it records the outcome.
    let claimed = app.claim_deliveries(1).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let id = claimed[0].delivery.id;
    let worker = Worker::new(app.clone(), notifier(&smtp, &robot), "w2");
    assert_eq!(worker.sweep().await.unwrap().sent, 0, "still leased to the dead worker");
    // After the lease the next sweep holds it in doubt instead of sending it again.
    db.advance(aftersales_app::notices::LEASE + jiff::SignedDuration::from_secs(1));
    assert_eq!(worker.sweep().await.unwrap().sent, 0);
    assert!(robot.requests().is_empty());
    let doubtful = app.deliveries(&org.admin, None, Some(DeliveryState::Uncertain)).await.unwrap();
    assert_eq!(doubtful.iter().map(|d| d.id).collect::<Vec<_>>(), [id]);
    assert_eq!(doubtful[0].log.iter().map(|l| l.outcome.code()).collect::<Vec<_>>(), ["uncertain"]);
    assert!(app.confirm_delivery(&org.desk, id, "").await.is_err(), "administrators only");
    // The robot's group never got it: the administrator sends it again; it arrives once.
    app.retry_delivery(&org.admin, id).await.unwrap();
    assert_eq!(worker.sweep().await.unwrap().sent, 1);
    assert_eq!(robot.requests().len(), 1);
    assert_eq!(worker.sweep().await.unwrap().sent, 0);
    let err = app.confirm_delivery(&org.admin, id, "").await.unwrap_err();
    assert_eq!(err.code(), "not_uncertain", "{err:?}");
    assert!(app.retry_delivery(&org.admin, 9_999_999).await.is_err());
});
