//! One device (DOMAIN §2): its serial number, model, location and warranty.

use aftersales_app::AppError;
use aftersales_domain::Id;
use aftersales_domain::customer::{Customer, Device, DeviceInput, Warranty};
use aftersales_domain::permission::Action;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::form::{PageId, Problems, app_err, date_field, require, text};
use super::labels::Kind;
use super::shared::after_post;
use crate::AppState;
use crate::pages::Posted;
use crate::pages::layout::Nav;
use crate::pages::view::L;
use crate::pages::{PageError, Signed, render};

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub(crate) struct DeviceForm {
    pub(crate) model: String,
    pub(crate) serial: String,
    pub(crate) location: String,
    pub(crate) purchase_date: String,
    pub(crate) warranty_end: String,
    pub(crate) consumable_model: String,
}

impl DeviceForm {
    pub(crate) fn of(d: &Device) -> DeviceForm {
        DeviceForm {
            model: d.model.clone(),
            serial: d.serial.clone(),
            location: d.location.clone().unwrap_or_default(),
            purchase_date: d.purchase_date.map(|x| x.to_string()).unwrap_or_default(),
            warranty_end: d.warranty_end.map(|x| x.to_string()).unwrap_or_default(),
            consumable_model: d.consumable_model.clone().unwrap_or_default(),
        }
    }

    pub(crate) fn input(&self, customer: Id) -> Result<DeviceInput, AppError> {
        let mut p = Vec::new();
        let purchase_date = date_field(&self.purchase_date, "purchase_date", &mut p);
        let warranty_end = date_field(&self.warranty_end, "warranty_end", &mut p);
        AppError::unless_invalid(p)?;
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

/// A device as the customer page lists it, with its warranty today.
#[derive(Debug)]
pub(crate) struct DeviceRow {
    pub(crate) d: Device,
    pub(crate) warranty: Warranty,
}

pub(crate) fn device_row(s: &AppState, d: Device) -> DeviceRow {
    let today = s.app.now().to_zoned(s.app.settings().time_zone.clone()).date();
    DeviceRow { warranty: d.warranty_on(today), d }
}

#[derive(Template)]
#[template(path = "admin/device.html")]
pub(crate) struct DevicePage<'a> {
    pub(crate) l: &'a L,
    pub(crate) nav: Option<Nav>,
    pub(crate) d: DeviceRow,
    pub(crate) cust: Customer,
    pub(crate) df: DeviceForm,
    pub(crate) derrs: Problems,
}

pub(crate) async fn device_page(
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

pub(crate) async fn device(State(s): State<AppState>, who: Signed, PageId(id): PageId) -> Result<Response, PageError> {
    require(&who, Action::ManageDirectory)?;
    device_page(&s, &who, id, None, Problems::default(), StatusCode::OK).await
}

pub(crate) async fn save_device(
    State(s): State<AppState>,
    PageId(id): PageId,
    Posted { who, form }: Posted<DeviceForm>,
) -> Result<Response, PageError> {
    require(&who, Action::ManageDirectory)?;
    let l = &who.l;
    let d = s.app.get_device(&who.actor, id).await.map_err(app_err(l))?;
    let result = match form.input(d.customer_id) {
        Ok(input) => s.app.update_device(&who.actor, id, &input).await,
        Err(e) => Err(e),
    };
    after_post(
        result,
        |d| format!("/admin/customers/{}?saved=device#devices", d.customer_id),
        Kind::Device,
        &who.l,
        |errs, status| device_page(&s, &who, id, Some(form), errs, status),
    )
    .await
}
