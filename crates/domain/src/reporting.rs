//! Reports (DOMAIN §7, seed 004 §4.1.2–4.1.3, seed 000 (五)): the per-ticket facts they
//! aggregate, the indices of the weekly table with their blue/red weights, compliance, the
//! desk's misses and their amounts, periods, and who reads which report.
//!
//! Facts are written when they settle (STYLE habit 16): [`TicketFacts::of`] turns a ticket
//! as it now is (its clocks, instants and fields) plus its notice counts into the row a
//! report reads; the app writes it in the transaction of every ticket change, and can
//! recompute it from the history to check.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::clock::{ClockKind, ClockSet, SurveyResult};
use crate::coded_enum;
use crate::error::{DomainError, Reason};
use crate::notice::NoticeKind;
use crate::role::Role;
use crate::ticket::{Kind, Ticket};
use crate::{Id, Timestamp};

/// The longest period a report covers (a year and a bit: a year-on-year month fits).
pub const MAX_PERIOD_DAYS: i64 = 400;

/// The notices a report counts per ticket (seed 004's daily table names them).
pub const COUNTED_NOTICES: [NoticeKind; 6] = [
    NoticeKind::ResponseTimeout,
    NoticeKind::SecondLine,
    NoticeKind::NotClosedSameDay,
    NoticeKind::CustomerDidNotClose,
    NoticeKind::ThreeDaysUnclosed,
    NoticeKind::RepeatReport,
];

/// How many notices of each counted kind a ticket has had.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeCounts {
    pub response_timeout: i32,
    pub second_line: i32,
    pub same_day: i32,
    pub customer_unclosed: i32,
    pub three_days: i32,
    pub repeat: i32,
}

impl NoticeCounts {
    /// Counts from `(kind, count)` pairs; kinds a report does not count are ignored.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (NoticeKind, i64)>) -> NoticeCounts {
        let mut c = NoticeCounts::default();
        for (k, n) in pairs {
            let n = i32::try_from(n).unwrap_or(i32::MAX);
            match k {
                NoticeKind::ResponseTimeout => c.response_timeout += n,
                NoticeKind::SecondLine => c.second_line += n,
                NoticeKind::NotClosedSameDay => c.same_day += n,
                NoticeKind::CustomerDidNotClose => c.customer_unclosed += n,
                NoticeKind::ThreeDaysUnclosed => c.three_days += n,
                NoticeKind::RepeatReport => c.repeat += n,
                _ => {}
            }
        }
        c
    }
}

/// The outcome of one clock on one ticket: `None` while no track of it has settled,
/// `Some(0)` when every settled track was met, `Some(n)` when `n` were missed (for the
/// daily progress clock, the working days whose cutoff passed without progress).
pub type ClockOutcome = Option<i32>;

/// The desk's rules of seed 004 §4.1.2 (configurable): how soon a registered request must be
/// accepted and an accepted one dispatched, and what each miss costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeskRules {
    /// A request is registered late when it is accepted more than this many minutes after
    /// it was registered (default 30).
    pub accept_within_minutes: i64,
    /// A dispatch is late when it comes more than this many minutes after acceptance
    /// (default 30; seed 004: "立即通知对应的或者最近的一线人员").
    pub dispatch_within_minutes: i64,
    /// 元 per request registered late or incomplete (seed 004: 50 元).
    pub registration_yuan: i64,
    /// 元 per late dispatch (seed 004: 50 元).
    pub dispatch_yuan: i64,
    /// 元 per report or notice published late (seed 004: 100 元).
    pub report_yuan: i64,
}

impl Default for DeskRules {
    fn default() -> Self {
        DeskRules {
            accept_within_minutes: 30,
            dispatch_within_minutes: 30,
            registration_yuan: 50,
            dispatch_yuan: 50,
            report_yuan: 100,
        }
    }
}

