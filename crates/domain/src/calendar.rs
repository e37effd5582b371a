//! Business calendars (DOMAIN §4: "working time comes from a business calendar: working hours,
//! working days, official holidays and China's make-up working days (调休), per region, default
//! time zone Asia/Shanghai").
//!
//! A [`CalendarSpec`] is data an administrator edits (DOMAIN §1: administrators keep calendars);
//! a [`HolidaySet`] is the official schedule of days off and make-up working days, imported from
//! CSV or ICS; a [`Calendar`] is both compiled into a sorted timeline of working intervals so that
//! deadline arithmetic ([`Calendar::add`], [`Calendar::between`]) is two binary searches.
//!
//! Everything is in milliseconds, so timestamps stored with millisecond precision round-trip.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use jiff::SignedDuration;
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::error::{Conflict, DomainError, Field, Reason};

mod holidays;
mod span;
mod timeline;
pub use holidays::*;
pub use span::*;
pub use timeline::*;

/// First civil year of the compiled timeline.
pub const FIRST_YEAR: i16 = 2000;
/// Last civil year of the compiled timeline.
pub const LAST_YEAR: i16 = 2099;

const DAY_MS: i64 = 86_400_000;
/// Longest span [`parse_span`] accepts, in days.
const MAX_SPAN_DAYS: i64 = 3650;

/// One working interval of a day, in civil time of the calendar's zone.
///
/// Half-open: `[start, end)`. An `end` of `00:00` means the end of the day and is written
/// `"24:00"` in JSON, so a whole day is `{"start": "00:00", "end": "24:00"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Interval {
    #[serde(with = "clock_start")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "08:30"))]
    pub start: Time,
    /// `00:00` stands for 24:00, the end of the day.
    #[serde(with = "clock_end")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "12:00"))]
    pub end: Time,
}

impl Interval {
    /// From hours and minutes; an end hour of 24 means the end of the day.
    ///
    /// Panics when a value is out of range (meant for constants).
    pub const fn hm(start_hour: i8, start_minute: i8, end_hour: i8, end_minute: i8) -> Interval {
        let end = if end_hour == 24 && end_minute == 0 { Time::midnight() } else { time(end_hour, end_minute) };
        Interval { start: time(start_hour, start_minute), end }
    }

    /// Milliseconds after midnight at which the interval starts.
    pub fn start_ms(&self) -> i64 {
        time_ms(self.start)
    }

    /// Milliseconds after midnight at which the interval ends (86 400 000 for 24:00).
    pub fn end_ms(&self) -> i64 {
        match time_ms(self.end) {
            0 => DAY_MS,
            ms => ms,
        }
    }
}

impl Interval {
    /// Reads one day's working hours as a person writes them: intervals `HH:MM-HH:MM`
    /// separated by commas (or `，`, `、`, `;`, spaces), the dash also written `–`, `—`, `~`,
    /// `至` or `到`; an end of `24:00` is the end of the day. Empty, `休息` or `off` is a day
    /// off. Times are read by [`parse_clock`] (two digits each); whether the intervals are in
    /// order and do not overlap is [`CalendarSpec::validate`]'s to say.
    pub fn parse_day(text: &str) -> Result<Vec<Interval>, Reason> {
        let refuse = || {
            malformed(
                "working hours such as 08:30-12:00, 13:30-17:30 (a day off: empty)",
                "工作时段，如 08:30-12:00, 13:30-17:30（休息日留空）",
            )
        };
        let text = text.trim();
        if text.is_empty() || text == "休息" || text.eq_ignore_ascii_case("off") {
            return Ok(Vec::new());
        }
        let mut norm = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '–' | '—' | '~' | '～' | '至' | '到' => norm.push('-'),
                ',' | '，' | ';' | '；' | '、' => norm.push(' '),
                c => norm.push(c),
            }
        }
        // `08:30 - 12:00` is one interval: the dash takes no spaces around it.
        let mut tight = String::with_capacity(norm.len());
        for part in norm.split('-') {
            if !tight.is_empty() {
                tight.push('-');
            }
            tight.push_str(part.trim());
        }
        tight
            .split_whitespace()
            .map(|token| {
                let (start, end) = token.split_once('-').ok_or_else(refuse)?;
                Ok(Interval {
                    start: parse_clock(start, false).ok_or_else(refuse)?,
                    end: parse_clock(end, true).ok_or_else(refuse)?,
                })
            })
            .collect()
    }

    /// One day's working hours as [`Interval::parse_day`] reads them: `08:30-12:00, 13:30-17:30`
    /// (empty for a day off).
    pub fn day_text(day: &[Interval]) -> String {
        day.iter().map(Interval::to_string).collect::<Vec<_>>().join(", ")
    }
}

