//! Configuration: defaults → `aftersales.toml` → `AFTERSALES_*` environment. Unknown
//! keys are errors, so a typo never silently falls back to a default: an unknown key in the
//! file is named with its table, an unknown `AFTERSALES_*` variable by its own name.
//!
//! Every key has an environment form: `AFTERSALES_` and the key in capitals, a table and its
//! key joined with `__` (`[smtp] host` is `AFTERSALES_SMTP__HOST`). A list is written
//! `a,b` or `[a, b]` there. Every secret (marked *secret*) may instead name a file holding it:
//! `<key>_file` in the file, `AFTERSALES_<KEY>_FILE` in the environment (container secrets); the
//! file's content counts, less one final newline. Setting a secret and its file in the same
//! place is an error naming both.
//!
//! | key | env | default | meaning |
//! |---|---|---|---|
//! | `listen` | `AFTERSALES_LISTEN` | `127.0.0.1:8080` | address the web server binds |
//! | `data_dir` | `AFTERSALES_DATA_DIR` | `./data` | SQLite database and demo credentials |
//! | `database_url` | `AFTERSALES_DATABASE_URL` | SQLite in `data_dir` | *secret*; `postgres://…` selects PostgreSQL |
//! | `database_max_connections` | `AFTERSALES_DATABASE_MAX_CONNECTIONS` | 16 (PostgreSQL), cores + 1 (SQLite) | the most database connections this process holds; instances sharing one PostgreSQL server must fit its `max_connections` together |
//! | `time_zone` | `AFTERSALES_TIME_ZONE` | `Asia/Shanghai` | service time zone (ticket numbers) |
//! | `repeat_window_days` | `AFTERSALES_REPEAT_WINDOW_DAYS` | `30` | repeat-report window |
//! | `demo` | `AFTERSALES_DEMO` | automatic | create the demo organization in an empty database: unset, only on the embedded SQLite database with a loopback `listen` address; `true` also elsewhere; `false` never |
//! | `occurred_horizon_days` | `AFTERSALES_OCCURRED_HORIZON_DAYS` | `365` | how many days before its registration a problem may have occurred |
//! | `parts_approval_threshold_fen` | `AFTERSALES_PARTS_APPROVAL_THRESHOLD_FEN` | `50000` | a parts requisition worth more than this (fen) needs the service supervisor's approval; up to it, approved when filed |
//! | `faulty_return_days` | `AFTERSALES_FAULTY_RETURN_DAYS` | `7` | days a faulty part replaced on a job has to come back to the warehouse before the engineer and supervisor are told |
//! | `warranty_months` | `AFTERSALES_WARRANTY_MONTHS` | `12` | warranty term from the purchase date when a device has no warranty end |
//! | `tax_rate_bp` | `AFTERSALES_TAX_RATE_BP` | `1300` | tax rate of quotes in basis points (1300 = 13 %) |
//! | `attachment_image_mb` | `AFTERSALES_ATTACHMENT_IMAGE_MB` | `20` | largest photo an engineer or the desk may attach to a ticket (JPEG, PNG, WebP), in MB |
//! | `attachment_video_mb` | `AFTERSALES_ATTACHMENT_VIDEO_MB` | `200` | largest video attachment (MP4, MOV, WebM), in MB |
//! | `attachment_document_mb` | `AFTERSALES_ATTACHMENT_DOCUMENT_MB` | `50` | largest document attachment (PDF, Office, plain text), in MB |
//! | `log` | `AFTERSALES_LOG` | `info` | log filter (`RUST_LOG` syntax) |
//! | `log_format` | `AFTERSALES_LOG_FORMAT` | `text` | `text` (coloured only on a terminal) or `json` (one object per line, for a log collector) |
//! | `metrics.token` | `AFTERSALES_METRICS__TOKEN` | none | *secret*; `/metrics` answers a request with `Authorization: Bearer` and this token |
//! | `metrics.allow` | `AFTERSALES_METRICS__ALLOW` | loopback, when no token is set | networks (`10.0.0.0/8`, `192.0.2.7`) whose requests `/metrics` answers without the token (list) |
//! | `worker` | `AFTERSALES_WORKER` | `true` | run the notice worker inside `serve` |
//! | `trusted_proxies` | `AFTERSALES_TRUSTED_PROXIES` | none | reverse proxies whose `X-Forwarded-For` is believed (list of IP addresses) |
//! | `public_url` | `AFTERSALES_PUBLIC_URL` | `http://` + `listen` | where people reach the service: links in customer e-mail start with it |
//! | `smtp.host` | `AFTERSALES_SMTP__HOST` | no `[smtp]`: no e-mail | SMTP relay host |
//! | `smtp.port` | `AFTERSALES_SMTP__PORT` | — | SMTP relay port |
//! | `smtp.tls` | `AFTERSALES_SMTP__TLS` | — | `none`, `starttls` or `tls` |
//! | `smtp.username` | `AFTERSALES_SMTP__USERNAME` | none | SMTP login |
//! | `smtp.password` | `AFTERSALES_SMTP__PASSWORD` | none | *secret*; SMTP password |
//! | `smtp.from` | `AFTERSALES_SMTP__FROM` | — | `From` mailbox, e.g. `售后服务台 <desk@example.com>` |
//! | `smtp.timeout_secs` | `AFTERSALES_SMTP__TIMEOUT_SECS` | `30` | connect limit (a delivery: four times it) |
//! | `smtp.ca_file` | `AFTERSALES_SMTP__CA_FILE` | none | PEM file of the certificate authorities a company relay's certificate comes from, trusted besides the public ones |
//! | `webhooks.allowed_hosts` | `AFTERSALES_WEBHOOKS__ALLOWED_HOSTS` | none | hosts a robot or webhook may reach although private or loopback (list) |
//! | `webhooks.timeout_secs` | `AFTERSALES_WEBHOOKS__TIMEOUT_SECS` | `10` | limit for one webhook request |
//! | `files.backend` | `AFTERSALES_FILES__BACKEND` | `disk` | where uploaded files are kept: `disk` (under `data_dir/files`) or `s3` (a bucket several instances share) |
//! | `files.bucket` | `AFTERSALES_FILES__BUCKET` | none | `s3`: the bucket (required) |
//! | `files.endpoint` | `AFTERSALES_FILES__ENDPOINT` | AWS's | `s3`: an S3-compatible server's URL (`http://minio:9000`); addressed by path |
//! | `files.region` | `AFTERSALES_FILES__REGION` | `us-east-1` | `s3`: the bucket's region |
//! | `files.access_key_id` | `AFTERSALES_FILES__ACCESS_KEY_ID` | `AWS_ACCESS_KEY_ID` | `s3`: the access key |
//! | `files.secret_access_key` | `AFTERSALES_FILES__SECRET_ACCESS_KEY` | `AWS_SECRET_ACCESS_KEY` | *secret*; `s3`: the secret key |
//! | `retention.idempotency_hours` | `AFTERSALES_RETENTION__IDEMPOTENCY_HOURS` | `24` | how long a retried request with the same `Idempotency-Key` gets the first answer; later the key counts as new and the worker deletes it (1–720) |
//! | `retention.expired_sessions_days` | `AFTERSALES_RETENTION__EXPIRED_SESSIONS_DAYS` | `0` | days a session that expired (by age or idleness) is kept before it is deleted; one signed out or ended by a password change goes at once (0–365) |
//! | `retention.delivery_attempts_days` | `AFTERSALES_RETENTION__DELIVERY_ATTEMPTS_DAYS` | `90` | days the attempt log of a sent notice is kept (dead letters' and doubtful deliveries' stay until settled; 1–3650) |
//!
//! `AFTERSALES_NEW_PASSWORD` (read by `aftersales user add`) and `AFTERSALES_TEST_POSTGRES_URL`
//! (the test harness) are not settings.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub listen: String,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub database_max_connections: Option<u32>,
    pub time_zone: String,
    pub repeat_window_days: i64,
    /// `None` (not set): the demo only where a newcomer tries the product (see [`Config::wants_demo`]).
    pub demo: Option<bool>,
    pub occurred_horizon_days: i64,
    pub parts_approval_threshold_fen: i64,
    pub faulty_return_days: i64,
    pub warranty_months: i64,
    pub tax_rate_bp: i64,
    pub attachment_image_mb: u64,
    pub attachment_video_mb: u64,
    pub attachment_document_mb: u64,
    pub log: String,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// Who may read `/metrics` (`[metrics]`).
    pub metrics: MetricsConfig,
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
    /// How long short-lived records are kept (`[retention]`).
    pub retention: RetentionConfig,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// `[metrics]`: see the table above.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    pub token: Option<String>,
    pub allow: Vec<String>,
}

