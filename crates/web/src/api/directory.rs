//! Customers, contacts and devices.

use aftersales_app::users::Page;
use aftersales_domain::customer::{Contact, ContactInput, Customer, CustomerInput, CustomerLevel, Device, DeviceInput};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::AppState;
use crate::api::Listing;
use crate::error::ApiError;
use crate::extract::{Auth, IdPath, Json, Query};
use crate::openapi::ErrorResponse;

#[utoipa::path(get, path = "/api/v1/customer-levels", tag = "directory", security(("bearer" = [])),
    responses((status = 200, body = Vec<CustomerLevel>)))]
pub async fn levels(State(s): State<AppState>, Auth(actor): Auth) -> Result<axum::Json<Vec<CustomerLevel>>, ApiError> {
    Ok(axum::Json(s.app.customer_levels(&actor).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CustomerQuery {
    /// Part of the name, the short name, or a contact's phone number.
    pub q: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// Finds customers by name, short name or a contact's phone.
#[utoipa::path(get, path = "/api/v1/customers", tag = "directory", security(("bearer" = [])), params(CustomerQuery),
    responses((status = 200, body = Listing<Customer>), (status = 400, body = ErrorResponse)))]
pub async fn search_customers(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<CustomerQuery>,
) -> Result<axum::Json<Listing<Customer>>, ApiError> {
    let page = Page::new(q.page, q.per_page)?;
    let (items, total) = s.app.search_customers(&actor, q.q.as_deref(), page).await?;
    Ok(axum::Json(Listing { items, total, page: page.page, per_page: page.per_page }))
}

#[utoipa::path(post, path = "/api/v1/customers", tag = "directory", security(("bearer" = [])), request_body = CustomerInput,
    responses((status = 201, body = Customer), (status = 422, body = ErrorResponse)))]
pub async fn create_customer(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Json(input): Json<CustomerInput>,
) -> Result<(StatusCode, axum::Json<Customer>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.create_customer(&actor, &input).await?)))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "directory", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Customer), (status = 404, body = ErrorResponse)))]
pub async fn get_customer(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<Customer>, ApiError> {
    Ok(axum::Json(s.app.get_customer(&actor, id).await?))
}

/// Replaces a customer's fields, including its window contact and project specialist.
#[utoipa::path(put, path = "/api/v1/customers/{id}", tag = "directory", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = CustomerInput,
    responses((status = 200, body = Customer), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn update_customer(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<CustomerInput>,
) -> Result<axum::Json<Customer>, ApiError> {
    Ok(axum::Json(s.app.update_customer(&actor, id, &input).await?))
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/contacts", tag = "directory", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = Vec<Contact>), (status = 404, body = ErrorResponse)))]
pub async fn contacts(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<Vec<Contact>>, ApiError> {
    Ok(axum::Json(s.app.contacts(&actor, id).await?))
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/contacts", tag = "directory", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ContactInput,
    responses((status = 201, body = Contact), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn create_contact(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<ContactInput>,
) -> Result<(StatusCode, axum::Json<Contact>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.create_contact(&actor, id, &input).await?)))
}

#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "directory", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Contact), (status = 404, body = ErrorResponse)))]
pub async fn get_contact(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<Contact>, ApiError> {
    Ok(axum::Json(s.app.contact(&actor, id).await?))
}

/// Corrects a contact's name, phone, e-mail and department (it stays with its customer).
#[utoipa::path(put, path = "/api/v1/contacts/{id}", tag = "directory", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = ContactInput,
    responses((status = 200, body = Contact), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn update_contact(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<ContactInput>,
) -> Result<axum::Json<Contact>, ApiError> {
    Ok(axum::Json(s.app.update_contact(&actor, id, &input).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactStatus {
    /// Whether the contact has left the customer (离职 / 调岗).
    pub left: bool,
}

/// Records that a contact has left the customer, or is back. One who left keeps their
/// history, cannot be the window (409 `window_leaving` until another window is chosen), and
/// their portal accounts are deactivated.
#[utoipa::path(put, path = "/api/v1/contacts/{id}/status", tag = "directory", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ContactStatus,
    responses((status = 200, body = Contact), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
pub async fn set_contact_status(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(status): Json<ContactStatus>,
) -> Result<axum::Json<Contact>, ApiError> {
    Ok(axum::Json(s.app.set_contact_left(&actor, id, status.left).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeviceQuery {
    pub customer_id: Option<i64>,
    /// Beginning of the serial number.
    pub serial: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/devices", tag = "directory", security(("bearer" = [])), params(DeviceQuery),
    responses((status = 200, body = Vec<Device>), (status = 400, body = ErrorResponse)))]
pub async fn devices(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<DeviceQuery>,
) -> Result<axum::Json<Vec<Device>>, ApiError> {
    let page = Page::new(q.page, q.per_page)?;
    Ok(axum::Json(s.app.devices(&actor, q.customer_id, q.serial.as_deref(), page).await?))
}

#[utoipa::path(post, path = "/api/v1/devices", tag = "directory", security(("bearer" = [])), request_body = DeviceInput,
    responses((status = 201, body = Device), (status = 422, body = ErrorResponse)))]
pub async fn create_device(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Json(input): Json<DeviceInput>,
) -> Result<(StatusCode, axum::Json<Device>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.create_device(&actor, &input).await?)))
}

#[utoipa::path(get, path = "/api/v1/devices/{id}", tag = "directory", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Device), (status = 404, body = ErrorResponse)))]
pub async fn get_device(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<Device>, ApiError> {
    Ok(axum::Json(s.app.get_device(&actor, id).await?))
}

/// Corrects a device's fields. `customer_id` may be omitted; a device stays with its customer.
#[utoipa::path(put, path = "/api/v1/devices/{id}", tag = "directory", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = DeviceInput,
    responses((status = 200, body = Device), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn update_device(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<DeviceInput>,
) -> Result<axum::Json<Device>, ApiError> {
    Ok(axum::Json(s.app.update_device(&actor, id, &input).await?))
}

/// Finds a device by its serial number (seed 000: when the customer does not know the model).
#[utoipa::path(get, path = "/api/v1/devices/by-serial/{serial}", tag = "directory", security(("bearer" = [])),
    params(("serial" = String, Path)), responses((status = 200, body = Device), (status = 404, body = ErrorResponse)))]
pub async fn device_by_serial(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(serial): Path<String>,
) -> Result<axum::Json<Device>, ApiError> {
    Ok(axum::Json(s.app.device_by_serial(&actor, &serial).await?))
}
