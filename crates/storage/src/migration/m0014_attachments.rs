//! Evidence attachments (issue 14): the metadata of files kept in the blob store (the
//! content itself is there, named by its SHA-256), and the evidence rule of each kind of
//! service (photos before / after needed before the resolve step).
//!
//! The identifiers below are this migration's own and frozen: renaming a column later in
//! `storage::schema` does not rewrite what this step did.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::fk;

#[derive(DeriveIden, Clone, Copy)]
enum Tickets {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum WorkLog {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Attachments {
    Table,
    Id,
    TicketId,
    LogId,
    Sha256,
    Size,
    Kind,
    ContentType,
    FileName,
    Visibility,
    Tag,
    UploadedBy,
    UploadedAt,
    Width,
    Height,
    TakenAt,
    GpsLat,
    GpsLon,
    ThumbSha256,
    CustomerSha256,
    CustomerType,
    IdempotencyKey,
}

#[derive(DeriveIden, Clone, Copy)]
enum EvidenceRules {
    Table,
    Kind,
    Before,
    After,
    UpdatedAt,
}

pub(super) struct M0014Attachments;

impl MigrationName for M0014Attachments {
    fn name(&self) -> &str {
        "m0014_attachments"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0014Attachments {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Attachments::Table)
                .col(big_pk_auto(Attachments::Id))
                .col(big_integer(Attachments::TicketId))
                .col(big_integer_null(Attachments::LogId))
                .col(string_len(Attachments::Sha256, 64))
                .col(big_integer(Attachments::Size))
                .col(string_len(Attachments::Kind, 16))
                .col(string_len(Attachments::ContentType, 100))
                .col(string_len(Attachments::FileName, 255))
                .col(string_len(Attachments::Visibility, 16))
                .col(string_len(Attachments::Tag, 16))
                .col(big_integer(Attachments::UploadedBy))
                .col(big_integer(Attachments::UploadedAt))
                .col(integer_null(Attachments::Width))
                .col(integer_null(Attachments::Height))
                .col(string_len_null(Attachments::TakenAt, 32))
                .col(double_null(Attachments::GpsLat))
                .col(double_null(Attachments::GpsLon))
                .col(string_len_null(Attachments::ThumbSha256, 64))
                .col(string_len_null(Attachments::CustomerSha256, 64))
                .col(string_len_null(Attachments::CustomerType, 100))
                .col(string_len_null(Attachments::IdempotencyKey, 100))
                .foreign_key(&mut fk(Attachments::Table, Attachments::TicketId, Tickets::Table, Tickets::Id))
                .foreign_key(&mut fk(Attachments::Table, Attachments::LogId, WorkLog::Table, WorkLog::Id))
                .foreign_key(&mut fk(Attachments::Table, Attachments::UploadedBy, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_attachments_ticket")
                .table(Attachments::Table)
                .col(Attachments::TicketId)
                .to_owned(),
        )
        .await?;
        // A retried upload (same key from the same person) is stored once.
        m.create_index(
            Index::create()
                .name("ux_attachments_idempotency")
                .table(Attachments::Table)
                .col(Attachments::UploadedBy)
                .col(Attachments::IdempotencyKey)
                .unique()
                .to_owned(),
        )
        .await?;
        // Whether a blob is still referred to (before one is removed).
        m.create_index(
            Index::create().name("ix_attachments_sha256").table(Attachments::Table).col(Attachments::Sha256).to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(EvidenceRules::Table)
                .col(string_len(EvidenceRules::Kind, 32).primary_key())
                .col(integer(EvidenceRules::Before))
                .col(integer(EvidenceRules::After))
                .col(big_integer(EvidenceRules::UpdatedAt))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
