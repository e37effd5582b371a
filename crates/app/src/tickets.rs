//! Ticket use cases: register, read, list, edit, every lifecycle step, work log, priority
//! change decisions and the dispatch suggestion.

use std::collections::HashMap;

use aftersales_domain::audience::Visibility;
use aftersales_domain::calendar::Calendar;
use aftersales_domain::catalog::Category;
use aftersales_domain::clock::{ClockView, SurveyResult, Warning};
use aftersales_domain::customer_link::LinkPurpose;
use aftersales_domain::dispatch::{self, Candidate, Excluded, Need, Ranked, Ranking, Unavailability};
use aftersales_domain::error::{Conflict, Field, Reason};
use aftersales_domain::event::{self, Change, Event};
use aftersales_domain::grading::{ChangeRequestStatus, GradeOutcome, Level, PriorityChangeRequest};
use aftersales_domain::lifecycle::{self, Step, StepContext};
use aftersales_domain::permission::{self, Action, TicketScope};
use aftersales_domain::phone;
use aftersales_domain::qualification;
use aftersales_domain::registration::{self, Registration};
use aftersales_domain::role::{Line, Role};
use aftersales_domain::ticket::{
    CancelReason, Channel, ClosureMethod, Department, Kind, Status, Ticket, WindowConfirmation,
};
use aftersales_domain::ticket_no::TicketNo;
use aftersales_domain::working_calendar::{self, Availability};
use aftersales_domain::worklog::{self, LogEntry, LogKind};
use aftersales_domain::{DomainError, Id, Timestamp, repeat};
use aftersales_storage::tickets::{SortKey, TicketFilter};
use aftersales_storage::{Conn, WriteTx, catalog, directory, links, policy, tickets, users};
use aftersales_storage::{qualifications, visits, work_orders};
use serde::{Deserialize, Serialize};

use crate::directory::own_customer;
use crate::users::Page;
use crate::{Actor, App, AppError, Idem, Outcome, Result};

mod edit;
mod events;
mod read;
mod register;
mod steps;

/// A step on a ticket, as sent to `POST /api/v1/tickets/{id}/transitions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// 受理: the desk accepts a complete request; the response clock starts.
    Accept,
    /// The customer's designated window confirms a request someone else made.
    ConfirmWindow,
    /// 分级 with a reason. Lowering the priority creates a request a supervisor approves.
    Grade {
        level: String,
        reason: String,
    },
    /// A supervisor's review of the latest grading.
    ReviewGrading {
        approve: bool,
        note: Option<String>,
    },
    /// The customer objects to the grading; the technical director rules.
    ObjectToGrading {
        reason: String,
    },
    /// The technical director's ruling on an objection.
    RuleGradingDispute {
        level: String,
        reason: String,
    },
    /// 派单. Group defaults to the category's group; engineer to the suggested one.
    Dispatch {
        group_id: Option<Id>,
        engineer_id: Option<Id>,
    },
    /// The engineer contacted the customer (stops the response clock).
    Respond {
        note: Option<String>,
    },
    /// Start handling; the initial plan, if given, goes to the work log.
    Start {
        plan: Option<String>,
    },
    WaitForCustomer {
        note: Option<String>,
    },
    WaitForParts {
        note: Option<String>,
    },
    Resume {
        note: Option<String>,
    },
    /// 申请二线支持: adds a second-line engineer (suggested when not named).
    RequestSecondLine {
        engineer_id: Option<Id>,
        reason: String,
    },
    Resolve {
        resolution: String,
    },
    /// The customer agrees to close: in the portal (contacts), or recorded by staff from a
    /// signature on site or a callback.
    ConfirmClosure {
        method: Option<ClosureMethod>,
    },
    RefuseClosure {
        reason: String,
    },
    Reopen {
        reason: String,
    },
    Cancel {
        reason: CancelReason,
        note: Option<String>,
    },
    /// 预约上门: the site visit agreed with the customer; the arrival clock is due then.
    BookVisit {
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
        at: Timestamp,
        note: Option<String>,
    },
    /// 回访: the customer's satisfaction with the latest resolution. Stops the callback
    /// clock; "dissatisfied" starts the 48 h re-handling clock.
    RecordSurvey {
        result: SurveyResult,
        note: Option<String>,
        /// 问题是否彻底解决 (seed 000 (四)); optional, so clients of the first version work.
        #[serde(default)]
        solved: Option<bool>,
        /// 服务响应速度是否满意.
        #[serde(default)]
        speed_ok: Option<bool>,
        /// 改进建议.
        #[serde(default)]
        suggestions: Option<String>,
    },
}

