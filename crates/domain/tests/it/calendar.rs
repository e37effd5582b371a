//! Business calendars (DOMAIN §4): deadline arithmetic over working hours, China's official
//! holidays and make-up working days, and DST; the CSV and ICS holiday formats; `parse_span`.

use std::sync::LazyLock;

use aftersales_domain::calendar::{Calendar, CalendarError, CalendarSpec, DayRule, HolidaySet, Interval, parse_span};
use aftersales_domain::{DomainError, Lang, Timestamp};
use jiff::SignedDuration;
use jiff::civil::{Weekday, date};
use proptest::prelude::*;

static CN: LazyLock<Calendar> =
    LazyLock::new(|| Calendar::compile(&CalendarSpec::cn_default(), Some(&HolidaySet::cn())).unwrap());
static NONSTOP: LazyLock<Calendar> =
    LazyLock::new(|| Calendar::compile(&CalendarSpec::around_the_clock("plant"), None).unwrap());
static BERLIN: LazyLock<Calendar> = LazyLock::new(|| Calendar::compile(&berlin_spec(), None).unwrap());

fn berlin_spec() -> CalendarSpec {
    let mut week = vec![vec![Interval::hm(9, 0, 17, 0)]; 5];
    week.extend([vec![], vec![]]);
    CalendarSpec {
        name: "berlin".into(),
        time_zone: "Europe/Berlin".into(),
        week,
        holiday_set: None,
        region: Some("de".into()),
    }
}

/// An instant written with its offset, e.g. `2025-09-30T16:00+08:00`.
fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

fn field_of(err: &DomainError) -> Vec<&'static str> {
    match err {
        DomainError::Invalid(fields) => fields.iter().map(|(f, _)| *f).collect(),
        other => panic!("expected a field error, got {other:?}"),
    }
}

// ---- Examples on China's calendar -------------------------------------------------------------

#[test]
fn national_day_2025_is_skipped() {
    // Sep 30 16:00–17:30 gives 1.5 h; Oct 1–8 are off; Oct 9 08:30 + 2.5 h.
    assert_eq!(CN.add(at("2025-09-30T16:00+08:00"), hours(4)).unwrap(), at("2025-10-09T11:00+08:00"));
    assert_eq!(CN.between(at("2025-09-30T16:00+08:00"), at("2025-10-09T11:00+08:00")).unwrap(), hours(4));
}

#[test]
fn make_up_days_around_national_day_2025_are_worked() {
    // Sunday Sep 28 and Saturday Oct 11 are make-up working days.
    assert!(CN.is_working(at("2025-09-28T09:00+08:00")));
    assert!(CN.is_working(at("2025-10-11T15:00+08:00")));
    assert!(!CN.is_working(at("2025-10-08T10:00+08:00")));
    assert!(!CN.is_working(at("2025-10-12T10:00+08:00")), "an ordinary Sunday");
    assert_eq!(CN.add(at("2025-09-28T08:30+08:00"), hours(2)).unwrap(), at("2025-09-28T10:30+08:00"));
}

#[test]
fn starting_on_a_holiday_counts_from_the_next_working_day() {
    assert_eq!(CN.add(at("2025-10-03T10:00+08:00"), mins(30)).unwrap(), at("2025-10-09T09:00+08:00"));
    assert_eq!(CN.next_working(at("2025-10-03T10:00+08:00")).unwrap(), at("2025-10-09T08:30+08:00"));
}

#[test]
fn spring_festival_2026_goes_to_the_saturday_make_up_day() {
    // Friday Feb 13 17:00–17:30, then Saturday Feb 14 (make-up day) from 08:30.
    assert_eq!(CN.add(at("2026-02-13T17:00+08:00"), hours(1)).unwrap(), at("2026-02-14T09:00+08:00"));
    // After Feb 14 the festival runs Feb 15–23.
    assert_eq!(CN.add(at("2026-02-14T17:00+08:00"), hours(1)).unwrap(), at("2026-02-24T09:00+08:00"));
}

