//! The OpenAPI 3.1 document of every endpoint, served at `/api/v1/openapi.json`.
//!
//! The `#[utoipa::path]` annotations say what each operation does when it succeeds, and the
//! answers peculiar to it (409 and its meaning, for instance). What every operation shares is
//! added here, from what the extractors and the error type really do ([`ErrorAnswers`]), and
//! [`document`] corrects what utoipa cannot know from the Rust types ([`as_served`]). The
//! result is checked against the running server by schemathesis in CI (`.ci/schemathesis`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use aftersales_domain::notice::NoticeKind;
use aftersales_domain::role::Role;
use aftersales_domain::ticket::Status;
use serde_json::{Value, json};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, HttpMethod, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{AppState, api};

/// The error body of every failed request.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorResponse {
    pub error: ErrorDetail,
    /// Only on 412 (stale version): the ticket as it is now, in the reader's projection.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
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
)]
pub struct ApiDoc;

/// The answers every operation may give besides its own, from what the extractors and
/// [`crate::error::ApiError`] do. An operation's own annotation wins when it names a status.
struct ErrorAnswers;

/// Operations open to every signed-in person: no permission is checked (no 403).
const NO_PERMISSION: &[(&str, HttpMethod)] =
    &[("/api/v1/me", HttpMethod::Get), ("/api/v1/me/tokens", HttpMethod::Post)];

impl Modify for ErrorAnswers {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for (path, item) in doc.paths.paths.iter_mut() {
            let methods = [
                (HttpMethod::Get, &mut item.get),
                (HttpMethod::Put, &mut item.put),
                (HttpMethod::Post, &mut item.post),
                (HttpMethod::Delete, &mut item.delete),
                (HttpMethod::Patch, &mut item.patch),
            ];
            for (method, op) in methods {
                if let Some(op) = op.as_mut() {
                    add_error_answers(path, &method, op);
                }
            }
        }
    }
}

fn add_error_answers(path: &str, method: &HttpMethod, op: &mut Operation) {
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    if !secured {
        return;
    }
    let params = op.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| params.iter().any(|p| p.parameter_in == place);
    let has_body = op.request_body.is_some();
    let if_match = params.iter().any(|p| p.parameter_in == ParameterIn::Header && p.name == "If-Match");
    let permission = !NO_PERMISSION.iter().any(|(p, m)| *p == path && m == method);

    let mut answers: Vec<(&str, &str)> = Vec::new();
    if has_body || !params.is_empty() {
        answers.push((
            "400",
            "Malformed request: JSON syntax, a wrong type, an unknown field or query parameter, an id that is not a \
             positive integer, a malformed header (`bad_request`, naming the field)",
        ));
    }
    answers.push(("401", "Missing, unknown or revoked bearer token, or a deactivated account (`unauthenticated`)"));
    if permission {
        answers.push(("403", "The caller's role may not do this (`forbidden`)"));
    }
    if has(ParameterIn::Path) {
        answers.push(("404", "No such record, or not visible to the caller (`not_found`)"));
    }
    if if_match {
        answers.push(("412", "Stale `If-Match`: the ticket changed; `current` carries it as it is now"));
    }
    if has_body {
        answers.push(("413", "Request body over 256 KiB (`payload_too_large`)"));
    }
    // Any parameter or body: a control character in it is refused before the handler reads it
    // (`web::input`), naming the field, whatever type the parameter has.
    if has_body || !params.is_empty() {
        answers.push((
            "422",
            "Invalid input (a control character in any field included): each offending field is named in `fields`",
        ));
    }
    if if_match {
        answers.push(("428", "`If-Match` is missing (`precondition_required`)"));
    }
    for (status, description) in answers {
        op.responses.responses.entry(status.to_owned()).or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("ErrorResponse")))),
                    )
                    .build(),
            )
        });
    }
}

/// `GET /api/v1/openapi.json`
pub async fn serve_document() -> axum::Json<Value> {
    static DOC: OnceLock<Value> = OnceLock::new();
    axum::Json(DOC.get_or_init(document).clone())
}

/// Every documented route: `/healthz` and the `/api/v1` routes of [`api::routes`] (checked
/// by `web::input` before a handler decodes them), on [`ApiDoc`]'s header.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(api::health::healthz))
        .merge(api::routes().route_layer(axum::middleware::from_fn(crate::input::api)))
}

