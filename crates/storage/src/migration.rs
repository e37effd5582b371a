//! Migrations: one set for SQLite and PostgreSQL (sea-orm-migration).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::schema::*;

mod m0009_job_subjects;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M0001Initial),
            Box::new(M0002Clocks),
            Box::new(M0003Notices),
            Box::new(M0004DeliveryLog),
            Box::new(M0005Sessions),
            Box::new(M0006DueIndex),
            Box::new(M0007ContactLeft),
            Box::new(M0008Audiences),
            Box::new(m0009_job_subjects::M0009JobSubjects),
        ]
    }
}

#[derive(DeriveMigrationName)]
struct M0001Initial;

fn fk<F: IntoIden, T: IntoIden>(
    from_table: F,
    from_col: impl IntoIden,
    to_table: T,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from_table, from_col).to(to_table, to_col).to_owned()
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

/// Clocks and calendars (issue 3): the ticket's folded clocks with the two columns the
/// deadline lists filter and sort on, business calendars, holiday sets and versioned
/// service policies.
struct M0002Clocks;

// Named by hand: the derive names a migration after its file, which the first one took.
impl MigrationName for M0002Clocks {
    fn name(&self) -> &str {
        "m0002_clocks"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0002Clocks {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        let columns = [
            string_len_null(Tickets::CustomerLevel, 16),
            string_len_null(Tickets::Calendar, 32),
            big_integer_null(Tickets::PolicyVersion),
            big_integer_null(Tickets::VisitAt),
            string_len_null(Tickets::SurveyResult, 16),
            big_integer_null(Tickets::SurveyedAt),
            text(Tickets::Clocks).default("{}").to_owned(),
            big_integer_null(Tickets::NextDueAt),
            integer(Tickets::ClockMisses).default(0).to_owned(),
        ];
        for col in columns {
            m.alter_table(Table::alter().table(Tickets::Table).add_column(col).to_owned()).await?;
        }
        m.alter_table(
            Table::alter().table(Customers::Table).add_column(string_len_null(Customers::Calendar, 32)).to_owned(),
        )
        .await?;
        // Partial indexes: only tickets with a running clock or a missed one are indexed, so
        // "nearest deadline first" and "breached" lists never scan the closed history.
        let db = m.get_connection();
        db.execute_unprepared(
            "CREATE INDEX ix_tickets_next_due ON tickets (next_due_at) WHERE next_due_at IS NOT NULL",
        )
        .await?;
        db.execute_unprepared("CREATE INDEX ix_tickets_missed ON tickets (clock_misses) WHERE clock_misses > 0")
            .await?;
        m.create_table(
            Table::create()
                .table(Calendars::Table)
                .col(string_len(Calendars::Name, 32).primary_key())
                .col(text(Calendars::Spec))
                .col(big_integer(Calendars::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(HolidaySets::Table)
                .col(string_len(HolidaySets::Name, 32).primary_key())
                .col(text(HolidaySets::Data))
                .col(big_integer(HolidaySets::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ServicePolicies::Table)
                .col(big_pk_auto(ServicePolicies::Version))
                .col(text(ServicePolicies::Policy))
                .col(big_integer(ServicePolicies::CreatedAt))
                .col(big_integer_null(ServicePolicies::CreatedBy))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

/// Notices and escalation (issue 4): durable jobs, notices with their recipients (the
/// in-app inbox), the delivery outbox, robot/webhook targets and notice routes.
struct M0003Notices;

impl MigrationName for M0003Notices {
    fn name(&self) -> &str {
        "m0003_notices"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0003Notices {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Jobs::Table)
                .col(big_pk_auto(Jobs::Id))
                .col(string_len_uniq(Jobs::Key, 200))
                .col(string_len(Jobs::Kind, 32))
                .col(big_integer(Jobs::TicketId))
                .col(big_integer(Jobs::DueAt))
                .col(string_len(Jobs::State, 16))
                .col(integer(Jobs::Attempts).default(0).to_owned())
                .col(big_integer_null(Jobs::LeaseUntil))
                .col(string_len_null(Jobs::LockedBy, 64))
                .col(text_null(Jobs::LastError))
                .col(big_integer(Jobs::CreatedAt))
                .col(big_integer(Jobs::UpdatedAt))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        // The sweep reads only what is due: pending jobs by due time, running ones by lease.
        db.execute_unprepared("CREATE INDEX ix_jobs_pending ON jobs (due_at) WHERE state = 'pending'").await?;
        db.execute_unprepared("CREATE INDEX ix_jobs_running ON jobs (lease_until) WHERE state = 'running'").await?;
        db.execute_unprepared("CREATE INDEX ix_jobs_ticket ON jobs (ticket_id) WHERE state = 'pending'").await?;
        m.create_table(
            Table::create()
                .table(Notices::Table)
                .col(big_pk_auto(Notices::Id))
                .col(string_len_uniq(Notices::Key, 200))
                .col(big_integer(Notices::TicketId))
                .col(string_len(Notices::Kind, 32))
                .col(big_integer(Notices::CreatedAt))
                .col(text(Notices::SubjectZh))
                .col(text(Notices::BodyZh))
                .col(text(Notices::SubjectEn))
                .col(text(Notices::BodyEn))
                .to_owned(),
        )
        .await?;
        db.execute_unprepared("CREATE INDEX ix_notices_created ON notices (created_at)").await?;
        db.execute_unprepared("CREATE INDEX ix_notices_ticket ON notices (ticket_id)").await?;
        m.create_table(
            Table::create()
                .table(NoticeRecipients::Table)
                .col(big_pk_auto(NoticeRecipients::Id))
                .col(big_integer(NoticeRecipients::NoticeId))
                .col(big_integer(NoticeRecipients::UserId))
                .col(string_len(NoticeRecipients::Audience, 32))
                .col(big_integer_null(NoticeRecipients::AcknowledgedAt))
                .col(text_null(NoticeRecipients::Note))
                .col(big_integer_null(NoticeRecipients::NotedAt))
                .to_owned(),
        )
        .await?;
        db.execute_unprepared("CREATE UNIQUE INDEX ux_notice_recipients ON notice_recipients (notice_id, user_id)")
            .await?;
        db.execute_unprepared("CREATE INDEX ix_notice_recipients_user ON notice_recipients (user_id, notice_id)")
            .await?;
        m.create_table(
            Table::create()
                .table(Deliveries::Table)
                .col(big_pk_auto(Deliveries::Id))
                .col(big_integer(Deliveries::NoticeId))
                .col(big_integer_null(Deliveries::UserId))
                .col(string_len(Deliveries::Channel, 16))
                .col(string_len(Deliveries::Target, 200))
                .col(string_len(Deliveries::State, 16))
                .col(integer(Deliveries::Attempts).default(0).to_owned())
                .col(big_integer(Deliveries::NextAttemptAt))
                .col(big_integer_null(Deliveries::LeaseUntil))
                .col(text_null(Deliveries::LastError))
                .col(text_null(Deliveries::Receipt))
                .col(big_integer_null(Deliveries::SentAt))
                .col(big_integer(Deliveries::CreatedAt))
                .to_owned(),
        )
        .await?;
        db.execute_unprepared("CREATE UNIQUE INDEX ux_deliveries ON deliveries (notice_id, channel, target)").await?;
        db.execute_unprepared(
            "CREATE INDEX ix_deliveries_pending ON deliveries (next_attempt_at) WHERE state = 'pending'",
        )
        .await?;
        db.execute_unprepared("CREATE INDEX ix_deliveries_sending ON deliveries (lease_until) WHERE state = 'sending'")
            .await?;
        m.create_table(
            Table::create()
                .table(NotifyTargets::Table)
                .col(string_len(NotifyTargets::Name, 32).primary_key())
                .col(string_len(NotifyTargets::Kind, 16))
                .col(text(NotifyTargets::Url))
                .col(text_null(NotifyTargets::Secret))
                .col(big_integer(NotifyTargets::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(NoticeRoutes::Table)
                .col(string_len(NoticeRoutes::Kind, 32).primary_key())
                .col(text(NoticeRoutes::Route))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

/// The delivery log (issue 4: a log per notice and channel) and a cheaper job index on
/// SQLite.
struct M0004DeliveryLog;

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

/// Browser sign-in (issue 5): sessions (only the SHA-256 of the cookie value is stored,
/// like API tokens), failed attempts for throttling, and each user's remembered language.
struct M0005Sessions;

impl MigrationName for M0005Sessions {
    fn name(&self) -> &str {
        "m0005_sessions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0005Sessions {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(big_pk_auto(Sessions::Id))
                .col(string_len_uniq(Sessions::TokenHash, 64))
                .col(big_integer(Sessions::UserId))
                .col(string_len(Sessions::CsrfToken, 64))
                .col(big_integer(Sessions::CreatedAt))
                .col(big_integer(Sessions::LastSeenAt))
                .col(big_integer(Sessions::ExpiresAt))
                .col(text_null(Sessions::UserAgent))
                .col(string_null(Sessions::Address))
                .foreign_key(&mut fk(Sessions::Table, Sessions::UserId, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_sessions_user").table(Sessions::Table).col(Sessions::UserId).to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LoginFailures::Table)
                .col(big_pk_auto(LoginFailures::Id))
                .col(string_len(LoginFailures::Scope, 16))
                .col(string_len(LoginFailures::Subject, 200))
                .col(big_integer(LoginFailures::At))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_login_failures")
                .table(LoginFailures::Table)
                .col(LoginFailures::Scope)
                .col(LoginFailures::Subject)
                .col(LoginFailures::At)
                .to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table(Users::Table).add_column(string_len_null(Users::Lang, 8)).to_owned())
            .await?;
        Ok(())
    }
}

/// The board's order (nearest due instant, then id) straight from one index: with only
/// `next_due_at` indexed, PostgreSQL sorts every ticket sharing a due instant to break the
/// tie by id (issue 5: the board under 50 ms on 100,000 open tickets).
struct M0006DueIndex;

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

/// A contact who has left the customer (离职 / 调岗) stays on record for the history of their
/// requests; `left_at` says since when (null: still there).
struct M0007ContactLeft;

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

/// DOMAIN §8, every record has an audience: work-log entries carry theirs (existing entries
/// get their kind's default: what is addressed to the customer is customer-visible, the rest
/// internal); contacts a language for customer notices; deliveries to a contact's address;
/// and the signed links of customer e-mail.
struct M0008Audiences;

impl MigrationName for M0008Audiences {
    fn name(&self) -> &str {
        "m0008_audiences"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0008Audiences {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(WorkLog::Table)
                .add_column(string_len(WorkLog::Visibility, 16).default("internal"))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared(
            "UPDATE work_log SET visibility = 'customer' \
             WHERE kind IN ('customer_message', 'progress', 'on_site', 'service_report')",
        )
        .await?;
        // Answers recorded for retries of a contact's requests held the staff's view of the
        // ticket; a retry now gets the customer's (they are short-lived retry records).
        db.execute_unprepared(
            "DELETE FROM idempotency_keys WHERE user_id IN (SELECT id FROM users WHERE role = 'customer_contact')",
        )
        .await?;
        m.alter_table(Table::alter().table(Contacts::Table).add_column(string_len_null(Contacts::Lang, 8)).to_owned())
            .await?;
        m.alter_table(
            Table::alter().table(Deliveries::Table).add_column(big_integer_null(Deliveries::ContactId)).to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter().table(Deliveries::Table).add_column(string_len_null(Deliveries::Lang, 8)).to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CustomerLinks::Table)
                .col(big_pk_auto(CustomerLinks::Id))
                .col(string_len_uniq(CustomerLinks::TokenHash, 64))
                .col(big_integer(CustomerLinks::TicketId))
                .col(big_integer(CustomerLinks::ContactId))
                .col(string_len(CustomerLinks::Purpose, 16))
                .col(big_integer_null(CustomerLinks::DeliveryId))
                .col(big_integer(CustomerLinks::CreatedAt))
                .col(big_integer(CustomerLinks::ExpiresAt))
                .col(big_integer_null(CustomerLinks::UsedAt))
                .col(big_integer_null(CustomerLinks::RevokedAt))
                .foreign_key(&mut fk(CustomerLinks::Table, CustomerLinks::TicketId, Tickets::Table, Tickets::Id))
                .foreign_key(&mut fk(CustomerLinks::Table, CustomerLinks::ContactId, Contacts::Table, Contacts::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_customer_links_ticket")
                .table(CustomerLinks::Table)
                .col(CustomerLinks::TicketId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
