//! The demo organization: a service desk in China with three regions, customers, devices,
//! staff of every role and three months of ticket history ending now.
//!
//! Everything is created through the real use cases, so every ticket's history consists of
//! genuine events. The generator first plans each ticket's steps with their times (seeded,
//! so the same seed gives the same organization), merges the steps of all tickets into one
//! chronological list, and then executes them with a clock that is moved to each step's
//! time. Steps planned after "now" are dropped, which leaves the most recent tickets open.
//!
//! Working time (when an engineer arrives, how long a repair takes, the desk's daily
//! progress messages) is counted on the organization's own `cn` calendar from
//! `domain::calendar`: office hours, China's holidays and make-up working days, the same
//! calendar its deadlines run on.

mod data;
mod field_fees;
mod field_parts;
mod field_visits;
mod field_work_orders;
mod org;
mod plan;
mod run;
mod time;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use aftersales_app::{App, AppError, Outcome, Result};
use aftersales_domain::Timestamp;
use aftersales_domain::role::Role;
use aftersales_storage::{StorageError, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::data::LOGINS;
use crate::plan::Planner;
use crate::run::Live;
use crate::time::{Cal, DAY, MIN};

/// The password of every demo user.
pub const DEMO_PASSWORD: &str = "demo1234";

/// A ready-made sign-in for one demo user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoLogin {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// An API token for this user.
    pub token: String,
}

/// What [`App::create_demo`] created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoSummary {
    pub password: String,
    /// One user of each role, with an API token.
    pub logins: Vec<DemoLogin>,
    pub customers: usize,
    pub devices: usize,
    pub engineers: usize,
    pub tickets: usize,
    /// Planned steps the use cases refused (0 unless a rule changed under the generator).
    pub skipped_steps: usize,
}

/// Deletes every row of every table, children before parents, in one transaction
/// (`aftersales demo` resets the demo; the caller then runs `ensure_defaults` and
/// [`create`] again).
pub async fn wipe(store: &Store) -> Result<()> {
    aftersales_storage::maintenance::wipe_all(store).await?;
    Ok(())
}

/// Creates the demo organization in an empty, migrated database (call
/// [`App::ensure_defaults`] first), with three months of history ending now.
pub async fn create(app: &App, seed: u64) -> Result<DemoSummary> {
    create_at(app, seed, app.now()).await
}

