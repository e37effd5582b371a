//! Notices and escalation (通告, DOMAIN §5, seeds 000 and 004): which moments of a ticket
//! must be watched (the jobs), what is told when one comes (the notice), and to whom.
//!
//! Everything here is a pure function of the ticket and its clocks: [`schedule`] lists the
//! future moments that matter for a ticket as it now is (the app keeps the jobs table equal
//! to it in the same transaction as every change), and [`evaluate`] decides, when a moment
//! comes, whether the condition still holds. Notice keys are deterministic, so a notice can
//! be stored only once (a unique key), whichever worker gets there.

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::clock::{ClockKind, ClockSet, SurveyResult, Track};
use crate::coded_enum;
use crate::lifecycle::Step;
use crate::ticket::{Status, Ticket};
use crate::{Id, Lang, Timestamp};

mod delivery;
mod route;
pub use delivery::*;
pub use route::*;

coded_enum! {
    /// The notices of DOMAIN §5 (seed 004's daily table names most of them).
    pub enum NoticeKind {
        PreBreach = ("pre_breach", "临近超时", "Deadline approaching"),
        ResponseTimeout = ("response_timeout", "响应超时", "Response timeout"),
        SecondLine = ("second_line", "二线支持", "Second-line support"),
        NotClosedSameDay = ("not_closed_same_day", "当天未结", "Not closed the same day"),
        CustomerDidNotClose = ("customer_did_not_close", "客户未结", "Customer did not close"),
        ThreeDaysUnclosed = ("three_days_unclosed", "三天未结", "Unclosed for three days"),
        RepeatReport = ("repeat_report", "重复报修", "Repeat report"),
        VisitDelay = ("visit_delay", "上门延误", "Visit delayed"),
        Dissatisfied = ("dissatisfied", "客户不满意", "Customer dissatisfied"),
        /// A faulty part taken out on a job has not come back to the warehouse in time
        /// (issue 13; `crate::parts`).
        FaultyPartOverdue = ("faulty_part_overdue", "旧件逾期未还", "Faulty part overdue"),
        /// The desk's progress message, delivered to the reporting contact (seeds 002/004:
        /// the customer hears progress and the next plan before 17:00).
        ProgressUpdate = ("progress_update", "进展通报", "Progress update"),
        // What the customer is told (DOMAIN §8; seed 000 step 1, seeds 002 and 004). These go
        // only to the reporting contact, in customer words (`audience::is_customer_facing`).
        Accepted = ("accepted", "已受理", "Request accepted"),
        EngineerAssigned = ("engineer_assigned", "已安排工程师", "Engineer assigned"),
        EngineerContacted = ("engineer_contacted", "工程师已联系", "Engineer in contact"),
        VisitBooked = ("visit_booked", "上门预约", "Visit booked"),
        VisitMoved = ("visit_moved", "上门时间变更", "Visit rescheduled"),
        /// The engineer declared a delay, with the new expected arrival (seed 004: the
        /// customer is told at once, so at least 1 h before the window when known then).
        VisitDelayed = ("visit_delayed", "上门延误告知", "Visit delayed"),
        /// The engineer had not checked in 15 minutes before the window ended.
        VisitLate = ("visit_late", "上门可能迟到", "Engineer running late"),
        /// The ticket's visit was cancelled and no other is booked: the customer must not
        /// wait at the door for nobody (issue 13).
        VisitCancelled = ("visit_cancelled", "上门取消", "Visit cancelled"),
        Resolved = ("resolved", "已解决待确认", "Resolved: please confirm"),
        Closed = ("closed", "已结案", "Closed"),
        SurveyRequest = ("survey_request", "服务评价邀请", "Satisfaction survey"),
        /// A cooperating department's work order passed its deadline (seed 002); internal.
        WorkOrderOverdue = ("work_order_overdue", "协作工单超期", "Work order overdue"),
        /// Seed 003: the customer confirms the service plan's fees before work starts (the
        /// mail carries a link to approve).
        QuoteToApprove = ("quote_to_approve", "报价待确认", "Quote to approve"),
        /// Seed 003: "费用结算…向客户提供相关凭证": the receipt of a payment.
        Receipt = ("receipt", "收费凭证", "Receipt"),
        /// Issue 14: the service report sent to the contact to sign (its PDF attached, a
        /// link to sign or refuse).
        ReportToSign = ("report_to_sign", "服务报告待签字", "Service report to sign"),
        /// Issue 14: the signed service report (its kept PDF attached).
        ReportSigned = ("report_signed", "服务报告已签字", "Signed service report"),
    }
}