impl DeskRules {
    /// What is wrong with the rules, by field.
    pub fn check(&self) -> Result<(), DomainError> {
        let mut problems = Vec::new();
        for (field, v, max) in [
            ("accept_within_minutes", self.accept_within_minutes, 24 * 60),
            ("dispatch_within_minutes", self.dispatch_within_minutes, 24 * 60),
            ("registration_yuan", self.registration_yuan, 100_000),
            ("dispatch_yuan", self.dispatch_yuan, 100_000),
            ("report_yuan", self.report_yuan, 100_000),
        ] {
            if !(0..=max).contains(&v) {
                problems.push((
                    field,
                    Reason::Malformed { expected_en: "a whole number in range", expected_zh: "范围内的整数" },
                ));
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(DomainError::Invalid(problems)) }
    }
}

/// What a report reads of one ticket, settled as the ticket moves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketFacts {
    pub ticket_id: Id,
    pub customer_id: Id,
    pub region: String,
    pub category_id: Option<Id>,
    pub priority: Option<String>,
    pub kind: Kind,
    pub first_line_id: Option<Id>,
    pub second_line_id: Option<Id>,
    /// The desk agent who registered it (seed 004 counts the desk's misses per agent).
    pub registered_by: Id,
    pub device_model: Option<String>,
    pub fault_code: Option<String>,
    pub registered_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub dispatched_at: Option<Timestamp>,
    pub responded_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    /// Accepted → first contact, in working minutes on the ticket's calendar.
    pub response_work_min: Option<i64>,
    pub response_cal_min: Option<i64>,
    /// Accepted → resolved.
    pub resolution_work_min: Option<i64>,
    pub resolution_cal_min: Option<i64>,
    /// Dispatched → resolved: the engineer's time to repair (平均故障修复时间, 派工花费时数).
    pub repair_work_min: Option<i64>,
    /// Per clock of DOMAIN §4, in [`ClockKind::ALL`] order.
    pub clocks: [ClockOutcome; 9],
    pub notices: NoticeCounts,
    pub second_line_called: bool,
    pub survey: Option<SurveyResult>,
    /// Parts used on it at catalog price, in fen (分).
    pub parts_cost_fen: i64,
    /// Desk misses (seed 004 §4.1.2).
    pub desk_late_registration: bool,
    pub desk_incomplete: bool,
    pub desk_late_dispatch: bool,
    /// The service report (24 h after resolution) was not sent in time.
    pub desk_late_report: bool,
}

/// Everything [`TicketFacts::of`] reads besides the ticket.
pub struct FactsInput<'a> {
    pub ticket: &'a Ticket,
    /// The ticket's clocks (the stored ones, or a replay of its history).
    pub clocks: &'a ClockSet,
    pub calendar: &'a Calendar,
    pub region: &'a str,
    pub notices: NoticeCounts,
    pub parts_cost_fen: i64,
    pub rules: &'a DeskRules,
}

fn minutes(ms: i64) -> i64 {
    ms.div_euclid(60_000)
}

impl TicketFacts {
    /// The facts of a ticket as it now is.
    pub fn of(i: &FactsInput<'_>) -> Result<TicketFacts, DomainError> {
        let t = i.ticket;
        let work = |a: Option<Timestamp>, b: Option<Timestamp>| -> Result<Option<i64>, DomainError> {
            match (a, b) {
                (Some(a), Some(b)) if b >= a => {
                    Ok(Some(minutes(i.calendar.between(a, b).map_err(DomainError::from)?.as_millis() as i64)))
                }
                (Some(_), Some(_)) => Ok(Some(0)),
                _ => Ok(None),
            }
        };
        let wall = |a: Option<Timestamp>, b: Option<Timestamp>| match (a, b) {
            (Some(a), Some(b)) => Some(minutes(b.duration_since(a).as_millis().max(0) as i64)),
            _ => None,
        };
        let mut clocks = [None; 9];
        for (slot, kind) in clocks.iter_mut().zip(ClockKind::ALL) {
            *slot = clock_outcome(i.clocks, *kind);
        }
        let report_missed = clocks[ClockKind::ServiceReport as usize].is_some_and(|n| n > 0);
        let late = |a: Option<Timestamp>, b: Option<Timestamp>, within: i64| match (a, b) {
            (Some(a), Some(b)) => b.duration_since(a).as_secs() > within * 60,
            _ => false,
        };
        Ok(TicketFacts {
            ticket_id: t.id,
            customer_id: t.customer_id,
            region: i.region.to_owned(),
            category_id: t.category_id,
            priority: t.priority.clone(),
            kind: t.kind,
            first_line_id: t.first_line_id,
            second_line_id: t.second_line_id,
            registered_by: t.registered_by,
            device_model: t.device_model.clone(),
            fault_code: t.fault_code.clone(),
            registered_at: t.registered_at,
            accepted_at: t.accepted_at,
            dispatched_at: t.dispatched_at,
            responded_at: t.responded_at,
            resolved_at: t.resolved_at,
            closed_at: t.closed_at,
            response_work_min: work(t.accepted_at, t.responded_at)?,
            response_cal_min: wall(t.accepted_at, t.responded_at),
            resolution_work_min: work(t.accepted_at, t.resolved_at)?,
            resolution_cal_min: wall(t.accepted_at, t.resolved_at),
            repair_work_min: work(t.dispatched_at, t.resolved_at)?,
            clocks,
            notices: i.notices,
            second_line_called: t.second_line_id.is_some() || i.notices.second_line > 0,
            survey: t.survey_result,
            parts_cost_fen: i.parts_cost_fen,
            desk_late_registration: late(Some(t.registered_at), t.accepted_at, i.rules.accept_within_minutes),
            desk_incomplete: is_incomplete(t),
            desk_late_dispatch: late(t.accepted_at, t.dispatched_at, i.rules.dispatch_within_minutes),
            desk_late_report: report_missed,
        })
    }

