//! `aftersales bench reporting`: how fast the monthly service report and the weekly
//! per-engineer table answer over a million tickets (issue 15: under 1 s and 300 ms).
//!
//! The demo organization is made through the use cases (its tickets write their report
//! facts as they go); one of its tickets is then copied `--tickets` times with its facts
//! (`storage::bulk::report_facts`), spread over a year, over the demo's engineers and
//! customers, with varied levels, times, misses, notices, surveys, models and fault codes.
//! Measured through the use cases, one after another: `App::monthly_service` over one month
//! and `App::weekly_engineers` over one week, each period chosen at random in the year.

use std::time::{Duration, Instant};

use aftersales_app::reporting::ReportFilter;
use aftersales_app::users::Page;
use aftersales_app::{App, Settings};
use aftersales_domain::reporting::Period;
use aftersales_domain::role::Role;
use aftersales_storage::Store;
use aftersales_storage::bulk;
use anyhow::{Context, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{Scratch, app_err, ms, percentile};

#[derive(Debug, clap::Args)]
pub struct ReportingArgs {
    /// Tickets (with their report facts) added in bulk to the demo's.
    #[arg(long, default_value_t = 1_000_000)]
    pub tickets: u64,
    /// Measured runs of each report (after 3 of each to warm up).
    #[arg(long, default_value_t = 20)]
    pub runs: usize,
    /// Database: default a new SQLite file in a temporary directory; or a postgres://… URL (a
    /// fresh schema is created in it and dropped afterwards).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Keep the database afterwards (its path or schema is printed), to study its queries.
    #[arg(long)]
    pub keep: bool,
}

pub async fn reporting(args: ReportingArgs) -> anyhow::Result<()> {
    if args.runs == 0 || args.tickets == 0 || args.tickets > 20_000_000 {
        bail!("--runs must be at least 1 and --tickets between 1 and 20,000,000");
    }
    let scratch = Scratch::create(args.database_url.as_deref()).await?;
    let result = run(&args, &scratch).await;
    let removed = scratch.remove(args.keep).await;
    result.and(removed)
}

fn report(name: &str, t: &[Duration]) {
    println!(
        "  {name}\n               p50 {}  p95 {}  max {}",
        ms(percentile(t, 50.0)),
        ms(percentile(t, 95.0)),
        ms(*t.last().unwrap_or(&Duration::ZERO)),
    );
}

/// The demo organization and `tickets` copies of one of its tickets with report facts,
/// registered over the `days` days that end now.
pub(super) struct Loaded {
    pub(super) store: Store,
    pub(super) app: App,
    pub(super) data: aftersales_app::Actor,
    pub(super) start: jiff::Timestamp,
    pub(super) engineers: usize,
    pub(super) customers: usize,
    pub(super) built: Duration,
}

pub(super) async fn load(scratch: &Scratch, tickets: u64, days: i64) -> anyhow::Result<Loaded> {
    let started = Instant::now();
    let store = Store::connect(scratch.url()).await.context("opening the database")?;
    store.migrate().await.context("migrating")?;
    let app = App::new(store.clone(), Settings::default());
    app.ensure_defaults().await.map_err(app_err("defaults"))?;
    eprintln!("creating the demo organization …");
    let demo = aftersales_demo::create(&app, 7).await.map_err(app_err("demo"))?;
    let login = |role: Role| demo.logins.iter().find(|l| l.role == role).map(|l| l.token.clone());
    let admin = app.authenticate(&login(Role::Admin).context("no demo admin")?).await.map_err(app_err("admin"))?;
    let data = match login(Role::DataSpecialist) {
        Some(t) => app.authenticate(&t).await.map_err(app_err("data specialist"))?,
        None => admin.clone(),
    };
    let engineers: Vec<i64> = app
        .list_users(&admin, &[Role::FirstLineEngineer], None, Page { page: 1, per_page: 100 })
        .await
        .map_err(app_err("engineers"))?
        .into_iter()
        .map(|u| u.id)
        .collect();
    let (customers, _) =
        app.search_customers(&admin, None, Page { page: 1, per_page: 100 }).await.map_err(app_err("customers"))?;
    let customers: Vec<(i64, String)> = customers.into_iter().map(|c| (c.id, c.region)).collect();
    let levels: Vec<String> =
        app.grading_scheme(&admin).await.map_err(app_err("levels"))?.levels.into_iter().map(|l| l.code).collect();
    let q = aftersales_app::tickets::ListQuery { per_page: Some(1), ..aftersales_app::tickets::ListQuery::default() };
    let template = app.tickets(&admin, &q).await.map_err(app_err("listing"))?.items.first().context("no ticket")?.id;
    let after = {
        let q =
            aftersales_app::tickets::ListQuery { per_page: Some(200), ..aftersales_app::tickets::ListQuery::default() };
        let listed = app.tickets(&admin, &q).await.map_err(app_err("listing"))?;
        listed.items.iter().map(|t| t.id).max().unwrap_or(0) + 1_000_000
    };
    let start = app.now().checked_sub(jiff::SignedDuration::from_hours(days * 24))?;
    eprintln!("writing {tickets} tickets with their report facts …");
    let tx = store.write().await?;
    let written =
        bulk::report_facts(&*tx, template, after, tickets, start, days, &engineers, &customers, &levels).await?;
    tx.commit().await?;
    if written != tickets {
        bail!("{written} facts rows written instead of {tickets}");
    }
    store.optimize().await?;
    bulk::vacuum(&store, bulk::Vacuum::ReportsBuilt).await?;
    Ok(Loaded {
        store,
        app,
        data,
        start,
        engineers: engineers.len(),
        customers: customers.len(),
        built: started.elapsed(),
    })
}

async fn run(args: &ReportingArgs, scratch: &Scratch) -> anyhow::Result<()> {
    let Loaded { store, app, data, start: year_start, engineers, customers, built } =
        load(scratch, args.tickets, 365).await?;
    let tz = app.settings().time_zone.clone();
    let first = year_start.to_zoned(tz).date();
    let mut rng = StdRng::seed_from_u64(15);
    let mut monthly = Vec::new();
    let mut weekly = Vec::new();
    let (mut rows_month, mut rows_week) = (0, 0);
    for i in 0..args.runs + 3 {
        let day = first.checked_add(jiff::Span::new().days(rng.random_range(0..330)))?;
        let month = Period::new(day.first_of_month(), day.last_of_month())?;
        let t = Instant::now();
        let m = app.monthly_service(&data, &ReportFilter::of_period(month)).await.map_err(app_err("monthly"))?;
        let e = t.elapsed();
        rows_month = rows_month.max(m.summary.registered);
        let week = Period::new(day, day.checked_add(jiff::Span::new().days(6))?)?;
        let t = Instant::now();
        let w = app.weekly_engineers(&data, &ReportFilter::of_period(week)).await.map_err(app_err("weekly"))?;
        let f = t.elapsed();
        rows_week = rows_week.max(w.totals.map_or(0, |t| t.dispatches));
        if i >= 3 {
            monthly.push(e);
            weekly.push(f);
        }
    }
    monthly.sort();
    weekly.sort();
    println!("aftersales bench reporting");
    println!("  backend      {}", scratch.describe());
    println!("  machine      {} cores", std::thread::available_parallelism().map_or(0, |n| n.get()));
    println!(
        "  data         the demo and {} more tickets with report facts over a year, {} engineers, {} customers; built in {:.1} s",
        args.tickets,
        engineers,
        customers,
        built.as_secs_f64()
    );
    println!("  periods      a month holds up to {rows_month} tickets, a week up to {rows_week} dispatches");
    println!("  client       the use cases in-process, one after another, {} of each after 3 to warm up", args.runs);
    report("monthly service report (one month)", &monthly);
    report("weekly per-engineer table (one week)", &weekly);
    let m = percentile(&monthly, 95.0) < Duration::from_secs(1);
    let w = percentile(&weekly, 95.0) < Duration::from_millis(300);
    println!(
        "  targets      monthly p95 under 1 s: {}; weekly p95 under 300 ms: {}",
        if m { "met" } else { "NOT met" },
        if w { "met" } else { "NOT met" }
    );
    store.close().await?;
    Ok(())
}
