//! `aftersales bench intake`: the registration load test.
//!
//! N clients, each on its own keep-alive connection, register complete and valid tickets
//! over HTTP as a desk agent would (`POST /api/v1/tickets`), against a fresh in-process
//! server (SQLite file in a temporary directory, or a throw-away schema in PostgreSQL) or
//! against a running server. A warm-up is excluded from the statistics. Afterwards every
//! acknowledged registration is looked up again: for a fresh server after shutting it
//! down and reopening the database, so "201 Created" is shown to mean "stored".

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aftersales_app::{Actor, App, Settings};
use aftersales_domain::customer::{ContactInput, CustomerInput, DeviceInput};
use aftersales_domain::registration::Registration;
use aftersales_domain::role::Role;
use aftersales_domain::user::UserInput;
use aftersales_domain::{Id, Timestamp};
use aftersales_storage::tickets::TicketFilter;
use aftersales_storage::{Conn as _, Store};
use anyhow::{Context, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use tokio::task::JoinHandle;

use super::{Scratch, app_err, ms, percentile};

#[derive(Debug, clap::Args)]
pub struct IntakeArgs {
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    pub clients: usize,
    /// Total registrations to send (after warm-up).
    #[arg(long, default_value_t = 20_000)]
    pub requests: usize,
    /// Registrations sent first and left out of the statistics.
    #[arg(long, default_value_t = 200)]
    pub warmup: usize,
    /// Database for the fresh server: default a new SQLite file in a temporary directory; or a
    /// postgres://… URL (a fresh schema is created in it and dropped afterwards).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Customers created for the fresh server (each with 2 contacts).
    #[arg(long, default_value_t = 40)]
    pub customers: usize,
    /// Devices per customer: reports spread over them, so some are repeat reports (same device,
    /// same fault code) and most are not.
    #[arg(long, default_value_t = 25)]
    pub devices_per_customer: usize,
    /// Send an `Idempotency-Key` with every registration, as a retrying client would.
    #[arg(long)]
    pub idempotency_keys: bool,
    /// Keep the SQLite file or PostgreSQL schema of the fresh server instead of deleting it.
    #[arg(long)]
    pub keep: bool,
    /// Benchmark an already running server instead, e.g. http://127.0.0.1:8080 (then --token is
    /// required; it registers on the devices GET /api/v1/devices lists).
    #[arg(long, conflicts_with = "database_url", requires = "token")]
    pub url: Option<String>,
    /// API token of a user who may register tickets (with --url).
    #[arg(long, requires = "url")]
    pub token: Option<String>,
}

pub async fn intake(args: IntakeArgs) -> anyhow::Result<()> {
    if args.clients == 0 || args.requests == 0 {
        bail!("--clients and --requests must be at least 1");
    }
    match (&args.url, &args.token) {
        (Some(url), Some(token)) => external(&args, url.trim_end_matches('/'), token).await,
        (Some(_), None) => bail!("--url needs --token"),
        _ => fresh(&args).await,
    }
}

// ---------------------------------------------------------------------------------------
// Workload

/// A customer registrations are made for, with the contacts a caller may be.
#[derive(Debug, Clone)]
struct CustomerRef {
    id: Id,
    contacts: Vec<Id>,
}

/// A device and the index of its customer in [`Fixture::customers`].
#[derive(Debug, Clone, Copy)]
struct DeviceRef {
    id: Id,
    customer: usize,
}

#[derive(Debug, Clone, Default)]
struct Fixture {
    customers: Vec<CustomerRef>,
    devices: Vec<DeviceRef>,
}

const FAULT_PREFIXES: [&str; 5] = ["E", "J", "SC", "C", "F"];
/// Codes per prefix: 100 codes in all, so a device reported again is usually another fault.
const CODES_PER_PREFIX: u32 = 20;

const SYMPTOMS: [&str; 10] = [
    "复印时第二纸盒卡纸，面板报警 {code}",
    "打印件有竖条纹，清洁扫描玻璃后仍然出现，面板代码 {code}",
    "开机自检不通过，显示 {code}，无法进入待机",
    "扫描到邮箱失败，提示 {code}，同网段其他设备正常",
    "双面打印时反面偏移约 5 毫米，偶发报 {code}",
    "定影部位有异响，随后停机并提示 {code}",
    "更换碳粉后仍提示碳粉不足，代码 {code}",
    "Tray 2 jams every 20 pages or so, panel shows {code}",
    "Prints come out faded on the left edge; error {code} after warm-up",
    "Finisher does not staple, stops with {code}",
];
const SYMPTOMS_WITHOUT_CODE: [&str; 4] = [
    "复印件整体偏淡，更换碳粉后无改善",
    "网络打印任务一直排队不出纸，本机复印正常",
    "触摸屏左下角点击无反应，其余区域正常",
    "Scanner lid hinge broken, lid does not stay open",
];
const PLACES: [&str; 6] = ["财务部", "前台", "三楼行政部", "研发中心", "仓库办公室", "总经理办公室"];
const SCOPES: [&str; 6] = [
    "财务部一台复印机",
    "整层约 30 人无法打印",
    "仅影响扫描功能",
    "前台一台设备，可临时用隔壁设备",
    "月底报表打印受阻",
    "One printer, 12 users affected",
];
const CALLERS: [&str; 8] = ["王芳", "李强", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "Anna Schmidt"];
const RESOLUTIONS: [&str; 3] = ["今天下班前恢复", "明天上午上门", "先远程指导"];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn mobile(rng: &mut StdRng) -> String {
    let second = *pick(rng, &[3u8, 5, 7, 8, 9]);
    format!("1{second}{:09}", rng.random_range(0..1_000_000_000u32))
}

/// A complete registration as a desk agent types it on the phone.
fn registration(rng: &mut StdRng, fx: &Fixture, now: Timestamp) -> Registration {
    let (customer, device_id) = if fx.devices.is_empty() {
        (pick(rng, &fx.customers), None)
    } else {
        let d = *pick(rng, &fx.devices);
        (&fx.customers[d.customer], Some(d.id))
    };
    let mut r = Registration {
        customer_id: Some(customer.id),
        device_id,
        occurred_at: Some(now - jiff::SignedDuration::from_mins(rng.random_range(5..=240))),
        impact_scope: Some((*pick(rng, &SCOPES)).to_owned()),
        ..Registration::default()
    };
    if !customer.contacts.is_empty() && rng.random_bool(0.6) {
        // A known contact: name and phone are filled in from the directory.
        r.contact_id = Some(*pick(rng, &customer.contacts));
    } else {
        r.contact_name = Some((*pick(rng, &CALLERS)).to_owned());
        r.contact_phone = Some(mobile(rng));
    }
    let place = pick(rng, &PLACES);
    if rng.random_bool(0.9) {
        let code = format!("{}{:02}", pick(rng, &FAULT_PREFIXES), rng.random_range(1..=CODES_PER_PREFIX));
        r.description = Some(format!("{}（{place}）", pick(rng, &SYMPTOMS).replace("{code}", &code)));
        r.fault_code = Some(code);
    } else {
        r.description = Some(format!("{}（{place}）", pick(rng, &SYMPTOMS_WITHOUT_CODE)));
    }
    if rng.random_bool(0.3) {
        r.expected_resolution = Some((*pick(rng, &RESOLUTIONS)).to_owned());
    }
    r
}

// ---------------------------------------------------------------------------------------
// Clients

/// What the clients share.
#[derive(Debug)]
struct Load {
    base: String,
    auth: String,
    fixture: Fixture,
    idempotency_keys: bool,
    /// Distinguishes the keys of one run from any earlier run against the same server.
    run_id: u64,
}

/// The answer to a registration, as far as the benchmark reads it.
#[derive(Debug, Deserialize)]
struct Ack {
    id: Id,
    repeat_of: Option<Id>,
}

#[derive(Debug, Default)]
struct Tally {
    latencies: Vec<Duration>,
    acked: Vec<Id>,
    repeats: usize,
    errors: usize,
    messages: Vec<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.acked.extend(other.acked);
        self.repeats += other.repeats;
        self.errors += other.errors;
        for m in other.messages {
            if self.messages.len() < 5 {
                self.messages.push(m);
            }
        }
    }

    fn error(&mut self, message: String) {
        self.errors += 1;
        if self.messages.len() < 5 {
            self.messages.push(message);
        }
    }
}

