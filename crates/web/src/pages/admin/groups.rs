//! Handling groups (DOMAIN §1 dispatch): the list with a new-group form, and one group's page.

use aftersales_app::catalog::GroupInput;
use aftersales_domain::Id;
use aftersales_domain::catalog::{Category, Group};
use aftersales_domain::permission::Action;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::form::{PageId, app_err, done_message, require};
use super::shared::{Done, save_or_say};
use crate::AppState;
use crate::pages::Posted;
use crate::pages::layout::Nav;
use crate::pages::view::L;
use crate::pages::{PageError, Signed, render};

// ----- groups -----

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct GroupForm {
    pub(crate) code: String,
    pub(crate) name_zh: String,
    pub(crate) name_en: String,
}

pub(crate) struct GroupRow {
    pub(crate) g: Group,
    pub(crate) categories: usize,
}

#[derive(Template)]
#[template(path = "admin/groups.html")]
pub(crate) struct GroupsPage<'a> {
    pub(crate) l: &'a L,
    pub(crate) nav: Option<Nav>,
    pub(crate) groups: Vec<GroupRow>,
    pub(crate) f: GroupForm,
    pub(crate) message: Option<String>,
    pub(crate) error: Option<String>,
}

pub(crate) async fn groups_page(
    s: &AppState,
    who: &Signed,
    f: GroupForm,
    message: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(who, Action::ManageCatalog)?;
    let categories = s.app.categories(&who.actor).await.map_err(app_err(l))?;
    let groups = s
        .app
        .groups(&who.actor)
        .await
        .map_err(app_err(l))?
        .into_iter()
        .map(|g| GroupRow { categories: categories.iter().filter(|c| c.group_id == Some(g.id)).count(), g })
        .collect();
    let nav = Some(Nav::of(s, who, "admin").await);
    Ok((status, render(&GroupsPage { l, nav, groups, f, message, error })).into_response())
}

pub(crate) async fn groups(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let message = done_message(&who.l, &q.done);
    groups_page(&s, &who, GroupForm::default(), message, None, StatusCode::OK).await
}

pub(crate) fn group_input(f: &GroupForm, with_code: bool) -> GroupInput {
    GroupInput {
        code: with_code.then(|| f.code.trim().to_owned()),
        name_zh: Some(f.name_zh.clone()),
        name_en: Some(f.name_en.clone()),
    }
}

pub(crate) async fn create_group(
    State(s): State<AppState>,
    Posted { who, form: f }: Posted<GroupForm>,
) -> Result<Response, PageError> {
    let result = s.app.create_group(&who.actor, &group_input(&f, true)).await;
    save_or_say(result, "/admin/groups?done=created", &who.l, |error, status| {
        groups_page(&s, &who, f, None, Some(error), status)
    })
    .await
}

#[derive(Template)]
#[template(path = "admin/groups_edit.html")]
pub(crate) struct GroupPage<'a> {
    pub(crate) l: &'a L,
    pub(crate) nav: Option<Nav>,
    pub(crate) id: Id,
    pub(crate) code: String,
    pub(crate) f: GroupForm,
    pub(crate) categories: Vec<Category>,
    pub(crate) error: Option<String>,
}

pub(crate) async fn group_page(
    s: &AppState,
    who: &Signed,
    id: Id,
    f: Option<GroupForm>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(who, Action::ManageCatalog)?;
    let Some(g) = s.app.groups(&who.actor).await.map_err(app_err(l))?.into_iter().find(|g| g.id == id) else {
        return Err(PageError::NotFound(l.clone()));
    };
    let categories: Vec<Category> = s
        .app
        .categories(&who.actor)
        .await
        .map_err(app_err(l))?
        .into_iter()
        .filter(|c| c.group_id == Some(id))
        .collect();
    let f =
        f.unwrap_or_else(|| GroupForm { code: g.code.clone(), name_zh: g.name_zh.clone(), name_en: g.name_en.clone() });
    let nav = Some(Nav::of(s, who, "admin").await);
    Ok((status, render(&GroupPage { l, nav, id, code: g.code, f, categories, error })).into_response())
}

pub(crate) async fn group(State(s): State<AppState>, who: Signed, PageId(id): PageId) -> Result<Response, PageError> {
    group_page(&s, &who, id, None, None, StatusCode::OK).await
}

pub(crate) async fn update_group(
    State(s): State<AppState>,
    PageId(id): PageId,
    Posted { who, form: f }: Posted<GroupForm>,
) -> Result<Response, PageError> {
    let result = s.app.update_group(&who.actor, id, &group_input(&f, false)).await;
    save_or_say(result, "/admin/groups?done=saved", &who.l, |error, status| {
        group_page(&s, &who, id, Some(f), Some(error), status)
    })
    .await
}
