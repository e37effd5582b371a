//! An index for each list filter in each order the lists offer (issue 18: every filter of the
//! API and the board under 20 ms at p95 on a million tickets; `aftersales bench lists`).
//!
//! SQLite's planner does not weigh a `LIMIT` against a sort: given `group_id = ?` and an
//! order by registration, it picked the group index and sorted a quarter of the tickets
//! (4.7 s at a million) rather than walk the registration index. With an index that begins
//! with the filtered column and continues in the list's order, both databases read only the
//! page's rows:
//!
//! - newest first (the default order): group, first line, second line, level (with the
//!   state and customer, so that a level's open tickets or a region's are counted from
//!   the index);
//! - newest first among some states: customer (with the lines, so that "this customer's
//!   open tickets held by this engineer" reads one index), first line, second line, group;
//!   these replace the indexes on (column, state) the engineers' open load was counted
//!   from, which they begin with;
//! - nearest deadline first (the board's order): customer, group, level, first line,
//!   second line, each carrying the other filtered columns, and the tickets with a running
//!   clock newest first (overdue, due within, a week's); each partial on
//!   `next_due_at IS NOT NULL` (the tickets with a running clock, a tenth of a large
//!   database: these stay small, and closed tickets never touch them);
//! - the tickets with a missed clock, newest first and nearest deadline first (the second
//!   half of `breached`, which `storage::tickets::list` merges with the overdue in either
//!   order; PostgreSQL otherwise combined two bitmaps and sorted 11,000 rows, 165 ms); they
//!   replace `ix_tickets_missed`, whose condition they keep.
//!
//! Written as SQL text, the same on SQLite and PostgreSQL. New indexes are made before old
//! ones are dropped (SQLite may run a migration's statements on several of the pool's
//! connections, see m0022).

use sea_orm_migration::prelude::*;

pub struct M0024FilterIndexes;

impl MigrationName for M0024FilterIndexes {
    fn name(&self) -> &str {
        "m0024_filter_indexes"
    }
}

const DUE: &str = "next_due_at IS NOT NULL";

/// (name, columns, partial condition).
const INDEXES: [(&str, &str, &str); 16] = [
    // Newest first, by one filter.
    ("ix_tickets_group_registered", "group_id, registered_at", ""),
    ("ix_tickets_first_line_registered", "first_line_id, registered_at", ""),
    ("ix_tickets_second_line_registered", "second_line_id, registered_at", ""),
    ("ix_tickets_priority_registered", "priority, registered_at, status, customer_id", ""),
    // Newest first, by one filter and some states (the engineer's, the group's and the
    // customer's open tickets; the engineer's open load in the dispatch form).
    ("ix_tickets_customer_lines", "customer_id, status, registered_at, first_line_id, second_line_id", ""),
    ("ix_tickets_first_line_status", "first_line_id, status, registered_at", ""),
    ("ix_tickets_second_line_status", "second_line_id, status, registered_at", ""),
    ("ix_tickets_group_status", "group_id, status, registered_at", ""),
    // Nearest deadline first, by one filter, carrying the other filtered columns.
    (
        "ix_tickets_due_customer",
        "customer_id, next_due_at, id, status, group_id, priority, first_line_id, second_line_id, registered_at",
        DUE,
    ),
    (
        "ix_tickets_due_group",
        "group_id, next_due_at, id, status, customer_id, priority, first_line_id, second_line_id, registered_at",
        DUE,
    ),
    (
        "ix_tickets_due_priority",
        "priority, next_due_at, id, status, customer_id, group_id, first_line_id, second_line_id, registered_at",
        DUE,
    ),
    (
        "ix_tickets_due_first_line",
        "first_line_id, next_due_at, id, status, customer_id, group_id, priority, second_line_id, registered_at",
        DUE,
    ),
    (
        "ix_tickets_due_second_line",
        "second_line_id, next_due_at, id, status, customer_id, group_id, priority, first_line_id, registered_at",
        DUE,
    ),
    // The tickets with a running clock newest first (overdue, due within, a week of them).
    (
        "ix_tickets_due_registered",
        "registered_at, id, next_due_at, status, customer_id, group_id, priority, first_line_id, second_line_id",
        DUE,
    ),
    ("ix_tickets_missed_registered", "registered_at, id", "clock_misses > 0"),
    ("ix_tickets_missed_due", "next_due_at, id", "clock_misses > 0"),
];

/// Indexes the new ones replace: (name, columns, partial condition), to put back on `down`.
const REPLACED: [(&str, &str, &str); 5] = [
    ("ix_tickets_customer_status", "customer_id, status", ""),
    ("ix_tickets_first_line", "first_line_id, status", ""),
    ("ix_tickets_second_line", "second_line_id, status", ""),
    ("ix_tickets_group", "group_id, status", ""),
    ("ix_tickets_missed", "clock_misses", "clock_misses > 0"),
];

fn create(name: &str, cols: &str, partial: &str) -> String {
    let filter = if partial.is_empty() { String::new() } else { format!(" WHERE {partial}") };
    format!("CREATE INDEX {name} ON tickets ({cols}){filter}")
}

#[async_trait::async_trait]
impl MigrationTrait for M0024FilterIndexes {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for (name, cols, partial) in INDEXES {
            db.execute_unprepared(&create(name, cols, partial)).await?;
        }
        for (name, _, _) in REPLACED {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for (name, cols, partial) in REPLACED {
            db.execute_unprepared(&create(name, cols, partial)).await?;
        }
        for (name, _, _) in INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }
}
