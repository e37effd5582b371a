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
use crate::{Lang, Timestamp};

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
        Resolved = ("resolved", "已解决待确认", "Resolved: please confirm"),
        Closed = ("closed", "已结案", "Closed"),
        SurveyRequest = ("survey_request", "服务评价邀请", "Satisfaction survey"),
        /// Seed 003: the customer confirms the service plan's fees before work starts (the
        /// mail carries a link to approve).
        QuoteToApprove = ("quote_to_approve", "报价待确认", "Quote to approve"),
        /// Seed 003: "费用结算…向客户提供相关凭证": the receipt of a payment.
        Receipt = ("receipt", "收费凭证", "Receipt"),
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
        /// The contact who reported the ticket (customer-facing notices).
        Contact = ("contact", "报修联系人", "Reporting contact"),
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
    }
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

/// The notice of a repeat report, at registration (DOMAIN §5: the project specialist at once).
pub fn on_repeat(t: &Ticket, earlier: &str) -> NoticeSpec {
    let zh = format!("工单 {} 与 {earlier} 为同一设备同类故障（重复报修），请项目专员立即安排处理人员。", t.number);
    let en = format!(
        "Ticket {} repeats {earlier} (same device, same fault); the project specialist assigns at once.",
        t.number
    );
    spec(t, format!("t{}:repeat_report", t.id), NoticeKind::RepeatReport, &[], zh, en)
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
