//! Ticket clocks (DOMAIN §4): deadlines folded from a ticket's stored events, on wall-clock
//! and working-time policies, with pauses, regrades, reopening, cancellation, and the
//! per-day progress rule; replay determinism and pause arithmetic as properties.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use aftersales_domain::Timestamp;
use aftersales_domain::calendar::{Calendar, CalendarSpec, HolidaySet};
use aftersales_domain::clock::{
    ClockKind, ClockSet, ClockState, ClockView, Context, Policies, ServicePolicy, Track, Warning,
};
use aftersales_domain::event::{Change, Event};
use aftersales_domain::grading::{Counting, GradingScheme};
use aftersales_domain::ticket::Status;
use jiff::SignedDuration;
use proptest::prelude::*;
use serde_json::{Value, json};

static CN: LazyLock<Calendar> =
    LazyLock::new(|| Calendar::compile(&CalendarSpec::cn_default(), Some(&HolidaySet::cn())).unwrap());

/// Seed 000: P1–P4, every clock on wall-clock time.
static WALL: LazyLock<ServicePolicy> = LazyLock::new(|| versioned(&GradingScheme::default_four_level(), 1));

/// Seed 002: 紧急 on wall-clock time, 一般 (4 h / 24 h) and 低 (8 h / 40 h) on working time.
static WORK: LazyLock<ServicePolicy> = LazyLock::new(|| versioned(&GradingScheme::seed_002_three_level(), 1));

fn versioned(scheme: &GradingScheme, version: i64) -> ServicePolicy {
    let mut p = ServicePolicy::seed(scheme);
    p.version = version;
    p
}

// ---- Building histories -------------------------------------------------------------------

/// An instant written with its offset, e.g. `2025-03-03T09:00+08:00`.
fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

trait Instant {
    fn instant(self) -> Timestamp;
}

impl Instant for &str {
    fn instant(self) -> Timestamp {
        at(self)
    }
}

impl Instant for Timestamp {
    fn instant(self) -> Timestamp {
        self
    }
}

fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

fn hours(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

fn change(field: &str, before: Value, after: Value) -> Change {
    Change { field: field.into(), before, after }
}

fn event(at: Timestamp, action: &str, changes: Vec<Change>) -> Event {
    Event { id: 0, ticket_id: 1, at, actor_id: 7, action: action.into(), changes, note: None }
}

/// The lifecycle step that leads from `from` to `to` (only for readable events; the clocks
/// read the changes, not the action).
fn action_for(from: Status, to: Status) -> &'static str {
    match (from, to) {
        (_, Status::Accepted) => "accept",
        (_, Status::Dispatched) => "dispatch",
        (_, Status::Responded) => "respond",
        (Status::Responded, Status::InProgress) => "start",
        (Status::Resolved, Status::InProgress) => "refuse_closure",
        (Status::Closed, Status::InProgress) => "reopen",
        (_, Status::InProgress) => "resume",
        (_, Status::WaitingCustomer) => "wait_for_customer",
        (_, Status::WaitingParts) => "wait_for_parts",
        (_, Status::Resolved) => "resolve",
        (_, Status::Closed) => "confirm_closure",
        (_, Status::Cancelled) => "cancel",
        (_, Status::Registered) => "register",
    }
}

/// A ticket's stored history, written step by step as the app would record it.
#[derive(Debug, Clone)]
struct History {
    events: Vec<Event>,
    status: Status,
    level: Option<String>,
}

impl History {
    /// A registered ticket accepted at `when` under policy version 1.
    fn accepted(when: impl Instant) -> History {
        let mut h = History { events: Vec::new(), status: Status::Registered, level: None };
        let when = when.instant();
        h.events.push(event(
            when,
            "accept",
            vec![
                change("policy_version", Value::Null, json!(1)),
                change("status", json!("registered"), json!("accepted")),
            ],
        ));
        h.status = Status::Accepted;
        h
    }

    /// Accepted and graded at the same instant.
    fn graded(when: impl Instant, level: &str) -> History {
        let when = when.instant();
        History::accepted(when).grade(when, level)
    }

    /// A grading or regrading (the first one also sets the policy version, as the app does).
    fn grade(mut self, when: impl Instant, level: &str) -> History {
        let before = self.level.as_deref().map_or(Value::Null, |l| json!(l));
        self.events.push(event(when.instant(), "grade", vec![change("priority", before, json!(level))]));
        self.level = Some(level.into());
        self
    }

    fn to(mut self, when: impl Instant, status: Status) -> History {
        let action = action_for(self.status, status);
        self.events.push(event(
            when.instant(),
            action,
            vec![change("status", json!(self.status.code()), json!(status.code()))],
        ));
        self.status = status;
        self
    }

    /// Dispatched, responded and started, all at `when`.
    fn working(self, when: impl Instant) -> History {
        let when = when.instant();
        self.to(when, Status::Dispatched).to(when, Status::Responded).to(when, Status::InProgress)
    }

    fn log(mut self, when: impl Instant, kind: &str) -> History {
        self.events.push(event(when.instant(), "log_added", vec![change("log_kind", Value::Null, json!(kind))]));
        self
    }

    /// A visit booked (or rebooked) at `when` for `visit_at` (stored as RFC 3339 text).
    fn visit(mut self, when: impl Instant, visit_at: impl Instant) -> History {
        let visit_at = visit_at.instant().to_string();
        self.events.push(event(when.instant(), "book_visit", vec![change("visit_at", Value::Null, json!(visit_at))]));
        self
    }

    /// A visit booked at `when` with the arrival window `start`–`end` (issue 13: the event
    /// carries both the window's start and, as `visit_due`, its end).
    fn window(mut self, when: impl Instant, start: impl Instant, end: impl Instant) -> History {
        let changes = vec![
            change("visit_at", Value::Null, json!(start.instant().to_string())),
            change("visit_due", Value::Null, json!(end.instant().to_string())),
        ];
        self.events.push(event(when.instant(), "book_visit", changes));
        self
    }

    fn survey(mut self, when: impl Instant, result: &str) -> History {
        self.events.push(event(
            when.instant(),
            "record_survey",
            vec![change("survey_result", Value::Null, json!(result))],
        ));
        self
    }

    fn policy_version(mut self, when: impl Instant, from: i64, to: i64) -> History {
        self.events.push(event(when.instant(), "grade", vec![change("policy_version", json!(from), json!(to))]));
        self
    }

    fn replay(&self, policies: &dyn Policies) -> ClockSet {
        ClockSet::replay(&self.events, &Context { calendar: &CN, policies }).unwrap()
    }
}

/// The latest track of `clock`.
fn track(set: &ClockSet, clock: ClockKind) -> &Track {
    set.tracks.iter().rev().find(|t| t.clock == clock).unwrap_or_else(|| panic!("no {clock} clock in {set:#?}"))
}

fn due(set: &ClockSet, clock: ClockKind) -> Option<Timestamp> {
    track(set, clock).due_at
}

/// The latest view of `clock` at `now`.
fn view(set: &ClockSet, clock: ClockKind, now: impl Instant) -> ClockView {
    set.views(now.instant(), &CN).into_iter().rev().find(|v| v.clock == clock).unwrap()
}

// ---- Response and resolution on the default (wall-clock) policy -------------------------

#[test]
fn p1_on_wall_clock_is_due_in_2_and_24_hours() {
    let set = History::graded("2025-03-03T09:00+08:00", "P1").replay(&*WALL);
    assert_eq!(due(&set, ClockKind::Response), Some(at("2025-03-03T11:00+08:00")));
    assert_eq!(due(&set, ClockKind::Resolution), Some(at("2025-03-04T09:00+08:00")));
    assert_eq!(set.next_due(), Some(at("2025-03-03T11:00+08:00")));

    let v = view(&set, ClockKind::Response, "2025-03-03T09:45+08:00");
    assert_eq!(
        (v.state, v.counting, v.length_minutes, v.remaining_minutes),
        (ClockState::Running, Counting::WallClock, Some(120), Some(75))
    );
    assert_eq!(set.misses(), 0);
}

