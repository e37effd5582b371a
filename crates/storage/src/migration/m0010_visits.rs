//! Visits (上门预约) and engineers' working calendars (issue 13): a visit of an engineer for
//! a ticket with its promised arrival window, internal plan and travel buffer, check-in and
//! check-out (with the phone's position as evidence), declared delays and the late notice;
//! each engineer's leave and duty days; and the visit settings an administrator edits (the
//! arrival window length).
//!
//! The identifiers below are this migration's own and frozen.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::fk;

#[derive(DeriveIden, Clone, Copy)]
enum Visits {
    Table,
    Id,
    TicketId,
    EngineerId,
    WindowStart,
    WindowEnd,
    PlannedStart,
    DurationMinutes,
    TravelMinutes,
    Address,
    Site,
    Status,
    CheckedInAt,
    CheckInLat,
    CheckInLon,
    CheckInAccuracy,
    CheckedOutAt,
    CheckOutLat,
    CheckOutLon,
    CheckOutAccuracy,
    OnTime,
    ExpectedArrival,
    Delays,
    LateNotifiedAt,
    CancelReason,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum EngineerDays {
    Table,
    Id,
    UserId,
    Day,
    Kind,
    Note,
    SetBy,
    SetAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum VisitSettings {
    Table,
    Name,
    Value,
}

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

pub(super) struct M0010Visits;

impl MigrationName for M0010Visits {
    fn name(&self) -> &str {
        "m0010_visits"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0010Visits {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Visits::Table)
                .col(big_pk_auto(Visits::Id))
                .col(big_integer(Visits::TicketId))
                .col(big_integer(Visits::EngineerId))
                .col(big_integer(Visits::WindowStart))
                .col(big_integer(Visits::WindowEnd))
                .col(big_integer(Visits::PlannedStart))
                .col(big_integer(Visits::DurationMinutes))
                .col(big_integer(Visits::TravelMinutes))
                .col(text(Visits::Address))
                .col(text(Visits::Site))
                .col(string_len(Visits::Status, 16))
                .col(big_integer_null(Visits::CheckedInAt))
                .col(double_null(Visits::CheckInLat))
                .col(double_null(Visits::CheckInLon))
                .col(double_null(Visits::CheckInAccuracy))
                .col(big_integer_null(Visits::CheckedOutAt))
                .col(double_null(Visits::CheckOutLat))
                .col(double_null(Visits::CheckOutLon))
                .col(double_null(Visits::CheckOutAccuracy))
                .col(boolean_null(Visits::OnTime))
                .col(big_integer_null(Visits::ExpectedArrival))
                .col(integer(Visits::Delays).default(0).to_owned())
                .col(big_integer_null(Visits::LateNotifiedAt))
                .col(text_null(Visits::CancelReason))
                .col(big_integer(Visits::Version))
                .col(big_integer(Visits::CreatedBy))
                .col(big_integer(Visits::CreatedAt))
                .col(big_integer(Visits::UpdatedAt))
                .foreign_key(&mut fk(Visits::Table, Visits::TicketId, Tickets::Table, Tickets::Id))
                .foreign_key(&mut fk(Visits::Table, Visits::EngineerId, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        // An engineer's visits in a range (the calendar, the conflict check).
        m.create_index(
            Index::create()
                .name("ix_visits_engineer_start")
                .table(Visits::Table)
                .col(Visits::EngineerId)
                .col(Visits::PlannedStart)
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_visits_ticket").table(Visits::Table).col(Visits::TicketId).to_owned())
            .await?;
        m.create_table(
            Table::create()
                .table(EngineerDays::Table)
                .col(big_pk_auto(EngineerDays::Id))
                .col(big_integer(EngineerDays::UserId))
                .col(string_len(EngineerDays::Day, 10))
                .col(string_len(EngineerDays::Kind, 16))
                .col(text_null(EngineerDays::Note))
                .col(big_integer(EngineerDays::SetBy))
                .col(big_integer(EngineerDays::SetAt))
                .foreign_key(&mut fk(EngineerDays::Table, EngineerDays::UserId, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        // One kind of day per engineer and day.
        m.create_index(
            Index::create()
                .name("ux_engineer_days_user_day")
                .table(EngineerDays::Table)
                .col(EngineerDays::UserId)
                .col(EngineerDays::Day)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(VisitSettings::Table)
                .col(string_len(VisitSettings::Name, 64).primary_key())
                .col(text(VisitSettings::Value))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
