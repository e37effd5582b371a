//! Visits (上门预约, DOMAIN §2 "appointment"): the arrival window promised to the customer,
//! the internal planned start, duration and travel buffer, check-in and check-out on the
//! engineer's phone, declared delays, and whether the engineer arrived on time (DOMAIN §4
//! arrival clock, §5 visit delay, seed 004: a delay is told at least 1 h before).
//!
//! Booking checks the whole busy interval (travel before, then the planned work) against
//! the engineer's working calendar ([`crate::working_calendar`]) and their other open
//! visits, travel included, and names every clash; OCA field-service checked only the start.

use jiff::SignedDuration;
use jiff::civil::{Date, DateTime};
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::error::{Field, Reason};
use crate::lang::Lang;
use crate::working_calendar::{DayKind, EngineerDay};
use crate::{DomainError, Id, Timestamp, coded_enum};

/// The arrival window promised to customers when the organization sets none (DOMAIN §2: "e.g. 2 h").
pub const DEFAULT_WINDOW_MINUTES: i64 = 120;
/// The arrival windows an organization may promise: 1 to 4 hours.
pub const WINDOW_MINUTES: std::ops::RangeInclusive<i64> = 60..=240;
/// The travel buffer before a visit when the booking names none.
pub const DEFAULT_TRAVEL_MINUTES: i64 = 30;
/// The longest planned visit and the longest travel buffer a booking may name.
pub const MAX_DURATION_MINUTES: i64 = 12 * 60;
pub const MAX_TRAVEL_MINUTES: i64 = 4 * 60;
/// The late-arrival watch: an engineer not checked in this long before the window ends is
/// late, and the customer and the dispatcher are told (DOMAIN §5 visit delay).
pub const LATE_WATCH_BEFORE_END: SignedDuration = SignedDuration::from_mins(15);
/// Longest reason, address or site text.
pub const MAX_TEXT: usize = 500;

coded_enum! {
    /// Where a visit stands.
    pub enum VisitStatus {
        Booked = ("booked", "已预约", "Booked"),
        OnSite = ("on_site", "已到场", "On site"),
        Done = ("done", "已完成", "Completed"),
        Cancelled = ("cancelled", "已取消", "Cancelled"),
    }
}

impl VisitStatus {
    /// Booked or on site: it still holds the engineer's time.
    pub fn is_open(self) -> bool {
        matches!(self, VisitStatus::Booked | VisitStatus::OnSite)
    }
}

/// Where the phone was at a check-in or check-out (the browser's geolocation), kept as
/// internal evidence (DOMAIN §8: never shown to the customer).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Geo {
    /// Degrees, −90 to 90.
    pub lat: f64,
    /// Degrees, −180 to 180.
    pub lon: f64,
    /// Metres, as the browser reports it.
    pub accuracy_m: Option<f64>,
}

impl Geo {
    /// The position when it is one on Earth; the field names what is wrong.
    pub fn check(self, field: Field) -> Result<Geo, DomainError> {
        let ok = self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
            && self.accuracy_m.is_none_or(|a| a.is_finite() && a >= 0.0);
        if ok {
            Ok(self)
        } else {
            Err(DomainError::field(
                field,
                Reason::Malformed {
                    expected_en: "latitude −90..90, longitude −180..180, accuracy ≥ 0 m",
                    expected_zh: "纬度 −90～90、经度 −180～180、精度不小于 0 米",
                },
            ))
        }
    }
}

