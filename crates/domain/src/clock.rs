//! Clocks (DOMAIN §4): every deadline a ticket is held to, computed from its history.
//!
//! A ticket's clocks are a [`ClockSet`] folded from [`Fact`]s, and facts come from the
//! ticket's stored [`Event`]s ([`facts`]), so the same history always gives the same
//! clocks: the app applies each new event as it happens, and can replay the whole history
//! (after a calendar edit, or to check) and get the same state.
//!
//! Each length-based clock keeps the segments of time it ran; what it has spent is measured
//! on those segments in its current counting mode, so a pause never loses time and a
//! regrade (DOMAIN §3: "a priority change recomputes the open deadlines") computes the new
//! due instant from the new length minus what was already spent.

use std::collections::BTreeMap;

use jiff::SignedDuration;
use jiff::civil::Time;
use serde::{Deserialize, Serialize};

use crate::calendar::Calendar;
use crate::coded_enum;
use crate::error::{DomainError, Field, Reason};
use crate::event::Event;
use crate::grading::{Counting, GradingScheme};
use crate::ticket::Status;
use crate::worklog::LogKind;
use crate::{Lang, Timestamp};

mod policy;
mod track;
mod view;
pub use policy::*;
pub use track::*;
pub use view::*;

coded_enum! {
    /// The clocks of DOMAIN §4.
    pub enum ClockKind {
        Response = ("response", "响应", "Response"),
        EngineerContact = ("engineer_contact", "工程师联系客户", "Engineer contact"),
        Plan = ("plan", "处理方案", "Handling plan"),
        Arrival = ("arrival", "到场", "Arrival on site"),
        Resolution = ("resolution", "解决", "Resolution"),
        Progress = ("progress", "进展通报", "Daily progress"),
        ServiceReport = ("service_report", "服务报告", "Service report"),
        Callback = ("callback", "回访", "Callback"),
        Rehandling = ("rehandling", "二次处理", "Re-handling"),
    }
}

coded_enum! {
    /// Where a clock stands.
    pub enum ClockState {
        Running = ("running", "计时中", "Running"),
        Paused = ("paused", "已暂停", "Paused"),
        /// Stopped in time.
        Met = ("met", "已达标", "Met"),
        /// Past its due instant, running or stopped late.
        Breached = ("breached", "已超时", "Breached"),
        /// The ticket was cancelled while the clock ran.
        Cancelled = ("cancelled", "已撤销", "Cancelled"),
        /// Started but waiting for a grading to know its length.
        AwaitingGrading = ("awaiting_grading", "待分级", "Awaiting grading"),
    }
}

coded_enum! {
    /// The customer's answer to the satisfaction survey (回访满意度).
    pub enum SurveyResult {
        Satisfied = ("satisfied", "满意", "Satisfied"),
        Basic = ("basic", "基本满意", "Basically satisfied"),
        Dissatisfied = ("dissatisfied", "不满意", "Dissatisfied"),
    }
}

impl ClockKind {
    /// Clocks whose due instant is not a length: arrival is the agreed time, progress the
    /// daily cutoff. A policy has no length rule for them.
    pub fn has_length(self) -> bool {
        !matches!(self, ClockKind::Arrival | ClockKind::Progress)
    }
}

/// What in a ticket's history moves its clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// The ticket now runs under this customer level (set at acceptance).
    CustomerLevel(Option<String>),
    /// The ticket now runs under this policy version.
    Policy(i64),
    /// The priority level changed (grading, ruling, approved downgrade).
    Level(Option<String>),
    Status {
        from: Status,
        to: Status,
    },
    /// A visit was booked (or rebooked) for this instant.
    VisitBooked(Timestamp),
    /// The last open visit was cancelled: nobody is expected on site any more.
    VisitWithdrawn,
    Logged(LogKind),
    Surveyed(SurveyResult),
}

fn str_of(v: &serde_json::Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

/// The facts one stored event holds, in the order they apply.
pub fn facts(event: &Event) -> Vec<Fact> {
    let mut out = Vec::new();
    let change = |field: &str| event.changes.iter().find(|c| c.field == field);
    if let Some(c) = change("customer_level") {
        out.push(Fact::CustomerLevel(str_of(&c.after)));
    }
    if let Some(v) = change("policy_version").and_then(|c| c.after.as_i64()) {
        out.push(Fact::Policy(v));
    }
    if let Some(c) = change("priority") {
        out.push(Fact::Level(str_of(&c.after)));
    }
    // A survey goes before the status change it may cause (a dissatisfied answer reopens the
    // ticket): the callback it completes is met, not discarded with the reopening.
    if let Some(r) = change("survey_result").and_then(|c| c.after.as_str()).and_then(SurveyResult::from_code) {
        out.push(Fact::Surveyed(r));
    }
    if let Some(c) = change("status") {
        let from = c.before.as_str().and_then(Status::from_code);
        let to = c.after.as_str().and_then(Status::from_code);
        if let (Some(from), Some(to)) = (from, to) {
            out.push(Fact::Status { from, to });
        }
    }
    // The arrival clock is due at the end of the promised window (`visit_due`, issue 13);
    // a history written before windows existed has only the agreed instant (`visit_at`).
    let due = change("visit_due").and_then(|c| c.after.as_str()).and_then(|s| s.parse().ok());
    match (change("visit_at"), due) {
        (_, Some(due)) => out.push(Fact::VisitBooked(due)),
        (Some(c), None) => match c.after.as_str().and_then(|s| s.parse().ok()) {
            Some(at) => out.push(Fact::VisitBooked(at)),
            None if c.after.is_null() && !c.before.is_null() => out.push(Fact::VisitWithdrawn),
            None => {}
        },
        (None, None) => {}
    }
    if let Some(kind) = change("log_kind").and_then(|c| c.after.as_str()).and_then(LogKind::from_code) {
        out.push(Fact::Logged(kind));
    }
    out
}
