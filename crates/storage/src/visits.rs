//! Visits (上门预约), engineers' leave and duty days, and the visit settings (issue 13).

use aftersales_domain::visit::{Geo, MAX_DURATION_MINUTES, MAX_TRAVEL_MINUTES, Visit, VisitStatus};
use aftersales_domain::working_calendar::{DayKind, EngineerDay};
use aftersales_domain::{Id, Timestamp};
use jiff::civil::Date;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_code, get_opt_ts, get_ts, ms, opt_ms};
use crate::schema::{EngineerDays, Tickets, VisitSettings, Visits};
use crate::{Result, StorageError, insert_returning_id};

const COLS: [Visits; 28] = [
    Visits::Id,
    Visits::TicketId,
    Visits::EngineerId,
    Visits::WindowStart,
    Visits::WindowEnd,
    Visits::PlannedStart,
    Visits::DurationMinutes,
    Visits::TravelMinutes,
    Visits::Address,
    Visits::Site,
    Visits::Status,
    Visits::CheckedInAt,
    Visits::CheckInLat,
    Visits::CheckInLon,
    Visits::CheckInAccuracy,
    Visits::CheckedOutAt,
    Visits::CheckOutLat,
    Visits::CheckOutLon,
    Visits::CheckOutAccuracy,
    Visits::OnTime,
    Visits::ExpectedArrival,
    Visits::Delays,
    Visits::LateNotifiedAt,
    Visits::CancelReason,
    Visits::Version,
    Visits::CreatedBy,
    Visits::CreatedAt,
    Visits::UpdatedAt,
];

fn select() -> SelectStatement {
    Query::select()
        .columns(COLS.map(|c| (Visits::Table, c)))
        .column((Tickets::Table, Tickets::Number))
        .from(Visits::Table)
        .inner_join(Tickets::Table, Expr::col((Tickets::Table, Tickets::Id)).equals((Visits::Table, Visits::TicketId)))
        .to_owned()
}

fn geo(r: &QueryResult, lat: &str, lon: &str, acc: &str) -> Result<Option<Geo>> {
    let (lat, lon): (Option<f64>, Option<f64>) = (get(r, lat)?, get(r, lon)?);
    Ok(match (lat, lon) {
        (Some(lat), Some(lon)) => Some(Geo { lat, lon, accuracy_m: get(r, acc)? }),
        _ => None,
    })
}

fn visit(r: &QueryResult) -> Result<Visit> {
    Ok(Visit {
        id: get(r, "id")?,
        ticket_id: get(r, "ticket_id")?,
        ticket_number: get(r, "number")?,
        engineer_id: get(r, "engineer_id")?,
        window_start: get_ts(r, "window_start")?,
        window_end: get_ts(r, "window_end")?,
        planned_start: get_ts(r, "planned_start")?,
        duration_minutes: get(r, "duration_minutes")?,
        travel_minutes: get(r, "travel_minutes")?,
        address: get(r, "address")?,
        site: get(r, "site")?,
        status: get_code(r, "status", VisitStatus::from_code)?,
        checked_in_at: get_opt_ts(r, "checked_in_at")?,
        check_in_geo: geo(r, "check_in_lat", "check_in_lon", "check_in_accuracy")?,
        checked_out_at: get_opt_ts(r, "checked_out_at")?,
        check_out_geo: geo(r, "check_out_lat", "check_out_lon", "check_out_accuracy")?,
        on_time: get(r, "on_time")?,
        expected_arrival: get_opt_ts(r, "expected_arrival")?,
        delays: get(r, "delays")?,
        late_notified_at: get_opt_ts(r, "late_notified_at")?,
        cancel_reason: get(r, "cancel_reason")?,
        version: get(r, "version")?,
        created_at: get_ts(r, "created_at")?,
    })
}

