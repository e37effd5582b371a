//! Callbacks (回访) and the closing check of DOMAIN §6.
//!
//! Seed 004 §4.1.1 (the desk's duties): "所有通告到项目经理和总经理的报修事件，在它们结案后的
//! 一周内，都需要进行电话回访，调查满意度；所有通告到项目经理或者项目专员的报修事件，以及每日
//! 三分之一的结案事件（每工程师至少一次），在它们结案时，都需要用电话和客户确认当天的服务实施
//! 情况". DOMAIN §6 compresses it: every ticket that reached the PM/GM within a week after
//! closure; every ticket that reached the project specialist, and a third of each day's closed
//! tickets (at least one per engineer) at closure.
//!
//! [`select`] is the rule: given one service day's closed tickets and what is known about
//! them, which are called back, why (every reason kept), and by when. It is pure and
//! deterministic: the sample is ordered by a hash of the ticket number and the day, so a
//! rerun of the same day picks the same tickets. [`closure_gaps`] is the four-part check
//! "有反馈、有处理、有结果、有回访".

use jiff::SignedDuration;
use jiff::civil::Date;

use crate::calendar::Calendar;
use crate::clock::SurveyResult;
use crate::error::{Conflict, Field, Reason};
use crate::lang::Lang;
use crate::{DomainError, Id, Timestamp, coded_enum};

coded_enum! {
    /// Why a closed ticket is called back. A ticket gets one callback per closure; every
    /// reason that applies is kept on it.
    pub enum CallbackReason {
        /// Seed 004: a notice reached the project manager or the general manager; the
        /// satisfaction call is due within a week after closure.
        Management = ("management", "已通告项目经理/总经理", "Reached the PM/GM"),
        /// Seed 004: a notice reached the project specialist (or the ticket was marked for
        /// them, a repeat report); the customer confirms the service at closure.
        Specialist = ("specialist", "已通告项目专员", "Reached the project specialist"),
        /// Seed 004: the daily third of closed tickets, at least one per engineer.
        Sample = ("sample", "每日三分之一抽样", "Daily one-third sample"),
        /// Seed 003: a consumables service is called back within 3–5 working days of the
        /// service (`fee::callback_due`, the date the fees file records).
        Consumables = ("consumables", "耗材更换回访", "Consumables follow-up"),
    }
}

coded_enum! {
    /// Where a callback stands.
    pub enum CallbackStatus {
        /// Still to be called (possibly tried already).
        Pending = ("pending", "待回访", "To call"),
        /// The customer was reached and the survey recorded, or the customer answered the
        /// survey themselves (portal, e-mail link).
        Done = ("done", "已回访", "Done"),
    }
}

coded_enum! {
    /// What one call attempt came to.
    pub enum AttemptOutcome {
        NoAnswer = ("no_answer", "无人接听", "No answer"),
        /// The customer asked to be called at another time (given with the attempt).
        CallBackLater = ("call_back_later", "稍后再打", "Call back later"),
        /// The customer was reached; the survey is recorded with the attempt.
        Reached = ("reached", "已联系", "Reached"),
    }
}

coded_enum! {
    /// Praise or complaint about a named engineer, gathered on a callback (seed 003: praise is
    /// recorded and rewarded, a complaint analysed with an improvement action reported back).
    pub enum FeedbackKind {
        Praise = ("praise", "表扬", "Praise"),
        Complaint = ("complaint", "投诉", "Complaint"),
    }
}

coded_enum! {
    /// Where a survey answer came from.
    pub enum SurveyChannel {
        /// The desk, on a callback.
        Desk = ("desk", "电话回访", "Phone callback"),
        /// The customer in the portal.
        Portal = ("portal", "客户门户", "Customer portal"),
        /// The customer through the e-mailed link.
        Link = ("link", "邮件链接", "E-mail link"),
    }
}

coded_enum! {
    /// The four parts every closed ticket must show (DOMAIN §6: 有反馈、有处理、有结果、有回访).
    pub enum ClosurePart {
        /// 有反馈: the customer's report is on record (a description of the problem and who
        /// reported it).
        Feedback = ("feedback", "有反馈", "Feedback"),
        /// 有处理: an engineer's handling is recorded: the first contact (respond step) or a
        /// work-log entry by an engineer.
        Handling = ("handling", "有处理", "Handling"),
        /// 有结果: the resolution text.
        Result = ("result", "有结果", "Result"),
        /// 有回访: a completed callback, or a survey answer for the ticket.
        Callback = ("callback", "有回访", "Callback"),
    }
}