/// The steps `actor` may offer on `t` now: those the ticket offers in its state and
/// context ([`Ticket::offers_in`], the context from [`App::step_context`]), permitted to the
/// role, and, for an engineer's own work, on a ticket assigned to them. What a page shows
/// as buttons; [`App::act`] still checks everything when one is taken.
pub fn available_steps(actor: &Actor, t: &Ticket, ctx: &StepContext) -> Vec<Step> {
    let engineer = matches!(actor.user.role, Role::FirstLineEngineer | Role::SecondLineEngineer);
    Step::ALL
        .iter()
        .copied()
        .filter(|s| t.offers_in(*s, ctx))
        .filter(|s| actor.user.active && permission::allows(actor.user.role, s.permission()))
        .filter(|s| !engineer || !s.is_engineers_work() || t.is_assigned_to(actor.id()))
        .collect()
}

impl Command {
    pub fn action(&self) -> Action {
        self.step().permission()
    }

    /// The step this command takes.
    pub fn step(&self) -> Step {
        match self {
            Command::Accept => Step::Accept,
            Command::ConfirmWindow => Step::ConfirmWindow,
            Command::Grade { .. } => Step::Grade,
            Command::ReviewGrading { .. } => Step::ReviewGrading,
            Command::ObjectToGrading { .. } => Step::ObjectToGrading,
            Command::RuleGradingDispute { .. } => Step::RuleGradingDispute,
            Command::Dispatch { .. } => Step::Dispatch,
            Command::Respond { .. } => Step::Respond,
            Command::Start { .. } => Step::Start,
            Command::WaitForCustomer { .. } => Step::WaitForCustomer,
            Command::WaitForParts { .. } => Step::WaitForParts,
            Command::Resume { .. } => Step::Resume,
            Command::RequestSecondLine { .. } => Step::RequestSecondLine,
            Command::Resolve { .. } => Step::Resolve,
            Command::ConfirmClosure { .. } => Step::ConfirmClosure,
            Command::RefuseClosure { .. } => Step::RefuseClosure,
            Command::Reopen { .. } => Step::Reopen,
            Command::Cancel { .. } => Step::Cancel,
            Command::BookVisit { .. } => Step::BookVisit,
            Command::RecordSurvey { .. } => Step::RecordSurvey,
        }
    }

    /// The event name recorded in the history: the step's code.
    pub fn name(&self) -> &'static str {
        self.step().code()
    }
}

/// What a step did: the ticket as it now is, and the downgrade request it created, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StepOutcome {
    pub ticket: TicketView,
    pub priority_change_request: Option<PriorityChangeRequest>,
}

/// A ticket as shown: its fields, and its clocks as of now (DOMAIN §4: "every deadline is
/// shown on the ticket with its due time and the time left").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketView {
    #[serde(flatten)]
    pub ticket: Ticket,
    pub clocks: Vec<ClockView>,
    /// Where the clocks may be wrong, e.g. a year without holiday data.
    pub clock_warnings: Vec<Warning>,
}

/// A write taken up to its commit, so the caller records the answer in its reader's
/// projection (the staff's view, or the customer's) under the idempotency key and commits.
pub(crate) enum Opened<T> {
    /// Done before under the same idempotency key: the recorded answer.
    Replayed { status: u16, body: String },
    /// Done now, in `WriteTx`, not yet committed.
    Fresh(WriteTx, T),
}

/// What registering would do (see [`App::check_registration`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationCheck {
    /// The device the form names, with its model, location and warranty.
    pub device: Option<aftersales_domain::customer::Device>,
    pub warranty: Option<aftersales_domain::customer::Warranty>,
    /// `pending` when the caller is not the customer's designated window (seed 004).
    pub window_confirmation: WindowConfirmation,
    /// The name of the customer's window contact, if it has one.
    pub window_contact: Option<String>,
    /// The earlier ticket this would repeat (DOMAIN §5).
    pub repeat_of: Option<RepeatHint>,
}

/// The earlier ticket a new report repeats.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepeatHint {
    pub id: Id,
    pub number: String,
    pub status: Status,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub registered_at: Timestamp,
}

/// A view reads as the ticket it shows.
impl std::ops::Deref for TicketView {
    type Target = Ticket;

    fn deref(&self) -> &Ticket {
        &self.ticket
    }
}

