//! The desk's callbacks (回访, DOMAIN §6): the worklist by due time with its filters, a
//! callback's page where the desk logs an attempt and records the structured survey and praise
//! or complaints per engineer, the closing check (有反馈、有处理、有结果、有回访), and the archive
//! by customer – type – date with its ZIP download. Each calls the same use case as the API.

use std::collections::HashMap;

use aftersales_app::callbacks::{
    ArchivePage, ArchiveQuery, AttemptInput, CallbackPage, CallbackQuery, CallbackScreen, ClosureGapPage, DueFilter,
    FeedbackInput, SurveyInput,
};
use aftersales_app::users::Page;
use aftersales_domain::Id;
use aftersales_domain::callback::{AttemptOutcome, CallbackReason, FeedbackKind};
use aftersales_domain::clock::SurveyResult;
use aftersales_domain::ticket::Kind;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::layout::Nav;
use super::view::{L, Pager};
use super::{PageError, Signed, render};
use crate::AppState;
use crate::pages::Posted;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WorklistForm {
    status: String,
    due: String,
    reason: String,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "callbacks/worklist.html")]
struct Worklist<'a> {
    l: &'a L,
    nav: Option<Nav>,
    list: CallbackPage,
    status: String,
    due: String,
    reason: String,
    reasons: &'static [CallbackReason],
    pager: Pager,
}

/// `GET /callbacks`: the worklist.
pub async fn worklist(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<WorklistForm>,
) -> Result<Response, PageError> {
    let l = &who.l;
    let err = |e| PageError::App(e, l.clone());
    let page = Page::new(q.page, None).map_err(err)?;
    let due = match q.due.as_str() {
        "overdue" => DueFilter::Overdue,
        "today" => DueFilter::Today,
        _ => DueFilter::All,
    };
    // The desk opens the list on what is still to call.
    let status = if q.status.is_empty() && q.due.is_empty() && q.reason.is_empty() && q.page.is_none() {
        "pending".to_owned()
    } else {
        q.status.clone()
    };
    let query = CallbackQuery { status: Some(status.clone()), due, reason: Some(q.reason.clone()), page };
    let list = s.app.callbacks(&who.actor, &query).await.map_err(err)?;
    let pager = Pager::new(
        "/callbacks",
        list.page,
        list.total,
        list.per_page,
        &[("status", &status), ("due", &q.due), ("reason", &q.reason)],
    );
    let nav = Some(Nav::of(&s, &who, "callbacks").await);
    Ok(render(&Worklist { l, nav, list, status, due: q.due, reason: q.reason, reasons: CallbackReason::ALL, pager }))
}

#[derive(Template)]
#[template(path = "callbacks/callback.html")]
struct CallbackPageView<'a> {
    l: &'a L,
    nav: Option<Nav>,
    c: CallbackScreen,
    message: Option<String>,
    error: Option<String>,
    outcomes: &'static [AttemptOutcome],
    results: &'static [SurveyResult],
    /// The form as it came back with an error.
    kept: HashMap<String, String>,
}

