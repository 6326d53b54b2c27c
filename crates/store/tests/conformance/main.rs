//! The store conformance suite: every test here runs once on SQLite and once on
//! PostgreSQL (a fresh schema each), so the two backends cannot drift apart.

mod bot;
mod chat;
mod crm;
mod flows;
mod knowledge;
mod people;
mod sla;
mod tickets;

use bot::*;
use chat::*;
use crm::*;
use flows::*;
use knowledge::*;
use people::*;
use sla::*;
use tickets::*;

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                let store = kefu_store::testing::fresh_sqlite().await.expect("sqlite store");
                super::$name(store).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                let Some(store) = kefu_store::testing::fresh_postgres().await else { return };
                super::$name(store).await;
            })*
        }
    };
}

conformance!(
    migrations_are_idempotent,
    tenant_slugs_are_unique,
    every_lookup_is_confined_to_its_tenant,
    usernames_are_unique_per_tenant_only,
    user_limits_are_stored_and_updated,
    role_in_use_cannot_be_deleted,
    skill_group_membership_and_levels,
    status_change_is_recorded_as_event,
    api_tokens_resolve_by_hash_and_revoke,
    sessions_expire_and_complete_totp,
    audit_log_filters_newest_first,
    rolled_back_transaction_leaves_nothing,
    failed_logins_lock_and_clear,
    conversation_log_is_gap_free_and_idempotent,
    visitors_offline_messages_and_quick_replies,
    message_writer_batches_fail_one_append_not_all,
    message_writer_numbers_each_conversation_in_batch_order,
    message_writer_journal_is_read_like_the_log,
    merge_keeps_every_conversation_and_follow_up,
    pool_hides_a_status_and_claims_once,
    oneid_never_imports_a_duplicate,
    bulk_import_follows_the_oneid_rules,
    templates_are_tenant_scoped_and_kept_while_used,
    board_counts_follow_the_filter,
    concurrent_creates_of_one_person_make_one_customer,
    knowledge_categories_nest_three_levels,
    knowledge_category_in_use_is_kept,
    knowledge_is_tenant_scoped,
    knowledge_phrasings_are_replaced_whole,
    knowledge_import_batch_is_all_or_nothing,
    tickets_are_numbered_and_linked,
    ticket_status_moves_once_and_history_is_kept,
    ticket_assignment_watchers_and_visibility,
    merge_moves_tickets_to_the_kept_customer,
    sla_policies_match_the_most_specific,
    sla_clocks_step_once_and_are_counted,
    sla_surveys_once_and_link_key_is_stable,
    flows_are_tenant_scoped_and_named_uniquely,
    flow_started_by_knowledge_is_kept,
    conversation_flow_state_is_stored_per_tenant,
    bot_log_feedback_and_unmatched_are_tenant_scoped,
    bot_thresholds_per_tenant_and_channel,
);