/// One HTTP client per simulated client, so each keeps one connection alive.
fn clients(n: usize) -> anyhow::Result<Vec<reqwest::Client>> {
    (0..n)
        .map(|_| {
            reqwest::Client::builder()
                .tcp_nodelay(true)
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(60))
                .build()
                .context("building the HTTP client")
        })
        .collect()
}

/// Sends `count` registrations, spread over the clients; numbers them from `first`.
async fn phase(
    clients: &[reqwest::Client],
    load: &Arc<Load>,
    first: usize,
    count: usize,
) -> anyhow::Result<(Tally, Duration)> {
    let next = Arc::new(AtomicUsize::new(first));
    let end = first + count;
    let started = Instant::now();
    let tasks: Vec<JoinHandle<Tally>> = clients
        .iter()
        .enumerate()
        .map(|(k, client)| {
            let (client, load, next) = (client.clone(), load.clone(), next.clone());
            let seed = 0x5eed_0000_0000 ^ ((first as u64) << 8) ^ k as u64;
            tokio::spawn(async move { client_loop(client, &load, &next, end, seed).await })
        })
        .collect();
    let mut tally = Tally::default();
    for t in tasks {
        tally.merge(t.await.context("client task")?);
    }
    Ok((tally, started.elapsed()))
}

async fn client_loop(client: reqwest::Client, load: &Load, next: &AtomicUsize, end: usize, seed: u64) -> Tally {
    let mut rng = StdRng::seed_from_u64(seed);
    let url = format!("{}/api/v1/tickets", load.base);
    let mut tally = Tally::default();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= end {
            break;
        }
        let reg = registration(&mut rng, &load.fixture, Timestamp::now());
        let body = match serde_json::to_vec(&reg) {
            Ok(b) => b,
            Err(e) => {
                tally.error(format!("encoding a registration: {e}"));
                continue;
            }
        };
        let mut req =
            client.post(&url).header("authorization", &load.auth).header("content-type", "application/json").body(body);
        if load.idempotency_keys {
            req = req.header("idempotency-key", format!("bench-{:x}-{i}", load.run_id));
        }
        let started = Instant::now();
        let answer = match req.send().await {
            Ok(resp) => {
                let status = resp.status();
                resp.bytes().await.map(|b| (status, b))
            }
            Err(e) => Err(e),
        };
        let took = started.elapsed();
        match answer {
            Ok((status, bytes)) if status == reqwest::StatusCode::CREATED => {
                match serde_json::from_slice::<Ack>(&bytes) {
                    Ok(ack) => {
                        tally.latencies.push(took);
                        tally.acked.push(ack.id);
                        tally.repeats += usize::from(ack.repeat_of.is_some());
                    }
                    Err(e) => tally.error(format!("201 with an unreadable body: {e}")),
                }
            }
            Ok((status, bytes)) => {
                let text = String::from_utf8_lossy(&bytes);
                tally.error(format!("HTTP {status}: {}", text.chars().take(300).collect::<String>()));
            }
            Err(e) => tally.error(format!("request failed: {e}")),
        }
    }
    tally
}