    /// The ticket's response was on time: its response clock settled and was met.
    pub fn responded_on_time(&self) -> bool {
        self.clocks[ClockKind::Response as usize] == Some(0)
    }
}

/// Seed 004 §4.2.1: the desk records customer, caller, contact, department, the device (name
/// or number), its location and the symptom. The checks at registration refuse a missing
/// symptom; what can still be missing is the device and its category, which a report then
/// counts as registered incomplete (不能提供事件完整记录).
pub fn is_incomplete(t: &Ticket) -> bool {
    let no_device = t.device_id.is_none() && t.device_model.is_none() && t.device_serial.is_none();
    t.kind == Kind::Fault && (no_device || t.category_id.is_none())
}

/// The outcome of clock `kind` on the ticket (see [`ClockOutcome`]).
pub fn clock_outcome(set: &ClockSet, kind: ClockKind) -> ClockOutcome {
    let mut settled = false;
    let mut missed = 0;
    for t in set.tracks.iter().filter(|t| t.clock == kind && !t.cancelled) {
        if kind == ClockKind::Progress {
            settled |= t.stopped_at.is_some() || t.misses > 0;
            missed += t.misses as i32;
            continue;
        }
        if let Some(stop) = t.stopped_at {
            settled = true;
            if t.due_at.is_some_and(|d| stop > d) {
                missed += 1;
            }
        }
    }
    settled.then_some(missed)
}

coded_enum! {
    /// The counters of the weekly table that weigh on the technical capability index.
    pub enum Counter {
        ResponseTimeout = ("response_timeout", "响应超时次数", "Response timeouts"),
        SecondLine = ("second_line", "找二线支持次数", "Second-line calls"),
        SameDay = ("same_day", "当天未结案次数", "Same-day unclosed"),
        CustomerUnclosed = ("customer_unclosed", "客户未结案次数", "Customer unclosed"),
        Repeat = ("repeat", "重复报修次数", "Repeat reports"),
        ThreeDays = ("three_days", "三天未结案次数", "3-day unclosed"),
    }
}

coded_enum! {
    /// The colour a counter had in seed 004's table: blue weighs 1, red weighs 2.
    pub enum Colour {
        Blue = ("blue", "蓝色（权重 1）", "Blue (weight 1)"),
        Red = ("red", "红色（权重 2）", "Red (weight 2)"),
    }
}

/// Which weekly counters are blue and which red (DOMAIN §7: the source's colours are lost,
/// so this is configuration). A counter in neither does not weigh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub blue: Vec<Counter>,
    pub red: Vec<Counter>,
}

impl Default for Weights {
    /// DOMAIN §7: blue = second-line calls and same-day unclosed; red = customer unclosed,
    /// repeat reports and 3-day unclosed.
    fn default() -> Self {
        Weights {
            blue: vec![Counter::SecondLine, Counter::SameDay],
            red: vec![Counter::CustomerUnclosed, Counter::Repeat, Counter::ThreeDays],
        }
    }
}

