//! Spare parts (issue 13): catalog, warehouses, stock and its ledger, requisitions.

use aftersales_app::parts::{
    DecisionInput, IssueInput, PartsUsed, RequisitionInput, RequisitionList, RequisitionRow, ReturnInput, StockInput,
    StockLine, UseInput,
};
use aftersales_app::users::Page;
use aftersales_domain::parts::{Movement, Part, PartInput, Requisition, RequisitionStatus, Warehouse, WarehouseInput};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, IdPath, Json, Query};
use crate::openapi::ErrorResponse;

#[utoipa::path(get, path = "/api/v1/parts", tag = "parts", security(("bearer" = [])),
    responses((status = 200, body = Vec<Part>), (status = 403, body = ErrorResponse)))]
pub async fn list_parts(State(s): State<AppState>, Auth(actor): Auth) -> Result<axum::Json<Vec<Part>>, ApiError> {
    Ok(axum::Json(s.app.parts(&actor).await?))
}

/// Adds a part to the catalog (parts keeper, administrator).
#[utoipa::path(post, path = "/api/v1/parts", tag = "parts", security(("bearer" = [])), request_body = PartInput,
    responses((status = 201, body = Part), (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn create_part(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Json(input): Json<PartInput>,
) -> Result<(StatusCode, axum::Json<Part>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.create_part(&actor, &input).await?)))
}

#[utoipa::path(get, path = "/api/v1/parts/{id}", tag = "parts", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Part), (status = 404, body = ErrorResponse)))]
pub async fn get_part(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<Part>, ApiError> {
    Ok(axum::Json(s.app.part(&actor, id).await?))
}

/// Edits a part: only the fields given change.
#[utoipa::path(patch, path = "/api/v1/parts/{id}", tag = "parts", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = PartInput,
    responses((status = 200, body = Part), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn update_part(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<PartInput>,
) -> Result<axum::Json<Part>, ApiError> {
    Ok(axum::Json(s.app.update_part(&actor, id, &input).await?))
}

#[utoipa::path(get, path = "/api/v1/warehouses", tag = "parts", security(("bearer" = [])),
    responses((status = 200, body = Vec<Warehouse>), (status = 403, body = ErrorResponse)))]
pub async fn list_warehouses(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<axum::Json<Vec<Warehouse>>, ApiError> {
    Ok(axum::Json(s.app.warehouses(&actor).await?))
}

/// Adds a warehouse: a central store, or an engineer's van stock (`owner_id`).
#[utoipa::path(post, path = "/api/v1/warehouses", tag = "parts", security(("bearer" = [])), request_body = WarehouseInput,
    responses((status = 201, body = Warehouse), (status = 403, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn create_warehouse(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Json(input): Json<WarehouseInput>,
) -> Result<(StatusCode, axum::Json<Warehouse>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.create_warehouse(&actor, &input).await?)))
}

