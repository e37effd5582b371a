//! A ticket's history events and work log.

use aftersales_domain::Id;
use aftersales_domain::audience::Visibility;
use aftersales_domain::event::{Change, Event};
use aftersales_domain::worklog::{LogEntry, LogKind};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};

use crate::conv::{get, get_code, get_ts, ms};
use crate::schema::{TicketEvents, WorkLog};
use crate::{Result, StorageError, insert_returning_id};

/// The columns an event is stored in, in the order of [`event_row`].
pub(crate) const EVENT_COLUMNS: [TicketEvents; 6] = [
    TicketEvents::TicketId,
    TicketEvents::At,
    TicketEvents::ActorId,
    TicketEvents::Action,
    TicketEvents::Changes,
    TicketEvents::Note,
];

/// The stored values of an event, for [`EVENT_COLUMNS`].
pub(crate) fn event_row(e: &Event) -> Result<[Expr; 6]> {
    let changes = serde_json::to_string(&e.changes).map_err(|err| StorageError::Corrupt(err.to_string()))?;
    Ok([
        e.ticket_id.into(),
        ms(e.at).into(),
        e.actor_id.into(),
        e.action.clone().into(),
        changes.into(),
        e.note.clone().into(),
    ])
}

pub async fn insert_event<C: ConnectionTrait>(conn: &C, e: &Event) -> Result<Id> {
    let stmt =
        Query::insert().into_table(TicketEvents::Table).columns(EVENT_COLUMNS).values_panic(event_row(e)?).to_owned();
    insert_returning_id(conn, stmt).await
}

pub async fn events<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<Vec<Event>> {
    let stmt = Query::select()
        .columns([
            TicketEvents::Id,
            TicketEvents::TicketId,
            TicketEvents::At,
            TicketEvents::ActorId,
            TicketEvents::Action,
            TicketEvents::Changes,
            TicketEvents::Note,
        ])
        .from(TicketEvents::Table)
        .and_where(Expr::col(TicketEvents::TicketId).eq(ticket))
        .order_by(TicketEvents::Id, Order::Asc)
        .to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            let changes: String = get(r, "changes")?;
            let changes: Vec<Change> =
                serde_json::from_str(&changes).map_err(|e| StorageError::Corrupt(format!("event changes: {e}")))?;
            Ok(Event {
                id: get(r, "id")?,
                ticket_id: get(r, "ticket_id")?,
                at: get_ts(r, "at")?,
                actor_id: get(r, "actor_id")?,
                action: get(r, "action")?,
                changes,
                note: get(r, "note")?,
            })
        })
        .collect()
}

pub async fn insert_log<C: ConnectionTrait>(conn: &C, l: &LogEntry) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(WorkLog::Table)
        .columns([WorkLog::TicketId, WorkLog::Kind, WorkLog::Body, WorkLog::AuthorId, WorkLog::At, WorkLog::Visibility])
        .values_panic([
            l.ticket_id.into(),
            l.kind.code().into(),
            l.body.clone().into(),
            l.author_id.into(),
            ms(l.at).into(),
            l.visibility.code().into(),
        ])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

pub async fn logs<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<Vec<LogEntry>> {
    let stmt = Query::select()
        .columns([
            WorkLog::Id,
            WorkLog::TicketId,
            WorkLog::Kind,
            WorkLog::Body,
            WorkLog::AuthorId,
            WorkLog::At,
            WorkLog::Visibility,
        ])
        .from(WorkLog::Table)
        .and_where(Expr::col(WorkLog::TicketId).eq(ticket))
        .order_by(WorkLog::Id, Order::Asc)
        .to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            Ok(LogEntry {
                id: get(r, "id")?,
                ticket_id: get(r, "ticket_id")?,
                kind: get_code(r, "kind", LogKind::from_code)?,
                body: get(r, "body")?,
                author_id: get(r, "author_id")?,
                at: get_ts(r, "at")?,
                visibility: get_code(r, "visibility", Visibility::from_code)?,
            })
        })
        .collect()
}
