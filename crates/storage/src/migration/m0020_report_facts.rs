//! Facts for reporting (issue 15, STYLE habit 16): one row per ticket with the measures the
//! management reports of DOMAIN §7 aggregate, written in the transaction of every change
//! to the ticket (and of every notice raised on it), so a report sums rows instead of
//! replaying histories. Also the monthly report's improvement actions (seed 000 (五)).
//!
//! Flags are small integers (0/1), not booleans, so `SUM(flag)` is the same SQL on SQLite
//! and PostgreSQL. Rows of tickets older than this migration are computed by the app at
//! start (`App::backfill_facts`): they need the business calendars, which SQL cannot read.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::fk;

pub struct M0020ReportFacts;

impl MigrationName for M0020ReportFacts {
    fn name(&self) -> &str {
        "m0020_report_facts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0020ReportFacts {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use TicketFacts as F;
        let mut t = Table::create();
        t.table(F::Table)
            .col(big_integer(F::TicketId).primary_key())
            .col(big_integer(F::CustomerId))
            .col(string_len(F::Region, 100))
            .col(big_integer_null(F::CategoryId))
            .col(string_len_null(F::Priority, 16))
            .col(string_len(F::Kind, 32))
            .col(big_integer_null(F::FirstLineId))
            .col(big_integer_null(F::SecondLineId))
            .col(big_integer(F::RegisteredBy))
            .col(string_len_null(F::DeviceModel, 200))
            .col(string_len_null(F::FaultCode, 64))
            .col(big_integer(F::RegisteredAt));
        for c in [F::AcceptedAt, F::DispatchedAt, F::RespondedAt, F::ResolvedAt, F::ClosedAt] {
            t.col(big_integer_null(c));
        }
        for c in [F::ResponseWorkMin, F::ResponseCalMin, F::ResolutionWorkMin, F::ResolutionCalMin, F::RepairWorkMin] {
            t.col(big_integer_null(c));
        }
        for c in [
            F::ClkResponse,
            F::ClkEngineerContact,
            F::ClkPlan,
            F::ClkArrival,
            F::ClkResolution,
            F::ClkProgress,
            F::ClkServiceReport,
            F::ClkCallback,
            F::ClkRehandling,
        ] {
            t.col(integer_null(c));
        }
        for c in [
            F::NResponseTimeout,
            F::NSecondLine,
            F::NSameDay,
            F::NCustomerUnclosed,
            F::NThreeDays,
            F::NRepeat,
            F::SecondLineCalled,
            F::DeskLateRegistration,
            F::DeskIncomplete,
            F::DeskLateDispatch,
            F::DeskLateReport,
        ] {
            t.col(integer(c).default(0));
        }
        t.col(string_len_null(F::Survey, 16)).col(big_integer(F::PartsCostFen).default(0)).foreign_key(&mut fk(
            F::Table,
            F::TicketId,
            Tickets::Table,
            Tickets::Id,
        ));
        m.create_table(t.to_owned()).await?;
        // The reports' periods: registered (volume, regions, desk), dispatched (the weekly
        // table), resolved (resolution times), closed (surveys); each with the dimension a
        // report groups or filters by next, so a period's rows are read through the index.
        for (name, cols) in [
            ("ix_ticket_facts_registered", vec![F::RegisteredAt, F::CustomerId]),
            ("ix_ticket_facts_dispatched", vec![F::DispatchedAt, F::FirstLineId]),
            ("ix_ticket_facts_resolved", vec![F::ResolvedAt]),
            ("ix_ticket_facts_closed", vec![F::ClosedAt]),
            ("ix_ticket_facts_engineer", vec![F::FirstLineId, F::DispatchedAt]),
            ("ix_ticket_facts_customer", vec![F::CustomerId, F::RegisteredAt]),
            ("ix_ticket_facts_desk", vec![F::RegisteredBy, F::RegisteredAt]),
        ] {
            let mut i = Index::create();
            i.name(name).table(F::Table);
            for c in cols {
                i.col(c);
            }
            m.create_index(i.to_owned()).await?;
        }
        // Seed 000 (五): the improvement actions a supervisor writes for a month.
        m.create_table(
            Table::create()
                .table(ReportImprovements::Table)
                .col(string_len(ReportImprovements::Month, 7).primary_key())
                .col(text(ReportImprovements::Body))
                .col(big_integer(ReportImprovements::Version))
                .col(big_integer(ReportImprovements::AuthorId))
                .col(big_integer(ReportImprovements::UpdatedAt))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

// Frozen names: this migration's own, never the live `crate::schema` ones.
#[derive(DeriveIden, Clone, Copy)]
enum TicketFacts {
    Table,
    TicketId,
    CustomerId,
    Region,
    CategoryId,
    Priority,
    Kind,
    FirstLineId,
    SecondLineId,
    RegisteredBy,
    DeviceModel,
    FaultCode,
    RegisteredAt,
    AcceptedAt,
    DispatchedAt,
    RespondedAt,
    ResolvedAt,
    ClosedAt,
    ResponseWorkMin,
    ResponseCalMin,
    ResolutionWorkMin,
    ResolutionCalMin,
    RepairWorkMin,
    ClkResponse,
    ClkEngineerContact,
    ClkPlan,
    ClkArrival,
    ClkResolution,
    ClkProgress,
    ClkServiceReport,
    ClkCallback,
    ClkRehandling,
    NResponseTimeout,
    NSecondLine,
    NSameDay,
    NCustomerUnclosed,
    NThreeDays,
    NRepeat,
    SecondLineCalled,
    Survey,
    PartsCostFen,
    DeskLateRegistration,
    DeskIncomplete,
    DeskLateDispatch,
    DeskLateReport,
}

#[derive(DeriveIden, Clone, Copy)]
enum ReportImprovements {
    Table,
    Month,
    Body,
    Version,
    AuthorId,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Tickets {
    Table,
    Id,
}
