//! Spare parts (备件, issue 13): the catalog and warehouses, stock movements on the ledger,
//! and requisitions (申领) from a ticket through approval, issue, use and return.
//!
//! Who does what: the assigned engineer files, uses and returns (`RequestParts`, scope
//! assigned); the service supervisor approves a requisition worth more than the threshold
//! setting (`ApproveParts`), anything up to it is approved when filed; the parts keeper
//! (备件管理员) keeps the catalog and warehouses and issues (`ManageParts`, `MoveStock`); an
//! engineer may issue an approved requisition of their own from their own van (the parts
//! are already in their hands; the ledger still records it).
//!
//! Every use case is one write transaction: the requisition, its ledger rows (each moving
//! the balance with a conditional update, `storage::parts::record`), the ticket's resumed
//! wait with its history event, and the overdue check of a faulty part's return.

use aftersales_domain::error::{Conflict, Reason};
use aftersales_domain::lifecycle::Step;
use aftersales_domain::parts::{
    self, CustomerPartUsed, Movement, MovementKind, Part, PartInput, PartUsed, PartsProblem, Requisition,
    RequisitionStatus, Serials, Warehouse, WarehouseInput, WarehouseKind,
};
use aftersales_domain::permission::{self, Action, TicketScope};
use aftersales_domain::ticket::{Status, Ticket};
use aftersales_domain::{DomainError, Id, Timestamp, event, notice};
use aftersales_storage::parts::{self as store, RequisitionFilter};
use aftersales_storage::{Conn, WriteTx, users};
use serde::{Deserialize, Serialize};

use crate::jobs::{BackgroundJob, JobError, Subject};
use crate::tickets::load_visible;
use crate::users::Page;
use crate::{Actor, App, AppError, Result};

/// A stock movement a keeper records by hand (入库, 调拨, 盘点调整).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StockInput {
    /// `receive`, `transfer` or `adjust`.
    pub kind: Option<MovementKind>,
    pub part_id: Option<Id>,
    pub warehouse_id: Option<Id>,
    /// Transfers: where the parts go.
    pub to_warehouse_id: Option<Id>,
    /// How many (receive, transfer: at least 1); an adjustment's signed change (not 0).
    pub quantity: Option<i64>,
    /// Why (required for an adjustment).
    pub reason: Option<String>,
}

/// A requisition an engineer files from a ticket.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RequisitionInput {
    pub part_id: Option<Id>,
    pub quantity: Option<i64>,
    pub note: Option<String>,
}

/// A supervisor's decision on a requisition.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    pub approve: bool,
    /// Required to reject.
    pub note: Option<String>,
}

/// Where an approved requisition is issued from.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IssueInput {
    pub warehouse_id: Option<Id>,
}

/// Parts fitted to the device.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UseInput {
    pub quantity: Option<i64>,
    /// The new part's serial (required for a serial-tracked part).
    pub serial: Option<String>,
    /// The serial of the part taken out (required for a serial-tracked part).
    pub faulty_serial: Option<String>,
}

/// Parts coming back to the warehouse they were issued from.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReturnInput {
    pub quantity: Option<i64>,
    /// `true`: the faulty parts taken out (旧件返还); `false`: issued parts not used.
    #[serde(default)]
    pub faulty: bool,
    pub faulty_serial: Option<String>,
    pub note: Option<String>,
}

/// A part's stock in a warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StockLine {
    pub part: Part,
    pub quantity: i64,
}

/// A requisition with what a list shows beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequisitionRow {
    pub requisition: Requisition,
    pub part_number: String,
    pub part_name: String,
    pub engineer_name: String,
    pub ticket_number: String,
    /// Whether the supervisor's approval is needed (its value is above the threshold).
    pub needs_approval: bool,
}

/// A page of requisitions and how many are in each status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequisitionList {
    pub items: Vec<RequisitionRow>,
    pub counts: Vec<StatusCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusCount {
    pub status: RequisitionStatus,
    pub count: u64,
}

/// The parts used on a ticket in the reader's projection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum PartsUsed {
    Staff(Vec<PartUsed>),
    Customer(Vec<CustomerPartUsed>),
}

fn quantity(field: &'static str, q: Option<i64>) -> Result<i64> {
    let q = q.ok_or_else(|| AppError::invalid(field, Reason::Missing))?;
    parts::check_quantity(field, q).map_err(|(f, r)| AppError::invalid(f, r))
}

