//! Spare parts (备件, DOMAIN §2): the catalog, warehouses (a central store and each
//! engineer's van), the stock ledger every movement is written to, and the requisition
//! (申领) an engineer files from a ticket: approved (by value), issued from a warehouse or
//! the engineer's van, then used on the device or returned.
//!
//! Stock is what the ledger says: each row moves a quantity in or out of one warehouse's
//! usable stock (`delta`), and the stock of a part in a warehouse is the sum of its rows'
//! deltas. It can never go below zero: every movement out is checked against the stock in
//! the transaction that writes it (storage keeps a balance row per part and warehouse,
//! decremented only `WHERE qty >= n`).

use serde::{Deserialize, Serialize};

use crate::coded_enum;
use crate::error::{Field, Reason};
use crate::lang::Lang;
use crate::{Id, Timestamp};

/// Default value (fen) above which a requisition needs a supervisor's approval: ¥500.
pub const DEFAULT_APPROVAL_THRESHOLD_FEN: i64 = 50_000;
/// Default days a faulty part has to come back in (issue 13).
pub const DEFAULT_FAULTY_RETURN_DAYS: i64 = 7;
/// The most of one part moved at once (a typo guard: 1000000 drums is not a requisition).
pub const MAX_QUANTITY: i64 = 100_000;

/// A part in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Part {
    pub id: Id,
    /// 备件编号, unique.
    pub number: String,
    pub name: String,
    /// 单位 (个, 套, 支 …).
    pub unit: String,
    /// Unit price in fen (分).
    pub price_fen: i64,
    /// Device models it fits; empty: any model.
    pub models: Vec<String>,
    /// Tracked by serial number: a use records the new part's and the faulty part's serial,
    /// and the faulty part must come back to the warehouse.
    pub serial_tracked: bool,
    pub active: bool,
}

impl Part {
    /// Whether the part fits a device of `model` (no model known: any part may be asked for).
    pub fn fits(&self, model: Option<&str>) -> bool {
        match model.map(str::trim).filter(|m| !m.is_empty()) {
            None => true,
            Some(m) => self.models.is_empty() || self.models.iter().any(|x| x.eq_ignore_ascii_case(m)),
        }
    }
}

/// A new or edited part, as an administrator or parts keeper types it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PartInput {
    pub number: Option<String>,
    pub name: Option<String>,
    pub unit: Option<String>,
    pub price_fen: Option<i64>,
    pub models: Option<Vec<String>>,
    pub serial_tracked: Option<bool>,
    pub active: Option<bool>,
}

impl PartInput {
    /// The part this input makes from `base` (a new part: every required field given),
    /// or every refused field at once.
    pub fn apply(&self, base: Option<&Part>) -> Result<Part, Vec<(Field, Reason)>> {
        let mut p = Vec::new();
        let new = base.is_none();
        let text = |p: &mut Vec<_>, field, v: &Option<String>, old: Option<&String>, max| match v {
            Some(_) => crate::error::text(p, field, v.as_deref(), max, true).unwrap_or_default(),
            None if new => crate::error::text(p, field, None, max, true).unwrap_or_default(),
            None => old.cloned().unwrap_or_default(),
        };
        let number = text(&mut p, "number", &self.number, base.map(|b| &b.number), 40);
        let name = text(&mut p, "name", &self.name, base.map(|b| &b.name), 100);
        let unit = text(&mut p, "unit", &self.unit, base.map(|b| &b.unit), 10);
        let price_fen = match (self.price_fen, base) {
            (Some(v), _) if v < 0 => {
                p.push(("price_fen", NOT_NEGATIVE));
                0
            }
            (Some(v), _) => v,
            (None, Some(b)) => b.price_fen,
            (None, None) => {
                p.push(("price_fen", Reason::Missing));
                0
            }
        };
        let models = match &self.models {
            Some(m) => {
                let mut out: Vec<String> = Vec::new();
                for x in m {
                    if let Some(v) = crate::error::text(&mut p, "models", Some(x), 60, false)
                        && !out.iter().any(|o| o.eq_ignore_ascii_case(&v))
                    {
                        out.push(v);
                    }
                }
                out
            }
            None => base.map(|b| b.models.clone()).unwrap_or_default(),
        };
        if !p.is_empty() {
            return Err(p);
        }
        Ok(Part {
            id: base.map_or(0, |b| b.id),
            number,
            name,
            unit,
            price_fen,
            models,
            serial_tracked: self.serial_tracked.or(base.map(|b| b.serial_tracked)).unwrap_or(false),
            active: self.active.or(base.map(|b| b.active)).unwrap_or(true),
        })
    }
}

