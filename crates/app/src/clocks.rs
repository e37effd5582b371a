//! Calendars, service policies and the clocks on tickets (DOMAIN §3, §4).
//!
//! Compiled calendars and policy versions are cached in the process: policy versions never
//! change once stored, and the calendar cache is dropped on every local edit and reloaded
//! within a second of another process's edit (another instance, a separate worker): every
//! calendar or holiday-set write changes `policy::calendars_version`, which a process
//! compares with its own at most once a second (issue 18; it was a minute).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use aftersales_domain::calendar::{Calendar, CalendarSpec, HolidaySet, parse_span};
use aftersales_domain::clock::{ClockSet, ClockView, Context, ServicePolicy, Warning};
use aftersales_domain::error::{Conflict, Reason};
use aftersales_domain::event::Event;
use aftersales_domain::permission::Action;
use aftersales_domain::ticket::Ticket;
use aftersales_domain::{DomainError, Timestamp};
use aftersales_storage::{Conn, catalog, directory, policy, tickets};
use serde::{Deserialize, Serialize};

use crate::{Actor, App, AppError, Result};

/// The calendar every deployment has; tickets fall back to it.
pub const DEFAULT_CALENDAR: &str = "cn";

/// How often a process asks whether the stored calendars changed.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// Compiled calendars by name, with the stored version they were loaded at and when that
/// was last confirmed current.
struct Loaded {
    calendars: HashMap<String, Arc<Calendar>>,
    holiday_sets: Vec<HolidaySet>,
    version: Option<String>,
    checked: std::sync::Mutex<Instant>,
}

impl Loaded {
    fn due_for_check(&self) -> bool {
        self.checked.lock().map(|at| at.elapsed() >= CHECK_EVERY).unwrap_or(true)
    }

    fn confirmed(&self) {
        if let Ok(mut at) = self.checked.lock() {
            *at = Instant::now();
        }
    }
}

/// The process-wide cache of compiled calendars and policy versions.
#[derive(Default)]
pub struct Cache {
    loaded: RwLock<Option<Arc<Loaded>>>,
    /// Bumped by every local calendar edit: a load that started before it is not kept.
    generation: std::sync::atomic::AtomicU64,
    policies: RwLock<BTreeMap<i64, ServicePolicy>>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").finish_non_exhaustive()
    }
}

/// A calendar as the API shows it: its definition and the holiday years it knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarInfo {
    #[serde(flatten)]
    pub spec: CalendarSpec,
    /// Years with official holiday data, and where each came from.
    pub holiday_years: BTreeMap<i16, String>,
    /// Minutes of one full working day (the `d` in spans like `3d`).
    pub day_minutes: i64,
}

/// The answer to "when is this due" / "how much working time lies between".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarAnswer {
    pub calendar: String,
    /// RFC 3339 with the calendar's offset, e.g. `2025-10-09T11:00:00+08:00`.
    pub due: Option<String>,
    pub working_minutes: i64,
    pub warnings: Vec<Warning>,
}

/// A holiday import (`POST /api/v1/holiday-sets/{name}/import`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HolidayImport {
    /// `csv` (the format of the shipped data file) or `ics` (iCalendar).
    pub format: String,
    pub data: String,
    /// Where the data comes from (required for `ics`; CSV files state it per year).
    pub source: Option<String>,
}

/// What an import changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HolidayImportResult {
    pub name: String,
    pub years: BTreeMap<i16, String>,
    pub days_imported: usize,
    pub tickets_recomputed: u64,
}

