//! The administrator's pages for people and the customer directory (DOMAIN §1 administrator,
//! §2 customers, contacts, devices):
//!
//! * `/admin/users`: the list (search, role, group, active), a new account, and one
//!   account's page (details, deactivation, password reset);
//! * `/admin/customers`: the list (name, short name, a contact's phone), a new customer,
//!   and one customer's page with its contacts and devices; `/admin/contacts/{id}` and
//!   `/admin/devices/{id}` correct one of them.
//!
//! Every handler asks the permission of its use case before anything else, then calls the
//! same `app` use case as the API (which checks it again); forms carry the session's CSRF
//! token and answer with a redirect to the page showing what was saved (Post/Redirect/Get),
//! or the form again with what was entered and the problem named beside its field.

use std::collections::HashMap;

use aftersales_app::AppError;
use aftersales_app::users::{Page, UserFilter};
use aftersales_domain::customer::{
    Contact, ContactInput, Customer, CustomerInput, CustomerLevel, Device, DeviceInput, Warranty,
};
use aftersales_domain::error::Reason;
use aftersales_domain::permission::{Action, allows};
use aftersales_domain::role::Role;
use aftersales_domain::user::{User, UserInput, UserUpdate};
use aftersales_domain::{DomainError, Id, Lang};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::form::{
    Choice, PageId, Problems, app_err, choice, choices, date_field, done_message, id_field, invalid, parse_flag,
    require, text,
};
use crate::AppState;
use crate::pages::tickets::Nav;
use crate::pages::view::{L, Pager};
use crate::pages::{PageError, Signed, render};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/new", get(new_user))
        .route("/admin/users/{id}", get(user).post(save_user))
        .route("/admin/users/{id}/active", post(set_active))
        .route("/admin/users/{id}/password", post(reset_password))
        .route("/admin/customers", get(customers).post(create_customer))
        .route("/admin/customers/new", get(new_customer))
        .route("/admin/customers/{id}", get(customer).post(save_customer))
        .route("/admin/customers/{id}/contacts", post(add_contact))
        .route("/admin/customers/{id}/devices", post(add_device))
        .route("/admin/contacts/{id}", get(contact).post(save_contact))
        .route("/admin/contacts/{id}/status", post(contact_status))
        .route("/admin/devices/{id}", get(device).post(save_device))
}

const PER_PAGE: u64 = 50;

// ---------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------

/// Which form a field is on (a `name` is a customer's or a person's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    User,
    Customer,
    Contact,
    Device,
}

/// What the people of the service desk call each field on these forms.
fn label(field: &str, kind: Kind, lang: Lang) -> &str {
    let (zh, en) = match field {
        "name" if kind == Kind::Customer => ("客户名称", "Name"),
        "name" if kind == Kind::Contact => ("姓名", "Name"),
        "customer_id" if kind == Kind::Device => ("所属客户单位", "Customer"),
        "username" => ("用户名", "Username"),
        "display_name" => ("姓名", "Name"),
        "role" => ("角色", "Role"),
        "email" => ("邮箱", "E-mail"),
        "phone" => ("电话", "Phone"),
        "region" => ("地域", "Region"),
        "group_id" => ("处理组", "Group"),
        "customer_id" => ("客户单位", "Customer"),
        "contact_id" => ("联系人", "Contact"),
        "password" => ("初始密码", "Initial password"),
        "new_password" => ("新密码", "New password"),
        "active" => ("账号状态", "Account status"),
        "left" => ("在职状态", "With the customer"),
        "name" => ("名称", "Name"),
        "short_name" => ("简称", "Short name"),
        "level" => ("客户级别", "Customer level"),
        "specialist_id" => ("项目专员", "Project specialist"),
        "window_contact_id" => ("客户窗口", "Customer window"),
        "calendar" => ("工作日历", "Calendar"),
        "department" => ("部门", "Department"),
        "model" => ("型号", "Model"),
        "serial" => ("序列号", "Serial number"),
        "location" => ("设备位置", "Location"),
        "purchase_date" => ("购买日期", "Purchase date"),
        "warranty_end" => ("保修截止", "Warranty end"),
        "consumable_model" => ("耗材型号", "Consumable model"),
        _ => return field_fallback(field, lang),
    };
    if lang == Lang::En { en } else { zh }
}

fn field_fallback(field: &str, lang: Lang) -> &str {
    aftersales_domain::error::field_label(field, lang)
}

/// A form problem to show again with the form, with its status (422, or 409 for a rule such
/// as "not yourself"); `Err` for what is no form problem (refusal, not found, failure).
fn problems(e: AppError, kind: Kind, lang: Lang) -> Result<(StatusCode, Problems), AppError> {
    Problems::of_error(e, lang, |field| label(field, kind, lang).to_owned())
}

/// A list's page from the address (`?page=`): 0 is read as the first; a number beyond any
/// list is refused (422) like the API's.
fn page_of(p: Option<u64>, l: &L) -> Result<Page, PageError> {
    Page::new(Some(p.unwrap_or(1).max(1)), Some(PER_PAGE)).map_err(app_err(l))
}