/// The columns a visit's state writes, with its values (all but id, ticket, creator).
fn state(v: &Visit) -> Vec<(Visits, sea_orm::Value)> {
    let geo = |g: Option<Geo>| (g.map(|g| g.lat), g.map(|g| g.lon), g.and_then(|g| g.accuracy_m));
    let (il, io, ia) = geo(v.check_in_geo);
    let (ol, oo, oa) = geo(v.check_out_geo);
    vec![
        (Visits::EngineerId, v.engineer_id.into()),
        (Visits::WindowStart, ms(v.window_start).into()),
        (Visits::WindowEnd, ms(v.window_end).into()),
        (Visits::PlannedStart, ms(v.planned_start).into()),
        (Visits::DurationMinutes, v.duration_minutes.into()),
        (Visits::TravelMinutes, v.travel_minutes.into()),
        (Visits::Address, v.address.clone().into()),
        (Visits::Site, v.site.clone().into()),
        (Visits::Status, v.status.code().into()),
        (Visits::CheckedInAt, opt_ms(v.checked_in_at).into()),
        (Visits::CheckInLat, il.into()),
        (Visits::CheckInLon, io.into()),
        (Visits::CheckInAccuracy, ia.into()),
        (Visits::CheckedOutAt, opt_ms(v.checked_out_at).into()),
        (Visits::CheckOutLat, ol.into()),
        (Visits::CheckOutLon, oo.into()),
        (Visits::CheckOutAccuracy, oa.into()),
        (Visits::OnTime, v.on_time.into()),
        (Visits::ExpectedArrival, opt_ms(v.expected_arrival).into()),
        (Visits::Delays, v.delays.into()),
        (Visits::LateNotifiedAt, opt_ms(v.late_notified_at).into()),
        (Visits::CancelReason, v.cancel_reason.clone().into()),
    ]
}

/// The insert of new visits (version 1) made by `by` at `now`.
fn insert_of(visits: &[Visit], by: Id, now: Timestamp) -> sea_orm::sea_query::InsertStatement {
    let mut cols = vec![Visits::TicketId, Visits::Version, Visits::CreatedBy, Visits::CreatedAt, Visits::UpdatedAt];
    cols.extend(state(&Visit::book(0, "", 0, empty_plan(now), now)).into_iter().map(|(c, _)| c));
    let mut stmt = Query::insert().into_table(Visits::Table).columns(cols).to_owned();
    for v in visits {
        let mut vals: Vec<sea_orm::sea_query::SimpleExpr> =
            vec![v.ticket_id.into(), 1i64.into(), by.into(), ms(now).into(), ms(now).into()];
        vals.extend(state(v).into_iter().map(|(_, val)| val.into()));
        stmt.values_panic(vals);
    }
    stmt
}

fn empty_plan(now: Timestamp) -> aftersales_domain::visit::CheckedPlan {
    aftersales_domain::visit::CheckedPlan {
        window_start: now,
        window_end: now,
        planned_start: now,
        duration_minutes: 0,
        travel_minutes: 0,
        address: String::new(),
        site: String::new(),
    }
}

/// Stores a new visit (version 1); its id.
pub async fn insert<C: ConnectionTrait>(conn: &C, v: &Visit, by: Id, now: Timestamp) -> Result<Id> {
    insert_returning_id(conn, insert_of(std::slice::from_ref(v), by, now)).await
}

/// Stores many new visits in batches (the benches' bulk data); how many.
pub(crate) async fn insert_many<C: ConnectionTrait>(conn: &C, visits: &[Visit], by: Id, now: Timestamp) -> Result<u64> {
    let mut n = 0;
    for chunk in visits.chunks(200) {
        n += conn.execute(&insert_of(chunk, by, now)).await.map_err(StorageError::from_db)?.rows_affected();
    }
    Ok(n)
}