impl App {
    async fn loaded(&self) -> Result<Arc<Loaded>> {
        let current = self.cache.loaded.read().map_err(|_| poisoned())?.clone();
        let conn = self.store.read();
        if let Some(l) = current {
            if !l.due_for_check() {
                return Ok(l);
            }
            if policy::calendars_version(conn).await? == l.version {
                l.confirmed();
                return Ok(l);
            }
        }
        let generation = self.cache.generation.load(std::sync::atomic::Ordering::SeqCst);
        // Read before the calendars: an edit in between makes the next check reload again.
        let version = policy::calendars_version(conn).await?;
        let specs = policy::calendars(conn).await?;
        let holiday_sets = policy::holiday_sets(conn).await?;
        let mut calendars = HashMap::new();
        for spec in &specs {
            let set = spec.holiday_set.as_deref().and_then(|n| holiday_sets.iter().find(|s| s.name == n));
            match Calendar::compile(spec, set) {
                Ok(c) => {
                    calendars.insert(spec.name.clone(), Arc::new(c));
                }
                Err(e) => tracing::error!(calendar = %spec.name, error = %e, "stored calendar does not compile"),
            }
        }
        let l = Arc::new(Loaded { calendars, holiday_sets, version, checked: std::sync::Mutex::new(Instant::now()) });
        let mut slot = self.cache.loaded.write().map_err(|_| poisoned())?;
        if self.cache.generation.load(std::sync::atomic::Ordering::SeqCst) == generation {
            *slot = Some(l.clone());
        }
        Ok(l)
    }

    /// What is cached, however old (loads only when nothing is): used inside write
    /// transactions, which must not wait for a read connection (PostgreSQL shares one pool).
    async fn cached(&self) -> Result<Arc<Loaded>> {
        if let Some(l) = self.cache.loaded.read().map_err(|_| poisoned())?.as_ref() {
            return Ok(l.clone());
        }
        self.loaded().await
    }

    /// Reloads the calendar cache when another process changed the calendars (checked at
    /// most once a second); every use case calls it before it opens a write transaction,
    /// so edits made elsewhere apply within a second.
    pub(crate) async fn warm(&self) -> Result<()> {
        self.loaded().await.map(|_| ())
    }

