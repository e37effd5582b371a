//! Preconditions of a rule that are not met: one variant each, with the stable code a
//! client reads (the JSON `code`), the HTTP status it answers with and its words in both
//! languages, so no caller spells a code or a sentence of its own.

use crate::callback::CallbackProblem;
use crate::customer_link::LinkProblem;
use crate::customer_view::CustomerStatus;
use crate::grading::ChangeRequestStatus;
use crate::lang::Lang;
use crate::lifecycle::Step;
use crate::notice::DeliveryState;
use crate::parts::PartsProblem;
use crate::ticket::Status;
use crate::visit::VisitProblem;
use crate::work_order::WorkOrderStatus;

/// A precondition that is not met; what was asked for was not done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    // The lifecycle (DOMAIN §2, §6).
    /// Seed 004: a request from anyone but the customer's window waits for the window.
    AwaitingWindowConfirmation,
    WindowConfirmationNotPending,
    /// Only the customer's designated window confirms a request someone else made.
    NotTheWindow,
    /// DOMAIN §3: the priority decides the deadlines the engineer is held to.
    DispatchUngraded,
    AlreadySurveyed,
    /// An engineer's own work on a ticket assigned to someone else (403).
    NotAssigned,
    /// A work log entry of the assigned engineer's kind, by another engineer (403).
    NotAssignedToRecord,
    /// The registration of a ticket that is no longer open.
    NotEditable {
        status: Status,
    },
    /// No active engineer of either line in the group to suggest.
    NoEngineer,
    NoSecondLineEngineer,
    // Grading (DOMAIN §3).
    SameLevel {
        level: String,
    },
    NoGradingToReview,
    NotGraded,
    DisputeOpen,
    NoDispute,
    /// One pending downgrade at a time.
    ChangePending,
    AlreadyDecided {
        status: ChangeRequestStatus,
    },
    LevelInUse {
        level: String,
        open: u64,
    },
    StaleGradingScheme,
    /// The report settings (weights, desk amounts) changed since the version an edit was
    /// based on.
    StaleReportSettings,
    // Service policy and calendars (DOMAIN §3, §4).
    StalePolicy {
        current: i64,
    },
    CalendarCompile {
        what: String,
    },
    // People and the directory.
    SelfDeactivation,
    SelfDemotion,
    ContactLeft,
    OwnPassword,
    WindowLeaving,
    // Notices and deliveries (DOMAIN §5).
    NotARecipient,
    NotRetryable {
        state: DeliveryState,
    },
    NotUncertain {
        state: DeliveryState,
    },
    // What a customer contact is told (DOMAIN §8), in customer words.
    CustomerIllegalTransition {
        shown: CustomerStatus,
        step: Step,
    },
    SurveyAfterClosure,
    Link(LinkProblem),
    /// Spare parts: stock, requisitions (`crate::parts`).
    Parts(PartsProblem),
    /// Fees (seed 003): quotes, approvals, payments (`fee::FeeConflict`).
    Fee(crate::fee::FeeConflict),
    /// A record with the same unique name or number exists already.
    Duplicate,
    // Work orders and dispatch (issue 13).
    /// Progress, an edit or a status change on a work order that is done or cancelled.
    WorkOrderClosed {
        status: WorkOrderStatus,
    },
    /// Nobody passes dispatch's hard filters; the counted reasons in both languages.
    NoEligibleEngineer {
        why_en: String,
        why_zh: String,
    },
    /// Only the work order's owner or the ticket's people record its progress (403).
    NotWorkOrderOwner,
    /// The work order changed since the version an edit was based on.
    StaleWorkOrder {
        current: i64,
    },
    /// A month's improvement actions (issue 15) changed since the version an edit was based on.
    StaleImprovements {
        current: i64,
    },
    /// Visits and engineers' working calendars (issue 13).
    Visit(VisitProblem),
    /// Callbacks (DOMAIN §6, issue 15).
    Callback(CallbackProblem),
    /// Evidence attachments (issue 14): a refused file, or photos the resolve step needs.
    Attachment(crate::attachment::AttachmentProblem),
    /// The service report (issue 14): signing, refusing, versions.
    Report(crate::service_report::ReportProblem),
}

