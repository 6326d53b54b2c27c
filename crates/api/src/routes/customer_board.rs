//! /api/v1/customer-board: the customer data board (数据看板) as JSON, CSV, or
//! an SVG bar chart of one section (charts are drawn on the server).

use super::customers::csv_response;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Auth;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kefu_app::crm::board::{Bucket, CustomerBoard};
use kefu_app::crm::records::CustomerQuery;
use kefu_app::App;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardFormat {
    /// `json` (default), `csv` (needs `data.export`) or `svg`.
    pub format: Option<String>,
    /// For `svg`: `funnel` (default), `follow_up`, `sources` or `departments`.
    pub chart: Option<String>,
    /// For `svg`: the title's language, `zh-CN` or `en` (default: both).
    pub lang: Option<String>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart: one row per bucket, bars scaled to the largest.
pub fn bars_svg(title: &str, buckets: &[Bucket]) -> String {
    const W: i64 = 520;
    const ROW: i64 = 28;
    const LABEL: i64 = 150;
    const BAR: i64 = 300;
    let h = 40 + ROW * buckets.len().max(1) as i64;
    let max = buckets.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{h}\" viewBox=\"0 0 {W} {h}\" \
         role=\"img\" aria-label=\"{t}\" font-family=\"sans-serif\" font-size=\"13\">\
         <text x=\"8\" y=\"22\" font-weight=\"bold\">{t}</text>",
        t = esc(title)
    );
    for (i, b) in buckets.iter().enumerate() {
        let y = 36 + ROW * i as i64;
        let w = (BAR * b.count / max).max(if b.count > 0 { 2 } else { 0 });
        let label = if b.label.is_empty() { "—" } else { &b.label };
        s += &format!(
            "<text x=\"8\" y=\"{ty}\">{l}</text><rect x=\"{LABEL}\" y=\"{y}\" width=\"{w}\" height=\"18\" fill=\"#3b82f6\"/>\
             <text x=\"{cx}\" y=\"{ty}\">{n}</text>",
            ty = y + 14,
            l = esc(label),
            cx = LABEL + w + 6,
            n = b.count
        );
    }
    s + "</svg>"
}

fn chart(board: &CustomerBoard, name: &str, lang: Option<&str>) -> Option<(String, Vec<Bucket>)> {
    let (zh, en, data) = match name {
        "funnel" => ("客户状态漏斗", "Status funnel", &board.funnel),
        "follow_up" => ("跟进计划", "Follow-up plan", &board.follow_up),
        "sources" => ("客户来源", "Sources", &board.sources),
        "departments" => ("部门分布", "By department", &board.departments),
        _ => return None,
    };
    let title = match lang {
        Some("zh-CN" | "zh") => zh.to_string(),
        Some("en") => en.to_string(),
        _ => format!("{zh} / {en}"),
    };
    Some((title, data.clone()))
}

/// The data board over the filtered list I may see: totals, status funnel,
/// follow-up plan (on plan / overdue / none), sources, owners' departments.
#[utoipa::path(get, path = "/api/v1/customer-board", tag = "customers", params(CustomerQuery, BoardFormat),
    responses((status = 200, body = CustomerBoard), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn board(
    State(app): State<App>,
    Auth(p): Auth,
    Query(q): Query<CustomerQuery>,
    Query(fmt): Query<BoardFormat>,
) -> ApiResult<Response> {
    match fmt.format.as_deref().unwrap_or("json") {
        "csv" => Ok(csv_response(
            "customer-board.csv",
            app.customer_board_csv(&p, &q).await?,
        )),
        "svg" => {
            let board = app.customer_board(&p, &q).await?;
            let (title, buckets) = chart(
                &board,
                fmt.chart.as_deref().unwrap_or("funnel"),
                fmt.lang.as_deref(),
            )
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    "chart must be funnel, follow_up, sources or departments",
                )
            })?;
            Ok((
                [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
                bars_svg(&title, &buckets),
            )
                .into_response())
        }
        "json" => Ok(Json(app.customer_board(&p, &q).await?).into_response()),
        _ => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "format must be json, csv or svg",
        )),
    }
}
