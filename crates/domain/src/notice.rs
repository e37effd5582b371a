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

/// Which notice goes to whom on which channels: configuration, with seed behaviour as default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub kind: NoticeKind,
    pub audiences: Vec<Audience>,
    /// Channels to people (in-app is always kept; e-mail goes to each person's address, and
    /// for customer notices to the contact's address, account or not).
    pub channels: Vec<ChannelKind>,
    /// Group robots and webhooks (names of configured targets) that also get this notice.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Off: the notice is not raised at all.
    #[serde(default = "on")]
    pub enabled: bool,
    /// The administrator's own words for a customer notice (placeholders such as
    /// `{number}`, see [`PLACEHOLDERS`]); none: the default wording ([`default_wording`]).
    #[serde(default)]
    pub wording: Option<Wording>,
}

fn on() -> bool {
    true
}

/// A customer notice's text in both languages, with placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Wording {
    pub subject_zh: String,
    pub body_zh: String,
    pub subject_en: String,
    pub body_en: String,
}

/// What a customer notice's wording may name: `{number}` the ticket number, `{description}`
/// the description's first 12 characters, `{time}` when it happened, `{engineer}` the
/// engineer's name, `{visit}` the visit time, `{resolution}` the solution, `{progress}` the
/// progress message.
pub const PLACEHOLDERS: [&str; 7] = ["number", "description", "time", "engineer", "visit", "resolution", "progress"];

/// Longest subject and body of a wording (characters).
pub const MAX_SUBJECT: usize = 200;
pub const MAX_BODY: usize = 2000;

/// Fills `{name}` placeholders from `vars` (a missing value reads as empty).
pub fn fill(template: &str, vars: &[(String, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if PLACEHOLDERS.contains(&&after[..close]) => {
                let name = &after[..close];
                out.push_str(vars.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str()));
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

impl Wording {
    /// Every problem of a wording, by field: empty or too long texts, unknown placeholders.
    pub fn problems(&self) -> Vec<(crate::Field, crate::error::Reason)> {
        use crate::error::Reason;
        let mut out = Vec::new();
        for (field, text, max) in [
            ("subject_zh", &self.subject_zh, MAX_SUBJECT),
            ("body_zh", &self.body_zh, MAX_BODY),
            ("subject_en", &self.subject_en, MAX_SUBJECT),
            ("body_en", &self.body_en, MAX_BODY),
        ] {
            if text.trim().is_empty() {
                out.push((field, Reason::Missing));
            } else if text.chars().count() > max {
                out.push((field, Reason::TooLong { max }));
            } else if unknown_placeholder(text).is_some() {
                out.push((
                    field,
                    Reason::Malformed {
                        expected_en: "text whose placeholders are among {number} {description} {time} {engineer} {visit} {resolution} {progress}",
                        expected_zh: "文字中的占位符只能是 {number} {description} {time} {engineer} {visit} {resolution} {progress}",
                    },
                ));
            }
        }
        out
    }
}

/// The first `{word}` in `text` that is not a placeholder.
fn unknown_placeholder(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}')?;
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Some(name);
        }
        rest = &after[close + 1..];
    }
    None
}

/// The default words of each customer notice (DOMAIN §8: professional wording).
pub fn default_wording(kind: NoticeKind) -> Option<Wording> {
    let w = |sz: &str, bz: &str, se: &str, be: &str| {
        Some(Wording { subject_zh: sz.into(), body_zh: bz.into(), subject_en: se.into(), body_en: be.into() })
    };
    match kind {
        NoticeKind::Accepted => w(
            "【已受理】您的报修 {number}",
            "您好，已受理您的反馈，我们将尽快处理。\n工单号：{number}\n受理时间：{time}\n问题：{description}",
            "[Accepted] Your request {number}",
            "We have received your request and will handle it as soon as possible.\nTicket: {number}\nAccepted at: {time}\nProblem: {description}",
        ),
        NoticeKind::EngineerAssigned => w(
            "【已安排工程师】您的报修 {number}",
            "您好，我们已安排工程师{engineer}处理您的报修 {number}（{description}），工程师将尽快与您联系。",
            "[Engineer assigned] Your request {number}",
            "Engineer {engineer} will handle your request {number} ({description}) and will contact you shortly.",
        ),
        NoticeKind::EngineerContacted => w(
            "【处理中】您的报修 {number}",
            "您好，工程师{engineer}已于 {time} 就报修 {number} 与您取得联系，后续进展我们会及时告知。",
            "[In progress] Your request {number}",
            "Engineer {engineer} contacted you at {time} about request {number}; we will keep you informed.",
        ),
        NoticeKind::VisitBooked => w(
            "【上门预约】您的报修 {number}",
            "您好，工程师{engineer}将于 {visit} 上门服务（报修 {number}）。如需调整时间，请与我们联系。",
            "[Visit booked] Your request {number}",
            "Engineer {engineer} will visit you at {visit} (request {number}). Please contact us if the time does not suit you.",
        ),
        NoticeKind::VisitMoved => w(
            "【上门时间变更】您的报修 {number}",
            "您好，报修 {number} 的上门服务时间调整为 {visit}，给您带来不便，敬请谅解。",
            "[Visit rescheduled] Your request {number}",
            "The visit for your request {number} is now at {visit}. We apologise for any inconvenience.",
        ),
        NoticeKind::ProgressUpdate => w(
            "【进展通报】您的报修 {number}",
            "您的报修 {number}（{description}）今日进展：{progress}",
            "[Progress] Your request {number}",
            "Your request {number} ({description}) today: {progress}",
        ),
        NoticeKind::Resolved => w(
            "【请确认】您的报修 {number} 已处理完毕",
            "您好，您的报修 {number}（{description}）已处理完毕。\n处理结果：{resolution}\n请确认问题是否已解决；如仍未解决，请告诉我们原因，我们将继续处理。",
            "[Please confirm] Your request {number} is resolved",
            "Your request {number} ({description}) has been resolved.\nSolution: {resolution}\nPlease confirm that the problem is solved, or tell us why it is not and we will continue.",
        ),
        NoticeKind::Closed => w(
            "【已结案】您的报修 {number}",
            "您好，您的报修 {number}（{description}）已于 {time} 结案，感谢您的配合。",
            "[Closed] Your request {number}",
            "Your request {number} ({description}) was closed at {time}. Thank you.",
        ),
        NoticeKind::SurveyRequest => w(
            "【服务评价】您的报修 {number}",
            "您好，为持续改进服务质量，诚邀您对报修 {number}（{description}）的处理进行评价。",
            "[Your opinion] Request {number}",
            "To keep improving our service, please tell us how we handled your request {number} ({description}).",
        ),
        _ => None,
    }
}

