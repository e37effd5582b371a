//! Three `aftersales serve` instances on one PostgreSQL database (issue 18): 24 clients
//! spread over them register at once; the ticket numbers are unique and gap-free per day,
//! a session made on one instance is valid on the others, sign-in failures are counted
//! across instances, and every repeat-report notice is raised and delivered once although
//! each instance runs its own worker.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aftersales_app::notices::TargetInput;
use aftersales_app::{App, Settings};
use aftersales_domain::notice::{ChannelKind, NoticeKind, Route};
use aftersales_storage::Store;
use aftersales_testkit::http_sink::HttpSink;
use aftersales_testkit::{Org, eventually};
use serde_json::Value;

use crate::server::{Server, command, free_port, postgres_schema, sign_in, temp_dir};

const HOOK_SECRET: &str = "cluster-test-secret-0123456789";

/// The instances, killed if the test fails before it stops them (else they would hold
/// their database connections after it).
struct Instances(Vec<Server>);

impl Drop for Instances {
    fn drop(&mut self) {
        for s in &mut self.0 {
            let _ = s.child.kill();
            let _ = s.child.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_on_postgresql_share_numbers_sessions_throttling_and_notices() {
    let Some(pg) = postgres_schema("cluster").await else { return };
    let url = pg.url.clone();

    // The organization, made through the library on the database the instances open; its
    // repeat reports go to a webhook, so that each delivery can be counted at the receiver.
    let hook = HttpSink::start().await;
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let app = App::new(store.clone(), Settings { email: false, ..Settings::default() });
    app.ensure_defaults().await.unwrap();
    let org = Org::create(&app).await;
    let target = TargetInput { kind: ChannelKind::Webhook, url: hook.url("/hook"), secret: Some(HOOK_SECRET.into()) };
    app.put_notify_target(&org.admin, "ops-hook", &target).await.unwrap();
    let route = Route {
        kind: NoticeKind::RepeatReport,
        audiences: Vec::new(),
        channels: Vec::new(),
        targets: vec!["ops-hook".into()],
        enabled: true,
        wording: None,
    };
    app.put_notice_route(&org.admin, &route).await.unwrap();
    let token = app.create_token(None, org.desk.id(), "cluster").await.unwrap();
    let hash = aftersales_app::users::hash_password(aftersales_testkit::PASSWORD).unwrap();
    aftersales_storage::sessions::set_password_hash(store.read(), org.desk.id(), &hash).await.unwrap();
    let desk = org.desk.user.username.clone();
    drop(app);

    let dir = temp_dir("cluster");
    std::fs::write(dir.join("aftersales.toml"), "[webhooks]\nallowed_hosts = [\"127.0.0.1\"]\ntimeout_secs = 5\n")
        .unwrap();
    // Eight connections each: the three fit beside the other tests in PostgreSQL's 100.
    let mut servers = Instances(Vec::new());
    for _ in 0..3 {
        let port = free_port();
        let mut c = command(&dir, &["serve"]);
        c.env("AFTERSALES_LISTEN", format!("127.0.0.1:{port}"))
            .env("AFTERSALES_DEMO", "false")
            .env("AFTERSALES_DATABASE_MAX_CONNECTIONS", "8")
            .env("AFTERSALES_DATABASE_URL", &url);
        servers.0.push(Server::start_with(&dir, port, c).await);
    }
    let bases: Vec<String> = servers.0.iter().map(|s| s.base.clone()).collect();

    // 24 clients, eight on each instance, 10 registrations each, of the same device and
    // fault: every ticket after the first is a repeat report.
    let occurred = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1)).to_string();
    let mut body = serde_json::to_value(org.registration(jiff::Timestamp::now())).unwrap();
    body["occurred_at"] = Value::String(occurred);
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let (client, base, token, body) = (client.clone(), bases[i % 3].clone(), token.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut numbers = Vec::new();
            for _ in 0..10 {
                let r =
                    client.post(format!("{base}/api/v1/tickets")).bearer_auth(&token).json(&body).send().await.unwrap();
                let status = r.status().as_u16();
                let t: Value = r.json().await.unwrap();
                assert_eq!(status, 201, "{t}");
                numbers.push(t["number"].as_str().unwrap().to_owned());
            }
            numbers
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.extend(t.await.unwrap());
    }
    assert_eq!(numbers.len(), 240);
    let distinct: BTreeSet<&String> = numbers.iter().collect();
    assert_eq!(distinct.len(), 240, "a number was given twice");
    // Gap-free per day: with whatever the fixture registered, the day's numbers are 1..=n.
    let mut per_day: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for page in 1.. {
        let url = format!("{}/api/v1/tickets?per_page=200&page={page}", bases[page % 3]);
        let listed: Value = client.get(url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let items = listed["items"].as_array().unwrap();
        for t in items {
            let (day, seq) = t["number"].as_str().unwrap().split_once('-').unwrap();
            per_day.entry(day.to_owned()).or_default().push(seq.parse().unwrap());
        }
        if items.len() < 200 {
            break;
        }
    }
    assert!(per_day.values().map(Vec::len).sum::<usize>() >= 240);
    for (day, mut seqs) in per_day {
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=seqs.len() as u32).collect::<Vec<_>>(), "day {day} has a gap or a repeat");
    }