const NOT_NEGATIVE: Reason = Reason::Mismatch { detail_en: "must not be negative", detail_zh: "不能为负数" };

coded_enum! {
    /// What a warehouse is.
    pub enum WarehouseKind {
        Central = ("central", "仓库", "Warehouse"),
        /// An engineer's van stock (车载库存), owned by the engineer.
        Van = ("van", "车载库存", "Van stock"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Warehouse {
    pub id: Id,
    pub name: String,
    pub kind: WarehouseKind,
    /// The engineer whose van it is (vans only).
    pub owner_id: Option<Id>,
    pub active: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WarehouseInput {
    pub name: Option<String>,
    pub kind: Option<WarehouseKind>,
    pub owner_id: Option<Id>,
    pub active: Option<bool>,
}

impl WarehouseInput {
    pub fn apply(&self, base: Option<&Warehouse>) -> Result<Warehouse, Vec<(Field, Reason)>> {
        let mut p = Vec::new();
        let name = match (&self.name, base) {
            (None, Some(b)) => b.name.clone(),
            (v, _) => crate::error::text(&mut p, "name", v.as_deref(), 60, true).unwrap_or_default(),
        };
        let kind = self.kind.or(base.map(|b| b.kind)).unwrap_or(WarehouseKind::Central);
        let owner_id = if self.owner_id.is_some() { self.owner_id } else { base.and_then(|b| b.owner_id) };
        match (kind, owner_id) {
            (WarehouseKind::Van, None) => p.push(("owner_id", Reason::Missing)),
            (WarehouseKind::Central, Some(_)) => p.push((
                "owner_id",
                Reason::Mismatch {
                    detail_en: "only a van has an owner", detail_zh: "只有车载库存有所属工程师"
                },
            )),
            _ => {}
        }
        if !p.is_empty() {
            return Err(p);
        }
        Ok(Warehouse {
            id: base.map_or(0, |b| b.id),
            name,
            kind,
            owner_id,
            active: self.active.or(base.map(|b| b.active)).unwrap_or(true),
        })
    }
}

coded_enum! {
    /// What a ledger row records.
    pub enum MovementKind {
        /// 入库: parts arrive from the supplier.
        Receive = ("receive", "入库", "Receive"),
        /// 调拨: out of one warehouse (negative) and into another (positive), two rows.
        Transfer = ("transfer", "调拨", "Transfer"),
        /// 发放: handed to the engineer for a requisition; leaves the warehouse's stock.
        Issue = ("issue", "发放", "Issue"),
        /// 使用: fitted to the customer's device (serials recorded); stock was moved at issue.
        Use = ("use", "使用", "Use on device"),
        /// 退回未用: an issued part comes back unused, into stock again.
        ReturnUnused = ("return_unused", "退回未用", "Return unused"),
        /// 旧件返还: the faulty part taken out comes back (not usable stock).
        ReturnFaulty = ("return_faulty", "旧件返还", "Return faulty"),
        /// 盘点调整: a correction, with its reason.
        Adjust = ("adjust", "盘点调整", "Adjust"),
    }
}

/// One row of the stock ledger: append-only, never updated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Movement {
    pub id: Id,
    pub part_id: Id,
    pub warehouse_id: Id,
    pub kind: MovementKind,
    /// How many parts the row is about (always positive).
    pub quantity: i64,
    /// Its effect on the warehouse's usable stock (negative: out).
    pub delta: i64,
    pub ticket_id: Option<Id>,
    pub requisition_id: Option<Id>,
    /// The new part's serial (use).
    pub serial: Option<String>,
    /// The faulty part's serial (use, return faulty).
    pub faulty_serial: Option<String>,
    /// Why (adjust), or a note.
    pub reason: Option<String>,
    pub by: Id,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
}

coded_enum! {
    /// Where a requisition stands.
    pub enum RequisitionStatus {
        /// 待审批: above the threshold, waiting for a supervisor.
        Pending = ("pending", "待审批", "Awaiting approval"),
        /// 待发放: approved, waiting for the keeper (or the engineer's own van).
        Approved = ("approved", "待发放", "Approved, to be issued"),
        Rejected = ("rejected", "已驳回", "Rejected"),
        /// 已发放: in the engineer's hands; used or returned part by part.
        Issued = ("issued", "已发放", "Issued"),
        /// 已完结: every issued part used or returned.
        Done = ("done", "已完结", "Done"),
    }
}

impl RequisitionStatus {
    /// Still waited for: a ticket may wait for parts only while one is open (issue 13).
    pub fn is_open(self) -> bool {
        matches!(self, RequisitionStatus::Pending | RequisitionStatus::Approved)
    }
}

/// 申领: parts an engineer asks for, for one ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Requisition {
    pub id: Id,
    pub ticket_id: Id,
    pub part_id: Id,
    pub quantity: i64,
    /// The part's price when asked for, times the quantity (what the approval weighed).
    pub value_fen: i64,
    pub status: RequisitionStatus,
    /// The engineer who asked (and who uses or returns the parts).
    pub engineer_id: Id,
    pub note: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub requested_at: Timestamp,
    /// Who approved or rejected; none when approved automatically (below the threshold).
    pub decided_by: Option<Id>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub decided_at: Option<Timestamp>,
    pub decision_note: Option<String>,
    pub warehouse_id: Option<Id>,
    pub issued_by: Option<Id>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub issued_at: Option<Timestamp>,
    pub used: i64,
    pub returned: i64,
    /// Faulty parts owed back (serial-tracked parts used) and those returned.
    pub faulty_owed: i64,
    pub faulty_returned: i64,
}

/// Who decides a requisition of `value_fen` (issue 13): up to the threshold it is approved
/// when filed, since an engineer on site should not wait for a ¥30 pickup roller and the
/// ledger records every issue anyway; above it the service supervisor (服务主管), who owns
/// the cost of the service, approves. `true`: needs a supervisor.
pub fn needs_approval(value_fen: i64, threshold_fen: i64) -> bool {
    value_fen > threshold_fen
}

/// A quantity someone typed: a whole number of at least one.
pub fn check_quantity(field: Field, q: i64) -> Result<i64, (Field, Reason)> {
    if q < 1 {
        Err((
            field,
            Reason::Mismatch {
                detail_en: "must be a whole number of at least 1", detail_zh: "须为不小于 1 的整数"
            },
        ))
    } else if q > MAX_QUANTITY {
        Err((field, Reason::Mismatch { detail_en: "is more than 100000", detail_zh: "不能超过 100000" }))
    } else {
        Ok(q)
    }
}

impl Requisition {
    /// A new requisition by `engineer`, approved at once when its value is within the
    /// threshold ([`needs_approval`]).
    #[allow(clippy::too_many_arguments)]
    pub fn file(
        ticket_id: Id,
        part: &Part,
        quantity: i64,
        engineer: Id,
        note: Option<String>,
        threshold_fen: i64,
        now: Timestamp,
    ) -> Result<Requisition, PartsProblem> {
        if !part.active {
            return Err(PartsProblem::PartInactive { number: part.number.clone() });
        }
        let value_fen = part.price_fen.saturating_mul(quantity);
        let auto = !needs_approval(value_fen, threshold_fen);
        Ok(Requisition {
            id: 0,
            ticket_id,
            part_id: part.id,
            quantity,
            value_fen,
            status: if auto { RequisitionStatus::Approved } else { RequisitionStatus::Pending },
            engineer_id: engineer,
            note,
            requested_at: now,
            decided_by: None,
            decided_at: auto.then_some(now),
            decision_note: None,
            warehouse_id: None,
            issued_by: None,
            issued_at: None,
            used: 0,
            returned: 0,
            faulty_owed: 0,
            faulty_returned: 0,
        })
    }

    /// A supervisor's decision; a rejection says why.
    pub fn decide(
        &mut self,
        approve: bool,
        note: Option<String>,
        by: Id,
        now: Timestamp,
    ) -> Result<(), crate::DomainError> {
        if self.status != RequisitionStatus::Pending {
            return Err(PartsProblem::NotPending { status: self.status }.into());
        }
        if !approve && note.is_none() {
            return Err(crate::DomainError::field("note", Reason::Missing));
        }
        self.status = if approve { RequisitionStatus::Approved } else { RequisitionStatus::Rejected };
        self.decided_by = Some(by);
        self.decided_at = Some(now);
        self.decision_note = note;
        Ok(())
    }

    /// Handed over from `warehouse` (the stock check is storage's, in the same transaction).
    pub fn issue(&mut self, warehouse: Id, by: Id, now: Timestamp) -> Result<(), PartsProblem> {
        if self.status != RequisitionStatus::Approved {
            return Err(PartsProblem::NotApproved { status: self.status });
        }
        self.status = RequisitionStatus::Issued;
        self.warehouse_id = Some(warehouse);
        self.issued_by = Some(by);
        self.issued_at = Some(now);
        Ok(())
    }

    /// Parts issued and neither used nor returned yet.
    pub fn outstanding(&self) -> i64 {
        if matches!(self.status, RequisitionStatus::Issued | RequisitionStatus::Done) {
            self.quantity - self.used - self.returned
        } else {
            0
        }
    }

    fn check_outstanding(&self, quantity: i64) -> Result<(), PartsProblem> {
        if self.status != RequisitionStatus::Issued {
            return Err(PartsProblem::NotIssued { status: self.status });
        }
        if quantity > self.outstanding() {
            return Err(PartsProblem::MoreThanIssued { asked: quantity, left: self.outstanding() });
        }
        Ok(())
    }

    fn settle(&mut self) {
        if self.outstanding() == 0 {
            self.status = RequisitionStatus::Done;
        }
    }

    /// `quantity` parts fitted to the device. A serial-tracked part is used one at a time,
    /// with the new part's and the faulty part's serials, and the faulty part is owed back.
    pub fn record_use(&mut self, part: &Part, quantity: i64, serials: &Serials) -> Result<(), crate::DomainError> {
        self.check_outstanding(quantity)?;
        if part.serial_tracked {
            let mut p = Vec::new();
            if quantity != 1 {
                p.push((
                    "quantity",
                    Reason::Mismatch {
                        detail_en: "a serial-tracked part is used one at a time",
                        detail_zh: "按序列号管理的备件须逐件登记使用",
                    },
                ));
            }
            if serials.serial.is_none() {
                p.push(("serial", Reason::Missing));
            }
            if serials.faulty_serial.is_none() {
                p.push(("faulty_serial", Reason::Missing));
            }
            if !p.is_empty() {
                return Err(crate::DomainError::Invalid(p));
            }
            self.faulty_owed += quantity;
        }
        self.used += quantity;
        self.settle();
        Ok(())
    }

    /// `quantity` issued parts come back unused.
    pub fn return_unused(&mut self, quantity: i64) -> Result<(), PartsProblem> {
        self.check_outstanding(quantity)?;
        self.returned += quantity;
        self.settle();
        Ok(())
    }

    /// A faulty part taken out of the device comes back to the warehouse.
    pub fn return_faulty(&mut self, quantity: i64) -> Result<(), PartsProblem> {
        let owed = self.faulty_owed - self.faulty_returned;
        if quantity > owed {
            return Err(PartsProblem::NoFaultyOwed { asked: quantity, owed });
        }
        self.faulty_returned += quantity;
        Ok(())
    }

    /// Whether faulty parts are still owed back.
    pub fn faulty_outstanding(&self) -> i64 {
        self.faulty_owed - self.faulty_returned
    }
}

/// The serials of a use.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Serials {
    pub serial: Option<String>,
    pub faulty_serial: Option<String>,
}

/// The ticket's wait for parts ends when no requisition of it is still open (issue 13:
/// "the part's arrival ends the wait"; with two requisitions it waits for both).
pub fn wait_ends(open_requisitions: usize) -> bool {
    open_requisitions == 0
}

/// A part used on a ticket, as the ticket page, the customer and the service report list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartUsed {
    pub part_number: String,
    pub part_name: String,
    pub unit: String,
    pub quantity: i64,
    /// The new part's serial (serial-tracked parts).
    pub serial: Option<String>,
    /// The serial of the part taken out (staff only; never in the customer's view).
    pub faulty_serial: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
}

