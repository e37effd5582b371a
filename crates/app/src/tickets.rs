//! Ticket use cases: register, read, list, edit, every lifecycle step, work log, priority
//! change decisions and the dispatch suggestion.

use aftersales_domain::audience::Visibility;
use aftersales_domain::catalog::Category;
use aftersales_domain::clock::{ClockView, SurveyResult, Warning};
use aftersales_domain::customer_link::LinkPurpose;
use aftersales_domain::dispatch::{self, Candidate};
use aftersales_domain::error::{Field, Reason};
use aftersales_domain::event::{self, Change, Event};
use aftersales_domain::grading::{ChangeRequestStatus, GradeOutcome, PriorityChangeRequest};
use aftersales_domain::lifecycle::Step;
use aftersales_domain::permission::{self, Action, TicketScope};
use aftersales_domain::phone;
use aftersales_domain::registration::{self, Registration};
use aftersales_domain::role::{Line, Role};
use aftersales_domain::ticket::{
    CancelReason, Channel, ClosureMethod, Department, GradingDispute, GradingReview, Kind, Status, Ticket,
    WindowConfirmation,
};
use aftersales_domain::ticket_no::TicketNo;
use aftersales_domain::worklog::{self, LogEntry, LogKind};
use aftersales_domain::{DomainError, Id, Timestamp, repeat};
use aftersales_storage::tickets::{SortKey, TicketFilter};
use aftersales_storage::{Conn, WriteTx, catalog, directory, links, policy, tickets, users};
use serde::{Deserialize, Serialize};

use crate::directory::own_customer;
use crate::users::Page;
use crate::{Actor, App, AppError, Idem, Outcome, Result};

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
    },
}

/// The steps `actor` may offer on `t` now: those the ticket offers in its state
/// ([`Ticket::offers`]), permitted to the role, and, for an engineer's own work, on a ticket
/// assigned to them. What a page shows as buttons; [`App::act`] still checks everything
/// when one is taken.
pub fn available_steps(actor: &Actor, t: &Ticket) -> Vec<Step> {
    let engineer = matches!(actor.user.role, Role::FirstLineEngineer | Role::SecondLineEngineer);
    Step::ALL
        .iter()
        .copied()
        .filter(|s| t.offers(*s))
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

    /// The event name recorded in the history.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Accept => "accept",
            Command::ConfirmWindow => "confirm_window",
            Command::Grade { .. } => "grade",
            Command::ReviewGrading { .. } => "review_grading",
            Command::ObjectToGrading { .. } => "object_to_grading",
            Command::RuleGradingDispute { .. } => "rule_grading_dispute",
            Command::Dispatch { .. } => "dispatch",
            Command::Respond { .. } => "respond",
            Command::Start { .. } => "start",
            Command::WaitForCustomer { .. } => "wait_for_customer",
            Command::WaitForParts { .. } => "wait_for_parts",
            Command::Resume { .. } => "resume",
            Command::RequestSecondLine { .. } => "request_second_line",
            Command::Resolve { .. } => "resolve",
            Command::ConfirmClosure { .. } => "confirm_closure",
            Command::RefuseClosure { .. } => "refuse_closure",
            Command::Reopen { .. } => "reopen",
            Command::Cancel { .. } => "cancel",
            Command::BookVisit { .. } => "book_visit",
            Command::RecordSurvey { .. } => "record_survey",
        }
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

/// A registration after its lookups and checks, before it is stored.
struct Prepared {
    r: Registration,
    customer: aftersales_domain::customer::Customer,
    device: Option<aftersales_domain::customer::Device>,
    category: Option<Category>,
    complaint_about: Option<Id>,
    checked: registration::Checked,
    window_confirmation: WindowConfirmation,
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

/// One page of tickets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketPage {
    pub items: Vec<TicketView>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// The dispatcher's view: the group the category maps to and its engineers, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DispatchSuggestion {
    pub group_id: Option<Id>,
    pub candidates: Vec<Candidate>,
}

async fn current_policy_version<C: Conn>(conn: &C) -> Result<Option<i64>> {
    Ok(policy::current_policy(conn).await?.map(|p| p.version))
}

fn invalid(field: Field, reason: Reason) -> AppError {
    DomainError::field(field, reason).into()
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
async fn load_visible<C: Conn>(conn: &C, actor: &Actor, id: Id) -> Result<Ticket> {
    match tickets::by_id(conn, id).await? {
        Some(t) if own_customer(actor).is_none_or(|own| own == t.customer_id) => Ok(t),
        _ => Err(AppError::not_found("ticket", id)),
    }
}

/// Engineers of `group` on the given lines, with their open load.
async fn candidates<C: Conn>(conn: &C, group: Id, lines: &[Line]) -> Result<Vec<Candidate>> {
    let roles: Vec<Role> = Role::ALL.iter().copied().filter(|r| r.line().is_some_and(|l| lines.contains(&l))).collect();
    let engineers: Vec<_> =
        users::users(conn, &roles, Some(group), None, 1000, 0).await?.into_iter().filter(|u| u.active).collect();
    let ids: Vec<Id> = engineers.iter().map(|u| u.id).collect();
    let load = tickets::open_load(conn, group, &ids).await?;
    Ok(engineers
        .into_iter()
        .filter_map(|u| {
            Some(Candidate {
                user_id: u.id,
                line: u.role.line()?,
                open_tickets: load.get(&u.id).copied().unwrap_or(0),
                display_name: u.display_name,
                region: u.region,
            })
        })
        .collect())
}

async fn engineer_on_line<C: Conn>(conn: &C, id: Id, lines: &[Line]) -> Result<()> {
    match users::user_by_id(conn, id).await? {
        Some(u) if u.active && u.role.line().is_some_and(|l| lines.contains(&l)) => Ok(()),
        Some(_) => Err(invalid("engineer_id", not_engineer())),
        None => Err(invalid("engineer_id", Reason::Unknown)),
    }
}

fn parse_sort(sort: Option<&str>) -> Result<(SortKey, bool)> {
    let Some(s) = sort.map(str::trim).filter(|s| !s.is_empty()) else { return Ok((SortKey::RegisteredAt, true)) };
    let (name, desc) = match s.strip_prefix('-') {
        Some(n) => (n, true),
        None => (s, false),
    };
    let key = match name {
        "registered_at" | "created_at" => SortKey::RegisteredAt,
        "updated_at" => SortKey::UpdatedAt,
        "number" => SortKey::Number,
        "priority" => SortKey::Priority,
        "status" => SortKey::Status,
        "due" => SortKey::Due,
        _ => {
            return Err(invalid(
                "sort",
                Reason::Malformed {
                    expected_en: "one of registered_at, updated_at, number, priority, status, due (prefix - for descending)",
                    expected_zh: "registered_at、updated_at、number、priority、status、due 之一（前加 - 为倒序）",
                },
            ));
        }
    };
    Ok((key, desc))
}

fn parse_statuses(s: Option<&str>) -> Result<Vec<Status>> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim) {
        if part == "open" {
            out.extend(Status::ALL.iter().copied().filter(|s| s.is_open()));
        } else {
            out.push(Status::from_code(part).ok_or_else(|| {
                invalid(
                    "status",
                    Reason::Malformed {
                        expected_en: "status codes such as registered, in_progress, closed, or open",
                        expected_zh: "状态编码，如 registered、in_progress、closed 或 open",
                    },
                )
            })?);
        }
    }
    Ok(out)
}

