//! What a customer contact sees of a ticket (DOMAIN §8; STYLE "audiences are types"): its
//! own view types, built by one projection from the staff ticket, never the staff type with
//! fields blanked. A field not named here does not reach the customer: no priority, customer
//! level, policy version, internal clocks, flags, gradings or other contacts' phones.

use serde::{Deserialize, Serialize};

use crate::audience::Visibility;
use crate::clock::{ClockKind, ClockState, ClockView, SurveyResult};
use crate::coded_enum;
use crate::event::Event;
use crate::ticket::{CancelReason, ClosureMethod, Kind, Status, Ticket, WindowConfirmation};
use crate::worklog::{LogEntry, LogKind};
use crate::{Id, Timestamp};

coded_enum! {
    /// A ticket's status in the customer's words.
    pub enum CustomerStatus {
        Submitted = ("submitted", "已提交", "Submitted"),
        Accepted = ("accepted", "已受理", "Accepted"),
        EngineerAssigned = ("engineer_assigned", "已安排工程师", "Engineer assigned"),
        InProgress = ("in_progress", "处理中", "In progress"),
        WaitingForYou = ("waiting_for_you", "等待您的回复", "Waiting for your reply"),
        WaitingForParts = ("waiting_for_parts", "等待备件", "Waiting for parts"),
        Resolved = ("resolved", "已解决，待您确认", "Resolved: please confirm"),
        Closed = ("closed", "已结案", "Closed"),
        Cancelled = ("cancelled", "已撤销", "Cancelled"),
    }
}

impl CustomerStatus {
    /// The ticket states this customer status stands for (a list filter in customer words).
    pub fn statuses(self) -> Vec<Status> {
        Status::ALL.iter().copied().filter(|s| CustomerStatus::from(*s) == self).collect()
    }
}

impl From<Status> for CustomerStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Registered => CustomerStatus::Submitted,
            Status::Accepted => CustomerStatus::Accepted,
            Status::Dispatched => CustomerStatus::EngineerAssigned,
            Status::Responded | Status::InProgress => CustomerStatus::InProgress,
            Status::WaitingCustomer => CustomerStatus::WaitingForYou,
            Status::WaitingParts => CustomerStatus::WaitingForParts,
            Status::Resolved => CustomerStatus::Resolved,
            Status::Closed => CustomerStatus::Closed,
            Status::Cancelled => CustomerStatus::Cancelled,
        }
    }
}

coded_enum! {
    /// Something that waits for the customer (the portal lists these first).
    pub enum CustomerAction {
        /// The ticket is resolved: confirm closure, or say it is not solved.
        ConfirmClosure = ("confirm_closure", "确认结案", "Confirm closure"),
        /// The customer's designated window confirms a request a colleague made (seed 004).
        ConfirmWindow = ("confirm_window", "窗口确认", "Confirm as window"),
        /// The ticket is closed and the satisfaction survey is not answered yet.
        Survey = ("survey", "服务评价", "Rate the service"),
    }
}

coded_enum! {
    /// The kinds of time promised to the customer.
    pub enum PromiseKind {
        Response = ("response", "工程师联系您", "Engineer contacts you"),
        Visit = ("visit", "工程师上门", "Engineer visits"),
        Resolution = ("resolution", "承诺解决", "Resolution"),
    }
}

/// How long after closure the customer is asked for a survey (older closures no longer wait
/// for one); the e-mail link for it lasts as long.
pub const SURVEY_DAYS: i64 = 30;

/// A time promised to the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Promise {
    pub kind: PromiseKind,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
}

/// A ticket as a customer contact sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerTicket {
    pub id: Id,
    pub number: String,
    /// The version a confirmation or refusal is based on (sent as `If-Match`).
    pub version: i64,
    pub status: CustomerStatus,
    pub kind: Kind,
    /// Who reported it (a colleague's phone number is not shown).
    pub contact_name: String,
    pub device_model: Option<String>,
    pub device_serial: Option<String>,
    pub fault_code: Option<String>,
    pub description: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub occurred_at: Timestamp,
    pub impact_scope: String,
    pub expected_resolution: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub expected_by: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub registered_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub accepted_at: Option<Timestamp>,
    /// The engineer handling it.
    pub engineer: Option<String>,
    /// The times promised while the request is open (response until the engineer called,
    /// the booked visit, the resolution).
    pub promises: Vec<Promise>,
    /// The nearest of [`Self::promises`].
    pub next_promise: Option<Promise>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub visit_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub resolved_at: Option<Timestamp>,
    pub resolution: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub closed_at: Option<Timestamp>,
    pub closure_method: Option<ClosureMethod>,
    pub cancel_reason: Option<CancelReason>,
    /// `pending` while the customer's window has not confirmed a colleague's request.
    pub window_confirmation: WindowConfirmation,
    pub survey_result: Option<SurveyResult>,
    /// What waits for this reader, most pressing first.
    pub waiting_for_you: Vec<CustomerAction>,
}

