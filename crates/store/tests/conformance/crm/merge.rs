//! Merging two customer records keeps everything of both.

use super::{names, new, template};
use crate::chat::chat_fixture;
use kefu_store::customer_history::{self, NewFollowUp};
use kefu_store::customers::{self, CustomerFilter, NewCustomer};
use kefu_store::{conversations, Store, StoreError};

pub(crate) async fn merge_keeps_every_conversation_and_follow_up(store: Store) {
    let (t, ch, v) = chat_fixture(&store, "crm-merge").await;
    let (other, _, _) = chat_fixture(&store, "crm-merge-other").await;
    let tpl = template(&store, &t, None).await;
    let mut c = store.conn().await.unwrap();
    // The filed record (A) and the chat contact (B), each with a conversation
    // and follow-ups; C was merged into B earlier.
    let a = customers::insert_customer(
        &mut c,
        &t,
        &NewCustomer {
            template_id: Some(tpl),
            ..new("王芳", Some("13812345678"), None)
        },
    )
    .await
    .unwrap();
    let b_id = v.customer_id.clone();
    let c_rec = customers::insert_customer(&mut c, &t, &new("旧档案", None, None))
        .await
        .unwrap();
    customer_history::merge(&mut c, &t, &b_id, &c_rec.id)
        .await
        .unwrap();
    let v2 = conversations::create_visitor(&mut c, &t, &ch, "hash-a", None, &a.id)
        .await
        .unwrap();
    let mut conv_ids = Vec::new();
    for (visitor, customer) in [(&v.id, &b_id), (&v2.id, &a.id)] {
        let conv = conversations::create_conversation(
            &mut c,
            &t,
            &conversations::NewConversation {
                channel_id: &ch,
                visitor_id: visitor,
                customer_id: customer,
                state: "ended",
                skill_group_id: None,
                priority: 0,
            },
        )
        .await
        .unwrap();
        conv_ids.push(conv.id);
    }
    let fu = |body: &'static str| NewFollowUp {
        author_id: None,
        author_name: "李雷",
        kind: "call",
        body,
        next_follow_up_at: None,
    };
    for (who, body) in [(&a.id, "A 回访"), (&b_id, "B 回访 1"), (&b_id, "B 回访 2")] {
        customer_history::add_follow_up(&mut c, &t, who, &fu(body))
            .await
            .unwrap();
    }

    // Another tenant cannot merge these, whatever ids it names.
    assert!(matches!(
        customer_history::merge(&mut c, &other, &a.id, &b_id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        customer_history::merge(&mut c, &t, &a.id, &a.id).await,
        Err(StoreError::Conflict)
    ));

    let mut tx = store.begin().await.unwrap();
    let moved = customer_history::merge(&mut tx, &t, &a.id, &b_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        moved,
        customer_history::MergeMoved {
            visitors: 1,
            conversations: 1,
            follow_ups: 2,
            tickets: 0
        }
    );

    let convs = conversations::conversations_of_customer(&mut c, &t, &a.id, 50)
        .await
        .unwrap();
    let mut got: Vec<String> = convs.into_iter().map(|c| c.id).collect();
    got.sort();
    conv_ids.sort();
    assert_eq!(got, conv_ids, "both conversations now belong to A");
    let mut bodies: Vec<String> = customer_history::follow_ups(&mut c, &t, &a.id, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.body)
        .collect();
    bodies.sort();
    assert_eq!(bodies, ["A 回访", "B 回访 1", "B 回访 2"]);
    let visitor = conversations::get_visitor(&mut c, &t, &v.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(visitor.customer_id, a.id, "the visitor comes back as A");
    // B and C are kept for history, pointing at A, and nowhere else.
    for id in [&b_id, &c_rec.id] {
        let gone = customers::get_customer(&mut c, &t, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(gone.merged_into.as_deref(), Some(a.id.as_str()));
    }
    let all = customers::list_customers(
        &mut c,
        &t,
        &CustomerFilter {
            limit: 100,
            ..CustomerFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(names(&all), ["王芳"]);
    // Merging B again finds nothing to merge.
    assert!(matches!(
        customer_history::merge(&mut c, &t, &a.id, &b_id).await,
        Err(StoreError::NotFound)
    ));
}
