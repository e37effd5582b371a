//! Clock views of a whole desk (DOMAIN §4): the requirement is computing all clocks of one
//! million tickets from their stored state in under one second.
//!
//! Setup (not measured) replays a small event history for each of 1,000,000 open tickets:
//! accepted and graded (response and resolution running), dispatched (engineer contact and
//! plan running), in progress after a pause, waiting for the customer (paused), and resolved
//! (service report and callback running); a third count working time on China's calendar
//! (seed 002's 一般 and 低), the rest wall-clock time (seed 000's P1–P4).
//!
//! Each measured iteration is the whole million, so criterion's `time` is the 1M total and
//! `thrpt` tickets per second.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use aftersales_domain::Timestamp;
use aftersales_domain::calendar::{Calendar, CalendarSpec, HolidaySet};
use aftersales_domain::clock::{ClockSet, ClockState, Context, ServicePolicy};
use aftersales_domain::event::{Change, Event};
use aftersales_domain::grading::GradingScheme;
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use jiff::SignedDuration;
use serde_json::{Value, json};

const TICKETS: usize = 1_000_000;

/// SplitMix64: deterministic inputs without a random-number dependency.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi` (the modulo bias is irrelevant here).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let width = u64::try_from(hi - lo).expect("hi > lo");
        lo + i64::try_from(self.next() % width).expect("fits")
    }
}

fn change(field: &str, before: Value, after: Value) -> Change {
    Change { field: field.into(), before, after }
}

/// Writes one ticket's history the way the app stores it.
struct History {
    events: Vec<Event>,
    status: &'static str,
}

impl History {
    fn push(&mut self, at: Timestamp, action: &str, changes: Vec<Change>) {
        self.events.push(Event { id: 0, ticket_id: 1, at, actor_id: 1, action: action.into(), changes, note: None });
    }

    fn to(&mut self, at: Timestamp, action: &str, status: &'static str) {
        let before = self.status;
        self.push(at, action, vec![change("status", json!(before), json!(status))]);
        self.status = status;
    }

    fn log(&mut self, at: Timestamp, kind: &str) {
        self.push(at, "log_added", vec![change("log_kind", Value::Null, json!(kind))]);
    }
}

/// The stage an open ticket has reached.
#[derive(Clone, Copy)]
enum Stage {
    Graded,
    Dispatched,
    PausedBefore,
    WaitingCustomer,
    Resolved,
}

const STAGES: [Stage; 5] =
    [Stage::Graded, Stage::Dispatched, Stage::PausedBefore, Stage::WaitingCustomer, Stage::Resolved];

/// A ticket accepted `age` before `now`, its steps spread over that time.
fn history(stage: Stage, working: bool, level: &str, accepted: Timestamp, age_ms: i64) -> Vec<Event> {
    let step = |k: i64| accepted + SignedDuration::from_millis(age_ms * k / 10);
    let version = if working { 2 } else { 1 };
    let mut h = History { events: Vec::with_capacity(10), status: "registered" };
    h.push(
        accepted,
        "accept",
        vec![
            change("policy_version", Value::Null, json!(version)),
            change("customer_level", Value::Null, json!("A")),
            change("status", json!("registered"), json!("accepted")),
        ],
    );
    h.push(step(1), "grade", vec![change("priority", Value::Null, json!(level))]);
    if matches!(stage, Stage::Graded) {
        return h.events;
    }
    h.to(step(2), "dispatch", "dispatched");
    if matches!(stage, Stage::Dispatched) {
        return h.events;
    }
    h.to(step(3), "respond", "responded");
    h.to(step(3), "start", "in_progress");
    h.log(step(3), "plan");
    h.log(step(4), "progress");
    h.to(step(5), "wait_for_customer", "waiting_customer");
    if matches!(stage, Stage::WaitingCustomer) {
        return h.events;
    }
    h.to(step(7), "resume", "in_progress");
    h.log(step(8), "progress");
    if matches!(stage, Stage::PausedBefore) {
        return h.events;
    }
    h.to(step(9), "resolve", "resolved");
    h.log(step(10), "service_report");
    h.events
}