/// `[retention]`: see the table above.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    pub idempotency_hours: i64,
    pub expired_sessions_days: i64,
    pub delivery_attempts_days: i64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        let r = aftersales_app::Retention::default();
        RetentionConfig {
            idempotency_hours: r.idempotency_hours,
            expired_sessions_days: r.expired_sessions_days,
            delivery_attempts_days: r.delivery_attempts_days,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            database_max_connections: None,
            time_zone: "Asia/Shanghai".into(),
            repeat_window_days: aftersales_domain::repeat::DEFAULT_WINDOW_DAYS,
            demo: None,
            occurred_horizon_days: aftersales_domain::registration::DEFAULT_OCCURRED_HORIZON_DAYS,
            parts_approval_threshold_fen: aftersales_domain::parts::DEFAULT_APPROVAL_THRESHOLD_FEN,
            faulty_return_days: aftersales_domain::parts::DEFAULT_FAULTY_RETURN_DAYS,
            warranty_months: aftersales_domain::fee::DEFAULT_WARRANTY_MONTHS,
            tax_rate_bp: aftersales_domain::fee::DEFAULT_TAX_RATE_BP,
            attachment_image_mb: 20,
            attachment_video_mb: 200,
            attachment_document_mb: 50,
            log: "info".into(),
            log_format: LogFormat::Text,
            metrics: MetricsConfig::default(),
            worker: true,
            smtp: None,
            webhooks: aftersales_notify::WebhookPolicy::default(),
            trusted_proxies: Vec::new(),
            public_url: None,
            files: aftersales_files::FilesConfig::default(),
            retention: RetentionConfig::default(),
        }
    }
}