#[utoipa::path(patch, path = "/api/v1/warehouses/{id}", tag = "parts", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = WarehouseInput,
    responses((status = 200, body = Warehouse), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn update_warehouse(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<WarehouseInput>,
) -> Result<axum::Json<Warehouse>, ApiError> {
    Ok(axum::Json(s.app.update_warehouse(&actor, id, &input).await?))
}

/// What a warehouse holds, by part number.
#[utoipa::path(get, path = "/api/v1/warehouses/{id}/stock", tag = "parts", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Vec<StockLine>), (status = 404, body = ErrorResponse)))]
pub async fn stock(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<Vec<StockLine>>, ApiError> {
    Ok(axum::Json(s.app.stock(&actor, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// One part's stock in one warehouse and its ledger, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PartStock {
    pub quantity: i64,
    pub movements: Vec<Movement>,
}

#[utoipa::path(get, path = "/api/v1/warehouses/{id}/parts/{part_id}", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path), ("part_id" = i64, Path), PageQuery),
    responses((status = 200, body = PartStock), (status = 404, body = ErrorResponse)))]
pub async fn part_stock(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path((id, part_id)): Path<(i64, i64)>,
    Query(q): Query<PageQuery>,
) -> Result<axum::Json<PartStock>, ApiError> {
    let page = Page::new(q.page, q.per_page)?;
    let quantity = s.app.stock_of(&actor, part_id, id).await?;
    let movements = s.app.ledger(&actor, part_id, id, page).await?;
    Ok(axum::Json(PartStock { quantity, movements }))
}

/// 入库 (receive), 调拨 (transfer) or 盘点调整 (adjust, with a reason): the ledger rows written.
#[utoipa::path(post, path = "/api/v1/stock-movements", tag = "parts", security(("bearer" = [])), request_body = StockInput,
    responses((status = 201, body = Vec<Movement>), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn move_stock(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Json(input): Json<StockInput>,
) -> Result<(StatusCode, axum::Json<Vec<Movement>>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.move_stock(&actor, &input).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RequisitionQuery {
    pub status: Option<RequisitionStatus>,
    pub ticket_id: Option<i64>,
    pub engineer_id: Option<i64>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// Requisitions, newest first, and how many are in each status.
#[utoipa::path(get, path = "/api/v1/requisitions", tag = "parts", security(("bearer" = [])), params(RequisitionQuery),
    responses((status = 200, body = RequisitionList), (status = 403, body = ErrorResponse)))]
pub async fn requisitions(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<RequisitionQuery>,
) -> Result<axum::Json<RequisitionList>, ApiError> {
    let page = Page::new(q.page, q.per_page)?;
    Ok(axum::Json(s.app.requisitions(&actor, q.status, q.ticket_id, q.engineer_id, page).await?))
}

#[utoipa::path(get, path = "/api/v1/requisitions/{id}", tag = "parts", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = RequisitionRow), (status = 404, body = ErrorResponse)))]
pub async fn requisition(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<RequisitionRow>, ApiError> {
    Ok(axum::Json(s.app.requisition(&actor, id).await?))
}

/// 申领: the ticket's engineer asks for a part (approved at once up to the threshold).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/requisitions", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = RequisitionInput,
    responses((status = 201, body = Requisition), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn request_parts(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<RequisitionInput>,
) -> Result<(StatusCode, axum::Json<Requisition>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.request_parts(&actor, id, &input).await?)))
}

/// The parts used on a ticket: staff see serials; a customer contact the part number, name
/// and quantity. The list the service report prints.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/parts-used", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 200, body = PartsUsed), (status = 404, body = ErrorResponse)))]
pub async fn parts_used(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<PartsUsed>, ApiError> {
    Ok(axum::Json(s.app.parts_used(&actor, id).await?))
}

/// A supervisor approves or rejects (with a note) a requisition above the threshold.
#[utoipa::path(post, path = "/api/v1/requisitions/{id}/decision", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = DecisionInput,
    responses((status = 200, body = Requisition), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn decide(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<DecisionInput>,
) -> Result<axum::Json<Requisition>, ApiError> {
    Ok(axum::Json(s.app.decide_requisition(&actor, id, &input).await?))
}

/// 发放 from a warehouse (keeper) or the engineer's own van; a ticket waiting for these
/// parts resumes.
#[utoipa::path(post, path = "/api/v1/requisitions/{id}/issue", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = IssueInput,
    responses((status = 200, body = Requisition), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn issue(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<IssueInput>,
) -> Result<axum::Json<Requisition>, ApiError> {
    Ok(axum::Json(s.app.issue_requisition(&actor, id, &input).await?))
}

/// 使用: issued parts fitted to the device (serials for a serial-tracked part).
#[utoipa::path(post, path = "/api/v1/requisitions/{id}/use", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = UseInput,
    responses((status = 200, body = Requisition), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn use_parts(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<UseInput>,
) -> Result<axum::Json<Requisition>, ApiError> {
    Ok(axum::Json(s.app.use_parts(&actor, id, &input).await?))
}

/// 退回: unused parts back into stock, or the faulty parts taken out (旧件返还).
#[utoipa::path(post, path = "/api/v1/requisitions/{id}/return", tag = "parts", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ReturnInput,
    responses((status = 200, body = Requisition), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn return_parts(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<ReturnInput>,
) -> Result<axum::Json<Requisition>, ApiError> {
    Ok(axum::Json(s.app.return_parts(&actor, id, &input).await?))
}
