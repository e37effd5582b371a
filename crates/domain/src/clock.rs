//! Clocks (DOMAIN §4): every deadline a ticket is held to, computed from its history.
//!
//! A ticket's clocks are a [`ClockSet`] folded from [`Fact`]s, and facts come from the
//! ticket's stored [`Event`]s ([`facts`]), so the same history always gives the same
//! clocks: the app applies each new event as it happens, and can replay the whole history
//! (after a calendar edit, or to check) and get the same state.
//!
//! Each length-based clock keeps the segments of time it ran; what it has spent is measured
//! on those segments in its current counting mode, so a pause never loses time and a
//! regrade (DOMAIN §3: "a priority change recomputes the open deadlines") computes the new
//! due instant from the new length minus what was already spent.

use std::collections::BTreeMap;

use jiff::SignedDuration;
use jiff::civil::Time;
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::coded_enum;
use crate::error::{DomainError, Field, Reason};
use crate::event::Event;
use crate::grading::{Counting, GradingScheme};
use crate::ticket::Status;
use crate::worklog::LogKind;
use crate::{Lang, Timestamp};

coded_enum! {
    /// The clocks of DOMAIN §4.
    pub enum ClockKind {
        Response = ("response", "响应", "Response"),
        EngineerContact = ("engineer_contact", "工程师联系客户", "Engineer contact"),
        Plan = ("plan", "处理方案", "Handling plan"),
        Arrival = ("arrival", "到场", "Arrival on site"),
        Resolution = ("resolution", "解决", "Resolution"),
        Progress = ("progress", "进展通报", "Daily progress"),
        ServiceReport = ("service_report", "服务报告", "Service report"),
        Callback = ("callback", "回访", "Callback"),
        Rehandling = ("rehandling", "二次处理", "Re-handling"),
    }
}

coded_enum! {
    /// Where a clock stands.
    pub enum ClockState {
        Running = ("running", "计时中", "Running"),
        Paused = ("paused", "已暂停", "Paused"),
        /// Stopped in time.
        Met = ("met", "已达标", "Met"),
        /// Past its due instant, running or stopped late.
        Breached = ("breached", "已超时", "Breached"),
        /// The ticket was cancelled while the clock ran.
        Cancelled = ("cancelled", "已撤销", "Cancelled"),
        /// Started but waiting for a grading to know its length.
        AwaitingGrading = ("awaiting_grading", "待分级", "Awaiting grading"),
    }
}

coded_enum! {
    /// The customer's answer to the satisfaction survey (回访满意度).
    pub enum SurveyResult {
        Satisfied = ("satisfied", "满意", "Satisfied"),
        Basic = ("basic", "基本满意", "Basically satisfied"),
        Dissatisfied = ("dissatisfied", "不满意", "Dissatisfied"),
    }
}

impl ClockKind {
    /// Clocks whose due instant is not a length: arrival is the agreed time, progress the
    /// daily cutoff. A policy has no length rule for them.
    pub fn has_length(self) -> bool {
        !matches!(self, ClockKind::Arrival | ClockKind::Progress)
    }
}

/// One row of a service policy: the length and counting of one clock, for one priority
/// level and/or customer level (`None` = any). The most specific row wins: level and
/// customer level, then level, then customer level, then neither.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClockRule {
    pub clock: ClockKind,
    pub level: Option<String>,
    pub customer_level: Option<String>,
    pub minutes: i64,
    pub counting: Counting,
    /// Ticket states that pause this clock (`waiting_customer`, `waiting_parts`).
    #[serde(default)]
    pub pause_on: Vec<Status>,
}

/// A service policy (服务策略): each clock's length and counting by priority level and
/// customer level (DOMAIN §3: the customer level table decides handling and deadlines).
/// Stored as numbered versions; a ticket keeps the version it was accepted or graded under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ServicePolicy {
    /// Assigned by the store; ignored on input.
    #[serde(default)]
    pub version: i64,
    pub rules: Vec<ClockRule>,
    /// The daily progress message is due before this local time on each working day
    /// (seed 002/004: 17:00).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "17:00"))]
    pub progress_cutoff: Time,
}

const HOUR: i64 = 60;

/// The most rules a policy has (a form beyond this is refused, never cut short).
pub const MAX_RULES: usize = 200;

/// The longest length a rule gives a clock: 366 days.
const MAX_RULE_MINUTES: i64 = 60 * 24 * 366;

