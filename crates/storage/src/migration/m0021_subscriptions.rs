//! Report subscriptions (issue 15): who has which report delivered, how often and where,
//! and one row per run (the period it covered, how its delivery went, the file it carried).
//! A run is unique per subscription and period, so two workers, or a worker restarted after
//! a crash, never send one period twice.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::fk;

pub struct M0021Subscriptions;

impl MigrationName for M0021Subscriptions {
    fn name(&self) -> &str {
        "m0021_subscriptions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0021Subscriptions {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ReportSubscriptions::Table)
                .col(big_pk_auto(ReportSubscriptions::Id))
                .col(big_integer(ReportSubscriptions::UserId))
                .col(string_len(ReportSubscriptions::Report, 32))
                .col(string_len(ReportSubscriptions::Frequency, 16))
                .col(small_integer(ReportSubscriptions::Hour))
                .col(string_len(ReportSubscriptions::Channel, 16))
                .col(string_len_null(ReportSubscriptions::Target, 64))
                .col(string_len(ReportSubscriptions::Lang, 8))
                .col(boolean(ReportSubscriptions::Active))
                .col(big_integer(ReportSubscriptions::CreatedAt))
                .col(big_integer(ReportSubscriptions::UpdatedAt))
                .col(big_integer_null(ReportSubscriptions::NextRunAt))
                .foreign_key(&mut fk(ReportSubscriptions::Table, ReportSubscriptions::UserId, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_report_subscriptions_user")
                .table(ReportSubscriptions::Table)
                .col(ReportSubscriptions::UserId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(SubscriptionRuns::Table)
                .col(big_pk_auto(SubscriptionRuns::Id))
                .col(big_integer(SubscriptionRuns::SubscriptionId))
                .col(string_len(SubscriptionRuns::PeriodFrom, 10))
                .col(string_len(SubscriptionRuns::PeriodTo, 10))
                .col(big_integer(SubscriptionRuns::RunAt))
                .col(string_len(SubscriptionRuns::State, 16))
                .col(big_integer(SubscriptionRuns::Rows))
                .col(string_len(SubscriptionRuns::Title, 200))
                .col(text(SubscriptionRuns::Summary))
                .col(string_len_null(SubscriptionRuns::FileSha256, 64))
                .col(big_integer_null(SubscriptionRuns::FileSize))
                .col(integer(SubscriptionRuns::Attempts))
                .col(big_integer_null(SubscriptionRuns::NextAttemptAt))
                .col(big_integer_null(SubscriptionRuns::LeaseUntil))
                .col(text_null(SubscriptionRuns::Detail))
                .col(big_integer(SubscriptionRuns::CreatedAt))
                .col(big_integer_null(SubscriptionRuns::SentAt))
                .foreign_key(&mut fk(
                    SubscriptionRuns::Table,
                    SubscriptionRuns::SubscriptionId,
                    ReportSubscriptions::Table,
                    ReportSubscriptions::Id,
                ))
                .to_owned(),
        )
        .await?;
        // One run per subscription and period: the guard against sending a period twice.
        m.create_index(
            Index::create()
                .name("ux_subscription_runs_period")
                .table(SubscriptionRuns::Table)
                .col(SubscriptionRuns::SubscriptionId)
                .col(SubscriptionRuns::PeriodFrom)
                .col(SubscriptionRuns::PeriodTo)
                .unique()
                .to_owned(),
        )
        .await?;
        // The sender's queue: runs waiting to be sent, by when they are due.
        m.create_index(
            Index::create()
                .name("ix_subscription_runs_due")
                .table(SubscriptionRuns::Table)
                .col(SubscriptionRuns::State)
                .col(SubscriptionRuns::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

// Frozen names: this migration's own, never the live `crate::schema` ones.
#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum ReportSubscriptions {
    Table,
    Id,
    UserId,
    Report,
    Frequency,
    Hour,
    Channel,
    Target,
    Lang,
    Active,
    CreatedAt,
    UpdatedAt,
    NextRunAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SubscriptionRuns {
    Table,
    Id,
    SubscriptionId,
    PeriodFrom,
    PeriodTo,
    RunAt,
    State,
    Rows,
    Title,
    Summary,
    FileSha256,
    FileSize,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    Detail,
    CreatedAt,
    SentAt,
}
