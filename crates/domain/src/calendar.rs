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
use crate::error::{DomainError, Field, Reason};

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

/// What an official schedule says about one civil date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DayRule {
    /// A day off (放假), whatever weekday it is.
    Off { name: String },
    /// A make-up working day (调休上班), worked with the hours of `hours_of`.
    Work {
        name: String,
        #[serde(with = "weekday_name")]
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = "monday"))]
        hours_of: Weekday,
    },
}

/// An official schedule of days off and make-up working days (e.g. China's, published each
/// year by the State Council General Office).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HolidaySet {
    pub name: String,
    /// Years for which official data is present, with where it comes from.
    pub years: BTreeMap<i16, String>,
    #[cfg_attr(feature = "openapi", schema(value_type = BTreeMap<String, DayRule>))]
    pub days: BTreeMap<Date, DayRule>,
}

/// A holiday file refused, naming the line.
fn file_error(line: usize, en: &str, zh: &str) -> DomainError {
    DomainError::field("data", Reason::AtLine { line, en: en.to_owned(), zh: zh.to_owned() })
}

/// One line of text as stored: control characters (a newline in an ICS summary, say)
/// become spaces, so the CSV form always reads back.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_owned()
}

/// The longest range one line, event or hand edit may cover: a holiday schedule is about
/// one year.
const MAX_RANGE_DAYS: i64 = 366;
/// The longest name of a day off or make-up working day entered by hand.
const MAX_DAY_NAME: usize = 50;
/// The longest source (where a year's schedule comes from) entered by hand.
const MAX_SOURCE: usize = 200;

/// Is `name` usable as a calendar or holiday-set name (`[a-z0-9_-]{1,32}`)?
pub fn is_valid_name(name: &str) -> bool {
    valid_name(name)
}

/// Splits one CSV line into fields; `"` quotes a field and `""` inside quotes is one `"`.
fn csv_fields(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
            chars.next();
        }
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => break,
                    c => field.push(c),
                }
            }
            while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
                chars.next();
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Some(fields);
                }
                Some(',') => fields.push(field),
                Some(_) => return None,
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field.trim_end().to_owned());
                        return Some(fields);
                    }
                    Some(',') => {
                        fields.push(field.trim_end().to_owned());
                        break;
                    }
                    Some(c) => field.push(c),
                }
            }
        }
    }
}

