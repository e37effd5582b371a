//! Fees (seed 003): a ticket's warranty, quote, approval, payments and receipts.

use aftersales_app::fees::{FeeScreen, FreeInput, PaymentInput, QuoteDecision, Receipt};
use aftersales_domain::fee::{CustomerFees, QuoteInput, Settlement};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Auth, IdPath, Json};
use crate::openapi::ErrorResponse;

/// A ticket's fees: everything (staff), or the current quote, totals and receipts (a
/// customer contact; never the internal note).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum FeesRead {
    Staff(Box<FeeScreen>),
    Customer(CustomerFees),
}

#[utoipa::path(get, path = "/api/v1/tickets/{id}/fees", tag = "fees", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = FeesRead), (status = 404, body = ErrorResponse)))]
pub async fn fees(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> Result<axum::Json<FeesRead>, ApiError> {
    Ok(axum::Json(if actor.is_customer() {
        FeesRead::Customer(s.app.customer_fees(&actor, id).await?)
    } else {
        FeesRead::Staff(Box::new(s.app.fees(&actor, id).await?))
    }))
}

/// Writes a new quote revision (staff): it supersedes the current one, needs the customer's
/// approval, and is sent to the reporting contact.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/quotes", tag = "fees", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = QuoteInput,
    responses(
        (status = 201, body = FeeScreen), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse, description = "Settled, or the ticket is closed"),
        (status = 422, body = ErrorResponse, description = "A line's quantity, price or description, or totals too large"),
    ))]
pub async fn write_quote(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(input): Json<QuoteInput>,
) -> Result<(StatusCode, axum::Json<FeeScreen>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.save_quote(&actor, id, &input).await?)))
}

/// Approves or refuses the current quote revision: a customer contact in the portal, or
/// staff recording a paper signature (`signed_by`) or a refusal given by phone.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/quotes/decision", tag = "fees", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = QuoteDecision,
    responses(
        (status = 200, body = FeesRead), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse, description = "Already decided, or the quote changed since the revision named"),
        (status = 422, body = ErrorResponse),
    ))]
pub async fn decide_quote(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(d): Json<QuoteDecision>,
) -> Result<axum::Json<FeesRead>, ApiError> {
    Ok(axum::Json(if actor.is_customer() {
        FeesRead::Customer(s.app.customer_decide_quote(&actor, id, &d).await?)
    } else {
        FeesRead::Staff(Box::new(s.app.decide_quote(&actor, id, &d).await?))
    }))
}

/// Records a payment against the approved quote; answers with its receipt number.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/payments", tag = "fees", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = PaymentInput,
    responses(
        (status = 201, body = Settlement), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse, description = "No approved quote, more than remains, or settled"),
        (status = 422, body = ErrorResponse),
    ))]
pub async fn record_payment(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(p): Json<PaymentInput>,
) -> Result<(StatusCode, axum::Json<Settlement>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.record_payment(&actor, id, &p).await?)))
}

/// Records the work with zero charge and why (in warranty, by contract, goodwill).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/free", tag = "fees", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = FreeInput,
    responses(
        (status = 201, body = Settlement), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse, description = "Already settled"), (status = 422, body = ErrorResponse),
    ))]
pub async fn record_free(
    State(s): State<AppState>,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    Json(f): Json<FreeInput>,
) -> Result<(StatusCode, axum::Json<Settlement>), ApiError> {
    Ok((StatusCode::CREATED, axum::Json(s.app.record_free(&actor, id, &f).await?)))
}

/// A printable receipt by its number (staff, or a contact of the ticket's customer).
#[utoipa::path(get, path = "/api/v1/receipts/{number}", tag = "fees", security(("bearer" = [])),
    params(("number" = String, Path, example = "SJ2026-00001")),
    responses((status = 200, body = Receipt), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn receipt(
    State(s): State<AppState>,
    Auth(actor): Auth,
    Path(number): Path<String>,
) -> Result<axum::Json<Receipt>, ApiError> {
    Ok(axum::Json(s.app.receipt(&actor, &number).await?))
}