#[test]
fn lunch_break_is_not_counted() {
    assert_eq!(CN.add(at("2025-06-03T11:30+08:00"), hours(1)).unwrap(), at("2025-06-03T14:00+08:00"));
    assert!(!CN.is_working(at("2025-06-03T12:00+08:00")));
    assert!(CN.is_working(at("2025-06-03T11:59:59.999+08:00")));
    assert_eq!(CN.next_working(at("2025-06-03T12:45+08:00")).unwrap(), at("2025-06-03T13:30+08:00"));
}

#[test]
fn span_ending_at_an_interval_end_returns_that_end() {
    assert_eq!(CN.add(at("2025-06-03T11:00+08:00"), hours(1)).unwrap(), at("2025-06-03T12:00+08:00"));
    assert_eq!(CN.add(at("2025-06-03T16:30+08:00"), hours(1)).unwrap(), at("2025-06-03T17:30+08:00"));
    // Friday's end, not Monday's start.
    assert_eq!(CN.add(at("2025-06-06T08:30+08:00"), mins(7 * 60 + 30)).unwrap(), at("2025-06-06T17:30+08:00"));
}

#[test]
fn new_year_2026_starts_on_the_sunday_make_up_day() {
    // Jan 1–3 2026 are off and Sunday Jan 4 is worked.
    assert_eq!(CN.add(at("2025-12-31T23:59+08:00"), hours(1)).unwrap(), at("2026-01-04T09:30+08:00"));
}

#[test]
fn zero_span_is_the_next_working_instant() {
    let inside = at("2025-06-03T09:15:00.5+08:00");
    assert_eq!(CN.add(inside, SignedDuration::ZERO).unwrap(), inside);
    assert_eq!(CN.add(at("2025-06-03T17:30+08:00"), SignedDuration::ZERO).unwrap(), at("2025-06-04T08:30+08:00"));
}

#[test]
fn between_is_negative_backwards_and_errors_are_named() {
    let (a, b) = (at("2025-06-03T09:00+08:00"), at("2025-06-04T09:00+08:00"));
    assert_eq!(CN.between(a, b).unwrap(), mins(7 * 60 + 30));
    assert_eq!(CN.between(b, a).unwrap(), -mins(7 * 60 + 30));
    assert_eq!(CN.add(a, -mins(1)), Err(CalendarError::Negative));
    assert!(matches!(CN.add(at("1999-12-31T12:00Z"), hours(1)), Err(CalendarError::OutOfRange { .. })));
    assert!(matches!(CN.add(at("2099-12-31T12:00+08:00"), hours(100)), Err(CalendarError::OutOfRange { .. })));
    assert!(matches!(CN.between(a, at("2100-06-01T00:00Z")), Err(CalendarError::OutOfRange { .. })));
    assert!(!CN.is_working(at("2150-06-01T02:00Z")));
    let err: DomainError = CalendarError::Negative.into();
    assert_eq!(field_of(&err), ["working"]);
    assert!(CalendarError::Negative.for_field("resolve_within").message(Lang::Zh).contains("负"));
    assert!(CalendarError::OutOfRange { first_year: 2000, last_year: 2099 }.to_string().contains("2099"));
}

#[test]
fn end_of_working_day_and_day_length() {
    assert_eq!(CN.end_of_working_day(at("2025-06-03T07:00+08:00")), Some(at("2025-06-03T17:30+08:00")));
    assert_eq!(CN.end_of_working_day(at("2025-06-03T23:00+08:00")), Some(at("2025-06-03T17:30+08:00")));
    assert_eq!(CN.end_of_working_day(at("2025-10-03T10:00+08:00")), None, "a holiday");
    assert_eq!(CN.end_of_working_day(at("2025-06-07T10:00+08:00")), None, "a Saturday");
    assert_eq!(CN.end_of_working_day(at("2025-09-28T10:00+08:00")), Some(at("2025-09-28T17:30+08:00")));
    assert_eq!(NONSTOP.end_of_working_day(at("2025-06-03T10:00+08:00")), Some(at("2025-06-04T00:00+08:00")));

    assert_eq!(CN.day_length(), mins(7 * 60 + 30));
    assert_eq!(NONSTOP.day_length(), hours(24));
    assert_eq!(BERLIN.day_length(), hours(8));
    // Five 8 h days beat one 4 h Saturday; a tie goes to the longer day.
    let mut spec = berlin_spec();
    spec.week[5] = vec![Interval::hm(9, 0, 13, 0)];
    assert_eq!(Calendar::compile(&spec, None).unwrap().day_length(), hours(8));
    spec.week =
        vec![vec![Interval::hm(9, 0, 13, 0)], vec![Interval::hm(9, 0, 15, 0)], vec![], vec![], vec![], vec![], vec![]];
    assert_eq!(Calendar::compile(&spec, None).unwrap().day_length(), hours(6));
}