coded_enum! {
    /// Who a notice is for, resolved to people by the app.
    pub enum Audience {
        /// The ticket's first-line engineer.
        Engineer = ("engineer", "一线工程师", "First-line engineer"),
        /// The ticket's second-line engineer.
        SecondLine = ("second_line", "二线工程师", "Second-line engineer"),
        /// The customer's project specialist (项目专员).
        ProjectSpecialist = ("project_specialist", "项目专员", "Project specialist"),
        Supervisor = ("supervisor", "服务主管", "Supervisor"),
        TechLead = ("tech_lead", "技术组长", "Tech lead"),
        ProjectManager = ("project_manager", "项目经理", "Project manager"),
        GeneralManager = ("general_manager", "总经理", "General manager"),
        Desk = ("desk", "客服专员", "Service desk"),
        /// The dispatchers (调度专员), who rearrange the day when a visit runs late.
        Dispatcher = ("dispatcher", "调度专员", "Dispatcher"),
        /// The contact who reported the ticket (customer-facing notices).
        Contact = ("contact", "报修联系人", "Reporting contact"),
        /// The people the notice names itself ([`NoticeSpec::people`]): a work order's owner.
        WorkOrderOwner = ("work_order_owner", "协作工单负责人", "Work order owner"),
    }
}

coded_enum! {
    /// Where a notice is delivered.
    pub enum ChannelKind {
        /// The person's inbox in the product (always kept).
        InApp = ("in_app", "站内通知", "In-app inbox"),
        Email = ("email", "电子邮件", "E-mail"),
        /// 企业微信 group robot.
        WeCom = ("wecom", "企业微信", "WeCom"),
        /// 钉钉 group robot.
        DingTalk = ("dingtalk", "钉钉", "DingTalk"),
        /// 飞书 group robot.
        Feishu = ("feishu", "飞书", "Feishu"),
        /// A generic JSON webhook signed with HMAC-SHA256.
        Webhook = ("webhook", "Webhook", "Webhook"),
    }
}

coded_enum! {
    /// A watched moment of a ticket.
    pub enum JobKind {
        /// 30 minutes before a response or resolution deadline (stage 1: the engineer), and
        /// 15 minutes before it (stage 2: the project specialist), when nothing moved.
        PreBreach = ("pre_breach", "临近超时检查", "Deadline reminder check"),
        /// The response deadline itself.
        ResponseDue = ("response_due", "响应时限检查", "Response deadline check"),
        /// The end of the working day the ticket was accepted on.
        EndOfDay = ("end_of_day", "当天未结检查", "End-of-day check"),
        /// Three working days after acceptance.
        ThreeDays = ("three_days", "三天未结检查", "Three-day check"),
    }
}

/// A job a ticket needs, with its deterministic key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    pub key: String,
    pub kind: JobKind,
    pub due_at: Timestamp,
}

const REMINDERS: [(u8, i64); 2] = [(1, 30), (2, 15)];

fn live_due(clocks: &ClockSet, clock: ClockKind) -> Option<&Track> {
    clocks.tracks.iter().rev().find(|t| t.clock == clock && t.stopped_at.is_none() && t.due_at.is_some())
}

/// The moments `t` needs watched as it now is (in `cal`'s working days). Past moments are
/// kept: a job due in the past runs at once (a worker that was down catches up).
pub fn schedule(t: &Ticket, cal: &Calendar) -> Vec<JobSpec> {
    let mut out = Vec::new();
    if matches!(t.status, Status::Registered | Status::Cancelled) {
        return out;
    }
    for clock in [ClockKind::Response, ClockKind::Resolution] {
        let running = t.clocks.tracks.iter().rev().find(|k| k.clock == clock && k.stopped_at.is_none());
        let Some(due) = running
            .filter(|k| !k.segments.is_empty() && k.segments.last().is_some_and(|s| s.end.is_none()))
            .and_then(|k| k.due_at)
        else {
            continue;
        };
        for (stage, minutes) in REMINDERS {
            let at = due - SignedDuration::from_mins(minutes);
            out.push(JobSpec {
                key: format!("t{}:pre_breach:{}:{stage}:{}", t.id, clock.code(), due.as_millisecond()),
                kind: JobKind::PreBreach,
                due_at: at,
            });
        }
        if clock == ClockKind::Response {
            out.push(JobSpec {
                key: format!("t{}:response_due:{}", t.id, due.as_millisecond()),
                kind: JobKind::ResponseDue,
                due_at: due,
            });
        }
    }
    if let Some(accepted) = t.accepted_at.filter(|_| t.status.is_open()) {
        if let Some(end) = end_of_acceptance_day(cal, accepted) {
            out.push(JobSpec {
                key: format!("t{}:end_of_day:{}", t.id, end.as_millisecond()),
                kind: JobKind::EndOfDay,
                due_at: end,
            });
        }
        if let Ok(at) = cal.add(accepted, cal.day_length() * 3) {
            out.push(JobSpec {
                key: format!("t{}:three_days:{}", t.id, at.as_millisecond()),
                kind: JobKind::ThreeDays,
                due_at: at,
            });
        }
    }
    out
}