/// Runs warm-up and measurement; returns the measured tally, the acknowledged ids of both
/// and the measured duration.
async fn drive(
    args: &IntakeArgs,
    load: &Arc<Load>,
    clients: &[reqwest::Client],
) -> anyhow::Result<(Tally, Vec<Id>, Duration)> {
    let (warm, _) = phase(clients, load, 0, args.warmup).await?;
    let (mut measured, elapsed) = phase(clients, load, args.warmup, args.requests).await?;
    let mut acked = warm.acked;
    acked.extend(measured.acked.iter().copied());
    measured.errors += warm.errors;
    for m in warm.messages {
        if measured.messages.len() < 5 {
            measured.messages.push(m);
        }
    }
    measured.latencies.sort_unstable();
    Ok((measured, acked, elapsed))
}

struct Report<'a> {
    backend: String,
    server: String,
    directory: String,
    args: &'a IntakeArgs,
    tally: &'a Tally,
    elapsed: Duration,
    /// SQLite: the disk's durable single-commit rate, measured before the load.
    reference: Option<f64>,
}

fn print_report(r: &Report<'_>) {
    let t = r.tally;
    let ok = t.latencies.len();
    let secs = r.elapsed.as_secs_f64();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let workers = tokio::runtime::Handle::current().metrics().num_workers();
    let workers = if r.server.starts_with("fresh") {
        format!("{workers} runtime worker threads each for the server and the clients")
    } else {
        format!("{workers} runtime worker threads for the clients")
    };
    println!();
    println!("aftersales bench intake");
    println!("  backend      {}", r.backend);
    println!("  server       {}", r.server);
    println!("  machine      {cores} cores; {workers}");
    println!("  directory    {}", r.directory);
    println!(
        "  requests     {} registrations over HTTP/1.1 keep-alive, after {} warm-up{}",
        r.args.requests,
        r.args.warmup,
        if r.args.idempotency_keys { ", each with an Idempotency-Key" } else { "" }
    );
    println!("  clients      {}", r.args.clients);
    println!("  elapsed      {secs:.2} s");
    let rate = ok as f64 / secs.max(f64::EPSILON);
    println!("  throughput   {rate:.0} registrations/s");
    if let Some(single) = r.reference {
        println!(
            "  reference    {single:.0} durable single-row commits/s one after another on the same disk \
             (autocommit INSERT, WAL, synchronous=FULL): registration runs at {:.2}× that",
            rate / single.max(f64::EPSILON)
        );
    }
    println!("  latency p50  {}", ms(percentile(&t.latencies, 50.0)));
    println!("  latency p95  {}", ms(percentile(&t.latencies, 95.0)));
    println!("  latency p99  {}", ms(percentile(&t.latencies, 99.0)));
    println!("  latency max  {}", ms(t.latencies.last().copied().unwrap_or_default()));
    println!("  errors       {}", t.errors);
    println!(
        "  repeats      {} flagged as repeat reports ({:.1} %)",
        t.repeats,
        100.0 * t.repeats as f64 / ok.max(1) as f64
    );
    for m in &t.messages {
        println!("  error        {m}");
    }
}

