//! Work orders across departments (协作工单, seed 002: 明确主责人与协作节点): when a ticket
//! needs another department (物流 for a replacement unit, 研发 for an analysis …), it gets a
//! work order with the department, its owner, what is needed, the resources handed over
//! (technical documents, sample parts), a deadline, a status and daily progress. The
//! ticket's engineer stays the one responsible for the ticket; a work order is internal
//! (DOMAIN §8): the customer never sees it.

use serde::{Deserialize, Serialize};

use crate::error::{Conflict, DomainError, Reason};
use crate::{Field, Id, Timestamp, coded_enum};

coded_enum! {
    /// Where a work order stands.
    pub enum WorkOrderStatus {
        Open = ("open", "待处理", "Open"),
        InProgress = ("in_progress", "处理中", "In progress"),
        Done = ("done", "已完成", "Done"),
        Cancelled = ("cancelled", "已取消", "Cancelled"),
    }
}

impl WorkOrderStatus {
    /// Still waiting for its department (overdue notices and the owner's list).
    pub fn is_open(self) -> bool {
        matches!(self, WorkOrderStatus::Open | WorkOrderStatus::InProgress)
    }
}

/// A department that may cooperate on tickets (DOMAIN §2; an administrator edits the list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Department {
    pub id: Id,
    /// Stable code stored on tickets and work orders (`logistics`).
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// A retired department keeps its history but takes no new work orders.
    pub active: bool,
    pub position: i32,
}

impl Department {
    /// The Chinese and English names of the department `code` among `deps`; a code no longer
    /// in the list (removed by hand from the database) stands for itself.
    pub fn names(deps: &[Department], code: &str) -> (String, String) {
        deps.iter()
            .find(|d| d.code == code)
            .map(|d| (d.name_zh.clone(), d.name_en.clone()))
            .unwrap_or_else(|| (code.to_owned(), code.to_owned()))
    }

    /// The name of the department `code` in `lang` ([`Department::names`]).
    pub fn name_in(deps: &[Department], code: &str, lang: crate::lang::Lang) -> String {
        let (zh, en) = Department::names(deps, code);
        if lang == crate::lang::Lang::En { en } else { zh }
    }
}

/// A department as an administrator enters it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct DepartmentInput {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub active: Option<bool>,
}

/// The departments a new installation starts with (DOMAIN §2 and seed 002: 技术, 生产, 物流,
/// 研发, and 销售 for commercial questions); the first four codes are the ones tickets
/// stored before the list became editable.
pub const DEFAULT_DEPARTMENTS: [(&str, &str, &str); 5] = [
    ("technical", "技术", "Technical"),
    ("production", "生产", "Production"),
    ("logistics", "物流", "Logistics"),
    ("rnd", "研发", "R&D"),
    ("sales", "销售", "Sales"),
];

fn text(p: &mut Vec<(Field, Reason)>, field: Field, v: &str, max: usize) -> String {
    let v = v.trim();
    if v.is_empty() {
        p.push((field, Reason::Missing));
    } else if v.chars().count() > max {
        p.push((field, Reason::TooLong { max }));
    }
    v.to_owned()
}

impl DepartmentInput {
    /// Trimmed, with a code of lowercase letters, digits and `_`.
    pub fn check(&self) -> Result<DepartmentInput, DomainError> {
        let mut p = Vec::new();
        let code = text(&mut p, "code", &self.code, 32);
        if !code.is_empty() && !code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
            p.push((
                "code",
                Reason::Malformed {
                    expected_en: "lowercase letters, digits and _",
                    expected_zh: "小写字母、数字或下划线",
                },
            ));
        }
        let name_zh = text(&mut p, "name_zh", &self.name_zh, 30);
        let name_en = text(&mut p, "name_en", &self.name_en, 60);
        if p.is_empty() {
            Ok(DepartmentInput { code, name_zh, name_en, active: self.active })
        } else {
            Err(DomainError::Invalid(p))
        }
    }
}

