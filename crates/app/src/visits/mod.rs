//! Visits (上门预约) and engineers' working calendars (issue 13): booking with the whole busy
//! interval checked, rescheduling and cancelling with a reason, check-in and check-out by the
//! visit's own engineer, declared delays, the late-arrival watch (a background job), the
//! dispatcher's calendar, the engineer's day, and leave and duty days.
//!
//! Every write is one transaction: the visit, the ticket's `visit_at` (the next open visit's
//! window start, on which the arrival clock and the customer's view rest), the history event,
//! the notices and the late-arrival watch.
//!
//! Who sets leave and duty days (`Action::ManageWorkingDays`): dispatchers, supervisors and
//! administrators. The dispatcher plans the engineers' days and the supervisor approves
//! leave; an engineer does not mark their own leave, which would silently refuse bookings
//! the dispatcher is making.

use std::collections::HashMap;

use aftersales_domain::calendar::Calendar;
use aftersales_domain::error::Reason;
use aftersales_domain::event::Change;
use aftersales_domain::lifecycle::Step;
use aftersales_domain::notice::{self, VisitChange};
use aftersales_domain::permission::{self, Action, TicketScope};
use aftersales_domain::role::Role;
use aftersales_domain::ticket::Ticket;
use aftersales_domain::user::User;
use aftersales_domain::visit::{
    self, CheckedPlan, CustomerVisit, DEFAULT_WINDOW_MINUTES, Geo, Visit, VisitPlan, VisitProblem, VisitStatus,
};
use aftersales_domain::working_calendar::{self, Availability, DayKind, EngineerDay};
use aftersales_domain::worklog::{LogEntry, LogKind};
use aftersales_domain::{DomainError, Id, Timestamp};
use aftersales_storage::{Conn, WriteTx, directory, tickets, users, visits as store};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::jobs::{BackgroundJob, JobError, Subject};
use crate::tickets::load_visible;
use crate::{Actor, App, AppError, Result};

mod calendar;
pub use calendar::{CalendarCell, CalendarQuery, CalendarRow, DayVisit, DaysInput, VisitCalendar};

/// The name of the arrival-window setting in `visit_settings`.
const WINDOW_SETTING: &str = "arrival_window_minutes";
/// The planned time on site when a booking names none (the ticket step `book_visit`).
pub const DEFAULT_DURATION_MINUTES: i64 = 60;
/// The longest calendar one request reads: two weeks.
pub const MAX_CALENDAR_DAYS: i64 = 14;

/// A booking (`POST /api/v1/tickets/{id}/visits`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VisitBooking {
    /// The engineer who visits; by default the ticket's first-line engineer (an engineer
    /// books only for themselves).
    pub engineer_id: Option<Id>,
    /// Start of the arrival window promised to the customer.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub window_start: Timestamp,
    /// End of the window (1 to 4 hours after its start); by default the organization's length.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub window_end: Option<Timestamp>,
    /// Internal: planned start of work on site, within the window (default: its start).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub planned_start: Option<Timestamp>,
    /// Internal: planned time on site in minutes (1 to 720).
    pub duration_minutes: i64,
    /// Internal: travel before the visit in minutes (0 to 240, default 30).
    pub travel_minutes: Option<i64>,
    /// The device's location; by default the ticket's device's.
    pub address: Option<String>,
    /// The customer's site (building, gate, who receives the engineer).
    pub site: Option<String>,
    pub note: Option<String>,
}

impl VisitBooking {
    fn plan(&self) -> VisitPlan {
        VisitPlan {
            window_start: self.window_start,
            window_end: self.window_end,
            planned_start: self.planned_start,
            duration_minutes: self.duration_minutes,
            travel_minutes: self.travel_minutes,
            address: self.address.clone(),
            site: self.site.clone(),
        }
    }
}

/// A move of a booked visit (`POST /api/v1/visits/{id}/reschedule`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VisitReschedule {
    /// The visit's version the change is based on.
    pub version: i64,
    /// Why it moves (kept in the history).
    pub reason: String,
    /// Another engineer; by default the same.
    pub engineer_id: Option<Id>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub window_start: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub window_end: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub planned_start: Option<Timestamp>,
    pub duration_minutes: i64,
    pub travel_minutes: Option<i64>,
    /// By default the visit's address and site stay.
    pub address: Option<String>,
    pub site: Option<String>,
}

