//! `aftersales bench intake`: the registration load test.
//!
//! N clients, each on its own keep-alive connection, register complete and valid tickets
//! over HTTP as a desk agent would (`POST /api/v1/tickets`), against a fresh in-process
//! server (SQLite file in a temporary directory, or a throw-away schema in PostgreSQL) or
//! against a running server. A warm-up is excluded from the statistics. Afterwards every
//! acknowledged registration is looked up again: for a fresh server after shutting it
//! down and reopening the database, so "201 Created" is shown to mean "stored".

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aftersales_app::{Actor, App, AppError, Settings};
use aftersales_domain::customer::{ContactInput, CustomerInput, DeviceInput};
use aftersales_domain::registration::Registration;
use aftersales_domain::role::Role;
use aftersales_domain::user::UserInput;
use aftersales_domain::{Id, Lang, Timestamp};
use aftersales_storage::tickets::TicketFilter;
use aftersales_storage::{Conn as _, Store};
use anyhow::{Context, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use tokio::task::JoinHandle;

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

/// The `q`-th percentile (nearest rank) of sorted latencies.
pub(crate) fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
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
    println!("  throughput   {:.0} registrations/s", ok as f64 / secs.max(f64::EPSILON));
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

/// Where the fresh server keeps its data, and how to remove it afterwards.
pub(crate) enum Scratch {
    Sqlite { dir: PathBuf, url: String },
    Postgres { admin: Store, url: String, schema: String },
}

impl Scratch {
    pub(crate) async fn create(database_url: Option<&str>) -> anyhow::Result<Scratch> {
        let suffix = StdRng::from_os_rng().random::<u32>();
        match database_url {
            None => {
                let dir = std::env::temp_dir().join(format!("aftersales-bench-{}-{suffix:08x}", std::process::id()));
                std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
                let url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
                Ok(Scratch::Sqlite { dir, url })
            }
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                let schema = format!("bench_{suffix:08x}");
                let admin = Store::connect(url).await.context("connecting to PostgreSQL")?;
                admin
                    .read()
                    .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                    .await
                    .context("creating the schema")?;
                // libpq-style startup option: every pooled connection starts in the schema.
                let sep = if url.contains('?') { '&' } else { '?' };
                let url = format!("{url}{sep}options[search_path]={schema}");
                Ok(Scratch::Postgres { admin, url, schema })
            }
            Some(other) => bail!("--database-url must be a postgres://… URL (SQLite is the default): {other}"),
        }
    }

    pub(crate) fn url(&self) -> &str {
        match self {
            Scratch::Sqlite { url, .. } | Scratch::Postgres { url, .. } => url,
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Scratch::Sqlite { dir, .. } => {
                format!("SQLite, WAL, synchronous=FULL, group commit (new file in {})", dir.display())
            }
            Scratch::Postgres { schema, .. } => format!("PostgreSQL, fresh schema {schema}"),
        }
    }

    pub(crate) async fn remove(self, keep: bool) -> anyhow::Result<()> {
        match self {
            Scratch::Sqlite { dir, .. } if keep => eprintln!("kept {}", dir.display()),
            Scratch::Sqlite { dir, .. } => {
                std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?
            }
            Scratch::Postgres { admin, schema, .. } => {
                if keep {
                    eprintln!("kept schema {schema}");
                } else {
                    admin.read().execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE")).await?;
                }
                admin.close().await?;
            }
        }
        Ok(())
    }
}

fn app_err(what: &'static str) -> impl FnOnce(AppError) -> anyhow::Error {
    move |e| anyhow::anyhow!("{what}: {}", e.message(Lang::En))
}

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

