//! `aftersales bench visits`: how fast the dispatcher's visit calendar (`/visits`) renders
//! for 50 engineers over two weeks (issue 13: under 50 ms).
//!
//! The demo organization is created through the use cases; engineers are added through the
//! user use case until there are `--engineers`, and each gets `--per-day` visits on every
//! working day of the two weeks (on demo tickets, stored in bulk by
//! `aftersales_storage::bulk::insert_visits`) and a leave day. The server runs in this
//! process on a loopback port; one client signed in as the demo dispatcher requests the
//! two-week calendar one request after another, and the latencies are reported.

use std::time::{Duration, Instant};

use aftersales_app::{App, Settings};
use aftersales_domain::role::Role;
use aftersales_domain::user::UserInput;
use aftersales_domain::visit::{CheckedPlan, Visit};
use aftersales_storage::Store;
use aftersales_storage::bulk::{self, Vacuum};
use anyhow::{Context, bail};
use jiff::SignedDuration;

use super::{Scratch, Served, ms, percentile, serve_signed_in};

#[derive(Debug, clap::Args)]
pub struct VisitsArgs {
    /// Engineers on the calendar (the demo's, then new ones).
    #[arg(long, default_value_t = 50)]
    pub engineers: usize,
    /// Visits per engineer and working day.
    #[arg(long, default_value_t = 4)]
    pub per_day: usize,
    /// Measured requests (after 20 to warm up).
    #[arg(long, default_value_t = 300)]
    pub requests: usize,
    /// Database: default a new SQLite file in a temporary directory; or a postgres://… URL.
    #[arg(long)]
    pub database_url: Option<String>,
}

pub async fn visits(args: VisitsArgs) -> anyhow::Result<()> {
    if args.requests == 0 || args.engineers == 0 || args.engineers > 1000 || args.per_day > 8 {
        bail!("--requests and --engineers at least 1, --engineers at most 1000, --per-day at most 8");
    }
    let scratch = Scratch::create(args.database_url.as_deref()).await?;
    let result = run(&args, &scratch).await;
    let removed = scratch.remove(false).await;
    result.and(removed)
}

fn app_err(what: &'static str) -> impl Fn(aftersales_app::AppError) -> anyhow::Error {
    move |e| anyhow::anyhow!("{what}: {e}")
}

