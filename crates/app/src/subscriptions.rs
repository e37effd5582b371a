//! Report subscriptions (issue 15): a person has a report delivered daily, weekly or monthly
//! (`domain::subscription`), by e-mail with the Excel file attached or to a group robot as a
//! summary with a link.
//!
//! * [`App::subscribe`] checks that the person may read the report and can receive it (an
//!   e-mail address; a robot an administrator configured), stores the subscription and
//!   enqueues its first run ([`SubscriptionDue`], a background job due at the run's hour).
//! * A run ([`SubscriptionDue::run`]) makes the report *as the subscriber* (the same
//!   permissions as on screen: an engineer's weekly table holds their own line), keeps the
//!   Excel file in the file store, and in one transaction records the run (unique per
//!   subscription and period: a second worker, or a run retried after a crash, records
//!   nothing) and enqueues the next one. An empty report is recorded as skipped.
//! * The worker then claims the run ([`App::claim_report_sends`]), sends it, and records
//!   the outcome ([`App::finish_report_send`]); a send that outlived its lease is marked
//!   uncertain and not repeated, as the notice deliveries are.

use aftersales_domain::notice::ChannelKind;
use aftersales_domain::permission::Action;
use aftersales_domain::reporting::ReportAccess;
use aftersales_domain::subscription::{self as rule, Channel, Frequency, RunRecord, RunState, Subscription};
use aftersales_domain::user::User;
use aftersales_domain::{DomainError, Id, Lang, Timestamp};
use aftersales_files::BlobId;
use aftersales_storage::notices as notice_store;
use aftersales_storage::subscriptions::{self as store, Finish, NewRun};
use aftersales_storage::users;
use serde::{Deserialize, Serialize};

use crate::jobs::{BackgroundJob, JobError, Retry, Subject};
use crate::reporting::ReportKind;
use crate::{Actor, App, AppError, Result};

/// The largest Excel file kept for a run.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Runs listed with a subscription.
const RUNS_LISTED: u64 = 20;
/// How long a claimed send stays with its sender.
const SEND_LEASE: jiff::SignedDuration = jiff::SignedDuration::from_secs(300);
/// Sends tried before a run is failed (1, 2, 4, 8 minutes apart, as notices).
const SEND_ATTEMPTS: i32 = 5;

/// What a person asks for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubscriptionInput {
    /// The report's code (`daily-notices`, `weekly-engineers`, `monthly-regions`,
    /// `monthly-service`, `desk-compliance`).
    pub report: String,
    pub frequency: Frequency,
    /// The hour (service time zone) the run starts; 8 when absent.
    #[serde(default)]
    pub hour: Option<u8>,
    pub channel: Channel,
    /// The robot's name (channel robot).
    #[serde(default)]
    pub target: Option<String>,
    /// The report's language; the reader's when absent.
    #[serde(default)]
    pub lang: Option<Lang>,
}

/// A subscription with its latest runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubscriptionView {
    #[serde(flatten)]
    pub subscription: Subscription,
    /// The report's name in the subscription's language.
    pub report_name: String,
    /// Newest first.
    pub runs: Vec<RunRecord>,
}

/// A subscription's run, due at its hour. Deduplicated by subscription and period, so two
/// workers (or two saves of one subscription) schedule a period once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionDue {
    pub subscription: Id,
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
    #[serde(with = "ms")]
    pub at: Timestamp,
    /// The schedule (a subscription's never changes), so that the next period is queued
    /// even when every attempt at this one failed ([`BackgroundJob::then`]).
    pub frequency: Frequency,
    pub hour: u8,
    /// The service time zone's name.
    pub tz: String,
}

impl SubscriptionDue {
    fn of(s: &Subscription, run: &rule::Run, tz: &jiff::tz::TimeZone) -> SubscriptionDue {
        SubscriptionDue {
            subscription: s.id,
            from: run.from,
            to: run.to,
            at: run.at,
            frequency: s.frequency,
            hour: s.hour,
            tz: tz.iana_name().unwrap_or("UTC").to_owned(),
        }
    }
}

