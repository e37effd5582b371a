//! Business calendars (DOMAIN §4): working hours, holidays and make-up working days, the
//! import of a holiday set, and a check of what the clocks would count.

use std::collections::BTreeSet;

use aftersales_app::AppError;
use aftersales_app::clocks::{CalendarInfo, HolidayImport};
use aftersales_domain::calendar::{
    CalendarSpec, DayRule, HolidaySet, Interval, WEEKDAY_NAMES, clock_text, weekday_from_name, weekday_index,
};
use aftersales_domain::error::Reason;
use aftersales_domain::grading::Counting;
use aftersales_domain::permission::Action;
use aftersales_domain::{DomainError, Lang};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Date;
use serde::Deserialize;

use super::form::{self, Choice, app_err, choices, parse_date, require, text};
use super::shared::{chosen, field_problem, on_form};
use crate::AppState;
use crate::pages::Posted;
use crate::pages::layout::Nav;
use crate::pages::view::{DATETIME_LOCAL, L, Length, datetime_local};
use crate::pages::{PageError, Signed, form_urlencode, render};

// ----- calendars -----

pub(crate) fn weekday_label(l: &L, i: usize) -> &'static str {
    const ZH: [&str; 7] = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"];
    const EN: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    if l.is_en() { EN[i % 7] } else { ZH[i % 7] }
}

/// A day's working hours for reading.
pub(crate) fn hours_text(l: &L, day: &[Interval]) -> String {
    if day.is_empty() {
        return l.t("admin.catalog.day_off").to_owned();
    }
    day.iter()
        .map(|iv| format!("{}–{}", clock_text(iv.start, false), clock_text(iv.end, true)))
        .collect::<Vec<_>>()
        .join(l.t("common.sep_2"))
}

/// The week in one line: `星期一至星期五 08:30–12:00、13:30–17:30；星期六至星期日 休息`.
pub(crate) fn week_summary(l: &L, week: &[Vec<Interval>]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < week.len() {
        let mut j = i;
        while j + 1 < week.len() && week[j + 1] == week[i] {
            j += 1;
        }
        let days = match j - i {
            0 => weekday_label(l, i).to_owned(),
            1 => format!("{}{}{}", weekday_label(l, i), l.t("common.sep_2"), weekday_label(l, j)),
            _ => format!("{}{}{}", weekday_label(l, i), l.t("admin.catalog.words"), weekday_label(l, j)),
        };
        parts.push(format!("{days} {}", hours_text(l, &week[i])));
        i = j + 1;
    }
    parts.join(l.t("common.sep"))
}

pub(crate) struct CalendarRow {
    pub(crate) name: String,
    pub(crate) region: String,
    pub(crate) time_zone: String,
    pub(crate) holiday_set: String,
    pub(crate) week: String,
    pub(crate) day: String,
    pub(crate) years: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct NewCalendarForm {
    pub(crate) name: String,
    pub(crate) region: String,
    /// `copy:<name>` (the hours and holidays of that calendar) or `around` (every minute counts).
    pub(crate) template: String,
}

#[derive(Template)]
#[template(path = "admin/calendars.html")]
pub(crate) struct CalendarsPage<'a> {
    pub(crate) l: &'a L,
    pub(crate) nav: Option<Nav>,
    pub(crate) calendars: Vec<CalendarRow>,
    pub(crate) templates: Vec<Choice>,
    pub(crate) f: NewCalendarForm,
    pub(crate) message: Option<String>,
    pub(crate) error: Option<String>,
}

pub(crate) fn day_text(l: &L, minutes: i64) -> String {
    l.length(minutes, Length::Rule(Counting::WorkingTime))
}

