//! `aftersales bench lists`: every ticket list filter and sort of the API and the board on a
//! database of a million tickets, 8 clients at once (issue 18: under 20 ms at p95, with
//! the count bounded), and the server's start-up time and memory on that database.
//!
//! The demo organization is made through the use cases; one of its tickets in progress is
//! then copied `--tickets` times over a year (`storage::bulk::spread_tickets`): spread over
//! the demo's customers, engineers, groups and levels, one in ten open (with a due instant,
//! about one in seven of those overdue) and spread through the year, the rest closed. The
//! server is then started as a separate `aftersales serve` process on that database (so its
//! start-up and resident memory are its own), and the clients request each list through
//! the API (a dispatcher's bearer token) and the board (a dispatcher's session), with the
//! filter's value (customer, engineer, group, region, level, week, page) drawn at random
//! for each request.

use std::process::Stdio;
use std::time::{Duration, Instant};

use aftersales_app::users::Page;
use aftersales_app::{App, Settings};
use aftersales_domain::role::Role;
use aftersales_storage::Store;
use aftersales_storage::bulk::{self, Spread, Vacuum};
use anyhow::{Context, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{Scratch, app_err, ms, percentile};

#[derive(Debug, clap::Args)]
pub struct ListsArgs {
    /// Tickets added in bulk to the demo's (one in ten open).
    #[arg(long, default_value_t = 1_000_000)]
    pub tickets: u64,
    /// Measured requests of each list (after 16 to warm up), spread over the clients.
    #[arg(long, default_value_t = 400)]
    pub requests: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    pub clients: usize,
    /// Database: default a new SQLite file in a temporary directory; or a postgres://… URL (a
    /// fresh schema is created in it and dropped afterwards).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Keep the database afterwards (its path or schema is printed), to study its queries.
    #[arg(long)]
    pub keep: bool,
}

pub async fn lists(args: ListsArgs) -> anyhow::Result<()> {
    if args.requests == 0 || args.clients == 0 || args.tickets == 0 || args.tickets > 20_000_000 {
        bail!("--requests and --clients must be at least 1 and --tickets between 1 and 20,000,000");
    }
    let scratch = Scratch::create(args.database_url.as_deref()).await?;
    let result = run(&args, &scratch).await;
    let removed = scratch.remove(args.keep).await;
    result.and(removed)
}

/// What the requests draw their filter values from.
struct Values {
    customers: Vec<i64>,
    engineers: Vec<i64>,
    groups: Vec<i64>,
    regions: Vec<String>,
    levels: Vec<String>,
    /// The period the copies were registered over.
    start: jiff::Timestamp,
    days: i64,
}

impl Values {
    fn of<T: Clone>(r: &mut StdRng, v: &[T]) -> T {
        v[r.random_range(0..v.len())].clone()
    }

    /// A week within the period, as `created_from=…&created_to=…`.
    fn week(&self, r: &mut StdRng) -> String {
        let from = self.start + jiff::SignedDuration::from_hours(24 * r.random_range(0..self.days - 7));
        let to = from + jiff::SignedDuration::from_hours(24 * 7);
        format!("created_from={from}&created_to={to}")
    }
}

type Path = Box<dyn Fn(&mut StdRng, &Values) -> String + Send + Sync>;

/// Each list: its name and how to draw a request's path.
fn cases() -> Vec<(&'static str, Path)> {
    fn p(f: impl Fn(&mut StdRng, &Values) -> String + Send + Sync + 'static) -> Path {
        Box::new(f)
    }
    let api = "/api/v1/tickets?per_page=50";
    vec![
        ("API, all, newest first", p(move |_, _| api.to_owned())),
        ("API, all, page 1-20", p(move |r, _| format!("{api}&page={}", r.random_range(1..=20)))),
        ("API, sort=due", p(move |_, _| format!("{api}&sort=due"))),
        ("API, sort=-updated_at", p(move |_, _| format!("{api}&sort=-updated_at"))),
        ("API, sort=number", p(move |_, _| format!("{api}&sort=number"))),
        ("API, sort=-number", p(move |_, _| format!("{api}&sort=-number"))),
        ("API, sort=priority", p(move |_, _| format!("{api}&sort=priority"))),
        ("API, sort=status", p(move |_, _| format!("{api}&sort=status"))),
        ("API, status=open", p(move |_, _| format!("{api}&status=open"))),
        ("API, status=open&sort=due", p(move |_, _| format!("{api}&status=open&sort=due"))),
        ("API, status=open&sort=due, page 50", p(move |_, _| format!("{api}&status=open&sort=due&page=50"))),
        ("API, status=closed", p(move |_, _| format!("{api}&status=closed"))),
        ("API, status=waiting_parts&sort=due", p(move |_, _| format!("{api}&status=waiting_parts&sort=due"))),
        ("API, customer", p(move |r, v| format!("{api}&customer_id={}", Values::of(r, &v.customers)))),
        (
            "API, customer&status=open",
            p(move |r, v| format!("{api}&customer_id={}&status=open", Values::of(r, &v.customers))),
        ),
        (
            "API, customer&status=open&sort=due",
            p(move |r, v| format!("{api}&customer_id={}&status=open&sort=due", Values::of(r, &v.customers))),
        ),
        ("API, engineer", p(move |r, v| format!("{api}&engineer_id={}", Values::of(r, &v.engineers)))),
        (
            "API, engineer&status=open",
            p(move |r, v| format!("{api}&engineer_id={}&status=open", Values::of(r, &v.engineers))),
        ),
        (
            "API, engineer&status=open&sort=due",
            p(move |r, v| format!("{api}&engineer_id={}&status=open&sort=due", Values::of(r, &v.engineers))),
        ),
        ("API, group", p(move |r, v| format!("{api}&group_id={}", Values::of(r, &v.groups)))),
        (
            "API, group&status=open&sort=due",
            p(move |r, v| format!("{api}&group_id={}&status=open&sort=due", Values::of(r, &v.groups))),
        ),
        ("API, region", p(move |r, v| format!("{api}&region={}", Values::of(r, &v.regions)))),
        (
            "API, region&status=open&sort=due",
            p(move |r, v| format!("{api}&region={}&status=open&sort=due", Values::of(r, &v.regions))),
        ),
        ("API, priority", p(move |r, v| format!("{api}&priority={}", Values::of(r, &v.levels)))),
        (
            "API, priority&status=open&sort=due",
            p(move |r, v| format!("{api}&priority={}&status=open&sort=due", Values::of(r, &v.levels))),
        ),
        ("API, overdue", p(move |_, _| format!("{api}&overdue=true"))),
        ("API, overdue&sort=due", p(move |_, _| format!("{api}&overdue=true&sort=due"))),
        ("API, breached", p(move |_, _| format!("{api}&breached=true"))),
        ("API, breached&sort=due", p(move |_, _| format!("{api}&breached=true&sort=due"))),
        ("API, due_within=480&sort=due", p(move |_, _| format!("{api}&due_within=480&sort=due"))),
        ("API, created in a week", p(move |r, v| format!("{api}&{}", v.week(r)))),
        ("API, created in a week&sort=due", p(move |r, v| format!("{api}&{}&sort=due", v.week(r)))),
        (
            "API, customer&engineer&status=open&sort=due",
            p(move |r, v| {
                format!(
                    "{api}&customer_id={}&engineer_id={}&status=open&sort=due",
                    Values::of(r, &v.customers),
                    Values::of(r, &v.engineers)
                )
            }),
        ),
        (
            "API, group&priority&overdue&sort=due",
            p(move |r, v| {
                format!(
                    "{api}&group_id={}&priority={}&overdue=true&sort=due",
                    Values::of(r, &v.groups),
                    Values::of(r, &v.levels)
                )
            }),
        ),
        (
            "API, region&priority&created in a week",
            p(move |r, v| {
                format!(
                    "{api}&region={}&priority={}&{}",
                    Values::of(r, &v.regions),
                    Values::of(r, &v.levels),
                    v.week(r)
                )
            }),
        ),
        ("board (open, nearest deadline first)", p(move |_, _| "/board?engineer_id=all".into())),
        ("board, pages 2-50", p(move |r, _| format!("/board?engineer_id=all&page={}", r.random_range(2..=50)))),
        ("board, priority", p(move |r, v| format!("/board?engineer_id=all&priority={}", Values::of(r, &v.levels)))),
        ("board, group", p(move |r, v| format!("/board?engineer_id=all&group_id={}", Values::of(r, &v.groups)))),
        ("board, engineer", p(move |r, v| format!("/board?engineer_id={}", Values::of(r, &v.engineers)))),
        ("board, region", p(move |r, v| format!("/board?engineer_id=all&region={}", Values::of(r, &v.regions)))),
        ("board, overdue", p(move |_, _| "/board?engineer_id=all&overdue=1".into())),
        ("board, closed", p(move |_, _| "/board?engineer_id=all&status=closed".into())),
    ]
}

async fn run(args: &ListsArgs, scratch: &Scratch) -> anyhow::Result<()> {
    let started = Instant::now();
    let days = 365;
    let (values, token, built) = {
        let store = Store::connect(scratch.url()).await.context("opening the database")?;
        store.migrate().await.context("migrating")?;
        let app = App::new(store.clone(), Settings::default());
        app.ensure_defaults().await.map_err(app_err("defaults"))?;
        eprintln!("creating the demo organization …");
        let demo = aftersales_demo::create(&app, 7).await.map_err(app_err("demo"))?;
        let login = |role: Role| demo.logins.iter().find(|l| l.role == role).map(|l| l.token.clone());
        let admin = app.authenticate(&login(Role::Admin).context("no demo admin")?).await.map_err(app_err("admin"))?;
        let token = login(Role::Dispatcher).context("no demo dispatcher")?;
        let page = Page { page: 1, per_page: 100 };
        let engineers: Vec<i64> = app
            .list_users(&admin, &[Role::FirstLineEngineer, Role::SecondLineEngineer], None, page)
            .await
            .map_err(app_err("engineers"))?
            .into_iter()
            .map(|u| u.id)
            .collect();
        let (customers, _) = app.search_customers(&admin, None, page).await.map_err(app_err("customers"))?;
        let groups: Vec<i64> = app.groups(&admin).await.map_err(app_err("groups"))?.into_iter().map(|g| g.id).collect();
        let levels: Vec<String> =
            app.grading_scheme(&admin).await.map_err(app_err("levels"))?.levels.into_iter().map(|l| l.code).collect();
        let q = aftersales_app::tickets::ListQuery {
            status: Some("in_progress".into()),
            per_page: Some(1),
            ..aftersales_app::tickets::ListQuery::default()
        };
        let template = app.tickets(&admin, &q).await.map_err(app_err("listing"))?.items.first().map(|t| t.id);
        let template = template.context("the demo has no ticket in progress to copy")?;
        // The demo is the first thing in a fresh database: its tickets have ids up to about
        // their number (PostgreSQL may skip a few); the copies start well past them.
        let after = i64::try_from(demo.tickets)? + 1_000_000;
        let now = app.now();
        let start = now - jiff::SignedDuration::from_hours(24 * days);
        let spread = Spread {
            customers: customers.iter().map(|c| c.id).collect(),
            engineers: engineers.clone(),
            groups: groups.clone(),
            levels: levels.clone(),
            open_every: 10,
        };
        eprintln!("writing {} tickets …", args.tickets);
        let tx = store.write().await?;
        let written = bulk::spread_tickets(&*tx, template, after, args.tickets, now, days, &spread).await?;
        tx.commit().await?;
        if written != args.tickets {
            bail!("{written} tickets written instead of {}", args.tickets);
        }
        // As the worker does hourly in service: fresh planner statistics.
        store.optimize().await?;
        bulk::vacuum(&store, Vacuum::PagesBuilt).await?;
        store.close().await?;
        let mut regions: Vec<String> = customers.iter().map(|c| c.region.clone()).filter(|r| !r.is_empty()).collect();
        regions.sort();
        regions.dedup();
        let values = Values { customers: spread.customers, engineers, groups, regions, levels, start, days };
        (values, token, started.elapsed())
    };

    // The server as its own process on the database just built.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let base = format!("http://127.0.0.1:{port}");
    let dir = std::env::temp_dir().join(format!("aftersales-lists-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let launched = Instant::now();
    let server = Server(
        std::process::Command::new(std::env::current_exe()?)
            .arg("serve")
            .current_dir(&dir)
            .env("AFTERSALES_LISTEN", format!("127.0.0.1:{port}"))
            .env("AFTERSALES_DEMO", "false")
            .env("AFTERSALES_DATABASE_URL", scratch.url())
            .env("AFTERSALES_DATA_DIR", &dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting aftersales serve")?,
    );
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    loop {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            break;
        }
        if launched.elapsed() > Duration::from_secs(120) {
            bail!("the server did not answer /healthz within 2 minutes");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let start_up = launched.elapsed();
    let pid = server.0.id();
    let rss_started = memory(pid, "VmRSS");
    let cookie = super::sign_in_cookie(&client, &base, "dispatch1").await?;

    let values = std::sync::Arc::new(values);
    let mut results = Vec::new();
    for (i, (name, path)) in cases().into_iter().enumerate() {
        let path = std::sync::Arc::new(path);
        let mut tasks = Vec::new();
        for c in 0..args.clients {
            let (client, base, token, cookie, values, path) =
                (client.clone(), base.clone(), token.clone(), cookie.clone(), values.clone(), path.clone());
            let n = args.requests / args.clients + usize::from(c < args.requests % args.clients);
            let warm = 16 / args.clients.min(16) + 1;
            tasks.push(tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64((i * 100 + c) as u64);
                let mut times = Vec::with_capacity(n);
                for k in 0..warm + n {
                    let p = path(&mut rng, &values);
                    let req = client.get(format!("{base}{p}"));
                    let req =
                        if p.starts_with("/api/") { req.bearer_auth(&token) } else { req.header("cookie", &cookie) };
                    let t = Instant::now();
                    let res = req.send().await?;
                    let status = res.status();
                    let body = res.bytes().await?;
                    let took = t.elapsed();
                    if status != reqwest::StatusCode::OK {
                        bail!("{p}: {status}: {}", String::from_utf8_lossy(&body[..body.len().min(300)]));
                    }
                    if k >= warm {
                        times.push(took);
                    }
                }
                anyhow::Ok(times)
            }));
        }
        let mut times = Vec::new();
        for t in tasks {
            times.extend(t.await??);
        }
        times.sort();
        results.push((name, times));
    }
    let rss_now = memory(pid, "VmRSS");
    let rss_peak = memory(pid, "VmHWM");
    drop(server);
    std::fs::remove_dir_all(&dir).ok();

    println!("aftersales bench lists");
    println!("  backend      {}", scratch.describe());
    println!("  machine      {} cores", std::thread::available_parallelism().map_or(0, |n| n.get()));
    println!(
        "  data         the demo and {} more tickets over a year (one in ten open), {} customers, {} engineers, {} groups; built in {:.1} s",
        args.tickets,
        values.customers.len(),
        values.engineers.len(),
        values.groups.len(),
        built.as_secs_f64()
    );
    println!(
        "  clients      {} at once, {} requests of each list after {} to warm up, 50 tickets a page; API as dispatch (token), board as dispatch1 (session)",
        args.clients,
        args.requests,
        args.clients * (16 / args.clients.min(16) + 1)
    );
    println!("  {:<48} {:>10} {:>10} {:>10}", "list", "p50", "p95", "max");
    let mut worst: Option<(&str, Duration)> = None;
    for (name, t) in &results {
        let p95 = percentile(t, 95.0);
        println!(
            "  {name:<48} {:>10} {:>10} {:>10}",
            ms(percentile(t, 50.0)),
            ms(p95),
            ms(*t.last().unwrap_or(&Duration::ZERO))
        );
        if worst.is_none_or(|(_, w)| p95 > w) {
            worst = Some((name, p95));
        }
    }
    let (worst_name, worst) = worst.unwrap_or(("", Duration::ZERO));
    println!(
        "  target       every list p95 under 20 ms: {} (slowest: {worst_name}, {})",
        if worst < Duration::from_millis(20) { "met" } else { "NOT met" },
        ms(worst)
    );
    println!(
        "  server       start-up on this database {:.2} s (target < 2 s: {}); resident memory {} after start-up, {} after the load, peak {} (target < 150 MB: {})",
        start_up.as_secs_f64(),
        if start_up < Duration::from_secs(2) { "met" } else { "NOT met" },
        mb(rss_started),
        mb(rss_now),
        mb(rss_peak),
        if rss_peak.is_some_and(|p| p < 150 * 1024) { "met" } else { "NOT met" },
    );
    Ok(())
}

/// The server process, stopped when the bench ends (or fails).
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A memory figure of process `pid` from `/proc/<pid>/status`, in KiB (Linux only).
fn memory(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?;
    line[field.len() + 1..].trim().trim_end_matches("kB").trim().parse().ok()
}

fn mb(kib: Option<u64>) -> String {
    kib.map_or_else(|| "unknown".into(), |k| format!("{:.0} MB", k as f64 / 1024.0))
}
