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

pub(crate) async fn bot_thresholds_per_tenant_and_channel(store: Store) {
    use kefu_store::bot_thresholds::{self as th, ThresholdValues};
    let (t, ch, _) = chat_fixture(&store, "thr").await;
    let (other, other_ch, _) = chat_fixture(&store, "thr-other").await;
    let mut c = store.conn().await.unwrap();
    assert_eq!(th::effective(&mut c, &t, Some(&ch)).await.unwrap(), None);
    let tenant = ThresholdValues {
        lexical_answer: 0.6,
        lexical_suggest: 0.25,
        semantic_answer: 0.7,
        semantic_suggest: 0.4,
    };
    let saved = th::put(&mut c, &t, None, &tenant, Some("admin"))
        .await
        .unwrap();
    assert_eq!(saved.channel_id, None);
    assert_eq!(saved.lexical_answer, 0.6);
    assert_eq!(saved.semantic_suggest, 0.4);
    assert_eq!(saved.updated_by.as_deref(), Some("admin"));
    // No channel row yet: the tenant's applies to the channel and to no channel.
    let e = th::effective(&mut c, &t, Some(&ch)).await.unwrap().unwrap();
    assert_eq!((e.channel_id, e.lexical_answer), (None, 0.6));
    let e = th::effective(&mut c, &t, None).await.unwrap().unwrap();
    assert_eq!(e.lexical_answer, 0.6);
    // Another tenant sees nothing of it.
    assert_eq!(
        th::effective(&mut c, &other, Some(&other_ch))
            .await
            .unwrap(),
        None
    );
    assert!(th::list(&mut c, &other).await.unwrap().is_empty());
    // A channel override wins for that channel only.
    let chan = ThresholdValues {
        lexical_answer: 0.9,
        ..tenant
    };
    th::put(&mut c, &t, Some(&ch), &chan, None).await.unwrap();
    let e = th::effective(&mut c, &t, Some(&ch)).await.unwrap().unwrap();
    assert_eq!(
        (e.channel_id.as_deref(), e.lexical_answer),
        (Some(ch.as_str()), 0.9)
    );
    assert_eq!(
        th::effective(&mut c, &t, None)
            .await
            .unwrap()
            .unwrap()
            .lexical_answer,
        0.6
    );
    // Saving again replaces the row.
    let again = ThresholdValues {
        lexical_answer: 0.5,
        ..tenant
    };
    th::put(&mut c, &t, None, &again, Some("lead"))
        .await
        .unwrap();
    let all = th::list(&mut c, &t).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].channel_id, None, "the tenant's own row first");
    assert_eq!(all[0].lexical_answer, 0.5);
    assert_eq!(all[0].updated_by.as_deref(), Some("lead"));
    // Another tenant cannot remove it; removing the channel row falls back.
    assert!(matches!(
        th::delete(&mut c, &other, Some(&ch)).await,
        Err(StoreError::NotFound)
    ));
    th::delete(&mut c, &t, Some(&ch)).await.unwrap();
    assert_eq!(
        th::effective(&mut c, &t, Some(&ch))
            .await
            .unwrap()
            .unwrap()
            .lexical_answer,
        0.5
    );
    // Deleting a channel takes its override with it.
    let spare = kefu_store::channels::create(
        &mut c,
        &t,
        "web",
        "key-thr-spare",
        &kefu_store::channels::ChannelFields {
            name: "备用",
            skill_group_id: None,
            greeting: "",
        },
    )
    .await
    .unwrap();
    th::put(&mut c, &t, Some(&spare.id), &chan, None)
        .await
        .unwrap();
    assert_eq!(th::list(&mut c, &t).await.unwrap().len(), 2);
    kefu_store::channels::delete(&mut c, &t, &spare.id)
        .await
        .unwrap();
    assert_eq!(th::list(&mut c, &t).await.unwrap().len(), 1);
}
