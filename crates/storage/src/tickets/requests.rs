//! Priority change requests (DOMAIN §3: a downgrade waits for a decision).

use aftersales_domain::Id;
use aftersales_domain::grading::{ChangeRequestStatus, PriorityChangeRequest};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_code, get_opt_ts, get_ts, ms, opt_ms};
use crate::schema::PriorityChangeRequests;
use crate::{Result, insert_returning_id};

const REQUEST_COLS: [PriorityChangeRequests; 11] = [
    PriorityChangeRequests::Id,
    PriorityChangeRequests::TicketId,
    PriorityChangeRequests::FromLevel,
    PriorityChangeRequests::ToLevel,
    PriorityChangeRequests::Reason,
    PriorityChangeRequests::RequestedBy,
    PriorityChangeRequests::RequestedAt,
    PriorityChangeRequests::Status,
    PriorityChangeRequests::DecidedBy,
    PriorityChangeRequests::DecidedAt,
    PriorityChangeRequests::DecisionNote,
];

fn request(r: &QueryResult) -> Result<PriorityChangeRequest> {
    Ok(PriorityChangeRequest {
        id: get(r, "id")?,
        ticket_id: get(r, "ticket_id")?,
        from_level: get(r, "from_level")?,
        to_level: get(r, "to_level")?,
        reason: get(r, "reason")?,
        requested_by: get(r, "requested_by")?,
        requested_at: get_ts(r, "requested_at")?,
        status: get_code(r, "status", ChangeRequestStatus::from_code)?,
        decided_by: get(r, "decided_by")?,
        decided_at: get_opt_ts(r, "decided_at")?,
        decision_note: get(r, "decision_note")?,
    })
}

pub async fn insert_change_request<C: ConnectionTrait>(conn: &C, q: &PriorityChangeRequest) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(PriorityChangeRequests::Table)
        .columns(REQUEST_COLS[1..8].iter().copied())
        .values_panic([
            q.ticket_id.into(),
            q.from_level.clone().into(),
            q.to_level.clone().into(),
            q.reason.clone().into(),
            q.requested_by.into(),
            ms(q.requested_at).into(),
            q.status.code().into(),
        ])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

pub async fn decide_change_request<C: ConnectionTrait>(conn: &C, q: &PriorityChangeRequest) -> Result<()> {
    let stmt = Query::update()
        .table(PriorityChangeRequests::Table)
        .values([
            (PriorityChangeRequests::Status, q.status.code().into()),
            (PriorityChangeRequests::DecidedBy, q.decided_by.into()),
            (PriorityChangeRequests::DecidedAt, opt_ms(q.decided_at).into()),
            (PriorityChangeRequests::DecisionNote, q.decision_note.clone().into()),
        ])
        .and_where(Expr::col(PriorityChangeRequests::Id).eq(q.id))
        .to_owned();
    conn.execute(&stmt).await?;
    Ok(())
}

/// One downgrade request.
pub async fn change_request_by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<PriorityChangeRequest>> {
    let stmt = Query::select()
        .columns(REQUEST_COLS)
        .from(PriorityChangeRequests::Table)
        .and_where(Expr::col(PriorityChangeRequests::Id).eq(id))
        .to_owned();
    conn.query_one(&stmt).await?.as_ref().map(request).transpose()
}

/// The most recently decided downgrade requests, newest first.
pub async fn decided_change_requests<C: ConnectionTrait>(conn: &C, limit: u64) -> Result<Vec<PriorityChangeRequest>> {
    let stmt = Query::select()
        .columns(REQUEST_COLS)
        .from(PriorityChangeRequests::Table)
        .and_where(Expr::col(PriorityChangeRequests::Status).ne(ChangeRequestStatus::Pending.code()))
        .order_by(PriorityChangeRequests::DecidedAt, Order::Desc)
        .order_by(PriorityChangeRequests::Id, Order::Desc)
        .limit(limit)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(request).collect()
}

pub async fn change_requests<C: ConnectionTrait>(
    conn: &C,
    ticket: Option<Id>,
    status: Option<ChangeRequestStatus>,
) -> Result<Vec<PriorityChangeRequest>> {
    let mut stmt = Query::select().columns(REQUEST_COLS).from(PriorityChangeRequests::Table).to_owned();
    if let Some(t) = ticket {
        stmt.and_where(Expr::col(PriorityChangeRequests::TicketId).eq(t));
    }
    if let Some(s) = status {
        stmt.and_where(Expr::col(PriorityChangeRequests::Status).eq(s.code()));
    }
    stmt.order_by(PriorityChangeRequests::Id, Order::Asc);
    conn.query_all(&stmt).await?.iter().map(request).collect()
}
