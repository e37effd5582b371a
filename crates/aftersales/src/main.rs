//! `aftersales`: the after-sales service desk in one binary.

mod backup;
mod bench;
mod config;

use std::path::PathBuf;

use aftersales_app::App;
use aftersales_demo::DemoSummary;
use aftersales_domain::role::Role;
use aftersales_domain::user::UserInput;
use aftersales_storage::Store;
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use crate::config::Config;

#[derive(Debug, Parser)]
#[command(name = "aftersales", version, about = "After-sales technical service desk (售后服务台)")]
struct Cli {
    /// Configuration file (default: aftersales.toml in the working directory, if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web server (the default): migrates, seeds defaults; on an empty database creates
    /// the demo (embedded SQLite on a loopback address, or `demo = true`) or else the administrator.
    Serve,
    /// Run the notice worker alone (due jobs and deliveries); any number may share a PostgreSQL database.
    Worker {
        /// A name for this worker's leases (default: host and process id).
        #[arg(long)]
        name: Option<String>,
    },
    /// Apply database migrations and seed the default catalog, then exit.
    Migrate,
    /// Reset the database to a freshly generated demo organization (deletes all data).
    Demo {
        /// Seed of the demo generator.
        #[arg(long, default_value_t = 2024)]
        seed: u64,
        /// Confirm deleting every record in the database.
        #[arg(long)]
        yes: bool,
    },
    /// Write a consistent backup of the SQLite database and every file it refers to into
    /// the new file FILE, while the server keeps serving (PostgreSQL: use pg_dump).
    Backup {
        /// The backup file to create (a tar archive; never overwritten).
        file: PathBuf,
    },
    /// Put a backup back into an empty data directory (checked before anything is kept).
    Restore {
        /// A file made by `aftersales backup`.
        file: PathBuf,
    },
    /// Copy this SQLite installation into an empty PostgreSQL database (the path for a team
    /// that outgrows one machine); the service may keep running: a snapshot is copied.
    CopyTo {
        /// The PostgreSQL database, e.g. postgres://aftersales:…@db.example.com/aftersales
        /// (a password given here shows in the process list: prefer --url-file).
        url: Option<String>,
        /// A file holding the URL (its first line).
        #[arg(long, conflicts_with = "url")]
        url_file: Option<PathBuf>,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Check business calendars: when a span of working time ends, how much lies between.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Benchmarks against a fresh server.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user, e.g. `aftersales user add --username li.lei --name 李雷 --role first_line_engineer --group hardware`.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        /// One of: desk_agent, dispatcher, supervisor, first_line_engineer, second_line_engineer, tech_lead,
        /// project_specialist, project_manager, general_manager, technical_director, data_specialist, parts_keeper,
        /// customer_contact, admin.
        #[arg(long)]
        role: String,
        /// Password for signing in to the pages (at least 8 characters); read from AFTERSALES_NEW_PASSWORD if unset.
        #[arg(long)]
        password: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        region: Option<String>,
        /// Handling group code (hardware, software, training, service, …).
        #[arg(long)]
        group: Option<String>,
        /// For customer contacts: their customer's id.
        #[arg(long)]
        customer_id: Option<i64>,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an API token for a user and print it (shown once).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum CalendarCommand {
    /// Print the instant a span of working time after FROM ends, e.g.
    /// `aftersales calendar add --from 2025-09-30T16:00:00+08:00 --working 4h`.
    Add {
        #[arg(long, default_value = "cn")]
        calendar: String,
        /// RFC 3339 instant with offset.
        #[arg(long)]
        from: String,
        /// `90m`, `4h`, `3d` (a day is one full working day of the calendar), `1h30m`.
        #[arg(long)]
        working: String,
    },
    /// Print the working time between two instants, in minutes.
    Between {
        #[arg(long, default_value = "cn")]
        calendar: String,
        from: String,
        to: String,
    },
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Register tickets over HTTP with N concurrent clients and report throughput and latency.
    Intake(bench::IntakeArgs),
    /// Time one notice sweep (1,000 due jobs) over a database of a million open tickets.
    Sweep(bench::SweepArgs),
    /// Latency of the board and ticket pages on the demo database enlarged to 100,000 tickets.
    Pages(bench::PagesArgs),
    /// Latency of every ticket list filter and sort (API and board) over a million tickets,
    /// 8 clients at once, and the server's start-up time and memory on that database.
    Lists(bench::ListsArgs),
    /// Latency of the dispatcher's visit calendar for 50 engineers over two weeks.
    Visits(bench::VisitsArgs),
    /// Latency of a stock check and an issue with a million rows in the stock ledger.
    Parts(bench::PartsArgs),
    /// Time to make a signed service report's PDF (and its size).
    Report(bench::ReportArgs),
    /// Latency of the monthly service report and the weekly per-engineer table over a
    /// million tickets.
    Reporting(bench::ReportingArgs),
    /// Time and memory of downloading the whole list behind a report's number as Excel and
    /// CSV (100,000 rows).
    Export(bench::ExportArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(Command::Bench { command }) = cli.command {
        init_logs("warn", false);
        return match command {
            BenchCommand::Intake(args) => bench::intake(args).await,
            BenchCommand::Sweep(args) => bench::sweep(args).await,
            BenchCommand::Pages(args) => bench::pages(args).await,
            BenchCommand::Lists(args) => bench::lists(args).await,
            BenchCommand::Visits(args) => bench::visits(args).await,
            BenchCommand::Parts(args) => bench::parts(args).await,
            BenchCommand::Report(args) => bench::report(args).await,
            BenchCommand::Reporting(args) => bench::reporting(args).await,
            BenchCommand::Export(args) => bench::export(args).await,
        };
    }
    let config = Config::load(cli.config.as_deref())?;
    // A calendar answer is the command's whole output: keep the log to warnings.
    let json = config.log_format == config::LogFormat::Json;
    init_logs(if matches!(cli.command, Some(Command::Calendar { .. })) { "warn" } else { &config.log }, json);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&config).await,
        Command::Worker { name } => {
            let app = open(&config).await?;
            let name = name.unwrap_or_else(|| format!("worker-{}", std::process::id()));
            println!("aftersales worker {name} running ({})", describe(&app));
            let worker = aftersales_jobs::Worker::new(app, config.notifier()?, name);
            worker.run(shutdown_signal()).await;
            Ok(())
        }
        Command::Migrate => {
            let app = open(&config).await?;
            println!("database migrated ({})", describe(&app));
            Ok(())
        }
        Command::Demo { seed, yes } => {
            if !yes {
                bail!("`aftersales demo` deletes every record in the database; run it again with --yes to confirm");
            }
            let app = open(&config).await?;
            aftersales_demo::wipe(app.store()).await?;
            app.ensure_defaults().await?;
            let summary = aftersales_demo::create(&app, seed).await?;
            save_credentials(&config, &summary)?;
            print_summary(&summary);
            print_credentials(&config, &summary);
            Ok(())
        }
        Command::Backup { file } => {
            let url = config.database_url()?;
            if !url.starts_with("sqlite:") {
                bail!(
                    "aftersales backup copies the embedded SQLite database; back a PostgreSQL database up with pg_dump (see the README)"
                );
            }
            // Checked before connecting, which would make an empty database file.
            let db = backup::sqlite_file(&config)?;
            if !db.exists() {
                bail!("there is no database at {} to back up (is this the service's directory?)", db.display());
            }
            let store =
                Store::connect(&url).await.with_context(|| format!("connecting to the database ({})", redact(&url)))?;
            let files = config.files.open(&config.data_dir).context("opening the file store")?;
            let s = backup::backup(&store, files, &file).await?;
            println!(
                "backup written to {}: {} tables, {} tickets, {} files, {} bytes",
                file.display(),
                s.tables,
                s.tickets,
                s.files,
                s.bytes
            );
            warn_missing(&s.missing_files);
            Ok(())
        }
        Command::Restore { file } => {
            let files = config.files.open(&config.data_dir).context("opening the file store")?;
            let s = backup::restore(&config, files, &file).await?;
            println!(
                "restored from {}: {} tables, {} tickets, {} files; start the service with `aftersales serve`",
                file.display(),
                s.tables,
                s.tickets,
                s.files
            );
            warn_missing(&s.missing_files);
            Ok(())
        }
        Command::CopyTo { url, url_file } => {
            let url = match (url, url_file) {
                (Some(url), None) => url,
                (None, Some(f)) => std::fs::read_to_string(&f)
                    .with_context(|| format!("reading {}", f.display()))?
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
                _ => bail!("copy-to needs the PostgreSQL URL, or --url-file naming a file that holds it"),
            };
            backup::copy_to(&config, &url).await
        }
        Command::User {
            command: UserCommand::Add { username, name, role, password, email, phone, region, group, customer_id },
        } => {
            let app = open(&config).await?;
            let role = Role::from_code(&role).with_context(|| format!("unknown role {role:?}"))?;
            let group_id = match group {
                Some(code) => {
                    let groups = aftersales_storage::catalog::groups(app.store().read()).await?;
                    Some(
                        groups
                            .iter()
                            .find(|g| g.code == code)
                            .map(|g| g.id)
                            .with_context(|| format!("unknown group {code:?}"))?,
                    )
                }
                None => None,
            };
            let password = password.or_else(|| std::env::var(config::NEW_PASSWORD_VAR).ok());
            let input = UserInput {
                username: Some(username),
                display_name: Some(name),
                role: Some(role),
                email,
                phone,
                region,
                group_id,
                customer_id,
                contact_id: None,
                password,
            };
            let user = app
                .create_user(None, &input)
                .await
                .map_err(|e| anyhow::anyhow!(e.message(aftersales_domain::Lang::En)))?;
            println!("user {} created (id {}, role {})", user.username, user.id, user.role);
            Ok(())
        }
        Command::Token { command: TokenCommand::Create { username, name } } => {
            let app = open(&config).await?;
            let user = app.user_by_username(&username).await?.with_context(|| format!("no user {username:?}"))?;
            let token = app
                .create_token(None, user.id, &name)
                .await
                .map_err(|e| anyhow::anyhow!(e.message(aftersales_domain::Lang::En)))?;
            println!("{token}");
            Ok(())
        }
        Command::Calendar { command } => {
            let app = open(&config).await?;
            let actor = aftersales_app::Actor::operator();
            let en = |e: aftersales_app::AppError| anyhow::anyhow!(e.message(aftersales_domain::Lang::En));
            let answer = match command {
                CalendarCommand::Add { calendar, from, working } => {
                    let from = instant("--from", &from)?;
                    app.calendar_add(&actor, &calendar, from, &working).await.map_err(en)?
                }
                CalendarCommand::Between { calendar, from, to } => {
                    let (from, to) = (instant("FROM", &from)?, instant("TO", &to)?);
                    app.calendar_between(&actor, &calendar, from, to).await.map_err(en)?
                }
            };
            for w in &answer.warnings {
                eprintln!("warning: {}", w.message(aftersales_domain::Lang::En));
            }
            match answer.due {
                Some(due) => println!("{due}"),
                None => println!("{}", answer.working_minutes),
            }
            Ok(())
        }
        Command::Bench { .. } => unreachable!("handled above"),
    }
}

/// Files the database refers to that the file store had lost before the backup.
fn warn_missing(missing: &[String]) {
    if !missing.is_empty() {
        eprintln!(
            "warning: {} file(s) the database refers to were already missing from the file store and are not in the backup (first: {})",
            missing.len(),
            missing[0]
        );
    }
}

/// Parses an RFC 3339 instant argument, naming it when malformed.
fn instant(name: &str, text: &str) -> anyhow::Result<aftersales_domain::Timestamp> {
    text.trim()
        .parse()
        .with_context(|| format!("{name} {text:?} is not an RFC 3339 instant such as 2025-09-30T16:00:00+08:00"))
}

/// Logs to standard output: text, coloured only on a terminal (a log file or a journal gets
/// no escape codes), or one JSON object per line for a log collector.
fn init_logs(filter: &str, json: bool) {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::new(std::env::var("RUST_LOG").unwrap_or_else(|_| filter.to_owned()));
    let _ = if json {
        tracing_subscriber::fmt().json().with_env_filter(filter).try_init()
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).with_ansi(std::io::stdout().is_terminal()).try_init()
    };
}

