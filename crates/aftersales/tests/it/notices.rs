//! Notices through the real binary (issue 4): `kill -9` of `aftersales serve` while it is
//! sending loses no notice and repeats none (the delivery in flight is held in doubt until an
//! administrator confirms it arrived or sends it again); three
//! `aftersales worker` processes on one PostgreSQL database deliver 1,000 notices exactly once.
//!
//! The data is prepared through the library on the database file (or schema) the binary then
//! opens, with the test clock in March 2024, so every deadline the tickets watch is long past
//! by the real clock the binary runs on.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aftersales_app::notices::TargetInput;
use aftersales_app::tickets::{Command, StepOutcome};
use aftersales_app::{Actor, App, Settings};
use aftersales_domain::Timestamp;
use aftersales_domain::notice::{ChannelKind, Delivery, DeliveryState, Notice, NoticeKind, Route, default_routes};
use aftersales_domain::ticket::Ticket;
use aftersales_storage::notices::{self as store, NoticeFilter};
use aftersales_storage::{Conn, Store};
use aftersales_testkit::http_sink::{HttpSink, Reply};
use aftersales_testkit::smtp_sink::SmtpSink;
use aftersales_testkit::{Org, eventually, throughout};
use serde_json::Value;

use crate::server::{Server, command, free_port, run, temp_dir};

const ROBOT_OK: &str = r#"{"errcode":0,"errmsg":"ok"}"#;
const HOOK_SECRET: &str = "notices-test-secret-0123456789";
const MAIL_DOMAIN: &str = "example.com";

/// When the tickets are registered, accepted and graded: the testkit's Friday morning in 2024.
fn start() -> Timestamp {
    jiff::Zoned::strptime("%Y-%m-%dT%H:%M:%S%:z", aftersales_testkit::START).unwrap().timestamp()
}

/// An app on `store` whose clock stands at [`start`].
fn app_at_start(store: Store, email: bool) -> App {
    let t = start();
    App::new(store, Settings { email, ..Settings::default() }).with_clock(Arc::new(move || t))
}

async fn step(app: &App, actor: &Actor, t: &Ticket, cmd: Command) -> Ticket {
    let o: StepOutcome = app.act(actor, t.id, Some(t.version), &cmd, None).await.unwrap().into_value().unwrap();
    o.ticket.ticket
}

/// `n` tickets registered, accepted and graded P1 at [`start`]. They name no device, so none
/// is a repeat report: every notice comes from a due job.
async fn p1_tickets(app: &App, org: &Org, n: usize) -> Vec<Ticket> {
    tickets(app, org, n, true).await
}

/// `n` tickets registered and accepted at [`start`], graded P1 when `grade`.
async fn tickets(app: &App, org: &Org, n: usize, grade: bool) -> Vec<Ticket> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut r = org.registration(start());
        r.device_serial = None;
        r.device_model = Some("bizhub C300i".into());
        r.description = Some(format!("第 {i} 台复印机第二纸盒卡纸，面板报警 J-7012，取出后仍反复出现"));
        let t = app.register(&org.desk, &r, None).await.unwrap().into_value().unwrap().ticket;
        let t = step(app, &org.desk, &t, Command::Accept).await;
        let t = if grade {
            step(app, &org.desk, &t, Command::Grade { level: "P1".into(), reason: "产线停机".into() }).await
        } else {
            t
        };
        out.push(t);
    }
    out
}

async fn all_deliveries<C: Conn>(conn: &C) -> Vec<Delivery> {
    store::deliveries(conn, None, None, 1_000_000).await.unwrap()
}

async fn all_notices<C: Conn>(conn: &C) -> Vec<Notice> {
    store::list_notices(conn, &NoticeFilter { limit: 1_000_000, ..NoticeFilter::default() }).await.unwrap().0
}

/// The key a delivery carries, as the worker builds it: the notice key, channel and target
/// (e-mail `X-Aftersales-Notice`, webhook `Idempotency-Key` and `key`).
fn delivery_key(notices: &BTreeMap<i64, Notice>, d: &Delivery) -> String {
    format!("{}/{}/{}", notices[&d.notice_id].key, d.channel.code(), d.target)
}

/// Header `name` of a mail as transmitted, unfolded (RFC 5322 §2.2.3).
fn mail_header(data: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(data);
    let head = text.split("\r\n\r\n").next().unwrap_or_default().replace("\r\n ", " ").replace("\r\n\t", " ");
    head.split("\r\n").find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
    })
}