impl ServicePolicy {
    /// The seed tables: response and resolution per level from the grading scheme (DOMAIN
    /// §3); engineer contact 1 h, plan 2 h, service report 24 h, callback 24 h (seed 002),
    /// re-handling 48 h (DOMAIN §4). Waiting for the customer pauses resolution; waiting for
    /// parts does not by default (the parts are the service side's responsibility), an
    /// administrator may add it.
    pub fn seed(scheme: &GradingScheme) -> ServicePolicy {
        let mut rules = Vec::new();
        for l in &scheme.levels {
            rules.push(rule(ClockKind::Response, Some(&l.code), l.respond_minutes, l.counting, &[]));
            rules.push(rule(
                ClockKind::Resolution,
                Some(&l.code),
                l.resolve_minutes,
                l.counting,
                &[Status::WaitingCustomer],
            ));
        }
        for (clock, minutes) in [
            (ClockKind::EngineerContact, HOUR),
            (ClockKind::Plan, 2 * HOUR),
            (ClockKind::ServiceReport, 24 * HOUR),
            (ClockKind::Callback, 24 * HOUR),
            (ClockKind::Rehandling, 48 * HOUR),
        ] {
            rules.push(rule(clock, None, minutes, Counting::WallClock, &[]));
        }
        ServicePolicy { version: 0, rules, progress_cutoff: Time::constant(17, 0, 0, 0) }
    }

    /// The same policy with the response and resolution rows of every level taken from
    /// `scheme` (used when the grading scheme is edited, so its columns stay the policy's).
    /// Customer-level rows and other clocks are kept; rows of removed levels are dropped.
    pub fn with_scheme(&self, scheme: &GradingScheme) -> ServicePolicy {
        let per_level = |r: &ClockRule| {
            matches!(r.clock, ClockKind::Response | ClockKind::Resolution)
                && r.level.is_some()
                && r.customer_level.is_none()
        };
        let mut rules: Vec<ClockRule> = ServicePolicy::seed(scheme).rules.into_iter().filter(per_level).collect();
        for r in &mut rules {
            // Keep an administrator's pause choices for rows that existed before.
            if let Some(old) = self.rules.iter().find(|o| per_level(o) && o.clock == r.clock && o.level == r.level) {
                r.pause_on = old.pause_on.clone();
            }
        }
        rules.extend(
            self.rules
                .iter()
                .filter(|r| !per_level(r))
                .filter(|r| r.level.as_deref().is_none_or(|l| scheme.level(l).is_some()))
                .cloned(),
        );
        ServicePolicy { version: 0, rules, progress_cutoff: self.progress_cutoff }
    }

    /// The rule for `clock` on a ticket of `level` and `customer_level`.
    pub fn rule(&self, clock: ClockKind, level: Option<&str>, customer_level: Option<&str>) -> Option<&ClockRule> {
        self.rules
            .iter()
            .filter(|r| r.clock == clock)
            .filter(|r| r.level.is_none() || r.level.as_deref() == level)
            .filter(|r| r.customer_level.is_none() || r.customer_level.as_deref() == customer_level)
            .max_by_key(|r| (r.level.is_some() as u8) * 2 + r.customer_level.is_some() as u8)
    }

    /// Checks a policy an administrator submits against the grading scheme and the
    /// customer levels; names every problem.
    pub fn validate(&self, scheme: &GradingScheme, customer_levels: &[String]) -> Result<(), DomainError> {
        let mut fields: Vec<(Field, Reason)> = Vec::new();
        for (_, field, reason) in self.problems(scheme, customer_levels) {
            if !fields.iter().any(|(f, r)| *f == field && *r == reason) {
                fields.push((field, reason));
            }
        }
        if fields.is_empty() { Ok(()) } else { Err(DomainError::Invalid(fields)) }
    }