/// The due-time policy of callbacks. Defaults cite the seeds; the supervisor may change
/// them (report settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CallbackPolicy {
    /// Seed 004: "结案后的一周内": calendar days after closure for a ticket that reached the
    /// PM/GM (default 7).
    pub management_days: i64,
    /// Seed 004: "在它们结案时": the confirmation call at closure. The sample is drawn after
    /// the service day ends, so it is due by the end of the next working day (default 1).
    pub confirm_working_days: i32,
}

impl Default for CallbackPolicy {
    fn default() -> Self {
        CallbackPolicy { management_days: 7, confirm_working_days: 1 }
    }
}

impl CallbackPolicy {
    /// A week's call may be set from 1 to 60 days after closure; the confirmation call from
    /// the same working day (0) to 10 working days after.
    pub fn check(&self) -> Result<(), DomainError> {
        let mut problems = Vec::new();
        if !(1..=60).contains(&self.management_days) {
            problems.push((
                "management_days",
                Reason::Mismatch { detail_en: "must be 1 to 60 days", detail_zh: "须为 1～60 天" },
            ));
        }
        if !(0..=10).contains(&self.confirm_working_days) {
            problems.push((
                "confirm_working_days",
                Reason::Mismatch { detail_en: "must be 0 to 10 working days", detail_zh: "须为 0～10 个工作日" },
            ));
        }
        if problems.is_empty() { Ok(()) } else { Err(DomainError::Invalid(problems)) }
    }
}

/// What the rule knows about one ticket closed on the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedTicket {
    pub ticket_id: Id,
    /// The ticket number (`YYYYMMDD-NNN`): with the day, the sample's hash key.
    pub number: String,
    pub closed_at: Timestamp,
    /// The first-line engineer ("每工程师至少一次" counts the engineer who did the work).
    pub engineer_id: Option<Id>,
    /// A notice about it was addressed to the project manager or the general manager.
    pub reached_management: bool,
    /// A notice about it was addressed to the project specialist, or it was marked for them.
    pub reached_specialist: bool,
    /// A consumables service's callback date (seed 003), when the fees file holds one.
    pub consumables_due: Option<Timestamp>,
}

/// A ticket chosen for a callback, with every reason and the due time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub ticket_id: Id,
    pub closed_at: Timestamp,
    /// In the order of [`CallbackReason::ALL`].
    pub reasons: Vec<CallbackReason>,
    /// The engineer the sample drew it for (the engineer's "at least one").
    pub sampled_for: Option<Id>,
    pub due_at: Timestamp,
}

