//! The latest arrival promised for a ticket's next visit (issue 13).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// `tickets.visit_due`: the end of the arrival window of the visit the ticket waits for. The
/// arrival clock is due then (a visit is on time until its window ends); `visit_at` stays
/// the window's start. Tickets with an open visit get its window's end.
pub struct M0016VisitDue;

impl MigrationName for M0016VisitDue {
    fn name(&self) -> &str {
        "m0016_visit_due"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0016VisitDue {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Tickets::Table).add_column(big_integer_null(Tickets::VisitDue)).to_owned())
            .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE tickets SET visit_due = (SELECT MIN(v.window_end) FROM visits v \
                 WHERE v.ticket_id = tickets.id AND v.status IN ('booked', 'on_site') \
                 AND v.window_start = tickets.visit_at) \
                 WHERE visit_at IS NOT NULL",
            )
            .await?;
        Ok(())
    }
}

// Frozen names: this migration's own, never the live `crate::schema` ones.
#[derive(DeriveIden)]
enum Tickets {
    Table,
    VisitDue,
}
