//! Jobs (durable timers), notices with their recipients, the delivery outbox, robot and
//! webhook targets, and notice routes (DOMAIN §5).
//!
//! Claiming is one `UPDATE … WHERE id IN (SELECT … LIMIT n [FOR UPDATE SKIP LOCKED])
//! RETURNING …`: on PostgreSQL any number of workers share the queue without waiting on each
//! other; on SQLite the single writer makes the same statement exclusive. A claimed row has
//! a lease; a worker that dies leaves it to be claimed again when the lease ends.

use std::collections::HashMap;

use aftersales_domain::event::Event;
use aftersales_domain::notice::{
    AttemptOutcome, Audience, ChannelKind, Delivery, DeliveryAttempt, DeliveryState, JobKind, JobSpec, Notice,
    NoticeKind, NoticeRecipient, NoticeSpec, Route,
};
use aftersales_domain::{Id, Lang, Timestamp};
use sea_orm::sea_query::{
    Alias, Expr, ExprTrait, Func, InsertStatement, LockBehavior, LockType, OnConflict, Order, Query, SelectStatement,
};
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult};

use crate::conv::{get, get_code, get_opt_ts, get_ts, ms};
use crate::jobs::{NewJob, Subject};
use crate::schema::{
    Deliveries, DeliveryAttempts, Jobs, NoticeRecipients, NoticeRoutes, Notices, NotifyTargets, TicketEvents,
};
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

