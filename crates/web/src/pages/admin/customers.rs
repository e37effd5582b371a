//! The customer directory (DOMAIN §2): the list (name, short name, a contact's phone), a new
//! customer, and one customer's page with its contacts and devices.

use aftersales_app::AppError;
use aftersales_app::users::Page;
use aftersales_domain::Id;
use aftersales_domain::customer::{Contact, Customer, CustomerInput};
use aftersales_domain::permission::{Action, allows};
use aftersales_domain::role::Role;
use aftersales_domain::user::User;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::contacts::{ContactForm, ContactRow};
use super::devices::{DeviceForm, DeviceRow, device_row};
use super::form::{Choice, PageId, Problems, app_err, choice, id_field, require, text};
use super::labels::Kind;
use super::shared::{PER_PAGE, Saved, after_post, level_name, page_of, saved_message};
use crate::AppState;
use crate::pages::Posted;
use crate::pages::layout::Nav;
use crate::pages::view::{L, Pager};
use crate::pages::{PageError, Signed, render};

// ---------------------------------------------------------------------------------------
// Customers
// ---------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CustomerListQuery {
    pub(crate) q: String,
    pub(crate) page: Option<u64>,
}

#[derive(Debug)]
pub(crate) struct CustomerRow {
    pub(crate) c: Customer,
    pub(crate) level: String,
    pub(crate) specialist: String,
}

#[derive(Template)]
#[template(path = "admin/customers.html")]
pub(crate) struct CustomersPage<'a> {
    pub(crate) l: &'a L,
    pub(crate) nav: Option<Nav>,
    pub(crate) q: String,
    pub(crate) rows: Vec<CustomerRow>,
    pub(crate) pager: Pager,
}

/// Display names of the project specialists (and anyone else already named as one).
pub(crate) async fn specialists(s: &AppState, who: &Signed) -> Result<Vec<User>, PageError> {
    let page = Page::new(Some(1), Some(Page::MAX_PER_PAGE)).map_err(app_err(&who.l))?;
    s.app.list_users(&who.actor, &[Role::ProjectSpecialist], None, page).await.map_err(app_err(&who.l))
}