/// What the projection needs besides the ticket.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    /// The reader's contact record (None: a portal account without one).
    pub contact_id: Option<Id>,
    /// The customer's designated window contact.
    pub window_contact_id: Option<Id>,
    /// The handling engineer's name.
    pub engineer: Option<&'a str>,
    pub now: Timestamp,
}

/// What waits for the customer on `t`, for a reader who is (or is not) the window.
pub fn waiting_for(t: &Ticket, is_window: bool, now: Timestamp) -> Vec<CustomerAction> {
    let mut out = Vec::new();
    if t.status == Status::Resolved {
        out.push(CustomerAction::ConfirmClosure);
    }
    if is_window && t.window_confirmation == WindowConfirmation::Pending && t.status.is_open() {
        out.push(CustomerAction::ConfirmWindow);
    }
    if awaits_survey(t, now) {
        out.push(CustomerAction::Survey);
    }
    out
}

/// Whether a contact may take `step` on `t` (beyond the lifecycle and the permission table):
/// the survey only once the request is closed, within [`SURVEY_DAYS`] (the customer confirms
/// first, then rates; the desk may record a callback's survey on a resolved ticket, which the
/// lifecycle allows); the window's confirmation only by the window (seed 004).
pub fn offers(t: &Ticket, step: crate::lifecycle::Step, is_window: bool, now: Timestamp) -> bool {
    match step {
        crate::lifecycle::Step::RecordSurvey => awaits_survey(t, now),
        crate::lifecycle::Step::ConfirmWindow => is_window,
        _ => true,
    }
}

/// A closed ticket whose survey is not answered, closed within [`SURVEY_DAYS`].
pub fn awaits_survey(t: &Ticket, now: Timestamp) -> bool {
    t.status == Status::Closed
        && t.survey_result.is_none()
        && t.closed_at.is_some_and(|c| now - jiff::SignedDuration::from_hours(24 * SURVEY_DAYS) <= c)
}

/// The times promised while the request is open: the engineer's contact until it happened,
/// the booked visit, the resolution (from the clocks, which stay internal).
fn promises(t: &Ticket, clocks: &[ClockView]) -> Vec<Promise> {
    let mut out = Vec::new();
    let live = |kind: ClockKind| {
        clocks
            .iter()
            .filter(|c| c.clock == kind && c.stopped_at.is_none())
            .filter(|c| matches!(c.state, ClockState::Running | ClockState::Paused | ClockState::Breached))
            .find_map(|c| c.due_at)
    };
    if !t.status.is_open() {
        return out;
    }
    if t.responded_at.is_none()
        && let Some(at) = live(ClockKind::Response)
    {
        out.push(Promise { kind: PromiseKind::Response, at });
    }
    if let Some(at) = t.visit_at {
        out.push(Promise { kind: PromiseKind::Visit, at });
    }
    if let Some(at) = live(ClockKind::Resolution) {
        out.push(Promise { kind: PromiseKind::Resolution, at });
    }
    out
}

impl CustomerTicket {
    /// The one projection of a ticket for a customer contact.
    pub fn project(t: &Ticket, clocks: &[ClockView], r: Reader<'_>) -> CustomerTicket {
        let is_window = r.contact_id.is_some() && r.contact_id == r.window_contact_id;
        let promises = promises(t, clocks);
        let next_promise = promises.iter().filter(|p| p.at >= r.now).min_by_key(|p| p.at).cloned();
        CustomerTicket {
            id: t.id,
            number: t.number.to_string(),
            version: t.version,
            status: t.status.into(),
            kind: t.kind,
            contact_name: t.contact_name.clone(),
            device_model: t.device_model.clone(),
            device_serial: t.device_serial.clone(),
            fault_code: t.fault_code.clone(),
            description: t.description.clone(),
            occurred_at: t.occurred_at,
            impact_scope: t.impact_scope.clone(),
            expected_resolution: t.expected_resolution.clone(),
            expected_by: t.expected_by,
            registered_at: t.registered_at,
            accepted_at: t.accepted_at,
            engineer: r.engineer.map(str::to_owned),
            next_promise,
            promises,
            visit_at: t.visit_at,
            resolved_at: t.resolved_at,
            resolution: t.resolution.clone(),
            closed_at: t.closed_at,
            closure_method: t.closure_method,
            cancel_reason: t.cancel_reason,
            window_confirmation: t.window_confirmation,
            survey_result: t.survey_result,
            waiting_for_you: waiting_for(t, is_window, r.now),
        }
    }
}

