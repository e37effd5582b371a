//! Spare parts pages (issue 13): the requisitions list with the supervisor's approve and
//! reject and the keeper's issue (with counts by status), stock per warehouse with each
//! part's ledger, the catalog and warehouses (added by the keeper or an administrator),
//! stock movements (入库, 调拨, 盘点调整), and on the ticket page the engineer's
//! requisition, use and return forms. Every form goes through the same use case as the API.

use aftersales_app::AppError;
use aftersales_app::parts::{
    DecisionInput, IssueInput, RequisitionInput, RequisitionRow, ReturnInput, StatusCount, StockInput, StockLine,
    UseInput,
};
use aftersales_app::users::Page;
use aftersales_domain::Id;
use aftersales_domain::parts::{
    Movement, MovementKind, Part, PartInput, PartUsed, RequisitionStatus, Warehouse, WarehouseInput, WarehouseKind,
};
use aftersales_domain::permission::{Action, allows};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::layout::Nav;
use super::tickets::ticket_page;
use super::view::L;
use super::{PageError, Posted, Signed, render};
use crate::AppState;

/// Money in yuan for reading: `¥680.00`.
pub fn yuan(fen: impl std::borrow::Borrow<i64>) -> String {
    let fen = *fen.borrow();
    format!("¥{}.{:02}", fen / 100, (fen % 100).abs())
}

/// A number typed into a form; `None` when blank or not a whole number (the use case then
/// names the field).
fn number(v: &str) -> Option<i64> {
    v.trim().parse().ok()
}

fn text(v: &str) -> Option<String> {
    Some(v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// What the ticket page shows of its parts, and which forms it offers.
pub struct TicketParts {
    pub used: Vec<PartUsed>,
    pub requisitions: Vec<RequisitionRow>,
    /// Parts that fit the ticket's device (the requisition form's choices).
    pub catalog: Vec<Part>,
    /// The reader may file, use and return (the assigned engineer, a supervisor).
    pub may_request: bool,
    /// The reader acts for any engineer (a supervisor), not only on their own requisitions.
    pub for_others: bool,
    pub user_id: Id,
}

impl TicketParts {
    /// The ticket page's parts section; `None` for a reader without the parts permission.
    pub async fn of(s: &AppState, who: &Signed, t: &aftersales_domain::ticket::Ticket) -> Option<TicketParts> {
        let role = who.actor.user.role;
        if !allows(role, Action::ReadParts) {
            return None;
        }
        let used = match s.app.parts_used(&who.actor, t.id).await {
            Ok(aftersales_app::parts::PartsUsed::Staff(u)) => u,
            _ => Vec::new(),
        };
        let requisitions = s.app.ticket_requisitions(&who.actor, t.id).await.unwrap_or_default();
        let for_others = aftersales_domain::permission::scope(role, Action::RequestParts)
            != aftersales_domain::permission::TicketScope::Assigned;
        let may_request = allows(role, Action::RequestParts) && (for_others || t.is_assigned_to(who.actor.id()));
        let catalog = if may_request {
            let all = s.app.parts(&who.actor).await.unwrap_or_default();
            all.into_iter().filter(|p| p.active && p.fits(t.device_model.as_deref())).collect()
        } else {
            Vec::new()
        };
        Some(TicketParts { used, requisitions, catalog, may_request, for_others, user_id: who.actor.id() })
    }

    /// Whether the reader may use or return on this requisition (their own, issued).
    pub fn may_handle(&self, r: &RequisitionRow) -> bool {
        self.may_request
            && r.requisition.status == RequisitionStatus::Issued
            && (r.requisition.engineer_id == self.user_id || self.for_others)
    }

    pub fn tracked(&self, r: &RequisitionRow) -> bool {
        self.catalog.iter().any(|p| p.id == r.requisition.part_id && p.serial_tracked)
    }
}

// ---- the ticket page's forms ----

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RequestForm {
    part_id: String,
    quantity: String,
    note: String,
}

/// After a form on the ticket page: back to the ticket's parts, or the page with the error.
async fn back_to_ticket(
    s: &AppState,
    who: &Signed,
    ticket: Id,
    done: Result<(), AppError>,
) -> Result<Response, PageError> {
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/tickets/{ticket}?done=parts#parts")).into_response()),
        Err(e) => {
            let status = crate::error::status_of(&e);
            if status == StatusCode::NOT_FOUND {
                return Err(PageError::App(e, who.l.clone()));
            }
            ticket_page(s, who, ticket, None, Some(e.message(who.l.lang)), status, None).await
        }
    }
}

pub async fn request(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form: f }: Posted<RequestForm>,
) -> Result<Response, PageError> {
    let input = RequisitionInput { part_id: number(&f.part_id), quantity: number(&f.quantity), note: text(&f.note) };
    let done = s.app.request_parts(&who.actor, id, &input).await.map(|_| ());
    back_to_ticket(&s, &who, id, done).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct HandleForm {
    quantity: String,
    serial: String,
    faulty_serial: String,
    /// `use`, `return` or `faulty`.
    what: String,
    note: String,
}

/// 使用 / 退回 / 旧件返还 from the ticket page.
pub async fn handle(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form: f }: Posted<HandleForm>,
) -> Result<Response, PageError> {
    let ticket = s.app.requisition(&who.actor, id).await.map_err(|e| PageError::App(e, who.l.clone()))?;
    let ticket = ticket.requisition.ticket_id;
    let quantity = number(&f.quantity);
    let done = match f.what.as_str() {
        "use" => {
            let input = UseInput { quantity, serial: text(&f.serial), faulty_serial: text(&f.faulty_serial) };
            s.app.use_parts(&who.actor, id, &input).await.map(|_| ())
        }
        what => {
            let input = ReturnInput {
                quantity,
                faulty: what == "faulty",
                faulty_serial: text(&f.faulty_serial),
                note: text(&f.note),
            };
            s.app.return_parts(&who.actor, id, &input).await.map(|_| ())
        }
    };
    back_to_ticket(&s, &who, ticket, done).await
}