    /// Every problem [`ServicePolicy::validate`] refuses, each with the index in `rules` of
    /// the rule it is about (`None`: the policy as a whole), so a form can name the row. Of
    /// rules for the same clock, level and customer level, the later ones are the repeats.
    pub fn problems(&self, scheme: &GradingScheme, customer_levels: &[String]) -> Vec<(Option<usize>, Field, Reason)> {
        let mut problems: Vec<(Option<usize>, Field, Reason)> = Vec::new();
        if self.rules.len() > MAX_RULES {
            problems.push((
                None,
                "rules",
                Reason::Malformed { expected_en: "at most 200 rows", expected_zh: "最多 200 行" },
            ));
            // Nothing more is checked of a table that long.
            return problems;
        }
        for (i, r) in self.rules.iter().enumerate() {
            if !r.clock.has_length() {
                problems.push((
                    Some(i),
                    "rules.clock",
                    Reason::Mismatch {
                        detail_en: "arrival is due at the agreed time and progress at the daily cutoff; they take no length",
                        detail_zh: "到场以约定时间为准、进展通报以每日截止时间为准，不设时长",
                    },
                ));
            }
            if !(1..=MAX_RULE_MINUTES).contains(&r.minutes) {
                problems.push((
                    Some(i),
                    "rules.minutes",
                    Reason::Malformed { expected_en: "1 to 527040 minutes", expected_zh: "1 至 527040 分钟" },
                ));
            }
            if r.level.as_deref().is_some_and(|l| scheme.level(l).is_none()) {
                problems.push((Some(i), "rules.level", Reason::Unknown));
            }
            if r.customer_level.as_deref().is_some_and(|c| !customer_levels.iter().any(|k| k == c)) {
                problems.push((Some(i), "rules.customer_level", Reason::Unknown));
            }
            if r.pause_on.iter().any(|s| !matches!(s, Status::WaitingCustomer | Status::WaitingParts)) {
                problems.push((
                    Some(i),
                    "rules.pause_on",
                    Reason::Malformed {
                        expected_en: "waiting_customer or waiting_parts",
                        expected_zh: "等待客户或等待备件",
                    },
                ));
            }
        }
        for (i, r) in self.rules.iter().enumerate() {
            let key = (r.clock, &r.level, &r.customer_level);
            if self.rules[..i].iter().any(|o| (o.clock, &o.level, &o.customer_level) == key) {
                problems.push((Some(i), "rules", Reason::Duplicate));
            }
        }
        let uncovered = scheme.levels.iter().any(|l| {
            [ClockKind::Response, ClockKind::Resolution]
                .into_iter()
                .any(|c| self.rule(c, Some(&l.code), None).is_none())
        });
        if uncovered {
            problems.push((
                None,
                "rules",
                Reason::Mismatch {
                    detail_en: "every level needs a response and a resolution rule",
                    detail_zh: "每个级别都须有响应和解决时限",
                },
            ));
        }
        problems
    }
}

fn rule(clock: ClockKind, level: Option<&str>, minutes: i64, counting: Counting, pause_on: &[Status]) -> ClockRule {
    ClockRule {
        clock,
        level: level.map(str::to_owned),
        customer_level: None,
        minutes,
        counting,
        pause_on: pause_on.to_vec(),
    }
}

/// Policies by version, for folding a history that spans several.
pub trait Policies {
    fn policy(&self, version: i64) -> Option<&ServicePolicy>;
}

impl Policies for ServicePolicy {
    fn policy(&self, version: i64) -> Option<&ServicePolicy> {
        (self.version == version).then_some(self)
    }
}

impl Policies for BTreeMap<i64, ServicePolicy> {
    fn policy(&self, version: i64) -> Option<&ServicePolicy> {
        self.get(&version)
    }
}

/// What in a ticket's history moves its clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// The ticket now runs under this customer level (set at acceptance).
    CustomerLevel(Option<String>),
    /// The ticket now runs under this policy version.
    Policy(i64),
    /// The priority level changed (grading, ruling, approved downgrade).
    Level(Option<String>),
    Status {
        from: Status,
        to: Status,
    },
    /// A visit was booked (or rebooked) for this instant.
    VisitBooked(Timestamp),
    Logged(LogKind),
    Surveyed(SurveyResult),
}

fn str_of(v: &serde_json::Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

/// The facts one stored event holds, in the order they apply.
pub fn facts(event: &Event) -> Vec<Fact> {
    let mut out = Vec::new();
    let change = |field: &str| event.changes.iter().find(|c| c.field == field);
    if let Some(c) = change("customer_level") {
        out.push(Fact::CustomerLevel(str_of(&c.after)));
    }
    if let Some(v) = change("policy_version").and_then(|c| c.after.as_i64()) {
        out.push(Fact::Policy(v));
    }
    if let Some(c) = change("priority") {
        out.push(Fact::Level(str_of(&c.after)));
    }
    // A survey goes before the status change it may cause (a dissatisfied answer reopens the
    // ticket): the callback it completes is met, not discarded with the reopening.
    if let Some(r) = change("survey_result").and_then(|c| c.after.as_str()).and_then(SurveyResult::from_code) {
        out.push(Fact::Surveyed(r));
    }
    if let Some(c) = change("status") {
        let from = c.before.as_str().and_then(Status::from_code);
        let to = c.after.as_str().and_then(Status::from_code);
        if let (Some(from), Some(to)) = (from, to) {
            out.push(Fact::Status { from, to });
        }
    }
    if let Some(at) = change("visit_at").and_then(|c| c.after.as_str()).and_then(|s| s.parse().ok()) {
        out.push(Fact::VisitBooked(at));
    }
    if let Some(kind) = change("log_kind").and_then(|c| c.after.as_str()).and_then(LogKind::from_code) {
        out.push(Fact::Logged(kind));
    }
    out
}

/// A stretch of time a clock ran; `end` is `None` while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub start: Timestamp,
    pub end: Option<Timestamp>,
}

