//! The access walk (issue: "a test walks every page and API route as every role and as a
//! contact of another customer"): the classic helpdesk holes are one missing check on one
//! route (Zammad CVE-2020-10100, UVdesk #906, FreeScout's ticket-number search), so this
//! walks all of them.
//!
//! - Every API route of the OpenAPI document must be listed in [`api_routes`] with the
//!   permission it needs: a new route that is not listed fails the test.
//! - As every staff role: a route whose permission the role lacks answers 403 (and shows
//!   none of the data); one it has is not refused.
//! - As a contact of customer B, every route aimed at customer A's ticket, customer,
//!   device, notice, downgrade request answers without a trace of A (no name, number,
//!   description, serial, phone), and no write succeeds; A's ticket is unchanged afterwards.
//! - Anonymous: every API route answers 401, every page asks to sign in (a mailed link is
//!   public and a forged one answers 404).
//! - As a contact of customer A, on their own ticket carrying an internal record of every
//!   kind (marked), every route and page answers without a trace of one (DOMAIN §8).

use aftersales_app::tickets::Command;
use aftersales_app::{Actor, Outcome};
use aftersales_domain::permission::{Action, allows};
use aftersales_domain::registration::Registration;
use aftersales_domain::role::Role;
use aftersales_domain::user::UserInput;
use aftersales_testkit::{Org, actor, db_test};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::pages::{self, sign_in};
use crate::support::{Client, token};

/// Text that belongs to customer A only; none of it may reach B's contact.
struct Secrets(Vec<String>);

impl Secrets {
    /// The first of A's texts in `body`, other than what the request itself named (a "not
    /// found: A1B2-000123" only repeats the caller's own words).
    fn leaked(&self, body: &str, asked: &str) -> Option<&str> {
        self.0.iter().find(|s| body.contains(s.as_str()) && !asked.contains(s.as_str())).map(String::as_str)
    }
}

/// The ids the walk aims at: all of them customer A's.
struct Target {
    ticket: i64,
    number: String,
    customer: i64,
    device: i64,
    contact: i64,
    serial: String,
    notice: i64,
    request: i64,
    user: i64,
    group: i64,
    category: i64,
    /// An internal work order on the ticket (issue 13).
    work_order: i64,
    /// A version of the ticket's service report (issue 14).
    report: i64,
    /// A callback on the ticket, and a complaint recorded on it (issue 15).
    callback: i64,
    feedback: i64,
}

/// One API route: its method, its path with the target's ids filled in, the permission the
/// app requires (None: any signed-in person, scoped by the app), and a body that passes the
/// JSON extractor but changes nothing for someone allowed (a stale version, an empty field).
struct ApiRoute {
    method: Method,
    template: &'static str,
    path: String,
    action: Option<Action>,
    body: Option<Value>,
    /// A rule beyond the permission (the kinds of work-log entry a role may write).
    also: fn(Role) -> bool,
}

/// What the permission-checked writes send: the current value where the API replaces a
/// whole document (the allowed roles write back what is there).
struct Documents {
    scheme: Value,
    policy: Value,
    route: Value,
    calendar: Value,
}

