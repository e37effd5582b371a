//! Background work of any kind (issue 12; crates.io's `BackgroundJob` is the model): a
//! kind of job is a type that says its name, what each job is about, whether a second job
//! like a pending one is dropped, and how its failures are retried; the worker
//! (`aftersales-jobs`) runs each kind it is given. A use case enqueues a job in its own
//! transaction ([`App::enqueue`]), so the job exists exactly when the change that asked for
//! it was committed.
//!
//! A job is claimed with a lease ([`LEASE`]) and run outside any transaction; its attempt
//! then ends done, due again after its kind's backoff, or dead after its kind's last
//! attempt (kept with its error, listed to administrators by [`App::dead_jobs`], and
//! logged). The notice checks of tickets are the one kind run differently: in batches, in
//! the transaction that records their notices (`App::run_due_jobs`).

use std::future::Future;

use aftersales_domain::Timestamp;
use aftersales_domain::permission::Action;
use aftersales_storage::Conn;
use aftersales_storage::jobs::{self as store, Finish, JobRow, NewJob};
use jiff::SignedDuration;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use aftersales_storage::jobs::Subject;

use crate::{Actor, App, Result};

/// How long a claimed job stays with its worker; a run longer than this is cut off and
/// counts as a failed attempt, and a job whose worker stopped is claimed again after it.
pub const LEASE: SignedDuration = SignedDuration::from_secs(600);

/// Why an attempt failed (logged and kept with the job).
pub type JobError = Box<dyn std::error::Error + Send + Sync>;

/// How a kind's failed attempts are retried: up to `attempts` in all, the second
/// `first` after the first failure, each wait twice the one before, at most `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub attempts: i32,
    pub first: SignedDuration,
    pub cap: SignedDuration,
}

impl Retry {
    /// Five attempts, 1, 2, 4 and 8 minutes apart.
    pub const STANDARD: Retry =
        Retry { attempts: 5, first: SignedDuration::from_secs(60), cap: SignedDuration::from_secs(3600) };

    /// The wait before the next attempt after `failed` attempts failed (1 or more).
    pub fn backoff(&self, failed: i32) -> SignedDuration {
        let doublings = failed.clamp(1, 31) - 1;
        let secs = self.first.as_secs().saturating_mul(1_i64 << doublings.min(30));
        SignedDuration::from_secs(secs).min(self.cap)
    }
}

/// A kind of background work. Its value is the job's arguments, stored as JSON.
pub trait BackgroundJob: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The kind's name in `jobs.kind` (at most 32 characters); never renamed once jobs of
    /// it may be stored.
    const KIND: &'static str;
    /// Whether a job is dropped when one of the same kind, subject and
    /// [`dedup_key`](Self::dedup_key) exists already (pending, run or dead): two workers
    /// scheduling "this hour's purge" store it once.
    const DEDUPLICATED: bool = false;
    const RETRY: Retry = Retry::STANDARD;

    /// What the job is about.
    fn subject(&self) -> Subject;

    /// What tells deduplicated jobs of one kind and subject apart (default: the arguments).
    fn dedup_key(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Does the work. An error fails this attempt (retried as [`Self::RETRY`] says).
    fn run(&self, app: &App) -> impl Future<Output = std::result::Result<(), JobError>> + Send;

    /// The job that follows this one once it ended (done, or dead), and when: a periodic
    /// job names its next run. None by default.
    fn then(&self, _now: Timestamp) -> Option<(Self, Timestamp)>
    where
        Self: Sized,
    {
        None
    }

    /// The job that follows this one when every attempt failed (it is kept dead), besides
    /// [`Self::then`]: a schedule that must go on after one failed occurrence names its next
    /// one here. None by default.
    fn after_dead(&self, _now: Timestamp) -> Option<(Self, Timestamp)>
    where
        Self: Sized,
    {
        None
    }
}

/// What [`App::run_jobs`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobsRun {
    pub done: usize,
    pub failed: usize,
}

fn new_job<J: BackgroundJob>(job: &J, due_at: Timestamp) -> Result<NewJob> {
    let subject = job.subject();
    let tail = if J::DEDUPLICATED { job.dedup_key() } else { hex::encode(crate::users::random_bytes::<16>()?) };
    let mut key = format!("{}/{subject}/{tail}", J::KIND);
    if key.len() > 200 {
        // A long deduplication key (the arguments) is kept unique by its digest.
        use sha2::Digest;
        key = format!("{}/{subject}/{}", J::KIND, hex::encode(sha2::Sha256::digest(tail.as_bytes())));
    }
    let data = serde_json::to_string(job).map_err(|e| crate::AppError::from(internal(e)))?;
    Ok(NewJob { kind: J::KIND, subject, key, data, ticket: None, due_at })
}

