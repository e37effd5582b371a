//! Signed links of customer e-mail (DOMAIN §6, §8). Only the SHA-256 of a token is stored;
//! a link takes effect once (`use_link` is a conditional update that only one request wins).

use aftersales_domain::customer_link::{CustomerLink, LinkPurpose};
use aftersales_domain::{Id, Timestamp};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_code, get_opt_ts, get_ts, ms};
use crate::schema::CustomerLinks;
use crate::{Result, StorageError, insert_returning_id};

const COLS: [CustomerLinks; 9] = [
    CustomerLinks::Id,
    CustomerLinks::TicketId,
    CustomerLinks::ContactId,
    CustomerLinks::Purpose,
    CustomerLinks::CreatedAt,
    CustomerLinks::ExpiresAt,
    CustomerLinks::UsedAt,
    CustomerLinks::RevokedAt,
    CustomerLinks::ReportId,
];

fn link(r: &QueryResult) -> Result<CustomerLink> {
    Ok(CustomerLink {
        id: get(r, "id")?,
        ticket_id: get(r, "ticket_id")?,
        contact_id: get(r, "contact_id")?,
        purpose: get_code(r, "purpose", LinkPurpose::from_code)?,
        report_id: get(r, "report_id")?,
        created_at: get_ts(r, "created_at")?,
        expires_at: get_ts(r, "expires_at")?,
        used_at: get_opt_ts(r, "used_at")?,
        revoked_at: get_opt_ts(r, "revoked_at")?,
    })
}

/// Stores a new link under the hash of its token, for the delivery that carries it.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    token_hash: &str,
    l: &CustomerLink,
    delivery: Option<Id>,
) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(CustomerLinks::Table)
        .columns([
            CustomerLinks::TokenHash,
            CustomerLinks::TicketId,
            CustomerLinks::ContactId,
            CustomerLinks::Purpose,
            CustomerLinks::DeliveryId,
            CustomerLinks::CreatedAt,
            CustomerLinks::ExpiresAt,
            CustomerLinks::ReportId,
        ])
        .values_panic([
            token_hash.into(),
            l.ticket_id.into(),
            l.contact_id.into(),
            l.purpose.code().into(),
            delivery.into(),
            ms(l.created_at).into(),
            ms(l.expires_at).into(),
            l.report_id.into(),
        ])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

pub async fn by_token_hash<C: ConnectionTrait>(conn: &C, token_hash: &str) -> Result<Option<CustomerLink>> {
    let stmt = Query::select()
        .columns(COLS)
        .from(CustomerLinks::Table)
        .and_where(Expr::col(CustomerLinks::TokenHash).eq(token_hash))
        .to_owned();
    conn.query_one(&stmt).await?.as_ref().map(link).transpose()
}

/// Marks a link used; false when it was used or revoked meanwhile (another request won).
pub async fn mark_used<C: ConnectionTrait>(conn: &C, id: Id, now: Timestamp) -> Result<bool> {
    let stmt = Query::update()
        .table(CustomerLinks::Table)
        .value(CustomerLinks::UsedAt, ms(now))
        .and_where(Expr::col(CustomerLinks::Id).eq(id))
        .and_where(Expr::col(CustomerLinks::UsedAt).is_null())
        .and_where(Expr::col(CustomerLinks::RevokedAt).is_null())
        .to_owned();
    let r = conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(r.rows_affected() == 1)
}

/// Withdraws the unused links of a ticket (of one purpose, or all), or of a contact.
pub async fn revoke<C: ConnectionTrait>(
    conn: &C,
    ticket: Option<Id>,
    contact: Option<Id>,
    purpose: Option<LinkPurpose>,
    now: Timestamp,
) -> Result<u64> {
    let mut stmt = Query::update()
        .table(CustomerLinks::Table)
        .value(CustomerLinks::RevokedAt, ms(now))
        .and_where(Expr::col(CustomerLinks::UsedAt).is_null())
        .and_where(Expr::col(CustomerLinks::RevokedAt).is_null())
        .to_owned();
    if let Some(t) = ticket {
        stmt.and_where(Expr::col(CustomerLinks::TicketId).eq(t));
    }
    if let Some(c) = contact {
        stmt.and_where(Expr::col(CustomerLinks::ContactId).eq(c));
    }
    if let Some(p) = purpose {
        stmt.and_where(Expr::col(CustomerLinks::Purpose).eq(p.code()));
    }
    let r = conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(r.rows_affected())
}
