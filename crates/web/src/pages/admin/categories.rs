//! Problem categories (DOMAIN §2) and the group each defaults to.

use aftersales_app::catalog::CategoryInput;
use aftersales_domain::Id;
use aftersales_domain::catalog::{Category, CategoryFamily, Group};
use aftersales_domain::permission::Action;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::form::{Choice, PageId, app_err, choices, done_message, parse_id, require};
use super::shared::{Done, save_or_say};
use crate::AppState;
use crate::pages::Posted;
use crate::pages::layout::Nav;
use crate::pages::view::L;
use crate::pages::{PageError, Signed, render};

// ----- categories -----

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CategoryForm {
    pub(crate) family: String,
    pub(crate) code: String,
    pub(crate) name_zh: String,
    pub(crate) name_en: String,
    pub(crate) group_id: String,
    /// A checkbox: present when ticked.
    pub(crate) active: Option<String>,
}

impl CategoryForm {
    /// What the form asks for; the family and code only for a new category (they are fixed).
    fn input(&self, new: bool) -> Result<CategoryInput, aftersales_app::AppError> {
        Ok(CategoryInput {
            family: if new { CategoryFamily::from_code(&self.family) } else { None },
            code: new.then(|| self.code.trim().to_owned()),
            name_zh: Some(self.name_zh.clone()),
            name_en: Some(self.name_en.clone()),
            group_id: parse_id("group_id", &self.group_id)?,
            active: Some(self.active.is_some()),
        })
    }
}

pub(crate) struct CategoryRow {
    pub(crate) c: Category,
    pub(crate) group: String,
}

#[derive(Template)]
#[template(path = "admin/categories.html")]
pub(crate) struct CategoriesPage<'a> {
    pub(crate) l: &'a L,
    pub(crate) nav: Option<Nav>,
    pub(crate) categories: Vec<CategoryRow>,
    pub(crate) families: Vec<Choice>,
    pub(crate) groups: Vec<Choice>,
    pub(crate) f: CategoryForm,
    pub(crate) message: Option<String>,
    pub(crate) error: Option<String>,
}

pub(crate) fn group_name(l: &L, g: &Group) -> String {
    format!("{}（{}）", if l.is_en() { &g.name_en } else { &g.name_zh }, g.code)
}

pub(crate) fn group_choices(l: &L, groups: &[Group], selected: &str, none: Option<&str>) -> Vec<Choice> {
    let none = none.map(|n| (String::new(), n.to_owned()));
    choices(none.into_iter().chain(groups.iter().map(|g| (g.id.to_string(), group_name(l, g)))), selected)
}

pub(crate) async fn categories_page(
    s: &AppState,
    who: &Signed,
    f: CategoryForm,
    message: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(who, Action::ManageCatalog)?;
    let groups = s.app.groups(&who.actor).await.map_err(app_err(l))?;
    let mut categories: Vec<CategoryRow> = s
        .app
        .categories(&who.actor)
        .await
        .map_err(app_err(l))?
        .into_iter()
        .map(|c| {
            let group = groups
                .iter()
                .find(|g| Some(g.id) == c.group_id)
                .map_or_else(|| l.t("common.none").to_owned(), |g| group_name(l, g));
            CategoryRow { c, group }
        })
        .collect();
    categories.sort_by_key(|r| CategoryFamily::ALL.iter().position(|f| *f == r.c.family));
    let families =
        choices(CategoryFamily::ALL.iter().map(|f| (f.code().to_owned(), f.label(l.lang).to_owned())), &f.family);
    let groups = group_choices(l, &groups, &f.group_id, Some(l.t("common.none")));
    let nav = Some(Nav::of(s, who, "admin").await);
    Ok((status, render(&CategoriesPage { l, nav, categories, families, groups, f, message, error })).into_response())
}

pub(crate) async fn categories(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let message = done_message(&who.l, &q.done);
    let f = CategoryForm { active: Some("on".into()), ..CategoryForm::default() };
    categories_page(&s, &who, f, message, None, StatusCode::OK).await
}

pub(crate) async fn create_category(
    State(s): State<AppState>,
    Posted { who, form: f }: Posted<CategoryForm>,
) -> Result<Response, PageError> {
    let result = match f.input(true) {
        Ok(input) => s.app.create_category(&who.actor, &input).await,
        Err(e) => Err(e),
    };
    save_or_say(result, "/admin/categories?done=created", &who.l, |error, status| {
        categories_page(&s, &who, f, None, Some(error), status)
    })
    .await
}

#[derive(Template)]
#[template(path = "admin/categories_edit.html")]
pub(crate) struct CategoryPage<'a> {
    pub(crate) l: &'a L,
    pub(crate) nav: Option<Nav>,
    pub(crate) c: Category,
    pub(crate) groups: Vec<Choice>,
    pub(crate) f: CategoryForm,
    pub(crate) error: Option<String>,
}

pub(crate) async fn category_page(
    s: &AppState,
    who: &Signed,
    id: Id,
    f: Option<CategoryForm>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(who, Action::ManageCatalog)?;
    let Some(c) = s.app.categories(&who.actor).await.map_err(app_err(l))?.into_iter().find(|c| c.id == id) else {
        return Err(PageError::NotFound(l.clone()));
    };
    let f = f.unwrap_or_else(|| CategoryForm {
        name_zh: c.name_zh.clone(),
        name_en: c.name_en.clone(),
        group_id: c.group_id.map(|g| g.to_string()).unwrap_or_default(),
        active: c.active.then(|| "on".into()),
        ..CategoryForm::default()
    });
    let groups = s.app.groups(&who.actor).await.map_err(app_err(l))?;
    // A category's group can be changed but not taken away (dispatch needs one once set).
    let none = c.group_id.is_none().then(|| l.t("common.none"));
    let groups = group_choices(l, &groups, &f.group_id, none);
    let nav = Some(Nav::of(s, who, "admin").await);
    Ok((status, render(&CategoryPage { l, nav, c, groups, f, error })).into_response())
}

pub(crate) async fn category(
    State(s): State<AppState>,
    who: Signed,
    PageId(id): PageId,
) -> Result<Response, PageError> {
    category_page(&s, &who, id, None, None, StatusCode::OK).await
}

pub(crate) async fn update_category(
    State(s): State<AppState>,
    PageId(id): PageId,
    Posted { who, form: f }: Posted<CategoryForm>,
) -> Result<Response, PageError> {
    let result = match f.input(false) {
        Ok(input) => s.app.update_category(&who.actor, id, &input).await,
        Err(e) => Err(e),
    };
    save_or_say(result, "/admin/categories?done=saved", &who.l, |error, status| {
        category_page(&s, &who, id, Some(f), Some(error), status)
    })
    .await
}
