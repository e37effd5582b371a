//! The service report reaches the customer by e-mail (issue 14): a notice may carry a
//! report version whose PDF its customer e-mail attaches, and a mailed link may sign one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// `notices.report_id`: the version whose PDF the customer's e-mail of the notice carries
/// (loaded at delivery time, never stored twice); `customer_links.report_id`: the version a
/// report link signs or refuses.
pub struct M0017ReportDelivery;

impl MigrationName for M0017ReportDelivery {
    fn name(&self) -> &str {
        "m0017_report_delivery"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0017ReportDelivery {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Notices::Table).add_column(big_integer_null(Notices::ReportId)).to_owned())
            .await?;
        m.alter_table(
            Table::alter().table(CustomerLinks::Table).add_column(big_integer_null(CustomerLinks::ReportId)).to_owned(),
        )
        .await?;
        Ok(())
    }
}

// Frozen names: this migration's own, never the live `crate::schema` ones.
#[derive(DeriveIden)]
enum Notices {
    Table,
    ReportId,
}

#[derive(DeriveIden)]
enum CustomerLinks {
    Table,
    ReportId,
}