/// The end of the working day a ticket accepted at `accepted` had to be closed on: that
/// day's, or the next working day's when accepted after hours.
fn end_of_acceptance_day(cal: &Calendar, accepted: Timestamp) -> Option<Timestamp> {
    match cal.end_of_working_day(accepted) {
        Some(end) if end > accepted => Some(end),
        _ => cal.next_working(accepted + SignedDuration::from_mins(1)).ok().and_then(|t| cal.end_of_working_day(t)),
    }
}

/// A notice to record: its deterministic key, kind, and the text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeSpec {
    pub key: String,
    pub kind: NoticeKind,
    /// Which audiences of the route get it (pre-breach stage 1 only the engineer, …); empty
    /// means the whole route.
    pub only: Vec<Audience>,
    pub subject_zh: String,
    pub body_zh: String,
    pub subject_en: String,
    pub body_en: String,
    /// A customer notice's placeholder values, so an administrator's wording can be filled
    /// in ([`NoticeSpec::reworded`]); empty for internal notices.
    #[serde(default)]
    pub vars: Vec<(String, String)>,
    /// The people of [`Audience::WorkOrderOwner`]: who the notice names besides the
    /// ticket's own people.
    #[serde(default)]
    pub people: Vec<crate::Id>,
    /// The service report version whose PDF a customer's e-mail of this notice carries.
    #[serde(default)]
    pub report: Option<crate::Id>,
}

impl NoticeSpec {
    /// The notice in `wording` (an administrator's words for a customer notice).
    pub fn reworded(mut self, wording: &Wording) -> NoticeSpec {
        self.subject_zh = fill(&wording.subject_zh, &self.vars);
        self.body_zh = fill(&wording.body_zh, &self.vars);
        self.subject_en = fill(&wording.subject_en, &self.vars);
        self.body_en = fill(&wording.body_en, &self.vars);
        self
    }
}