/// One clock of one ticket, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Track {
    pub clock: ClockKind,
    pub started_at: Timestamp,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<Segment>,
    /// The length from the policy; `None` until the ticket is graded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length_ms: Option<i64>,
    pub counting: Counting,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pause_on: Vec<Status>,
    /// The due instant: computed from the segments, or fixed (arrival, progress).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancelled: bool,
    /// Progress: working days whose cutoff passed without a progress message.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub misses: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Track {
    fn new(clock: ClockKind, at: Timestamp) -> Track {
        Track {
            clock,
            started_at: at,
            segments: vec![Segment { start: at, end: None }],
            length_ms: None,
            counting: Counting::WallClock,
            pause_on: Vec::new(),
            due_at: None,
            stopped_at: None,
            cancelled: false,
            misses: 0,
        }
    }

    fn is_live(&self) -> bool {
        self.stopped_at.is_none()
    }

    fn is_running(&self) -> bool {
        self.is_live() && self.segments.last().is_some_and(|s| s.end.is_none())
    }

    fn close_segment(&mut self, at: Timestamp) {
        if let Some(s) = self.segments.last_mut().filter(|s| s.end.is_none()) {
            s.end = Some(at.max(s.start));
        }
    }

    fn open_segment(&mut self, at: Timestamp) {
        if !self.is_running() {
            self.segments.push(Segment { start: at, end: None });
        }
    }

    fn stop(&mut self, at: Timestamp) {
        if self.is_live() {
            self.close_segment(at);
            self.stopped_at = Some(at);
        }
    }

    /// Measures `[a, b)` in this clock's counting mode.
    fn measure(&self, cal: &Calendar, a: Timestamp, b: Timestamp) -> Result<i64, DomainError> {
        Ok(match self.counting {
            Counting::WallClock => b.duration_since(a).as_millis() as i64,
            Counting::WorkingTime => cal.between(a, b).map_err(DomainError::from)?.as_millis() as i64,
        })
    }

    fn advance(&self, cal: &Calendar, from: Timestamp, ms: i64) -> Result<Timestamp, DomainError> {
        let span = SignedDuration::from_millis(ms);
        Ok(match self.counting {
            Counting::WallClock => from.checked_add(span).map_err(|_| {
                DomainError::field(
                    "due_at",
                    Reason::Malformed { expected_en: "a date in range", expected_zh: "有效范围内的时间" },
                )
            })?,
            Counting::WorkingTime => cal.add(from, span).map_err(DomainError::from)?,
        })
    }

    /// Time spent so far up to `now` (running segment measured to `now`).
    fn spent(&self, cal: &Calendar, now: Timestamp) -> Result<i64, DomainError> {
        let mut total = 0;
        for s in &self.segments {
            let end = s.end.unwrap_or(now).max(s.start);
            total += self.measure(cal, s.start, end)?;
        }
        Ok(total)
    }

    /// Recomputes the due instant of a length-based clock: the instant its spent time
    /// reaches its length, walking the segments. `None` while paused with time left, or
    /// ungraded.
    fn recompute_due(&mut self, cal: &Calendar) -> Result<(), DomainError> {
        if !self.clock.has_length() {
            return Ok(());
        }
        let Some(length) = self.length_ms else {
            self.due_at = None;
            return Ok(());
        };
        let mut left = length;
        self.due_at = None;
        for s in &self.segments {
            match s.end {
                Some(end) => {
                    let used = self.measure(cal, s.start, end)?;
                    if used >= left {
                        self.due_at = Some(self.advance(cal, s.start, left)?);
                        return Ok(());
                    }
                    left -= used;
                }
                None => {
                    self.due_at = Some(self.advance(cal, s.start, left)?);
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

/// All clocks of one ticket, as stored on its row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockSet {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tracks: Vec<Track>,
    /// Problems computing the clocks, e.g. a calendar without holiday data for a year.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

/// Something the clocks could not know for sure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Warning {
    /// The calendar observes a holiday set that has no data for this year; its days are
    /// treated as ordinary, which may be wrong.
    NoHolidayData { calendar: String, year: i16 },
}

impl Warning {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Warning::NoHolidayData { calendar, year }, Lang::Zh) => {
                format!("日历 {calendar} 尚无 {year} 年的节假日数据，该年按普通工作日计算，期限可能不准确")
            }
            (Warning::NoHolidayData { calendar, year }, Lang::En) => format!(
                "calendar {calendar} has no holiday data for {year}; that year is counted as ordinary days and deadlines may be wrong"
            ),
        }
    }
}

/// Everything the fold needs besides the facts.
pub struct Context<'a> {
    pub calendar: &'a Calendar,
    pub policies: &'a dyn Policies,
}