/// The message after a redirect (`?saved=…`).
fn saved_message(l: &L, saved: &str) -> Option<String> {
    let m = match saved {
        "deactivated" => l.t("admin.directory.account_deactivated_its_sessions_ended"),
        "reactivated" => l.t("admin.directory.account_reactivated"),
        "password" => l.t("admin.directory.password_reset_all_of_the_user"),
        "contact" => l.t("admin.directory.contact_saved"),
        "contact_added" => l.t("admin.directory.contact_added"),
        "left" => l.t("admin.directory.marked_as_left_their_portal_accounts"),
        "back" => l.t("admin.directory.the_contact_is_with_the_customer"),
        "device" => l.t("admin.directory.device_saved"),
        "device_added" => l.t("admin.directory.device_added"),
        other => return done_message(l, other),
    };
    Some(m.to_owned())
}

#[derive(Debug, Default, Deserialize)]
pub struct Saved {
    #[serde(default)]
    saved: String,
    /// Devices page of a customer.
    dpage: Option<u64>,
}

fn role_label(r: Role, lang: Lang) -> &'static str {
    r.label(lang)
}

/// Every role as `(code, label)`.
fn role_options(lang: Lang) -> impl Iterator<Item = (String, String)> {
    Role::ALL.iter().map(move |r| (r.code().to_owned(), r.label(lang).to_owned()))
}

fn level_name(levels: &[CustomerLevel], code: &str, lang: Lang) -> String {
    levels
        .iter()
        .find(|v| v.code == code)
        .map(|v| format!("{} · {}", v.code, if lang == Lang::En { &v.name_en } else { &v.name_zh }))
        .unwrap_or_else(|| code.to_owned())
}

// ---------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct UserListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    group: String,
    /// `active`, `inactive` or empty (all).
    #[serde(default)]
    status: String,
    page: Option<u64>,
}

/// One row of the user list, ready to show.
#[derive(Debug)]
pub struct UserRow {
    u: User,
    role: &'static str,
    group: String,
    customer: String,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    q: String,
    roles: Vec<Choice>,
    groups: Vec<Choice>,
    statuses: Vec<Choice>,
    rows: Vec<UserRow>,
    pager: Pager,
}

async fn group_names(s: &AppState, who: &Signed) -> Result<HashMap<Id, String>, PageError> {
    let l = &who.l;
    let groups = s.app.groups(&who.actor).await.map_err(app_err(l))?;
    Ok(groups.into_iter().map(|g| (g.id, if l.is_en() { g.name_en } else { g.name_zh })).collect())
}

async fn users(State(s): State<AppState>, who: Signed, Query(q): Query<UserListQuery>) -> Result<Response, PageError> {
    require(&who, Action::ManageUsers)?;
    let l = &who.l;
    let filter = UserFilter {
        q: text(&q.q),
        role: Role::from_code(q.role.trim()),
        group: q.group.trim().parse().ok(),
        active: match q.status.as_str() {
            "active" => Some(true),
            "inactive" => Some(false),
            _ => None,
        },
    };
    let page = page_of(q.page, l)?;
    let (list, total) = s.app.search_users(&who.actor, &filter, page).await.map_err(app_err(l))?;
    let groups = group_names(&s, &who).await?;
    let mut customers: HashMap<Id, String> = HashMap::new();
    for c in list.iter().filter_map(|u| u.customer_id) {
        if let std::collections::hash_map::Entry::Vacant(v) = customers.entry(c)
            && let Ok(found) = s.app.get_customer(&who.actor, c).await
        {
            v.insert(found.short_name);
        }
    }
    let rows = list
        .into_iter()
        .map(|u| UserRow {
            role: role_label(u.role, l.lang),
            group: u.group_id.and_then(|g| groups.get(&g).cloned()).unwrap_or_default(),
            customer: u.customer_id.and_then(|c| customers.get(&c).cloned()).unwrap_or_default(),
            u,
        })
        .collect();
    let mut roles = vec![choice("", l.t("admin.directory.all_roles"), &q.role)];
    roles.extend(choices(role_options(l.lang), &q.role));
    let mut group_opts = vec![choice("", l.t("admin.directory.all_groups"), &q.group)];
    let mut sorted: Vec<_> = groups.iter().collect();
    sorted.sort();
    group_opts.extend(sorted.into_iter().map(|(id, name)| choice(id, name.clone(), &q.group)));
    let statuses = vec![
        choice("", l.t("admin.directory.any_status"), &q.status),
        choice("active", l.t("common.active"), &q.status),
        choice("inactive", l.t("common.deactivated"), &q.status),
    ];
    let pager = Pager::new(
        "/admin/users",
        page.page,
        total,
        PER_PAGE,
        &[("q", q.q.trim()), ("role", &q.role), ("group", &q.group), ("status", &q.status)],
    );
    let nav = Some(Nav::of(&s, &who, "admin").await);
    Ok(render(&UsersPage { l, nav, q: q.q, roles, groups: group_opts, statuses, rows, pager }))
}

/// The user form as posted (new account and account details alike).
#[derive(Debug, Default, Deserialize, Clone)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    group_id: String,
    #[serde(default)]
    customer_id: String,
    #[serde(default)]
    contact_id: String,
    #[serde(default)]
    password: String,
    /// The customer search the form was shown with (kept when the form comes back).
    #[serde(default)]
    cq: String,
}

impl UserForm {
    fn of(u: &User) -> UserForm {
        UserForm {
            csrf: String::new(),
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.code().to_owned(),
            email: u.email.clone().unwrap_or_default(),
            phone: u.phone.clone().unwrap_or_default(),
            region: u.region.clone().unwrap_or_default(),
            group_id: u.group_id.map(|g| g.to_string()).unwrap_or_default(),
            customer_id: u.customer_id.map(|g| g.to_string()).unwrap_or_default(),
            contact_id: u.contact_id.map(|g| g.to_string()).unwrap_or_default(),
            password: String::new(),
            cq: String::new(),
        }
    }