/// One million open tickets' clocks at `now`, replayed from their histories.
fn desk(cal: &Calendar, now: Timestamp) -> Vec<ClockSet> {
    let mut wall = ServicePolicy::seed(&GradingScheme::default_four_level());
    wall.version = 1;
    let mut work = ServicePolicy::seed(&GradingScheme::seed_002_three_level());
    work.version = 2;
    let policies: BTreeMap<i64, ServicePolicy> = [(1, wall), (2, work)].into();
    let ctx = Context { calendar: cal, policies: &policies };
    let mut rng = SplitMix(0x00C1_0C45);
    (0..TICKETS)
        .map(|i| {
            let working = i % 3 == 0;
            let level = if working {
                ["一般", "低"][(rng.next() % 2) as usize]
            } else {
                ["P1", "P2", "P3", "P4"][(rng.next() % 4) as usize]
            };
            let stage = STAGES[(rng.next() % 5) as usize];
            // Accepted between 20 minutes and 5 days ago.
            let age_ms = rng.range(20 * 60_000, 5 * 86_400_000);
            let accepted = now - SignedDuration::from_millis(age_ms);
            let mut set = ClockSet::replay(&history(stage, working, level, accepted, age_ms), &ctx).expect("replays");
            // Ticket rows are read from the database: no spare capacity.
            set.tracks.shrink_to_fit();
            set
        })
        .collect()
}

fn views_of_all(sets: &[ClockSet], now: Timestamp, cal: &Calendar) -> usize {
    let mut breached = 0;
    for set in sets {
        let views = set.views(now, cal);
        breached += views.iter().filter(|v| v.state == ClockState::Breached).count();
        black_box(views);
    }
    breached
}

fn index_keys_of_all(sets: &[ClockSet]) -> (usize, u64) {
    let (mut due, mut misses) = (0, 0);
    for set in sets {
        due += usize::from(black_box(set.next_due()).is_some());
        misses += u64::from(black_box(set.misses()));
    }
    (due, misses)
}

/// The best of a few runs of `f`, printed as the 1M total.
fn report<T>(what: &str, mut f: impl FnMut() -> T) -> T {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..5 {
        let started = Instant::now();
        out = Some(black_box(f()));
        best = best.min(started.elapsed());
    }
    println!("{what} for {TICKETS} tickets: {:.3} s (best of 5)", best.as_secs_f64());
    out.expect("ran")
}

fn clocks(c: &mut Criterion) {
    let cal =
        Calendar::compile(&CalendarSpec::cn_default(), Some(&HolidaySet::cn())).expect("the cn calendar compiles");
    let now: Timestamp = "2025-03-12T10:00+08:00".parse().expect("an instant");

    let started = Instant::now();
    let sets = desk(&cal, now);
    let tracks: usize = sets.iter().map(|s| s.tracks.len()).sum();
    println!("setup: replayed {TICKETS} histories into {tracks} clocks in {:.1} s", started.elapsed().as_secs_f64());

    let breached = report("views(now)", || views_of_all(&sets, now, &cal));
    let (due, misses) = report("next_due() + misses()", || index_keys_of_all(&sets));
    report("views + next_due + misses", || (views_of_all(&sets, now, &cal), index_keys_of_all(&sets)));
    println!("  {breached} clocks overdue now, {due} tickets with a next due instant, {misses} misses recorded");

    let mut group = c.benchmark_group("1M tickets");
    group.sample_size(10).sampling_mode(SamplingMode::Flat).warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Elements(TICKETS as u64));
    group.bench_function("views(now)", |b| b.iter(|| views_of_all(&sets, black_box(now), &cal)));
    group.bench_function("next_due + misses", |b| b.iter(|| index_keys_of_all(&sets)));
    group.finish();
}

criterion_group!(benches, clocks);
criterion_main!(benches);
