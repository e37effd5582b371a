//! Fees on the ticket page (seed 003): the quote editor, the customer's decision (portal
//! click, or a paper signature the staff record), payments and zero-charge records, and the
//! printable receipt. Each form calls the same use case as the API.

use std::collections::HashMap;

use aftersales_app::fees::{FreeInput, PaymentInput, QuoteDecision, Receipt};
use aftersales_domain::Id;
use aftersales_domain::fee::{FreeReason, LineInput, LineKind, PaymentMethod, QuoteInput, parse_yuan};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::layout::Nav;
use super::tickets::ticket_page;
use super::view::L;
use super::{PageError, Posted, Signed, render};
use crate::AppState;

/// How many empty lines the quote editor offers beyond the current ones.
pub const SPARE_LINES: usize = 3;

type Form = HashMap<String, String>;

fn field<'a>(form: &'a Form, name: &str) -> &'a str {
    form.get(name).map_or("", |v| v.trim())
}

fn opt(form: &Form, name: &str) -> Option<String> {
    Some(field(form, name).to_owned()).filter(|v| !v.is_empty())
}

/// The quote as the editor sent it: rows `line_{n}_…`, blank rows left out. A malformed
/// number is named with its line.
fn quote_input(l: &L, form: &Form) -> Result<QuoteInput, String> {
    let mut lines = Vec::new();
    for n in 0..aftersales_domain::fee::MAX_LINES + SPARE_LINES {
        let f = |k: &str| field(form, &format!("line_{n}_{k}")).to_owned();
        let (desc, qty, price) = (f("description"), f("quantity"), f("unit_price"));
        // A row with only a part number is a line: the catalog names the part.
        if desc.is_empty() && qty.is_empty() && price.is_empty() && f("part_no").trim().is_empty() {
            continue;
        }
        let line = (lines.len() + 1).to_string();
        let kind = LineKind::from_code(&f("kind")).unwrap_or(LineKind::Other);
        let quantity =
            qty.parse::<i64>().map_err(|_| l.tf("fees.bad_quantity", &[("line", &line), ("value", &qty)]))?;
        let unit_price =
            parse_yuan(&price).ok_or_else(|| l.tf("fees.bad_price", &[("line", &line), ("value", &price)]))?;
        let part_no = Some(f("part_no")).filter(|p| !p.is_empty());
        lines.push(LineInput { kind, description: desc, part_no, quantity, unit_price });
    }
    Ok(QuoteInput { lines, internal_note: opt(form, "internal_note") })
}

/// The ticket page again with what went wrong, in the status the API would answer.
async fn again(s: &AppState, who: &Signed, id: Id, error: String, status: StatusCode) -> Result<Response, PageError> {
    ticket_page(s, who, id, None, Some(error), status, None).await
}

/// What a fee form's redirect says on the ticket page (`?done=…`).
pub fn done_message(l: &L, done: &str) -> Option<String> {
    let key = match done {
        "quote_sent" => "fees.quote_sent",
        "quote_approved" => "fees.quote_approved",
        "quote_refused" => "fees.quote_refused",
        "recorded_free" => "fees.recorded_free",
        _ => return None,
    };
    Some(l.t(key).to_owned())
}

/// Post/redirect/get on success (`done` names the message); the page again with the
/// refusal otherwise.
async fn outcome<T>(
    s: &AppState,
    who: &Signed,
    id: Id,
    done: aftersales_app::Result<T>,
    message: &str,
) -> Result<Response, PageError> {
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/tickets/{id}?done={message}#fees")).into_response()),
        Err(e @ aftersales_app::AppError::NotFound { .. }) => Err(PageError::App(e, who.l.clone())),
        Err(e) if e.is_internal() => Err(PageError::App(e, who.l.clone())),
        Err(e) => again(s, who, id, e.message(who.l.lang), crate::error::status_of(&e)).await,
    }
}