    /// The role, customer, contact and group, as the app takes them.
    fn refs(&self, p: &mut Vec<(&'static str, Reason)>) -> (Option<Role>, Option<Id>, Option<Id>, Option<Id>) {
        let role = match self.role.trim() {
            "" => None,
            code => {
                let r = Role::from_code(code);
                if r.is_none() {
                    p.push(("role", Reason::Unknown));
                }
                r
            }
        };
        (
            role,
            id_field(&self.group_id, "group_id", p),
            id_field(&self.customer_id, "customer_id", p),
            id_field(&self.contact_id, "contact_id", p),
        )
    }

    fn input(&self) -> Result<UserInput, AppError> {
        let mut p = Vec::new();
        let (role, group_id, customer_id, contact_id) = self.refs(&mut p);
        invalid(p)?;
        Ok(UserInput {
            username: text(&self.username),
            display_name: text(&self.display_name),
            role,
            email: text(&self.email),
            phone: text(&self.phone),
            region: text(&self.region),
            group_id,
            customer_id,
            contact_id,
            password: (!self.password.is_empty()).then(|| self.password.clone()),
        })
    }

    /// Everything the details form shows is replaced (an emptied field is cleared).
    fn update(&self) -> Result<UserUpdate, AppError> {
        let mut p = Vec::new();
        let (role, group_id, customer_id, contact_id) = self.refs(&mut p);
        if role.is_none() && p.is_empty() {
            p.push(("role", Reason::Missing));
        }
        invalid(p)?;
        Ok(UserUpdate {
            display_name: Some(self.display_name.clone()),
            role,
            email: Some(text(&self.email)),
            phone: Some(text(&self.phone)),
            region: Some(text(&self.region)),
            group_id: Some(group_id),
            customer_id: Some(customer_id),
            contact_id: Some(contact_id),
            active: None,
        })
    }
}

/// The choices of the user form: roles, groups, and the customers and contacts a customer
/// contact's account may belong to (found by the customer search `cq`, or the one chosen).
struct UserChoices {
    roles: Vec<Choice>,
    groups: Vec<Choice>,
    customers: Vec<Choice>,
    contacts: Vec<Choice>,
}

async fn user_choices(s: &AppState, who: &Signed, f: &UserForm, cq: &str) -> Result<UserChoices, PageError> {
    let l = &who.l;
    let mut roles = vec![choice("", l.t("admin.directory.choose_a_role"), &f.role)];
    roles.extend(choices(role_options(l.lang), &f.role));
    let names = group_names(s, who).await?;
    let mut sorted: Vec<_> = names.into_iter().collect();
    sorted.sort();
    let mut groups = vec![choice("", l.t("common.none_2"), &f.group_id)];
    groups.extend(sorted.into_iter().map(|(id, name)| choice(id, name, &f.group_id)));

    let mut found: Vec<Customer> = Vec::new();
    if let Some(q) = text(cq) {
        let page = Page::new(Some(1), Some(20)).map_err(app_err(l))?;
        found = s.app.search_customers(&who.actor, Some(&q), page).await.map_err(app_err(l))?.0;
    }
    let chosen: Option<Id> = f.customer_id.trim().parse().ok();
    if let Some(c) = chosen
        && !found.iter().any(|x| x.id == c)
        && let Ok(x) = s.app.get_customer(&who.actor, c).await
    {
        found.insert(0, x);
    }
    let mut customers = vec![choice("", l.t("admin.directory.not_a_customer_contact"), &f.customer_id)];
    customers.extend(found.iter().map(|c| choice(c.id, format!("{}（{}）", c.name, c.short_name), &f.customer_id)));
    let mut contacts = vec![choice("", l.t("admin.directory.no_contact_record"), &f.contact_id)];
    let of = chosen.or_else(|| (found.len() == 1).then(|| found[0].id));
    if let Some(c) = of
        && let Ok(list) = s.app.contacts(&who.actor, c).await
    {
        let current: Option<Id> = f.contact_id.trim().parse().ok();
        contacts.extend(list.into_iter().filter(|k| !k.left || Some(k.id) == current).map(|k| {
            let mut name = k.name.clone();
            if let Some(d) = &k.department {
                name.push_str(&format!(" · {d}"));
            }
            if k.left {
                name.push_str(l.t("admin.directory.left"));
            }
            choice(k.id, name, &f.contact_id)
        }));
    }
    Ok(UserChoices { roles, groups, customers, contacts })
}

#[derive(Template)]
#[template(path = "admin/user_new.html")]
struct NewUserPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    f: UserForm,
    cq: String,
    c: UserChoices,
    errs: Problems,
}

#[derive(Debug, Default, Deserialize)]
pub struct NewUserQuery {
    /// Customer search (for a customer contact's account).
    #[serde(default)]
    cq: String,
    /// Prefills from a customer, or from one of its contacts (the contact list's link).
    #[serde(default)]
    customer_id: String,
    #[serde(default)]
    contact_id: String,
    #[serde(default)]
    role: String,
}