/// The prefix of the environment variables that set keys.
const PREFIX: &str = "AFTERSALES_";

/// Every key, a table and its key joined with `.` (the table in this module's comment lists
/// them all; a test checks that this list and [`Config`] agree).
pub const KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "database_max_connections",
    "time_zone",
    "repeat_window_days",
    "demo",
    "occurred_horizon_days",
    "parts_approval_threshold_fen",
    "faulty_return_days",
    "warranty_months",
    "tax_rate_bp",
    "attachment_image_mb",
    "attachment_video_mb",
    "attachment_document_mb",
    "log",
    "log_format",
    "metrics.token",
    "metrics.allow",
    "worker",
    "trusted_proxies",
    "public_url",
    "smtp.host",
    "smtp.port",
    "smtp.tls",
    "smtp.username",
    "smtp.password",
    "smtp.from",
    "smtp.timeout_secs",
    "smtp.ca_file",
    "webhooks.allowed_hosts",
    "webhooks.timeout_secs",
    "files.backend",
    "files.bucket",
    "files.endpoint",
    "files.region",
    "files.access_key_id",
    "files.secret_access_key",
    "retention.idempotency_hours",
    "retention.expired_sessions_days",
    "retention.delivery_attempts_days",
];

/// Keys holding secrets: each may instead name a file (`<key>_file`) holding the secret.
pub const SECRETS: &[&str] = &["database_url", "smtp.password", "files.secret_access_key", "metrics.token"];

/// Keys holding lists: from the environment also as `a,b`.
const LISTS: &[&str] = &["trusted_proxies", "webhooks.allowed_hosts", "metrics.allow"];

/// The password `aftersales user add` reads when `--password` is not given.
pub const NEW_PASSWORD_VAR: &str = "AFTERSALES_NEW_PASSWORD";

/// Variables with the prefix that belong to a command or to the test harness, not to the service.
const NOT_SETTINGS: &[&str] = &[NEW_PASSWORD_VAR, "AFTERSALES_TEST_POSTGRES_URL"];

/// The environment variable of a key: `smtp.host` is `AFTERSALES_SMTP__HOST`.
pub fn env_name(key: &str) -> String {
    format!("{PREFIX}{}", key.replace('.', "__").to_ascii_uppercase())
}

