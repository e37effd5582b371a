//! The scheduler and the outbox (DESIGN: `jobs`): a worker claims the jobs that are due and
//! runs them through the use cases (which record each notice once, by its key), then
//! delivers the queued notices on their channels through `aftersales-notify`.
//!
//! Jobs are of kinds (`aftersales_app::jobs::BackgroundJob`); a worker runs the kinds it
//! is given ([`Worker::register`]): the notice checks of tickets, its own hourly
//! housekeeping ([`maintenance`]), and whatever a later feature adds.
//!
//! It runs inside `aftersales serve` and as separate `aftersales worker` processes. On
//! PostgreSQL any number of workers share the queues (`FOR UPDATE SKIP LOCKED` with a
//! lease); on SQLite one worker in the serving process is the rule. The cost of a sweep
//! grows with what is due, read through the `jobs`/`deliveries` partial indexes, never with
//! the number of open tickets.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use aftersales_app::jobs::BackgroundJob;
use aftersales_app::notices::Outgoing;
use aftersales_app::subscriptions::ReportSend;
use aftersales_app::{App, AppError};
use aftersales_domain::Lang;
use aftersales_domain::notice::{ChannelKind, NoticeKind};
use aftersales_domain::subscription::Channel as SubscriptionChannel;
use aftersales_notify::{Message, Notifier, SendError, Target};

/// What one delivery says. Staff get both languages; a customer contact gets their own
/// language only, in the notice's customer words, with the signed link of a "please
/// confirm" or survey mail on lines of its own (DOMAIN §8).
fn message(item: &Outgoing) -> Message {
    let (n, d) = (&item.notice, &item.delivery);
    // One key per notice and recipient: the e-mail Message-ID and the webhook
    // Idempotency-Key, so a receiver can tell a retried delivery from a new notice.
    let key = format!("{}/{}/{}", n.key, d.channel.code(), d.target);
    match d.lang {
        Some(lang) => {
            let (subject, body) = match lang {
                Lang::Zh => (&n.subject_zh, &n.body_zh),
                Lang::En => (&n.subject_en, &n.body_en),
            };
            let invite = match (n.kind, lang) {
                (NoticeKind::Resolved, Lang::Zh) => "确认结案或告诉我们问题仍未解决（无需登录）：",
                (NoticeKind::Resolved, Lang::En) => "Confirm closure, or tell us it is not solved (no sign-in needed):",
                (NoticeKind::QuoteToApprove, Lang::Zh) => "查看并确认报价，或告诉我们不同意的原因（无需登录）：",
                (NoticeKind::QuoteToApprove, Lang::En) => {
                    "Review and approve the quote, or tell us why not (no sign-in needed):"
                }
                (NoticeKind::ReportToSign, Lang::Zh) => "签署服务报告，或说明不签字的原因（无需登录）：",
                (NoticeKind::ReportToSign, Lang::En) => {
                    "Sign the service report, or tell us why you do not (no sign-in needed):"
                }
                (_, Lang::Zh) => "填写服务评价（无需登录）：",
                (_, Lang::En) => "Rate the service (no sign-in needed):",
            };
            let body = match &item.link {
                Some(link) => format!("{body}\n\n{invite}\n{link}"),
                None => body.clone(),
            };
            Message { key, subject: subject.clone(), body, link: None, attachments: Vec::new() }
        }
        None => Message {
            key,
            subject: n.subject_zh.clone(),
            // The notice key closes every message, so a reader (or a robot log) can tell a
            // retried delivery of one notice from another notice with the same words.
            body: format!("{}\n\n{}\n{}\n\n通告编号 Notice: {}", n.body_zh, n.subject_en, n.body_en, n.key),
            link: None,
            attachments: Vec::new(),
        },
    }
}

pub mod maintenance;

type Ran<'a> = Pin<Box<dyn Future<Output = Result<(usize, usize), AppError>> + Send + 'a>>;

/// A kind of job as the worker runs it: takes up to `limit` due jobs of the kind and runs
/// them; how many ran and how many of those failed.
trait Kind: Send + Sync {
    fn run<'a>(&'a self, app: &'a App, worker: &'a str, limit: u64) -> Ran<'a>;
}

/// The notice checks of tickets: taken in batches in the transaction that records their
/// notices (`App::run_due_jobs`), so a sweep costs a few statements whatever its size; a
/// failure rolls the batch back and it is due again at the next sweep.
struct NoticeChecks;

impl Kind for NoticeChecks {
    fn run<'a>(&'a self, app: &'a App, worker: &'a str, limit: u64) -> Ran<'a> {
        Box::pin(async move { Ok((app.run_due_jobs(worker, limit).await?, 0)) })
    }
}