fn typed(field: &'static str, v: Option<&str>, max: usize) -> Result<Option<String>> {
    let mut p = Vec::new();
    let out = aftersales_domain::error::text(&mut p, field, v, max, false);
    AppError::unless_invalid(p)?;
    Ok(out)
}

async fn part_of<C: Conn>(conn: &C, id: Id) -> Result<Part> {
    store::part_by_id(conn, id).await?.ok_or_else(|| AppError::not_found("part", id))
}

async fn warehouse_of<C: Conn>(conn: &C, id: Id) -> Result<Warehouse> {
    store::warehouse_by_id(conn, id).await?.ok_or_else(|| AppError::not_found("warehouse", id))
}

async fn requisition_of<C: Conn>(conn: &C, id: Id) -> Result<(Requisition, i64)> {
    store::requisition_by_id(conn, id).await?.ok_or_else(|| AppError::not_found("requisition", id))
}

/// Writes ledger row `m`; more than the warehouse holds is refused with what it holds.
async fn record<C: Conn>(conn: &C, m: &Movement) -> Result<Id> {
    store::record(conn, m)
        .await?
        .map_err(|available| PartsProblem::InsufficientStock { available, asked: m.quantity }.into())
        .map_err(|e: DomainError| e.into())
}

async fn save<C: Conn>(conn: &C, q: &Requisition, version: i64) -> Result<()> {
    if store::update_requisition(conn, q, version).await? {
        Ok(())
    } else {
        Err(DomainError::from(PartsProblem::ChangedMeanwhile).into())
    }
}

impl App {
    // ---- catalog and warehouses ----

    pub async fn parts(&self, actor: &Actor) -> Result<Vec<Part>> {
        actor.require_staff(Action::ReadParts)?;
        Ok(store::parts(self.store.read()).await?)
    }

    pub async fn part(&self, actor: &Actor, id: Id) -> Result<Part> {
        actor.require_staff(Action::ReadParts)?;
        part_of(self.store.read(), id).await
    }

    pub async fn create_part(&self, actor: &Actor, input: &PartInput) -> Result<Part> {
        actor.require(Action::ManageParts)?;
        let mut p = input.apply(None).map_err(DomainError::Invalid)?;
        let tx = self.store.write().await?;
        p.id = store::insert_part(&*tx, &p, self.now()).await.map_err(|e| duplicate_as(e, "number"))?;
        tx.commit().await?;
        Ok(p)
    }

    pub async fn update_part(&self, actor: &Actor, id: Id, input: &PartInput) -> Result<Part> {
        actor.require(Action::ManageParts)?;
        let tx = self.store.write().await?;
        let old = part_of(&*tx, id).await?;
        let p = input.apply(Some(&old)).map_err(DomainError::Invalid)?;
        store::update_part(&*tx, &p).await.map_err(|e| duplicate_as(e, "number"))?;
        tx.commit().await?;
        Ok(p)
    }

    pub async fn warehouses(&self, actor: &Actor) -> Result<Vec<Warehouse>> {
        actor.require_staff(Action::ReadParts)?;
        Ok(store::warehouses(self.store.read()).await?)
    }

    pub async fn warehouse(&self, actor: &Actor, id: Id) -> Result<Warehouse> {
        actor.require_staff(Action::ReadParts)?;
        warehouse_of(self.store.read(), id).await
    }

    pub async fn create_warehouse(&self, actor: &Actor, input: &WarehouseInput) -> Result<Warehouse> {
        actor.require(Action::ManageParts)?;
        let mut w = input.apply(None).map_err(DomainError::Invalid)?;
        let tx = self.store.write().await?;
        check_owner(&*tx, &w).await?;
        w.id = store::insert_warehouse(&*tx, &w).await.map_err(|e| duplicate_as(e, "name"))?;
        tx.commit().await?;
        Ok(w)
    }

    pub async fn update_warehouse(&self, actor: &Actor, id: Id, input: &WarehouseInput) -> Result<Warehouse> {
        actor.require(Action::ManageParts)?;
        let tx = self.store.write().await?;
        let old = warehouse_of(&*tx, id).await?;
        let w = input.apply(Some(&old)).map_err(DomainError::Invalid)?;
        check_owner(&*tx, &w).await?;
        store::update_warehouse(&*tx, &w).await.map_err(|e| duplicate_as(e, "name"))?;
        tx.commit().await?;
        Ok(w)
    }

