//! Tickets: registration, reading, listing, editing, lifecycle steps, history and work log.

use aftersales_app::portal::CustomerTicketPage;
use aftersales_app::tickets::{
    Command, DispatchSuggestion, ListQuery, StepOutcome, TicketEdit, TicketPage, TicketView,
};
use aftersales_app::{Idem, Outcome};
use aftersales_domain::audience::Visibility;
use aftersales_domain::customer_view::{CustomerEvent, CustomerLogEntry, CustomerTicket};
use aftersales_domain::event::Event;
use aftersales_domain::grading::{ChangeRequestStatus, PriorityChangeRequest};
use aftersales_domain::registration::Registration;
use aftersales_domain::worklog::{LogEntry, LogKind};
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::extract::{Auth, IdPath, IfMatch, Json, Query, idempotency, parse_json};
use crate::openapi::ErrorResponse;
use crate::{AppState, etag};

/// A ticket as the reader sees it: the staff's view, or a customer contact's projection
/// (DOMAIN §8: no internal clocks, priority, level, policy or staff notes).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum TicketRead {
    Staff(Box<TicketView>),
    Customer(Box<CustomerTicket>),
}

/// A page of tickets as the reader sees them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum TicketPageRead {
    Staff(TicketPage),
    Customer(CustomerTicketPage),
}

/// A ticket's history: every change (staff), or its milestones in customer words.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum HistoryRead {
    Staff(Vec<Event>),
    Customer(Vec<CustomerEvent>),
}

/// The work log: every entry (staff), or the entries addressed to the customer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum WorkLogRead {
    Staff(Vec<LogEntry>),
    Customer(Vec<CustomerLogEntry>),
}

/// What a step did: the staff's outcome, or the ticket in the customer's projection.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum StepRead {
    Staff(Box<StepOutcome>),
    Customer(Box<CustomerTicket>),
}

/// A ticket with its version as `ETag`.
fn with_etag(status: StatusCode, version: i64, body: impl Serialize) -> Response {
    let mut r = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

/// Renders an idempotent outcome; a replay returns the recorded answer unchanged.
fn outcome<T: Serialize>(o: Outcome<T>, status: StatusCode, version: impl Fn(&T) -> Option<i64>) -> Response {
    match o {
        Outcome::Fresh(v) => match version(&v) {
            Some(ver) => with_etag(status, ver, v),
            None => (status, axum::Json(v)).into_response(),
        },
        Outcome::Replayed { status, body } => {
            let parsed: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            let ver = parsed.get("ticket").unwrap_or(&parsed).get("version").and_then(serde_json::Value::as_i64);
            let mut r = (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            h.insert("idempotent-replayed", HeaderValue::from_static("true"));
            if let Some(v) = ver.and_then(|v| HeaderValue::from_str(&etag(v)).ok()) {
                h.insert(header::ETAG, v);
            }
            r
        }
    }
}

fn idem(headers: &HeaderMap, uri: &OriginalUri, body: &Bytes, status: StatusCode) -> Result<Option<Idem>, ApiError> {
    idempotency(headers, "POST", uri.path(), body, status.as_u16())
}

/// 登记报修: registers a request. Refused with every missing or vague field named.
/// Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", security(("bearer" = [])), request_body = Registration,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry key: the same key and body returns the first answer")),
    responses(
        (status = 201, body = TicketRead, description = "Registered; ETag is the version"),
        (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse),
        (status = 422, body = ErrorResponse, description = "Missing, vague or invalid fields, or a reused Idempotency-Key"),
    ))]
pub async fn register(
    State(s): State<AppState>,
    Auth(actor): Auth,
    uri: OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let input: Registration = parse_json(&headers, &body)?;
    let idem = idem(&headers, &uri, &body, StatusCode::CREATED)?;
    if actor.is_customer() {
        let o = s.app.customer_register(&actor, &input, idem.as_ref()).await?;
        return Ok(outcome(o, StatusCode::CREATED, |t: &CustomerTicket| Some(t.version)));
    }
    let o = s.app.register(&actor, &input, idem.as_ref()).await?;
    Ok(outcome(o, StatusCode::CREATED, |t: &TicketView| Some(t.ticket.version)))
}