/// A customer notice of `kind` on `t` in its default words, with the placeholder values
/// every customer notice has (number, description) and `more`.
fn customer(t: &Ticket, key: String, kind: NoticeKind, more: &[(&str, String)]) -> NoticeSpec {
    let mut vars = vec![("number".to_owned(), t.number.to_string()), ("description".to_owned(), gist(&t.description))];
    vars.extend(more.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    let w = default_wording(kind).unwrap_or(Wording {
        subject_zh: kind.label(Lang::Zh).to_owned(),
        body_zh: String::new(),
        subject_en: kind.label(Lang::En).to_owned(),
        body_en: String::new(),
    });
    NoticeSpec {
        key,
        kind,
        only: Vec::new(),
        subject_zh: String::new(),
        body_zh: String::new(),
        subject_en: String::new(),
        body_en: String::new(),
        vars,
        people: Vec::new(),
        report: None,
    }
    .reworded(&w)
}

fn fmt_local(cal: &Calendar, t: Timestamp) -> String {
    match jiff::tz::TimeZone::get(&cal.spec().time_zone) {
        Ok(tz) => t.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string(),
        Err(_) => t.to_string(),
    }
}

/// Twelve characters of the description, as the daily table shows it (seed 004).
pub fn gist(description: &str) -> String {
    let mut g: String = description.chars().take(12).collect();
    if description.chars().count() > 12 {
        g.push('…');
    }
    g
}

fn spec(t: &Ticket, key: String, kind: NoticeKind, only: &[Audience], zh: String, en: String) -> NoticeSpec {
    let g = gist(&t.description);
    NoticeSpec {
        key,
        kind,
        only: only.to_vec(),
        subject_zh: format!("【{}】{} {}", kind.label(Lang::Zh), t.number, g),
        body_zh: zh,
        subject_en: format!("[{}] {} {}", kind.label(Lang::En), t.number, g),
        body_en: en,
        vars: Vec::new(),
        people: Vec::new(),
        report: None,
    }
}

/// A work order of `t` passed its deadline (seed 002: the cooperating department answers
/// for its node, the ticket's engineer for the ticket): its owner and the ticket's
/// engineer are told, once per deadline (the key names it).
pub fn on_work_order_overdue(
    t: &Ticket,
    work_order: Id,
    owner: Id,
    department: (&str, &str),
    deadline: Timestamp,
) -> NoticeSpec {
    let kind = NoticeKind::WorkOrderOverdue;
    let zh =
        format!("{}部门的协作工单已超过完成期限，请负责人更新进展，并与工单负责工程师确认后续安排。", department.0);
    let en = format!(
        "The {} department's work order is past its deadline: its owner should post progress and agree the next step with the ticket's engineer.",
        department.1
    );
    let mut s = spec(t, format!("wo{work_order}:overdue:{}", deadline.as_millisecond()), kind, &[], zh, en);
    s.people = vec![owner];
    s
}

/// When job `kind` with `key` comes: the notice to record, if its condition
/// still holds for the ticket as it now is.
pub fn evaluate(key: &str, kind: JobKind, t: &Ticket, cal: &Calendar) -> Option<NoticeSpec> {
    // The key names the instant the job was scheduled for; a ticket that moved on has
    // other jobs, and this one no longer applies.
    if !schedule(t, cal).iter().any(|j| j.key == key) {
        return None;
    }
    match kind {
        JobKind::PreBreach => {
            let mut parts = key.split(':');
            let (_, _, clock, stage) = (parts.next(), parts.next(), parts.next()?, parts.next()?);
            let clock = ClockKind::from_code(clock)?;
            let due = live_due(&t.clocks, clock)?.due_at?;
            let only = if stage == "1" { vec![Audience::Engineer] } else { vec![Audience::ProjectSpecialist] };
            let zh = format!(
                "工单 {} 的{}时限将于 {} 到期，至今未有更新，请尽快处理。",
                t.number,
                clock.label(Lang::Zh),
                fmt_local(cal, due)
            );
            let en = format!(
                "Ticket {}: the {} deadline falls due at {} with no update yet.",
                t.number,
                clock.label(Lang::En).to_lowercase(),
                fmt_local(cal, due)
            );
            Some(spec(t, key.to_owned(), NoticeKind::PreBreach, &only, zh, en))
        }
        JobKind::ResponseDue => {
            let due = live_due(&t.clocks, ClockKind::Response)?.due_at?;
            let level = t.priority.clone().unwrap_or_default();
            let zh =
                format!("工单 {}（{level}）已超过响应时限 {}，工程师尚未联系客户。", t.number, fmt_local(cal, due));
            let en = format!(
                "Ticket {} ({level}) passed its response deadline {} without the engineer contacting the customer.",
                t.number,
                fmt_local(cal, due)
            );
            Some(spec(t, key.to_owned(), NoticeKind::ResponseTimeout, &[], zh, en))
        }
        JobKind::EndOfDay => {
            let zh = format!(
                "工单 {} 今日未能结案（当前状态：{}）。请项目专员提供进展与后续计划，客服据此告知客户。",
                t.number,
                t.status.label(Lang::Zh)
            );
            let en = format!(
                "Ticket {} was not closed today (now {}). The project specialist provides progress and the next plan for the customer.",
                t.number,
                t.status.label(Lang::En).to_lowercase()
            );
            Some(spec(t, key.to_owned(), NoticeKind::NotClosedSameDay, &[], zh, en))
        }
        JobKind::ThreeDays => {
            let zh = format!("工单 {} 受理已满三个工作日仍未结案，请项目经理、总经理批示。", t.number);
            let en = format!(
                "Ticket {} has been open three working days; instructions from the PM and GM are needed.",
                t.number
            );
            Some(spec(t, key.to_owned(), NoticeKind::ThreeDaysUnclosed, &[], zh, en))
        }
    }
}

/// The notices a step causes at once (DOMAIN §5 to the staff, §8 to the customer), given the
/// ticket before and after it. `event_id` makes the key unique per occurrence; `engineer` is
/// the name of the ticket's first-line engineer after the step.
pub fn on_step(
    step: Step,
    before: &Ticket,
    after: &Ticket,
    event_id: i64,
    cal: &Calendar,
    now: Timestamp,
    engineer: Option<&str>,
) -> Vec<NoticeSpec> {
    let key = |kind: NoticeKind| format!("t{}:{}:e{event_id}", after.id, kind.code());
    let mut out = Vec::new();
    let engineer = || ("engineer", engineer.unwrap_or_default().to_owned());
    let time = |at: Option<Timestamp>| ("time", at.map(|at| fmt_local(cal, at)).unwrap_or_default());
    // What the customer is told (seed 000 step 1; DOMAIN §8).
    match step {
        Step::Accept => {
            let k = NoticeKind::Accepted;
            out.push(customer(after, key(k), k, &[engineer(), time(after.accepted_at)]));
        }
        Step::Dispatch if after.first_line_id.is_some() && after.first_line_id != before.first_line_id => {
            let k = NoticeKind::EngineerAssigned;
            out.push(customer(after, key(k), k, &[engineer()]));
        }
        Step::Respond => {
            let k = NoticeKind::EngineerContacted;
            out.push(customer(after, key(k), k, &[engineer(), time(after.responded_at)]));
        }
        Step::BookVisit if after.visit_at != before.visit_at => {
            let k = if before.visit_at.is_none() { NoticeKind::VisitBooked } else { NoticeKind::VisitMoved };
            let visit = ("visit", after.visit_at.map(|v| fmt_local(cal, v)).unwrap_or_default());
            out.push(customer(after, key(k), k, &[engineer(), visit]));
        }
        Step::Resolve => {
            let resolution = ("resolution", after.resolution.clone().unwrap_or_default());
            let k = NoticeKind::Resolved;
            out.push(customer(after, key(k), k, &[engineer(), resolution, time(after.resolved_at)]));
        }
        Step::ConfirmClosure => {
            out.push(customer(
                after,
                key(NoticeKind::Closed),
                NoticeKind::Closed,
                &[engineer(), time(after.closed_at)],
            ));
            // A callback confirmation is a call in which the desk asks the survey itself.
            if after.survey_result.is_none() && after.closure_method != Some(crate::ticket::ClosureMethod::Callback) {
                let k = NoticeKind::SurveyRequest;
                out.push(customer(after, key(k), k, &[engineer()]));
            }
        }
        _ => {}
    }
    match step {
        Step::RequestSecondLine => {
            let zh = format!("工单 {} 一线工程师申请二线支持，请项目专员、技术组长协调。", after.number);
            let en = format!("Ticket {}: the first-line engineer asks for second-line support.", after.number);
            out.push(spec(after, key(NoticeKind::SecondLine), NoticeKind::SecondLine, &[], zh, en));
        }
        Step::RefuseClosure => {
            let zh = format!("工单 {} 客户不同意结案，已退回处理（第 {} 次）。", after.number, after.customer_refusals);
            let en = format!(
                "Ticket {}: the customer did not agree to close (refusal {}).",
                after.number, after.customer_refusals
            );
            out.push(spec(after, key(NoticeKind::CustomerDidNotClose), NoticeKind::CustomerDidNotClose, &[], zh, en));
        }
        Step::BookVisit => {
            if let (Some(old), Some(new)) = (before.visit_at, after.visit_at)
                && new > old
            {
                {
                    let late = now > old - SignedDuration::from_hours(1);
                    let zh = format!(
                        "工单 {}：工程师上门时间由 {} 改为 {}{}，敬请谅解。",
                        after.number,
                        fmt_local(cal, old),
                        fmt_local(cal, new),
                        if late { "（通知晚于约定前 1 小时）" } else { "" }
                    );
                    let en = format!(
                        "Ticket {}: the engineer's visit moves from {} to {}{}.",
                        after.number,
                        fmt_local(cal, old),
                        fmt_local(cal, new),
                        if late { " (notice given less than 1 h ahead)" } else { "" }
                    );
                    out.push(spec(after, key(NoticeKind::VisitDelay), NoticeKind::VisitDelay, &[], zh, en));
                }
            }
        }
        Step::RecordSurvey if after.survey_result == Some(SurveyResult::Dissatisfied) => {
            let zh = format!("工单 {} 回访结果为不满意，已重新打开，须在 48 小时内开始二次处理。", after.number);
            let en = format!(
                "Ticket {}: the customer is dissatisfied; reopened, re-handling must start within 48 h.",
                after.number
            );
            out.push(spec(after, key(NoticeKind::Dissatisfied), NoticeKind::Dissatisfied, &[], zh, en));
        }
        _ => {}
    }
    out
}

/// What happened to a visit that someone is told of (issue 13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitChange {
    Booked,
    Rescheduled,
    /// The engineer declared a delay (the visit's `expected_arrival`, its `delays`-th).
    DelayDeclared,
    /// Not checked in 15 minutes before the window ends (the late-arrival watch).
    Late,
    /// Cancelled with no other visit booked (the cancel reason is the staff's words and
    /// stays internal).
    Cancelled,
}

