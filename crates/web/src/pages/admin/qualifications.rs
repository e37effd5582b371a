//! Qualified engineers (seed 003): every engineer's qualifications (product line or model,
//! certificate, number, expiry) and training records, kept by administrators and
//! supervisors; dispatch suggests only qualified engineers for a model that needs it.

use aftersales_app::qualifications::EngineerRecord;
use aftersales_domain::Id;
use aftersales_domain::permission::Action;
use aftersales_domain::qualification::{QualificationInput, TrainingInput, TrainingResult};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use serde::Deserialize;

use super::form::{PageId, app_err, done_message, require};
use super::labels::Kind;
use super::shared::{Done, after_post};
use crate::AppState;
use crate::pages::layout::Nav;
use crate::pages::view::L;
use crate::pages::{NoFields, PageError, Posted, Signed, render};

#[derive(Template)]
#[template(path = "admin/qualifications.html")]
struct QualificationsPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    engineers: Vec<EngineerRecord>,
    outcomes: &'static [TrainingResult],
    message: Option<String>,
    error: Option<String>,
    /// The engineer whose form came back with the error.
    open: Option<Id>,
}

impl QualificationsPage<'_> {
    fn is_open(&self, id: &Id) -> bool {
        self.open == Some(*id)
    }
}

async fn page(
    s: &AppState,
    who: &Signed,
    message: Option<String>,
    error: Option<String>,
    open: Option<Id>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(who, Action::ManageQualifications)?;
    let engineers = s.app.engineer_records(&who.actor).await.map_err(app_err(l))?;
    let nav = Some(Nav::of(s, who, "admin").await);
    let p = QualificationsPage { l, nav, engineers, outcomes: TrainingResult::ALL, message, error, open };
    Ok((status, render(&p)).into_response())
}

pub(crate) async fn qualifications(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let message = done_message(&who.l, &q.done);
    page(&s, &who, message, None, None, StatusCode::OK).await
}

/// A date field of a form: empty is none; anything else must be a date (the field's
/// problem otherwise).
fn date(v: &str) -> Result<Option<Date>, ()> {
    match v.trim() {
        "" => Ok(None),
        v => v.parse::<Date>().map(Some).map_err(|_| ()),
    }
}

fn bad_date(field: &'static str) -> aftersales_app::AppError {
    aftersales_app::AppError::invalid(
        field,
        aftersales_domain::error::Reason::Malformed {
            expected_en: "a date (2026-03-15)",
            expected_zh: "日期（如 2026-03-15）",
        },
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct QualificationForm {
    scope: String,
    certificate: String,
    certificate_no: String,
    expires_on: String,
}

pub(crate) async fn add_qualification(
    State(s): State<AppState>,
    PageId(user): PageId,
    Posted { who, form: f }: Posted<QualificationForm>,
) -> Result<Response, PageError> {
    let result = match date(&f.expires_on) {
        Ok(expires_on) => {
            let input = QualificationInput {
                scope: f.scope,
                certificate: f.certificate,
                certificate_no: f.certificate_no,
                expires_on,
            };
            s.app.add_qualification(&who.actor, user, &input).await
        }
        Err(()) => Err(bad_date("expires_on")),
    };
    after_post(
        result,
        |_| "/admin/qualifications?done=created".into(),
        Kind::Setting,
        &who.l,
        |p, status| page(&s, &who, None, p.summary, Some(user), status),
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct TrainingForm {
    course: String,
    taken_on: String,
    outcome: String,
}

pub(crate) async fn add_training(
    State(s): State<AppState>,
    PageId(user): PageId,
    Posted { who, form: f }: Posted<TrainingForm>,
) -> Result<Response, PageError> {
    let result = match date(&f.taken_on) {
        Ok(taken_on) => {
            let input =
                TrainingInput { course: f.course, taken_on, outcome: TrainingResult::from_code(f.outcome.trim()) };
            s.app.add_training(&who.actor, user, &input).await
        }
        Err(()) => Err(bad_date("taken_on")),
    };
    after_post(
        result,
        |_| "/admin/qualifications?done=created".into(),
        Kind::Setting,
        &who.l,
        |p, status| page(&s, &who, None, p.summary, Some(user), status),
    )
    .await
}

/// Withdraws a qualification (its id in the path).
pub(crate) async fn remove(
    State(s): State<AppState>,
    PageId(id): PageId,
    Posted { who, form: NoFields {} }: Posted<NoFields>,
) -> Result<Response, PageError> {
    let result = s.app.remove_qualification(&who.actor, id).await;
    after_post(
        result,
        |_| "/admin/qualifications?done=removed".into(),
        Kind::Setting,
        &who.l,
        |p, status| page(&s, &who, None, p.summary, None, status),
    )
    .await
}