/// The customer's view of a part used on their device (DOMAIN §8: parts that concern them;
/// conservatively the part number, name and quantity: no prices, no internal serials).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerPartUsed {
    pub part_number: String,
    pub part_name: String,
    pub unit: String,
    pub quantity: i64,
}

impl CustomerPartUsed {
    pub fn project(p: &PartUsed) -> CustomerPartUsed {
        CustomerPartUsed {
            part_number: p.part_number.clone(),
            part_name: p.part_name.clone(),
            unit: p.unit.clone(),
            quantity: p.quantity,
        }
    }
}

/// When a faulty part used at `used_at` is overdue (`days` later).
pub fn faulty_due(used_at: Timestamp, days: i64) -> Timestamp {
    used_at + jiff::SignedDuration::from_hours(24 * days.max(0))
}

/// A refused stock or requisition step (each names the problem).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartsProblem {
    /// More than the warehouse holds.
    InsufficientStock {
        available: i64,
        asked: i64,
    },
    /// The part is not listed for the device's model.
    NotApplicable {
        number: String,
        model: String,
    },
    PartInactive {
        number: String,
    },
    WarehouseInactive,
    /// Someone other than the engineer who asked uses, returns or issues from their van.
    NotYourRequisition,
    /// A van is issued from only by its own engineer or a keeper.
    NotYourVan,
    NotPending {
        status: RequisitionStatus,
    },
    NotApproved {
        status: RequisitionStatus,
    },
    NotIssued {
        status: RequisitionStatus,
    },
    MoreThanIssued {
        asked: i64,
        left: i64,
    },
    NoFaultyOwed {
        asked: i64,
        owed: i64,
    },
    /// WaitForParts without an open requisition.
    NoOpenRequisition,
    /// A transfer to the warehouse it comes from.
    SameWarehouse,
    /// A requisition on a ticket no longer being worked.
    TicketNotWorked,
    /// Someone else changed the requisition while this change was made.
    ChangedMeanwhile,
}

