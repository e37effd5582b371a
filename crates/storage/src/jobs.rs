//! Background jobs of any kind (issue 12): a job has a kind (which runner takes it), a
//! subject (what it is about, not necessarily a ticket), its arguments, a unique key and a
//! due time. The notice checks of tickets are one kind (`notices::NOTICE_CHECK`, taken in
//! the transaction that records their notices); every other kind is claimed here with a
//! lease, run outside any transaction, and finished: done, due again after a backoff, or
//! dead.
//!
//! Claiming is one `UPDATE … WHERE id IN (SELECT … [FOR UPDATE SKIP LOCKED]) RETURNING …`,
//! as for deliveries: PostgreSQL workers share the queue without waiting on each other.

use aftersales_domain::{Id, Timestamp};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query, SelectStatement, UnionType};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_ts, ms};
use crate::notices::{insert_batched, skip_locked};
use crate::schema::Jobs;
use crate::{Result, StorageError};

/// What a job is about: `ticket:42`, `store`, `sessions`, `subscription:7` (at most 100
/// characters). A kind of thing and, when it is one of many, which one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subject(String);

impl Subject {
    /// One thing of a kind: `Subject::of("subscription", 7)` is `subscription:7`.
    pub fn of(what: &str, id: impl std::fmt::Display) -> Subject {
        Subject(format!("{what}:{id}"))
    }

    pub fn ticket(id: Id) -> Subject {
        Subject::of("ticket", id)
    }

    /// Something there is one of (`store`, `sessions`).
    pub fn named(name: &str) -> Subject {
        Subject(name.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A job to enqueue. `key` is unique among all jobs ever stored: a second job with the key
/// of one that exists (pending, done or dead) is not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub kind: &'static str,
    pub subject: Subject,
    pub key: String,
    pub data: String,
    /// The ticket, for a job about one.
    pub ticket: Option<Id>,
    pub due_at: Timestamp,
}

/// Stores `job` unless one with its key exists; whether it was stored.
pub async fn enqueue<C: ConnectionTrait>(conn: &C, job: &NewJob, now: Timestamp) -> Result<bool> {
    Ok(insert(conn, std::slice::from_ref(job), now).await? == 1)
}

/// The columns a new job is stored with, in the order of [`insert`]'s values (the
/// benches' bulk copies use them too).
pub(crate) const NEW_JOB_COLUMNS: [Jobs; 9] = [
    Jobs::Key,
    Jobs::Kind,
    Jobs::TicketId,
    Jobs::Subject,
    Jobs::Data,
    Jobs::DueAt,
    Jobs::State,
    Jobs::CreatedAt,
    Jobs::UpdatedAt,
];

/// Stores each job unless one with its key exists; how many were stored.
pub async fn insert<C: ConnectionTrait>(conn: &C, jobs: &[NewJob], now: Timestamp) -> Result<u64> {
    let insert = || {
        Query::insert()
            .into_table(Jobs::Table)
            .columns(NEW_JOB_COLUMNS)
            .on_conflict(OnConflict::column(Jobs::Key).do_nothing().to_owned())
            .to_owned()
    };
    insert_batched(conn, jobs, insert, |job| {
        Ok([
            job.key.clone().into(),
            job.kind.into(),
            job.ticket.into(),
            job.subject.as_str().into(),
            job.data.clone().into(),
            ms(job.due_at).into(),
            "pending".into(),
            ms(now).into(),
            ms(now).into(),
        ])
    })
    .await
}

/// A job as stored: claimed by a worker, or listed for an administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub id: Id,
    pub key: String,
    pub kind: String,
    pub subject: String,
    pub data: String,
    pub state: String,
    pub due_at: Timestamp,
    /// Attempts started so far (a claim starts one).
    pub attempts: i32,
    pub last_error: Option<String>,
}

const COLS: [Jobs; 9] = [
    Jobs::Id,
    Jobs::Key,
    Jobs::Kind,
    Jobs::Subject,
    Jobs::Data,
    Jobs::State,
    Jobs::DueAt,
    Jobs::Attempts,
    Jobs::LastError,
];

fn row(r: &QueryResult) -> Result<JobRow> {
    Ok(JobRow {
        id: get(r, "id")?,
        key: get(r, "key")?,
        kind: get(r, "kind")?,
        subject: get(r, "subject")?,
        data: get::<Option<String>>(r, "data")?.unwrap_or_default(),
        state: get(r, "state")?,
        due_at: get_ts(r, "due_at")?,
        attempts: get(r, "attempts")?,
        last_error: get(r, "last_error")?,
    })
}

/// The ids of up to `limit` jobs of `kind` a worker may take at `now`: the pending ones due
/// by then, soonest first, and the running ones whose lease ran out (their worker stopped);
/// on PostgreSQL, rows another worker has locked are skipped.
pub(crate) fn claimable<C: ConnectionTrait>(conn: &C, kind: &str, now: Timestamp, limit: u64) -> SelectStatement {
    let mut due = Query::select()
        .column(Jobs::Id)
        .from(Jobs::Table)
        .and_where(Expr::col(Jobs::Kind).eq(kind))
        .and_where(Expr::col(Jobs::State).eq("pending"))
        .and_where(Expr::col(Jobs::DueAt).lte(ms(now)))
        .order_by(Jobs::DueAt, Order::Asc)
        .limit(limit)
        .to_owned();
    skip_locked(conn, &mut due);
    let mut expired = Query::select()
        .column(Jobs::Id)
        .from(Jobs::Table)
        .and_where(Expr::col(Jobs::State).eq("running"))
        .and_where(Expr::col(Jobs::LeaseUntil).lt(ms(now)))
        .and_where(Expr::col(Jobs::Kind).eq(kind))
        .limit(limit)
        .to_owned();
    skip_locked(conn, &mut expired);
    // One `IN` over both sets (not `IN due OR IN expired`, which PostgreSQL can only answer
    // by scanning every job): the ids come from the two partial indexes, the rows by key.
    Query::select()
        .column(Jobs::Id)
        .from_subquery(due, Alias::new("due"))
        .union(
            UnionType::All,
            Query::select().column(Jobs::Id).from_subquery(expired, Alias::new("expired")).to_owned(),
        )
        .to_owned()
}

/// Claims up to `limit` jobs of `kind` for `worker` until `lease_until`: those due by `now`,
/// soonest first, and those whose worker's lease ran out (it stopped mid-run). Each claim
/// starts an attempt.
pub async fn claim<C: ConnectionTrait>(
    conn: &C,
    kind: &str,
    worker: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u64,
) -> Result<Vec<JobRow>> {
    let stmt = Query::update()
        .table(Jobs::Table)
        .values([
            (Jobs::State, "running".into()),
            (Jobs::LeaseUntil, ms(lease_until).into()),
            (Jobs::LockedBy, worker.into()),
            (Jobs::Attempts, Expr::col(Jobs::Attempts).add(1)),
            (Jobs::UpdatedAt, ms(now).into()),
        ])
        .and_where(Expr::col(Jobs::Id).in_subquery(claimable(conn, kind, now, limit)))
        .returning(Query::returning().columns(COLS))
        .to_owned();
    let mut jobs: Vec<JobRow> = conn.query_all(&stmt).await?.iter().map(row).collect::<Result<_>>()?;
    jobs.sort_by_key(|j| (j.due_at, j.id));
    Ok(jobs)
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    Done,
    /// Failed; due again at `at`.
    Retry {
        at: Timestamp,
        error: String,
    },
    /// Failed for the last time: kept, with its error, for an administrator.
    Dead {
        error: String,
    },
}

/// Records how `worker`'s attempt at job `id` ended. False when the job was no longer
/// theirs (their lease ran out and another worker claimed it meanwhile).
pub async fn finish<C: ConnectionTrait>(
    conn: &C,
    id: Id,
    worker: &str,
    finish: &Finish,
    now: Timestamp,
) -> Result<bool> {
    let mut values = vec![(Jobs::LeaseUntil, Expr::val(None::<i64>)), (Jobs::UpdatedAt, Expr::val(ms(now)))];
    match finish {
        Finish::Done => values.push((Jobs::State, Expr::val("done"))),
        Finish::Retry { at, error } => {
            values.push((Jobs::State, Expr::val("pending")));
            values.push((Jobs::DueAt, Expr::val(ms(*at))));
            values.push((Jobs::LastError, Expr::val(cut(error))));
        }
        Finish::Dead { error } => {
            values.push((Jobs::State, Expr::val("dead")));
            values.push((Jobs::LastError, Expr::val(cut(error))));
        }
    }
    let stmt = Query::update()
        .table(Jobs::Table)
        .values(values)
        .and_where(Expr::col(Jobs::Id).eq(id))
        .and_where(Expr::col(Jobs::State).eq("running"))
        .and_where(Expr::col(Jobs::LockedBy).eq(worker))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() == 1)
}

