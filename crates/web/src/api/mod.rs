//! `/api/v1` routes.

pub mod attachments;
pub mod callbacks;
pub mod catalog;
pub mod directory;
pub mod fees;
pub mod health;
pub mod links;
pub mod notices;
pub mod parts;
pub mod policy;
pub mod reporting;
pub mod reports;
pub mod subscriptions;
pub mod tickets;
pub mod users;
pub mod visits;
pub mod work_orders;

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
        .routes(routes!(reports::list, reports::prepare))
        .routes(routes!(reports::pdf))
        .routes(routes!(reports::pdf_by_hash))
        .routes(routes!(reports::sign))
        .routes(routes!(reports::refuse))
        .routes(routes!(reports::send))
        .routes(routes!(subscriptions::list, subscriptions::create))
        .routes(routes!(subscriptions::cancel))
        .routes(routes!(subscriptions::file))
        .routes(routes!(links::get, links::answer))
        .routes(routes!(policy::calendars))
        .routes(routes!(policy::calendar, policy::put_calendar))
        .routes(routes!(policy::add))
        .routes(routes!(policy::between))
        .routes(routes!(policy::holiday_set))
        .routes(routes!(policy::import_holidays))
        .routes(routes!(policy::service_policy, policy::put_service_policy))
        .routes(routes!(policy::policy_versions))
        .routes(routes!(policy::policy_version))
        .routes(routes!(callbacks::list))
        .routes(routes!(callbacks::selection, callbacks::select))
        .routes(routes!(callbacks::get))
        .routes(routes!(callbacks::attempt))
        .routes(routes!(callbacks::feedback))
        .routes(routes!(callbacks::action))
        .routes(routes!(callbacks::closure_check))
        .routes(routes!(callbacks::archive))
        .routes(routes!(callbacks::export))
        .routes(routes!(notices::list))
        .routes(routes!(notices::get))
        .routes(routes!(notices::acknowledge))
        .routes(routes!(notices::notice_deliveries))
        .routes(routes!(notices::deliveries))
        .routes(routes!(notices::delivery))
        .routes(routes!(notices::retry))
        .routes(routes!(notices::confirm))
        .routes(routes!(notices::daily))
        .routes(routes!(reporting::weekly))
        .routes(routes!(reporting::regions))
        .routes(routes!(reporting::service))
        .routes(routes!(reporting::desk))
        .routes(routes!(reporting::customer_edition))
        .routes(routes!(reporting::cell))
        .routes(routes!(reporting::cell_export))
        .routes(routes!(reporting::export))
        .routes(routes!(reporting::settings, reporting::put_settings))
        .routes(routes!(reporting::improvements, reporting::put_improvements))
        .routes(routes!(notices::routes, notices::put_route))
        .routes(routes!(notices::targets))
        .routes(routes!(notices::put_target))
        .routes(routes!(work_orders::departments, work_orders::create_department))
        .routes(routes!(work_orders::update_department))
        .routes(routes!(work_orders::ticket_work_orders, work_orders::open_work_order))
        .routes(routes!(work_orders::my_work_orders))
        .routes(routes!(work_orders::work_order, work_orders::update_work_order))
        .routes(routes!(work_orders::set_work_order_status))
        .routes(routes!(work_orders::add_progress))
        .routes(routes!(work_orders::engineer_records))
        .routes(routes!(work_orders::engineer_record, work_orders::add_qualification))
        .routes(routes!(work_orders::remove_qualification))
        .routes(routes!(work_orders::add_training))
        .routes(routes!(visits::book, visits::of_ticket))
        .routes(routes!(visits::calendar))
        .routes(routes!(visits::get))
        .routes(routes!(visits::reschedule))
        .routes(routes!(visits::cancel))
        .routes(routes!(visits::check_in))
        .routes(routes!(visits::check_out))
        .routes(routes!(visits::delay))
        .routes(routes!(visits::my_day))
        .routes(routes!(visits::days, visits::set_days))
        .routes(routes!(visits::settings, visits::put_settings))
        .routes(routes!(parts::list_parts, parts::create_part))
        .routes(routes!(parts::get_part, parts::update_part))
        .routes(routes!(parts::list_warehouses, parts::create_warehouse))
        .routes(routes!(parts::update_warehouse))
        .routes(routes!(parts::stock))
        .routes(routes!(parts::part_stock))
        .routes(routes!(parts::move_stock))
        .routes(routes!(parts::requisitions))
        .routes(routes!(parts::requisition))
        .routes(routes!(parts::request_parts))
        .routes(routes!(parts::parts_used))
        .routes(routes!(parts::decide))
        .routes(routes!(parts::issue))
        .routes(routes!(parts::use_parts))
        .routes(routes!(parts::return_parts))
        .routes(routes!(attachments::upload, attachments::list))
        .routes(routes!(attachments::content))
        .routes(routes!(attachments::thumbnail))
        .routes(routes!(attachments::withdraw))
        .routes(routes!(attachments::withdrawn))
        .routes(routes!(attachments::rules))
        .routes(routes!(attachments::put_rule))
}