#[test]
fn uncovered_years_report_missing_holiday_data() {
    assert_eq!(CN.uncovered_years(at("2025-06-01T00:00+08:00"), at("2026-12-31T23:00+08:00")), Vec::<i16>::new());
    assert_eq!(CN.uncovered_years(at("2026-12-01T00:00+08:00"), at("2027-01-04T00:00+08:00")), vec![2027]);
    // Civil years in the calendar's zone: 16:30 UTC on Dec 31 is already 2027 in Shanghai.
    assert_eq!(CN.uncovered_years(at("2026-12-31T16:30Z"), at("2026-12-31T16:30Z")), vec![2027]);
    assert_eq!(CN.uncovered_years(at("2028-01-01T00:00+08:00"), at("2023-05-01T00:00+08:00")), vec![2023, 2027, 2028]);
    assert!(NONSTOP.uncovered_years(at("2030-01-01T00:00Z"), at("2031-01-01T00:00Z")).is_empty());
    // A calendar naming a set it was not given has no data for any year.
    let bare = Calendar::compile(&CalendarSpec::cn_default(), None).unwrap();
    assert_eq!(bare.uncovered_years(at("2025-06-01T00:00+08:00"), at("2025-06-02T00:00+08:00")), vec![2025]);
}

#[test]
fn holidays_apply_only_to_the_set_the_calendar_names() {
    let mut other = HolidaySet::cn();
    other.name = "hk".into();
    let cal = Calendar::compile(&CalendarSpec::cn_default(), Some(&other)).unwrap();
    assert!(cal.is_working(at("2025-10-03T10:00+08:00")), "an ordinary Friday without the cn set");
    assert!(!cal.is_working(at("2025-09-28T10:00+08:00")), "an ordinary Sunday without the cn set");
}

#[test]
fn make_up_day_uses_the_hours_of_its_weekday() {
    let mut spec = CalendarSpec::cn_default();
    spec.week[4] = vec![Interval::hm(8, 30, 12, 0)]; // Friday mornings only
    let mut set = HolidaySet::cn();
    set.days
        .insert(date(2025, 9, 28), DayRule::Work { name: "国庆节、中秋节调休上班".into(), hours_of: Weekday::Friday });
    let cal = Calendar::compile(&spec, Some(&set)).unwrap();
    assert!(cal.is_working(at("2025-09-28T09:00+08:00")));
    assert!(!cal.is_working(at("2025-09-28T14:00+08:00")));
    assert!(CN.is_working(at("2025-09-28T14:00+08:00")));
}

// ---- Around the clock and DST ------------------------------------------------------------------

#[test]
fn around_the_clock_counts_every_millisecond_across_midnight() {
    let from = at("2025-12-31T23:30+08:00");
    assert_eq!(NONSTOP.add(from, hours(1)).unwrap(), at("2026-01-01T00:30+08:00"));
    assert_eq!(NONSTOP.between(from, at("2026-01-05T23:30+08:00")).unwrap(), hours(5 * 24));
    assert!(NONSTOP.is_working(at("2026-01-01T00:00+08:00")));
}

#[test]
fn berlin_across_spring_forward() {
    // Friday 16:30 + 1 h: 30 min on Friday, 30 min on Monday after the DST Sunday.
    let cal = &*BERLIN;
    assert_eq!(cal.add(at("2025-03-28T16:30+01:00"), hours(1)).unwrap(), at("2025-03-31T09:30+02:00"));
    assert_eq!(cal.add(at("2025-10-24T16:30+02:00"), hours(1)).unwrap(), at("2025-10-27T09:30+01:00"));
    assert_eq!(cal.end_of_working_day(at("2025-03-31T12:00+02:00")), Some(at("2025-03-31T17:00+02:00")));
}