mod ms {
    use aftersales_domain::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(t.as_millisecond())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let v = i64::deserialize(d)?;
        Timestamp::from_millisecond(v).map_err(serde::de::Error::custom)
    }
}

impl BackgroundJob for SubscriptionDue {
    const KIND: &'static str = "report_subscription";
    const DEDUPLICATED: bool = true;
    const RETRY: Retry = Retry::STANDARD;

    fn subject(&self) -> Subject {
        Subject::of("subscription", self.subscription)
    }

    async fn run(&self, app: &App) -> std::result::Result<(), JobError> {
        app.run_subscription(self).await.map_err(|e| Box::new(e) as JobError)
    }

    /// The next period when every attempt at this one failed (the store was down through
    /// all of them): one failed period must not end the subscription. (A run that went
    /// through queued the next itself, in its transaction; an ended subscription's job
    /// succeeds doing nothing, so nothing follows it.)
    fn after_dead(&self, _now: Timestamp) -> Option<(Self, Timestamp)> {
        let tz = jiff::tz::TimeZone::get(&self.tz).ok()?;
        let next = rule::next_run(self.frequency, self.hour, self.at, &tz);
        let job = SubscriptionDue { from: next.from, to: next.to, at: next.at, ..self.clone() };
        Some((job, next.at))
    }
}

/// A run to send, with everything the sender needs.
#[derive(Debug, Clone)]
pub struct ReportSend {
    pub run: RunRecord,
    pub subscription: Subscription,
    /// The e-mail address (channel e-mail).
    pub email: Option<String>,
    /// The robot (channel robot); none when it was removed meanwhile.
    pub robot: Option<notice_store::TargetRow>,
    pub subject: String,
    /// The summary, and for a robot the link to the report on screen.
    pub body: String,
    /// The Excel file (e-mail only).
    pub file: Option<(String, Vec<u8>)>,
}

/// How a send went: `Ok(detail)`, or `Err((retryable, detail))`.
pub type SendOutcome = std::result::Result<String, (bool, String)>;

fn kind_of(code: &str) -> Result<ReportKind> {
    ReportKind::from_code(code.trim()).ok_or_else(|| {
        AppError::invalid(
            "report",
            aftersales_domain::error::Reason::Malformed {
                expected_en: "a report: daily-notices, weekly-engineers, monthly-regions, monthly-service or desk-compliance",
                expected_zh: "报表编码：daily-notices、weekly-engineers、monthly-regions、monthly-service 或 desk-compliance",
            },
        )
    })
}

/// Which of the reports `actor` may have delivered: all of them (data specialist,
/// supervisor, PM, GM), or an engineer's own weekly line (DOMAIN §7 roles,
/// `domain::reporting::access`).
fn may_subscribe(actor: &Actor, kind: ReportKind) -> Result<()> {
    let ok = match reading(actor) {
        ReportAccess::All => true,
        ReportAccess::OwnLine(_) => kind == ReportKind::WeeklyEngineers,
        ReportAccess::CustomerEdition(_) | ReportAccess::None => false,
    };
    if ok { Ok(()) } else { Err(DomainError::Forbidden { role: actor.user.role, action: Action::ReadReports }.into()) }
}

fn reading(actor: &Actor) -> ReportAccess {
    if !actor.user.active {
        return ReportAccess::None;
    }
    aftersales_domain::reporting::access(actor.user.role, actor.id(), actor.user.customer_id)
}

