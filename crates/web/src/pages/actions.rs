//! The steps people take on the ticket page (accept, grade, dispatch, contact, work, resolve,
//! confirm or refuse closure, survey …) and work-log entries, as plain HTML forms. A form is
//! turned into the same [`Command`] the API takes and goes through the same use case, with
//! the version the page was showing (a stale page gets the current ticket and a message).

use std::collections::HashMap;

use aftersales_app::AppError;
use aftersales_app::tickets::Command;
use aftersales_domain::Id;
use aftersales_domain::audience::Visibility;
use aftersales_domain::worklog::LogKind;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Map, Value};

use super::tickets::ticket_page;
use super::{PageError, Signed};
use crate::AppState;
use crate::pages::Posted;

/// Form fields that are numbers or yes/no in a [`Command`].
const NUMBERS: &[&str] = &["group_id", "engineer_id"];
const BOOLS: &[&str] = &["approve", "solved", "speed_ok"];

/// The step's JSON as the API would receive it, from the form's fields: empty fields are
/// left out (optional), numbers and yes/no converted, a visit time read in the service
/// time zone.
fn command_json(form: &HashMap<String, String>, tz: &jiff::tz::TimeZone) -> Result<Value, (String, String)> {
    let mut m = Map::new();
    for (k, v) in form {
        let v = v.trim();
        if matches!(k.as_str(), "csrf" | "version" | "customer_visible") || v.is_empty() {
            continue;
        }
        let value = if NUMBERS.contains(&k.as_str()) {
            match v.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => return Err((k.clone(), v.to_owned())),
            }
        } else if BOOLS.contains(&k.as_str()) {
            Value::Bool(v == "true")
        } else if k == "at" {
            // `<input type="datetime-local">`: a wall-clock time in the service time zone.
            match super::view::datetime_local(v, tz) {
                Some(t) => Value::String(t.to_string()),
                None => return Err((k.clone(), v.to_owned())),
            }
        } else {
            Value::String(v.to_owned())
        };
        m.insert(k.clone(), value);
    }
    Ok(Value::Object(m))
}

pub async fn act(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form }: Posted<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let l = &who.l;
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok());
    let json = match command_json(&form, &s.app.settings().time_zone) {
        Ok(j) => j,
        Err((field, value)) => {
            let e = l.tf("actions.malformed_field", &[("field", &field), ("value", &value)]);
            return ticket_page(&s, &who, id, None, Some(e), StatusCode::UNPROCESSABLE_ENTITY, None).await;
        }
    };
    let cmd: Command = match serde_json::from_value(json) {
        Ok(c) => c,
        Err(e) => {
            let msg = l.tf("actions.check_the_form", &[("problem", &e)]);
            return ticket_page(&s, &who, id, None, Some(msg), StatusCode::UNPROCESSABLE_ENTITY, None).await;
        }
    };
    let step = cmd.step();
    let done = if who.actor.is_customer() {
        s.app.customer_act(&who.actor, id, version, &cmd, None).await.map(|_| ())
    } else {
        s.app.act(&who.actor, id, version, &cmd, None).await.map(|_| ())
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/tickets/{id}?done={}", step.code())).into_response()),
        Err(e) => failed(&s, &who, id, e).await,
    }
}

/// Re-renders the ticket page with what went wrong, in the status the API would answer.
pub(super) async fn failed(s: &AppState, who: &Signed, id: Id, e: AppError) -> Result<Response, PageError> {
    let l = &who.l;
    let status = crate::error::status_of(&e);
    match e {
        AppError::NotFound { .. } => Err(PageError::App(e, l.clone())),
        AppError::Stale { .. } => {
            let msg = l.t("actions.someone_else_updated_this_ticket").to_owned();
            ticket_page(s, who, id, None, Some(msg), status, None).await
        }
        e @ (AppError::Domain(_) | AppError::PreconditionRequired) => {
            ticket_page(s, who, id, None, Some(e.message(l.lang)), status, None).await
        }
        e => Err(PageError::App(e, l.clone())),
    }
}

pub async fn add_log(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form }: Posted<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let kind = form.get("kind").and_then(|k| LogKind::from_code(k));
    let Some(kind) = kind else {
        let msg = who.l.t("actions.choose_the_kind_of_entry").to_owned();
        return ticket_page(&s, &who, id, None, Some(msg), StatusCode::UNPROCESSABLE_ENTITY, None).await;
    };
    let body = form.get("body").map_or("", String::as_str);
    // The box "客户可见" asks for the customer audience; unticked, the kind's own applies.
    let visibility = form.get("customer_visible").filter(|v| *v == "1").map(|_| Visibility::Customer);
    match s.app.add_log(&who.actor, id, kind, body, visibility, None).await {
        Ok(_) => Ok(Redirect::to(&format!("/tickets/{id}?done=log")).into_response()),
        Err(e) => failed(&s, &who, id, e).await,
    }
}