/// Writes a visit's new state if it is still at version `based_on` (bumping the version);
/// false when another change came first.
pub async fn update<C: ConnectionTrait>(conn: &C, v: &Visit, based_on: i64, now: Timestamp) -> Result<bool> {
    let mut stmt = Query::update();
    stmt.table(Visits::Table);
    for (c, val) in state(v) {
        stmt.value(c, val);
    }
    stmt.value(Visits::Version, based_on + 1)
        .value(Visits::UpdatedAt, ms(now))
        .and_where(Expr::col(Visits::Id).eq(v.id))
        .and_where(Expr::col(Visits::Version).eq(based_on));
    let r = conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(r.rows_affected() == 1)
}

pub async fn by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<Visit>> {
    let stmt = select().and_where(Expr::col((Visits::Table, Visits::Id)).eq(id)).to_owned();
    conn.query_one(&stmt).await?.as_ref().map(visit).transpose()
}

/// A ticket's visits, earliest window first.
pub async fn by_ticket<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<Vec<Visit>> {
    let stmt = select()
        .and_where(Expr::col((Visits::Table, Visits::TicketId)).eq(ticket))
        .order_by((Visits::Table, Visits::WindowStart), Order::Asc)
        .order_by((Visits::Table, Visits::Id), Order::Asc)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(visit).collect()
}

/// The visits of `engineers` (every engineer when `None`) whose busy interval (travel
/// included) meets `[from, to)`, cancelled ones only when `cancelled`; by engineer, then
/// planned start. Read through `ix_visits_engineer_start`: the planned start lies within
/// the range widened by the longest duration before and the longest travel after.
pub async fn in_range<C: ConnectionTrait>(
    conn: &C,
    engineers: Option<&[Id]>,
    from: Timestamp,
    to: Timestamp,
    cancelled: bool,
) -> Result<Vec<Visit>> {
    let lo = ms(from) - MAX_DURATION_MINUTES * 60_000;
    let hi = ms(to) + MAX_TRAVEL_MINUTES * 60_000;
    let mut stmt = select()
        .and_where(Expr::col((Visits::Table, Visits::PlannedStart)).gt(lo))
        .and_where(Expr::col((Visits::Table, Visits::PlannedStart)).lt(hi))
        .order_by((Visits::Table, Visits::EngineerId), Order::Asc)
        .order_by((Visits::Table, Visits::PlannedStart), Order::Asc)
        .to_owned();
    if let Some(ids) = engineers {
        stmt.and_where(Expr::col((Visits::Table, Visits::EngineerId)).is_in(ids.iter().copied()));
    }
    if !cancelled {
        stmt.and_where(Expr::col((Visits::Table, Visits::Status)).ne(VisitStatus::Cancelled.code()));
    }
    let all: Vec<Visit> = conn.query_all(&stmt).await?.iter().map(visit).collect::<Result<_>>()?;
    Ok(all
        .into_iter()
        .filter(|v| {
            let (a, b) = v.busy();
            a < to && from < b
        })
        .collect())
}

/// Marks the late notice of a visit told, when it is still booked, not yet told, and its
/// window still ends at `window_end`; false otherwise (checked in, moved, told already).
pub async fn mark_late_notified<C: ConnectionTrait>(
    conn: &C,
    id: Id,
    window_end: Timestamp,
    now: Timestamp,
) -> Result<bool> {
    let stmt = Query::update()
        .table(Visits::Table)
        .value(Visits::LateNotifiedAt, ms(now))
        .value(Visits::UpdatedAt, ms(now))
        .value(Visits::Version, Expr::col(Visits::Version).add(1))
        .and_where(Expr::col(Visits::Id).eq(id))
        .and_where(Expr::col(Visits::Status).eq(VisitStatus::Booked.code()))
        .and_where(Expr::col(Visits::LateNotifiedAt).is_null())
        .and_where(Expr::col(Visits::WindowEnd).eq(ms(window_end)))
        .to_owned();
    let r = conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(r.rows_affected() == 1)
}