#[test]
fn around_the_clock_in_berlin_has_23_and_25_hour_days() {
    let spec = CalendarSpec { time_zone: "Europe/Berlin".into(), ..CalendarSpec::around_the_clock("berlin-plant") };
    let cal = Calendar::compile(&spec, None).unwrap();
    let (sat, sun, mon) = (at("2025-03-29T00:00+01:00"), at("2025-03-30T00:00+01:00"), at("2025-03-31T00:00+02:00"));
    assert_eq!(cal.between(sun, mon).unwrap(), hours(23));
    assert_eq!(cal.between(sat, sun).unwrap(), hours(24));
    assert_eq!(cal.between(at("2025-10-26T00:00+02:00"), at("2025-10-27T00:00+01:00")).unwrap(), hours(25));
}

#[test]
fn working_hours_inside_a_dst_gap_start_after_it() {
    // 02:00–03:00 does not exist on 2025-03-30 in Berlin: 02:30 is read as 03:30 ("compatible").
    let mut spec = berlin_spec();
    spec.week = vec![vec![Interval::hm(2, 30, 4, 0)]; 7];
    let cal = Calendar::compile(&spec, None).unwrap();
    assert_eq!(cal.next_working(at("2025-03-30T00:00+01:00")).unwrap(), at("2025-03-30T03:30+02:00"));
    assert_eq!(cal.between(at("2025-03-30T00:00+01:00"), at("2025-03-30T12:00+02:00")).unwrap(), mins(30));
}

// ---- Properties --------------------------------------------------------------------------------

fn calendars() -> [&'static Calendar; 3] {
    [&*CN, &*NONSTOP, &*BERLIN]
}

/// Instants in 2024–2026 with millisecond precision.
fn instant() -> impl Strategy<Value = Timestamp> {
    let lo = at("2024-01-01T00:00Z").as_millisecond();
    let hi = at("2027-01-01T00:00Z").as_millisecond();
    (lo..hi).prop_map(|ms| Timestamp::from_millisecond(ms).unwrap())
}

/// Spans from zero to ten working days.
fn span(cal: &Calendar) -> impl Strategy<Value = SignedDuration> {
    let max = cal.day_length().as_millis() as i64 * 10;
    // Whole minutes half the time, so results often land exactly on interval ends.
    prop_oneof![(0..=max).prop_map(SignedDuration::from_millis), (0..=max / 60_000).prop_map(SignedDuration::from_mins),]
}

fn any_case() -> impl Strategy<Value = (usize, Timestamp, SignedDuration, SignedDuration)> {
    (0usize..3).prop_flat_map(|c| {
        let cal = calendars()[c];
        (Just(c), instant(), span(cal), span(cal))
    })
}