    // ---- stock ----

    /// What a warehouse holds, by part number.
    pub async fn stock(&self, actor: &Actor, warehouse: Id) -> Result<Vec<StockLine>> {
        actor.require_staff(Action::ReadParts)?;
        let conn = self.store.read();
        warehouse_of(conn, warehouse).await?;
        let catalog = store::parts(conn).await?;
        Ok(store::stock_of_warehouse(conn, warehouse)
            .await?
            .into_iter()
            .filter_map(|(part, quantity)| {
                catalog.iter().find(|p| p.id == part).map(|p| StockLine { part: p.clone(), quantity })
            })
            .collect())
    }

    /// The stock of one part in one warehouse (a stock check: one key read).
    pub async fn stock_of(&self, actor: &Actor, part: Id, warehouse: Id) -> Result<i64> {
        actor.require_staff(Action::ReadParts)?;
        let conn = self.store.read();
        part_of(conn, part).await?;
        warehouse_of(conn, warehouse).await?;
        Ok(store::stock(conn, part, warehouse).await?)
    }

    /// A part's ledger in a warehouse, newest first.
    pub async fn ledger(&self, actor: &Actor, part: Id, warehouse: Id, page: Page) -> Result<Vec<Movement>> {
        actor.require_staff(Action::ReadParts)?;
        let conn = self.store.read();
        part_of(conn, part).await?;
        warehouse_of(conn, warehouse).await?;
        let (limit, offset) = (page.limit(), page.offset());
        Ok(store::ledger(conn, part, warehouse, limit, offset).await?)
    }

    /// 入库, 调拨 or 盘点调整 by a keeper: the rows written (a transfer writes two).
    pub async fn move_stock(&self, actor: &Actor, input: &StockInput) -> Result<Vec<Movement>> {
        actor.require(Action::MoveStock)?;
        let kind = input.kind.ok_or_else(|| AppError::invalid("kind", Reason::Missing))?;
        let part_id = input.part_id.ok_or_else(|| AppError::invalid("part_id", Reason::Missing))?;
        let wh_id = input.warehouse_id.ok_or_else(|| AppError::invalid("warehouse_id", Reason::Missing))?;
        let reason = typed("reason", input.reason.as_deref(), 500)?;
        let tx = self.store.write().await?;
        part_of(&*tx, part_id).await?;
        let wh = warehouse_of(&*tx, wh_id).await?;
        let now = self.now();
        let row = |warehouse_id: Id, quantity: i64, delta: i64| Movement {
            id: 0,
            part_id,
            warehouse_id,
            kind,
            quantity,
            delta,
            ticket_id: None,
            requisition_id: None,
            serial: None,
            faulty_serial: None,
            reason: reason.clone(),
            by: actor.id(),
            at: now,
        };
        let rows = match kind {
            MovementKind::Receive => {
                let n = quantity("quantity", input.quantity)?;
                if !wh.active {
                    return Err(DomainError::from(PartsProblem::WarehouseInactive).into());
                }
                vec![row(wh.id, n, n)]
            }
            MovementKind::Transfer => {
                let n = quantity("quantity", input.quantity)?;
                let to_id =
                    input.to_warehouse_id.ok_or_else(|| AppError::invalid("to_warehouse_id", Reason::Missing))?;
                let to = warehouse_of(&*tx, to_id).await?;
                if to.id == wh.id {
                    return Err(DomainError::from(PartsProblem::SameWarehouse).into());
                }
                if !to.active {
                    return Err(DomainError::from(PartsProblem::WarehouseInactive).into());
                }
                vec![row(wh.id, n, -n), row(to.id, n, n)]
            }
            MovementKind::Adjust => {
                let d = input.quantity.ok_or_else(|| AppError::invalid("quantity", Reason::Missing))?;
                parts::check_quantity("quantity", d.abs()).map_err(|(f, r)| AppError::invalid(f, r))?;
                if reason.is_none() {
                    return Err(AppError::invalid("reason", Reason::Missing));
                }
                vec![row(wh.id, d.abs(), d)]
            }
            _ => {
                return Err(AppError::invalid(
                    "kind",
                    Reason::Mismatch {
                        detail_en: "is recorded through a requisition (receive, transfer or adjust here)",
                        detail_zh: "须通过备件申领登记（此处只能入库、调拨或盘点调整）",
                    },
                ));
            }
        };
        let mut out = Vec::with_capacity(rows.len());
        for mut m in rows {
            m.id = record(&*tx, &m).await?;
            out.push(m);
        }
        tx.commit().await?;
        Ok(out)
    }

