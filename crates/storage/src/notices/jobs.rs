//! Jobs: durable timers of a ticket, reconciled with what its state wants and taken when due.

use aftersales_domain::notice::{JobKind, JobSpec};
use aftersales_domain::{Id, Timestamp};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_code, get_ts, ms};
use crate::jobs::{NewJob, Subject};
use crate::schema::Jobs;
use crate::{Result, StorageError};

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: Id,
    pub key: String,
    pub kind: JobKind,
    pub ticket_id: Id,
    pub due_at: Timestamp,
    pub attempts: i32,
}

/// The kind of the jobs that check a ticket's watched moments (`jobs.kind`); which check
/// is the job's data (`JobKind`).
pub const NOTICE_CHECK: &str = "notice_check";

/// Makes the ticket's pending jobs exactly `desired`: jobs no longer wanted are cancelled
/// (a response stops the response reminders), new ones are added (a regrade's new due
/// instant has a new key). A key already done is not run again.
pub async fn reconcile_jobs<C: ConnectionTrait>(
    conn: &C,
    ticket: Id,
    desired: &[JobSpec],
    now: Timestamp,
) -> Result<()> {
    let stmt = Query::select()
        .columns([Jobs::Id, Jobs::Key])
        .from(Jobs::Table)
        .and_where(Expr::col(Jobs::TicketId).eq(ticket))
        .and_where(Expr::col(Jobs::State).eq("pending"))
        .and_where(Expr::col(Jobs::Kind).eq(NOTICE_CHECK))
        .to_owned();
    let mut stale = Vec::new();
    let mut present = Vec::new();
    for r in conn.query_all(&stmt).await? {
        let key: String = get(&r, "key")?;
        if desired.iter().any(|d| d.key == key) {
            present.push(key);
        } else {
            stale.push(get::<Id>(&r, "id")?);
        }
    }
    if !stale.is_empty() {
        let stmt = Query::update()
            .table(Jobs::Table)
            .values([(Jobs::State, "cancelled".into()), (Jobs::UpdatedAt, ms(now).into())])
            .and_where(Expr::col(Jobs::Id).is_in(stale))
            .to_owned();
        conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    }
    let missing: Vec<NewJob> = desired
        .iter()
        .filter(|d| !present.contains(&d.key))
        .map(|d| NewJob {
            kind: NOTICE_CHECK,
            subject: Subject::ticket(ticket),
            key: d.key.clone(),
            data: d.kind.code().to_owned(),
            ticket: Some(ticket),
            due_at: d.due_at,
        })
        .collect();
    crate::jobs::insert(conn, &missing, now).await?;
    Ok(())
}

const JOB_COLS: [Jobs; 6] = [Jobs::Id, Jobs::Key, Jobs::Data, Jobs::TicketId, Jobs::DueAt, Jobs::Attempts];

/// Pending notice checks, soonest first.
fn pending() -> SelectStatement {
    Query::select()
        .columns(JOB_COLS)
        .from(Jobs::Table)
        .and_where(Expr::col(Jobs::State).eq("pending"))
        .and_where(Expr::col(Jobs::Kind).eq(NOTICE_CHECK))
        .order_by(Jobs::DueAt, Order::Asc)
        .to_owned()
}

/// The pending jobs of one ticket, soonest first.
pub async fn pending_jobs<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<Vec<Job>> {
    let stmt = pending().and_where(Expr::col(Jobs::TicketId).eq(ticket)).to_owned();
    conn.query_all(&stmt).await?.iter().map(job).collect()
}

fn job(r: &QueryResult) -> Result<Job> {
    Ok(Job {
        id: get(r, "id")?,
        key: get(r, "key")?,
        kind: get_code(r, "data", JobKind::from_code)?,
        ticket_id: get(r, "ticket_id")?,
        due_at: get_ts(r, "due_at")?,
        attempts: get(r, "attempts")?,
    })
}

/// Takes up to `limit` jobs due by `now` for `worker` and marks them done, in one
/// statement. Call it only inside the transaction that records the jobs' effects: that
/// transaction is the lease. On PostgreSQL the taken rows stay locked until it ends and
/// other workers skip them (`SKIP LOCKED`); a worker that dies rolls back, and the jobs are
/// due again at once, with no lease to wait out. Rows left `running` by an older version
/// (which leased jobs across transactions) are taken once their lease ended.
pub async fn take_jobs<C: ConnectionTrait>(conn: &C, worker: &str, now: Timestamp, limit: u64) -> Result<Vec<Job>> {
    let stmt = Query::update()
        .table(Jobs::Table)
        .values([
            (Jobs::State, "done".into()),
            (Jobs::LeaseUntil, None::<i64>.into()),
            (Jobs::LockedBy, worker.into()),
            (Jobs::Attempts, Expr::col(Jobs::Attempts).add(1)),
            (Jobs::UpdatedAt, ms(now).into()),
        ])
        .and_where(Expr::col(Jobs::Id).in_subquery(crate::jobs::claimable(conn, NOTICE_CHECK, now, limit)))
        .returning(Query::returning().columns(JOB_COLS))
        .to_owned();
    let mut jobs: Vec<Job> = conn.query_all(&stmt).await?.iter().map(job).collect::<Result<_>>()?;
    jobs.sort_by_key(|j| (j.due_at, j.id));
    Ok(jobs)
}
