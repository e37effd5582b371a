//! Work orders across departments and qualified engineers (issue 13, seeds 002 and 003):
//! the editable list of departments (seeded with the four codes tickets stored until now,
//! so their `cooperating_departments` stay valid, plus 销售), work orders with their daily
//! progress, engineers' qualifications and training records.
//!
//! The identifiers below are this migration's own and frozen: renaming a column later in
//! `storage::schema` does not rewrite what this step did.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::fk;

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

#[derive(DeriveIden, Clone, Copy)]
enum Departments {
    Table,
    Id,
    Code,
    NameZh,
    NameEn,
    Active,
    Position,
}

#[derive(DeriveIden, Clone, Copy)]
enum WorkOrders {
    Table,
    Id,
    TicketId,
    Department,
    OwnerId,
    Needed,
    Resources,
    Deadline,
    Status,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum WorkOrderProgress {
    Table,
    Id,
    WorkOrderId,
    AuthorId,
    Body,
    At,
}

#[derive(DeriveIden, Clone, Copy)]
enum Qualifications {
    Table,
    Id,
    UserId,
    Scope,
    Certificate,
    CertificateNo,
    ExpiresOn,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum TrainingRecords {
    Table,
    Id,
    UserId,
    Course,
    TakenOn,
    Outcome,
    CreatedAt,
}

/// The departments tickets could name before the list became editable (their codes are
/// kept), and 销售.
const DEPARTMENTS: [(&str, &str, &str); 5] = [
    ("technical", "技术", "Technical"),
    ("production", "生产", "Production"),
    ("logistics", "物流", "Logistics"),
    ("rnd", "研发", "R&D"),
    ("sales", "销售", "Sales"),
];

pub(super) struct M0013WorkOrders;

impl MigrationName for M0013WorkOrders {
    fn name(&self) -> &str {
        "m0013_work_orders"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0013WorkOrders {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Departments::Table)
                .col(big_pk_auto(Departments::Id))
                .col(string_len_uniq(Departments::Code, 32))
                .col(string_len(Departments::NameZh, 30))
                .col(string_len(Departments::NameEn, 60))
                .col(boolean(Departments::Active).default(true).to_owned())
                .col(integer(Departments::Position).default(0).to_owned())
                .to_owned(),
        )
        .await?;
        let mut seed = Query::insert()
            .into_table(Departments::Table)
            .columns([
                Departments::Code,
                Departments::NameZh,
                Departments::NameEn,
                Departments::Active,
                Departments::Position,
            ])
            .to_owned();
        for (i, (code, zh, en)) in DEPARTMENTS.iter().enumerate() {
            seed.values_panic([(*code).into(), (*zh).into(), (*en).into(), true.into(), (i as i32 + 1).into()]);
        }
        m.exec_stmt(seed).await?;

        m.create_table(
            Table::create()
                .table(WorkOrders::Table)
                .col(big_pk_auto(WorkOrders::Id))
                .col(big_integer(WorkOrders::TicketId))
                .col(string_len(WorkOrders::Department, 32))
                .col(big_integer(WorkOrders::OwnerId))
                .col(text(WorkOrders::Needed))
                .col(text(WorkOrders::Resources))
                .col(big_integer(WorkOrders::Deadline))
                .col(string_len(WorkOrders::Status, 16))
                .col(big_integer(WorkOrders::CreatedBy))
                .col(big_integer(WorkOrders::CreatedAt))
                .col(big_integer(WorkOrders::UpdatedAt))
                .col(big_integer(WorkOrders::Version))
                .foreign_key(&mut fk(WorkOrders::Table, WorkOrders::TicketId, Tickets::Table, Tickets::Id))
                .foreign_key(&mut fk(WorkOrders::Table, WorkOrders::OwnerId, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_work_orders_ticket").table(WorkOrders::Table).col(WorkOrders::TicketId).to_owned(),
        )
        .await?;
        // An owner's list of open work orders ("我的协作工单" and its count in the navigation).
        m.create_index(
            Index::create()
                .name("ix_work_orders_owner")
                .table(WorkOrders::Table)
                .col(WorkOrders::OwnerId)
                .col(WorkOrders::Status)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WorkOrderProgress::Table)
                .col(big_pk_auto(WorkOrderProgress::Id))
                .col(big_integer(WorkOrderProgress::WorkOrderId))
                .col(big_integer(WorkOrderProgress::AuthorId))
                .col(text(WorkOrderProgress::Body))
                .col(big_integer(WorkOrderProgress::At))
                .foreign_key(&mut fk(
                    WorkOrderProgress::Table,
                    WorkOrderProgress::WorkOrderId,
                    WorkOrders::Table,
                    WorkOrders::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_work_order_progress_order")
                .table(WorkOrderProgress::Table)
                .col(WorkOrderProgress::WorkOrderId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Qualifications::Table)
                .col(big_pk_auto(Qualifications::Id))
                .col(big_integer(Qualifications::UserId))
                .col(string_len(Qualifications::Scope, 100))
                .col(string_len(Qualifications::Certificate, 100))
                .col(string_len(Qualifications::CertificateNo, 60))
                .col(string_len_null(Qualifications::ExpiresOn, 10))
                .col(big_integer(Qualifications::CreatedAt))
                .foreign_key(&mut fk(Qualifications::Table, Qualifications::UserId, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_qualifications_user")
                .table(Qualifications::Table)
                .col(Qualifications::UserId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(TrainingRecords::Table)
                .col(big_pk_auto(TrainingRecords::Id))
                .col(big_integer(TrainingRecords::UserId))
                .col(string_len(TrainingRecords::Course, 100))
                .col(string_len(TrainingRecords::TakenOn, 10))
                .col(string_len(TrainingRecords::Outcome, 16))
                .col(big_integer(TrainingRecords::CreatedAt))
                .foreign_key(&mut fk(TrainingRecords::Table, TrainingRecords::UserId, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_training_records_user")
                .table(TrainingRecords::Table)
                .col(TrainingRecords::UserId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