/// Fails the run when any registration failed or was not found again.
fn verdict(tally: &Tally, acked: &[Id], found: usize) -> anyhow::Result<()> {
    let distinct: HashSet<Id> = acked.iter().copied().collect();
    if distinct.len() != acked.len() {
        bail!("{} acknowledged registrations share an id with another", acked.len() - distinct.len());
    }
    if found != acked.len() {
        bail!("{} acknowledged registrations are missing", acked.len() - found);
    }
    if tally.errors > 0 {
        bail!("{} registrations failed", tally.errors);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// A fresh in-process server

/// The users and directory the registrations refer to; returns the desk agent's token.
async fn seed(app: &App, customers: usize, devices_per_customer: usize) -> anyhow::Result<(String, Fixture)> {
    app.ensure_defaults().await.map_err(app_err("seeding defaults"))?;
    let user = |username: &str, name: &str, role: Role| UserInput {
        username: Some(username.into()),
        display_name: Some(name.into()),
        role: Some(role),
        ..UserInput::default()
    };
    let admin =
        app.create_user(None, &user("bench-admin", "压测管理员", Role::Admin)).await.map_err(app_err("admin"))?;
    let desk =
        app.create_user(None, &user("bench-desk", "压测客服", Role::DeskAgent)).await.map_err(app_err("desk agent"))?;
    let token = app.create_token(None, desk.id, "bench").await.map_err(app_err("token"))?;
    let actor = Actor { user: admin };
    let mut fx = Fixture::default();
    let regions = ["华东", "华北", "华南", "西南"];
    let models = ["Ricoh MP 2555", "Canon iR-ADV C5535", "Konica Minolta bizhub C300i", "HP LaserJet M608"];
    for i in 0..customers {
        let customer = CustomerInput {
            name: Some(format!("压测客户{i:03}有限公司")),
            short_name: Some(format!("压测{i:03}")),
            region: Some(regions[i % regions.len()].into()),
            level: Some(["A", "B", "C"][i % 3].into()),
            ..CustomerInput::default()
        };
        let c = app.create_customer(&actor, &customer).await.map_err(app_err("customer"))?;
        let mut contacts = Vec::new();
        for (j, name) in ["周丽", "吴刚"].iter().enumerate() {
            let k = ContactInput {
                name: Some((*name).into()),
                phone: Some(format!("139{:04}{:04}", i, j)),
                department: Some("行政部".into()),
                ..ContactInput::default()
            };
            contacts.push(app.create_contact(&actor, c.id, &k).await.map_err(app_err("contact"))?.id);
        }
        for j in 0..devices_per_customer {
            let d = DeviceInput {
                customer_id: Some(c.id),
                model: Some(models[j % models.len()].into()),
                serial: Some(format!("BN{i:03}-{j:04}")),
                location: Some(format!("{} 楼", j % 12 + 1)),
                ..DeviceInput::default()
            };
            let d = app.create_device(&actor, &d).await.map_err(app_err("device"))?;
            fx.devices.push(DeviceRef { id: d.id, customer: fx.customers.len() });
        }
        fx.customers.push(CustomerRef { id: c.id, contacts });
    }
    Ok((token, fx))
}

async fn fresh(args: &IntakeArgs) -> anyhow::Result<()> {
    if args.customers == 0 {
        bail!("--customers must be at least 1");
    }
    let scratch = Scratch::create(args.database_url.as_deref()).await?;
    let result = fresh_in(args, &scratch).await;
    let removed = scratch.remove(args.keep).await;
    result.and(removed)
}

/// The fresh server. It runs on a runtime of its own, as it would in its own process, so
/// the clients' work does not queue in front of the server's on the same worker threads.
struct Server {
    runtime: tokio::runtime::Runtime,
    addr: std::net::SocketAddr,
    token: String,
    fixture: Fixture,
    stop: tokio::sync::oneshot::Sender<()>,
    done: JoinHandle<anyhow::Result<()>>,
}

impl Server {
    async fn start(args: &IntakeArgs, url: &str) -> anyhow::Result<Server> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .thread_name("bench-server")
            .enable_all()
            .build()
            .context("starting the server runtime")?;
        let (ready, is_ready) = tokio::sync::oneshot::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (url, customers, devices) = (url.to_owned(), args.customers, args.devices_per_customer);
        let done = runtime.spawn(async move {
            let setup = async {
                let store = Store::connect(&url).await.context("opening the database")?;
                store.migrate().await.context("migrating")?;
                let app = App::new(store.clone(), Settings::default());
                let (token, fixture) = seed(&app, customers, devices).await?;
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding 127.0.0.1:0")?;
                anyhow::Ok((store, app, listener, token, fixture))
            };
            let (store, app, listener) = match setup.await {
                Ok((store, app, listener, token, fixture)) => {
                    let addr = listener.local_addr()?;
                    let _ = ready.send(Ok((addr, token, fixture)));
                    (store, app, listener)
                }
                Err(e) => {
                    let _ = ready.send(Err(e));
                    return Ok(());
                }
            };
            axum::serve(listener, aftersales_web::router(app))
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .context("server")?;
            store.close().await.context("closing the database")?;
            Ok(())
        });
        let (addr, token, fixture) = is_ready.await.context("server set-up")??;
        Ok(Server { runtime, addr, token, fixture, stop, done })
    }

    /// Stops accepting, lets requests in flight finish, closes the database.
    async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        let stopped = tokio::time::timeout(Duration::from_secs(10), self.done).await;
        self.runtime.shutdown_background();
        match stopped {
            Ok(joined) => joined.context("server task")?,
            Err(_) => bail!("the server did not stop within 10 s"),
        }
    }
}

