//! The first schema.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::fk;

/// The first schema: people, the directory, the catalog, grading levels, tickets with their
/// history, work log and priority requests, ticket numbers and idempotency keys.
pub struct M0001Initial;

// Recorded as "migration" in the databases made so far: the derive named it after the file
// that held every migration then. Kept, or existing databases would run it again.
impl MigrationName for M0001Initial {
    fn name(&self) -> &str {
        "migration"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Initial {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(big_pk_auto(Users::Id))
                .col(string_len_uniq(Users::Username, 40))
                .col(string_len(Users::DisplayName, 50))
                .col(string_len(Users::Role, 32))
                .col(string_len_null(Users::Email, 100))
                .col(string_len_null(Users::Phone, 30))
                .col(string_len_null(Users::Region, 20))
                .col(big_integer_null(Users::GroupId))
                .col(big_integer_null(Users::CustomerId))
                .col(big_integer_null(Users::ContactId))
                .col(string_null(Users::PasswordHash))
                .col(boolean(Users::Active))
                .col(big_integer(Users::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ApiTokens::Table)
                .col(big_pk_auto(ApiTokens::Id))
                .col(big_integer(ApiTokens::UserId))
                .col(string_len_uniq(ApiTokens::TokenHash, 64))
                .col(string_len(ApiTokens::Name, 60))
                .col(big_integer(ApiTokens::CreatedAt))
                .col(big_integer_null(ApiTokens::RevokedAt))
                .foreign_key(&mut fk(ApiTokens::Table, ApiTokens::UserId, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CustomerLevels::Table)
                .col(string_len(CustomerLevels::Code, 16).primary_key())
                .col(string_len(CustomerLevels::NameZh, 50))
                .col(string_len(CustomerLevels::NameEn, 50))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Customers::Table)
                .col(big_pk_auto(Customers::Id))
                .col(string_len(Customers::Name, 100))
                .col(string_len(Customers::ShortName, 20))
                .col(string_len(Customers::Region, 20))
                .col(string_len(Customers::Level, 16))
                .col(big_integer_null(Customers::WindowContactId))
                .col(big_integer_null(Customers::SpecialistId))
                .col(big_integer(Customers::CreatedAt))
                .foreign_key(&mut fk(Customers::Table, Customers::Level, CustomerLevels::Table, CustomerLevels::Code))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Contacts::Table)
                .col(big_pk_auto(Contacts::Id))
                .col(big_integer(Contacts::CustomerId))
                .col(string_len(Contacts::Name, 50))
                .col(string_len(Contacts::Phone, 30))
                .col(string_len_null(Contacts::Email, 100))
                .col(string_len_null(Contacts::Department, 50))
                .col(big_integer(Contacts::CreatedAt))
                .foreign_key(&mut fk(Contacts::Table, Contacts::CustomerId, Customers::Table, Customers::Id))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Devices::Table)
                .col(big_pk_auto(Devices::Id))
                .col(big_integer(Devices::CustomerId))
                .col(string_len(Devices::Model, 60))
                .col(string_len_uniq(Devices::Serial, 60))
                .col(string_len_null(Devices::Location, 100))
                .col(string_len_null(Devices::PurchaseDate, 10))
                .col(string_len_null(Devices::WarrantyEnd, 10))
                .col(string_len_null(Devices::ConsumableModel, 60))
                .col(big_integer(Devices::CreatedAt))
                .foreign_key(&mut fk(Devices::Table, Devices::CustomerId, Customers::Table, Customers::Id))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(HandlingGroups::Table)
                .col(big_pk_auto(HandlingGroups::Id))
                .col(string_len_uniq(HandlingGroups::Code, 32))
                .col(string_len(HandlingGroups::NameZh, 50))
                .col(string_len(HandlingGroups::NameEn, 50))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Categories::Table)
                .col(big_pk_auto(Categories::Id))
                .col(string_len(Categories::Family, 32))
                .col(string_len_uniq(Categories::Code, 32))
                .col(string_len(Categories::NameZh, 50))
                .col(string_len(Categories::NameEn, 50))
                .col(big_integer_null(Categories::GroupId))
                .col(boolean(Categories::Active))
                .foreign_key(&mut fk(Categories::Table, Categories::GroupId, HandlingGroups::Table, HandlingGroups::Id))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(GradingLevels::Table)
                .col(string_len(GradingLevels::Code, 16).primary_key())
                .col(integer_uniq(GradingLevels::Rank))
                .col(string_len(GradingLevels::NameZh, 50))
                .col(string_len(GradingLevels::NameEn, 50))
                .col(string_len(GradingLevels::Scope, 200))
                .col(string_len(GradingLevels::Urgency, 50))
                .col(big_integer(GradingLevels::RespondMinutes))
                .col(big_integer(GradingLevels::ResolveMinutes))
                .col(string_len(GradingLevels::Counting, 16))
                .col(string_len(GradingLevels::DefaultOwner, 50))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Tickets::Table)
                .col(big_pk_auto(Tickets::Id))
                .col(string_len_uniq(Tickets::Number, 16))
                .col(big_integer(Tickets::Version))
                .col(big_integer(Tickets::CustomerId))
                .col(big_integer_null(Tickets::ContactId))
                .col(string_len(Tickets::ContactName, 50))
                .col(string_len(Tickets::ContactPhone, 30))
                .col(string_len(Tickets::Channel, 16))
                .col(string_len(Tickets::Kind, 16))
                .col(big_integer_null(Tickets::CategoryId))
                .col(big_integer_null(Tickets::DeviceId))
                .col(string_len_null(Tickets::DeviceModel, 60))
                .col(string_len_null(Tickets::DeviceSerial, 60))
                .col(string_len_null(Tickets::FaultCode, 32))
                .col(text(Tickets::Description))
                .col(big_integer(Tickets::OccurredAt))
                .col(string_len(Tickets::ImpactScope, 200))
                .col(string_len_null(Tickets::ExpectedResolution, 200))
                .col(big_integer_null(Tickets::ExpectedBy))
                .col(string_len(Tickets::CooperatingDepartments, 100))
                .col(string_len(Tickets::Status, 20))
                .col(string_len(Tickets::WindowConfirmation, 16))
                .col(string_len_null(Tickets::Priority, 16))
                .col(integer_null(Tickets::PriorityRank))
                .col(text_null(Tickets::GradingReason))
                .col(string_len(Tickets::GradingReview, 16))
                .col(string_len(Tickets::GradingDispute, 16))
                .col(big_integer_null(Tickets::GroupId))
                .col(big_integer_null(Tickets::FirstLineId))
                .col(big_integer_null(Tickets::SecondLineId))
                .col(big_integer_null(Tickets::RepeatOf))
                .col(big_integer_null(Tickets::ComplaintAbout))
                .col(boolean(Tickets::SpecialistAttention))
                .col(big_integer(Tickets::RegisteredAt))
                .col(big_integer(Tickets::RegisteredBy))
                .col(big_integer_null(Tickets::AcceptedAt))
                .col(big_integer_null(Tickets::AcceptedBy))
                .col(big_integer_null(Tickets::DispatchedAt))
                .col(big_integer_null(Tickets::RespondedAt))
                .col(big_integer_null(Tickets::ResolvedAt))
                .col(text_null(Tickets::Resolution))
                .col(big_integer_null(Tickets::ClosedAt))
                .col(string_len_null(Tickets::ClosureMethod, 16))
                .col(integer(Tickets::CustomerRefusals))
                .col(integer(Tickets::ReopenCount))
                .col(string_len_null(Tickets::CancelReason, 16))
                .col(text_null(Tickets::CancelNote))
                .col(big_integer(Tickets::UpdatedAt))
                .foreign_key(&mut fk(Tickets::Table, Tickets::CustomerId, Customers::Table, Customers::Id))
                .foreign_key(&mut fk(Tickets::Table, Tickets::DeviceId, Devices::Table, Devices::Id))
                .foreign_key(&mut fk(Tickets::Table, Tickets::CategoryId, Categories::Table, Categories::Id))
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            ("ix_tickets_status", vec![Tickets::Status, Tickets::RegisteredAt]),
            ("ix_tickets_customer", vec![Tickets::CustomerId, Tickets::RegisteredAt]),
            ("ix_tickets_first_line", vec![Tickets::FirstLineId, Tickets::Status]),
            ("ix_tickets_second_line", vec![Tickets::SecondLineId, Tickets::Status]),
            ("ix_tickets_device", vec![Tickets::DeviceId, Tickets::RegisteredAt]),
            ("ix_tickets_group", vec![Tickets::GroupId, Tickets::Status]),
            ("ix_tickets_registered", vec![Tickets::RegisteredAt]),
        ] {
            let mut ix = Index::create();
            ix.name(name).table(Tickets::Table);
            for c in cols {
                ix.col(c);
            }
            m.create_index(ix.to_owned()).await?;
        }
        m.create_table(
            Table::create()
                .table(TicketEvents::Table)
                .col(big_pk_auto(TicketEvents::Id))
                .col(big_integer(TicketEvents::TicketId))
                .col(big_integer(TicketEvents::At))
                .col(big_integer(TicketEvents::ActorId))
                .col(string_len(TicketEvents::Action, 40))
                .col(text(TicketEvents::Changes))
                .col(text_null(TicketEvents::Note))
                .foreign_key(&mut fk(TicketEvents::Table, TicketEvents::TicketId, Tickets::Table, Tickets::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_ticket_events_ticket")
                .table(TicketEvents::Table)
                .col(TicketEvents::TicketId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WorkLog::Table)
                .col(big_pk_auto(WorkLog::Id))
                .col(big_integer(WorkLog::TicketId))
                .col(string_len(WorkLog::Kind, 20))
                .col(text(WorkLog::Body))
                .col(big_integer(WorkLog::AuthorId))
                .col(big_integer(WorkLog::At))
                .foreign_key(&mut fk(WorkLog::Table, WorkLog::TicketId, Tickets::Table, Tickets::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_work_log_ticket").table(WorkLog::Table).col(WorkLog::TicketId).to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(PriorityChangeRequests::Table)
                .col(big_pk_auto(PriorityChangeRequests::Id))
                .col(big_integer(PriorityChangeRequests::TicketId))
                .col(string_len_null(PriorityChangeRequests::FromLevel, 16))
                .col(string_len(PriorityChangeRequests::ToLevel, 16))
                .col(text(PriorityChangeRequests::Reason))
                .col(big_integer(PriorityChangeRequests::RequestedBy))
                .col(big_integer(PriorityChangeRequests::RequestedAt))
                .col(string_len(PriorityChangeRequests::Status, 16))
                .col(big_integer_null(PriorityChangeRequests::DecidedBy))
                .col(big_integer_null(PriorityChangeRequests::DecidedAt))
                .col(text_null(PriorityChangeRequests::DecisionNote))
                .foreign_key(&mut fk(
                    PriorityChangeRequests::Table,
                    PriorityChangeRequests::TicketId,
                    Tickets::Table,
                    Tickets::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_priority_requests_ticket")
                .table(PriorityChangeRequests::Table)
                .col(PriorityChangeRequests::TicketId)
                .col(PriorityChangeRequests::Status)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TicketSequences::Table)
                .col(string_len(TicketSequences::Day, 8).primary_key())
                .col(big_integer(TicketSequences::LastSeq))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(big_integer(IdempotencyKeys::UserId))
                .col(string_len(IdempotencyKeys::Key, 128))
                .col(string_len(IdempotencyKeys::Fingerprint, 64))
                .col(integer(IdempotencyKeys::StatusCode))
                .col(text(IdempotencyKeys::Response))
                .col(big_integer(IdempotencyKeys::CreatedAt))
                .primary_key(Index::create().col(IdempotencyKeys::UserId).col(IdempotencyKeys::Key))
                .to_owned(),
        )
        .await?;
        for (name, table, col) in [
            ("ix_contacts_customer", Contacts::Table.into_iden(), Contacts::CustomerId.into_iden()),
            ("ix_contacts_phone", Contacts::Table.into_iden(), Contacts::Phone.into_iden()),
            ("ix_devices_customer", Devices::Table.into_iden(), Devices::CustomerId.into_iden()),
            ("ix_api_tokens_user", ApiTokens::Table.into_iden(), ApiTokens::UserId.into_iden()),
        ] {
            m.create_index(Index::create().name(name).table(table).col(col).to_owned()).await?;
        }
        Ok(())
    }
}

// Frozen names: this migration's own, never the live `crate::schema` ones, so renaming a
// column later cannot rewrite what this migration did.
#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    DisplayName,
    Role,
    Email,
    Phone,
    Region,
    GroupId,
    CustomerId,
    ContactId,
    PasswordHash,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    TokenHash,
    Name,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum CustomerLevels {
    Table,
    Code,
    NameZh,
    NameEn,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    Name,
    ShortName,
    Region,
    Level,
    WindowContactId,
    SpecialistId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Contacts {
    Table,
    Id,
    CustomerId,
    Name,
    Phone,
    Email,
    Department,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    Id,
    CustomerId,
    Model,
    Serial,
    Location,
    PurchaseDate,
    WarrantyEnd,
    ConsumableModel,
    CreatedAt,
}

#[derive(DeriveIden)]
enum HandlingGroups {
    Table,
    Id,
    Code,
    NameZh,
    NameEn,
}

#[derive(DeriveIden)]
enum Categories {
    Table,
    Id,
    Family,
    Code,
    NameZh,
    NameEn,
    GroupId,
    Active,
}

#[derive(DeriveIden)]
enum GradingLevels {
    Table,
    Code,
    Rank,
    NameZh,
    NameEn,
    Scope,
    Urgency,
    RespondMinutes,
    ResolveMinutes,
    Counting,
    DefaultOwner,
}

#[derive(DeriveIden)]
enum Tickets {
    Table,
    Id,
    Number,
    Version,
    CustomerId,
    ContactId,
    ContactName,
    ContactPhone,
    Channel,
    Kind,
    CategoryId,
    DeviceId,
    DeviceModel,
    DeviceSerial,
    FaultCode,
    Description,
    OccurredAt,
    ImpactScope,
    ExpectedResolution,
    ExpectedBy,
    CooperatingDepartments,
    Status,
    WindowConfirmation,
    Priority,
    PriorityRank,
    GradingReason,
    GradingReview,
    GradingDispute,
    GroupId,
    FirstLineId,
    SecondLineId,
    RepeatOf,
    ComplaintAbout,
    SpecialistAttention,
    RegisteredAt,
    RegisteredBy,
    AcceptedAt,
    AcceptedBy,
    DispatchedAt,
    RespondedAt,
    ResolvedAt,
    Resolution,
    ClosedAt,
    ClosureMethod,
    CustomerRefusals,
    ReopenCount,
    CancelReason,
    CancelNote,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TicketEvents {
    Table,
    Id,
    TicketId,
    At,
    ActorId,
    Action,
    Changes,
    Note,
}

#[derive(DeriveIden)]
enum WorkLog {
    Table,
    Id,
    TicketId,
    Kind,
    Body,
    AuthorId,
    At,
}

#[derive(DeriveIden)]
enum PriorityChangeRequests {
    Table,
    Id,
    TicketId,
    FromLevel,
    ToLevel,
    Reason,
    RequestedBy,
    RequestedAt,
    Status,
    DecidedBy,
    DecidedAt,
    DecisionNote,
}

#[derive(DeriveIden)]
enum TicketSequences {
    Table,
    Day,
    LastSeq,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    UserId,
    Key,
    Fingerprint,
    StatusCode,
    Response,
    CreatedAt,
}
