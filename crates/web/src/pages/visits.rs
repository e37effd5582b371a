//! Visits on the console (issue 13): the dispatcher's calendar of engineers' visits with
//! leave and duty (上门日历), the engineer's phone page of today's visits (今日上门) with
//! check-in, check-out and delay, and the ticket page's forms to book, move and cancel a
//! visit. Each form goes through the same `app` use case as the API.

use aftersales_app::AppError;
use aftersales_app::visits::{
    CalendarQuery, DayVisit, DaysInput, VisitBooking, VisitCalendar, VisitCancel, VisitCheck, VisitDelay,
    VisitReschedule,
};
use aftersales_domain::Id;
use aftersales_domain::permission::Action;
use aftersales_domain::visit::{Geo, Visit};
use aftersales_domain::working_calendar::DayKind;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Date;
use serde::Deserialize;

use super::layout::Nav;
use super::view::{L, datetime_local};
use super::{PageError, Posted, Signed, render};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CalendarPageQuery {
    from: String,
    days: Option<i64>,
    group: Option<Id>,
    done: String,
}

#[derive(Template)]
#[template(path = "visits/calendar.html")]
struct CalendarPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    cal: VisitCalendar,
    days: i64,
    from: Date,
    prev: Date,
    next: Date,
    today: Date,
    may_set_days: bool,
    message: Option<String>,
    error: Option<String>,
}

impl CalendarPage<'_> {
    fn csrf(&self) -> &str {
        self.nav.as_ref().map_or("", |n| n.csrf.as_str())
    }

    fn weekday(&self, d: &Date) -> &'static str {
        let i = d.weekday().to_monday_zero_offset() as usize;
        let zh = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
        let en = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        self.l.pick(zh[i], en[i])
    }
}

fn shift(d: Date, days: i64) -> Date {
    d.checked_add(jiff::Span::new().days(days)).unwrap_or(d)
}

/// `GET /visits`: the dispatcher's calendar (a day or a week; rows engineers, columns days).
pub async fn calendar(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<CalendarPageQuery>,
) -> Result<Response, PageError> {
    let message = match q.done.as_str() {
        "days" => Some(who.l.t("visits.days_saved").to_owned()),
        _ => None,
    };
    calendar_page(&s, &who, &q, message, None, StatusCode::OK).await
}

async fn calendar_page(
    s: &AppState,
    who: &Signed,
    q: &CalendarPageQuery,
    message: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    let today = s.app.now().to_zoned(s.app.settings().time_zone.clone()).date();
    let from = q.from.parse::<Date>().unwrap_or(today);
    let days = q.days.filter(|d| [1, 7, 14].contains(d)).unwrap_or(7);
    let query = CalendarQuery { from: Some(from), days: Some(days), engineers: None, group_id: q.group };
    let cal = s.app.visit_calendar(&who.actor, &query).await.map_err(|e| PageError::App(e, l.clone()))?;
    let may_set_days = aftersales_domain::permission::allows(who.actor.user.role, Action::ManageWorkingDays);
    let nav = Some(Nav::of(s, who, "visits").await);
    let page = CalendarPage {
        l,
        nav,
        cal,
        days,
        from,
        prev: shift(from, -days),
        next: shift(from, days),
        today,
        may_set_days,
        message,
        error,
    };
    Ok((status, render(&page)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DaysForm {
    engineer_id: String,
    from: String,
    to: String,
    kind: String,
    note: String,
    back: String,
}

/// `POST /visits/days`: leave, duty, or back to the business calendar for a range of days.
pub async fn set_days(
    State(s): State<AppState>,
    Posted { who, form: f }: Posted<DaysForm>,
) -> Result<Response, PageError> {
    let l = &who.l;
    who.actor.require_staff(Action::ManageWorkingDays).map_err(|e| PageError::App(e, l.clone()))?;
    let back = CalendarPageQuery { from: f.back.clone(), ..Default::default() };
    let bad = |field: &str| l.tf("visits.malformed_field", &[("field", &field)]);
    let (Ok(engineer), Ok(from)) = (f.engineer_id.parse::<Id>(), f.from.parse::<Date>()) else {
        return calendar_page(&s, &who, &back, None, Some(bad("engineer_id / from")), StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    };
    let to = if f.to.trim().is_empty() { None } else { f.to.parse::<Date>().ok() };
    let input = DaysInput { from, to, kind: DayKind::from_code(&f.kind), note: Some(f.note.clone()) };
    match s.app.set_working_days(&who.actor, engineer, &input).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/visits?from={}&done=days", super::form_urlencode(&f.back))).into_response())
        }
        Err(e) => {
            let status = crate::error::status_of(&e);
            if status == StatusCode::FORBIDDEN {
                return Err(PageError::App(e, l.clone()));
            }
            calendar_page(&s, &who, &back, None, Some(e.message(l.lang)), status).await
        }
    }
}

#[derive(Template)]
#[template(path = "visits/today.html")]
struct TodayPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    visits: Vec<DayVisit>,
    message: Option<String>,
    error: Option<String>,
}

impl TodayPage<'_> {
    fn csrf(&self) -> &str {
        self.nav.as_ref().map_or("", |n| n.csrf.as_str())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

/// `GET /visits/today`: the engineer's visits of today, in order (今日上门).
pub async fn today(State(s): State<AppState>, who: Signed, Query(q): Query<DoneQuery>) -> Result<Response, PageError> {
    let message = match q.done.as_str() {
        "check_in" => Some(who.l.t("visits.checked_in").to_owned()),
        "check_out" => Some(who.l.t("visits.checked_out").to_owned()),
        "delay" => Some(who.l.t("visits.delay_sent").to_owned()),
        _ => None,
    };
    today_page(&s, &who, message, None, StatusCode::OK).await
}

async fn today_page(
    s: &AppState,
    who: &Signed,
    message: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    let visits = s.app.my_day(&who.actor).await.map_err(|e| PageError::App(e, l.clone()))?;
    let nav = Some(Nav::of(s, who, "today").await);
    Ok((status, render(&TodayPage { l, nav, visits, message, error })).into_response())
}

/// The fields of the phone's forms.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CheckForm {
    version: i64,
    lat: String,
    lon: String,
    accuracy: String,
    note: String,
    expected: String,
    reason: String,
}

impl CheckForm {
    /// The position the page's script filled in, if the phone gave one.
    fn geo(&self) -> Option<Geo> {
        let lat = self.lat.trim().parse::<f64>().ok()?;
        let lon = self.lon.trim().parse::<f64>().ok()?;
        Some(Geo { lat, lon, accuracy_m: self.accuracy.trim().parse::<f64>().ok() })
    }

    fn check(&self) -> VisitCheck {
        VisitCheck { version: self.version, geo: self.geo(), note: Some(self.note.clone()) }
    }
}

/// A phone form's outcome: back to today's list, or the list with what went wrong.
async fn after_phone(
    s: &AppState,
    who: &Signed,
    done: &str,
    r: Result<impl Sized, AppError>,
) -> Result<Response, PageError> {
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/visits/today?done={done}")).into_response()),
        Err(e @ AppError::NotFound { .. }) => Err(PageError::App(e, who.l.clone())),
        Err(e) => {
            let status = crate::error::status_of(&e);
            today_page(s, who, None, Some(e.message(who.l.lang)), status).await
        }
    }
}