async fn fresh_in(args: &IntakeArgs, scratch: &Scratch) -> anyhow::Result<()> {
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

#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// Open tickets in the database (one made through the use cases, the rest copies of it).
    #[arg(long, default_value_t = 1_000_000)]
    pub tickets: u64,
    /// Jobs due when the sweep runs (response deadlines of as many tickets); the sweep's limit.
    #[arg(long, default_value_t = 1_000)]
    pub due: u64,
    /// Measured sweeps (the due jobs are re-armed and their notices deleted in between).
    #[arg(long, default_value_t = 7)]
    pub runs: usize,
    /// Database: default a new SQLite file in a temporary directory; or a postgres://… URL (a
    /// fresh schema is created in it and dropped afterwards).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Keep the SQLite file or PostgreSQL schema instead of deleting it.
    #[arg(long)]
    pub keep: bool,
    /// Afterwards, time one more sweep step by step through the storage calls it makes.
    #[arg(long)]
    pub breakdown: bool,
}

/// The instant the template ticket is registered: a Friday morning in Shanghai (a working
/// day of the default calendar, with holiday data for the year).
const SWEEP_START: &str = "2024-03-15T09:00:00+08:00";

pub async fn sweep(args: SweepArgs) -> anyhow::Result<()> {
    if args.due == 0 || args.runs == 0 {
        bail!("--due and --runs must be at least 1");
    }
    if args.tickets <= args.due || args.tickets > 9_000_000 {
        bail!("--tickets must be more than --due and at most 9,000,000");
    }
    let scratch = Scratch::create(args.database_url.as_deref()).await?;
    let result = sweep_in(&args, &scratch).await;
    let removed = scratch.remove(args.keep).await;
    result.and(removed)
}

/// The people notices go to, and the ticket every bench ticket is a copy of.
struct Template {
    ticket: aftersales_domain::ticket::Ticket,
    jobs: Vec<aftersales_storage::notices::Job>,
}