    // A session made on one instance is valid on the others.
    let cookie = sign_in(&bases[0], &desk, aftersales_testkit::PASSWORD).await.expect("the desk signs in");
    for base in &bases[1..] {
        let r = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(format!("{base}/me"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "the session from one instance is refused on {base}");
    }
    // Five wrong passwords spread over the instances lock the account on all of them.
    for i in 0..5 {
        assert!(sign_in(&bases[i % 3], &desk, "wrong-password").await.is_none());
    }
    for base in &bases {
        assert!(sign_in(base, &desk, aftersales_testkit::PASSWORD).await.is_none(), "{base} let the locked account in");
    }

    // Every repeat report raised once and delivered once, whichever instance's worker sent it.
    let filter = aftersales_storage::notices::NoticeFilter { limit: 1_000_000, ..Default::default() };
    let notices: Vec<String> = aftersales_storage::notices::list_notices(store.read(), &filter)
        .await
        .unwrap()
        .0
        .into_iter()
        .filter(|n| n.kind == NoticeKind::RepeatReport)
        .map(|n| n.key)
        .collect();
    assert_eq!(notices.len(), 239, "every registration after the first is a repeat report");
    assert_eq!(notices.iter().collect::<BTreeSet<_>>().len(), notices.len());
    // Each notice has one delivery, sent by whichever instance's worker claimed it, and the
    // receiver has every one of them. (That no attempt is ever repeated is the three-worker
    // test's to show; here a webhook retry after a slow answer on a loaded machine is no
    // failure.)
    let expected: BTreeSet<String> = notices.iter().cloned().collect();
    eventually(Duration::from_secs(120), "every repeat report delivered", async || {
        // A webhook's key is the delivery's: the notice key, the channel and the target.
        let got: BTreeSet<String> = hook
            .requests()
            .iter()
            .filter_map(|r| r.json()["key"].as_str()?.strip_suffix("/webhook/ops-hook").map(str::to_owned))
            .collect();
        if got == expected { Ok(()) } else { Err(format!("{} of {} delivered", got.len(), expected.len())) }
    })
    .await;
    let deliveries = aftersales_storage::notices::deliveries(store.read(), None, None, 1_000_000).await.unwrap();
    assert_eq!(deliveries.len(), notices.len(), "one delivery per notice");
    assert!(deliveries.iter().all(|d| d.state == aftersales_domain::notice::DeliveryState::Sent), "{deliveries:?}");
    for server in std::mem::take(&mut servers.0) {
        server.stop();
    }
    store.close().await.unwrap();
    pg.drop_schema().await;
    let _ = std::fs::remove_dir_all(&dir);
}
