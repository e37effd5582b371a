//! Administration pages (DOMAIN §1, the administrator): the people, the customer directory,
//! the catalog (groups, categories, grading scheme) and the clocks' calendars and service
//! policy. Each page calls the same `app` use case as the API, which checks the permission;
//! the menu only hides what the reader could not use anyway.

pub(super) mod calendars;
pub(super) mod categories;
pub(super) mod contacts;
pub(super) mod customers;
pub(super) mod departments;
pub(super) mod devices;
mod form;
pub(super) mod grading;
pub(super) mod groups;
mod labels;
pub(super) mod notices;
pub(super) mod policy;
pub(super) mod qualifications;
mod shared;
pub(super) mod users;

use aftersales_domain::permission::{Action, allows};
use aftersales_domain::role::Role;
use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::layout::Nav;
use super::view::L;
use super::{PageError, Signed, render};
use crate::AppState;

/// The actions that make someone an administrator of something.
const MANAGE: [Action; 4] =
    [Action::ManageUsers, Action::ManageDirectory, Action::ManageCatalog, Action::ManageServicePolicy];

/// Whether `role` may use any administration page.
pub fn may_administer(role: Role) -> bool {
    MANAGE.iter().any(|a| allows(role, *a))
}

/// One entry of the administration index.
struct Section {
    href: &'static str,
    title: &'static str,
    about: &'static str,
}

#[derive(Template)]
#[template(path = "admin/index.html")]
struct Index<'a> {
    l: &'a L,
    nav: Option<Nav>,
    sections: Vec<Section>,
}

pub(crate) async fn index(State(s): State<AppState>, who: Signed) -> Result<Response, PageError> {
    let l = &who.l;
    let role = who.actor.user.role;
    if !may_administer(role) {
        // The same refusal the API gives for the first of the permissions.
        who.actor.require(Action::ManageUsers).map_err(|e| PageError::App(e, l.clone()))?;
    }
    let mut sections = Vec::new();
    let mut add = |action: Action, href, title, about| {
        if allows(role, action) {
            sections.push(Section { href, title, about });
        }
    };
    add(Action::ManageUsers, "/admin/users", l.t("admin.index.users"), l.t("admin.index.users_about"));
    add(Action::ManageDirectory, "/admin/customers", l.t("admin.index.directory"), l.t("admin.index.directory_about"));
    add(Action::ManageCatalog, "/admin/groups", l.t("admin.index.groups"), l.t("admin.index.groups_about"));
    add(Action::ManageCatalog, "/admin/categories", l.t("admin.index.categories"), l.t("admin.index.categories_about"));
    add(Action::ManageCatalog, "/admin/grading", l.t("admin.index.grading"), l.t("admin.index.grading_about"));
    add(
        Action::ManageCatalog,
        "/admin/departments",
        l.t("workorders.departments"),
        l.t("workorders.departments_about"),
    );
    add(Action::ManageCatalog, "/admin/evidence", l.t("att.rules_title"), l.t("att.rules_about"));
    add(
        Action::ManageQualifications,
        "/admin/qualifications",
        l.t("qualifications.title"),
        l.t("qualifications.about"),
    );
    add(
        Action::ManageServicePolicy,
        "/admin/calendars",
        l.t("admin.index.calendars"),
        l.t("admin.index.calendars_about"),
    );
    add(Action::ManageServicePolicy, "/admin/policy", l.t("admin.index.policy"), l.t("admin.index.policy_about"));
    add(Action::ManageServicePolicy, "/admin/notices", l.t("admin.index.notices"), l.t("admin.index.notices_about"));
    add(
        Action::ManageServicePolicy,
        "/admin/deliveries",
        l.t("admin.index.deliveries"),
        l.t("admin.index.deliveries_about"),
    );
    let nav = Some(Nav::of(&s, &who, "admin").await);
    Ok(render(&Index { l, nav, sections }))
}