fn api_routes(t: &Target, d: &Documents) -> Vec<ApiRoute> {
    use Action::*;
    let r = |method: Method, template: &'static str, action: Option<Action>, body: Option<Value>| {
        let path = template
            .replace(
                "{id}",
                &match template {
                    p if p.starts_with("/api/v1/tickets/") => t.ticket.to_string(),
                    p if p.starts_with("/api/v1/customers/") => t.customer.to_string(),
                    p if p.starts_with("/api/v1/devices/") => t.device.to_string(),
                    p if p.starts_with("/api/v1/contacts/") => t.contact.to_string(),
                    p if p.starts_with("/api/v1/notices/") => t.notice.to_string(),
                    p if p.starts_with("/api/v1/priority-requests/") => t.request.to_string(),
                    p if p.starts_with("/api/v1/users/") => t.user.to_string(),
                    p if p.starts_with("/api/v1/groups/") => t.group.to_string(),
                    p if p.starts_with("/api/v1/categories/") => t.category.to_string(),
                    p if p.starts_with("/api/v1/work-orders/") => t.work_order.to_string(),
                    p if p.starts_with("/api/v1/reports/") => t.report.to_string(),
                    p if p.starts_with("/api/v1/callbacks/") => t.callback.to_string(),
                    p if p.starts_with("/api/v1/feedback/") => t.feedback.to_string(),
                    _ => "1".to_owned(),
                },
            )
            .replace("{number}", &t.number)
            .replace("{serial}", &t.serial)
            .replace("{sha256}", &"0".repeat(64))
            .replace("{token}", "forged-link-token")
            .replace("{part_id}", "1")
            .replace("{kind}", "fault")
            .replace("{name}", d.calendar["name"].as_str().unwrap_or("default"))
            .replace("{version}", "1")
            .replace("{month}", "2024-03");
        ApiRoute { method, template, path, action, body, also: |_| true }
    };
    let g = Method::GET;
    let p = Method::POST;
    vec![
        r(g.clone(), "/api/v1/me", None, None),
        r(p.clone(), "/api/v1/me/tokens", None, Some(json!({"name": "", "password": ""}))),
        r(g.clone(), "/api/v1/users", Some(ReadUsers), None),
        r(p.clone(), "/api/v1/users", Some(ManageUsers), Some(json!({}))),
        r(g.clone(), "/api/v1/users/{id}", Some(ReadUsers), None),
        r(Method::PATCH, "/api/v1/users/{id}", Some(ManageUsers), Some(json!({}))),
        r(p.clone(), "/api/v1/users/{id}/password", Some(ManageUsers), Some(json!({"new_password": ""}))),
        r(g.clone(), "/api/v1/contacts/{id}", Some(ReadDirectory), None),
        r(Method::PUT, "/api/v1/contacts/{id}", Some(ManageDirectory), Some(json!({}))),
        r(Method::PUT, "/api/v1/contacts/{id}/status", Some(ManageDirectory), Some(json!({"left": false}))),
        r(Method::PUT, "/api/v1/devices/{id}", Some(ManageDirectory), Some(json!({}))),
        r(g.clone(), "/api/v1/customer-levels", Some(ReadDirectory), None),
        r(g.clone(), "/api/v1/customers", Some(ReadDirectory), None),
        r(p.clone(), "/api/v1/customers", Some(ManageDirectory), Some(json!({}))),
        r(g.clone(), "/api/v1/customers/{id}", Some(ReadDirectory), None),
        r(Method::PUT, "/api/v1/customers/{id}", Some(ManageDirectory), Some(json!({}))),
        r(g.clone(), "/api/v1/customers/{id}/contacts", Some(ReadDirectory), None),
        r(p.clone(), "/api/v1/customers/{id}/contacts", Some(ManageDirectory), Some(json!({}))),
        r(g.clone(), "/api/v1/devices", Some(ReadDirectory), None),
        r(p.clone(), "/api/v1/devices", Some(ManageDirectory), Some(json!({}))),
        r(g.clone(), "/api/v1/devices/{id}", Some(ReadDirectory), None),
        r(g.clone(), "/api/v1/devices/by-serial/{serial}", Some(ReadDirectory), None),
        r(g.clone(), "/api/v1/groups", Some(ReadTicket), None),
        r(p.clone(), "/api/v1/groups", Some(ManageCatalog), Some(json!({}))),
        r(Method::PATCH, "/api/v1/groups/{id}", Some(ManageCatalog), Some(json!({}))),
        r(g.clone(), "/api/v1/categories", Some(ReadTicket), None),
        r(p.clone(), "/api/v1/categories", Some(ManageCatalog), Some(json!({}))),
        r(Method::PATCH, "/api/v1/categories/{id}", Some(ManageCatalog), Some(json!({}))),
        r(g.clone(), "/api/v1/grading-scheme", Some(ReadTicket), None),
        r(Method::PUT, "/api/v1/grading-scheme", Some(ManageCatalog), Some(d.scheme.clone())),
        r(g.clone(), "/api/v1/tickets", Some(ReadTicket), None),
        r(p.clone(), "/api/v1/tickets", Some(RegisterTicket), Some(json!({}))),
        r(g.clone(), "/api/v1/tickets/by-number/{number}", Some(ReadTicket), None),
        r(g.clone(), "/api/v1/tickets/{id}", Some(ReadTicket), None),
        r(Method::PATCH, "/api/v1/tickets/{id}", Some(EditTicket), Some(json!({}))),
        r(
            p.clone(),
            "/api/v1/tickets/{id}/transitions",
            Some(CancelTicket),
            Some(json!({"action": "cancel", "reason": "invalid", "note": "x"})),
        ),
        r(g.clone(), "/api/v1/tickets/{id}/events", Some(ReadTicket), None),
        r(g.clone(), "/api/v1/tickets/{id}/worklog", Some(ReadTicket), None),
        ApiRoute {
            also: |role| aftersales_domain::worklog::may_write(role, aftersales_domain::worklog::LogKind::Progress),
            ..r(
                p.clone(),
                "/api/v1/tickets/{id}/worklog",
                Some(AddLogEntry),
                Some(json!({"kind": "progress", "body": ""})),
            )
        },
        r(g.clone(), "/api/v1/tickets/{id}/dispatch-suggestion", Some(DispatchTicket), None),
        r(g.clone(), "/api/v1/tickets/{id}/fees", Some(ReadTicket), None),
        // Engineers write fees on their own tickets only; the target is not theirs.
        ApiRoute {
            also: not_an_engineer,
            ..r(p.clone(), "/api/v1/tickets/{id}/quotes", Some(WriteQuote), Some(json!({"lines": []})))
        },
        ApiRoute {
            also: not_an_engineer,
            ..r(
                p.clone(),
                "/api/v1/tickets/{id}/quotes/decision",
                Some(DecideQuote),
                Some(json!({"revision": 99, "approve": false})),
            )
        },
        ApiRoute {
            also: not_an_engineer,
            ..r(p.clone(), "/api/v1/tickets/{id}/payments", Some(Settle), Some(json!({"method": "cash", "amount": 0})))
        },
        ApiRoute {
            also: not_an_engineer,
            ..r(
                p.clone(),
                "/api/v1/tickets/{id}/free",
                Some(Settle),
                Some(json!({"reason": "goodwill", "note": "x".repeat(600)})),
            )
        },
        r(g.clone(), "/api/v1/receipts/{number}", Some(ReadTicket), None),
        r(g.clone(), "/api/v1/priority-requests", Some(ReadTicket), None),
        r(
            p.clone(),
            "/api/v1/priority-requests/{id}/decision",
            Some(DecidePriorityChange),
            Some(json!({"approve": false, "note": "x"})),
        ),
        r(g.clone(), "/api/v1/calendars", Some(ReadServicePolicy), None),
        r(g.clone(), "/api/v1/calendars/{name}", Some(ReadServicePolicy), None),
        r(Method::PUT, "/api/v1/calendars/{name}", Some(ManageServicePolicy), Some(d.calendar.clone())),
        r(
            g.clone(),
            "/api/v1/calendars/{name}/add?from=2024-03-15T09:00:00%2B08:00&span=PT1H",
            Some(ReadServicePolicy),
            None,
        ),
        r(
            g.clone(),
            "/api/v1/calendars/{name}/between?from=2024-03-15T09:00:00%2B08:00&to=2024-03-15T10:00:00%2B08:00",
            Some(ReadServicePolicy),
            None,
        ),
        r(g.clone(), "/api/v1/holiday-sets/{name}", Some(ReadServicePolicy), None),
        r(
            p.clone(),
            "/api/v1/holiday-sets/{name}/import",
            Some(ManageServicePolicy),
            Some(json!({"format": "csv", "data": ""})),
        ),
        r(g.clone(), "/api/v1/service-policy", Some(ReadServicePolicy), None),
        r(Method::PUT, "/api/v1/service-policy", Some(ManageServicePolicy), Some(d.policy.clone())),
        r(g.clone(), "/api/v1/service-policy/versions", Some(ReadServicePolicy), None),
        r(g.clone(), "/api/v1/service-policy/versions/{version}", Some(ReadServicePolicy), None),
        r(g.clone(), "/api/v1/notices", Some(ReadTicket), None),
        r(g.clone(), "/api/v1/notices/{id}", Some(ReadTicket), None),
        r(p.clone(), "/api/v1/notices/{id}/acknowledge", Some(ReadTicket), Some(json!({}))),
        r(g.clone(), "/api/v1/notices/{id}/deliveries", Some(ReadServicePolicy), None),
        r(g.clone(), "/api/v1/deliveries", Some(ManageServicePolicy), None),
        r(g.clone(), "/api/v1/deliveries/{id}", Some(ManageServicePolicy), None),
        r(p.clone(), "/api/v1/deliveries/{id}/retry", Some(ManageServicePolicy), None),
        r(p.clone(), "/api/v1/deliveries/{id}/confirm", Some(ManageServicePolicy), Some(json!({"note": ""}))),
        r(g.clone(), "/api/v1/reports/daily-notices?date=2024-03-15", Some(ReadTicket), None),
        // The management reports (issue 15): everyone who reads the reports; an engineer
        // their own weekly line (its table, cells and file); the customer edition asks staff
        // to name the customer (422), a contact reads their own organization's.
        ApiRoute { also: reads_weekly, ..r(g.clone(), "/api/v1/reports/weekly-engineers", None, None) },
        r(g.clone(), "/api/v1/reports/monthly-regions", Some(ReadReports), None),
        r(g.clone(), "/api/v1/reports/monthly-service", Some(ReadReports), None),
        r(g.clone(), "/api/v1/reports/desk-compliance", Some(ReadReports), None),
        ApiRoute { also: reads_customer_edition, ..r(g.clone(), "/api/v1/reports/customer-edition", None, None) },
        ApiRoute {
            also: reads_weekly,
            ..r(g.clone(), "/api/v1/reports/cell?report=weekly-engineers&measure=response_timeout", None, None)
        },
        ApiRoute {
            also: reads_weekly,
            ..r(g.clone(), "/api/v1/reports/export?report=weekly-engineers&format=csv", None, None)
        },
        ApiRoute {
            also: reads_weekly,
            ..r(
                g.clone(),
                "/api/v1/reports/cell/export?report=weekly-engineers&measure=response_timeout&format=csv",
                None,
                None,
            )
        },
        r(g.clone(), "/api/v1/reports/settings", Some(ReadReports), None),
        r(
            Method::PUT,
            "/api/v1/reports/settings",
            Some(ManageReportSettings),
            Some(json!({
                "weights": {"blue": ["second_line", "same_day"], "red": ["customer_unclosed", "repeat", "three_days"]},
                "desk": {"accept_within_minutes": 30, "dispatch_within_minutes": 30, "registration_yuan": 50,
                    "dispatch_yuan": 50, "report_yuan": 100}
            })),
        ),
        r(g.clone(), "/api/v1/reports/improvements/{month}", Some(ReadReports), None),
        // A stale version: refused (409) for the supervisor, nothing written.
        r(
            Method::PUT,
            "/api/v1/reports/improvements/{month}",
            Some(WriteImprovements),
            Some(json!({"body": "", "version": 7})),
        ),
        r(g.clone(), "/api/v1/notice-routes", Some(ReadServicePolicy), None),
        r(Method::PUT, "/api/v1/notice-routes", Some(ManageServicePolicy), Some(d.route.clone())),
        r(g.clone(), "/api/v1/notify-targets", Some(ManageServicePolicy), None),
        // Visits (issue 13): the bodies parse and are refused after the permission check.
        r(g.clone(), "/api/v1/tickets/{id}/visits", Some(ReadTicket), None),
        ApiRoute {
            // An engineer books only on the tickets assigned to them (A's is not).
            also: |role| role.line().is_none(),
            ..r(
                p.clone(),
                "/api/v1/tickets/{id}/visits",
                Some(BookVisit),
                Some(json!({"window_start": "2000-01-01T00:00:00Z", "duration_minutes": 60})),
            )
        },
        r(g.clone(), "/api/v1/visits/calendar", Some(ReadTicket), None),
        r(g.clone(), "/api/v1/visits/{id}", Some(ReadTicket), None),
        r(
            p.clone(),
            "/api/v1/visits/{id}/reschedule",
            Some(BookVisit),
            Some(json!({"version": 0, "reason": "", "window_start": "2000-01-01T00:00:00Z", "duration_minutes": 60})),
        ),
        r(p.clone(), "/api/v1/visits/{id}/cancel", Some(BookVisit), Some(json!({"version": 0, "reason": ""}))),
        r(p.clone(), "/api/v1/visits/{id}/check-in", Some(WorkTicket), Some(json!({"version": 0}))),
        r(p.clone(), "/api/v1/visits/{id}/check-out", Some(WorkTicket), Some(json!({"version": 0}))),
        r(
            p.clone(),
            "/api/v1/visits/{id}/delay",
            Some(WorkTicket),
            Some(json!({"version": 0, "expected_arrival": "2000-01-01T00:00:00Z"})),
        ),
        r(g.clone(), "/api/v1/me/visits", Some(WorkTicket), None),
        r(g.clone(), "/api/v1/engineers/{id}/days?from=2024-03-15&to=2024-03-16", Some(ReadUsers), None),
        r(
            Method::PUT,
            "/api/v1/engineers/{id}/days",
            Some(ManageWorkingDays),
            Some(json!({"from": "2024-03-16", "to": "2024-03-15"})),
        ),
        r(g.clone(), "/api/v1/visit-settings", Some(ReadTicket), None),
        r(Method::PUT, "/api/v1/visit-settings", Some(ManageServicePolicy), Some(json!({"window_minutes": 0}))),
        r(
            Method::PUT,
            "/api/v1/notify-targets/{name}",
            Some(ManageServicePolicy),
            Some(json!({"kind": "webhook", "url": "https://hooks.example.com/in", "secret": "short"})),
        ),
        r(g.clone(), "/api/v1/departments", Some(ReadWorkOrders), None),
        r(p.clone(), "/api/v1/departments", Some(ManageCatalog), Some(json!({}))),
        r(Method::PATCH, "/api/v1/departments/{id}", Some(ManageCatalog), Some(json!({}))),
        r(g.clone(), "/api/v1/tickets/{id}/work-orders", Some(ReadWorkOrders), None),
        r(p.clone(), "/api/v1/tickets/{id}/work-orders", Some(ManageWorkOrders), Some(json!({}))),
        r(g.clone(), "/api/v1/me/work-orders", Some(ReadWorkOrders), None),
        r(g.clone(), "/api/v1/work-orders/{id}", Some(ReadWorkOrders), None),
        r(Method::PATCH, "/api/v1/work-orders/{id}", Some(ManageWorkOrders), Some(json!({"version": 0}))),
        r(
            p.clone(),
            "/api/v1/work-orders/{id}/status",
            Some(ManageWorkOrders),
            Some(json!({"status": "done", "version": 0})),
        ),
        r(p.clone(), "/api/v1/work-orders/{id}/progress", Some(ManageWorkOrders), Some(json!({"body": ""}))),
        r(g.clone(), "/api/v1/qualifications", Some(ReadUsers), None),
        r(Method::DELETE, "/api/v1/qualifications/{id}", Some(ManageQualifications), None),
        r(g.clone(), "/api/v1/users/{id}/qualifications", Some(ReadUsers), None),
        r(p.clone(), "/api/v1/users/{id}/qualifications", Some(ManageQualifications), Some(json!({}))),
        r(p.clone(), "/api/v1/users/{id}/training", Some(ManageQualifications), Some(json!({}))),
        r(g.clone(), "/api/v1/parts", Some(ReadParts), None),
        r(p.clone(), "/api/v1/parts", Some(ManageParts), Some(json!({}))),
        r(g.clone(), "/api/v1/parts/{id}", Some(ReadParts), None),
        r(Method::PATCH, "/api/v1/parts/{id}", Some(ManageParts), Some(json!({}))),
        r(g.clone(), "/api/v1/warehouses", Some(ReadParts), None),
        r(p.clone(), "/api/v1/warehouses", Some(ManageParts), Some(json!({}))),
        r(Method::PATCH, "/api/v1/warehouses/{id}", Some(ManageParts), Some(json!({}))),
        r(g.clone(), "/api/v1/warehouses/{id}/stock", Some(ReadParts), None),
        r(g.clone(), "/api/v1/warehouses/{id}/parts/{part_id}", Some(ReadParts), None),
        r(p.clone(), "/api/v1/stock-movements", Some(MoveStock), Some(json!({}))),
        r(g.clone(), "/api/v1/requisitions", Some(ReadParts), None),
        r(g.clone(), "/api/v1/requisitions/{id}", Some(ReadParts), None),
        r(p.clone(), "/api/v1/tickets/{id}/requisitions", Some(RequestParts), Some(json!({}))),
        r(g.clone(), "/api/v1/tickets/{id}/parts-used", Some(ReadTicket), None),
        r(p.clone(), "/api/v1/requisitions/{id}/decision", Some(ApproveParts), Some(json!({"approve": false}))),
        ApiRoute {
            // The keeper issues from any warehouse; an engineer from their own van.
            also: |role| allows(role, MoveStock) || allows(role, RequestParts),
            ..r(p.clone(), "/api/v1/requisitions/{id}/issue", Some(ReadParts), Some(json!({})))
        },
        r(p.clone(), "/api/v1/requisitions/{id}/use", Some(RequestParts), Some(json!({}))),
        r(p.clone(), "/api/v1/requisitions/{id}/return", Some(RequestParts), Some(json!({}))),
        // Evidence attachments (issue 14): an engineer attaches files to their own tickets
        // only (the target is not theirs); attachment 1 is on the target ticket.
        ApiRoute {
            also: |role| role.line().is_none(),
            ..r(p.clone(), "/api/v1/tickets/{id}/attachments", Some(AddLogEntry), Some(json!({})))
        },
        r(g.clone(), "/api/v1/tickets/{id}/attachments", Some(ReadTicket), None),
        r(g.clone(), "/api/v1/attachments/{id}/content", Some(ReadTicket), None),
        r(g.clone(), "/api/v1/attachments/{id}/thumbnail", Some(ReadTicket), None),
        ApiRoute {
            // Its uploader (the desk) or a supervisor or administrator; the empty reason is
            // refused, so nothing is withdrawn.
            also: |role| matches!(role, Role::Admin | Role::Supervisor | Role::DeskAgent),
            ..r(p.clone(), "/api/v1/attachments/{id}/withdrawal", Some(ReadTicket), Some(json!({"reason": ""})))
        },
        r(g.clone(), "/api/v1/attachments/withdrawn", Some(ManageUsers), None),
        r(g.clone(), "/api/v1/evidence-rules", Some(ReadTicket), None),
        r(Method::PUT, "/api/v1/evidence-rules/{kind}", Some(ManageCatalog), Some(json!({"before": 99, "after": 0}))),
        // The service report (issue 14): the bodies are refused for their missing fields.
        r(g.clone(), "/api/v1/tickets/{id}/reports", Some(ReadTicket), None),
        ApiRoute {
            also: not_an_engineer,
            ..r(p.clone(), "/api/v1/tickets/{id}/reports", Some(ResolveTicket), Some(json!({})))
        },
        r(g.clone(), "/api/v1/reports/{id}/pdf", Some(ReadTicket), None),
        r(g.clone(), "/api/v1/reports/by-hash/{sha256}/pdf", Some(ReadTicket), None),
        r(p.clone(), "/api/v1/reports/{id}/signature", Some(ResolveTicket), Some(json!({}))),
        r(p.clone(), "/api/v1/reports/{id}/refusal", Some(ResolveTicket), Some(json!({}))),
        // Sending the report (the target's ticket is not resolved: refused, nothing mailed).
        ApiRoute { also: not_an_engineer, ..r(p.clone(), "/api/v1/reports/{id}/sending", Some(ResolveTicket), None) },
        // Report subscriptions (issue 15): a person's own; the body names no report, so
        // nothing is stored; subscription and run 1 do not exist.
        r(g.clone(), "/api/v1/subscriptions", Some(ReadTicket), None),
        r(
            p.clone(),
            "/api/v1/subscriptions",
            Some(ReadTicket),
            Some(json!({"report": "", "frequency": "daily", "channel": "email"})),
        ),
        r(p.clone(), "/api/v1/subscriptions/{id}/cancellation", Some(ReadTicket), None),
        r(g.clone(), "/api/v1/subscription-runs/{id}/file", Some(ReadTicket), None),
        // Callbacks, the closing check and the archive (issue 15): the desk works them, the
        // managers read them; the bodies are refused after the permission check (a stale
        // version, an engineer not on the ticket, an empty action), so nothing changes.
        r(g.clone(), "/api/v1/callbacks", Some(ReadCallbacks), None),
        r(g.clone(), "/api/v1/callbacks/selection?date=2024-03-15", Some(ReadCallbacks), None),
        r(p.clone(), "/api/v1/callbacks/selection?date=2024-03-15", Some(WorkCallbacks), None),
        r(g.clone(), "/api/v1/callbacks/{id}", Some(ReadCallbacks), None),
        r(p.clone(), "/api/v1/callbacks/{id}/attempts", Some(WorkCallbacks), Some(json!({"outcome": "no_answer"}))),
        r(
            p.clone(),
            "/api/v1/callbacks/{id}/feedback",
            Some(WorkCallbacks),
            Some(json!({"engineer_id": 0, "kind": "praise"})),
        ),
        r(p.clone(), "/api/v1/feedback/{id}/action", Some(WorkCallbacks), Some(json!({"action": ""}))),
        r(g.clone(), "/api/v1/closure-check?from=2024-03-01&to=2024-03-31", Some(ReadCallbacks), None),
        r(g.clone(), "/api/v1/archive", Some(ReadCallbacks), None),
        r(g.clone(), "/api/v1/archive/export", Some(ReadCallbacks), None),
        // A mailed link's API needs no token (the link is the authority): a forged one is
        // "not found" for everyone, naming nothing.
        r(g.clone(), "/api/v1/links/{token}", None, None),
        r(p.clone(), "/api/v1/links/{token}", None, Some(json!({"answer": "confirm"}))),
    ]
}