impl ClockSet {
    /// Folds a whole history into clocks.
    pub fn replay<'e>(events: impl IntoIterator<Item = &'e Event>, ctx: &Context<'_>) -> Result<ClockSet, DomainError> {
        let mut set = ClockSet::default();
        for e in events {
            set.apply_event(e, ctx)?;
        }
        Ok(set)
    }

    pub fn apply_event(&mut self, e: &Event, ctx: &Context<'_>) -> Result<(), DomainError> {
        for f in facts(e) {
            self.apply(e.at, &f, ctx)?;
        }
        Ok(())
    }

    fn track(&mut self, clock: ClockKind) -> Option<&mut Track> {
        self.tracks.iter_mut().rev().find(|t| t.clock == clock)
    }

    fn live(&mut self, clock: ClockKind) -> Option<&mut Track> {
        self.track(clock).filter(|t| t.is_live())
    }

    fn start(&mut self, clock: ClockKind, at: Timestamp, ctx: &Context<'_>) -> Result<(), DomainError> {
        if self.live(clock).is_some() {
            return Ok(());
        }
        let mut t = Track::new(clock, at);
        self.configure(&mut t, ctx)?;
        self.tracks.push(t);
        Ok(())
    }

    /// Applies the policy rule of the ticket's current level to a track.
    fn configure(&self, t: &mut Track, ctx: &Context<'_>) -> Result<(), DomainError> {
        if t.clock.has_length() {
            let rule = self
                .policy_version
                .and_then(|v| ctx.policies.policy(v))
                .and_then(|p| p.rule(t.clock, self.level.as_deref(), self.customer_level.as_deref()));
            match rule {
                Some(r) => {
                    t.length_ms = Some(r.minutes * 60_000);
                    t.counting = r.counting;
                    t.pause_on = r.pause_on.clone();
                }
                None => t.length_ms = None,
            }
            t.recompute_due(ctx.calendar)?;
        }
        Ok(())
    }

    fn stop(&mut self, clock: ClockKind, at: Timestamp) {
        if let Some(t) = self.live(clock) {
            t.stop(at);
        }
    }

    /// Applies one fact at instant `at`.
    pub fn apply(&mut self, at: Timestamp, fact: &Fact, ctx: &Context<'_>) -> Result<(), DomainError> {
        use ClockKind::*;
        match fact {
            Fact::CustomerLevel(c) => {
                self.customer_level = c.clone();
                self.reconfigure(at, ctx)?;
            }
            Fact::Policy(v) => {
                self.policy_version = Some(*v);
                self.reconfigure(at, ctx)?;
            }
            Fact::Level(l) => {
                self.level = l.clone();
                self.reconfigure(at, ctx)?;
            }
            Fact::Status { from, to } => {
                self.status = Some(*to);
                match (from, to) {
                    (_, Status::Accepted) => {
                        self.start(Response, at, ctx)?;
                        self.start(Resolution, at, ctx)?;
                        self.start_progress(at, ctx)?;
                    }
                    (Status::Accepted, Status::Dispatched) => {
                        self.start(EngineerContact, at, ctx)?;
                        self.start(Plan, at, ctx)?;
                    }
                    (_, Status::Responded) => {
                        self.stop(Response, at);
                        self.stop(EngineerContact, at);
                    }
                    (_, Status::Resolved) => {
                        // The resolution ends the clocks of the handling itself: a plan never
                        // recorded or a booked visit never logged is late if its due instant
                        // passed, and does not stay overdue on a resolved or closed ticket.
                        for clock in [Response, EngineerContact, Plan, Arrival, Resolution] {
                            self.stop(clock, at);
                        }
                        self.stop_progress(at, ctx)?;
                        self.restart(ServiceReport, at, ctx)?;
                        self.restart(Callback, at, ctx)?;
                    }
                    (Status::Resolved | Status::Closed, Status::InProgress) => {
                        // Refused or reopened: the resolution clock runs on from what it spent;
                        // a report or callback not yet done waits for the next resolution.
                        // Overdue ones stay on record as missed; the others are void.
                        for t in self
                            .tracks
                            .iter_mut()
                            .filter(|t| matches!(t.clock, ServiceReport | Callback) && t.is_live())
                        {
                            let overdue = t.due_at.is_some_and(|d| at > d);
                            t.stop(at);
                            t.cancelled = !overdue;
                        }
                        if let Some(t) = self.track(Resolution) {
                            t.stopped_at = None;
                            t.open_segment(at);
                            t.recompute_due(ctx.calendar)?;
                        }
                        self.start_progress(at, ctx)?;
                    }
                    (_, Status::Cancelled) => {
                        for t in self.tracks.iter_mut().filter(|t| t.is_live()) {
                            t.stop(at);
                            t.cancelled = true;
                        }
                    }
                    _ => {}
                }
                self.sync_pauses(at, ctx)?;
            }
            Fact::VisitBooked(agreed) => {
                // Rebooking in time moves the deadline; rebooking after the agreed time has
                // passed leaves the missed visit on record and starts a new one.
                let missed = self.live(Arrival).is_some_and(|t| t.due_at.is_some_and(|d| at > d));
                if missed {
                    self.stop(Arrival, at);
                }
                if let Some(t) = self.live(Arrival) {
                    t.due_at = Some(*agreed);
                } else {
                    let mut t = Track::new(Arrival, at);
                    t.due_at = Some(*agreed);
                    self.tracks.push(t);
                }
            }
            Fact::Logged(kind) => {
                match kind {
                    LogKind::Plan => self.stop(Plan, at),
                    LogKind::OnSite => self.stop(Arrival, at),
                    LogKind::ServiceReport => self.stop(ServiceReport, at),
                    LogKind::Progress => self.progress_sent(at, ctx)?,
                    _ => {}
                }
                if matches!(
                    kind,
                    LogKind::Contact | LogKind::Diagnosis | LogKind::Plan | LogKind::RemoteFix | LogKind::OnSite
                ) {
                    self.stop(Rehandling, at);
                }
            }
            Fact::Surveyed(result) => {
                self.stop(Callback, at);
                if *result == SurveyResult::Dissatisfied {
                    self.restart(Rehandling, at, ctx)?;
                }
            }
        }
        self.check_years(ctx.calendar);
        Ok(())
    }

    /// Starts a fresh track for `clock`, replacing one still live.
    fn restart(&mut self, clock: ClockKind, at: Timestamp, ctx: &Context<'_>) -> Result<(), DomainError> {
        self.tracks.retain(|t| !(t.clock == clock && t.is_live()));
        self.start(clock, at, ctx)
    }

    /// Applies the rules of the ticket's current level, customer level and policy to the
    /// live tracks at `at`; the new rows' pause choices apply at once.
    fn reconfigure(&mut self, at: Timestamp, ctx: &Context<'_>) -> Result<(), DomainError> {
        let mut tracks = std::mem::take(&mut self.tracks);
        for t in tracks.iter_mut().filter(|t| t.is_live()) {
            self.configure(t, ctx)?;
        }
        self.tracks = tracks;
        self.sync_pauses(at, ctx)
    }

    /// Pauses running clocks whose rule names the current state, resumes the others.
    fn sync_pauses(&mut self, at: Timestamp, ctx: &Context<'_>) -> Result<(), DomainError> {
        let Some(status) = self.status else { return Ok(()) };
        for t in self.tracks.iter_mut().filter(|t| t.is_live() && t.clock.has_length()) {
            let pause = t.pause_on.contains(&status);
            if pause && t.is_running() {
                t.close_segment(at);
                t.recompute_due(ctx.calendar)?;
            } else if !pause && !t.is_running() {
                t.open_segment(at);
                t.recompute_due(ctx.calendar)?;
            }
        }
        Ok(())
    }

    fn start_progress(&mut self, at: Timestamp, ctx: &Context<'_>) -> Result<(), DomainError> {
        let cutoff = self.cutoff(ctx);
        self.tracks.retain(|t| !(t.clock == ClockKind::Progress && t.is_live()));
        let mut t = Track::new(ClockKind::Progress, at);
        t.segments.clear();
        t.due_at = Some(progress_due(ctx.calendar, cutoff, at, true)?);
        self.tracks.push(t);
        Ok(())
    }

    fn progress_sent(&mut self, at: Timestamp, ctx: &Context<'_>) -> Result<(), DomainError> {
        let cutoff = self.cutoff(ctx);
        if let Some(t) = self.live(ClockKind::Progress) {
            if let Some(due) = t.due_at.filter(|due| at > *due) {
                t.misses += missed_cutoffs(ctx.calendar, cutoff, due, at)?;
            }
            t.due_at = Some(progress_due(ctx.calendar, cutoff, at, false)?);
        }
        Ok(())
    }

    fn stop_progress(&mut self, at: Timestamp, ctx: &Context<'_>) -> Result<(), DomainError> {
        let cutoff = self.cutoff(ctx);
        if let Some(t) = self.live(ClockKind::Progress) {
            if let Some(due) = t.due_at.filter(|due| at > *due) {
                t.misses += missed_cutoffs(ctx.calendar, cutoff, due, at)?;
            }
            t.stopped_at = Some(at);
        }
        Ok(())
    }

    fn cutoff(&self, ctx: &Context<'_>) -> Time {
        self.policy_version
            .and_then(|v| ctx.policies.policy(v))
            .map(|p| p.progress_cutoff)
            .unwrap_or(Time::constant(17, 0, 0, 0))
    }

    fn check_years(&mut self, cal: &Calendar) {
        let mut found = Vec::new();
        for t in self.tracks.iter().filter(|t| t.is_live()) {
            let uses_calendar = t.counting == Counting::WorkingTime || t.clock == ClockKind::Progress;
            if let (true, Some(due)) = (uses_calendar, t.due_at) {
                for year in cal.uncovered_years(t.started_at.min(due), due.max(t.started_at)) {
                    found.push(Warning::NoHolidayData { calendar: cal.spec().name.clone(), year });
                }
            }
        }
        for w in found {
            if !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
        }
    }

    /// The earliest due instant among running clocks (the list index key).
    pub fn next_due(&self) -> Option<Timestamp> {
        self.tracks
            .iter()
            // A paused clock has a due instant only once it is already overdue: it stays listed.
            .filter(|t| t.is_live())
            .filter_map(|t| t.due_at)
            .min()
    }

    /// How many clocks stopped late, plus progress days missed: the "breached" count.
    pub fn misses(&self) -> u32 {
        self.tracks
            .iter()
            .map(|t| match (t.clock, t.stopped_at, t.due_at) {
                (ClockKind::Progress, _, _) => t.misses,
                (_, Some(s), Some(d)) if !t.cancelled && s > d => 1,
                _ => 0,
            })
            .sum()
    }

    /// The clocks as a person sees them at `now`.
    pub fn views(&self, now: Timestamp, cal: &Calendar) -> Vec<ClockView> {
        self.tracks.iter().map(|t| view(t, now, cal)).collect()
    }
}

