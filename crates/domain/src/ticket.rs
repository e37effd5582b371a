//! The ticket (报修单 / 工单) and its closed vocabularies (DOMAIN §2).

use serde::{Deserialize, Serialize};

use crate::clock::{ClockSet, SurveyResult};
use crate::coded_enum;
use crate::registration::Checked;
use crate::ticket_no::TicketNo;
use crate::{Id, Timestamp};

coded_enum! {
    /// Where a lifecycle stands. `WaitingCustomer` and `WaitingParts` are the sub-states of
    /// "in progress" (DOMAIN §2).
    pub enum Status {
        Registered = ("registered", "已登记", "Registered"),
        Accepted = ("accepted", "已受理", "Accepted"),
        Dispatched = ("dispatched", "已派单", "Dispatched"),
        Responded = ("responded", "已响应", "Responded"),
        InProgress = ("in_progress", "处理中", "In progress"),
        WaitingCustomer = ("waiting_customer", "等待客户", "Waiting for customer"),
        WaitingParts = ("waiting_parts", "等待备件", "Waiting for parts"),
        Resolved = ("resolved", "已解决", "Resolved"),
        Closed = ("closed", "已结案", "Closed"),
        Cancelled = ("cancelled", "已撤销", "Cancelled"),
    }
}

impl Status {
    /// Still needs work from the service organization (counts toward engineers' load).
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Resolved | Status::Closed | Status::Cancelled)
    }

    /// The states in which an engineer is working on the ticket.
    pub fn is_being_worked(self) -> bool {
        matches!(self, Status::Responded | Status::InProgress | Status::WaitingCustomer | Status::WaitingParts)
    }
}

coded_enum! {
    pub enum Channel {
        Phone = ("phone", "电话", "Phone"),
        Email = ("email", "邮件", "E-mail"),
        Portal = ("portal", "客户门户", "Web portal"),
        Chat = ("chat", "在线客服", "Chat"),
        Api = ("api", "接口", "API"),
        Patrol = ("patrol", "主动巡检", "Patrol inspection"),
    }
}

coded_enum! {
    pub enum Kind {
        Fault = ("fault", "故障", "Fault"),
        Consultation = ("consultation", "咨询", "Consultation"),
        ChangeRequest = ("change_request", "需求变更", "Change request"),
        Training = ("training", "培训", "Training"),
        Complaint = ("complaint", "投诉", "Complaint"),
        /// Seed 003: consumable replacement (耗材更换) is its own kind of service: its plan
        /// and fees are confirmed by the customer (`fee::quote_needed`), and its callback is
        /// due 3–5 working days after the service (`fee::callback_due`).
        Consumables = ("consumables", "耗材更换", "Consumable replacement"),
    }
}

/// A department that may have to cooperate on a ticket (DOMAIN §2): the code of one of the
/// departments an administrator keeps (`work_order::Department`; 技术 `technical`, 生产
/// `production`, 物流 `logistics`, 研发 `rnd`, 销售 `sales` by default). The list is
/// data, so the app checks a ticket's codes against it when the ticket is registered or
/// edited; the codes tickets stored before the list became editable are its first entries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = DepartmentCode))]
#[serde(transparent)]
pub struct Department(String);

impl Department {
    /// A department code: 1 to 32 lowercase letters, digits or `_`.
    pub fn from_code(code: &str) -> Option<Department> {
        let ok = !code.is_empty()
            && code.len() <= 32
            && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        ok.then(|| Department(code.to_owned()))
    }