/// The notices of a visit's change (DOMAIN §5 visit delay, §8 the customer is told of a
/// visit booked, moved or late): the customer in customer words with the promised window,
/// and, for a delay or a late arrival, the project specialist and the dispatchers. Keys make
/// each told once: per history event for a booking or move, per declared delay, per window
/// for a late arrival. `engineer` is the visit's engineer's name.
pub fn on_visit(
    change: VisitChange,
    t: &Ticket,
    v: &crate::visit::Visit,
    event_id: i64,
    cal: &Calendar,
    now: Timestamp,
    engineer: &str,
) -> Vec<NoticeSpec> {
    let window = format!("{}–{}", fmt_local(cal, v.window_start), fmt_clock(cal, v.window_end));
    let engineer_var = ("engineer", engineer.to_owned());
    let mut out = Vec::new();
    match change {
        VisitChange::Booked | VisitChange::Rescheduled => {
            let k = if change == VisitChange::Booked { NoticeKind::VisitBooked } else { NoticeKind::VisitMoved };
            let key = format!("t{}:{}:e{event_id}", t.id, k.code());
            out.push(customer(t, key, k, &[engineer_var, ("visit", window)]));
        }
        VisitChange::DelayDeclared => {
            let expected = v.expected_arrival.map(|e| fmt_local(cal, e)).unwrap_or_default();
            let k = NoticeKind::VisitDelayed;
            let key = format!("t{}:{}:v{}:d{}", t.id, k.code(), v.id, v.delays);
            out.push(customer(t, key, k, &[engineer_var, ("visit", expected.clone())]));
            // Seed 004: at least 1 h before the window; a later declaration says so.
            let short = now > v.window_start - SignedDuration::from_hours(1);
            let zh = format!(
                "工单 {}：工程师{engineer}报告上门延误，原定到达时间窗 {window}，预计 {expected} 到达{}。客户已同时收到通知，请调度专员调整当日安排。",
                t.number,
                if short { "（通知晚于约定前 1 小时）" } else { "" }
            );
            let en = format!(
                "Ticket {}: engineer {engineer} declared a delay; promised window {window}, expected arrival {expected}{}. The customer was told; dispatchers, please rearrange the day.",
                t.number,
                if short { " (notice given less than 1 h ahead)" } else { "" }
            );
            let key = format!("t{}:{}:v{}:d{}", t.id, NoticeKind::VisitDelay.code(), v.id, v.delays);
            out.push(spec(t, key, NoticeKind::VisitDelay, &[], zh, en));
        }
        VisitChange::Cancelled => {
            let k = NoticeKind::VisitCancelled;
            let key = format!("t{}:{}:v{}", t.id, k.code(), v.id);
            out.push(customer(t, key, k, &[engineer_var, ("visit", window)]));
        }
        VisitChange::Late => {
            let k = NoticeKind::VisitLate;
            let w = v.window_end.as_millisecond();
            out.push(customer(
                t,
                format!("t{}:{}:v{}:w{w}", t.id, k.code(), v.id),
                k,
                &[engineer_var, ("visit", window.clone())],
            ));
            let zh = format!(
                "工单 {}：工程师{engineer}在到达时间窗 {window} 结束前 15 分钟仍未签到，客户已收到可能迟到的通知，请调度专员确认到达时间。",
                t.number
            );
            let en = format!(
                "Ticket {}: engineer {engineer} had not checked in 15 minutes before the window {window} ends; the customer was told; dispatchers, please confirm the arrival.",
                t.number
            );
            let key = format!("t{}:{}:v{}:w{w}", t.id, NoticeKind::VisitDelay.code(), v.id);
            out.push(spec(t, key, NoticeKind::VisitDelay, &[], zh, en));
        }
    }
    out
}