impl CallbackPageView<'_> {
    fn kept(&self, k: &str) -> &str {
        self.kept.get(k).map_or("", String::as_str)
    }

    fn checked(&self, k: &str, v: &str) -> bool {
        self.kept.get(k).is_some_and(|x| x == v)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

/// `GET /callbacks/{id}`.
pub async fn callback(
    State(s): State<AppState>,
    Path(id): Path<String>,
    who: Signed,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let Ok(id) = id.parse::<Id>() else { return Err(PageError::NotFound(who.l.clone())) };
    let message = match q.done.as_str() {
        "attempt" => Some(who.l.t("callbacks.attempt_logged").to_owned()),
        "action" => Some(who.l.t("callbacks.action_recorded").to_owned()),
        _ => None,
    };
    callback_page(&s, &who, id, message, None, StatusCode::OK, HashMap::new()).await
}

async fn callback_page(
    s: &AppState,
    who: &Signed,
    id: Id,
    message: Option<String>,
    error: Option<String>,
    status: StatusCode,
    kept: HashMap<String, String>,
) -> Result<Response, PageError> {
    let l = &who.l;
    let c = s.app.callback(&who.actor, id).await.map_err(|e| PageError::App(e, l.clone()))?;
    let nav = Some(Nav::of(s, who, "callbacks").await);
    let mut res = render(&CallbackPageView {
        l,
        nav,
        c,
        message,
        error,
        outcomes: AttemptOutcome::ALL,
        results: SurveyResult::ALL,
        kept,
    });
    *res.status_mut() = status;
    Ok(res)
}

/// The attempt the form describes, or the field it cannot read.
fn attempt_of(f: &HashMap<String, String>, tz: &jiff::tz::TimeZone) -> Result<AttemptInput, &'static str> {
    let get = |k: &str| f.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let text = |k: &str| get(k).map(str::to_owned);
    let yes_no = |k: &'static str| match get(k) {
        None => Ok(None),
        Some("yes") => Ok(Some(true)),
        Some("no") => Ok(Some(false)),
        Some(_) => Err(k),
    };
    let outcome = get("outcome").and_then(AttemptOutcome::from_code).ok_or("outcome")?;
    let call_back_at = match get("call_back_at") {
        None => None,
        Some(v) => Some(super::view::datetime_local(v, tz).ok_or("call_back_at")?),
    };
    let mut feedback = Vec::new();
    let mut keys: Vec<&String> = f.keys().filter(|k| k.starts_with("fb_kind_")).collect();
    keys.sort();
    for k in keys {
        let Some(kind) = get(k) else { continue };
        let kind = FeedbackKind::from_code(kind).ok_or("feedback")?;
        let engineer_id: Id = k.trim_start_matches("fb_kind_").parse().map_err(|_| "feedback")?;
        feedback.push(FeedbackInput { engineer_id, kind, note: text(&format!("fb_note_{engineer_id}")) });
    }
    let survey = if outcome == AttemptOutcome::Reached {
        match get("result") {
            None => None,
            Some(r) => Some(SurveyInput {
                result: SurveyResult::from_code(r).ok_or("result")?,
                solved: yes_no("solved")?,
                speed_ok: yes_no("speed_ok")?,
                suggestions: text("suggestions"),
                note: text("survey_note"),
            }),
        }
    } else {
        None
    };
    // Praise and complaints are gathered on a call that reached the customer.
    let feedback = if outcome == AttemptOutcome::Reached { feedback } else { Vec::new() };
    Ok(AttemptInput { outcome, note: text("note"), call_back_at, survey, feedback })
}

/// `POST /callbacks/{id}/attempt`.
pub async fn attempt(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { who, form }: Posted<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let Ok(id) = id.parse::<Id>() else { return Err(PageError::NotFound(who.l.clone())) };
    let l = &who.l;
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok());
    let input = match attempt_of(&form, &s.app.settings().time_zone) {
        Ok(i) => i,
        Err(field) => {
            let e = l.tf("callbacks.field_unreadable", &[("field", &field)]);
            return callback_page(&s, &who, id, None, Some(e), StatusCode::UNPROCESSABLE_ENTITY, form).await;
        }
    };
    match s.app.log_attempt(&who.actor, id, version, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/callbacks/{id}?done=attempt")).into_response()),
        Err(e) => {
            let status = crate::error::status_of(&e);
            if status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND {
                return Err(PageError::App(e, l.clone()));
            }
            callback_page(&s, &who, id, None, Some(e.message(l.lang)), status, form).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActionForm {
    action: String,
    callback_id: String,
}

/// `POST /feedback/{id}/action`: a complaint's improvement action, reported back.
pub async fn action(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Posted { who, form }: Posted<ActionForm>,
) -> Result<Response, PageError> {
    let Ok(id) = id.parse::<Id>() else { return Err(PageError::NotFound(who.l.clone())) };
    let l = &who.l;
    let back: Option<Id> = form.callback_id.parse().ok();
    match (s.app.report_action(&who.actor, id, &form.action).await, back) {
        (Ok(f), _) => {
            Ok(Redirect::to(&format!("/callbacks/{}?done=action", f.callback_id.or(back).unwrap_or_default()))
                .into_response())
        }
        (Err(e), Some(cb)) => {
            let status = crate::error::status_of(&e);
            if status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND {
                return Err(PageError::App(e, l.clone()));
            }
            let kept = HashMap::from([(format!("action_{id}"), form.action.clone())]);
            callback_page(&s, &who, cb, None, Some(e.message(l.lang)), status, kept).await
        }
        (Err(e), None) => Err(PageError::App(e, l.clone())),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PeriodForm {
    from: String,
    to: String,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "callbacks/closure_check.html")]
struct ClosureCheck<'a> {
    l: &'a L,
    nav: Option<Nav>,
    from: String,
    to: String,
    list: Option<ClosureGapPage>,
    error: Option<String>,
    pager: Option<Pager>,
}

impl ClosureCheck<'_> {
    fn count_text(&self) -> String {
        let n = self.list.as_ref().map_or(0, |p| p.total);
        self.l.tf("callbacks.closure_count", &[("count", &n)])
    }
}

/// The last 30 days, as the default period of the lists.
fn last_month(s: &AppState) -> (String, String) {
    let today = s.app.now().to_zoned(s.app.settings().time_zone.clone()).date();
    let from = today.checked_sub(jiff::Span::new().days(30)).unwrap_or(today);
    (from.to_string(), today.to_string())
}

/// `GET /closure-check`.
pub async fn closure_check(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<PeriodForm>,
) -> Result<Response, PageError> {
    let l = &who.l;
    let (from0, to0) = last_month(&s);
    let from = if q.from.trim().is_empty() { from0 } else { q.from.trim().to_owned() };
    let to = if q.to.trim().is_empty() { to0 } else { q.to.trim().to_owned() };
    let page = Page::new(q.page, None).map_err(|e| PageError::App(e, l.clone()))?;
    let (list, error, status) = match s.app.closure_check(&who.actor, &from, &to, page).await {
        Ok(p) => (Some(p), None, StatusCode::OK),
        Err(e) => {
            let status = crate::error::status_of(&e);
            if status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND {
                return Err(PageError::App(e, l.clone()));
            }
            (None, Some(e.message(l.lang)), status)
        }
    };
    let pager = list
        .as_ref()
        .map(|p| Pager::new("/closure-check", p.page, p.total, p.per_page, &[("from", &from), ("to", &to)]));
    let nav = Some(Nav::of(&s, &who, "closure_check").await);
    let mut res = render(&ClosureCheck { l, nav, from, to, list, error, pager });
    *res.status_mut() = status;
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ArchiveForm {
    customer_id: String,
    kind: String,
    from: String,
    to: String,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "callbacks/archive.html")]
struct Archive<'a> {
    l: &'a L,
    nav: Option<Nav>,
    f: ArchiveForm,
    customers: Vec<(Id, String)>,
    kinds: &'static [Kind],
    list: Option<ArchivePage>,
    error: Option<String>,
    pager: Option<Pager>,
    export_href: String,
}