    pub fn code(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Department {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

coded_enum! {
    /// A request from someone other than the customer's designated window waits for the
    /// window's confirmation (seed 004).
    pub enum WindowConfirmation {
        NotNeeded = ("not_needed", "无需确认", "Not needed"),
        Pending = ("pending", "待客户窗口确认", "Awaiting window confirmation"),
        Confirmed = ("confirmed", "窗口已确认", "Confirmed by window"),
    }
}

coded_enum! {
    /// Supervisor review of the latest grading (DOMAIN §3: every grading is reviewed).
    pub enum GradingReview {
        NotGraded = ("not_graded", "未分级", "Not graded"),
        Pending = ("pending", "待审核", "Awaiting review"),
        Approved = ("approved", "审核通过", "Approved"),
        Rejected = ("rejected", "审核驳回", "Rejected"),
    }
}

coded_enum! {
    /// A customer's objection to the grading goes to the technical director (DOMAIN §3).
    pub enum GradingDispute {
        None = ("none", "无", "None"),
        Open = ("open", "异议待裁定", "Objection awaiting ruling"),
        Ruled = ("ruled", "已裁定", "Ruled"),
    }
}

coded_enum! {
    /// How the customer agreed to close (DOMAIN §6).
    pub enum ClosureMethod {
        Signature = ("signature", "现场签字", "Signature on site"),
        Portal = ("portal", "门户确认", "Portal confirmation"),
        Callback = ("callback", "回访确认", "Callback confirmation"),
    }
}

coded_enum! {
    pub enum CancelReason {
        Duplicate = ("duplicate", "重复报修", "Duplicate"),
        Invalid = ("invalid", "无效报修", "Invalid"),
    }
}

/// A ticket as the rules see it: registration fields (seed 000 template 1), grading,
/// dispatch, lifecycle timestamps. Every change to it is recorded as an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ticket {
    pub id: Id,
    pub number: TicketNo,
    /// Optimistic concurrency: bumped by every change; sent as the `ETag`.
    pub version: i64,
    pub customer_id: Id,
    pub contact_id: Option<Id>,
    pub contact_name: String,
    pub contact_phone: String,
    pub channel: Channel,
    pub kind: Kind,
    pub category_id: Option<Id>,
    pub device_id: Option<Id>,
    pub device_model: Option<String>,
    pub device_serial: Option<String>,
    /// 报警代码, e.g. `E02`.
    pub fault_code: Option<String>,
    pub description: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub occurred_at: Timestamp,
    /// 影响范围.
    pub impact_scope: String,
    /// What the customer expects (客户期望).
    pub expected_resolution: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub expected_by: Option<Timestamp>,
    pub cooperating_departments: Vec<Department>,
    pub status: Status,
    pub window_confirmation: WindowConfirmation,
    /// Level code of the grading scheme (e.g. `P1`); `None` until graded.
    pub priority: Option<String>,
    /// Rank of that level: 1 is the most urgent.
    pub priority_rank: Option<i32>,
    pub grading_reason: Option<String>,
    pub grading_review: GradingReview,
    pub grading_dispute: GradingDispute,
    pub group_id: Option<Id>,
    pub first_line_id: Option<Id>,
    pub second_line_id: Option<Id>,
    /// Set when a repeat report was detected: the earlier ticket for the same device and fault.
    pub repeat_of: Option<Id>,
    /// The ticket a complaint is about.
    pub complaint_about: Option<Id>,
    /// Marked for the project specialist (repeat report, DOMAIN §5).
    pub specialist_attention: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub registered_at: Timestamp,
    pub registered_by: Id,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub accepted_at: Option<Timestamp>,
    pub accepted_by: Option<Id>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub dispatched_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub responded_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub resolved_at: Option<Timestamp>,
    pub resolution: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub closed_at: Option<Timestamp>,
    pub closure_method: Option<ClosureMethod>,
    pub customer_refusals: i32,
    pub reopen_count: i32,
    pub cancel_reason: Option<CancelReason>,
    pub cancel_note: Option<String>,
    /// The customer level the ticket runs under, copied at acceptance (DOMAIN §3).
    pub customer_level: Option<String>,
    /// The business calendar its working-time clocks count on, chosen at acceptance.
    pub calendar: Option<String>,
    /// The service policy version it was accepted or last graded under.
    pub policy_version: Option<i64>,
    /// The start of the arrival window of the site visit the ticket waits for.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub visit_at: Option<Timestamp>,
    /// The end of that window: the latest arrival promised to the customer, when the
    /// arrival clock is due (a visit is on time until then). None for a visit booked before
    /// windows existed (the clock is due at `visit_at`).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub visit_due: Option<Timestamp>,
    /// The callback survey of the latest resolution.
    pub survey_result: Option<SurveyResult>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub surveyed_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    /// The clocks folded from the history (shown through views, not serialized here).
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub clocks: ClockSet,
}

impl Ticket {
    /// A request as registered (DOMAIN §2): the intake that passed the checks, numbered,
    /// by `by` at `at`; not yet accepted, graded, dispatched or surveyed, at version 1 and
    /// not yet stored (`id` 0). The one constructor of a ticket: what the form named beyond
    /// the checked intake (channel, kind, category and group, device, window confirmation,
    /// repeat) is set on it before it is stored.
    pub fn register(number: TicketNo, intake: Checked, at: Timestamp, by: Id) -> Ticket {
        Ticket {
            id: 0,
            number,
            version: 1,
            customer_id: intake.customer_id,
            contact_id: None,
            contact_name: intake.contact_name,
            contact_phone: intake.contact_phone,
            channel: Channel::Phone,
            kind: Kind::Fault,
            category_id: None,
            device_id: None,
            device_model: intake.device_model,
            device_serial: None,
            fault_code: intake.fault_code,
            description: intake.description,
            occurred_at: intake.occurred_at,
            impact_scope: intake.impact_scope,
            expected_resolution: intake.expected_resolution,
            expected_by: None,
            cooperating_departments: Vec::new(),
            status: Status::Registered,
            window_confirmation: WindowConfirmation::NotNeeded,
            priority: None,
            priority_rank: None,
            grading_reason: None,
            grading_review: GradingReview::NotGraded,
            grading_dispute: GradingDispute::None,
            group_id: None,
            first_line_id: None,
            second_line_id: None,
            repeat_of: None,
            complaint_about: None,
            specialist_attention: false,
            registered_at: at,
            registered_by: by,
            accepted_at: None,
            accepted_by: None,
            dispatched_at: None,
            responded_at: None,
            resolved_at: None,
            resolution: None,
            closed_at: None,
            closure_method: None,
            customer_refusals: 0,
            reopen_count: 0,
            cancel_reason: None,
            cancel_note: None,
            customer_level: None,
            calendar: None,
            policy_version: None,
            visit_at: None,
            visit_due: None,
            survey_result: None,
            surveyed_at: None,
            updated_at: at,
            clocks: ClockSet::default(),
        }
    }

    /// Marks the ticket as repeating `prior` (DOMAIN §5 重复报修): the project specialist's
    /// attention is asked for at once.
    pub fn flag_repeat(&mut self, prior: Id) {
        self.repeat_of = Some(prior);
        self.specialist_attention = true;
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    /// A freshly registered ticket, for rule tests.
    pub fn ticket() -> Ticket {
        let at: Timestamp = "2024-03-15T01:00:00Z".parse().expect("timestamp");
        let intake = Checked {
            customer_id: 1,
            contact_name: "王工".into(),
            contact_phone: "13800138000".into(),
            description: "复印时卡纸，报警代码 E02".into(),
            occurred_at: at,
            impact_scope: "一台设备".into(),
            fault_code: Some("E02".into()),
            device_model: None,
            expected_resolution: None,
            complaint_about: None,
        };
        let mut t = Ticket::register(TicketNo::parse("20240315-001").expect("number"), intake, at, 1);
        t.id = 1;
        t
    }
}