pub(crate) async fn calendars_page(
    s: &AppState,
    who: &Signed,
    f: NewCalendarForm,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(who, Action::ManageServicePolicy)?;
    let list = s.app.calendars(&who.actor).await.map_err(app_err(l))?;
    let none = l.t("common.none_2");
    let calendars: Vec<CalendarRow> = list
        .iter()
        .map(|c| CalendarRow {
            name: c.spec.name.clone(),
            region: c.spec.region.clone().unwrap_or_else(|| none.to_owned()),
            time_zone: c.spec.time_zone.clone(),
            holiday_set: c.spec.holiday_set.clone().unwrap_or_else(|| none.to_owned()),
            week: week_summary(l, &c.spec.week),
            day: day_text(l, c.day_minutes),
            years: c.holiday_years.keys().map(|y| y.to_string()).collect::<Vec<_>>().join(", "),
        })
        .collect();
    let selected = if f.template.is_empty() { "copy:cn".to_owned() } else { f.template.clone() };
    let templates = choices(
        list.iter()
            .map(|c| {
                let label = if l.is_en() {
                    format!("Same hours and holidays as {}", c.spec.name)
                } else {
                    format!("与 {} 相同的工作时间和节假日", c.spec.name)
                };
                (format!("copy:{}", c.spec.name), label)
            })
            .chain([("around".to_owned(), l.t("admin.catalog.around_the_clock_no_holidays").to_owned())]),
        &selected,
    );
    let nav = Some(Nav::of(s, who, "admin").await);
    Ok((status, render(&CalendarsPage { l, nav, calendars, templates, f, message: None, error })).into_response())
}

pub(crate) async fn calendars(State(s): State<AppState>, who: Signed) -> Result<Response, PageError> {
    calendars_page(&s, &who, NewCalendarForm::default(), None, StatusCode::OK).await
}

