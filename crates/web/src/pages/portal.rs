//! The customer contact's pages (DOMAIN §1 contact portal, §8): "我的报修" with what waits
//! for them first, their ticket in customer words, and the pages of the signed links in
//! customer e-mail (no sign-in). Everything here comes from `app::portal`, which only ever
//! hands out the customer projection.

use aftersales_app::AppError;
use aftersales_app::portal::{CustomerScreen, LinkAnswer, LinkState};
use aftersales_app::tickets::ListQuery;
use aftersales_domain::Id;
use aftersales_domain::clock::SurveyResult;
use aftersales_domain::customer_link::LinkPurpose;
use aftersales_domain::customer_view::{CustomerStatus, CustomerTicket};
use aftersales_domain::lifecycle::Step;
use aftersales_domain::service_report::SignerRelationship;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::layout::Nav;
use super::view::{L, Pager};
use super::{PageError, Signed, anonymous_lang, render, same_origin};
use crate::AppState;
use crate::pages::{NoFields, Posted};

/// The portal list's filter.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PortalQuery {
    /// A request number to open.
    pub q: String,
    /// A customer status code, or empty for all.
    pub status: String,
    pub page: Option<u64>,
}

#[derive(Template)]
#[template(path = "portal.html")]
struct Portal<'a> {
    l: &'a L,
    nav: Option<Nav>,
    waiting: Vec<CustomerTicket>,
    tickets: Vec<CustomerTicket>,
    total: u64,
    /// The count stopped at `aftersales_app::tickets::COUNT_LIMIT`: there are more.
    more: bool,
    pager: Pager,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
}

/// 我的报修: what waits for the customer first, then every request of their organization,
/// newest first (resolved ones are never hidden).
pub async fn portal(s: &AppState, who: &Signed, q: PortalQuery) -> Result<Response, PageError> {
    let l = &who.l;
    let err = |e| PageError::App(e, l.clone());
    // A request number in the search box opens it (another organization's is "not found").
    let number = q.q.trim();
    if !number.is_empty() {
        let t = s.app.customer_ticket_by_number(&who.actor, number).await.map_err(err)?;
        return Ok(axum::response::Redirect::to(&format!("/tickets/{}", t.id)).into_response());
    }
    let page = q.page.unwrap_or(1).max(1);
    let lq = ListQuery {
        status: CustomerStatus::from_code(&q.status).map(|s| s.code().to_owned()),
        sort: Some("-registered_at".into()),
        page: Some(page),
        per_page: Some(20),
        ..ListQuery::default()
    };
    let list = s.app.customer_tickets(&who.actor, &lq).await.map_err(err)?;
    let waiting = s.app.awaiting_customer(&who.actor).await.map_err(err)?;
    let more = !list.total_exact;
    let pager =
        Pager::new("/board", page, list.total, list.per_page, &[("status", q.status.as_str())]).counted_to_limit(more);
    let statuses = CustomerStatus::ALL.iter().map(|c| (c.code(), c.label(l.lang))).collect();
    let nav = Some(Nav::of(s, who, "portal").await);
    Ok(render(&Portal {
        l,
        nav,
        waiting,
        tickets: list.items,
        total: list.total,
        more,
        pager,
        status: q.status,
        statuses,
    }))
}

#[derive(Template)]
#[template(path = "portal_ticket.html")]
struct PortalTicket<'a> {
    l: &'a L,
    nav: Option<Nav>,
    s: CustomerScreen,
    /// Seed 003: the quote to approve and the receipts (`templates/portal/_fees.html`).
    fees: Option<aftersales_domain::fee::CustomerFees>,
    message: Option<String>,
    error: Option<String>,
    /// The visits the customer is promised (`ticket/_visits_portal.html`).
    visits: Vec<aftersales_domain::visit::CustomerVisit>,
    /// Parts replaced on the device (part number, name, quantity; DOMAIN §8).
    parts: Vec<aftersales_domain::parts::CustomerPartUsed>,
    /// Customer-visible photos and files (issue 14, `templates/portal/_attachments.html`).
    attachments: Vec<aftersales_domain::attachment::CustomerAttachment>,
    /// The service report to read, download, sign or refuse (`portal/_report.html`).
    report: Option<aftersales_app::reports::ReportScreen>,
}

