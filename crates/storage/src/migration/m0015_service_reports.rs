//! The service report (issue 14): one row per version of a ticket's report; a signed or
//! refused version is never changed again, and its PDF is kept in the file store by the
//! SHA-256 recorded here (and in the ticket's history).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::fk;

pub struct M0015ServiceReports;

impl MigrationName for M0015ServiceReports {
    fn name(&self) -> &str {
        "m0015_service_reports"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0015ServiceReports {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ServiceReports::Table)
                .col(big_pk_auto(ServiceReports::Id))
                .col(big_integer(ServiceReports::TicketId))
                .col(integer(ServiceReports::Version))
                .col(string_len(ServiceReports::Status, 16))
                .col(text(ServiceReports::PhotoIds))
                .col(big_integer(ServiceReports::CreatedAt))
                .col(big_integer(ServiceReports::CreatedBy))
                .col(string_len_null(ServiceReports::SignerName, 64))
                .col(string_len_null(ServiceReports::Relationship, 16))
                .col(string_len_null(ServiceReports::Channel, 16))
                .col(big_integer_null(ServiceReports::SignedAt))
                .col(big_integer_null(ServiceReports::RecordedBy))
                .col(text_null(ServiceReports::RefusalReason))
                .col(string_len_null(ServiceReports::PdfSha256, 64))
                .col(big_integer_null(ServiceReports::PdfSize))
                .foreign_key(&mut fk(ServiceReports::Table, ServiceReports::TicketId, Tickets::Table, Tickets::Id))
                .to_owned(),
        )
        .await?;
        // Two writers of the same version: the second is refused, never a duplicate.
        m.create_index(
            Index::create()
                .name("ux_service_reports_ticket_version")
                .table(ServiceReports::Table)
                .col(ServiceReports::TicketId)
                .col(ServiceReports::Version)
                .unique()
                .to_owned(),
        )
        .await?;
        // A download by the PDF's hash finds its version (and so its ticket's owner).
        m.create_index(
            Index::create()
                .name("ix_service_reports_pdf")
                .table(ServiceReports::Table)
                .col(ServiceReports::PdfSha256)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Tickets {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ServiceReports {
    Table,
    Id,
    TicketId,
    Version,
    Status,
    PhotoIds,
    CreatedAt,
    CreatedBy,
    SignerName,
    Relationship,
    Channel,
    SignedAt,
    RecordedBy,
    RefusalReason,
    PdfSha256,
    PdfSize,
}