/// `08:30-12:00`; `00:00-24:00` for the whole day.
impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", clock_text(self.start, false), clock_text(self.end, true))
    }
}

const fn time(hour: i8, minute: i8) -> Time {
    jiff::civil::time(hour, minute, 0, 0)
}

fn time_ms(t: Time) -> i64 {
    i64::from(t.hour()) * 3_600_000
        + i64::from(t.minute()) * 60_000
        + i64::from(t.second()) * 1000
        + i64::from(t.subsec_nanosecond()) / 1_000_000
}

/// A time of day as written in JSON and on the forms: `"HH:MM"` (or `"HH:MM:SS"` when there
/// are seconds); with `end`, midnight is written `"24:00"` (the end of the day).
pub fn clock_text(t: Time, end: bool) -> String {
    let (h, m, s) = (t.hour(), t.minute(), t.second());
    if end && t == Time::midnight() {
        "24:00".into()
    } else if s == 0 {
        format!("{h:02}:{m:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// Reads a time of day `HH:MM` or `HH:MM:SS` (two digits each, nothing else); with `end`,
/// `24:00` is accepted and means the end of the day (returned as midnight).
pub fn parse_clock(text: &str, end: bool) -> Option<Time> {
    let parts: Vec<&str> = text.split(':').collect();
    // The hour may have one digit (`8:30`, as people write it); minutes and seconds two.
    let digits = |p: &str, lens: &[usize]| lens.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    if !(2..=3).contains(&parts.len()) || !digits(parts[0], &[1, 2]) || !parts[1..].iter().all(|p| digits(p, &[2])) {
        return None;
    }
    let num = |p: &str| p.parse::<i8>().ok();
    let (h, m) = (num(parts[0])?, num(parts[1])?);
    let s = if parts.len() == 3 { num(parts[2])? } else { 0 };
    if end && h == 24 && m == 0 && s == 0 {
        return Some(Time::midnight());
    }
    Time::new(h, m, s, 0).ok()
}

macro_rules! clock_serde {
    ($module:ident, $end:literal, $expected:literal) => {
        mod $module {
            use jiff::civil::Time;
            use serde::{Deserialize, Deserializer, Serializer};

            pub fn serialize<S: Serializer>(t: &Time, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&super::clock_text(*t, $end))
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                super::parse_clock(&text, $end)
                    .ok_or_else(|| serde::de::Error::invalid_value(serde::de::Unexpected::Str(&text), &$expected))
            }
        }
    };
}

clock_serde!(clock_start, false, "a time of day such as \"08:30\"");
clock_serde!(clock_end, true, "a time of day such as \"17:30\" or \"24:00\"");

/// Weekdays as lowercase English names (`"monday"`), the spelling of the CSV and JSON formats.
mod weekday_name {
    use jiff::civil::Weekday;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(w: &Weekday, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(super::weekday_to_name(*w))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Weekday, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        super::weekday_from_name(&text)
            .ok_or_else(|| serde::de::Error::invalid_value(serde::de::Unexpected::Str(&text), &"a weekday name"))
    }
}

/// Weekdays as the CSV and JSON formats (and the forms) spell them, Monday first.
pub const WEEKDAY_NAMES: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// Monday is 0 and Sunday 6 (the index into [`CalendarSpec::week`] and [`WEEKDAY_NAMES`]).
pub fn weekday_index(w: Weekday) -> usize {
    // to_monday_zero_offset is in 0..7.
    usize::from(w.to_monday_zero_offset().unsigned_abs())
}

/// `monday` … `sunday`.
pub fn weekday_to_name(w: Weekday) -> &'static str {
    WEEKDAY_NAMES[weekday_index(w)]
}

/// `monday` or `mon`, any case.
pub fn weekday_from_name(text: &str) -> Option<Weekday> {
    let lower = text.trim().to_ascii_lowercase();
    let i = WEEKDAY_NAMES.iter().position(|n| *n == lower || (lower.len() == 3 && n.starts_with(lower.as_str())))?;
    Weekday::from_monday_zero_offset(i8::try_from(i).ok()?).ok()
}

/// The weekly working hours of a site or region, plus the official holidays it observes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// Unknown fields are refused (a typo such as `holidays` would leave a calendar without its
// holidays) through `CalendarSpecFields`, not `deny_unknown_fields` here: the calendar's
// answer (`app::clocks::CalendarInfo`) flattens this type, and a schema closed to other
// properties would make every such answer invalid against the OpenAPI document.
#[serde(from = "CalendarSpecFields")]
pub struct CalendarSpec {
    /// `[a-z0-9_-]{1,32}`.
    pub name: String,
    /// IANA time zone name; civil times of `week` and holidays are read in it.
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    /// Exactly 7 days, Monday first; each day's intervals sorted and not overlapping; an empty
    /// day is a day off.
    pub week: Vec<Vec<Interval>>,
    /// Name of the [`HolidaySet`] this calendar observes (e.g. `cn`); `None` observes none.
    #[serde(default)]
    pub holiday_set: Option<String>,
    /// The region this calendar is the default for.
    #[serde(default)]
    pub region: Option<String>,
}

/// What a calendar definition may hold, and nothing else (see [`CalendarSpec`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarSpecFields {
    name: String,
    #[serde(default = "default_time_zone")]
    time_zone: String,
    week: Vec<Vec<Interval>>,
    #[serde(default)]
    holiday_set: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

impl From<CalendarSpecFields> for CalendarSpec {
    fn from(f: CalendarSpecFields) -> CalendarSpec {
        let CalendarSpecFields { name, time_zone, week, holiday_set, region } = f;
        CalendarSpec { name, time_zone, week, holiday_set, region }
    }
}

fn default_time_zone() -> String {
    "Asia/Shanghai".into()
}

fn malformed(expected_en: &'static str, expected_zh: &'static str) -> Reason {
    Reason::Malformed { expected_en, expected_zh }
}

fn valid_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl CalendarSpec {
    /// China's usual office hours (DOMAIN §4 default): Monday to Friday 08:30–12:00 and
    /// 13:30–17:30 in Asia/Shanghai, observing the official holidays `cn`.
    pub fn cn_default() -> CalendarSpec {
        let office = vec![Interval::hm(8, 30, 12, 0), Interval::hm(13, 30, 17, 30)];
        let mut week = vec![office; 5];
        week.extend([Vec::new(), Vec::new()]);
        CalendarSpec {
            name: "cn".into(),
            time_zone: default_time_zone(),
            week,
            holiday_set: Some("cn".into()),
            region: None,
        }
    }

    /// Every minute counts and no holiday is observed (e.g. a production site that never stops).
    pub fn around_the_clock(name: &str) -> CalendarSpec {
        CalendarSpec {
            name: name.into(),
            time_zone: default_time_zone(),
            week: vec![vec![Interval::hm(0, 0, 24, 0)]; 7],
            holiday_set: None,
            region: None,
        }
    }

    /// Names every refused field at once.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut problems: Vec<(Field, Reason)> = Vec::new();
        if self.name.is_empty() {
            problems.push(("name", Reason::Missing));
        } else if !valid_name(&self.name) {
            problems
                .push(("name", malformed("1 to 32 characters a-z, 0-9, _ or -", "1 至 32 个字符（a-z、0-9、_ 或 -）")));
        }
        if self.time_zone.trim().is_empty() {
            problems.push(("time_zone", Reason::Missing));
        } else if TimeZone::get(&self.time_zone).is_err() {
            problems.push(("time_zone", Reason::Unknown));
        }
        if self.week.len() != 7 {
            problems.push(("week", malformed("exactly 7 days, Monday first", "7 天（从星期一开始）")));
        } else {
            let backwards = self.week.iter().flatten().any(|iv| iv.end_ms() <= iv.start_ms());
            let overlapping = self.week.iter().any(|day| day.windows(2).any(|w| w[1].start_ms() < w[0].end_ms()));
            if backwards {
                problems.push(("week", malformed("intervals that end after they start", "结束时间晚于开始时间的时段")));
            } else if overlapping {
                problems.push((
                    "week",
                    malformed("each day's intervals in order and not overlapping", "每天的时段按先后排列且互不重叠"),
                ));
            } else if self.week.iter().all(Vec::is_empty) {
                // Working-time clocks could never end on such a calendar.
                problems.push(("week", malformed("at least one working interval", "至少一个工作时段")));
            }
        }
        if let Some(set) = &self.holiday_set
            && !valid_name(set)
        {
            problems.push((
                "holiday_set",
                malformed("1 to 32 characters a-z, 0-9, _ or -", "1 至 32 个字符（a-z、0-9、_ 或 -）"),
            ));
        }
        if problems.is_empty() { Ok(()) } else { Err(DomainError::Invalid(problems)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn field_of(e: &DomainError) -> Vec<Field> {
        match e {
            DomainError::Invalid(f) => f.iter().map(|(f, _)| *f).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn minutes_are_read_by_the_span_reader_and_written_back() {
        for (text, minutes) in [
            ("2h", 120),
            ("90m", 90),
            ("1h30m", 90),
            (" 1h 30m ", 90),
            ("0h45m", 45),
            ("2小时30分钟", 150),
            ("2 小时", 120),
            ("30分", 30),
            ("90min", 90),
            ("120H", 7200),
        ] {
            assert_eq!(parse_minutes(text), Ok(minutes), "{text:?}");
        }
        for minutes in [1, 45, 60, 90, 7200, 527_040] {
            assert_eq!(parse_minutes(&span_text(minutes)), Ok(minutes), "{minutes}");
        }
        assert_eq!(parse_minutes(" "), Err(Reason::Missing));
        for bad in ["1.5h", "1e3", "0m", "0h0m", "90", "3d", "3天", "-1h", "1m1h", "1h1h", "2时", "h", "87601h"] {
            assert!(matches!(parse_minutes(bad), Err(Reason::Malformed { .. })), "{bad:?}");
        }
        assert_eq!(parse_minutes("87600h"), Ok(3650 * 24 * 60), "the cap is the span reader's: 3650 days");
    }

    #[test]
    fn the_api_span_reads_what_it_read_before_and_chinese_units() {
        let day = SignedDuration::from_mins(7 * 60 + 30);
        assert_eq!(parse_span("2d4h", day), Ok(SignedDuration::from_mins(2 * 450 + 240)));
        assert_eq!(parse_span("5D", day), Ok(SignedDuration::from_mins(5 * 450)));
        assert_eq!(parse_span("1天2小时3分钟", day), Ok(SignedDuration::from_mins(450 + 123)));
        assert_eq!(field_of(&parse_span("1.5h", day).expect_err("a fraction")), ["working"]);
        assert_eq!(field_of(&parse_span("", day).expect_err("empty")), ["working"]);
    }

    #[test]
    fn a_day_of_working_hours_reads_and_writes_back() {
        let office = vec![Interval::hm(8, 30, 12, 0), Interval::hm(13, 30, 17, 30)];
        for text in [
            "08:30-12:00, 13:30-17:30",
            "08:30-12:00 13:30-17:30",
            "08:30 – 12:00，13:30 至 17:30",
            "08:30~12:00、13:30到17:30",
            "8:30-12:00, 13:30-17:30",
        ] {
            assert_eq!(Interval::parse_day(text), Ok(office.clone()), "{text:?}");
        }
        assert_eq!(Interval::day_text(&office), "08:30-12:00, 13:30-17:30");
        assert_eq!(Interval::parse_day(&Interval::day_text(&office)), Ok(office));
        let whole = vec![Interval::hm(0, 0, 24, 0)];
        assert_eq!(Interval::day_text(&whole), "00:00-24:00");
        assert_eq!(Interval::parse_day("00:00-24:00"), Ok(whole));
        for off in ["", "  ", "休息", "OFF"] {
            assert_eq!(Interval::parse_day(off), Ok(Vec::new()), "{off:?}");
        }
        for bad in ["8:+5-12:00", "8:3-12:00", "08:30", "08:30-", "8点到12点", "08:30-12:00-13:00", "24:00-24:00"] {
            assert!(matches!(Interval::parse_day(bad), Err(Reason::Malformed { .. })), "{bad:?}");
        }
    }

    #[test]
    fn clock_times_and_weekdays_are_read_strictly() {
        assert_eq!(parse_clock("17:00", false), Some(Time::constant(17, 0, 0, 0)));
        assert_eq!(parse_clock("24:00", true), Some(Time::midnight()));
        assert_eq!(parse_clock("8:30", false), Some(Time::constant(8, 30, 0, 0)), "as people write it");
        for bad in ["24:00", "8:+5", "+8:05", "8:5", "17", "17:00:0", "008:30", ":30"] {
            assert_eq!(parse_clock(bad, false), None, "{bad:?}");
        }
        assert_eq!(clock_text(Time::constant(8, 5, 0, 0), false), "08:05");
        assert_eq!(clock_text(Time::midnight(), true), "24:00");
        assert_eq!(weekday_from_name("friday"), Some(Weekday::Friday));
        assert_eq!(weekday_from_name("someday"), None);
        assert_eq!(weekday_to_name(Weekday::Sunday), WEEKDAY_NAMES[6]);
    }

    fn set() -> HolidaySet {
        let mut set = HolidaySet { name: "cn".into(), ..HolidaySet::default() };
        set.years.insert(2025, "国办发明电〔2024〕12号".into());
        set
    }

    #[test]
    fn a_hand_edit_of_holidays_follows_the_rules_of_the_file() {
        let off = DayRule::Off { name: " 厂区\n停电 ".into() };
        let mut s = set();
        assert_eq!(s.edit(date(2025, 10, 9), date(2025, 10, 10), Some(&off), None), Ok(2));
        assert_eq!(s.days.get(&date(2025, 10, 10)), Some(&DayRule::Off { name: "厂区 停电".into() }));
        assert_eq!(s.edit(date(2025, 10, 10), date(2025, 10, 10), None, None), Ok(1));
        assert_eq!(s.days.len(), 1);

        let before = set();
        let refused = |first, last, rule: Option<&DayRule>, source: Option<&str>| {
            let mut s = before.clone();
            let e = s.edit(first, last, rule, source).expect_err("refused");
            assert_eq!(s, before, "nothing changed");
            field_of(&e)
        };
        assert_eq!(refused(date(2025, 10, 9), date(2025, 10, 8), Some(&off), None), ["last"]);
        assert_eq!(refused(date(2024, 1, 1), date(2025, 1, 1), Some(&off), Some("x")), ["last"]);
        assert_eq!(refused(date(1999, 12, 31), date(2000, 1, 1), None, None), ["first"]);
        assert_eq!(refused(date(2099, 12, 31), date(2100, 1, 1), None, None), ["last"]);
        let unnamed = DayRule::Work { name: " ".into(), hours_of: Weekday::Friday };
        assert_eq!(
            refused(date(2025, 10, 11), date(2025, 10, 11), Some(&unnamed), Some(&"x".repeat(201))),
            ["name", "source"]
        );
        let long = DayRule::Off { name: "节".repeat(51) };
        assert_eq!(refused(date(2025, 10, 11), date(2025, 10, 11), Some(&long), None), ["name"]);
        // A year without data needs its source; with it, the year is covered from then on.
        assert_eq!(refused(date(2025, 12, 31), date(2026, 1, 1), Some(&off), None), ["source"]);
        let mut s = set();
        assert_eq!(s.edit(date(2025, 12, 31), date(2026, 1, 1), Some(&off), Some(" 测试通知 ")), Ok(2));
        assert_eq!(s.years.get(&2026).map(String::as_str), Some("测试通知"));
        assert_eq!(s.years.get(&2025).map(String::as_str), Some("国办发明电〔2024〕12号"), "kept");
        // 366 days is the most one edit covers.
        assert_eq!(s.edit(date(2025, 1, 1), date(2026, 1, 1), None, None), Ok(366));
    }
}
