//! The board's due index.

use sea_orm_migration::prelude::*;

/// The board's order (nearest due instant, then id) straight from one index: with only
/// `next_due_at` indexed, PostgreSQL sorts every ticket sharing a due instant to break the
/// tie by id (issue 5: the board under 50 ms on 100,000 open tickets).
pub struct M0006DueIndex;

impl MigrationName for M0006DueIndex {
    fn name(&self) -> &str {
        "m0006_due_index"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0006DueIndex {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        // A new name: the pool may run the two statements on two connections.
        db.execute_unprepared("CREATE INDEX ix_tickets_due ON tickets (next_due_at, id) WHERE next_due_at IS NOT NULL")
            .await?;
        db.execute_unprepared("DROP INDEX ix_tickets_next_due").await?;
        Ok(())
    }
}
