//! A new request: the customer contact's portal form (their own devices) and the desk's
//! registration form (find the customer by name, short name or phone; the device by serial
//! number). Both go through the same `register` use case as the API, so its intake checks
//! (missing or vague fields, repeat reports, the window rule) answer here too.

use aftersales_app::tickets::RegistrationCheck;
use aftersales_app::users::Page;
use aftersales_app::{AppError, Outcome};
use aftersales_domain::catalog::Category;
use aftersales_domain::customer::{Contact, Customer, Device};
use aftersales_domain::permission::Action;
use aftersales_domain::registration::Registration;
use aftersales_domain::role::Role;
use aftersales_domain::ticket::{Channel, Kind};
use aftersales_domain::{Id, Timestamp};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::layout::Nav;
use super::view::L;
use super::{PageError, Signed, render};
use crate::AppState;
use crate::pages::Posted;

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct NewForm {
    /// The desk's customer search.
    q: String,
    customer_id: String,
    contact_id: String,
    contact_name: String,
    contact_phone: String,
    channel: String,
    kind: String,
    category_id: String,
    device_id: String,
    device_serial: String,
    fault_code: String,
    description: String,
    occurred_at: String,
    impact_scope: String,
    expected_resolution: String,
    complaint_about: String,
    /// `check`: only check the form (预检) and show what registering would do.
    intent: String,
}

#[derive(Template)]
#[template(path = "new.html")]
struct NewPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    f: NewForm,
    contact: bool,
    customers: Vec<Customer>,
    devices: Vec<Device>,
    categories: Vec<Category>,
    /// The chosen customer's contacts (the desk picks the caller; the window is marked).
    contacts: Vec<Contact>,
    kinds: &'static [Kind],
    channels: [Channel; 3],
    error: Option<String>,
    /// The outcome of "check before registering".
    check: Option<RegistrationCheck>,
}

impl NewPage<'_> {
    fn is(&self, field: &str, id: &Id) -> bool {
        field.trim() == id.to_string()
    }

    /// The customer search, for the links that choose one of its results.
    fn q_param(&self) -> String {
        super::form_urlencode(self.f.q.trim())
    }
}

async fn page(
    s: &AppState,
    who: &Signed,
    f: NewForm,
    error: Option<String>,
    check: Option<RegistrationCheck>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    let err = |e| PageError::App(e, l.clone());
    // Only those who may register see the form (the use case refuses the rest anyway).
    who.actor.require(Action::RegisterTicket).map_err(err)?;
    let contact = who.actor.user.role == Role::CustomerContact;
    let customers = if contact || f.q.trim().is_empty() {
        Vec::new()
    } else {
        s.app
            .search_customers(&who.actor, Some(f.q.trim()), Page::new(Some(1), Some(20)).map_err(err)?)
            .await
            .map_err(err)?
            .0
    };
    let customer: Option<Id> = if contact {
        who.actor.user.customer_id
    } else {
        f.customer_id.parse().ok().or_else(|| (customers.len() == 1).then(|| customers[0].id))
    };
    let devices = match customer {
        Some(c) => {
            s.app.devices(&who.actor, Some(c), None, Page::new(Some(1), Some(200)).map_err(err)?).await.map_err(err)?
        }
        None => Vec::new(),
    };
    let mut f = f;
    if let Some(c) = customer {
        f.customer_id = c.to_string();
    }
    let contacts = match customer {
        Some(c) if !contact => {
            s.app.contacts(&who.actor, c).await.map_err(err)?.into_iter().filter(|k| !k.left).collect()
        }
        _ => Vec::new(),
    };
    let categories = s.app.categories(&who.actor).await.map_err(err)?.into_iter().filter(|c| c.active).collect();
    let nav = Some(Nav::of(s, who, "new").await);
    let channels = [Channel::Phone, Channel::Email, Channel::Chat];
    let page = NewPage {
        l,
        nav,
        f,
        contact,
        customers,
        devices,
        categories,
        contacts,
        kinds: Kind::ALL,
        channels,
        error,
        check,
    };
    Ok((status, render(&page)).into_response())
}

pub async fn new_form(State(s): State<AppState>, who: Signed, Query(f): Query<NewForm>) -> Result<Response, PageError> {
    page(&s, &who, f, None, None, StatusCode::OK).await
}

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

pub async fn submit(
    State(s): State<AppState>,
    Posted { who, form: f }: Posted<NewForm>,
) -> Result<Response, PageError> {
    let l = &who.l;
    let contact = who.actor.user.role == Role::CustomerContact;
    let tz = s.app.settings().time_zone.clone();
    let occurred_at: Option<Timestamp> = match opt(&f.occurred_at) {
        None => None,
        Some(v) => match super::view::datetime_local(&v, &tz) {
            Some(t) => Some(t),
            None => {
                let e = l.t("register.the_time_the_fault_occurred_is").to_owned();
                return page(&s, &who, f, Some(e), None, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        },
    };
    let r = Registration {
        customer_id: if contact { None } else { f.customer_id.trim().parse().ok() },
        contact_id: if contact { None } else { f.contact_id.trim().parse().ok() },
        contact_name: opt(&f.contact_name),
        contact_phone: opt(&f.contact_phone),
        channel: Some(if contact { Channel::Portal } else { Channel::from_code(&f.channel).unwrap_or(Channel::Phone) }),
        kind: Some(Kind::from_code(&f.kind).unwrap_or(Kind::Fault)),
        category_id: f.category_id.trim().parse().ok(),
        device_id: f.device_id.trim().parse().ok(),
        device_serial: opt(&f.device_serial),
        fault_code: opt(&f.fault_code),
        description: opt(&f.description),
        occurred_at,
        impact_scope: opt(&f.impact_scope),
        expected_resolution: opt(&f.expected_resolution),
        complaint_about: opt(&f.complaint_about),
        ..Registration::default()
    };
    let problem = |e: AppError| async {
        match e {
            e @ (AppError::Domain(_) | AppError::NotFound { .. }) => {
                let status = crate::error::status_of(&e);
                let msg = e.message(l.lang);
                page(&s, &who, f.clone(), Some(msg), None, status).await
            }
            e => Err(PageError::App(e, l.clone())),
        }
    };
    if f.intent == "check" {
        return match s.app.check_registration(&who.actor, &r).await {
            Ok(c) => page(&s, &who, f.clone(), None, Some(c), StatusCode::OK).await,
            Err(e) => problem(e).await,
        };
    }
    let registered = if who.actor.is_customer() {
        s.app.customer_register(&who.actor, &r, None).await.and_then(Outcome::into_value).map(|t| t.id)
    } else {
        s.app.register(&who.actor, &r, None).await.and_then(Outcome::into_value).map(|t| t.id)
    };
    match registered {
        Ok(id) => Ok(Redirect::to(&format!("/tickets/{id}?done=registered")).into_response()),
        Err(e) => problem(e).await,
    }
}
