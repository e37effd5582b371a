//! The delivery outbox: queueing, claiming with a lease, outcomes, and each delivery's log.

use std::collections::HashMap;

use aftersales_domain::notice::{AttemptOutcome, ChannelKind, Delivery, DeliveryAttempt, DeliveryState};
use aftersales_domain::{Id, Lang, Timestamp};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, QueryResult};

use super::{BATCH, insert_batched, skip_locked};
use crate::conv::{get, get_code, get_opt_ts, get_ts, ms};
use crate::schema::{Deliveries, DeliveryAttempts};
use crate::{Result, StorageError};

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
    let insert = || {
        Query::insert()
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
            .to_owned()
    };
    insert_batched(conn, rows, insert, |d| {
        Ok([
            d.notice.into(),
            d.user.into(),
            d.channel.code().into(),
            d.target.clone().into(),
            "pending".into(),
            ms(d.at).into(),
            ms(d.at).into(),
            d.contact.into(),
            d.lang.map(|l| l.code()).into(),
        ])
    })
    .await?;
    Ok(())
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
    let insert = || {
        Query::insert()
            .into_table(DeliveryAttempts::Table)
            .columns([
                DeliveryAttempts::DeliveryId,
                DeliveryAttempts::Attempt,
                DeliveryAttempts::At,
                DeliveryAttempts::Outcome,
                DeliveryAttempts::Detail,
                DeliveryAttempts::By,
            ])
            .to_owned()
    };
    insert_batched(conn, lines, insert, |&(id, attempt, outcome, detail)| {
        Ok([
            id.into(),
            attempt.into(),
            ms(now).into(),
            outcome.code().into(),
            detail.map(|d| d.chars().take(2000).collect::<String>()).into(),
            by.chars().take(64).collect::<String>().into(),
        ])
    })
    .await?;
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

/// Deletes the attempt log of deliveries that were sent before `before` (retention, issue
/// 18): a sent notice's attempts explain nothing any more after a while. The attempts of
/// dead letters and deliveries in doubt stay, since an administrator still needs them to
/// decide; so does every delivery row itself.
///
/// At most `limit` attempts go per call (the worker calls it in batches, each its own
/// transaction, so that a first run on a large installation never holds the writer long).
pub async fn prune_sent_attempts<C: ConnectionTrait>(conn: &C, before: Timestamp, limit: u64) -> Result<u64> {
    let sent = Query::select()
        .column(Deliveries::Id)
        .from(Deliveries::Table)
        .and_where(Expr::col(Deliveries::State).eq(DeliveryState::Sent.code()))
        .and_where(Expr::col(Deliveries::SentAt).lt(ms(before)))
        .to_owned();
    let batch = Query::select()
        .column(DeliveryAttempts::Id)
        .from(DeliveryAttempts::Table)
        .and_where(Expr::col(DeliveryAttempts::DeliveryId).in_subquery(sent))
        .limit(limit)
        .to_owned();
    let stmt = Query::delete()
        .from_table(DeliveryAttempts::Table)
        .and_where(Expr::col(DeliveryAttempts::Id).in_subquery(batch))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected())
}