fn describe(app: &App) -> &'static str {
    match app.store().backend() {
        aftersales_storage::Backend::Sqlite => "SQLite",
        aftersales_storage::Backend::Postgres => "PostgreSQL",
    }
}

/// Connects, migrates and seeds the default catalog.
async fn open(config: &Config) -> anyhow::Result<App> {
    let url = config.database_url()?;
    let store = Store::connect_pooled(&url, config.database_max_connections)
        .await
        .with_context(|| format!("connecting to the database ({})", redact(&url)))?;
    store.migrate().await.context("migrating the database")?;
    let files = config.files.open(&config.data_dir).context("opening the file store")?;
    let app = App::new(store, config.settings()?).with_files(files);
    app.ensure_defaults().await.map_err(|e| anyhow::anyhow!("seeding defaults: {e}"))?;
    Ok(app)
}

/// Hides a password in a database URL.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn credentials_path(config: &Config) -> PathBuf {
    config.data_dir.join("demo-credentials.json")
}

/// Writes the demo's logins and tokens where only this account can read them (0600): the
/// tokens are as good as the passwords.
fn save_credentials(config: &Config, summary: &DemoSummary) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)?;
    let logins: Vec<serde_json::Value> = summary
        .logins
        .iter()
        .map(|l| serde_json::json!({"username": l.username, "name": l.display_name, "role": l.role.code(), "token": l.token}))
        .collect();
    let doc = serde_json::json!({"password": summary.password, "logins": logins});
    let path = credentials_path(config);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).with_context(|| format!("writing {}", path.display()))?;
    // `mode` applies to a new file only: a file left by an older version is tightened too.
    restrict(&path)?;
    std::io::Write::write_all(&mut file, &serde_json::to_vec_pretty(&doc)?)?;
    Ok(())
}