impl Weights {
    /// A counter in both colours is refused: its weight would be ambiguous.
    pub fn check(&self) -> Result<(), DomainError> {
        if self.blue.iter().any(|c| self.red.contains(c)) {
            return Err(DomainError::field(
                "red",
                Reason::Mismatch {
                    detail_en: "names a counter that is also blue",
                    detail_zh: "包含已设为蓝色的项目，同一项目只能有一种颜色",
                },
            ));
        }
        Ok(())
    }

    pub fn weight(&self, c: Counter) -> i64 {
        if self.red.contains(&c) {
            2
        } else if self.blue.contains(&c) {
            1
        } else {
            0
        }
    }

    /// The stored form: `blue=second_line,same_day;red=…`.
    pub fn to_setting(&self) -> String {
        let codes = |v: &[Counter]| v.iter().map(|c| c.code()).collect::<Vec<_>>().join(",");
        format!("blue={};red={}", codes(&self.blue), codes(&self.red))
    }

    /// Reads [`Weights::to_setting`]; `None` when it is not that form.
    pub fn from_setting(s: &str) -> Option<Weights> {
        let mut w = Weights { blue: Vec::new(), red: Vec::new() };
        for part in s.split(';') {
            let (name, list) = part.split_once('=')?;
            let target = match name {
                "blue" => &mut w.blue,
                "red" => &mut w.red,
                _ => return None,
            };
            for code in list.split(',').filter(|c| !c.is_empty()) {
                target.push(*Counter::ALL.iter().find(|c| c.code() == code)?);
            }
        }
        w.check().ok()?;
        Some(w)
    }

    /// The sentence the weekly report states ("蓝色：…；红色：…").
    pub fn describe(&self, lang: crate::Lang) -> String {
        let names = |v: &[Counter]| v.iter().map(|c| c.label(lang)).collect::<Vec<_>>().join(", ");
        match lang {
            crate::Lang::Zh => format!(
                "技术能力指数 = 1 −（蓝色项次 + 2 × 红色项次）/ 总派工数；蓝色：{}；红色：{}",
                names(&self.blue),
                names(&self.red)
            ),
            crate::Lang::En => format!(
                "Technical capability index = 1 − (blue items + 2 × red items) / total dispatches; blue: {}; red: {}",
                names(&self.blue),
                names(&self.red)
            ),
        }
    }
}

/// One engineer's counters over a period (seed 004 《每周报修事件分析表》).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineerCounts {
    pub dispatches: i64,
    /// Dispatches whose response clock was met.
    pub on_time_responses: i64,
    pub response_timeout: i64,
    pub second_line: i64,
    pub same_day: i64,
    pub customer_unclosed: i64,
    pub repeat: i64,
    pub three_days: i64,
}

impl EngineerCounts {
    pub fn count(&self, c: Counter) -> i64 {
        match c {
            Counter::ResponseTimeout => self.response_timeout,
            Counter::SecondLine => self.second_line,
            Counter::SameDay => self.same_day,
            Counter::CustomerUnclosed => self.customer_unclosed,
            Counter::Repeat => self.repeat,
            Counter::ThreeDays => self.three_days,
        }
    }

    /// 行动力指数 = 响应准时次数 / 总派工数; `None` without dispatches.
    pub fn action_index(&self) -> Option<f64> {
        (self.dispatches > 0).then(|| self.on_time_responses as f64 / self.dispatches as f64)
    }

    /// 技术能力指数 = 1 − (蓝色项次 + 2 × 红色项次) / 总派工数; `None` without dispatches. It
    /// can fall below zero when a week went badly: the report shows it as it is.
    pub fn capability_index(&self, w: &Weights) -> Option<f64> {
        if self.dispatches == 0 {
            return None;
        }
        let weighted: i64 = Counter::ALL.iter().map(|&c| w.weight(c) * self.count(c)).sum();
        Some(1.0 - weighted as f64 / self.dispatches as f64)
    }