/// A visit of an engineer for a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Visit {
    pub id: Id,
    pub ticket_id: Id,
    /// The ticket's number (`YYYYMMDD-NNN`), for people.
    pub ticket_number: String,
    pub engineer_id: Id,
    /// The arrival window promised to the customer.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub window_start: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub window_end: Timestamp,
    /// Internal: when the engineer plans to start work on site, and for how long.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub planned_start: Timestamp,
    pub duration_minutes: i64,
    /// Internal: the travel before the visit, which holds the engineer's time too.
    pub travel_minutes: i64,
    /// Where: the device's location (设备位置).
    pub address: String,
    /// The customer's site (客户现场): building, gate, who receives the engineer.
    pub site: String,
    pub status: VisitStatus,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub checked_in_at: Option<Timestamp>,
    pub check_in_geo: Option<Geo>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub checked_out_at: Option<Timestamp>,
    pub check_out_geo: Option<Geo>,
    /// Arrived by the end of the window (set at check-in).
    pub on_time: Option<bool>,
    /// The arrival the engineer expects after declaring a delay.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub expected_arrival: Option<Timestamp>,
    /// How many delays were declared (each is told once).
    pub delays: i32,
    /// When the late-arrival watch told the customer and the dispatcher (once per window).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub late_notified_at: Option<Timestamp>,
    pub cancel_reason: Option<String>,
    pub version: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// A booking or a rescheduling as asked for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitPlan {
    /// Start of the arrival window told to the customer.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub window_start: Timestamp,
    /// End of the window; by default the start plus the organization's window length.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub window_end: Option<Timestamp>,
    /// When work on site is planned to start, within the window; by default its start.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub planned_start: Option<Timestamp>,
    /// Planned time on site, 1 minute to 12 hours.
    pub duration_minutes: i64,
    /// Travel before the visit, 0 to 4 hours (default 30 minutes).
    pub travel_minutes: Option<i64>,
    /// The device's location; by default the ticket's device's.
    pub address: Option<String>,
    /// The customer's site details.
    pub site: Option<String>,
}

/// A plan whose fields passed [`VisitPlan::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedPlan {
    pub window_start: Timestamp,
    pub window_end: Timestamp,
    pub planned_start: Timestamp,
    pub duration_minutes: i64,
    pub travel_minutes: i64,
    pub address: String,
    pub site: String,
}

impl CheckedPlan {
    /// The engineer's busy interval: the travel buffer, then the planned work.
    pub fn busy(&self) -> (Timestamp, Timestamp) {
        busy(self.planned_start, self.duration_minutes, self.travel_minutes)
    }
}

fn busy(start: Timestamp, duration: i64, travel: i64) -> (Timestamp, Timestamp) {
    (start - SignedDuration::from_mins(travel), start + SignedDuration::from_mins(duration))
}

fn mismatch(detail_en: &'static str, detail_zh: &'static str) -> Reason {
    Reason::Mismatch { detail_en, detail_zh }
}

impl VisitPlan {
    /// Checks every field at once, naming each one that is wrong. `window_minutes` is the
    /// organization's window length (the default end); `default_address` the device's location.
    pub fn check(
        &self,
        window_minutes: i64,
        default_address: &str,
        now: Timestamp,
    ) -> Result<CheckedPlan, DomainError> {
        let mut problems: Vec<(Field, Reason)> = Vec::new();
        let window_end = self.window_end.unwrap_or(self.window_start + SignedDuration::from_mins(window_minutes));
        if self.window_start <= now {
            problems.push(("window_start", mismatch("must be in the future", "须晚于当前时间")));
        }
        let length = window_end.duration_since(self.window_start).as_mins();
        if window_end <= self.window_start {
            problems.push(("window_end", mismatch("must be after the window start", "须晚于时间窗开始")));
        } else if !WINDOW_MINUTES.contains(&length) {
            problems.push((
                "window_end",
                mismatch("the arrival window must be 1 to 4 hours long", "到达时间窗须为 1～4 小时"),
            ));
        }
        let planned_start = self.planned_start.unwrap_or(self.window_start);
        if planned_start < self.window_start || planned_start >= window_end {
            problems.push((
                "planned_start",
                mismatch("must fall within the arrival window", "须在承诺给客户的到达时间窗内"),
            ));
        }
        if !(1..=MAX_DURATION_MINUTES).contains(&self.duration_minutes) {
            problems.push(("duration_minutes", mismatch("must be 1 minute to 12 hours", "须为 1 分钟～12 小时")));
        }
        let travel = self.travel_minutes.unwrap_or(DEFAULT_TRAVEL_MINUTES);
        if !(0..=MAX_TRAVEL_MINUTES).contains(&travel) {
            problems.push(("travel_minutes", mismatch("must be 0 to 4 hours", "须为 0～4 小时")));
        }
        let address = crate::error::text(&mut problems, "address", self.address.as_deref(), MAX_TEXT, false)
            .unwrap_or_else(|| default_address.trim().to_owned());
        if address.is_empty() && !problems.iter().any(|(f, _)| *f == "address") {
            problems.push(("address", Reason::Missing));
        }
        let site = crate::error::text(&mut problems, "site", self.site.as_deref(), MAX_TEXT, false).unwrap_or_default();
        if !problems.is_empty() {
            return Err(DomainError::Invalid(problems));
        }
        Ok(CheckedPlan {
            window_start: self.window_start,
            window_end,
            planned_start,
            duration_minutes: self.duration_minutes,
            travel_minutes: travel,
            address,
            site,
        })
    }
}