fn csv_quote(field: &str) -> String {
    let field = &one_line(field);
    if field.contains([',', '"', '\n', '\r']) || field.starts_with([' ', '\t']) || field.ends_with([' ', '\t']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

fn parse_date(text: &str) -> Option<Date> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = text[0..4].parse::<i16>().ok()?;
    let m = text[5..7].parse::<i8>().ok()?;
    let d = text[8..10].parse::<i8>().ok()?;
    Date::new(y, m, d).ok()
}

/// Every date from `first` to `last`, both included.
fn each_day(first: Date, last: Date) -> impl Iterator<Item = Date> {
    std::iter::successors(Some(first), move |d| d.tomorrow().ok().filter(|next| *next <= last))
        .take_while(move |d| *d <= last)
}

const CSV_HEADER: &str = "\
# Official days off and make-up working days (调休), one rule a line.
# Columns: kind,date,name,hours_of
#   kind      source | off | work
#   date      source: the year (YYYY); off/work: YYYY-MM-DD or an inclusive range YYYY-MM-DD..YYYY-MM-DD
#   name      source: where that year's data comes from; off/work: the name people read
#   hours_of  work only, optional: whose hours the make-up day is worked with (monday..sunday, default monday)
# Fields containing commas are quoted with \"; lines starting with # and blank lines are ignored.
# A year listed by a source line is fully described: its other days follow the weekly hours.
";

impl HolidaySet {
    /// China's official schedule, from the State Council General Office notices.
    pub fn cn() -> HolidaySet {
        HolidaySet::parse_csv("cn", include_str!("../data/cn-holidays.csv"))
            .expect("the bundled data/cn-holidays.csv is valid (tested)")
    }

    /// Reads the CSV import format documented at the top of `data/cn-holidays.csv`.
    pub fn parse_csv(name: &str, text: &str) -> Result<HolidaySet, DomainError> {
        let mut set = HolidaySet { name: name.into(), ..HolidaySet::default() };
        // The first line that names each year, to report days of a year with no source.
        let mut first_line_of_year: BTreeMap<i16, usize> = BTreeMap::new();
        for (index, raw) in text.lines().enumerate() {
            let n = index + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields = csv_fields(line).ok_or_else(|| file_error(n, "unbalanced quotes", "引号不成对"))?;
            if fields.len() < 3 || fields.len() > 4 {
                return Err(file_error(
                    n,
                    "expected kind,date,name[,hours_of]",
                    "应为 kind,date,name[,hours_of] 四列（hours_of 可省略）",
                ));
            }
            let kind = fields[0].to_ascii_lowercase();
            let (date, label) = (fields[1].as_str(), fields[2].trim());
            let hours_of = fields.get(3).map(|s| s.trim()).filter(|s| !s.is_empty());
            if kind == "kind" {
                continue; // The header row.
            }
            if label.is_empty() {
                return Err(file_error(n, "the name is empty", "名称为空"));
            }
            if kind != "work" && hours_of.is_some() {
                return Err(file_error(n, "hours_of is only for work lines", "只有 work 行可以填写 hours_of"));
            }
            let rule = match kind.as_str() {
                "source" => {
                    let year =
                        date.parse::<i16>().ok().filter(|y| date.len() == 4 && (1000..=9999).contains(y)).ok_or_else(
                            || file_error(n, "a source date is a year YYYY", "source 行的日期应为年份 YYYY"),
                        )?;
                    if set.years.insert(year, label.to_owned()).is_some() {
                        return Err(file_error(n, "this year already has a source", "该年份已有来源"));
                    }
                    first_line_of_year.entry(year).or_insert(n);
                    continue;
                }
                "off" => DayRule::Off { name: label.to_owned() },
                "work" => {
                    let hours_of = match hours_of {
                        None => Weekday::Monday,
                        Some(w) => weekday_from_name(w).ok_or_else(|| {
                            file_error(n, "hours_of is a weekday such as monday", "hours_of 应为星期几，如 monday")
                        })?,
                    };
                    DayRule::Work { name: label.to_owned(), hours_of }
                }
                _ => return Err(file_error(n, "kind is source, off or work", "kind 应为 source、off 或 work")),
            };
            let (first, last) = match date.split_once("..") {
                None => (parse_date(date), parse_date(date)),
                Some((a, b)) => (parse_date(a.trim()), parse_date(b.trim())),
            };
            let (Some(first), Some(last)) = (first, last) else {
                return Err(file_error(
                    n,
                    "the date is YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD",
                    "日期应为 YYYY-MM-DD 或 YYYY-MM-DD..YYYY-MM-DD",
                ));
            };
            if last < first {
                return Err(file_error(n, "the range ends before it starts", "日期范围的结束早于开始"));
            }
            if (last - first).get_days() as i64 >= MAX_RANGE_DAYS
                || !(FIRST_YEAR..=LAST_YEAR).contains(&first.year())
                || !(FIRST_YEAR..=LAST_YEAR).contains(&last.year())
            {
                return Err(file_error(
                    n,
                    "a range covers at most 366 days within 2000–2099",
                    "一个日期范围最多 366 天，且在 2000–2099 年之内",
                ));
            }
            for day in each_day(first, last) {
                if set.days.get(&day).is_some_and(|old| *old != rule) {
                    return Err(file_error(
                        n,
                        &format!("{day} is already given another rule"),
                        &format!("{day} 已有其他安排"),
                    ));
                }
                set.days.insert(day, rule.clone());
                first_line_of_year.entry(day.year()).or_insert(n);
            }
        }
        for (year, line) in &first_line_of_year {
            if !set.years.contains_key(year) {
                return Err(file_error(
                    *line,
                    &format!("year {year} has no source line"),
                    &format!("{year} 年缺少 source 行（数据来源）"),
                ));
            }
        }
        Ok(set)
    }

    /// Reads an iCalendar file: each VEVENT is a day off, or a make-up working day when its
    /// SUMMARY contains 班 (上班/补班) or the word "work", or when `X-AFTERSALES-KIND` says so.
    /// Every year an event touches is recorded as covered, with `source`.
    pub fn parse_ics(name: &str, text: &str, source: &str) -> Result<HolidaySet, DomainError> {
        let mut set = HolidaySet { name: name.into(), ..HolidaySet::default() };
        let mut event: Option<IcsEvent> = None;
        let mut events = 0usize;
        for (n, line) in unfold_ics(text) {
            let Some((head, value)) = split_ics_property(&line) else { continue };
            let mut params = head.split(';');
            let prop = params.next().unwrap_or_default().to_ascii_uppercase();
            let upper_value = value.trim().to_ascii_uppercase();
            match (prop.as_str(), event.as_mut()) {
                ("BEGIN", None) if upper_value == "VEVENT" => {
                    event = Some(IcsEvent { begin_line: n, ..IcsEvent::default() })
                }
                ("BEGIN", Some(_)) if upper_value == "VEVENT" => {
                    return Err(file_error(n, "VEVENT inside a VEVENT", "VEVENT 嵌套"));
                }
                ("END", Some(_)) if upper_value == "VEVENT" => {
                    let done = event.take().unwrap_or_default();
                    done.apply(&mut set, source)?;
                    events += 1;
                }
                ("DTSTART", Some(e)) => e.start = Some((ics_date(value).ok_or_else(|| ics_date_error(n))?, n)),
                ("DTEND", Some(e)) => {
                    let end = ics_date(value).ok_or_else(|| ics_date_error(n))?;
                    // An end with a time of day other than midnight still includes that day.
                    let exclusive = value.trim().get(9..15).is_none_or(|t| t == "000000");
                    e.end = Some(if exclusive { end } else { end.tomorrow().map_err(|_| ics_date_error(n))? });
                }
                ("DURATION", Some(e)) => {
                    e.days = Some(
                        ics_duration_days(value)
                            .ok_or_else(|| file_error(n, "DURATION is PnD or PnW", "DURATION 应为 PnD 或 PnW"))?,
                    )
                }
                ("SUMMARY", Some(e)) => e.summary = one_line(&unescape_ics(value)),
                ("X-AFTERSALES-KIND", Some(e)) => {
                    e.kind = Some(match upper_value.as_str() {
                        "WORK" => true,
                        "OFF" => false,
                        _ => {
                            return Err(file_error(
                                n,
                                "X-AFTERSALES-KIND is work or off",
                                "X-AFTERSALES-KIND 应为 work 或 off",
                            ));
                        }
                    });
                }
                ("X-AFTERSALES-HOURS-OF", Some(e)) => {
                    e.hours_of = Some(weekday_from_name(value).ok_or_else(|| {
                        file_error(
                            n,
                            "X-AFTERSALES-HOURS-OF is a weekday such as monday",
                            "X-AFTERSALES-HOURS-OF 应为星期几",
                        )
                    })?);
                }
                _ => {}
            }
        }
        if let Some(open) = event {
            return Err(file_error(open.begin_line, "VEVENT without END:VEVENT", "VEVENT 缺少 END:VEVENT"));
        }
        if events == 0 {
            return Err(file_error(1, "the file has no VEVENT", "文件中没有 VEVENT"));
        }
        Ok(set)
    }

    /// Takes `other`'s data for the years `other` covers: this set's days of those years are
    /// dropped and `other`'s days and sources put in their place.
    pub fn merge(&mut self, other: HolidaySet) {
        self.days.retain(|day, _| !other.years.contains_key(&day.year()));
        self.years.extend(other.years);
        self.days.extend(other.days);
    }

    /// An administrator's hand edit (the calendar page): the days `first..=last` get `rule`
    /// (a day off or a make-up working day, its name one line of at most 50 characters), or
    /// lose the rule they had when `rule` is `None`. A range covers at most 366 days within
    /// 2000–2099, like a line of an imported file. A year the set has no data for yet needs
    /// `source` (where the schedule comes from; one line of at most 200 characters). Names
    /// every refused field at once and changes nothing then; returns how many days the edit
    /// covered.
    pub fn edit(
        &mut self,
        first: Date,
        last: Date,
        rule: Option<&DayRule>,
        source: Option<&str>,
    ) -> Result<usize, DomainError> {
        let mut p: Vec<(Field, Reason)> = Vec::new();
        if last < first {
            p.push(("last", malformed("a date on or after the first", "不早于开始日期的日期")));
        } else if (last - first).get_days() as i64 >= MAX_RANGE_DAYS {
            p.push(("last", malformed("at most 366 days", "最多 366 天")));
        }
        for (field, d) in [("first", first), ("last", last)] {
            if !(FIRST_YEAR..=LAST_YEAR).contains(&d.year()) {
                p.push((field, malformed("a date in 2000–2099", "2000–2099 年之间的日期")));
            }
        }
        let rule = rule.map(|r| {
            let (DayRule::Off { name } | DayRule::Work { name, .. }) = r;
            let label = one_line(name);
            if label.is_empty() {
                p.push(("name", Reason::Missing));
            } else if label.chars().count() > MAX_DAY_NAME {
                p.push(("name", Reason::TooLong { max: MAX_DAY_NAME }));
            }
            match r {
                DayRule::Off { .. } => DayRule::Off { name: label },
                DayRule::Work { hours_of, .. } => DayRule::Work { name: label, hours_of: *hours_of },
            }
        });
        let source = source.map(one_line).filter(|s| !s.is_empty());
        if source.as_ref().is_some_and(|s| s.chars().count() > MAX_SOURCE) {
            p.push(("source", Reason::TooLong { max: MAX_SOURCE }));
        }
        if !p.is_empty() {
            return Err(DomainError::Invalid(p));
        }
        let days: Vec<Date> = each_day(first, last).collect();
        let Some(rule) = rule else {
            for d in &days {
                self.days.remove(d);
            }
            return Ok(days.len());
        };
        let new_years: BTreeSet<i16> = days.iter().map(|d| d.year()).filter(|y| !self.years.contains_key(y)).collect();
        if !new_years.is_empty() {
            let source = source.ok_or_else(|| DomainError::field("source", Reason::Missing))?;
            for y in new_years {
                self.years.insert(y, source.clone());
            }
        }
        for d in &days {
            self.days.insert(*d, rule.clone());
        }
        Ok(days.len())
    }

    /// Writes the CSV import format; [`HolidaySet::parse_csv`] reads it back unchanged.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(CSV_HEADER);
        out.push_str("kind,date,name,hours_of\n");
        for (year, source) in &self.years {
            out.push_str(&format!("source,{year},{},\n", csv_quote(source)));
        }
        // Runs of consecutive days with the same rule become one range line.
        let mut run: Option<(Date, Date, &DayRule)> = None;
        let flush = |out: &mut String, (first, last, rule): (Date, Date, &DayRule)| {
            let date = if first == last { first.to_string() } else { format!("{first}..{last}") };
            match rule {
                DayRule::Off { name } => out.push_str(&format!("off,{date},{},\n", csv_quote(name))),
                DayRule::Work { name, hours_of } => {
                    out.push_str(&format!("work,{date},{},{}\n", csv_quote(name), weekday_to_name(*hours_of)));
                }
            }
        };
        for (day, rule) in &self.days {
            run = match run {
                Some((first, last, r)) if r == rule && last.tomorrow().ok() == Some(*day) => Some((first, *day, r)),
                Some(done) => {
                    flush(&mut out, done);
                    Some((*day, *day, rule))
                }
                None => Some((*day, *day, rule)),
            };
        }
        if let Some(done) = run {
            flush(&mut out, done);
        }
        out
    }
}

