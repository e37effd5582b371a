//! The departments that cooperate on tickets (DOMAIN §2, seed 002): the administrator adds,
//! renames and retires them; a code never changes, since tickets and work orders keep it.

use aftersales_domain::permission::Action;
use aftersales_domain::work_order::{Department, DepartmentInput};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::form::{PageId, app_err, done_message, require};
use super::labels::Kind;
use super::shared::{Done, after_post};
use crate::AppState;
use crate::pages::layout::Nav;
use crate::pages::view::L;
use crate::pages::{PageError, Posted, Signed, render};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct DepartmentForm {
    code: String,
    name_zh: String,
    name_en: String,
    /// `retired` to retire, anything else keeps it in use.
    state: String,
}

impl DepartmentForm {
    fn input(&self) -> DepartmentInput {
        DepartmentInput {
            code: self.code.clone(),
            name_zh: self.name_zh.clone(),
            name_en: self.name_en.clone(),
            active: Some(self.state != "retired"),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/departments.html")]
struct DepartmentsPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    departments: Vec<Department>,
    f: DepartmentForm,
    message: Option<String>,
    error: Option<String>,
}

async fn page(
    s: &AppState,
    who: &Signed,
    f: DepartmentForm,
    message: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(who, Action::ManageCatalog)?;
    let departments = s.app.departments(&who.actor).await.map_err(app_err(l))?;
    let nav = Some(Nav::of(s, who, "admin").await);
    Ok((status, render(&DepartmentsPage { l, nav, departments, f, message, error })).into_response())
}

pub(crate) async fn departments(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let message = done_message(&who.l, &q.done);
    page(&s, &who, DepartmentForm::default(), message, None, StatusCode::OK).await
}

pub(crate) async fn create(
    State(s): State<AppState>,
    Posted { who, form: f }: Posted<DepartmentForm>,
) -> Result<Response, PageError> {
    let result = s.app.create_department(&who.actor, &f.input()).await;
    after_post(
        result,
        |_| "/admin/departments?done=created".into(),
        Kind::Setting,
        &who.l,
        |p, status| page(&s, &who, f, None, p.summary, status),
    )
    .await
}

pub(crate) async fn update(
    State(s): State<AppState>,
    PageId(id): PageId,
    Posted { who, form: f }: Posted<DepartmentForm>,
) -> Result<Response, PageError> {
    let result = s.app.update_department(&who.actor, id, &f.input()).await;
    after_post(
        result,
        |_| "/admin/departments?done=saved".into(),
        Kind::Setting,
        &who.l,
        |p, status| page(&s, &who, DepartmentForm::default(), None, p.summary, status),
    )
    .await
}