/// An internal work order on ticket `ticket` for the logistics department, owned by the
/// first-line engineer (who may manage work orders, so the walk's permission is the rule).
async fn seed_work_order(db: &aftersales_testkit::TestDb, org: &Org, ticket: i64, needed: &str) -> i64 {
    let input = aftersales_domain::work_order::WorkOrderInput {
        department: "logistics".into(),
        owner_id: Some(org.eng_east.id()),
        needed: needed.into(),
        resources: vec![format!("{needed} 资源")],
        deadline: Some(db.now() + jiff::SignedDuration::from_hours(48)),
    };
    let w = db.app.open_work_order(&org.dispatcher, ticket, &input).await.unwrap();
    db.app.add_work_order_progress(&org.eng_east, w.work_order.id, &format!("{needed} 进展")).await.unwrap();
    w.work_order.id
}

/// Stores `content` on ticket `ticket` as `file_name` for `visibility` (by the desk).
async fn seed_attachment(
    db: &aftersales_testkit::TestDb,
    org: &Org,
    ticket: i64,
    file_name: &str,
    visibility: aftersales_domain::audience::Visibility,
    content: Vec<u8>,
) -> i64 {
    use futures_util::StreamExt;
    let new = aftersales_app::attachments::NewAttachment {
        ticket_id: ticket,
        log_id: None,
        visibility,
        tag: aftersales_domain::attachment::EvidenceTag::Before,
        file_name: file_name.into(),
        idempotency_key: None,
    };
    let stream = futures_util::stream::once(async move { Ok(bytes::Bytes::from(content)) }).boxed();
    db.app.attach(&org.desk, new, stream).await.unwrap().0.id
}