#[derive(Default)]
struct IcsEvent {
    begin_line: usize,
    start: Option<(Date, usize)>,
    /// Exclusive.
    end: Option<Date>,
    days: Option<i64>,
    summary: String,
    kind: Option<bool>,
    hours_of: Option<Weekday>,
}

impl IcsEvent {
    fn apply(self, set: &mut HolidaySet, source: &str) -> Result<(), DomainError> {
        let Some((first, line)) = self.start else {
            return Err(file_error(self.begin_line, "VEVENT without DTSTART", "VEVENT 缺少 DTSTART"));
        };
        let summary = self.summary.trim();
        let work = self.kind.unwrap_or_else(|| summary.contains('班') || mentions_work(summary));
        let rule = if work {
            let name = if summary.is_empty() { "调休上班" } else { summary };
            DayRule::Work { name: name.into(), hours_of: self.hours_of.unwrap_or(Weekday::Monday) }
        } else {
            DayRule::Off { name: if summary.is_empty() { "放假" } else { summary }.into() }
        };
        let end = match (self.end, self.days) {
            (Some(end), _) => end,
            (None, Some(days)) => first.checked_add(jiff::Span::new().days(days)).map_err(|_| ics_date_error(line))?,
            (None, None) => first.tomorrow().map_err(|_| ics_date_error(line))?,
        };
        let last = end.yesterday().ok().filter(|last| *last >= first).unwrap_or(first);
        if (last - first).get_days() as i64 >= MAX_RANGE_DAYS
            || !(FIRST_YEAR..=LAST_YEAR).contains(&first.year())
            || !(FIRST_YEAR..=LAST_YEAR).contains(&last.year())
        {
            return Err(file_error(
                line,
                "an event covers at most 366 days within 2000–2099",
                "一个事件最多 366 天，且在 2000–2099 年之内",
            ));
        }
        for day in each_day(first, last) {
            set.years.entry(day.year()).or_insert_with(|| one_line(source));
            set.days.insert(day, rule.clone());
        }
        Ok(())
    }
}