/// A work order of a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkOrder {
    pub id: Id,
    pub ticket_id: Id,
    /// The department's code.
    pub department: String,
    /// The staff member who answers for it in that department.
    pub owner_id: Id,
    /// What is needed from the department.
    pub needed: String,
    /// Resources handed over: technical documents, sample parts (one per line).
    pub resources: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub deadline: Timestamp,
    pub status: WorkOrderStatus,
    pub created_by: Id,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    /// Optimistic concurrency: bumped by every change, sent back by an edit.
    pub version: i64,
}

/// One day's progress on a work order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkOrderProgress {
    pub id: Id,
    pub work_order_id: Id,
    pub author_id: Id,
    pub body: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
}

/// A work order as the ticket's people enter it (new, or an edit of every field).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct WorkOrderInput {
    pub department: String,
    pub owner_id: Option<Id>,
    pub needed: String,
    pub resources: Vec<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub deadline: Option<Timestamp>,
}

/// A checked input: what a work order is made or edited with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkOrderFields {
    pub department: String,
    pub owner_id: Id,
    pub needed: String,
    pub resources: Vec<String>,
    pub deadline: Timestamp,
}

impl WorkOrderInput {
    /// Every field's problem at once. `departments` are the codes that take new work
    /// orders; `owner_is_staff` says whether the owner is an active staff member (`None`:
    /// no such user). A deadline must be in the future, unless an edit keeps it (`kept`).
    pub fn check(
        &self,
        departments: &[String],
        owner_is_staff: Option<bool>,
        now: Timestamp,
        kept: Option<Timestamp>,
    ) -> Result<WorkOrderFields, DomainError> {
        let mut p: Vec<(Field, Reason)> = Vec::new();
        let department = self.department.trim().to_owned();
        if department.is_empty() {
            p.push(("department", Reason::Missing));
        } else if !departments.contains(&department) {
            p.push(("department", Reason::Unknown));
        }
        match (self.owner_id, owner_is_staff) {
            (None, _) => p.push(("owner_id", Reason::Missing)),
            (Some(_), None) => p.push(("owner_id", Reason::Unknown)),
            (Some(_), Some(false)) => p.push((
                "owner_id",
                Reason::Mismatch {
                    detail_en: "is not an active staff member", detail_zh: "不是在职的内部人员"
                },
            )),
            (Some(_), Some(true)) => {}
        }
        let needed = text(&mut p, "needed", &self.needed, 1000);
        let resources: Vec<String> = self
            .resources
            .iter()
            .flat_map(|r| r.lines())
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty())
            .collect();
        if resources.len() > 30 {
            p.push(("resources", Reason::TooLong { max: 30 }));
        } else if resources.iter().any(|r| r.chars().count() > 200) {
            p.push(("resources", Reason::TooLong { max: 200 }));
        }
        match self.deadline {
            None => p.push(("deadline", Reason::Missing)),
            Some(d) if d <= now && kept != Some(d) => {
                p.push(("deadline", Reason::Mismatch { detail_en: "is in the past", detail_zh: "不能早于当前时间" }))
            }
            Some(_) => {}
        }
        match (self.owner_id, self.deadline) {
            (Some(owner_id), Some(deadline)) if p.is_empty() => {
                Ok(WorkOrderFields { department, owner_id, needed, resources, deadline })
            }
            _ => Err(DomainError::Invalid(p)),
        }
    }
}