impl Config {
    /// Loads the layered configuration; `file` defaults to `aftersales.toml` in the working directory.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let file = file.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("aftersales.toml"));
        unknown_variables(std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()))?;
        let env = Env::prefixed(PREFIX).split("__").filter(|k| !NOT_SETTINGS.contains(&env_name(k.as_str()).as_str()));
        let config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Layer { inner: Toml::file(&file), env: false })
            .merge(Layer { inner: env, env: true })
            .extract()
            .map_err(|e| anyhow::anyhow!("invalid configuration ({}): {e}", file.display()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        self.listen_addr()?;
        if let Some(n) = self.database_max_connections
            && !(2..=1000).contains(&n)
        {
            bail!("database_max_connections must be between 2 and 1000, not {n}");
        }
        jiff::tz::TimeZone::get(&self.time_zone)
            .with_context(|| format!("time_zone {:?} is not a known time zone", self.time_zone))?;
        if !(1..=3650).contains(&self.repeat_window_days) {
            bail!("repeat_window_days must be between 1 and 3650, not {}", self.repeat_window_days);
        }
        if !(1..=36500).contains(&self.occurred_horizon_days) {
            bail!("occurred_horizon_days must be between 1 and 36500, not {}", self.occurred_horizon_days);
        }
        if self.parts_approval_threshold_fen < 0 {
            bail!("parts_approval_threshold_fen must not be negative, not {}", self.parts_approval_threshold_fen);
        }
        if !(1..=365).contains(&self.faulty_return_days) {
            bail!("faulty_return_days must be between 1 and 365, not {}", self.faulty_return_days);
        }
        if !(0..=1200).contains(&self.warranty_months) {
            bail!("warranty_months must be between 0 and 1200, not {}", self.warranty_months);
        }
        if !(0..=aftersales_domain::fee::MAX_TAX_RATE_BP).contains(&self.tax_rate_bp) {
            bail!("tax_rate_bp must be between 0 and 10000, not {}", self.tax_rate_bp);
        }
        for (key, mb) in [
            ("attachment_image_mb", self.attachment_image_mb),
            ("attachment_video_mb", self.attachment_video_mb),
            ("attachment_document_mb", self.attachment_document_mb),
        ] {
            if !(1..=4096).contains(&mb) {
                bail!("{key} must be between 1 and 4096, not {mb}");
            }
        }
        for (key, value, range) in [
            ("retention.idempotency_hours", self.retention.idempotency_hours, 1..=720),
            ("retention.expired_sessions_days", self.retention.expired_sessions_days, 0..=365),
            ("retention.delivery_attempts_days", self.retention.delivery_attempts_days, 1..=3650),
        ] {
            if !range.contains(&value) {
                bail!("{key} must be between {} and {}, not {value}", range.start(), range.end());
            }
        }
        self.trusted_proxies()?;
        self.metrics_allow()?;
        if self.metrics.token.as_deref().is_some_and(|t| t.trim().len() < 16) {
            bail!("metrics.token must be at least 16 characters (it guards /metrics)");
        }
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

    /// `metrics.allow` as networks: `10.0.0.0/8`, or one address.
    fn metrics_allow(&self) -> anyhow::Result<Vec<ipnet::IpNet>> {
        self.metrics
            .allow
            .iter()
            .map(|a| {
                let a = a.trim();
                a.parse::<ipnet::IpNet>()
                    .or_else(|_| a.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .with_context(|| format!("metrics.allow: {a:?} is not a network like 10.0.0.0/8 or an address"))
            })
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
            parts_approval_threshold_fen: self.parts_approval_threshold_fen,
            faulty_return_days: self.faulty_return_days,
            warranty_months: self.warranty_months,
            tax_rate_bp: self.tax_rate_bp,
            attachment_limits: aftersales_domain::attachment::Limits::from_mb(
                self.attachment_image_mb,
                self.attachment_video_mb,
                self.attachment_document_mb,
            ),
            metrics: aftersales_app::MetricsAccess {
                token: self.metrics.token.as_ref().map(|t| t.trim().to_owned()),
                allow: self.metrics_allow()?,
            },
            retention: aftersales_app::Retention {
                idempotency_hours: self.retention.idempotency_hours,
                expired_sessions_days: self.retention.expired_sessions_days,
                delivery_attempts_days: self.retention.delivery_attempts_days,
            },
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

/// Names every `AFTERSALES_*` variable that sets no key, so that a misspelt variable is an
/// error instead of a silently ignored setting.
fn unknown_variables(names: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let known = |name: &str| {
        NOT_SETTINGS.contains(&name)
            || KEYS.iter().any(|k| {
                let var = env_name(k);
                // A whole table (`AFTERSALES_SMTP={host="…", …}`) is a way to set its keys.
                let table = k.split_once('.').map(|(t, _)| env_name(t));
                name == var || table.as_deref() == Some(name)
            })
            || SECRETS.iter().any(|k| name == format!("{}_FILE", env_name(k)))
    };
    let mut unknown: Vec<String> = names.filter(|n| n.starts_with(PREFIX) && !known(n)).collect();
    if unknown.is_empty() {
        return Ok(());
    }
    unknown.sort();
    bail!(
        "unknown environment variable(s) {}: no such setting. Settings are {} (a table and its key joined with __), and the secrets also as {}",
        unknown.join(", "),
        KEYS.iter().map(|k| env_name(k)).collect::<Vec<_>>().join(", "),
        SECRETS.iter().map(|k| format!("{}_FILE", env_name(k))).collect::<Vec<_>>().join(", ")
    )
}

/// One source of keys (the file or the environment), with each secret read from the file its
/// `<key>_file` names, and, from the environment, lists given as `a,b` split.
struct Layer<P> {
    inner: P,
    env: bool,
}

impl<P: Provider> Layer<P> {
    /// How this source spells a key, for messages.
    fn name(&self, key: &str) -> String {
        if self.env { env_name(key) } else { key.to_owned() }
    }

    fn resolve(&self, dict: &mut Dict) -> Result<(), String> {
        for key in SECRETS {
            let Some((table, leaf)) = table_of(dict, key) else { continue };
            let file_key = format!("{key}_file");
            let Some(path) = table.remove(&format!("{leaf}_file")) else {
                if self.env {
                    // The raw text: a password of digits is still a string.
                    if let (Some(v), Ok(raw)) = (table.get_mut(leaf), std::env::var(env_name(key))) {
                        *v = Value::from(raw);
                    }
                }
                continue;
            };
            if table.contains_key(leaf) {
                return Err(format!("both {} and {} are set: set only one", self.name(key), self.name(&file_key)));
            }
            let path = path.into_string().ok_or_else(|| format!("{} must be a file path", self.name(&file_key)))?;
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("{}: cannot read {path}: {e}", self.name(&file_key)))?;
            let text = text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(&text);
            table.insert(leaf.to_owned(), Value::from(text.to_owned()));
        }
        if self.env {
            for key in LISTS {
                let Some((table, leaf)) = table_of(dict, key) else { continue };
                if let Some(v) = table.get_mut(leaf)
                    && let Some(text) = v.as_str()
                {
                    let items = text.split(',').map(str::trim).filter(|s| !s.is_empty());
                    *v = Value::from(items.map(str::to_owned).collect::<Vec<_>>());
                }
            }
        }
        Ok(())
    }
}

impl<P: Provider> Provider for Layer<P> {
    fn metadata(&self) -> Metadata {
        self.inner.metadata()
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut data = self.inner.data()?;
        for dict in data.values_mut() {
            self.resolve(dict).map_err(figment::Error::from)?;
        }
        Ok(data)
    }
}

/// The table holding `key` (`smtp.password`: the `[smtp]` table) and the key's last part, if
/// the table is there.
fn table_of<'a, 'k>(dict: &'a mut Dict, key: &'k str) -> Option<(&'a mut Dict, &'k str)> {
    match key.split_once('.') {
        None => Some((dict, key)),
        Some((table, rest)) => match dict.get_mut(table)? {
            Value::Dict(_, inner) => table_of(inner, rest),
            _ => None,
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::result_large_err)] // figment::Jail's closures return figment's error
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

    /// Every key of [`Config`] is in [`KEYS`] (so it has an environment form and is not
    /// refused as unknown), and in this module's table.
    #[test]
    fn the_key_list_and_the_table_name_every_key() {
        let smtp = aftersales_notify::SmtpConfig {
            host: "h".into(),
            port: 25,
            tls: aftersales_notify::SmtpTls::None,
            username: Some("u".into()),
            password: Some("p".into()),
            from: "f".into(),
            timeout_secs: 1,
            ca_file: Some("ca.pem".into()),
        };
        let full = Config { smtp: Some(smtp), ..Config::default() };
        fn leaves(prefix: &str, v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    for (k, v) in m {
                        leaves(&if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") }, v, out)
                    }
                }
                _ => out.push(prefix.to_owned()),
            }
        }
        let mut found = Vec::new();
        leaves("", &serde_json::to_value(&full).unwrap(), &mut found);
        let mut keys: Vec<String> = KEYS.iter().map(|k| k.to_string()).collect();
        found.sort();
        keys.sort();
        assert_eq!(found, keys);
        let doc = include_str!("config.rs");
        for k in KEYS {
            assert!(doc.contains(&format!("| `{k}` | `{}` |", env_name(k))), "{k} is missing from the table");
        }
    }

    #[test]
    fn nested_keys_lists_and_secret_files_come_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("smtp-password", "0123 secret\n")?;
            jail.set_env("AFTERSALES_SMTP__HOST", "mail.example.com");
            jail.set_env("AFTERSALES_SMTP__PORT", "2525");
            jail.set_env("AFTERSALES_SMTP__TLS", "starttls");
            jail.set_env("AFTERSALES_SMTP__FROM", "desk@example.com");
            jail.set_env("AFTERSALES_SMTP__PASSWORD_FILE", "smtp-password");
            jail.set_env("AFTERSALES_WEBHOOKS__ALLOWED_HOSTS", "hooks.corp.local, 10.1.2.3");
            jail.set_env("AFTERSALES_TRUSTED_PROXIES", "[10.0.0.2, 10.0.0.3]");
            jail.set_env("AFTERSALES_NEW_PASSWORD", "not a setting");
            let config = Config::load(None).unwrap();
            let smtp = config.smtp.unwrap();
            assert_eq!((smtp.host.as_str(), smtp.port, smtp.timeout_secs), ("mail.example.com", 2525, 30));
            assert_eq!(smtp.password.as_deref(), Some("0123 secret"), "less the final newline only");
            assert_eq!(config.webhooks.allowed_hosts, ["hooks.corp.local", "10.1.2.3"]);
            assert_eq!(config.trusted_proxies, ["10.0.0.2", "10.0.0.3"]);

            jail.set_env("AFTERSALES_SMTP__PASSWORD", "0123");
            let err = Config::load(None).unwrap_err().to_string();
            assert!(err.contains("AFTERSALES_SMTP__PASSWORD and AFTERSALES_SMTP__PASSWORD_FILE"), "both named: {err}");
            jail.clear_env();
            for (k, v) in [("HOST", "h"), ("PORT", "25"), ("TLS", "none"), ("FROM", "f"), ("PASSWORD", "0123")] {
                jail.set_env(format!("AFTERSALES_SMTP__{k}"), v);
            }
            assert_eq!(Config::load(None).unwrap().smtp.unwrap().password.as_deref(), Some("0123"), "digits stay text");
            Ok(())
        });
    }

    #[test]
    fn a_file_may_name_its_secrets_files_too() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("db", "postgres://desk:pw@db/desk\r\n")?;
            jail.create_file("aftersales.toml", "database_url_file = \"db\"\n")?;
            assert_eq!(Config::load(None).unwrap().database_url().unwrap(), "postgres://desk:pw@db/desk");
            jail.create_file("aftersales.toml", "database_url = \"x\"\ndatabase_url_file = \"db\"\n")?;
            let err = Config::load(None).unwrap_err().to_string();
            assert!(err.contains("both database_url and database_url_file"), "{err}");
            jail.create_file("aftersales.toml", "")?;
            jail.set_env("AFTERSALES_SMTP__HSOT", "x");
            let err = Config::load(None).unwrap_err().to_string();
            assert!(err.contains("AFTERSALES_SMTP__HSOT"), "{err}");
            Ok(())
        });
    }
}