/// SQLite: how many durable single-row commits per second this disk takes one after
/// another (each an autocommit `INSERT` through the same driver, WAL, `synchronous=FULL`),
/// measured in a file of its own beside the bench's database: the limit a registration
/// would have if each took its own commit, the reference group commit should beat (issue 18).
async fn single_commit_rate(scratch: &Scratch) -> anyhow::Result<Option<f64>> {
    let Scratch::Sqlite { dir, .. } = scratch else { return Ok(None) };
    let url = format!("sqlite://{}?mode=rwc", dir.join("reference.db").display());
    let store = Store::connect(&url).await.context("opening the reference database")?;
    let conn = store.read();
    conn.execute_unprepared("CREATE TABLE commits (id INTEGER PRIMARY KEY, at INTEGER NOT NULL)").await?;
    let (warm, n) = (100, 2_000);
    let mut started = Instant::now();
    for i in 0..warm + n {
        if i == warm {
            started = Instant::now();
        }
        conn.execute_unprepared(&format!("INSERT INTO commits (at) VALUES ({i})")).await?;
    }
    let rate = f64::from(n) / started.elapsed().as_secs_f64().max(f64::EPSILON);
    store.close().await?;
    Ok(Some(rate))
}

async fn fresh_in(args: &IntakeArgs, scratch: &Scratch) -> anyhow::Result<()> {
    eprintln!("measuring the disk's durable single-commit rate …");
    let reference = single_commit_rate(scratch).await?;
    eprintln!("seeding {} customers with {} devices each …", args.customers, args.devices_per_customer);
    let server = Server::start(args, scratch.url()).await?;
    let addr = server.addr;
    let directory = format!(
        "{} customers, {} contacts, {} devices",
        server.fixture.customers.len(),
        server.fixture.customers.iter().map(|c| c.contacts.len()).sum::<usize>(),
        server.fixture.devices.len()
    );
    let load = Arc::new(Load {
        base: format!("http://{addr}"),
        auth: format!("Bearer {}", server.token),
        fixture: server.fixture.clone(),
        idempotency_keys: args.idempotency_keys,
        run_id: StdRng::from_os_rng().random(),
    });
    eprintln!("registering {} + {} warm-up with {} clients …", args.requests, args.warmup, args.clients);
    let http = clients(args.clients)?;
    let run = drive(args, &load, &http).await;

    // Stop the server and close the database, then look every acknowledged ticket up again
    // through a new connection.
    drop(http);
    server.stop().await?;
    let (tally, acked, elapsed) = run?;
    let report = Report {
        backend: scratch.describe(),
        server: format!("fresh, in-process on its own runtime, http://{addr}"),
        directory,
        args,
        tally: &tally,
        elapsed,
        reference,
    };
    print_report(&report);

    let store = Store::connect(scratch.url()).await.context("reopening the database")?;
    let mut found = 0;
    for &id in &acked {
        found += usize::from(aftersales_storage::tickets::by_id(store.read(), id).await?.is_some());
    }
    let filter = TicketFilter { limit: 1, ..TicketFilter::default() };
    let (_, total) = aftersales_storage::tickets::list(store.read(), &filter).await?;
    store.close().await?;
    println!(
        "  durable      {found} of {} acknowledged registrations found after reopening the database ({total} tickets in it)",
        acked.len()
    );
    verdict(&tally, &acked, found)
}