impl App {
    /// Subscribes `actor` to a report.
    pub async fn subscribe(&self, actor: &Actor, input: &SubscriptionInput, reader: Lang) -> Result<SubscriptionView> {
        actor.require_staff(Action::ReadTicket)?;
        let kind = kind_of(&input.report)?;
        may_subscribe(actor, kind)?;
        let hour = input.hour.unwrap_or(rule::DEFAULT_HOUR);
        let target = input.target.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
        rule::check(hour, input.channel, target.as_deref())?;
        let conn = self.store.read();
        match input.channel {
            Channel::Email => {
                if actor.user.email.as_deref().is_none_or(|e| e.trim().is_empty()) {
                    return Err(AppError::invalid(
                        "channel",
                        aftersales_domain::error::Reason::Mismatch {
                            detail_en: "your account has no e-mail address: ask an administrator to add one, or send to a group robot",
                            detail_zh: "您的账号没有邮箱地址：请管理员补充，或改为发送到群机器人",
                        },
                    ));
                }
                if !self.settings.email {
                    return Err(AppError::invalid(
                        "channel",
                        aftersales_domain::error::Reason::Mismatch {
                            detail_en: "e-mail is not set up on this server",
                            detail_zh: "本系统未配置邮件发送",
                        },
                    ));
                }
            }
            Channel::Robot => {
                // Posting a report to a group shares it with everyone there: only those who
                // read every report may (an engineer's own weekly line is theirs alone).
                if reading(actor) != ReportAccess::All {
                    return Err(DomainError::Forbidden { role: actor.user.role, action: Action::ReadReports }.into());
                }
                let name = target.clone().unwrap_or_default();
                if !notice_store::targets(conn).await?.iter().any(|t| t.name == name && is_robot(t.kind)) {
                    return Err(AppError::invalid("target", aftersales_domain::error::Reason::Unknown));
                }
            }
        }
        let now = self.now();
        let next = rule::next_run(input.frequency, hour, now, &self.settings.time_zone);
        let mut s = Subscription {
            id: 0,
            user_id: actor.id(),
            report: kind.code().to_owned(),
            frequency: input.frequency,
            hour,
            channel: input.channel,
            target: if input.channel == Channel::Robot { target } else { None },
            lang: input.lang.unwrap_or(reader),
            active: true,
            created_at: now,
            next_run_at: Some(next.at),
        };
        let tx = self.store.write().await?;
        // Checked in the write transaction: two clicks at once cannot both pass.
        rule::check_against(&store::of_user(&*tx, actor.id()).await?, &s)?;
        s.id = store::insert(&*tx, &s, now).await?;
        let job = SubscriptionDue::of(&s, &next, &self.settings.time_zone);
        self.enqueue(&*tx, &job, next.at).await?;
        tx.commit().await?;
        Ok(SubscriptionView { report_name: kind.title(s.lang).to_owned(), subscription: s, runs: Vec::new() })
    }

    /// The group robots a report may be posted to (names only; none for a reader who may
    /// not post reports to a group).
    pub async fn report_robots(&self, actor: &Actor) -> Result<Vec<String>> {
        actor.require_staff(Action::ReadTicket)?;
        if reading(actor) != ReportAccess::All {
            return Ok(Vec::new());
        }
        let all = notice_store::targets(self.store.read()).await?;
        Ok(all.into_iter().filter(|t| is_robot(t.kind)).map(|t| t.name).collect())
    }

    /// The reader's subscriptions with their latest runs.
    pub async fn my_subscriptions(&self, actor: &Actor) -> Result<Vec<SubscriptionView>> {
        actor.require_staff(Action::ReadTicket)?;
        let conn = self.store.read();
        let mut out = Vec::new();
        for s in store::of_user(conn, actor.id()).await? {
            let runs = store::runs(conn, s.id, RUNS_LISTED).await?;
            let report_name =
                ReportKind::from_code(&s.report).map_or_else(|| s.report.clone(), |k| k.title(s.lang).into());
            out.push(SubscriptionView { subscription: s, report_name, runs });
        }
        Ok(out)
    }

