//! Business calendars, holiday sets and versioned service policies (DOMAIN §3, §4).

use aftersales_domain::calendar::{CalendarSpec, HolidaySet};
use aftersales_domain::clock::ServicePolicy;
use aftersales_domain::{Id, Timestamp};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::conv::{get, ms};
use crate::schema::{Calendars, HolidaySets, ServicePolicies};
use crate::{Result, StorageError};

fn corrupt(what: &str, e: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(format!("{what}: {e}"))
}

/// The setting whose value changes with every calendar or holiday set written (issue 18):
/// each process compares it with the one its compiled calendars were loaded at, at most
/// once a second, and reloads when it differs, so an edit made through one instance
/// reaches all of them within a second.
const CALENDARS_VERSION: &str = "calendars_version";

/// A value no other write has given the version: the instant, this process, a counter.
async fn bump_calendars_version<C: ConnectionTrait>(conn: &C, now: Timestamp) -> Result<()> {
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let value = format!("{}:{}:{n}", ms(now), std::process::id());
    crate::visits::put_setting(conn, CALENDARS_VERSION, &value).await
}

/// The calendars' version (none before the first write that sets it).
pub async fn calendars_version<C: ConnectionTrait>(conn: &C) -> Result<Option<String>> {
    crate::visits::setting(conn, CALENDARS_VERSION).await
}

pub async fn calendars<C: ConnectionTrait>(conn: &C) -> Result<Vec<CalendarSpec>> {
    let stmt =
        Query::select().column(Calendars::Spec).from(Calendars::Table).order_by(Calendars::Name, Order::Asc).to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| serde_json::from_str(&get::<String>(r, "spec")?).map_err(|e| corrupt("calendar", e)))
        .collect()
}

/// Creates or replaces a calendar (the caller validated it).
pub async fn put_calendar<C: ConnectionTrait>(conn: &C, spec: &CalendarSpec, now: Timestamp) -> Result<()> {
    let json = serde_json::to_string(spec).map_err(|e| corrupt("calendar", e))?;
    let stmt = Query::insert()
        .into_table(Calendars::Table)
        .columns([Calendars::Name, Calendars::Spec, Calendars::UpdatedAt])
        .values_panic([spec.name.clone().into(), json.into(), ms(now).into()])
        .on_conflict(
            OnConflict::column(Calendars::Name).update_columns([Calendars::Spec, Calendars::UpdatedAt]).to_owned(),
        )
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    bump_calendars_version(conn, now).await
}

/// Creates a calendar; one of the same name already stored is [`StorageError::Duplicate`]
/// (the caller validated it).
pub async fn insert_calendar<C: ConnectionTrait>(conn: &C, spec: &CalendarSpec, now: Timestamp) -> Result<()> {
    let json = serde_json::to_string(spec).map_err(|e| corrupt("calendar", e))?;
    let stmt = Query::insert()
        .into_table(Calendars::Table)
        .columns([Calendars::Name, Calendars::Spec, Calendars::UpdatedAt])
        .values_panic([spec.name.clone().into(), json.into(), ms(now).into()])
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    bump_calendars_version(conn, now).await
}

pub async fn holiday_sets<C: ConnectionTrait>(conn: &C) -> Result<Vec<HolidaySet>> {
    let stmt = Query::select()
        .columns([HolidaySets::Name, HolidaySets::Data])
        .from(HolidaySets::Table)
        .order_by(HolidaySets::Name, Order::Asc)
        .to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            let name: String = get(r, "name")?;
            HolidaySet::parse_csv(&name, &get::<String>(r, "data")?).map_err(|e| corrupt("holiday set", e))
        })
        .collect()
}

/// Creates or replaces a holiday set, stored in its CSV form (the same form it is edited in).
pub async fn put_holiday_set<C: ConnectionTrait>(conn: &C, set: &HolidaySet, now: Timestamp) -> Result<()> {
    let stmt = Query::insert()
        .into_table(HolidaySets::Table)
        .columns([HolidaySets::Name, HolidaySets::Data, HolidaySets::UpdatedAt])
        .values_panic([set.name.clone().into(), set.to_csv().into(), ms(now).into()])
        .on_conflict(
            OnConflict::column(HolidaySets::Name)
                .update_columns([HolidaySets::Data, HolidaySets::UpdatedAt])
                .to_owned(),
        )
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    bump_calendars_version(conn, now).await
}

fn policy(r: &sea_orm::QueryResult) -> Result<ServicePolicy> {
    let mut p: ServicePolicy =
        serde_json::from_str(&get::<String>(r, "policy")?).map_err(|e| corrupt("service policy", e))?;
    p.version = get(r, "version")?;
    Ok(p)
}

