//! The worker's own housekeeping as hourly background jobs (issue 12): ended sessions and
//! old sign-in failures are deleted, and SQLite's planner statistics refreshed. Each hour's
//! run of a chore is one job, deduplicated by the hour, so any number of workers run it
//! once; when it ends (done or given up) it enqueues the next hour's.

use std::future::Future;
use std::marker::PhantomData;

use aftersales_app::App;
use aftersales_app::jobs::{BackgroundJob, JobError, Subject};
use aftersales_domain::Timestamp;
use serde::{Deserialize, Serialize};

const HOUR_MS: i64 = 3_600_000;

/// Housekeeping done once an hour.
pub trait Chore: Send + Sync + 'static {
    const KIND: &'static str;
    /// What it keeps (the job's subject).
    const SUBJECT: &'static str;
    fn run(app: &App) -> impl Future<Output = Result<(), JobError>> + Send;
}

/// One hour's run of chore `C`.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Hourly<C> {
    /// The start of the hour this run belongs to (milliseconds since the epoch, UTC hours).
    pub hour: i64,
    #[serde(skip)]
    chore: PhantomData<fn() -> C>,
}

impl<C> std::fmt::Debug for Hourly<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hourly").field("chore", &std::any::type_name::<C>()).field("hour", &self.hour).finish()
    }
}

impl<C: Chore> Hourly<C> {
    /// The run of the hour `now` falls in.
    pub fn at(now: Timestamp) -> Hourly<C> {
        Hourly { hour: now.as_millisecond().div_euclid(HOUR_MS) * HOUR_MS, chore: PhantomData }
    }
}

impl<C: Chore> BackgroundJob for Hourly<C> {
    const KIND: &'static str = C::KIND;
    const DEDUPLICATED: bool = true;

    fn subject(&self) -> Subject {
        Subject::named(C::SUBJECT)
    }

    fn dedup_key(&self) -> String {
        self.hour.to_string()
    }

    fn run(&self, app: &App) -> impl Future<Output = Result<(), JobError>> + Send {
        C::run(app)
    }

    fn then(&self, _now: Timestamp) -> Option<(Self, Timestamp)> {
        let hour = self.hour + HOUR_MS;
        Some((Hourly { hour, chore: PhantomData }, Timestamp::from_millisecond(hour).ok()?))
    }
}

/// Deletes ended sessions and sign-in failures too old to count.
#[derive(Debug, Clone, Copy)]
pub struct PurgeSessions;

impl Chore for PurgeSessions {
    const KIND: &'static str = "purge_sessions";
    const SUBJECT: &'static str = "sessions";

    async fn run(app: &App) -> Result<(), JobError> {
        let (sessions, failures) = app.prune_sessions().await?;
        if sessions + failures > 0 {
            tracing::info!(sessions, failures, "ended sessions and old sign-in failures deleted");
        }
        Ok(())
    }
}

/// Deletes expired idempotency keys and the old attempt logs of sent deliveries, as the
/// retention settings say (issue 18).
#[derive(Debug, Clone, Copy)]
pub struct PruneRecords;

impl Chore for PruneRecords {
    const KIND: &'static str = "prune_records";
    const SUBJECT: &'static str = "retention";

    async fn run(app: &App) -> Result<(), JobError> {
        let (keys, attempts) = app.prune_records().await?;
        if keys + attempts > 0 {
            tracing::info!(keys, attempts, "expired idempotency keys and old delivery attempts deleted");
        }
        Ok(())
    }
}

/// Refreshes the database's planner statistics (`Store::optimize`: SQLite's; PostgreSQL's
/// autovacuum keeps its own).
#[derive(Debug, Clone, Copy)]
pub struct OptimizeStore;

impl Chore for OptimizeStore {
    const KIND: &'static str = "optimize_store";
    const SUBJECT: &'static str = "store";

    async fn run(app: &App) -> Result<(), JobError> {
        Ok(app.store().optimize().await?)
    }
}
