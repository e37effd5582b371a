//! The service report on the pages (issue 14): the ticket page's section
//! (`templates/ticket/_report.html`: versions, preview, photos chosen, a new version), the
//! portal's (`templates/portal/_report.html`: view, download, sign or refuse), the signing
//! page made for a 360 px phone (`templates/report_sign.html`: a canvas that takes touch,
//! pen and mouse through pointer events), and the PDF download. Each form calls the same
//! use case as the API.

use std::collections::HashMap;

use aftersales_app::reports::{PrepareInput, RefuseInput, ReportScreen, SignInput};
use aftersales_domain::Id;
use aftersales_domain::service_report::{ServiceReport, SignerRelationship};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::layout::Nav;
use super::view::L;
use super::{PageError, Posted, Signed, render};
use crate::AppState;

type Form = HashMap<String, String>;

fn field<'a>(form: &'a Form, name: &str) -> &'a str {
    form.get(name).map_or("", |v| v.trim())
}

fn opt(form: &Form, name: &str) -> Option<String> {
    Some(field(form, name).to_owned()).filter(|v| !v.is_empty())
}

/// What a report form's redirect says on the ticket page (`?done=…`).
pub fn done_message(l: &L, done: &str) -> Option<String> {
    let key = match done {
        "report_prepared" => "report.prepared",
        "report_signed" => "report.signed_done",
        "report_refused" => "report.refused_done",
        "report_sent" => "report_send.sent",
        _ => return None,
    };
    Some(l.t(key).to_owned())
}

/// The report section of a ticket page, for the staff or the customer.
pub async fn section(s: &AppState, who: &Signed, ticket: Id) -> Option<ReportScreen> {
    s.app.service_reports(&who.actor, ticket).await.ok()
}

/// The photo ids as typed: numbers separated by commas or spaces.
fn photo_ids(text: &str) -> Result<Vec<Id>, ()> {
    text.split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<Id>().map_err(|_| ()))
        .collect()
}

fn back(ticket: Id, done: &str) -> Response {
    Redirect::to(&format!("/tickets/{ticket}?done={done}#report")).into_response()
}

/// `POST /tickets/{id}/report`: a new version (or the newest draft's photos).
pub async fn prepare(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form }: Posted<Form>,
) -> Result<Response, PageError> {
    let Ok(photo_ids) = photo_ids(field(&form, "photo_ids")) else {
        let e = who.l.t("report.bad_photo_ids").to_owned();
        return super::tickets::ticket_page(&s, &who, id, None, Some(e), StatusCode::UNPROCESSABLE_ENTITY, None).await;
    };
    match s.app.prepare_report(&who.actor, id, &PrepareInput { photo_ids }).await {
        Ok(_) => Ok(back(id, "report_prepared")),
        Err(e @ aftersales_app::AppError::NotFound { .. }) => Err(PageError::App(e, who.l.clone())),
        Err(e) if e.is_internal() => Err(PageError::App(e, who.l.clone())),
        Err(e) => {
            let status = crate::error::status_of(&e);
            super::tickets::ticket_page(&s, &who, id, None, Some(e.message(who.l.lang)), status, None).await
        }
    }
}

/// `POST /reports/{id}/send`: the version is e-mailed to the contact to sign.
pub async fn send(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form: _ }: Posted<Form>,
) -> Result<Response, PageError> {
    match s.app.send_report(&who.actor, id).await {
        Ok(r) => Ok(back(r.ticket_id, "report_sent")),
        Err(e @ aftersales_app::AppError::NotFound { .. }) => Err(PageError::App(e, who.l.clone())),
        Err(e) if e.is_internal() => Err(PageError::App(e, who.l.clone())),
        Err(e) => {
            let status = crate::error::status_of(&e);
            let (r, _) = s.app.service_report(&who.actor, id).await.map_err(|e| PageError::App(e, who.l.clone()))?;
            let ticket = r.ticket_id;
            super::tickets::ticket_page(&s, &who, ticket, None, Some(e.message(who.l.lang)), status, None).await
        }
    }
}

#[derive(Template)]
#[template(path = "report_sign.html")]
struct SignPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    r: ServiceReport,
    number: String,
    relationships: &'static [SignerRelationship],
    signer_name: String,
    relationship: String,
    error: Option<String>,
}

impl SignPage<'_> {
    fn csrf(&self) -> &str {
        self.nav.as_ref().map_or("", |n| n.csrf.as_str())
    }
}

async fn sign_page(
    s: &AppState,
    who: &Signed,
    id: Id,
    form: Option<&Form>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    // The version, through the ticket the reader may see (another organization's: 404).
    let (r, number) = s.app.service_report(&who.actor, id).await.map_err(|e| PageError::App(e, who.l.clone()))?;
    let nav = Some(Nav::of(s, who, if who.actor.is_customer() { "portal" } else { "board" }).await);
    let page = SignPage {
        l: &who.l,
        nav,
        r,
        number,
        relationships: SignerRelationship::ALL,
        signer_name: form.map(|f| field(f, "signer_name").to_owned()).unwrap_or_default(),
        relationship: form.map(|f| field(f, "relationship").to_owned()).unwrap_or_default(),
        error,
    };
    Ok((status, render(&page)).into_response())
}

/// `GET /reports/{id}/sign`: the signing page (the engineer hands over the phone, or the
/// contact signs in the portal).
pub async fn sign_form(State(s): State<AppState>, who: Signed, Path(id): Path<Id>) -> Result<Response, PageError> {
    sign_page(&s, &who, id, None, None, StatusCode::OK).await
}

/// `POST /reports/{id}/sign`: the signature (the canvas as a PNG data URL), or the refusal.
pub async fn sign(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form }: Posted<Form>,
) -> Result<Response, PageError> {
    let refused = field(&form, "refuse") == "1";
    let done = if refused {
        let input = RefuseInput { reason: opt(&form, "reason"), signer_name: opt(&form, "signer_name") };
        s.app.refuse_report(&who.actor, id, &input).await
    } else {
        let input = SignInput {
            signer_name: opt(&form, "signer_name"),
            relationship: SignerRelationship::from_code(field(&form, "relationship")),
            signature: opt(&form, "signature"),
        };
        s.app.sign_report(&who.actor, id, &input).await
    };
    match done {
        Ok(r) => Ok(back(r.ticket_id, if refused { "report_refused" } else { "report_signed" })),
        Err(e @ aftersales_app::AppError::NotFound { .. }) => Err(PageError::App(e, who.l.clone())),
        Err(e) if e.is_internal() => Err(PageError::App(e, who.l.clone())),
        Err(e) => {
            let status = crate::error::status_of(&e);
            sign_page(&s, &who, id, Some(&form), Some(e.message(who.l.lang)), status).await
        }
    }
}

/// `GET /reports/{id}/pdf`: the PDF as a download (the kept one once signed).
pub async fn pdf(State(s): State<AppState>, who: Signed, Path(id): Path<Id>) -> Result<Response, PageError> {
    let file = s.app.report_pdf(&who.actor, id).await.map_err(|e| PageError::App(e, who.l.clone()))?;
    Ok(crate::api::reports::pdf_response(file))
}