/// Checks that an arrival window length (an organization setting) is 1 to 4 hours.
pub fn check_window_minutes(minutes: i64) -> Result<i64, DomainError> {
    if WINDOW_MINUTES.contains(&minutes) {
        Ok(minutes)
    } else {
        Err(DomainError::field("window_minutes", mismatch("must be 60 to 240 minutes", "须为 60～240 分钟")))
    }
}

/// What stands in the way of a booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Clash {
    /// Another visit of the engineer (its busy interval, travel included).
    Visit {
        ticket_number: String,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        from: DateTime,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        to: DateTime,
    },
    /// The engineer is on leave that day.
    Leave {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        day: Date,
    },
    /// A weekend or official holiday of the business calendar, and the engineer is not on duty.
    DayOff {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
        day: Date,
    },
    /// Outside the day's working hours, and the engineer is not on duty.
    OffHours {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        from: DateTime,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        to: DateTime,
    },
}

fn hm(t: DateTime) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

fn day_zh(d: Date) -> String {
    format!("{}月{}日", d.month(), d.day())
}

impl Clash {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Clash::Visit { ticket_number, from, to }, Lang::Zh) => {
                format!("与 {ticket_number} 的上门 {} {}–{}（含路程）冲突", day_zh(from.date()), hm(*from), hm(*to))
            }
            (Clash::Visit { ticket_number, from, to }, Lang::En) => {
                format!(
                    "overlaps the visit for {ticket_number} on {} {}–{} (travel included)",
                    from.date(),
                    hm(*from),
                    hm(*to)
                )
            }
            (Clash::Leave { day }, Lang::Zh) => format!("请假 {}", day_zh(*day)),
            (Clash::Leave { day }, Lang::En) => format!("on leave on {day}"),
            (Clash::DayOff { day }, Lang::Zh) => format!("{} 为休息日（非值班）", day_zh(*day)),
            (Clash::DayOff { day }, Lang::En) => format!("{day} is a day off (not on duty)"),
            (Clash::OffHours { from, to }, Lang::Zh) => {
                format!("{} {}–{} 在工作时间之外（非值班）", day_zh(from.date()), hm(*from), hm(*to))
            }
            (Clash::OffHours { from, to }, Lang::En) => {
                format!("{} {}–{} is outside working hours (not on duty)", from.date(), hm(*from), hm(*to))
            }
        }
    }
}

/// A visit refused for a reason of the visits themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisitProblem {
    /// The busy interval clashes with what is named (every clash, in time order).
    Clashes(Vec<Clash>),
    /// Only the visit's own engineer checks in, out, or declares a delay (403).
    NotYourVisit,
    AlreadyCheckedIn,
    NotCheckedIn,
    /// The visit is done or cancelled.
    NotOpen {
        status: VisitStatus,
    },
    /// Booked on a ticket that is no longer being worked (closed, cancelled, resolved…).
    TicketNotWorked,
    /// The visit changed meanwhile.
    Stale {
        current: i64,
    },
    /// The check-out is earlier than the check-in.
    CheckOutBeforeCheckIn,
}