fn fmt_clock(cal: &Calendar, t: Timestamp) -> String {
    t.to_zoned(cal.time_zone().clone()).strftime("%H:%M").to_string()
}

/// The customer's notice of a quote revision to approve (seed 003: the plan's fees are
/// confirmed by the customer).
pub fn on_quote(t: &Ticket, q: &crate::fee::Quote) -> NoticeSpec {
    let k = NoticeKind::QuoteToApprove;
    let amount = ("amount", crate::fee::yuan(q.totals.total));
    customer(t, format!("t{}:quote_to_approve:r{}", t.id, q.revision), k, &[amount])
}

/// The customer's notice of a settlement with its receipt number.
pub fn on_settlement(t: &Ticket, s: &crate::fee::Settlement) -> NoticeSpec {
    let k = NoticeKind::Receipt;
    let vars = [("amount", crate::fee::yuan(s.amount)), ("receipt", s.receipt_no.clone())];
    customer(t, format!("t{}:receipt:{}", t.id, s.receipt_no), k, &vars)
}

/// The customer's notice of a service report version sent to sign (issue 14): its PDF is
/// attached and the mail carries a link to sign or refuse; once per sending (`event_id`).
pub fn on_report_sent(t: &Ticket, report: Id, event_id: i64) -> NoticeSpec {
    let k = NoticeKind::ReportToSign;
    let mut n = customer(t, format!("t{}:report_to_sign:r{report}:e{event_id}", t.id), k, &[]);
    n.report = Some(report);
    n
}