/// Engineers act on the tickets assigned to them only (the walk's target is not).
/// Who reads the weekly table (DOMAIN §7): the report readers, and an engineer their own line.
fn reads_weekly(role: Role) -> bool {
    allows(role, Action::ReadReports) || role.line().is_some()
}

/// Who reads the customer edition: the report readers (naming the customer), a contact.
fn reads_customer_edition(role: Role) -> bool {
    allows(role, Action::ReadReports) || role == Role::CustomerContact
}

fn not_an_engineer(role: Role) -> bool {
    !matches!(role, Role::FirstLineEngineer | Role::SecondLineEngineer | Role::TechLead)
}

async fn more_staff(db: &aftersales_testkit::TestDb, org: &Org) -> Vec<Actor> {
    let mut all = vec![
        org.admin.clone(),
        org.desk.clone(),
        org.dispatcher.clone(),
        org.supervisor.clone(),
        org.director.clone(),
        org.eng_east.clone(),
        org.eng_second.clone(),
        org.specialist.clone(),
        org.pm.clone(),
        org.data.clone(),
        org.keeper.clone(),
    ];
    for (name, role) in [("lead1", Role::TechLead), ("gm1", Role::GeneralManager)] {
        let input = UserInput {
            username: Some(name.into()),
            display_name: Some(name.into()),
            role: Some(role),
            ..UserInput::default()
        };
        all.push(actor(db.app.create_user(None, &input).await.unwrap()));
    }
    all
}

/// A request of customer A's window contact about A's device.
fn registration_a(db: &aftersales_testkit::TestDb, org: &Org, description: &str, impact: &str) -> Registration {
    Registration {
        customer_id: Some(org.customer_a.id),
        contact_id: Some(org.window_a.id),
        device_serial: Some(org.device_a.serial.clone()),
        category_id: Some(org.paper_jam.id),
        fault_code: Some("E-201".into()),
        description: Some(description.into()),
        occurred_at: Some(db.now()),
        impact_scope: Some(impact.into()),
        ..Registration::default()
    }
}

