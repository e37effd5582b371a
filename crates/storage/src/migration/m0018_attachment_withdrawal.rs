//! A withdrawn attachment (issue 14): evidence never silently vanishes. A withdrawn file is
//! kept (its row and its blob) with who withdrew it, when and why; the ticket's lists and
//! downloads leave it out, an administrator's list shows it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct M0018AttachmentWithdrawal;

impl MigrationName for M0018AttachmentWithdrawal {
    fn name(&self) -> &str {
        "m0018_attachment_withdrawal"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0018AttachmentWithdrawal {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one change at a time.
        for col in [
            big_integer_null(Attachments::WithdrawnAt),
            big_integer_null(Attachments::WithdrawnBy),
            string_len_null(Attachments::WithdrawReason, 1000),
        ] {
            m.alter_table(Table::alter().table(Attachments::Table).add_column(col).to_owned()).await?;
        }
        // The administrator's list of withdrawn files, newest first.
        m.create_index(
            Index::create()
                .name("ix_attachments_withdrawn")
                .table(Attachments::Table)
                .col(Attachments::WithdrawnAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

// Frozen names: this migration's own, never the live `crate::schema` ones.
#[derive(DeriveIden, Clone, Copy)]
enum Attachments {
    Table,
    WithdrawnAt,
    WithdrawnBy,
    WithdrawReason,
}