impl WorkOrder {
    /// A new work order of ticket `ticket_id` (stored later, which gives its id).
    pub fn open(ticket_id: Id, f: WorkOrderFields, by: Id, now: Timestamp) -> WorkOrder {
        WorkOrder {
            id: 0,
            ticket_id,
            department: f.department,
            owner_id: f.owner_id,
            needed: f.needed,
            resources: f.resources,
            deadline: f.deadline,
            status: WorkOrderStatus::Open,
            created_by: by,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// Overdue: still open after its deadline.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.status.is_open() && self.deadline <= now
    }

    fn require_open(&self) -> Result<(), DomainError> {
        if self.status.is_open() { Ok(()) } else { Err(Conflict::WorkOrderClosed { status: self.status }.into()) }
    }

    /// Replaces its fields (only while open).
    pub fn edit(&mut self, f: WorkOrderFields, now: Timestamp) -> Result<(), DomainError> {
        self.require_open()?;
        self.department = f.department;
        self.owner_id = f.owner_id;
        self.needed = f.needed;
        self.resources = f.resources;
        self.deadline = f.deadline;
        self.updated_at = now;
        Ok(())
    }

    /// Moves it to `to`: open ones only; back to open is not a move anyone makes.
    pub fn set_status(&mut self, to: WorkOrderStatus, now: Timestamp) -> Result<(), DomainError> {
        self.require_open()?;
        if to == WorkOrderStatus::Open {
            return Err(DomainError::field(
                "status",
                Reason::Mismatch { detail_en: "cannot be set back to open", detail_zh: "不能改回待处理" },
            ));
        }
        self.status = to;
        self.updated_at = now;
        Ok(())
    }

    /// A day's progress: only on an open work order; the first progress starts it.
    pub fn progress(&mut self, body: &str, by: Id, now: Timestamp) -> Result<WorkOrderProgress, DomainError> {
        self.require_open()?;
        let mut p = Vec::new();
        let body = text(&mut p, "body", body, 2000);
        if !p.is_empty() {
            return Err(DomainError::Invalid(p));
        }
        if self.status == WorkOrderStatus::Open {
            self.status = WorkOrderStatus::InProgress;
        }
        self.updated_at = now;
        Ok(WorkOrderProgress { id: 0, work_order_id: self.id, author_id: by, body, at: now })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    fn now() -> Timestamp {
        Timestamp::from_second(1_773_550_800).unwrap()
    }

    fn input() -> WorkOrderInput {
        WorkOrderInput {
            department: "logistics".into(),
            owner_id: Some(7),
            needed: "发运一台备用机 HP M404dn 至客户现场".into(),
            resources: vec!["备用机序列号 CNB1234567\n\n 装箱单 ".into()],
            deadline: Some(now() + SignedDuration::from_hours(24)),
        }
    }

    fn deps() -> Vec<String> {
        vec!["logistics".into(), "rnd".into()]
    }

    #[test]
    fn a_valid_input_keeps_each_resource_line() {
        let f = input().check(&deps(), Some(true), now(), None).unwrap();
        assert_eq!(f.resources, ["备用机序列号 CNB1234567", "装箱单"]);
    }

    #[test]
    fn bad_input_names_every_field() {
        let bad = WorkOrderInput {
            department: "finance".into(),
            deadline: Some(now() - SignedDuration::from_mins(1)),
            needed: " ".into(),
            ..input()
        };
        let Err(DomainError::Invalid(p)) = bad.check(&deps(), Some(false), now(), None) else { panic!() };
        let fields: Vec<_> = p.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["department", "owner_id", "needed", "deadline"]);
        // An edit may keep a deadline that has passed.
        let kept = now() - SignedDuration::from_mins(1);
        let edit = WorkOrderInput { deadline: Some(kept), ..input() };
        assert!(edit.check(&deps(), Some(true), now(), Some(kept)).is_ok());
    }

    #[test]
    fn progress_starts_the_work_and_a_closed_work_order_takes_none() {
        let f = input().check(&deps(), Some(true), now(), None).unwrap();
        let mut w = WorkOrder::open(1, f, 2, now());
        w.progress("已联系仓库备货", 7, now()).unwrap();
        assert_eq!(w.status, WorkOrderStatus::InProgress);
        w.set_status(WorkOrderStatus::Done, now()).unwrap();
        assert!(!w.is_overdue(now() + SignedDuration::from_hours(48)));
        let e = w.progress("补充", 7, now()).unwrap_err();
        assert!(matches!(e, DomainError::Conflict(Conflict::WorkOrderClosed { .. })));
    }
}
