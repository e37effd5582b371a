//! Report subscriptions and their runs (issue 15). A run is inserted once per subscription
//! and period (a unique index; a second insert does nothing), then claimed for sending one
//! at a time with a lease, like the notice deliveries: a send cut off by a crash is found
//! after its lease and marked uncertain, never sent twice.

use aftersales_domain::subscription::{Channel, Frequency, RunRecord, RunState, Subscription};
use aftersales_domain::{Id, Lang, Timestamp};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_code, get_opt_ts, get_ts, ms, opt_ms};
use crate::notices::skip_locked;
use crate::schema::{ReportSubscriptions as S, SubscriptionRuns as R};
use crate::{Result, StorageError, insert_returning_id};

const SUB_COLS: [S; 12] = [
    S::Id,
    S::UserId,
    S::Report,
    S::Frequency,
    S::Hour,
    S::Channel,
    S::Target,
    S::Lang,
    S::Active,
    S::CreatedAt,
    S::UpdatedAt,
    S::NextRunAt,
];

const RUN_COLS: [R; 15] = [
    R::Id,
    R::SubscriptionId,
    R::PeriodFrom,
    R::PeriodTo,
    R::RunAt,
    R::State,
    R::Rows,
    R::Title,
    R::Summary,
    R::FileSha256,
    R::FileSize,
    R::Attempts,
    R::Detail,
    R::CreatedAt,
    R::SentAt,
];

fn subscription(r: &QueryResult) -> Result<Subscription> {
    let hour: i16 = get(r, "hour")?;
    Ok(Subscription {
        id: get(r, "id")?,
        user_id: get(r, "user_id")?,
        report: get(r, "report")?,
        frequency: get_code(r, "frequency", Frequency::from_code)?,
        hour: u8::try_from(hour).map_err(|_| StorageError::Corrupt(format!("subscription hour {hour}")))?,
        channel: get_code(r, "channel", Channel::from_code)?,
        target: get(r, "target")?,
        lang: match get::<String>(r, "lang")?.as_str() {
            "en" => Lang::En,
            _ => Lang::Zh,
        },
        active: get(r, "active")?,
        created_at: get_ts(r, "created_at")?,
        next_run_at: get_opt_ts(r, "next_run_at")?,
    })
}

fn date(r: &QueryResult, col: &str) -> Result<jiff::civil::Date> {
    let s: String = get(r, col)?;
    s.parse().map_err(|e| StorageError::Corrupt(format!("{col} {s:?}: {e}")))
}

fn run(r: &QueryResult) -> Result<RunRecord> {
    Ok(RunRecord {
        id: get(r, "id")?,
        subscription_id: get(r, "subscription_id")?,
        from: date(r, "period_from")?,
        to: date(r, "period_to")?,
        run_at: get_ts(r, "run_at")?,
        state: get_code(r, "state", RunState::from_code)?,
        rows: get(r, "rows")?,
        title: get(r, "title")?,
        summary: get(r, "summary")?,
        file_sha256: get(r, "file_sha256")?,
        file_size: get(r, "file_size")?,
        attempts: get(r, "attempts")?,
        detail: get(r, "detail")?,
        sent_at: get_opt_ts(r, "sent_at")?,
    })
}

fn select_subs() -> SelectStatement {
    Query::select().columns(SUB_COLS).from(S::Table).to_owned()
}

/// Stores a new subscription; returns its id.
pub async fn insert<C: ConnectionTrait>(conn: &C, s: &Subscription, now: Timestamp) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(S::Table)
        .columns([
            S::UserId,
            S::Report,
            S::Frequency,
            S::Hour,
            S::Channel,
            S::Target,
            S::Lang,
            S::Active,
            S::CreatedAt,
            S::UpdatedAt,
            S::NextRunAt,
        ])
        .values_panic([
            s.user_id.into(),
            s.report.clone().into(),
            s.frequency.code().into(),
            i16::from(s.hour).into(),
            s.channel.code().into(),
            s.target.clone().into(),
            match s.lang {
                Lang::En => "en",
                Lang::Zh => "zh-CN",
            }
            .into(),
            s.active.into(),
            ms(now).into(),
            ms(now).into(),
            opt_ms(s.next_run_at).into(),
        ])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