/// Makes one ticket through the real use cases, as the desk would on the phone: registered,
/// accepted, graded P1 (2 h response) and dispatched to an engineer, so its response clock
/// runs and its jobs are the ones the application schedules for it.
async fn template(app: &App) -> anyhow::Result<Template> {
    use aftersales_app::tickets::Command;
    app.ensure_defaults().await.map_err(app_err("seeding defaults"))?;
    let user = |username: &str, name: &str, role: Role, group: Option<Id>| UserInput {
        username: Some(username.into()),
        display_name: Some(name.into()),
        role: Some(role),
        email: Some(format!("{username}@example.com")),
        region: group.map(|_| "华南".into()),
        group_id: group,
        ..UserInput::default()
    };
    let actor = |user| Actor { user };
    let admin =
        actor(app.create_user(None, &user("admin", "管理员", Role::Admin, None)).await.map_err(app_err("admin"))?);
    let hardware = app
        .groups(&admin)
        .await
        .map_err(app_err("groups"))?
        .into_iter()
        .find(|g| g.code == "hardware")
        .context("no hardware group in the default catalog")?
        .id;
    let category = app
        .categories(&admin)
        .await
        .map_err(app_err("categories"))?
        .into_iter()
        .find(|c| c.code == "paper_jam")
        .context("no paper_jam category in the default catalog")?
        .id;
    let mut staff = Vec::new();
    for (username, name, role, group) in [
        ("desk1", "张敏", Role::DeskAgent, None),
        ("dispatch1", "赵强", Role::Dispatcher, None),
        ("supervisor1", "钱主管", Role::Supervisor, None),
        ("supervisor2", "李主管", Role::Supervisor, None),
        ("eng.south", "吴工", Role::FirstLineEngineer, Some(hardware)),
        ("specialist1", "冯专员", Role::ProjectSpecialist, None),
        ("pm1", "陈经理", Role::ProjectManager, None),
        ("gm1", "王总", Role::GeneralManager, None),
    ] {
        let u = app.create_user(None, &user(username, name, role, group)).await.map_err(app_err("staff"))?;
        staff.push(actor(u));
    }
    let (desk, dispatcher, engineer, specialist) = (&staff[0], &staff[1], &staff[4], &staff[5]);
    let customer = CustomerInput {
        name: Some("广州南粤印务有限公司".into()),
        short_name: Some("南粤印务".into()),
        region: Some("华南".into()),
        level: Some("A".into()),
        specialist_id: Some(specialist.id()),
        ..CustomerInput::default()
    };
    let customer = app.create_customer(&admin, &customer).await.map_err(app_err("customer"))?;
    let contact = ContactInput {
        name: Some("黄主任".into()),
        phone: Some("020-86001234".into()),
        department: Some("行政部".into()),
        ..ContactInput::default()
    };
    let contact = app.create_contact(&admin, customer.id, &contact).await.map_err(app_err("contact"))?;
    let device = DeviceInput {
        customer_id: Some(customer.id),
        model: Some("bizhub C300i".into()),
        serial: Some("B7C8-000456".into()),
        location: Some("3楼财务部".into()),
        ..DeviceInput::default()
    };
    let device = app.create_device(&admin, &device).await.map_err(app_err("device"))?;
    let registration = Registration {
        customer_id: Some(customer.id),
        contact_id: Some(contact.id),
        device_id: Some(device.id),
        category_id: Some(category),
        fault_code: Some("J-7012".into()),
        description: Some("复印时第二纸盒卡纸，面板报警 J-7012，取出后仍反复出现".into()),
        occurred_at: Some(app.now() - jiff::SignedDuration::from_mins(20)),
        impact_scope: Some("财务部一台复印机，无法打印报销单".into()),
        ..Registration::default()
    };
    let mut t = app
        .register(desk, &registration, None)
        .await
        .map_err(app_err("registering"))?
        .into_value()
        .map_err(app_err("registering"))?
        .ticket;
    for (who, cmd) in [
        (desk, Command::Accept),
        (desk, Command::Grade { level: "P1".into(), reason: "财务月结受阻".into() }),
        (dispatcher, Command::Dispatch { group_id: None, engineer_id: Some(engineer.id()) }),
    ] {
        let what = cmd.name();
        let outcome = app.act(who, t.id, Some(t.version), &cmd, None).await.map_err(app_err(what))?;
        t = outcome.into_value().map_err(app_err(what))?.ticket.ticket;
    }
    let conn = app.store().read();
    let ticket = aftersales_storage::tickets::by_id(conn, t.id).await?.context("the template ticket vanished")?;
    let jobs = aftersales_storage::notices::pending_jobs(conn, t.id).await?;
    Ok(Template { ticket, jobs })
}

/// What building the data took and made.
struct Built {
    template_id: Id,
    template_number: String,
    template: Duration,
    tickets: Duration,
    jobs: Duration,
    analyze: Option<Duration>,
    background_jobs: u64,
    due_jobs: u64,
    sweep_at: Timestamp,
}

/// SQL text literal.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Rows `n` = 1 to `count`: a generated series on PostgreSQL, a recursive CTE on SQLite.
fn series(postgres: bool, count: u64) -> (String, String) {
    if postgres {
        (String::new(), format!("generate_series(1::bigint, {count}::bigint) AS s(n)"))
    } else {
        (format!("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {count}) "), "s".into())
    }
}

