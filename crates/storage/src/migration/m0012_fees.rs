//! Fees (seed 003): the warranty fixed on a ticket at registration, quote revisions,
//! settlements with receipt numbers, and the receipt sequence per year.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::fk;

pub struct M0012Fees;

impl MigrationName for M0012Fees {
    fn name(&self) -> &str {
        "m0012_fees"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0012Fees {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One row per ticket registered since: a later device edit does not change a past
        // ticket's warranty (tickets registered before have none: shown as unknown).
        m.create_table(
            Table::create()
                .table(TicketFees::Table)
                .col(big_integer(TicketFees::TicketId).primary_key())
                .col(string_len(TicketFees::Warranty, 16))
                .col(string_len_null(TicketFees::WarrantyEnd, 10))
                .col(big_integer_null(TicketFees::CallbackDueAt))
                .foreign_key(&mut fk(TicketFees::Table, TicketFees::TicketId, Tickets::Table, Tickets::Id))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Quotes::Table)
                .col(big_pk_auto(Quotes::Id))
                .col(big_integer(Quotes::TicketId))
                .col(integer(Quotes::Revision))
                .col(string_len(Quotes::Status, 16))
                .col(text(Quotes::Lines))
                .col(big_integer(Quotes::Subtotal))
                .col(big_integer(Quotes::TaxRateBp))
                .col(big_integer(Quotes::Tax))
                .col(big_integer(Quotes::Total))
                .col(text_null(Quotes::InternalNote))
                .col(big_integer(Quotes::CreatedAt))
                .col(big_integer(Quotes::CreatedBy))
                .col(big_integer_null(Quotes::DecidedAt))
                .col(big_integer_null(Quotes::DecidedBy))
                .col(string_len_null(Quotes::Approval, 16))
                .col(string_len_null(Quotes::SignedBy, 64))
                .col(text_null(Quotes::RefusalReason))
                .foreign_key(&mut fk(Quotes::Table, Quotes::TicketId, Tickets::Table, Tickets::Id))
                .to_owned(),
        )
        .await?;
        // Two writers of the same revision: the second is refused, never a duplicate.
        m.create_index(
            Index::create()
                .name("ux_quotes_ticket_revision")
                .table(Quotes::Table)
                .col(Quotes::TicketId)
                .col(Quotes::Revision)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Settlements::Table)
                .col(big_pk_auto(Settlements::Id))
                .col(big_integer(Settlements::TicketId))
                .col(big_integer_null(Settlements::QuoteId))
                .col(string_len_uniq(Settlements::ReceiptNo, 16))
                .col(big_integer(Settlements::Amount))
                .col(string_len_null(Settlements::Method, 16))
                .col(string_len_null(Settlements::Reference, 64))
                .col(string_len_null(Settlements::FreeReason, 16))
                .col(text_null(Settlements::Note))
                .col(big_integer(Settlements::At))
                .col(big_integer(Settlements::By))
                .foreign_key(&mut fk(Settlements::Table, Settlements::TicketId, Tickets::Table, Tickets::Id))
                .foreign_key(&mut fk(Settlements::Table, Settlements::QuoteId, Quotes::Table, Quotes::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_settlements_ticket")
                .table(Settlements::Table)
                .col(Settlements::TicketId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ReceiptSequences::Table)
                .col(integer(ReceiptSequences::Year).primary_key())
                .col(big_integer(ReceiptSequences::LastSeq))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

// Frozen names: this migration's own.
#[derive(DeriveIden)]
enum Tickets {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TicketFees {
    Table,
    TicketId,
    Warranty,
    WarrantyEnd,
    CallbackDueAt,
}

#[derive(DeriveIden)]
enum Quotes {
    Table,
    Id,
    TicketId,
    Revision,
    Status,
    Lines,
    Subtotal,
    TaxRateBp,
    Tax,
    Total,
    InternalNote,
    CreatedAt,
    CreatedBy,
    DecidedAt,
    DecidedBy,
    Approval,
    SignedBy,
    RefusalReason,
}

#[derive(DeriveIden)]
enum Settlements {
    Table,
    Id,
    TicketId,
    QuoteId,
    ReceiptNo,
    Amount,
    Method,
    Reference,
    FreeReason,
    Note,
    At,
    By,
}

#[derive(DeriveIden)]
enum ReceiptSequences {
    Table,
    Year,
    LastSeq,
}