/// Editable registration details (`PATCH /api/v1/tickets/{id}`); absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TicketEdit {
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub kind: Option<Kind>,
    pub category_id: Option<Id>,
    pub fault_code: Option<String>,
    pub description: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub occurred_at: Option<Timestamp>,
    pub impact_scope: Option<String>,
    pub expected_resolution: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub expected_by: Option<Timestamp>,
    pub cooperating_departments: Option<Vec<Department>>,
}

/// Ticket list filters and order. Only these fields are accepted (anything else is a 400
/// naming it); `sort` takes `registered_at`, `updated_at`, `number`, `priority` or
/// `status`, with a leading `-` for descending.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Comma-separated status codes, or `open` for every open state.
    pub status: Option<String>,
    pub priority: Option<String>,
    pub customer_id: Option<Id>,
    /// First- or second-line engineer.
    pub engineer_id: Option<Id>,
    pub group_id: Option<Id>,
    /// The customer's region (地域), e.g. `华东`.
    pub region: Option<String>,
    /// Registered at or after (RFC 3339).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>, format = DateTime))]
    pub created_from: Option<Timestamp>,
    /// Registered before (RFC 3339).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>, format = DateTime))]
    pub created_to: Option<Timestamp>,
    /// `true`: only tickets with a running clock past its due instant.
    pub overdue: Option<bool>,
    /// `true`: overdue now, or a clock already stopped late (响应超时 and the like).
    pub breached: Option<bool>,
    /// Only tickets whose nearest running clock falls due within this many minutes from now
    /// (not yet overdue).
    pub due_within: Option<i64>,
    pub sort: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// A list counts its matches up to this many (issue 18): counting every one of 100,000
/// open tickets would cost more than the page it counts for. `total` is then this limit and
/// `total_exact` false ("1000+"). A thousand is twenty pages of fifty, more than anyone
/// pages through (a narrower filter finds the rest); counting ten thousand cost a
/// millisecond or more of every list request at a million tickets, a tenth of the time a
/// page may take under load.
pub const COUNT_LIMIT: u64 = 1_000;

/// One page of tickets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketPage {
    pub items: Vec<TicketView>,
    /// How many tickets match, counted up to 1,000 (see `total_exact`).
    pub total: u64,
    /// `false`: counting stopped at `total` (1,000), and more tickets match.
    pub total_exact: bool,
    pub page: u64,
    pub per_page: u64,
}

/// The dispatcher's view: the group the category maps to, the best three engineers who
/// pass the hard filters with their reasons, those the filters took out and why, and
/// every engineer who may be chosen by hand (those who pass first, best first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DispatchSuggestion {
    pub group_id: Option<Id>,
    pub candidates: Vec<Candidate>,
    pub top: Vec<Ranked>,
    pub excluded: Vec<Excluded>,
    /// Why nobody passes the filters (none when someone does), in both languages.
    pub why_none_zh: Option<String>,
    pub why_none_en: Option<String>,
}

impl DispatchSuggestion {
    /// The suggestion for `group` from its ranking.
    pub(crate) fn of(group: Option<Id>, r: Ranking) -> DispatchSuggestion {
        let candidates = r
            .ranked
            .iter()
            .map(|x| x.candidate.clone())
            .chain(r.excluded.iter().filter(|x| x.candidate.available).map(|x| x.candidate.clone()))
            .collect();
        DispatchSuggestion {
            group_id: group,
            candidates,
            top: r.top(3).to_vec(),
            why_none_zh: r.why_none(aftersales_domain::Lang::Zh),
            why_none_en: r.why_none(aftersales_domain::Lang::En),
            excluded: r.excluded,
        }
    }
}

async fn current_policy_version<C: Conn>(conn: &C) -> Result<Option<i64>> {
    Ok(policy::current_policy(conn).await?.map(|p| p.version))
}

fn not_engineer() -> Reason {
    Reason::Mismatch { detail_en: "is not an active engineer", detail_zh: "不是在岗的工程师" }
}

/// Ticket as the actor may see it: phone numbers masked for roles with no need (DOMAIN §8).
fn present(actor: &Actor, mut t: Ticket) -> Ticket {
    if !permission::sees_contact_phones(actor.user.role) {
        t.contact_phone = phone::mask(&t.contact_phone);
    }
    t
}

/// Loads a ticket the actor may see; another customer's ticket is "not found".
pub(crate) async fn load_visible<C: Conn>(conn: &C, actor: &Actor, id: Id) -> Result<Ticket> {
    match tickets::by_id(conn, id).await? {
        Some(t) if own_customer(actor).is_none_or(|own| own == t.customer_id) => Ok(t),
        _ => Err(AppError::not_found("ticket", id)),
    }
}