    /// Ends one of the reader's subscriptions (an administrator may end anyone's). No run
    /// starts after this; a run being sent now still arrives.
    pub async fn unsubscribe(&self, actor: &Actor, id: Id) -> Result<SubscriptionView> {
        actor.require_staff(Action::ReadTicket)?;
        let tx = self.store.write().await?;
        let s = self.own_subscription(&*tx, actor, id).await?;
        store::cancel(&*tx, s.id, self.now()).await?;
        let s = store::by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("subscription", id))?;
        let runs = store::runs(&*tx, id, RUNS_LISTED).await?;
        tx.commit().await?;
        let report_name = ReportKind::from_code(&s.report).map_or_else(|| s.report.clone(), |k| k.title(s.lang).into());
        Ok(SubscriptionView { subscription: s, report_name, runs })
    }

    /// The Excel file a run sent (its subscriber, or an administrator).
    pub async fn subscription_file(&self, actor: &Actor, run: Id) -> Result<(String, Vec<u8>)> {
        actor.require_staff(Action::ReadTicket)?;
        let conn = self.store.read();
        let r = store::run_by_id(conn, run).await?.ok_or_else(|| AppError::not_found("subscription run", run))?;
        let s = self
            .own_subscription(conn, actor, r.subscription_id)
            .await
            .map_err(|_| AppError::not_found("subscription run", run))?;
        // A subscriber whose role changed reads only what they may read now.
        let administrator = actor.require(Action::ManageServicePolicy).is_ok();
        let readable = ReportKind::from_code(&s.report).is_some_and(|k| may_subscribe(actor, k).is_ok());
        if !administrator && !readable {
            return Err(AppError::not_found("subscription run", run));
        }
        let blob = r
            .file_sha256
            .as_deref()
            .and_then(BlobId::parse)
            .ok_or_else(|| AppError::not_found("subscription run", run))?;
        Ok((file_name(&s, &r), self.read_kept(&blob).await?))
    }

    async fn own_subscription<C: aftersales_storage::Conn>(
        &self,
        conn: &C,
        actor: &Actor,
        id: Id,
    ) -> Result<Subscription> {
        match store::by_id(conn, id).await? {
            Some(s) if s.user_id == actor.id() || actor.require(Action::ManageServicePolicy).is_ok() => Ok(s),
            _ => Err(AppError::not_found("subscription", id)),
        }
    }

    /// Makes and records the run `job` names, and schedules the next.
    async fn run_subscription(&self, job: &SubscriptionDue) -> Result<()> {
        let conn = self.store.read();
        let Some(s) = store::by_id(conn, job.subscription).await? else { return Ok(()) };
        let due = rule::next_run(
            s.frequency,
            s.hour,
            job.at - jiff::SignedDuration::from_millis(1),
            &self.settings.time_zone,
        );
        // Ended, or not this subscription's period: nothing to do. (`next_run_at` is earlier
        // than the job when the period before failed for good and `then` queued this one.)
        if !s.active || s.next_run_at.is_none_or(|n| n > job.at) || (due.from, due.to) != (job.from, job.to) {
            return Ok(());
        }
        let next = rule::next_run(s.frequency, s.hour, job.at, &self.settings.time_zone);
        let user = users::user_by_id(conn, s.user_id).await?;
        let made = match (&user, ReportKind::from_code(&s.report)) {
            (Some(u), Some(kind)) if u.active => {
                let actor = Actor { user: u.clone() };
                // What was allowed when subscribing may not be now (a new role): the rule is
                // asked again at every run, for the report and for posting to a group.
                let allowed = may_subscribe(&actor, kind).is_ok()
                    && (s.channel != Channel::Robot || reading(&actor) == ReportAccess::All);
                match if allowed {
                    self.report_file(&actor, kind, job.from, job.to, s.lang).await
                } else {
                    Err(DomainError::Forbidden { role: actor.user.role, action: Action::ReadReports }.into())
                } {
                    Ok(f) => Ok(f),
                    // The subscriber may no longer read it (a new role): recorded, not retried.
                    Err(AppError::Domain(DomainError::Forbidden { .. })) => {
                        Err("the subscriber may no longer read this report".to_owned())
                    }
                    Err(e) => return Err(e),
                }
            }
            (Some(_), Some(_)) | (None, _) => Err("the subscriber's account is deactivated".to_owned()),
            (_, None) => Err(format!("unknown report {}", s.report)),
        };
        let mut run = NewRun {
            subscription_id: s.id,
            from: job.from,
            to: job.to,
            run_at: job.at,
            state: RunState::Failed,
            rows: 0,
            title: String::new(),
            summary: String::new(),
            file_sha256: None,
            file_size: None,
            detail: None,
        };
        let mut kept = None;
        match made {
            Ok(f) => {
                run.title = f.title.chars().take(200).collect();
                run.summary = f.summary.clone();
                run.rows = f.sheets.iter().map(|s| s.rows.len() as i64).sum();
                if f.is_empty {
                    run.state = RunState::Skipped;
                } else {
                    let bytes = tokio::task::spawn_blocking(move || aftersales_export::xlsx(&f.sheets))
                        .await
                        .map_err(|e| AppError::internal("making a subscription's Excel file", e))?
                        .map_err(|e| AppError::internal("making a subscription's Excel file", e))?;
                    run.file_size = Some(bytes.len() as i64);
                    let blob = self.keep_file(bytes).await?;
                    run.file_sha256 = Some(blob.as_str().to_owned());
                    kept = Some(blob);
                    run.state = RunState::Pending;
                }
            }
            Err(why) => run.detail = Some(why),
        }
        let now = self.now();
        let tx = self.store.write().await?;
        // Unsubscribed while the report was made: nothing is recorded or sent.
        match store::by_id(&*tx, s.id).await? {
            Some(now_s) if now_s.active && now_s.next_run_at == s.next_run_at => {}
            _ => return Ok(()),
        }
        let recorded = store::insert_run(&*tx, &run, now).await?.is_some();
        store::set_next_run(&*tx, s.id, Some(next.at), now).await?;
        let follow = SubscriptionDue::of(&s, &next, &self.settings.time_zone);
        self.enqueue(&*tx, &follow, next.at).await?;
        tx.commit().await?;
        if !recorded && let Some(blob) = kept {
            // Another worker recorded this period first; its run names its own copy (the
            // same content has the same name, so the blob stays if any run names it).
            tracing::info!(subscription = s.id, blob = blob.as_str(), "the period had a run already");
        }
        Ok(())
    }

    /// Claims up to `limit` runs to send (after marking sends that outlived their lease
    /// uncertain), with their message built.
    pub async fn claim_report_sends(&self, limit: u64) -> Result<Vec<ReportSend>> {
        let now = self.now();
        let tx = self.store.write().await?;
        let lost = store::mark_uncertain(&*tx, now).await?;
        let runs = store::claim(&*tx, now, now + SEND_LEASE, limit).await?;
        tx.commit().await?;
        if lost > 0 {
            tracing::warn!(runs = lost, "report sends outlived their lease; marked uncertain, not sent again");
        }
        let conn = self.store.read();
        let targets = notice_store::targets(conn).await?;
        let mut out = Vec::new();
        for run in runs {
            match self.build_send(&targets, &run).await {
                Ok(send) => out.push(send),
                // A message that cannot be built now (the file store is down) was not sent:
                // it is tried again later, not left to be marked uncertain, and the other
                // runs still go.
                Err(e) => {
                    let detail = format!("the message could not be built: {e}");
                    tracing::warn!(run = run.id, error = %e, "a report send could not be built");
                    let end = if run.attempts < SEND_ATTEMPTS {
                        Finish::Retry { at: now + Retry::STANDARD.backoff(run.attempts), detail }
                    } else {
                        Finish::Failed { detail }
                    };
                    let tx = self.store.write().await?;
                    store::finish(&*tx, run.id, &end, self.now()).await?;
                    tx.commit().await?;
                }
            }
        }
        Ok(out)
    }

    async fn build_send(&self, targets: &[notice_store::TargetRow], run: &RunRecord) -> Result<ReportSend> {
        let conn = self.store.read();
        let s = store::by_id(conn, run.subscription_id)
            .await?
            .ok_or_else(|| AppError::internal("sending a report", "its subscription is gone"))?;
        let user: Option<User> = users::user_by_id(conn, s.user_id).await?;
        let email = user.and_then(|u| u.email).filter(|e| !e.trim().is_empty());
        let robot = s.target.as_ref().and_then(|n| targets.iter().find(|t| &t.name == n)).cloned();
        let link = self.run_link(&s, run);
        let (subject, body) = message(&s, run, &link);
        let file = match (s.channel, run.file_sha256.as_deref().and_then(BlobId::parse)) {
            (Channel::Email, Some(blob)) => Some((file_name(&s, run), self.read_kept(&blob).await?)),
            _ => None,
        };
        Ok(ReportSend { run: run.clone(), subscription: s, email, robot, subject, body, file })
    }

    /// Records how a claimed send ended: a retryable failure is tried again later (up to
    /// five attempts), any other ends the run as failed.
    pub async fn finish_report_send(&self, send: &ReportSend, outcome: SendOutcome) -> Result<()> {
        let now = self.now();
        let end = match outcome {
            Ok(detail) => Finish::Sent { detail },
            Err((true, detail)) if send.run.attempts < SEND_ATTEMPTS => {
                Finish::Retry { at: now + Retry::STANDARD.backoff(send.run.attempts), detail }
            }
            Err((_, detail)) => Finish::Failed { detail },
        };
        let tx = self.store.write().await?;
        let recorded = store::finish(&*tx, send.run.id, &end, now).await?;
        tx.commit().await?;
        if !recorded {
            tracing::warn!(run = send.run.id, "a report send ended after its lease; it stays uncertain");
        }
        Ok(())
    }

    /// The report on screen for the run's period.
    fn run_link(&self, s: &Subscription, run: &RunRecord) -> String {
        format!(
            "{}/reporting/{}?from={}&to={}",
            self.settings.public_url.trim_end_matches('/'),
            s.report,
            run.from,
            run.to
        )
    }

    async fn keep_file(&self, bytes: Vec<u8>) -> Result<BlobId> {
        let stream = futures_util::stream::once(async move { Ok(bytes::Bytes::from(bytes)) });
        let blob = self
            .files()?
            .put(Box::pin(stream), MAX_FILE_BYTES)
            .await
            .map_err(|e| AppError::internal("keeping a subscription's Excel file", e))?;
        Ok(blob.id)
    }

    async fn read_kept(&self, blob: &BlobId) -> Result<Vec<u8>> {
        use futures_util::TryStreamExt as _;
        let stream =
            self.files()?.get(blob).await.map_err(|e| AppError::internal("reading a subscription's file", e))?;
        let chunks: Vec<bytes::Bytes> =
            stream.try_collect().await.map_err(|e| AppError::internal("reading a subscription's file", e))?;
        Ok(chunks.concat())
    }
}

