//! A clock as shown on the ticket: due, time left, overdue (DOMAIN §4: "every deadline is
//! shown on the ticket with its due time and the time left").

#[allow(unused_imports)]
use super::*;

/// A clock as shown on the ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClockView {
    pub clock: ClockKind,
    pub state: ClockState,
    pub counting: Counting,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub started_at: Timestamp,
    /// The policy's length in minutes (length-based clocks).
    pub length_minutes: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub due_at: Option<Timestamp>,
    /// Minutes left until due (counted as the clock counts); negative when overdue.
    /// While paused: what is left when it resumes.
    pub remaining_minutes: Option<i64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub stopped_at: Option<Timestamp>,
    /// Minutes the clock counted until it stopped.
    pub elapsed_minutes: Option<i64>,
    /// Once stopped: minutes by which it was met (positive) or missed (negative).
    pub margin_minutes: Option<i64>,
    /// Progress: working days missed so far.
    pub missed_days: u32,
}

pub(super) fn minutes(ms: i64) -> i64 {
    // Round toward negative infinity so "1 s overdue" shows as -1, not 0.
    ms.div_euclid(60_000)
}

pub(super) fn view(t: &Track, now: Timestamp, cal: &Calendar) -> ClockView {
    let measure = |a: Timestamp, b: Timestamp| -> Option<i64> {
        if b >= a { t.measure(cal, a, b).ok() } else { t.measure(cal, b, a).ok().map(|v| -v) }
    };
    let paused = t.clock.has_length() && t.is_live() && !t.is_running();
    let (state, remaining, elapsed, margin) = if let Some(stopped) = t.stopped_at {
        let elapsed = if t.clock.has_length() { t.spent(cal, stopped).ok() } else { None };
        let margin = match (t.clock.has_length(), t.length_ms, elapsed, t.due_at) {
            (true, Some(len), Some(el), _) => Some(len - el),
            (false, _, _, Some(due)) => measure(stopped, due),
            _ => None,
        };
        // The rule of [`ClockSet::misses`]: late when it stopped after its due instant, even
        // if no working time was overspent (stopped in the evening after a 17:30 due).
        let late = match t.clock {
            ClockKind::Progress => t.misses > 0,
            _ => t.due_at.is_some_and(|due| stopped > due),
        };
        let state = if t.cancelled {
            ClockState::Cancelled
        } else if late {
            ClockState::Breached
        } else {
            ClockState::Met
        };
        (state, None, elapsed, margin)
    } else if t.clock.has_length() && t.length_ms.is_none() {
        (ClockState::AwaitingGrading, None, None, None)
    } else if paused {
        let left = match (t.length_ms, t.spent(cal, now)) {
            (Some(len), Ok(spent)) => Some(len - spent),
            _ => None,
        };
        let state = if left.is_some_and(|l| l < 0) { ClockState::Breached } else { ClockState::Paused };
        (state, left, None, None)
    } else {
        let left = match (t.length_ms, t.due_at, t.segments.last()) {
            // Due within the running segment: what is left is the time until the due instant.
            (Some(_), Some(due), Some(last)) if due >= last.start => measure(now, due),
            // Overspent before a pause: the paused time is not overdue time (the paused view
            // showed `length - spent`, and resuming must not jump).
            (Some(len), _, _) => t.spent(cal, now).ok().map(|spent| len - spent),
            (None, due, _) => due.and_then(|due| measure(now, due)),
        };
        let overdue = t.due_at.is_some_and(|d| now > d);
        (if overdue { ClockState::Breached } else { ClockState::Running }, left, None, None)
    };
    ClockView {
        clock: t.clock,
        state,
        counting: t.counting,
        started_at: t.started_at,
        length_minutes: t.length_ms.map(minutes),
        due_at: t.due_at,
        remaining_minutes: remaining.map(minutes),
        stopped_at: t.stopped_at,
        elapsed_minutes: elapsed.map(minutes),
        margin_minutes: margin.map(minutes),
        missed_days: t.misses,
    }
}
