//! Jobs (durable timers), notices with their recipients, the delivery outbox, robot and
//! webhook targets, and notice routes (DOMAIN §5).
//!
//! Claiming is one `UPDATE … WHERE id IN (SELECT … LIMIT n [FOR UPDATE SKIP LOCKED])
//! RETURNING …`: on PostgreSQL any number of workers share the queue without waiting on each
//! other; on SQLite the single writer makes the same statement exclusive. A claimed row has
//! a lease; a worker that dies leaves it to be claimed again when the lease ends.

mod deliveries;
mod inbox;
mod jobs;
mod targets;

pub use deliveries::*;
pub use inbox::*;
pub use jobs::*;
pub use targets::*;

use sea_orm::sea_query::{Expr, InsertStatement, LockBehavior, LockType, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseBackend};

use crate::{Result, StorageError};

/// Rows per multi-row statement: well below the bind parameter limits of SQLite (32,766)
/// and PostgreSQL (65,535) for the widest row written here.
pub(super) const BATCH: usize = 500;

pub(crate) fn skip_locked<C: ConnectionTrait>(conn: &C, select: &mut SelectStatement) {
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
}

/// Inserts one row per item, in statements of at most [`BATCH`] rows: each statement is
/// made by `insert` (table, columns, conflict handling) and `row` gives an item's values in
/// the order of its columns. Returns how many rows were stored (a conflict that does
/// nothing stores none).
pub(super) async fn insert_batched<C: ConnectionTrait, T, const N: usize>(
    conn: &C,
    items: &[T],
    insert: impl Fn() -> InsertStatement,
    row: impl Fn(&T) -> Result<[Expr; N]>,
) -> Result<u64> {
    let mut stored = 0;
    for chunk in items.chunks(BATCH) {
        let mut stmt = insert();
        for item in chunk {
            stmt.values_panic(row(item)?);
        }
        stored += conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected();
    }
    Ok(stored)
}