/// The customer's notice of a signed service report version, its kept PDF attached (once
/// per version: a version is signed once).
pub fn on_report_signed(t: &Ticket, report: Id, signed_at: Timestamp, cal: &Calendar) -> NoticeSpec {
    let k = NoticeKind::ReportSigned;
    let mut n = customer(t, format!("t{}:report_signed:r{report}", t.id), k, &[("time", fmt_local(cal, signed_at))]);
    n.report = Some(report);
    n
}

/// The notice of a repeat report, at registration (DOMAIN §5: the project specialist at once).
pub fn on_repeat(t: &Ticket, earlier: &str) -> NoticeSpec {
    let zh = format!("工单 {} 与 {earlier} 为同一设备同类故障（重复报修），请项目专员立即安排处理人员。", t.number);
    let en = format!(
        "Ticket {} repeats {earlier} (same device, same fault); the project specialist assigns at once.",
        t.number
    );
    spec(t, format!("t{}:repeat_report", t.id), NoticeKind::RepeatReport, &[], zh, en)
}

/// A faulty part used on `t` under requisition `requisition` is not back after `days`
/// days (issue 13): the engineer and the supervisor are told, once per use (`use_id`).
pub fn on_faulty_overdue(
    t: &Ticket,
    requisition: crate::Id,
    use_id: crate::Id,
    part: &crate::parts::Part,
    owed: i64,
    days: i64,
) -> NoticeSpec {
    let zh = format!(
        "工单 {} 的备件申领 #{requisition}（{} {}）换下的旧件已超过 {days} 天未返还仓库（尚欠 {owed} {}），请尽快返还。",
        t.number, part.number, part.name, part.unit
    );
    let en = format!(
        "Ticket {}: the faulty part replaced under requisition #{requisition} ({} {}) is not back at the warehouse after {days} days ({owed} owed); return it.",
        t.number, part.number, part.name
    );
    spec(t, format!("t{}:faulty_part_overdue:u{use_id}", t.id), NoticeKind::FaultyPartOverdue, &[], zh, en)
}

/// The notice a work log entry raises at once: a progress message is the customer's
/// (DOMAIN §5: not closed the same day → the customer gets progress and the next plan;
/// DOMAIN §8); other entries raise none.
pub fn on_log(t: &Ticket, entry: &crate::worklog::LogEntry) -> Option<NoticeSpec> {
    if entry.kind != crate::worklog::LogKind::Progress {
        return None;
    }
    let kind = NoticeKind::ProgressUpdate;
    Some(customer(t, format!("t{}:progress_update:l{}", t.id, entry.id), kind, &[("progress", entry.body.clone())]))
}
