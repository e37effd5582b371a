//! The delivery log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// The delivery log (issue 4: a log per notice and channel) and a cheaper job index on
/// SQLite.
pub struct M0004DeliveryLog;

impl MigrationName for M0004DeliveryLog {
    fn name(&self) -> &str {
        "m0004_delivery_log"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0004DeliveryLog {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(DeliveryAttempts::Table)
                .col(big_pk_auto(DeliveryAttempts::Id))
                .col(big_integer(DeliveryAttempts::DeliveryId))
                .col(integer(DeliveryAttempts::Attempt))
                .col(big_integer(DeliveryAttempts::At))
                .col(string_len(DeliveryAttempts::Outcome, 16))
                .col(text_null(DeliveryAttempts::Detail))
                .col(string_len(DeliveryAttempts::By, 64))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared("CREATE INDEX ix_delivery_attempts ON delivery_attempts (delivery_id, id)").await?;
        // SQLite rewrites a partial index's pages whenever a row enters or leaves its
        // condition: every job a sweep marks done deleted an entry of the partial
        // `ix_jobs_ticket` (about one page write per job at commit). A full index on the
        // ticket is untouched by a state change. PostgreSQL keeps the partial index (its
        // updates touch every index of the row anyway, and the partial one is smaller).
        if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
            // A new name: the pool may run the two statements on two connections.
            db.execute_unprepared("CREATE INDEX ix_jobs_ticket_all ON jobs (ticket_id)").await?;
            db.execute_unprepared("DROP INDEX ix_jobs_ticket").await?;
        }
        Ok(())
    }
}

// Frozen names: this migration's own, never the live `crate::schema` ones, so renaming a
// column later cannot rewrite what this migration did.
#[derive(DeriveIden)]
enum DeliveryAttempts {
    Table,
    Id,
    DeliveryId,
    Attempt,
    At,
    Outcome,
    Detail,
    By,
}