#[test]
fn before_grading_the_length_clocks_await_it() {
    let set = History::accepted("2025-03-03T09:00+08:00").replay(&*WALL);
    for clock in [ClockKind::Response, ClockKind::Resolution] {
        let v = view(&set, clock, "2025-03-03T10:00+08:00");
        assert_eq!(v.state, ClockState::AwaitingGrading);
        assert_eq!((v.due_at, v.remaining_minutes, v.length_minutes), (None, None, None));
    }
    // Grading 30 min later counts from acceptance, not from the grading.
    let set = History::accepted("2025-03-03T09:00+08:00").grade("2025-03-03T09:30+08:00", "P1").replay(&*WALL);
    assert_eq!(due(&set, ClockKind::Response), Some(at("2025-03-03T11:00+08:00")));
}

#[test]
fn responding_in_time_is_met_with_its_margin() {
    let set = History::graded("2025-03-03T09:00+08:00", "P1")
        .to("2025-03-03T09:40+08:00", Status::Dispatched)
        .to("2025-03-03T10:30+08:00", Status::Responded)
        .replay(&*WALL);
    let v = view(&set, ClockKind::Response, "2025-03-03T12:00+08:00");
    assert_eq!(v.state, ClockState::Met);
    assert_eq!(v.stopped_at, Some(at("2025-03-03T10:30+08:00")));
    assert_eq!((v.elapsed_minutes, v.margin_minutes, v.remaining_minutes), (Some(90), Some(30), None));
    // The engineer-contact clock ran from dispatch (1 h): contacted 50 min later.
    let v = view(&set, ClockKind::EngineerContact, "2025-03-03T12:00+08:00");
    assert_eq!((v.state, v.margin_minutes), (ClockState::Met, Some(10)));
    assert_eq!(set.misses(), 0);
    // What is still running: resolution (next day 09:00) and the plan (dispatch + 2 h).
    assert_eq!(set.next_due(), Some(at("2025-03-03T11:40+08:00")));
}

#[test]
fn a_late_response_is_breached_and_counted() {
    let h = History::graded("2025-03-03T09:00+08:00", "P1").to("2025-03-03T11:00+08:00", Status::Dispatched);
    let running = h.replay(&*WALL);
    let v = view(&running, ClockKind::Response, "2025-03-03T11:30+08:00");
    assert_eq!((v.state, v.remaining_minutes), (ClockState::Breached, Some(-30)));
    // One second late already shows as a minute overdue.
    let v = view(&running, ClockKind::Response, "2025-03-03T11:00:01+08:00");
    assert_eq!((v.state, v.remaining_minutes), (ClockState::Breached, Some(-1)));
    assert_eq!(running.misses(), 0, "misses() counts clocks that stopped late");

    let set = h.to("2025-03-03T11:45+08:00", Status::Responded).replay(&*WALL);
    let v = view(&set, ClockKind::Response, "2025-03-03T12:00+08:00");
    assert_eq!((v.state, v.elapsed_minutes, v.margin_minutes), (ClockState::Breached, Some(165), Some(-45)));
    assert_eq!(view(&set, ClockKind::EngineerContact, "2025-03-03T12:00+08:00").state, ClockState::Met);
    assert_eq!(set.misses(), 1);
}

#[test]
fn a_customer_level_row_overrides_the_level_row() {
    let mut policy = WALL.clone();
    let mut vip = policy.rule(ClockKind::Response, Some("P1"), None).unwrap().clone();
    vip.customer_level = Some("vip".into());
    vip.minutes = 30;
    policy.rules.push(vip);
    let mut h = History::accepted("2025-03-03T09:00+08:00");
    h.events[0].changes.push(change("customer_level", Value::Null, json!("vip")));
    let set = h.grade("2025-03-03T09:00+08:00", "P1").replay(&policy);
    assert_eq!(due(&set, ClockKind::Response), Some(at("2025-03-03T09:30+08:00")));
    assert_eq!(due(&set, ClockKind::Resolution), Some(at("2025-03-04T09:00+08:00")), "no vip row: level row");
}

#[test]
fn a_new_policy_version_recomputes_open_clocks() {
    let mut v2 = WALL.clone();
    v2.version = 2;
    v2.rules.iter_mut().find(|r| r.clock == ClockKind::Response && r.level.as_deref() == Some("P1")).unwrap().minutes =
        60;
    let policies: BTreeMap<i64, ServicePolicy> = [(1, WALL.clone()), (2, v2)].into();
    let h = History::graded("2025-03-03T09:00+08:00", "P1");
    assert_eq!(due(&h.replay(&policies), ClockKind::Response), Some(at("2025-03-03T11:00+08:00")));
    let set = h.policy_version("2025-03-03T09:20+08:00", 1, 2).replay(&policies);
    assert_eq!(set.policy_version, Some(2));
    assert_eq!(due(&set, ClockKind::Response), Some(at("2025-03-03T10:00+08:00")));
}

// ---- Working time on China's calendar -----------------------------------------------------

#[test]
fn working_time_crosses_the_weekend_the_make_up_sunday_and_national_day() {
    // Friday 2025-09-26 16:00, 一般 (4 h / 24 h working time). Working time left that Friday:
    // 16:00–17:30 = 1.5 h; Saturday 27 is off; Sunday 28 is a make-up working day.
    let set = History::graded("2025-09-26T16:00+08:00", "一般").replay(&*WORK);
    // Response: 1.5 h Friday + 2.5 h on the make-up Sunday from 08:30.
    assert_eq!(due(&set, ClockKind::Response), Some(at("2025-09-28T11:00+08:00")));
    // Resolution: 1.5 h + 7.5 h (Sun 28) + 7.5 h (Mon 29) + 7.5 h (Tue 30) = 24 h, ending
    // exactly at the end of the last working interval before National Day.
    assert_eq!(due(&set, ClockKind::Resolution), Some(at("2025-09-30T17:30+08:00")));
    let r = track(&set, ClockKind::Resolution);
    assert_eq!((r.counting, r.length_ms), (Counting::WorkingTime, Some(24 * 3_600_000)));

    // On Saturday nothing counts: both clocks show what is left of working time.
    let v = view(&set, ClockKind::Response, "2025-09-27T12:00+08:00");
    assert_eq!((v.state, v.remaining_minutes), (ClockState::Running, Some(150)));
    let v = view(&set, ClockKind::Resolution, "2025-09-27T12:00+08:00");
    assert_eq!(v.remaining_minutes, Some(22 * 60 + 30));

    // 低 (8 h / 40 h): the resolution runs over National Day (Oct 1–8 off) to Thursday 9,
    // Friday 10 and the make-up Saturday 11.
    let set = History::graded("2025-09-26T16:00+08:00", "低").replay(&*WORK);
    assert_eq!(due(&set, ClockKind::Response), Some(at("2025-09-28T16:30+08:00")));
    assert_eq!(due(&set, ClockKind::Resolution), Some(at("2025-10-11T09:30+08:00")));
    // During the holiday the remaining working time stands still.
    let v1 = view(&set, ClockKind::Resolution, "2025-10-02T10:00+08:00");
    let v2 = view(&set, ClockKind::Resolution, "2025-10-08T23:00+08:00");
    assert_eq!(v1.remaining_minutes, Some(16 * 60));
    assert_eq!(v1.remaining_minutes, v2.remaining_minutes);
    assert!(set.warnings.is_empty(), "{:?}", set.warnings);
}

#[test]
fn accepted_on_the_eve_of_national_day() {
    // Tuesday Sep 30 16:00: 1.5 h that day, then nothing until Thursday Oct 9.
    let set = History::graded("2025-09-30T16:00+08:00", "一般").replay(&*WORK);
    assert_eq!(due(&set, ClockKind::Response), Some(at("2025-10-09T11:00+08:00")));
    // 1.5 + 7.5 (Oct 9) + 7.5 (Oct 10) + 7.5 (Sat Oct 11, make-up day) = 24 h.
    assert_eq!(due(&set, ClockKind::Resolution), Some(at("2025-10-11T17:30+08:00")));
    // Urgent stays on wall-clock time whatever the calendar says.
    let set = History::graded("2025-09-30T16:00+08:00", "紧急").replay(&*WORK);
    assert_eq!(due(&set, ClockKind::Response), Some(at("2025-09-30T18:00+08:00")));
    assert_eq!(due(&set, ClockKind::Resolution), Some(at("2025-10-01T16:00+08:00")));
}

