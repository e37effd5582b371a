//! Work orders across departments in the console (seed 002): the ticket page's section
//! (who stays responsible, the work orders with their progress, the form that opens one, and
//! the dispatcher's suggestion with its reasons), and the owner's list 我的协作工单. Every
//! form goes through the same `app` use case as the API.

use aftersales_app::tickets::DispatchSuggestion;
use aftersales_app::work_orders::{StatusChange, TicketWorkOrders, WorkOrderView};
use aftersales_domain::Id;
use aftersales_domain::permission::{Action, allows};
use aftersales_domain::role::Role;
use aftersales_domain::work_order::{Department, WorkOrderInput, WorkOrderStatus};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::layout::Nav;
use super::tickets::ticket_page;
use super::view::L;
use super::{PageError, Posted, Signed, render};
use crate::AppState;

/// The ticket page's section of this module (staff only).
pub struct TicketSection {
    pub orders: Option<TicketWorkOrders>,
    pub departments: Vec<Department>,
    /// Staff who may own a work order: (id, name).
    pub people: Vec<(Id, String)>,
    pub may_open: bool,
    pub suggestion: Option<DispatchSuggestion>,
}

impl TicketSection {
    pub fn empty() -> TicketSection {
        TicketSection { orders: None, departments: Vec::new(), people: Vec::new(), may_open: false, suggestion: None }
    }

    /// A department's name in the reader's language.
    pub fn department(&self, l: &L, code: &str) -> String {
        Department::name_in(&self.departments, code, l.lang)
    }
}

/// What the ticket page shows of work orders and the dispatch suggestion for `ticket`.
pub async fn ticket_section(
    s: &AppState,
    who: &Signed,
    ticket: Id,
    ticket_open: bool,
    suggestion: Option<DispatchSuggestion>,
) -> TicketSection {
    let actor = &who.actor;
    if actor.is_customer() {
        return TicketSection::empty();
    }
    // The section is a part of the page: the page renders even when it cannot be read.
    let orders = s.app.ticket_work_orders(actor, ticket).await.ok();
    let may_open = ticket_open && allows(actor.user.role, Action::ManageWorkOrders);
    let departments = s.app.departments(actor).await.unwrap_or_default();
    let people = if may_open { staff(s, who).await } else { Vec::new() };
    TicketSection { orders, departments, people, may_open, suggestion }
}

async fn staff(s: &AppState, who: &Signed) -> Vec<(Id, String)> {
    let roles: Vec<Role> = Role::ALL.iter().copied().filter(|r| r.is_staff()).collect();
    let page = aftersales_app::users::Page { page: 1, per_page: 500 };
    s.app
        .list_users(&who.actor, &roles, None, page)
        .await
        .map(|us| us.into_iter().filter(|u| u.active).map(|u| (u.id, u.display_name)).collect())
        .unwrap_or_default()
}

/// The form that opens a work order.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OpenForm {
    department: String,
    owner_id: String,
    needed: String,
    resources: String,
    deadline: String,
}

/// A form field that is not of its kind, named as the API names it.
fn malformed(l: &L, field: &str, value: &str) -> String {
    l.tf("actions.malformed_field", &[("field", &field), ("value", &value)])
}

pub async fn open(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form: f }: Posted<OpenForm>,
) -> Result<Response, PageError> {
    let l = &who.l;
    let owner_id = match f.owner_id.trim() {
        "" => None,
        v => match v.parse::<Id>() {
            Ok(n) => Some(n),
            Err(_) => {
                let e = malformed(l, "owner_id", v);
                return ticket_page(&s, &who, id, None, Some(e), StatusCode::UNPROCESSABLE_ENTITY, None).await;
            }
        },
    };
    let deadline = match f.deadline.trim() {
        "" => None,
        v => match super::view::datetime_local(v, &s.app.settings().time_zone) {
            Some(t) => Some(t),
            None => {
                let e = malformed(l, "deadline", v);
                return ticket_page(&s, &who, id, None, Some(e), StatusCode::UNPROCESSABLE_ENTITY, None).await;
            }
        },
    };
    let input =
        WorkOrderInput { department: f.department, owner_id, needed: f.needed, resources: vec![f.resources], deadline };
    match s.app.open_work_order(&who.actor, id, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/tickets/{id}?done=work_order#work-orders")).into_response()),
        Err(e) => refused(&s, &who, e, Back::Ticket(id)).await,
    }
}

