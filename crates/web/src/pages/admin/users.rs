//! People and roles (DOMAIN §1): the list (search, role, group, active), a new account, and
//! one account's page (details, deactivation, password reset).

use std::collections::HashMap;

use aftersales_app::AppError;
use aftersales_app::users::{Page, UserFilter};
use aftersales_domain::customer::Customer;
use aftersales_domain::error::Reason;
use aftersales_domain::permission::Action;
use aftersales_domain::role::Role;
use aftersales_domain::user::{User, UserInput, UserUpdate};
use aftersales_domain::{DomainError, Id};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::{Choice, PageId, Problems, app_err, choice, choices, id_field, parse_flag, require, text};
use super::labels::Kind;
use super::shared::{PER_PAGE, after_post, page_of, problems, role_label, role_options, saved_message};
use crate::AppState;
use crate::pages::Posted;
use crate::pages::layout::Nav;
use crate::pages::view::{L, Pager};
use crate::pages::{PageError, Signed, render};

// ---------------------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct UserListQuery {
    pub(crate) q: String,
    pub(crate) role: String,
    pub(crate) group: String,
    /// `active`, `inactive` or empty (all).
    pub(crate) status: String,
    pub(crate) page: Option<u64>,
}

/// One row of the user list, ready to show.
#[derive(Debug)]
pub(crate) struct UserRow {
    pub(crate) u: User,
    pub(crate) role: &'static str,
    pub(crate) group: String,
    pub(crate) customer: String,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub(crate) struct UsersPage<'a> {
    pub(crate) l: &'a L,
    pub(crate) nav: Option<Nav>,
    pub(crate) q: String,
    pub(crate) roles: Vec<Choice>,
    pub(crate) groups: Vec<Choice>,
    pub(crate) statuses: Vec<Choice>,
    pub(crate) rows: Vec<UserRow>,
    pub(crate) pager: Pager,
}

pub(crate) async fn group_names(s: &AppState, who: &Signed) -> Result<HashMap<Id, String>, PageError> {
    let l = &who.l;
    let groups = s.app.groups(&who.actor).await.map_err(app_err(l))?;
    Ok(groups.into_iter().map(|g| (g.id, if l.is_en() { g.name_en } else { g.name_zh })).collect())
}