/// The handling group the ticket's category maps to (DOMAIN §2).
async fn category_group<C: Conn>(conn: &C, t: &Ticket) -> Result<Option<Id>> {
    Ok(match t.category_id {
        Some(c) => catalog::category_by_id(conn, c).await?.and_then(|c| c.group_id),
        None => None,
    })
}

/// The region (地域) of the ticket's customer, which dispatch weighs.
async fn customer_region<C: Conn>(conn: &C, t: &Ticket) -> Result<String> {
    Ok(directory::customer_by_id(conn, t.customer_id).await?.map(|c| c.region).unwrap_or_default())
}

/// The engineers of `group` on `lines` through dispatch's hard filters and score
/// (`domain::dispatch::rank`) for ticket `t`: available (an active account, not on leave
/// today; outside working hours, when someone of them is on duty (值班), only those on
/// duty), qualified for the
/// device's model when the organization keeps qualifications for it, first line before
/// second line when both lines are asked; then region, load and deadline slack.
async fn ranking<C: Conn>(
    conn: &C,
    t: &Ticket,
    group: Id,
    lines: &[Line],
    now: Timestamp,
    cal: &Calendar,
) -> Result<Ranking> {
    let roles: Vec<Role> = Role::ALL.iter().copied().filter(|r| r.line().is_some_and(|l| lines.contains(&l))).collect();
    let engineers = users::users(conn, &roles, Some(group), None, 1000, 0).await?;
    let ids: Vec<Id> = engineers.iter().map(|u| u.id).collect();
    let load = tickets::open_load(conn, group, &ids).await?;
    let due = work_orders::nearest_due(conn, &ids).await?;
    let held = qualifications::of_users(conn, &ids).await?;
    let today = now.to_zoned(cal.time_zone().clone()).date();
    let days = visits::days(conn, Some(&ids), today, today).await?;
    let availability: HashMap<Id, Availability> =
        ids.iter().map(|&id| (id, working_calendar::availability_at(cal, &days, id, now))).collect();
    // After hours or on a day off, the engineers on duty take the work when there are any;
    // when nobody is on duty, everyone not on leave stays a candidate (the work waits for
    // the next working hours rather than for nobody).
    let someone_on_duty = availability.values().any(|a| *a == Availability::OnDuty);
    // A model is restricted when some qualification of the organization names it (or its
    // product line); a model nobody is certified for yet is not.
    let model = t.device_model.as_deref().map(str::trim).filter(|m| !m.is_empty());
    let restricted = match model {
        Some(m) => qualifications::scopes(conn).await?.iter().any(|s| qualification::scope_covers(s, m)),
        None => false,
    };
    let need = Need {
        region: customer_region(conn, t).await?,
        qualified_model: model.filter(|_| restricted).map(str::to_owned),
        first_line_first: lines.contains(&Line::First),
        now,
    };
    let candidates = engineers
        .into_iter()
        .filter_map(|u| {
            let unavailable = if !u.active {
                Some(Unavailability::Inactive)
            } else {
                match availability.get(&u.id) {
                    Some(Availability::OnLeave) => Some(Unavailability::OnLeave),
                    Some(Availability::OffHours) if someone_on_duty => Some(Unavailability::OffDuty),
                    _ => None,
                }
            };
            Some(Candidate {
                user_id: u.id,
                line: u.role.line()?,
                open_tickets: load.get(&u.id).copied().unwrap_or(0),
                available: unavailable.is_none(),
                unavailable,
                qualified_for: match model {
                    Some(m) => held
                        .iter()
                        .filter(|q| q.user_id == u.id && q.covers(m, today))
                        .map(|q| q.scope.clone())
                        .collect(),
                    None => Vec::new(),
                },
                nearest_due_at: due.get(&u.id).copied(),
                display_name: u.display_name,
                region: u.region,
            })
        })
        .collect();
    Ok(dispatch::rank(candidates, &need))
}

async fn engineer_on_line<C: Conn>(conn: &C, id: Id, lines: &[Line]) -> Result<()> {
    match users::user_by_id(conn, id).await? {
        Some(u) if u.active && u.role.line().is_some_and(|l| lines.contains(&l)) => Ok(()),
        Some(_) => Err(AppError::invalid("engineer_id", not_engineer())),
        None => Err(AppError::invalid("engineer_id", Reason::Unknown)),
    }
}
