//! Configuration: defaults → `aftersales.toml` → `AFTERSALES_*` environment. Unknown
//! keys are errors, so a typo never silently falls back to a default.
//!
//! | key | env | default | meaning |
//! |---|---|---|---|
//! | `listen` | `AFTERSALES_LISTEN` | `127.0.0.1:8080` | address the web server binds |
//! | `data_dir` | `AFTERSALES_DATA_DIR` | `./data` | SQLite database and demo credentials |
//! | `database_url` | `AFTERSALES_DATABASE_URL` | SQLite in `data_dir` | `postgres://…` selects PostgreSQL |
//! | `database_url_file` | `AFTERSALES_DATABASE_URL_FILE` | — | read the URL from a file (secrets) |
//! | `time_zone` | `AFTERSALES_TIME_ZONE` | `Asia/Shanghai` | service time zone (ticket numbers) |
//! | `repeat_window_days` | `AFTERSALES_REPEAT_WINDOW_DAYS` | `30` | repeat-report window |
//! | `demo` | `AFTERSALES_DEMO` | automatic | create the demo organization in an empty database: unset, only on the embedded SQLite database with a loopback `listen` address; `true` also elsewhere; `false` never |
//! | `occurred_horizon_days` | `AFTERSALES_OCCURRED_HORIZON_DAYS` | `365` | how many days before its registration a problem may have occurred |
//! | `log` | `AFTERSALES_LOG` | `info` | log filter (`RUST_LOG` syntax) |
//! | `worker` | `AFTERSALES_WORKER` | `true` | run the notice worker inside `serve` |
//! | `trusted_proxies` | `AFTERSALES_TRUSTED_PROXIES` | none | reverse proxies whose `X-Forwarded-For` is believed (list of IP addresses) |
//! | `smtp` | — | none | `[smtp]` host, port, tls (`none`/`starttls`/`tls`), username, password, from |
//! | `webhooks` | — | no exceptions | `[webhooks]` allowed_hosts (private addresses allowed), timeout_secs |
//! | `public_url` | `AFTERSALES_PUBLIC_URL` | `http://` + `listen` | where people reach the service: links in customer e-mail start with it |
//! | `files.backend` | — | `disk` | where uploaded files are kept: `disk` (under `data_dir/files`) or `s3` (a bucket several instances share) |
//! | `files.bucket` | — | none | `s3`: the bucket (required) |
//! | `files.endpoint` | — | AWS's | `s3`: an S3-compatible server's URL (`http://minio:9000`); addressed by path |
//! | `files.region` | — | `us-east-1` | `s3`: the bucket's region |
//! | `files.access_key_id`, `files.secret_access_key` | — | `AWS_*` environment | `s3`: the credentials |

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub listen: String,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub database_url_file: Option<PathBuf>,
    pub time_zone: String,
    pub repeat_window_days: i64,
    /// `None` (not set): the demo only where a newcomer tries the product (see [`Config::wants_demo`]).
    pub demo: Option<bool>,
    pub occurred_horizon_days: i64,
    pub log: String,
    /// Run the notice worker (jobs and deliveries) inside `serve`.
    pub worker: bool,
    /// The SMTP relay for e-mail notices; without it e-mail deliveries wait as dead letters.
    pub smtp: Option<aftersales_notify::SmtpConfig>,
    pub webhooks: aftersales_notify::WebhookPolicy,
    /// Reverse proxies (IP addresses) whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<String>,
    /// The address people reach the service at (`https://desk.example.com`); links in
    /// customer e-mail start with it. Default: `http://` and `listen`.
    pub public_url: Option<String>,
    /// Where uploaded files are kept (`[files]`).
    pub files: aftersales_files::FilesConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            database_url_file: None,
            time_zone: "Asia/Shanghai".into(),
            repeat_window_days: aftersales_domain::repeat::DEFAULT_WINDOW_DAYS,
            demo: None,
            occurred_horizon_days: aftersales_domain::registration::DEFAULT_OCCURRED_HORIZON_DAYS,
            log: "info".into(),
            worker: true,
            smtp: None,
            webhooks: aftersales_notify::WebhookPolicy::default(),
            trusted_proxies: Vec::new(),
            public_url: None,
            files: aftersales_files::FilesConfig::default(),
        }
    }
}

/// Environment variables of the test harness, not settings of the service.
const NOT_SETTINGS: &[&str] = &["test_postgres_url"];

