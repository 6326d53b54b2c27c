//! The bot's decision log, feedback and unmatched questions.

use super::chat::chat_fixture;
use kefu_store::{bot, conversations, Store, StoreError};
use serde_json::json;

pub(crate) async fn bot_log_feedback_and_unmatched_are_tenant_scoped(store: Store) {
    let (t, ch, v) = chat_fixture(&store, "bot").await;
    let (other, _, _) = chat_fixture(&store, "bot-other").await;
    let mut c = store.conn().await.unwrap();
    let conv = conversations::create_conversation(
        &mut c,
        &t,
        &conversations::NewConversation {
            channel_id: &ch,
            visitor_id: &v.id,
            customer_id: &v.customer_id,
            state: "bot",
            skill_group_id: None,
            priority: 0,
        },
    )
    .await
    .unwrap();
    let detail = json!({"confidence": 0.2, "candidates": []});
    let miss = bot::insert_decision(
        &mut c,
        &t,
        &bot::NewDecision {
            conversation_id: &conv.id,
            question: "能用花呗吗",
            outcome: "no_match",
            item_id: None,
            detail: &detail,
        },
    )
    .await
    .unwrap();
    let hit = bot::insert_decision(
        &mut c,
        &t,
        &bot::NewDecision {
            conversation_id: &conv.id,
            question: "怎么退货",
            outcome: "answer",
            item_id: Some("item-1"),
            detail: &detail,
        },
    )
    .await
    .unwrap();
    assert_eq!(miss.detail, detail);
    assert_eq!(
        bot::last_outcomes(&mut c, &t, &conv.id, 2).await.unwrap(),
        vec!["answer", "no_match"]
    );
    bot::set_feedback(&mut c, &t, &hit.id, &conv.id, "helpful")
        .await
        .unwrap();
    // another conversation's id, or another tenant, cannot rate it
    assert!(matches!(
        bot::set_feedback(&mut c, &t, &hit.id, "nope", "unhelpful").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        bot::set_feedback(&mut c, &other, &hit.id, &conv.id, "unhelpful").await,
        Err(StoreError::NotFound)
    ));
    let log = bot::decisions_of_conversation(&mut c, &t, &conv.id)
        .await
        .unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].feedback.as_deref(), Some("helpful"));
    assert!(bot::decisions_of_conversation(&mut c, &other, &conv.id)
        .await
        .unwrap()
        .is_empty());

    let q = bot::insert_unmatched(
        &mut c,
        &t,
        &conv.id,
        Some(&miss.id),
        "能用花呗吗",
        "no_match",
    )
    .await
    .unwrap();
    assert_eq!(q.status, "open");
    assert!(bot::get_unmatched(&mut c, &other, &q.id)
        .await
        .unwrap()
        .is_none());
    assert!(bot::list_unmatched(&mut c, &other, "open", 10)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        bot::resolve_unmatched(&mut c, &other, &q.id, "dismissed", None, None).await,
        Err(StoreError::NotFound)
    ));
    bot::resolve_unmatched(&mut c, &t, &q.id, "attached", Some("item-1"), Some("u"))
        .await
        .unwrap();
    // only an open question can be resolved
    assert!(matches!(
        bot::resolve_unmatched(&mut c, &t, &q.id, "dismissed", None, None).await,
        Err(StoreError::NotFound)
    ));
    assert!(bot::list_unmatched(&mut c, &t, "open", 10)
        .await
        .unwrap()
        .is_empty());
    let done = bot::list_unmatched(&mut c, &t, "attached", 10)
        .await
        .unwrap();
    assert_eq!(done[0].item_id.as_deref(), Some("item-1"));

    bot::raise_priority(&mut c, &t, &conv.id, 2).await.unwrap();
    bot::raise_priority(&mut c, &t, &conv.id, 1).await.unwrap();
    bot::raise_priority(&mut c, &other, &conv.id, 5)
        .await
        .unwrap();
    let after = conversations::get_conversation(&mut c, &t, &conv.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        after.priority, 2,
        "raised, never lowered, never by another tenant"
    );
}
