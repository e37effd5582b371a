//! The demo's visits (上门预约, issue 13), made through the visit use cases after the ticket
//! history: on open tickets whose last activity is a few days old, two visits already done
//! (checked in and out, with the phone's position) and one where the engineer was late (the
//! late-arrival watch told the customer and the dispatchers); upcoming visits on the next
//! working days; and some leave and duty days for the engineers.

use std::sync::atomic::{AtomicI64, Ordering};

use aftersales_app::visits::{DaysInput, VisitBooking, VisitCheck, VisitLateWatch};
use aftersales_app::{Actor, App, Result};
use aftersales_domain::ticket::{Status, Ticket};
use aftersales_domain::visit::Geo;
use aftersales_domain::working_calendar::DayKind;

use crate::org::Org;
use crate::run::Live;
use crate::time::{Cal, HOUR, MIN};
use crate::ts;

/// What the engineers wrote when leaving a finished visit.
const DONE: &[&str] = &[
    "现场更换搓纸轮并清洁进纸通道，连续试打 100 张无卡纸，已请客户签字确认。",
    "检查定影单元温控异常，更换热敏电阻后开机自检通过，报警代码 E02 消除。",
    "重新校准扫描头并升级固件至最新版本，客户操作人员已现场培训。",
];

/// Where a region's sites are, roughly (the phone's position at a check-in).
fn near(region: &str) -> (f64, f64) {
    match region {
        "华南" => (23.129, 113.264),
        "华北" => (39.904, 116.407),
        _ => (31.230, 121.473),
    }
}

/// The next working day after `day` (civil days since 1970-01-01).
fn next_workday(cal: &Cal, mut day: i64) -> i64 {
    for _ in 0..30 {
        day += 1;
        if cal.is_workday(day) {
            return day;
        }
    }
    day
}

/// A 09:00 or 14:00 slot after `after` whose visit (up to 2 h 30 min) ends before `before`.
fn past_slot(cal: &Cal, after: i64, before: i64) -> Option<i64> {
    let mut day = cal.day(after);
    while cal.at(day, 0) < before {
        if cal.is_workday(day) {
            for hour in [9, 14] {
                let w = cal.at(day, hour * HOUR);
                if w > after && w + 3 * HOUR <= before {
                    return Some(w);
                }
            }
        }
        day += 1;
    }
    None
}

fn booking(window: i64, note: &str) -> Result<VisitBooking> {
    Ok(VisitBooking {
        window_start: ts(window)?,
        planned_start: Some(ts(window + 30 * MIN)?),
        duration_minutes: 60,
        travel_minutes: Some(30),
        note: Some(note.to_owned()),
        ..VisitBooking::default()
    })
}

fn geo(region: &str, jitter: f64) -> Option<Geo> {
    let (lat, lon) = near(region);
    Some(Geo { lat: lat + jitter, lon: lon - jitter, accuracy_m: Some(18.0 + jitter * 1000.0) })
}

