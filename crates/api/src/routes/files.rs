//! Attachments: upload (visitor or agent) and download by capability URL.

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Auth;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kefu_app::{App, AppError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct Uploaded {
    pub id: String,
    pub name: String,
    pub size: i64,
    pub content_type: String,
    /// Where to fetch it; needs no session (an unguessable key is part of it).
    pub url: String,
}

async fn first_file(mut mp: Multipart) -> ApiResult<(String, Vec<u8>)> {
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_multipart", e.body_text()))?
    {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("file").to_string();
            let bytes = field.bytes().await.map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "file_too_large",
                    "files may be at most 10 MiB",
                )
            })?;
            return Ok((name, bytes.to_vec()));
        }
    }
    Err(ApiError::from(AppError::Validation(
        kefu_domain::ValidationError::new(
            "file",
            "send the file in a multipart field named \"file\"",
        ),
    )))
}

fn uploaded(a: kefu_store::Attachment, url: String) -> Uploaded {
    Uploaded {
        id: a.id,
        name: a.name,
        size: a.size,
        content_type: a.content_type,
        url,
    }
}

/// Upload a file as an agent (for sending in a conversation).
#[utoipa::path(post, path = "/api/v1/attachments", tag = "online service", request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = Uploaded), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(State(app): State<App>, Auth(p): Auth, mp: Multipart) -> ApiResult<Response> {
    let (name, bytes) = first_file(mp).await?;
    let (a, url) = app.save_attachment(&p.tenant, None, &name, &bytes).await?;
    Ok((StatusCode::CREATED, Json(uploaded(a, url))).into_response())
}

/// Upload a file for a ticket form's attachment field (needs a tickets
/// permission); put the returned `id` in the field's value.
#[utoipa::path(post, path = "/api/v1/tickets/attachments", tag = "tickets", request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = Uploaded), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn ticket_upload(
    State(app): State<App>,
    Auth(p): Auth,
    mp: Multipart,
) -> ApiResult<Response> {
    app.may_attach_to_tickets(&p)?;
    let (name, bytes) = first_file(mp).await?;
    let (a, url) = app.save_ticket_attachment(&p, &name, &bytes).await?;
    Ok((StatusCode::CREATED, Json(uploaded(a, url))).into_response())
}

#[derive(Deserialize, IntoParams)]
pub struct VisitorAuth {
    pub channel: String,
    /// The visitor token from the socket's `welcome`.
    pub token: String,
}

/// Upload a file as a visitor (the widget). Callable from any site (CORS).
#[utoipa::path(post, path = "/api/v1/visitor/attachments", tag = "online service", params(VisitorAuth),
    request_body(content_type = "multipart/form-data", description = "field `file`"),
    responses((status = 201, body = Uploaded), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn visitor_upload(
    State(app): State<App>,
    Query(q): Query<VisitorAuth>,
    mp: Multipart,
) -> Response {
    let result: ApiResult<Response> = async {
        let s = app.visitor_resume(&q.channel, &q.token).await?;
        let (name, bytes) = first_file(mp).await?;
        let (a, url) = app
            .save_attachment(&s.scope, Some(&s.visitor.id), &name, &bytes)
            .await?;
        Ok((StatusCode::CREATED, Json(uploaded(a, url))).into_response())
    }
    .await;
    let mut resp = result.unwrap_or_else(|e| e.into_response());
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    resp
}

/// Download an attachment. Images are shown inline; anything else downloads.
#[utoipa::path(get, path = "/api/v1/files/{id}/{key}", tag = "online service", params(("id" = String, Path), ("key" = String, Path)),
    responses((status = 200, description = "the file"), (status = 404, body = ErrorBody)))]
pub async fn download(
    State(app): State<App>,
    Path((id, key)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (a, bytes) = app.read_attachment(&id, &key).await?;
    let inline = a.content_type.starts_with("image/");
    let ct = if inline || a.content_type.starts_with("application/pdf") {
        a.content_type.clone()
    } else {
        "application/octet-stream".into()
    };
    let disposition = format!(
        "{}; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        a.name
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            })
            .collect::<String>()
    );
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&ct).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(resp)
}