proptest! {
    #[test]
    fn add_then_between_gives_the_span_back((c, from, s, _) in any_case()) {
        let cal = calendars()[c];
        let due = cal.add(from, s).unwrap();
        prop_assert!(due >= from);
        prop_assert_eq!(cal.between(from, due).unwrap(), s);
    }

    #[test]
    fn a_deadline_is_working_time_or_an_interval_end((c, from, s, _) in any_case()) {
        let cal = calendars()[c];
        let due = cal.add(from, s).unwrap();
        let just_before = due - SignedDuration::from_millis(1);
        prop_assert!(cal.is_working(due) || cal.is_working(just_before), "{due} for {s:?} from {from}");
        if s.is_positive() {
            prop_assert!(cal.is_working(just_before), "the last millisecond counted is working time");
        } else {
            prop_assert!(cal.is_working(due));
        }
    }

    #[test]
    fn add_is_monotonic_in_span_and_start((c, from, s1, s2) in any_case(), later_ms in 0i64..(5 * 86_400_000)) {
        let cal = calendars()[c];
        let (small, large) = (s1.min(s2), s1.max(s2));
        prop_assert!(cal.add(from, small).unwrap() <= cal.add(from, large).unwrap());
        let later = from + SignedDuration::from_millis(later_ms);
        prop_assert!(cal.add(from, s1).unwrap() <= cal.add(later, s1).unwrap());
    }

    #[test]
    fn between_is_additive(c in 0usize..3, a in instant(), b in instant(), d in instant()) {
        let cal = calendars()[c];
        let ab = cal.between(a, b).unwrap();
        let bd = cal.between(b, d).unwrap();
        prop_assert_eq!(ab + bd, cal.between(a, d).unwrap());
        prop_assert_eq!(cal.between(b, a).unwrap(), -ab);
    }

    #[test]
    fn next_working_is_the_first_working_instant(c in 0usize..3, t in instant()) {
        let cal = calendars()[c];
        let next = cal.next_working(t).unwrap();
        prop_assert!(cal.is_working(next));
        prop_assert_eq!(next == t, cal.is_working(t));
        prop_assert_eq!(cal.between(t, next).unwrap(), SignedDuration::ZERO);
    }

    #[test]
    fn holiday_csv_round_trips(days in proptest::collection::btree_map(
        (2024i16..2027, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| date(y, m, d)),
        (any::<bool>(), "[a-z\u{4e00}-\u{4e20} ,\"]{1,12}", 0i8..7),
        0..40,
    )) {
        let mut set = HolidaySet { name: "x".into(), ..HolidaySet::default() };
        for y in 2024..2027 {
            set.years.insert(y, format!("notice, \"{y}\""));
        }
        for (day, (work, name, w)) in days {
            let name = if name.trim().is_empty() { "x".to_owned() } else { name.trim().to_owned() };
            let rule = if work {
                DayRule::Work { name, hours_of: Weekday::from_monday_zero_offset(w).unwrap() }
            } else {
                DayRule::Off { name }
            };
            set.days.insert(day, rule);
        }
        prop_assert_eq!(HolidaySet::parse_csv("x", &set.to_csv()).unwrap(), set);
    }
}

// ---- Holiday data ------------------------------------------------------------------------------

#[test]
fn bundled_cn_data_matches_the_notices() {
    let cn = HolidaySet::cn();
    assert_eq!(cn.years.keys().copied().collect::<Vec<_>>(), [2024, 2025, 2026]);
    assert!(cn.years[&2025].contains("国办发明电〔2024〕12号"));
    let off = |set: &HolidaySet| set.days.values().filter(|r| matches!(r, DayRule::Off { .. })).count();
    let work = |set: &HolidaySet| set.days.values().filter(|r| matches!(r, DayRule::Work { .. })).count();
    // 2024: 1 + 8 + 3 + 5 + 1 + 3 + 7 days off; 2025: 1 + 8 + 3 + 5 + 3 + 8; 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7.
    assert_eq!(off(&cn), 28 + 28 + 33);
    assert_eq!(work(&cn), 8 + 5 + 6);
    for (day, rule) in &cn.days {
        match rule {
            // Every make-up day falls on a weekend, every day off is named.
            DayRule::Work { hours_of, .. } => {
                assert!(matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday), "{day}");
                assert_eq!(*hours_of, Weekday::Monday);
            }
            DayRule::Off { name } => assert!(!name.is_empty()),
        }
    }
    assert_eq!(cn.days[&date(2026, 1, 4)], DayRule::Work { name: "元旦调休上班".into(), hours_of: Weekday::Monday });
}

#[test]
fn bundled_cn_data_round_trips_through_csv() {
    let cn = HolidaySet::cn();
    let text = cn.to_csv();
    assert!(text.contains("off,2025-10-01..2025-10-08,国庆节、中秋节,"), "{text}");
    assert_eq!(HolidaySet::parse_csv("cn", &text).unwrap(), cn);
}

fn csv_error(text: &str) -> String {
    HolidaySet::parse_csv("t", text).unwrap_err().message(Lang::En)
}