async fn new_user_page(
    s: &AppState,
    who: &Signed,
    f: UserForm,
    cq: String,
    errs: Problems,
    status: StatusCode,
) -> Result<Response, PageError> {
    let c = user_choices(s, who, &f, &cq).await?;
    let nav = Some(Nav::of(s, who, "admin").await);
    Ok((status, render(&NewUserPage { l: &who.l, nav, f, cq, c, errs })).into_response())
}

async fn new_user(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<NewUserQuery>,
) -> Result<Response, PageError> {
    require(&who, Action::ManageUsers)?;
    let mut f = UserForm { role: q.role.clone(), customer_id: q.customer_id.clone(), ..UserForm::default() };
    if let Ok(k) = q.contact_id.trim().parse::<Id>() {
        let k = s.app.contact(&who.actor, k).await.map_err(app_err(&who.l))?;
        f = UserForm {
            display_name: k.name.clone(),
            role: Role::CustomerContact.code().to_owned(),
            email: k.email.clone().unwrap_or_default(),
            phone: k.phone.clone(),
            customer_id: k.customer_id.to_string(),
            contact_id: k.id.to_string(),
            ..UserForm::default()
        };
    } else if !f.customer_id.is_empty() && f.role.is_empty() {
        f.role = Role::CustomerContact.code().to_owned();
    }
    new_user_page(&s, &who, f, q.cq, Problems::default(), StatusCode::OK).await
}

async fn create_user(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    Form(form): Form<UserForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &form.csrf)?;
    require(&who, Action::ManageUsers)?;
    let l = &who.l;
    let result = match form.input() {
        Ok(input) => s.app.create_user(Some(&who.actor), &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(u) => Ok(Redirect::to(&format!("/admin/users/{}?saved=created", u.id)).into_response()),
        Err(e) => {
            let (status, errs) = problems(e, Kind::User, l.lang).map_err(app_err(l))?;
            let mut f = form;
            f.password.clear();
            let cq = std::mem::take(&mut f.cq);
            new_user_page(&s, &who, f, cq, errs, status).await
        }
    }
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    u: User,
    role: &'static str,
    me: bool,
    /// The portal account's contact has left the customer (it cannot be reactivated).
    contact_left: bool,
    f: UserForm,
    cq: String,
    c: UserChoices,
    message: Option<String>,
    errs: Problems,
    /// Problems of the status and password forms (shown beside them).
    status_errs: Problems,
    password_errs: Problems,
}

#[derive(Debug, Default, Deserialize)]
pub struct UserQuery {
    #[serde(default)]
    saved: String,
    #[serde(default)]
    cq: String,
}

enum Failed {
    None,
    Details(Box<UserForm>, Problems),
    Status(Problems),
    Password(Problems),
}

async fn user_page(
    s: &AppState,
    who: &Signed,
    id: Id,
    cq: String,
    message: Option<String>,
    failed: Failed,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    let u = s.app.get_user(&who.actor, id).await.map_err(app_err(l))?;
    let (f, errs, status_errs, password_errs) = match failed {
        Failed::None => (UserForm::of(&u), Problems::default(), Problems::default(), Problems::default()),
        Failed::Details(f, e) => (*f, e, Problems::default(), Problems::default()),
        Failed::Status(e) => (UserForm::of(&u), Problems::default(), e, Problems::default()),
        Failed::Password(e) => (UserForm::of(&u), Problems::default(), Problems::default(), e),
    };
    let c = user_choices(s, who, &f, &cq).await?;
    let contact_left = match u.contact_id {
        Some(k) => s.app.contact(&who.actor, k).await.is_ok_and(|k| k.left),
        None => false,
    };
    let nav = Some(Nav::of(s, who, "admin").await);
    let page = UserPage {
        l,
        nav,
        role: role_label(u.role, l.lang),
        me: u.id == who.actor.id(),
        contact_left,
        u,
        f,
        cq,
        c,
        message,
        errs,
        status_errs,
        password_errs,
    };
    Ok((status, render(&page)).into_response())
}

async fn user(
    State(s): State<AppState>,
    who: Signed,
    PageId(id): PageId,
    Query(q): Query<UserQuery>,
) -> Result<Response, PageError> {
    require(&who, Action::ManageUsers)?;
    let message = saved_message(&who.l, &q.saved);
    user_page(&s, &who, id, q.cq, message, Failed::None, StatusCode::OK).await
}

