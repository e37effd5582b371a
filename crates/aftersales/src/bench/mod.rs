//! `aftersales bench …`: load tests against a fresh server (a new SQLite file or a
//! throw-away PostgreSQL schema) or, for intake, a running one. `intake` registers tickets
//! over HTTP, `sweep` times the notice worker on many due jobs, `pages` times the busiest
//! web pages, `reporting` the management reports and `export` their long lists, `parts` a stock check and an issue on a million-row stock ledger, `report` the service
//! report's PDF. The data they build in bulk is written by `aftersales_storage::bulk`.

mod export;
mod intake;
mod lists;
mod pages;
mod parts;
mod report;
mod reporting;
mod sweep;
mod visits;

pub use export::{ExportArgs, export};
pub use intake::{IntakeArgs, intake};
pub use lists::{ListsArgs, lists};
pub use pages::{PagesArgs, pages};
pub use parts::{PartsArgs, parts};
pub use report::{ReportArgs, report};
pub use reporting::{ReportingArgs, reporting};
pub use sweep::{SweepArgs, sweep};
pub use visits::{VisitsArgs, visits};

use std::path::PathBuf;
use std::time::Duration;

use aftersales_app::AppError;
use aftersales_domain::Lang;
use aftersales_storage::Store;
use aftersales_storage::bulk;
use anyhow::{Context, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A server of the app on a loopback port in this process, and a client signed in through
/// the sign-in form as a demo user (its session cookie).
pub(crate) struct Served {
    pub(crate) base: String,
    pub(crate) client: reqwest::Client,
    pub(crate) cookie: String,
    pub(crate) server: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub(crate) async fn serve_signed_in(app: &aftersales_app::App, username: &str) -> anyhow::Result<Served> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.context("binding 127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let router = aftersales_web::router(app.clone());
    let server = tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await
    });
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let cookie = sign_in_cookie(&client, &base, username).await?;
    Ok(Served { base, client, cookie, server })
}

/// Signs in through the sign-in form as demo user `username`; the session cookie.
pub(crate) async fn sign_in_cookie(client: &reqwest::Client, base: &str, username: &str) -> anyhow::Result<String> {
    let login = client
        .post(format!("{base}/login"))
        .header("origin", base)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username={username}&password={}", aftersales_demo::DEMO_PASSWORD))
        .send()
        .await?;
    let cookie = login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .with_context(|| format!("signing in as {username} gave no session cookie"))?
        .to_owned();
    Ok(cookie)
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
                bulk::create_schema(&admin, &schema).await.context("creating the schema")?;
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
                    bulk::drop_schema(&admin, &schema).await?;
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
