//! Spare parts (issue 13): the catalog, warehouses (central stores and engineers' vans),
//! the append-only stock ledger, a balance row per part and warehouse kept equal to the
//! ledger's sum (decremented only while it stays at or above zero, so concurrent issues can
//! never drive stock negative), and requisitions from tickets.
//!
//! The identifiers below are this migration's own and frozen.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::fk;

pub(super) struct M0011Parts;

impl MigrationName for M0011Parts {
    fn name(&self) -> &str {
        "m0011_parts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0011Parts {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Parts::Table)
                .col(big_pk_auto(Parts::Id))
                .col(string_len_uniq(Parts::Number, 40))
                .col(string_len(Parts::Name, 100))
                .col(string_len(Parts::Unit, 10))
                .col(big_integer(Parts::PriceFen))
                // A JSON array of model names; empty: any model.
                .col(text(Parts::Models))
                .col(boolean(Parts::SerialTracked))
                .col(boolean(Parts::Active))
                .col(big_integer(Parts::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Warehouses::Table)
                .col(big_pk_auto(Warehouses::Id))
                .col(string_len_uniq(Warehouses::Name, 60))
                .col(string_len(Warehouses::Kind, 16))
                .col(big_integer_null(Warehouses::OwnerId))
                .col(boolean(Warehouses::Active))
                .foreign_key(&mut fk(Warehouses::Table, Warehouses::OwnerId, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Requisitions::Table)
                .col(big_pk_auto(Requisitions::Id))
                .col(big_integer(Requisitions::TicketId))
                .col(big_integer(Requisitions::PartId))
                .col(big_integer(Requisitions::Quantity))
                .col(big_integer(Requisitions::ValueFen))
                .col(string_len(Requisitions::Status, 16))
                .col(big_integer(Requisitions::EngineerId))
                .col(text_null(Requisitions::Note))
                .col(big_integer(Requisitions::RequestedAt))
                .col(big_integer_null(Requisitions::DecidedBy))
                .col(big_integer_null(Requisitions::DecidedAt))
                .col(text_null(Requisitions::DecisionNote))
                .col(big_integer_null(Requisitions::WarehouseId))
                .col(big_integer_null(Requisitions::IssuedBy))
                .col(big_integer_null(Requisitions::IssuedAt))
                .col(big_integer(Requisitions::Used).default(0).to_owned())
                .col(big_integer(Requisitions::Returned).default(0).to_owned())
                .col(big_integer(Requisitions::FaultyOwed).default(0).to_owned())
                .col(big_integer(Requisitions::FaultyReturned).default(0).to_owned())
                .col(big_integer(Requisitions::Version).default(1).to_owned())
                .foreign_key(&mut fk(Requisitions::Table, Requisitions::TicketId, Tickets::Table, Tickets::Id))
                .foreign_key(&mut fk(Requisitions::Table, Requisitions::PartId, Parts::Table, Parts::Id))
                .foreign_key(&mut fk(Requisitions::Table, Requisitions::EngineerId, Users::Table, Users::Id))
                .foreign_key(&mut fk(Requisitions::Table, Requisitions::WarehouseId, Warehouses::Table, Warehouses::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_requisitions_ticket")
                .table(Requisitions::Table)
                .col(Requisitions::TicketId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_requisitions_status")
                .table(Requisitions::Table)
                .col(Requisitions::Status)
                .col(Requisitions::Id)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(StockMovements::Table)
                .col(big_pk_auto(StockMovements::Id))
                .col(big_integer(StockMovements::PartId))
                .col(big_integer(StockMovements::WarehouseId))
                .col(string_len(StockMovements::Kind, 16))
                .col(big_integer(StockMovements::Quantity))
                .col(big_integer(StockMovements::Delta))
                .col(big_integer_null(StockMovements::TicketId))
                .col(big_integer_null(StockMovements::RequisitionId))
                .col(string_len_null(StockMovements::Serial, 100))
                .col(string_len_null(StockMovements::FaultySerial, 100))
                .col(text_null(StockMovements::Reason))
                .col(big_integer(StockMovements::ById))
                .col(big_integer(StockMovements::At))
                .foreign_key(&mut fk(StockMovements::Table, StockMovements::PartId, Parts::Table, Parts::Id))
                .foreign_key(&mut fk(
                    StockMovements::Table,
                    StockMovements::WarehouseId,
                    Warehouses::Table,
                    Warehouses::Id,
                ))
                .to_owned(),
        )
        .await?;
        // A part's history in a warehouse, newest first.
        m.create_index(
            Index::create()
                .name("ix_stock_movements_part")
                .table(StockMovements::Table)
                .col(StockMovements::PartId)
                .col(StockMovements::WarehouseId)
                .col(StockMovements::Id)
                .to_owned(),
        )
        .await?;
        // The parts used on a ticket (the ticket page, the customer, the service report).
        m.create_index(
            Index::create()
                .name("ix_stock_movements_ticket")
                .table(StockMovements::Table)
                .col(StockMovements::TicketId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(StockBalances::Table)
                .col(big_integer(StockBalances::PartId))
                .col(big_integer(StockBalances::WarehouseId))
                .col(big_integer(StockBalances::Qty).check(Expr::col(StockBalances::Qty).gte(0)).to_owned())
                .primary_key(Index::create().col(StockBalances::PartId).col(StockBalances::WarehouseId))
                .foreign_key(&mut fk(StockBalances::Table, StockBalances::PartId, Parts::Table, Parts::Id))
                .foreign_key(&mut fk(
                    StockBalances::Table,
                    StockBalances::WarehouseId,
                    Warehouses::Table,
                    Warehouses::Id,
                ))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Tickets {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Parts {
    Table,
    Id,
    Number,
    Name,
    Unit,
    PriceFen,
    Models,
    SerialTracked,
    Active,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Warehouses {
    Table,
    Id,
    Name,
    Kind,
    OwnerId,
    Active,
}

#[derive(DeriveIden, Clone, Copy)]
enum Requisitions {
    Table,
    Id,
    TicketId,
    PartId,
    Quantity,
    ValueFen,
    Status,
    EngineerId,
    Note,
    RequestedAt,
    DecidedBy,
    DecidedAt,
    DecisionNote,
    WarehouseId,
    IssuedBy,
    IssuedAt,
    Used,
    Returned,
    FaultyOwed,
    FaultyReturned,
    Version,
}

#[derive(DeriveIden, Clone, Copy)]
enum StockMovements {
    Table,
    Id,
    PartId,
    WarehouseId,
    Kind,
    Quantity,
    Delta,
    TicketId,
    RequisitionId,
    Serial,
    FaultySerial,
    Reason,
    ById,
    At,
}

#[derive(DeriveIden, Clone, Copy)]
enum StockBalances {
    Table,
    PartId,
    WarehouseId,
    Qty,
}
