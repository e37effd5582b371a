//! The compiled calendar: every working interval of the years it covers, for deadline
//! arithmetic (adding working time, measuring it between two instants).

#[allow(unused_imports)]
use super::*;

/// Deadline arithmetic that cannot be done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// An instant, or the result, is outside the years the calendar is compiled for.
    #[error("the time is outside {first_year}..={last_year}, the years the business calendar covers")]
    OutOfRange { first_year: i16, last_year: i16 },
    #[error("a span of working time cannot be negative")]
    Negative,
}

impl CalendarError {
    /// The error as a refusal of `field`, for the API and the pages.
    pub fn for_field(self, field: Field) -> DomainError {
        match self {
            CalendarError::OutOfRange { .. } => {
                DomainError::field(field, malformed("a time in the years 2000 to 2099", "2000 年至 2099 年之间的时间"))
            }
            CalendarError::Negative => {
                DomainError::field(field, malformed("a span that is not negative", "不为负数的时长"))
            }
        }
    }
}

impl From<CalendarError> for DomainError {
    fn from(e: CalendarError) -> DomainError {
        e.for_field("working")
    }
}

/// The working hours of one civil day, in milliseconds after midnight.
pub(super) type DayHours = Vec<(i64, i64)>;

/// A [`CalendarSpec`] with its holidays, compiled for fast deadline arithmetic.
///
/// Immutable; holds a timeline of every working interval of the years
/// [`FIRST_YEAR`]..=[`LAST_YEAR`] (about 1 MB for a Monday-to-Friday calendar), so callers
/// compile it once and share it behind an `Arc`.
#[derive(Clone)]
pub struct Calendar {
    spec: CalendarSpec,
    tz: TimeZone,
    week: [DayHours; 7],
    /// Observed holiday rules: `None` is a day off, `Some(w)` a day worked with `w`'s hours.
    rules: BTreeMap<Date, Option<Weekday>>,
    observes: bool,
    covered: BTreeSet<i16>,
    day_length: SignedDuration,
    /// Timeline bounds, epoch ms: the first instant of FIRST_YEAR and of LAST_YEAR + 1.
    lo: i64,
    hi: i64,
    /// Working intervals `[starts[i], ends[i])`, epoch ms, sorted, not touching.
    starts: Vec<i64>,
    ends: Vec<i64>,
    /// Working ms from `lo` to `ends[i]`.
    cum_ends: Vec<i64>,
}

impl fmt::Debug for Calendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Calendar")
            .field("spec", &self.spec)
            .field("observes", &self.observes)
            .field("covered", &self.covered)
            .field("intervals", &self.starts.len())
            .finish_non_exhaustive()
    }
}

pub(super) fn internal(what: &str) -> DomainError {
    Conflict::CalendarCompile { what: what.to_owned() }.into()
}