impl PortalTicket<'_> {
    fn has(&self, code: &str) -> bool {
        self.s.steps.iter().any(|s| s.code() == code)
    }

    fn csrf(&self) -> &str {
        self.nav.as_ref().map_or("", |n| n.csrf.as_str())
    }

    fn ticket_id(&self) -> Id {
        self.s.ticket.id
    }

    fn version(&self) -> i64 {
        self.s.ticket.version
    }
}

/// The customer's ticket page, with the outcome of what they just did.
pub async fn ticket_page(
    s: &AppState,
    who: &Signed,
    id: Id,
    message: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    let screen = s.app.customer_screen(&who.actor, id).await.map_err(|e| PageError::App(e, l.clone()))?;
    // Just submitted: the number to quote, and what happens next.
    let message = match message {
        Some(m) if m.is_empty() => Some(format!(
            "{}{}{}",
            l.t("portal.your_request_was_submitted_as"),
            screen.ticket.number,
            l.t("portal.we_will_tell_you_when_it")
        )),
        m => m,
    };
    let parts = match s.app.parts_used(&who.actor, id).await {
        Ok(aftersales_app::parts::PartsUsed::Customer(p)) => p,
        _ => Vec::new(),
    };
    let nav = Some(Nav::of(s, who, "portal").await);
    let visits = match s.app.ticket_visits(&who.actor, id).await {
        Ok(aftersales_app::visits::TicketVisits::Customer(v)) => v,
        _ => Vec::new(),
    };
    let fees = s.app.customer_fees(&who.actor, id).await.ok();
    let attachments = super::attachments::portal_section(s, who, id).await;
    let report = super::reports::section(s, who, id).await;
    Ok((status, render(&PortalTicket { l, nav, s: screen, fees, message, error, visits, parts, attachments, report }))
        .into_response())
}

/// `POST /inbox/read-all`: a contact marks every notice read.
pub async fn read_all(State(s): State<AppState>, Posted { who, .. }: Posted<NoFields>) -> Result<Response, PageError> {
    s.app.read_all_notices(&who.actor).await.map_err(|e| PageError::App(e, who.l.clone()))?;
    Ok(axum::response::Redirect::to("/inbox").into_response())
}

/// What the customer is told after a step of theirs.
pub fn done_message(l: &L, step: Step) -> String {
    match step {
        Step::ConfirmClosure => l.t("portal.closure_confirmed_thank_you"),
        Step::RefuseClosure => l.t("portal.thank_you_for_telling_us_we"),
        Step::RecordSurvey => l.t("portal.thank_you_for_your_rating"),
        Step::ConfirmWindow => l.t("portal.you_confirmed_this_request"),
        Step::ObjectToGrading => l.t("portal.your_objection_was_sent_the_technical"),
        _ => l.t("portal.done"),
    }
    .to_owned()
}

// ----- signed links in customer e-mail (no sign-in) -----

#[derive(Template)]
#[template(path = "link.html")]
struct LinkPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    token: String,
    state: Option<LinkState>,
    /// The quote a quote link asks about (seed 003).
    quote: Option<aftersales_domain::fee::CustomerQuote>,
    /// The service report version a report link signs (issue 14).
    report: Option<aftersales_domain::service_report::ServiceReport>,
    /// What was just done, or why it could not be.
    message: Option<String>,
    error: Option<String>,
}

impl LinkPage<'_> {
    fn is_closure(&self, p: &LinkPurpose) -> bool {
        *p == LinkPurpose::Closure
    }

    fn is_quote(&self, p: &LinkPurpose) -> bool {
        *p == LinkPurpose::Quote
    }

    fn is_report(&self, p: &LinkPurpose) -> bool {
        *p == LinkPurpose::Report
    }

    fn relationships(&self) -> &'static [SignerRelationship] {
        SignerRelationship::ALL
    }
}