/// FNV-1a over the day and the ticket number: stable across builds and platforms (the std
/// hasher is not), so a rerun of the selection draws the same sample.
pub fn sample_key(day: Date, number: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in day.to_string().bytes().chain([b'/']).chain(number.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// How many of `closed` tickets the daily sample takes: a third, rounded up.
pub fn sample_size(closed: usize) -> usize {
    closed.div_ceil(3)
}

/// The daily sample (seed 004: "每日三分之一的结案事件（每工程师至少一次）"): the tickets in
/// the order of [`sample_key`]; first each engineer's first ticket in that order, then
/// further tickets in that order until a third (rounded up) is reached. When there are more
/// engineers than a third, every engineer still gets one. Returns (ticket id, engineer drawn
/// for), in hash order.
pub fn sample(day: Date, closed: &[ClosedTicket]) -> Vec<(Id, Option<Id>)> {
    let mut order: Vec<&ClosedTicket> = closed.iter().collect();
    order.sort_by_key(|t| (sample_key(day, &t.number), t.ticket_id));
    let mut chosen: Vec<(Id, Option<Id>)> = Vec::new();
    let mut engineers: Vec<Id> = Vec::new();
    for t in &order {
        if let Some(e) = t.engineer_id.filter(|e| !engineers.contains(e)) {
            engineers.push(e);
            chosen.push((t.ticket_id, Some(e)));
        }
    }
    let quota = sample_size(closed.len());
    for t in &order {
        if chosen.len() >= quota {
            break;
        }
        if !chosen.iter().any(|(id, _)| *id == t.ticket_id) {
            chosen.push((t.ticket_id, None));
        }
    }
    let rank = |id: Id| order.iter().position(|t| t.ticket_id == id);
    chosen.sort_by_key(|(id, _)| rank(*id));
    chosen
}

/// The end of the `n`-th working day after the day of `t` on `cal` (the due time of a call
/// "at closure", drawn after the service day).
pub fn working_days_after(cal: &Calendar, t: Timestamp, n: i32) -> Option<Timestamp> {
    let from = cal.end_of_working_day(t).filter(|e| *e >= t).unwrap_or(t);
    cal.add(from, cal.day_length() * n).ok()
}

/// The callbacks due for the tickets closed on `day` (DOMAIN §6, seed 004 §4.1.1): one per
/// ticket, with every reason that applies; due at the earliest of its reasons' due times
/// (PM/GM: `policy.management_days` after closure; specialist and sample: the end of the
/// next working day; consumables: the fees file's date). Sorted by due time, then ticket.
pub fn select(day: Date, closed: &[ClosedTicket], policy: &CallbackPolicy, cal: &Calendar) -> Vec<Choice> {
    let sampled = sample(day, closed);
    let mut out = Vec::new();
    for t in closed {
        let drawn = sampled.iter().find(|(id, _)| *id == t.ticket_id);
        let mut reasons = Vec::new();
        let mut dues = Vec::new();
        let confirm = working_days_after(cal, t.closed_at, policy.confirm_working_days)
            .unwrap_or(t.closed_at + SignedDuration::from_hours(24));
        if t.reached_management {
            reasons.push(CallbackReason::Management);
            dues.push(t.closed_at + SignedDuration::from_hours(24 * policy.management_days));
        }
        if t.reached_specialist {
            reasons.push(CallbackReason::Specialist);
            dues.push(confirm);
        }
        if drawn.is_some() {
            reasons.push(CallbackReason::Sample);
            dues.push(confirm);
        }
        if let Some(due) = t.consumables_due {
            reasons.push(CallbackReason::Consumables);
            dues.push(due.max(t.closed_at));
        }
        let Some(due_at) = dues.into_iter().min() else { continue };
        out.push(Choice {
            ticket_id: t.ticket_id,
            closed_at: t.closed_at,
            reasons,
            sampled_for: drawn.and_then(|(_, e)| *e),
            due_at,
        });
    }
    out.sort_by_key(|c| (c.due_at, c.ticket_id));
    out
}

/// The reasons as stored: their codes joined by commas.
pub fn reasons_code(reasons: &[CallbackReason]) -> String {
    reasons.iter().map(|r| r.code()).collect::<Vec<_>>().join(",")
}

/// The stored reasons; unknown codes are dropped.
pub fn reasons_from_code(s: &str) -> Vec<CallbackReason> {
    s.split(',').filter_map(|c| CallbackReason::from_code(c.trim())).collect()
}

/// A reason in words: the sample names the engineer it was drawn for
/// ("每日三分之一抽样（工程师 张三）").
pub fn reason_text(reason: CallbackReason, engineer: Option<&str>, lang: Lang) -> String {
    match (reason, engineer, lang) {
        (CallbackReason::Sample, Some(name), Lang::Zh) => format!("{}（工程师 {name}）", reason.label(lang)),
        (CallbackReason::Sample, Some(name), Lang::En) => format!("{} (engineer {name})", reason.label(lang)),
        _ => reason.label(lang).to_owned(),
    }
}

/// The longest free text of a survey, an attempt or a feedback note.
pub const MAX_TEXT: usize = 1000;

/// The structured survey of seed 000 (模板3 "客户评价（满意/基本满意/不满意）" and step (四):
/// "问题是否彻底解决？""服务响应速度是否满意？""是否有改进建议？").
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// No `deny_unknown_fields`: the answers are flattened into `Survey` (serde does not support
// both), and their schema must not forbid the survey's other fields.
pub struct SurveyAnswers {
    /// 问题是否彻底解决.
    #[serde(default)]
    pub solved: Option<bool>,
    /// 服务响应速度是否满意.
    #[serde(default)]
    pub speed_ok: Option<bool>,
    /// 改进建议.
    #[serde(default)]
    pub suggestions: Option<String>,
}

impl SurveyAnswers {
    /// The suggestions trimmed; none when blank.
    pub fn cleaned(&self) -> SurveyAnswers {
        SurveyAnswers { suggestions: clean(&self.suggestions), ..self.clone() }
    }

    /// Field problems (too long, a control character).
    pub fn problems(&self) -> Vec<(Field, Reason)> {
        text_problems("suggestions", self.suggestions.as_deref())
    }
}

/// A survey as kept: one per ticket resolution round (the ticket's reopen count), with the
/// overall result the ticket also holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Survey {
    pub id: Id,
    pub ticket_id: Id,
    /// The ticket's reopen count when answered: one survey per resolution.
    pub round: i32,
    pub result: SurveyResult,
    #[serde(flatten)]
    pub answers: SurveyAnswers,
    pub note: Option<String>,
    pub channel: SurveyChannel,
    pub callback_id: Option<Id>,
    pub recorded_by: Id,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub recorded_at: Timestamp,
}

fn clean(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn text_problems(field: Field, s: Option<&str>) -> Vec<(Field, Reason)> {
    let Some(s) = s else { return Vec::new() };
    if let Some(c) = crate::text::forbidden_in_text(s) {
        return vec![(field, Reason::ControlCharacter { found: c })];
    }
    if s.chars().count() > MAX_TEXT {
        return vec![(field, Reason::TooLong { max: MAX_TEXT })];
    }
    Vec::new()
}

/// A call attempt as asked for: checks its fields. `call_back_at` is required for
/// "call back later" and must be after `now`; it is refused for the other outcomes.
pub fn check_attempt(
    outcome: AttemptOutcome,
    note: Option<&str>,
    call_back_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<(), DomainError> {
    let mut p = text_problems("note", note);
    match (outcome, call_back_at) {
        (AttemptOutcome::CallBackLater, None) => p.push(("call_back_at", Reason::Missing)),
        (AttemptOutcome::CallBackLater, Some(at)) if at <= now => p.push((
            "call_back_at",
            Reason::Mismatch { detail_en: "must be in the future", detail_zh: "应晚于当前时间" },
        )),
        (AttemptOutcome::NoAnswer | AttemptOutcome::Reached, Some(_)) => p.push((
            "call_back_at",
            Reason::Mismatch {
                detail_en: "is only given when the customer asks to be called later",
                detail_zh: "仅在客户要求稍后再打时填写",
            },
        )),
        _ => {}
    }
    if p.is_empty() { Ok(()) } else { Err(DomainError::Invalid(p)) }
}

/// Praise or a complaint about `engineer` on a ticket whose engineers are `ticket_engineers`:
/// the engineer must be one of them; a complaint says what it is about.
pub fn check_feedback(
    kind: FeedbackKind,
    engineer: Id,
    ticket_engineers: &[Id],
    note: Option<&str>,
) -> Result<(), DomainError> {
    let mut p = text_problems("note", note);
    if !ticket_engineers.contains(&engineer) {
        p.push((
            "engineer_id",
            Reason::Mismatch {
                detail_en: "is not an engineer of this ticket", detail_zh: "不是本工单的工程师"
            },
        ));
    }
    if kind == FeedbackKind::Complaint && note.map(str::trim).unwrap_or_default().is_empty() {
        p.push(("note", Reason::Missing));
    }
    if p.is_empty() { Ok(()) } else { Err(DomainError::Invalid(p)) }
}

/// The improvement action of a complaint (seed 003: "投诉…分析原因、制定改进措施并反馈客户"):
/// a text, required.
pub fn check_action(action: &str) -> Result<(), DomainError> {
    let mut p = text_problems("action", Some(action));
    if action.trim().is_empty() {
        p.push(("action", Reason::Missing));
    }
    if p.is_empty() { Ok(()) } else { Err(DomainError::Invalid(p)) }
}

/// A callback refused for a reason of the callbacks themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackProblem {
    /// The callback is done: the customer was reached, or answered the survey.
    Done,
    /// The callback changed meanwhile (another attempt was logged).
    Stale { current: i64 },
    /// "Reached" without the survey, on a ticket not yet surveyed.
    SurveyNeeded,
    /// The survey of this resolution was recorded already (by the customer or another call).
    AlreadySurveyed,
    /// The complaint's improvement action was reported back already.
    ActionReported,
    /// Praise has no improvement action.
    NotAComplaint,
}

impl CallbackProblem {
    pub fn code(&self) -> &'static str {
        match self {
            CallbackProblem::Done => "callback_done",
            CallbackProblem::Stale { .. } => "stale_callback",
            CallbackProblem::SurveyNeeded => "callback_survey_needed",
            CallbackProblem::AlreadySurveyed => "callback_already_surveyed",
            CallbackProblem::ActionReported => "action_reported",
            CallbackProblem::NotAComplaint => "not_a_complaint",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            CallbackProblem::SurveyNeeded | CallbackProblem::NotAComplaint => 422,
            _ => 409,
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (CallbackProblem::Done, Lang::Zh) => "该回访已完成，不能再记录拨打".into(),
            (CallbackProblem::Done, Lang::En) => "This callback is done: no further attempt can be logged".into(),
            (CallbackProblem::Stale { current }, Lang::Zh) => {
                format!("该回访已被他人更新（当前版本 {current}），请刷新后重试")
            }
            (CallbackProblem::Stale { current }, Lang::En) => {
                format!("This callback was updated meanwhile (now version {current}); reload and try again")
            }
            (CallbackProblem::SurveyNeeded, Lang::Zh) => "已联系到客户时，请同时填写满意度调查".into(),
            (CallbackProblem::SurveyNeeded, Lang::En) => "When the customer was reached, record the survey too".into(),
            (CallbackProblem::AlreadySurveyed, Lang::Zh) => "本次解决已有满意度调查，不能重复记录".into(),
            (CallbackProblem::AlreadySurveyed, Lang::En) => {
                "This resolution already has its survey; it is not recorded twice".into()
            }
            (CallbackProblem::ActionReported, Lang::Zh) => "该投诉的改进措施已反馈客户".into(),
            (CallbackProblem::ActionReported, Lang::En) => {
                "This complaint's improvement action was reported back already".into()
            }
            (CallbackProblem::NotAComplaint, Lang::Zh) => "只有投诉需要填写改进措施".into(),
            (CallbackProblem::NotAComplaint, Lang::En) => "Only a complaint has an improvement action".into(),
        }
    }
}

impl From<CallbackProblem> for DomainError {
    fn from(p: CallbackProblem) -> Self {
        DomainError::Conflict(Conflict::Callback(p))
    }
}

/// A callback as kept: one per ticket closure.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Callback {
    pub id: Id,
    pub ticket_id: Id,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub closed_at: Timestamp,
    /// The service day (YYYY-MM-DD) whose selection chose it.
    pub day: String,
    pub reasons: Vec<CallbackReason>,
    /// The engineer the daily sample drew it for.
    pub sampled_for: Option<Id>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub due_at: Timestamp,
    pub status: CallbackStatus,
    /// When the customer asked to be called again ("稍后再打").
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub next_call_at: Option<Timestamp>,
    pub attempts: i32,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub completed_at: Option<Timestamp>,
    pub completed_by: Option<Id>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// Optimistic concurrency: bumped by every attempt (the `ETag`).
    pub version: i64,
}