// ---- requisitions ----

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    status: String,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "parts/requisitions.html")]
struct Requisitions<'a> {
    l: &'a L,
    nav: Option<Nav>,
    items: Vec<RequisitionRow>,
    counts: Vec<StatusCount>,
    status: Option<RequisitionStatus>,
    warehouses: Vec<Warehouse>,
    may_decide: bool,
    may_issue: bool,
    error: Option<String>,
}

impl Requisitions<'_> {
    fn csrf(&self) -> &str {
        self.nav.as_ref().map_or("", |n| n.csrf.as_str())
    }

    fn is_status(&self, s: &RequisitionStatus) -> bool {
        self.status == Some(*s)
    }
}

pub async fn requisitions(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    requisitions_page(&s, &who, RequisitionStatus::from_code(&q.status), q.page, None, StatusCode::OK).await
}

async fn requisitions_page(
    s: &AppState,
    who: &Signed,
    status: Option<RequisitionStatus>,
    page: Option<u64>,
    error: Option<String>,
    code: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    let err = |e| PageError::App(e, l.clone());
    let page = Page::new(page, Some(50)).map_err(err)?;
    let list = s.app.requisitions(&who.actor, status, None, None, page).await.map_err(err)?;
    let warehouses = s.app.warehouses(&who.actor).await.map_err(err)?.into_iter().filter(|w| w.active).collect();
    let role = who.actor.user.role;
    let nav = Some(Nav::of(s, who, "parts").await);
    let mut res = render(&Requisitions {
        l,
        nav,
        items: list.items,
        counts: list.counts,
        status,
        warehouses,
        may_decide: allows(role, Action::ApproveParts),
        may_issue: allows(role, Action::MoveStock),
        error,
    });
    *res.status_mut() = code;
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DecideForm {
    decision: String,
    note: String,
    warehouse_id: String,
}

/// The supervisor's approve or reject, and the keeper's issue, from the list.
pub async fn decide(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form: f }: Posted<DecideForm>,
) -> Result<Response, PageError> {
    let l = &who.l;
    let done = match f.decision.as_str() {
        "issue" => {
            let input = IssueInput { warehouse_id: number(&f.warehouse_id) };
            s.app.issue_requisition(&who.actor, id, &input).await
        }
        d => {
            let input = DecisionInput { approve: d == "approve", note: text(&f.note) };
            s.app.decide_requisition(&who.actor, id, &input).await
        }
    };
    match done {
        Ok(q) => Ok(Redirect::to(&format!("/parts?status={}", q.status.code())).into_response()),
        Err(e) => {
            let status = crate::error::status_of(&e);
            if status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND {
                return Err(PageError::App(e, l.clone()));
            }
            requisitions_page(&s, &who, None, None, Some(e.message(l.lang)), status).await
        }
    }
}