/// Any other kind: claimed with a lease, run one at a time, retried as the kind says.
struct Background<J>(PhantomData<fn() -> J>);

impl<J: BackgroundJob> Kind for Background<J> {
    fn run<'a>(&'a self, app: &'a App, worker: &'a str, limit: u64) -> Ran<'a> {
        Box::pin(async move {
            let r = app.run_jobs::<J>(worker, limit).await?;
            Ok((r.done + r.failed, r.failed))
        })
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Jobs run, of every kind (a failed attempt counts too).
    pub jobs: usize,
    /// Attempts at background jobs that failed (to be retried, or given up).
    pub jobs_failed: usize,
    pub sent: usize,
    pub failed: usize,
}

/// A worker: the app, the channels, a name for its leases, and the kinds of jobs it runs.
#[derive(Clone)]
pub struct Worker {
    app: App,
    notifier: Notifier,
    name: String,
    kinds: Vec<Arc<dyn Kind>>,
    /// Jobs taken per round (deliveries are claimed one at a time).
    pub batch: u64,
    /// Pause between sweeps when nothing was due.
    pub idle: Duration,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("name", &self.name).field("batch", &self.batch).finish_non_exhaustive()
    }
}

impl Worker {
    /// A worker for the notice checks and the hourly housekeeping.
    pub fn new(app: App, notifier: Notifier, name: impl Into<String>) -> Worker {
        let kinds: Vec<Arc<dyn Kind>> = vec![Arc::new(NoticeChecks)];
        Worker { app, notifier, name: name.into(), kinds, batch: 500, idle: Duration::from_secs(1) }
            .register::<maintenance::Hourly<maintenance::PurgeSessions>>()
            .register::<maintenance::Hourly<maintenance::OptimizeStore>>()
            .register::<maintenance::Hourly<maintenance::PruneRecords>>()
            .register::<aftersales_app::work_orders::OverdueCheck>()
            .register::<aftersales_app::visits::VisitLateWatch>()
            .register::<aftersales_app::parts::FaultyReturnCheck>()
            .register::<aftersales_app::subscriptions::SubscriptionDue>()
            .register::<aftersales_app::callbacks::CallbackSelection>()
    }

    /// Runs the jobs of kind `J` too.
    pub fn register<J: BackgroundJob>(mut self) -> Worker {
        self.kinds.push(Arc::new(Background::<J>(PhantomData)));
        self
    }

    /// Runs the due jobs of each kind (in batches) and then the due deliveries, once.
    pub async fn sweep(&self) -> Result<Sweep, AppError> {
        let mut out = Sweep::default();
        for kind in &self.kinds {
            loop {
                let (n, failed) = kind.run(&self.app, &self.name, self.batch).await?;
                out.jobs += n;
                out.jobs_failed += failed;
                if (n as u64) < self.batch {
                    break;
                }
            }
        }
        // One delivery claimed at a time, just before it is sent: `sending` then means an
        // attempt is under way, so a delivery whose lease ran out is one a dead worker may
        // have handed over already (marked uncertain, not sent twice), never one it had
        // merely queued.
        loop {
            let Some(item) = self.app.claim_deliveries(1).await?.pop() else { break };
            let outcome = self.deliver(&item).await;
            match &outcome {
                Ok(_) => out.sent += 1,
                Err((_, e)) => {
                    out.failed += 1;
                    tracing::warn!(notice = %item.notice.key, channel = %item.delivery.channel, error = %e, "delivery failed");
                }
            }
            self.app.finish_delivery(&self.name, &item.delivery, outcome).await?;
        }
        // Subscribed reports, the same way: one claimed just before it is sent.
        loop {
            let Some(send) = self.app.claim_report_sends(1).await?.pop() else { break };
            let outcome = self.send_report(&send).await;
            match &outcome {
                Ok(_) => out.sent += 1,
                Err((_, e)) => {
                    out.failed += 1;
                    tracing::warn!(run = send.run.id, subscription = send.subscription.id, error = %e, "report send failed");
                }
            }
            self.app.finish_report_send(&send, outcome).await?;
        }
        Ok(out)
    }

