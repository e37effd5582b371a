//! The board of open tickets (nearest deadline first) and the ticket page.

use std::collections::HashMap;

use aftersales_app::directory::Names;
use aftersales_app::tickets::{ListQuery, TicketView};
use aftersales_domain::clock::{ClockState, ClockView};
use aftersales_domain::dispatch::Candidate;
use aftersales_domain::event::{Change, Event};
use aftersales_domain::grading::{ChangeRequestStatus, PriorityChangeRequest};
use aftersales_domain::lifecycle::Step;
use aftersales_domain::notice::Notice;
use aftersales_domain::permission::Action;
use aftersales_domain::role::Role;
use aftersales_domain::ticket::{Channel, GradingDispute, GradingReview, Kind, Status, WindowConfirmation};
use aftersales_domain::worklog::{self, LogEntry, LogKind};
use aftersales_domain::{Id, Lang};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::fees::editor_rows;
use super::layout::Nav;
use super::view::{L, Pager, urgency};
use super::{PageError, Signed, render};
use crate::AppState;

pub async fn home(who: Result<Signed, PageError>) -> Response {
    match who {
        Ok(_) => Redirect::to("/board").into_response(),
        Err(e) => e.into_response(),
    }
}

/// Board filters, as the form sends them (empty fields are "any").
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BoardQuery {
    pub q: String,
    pub status: String,
    pub priority: String,
    pub group_id: String,
    /// An engineer's id, `all`, or empty: everyone's, except that engineers see their own.
    pub engineer_id: String,
    /// The customer's region (地域).
    pub region: String,
    pub overdue: String,
    pub page: Option<u64>,
}

/// One row of the board.
pub struct Row {
    pub t: TicketView,
    /// Judged at registration (seed 003): out of warranty means the customer pays.
    pub warranty: Option<aftersales_domain::customer::Warranty>,
    pub next: Option<ClockView>,
    pub urgency: &'static str,
}

#[derive(Template)]
#[template(path = "board.html")]
struct Board<'a> {
    l: &'a L,
    nav: Option<Nav>,
    f: BoardQuery,
    rows: Vec<Row>,
    names: Names,
    total: u64,
    /// The count stopped at `aftersales_app::tickets::COUNT_LIMIT`: there are at least that many.
    more: bool,
    pager: Pager,
    statuses: Vec<(&'static str, &'static str)>,
    priorities: Vec<String>,
    groups: Vec<(Id, String)>,
    engineers: Vec<(Id, String)>,
    /// The regions customers are in, offered as suggestions for the region filter.
    regions: Vec<String>,
    /// The board shows the reader's own tickets (an engineer's default).
    mine: bool,
}

fn id_param(field: &'static str, v: &str, l: &L) -> Result<Option<Id>, PageError> {
    if v.trim().is_empty() {
        return Ok(None);
    }
    v.trim().parse().map(Some).map_err(|_| {
        let reason = aftersales_domain::error::Reason::Malformed { expected_en: "a number", expected_zh: "数字" };
        PageError::App(aftersales_domain::DomainError::field(field, reason).into(), l.clone())
    })
}

/// The nearest deadline still counting (running, or running and already missed) of a
/// ticket: what the board sorts and colours by.
fn nearest(t: &TicketView) -> Option<ClockView> {
    t.clocks
        .iter()
        .filter(|c| c.due_at.is_some() && matches!(c.state, ClockState::Running | ClockState::Breached))
        .min_by_key(|c| c.due_at)
        .cloned()
}