/// Makes a file readable by its owner only.
fn restrict(path: &std::path::Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("restricting {}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn print_summary(summary: &DemoSummary) {
    println!(
        "demo organization created: {} customers, {} devices, {} engineers, {} tickets",
        summary.customers, summary.devices, summary.engineers, summary.tickets
    );
}

/// The demo's logins and tokens, printed once: when the demo is made.
fn print_credentials(config: &Config, summary: &DemoSummary) {
    println!("Demo logins (password {}) and API tokens:", summary.password);
    for l in &summary.logins {
        println!(
            "  {:<16} {:<10} {:<8} {}",
            l.username,
            l.role.label(aftersales_domain::Lang::Zh),
            l.display_name,
            l.token
        );
    }
    println!("  e.g. curl -H 'Authorization: Bearer <token>' http://{}/api/v1/tickets", config.listen);
    println!("  (kept in {}, readable only by this account; not printed again)", credentials_path(config).display());
}

/// A password nobody chose: 16 letters and digits (about 95 bits), without look-alikes.
fn generated_password() -> String {
    use rand::{Rng, SeedableRng};
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::StdRng::from_os_rng();
    (0..16).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

/// The first start of a deployment without the demo: an administrator to sign in with,
/// with a generated password printed this once (only its hash is stored).
async fn create_first_administrator(app: &App, config: &Config) -> anyhow::Result<()> {
    let password = generated_password();
    let input = UserInput {
        username: Some("admin".into()),
        display_name: Some("管理员".into()),
        role: Some(Role::Admin),
        email: None,
        phone: None,
        region: None,
        group_id: None,
        customer_id: None,
        contact_id: None,
        password: Some(password.clone()),
    };
    app.create_user(None, &input).await.map_err(|e| anyhow::anyhow!(e.message(aftersales_domain::Lang::En)))?;
    println!("no users yet: created the administrator");
    println!("  username: admin");
    println!("  password: {password}");
    println!(
        "  This password is shown only now and is not stored anywhere readable: sign in at http://{}/login \
         and change it at once on your account page (/me).",
        config.listen
    );
    Ok(())
}

async fn serve(config: &Config) -> anyhow::Result<()> {
    let addr = config.listen_addr()?;
    let app = open(config).await?;
    let empty = aftersales_storage::users::users(app.store().read(), &[], None, None, 1, 0).await?.is_empty();
    let postgres = app.store().backend() == aftersales_storage::Backend::Postgres;
    let mut demo = None;
    if empty && config.wants_demo(postgres)? {
        println!("empty database: creating the demo organization …");
        let summary = aftersales_demo::create(&app, 2024).await?;
        save_credentials(config, &summary)?;
        print_summary(&summary);
        demo = Some(summary);
    } else if empty {
        create_first_administrator(&app, config).await?;
    }
    if config.smtp.is_some() && config.public_url.is_none() && !addr.ip().is_loopback() {
        // Customer e-mail carries links; http://0.0.0.0:8080/… leads nowhere.
        tracing::warn!(
            listen = %addr,
            "public_url is not set: the links in customer e-mail point to http://{addr}/; set public_url (AFTERSALES_PUBLIC_URL) to the address people reach this service at"
        );
    }
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
    println!("aftersales is serving on http://{addr}/ ({})", describe(&app));
    println!("  API: http://{addr}/api/v1/openapi.json   health: http://{addr}/healthz");
    let credentials = credentials_path(config);
    match demo {
        Some(summary) => print_credentials(config, &summary),
        None if credentials.exists() => {
            restrict(&credentials)?;
            println!("  demo logins and API tokens: {}", credentials.display());
        }
        None => {}
    }
    if config.worker {
        let worker =
            aftersales_jobs::Worker::new(app.clone(), config.notifier()?, format!("serve-{}", std::process::id()));
        tokio::spawn(worker.run(shutdown_signal()));
    }
    axum_serve(listener, app).await
}

async fn axum_serve(listener: tokio::net::TcpListener, app: App) -> anyhow::Result<()> {
    let router = aftersales_web::router(app);
    // The peer address reaches handlers (sign-in throttling per address).
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}