/// The cutoff instant of civil day `date` in the calendar's zone.
fn cutoff_on(cal: &Calendar, cutoff: Time, date: jiff::civil::Date) -> Result<Timestamp, DomainError> {
    let tz =
        jiff::tz::TimeZone::get(&cal.spec().time_zone).map_err(|_| DomainError::field("time_zone", Reason::Unknown))?;
    date.to_datetime(cutoff)
        .to_zoned(tz)
        .map(|z| z.timestamp())
        .map_err(|_| DomainError::field("progress_cutoff", Reason::Unknown))
}

fn civil_date(cal: &Calendar, t: Timestamp) -> Result<jiff::civil::Date, DomainError> {
    let tz =
        jiff::tz::TimeZone::get(&cal.spec().time_zone).map_err(|_| DomainError::field("time_zone", Reason::Unknown))?;
    Ok(t.to_zoned(tz).date())
}

fn is_working_day(cal: &Calendar, cutoff_instant: Timestamp) -> bool {
    cal.end_of_working_day(cutoff_instant).is_some()
}

/// The next progress cutoff: on the day of `at` when `same_day` and it is a working day
/// and `at` is before its cutoff, else on the next working day.
fn progress_due(cal: &Calendar, cutoff: Time, at: Timestamp, same_day: bool) -> Result<Timestamp, DomainError> {
    let mut date = civil_date(cal, at)?;
    if !same_day {
        date = date.tomorrow().map_err(|_| DomainError::field("at", Reason::Unknown))?;
    }
    for _ in 0..400 {
        let c = cutoff_on(cal, cutoff, date)?;
        if c > at && is_working_day(cal, c) {
            return Ok(c);
        }
        date = date.tomorrow().map_err(|_| DomainError::field("at", Reason::Unknown))?;
    }
    Err(DomainError::field(
        "calendar",
        Reason::Mismatch { detail_en: "has no working day within a year", detail_zh: "一年内没有工作日" },
    ))
}