/// The OpenAPI document as served: the routes' operations with the answers they share
/// ([`ErrorAnswers`]), corrected by [`as_served`].
pub fn document() -> Value {
    let mut api = router().into_openapi();
    ErrorAnswers.modify(&mut api);
    let mut doc = serde_json::to_value(api).expect("the OpenAPI document serializes");
    as_served(&mut doc);
    doc
}

/// Properties of response schemas that are left out rather than `null` when empty.
const MAY_BE_ABSENT: &[(&str, &str)] = &[
    ("ErrorResponse", "current"),
    ("Attachment", "withdrawal"),
    ("FileResult", "attachment"),
    ("FileResult", "error"),
];

/// What the Rust types do not tell utoipa:
///
/// - Ids (`aftersales_domain::Id`, which utoipa names `i64`) are 1 or more: the schema `Id`
///   with `minimum: 1`, and so is every integer path parameter (`IdPath` refuses the rest).
/// - JSON object keys are strings: maps keyed by a number (`holiday_years`, `years`) are
///   objects whose property names are digits.
/// - A response always carries every field of its type (`None` is `null`): every property of
///   a schema used only in responses is required, except [`MAY_BE_ABSENT`]. Schemas that are
///   also request bodies keep their optional fields (a request may leave them out).
/// - A reader's projection (`TicketRead` and the like: the staff's view or the customer's) is
///   `anyOf` its two shapes, since an empty list fits both.
/// - Coded query parameters are enums: `status` and `role` are comma-separated lists of codes,
///   `sort` names one of the sort keys, `kind` a notice type.
fn as_served(doc: &mut Value) {
    rename_schema(doc, "i64", "Id");
    if let Some(id) = doc.pointer_mut("/components/schemas/Id") {
        *id = json!({
            "type": "integer", "format": "int64", "minimum": 1,
            "description": "Identifier of a stored record."
        });
    }
    walk(doc, &mut |v| {
        if let Some(names) = v.get_mut("propertyNames")
            && names.get("type").and_then(Value::as_str) == Some("integer")
        {
            *names = json!({ "type": "string", "pattern": "^-?[0-9]+$" });
        }
    });

    // A reader's projection is the staff's shape or the customer's; an empty list or page
    // fits both, which `oneOf` (exactly one) would call invalid.
    for name in [
        "TicketRead",
        "TicketPageRead",
        "HistoryRead",
        "WorkLogRead",
        "StepRead",
        "Current",
        "PartsUsed",
        "TicketVisits",
        "TicketAttachments",
    ] {
        if let Some(schema) = doc.pointer_mut(&format!("/components/schemas/{name}")).and_then(Value::as_object_mut)
            && let Some(one_of) = schema.remove("oneOf")
        {
            schema.insert("anyOf".into(), one_of);
        }
    }

    let (inputs, outputs) = schema_uses(doc);
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        let snapshot = schemas.clone();
        for (name, schema) in schemas.iter_mut() {
            if outputs.contains(name) && !inputs.contains(name) {
                require_all(name, schema, &snapshot);
            }
        }
    }

    let codes = |all: Vec<&'static str>| json!({ "type": "string", "enum": all });
    let mut statuses: Vec<&str> = vec!["open"];
    statuses.extend(Status::ALL.iter().map(|s| s.code()));
    let sort_keys = ["registered_at", "created_at", "updated_at", "number", "priority", "status", "due"];
    let sorts: Vec<String> = sort_keys.iter().flat_map(|k| [k.to_string(), format!("-{k}")]).collect();
    let comma_list =
        |items: Value| json!({ "style": "form", "explode": false, "schema": { "type": "array", "items": items } });
    set_param(doc, "/api/v1/tickets", "get", "status", comma_list(codes(statuses)));
    let sort = json!({
        "description": "Sort key; a leading `-` sorts descending (default `-registered_at`).",
        "schema": { "type": "string", "enum": sorts }
    });
    set_param(doc, "/api/v1/tickets", "get", "sort", sort);
    set_param(doc, "/api/v1/users", "get", "role", comma_list(codes(Role::ALL.iter().map(|r| r.code()).collect())));
    set_param(
        doc,
        "/api/v1/notices",
        "get",
        "kind",
        json!({ "schema": codes(NoticeKind::ALL.iter().map(|k| k.code()).collect()) }),
    );

    // Integer path parameters are record ids: `IdPath` answers 400 below 1.
    walk_paths(doc, &mut |_, _, op| {
        for p in op.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten() {
            if p["in"] == "path" && p["schema"]["type"] == "integer" {
                p["schema"]["minimum"] = json!(1);
            }
        }
    });
}