async fn run(args: &VisitsArgs, scratch: &Scratch) -> anyhow::Result<()> {
    let started = Instant::now();
    let store = Store::connect(scratch.url()).await.context("opening the database")?;
    store.migrate().await.context("migrating")?;
    let app = App::new(store.clone(), Settings::default());
    app.ensure_defaults().await.map_err(app_err("defaults"))?;
    eprintln!("creating the demo organization …");
    let demo = aftersales_demo::create(&app, 7).await.map_err(app_err("demo"))?;
    let admin = demo.logins.iter().find(|l| l.role == Role::Admin).context("no demo admin")?;
    let admin = app.authenticate(&admin.token).await.map_err(app_err("admin"))?;
    let roles = [Role::FirstLineEngineer, Role::SecondLineEngineer, Role::TechLead];
    let per_page = aftersales_app::users::Page::MAX_PER_PAGE;
    let page = aftersales_app::users::Page::new(Some(1), Some(per_page)).map_err(app_err("page"))?;
    let mut engineers: Vec<i64> = app
        .list_users(&admin, &roles, None, page)
        .await
        .map_err(app_err("engineers"))?
        .iter()
        .filter(|u| u.active)
        .map(|u| u.id)
        .collect();
    let mut n = 0;
    while engineers.len() < args.engineers {
        n += 1;
        let input = UserInput {
            username: Some(format!("bench_eng{n:03}")),
            display_name: Some(format!("测试工程师{n:03}")),
            role: Some(Role::FirstLineEngineer),
            region: Some("华东".into()),
            ..UserInput::default()
        };
        engineers.push(app.create_user(Some(&admin), &input).await.map_err(app_err("engineer"))?.id);
    }
    engineers.truncate(args.engineers);

    // Two weeks from the next Monday, in the service time zone.
    let tz = app.settings().time_zone.clone();
    let today = app.now().to_zoned(tz.clone()).date();
    let mut monday = today.tomorrow()?;
    while monday.weekday() != jiff::civil::Weekday::Monday {
        monday = monday.tomorrow()?;
    }
    let max_ticket = i64::try_from(demo.tickets)?;
    let mut rows = Vec::new();
    let now = app.now();
    for (e, engineer) in engineers.iter().enumerate() {
        for day in 0..14i64 {
            let date = monday.checked_add(jiff::Span::new().days(day))?;
            if matches!(date.weekday(), jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday) {
                continue;
            }
            for k in 0..args.per_day {
                let start = date.at(9, 0, 0, 0).to_zoned(tz.clone())?.timestamp()
                    + SignedDuration::from_mins(i64::try_from(k)? * 120);
                let plan = CheckedPlan {
                    window_start: start,
                    window_end: start + SignedDuration::from_hours(2),
                    planned_start: start + SignedDuration::from_mins(15),
                    duration_minutes: 75,
                    travel_minutes: 20,
                    address: "上海市浦东新区张江路 88 号".into(),
                    site: "3 号楼机房".into(),
                };
                let ticket = 1 + (i64::try_from(e)? * 31 + day * 7 + i64::try_from(k)?) % max_ticket;
                rows.push(Visit::book(ticket, "", *engineer, plan, now));
            }
        }
    }
    let tx = store.write().await?;
    let stored = bulk::insert_visits(&*tx, &rows, admin.id(), now).await?;
    tx.commit().await?;
    for engineer in engineers.iter().step_by(5) {
        let leave = aftersales_app::visits::DaysInput {
            from: monday.checked_add(jiff::Span::new().days(9))?,
            to: None,
            kind: Some(aftersales_domain::working_calendar::DayKind::Leave),
            note: Some("年假".into()),
        };
        app.set_working_days(&admin, *engineer, &leave).await.map_err(app_err("leave"))?;
    }
    store.optimize().await?;
    bulk::vacuum(&store, Vacuum::PagesBuilt).await?;
    let built = started.elapsed();

    let Served { base, client, cookie, server } = serve_signed_in(&app, "dispatch1").await?;
    let path = format!("/visits?from={monday}&days=14");
    let mut times = Vec::with_capacity(args.requests);
    let mut bytes = 0;
    let mut shown = 0;
    for i in 0..args.requests + 20 {
        let t = Instant::now();
        let res = client.get(format!("{base}{path}")).header("cookie", &cookie).send().await?;
        let status = res.status();
        let body = res.text().await?;
        let took = t.elapsed();
        if status != reqwest::StatusCode::OK {
            bail!("{path}: {status}");
        }
        bytes = body.len();
        shown = body.matches("class=\"visit visit-").count();
        if i >= 20 {
            times.push(took);
        }
    }
    times.sort();
    server.abort();
    let mean: Duration = times.iter().sum::<Duration>() / u32::try_from(times.len())?;
    println!("aftersales bench visits");
    println!("  backend      {}", scratch.describe());
    println!("  machine      {} cores", std::thread::available_parallelism().map_or(0, |n| n.get()));
    println!(
        "  data         the demo ({} tickets), {} engineers, {stored} visits over the 10 working days from {monday} ({} per engineer and day), a leave day for every fifth engineer; built in {:.1} s",
        demo.tickets,
        engineers.len(),
        args.per_day,
        built.as_secs_f64()
    );
    println!("  client       one, sequential, signed in as dispatch1, {} requests after 20 to warm up", args.requests);
    println!("  page         {path}: {shown} visits shown, {bytes} bytes");
    println!(
        "  latency      p50 {}  p95 {}  p99 {}  max {}  mean {}",
        ms(percentile(&times, 50.0)),
        ms(percentile(&times, 95.0)),
        ms(percentile(&times, 99.0)),
        ms(percentile(&times, 100.0)),
        ms(mean)
    );
    Ok(())
}