#[test]
fn deadlines_agree_with_the_calendar() {
    let start = at("2025-09-26T16:00+08:00");
    let set = History::graded(start, "一般").replay(&*WORK);
    assert_eq!(due(&set, ClockKind::Response), Some(CN.add(start, hours(4)).unwrap()));
    assert_eq!(due(&set, ClockKind::Resolution), Some(CN.add(start, hours(24)).unwrap()));
}

#[test]
fn stopping_after_a_working_day_ends_past_the_due_instant_is_late() {
    // Due Tuesday 2025-09-30 17:30, the end of that day's working time. Resolving at 17:40
    // uses no more working time, but it is after the due instant people were shown.
    let h = History::graded("2025-09-26T16:00+08:00", "一般").working("2025-09-26T16:00+08:00");
    let on_time = h.clone().to("2025-09-30T17:30+08:00", Status::Resolved).replay(&*WORK);
    let v = view(&on_time, ClockKind::Resolution, "2025-10-09T09:00+08:00");
    assert_eq!((v.state, v.margin_minutes), (ClockState::Met, Some(0)));

    let running = h.replay(&*WORK);
    let v = view(&running, ClockKind::Resolution, "2025-09-30T17:40+08:00");
    assert_eq!((v.state, v.remaining_minutes), (ClockState::Breached, Some(0)));

    let late = h.to("2025-09-30T17:40+08:00", Status::Resolved).replay(&*WORK);
    let v = view(&late, ClockKind::Resolution, "2025-10-09T09:00+08:00");
    assert_eq!(v.state, ClockState::Breached, "the view agrees with misses()");
    assert_eq!(v.margin_minutes, Some(0), "no working time was overspent");
    assert_eq!(late.misses(), on_time.misses() + 1);
}

// ---- Pauses -------------------------------------------------------------------------------

#[test]
fn waiting_for_the_customer_pauses_resolution_on_wall_clock() {
    // P2: 48 h. 25 h spent, then 29 h waiting for the customer.
    let h = History::graded("2025-03-03T09:00+08:00", "P2")
        .working("2025-03-03T09:00+08:00")
        .to("2025-03-04T10:00+08:00", Status::WaitingCustomer);
    let paused = h.replay(&*WALL);
    assert_eq!(due(&paused, ClockKind::Resolution), None, "no due instant while paused");
    for now in ["2025-03-04T10:00+08:00", "2025-03-04T20:00+08:00", "2025-03-05T14:59+08:00"] {
        let v = view(&paused, ClockKind::Resolution, now);
        assert_eq!((v.state, v.remaining_minutes, v.due_at), (ClockState::Paused, Some(23 * 60), None), "at {now}");
    }
    // Not a running deadline: the list index skips it (the plan clock, dispatch + 2 h, is earliest).
    assert_eq!(paused.next_due(), Some(at("2025-03-03T11:00+08:00")));

    let set = h.to("2025-03-05T15:00+08:00", Status::InProgress).replay(&*WALL);
    assert_eq!(due(&set, ClockKind::Resolution), Some(at("2025-03-06T14:00+08:00")), "48 h + 29 h");
    let v = view(&set, ClockKind::Resolution, "2025-03-05T15:00+08:00");
    assert_eq!((v.state, v.remaining_minutes), (ClockState::Running, Some(23 * 60)));
    let segments = &track(&set, ClockKind::Resolution).segments;
    assert_eq!(segments.len(), 2);
    assert_eq!(segments[0].end, Some(at("2025-03-04T10:00+08:00")));
    assert_eq!((segments[1].start, segments[1].end), (at("2025-03-05T15:00+08:00"), None));
    // The response clock does not pause.
    assert_eq!(track(&set, ClockKind::Response).segments.len(), 1);
}

#[test]
fn a_pause_moves_a_working_time_due_by_the_working_time_paused() {
    // 一般 accepted Monday 2025-03-03 09:00: 7 h Monday, 7.5 h Tue, 7.5 h Wed, 2 h Thursday.
    let h = History::graded("2025-03-03T09:00+08:00", "一般").working("2025-03-03T09:00+08:00");
    let without = due(&h.replay(&*WORK), ClockKind::Resolution).unwrap();
    assert_eq!(without, at("2025-03-06T10:30+08:00"));

    let (p, q) = (at("2025-03-04T11:00+08:00"), at("2025-03-05T14:30+08:00"));
    let paused = h.clone().to(p, Status::WaitingCustomer);
    let during = paused.replay(&*WORK);
    let v1 = view(&during, ClockKind::Resolution, "2025-03-04T16:00+08:00");
    let v2 = view(&during, ClockKind::Resolution, "2025-03-05T14:00+08:00");
    assert_eq!(v1.state, ClockState::Paused);
    assert_eq!(v1.remaining_minutes, Some((24 * 60) - (7 * 60 + 150)), "7 h Monday + 2.5 h Tuesday spent");
    assert_eq!(v1.remaining_minutes, v2.remaining_minutes);

    let with = due(&paused.to(q, Status::InProgress).replay(&*WORK), ClockKind::Resolution).unwrap();
    // Paused: Tue 11:00–12:00, 13:30–17:30, Wed 08:30–12:00, 13:30–14:30 = 9.5 h of working time.
    assert_eq!(CN.between(p, q).unwrap(), mins(9 * 60 + 30));
    assert_eq!(CN.between(without, with).unwrap(), CN.between(p, q).unwrap());
    assert_eq!(with, at("2025-03-07T14:00+08:00"));
}

#[test]
fn waiting_for_parts_does_not_pause_by_default() {
    let h = History::graded("2025-03-03T09:00+08:00", "P2").working("2025-03-03T09:00+08:00");
    let waiting =
        h.clone().to("2025-03-03T12:00+08:00", Status::WaitingParts).to("2025-03-04T12:00+08:00", Status::InProgress);
    let during = h.clone().to("2025-03-03T12:00+08:00", Status::WaitingParts).replay(&*WALL);
    assert_eq!(view(&during, ClockKind::Resolution, "2025-03-03T18:00+08:00").state, ClockState::Running);
    let plain = h.replay(&*WALL);
    let set = waiting.replay(&*WALL);
    assert_eq!(due(&set, ClockKind::Resolution), due(&plain, ClockKind::Resolution));
    assert_eq!(due(&set, ClockKind::Resolution), Some(at("2025-03-05T09:00+08:00")));

    // An administrator may add it.
    let mut policy = WALL.clone();
    for r in policy.rules.iter_mut().filter(|r| r.clock == ClockKind::Resolution) {
        r.pause_on.push(Status::WaitingParts);
    }
    let set = waiting.replay(&policy);
    assert_eq!(due(&set, ClockKind::Resolution), Some(at("2025-03-06T09:00+08:00")));
}

#[test]
fn a_clock_breached_before_a_pause_resumes_with_the_same_overdue_time() {
    // P1 resolution (24 h) overspent by 1 h, then 24 h waiting for the customer, then 1 h.
    let h = History::graded("2025-03-03T09:00+08:00", "P1")
        .working("2025-03-03T09:00+08:00")
        .to("2025-03-04T10:00+08:00", Status::WaitingCustomer);
    let paused = h.replay(&*WALL);
    let v = view(&paused, ClockKind::Resolution, "2025-03-05T09:59+08:00");
    assert_eq!((v.state, v.remaining_minutes), (ClockState::Breached, Some(-60)));
    assert_eq!(v.due_at, Some(at("2025-03-04T09:00+08:00")), "the due instant that was missed");

    let set = h.clone().to("2025-03-05T10:00+08:00", Status::InProgress).replay(&*WALL);
    let at_resume = view(&set, ClockKind::Resolution, "2025-03-05T10:00+08:00");
    assert_eq!((at_resume.state, at_resume.remaining_minutes), (ClockState::Breached, Some(-60)));
    let v = view(&set, ClockKind::Resolution, "2025-03-05T11:00+08:00");
    assert_eq!(v.remaining_minutes, Some(-120), "the paused day is not counted as overdue");
    let set = h.to("2025-03-05T10:00+08:00", Status::InProgress).to("2025-03-05T11:00+08:00", Status::Resolved);
    let set = set.replay(&*WALL);
    let v = view(&set, ClockKind::Resolution, "2025-03-06T09:00+08:00");
    assert_eq!((v.state, v.elapsed_minutes, v.margin_minutes), (ClockState::Breached, Some(26 * 60), Some(-120)));
    assert_eq!(set.misses(), 4, "resolution, the plan never recorded, no progress on Monday and Tuesday");
}