pub async fn by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<Subscription>> {
    let stmt = select_subs().and_where(Expr::col(S::Id).eq(id)).to_owned();
    conn.query_one(&stmt).await?.as_ref().map(subscription).transpose()
}

/// A person's subscriptions, the active ones first, newest first.
pub async fn of_user<C: ConnectionTrait>(conn: &C, user: Id) -> Result<Vec<Subscription>> {
    let stmt = select_subs()
        .and_where(Expr::col(S::UserId).eq(user))
        .order_by(S::Active, Order::Desc)
        .order_by(S::Id, Order::Desc)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(subscription).collect()
}

/// Sets when the next run starts.
pub async fn set_next_run<C: ConnectionTrait>(conn: &C, id: Id, at: Option<Timestamp>, now: Timestamp) -> Result<()> {
    let stmt = Query::update()
        .table(S::Table)
        .values([(S::NextRunAt, opt_ms(at).into()), (S::UpdatedAt, ms(now).into())])
        .and_where(Expr::col(S::Id).eq(id))
        .to_owned();
    conn.execute(&stmt).await?;
    Ok(())
}

/// Ends a subscription (no further run); false when it had ended already.
pub async fn cancel<C: ConnectionTrait>(conn: &C, id: Id, now: Timestamp) -> Result<bool> {
    let stmt = Query::update()
        .table(S::Table)
        .values([(S::Active, false.into()), (S::NextRunAt, None::<i64>.into()), (S::UpdatedAt, ms(now).into())])
        .and_where(Expr::col(S::Id).eq(id))
        .and_where(Expr::col(S::Active).eq(true))
        .to_owned();
    Ok(conn.execute(&stmt).await?.rows_affected() > 0)
}

/// What a run found, to be recorded.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub subscription_id: Id,
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
    pub run_at: Timestamp,
    /// `Pending` (to be sent), `Skipped` (empty) or `Failed` (the report could not be made).
    pub state: RunState,
    pub rows: i64,
    pub title: String,
    pub summary: String,
    pub file_sha256: Option<String>,
    pub file_size: Option<i64>,
    pub detail: Option<String>,
}

/// Whether a run keeps blob `sha256` as its file (the blob store is content-addressed:
/// whoever removes a blob asks every record that may hold it).
pub async fn file_in_use<C: ConnectionTrait>(conn: &C, sha256: &str) -> Result<bool> {
    let stmt =
        Query::select().column(R::Id).from(R::Table).and_where(Expr::col(R::FileSha256).eq(sha256)).limit(1).to_owned();
    Ok(conn.query_one(&stmt).await?.is_some())
}

/// Records a run; `None` when this subscription's period has a run already (nothing is
/// changed then).
pub async fn insert_run<C: ConnectionTrait>(conn: &C, r: &NewRun, now: Timestamp) -> Result<Option<Id>> {
    let stmt = Query::insert()
        .into_table(R::Table)
        .columns([
            R::SubscriptionId,
            R::PeriodFrom,
            R::PeriodTo,
            R::RunAt,
            R::State,
            R::Rows,
            R::Title,
            R::Summary,
            R::FileSha256,
            R::FileSize,
            R::Attempts,
            R::NextAttemptAt,
            R::Detail,
            R::CreatedAt,
        ])
        .values_panic([
            r.subscription_id.into(),
            r.from.to_string().into(),
            r.to.to_string().into(),
            ms(r.run_at).into(),
            r.state.code().into(),
            r.rows.into(),
            r.title.clone().into(),
            r.summary.clone().into(),
            r.file_sha256.clone().into(),
            r.file_size.into(),
            0i32.into(),
            (r.state == RunState::Pending).then_some(ms(now)).into(),
            r.detail.clone().into(),
            ms(now).into(),
        ])
        .on_conflict(OnConflict::columns([R::SubscriptionId, R::PeriodFrom, R::PeriodTo]).do_nothing().to_owned())
        .returning_col(R::Id)
        .to_owned();
    match conn.query_one(&stmt).await.map_err(StorageError::from_db)? {
        Some(row) => Ok(Some(get(&row, "id")?)),
        None => Ok(None),
    }
}