impl Callback {
    /// Overdue: still to call and past its due time.
    pub fn overdue(&self, now: Timestamp) -> bool {
        self.status == CallbackStatus::Pending && self.due_at < now
    }

    /// Checks that an attempt may be logged on it, based on `based_on`.
    pub fn check_open(&self, based_on: i64) -> Result<(), CallbackProblem> {
        if self.status == CallbackStatus::Done {
            return Err(CallbackProblem::Done);
        }
        if self.version != based_on {
            return Err(CallbackProblem::Stale { current: self.version });
        }
        Ok(())
    }
}

/// One call attempt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attempt {
    pub id: Id,
    pub callback_id: Id,
    pub outcome: AttemptOutcome,
    pub note: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub call_back_at: Option<Timestamp>,
    pub by_id: Id,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
}

/// Praise or a complaint about an engineer, with a complaint's improvement action.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Feedback {
    pub id: Id,
    pub ticket_id: Id,
    pub engineer_id: Id,
    pub kind: FeedbackKind,
    pub note: Option<String>,
    pub callback_id: Option<Id>,
    pub recorded_by: Id,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub recorded_at: Timestamp,
    /// A complaint's improvement action (改进措施).
    pub action: Option<String>,
    pub action_by: Option<Id>,
    /// When the action was reported back to the customer.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub reported_back_at: Option<Timestamp>,
}