// ---- Regrading ----------------------------------------------------------------------------

#[test]
fn regrading_keeps_the_time_already_spent() {
    // P3 (8 h response / 72 h resolution), regraded P1 (2 h / 24 h) 3 h later: overdue at once.
    let set = History::graded("2025-03-03T09:00+08:00", "P3").replay(&*WALL);
    assert_eq!(due(&set, ClockKind::Response), Some(at("2025-03-03T17:00+08:00")));
    assert_eq!(due(&set, ClockKind::Resolution), Some(at("2025-03-06T09:00+08:00")));

    let set = History::graded("2025-03-03T09:00+08:00", "P3").grade("2025-03-03T12:00+08:00", "P1").replay(&*WALL);
    assert_eq!(due(&set, ClockKind::Response), Some(at("2025-03-03T11:00+08:00")));
    assert_eq!(due(&set, ClockKind::Resolution), Some(at("2025-03-04T09:00+08:00")));
    let v = view(&set, ClockKind::Response, "2025-03-03T12:00+08:00");
    assert_eq!((v.state, v.length_minutes, v.remaining_minutes), (ClockState::Breached, Some(120), Some(-60)));

    // Regraded after 1 h: 1 h left.
    let set = History::graded("2025-03-03T09:00+08:00", "P3").grade("2025-03-03T10:00+08:00", "P1").replay(&*WALL);
    let v = view(&set, ClockKind::Response, "2025-03-03T10:00+08:00");
    assert_eq!(
        (v.state, v.due_at, v.remaining_minutes),
        (ClockState::Running, Some(at("2025-03-03T11:00+08:00")), Some(60))
    );

    // Lowering the priority lengthens the open clocks, but a stopped one stays as it was.
    let set = History::graded("2025-03-03T09:00+08:00", "P1")
        .to("2025-03-03T10:00+08:00", Status::Dispatched)
        .to("2025-03-03T10:30+08:00", Status::Responded)
        .grade("2025-03-03T11:00+08:00", "P4")
        .replay(&*WALL);
    let v = view(&set, ClockKind::Response, "2025-03-03T11:00+08:00");
    assert_eq!((v.state, v.length_minutes, v.margin_minutes), (ClockState::Met, Some(120), Some(30)));
    assert_eq!(due(&set, ClockKind::Resolution), Some(at("2025-03-08T09:00+08:00")));
}

#[test]
fn regrading_after_a_pause_measures_what_was_spent_on_the_segments() {
    // GLPI #6902 / #15605: a new SLA after a pending period was computed from the opening
    // date, losing the pause. Here: P3 resolution, 5 h spent, 24 h waiting, 1 h more, then P1.
    let h = History::graded("2025-03-03T09:00+08:00", "P3")
        .working("2025-03-03T09:00+08:00")
        .to("2025-03-03T14:00+08:00", Status::WaitingCustomer)
        .to("2025-03-04T14:00+08:00", Status::InProgress);
    let set = h.clone().grade("2025-03-04T15:00+08:00", "P1").replay(&*WALL);
    // 24 h - 6 h spent = 18 h from 15:00, i.e. the start + 24 h + the 24 h pause.
    assert_eq!(due(&set, ClockKind::Resolution), Some(at("2025-03-05T09:00+08:00")));
    assert_ne!(due(&set, ClockKind::Resolution), Some(at("2025-03-04T09:00+08:00")), "the pause is not lost");
    let v = view(&set, ClockKind::Resolution, "2025-03-04T15:00+08:00");
    assert_eq!((v.state, v.remaining_minutes), (ClockState::Running, Some(18 * 60)));

    // Regraded while paused: no due instant until it resumes, then 19 h from the resumption.
    let h = History::graded("2025-03-03T09:00+08:00", "P3")
        .working("2025-03-03T09:00+08:00")
        .to("2025-03-03T14:00+08:00", Status::WaitingCustomer)
        .grade("2025-03-03T20:00+08:00", "P1");
    let set = h.replay(&*WALL);
    let v = view(&set, ClockKind::Resolution, "2025-03-04T08:00+08:00");
    assert_eq!(
        (v.state, v.due_at, v.length_minutes, v.remaining_minutes),
        (ClockState::Paused, None, Some(24 * 60), Some(19 * 60))
    );
    let set = h.to("2025-03-04T14:00+08:00", Status::InProgress).replay(&*WALL);
    assert_eq!(due(&set, ClockKind::Resolution), Some(at("2025-03-05T09:00+08:00")));
}

#[test]
fn regrading_on_working_time_after_a_pause() {
    // 低 (40 h) accepted Monday 09:00; paused Tue 11:00 → Wed 14:30 (9.5 h of working time);
    // regraded 一般 (24 h) Thursday 09:00. Spent: 7 h + 2.5 h + 3 h (Wed 14:30–17:30) + 0.5 h.
    let set = History::graded("2025-03-03T09:00+08:00", "低")
        .working("2025-03-03T09:00+08:00")
        .to("2025-03-04T11:00+08:00", Status::WaitingCustomer)
        .to("2025-03-05T14:30+08:00", Status::InProgress)
        .grade("2025-03-06T09:00+08:00", "一般")
        .replay(&*WORK);
    let v = view(&set, ClockKind::Resolution, "2025-03-06T09:00+08:00");
    assert_eq!(v.remaining_minutes, Some(11 * 60));
    // 11 h from Thursday 09:00: 3 h + 4 h Thursday, 3.5 h Friday morning, 0.5 h after lunch.
    assert_eq!(v.due_at, Some(at("2025-03-07T14:00+08:00")));
    // The same instant as if it had been 一般 from the start (pausing the same way).
    let direct = History::graded("2025-03-03T09:00+08:00", "一般")
        .working("2025-03-03T09:00+08:00")
        .to("2025-03-04T11:00+08:00", Status::WaitingCustomer)
        .to("2025-03-05T14:30+08:00", Status::InProgress)
        .replay(&*WORK);
    assert_eq!(due(&direct, ClockKind::Resolution), v.due_at);
}

#[test]
fn a_regrade_applies_the_new_rows_pause_choice_at_once() {
    // Only P1 resolution pauses on waiting for parts; regraded to P1 while waiting for parts.
    let mut policy = WALL.clone();
    policy
        .rules
        .iter_mut()
        .find(|r| r.clock == ClockKind::Resolution && r.level.as_deref() == Some("P1"))
        .unwrap()
        .pause_on
        .push(Status::WaitingParts);
    let h = History::graded("2025-03-03T09:00+08:00", "P3")
        .working("2025-03-03T09:00+08:00")
        .to("2025-03-03T10:00+08:00", Status::WaitingParts)
        .grade("2025-03-03T11:00+08:00", "P1");
    let set = h.replay(&policy);
    let v = view(&set, ClockKind::Resolution, "2025-03-03T15:00+08:00");
    assert_eq!((v.state, v.remaining_minutes), (ClockState::Paused, Some(22 * 60)));
    let set = h.to("2025-03-03T16:00+08:00", Status::InProgress).replay(&policy);
    assert_eq!(due(&set, ClockKind::Resolution), Some(at("2025-03-04T14:00+08:00")), "24 h + 5 h paused");
}

// ---- Arrival on site --------------------------------------------------------------------------

#[test]
fn arrival_is_due_at_the_end_of_the_promised_window() {
    // Window 14:00–16:00: arriving 15:10 is on time for the customer and for the clock.
    let h = History::graded("2025-03-03T09:00+08:00", "P2").to("2025-03-03T09:30+08:00", Status::Dispatched).window(
        "2025-03-03T10:00+08:00",
        "2025-03-04T14:00+08:00",
        "2025-03-04T16:00+08:00",
    );
    let set = h.clone().log("2025-03-04T15:10+08:00", "on_site").replay(&*WALL);
    let v = view(&set, ClockKind::Arrival, "2025-03-04T18:00+08:00");
    assert_eq!((v.state, v.due_at, v.margin_minutes), (ClockState::Met, Some(at("2025-03-04T16:00+08:00")), Some(50)));
    // 16:05 is after the window: late.
    let set = h.log("2025-03-04T16:05+08:00", "on_site").replay(&*WALL);
    let v = view(&set, ClockKind::Arrival, "2025-03-04T18:00+08:00");
    assert_eq!((v.state, v.margin_minutes), (ClockState::Breached, Some(-5)));
}