/// Working-day cutoffs in `[due, until)`: each one a day without progress.
fn missed_cutoffs(cal: &Calendar, cutoff: Time, due: Timestamp, until: Timestamp) -> Result<u32, DomainError> {
    let mut n = 0;
    let mut c = due;
    while c < until && n < 400 {
        n += 1;
        c = progress_due(cal, cutoff, c, false)?;
    }
    Ok(n)
}

/// A clock as shown on the ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClockView {
    pub clock: ClockKind,
    pub state: ClockState,
    pub counting: Counting,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub started_at: Timestamp,
    /// The policy's length in minutes (length-based clocks).
    pub length_minutes: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub due_at: Option<Timestamp>,
    /// Minutes left until due (counted as the clock counts); negative when overdue.
    /// While paused: what is left when it resumes.
    pub remaining_minutes: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub stopped_at: Option<Timestamp>,
    /// Minutes the clock counted until it stopped.
    pub elapsed_minutes: Option<i64>,
    /// Once stopped: minutes by which it was met (positive) or missed (negative).
    pub margin_minutes: Option<i64>,
    /// Progress: working days missed so far.
    pub missed_days: u32,
}

fn minutes(ms: i64) -> i64 {
    // Round toward negative infinity so "1 s overdue" shows as -1, not 0.
    ms.div_euclid(60_000)
}