/// DOMAIN §5's table.
pub fn default_routes() -> Vec<Route> {
    use Audience::*;
    use NoticeKind::*;
    let route = |kind, audiences: &[Audience]| Route {
        kind,
        audiences: audiences.to_vec(),
        channels: vec![ChannelKind::InApp, ChannelKind::Email],
        targets: Vec::new(),
        enabled: true,
        wording: None,
    };
    vec![
        // The engineer at the first reminder; the project specialist at the second.
        route(PreBreach, &[Engineer, ProjectSpecialist]),
        route(ResponseTimeout, &[Supervisor, ProjectSpecialist]),
        route(NoticeKind::SecondLine, &[ProjectSpecialist, TechLead, Audience::SecondLine]),
        // The customer hears progress from the desk, in words the specialist provides
        // (seed 004), as the day's progress message; the notice itself is internal.
        route(NotClosedSameDay, &[ProjectSpecialist]),
        route(CustomerDidNotClose, &[ProjectSpecialist]),
        route(ThreeDaysUnclosed, &[ProjectManager, GeneralManager]),
        route(RepeatReport, &[ProjectSpecialist]),
        // The customer hears of a moved visit through `VisitMoved`, in customer words.
        route(VisitDelay, &[ProjectSpecialist]),
        route(Dissatisfied, &[Supervisor, ProjectSpecialist]),
        route(ProgressUpdate, &[Contact]),
        route(NoticeKind::Accepted, &[Contact]),
        route(EngineerAssigned, &[Contact]),
        route(EngineerContacted, &[Contact]),
        route(VisitBooked, &[Contact]),
        route(VisitMoved, &[Contact]),
        route(Resolved, &[Contact]),
        route(Closed, &[Contact]),
        route(SurveyRequest, &[Contact]),
    ]
}

impl Route {
    /// The route as it may act: a customer notice goes only to the reporting contact, and an
    /// internal notice never does (a route stored before this rule, or edited by hand, cannot
    /// send escalations to the customer); wording applies only to customer notices.
    pub fn sanitized(mut self) -> Route {
        let customer = self.kind.is_customer_facing();
        self.audiences.retain(|a| (*a == Audience::Contact) == customer);
        if !customer {
            self.wording = None;
        }
        self
    }

    /// Every problem of a route an administrator sends, by field.
    pub fn problems(&self) -> Vec<(crate::Field, crate::error::Reason)> {
        use crate::error::Reason;
        let mut out = Vec::new();
        let customer = self.kind.is_customer_facing();
        if self.audiences.iter().any(|a| (*a == Audience::Contact) != customer) {
            out.push((
                "audiences",
                if customer {
                    Reason::Mismatch {
                        detail_en: "of a customer notice can only be the reporting contact",
                        detail_zh: "客户通知只能发给报修联系人",
                    }
                } else {
                    Reason::Mismatch {
                        detail_en: "of an internal notice cannot include the customer's contact",
                        detail_zh: "内部通告不能发给客户联系人",
                    }
                },
            ));
        }
        if let Some(w) = &self.wording {
            if !customer {
                out.push((
                    "wording",
                    Reason::Mismatch {
                        detail_en: "can be set only for customer notices",
                        detail_zh: "只有客户通知可以修改措辞",
                    },
                ));
            } else {
                out.extend(w.problems());
            }
        }
        out
    }
}