#[test]
fn csv_errors_name_the_line() {
    let head = "# comment\nsource,2025,\"notice, 2025\"\n";
    assert!(csv_error(&format!("{head}off,2025-13-01,x")).contains("line 3:"));
    assert!(csv_error(&format!("{head}\nholiday,2025-10-01,x")).contains("line 4:"));
    assert!(csv_error(&format!("{head}off,2025-10-08..2025-10-01,x")).contains("line 3: the range ends before"));
    assert!(csv_error(&format!("{head}work,2025-09-28,x,someday")).contains("line 3: hours_of"));
    assert!(csv_error(&format!("{head}off,2025-10-01,\"x")).contains("line 3: unbalanced quotes"));
    assert!(csv_error(&format!("{head}off,2025-10-01")).contains("line 3:"));
    assert!(csv_error(&format!("{head}off,2025-10-01,a\noff,2025-10-01,b")).contains("line 4: 2025-10-01"));
    assert!(csv_error(&format!("{head}off,2027-10-01,x")).contains("line 3: year 2027 has no source line"));
    assert!(csv_error("source,25,x").contains("line 1:"));
    let zh = HolidaySet::parse_csv("t", &format!("{head}off,2025-13-01,x")).unwrap_err().message(Lang::Zh);
    assert!(zh.contains("第 3 行"), "{zh}");
}

#[test]
fn csv_accepts_quotes_header_and_weekday_names() {
    let text = "kind,date,name,hours_of\nsource,2025,\"A \"\"quoted\"\", notice\"\n\n# note\n\
                work , 2025-09-28 , \"调休, 上班\" , Friday\noff,2025-10-01..2025-10-02,国庆节,\n";
    let set = HolidaySet::parse_csv("t", text).unwrap();
    assert_eq!(set.years[&2025], "A \"quoted\", notice");
    assert_eq!(set.days[&date(2025, 9, 28)], DayRule::Work { name: "调休, 上班".into(), hours_of: Weekday::Friday });
    assert_eq!(set.days.len(), 3);
    assert_eq!(HolidaySet::parse_csv("t", &set.to_csv()).unwrap(), set);
}

#[test]
fn merge_replaces_the_years_the_other_set_covers() {
    let mut cn = HolidaySet::cn();
    let update = HolidaySet::parse_csv(
        "cn",
        "source,2026,corrected notice\noff,2026-01-01,元旦\nsource,2027,next notice\noff,2027-01-01,元旦\n",
    )
    .unwrap();
    cn.merge(update);
    assert_eq!(cn.years.keys().copied().collect::<Vec<_>>(), [2024, 2025, 2026, 2027]);
    assert_eq!(cn.years[&2026], "corrected notice");
    assert_eq!(cn.days.keys().filter(|d| d.year() == 2026).count(), 1);
    assert!(cn.days.contains_key(&date(2027, 1, 1)));
    assert!(cn.days.contains_key(&date(2025, 10, 8)), "2025 is untouched");
}

const ICS: &str = "BEGIN:VCALENDAR\r\n\
VERSION:2.0\r\n\
BEGIN:VEVENT\r\n\
DTSTART;VALUE=DATE:20251001\r\n\
DTEND;VALUE=DATE:20251009\r\n\
SUMMARY:国庆节、中秋节 \r\n 休\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
DTSTART;VALUE=DATE:20250928\r\n\
SUMMARY:国庆节补班\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
DTSTART;TZID=Asia/Shanghai:20251011T090000\r\n\
DTEND;TZID=Asia/Shanghai:20251011T170000\r\n\
SUMMARY:Make-up workday\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
DTSTART:20260101\r\n\
SUMMARY:New Year\\, observed\r\n\
X-AFTERSALES-KIND:off\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
DTSTART:20260104\r\n\
SUMMARY:元旦\r\n\
X-AFTERSALES-KIND:work\r\n\
END:VEVENT\r\n\
END:VCALENDAR\r\n";