pub(crate) fn skip_locked<C: ConnectionTrait>(conn: &C, select: &mut SelectStatement) {
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
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

/// The pending jobs of one ticket, soonest first.
pub async fn pending_jobs<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<Vec<Job>> {
    let stmt = Query::select()
        .columns(JOB_COLS)
        .from(Jobs::Table)
        .and_where(Expr::col(Jobs::TicketId).eq(ticket))
        .and_where(Expr::col(Jobs::State).eq("pending"))
        .and_where(Expr::col(Jobs::Kind).eq(NOTICE_CHECK))
        .order_by(Jobs::DueAt, Order::Asc)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(job).collect()
}

const JOB_COLS: [Jobs; 6] = [Jobs::Id, Jobs::Key, Jobs::Data, Jobs::TicketId, Jobs::DueAt, Jobs::Attempts];

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

/// Rows per multi-row statement: well below the bind parameter limits of SQLite (32,766)
/// and PostgreSQL (65,535) for the widest row written here.
const BATCH: usize = 500;

/// Stores a notice unless one with its key exists; the id when it was stored now.
pub async fn insert_notice<C: ConnectionTrait>(
    conn: &C,
    ticket: Id,
    spec: &NoticeSpec,
    now: Timestamp,
) -> Result<Option<Id>> {
    Ok(insert_notices(conn, &[(ticket, spec, now)]).await?.pop().flatten())
}

/// Stores notices (ticket, spec, created at) unless one with the key exists, in as few
/// statements as the batch size allows; for each, in order, its id when it was stored now.
/// The keys must be distinct.
pub async fn insert_notices<C: ConnectionTrait>(
    conn: &C,
    notices: &[(Id, &NoticeSpec, Timestamp)],
) -> Result<Vec<Option<Id>>> {
    let mut stored: HashMap<String, Id> = HashMap::with_capacity(notices.len());
    for chunk in notices.chunks(BATCH) {
        let mut stmt = Query::insert()
            .into_table(Notices::Table)
            .columns([
                Notices::Key,
                Notices::TicketId,
                Notices::Kind,
                Notices::CreatedAt,
                Notices::SubjectZh,
                Notices::BodyZh,
                Notices::SubjectEn,
                Notices::BodyEn,
            ])
            .on_conflict(OnConflict::column(Notices::Key).do_nothing().to_owned())
            .returning(Query::returning().columns([Notices::Id, Notices::Key]))
            .to_owned();
        for (ticket, spec, now) in chunk {
            stmt.values_panic([
                spec.key.clone().into(),
                (*ticket).into(),
                spec.kind.code().into(),
                ms(*now).into(),
                spec.subject_zh.clone().into(),
                spec.body_zh.clone().into(),
                spec.subject_en.clone().into(),
                spec.body_en.clone().into(),
            ]);
        }
        for r in conn.query_all(&stmt).await? {
            stored.insert(get(&r, "key")?, get(&r, "id")?);
        }
    }
    Ok(notices.iter().map(|(_, spec, _)| stored.get(&spec.key).copied()).collect())
}

pub async fn insert_recipient<C: ConnectionTrait>(conn: &C, notice: Id, user: Id, audience: Audience) -> Result<()> {
    let stmt = Query::insert()
        .into_table(NoticeRecipients::Table)
        .columns([NoticeRecipients::NoticeId, NoticeRecipients::UserId, NoticeRecipients::Audience])
        .values_panic([notice.into(), user.into(), audience.code().into()])
        .on_conflict(
            OnConflict::columns([NoticeRecipients::NoticeId, NoticeRecipients::UserId]).do_nothing().to_owned(),
        )
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

/// Adds the recipients (notice, user, audience) of notices stored just now, each person
/// once per notice. Unlike [`insert_recipient`] it does not look for one already there
/// (there is none), which halves its cost on PostgreSQL; the unique index still refuses a
/// second.
pub async fn insert_recipients<C: ConnectionTrait>(conn: &C, rows: &[(Id, Id, Audience)]) -> Result<()> {
    for chunk in rows.chunks(BATCH) {
        let mut stmt = Query::insert()
            .into_table(NoticeRecipients::Table)
            .columns([NoticeRecipients::NoticeId, NoticeRecipients::UserId, NoticeRecipients::Audience])
            .to_owned();
        for (notice, user, audience) in chunk {
            stmt.values_panic([(*notice).into(), (*user).into(), audience.code().into()]);
        }
        execute(conn, &stmt).await?;
    }
    Ok(())
}

/// A delivery to queue: the notice, the person (none for a robot or webhook), the channel,
/// the address or target name, and when it is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub notice: Id,
    pub user: Option<Id>,
    pub channel: ChannelKind,
    pub target: String,
    pub at: Timestamp,
    /// A customer notice e-mailed to this contact, in `lang`.
    pub contact: Option<Id>,
    pub lang: Option<Lang>,
}

/// A stored language code.
pub fn lang_of(code: &str) -> Lang {
    if code == Lang::En.code() { Lang::En } else { Lang::Zh }
}

pub async fn insert_delivery<C: ConnectionTrait>(
    conn: &C,
    notice: Id,
    user: Option<Id>,
    channel: ChannelKind,
    target: &str,
    now: Timestamp,
) -> Result<()> {
    let d = NewDelivery { notice, user, channel, target: target.to_owned(), at: now, contact: None, lang: None };
    insert_deliveries(conn, &[d]).await
}

/// Queues deliveries; one already queued for the same notice, channel and target stays.
pub async fn insert_deliveries<C: ConnectionTrait>(conn: &C, rows: &[NewDelivery]) -> Result<()> {
    for chunk in rows.chunks(BATCH) {
        let mut stmt = Query::insert()
            .into_table(Deliveries::Table)
            .columns([
                Deliveries::NoticeId,
                Deliveries::UserId,
                Deliveries::Channel,
                Deliveries::Target,
                Deliveries::State,
                Deliveries::NextAttemptAt,
                Deliveries::CreatedAt,
                Deliveries::ContactId,
                Deliveries::Lang,
            ])
            .on_conflict(
                OnConflict::columns([Deliveries::NoticeId, Deliveries::Channel, Deliveries::Target])
                    .do_nothing()
                    .to_owned(),
            )
            .to_owned();
        for d in chunk {
            stmt.values_panic([
                d.notice.into(),
                d.user.into(),
                d.channel.code().into(),
                d.target.clone().into(),
                "pending".into(),
                ms(d.at).into(),
                ms(d.at).into(),
                d.contact.into(),
                d.lang.map(|l| l.code()).into(),
            ]);
        }
        execute(conn, &stmt).await?;
    }
    Ok(())
}

/// Adds history events (the notices of a sweep), stored as `tickets::insert_event` stores
/// one, in as few statements as the batch size allows.
pub async fn insert_events<C: ConnectionTrait>(conn: &C, events: &[Event]) -> Result<()> {
    for chunk in events.chunks(BATCH) {
        let mut stmt = Query::insert()
            .into_table(TicketEvents::Table)
            .columns([
                TicketEvents::TicketId,
                TicketEvents::At,
                TicketEvents::ActorId,
                TicketEvents::Action,
                TicketEvents::Changes,
                TicketEvents::Note,
            ])
            .to_owned();
        for e in chunk {
            let changes = serde_json::to_string(&e.changes).map_err(|err| StorageError::Corrupt(err.to_string()))?;
            stmt.values_panic([
                e.ticket_id.into(),
                ms(e.at).into(),
                e.actor_id.into(),
                e.action.clone().into(),
                changes.into(),
                e.note.clone().into(),
            ]);
        }
        execute(conn, &stmt).await?;
    }
    Ok(())
}

async fn execute<C: ConnectionTrait>(conn: &C, stmt: &InsertStatement) -> Result<()> {
    conn.execute(stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

/// What a notice list asks for (all conditions combined with AND).
#[derive(Debug, Clone, Default)]
pub struct NoticeFilter {
    pub kind: Option<NoticeKind>,
    /// Only notices of these kinds (empty: any).
    pub kinds: Vec<NoticeKind>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Notices this person received.
    pub recipient: Option<Id>,
    /// With `recipient`: acknowledged by them or not; without: by everyone or not by all.
    pub acknowledged: Option<bool>,
    pub ticket: Option<Id>,
    pub limit: u64,
    pub offset: u64,
}

fn apply(stmt: &mut SelectStatement, f: &NoticeFilter) {
    if let Some(k) = f.kind {
        stmt.and_where(Expr::col((Notices::Table, Notices::Kind)).eq(k.code()));
    }
    if !f.kinds.is_empty() {
        stmt.and_where(Expr::col((Notices::Table, Notices::Kind)).is_in(f.kinds.iter().map(|k| k.code())));
    }
    if let Some(from) = f.from {
        stmt.and_where(Expr::col((Notices::Table, Notices::CreatedAt)).gte(ms(from)));
    }
    if let Some(to) = f.to {
        stmt.and_where(Expr::col((Notices::Table, Notices::CreatedAt)).lt(ms(to)));
    }
    if let Some(t) = f.ticket {
        stmt.and_where(Expr::col((Notices::Table, Notices::TicketId)).eq(t));
    }
    let mut mine = Query::select()
        .column((NoticeRecipients::Table, NoticeRecipients::NoticeId))
        .from(NoticeRecipients::Table)
        .to_owned();
    let mut narrowed = false;
    if let Some(u) = f.recipient {
        mine.and_where(Expr::col((NoticeRecipients::Table, NoticeRecipients::UserId)).eq(u));
        narrowed = true;
    }
    match f.acknowledged {
        Some(true) if f.recipient.is_some() => {
            mine.and_where(Expr::col((NoticeRecipients::Table, NoticeRecipients::AcknowledgedAt)).is_not_null());
        }
        Some(false) => {
            mine.and_where(Expr::col((NoticeRecipients::Table, NoticeRecipients::AcknowledgedAt)).is_null());
            narrowed = true;
        }
        Some(true) => {
            // Acknowledged by everyone: no recipient still open.
            let open = Query::select()
                .column((NoticeRecipients::Table, NoticeRecipients::NoticeId))
                .from(NoticeRecipients::Table)
                .and_where(Expr::col((NoticeRecipients::Table, NoticeRecipients::AcknowledgedAt)).is_null())
                .to_owned();
            stmt.and_where(Expr::col((Notices::Table, Notices::Id)).not_in_subquery(open));
        }
        None => {}
    }
    if narrowed {
        stmt.and_where(Expr::col((Notices::Table, Notices::Id)).in_subquery(mine));
    }
}

fn notice(r: &QueryResult) -> Result<Notice> {
    Ok(Notice {
        id: get(r, "id")?,
        key: get(r, "key")?,
        ticket_id: get(r, "ticket_id")?,
        kind: get_code(r, "kind", NoticeKind::from_code)?,
        created_at: get_ts(r, "created_at")?,
        subject_zh: get(r, "subject_zh")?,
        body_zh: get(r, "body_zh")?,
        subject_en: get(r, "subject_en")?,
        body_en: get(r, "body_en")?,
        recipients: Vec::new(),
    })
}

/// A page of notices, newest first, with their recipients, and the total matching.
pub async fn list_notices<C: ConnectionTrait>(conn: &C, f: &NoticeFilter) -> Result<(Vec<Notice>, u64)> {
    let mut count = Query::select()
        .expr_as(Func::count(Expr::col((Notices::Table, Notices::Id))), Alias::new("n"))
        .from(Notices::Table)
        .to_owned();
    apply(&mut count, f);
    let total: i64 = match conn.query_one(&count).await? {
        Some(r) => get(&r, "n")?,
        None => 0,
    };
    let mut stmt = Query::select()
        .columns([
            (Notices::Table, Notices::Id),
            (Notices::Table, Notices::Key),
            (Notices::Table, Notices::TicketId),
            (Notices::Table, Notices::Kind),
            (Notices::Table, Notices::CreatedAt),
            (Notices::Table, Notices::SubjectZh),
            (Notices::Table, Notices::BodyZh),
            (Notices::Table, Notices::SubjectEn),
            (Notices::Table, Notices::BodyEn),
        ])
        .from(Notices::Table)
        .order_by((Notices::Table, Notices::CreatedAt), Order::Desc)
        .order_by((Notices::Table, Notices::Id), Order::Desc)
        .limit(Ord::max(f.limit, 1))
        .offset(f.offset)
        .to_owned();
    apply(&mut stmt, f);
    let mut notices: Vec<Notice> = conn.query_all(&stmt).await?.iter().map(notice).collect::<Result<_>>()?;
    attach_recipients(conn, &mut notices).await?;
    Ok((notices, u64::try_from(total).unwrap_or(0)))
}

pub async fn notice_by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<Notice>> {
    let f = NoticeFilter { limit: 1, ..NoticeFilter::default() };
    let mut stmt = Query::select()
        .columns([
            Notices::Id,
            Notices::Key,
            Notices::TicketId,
            Notices::Kind,
            Notices::CreatedAt,
            Notices::SubjectZh,
            Notices::BodyZh,
            Notices::SubjectEn,
            Notices::BodyEn,
        ])
        .from(Notices::Table)
        .and_where(Expr::col(Notices::Id).eq(id))
        .to_owned();
    apply(&mut stmt, &f);
    let Some(r) = conn.query_one(&stmt).await? else { return Ok(None) };
    let mut n = vec![notice(&r)?];
    attach_recipients(conn, &mut n).await?;
    Ok(n.pop())
}

async fn attach_recipients<C: ConnectionTrait>(conn: &C, notices: &mut [Notice]) -> Result<()> {
    if notices.is_empty() {
        return Ok(());
    }
    let stmt = Query::select()
        .columns([
            NoticeRecipients::NoticeId,
            NoticeRecipients::UserId,
            NoticeRecipients::Audience,
            NoticeRecipients::AcknowledgedAt,
            NoticeRecipients::Note,
            NoticeRecipients::NotedAt,
        ])
        .from(NoticeRecipients::Table)
        .and_where(Expr::col(NoticeRecipients::NoticeId).is_in(notices.iter().map(|n| n.id)))
        .order_by(NoticeRecipients::Id, Order::Asc)
        .to_owned();
    for r in conn.query_all(&stmt).await? {
        let id: Id = get(&r, "notice_id")?;
        let rec = NoticeRecipient {
            user_id: get(&r, "user_id")?,
            audience: get_code(&r, "audience", Audience::from_code)?,
            acknowledged_at: get_opt_ts(&r, "acknowledged_at")?,
            note: get(&r, "note")?,
            noted_at: get_opt_ts(&r, "noted_at")?,
        };
        if let Some(n) = notices.iter_mut().find(|n| n.id == id) {
            n.recipients.push(rec);
        }
    }
    Ok(())
}

/// Acknowledges a notice for `user`, with an optional note; false when they were not a
/// recipient.
pub async fn acknowledge<C: ConnectionTrait>(
    conn: &C,
    notice: Id,
    user: Id,
    note: Option<&str>,
    now: Timestamp,
) -> Result<bool> {
    let mut values = vec![(NoticeRecipients::AcknowledgedAt, Expr::val(ms(now)))];
    if let Some(n) = note {
        values.push((NoticeRecipients::Note, Expr::val(n)));
        values.push((NoticeRecipients::NotedAt, Expr::val(ms(now))));
    }
    let stmt = Query::update()
        .table(NoticeRecipients::Table)
        .values(values)
        .and_where(Expr::col(NoticeRecipients::NoticeId).eq(notice))
        .and_where(Expr::col(NoticeRecipients::UserId).eq(user))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() == 1)
}

/// Marks every notice `user` has not acknowledged, created before `before`, as read (no
/// note); returns how many.
pub async fn acknowledge_all<C: ConnectionTrait>(conn: &C, user: Id, before: Timestamp, now: Timestamp) -> Result<u64> {
    let older = Query::select()
        .column(Notices::Id)
        .from(Notices::Table)
        .and_where(Expr::col(Notices::CreatedAt).lt(ms(before)))
        .to_owned();
    let stmt = Query::update()
        .table(NoticeRecipients::Table)
        .value(NoticeRecipients::AcknowledgedAt, ms(now))
        .and_where(Expr::col(NoticeRecipients::UserId).eq(user))
        .and_where(Expr::col(NoticeRecipients::AcknowledgedAt).is_null())
        .and_where(Expr::col(NoticeRecipients::NoticeId).in_subquery(older))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected())
}

const DELIVERY_COLS: [Deliveries; 13] = [
    Deliveries::Id,
    Deliveries::NoticeId,
    Deliveries::UserId,
    Deliveries::ContactId,
    Deliveries::Lang,
    Deliveries::Channel,
    Deliveries::Target,
    Deliveries::State,
    Deliveries::Attempts,
    Deliveries::NextAttemptAt,
    Deliveries::LastError,
    Deliveries::Receipt,
    Deliveries::SentAt,
];

fn delivery(r: &QueryResult) -> Result<Delivery> {
    Ok(Delivery {
        id: get(r, "id")?,
        notice_id: get(r, "notice_id")?,
        user_id: get(r, "user_id")?,
        contact_id: get(r, "contact_id")?,
        lang: get::<Option<String>>(r, "lang")?.map(|l| lang_of(&l)),
        channel: get_code(r, "channel", ChannelKind::from_code)?,
        target: get(r, "target")?,
        state: get_code(r, "state", DeliveryState::from_code)?,
        attempts: get(r, "attempts")?,
        next_attempt_at: get_ts(r, "next_attempt_at")?,
        last_error: get(r, "last_error")?,
        receipt: get(r, "receipt")?,
        sent_at: get_opt_ts(r, "sent_at")?,
        log: Vec::new(),
    })
}

pub async fn deliveries<C: ConnectionTrait>(
    conn: &C,
    notice: Option<Id>,
    state: Option<DeliveryState>,
    limit: u64,
) -> Result<Vec<Delivery>> {
    let mut stmt = Query::select()
        .columns(DELIVERY_COLS)
        .from(Deliveries::Table)
        .order_by(Deliveries::Id, Order::Asc)
        .limit(limit)
        .to_owned();
    if let Some(n) = notice {
        stmt.and_where(Expr::col(Deliveries::NoticeId).eq(n));
    }
    if let Some(s) = state {
        stmt.and_where(Expr::col(Deliveries::State).eq(s.code()));
    }
    let mut out: Vec<Delivery> = conn.query_all(&stmt).await?.iter().map(delivery).collect::<Result<_>>()?;
    attach_logs(conn, &mut out).await?;
    Ok(out)
}

/// Claims up to `limit` pending deliveries due by `now`, leased until `lease_until`: each
/// claimed one is an attempt about to start (the worker claims just before sending).
pub async fn claim_deliveries<C: ConnectionTrait>(
    conn: &C,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u64,
) -> Result<Vec<Delivery>> {
    let mut due = Query::select()
        .column(Deliveries::Id)
        .from(Deliveries::Table)
        .and_where(Expr::col(Deliveries::State).eq("pending"))
        .and_where(Expr::col(Deliveries::NextAttemptAt).lte(ms(now)))
        .order_by(Deliveries::NextAttemptAt, Order::Asc)
        .limit(limit)
        .to_owned();
    skip_locked(conn, &mut due);
    let stmt = Query::update()
        .table(Deliveries::Table)
        .values([
            (Deliveries::State, "sending".into()),
            (Deliveries::LeaseUntil, ms(lease_until).into()),
            (Deliveries::Attempts, Expr::col(Deliveries::Attempts).add(1)),
        ])
        .and_where(Expr::col(Deliveries::Id).in_subquery(due))
        .returning(Query::returning().columns(DELIVERY_COLS))
        .to_owned();
    let mut out: Vec<Delivery> = conn.query_all(&stmt).await?.iter().map(delivery).collect::<Result<_>>()?;
    out.sort_by_key(|d| d.id);
    Ok(out)
}

/// Deliveries whose attempt outlived its lease (the worker died or hung mid-send) become
/// `uncertain`, each with a line in its log; returns them. They are not sent again on their
/// own: the receiver may already have the message.
pub async fn mark_uncertain<C: ConnectionTrait>(conn: &C, now: Timestamp, limit: u64) -> Result<Vec<Delivery>> {
    let mut expired = Query::select()
        .column(Deliveries::Id)
        .from(Deliveries::Table)
        .and_where(Expr::col(Deliveries::State).eq("sending"))
        .and_where(Expr::col(Deliveries::LeaseUntil).lt(ms(now)))
        .limit(limit)
        .to_owned();
    skip_locked(conn, &mut expired);
    let stmt = Query::update()
        .table(Deliveries::Table)
        .values([(Deliveries::State, "uncertain".into()), (Deliveries::LeaseUntil, None::<i64>.into())])
        .and_where(Expr::col(Deliveries::Id).in_subquery(expired))
        .returning(Query::returning().columns(DELIVERY_COLS))
        .to_owned();
    let out: Vec<Delivery> = conn.query_all(&stmt).await?.iter().map(delivery).collect::<Result<_>>()?;
    let lines: Vec<(Id, i32, AttemptOutcome, Option<&str>)> = out
        .iter()
        .map(|d| {
            (
                d.id,
                d.attempts,
                AttemptOutcome::Uncertain,
                Some("the attempt's lease ran out before its outcome was recorded"),
            )
        })
        .collect();
    insert_attempts(conn, &lines, "sweep", now).await?;
    Ok(out)
}

/// Records the outcome of an attempt by `worker`: sent, retried at `retry_at`, or dead;
/// with a line in the delivery's log. False when the delivery was no longer being sent
/// (its lease ran out and it was marked uncertain meanwhile).
pub async fn finish_delivery<C: ConnectionTrait>(
    conn: &C,
    d: &Delivery,
    state: DeliveryState,
    detail: &str,
    retry_at: Option<Timestamp>,
    worker: &str,
    now: Timestamp,
) -> Result<bool> {
    let mut values =
        vec![(Deliveries::State, Expr::val(state.code())), (Deliveries::LeaseUntil, Expr::val(None::<i64>))];
    let outcome = match state {
        DeliveryState::Sent => {
            values.push((Deliveries::Receipt, Expr::val(detail)));
            values.push((Deliveries::SentAt, Expr::val(ms(now))));
            AttemptOutcome::Sent
        }
        DeliveryState::Pending => {
            values.push((Deliveries::LastError, Expr::val(detail)));
            AttemptOutcome::Failed
        }
        _ => {
            values.push((Deliveries::LastError, Expr::val(detail)));
            AttemptOutcome::Dead
        }
    };
    if let Some(at) = retry_at {
        values.push((Deliveries::NextAttemptAt, Expr::val(ms(at))));
    }
    let stmt = Query::update()
        .table(Deliveries::Table)
        .values(values)
        .and_where(Expr::col(Deliveries::Id).eq(d.id))
        .and_where(Expr::col(Deliveries::State).eq("sending"))
        .to_owned();
    let updated = conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() == 1;
    // The attempt happened either way; its line says how it ended.
    insert_attempts(conn, &[(d.id, d.attempts, outcome, Some(detail))], worker, now).await?;
    Ok(updated)
}

/// Puts a dead or in-doubt delivery back in the queue (an administrator's retry).
pub async fn requeue_delivery<C: ConnectionTrait>(conn: &C, id: Id, by: &str, now: Timestamp) -> Result<bool> {
    let stmt = Query::update()
        .table(Deliveries::Table)
        .values([
            (Deliveries::State, Expr::val("pending")),
            (Deliveries::Attempts, Expr::val(0)),
            (Deliveries::NextAttemptAt, Expr::val(ms(now))),
        ])
        .and_where(Expr::col(Deliveries::Id).eq(id))
        .and_where(Expr::col(Deliveries::State).is_in(["dead", "uncertain"]))
        .returning(Query::returning().column(Deliveries::Attempts))
        .to_owned();
    let found = !conn.query_all(&stmt).await?.is_empty();
    if found {
        insert_attempts(conn, &[(id, 0, AttemptOutcome::Requeued, None)], by, now).await?;
    }
    Ok(found)
}

/// Records that an in-doubt delivery did arrive (an administrator checked the receiver).
pub async fn confirm_delivery<C: ConnectionTrait>(
    conn: &C,
    id: Id,
    by: &str,
    note: &str,
    now: Timestamp,
) -> Result<bool> {
    let stmt = Query::update()
        .table(Deliveries::Table)
        .values([
            (Deliveries::State, Expr::val("sent")),
            (Deliveries::SentAt, Expr::val(ms(now))),
            (Deliveries::Receipt, Expr::val(format!("confirmed by {by}: {note}"))),
        ])
        .and_where(Expr::col(Deliveries::Id).eq(id))
        .and_where(Expr::col(Deliveries::State).eq("uncertain"))
        .returning(Query::returning().column(Deliveries::Attempts))
        .to_owned();
    let Some(r) = conn.query_one(&stmt).await? else { return Ok(false) };
    let attempt: i32 = get(&r, "attempts")?;
    insert_attempts(conn, &[(id, attempt, AttemptOutcome::Confirmed, Some(note))], by, now).await?;
    Ok(true)
}

async fn insert_attempts<C: ConnectionTrait>(
    conn: &C,
    lines: &[(Id, i32, AttemptOutcome, Option<&str>)],
    by: &str,
    now: Timestamp,
) -> Result<()> {
    for chunk in lines.chunks(BATCH) {
        let mut stmt = Query::insert()
            .into_table(DeliveryAttempts::Table)
            .columns([
                DeliveryAttempts::DeliveryId,
                DeliveryAttempts::Attempt,
                DeliveryAttempts::At,
                DeliveryAttempts::Outcome,
                DeliveryAttempts::Detail,
                DeliveryAttempts::By,
            ])
            .to_owned();
        for (id, attempt, outcome, detail) in chunk {
            stmt.values_panic([
                (*id).into(),
                (*attempt).into(),
                ms(now).into(),
                outcome.code().into(),
                detail.map(|d| d.chars().take(2000).collect::<String>()).into(),
                by.chars().take(64).collect::<String>().into(),
            ]);
        }
        execute(conn, &stmt).await?;
    }
    Ok(())
}

/// Fills the log of each delivery, oldest line first.
pub async fn attach_logs<C: ConnectionTrait>(conn: &C, deliveries: &mut [Delivery]) -> Result<()> {
    for chunk in deliveries.chunks_mut(BATCH) {
        let stmt = Query::select()
            .columns([
                DeliveryAttempts::DeliveryId,
                DeliveryAttempts::Attempt,
                DeliveryAttempts::At,
                DeliveryAttempts::Outcome,
                DeliveryAttempts::Detail,
                DeliveryAttempts::By,
            ])
            .from(DeliveryAttempts::Table)
            .and_where(Expr::col(DeliveryAttempts::DeliveryId).is_in(chunk.iter().map(|d| d.id)))
            .order_by(DeliveryAttempts::Id, Order::Asc)
            .to_owned();
        let mut by_delivery: HashMap<Id, Vec<DeliveryAttempt>> = HashMap::new();
        for r in conn.query_all(&stmt).await? {
            by_delivery.entry(get(&r, "delivery_id")?).or_default().push(DeliveryAttempt {
                attempt: get(&r, "attempt")?,
                at: get_ts(&r, "at")?,
                outcome: get_code(&r, "outcome", AttemptOutcome::from_code)?,
                detail: get(&r, "detail")?,
                by: get(&r, "by")?,
            });
        }
        for d in chunk {
            d.log = by_delivery.remove(&d.id).unwrap_or_default();
        }
    }
    Ok(())
}

pub async fn delivery_by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<Delivery>> {
    let stmt = Query::select()
        .columns(DELIVERY_COLS)
        .from(Deliveries::Table)
        .and_where(Expr::col(Deliveries::Id).eq(id))
        .to_owned();
    let Some(r) = conn.query_one(&stmt).await? else { return Ok(None) };
    let mut d = [delivery(&r)?];
    attach_logs(conn, &mut d).await?;
    let [d] = d;
    Ok(Some(d))
}

/// A robot or webhook an administrator configured (the secret is stored, never listed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRow {
    pub name: String,
    pub kind: ChannelKind,
    pub url: String,
    pub secret: Option<String>,
}