fn day(r: &QueryResult) -> Result<EngineerDay> {
    let text: String = get(r, "day")?;
    Ok(EngineerDay {
        user_id: get(r, "user_id")?,
        day: text.parse::<Date>().map_err(|e| StorageError::Corrupt(format!("day {text}: {e}")))?,
        kind: get_code(r, "kind", DayKind::from_code)?,
        note: get(r, "note")?,
    })
}

/// The leave and duty days of `users` (everyone's when `None`) in `[from, to]`, by user and day.
pub async fn days<C: ConnectionTrait>(
    conn: &C,
    users: Option<&[Id]>,
    from: Date,
    to: Date,
) -> Result<Vec<EngineerDay>> {
    let mut stmt = Query::select()
        .columns([EngineerDays::UserId, EngineerDays::Day, EngineerDays::Kind, EngineerDays::Note])
        .from(EngineerDays::Table)
        .and_where(Expr::col(EngineerDays::Day).gte(from.to_string()))
        .and_where(Expr::col(EngineerDays::Day).lte(to.to_string()))
        .order_by(EngineerDays::UserId, Order::Asc)
        .order_by(EngineerDays::Day, Order::Asc)
        .to_owned();
    if let Some(ids) = users {
        stmt.and_where(Expr::col(EngineerDays::UserId).is_in(ids.iter().copied()));
    }
    conn.query_all(&stmt).await?.iter().map(day).collect()
}

/// Sets one engineer's days (leave or duty replaces what the day was).
pub async fn set_days<C: ConnectionTrait>(conn: &C, days: &[EngineerDay], by: Id, now: Timestamp) -> Result<()> {
    for chunk in days.chunks(200) {
        let mut stmt = Query::insert()
            .into_table(EngineerDays::Table)
            .columns([
                EngineerDays::UserId,
                EngineerDays::Day,
                EngineerDays::Kind,
                EngineerDays::Note,
                EngineerDays::SetBy,
                EngineerDays::SetAt,
            ])
            .on_conflict(
                OnConflict::columns([EngineerDays::UserId, EngineerDays::Day])
                    .update_columns([EngineerDays::Kind, EngineerDays::Note, EngineerDays::SetBy, EngineerDays::SetAt])
                    .to_owned(),
            )
            .to_owned();
        for d in chunk {
            stmt.values_panic([
                d.user_id.into(),
                d.day.to_string().into(),
                d.kind.code().into(),
                d.note.clone().into(),
                by.into(),
                ms(now).into(),
            ]);
        }
        conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    }
    Ok(())
}

/// Clears one engineer's leave and duty days in `[from, to]` (back to the business
/// calendar); how many there were.
pub async fn clear_days<C: ConnectionTrait>(conn: &C, user: Id, from: Date, to: Date) -> Result<u64> {
    let stmt = Query::delete()
        .from_table(EngineerDays::Table)
        .and_where(Expr::col(EngineerDays::UserId).eq(user))
        .and_where(Expr::col(EngineerDays::Day).gte(from.to_string()))
        .and_where(Expr::col(EngineerDays::Day).lte(to.to_string()))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected())
}

/// A visit setting by name.
pub async fn setting<C: ConnectionTrait>(conn: &C, name: &str) -> Result<Option<String>> {
    let stmt = Query::select()
        .column(VisitSettings::Value)
        .from(VisitSettings::Table)
        .and_where(Expr::col(VisitSettings::Name).eq(name))
        .to_owned();
    conn.query_one(&stmt).await?.as_ref().map(|r| get(r, "value")).transpose()
}

pub async fn put_setting<C: ConnectionTrait>(conn: &C, name: &str, value: &str) -> Result<()> {
    let stmt = Query::insert()
        .into_table(VisitSettings::Table)
        .columns([VisitSettings::Name, VisitSettings::Value])
        .values_panic([name.into(), value.into()])
        .on_conflict(OnConflict::column(VisitSettings::Name).update_column(VisitSettings::Value).to_owned())
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}