/// `POST /visits/{id}/check-in` (签到).
pub async fn check_in(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form }: Posted<CheckForm>,
) -> Result<Response, PageError> {
    let r = s.app.check_in(&who.actor, id, &form.check()).await;
    after_phone(&s, &who, "check_in", r).await
}

/// `POST /visits/{id}/check-out` (签退).
pub async fn check_out(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form }: Posted<CheckForm>,
) -> Result<Response, PageError> {
    let r = s.app.check_out(&who.actor, id, &form.check()).await;
    after_phone(&s, &who, "check_out", r).await
}

/// `POST /visits/{id}/delay` (报告延误) with the new expected arrival.
pub async fn delay(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form }: Posted<CheckForm>,
) -> Result<Response, PageError> {
    who.actor.require_staff(Action::WorkTicket).map_err(|e| PageError::App(e, who.l.clone()))?;
    let Some(expected) = datetime_local(&form.expected, &s.app.settings().time_zone) else {
        let e = who.l.tf("visits.malformed_field", &[("field", &who.l.t("visits.expected_arrival"))]);
        return today_page(&s, &who, None, Some(e), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let d = VisitDelay { version: form.version, expected_arrival: expected, reason: Some(form.reason.clone()) };
    let r = s.app.declare_delay(&who.actor, id, &d).await;
    after_phone(&s, &who, "delay", r).await
}

/// The ticket page's booking and moving form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BookForm {
    version: i64,
    engineer_id: String,
    window_start: String,
    window_hours: String,
    planned_start: String,
    duration_minutes: String,
    travel_minutes: String,
    address: String,
    site: String,
    reason: String,
}

impl BookForm {
    /// The times and numbers of the form, or the field that is not one.
    fn read(&self, tz: &jiff::tz::TimeZone) -> Result<Plan, &'static str> {
        let time = |v: &str, f: &'static str| datetime_local(v, tz).ok_or(f);
        let opt_time = |v: &str, f: &'static str| if v.trim().is_empty() { Ok(None) } else { time(v, f).map(Some) };
        let num = |v: &str, f: &'static str| v.trim().parse::<i64>().map_err(|_| f);
        let opt_num = |v: &str, f: &'static str| if v.trim().is_empty() { Ok(None) } else { num(v, f).map(Some) };
        let window_start = time(&self.window_start, "window_start")?;
        let window_end =
            opt_num(&self.window_hours, "window_end")?.map(|h| window_start + jiff::SignedDuration::from_mins(h * 60));
        Ok(Plan {
            engineer_id: opt_num(&self.engineer_id, "engineer_id")?,
            window_start,
            window_end,
            planned_start: opt_time(&self.planned_start, "planned_start")?,
            duration_minutes: num(&self.duration_minutes, "duration_minutes")?,
            travel_minutes: opt_num(&self.travel_minutes, "travel_minutes")?,
        })
    }

    fn text(v: &str) -> Option<String> {
        Some(v.trim().to_owned()).filter(|s| !s.is_empty())
    }
}

