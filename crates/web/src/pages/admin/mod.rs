//! Administration pages (DOMAIN §1, the administrator): the people, the customer directory,
//! the catalog (groups, categories, grading scheme) and the clocks' calendars and service
//! policy. Each page calls the same `app` use case as the API, which checks the permission;
//! the menu only hides what the reader could not use anyway.

mod catalog;
mod directory;
mod form;
mod notices;

use aftersales_domain::permission::{Action, allows};
use aftersales_domain::role::Role;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use super::tickets::Nav;
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

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index))
        .merge(directory::routes())
        .merge(catalog::routes())
        .merge(notices::routes())
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

async fn index(State(s): State<AppState>, who: Signed) -> Result<Response, PageError> {
    let l = &who.l;
    let role = who.actor.user.role;
    if !may_administer(role) {
        // The same refusal the API gives for the first of the permissions.
        who.actor.require(Action::ManageUsers).map_err(|e| PageError::App(e, l.clone()))?;
    }
    let mut sections = Vec::new();
    let mut add = |action: Action, href, zh, en, about_zh, about_en| {
        if allows(role, action) {
            sections.push(Section { href, title: l.pick(zh, en), about: l.pick(about_zh, about_en) });
        }
    };
    add(
        Action::ManageUsers,
        "/admin/users",
        "人员与角色",
        "Users and roles",
        "账号、角色、处理组、地域，停用与重置密码。",
        "Accounts, roles, groups, regions; deactivation and password reset.",
    );
    add(
        Action::ManageDirectory,
        "/admin/customers",
        "客户、联系人与设备",
        "Customers, contacts and devices",
        "客户资料、客户窗口与联系人、设备序列号与保修。",
        "Customer records, windows and contacts, device serial numbers and warranty.",
    );
    add(
        Action::ManageCatalog,
        "/admin/groups",
        "处理组",
        "Groups",
        "负责派单的处理组。",
        "The handling groups tickets are dispatched to.",
    );
    add(
        Action::ManageCatalog,
        "/admin/categories",
        "问题分类",
        "Categories",
        "问题分类及默认处理组。",
        "Problem categories and their default group.",
    );
    add(
        Action::ManageCatalog,
        "/admin/grading",
        "分级标准",
        "Grading scheme",
        "问题等级的判定标准。",
        "The rules that set a problem's level.",
    );
    add(
        Action::ManageServicePolicy,
        "/admin/calendars",
        "工作日历",
        "Calendars",
        "工作时间与节假日。",
        "Working hours and holidays.",
    );
    add(
        Action::ManageServicePolicy,
        "/admin/policy",
        "服务策略",
        "Service policy",
        "各等级的响应、到场与解决时限。",
        "Response, arrival and resolution times per level.",
    );
    add(
        Action::ManageServicePolicy,
        "/admin/notices",
        "通告设置",
        "Notice settings",
        "各类通告通知哪些人、经哪些渠道；群机器人（企业微信、钉钉、飞书）与 Webhook。",
        "Who is told of each notice and on which channels; group robots (WeCom, DingTalk, Feishu) and webhooks.",
    );
    add(
        Action::ManageServicePolicy,
        "/admin/deliveries",
        "投递记录",
        "Deliveries",
        "待确认与投递失败的通告投递：确认已送达或重新发送。",
        "Notice deliveries in doubt or dead: confirm they arrived or send them again.",
    );
    let nav = Some(Nav::of(&s, &who, "admin").await);
    Ok(render(&Index { l, nav, sections }))
}
