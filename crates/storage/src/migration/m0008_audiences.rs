//! Audiences of records, contacts' languages and customer links.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::fk;

/// DOMAIN §8, every record has an audience: work-log entries carry theirs (existing entries
/// get their kind's default: what is addressed to the customer is customer-visible, the rest
/// internal); contacts a language for customer notices; deliveries to a contact's address;
/// and the signed links of customer e-mail.
pub struct M0008Audiences;

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

// Frozen names: this migration's own, never the live `crate::schema` ones, so renaming a
// column later cannot rewrite what this migration did.
#[derive(DeriveIden)]
enum Contacts {
    Table,
    Id,
    Lang,
}

#[derive(DeriveIden)]
enum Tickets {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WorkLog {
    Table,
    Visibility,
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    ContactId,
    Lang,
}

#[derive(DeriveIden)]
enum CustomerLinks {
    Table,
    Id,
    TokenHash,
    TicketId,
    ContactId,
    Purpose,
    DeliveryId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
}