fn view(t: &Track, now: Timestamp, cal: &Calendar) -> ClockView {
    let measure = |a: Timestamp, b: Timestamp| -> Option<i64> {
        if b >= a { t.measure(cal, a, b).ok() } else { t.measure(cal, b, a).ok().map(|v| -v) }
    };
    let paused = t.clock.has_length() && t.is_live() && !t.is_running();
    let (state, remaining, elapsed, margin) = if let Some(stopped) = t.stopped_at {
        let elapsed = if t.clock.has_length() { t.spent(cal, stopped).ok() } else { None };
        let margin = match (t.clock.has_length(), t.length_ms, elapsed, t.due_at) {
            (true, Some(len), Some(el), _) => Some(len - el),
            (false, _, _, Some(due)) => measure(stopped, due),
            _ => None,
        };
        // The rule of [`ClockSet::misses`]: late when it stopped after its due instant, even
        // if no working time was overspent (stopped in the evening after a 17:30 due).
        let late = match t.clock {
            ClockKind::Progress => t.misses > 0,
            _ => t.due_at.is_some_and(|due| stopped > due),
        };
        let state = if t.cancelled {
            ClockState::Cancelled
        } else if late {
            ClockState::Breached
        } else {
            ClockState::Met
        };
        (state, None, elapsed, margin)
    } else if t.clock.has_length() && t.length_ms.is_none() {
        (ClockState::AwaitingGrading, None, None, None)
    } else if paused {
        let left = match (t.length_ms, t.spent(cal, now)) {
            (Some(len), Ok(spent)) => Some(len - spent),
            _ => None,
        };
        let state = if left.is_some_and(|l| l < 0) { ClockState::Breached } else { ClockState::Paused };
        (state, left, None, None)
    } else {
        let left = match (t.length_ms, t.due_at, t.segments.last()) {
            // Due within the running segment: what is left is the time until the due instant.
            (Some(_), Some(due), Some(last)) if due >= last.start => measure(now, due),
            // Overspent before a pause: the paused time is not overdue time (the paused view
            // showed `length - spent`, and resuming must not jump).
            (Some(len), _, _) => t.spent(cal, now).ok().map(|spent| len - spent),
            (None, due, _) => due.and_then(|due| measure(now, due)),
        };
        let overdue = t.due_at.is_some_and(|d| now > d);
        (if overdue { ClockState::Breached } else { ClockState::Running }, left, None, None)
    };
    ClockView {
        clock: t.clock,
        state,
        counting: t.counting,
        started_at: t.started_at,
        length_minutes: t.length_ms.map(minutes),
        due_at: t.due_at,
        remaining_minutes: remaining.map(minutes),
        stopped_at: t.stopped_at,
        elapsed_minutes: elapsed.map(minutes),
        margin_minutes: margin.map(minutes),
        missed_days: t.misses,
    }
}

#[cfg(test)]
mod policy_tests {
    use super::*;

    fn levels() -> Vec<String> {
        vec!["A".into(), "B".into()]
    }

    #[test]
    fn problems_name_the_rule_they_are_about() {
        let scheme = GradingScheme::default_four_level();
        let mut p = ServicePolicy::seed(&scheme);
        let mut repeat = p.rules[2].clone();
        repeat.minutes = 30;
        p.rules.push(repeat);
        p.rules[4].level = Some("P9".into());
        p.rules[5].minutes = 0;
        p.rules[6].customer_level = Some("Z".into());
        let problems: Vec<_> = p.problems(&scheme, &levels()).into_iter().map(|(i, f, _)| (i, f)).collect();
        assert_eq!(
            problems,
            vec![
                (Some(4), "rules.level"),
                (Some(5), "rules.minutes"),
                (Some(6), "rules.customer_level"),
                (Some(p.rules.len() - 1), "rules"),
                (None, "rules"),
            ]
        );
        let fields: Vec<_> =
            p.validate(&scheme, &levels()).expect_err("invalid").fields(Lang::En).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["rules.level", "rules.minutes", "rules.customer_level", "rules", "rules"]);
    }

    #[test]
    fn a_policy_longer_than_the_limit_is_refused() {
        let scheme = GradingScheme::default_four_level();
        let mut p = ServicePolicy::seed(&scheme);
        let filler = p.rules.last().cloned().expect("seed rules");
        while p.rules.len() <= MAX_RULES {
            p.rules.push(filler.clone());
        }
        let err = p.validate(&scheme, &levels()).expect_err("too long");
        assert_eq!(err.fields(Lang::Zh), vec![("rules", format!("格式不正确，应为最多 {MAX_RULES} 行"))]);
    }
}