/// Customer A's ticket (twice: the repeat notifies A's project specialist), graded, with a
/// downgrade waiting and an internal work-log line.
async fn customer_a_world(db: &aftersales_testkit::TestDb, org: &Org) -> (Target, Secrets) {
    let app = &db.app;
    let reg = registration_a(db, org, "MARK-A 华东客户的机密故障描述", "MARK-A 影响范围");
    let t = app.register(&org.desk, &reg, None).await.and_then(Outcome::into_value).unwrap();
    let step = async |who: &Actor, version: i64, cmd: Command| {
        app.act(who, t.id, Some(version), &cmd, None).await.and_then(Outcome::into_value).unwrap().ticket.version
    };
    let v = step(&org.desk, t.version, Command::Accept).await;
    let v = step(&org.desk, v, Command::Grade { level: "P2".into(), reason: "MARK-A 分级理由".into() }).await;
    let downgrade = Command::Grade { level: "P4".into(), reason: "MARK-A 降级".into() };
    let o = app.act(&org.dispatcher, t.id, Some(v), &downgrade, None).await.and_then(Outcome::into_value).unwrap();
    let request = o.priority_change_request.unwrap().id;
    app.add_log(&org.desk, t.id, aftersales_domain::worklog::LogKind::Progress, "MARK-A 内部记录", None, None)
        .await
        .unwrap();
    // A part and a warehouse (ids 1), so the parts pages and routes have something to show.
    let part = aftersales_domain::parts::PartInput {
        number: Some("FU-WALK".into()),
        name: Some("定影组件".into()),
        unit: Some("套".into()),
        price_fen: Some(68_000),
        ..Default::default()
    };
    app.create_part(&org.keeper, &part).await.unwrap();
    let central = aftersales_domain::parts::WarehouseInput { name: Some("中心库".into()), ..Default::default() };
    app.create_warehouse(&org.keeper, &central).await.unwrap();
    // A zero-charge settlement, so A's ticket has a receipt (SJ2024-00001) to aim at.
    let free = aftersales_app::fees::FreeInput {
        reason: aftersales_domain::fee::FreeReason::Warranty,
        note: Some("MARK-A 保修期内".into()),
    };
    app.record_free(&org.desk, t.id, &free).await.unwrap();
    // A photo of A's (attachment 1), so the attachment routes and pages have one to aim at.
    let photo = crate::attachments::jpeg(16, 16);
    let customer = aftersales_domain::audience::Visibility::Customer;
    assert_eq!(seed_attachment(db, org, t.id, "MARK-A 现场.jpg", customer, photo).await, 1);
    // The repeat report tells A's project specialist: a notice about A.
    app.register(&org.desk, &reg, None).await.and_then(Outcome::into_value).unwrap();
    let notices = app
        .notices(&org.specialist, &aftersales_app::notices::NoticeQuery { mine: Some(true), ..Default::default() })
        .await
        .unwrap();
    let notice = notices.items.first().expect("a repeat-report notice for A's specialist").id;
    let work_order = seed_work_order(db, org, t.id, "MARK-A 协作需求").await;
    // A service report awaiting a signature on A's ticket (written as stored: the ticket is
    // not resolved, which the use case would ask for).
    let report = {
        let draft = aftersales_domain::service_report::ServiceReport::draft(t.id, 1, vec![], org.desk.id(), db.now());
        let tx = app.store().write().await.unwrap();
        let id = aftersales_storage::reports::insert(&*tx, &draft).await.unwrap();
        tx.commit().await.unwrap();
        id
    };
    // A callback chosen for A's ticket, with a complaint about its engineer (written as
    // stored: the ticket is not closed, which the selection would ask for).
    let (callback, feedback) = {
        use aftersales_domain::callback::{CallbackReason, Choice, Feedback, FeedbackKind};
        let tx = app.store().write().await.unwrap();
        let choice = Choice {
            ticket_id: t.id,
            closed_at: db.now(),
            reasons: vec![CallbackReason::Sample],
            sampled_for: None,
            due_at: db.now(),
        };
        aftersales_storage::callbacks::insert_choices(&*tx, "2024-03-15", &[choice], db.now()).await.unwrap();
        let callback = aftersales_storage::callbacks::of_ticket(&*tx, t.id).await.unwrap()[0].id;
        let f = Feedback {
            id: 0,
            ticket_id: t.id,
            engineer_id: org.eng_east.id(),
            kind: FeedbackKind::Complaint,
            note: Some("MARK-A 投诉".into()),
            callback_id: Some(callback),
            recorded_by: org.desk.id(),
            recorded_at: db.now(),
            action: None,
            action_by: None,
            reported_back_at: None,
        };
        let feedback = aftersales_storage::callbacks::insert_feedback(&*tx, &f).await.unwrap();
        tx.commit().await.unwrap();
        (callback, feedback)
    };
    let secrets = Secrets(vec![
        "MARK-A".into(),
        org.customer_a.name.clone(),
        t.number.to_string(),
        org.device_a.serial.clone(),
        org.window_a.phone.clone(),
    ]);
    let target = Target {
        ticket: t.id,
        number: t.number.to_string(),
        customer: org.customer_a.id,
        device: org.device_a.id,
        contact: org.window_a.id,
        serial: org.device_a.serial.clone(),
        notice,
        request,
        user: org.desk.id(),
        group: org.hardware_group,
        category: org.paper_jam.id,
        work_order,
        report,
        callback,
        feedback,
    };
    (target, secrets)
}

db_test!(every_api_route_as_every_role_and_as_another_customer, |db| {
    let org = Org::create(&db.app).await;
    let (target, secrets) = customer_a_world(&db, &org).await;
    let c = Client::new(&db);
    let admin = token(&db, &org.admin).await;
    let documents = Documents {
        scheme: c.get("/api/v1/grading-scheme", &admin).await.body,
        policy: c.get("/api/v1/service-policy", &admin).await.body,
        route: c.get("/api/v1/notice-routes", &admin).await.body[0].clone(),
        calendar: {
            // A calendar's answer also says what it computed (holiday years, a day's minutes);
            // a PUT takes the spec alone, like every body without unknown fields.
            let mut calendar = c.get("/api/v1/calendars", &admin).await.body[0].clone();
            let spec = calendar.as_object_mut().unwrap();
            spec.remove("holiday_years");
            spec.remove("day_minutes");
            calendar
        },
    };
    let routes = api_routes(&target, &documents);

    // Every route of the API is in the walk.
    let doc = c.get("/api/v1/openapi.json", &admin).await.body;
    let mut missing = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let listed = routes.iter().any(|r| {
                r.template.split('?').next() == Some(path.as_str()) && r.method.as_str().eq_ignore_ascii_case(method)
            });
            if !listed && path != "/healthz" {
                missing.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    assert!(missing.is_empty(), "routes not in the access walk: {missing:?}");

    // Anonymous: nothing (a mailed link needs no token; a forged one names nothing).
    for r in &routes {
        let res = c.send(r.method.clone(), &r.path, None, r.body.as_ref(), &[]).await;
        if r.template.starts_with("/api/v1/links/") {
            assert_eq!(res.status, StatusCode::NOT_FOUND, "anonymous {} {}", r.method, r.path);
            assert_eq!(secrets.leaked(&res.body.to_string(), &r.path), None, "anonymous {} {}", r.method, r.path);
            continue;
        }
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "anonymous {} {}", r.method, r.path);
    }

    let stale = [("if-match", "\"0\"")];
    let mut report = Vec::new();
    // Every staff role against the permission table.
    for who in more_staff(&db, &org).await {
        let tok = token(&db, &who).await;
        let role = who.user.role;
        for r in &routes {
            let res = c.send(r.method.clone(), &r.path, Some(&tok), r.body.as_ref(), &stale).await;
            let may = r.action.is_none_or(|a| allows(role, a)) && (r.also)(role);
            let refused = res.status == StatusCode::FORBIDDEN;
            if may == refused || res.status == StatusCode::UNAUTHORIZED || res.status.is_server_error() {
                report.push(format!("{role:?} {} {} → {} ({})", r.method, r.path, res.status, res.body));
            }
            if refused {
                assert_eq!(secrets.leaked(&res.body.to_string(), &r.path), None, "{role:?} {} {}", r.method, r.path);
            }
        }
    }

    // Customer B's contact, aimed at customer A: never a trace of A, never a change.
    let before = db.app.ticket(&org.admin, target.ticket).await.unwrap().version;
    let events_before = db.app.history(&org.admin, target.ticket).await.unwrap().len();
    let b = token(&db, &org.portal_b).await;
    for r in &routes {
        let res = c.send(r.method.clone(), &r.path, Some(&b), r.body.as_ref(), &stale).await;
        let body = res.body.to_string();
        if let Some(s) = secrets.leaked(&body, &r.path) {
            report.push(format!("contact of B saw {s:?} on {} {} ({})", r.method, r.path, res.status));
        }
        if r.method != Method::GET && res.status.is_success() && r.template != "/api/v1/me/tokens" {
            report.push(format!("contact of B wrote {} {} → {}", r.method, r.path, res.status));
        }
        if res.status.is_server_error() {
            report.push(format!("contact of B: {} {} → {}", r.method, r.path, res.status));
        }
    }
    assert_eq!(db.app.ticket(&org.admin, target.ticket).await.unwrap().version, before);
    assert_eq!(db.app.history(&org.admin, target.ticket).await.unwrap().len(), events_before);
    assert!(report.is_empty(), "access walk:\n{}", report.join("\n"));
});

