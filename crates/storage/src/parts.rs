//! Spare parts (issue 13): the catalog, warehouses, requisitions, and the stock ledger with
//! its balance rows.
//!
//! Every ledger row is written by [`record`], which first moves the balance row of its
//! part and warehouse by the row's delta in the same transaction: a movement out is a
//! conditional `UPDATE … SET qty = qty - n WHERE … AND qty >= n`, so of two transactions
//! issuing the last part only one finds a row to update (on PostgreSQL the second waits for
//! the first's row lock and re-checks the condition against the committed value; on SQLite
//! writers take turns). The balance is then always the ledger's sum and never negative
//! (`CHECK (qty >= 0)` as a backstop), and a stock check is one primary-key read whatever
//! the length of the history.

use aftersales_domain::parts::{
    Movement, MovementKind, Part, PartUsed, Requisition, RequisitionStatus, Warehouse, WarehouseKind,
};
use aftersales_domain::{Id, Timestamp};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, OnConflict, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_code, get_opt_ts, get_ts, ms, opt_ms};
use crate::schema::{Parts, Requisitions, StockBalances, StockMovements, Users, Warehouses};
use crate::{Result, StorageError, insert_fields, insert_returning_id};

// ---- catalog ----

const PART_COLS: [Parts; 8] = [
    Parts::Id,
    Parts::Number,
    Parts::Name,
    Parts::Unit,
    Parts::PriceFen,
    Parts::Models,
    Parts::SerialTracked,
    Parts::Active,
];

fn part(r: &QueryResult) -> Result<Part> {
    let models: String = get(r, "models")?;
    Ok(Part {
        id: get(r, "id")?,
        number: get(r, "number")?,
        name: get(r, "name")?,
        unit: get(r, "unit")?,
        price_fen: get(r, "price_fen")?,
        models: serde_json::from_str(&models).map_err(|e| StorageError::Corrupt(format!("parts.models: {e}")))?,
        serial_tracked: get(r, "serial_tracked")?,
        active: get(r, "active")?,
    })
}

fn models_json(p: &Part) -> String {
    serde_json::to_string(&p.models).unwrap_or_else(|_| "[]".into())
}

/// A part's catalog entry, which an edit replaces (insert and update name each column once).
fn part_fields(p: &Part) -> Vec<(Parts, Expr)> {
    vec![
        (Parts::Number, p.number.clone().into()),
        (Parts::Name, p.name.clone().into()),
        (Parts::Unit, p.unit.clone().into()),
        (Parts::PriceFen, p.price_fen.into()),
        (Parts::Models, models_json(p).into()),
        (Parts::SerialTracked, p.serial_tracked.into()),
        (Parts::Active, p.active.into()),
    ]
}

pub async fn insert_part<C: ConnectionTrait>(conn: &C, p: &Part, now: Timestamp) -> Result<Id> {
    let mut fields = part_fields(p);
    fields.push((Parts::CreatedAt, ms(now).into()));
    insert_fields(conn, Parts::Table, fields).await
}

