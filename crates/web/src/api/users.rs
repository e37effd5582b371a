//! Users and API tokens.

use aftersales_app::users::Page;
use aftersales_domain::role::Role;
use aftersales_domain::user::{User, UserInput, UserUpdate};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, IdPath, Json, Query};

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 401, body = crate::openapi::ErrorResponse)))]
pub async fn me(Auth(actor): Auth) -> axum::Json<User> {
    axum::Json(actor.user)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// What the token is for, e.g. "手机" or "ERP integration".
    pub name: String,
    /// The caller's current password: a token outlives the one it is minted with, so a
    /// borrowed token must not mint more (a wrong one counts against sign-in throttling).
    pub password: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NewToken {
    /// Shown once; only its hash is stored.
    pub token: String,
}

/// Creates an API token for the signed-in user, who confirms it with their password.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "users", security(("bearer" = [])), request_body = TokenRequest,
    responses((status = 201, body = NewToken), (status = 422, body = crate::openapi::ErrorResponse)))]
pub async fn create_own_token(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Json(req): Json<TokenRequest>,
) -> Result<(StatusCode, axum::Json<NewToken>), ApiError> {
    let token = s.app.create_own_token_confirmed(&actor, &req.password, req.name.trim()).await?;
    Ok((StatusCode::CREATED, axum::Json(NewToken { token })))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    /// Comma-separated role codes.
    pub role: Option<String>,
    pub group_id: Option<i64>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// Users, filtered by role and group.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])), params(UserQuery),
    responses((status = 200, body = Vec<User>), (status = 400, body = crate::openapi::ErrorResponse)))]
pub async fn list(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Query(q): Query<UserQuery>,
) -> Result<axum::Json<Vec<User>>, ApiError> {
    let mut roles = Vec::new();
    for code in q.role.as_deref().unwrap_or("").split(',').map(str::trim).filter(|c| !c.is_empty()) {
        roles.push(
            Role::from_code(code)
                .ok_or_else(|| ApiError::bad_request(Some("role"), format!("unknown role {code:?}")))?,
        );
    }
    let page = Page::new(q.page, q.per_page)?;
    Ok(axum::Json(s.app.list_users(&actor, &roles, q.group_id, page).await?))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = User), (status = 404, body = crate::openapi::ErrorResponse)))]
pub async fn get(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<User>, ApiError> {
    Ok(axum::Json(s.app.get_user(&actor, id).await?))
}

/// Creates a user (administrators).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = UserInput,
    responses((status = 201, body = User), (status = 403, body = crate::openapi::ErrorResponse), (status = 422, body = crate::openapi::ErrorResponse)))]
pub async fn create(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Json(input): Json<UserInput>,
) -> Result<(StatusCode, axum::Json<User>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.create_user(Some(&actor), &input).await?)))
}

/// Changes a user (administrators): what the body names changes, `null` clears. `"active":
/// false` deactivates the account: its sessions end and its API tokens stop working. Nobody
/// may deactivate themself or give up their own administrator role (409 `self_lockout`).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = UserUpdate,
    responses((status = 200, body = User), (status = 403, body = crate::openapi::ErrorResponse),
        (status = 404, body = crate::openapi::ErrorResponse), (status = 409, body = crate::openapi::ErrorResponse),
        (status = 422, body = crate::openapi::ErrorResponse)))]
pub async fn update(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(change): Json<UserUpdate>,
) -> Result<axum::Json<User>, ApiError> {
    Ok(axum::Json(s.app.update_user(&actor, id, &change).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// 8 to 128 characters.
    pub new_password: String,
}

/// Sets a new password for a user who forgot theirs (administrators) and ends all their
/// sessions. One's own password is changed on one's account page (409 `own_password`).
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = PasswordReset,
    responses((status = 204, description = "Password replaced; the user's sessions ended"),
        (status = 403, body = crate::openapi::ErrorResponse), (status = 404, body = crate::openapi::ErrorResponse),
        (status = 409, body = crate::openapi::ErrorResponse), (status = 422, body = crate::openapi::ErrorResponse)))]
pub async fn reset_password(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(req): Json<PasswordReset>,
) -> Result<StatusCode, ApiError> {
    s.app.reset_password(&actor, id, &req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}