/// The console's routes, from the table the page router is built from, so that a new page
/// is walked without anyone remembering to list it: `(method, path template)`.
fn page_routes() -> Vec<(Method, String)> {
    aftersales_web::pages::table().into_iter().map(|r| (r.method, r.path.to_owned())).collect()
}

/// The permissions that open a page (any of them); every signed-in person reads the rest.
fn page_permission(template: &str) -> Vec<Action> {
    use Action::*;
    let under = |prefixes: &[&str]| prefixes.iter().any(|p| template == *p || template.starts_with(&format!("{p}/")));
    if template == "/admin" {
        vec![ManageUsers, ManageDirectory, ManageCatalog, ManageServicePolicy]
    } else if under(&["/admin/users"]) {
        vec![ManageUsers]
    } else if under(&["/admin/customers", "/admin/contacts", "/admin/devices"]) {
        vec![ManageDirectory]
    } else if under(&["/admin/groups", "/admin/categories", "/admin/grading"]) {
        vec![ManageCatalog]
    } else if under(&["/admin/calendars", "/admin/policy", "/admin/notices", "/admin/deliveries"]) {
        vec![ManageServicePolicy]
    } else if under(&["/admin/departments", "/admin/evidence"]) {
        vec![ManageCatalog]
    } else if under(&["/admin/qualifications"]) {
        vec![ManageQualifications]
    } else if under(&["/callbacks", "/closure-check", "/archive"]) {
        vec![ReadCallbacks]
    } else if template == "/work-orders" {
        vec![ReadWorkOrders]
    } else if template == "/visits/today" {
        vec![WorkTicket]
    } else if template == "/tickets/new" {
        vec![RegisterTicket]
    } else if under(&["/parts"]) {
        vec![ReadParts]
    } else {
        vec![ReadTicket]
    }
}

/// A page path aimed at customer A's things.
fn page_path(template: &str, t: &Target, calendar: &str, foreign_token: i64) -> String {
    let id = match template {
        p if p.starts_with("/tickets/") => t.ticket,
        p if p.starts_with("/inbox/") => t.notice,
        p if p.starts_with("/approvals/") => t.request,
        p if p.starts_with("/me/tokens/") => foreign_token,
        p if p.starts_with("/admin/users/") => t.user,
        p if p.starts_with("/admin/customers/") => t.customer,
        p if p.starts_with("/admin/contacts/") => t.contact,
        p if p.starts_with("/admin/devices/") => t.device,
        p if p.starts_with("/admin/groups/") => t.group,
        p if p.starts_with("/admin/categories/") => t.category,
        p if p.starts_with("/reports/") => t.report,
        p if p.starts_with("/callbacks/") => t.callback,
        p if p.starts_with("/feedback/") => t.feedback,
        _ => 1,
    };
    template
        .replace("{token}", "forged-link-token")
        .replace("{id}", &id.to_string())
        .replace("{name}", calendar)
        .replace("{version}", "1")
        .replace("{file}", "app.css")
        .replace("{warehouse}", "1")
        .replace("{part}", "1")
        .replace("{number}", "SJ2024-00001")
        .replace("{kind}", "weekly-engineers")
        + match template {
            "/reporting/cell" => "?report=weekly-engineers&measure=response_timeout",
            "/reporting/cell/export" => "?report=weekly-engineers&measure=response_timeout&format=csv",
            "/reporting/{kind}/download" => "?format=csv",
            _ => "",
        }
}

db_test!(every_page_as_every_role_and_as_another_customer, |db| {
    let org = Org::create(&db.app).await;
    let (target, secrets) = customer_a_world(&db, &org).await;
    let calendar = db.app.calendars(&org.admin).await.unwrap()[0].spec.name.clone();
    // An API token of A's window contact: B's contact must not be able to revoke it.
    let a_token = token(&db, &org.portal_window_a).await;
    let a_token_id = db.app.my_tokens(&org.portal_window_a).await.unwrap()[0].id;
    let routes = page_routes();
    // Every page route of the console as this walk was first written (72), and any added since.
    assert!(routes.len() >= 72, "the page table was read: {routes:?}");
    let skip = ["/login", "/logout"];
    let mut report = Vec::new();

    // Anonymous: every page asks to sign in (the assets and the sign-in page excepted); a
    // mailed link needs no sign-in, and a forged one names nothing.
    for (method, template) in &routes {
        if skip.contains(&template.as_str()) || template.starts_with("/assets/") || template == "/lang" {
            continue;
        }
        if template.starts_with("/l/") {
            let path = page_path(template, &target, &calendar, a_token_id);
            let p = pages::request(&db, method.clone(), &path, None, Some(""), &[("origin", pages::ORIGIN)]).await;
            if p.status != StatusCode::NOT_FOUND || secrets.leaked(&p.html, &path).is_some() {
                report.push(format!("anonymous {method} {path} → {} (a forged link)", p.status));
            }
            continue;
        }
        let path = page_path(template, &target, &calendar, a_token_id);
        let p = pages::request(&db, method.clone(), &path, None, Some(""), &[("origin", pages::ORIGIN)]).await;
        let to_login = p.status == StatusCode::SEE_OTHER && p.location().starts_with("/login");
        if !to_login {
            report.push(format!("anonymous {method} {path} → {}", p.status));
        }
    }

    // Every staff role: pages open or are refused as the role's permissions say.
    for who in more_staff(&db, &org).await {
        let cookie = sign_in(&db, &who).await;
        for (method, template) in routes.iter().filter(|(m, _)| *m == Method::GET) {
            if template.starts_with("/assets/") {
                continue;
            }
            let path = page_path(template, &target, &calendar, a_token_id);
            let p = pages::get(&db, &path, &cookie).await;
            let role = who.user.role;
            let may = page_permission(template).iter().any(|a| allows(role, *a));
            let reports = allows(role, Action::ReadReports);
            let expected = match (may, template.as_str()) {
                // The reports (issue 15): their readers; an engineer their own weekly line.
                (_, "/reporting") if reports || role.line().is_some() => StatusCode::SEE_OTHER,
                (_, "/reporting/customer") if reports => StatusCode::UNPROCESSABLE_ENTITY,
                (_, "/reporting/settings") if allows(role, Action::ManageReportSettings) => StatusCode::OK,
                (
                    _,
                    "/reporting/{kind}" | "/reporting/{kind}/download" | "/reporting/cell" | "/reporting/cell/export",
                ) if reports || role.line().is_some() => StatusCode::OK,
                (_, t) if t.starts_with("/reporting") => StatusCode::FORBIDDEN,
                (_, t) if t.starts_with("/l/") => StatusCode::NOT_FOUND,
                // A subscription run's file is its subscriber's; the walk's people have none.
                (true, t) if t.starts_with("/subscriptions/runs/") => StatusCode::NOT_FOUND,
                (true, "/") => StatusCode::SEE_OTHER,
                (true, _) => StatusCode::OK,
                (false, _) => StatusCode::FORBIDDEN,
            };
            if p.status != expected {
                report.push(format!("{role:?} {method} {path} → {} (expected {expected})", p.status));
            }
            if p.status == StatusCode::FORBIDDEN && !p.html.contains("无权") {
                report.push(format!("{role:?} {method} {path}: the refusal does not say why"));
            }
        }
    }

    // Customer B's contact, aimed at A: no trace of A anywhere, no write succeeds.
    let before = db.app.ticket(&org.admin, target.ticket).await.unwrap().version;
    let events_before = db.app.history(&org.admin, target.ticket).await.unwrap().len();
    let customer_before = db.app.get_customer(&org.admin, target.customer).await.unwrap();
    let b = sign_in(&db, &org.portal_b).await;
    let csrf = pages::get(&db, "/me", &b).await.csrf();
    for (method, template) in &routes {
        if skip.contains(&template.as_str()) {
            continue;
        }
        let path = page_path(template, &target, &calendar, a_token_id);
        let p = if *method == Method::GET {
            pages::get(&db, &path, &b).await
        } else {
            pages::post(&db, &path, &b, &format!("csrf={csrf}")).await
        };
        if let Some(s) = secrets.leaked(&p.html, &path) {
            report.push(format!("contact of B saw {s:?} on {method} {path} ({})", p.status));
        }
        if p.status.is_server_error() {
            report.push(format!("contact of B: {method} {path} → {}", p.status));
        }
        let own =
            ["/lang", "/me/password", "/me/tokens", "/tickets/new", "/inbox/read-all"].contains(&template.as_str());
        if *method == Method::POST && !own && !p.status.is_client_error() {
            report.push(format!("contact of B posted {path} → {} {}", p.status, p.location()));
        }
    }
    assert_eq!(db.app.ticket(&org.admin, target.ticket).await.unwrap().version, before);
    assert_eq!(db.app.history(&org.admin, target.ticket).await.unwrap().len(), events_before);
    assert_eq!(db.app.get_customer(&org.admin, target.customer).await.unwrap(), customer_before);
    assert!(db.app.authenticate(&a_token).await.is_ok(), "A's token survives B's attempts");
    assert!(report.is_empty(), "page walk:\n{}", report.join("\n"));
});