/// The route of `kind` in `routes`, or the default one.
pub fn route_of(routes: &[Route], kind: NoticeKind) -> Route {
    routes
        .iter()
        .find(|r| r.kind == kind)
        .cloned()
        .unwrap_or_else(|| {
            default_routes().into_iter().find(|r| r.kind == kind).unwrap_or(Route {
                kind,
                audiences: Vec::new(),
                channels: vec![ChannelKind::InApp],
                targets: Vec::new(),
                enabled: true,
                wording: None,
            })
        })
        .sanitized()
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

/// The notice of a repeat report, at registration (DOMAIN §5: the project specialist at once).
pub fn on_repeat(t: &Ticket, earlier: &str) -> NoticeSpec {
    let zh = format!("工单 {} 与 {earlier} 为同一设备同类故障（重复报修），请项目专员立即安排处理人员。", t.number);
    let en = format!(
        "Ticket {} repeats {earlier} (same device, same fault); the project specialist assigns at once.",
        t.number
    );
    spec(t, format!("t{}:repeat_report", t.id), NoticeKind::RepeatReport, &[], zh, en)
}

/// A recorded notice (通告), as the notice list and the ticket show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notice {
    pub id: crate::Id,
    pub key: String,
    pub ticket_id: crate::Id,
    pub kind: NoticeKind,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    pub subject_zh: String,
    pub body_zh: String,
    pub subject_en: String,
    pub body_en: String,
    pub recipients: Vec<NoticeRecipient>,
}

/// One person a notice was for, with their acknowledgement and note (seed 004: the desk's
/// status note, the PM's or GM's instruction 批示).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticeRecipient {
    pub user_id: crate::Id,
    pub audience: Audience,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub acknowledged_at: Option<Timestamp>,
    pub note: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub noted_at: Option<Timestamp>,
}

coded_enum! {
    /// Where one delivery stands.
    pub enum DeliveryState {
        Pending = ("pending", "待发送", "Pending"),
        /// An attempt is under way (leased to one worker).
        Sending = ("sending", "发送中", "Sending"),
        Sent = ("sent", "已发送", "Sent"),
        /// Gave up after the retries, or refused for good; an administrator may retry it.
        Dead = ("dead", "发送失败", "Dead letter"),
        /// The worker stopped during an attempt: the receiver may or may not have it. It is not
        /// sent again on its own (that could repeat it); an administrator checks the receiver
        /// and confirms it arrived or sends it again.
        Uncertain = ("uncertain", "待确认", "In doubt"),
    }
}

coded_enum! {
    /// How one attempt (or a person's decision) on a delivery ended.
    pub enum AttemptOutcome {
        Sent = ("sent", "已发送", "Sent"),
        /// Failed for now; tried again later.
        Failed = ("failed", "失败待重试", "Failed, will retry"),
        Dead = ("dead", "发送失败", "Gave up"),
        /// The worker stopped mid-attempt (found when its lease ran out).
        Uncertain = ("uncertain", "结果不明", "Worker stopped mid-attempt"),
        /// An administrator put it back in the queue.
        Requeued = ("requeued", "已重新排队", "Requeued"),
        /// An administrator confirmed an in-doubt delivery arrived.
        Confirmed = ("confirmed", "已确认送达", "Confirmed arrived"),
    }
}

/// One line of a delivery's log: an attempt and how it ended, or a person's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryAttempt {
    /// The attempt number this line is about (1 = first).
    pub attempt: i32,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    pub outcome: AttemptOutcome,
    /// The receiver's answer or the error.
    pub detail: Option<String>,
    /// The worker that made the attempt, or the administrator who decided.
    pub by: String,
}

/// One delivery of a notice on one channel to one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub id: crate::Id,
    pub notice_id: crate::Id,
    pub user_id: Option<crate::Id>,
    /// The customer contact a customer notice is e-mailed to (account or not).
    #[serde(default)]
    pub contact_id: Option<crate::Id>,
    /// The one language of a customer's e-mail; none: both languages (staff).
    #[serde(default)]
    pub lang: Option<crate::Lang>,
    pub channel: ChannelKind,
    /// The e-mail address, or the name of a configured robot/webhook target.
    pub target: String,
    pub state: DeliveryState,
    pub attempts: i32,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    pub receipt: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub sent_at: Option<Timestamp>,
    /// Every attempt and decision, oldest first (filled where a single delivery or a
    /// notice's deliveries are shown).
    #[serde(default)]
    pub log: Vec<DeliveryAttempt>,
}

/// Retries before a delivery is dead: 1, 2, 4 … 64 minutes apart (about two hours in all).
pub const MAX_ATTEMPTS: i32 = 8;

/// When attempt `attempts` (1-based, just failed) is retried.
pub fn backoff(attempts: i32) -> SignedDuration {
    SignedDuration::from_mins(1i64 << (attempts.clamp(1, 7) - 1))
}

/// The progress message the desk wrote, as a notice to the reporting contact; `entry` makes
/// the key unique per message.
pub fn on_progress(t: &Ticket, entry: crate::Id, text: &str) -> NoticeSpec {
    let kind = NoticeKind::ProgressUpdate;
    customer(t, format!("t{}:progress_update:l{entry}", t.id), kind, &[("progress", text.to_owned())])
}