pub async fn update_part<C: ConnectionTrait>(conn: &C, p: &Part) -> Result<()> {
    let stmt =
        Query::update().table(Parts::Table).values(part_fields(p)).and_where(Expr::col(Parts::Id).eq(p.id)).to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

pub async fn part_by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<Part>> {
    let stmt = Query::select().columns(PART_COLS).from(Parts::Table).and_where(Expr::col(Parts::Id).eq(id)).to_owned();
    conn.query_one(&stmt).await?.as_ref().map(part).transpose()
}

/// The catalog by part number.
pub async fn parts<C: ConnectionTrait>(conn: &C) -> Result<Vec<Part>> {
    let stmt = Query::select().columns(PART_COLS).from(Parts::Table).order_by(Parts::Number, Order::Asc).to_owned();
    conn.query_all(&stmt).await?.iter().map(part).collect()
}

/// The parts with these numbers (unknown numbers are left out).
pub async fn parts_by_numbers<C: ConnectionTrait>(conn: &C, numbers: &[String]) -> Result<Vec<Part>> {
    if numbers.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(PART_COLS)
        .from(Parts::Table)
        .and_where(Expr::col(Parts::Number).is_in(numbers.iter().cloned()))
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(part).collect()
}

// ---- warehouses ----

const WAREHOUSE_COLS: [Warehouses; 5] =
    [Warehouses::Id, Warehouses::Name, Warehouses::Kind, Warehouses::OwnerId, Warehouses::Active];

fn warehouse(r: &QueryResult) -> Result<Warehouse> {
    Ok(Warehouse {
        id: get(r, "id")?,
        name: get(r, "name")?,
        kind: get_code(r, "kind", WarehouseKind::from_code)?,
        owner_id: get(r, "owner_id")?,
        active: get(r, "active")?,
    })
}

pub async fn insert_warehouse<C: ConnectionTrait>(conn: &C, w: &Warehouse) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(Warehouses::Table)
        .columns([Warehouses::Name, Warehouses::Kind, Warehouses::OwnerId, Warehouses::Active])
        .values_panic([w.name.clone().into(), w.kind.code().into(), w.owner_id.into(), w.active.into()])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

pub async fn update_warehouse<C: ConnectionTrait>(conn: &C, w: &Warehouse) -> Result<()> {
    let stmt = Query::update()
        .table(Warehouses::Table)
        .value(Warehouses::Name, w.name.clone())
        .value(Warehouses::Kind, w.kind.code())
        .value(Warehouses::OwnerId, w.owner_id)
        .value(Warehouses::Active, w.active)
        .and_where(Expr::col(Warehouses::Id).eq(w.id))
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

pub async fn warehouse_by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<Warehouse>> {
    let stmt = Query::select()
        .columns(WAREHOUSE_COLS)
        .from(Warehouses::Table)
        .and_where(Expr::col(Warehouses::Id).eq(id))
        .to_owned();
    conn.query_one(&stmt).await?.as_ref().map(warehouse).transpose()
}

pub async fn warehouses<C: ConnectionTrait>(conn: &C) -> Result<Vec<Warehouse>> {
    let stmt = Query::select()
        .columns(WAREHOUSE_COLS)
        .from(Warehouses::Table)
        .order_by(Warehouses::Kind, Order::Asc)
        .order_by(Warehouses::Name, Order::Asc)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(warehouse).collect()
}

/// The van of engineer `owner`, if they have one.
pub async fn van_of<C: ConnectionTrait>(conn: &C, owner: Id) -> Result<Option<Warehouse>> {
    let stmt = Query::select()
        .columns(WAREHOUSE_COLS)
        .from(Warehouses::Table)
        .and_where(Expr::col(Warehouses::OwnerId).eq(owner))
        .and_where(Expr::col(Warehouses::Kind).eq(WarehouseKind::Van.code()))
        .order_by(Warehouses::Id, Order::Asc)
        .to_owned();
    conn.query_one(&stmt).await?.as_ref().map(warehouse).transpose()
}

// ---- stock ----

/// The stock of `part` in `warehouse` (its balance row; 0 when it never had any).
pub async fn stock<C: ConnectionTrait>(conn: &C, part: Id, warehouse: Id) -> Result<i64> {
    let stmt = Query::select()
        .column(StockBalances::Qty)
        .from(StockBalances::Table)
        .and_where(Expr::col(StockBalances::PartId).eq(part))
        .and_where(Expr::col(StockBalances::WarehouseId).eq(warehouse))
        .to_owned();
    Ok(match conn.query_one(&stmt).await? {
        Some(r) => get(&r, "qty")?,
        None => 0,
    })
}

/// Every part a warehouse holds or held: (part id, quantity), by part number.
pub async fn stock_of_warehouse<C: ConnectionTrait>(conn: &C, warehouse: Id) -> Result<Vec<(Id, i64)>> {
    let stmt = Query::select()
        .column((StockBalances::Table, StockBalances::PartId))
        .column((StockBalances::Table, StockBalances::Qty))
        .from(StockBalances::Table)
        .inner_join(
            Parts::Table,
            Expr::col((Parts::Table, Parts::Id)).equals((StockBalances::Table, StockBalances::PartId)),
        )
        .and_where(Expr::col((StockBalances::Table, StockBalances::WarehouseId)).eq(warehouse))
        .order_by((Parts::Table, Parts::Number), Order::Asc)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(|r| Ok((get(r, "part_id")?, get(r, "qty")?))).collect()
}

/// The sum of the ledger's deltas for `part` in `warehouse` (what the balance must equal).
pub async fn ledger_sum<C: ConnectionTrait>(conn: &C, part: Id, warehouse: Id) -> Result<i64> {
    // PostgreSQL sums BIGINT as NUMERIC: cast back.
    let stmt = Query::select()
        .expr_as(Expr::cust("COALESCE(CAST(SUM(delta) AS BIGINT), 0)"), Alias::new("s"))
        .from(StockMovements::Table)
        .and_where(Expr::col(StockMovements::PartId).eq(part))
        .and_where(Expr::col(StockMovements::WarehouseId).eq(warehouse))
        .to_owned();
    let row = conn.query_one(&stmt).await?.ok_or_else(|| StorageError::Corrupt("no ledger sum".into()))?;
    get(&row, "s")
}

/// Moves the balance of `part` in `warehouse` by `delta`; a decrease only while the stock
/// stays at or above zero. `Ok(false)`: not enough stock, nothing changed.
pub async fn shift_balance<C: ConnectionTrait>(conn: &C, part: Id, warehouse: Id, delta: i64) -> Result<bool> {
    if delta >= 0 {
        let stmt = Query::insert()
            .into_table(StockBalances::Table)
            .columns([StockBalances::PartId, StockBalances::WarehouseId, StockBalances::Qty])
            .values_panic([part.into(), warehouse.into(), delta.into()])
            .on_conflict(
                OnConflict::columns([StockBalances::PartId, StockBalances::WarehouseId])
                    .value(StockBalances::Qty, Expr::col((StockBalances::Table, StockBalances::Qty)).add(delta))
                    .to_owned(),
            )
            .to_owned();
        conn.execute(&stmt).await.map_err(StorageError::from_db)?;
        return Ok(true);
    }
    let n = -delta;
    let stmt = Query::update()
        .table(StockBalances::Table)
        .value(StockBalances::Qty, Expr::col(StockBalances::Qty).sub(n))
        .and_where(Expr::col(StockBalances::PartId).eq(part))
        .and_where(Expr::col(StockBalances::WarehouseId).eq(warehouse))
        .and_where(Expr::col(StockBalances::Qty).gte(n))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() == 1)
}

/// Writes ledger row `m` and moves the balance by its delta, in the caller's transaction.
/// `Ok(Err(available))` when the stock would go negative (nothing written).
pub async fn record<C: ConnectionTrait>(conn: &C, m: &Movement) -> Result<std::result::Result<Id, i64>> {
    if m.delta != 0 && !shift_balance(conn, m.part_id, m.warehouse_id, m.delta).await? {
        return Ok(Err(stock(conn, m.part_id, m.warehouse_id).await?));
    }
    let stmt = Query::insert()
        .into_table(StockMovements::Table)
        .columns([
            StockMovements::PartId,
            StockMovements::WarehouseId,
            StockMovements::Kind,
            StockMovements::Quantity,
            StockMovements::Delta,
            StockMovements::TicketId,
            StockMovements::RequisitionId,
            StockMovements::Serial,
            StockMovements::FaultySerial,
            StockMovements::Reason,
            StockMovements::ById,
            StockMovements::At,
        ])
        .values_panic([
            m.part_id.into(),
            m.warehouse_id.into(),
            m.kind.code().into(),
            m.quantity.into(),
            m.delta.into(),
            m.ticket_id.into(),
            m.requisition_id.into(),
            m.serial.clone().into(),
            m.faulty_serial.clone().into(),
            m.reason.clone().into(),
            m.by.into(),
            ms(m.at).into(),
        ])
        .to_owned();
    Ok(Ok(insert_returning_id(conn, stmt).await?))
}

const MOVEMENT_COLS: [StockMovements; 13] = [
    StockMovements::Id,
    StockMovements::PartId,
    StockMovements::WarehouseId,
    StockMovements::Kind,
    StockMovements::Quantity,
    StockMovements::Delta,
    StockMovements::TicketId,
    StockMovements::RequisitionId,
    StockMovements::Serial,
    StockMovements::FaultySerial,
    StockMovements::Reason,
    StockMovements::ById,
    StockMovements::At,
];

fn movement(r: &QueryResult) -> Result<Movement> {
    Ok(Movement {
        id: get(r, "id")?,
        part_id: get(r, "part_id")?,
        warehouse_id: get(r, "warehouse_id")?,
        kind: get_code(r, "kind", MovementKind::from_code)?,
        quantity: get(r, "quantity")?,
        delta: get(r, "delta")?,
        ticket_id: get(r, "ticket_id")?,
        requisition_id: get(r, "requisition_id")?,
        serial: get(r, "serial")?,
        faulty_serial: get(r, "faulty_serial")?,
        reason: get(r, "reason")?,
        by: get(r, "by_id")?,
        at: get_ts(r, "at")?,
    })
}

fn movements() -> SelectStatement {
    Query::select().columns(MOVEMENT_COLS).from(StockMovements::Table).to_owned()
}

/// The ledger of `part` in `warehouse`, newest first (through `ix_stock_movements_part`).
pub async fn ledger<C: ConnectionTrait>(
    conn: &C,
    part: Id,
    warehouse: Id,
    limit: u64,
    offset: u64,
) -> Result<Vec<Movement>> {
    let stmt = movements()
        .and_where(Expr::col(StockMovements::PartId).eq(part))
        .and_where(Expr::col(StockMovements::WarehouseId).eq(warehouse))
        .order_by(StockMovements::Id, Order::Desc)
        .limit(limit)
        .offset(offset)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(movement).collect()
}

/// The ledger rows of a requisition, oldest first.
pub async fn movements_of_requisition<C: ConnectionTrait>(conn: &C, requisition: Id) -> Result<Vec<Movement>> {
    let stmt = movements()
        .and_where(Expr::col(StockMovements::RequisitionId).eq(requisition))
        .order_by(StockMovements::Id, Order::Asc)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(movement).collect()
}

/// The parts used on a ticket (its `use` rows), oldest first, with their catalog names.
pub async fn used_on_ticket<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<Vec<PartUsed>> {
    let stmt = Query::select()
        .column((Parts::Table, Parts::Number))
        .column((Parts::Table, Parts::Name))
        .column((Parts::Table, Parts::Unit))
        .column((StockMovements::Table, StockMovements::Quantity))
        .column((StockMovements::Table, StockMovements::Serial))
        .column((StockMovements::Table, StockMovements::FaultySerial))
        .column((StockMovements::Table, StockMovements::At))
        .from(StockMovements::Table)
        .inner_join(
            Parts::Table,
            Expr::col((Parts::Table, Parts::Id)).equals((StockMovements::Table, StockMovements::PartId)),
        )
        .and_where(Expr::col((StockMovements::Table, StockMovements::TicketId)).eq(ticket))
        .and_where(Expr::col((StockMovements::Table, StockMovements::Kind)).eq(MovementKind::Use.code()))
        .order_by((StockMovements::Table, StockMovements::Id), Order::Asc)
        .to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            Ok(PartUsed {
                part_number: get(r, "number")?,
                part_name: get(r, "name")?,
                unit: get(r, "unit")?,
                quantity: get(r, "quantity")?,
                serial: get(r, "serial")?,
                faulty_serial: get(r, "faulty_serial")?,
                at: get_ts(r, "at")?,
            })
        })
        .collect()
}