impl Config {
    /// Loads the layered configuration; `file` defaults to `aftersales.toml` in the working directory.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let file = file.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("aftersales.toml"));
        let config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(&file))
            .merge(Env::prefixed("AFTERSALES_").filter(|k| !NOT_SETTINGS.contains(&k.as_str().to_lowercase().as_str())))
            .extract()
            .map_err(|e| anyhow::anyhow!("invalid configuration ({}): {e}", file.display()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        self.listen_addr()?;
        jiff::tz::TimeZone::get(&self.time_zone)
            .with_context(|| format!("time_zone {:?} is not a known time zone", self.time_zone))?;
        if !(1..=3650).contains(&self.repeat_window_days) {
            bail!("repeat_window_days must be between 1 and 3650, not {}", self.repeat_window_days);
        }
        if !(1..=36500).contains(&self.occurred_horizon_days) {
            bail!("occurred_horizon_days must be between 1 and 36500, not {}", self.occurred_horizon_days);
        }
        self.trusted_proxies()?;
        self.files.check().map_err(anyhow::Error::msg)?;
        if let Some(u) = &self.public_url
            && !(u.starts_with("http://") || u.starts_with("https://"))
        {
            bail!("public_url {u:?} must start with http:// or https://, e.g. https://desk.example.com");
        }
        Ok(())
    }

    /// Whether an empty database gets the demo organization (with its well-known password
    /// `demo1234`). Asked for explicitly (`demo = true`), always; not set, only where a
    /// newcomer tries the product: the embedded SQLite database, served on a loopback address
    /// that nobody else can reach. A PostgreSQL database or a server others can reach is a
    /// deployment, where a known password would be an open door.
    pub fn wants_demo(&self, postgres: bool) -> anyhow::Result<bool> {
        Ok(match self.demo {
            Some(explicit) => explicit,
            None => !postgres && self.listen_addr()?.ip().is_loopback(),
        })
    }

    fn trusted_proxies(&self) -> anyhow::Result<Vec<std::net::IpAddr>> {
        self.trusted_proxies
            .iter()
            .map(|p| p.trim().parse().with_context(|| format!("trusted_proxies: {p:?} is not an IP address")))
            .collect()
    }

    pub fn listen_addr(&self) -> anyhow::Result<SocketAddr> {
        self.listen.parse().with_context(|| format!("listen {:?} is not an address like 127.0.0.1:8080", self.listen))
    }

    /// The database to use: the configured URL, or SQLite in the data directory.
    pub fn database_url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        if let Some(f) = &self.database_url_file {
            let url =
                std::fs::read_to_string(f).with_context(|| format!("reading database_url_file {}", f.display()))?;
            return Ok(url.trim().to_owned());
        }
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating data directory {}", self.data_dir.display()))?;
        Ok(format!("sqlite://{}?mode=rwc", self.data_dir.join("aftersales.db").display()))
    }

    pub fn settings(&self) -> anyhow::Result<aftersales_app::Settings> {
        Ok(aftersales_app::Settings {
            time_zone: jiff::tz::TimeZone::get(&self.time_zone)?,
            repeat_window_days: self.repeat_window_days,
            email: self.smtp.is_some(),
            trusted_proxies: self.trusted_proxies()?,
            public_url: self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.listen)),
            occurred_horizon_days: self.occurred_horizon_days,
        })
    }
}

impl Config {
    /// The channels notices are delivered on.
    pub fn notifier(&self) -> anyhow::Result<aftersales_notify::Notifier> {
        aftersales_notify::Notifier::new(self.smtp.clone(), self.webhooks.clone())
            .map_err(|e| anyhow::anyhow!("invalid smtp/webhooks configuration: {e}"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_is_made_unasked_only_on_embedded_sqlite_served_to_this_machine() {
        let at = |listen: &str, demo: Option<bool>| Config { listen: listen.into(), demo, ..Config::default() };
        assert!(at("127.0.0.1:8080", None).wants_demo(false).unwrap(), "the newcomer's one command");
        assert!(at("[::1]:8080", None).wants_demo(false).unwrap());
        assert!(!at("127.0.0.1:8080", None).wants_demo(true).unwrap(), "PostgreSQL is a deployment");
        assert!(!at("0.0.0.0:8080", None).wants_demo(false).unwrap(), "reachable by others");
        assert!(!at("192.168.1.20:8080", None).wants_demo(false).unwrap());
        assert!(at("0.0.0.0:8080", Some(true)).wants_demo(true).unwrap(), "asked for explicitly");
        assert!(!at("127.0.0.1:8080", Some(false)).wants_demo(false).unwrap());
    }
}