impl VisitProblem {
    pub fn code(&self) -> &'static str {
        match self {
            VisitProblem::Clashes(_) => "visit_clash",
            VisitProblem::NotYourVisit => "not_your_visit",
            VisitProblem::AlreadyCheckedIn => "already_checked_in",
            VisitProblem::NotCheckedIn => "not_checked_in",
            VisitProblem::NotOpen { .. } => "visit_not_open",
            VisitProblem::TicketNotWorked => "ticket_not_worked",
            VisitProblem::Stale { .. } => "stale_visit",
            VisitProblem::CheckOutBeforeCheckIn => "check_out_before_check_in",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            VisitProblem::NotYourVisit => 403,
            _ => 409,
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (VisitProblem::Clashes(all), Lang::Zh) => {
                format!("无法预约：{}", all.iter().map(|c| c.message(lang)).collect::<Vec<_>>().join("；"))
            }
            (VisitProblem::Clashes(all), Lang::En) => {
                format!("Cannot book: {}", all.iter().map(|c| c.message(lang)).collect::<Vec<_>>().join("; "))
            }
            (VisitProblem::NotYourVisit, Lang::Zh) => {
                "这不是您的上门预约：只有预约的工程师本人可以签到、签退或报告延误".into()
            }
            (VisitProblem::NotYourVisit, Lang::En) => {
                "This is not your visit: only its own engineer checks in, checks out or declares a delay".into()
            }
            (VisitProblem::AlreadyCheckedIn, Lang::Zh) => "本次上门已签到，不能重复签到".into(),
            (VisitProblem::AlreadyCheckedIn, Lang::En) => "This visit is already checked in".into(),
            (VisitProblem::NotCheckedIn, Lang::Zh) => "尚未签到，不能签退".into(),
            (VisitProblem::NotCheckedIn, Lang::En) => "Not checked in yet: check in before checking out".into(),
            (VisitProblem::NotOpen { status }, Lang::Zh) => format!("本次上门{}，不能再修改", status.label(lang)),
            (VisitProblem::NotOpen { status }, Lang::En) => {
                format!("This visit is {} and can no longer change", status.label(lang).to_lowercase())
            }
            (VisitProblem::TicketNotWorked, Lang::Zh) => {
                "工单当前不在处理中（已解决、已结案或已撤销），不能预约上门".into()
            }
            (VisitProblem::TicketNotWorked, Lang::En) => {
                "The ticket is not being worked (resolved, closed or cancelled): no visit can be booked".into()
            }
            (VisitProblem::Stale { current }, Lang::Zh) => {
                format!("上门预约已被他人修改（当前版本 {current}），请刷新后重试")
            }
            (VisitProblem::Stale { current }, Lang::En) => {
                format!("The visit was changed by someone else (now version {current}); reload and retry")
            }
            (VisitProblem::CheckOutBeforeCheckIn, Lang::Zh) => "签退时间不能早于签到时间".into(),
            (VisitProblem::CheckOutBeforeCheckIn, Lang::En) => "The check-out cannot be before the check-in".into(),
        }
    }
}

impl From<VisitProblem> for DomainError {
    fn from(p: VisitProblem) -> Self {
        DomainError::Conflict(crate::error::Conflict::Visit(p))
    }
}

/// Every clash of the busy interval `[from, to)` of `engineer` with their working calendar
/// (`days`: their leave and duty days; `cal`: the business calendar) and their `others`
/// open visits (the one being moved excluded by the caller), in time order. Empty: bookable.
///
/// A day on duty (值班) is bookable around the clock; a leave day (请假) never is; otherwise
/// the interval must lie within the day's working hours (first start to last end, so the
/// lunch break counts as working) on a working day of the calendar.
pub fn clashes(
    cal: &Calendar,
    days: &[EngineerDay],
    others: &[Visit],
    engineer: Id,
    from: Timestamp,
    to: Timestamp,
) -> Vec<Clash> {
    let tz = cal.time_zone();
    let civil = |t: Timestamp| tz.to_datetime(t);
    let mut out = Vec::new();
    let (first, last) = (civil(from).date(), civil(to - SignedDuration::from_millis(1)).date());
    let mut day = first;
    while day <= last {
        let kind = days.iter().find(|d| d.user_id == engineer && d.day == day).map(|d| d.kind);
        match kind {
            Some(DayKind::Leave) => out.push(Clash::Leave { day }),
            Some(DayKind::Duty) => {}
            None => match cal.working_day(day) {
                None => out.push(Clash::DayOff { day }),
                Some((open, close)) => {
                    // The part of the interval on this day that is outside its hours.
                    let day_start = tz.to_timestamp(day.to_datetime(jiff::civil::Time::midnight())).unwrap_or(from);
                    let day_end = day
                        .tomorrow()
                        .ok()
                        .and_then(|d| tz.to_timestamp(d.to_datetime(jiff::civil::Time::midnight())).ok())
                        .unwrap_or(to);
                    let (a, b) = (from.max(day_start), to.min(day_end));
                    if a < open {
                        out.push(Clash::OffHours { from: civil(a), to: civil(b.min(open)) });
                    }
                    if b > close {
                        out.push(Clash::OffHours { from: civil(a.max(close)), to: civil(b) });
                    }
                }
            },
        }
        match day.tomorrow() {
            Ok(d) => day = d,
            Err(_) => break,
        }
    }
    let mut overlapping: Vec<&Visit> = others
        .iter()
        .filter(|v| v.engineer_id == engineer && v.status.is_open())
        .filter(|v| {
            let (a, b) = v.busy();
            a < to && from < b
        })
        .collect();
    overlapping.sort_by_key(|v| v.busy().0);
    out.extend(overlapping.into_iter().map(|v| {
        let (a, b) = v.busy();
        Clash::Visit { ticket_number: v.ticket_number.clone(), from: civil(a), to: civil(b) }
    }));
    out
}

