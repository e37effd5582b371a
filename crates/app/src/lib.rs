//! Use cases: one function per thing a person does. Each takes the acting user, checks the
//! permission table of `aftersales_domain::permission`, runs in one transaction with the
//! events it causes, and returns domain values. Handlers (web, CLI) only parse and render.

pub mod attachments;
pub mod bootstrap;
pub mod callbacks;
pub mod catalog;
pub mod clocks;
pub mod directory;
pub mod fees;
pub mod jobs;
pub mod notices;
pub mod parts;
pub mod portal;
pub mod qualifications;
pub mod reporting;
pub mod reports;
pub mod sessions;
pub mod subscriptions;
pub mod tickets;
pub mod users;
pub mod visits;
pub mod work_orders;

use std::sync::Arc;

use aftersales_domain::error::Conflict;
use aftersales_domain::permission::{self, Action};
use aftersales_domain::ticket::Ticket;
use aftersales_domain::user::User;
use aftersales_domain::{DomainError, Lang, Timestamp};
use aftersales_storage::{StorageError, Store, WriteTx, idempotency};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// What [`App::health`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    /// The database backend: `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Whether the database answered a trivial query.
    pub answers: bool,
}

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The service time zone: decides the civil date in ticket numbers (DOMAIN §2).
    pub time_zone: jiff::tz::TimeZone,
    /// Repeat-report window in days (DOMAIN §5, default 30).
    pub repeat_window_days: i64,
    /// Whether notices are e-mailed (an SMTP relay is configured); without one, no e-mail
    /// deliveries are queued, so none pile up as dead letters.
    pub email: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed: behind one, every request comes
    /// from the proxy's address, so sign-in throttling per address needs the client's.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The address people reach the service at (`https://desk.example.com`): the links in
    /// customer e-mail start with it.
    pub public_url: String,
    /// How many days before its registration a problem may have occurred
    /// (`domain::registration::DEFAULT_OCCURRED_HORIZON_DAYS`, a year).
    pub occurred_horizon_days: i64,
    /// A parts requisition worth more than this (fen) waits for the supervisor
    /// (`domain::parts::needs_approval`).
    pub parts_approval_threshold_fen: i64,
    /// Days a faulty part has to come back (issue 13, default 7).
    pub faulty_return_days: i64,
    /// The warranty term from the purchase date when a device has no warranty end
    /// (`domain::fee::DEFAULT_WARRANTY_MONTHS`).
    pub warranty_months: i64,
    /// The tax rate of new quotes, basis points (`domain::fee::DEFAULT_TAX_RATE_BP`).
    pub tax_rate_bp: i64,
    /// How large an attachment of each kind may be (issue 14: 20 MB photos, 200 MB videos,
    /// 50 MB documents by default).
    pub attachment_limits: aftersales_domain::attachment::Limits,
    /// How long records kept only for a while are kept (issue 18).
    pub retention: Retention,
    /// Who may read `/metrics` (issue 18).
    pub metrics: MetricsAccess,
}

/// Who may read `/metrics`: requests with the token, or from the listed networks; with
/// neither set, the loopback addresses.
#[derive(Clone, Default)]
pub struct MetricsAccess {
    pub token: Option<String>,
    pub allow: Vec<ipnet::IpNet>,
}

impl std::fmt::Debug for MetricsAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsAccess")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("allow", &self.allow)
            .finish()
    }
}

/// How long records kept only for a while are kept before the worker deletes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// An `Idempotency-Key` is answered with its first response this long (default 24 h);
    /// after it the key counts as new.
    pub idempotency_hours: i64,
    /// A session that expired stays this many days (default 0: deleted once it expires);
    /// one signed out or ended by a password change is deleted at once.
    pub expired_sessions_days: i64,
    /// The attempt log of a sent delivery stays this many days (default 90). Dead letters'
    /// and doubtful deliveries' attempts stay until they are settled.
    pub delivery_attempts_days: i64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention { idempotency_hours: 24, expired_sessions_days: 0, delivery_attempts_days: 90 }
    }
}

