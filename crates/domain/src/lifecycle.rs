//! The ticket lifecycle as an explicit state machine (DOMAIN §2, §6):
//! registered → accepted → dispatched → responded → in progress (⇄ waiting for customer /
//! parts) → resolved → closed, only on the customer's confirmation. Refusal returns to in
//! progress; closed tickets can be reopened; open tickets can be cancelled with a reason.
//!
//! Every method checks the current state first and refuses with the state named; on
//! success it changes only the fields the step owns. `app` records the before → after
//! difference as the ticket's event.

use crate::clock::SurveyResult;
use crate::coded_enum;
use crate::error::{Conflict, DomainError, Reason};
use crate::permission::Action;
use crate::ticket::{CancelReason, ClosureMethod, GradingDispute, GradingReview, Status, Ticket, WindowConfirmation};
use crate::{Id, Timestamp};

/// What a step depends on beyond the ticket's own fields (read from other records by the
/// caller), so that every page offering steps asks the same rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepContext {
    /// Seed 003: chargeable work (out of warranty, or 耗材更换) starts once the customer has
    /// approved its quote or it is recorded free ([`crate::fee::FeeFile::may_start`]).
    pub start_waits_for_quote: bool,
    /// Issue 13: 等待备件 is waiting for a requisition still open.
    pub open_requisitions: bool,
}

impl Default for StepContext {
    /// Nothing outside the ticket holds a step back.
    fn default() -> StepContext {
        StepContext { start_waits_for_quote: false, open_requisitions: true }
    }
}

coded_enum! {
    /// A step someone takes on a ticket.
    pub enum Step {
        Accept = ("accept", "受理", "accept"),
        ConfirmWindow = ("confirm_window", "窗口确认", "confirm as window"),
        Grade = ("grade", "分级", "grade"),
        ReviewGrading = ("review_grading", "审核分级", "review the grading of"),
        ObjectToGrading = ("object_to_grading", "分级异议", "object to the grading of"),
        RuleGradingDispute = ("rule_grading_dispute", "裁定分级争议", "rule on the grading dispute of"),
        Dispatch = ("dispatch", "派单", "dispatch"),
        Respond = ("respond", "联系客户", "record customer contact on"),
        Start = ("start", "开始处理", "start work on"),
        WaitForCustomer = ("wait_for_customer", "等待客户", "wait for the customer on"),
        WaitForParts = ("wait_for_parts", "等待备件", "wait for parts on"),
        Resume = ("resume", "恢复处理", "resume"),
        RequestSecondLine = ("request_second_line", "申请二线支持", "request second-line support on"),
        Resolve = ("resolve", "解决", "resolve"),
        ConfirmClosure = ("confirm_closure", "确认结案", "confirm closure of"),
        RefuseClosure = ("refuse_closure", "拒绝结案", "refuse closure of"),
        Reopen = ("reopen", "重新打开", "reopen"),
        Cancel = ("cancel", "撤销", "cancel"),
        BookVisit = ("book_visit", "预约上门", "book a visit for"),
        RecordSurvey = ("record_survey", "回访调查", "record the survey of"),
    }
}

const WORKED: &[Status] = &[Status::Responded, Status::InProgress, Status::WaitingCustomer, Status::WaitingParts];
const GRADABLE: &[Status] = &[
    Status::Accepted,
    Status::Dispatched,
    Status::Responded,
    Status::InProgress,
    Status::WaitingCustomer,
    Status::WaitingParts,
];

impl Step {
    /// The permission this step needs (DOMAIN §1).
    pub fn permission(self) -> Action {
        match self {
            Step::Accept => Action::AcceptTicket,
            Step::ConfirmWindow => Action::ConfirmWindow,
            Step::Grade => Action::GradeTicket,
            Step::ReviewGrading => Action::ReviewGrading,
            Step::ObjectToGrading => Action::ObjectToGrading,
            Step::RuleGradingDispute => Action::RuleGradingDispute,
            Step::Dispatch => Action::DispatchTicket,
            Step::Respond => Action::Respond,
            Step::Start | Step::WaitForCustomer | Step::WaitForParts | Step::Resume => Action::WorkTicket,
            Step::RequestSecondLine => Action::RequestSecondLine,
            Step::Resolve => Action::ResolveTicket,
            Step::ConfirmClosure => Action::ConfirmClosure,
            Step::RefuseClosure => Action::RefuseClosure,
            Step::Reopen => Action::ReopenTicket,
            Step::Cancel => Action::CancelTicket,
            Step::BookVisit => Action::BookVisit,
            Step::RecordSurvey => Action::RecordSurvey,
        }
    }