impl Visit {
    /// The engineer's busy interval: the travel buffer, then the planned work.
    pub fn busy(&self) -> (Timestamp, Timestamp) {
        busy(self.planned_start, self.duration_minutes, self.travel_minutes)
    }

    /// When the planned work ends.
    pub fn planned_end(&self) -> Timestamp {
        self.planned_start + SignedDuration::from_mins(self.duration_minutes)
    }

    /// When the late-arrival watch looks: window end − 15 min.
    pub fn late_watch_at(&self) -> Timestamp {
        self.window_end - LATE_WATCH_BEFORE_END
    }

    /// Whether the watch at `now` finds the engineer late: still booked (not checked in), no
    /// late notice yet for this window, and `now` at or past the watch.
    pub fn is_late(&self, now: Timestamp) -> bool {
        self.status == VisitStatus::Booked && self.late_notified_at.is_none() && now >= self.late_watch_at()
    }

    /// The actual time on site, once checked out.
    pub fn time_on_site(&self) -> Option<SignedDuration> {
        Some(self.checked_out_at?.duration_since(self.checked_in_at?))
    }

    fn check_version(&self, based_on: i64) -> Result<(), DomainError> {
        if self.version != based_on {
            return Err(VisitProblem::Stale { current: self.version }.into());
        }
        Ok(())
    }

    fn check_booked(&self) -> Result<(), DomainError> {
        match self.status {
            VisitStatus::Booked => Ok(()),
            VisitStatus::OnSite => Err(VisitProblem::AlreadyCheckedIn.into()),
            status => Err(VisitProblem::NotOpen { status }.into()),
        }
    }

    fn check_own(&self, actor: Id) -> Result<(), DomainError> {
        if self.engineer_id != actor {
            return Err(VisitProblem::NotYourVisit.into());
        }
        Ok(())
    }

    /// A new booking from a checked plan.
    pub fn book(ticket_id: Id, ticket_number: &str, engineer_id: Id, p: CheckedPlan, now: Timestamp) -> Visit {
        Visit {
            id: 0,
            ticket_id,
            ticket_number: ticket_number.to_owned(),
            engineer_id,
            window_start: p.window_start,
            window_end: p.window_end,
            planned_start: p.planned_start,
            duration_minutes: p.duration_minutes,
            travel_minutes: p.travel_minutes,
            address: p.address,
            site: p.site,
            status: VisitStatus::Booked,
            checked_in_at: None,
            check_in_geo: None,
            checked_out_at: None,
            check_out_geo: None,
            on_time: None,
            expected_arrival: None,
            delays: 0,
            late_notified_at: None,
            cancel_reason: None,
            version: 1,
            created_at: now,
        }
    }

    /// Moves a booked visit (not one already on site) to a new plan; a new window is watched
    /// afresh, so the late notice and any declared delay start over.
    pub fn reschedule(&mut self, based_on: i64, p: CheckedPlan) -> Result<(), DomainError> {
        self.check_version(based_on)?;
        self.check_booked()?;
        self.window_start = p.window_start;
        self.window_end = p.window_end;
        self.planned_start = p.planned_start;
        self.duration_minutes = p.duration_minutes;
        self.travel_minutes = p.travel_minutes;
        self.address = p.address;
        self.site = p.site;
        self.late_notified_at = None;
        self.expected_arrival = None;
        Ok(())
    }