pub(crate) async fn create_calendar(
    State(s): State<AppState>,
    Posted { who, form: f }: Posted<NewCalendarForm>,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(&who, Action::ManageServicePolicy)?;
    let name = f.name.trim().to_owned();
    let template = match f.template.strip_prefix("copy:") {
        Some(from) => match s.app.calendar_info(&who.actor, from).await {
            Ok(c) => Ok(c.spec),
            // A calendar to copy that is not there (removed meanwhile, or a forged form).
            Err(AppError::NotFound { .. }) => Err(DomainError::field("template", Reason::Unknown).into()),
            Err(e) => Err(e),
        },
        None if f.template == "around" => Ok(CalendarSpec::around_the_clock(&name)),
        None if f.template.trim().is_empty() => Err(DomainError::field("template", Reason::Missing).into()),
        None => Err(DomainError::field("template", Reason::Unknown).into()),
    };
    let result = match template {
        Ok(spec) => {
            let spec = CalendarSpec { name: name.clone(), region: text(&f.region), ..spec };
            s.app.create_calendar(&who.actor, &spec).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => {
            Ok(Redirect::to(&format!("/admin/calendars/{}?done=created", form_urlencode(&c.spec.name))).into_response())
        }
        Err(e) => {
            let (error, status) = on_form(e, l)?;
            calendars_page(&s, &who, f, Some(error), status).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct HoursForm {
    pub(crate) d0: String,
    pub(crate) d1: String,
    pub(crate) d2: String,
    pub(crate) d3: String,
    pub(crate) d4: String,
    pub(crate) d5: String,
    pub(crate) d6: String,
    pub(crate) time_zone: String,
    pub(crate) region: String,
    pub(crate) holiday_set: String,
}

impl HoursForm {
    pub(crate) fn days(&self) -> [&String; 7] {
        [&self.d0, &self.d1, &self.d2, &self.d3, &self.d4, &self.d5, &self.d6]
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct HolidayForm {
    /// `off` or `work`.
    pub(crate) kind: String,
    pub(crate) first: String,
    pub(crate) last: String,
    pub(crate) name: String,
    pub(crate) hours_of: String,
    pub(crate) source: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ImportForm {
    pub(crate) format: String,
    pub(crate) data: String,
    pub(crate) source: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CalendarQuery {
    pub(crate) done: String,
    pub(crate) year: String,
    /// The clock check: `YYYY-MM-DDTHH:MM` in the calendar's zone, and a span.
    pub(crate) from: String,
    pub(crate) working: String,
    pub(crate) days: String,
    pub(crate) tickets: String,
}

/// The forms of the calendar page, as entered, and what refused each.
#[derive(Default)]
pub(crate) struct CalendarForms {
    pub(crate) hours: Option<HoursForm>,
    pub(crate) holiday: HolidayForm,
    pub(crate) import: ImportForm,
    pub(crate) hours_error: Option<String>,
    pub(crate) holiday_error: Option<String>,
    pub(crate) import_error: Option<String>,
}

pub(crate) struct DayRow {
    pub(crate) index: usize,
    pub(crate) label: &'static str,
    pub(crate) hours: String,
    pub(crate) value: String,
}

/// Consecutive days with the same rule.
pub(crate) struct HolidayRun {
    pub(crate) first: String,
    pub(crate) last: String,
    pub(crate) when: String,
    pub(crate) days: i32,
    pub(crate) work: bool,
    pub(crate) kind: String,
    pub(crate) name: String,
}

/// The "what does the clock say" check.
#[derive(Default)]
pub(crate) struct Check {
    pub(crate) from: String,
    pub(crate) working: String,
    pub(crate) due: Option<String>,
    pub(crate) minutes: String,
    pub(crate) warnings: Vec<String>,
    pub(crate) error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/calendar.html")]
pub(crate) struct CalendarPage<'a> {
    pub(crate) l: &'a L,
    pub(crate) nav: Option<Nav>,
    pub(crate) csrf: String,
    pub(crate) name: String,
    pub(crate) time_zone: String,
    pub(crate) region: String,
    pub(crate) holiday_set: Option<String>,
    pub(crate) day: String,
    pub(crate) week: Vec<DayRow>,
    pub(crate) sets: Vec<Choice>,
    pub(crate) shared_with: Vec<String>,
    pub(crate) sources: Vec<(i16, String)>,
    pub(crate) missing_years: Vec<i16>,
    pub(crate) year: i16,
    pub(crate) years: Vec<i16>,
    pub(crate) holidays: Vec<HolidayRun>,
    pub(crate) kinds: Vec<Choice>,
    pub(crate) weekdays: Vec<Choice>,
    pub(crate) formats: Vec<Choice>,
    pub(crate) check: Check,
    pub(crate) f: CalendarForms,
    pub(crate) message: Option<String>,
}

pub(crate) fn date_text(l: &L, d: Date) -> String {
    let w = weekday_label(l, weekday_index(d.weekday()));
    if l.is_en() { format!("{d} ({w})") } else { format!("{d}（{w}）") }
}

pub(crate) fn holiday_runs(l: &L, set: &HolidaySet, year: i16) -> Vec<HolidayRun> {
    let (Ok(from), Ok(to)) = (Date::new(year, 1, 1), Date::new(year, 12, 31)) else { return Vec::new() };
    let mut runs: Vec<(Date, Date, &DayRule)> = Vec::new();
    for (d, r) in set.days.range(from..=to) {
        match runs.last_mut() {
            Some(last) if last.2 == r && last.1.tomorrow().ok() == Some(*d) => last.1 = *d,
            _ => runs.push((*d, *d, r)),
        }
    }
    runs.into_iter()
        .map(|(first, last, rule)| {
            let when = if first == last {
                date_text(l, first)
            } else {
                format!("{} {} {}", date_text(l, first), l.t("admin.catalog.to"), date_text(l, last))
            };
            let (work, kind, name) = match rule {
                DayRule::Off { name } => (false, l.t("admin.catalog.day_off_2").to_owned(), name.clone()),
                DayRule::Work { name, hours_of } => {
                    let kind = if l.is_en() {
                        format!("Make-up working day (hours of {})", weekday_label(l, weekday_index(*hours_of)))
                    } else {
                        format!("调休上班（按{}的工作时间）", weekday_label(l, weekday_index(*hours_of)))
                    };
                    (true, kind, name.clone())
                }
            };
            HolidayRun {
                first: first.to_string(),
                last: last.to_string(),
                when,
                days: (last - first).get_days() + 1,
                work,
                kind,
                name,
            }
        })
        .collect()
}

pub(crate) fn calendar_tz(s: &AppState, info: &CalendarInfo) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(&info.spec.time_zone).unwrap_or_else(|_| s.app.settings().time_zone.clone())
}

pub(crate) async fn run_check(
    s: &AppState,
    who: &Signed,
    info: &CalendarInfo,
    q: &CalendarQuery,
) -> Result<Check, PageError> {
    let l = &who.l;
    let tz = calendar_tz(s, info);
    let now = s.app.now().to_zoned(tz.clone()).strftime(DATETIME_LOCAL).to_string();
    let mut check = Check {
        from: if q.from.trim().is_empty() { now } else { q.from.trim().to_owned() },
        working: if q.working.trim().is_empty() { "4h".into() } else { q.working.trim().to_owned() },
        ..Check::default()
    };
    if q.working.trim().is_empty() {
        return Ok(check);
    }
    let from = datetime_local(&check.from, &tz);
    let Some(from) = from else {
        check.error = Some(field_problem(
            "from",
            &Reason::Malformed {
                expected_en: "a date and time such as 2025-09-30T16:00",
                expected_zh: "日期和时间，如 2025-09-30T16:00",
            },
            l,
        ));
        return Ok(check);
    };
    match s.app.calendar_add(&who.actor, &info.spec.name, from, &check.working).await {
        Ok(a) => {
            check.due = a.due.as_deref().and_then(|d| d.parse::<jiff::Timestamp>().ok()).map(|t| {
                let z = t.to_zoned(tz.clone());
                format!("{} {}", date_text(l, z.date()), z.strftime("%H:%M"))
            });
            check.minutes = day_text(l, a.working_minutes);
            check.warnings = a.warnings.iter().map(|w| w.message(l.lang)).collect();
        }
        Err(e) => check.error = Some(on_form(e, l)?.0),
    }
    Ok(check)
}

pub(crate) async fn calendar_page(
    s: &AppState,
    who: &Signed,
    name: &str,
    q: &CalendarQuery,
    f: CalendarForms,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(who, Action::ManageServicePolicy)?;
    let info = s.app.calendar_info(&who.actor, name).await.map_err(app_err(l))?;
    let tz = calendar_tz(s, &info);
    let this_year = s.app.now().to_zoned(tz).year();
    let year = q.year.trim().parse::<i16>().ok().filter(|y| (2000..=2099).contains(y)).unwrap_or(this_year);
    let set = match &info.spec.holiday_set {
        Some(n) => s.app.holiday_set(&who.actor, n).await.ok(),
        None => None,
    };
    let holidays = set.as_ref().map(|set| holiday_runs(l, set, year)).unwrap_or_default();
    let mut years: BTreeSet<i16> = info.holiday_years.keys().copied().collect();
    years.extend([this_year, year]);
    let missing_years = match &info.spec.holiday_set {
        Some(_) => [this_year, this_year + 1].into_iter().filter(|y| !info.holiday_years.contains_key(y)).collect(),
        None => Vec::new(),
    };
    let shared_with = match &info.spec.holiday_set {
        Some(set) => s
            .app
            .calendars(&who.actor)
            .await
            .map_err(app_err(l))?
            .into_iter()
            .filter(|c| c.spec.holiday_set.as_ref() == Some(set) && c.spec.name != info.spec.name)
            .map(|c| c.spec.name)
            .collect(),
        None => Vec::new(),
    };
    let hours = f.hours.unwrap_or_else(|| {
        let d = |i: usize| info.spec.week.get(i).map(|d| Interval::day_text(d)).unwrap_or_default();
        HoursForm {
            d0: d(0),
            d1: d(1),
            d2: d(2),
            d3: d(3),
            d4: d(4),
            d5: d(5),
            d6: d(6),
            time_zone: info.spec.time_zone.clone(),
            region: info.spec.region.clone().unwrap_or_default(),
            holiday_set: info.spec.holiday_set.clone().unwrap_or_default(),
        }
    });
    let week = (0..7)
        .map(|i| DayRow {
            index: i,
            label: weekday_label(l, i),
            hours: hours_text(l, info.spec.week.get(i).map_or(&[][..], |d| d.as_slice())),
            value: hours.days()[i].clone(),
        })
        .collect();
    let set_names = s.app.holiday_set_names(&who.actor).await.map_err(app_err(l))?;
    let sets = choices(
        std::iter::once((String::new(), l.t("admin.catalog.no_holiday_set").to_owned()))
            .chain(set_names.into_iter().map(|n| (n.clone(), n))),
        &hours.holiday_set,
    );
    let kind = if f.holiday.kind.is_empty() { "off" } else { f.holiday.kind.as_str() };
    let kinds = choices(
        [
            ("off".to_owned(), l.t("admin.catalog.day_off_2").to_owned()),
            ("work".to_owned(), l.t("admin.catalog.make_up_working_day").to_owned()),
        ],
        kind,
    );
    let hours_of = if f.holiday.hours_of.is_empty() { "monday" } else { f.holiday.hours_of.as_str() };
    let weekdays = choices((0..7).map(|i| (WEEKDAY_NAMES[i].to_owned(), weekday_label(l, i).to_owned())), hours_of);
    let format = if f.import.format.is_empty() { "csv" } else { f.import.format.as_str() };
    let formats = choices(
        [
            ("csv".to_owned(), l.t("admin.catalog.csv_the_format_of_the_shipped").to_owned()),
            ("ics".to_owned(), l.t("admin.catalog.icalendar_ics_file").to_owned()),
        ],
        format,
    );
    let check = run_check(s, who, &info, q).await?;
    let n = |t: &str| t.parse::<u64>().unwrap_or(0);
    let message = match q.done.as_str() {
        "created" => Some(l.t("admin.catalog.the_calendar_is_created_check_its").to_owned()),
        "saved" => Some(l.t("admin.catalog.the_working_hours_are_saved_open").to_owned()),
        "holiday" | "removed" | "imported" => Some(match (l.lang, q.done.as_str()) {
            (Lang::Zh, "holiday") => format!("节假日安排已保存；{} 张未结工单已重新计算时限。", n(&q.tickets)),
            (Lang::Zh, "removed") => format!("该安排已删除；{} 张未结工单已重新计算时限。", n(&q.tickets)),
            (Lang::Zh, _) => format!("已导入 {} 天的安排；{} 张未结工单已重新计算时限。", n(&q.days), n(&q.tickets)),
            (Lang::En, "holiday") => {
                format!("The holiday is saved; {} open tickets had their deadlines recomputed.", n(&q.tickets))
            }
            (Lang::En, "removed") => {
                format!("The entry is removed; {} open tickets had their deadlines recomputed.", n(&q.tickets))
            }
            (Lang::En, _) => {
                format!("{} days imported; {} open tickets had their deadlines recomputed.", n(&q.days), n(&q.tickets))
            }
        }),
        _ => None,
    };
    let f = CalendarForms { hours: Some(hours), ..f };
    let nav = Some(Nav::of(s, who, "admin").await);
    let page = CalendarPage {
        l,
        nav,
        csrf: who.csrf.clone(),
        name: info.spec.name.clone(),
        time_zone: info.spec.time_zone.clone(),
        region: info.spec.region.clone().unwrap_or_default(),
        holiday_set: info.spec.holiday_set.clone(),
        day: day_text(l, info.day_minutes),
        week,
        sets,
        shared_with,
        sources: info.holiday_years.iter().map(|(y, s)| (*y, s.clone())).collect(),
        missing_years,
        year,
        years: years.into_iter().collect(),
        holidays,
        kinds,
        weekdays,
        formats,
        check,
        f,
        message,
    };
    Ok((status, render(&page)).into_response())
}

pub(crate) async fn calendar(
    State(s): State<AppState>,
    who: Signed,
    Path(name): Path<String>,
    Query(q): Query<CalendarQuery>,
) -> Result<Response, PageError> {
    calendar_page(&s, &who, &name, &q, CalendarForms::default(), StatusCode::OK).await
}

pub(crate) fn calendar_url(name: &str, query: &str) -> String {
    format!("/admin/calendars/{}?{query}", form_urlencode(name))
}

pub(crate) async fn save_hours(
    State(s): State<AppState>,
    Path(name): Path<String>,
    Posted { who, form: f }: Posted<HoursForm>,
) -> Result<Response, PageError> {
    let l = &who.l;
    let mut week = Vec::new();
    let mut bad = Vec::new();
    for (i, text) in f.days().into_iter().enumerate() {
        match Interval::parse_day(text) {
            Ok(day) => week.push(day),
            Err(why) => bad.push(form::field_problem(weekday_label(l, i), &why, l.lang)),
        }
    }
    let result = if bad.is_empty() {
        let spec = CalendarSpec {
            name: name.clone(),
            time_zone: f.time_zone.trim().to_owned(),
            week,
            holiday_set: text(&f.holiday_set),
            region: text(&f.region),
        };
        // Only an existing calendar is edited here (a new one is created from the list).
        match s.app.calendar_info(&who.actor, &name).await {
            Ok(_) => s.app.put_calendar(&who.actor, &spec).await.map(|_| ()),
            Err(e) => Err(e),
        }
    } else {
        Ok(())
    };
    let error = match result {
        Ok(()) if bad.is_empty() => return Ok(Redirect::to(&calendar_url(&name, "done=saved")).into_response()),
        Ok(()) => (
            format!("{}{}", l.t("admin.catalog.please_correct"), bad.join(l.t("common.sep"))),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => on_form(e, l)?,
    };
    let forms = CalendarForms { hours: Some(f), hours_error: Some(error.0), ..CalendarForms::default() };
    calendar_page(&s, &who, &name, &CalendarQuery::default(), forms, error.1).await
}

/// The holiday set a calendar observes, or the refusal to edit holidays of one that has none.
pub(crate) async fn observed_set(
    s: &AppState,
    who: &Signed,
    name: &str,
) -> Result<Result<String, AppError>, PageError> {
    let info = s.app.calendar_info(&who.actor, name).await.map_err(app_err(&who.l))?;
    Ok(info.spec.holiday_set.ok_or_else(|| {
        DomainError::field(
            "holiday_set",
            Reason::Mismatch {
                detail_en: "this calendar observes no holiday set: choose one under working hours first",
                detail_zh: "此日历未采用节假日表，请先在工作时间中选择节假日表",
            },
        )
        .into()
    }))
}

pub(crate) async fn add_holidays(
    State(s): State<AppState>,
    Path(name): Path<String>,
    Posted { who, form: f }: Posted<HolidayForm>,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(&who, Action::ManageServicePolicy)?;
    let set = observed_set(&s, &who, &name).await?;
    let result = async {
        let set = set?;
        let first = parse_date("first", &f.first)?;
        let last = if f.last.trim().is_empty() { first } else { parse_date("last", &f.last)? };
        let label = f.name.trim().to_owned();
        let rule = match f.kind.trim() {
            "work" => {
                let hours_of = chosen("hours_of", &f.hours_of, weekday_from_name)
                    .map_err(|(field, why)| DomainError::field(field, why))?;
                DayRule::Work { name: label, hours_of }
            }
            "off" => DayRule::Off { name: label },
            "" => return Err(DomainError::field("kind", Reason::Missing).into()),
            _ => return Err(DomainError::field("kind", Reason::Unknown).into()),
        };
        let source = Some(f.source.as_str()).filter(|t| !t.trim().is_empty());
        s.app.edit_holidays(&who.actor, &set, first, last, Some(&rule), source).await.map(|r| (first, r))
    }
    .await;
    match result {
        Ok((first, r)) => {
            let q = format!("year={}&done=holiday&tickets={}", first.year(), r.tickets_recomputed);
            Ok(Redirect::to(&calendar_url(&name, &q)).into_response())
        }
        Err(e) => {
            let (error, status) = on_form(e, l)?;
            let forms = CalendarForms { holiday_error: Some(error), holiday: f, ..CalendarForms::default() };
            let year = forms.holiday.first.get(..4).unwrap_or_default().to_owned();
            let q = CalendarQuery { year, ..CalendarQuery::default() };
            calendar_page(&s, &who, &name, &q, forms, status).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RemoveForm {
    pub(crate) first: String,
    pub(crate) last: String,
}

pub(crate) async fn remove_holidays(
    State(s): State<AppState>,
    Path(name): Path<String>,
    Posted { who, form: f }: Posted<RemoveForm>,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(&who, Action::ManageServicePolicy)?;
    let set = observed_set(&s, &who, &name).await?;
    let result = async {
        let set = set?;
        let first = parse_date("first", &f.first)?;
        let last = if f.last.trim().is_empty() { first } else { parse_date("last", &f.last)? };
        s.app.edit_holidays(&who.actor, &set, first, last, None, None).await.map(|r| (first, r))
    }
    .await;
    match result {
        Ok((first, r)) => {
            let q = format!("year={}&done=removed&tickets={}", first.year(), r.tickets_recomputed);
            Ok(Redirect::to(&calendar_url(&name, &q)).into_response())
        }
        Err(e) => {
            let (error, status) = on_form(e, l)?;
            let forms = CalendarForms { holiday_error: Some(error), ..CalendarForms::default() };
            calendar_page(&s, &who, &name, &CalendarQuery::default(), forms, status).await
        }
    }
}

pub(crate) async fn import_holidays(
    State(s): State<AppState>,
    Path(name): Path<String>,
    Posted { who, form: f }: Posted<ImportForm>,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(&who, Action::ManageServicePolicy)?;
    let set = observed_set(&s, &who, &name).await?;
    let result = async {
        let set = set?;
        let source = text(&f.source);
        let import = HolidayImport { format: f.format.clone(), data: f.data.clone(), source };
        s.app.import_holidays(&who.actor, &set, &import).await
    }
    .await;
    match result {
        Ok(r) => {
            let year = r.years.keys().next_back().map(|y| format!("year={y}&")).unwrap_or_default();
            let q = format!("{year}done=imported&days={}&tickets={}", r.days_imported, r.tickets_recomputed);
            Ok(Redirect::to(&calendar_url(&name, &q)).into_response())
        }
        Err(e) => {
            let (error, status) = on_form(e, l)?;
            let forms = CalendarForms { import_error: Some(error), import: f, ..CalendarForms::default() };
            calendar_page(&s, &who, &name, &CalendarQuery::default(), forms, status).await
        }
    }
}