fn internal(e: impl std::fmt::Display) -> aftersales_storage::StorageError {
    aftersales_storage::StorageError::Corrupt(format!("job: {e}"))
}

impl App {
    /// Stores `job`, due at `due_at`, in the caller's transaction; false when its kind
    /// deduplicates and a job like it exists.
    pub async fn enqueue<J: BackgroundJob, C: Conn>(&self, conn: &C, job: &J, due_at: Timestamp) -> Result<bool> {
        Ok(store::enqueue(conn, &new_job(job, due_at)?, self.now()).await?)
    }

    /// [`App::enqueue`] in a transaction of its own.
    pub async fn enqueue_now<J: BackgroundJob>(&self, job: &J, due_at: Timestamp) -> Result<bool> {
        let tx = self.store.write().await?;
        let stored = self.enqueue(&*tx, job, due_at).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// Claims up to `limit` due jobs of kind `J` for `worker` and runs them one after the
    /// other, recording how each attempt ended.
    pub async fn run_jobs<J: BackgroundJob>(&self, worker: &str, limit: u64) -> Result<JobsRun> {
        let now = self.now();
        let tx = self.store.write().await?;
        let claimed = store::claim(&*tx, J::KIND, worker, now, now + LEASE, limit).await?;
        tx.commit().await?;
        let mut out = JobsRun::default();
        for row in claimed {
            let job = serde_json::from_str::<J>(&row.data);
            let outcome = match &job {
                // Each claim starts an attempt; one past the last means every attempt ended
                // with its worker (a crash, or a stop mid-run): it is not started again.
                _ if row.attempts > J::RETRY.attempts => Err("its worker stopped during every attempt".to_owned()),
                Ok(job) => match tokio::time::timeout(LEASE.unsigned_abs(), job.run(self)).await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err(format!("still running after {LEASE:#}")),
                },
                Err(e) => Err(format!("unreadable arguments: {e}")),
            };
            let now = self.now();
            let finish = match outcome {
                Ok(()) => Finish::Done,
                Err(error) if job.is_ok() && row.attempts < J::RETRY.attempts => {
                    Finish::Retry { at: now + J::RETRY.backoff(row.attempts), error }
                }
                Err(error) => Finish::Dead { error },
            };
            let tx = self.store.write().await?;
            let recorded = store::finish(&*tx, row.id, worker, &finish, now).await?;
            let ended = matches!(finish, Finish::Done | Finish::Dead { .. });
            let dead = matches!(finish, Finish::Dead { .. });
            if recorded
                && ended
                && let Ok(job) = &job
                && let Some((next, at)) = job.then(now).or_else(|| if dead { job.after_dead(now) } else { None })
            {
                self.enqueue(&*tx, &next, at).await?;
            }
            tx.commit().await?;
            match &finish {
                Finish::Done => out.done += 1,
                Finish::Retry { at, error } => {
                    out.failed += 1;
                    tracing::warn!(kind = J::KIND, subject = %row.subject, attempt = row.attempts, %error, retry_at = %at, "background job failed; it will be retried");
                }
                Finish::Dead { error } => {
                    out.failed += 1;
                    tracing::error!(kind = J::KIND, subject = %row.subject, attempts = row.attempts, %error, "background job failed for the last time; it is kept as dead for an administrator");
                }
            }
            if !recorded {
                tracing::warn!(
                    kind = J::KIND,
                    job = row.id,
                    "the attempt ended after its lease; another worker has the job"
                );
            }
        }
        Ok(out)
    }

    /// The background jobs that failed for good (administrators), newest first; notice
    /// checks are not among them (they are retried until they run).
    pub async fn dead_jobs(&self, actor: &Actor, limit: u64) -> Result<Vec<JobRow>> {
        actor.require(Action::ManageServicePolicy)?;
        Ok(store::list(self.store.read(), None, "dead", limit).await?)
    }

    /// The jobs of `kind` in `state` (tests and tools; no permission check).
    pub async fn jobs_of(&self, kind: &str, state: &str) -> Result<Vec<JobRow>> {
        Ok(store::list(self.store.read(), Some(kind), state, 1000).await?)
    }
}