async fn save_user(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    PageId(id): PageId,
    Form(form): Form<UserForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &form.csrf)?;
    require(&who, Action::ManageUsers)?;
    let l = &who.l;
    let result = match form.update() {
        Ok(change) => s.app.update_user(&who.actor, id, &change).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/admin/users/{id}?saved=saved")).into_response()),
        Err(e) => {
            let (status, errs) = problems(e, Kind::User, l.lang).map_err(app_err(l))?;
            let mut form = form;
            let cq = std::mem::take(&mut form.cq);
            user_page(&s, &who, id, cq, None, Failed::Details(Box::new(form), errs), status).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    csrf: String,
    /// `1` reactivates, `0` deactivates.
    #[serde(default)]
    active: String,
}

async fn set_active(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    PageId(id): PageId,
    Form(form): Form<ActiveForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &form.csrf)?;
    require(&who, Action::ManageUsers)?;
    let l = &who.l;
    let result = match parse_flag("active", &form.active) {
        Ok(active) => {
            let change = UserUpdate { active: Some(active), ..UserUpdate::default() };
            s.app.update_user(&who.actor, id, &change).await
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(u) => {
            let saved = if u.active { "reactivated" } else { "deactivated" };
            Ok(Redirect::to(&format!("/admin/users/{id}?saved={saved}")).into_response())
        }
        Err(e) => {
            let (status, errs) = problems(e, Kind::User, l.lang).map_err(app_err(l))?;
            user_page(&s, &who, id, String::new(), None, Failed::Status(errs), status).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    repeat_password: String,
}

async fn reset_password(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    PageId(id): PageId,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &form.csrf)?;
    require(&who, Action::ManageUsers)?;
    let l = &who.l;
    let result = if form.new_password != form.repeat_password {
        Err(AppError::from(DomainError::field(
            "new_password",
            Reason::Mismatch { detail_en: "the two entries differ", detail_zh: "两次输入不一致" },
        )))
    } else {
        s.app.reset_password(&who.actor, id, &form.new_password).await
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/admin/users/{id}?saved=password")).into_response()),
        Err(e) => {
            let (status, errs) = problems(e, Kind::User, l.lang).map_err(app_err(l))?;
            user_page(&s, &who, id, String::new(), None, Failed::Password(errs), status).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// Customers
// ---------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct CustomerListQuery {
    #[serde(default)]
    q: String,
    page: Option<u64>,
}

#[derive(Debug)]
pub struct CustomerRow {
    c: Customer,
    level: String,
    specialist: String,
}

#[derive(Template)]
#[template(path = "admin/customers.html")]
struct CustomersPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    q: String,
    rows: Vec<CustomerRow>,
    pager: Pager,
}

/// Display names of the project specialists (and anyone else already named as one).
async fn specialists(s: &AppState, who: &Signed) -> Result<Vec<User>, PageError> {
    let page = Page::new(Some(1), Some(Page::MAX_PER_PAGE)).map_err(app_err(&who.l))?;
    s.app.list_users(&who.actor, &[Role::ProjectSpecialist], None, page).await.map_err(app_err(&who.l))
}

async fn customers(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<CustomerListQuery>,
) -> Result<Response, PageError> {
    require(&who, Action::ManageDirectory)?;
    let l = &who.l;
    let page = page_of(q.page, l)?;
    let (list, total) = s.app.search_customers(&who.actor, text(&q.q).as_deref(), page).await.map_err(app_err(l))?;
    let levels = s.app.customer_levels(&who.actor).await.map_err(app_err(l))?;
    let people = specialists(&s, &who).await?;
    let rows = list
        .into_iter()
        .map(|c| CustomerRow {
            level: level_name(&levels, &c.level, l.lang),
            specialist: c
                .specialist_id
                .and_then(|id| people.iter().find(|u| u.id == id))
                .map(|u| u.display_name.clone())
                .unwrap_or_default(),
            c,
        })
        .collect();
    let pager = Pager::new("/admin/customers", page.page, total, PER_PAGE, &[("q", q.q.trim())]);
    let nav = Some(Nav::of(&s, &who, "admin").await);
    Ok(render(&CustomersPage { l, nav, q: q.q, rows, pager }))
}

#[derive(Debug, Default, Deserialize, Clone)]
pub struct CustomerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    short_name: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    specialist_id: String,
    #[serde(default)]
    window_contact_id: String,
    #[serde(default)]
    calendar: String,
}

impl CustomerForm {
    fn of(c: &Customer) -> CustomerForm {
        CustomerForm {
            csrf: String::new(),
            name: c.name.clone(),
            short_name: c.short_name.clone(),
            region: c.region.clone(),
            level: c.level.clone(),
            specialist_id: c.specialist_id.map(|v| v.to_string()).unwrap_or_default(),
            window_contact_id: c.window_contact_id.map(|v| v.to_string()).unwrap_or_default(),
            calendar: c.calendar.clone().unwrap_or_default(),
        }
    }

    fn input(&self) -> Result<CustomerInput, AppError> {
        let mut p = Vec::new();
        let specialist_id = id_field(&self.specialist_id, "specialist_id", &mut p);
        let window_contact_id = id_field(&self.window_contact_id, "window_contact_id", &mut p);
        invalid(p)?;
        Ok(CustomerInput {
            name: text(&self.name),
            short_name: text(&self.short_name),
            region: text(&self.region),
            level: text(&self.level),
            window_contact_id,
            specialist_id,
            calendar: text(&self.calendar),
        })
    }
}

/// The choices of the customer form.
struct CustomerChoices {
    levels: Vec<Choice>,
    specialists: Vec<Choice>,
    calendars: Vec<Choice>,
    windows: Vec<Choice>,
}

async fn customer_choices(
    s: &AppState,
    who: &Signed,
    f: &CustomerForm,
    contacts: &[Contact],
) -> Result<CustomerChoices, PageError> {
    let l = &who.l;
    let mut levels = vec![choice("", l.t("admin.directory.choose_a_level"), &f.level)];
    for v in s.app.customer_levels(&who.actor).await.map_err(app_err(l))? {
        let name = format!("{} · {}", v.code, if l.is_en() { &v.name_en } else { &v.name_zh });
        levels.push(choice(&v.code, name, &f.level));
    }
    let mut people = vec![choice("", l.t("common.none"), &f.specialist_id)];
    for u in specialists(s, who).await? {
        let mut name = u.display_name.clone();
        if !u.active {
            name.push_str(l.t("admin.directory.deactivated"));
        }
        people.push(choice(u.id, name, &f.specialist_id));
    }
    let mut calendars = vec![choice("", l.t("admin.directory.the_region_s_default"), &f.calendar)];
    // The calendars are reference data; a reader who may not list them still keeps the value.
    let names: Vec<String> = match s.app.calendars(&who.actor).await {
        Ok(list) => list.into_iter().map(|c| c.spec.name).collect(),
        Err(_) => Vec::new(),
    };
    for n in &names {
        calendars.push(choice(n, n.clone(), &f.calendar));
    }
    if !f.calendar.is_empty() && !names.contains(&f.calendar) {
        calendars.push(choice(&f.calendar, f.calendar.clone(), &f.calendar));
    }
    let mut windows = vec![choice("", l.t("admin.directory.no_window"), &f.window_contact_id)];
    for k in contacts.iter().filter(|k| !k.left || k.is_window) {
        windows.push(choice(k.id, format!("{} · {}", k.name, k.phone), &f.window_contact_id));
    }
    Ok(CustomerChoices { levels, specialists: people, calendars, windows })
}

#[derive(Template)]
#[template(path = "admin/customer_new.html")]
struct NewCustomerPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    f: CustomerForm,
    c: CustomerChoices,
    errs: Problems,
}

async fn new_customer_page(
    s: &AppState,
    who: &Signed,
    f: CustomerForm,
    errs: Problems,
    status: StatusCode,
) -> Result<Response, PageError> {
    let c = customer_choices(s, who, &f, &[]).await?;
    let nav = Some(Nav::of(s, who, "admin").await);
    Ok((status, render(&NewCustomerPage { l: &who.l, nav, f, c, errs })).into_response())
}

async fn new_customer(State(s): State<AppState>, who: Signed) -> Result<Response, PageError> {
    require(&who, Action::ManageDirectory)?;
    new_customer_page(&s, &who, CustomerForm::default(), Problems::default(), StatusCode::OK).await
}

async fn create_customer(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    Form(form): Form<CustomerForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &form.csrf)?;
    require(&who, Action::ManageDirectory)?;
    let l = &who.l;
    let result = match form.input() {
        Ok(input) => s.app.create_customer(&who.actor, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/admin/customers/{}?saved=created", c.id)).into_response()),
        Err(e) => {
            let (status, errs) = problems(e, Kind::Customer, l.lang).map_err(app_err(l))?;
            new_customer_page(&s, &who, form, errs, status).await
        }
    }
}

#[derive(Debug, Default, Deserialize, Clone)]
pub struct ContactForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    department: String,
    /// `zh-CN` or `en`: the language of their customer notices.
    #[serde(default)]
    lang: String,
}

