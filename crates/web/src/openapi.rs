//! The OpenAPI 3.1 document of every endpoint, served at `/api/v1/openapi.json`.

use std::collections::BTreeMap;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;

/// The error body of every failed request.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorResponse {
    pub error: ErrorDetail,
    /// On 412 (stale version): the ticket as it is now, in the reader's projection.
    pub current: Option<aftersales_app::Current>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_input`, `illegal_transition`, `stale_version`.
    pub code: String,
    /// A sentence in the caller's language (`Accept-Language`: zh-CN by default, en).
    pub message: String,
    /// Per-field messages for input errors.
    pub fields: BTreeMap<String, String>,
}

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("as_…").build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "aftersales", description = "After-sales technical service desk API (售后服务标准化响应)."),
    modifiers(&Security),
    paths(
        api::health::healthz,
        api::users::me,
        api::users::create_own_token,
        api::users::list,
        api::users::get,
        api::users::create,
        api::users::update,
        api::users::reset_password,
        api::directory::levels,
        api::directory::search_customers,
        api::directory::create_customer,
        api::directory::get_customer,
        api::directory::update_customer,
        api::directory::contacts,
        api::directory::create_contact,
        api::directory::get_contact,
        api::directory::update_contact,
        api::directory::set_contact_status,
        api::directory::devices,
        api::directory::create_device,
        api::directory::get_device,
        api::directory::update_device,
        api::directory::device_by_serial,
        api::catalog::groups,
        api::catalog::create_group,
        api::catalog::update_group,
        api::catalog::categories,
        api::catalog::create_category,
        api::catalog::update_category,
        api::catalog::grading_scheme,
        api::catalog::replace_grading_scheme,
        api::tickets::register,
        api::tickets::list,
        api::tickets::get,
        api::tickets::by_number,
        api::tickets::edit,
        api::tickets::transition,
        api::tickets::events,
        api::tickets::work_log,
        api::tickets::add_log,
        api::tickets::dispatch_suggestion,
        api::tickets::priority_requests,
        api::tickets::decide_priority_request,
        api::policy::calendars,
        api::policy::calendar,
        api::policy::put_calendar,
        api::policy::add,
        api::policy::between,
        api::policy::holiday_set,
        api::policy::import_holidays,
        api::policy::service_policy,
        api::policy::policy_version,
        api::policy::policy_versions,
        api::policy::put_service_policy,
        api::notices::list,
        api::notices::get,
        api::notices::acknowledge,
        api::notices::notice_deliveries,
        api::notices::deliveries,
        api::notices::delivery,
        api::notices::retry,
        api::notices::confirm,
        api::notices::daily,
        api::notices::routes,
        api::notices::put_route,
        api::notices::targets,
        api::notices::put_target,
    )
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`
pub async fn document() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}
