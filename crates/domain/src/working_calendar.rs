//! Engineers' working calendars (DOMAIN §2 appointment, issue 13): the business calendar
//! (DOMAIN §4, e.g. `cn` with China's holidays and make-up days) plus each engineer's leave
//! (请假) and duty (值班) days. A leave day is never bookable; a duty day is bookable around
//! the clock, weekend or holiday; any other day follows the business calendar.
//!
//! [`availability_at`] is the one answer to "is this engineer available at this moment",
//! used by visit booking and by the dispatch suggestion.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::error::{Field, Reason};
use crate::{DomainError, Id, Timestamp, coded_enum};

coded_enum! {
    /// A day that differs from the business calendar for one engineer.
    pub enum DayKind {
        Leave = ("leave", "请假", "Leave"),
        Duty = ("duty", "值班", "On duty"),
    }
}

/// One engineer's leave or duty day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EngineerDay {
    pub user_id: Id,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub day: Date,
    pub kind: DayKind,
    pub note: Option<String>,
}

/// The longest range of days set in one request (a year), so a typo cannot write decades.
pub const MAX_RANGE_DAYS: i64 = 366;

/// Checks a range of days `[from, to]` to set; the fields name what is wrong.
pub fn check_range(from: Date, to: Date) -> Result<Vec<Date>, DomainError> {
    let field: Field = "to";
    if to < from {
        return Err(DomainError::field(
            field,
            Reason::Mismatch { detail_en: "must not be before the first day", detail_zh: "不能早于开始日期" },
        ));
    }
    let days = (to - from).get_days() as i64 + 1;
    if days > MAX_RANGE_DAYS {
        return Err(DomainError::field(
            field,
            Reason::Mismatch { detail_en: "spans more than a year", detail_zh: "跨度不能超过一年" },
        ));
    }
    let mut out = Vec::with_capacity(days as usize);
    let mut d = from;
    while d <= to {
        out.push(d);
        match d.tomorrow() {
            Ok(next) => d = next,
            Err(_) => break,
        }
    }
    Ok(out)
}

/// Whether an engineer can take work at a moment, and why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Within the business calendar's working hours (first start to last end of the day).
    Working,
    /// A duty day (值班): available whatever the business calendar says.
    OnDuty,
    /// On leave (请假) that day.
    OnLeave,
    /// A day off or outside the day's working hours, and not on duty.
    OffHours,
}

impl Availability {
    /// Whether work can be given to the engineer at that moment.
    pub fn is_available(self) -> bool {
        matches!(self, Availability::Working | Availability::OnDuty)
    }
}

/// Whether `engineer` is available at `at` (DOMAIN §2 working calendars): `days` holds
/// their leave and duty days (others' are ignored), `cal` is the business calendar.
pub fn availability_at(cal: &Calendar, days: &[EngineerDay], engineer: Id, at: Timestamp) -> Availability {
    let day = cal.time_zone().to_datetime(at).date();
    match days.iter().find(|d| d.user_id == engineer && d.day == day).map(|d| d.kind) {
        Some(DayKind::Leave) => Availability::OnLeave,
        Some(DayKind::Duty) => Availability::OnDuty,
        None => match cal.working_day(day) {
            Some((open, close)) if open <= at && at < close => Availability::Working,
            _ => Availability::OffHours,
        },
    }
}

/// Whether `engineer` is on leave on the civil day of `at`.
pub fn is_on_leave(cal: &Calendar, days: &[EngineerDay], engineer: Id, at: Timestamp) -> bool {
    availability_at(cal, days, engineer, at) == Availability::OnLeave
}
