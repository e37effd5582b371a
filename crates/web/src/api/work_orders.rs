//! Work orders across departments, the department list, and engineers' qualifications and
//! training (issue 13). All internal: a customer contact is refused every route.

use aftersales_app::qualifications::EngineerRecord;
use aftersales_app::work_orders::{StatusChange, TicketWorkOrders, WorkOrderEdit, WorkOrderView};
use aftersales_domain::qualification::{Qualification, QualificationInput, TrainingInput, TrainingRecord};
use aftersales_domain::work_order::{Department, DepartmentInput, WorkOrderInput};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, IdPath, Json};
use crate::openapi::ErrorResponse;

/// The departments that cooperate on tickets (retired ones too, marked).
#[utoipa::path(get, path = "/api/v1/departments", tag = "work_orders", security(("bearer" = [])),
    responses((status = 200, body = Vec<Department>), (status = 403, body = ErrorResponse)))]
pub async fn departments(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<axum::Json<Vec<Department>>, ApiError> {
    Ok(axum::Json(s.app.departments(&actor).await?))
}

/// Adds a department (administrators).
#[utoipa::path(post, path = "/api/v1/departments", tag = "work_orders", security(("bearer" = [])), request_body = DepartmentInput,
    responses((status = 201, body = Department), (status = 403, body = ErrorResponse), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn create_department(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Json(input): Json<DepartmentInput>,
) -> Result<(StatusCode, axum::Json<Department>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.create_department(&actor, &input).await?)))
}

/// Renames a department or retires it (`active: false`); its code stays.
#[utoipa::path(patch, path = "/api/v1/departments/{id}", tag = "work_orders", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = DepartmentInput, responses((status = 200, body = Department), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn update_department(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<DepartmentInput>,
) -> Result<axum::Json<Department>, ApiError> {
    Ok(axum::Json(s.app.update_department(&actor, id, &input).await?))
}

/// A ticket's work orders and who stays responsible for the ticket (staff only).
#[utoipa::path(get, path = "/api/v1/tickets/{id}/work-orders", tag = "work_orders", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = TicketWorkOrders), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn ticket_work_orders(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<TicketWorkOrders>, ApiError> {
    Ok(axum::Json(s.app.ticket_work_orders(&actor, id).await?))
}

/// Opens a work order for another department on an open ticket.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/work-orders", tag = "work_orders", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = WorkOrderInput,
    responses((status = 201, body = WorkOrderView), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn open_work_order(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<WorkOrderInput>,
) -> Result<(StatusCode, axum::Json<WorkOrderView>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.open_work_order(&actor, id, &input).await?)))
}

/// The open work orders the caller owns, nearest deadline first (我的协作工单).
#[utoipa::path(get, path = "/api/v1/me/work-orders", tag = "work_orders", security(("bearer" = [])),
    responses((status = 200, body = Vec<WorkOrderView>), (status = 403, body = ErrorResponse)))]
pub async fn my_work_orders(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<axum::Json<Vec<WorkOrderView>>, ApiError> {
    Ok(axum::Json(s.app.my_work_orders(&actor).await?))
}

/// One work order with its progress.
#[utoipa::path(get, path = "/api/v1/work-orders/{id}", tag = "work_orders", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = WorkOrderView), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn work_order(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<WorkOrderView>, ApiError> {
    Ok(axum::Json(s.app.work_order(&actor, id).await?))
}

/// Edits an open work order, based on the version read (a stale one is refused with 409).
#[utoipa::path(patch, path = "/api/v1/work-orders/{id}", tag = "work_orders", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = WorkOrderEdit,
    responses((status = 200, body = WorkOrderView), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn update_work_order(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(edit): Json<WorkOrderEdit>,
) -> Result<axum::Json<WorkOrderView>, ApiError> {
    Ok(axum::Json(s.app.update_work_order(&actor, id, &edit).await?))
}

/// Moves an open work order to in progress, done or cancelled (its owner or the ticket's people).
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/status", tag = "work_orders", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = StatusChange,
    responses((status = 200, body = WorkOrderView), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn set_work_order_status(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(change): Json<StatusChange>,
) -> Result<axum::Json<WorkOrderView>, ApiError> {
    Ok(axum::Json(s.app.set_work_order_status(&actor, id, &change).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressInput {
    #[serde(default)]
    pub body: String,
}

/// Records a day's progress on an open work order.
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/progress", tag = "work_orders", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = ProgressInput,
    responses((status = 201, body = WorkOrderView), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn add_progress(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(p): Json<ProgressInput>,
) -> Result<(StatusCode, axum::Json<WorkOrderView>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.add_work_order_progress(&actor, id, &p.body).await?)))
}

/// Every engineer's qualifications (with whether each is valid today) and training.
#[utoipa::path(get, path = "/api/v1/qualifications", tag = "qualifications", security(("bearer" = [])),
    responses((status = 200, body = Vec<EngineerRecord>), (status = 403, body = ErrorResponse)))]
pub async fn engineer_records(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<axum::Json<Vec<EngineerRecord>>, ApiError> {
    Ok(axum::Json(s.app.engineer_records(&actor).await?))
}

/// One engineer's qualifications and training.
#[utoipa::path(get, path = "/api/v1/users/{id}/qualifications", tag = "qualifications", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = EngineerRecord), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn engineer_record(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<EngineerRecord>, ApiError> {
    Ok(axum::Json(s.app.engineer_record(&actor, id).await?))
}

/// Records a qualification of an engineer (administrators and supervisors).
#[utoipa::path(post, path = "/api/v1/users/{id}/qualifications", tag = "qualifications", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = QualificationInput,
    responses((status = 201, body = Qualification), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn add_qualification(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<QualificationInput>,
) -> Result<(StatusCode, axum::Json<Qualification>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.add_qualification(&actor, id, &input).await?)))
}

/// Withdraws a qualification (administrators and supervisors).
#[utoipa::path(delete, path = "/api/v1/qualifications/{id}", tag = "qualifications", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn remove_qualification(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<StatusCode, ApiError> {
    s.app.remove_qualification(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Records a training an engineer took (administrators and supervisors).
#[utoipa::path(post, path = "/api/v1/users/{id}/training", tag = "qualifications", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = TrainingInput,
    responses((status = 201, body = TrainingRecord), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn add_training(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<TrainingInput>,
) -> Result<(StatusCode, axum::Json<TrainingRecord>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.add_training(&actor, id, &input).await?)))
}
