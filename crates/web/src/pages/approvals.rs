//! The supervisor's queue of priority downgrades (DOMAIN §3: lowering a ticket's level needs a
//! supervisor's approval): each pending request with its ticket, the levels, the reason and who
//! asked, approved or rejected with a note; the decided ones below for the record.

use std::collections::HashMap;

use aftersales_app::directory::Names;
use aftersales_domain::Id;
use aftersales_domain::grading::{ChangeRequestStatus, PriorityChangeRequest};
use aftersales_domain::permission::Action;
use aftersales_domain::ticket::Ticket;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::layout::Nav;
use super::view::L;
use super::{PageError, Signed, render};
use crate::AppState;
use crate::pages::Posted;

/// How many decided requests the page shows under the pending ones.
const DECIDED_SHOWN: u64 = 50;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ApprovalsQuery {
    done: String,
}

/// A request with the ticket it is about (none if the reader cannot see it).
struct Row {
    request: PriorityChangeRequest,
    ticket: Option<Ticket>,
}

#[derive(Template)]
#[template(path = "approvals.html")]
struct Approvals<'a> {
    l: &'a L,
    nav: Option<Nav>,
    pending: Vec<Row>,
    decided: Vec<Row>,
    names: Names,
    may_decide: bool,
    message: Option<String>,
    error: Option<String>,
    /// The note typed into a request's form that came back with an error.
    kept: Option<(Id, String)>,
}

impl Approvals<'_> {
    fn kept_note(&self, id: &Id) -> &str {
        self.kept.as_ref().filter(|(k, _)| k == id).map_or("", |(_, n)| n.as_str())
    }
}

pub async fn approvals(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<ApprovalsQuery>,
) -> Result<Response, PageError> {
    let message = match q.done.as_str() {
        "approved" => Some(who.l.t("approvals.approved_the_ticket_s_level_is").to_owned()),
        "rejected" => Some(who.l.t("approvals.rejected_the_ticket_keeps_its_level").to_owned()),
        _ => None,
    };
    page(&s, &who, message, None, StatusCode::OK, None).await
}

async fn page(
    s: &AppState,
    who: &Signed,
    message: Option<String>,
    error: Option<String>,
    status: StatusCode,
    kept: Option<(Id, String)>,
) -> Result<Response, PageError> {
    let l = &who.l;
    let err = |e| PageError::App(e, l.clone());
    // Pending requests are bounded by the open tickets; the decided ones by the limit.
    let pending =
        s.app.priority_change_requests(&who.actor, None, Some(ChangeRequestStatus::Pending)).await.map_err(err)?;
    let decided = s.app.recent_priority_decisions(&who.actor, DECIDED_SHOWN).await.map_err(err)?;
    let ids: Vec<Id> = pending.iter().chain(&decided).map(|r| r.ticket_id).collect();
    let tickets: HashMap<Id, Ticket> =
        s.app.tickets_by_ids(&who.actor, &ids).await.map_err(err)?.into_iter().map(|t| (t.id, t)).collect();
    let users: Vec<Id> =
        pending.iter().chain(&decided).flat_map(|r| std::iter::once(r.requested_by).chain(r.decided_by)).collect();
    let customers: Vec<Id> = tickets.values().map(|t| t.customer_id).collect();
    let names = s.app.names(&who.actor, &users, &customers).await.map_err(err)?;
    let rows = |list: Vec<PriorityChangeRequest>| -> Vec<Row> {
        list.into_iter().map(|request| Row { ticket: tickets.get(&request.ticket_id).cloned(), request }).collect()
    };
    let pending = rows(pending);
    let decided = rows(decided);
    let may_decide = aftersales_domain::permission::allows(who.actor.user.role, Action::DecidePriorityChange);
    let nav = Some(Nav::of(s, who, "approvals").await);
    let mut res = render(&Approvals { l, nav, pending, decided, names, may_decide, message, error, kept });
    *res.status_mut() = status;
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    decision: String,
    note: String,
}

pub async fn decide(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { who, form: f }: Posted<DecisionForm>,
) -> Result<Response, PageError> {
    let Ok(id) = id.parse::<Id>() else { return Err(PageError::NotFound(who.l.clone())) };
    let l = &who.l;
    let kept = Some((id, f.note.clone()));
    let approve = match f.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            let e = l.t("approvals.choose_approve_or_reject").to_owned();
            return page(&s, &who, None, Some(e), StatusCode::UNPROCESSABLE_ENTITY, kept).await;
        }
    };
    match s.app.decide_priority_change(&who.actor, id, approve, Some(&f.note)).await {
        Ok(_) => {
            Ok(Redirect::to(if approve { "/approvals?done=approved" } else { "/approvals?done=rejected" })
                .into_response())
        }
        Err(e) => {
            let status = crate::error::status_of(&e);
            if status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND {
                return Err(PageError::App(e, l.clone()));
            }
            page(&s, &who, None, Some(e.message(l.lang)), status, kept).await
        }
    }
}
