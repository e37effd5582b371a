//! Time in the demo: instants as epoch milliseconds, days as civil days of the calendar's
//! zone, and working time on the organization's own `cn` calendar (`domain::calendar`:
//! office hours with the lunch break, China's holidays and make-up working days), the same
//! calendar the tickets' deadlines are counted on.

use aftersales_app::{App, Result};
use aftersales_domain::Timestamp;
use aftersales_domain::calendar::Calendar;
use jiff::SignedDuration;

use crate::demo_error;

pub(crate) const MIN: i64 = 60_000;
pub(crate) const HOUR: i64 = 60 * MIN;
pub(crate) const DAY: i64 = 24 * HOUR;

/// The calendar the demo's staff work by.
const CALENDAR: &str = "cn";

pub(crate) struct Cal {
    calendar: Calendar,
    /// Offset of the calendar's time zone in milliseconds (Asia/Shanghai has no daylight saving).
    off: i64,
}

/// An instant; out of range (beyond year 9999) only by a planning error, which the calendar
/// then refuses like any instant it does not cover.
fn stamp(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::MAX)
}

impl Cal {
    /// The `cn` calendar as the organization holds it (with its holiday set).
    pub(crate) async fn load(app: &App, now: Timestamp) -> Result<Cal> {
        let conn = app.store().read();
        let specs = aftersales_storage::policy::calendars(conn).await?;
        let sets = aftersales_storage::policy::holiday_sets(conn).await?;
        let spec = specs
            .iter()
            .find(|s| s.name == CALENDAR)
            .ok_or_else(|| demo_error(format!("no calendar {CALENDAR}: run ensure_defaults first")))?;
        let set = spec.holiday_set.as_deref().and_then(|n| sets.iter().find(|s| s.name == n));
        let calendar = Calendar::compile(spec, set)?;
        let tz = jiff::tz::TimeZone::get(&spec.time_zone).map_err(|e| demo_error(e.to_string()))?;
        Ok(Cal { calendar, off: i64::from(tz.to_offset(now).seconds()) * 1000 })
    }

    /// The civil day (days since 1970-01-01) of instant `t`.
    pub(crate) fn day(&self, t: i64) -> i64 {
        (t + self.off).div_euclid(DAY)
    }

    /// The instant `time_of_day` milliseconds after the start of `day`.
    pub(crate) fn at(&self, day: i64, time_of_day: i64) -> i64 {
        day * DAY + time_of_day - self.off
    }

    /// Whether `day` has working time: a weekday that is no holiday, or a make-up working day.
    pub(crate) fn is_workday(&self, day: i64) -> bool {
        self.working_hours(day).is_some()
    }

    /// The opening and the closing of `day`'s working time.
    pub(crate) fn working_hours(&self, day: i64) -> Option<(i64, i64)> {
        let close = self.calendar.end_of_working_day(stamp(self.at(day, 12 * HOUR)))?.as_millisecond();
        let open = self.calendar.next_working(stamp(self.at(day, 0))).ok()?.as_millisecond();
        (open < close).then_some((open, close))
    }

    pub(crate) fn is_working(&self, t: i64) -> bool {
        self.calendar.is_working(stamp(t))
    }

    /// Working time in `[from, to)`, in milliseconds.
    pub(crate) fn worked(&self, from: i64, to: i64) -> i64 {
        self.calendar.between(stamp(from), stamp(to)).map_or(0, |d| d.as_millis() as i64)
    }

    /// `t` plus `ms` of working time (from the next opening when `t` is outside working time).
    pub(crate) fn work_add(&self, t: i64, ms: i64) -> i64 {
        self.calendar.add(stamp(t), SignedDuration::from_millis(ms)).map_or(t + ms, |due| due.as_millisecond())
    }

    /// The latest instant that lies `ms` of working time before `t` (to the second).
    pub(crate) fn work_sub(&self, t: i64, ms: i64) -> i64 {
        // Working time never runs faster than the wall clock, and a week's holiday plus the
        // weekends around it is the longest stretch without any: the answer lies between.
        let (mut early, mut late) = (t - 5 * ms - 20 * DAY, t - ms);
        if self.worked(early, t) < ms {
            return late;
        }
        while late - early > 1000 {
            let mid = early + (late - early) / 2;
            if self.worked(mid, t) >= ms {
                early = mid;
            } else {
                late = mid;
            }
        }
        early
    }
}