// ---- stock, catalog and warehouses ----

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StockQuery {
    warehouse: Option<Id>,
}

#[derive(Template)]
#[template(path = "parts/stock.html")]
struct Stock<'a> {
    l: &'a L,
    nav: Option<Nav>,
    warehouses: Vec<Warehouse>,
    warehouse: Option<Warehouse>,
    lines: Vec<StockLine>,
    catalog: Vec<Part>,
    engineers: Vec<(Id, String)>,
    may_manage: bool,
    may_move: bool,
    error: Option<String>,
}

impl Stock<'_> {
    fn csrf(&self) -> &str {
        self.nav.as_ref().map_or("", |n| n.csrf.as_str())
    }

    fn is_here(&self, w: &Warehouse) -> bool {
        self.warehouse.as_ref().is_some_and(|h| h.id == w.id)
    }

    fn kinds(&self) -> &'static [WarehouseKind] {
        WarehouseKind::ALL
    }

    fn movements(&self) -> [MovementKind; 3] {
        [MovementKind::Receive, MovementKind::Transfer, MovementKind::Adjust]
    }
}

pub async fn stock(State(s): State<AppState>, who: Signed, Query(q): Query<StockQuery>) -> Result<Response, PageError> {
    stock_page(&s, &who, q.warehouse, None, StatusCode::OK).await
}

async fn stock_page(
    s: &AppState,
    who: &Signed,
    warehouse: Option<Id>,
    error: Option<String>,
    code: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    let err = |e| PageError::App(e, l.clone());
    let warehouses = s.app.warehouses(&who.actor).await.map_err(err)?;
    let warehouse = match warehouse {
        Some(id) => Some(s.app.warehouse(&who.actor, id).await.map_err(err)?),
        None => warehouses.first().cloned(),
    };
    let lines = match &warehouse {
        Some(w) => s.app.stock(&who.actor, w.id).await.map_err(err)?,
        None => Vec::new(),
    };
    let catalog = s.app.parts(&who.actor).await.map_err(err)?;
    let role = who.actor.user.role;
    let may_manage = allows(role, Action::ManageParts);
    let engineers = if may_manage {
        let page = Page::new(Some(1), Some(200)).map_err(err)?;
        let roles = [
            aftersales_domain::role::Role::FirstLineEngineer,
            aftersales_domain::role::Role::SecondLineEngineer,
            aftersales_domain::role::Role::TechLead,
        ];
        let users = s.app.list_users(&who.actor, &roles, None, page).await.map_err(err)?;
        users.into_iter().filter(|u| u.active).map(|u| (u.id, u.display_name)).collect()
    } else {
        Vec::new()
    };
    let nav = Some(Nav::of(s, who, "parts").await);
    let mut res = render(&Stock {
        l,
        nav,
        warehouses,
        warehouse,
        lines,
        catalog,
        engineers,
        may_manage,
        may_move: allows(role, Action::MoveStock),
        error,
    });
    *res.status_mut() = code;
    Ok(res)
}

#[derive(Template)]
#[template(path = "parts/ledger.html")]
struct Ledger<'a> {
    l: &'a L,
    nav: Option<Nav>,
    warehouse: Warehouse,
    part: Part,
    quantity: i64,
    movements: Vec<Movement>,
}