/// "work" as a word or the start of one (work, workday, working day), not inside "network".
fn mentions_work(summary: &str) -> bool {
    let lower = summary.to_lowercase();
    lower.match_indices("work").any(|(i, _)| !lower[..i].chars().next_back().is_some_and(char::is_alphanumeric))
}

fn ics_date_error(line: usize) -> DomainError {
    file_error(line, "the date is YYYYMMDD", "日期应为 YYYYMMDD")
}

/// The date part of `YYYYMMDD` or `YYYYMMDDTHHMMSS[Z]`.
fn ics_date(value: &str) -> Option<Date> {
    let v = value.trim();
    let digits = v.get(0..8)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) || !(v.len() == 8 || v[8..].starts_with('T')) {
        return None;
    }
    Date::new(digits[0..4].parse().ok()?, digits[4..6].parse().ok()?, digits[6..8].parse().ok()?).ok()
}

fn ics_duration_days(value: &str) -> Option<i64> {
    let v = value.trim().to_ascii_uppercase();
    let body = v.strip_prefix('P')?;
    let (count, unit) = body.split_at(body.len().checked_sub(1)?);
    let count: i64 = count.parse().ok().filter(|c| (1..=3660).contains(c))?;
    match unit {
        "D" => Some(count),
        "W" => Some(count * 7),
        _ => None,
    }
}