impl ContactForm {
    fn of(k: &Contact) -> ContactForm {
        ContactForm {
            csrf: String::new(),
            name: k.name.clone(),
            phone: k.phone.clone(),
            email: k.email.clone().unwrap_or_default(),
            department: k.department.clone().unwrap_or_default(),
            lang: k.lang.code().to_owned(),
        }
    }

    fn input(&self) -> ContactInput {
        ContactInput {
            name: text(&self.name),
            phone: text(&self.phone),
            email: text(&self.email),
            department: text(&self.department),
            lang: Some(if self.lang == aftersales_domain::Lang::En.code() {
                aftersales_domain::Lang::En
            } else {
                aftersales_domain::Lang::Zh
            }),
        }
    }
}

#[derive(Debug, Default, Deserialize, Clone)]
pub struct DeviceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    serial: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    purchase_date: String,
    #[serde(default)]
    warranty_end: String,
    #[serde(default)]
    consumable_model: String,
}

impl DeviceForm {
    fn of(d: &Device) -> DeviceForm {
        DeviceForm {
            csrf: String::new(),
            model: d.model.clone(),
            serial: d.serial.clone(),
            location: d.location.clone().unwrap_or_default(),
            purchase_date: d.purchase_date.map(|x| x.to_string()).unwrap_or_default(),
            warranty_end: d.warranty_end.map(|x| x.to_string()).unwrap_or_default(),
            consumable_model: d.consumable_model.clone().unwrap_or_default(),
        }
    }

    fn input(&self, customer: Id) -> Result<DeviceInput, AppError> {
        let mut p = Vec::new();
        let purchase_date = date_field(&self.purchase_date, "purchase_date", &mut p);
        let warranty_end = date_field(&self.warranty_end, "warranty_end", &mut p);
        invalid(p)?;
        Ok(DeviceInput {
            customer_id: Some(customer),
            model: text(&self.model),
            serial: text(&self.serial),
            location: text(&self.location),
            purchase_date,
            warranty_end,
            consumable_model: text(&self.consumable_model),
        })
    }
}

/// A contact as the customer page lists it (the phone as the reader may see it), with its
/// portal account if it has one, for a reader who manages accounts.
#[derive(Debug)]
pub struct ContactRow {
    k: Contact,
    account: Option<User>,
    /// Whether the reader may open a portal account for the contact (no account yet).
    may_open: bool,
}

/// A device as the customer page lists it, with its warranty today.
#[derive(Debug)]
pub struct DeviceRow {
    d: Device,
    warranty: Warranty,
}

fn device_row(s: &AppState, d: Device) -> DeviceRow {
    let today = s.app.now().to_zoned(s.app.settings().time_zone.clone()).date();
    DeviceRow { warranty: d.warranty_on(today), d }
}

