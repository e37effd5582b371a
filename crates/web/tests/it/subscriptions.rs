//! Report subscriptions (issue 15): subscribed over the API and the page, run at their hour
//! by the worker, mailed once with the Excel file (read back), posted to a group robot as
//! a summary with a link, skipped when the period is empty, never sent twice — not by a
//! second sweep, not after a sender stopped mid-send.

use std::io::Cursor;

use aftersales_domain::notice::ChannelKind;
use aftersales_testkit::app_test;
use axum::http::StatusCode;
use calamine::{Data, Reader, Xlsx};
use jiff::SignedDuration;
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::json;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A mail as read: its subject, its text, and its Excel attachments (name, bytes).
type Mail = (String, String, Vec<(String, Vec<u8>)>);

/// The mails to `to`.
fn mails_to(t: &aftersales_testkit::TestApp, to: &str) -> Vec<Mail> {
    t.mail()
        .iter()
        .filter(|m| m.rcpt_to.iter().any(|r| r.contains(to)))
        .map(|m| {
            let parsed = MessageParser::default().parse(&m.data).unwrap();
            let files = parsed
                .attachments()
                .filter(|a| {
                    a.content_type().is_some_and(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")) == XLSX)
                })
                .map(|a| (a.attachment_name().unwrap_or_default().to_owned(), a.contents().to_vec()))
                .collect();
            let text = parsed.body_text(0).unwrap_or_default().replace("\r\n", "\n");
            (parsed.subject().unwrap_or_default().to_owned(), text, files)
        })
        .collect()
}

/// Every text cell of the workbook's first sheet.
fn texts(xlsx: &[u8]) -> Vec<String> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx.to_vec())).expect("Excel opens it");
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    range.used_cells().filter_map(|(_, _, c)| if let Data::String(s) = c { Some(s.clone()) } else { None }).collect()
}