fn unescape_ics(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Logical lines with the number of the physical line each starts on (RFC 5545 §3.1: a line
/// starting with a space or tab continues the previous one).
fn unfold_ics(text: &str) -> Vec<(usize, String)> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match (raw.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some((_, last))) => last.push_str(rest),
            _ => lines.push((index + 1, raw.to_owned())),
        }
    }
    lines
}

/// `NAME;PARAM=VALUE:value` into the part before the colon and the value (colons inside quoted
/// parameter values do not count).
fn split_ics_property(line: &str) -> Option<(&str, &str)> {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => return Some((&line[..i], &line[i + 1..])),
            _ => {}
        }
    }
    None
}

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
type DayHours = Vec<(i64, i64)>;

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

fn internal(what: &str) -> DomainError {
    DomainError::conflict(
        "calendar_compile",
        format!("the calendar could not be compiled: {what}"),
        format!("工作日历无法生成：{what}"),
    )
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
fn typical_day(week: &[DayHours; 7]) -> SignedDuration {
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
fn civil_ms(tz: &TimeZone, day: Date, ms: i64) -> Result<i64, jiff::Error> {
    let (day, ms) = if ms >= DAY_MS { (day.tomorrow()?, ms - DAY_MS) } else { (day, ms) };
    // ms is in 0..DAY_MS, so every part fits.
    let part = |v: i64| i8::try_from(v).unwrap_or_default();
    let nanos = i32::try_from(ms % 1000 * 1_000_000).unwrap_or_default();
    let t = Time::new(part(ms / 3_600_000), part(ms / 60_000 % 60), part(ms / 1000 % 60), nanos)?;
    Ok(tz.to_timestamp(DateTime::from_parts(day, t))?.as_millisecond())
}

/// The units of a span, longest spelling first: `d` (a day: [`Calendar::day_length`] for
/// working time), `h`, `m`, also `天`, `小时`, `分钟`, `分` and `min`.
const SPAN_UNITS: [(&str, u8); 8] =
    [("天", 1), ("d", 1), ("小时", 2), ("h", 2), ("分钟", 3), ("分", 3), ("min", 3), ("m", 3)];

/// Why [`span_ms`] refused a text.
enum SpanRefusal {
    Empty,
    Malformed,
}

/// The one reader of spans: a count then a unit, units in the order days, hours, minutes,
/// each at most once, spaces between parts allowed; no fractions, signs or unit-less
/// numbers. `day_ms` is a day's length; without it days are refused. The result is more
/// than zero and at most [`MAX_SPAN_DAYS`] days (of `day_ms`, else of 24 h).
fn span_ms(text: &str, day_ms: Option<i64>) -> Result<i64, SpanRefusal> {
    let text = text.trim();
    if text.is_empty() {
        return Err(SpanRefusal::Empty);
    }
    let mut total: i64 = 0;
    let mut last_unit = 0u8; // 1 = d, 2 = h, 3 = m: units must come in that order.
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return Err(SpanRefusal::Malformed);
        }
        let count: i64 = rest[..digits].parse().map_err(|_| SpanRefusal::Malformed)?;
        rest = rest[digits..].trim_start();
        let (spelling, rank) = SPAN_UNITS
            .iter()
            .copied()
            .find(|(u, _)| rest.get(..u.len()).is_some_and(|p| p.eq_ignore_ascii_case(u)))
            .ok_or(SpanRefusal::Malformed)?;
        let unit_ms = match rank {
            1 => day_ms.ok_or(SpanRefusal::Malformed)?,
            2 => 3_600_000,
            _ => 60_000,
        };
        if rank <= last_unit {
            return Err(SpanRefusal::Malformed);
        }
        last_unit = rank;
        rest = rest[spelling.len()..].trim_start();
        total = count.checked_mul(unit_ms).and_then(|v| total.checked_add(v)).ok_or(SpanRefusal::Malformed)?;
    }
    if total == 0 || total > MAX_SPAN_DAYS * day_ms.unwrap_or(DAY_MS) {
        return Err(SpanRefusal::Malformed);
    }
    Ok(total)
}

