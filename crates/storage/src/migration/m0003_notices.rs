//! Jobs, notices, deliveries, targets and routes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Notices and escalation (issue 4): durable jobs, notices with their recipients (the
/// in-app inbox), the delivery outbox, robot/webhook targets and notice routes.
pub struct M0003Notices;

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

// Frozen names: this migration's own, never the live `crate::schema` ones, so renaming a
// column later cannot rewrite what this migration did.
#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Key,
    Kind,
    TicketId,
    DueAt,
    State,
    Attempts,
    LeaseUntil,
    LockedBy,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Notices {
    Table,
    Id,
    Key,
    TicketId,
    Kind,
    CreatedAt,
    SubjectZh,
    BodyZh,
    SubjectEn,
    BodyEn,
}

#[derive(DeriveIden)]
enum NoticeRecipients {
    Table,
    Id,
    NoticeId,
    UserId,
    Audience,
    AcknowledgedAt,
    Note,
    NotedAt,
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    Id,
    NoticeId,
    UserId,
    Channel,
    Target,
    State,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    Receipt,
    SentAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NotifyTargets {
    Table,
    Name,
    Kind,
    Url,
    Secret,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum NoticeRoutes {
    Table,
    Kind,
    Route,
}