#[derive(Template)]
#[template(path = "admin/customer.html")]
struct CustomerPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    cust: Customer,
    level: String,
    specialist: String,
    window: String,
    message: Option<String>,
    f: CustomerForm,
    c: CustomerChoices,
    errs: Problems,
    contacts: Vec<ContactRow>,
    kf: ContactForm,
    kerrs: Problems,
    devices: Vec<DeviceRow>,
    df: DeviceForm,
    derrs: Problems,
    dpage: u64,
    dmore: bool,
}

/// Which of the customer page's forms failed, with what was entered.
enum CustomerFailed {
    None,
    Customer(CustomerForm, Problems),
    Contact(ContactForm, Problems),
    Device(DeviceForm, Problems),
}

async fn customer_page(
    s: &AppState,
    who: &Signed,
    id: Id,
    dpage: u64,
    message: Option<String>,
    failed: CustomerFailed,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    let cust = s.app.get_customer(&who.actor, id).await.map_err(app_err(l))?;
    let contacts = s.app.contacts(&who.actor, id).await.map_err(app_err(l))?;
    let page = page_of(Some(dpage), l)?;
    let devices = s.app.devices(&who.actor, Some(id), None, page).await.map_err(app_err(l))?;
    let dmore = devices.len() as u64 == PER_PAGE;
    let (f, errs, kf, kerrs, df, derrs) = match failed {
        CustomerFailed::None => (
            CustomerForm::of(&cust),
            Problems::default(),
            ContactForm::default(),
            Problems::default(),
            DeviceForm::default(),
            Problems::default(),
        ),
        CustomerFailed::Customer(f, e) => {
            (f, e, ContactForm::default(), Problems::default(), DeviceForm::default(), Problems::default())
        }
        CustomerFailed::Contact(k, e) => {
            (CustomerForm::of(&cust), Problems::default(), k, e, DeviceForm::default(), Problems::default())
        }
        CustomerFailed::Device(d, e) => {
            (CustomerForm::of(&cust), Problems::default(), ContactForm::default(), Problems::default(), d, e)
        }
    };
    let c = customer_choices(s, who, &f, &contacts).await?;
    let levels = s.app.customer_levels(&who.actor).await.map_err(app_err(l))?;
    let level = level_name(&levels, &cust.level, l.lang);
    let specialist = match cust.specialist_id {
        Some(u) => s.app.get_user(&who.actor, u).await.map(|u| u.display_name).unwrap_or_default(),
        None => String::new(),
    };
    let window = contacts.iter().find(|k| k.is_window).map(|k| k.name.clone()).unwrap_or_default();
    // Portal accounts only for a reader who manages them (the links lead to those pages).
    let accounts = if allows(who.actor.user.role, Action::ManageUsers) {
        Some(s.app.customer_accounts(&who.actor, id).await.map_err(app_err(l))?)
    } else {
        None
    };
    let contacts = contacts
        .into_iter()
        .map(|k| {
            let account = accounts.as_ref().and_then(|list| {
                // An active account first: that is the one the contact signs in with.
                let mine = || list.iter().filter(|u| u.contact_id == Some(k.id));
                mine().find(|u| u.active).or_else(|| mine().next()).cloned()
            });
            let may_open = accounts.is_some() && account.is_none() && !k.left;
            ContactRow { k, account, may_open }
        })
        .collect();
    let devices = devices.into_iter().map(|d| device_row(s, d)).collect();
    let nav = Some(Nav::of(s, who, "admin").await);
    let page = CustomerPage {
        l,
        nav,
        cust,
        level,
        specialist,
        window,
        message,
        f,
        c,
        errs,
        contacts,
        kf,
        kerrs,
        devices,
        df,
        derrs,
        dpage: page.page,
        dmore,
    };
    Ok((status, render(&page)).into_response())
}

async fn customer(
    State(s): State<AppState>,
    who: Signed,
    PageId(id): PageId,
    Query(q): Query<Saved>,
) -> Result<Response, PageError> {
    require(&who, Action::ManageDirectory)?;
    let message = saved_message(&who.l, &q.saved);
    customer_page(&s, &who, id, q.dpage.unwrap_or(1), message, CustomerFailed::None, StatusCode::OK).await
}

async fn save_customer(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    PageId(id): PageId,
    Form(form): Form<CustomerForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &form.csrf)?;
    require(&who, Action::ManageDirectory)?;
    let l = &who.l;
    let result = match form.input() {
        Ok(input) => s.app.update_customer(&who.actor, id, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/admin/customers/{id}?saved=saved")).into_response()),
        Err(e) => {
            let (status, errs) = problems(e, Kind::Customer, l.lang).map_err(app_err(l))?;
            customer_page(&s, &who, id, 1, None, CustomerFailed::Customer(form, errs), status).await
        }
    }
}

async fn add_contact(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    PageId(id): PageId,
    Form(form): Form<ContactForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &form.csrf)?;
    require(&who, Action::ManageDirectory)?;
    let l = &who.l;
    match s.app.create_contact(&who.actor, id, &form.input()).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/customers/{id}?saved=contact_added#contacts")).into_response()),
        Err(e) => {
            let (status, errs) = problems(e, Kind::Contact, l.lang).map_err(app_err(l))?;
            customer_page(&s, &who, id, 1, None, CustomerFailed::Contact(form, errs), status).await
        }
    }
}