fn cut(error: &str) -> String {
    error.chars().take(2000).collect()
}

/// Up to `limit` pending jobs of every kind due by `now`, soonest first, without taking them
/// (a test checks that it left none behind).
pub async fn due<C: ConnectionTrait>(conn: &C, now: Timestamp, limit: u64) -> Result<Vec<JobRow>> {
    let stmt = Query::select()
        .columns(COLS)
        .from(Jobs::Table)
        .and_where(Expr::col(Jobs::State).eq("pending"))
        .and_where(Expr::col(Jobs::DueAt).lte(ms(now)))
        .order_by(Jobs::DueAt, Order::Asc)
        .limit(limit)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(row).collect()
}

/// Jobs in `state` (`pending`, `running`, `done`, `dead`), of one kind or of every kind but
/// the notice checks, newest change first.
pub async fn list<C: ConnectionTrait>(conn: &C, kind: Option<&str>, state: &str, limit: u64) -> Result<Vec<JobRow>> {
    let mut stmt = Query::select()
        .columns(COLS)
        .from(Jobs::Table)
        .and_where(Expr::col(Jobs::State).eq(state))
        .order_by(Jobs::UpdatedAt, Order::Desc)
        .order_by(Jobs::Id, Order::Desc)
        .limit(limit)
        .to_owned();
    match kind {
        Some(k) => stmt.and_where(Expr::col(Jobs::Kind).eq(k)),
        None => stmt.and_where(Expr::col(Jobs::Kind).ne(crate::notices::NOTICE_CHECK)),
    };
    conn.query_all(&stmt).await?.iter().map(row).collect()
}

/// Deletes the pending jobs of `kind` about `subject` (a rescheduled deadline replaces its
/// job); how many were pending. A job already taken runs and finds nothing to do.
pub async fn withdraw<C: ConnectionTrait>(conn: &C, kind: &str, subject: &Subject) -> Result<u64> {
    let stmt = Query::delete()
        .from_table(Jobs::Table)
        .and_where(Expr::col(Jobs::Kind).eq(kind))
        .and_where(Expr::col(Jobs::Subject).eq(subject.as_str()))
        .and_where(Expr::col(Jobs::State).eq("pending"))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected())
}