/// Tickets, filtered and sorted by allow-listed fields only.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = TicketPageRead), (status = 400, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<TicketPageRead>, ApiError> {
    Ok(axum::Json(if actor.is_customer() {
        TicketPageRead::Customer(s.app.customer_tickets(&actor, &q).await?)
    } else {
        TicketPageRead::Staff(s.app.tickets(&actor, &q).await?)
    }))
}

/// Reads a ticket in the reader's projection, answered with its version as `ETag`.
fn read(t: TicketRead) -> Response {
    let version = match &t {
        TicketRead::Staff(v) => v.ticket.version,
        TicketRead::Customer(c) => c.version,
    };
    with_etag(StatusCode::OK, version, t)
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = TicketRead, description = "ETag is the version"), (status = 404, body = ErrorResponse)))]
pub async fn get(State(s): State<AppState>, Auth(actor): Auth, IdPath(id): IdPath) -> Result<Response, ApiError> {
    Ok(read(if actor.is_customer() {
        TicketRead::Customer(Box::new(s.app.customer_ticket(&actor, id).await?))
    } else {
        TicketRead::Staff(Box::new(s.app.ticket(&actor, id).await?))
    }))
}

#[utoipa::path(get, path = "/api/v1/tickets/by-number/{number}", tag = "tickets", security(("bearer" = [])),
    params(("number" = String, Path, example = "20240315-001")),
    responses((status = 200, body = TicketRead), (status = 404, body = ErrorResponse)))]
pub async fn by_number(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(number): Path<String>,
) -> Result<Response, ApiError> {
    Ok(read(if actor.is_customer() {
        TicketRead::Customer(Box::new(s.app.customer_ticket_by_number(&actor, &number).await?))
    } else {
        TicketRead::Staff(Box::new(s.app.ticket_by_number(&actor, &number).await?))
    }))
}

/// Edits registration details. Needs `If-Match` with the ticket's ETag.
#[utoipa::path(patch, path = "/api/v1/tickets/{id}", tag = "tickets", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag the change is based on")),
    request_body = TicketEdit,
    responses(
        (status = 200, body = TicketView), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse),
        (status = 412, body = ErrorResponse, description = "Stale: the body carries the current ticket"),
        (status = 422, body = ErrorResponse), (status = 428, body = ErrorResponse),
    ))]
pub async fn edit(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    if_match: Option<IfMatch>,
    Json(edit): Json<TicketEdit>,
) -> Result<Response, ApiError> {
    let t = s.app.edit_ticket(&actor, id, if_match.map(|m| m.0), &edit).await?;
    Ok(with_etag(StatusCode::OK, t.ticket.version, t))
}

/// Takes one lifecycle step (`{"action": "dispatch", …}`). Needs `If-Match`; honours
/// `Idempotency-Key`. Illegal steps are refused with the current state named.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/transitions", tag = "tickets", security(("bearer" = [])),
    params(("id" = i64, Path), ("If-Match" = String, Header, description = "The ETag the step is based on"),
        ("Idempotency-Key" = Option<String>, Header)),
    request_body = Command,
    responses(
        (status = 200, body = StepRead), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse, description = "Not allowed in the ticket's current state"),
        (status = 412, body = ErrorResponse, description = "Stale: the body carries the current ticket"),
        (status = 422, body = ErrorResponse), (status = 428, body = ErrorResponse),
    ))]
pub async fn transition(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    if_match: Option<IfMatch>,
    uri: OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let cmd: Command = parse_json(&headers, &body)?;
    let idem = idem(&headers, &uri, &body, StatusCode::OK)?;
    if actor.is_customer() {
        let o = s.app.customer_act(&actor, id, if_match.map(|m| m.0), &cmd, idem.as_ref()).await?;
        return Ok(outcome(o, StatusCode::OK, |t: &CustomerTicket| Some(t.version)));
    }
    let o = s.app.act(&actor, id, if_match.map(|m| m.0), &cmd, idem.as_ref()).await?;
    Ok(outcome(o, StatusCode::OK, |o: &StepOutcome| Some(o.ticket.ticket.version)))
}

