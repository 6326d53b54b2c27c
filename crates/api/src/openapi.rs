//! The OpenAPI 3.1 document, generated from the handlers' annotations so it
//! cannot drift from the code.

use crate::routes::*;
use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kefu API",
        version = "1",
        description = "The kefu (客服) REST API. Authenticate with an API token \
            (`Authorization: Bearer kefu_…`, created by an administrator) or with the session \
            cookie from `POST /api/v1/auth/login` plus `X-CSRF-Token` on writes. Errors are \
            `{code, message, details}`. Times are Unix milliseconds. Ids from another tenant \
            answer 404."
    ),
    paths(
        auth::login, auth::logout, auth::me, auth::update_profile, auth::change_password,
        auth::totp_begin, auth::totp_confirm, auth::totp_disable, auth::permissions,
        users::list, users::create, users::get, users::update, users::delete, users::unlock,
        users::set_status, users::status_events,
        roles::list, roles::create, roles::get, roles::update, roles::delete,
        org::list_departments, org::create_department, org::get_department, org::update_department,
        org::delete_department, org::list_groups, org::create_group, org::get_group, org::update_group,
        org::delete_group, org::members, org::put_member, org::remove_member,
        statuses::list, statuses::create, statuses::get, statuses::update, statuses::delete,
        tokens::list, tokens::create, tokens::get, tokens::revoke,
        audit::list,
        channels::list, channels::create, channels::get, channels::update, channels::delete, channels::widget, channels::identity_secret,
        chat::mine, chat::get, chat::events, chat::assignments, chat::pickups, chat::pickup, chat::offline, chat::handled, chat::replies, chat::create_reply,
        chat::delete_reply, chat::monitor, chat::customer, chat::update_customer, chat::transfer_targets,
        files::upload, files::visitor_upload, files::download, files::ticket_upload,
        customers::list, customers::create, customers::lookup, customers::export, customers::pool,
        customers::claim, customers::release, customers::merge, customers::follow_ups, customers::add_follow_up,
        customer_templates::list, customer_templates::create, customer_templates::get, customer_templates::update,
        customer_templates::delete, customer_templates::import, customer_templates::report, customer_board::board,
        knowledge::list_categories, knowledge::create_category, knowledge::get_category, knowledge::update_category,
        knowledge::delete_category, knowledge::list_items, knowledge::create_item, knowledge::get_item, knowledge::update_item,
        knowledge::delete_item, knowledge::list_synonyms, knowledge::create_synonyms, knowledge::get_synonyms,
        knowledge::update_synonyms, knowledge::delete_synonyms, knowledge::import, knowledge::export,
        tickets::list_types, tickets::create_type, tickets::get_type, tickets::update_type, tickets::delete_type,
        tickets::list, tickets::create, tickets::get, tickets::detail, tickets::update, tickets::transition,
        tickets::assign, tickets::transfer, tickets::flow_scope, tickets::comments, tickets::add_comment,
        tickets::history, tickets::watchers, tickets::watch, tickets::unwatch, tickets::of_conversation,
        tickets::from_conversation, tickets::from_offline_message, tickets::of_customer,
        tickets::notifications, tickets::read, tickets::read_all,
        sla::list_calendars, sla::create_calendar, sla::get_calendar, sla::update_calendar, sla::delete_calendar,
        sla::list_policies, sla::create_policy, sla::get_policy, sla::update_policy, sla::delete_policy,
        sla::events, sla::report, sla::ticket_sla, sla::ticket_survey, sla::progress_link,
        sla::progress, sla::progress_reply, sla::progress_survey,
        flows::list, flows::create, flows::validate, flows::get, flows::update, flows::delete, flows::test,
        flows::conversation_flow,
        bot::unmatched, bot::attach, bot::create, bot::dismiss, bot::decisions, bot::conversation_decisions,
        bot::assist, bot::thresholds, bot::set_thresholds, bot::clear_thresholds,
        bot::set_channel_thresholds, bot::clear_channel_thresholds,
        knowledge::start_import, knowledge::list_imports, knowledge::get_import,
    ),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::extract::SESSION_COOKIE,
            ))),
        );
    }
}

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// `GET /api/v1/openapi.json`
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
