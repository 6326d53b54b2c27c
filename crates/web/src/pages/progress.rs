//! 进度跟踪: the customer's progress page behind a signed link
//! (`/progress/{ticket}/{signature}`), outside the console: no sign-in, the
//! link is the credential. It shows the status and public replies (never
//! internal notes), takes a reply, and once the ticket is resolved one
//! satisfaction survey. A wrong link is the ordinary 404 page.
//!
//! The forms need no CSRF token: there is no session to ride on, and whoever
//! can build the form's URL already holds the link.

use crate::fmt::When;
use crate::i18n::Lang;
use crate::render::{html, not_found_page, Bare};
use crate::session::{see_other, Fields, ReqLang};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use kefu_app::sla::progress::{CustomerReply, ProgressView, SurveyInput};
use kefu_app::{App, AppError};

pub struct ReplyRow {
    pub from_customer: bool,
    pub author: String,
    pub body: String,
    pub at: When,
}

#[derive(Template)]
#[template(path = "progress.html")]
struct ProgressTpl {
    c: Bare,
    action: String,
    number: i64,
    title: String,
    status: String,
    resolved: bool,
    created: When,
    replies: Vec<ReplyRow>,
    survey_open: bool,
    /// The given rating and comment, once answered.
    rating: Option<(i64, String)>,
    /// Shown above the page: a confirmation or an error.
    notice: String,
    error: String,
    draft: String,
}

#[derive(Debug, serde::Deserialize)]
pub struct Done {
    /// `reply` or `survey`: what was just stored.
    pub done: Option<String>,
}

fn render(
    lang: Lang,
    action: &str,
    v: ProgressView,
    notice: &str,
    error: String,
    draft: String,
    status: StatusCode,
) -> Response {
    let tr = lang.tr();
    let t = ProgressTpl {
        c: Bare::new(lang, tr.progress_title),
        action: action.to_string(),
        number: v.ticket.number,
        title: v.ticket.title,
        status: v.ticket.status,
        resolved: v.ticket.resolved,
        created: When::from_ms(v.ticket.created_at),
        replies: v
            .ticket
            .replies
            .into_iter()
            .map(|r| ReplyRow {
                from_customer: r.from == "customer",
                author: r.author,
                body: r.body,
                at: When::from_ms(r.at),
            })
            .collect(),
        survey_open: v.survey_open,
        rating: v.survey.map(|s| (s.rating, s.comment)),
        notice: notice.to_string(),
        error,
        draft,
    };
    let mut r = html(status, &t);
    // The link is a secret: keep it out of caches and other sites' Referer.
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

fn action_of(id: &str, key: &str) -> String {
    format!("/progress/{id}/{key}")
}

/// `GET /progress/{id}/{key}`
pub async fn page(
    State(app): State<App>,
    ReqLang(lang): ReqLang,
    Path((id, key)): Path<(String, String)>,
    Query(q): Query<Done>,
) -> Response {
    let tr = lang.tr();
    match app.progress_view(&id, &key).await {
        Ok(v) => {
            let notice = match q.done.as_deref() {
                Some("reply") => tr.progress_reply_sent,
                Some("survey") => tr.progress_survey_thanks,
                _ => "",
            };
            render(
                lang,
                &action_of(&id, &key),
                v,
                notice,
                String::new(),
                String::new(),
                StatusCode::OK,
            )
        }
        Err(_) => not_found_page(lang),
    }
}

/// An error from a form: the page again with the message, or 404.
async fn again(app: &App, lang: Lang, id: &str, key: &str, e: AppError, draft: String) -> Response {
    let tr = lang.tr();
    let (status, msg) = match &e {
        AppError::Validation(v) if v.field == "rating" => {
            (StatusCode::UNPROCESSABLE_ENTITY, tr.progress_error_rating)
        }
        AppError::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, tr.progress_error_empty),
        AppError::Conflict {
            code: "already_rated",
            ..
        } => (StatusCode::CONFLICT, tr.progress_error_rated),
        AppError::Conflict { .. } => (StatusCode::CONFLICT, tr.progress_error_not_resolved),
        _ => return not_found_page(lang),
    };
    match app.progress_view(id, key).await {
        Ok(v) => render(
            lang,
            &action_of(id, key),
            v,
            "",
            msg.to_string(),
            draft,
            status,
        ),
        Err(_) => not_found_page(lang),
    }
}

/// `POST /progress/{id}/{key}/reply`
pub async fn reply(
    State(app): State<App>,
    ReqLang(lang): ReqLang,
    Path((id, key)): Path<(String, String)>,
    f: Fields,
) -> Response {
    let body = f.get("body").to_string();
    match app
        .progress_reply(&id, &key, CustomerReply { body: body.clone() })
        .await
    {
        Ok(_) => see_other(&format!("{}?done=reply#replies", action_of(&id, &key))),
        Err(e) => again(&app, lang, &id, &key, e, body).await,
    }
}

/// `POST /progress/{id}/{key}/survey`
pub async fn survey(
    State(app): State<App>,
    ReqLang(lang): ReqLang,
    Path((id, key)): Path<(String, String)>,
    f: Fields,
) -> Response {
    let input = SurveyInput {
        rating: f.get("rating").trim().parse().unwrap_or(0),
        comment: f.get("comment").to_string(),
    };
    match app.progress_survey(&id, &key, input).await {
        Ok(_) => see_other(&format!("{}?done=survey#survey", action_of(&id, &key))),
        Err(e) => again(&app, lang, &id, &key, e, String::new()).await,
    }
}
