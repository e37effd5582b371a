//! A contact's leaving date.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// A contact who has left the customer (离职 / 调岗) stays on record for the history of their
/// requests; `left_at` says since when (null: still there).
pub struct M0007ContactLeft;

impl MigrationName for M0007ContactLeft {
    fn name(&self) -> &str {
        "m0007_contact_left"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0007ContactLeft {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Contacts::Table).add_column(big_integer_null(Contacts::LeftAt)).to_owned())
            .await
    }
}

// Frozen names: this migration's own, never the live `crate::schema` ones, so renaming a
// column later cannot rewrite what this migration did.
#[derive(DeriveIden)]
enum Contacts {
    Table,
    LeftAt,
}