    /// Sends one subscribed report: an e-mail with the Excel file, or a robot's summary with
    /// the link.
    async fn send_report(&self, send: &ReportSend) -> Result<String, (bool, String)> {
        let target = match (send.subscription.channel, &send.email, &send.robot) {
            (SubscriptionChannel::Email, Some(to), _) => Target::Email { to: to.clone(), name: None },
            (SubscriptionChannel::Email, None, _) => {
                return Err((false, "the subscriber has no e-mail address".into()));
            }
            (SubscriptionChannel::Robot, _, Some(t)) => match t.kind {
                ChannelKind::WeCom => Target::WeCom { url: t.url.clone() },
                ChannelKind::DingTalk => Target::DingTalk { url: t.url.clone(), secret: t.secret.clone() },
                ChannelKind::Feishu => Target::Feishu { url: t.url.clone(), secret: t.secret.clone() },
                other => return Err((false, format!("target {} is a {other}, not a group robot", t.name))),
            },
            (SubscriptionChannel::Robot, _, None) => {
                return Err((
                    false,
                    format!("robot {} is no longer configured", send.subscription.target.clone().unwrap_or_default()),
                ));
            }
        };
        let attachments = match &send.file {
            Some((filename, content)) if send.subscription.channel == SubscriptionChannel::Email => {
                vec![aftersales_notify::Attachment {
                    filename: filename.clone(),
                    content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
                    content: content.clone(),
                }]
            }
            _ => Vec::new(),
        };
        // One key per run: the e-mail's Message-ID, so a receiver tells a retry from a new run.
        let msg = Message {
            key: format!("report-run-{}", send.run.id),
            subject: send.subject.clone(),
            body: send.body.clone(),
            link: None,
            attachments,
        };
        match self.notifier.send(&target, &msg).await {
            Ok(r) => Ok(r.detail),
            Err(SendError::Retryable(e)) => Err((true, e)),
            Err(SendError::Permanent(e)) => Err((false, e)),
        }
    }

    async fn deliver(&self, item: &Outgoing) -> Result<String, (bool, String)> {
        let d = &item.delivery;
        let target = match d.channel {
            ChannelKind::Email => Target::Email { to: d.target.clone(), name: None },
            ChannelKind::InApp => return Ok("in-app".into()),
            kind => {
                let Some(t) = &item.target else {
                    return Err((false, format!("target {} is no longer configured", d.target)));
                };
                match kind {
                    ChannelKind::WeCom => Target::WeCom { url: t.url.clone() },
                    ChannelKind::DingTalk => Target::DingTalk { url: t.url.clone(), secret: t.secret.clone() },
                    ChannelKind::Feishu => Target::Feishu { url: t.url.clone(), secret: t.secret.clone() },
                    _ => Target::Webhook { url: t.url.clone(), secret: t.secret.clone().unwrap_or_default() },
                }
            }
        };
        let mut msg = message(item);
        // A customer's e-mail about a service report carries its PDF (the kept one once
        // signed), read now from the file store; robots and webhooks carry none. A failure
        // to read it is retried like a relay that is down.
        if let (ChannelKind::Email, Some(report), Some(_)) = (d.channel, item.report_id, d.contact_id) {
            let file = self.app.report_attachment(report).await.map_err(|e| (true, e.to_string()))?;
            msg.attachments.push(aftersales_notify::Attachment {
                filename: file.filename,
                content_type: "application/pdf".to_owned(),
                content: file.bytes,
            });
        }
        match self.notifier.send(&target, &msg).await {
            Ok(r) => Ok(r.detail),
            Err(SendError::Retryable(e)) => Err((true, e)),
            Err(SendError::Permanent(e)) => Err((false, e)),
        }
    }

    /// Enqueues this hour's housekeeping (once among all workers; each run enqueues the next).
    async fn schedule_housekeeping(&self) -> Result<(), AppError> {
        let now = self.app.now();
        self.app.enqueue_now(&maintenance::Hourly::<maintenance::PurgeSessions>::at(now), now).await?;
        self.app.enqueue_now(&maintenance::Hourly::<maintenance::OptimizeStore>::at(now), now).await?;
        self.app.enqueue_now(&maintenance::Hourly::<maintenance::PruneRecords>::at(now), now).await?;
        // DOMAIN §6: the daily callback selection, once a service day has ended.
        self.app.schedule_callback_selection().await?;
        Ok(())
    }

    /// Sweeps until `shutdown` completes; errors are logged and the next sweep tries again.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        tracing::info!(worker = %self.name, "worker started");
        if let Err(e) = self.schedule_housekeeping().await {
            tracing::warn!(error = %e, "scheduling the hourly housekeeping failed");
        }
        loop {
            let busy = match self.sweep().await {
                Ok(s) => {
                    if s.jobs + s.sent + s.failed > 0 {
                        tracing::info!(
                            jobs = s.jobs,
                            jobs_failed = s.jobs_failed,
                            sent = s.sent,
                            failed = s.failed,
                            "sweep"
                        );
                    }
                    s.jobs > 0 || s.sent + s.failed > 0
                }
                Err(e) => {
                    tracing::error!(error = %e, "sweep failed");
                    false
                }
            };
            if busy {
                continue;
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(self.idle) => {}
            }
        }
        tracing::info!(worker = %self.name, "worker stopped");
    }
}