coded_enum! {
    /// The moments of a ticket the customer sees in its timeline.
    pub enum Milestone {
        Submitted = ("submitted", "提交报修", "Request submitted"),
        WindowConfirmed = ("window_confirmed", "客户窗口已确认", "Confirmed by your window contact"),
        Accepted = ("accepted", "已受理", "Accepted"),
        EngineerAssigned = ("engineer_assigned", "已安排工程师", "Engineer assigned"),
        EngineerContacted = ("engineer_contacted", "工程师已与您联系", "The engineer contacted you"),
        WorkStarted = ("work_started", "开始处理", "Work started"),
        WaitingForYou = ("waiting_for_you", "等待您提供信息", "Waiting for your reply"),
        WaitingForParts = ("waiting_for_parts", "等待备件", "Waiting for parts"),
        WorkResumed = ("work_resumed", "继续处理", "Work resumed"),
        VisitBooked = ("visit_booked", "预约上门", "Visit booked"),
        Resolved = ("resolved", "已解决，请您确认", "Resolved: please confirm"),
        ClosureConfirmed = ("closure_confirmed", "已确认结案", "Closure confirmed"),
        NotSolved = ("not_solved", "反馈问题未解决", "Reported not solved"),
        Reopened = ("reopened", "重新处理", "Handled again"),
        Cancelled = ("cancelled", "已撤销", "Cancelled"),
        Surveyed = ("surveyed", "已完成服务评价", "Service rated"),
        Objection = ("objection", "对紧急程度提出异议", "Objection to the urgency"),
        ObjectionRuled = ("objection_ruled", "异议已处理", "Objection answered"),
        FileAdded = ("file_added", "新增附件", "File added"),
        FileWithdrawn = ("file_withdrawn", "附件已撤回", "File withdrawn"),
    }
}

impl Milestone {
    /// The milestone an event of `action` is, or None for an internal event.
    pub fn of_action(action: &str) -> Option<Milestone> {
        Some(match action {
            "register" => Milestone::Submitted,
            "confirm_window" => Milestone::WindowConfirmed,
            "accept" => Milestone::Accepted,
            "dispatch" => Milestone::EngineerAssigned,
            "respond" => Milestone::EngineerContacted,
            "start" => Milestone::WorkStarted,
            "wait_for_customer" => Milestone::WaitingForYou,
            "wait_for_parts" => Milestone::WaitingForParts,
            "resume" => Milestone::WorkResumed,
            "book_visit" => Milestone::VisitBooked,
            "resolve" => Milestone::Resolved,
            "confirm_closure" => Milestone::ClosureConfirmed,
            "refuse_closure" => Milestone::NotSolved,
            "reopen" => Milestone::Reopened,
            "cancel" => Milestone::Cancelled,
            "record_survey" => Milestone::Surveyed,
            "object_to_grading" => Milestone::Objection,
            "rule_grading_dispute" => Milestone::ObjectionRuled,
            "attachment_added" => Milestone::FileAdded,
            "attachment_withdrawn" => Milestone::FileWithdrawn,
            _ => return None,
        })
    }
}

/// One moment of the ticket's history as the customer reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerEvent {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    pub milestone: Milestone,
    /// The engineer assigned (on `engineer_assigned`).
    pub engineer: Option<String>,
    /// The time it names: the visit booked.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub time: Option<Timestamp>,
    /// Text addressed to the customer: the resolution, or the customer's own words
    /// (a refusal's reason, an objection). Staff notes on other steps stay internal.
    pub text: Option<String>,
}

impl CustomerEvent {
    /// The customer's reading of `e` for the contact whose account is `reader`, or None when
    /// it is internal. `engineer` names a person by id (the engineer assigned). An objection's
    /// words are shown to the contact who wrote it only (a colleague's dispute is theirs).
    pub fn project(e: &Event, reader: Id, engineer: impl Fn(Id) -> Option<String>) -> Option<CustomerEvent> {
        let milestone = Milestone::of_action(&e.action)?;
        let after = |field: &str| e.changes.iter().find(|c| c.field == field).map(|c| &c.after);
        let about_a_file = matches!(milestone, Milestone::FileAdded | Milestone::FileWithdrawn);
        // An event about a file is the customer's only when the file is customer-visible;
        // the reason for a withdrawal stays internal.
        if about_a_file && after("visibility").and_then(|v| v.as_str()) != Some(Visibility::Customer.code()) {
            return None;
        }
        let text = match milestone {
            Milestone::FileAdded | Milestone::FileWithdrawn => {
                after("file_name").and_then(|v| v.as_str()).map(str::to_owned)
            }
            Milestone::Resolved => after("resolution").and_then(|v| v.as_str()).map(str::to_owned),
            Milestone::NotSolved => e.note.clone(),
            Milestone::Objection if e.actor_id == reader && reader != 0 => e.note.clone(),
            _ => None,
        };
        Some(CustomerEvent {
            at: e.at,
            milestone,
            engineer: match milestone {
                Milestone::EngineerAssigned => after("first_line_id").and_then(|v| v.as_i64()).and_then(engineer),
                _ => None,
            },
            time: match milestone {
                Milestone::VisitBooked => {
                    after("visit_at").and_then(|v| v.as_str()).and_then(|s| s.parse::<Timestamp>().ok())
                }
                _ => None,
            },
            text,
        })
    }
}