    fn forget_calendars(&self) {
        self.cache.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut l) = self.cache.loaded.write() {
            *l = None;
        }
    }

    /// The compiled calendar `name`, or the default one.
    pub(crate) async fn calendar(&self, name: Option<&str>) -> Result<Arc<Calendar>> {
        let l = self.cached().await?;
        name.and_then(|n| l.calendars.get(n))
            .or_else(|| l.calendars.get(DEFAULT_CALENDAR))
            .cloned()
            .ok_or_else(|| AppError::not_found("calendar", name.unwrap_or(DEFAULT_CALENDAR)))
    }

    /// The policy versions a ticket's clocks refer to.
    pub(crate) async fn policies<C: Conn>(&self, conn: &C, versions: &[i64]) -> Result<BTreeMap<i64, ServicePolicy>> {
        let mut out = BTreeMap::new();
        let mut missing = Vec::new();
        {
            let cached = self.cache.policies.read().map_err(|_| poisoned())?;
            for v in versions {
                match cached.get(v) {
                    Some(p) => {
                        out.insert(*v, p.clone());
                    }
                    None => missing.push(*v),
                }
            }
        }
        if !missing.is_empty() {
            let found = policy::policies(conn, &missing).await?;
            let mut cached = self.cache.policies.write().map_err(|_| poisoned())?;
            for p in found {
                cached.insert(p.version, p.clone());
                out.insert(p.version, p);
            }
        }
        Ok(out)
    }

    /// The calendar a customer's tickets count on: its own, else its region's, else `cn`.
    pub(crate) async fn calendar_name_for(&self, customer: &aftersales_domain::customer::Customer) -> Result<String> {
        let l = self.cached().await?;
        if let Some(c) = customer.calendar.as_deref().filter(|c| l.calendars.contains_key(*c)) {
            return Ok(c.to_owned());
        }
        let by_region = l.calendars.values().find(|c| c.spec().region.as_deref() == Some(customer.region.as_str()));
        Ok(by_region.map(|c| c.spec().name.clone()).unwrap_or_else(|| DEFAULT_CALENDAR.to_owned()))
    }

    /// Applies one new event to the ticket's clocks (before the ticket is saved).
    pub(crate) async fn advance_clocks<C: Conn>(&self, conn: &C, t: &mut Ticket, e: &Event) -> Result<()> {
        let cal = self.calendar(t.calendar.as_deref()).await?;
        let versions: Vec<i64> = t.clocks.policy_version.into_iter().chain(t.policy_version).collect();
        let policies = self.policies(conn, &versions).await?;
        let before = t.clocks.warnings.len();
        t.clocks.apply_event(e, &Context { calendar: &cal, policies: &policies })?;
        for w in &t.clocks.warnings[before..] {
            tracing::warn!(ticket = %t.number, warning = %w.message(aftersales_domain::Lang::En), "clock warning");
        }
        Ok(())
    }

    /// Folds the whole history of a ticket into clocks (what [`App::advance_clocks`] built
    /// step by step must equal this).
    pub async fn replay_clocks<C: Conn>(&self, conn: &C, t: &Ticket) -> Result<ClockSet> {
        let events = tickets::events(conn, t.id).await?;
        let versions: Vec<i64> = events
            .iter()
            .flat_map(|e| e.changes.iter())
            .filter(|c| c.field == "policy_version")
            .filter_map(|c| c.after.as_i64())
            .collect();
        let versions: Vec<i64> = versions.into_iter().chain(t.policy_version).collect();
        let policies = self.policies(conn, &versions).await?;
        let cal = self.calendar(t.calendar.as_deref()).await?;
        // Tickets accepted before clocks existed have no policy or customer level in their
        // history; they start from the ones set on them when clocks arrived (`backfill_clocks`).
        let mut initial = ClockSet::default();
        if !events.iter().flat_map(|e| e.changes.iter()).any(|c| c.field == "policy_version") {
            initial.policy_version = t.policy_version;
            initial.customer_level = t.customer_level.clone();
        }
        let ctx = Context { calendar: &cal, policies: &policies };
        let mut set = initial;
        for e in &events {
            set.apply_event(e, &ctx)?;
        }
        Ok(set)
    }

    /// The clocks of a ticket as a person sees them now.
    pub(crate) async fn clock_views(&self, t: &Ticket) -> Result<Vec<ClockView>> {
        if t.clocks.tracks.is_empty() {
            return Ok(Vec::new());
        }
        let cal = self.calendar(t.calendar.as_deref()).await?;
        Ok(t.clocks.views(self.now(), &cal))
    }

    /// Stores an edited holiday set (it must read back, or no calendar could load again),
    /// commits, and recomputes the open tickets of every calendar that observes it; returns
    /// how many were recomputed.
    async fn store_holiday_set(&self, tx: aftersales_storage::WriteTx, set: &HolidaySet) -> Result<u64> {
        HolidaySet::parse_csv(&set.name, &set.to_csv())?;
        policy::put_holiday_set(&*tx, set, self.now()).await?;
        let observers: Vec<String> = policy::calendars(&*tx)
            .await?
            .into_iter()
            .filter(|c| c.holiday_set.as_deref() == Some(set.name.as_str()))
            .map(|c| c.name)
            .collect();
        tx.commit().await?;
        self.forget_calendars();
        let mut tickets_recomputed = 0;
        for c in observers {
            tickets_recomputed += self.recompute_on(&c).await?;
        }
        Ok(tickets_recomputed)
    }

    /// Replays the clocks of every ticket with live clocks on `calendar` (after the
    /// calendar or its holidays changed), in batches of one transaction each.
    async fn recompute_on(&self, calendar: &str) -> Result<u64> {
        let mut after = 0;
        let mut changed = 0;
        loop {
            let ids = policy::tickets_on_calendar(self.store.read(), calendar, after, 200).await?;
            let Some(&last) = ids.last() else { break };
            after = last;
            self.warm().await?;
            let tx = self.store.write().await?;
            for id in ids {
                let Some(mut t) = tickets::by_id(&*tx, id).await? else { continue };
                let clocks = self.replay_clocks(&*tx, &t).await?;
                if clocks != t.clocks {
                    t.clocks = clocks;
                    // A step that read the ticket before this commit is refused as stale
                    // (its clocks were moved on the old calendar) and is retried by its client.
                    if tickets::update_clocks(&*tx, &t).await? {
                        changed += 1;
                        let cal = self.calendar(t.calendar.as_deref()).await?;
                        self.reschedule(&tx, &t, &cal).await?;
                    }
                }
            }
            tx.commit().await?;
        }
        Ok(changed)
    }

    /// Gives tickets accepted before clocks existed their calendar, customer level and the
    /// policy in force, and folds their history into clocks (run at start, idempotent).
    pub async fn backfill_clocks(&self) -> Result<u64> {
        let mut after = 0;
        let mut done = 0;
        let Some(current) = policy::current_policy(self.store.read()).await? else { return Ok(0) };
        loop {
            let ids = policy::tickets_without_clocks(self.store.read(), after, 200).await?;
            let Some(&last) = ids.last() else { break };
            after = last;
            self.warm().await?;
            let tx = self.store.write().await?;
            for id in ids {
                let Some(mut t) = tickets::by_id(&*tx, id).await? else { continue };
                let Some(customer) = directory::customer_by_id(&*tx, t.customer_id).await? else { continue };
                t.calendar = Some(self.calendar_name_for(&customer).await?);
                t.customer_level = Some(customer.level);
                t.policy_version = Some(current.version);
                t.clocks = self.replay_clocks(&*tx, &t).await?;
                let based_on = t.version;
                t.version += 1;
                if tickets::update(&*tx, &t, based_on).await? {
                    done += 1;
                    let cal = self.calendar(t.calendar.as_deref()).await?;
                    self.reschedule(&tx, &t, &cal).await?;
                }
            }
            tx.commit().await?;
        }
        if done > 0 {
            tracing::info!(tickets = done, "clocks computed for tickets accepted before clocks existed");
        }
        Ok(done)
    }

    // ----- calendars -----

    pub async fn calendars(&self, actor: &Actor) -> Result<Vec<CalendarInfo>> {
        actor.require(Action::ReadServicePolicy)?;
        let l = self.loaded().await?;
        let mut out: Vec<CalendarInfo> = l.calendars.values().map(|c| info(c, &l.holiday_sets)).collect();
        out.sort_by(|a, b| a.spec.name.cmp(&b.spec.name));
        Ok(out)
    }

    pub async fn calendar_info(&self, actor: &Actor, name: &str) -> Result<CalendarInfo> {
        actor.require(Action::ReadServicePolicy)?;
        let l = self.loaded().await?;
        let c = l.calendars.get(name).ok_or_else(|| AppError::not_found("calendar", name))?;
        Ok(info(c, &l.holiday_sets))
    }

    /// Creates or replaces a calendar; open tickets on it get their clocks recomputed.
    pub async fn put_calendar(&self, actor: &Actor, spec: &CalendarSpec) -> Result<CalendarInfo> {
        actor.require(Action::ManageServicePolicy)?;
        spec.validate()?;
        let tx = self.store.write().await?;
        let sets = policy::holiday_sets(&*tx).await?;
        let set = match spec.holiday_set.as_deref() {
            Some(n) => Some(
                sets.iter().find(|s| s.name == n).ok_or_else(|| AppError::invalid("holiday_set", Reason::Unknown))?,
            ),
            None => None,
        };
        let compiled = Calendar::compile(spec, set)?;
        policy::put_calendar(&*tx, spec, self.now()).await?;
        tx.commit().await?;
        self.forget_calendars();
        self.recompute_on(&spec.name).await?;
        Ok(info(&compiled, &sets))
    }

    /// Creates a calendar; one of the same name is refused (`name` already exists) instead of
    /// being replaced, in the same transaction that stores the new one.
    pub async fn create_calendar(&self, actor: &Actor, spec: &CalendarSpec) -> Result<CalendarInfo> {
        actor.require(Action::ManageServicePolicy)?;
        spec.validate()?;
        let tx = self.store.write().await?;
        if policy::calendars(&*tx).await?.iter().any(|c| c.name == spec.name) {
            return Err(AppError::invalid("name", Reason::Duplicate));
        }
        let sets = policy::holiday_sets(&*tx).await?;
        let set = match spec.holiday_set.as_deref() {
            Some(n) => Some(
                sets.iter().find(|s| s.name == n).ok_or_else(|| AppError::invalid("holiday_set", Reason::Unknown))?,
            ),
            None => None,
        };
        let compiled = Calendar::compile(spec, set)?;
        policy::insert_calendar(&*tx, spec, self.now()).await.map_err(|e| match e {
            aftersales_storage::StorageError::Duplicate(_) => AppError::invalid("name", Reason::Duplicate),
            e => e.into(),
        })?;
        tx.commit().await?;
        self.forget_calendars();
        Ok(info(&compiled, &sets))
    }

    /// `aftersales calendar add`: the instant `span` of working time after `from`.
    pub async fn calendar_add(&self, actor: &Actor, name: &str, from: Timestamp, span: &str) -> Result<CalendarAnswer> {
        actor.require(Action::ReadServicePolicy)?;
        let l = self.loaded().await?;
        let cal = l.calendars.get(name).ok_or_else(|| AppError::not_found("calendar", name))?;
        let span = parse_span(span, cal.day_length())?;
        let due = cal.add(from, span).map_err(|e| e.for_field("from"))?;
        let tz = jiff::tz::TimeZone::get(&cal.spec().time_zone)
            .map_err(|_| AppError::invalid("time_zone", Reason::Unknown))?;
        Ok(CalendarAnswer {
            calendar: name.to_owned(),
            due: Some(due.to_zoned(tz).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()),
            working_minutes: span.as_secs() / 60,
            warnings: warnings(cal, from, due),
        })
    }

    /// `aftersales calendar between`: working time from `from` to `to`.
    pub async fn calendar_between(
        &self,
        actor: &Actor,
        name: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<CalendarAnswer> {
        actor.require(Action::ReadServicePolicy)?;
        let l = self.loaded().await?;
        let cal = l.calendars.get(name).ok_or_else(|| AppError::not_found("calendar", name))?;
        let d = cal.between(from, to).map_err(|e| e.for_field("to"))?;
        Ok(CalendarAnswer {
            calendar: name.to_owned(),
            due: None,
            working_minutes: d.as_secs() / 60,
            warnings: warnings(cal, from.min(to), from.max(to)),
        })
    }

    pub async fn holiday_set(&self, actor: &Actor, name: &str) -> Result<HolidaySet> {
        actor.require(Action::ReadServicePolicy)?;
        let l = self.loaded().await?;
        l.holiday_sets.iter().find(|s| s.name == name).cloned().ok_or_else(|| AppError::not_found("holiday set", name))
    }

    /// Imports a year (or years) of official holidays: the imported years replace what the
    /// set held for them; every ticket counting on a calendar that observes the set gets
    /// its clocks recomputed.
    pub async fn import_holidays(
        &self,
        actor: &Actor,
        name: &str,
        import: &HolidayImport,
    ) -> Result<HolidayImportResult> {
        actor.require(Action::ManageServicePolicy)?;
        if !aftersales_domain::calendar::is_valid_name(name) {
            return Err(AppError::invalid(
                "name",
                Reason::Malformed {
                    expected_en: "1 to 32 of a-z 0-9 _ -",
                    expected_zh: "1 至 32 个小写字母、数字、_ 或 -",
                },
            ));
        }
        let incoming = match import.format.as_str() {
            "csv" => HolidaySet::parse_csv(name, &import.data)?,
            "ics" => {
                let source = import
                    .source
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| AppError::invalid("source", Reason::Missing))?;
                HolidaySet::parse_ics(name, &import.data, source)?
            }
            _ => {
                return Err(AppError::invalid(
                    "format",
                    Reason::Malformed { expected_en: "csv or ics", expected_zh: "csv 或 ics" },
                ));
            }
        };
        if incoming.years.is_empty() {
            return Err(AppError::invalid("data", Reason::Missing));
        }
        let days_imported = incoming.days.len();
        let tx = self.store.write().await?;
        let mut set = policy::holiday_sets(&*tx)
            .await?
            .into_iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| HolidaySet { name: name.to_owned(), years: BTreeMap::new(), days: BTreeMap::new() });
        set.merge(incoming);
        let tickets_recomputed = self.store_holiday_set(tx, &set).await?;
        Ok(HolidayImportResult { name: name.to_owned(), years: set.years, days_imported, tickets_recomputed })
    }

    // ----- service policies -----

    pub async fn service_policy(&self, actor: &Actor, version: Option<i64>) -> Result<ServicePolicy> {
        actor.require(Action::ReadServicePolicy)?;
        let conn = self.store.read();
        match version {
            None => policy::current_policy(conn).await?.ok_or_else(|| AppError::not_found("service policy", "current")),
            Some(v) => {
                self.policies(conn, &[v]).await?.remove(&v).ok_or_else(|| AppError::not_found("service policy", v))
            }
        }
    }

    pub async fn policy_versions(&self, actor: &Actor) -> Result<Vec<policy::PolicyVersion>> {
        actor.require(Action::ReadServicePolicy)?;
        Ok(policy::policy_versions(self.store.read()).await?)
    }

    /// Stores a new policy version. Tickets keep the version they were accepted or graded
    /// under; the new one applies to what is accepted or graded from now on.
    pub async fn put_service_policy(&self, actor: &Actor, p: &ServicePolicy) -> Result<ServicePolicy> {
        self.save_service_policy(actor, p, None).await
    }

    /// [`App::put_service_policy`] for an edit based on version `based_on` (an edit form
    /// posts the version it showed): when a newer version was stored meanwhile, nothing is
    /// stored and the edit is refused naming the current version (`stale_policy`, 409), so a
    /// stale form never silently replaces someone else's version. `None` checks nothing.
    pub async fn save_service_policy(
        &self,
        actor: &Actor,
        p: &ServicePolicy,
        based_on: Option<i64>,
    ) -> Result<ServicePolicy> {
        actor.require(Action::ManageServicePolicy)?;
        let tx = self.store.write().await?;
        policy::lock_policy(&*tx).await?;
        if let Some(based_on) = based_on {
            let current = policy::current_policy(&*tx).await?.map_or(0, |c| c.version);
            if current != based_on {
                return Err(stale_policy(current));
            }
        }
        let scheme = catalog::grading_scheme(&*tx).await?;
        let levels: Vec<String> = directory::levels(&*tx).await?.into_iter().map(|l| l.code).collect();
        p.validate(&scheme, &levels)?;
        let mut stored = p.clone();
        stored.version = policy::insert_policy(&*tx, &stored, Some(actor.id()), self.now()).await?;
        tx.commit().await?;
        Ok(stored)
    }
}