fn link_lang(headers: &HeaderMap, s: &AppState) -> L {
    L::new(anonymous_lang(headers), s.app.settings().time_zone.clone())
}

/// A link that names nothing (forged, altered, or of a ticket gone): one page that says
/// nothing about any ticket.
fn unknown_link(l: &L) -> Response {
    let page = LinkPage {
        l,
        nav: None,
        quote: None,
        report: None,
        token: String::new(),
        state: None,
        message: None,
        error: Some(l.t("portal.this_link_is_not_valid_or").to_owned()),
    };
    (StatusCode::NOT_FOUND, render(&page)).into_response()
}

/// `GET /l/{token}`: what the link is for, with its form; opening it changes nothing.
pub async fn link_form(State(s): State<AppState>, headers: HeaderMap, Path(token): Path<String>) -> Response {
    let l = &link_lang(&headers, &s);
    no_referrer(match s.app.link_state(&token).await {
        Ok(state) => {
            let quote = link_quote(&s, &token, &state).await;
            let report = link_report(&s, &token, &state).await;
            render(&LinkPage { l, nav: None, quote, report, token, state: Some(state), message: None, error: None })
        }
        Err(AppError::NotFound { .. }) => unknown_link(l),
        Err(e) => PageError::App(e, l.clone()).into_response(),
    })
}

/// The PDF a usable report link asks to sign (for reading it before signing).
pub async fn link_pdf(State(s): State<AppState>, headers: HeaderMap, Path(token): Path<String>) -> Response {
    let l = &link_lang(&headers, &s);
    no_referrer(match s.app.link_report_pdf(&token).await {
        Ok(file) => crate::api::reports::pdf_response(file),
        Err(AppError::NotFound { .. }) => unknown_link(l),
        Err(e) => PageError::App(e, l.clone()).into_response(),
    })
}

/// The link's page must not hand its address (the token) to anywhere it links to.
fn no_referrer(mut r: Response) -> Response {
    r.headers_mut().insert(axum::http::header::REFERRER_POLICY, axum::http::HeaderValue::from_static("no-referrer"));
    r
}

/// The link form's fields.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    /// `confirm`, `refuse` or `survey`.
    answer: String,
    reason: String,
    result: String,
    note: String,
    /// The structured survey (seed 000 (四)): `yes`, `no` or empty.
    solved: String,
    speed_ok: String,
    suggestions: String,
    /// A service report signed through its link.
    signer_name: String,
    relationship: String,
    signature: String,
}

/// `POST /l/{token}`: the answer, taken once.
pub async fn link_submit(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<LinkForm>,
) -> Response {
    no_referrer(answer_link(&s, &headers, token, f).await)
}