    /// The steps of the assigned engineer's own work on a ticket.
    pub fn is_engineers_work(self) -> bool {
        matches!(
            self,
            Step::Respond
                | Step::Start
                | Step::WaitForCustomer
                | Step::WaitForParts
                | Step::Resume
                | Step::Resolve
                | Step::RequestSecondLine
                | Step::BookVisit
        )
    }

    /// The states this step may start from.
    pub fn allowed_from(self) -> &'static [Status] {
        use Status::*;
        match self {
            Step::Accept | Step::ConfirmWindow => &[Registered],
            Step::Grade | Step::ReviewGrading | Step::ObjectToGrading | Step::RuleGradingDispute => GRADABLE,
            // Dispatching again in a later state is a reassignment.
            Step::Dispatch => &[Accepted, Dispatched, Responded, InProgress, WaitingCustomer, WaitingParts],
            Step::Respond => &[Dispatched],
            Step::Start => &[Responded],
            Step::WaitForCustomer | Step::WaitForParts => &[InProgress],
            Step::Resume => &[WaitingCustomer, WaitingParts],
            Step::RequestSecondLine => WORKED,
            Step::Resolve => &[InProgress],
            Step::ConfirmClosure | Step::RefuseClosure => &[Resolved],
            Step::Reopen => &[Closed],
            Step::Cancel => &[Registered, Accepted, Dispatched, Responded, InProgress, WaitingCustomer, WaitingParts],
            Step::BookVisit => &[Dispatched, Responded, InProgress, WaitingCustomer, WaitingParts],
            Step::RecordSurvey => &[Resolved, Closed],
        }
    }
}

fn required_text(field: &'static str, text: &str) -> Result<String, DomainError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(DomainError::field(field, Reason::Missing));
    }
    if t.chars().count() > 4000 {
        return Err(DomainError::field(field, Reason::TooLong { max: 4000 }));
    }
    Ok(t.to_owned())
}

/// How a closure confirmation by `role` is recorded (DOMAIN §6): a customer confirms with
/// their own click in the portal; staff record the customer's signature on site or a
/// callback confirmation, and must say which.
pub fn closure_method(role: crate::role::Role, requested: Option<ClosureMethod>) -> Result<ClosureMethod, DomainError> {
    let customer = role == crate::role::Role::CustomerContact;
    match (customer, requested) {
        (true, None | Some(ClosureMethod::Portal)) => Ok(ClosureMethod::Portal),
        (true, Some(_)) => Err(DomainError::field(
            "method",
            Reason::Mismatch { detail_en: "customers confirm in the portal", detail_zh: "客户请在门户中确认" },
        )),
        (false, Some(ClosureMethod::Portal)) => Err(DomainError::field(
            "method",
            Reason::Mismatch {
                detail_en: "portal confirmation is the customer's own click; staff record a signature or a callback",
                detail_zh: "门户确认须由客户本人操作；服务人员请记录现场签字或回访确认",
            },
        )),
        (false, Some(m)) => Ok(m),
        (false, None) => Err(DomainError::field("method", Reason::Missing)),
    }
}

impl Ticket {
    /// Refuses `step` unless the ticket is in one of the states it starts from.
    pub fn check(&self, step: Step) -> Result<(), DomainError> {
        if step.allowed_from().contains(&self.status) {
            Ok(())
        } else {
            Err(DomainError::IllegalTransition { status: self.status, step })
        }
    }

    /// Whether `step` makes sense on the ticket now: its state allows it, and so does the
    /// sub-state some steps depend on (a window confirmation pending, a grading awaiting
    /// review, an open objection). What a page offers; taking the step still checks.
    pub fn offers(&self, step: Step) -> bool {
        step.allowed_from().contains(&self.status)
            && match step {
                Step::ConfirmWindow => self.window_confirmation == WindowConfirmation::Pending,
                Step::Accept => self.window_confirmation != WindowConfirmation::Pending,
                Step::ReviewGrading => self.grading_review == GradingReview::Pending,
                Step::ObjectToGrading => self.priority.is_some() && self.grading_dispute != GradingDispute::Open,
                Step::RuleGradingDispute => self.grading_dispute == GradingDispute::Open,
                _ => true,
            }
    }