/// A group robot (a webhook is a machine's endpoint, not a group people read).
fn is_robot(kind: ChannelKind) -> bool {
    matches!(kind, ChannelKind::WeCom | ChannelKind::DingTalk | ChannelKind::Feishu)
}

/// `每周报修事件分析表_2026-11-30_2026-12-06.xlsx`
fn file_name(s: &Subscription, r: &RunRecord) -> String {
    // The report's own name (a run's title may carry its period already).
    let title = ReportKind::from_code(&s.report).map_or_else(|| s.report.clone(), |k| k.title(s.lang).to_owned());
    if r.from == r.to { format!("{title}_{}.xlsx", r.from) } else { format!("{title}_{}_{}.xlsx", r.from, r.to) }
}

/// The subject and text of a run's message, in the subscription's language.
fn message(s: &Subscription, r: &RunRecord, link: &str) -> (String, String) {
    let period = if r.from == r.to { r.from.to_string() } else { format!("{} — {}", r.from, r.to) };
    match (s.lang, s.channel) {
        (Lang::Zh, Channel::Email) => (
            format!("【报表订阅】{}（{period}）", r.title),
            format!(
                "{}\n\nExcel 文件见附件。在线查看：{link}\n\n这是您订阅的{}报表；退订请在“我的订阅”页面操作。",
                r.summary,
                s.frequency.label(Lang::Zh)
            ),
        ),
        (Lang::Zh, Channel::Robot) => (format!("{}（{period}）", r.title), format!("{}\n查看：{link}", r.summary)),
        (Lang::En, Channel::Email) => (
            format!("[Report subscription] {} ({period})", r.title),
            format!(
                "{}\n\nThe Excel file is attached. On screen: {link}\n\nYou subscribed to this {} report; unsubscribe on the \"My subscriptions\" page.",
                r.summary,
                s.frequency.label(Lang::En).to_lowercase()
            ),
        ),
        (Lang::En, Channel::Robot) => (format!("{} ({period})", r.title), format!("{}\nView: {link}", r.summary)),
    }
}