pub(crate) async fn customers(
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
#[serde(default)]
pub(crate) struct CustomerForm {
    pub(crate) name: String,
    pub(crate) short_name: String,
    pub(crate) region: String,
    pub(crate) level: String,
    pub(crate) specialist_id: String,
    pub(crate) window_contact_id: String,
    pub(crate) calendar: String,
}

impl CustomerForm {
    pub(crate) fn of(c: &Customer) -> CustomerForm {
        CustomerForm {
            name: c.name.clone(),
            short_name: c.short_name.clone(),
            region: c.region.clone(),
            level: c.level.clone(),
            specialist_id: c.specialist_id.map(|v| v.to_string()).unwrap_or_default(),
            window_contact_id: c.window_contact_id.map(|v| v.to_string()).unwrap_or_default(),
            calendar: c.calendar.clone().unwrap_or_default(),
        }
    }

    pub(crate) fn input(&self) -> Result<CustomerInput, AppError> {
        let mut p = Vec::new();
        let specialist_id = id_field(&self.specialist_id, "specialist_id", &mut p);
        let window_contact_id = id_field(&self.window_contact_id, "window_contact_id", &mut p);
        AppError::unless_invalid(p)?;
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
pub(crate) struct CustomerChoices {
    pub(crate) levels: Vec<Choice>,
    pub(crate) specialists: Vec<Choice>,
    pub(crate) calendars: Vec<Choice>,
    pub(crate) windows: Vec<Choice>,
}

pub(crate) async fn customer_choices(
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
pub(crate) struct NewCustomerPage<'a> {
    pub(crate) l: &'a L,
    pub(crate) nav: Option<Nav>,
    pub(crate) f: CustomerForm,
    pub(crate) c: CustomerChoices,
    pub(crate) errs: Problems,
}

pub(crate) async fn new_customer_page(
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

pub(crate) async fn new_customer(State(s): State<AppState>, who: Signed) -> Result<Response, PageError> {
    require(&who, Action::ManageDirectory)?;
    new_customer_page(&s, &who, CustomerForm::default(), Problems::default(), StatusCode::OK).await
}

pub(crate) async fn create_customer(
    State(s): State<AppState>,
    Posted { who, form }: Posted<CustomerForm>,
) -> Result<Response, PageError> {
    require(&who, Action::ManageDirectory)?;
    let result = match form.input() {
        Ok(input) => s.app.create_customer(&who.actor, &input).await,
        Err(e) => Err(e),
    };
    after_post(
        result,
        |c| format!("/admin/customers/{}?saved=created", c.id),
        Kind::Customer,
        &who.l,
        |errs, status| new_customer_page(&s, &who, form, errs, status),
    )
    .await
}

#[derive(Template)]
#[template(path = "admin/customer.html")]
pub(crate) struct CustomerPage<'a> {
    pub(crate) l: &'a L,
    pub(crate) nav: Option<Nav>,
    pub(crate) cust: Customer,
    pub(crate) level: String,
    pub(crate) specialist: String,
    pub(crate) window: String,
    pub(crate) message: Option<String>,
    pub(crate) f: CustomerForm,
    pub(crate) c: CustomerChoices,
    pub(crate) errs: Problems,
    pub(crate) contacts: Vec<ContactRow>,
    pub(crate) kf: ContactForm,
    pub(crate) kerrs: Problems,
    pub(crate) devices: Vec<DeviceRow>,
    pub(crate) df: DeviceForm,
    pub(crate) derrs: Problems,
    pub(crate) dpage: u64,
    pub(crate) dmore: bool,
}

/// Which of the customer page's forms failed, with what was entered.
pub(crate) enum CustomerFailed {
    None,
    Customer(CustomerForm, Problems),
    Contact(ContactForm, Problems),
    Device(DeviceForm, Problems),
}

pub(crate) async fn customer_page(
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

pub(crate) async fn customer(
    State(s): State<AppState>,
    who: Signed,
    PageId(id): PageId,
    Query(q): Query<Saved>,
) -> Result<Response, PageError> {
    require(&who, Action::ManageDirectory)?;
    let message = saved_message(&who.l, &q.saved);
    customer_page(&s, &who, id, q.dpage.unwrap_or(1), message, CustomerFailed::None, StatusCode::OK).await
}

pub(crate) async fn save_customer(
    State(s): State<AppState>,
    PageId(id): PageId,
    Posted { who, form }: Posted<CustomerForm>,
) -> Result<Response, PageError> {
    require(&who, Action::ManageDirectory)?;
    let result = match form.input() {
        Ok(input) => s.app.update_customer(&who.actor, id, &input).await,
        Err(e) => Err(e),
    };
    after_post(
        result,
        |_| format!("/admin/customers/{id}?saved=saved"),
        Kind::Customer,
        &who.l,
        |errs, status| customer_page(&s, &who, id, 1, None, CustomerFailed::Customer(form, errs), status),
    )
    .await
}

pub(crate) async fn add_contact(
    State(s): State<AppState>,
    PageId(id): PageId,
    Posted { who, form }: Posted<ContactForm>,
) -> Result<Response, PageError> {
    require(&who, Action::ManageDirectory)?;
    let result = s.app.create_contact(&who.actor, id, &form.input()).await;
    after_post(
        result,
        |_| format!("/admin/customers/{id}?saved=contact_added#contacts"),
        Kind::Contact,
        &who.l,
        |errs, status| customer_page(&s, &who, id, 1, None, CustomerFailed::Contact(form, errs), status),
    )
    .await
}

pub(crate) async fn add_device(
    State(s): State<AppState>,
    PageId(id): PageId,
    Posted { who, form }: Posted<DeviceForm>,
) -> Result<Response, PageError> {
    require(&who, Action::ManageDirectory)?;
    let l = &who.l;
    // The customer first: an unknown one is "not found", not a form problem.
    s.app.get_customer(&who.actor, id).await.map_err(app_err(l))?;
    let result = match form.input(id) {
        Ok(input) => s.app.create_device(&who.actor, &input).await,
        Err(e) => Err(e),
    };
    after_post(
        result,
        |_| format!("/admin/customers/{id}?saved=device_added#devices"),
        Kind::Device,
        &who.l,
        |errs, status| customer_page(&s, &who, id, 1, None, CustomerFailed::Device(form, errs), status),
    )
    .await
}