/// The newest policy version, if any was stored.
pub async fn current_policy<C: ConnectionTrait>(conn: &C) -> Result<Option<ServicePolicy>> {
    let stmt = Query::select()
        .columns([ServicePolicies::Version, ServicePolicies::Policy])
        .from(ServicePolicies::Table)
        .order_by(ServicePolicies::Version, Order::Desc)
        .limit(1)
        .to_owned();
    conn.query_one(&stmt).await?.as_ref().map(policy).transpose()
}

/// The given versions (unknown ones are left out).
pub async fn policies<C: ConnectionTrait>(conn: &C, versions: &[i64]) -> Result<Vec<ServicePolicy>> {
    if versions.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns([ServicePolicies::Version, ServicePolicies::Policy])
        .from(ServicePolicies::Table)
        .and_where(Expr::col(ServicePolicies::Version).is_in(versions.iter().copied()))
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(policy).collect()
}

/// One stored version, newest first, without its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    pub version: i64,
    pub created_at: Timestamp,
    pub created_by: Option<Id>,
}

pub async fn policy_versions<C: ConnectionTrait>(conn: &C) -> Result<Vec<PolicyVersion>> {
    let stmt = Query::select()
        .columns([ServicePolicies::Version, ServicePolicies::CreatedAt, ServicePolicies::CreatedBy])
        .from(ServicePolicies::Table)
        .order_by(ServicePolicies::Version, Order::Desc)
        .to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            Ok(PolicyVersion {
                version: get(r, "version")?,
                created_at: crate::conv::get_ts(r, "created_at")?,
                created_by: get(r, "created_by")?,
            })
        })
        .collect()
}

/// Serializes the writers of service policy versions and of the grading scheme (whose
/// columns feed a new version) until the transaction ends, so that checking the version an
/// edit was based on and storing the next one cannot interleave with another edit. SQLite
/// needs nothing: its writers already take turns.
pub async fn lock_policy<C: ConnectionTrait>(conn: &C) -> Result<()> {
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        conn.execute_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended('service_policies', 0))",
        ))
        .await?;
    }
    Ok(())
}

/// Stores a new version; versions are never changed once written.
pub async fn insert_policy<C: ConnectionTrait>(
    conn: &C,
    p: &ServicePolicy,
    by: Option<Id>,
    now: Timestamp,
) -> Result<i64> {
    let json = serde_json::to_string(p).map_err(|e| corrupt("service policy", e))?;
    let stmt = Query::insert()
        .into_table(ServicePolicies::Table)
        .columns([ServicePolicies::Policy, ServicePolicies::CreatedAt, ServicePolicies::CreatedBy])
        .values_panic([json.into(), ms(now).into(), by.into()])
        .returning_col(ServicePolicies::Version)
        .to_owned();
    let row = conn.query_one(&stmt).await?.ok_or_else(|| corrupt("service policy", "insert returned no row"))?;
    get(&row, "version")
}

/// Tickets with live clocks counting on `calendar` (to recompute their clocks after it changed).
pub async fn tickets_on_calendar<C: ConnectionTrait>(
    conn: &C,
    calendar: &str,
    after: Id,
    limit: u64,
) -> Result<Vec<Id>> {
    use crate::schema::Tickets;
    let stmt = Query::select()
        .column(Tickets::Id)
        .from(Tickets::Table)
        .and_where(Expr::col(Tickets::Calendar).eq(calendar))
        .and_where(Expr::col(Tickets::Id).gt(after))
        .cond_where(Expr::col(Tickets::NextDueAt).is_not_null().or(Expr::col(Tickets::Status).is_in([
            "accepted",
            "dispatched",
            "responded",
            "in_progress",
            "waiting_customer",
            "waiting_parts",
        ])))
        .order_by(Tickets::Id, Order::Asc)
        .limit(limit)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(|r| get(r, "id")).collect()
}

/// Accepted tickets that have no calendar yet: accepted before clocks existed.
pub async fn tickets_without_clocks<C: ConnectionTrait>(conn: &C, after: Id, limit: u64) -> Result<Vec<Id>> {
    use crate::schema::Tickets;
    let stmt = Query::select()
        .column(Tickets::Id)
        .from(Tickets::Table)
        .and_where(Expr::col(Tickets::Calendar).is_null())
        .and_where(Expr::col(Tickets::AcceptedAt).is_not_null())
        .and_where(Expr::col(Tickets::Id).gt(after))
        .order_by(Tickets::Id, Order::Asc)
        .limit(limit)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(|r| get(r, "id")).collect()
}