    /// Whether `step` makes sense on the ticket now, given what besides the ticket the step
    /// depends on ([`StepContext`]): what a page offers (and the steps an API reader is
    /// told are open). Taking the step checks the same things again, with their reasons.
    pub fn offers_in(&self, step: Step, ctx: &StepContext) -> bool {
        self.offers(step)
            && match step {
                Step::Start => !ctx.start_waits_for_quote,
                Step::WaitForParts => ctx.open_requisitions,
                _ => true,
            }
    }

    /// Is `user` the first- or second-line engineer of this ticket?
    pub fn is_assigned_to(&self, user: Id) -> bool {
        self.first_line_id == Some(user) || self.second_line_id == Some(user)
    }

    /// The desk accepts a complete request; the response clock starts here (DOMAIN §4).
    pub fn accept(&mut self, by: Id, now: Timestamp) -> Result<(), DomainError> {
        self.check(Step::Accept)?;
        if self.window_confirmation == WindowConfirmation::Pending {
            return Err(Conflict::AwaitingWindowConfirmation.into());
        }
        self.status = Status::Accepted;
        self.accepted_at = Some(now);
        self.accepted_by = Some(by);
        Ok(())
    }

    /// The customer's window confirms a request someone else made (seed 004).
    pub fn confirm_window(&mut self) -> Result<(), DomainError> {
        self.check(Step::ConfirmWindow)?;
        if self.window_confirmation != WindowConfirmation::Pending {
            return Err(Conflict::WindowConfirmationNotPending.into());
        }
        self.window_confirmation = WindowConfirmation::Confirmed;
        Ok(())
    }

    /// Assigns the handling group and first-line engineer. Needs a grading first, since
    /// the priority decides the deadlines the engineer is held to (DOMAIN §3).
    pub fn dispatch(&mut self, group: Id, engineer: Id, now: Timestamp) -> Result<(), DomainError> {
        self.check(Step::Dispatch)?;
        if self.priority.is_none() {
            return Err(Conflict::DispatchUngraded.into());
        }
        self.group_id = Some(group);
        self.first_line_id = Some(engineer);
        if self.status == Status::Accepted {
            self.status = Status::Dispatched;
            self.dispatched_at = Some(now);
        }
        Ok(())
    }

    /// The engineer has contacted the customer: the response clock stops (DOMAIN §4).
    pub fn respond(&mut self, now: Timestamp) -> Result<(), DomainError> {
        self.check(Step::Respond)?;
        self.status = Status::Responded;
        self.responded_at = Some(now);
        Ok(())
    }

    pub fn start(&mut self) -> Result<(), DomainError> {
        self.check(Step::Start)?;
        self.status = Status::InProgress;
        Ok(())
    }

    pub fn wait_for_customer(&mut self) -> Result<(), DomainError> {
        self.check(Step::WaitForCustomer)?;
        self.status = Status::WaitingCustomer;
        Ok(())
    }

    pub fn wait_for_parts(&mut self) -> Result<(), DomainError> {
        self.check(Step::WaitForParts)?;
        self.status = Status::WaitingParts;
        Ok(())
    }

    pub fn resume(&mut self) -> Result<(), DomainError> {
        self.check(Step::Resume)?;
        self.status = Status::InProgress;
        Ok(())
    }

    /// First line asks for help: a second-line engineer joins (DOMAIN §5 二线支持).
    pub fn request_second_line(&mut self, engineer: Id) -> Result<(), DomainError> {
        self.check(Step::RequestSecondLine)?;
        if self.first_line_id == Some(engineer) {
            return Err(DomainError::field(
                "engineer_id",
                Reason::Mismatch {
                    detail_en: "is already the first-line engineer of this ticket",
                    detail_zh: "已是本工单的一线工程师",
                },
            ));
        }
        self.second_line_id = Some(engineer);
        Ok(())
    }

    pub fn resolve(&mut self, resolution: &str, now: Timestamp) -> Result<(), DomainError> {
        self.check(Step::Resolve)?;
        let resolution = required_text("resolution", resolution)?;
        self.status = Status::Resolved;
        self.resolution = Some(resolution);
        self.resolved_at = Some(now);
        // A new resolution is surveyed afresh.
        self.survey_result = None;
        self.surveyed_at = None;
        Ok(())
    }

    /// Books (or rebooks) the engineer's site visit at the time agreed with the customer;
    /// the arrival clock is due then (DOMAIN §4).
    pub fn book_visit(&mut self, at: Timestamp, now: Timestamp) -> Result<(), DomainError> {
        self.check(Step::BookVisit)?;
        if at <= now {
            return Err(DomainError::field(
                "at",
                Reason::Mismatch { detail_en: "must be in the future", detail_zh: "须晚于当前时间" },
            ));
        }
        self.visit_at = Some(at);
        Ok(())
    }