fn ansi_stripped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

async fn wait_for(what: &str, timeout: Duration, mut done: impl AsyncFnMut() -> bool, log: &Path) {
    eventually(timeout, what, async || {
        if done().await {
            Ok(())
        } else {
            Err(format!("log {}:\n{}", log.display(), std::fs::read_to_string(log).unwrap_or_default()))
        }
    })
    .await;
}

/// What the sinks received, one key per arrival, in arrival order per sink.
struct Arrivals {
    mail: Vec<String>,
    /// Robot and webhook posts.
    http: Vec<String>,
}

/// Reads the key of every mail and post. A mail carries its key in `X-Aftersales-Notice`
/// (and `Message-ID` is derived from it); the generic webhook in `Idempotency-Key` and its
/// body; the WeCom robot text carries no key, but its first line is the notice's subject,
/// and only response timeouts (one per ticket, whose number the subject names) go to it.
fn arrivals(smtp: &SmtpSink, http: &HttpSink, notices: &BTreeMap<i64, Notice>) -> Arrivals {
    let mail = smtp
        .received()
        .iter()
        .map(|m| {
            let key = mail_header(&m.data, "X-Aftersales-Notice").expect("X-Aftersales-Notice header");
            let id = mail_header(&m.data, "Message-ID").expect("Message-ID header");
            assert_eq!(id, aftersales_notify::message_id(&key, MAIL_DOMAIN), "Message-ID of {key}");
            key
        })
        .collect();
    let robot_subjects: BTreeMap<String, &Notice> =
        notices.values().filter(|n| n.kind == NoticeKind::ResponseTimeout).map(|n| (n.subject_zh.clone(), n)).collect();
    let http = http
        .requests()
        .iter()
        .map(|r| {
            if r.uri.path() == "/hook" {
                let key = r.header("Idempotency-Key").to_owned();
                assert_eq!(r.json()["key"].as_str(), Some(key.as_str()));
                key
            } else {
                let text = r.json()["text"]["content"].as_str().unwrap().to_owned();
                let subject = text.lines().next().unwrap_or_default();
                match robot_subjects.get(subject) {
                    Some(n) => format!("{}/wecom/ops-wecom", n.key),
                    None => format!("unknown robot text {text:?}"),
                }
            }
        })
        .collect();
    Arrivals { mail, http }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_sending_loses_no_notice_and_repeats_none() {
    let began = Instant::now();
    const TICKETS: usize = 40;
    let dir = temp_dir("notices_crash");
    let (smtp, http) = (SmtpSink::start().await, HttpSink::start().await);
    // Every robot and webhook post is answered 150 ms after it arrived: the worker sends one
    // delivery at a time, so a kill right after an arrival finds that post sent but not yet
    // recorded — the at-least-once window.
    http.reply_with(Reply { delay: Some(Duration::from_millis(150)), ..Reply::json(200, ROBOT_OK) });
    std::fs::write(
        dir.join("aftersales.toml"),
        format!(
            "demo = false\n\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nfrom = \"售后服务台 <desk@{MAIL_DOMAIN}>\"\ntimeout_secs = 5\n\n[webhooks]\nallowed_hosts = [\"127.0.0.1\"]\ntimeout_secs = 5\n",
            smtp.addr.port()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("data")).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("data").join("aftersales.db").display());

    // The organization, 40 overdue P1 tickets, and response timeouts routed to the people by
    // e-mail, to a WeCom robot and to a generic webhook.
    let tickets = {
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let app = app_at_start(store.clone(), true);
        app.ensure_defaults().await.unwrap();
        let org = Org::create(&app).await;
        let robot =
            TargetInput { kind: ChannelKind::WeCom, url: http.url("/cgi-bin/webhook/send?key=k1"), secret: None };
        app.put_notify_target(&org.admin, "ops-wecom", &robot).await.unwrap();
        let hook = TargetInput { kind: ChannelKind::Webhook, url: http.url("/hook"), secret: Some(HOOK_SECRET.into()) };
        app.put_notify_target(&org.admin, "ops-hook", &hook).await.unwrap();
        let route = Route {
            kind: NoticeKind::ResponseTimeout,
            audiences: vec![aftersales_domain::notice::Audience::Supervisor],
            channels: vec![ChannelKind::Email],
            targets: vec!["ops-wecom".into(), "ops-hook".into()],
            enabled: true,
            wording: None,
        };
        app.put_notice_route(&org.admin, &route).await.unwrap();
        let tickets = p1_tickets(&app, &org, TICKETS).await;
        drop(app);
        store.close().await.unwrap();
        tickets
    };
    let out = run(&dir, &["token", "create", "--username", "admin"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    // The server's worker runs the due jobs, then sends; it is killed the moment a post
    // arrives, a few posts in.
    let port = free_port();
    let log = dir.join(format!("server-{port}.log"));
    let server = Server::start(&dir, port, false).await;
    wait_for("the first robot and webhook posts", Duration::from_secs(60), async || http.requests().len() >= 6, &log)
        .await;
    let seen = http.requests().len();
    eventually(Duration::from_secs(10), "the next post (sending stalled)", async || {
        if http.requests().len() > seen { Ok(()) } else { Err(format!("still {seen} posts")) }
    })
    .await;
    server.kill9();
    let (mail_at_kill, http_at_kill) = (smtp.received().len(), http.requests().len());

    // What the dead worker left: the one delivery it was sending (claimed just before the
    // send, under a lease of 120 s), whose post had reached the sink.
    let store = Store::connect(&url).await.unwrap();
    let at_kill = all_deliveries(store.read()).await;
    let notices: BTreeMap<i64, Notice> = all_notices(store.read()).await.into_iter().map(|n| (n.id, n)).collect();
    let in_flight: Vec<&Delivery> = at_kill.iter().filter(|d| d.state == DeliveryState::Sending).collect();
    let sent_at_kill = at_kill.iter().filter(|d| d.state == DeliveryState::Sent).count();
    assert_eq!(in_flight.len(), 1, "one delivery is claimed at a time, just before it is sent");
    let in_flight_key = delivery_key(&notices, in_flight[0]);
    let before_kill = arrivals(&smtp, &http, &notices);
    assert!(
        before_kill.mail.iter().chain(&before_kill.http).any(|k| *k == in_flight_key),
        "the post in flight at the kill had arrived"
    );
    // Stands in for waiting out the lease (aftersales_app::notices::LEASE, 2 minutes): the dead
    // worker's claim ends now, as it would two minutes after the kill.
    let expired = store
        .read()
        .execute_unprepared("UPDATE deliveries SET lease_until = 0 WHERE state = 'sending'")
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(expired, 1);
    // Jobs are taken and recorded in one transaction, so a kill leaves none half-done.
    let running = store
        .read()
        .execute_unprepared("UPDATE jobs SET lease_until = 0 WHERE state = 'running'")
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(running, 0, "no job is left claimed");
    store.close().await.unwrap();

    // After the restart everything else is sent; the one in flight is in doubt, not resent.
    let port = free_port();
    let log = dir.join(format!("server-{port}.log"));
    let server = Server::start(&dir, port, false).await;
    let store = Store::connect(&url).await.unwrap();
    let settled = async || {
        for t in &tickets {
            if !store::pending_jobs(store.read(), t.id).await.unwrap().is_empty() {
                return false;
            }
        }
        all_deliveries(store.read())
            .await
            .iter()
            .all(|d| matches!(d.state, DeliveryState::Sent | DeliveryState::Uncertain))
    };
    wait_for("every delivery to be sent or in doubt after the restart", Duration::from_secs(90), settled, &log).await;
    let client = reqwest::Client::new();
    let api = |path: &str| format!("{}/api/v1{path}", server.base);
    let doubtful: Vec<Value> =
        client.get(api("/deliveries?state=uncertain")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(doubtful.len(), 1, "{doubtful:?}");
    assert_eq!(doubtful[0]["id"].as_i64(), Some(in_flight[0].id));
    let log_lines: Vec<&str> =
        doubtful[0]["log"].as_array().unwrap().iter().map(|l| l["outcome"].as_str().unwrap()).collect();
    assert_eq!(log_lines, ["uncertain"]);

    // The administrator looks at the receiver, finds the message there, and says so.
    let seen_there = arrivals(&smtp, &http, &notices);
    assert!(seen_there.mail.iter().chain(&seen_there.http).any(|k| *k == in_flight_key));
    let r = client
        .post(api(&format!("/deliveries/{}/confirm", in_flight[0].id)))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "note": "seen in the group chat" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let confirmed: Value = r.json().await.unwrap();
    assert_eq!(confirmed["state"], "sent");
    assert_eq!(confirmed["log"].as_array().unwrap().last().unwrap()["outcome"], "confirmed");
    // Confirming twice, or a delivery that does not exist, is refused by name.
    let again = client
        .post(api(&format!("/deliveries/{}/confirm", in_flight[0].id)))
        .bearer_auth(&token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 409);
    let unknown = client
        .post(api("/deliveries/999999/confirm"))
        .bearer_auth(&token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);

    // The administrator's view through the API: everything sent, nothing else.
    let mut by_state = BTreeMap::new();
    for state in ["pending", "sending", "sent", "dead", "uncertain"] {
        let r = client.get(api(&format!("/deliveries?state={state}"))).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{state}");
        by_state.insert(state, r.json::<Vec<Value>>().await.unwrap().len());
    }
    server.stop();

    let deliveries = all_deliveries(store.read()).await;
    let notice_list = all_notices(store.read()).await;
    let notices: BTreeMap<i64, Notice> = notice_list.iter().map(|n| (n.id, n.clone())).collect();
    assert_eq!(by_state["sent"], deliveries.len().min(500), "{by_state:?}");
    assert_eq!(
        (by_state["pending"], by_state["sending"], by_state["dead"], by_state["uncertain"]),
        (0, 0, 0, 0),
        "{by_state:?}"
    );
    let expected: BTreeSet<String> = deliveries.iter().map(|d| delivery_key(&notices, d)).collect();
    assert_eq!(expected.len(), deliveries.len(), "each delivery has its own key");
    let timeouts = notice_list.iter().filter(|n| n.kind == NoticeKind::ResponseTimeout).count();
    assert_eq!(timeouts, TICKETS, "one response timeout per ticket");

    // Counted at the sinks: every delivery arrived, and arrived once.
    let got = arrivals(&smtp, &http, &notices);
    let raw = got.mail.len() + got.http.len();
    let distinct: BTreeSet<String> = got.mail.iter().chain(&got.http).cloned().collect();
    let unknown: Vec<&String> = distinct.difference(&expected).collect();
    assert!(unknown.is_empty(), "keys that are no recorded delivery (a new notice?): {unknown:?}");
    let missing: Vec<&String> = expected.difference(&distinct).collect();
    assert!(missing.is_empty(), "deliveries that never arrived: {missing:?}");
    assert_eq!(raw, deliveries.len(), "a delivery arrived twice");
    assert_eq!(distinct.len(), deliveries.len());

    // Notices are unique by key and each is on its ticket's history once.
    let keys: BTreeSet<&str> = notice_list.iter().map(|n| n.key.as_str()).collect();
    assert_eq!(keys.len(), notice_list.len(), "duplicate notice keys");
    for t in &tickets {
        let mut recorded: BTreeMap<String, usize> = BTreeMap::new();
        for n in notice_list.iter().filter(|n| n.ticket_id == t.id) {
            *recorded.entry(n.kind.code().to_owned()).or_default() += 1;
        }
        let mut history: BTreeMap<String, usize> = BTreeMap::new();
        for e in aftersales_storage::tickets::events(store.read(), t.id).await.unwrap() {
            if e.action == "notice" {
                *history.entry(e.changes[0].after.as_str().unwrap().to_owned()).or_default() += 1;
            }
        }
        assert_eq!(history, recorded, "history of ticket {}", t.number);
        assert!(store::pending_jobs(store.read(), t.id).await.unwrap().is_empty(), "jobs left for {}", t.number);
    }
    store.close().await.unwrap();
    eprintln!(
        "crash test: {} notices, {} deliveries ({} e-mail, {} robot/webhook); at the kill {} sent, 1 in flight \
         ({in_flight_key}), {} arrivals ({mail_at_kill} mails, {http_at_kill} posts); after the restart and the \
         administrator's confirmation {raw} raw arrivals, {} distinct keys; {:.1} s",
        notice_list.len(),
        deliveries.len(),
        deliveries.iter().filter(|d| d.channel == ChannelKind::Email).count(),
        deliveries.iter().filter(|d| d.channel != ChannelKind::Email).count(),
        sent_at_kill,
        mail_at_kill + http_at_kill,
        distinct.len(),
        began.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `aftersales worker` processes, stopped (SIGKILL) if the test fails before it stops them.
struct Workers(Vec<(String, Child)>);

impl Workers {
    fn stop(&mut self) {
        for (_, child) in &mut self.0 {
            let _ = std::process::Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        }
        for (name, child) in &mut self.0 {
            let status = child.wait().unwrap();
            assert!(status.success(), "worker {name} exited with {status}");
        }
        self.0.clear();
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for (_, child) in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The `sent=` totals of a worker's sweep log lines.
fn sent_in_log(log: &Path) -> usize {
    ansi_stripped(&std::fs::read_to_string(log).unwrap_or_default())
        .lines()
        .filter(|l| l.contains(" sweep"))
        .filter_map(|l| {
            l.split_whitespace().find_map(|w| w.strip_prefix("sent=")).and_then(|n| n.parse::<usize>().ok())
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_on_postgresql_deliver_1000_notices_exactly_once() {
    const NOTICES: usize = 1000;
    let began = Instant::now();
    let base = aftersales_testkit::postgres_url();
    let admin = match Store::connect(&base).await {
        Ok(s) => s,
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("PostgreSQL tests must run in CI but {base} is unreachable: {e}");
            }
            eprintln!("SKIPPED PostgreSQL multi-worker test: {base} unreachable ({e})");
            return;
        }
    };
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let schema = format!("notices_mw_{}_{nanos}", std::process::id());
    admin.read().execute_unprepared(&format!("CREATE SCHEMA {schema}")).await.unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options[search_path]={schema}");

    // Every notice type goes to the in-app inbox and one generic webhook: one delivery each.
    let sink = HttpSink::start().await;
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let app = app_at_start(store.clone(), false);
    app.ensure_defaults().await.unwrap();
    let org = Org::create(&app).await;
    let hook = TargetInput { kind: ChannelKind::Webhook, url: sink.url("/hook"), secret: Some(HOOK_SECRET.into()) };
    app.put_notify_target(&org.admin, "ops-hook", &hook).await.unwrap();
    // What steps tell the customer at once is off here: this counts what due jobs raise.
    for r in default_routes() {
        let enabled = !r.kind.is_customer_facing();
        let route = Route { channels: vec![ChannelKind::InApp], targets: vec!["ops-hook".into()], enabled, ..r };
        app.put_notice_route(&org.admin, &route).await.unwrap();
    }
    // Exactly 1,000 jobs wait, each raising one notice: overdue P1 tickets (every clock's
    // reminders, the response deadline, end of day, three days) and, to make up the count,
    // tickets accepted but not graded yet (end of day, three days).
    let jobs_of = async |t: &Ticket| store::pending_jobs(store.read(), t.id).await.unwrap().len();
    let mut tickets = p1_tickets(&app, &org, 1).await;
    let accepted = self::tickets(&app, &org, 1, false).await;
    let (per_p1, per_accepted) = (jobs_of(&tickets[0]).await, jobs_of(&accepted[0]).await);
    let p1 = (1..=NOTICES / per_p1)
        .rev()
        .find(|p1| (NOTICES - p1 * per_p1).is_multiple_of(per_accepted) && NOTICES - p1 * per_p1 >= per_accepted)
        .unwrap();
    tickets.extend(p1_tickets(&app, &org, p1 - 1).await);
    tickets.extend(accepted);
    tickets.extend(self::tickets(&app, &org, (NOTICES - p1 * per_p1) / per_accepted - 1, false).await);
    let mut jobs = 0;
    for t in &tickets {
        jobs += jobs_of(t).await;
    }
    assert_eq!(jobs, NOTICES);
    assert!(all_notices(store.read()).await.is_empty(), "no notice before the workers run");
    drop(app);
    let prepared = began.elapsed();

    // The jobs are held back until the three workers are up, then fall due in 50 steps over
    // five seconds, as deadlines do while workers run (instead of all being due before the
    // first worker starts, which would leave them to whichever starts first).
    store.read().execute_unprepared("UPDATE jobs SET due_at = 9000000000000 WHERE state = 'pending'").await.unwrap();
    let dir = temp_dir("notices_workers");
    std::fs::write(dir.join("aftersales.toml"), "[webhooks]\nallowed_hosts = [\"127.0.0.1\"]\ntimeout_secs = 5\n")
        .unwrap();
    let names = ["w1", "w2", "w3"];
    let mut workers = Workers(Vec::new());
    for name in names {
        let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
        let child = command(&dir, &["worker", "--name", name])
            .env("AFTERSALES_DATABASE_URL", &url)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        workers.0.push((name.to_owned(), child));
    }
    for name in names {
        let log = dir.join(format!("{name}.log"));
        let ready = format!("aftersales worker {name} running");
        wait_for(
            &format!("worker {name} to start"),
            Duration::from_secs(60),
            async || std::fs::read_to_string(&log).unwrap_or_default().contains(&ready),
            &log,
        )
        .await;
    }
    let release = Timestamp::now().as_millisecond() + 500;
    store
        .read()
        .execute_unprepared(&format!(
            "UPDATE jobs SET due_at = {release} + (id % 50) * 100 WHERE state = 'pending' AND due_at = 9000000000000"
        ))
        .await
        .unwrap();
    let released = Instant::now();
    wait_for(
        "1,000 deliveries sent",
        Duration::from_secs(100),
        async || {
            let all = all_deliveries(store.read()).await;
            all.len() == NOTICES && all.iter().all(|d| d.state == DeliveryState::Sent)
        },
        &dir.join("w1.log"),
    )
    .await;
    let took = released.elapsed();
    // A moment for any stray repeat to show before the workers stop.
    throughout(Duration::from_millis(1500), "one request per notice at the sink", async || {
        let n = sink.requests().len();
        if n == NOTICES { Ok(()) } else { Err(format!("{n} requests")) }
    })
    .await;
    workers.stop();

    let notices = all_notices(store.read()).await;
    assert_eq!(notices.len(), NOTICES);
    let keys: BTreeSet<&str> = notices.iter().map(|n| n.key.as_str()).collect();
    assert_eq!(keys.len(), NOTICES, "notice keys are unique");
    let by_id: BTreeMap<i64, Notice> = notices.iter().map(|n| (n.id, n.clone())).collect();
    let deliveries = all_deliveries(store.read()).await;
    assert_eq!(deliveries.len(), NOTICES);
    assert!(deliveries.iter().all(|d| d.state == DeliveryState::Sent && d.attempts == 1), "one attempt each");
    let expected: BTreeSet<String> = deliveries.iter().map(|d| delivery_key(&by_id, d)).collect();
    assert_eq!(expected.len(), NOTICES, "one delivery per notice");

    let posts = sink.requests();
    let got: Vec<String> = posts
        .iter()
        .map(|r| {
            let key = r.header("Idempotency-Key").to_owned();
            let ts: u64 = r.header("X-Aftersales-Timestamp").parse().unwrap();
            let sig = aftersales_notify::webhook::signature(HOOK_SECRET, ts, &r.body);
            assert_eq!(r.header("X-Aftersales-Signature"), sig, "signature of {key}");
            key
        })
        .collect();
    let distinct: BTreeSet<String> = got.iter().cloned().collect();
    assert_eq!(posts.len(), NOTICES, "requests at the sink");
    assert_eq!(distinct, expected, "one request per delivery, by key");

    // Which worker ran which notice checks (the hourly housekeeping is jobs too). PostgreSQL's
    // command tag carries a SELECT's row count.
    let mut split = BTreeMap::new();
    for name in names {
        let n = store
            .read()
            .execute_unprepared(&format!(
                "SELECT 1 FROM jobs WHERE state = 'done' AND kind = 'notice_check' AND locked_by = '{name}'"
            ))
            .await
            .unwrap()
            .rows_affected();
        split.insert(name, (n, sent_in_log(&dir.join(format!("{name}.log")))));
    }
    assert_eq!(split.values().map(|(jobs, _)| *jobs as usize).sum::<usize>(), NOTICES, "{split:?}");
    let working = split.values().filter(|(jobs, _)| *jobs > 0).count();
    assert!(working >= 2, "only one worker ran jobs: {split:?}");
    eprintln!(
        "multi-worker test: {NOTICES} notices over {} tickets ({p1} P1 with {per_p1} jobs, the rest accepted with \
         {per_accepted}), prepared in {:.1} s, \
         all sent {:.1} s after release; {} requests, {} distinct keys; (jobs, sent) per worker: {split:?}; {:.1} s",
        tickets.len(),
        prepared.as_secs_f64(),
        took.as_secs_f64(),
        posts.len(),
        distinct.len(),
        began.elapsed().as_secs_f64()
    );

    store.close().await.unwrap();
    admin.read().execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE")).await.unwrap();
    admin.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