/// [`create`] with history ending at `now`: the same seed and `now` give the same
/// organization, ticket numbers and states.
pub async fn create_at(app: &App, seed: u64, now: Timestamp) -> Result<DemoSummary> {
    let now_ms = now.as_millisecond();
    let cal = Cal::load(app, now).await?;
    let clock = Arc::new(AtomicI64::new(now_ms - 100 * DAY));
    let hands = clock.clone();
    let app = app.clone().with_clock(Arc::new(move || {
        Timestamp::from_millisecond(hands.load(Ordering::Relaxed)).unwrap_or(Timestamp::UNIX_EPOCH)
    }));
    let mut rng = StdRng::seed_from_u64(seed);
    let org = org::create(&app, &mut rng, &cal, now_ms).await?;
    let parts = field_parts::setup(&app, &org, now_ms).await?;
    let devices = org.customers.iter().map(|c| c.devices.len()).sum();

    let mut planner = Planner {
        rng,
        cal: &cal,
        now: now_ms,
        org: &org,
        specs: Vec::new(),
        steps: Vec::new(),
        device_log: HashMap::new(),
    };
    planner.history(90)?;
    planner.current()?;
    let Planner { specs, mut steps, .. } = planner;
    steps.retain(|s| s.at <= now_ms);
    steps.sort_by_key(|s| (s.at, s.ticket, s.seq));

    let mut live: Vec<Option<Live>> = (0..specs.len()).map(|_| None).collect();
    let mut broken = vec![false; specs.len()];
    let mut skipped = 0;
    // The notice worker runs as time goes by, so reminders, timeouts and the daily table
    // fall on the days they belong to.
    let mut jobs_ran_at = 0;
    // DOMAIN §6: the callback selection runs after each service day, as the worker does,
    // over the last two weeks: a desk that started calling back by the rule then (older
    // history would only show a long tail of callbacks nobody was asked to make).
    let tz = app.settings().time_zone.clone();
    let callbacks_since = ts(now_ms - 14 * DAY)?.to_zoned(tz.clone()).date();
    let mut selected_until: Option<jiff::civil::Date> = None;
    for step in &steps {
        if broken[step.ticket] {
            skipped += 1;
            continue;
        }
        clock.store(step.at, Ordering::Relaxed);
        select_days_before(&app, &tz, callbacks_since, &mut selected_until, step.at).await?;
        if step.at - jobs_ran_at >= 15 * MIN {
            while app.run_due_jobs("demo", 1000).await? == 1000 {}
            jobs_ran_at = step.at;
        }
        if let Err(e) = run::run_step(&app, &org, &parts, &specs, &mut live, step).await {
            tracing::warn!(ticket = step.ticket, error = %e, "demo step refused; the ticket stops here");
            broken[step.ticket] = true;
            skipped += 1;
        }
    }

    field_visits::create(&app, &org, &live, &cal, &clock, now_ms).await?;
    clock.store(now_ms, Ordering::Relaxed);
    let open: Vec<_> = live.iter().zip(&specs).filter_map(|(l, s)| Some((&l.as_ref()?.ticket, s.part))).collect();
    parts.finish(&app, &org, &open).await?;
    let fee_tickets = field_fees::create(&app, &org).await?;
    // Qualifications last: every dispatch of the demo's history predates them, as in a desk
    // that starts keeping certificates today.
    field_work_orders::create(&app, &org, &live, &clock, now_ms).await?;
    select_days_before(&app, &tz, callbacks_since, &mut selected_until, now_ms).await?;
    while app.run_due_jobs("demo", 1000).await? == 1000 {}
    // Customers read what they were told as it came: only the last two days' notices
    // wait in a demo contact's inbox.
    let read_before = ts(now_ms - 2 * DAY)?;
    let tx = app.store().write().await?;
    for c in &org.customers {
        aftersales_storage::notices::acknowledge_all(&*tx, org.actors[c.user].id(), read_before, read_before).await?;
    }
    tx.commit().await?;
    let mut logins = Vec::new();
    let mut names: Vec<&str> = LOGINS.to_vec();
    let contact_login = org.customers.first().map(|c| org.actors[c.user].user.username.clone());
    if let Some(n) = &contact_login {
        names.push(n.as_str());
    }
    for name in names {
        let Some(user) = org.actors.iter().map(|a| &a.user).find(|u| u.username == name) else { continue };
        let token = app.create_token(None, user.id, "demo").await?;
        logins.push(DemoLogin {
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role: user.role,
            token,
        });
    }
    Ok(DemoSummary {
        password: DEMO_PASSWORD.to_owned(),
        logins,
        customers: org.customers.len(),
        devices,
        engineers: org.engineers.len(),
        tickets: live.iter().filter(|l| l.is_some()).count() + fee_tickets,
        skipped_steps: skipped,
    })
}

/// Runs the callback selection of every service day from `since` that ended before `at_ms`
/// and has not been selected yet (the first call only remembers its day).
async fn select_days_before(
    app: &App,
    tz: &jiff::tz::TimeZone,
    since: jiff::civil::Date,
    until: &mut Option<jiff::civil::Date>,
    at_ms: i64,
) -> Result<()> {
    let today = ts(at_ms)?.to_zoned(tz.clone()).date();
    let Some(mut day) = *until else {
        *until = Some(today);
        return Ok(());
    };
    while day < today {
        if day >= since {
            app.select_callbacks(day).await?;
        }
        day = day.tomorrow().map_err(|e| demo_error(format!("day after {day}: {e}")))?;
    }
    *until = Some(today);
    Ok(())
}

fn ts(ms: i64) -> Result<Timestamp> {
    Timestamp::from_millisecond(ms).map_err(|e| demo_error(format!("time {ms}: {e}")))
}

fn demo_error(msg: String) -> AppError {
    AppError::Storage(StorageError::Corrupt(format!("demo: {msg}")))
}

fn fresh<T>(o: Outcome<T>) -> Result<T> {
    match o {
        Outcome::Fresh(v) => Ok(v),
        Outcome::Replayed { .. } => Err(demo_error("unexpected replay".into())),
    }
}

fn pick<'a, T>(rng: &mut StdRng, xs: &'a [T]) -> &'a T {
    &xs[rng.random_range(0..xs.len())]
}