#[test]
fn arrival_is_due_at_the_booked_visit() {
    let h = History::graded("2025-03-03T09:00+08:00", "P2")
        .to("2025-03-03T09:30+08:00", Status::Dispatched)
        .visit("2025-03-03T10:00+08:00", "2025-03-04T14:00+08:00");
    let set = h.replay(&*WALL);
    assert_eq!(due(&set, ClockKind::Arrival), Some(at("2025-03-04T14:00+08:00")));
    let v = view(&set, ClockKind::Arrival, "2025-03-04T13:00+08:00");
    assert_eq!((v.state, v.length_minutes, v.remaining_minutes), (ClockState::Running, None, Some(60)));

    let on_time = h.clone().log("2025-03-04T13:50+08:00", "on_site").replay(&*WALL);
    let v = view(&on_time, ClockKind::Arrival, "2025-03-04T18:00+08:00");
    assert_eq!((v.state, v.margin_minutes), (ClockState::Met, Some(10)));
    assert_eq!(on_time.misses(), 0);

    // Rebooked to 16:00: due then; arriving 16:20 is late.
    let late = h.visit("2025-03-04T11:00+08:00", "2025-03-04T16:00+08:00").log("2025-03-04T16:20+08:00", "on_site");
    let late = late.replay(&*WALL);
    assert_eq!(late.tracks.iter().filter(|t| t.clock == ClockKind::Arrival).count(), 1, "rebooking moves the clock");
    let v = view(&late, ClockKind::Arrival, "2025-03-04T18:00+08:00");
    assert_eq!(
        (v.state, v.due_at, v.margin_minutes),
        (ClockState::Breached, Some(at("2025-03-04T16:00+08:00")), Some(-20))
    );
    assert_eq!(late.misses(), on_time.misses() + 1);
}

// ---- Daily progress ---------------------------------------------------------------------------

#[test]
fn progress_is_due_at_17_each_working_day() {
    let h = History::graded("2025-03-03T10:00+08:00", "P2");
    let set = h.replay(&*WALL);
    assert_eq!(due(&set, ClockKind::Progress), Some(at("2025-03-03T17:00+08:00")));
    let v = view(&set, ClockKind::Progress, "2025-03-03T16:00+08:00");
    assert_eq!(
        (v.state, v.length_minutes, v.remaining_minutes, v.missed_days),
        (ClockState::Running, None, Some(60), 0)
    );

    // Sent at 16:00: the next one is due on the next working day.
    let set = h.clone().log("2025-03-03T16:00+08:00", "progress").replay(&*WALL);
    assert_eq!(due(&set, ClockKind::Progress), Some(at("2025-03-04T17:00+08:00")));
    // Sent again the next morning: that covers Tuesday.
    let set = h.clone().log("2025-03-03T16:00+08:00", "progress").log("2025-03-04T09:00+08:00", "progress");
    assert_eq!(due(&set.replay(&*WALL), ClockKind::Progress), Some(at("2025-03-05T17:00+08:00")));
    assert_eq!(set.replay(&*WALL).misses(), 0);
}

#[test]
fn days_without_progress_are_counted_when_the_next_message_goes_out() {
    // Accepted Monday 10:00; nothing Monday or Tuesday; a message Wednesday 10:00.
    let h = History::graded("2025-03-03T10:00+08:00", "P2");
    let set = h.clone().log("2025-03-05T10:00+08:00", "progress").replay(&*WALL);
    let v = view(&set, ClockKind::Progress, "2025-03-05T11:00+08:00");
    // Wednesday's message covers Wednesday: the next one is due Thursday.
    assert_eq!((v.state, v.missed_days, v.due_at), (ClockState::Running, 2, Some(at("2025-03-06T17:00+08:00"))));
    assert_eq!(set.misses(), 2);
    // After Wednesday's cutoff: Wednesday is missed too, and the next is Thursday's.
    let set = h.clone().log("2025-03-05T17:30+08:00", "progress").replay(&*WALL);
    assert_eq!(track(&set, ClockKind::Progress).misses, 3);
    assert_eq!(due(&set, ClockKind::Progress), Some(at("2025-03-06T17:00+08:00")));
    // Exactly at the cutoff is still on time.
    let set = h.clone().log("2025-03-03T17:00+08:00", "progress").replay(&*WALL);
    assert_eq!(set.misses(), 0);
    // Resolving also counts the days missed until then.
    let set = h.working("2025-03-03T10:00+08:00").to("2025-03-04T18:00+08:00", Status::Resolved).replay(&*WALL);
    let v = view(&set, ClockKind::Progress, "2025-03-05T09:00+08:00");
    assert_eq!((v.state, v.missed_days, v.stopped_at), (ClockState::Breached, 2, Some(at("2025-03-04T18:00+08:00"))));
}

#[test]
fn progress_skips_evenings_weekends_and_holidays() {
    // Accepted after 17:00: due the next working day.
    let set = History::graded("2025-03-03T17:30+08:00", "P2").replay(&*WALL);
    assert_eq!(due(&set, ClockKind::Progress), Some(at("2025-03-04T17:00+08:00")));
    // Friday evening → Monday.
    let set = History::graded("2025-03-07T18:00+08:00", "P2").replay(&*WALL);
    assert_eq!(due(&set, ClockKind::Progress), Some(at("2025-03-10T17:00+08:00")));
    // Sent Friday → Monday; accepted on Saturday → Monday.
    let set = History::graded("2025-03-07T09:00+08:00", "P2").log("2025-03-07T16:00+08:00", "progress");
    assert_eq!(due(&set.replay(&*WALL), ClockKind::Progress), Some(at("2025-03-10T17:00+08:00")));
    let set = History::graded("2025-03-08T10:00+08:00", "P2").replay(&*WALL);
    assert_eq!(due(&set, ClockKind::Progress), Some(at("2025-03-10T17:00+08:00")));
    // Sent Friday Sep 26 → the make-up Sunday Sep 28; sent Sep 30 → Oct 9 after National Day.
    let h = History::graded("2025-09-26T09:00+08:00", "一般").log("2025-09-26T16:30+08:00", "progress");
    assert_eq!(due(&h.replay(&*WORK), ClockKind::Progress), Some(at("2025-09-28T17:00+08:00")));
    let h = h.log("2025-09-28T10:00+08:00", "progress").log("2025-09-29T10:00+08:00", "progress");
    let set = h.log("2025-09-30T10:00+08:00", "progress").replay(&*WORK);
    assert_eq!(due(&set, ClockKind::Progress), Some(at("2025-10-09T17:00+08:00")));
    assert_eq!(set.misses(), 0);
    // Nothing sent from Sep 30 to Oct 11: the holiday days are not counted as missed.
    let set = History::graded("2025-09-30T09:00+08:00", "一般").log("2025-10-10T09:00+08:00", "progress");
    let set = set.replay(&*WORK);
    assert_eq!(track(&set, ClockKind::Progress).misses, 2, "Sep 30 and Oct 9");
}

#[test]
fn resolving_ends_the_plan_and_arrival_clocks() {
    // Dispatched 09:30 (plan due 11:30), a visit booked for Tuesday 10:00; fixed remotely on
    // Monday without a plan log or a visit.
    let h = History::graded("2025-03-03T09:00+08:00", "P2")
        .working("2025-03-03T09:30+08:00")
        .visit("2025-03-03T09:40+08:00", "2025-03-04T10:00+08:00")
        .log("2025-03-03T11:00+08:00", "remote_fix");
    let quick = h.clone().to("2025-03-03T11:00+08:00", Status::Resolved).replay(&*WALL);
    for clock in [ClockKind::Plan, ClockKind::Arrival] {
        let v = view(&quick, clock, "2025-03-05T00:00+08:00");
        assert_eq!((v.state, v.stopped_at), (ClockState::Met, Some(at("2025-03-03T11:00+08:00"))), "{clock}");
    }
    assert_eq!(quick.misses(), 0);

    // Resolved Tuesday 16:00 and closed: the plan and the visit were never recorded in time;
    // the ticket counts them once and no longer shows as overdue.
    let set = h
        .log("2025-03-03T16:00+08:00", "progress")
        .to("2025-03-04T16:00+08:00", Status::Resolved)
        .log("2025-03-04T17:00+08:00", "service_report")
        .survey("2025-03-04T17:00+08:00", "satisfied")
        .to("2025-03-04T17:00+08:00", Status::Closed)
        .replay(&*WALL);
    for clock in [ClockKind::Plan, ClockKind::Arrival] {
        assert_eq!(view(&set, clock, "2025-03-10T00:00+08:00").state, ClockState::Breached, "{clock}");
    }
    assert_eq!(set.misses(), 2);
    assert_eq!(set.next_due(), None);
}

