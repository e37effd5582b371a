//! The scheduler and the outbox (DESIGN: `jobs`): a worker claims the jobs that are due and
//! runs them through the use cases (which record each notice once, by its key), then
//! delivers the queued notices on their channels through `aftersales-notify`.
//!
//! It runs inside `aftersales serve` and as separate `aftersales worker` processes. On
//! PostgreSQL any number of workers share the queues (`FOR UPDATE SKIP LOCKED` with a
//! lease); on SQLite one worker in the serving process is the rule. The cost of a sweep
//! grows with what is due, read through the `jobs`/`deliveries` partial indexes, never with
//! the number of open tickets.

use std::future::Future;
use std::time::Duration;

use aftersales_app::App;
use aftersales_app::notices::Outgoing;
use aftersales_domain::Lang;
use aftersales_domain::notice::{ChannelKind, NoticeKind};
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
                (_, Lang::Zh) => "填写服务评价（无需登录）：",
                (_, Lang::En) => "Rate the service (no sign-in needed):",
            };
            let body = match &item.link {
                Some(link) => format!("{body}\n\n{invite}\n{link}"),
                None => body.clone(),
            };
            Message { key, subject: subject.clone(), body, link: None }
        }
        None => Message {
            key,
            subject: n.subject_zh.clone(),
            // The notice key closes every message, so a reader (or a robot log) can tell a
            // retried delivery of one notice from another notice with the same words.
            body: format!("{}\n\n{}\n{}\n\n通告编号 Notice: {}", n.body_zh, n.subject_en, n.body_en, n.key),
            link: None,
        },
    }
}

/// How often a running worker does its housekeeping ([`Worker::upkeep`]).
const UPKEEP_EVERY: Duration = Duration::from_secs(3600);

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sweep {
    pub jobs: usize,
    pub sent: usize,
    pub failed: usize,
}

/// A worker: the app, the channels, and a name for its leases.
#[derive(Clone)]
pub struct Worker {
    app: App,
    notifier: Notifier,
    name: String,
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
    pub fn new(app: App, notifier: Notifier, name: impl Into<String>) -> Worker {
        Worker { app, notifier, name: name.into(), batch: 500, idle: Duration::from_secs(1) }
    }

    /// Runs the due jobs (in batches) and then the due deliveries, once.
    pub async fn sweep(&self) -> Result<Sweep, aftersales_app::AppError> {
        let mut out = Sweep::default();
        loop {
            let n = self.app.run_due_jobs(&self.name, self.batch).await?;
            out.jobs += n;
            if (n as u64) < self.batch {
                break;
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
        Ok(out)
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
        let msg = message(item);
        match self.notifier.send(&target, &msg).await {
            Ok(r) => Ok(r.detail),
            Err(SendError::Retryable(e)) => Err((true, e)),
            Err(SendError::Permanent(e)) => Err((false, e)),
        }
    }

    /// Hourly housekeeping: ended sessions and old sign-in failures are deleted, and the
    /// database's planner statistics refreshed (SQLite). Failures are logged, not fatal.
    async fn upkeep(&self) {
        match self.app.prune_sessions().await {
            Ok((sessions, failures)) if sessions + failures > 0 => {
                tracing::info!(sessions, failures, "ended sessions and old sign-in failures deleted");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning sessions failed"),
        }
        if let Err(e) = self.app.store().optimize().await {
            tracing::warn!(error = %e, "refreshing planner statistics failed");
        }
    }

    /// Sweeps until `shutdown` completes; errors are logged and the next sweep tries again.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        tracing::info!(worker = %self.name, "worker started");
        let mut last_upkeep: Option<std::time::Instant> = None;
        loop {
            if last_upkeep.is_none_or(|t| t.elapsed() >= UPKEEP_EVERY) {
                last_upkeep = Some(std::time::Instant::now());
                self.upkeep().await;
            }
            let busy = match self.sweep().await {
                Ok(s) => {
                    if s.jobs + s.sent + s.failed > 0 {
                        tracing::info!(jobs = s.jobs, sent = s.sent, failed = s.failed, "sweep");
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
