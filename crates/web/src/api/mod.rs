//! `/api/v1` routes.

pub mod catalog;
pub mod directory;
pub mod health;
pub mod notices;
pub mod policy;
pub mod tickets;
pub mod users;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

/// Pagination and list envelope shared by list endpoints.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(crate::openapi::serve_document))
        .route("/me", get(users::me))
        .route("/me/tokens", post(users::create_own_token))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}", get(users::get).patch(users::update))
        .route("/users/{id}/password", post(users::reset_password))
        .route("/customer-levels", get(directory::levels))
        .route("/customers", get(directory::search_customers).post(directory::create_customer))
        .route("/customers/{id}", get(directory::get_customer).put(directory::update_customer))
        .route("/customers/{id}/contacts", get(directory::contacts).post(directory::create_contact))
        .route("/devices", get(directory::devices).post(directory::create_device))
        .route("/contacts/{id}", get(directory::get_contact).put(directory::update_contact))
        .route("/contacts/{id}/status", axum::routing::put(directory::set_contact_status))
        .route("/devices/{id}", get(directory::get_device).put(directory::update_device))
        .route("/devices/by-serial/{serial}", get(directory::device_by_serial))
        .route("/groups", get(catalog::groups).post(catalog::create_group))
        .route("/groups/{id}", axum::routing::patch(catalog::update_group))
        .route("/categories", get(catalog::categories).post(catalog::create_category))
        .route("/categories/{id}", axum::routing::patch(catalog::update_category))
        .route("/grading-scheme", get(catalog::grading_scheme).put(catalog::replace_grading_scheme))
        .route("/tickets", get(tickets::list).post(tickets::register))
        .route("/tickets/by-number/{number}", get(tickets::by_number))
        .route("/tickets/{id}", get(tickets::get).patch(tickets::edit))
        .route("/tickets/{id}/transitions", post(tickets::transition))
        .route("/tickets/{id}/events", get(tickets::events))
        .route("/tickets/{id}/worklog", get(tickets::work_log).post(tickets::add_log))
        .route("/tickets/{id}/dispatch-suggestion", get(tickets::dispatch_suggestion))
        .route("/priority-requests", get(tickets::priority_requests))
        .route("/priority-requests/{id}/decision", post(tickets::decide_priority_request))
        .route("/calendars", get(policy::calendars))
        .route("/calendars/{name}", get(policy::calendar).put(policy::put_calendar))
        .route("/calendars/{name}/add", get(policy::add))
        .route("/calendars/{name}/between", get(policy::between))
        .route("/holiday-sets/{name}", get(policy::holiday_set))
        .route("/holiday-sets/{name}/import", post(policy::import_holidays))
        .route("/service-policy", get(policy::service_policy).put(policy::put_service_policy))
        .route("/service-policy/versions", get(policy::policy_versions))
        .route("/service-policy/versions/{id}", get(policy::policy_version))
        .route("/notices", get(notices::list))
        .route("/notices/{id}", get(notices::get))
        .route("/notices/{id}/acknowledge", post(notices::acknowledge))
        .route("/notices/{id}/deliveries", get(notices::notice_deliveries))
        .route("/deliveries", get(notices::deliveries))
        .route("/deliveries/{id}", get(notices::delivery))
        .route("/deliveries/{id}/retry", post(notices::retry))
        .route("/deliveries/{id}/confirm", post(notices::confirm))
        .route("/reports/daily-notices", get(notices::daily))
        .route("/notice-routes", get(notices::routes).put(notices::put_route))
        .route("/notify-targets", get(notices::targets))
        .route("/notify-targets/{name}", axum::routing::put(notices::put_target))
}