impl Retention {
    /// Keys recorded before this have expired at `now`.
    pub fn idempotency_cutoff(&self, now: Timestamp) -> Timestamp {
        now - jiff::SignedDuration::from_hours(self.idempotency_hours)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            time_zone: jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC),
            repeat_window_days: aftersales_domain::repeat::DEFAULT_WINDOW_DAYS,
            email: true,
            trusted_proxies: Vec::new(),
            public_url: "http://127.0.0.1:8080".into(),
            occurred_horizon_days: aftersales_domain::registration::DEFAULT_OCCURRED_HORIZON_DAYS,
            parts_approval_threshold_fen: aftersales_domain::parts::DEFAULT_APPROVAL_THRESHOLD_FEN,
            faulty_return_days: aftersales_domain::parts::DEFAULT_FAULTY_RETURN_DAYS,
            warranty_months: aftersales_domain::fee::DEFAULT_WARRANTY_MONTHS,
            tax_rate_bp: aftersales_domain::fee::DEFAULT_TAX_RATE_BP,
            attachment_limits: aftersales_domain::attachment::Limits::default(),
            retention: Retention::default(),
            metrics: MetricsAccess::default(),
        }
    }
}

/// Where "now" comes from; tests pin it.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The application: the store, settings and clock every use case shares.
#[derive(Clone)]
pub struct App {
    store: Store,
    settings: Settings,
    clock: Clock,
    cache: Arc<clocks::Cache>,
    /// Where uploaded files and generated documents are kept (`[files]`); `None` until
    /// [`App::with_files`] gives one, and then every use case that keeps a file refuses.
    files: Option<Arc<dyn aftersales_files::BlobStore>>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("store", &self.store).field("settings", &self.settings).finish()
    }
}

/// The authenticated person a use case acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user: User,
}

impl Actor {
    /// The operator at the command line: whoever can run the binary against the database
    /// administers it (used by `aftersales calendar …`; never reachable over HTTP).
    pub fn operator() -> Actor {
        Actor {
            user: User {
                id: 0,
                username: "operator".into(),
                display_name: "operator".into(),
                role: aftersales_domain::role::Role::Admin,
                email: None,
                phone: None,
                region: None,
                group_id: None,
                customer_id: None,
                contact_id: None,
                active: true,
            },
        }
    }

    pub fn id(&self) -> i64 {
        self.user.id
    }

    /// A customer contact: reads only the customer projection of their own organization
    /// (DOMAIN §8).
    pub fn is_customer(&self) -> bool {
        self.user.role == aftersales_domain::role::Role::CustomerContact
    }

    /// [`Actor::require`] for the staff's views: a customer contact reads the customer
    /// projection instead (`app::portal`), so a staff view asked for them is refused rather
    /// than shown.
    pub fn require_staff(&self, action: Action) -> Result<(), AppError> {
        self.require(action)?;
        if self.is_customer() {
            return Err(AppError::Domain(DomainError::Forbidden { role: self.user.role, action }));
        }
        Ok(())
    }

    /// Refuses unless the role may perform `action` (DOMAIN §1).
    pub fn require(&self, action: Action) -> Result<(), AppError> {
        if self.user.active && permission::allows(self.user.role, action) {
            Ok(())
        } else {
            Err(AppError::Domain(DomainError::Forbidden { role: self.user.role, action }))
        }
    }
}

/// What can go wrong in a use case.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// Does not exist, or the actor may not know it exists (DOMAIN §8: another customer's
    /// ticket is "not found", never "forbidden").
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("authentication required")]
    Unauthenticated,
    /// A sign-in was refused. One answer for a wrong password, an unknown or inactive
    /// account and too many recent failures, so it reveals neither which accounts exist
    /// nor which guess came close (rendered like [`AppError::Unauthenticated`]).
    #[error("sign-in failed")]
    SignInFailed,
    /// A change was sent without the version it was based on.
    #[error("the version the change is based on is required (If-Match)")]
    PreconditionRequired,
    /// The ticket changed since the version the change was based on.
    #[error("ticket changed meanwhile (now version {})", .current.version())]
    Stale { current: Box<Current> },
    /// The same Idempotency-Key was used before with a different request.
    #[error("idempotency key reused with a different request")]
    IdempotencyMismatch,
    /// Another request with the same Idempotency-Key is being processed right now.
    #[error("a request with this idempotency key is in progress")]
    IdempotencyInFlight,
    /// Something failed that the person can do nothing about (password hashing, the random
    /// source, a JSON (de)serialization, a poisoned lock): `cause` is for the log (the edge
    /// logs it), the answer says only that the server failed.
    #[error("internal error: {context}: {cause}")]
    Internal { context: &'static str, cause: String },
    /// The database failed (a duplicate arrives as [`Conflict::Duplicate`] instead).
    #[error(transparent)]
    Storage(StorageError),
}