/// The ticket's history: every change with who, when, and before → after (staff), or its
/// milestones in customer words (a customer contact).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/events", tag = "tickets", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = HistoryRead), (status = 404, body = ErrorResponse)))]
pub async fn events(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<HistoryRead>, ApiError> {
    Ok(axum::Json(if actor.is_customer() {
        HistoryRead::Customer(s.app.customer_timeline(&actor, id).await?)
    } else {
        HistoryRead::Staff(s.app.history(&actor, id).await?)
    }))
}

/// The work log: every entry with its audience (staff), or the entries addressed to the
/// customer (a customer contact).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/worklog", tag = "tickets", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = WorkLogRead), (status = 404, body = ErrorResponse)))]
pub async fn work_log(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<WorkLogRead>, ApiError> {
    Ok(axum::Json(if actor.is_customer() {
        WorkLogRead::Customer(s.app.customer_work_log(&actor, id).await?)
    } else {
        WorkLogRead::Staff(s.app.work_log(&actor, id).await?)
    }))
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLogEntry {
    pub kind: LogKind,
    pub body: String,
    /// `internal` or `customer`; default: the kind's own (a diagnosis is internal unless
    /// written for the customer; instructions and status notes are always internal).
    pub visibility: Option<Visibility>,
}

/// Adds a work log entry (技术处理过程记录). Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/worklog", tag = "tickets", security(("bearer" = [])),
    params(("id" = i64, Path), ("Idempotency-Key" = Option<String>, Header)), request_body = NewLogEntry,
    responses((status = 201, body = LogEntry), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn add_log(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    uri: OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let entry: NewLogEntry = parse_json(&headers, &body)?;
    let idem = idem(&headers, &uri, &body, StatusCode::CREATED)?;
    let o = s.app.add_log(&actor, id, entry.kind, &entry.body, entry.visibility, idem.as_ref()).await?;
    Ok(outcome(o, StatusCode::CREATED, |_: &LogEntry| None))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SuggestionQuery {
    /// Another group than the one the category maps to.
    pub group_id: Option<i64>,
}

/// The engineers who could take the ticket, best first (same region, fewest open tickets,
/// first line before second line).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/dispatch-suggestion", tag = "tickets", security(("bearer" = [])),
    params(("id" = i64, Path), SuggestionQuery),
    responses((status = 200, body = DispatchSuggestion), (status = 404, body = ErrorResponse)))]
pub async fn dispatch_suggestion(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Query(q): Query<SuggestionQuery>,
) -> Result<axum::Json<DispatchSuggestion>, ApiError> {
    Ok(axum::Json(s.app.dispatch_suggestion(&actor, id, q.group_id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RequestQuery {
    pub ticket_id: Option<i64>,
    pub status: Option<ChangeRequestStatus>,
}

/// Priority downgrade requests (the supervisor's approval queue).
#[utoipa::path(get, path = "/api/v1/priority-requests", tag = "tickets", security(("bearer" = [])), params(RequestQuery),
    responses((status = 200, body = Vec<PriorityChangeRequest>), (status = 403, body = ErrorResponse)))]
pub async fn priority_requests(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<RequestQuery>,
) -> Result<axum::Json<Vec<PriorityChangeRequest>>, ApiError> {
    Ok(axum::Json(s.app.priority_change_requests(&actor, q.ticket_id, q.status).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub approve: bool,
    pub note: Option<String>,
}

/// A supervisor approves or rejects a downgrade request.
#[utoipa::path(post, path = "/api/v1/priority-requests/{id}/decision", tag = "tickets", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = Decision,
    responses((status = 200, body = StepOutcome), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
pub async fn decide_priority_request(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(d): Json<Decision>,
) -> Result<Response, ApiError> {
    let o = s.app.decide_priority_change(&actor, id, d.approve, d.note.as_deref()).await?;
    Ok(with_etag(StatusCode::OK, o.ticket.ticket.version, o))
}