async fn build(args: &SweepArgs, app: &App, clock: &AtomicI64) -> anyhow::Result<Built> {
    use aftersales_domain::notice::JobKind;
    let started = Instant::now();
    let tpl = template(app).await?;
    let template_took = started.elapsed();
    let t = &tpl.ticket;
    let response = tpl
        .jobs
        .iter()
        .find(|j| j.kind == JobKind::ResponseDue)
        .context("the template ticket has no response deadline job")?;
    let expected = format!("t{}:response_due:{}", t.id, response.due_at.as_millisecond());
    if response.key != expected {
        bail!("unexpected response job key {} (expected {expected})", response.key);
    }
    // The sweep runs 5 minutes after the response deadline: the deadline's job is due; the
    // reminders before it ran earlier (done); the resolution reminders, the end of the working
    // day and the three-day mark lie ahead.
    let sweep_at = response.due_at + jiff::SignedDuration::from_mins(5);
    clock.store(sweep_at.as_millisecond(), Ordering::SeqCst);
    let future: Vec<&aftersales_storage::notices::Job> = tpl.jobs.iter().filter(|j| j.due_at > sweep_at).collect();
    let prefix = format!("t{}", t.id);
    let suffix = |key: &str| key.strip_prefix(&prefix).map(str::to_owned).context("job key without its ticket");
    let postgres = app.store().backend() == aftersales_storage::Backend::Postgres;
    let copies = args.tickets - 1;
    let (first, now_ms, sweep_ms) = (t.id + 1, t.updated_at.as_millisecond(), sweep_at.as_millisecond());

    let tx = app.store().write().await?;
    // The template's jobs due by now have run (as an earlier sweep would have run them).
    tx.execute_unprepared(&format!(
        "UPDATE jobs SET state = 'done' WHERE ticket_id = {} AND state = 'pending' AND due_at <= {sweep_ms}",
        t.id
    ))
    .await?;
    eprintln!("copying ticket {} {} times …", t.number, copies);
    let step = Instant::now();
    let number = format!("substr(t.number, 1, 9) || ({} + n)", 1_000_000);
    let id = format!("{} + n", t.id);
    let inserted =
        aftersales_storage::maintenance::copy_row(&*tx, "tickets", t.id, copies, &[("id", &id), ("number", &number)])
            .await?;
    if inserted != copies {
        bail!("{inserted} tickets copied instead of {copies}");
    }
    if postgres {
        // Explicit ids leave the id sequence behind; keep it usable (e.g. with --keep).
        tx.execute_unprepared("SELECT setval(pg_get_serial_sequence('tickets', 'id'), (SELECT max(id) FROM tickets))")
            .await?;
    }
    let tickets_took = step.elapsed();

    eprintln!("scheduling {} future jobs per ticket and {} due ones …", future.len(), args.due);
    let step = Instant::now();
    let mut background_jobs = 0;
    if !future.is_empty() {
        let rows = future
            .iter()
            .map(|j| {
                Ok(format!(
                    "SELECT {} AS suffix, {} AS kind, {} AS due_at",
                    lit(&suffix(&j.key)?),
                    lit(j.kind.code()),
                    j.due_at.as_millisecond()
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()?
            .join(" UNION ALL ");
        let (with, from) = series(postgres, copies);
        background_jobs = tx
            .execute_unprepared(&format!(
                "{with}INSERT INTO jobs (key, kind, ticket_id, subject, data, due_at, state, attempts, created_at, \
                 updated_at) SELECT 't' || ({first} - 1 + n) || j.suffix, {check}, {first} - 1 + n, \
                 'ticket:' || ({first} - 1 + n), j.kind, j.due_at, 'pending', 0, {now_ms}, {now_ms} \
                 FROM {from} CROSS JOIN ({rows}) AS j ORDER BY n, j.due_at",
                check = lit(aftersales_storage::notices::NOTICE_CHECK),
            ))
            .await?
            .rows_affected();
    }
    // The due ones: the response deadline of `due` tickets spread over the copies, with the
    // key `schedule` gives a ticket with that id and deadline.
    let stride = copies / args.due;
    let (with, from) = series(postgres, args.due);
    let id = format!("({} + n * {stride})", t.id);
    let due_jobs = tx
        .execute_unprepared(&format!(
            "{with}INSERT INTO jobs (key, kind, ticket_id, subject, data, due_at, state, attempts, created_at, \
             updated_at) SELECT 't' || {id} || {}, {}, {id}, 'ticket:' || {id}, {}, {}, 'pending', 0, {now_ms}, \
             {now_ms} FROM {from} ORDER BY n",
            lit(&suffix(&response.key)?),
            lit(aftersales_storage::notices::NOTICE_CHECK),
            lit(JobKind::ResponseDue.code()),
            response.due_at.as_millisecond(),
        ))
        .await?
        .rows_affected();
    tx.commit().await?;
    let jobs_took = step.elapsed();
    let mut analyze = None;
    if postgres {
        // The steady state of a database in service: fresh statistics and a vacuumed heap
        // (visibility map and hint bits set), as autovacuum leaves tables this size. Without
        // it autovacuum starts on the four million new job rows in the middle of the sweeps
        // and the first reads of each row write its hint bits. Only this schema's tables.
        eprintln!("VACUUM ANALYZE …");
        let step = Instant::now();
        let tables = "tickets, jobs, notices, notice_recipients, deliveries, ticket_events, users, customers";
        app.store().read().execute_unprepared(&format!("VACUUM ANALYZE {tables}")).await?;
        analyze = Some(step.elapsed());
    }
    Ok(Built {
        template_id: t.id,
        template_number: t.number.to_string(),
        template: template_took,
        tickets: tickets_took,
        jobs: jobs_took,
        analyze,
        background_jobs,
        due_jobs,
        sweep_at,
    })
}

/// Puts the due jobs back as they were before a sweep and deletes what it recorded.
async fn rearm(app: &App, template: Id) -> anyhow::Result<()> {
    let tx = app.store().write().await?;
    for sql in [
        "DELETE FROM delivery_attempts".to_owned(),
        "DELETE FROM deliveries".to_owned(),
        "DELETE FROM notice_recipients".to_owned(),
        "DELETE FROM notices".to_owned(),
        "DELETE FROM ticket_events WHERE action = 'notice'".to_owned(),
        format!(
            "UPDATE jobs SET state = 'pending', attempts = 0, lease_until = NULL, locked_by = NULL \
             WHERE kind = 'notice_check' AND data = 'response_due' AND ticket_id <> {template}"
        ),
    ] {
        tx.execute_unprepared(&sql).await?;
    }
    tx.commit().await?;
    if app.store().backend() == aftersales_storage::Backend::Postgres {
        // Notices are never deleted in service, so their tables never hold dead rows with
        // the keys about to be stored again: clear those out, whether autovacuum runs or not.
        app.store().read().execute_unprepared("VACUUM notices, notice_recipients, deliveries, ticket_events").await?;
    }
    Ok(())
}

/// What one sweep recorded: notices, their recipients, deliveries queued.
async fn recorded(app: &App) -> anyhow::Result<(u64, usize, usize)> {
    use aftersales_storage::notices::{NoticeFilter, deliveries, list_notices};
    let conn = app.store().read();
    let (sample, total) = list_notices(conn, &NoticeFilter { limit: 1, ..NoticeFilter::default() }).await?;
    let recipients = sample.first().map_or(0, |n| n.recipients.len());
    let queued = deliveries(conn, None, None, 10).await?.len();
    Ok((total, recipients, queued))
}

async fn sweep_in(args: &SweepArgs, scratch: &Scratch) -> anyhow::Result<()> {
    let store = Store::connect(scratch.url()).await.context("opening the database")?;
    store.migrate().await.context("migrating")?;
    let start: Timestamp = jiff::Zoned::strptime("%Y-%m-%dT%H:%M:%S%:z", SWEEP_START)?.timestamp();
    let clock = Arc::new(AtomicI64::new(start.as_millisecond()));
    let c = clock.clone();
    // No SMTP relay and no robot routes: the sweep queues no deliveries ("excluding
    // network delivery"); in-app notices, recipients and history events are all recorded.
    let settings = Settings { email: false, ..Settings::default() };
    let app_tz = settings.time_zone.clone();
    let app = App::new(store.clone(), settings).with_clock(Arc::new(move || {
        Timestamp::from_millisecond(c.load(Ordering::SeqCst)).unwrap_or(Timestamp::UNIX_EPOCH)
    }));
    eprintln!("building {} open tickets with {} jobs due …", args.tickets, args.due);
    let started = Instant::now();
    let built = build(args, &app, &clock).await?;
    let build_took = started.elapsed();
    let filter = TicketFilter { limit: 1, ..TicketFilter::default() };
    let (_, tickets) = aftersales_storage::tickets::list(store.read(), &filter).await?;

    eprintln!("sweeping {} times …", args.runs);
    let mut took = Vec::with_capacity(args.runs);
    let mut recipients = 0;
    for run in 0..args.runs {
        if run > 0 {
            rearm(&app, built.template_id).await?;
        }
        let started = Instant::now();
        let n = app.run_due_jobs("bench", args.due).await.map_err(app_err("sweep"))?;
        let elapsed = started.elapsed();
        let (notices, per_notice, queued) = recorded(&app).await?;
        if n as u64 != args.due || notices != args.due {
            bail!("sweep {}: {n} jobs run and {notices} notices recorded, expected {} of each", run + 1, args.due);
        }
        if queued != 0 {
            bail!("sweep {}: {queued} deliveries queued, expected none", run + 1);
        }
        let again = app.run_due_jobs("bench", args.due).await.map_err(app_err("sweep"))?;
        if again != 0 {
            bail!("sweep {}: {again} jobs still due afterwards", run + 1);
        }
        recipients = per_notice;
        eprintln!("  sweep {}: {}", run + 1, ms(elapsed));
        took.push(elapsed);
    }
    let steps = if args.breakdown { breakdown(&app, args.due, built.template_id).await? } else { Vec::new() };
    store.close().await?;

    let mut sorted = took.clone();
    sorted.sort_unstable();
    let median = sorted[sorted.len() / 2];
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let secs = |d: Duration| format!("{:.1} s", d.as_secs_f64());
    println!();
    println!("aftersales bench sweep");
    println!("  backend      {}", scratch.describe());
    println!("  machine      {cores} cores");
    println!(
        "  data         {tickets} open tickets (P1, dispatched, response clock running): ticket {} made through the \
         use cases, the rest copies of it",
        built.template_number
    );
    println!(
        "               {} pending jobs ahead (resolution reminders, end of day, three days), {} due (response deadlines)",
        built.background_jobs, built.due_jobs
    );
    println!(
        "  build        {} (template {}, tickets {}, jobs {}{})",
        secs(build_took),
        ms(built.template),
        secs(built.tickets),
        secs(built.jobs),
        built.analyze.map(|d| format!(", VACUUM ANALYZE {}", secs(d))).unwrap_or_default()
    );
    println!(
        "  sweep        run_due_jobs(\"bench\", {}) at {}: claims the due jobs, checks each against its ticket, records",
        args.due,
        built.sweep_at.to_zoned(app_tz.clone()).strftime("%Y-%m-%d %H:%M %:z")
    );
    println!(
        "               {} response-timeout notices ({recipients} recipients each, in-app; no e-mail, no robots) with \
         history events, marks the jobs done; one transaction",
        args.due
    );
    println!("  runs         {}", took.iter().map(|d| ms(*d)).collect::<Vec<_>>().join(", "));
    println!("  min          {}", ms(sorted[0]));
    println!("  median       {}", ms(median));
    println!("  max          {}", ms(sorted[sorted.len() - 1]));
    let verdict = if median < Duration::from_millis(100) { "met" } else { "NOT met" };
    println!("  target       one sweep under 100 ms: {verdict} (median)");
    if !steps.is_empty() {
        println!("  breakdown    one more sweep, step by step through the storage calls it makes:");
        for (name, d) in &steps {
            println!("               {:>10}  {name}", ms(*d));
        }
    }
    Ok(())
}

/// One sweep step by step, through the storage calls `run_due_jobs` makes, each timed:
/// where a sweep's time goes. Returns the steps with their durations.
async fn breakdown(app: &App, due: u64, template: Id) -> anyhow::Result<Vec<(String, Duration)>> {
    use aftersales_domain::calendar::Calendar;
    use aftersales_domain::event::{Change, Event};
    use aftersales_domain::notice::{self, Audience};
    use aftersales_storage::{directory, notices, policy, tickets, users};
    rearm(app, template).await?;
    let conn = app.store().read();
    let specs = policy::calendars(conn).await?;
    let sets = policy::holiday_sets(conn).await?;
    let spec = specs.iter().find(|c| c.name == "cn").context("no cn calendar")?;
    let set = spec.holiday_set.as_deref().and_then(|n| sets.iter().find(|s| s.name == n));
    let cal = Calendar::compile(spec, set).map_err(|e| anyhow::anyhow!("compiling the calendar: {e}"))?;
    let now = app.now();
    let mut laps = Laps { steps: Vec::new(), lap: Instant::now() };
    let tx = app.store().write().await?;
    laps.step("begin".into());
    let jobs = notices::take_jobs(&*tx, "bench", now, due).await?;
    laps.step(format!("take {} jobs, marked done (one UPDATE … RETURNING)", jobs.len()));
    let mut ids: Vec<Id> = jobs.iter().map(|j| j.ticket_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let by_id: std::collections::HashMap<Id, aftersales_domain::ticket::Ticket> =
        tickets::by_ids(&*tx, &ids).await?.into_iter().map(|t| (t.id, t)).collect();
    let loaded = jobs
        .iter()
        .map(|j| by_id.get(&j.ticket_id).cloned().context("a ticket vanished"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    laps.step(format!("read {} tickets in one query (tickets::by_ids)", by_id.len()));
    let mut specs = Vec::with_capacity(jobs.len());
    for (j, t) in jobs.iter().zip(&loaded) {
        if let Some(spec) = notice::evaluate(&j.key, j.kind, t, &cal) {
            specs.push((t, spec, j.due_at.min(now)));
        }
    }
    laps.step(format!("evaluate {} jobs (notice::evaluate)", jobs.len()));
    let _routes = notices::routes(&*tx).await?;
    let customer = match loaded.first() {
        Some(t) => directory::customer_by_id(&*tx, t.customer_id).await?,
        None => None,
    };
    let supervisors = users::active_with_role(&*tx, Role::Supervisor).await?;
    laps.step("look up routes, the customer's specialist, supervisors (once)".into());
    let rows: Vec<(Id, &aftersales_domain::notice::NoticeSpec, Timestamp)> =
        specs.iter().map(|(t, s, at)| (t.id, s, *at)).collect();
    let stored = notices::insert_notices(&*tx, &rows).await?;
    laps.step(format!("insert {} notices", stored.len()));
    let mut recipients = Vec::new();
    let mut events = Vec::new();
    for (id, (t, spec, at)) in stored.iter().zip(&specs) {
        let Some(id) = *id else { continue };
        for &u in &supervisors {
            recipients.push((id, u, Audience::Supervisor));
        }
        if let Some(s) = customer.as_ref().and_then(|c| c.specialist_id) {
            recipients.push((id, s, Audience::ProjectSpecialist));
        }
        events.push(Event {
            id: 0,
            ticket_id: t.id,
            at: *at,
            actor_id: 0,
            action: "notice".into(),
            changes: vec![Change::added("notice_kind", spec.kind.code())],
            note: Some(spec.subject_zh.clone()),
        });
    }
    notices::insert_recipients(&*tx, &recipients).await?;
    laps.step(format!("insert {} recipients", recipients.len()));
    notices::insert_events(&*tx, &events).await?;
    laps.step(format!("insert {} history events", events.len()));
    tx.commit().await?;
    laps.step("commit".into());
    Ok(laps.steps)
}

/// Durations of consecutive steps.
struct Laps {
    steps: Vec<(String, Duration)>,
    lap: Instant,
}

impl Laps {
    fn step(&mut self, name: String) {
        self.steps.push((name, self.lap.elapsed()));
        self.lap = Instant::now();
    }
}