/// The service policy changed since the version an edit was based on.
pub(crate) fn stale_policy(current: i64) -> AppError {
    DomainError::from(Conflict::StalePolicy { current }).into()
}

fn poisoned() -> AppError {
    AppError::internal("calendar cache", "lock poisoned")
}

fn info(c: &Calendar, sets: &[HolidaySet]) -> CalendarInfo {
    let holiday_years = c
        .spec()
        .holiday_set
        .as_deref()
        .and_then(|n| sets.iter().find(|s| s.name == n))
        .map(|s| s.years.clone())
        .unwrap_or_default();
    CalendarInfo { spec: c.spec().clone(), holiday_years, day_minutes: c.day_length().as_secs() / 60 }
}

fn warnings(cal: &Calendar, from: Timestamp, to: Timestamp) -> Vec<Warning> {
    cal.uncovered_years(from, to)
        .into_iter()
        .map(|year| Warning::NoHolidayData { calendar: cal.spec().name.clone(), year })
        .collect()
}

impl App {
    /// The names of the stored holiday sets (for choosing the one a calendar observes).
    pub async fn holiday_set_names(&self, actor: &Actor) -> Result<Vec<String>> {
        actor.require(Action::ReadServicePolicy)?;
        let l = self.loaded().await?;
        Ok(l.holiday_sets.iter().map(|s| s.name.clone()).collect())
    }

    /// An administrator's hand edit of a holiday set (the calendar page): the days
    /// `first..=last` get `rule` (a day off or a make-up working day), or lose the rule they
    /// had when `rule` is `None`. A year the set has no data for yet needs `source` (where
    /// the schedule comes from). Every ticket counting on a calendar that observes the set
    /// gets its clocks recomputed, as after an import.
    pub async fn edit_holidays(
        &self,
        actor: &Actor,
        name: &str,
        first: jiff::civil::Date,
        last: jiff::civil::Date,
        rule: Option<&aftersales_domain::calendar::DayRule>,
        source: Option<&str>,
    ) -> Result<HolidayImportResult> {
        actor.require(Action::ManageServicePolicy)?;
        let tx = self.store.write().await?;
        let mut set = policy::holiday_sets(&*tx)
            .await?
            .into_iter()
            .find(|s| s.name == name)
            .ok_or_else(|| AppError::not_found("holiday set", name))?;
        let days = set.edit(first, last, rule, source)?;
        let tickets_recomputed = self.store_holiday_set(tx, &set).await?;
        Ok(HolidayImportResult { name: name.to_owned(), years: set.years, days_imported: days, tickets_recomputed })
    }
}