/// The customer's own organization as a contact reads it: its names, region and window; the
/// customer level (which selects the service policy), the project specialist and the
/// calendar are the service organization's (DOMAIN §8).
pub fn own_organization(mut c: crate::customer::Customer) -> crate::customer::Customer {
    c.level = String::new();
    c.specialist_id = None;
    c.calendar = None;
    c
}

/// A work-log entry the customer may read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerLogEntry {
    pub id: Id,
    pub kind: LogKind,
    pub body: String,
    /// Who wrote it: the engineer's or the desk's name, or the customer's own.
    pub author: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
}

impl CustomerLogEntry {
    /// The customer's reading of `e`, or None when it is internal.
    pub fn project(e: &LogEntry, author: String) -> Option<CustomerLogEntry> {
        (e.visibility == Visibility::Customer).then(|| CustomerLogEntry {
            id: e.id,
            kind: e.kind,
            body: e.body.clone(),
            author,
            at: e.at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket::tests_support::ticket;

    #[test]
    fn a_customer_reads_of_a_file_only_when_it_is_customer_visible() {
        use crate::event::Change;
        let event = |action: &str, visibility: &str| Event {
            id: 1,
            ticket_id: 1,
            at: "2026-12-07T01:00:00Z".parse().expect("ts"),
            actor_id: 5,
            action: action.into(),
            changes: vec![Change::added("file_name", "现场.jpg"), Change::added("visibility", visibility)],
            note: Some("传错工单".into()),
        };
        let seen = CustomerEvent::project(&event("attachment_added", "customer"), 9, |_| None).expect("theirs");
        assert_eq!((seen.milestone, seen.text.as_deref()), (Milestone::FileAdded, Some("现场.jpg")));
        assert!(CustomerEvent::project(&event("attachment_added", "internal"), 9, |_| None).is_none());
        let gone = CustomerEvent::project(&event("attachment_withdrawn", "customer"), 9, |_| None).expect("theirs");
        assert_eq!(gone.text.as_deref(), Some("现场.jpg"), "the name, never the internal reason");
        assert!(CustomerEvent::project(&event("attachment_withdrawn", "internal"), 9, |_| None).is_none());
    }

    #[test]
    fn the_projection_carries_no_staff_fields() {
        let mut t = ticket();
        t.priority = Some("P1".into());
        t.customer_level = Some("vip".into());
        t.policy_version = Some(7);
        t.grading_reason = Some("战略客户".into());
        let c = CustomerTicket::project(
            &t,
            &[],
            Reader { contact_id: None, window_contact_id: None, engineer: None, now: t.registered_at },
        );
        let json = serde_json::to_string(&c).expect("json");
        for hidden in ["P1", "vip", "policy", "战略客户", "priority", "13800138000"] {
            assert!(!json.contains(hidden), "{hidden} in {json}");
        }
    }

    #[test]
    fn a_resolved_ticket_waits_for_the_customer_and_a_closed_one_for_the_survey() {
        let mut t = ticket();
        let now = t.registered_at;
        t.status = Status::Resolved;
        assert_eq!(waiting_for(&t, false, now), [CustomerAction::ConfirmClosure]);
        t.status = Status::Closed;
        t.closed_at = Some(now);
        assert_eq!(waiting_for(&t, false, now), [CustomerAction::Survey]);
        let later = now + jiff::SignedDuration::from_hours(24 * (SURVEY_DAYS + 1));
        assert!(waiting_for(&t, false, later).is_empty(), "old closures no longer ask");
        t.status = Status::Accepted;
        t.window_confirmation = WindowConfirmation::Pending;
        assert_eq!(waiting_for(&t, true, now), [CustomerAction::ConfirmWindow]);
        assert!(waiting_for(&t, false, now).is_empty(), "only the window confirms");
    }
}