pub async fn targets<C: ConnectionTrait>(conn: &C) -> Result<Vec<TargetRow>> {
    let stmt = Query::select()
        .columns([NotifyTargets::Name, NotifyTargets::Kind, NotifyTargets::Url, NotifyTargets::Secret])
        .from(NotifyTargets::Table)
        .order_by(NotifyTargets::Name, Order::Asc)
        .to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            Ok(TargetRow {
                name: get(r, "name")?,
                kind: get_code(r, "kind", ChannelKind::from_code)?,
                url: get(r, "url")?,
                secret: get(r, "secret")?,
            })
        })
        .collect()
}

pub async fn put_target<C: ConnectionTrait>(conn: &C, t: &TargetRow, now: Timestamp) -> Result<()> {
    let stmt = Query::insert()
        .into_table(NotifyTargets::Table)
        .columns([
            NotifyTargets::Name,
            NotifyTargets::Kind,
            NotifyTargets::Url,
            NotifyTargets::Secret,
            NotifyTargets::UpdatedAt,
        ])
        .values_panic([
            t.name.clone().into(),
            t.kind.code().into(),
            t.url.clone().into(),
            t.secret.clone().into(),
            ms(now).into(),
        ])
        .on_conflict(
            OnConflict::column(NotifyTargets::Name)
                .update_columns([
                    NotifyTargets::Kind,
                    NotifyTargets::Url,
                    NotifyTargets::Secret,
                    NotifyTargets::UpdatedAt,
                ])
                .to_owned(),
        )
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

/// Routes an administrator changed (the rest are the defaults).
pub async fn routes<C: ConnectionTrait>(conn: &C) -> Result<Vec<Route>> {
    let stmt = Query::select().column(NoticeRoutes::Route).from(NoticeRoutes::Table).to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            serde_json::from_str(&get::<String>(r, "route")?).map_err(|e| StorageError::Corrupt(format!("route: {e}")))
        })
        .collect()
}

pub async fn put_route<C: ConnectionTrait>(conn: &C, route: &Route) -> Result<()> {
    let json = serde_json::to_string(route).map_err(|e| StorageError::Corrupt(format!("route: {e}")))?;
    let stmt = Query::insert()
        .into_table(NoticeRoutes::Table)
        .columns([NoticeRoutes::Kind, NoticeRoutes::Route])
        .values_panic([route.kind.code().into(), json.into()])
        .on_conflict(OnConflict::column(NoticeRoutes::Kind).update_column(NoticeRoutes::Route).to_owned())
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}