#[test]
fn ics_import_reads_days_off_and_make_up_days() {
    let set = HolidaySet::parse_ics("cn", ICS, "imported feed").unwrap();
    assert_eq!(set.years.keys().copied().collect::<Vec<_>>(), [2025, 2026]);
    assert_eq!(set.years[&2025], "imported feed");
    let off: Vec<_> = set.days.iter().filter(|(_, r)| matches!(r, DayRule::Off { .. })).map(|(d, _)| *d).collect();
    assert_eq!(off.len(), 8 + 1);
    assert_eq!(off[0], date(2025, 10, 1));
    assert_eq!(off[7], date(2025, 10, 8));
    assert_eq!(set.days[&date(2025, 10, 1)], DayRule::Off { name: "国庆节、中秋节 休".into() });
    assert_eq!(set.days[&date(2025, 9, 28)], DayRule::Work { name: "国庆节补班".into(), hours_of: Weekday::Monday });
    assert!(matches!(set.days[&date(2025, 10, 11)], DayRule::Work { .. }), "a timed event on one day");
    assert_eq!(set.days[&date(2026, 1, 1)], DayRule::Off { name: "New Year, observed".into() });
    assert!(matches!(set.days[&date(2026, 1, 4)], DayRule::Work { .. }));
    assert!(!set.days.contains_key(&date(2025, 10, 9)), "DTEND is exclusive");

    // The imported set gives the same answers as the bundled data for those days.
    let cal = Calendar::compile(&CalendarSpec::cn_default(), Some(&set)).unwrap();
    assert_eq!(cal.add(at("2025-09-30T16:00+08:00"), hours(4)).unwrap(), at("2025-10-09T11:00+08:00"));
    assert!(cal.is_working(at("2025-09-28T09:00+08:00")));
}

#[test]
fn ics_errors_name_the_line() {
    let no_event = HolidaySet::parse_ics("cn", "BEGIN:VCALENDAR\nEND:VCALENDAR\n", "s").unwrap_err();
    assert!(no_event.message(Lang::En).contains("no VEVENT"));
    let bad = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nDTSTART;VALUE=DATE:20251301\nEND:VEVENT\nEND:VCALENDAR\n";
    assert!(HolidaySet::parse_ics("cn", bad, "s").unwrap_err().message(Lang::En).contains("line 4:"));
    let unterminated = "BEGIN:VEVENT\nDTSTART:20251001\n";
    assert!(HolidaySet::parse_ics("cn", unterminated, "s").unwrap_err().message(Lang::En).contains("line 1:"));
    let no_start = "BEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\n";
    assert!(HolidaySet::parse_ics("cn", no_start, "s").unwrap_err().message(Lang::En).contains("DTSTART"));
}

// ---- Specs -------------------------------------------------------------------------------------

