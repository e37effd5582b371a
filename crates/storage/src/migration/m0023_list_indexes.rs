//! Ticket lists over a million tickets (issue 18: every filter and sort of the API and the
//! board under 20 ms at p95; measured with `aftersales bench lists`).
//!
//! - The due index (`next_due_at IS NOT NULL`: the open tickets with a running clock, a
//!   tenth of a large database) carries the columns a list filters on (but `clock_misses`,
//!   which has its own index), so a list in deadline order is decided from the index alone and reads only
//!   the rows of its page; it replaces `ix_tickets_due`, whose columns it begins with.
//! - Each other sort has its index: last update; priority, then registration (as
//!   `storage::tickets::list` breaks ties, and status too, which `ix_tickets_status` has
//!   served from the start); and the ticket number as the list compares it (date, length,
//!   text).
//! - Counting a customer's tickets in some states reads one index.
//!
//! Written as SQL text: the number's index is on expressions, and every statement here must
//! read the same on SQLite and PostgreSQL.

use sea_orm_migration::prelude::*;

pub struct M0023ListIndexes;

impl MigrationName for M0023ListIndexes {
    fn name(&self) -> &str {
        "m0023_list_indexes"
    }
}

/// (name, columns, partial condition).
const INDEXES: [(&str, &str, &str); 5] = [
    (
        "ix_tickets_due_cover",
        "next_due_at, id, status, customer_id, group_id, priority, first_line_id, second_line_id, registered_at",
        "next_due_at IS NOT NULL",
    ),
    ("ix_tickets_updated", "updated_at, id", ""),
    ("ix_tickets_rank", "priority_rank, registered_at", ""),
    ("ix_tickets_number_order", "SUBSTR(number, 1, 8), LENGTH(number), number, id", ""),
    ("ix_tickets_customer_status", "customer_id, status", ""),
];

// New indexes are made before old ones are dropped, under new names: SQLite may run a
// migration's statements on several of the pool's connections (see m0022).
#[async_trait::async_trait]
impl MigrationTrait for M0023ListIndexes {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for (name, cols, partial) in INDEXES {
            let filter = if partial.is_empty() { String::new() } else { format!(" WHERE {partial}") };
            db.execute_unprepared(&format!("CREATE INDEX {name} ON tickets ({cols}){filter}")).await?;
        }
        // The covering index begins with its columns.
        db.execute_unprepared("DROP INDEX ix_tickets_due").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared("CREATE INDEX ix_tickets_due ON tickets (next_due_at, id) WHERE next_due_at IS NOT NULL")
            .await?;
        for (name, _, _) in INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }
}