pub(crate) async fn create(
    app: &App,
    org: &Org,
    live: &[Option<Live>],
    cal: &Cal,
    clock: &AtomicI64,
    now: i64,
) -> Result<()> {
    let dispatcher = &org.actors[org.staff("dispatch1")?];
    let operator = Actor::operator();
    // Open tickets an engineer works on, with the time of their last activity.
    let mut open: Vec<(Ticket, i64)> = Vec::new();
    for l in live.iter().flatten() {
        let t = app.ticket(&operator, l.ticket.id).await?.ticket;
        let worked = matches!(t.status, Status::Dispatched | Status::Responded | Status::InProgress);
        if !worked || t.first_line_id.is_none() || t.visit_at.is_some() {
            continue;
        }
        let last = app.history(&operator, t.id).await?.last().map_or(now, |e| e.at.as_millisecond());
        open.push((t, last));
    }
    open.sort_by_key(|(t, last)| (*last, t.id));
    let engineer_of = |t: &Ticket| -> Option<&Actor> {
        let id = t.first_line_id?;
        org.by_user.get(&id).map(|&i| &org.actors[i])
    };
    let region_of = |t: &Ticket| org.customers.iter().find(|c| c.id == t.customer_id).map_or("华东", |c| c.region);

    // Done and late visits, on the tickets quiet longest (each in its own engineer's day).
    let mut past = 0;
    let mut used = Vec::new();
    for (t, last) in &open {
        if past == 3 {
            break;
        }
        let (Some(engineer), Some(window)) = (engineer_of(t), past_slot(cal, last + HOUR, now)) else { continue };
        if used.contains(&engineer.id()) {
            continue;
        }
        clock.store(last + 10 * MIN, Ordering::Relaxed);
        let Ok(v) = app.book_visit(dispatcher, t.id, &booking(window, "已与客户电话确认上门时间")?).await
        else {
            continue;
        };
        used.push(engineer.id());
        let late = past == 2;
        if late {
            // Not checked in 15 minutes before the window ends: the watch tells the customer.
            clock.store(v.visit.late_watch_at().as_millisecond() + MIN, Ordering::Relaxed);
            app.run_jobs::<VisitLateWatch>("demo", 100).await?;
        }
        let arrive = if late { window + 2 * HOUR + 25 * MIN } else { window + 35 * MIN };
        clock.store(arrive, Ordering::Relaxed);
        let version = app.visit(dispatcher, v.visit.id).await?.visit.version;
        let jitter = 0.001 * (past as f64 + 1.0);
        let check = VisitCheck { version, geo: geo(region_of(t), jitter), note: None };
        let v = app.check_in(engineer, v.visit.id, &check).await?;
        clock.store(arrive + 70 * MIN, Ordering::Relaxed);
        let note = DONE[past % DONE.len()].to_owned();
        let out = VisitCheck { version: v.visit.version, geo: geo(region_of(t), jitter), note: Some(note) };
        app.check_out(engineer, v.visit.id, &out).await?;
        past += 1;
    }

    // Upcoming visits on the next working days.
    clock.store(now, Ordering::Relaxed);
    let today = cal.day(now);
    let (d1, d2) = (next_workday(cal, today), next_workday(cal, next_workday(cal, today)));
    let slots = [(d1, 9), (d1, 14), (d2, 10), (d2, 15)];
    let mut booked = 0;
    for (t, _) in &open {
        if booked == slots.len() {
            break;
        }
        if app.ticket(&operator, t.id).await?.visit_at.is_some() {
            continue;
        }
        let (day, hour) = slots[booked];
        let window = cal.at(day, hour * HOUR);
        if app.book_visit(dispatcher, t.id, &booking(window, "客户要求上门检修")?).await.is_ok() {
            booked += 1;
        }
    }

    // Leave and duty: two engineers on leave later next week, one on duty on the weekend.
    let supervisor =
        org.actors.iter().find(|a| a.user.role == aftersales_domain::role::Role::Supervisor).unwrap_or(dispatcher);
    let date = |day: i64| -> Result<jiff::civil::Date> {
        Ok(ts(cal.at(day, 12 * HOUR))?
            .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC))
            .date())
    };
    let later = next_workday(cal, next_workday(cal, d2));
    let free: Vec<&crate::org::Engineer> =
        org.engineers.iter().filter(|e| !e.second_line && !used.contains(&e.user_id)).take(3).collect();
    for (i, e) in free.iter().enumerate() {
        let (from, to, kind, note) = match i {
            0 => (later, later + 1, DayKind::Leave, "年假"),
            1 => (later + 1, later + 1, DayKind::Leave, "病假"),
            _ => {
                let mut sat = today + 1;
                while cal.is_workday(sat) {
                    sat += 1;
                }
                (sat, sat, DayKind::Duty, "周末值班")
            }
        };
        let input = DaysInput { from: date(from)?, to: Some(date(to)?), kind: Some(kind), note: Some(note.into()) };
        app.set_working_days(supervisor, e.user_id, &input).await?;
    }
    Ok(())
}