impl From<StorageError> for AppError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Duplicate(_) => AppError::Domain(Conflict::Duplicate.into()),
            e => AppError::Storage(e),
        }
    }
}

impl AppError {
    /// One refused field, named with why.
    pub fn invalid(field: aftersales_domain::error::Field, reason: aftersales_domain::error::Reason) -> AppError {
        DomainError::field(field, reason).into()
    }

    /// `Ok` when no field was refused; otherwise every refused field at once, so a form
    /// shows all its problems together.
    pub fn unless_invalid(
        problems: Vec<(aftersales_domain::error::Field, aftersales_domain::error::Reason)>,
    ) -> Result<(), AppError> {
        if problems.is_empty() { Ok(()) } else { Err(DomainError::Invalid(problems).into()) }
    }

    pub fn not_found(what: &'static str, id: impl ToString) -> AppError {
        AppError::NotFound { what, id: id.to_string() }
    }

    /// An internal failure of `context` (e.g. "password hashing"), keeping its cause.
    pub fn internal(context: &'static str, cause: impl std::fmt::Display) -> AppError {
        AppError::Internal { context, cause: cause.to_string() }
    }

    /// Whether the server failed (not the request): answered with 500 and logged.
    pub fn is_internal(&self) -> bool {
        matches!(self, AppError::Internal { .. } | AppError::Storage(_))
    }

    /// One sentence for a person, in their language.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (AppError::Domain(e), _) => e.message(lang),
            (AppError::NotFound { what, id }, Lang::Zh) => format!("{}「{id}」不存在或无权查看", what_zh(what)),
            (AppError::NotFound { what, id }, Lang::En) => format!("No {what} {id} (or you may not see it)"),
            (AppError::Unauthenticated, Lang::Zh) => "请先登录或提供有效的 API 令牌".into(),
            (AppError::Unauthenticated, Lang::En) => "Sign in or send a valid API token".into(),
            (AppError::SignInFailed, Lang::Zh) => "用户名或密码错误，或尝试次数过多，请稍后再试".into(),
            (AppError::SignInFailed, Lang::En) => {
                "Wrong username or password, or too many attempts; try again later".into()
            }
            (AppError::PreconditionRequired, Lang::Zh) => {
                "修改工单须带上所依据的版本（If-Match 头），以免覆盖他人的修改".into()
            }
            (AppError::PreconditionRequired, Lang::En) => {
                "Send the version your change is based on (If-Match header) so no one's change is overwritten".into()
            }
            (AppError::Stale { current }, Lang::Zh) => {
                format!("工单已被他人修改（当前版本 {}），请刷新后重试", current.version())
            }
            (AppError::Stale { current }, Lang::En) => {
                format!("The ticket was changed by someone else (now version {}); reload and retry", current.version())
            }
            (AppError::IdempotencyMismatch, Lang::Zh) => "该 Idempotency-Key 已用于另一个不同的请求".into(),
            (AppError::IdempotencyMismatch, Lang::En) => {
                "This Idempotency-Key was already used for a different request".into()
            }
            (AppError::IdempotencyInFlight, Lang::Zh) => "相同 Idempotency-Key 的请求正在处理，请稍后重试".into(),
            (AppError::IdempotencyInFlight, Lang::En) => {
                "A request with this Idempotency-Key is being processed; retry shortly".into()
            }
            (AppError::Storage(_) | AppError::Internal { .. }, Lang::Zh) => "服务器内部错误，请稍后重试".into(),
            (AppError::Storage(_) | AppError::Internal { .. }, Lang::En) => "Internal error; please retry later".into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Domain(e) => e.code(),
            AppError::NotFound { .. } => "not_found",
            AppError::Unauthenticated => "unauthenticated",
            AppError::SignInFailed => "sign_in_failed",
            AppError::PreconditionRequired => "precondition_required",
            AppError::Stale { .. } => "stale_version",
            AppError::IdempotencyMismatch => "idempotency_key_reused",
            AppError::IdempotencyInFlight => "idempotency_key_in_flight",
            AppError::Storage(_) | AppError::Internal { .. } => "internal",
        }
    }
}