pub async fn board(State(s): State<AppState>, who: Signed, Query(f): Query<BoardQuery>) -> Result<Response, PageError> {
    if who.actor.is_customer() {
        let q = super::portal::PortalQuery { q: f.q, status: f.status, page: f.page };
        return super::portal::portal(&s, &who, q).await;
    }
    let l = &who.l;
    let app = &s.app;
    let err = |e| PageError::App(e, l.clone());
    // A ticket number in the search box opens that ticket.
    let q = f.q.trim();
    if !q.is_empty() {
        return match app.ticket_by_number(&who.actor, q).await {
            Ok(t) => Ok(Redirect::to(&format!("/tickets/{}", t.id)).into_response()),
            Err(aftersales_app::AppError::NotFound { .. }) => {
                Err(PageError::App(aftersales_app::AppError::NotFound { what: "ticket", id: q.to_owned() }, l.clone()))
            }
            Err(e) => Err(err(e)),
        };
    }
    let group_id = id_param("group_id", &f.group_id, l)?;
    // An engineer's board starts with their own tickets, most urgent first (DOMAIN §1);
    // "all" shows everyone's.
    let mut f = f;
    if f.engineer_id.is_empty() && who.actor.user.role.line().is_some() {
        f.engineer_id = who.actor.id().to_string();
    }
    let engineer_id = if f.engineer_id == "all" { None } else { id_param("engineer_id", &f.engineer_id, l)? };
    let mine = engineer_id == Some(who.actor.id());
    let page = f.page.unwrap_or(1).max(1);
    let lq = ListQuery {
        status: Some(if f.status.is_empty() { "open".into() } else { f.status.clone() }),
        priority: (!f.priority.is_empty()).then(|| f.priority.clone()),
        group_id,
        engineer_id,
        region: (!f.region.trim().is_empty()).then(|| f.region.trim().to_owned()),
        overdue: (f.overdue == "1").then_some(true),
        sort: Some("due".into()),
        page: Some(page),
        per_page: Some(50),
        ..ListQuery::default()
    };
    let list = app.tickets(&who.actor, &lq).await.map_err(err)?;
    let mut user_ids = Vec::new();
    let mut customer_ids = Vec::new();
    for t in &list.items {
        user_ids.extend(t.first_line_id);
        user_ids.extend(t.second_line_id);
        customer_ids.push(t.customer_id);
    }
    let staff = who.actor.user.role != Role::CustomerContact;
    let mut regions = Vec::new();
    let (groups, priorities, engineers) = if staff {
        let groups = app.groups(&who.actor).await.map_err(err)?;
        let priorities = app
            .grading_scheme(&who.actor)
            .await
            .map(|g| g.levels.iter().map(|lv| lv.code.clone()).collect())
            .unwrap_or_default();
        let engineers = engineers(&s, &who).await.unwrap_or_default();
        // The filter matches the customer's region; suggest the regions customers are in.
        regions = app.customer_regions(&who.actor).await.unwrap_or_default();
        (
            groups.into_iter().map(|g| (g.id, if l.lang == Lang::En { g.name_en } else { g.name_zh })).collect(),
            priorities,
            engineers,
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    let names = app.names(&who.actor, &user_ids, &customer_ids).await.map_err(err)?;
    let ids: Vec<Id> = list.items.iter().map(|t| t.id).collect();
    let warranties = app.warranties(&who.actor, &ids).await.map_err(err)?;
    let rows = list
        .items
        .into_iter()
        .map(|t| {
            let next = nearest(&t);
            let urgency = next.as_ref().map_or("idle", urgency);
            let warranty = warranties.get(&t.id).copied();
            Row { t, warranty, next, urgency }
        })
        .collect();
    let more = !list.total_exact;
    let filters = [
        ("status", f.status.as_str()),
        ("priority", &f.priority),
        ("group_id", &f.group_id),
        ("engineer_id", &f.engineer_id),
        ("region", &f.region),
        ("overdue", &f.overdue),
    ];
    let pager = Pager::new("/board", page, list.total, list.per_page, &filters).counted_to_limit(more);
    let statuses = Status::ALL.iter().map(|st| (st.code(), st.label(l.lang))).collect();
    let nav = Some(Nav::of(&s, &who, "board").await);
    let page = Board {
        l,
        nav,
        f,
        rows,
        names,
        total: list.total,
        more,
        pager,
        statuses,
        priorities,
        groups,
        engineers,
        regions,
        mine,
    };
    Ok(render(&page))
}

/// The engineers to filter the board by (their open load is shown where it matters, in the
/// dispatch form of a ticket, computed for the group in one query).
async fn engineers(s: &AppState, who: &Signed) -> Result<Vec<(Id, String)>, aftersales_app::AppError> {
    who.actor.require(Action::ReadUsers)?;
    let roles = [Role::FirstLineEngineer, Role::SecondLineEngineer];
    let people =
        s.app.list_users(&who.actor, &roles, None, aftersales_app::users::Page::new(Some(1), Some(200))?).await?;
    Ok(people.into_iter().filter(|u| u.active).map(|u| (u.id, u.display_name)).collect())
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    t: TicketView,
    names: Names,
    history: Vec<Event>,
    log: Vec<LogEntry>,
    notices: Vec<Notice>,
    repeat_of: Option<(Id, String)>,
    complaint_about: Option<(Id, String)>,
    downgrade: Option<PriorityChangeRequest>,
    /// Names of the groups and categories the history mentions, by (field, id).
    catalog_names: HashMap<(&'static str, Id), String>,
    steps: Vec<Step>,
    log_kinds: Vec<LogKind>,
    levels: Vec<String>,
    candidates: Vec<Candidate>,
    suggested: Option<Id>,
    /// Work orders across departments and the dispatch suggestion's reasons (issue 13).
    field_work: super::work_orders::TicketSection,
    /// The group the dispatch form offers engineers of, and the groups to choose from.
    group: Option<Id>,
    groups: Vec<(Id, String)>,
    staff: bool,
    /// Seed 003: warranty, quote, settlement (`templates/ticket/_fees.html`).
    fees: Option<aftersales_app::fees::FeeScreen>,
    error: Option<String>,
    message: Option<String>,
    /// The visits section (`ticket/_visits.html`).
    vs: super::visits::TicketVisitsSection,
    /// Spare parts: used, requisitions, and the engineer's forms (`templates/ticket/_parts.html`).
    parts: Option<super::parts::TicketParts>,
    /// Photos and files (issue 14, `templates/ticket/_attachments.html`).
    attachments: Option<super::attachments::TicketAttachmentsSection>,
    /// The service report's versions (`templates/ticket/_report.html`, issue 14).
    report: Option<aftersales_app::reports::ReportScreen>,
}

impl TicketPage<'_> {
    fn has(&self, code: &str) -> bool {
        self.steps.iter().any(|s| s.code() == code)
    }

    /// The session's CSRF token, for the step forms.
    fn csrf(&self) -> &str {
        self.nav.as_ref().map_or("", |n| n.csrf.as_str())
    }

    /// The ticket the step forms post to, and the version they send.
    fn ticket_id(&self) -> Id {
        self.t.id
    }

    fn version(&self) -> i64 {
        self.t.version
    }

    fn is_suggested(&self, id: &Id) -> bool {
        self.suggested == Some(*id)
    }

    fn is_group(&self, id: &Id) -> bool {
        self.group == Some(*id)
    }

    /// An event's action in the reader's words.
    fn action_name(&self, e: &Event) -> String {
        aftersales_domain::event::action_label(&e.action, self.l.lang)
    }

    fn field_name(&self, c: &Change) -> String {
        aftersales_domain::event::field_label(&c.field, self.l.lang)
    }

    /// A changed value as a person reads it: names for people, labels for codes, times in
    /// the service time zone, "—" for none.
    fn value(&self, field: &str, v: &serde_json::Value) -> String {
        use serde_json::Value;
        let lang = self.l.lang;
        match v {
            Value::Null => "—".to_owned(),
            Value::Bool(true) => self.l.t("common.yes").to_owned(),
            Value::Bool(false) => self.l.t("common.no").to_owned(),
            Value::Number(n) if USER_FIELDS.contains(&field) => {
                let name = self.names.user(n.as_i64());
                if name.is_empty() { format!("#{n}") } else { name.to_owned() }
            }
            Value::Number(n) if field == "group_id" || field == "category_id" => {
                let key = if field == "group_id" { "group_id" } else { "category_id" };
                n.as_i64().and_then(|id| self.catalog_names.get(&(key, id))).cloned().unwrap_or_else(|| format!("#{n}"))
            }
            Value::String(code) => {
                let label = match field {
                    "status" => Status::from_code(code).map(|x| x.label(lang)),
                    "window_confirmation" => WindowConfirmation::from_code(code).map(|x| x.label(lang)),
                    "grading_review" => GradingReview::from_code(code).map(|x| x.label(lang)),
                    "grading_dispute" => GradingDispute::from_code(code).map(|x| x.label(lang)),
                    "channel" => Channel::from_code(code).map(|x| x.label(lang)),
                    "kind" => Kind::from_code(code).map(|x| x.label(lang)),
                    "visit_status" => aftersales_domain::visit::VisitStatus::from_code(code).map(|x| x.label(lang)),
                    "log_kind" => LogKind::from_code(code).map(|x| x.label(lang)),
                    "notice_kind" => aftersales_domain::notice::NoticeKind::from_code(code).map(|x| x.label(lang)),
                    "file_kind" => aftersales_domain::attachment::FileKind::from_code(code).map(|x| x.label(lang)),
                    "evidence_tag" => {
                        aftersales_domain::attachment::EvidenceTag::from_code(code).map(|x| x.label(lang))
                    }
                    "visibility" => aftersales_domain::audience::Visibility::from_code(code).map(|x| x.label(lang)),
                    _ => None,
                };
                match label {
                    Some(l) => l.to_owned(),
                    None if field.ends_with("_at") || field == "expected_by" => code
                        .parse::<aftersales_domain::Timestamp>()
                        .map(|t| self.l.ts(t))
                        .unwrap_or_else(|_| code.clone()),
                    None => code.clone(),
                }
            }
            // A visit's window or plan (`{start, end}`, `{start, minutes, travel}`) as times.
            Value::Object(o) if field == "visit_window" || field == "visit_planned" => {
                let at = |k: &str| {
                    o.get(k).and_then(Value::as_str).and_then(|s| s.parse::<aftersales_domain::Timestamp>().ok())
                };
                let mut out = at("start").map(|t| self.l.ts(t)).unwrap_or_default();
                if let Some(end) = at("end") {
                    out.push('–');
                    out.push_str(&self.l.hm(end));
                }
                if let Some(m) = o.get("minutes").and_then(Value::as_i64) {
                    out.push_str(" · ");
                    out.push_str(&self.l.mins(m));
                }
                if let Some(m) = o.get("travel").and_then(Value::as_i64) {
                    out.push_str(" · ");
                    out.push_str(self.l.t("visits.travel"));
                    out.push(' ');
                    out.push_str(&self.l.mins(m));
                }
                out
            }
            other => other.to_string(),
        }
    }
}

/// Ticket fields that hold a person's id.
const USER_FIELDS: [&str; 5] = ["first_line_id", "second_line_id", "accepted_by", "registered_by", "visit_engineer"];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    /// The step just taken (after the redirect that follows a form), or `log`.
    done: String,
    /// The group whose engineers the dispatch form offers (default: the category's).
    group: Option<Id>,
}

pub async fn ticket(
    State(s): State<AppState>,
    who: Signed,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let Ok(id) = id.parse::<Id>() else { return Err(PageError::NotFound(who.l.clone())) };
    let l = &who.l;
    if who.actor.is_customer() {
        let message = match q.done.as_str() {
            "log" => Some(l.t("tickets.message_sent").to_owned()),
            // Filled in with the number once the ticket is read.
            "registered" => Some(String::new()),
            done => super::fees::done_message(l, done)
                .or_else(|| super::reports::done_message(l, done))
                .or_else(|| Step::from_code(done).map(|st| super::portal::done_message(l, st))),
        };
        return super::portal::ticket_page(&s, &who, id, message, None, StatusCode::OK).await;
    }
    let message = if q.done == "log" {
        Some(l.t("tickets.work_log_entry_saved").to_owned())
    } else if q.done == "work_order" {
        Some(l.t("workorders.saved").to_owned())
    } else if q.done == "parts" {
        Some(l.t("parts.saved").to_owned())
    } else if q.done == "registered" {
        // The sentence the desk reads to the customer (DOMAIN §1: tells the customer it is
        // accepted), filled in below once the ticket is read.
        Some(String::new())
    } else {
        super::fees::done_message(l, &q.done)
            .or_else(|| super::reports::done_message(l, &q.done))
            .or_else(|| super::attachments::done_message(l, &q.done))
            .or_else(|| Step::from_code(&q.done).map(|st| l.tf("tickets.done_step", &[("step", &st.label(l.lang))])))
    };
    ticket_page(&s, &who, id, message, None, StatusCode::OK, q.group).await
}

/// The ticket page, with the outcome of the step just taken (a message or an error).
pub async fn ticket_page(
    s: &AppState,
    who: &Signed,
    id: Id,
    message: Option<String>,
    error: Option<String>,
    status: StatusCode,
    group: Option<Id>,
) -> Result<Response, PageError> {
    if who.actor.is_customer() {
        return super::portal::ticket_page(s, who, id, message, error, status).await;
    }
    let l = &who.l;
    let app = &s.app;
    let err = |e| PageError::App(e, l.clone());
    let t = app.ticket(&who.actor, id).await.map_err(err)?;
    let history = app.history(&who.actor, id).await.map_err(err)?;
    let log = app.work_log(&who.actor, id).await.map_err(err)?;
    let staff = who.actor.user.role != Role::CustomerContact;
    let notices = if staff {
        let q = aftersales_app::notices::NoticeQuery { ticket_id: Some(id), per_page: Some(100), ..Default::default() };
        app.notices(&who.actor, &q).await.map(|p| p.items).unwrap_or_default()
    } else {
        Vec::new()
    };
    let link = async |other: Option<Id>| match other {
        Some(o) => app.ticket(&who.actor, o).await.ok().map(|x| (x.id, x.number.to_string())),
        None => None,
    };
    // A downgrade waiting for a supervisor (DOMAIN §3) is part of the ticket's state.
    let downgrade = if staff {
        app.priority_change_requests(&who.actor, Some(id), Some(ChangeRequestStatus::Pending))
            .await
            .ok()
            .and_then(|v| v.into_iter().next())
    } else {
        None
    };
    let repeat_of = link(t.repeat_of).await;
    let complaint_about = link(t.complaint_about).await;
    let fees = app.fees(&who.actor, id).await.ok();
    // Chargeable work waits for its quote's approval (the fee section says why), 等待备件
    // for an open requisition: the page offers what `App::act` would take.
    let steps = app.available_steps(&who.actor, &t).await.map_err(err)?;
    let log_kinds: Vec<LogKind> =
        LogKind::ALL.iter().copied().filter(|k| worklog::may_write(who.actor.user.role, *k)).collect();
    let levels = if steps.iter().any(|s| matches!(s, Step::Grade | Step::RuleGradingDispute)) {
        app.grading_scheme(&who.actor)
            .await
            .map(|g| g.levels.into_iter().map(|lv| lv.code).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let (candidates, suggested, group, suggestion) =
        if steps.iter().any(|s| matches!(s, Step::Dispatch | Step::RequestSecondLine)) {
            match app.dispatch_suggestion(&who.actor, id, group).await {
                Ok(d) => {
                    // The best who passes dispatch's hard filters; nobody when none does.
                    let first = d.top.first().map(|r| r.candidate.user_id);
                    (d.candidates.clone(), first, d.group_id, Some(d))
                }
                Err(_) => (Vec::new(), None, None, None),
            }
        } else {
            (Vec::new(), None, None, None)
        };
    let field_work = super::work_orders::ticket_section(s, who, t.id, t.status.is_open(), suggestion).await;
    let groups = if steps.contains(&Step::Dispatch) {
        app.groups(&who.actor)
            .await
            .map(|gs| gs.into_iter().map(|g| (g.id, if l.lang == Lang::En { g.name_en } else { g.name_zh })).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut user_ids: Vec<Id> = history.iter().map(|e| e.actor_id).chain(log.iter().map(|e| e.author_id)).collect();
    // People named in changes (an engineer replaced by a reassignment, say).
    for c in history.iter().flat_map(|e| &e.changes).filter(|c| USER_FIELDS.contains(&c.field.as_str())) {
        user_ids.extend(c.before.as_i64());
        user_ids.extend(c.after.as_i64());
    }
    // Groups and categories named in changes, by name.
    let changed = |field: &str| history.iter().flat_map(|e| &e.changes).any(|c| c.field == field);
    let mut catalog_names = HashMap::new();
    if changed("group_id") {
        for g in app.groups(&who.actor).await.map_err(err)? {
            catalog_names.insert(("group_id", g.id), if l.lang == Lang::En { g.name_en } else { g.name_zh });
        }
    }
    if changed("category_id") {
        for c in app.categories(&who.actor).await.map_err(err)? {
            catalog_names.insert(("category_id", c.id), if l.lang == Lang::En { c.name_en } else { c.name_zh });
        }
    }
    user_ids.extend(t.first_line_id);
    user_ids.extend(t.second_line_id);
    user_ids.push(t.registered_by);
    let names = app.names(&who.actor, &user_ids, &[t.customer_id]).await.map_err(err)?;
    let message = match message {
        Some(m) if m.is_empty() => Some(registered_sentence(l, &t)),
        m => m,
    };
    let engineers: Vec<(Id, String)> = [t.first_line_id, t.second_line_id]
        .into_iter()
        .flatten()
        .map(|e| (e, names.user(Some(e)).to_owned()))
        .collect();
    let vs = super::visits::TicketVisitsSection::of(s, who, id, engineers).await;
    let parts = super::parts::TicketParts::of(s, who, &t.ticket).await;
    let attachments = super::attachments::TicketAttachmentsSection::of(s, who, &t.ticket).await;
    let report = super::reports::section(s, who, id).await;
    let nav = Some(Nav::of(s, who, if staff { "board" } else { "portal" }).await);
    let page = TicketPage {
        vs,
        l,
        nav,
        t,
        names,
        history,
        log,
        notices,
        repeat_of,
        complaint_about,
        downgrade,
        catalog_names,
        steps,
        log_kinds,
        levels,
        candidates,
        suggested,
        field_work,
        group,
        groups,
        staff,
        fees,
        error,
        message,
        parts,
        attachments,
        report,
    };
    Ok((status, render(&page)).into_response())
}

/// What the desk reads to the customer after registering (or the portal shows): the ticket
/// number and when an engineer will be in touch.
fn registered_sentence(l: &L, t: &TicketView) -> String {
    let response =
        t.clocks.iter().find(|c| c.clock == aftersales_domain::clock::ClockKind::Response).and_then(|c| c.due_at);
    match (l.lang, response) {
        (Lang::Zh, Some(due)) => format!("您的报修已登记，工单号 {}。工程师将在 {} 前与您联系。", t.number, l.ts(due)),
        (Lang::Zh, None) => format!("您的报修已登记，工单号 {}。受理后我们会尽快安排工程师与您联系。", t.number),
        (Lang::En, Some(due)) => {
            format!("Your request is registered as {}. An engineer will contact you by {}.", t.number, l.ts(due))
        }
        (Lang::En, None) => {
            format!("Your request is registered as {}. Once it is accepted, an engineer will contact you.", t.number)
        }
    }
}