    pub fn add(&mut self, o: &EngineerCounts) {
        self.dispatches += o.dispatches;
        self.on_time_responses += o.on_time_responses;
        self.response_timeout += o.response_timeout;
        self.second_line += o.second_line;
        self.same_day += o.same_day;
        self.customer_unclosed += o.customer_unclosed;
        self.repeat += o.repeat;
        self.three_days += o.three_days;
    }
}

/// A share (0 to 1) of `part` in `whole`; `None` when `whole` is 0.
pub fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Average weekly dispatches over a period of `days` (平均每周派单量).
pub fn per_week(dispatches: i64, days: i64) -> f64 {
    if days <= 0 { 0.0 } else { dispatches as f64 * 7.0 / days as f64 }
}

/// The value at percentile `p` (0–100) of a histogram of `(value, count)` pairs sorted by
/// value (nearest rank): P90 of resolution minutes without holding every ticket.
pub fn percentile(histogram: &[(i64, i64)], p: f64) -> Option<i64> {
    let total: i64 = histogram.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    let rank = ((p / 100.0) * total as f64).ceil().max(1.0) as i64;
    let mut seen = 0;
    for (v, n) in histogram {
        seen += n;
        if seen >= rank {
            return Some(*v);
        }
    }
    histogram.last().map(|(v, _)| *v)
}

coded_enum! {
    /// Period presets of every report, in the service time zone.
    pub enum Preset {
        ThisWeek = ("this_week", "本周", "This week"),
        LastWeek = ("last_week", "上周", "Last week"),
        ThisMonth = ("this_month", "本月", "This month"),
        LastMonth = ("last_month", "上月", "Last month"),
    }
}

/// A report's period: civil dates `from` to `to`, both included, in the service time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Period {
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: Date,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub to: Date,
}

fn date_field(field: &'static str, s: &str) -> Result<Date, (&'static str, Reason)> {
    s.trim().parse::<Date>().map_err(|_| {
        (field, Reason::Malformed { expected_en: "a date such as 2024-03-15", expected_zh: "日期，如 2024-03-15" })
    })
}

impl Period {
    /// Checks a period: `from` not after `to`, at most [`MAX_PERIOD_DAYS`] days.
    pub fn new(from: Date, to: Date) -> Result<Period, DomainError> {
        if from > to {
            return Err(DomainError::field(
                "from",
                Reason::Mismatch { detail_en: "is after the end of the period", detail_zh: "晚于结束日期" },
            ));
        }
        if (Period { from, to }).days() > MAX_PERIOD_DAYS {
            return Err(DomainError::field(
                "to",
                Reason::Mismatch {
                    detail_en: "makes the period longer than 400 days",
                    detail_zh: "使统计期间超过 400 天",
                },
            ));
        }
        Ok(Period { from, to })
    }

    /// Reads a period from the query's words: a preset, or `from` and `to` (`YYYY-MM-DD`);
    /// missing ones default to the preset `default` around `today`. Names every bad field.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        preset: Option<&str>,
        today: Date,
        default: Preset,
    ) -> Result<Period, DomainError> {
        let from = from.filter(|s| !s.trim().is_empty());
        let to = to.filter(|s| !s.trim().is_empty());
        let preset = preset.filter(|s| !s.trim().is_empty());
        if let Some(p) = preset {
            let Some(p) = Preset::ALL.iter().find(|x| x.code() == p.trim()) else {
                return Err(DomainError::field("preset", Reason::Unknown));
            };
            return Ok(Period::preset(*p, today));
        }
        let mut problems = Vec::new();
        let f = from.map(|s| date_field("from", s)).transpose().unwrap_or_else(|e| {
            problems.push(e);
            None
        });
        let t = to.map(|s| date_field("to", s)).transpose().unwrap_or_else(|e| {
            problems.push(e);
            None
        });
        if !problems.is_empty() {
            return Err(DomainError::Invalid(problems));
        }
        let d = Period::preset(default, today);
        match (f, t) {
            (None, None) => Ok(d),
            (Some(f), None) => Period::new(f, d.to.max(f)),
            (None, Some(t)) => Period::new(d.from.min(t), t),
            (Some(f), Some(t)) => Period::new(f, t),
        }
    }

    /// The preset's dates around `today` (weeks start on Monday, as in China).
    pub fn preset(p: Preset, today: Date) -> Period {
        let monday = today - jiff::Span::new().days(i64::from(today.weekday().to_monday_zero_offset()));
        let first = today.first_of_month();
        match p {
            Preset::ThisWeek => Period { from: monday, to: monday + jiff::Span::new().days(6) },
            Preset::LastWeek => {
                let m = monday - jiff::Span::new().days(7);
                Period { from: m, to: m + jiff::Span::new().days(6) }
            }
            Preset::ThisMonth => Period { from: first, to: today.last_of_month() },
            Preset::LastMonth => {
                let prev = first - jiff::Span::new().days(1);
                Period { from: prev.first_of_month(), to: prev }
            }
        }
    }

    /// Days in the period, both ends included.
    pub fn days(&self) -> i64 {
        i64::from((self.to - self.from).get_days()) + 1
    }
}