/// The Chinese word for a kind of record that [`AppError::not_found`] names. Every word
/// used in the code has one (a test reads the sources for them).
fn what_zh(what: &str) -> &str {
    match what {
        "ticket" => "工单",
        "work order" => "协作工单",
        "department" => "部门",
        "qualification" => "资质",
        "customer" => "客户单位",
        "customer level" => "客户级别",
        "contact" => "联系人",
        "device" => "设备",
        "user" => "用户",
        "category" => "问题分类",
        "group" => "处理组",
        "priority change request" => "降级申请",
        "level" => "问题级别",
        "calendar" => "日历",
        "holiday set" => "节假日数据",
        "service policy" => "服务策略",
        "policy version" => "服务策略版本",
        "token" => "令牌",
        "session" => "登录会话",
        "notice" => "通告",
        "notice route" | "route" => "通告设置",
        "delivery" => "投递记录",
        "target" | "notify target" => "通知渠道",
        "job" => "任务",
        "log" | "log entry" => "处理记录",
        "event" => "工单历史",
        "attachment" => "附件",
        "link" => "链接",
        "survey" => "回访",
        "visit" => "上门预约",
        "service report" => "服务报告",
        "engineer" => "工程师",
        "part" => "备件",
        "warehouse" => "仓库",
        "requisition" => "备件申领",
        "receipt" => "收据",
        "subscription" => "报表订阅",
        "callback" => "回访",
        "feedback" => "表扬或投诉",
        "subscription run" => "订阅发送记录",
        _ => what,
    }
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// A ticket as it now is, in the reader's projection (with a stale change: what changed).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Current {
    Staff(Box<Ticket>),
    Customer(Box<aftersales_domain::customer_view::CustomerTicket>),
}

impl Current {
    pub fn version(&self) -> i64 {
        match self {
            Current::Staff(t) => t.version,
            Current::Customer(t) => t.version,
        }
    }
}

/// A retried request's identity (`Idempotency-Key` and a fingerprint of its content).
#[derive(Debug, Clone)]
pub struct Idem {
    pub key: String,
    /// Hash of method, path and body: the same key with other content is refused.
    pub fingerprint: String,
    /// The HTTP status the first success was answered with.
    pub status: u16,
}

/// The result of a use case that honours idempotency keys.
#[derive(Debug)]
pub enum Outcome<T> {
    /// Done now.
    Fresh(T),
    /// Done before under the same key: the recorded response, replayed.
    Replayed { status: u16, body: String },
}

impl<T> Outcome<T> {
    /// The value, whether fresh or replayed (replays are decoded from the recorded JSON).
    pub fn into_value(self) -> Result<T>
    where
        T: DeserializeOwned,
    {
        match self {
            Outcome::Fresh(v) => Ok(v),
            Outcome::Replayed { body, .. } => {
                serde_json::from_str(&body).map_err(|e| AppError::internal("reading a recorded response", e))
            }
        }
    }
}

impl App {
    pub fn new(store: Store, settings: Settings) -> App {
        App { store, settings, clock: Arc::new(Timestamp::now), cache: Arc::default(), files: None }
    }

    /// Gives the blob store that keeps uploaded files and generated documents.
    pub fn with_files(mut self, files: Arc<dyn aftersales_files::BlobStore>) -> App {
        self.files = Some(files);
        self
    }

    /// The blob store, or an internal error when the service was started without one
    /// (only tools that never keep a file, like the benches, do that).
    pub fn files(&self) -> Result<&dyn aftersales_files::BlobStore> {
        self.files
            .as_deref()
            .ok_or_else(|| AppError::internal("keeping a file", "this App was built without a file store"))
    }

