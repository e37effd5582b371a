//! `aftersales bench parts`: how fast a stock check and an issue answer with a million rows
//! in the stock ledger (issue 13: both under 2 ms).
//!
//! The demo organization is created through the use cases (its catalog, central store and
//! vans, and the requisitions that follow its tickets); the ledger is then grown by SQL
//! (`storage::bulk::parts_ledger`) to `--rows` more receipts spread over every part and
//! warehouse, with each balance set to its ledger sum. Measured through the use cases, one
//! after another: the stock of a random part in a random warehouse (`App::stock_of`), and
//! the issue of a filed and approved requisition from the central store
//! (`App::issue_requisition`: the requisition, the conditional balance update, the ledger
//! row and the ticket's wait, one transaction, committed).

use std::time::{Duration, Instant};

use aftersales_app::parts::{IssueInput, RequisitionInput, StockInput};
use aftersales_app::{Actor, App, Settings};
use aftersales_domain::parts::{MovementKind, PartInput, WarehouseKind};
use aftersales_domain::role::Role;
use aftersales_storage::Store;
use aftersales_storage::bulk::{self, Vacuum};
use anyhow::{Context, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{Scratch, app_err, ms, percentile};

#[derive(Debug, clap::Args)]
pub struct PartsArgs {
    /// Ledger rows added in bulk to the demo's.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,
    /// Measured stock checks and issues (after 50 of each to warm up).
    #[arg(long, default_value_t = 1000)]
    pub requests: usize,
    /// Database: default a new SQLite file in a temporary directory; or a postgres://… URL (a
    /// fresh schema is created in it and dropped afterwards).
    #[arg(long)]
    pub database_url: Option<String>,
}

pub async fn parts(args: PartsArgs) -> anyhow::Result<()> {
    if args.requests == 0 || args.rows > 20_000_000 {
        bail!("--requests must be at least 1 and --rows at most 20,000,000");
    }
    let scratch = Scratch::create(args.database_url.as_deref()).await?;
    let result = run(&args, &scratch).await;
    let removed = scratch.remove(false).await;
    result.and(removed)
}

/// The first id and how many, when `ids` are contiguous (a fresh database's are).
fn contiguous(mut ids: Vec<i64>, what: &str) -> anyhow::Result<(i64, i64)> {
    ids.sort_unstable();
    let (first, last) = (*ids.first().context("none")?, *ids.last().context("none")?);
    let n = i64::try_from(ids.len())?;
    if last - first + 1 != n {
        bail!("the demo's {what} ids are not contiguous");
    }
    Ok((first, n))
}

fn report(name: &str, t: &[Duration]) {
    println!(
        "  {name}\n               p50 {}  p95 {}  p99 {}  max {}",
        ms(percentile(t, 50.0)),
        ms(percentile(t, 95.0)),
        ms(percentile(t, 99.0)),
        ms(*t.last().unwrap_or(&Duration::ZERO)),
    );
}

async fn run(args: &PartsArgs, scratch: &Scratch) -> anyhow::Result<()> {
    let started = Instant::now();
    let store = Store::connect(scratch.url()).await.context("opening the database")?;
    store.migrate().await.context("migrating")?;
    let app = App::new(store.clone(), Settings::default());
    app.ensure_defaults().await.map_err(app_err("defaults"))?;
    eprintln!("creating the demo organization …");
    let demo = aftersales_demo::create(&app, 7).await.map_err(app_err("demo"))?;
    let login = |role: Role| demo.logins.iter().find(|l| l.role == role).map(|l| l.token.clone());
    let keeper =
        app.authenticate(&login(Role::PartsKeeper).context("no demo keeper")?).await.map_err(app_err("keeper"))?;
    let admin = app.authenticate(&login(Role::Admin).context("no demo admin")?).await.map_err(app_err("admin"))?;

    // A ticket being worked on, its engineer, and a part that fits any model.
    let q = aftersales_app::tickets::ListQuery {
        status: Some("in_progress".into()),
        per_page: Some(50),
        ..aftersales_app::tickets::ListQuery::default()
    };
    let open = app.tickets(&admin, &q).await.map_err(app_err("listing"))?;
    let ticket = open.items.iter().find(|t| t.first_line_id.is_some()).context("no ticket in progress")?;
    let engineer = ticket.first_line_id.context("no engineer")?;
    let engineer = Actor { user: app.get_user(&admin, engineer).await.map_err(app_err("engineer"))? };
    let part = PartInput {
        number: Some("BENCH-PR-001".into()),
        name: Some("搓纸轮（通用）".into()),
        unit: Some("个".into()),
        price_fen: Some(3_000),
        ..PartInput::default()
    };
    let part = app.create_part(&keeper, &part).await.map_err(app_err("part"))?;
    let warehouses = app.warehouses(&keeper).await.map_err(app_err("warehouses"))?;
    let central = warehouses.iter().find(|w| w.kind == WarehouseKind::Central).context("no central store")?.id;
    let n = args.requests + 50;
    let receive = StockInput {
        kind: Some(MovementKind::Receive),
        part_id: Some(part.id),
        warehouse_id: Some(central),
        quantity: Some(i64::try_from(n)?),
        ..StockInput::default()
    };
    app.move_stock(&keeper, &receive).await.map_err(app_err("receive"))?;
    let mut requisitions = Vec::with_capacity(n);
    let ask = RequisitionInput { part_id: Some(part.id), quantity: Some(1), note: None };
    for _ in 0..n {
        requisitions.push(app.request_parts(&engineer, ticket.id, &ask).await.map_err(app_err("requisition"))?.id);
    }

    let parts = app.parts(&keeper).await.map_err(app_err("parts"))?;
    let part_range = contiguous(parts.iter().map(|p| p.id).collect(), "part")?;
    let wh_range = contiguous(warehouses.iter().map(|w| w.id).collect(), "warehouse")?;
    eprintln!("writing {} ledger rows …", args.rows);
    let tx = store.write().await?;
    let inserted = bulk::parts_ledger(&*tx, part_range, wh_range, args.rows, keeper.id(), app.now()).await?;
    tx.commit().await?;
    if inserted != args.rows {
        bail!("{inserted} ledger rows written instead of {}", args.rows);
    }
    store.optimize().await?;
    bulk::vacuum(&store, Vacuum::PartsBuilt).await?;
    let built = started.elapsed();
    // The bulk rows move this part too: what stays after the issues is what it held now less them.
    let held = app.stock_of(&keeper, part.id, central).await.map_err(app_err("stock"))?;

    let mut rng = StdRng::seed_from_u64(13);
    let mut checks = Vec::with_capacity(args.requests);
    for i in 0..n {
        let p = part_range.0 + rng.random_range(0..part_range.1);
        let w = wh_range.0 + rng.random_range(0..wh_range.1);
        let t = Instant::now();
        app.stock_of(&keeper, p, w).await.map_err(app_err("stock check"))?;
        if i >= 50 {
            checks.push(t.elapsed());
        }
    }
    let mut issues = Vec::with_capacity(args.requests);
    let from = IssueInput { warehouse_id: Some(central) };
    for (i, id) in requisitions.into_iter().enumerate() {
        let t = Instant::now();
        app.issue_requisition(&keeper, id, &from).await.map_err(app_err("issue"))?;
        if i >= 50 {
            issues.push(t.elapsed());
        }
    }
    checks.sort();
    issues.sort();
    let left = app.stock_of(&keeper, part.id, central).await.map_err(app_err("stock"))?;
    let expected = held - i64::try_from(n)?;
    if left != expected {
        bail!("{left} left in stock after {n} issues from {held}, not {expected}");
    }

    println!("aftersales bench parts");
    println!("  backend      {}", scratch.describe());
    println!("  machine      {} cores", std::thread::available_parallelism().map_or(0, |n| n.get()));
    println!(
        "  data         the demo's parts ledger and {} more rows over {} parts × {} warehouses; built in {:.1} s",
        args.rows,
        part_range.1,
        wh_range.1,
        built.as_secs_f64()
    );
    println!(
        "  client       the use cases in-process, one after another, {} of each after 50 to warm up",
        args.requests
    );
    report("stock check (one part in one warehouse)", &checks);
    report("issue (requisition → central store, committed)", &issues);
    let worst = [percentile(&checks, 95.0), percentile(&issues, 95.0)].into_iter().max().unwrap_or_default();
    println!("  target       p95 under 2 ms: {}", if worst < Duration::from_millis(2) { "met" } else { "NOT met" });
    store.close().await?;
    Ok(())
}