/// What the closing check knows about a closed ticket (DOMAIN §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClosureFacts {
    /// 有反馈: the ticket holds the customer's description of the problem and a reporting
    /// contact's name (registration refuses neither, so only a damaged record lacks them).
    pub feedback: bool,
    /// 有处理: the first contact was recorded (`responded_at`) or an engineer wrote in the
    /// work log.
    pub handling: bool,
    /// 有结果: the resolution text is not blank.
    pub result: bool,
    /// 有回访: a completed callback, or a survey answer (by any channel) is on record.
    pub callback: bool,
}

/// DOMAIN §6 "有反馈、有处理、有结果、有回访": the parts a closed ticket is missing, in order.
pub fn closure_gaps(f: &ClosureFacts) -> Vec<ClosurePart> {
    let mut out = Vec::new();
    for (part, has) in [
        (ClosurePart::Feedback, f.feedback),
        (ClosurePart::Handling, f.handling),
        (ClosurePart::Result, f.result),
        (ClosurePart::Callback, f.callback),
    ] {
        if !has {
            out.push(part);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn day() -> Date {
        "2026-03-16".parse().unwrap()
    }

    fn ticket(id: Id, engineer: Option<Id>) -> ClosedTicket {
        ClosedTicket {
            ticket_id: id,
            number: format!("20260316-{id:03}"),
            closed_at: at("2026-03-16T08:00:00Z"),
            engineer_id: engineer,
            reached_management: false,
            reached_specialist: false,
            consumables_due: None,
        }
    }

    /// The office week of seed 004 (8:30–12:00, 13:30–17:30 Monday to Friday, Shanghai).
    fn cal() -> Calendar {
        Calendar::compile(&crate::calendar::CalendarSpec::cn_default(), None).unwrap()
    }

    #[test]
    fn a_third_rounded_up() {
        // Ten tickets of one engineer: ⌈10 / 3⌉ = 4.
        let closed: Vec<_> = (1..=10).map(|i| ticket(i, Some(100))).collect();
        assert_eq!(sample(day(), &closed).len(), 4);
        assert_eq!(sample_size(0), 0);
        assert_eq!(sample_size(1), 1);
        assert_eq!(sample_size(3), 1);
        assert_eq!(sample_size(4), 2);
    }

    #[test]
    fn every_engineer_at_least_once_even_beyond_a_third() {
        // Six tickets, five engineers: a third would be 2, but each engineer gets one.
        let closed: Vec<_> = (1..=6).map(|i| ticket(i, Some(100 + (i % 5)))).collect();
        let drawn = sample(day(), &closed);
        assert_eq!(drawn.len(), 5);
        for e in 100..105 {
            assert!(
                drawn.iter().any(|(id, _)| closed.iter().any(|t| t.ticket_id == *id && t.engineer_id == Some(e))),
                "engineer {e} has no sampled ticket"
            );
        }
    }

    #[test]
    fn the_sample_is_deterministic_and_independent_of_input_order() {
        let closed: Vec<_> = (1..=20).map(|i| ticket(i, Some(100 + i % 3))).collect();
        let mut reversed = closed.clone();
        reversed.reverse();
        let a = sample(day(), &closed);
        assert_eq!(a, sample(day(), &closed));
        assert_eq!(a, sample(day(), &reversed));
        assert_eq!(a.len(), 7);
        // Another day draws by another key (the same numbers hash differently).
        let other: Date = "2026-03-17".parse().unwrap();
        assert_ne!(sample_key(day(), "20260316-001"), sample_key(other, "20260316-001"));
    }

    #[test]
    fn management_is_due_within_a_week_specialist_and_sample_at_closure() {
        let mut a = ticket(1, Some(100));
        a.reached_management = true;
        let mut b = ticket(2, None);
        b.reached_specialist = true;
        let c = ticket(3, None);
        let closed = vec![a.clone(), b.clone(), c];
        let choices = select(day(), &closed, &CallbackPolicy::default(), &cal());
        let of = |id: Id| choices.iter().find(|c| c.ticket_id == id).cloned();
        let ca = of(1).expect("the PM/GM ticket is called");
        // Ticket 1 is the only one with an engineer, so the sample draws it too: one callback,
        // both reasons, due at the earlier (the confirmation at closure).
        assert_eq!(ca.reasons, vec![CallbackReason::Management, CallbackReason::Sample]);
        assert_eq!(ca.sampled_for, Some(100));
        // Closed Monday 16:00 in Shanghai: due at the end of Tuesday's office hours, 17:30.
        assert_eq!(ca.due_at, at("2026-03-17T09:30:00Z"));
        let cb = of(2).expect("the specialist ticket is called");
        assert_eq!(cb.reasons[0], CallbackReason::Specialist);
        assert_eq!(cb.due_at, at("2026-03-17T09:30:00Z"));
        // Three closed: a third is one, and the engineer's ticket is it; ticket 3 is left.
        assert!(of(3).is_none());
    }

    #[test]
    fn management_alone_is_due_seven_days_after_closure() {
        let mut a = ticket(1, None);
        a.reached_management = true;
        // Four more tickets without engineers so the sample (2 of 5) may or may not draw 1.
        let closed: Vec<_> = std::iter::once(a).chain((2..=5).map(|i| ticket(i, None))).collect();
        let choices = select(day(), &closed, &CallbackPolicy::default(), &cal());
        let c = choices.iter().find(|c| c.ticket_id == 1).unwrap();
        if c.reasons == vec![CallbackReason::Management] {
            assert_eq!(c.due_at, at("2026-03-23T08:00:00Z"));
        } else {
            assert_eq!(c.reasons, vec![CallbackReason::Management, CallbackReason::Sample]);
        }
        assert!(choices.iter().all(|c| c.due_at <= at("2026-03-23T08:00:00Z")));
        // The week is a week, never longer than the policy says.
        let policy = CallbackPolicy { management_days: 7, confirm_working_days: 1 };
        assert!(
            select(day(), &closed, &policy, &cal())
                .iter()
                .filter(|c| c.reasons.contains(&CallbackReason::Management))
                .all(|c| c.due_at <= c.closed_at + SignedDuration::from_hours(24 * 7))
        );
    }

    #[test]
    fn one_callback_per_ticket_with_all_reasons() {
        let mut a = ticket(1, Some(7));
        a.reached_management = true;
        a.reached_specialist = true;
        a.consumables_due = Some(at("2026-03-20T10:00:00Z"));
        let choices = select(day(), &[a], &CallbackPolicy::default(), &cal());
        assert_eq!(choices.len(), 1);
        assert_eq!(choices[0].reasons, CallbackReason::ALL.to_vec());
        assert_eq!(reasons_from_code(&reasons_code(&choices[0].reasons)), CallbackReason::ALL.to_vec());
    }

    #[test]
    fn reasons_read_in_words() {
        assert_eq!(reason_text(CallbackReason::Sample, Some("张三"), Lang::Zh), "每日三分之一抽样（工程师 张三）");
        assert_eq!(reason_text(CallbackReason::Management, None, Lang::Zh), "已通告项目经理/总经理");
    }

    #[test]
    fn attempts_need_a_future_time_only_to_call_back_later() {
        let now = at("2026-03-16T08:00:00Z");
        assert!(check_attempt(AttemptOutcome::NoAnswer, None, None, now).is_ok());
        assert!(check_attempt(AttemptOutcome::CallBackLater, None, None, now).is_err());
        assert!(check_attempt(AttemptOutcome::CallBackLater, None, Some(now), now).is_err());
        assert!(check_attempt(AttemptOutcome::CallBackLater, None, Some(at("2026-03-16T09:00:00Z")), now).is_ok());
        assert!(check_attempt(AttemptOutcome::Reached, None, Some(at("2026-03-16T09:00:00Z")), now).is_err());
        let Err(DomainError::Invalid(p)) = check_attempt(AttemptOutcome::NoAnswer, Some("a\u{7}b"), None, now) else {
            panic!("a control character is refused")
        };
        assert_eq!(p[0].0, "note");
    }

    #[test]
    fn feedback_names_an_engineer_of_the_ticket() {
        assert!(check_feedback(FeedbackKind::Praise, 5, &[5, 6], None).is_ok());
        assert!(check_feedback(FeedbackKind::Praise, 9, &[5, 6], None).is_err());
        assert!(check_feedback(FeedbackKind::Complaint, 5, &[5], Some("  ")).is_err());
        assert!(check_feedback(FeedbackKind::Complaint, 5, &[5], Some("迟到两小时")).is_ok());
    }

    #[test]
    fn closure_gaps_name_each_missing_part() {
        let all = ClosureFacts { feedback: true, handling: true, result: true, callback: true };
        assert!(closure_gaps(&all).is_empty());
        let f = ClosureFacts { handling: false, callback: false, ..all };
        assert_eq!(closure_gaps(&f), vec![ClosurePart::Handling, ClosurePart::Callback]);
    }
}