// ---- requisitions ----

const REQ_COLS: [Requisitions; 20] = [
    Requisitions::Id,
    Requisitions::TicketId,
    Requisitions::PartId,
    Requisitions::Quantity,
    Requisitions::ValueFen,
    Requisitions::Status,
    Requisitions::EngineerId,
    Requisitions::Note,
    Requisitions::RequestedAt,
    Requisitions::DecidedBy,
    Requisitions::DecidedAt,
    Requisitions::DecisionNote,
    Requisitions::WarehouseId,
    Requisitions::IssuedBy,
    Requisitions::IssuedAt,
    Requisitions::Used,
    Requisitions::Returned,
    Requisitions::FaultyOwed,
    Requisitions::FaultyReturned,
    Requisitions::Version,
];

/// A requisition and the version it was read at.
fn requisition(r: &QueryResult) -> Result<(Requisition, i64)> {
    Ok((
        Requisition {
            id: get(r, "id")?,
            ticket_id: get(r, "ticket_id")?,
            part_id: get(r, "part_id")?,
            quantity: get(r, "quantity")?,
            value_fen: get(r, "value_fen")?,
            status: get_code(r, "status", RequisitionStatus::from_code)?,
            engineer_id: get(r, "engineer_id")?,
            note: get(r, "note")?,
            requested_at: get_ts(r, "requested_at")?,
            decided_by: get(r, "decided_by")?,
            decided_at: get_opt_ts(r, "decided_at")?,
            decision_note: get(r, "decision_note")?,
            warehouse_id: get(r, "warehouse_id")?,
            issued_by: get(r, "issued_by")?,
            issued_at: get_opt_ts(r, "issued_at")?,
            used: get(r, "used")?,
            returned: get(r, "returned")?,
            faulty_owed: get(r, "faulty_owed")?,
            faulty_returned: get(r, "faulty_returned")?,
        },
        get(r, "version")?,
    ))
}