    // ---- requisitions ----

    /// 申领: the assigned engineer asks for a part for the ticket's device. Approved at once
    /// up to the threshold (`domain::parts::needs_approval`), else waits for a supervisor.
    pub async fn request_parts(&self, actor: &Actor, ticket: Id, input: &RequisitionInput) -> Result<Requisition> {
        actor.require_staff(Action::RequestParts)?;
        let part_id = input.part_id.ok_or_else(|| AppError::invalid("part_id", Reason::Missing))?;
        let n = quantity("quantity", input.quantity)?;
        let note = typed("note", input.note.as_deref(), 500)?;
        let tx = self.store.write().await?;
        let t = load_visible(&*tx, actor, ticket).await?;
        assigned(actor, &t, Action::RequestParts)?;
        if !matches!(t.status, Status::Responded | Status::InProgress | Status::WaitingCustomer | Status::WaitingParts)
        {
            return Err(DomainError::from(PartsProblem::TicketNotWorked).into());
        }
        let part = part_of(&*tx, part_id).await?;
        if !part.fits(t.device_model.as_deref()) {
            return Err(DomainError::from(PartsProblem::NotApplicable {
                number: part.number.clone(),
                model: t.device_model.clone().unwrap_or_default(),
            })
            .into());
        }
        let mut q =
            Requisition::file(t.id, &part, n, actor.id(), note, self.settings.parts_approval_threshold_fen, self.now())
                .map_err(DomainError::from)?;
        q.id = store::insert_requisition(&*tx, &q).await?;
        tx.commit().await?;
        Ok(q)
    }

    /// One requisition (staff).
    pub async fn requisition(&self, actor: &Actor, id: Id) -> Result<RequisitionRow> {
        actor.require_staff(Action::ReadParts)?;
        let conn = self.store.read();
        let (q, _) = requisition_of(conn, id).await?;
        Ok(self.rows(conn, vec![q]).await?.remove(0))
    }

    /// Requisitions, newest first, with the counts by status (the approver's and keeper's
    /// list; an engineer's own with `engineer_id`).
    pub async fn requisitions(
        &self,
        actor: &Actor,
        status: Option<RequisitionStatus>,
        ticket_id: Option<Id>,
        engineer_id: Option<Id>,
        page: Page,
    ) -> Result<RequisitionList> {
        actor.require_staff(Action::ReadParts)?;
        let conn = self.store.read();
        let (limit, offset) = (page.limit(), page.offset());
        let f = RequisitionFilter { status, ticket_id, engineer_id };
        let list = store::requisitions(conn, &f, limit, offset).await?;
        let counts = store::requisition_counts(conn).await?;
        Ok(RequisitionList {
            items: self.rows(conn, list).await?,
            counts: RequisitionStatus::ALL
                .iter()
                .map(|&s| StatusCount { status: s, count: counts.iter().find(|(c, _)| *c == s).map_or(0, |(_, n)| *n) })
                .collect(),
        })
    }