impl ArchiveForm {
    fn query(&self, l: &L) -> Result<ArchiveQuery, String> {
        let customer_id = match self.customer_id.trim() {
            "" => None,
            c => Some(c.parse::<Id>().map_err(|_| l.tf("callbacks.field_unreadable", &[("field", &"customer_id")]))?),
        };
        let page = Page::new(self.page, None).map_err(|e| e.message(l.lang))?;
        Ok(ArchiveQuery {
            customer_id,
            kind: Some(self.kind.clone()),
            category_id: None,
            from: Some(self.from.clone()),
            to: Some(self.to.clone()),
            page,
        })
    }

    fn filters(&self) -> Vec<(&'static str, &str)> {
        vec![("customer_id", &self.customer_id), ("kind", &self.kind), ("from", &self.from), ("to", &self.to)]
    }
}

/// `GET /archive`.
pub async fn archive(
    State(s): State<AppState>,
    who: Signed,
    Query(mut f): Query<ArchiveForm>,
) -> Result<Response, PageError> {
    let l = &who.l;
    if f.from.is_empty() && f.to.is_empty() {
        (f.from, f.to) = last_month(&s);
    }
    let all = Page { page: 1, per_page: Page::MAX_PER_PAGE };
    let customers = s
        .app
        .search_customers(&who.actor, None, all)
        .await
        .map_err(|e| PageError::App(e, l.clone()))?
        .0
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let (list, error, status) = match f.query(l) {
        Err(e) => (None, Some(e), StatusCode::UNPROCESSABLE_ENTITY),
        Ok(q) => match s.app.archive(&who.actor, &q).await {
            Ok(p) => (Some(p), None, StatusCode::OK),
            Err(e) => {
                let status = crate::error::status_of(&e);
                if status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND {
                    return Err(PageError::App(e, l.clone()));
                }
                (None, Some(e.message(l.lang)), status)
            }
        },
    };
    let filters = f.filters();
    let pager = list.as_ref().map(|p| Pager::new("/archive", p.page, p.total, p.per_page, &filters));
    let query: String = filters
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", super::form_urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let export_href = format!("/archive/export?{query}");
    let nav = Some(Nav::of(&s, &who, "archive").await);
    let mut res = render(&Archive { l, nav, f, customers, kinds: Kind::ALL, list, error, pager, export_href });
    *res.status_mut() = status;
    Ok(res)
}

/// `GET /archive/export`: the period as a ZIP.
pub async fn export(
    State(s): State<AppState>,
    who: Signed,
    Query(f): Query<ArchiveForm>,
) -> Result<Response, PageError> {
    let l = &who.l;
    let q = match f.query(l) {
        Ok(q) => q,
        Err(_) => return Err(PageError::NotFound(l.clone())),
    };
    let file = s.app.archive_zip(&who.actor, &q).await.map_err(|e| PageError::App(e, l.clone()))?;
    Ok(crate::api::reporting::list_download(file))
}