struct Plan {
    engineer_id: Option<Id>,
    window_start: aftersales_domain::Timestamp,
    window_end: Option<aftersales_domain::Timestamp>,
    planned_start: Option<aftersales_domain::Timestamp>,
    duration_minutes: i64,
    travel_minutes: Option<i64>,
}

async fn malformed(s: &AppState, who: &Signed, ticket: Id, field: &str) -> Result<Response, PageError> {
    let l = &who.l;
    let label = crate::error::label(field, l.lang);
    let e = l.tf("visits.malformed_field", &[("field", &label)]);
    super::tickets::ticket_page(s, who, ticket, None, Some(e), StatusCode::UNPROCESSABLE_ENTITY, None).await
}

/// `POST /tickets/{id}/visits`: books a visit from the ticket page.
pub async fn book(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form: f }: Posted<BookForm>,
) -> Result<Response, PageError> {
    who.actor.require_staff(Action::BookVisit).map_err(|e| PageError::App(e, who.l.clone()))?;
    let p = match f.read(&s.app.settings().time_zone) {
        Ok(p) => p,
        Err(field) => return malformed(&s, &who, id, field).await,
    };
    let b = VisitBooking {
        engineer_id: p.engineer_id,
        window_start: p.window_start,
        window_end: p.window_end,
        planned_start: p.planned_start,
        duration_minutes: p.duration_minutes,
        travel_minutes: p.travel_minutes,
        address: BookForm::text(&f.address),
        site: BookForm::text(&f.site),
        note: None,
    };
    let r = s.app.book_visit(&who.actor, id, &b).await;
    on_ticket(&s, &who, id, r.map(|_| ())).await
}

/// `POST /visits/{id}/reschedule`: moves a visit from the ticket page, with a reason.
pub async fn reschedule(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form: f }: Posted<BookForm>,
) -> Result<Response, PageError> {
    who.actor.require_staff(Action::BookVisit).map_err(|e| PageError::App(e, who.l.clone()))?;
    let v = s.app.visit(&who.actor, id).await.map_err(|e| PageError::App(e, who.l.clone()))?;
    let ticket = v.visit.ticket_id;
    let p = match f.read(&s.app.settings().time_zone) {
        Ok(p) => p,
        Err(field) => return malformed(&s, &who, ticket, field).await,
    };
    let r = VisitReschedule {
        version: f.version,
        reason: f.reason.clone(),
        engineer_id: p.engineer_id,
        window_start: p.window_start,
        window_end: p.window_end,
        planned_start: p.planned_start,
        duration_minutes: p.duration_minutes,
        travel_minutes: p.travel_minutes,
        address: BookForm::text(&f.address),
        site: BookForm::text(&f.site),
    };
    let r = s.app.reschedule_visit(&who.actor, id, &r).await;
    on_ticket(&s, &who, ticket, r.map(|_| ())).await
}

/// `POST /visits/{id}/cancel`: cancels a visit from the ticket page, with a reason.
pub async fn cancel(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form: f }: Posted<BookForm>,
) -> Result<Response, PageError> {
    let v = s.app.visit(&who.actor, id).await.map_err(|e| PageError::App(e, who.l.clone()))?;
    let r = s.app.cancel_visit(&who.actor, id, &VisitCancel { version: f.version, reason: f.reason.clone() }).await;
    on_ticket(&s, &who, v.visit.ticket_id, r.map(|_| ())).await
}

async fn on_ticket(s: &AppState, who: &Signed, ticket: Id, r: Result<(), AppError>) -> Result<Response, PageError> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/tickets/{ticket}?done=visit")).into_response()),
        Err(e) => super::actions::failed(s, who, ticket, e).await,
    }
}

/// What the ticket page's visits section shows (staff): the visits, and whether the reader
/// may book and move them.
pub struct TicketVisitsSection {
    pub visits: Vec<aftersales_app::visits::VisitView>,
    pub may_book: bool,
    pub window_hours: i64,
    pub engineers: Vec<(Id, String)>,
}

impl TicketVisitsSection {
    pub async fn of(s: &AppState, who: &Signed, ticket: Id, engineers: Vec<(Id, String)>) -> TicketVisitsSection {
        let visits = match s.app.ticket_visits(&who.actor, ticket).await {
            Ok(aftersales_app::visits::TicketVisits::Staff(v)) => v,
            _ => Vec::new(),
        };
        let may_book = aftersales_domain::permission::allows(who.actor.user.role, Action::BookVisit);
        let window_hours = s.app.visit_settings(&who.actor).await.map(|v| v.window_minutes / 60).unwrap_or(2);
        TicketVisitsSection { visits, may_book, window_hours, engineers }
    }

    /// Whether a visit can still be moved or cancelled.
    pub fn open(&self, v: &Visit) -> bool {
        v.status == aftersales_domain::visit::VisitStatus::Booked
    }
}