/// Where a work order form goes back to.
#[derive(Debug, Clone, Copy)]
enum Back {
    Ticket(Id),
    Mine,
}

impl Back {
    fn of(back: &str, ticket: Id) -> Back {
        if back == "mine" { Back::Mine } else { Back::Ticket(ticket) }
    }

    fn done(self) -> String {
        match self {
            Back::Ticket(id) => format!("/tickets/{id}?done=work_order#work-orders"),
            Back::Mine => "/work-orders?done=1".to_owned(),
        }
    }
}

/// The page again with the refusal (a forbidden or unknown record is an error page).
async fn refused(s: &AppState, who: &Signed, e: aftersales_app::AppError, back: Back) -> Result<Response, PageError> {
    let status = crate::error::status_of(&e);
    if status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND {
        return Err(PageError::App(e, who.l.clone()));
    }
    let msg = e.message(who.l.lang);
    match back {
        Back::Ticket(id) => ticket_page(s, who, id, None, Some(msg), status, None).await,
        Back::Mine => mine_page(s, who, None, Some(msg), status).await,
    }
}

/// A day's progress, from the ticket page or the owner's list.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProgressForm {
    body: String,
    back: String,
    ticket: String,
}

pub async fn progress(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form: f }: Posted<ProgressForm>,
) -> Result<Response, PageError> {
    let back = Back::of(&f.back, f.ticket.parse().unwrap_or(0));
    match s.app.add_work_order_progress(&who.actor, id, &f.body).await {
        Ok(w) => Ok(Redirect::to(&Back::of(&f.back, w.work_order.ticket_id).done()).into_response()),
        Err(e) => refused(&s, &who, e, back).await,
    }
}

/// A status change, with the version the page showed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatusForm {
    status: String,
    version: String,
    back: String,
    ticket: String,
}

pub async fn status(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form: f }: Posted<StatusForm>,
) -> Result<Response, PageError> {
    let back = Back::of(&f.back, f.ticket.parse().unwrap_or(0));
    let Some(to) = WorkOrderStatus::from_code(f.status.trim()) else {
        let e = aftersales_app::AppError::invalid("status", aftersales_domain::error::Reason::Missing);
        return refused(&s, &who, e, back).await;
    };
    let Ok(version) = f.version.trim().parse::<i64>() else {
        return refused(&s, &who, aftersales_app::AppError::PreconditionRequired, back).await;
    };
    match s.app.set_work_order_status(&who.actor, id, &StatusChange { status: to, version }).await {
        Ok(w) => Ok(Redirect::to(&Back::of(&f.back, w.work_order.ticket_id).done()).into_response()),
        Err(e) => refused(&s, &who, e, back).await,
    }
}

#[derive(Template)]
#[template(path = "work_orders.html")]
struct Mine<'a> {
    l: &'a L,
    nav: Option<Nav>,
    orders: Vec<WorkOrderView>,
    departments: Vec<Department>,
    message: Option<String>,
    error: Option<String>,
}

impl Mine<'_> {
    fn department(&self, code: &str) -> String {
        Department::name_in(&self.departments, code, self.l.lang)
    }

    fn csrf(&self) -> &str {
        self.nav.as_ref().map_or("", |n| n.csrf.as_str())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MineQuery {
    done: String,
}

/// 我的协作工单: the open work orders the reader owns, nearest deadline first.
pub async fn mine(
    State(s): State<AppState>,
    who: Signed,
    axum::extract::Query(q): axum::extract::Query<MineQuery>,
) -> Result<Response, PageError> {
    let message = (!q.done.is_empty()).then(|| who.l.t("workorders.saved").to_owned());
    mine_page(&s, &who, message, None, StatusCode::OK).await
}

async fn mine_page(
    s: &AppState,
    who: &Signed,
    message: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    let orders = s.app.my_work_orders(&who.actor).await.map_err(|e| PageError::App(e, l.clone()))?;
    let departments = s.app.departments(&who.actor).await.unwrap_or_default();
    let nav = Some(Nav::of(s, who, "work_orders").await);
    let mut res = render(&Mine { l, nav, orders, departments, message, error });
    *res.status_mut() = status;
    Ok(res)
}