/// What a requisition's decision, issue, use and returns change (insert and update name
/// each column once).
fn requisition_state(q: &Requisition) -> Vec<(Requisitions, Expr)> {
    vec![
        (Requisitions::Status, q.status.code().into()),
        (Requisitions::DecidedBy, q.decided_by.into()),
        (Requisitions::DecidedAt, opt_ms(q.decided_at).into()),
        (Requisitions::DecisionNote, q.decision_note.clone().into()),
        (Requisitions::WarehouseId, q.warehouse_id.into()),
        (Requisitions::IssuedBy, q.issued_by.into()),
        (Requisitions::IssuedAt, opt_ms(q.issued_at).into()),
        (Requisitions::Used, q.used.into()),
        (Requisitions::Returned, q.returned.into()),
        (Requisitions::FaultyOwed, q.faulty_owed.into()),
        (Requisitions::FaultyReturned, q.faulty_returned.into()),
    ]
}

pub async fn insert_requisition<C: ConnectionTrait>(conn: &C, q: &Requisition) -> Result<Id> {
    let mut fields = vec![
        (Requisitions::TicketId, q.ticket_id.into()),
        (Requisitions::PartId, q.part_id.into()),
        (Requisitions::Quantity, q.quantity.into()),
        (Requisitions::ValueFen, q.value_fen.into()),
        (Requisitions::EngineerId, q.engineer_id.into()),
        (Requisitions::Note, q.note.clone().into()),
        (Requisitions::RequestedAt, ms(q.requested_at).into()),
    ];
    fields.extend(requisition_state(q));
    insert_fields(conn, Requisitions::Table, fields).await
}