    pub fn cancel(&mut self, based_on: i64, reason: String) -> Result<(), DomainError> {
        self.check_version(based_on)?;
        self.check_booked()?;
        self.status = VisitStatus::Cancelled;
        self.cancel_reason = Some(reason);
        Ok(())
    }

    /// The engineer arrives: on time when by the end of the promised window (an early
    /// arrival keeps the promise too).
    pub fn check_in(&mut self, actor: Id, based_on: i64, at: Timestamp, geo: Option<Geo>) -> Result<(), DomainError> {
        self.check_own(actor)?;
        self.check_version(based_on)?;
        self.check_booked()?;
        let geo = geo.map(|g| g.check("geo")).transpose()?;
        self.status = VisitStatus::OnSite;
        self.checked_in_at = Some(at);
        self.check_in_geo = geo;
        self.on_time = Some(at <= self.window_end);
        Ok(())
    }

    pub fn check_out(&mut self, actor: Id, based_on: i64, at: Timestamp, geo: Option<Geo>) -> Result<(), DomainError> {
        self.check_own(actor)?;
        self.check_version(based_on)?;
        match self.status {
            VisitStatus::OnSite => {}
            VisitStatus::Booked => return Err(VisitProblem::NotCheckedIn.into()),
            status => return Err(VisitProblem::NotOpen { status }.into()),
        }
        if self.checked_in_at.is_some_and(|t| at < t) {
            return Err(VisitProblem::CheckOutBeforeCheckIn.into());
        }
        let geo = geo.map(|g| g.check("geo")).transpose()?;
        self.status = VisitStatus::Done;
        self.checked_out_at = Some(at);
        self.check_out_geo = geo;
        Ok(())
    }

    /// The engineer says they will be late and when they expect to arrive; told at once
    /// (seed 004: at least 1 h before the window when known that early).
    pub fn declare_delay(
        &mut self,
        actor: Id,
        based_on: i64,
        expected: Timestamp,
        now: Timestamp,
    ) -> Result<(), DomainError> {
        self.check_own(actor)?;
        self.check_version(based_on)?;
        self.check_booked()?;
        if expected <= now || expected <= self.window_start {
            return Err(DomainError::field(
                "expected_arrival",
                mismatch("must be later than now and than the window start", "须晚于当前时间和原定时间窗开始"),
            ));
        }
        self.expected_arrival = Some(expected);
        self.delays += 1;
        Ok(())
    }
}

/// What a customer contact sees of a visit (DOMAIN §8): the promised window, where it
/// stands, the engineer's name, the expected arrival after a delay and the actual arrival;
/// never the internal plan, travel or position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerVisit {
    pub id: Id,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub window_start: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub window_end: Timestamp,
    pub status: VisitStatus,
    pub engineer_name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub expected_arrival: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub arrived_at: Option<Timestamp>,
}

impl CustomerVisit {
    pub fn project(v: &Visit, engineer_name: &str) -> CustomerVisit {
        CustomerVisit {
            id: v.id,
            window_start: v.window_start,
            window_end: v.window_end,
            status: v.status,
            engineer_name: engineer_name.to_owned(),
            expected_arrival: v.expected_arrival,
            arrived_at: v.checked_in_at,
        }
    }
}

impl crate::ticket::Ticket {
    /// Keeps the ticket's `visit_at` and `visit_due` equal to the window of its next open
    /// visit, the earliest booked or on site (the customer's view and the visit notices rest
    /// on the start, the arrival clock is due at the end). A visit on site still counts: its
    /// check-in stops the arrival clock as met or late, and only its check-out (or a
    /// cancellation) lets the ticket wait for no visit. Whether either moved.
    pub fn follow_visits(&mut self, visits: &[Visit]) -> bool {
        let next = visits.iter().filter(|v| v.status.is_open()).min_by_key(|v| v.window_start);
        let (at, due) = (next.map(|v| v.window_start), next.map(|v| v.window_end));
        let moved = at != self.visit_at || due != self.visit_due;
        self.visit_at = at;
        self.visit_due = due;
        moved
    }
}