#[test]
fn spec_json_spells_times_and_end_of_day() {
    let json = serde_json::to_value(CalendarSpec::around_the_clock("plant")).unwrap();
    assert_eq!(json["week"][0][0], serde_json::json!({"start": "00:00", "end": "24:00"}));
    assert_eq!(json["time_zone"], "Asia/Shanghai");
    let cn = serde_json::to_string(&CalendarSpec::cn_default()).unwrap();
    assert!(cn.contains(r#"{"start":"08:30","end":"12:00"}"#), "{cn}");
    assert_eq!(serde_json::from_str::<CalendarSpec>(&cn).unwrap(), CalendarSpec::cn_default());
    let minimal: CalendarSpec =
        serde_json::from_str(r#"{"name":"x","week":[[{"start":"22:00","end":"24:00"}],[],[],[],[],[],[]]}"#).unwrap();
    assert_eq!(minimal.time_zone, "Asia/Shanghai");
    assert_eq!(minimal.week[0][0], Interval::hm(22, 0, 24, 0));
    assert!(serde_json::from_str::<Interval>(r#"{"start":"24:00","end":"24:00"}"#).is_err());
    // A one-digit hour is read as people write it, and written back with two.
    let early: Interval = serde_json::from_str(r#"{"start":"8:30","end":"12:00"}"#).unwrap();
    assert_eq!(serde_json::to_value(early).unwrap(), serde_json::json!({"start": "08:30", "end": "12:00"}));
    assert!(serde_json::from_str::<Interval>(r#"{"start":"8:3","end":"12:00"}"#).is_err());

    let set = HolidaySet::cn();
    let back: HolidaySet = serde_json::from_str(&serde_json::to_string(&set).unwrap()).unwrap();
    assert_eq!(back, set);
    let rule = serde_json::to_value(&set.days[&date(2025, 9, 28)]).unwrap();
    assert_eq!(rule, serde_json::json!({"kind": "work", "name": "国庆节、中秋节调休上班", "hours_of": "monday"}));
}

#[test]
fn spec_validation_names_the_field() {
    assert!(CalendarSpec::cn_default().validate().is_ok());
    assert!(CalendarSpec::around_the_clock("plant-2").validate().is_ok());
    let with = |f: fn(&mut CalendarSpec)| {
        let mut spec = CalendarSpec::cn_default();
        f(&mut spec);
        spec.validate().err().map(|e| field_of(&e)).unwrap_or_default()
    };
    assert_eq!(with(|s| s.name = "Shanghai Plant".into()), ["name"]);
    assert_eq!(with(|s| s.name = String::new()), ["name"]);
    assert_eq!(with(|s| s.name = "x".repeat(33)), ["name"]);
    assert_eq!(with(|s| s.time_zone = "Asia/Beijing".into()), ["time_zone"]);
    assert_eq!(with(|s| s.week.truncate(5)), ["week"]);
    assert_eq!(with(|s| s.week[0] = vec![Interval::hm(12, 0, 8, 30)]), ["week"]);
    assert_eq!(with(|s| s.week[0] = vec![Interval::hm(9, 0, 9, 0)]), ["week"]);
    assert_eq!(with(|s| s.week[2] = vec![Interval::hm(13, 30, 17, 30), Interval::hm(8, 30, 12, 0)]), ["week"]);
    assert_eq!(with(|s| s.week[2] = vec![Interval::hm(8, 30, 12, 0), Interval::hm(11, 0, 17, 30)]), ["week"]);
    assert_eq!(with(|s| s.week = vec![vec![]; 7]), ["week"]);
    assert_eq!(with(|s| s.holiday_set = Some("CN!".into())), ["holiday_set"]);
    assert_eq!(
        with(|s| {
            s.name = "?".into();
            s.time_zone = "Mars/Olympus".into();
        }),
        ["name", "time_zone"]
    );
    // Touching intervals are fine.
    assert_eq!(with(|s| s.week[0] = vec![Interval::hm(8, 0, 12, 0), Interval::hm(12, 0, 24, 0)]), Vec::<&str>::new());
    assert!(Calendar::compile(&CalendarSpec { week: vec![], ..CalendarSpec::cn_default() }, None).is_err());
}

// ---- parse_span --------------------------------------------------------------------------------

#[test]
fn parse_span_reads_days_hours_and_minutes() {
    let day = mins(7 * 60);
    assert_eq!(parse_span("90m", day).unwrap(), mins(90));
    assert_eq!(parse_span("4h", day).unwrap(), hours(4));
    assert_eq!(parse_span("3d", day).unwrap(), hours(21));
    assert_eq!(parse_span("1h30m", day).unwrap(), mins(90));
    assert_eq!(parse_span("2d4h", day).unwrap(), hours(18));
    assert_eq!(parse_span(" 1d 2h 3m ", day).unwrap(), mins(7 * 60 + 123));
    assert_eq!(parse_span("5D", hours(24)).unwrap(), hours(120));
    assert_eq!(parse_span("3650d", day).unwrap(), hours(7 * 3650));
}

#[test]
fn parse_span_refuses_nonsense_naming_working() {
    let day = mins(7 * 60);
    for bad in [
        "",
        "  ",
        "90",
        "0m",
        "0d0h",
        "-1h",
        "1.5h",
        "h",
        "3w",
        "1m1h",
        "1h1h",
        "3651d",
        "1d 90",
        "4h!",
        "99999999999m",
    ] {
        let err = parse_span(bad, day).unwrap_err();
        assert_eq!(field_of(&err), ["working"], "{bad:?}");
    }
    assert!(parse_span("1d", SignedDuration::ZERO).is_err());
    assert!(parse_span("90", day).unwrap_err().message(Lang::Zh).contains("时长"));
}
