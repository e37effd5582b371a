//! Notices with their recipients and history events, the notice list, and acknowledgement.

use std::collections::HashMap;

use aftersales_domain::event::Event;
use aftersales_domain::notice::{Audience, Notice, NoticeKind, NoticeRecipient, NoticeSpec};
use aftersales_domain::{Id, Timestamp};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, OnConflict, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, QueryResult};

use super::{BATCH, insert_batched};
use crate::conv::{get, get_code, get_opt_ts, get_ts, ms};
use crate::schema::{NoticeRecipients, Notices, TicketEvents};
use crate::tickets::{EVENT_COLUMNS, event_row};
use crate::{Result, StorageError};

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
                Notices::ReportId,
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
                spec.report.into(),
            ]);
        }
        for r in conn.query_all(&stmt).await? {
            stored.insert(get(&r, "key")?, get(&r, "id")?);
        }
    }
    Ok(notices.iter().map(|(_, spec, _)| stored.get(&spec.key).copied()).collect())
}

/// The service report version a notice's customer e-mail carries, if any.
pub async fn report_of_notice<C: ConnectionTrait>(conn: &C, notice: Id) -> Result<Option<Id>> {
    let stmt = Query::select()
        .column(Notices::ReportId)
        .from(Notices::Table)
        .and_where(Expr::col(Notices::Id).eq(notice))
        .to_owned();
    match conn.query_one(&stmt).await? {
        Some(r) => get(&r, "report_id"),
        None => Ok(None),
    }
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
    let columns = [NoticeRecipients::NoticeId, NoticeRecipients::UserId, NoticeRecipients::Audience];
    let insert = || Query::insert().into_table(NoticeRecipients::Table).columns(columns).to_owned();
    insert_batched(conn, rows, insert, |&(notice, user, audience)| {
        Ok([notice.into(), user.into(), audience.code().into()])
    })
    .await?;
    Ok(())
}

/// Adds history events (the notices of a sweep), stored as `tickets::insert_event` stores
/// one, in as few statements as the batch size allows.
pub async fn insert_events<C: ConnectionTrait>(conn: &C, events: &[Event]) -> Result<()> {
    let insert = || Query::insert().into_table(TicketEvents::Table).columns(EVENT_COLUMNS).to_owned();
    insert_batched(conn, events, insert, event_row).await?;
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
