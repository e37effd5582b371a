//! The supervisor's queue of priority downgrades (DOMAIN §3: lowering a ticket's level needs a
//! supervisor's approval): each pending request with its ticket, the levels, the reason and who
//! asked, approved or rejected with a note; the decided ones below for the record.

use aftersales_app::directory::Names;
use aftersales_app::tickets::TicketView;
use aftersales_domain::Id;
use aftersales_domain::grading::{ChangeRequestStatus, PriorityChangeRequest};
use aftersales_domain::permission::Action;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::tickets::Nav;
use super::view::L;
use super::{PageError, Signed, render};
use crate::AppState;

/// How many decided requests the page shows under the pending ones.
const DECIDED_SHOWN: usize = 50;

#[derive(Debug, Default, Deserialize)]
pub struct ApprovalsQuery {
    #[serde(default)]
    done: String,
}

/// A request with what the supervisor needs to decide it.
struct Row {
    request: PriorityChangeRequest,
    ticket: Option<TicketView>,
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
}

pub async fn approvals(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<ApprovalsQuery>,
) -> Result<Response, PageError> {
    let message = match q.done.as_str() {
        "approved" => Some(who.l.t("已批准，工单等级已调整。", "Approved: the ticket's level is changed.").to_owned()),
        "rejected" => Some(who.l.t("已驳回，工单等级不变。", "Rejected: the ticket keeps its level.").to_owned()),
        _ => None,
    };
    page(&s, &who, message, None, StatusCode::OK).await
}

async fn page(
    s: &AppState,
    who: &Signed,
    message: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    let err = |e| PageError::App(e, l.clone());
    let all = s.app.priority_change_requests(&who.actor, None, None).await.map_err(err)?;
    let (pending, mut decided): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|r| r.status == ChangeRequestStatus::Pending);
    decided.sort_by_key(|r| std::cmp::Reverse(r.decided_at));
    decided.truncate(DECIDED_SHOWN);
    let mut users: Vec<Id> = Vec::new();
    let mut customers: Vec<Id> = Vec::new();
    let mut rows = async |list: Vec<PriorityChangeRequest>| {
        let mut out = Vec::with_capacity(list.len());
        for request in list {
            // A ticket the reader may not see stays a bare request (never happens for staff).
            let ticket = s.app.ticket(&who.actor, request.ticket_id).await.ok();
            users.push(request.requested_by);
            users.extend(request.decided_by);
            if let Some(t) = &ticket {
                customers.push(t.customer_id);
            }
            out.push(Row { request, ticket });
        }
        out
    };
    let pending = rows(pending).await;
    let decided = rows(decided).await;
    let names = s.app.names(&who.actor, &users, &customers).await.map_err(err)?;
    let may_decide = aftersales_domain::permission::allows(who.actor.user.role, Action::DecidePriorityChange);
    let nav = Some(Nav::of(s, who, "approvals").await);
    let mut res = render(&Approvals { l, nav, pending, decided, names, may_decide, message, error });
    *res.status_mut() = status;
    Ok(res)
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

pub async fn decide(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &f.csrf)?;
    let Ok(id) = id.parse::<Id>() else { return Err(PageError::NotFound(who.l.clone())) };
    let l = &who.l;
    let approve = match f.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            let e = l.t("请选择批准或驳回。", "Choose approve or reject.").to_owned();
            return page(&s, &who, None, Some(e), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    // Rejecting tells the requester why; the reason is required there.
    if !approve && f.note.trim().is_empty() {
        let e = l.t("驳回时请写明理由。", "Give a reason when rejecting.").to_owned();
        return page(&s, &who, None, Some(e), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
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
            page(&s, &who, None, Some(e.message(l.lang)), status).await
        }
    }
}