/// A cancellation (`POST /api/v1/visits/{id}/cancel`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VisitCancel {
    pub version: i64,
    pub reason: String,
}

/// A check-in or check-out from the engineer's phone, at the moment it is received.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VisitCheck {
    pub version: i64,
    /// The phone's position (browser geolocation), kept as internal evidence.
    pub geo: Option<Geo>,
    /// A work-log note (what was found, what was done).
    pub note: Option<String>,
}

/// A declared delay (`POST /api/v1/visits/{id}/delay`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VisitDelay {
    pub version: i64,
    /// When the engineer now expects to arrive.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expected_arrival: Timestamp,
    pub reason: Option<String>,
}

/// A visit as the staff see it, with its engineer's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitView {
    #[serde(flatten)]
    pub visit: Visit,
    pub engineer_name: String,
    /// Minutes on site, once checked out.
    pub minutes_on_site: Option<i64>,
}

/// A ticket's visits, in the reader's projection: the staff's, or the customer's (the
/// promised window, status and engineer only, DOMAIN §8).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum TicketVisits {
    Staff(Vec<VisitView>),
    Customer(Vec<CustomerVisit>),
}

/// The visit settings an administrator edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VisitSettings {
    /// The arrival window promised to customers, 60 to 240 minutes (default 120).
    pub window_minutes: i64,
}

/// The late-arrival watch of one visit's window: due at window end − 15 min; when the
/// engineer has not checked in by then, the customer and the dispatchers are told (once:
/// the visit's `late_notified_at` is set in the same transaction, and the notices' keys
/// name the window). A rescheduled window gets its own watch; the old one finds the
/// window changed and does nothing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VisitLateWatch {
    pub visit_id: Id,
    /// The window end watched (milliseconds since the epoch).
    pub window_end: i64,
}

impl BackgroundJob for VisitLateWatch {
    const KIND: &'static str = "visit_late_watch";
    const DEDUPLICATED: bool = true;

    fn subject(&self) -> Subject {
        Subject::of("visit", self.visit_id)
    }

    fn dedup_key(&self) -> String {
        self.window_end.to_string()
    }

    async fn run(&self, app: &App) -> std::result::Result<(), JobError> {
        app.watch_late_arrival(self.visit_id, self.window_end).await?;
        Ok(())
    }
}

fn is_engineer(u: &User) -> bool {
    u.active && u.role.line().is_some()
}

fn not_engineer() -> Reason {
    Reason::Mismatch { detail_en: "is not an active engineer", detail_zh: "不是在岗的工程师" }
}

fn required_reason(field: &'static str, text: &str) -> Result<String> {
    let mut problems = Vec::new();
    let out = aftersales_domain::error::text(&mut problems, field, Some(text), visit::MAX_TEXT, true);
    AppError::unless_invalid(problems)?;
    out.ok_or_else(|| AppError::invalid(field, Reason::Missing))
}

fn optional_note(field: &'static str, text: Option<&str>) -> Result<Option<String>> {
    let mut problems = Vec::new();
    let out = aftersales_domain::error::text(&mut problems, field, text, 2000, false);
    AppError::unless_invalid(problems)?;
    Ok(out)
}

fn window_change(v: &Visit) -> serde_json::Value {
    serde_json::json!({ "start": v.window_start.to_string(), "end": v.window_end.to_string() })
}

impl App {
    /// The arrival window length customers are promised (an organization setting).
    pub async fn visit_settings(&self, actor: &Actor) -> Result<VisitSettings> {
        actor.require_staff(Action::ReadTicket)?;
        Ok(VisitSettings { window_minutes: self.window_minutes(self.store.read()).await? })
    }

    /// An administrator sets the arrival window length (1 to 4 hours).
    pub async fn put_visit_settings(&self, actor: &Actor, s: &VisitSettings) -> Result<VisitSettings> {
        actor.require_staff(Action::ManageServicePolicy)?;
        let minutes = visit::check_window_minutes(s.window_minutes)?;
        let tx = self.store.write().await?;
        store::put_setting(&*tx, WINDOW_SETTING, &minutes.to_string()).await?;
        tx.commit().await?;
        Ok(VisitSettings { window_minutes: minutes })
    }

