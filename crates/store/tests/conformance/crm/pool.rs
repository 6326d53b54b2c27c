//! The public pool (公海): hidden statuses, claims that succeed once.

use super::{names, new, template};
use crate::chat::chat_fixture;
use crate::people::user;
use kefu_store::customers::{self, CustomerFilter, NewCustomer, OwnerFilter};
use kefu_store::{conversations, Store, StoreError};

pub(crate) async fn pool_hides_a_status_and_claims_once(store: Store) {
    let (t, ch, v) = chat_fixture(&store, "crm-pool").await;
    let u1 = user(&store, &t, "agent1").await;
    let u2 = user(&store, &t, "agent2").await;
    let tpl = template(&store, &t, Some("已成交")).await;
    let mut c = store.conn().await.unwrap();
    let filed = |name: &str, status: &str, owner: Option<&str>| NewCustomer {
        template_id: Some(tpl.clone()),
        status: status.into(),
        owner_id: owner.map(str::to_string),
        ..new(name, None, None)
    };
    let open = customers::insert_customer(&mut c, &t, &filed("公海客户", "新线索", None))
        .await
        .unwrap();
    let hidden = customers::insert_customer(&mut c, &t, &filed("已成交客户", "已成交", None))
        .await
        .unwrap();
    customers::insert_customer(&mut c, &t, &filed("张的客户", "跟进中", Some(&u1.id)))
        .await
        .unwrap();
    // A chat contact (no template) is not in the pool; u2 served them.
    conversations::create_conversation(
        &mut c,
        &t,
        &conversations::NewConversation {
            channel_id: &ch,
            visitor_id: &v.id,
            customer_id: &v.customer_id,
            state: "ended",
            skill_group_id: None,
            priority: 0,
        },
    )
    .await
    .unwrap();
    sqlx::query("UPDATE conversations SET agent_id = $1 WHERE customer_id = $2")
        .bind(&u2.id)
        .bind(&v.customer_id)
        .execute(&mut *c)
        .await
        .unwrap();

    let list = |owner: OwnerFilter, visible_to: Option<&str>| CustomerFilter {
        owner,
        visible_to: visible_to.map(str::to_string),
        limit: 100,
        ..CustomerFilter::default()
    };
    let pool = customers::list_customers(&mut c, &t, &list(OwnerFilter::Pool, None))
        .await
        .unwrap();
    assert_eq!(
        names(&pool),
        ["公海客户"],
        "the hidden status stays out of the pool"
    );
    let seen_by_u2 = customers::list_customers(&mut c, &t, &list(OwnerFilter::Any, Some(&u2.id)))
        .await
        .unwrap();
    assert_eq!(names(&seen_by_u2), ["公海客户", "访客"]);
    let seen_by_u1 = customers::list_customers(&mut c, &t, &list(OwnerFilter::Any, Some(&u1.id)))
        .await
        .unwrap();
    assert_eq!(names(&seen_by_u1), ["公海客户", "张的客户"]);
    assert!(customers::is_in_pool(&mut c, &t, &open.id).await.unwrap());
    assert!(!customers::is_in_pool(&mut c, &t, &hidden.id).await.unwrap());

    // The hidden one cannot be claimed; the open one only once.
    assert!(!customers::claim(&mut c, &t, &hidden.id, &u1.id)
        .await
        .unwrap());
    assert!(customers::claim(&mut c, &t, &open.id, &u1.id)
        .await
        .unwrap());
    assert!(!customers::claim(&mut c, &t, &open.id, &u2.id)
        .await
        .unwrap());
    let got = customers::get_customer(&mut c, &t, &open.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.owner_id.as_deref(), Some(u1.id.as_str()));
    assert!(got.claimed_at.is_some());
    assert!(
        customers::list_customers(&mut c, &t, &list(OwnerFilter::Pool, None))
            .await
            .unwrap()
            .is_empty()
    );
    // Released, it is back in the pool for anyone.
    customers::set_owner(&mut c, &t, &open.id, None)
        .await
        .unwrap();
    assert!(customers::claim(&mut c, &t, &open.id, &u2.id)
        .await
        .unwrap());
    // Another tenant claims nothing.
    let (other, _, _) = chat_fixture(&store, "crm-pool-other").await;
    customers::set_owner(&mut c, &t, &open.id, None)
        .await
        .unwrap();
    assert!(!customers::claim(&mut c, &other, &open.id, &u2.id)
        .await
        .unwrap());
    assert!(matches!(
        customers::set_owner(&mut c, &other, &open.id, Some(&u2.id)).await,
        Err(StoreError::NotFound)
    ));
}
