//! Jobs: durable timers of a ticket, reconciled with what its state wants and taken when due.

use aftersales_domain::notice::{JobKind, JobSpec};
use aftersales_domain::{Id, Timestamp};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query, SelectStatement, UnionType};
use sea_orm::{ConnectionTrait, QueryResult};

use super::skip_locked;
use crate::conv::{get, get_code, get_ts, ms};
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
    let missing: Vec<&JobSpec> = desired.iter().filter(|d| !present.contains(&d.key)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut stmt = Query::insert()
        .into_table(Jobs::Table)
        .columns([Jobs::Key, Jobs::Kind, Jobs::TicketId, Jobs::DueAt, Jobs::State, Jobs::CreatedAt, Jobs::UpdatedAt])
        .on_conflict(OnConflict::column(Jobs::Key).do_nothing().to_owned())
        .to_owned();
    for d in missing {
        stmt.values_panic([
            d.key.clone().into(),
            d.kind.code().into(),
            ticket.into(),
            ms(d.due_at).into(),
            "pending".into(),
            ms(now).into(),
            ms(now).into(),
        ]);
    }
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

/// Pending jobs, soonest first.
fn pending() -> SelectStatement {
    Query::select()
        .columns([Jobs::Id, Jobs::Key, Jobs::Kind, Jobs::TicketId, Jobs::DueAt, Jobs::Attempts])
        .from(Jobs::Table)
        .and_where(Expr::col(Jobs::State).eq("pending"))
        .order_by(Jobs::DueAt, Order::Asc)
        .to_owned()
}

/// The pending jobs of one ticket, soonest first.
pub async fn pending_jobs<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<Vec<Job>> {
    let stmt = pending().and_where(Expr::col(Jobs::TicketId).eq(ticket)).to_owned();
    conn.query_all(&stmt).await?.iter().map(job).collect()
}

/// Up to `limit` pending jobs due by `now`, soonest first, without taking them (a test
/// checks that it left none behind).
pub async fn due_jobs<C: ConnectionTrait>(conn: &C, now: Timestamp, limit: u64) -> Result<Vec<Job>> {
    let stmt = pending().and_where(Expr::col(Jobs::DueAt).lte(ms(now))).limit(limit).to_owned();
    conn.query_all(&stmt).await?.iter().map(job).collect()
}

fn job(r: &QueryResult) -> Result<Job> {
    Ok(Job {
        id: get(r, "id")?,
        key: get(r, "key")?,
        kind: get_code(r, "kind", JobKind::from_code)?,
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
    let mut due = Query::select()
        .column(Jobs::Id)
        .from(Jobs::Table)
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
        .limit(limit)
        .to_owned();
    skip_locked(conn, &mut expired);
    // One `IN` over both sets (not `IN due OR IN expired`, which PostgreSQL can only answer
    // by scanning every job): the ids come from the two partial indexes, the rows by key.
    let claimable = Query::select()
        .column(Jobs::Id)
        .from_subquery(due, Alias::new("due"))
        .union(
            UnionType::All,
            Query::select().column(Jobs::Id).from_subquery(expired, Alias::new("expired")).to_owned(),
        )
        .to_owned();
    let stmt = Query::update()
        .table(Jobs::Table)
        .values([
            (Jobs::State, "done".into()),
            (Jobs::LeaseUntil, None::<i64>.into()),
            (Jobs::LockedBy, worker.into()),
            (Jobs::Attempts, Expr::col(Jobs::Attempts).add(1)),
            (Jobs::UpdatedAt, ms(now).into()),
        ])
        .and_where(Expr::col(Jobs::Id).in_subquery(claimable))
        .returning(Query::returning().columns([
            Jobs::Id,
            Jobs::Key,
            Jobs::Kind,
            Jobs::TicketId,
            Jobs::DueAt,
            Jobs::Attempts,
        ]))
        .to_owned();
    let mut jobs: Vec<Job> = conn.query_all(&stmt).await?.iter().map(job).collect::<Result<_>>()?;
    jobs.sort_by_key(|j| (j.due_at, j.id));
    Ok(jobs)
}
