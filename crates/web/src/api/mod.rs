//! `/api/v1` routes.

pub mod catalog;
pub mod directory;
pub mod fees;
pub mod health;
pub mod notices;
pub mod policy;
pub mod tickets;
pub mod users;

use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// Pagination and list envelope shared by list endpoints.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// The `/api/v1` routes, each declared once with its OpenAPI operation (`#[utoipa::path]`
/// names the path, so the router and the document cannot disagree).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/api/v1/openapi.json", get(crate::openapi::serve_document))
        .routes(routes!(users::me))
        .routes(routes!(users::create_own_token))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::get, users::update))
        .routes(routes!(users::reset_password))
        .routes(routes!(directory::levels))
        .routes(routes!(directory::search_customers, directory::create_customer))
        .routes(routes!(directory::get_customer, directory::update_customer))
        .routes(routes!(directory::contacts, directory::create_contact))
        .routes(routes!(directory::devices, directory::create_device))
        .routes(routes!(directory::get_contact, directory::update_contact))
        .routes(routes!(directory::set_contact_status))
        .routes(routes!(directory::get_device, directory::update_device))
        .routes(routes!(directory::device_by_serial))
        .routes(routes!(catalog::groups, catalog::create_group))
        .routes(routes!(catalog::update_group))
        .routes(routes!(catalog::categories, catalog::create_category))
        .routes(routes!(catalog::update_category))
        .routes(routes!(catalog::grading_scheme, catalog::replace_grading_scheme))
        .routes(routes!(tickets::list, tickets::register))
        .routes(routes!(tickets::by_number))
        .routes(routes!(tickets::get, tickets::edit))
        .routes(routes!(tickets::transition))
        .routes(routes!(tickets::events))
        .routes(routes!(tickets::work_log, tickets::add_log))
        .routes(routes!(tickets::dispatch_suggestion))
        .routes(routes!(tickets::priority_requests))
        .routes(routes!(tickets::decide_priority_request))
        .routes(routes!(fees::fees))
        .routes(routes!(fees::write_quote))
        .routes(routes!(fees::decide_quote))
        .routes(routes!(fees::record_payment))
        .routes(routes!(fees::record_free))
        .routes(routes!(fees::receipt))
        .routes(routes!(policy::calendars))
        .routes(routes!(policy::calendar, policy::put_calendar))
        .routes(routes!(policy::add))
        .routes(routes!(policy::between))
        .routes(routes!(policy::holiday_set))
        .routes(routes!(policy::import_holidays))
        .routes(routes!(policy::service_policy, policy::put_service_policy))
        .routes(routes!(policy::policy_versions))
        .routes(routes!(policy::policy_version))
        .routes(routes!(notices::list))
        .routes(routes!(notices::get))
        .routes(routes!(notices::acknowledge))
        .routes(routes!(notices::notice_deliveries))
        .routes(routes!(notices::deliveries))
        .routes(routes!(notices::delivery))
        .routes(routes!(notices::retry))
        .routes(routes!(notices::confirm))
        .routes(routes!(notices::daily))
        .routes(routes!(notices::routes, notices::put_route))
        .routes(routes!(notices::targets))
        .routes(routes!(notices::put_target))
}
