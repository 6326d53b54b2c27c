//! Multi-turn flows: definitions are tenant-scoped and named uniquely, a flow a
//! knowledge item starts is kept, and a conversation's flow state is stored and
//! read back per tenant.

use super::chat::chat_fixture;
use kefu_store::{conversations, flows, knowledge, Store, StoreError};
use serde_json::json;

pub(crate) async fn flows_are_tenant_scoped_and_named_uniquely(store: Store) {
    let (t, _, _) = chat_fixture(&store, "flows-a").await;
    let (other, _, _) = chat_fixture(&store, "flows-b").await;
    let mut c = store.conn().await.unwrap();
    let def = json!({"start": "a", "nodes": [{"id": "a", "type": "end"}]});
    let f = flows::create(&mut c, &t, "查询订单", &def, true)
        .await
        .unwrap();
    assert_eq!(f.definition, def);
    assert!(f.enabled);
    let dup = flows::create(&mut c, &t, "查询订单", &def, true).await;
    assert!(matches!(dup, Err(StoreError::Conflict)), "{dup:?}");
    // The same name in another tenant is fine; ids never cross tenants.
    flows::create(&mut c, &other, "查询订单", &def, false)
        .await
        .unwrap();
    assert!(flows::get(&mut c, &other, &f.id).await.unwrap().is_none());
    let upd = flows::update(&mut c, &other, &f.id, "x", &def, true).await;
    assert!(matches!(upd, Err(StoreError::NotFound)), "{upd:?}");
    let del = flows::delete(&mut c, &other, &f.id).await;
    assert!(matches!(del, Err(StoreError::NotFound)), "{del:?}");
    assert_eq!(flows::list(&mut c, &t).await.unwrap().len(), 1);
    // Only enabled flows count for intents; an update changes the fingerprint.
    assert!(flows::fingerprint(&mut c, &other).await.unwrap().is_empty());
    let before = flows::fingerprint(&mut c, &t).await.unwrap();
    let def2 = json!({"start": "b", "nodes": [{"id": "b", "type": "end"}]});
    let u = flows::update(&mut c, &t, &f.id, "订单", &def2, true)
        .await
        .unwrap();
    assert_eq!((u.name.as_str(), &u.definition), ("订单", &def2));
    assert_ne!(flows::fingerprint(&mut c, &t).await.unwrap(), before);
    flows::delete(&mut c, &t, &f.id).await.unwrap();
    assert!(flows::list(&mut c, &t).await.unwrap().is_empty());
}

pub(crate) async fn flow_started_by_knowledge_is_kept(store: Store) {
    let (t, _, _) = chat_fixture(&store, "flows-kb").await;
    let (other, _, _) = chat_fixture(&store, "flows-kb-b").await;
    let mut c = store.conn().await.unwrap();
    let def = json!({"start": "a", "nodes": [{"id": "a", "type": "end"}]});
    let f = flows::create(&mut c, &t, "退款", &def, true).await.unwrap();
    let cat = knowledge::create_category(&mut c, &t, "售后", None)
        .await
        .unwrap();
    let answer = json!({"text": "我来帮您"});
    let item = knowledge::create_item(
        &mut c,
        &t,
        &knowledge::ItemFields {
            category_id: &cat.id,
            question: "怎么退款",
            similar: &[],
            answer: &answer,
            enabled: true,
            valid_from: None,
            valid_to: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(item.flow_id, None);
    let cross = flows::set_item_flow(&mut c, &other, &item.id, Some(&f.id)).await;
    assert!(matches!(cross, Err(StoreError::NotFound)), "{cross:?}");
    flows::set_item_flow(&mut c, &t, &item.id, Some(&f.id))
        .await
        .unwrap();
    let got = knowledge::get_item(&mut c, &t, &item.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.flow_id.as_deref(), Some(f.id.as_str()));
    assert_eq!(
        flows::item_flow(&mut c, &t, &item.id).await.unwrap(),
        Some(f.id.clone())
    );
    assert_eq!(
        flows::item_flow(&mut c, &other, &item.id).await.unwrap(),
        None
    );
    assert_eq!(
        flows::item_flows(&mut c, &t).await.unwrap(),
        vec![(item.id.clone(), f.id.clone())]
    );
    let del = flows::delete(&mut c, &t, &f.id).await;
    assert!(matches!(del, Err(StoreError::Reference)), "{del:?}");
    flows::set_item_flow(&mut c, &t, &item.id, None)
        .await
        .unwrap();
    flows::delete(&mut c, &t, &f.id).await.unwrap();
}

pub(crate) async fn conversation_flow_state_is_stored_per_tenant(store: Store) {
    let (t, ch, v) = chat_fixture(&store, "flows-conv").await;
    let (other, _, _) = chat_fixture(&store, "flows-conv-b").await;
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
    let s1 = json!({"node": "ask", "slots": {}, "retries": 0, "phase": "waiting_text"});
    let cross = flows::begin_conversation_flow(&mut c, &other, &conv.id, "f1", "active", &s1).await;
    assert!(matches!(cross, Err(StoreError::NotFound)), "{cross:?}");
    flows::begin_conversation_flow(&mut c, &t, &conv.id, "f1", "active", &s1)
        .await
        .unwrap();
    let s2 = json!({"node": "ask", "slots": {"no": "20260001"}, "retries": 0, "phase": "finished"});
    flows::save_conversation_flow(&mut c, &t, &conv.id, "handed_off", &s2)
        .await
        .unwrap();
    let got = flows::conversation_flow(&mut c, &t, &conv.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (got.flow_id.as_str(), got.status.as_str()),
        ("f1", "handed_off")
    );
    assert_eq!(got.state, s2);
    assert!(flows::conversation_flow(&mut c, &other, &conv.id)
        .await
        .unwrap()
        .is_none());
    let cross = flows::save_conversation_flow(&mut c, &other, &conv.id, "active", &s1).await;
    assert!(matches!(cross, Err(StoreError::NotFound)), "{cross:?}");
    // Starting another flow replaces the row.
    flows::begin_conversation_flow(&mut c, &t, &conv.id, "f2", "active", &s1)
        .await
        .unwrap();
    let got = flows::conversation_flow(&mut c, &t, &conv.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (got.flow_id.as_str(), got.status.as_str()),
        ("f2", "active")
    );
    assert_eq!(got.state, s1);
}
