//! One customer contact (DOMAIN §2): correct it, and mark that they left the customer (which
//! ends their portal accounts) or came back.

use aftersales_domain::Id;
use aftersales_domain::customer::{Contact, ContactInput, Customer};
use aftersales_domain::permission::Action;
use aftersales_domain::user::User;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::form::{PageId, Problems, app_err, parse_flag, require, text};
use super::labels::Kind;
use super::shared::problems;
use crate::AppState;
use crate::pages::Posted;
use crate::pages::layout::Nav;
use crate::pages::view::L;
use crate::pages::{PageError, Signed, render};

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub(crate) struct ContactForm {
    pub(crate) name: String,
    pub(crate) phone: String,
    pub(crate) email: String,
    pub(crate) department: String,
    /// `zh-CN` or `en`: the language of their customer notices.
    pub(crate) lang: String,
}

impl ContactForm {
    pub(crate) fn of(k: &Contact) -> ContactForm {
        ContactForm {
            name: k.name.clone(),
            phone: k.phone.clone(),
            email: k.email.clone().unwrap_or_default(),
            department: k.department.clone().unwrap_or_default(),
            lang: k.lang.code().to_owned(),
        }
    }

    pub(crate) fn input(&self) -> ContactInput {
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

/// A contact as the customer page lists it (the phone as the reader may see it), with its
/// portal account if it has one, for a reader who manages accounts.
#[derive(Debug)]
pub(crate) struct ContactRow {
    pub(crate) k: Contact,
    pub(crate) account: Option<User>,
    /// Whether the reader may open a portal account for the contact (no account yet).
    pub(crate) may_open: bool,
}

#[derive(Template)]
#[template(path = "admin/contact.html")]
pub(crate) struct ContactPage<'a> {
    pub(crate) l: &'a L,
    pub(crate) nav: Option<Nav>,
    pub(crate) k: Contact,
    pub(crate) cust: Customer,
    pub(crate) kf: ContactForm,
    pub(crate) kerrs: Problems,
    pub(crate) status_errs: Problems,
}

pub(crate) async fn contact_page(
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

pub(crate) async fn contact(State(s): State<AppState>, who: Signed, PageId(id): PageId) -> Result<Response, PageError> {
    require(&who, Action::ManageDirectory)?;
    contact_page(&s, &who, id, None, Problems::default(), Problems::default(), StatusCode::OK).await
}

pub(crate) async fn save_contact(
    State(s): State<AppState>,
    PageId(id): PageId,
    Posted { who, form }: Posted<ContactForm>,
) -> Result<Response, PageError> {
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
#[serde(default)]
pub(crate) struct ContactStatusForm {
    /// `1`: has left; `0`: is back.
    pub(crate) left: String,
}

pub(crate) async fn contact_status(
    State(s): State<AppState>,
    PageId(id): PageId,
    Posted { who, form }: Posted<ContactStatusForm>,
) -> Result<Response, PageError> {
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