    async fn window_minutes<C: Conn>(&self, conn: &C) -> Result<i64> {
        Ok(store::setting(conn, WINDOW_SETTING)
            .await?
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|m| visit::WINDOW_MINUTES.contains(m))
            .unwrap_or(DEFAULT_WINDOW_MINUTES))
    }

    /// The business calendar engineers work by (the organization's default calendar).
    async fn working_calendar(&self) -> Result<std::sync::Arc<Calendar>> {
        self.calendar(None).await
    }

    /// Whether `engineer` is available at `at` (leave, duty, the business calendar): the
    /// app's entry to `working_calendar::availability_at`, for dispatch suggestions.
    pub async fn engineer_availability(&self, engineer: Id, at: Timestamp) -> Result<Availability> {
        self.warm().await?;
        let cal = self.working_calendar().await?;
        let day = cal.time_zone().to_datetime(at).date();
        let days = store::days(self.store.read(), Some(&[engineer]), day, day).await?;
        Ok(working_calendar::availability_at(&cal, &days, engineer, at))
    }

    /// Books a visit for a ticket (预约上门): the plan checked, the engineer's whole busy
    /// interval checked against leave, the business calendar (unless on duty) and their
    /// other visits; the ticket's history, arrival clock and the customer's notice follow.
    pub async fn book_visit(&self, actor: &Actor, ticket: Id, b: &VisitBooking) -> Result<VisitView> {
        actor.require_staff(Action::BookVisit)?;
        let note = optional_note("note", b.note.as_deref())?;
        self.warm().await?;
        let tx = self.store.write().await?;
        let mut t = load_visible(&*tx, actor, ticket).await?;
        let before = t.clone();
        check_ticket_scope(actor, &t)?;
        let engineer = self.visit_engineer(&tx, actor, &t, b.engineer_id).await?;
        let plan = self.check_plan(&tx, &t, &b.plan()).await?;
        let v = self.place(&tx, &mut t, None, engineer.id, plan, actor).await?;
        let action = if t.visit_at != before.visit_at { Step::BookVisit.code() } else { "visit_booked" };
        let changes = visit_changes(&before, &t, None, &v, &engineer);
        let event = self.apply_event(&tx, &mut t, actor, action, changes, note, None, before.version).await?;
        self.tell(&tx, VisitChange::Booked, &t, &v, event, &engineer.display_name).await?;
        tx.commit().await?;
        Ok(view(v, &engineer))
    }

    /// Moves a booked visit (改期) with a reason; the customer is told the new window.
    pub async fn reschedule_visit(&self, actor: &Actor, id: Id, r: &VisitReschedule) -> Result<VisitView> {
        actor.require_staff(Action::BookVisit)?;
        let reason = required_reason("reason", &r.reason)?;
        self.warm().await?;
        let tx = self.store.write().await?;
        let (mut v, mut t) = self.load_visit(&tx, actor, id).await?;
        check_ticket_scope(actor, &t)?;
        let old = v.clone();
        let before = t.clone();
        let engineer = self.visit_engineer(&tx, actor, &t, Some(r.engineer_id.unwrap_or(v.engineer_id))).await?;
        let plan = VisitPlan {
            window_start: r.window_start,
            window_end: r.window_end,
            planned_start: r.planned_start,
            duration_minutes: r.duration_minutes,
            travel_minutes: r.travel_minutes,
            address: r.address.clone().or_else(|| Some(v.address.clone())),
            site: r.site.clone().or_else(|| Some(v.site.clone())),
        };
        let plan = self.check_plan(&tx, &t, &plan).await?;
        v.reschedule(r.version, plan.clone())?;
        v.engineer_id = engineer.id;
        let v = self.place(&tx, &mut t, Some((v, r.version)), engineer.id, plan, actor).await?;
        let changes = visit_changes(&before, &t, Some(&old), &v, &engineer);
        let action = if t.visit_at != before.visit_at { Step::BookVisit.code() } else { "visit_rescheduled" };
        let event = self.apply_event(&tx, &mut t, actor, action, changes, Some(reason), None, before.version).await?;
        self.tell(&tx, VisitChange::Rescheduled, &t, &v, event, &engineer.display_name).await?;
        tx.commit().await?;
        Ok(view(v, &engineer))
    }

    /// Cancels a booked visit with a reason; the ticket's next open visit (if any) becomes
    /// the one its arrival clock waits for. The customer is told of the cancelled window.
    pub async fn cancel_visit(&self, actor: &Actor, id: Id, c: &VisitCancel) -> Result<VisitView> {
        actor.require_staff(Action::BookVisit)?;
        let reason = required_reason("reason", &c.reason)?;
        self.warm().await?;
        let tx = self.store.write().await?;
        let (mut v, mut t) = self.load_visit(&tx, actor, id).await?;
        check_ticket_scope(actor, &t)?;
        let before = t.clone();
        v.cancel(c.version, reason.clone())?;
        self.save_visit(&tx, &v, c.version).await?;
        let v = self.refollow(&tx, &mut t, v.id).await?;
        let engineer = self.user(&tx, v.engineer_id).await?;
        let mut changes = aftersales_domain::event::diff(&before, &t);
        changes.push(Change {
            field: "visit_status".into(),
            before: VisitStatus::Booked.code().into(),
            after: VisitStatus::Cancelled.code().into(),
        });
        changes.push(Change::added("visit_window", window_change(&v)));
        let event = self
            .apply_event(&tx, &mut t, actor, "visit_cancelled", changes, Some(reason), None, before.version)
            .await?;
        // The customer was told of every booking, so they hear of every cancellation, with
        // the cancelled window (the staff's reason stays internal). Another visit still
        // booked is unchanged and was told when booked: no "moved" notice for it.
        self.tell(&tx, VisitChange::Cancelled, &t, &v, event, &engineer.display_name).await?;
        tx.commit().await?;
        Ok(view(v, &engineer))
    }

    /// 签到: the visit's own engineer arrives; on time when by the window's end. The
    /// arrival clock stops (an on-site entry of the work log, DOMAIN §4).
    pub async fn check_in(&self, actor: &Actor, id: Id, c: &VisitCheck) -> Result<VisitView> {
        self.check(actor, id, c, true).await
    }

    /// 签退: the visit's own engineer leaves; the time on site is kept.
    pub async fn check_out(&self, actor: &Actor, id: Id, c: &VisitCheck) -> Result<VisitView> {
        self.check(actor, id, c, false).await
    }

    async fn check(&self, actor: &Actor, id: Id, c: &VisitCheck, arriving: bool) -> Result<VisitView> {
        actor.require_staff(Action::WorkTicket)?;
        let note = optional_note("note", c.note.as_deref())?;
        self.warm().await?;
        let tx = self.store.write().await?;
        let (mut v, mut t) = self.load_visit(&tx, actor, id).await?;
        let before = t.clone();
        let old_status = v.status;
        let now = self.now();
        if arriving {
            v.check_in(actor.id(), c.version, now, c.geo)?;
        } else {
            v.check_out(actor.id(), c.version, now, c.geo)?;
        }
        self.save_visit(&tx, &v, c.version).await?;
        let v = self.refollow(&tx, &mut t, v.id).await?;
        let mut changes = aftersales_domain::event::diff(&before, &t);
        changes.push(Change {
            field: "visit_status".into(),
            before: old_status.code().into(),
            after: v.status.code().into(),
        });
        changes.push(Change::added("visit_window", window_change(&v)));
        let (action, log) =
            if arriving { ("visit_checked_in", Some(LogKind::OnSite)) } else { ("visit_checked_out", None) };
        self.apply_event(&tx, &mut t, actor, action, changes, note.clone(), log, before.version).await?;
        if let Some(body) = note {
            let kind = if arriving { LogKind::OnSite } else { LogKind::Diagnosis };
            let entry = LogEntry {
                id: 0,
                ticket_id: t.id,
                kind,
                body,
                author_id: actor.id(),
                at: now,
                visibility: kind.default_visibility(),
            };
            tickets::insert_log(&*tx, &entry).await?;
        }
        tx.commit().await?;
        Ok(view(v, &actor.user))
    }

    /// The visit's engineer declares a delay and a new expected arrival: the customer and
    /// the dispatchers are told at once (seed 004: at least 1 h before the window when the
    /// delay is known then), each declaration once.
    pub async fn declare_delay(&self, actor: &Actor, id: Id, d: &VisitDelay) -> Result<VisitView> {
        actor.require_staff(Action::WorkTicket)?;
        let reason = optional_note("reason", d.reason.as_deref())?;
        self.warm().await?;
        let tx = self.store.write().await?;
        let (mut v, mut t) = self.load_visit(&tx, actor, id).await?;
        let before = t.clone();
        let now = self.now();
        v.declare_delay(actor.id(), d.version, d.expected_arrival, now)?;
        self.save_visit(&tx, &v, d.version).await?;
        let changes = vec![
            Change::added("visit_window", window_change(&v)),
            Change::added("visit_expected_arrival", d.expected_arrival.to_string()),
        ];
        let event =
            self.apply_event(&tx, &mut t, actor, "visit_delay_declared", changes, reason, None, before.version).await?;
        let v = store::by_id(&*tx, v.id).await?.ok_or_else(|| AppError::not_found("visit", id))?;
        self.tell(&tx, VisitChange::DelayDeclared, &t, &v, event, &actor.user.display_name).await?;
        tx.commit().await?;
        Ok(view(v, &actor.user))
    }

    /// The late-arrival watch (job [`VisitLateWatch`]): when the visit is still booked and
    /// not yet told late for the window ending at `window_end`, the customer and the
    /// dispatchers are told, once.
    pub async fn watch_late_arrival(&self, id: Id, window_end: i64) -> Result<bool> {
        self.warm().await?;
        let now = self.now();
        let tx = self.store.write().await?;
        let Some(v) = store::by_id(&*tx, id).await? else { return Ok(false) };
        if v.window_end.as_millisecond() != window_end || !v.is_late(now) {
            return Ok(false);
        }
        if !store::mark_late_notified(&*tx, id, v.window_end, now).await? {
            return Ok(false);
        }
        let Some(t) = tickets::by_id(&*tx, v.ticket_id).await? else { return Ok(false) };
        let engineer = self.user(&tx, v.engineer_id).await?;
        self.tell(&tx, VisitChange::Late, &t, &v, 0, &engineer.display_name).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A ticket's visits in the reader's projection (a contact: their own organization's
    /// tickets only, the customer's view).
    pub async fn ticket_visits(&self, actor: &Actor, ticket: Id) -> Result<TicketVisits> {
        actor.require(Action::ReadTicket)?;
        let conn = self.store.read();
        let t = load_visible(conn, actor, ticket).await?;
        let all = store::by_ticket(conn, t.id).await?;
        let ids: Vec<Id> = all.iter().map(|v| v.engineer_id).collect();
        let names = self.engineer_names(conn, &ids).await?;
        let name = |id: Id| names.get(&id).cloned().unwrap_or_default();
        Ok(if actor.is_customer() {
            TicketVisits::Customer(
                all.iter()
                    .filter(|v| v.status != VisitStatus::Cancelled)
                    .map(|v| CustomerVisit::project(v, &name(v.engineer_id)))
                    .collect(),
            )
        } else {
            TicketVisits::Staff(
                all.into_iter()
                    .map(|v| {
                        let n = name(v.engineer_id);
                        view_named(v, n)
                    })
                    .collect(),
            )
        })
    }

    /// One visit (staff).
    pub async fn visit(&self, actor: &Actor, id: Id) -> Result<VisitView> {
        actor.require_staff(Action::ReadTicket)?;
        let conn = self.store.read();
        let v = store::by_id(conn, id).await?.ok_or_else(|| AppError::not_found("visit", id))?;
        let names = self.engineer_names(conn, &[v.engineer_id]).await?;
        let n = names.get(&v.engineer_id).cloned().unwrap_or_default();
        Ok(view_named(v, n))
    }

    async fn user(&self, tx: &WriteTx, id: Id) -> Result<User> {
        users::user_by_id(&**tx, id).await?.ok_or_else(|| AppError::not_found("user", id))
    }

    async fn engineer_names<C: Conn>(&self, conn: &C, ids: &[Id]) -> Result<HashMap<Id, String>> {
        let mut out = HashMap::new();
        for &id in ids {
            if let std::collections::hash_map::Entry::Vacant(e) = out.entry(id)
                && let Some(u) = users::user_by_id(conn, id).await?
            {
                e.insert(u.display_name);
            }
        }
        Ok(out)
    }

    /// The visit and its ticket, as the actor may see them (another customer's: not found).
    async fn load_visit(&self, tx: &WriteTx, actor: &Actor, id: Id) -> Result<(Visit, Ticket)> {
        let v = store::by_id(&**tx, id).await?.ok_or_else(|| AppError::not_found("visit", id))?;
        let t = load_visible(&**tx, actor, v.ticket_id).await.map_err(|_| AppError::not_found("visit", id))?;
        Ok((v, t))
    }

    async fn save_visit(&self, tx: &WriteTx, v: &Visit, based_on: i64) -> Result<()> {
        if !store::update(&**tx, v, based_on, self.now()).await? {
            let current = store::by_id(&**tx, v.id).await?.map(|c| c.version).unwrap_or(based_on);
            return Err(DomainError::from(VisitProblem::Stale { current }).into());
        }
        Ok(())
    }

    /// The ticket's `visit_at` follows its visits; the stored visit `id` as it now is.
    async fn refollow(&self, tx: &WriteTx, t: &mut Ticket, id: Id) -> Result<Visit> {
        let all = store::by_ticket(&**tx, t.id).await?;
        t.follow_visits(&all);
        all.into_iter().find(|v| v.id == id).ok_or_else(|| AppError::not_found("visit", id))
    }

    /// The engineer a booking names (by default the ticket's first-line engineer; an
    /// engineer books only for themselves).
    async fn visit_engineer(&self, tx: &WriteTx, actor: &Actor, t: &Ticket, named: Option<Id>) -> Result<User> {
        let own = permission::scope(actor.user.role, Action::BookVisit) == TicketScope::Assigned;
        let id = match named {
            Some(id) => id,
            None if own => actor.id(),
            None => t.first_line_id.ok_or_else(|| AppError::invalid("engineer_id", Reason::Missing))?,
        };
        if own && id != actor.id() {
            return Err(AppError::invalid(
                "engineer_id",
                Reason::Mismatch {
                    detail_en: "an engineer books visits only for themselves",
                    detail_zh: "工程师只能为自己预约上门",
                },
            ));
        }
        match users::user_by_id(&**tx, id).await? {
            Some(u) if is_engineer(&u) => Ok(u),
            Some(_) => Err(AppError::invalid("engineer_id", not_engineer())),
            None => Err(AppError::invalid("engineer_id", Reason::Unknown)),
        }
    }

    /// The plan's fields checked, with the organization's window and the device's location.
    async fn check_plan(&self, tx: &WriteTx, t: &Ticket, plan: &VisitPlan) -> Result<CheckedPlan> {
        t.check(Step::BookVisit).map_err(|_| DomainError::from(VisitProblem::TicketNotWorked))?;
        let window = self.window_minutes(&**tx).await?;
        let location = match t.device_id {
            Some(d) => directory::device_by_id(&**tx, d).await?.and_then(|d| d.location).unwrap_or_default(),
            None => String::new(),
        };
        let mut checked = plan.check(window, &location, self.now())?;
        if checked.site.is_empty() {
            checked.site = directory::customer_by_id(&**tx, t.customer_id).await?.map(|c| c.name).unwrap_or_default();
        }
        Ok(checked)
    }

    /// Stores a new visit (`existing` None) or the moved one (with the version it was read
    /// at), after checking the engineer's busy interval; the ticket's `visit_at` follows and
    /// the late-arrival watch of the window is scheduled.
    async fn place(
        &self,
        tx: &WriteTx,
        t: &mut Ticket,
        existing: Option<(Visit, i64)>,
        engineer: Id,
        plan: CheckedPlan,
        actor: &Actor,
    ) -> Result<Visit> {
        let cal = self.working_calendar().await?;
        let (from, to) = plan.busy();
        let tz = cal.time_zone();
        let (d0, d1) = (tz.to_datetime(from).date(), tz.to_datetime(to).date());
        let days = store::days(&**tx, Some(&[engineer]), d0, d1).await?;
        let mut others = store::in_range(&**tx, Some(&[engineer]), from, to, false).await?;
        if let Some((v, _)) = &existing {
            others.retain(|o| o.id != v.id);
        }
        let clashes = visit::clashes(&cal, &days, &others, engineer, from, to);
        if !clashes.is_empty() {
            return Err(DomainError::from(VisitProblem::Clashes(clashes)).into());
        }
        let now = self.now();
        let id = match existing {
            Some((v, based_on)) => {
                self.save_visit(tx, &v, based_on).await?;
                v.id
            }
            None => {
                let v = Visit::book(t.id, t.number.as_str(), engineer, plan, now);
                store::insert(&**tx, &v, actor.id(), now).await?
            }
        };
        let v = self.refollow(tx, t, id).await?;
        self.enqueue(
            &**tx,
            &VisitLateWatch { visit_id: v.id, window_end: v.window_end.as_millisecond() },
            v.late_watch_at(),
        )
        .await?;
        Ok(v)
    }

    /// Books or moves the ticket's next visit from the lifecycle step `book_visit` (a time
    /// only): the organization's window from `at`, an hour on site, the default travel, the
    /// ticket's engineer (or the acting engineer). The step's own event and notices follow.
    pub(crate) async fn book_from_step(
        &self,
        tx: &WriteTx,
        actor: &Actor,
        t: &mut Ticket,
        at: Timestamp,
    ) -> Result<()> {
        let visits = store::by_ticket(&**tx, t.id).await?;
        let next = visits.iter().filter(|v| v.status == VisitStatus::Booked).min_by_key(|v| v.window_start).cloned();
        let engineer = self.visit_engineer(tx, actor, t, next.as_ref().map(|v| v.engineer_id)).await?;
        let plan = VisitPlan {
            window_start: at,
            window_end: None,
            planned_start: None,
            duration_minutes: next.as_ref().map_or(DEFAULT_DURATION_MINUTES, |v| v.duration_minutes),
            travel_minutes: next.as_ref().map(|v| v.travel_minutes),
            address: next.as_ref().map(|v| v.address.clone()),
            site: next.as_ref().map(|v| v.site.clone()).filter(|s| !s.is_empty()),
        };
        let plan = self.check_plan(tx, t, &plan).await?;
        let existing = match next {
            Some(mut v) => {
                let based_on = v.version;
                v.reschedule(based_on, plan.clone())?;
                Some((v, based_on))
            }
            None => None,
        };
        self.place(tx, t, existing, engineer.id, plan, actor).await?;
        Ok(())
    }

    /// Records and routes the notices of a visit's change.
    async fn tell(
        &self,
        tx: &WriteTx,
        change: VisitChange,
        t: &Ticket,
        v: &Visit,
        event: Id,
        engineer: &str,
    ) -> Result<()> {
        let cal = self.calendar(t.calendar.as_deref()).await?;
        for spec in notice::on_visit(change, t, v, event, &cal, self.now(), engineer) {
            self.raise(&**tx, t, &spec, self.now()).await?;
        }
        Ok(())
    }
}

/// An engineer may book, move or cancel visits only on tickets assigned to them.
fn check_ticket_scope(actor: &Actor, t: &Ticket) -> Result<()> {
    if permission::scope(actor.user.role, Action::BookVisit) == TicketScope::Assigned && !t.is_assigned_to(actor.id()) {
        return Err(DomainError::from(aftersales_domain::error::Conflict::NotAssigned).into());
    }
    Ok(())
}

/// The history's changes of a booking or move: the ticket's own (its `visit_at`), the
/// visit's window, engineer and plan before → after.
fn visit_changes(before: &Ticket, after: &Ticket, old: Option<&Visit>, v: &Visit, engineer: &User) -> Vec<Change> {
    let mut out = aftersales_domain::event::diff(before, after);
    let planned = |v: &Visit| serde_json::json!({ "start": v.planned_start.to_string(), "minutes": v.duration_minutes, "travel": v.travel_minutes });
    let before_of = |f: &dyn Fn(&Visit) -> serde_json::Value| old.map(f).unwrap_or(serde_json::Value::Null);
    for (field, b, a) in [
        ("visit_window", before_of(&window_change), window_change(v)),
        ("visit_planned", before_of(&planned), planned(v)),
        ("visit_engineer", before_of(&|o: &Visit| serde_json::json!(o.engineer_id)), serde_json::json!(engineer.id)),
    ] {
        if b != a {
            out.push(Change { field: field.into(), before: b, after: a });
        }
    }
    out
}

fn view(v: Visit, engineer: &User) -> VisitView {
    view_named(v, engineer.display_name.clone())
}

fn view_named(v: Visit, engineer_name: String) -> VisitView {
    let minutes_on_site = v.time_on_site().map(|d| d.as_mins());
    VisitView { visit: v, engineer_name, minutes_on_site }
}