/// Text that marks every kind of internal record; none of it may reach the customer.
const INTERNAL: &str = "INTERNAL-MARK";

/// Customer A's own ticket with an internal record of every kind (issue 11): a grading reason,
/// a review note, a downgrade request, an engineer's contact note, plan and diagnosis, an
/// instruction (批示), a status note on a notice, a second-line request, a waiting note, and
/// escalation notices (response timeout, repeat report). A customer-facing diagnosis, a
/// progress message and the resolution are there too, and must be seen.
async fn internal_world(db: &aftersales_testkit::TestDb, org: &Org) -> Target {
    use aftersales_domain::audience::Visibility;
    use aftersales_domain::worklog::LogKind;
    let app = &db.app;
    let m = |what: &str| format!("{INTERNAL} {what}");
    let reg = registration_a(db, org, "进纸卡住，报警 E-201", "行政部一台");
    let t = app.register(&org.desk, &reg, None).await.and_then(Outcome::into_value).unwrap();
    let step = async |who: &Actor, version: i64, cmd: Command| {
        let o = app.act(who, t.id, Some(version), &cmd, None).await.and_then(Outcome::into_value).unwrap();
        (o.ticket.version, o.priority_change_request)
    };
    let (v, _) = step(&org.desk, t.version, Command::Accept).await;
    let (v, _) = step(&org.desk, v, Command::Grade { level: "P2".into(), reason: m("grading reason") }).await;
    let (v, _) = step(&org.supervisor, v, Command::ReviewGrading { approve: true, note: Some(m("review")) }).await;
    let (v, request) = step(&org.dispatcher, v, Command::Grade { level: "P4".into(), reason: m("downgrade") }).await;
    let request = request.unwrap().id;
    let (v, _) =
        step(&org.dispatcher, v, Command::Dispatch { group_id: None, engineer_id: Some(org.eng_east.id()) }).await;
    // The response deadline passes: a response timeout for the supervisor and the specialist.
    db.advance(jiff::SignedDuration::from_hours(6));
    app.run_due_jobs("walk", 100).await.unwrap();
    let (v, _) = step(&org.eng_east, v, Command::Respond { note: Some(m("contact note")) }).await;
    let (v, _) = step(&org.eng_east, v, Command::Start { plan: Some(m("plan")) }).await;
    org.requisition(app, &org.eng_east, t.id).await;
    let (v, _) = step(&org.eng_east, v, Command::WaitForParts { note: Some(m("waiting")) }).await;
    let (v, _) = step(&org.eng_east, v, Command::Resume { note: Some(m("resume")) }).await;
    let (_, _) = step(
        &org.eng_east,
        v,
        Command::RequestSecondLine { engineer_id: Some(org.eng_second.id()), reason: m("second line") },
    )
    .await;
    // A work order for another department, with its progress: internal (seed 002).
    let work_order = seed_work_order(db, org, t.id, &m("work order")).await;
    // An internal file (attachment 1: the routes aim at it), and a photo for the customer.
    let notes = m("evidence notes").into_bytes();
    assert_eq!(seed_attachment(db, org, t.id, &m("file.txt"), Visibility::Internal, notes).await, 1);
    let photo = crate::attachments::jpeg(16, 16);
    seed_attachment(db, org, t.id, "现场照片.jpg", Visibility::Customer, photo).await;
    // A customer-visible photo withdrawn: the reason stays internal.
    let gone =
        seed_attachment(db, org, t.id, "撤回的照片.jpg", Visibility::Customer, crate::attachments::jpeg(17, 17)).await;
    app.withdraw_attachment(&org.desk, gone, &m("withdrawal reason")).await.unwrap();
    let log = async |who: &Actor, kind, body: String, v| {
        app.add_log(who, t.id, kind, &body, v, None).await.unwrap();
    };
    log(&org.eng_east, LogKind::Diagnosis, m("diagnosis"), None).await;
    log(&org.eng_east, LogKind::Diagnosis, "疑似搓纸轮磨损".into(), Some(Visibility::Customer)).await;
    log(&org.pm, LogKind::Instruction, m("instruction"), None).await;
    log(&org.desk, LogKind::StatusNote, m("status note"), None).await;
    log(&org.desk, LogKind::Progress, "备件已发出，明早上门".into(), None).await;
    // A quote with an internal note: the customer sees its lines and totals, never the note.
    let quote = aftersales_domain::fee::QuoteInput {
        lines: vec![aftersales_domain::fee::LineInput {
            kind: aftersales_domain::fee::LineKind::Part,
            description: "搓纸轮".into(),
            // The catalog part the requisition above asked for.
            part_no: Some(format!("RL-{}", t.id)),
            quantity: 1,
            unit_price: 3_500,
        }],
        internal_note: Some(m("quote note")),
    };
    app.save_quote(&org.desk, t.id, &quote).await.unwrap();
    // Every staff recipient notes the escalations (status notes, 批示).
    let q = aftersales_app::notices::NoticeQuery { ticket_id: Some(t.id), ..Default::default() };
    for n in app.notices(&org.admin, &q).await.unwrap().items.iter().filter(|n| !n.kind.is_customer_facing()) {
        for r in &n.recipients {
            if let Some(who) = [&org.supervisor, &org.specialist, &org.pm].into_iter().find(|a| a.id() == r.user_id) {
                let ack = aftersales_app::notices::Acknowledgement { note: Some(m("ack note")) };
                app.acknowledge_notice(who, n.id, &ack).await.unwrap();
            }
        }
    }
    // A repeat report: an escalation to the specialist about A's device.
    app.register(&org.desk, &reg, None).await.and_then(Outcome::into_value).unwrap();
    let t = app.ticket(&org.admin, t.id).await.unwrap();
    let step = async |who: &Actor, version: i64, cmd: Command| {
        app.act(who, t.id, Some(version), &cmd, None).await.and_then(Outcome::into_value).unwrap().ticket.version
    };
    step(&org.eng_east, t.version, Command::Resolve { resolution: "更换搓纸轮，试印 100 张正常".into() }).await;
    let report = app.prepare_report(&org.eng_east, t.id, &Default::default()).await.unwrap().id;
    let mine = aftersales_app::notices::NoticeQuery { mine: Some(true), ..Default::default() };
    let told = app.notices(&org.portal_window_a, &mine).await.unwrap();
    assert!(told.total >= 4, "the customer was told of their request: {told:?}");
    // Issue 15: a callback on the contact's own ticket with an internal complaint and its
    // attempt note; a contact reaches none of it.
    let (callback, feedback) = {
        use aftersales_domain::callback::{Attempt, AttemptOutcome, CallbackReason, Choice, Feedback, FeedbackKind};
        let tx = app.store().write().await.unwrap();
        let choice = Choice {
            ticket_id: t.id,
            closed_at: db.now(),
            reasons: vec![CallbackReason::Sample],
            sampled_for: None,
            due_at: db.now(),
        };
        aftersales_storage::callbacks::insert_choices(&*tx, "2024-03-15", &[choice], db.now()).await.unwrap();
        let callback = aftersales_storage::callbacks::of_ticket(&*tx, t.id).await.unwrap()[0].id;
        let attempt = Attempt {
            id: 0,
            callback_id: callback,
            outcome: AttemptOutcome::NoAnswer,
            note: Some(m("attempt note")),
            call_back_at: None,
            by_id: org.desk.id(),
            at: db.now(),
        };
        aftersales_storage::callbacks::insert_attempt(&*tx, &attempt).await.unwrap();
        let f = Feedback {
            id: 0,
            ticket_id: t.id,
            engineer_id: org.eng_east.id(),
            kind: FeedbackKind::Complaint,
            note: Some(m("complaint note")),
            callback_id: Some(callback),
            recorded_by: org.desk.id(),
            recorded_at: db.now(),
            action: None,
            action_by: None,
            reported_back_at: None,
        };
        let feedback = aftersales_storage::callbacks::insert_feedback(&*tx, &f).await.unwrap();
        tx.commit().await.unwrap();
        (callback, feedback)
    };
    Target {
        ticket: t.id,
        number: t.number.to_string(),
        customer: org.customer_a.id,
        device: org.device_a.id,
        contact: org.window_a.id,
        serial: org.device_a.serial.clone(),
        notice: told.items[0].id,
        request,
        user: org.desk.id(),
        group: org.hardware_group,
        category: org.paper_jam.id,
        work_order,
        report,
        callback,
        feedback,
    }
}