// ---- Service report, callback, re-handling ----------------------------------------------------

/// P2 accepted Monday 2025-03-03 09:00, plan recorded, resolved Tuesday 15:00 (Monday's
/// progress message was missed).
fn resolved_p2() -> History {
    History::graded("2025-03-03T09:00+08:00", "P2")
        .working("2025-03-03T09:30+08:00")
        .log("2025-03-03T10:00+08:00", "plan")
        .to("2025-03-04T15:00+08:00", Status::Resolved)
}

#[test]
fn resolving_starts_the_service_report_and_callback() {
    let set = resolved_p2().replay(&*WALL);
    for clock in [ClockKind::ServiceReport, ClockKind::Callback] {
        let t = track(&set, clock);
        assert_eq!((t.started_at, t.due_at), (at("2025-03-04T15:00+08:00"), Some(at("2025-03-05T15:00+08:00"))));
        assert_eq!(t.counting, Counting::WallClock);
    }
    let v = view(&set, ClockKind::Resolution, "2025-03-04T16:00+08:00");
    assert_eq!((v.state, v.elapsed_minutes), (ClockState::Met, Some(30 * 60)));
    let v = view(&set, ClockKind::Progress, "2025-03-04T16:00+08:00");
    assert_eq!((v.state, v.missed_days, v.stopped_at), (ClockState::Breached, 1, Some(at("2025-03-04T15:00+08:00"))));
    assert_eq!(view(&set, ClockKind::Plan, "2025-03-04T16:00+08:00").state, ClockState::Met);

    let set = resolved_p2()
        .log("2025-03-05T10:00+08:00", "service_report")
        .to("2025-03-05T11:00+08:00", Status::Closed)
        .survey("2025-03-06T10:00+08:00", "satisfied")
        .replay(&*WALL);
    let v = view(&set, ClockKind::ServiceReport, "2025-03-07T00:00+08:00");
    assert_eq!((v.state, v.margin_minutes), (ClockState::Met, Some(5 * 60)));
    let v = view(&set, ClockKind::Callback, "2025-03-07T00:00+08:00");
    assert_eq!((v.state, v.margin_minutes), (ClockState::Breached, Some(-19 * 60)));
    assert_eq!(set.misses(), 2, "the callback and Monday's progress");
    assert!(!set.tracks.iter().any(|t| t.clock == ClockKind::Rehandling));
    assert_eq!(set.next_due(), None, "nothing left running");
}

#[test]
fn a_dissatisfied_survey_starts_re_handling_until_the_next_contact() {
    let h = resolved_p2().survey("2025-03-05T09:00+08:00", "dissatisfied");
    let set = h.replay(&*WALL);
    assert_eq!(view(&set, ClockKind::Callback, "2025-03-05T10:00+08:00").state, ClockState::Met);
    let t = track(&set, ClockKind::Rehandling);
    assert_eq!((t.started_at, t.due_at), (at("2025-03-05T09:00+08:00"), Some(at("2025-03-07T09:00+08:00"))));
    assert_eq!(set.next_due(), Some(at("2025-03-05T15:00+08:00")), "the service report is still due first");

    // A progress message or a customer's message do not start the second handling; a contact does.
    let set = h
        .clone()
        .log("2025-03-05T10:00+08:00", "progress")
        .log("2025-03-05T11:00+08:00", "customer_message")
        .log("2025-03-06T10:00+08:00", "contact")
        .replay(&*WALL);
    let v = view(&set, ClockKind::Rehandling, "2025-03-08T00:00+08:00");
    assert_eq!(
        (v.state, v.stopped_at, v.margin_minutes),
        (ClockState::Met, Some(at("2025-03-06T10:00+08:00")), Some(23 * 60))
    );
    let set = h.log("2025-03-07T10:00+08:00", "on_site").replay(&*WALL);
    assert_eq!(view(&set, ClockKind::Rehandling, "2025-03-08T00:00+08:00").state, ClockState::Breached);
}

// ---- Refusal, reopening, cancellation ---------------------------------------------------------

#[test]
fn a_refused_closure_resumes_resolution_from_what_it_had_spent() {
    // P2 resolution (48 h) ran 30 h; 3 h later the customer refuses the closure.
    let h = resolved_p2().to("2025-03-04T18:00+08:00", Status::InProgress);
    let set = h.replay(&*WALL);
    assert_eq!(due(&set, ClockKind::Resolution), Some(at("2025-03-05T12:00+08:00")), "48 h + 3 h resolved");
    let v = view(&set, ClockKind::Resolution, "2025-03-04T18:00+08:00");
    assert_eq!((v.state, v.remaining_minutes, v.stopped_at), (ClockState::Running, Some(18 * 60), None));
    // The report and callback not yet done (and not yet due) are void; the next resolution
    // starts them afresh; progress runs again.
    assert!(
        set.tracks
            .iter()
            .filter(|t| matches!(t.clock, ClockKind::ServiceReport | ClockKind::Callback))
            .all(|t| t.cancelled && t.stopped_at.is_some()),
        "{set:#?}"
    );
    assert_eq!(due(&set, ClockKind::Progress), Some(at("2025-03-05T17:00+08:00")));

    // Resolved again: fresh report and callback from then.
    let set = h.to("2025-03-05T11:00+08:00", Status::Resolved).replay(&*WALL);
    let v = view(&set, ClockKind::Resolution, "2025-03-05T12:00+08:00");
    assert_eq!((v.state, v.elapsed_minutes, v.margin_minutes), (ClockState::Met, Some(47 * 60), Some(60)));
    assert_eq!(due(&set, ClockKind::ServiceReport), Some(at("2025-03-06T11:00+08:00")));
}

#[test]
fn reopening_a_closed_ticket_resumes_resolution_and_keeps_finished_clocks() {
    let set = resolved_p2()
        .log("2025-03-04T16:00+08:00", "service_report")
        .to("2025-03-04T17:00+08:00", Status::Closed)
        .to("2025-03-06T15:00+08:00", Status::InProgress)
        .replay(&*WALL);
    // 30 h spent, 18 h left from the reopening.
    assert_eq!(due(&set, ClockKind::Resolution), Some(at("2025-03-07T09:00+08:00")));
    let reports: Vec<_> = set.tracks.iter().filter(|t| t.clock == ClockKind::ServiceReport).collect();
    assert_eq!(reports.len(), 1, "the report that was sent stays on record");
    assert_eq!(reports[0].stopped_at, Some(at("2025-03-04T16:00+08:00")));
    assert!(
        set.tracks.iter().filter(|t| t.clock == ClockKind::Callback).all(|t| t.stopped_at.is_some()),
        "the pending callback waits for the next resolution"
    );
}

#[test]
fn cancelling_stops_live_clocks_without_counting_them() {
    // Response overdue and answered late (counted); then cancelled with resolution overdue.
    let set = History::graded("2025-03-03T09:00+08:00", "P1")
        .to("2025-03-03T09:30+08:00", Status::Dispatched)
        .to("2025-03-03T12:00+08:00", Status::Responded)
        .to("2025-03-03T12:00+08:00", Status::InProgress)
        .visit("2025-03-03T12:30+08:00", "2025-03-03T15:00+08:00")
        .to("2025-03-05T10:00+08:00", Status::Cancelled)
        .replay(&*WALL);
    for clock in [ClockKind::Resolution, ClockKind::Plan, ClockKind::Arrival, ClockKind::Progress] {
        let v = view(&set, clock, "2025-03-06T00:00+08:00");
        assert_eq!((v.state, v.stopped_at), (ClockState::Cancelled, Some(at("2025-03-05T10:00+08:00"))), "{clock}");
    }
    assert_eq!(view(&set, ClockKind::Response, "2025-03-06T00:00+08:00").state, ClockState::Breached);
    assert_eq!(set.misses(), 2, "the late response and engineer contact only");
    assert_eq!(set.next_due(), None);
}