    /// Records the customer's satisfaction with the latest resolution (回访). The callback
    /// clock stops; a dissatisfied answer starts the re-handling clock (DOMAIN §4) and sends
    /// the ticket back to work, resolved or closed alike (DOMAIN §5: "ticket reopened for
    /// re-handling"), counted as a reopen by [`Ticket::rehandle`].
    pub fn record_survey(&mut self, result: SurveyResult, now: Timestamp) -> Result<(), DomainError> {
        self.check(Step::RecordSurvey)?;
        if self.survey_result.is_some() {
            return Err(Conflict::AlreadySurveyed.into());
        }
        self.survey_result = Some(result);
        self.surveyed_at = Some(now);
        // DOMAIN §5: dissatisfied → the ticket is reopened for re-handling.
        if result == SurveyResult::Dissatisfied {
            self.rehandle();
        }
        Ok(())
    }

    /// The one rule for a reopen (重新处理): a ticket its handlers had finished (resolved or
    /// closed) goes back to work and `reopen_count` counts it, whether a person reopened it
    /// or a dissatisfied survey did. A customer's refusal to confirm closure is not a
    /// reopen but a refusal (客户未结, `customer_refusals`): the work was never accepted as
    /// finished, and it raises its own notice.
    fn rehandle(&mut self) {
        self.status = Status::InProgress;
        self.resolved_at = None;
        self.closed_at = None;
        self.closure_method = None;
        self.reopen_count += 1;
    }

    /// Closes only on the customer's agreement (DOMAIN §6).
    pub fn confirm_closure(&mut self, method: ClosureMethod, now: Timestamp) -> Result<(), DomainError> {
        self.check(Step::ConfirmClosure)?;
        self.status = Status::Closed;
        self.closure_method = Some(method);
        self.closed_at = Some(now);
        Ok(())
    }

    /// The customer does not agree it is solved: back to work, and counted (客户未结).
    pub fn refuse_closure(&mut self, reason: &str) -> Result<(), DomainError> {
        self.check(Step::RefuseClosure)?;
        required_text("reason", reason)?;
        self.status = Status::InProgress;
        self.resolved_at = None;
        self.customer_refusals += 1;
        Ok(())
    }

    /// A closed ticket taken up again by a person (with the reason); see [`Ticket::rehandle`].
    pub fn reopen(&mut self, reason: &str) -> Result<(), DomainError> {
        self.check(Step::Reopen)?;
        required_text("reason", reason)?;
        self.rehandle();
        Ok(())
    }