/// Which reports a role reads (DOMAIN §7 roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportAccess {
    /// Data specialist, supervisor, PM, GM (and the administrator): every report.
    All,
    /// An engineer: their own line of the weekly table.
    OwnLine(Id),
    /// A customer contact: their organization's customer edition of the monthly report.
    CustomerEdition(Id),
    None,
}

/// What `role` (user `user`, of customer `customer` for a contact) may read.
pub fn access(role: Role, user: Id, customer: Option<Id>) -> ReportAccess {
    if crate::permission::allows(role, crate::permission::Action::ReadReports) {
        return ReportAccess::All;
    }
    match role {
        Role::FirstLineEngineer | Role::SecondLineEngineer | Role::TechLead => ReportAccess::OwnLine(user),
        Role::CustomerContact => customer.map_or(ReportAccess::None, ReportAccess::CustomerEdition),
        _ => ReportAccess::None,
    }
}

/// The improvement actions a supervisor writes for a month (seed 000 (五): 制定改进措施).
pub const MAX_IMPROVEMENTS: usize = 4000;

/// The numbers of the monthly service report (售后服务月度报告) that both editions share.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceSummary {
    /// Tickets registered in the period.
    pub registered: i64,
    /// Tickets resolved in the period.
    pub resolved: i64,
    /// Tickets closed in the period.
    pub closed: i64,
    /// Registered tickets by priority level code (`none` for ungraded).
    pub by_priority: BTreeMap<String, i64>,
    /// Over the tickets resolved in the period.
    pub avg_resolution_work_min: Option<f64>,
    pub p90_resolution_work_min: Option<i64>,
    pub avg_resolution_cal_min: Option<f64>,
    pub p90_resolution_cal_min: Option<i64>,
    /// Surveys of tickets closed in the period, by result code.
    pub satisfaction: BTreeMap<String, i64>,
}