/// A subscription's runs, newest first.
pub async fn runs<C: ConnectionTrait>(conn: &C, subscription: Id, limit: u64) -> Result<Vec<RunRecord>> {
    let stmt = Query::select()
        .columns(RUN_COLS)
        .from(R::Table)
        .and_where(Expr::col(R::SubscriptionId).eq(subscription))
        .order_by(R::RunAt, Order::Desc)
        .order_by(R::Id, Order::Desc)
        .limit(limit)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(run).collect()
}

pub async fn run_by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<RunRecord>> {
    let stmt = Query::select().columns(RUN_COLS).from(R::Table).and_where(Expr::col(R::Id).eq(id)).to_owned();
    conn.query_one(&stmt).await?.as_ref().map(run).transpose()
}

/// Claims up to `limit` runs due to be sent: each becomes `sending` until `lease_until`.
pub async fn claim<C: ConnectionTrait>(
    conn: &C,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u64,
) -> Result<Vec<RunRecord>> {
    let mut due = Query::select()
        .column(R::Id)
        .from(R::Table)
        .and_where(Expr::col(R::State).eq(RunState::Pending.code()))
        .and_where(Expr::col(R::NextAttemptAt).lte(ms(now)))
        .order_by(R::NextAttemptAt, Order::Asc)
        .limit(limit)
        .to_owned();
    skip_locked(conn, &mut due);
    let stmt = Query::update()
        .table(R::Table)
        .values([
            (R::State, RunState::Sending.code().into()),
            (R::LeaseUntil, ms(lease_until).into()),
            (R::Attempts, Expr::col(R::Attempts).add(1)),
        ])
        .and_where(Expr::col(R::Id).in_subquery(due))
        .returning(Query::returning().columns(RUN_COLS))
        .to_owned();
    let mut out: Vec<RunRecord> = conn.query_all(&stmt).await?.iter().map(run).collect::<Result<_>>()?;
    out.sort_by_key(|r| r.id);
    Ok(out)
}

/// Runs whose send outlived its lease become `uncertain` (the message may have gone out);
/// returns how many.
pub async fn mark_uncertain<C: ConnectionTrait>(conn: &C, now: Timestamp) -> Result<u64> {
    let mut expired = Query::select()
        .column(R::Id)
        .from(R::Table)
        .and_where(Expr::col(R::State).eq(RunState::Sending.code()))
        .and_where(Expr::col(R::LeaseUntil).lt(ms(now)))
        .to_owned();
    skip_locked(conn, &mut expired);
    let stmt = Query::update()
        .table(R::Table)
        .values([
            (R::State, RunState::Uncertain.code().into()),
            (R::LeaseUntil, None::<i64>.into()),
            (R::NextAttemptAt, None::<i64>.into()),
            (R::Detail, "the sender stopped before it recorded the outcome".into()),
        ])
        .and_where(Expr::col(R::Id).in_subquery(expired))
        .to_owned();
    Ok(conn.execute(&stmt).await?.rows_affected())
}

/// How a send ended.
#[derive(Debug, Clone)]
pub enum Finish {
    Sent { detail: String },
    Retry { at: Timestamp, detail: String },
    Failed { detail: String },
}

/// Records how the claimed send of run `id` ended; false when its lease had run out and the
/// run is no longer this sender's (it was marked uncertain meanwhile).
pub async fn finish<C: ConnectionTrait>(conn: &C, id: Id, end: &Finish, now: Timestamp) -> Result<bool> {
    let (state, next, detail, sent) = match end {
        Finish::Sent { detail } => (RunState::Sent, None, detail, Some(ms(now))),
        Finish::Retry { at, detail } => (RunState::Pending, Some(ms(*at)), detail, None),
        Finish::Failed { detail } => (RunState::Failed, None, detail, None),
    };
    let stmt = Query::update()
        .table(R::Table)
        .values([
            (R::State, state.code().into()),
            (R::NextAttemptAt, next.into()),
            (R::LeaseUntil, None::<i64>.into()),
            (R::Detail, detail.clone().into()),
            (R::SentAt, sent.into()),
        ])
        .and_where(Expr::col(R::Id).eq(id))
        .and_where(Expr::col(R::State).eq(RunState::Sending.code()))
        .to_owned();
    Ok(conn.execute(&stmt).await?.rows_affected() > 0)
}