    pub fn cancel(&mut self, reason: CancelReason, note: Option<&str>) -> Result<(), DomainError> {
        self.check(Step::Cancel)?;
        let note = note.map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
        if reason == CancelReason::Duplicate && note.is_none() {
            return Err(DomainError::field(
                "note",
                Reason::Mismatch {
                    detail_en: "must name the ticket this one duplicates",
                    detail_zh: "请注明与哪张工单重复",
                },
            ));
        }
        self.status = Status::Cancelled;
        self.cancel_reason = Some(reason);
        self.cancel_note = note;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket::tests_support::ticket;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn the_context_holds_back_start_and_waiting_for_parts() {
        let mut t = ticket();
        let now = ts("2024-03-15T01:00:00Z");
        t.accept(7, now).expect("accept");
        t.priority = Some("P2".into());
        t.dispatch(1, 20, now).expect("dispatch");
        t.respond(now).expect("respond");
        let quote = StepContext { start_waits_for_quote: true, ..StepContext::default() };
        assert!(t.offers_in(Step::Start, &StepContext::default()));
        assert!(!t.offers_in(Step::Start, &quote));
        t.start().expect("start");
        let none_open = StepContext { open_requisitions: false, ..StepContext::default() };
        assert!(t.offers_in(Step::WaitForParts, &StepContext::default()));
        assert!(!t.offers_in(Step::WaitForParts, &none_open));
        assert!(t.offers_in(Step::Resolve, &none_open));
    }

    #[test]
    fn happy_path_reaches_closed_only_through_every_state() {
        let mut t = ticket();
        let now = ts("2024-03-15T01:00:00Z");
        t.accept(7, now).expect("accept");
        t.priority = Some("P2".into());
        t.dispatch(1, 20, now).expect("dispatch");
        assert_eq!(t.status, Status::Dispatched);
        t.respond(now).expect("respond");
        t.start().expect("start");
        t.wait_for_parts().expect("wait");
        t.resume().expect("resume");
        t.resolve("更换定影组件", now).expect("resolve");
        t.confirm_closure(ClosureMethod::Portal, now).expect("close");
        assert_eq!(t.status, Status::Closed);
    }

    #[test]
    fn illegal_steps_name_the_current_state() {
        let mut t = ticket();
        let err = t.resolve("x", ts("2024-03-15T01:00:00Z")).expect_err("must refuse");
        assert_eq!(err, DomainError::IllegalTransition { status: Status::Registered, step: Step::Resolve });
        assert!(err.message(crate::Lang::Zh).contains("已登记"));
        assert!(err.message(crate::Lang::En).contains("Registered"));
    }

    #[test]
    fn dispatch_needs_a_grading_and_window_blocks_acceptance() {
        let mut t = ticket();
        t.window_confirmation = WindowConfirmation::Pending;
        assert_eq!(
            t.accept(1, ts("2024-03-15T01:00:00Z")).expect_err("blocked").code(),
            "awaiting_window_confirmation"
        );
        t.confirm_window().expect("confirm");
        t.accept(1, ts("2024-03-15T01:00:00Z")).expect("accept");
        assert_eq!(t.dispatch(1, 2, ts("2024-03-15T01:00:00Z")).expect_err("ungraded").code(), "not_graded");
    }

    #[test]
    fn customers_confirm_in_the_portal_and_staff_record_how_the_customer_agreed() {
        use crate::role::Role;
        assert_eq!(closure_method(Role::CustomerContact, None), Ok(ClosureMethod::Portal));
        assert!(closure_method(Role::CustomerContact, Some(ClosureMethod::Signature)).is_err());
        assert_eq!(closure_method(Role::DeskAgent, Some(ClosureMethod::Callback)), Ok(ClosureMethod::Callback));
        assert!(closure_method(Role::DeskAgent, Some(ClosureMethod::Portal)).is_err());
        assert_eq!(closure_method(Role::DeskAgent, None), Err(DomainError::field("method", Reason::Missing)));
    }

    #[test]
    fn refusal_returns_to_work_and_is_counted() {
        let mut t = ticket();
        t.status = Status::Resolved;
        t.resolved_at = Some(ts("2024-03-15T01:00:00Z"));
        assert!(t.refuse_closure("  ").is_err());
        t.refuse_closure("打印仍有条纹").expect("refuse");
        assert_eq!((t.status, t.customer_refusals, t.resolved_at), (Status::InProgress, 1, None));
    }

    #[test]
    fn a_reopen_is_counted_once_whether_a_person_or_a_dissatisfied_survey_reopens() {
        let now = ts("2024-03-15T01:00:00Z");
        let finished = |status| {
            let mut t = ticket();
            t.status = status;
            t.resolved_at = Some(now);
            if status == Status::Closed {
                t.closed_at = Some(now);
                t.closure_method = Some(ClosureMethod::Callback);
            }
            t
        };
        let mut manual = finished(Status::Closed);
        manual.reopen("客户回访称再次卡纸").expect("reopen");
        for status in [Status::Resolved, Status::Closed] {
            let mut t = finished(status);
            t.record_survey(SurveyResult::Dissatisfied, now).expect("survey");
            assert_eq!(
                (t.status, t.reopen_count, t.customer_refusals, t.resolved_at, t.closed_at, t.closure_method),
                (manual.status, 1, 0, None, None, None),
                "dissatisfied survey of a {status} ticket"
            );
        }
        assert_eq!((manual.status, manual.reopen_count, manual.closed_at), (Status::InProgress, 1, None));
        // A satisfied answer leaves the ticket where it was, uncounted.
        let mut t = finished(Status::Resolved);
        t.record_survey(SurveyResult::Satisfied, now).expect("survey");
        assert_eq!((t.status, t.reopen_count), (Status::Resolved, 0));
        // The customer's refusal is counted as a refusal, not as a reopen.
        let mut t = finished(Status::Resolved);
        t.refuse_closure("仍然卡纸").expect("refuse");
        assert_eq!((t.reopen_count, t.customer_refusals), (0, 1));
    }

    #[test]
    fn every_step_is_refused_from_states_not_listed() {
        for &step in Step::ALL {
            for &status in Status::ALL {
                let mut t = ticket();
                t.status = status;
                assert_eq!(t.check(step).is_ok(), step.allowed_from().contains(&status));
            }
        }
        let mut t = ticket();
        t.status = Status::Closed;
        assert!(t.cancel(CancelReason::Invalid, None).is_err());
    }
}