/// Writes `q` if it is still at `version`; false when someone changed it meanwhile.
pub async fn update_requisition<C: ConnectionTrait>(conn: &C, q: &Requisition, version: i64) -> Result<bool> {
    let mut fields = requisition_state(q);
    fields.push((Requisitions::Version, (version + 1).into()));
    let stmt = Query::update()
        .table(Requisitions::Table)
        .values(fields)
        .and_where(Expr::col(Requisitions::Id).eq(q.id))
        .and_where(Expr::col(Requisitions::Version).eq(version))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() == 1)
}

pub async fn requisition_by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<(Requisition, i64)>> {
    let stmt = Query::select()
        .columns(REQ_COLS)
        .from(Requisitions::Table)
        .and_where(Expr::col(Requisitions::Id).eq(id))
        .to_owned();
    conn.query_one(&stmt).await?.as_ref().map(requisition).transpose()
}

/// Which requisitions to list.
#[derive(Debug, Clone, Default)]
pub struct RequisitionFilter {
    pub status: Option<RequisitionStatus>,
    pub ticket_id: Option<Id>,
    pub engineer_id: Option<Id>,
}

/// Requisitions, newest first.
pub async fn requisitions<C: ConnectionTrait>(
    conn: &C,
    f: &RequisitionFilter,
    limit: u64,
    offset: u64,
) -> Result<Vec<Requisition>> {
    let mut stmt = Query::select().columns(REQ_COLS).from(Requisitions::Table).to_owned();
    if let Some(s) = f.status {
        stmt.and_where(Expr::col(Requisitions::Status).eq(s.code()));
    }
    if let Some(t) = f.ticket_id {
        stmt.and_where(Expr::col(Requisitions::TicketId).eq(t));
    }
    if let Some(e) = f.engineer_id {
        stmt.and_where(Expr::col(Requisitions::EngineerId).eq(e));
    }
    stmt.order_by(Requisitions::Id, Order::Desc).limit(limit).offset(offset);
    conn.query_all(&stmt).await?.iter().map(|r| requisition(r).map(|(q, _)| q)).collect()
}