    async fn rows<C: Conn>(&self, conn: &C, list: Vec<Requisition>) -> Result<Vec<RequisitionRow>> {
        let mut ids: Vec<Id> = list.iter().map(|q| q.engineer_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let names = store::user_names(conn, &ids).await?;
        let catalog = store::parts(conn).await?;
        let mut out = Vec::with_capacity(list.len());
        for q in list {
            let part = catalog.iter().find(|p| p.id == q.part_id);
            let number = aftersales_storage::tickets::by_id(conn, q.ticket_id)
                .await?
                .map(|t| t.number.to_string())
                .unwrap_or_default();
            out.push(RequisitionRow {
                part_number: part.map(|p| p.number.clone()).unwrap_or_default(),
                part_name: part.map(|p| p.name.clone()).unwrap_or_default(),
                engineer_name: names
                    .iter()
                    .find(|(i, _)| *i == q.engineer_id)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default(),
                ticket_number: number,
                needs_approval: parts::needs_approval(q.value_fen, self.settings.parts_approval_threshold_fen),
                requisition: q,
            });
        }
        Ok(out)
    }

    /// A supervisor approves or rejects a pending requisition. A rejection that leaves the
    /// ticket waiting for nothing ends its wait.
    pub async fn decide_requisition(&self, actor: &Actor, id: Id, input: &DecisionInput) -> Result<Requisition> {
        actor.require(Action::ApproveParts)?;
        let note = typed("note", input.note.as_deref(), 500)?;
        let tx = self.store.write().await?;
        let (mut q, version) = requisition_of(&*tx, id).await?;
        q.decide(input.approve, note, actor.id(), self.now())?;
        save(&*tx, &q, version).await?;
        if !input.approve {
            self.end_wait(&tx, actor, q.ticket_id, &q).await?;
        }
        tx.commit().await?;
        Ok(q)
    }

    /// 发放: an approved requisition handed over from a warehouse (the keeper) or from the
    /// engineer's own van (the engineer); the stock leaves the warehouse in the same
    /// transaction, never below zero, and a ticket waiting for these parts resumes.
    pub async fn issue_requisition(&self, actor: &Actor, id: Id, input: &IssueInput) -> Result<Requisition> {
        actor.require_staff(Action::ReadParts)?;
        // The keeper issues from any warehouse, an engineer from their own van only.
        if !permission::allows(actor.user.role, Action::MoveStock) {
            actor.require(Action::RequestParts)?;
        }
        let tx = self.store.write().await?;
        let (mut q, version) = requisition_of(&*tx, id).await?;
        let wh = match input.warehouse_id {
            Some(w) => warehouse_of(&*tx, w).await?,
            None => match store::van_of(&*tx, q.engineer_id).await? {
                Some(v) if v.owner_id == Some(actor.id()) => v,
                _ => return Err(AppError::invalid("warehouse_id", Reason::Missing)),
            },
        };
        // The keeper issues from any warehouse; an engineer only their own requisition
        // from their own van.
        let own_van = wh.kind == WarehouseKind::Van && wh.owner_id == Some(actor.id());
        if own_van && q.engineer_id != actor.id() {
            return Err(DomainError::from(PartsProblem::NotYourRequisition).into());
        }
        if !own_van {
            if wh.kind == WarehouseKind::Van && !permission::allows(actor.user.role, Action::MoveStock) {
                return Err(DomainError::from(PartsProblem::NotYourVan).into());
            }
            actor.require(Action::MoveStock)?;
        }
        if !wh.active {
            return Err(DomainError::from(PartsProblem::WarehouseInactive).into());
        }
        let now = self.now();
        q.issue(wh.id, actor.id(), now).map_err(DomainError::from)?;
        save(&*tx, &q, version).await?;
        let m = movement(&q, MovementKind::Issue, wh.id, q.quantity, -q.quantity, actor.id(), now);
        record(&*tx, &m).await?;
        self.end_wait(&tx, actor, q.ticket_id, &q).await?;
        tx.commit().await?;
        Ok(q)
    }

    /// 使用: issued parts fitted to the device, with the serials of a serial-tracked part;
    /// the faulty part taken out is owed back within `faulty_return_days`, checked by a
    /// job written in this transaction.
    pub async fn use_parts(&self, actor: &Actor, id: Id, input: &UseInput) -> Result<Requisition> {
        actor.require_staff(Action::RequestParts)?;
        let n = quantity("quantity", input.quantity)?;
        let serials = Serials {
            serial: typed("serial", input.serial.as_deref(), 100)?,
            faulty_serial: typed("faulty_serial", input.faulty_serial.as_deref(), 100)?,
        };
        let tx = self.store.write().await?;
        let (mut q, version) = self.own_requisition(&tx, actor, id).await?;
        let part = part_of(&*tx, q.part_id).await?;
        let owed_before = q.faulty_outstanding();
        q.record_use(&part, n, &serials)?;
        save(&*tx, &q, version).await?;
        let now = self.now();
        let wh = q.warehouse_id.ok_or_else(|| AppError::internal("issued requisition", "without warehouse"))?;
        let mut m = movement(&q, MovementKind::Use, wh, n, 0, actor.id(), now);
        m.serial = serials.serial;
        m.faulty_serial = serials.faulty_serial;
        let use_id = record(&*tx, &m).await?;
        if q.faulty_outstanding() > owed_before {
            let due = parts::faulty_due(now, self.settings.faulty_return_days);
            self.enqueue(&*tx, &FaultyReturnCheck { requisition: q.id, use_id }, due).await?;
        }
        // Issue 15: the ticket's parts cost in its report facts.
        self.settle_facts_of(&*tx, q.ticket_id).await?;
        tx.commit().await?;
        Ok(q)
    }

    /// 退回: issued parts not used (back into stock), or faulty parts taken out (旧件返还,
    /// kept apart from usable stock), to the warehouse they were issued from.
    pub async fn return_parts(&self, actor: &Actor, id: Id, input: &ReturnInput) -> Result<Requisition> {
        actor.require_staff(Action::RequestParts)?;
        let n = quantity("quantity", input.quantity)?;
        let note = typed("note", input.note.as_deref(), 500)?;
        let faulty_serial = typed("faulty_serial", input.faulty_serial.as_deref(), 100)?;
        let tx = self.store.write().await?;
        let (mut q, version) = self.own_requisition(&tx, actor, id).await?;
        let kind = if input.faulty {
            q.return_faulty(n).map_err(DomainError::from)?;
            MovementKind::ReturnFaulty
        } else {
            q.return_unused(n).map_err(DomainError::from)?;
            MovementKind::ReturnUnused
        };
        save(&*tx, &q, version).await?;
        let wh = q.warehouse_id.ok_or_else(|| AppError::internal("issued requisition", "without warehouse"))?;
        let delta = if input.faulty { 0 } else { n };
        let mut m = movement(&q, kind, wh, n, delta, actor.id(), self.now());
        m.faulty_serial = faulty_serial;
        m.reason = note;
        record(&*tx, &m).await?;
        tx.commit().await?;
        Ok(q)
    }

    /// The parts used on a ticket, in the reader's projection: staff see serials, a
    /// customer contact (their own organization's ticket) the part number, name and
    /// quantity (DOMAIN §8). What the service report lists.
    pub async fn parts_used(&self, actor: &Actor, ticket: Id) -> Result<PartsUsed> {
        actor.require(Action::ReadTicket)?;
        let conn = self.store.read();
        load_visible(conn, actor, ticket).await?;
        let used = store::used_on_ticket(conn, ticket).await?;
        Ok(if actor.is_customer() {
            PartsUsed::Customer(used.iter().map(CustomerPartUsed::project).collect())
        } else {
            PartsUsed::Staff(used)
        })
    }

    /// The ticket's requisitions (its page's parts section).
    pub async fn ticket_requisitions(&self, actor: &Actor, ticket: Id) -> Result<Vec<RequisitionRow>> {
        actor.require_staff(Action::ReadParts)?;
        let conn = self.store.read();
        load_visible(conn, actor, ticket).await?;
        let f = RequisitionFilter { ticket_id: Some(ticket), ..RequisitionFilter::default() };
        let list = store::requisitions(conn, &f, 200, 0).await?;
        self.rows(conn, list).await
    }

    /// A requisition the actor may use or return from: their own, on a ticket still theirs
    /// (a supervisor may act for an engineer).
    async fn own_requisition(&self, tx: &WriteTx, actor: &Actor, id: Id) -> Result<(Requisition, i64)> {
        let (q, version) = requisition_of(&**tx, id).await?;
        let t = load_visible(&**tx, actor, q.ticket_id).await?;
        if permission::scope(actor.user.role, Action::RequestParts) == TicketScope::Assigned {
            if q.engineer_id != actor.id() {
                return Err(DomainError::from(PartsProblem::NotYourRequisition).into());
            }
            assigned(actor, &t, Action::RequestParts)?;
        }
        Ok((q, version))
    }

    /// DOMAIN §2 / issue 13: the wait for parts ends when the ticket's last open
    /// requisition is settled (issued, or rejected), as the Resume step does, with its
    /// history event, in the caller's transaction.
    async fn end_wait(&self, tx: &WriteTx, actor: &Actor, ticket: Id, q: &Requisition) -> Result<()> {
        // Two requisitions of one waiting ticket settled at the same instant: without the
        // lock, each transaction (PostgreSQL, read committed) would count the other's
        // requisition as still open and neither would end the wait. With it, the second
        // waits for the first and then counts what it committed.
        aftersales_storage::tickets::lock(&**tx, ticket).await?;
        let Some(mut t) = aftersales_storage::tickets::by_id(&**tx, ticket).await? else { return Ok(()) };
        if t.status != Status::WaitingParts || !parts::wait_ends(store::open_requisitions(&**tx, ticket).await?) {
            return Ok(());
        }
        let before = t.clone();
        t.resume()?;
        let note = match q.status {
            RequisitionStatus::Rejected => format!("备件申领 #{} 已驳回，结束等待备件 / requisition rejected", q.id),
            _ => format!("备件申领 #{} 已发放，结束等待备件 / parts issued", q.id),
        };
        let changes = event::diff(&before, &t);
        let based_on = t.version;
        let event_id =
            self.apply_event(tx, &mut t, actor, Step::Resume.code(), changes, Some(note), None, based_on).await?;
        self.raise_for_step(tx, Step::Resume, &before, &t, event_id).await?;
        Ok(())
    }

    /// WaitForParts only with an open requisition (issue 13); in the step's transaction.
    pub(crate) async fn check_waiting_for_parts<C: Conn>(&self, conn: &C, ticket: Id) -> Result<()> {
        if store::open_requisitions(conn, ticket).await? == 0 {
            return Err(DomainError::from(PartsProblem::NoOpenRequisition).into());
        }
        Ok(())
    }
}

/// An engineer works only on tickets assigned to them.
fn assigned(actor: &Actor, t: &Ticket, action: Action) -> Result<()> {
    if permission::scope(actor.user.role, action) == TicketScope::Assigned && !t.is_assigned_to(actor.id()) {
        return Err(DomainError::from(Conflict::NotAssigned).into());
    }
    Ok(())
}

fn movement(
    q: &Requisition,
    kind: MovementKind,
    warehouse: Id,
    quantity: i64,
    delta: i64,
    by: Id,
    at: Timestamp,
) -> Movement {
    Movement {
        id: 0,
        part_id: q.part_id,
        warehouse_id: warehouse,
        kind,
        quantity,
        delta,
        ticket_id: Some(q.ticket_id),
        requisition_id: Some(q.id),
        serial: None,
        faulty_serial: None,
        reason: None,
        by,
        at,
    }
}

/// A van's owner is an active engineer.
async fn check_owner<C: Conn>(conn: &C, w: &Warehouse) -> Result<()> {
    if let Some(owner) = w.owner_id {
        let u = users::user_by_id(conn, owner).await?;
        if u.is_none_or(|u| u.role.line().is_none()) {
            return Err(AppError::invalid(
                "owner_id",
                Reason::Mismatch { detail_en: "is not an engineer", detail_zh: "不是工程师" },
            ));
        }
    }
    Ok(())
}

fn duplicate_as(e: aftersales_storage::StorageError, field: &'static str) -> AppError {
    match e {
        aftersales_storage::StorageError::Duplicate(_) => AppError::invalid(field, Reason::Duplicate),
        e => e.into(),
    }
}

/// The check, `faulty_return_days` after a serial-tracked part was used, that its faulty
/// part came back; if not, the engineer and the supervisor are told (notice key per use,
/// so once, however often the job runs).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaultyReturnCheck {
    pub requisition: Id,
    pub use_id: Id,
}

impl BackgroundJob for FaultyReturnCheck {
    const KIND: &'static str = "faulty_return_check";
    const DEDUPLICATED: bool = true;

    fn subject(&self) -> Subject {
        Subject::of("requisition", self.requisition)
    }

    fn dedup_key(&self) -> String {
        self.use_id.to_string()
    }

    async fn run(&self, app: &App) -> std::result::Result<(), JobError> {
        app.check_faulty_return(self).await.map_err(|e| Box::new(e) as JobError)
    }
}

impl App {
    async fn check_faulty_return(&self, job: &FaultyReturnCheck) -> Result<()> {
        let tx = self.store.write().await?;
        let Some((q, _)) = store::requisition_by_id(&*tx, job.requisition).await? else { return Ok(()) };
        let owed = q.faulty_outstanding();
        if owed > 0
            && let Some(t) = aftersales_storage::tickets::by_id(&*tx, q.ticket_id).await?
        {
            let part = part_of(&*tx, q.part_id).await?;
            let spec = notice::on_faulty_overdue(&t, q.id, job.use_id, &part, owed, self.settings.faulty_return_days);
            self.raise(&*tx, &t, &spec, self.now()).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