impl PartsProblem {
    pub fn code(&self) -> &'static str {
        match self {
            PartsProblem::InsufficientStock { .. } => "insufficient_stock",
            PartsProblem::NotApplicable { .. } => "part_not_applicable",
            PartsProblem::PartInactive { .. } => "part_inactive",
            PartsProblem::WarehouseInactive => "warehouse_inactive",
            PartsProblem::NotYourRequisition => "not_your_requisition",
            PartsProblem::NotYourVan => "not_your_van",
            PartsProblem::NotPending { .. } => "requisition_not_pending",
            PartsProblem::NotApproved { .. } => "requisition_not_approved",
            PartsProblem::NotIssued { .. } => "requisition_not_issued",
            PartsProblem::MoreThanIssued { .. } => "more_than_issued",
            PartsProblem::NoFaultyOwed { .. } => "no_faulty_part_owed",
            PartsProblem::NoOpenRequisition => "no_open_requisition",
            PartsProblem::SameWarehouse => "same_warehouse",
            PartsProblem::TicketNotWorked => "ticket_not_worked",
            PartsProblem::ChangedMeanwhile => "requisition_changed",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            PartsProblem::NotYourRequisition | PartsProblem::NotYourVan => 403,
            PartsProblem::NotApplicable { .. } | PartsProblem::SameWarehouse => 422,
            _ => 409,
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        let s = |st: &RequisitionStatus| st.label(lang);
        match self {
            PartsProblem::InsufficientStock { available, asked } if zh => {
                format!("库存不足：需要 {asked}，仓库现有 {available}")
            }
            PartsProblem::InsufficientStock { available, asked } => {
                format!("Not enough stock: {asked} asked, {available} in the warehouse")
            }
            PartsProblem::NotApplicable { number, model } if zh => format!("备件 {number} 不适用于设备型号 {model}"),
            PartsProblem::NotApplicable { number, model } => format!("Part {number} does not fit device model {model}"),
            PartsProblem::PartInactive { number } if zh => format!("备件 {number} 已停用"),
            PartsProblem::PartInactive { number } => format!("Part {number} is no longer in use"),
            PartsProblem::WarehouseInactive if zh => "该仓库已停用".into(),
            PartsProblem::WarehouseInactive => "This warehouse is closed".into(),
            PartsProblem::NotYourRequisition if zh => "只有提交该申领的工程师可以执行此操作".into(),
            PartsProblem::NotYourRequisition => "Only the engineer who filed this requisition may do this".into(),
            PartsProblem::NotYourVan if zh => "只能从自己的车载库存发放，或由备件管理员发放".into(),
            PartsProblem::NotYourVan => "Only a van's own engineer or a parts keeper issues from it".into(),
            PartsProblem::NotPending { status } if zh => format!("该申领当前为「{}」，不能审批", s(status)),
            PartsProblem::NotPending { status } => {
                format!("This requisition is \"{}\"; it cannot be decided", s(status))
            }
            PartsProblem::NotApproved { status } if zh => format!("该申领当前为「{}」，不能发放", s(status)),
            PartsProblem::NotApproved { status } => {
                format!("This requisition is \"{}\"; it cannot be issued", s(status))
            }
            PartsProblem::NotIssued { status } if zh => {
                format!("该申领当前为「{}」，没有可使用或退回的备件", s(status))
            }
            PartsProblem::NotIssued { status } => {
                format!("This requisition is \"{}\"; no issued part to use or return", s(status))
            }
            PartsProblem::MoreThanIssued { asked, left } if zh => {
                format!("数量超过已发放未处理的数量：登记 {asked}，剩余 {left}")
            }
            PartsProblem::MoreThanIssued { asked, left } => {
                format!("More than was issued: {asked} given, {left} issued and not yet used or returned")
            }
            PartsProblem::NoFaultyOwed { asked, owed } if zh => format!("旧件返还数量 {asked} 超过应还数量 {owed}"),
            PartsProblem::NoFaultyOwed { asked, owed } => format!("{asked} faulty parts returned, {owed} owed"),
            PartsProblem::NoOpenRequisition if zh => "等待备件前须先提交备件申领".into(),
            PartsProblem::NoOpenRequisition => "File a parts requisition before waiting for parts".into(),
            PartsProblem::SameWarehouse if zh => "调出与调入仓库不能相同".into(),
            PartsProblem::SameWarehouse => "A transfer needs two different warehouses".into(),
            PartsProblem::TicketNotWorked if zh => "工单不在处理中，不能申领备件".into(),
            PartsProblem::TicketNotWorked => "Parts are requested only for a ticket being worked on".into(),
            PartsProblem::ChangedMeanwhile if zh => "该申领已被他人处理，请刷新后重试".into(),
            PartsProblem::ChangedMeanwhile => "The requisition was changed by someone else; reload and retry".into(),
        }
    }
}