/// How many requisitions are in each status.
pub async fn requisition_counts<C: ConnectionTrait>(conn: &C) -> Result<Vec<(RequisitionStatus, u64)>> {
    let stmt = Query::select()
        .column(Requisitions::Status)
        .expr_as(Func::count(Expr::col(Requisitions::Id)), Alias::new("n"))
        .from(Requisitions::Table)
        .group_by_col(Requisitions::Status)
        .to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            Ok((get_code(r, "status", RequisitionStatus::from_code)?, u64::try_from(get::<i64>(r, "n")?).unwrap_or(0)))
        })
        .collect()
}

/// How many of a ticket's requisitions are still open (awaiting approval or issue).
pub async fn open_requisitions<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<usize> {
    let open: Vec<&str> = RequisitionStatus::ALL.iter().filter(|s| s.is_open()).map(|s| s.code()).collect();
    let stmt = Query::select()
        .expr_as(Func::count(Expr::col(Requisitions::Id)), Alias::new("n"))
        .from(Requisitions::Table)
        .and_where(Expr::col(Requisitions::TicketId).eq(ticket))
        .and_where(Expr::col(Requisitions::Status).is_in(open))
        .to_owned();
    let row = conn.query_one(&stmt).await?.ok_or_else(|| StorageError::Corrupt("no count".into()))?;
    Ok(usize::try_from(get::<i64>(&row, "n")?).unwrap_or(0))
}

/// Display names of users (requisition lists name their engineers).
pub async fn user_names<C: ConnectionTrait>(conn: &C, ids: &[Id]) -> Result<Vec<(Id, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns([Users::Id, Users::DisplayName])
        .from(Users::Table)
        .and_where(Expr::col(Users::Id).is_in(ids.to_vec()))
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(|r| Ok((get(r, "id")?, get(r, "display_name")?))).collect()
}