// ---- Warnings and stored state ----------------------------------------------------------------

#[test]
fn a_deadline_in_a_year_without_holiday_data_warns() {
    // 低 (40 h working time) from Wednesday 2026-12-30 runs into 2027, for which the bundled
    // data has no official schedule yet.
    let set = History::graded("2026-12-30T10:00+08:00", "低").replay(&*WORK);
    assert!(due(&set, ClockKind::Resolution).unwrap() > at("2027-01-01T00:00+08:00"));
    assert_eq!(set.warnings, vec![Warning::NoHolidayData { calendar: "cn".into(), year: 2027 }]);
    assert!(set.warnings[0].message(aftersales_domain::Lang::En).contains("2027"));
    // Wall-clock clocks do not depend on the calendar.
    let set = History::graded("2026-12-30T10:00+08:00", "P1").replay(&*WALL);
    assert!(set.warnings.is_empty(), "{:?}", set.warnings);
    let set = History::graded("2025-12-29T10:00+08:00", "低").replay(&*WORK);
    assert!(set.warnings.is_empty(), "2026 is covered: {:?}", set.warnings);
}

#[test]
fn stored_clocks_round_trip_through_json() {
    let set = History::graded("2025-09-26T16:00+08:00", "一般")
        .working("2025-09-26T16:30+08:00")
        .to("2025-09-28T10:00+08:00", Status::WaitingCustomer)
        .to("2025-09-29T10:00+08:00", Status::InProgress)
        .visit("2025-09-29T11:00+08:00", "2025-09-30T09:00+08:00")
        .log("2025-09-29T12:00+08:00", "progress")
        .replay(&*WORK);
    let json = serde_json::to_string(&set).unwrap();
    let back: ClockSet = serde_json::from_str(&json).unwrap();
    assert_eq!(back, set);
    let now = at("2025-09-29T15:00+08:00");
    assert_eq!(back.views(now, &CN), set.views(now, &CN));
}

#[test]
fn events_without_clock_facts_change_nothing() {
    let h = History::graded("2025-03-03T09:00+08:00", "P2");
    let mut noisy = h.clone();
    noisy.events.push(event(at("2025-03-03T10:00+08:00"), "edit", vec![change("description", json!("a"), json!("b"))]));
    noisy.events.push(event(
        at("2025-03-03T10:00+08:00"),
        "log_added",
        vec![change("log_kind", Value::Null, json!("no_such_kind"))],
    ));
    assert_eq!(noisy.replay(&*WALL), h.replay(&*WALL));
}

// ---- Properties -------------------------------------------------------------------------------