/// The customer's edition of the monthly service report (STYLE habit 17): the customer's
/// own numbers in customer words, and only what concerns them (no engineers, no notices, no
/// desk misses, no internal clocks but the two promised to them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerServiceReport {
    pub customer: String,
    pub period: Period,
    pub summary: ServiceSummary,
    /// Share of the response and resolution commitments met (settled ones only).
    pub response_met: Option<f64>,
    pub resolution_met: Option<f64>,
    // No improvement actions: the supervisor writes one month-wide text for the staff, which
    // may name other customers or engineers; a customer hears of the action on their own
    // complaint through its callback (seed 003: 改进措施 reported back to the customer).
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    #[test]
    fn indices_follow_seed_004_with_the_default_weights() {
        // 10 dispatches, 8 on time; 1 second-line call, 1 same-day unclosed (blue), 1 repeat (red).
        let c = EngineerCounts {
            dispatches: 10,
            on_time_responses: 8,
            response_timeout: 2,
            second_line: 1,
            same_day: 1,
            repeat: 1,
            ..EngineerCounts::default()
        };
        assert_eq!(c.action_index(), Some(0.8));
        // 1 − (1 + 1 + 2 × 1) / 10 = 0.6; the response timeouts weigh nothing by default.
        let idx = c.capability_index(&Weights::default()).expect("index");
        assert!((idx - 0.6).abs() < 1e-9, "{idx}");
    }

    #[test]
    fn configured_weights_change_the_index_and_no_dispatch_gives_none() {
        let c = EngineerCounts { dispatches: 4, response_timeout: 1, three_days: 1, ..EngineerCounts::default() };
        let w = Weights { blue: vec![Counter::ResponseTimeout], red: vec![] };
        assert_eq!(c.capability_index(&w), Some(0.75));
        assert_eq!(c.capability_index(&Weights::default()), Some(0.5));
        assert_eq!(EngineerCounts::default().capability_index(&w), None);
        assert_eq!(EngineerCounts::default().action_index(), None);
    }

    #[test]
    fn weights_round_trip_and_refuse_a_counter_in_both_colours() {
        let w = Weights::default();
        assert_eq!(Weights::from_setting(&w.to_setting()), Some(w.clone()));
        assert_eq!(w.to_setting(), "blue=second_line,same_day;red=customer_unclosed,repeat,three_days");
        let both = Weights { blue: vec![Counter::Repeat], red: vec![Counter::Repeat] };
        assert!(both.check().is_err());
        assert_eq!(Weights::from_setting("blue=repeat;red=repeat"), None);
        assert_eq!(Weights::from_setting("green=repeat"), None);
        assert!(w.describe(crate::Lang::Zh).contains("蓝色：找二线支持次数, 当天未结案次数"));
    }

    #[test]
    fn presets_start_weeks_on_monday_and_months_on_the_first() {
        let today = d("2026-12-09"); // a Wednesday
        assert_eq!(Period::preset(Preset::ThisWeek, today), Period { from: d("2026-12-07"), to: d("2026-12-13") });
        assert_eq!(Period::preset(Preset::LastWeek, today), Period { from: d("2026-11-30"), to: d("2026-12-06") });
        assert_eq!(Period::preset(Preset::ThisMonth, today), Period { from: d("2026-12-01"), to: d("2026-12-31") });
        assert_eq!(
            Period::preset(Preset::LastMonth, d("2026-03-31")),
            Period { from: d("2026-02-01"), to: d("2026-02-28") }
        );
    }

    #[test]
    fn bad_periods_name_their_field() {
        let today = d("2026-12-09");
        let field = |r: Result<Period, DomainError>| match r {
            Err(DomainError::Invalid(v)) => v.into_iter().map(|(f, _)| f).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(field(Period::parse(Some("2026-13-01"), None, None, today, Preset::ThisWeek)), vec!["from"]);
        assert_eq!(field(Period::parse(Some("x"), Some("y"), None, today, Preset::ThisWeek)), vec!["from", "to"]);
        assert_eq!(
            field(Period::parse(Some("2026-12-10"), Some("2026-12-01"), None, today, Preset::ThisWeek)),
            vec!["from"]
        );
        assert_eq!(
            field(Period::parse(Some("2024-01-01"), Some("2026-01-01"), None, today, Preset::ThisWeek)),
            vec!["to"]
        );
        assert_eq!(field(Period::parse(None, None, Some("yesterday"), today, Preset::ThisWeek)), vec!["preset"]);
        let ok =
            Period::parse(Some("2025-01-01"), Some("2026-02-04"), None, today, Preset::ThisWeek).expect("400 days");
        assert_eq!(ok.days(), 400);
    }

    #[test]
    fn p90_is_the_nearest_rank() {
        let h: Vec<(i64, i64)> = (1..=10).map(|v| (v * 10, 1)).collect();
        assert_eq!(percentile(&h, 90.0), Some(90));
        assert_eq!(percentile(&h, 50.0), Some(50));
        assert_eq!(percentile(&[(5, 3), (7, 1)], 90.0), Some(7));
        assert_eq!(percentile(&[], 90.0), None);
    }

    #[test]
    fn engineers_read_their_own_line_and_contacts_their_edition() {
        assert_eq!(access(Role::DataSpecialist, 1, None), ReportAccess::All);
        assert_eq!(access(Role::GeneralManager, 1, None), ReportAccess::All);
        assert_eq!(access(Role::FirstLineEngineer, 7, None), ReportAccess::OwnLine(7));
        assert_eq!(access(Role::CustomerContact, 7, Some(3)), ReportAccess::CustomerEdition(3));
        assert_eq!(access(Role::DeskAgent, 7, None), ReportAccess::None);
    }
}
