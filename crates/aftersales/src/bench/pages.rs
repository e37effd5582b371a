//! `aftersales bench pages`: how fast the web console's two busiest pages answer (issue 5:
//! the dispatcher board and the ticket page, under 50 ms at p95 on the demo database
//! enlarged to 100,000 tickets).
//!
//! The demo organization is created through the use cases (505 tickets with their whole
//! histories); one of its open tickets is then copied by SQL until the database holds
//! `--tickets` tickets, all open (a harder board than a real one, where most are closed).
//! The server runs in this process on a loopback port; one client signed in as the demo
//! dispatcher (through the sign-in form, with the session cookie) requests the board and
//! the ticket pages of demo tickets one after another, and the latencies are reported.

use std::time::{Duration, Instant};

use aftersales_app::{App, Settings};
use aftersales_storage::Store;
use anyhow::{Context, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use aftersales_storage::bulk::{self, Vacuum};

use super::{Scratch, Served, ms, percentile, serve_signed_in};

#[derive(Debug, clap::Args)]
pub struct PagesArgs {
    /// Tickets in the database (the demo's, then copies of an open one).
    #[arg(long, default_value_t = 100_000)]
    pub tickets: u64,
    /// Measured requests of each page (after 20 of each to warm up).
    #[arg(long, default_value_t = 300)]
    pub requests: usize,
    /// Database: default a new SQLite file in a temporary directory; or a postgres://… URL (a
    /// fresh schema is created in it and dropped afterwards).
    #[arg(long)]
    pub database_url: Option<String>,
}

pub async fn pages(args: PagesArgs) -> anyhow::Result<()> {
    if args.requests == 0 || args.tickets > 5_000_000 {
        bail!("--requests must be at least 1 and --tickets at most 5,000,000");
    }
    let scratch = Scratch::create(args.database_url.as_deref()).await?;
    let result = run(&args, &scratch).await;
    let removed = scratch.remove(false).await;
    result.and(removed)
}

async fn run(args: &PagesArgs, scratch: &Scratch) -> anyhow::Result<()> {
    let started = Instant::now();
    let store = Store::connect(scratch.url()).await.context("opening the database")?;
    store.migrate().await.context("migrating")?;
    let app = App::new(store.clone(), Settings::default());
    app.ensure_defaults().await.map_err(|e| anyhow::anyhow!("defaults: {e}"))?;
    eprintln!("creating the demo organization …");
    let demo = aftersales_demo::create(&app, 7).await.map_err(|e| anyhow::anyhow!("demo: {e}"))?;
    // The demo is the first thing in a fresh database: its tickets are ids 1 ..= tickets.
    let max_id = i64::try_from(demo.tickets)?;
    let admin = demo.logins.iter().find(|l| l.role == aftersales_domain::role::Role::Admin).context("no demo admin")?;
    let admin = app.authenticate(&admin.token).await.map_err(|e| anyhow::anyhow!("admin: {e}"))?;
    let q = aftersales_app::tickets::ListQuery {
        status: Some("in_progress".into()),
        per_page: Some(1),
        ..aftersales_app::tickets::ListQuery::default()
    };
    let open = app.tickets(&admin, &q).await.map_err(|e| anyhow::anyhow!("listing: {e}"))?;
    let template = open.items.first().map(|t| t.id).context("the demo has no ticket in progress to copy")?;
    let have = u64::try_from(max_id)?;
    let copies = args.tickets.saturating_sub(have);
    eprintln!("copying ticket #{template} {copies} times …");
    let tx = store.write().await?;
    let inserted = bulk::copy_ticket(&*tx, template, max_id, copies).await?;
    if inserted != copies {
        bail!("{inserted} tickets copied instead of {copies}");
    }
    tx.commit().await?;
    // As the worker does hourly in service: fresh planner statistics.
    store.optimize().await?;
    bulk::vacuum(&store, Vacuum::PagesBuilt).await?;
    let built = started.elapsed();

    let Served { base, client, cookie, server } = serve_signed_in(&app, "dispatch1").await?;

    let demo_ids: Vec<i64> = (1..=i64::try_from(demo.tickets)?).collect();
    let mut rng = StdRng::seed_from_u64(11);
    let mut measure = async |path: &dyn Fn(&mut StdRng) -> String| -> anyhow::Result<(Vec<Duration>, usize)> {
        let mut times = Vec::with_capacity(args.requests);
        let mut bytes = 0;
        for i in 0..args.requests + 20 {
            let p = path(&mut rng);
            let t = Instant::now();
            let res = client.get(format!("{base}{p}")).header("cookie", &cookie).send().await?;
            let status = res.status();
            let body = res.bytes().await?;
            let took = t.elapsed();
            if status != reqwest::StatusCode::OK {
                bail!("{p}: {status}");
            }
            bytes = body.len();
            if i >= 20 {
                times.push(took);
            }
        }
        times.sort();
        Ok((times, bytes))
    };
    let (board, board_bytes) = measure(&|_| "/board".to_owned()).await?;
    let (board_p2, _) = measure(&|r| format!("/board?page={}", r.random_range(2..=20))).await?;
    let (ticket, ticket_bytes) =
        measure(&|r| format!("/tickets/{}", demo_ids[r.random_range(0..demo_ids.len())])).await?;
    server.abort();

    println!("aftersales bench pages");
    println!("  backend      {}", scratch.describe());
    println!("  machine      {} cores", std::thread::available_parallelism().map_or(0, |n| n.get()));
    println!(
        "  data         {} tickets: the demo's {} (with their histories) and {copies} open copies of #{template}; built in {:.1} s",
        have + copies,
        demo.tickets,
        built.as_secs_f64()
    );
    println!(
        "  client       one, sequential, signed in as dispatch1 (session cookie), {} requests per page after 20 to warm up",
        args.requests
    );
    for (name, t, size) in [
        ("board (open, nearest deadline first, page 1)", &board, board_bytes),
        ("board, pages 2-20", &board_p2, board_bytes),
        ("ticket page (demo tickets, full history)", &ticket, ticket_bytes),
    ] {
        println!(
            "  {name}\n               p50 {}  p95 {}  p99 {}  max {}  ({} KB)",
            ms(percentile(t, 50.0)),
            ms(percentile(t, 95.0)),
            ms(percentile(t, 99.0)),
            ms(*t.last().unwrap_or(&Duration::ZERO)),
            size / 1024
        );
    }
    let worst = [percentile(&board, 95.0), percentile(&board_p2, 95.0), percentile(&ticket, 95.0)]
        .into_iter()
        .max()
        .unwrap_or_default();
    println!("  target       p95 under 50 ms: {}", if worst < Duration::from_millis(50) { "met" } else { "NOT met" });
    store.close().await?;
    Ok(())
}