/// Keys of the staff's ticket that the customer's projection never has.
const STAFF_KEYS: [&str; 7] = [
    "\"priority\"",
    "\"customer_level\"",
    "\"policy_version\"",
    "\"clocks\"",
    "\"grading_reason\"",
    "\"specialist_attention\"",
    "\"contact_phone\"",
];

db_test!(internal_records_never_reach_the_customer_on_any_route_or_page, |db| {
    let org = Org::create(&db.app).await;
    let target = internal_world(&db, &org).await;
    let c = Client::new(&db);
    let admin = token(&db, &org.admin).await;
    let documents = Documents {
        scheme: c.get("/api/v1/grading-scheme", &admin).await.body,
        policy: c.get("/api/v1/service-policy", &admin).await.body,
        route: c.get("/api/v1/notice-routes", &admin).await.body[0].clone(),
        calendar: c.get("/api/v1/calendars", &admin).await.body[0].clone(),
    };
    let mut report = Vec::new();
    // Their own ticket: it is found, so scoping does not hide anything; only the projection does.
    let own = token(&db, &org.portal_window_a).await;
    let stale = [("if-match", "\"0\"")];
    let mut seen = String::new();
    for r in api_routes(&target, &documents) {
        let res = c.send(r.method.clone(), &r.path, Some(&own), r.body.as_ref(), &stale).await;
        let body = res.body.to_string();
        if body.contains(INTERNAL) {
            report.push(format!("{} {} → {}: {body}", r.method, r.path, res.status));
        }
        if r.path.contains("/tickets") {
            for key in STAFF_KEYS {
                if body.contains(key) {
                    report.push(format!("{} {} → {} carries {key}", r.method, r.path, res.status));
                }
            }
        }
        if res.status.is_server_error() {
            report.push(format!("{} {} → {}", r.method, r.path, res.status));
        }
        seen.push_str(&body);
    }
    // The staff's filters would tell what the projection leaves out (priority, missed and
    // coming deadlines): refused, naming the filter; customer words work.
    for probe in ["priority=P2", "breached=true", "overdue=true", "due_within=60", "sort=priority", "sort=due"] {
        let res = c.get(&format!("/api/v1/tickets?{probe}"), &own).await;
        let field = probe.split('=').next().unwrap();
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{probe}: {}", res.body);
        assert!(res.body["error"]["fields"].get(field).is_some(), "{probe}: {}", res.body);
    }
    let resolved = c.get("/api/v1/tickets?status=resolved", &own).await;
    assert_eq!(resolved.body["items"][0]["id"], target.ticket, "{}", resolved.body);
    // Their own organization's record, without the service organization's classification.
    let me = c.get(&format!("/api/v1/customers/{}", target.customer), &own).await;
    assert_eq!((me.status, me.body["level"].as_str()), (StatusCode::OK, Some("")), "{}", me.body);
    assert_eq!(c.get("/api/v1/customer-levels", &own).await.status, StatusCode::FORBIDDEN);
    // What is addressed to them is there: the customer-facing diagnosis, progress, resolution.
    for shown in ["疑似搓纸轮磨损", "备件已发出，明早上门", "更换搓纸轮，试印 100 张正常", "已受理您的反馈"]
    {
        assert!(seen.contains(shown), "{shown} is the customer's and was not shown");
    }

    // Every page, read and posted to.
    let cookie = sign_in(&db, &org.portal_window_a).await;
    let csrf = pages::get(&db, "/me", &cookie).await.csrf();
    let calendar = db.app.calendars(&org.admin).await.unwrap()[0].spec.name.clone();
    let mut html = String::new();
    for (method, template) in page_routes() {
        if template == "/logout" {
            continue;
        }
        let path = page_path(&template, &target, &calendar, 0);
        let p = if method == Method::GET {
            pages::get(&db, &path, &cookie).await
        } else {
            pages::post(&db, &path, &cookie, &format!("csrf={csrf}&version=0")).await
        };
        if p.html.contains(INTERNAL) {
            report.push(format!("page {method} {path} → {} shows an internal record", p.status));
        }
        if p.status.is_server_error() {
            report.push(format!("page {method} {path} → {}", p.status));
        }
        html.push_str(&p.html);
    }
    assert!(report.is_empty(), "internal records reached the customer:\n{}", report.join("\n"));
    let page = pages::get(&db, &format!("/tickets/{}", target.ticket), &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    for shown in ["疑似搓纸轮磨损", "备件已发出，明早上门", "已解决，待您确认"] {
        assert!(page.html.contains(shown), "the ticket page lacks {shown}");
    }
    for staff in ["P2", "P4", "时限", "响应超时", "三天未结"] {
        assert!(!page.html.contains(staff), "the customer's ticket page shows {staff}");
    }
});