impl App {
    /// The bounds of `occurred_at` for a problem reported at `reported_at` on `device`: its
    /// purchase date starts in the service time zone.
    fn occurred_bounds(
        &self,
        reported_at: Timestamp,
        horizon_days: Option<i64>,
        device: Option<&aftersales_domain::customer::Device>,
    ) -> registration::OccurredBounds {
        let purchased = device
            .and_then(|d| d.purchase_date)
            .and_then(|day| day.to_zoned(self.settings.time_zone.clone()).ok())
            .map(|z| z.timestamp());
        registration::OccurredBounds { reported_at, horizon_days, purchased }
    }

    /// Looks up and checks a registration without storing it: the customer, contact, device,
    /// category and complained-about ticket it names, the form's rules (registration::check),
    /// and whether the window must confirm it (seed 004). Every problem is reported at once.
    async fn prepare(&self, actor: &Actor, input: &Registration, now: Timestamp) -> Result<Prepared> {
        let mut r = input.clone();
        let is_contact = actor.user.role == Role::CustomerContact;
        if is_contact {
            // A customer registers for their own organization, as themselves.
            let own = actor.user.customer_id;
            if r.customer_id.is_some() && r.customer_id != own {
                return Err(invalid("customer_id", Reason::Unknown));
            }
            r.customer_id = own;
            r.contact_id = actor.user.contact_id.or(r.contact_id);
        }
        // Directory lookups read reference data from the pool, outside the serialized write
        // section; foreign keys still refuse a row that vanished meanwhile.
        let conn = self.store.read();
        let mut problems: Vec<(Field, Reason)> = Vec::new();
        let customer = match r.customer_id {
            Some(id) => {
                let c = directory::customer_by_id(conn, id).await?;
                if c.is_none() {
                    problems.push(("customer_id", Reason::Unknown));
                }
                c
            }
            None => None,
        };
        if let Some(cid) = r.contact_id {
            match directory::contact_by_id(conn, cid).await? {
                Some(k) if k.left && customer.as_ref().is_some_and(|c| c.id == k.customer_id) => problems.push((
                    "contact_id",
                    Reason::Mismatch {
                        detail_en: "has left the customer; take the caller's name and phone instead",
                        detail_zh: "已离职或调岗，请改为填写来电人姓名和电话",
                    },
                )),
                Some(k) if customer.as_ref().is_some_and(|c| c.id == k.customer_id) => {
                    r.contact_name = r.contact_name.filter(|n| !n.trim().is_empty()).or(Some(k.name));
                    r.contact_phone = r.contact_phone.filter(|p| !p.trim().is_empty()).or(Some(k.phone));
                }
                Some(_) if customer.is_some() => problems.push((
                    "contact_id",
                    Reason::Mismatch {
                        detail_en: "is a contact of another customer",
                        detail_zh: "不是该客户单位的联系人",
                    },
                )),
                Some(_) => {}
                None => problems.push(("contact_id", Reason::Unknown)),
            }
        }
        let device = match (r.device_id, r.device_serial.as_deref().map(str::trim).filter(|s| !s.is_empty())) {
            (Some(id), _) => {
                let d = directory::device_by_id(conn, id).await?;
                if d.is_none() {
                    problems.push(("device_id", Reason::Unknown));
                }
                d
            }
            (None, Some(serial)) => {
                let d = directory::device_by_serial(conn, serial).await?;
                if d.is_none() {
                    problems.push(("device_serial", Reason::Unknown));
                }
                d
            }
            (None, None) => None,
        };
        if let (Some(d), Some(c)) = (&device, &customer)
            && d.customer_id != c.id
        {
            let field = if r.device_id.is_some() { "device_id" } else { "device_serial" };
            // A customer contact is not told that the device exists elsewhere.
            problems.push(if is_contact {
                (field, Reason::Unknown)
            } else {
                (
                    field,
                    Reason::Mismatch {
                        detail_en: "belongs to another customer", detail_zh: "不属于该客户单位"
                    },
                )
            });
        }
        let category: Option<Category> = match r.category_id {
            Some(id) => match catalog::category_by_id(conn, id).await? {
                Some(c) if c.active => Some(c),
                _ => {
                    problems.push(("category_id", Reason::Unknown));
                    None
                }
            },
            None => None,
        };
        let complaint_about = match r.complaint_about.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(number) => match tickets::by_number(conn, number).await? {
                Some(t) if customer.as_ref().is_some_and(|c| c.id == t.customer_id) => Some(t.id),
                _ => {
                    problems.push(("complaint_about", Reason::Unknown));
                    None
                }
            },
            None => None,
        };
        let bounds = self.occurred_bounds(now, Some(self.settings.occurred_horizon_days), device.as_ref());
        let checked = match registration::check(&r, &bounds) {
            Ok(c) if problems.is_empty() => c,
            Ok(_) => return Err(DomainError::Invalid(problems).into()),
            Err(DomainError::Invalid(mut more)) => {
                // Report lookups and form problems together, without repeating a field.
                more.retain(|(f, _)| !problems.iter().any(|(p, _)| p == f));
                problems.extend(more);
                return Err(DomainError::Invalid(problems).into());
            }
            Err(e) => return Err(e.into()),
        };
        let Some(customer) = customer else { return Err(invalid("customer_id", Reason::Unknown)) };
        // Seed 004: a request from anyone but the designated window waits for the window.
        let window_confirmation = match customer.window_contact_id {
            Some(w) if r.contact_id != Some(w) => WindowConfirmation::Pending,
            _ => WindowConfirmation::NotNeeded,
        };
        Ok(Prepared { r, customer, device, category, complaint_about, checked, window_confirmation })
    }

    /// The earlier ticket a registration would repeat (DOMAIN §5: same device, same fault code
    /// or category, within the repeat window).
    async fn repeat_of<C: Conn>(&self, conn: &C, p: &Prepared, now: Timestamp) -> Result<Option<Id>> {
        let Some(d) = &p.device else { return Ok(None) };
        let window = self.settings.repeat_window_days;
        let since = now - jiff::SignedDuration::from_hours(24 * window);
        let priors = tickets::priors_for_device(conn, d.id, since).await?;
        Ok(repeat::find(p.checked.fault_code.as_deref(), p.r.category_id, now, window, &priors).map(|p| p.id))
    }

    /// What registering would do, without storing anything (the desk's check before submit):
    /// the form's problems as the usual field errors, else the device found, whether the
    /// caller is the customer's window, and the earlier ticket this would repeat.
    pub async fn check_registration(&self, actor: &Actor, input: &Registration) -> Result<RegistrationCheck> {
        actor.require(Action::RegisterTicket)?;
        let now = self.now();
        let p = self.prepare(actor, input, now).await?;
        let conn = self.store.read();
        let repeat_of = match self.repeat_of(conn, &p, now).await? {
            Some(id) => tickets::by_id(conn, id).await?.map(|t| RepeatHint {
                id: t.id,
                number: t.number.to_string(),
                status: t.status,
                registered_at: t.registered_at,
            }),
            None => None,
        };
        let window_contact = match p.customer.window_contact_id {
            Some(w) => directory::contact_by_id(conn, w).await?.map(|c| c.name),
            None => None,
        };
        let today = now.to_zoned(self.settings.time_zone.clone()).date();
        Ok(RegistrationCheck {
            warranty: p.device.as_ref().map(|d| d.warranty_on(today)),
            device: p.device,
            window_confirmation: p.window_confirmation,
            window_contact,
            repeat_of,
        })
    }

    /// 登记报修: registers a request after the intake checks of seed 000 template 1, and
    /// answers with the staff's view (a customer contact registers with
    /// `App::customer_register`).
    pub async fn register(
        &self,
        actor: &Actor,
        input: &Registration,
        idem: Option<&Idem>,
    ) -> Result<Outcome<TicketView>> {
        actor.require_staff(Action::RegisterTicket)?;
        match self.register_core(actor, input, idem).await? {
            Opened::Replayed { status, body } => Ok(Outcome::Replayed { status, body }),
            Opened::Fresh(tx, t) => {
                let t = self.view_of(present(actor, t)).await?;
                self.commit_with(tx, actor, idem, &t).await?;
                Ok(Outcome::Fresh(t))
            }
        }
    }

    /// Registration up to its commit: the ticket written in the open transaction, or the
    /// answer recorded under the same idempotency key.
    pub(crate) async fn register_core(
        &self,
        actor: &Actor,
        input: &Registration,
        idem: Option<&Idem>,
    ) -> Result<Opened<Ticket>> {
        actor.require(Action::RegisterTicket)?;
        let now = self.now();
        let is_contact = actor.user.role == Role::CustomerContact;
        let p = self.prepare(actor, input, now).await?;
        self.warm().await?;
        let tx = self.store.write().await?;
        if let Some((status, body)) = self.replay(&tx, actor, idem).await? {
            return Ok(Opened::Replayed { status, body });
        }
        // DOMAIN §5 repeat report: same device, same fault code or category, within the window.
        let repeat_of = self.repeat_of(&*tx, &p, now).await?;
        let Prepared { r, customer, device, category, complaint_about, checked, window_confirmation } = p;
        let day = now.to_zoned(self.settings.time_zone.clone()).date();
        let seq = tickets::next_sequence(&*tx, &format!("{:04}{:02}{:02}", day.year(), day.month(), day.day())).await?;
        let mut t = Ticket {
            id: 0,
            number: TicketNo::new(day, seq),
            version: 1,
            customer_id: customer.id,
            contact_id: r.contact_id,
            contact_name: checked.contact_name,
            contact_phone: checked.contact_phone,
            channel: r.channel.unwrap_or(if is_contact { Channel::Portal } else { Channel::Phone }),
            kind: r.kind.unwrap_or(Kind::Fault),
            category_id: category.as_ref().map(|c| c.id),
            device_id: device.as_ref().map(|d| d.id),
            device_model: device.as_ref().map(|d| d.model.clone()).or(checked.device_model),
            device_serial: device.as_ref().map(|d| d.serial.clone()),
            fault_code: checked.fault_code,
            description: checked.description,
            occurred_at: checked.occurred_at,
            impact_scope: checked.impact_scope,
            expected_resolution: checked.expected_resolution,
            expected_by: r.expected_by,
            cooperating_departments: r.cooperating_departments.clone(),
            status: Status::Registered,
            window_confirmation,
            priority: None,
            priority_rank: None,
            grading_reason: None,
            grading_review: GradingReview::NotGraded,
            grading_dispute: GradingDispute::None,
            group_id: category.as_ref().and_then(|c| c.group_id),
            first_line_id: None,
            second_line_id: None,
            repeat_of,
            complaint_about,
            specialist_attention: repeat_of.is_some(),
            registered_at: now,
            registered_by: actor.id(),
            accepted_at: None,
            accepted_by: None,
            dispatched_at: None,
            responded_at: None,
            resolved_at: None,
            resolution: None,
            closed_at: None,
            closure_method: None,
            customer_refusals: 0,
            reopen_count: 0,
            cancel_reason: None,
            cancel_note: None,
            customer_level: None,
            calendar: None,
            policy_version: None,
            visit_at: None,
            survey_result: None,
            surveyed_at: None,
            updated_at: now,
            clocks: Default::default(),
        };
        t.id = tickets::insert(&*tx, &t).await?;
        self.record(&tx, &t, actor, "register", Vec::new(), None).await?;
        if let Some(prior) = repeat_of {
            let earlier = tickets::by_id(&*tx, prior).await?.map(|p| p.number.to_string()).unwrap_or_default();
            let specialist = match customer.specialist_id {
                Some(s) => users::user_by_id(&*tx, s).await?.map(|u| u.display_name),
                None => None,
            };
            let note = match specialist {
                Some(name) => format!("重复报修：与 {earlier} 为同一设备同类故障，已提请项目专员 {name} 处理"),
                None => format!("重复报修：与 {earlier} 为同一设备同类故障，客户未指定项目专员"),
            };
            self.record(&tx, &t, actor, "repeat_flagged", Vec::new(), Some(note)).await?;
            // DOMAIN §5: the project specialist is told at once.
            self.raise(&*tx, &t, &aftersales_domain::notice::on_repeat(&t, &earlier), now).await?;
        }
        Ok(Opened::Fresh(tx, t))
    }

    /// The answer to a change that went stale: the ticket as it now is, in the reader's
    /// projection (a contact never gets the staff's fields in an error either).
    pub(crate) async fn stale(&self, actor: &Actor, t: Ticket) -> AppError {
        let current = if actor.is_customer() {
            match self.project(actor, &t).await {
                Ok(c) => crate::Current::Customer(Box::new(c)),
                Err(e) => return e,
            }
        } else {
            crate::Current::Staff(Box::new(present(actor, t)))
        };
        AppError::Stale { current: Box::new(current) }
    }

    /// The ticket with its clocks as of now.
    pub(crate) async fn view_of(&self, t: Ticket) -> Result<TicketView> {
        let clocks = self.clock_views(&t).await?;
        let clock_warnings = t.clocks.warnings.clone();
        Ok(TicketView { ticket: t, clocks, clock_warnings })
    }

    /// Records one event: the clocks move with it, the ticket row is written (at version
    /// `based_on` + 1) when its fields or clocks changed, and the event joins the history,
    /// all in `tx`. `log` names a work log entry written with the event.
    #[allow(clippy::too_many_arguments)]
    async fn apply_event(
        &self,
        tx: &WriteTx,
        t: &mut Ticket,
        actor: &Actor,
        action: &str,
        mut changes: Vec<Change>,
        note: Option<String>,
        log: Option<LogKind>,
        based_on: i64,
    ) -> Result<Id> {
        let fields_changed = !changes.is_empty();
        if let Some(kind) = log {
            changes.push(Change::added("log_kind", kind.code()));
        }
        let e = self.event(t, actor, action, changes, note);
        let clocks_before = t.clocks.clone();
        self.advance_clocks(&**tx, t, &e).await?;
        if fields_changed || t.clocks != clocks_before {
            self.save(tx, actor, t, based_on).await?;
        }
        let id = tickets::insert_event(&**tx, &e).await?;
        // DOMAIN §5: the moments to watch follow the ticket (a response cancels its
        // reminders, a regrade moves them), in the same transaction.
        let cal = self.calendar(t.calendar.as_deref()).await?;
        self.reschedule(tx, t, &cal).await?;
        Ok(id)
    }

    /// A history entry by `actor` now.
    fn event(&self, t: &Ticket, actor: &Actor, action: &str, changes: Vec<Change>, note: Option<String>) -> Event {
        Event { id: 0, ticket_id: t.id, at: self.now(), actor_id: actor.id(), action: action.into(), changes, note }
    }

    async fn record(
        &self,
        tx: &WriteTx,
        t: &Ticket,
        actor: &Actor,
        action: &str,
        changes: Vec<event::Change>,
        note: Option<String>,
    ) -> Result<()> {
        tickets::insert_event(&**tx, &self.event(t, actor, action, changes, note)).await?;
        Ok(())
    }

    /// The staff's view of a ticket (a customer contact reads `App::customer_ticket`).
    pub async fn ticket(&self, actor: &Actor, id: Id) -> Result<TicketView> {
        actor.require_staff(Action::ReadTicket)?;
        self.warm().await?;
        self.view_of(present(actor, load_visible(self.store.read(), actor, id).await?)).await
    }

    pub async fn ticket_by_number(&self, actor: &Actor, number: &str) -> Result<TicketView> {
        actor.require_staff(Action::ReadTicket)?;
        let t = tickets::by_number(self.store.read(), number).await?;
        match t {
            Some(t) if own_customer(actor).is_none_or(|own| own == t.customer_id) => {
                self.view_of(present(actor, t)).await
            }
            _ => Err(AppError::not_found("ticket", number)),
        }
    }

    pub async fn tickets(&self, actor: &Actor, q: &ListQuery) -> Result<TicketPage> {
        self.tickets_counted(actor, q, None).await
    }

    /// [`App::tickets`] counting at most `count_limit` matches: when `total` equals it, there
    /// may be more (a page shows "10000+" instead of counting every open ticket).
    pub async fn tickets_counted(&self, actor: &Actor, q: &ListQuery, count_limit: Option<u64>) -> Result<TicketPage> {
        actor.require_staff(Action::ReadTicket)?;
        let (items, total, page) = self.list_tickets(actor, q, count_limit).await?;
        let mut views = Vec::with_capacity(items.len());
        for t in items {
            views.push(self.view_of(present(actor, t)).await?);
        }
        Ok(TicketPage { items: views, total, page: page.page, per_page: page.per_page })
    }

    /// The tickets a list asks for, within the reader's scope (a contact's own organization).
    pub(crate) async fn list_tickets(
        &self,
        actor: &Actor,
        q: &ListQuery,
        count_limit: Option<u64>,
    ) -> Result<(Vec<Ticket>, u64, Page)> {
        self.warm().await?;
        let page = Page::new(q.page, q.per_page)?;
        let (sort, descending) = parse_sort(q.sort.as_deref())?;
        let customer_id = match (own_customer(actor), q.customer_id) {
            (Some(own), Some(c)) if own != c => return Ok((Vec::new(), 0, page)),
            (Some(own), _) => Some(own),
            (None, c) => c,
        };
        let now = self.now();
        let (mut due_from, mut due_to) = (None, None);
        if q.overdue == Some(true) {
            due_to = Some(now);
        }
        if let Some(minutes) = q.due_within {
            if !(0..=60 * 24 * 366).contains(&minutes) {
                return Err(invalid(
                    "due_within",
                    Reason::Malformed { expected_en: "0 to 527040 minutes", expected_zh: "0 至 527040 分钟" },
                ));
            }
            due_from = Some(now);
            due_to = Some(now + jiff::SignedDuration::from_mins(minutes));
        }
        let filter = TicketFilter {
            due_from,
            due_to,
            breached_at: (q.breached == Some(true)).then_some(now),
            statuses: parse_statuses(q.status.as_deref())?,
            priority: q.priority.clone().filter(|p| !p.trim().is_empty()),
            customer_id,
            engineer_id: q.engineer_id,
            group_id: q.group_id,
            region: q.region.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned),
            registered_from: q.created_from,
            registered_to: q.created_to,
            sort,
            descending,
            limit: page.limit(),
            offset: page.offset(),
            count_limit,
        };
        let (items, total) = tickets::list(self.store.read(), &filter).await?;
        Ok((items, total, page))
    }

    /// Every change with who, when and before → after (staff; a contact reads the
    /// milestones of `App::customer_timeline`).
    pub async fn history(&self, actor: &Actor, id: Id) -> Result<Vec<Event>> {
        actor.require_staff(Action::ReadTicket)?;
        let t = load_visible(self.store.read(), actor, id).await?;
        let mut events = tickets::events(self.store.read(), t.id).await?;
        // The history shows phone numbers only to those who see them on the ticket.
        if !permission::sees_contact_phones(actor.user.role) {
            for c in events.iter_mut().flat_map(|e| e.changes.iter_mut()).filter(|c| c.field == "contact_phone") {
                for v in [&mut c.before, &mut c.after] {
                    if let Some(p) = v.as_str() {
                        *v = serde_json::Value::String(phone::mask(p));
                    }
                }
            }
        }
        Ok(events)
    }

    /// The whole work log, internal entries included (staff; a contact reads
    /// `App::customer_work_log`).
    pub async fn work_log(&self, actor: &Actor, id: Id) -> Result<Vec<LogEntry>> {
        actor.require_staff(Action::ReadTicket)?;
        let t = load_visible(self.store.read(), actor, id).await?;
        Ok(tickets::logs(self.store.read(), t.id).await?)
    }

    /// Adds a work log entry for its audience (`visibility`: the writer's choice where the
    /// kind allows one, DOMAIN §8). Appending does not change the ticket, so it needs no version.
    pub async fn add_log(
        &self,
        actor: &Actor,
        id: Id,
        kind: LogKind,
        body: &str,
        visibility: Option<Visibility>,
        idem: Option<&Idem>,
    ) -> Result<Outcome<LogEntry>> {
        actor.require(Action::AddLogEntry)?;
        if !worklog::may_write(actor.user.role, kind) {
            return Err(DomainError::Forbidden { role: actor.user.role, action: Action::AddLogEntry }.into());
        }
        let visibility = kind.visibility(visibility)?;
        let body = worklog::check_body(body)?;
        self.warm().await?;
        let tx = self.store.write().await?;
        if let Some((status, body)) = self.replay(&tx, actor, idem).await? {
            return Ok(Outcome::Replayed { status, body });
        }
        let mut t = load_visible(&*tx, actor, id).await?;
        if actor.user.role.line().is_some() && worklog::needs_assignment(kind) && !t.is_assigned_to(actor.id()) {
            return Err(DomainError::conflict(
                "not_assigned",
                "Only the engineer assigned to this ticket may record this",
                "只有本工单的处理工程师可以记录此项",
            )
            .into());
        }
        let mut entry =
            LogEntry { id: 0, ticket_id: t.id, kind, body, author_id: actor.id(), at: self.now(), visibility };
        entry.id = tickets::insert_log(&*tx, &entry).await?;
        // A plan, an arrival on site, a report or a progress message stops or moves a clock.
        let based_on = t.version;
        self.apply_event(&tx, &mut t, actor, "log_added", Vec::new(), None, Some(kind), based_on).await?;
        if kind == LogKind::Progress {
            // The customer hears it (DOMAIN §5: not closed the same day → progress and plan).
            self.raise(&*tx, &t, &aftersales_domain::notice::on_progress(&t, entry.id, &entry.body), self.now())
                .await?;
        }
        self.commit_with(tx, actor, idem, &entry).await?;
        Ok(Outcome::Fresh(entry))
    }

    /// Edits registration details of an open ticket, based on version `based_on`.
    pub async fn edit_ticket(
        &self,
        actor: &Actor,
        id: Id,
        based_on: Option<i64>,
        edit: &TicketEdit,
    ) -> Result<TicketView> {
        actor.require(Action::EditTicket)?;
        let based_on = based_on.ok_or(AppError::PreconditionRequired)?;
        self.warm().await?;
        let tx = self.store.write().await?;
        let mut t = load_visible(&*tx, actor, id).await?;
        if t.version != based_on {
            return Err(self.stale(actor, t).await);
        }
        if !t.status.is_open() {
            return Err(DomainError::conflict(
                "not_editable",
                format!(
                    "A {} ticket's registration can no longer be edited",
                    t.status.label(aftersales_domain::Lang::En).to_lowercase()
                ),
                format!(
                    "工单已{}，不能再修改登记信息",
                    t.status.label(aftersales_domain::Lang::Zh).trim_start_matches('已')
                ),
            )
            .into());
        }
        let before = t.clone();
        // Re-run the intake checks on the edited registration so an edit cannot make it vague or incomplete.
        let as_registration = Registration {
            customer_id: Some(t.customer_id),
            contact_name: Some(edit.contact_name.clone().unwrap_or_else(|| t.contact_name.clone())),
            contact_phone: Some(edit.contact_phone.clone().unwrap_or_else(|| t.contact_phone.clone())),
            kind: Some(edit.kind.unwrap_or(t.kind)),
            fault_code: edit.fault_code.clone().or_else(|| t.fault_code.clone()),
            description: Some(edit.description.clone().unwrap_or_else(|| t.description.clone())),
            occurred_at: Some(edit.occurred_at.unwrap_or(t.occurred_at)),
            impact_scope: Some(edit.impact_scope.clone().unwrap_or_else(|| t.impact_scope.clone())),
            expected_resolution: edit.expected_resolution.clone().or_else(|| t.expected_resolution.clone()),
            expected_by: edit.expected_by.or(t.expected_by),
            complaint_about: t.complaint_about.map(|c| c.to_string()),
            ..Registration::default()
        };
        // A new time of occurrence is checked against the registration it belongs to and the
        // device; a kept one is left as registered.
        let bounds = match edit.occurred_at {
            Some(_) => {
                let device = match t.device_id {
                    Some(d) => directory::device_by_id(&*tx, d).await?,
                    None => None,
                };
                self.occurred_bounds(t.registered_at, Some(self.settings.occurred_horizon_days), device.as_ref())
            }
            None => self.occurred_bounds(self.now(), None, None),
        };
        let checked = registration::check(&as_registration, &bounds)?;
        if let Some(cat) = edit.category_id {
            match catalog::category_by_id(&*tx, cat).await? {
                Some(c) if c.active => {
                    t.category_id = Some(c.id);
                    if t.first_line_id.is_none() {
                        t.group_id = c.group_id.or(t.group_id);
                    }
                }
                _ => return Err(invalid("category_id", Reason::Unknown)),
            }
        }
        t.contact_name = checked.contact_name;
        t.contact_phone = checked.contact_phone;
        t.kind = as_registration.kind.unwrap_or(t.kind);
        t.fault_code = checked.fault_code;
        t.description = checked.description;
        t.occurred_at = checked.occurred_at;
        t.impact_scope = checked.impact_scope;
        t.expected_resolution = checked.expected_resolution;
        t.expected_by = as_registration.expected_by;
        if let Some(d) = &edit.cooperating_departments {
            t.cooperating_departments = d.clone();
        }
        let changes = event::diff(&before, &t);
        if changes.is_empty() {
            return self.view_of(present(actor, t)).await;
        }
        self.apply_event(&tx, &mut t, actor, "edit", changes, None, None, based_on).await?;
        tx.commit().await?;
        self.view_of(present(actor, t)).await
    }

    /// Bumps the version and writes the ticket if it is still at `based_on`.
    async fn save(&self, tx: &WriteTx, actor: &Actor, t: &mut Ticket, based_on: i64) -> Result<()> {
        t.version = based_on + 1;
        t.updated_at = self.now();
        if tickets::update(&**tx, t, based_on).await? {
            Ok(())
        } else {
            let current = tickets::by_id(&**tx, t.id).await?.ok_or_else(|| AppError::not_found("ticket", t.id))?;
            Err(self.stale(actor, current).await)
        }
    }

    /// Takes one lifecycle step on a ticket, based on version `based_on` (If-Match), and
    /// answers with the staff's view (a customer contact acts with `App::customer_act`).
    pub async fn act(
        &self,
        actor: &Actor,
        id: Id,
        based_on: Option<i64>,
        cmd: &Command,
        idem: Option<&Idem>,
    ) -> Result<Outcome<StepOutcome>> {
        actor.require_staff(cmd.action())?;
        match self.act_core(actor, id, based_on, cmd, idem).await? {
            Opened::Replayed { status, body } => Ok(Outcome::Replayed { status, body }),
            Opened::Fresh(tx, (t, request)) => {
                let outcome =
                    StepOutcome { ticket: self.view_of(present(actor, t)).await?, priority_change_request: request };
                self.commit_with(tx, actor, idem, &outcome).await?;
                Ok(Outcome::Fresh(outcome))
            }
        }
    }

    /// A step up to its commit: the ticket as the step left it in the open transaction (and
    /// the downgrade request it created), or the answer recorded under the same key.
    pub(crate) async fn act_core(
        &self,
        actor: &Actor,
        id: Id,
        based_on: Option<i64>,
        cmd: &Command,
        idem: Option<&Idem>,
    ) -> Result<Opened<(Ticket, Option<PriorityChangeRequest>)>> {
        actor.require(cmd.action())?;
        let based_on = based_on.ok_or(AppError::PreconditionRequired)?;
        self.warm().await?;
        let tx = self.store.write().await?;
        if let Some((status, body)) = self.replay(&tx, actor, idem).await? {
            return Ok(Opened::Replayed { status, body });
        }
        let t = load_visible(&*tx, actor, id).await?;
        let (tx, done) = self.step_in(tx, actor, t, based_on, cmd).await?;
        Ok(Opened::Fresh(tx, done))
    }

    /// One step on `t` (as read in `tx`) by `actor`, based on version `based_on`: the rules,
    /// the event, the clocks, the notices and the log entry, all in `tx`, not committed.
    pub(crate) async fn step_in(
        &self,
        tx: WriteTx,
        actor: &Actor,
        mut t: Ticket,
        based_on: i64,
        cmd: &Command,
    ) -> Result<(WriteTx, (Ticket, Option<PriorityChangeRequest>))> {
        let action = cmd.action();
        actor.require(action)?;
        if permission::scope(actor.user.role, action) == TicketScope::Assigned && !t.is_assigned_to(actor.id()) {
            return Err(DomainError::conflict(
                "not_assigned",
                "Only the engineer assigned to this ticket may do this",
                "只有本工单的处理工程师可以执行此操作",
            )
            .into());
        }
        if t.version != based_on {
            return Err(self.stale(actor, t).await);
        }
        let now = self.now();
        let before = t.clone();
        let mut note: Option<String> = None;
        let mut request: Option<PriorityChangeRequest> = None;
        let mut log: Option<(LogKind, String)> = None;
        let text = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        match cmd {
            Command::Accept => {
                t.accept(actor.id(), now)?;
                // DOMAIN §3/§4: the customer level and calendar the clocks run under, and
                // the policy version in force, are fixed on the ticket from here.
                let customer = directory::customer_by_id(&*tx, t.customer_id)
                    .await?
                    .ok_or_else(|| AppError::not_found("customer", t.customer_id))?;
                t.calendar = Some(self.calendar_name_for(&customer).await?);
                t.customer_level = Some(customer.level);
                t.policy_version = current_policy_version(&*tx).await?;
            }
            Command::ConfirmWindow => {
                if actor.user.role == Role::CustomerContact {
                    let c = directory::customer_by_id(&*tx, t.customer_id).await?;
                    if c.and_then(|c| c.window_contact_id).is_none_or(|w| actor.user.contact_id != Some(w)) {
                        return Err(DomainError::conflict(
                            "not_the_window",
                            "Only the customer's designated window contact can confirm this request",
                            "只有客户指定的窗口联系人可以确认该报修",
                        )
                        .into());
                    }
                }
                t.confirm_window()?;
            }
            Command::Grade { level, reason } => {
                let scheme = catalog::grading_scheme(&*tx).await?;
                let lvl = scheme.level(level.trim()).ok_or_else(|| invalid("level", Reason::Unknown))?;
                match t.grade(lvl, reason, actor.user.role)? {
                    GradeOutcome::Applied => {
                        note = Some(reason.trim().to_owned());
                        t.policy_version = current_policy_version(&*tx).await?;
                    }
                    GradeOutcome::NeedsApproval => {
                        let pending =
                            tickets::change_requests(&*tx, Some(t.id), Some(ChangeRequestStatus::Pending)).await?;
                        if !pending.is_empty() {
                            return Err(DomainError::conflict(
                                "change_pending",
                                "A priority downgrade for this ticket already awaits a supervisor",
                                "该工单已有降级申请等待服务主管审批",
                            )
                            .into());
                        }
                        let mut q = PriorityChangeRequest {
                            id: 0,
                            ticket_id: t.id,
                            from_level: t.priority.clone(),
                            to_level: lvl.code.clone(),
                            reason: reason.trim().to_owned(),
                            requested_by: actor.id(),
                            requested_at: now,
                            status: ChangeRequestStatus::Pending,
                            decided_by: None,
                            decided_at: None,
                            decision_note: None,
                        };
                        q.id = tickets::insert_change_request(&*tx, &q).await?;
                        note = Some(format!(
                            "{} → {}：{}",
                            q.from_level.clone().unwrap_or_default(),
                            q.to_level,
                            q.reason
                        ));
                        request = Some(q);
                    }
                }
            }
            Command::ReviewGrading { approve, note: n } => {
                t.review_grading(*approve)?;
                note = text(n);
            }
            Command::ObjectToGrading { reason } => {
                t.object_to_grading(reason)?;
                note = Some(reason.trim().to_owned());
            }
            Command::RuleGradingDispute { level, reason } => {
                let scheme = catalog::grading_scheme(&*tx).await?;
                let lvl = scheme.level(level.trim()).ok_or_else(|| invalid("level", Reason::Unknown))?;
                t.rule_grading_dispute(lvl, reason)?;
                if t.priority != before.priority {
                    t.policy_version = current_policy_version(&*tx).await?;
                }
                note = Some(reason.trim().to_owned());
            }
            Command::Dispatch { group_id, engineer_id } => {
                t.check(aftersales_domain::lifecycle::Step::Dispatch)?;
                let category_group = match t.category_id {
                    Some(c) => catalog::category_by_id(&*tx, c).await?.and_then(|c| c.group_id),
                    None => None,
                };
                // Without a group from the request or the category, a named engineer's own group is meant.
                let engineer_group = match engineer_id {
                    Some(e) => users::user_by_id(&*tx, *e).await?.and_then(|u| u.group_id),
                    None => None,
                };
                let group = group_id
                    .or(category_group)
                    .or(t.group_id)
                    .or(engineer_group)
                    .ok_or_else(|| invalid("group_id", Reason::Missing))?;
                if !catalog::groups(&*tx).await?.iter().any(|g| g.id == group) {
                    return Err(invalid("group_id", Reason::Unknown));
                }
                let engineer = match engineer_id {
                    Some(e) => {
                        engineer_on_line(&*tx, *e, &[Line::First, Line::Second]).await?;
                        *e
                    }
                    None => {
                        let region =
                            directory::customer_by_id(&*tx, t.customer_id).await?.map(|c| c.region).unwrap_or_default();
                        let all = candidates(&*tx, group, &[Line::First, Line::Second]).await?;
                        dispatch::suggest(all, &region).map(|c| c.user_id).ok_or_else(|| {
                            DomainError::conflict(
                                "no_engineer",
                                "No active engineer in this group; choose one by hand",
                                "该处理组没有在岗工程师，请手动指定",
                            )
                        })?
                    }
                };
                t.dispatch(group, engineer, now)?;
            }
            Command::Respond { note: n } => {
                t.respond(now)?;
                log = text(n).map(|b| (LogKind::Contact, b));
            }
            Command::Start { plan } => {
                t.start()?;
                log = text(plan).map(|b| (LogKind::Plan, b));
            }
            Command::WaitForCustomer { note: n } => {
                t.wait_for_customer()?;
                note = text(n);
            }
            Command::WaitForParts { note: n } => {
                t.wait_for_parts()?;
                note = text(n);
            }
            Command::Resume { note: n } => {
                t.resume()?;
                note = text(n);
            }
            Command::RequestSecondLine { engineer_id, reason } => {
                t.check(aftersales_domain::lifecycle::Step::RequestSecondLine)?;
                let reason = worklog::check_body(reason).map_err(|_| invalid("reason", Reason::Missing))?;
                let engineer = match engineer_id {
                    Some(e) => {
                        engineer_on_line(&*tx, *e, &[Line::Second]).await?;
                        *e
                    }
                    None => {
                        let group = t.group_id.ok_or_else(|| invalid("engineer_id", Reason::Missing))?;
                        let region =
                            directory::customer_by_id(&*tx, t.customer_id).await?.map(|c| c.region).unwrap_or_default();
                        let all = candidates(&*tx, group, &[Line::Second]).await?;
                        dispatch::suggest(all, &region).map(|c| c.user_id).ok_or_else(|| {
                            DomainError::conflict(
                                "no_engineer",
                                "No active second-line engineer in this group; choose one by hand",
                                "该处理组没有在岗的二线工程师，请手动指定",
                            )
                        })?
                    }
                };
                t.request_second_line(engineer)?;
                note = Some(reason);
            }
            Command::Resolve { resolution } => t.resolve(resolution, now)?,
            Command::ConfirmClosure { method } => {
                let method = aftersales_domain::lifecycle::closure_method(actor.user.role, *method)?;
                t.confirm_closure(method, now)?;
            }
            Command::RefuseClosure { reason } => {
                t.refuse_closure(reason)?;
                note = Some(reason.trim().to_owned());
            }
            Command::Reopen { reason } => {
                t.reopen(reason)?;
                note = Some(reason.trim().to_owned());
            }
            Command::Cancel { reason, note: n } => {
                t.cancel(*reason, n.as_deref())?;
                note = text(n);
            }
            Command::BookVisit { at, note: n } => {
                t.book_visit(*at, now)?;
                note = text(n);
            }
            Command::RecordSurvey { result, note: n } => {
                // DOMAIN §5: a dissatisfied answer reopens the ticket (`Ticket::record_survey`).
                t.record_survey(*result, now)?;
                note = text(n);
            }
        }
        let changes = event::diff(&before, &t);
        let action_name = if request.is_some() { "priority_change_requested" } else { cmd.name() };
        let log_kind = log.as_ref().map(|(k, _)| *k);
        let event_id = self.apply_event(&tx, &mut t, actor, action_name, changes, note, log_kind, based_on).await?;
        self.raise_for_step(&tx, cmd.step(), &before, &t, event_id).await?;
        // A link in an earlier mail must not act on the ticket once it moved on (DOMAIN §8:
        // links are revocable): closing, refusing or reopening withdraws the closure links,
        // a survey answered withdraws the survey links.
        if t.status != before.status && before.status == Status::Resolved {
            links::revoke(&*tx, Some(t.id), None, Some(LinkPurpose::Closure), now).await?;
        }
        let surveyed = t.survey_result.is_some() && before.survey_result.is_none();
        if surveyed || (t.status != before.status && before.status == Status::Closed) {
            links::revoke(&*tx, Some(t.id), None, Some(LinkPurpose::Survey), now).await?;
        }
        if let Some((kind, body)) = log {
            let visibility = kind.default_visibility();
            let entry = LogEntry { id: 0, ticket_id: t.id, kind, body, author_id: actor.id(), at: now, visibility };
            tickets::insert_log(&*tx, &entry).await?;
        }
        Ok((tx, (t, request)))
    }

    /// Downgrade requests, optionally of one ticket or one status (supervisors' queue).
    pub async fn priority_change_requests(
        &self,
        actor: &Actor,
        ticket: Option<Id>,
        status: Option<ChangeRequestStatus>,
    ) -> Result<Vec<PriorityChangeRequest>> {
        actor.require(Action::ReadTicket)?;
        if own_customer(actor).is_some() {
            return Err(DomainError::Forbidden { role: actor.user.role, action: Action::DecidePriorityChange }.into());
        }
        Ok(tickets::change_requests(self.store.read(), ticket, status).await?)
    }

    /// The latest decided downgrade requests, newest first (the supervisor's record).
    pub async fn recent_priority_decisions(&self, actor: &Actor, limit: u64) -> Result<Vec<PriorityChangeRequest>> {
        actor.require(Action::ReadTicket)?;
        if own_customer(actor).is_some() {
            return Err(DomainError::Forbidden { role: actor.user.role, action: Action::DecidePriorityChange }.into());
        }
        Ok(tickets::decided_change_requests(self.store.read(), limit.min(500)).await?)
    }

    /// Several tickets at once, as the reader may see them (unknown or invisible ones are
    /// left out): for lists that name tickets, without a query per row.
    pub async fn tickets_by_ids(&self, actor: &Actor, ids: &[Id]) -> Result<Vec<Ticket>> {
        actor.require_staff(Action::ReadTicket)?;
        let own = own_customer(actor);
        Ok(tickets::by_ids(self.store.read(), ids)
            .await?
            .into_iter()
            .filter(|t| own.is_none_or(|c| c == t.customer_id))
            .map(|t| present(actor, t))
            .collect())
    }

    /// A supervisor approves (the lower level applies) or rejects a downgrade request.
    pub async fn decide_priority_change(
        &self,
        actor: &Actor,
        request_id: Id,
        approve: bool,
        note: Option<&str>,
    ) -> Result<StepOutcome> {
        actor.require(Action::DecidePriorityChange)?;
        self.warm().await?;
        let tx = self.store.write().await?;
        let mut q = tickets::change_request_by_id(&*tx, request_id)
            .await?
            .ok_or_else(|| AppError::not_found("priority change request", request_id))?;
        if q.status != ChangeRequestStatus::Pending {
            return Err(DomainError::conflict(
                "already_decided",
                format!("This request was already {}", q.status.label(aftersales_domain::Lang::En).to_lowercase()),
                format!("该申请已{}", q.status.label(aftersales_domain::Lang::Zh).trim_start_matches('已')),
            )
            .into());
        }
        // A rejection tells the requester why (the ticket keeps its level against their
        // judgement); an approval may stand without a note.
        if !approve && note.is_none_or(|n| n.trim().is_empty()) {
            return Err(invalid("note", Reason::Missing));
        }
        let mut t = load_visible(&*tx, actor, q.ticket_id).await?;
        let before = t.clone();
        if approve {
            let scheme = catalog::grading_scheme(&*tx).await?;
            let lvl = scheme.level(&q.to_level).ok_or_else(|| invalid("level", Reason::Unknown))?;
            t.apply_approved_downgrade(lvl, &q.reason)?;
            t.policy_version = current_policy_version(&*tx).await?;
        }
        let now = self.now();
        q.status = if approve { ChangeRequestStatus::Approved } else { ChangeRequestStatus::Rejected };
        q.decided_by = Some(actor.id());
        q.decided_at = Some(now);
        q.decision_note = note.map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
        tickets::decide_change_request(&*tx, &q).await?;
        let changes = event::diff(&before, &t);
        let based_on = t.version;
        let action = if approve { "priority_change_approved" } else { "priority_change_rejected" };
        self.apply_event(&tx, &mut t, actor, action, changes, q.decision_note.clone(), None, based_on).await?;
        tx.commit().await?;
        Ok(StepOutcome { ticket: self.view_of(present(actor, t)).await?, priority_change_request: Some(q) })
    }

    /// The dispatcher's suggestion for a ticket: its group and that group's engineers, best first.
    pub async fn dispatch_suggestion(&self, actor: &Actor, id: Id, group: Option<Id>) -> Result<DispatchSuggestion> {
        actor.require(Action::DispatchTicket)?;
        let conn = self.store.read();
        let t = load_visible(conn, actor, id).await?;
        if let Some(g) = group
            && !catalog::groups(conn).await?.iter().any(|x| x.id == g)
        {
            return Err(invalid("group_id", Reason::Unknown));
        }
        let category_group = match t.category_id {
            Some(c) => catalog::category_by_id(conn, c).await?.and_then(|c| c.group_id),
            None => None,
        };
        let Some(group) = group.or(category_group).or(t.group_id) else {
            return Ok(DispatchSuggestion { group_id: None, candidates: Vec::new() });
        };
        let region = directory::customer_by_id(conn, t.customer_id).await?.map(|c| c.region).unwrap_or_default();
        let mut all = candidates(conn, group, &[Line::First, Line::Second]).await?;
        dispatch::rank(&mut all, &region);
        Ok(DispatchSuggestion { group_id: Some(group), candidates: all })
    }
}