/// `POST /tickets/{id}/quote`: a new quote revision.
pub async fn save_quote(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form }: Posted<Form>,
) -> Result<Response, PageError> {
    let input = match quote_input(&who.l, &form) {
        Ok(q) => q,
        Err(e) => return again(&s, &who, id, e, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let done = s.app.save_quote(&who.actor, id, &input).await;
    outcome(&s, &who, id, done, "quote_sent").await
}

/// `POST /tickets/{id}/quote/decision`: the customer's click in the portal, or the staff
/// recording a paper signature or a refusal.
pub async fn decide_quote(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form }: Posted<Form>,
) -> Result<Response, PageError> {
    let revision = field(&form, "revision").parse::<i32>().unwrap_or(0);
    let approve = field(&form, "approve") == "true";
    let d = QuoteDecision { revision, approve, reason: opt(&form, "reason"), signed_by: opt(&form, "signed_by") };
    let message = if approve { "quote_approved" } else { "quote_refused" };
    if who.actor.is_customer() {
        let done = s.app.customer_decide_quote(&who.actor, id, &d).await;
        return outcome(&s, &who, id, done, message).await;
    }
    let done = s.app.decide_quote(&who.actor, id, &d).await;
    outcome(&s, &who, id, done, message).await
}

/// `POST /tickets/{id}/payment`: a payment on the approved quote.
pub async fn record_payment(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form }: Posted<Form>,
) -> Result<Response, PageError> {
    let l = &who.l;
    let Some(method) = PaymentMethod::from_code(field(&form, "method")) else {
        return again(&s, &who, id, l.t("fees.choose_the_method").to_owned(), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let typed = field(&form, "amount");
    let Some(amount) = parse_yuan(typed) else {
        let e = l.tf("fees.bad_amount", &[("value", &typed)]);
        return again(&s, &who, id, e, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let p = PaymentInput { method, amount, reference: opt(&form, "reference"), note: opt(&form, "note") };
    match s.app.record_payment(&who.actor, id, &p).await {
        Ok(st) => Ok(Redirect::to(&format!("/receipts/{}", st.receipt_no)).into_response()),
        Err(e) => outcome::<()>(&s, &who, id, Err(e), "").await,
    }
}

/// `POST /tickets/{id}/free`: the work recorded with zero charge and why.
pub async fn record_free(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form }: Posted<Form>,
) -> Result<Response, PageError> {
    let Some(reason) = FreeReason::from_code(field(&form, "reason")) else {
        let e = who.l.t("fees.choose_the_reason").to_owned();
        return again(&s, &who, id, e, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let done = s.app.record_free(&who.actor, id, &FreeInput { reason, note: opt(&form, "note") }).await;
    outcome(&s, &who, id, done, "recorded_free").await
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    r: Receipt,
}

/// `GET /receipts/{number}`: the printable receipt (收据).
pub async fn receipt(
    State(s): State<AppState>,
    who: Signed,
    Path(number): Path<String>,
) -> Result<Response, PageError> {
    let r = s.app.receipt(&who.actor, &number).await.map_err(|e| PageError::App(e, who.l.clone()))?;
    let nav = Some(Nav::of(&s, &who, "board").await);
    Ok(render(&ReceiptPage { l: &who.l, nav, r }))
}

/// One row of the quote editor: the current revision's lines, then blank ones.
pub struct EditorRow {
    pub n: usize,
    pub kind: &'static str,
    pub description: String,
    pub part_no: String,
    pub quantity: String,
    pub unit_price: String,
}

/// The editor's rows for `f` (a change starts from the current revision).
pub fn editor_rows(f: &aftersales_app::fees::FeeScreen) -> Vec<EditorRow> {
    let lines = f.file.current().map(|q| q.lines.as_slice()).unwrap_or_default();
    let mut rows: Vec<EditorRow> = lines
        .iter()
        .enumerate()
        .map(|(n, x)| EditorRow {
            n,
            kind: x.kind.code(),
            description: x.description.clone(),
            part_no: x.part_no.clone().unwrap_or_default(),
            quantity: x.quantity.to_string(),
            unit_price: aftersales_domain::fee::yuan_plain(x.unit_price),
        })
        .collect();
    for n in lines.len()..lines.len() + SPARE_LINES {
        let kind = if n == 0 { "part" } else { "labour" };
        rows.push(EditorRow {
            n,
            kind,
            description: String::new(),
            part_no: String::new(),
            quantity: String::new(),
            unit_price: String::new(),
        });
    }
    rows
}