    /// Changes settings after the fact (tests).
    pub fn with_settings(mut self, change: impl FnOnce(&mut Settings)) -> App {
        change(&mut self.settings);
        self
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Clock) -> App {
        self.clock = clock;
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Readiness: the database backend's name (`sqlite`, `postgres`) and whether it answers
    /// (a failure is logged here; the caller only says it is unavailable).
    pub async fn health(&self) -> Health {
        let backend = self.database();
        let answers = match self.store.ping().await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, "health check failed");
                false
            }
        };
        Health { backend, answers }
    }

    /// What `/metrics` reports of the database (issue 18): tickets by status, jobs due and
    /// overdue (waiting over five minutes: no worker is taking them), deliveries not sent
    /// by state, and the pool's use. Operators only: the route guards it.
    pub async fn gauges(&self) -> Result<(aftersales_storage::maintenance::Gauges, aftersales_storage::PoolUse)> {
        let g =
            aftersales_storage::maintenance::gauges(self.store.read(), self.now(), jiff::SignedDuration::from_mins(5))
                .await?;
        Ok((g, self.store.pool_use()))
    }

    /// Which database this is: `sqlite` or `postgres`.
    pub fn database(&self) -> &'static str {
        match self.store.backend() {
            aftersales_storage::Backend::Sqlite => "sqlite",
            aftersales_storage::Backend::Postgres => "postgres",
        }
    }

    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// Looks up a recorded response for `idem` inside `tx`.
    async fn replay(&self, tx: &WriteTx, actor: &Actor, idem: Option<&Idem>) -> Result<Option<(u16, String)>> {
        let Some(idem) = idem else { return Ok(None) };
        let cutoff = self.settings.retention.idempotency_cutoff(self.now());
        match idempotency::find(&**tx, actor.id(), &idem.key, cutoff).await? {
            Some(rec) if rec.fingerprint == idem.fingerprint => Ok(Some((rec.status_code, rec.response))),
            Some(_) => Err(AppError::IdempotencyMismatch),
            None => Ok(None),
        }
    }

    /// Records `value` as the response to `idem` and commits `tx`.
    async fn commit_with<T: Serialize>(
        &self,
        tx: WriteTx,
        actor: &Actor,
        idem: Option<&Idem>,
        value: &T,
    ) -> Result<()> {
        if let Some(idem) = idem {
            let response = serde_json::to_string(value).map_err(|e| AppError::internal("recording a response", e))?;
            let rec =
                idempotency::Recorded { fingerprint: idem.fingerprint.clone(), status_code: idem.status, response };
            match idempotency::record(&*tx, actor.id(), &idem.key, &rec, self.now()).await {
                Ok(()) => {}
                Err(StorageError::Duplicate(_)) => return Err(AppError::IdempotencyInFlight),
                Err(e) => return Err(e.into()),
            }
        }
        tx.commit().await.map_err(|e| match e {
            StorageError::Duplicate(_) if idem.is_some() => AppError::IdempotencyInFlight,
            e => e.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of record a use case or a page can call "not found", read from the
    /// sources (`not_found("…"` and `NotFound { what: "…"`), so a new one without a Chinese
    /// word fails here rather than reading "notice「7」不存在" to a person.
    #[test]
    fn every_record_that_can_be_not_found_has_a_chinese_word() {
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for krate in ["app", "web", "jobs", "aftersales"] {
            let mut dirs = vec![crates.join(krate).join("src")];
            while let Some(dir) = dirs.pop() {
                for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                    let path = entry.path();
                    if path.is_dir() {
                        dirs.push(path);
                    } else if path.extension().is_some_and(|e| e == "rs") {
                        files.push(path);
                    }
                }
            }
        }
        let mut words = std::collections::BTreeSet::new();
        for file in &files {
            let source = std::fs::read_to_string(file).unwrap_or_default();
            for marker in ["not_found(\"", "NotFound { what: \""] {
                for (at, _) in source.match_indices(marker) {
                    let rest = &source[at + marker.len()..];
                    if let Some(word) = rest.split('"').next()
                        && !word.is_empty()
                        && word.chars().all(|c| c.is_ascii_lowercase() || c == ' ' || c == '_')
                    {
                        words.insert(word.to_owned());
                    }
                }
            }
        }
        assert!(words.len() >= 10, "the sources were not found: {words:?}");
        let missing: Vec<_> = words.iter().filter(|w| what_zh(w) == w.as_str()).collect();
        assert!(missing.is_empty(), "records without a Chinese word in what_zh: {missing:?}");
        let e = AppError::not_found("notice", 1569);
        assert_eq!(e.message(Lang::Zh), "通告「1569」不存在或无权查看");
        assert_eq!(e.message(Lang::En), "No notice 1569 (or you may not see it)");
    }
}