// ---------------------------------------------------------------------------------------
// A running server

#[derive(Debug, Deserialize)]
struct DeviceRow {
    id: Id,
    customer_id: Id,
}

#[derive(Debug, Deserialize)]
struct CustomerRow {
    id: Id,
}

#[derive(Debug, Deserialize)]
struct Listing<T> {
    items: Vec<T>,
}

async fn get_json<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    load: &Load,
    path: &str,
) -> anyhow::Result<T> {
    let resp = client
        .get(format!("{}{path}", load.base))
        .header("authorization", &load.auth)
        .send()
        .await
        .with_context(|| format!("GET {path}"))?;
    let status = resp.status();
    let bytes = resp.bytes().await?;
    if !status.is_success() {
        bail!("GET {path}: HTTP {status}: {}", String::from_utf8_lossy(&bytes));
    }
    serde_json::from_slice(&bytes).with_context(|| format!("GET {path}: unexpected answer"))
}

async fn external(args: &IntakeArgs, base: &str, token: &str) -> anyhow::Result<()> {
    let mut load = Load {
        base: base.to_owned(),
        auth: format!("Bearer {token}"),
        fixture: Fixture::default(),
        idempotency_keys: args.idempotency_keys,
        run_id: StdRng::from_os_rng().random(),
    };
    let http = clients(args.clients)?;
    let devices: Vec<DeviceRow> = get_json(&http[0], &load, "/api/v1/devices?per_page=200").await?;
    let mut fx = Fixture::default();
    if devices.is_empty() {
        let customers: Listing<CustomerRow> = get_json(&http[0], &load, "/api/v1/customers?per_page=200").await?;
        fx.customers = customers.items.into_iter().map(|c| CustomerRef { id: c.id, contacts: Vec::new() }).collect();
    } else {
        for d in devices {
            let customer = match fx.customers.iter().position(|c| c.id == d.customer_id) {
                Some(i) => i,
                None => {
                    fx.customers.push(CustomerRef { id: d.customer_id, contacts: Vec::new() });
                    fx.customers.len() - 1
                }
            };
            fx.devices.push(DeviceRef { id: d.id, customer });
        }
    }
    if fx.customers.is_empty() {
        bail!("the server lists no customers to register tickets for");
    }
    let directory = format!("{} customers, {} devices (from the server)", fx.customers.len(), fx.devices.len());
    load.fixture = fx;
    let load = Arc::new(load);
    let (tally, acked, elapsed) = drive(args, &load, &http).await?;
    print_report(&Report {
        backend: "as configured on the server".into(),
        server: format!("running, {base}"),
        directory,
        args,
        tally: &tally,
        elapsed,
        reference: None,
    });
    let found = found_over_http(&http, &load, &acked).await?;
    println!("  durable      {found} of {} acknowledged registrations found (GET /api/v1/tickets/{{id}})", acked.len());
    verdict(&tally, &acked, found)
}

/// How many of `ids` the server still returns, asked by all clients at once.
async fn found_over_http(clients: &[reqwest::Client], load: &Arc<Load>, ids: &[Id]) -> anyhow::Result<usize> {
    let ids: Arc<Vec<Id>> = Arc::new(ids.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<JoinHandle<usize>> = clients
        .iter()
        .map(|client| {
            let (client, load, ids, next) = (client.clone(), load.clone(), ids.clone(), next.clone());
            tokio::spawn(async move {
                let mut found = 0;
                while let Some(&id) = ids.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let url = format!("{}/api/v1/tickets/{id}", load.base);
                    if let Ok(resp) = client.get(url).header("authorization", &load.auth).send().await {
                        let ok = resp.status() == reqwest::StatusCode::OK;
                        // Read the body so the connection is reused.
                        found += usize::from(resp.bytes().await.is_ok() && ok);
                    }
                }
                found
            })
        })
        .collect();
    let mut found = 0;
    for t in tasks {
        found += t.await.context("lookup task")?;
    }
    Ok(found)
}

// ---------------------------------------------------------------------------------------
// `aftersales bench sweep`: one notice sweep over a database of a million open tickets