async fn add_device(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    PageId(id): PageId,
    Form(form): Form<DeviceForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &form.csrf)?;
    require(&who, Action::ManageDirectory)?;
    let l = &who.l;
    // The customer first: an unknown one is "not found", not a form problem.
    s.app.get_customer(&who.actor, id).await.map_err(app_err(l))?;
    let result = match form.input(id) {
        Ok(input) => s.app.create_device(&who.actor, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/admin/customers/{id}?saved=device_added#devices")).into_response()),
        Err(e) => {
            let (status, errs) = problems(e, Kind::Device, l.lang).map_err(app_err(l))?;
            customer_page(&s, &who, id, 1, None, CustomerFailed::Device(form, errs), status).await
        }
    }
}

#[derive(Template)]
#[template(path = "admin/contact.html")]
struct ContactPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    k: Contact,
    cust: Customer,
    kf: ContactForm,
    kerrs: Problems,
    status_errs: Problems,
}

async fn contact_page(
    s: &AppState,
    who: &Signed,
    id: Id,
    f: Option<ContactForm>,
    errs: Problems,
    status_errs: Problems,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    let k = s.app.contact(&who.actor, id).await.map_err(app_err(l))?;
    let cust = s.app.get_customer(&who.actor, k.customer_id).await.map_err(app_err(l))?;
    let kf = f.unwrap_or_else(|| ContactForm::of(&k));
    let nav = Some(Nav::of(s, who, "admin").await);
    Ok((status, render(&ContactPage { l, nav, k, cust, kf, kerrs: errs, status_errs })).into_response())
}

async fn contact(State(s): State<AppState>, who: Signed, PageId(id): PageId) -> Result<Response, PageError> {
    require(&who, Action::ManageDirectory)?;
    contact_page(&s, &who, id, None, Problems::default(), Problems::default(), StatusCode::OK).await
}

async fn save_contact(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    PageId(id): PageId,
    Form(form): Form<ContactForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &form.csrf)?;
    require(&who, Action::ManageDirectory)?;
    let l = &who.l;
    match s.app.update_contact(&who.actor, id, &form.input()).await {
        Ok(k) => {
            Ok(Redirect::to(&format!("/admin/customers/{}?saved=contact#contacts", k.customer_id)).into_response())
        }
        Err(e) => {
            let (status, errs) = problems(e, Kind::Contact, l.lang).map_err(app_err(l))?;
            contact_page(&s, &who, id, Some(form), errs, Problems::default(), status).await
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ContactStatusForm {
    #[serde(default)]
    csrf: String,
    /// `1`: has left; `0`: is back.
    #[serde(default)]
    left: String,
}

async fn contact_status(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    PageId(id): PageId,
    Form(form): Form<ContactStatusForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &form.csrf)?;
    require(&who, Action::ManageDirectory)?;
    let l = &who.l;
    let result = match parse_flag("left", &form.left) {
        Ok(left) => s.app.set_contact_left(&who.actor, id, left).await,
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(k) => {
            let saved = if k.left { "left" } else { "back" };
            Ok(Redirect::to(&format!("/admin/customers/{}?saved={saved}#contacts", k.customer_id)).into_response())
        }
        Err(e) => {
            let (status, errs) = problems(e, Kind::Contact, l.lang).map_err(app_err(l))?;
            contact_page(&s, &who, id, None, Problems::default(), errs, status).await
        }
    }
}

#[derive(Template)]
#[template(path = "admin/device.html")]
struct DevicePage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    d: DeviceRow,
    cust: Customer,
    df: DeviceForm,
    derrs: Problems,
}

async fn device_page(
    s: &AppState,
    who: &Signed,
    id: Id,
    f: Option<DeviceForm>,
    errs: Problems,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    let d = s.app.get_device(&who.actor, id).await.map_err(app_err(l))?;
    let cust = s.app.get_customer(&who.actor, d.customer_id).await.map_err(app_err(l))?;
    let df = f.unwrap_or_else(|| DeviceForm::of(&d));
    let nav = Some(Nav::of(s, who, "admin").await);
    Ok((status, render(&DevicePage { l, nav, d: device_row(s, d), cust, df, derrs: errs })).into_response())
}

async fn device(State(s): State<AppState>, who: Signed, PageId(id): PageId) -> Result<Response, PageError> {
    require(&who, Action::ManageDirectory)?;
    device_page(&s, &who, id, None, Problems::default(), StatusCode::OK).await
}

async fn save_device(
    State(s): State<AppState>,
    headers: HeaderMap,
    who: Signed,
    PageId(id): PageId,
    Form(form): Form<DeviceForm>,
) -> Result<Response, PageError> {
    who.check_form(&headers, &form.csrf)?;
    require(&who, Action::ManageDirectory)?;
    let l = &who.l;
    let d = s.app.get_device(&who.actor, id).await.map_err(app_err(l))?;
    let result = match form.input(d.customer_id) {
        Ok(input) => s.app.update_device(&who.actor, id, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(d) => Ok(Redirect::to(&format!("/admin/customers/{}?saved=device#devices", d.customer_id)).into_response()),
        Err(e) => {
            let (status, errs) = problems(e, Kind::Device, l.lang).map_err(app_err(l))?;
            device_page(&s, &who, id, Some(form), errs, status).await
        }
    }
}
