//! Groups, categories and the grading scheme.

use aftersales_app::catalog::{CategoryInput, GroupInput};
use aftersales_domain::catalog::{Category, Group};
use aftersales_domain::grading::GradingScheme;
use axum::extract::State;
use axum::http::StatusCode;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, IdPath, Json};
use crate::openapi::ErrorResponse;

#[utoipa::path(get, path = "/api/v1/groups", tag = "catalog", security(("bearer" = [])), responses((status = 200, body = Vec<Group>)))]
pub async fn groups(State(s): State<AppState>, Auth(actor): Auth) -> Result<axum::Json<Vec<Group>>, ApiError> {
    Ok(axum::Json(s.app.groups(&actor).await?))
}

#[utoipa::path(post, path = "/api/v1/groups", tag = "catalog", security(("bearer" = [])), request_body = GroupInput,
    responses((status = 201, body = Group), (status = 422, body = ErrorResponse)))]
pub async fn create_group(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Json(input): Json<GroupInput>,
) -> Result<(StatusCode, axum::Json<Group>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.create_group(&actor, &input).await?)))
}

/// Renames a group (its code stays).
#[utoipa::path(patch, path = "/api/v1/groups/{id}", tag = "catalog", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = GroupInput, responses((status = 200, body = Group), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn update_group(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<GroupInput>,
) -> Result<axum::Json<Group>, ApiError> {
    Ok(axum::Json(s.app.update_group(&actor, id, &input).await?))
}

#[utoipa::path(get, path = "/api/v1/categories", tag = "catalog", security(("bearer" = [])), responses((status = 200, body = Vec<Category>)))]
pub async fn categories(State(s): State<AppState>, Auth(actor): Auth) -> Result<axum::Json<Vec<Category>>, ApiError> {
    Ok(axum::Json(s.app.categories(&actor).await?))
}

#[utoipa::path(post, path = "/api/v1/categories", tag = "catalog", security(("bearer" = [])), request_body = CategoryInput,
    responses((status = 201, body = Category), (status = 422, body = ErrorResponse)))]
pub async fn create_category(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Json(input): Json<CategoryInput>,
) -> Result<(StatusCode, axum::Json<Category>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.create_category(&actor, &input).await?)))
}

/// Edits a category: names, whether it is offered, and the group that handles it (dispatch mapping).
#[utoipa::path(patch, path = "/api/v1/categories/{id}", tag = "catalog", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = CategoryInput, responses((status = 200, body = Category), (status = 404, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn update_category(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<CategoryInput>,
) -> Result<axum::Json<Category>, ApiError> {
    Ok(axum::Json(s.app.update_category(&actor, id, &input).await?))
}

#[utoipa::path(get, path = "/api/v1/grading-scheme", tag = "catalog", security(("bearer" = [])), responses((status = 200, body = GradingScheme)))]
pub async fn grading_scheme(
    State(s): State<AppState>,
    Auth(actor): Auth,
) -> Result<axum::Json<GradingScheme>, ApiError> {
    Ok(axum::Json(s.app.grading_scheme(&actor).await?))
}

/// Replaces the grading scheme (any number of levels, e.g. seed 002's three).
#[utoipa::path(put, path = "/api/v1/grading-scheme", tag = "catalog", security(("bearer" = [])), request_body = GradingScheme,
    responses((status = 200, body = GradingScheme), (status = 409, body = ErrorResponse), (status = 422, body = ErrorResponse)))]
pub async fn replace_grading_scheme(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Json(scheme): Json<GradingScheme>,
) -> Result<axum::Json<GradingScheme>, ApiError> {
    Ok(axum::Json(s.app.replace_grading_scheme(&actor, &scheme).await?))
}