/// Every value of the document, depth first.
fn walk(v: &mut Value, f: &mut impl FnMut(&mut Value)) {
    f(v);
    match v {
        Value::Object(m) => m.values_mut().for_each(|x| walk(x, f)),
        Value::Array(a) => a.iter_mut().for_each(|x| walk(x, f)),
        _ => {}
    }
}

fn walk_paths(doc: &mut Value, f: &mut impl FnMut(&str, &str, &mut Value)) {
    for (path, item) in doc.get_mut("paths").and_then(Value::as_object_mut).into_iter().flatten() {
        for (method, op) in item.as_object_mut().into_iter().flatten() {
            f(path, method, op);
        }
    }
}

fn rename_schema(doc: &mut Value, from: &str, to: &str) {
    let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else { return };
    if let Some(s) = schemas.remove(from) {
        schemas.insert(to.to_owned(), s);
    }
    let (old, new) = (format!("#/components/schemas/{from}"), format!("#/components/schemas/{to}"));
    walk(doc, &mut |v| {
        if let Some(r) = v.get_mut("$ref")
            && *r == old
        {
            *r = Value::String(new.clone());
        }
    });
}

/// The schemas named by request bodies and parameters, and by responses, each with every
/// schema they refer to.
fn schema_uses(doc: &Value) -> (std::collections::BTreeSet<String>, std::collections::BTreeSet<String>) {
    fn refs(v: &Value, out: &mut std::collections::BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.insert(r.trim_start_matches("#/components/schemas/").to_owned());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let (mut inputs, mut outputs) = (Default::default(), Default::default());
    for item in doc["paths"].as_object().into_iter().flat_map(|m| m.values()) {
        for op in item.as_object().into_iter().flat_map(|m| m.values()) {
            refs(&op["requestBody"], &mut inputs);
            refs(&op["parameters"], &mut inputs);
            refs(&op["responses"], &mut outputs);
        }
    }
    let schemas = &doc["components"]["schemas"];
    let close = |mut set: std::collections::BTreeSet<String>| {
        loop {
            let mut more = std::collections::BTreeSet::new();
            for name in &set {
                refs(&schemas[name.as_str()], &mut more);
            }
            let before = set.len();
            set.extend(more);
            if set.len() == before {
                return set;
            }
        }
    };
    (close(inputs), close(outputs))
}

/// Marks every property of a response-only schema required (its variants' and parts' too;
/// a part that refers to a shared schema gets that schema's properties required alongside).
fn require_all(name: &str, schema: &mut Value, schemas: &serde_json::Map<String, Value>) {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        // Those utoipa already requires keep their place (the order of the Rust fields).
        let mut required: Vec<Value> = schema.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
        for p in props.keys().filter(|p| !MAY_BE_ABSENT.contains(&(name, p.as_str()))) {
            if !required.iter().any(|r| r == p.as_str()) {
                required.push(Value::String(p.clone()));
            }
        }
        if !required.is_empty() {
            schema["required"] = Value::Array(required);
        }
    }
    for key in ["oneOf", "anyOf"] {
        for variant in schema.get_mut(key).and_then(Value::as_array_mut).into_iter().flatten() {
            require_all(name, variant, schemas);
        }
    }
    if let Some(parts) = schema.get_mut("allOf").and_then(Value::as_array_mut) {
        let mut shared = Vec::new();
        for part in parts.iter_mut() {
            match part.get("$ref").and_then(Value::as_str) {
                Some(r) => {
                    let target = &schemas[r.trim_start_matches("#/components/schemas/")];
                    shared.extend(target["properties"].as_object().into_iter().flat_map(|m| m.keys().cloned()));
                }
                None => require_all(name, part, schemas),
            }
        }
        if !shared.is_empty() {
            parts.push(json!({ "required": shared }));
        }
    }
}

/// Replaces what the document says of one parameter (keeping its name, place and description).
fn set_param(doc: &mut Value, path: &str, method: &str, name: &str, with: Value) {
    let params = doc
        .get_mut("paths")
        .and_then(|p| p.get_mut(path))
        .and_then(|i| i.get_mut(method))
        .and_then(|o| o.get_mut("parameters"))
        .and_then(Value::as_array_mut);
    let Some(params) = params else { return };
    for p in params.iter_mut().filter(|p| p["name"] == name) {
        p.as_object_mut().map(|m| m.remove("schema"));
        for (k, v) in with.as_object().into_iter().flatten() {
            p[k] = v.clone();
        }
    }
}
