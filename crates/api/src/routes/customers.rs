//! /api/v1/customers (CRM): list, create, screen-pop look-up, the public pool,
//! claim and release, OneID merge, follow-ups, CSV export. The single record
//! (`GET`/`PATCH /customers/{id}`) is served from `chat`, beside the workbench.

use super::created;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, Auth};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kefu_app::crm::oneid::{LookupQuery, LookupResult, MergeInput, MergeResult};
use kefu_app::crm::records::{CustomerQuery, FollowUpInput, NewCustomerInput};
use kefu_app::App;
use kefu_store::{Customer, FollowUp};

/// A CSV download; the byte-order mark makes spreadsheet programs read UTF-8.
pub(crate) fn csv_response(filename: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        format!("\u{feff}{body}"),
    )
        .into_response()
}

/// Customers I may see (all of them with `customers.view_all`), newest first.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(CustomerQuery),
    responses((status = 200, body = [Customer]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(app): State<App>,
    Auth(p): Auth,
    Query(q): Query<CustomerQuery>,
) -> ApiResult<Json<Vec<Customer>>> {
    Ok(Json(app.list_customers(&p, &q).await?))
}

/// Create a customer in a template. Field values are checked against the
/// template (422 `invalid_fields`, one `{field, code, message}` each); a phone
/// or e-mail that a customer already has answers 409 `duplicate_customer` with
/// that customer's id (OneID: no duplicates).
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", request_body = NewCustomerInput,
    responses((status = 201, body = Customer), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    Auth(p): Auth,
    ApiJson(b): ApiJson<NewCustomerInput>,
) -> ApiResult<Response> {
    Ok(created(app.create_customer(&p, b).await?))
}

/// Screen pop (弹屏定位): find by phone, e-mail or channel user id. `none` →
/// offer to create (when `offer_create`); `one` → show it; `several` → the
/// ones I may see, to choose from.
#[utoipa::path(get, path = "/api/v1/customers/lookup", tag = "customers", params(LookupQuery),
    responses((status = 200, body = LookupResult), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn lookup(
    State(app): State<App>,
    Auth(p): Auth,
    Query(q): Query<LookupQuery>,
) -> ApiResult<Json<LookupResult>> {
    Ok(Json(app.lookup_customers(&p, &q).await?))
}

/// The filtered list as CSV (needs `data.export`); masked as on screen.
#[utoipa::path(get, path = "/api/v1/customers/export", tag = "customers", params(CustomerQuery),
    responses((status = 200, body = String, content_type = "text/csv"), (status = 403, body = ErrorBody)))]
pub async fn export(
    State(app): State<App>,
    Auth(p): Auth,
    Query(q): Query<CustomerQuery>,
) -> ApiResult<Response> {
    Ok(csv_response(
        "customers.csv",
        app.export_customers(&p, &q).await?,
    ))
}

/// The public pool (公海): unowned customers, phone numbers masked unless my
/// role has `pool.phone.view`; a template's hidden status is left out.
#[utoipa::path(get, path = "/api/v1/customer-pool", tag = "customers", params(CustomerQuery),
    responses((status = 200, body = [Customer]), (status = 403, body = ErrorBody)))]
pub async fn pool(
    State(app): State<App>,
    Auth(p): Auth,
    Query(q): Query<CustomerQuery>,
) -> ApiResult<Json<Vec<Customer>>> {
    Ok(Json(app.customer_pool(&p, &q).await?))
}

/// Claim a pool customer (领取). 409 `not_in_pool` when someone owns it.
#[utoipa::path(post, path = "/api/v1/customers/{id}/claim", tag = "customers", params(("id" = String, Path)),
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn claim(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Customer>> {
    Ok(Json(app.claim_customer(&p, &id).await?))
}

/// Release a customer to the pool (释放): its owner, or `customers.view_all`.
#[utoipa::path(post, path = "/api/v1/customers/{id}/release", tag = "customers", params(("id" = String, Path)),
    responses((status = 200, body = Customer), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn release(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Customer>> {
    Ok(Json(app.release_customer(&p, &id).await?))
}

/// Merge `other_id` into this customer (needs `customers.merge`): every
/// conversation, channel identity and follow-up of both is kept here; the
/// audit log records both records before and the result after.
#[utoipa::path(post, path = "/api/v1/customers/{id}/merge", tag = "customers", params(("id" = String, Path)),
    request_body = MergeInput,
    responses((status = 200, body = MergeResult), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn merge(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MergeInput>,
) -> ApiResult<Json<MergeResult>> {
    Ok(Json(app.merge_customers(&p, &id, b).await?))
}

/// Follow-up history (跟进历史), newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/follow-ups", tag = "customers", params(("id" = String, Path)),
    responses((status = 200, body = [FollowUp]), (status = 404, body = ErrorBody)))]
pub async fn follow_ups(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<FollowUp>>> {
    Ok(Json(app.follow_ups(&p, &id).await?))
}

/// Record a follow-up; its `next_follow_up_at` becomes the customer's plan.
#[utoipa::path(post, path = "/api/v1/customers/{id}/follow-ups", tag = "customers", params(("id" = String, Path)),
    request_body = FollowUpInput,
    responses((status = 201, body = FollowUp), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_follow_up(
    State(app): State<App>,
    Auth(p): Auth,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<FollowUpInput>,
) -> ApiResult<Response> {
    Ok(created(app.add_follow_up(&p, &id, b).await?))
}
