//! Migrations: one set for SQLite and PostgreSQL (sea-orm-migration), one file per
//! migration. Each file names its tables and columns with its own frozen identifiers, never
//! the live ones of `crate::schema`: a later rename must not rewrite history. A migration's
//! name is what `seaql_migrations` records; it never changes once released.

use sea_orm_migration::prelude::*;

mod m0001_initial;
mod m0002_clocks;
mod m0003_notices;
mod m0004_delivery_log;
mod m0005_sessions;
mod m0006_due_index;
mod m0007_contact_left;
mod m0008_audiences;
mod m0009_job_subjects;
mod m0010_visits;
mod m0011_parts;
mod m0012_fees;
mod m0013_work_orders;
mod m0014_attachments;
mod m0015_service_reports;
mod m0016_visit_due;
mod m0017_report_delivery;
mod m0018_attachment_withdrawal;
mod m0019_callbacks;
mod m0020_report_facts;
mod m0021_subscriptions;
mod m0022_covering_report_indexes;
mod m0023_list_indexes;
mod m0024_filter_indexes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_initial::M0001Initial),
            Box::new(m0002_clocks::M0002Clocks),
            Box::new(m0003_notices::M0003Notices),
            Box::new(m0004_delivery_log::M0004DeliveryLog),
            Box::new(m0005_sessions::M0005Sessions),
            Box::new(m0006_due_index::M0006DueIndex),
            Box::new(m0007_contact_left::M0007ContactLeft),
            Box::new(m0008_audiences::M0008Audiences),
            Box::new(m0009_job_subjects::M0009JobSubjects),
            Box::new(m0010_visits::M0010Visits),
            Box::new(m0011_parts::M0011Parts),
            Box::new(m0012_fees::M0012Fees),
            Box::new(m0013_work_orders::M0013WorkOrders),
            Box::new(m0014_attachments::M0014Attachments),
            Box::new(m0015_service_reports::M0015ServiceReports),
            Box::new(m0016_visit_due::M0016VisitDue),
            Box::new(m0017_report_delivery::M0017ReportDelivery),
            Box::new(m0018_attachment_withdrawal::M0018AttachmentWithdrawal),
            Box::new(m0019_callbacks::M0019Callbacks),
            Box::new(m0020_report_facts::M0020ReportFacts),
            Box::new(m0021_subscriptions::M0021Subscriptions),
            Box::new(m0022_covering_report_indexes::M0022CoveringReportIndexes),
            Box::new(m0023_list_indexes::M0023ListIndexes),
            Box::new(m0024_filter_indexes::M0024FilterIndexes),
        ]
    }
}

/// A foreign key from `from_table.from_col` to `to_table.to_col` (unnamed: each database
/// names it).
pub(super) fn fk<F: IntoIden, T: IntoIden>(
    from_table: F,
    from_col: impl IntoIden,
    to_table: T,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from_table, from_col).to(to_table, to_col).to_owned()
}
