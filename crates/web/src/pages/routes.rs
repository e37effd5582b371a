//! Every page route in one table: the router is built from it, and the access walk
//! (`tests/it/access.rs`) walks it, so a page cannot be served without being walked.

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::MethodRouter;

use super::admin::{
    calendars, categories, contacts, customers, departments, devices, grading, groups, policy, qualifications, users,
};
use super::{
    account, actions, admin, approvals, assets, attachments, callbacks, fees, notices, parts, portal, register,
    reporting, reports, subscriptions, tickets, visits, work_orders,
};
use crate::AppState;

/// One page route: a method and a path template, and the handler that answers them.
pub struct PageRoute {
    pub method: Method,
    pub path: &'static str,
    handler: MethodRouter<AppState>,
}

fn route<H, T>(method: Method, path: &'static str, handler: H) -> PageRoute
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let handler = if method == Method::GET { axum::routing::get(handler) } else { axum::routing::post(handler) };
    PageRoute { method, path, handler }
}

fn get<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> PageRoute {
    route(Method::GET, path, handler)
}

fn post<H: Handler<T, AppState>, T: 'static>(path: &'static str, handler: H) -> PageRoute {
    route(Method::POST, path, handler)
}

/// The console's pages, reader's and administrator's.
pub fn table() -> Vec<PageRoute> {
    vec![
        get("/", tickets::home),
        get("/login", account::login_form),
        post("/login", account::login),
        post("/logout", account::logout),
        post("/lang", account::switch_language),
        get("/me", account::me),
        post("/me/password", account::change_password),
        post("/me/tokens", account::create_token),
        post("/me/tokens/{id}/revoke", account::revoke_token),
        get("/board", tickets::board),
        get("/subscriptions", subscriptions::page),
        post("/subscriptions", subscriptions::subscribe),
        post("/subscriptions/{id}/cancel", subscriptions::cancel),
        get("/subscriptions/runs/{id}/file", subscriptions::file),
        get("/tickets/new", register::new_form),
        post("/tickets/new", register::submit),
        get("/tickets/{id}", tickets::ticket),
        post("/tickets/{id}/act", actions::act),
        post("/tickets/{id}/log", actions::add_log),
        post("/tickets/{id}/quote", fees::save_quote),
        post("/tickets/{id}/quote/decision", fees::decide_quote),
        post("/tickets/{id}/payment", fees::record_payment),
        post("/tickets/{id}/free", fees::record_free),
        get("/receipts/{number}", fees::receipt),
        post("/tickets/{id}/report", reports::prepare),
        get("/reports/{id}/sign", reports::sign_form),
        post("/reports/{id}/sign", reports::sign),
        post("/reports/{id}/send", reports::send),
        get("/reports/{id}/pdf", reports::pdf),
        get("/reporting", reporting::index),
        get("/reporting/cell", reporting::cell),
        get("/reporting/cell/export", reporting::cell_export),
        get("/reporting/customer", reporting::customer),
        get("/reporting/settings", reporting::settings),
        post("/reporting/settings", reporting::save_settings),
        post("/reporting/improvements", reporting::save_improvements),
        get("/reporting/{kind}", reporting::report),
        get("/reporting/{kind}/download", reporting::download),
        get("/inbox", notices::inbox),
        post("/inbox/{id}/acknowledge", notices::acknowledge),
        post("/inbox/read-all", portal::read_all),
        get("/approvals", approvals::approvals),
        get("/callbacks", callbacks::worklist),
        get("/callbacks/{id}", callbacks::callback),
        post("/callbacks/{id}/attempt", callbacks::attempt),
        post("/feedback/{id}/action", callbacks::action),
        get("/closure-check", callbacks::closure_check),
        get("/archive", callbacks::archive),
        get("/archive/export", callbacks::export),
        post("/approvals/{id}", approvals::decide),
        get("/visits", visits::calendar),
        post("/visits/days", visits::set_days),
        get("/visits/today", visits::today),
        post("/visits/{id}/check-in", visits::check_in),
        post("/visits/{id}/check-out", visits::check_out),
        post("/visits/{id}/delay", visits::delay),
        post("/visits/{id}/reschedule", visits::reschedule),
        post("/visits/{id}/cancel", visits::cancel),
        post("/tickets/{id}/visits", visits::book),
        post("/tickets/{id}/parts", parts::request),
        get("/parts", parts::requisitions),
        post("/parts/requisitions/{id}", parts::decide),
        post("/parts/requisitions/{id}/handle", parts::handle),
        get("/parts/stock", parts::stock),
        get("/parts/stock/{warehouse}/{part}", parts::ledger),
        post("/parts/catalog", parts::create_part),
        post("/parts/warehouses", parts::create_warehouse),
        post("/parts/movements", parts::move_stock),
        get("/assets/{file}", assets::asset),
        // The signed links of customer e-mail: no sign-in, the link is the authority.
        get("/l/{token}", portal::link_form),
        post("/l/{token}", portal::link_submit),
        get("/l/{token}/pdf", portal::link_pdf),
        get("/admin", admin::index),
        get("/admin/users", users::users),
        post("/admin/users", users::create_user),
        get("/admin/users/new", users::new_user),
        get("/admin/users/{id}", users::user),
        post("/admin/users/{id}", users::save_user),
        post("/admin/users/{id}/active", users::set_active),
        post("/admin/users/{id}/password", users::reset_password),
        get("/admin/customers", customers::customers),
        post("/admin/customers", customers::create_customer),
        get("/admin/customers/new", customers::new_customer),
        get("/admin/customers/{id}", customers::customer),
        post("/admin/customers/{id}", customers::save_customer),
        post("/admin/customers/{id}/contacts", customers::add_contact),
        post("/admin/customers/{id}/devices", customers::add_device),
        get("/admin/contacts/{id}", contacts::contact),
        post("/admin/contacts/{id}", contacts::save_contact),
        post("/admin/contacts/{id}/status", contacts::contact_status),
        get("/admin/devices/{id}", devices::device),
        post("/admin/devices/{id}", devices::save_device),
        get("/admin/groups", groups::groups),
        post("/admin/groups", groups::create_group),
        get("/admin/groups/{id}", groups::group),
        post("/admin/groups/{id}", groups::update_group),
        get("/admin/categories", categories::categories),
        post("/admin/categories", categories::create_category),
        get("/admin/categories/{id}", categories::category),
        post("/admin/categories/{id}", categories::update_category),
        get("/admin/grading", grading::grading),
        get("/admin/grading/edit", grading::grading_form),
        post("/admin/grading/edit", grading::save_grading),
        get("/admin/calendars", calendars::calendars),
        post("/admin/calendars", calendars::create_calendar),
        get("/admin/calendars/{name}", calendars::calendar),
        post("/admin/calendars/{name}", calendars::save_hours),
        post("/admin/calendars/{name}/holidays", calendars::add_holidays),
        post("/admin/calendars/{name}/holidays/remove", calendars::remove_holidays),
        post("/admin/calendars/{name}/import", calendars::import_holidays),
        get("/admin/policy", policy::policy),
        get("/admin/policy/edit", policy::policy_form),
        post("/admin/policy/edit", policy::save_policy),
        get("/admin/policy/versions/{version}", policy::policy_version),
        get("/admin/notices", admin::notices::notices),
        post("/admin/notices/routes", admin::notices::save_route),
        post("/admin/notices/targets", admin::notices::save_target),
        get("/admin/deliveries", admin::notices::deliveries),
        get("/admin/deliveries/{id}", admin::notices::delivery),
        post("/admin/deliveries/{id}/confirm", admin::notices::confirm),
        post("/admin/deliveries/{id}/retry", admin::notices::retry),
        // Work orders across departments and qualified engineers (issue 13).
        get("/work-orders", work_orders::mine),
        post("/tickets/{id}/work-orders", work_orders::open),
        post("/work-orders/{id}/progress", work_orders::progress),
        post("/work-orders/{id}/status", work_orders::status),
        get("/admin/departments", departments::departments),
        post("/admin/departments", departments::create),
        post("/admin/departments/{id}", departments::update),
        // Evidence attachments (issue 14).
        post("/tickets/{id}/attachments", attachments::upload),
        get("/attachments/{id}", attachments::file),
        get("/attachments/{id}/thumbnail", attachments::thumbnail),
        post("/attachments/{id}/withdraw", attachments::withdraw),
        get("/admin/evidence", attachments::evidence),
        post("/admin/evidence", attachments::save_evidence),
        get("/admin/qualifications", qualifications::qualifications),
        post("/admin/qualifications/{id}", qualifications::add_qualification),
        post("/admin/qualifications/{id}/training", qualifications::add_training),
        post("/admin/qualifications/{id}/remove", qualifications::remove),
    ]
}

/// The router of [`table`] (routes of one path share their method router).
pub fn router() -> Router<AppState> {
    table().into_iter().fold(Router::new(), |r, p| r.route(p.path, p.handler))
}