async fn answer_link(s: &AppState, headers: &HeaderMap, token: String, f: LinkForm) -> Response {
    let s = s.clone();
    let l = &link_lang(headers, &s);
    // No session here: the link's secret is the authority, and the post must come from its
    // own page (a cross-site form cannot use a link it does not know, nor one it does).
    if !same_origin(headers) {
        return PageError::Csrf(l.clone()).into_response();
    }
    let text = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_owned());
    let answer = match f.answer.as_str() {
        "sign" => LinkAnswer::Sign {
            signer_name: text(&f.signer_name),
            relationship: aftersales_domain::service_report::SignerRelationship::from_code(f.relationship.trim()),
            signature: text(&f.signature),
        },
        "confirm" => LinkAnswer::Confirm,
        "refuse" => LinkAnswer::Refuse { reason: f.reason.clone() },
        "survey" => match SurveyResult::from_code(&f.result) {
            Some(result) => {
                let yes_no = |v: &str| match v.trim() {
                    "yes" => Some(true),
                    "no" => Some(false),
                    _ => None,
                };
                LinkAnswer::Survey {
                    result,
                    note: text(&f.note),
                    solved: yes_no(&f.solved),
                    speed_ok: yes_no(&f.speed_ok),
                    suggestions: text(&f.suggestions),
                }
            }
            None => {
                let e = l.t("portal.choose_how_satisfied_you_are").to_owned();
                return link_again(&s, l, token, e).await;
            }
        },
        _ => {
            let e = l.t("portal.choose_your_answer").to_owned();
            return link_again(&s, l, token, e).await;
        }
    };
    // What the link was for, read before it is used (its answer is worded by it).
    let purpose = match s.app.link_state(&token).await {
        Ok(LinkState::Usable { purpose, .. }) => Some(purpose),
        _ => None,
    };
    match s.app.use_link(&token, &answer).await {
        Ok(t) => {
            let step = match answer {
                LinkAnswer::Confirm | LinkAnswer::Sign { .. } => Step::ConfirmClosure,
                LinkAnswer::Refuse { .. } => Step::RefuseClosure,
                LinkAnswer::Survey { .. } => Step::RecordSurvey,
            };
            let said = match (purpose, &answer) {
                (Some(LinkPurpose::Report), LinkAnswer::Sign { .. }) => l.t("report_send.link_signed").to_owned(),
                (Some(LinkPurpose::Report), _) => l.t("report_send.link_refused").to_owned(),
                (Some(LinkPurpose::Quote), LinkAnswer::Confirm) => l.t("fees.quote_approved").to_owned(),
                (Some(LinkPurpose::Quote), _) => l.t("fees.quote_refused").to_owned(),
                _ => done_message(l, step),
            };
            let message = format!("{} {}", t.number, said);
            render(&LinkPage {
                l,
                nav: None,
                quote: None,
                report: None,
                token: String::new(),
                state: None,
                message: Some(message),
                error: None,
            })
        }
        Err(AppError::NotFound { .. }) => unknown_link(l),
        Err(e @ AppError::Domain(_)) => {
            let status = crate::error::status_of(&e);
            let (state, error) = match s.app.link_state(&token).await {
                // Used, expired or superseded: the page says which, and nothing changed.
                Ok(state @ LinkState::Spent { .. }) => (Some(state), None),
                Ok(state) => (Some(state), Some(e.message(l.lang))),
                Err(_) => (None, Some(e.message(l.lang))),
            };
            let (quote, report) = match &state {
                Some(st) => (link_quote(&s, &token, st).await, link_report(&s, &token, st).await),
                None => (None, None),
            };
            (status, render(&LinkPage { l, nav: None, quote, report, token, state, message: None, error }))
                .into_response()
        }
        Err(e) => PageError::App(e, l.clone()).into_response(),
    }
}

/// The quote of a usable quote link.
async fn link_quote(s: &AppState, token: &str, state: &LinkState) -> Option<aftersales_domain::fee::CustomerQuote> {
    match state {
        LinkState::Usable { purpose: LinkPurpose::Quote, .. } => s.app.link_quote(token).await.ok().flatten(),
        _ => None,
    }
}

/// The service report version of a usable report link.
async fn link_report(
    s: &AppState,
    token: &str,
    state: &LinkState,
) -> Option<aftersales_domain::service_report::ServiceReport> {
    match state {
        LinkState::Usable { purpose: LinkPurpose::Report, .. } => s.app.link_report(token).await.ok().flatten(),
        _ => None,
    }
}

/// The link's page again, with what to correct.
async fn link_again(s: &AppState, l: &L, token: String, error: String) -> Response {
    match s.app.link_state(&token).await {
        Ok(state) => {
            let quote = link_quote(s, &token, &state).await;
            let report = link_report(s, &token, &state).await;
            let page =
                LinkPage { l, nav: None, quote, report, token, state: Some(state), message: None, error: Some(error) };
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
        Err(AppError::NotFound { .. }) => unknown_link(l),
        Err(e) => PageError::App(e, l.clone()).into_response(),
    }
}