pub(crate) async fn users(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<UserListQuery>,
) -> Result<Response, PageError> {
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
#[serde(default)]
pub(crate) struct UserForm {
    pub(crate) username: String,
    pub(crate) display_name: String,
    pub(crate) role: String,
    pub(crate) email: String,
    pub(crate) phone: String,
    pub(crate) region: String,
    pub(crate) group_id: String,
    pub(crate) customer_id: String,
    pub(crate) contact_id: String,
    pub(crate) password: String,
    /// The customer search the form was shown with (kept when the form comes back).
    pub(crate) cq: String,
}

impl UserForm {
    pub(crate) fn of(u: &User) -> UserForm {
        UserForm {
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
    pub(crate) fn refs(
        &self,
        p: &mut Vec<(&'static str, Reason)>,
    ) -> (Option<Role>, Option<Id>, Option<Id>, Option<Id>) {
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

    pub(crate) fn input(&self) -> Result<UserInput, AppError> {
        let mut p = Vec::new();
        let (role, group_id, customer_id, contact_id) = self.refs(&mut p);
        AppError::unless_invalid(p)?;
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
    pub(crate) fn update(&self) -> Result<UserUpdate, AppError> {
        let mut p = Vec::new();
        let (role, group_id, customer_id, contact_id) = self.refs(&mut p);
        if role.is_none() && p.is_empty() {
            p.push(("role", Reason::Missing));
        }
        AppError::unless_invalid(p)?;
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
pub(crate) struct UserChoices {
    pub(crate) roles: Vec<Choice>,
    pub(crate) groups: Vec<Choice>,
    pub(crate) customers: Vec<Choice>,
    pub(crate) contacts: Vec<Choice>,
}

pub(crate) async fn user_choices(s: &AppState, who: &Signed, f: &UserForm, cq: &str) -> Result<UserChoices, PageError> {
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
pub(crate) struct NewUserPage<'a> {
    pub(crate) l: &'a L,
    pub(crate) nav: Option<Nav>,
    pub(crate) f: UserForm,
    pub(crate) cq: String,
    pub(crate) c: UserChoices,
    pub(crate) errs: Problems,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct NewUserQuery {
    /// Customer search (for a customer contact's account).
    pub(crate) cq: String,
    /// Prefills from a customer, or from one of its contacts (the contact list's link).
    pub(crate) customer_id: String,
    pub(crate) contact_id: String,
    pub(crate) role: String,
}

pub(crate) async fn new_user_page(
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

pub(crate) async fn new_user(
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

pub(crate) async fn create_user(
    State(s): State<AppState>,
    Posted { who, form }: Posted<UserForm>,
) -> Result<Response, PageError> {
    require(&who, Action::ManageUsers)?;
    let result = match form.input() {
        Ok(input) => s.app.create_user(Some(&who.actor), &input).await,
        Err(e) => Err(e),
    };
    after_post(
        result,
        |u| format!("/admin/users/{}?saved=created", u.id),
        Kind::User,
        &who.l,
        |errs, status| {
            let mut f = form;
            f.password.clear();
            let cq = std::mem::take(&mut f.cq);
            new_user_page(&s, &who, f, cq, errs, status)
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "admin/user.html")]
pub(crate) struct UserPage<'a> {
    pub(crate) l: &'a L,
    pub(crate) nav: Option<Nav>,
    pub(crate) u: User,
    pub(crate) role: &'static str,
    pub(crate) me: bool,
    /// The portal account's contact has left the customer (it cannot be reactivated).
    pub(crate) contact_left: bool,
    pub(crate) f: UserForm,
    pub(crate) cq: String,
    pub(crate) c: UserChoices,
    pub(crate) message: Option<String>,
    pub(crate) errs: Problems,
    /// Problems of the status and password forms (shown beside them).
    pub(crate) status_errs: Problems,
    pub(crate) password_errs: Problems,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct UserQuery {
    pub(crate) saved: String,
    pub(crate) cq: String,
}

pub(crate) enum Failed {
    None,
    Details(Box<UserForm>, Problems),
    Status(Problems),
    Password(Problems),
}

pub(crate) async fn user_page(
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

pub(crate) async fn user(
    State(s): State<AppState>,
    who: Signed,
    PageId(id): PageId,
    Query(q): Query<UserQuery>,
) -> Result<Response, PageError> {
    require(&who, Action::ManageUsers)?;
    let message = saved_message(&who.l, &q.saved);
    user_page(&s, &who, id, q.cq, message, Failed::None, StatusCode::OK).await
}

pub(crate) async fn save_user(
    State(s): State<AppState>,
    PageId(id): PageId,
    Posted { who, form }: Posted<UserForm>,
) -> Result<Response, PageError> {
    require(&who, Action::ManageUsers)?;
    let result = match form.update() {
        Ok(change) => s.app.update_user(&who.actor, id, &change).await,
        Err(e) => Err(e),
    };
    after_post(
        result,
        |_| format!("/admin/users/{id}?saved=saved"),
        Kind::User,
        &who.l,
        |errs, status| {
            let mut form = form;
            let cq = std::mem::take(&mut form.cq);
            user_page(&s, &who, id, cq, None, Failed::Details(Box::new(form), errs), status)
        },
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ActiveForm {
    /// `1` reactivates, `0` deactivates.
    pub(crate) active: String,
}

pub(crate) async fn set_active(
    State(s): State<AppState>,
    PageId(id): PageId,
    Posted { who, form }: Posted<ActiveForm>,
) -> Result<Response, PageError> {
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
#[serde(default)]
pub(crate) struct PasswordForm {
    pub(crate) new_password: String,
    pub(crate) repeat_password: String,
}

pub(crate) async fn reset_password(
    State(s): State<AppState>,
    PageId(id): PageId,
    Posted { who, form }: Posted<PasswordForm>,
) -> Result<Response, PageError> {
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