impl From<PartsProblem> for crate::DomainError {
    fn from(p: PartsProblem) -> Self {
        crate::DomainError::Conflict(crate::error::Conflict::Parts(p))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn part(tracked: bool) -> Part {
        Part {
            id: 1,
            number: "FU-4200".into(),
            name: "定影组件".into(),
            unit: "套".into(),
            price_fen: 68_000,
            models: vec!["MP 4055".into()],
            serial_tracked: tracked,
            active: true,
        }
    }

    fn now() -> Timestamp {
        Timestamp::from_second(1_700_000_000).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn cheap_requisitions_are_approved_when_filed_and_dear_ones_wait_for_a_supervisor() {
        let r = Requisition::file(7, &part(false), 1, 3, None, 100_000, now()).unwrap();
        assert_eq!(r.status, RequisitionStatus::Approved);
        let r = Requisition::file(7, &part(false), 2, 3, None, 100_000, now()).unwrap();
        assert_eq!((r.status, r.value_fen), (RequisitionStatus::Pending, 136_000));
    }

    #[test]
    fn a_part_fits_its_models_or_any_when_none_listed() {
        let mut p = part(false);
        assert!(p.fits(Some("mp 4055")));
        assert!(!p.fits(Some("MP 2014")));
        p.models.clear();
        assert!(p.fits(Some("MP 2014")));
    }

    #[test]
    fn issued_parts_are_used_or_returned_never_more_than_issued() {
        let p = part(true);
        let mut r = Requisition::file(7, &p, 2, 3, None, 1_000_000, now()).unwrap();
        assert!(r.return_unused(1).is_err(), "nothing issued yet");
        r.issue(1, 9, now()).unwrap();
        let serials = Serials { serial: Some("N1".into()), faulty_serial: Some("F1".into()) };
        assert!(r.record_use(&p, 2, &serials).is_err(), "tracked parts one at a time");
        assert!(r.record_use(&p, 1, &Serials::default()).is_err(), "serials needed");
        r.record_use(&p, 1, &serials).unwrap();
        assert_eq!(r.return_unused(2), Err(PartsProblem::MoreThanIssued { asked: 2, left: 1 }));
        r.return_unused(1).unwrap();
        assert_eq!(r.status, RequisitionStatus::Done);
        assert_eq!(r.faulty_outstanding(), 1);
        assert!(r.return_faulty(2).is_err());
        r.return_faulty(1).unwrap();
        assert_eq!(r.faulty_outstanding(), 0);
    }

    #[test]
    fn quantities_are_whole_and_positive() {
        assert!(check_quantity("quantity", 0).is_err());
        assert!(check_quantity("quantity", -3).is_err());
        assert_eq!(check_quantity("quantity", 4), Ok(4));
    }
}