/// A part's stock in a warehouse and its ledger, newest first.
pub async fn ledger(
    State(s): State<AppState>,
    who: Signed,
    Path((warehouse, part)): Path<(Id, Id)>,
) -> Result<Response, PageError> {
    let l = &who.l;
    let err = |e| PageError::App(e, l.clone());
    let w = s.app.warehouse(&who.actor, warehouse).await.map_err(err)?;
    let p = s.app.part(&who.actor, part).await.map_err(err)?;
    let quantity = s.app.stock_of(&who.actor, part, warehouse).await.map_err(err)?;
    let page = Page::new(Some(1), Some(200)).map_err(err)?;
    let movements = s.app.ledger(&who.actor, part, warehouse, page).await.map_err(err)?;
    let nav = Some(Nav::of(&s, &who, "parts").await);
    Ok(render(&Ledger { l, nav, warehouse: w, part: p, quantity, movements }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PartForm {
    number: String,
    name: String,
    unit: String,
    price: String,
    models: String,
    serial_tracked: String,
}

/// Adds a part to the catalog; the price is typed in yuan (`680` or `680.50`).
pub async fn create_part(
    State(s): State<AppState>,
    Posted { who, form: f }: Posted<PartForm>,
) -> Result<Response, PageError> {
    let price_fen = parse_yuan(&f.price);
    let input = PartInput {
        number: text(&f.number),
        name: text(&f.name),
        unit: text(&f.unit),
        price_fen,
        models: Some(
            f.models.split([',', '，', '\n']).map(str::trim).filter(|m| !m.is_empty()).map(Into::into).collect(),
        ),
        serial_tracked: Some(f.serial_tracked == "1"),
        active: None,
    };
    let done = match (price_fen, f.price.trim().is_empty()) {
        (None, false) => Err(AppError::invalid(
            "price_fen",
            aftersales_domain::error::Reason::Malformed {
                expected_en: "an amount in yuan such as 680.50",
                expected_zh: "以元为单位的金额，如 680.50",
            },
        )),
        _ => s.app.create_part(&who.actor, &input).await.map(|_| ()),
    };
    after_stock_form(&s, &who, None, done).await
}

/// `680` or `680.5` yuan in fen.
fn parse_yuan(v: &str) -> Option<i64> {
    let v = v.trim().trim_start_matches('¥');
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 2
        || whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let cents: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
    whole.parse::<i64>().ok()?.checked_mul(100)?.checked_add(cents)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WarehouseForm {
    name: String,
    kind: String,
    owner_id: String,
}

pub async fn create_warehouse(
    State(s): State<AppState>,
    Posted { who, form: f }: Posted<WarehouseForm>,
) -> Result<Response, PageError> {
    let input = WarehouseInput {
        name: text(&f.name),
        kind: WarehouseKind::from_code(&f.kind),
        owner_id: number(&f.owner_id),
        active: None,
    };
    let done = s.app.create_warehouse(&who.actor, &input).await.map(|w| Some(w.id));
    match done {
        Ok(id) => after_stock_form(&s, &who, id, Ok(())).await,
        Err(e) => after_stock_form(&s, &who, None, Err(e)).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MoveForm {
    kind: String,
    part_id: String,
    warehouse_id: String,
    to_warehouse_id: String,
    quantity: String,
    reason: String,
}

/// 入库, 调拨 or 盘点调整 on the stock page.
pub async fn move_stock(
    State(s): State<AppState>,
    Posted { who, form: f }: Posted<MoveForm>,
) -> Result<Response, PageError> {
    let warehouse = number(&f.warehouse_id);
    let input = StockInput {
        kind: MovementKind::from_code(&f.kind),
        part_id: number(&f.part_id),
        warehouse_id: warehouse,
        to_warehouse_id: number(&f.to_warehouse_id),
        quantity: number(&f.quantity),
        reason: text(&f.reason),
    };
    let done = s.app.move_stock(&who.actor, &input).await.map(|_| ());
    after_stock_form(&s, &who, warehouse, done).await
}

async fn after_stock_form(
    s: &AppState,
    who: &Signed,
    warehouse: Option<Id>,
    done: Result<(), AppError>,
) -> Result<Response, PageError> {
    match done {
        Ok(()) => {
            let to = warehouse.map_or("/parts/stock".to_owned(), |w| format!("/parts/stock?warehouse={w}"));
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => {
            let status = crate::error::status_of(&e);
            if status == StatusCode::FORBIDDEN {
                return Err(PageError::App(e, who.l.clone()));
            }
            stock_page(
                s,
                who,
                warehouse.filter(|_| status != StatusCode::NOT_FOUND),
                Some(e.message(who.l.lang)),
                status,
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_typed_in_yuan_and_kept_in_fen() {
        assert_eq!(parse_yuan("680"), Some(68_000));
        assert_eq!(parse_yuan("¥35.5"), Some(3_550));
        assert_eq!(parse_yuan("0.05"), Some(5));
        assert_eq!(parse_yuan("1.234"), None);
        assert_eq!(parse_yuan("-3"), None);
        assert_eq!(yuan(68_050), "¥680.50");
    }
}
