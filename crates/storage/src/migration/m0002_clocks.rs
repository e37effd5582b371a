//! Clocks and calendars.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Clocks and calendars (issue 3): the ticket's folded clocks with the two columns the
/// deadline lists filter and sort on, business calendars, holiday sets and versioned
/// service policies.
pub struct M0002Clocks;

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

// Frozen names: this migration's own, never the live `crate::schema` ones, so renaming a
// column later cannot rewrite what this migration did.
#[derive(DeriveIden)]
enum Customers {
    Table,
    Calendar,
}

#[derive(DeriveIden)]
enum Tickets {
    Table,
    CustomerLevel,
    Calendar,
    PolicyVersion,
    VisitAt,
    SurveyResult,
    SurveyedAt,
    Clocks,
    NextDueAt,
    ClockMisses,
}

#[derive(DeriveIden)]
enum Calendars {
    Table,
    Name,
    Spec,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum HolidaySets {
    Table,
    Name,
    Data,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ServicePolicies {
    Table,
    Version,
    Policy,
    CreatedAt,
    CreatedBy,
}
