//! Stored responses for `Idempotency-Key` retries.

use aftersales_domain::{Id, Timestamp};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Query};

use crate::conv::{get, ms};
use crate::schema::IdempotencyKeys;
use crate::{Result, StorageError};

/// A response recorded for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub fingerprint: String,
    pub status_code: u16,
    pub response: String,
}

/// The response recorded for `key` at or after `not_before`. A key recorded earlier has
/// expired (retention, issue 18): it is deleted first, in the caller's transaction, so the
/// key may be used afresh (and two retries at once cannot read the stale answer).
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    user: Id,
    key: &str,
    not_before: Timestamp,
) -> Result<Option<Recorded>> {
    let expired = Query::delete()
        .from_table(IdempotencyKeys::Table)
        .and_where(Expr::col(IdempotencyKeys::UserId).eq(user))
        .and_where(Expr::col(IdempotencyKeys::Key).eq(key))
        .and_where(Expr::col(IdempotencyKeys::CreatedAt).lt(ms(not_before)))
        .to_owned();
    let stmt = Query::select()
        .columns([IdempotencyKeys::Fingerprint, IdempotencyKeys::StatusCode, IdempotencyKeys::Response])
        .from(IdempotencyKeys::Table)
        .and_where(Expr::col(IdempotencyKeys::UserId).eq(user))
        .and_where(Expr::col(IdempotencyKeys::Key).eq(key))
        .to_owned();
    conn.execute(&expired).await?;
    match conn.query_one(&stmt).await? {
        Some(r) => {
            let code: i32 = get(&r, "status_code")?;
            Ok(Some(Recorded {
                fingerprint: get(&r, "fingerprint")?,
                status_code: u16::try_from(code).map_err(|_| StorageError::Corrupt(format!("status {code}")))?,
                response: get(&r, "response")?,
            }))
        }
        None => Ok(None),
    }
}

/// Records the response; a concurrent request with the same key loses on the primary key.
pub async fn record<C: ConnectionTrait>(conn: &C, user: Id, key: &str, rec: &Recorded, now: Timestamp) -> Result<()> {
    let stmt = Query::insert()
        .into_table(IdempotencyKeys::Table)
        .columns([
            IdempotencyKeys::UserId,
            IdempotencyKeys::Key,
            IdempotencyKeys::Fingerprint,
            IdempotencyKeys::StatusCode,
            IdempotencyKeys::Response,
            IdempotencyKeys::CreatedAt,
        ])
        .values_panic([
            user.into(),
            key.into(),
            rec.fingerprint.clone().into(),
            i32::from(rec.status_code).into(),
            rec.response.clone().into(),
            ms(now).into(),
        ])
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

/// Deletes at most `limit` keys recorded before `before` (the worker, hourly, in batches
/// so that no one transaction holds the writer long); how many.
pub async fn prune<C: ConnectionTrait>(conn: &C, before: Timestamp, limit: u64) -> Result<u64> {
    let old = Query::select()
        .columns([IdempotencyKeys::UserId, IdempotencyKeys::Key])
        .from(IdempotencyKeys::Table)
        .and_where(Expr::col(IdempotencyKeys::CreatedAt).lt(ms(before)))
        .limit(limit)
        .to_owned();
    let stmt = Query::delete()
        .from_table(IdempotencyKeys::Table)
        .and_where(Expr::tuple([Expr::col(IdempotencyKeys::UserId), Expr::col(IdempotencyKeys::Key)]).in_subquery(old))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected())
}