/// Parses a span of working time: `90m`, `4h`, `3d`, `1h30m`, `2d4h` (units in this order,
/// each at most once; spaces between parts allowed; also `天`, `小时`, `分钟`), `d` being
/// `day` long (see [`Calendar::day_length`]). Refuses empty, zero, unit-less and negative
/// spans and spans over 3650 days, naming the field `working`.
pub fn parse_span(text: &str, day: SignedDuration) -> Result<SignedDuration, DomainError> {
    let refuse = || {
        DomainError::field(
            "working",
            malformed(
                "a span such as 90m, 4h, 3d, 1h30m or 2d4h (d, h, m; more than zero, at most 3650 days)",
                "时长，如 90m、4h、3d、1h30m、2d4h（单位 d 天、h 小时、m 分钟；大于零，最多 3650 天）",
            ),
        )
    };
    let day_ms = i64::try_from(day.as_millis()).ok().filter(|ms| *ms > 0).ok_or_else(refuse)?;
    match span_ms(text, Some(day_ms)) {
        Ok(ms) => Ok(SignedDuration::from_millis(ms)),
        Err(SpanRefusal::Empty) => Err(DomainError::field("working", Reason::Missing)),
        Err(SpanRefusal::Malformed) => Err(refuse()),
    }
}

/// Parses a length in whole minutes, as the grading scheme and the service policy forms
/// write it: `2h`, `90m`, `1h30m`, `2小时30分钟` (hours and minutes only: whether a day is
/// 24 hours or a working day depends on the clock, so 5 days is written `120h`). The same
/// reader as [`parse_span`], with its limits: more than zero, at most 3650 × 24 hours.
pub fn parse_minutes(text: &str) -> Result<i64, Reason> {
    match span_ms(text, None) {
        Ok(ms) => Ok(ms / 60_000),
        Err(SpanRefusal::Empty) => Err(Reason::Missing),
        Err(SpanRefusal::Malformed) => Err(malformed(
            "a length such as 2h, 90m or 1h30m (h hours, m minutes; 5 days is 120h)",
            "时长，如 2h、90m、1h30m（h 小时，m 分钟；5 天写 120h）",
        )),
    }
}

/// A length in minutes as the forms write it and [`parse_minutes`] reads it back: `2h`,
/// `1h30m`, `45m` (`0m` for zero, which [`parse_minutes`] refuses).
pub fn span_text(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m}m"),
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
