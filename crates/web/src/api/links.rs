//! The signed links of customer e-mail over the API (DOMAIN §8, issue 14): what a link is
//! for, and its answer, taken once. No bearer token: the link's secret is the authority, as
//! on its page (`/l/{token}`); a token never issued is "not found" and names nothing.

use aftersales_app::portal::{LinkAnswer, LinkState};
use aftersales_domain::customer_link::{LinkProblem, LinkPurpose};
use aftersales_domain::customer_view::CustomerTicket;
use aftersales_domain::service_report::{ReportStatus, ServiceReport};
use axum::extract::{Path, State};
use serde::Serialize;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Json;
use crate::openapi::ErrorResponse;

/// What a link is for while it can be used, or why it no longer can.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LinkView {
    /// What the link does; none once it cannot be used.
    pub purpose: Option<LinkPurpose>,
    /// Why the link can no longer be used (used, expired, withdrawn, superseded).
    pub problem: Option<LinkProblem>,
    /// The request it is about, in the customer's words, while usable.
    pub ticket: Option<CustomerTicket>,
    /// The service report version a report link signs, while usable.
    pub report: Option<LinkReport>,
}

/// The version a report link signs, as its holder sees it (no staff ids, no internal ids of
/// the ticket's files).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LinkReport {
    pub version: i32,
    pub status: ReportStatus,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: aftersales_domain::Timestamp,
}

impl From<ServiceReport> for LinkReport {
    fn from(r: ServiceReport) -> LinkReport {
        LinkReport { version: r.version, status: r.status, created_at: r.created_at }
    }
}

/// What a link is for (opening it changes nothing).
#[utoipa::path(get, path = "/api/v1/links/{token}", tag = "links",
    params(("token" = String, Path, description = "The token of the mailed link (`/l/{token}`)")),
    responses(
        (status = 200, body = LinkView),
        (status = 404, body = ErrorResponse, description = "No such link (it names nothing)"),
        (status = 422, body = ErrorResponse, description = "The token holds a character no link has (a control character)"),
    ))]
pub async fn get(State(s): State<AppState>, Path(token): Path<String>) -> Result<axum::Json<LinkView>, ApiError> {
    let view = match s.app.link_state(&token).await? {
        LinkState::Usable { purpose, ticket, .. } => {
            let report = if purpose == LinkPurpose::Report { s.app.link_report(&token).await? } else { None };
            let report = report.map(LinkReport::from);
            LinkView { purpose: Some(purpose), problem: None, ticket: Some(*ticket), report }
        }
        LinkState::Spent { problem, .. } => {
            LinkView { purpose: None, problem: Some(problem), ticket: None, report: None }
        }
    };
    Ok(axum::Json(view))
}

/// The link's answer, taken once: confirm or refuse closure, rate the service, approve or
/// refuse a quote, sign or refuse a service report (`sign` with the drawn PNG).
#[utoipa::path(post, path = "/api/v1/links/{token}", tag = "links",
    params(("token" = String, Path, description = "The token of the mailed link (`/l/{token}`)")),
    request_body = LinkAnswer,
    responses(
        (status = 200, body = CustomerTicket, description = "Done; the request as the customer now sees it"),
        (status = 400, body = ErrorResponse, description = "Malformed JSON or an unknown answer"),
        (status = 404, body = ErrorResponse, description = "No such link (it names nothing)"),
        (status = 409, body = ErrorResponse, description = "Used, expired, withdrawn or superseded; or the request's state does not allow it"),
        (status = 422, body = ErrorResponse, description = "A field of the answer (a reason, the signer, the signature image)"),
    ))]
pub async fn answer(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Json(answer): Json<LinkAnswer>,
) -> Result<axum::Json<CustomerTicket>, ApiError> {
    Ok(axum::Json(s.app.use_link(&token, &answer).await?))
}