impl Conflict {
    /// Stable machine-readable code (several variants may share one).
    pub fn code(&self) -> &'static str {
        match self {
            Conflict::AwaitingWindowConfirmation => "awaiting_window_confirmation",
            Conflict::WindowConfirmationNotPending => "window_confirmation_not_pending",
            Conflict::NotTheWindow => "not_the_window",
            Conflict::DispatchUngraded | Conflict::NotGraded => "not_graded",
            Conflict::AlreadySurveyed => "already_surveyed",
            Conflict::NotAssigned | Conflict::NotAssignedToRecord => "not_assigned",
            Conflict::NotEditable { .. } => "not_editable",
            Conflict::NoEngineer | Conflict::NoSecondLineEngineer | Conflict::NoEligibleEngineer { .. } => {
                "no_engineer"
            }
            Conflict::WorkOrderClosed { .. } => "work_order_closed",
            Conflict::StaleWorkOrder { .. } | Conflict::StaleImprovements { .. } => "stale_version",
            Conflict::NotWorkOrderOwner => "not_work_order_owner",
            Conflict::SameLevel { .. } => "same_level",
            Conflict::NoGradingToReview => "no_grading_to_review",
            Conflict::DisputeOpen => "dispute_open",
            Conflict::NoDispute => "no_dispute",
            Conflict::ChangePending => "change_pending",
            Conflict::AlreadyDecided { .. } => "already_decided",
            Conflict::LevelInUse { .. } => "level_in_use",
            Conflict::StaleGradingScheme => "stale_grading_scheme",
            Conflict::StaleReportSettings => "stale_report_settings",
            Conflict::StalePolicy { .. } => "stale_policy",
            Conflict::CalendarCompile { .. } => "calendar_compile",
            Conflict::SelfDeactivation | Conflict::SelfDemotion => "self_lockout",
            Conflict::ContactLeft => "contact_left",
            Conflict::OwnPassword => "own_password",
            Conflict::WindowLeaving => "window_leaving",
            Conflict::NotARecipient => "not_a_recipient",
            Conflict::NotRetryable { .. } => "not_retryable",
            Conflict::NotUncertain { .. } => "not_uncertain",
            Conflict::CustomerIllegalTransition { .. } => "illegal_transition",
            Conflict::SurveyAfterClosure => "survey_after_closure",
            Conflict::Link(LinkProblem::Used) => "link_used",
            Conflict::Link(LinkProblem::Expired) => "link_expired",
            Conflict::Link(LinkProblem::Revoked) => "link_revoked",
            Conflict::Link(LinkProblem::Superseded) => "link_superseded",
            Conflict::Fee(f) => f.code(),
            Conflict::Duplicate => "duplicate",
            Conflict::Visit(p) => p.code(),
            Conflict::Callback(p) => p.code(),
            Conflict::Parts(p) => p.code(),
            Conflict::Attachment(p) => p.code(),
            Conflict::Report(p) => p.code(),
        }
    }

    /// The HTTP status it answers with: 403 where the refusal is about who acts (the
    /// role may, but not on this ticket), 409 where the state of things is in the way.
    pub fn status(&self) -> u16 {
        match self {
            Conflict::NotAssigned
            | Conflict::NotAssignedToRecord
            | Conflict::NotTheWindow
            | Conflict::NotWorkOrderOwner => 403,
            Conflict::Visit(p) => p.status(),
            Conflict::Callback(p) => p.status(),
            Conflict::Parts(p) => p.status(),
            Conflict::Attachment(p) => p.status(),
            Conflict::Report(p) => p.status(),
            _ => 409,
        }
    }

    /// One sentence for a person, in their language.
    pub fn message(&self, lang: Lang) -> String {
        let (en, zh): (String, String) = match self {
            Conflict::AwaitingWindowConfirmation => (
                "The request must first be confirmed by the customer's designated window".into(),
                "该报修须先由客户窗口确认后才能受理".into(),
            ),
            Conflict::WindowConfirmationNotPending => {
                ("This request does not await the window's confirmation".into(), "该报修不需要客户窗口确认".into())
            }
            Conflict::NotTheWindow => (
                "Only the customer's designated window contact can confirm this request".into(),
                "只有客户指定的窗口联系人可以确认该报修".into(),
            ),
            Conflict::DispatchUngraded => {
                ("Grade the ticket before dispatching it".into(), "请先对工单分级再派单".into())
            }
            Conflict::AlreadySurveyed => ("This resolution was already surveyed".into(), "本次解决已完成回访".into()),
            Conflict::NotAssigned => (
                "Only the engineer assigned to this ticket may do this".into(),
                "只有本工单的处理工程师可以执行此操作".into(),
            ),
            Conflict::NotAssignedToRecord => (
                "Only the engineer assigned to this ticket may record this".into(),
                "只有本工单的处理工程师可以记录此项".into(),
            ),
            Conflict::NotEditable { status } => (
                format!("A {} ticket's registration can no longer be edited", status.label(Lang::En).to_lowercase()),
                format!("工单已{}，不能再修改登记信息", status.label(Lang::Zh).trim_start_matches('已')),
            ),
            Conflict::NoEngineer => (
                "No active engineer in this group; choose one by hand".into(),
                "该处理组没有在岗工程师，请手动指定".into(),
            ),
            Conflict::NoEligibleEngineer { why_en, why_zh } => (
                format!("No engineer passes the dispatch rules ({why_en}); choose one by hand"),
                format!("没有符合派单条件的工程师（{why_zh}），请手动指定"),
            ),
            Conflict::WorkOrderClosed { status } => (
                format!("The work order is {}; it takes no more changes", status.label(Lang::En).to_lowercase()),
                format!("协作工单{}，不能再修改或填写进展", status.label(Lang::Zh)),
            ),
            Conflict::StaleWorkOrder { current } => (
                format!("Someone changed this work order meanwhile (now version {current}); reload it and try again"),
                format!("协作工单已被他人修改（当前版本 {current}），请刷新后重试"),
            ),
            Conflict::StaleImprovements { current } => (
                format!(
                    "Someone saved this month's improvement actions meanwhile (now version {current}); reload and try again"
                ),
                format!("本月改进措施已被他人修改（当前版本 {current}），请刷新后重试"),
            ),
            Conflict::NotWorkOrderOwner => (
                "Only the work order's owner or the ticket's engineers and dispatchers may do this".into(),
                "只有协作工单负责人或本工单的处理人员、调度可以执行此操作".into(),
            ),
            Conflict::NoSecondLineEngineer => (
                "No active second-line engineer in this group; choose one by hand".into(),
                "该处理组没有在岗的二线工程师，请手动指定".into(),
            ),
            Conflict::SameLevel { level } => {
                (format!("The ticket is already graded {level}"), format!("工单已是 {level} 级"))
            }
            Conflict::NoGradingToReview => ("There is no grading awaiting review".into(), "没有待审核的分级".into()),
            Conflict::NotGraded => ("The ticket has not been graded yet".into(), "工单尚未分级".into()),
            Conflict::DisputeOpen => (
                "An objection is already awaiting the technical director's ruling".into(),
                "已有分级异议等待技术总监裁定".into(),
            ),
            Conflict::NoDispute => ("There is no open grading objection".into(), "没有待裁定的分级异议".into()),
            Conflict::ChangePending => (
                "A priority downgrade for this ticket already awaits a supervisor".into(),
                "该工单已有降级申请等待服务主管审批".into(),
            ),
            Conflict::AlreadyDecided { status } => (
                format!("This request was already {}", status.label(Lang::En).to_lowercase()),
                format!("该申请已{}", status.label(Lang::Zh).trim_start_matches('已')),
            ),
            Conflict::LevelInUse { level, open } => (
                format!("Level {level} is used by {open} open tickets; regrade them first"),
                format!("级别 {level} 仍有 {open} 张未结工单在用，请先调整这些工单的级别"),
            ),
            Conflict::StaleReportSettings => (
                "The report settings were changed by someone else; review the current ones and try again".into(),
                "报表设置已被他人修改，请查看当前设置后重试".into(),
            ),
            Conflict::StaleGradingScheme => (
                "The grading scheme was changed by someone else; review the current one and try again".into(),
                "分级标准已被他人修改，请查看当前内容后重试".into(),
            ),
            Conflict::StalePolicy { current } => (
                format!(
                    "The service policy was changed by someone else (now version {current}); review it and try again"
                ),
                format!("服务策略已被他人修改（当前为第 {current} 版），请查看后重试"),
            ),
            Conflict::CalendarCompile { what } => {
                (format!("the calendar could not be compiled: {what}"), format!("工作日历无法生成：{what}"))
            }
            Conflict::SelfDeactivation => (
                "You cannot deactivate your own account; ask another administrator".into(),
                "不能停用自己的账号，如确需停用，请由其他管理员操作".into(),
            ),
            Conflict::SelfDemotion => (
                "You cannot remove your own administrator role; ask another administrator".into(),
                "不能取消自己的管理员角色，如确需调整，请由其他管理员操作".into(),
            ),
            Conflict::ContactLeft => (
                "The contact of this account has left the customer, so the account cannot be active; \
                 if they are back, mark the contact as back with the customer first"
                    .into(),
                "该账号对应的联系人已离开客户单位，账号不能启用；如其已回到客户单位，请先在联系人页面恢复为在职".into(),
            ),
            Conflict::OwnPassword => (
                "Change your own password on your account page; it asks for the current one".into(),
                "请在「我的账号」页面修改自己的密码（需输入当前密码）".into(),
            ),
            Conflict::WindowLeaving => (
                "This contact is the customer's window: choose another window (or none) first".into(),
                "该联系人是客户窗口，请先更换或取消客户窗口".into(),
            ),
            Conflict::NotARecipient => (
                "Only the people a notice was sent to can acknowledge it".into(),
                "只有通告的接收人可以确认该通告".into(),
            ),
            Conflict::NotRetryable { state } => (
                format!("Only a dead or in-doubt delivery can be retried; this one is {}", state.label(Lang::En)),
                format!("只有发送失败或待确认的投递可以重试；此投递为{}", state.label(Lang::Zh)),
            ),
            Conflict::NotUncertain { state } => (
                format!("Only an in-doubt delivery can be confirmed; this one is {}", state.label(Lang::En)),
                format!("只有待确认的投递可以确认送达；此投递为{}", state.label(Lang::Zh)),
            ),
            Conflict::CustomerIllegalTransition { shown, step } => (
                format!("This cannot be done while the request is \"{}\"", shown.label(Lang::En)),
                format!("报修当前为「{}」，不能{}", shown.label(Lang::Zh), step.label(Lang::Zh)),
            ),
            Conflict::SurveyAfterClosure => {
                ("The service can be rated once the request is closed".into(), "报修结案后才能评价服务".into())
            }
            Conflict::Link(p) => (p.label(Lang::En).into(), p.label(Lang::Zh).into()),
            Conflict::Fee(f) => (f.message(Lang::En), f.message(Lang::Zh)),
            Conflict::Duplicate => ("Duplicate: this record already exists".into(), "数据重复：该记录已存在".into()),
            Conflict::Visit(p) => (p.message(Lang::En), p.message(Lang::Zh)),
            Conflict::Callback(p) => (p.message(Lang::En), p.message(Lang::Zh)),
            Conflict::Parts(p) => (p.message(Lang::En), p.message(Lang::Zh)),
            Conflict::Attachment(p) => (p.message(Lang::En), p.message(Lang::Zh)),
            Conflict::Report(p) => (p.message(Lang::En), p.message(Lang::Zh)),
        };
        match lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_about_who_acts_are_forbidden_and_the_rest_conflicts() {
        assert_eq!(Conflict::NotAssigned.status(), 403);
        assert_eq!(Conflict::NotTheWindow.status(), 403);
        assert_eq!(Conflict::ChangePending.status(), 409);
        assert_eq!(Conflict::Link(LinkProblem::Used).code(), "link_used");
        assert_eq!(Conflict::SelfDemotion.code(), Conflict::SelfDeactivation.code());
        let e = Conflict::NotEditable { status: Status::Closed };
        assert_eq!(e.message(Lang::Zh), "工单已结案，不能再修改登记信息");
        assert_eq!(e.message(Lang::En), "A closed ticket's registration can no longer be edited");
    }
}