app_test!(a_daily_subscription_is_mailed_once_with_its_excel_file_and_skips_an_empty_day, |t| {
    let (app, org) = (t.app(), &t.org);
    let api = t.api(&org.supervisor).await;
    // Friday 2024-03-15 09:00: the first run is Saturday 08:00, for Friday.
    let res = api
        .post("/api/v1/subscriptions", &json!({"report": "daily-notices", "frequency": "daily", "channel": "email"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let id = res.body["id"].as_i64().unwrap();
    assert_eq!(res.body["next_run_at"], "2024-03-16T00:00:00Z", "08:00 in the service time zone");
    assert_eq!(res.body["hour"], 8);
    assert_eq!(res.body["report_name"], "每日未结案暨通告总表");

    // Friday: a repeat report, which the desk escalates to the project specialist.
    org.report(app, t.db.now(), 2).await;
    let numbers: Vec<String> = app
        .tickets(&org.admin, &Default::default())
        .await
        .unwrap()
        .items
        .iter()
        .map(|t| t.ticket.number.to_string())
        .collect();

    // Nothing before the hour.
    t.db.set("2024-03-16T07:59:00+08:00".parse::<jiff::Timestamp>().unwrap());
    t.work().await;
    assert!(mails_to(&t, "supervisor").is_empty());

    t.db.set("2024-03-16T08:00:00+08:00".parse::<jiff::Timestamp>().unwrap());
    // Two sweeps at once (two instances' workers): the period is made and sent once.
    tokio::join!(t.work(), t.work());
    let mails = mails_to(&t, "supervisor");
    assert_eq!(mails.len(), 1, "one mail for Friday");
    let (subject, text, files) = &mails[0];
    assert!(subject.contains("每日未结案暨通告总表") && subject.contains("2024-03-15"), "{subject}");
    assert!(text.contains("/reporting/daily-notices?from=2024-03-15&to=2024-03-15"), "{text}");
    assert_eq!(files.len(), 1, "the Excel file is attached");
    assert_eq!(files[0].0, "每日未结案暨通告总表_2024-03-15.xlsx");
    let cells = texts(&files[0].1);
    assert!(numbers.iter().any(|n| cells.contains(n)), "the file lists Friday's ticket: {cells:?} vs {numbers:?}");

    // Again: nothing more (the period ran).
    t.work().await;
    assert_eq!(mails_to(&t, "supervisor").len(), 1);

    // Saturday had nothing: Sunday's run is skipped and logged, no mail.
    t.db.set("2024-03-17T08:00:00+08:00".parse::<jiff::Timestamp>().unwrap());
    t.work().await;
    assert_eq!(mails_to(&t, "supervisor").len(), 1, "an empty day sends nothing");
    let list = api.get("/api/v1/subscriptions").await;
    let runs = list.body[0]["runs"].as_array().unwrap().clone();
    assert_eq!(runs.len(), 2, "{}", list.body);
    assert_eq!((runs[0]["from"].as_str(), runs[0]["state"].as_str()), (Some("2024-03-16"), Some("skipped")));
    assert_eq!((runs[1]["from"].as_str(), runs[1]["state"].as_str()), (Some("2024-03-15"), Some("sent")));
    assert_eq!(list.body[0]["next_run_at"], "2024-03-18T00:00:00Z");

    // The file that was sent can be downloaded again from the log.
    let run = runs[1]["id"].as_i64().unwrap();
    let file = api.get(&format!("/api/v1/subscription-runs/{run}/file")).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.headers["content-type"], XLSX);
    // Not by someone else.
    let other = t.api(&org.pm).await.get(&format!("/api/v1/subscription-runs/{run}/file")).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);

    // Unsubscribed: Monday's run does not happen.
    let res = api.post(&format!("/api/v1/subscriptions/{id}/cancellation"), &json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["active"], false);
    org.report(app, t.db.now(), 2).await;
    t.db.set("2024-03-19T08:00:00+08:00".parse::<jiff::Timestamp>().unwrap());
    t.work().await;
    assert_eq!(mails_to(&t, "supervisor").len(), 1);
    let again = api.post(&format!("/api/v1/subscriptions/{id}/cancellation"), &json!({})).await;
    assert_eq!(again.status, StatusCode::OK, "ending an ended subscription changes nothing");
});

app_test!(a_robot_gets_the_summary_and_link_and_a_send_cut_off_is_never_repeated, |t| {
    let (app, org) = (t.app(), &t.org);
    let input = aftersales_app::notices::TargetInput {
        kind: ChannelKind::WeCom,
        url: t.robot_url("/hooks/managers"),
        secret: None,
    };
    app.put_notify_target(&org.admin, "managers", &input).await.unwrap();
    let api = t.api(&org.data).await;
    let res = api
        .post(
            "/api/v1/subscriptions",
            &json!({"report": "daily-notices", "frequency": "daily", "hour": 9, "channel": "robot", "target": "managers"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    org.report(app, t.db.now(), 2).await;
    t.db.set("2024-03-16T09:00:00+08:00".parse::<jiff::Timestamp>().unwrap());
    t.work().await;
    let posts = t.robot_posts();
    assert_eq!(posts.len(), 1, "one post to the group");
    let text = posts[0].json()["text"]["content"].as_str().unwrap_or_default().to_owned();
    assert!(
        text.contains("每日未结案暨通告总表") && text.contains("/reporting/daily-notices?from=2024-03-15"),
        "{text}"
    );
    assert!(mails_to(&t, "data").is_empty(), "a robot subscription mails nothing");

    // A sender takes Saturday's run and stops before it says how the send went.
    org.report(app, t.db.now(), 2).await;
    t.db.set("2024-03-17T09:00:00+08:00".parse::<jiff::Timestamp>().unwrap());
    // The run is made (the job) …
    app.run_jobs::<aftersales_app::subscriptions::SubscriptionDue>("other", 10).await.unwrap();
    // … and claimed by a sender that then dies.
    let claimed = app.claim_report_sends(10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    t.db.advance(SignedDuration::from_mins(10));
    t.work().await;
    assert_eq!(t.robot_posts().len(), 1, "not sent again: it may have arrived");
    let list = api.get("/api/v1/subscriptions").await;
    assert_eq!(list.body[0]["runs"][0]["state"], "uncertain", "{}", list.body);
});

app_test!(a_subscription_names_what_is_wrong_with_it, |t| {
    let org = &t.org;
    let api = t.api(&org.supervisor).await;
    let cases = [
        (json!({"report": "nope", "frequency": "daily", "channel": "email"}), "report"),
        (json!({"report": "daily-notices", "frequency": "daily", "hour": 24, "channel": "email"}), "hour"),
        (json!({"report": "daily-notices", "frequency": "daily", "channel": "robot"}), "target"),
        (json!({"report": "daily-notices", "frequency": "daily", "channel": "robot", "target": "nobody"}), "target"),
    ];
    for (body, field) in cases {
        let res = api.post("/api/v1/subscriptions", &body).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", res.body);
        assert!(res.body["error"]["fields"][field].is_string(), "{body} names {field}: {}", res.body);
        assert_eq!(res.body["error"]["fields"].as_object().map(|f| f.len()), Some(1), "{}", res.body);
    }
    let res = api
        .post("/api/v1/subscriptions", &json!({"report": "daily-notices", "frequency": "hourly", "channel": "email"}))
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(res.body["error"]["fields"]["frequency"].as_str().is_some_and(|m| m.contains("weekly")), "{}", res.body);
    // A contact has no subscriptions; an engineer may not post reports to a group.
    let contact = t.api(&org.portal_window_a).await;
    let res = contact
        .post("/api/v1/subscriptions", &json!({"report": "daily-notices", "frequency": "daily", "channel": "email"}))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let input =
        aftersales_app::notices::TargetInput { kind: ChannelKind::WeCom, url: t.robot_url("/hooks/x"), secret: None };
    t.app().put_notify_target(&org.admin, "engineers", &input).await.unwrap();
    let eng = t.api(&org.eng_east).await;
    let res = eng
        .post(
            "/api/v1/subscriptions",
            &json!({"report": "daily-notices", "frequency": "daily", "channel": "robot", "target": "engineers"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert_eq!(api.get("/api/v1/subscriptions").await.body, json!([]), "nothing was stored");
});

app_test!(the_page_subscribes_lists_and_unsubscribes, |t| {
    let org = &t.org;
    let mut b = t.browser(&org.supervisor).await;
    let page = b.get("/subscriptions?report=monthly-service").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.html.contains("我的报表订阅") && page.html.contains(r#"value="monthly-service" selected"#),
        "{}",
        page.html
    );
    let csrf = page.csrf();
    let bad = b
        .post(
            "/subscriptions",
            &[
                ("csrf", &csrf),
                ("report", "monthly-service"),
                ("frequency", "monthly"),
                ("hour", "25"),
                ("channel", "email"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("0～23"), "{}", bad.html);
    let done = b
        .post(
            "/subscriptions",
            &[
                ("csrf", &csrf),
                ("report", "monthly-service"),
                ("frequency", "monthly"),
                ("hour", "7"),
                ("channel", "email"),
            ],
        )
        .await;
    let page = b.follow(&done).await;
    assert!(page.html.contains("已订阅") && page.html.contains("售后服务月度报告"), "{}", page.html);
    assert!(page.html.contains("2024-04-01 07:00"), "the next run, the 1st at 07:00: {}", page.html);
    // The same report by mail each month again: every report would come twice.
    let twice = b
        .post(
            "/subscriptions",
            &[
                ("csrf", &csrf),
                ("report", "monthly-service"),
                ("frequency", "monthly"),
                ("hour", "9"),
                ("channel", "email"),
            ],
        )
        .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", twice.html);
    assert!(twice.html.contains("已存在"), "{}", twice.html);
    assert_eq!(t.app().my_subscriptions(&org.supervisor).await.unwrap().len(), 1);
    let id = t.app().my_subscriptions(&org.supervisor).await.unwrap()[0].subscription.id;
    let done = b.post(&format!("/subscriptions/{id}/cancel"), &[("csrf", &csrf)]).await;
    let page = b.follow(&done).await;
    assert!(page.html.contains("已退订"), "{}", page.html);
});

app_test!(a_subscriber_who_may_no_longer_read_the_report_gets_nothing_and_the_schedule_goes_on, |t| {
    let (app, org) = (t.app(), &t.org);
    let api = t.api(&org.data).await;
    let res = api
        .post("/api/v1/subscriptions", &json!({"report": "weekly-engineers", "frequency": "daily", "channel": "email"}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    org.report(app, t.db.now(), 2).await;
    // The data specialist becomes a desk agent, who reads no management report.
    let change = aftersales_domain::user::UserUpdate {
        role: Some(aftersales_domain::role::Role::DeskAgent),
        ..Default::default()
    };
    app.update_user(&org.admin, org.data.id(), &change).await.unwrap();
    t.db.set("2024-03-16T08:00:00+08:00".parse::<jiff::Timestamp>().unwrap());
    t.work().await;
    assert!(mails_to(&t, "data1").is_empty(), "nothing is sent to someone who may no longer read it");
    let mine = t.api(&org.data).await.get("/api/v1/subscriptions").await;
    assert_eq!(mine.body[0]["runs"][0]["state"], "failed", "{}", mine.body);
    assert!(mine.body[0]["runs"][0]["detail"].as_str().is_some_and(|d| d.contains("no longer")), "{}", mine.body);
    assert_eq!(mine.body[0]["next_run_at"], "2024-03-17T00:00:00Z", "the schedule goes on");

    // A run whose every attempt failed still queues the next period (the job's `after_dead`).
    use aftersales_app::jobs::BackgroundJob as _;
    let job = aftersales_app::subscriptions::SubscriptionDue {
        subscription: 1,
        from: "2024-03-31".parse().unwrap(),
        to: "2024-03-31".parse().unwrap(),
        at: "2024-04-01T08:00:00+08:00".parse().unwrap(),
        frequency: aftersales_domain::subscription::Frequency::Monthly,
        hour: 8,
        tz: "Asia/Shanghai".into(),
    };
    assert!(job.then(t.db.now()).is_none(), "a run that went through queued its next itself");
    let (next, at) = job.after_dead(t.db.now()).expect("a next period");
    assert_eq!((next.from.to_string(), next.to.to_string()), ("2024-04-01".to_owned(), "2024-04-30".to_owned()));
    assert_eq!(at, "2024-05-01T08:00:00+08:00".parse::<jiff::Timestamp>().unwrap());
});
