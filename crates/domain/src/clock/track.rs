//! The clocks of one ticket folded from its facts (DOMAIN §4): each clock's segments, due
//! instant, pauses and misses; the daily progress cutoff.

#[allow(unused_imports)]
use super::*;

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

pub(super) fn is_zero(n: &u32) -> bool {
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

    pub(super) fn is_live(&self) -> bool {
        self.stopped_at.is_none()
    }

    pub(super) fn is_running(&self) -> bool {
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
    pub(super) fn measure(&self, cal: &Calendar, a: Timestamp, b: Timestamp) -> Result<i64, DomainError> {
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
    pub(super) fn spent(&self, cal: &Calendar, now: Timestamp) -> Result<i64, DomainError> {
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
            Fact::VisitWithdrawn => {
                // No visit is expected any more: the arrival clock ends without a verdict.
                if let Some(t) = self.live(Arrival) {
                    t.stop(at);
                    t.cancelled = true;
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
pub(super) fn cutoff_on(cal: &Calendar, cutoff: Time, date: jiff::civil::Date) -> Result<Timestamp, DomainError> {
    let tz =
        jiff::tz::TimeZone::get(&cal.spec().time_zone).map_err(|_| DomainError::field("time_zone", Reason::Unknown))?;
    date.to_datetime(cutoff)
        .to_zoned(tz)
        .map(|z| z.timestamp())
        .map_err(|_| DomainError::field("progress_cutoff", Reason::Unknown))
}

pub(super) fn civil_date(cal: &Calendar, t: Timestamp) -> Result<jiff::civil::Date, DomainError> {
    let tz =
        jiff::tz::TimeZone::get(&cal.spec().time_zone).map_err(|_| DomainError::field("time_zone", Reason::Unknown))?;
    Ok(t.to_zoned(tz).date())
}

pub(super) fn is_working_day(cal: &Calendar, cutoff_instant: Timestamp) -> bool {
    cal.end_of_working_day(cutoff_instant).is_some()
}

/// The next progress cutoff: on the day of `at` when `same_day` and it is a working day
/// and `at` is before its cutoff, else on the next working day.
pub(super) fn progress_due(
    cal: &Calendar,
    cutoff: Time,
    at: Timestamp,
    same_day: bool,
) -> Result<Timestamp, DomainError> {
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
pub(super) fn missed_cutoffs(
    cal: &Calendar,
    cutoff: Time,
    due: Timestamp,
    until: Timestamp,
) -> Result<u32, DomainError> {
    let mut n = 0;
    let mut c = due;
    while c < until && n < 400 {
        n += 1;
        c = progress_due(cal, cutoff, c, false)?;
    }
    Ok(n)
}