/// One step a generated history may take, chosen among those the state allows.
#[derive(Debug, Clone, Copy)]
enum Move {
    Grade(usize),
    To(Status),
    Log(&'static str),
    Visit(i64),
    Survey(&'static str),
}

const LOG_KINDS: &[&str] = &["contact", "diagnosis", "plan", "remote_fix", "on_site", "progress", "service_report"];
const SURVEYS: &[&str] = &["satisfied", "basic", "dissatisfied"];

/// The steps the state allows: lifecycle steps first (without cancelling), then the others.
fn moves(status: Status, surveyed: bool, levels: usize) -> (Vec<Move>, Vec<Move>) {
    use Status::*;
    let next: &[Status] = match status {
        Registered => &[Accepted],
        Accepted => &[Dispatched],
        Dispatched => &[Responded],
        Responded => &[InProgress],
        InProgress => &[WaitingCustomer, WaitingParts, Resolved],
        WaitingCustomer | WaitingParts => &[InProgress],
        Resolved => &[Closed, InProgress],
        Closed => &[InProgress],
        Cancelled => &[],
    };
    let steps = next.iter().map(|s| Move::To(*s)).collect();
    let mut other: Vec<Move> = Vec::new();
    if matches!(status, Accepted | Dispatched | Responded | InProgress | WaitingCustomer | WaitingParts) {
        other.extend((0..levels).map(Move::Grade));
    }
    if status != Registered {
        other.extend(LOG_KINDS.iter().map(|k| Move::Log(k)));
    }
    if matches!(status, Dispatched | Responded | InProgress | WaitingCustomer | WaitingParts) {
        other.extend([Move::Visit(90), Move::Visit(26 * 60)]);
    }
    if matches!(status, Resolved | Closed) && !surveyed {
        other.extend(SURVEYS.iter().map(|r| Move::Survey(r)));
    }
    (steps, other)
}

/// A history of valid steps at increasing instants: `(choice, minutes after the previous)`.
/// Half the choices move the lifecycle on, one in 64 cancels (where allowed), the rest
/// grade, log, book a visit or record a survey.
fn generated(policy: &ServicePolicy, start: Timestamp, steps: &[(usize, i64)]) -> History {
    let mut levels: Vec<String> = policy.rules.iter().filter_map(|r| r.level.clone()).collect();
    levels.dedup();
    let mut h = History::accepted(start);
    let mut now = start;
    let mut surveyed = false;
    for &(choice, gap) in steps {
        now += mins(gap);
        if h.status == Status::Cancelled {
            break;
        }
        let (lifecycle, other) = moves(h.status, surveyed, levels.len());
        let chosen = if choice == 63 && h.status.is_open() {
            Move::To(Status::Cancelled)
        } else if choice < 32 || other.is_empty() {
            lifecycle[choice % lifecycle.len()]
        } else {
            other[choice % other.len()]
        };
        h = match chosen {
            Move::Grade(i) => h.grade(now, &levels[i]),
            Move::To(s) => {
                if s == Status::Resolved {
                    surveyed = false;
                }
                h.to(now, s)
            }
            Move::Log(kind) => h.log(now, kind),
            Move::Visit(after) => h.visit(now, now + mins(after)),
            Move::Survey(r) => {
                surveyed = true;
                h.survey(now, r)
            }
        };
    }
    h
}

/// Instants in 2025–2026 at millisecond precision.
fn instant() -> impl Strategy<Value = Timestamp> {
    let lo = at("2025-01-01T00:00+08:00").as_millisecond();
    let hi = at("2026-12-01T00:00+08:00").as_millisecond();
    (lo..hi).prop_map(|ms| Timestamp::from_millisecond(ms).unwrap())
}

/// Up to 40 steps, each 0 to 3 days after the previous (often within the hour).
fn steps() -> impl Strategy<Value = Vec<(usize, i64)>> {
    proptest::collection::vec((0usize..64, prop_oneof![0i64..90, 0i64..(3 * 24 * 60)]), 0..40)
}

/// The span `per_mille`/1000 of the way from `a` to `b`.
fn before(a: Timestamp, b: Timestamp, per_mille: i64) -> SignedDuration {
    SignedDuration::from_millis(b.duration_since(a).as_millis() as i64 * per_mille / 1000)
}

fn policy(working: bool) -> &'static ServicePolicy {
    if working { &WORK } else { &WALL }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn folding_event_by_event_equals_replaying(working in any::<bool>(), start in instant(), steps in steps()) {
        let policy = policy(working);
        let h = generated(policy, start, &steps);
        let ctx = Context { calendar: &CN, policies: policy };
        let mut folded = ClockSet::default();
        for e in &h.events {
            folded.apply_event(e, &ctx).unwrap();
        }
        let replayed = ClockSet::replay(&h.events, &ctx).unwrap();
        prop_assert_eq!(&folded, &replayed);
        prop_assert_eq!(&ClockSet::replay(&h.events, &ctx).unwrap(), &replayed);
        // A stored set (JSON) gives the same set and the same views.
        let stored: ClockSet = serde_json::from_str(&serde_json::to_string(&replayed).unwrap()).unwrap();
        prop_assert_eq!(&stored, &replayed);
        let now = h.events.last().unwrap().at + hours(5);
        prop_assert_eq!(stored.views(now, &CN), replayed.views(now, &CN));
        // The same history under the policy as a one-entry version map.
        let map: BTreeMap<i64, ServicePolicy> = [(1, policy.clone())].into();
        prop_assert_eq!(&ClockSet::replay(&h.events, &Context { calendar: &CN, policies: &map }).unwrap(), &replayed);
    }

    #[test]
    fn a_pause_moves_the_resolution_due_by_its_working_time(
        level in prop_oneof![Just("一般"), Just("低")],
        start in instant(),
        before_per_mille in 0i64..1000,
        pause_ms in 0i64..(20 * 86_400_000),
    ) {
        let plain = History::graded(start, level).working(start);
        let without = due(&plain.replay(&*WORK), ClockKind::Resolution).unwrap();
        // Pause strictly before the due instant (after it, the clock is already breached).
        let p = start + before(start, without, before_per_mille);
        let q = p + SignedDuration::from_millis(pause_ms);
        let paused = plain.to(p, Status::WaitingCustomer).to(q, Status::InProgress).replay(&*WORK);
        let with = due(&paused, ClockKind::Resolution).unwrap();
        let paused_work = CN.between(p, q).unwrap();
        prop_assert_eq!(CN.between(without, with).unwrap(), paused_work);
        let expected = if paused_work.is_zero() { without } else { CN.add(without, paused_work).unwrap() };
        prop_assert_eq!(with, expected);
        // Wall-clock time: exactly the pause.
        let plain = History::graded(start, "紧急").working(start);
        let without = due(&plain.replay(&*WORK), ClockKind::Resolution).unwrap();
        let p = start + before(start, without, before_per_mille);
        let q = p + SignedDuration::from_millis(pause_ms);
        let paused = plain.to(p, Status::WaitingCustomer).to(q, Status::InProgress).replay(&*WORK);
        prop_assert_eq!(due(&paused, ClockKind::Resolution).unwrap(), without + (q - p));
    }

    #[test]
    fn a_working_time_due_is_working_time_or_an_interval_end(start in instant(), steps in steps()) {
        let set = generated(&WORK, start, &steps).replay(&*WORK);
        for t in set.tracks.iter().filter(|t| t.counting == Counting::WorkingTime) {
            if let Some(due) = t.due_at {
                let just_before = due - SignedDuration::from_millis(1);
                prop_assert!(CN.is_working(due) || CN.is_working(just_before), "{} due {due}", t.clock);
            }
        }
    }

    #[test]
    fn views_are_consistent_with_the_tracks(working in any::<bool>(), start in instant(), steps in steps(), later in 0i64..(10 * 24 * 60)) {
        let policy = policy(working);
        let h = generated(policy, start, &steps);
        let set = h.replay(policy);
        let now = h.events.last().unwrap().at + mins(later);
        let views = set.views(now, &CN);
        prop_assert_eq!(views.len(), set.tracks.len());
        let mut breached_stops = 0;
        for (v, t) in views.iter().zip(&set.tracks) {
            prop_assert_eq!(v.due_at, t.due_at);
            match v.state {
                ClockState::Met | ClockState::Breached | ClockState::Cancelled if t.stopped_at.is_some() => {
                    prop_assert_eq!(v.state == ClockState::Cancelled, t.cancelled);
                    if v.state == ClockState::Breached && t.clock != ClockKind::Progress {
                        breached_stops += 1;
                    }
                }
                ClockState::Running => prop_assert!(t.due_at.is_some_and(|d| now <= d)),
                ClockState::Paused => prop_assert!(v.remaining_minutes.is_some_and(|m| m >= 0)),
                ClockState::Breached => prop_assert!(v.remaining_minutes.is_some_and(|m| m <= 0)),
                ClockState::AwaitingGrading => prop_assert!(t.length_ms.is_none()),
                other => prop_assert!(false, "{other:?} for a live track {t:?}"),
            }
        }
        let progress: u32 = set.tracks.iter().filter(|t| t.clock == ClockKind::Progress).map(|t| t.misses).sum();
        prop_assert_eq!(set.misses(), breached_stops + progress, "views and misses() agree");
        if let Some(next) = set.next_due() {
            prop_assert!(views.iter().any(|v| v.due_at == Some(next) && matches!(v.state, ClockState::Running | ClockState::Breached)));
        }
    }
}

// ---- Found in review --------------------------------------------------------------------------

#[test]
fn a_clock_paused_after_its_due_instant_stays_in_the_overdue_list() {
    // P1 resolution due Tue 09:00; the ticket waits for the customer from 15:00.
    let set = History::graded("2025-03-03T09:00+08:00", "P1")
        .working("2025-03-03T09:00+08:00")
        .to("2025-03-04T15:00+08:00", Status::WaitingCustomer)
        .replay(&*WALL);
    assert_eq!(view(&set, ClockKind::Resolution, "2025-03-04T16:00+08:00").state, ClockState::Breached);
    assert!(
        set.next_due().is_some_and(|d| d <= at("2025-03-04T09:00+08:00")),
        "the list column agrees with the view: {:?}",
        set.next_due()
    );
    // Paused in time: no due instant, so it leaves the deadline lists while it waits.
    let early = History::graded("2025-03-03T09:00+08:00", "P1")
        .working("2025-03-03T09:00+08:00")
        .to("2025-03-03T10:00+08:00", Status::WaitingCustomer)
        .replay(&*WALL);
    assert_eq!(track(&early, ClockKind::Resolution).due_at, None);
}

#[test]
fn rebooking_after_the_agreed_time_keeps_the_missed_visit() {
    let set = History::graded("2025-03-03T09:00+08:00", "P2")
        .to("2025-03-03T09:30+08:00", Status::Dispatched)
        .visit("2025-03-03T10:00+08:00", "2025-03-04T14:00+08:00")
        .visit("2025-03-04T15:00+08:00", "2025-03-04T17:00+08:00")
        .log("2025-03-04T16:30+08:00", "on_site")
        .replay(&*WALL);
    let arrivals: Vec<_> =
        set.views(at("2025-03-04T18:00+08:00"), &CN).into_iter().filter(|v| v.clock == ClockKind::Arrival).collect();
    assert_eq!(arrivals.len(), 2);
    assert_eq!((arrivals[0].state, arrivals[0].due_at), (ClockState::Breached, Some(at("2025-03-04T14:00+08:00"))));
    assert_eq!(arrivals[1].state, ClockState::Met);
}

#[test]
fn a_refusal_keeps_an_overdue_report_on_record() {
    // Resolved Monday 10:00; the report (24 h) is not sent; the customer refuses on Wednesday.
    let set = History::graded("2025-03-03T09:00+08:00", "P2")
        .working("2025-03-03T09:00+08:00")
        .to("2025-03-03T10:00+08:00", Status::Resolved)
        .to("2025-03-05T10:00+08:00", Status::InProgress)
        .replay(&*WALL);
    let report =
        set.views(at("2025-03-05T11:00+08:00"), &CN).into_iter().find(|v| v.clock == ClockKind::ServiceReport).unwrap();
    assert_eq!(report.state, ClockState::Breached);
    // Refused within the day: the report clock is void, not missed.
    let quick = History::graded("2025-03-03T09:00+08:00", "P2")
        .working("2025-03-03T09:00+08:00")
        .to("2025-03-03T10:00+08:00", Status::Resolved)
        .to("2025-03-03T12:00+08:00", Status::InProgress)
        .replay(&*WALL);
    let report = quick
        .views(at("2025-03-03T13:00+08:00"), &CN)
        .into_iter()
        .find(|v| v.clock == ClockKind::ServiceReport)
        .unwrap();
    assert_eq!(report.state, ClockState::Cancelled);
}

#[test]
fn an_imported_name_with_a_newline_still_reads_back() {
    let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:New Year\\nHoliday\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let set = aftersales_domain::calendar::HolidaySet::parse_ics("cn", ics, "notice\nwith a newline").unwrap();
    let back = aftersales_domain::calendar::HolidaySet::parse_csv("cn", &set.to_csv()).unwrap();
    assert_eq!(back.days.len(), 1);
    let huge = "source,2027,x\noff,2027-01-01..2099-12-31,everything\n";
    let err = aftersales_domain::calendar::HolidaySet::parse_csv("cn", huge).unwrap_err();
    assert!(err.to_string().contains("366") || format!("{err:?}").contains("366"), "{err:?}");
}