impl Calendar {
    /// Validates `spec` and builds the timeline. `holidays` applies only when it is the set
    /// the spec names in `holiday_set`.
    pub fn compile(spec: &CalendarSpec, holidays: Option<&HolidaySet>) -> Result<Calendar, DomainError> {
        spec.validate()?;
        let tz = TimeZone::get(&spec.time_zone).map_err(|_| DomainError::field("time_zone", Reason::Unknown))?;
        let mut week: [DayHours; 7] = Default::default();
        for (hours, day) in week.iter_mut().zip(&spec.week) {
            *hours = day.iter().map(|iv| (iv.start_ms(), iv.end_ms())).collect();
        }
        let observed = holidays.filter(|set| spec.holiday_set.as_deref() == Some(set.name.as_str()));
        let rules: BTreeMap<Date, Option<Weekday>> = observed
            .map(|set| {
                set.days
                    .iter()
                    .map(|(day, rule)| {
                        let hours = match rule {
                            DayRule::Off { .. } => None,
                            DayRule::Work { hours_of, .. } => Some(*hours_of),
                        };
                        (*day, hours)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let covered = observed.map(|set| set.years.keys().copied().collect()).unwrap_or_default();
        let day_length = typical_day(&week);

        let first = Date::new(FIRST_YEAR, 1, 1).map_err(|e| internal(&e.to_string()))?;
        let after = Date::new(LAST_YEAR + 1, 1, 1).map_err(|e| internal(&e.to_string()))?;
        let lo = civil_ms(&tz, first, 0).map_err(|e| internal(&e.to_string()))?;
        let hi = civil_ms(&tz, after, 0).map_err(|e| internal(&e.to_string()))?;

        let mut cal = Calendar {
            spec: spec.clone(),
            tz: tz.clone(),
            week,
            rules,
            observes: spec.holiday_set.is_some(),
            covered,
            day_length,
            lo,
            hi,
            starts: Vec::new(),
            ends: Vec::new(),
            cum_ends: Vec::new(),
        };
        let mut starts: Vec<i64> = Vec::with_capacity(60_000);
        let mut ends: Vec<i64> = Vec::with_capacity(60_000);
        let mut day = first;
        let mut weekday = first.weekday();
        while day < after {
            for &(s, e) in cal.hours_of_day(day, weekday) {
                let start = civil_ms(&cal.tz, day, s).map_err(|e| internal(&e.to_string()))?;
                let end = civil_ms(&cal.tz, day, e).map_err(|e| internal(&e.to_string()))?;
                if end <= start {
                    continue; // Swallowed by a DST gap.
                }
                match ends.last_mut() {
                    // Touching or (in a DST fold) overlapping intervals are one.
                    Some(last) if *last >= start => *last = (*last).max(end),
                    _ => {
                        starts.push(start);
                        ends.push(end);
                    }
                }
            }
            day = day.tomorrow().map_err(|e| internal(&e.to_string()))?;
            weekday = weekday.next();
        }
        let mut total = 0i64;
        cal.cum_ends = starts
            .iter()
            .zip(&ends)
            .map(|(s, e)| {
                total += e - s;
                total
            })
            .collect();
        cal.starts = starts;
        cal.ends = ends;
        Ok(cal)
    }

    pub fn spec(&self) -> &CalendarSpec {
        &self.spec
    }

    /// The working hours of `day` (whose weekday is `weekday`), after holidays.
    fn hours_of_day(&self, day: Date, weekday: Weekday) -> &[(i64, i64)] {
        let hours_of = match self.rules.get(&day) {
            None => Some(weekday),
            Some(rule) => *rule,
        };
        match hours_of {
            Some(w) => &self.week[weekday_index(w)],
            None => &[],
        }
    }

    fn out_of_range() -> CalendarError {
        CalendarError::OutOfRange { first_year: FIRST_YEAR, last_year: LAST_YEAR }
    }

    fn ms(&self, t: Timestamp) -> Result<i64, CalendarError> {
        let ms = t.as_millisecond();
        if ms < self.lo || ms > self.hi { Err(Self::out_of_range()) } else { Ok(ms) }
    }

    /// Working ms from the start of the timeline to `t`.
    fn worked_until(&self, t: i64) -> i64 {
        let i = self.starts.partition_point(|&s| s <= t);
        match i.checked_sub(1) {
            None => 0,
            Some(j) => {
                let end = self.ends[j];
                self.cum_ends[j] - (end - t.min(end))
            }
        }
    }

    /// The instant at which `working` time has elapsed counting from `from`; exactly the end
    /// of an interval when the span runs out there. A zero span gives [`Calendar::next_working`].
    pub fn add(&self, from: Timestamp, working: SignedDuration) -> Result<Timestamp, CalendarError> {
        if working.is_negative() {
            return Err(CalendarError::Negative);
        }
        let span = i64::try_from(working.as_millis()).map_err(|_| Self::out_of_range())?;
        if span == 0 {
            return self.next_working(from);
        }
        let start = self.ms(from)?;
        let target = self.worked_until(start).checked_add(span).ok_or_else(Self::out_of_range)?;
        let j = self.cum_ends.partition_point(|&c| c < target);
        if j == self.cum_ends.len() {
            return Err(Self::out_of_range());
        }
        let at = self.ends[j] - (self.cum_ends[j] - target);
        Timestamp::from_millisecond(at).map_err(|_| Self::out_of_range())
    }

    /// Working time in `[from, to)`; negative when `to` is before `from`.
    pub fn between(&self, from: Timestamp, to: Timestamp) -> Result<SignedDuration, CalendarError> {
        let (a, b) = (self.ms(from)?, self.ms(to)?);
        Ok(SignedDuration::from_millis(self.worked_until(b) - self.worked_until(a)))
    }

    /// `t` itself when it is working time, else the start of the next working interval.
    pub fn next_working(&self, t: Timestamp) -> Result<Timestamp, CalendarError> {
        let ms = self.ms(t)?;
        let i = self.starts.partition_point(|&s| s <= ms);
        if i > 0 && ms < self.ends[i - 1] {
            return Ok(t);
        }
        let start = *self.starts.get(i).ok_or_else(Self::out_of_range)?;
        Timestamp::from_millisecond(start).map_err(|_| Self::out_of_range())
    }

    /// Whether `t` is working time (intervals are half-open); false outside the covered years.
    pub fn is_working(&self, t: Timestamp) -> bool {
        let Ok(ms) = self.ms(t) else { return false };
        let i = self.starts.partition_point(|&s| s <= ms);
        i > 0 && ms < self.ends[i - 1]
    }

    /// The end of the last working interval of `t`'s civil day in the calendar's zone (DOMAIN §5
    /// "not closed same day"); `None` when that day has no working time.
    pub fn end_of_working_day(&self, t: Timestamp) -> Option<Timestamp> {
        let day = self.tz.to_datetime(t).date();
        let &(_, end) = self.hours_of_day(day, day.weekday()).last()?;
        let ms = civil_ms(&self.tz, day, end).ok()?;
        Timestamp::from_millisecond(ms).ok()
    }

    /// The calendar's time zone, in which its days are civil days.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The working day `day`: from the start of its first working interval to the end of its
    /// last (a break between them, such as lunch, lies inside); `None` on a day off (a
    /// weekend, an official holiday). A make-up working day (调休) has its hours.
    pub fn working_day(&self, day: Date) -> Option<(Timestamp, Timestamp)> {
        let hours = self.hours_of_day(day, day.weekday());
        let (&(start, _), &(_, end)) = (hours.first()?, hours.last()?);
        let from = Timestamp::from_millisecond(civil_ms(&self.tz, day, start).ok()?).ok()?;
        let to = Timestamp::from_millisecond(civil_ms(&self.tz, day, end).ok()?).ok()?;
        Some((from, to))
    }

    /// One full working day, the unit of spans such as `3d`: the most common non-zero daily
    /// working length of the week (ties: the longer); 24 h around the clock.
    pub fn day_length(&self) -> SignedDuration {
        self.day_length
    }

    /// Years touched by `[from, to]` (civil, in the calendar's zone) for which the observed
    /// holiday set has no data, so deadlines there ignore holidays; empty when the calendar
    /// observes no holiday set.
    pub fn uncovered_years(&self, from: Timestamp, to: Timestamp) -> Vec<i16> {
        if !self.observes {
            return Vec::new();
        }
        let (a, b) = (self.tz.to_datetime(from).year(), self.tz.to_datetime(to).year());
        (a.min(b)..=a.max(b)).filter(|y| !self.covered.contains(y)).collect()
    }
}

/// The most common non-zero daily length; ties go to the longer.
pub(super) fn typical_day(week: &[DayHours; 7]) -> SignedDuration {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for day in week {
        let length: i64 = day.iter().map(|(s, e)| e - s).sum();
        if length > 0 {
            *counts.entry(length).or_default() += 1;
        }
    }
    // max_by_key returns the last maximum, and the map iterates by ascending length.
    let length = counts.into_iter().max_by_key(|&(_, count)| count).map_or(DAY_MS, |(length, _)| length);
    SignedDuration::from_millis(length)
}

/// Epoch ms of `ms` after midnight of `day` in `tz` (`DAY_MS` is the next midnight); in a DST
/// gap the later instant, in a fold the earlier ("compatible" disambiguation).
pub(super) fn civil_ms(tz: &TimeZone, day: Date, ms: i64) -> Result<i64, jiff::Error> {
    let (day, ms) = if ms >= DAY_MS { (day.tomorrow()?, ms - DAY_MS) } else { (day, ms) };
    // ms is in 0..DAY_MS, so every part fits.
    let part = |v: i64| i8::try_from(v).unwrap_or_default();
    let nanos = i32::try_from(ms % 1000 * 1_000_000).unwrap_or_default();
    let t = Time::new(part(ms / 3_600_000), part(ms / 60_000 % 60), part(ms / 1000 % 60), nanos)?;
    Ok(tz.to_timestamp(DateTime::from_parts(day, t))?.as_millisecond())
}
