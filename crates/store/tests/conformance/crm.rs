//! Customers (CRM): templates, the public pool, OneID de-duplication and merging.

use super::chat::chat_fixture;
use super::people::{tenant, user};
use kefu_domain::crm::FieldDef;
use kefu_store::customer_history::{self, NewFollowUp};
use kefu_store::customer_templates::{self, TemplateFields};
use kefu_store::customers::{self, CustomerFilter, Deduped, NewCustomer, OwnerFilter};
use kefu_store::{conversations, Store, StoreError, TenantScope};

async fn template(store: &Store, t: &TenantScope, hidden: Option<&str>) -> String {
    let mut c = store.conn().await.unwrap();
    let fields: Vec<FieldDef> = serde_json::from_value(serde_json::json!([
        {"key": "level", "label": "等级", "kind": "select", "options": ["VIP", "普通"]},
        {"key": "backup", "label": "备用电话", "kind": "phone"}
    ]))
    .unwrap();
    customer_templates::create(
        &mut c,
        t,
        &TemplateFields {
            name: "零售客户",
            fields: &fields,
            statuses: &["新线索".into(), "跟进中".into(), "已成交".into()],
            pool_hidden_status: hidden,
        },
    )
    .await
    .unwrap()
    .id
}

fn new(name: &str, phone: Option<&str>, email: Option<&str>) -> NewCustomer {
    NewCustomer {
        name: name.into(),
        phone: phone.map(str::to_string),
        email: email.map(str::to_string),
        source: "manual".into(),
        ..NewCustomer::default()
    }
}

fn names(list: &[kefu_store::Customer]) -> Vec<&str> {
    let mut v: Vec<&str> = list.iter().map(|c| c.name.as_str()).collect();
    v.sort();
    v
}

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

pub(crate) async fn oneid_never_imports_a_duplicate(store: Store) {
    let t = tenant(&store, "crm-oneid").await;
    let other = tenant(&store, "crm-oneid-other").await;
    let mut c = store.conn().await.unwrap();
    let first = customers::insert_customer(
        &mut c,
        &t,
        &new("赵六", Some("13900001111"), Some("zhao@example.cn")),
    )
    .await
    .unwrap();

    // One batch, as an import runs it: existing matches and repeats within the
    // batch are both reported, not written.
    let mut tx = store.begin().await.unwrap();
    let mut outcomes = Vec::new();
    for row in [
        new("赵六 (重复)", Some("13900001111"), None),
        new("赵 by mail", Some("13700000000"), Some("zhao@example.cn")),
        new("钱七", Some("13622223333"), None),
        new("钱七 again", Some("13622223333"), Some("qian@example.cn")),
        new("孙八", None, None),
    ] {
        outcomes.push(
            customers::insert_unless_duplicate(&mut tx, &t, &row)
                .await
                .unwrap(),
        );
    }
    tx.commit().await.unwrap();
    let dup = |o: &Deduped| match o {
        Deduped::Duplicate {
            customer_id,
            matched_by,
        } => Some((customer_id.clone(), *matched_by)),
        Deduped::Created(_) => None,
    };
    assert_eq!(dup(&outcomes[0]), Some((first.id.clone(), "phone")));
    assert_eq!(dup(&outcomes[1]), Some((first.id.clone(), "email")));
    let Deduped::Created(qian) = &outcomes[2] else {
        panic!("钱七 is new")
    };
    assert_eq!(dup(&outcomes[3]), Some((qian.id.clone(), "phone")));
    assert!(matches!(outcomes[4], Deduped::Created(_)));
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
    assert_eq!(names(&all), ["孙八", "赵六", "钱七"]);

    // Look-ups find by phone, e-mail and channel user id, in the tenant only.
    assert_eq!(
        customers::find_by_phone(&mut c, &t, "13900001111")
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        customers::find_by_email(&mut c, &t, "qian@example.cn")
            .await
            .unwrap()
            .len(),
        0,
        "a duplicate row's e-mail was not written anywhere"
    );
    assert!(customers::find_by_phone(&mut c, &other, "13900001111")
        .await
        .unwrap()
        .is_empty());
    // The same person in another tenant is a different customer there.
    assert!(matches!(
        customers::insert_unless_duplicate(&mut c, &other, &new("赵六", Some("13900001111"), None))
            .await
            .unwrap(),
        Deduped::Created(_)
    ));
    // The screen pop also finds a number kept in a template's phone field.
    let tpl = template(&store, &t, None).await;
    let mut fields = serde_json::Map::new();
    fields.insert("backup".into(), "13900001111".into());
    let shared = customers::insert_customer(
        &mut c,
        &t,
        &NewCustomer {
            template_id: Some(tpl),
            fields,
            ..new("前台总机", Some("01088886666"), None)
        },
    )
    .await
    .unwrap();
    let mut both: Vec<String> = customers::find_by_any_phone(&mut c, &t, "13900001111")
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    both.sort();
    let mut want = vec![first.id.clone(), shared.id.clone()];
    want.sort();
    assert_eq!(both, want);
    assert_eq!(
        customers::find_by_phone(&mut c, &t, "13900001111")
            .await
            .unwrap()
            .len(),
        1,
        "duplicates are judged on the main phone only"
    );
    assert!(customers::find_by_any_phone(&mut c, &other, "01088886666")
        .await
        .unwrap()
        .is_empty());
    // A merged-away record is no match.
    let twin = customers::insert_customer(&mut c, &t, &new("赵六 twin", Some("13900001111"), None))
        .await
        .unwrap();
    customer_history::merge(&mut c, &t, &first.id, &twin.id)
        .await
        .unwrap();
    let found = customers::find_by_phone(&mut c, &t, "13900001111")
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, first.id);
    assert_eq!(
        customers::find_by_any_phone(&mut c, &t, "13900001111")
            .await
            .unwrap()
            .len(),
        2,
        "the merged twin is not found by its number"
    );
    // A number only the merged-away record had still finds the person.
    let other_twin = customers::insert_customer(
        &mut c,
        &t,
        &new("赵六 旧号", Some("13900002222"), Some("old@example.cn")),
    )
    .await
    .unwrap();
    customer_history::merge(&mut c, &t, &first.id, &other_twin.id)
        .await
        .unwrap();
    for found in [
        customers::find_by_phone(&mut c, &t, "13900002222")
            .await
            .unwrap(),
        customers::find_by_any_phone(&mut c, &t, "13900002222")
            .await
            .unwrap(),
        customers::find_by_email(&mut c, &t, "old@example.cn")
            .await
            .unwrap(),
    ] {
        let ids: Vec<&str> = found.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, [first.id.as_str()]);
    }
    assert!(matches!(
        customers::insert_unless_duplicate(&mut c, &t, &new("又来", Some("13900002222"), None))
            .await
            .unwrap(),
        Deduped::Duplicate { ref customer_id, .. } if customer_id == &first.id
    ));
}

pub(crate) async fn templates_are_tenant_scoped_and_kept_while_used(store: Store) {
    let t = tenant(&store, "crm-tpl").await;
    let other = tenant(&store, "crm-tpl-other").await;
    let tpl = template(&store, &t, Some("已成交")).await;
    let mut c = store.conn().await.unwrap();
    let got = customer_templates::get(&mut c, &t, &tpl)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.fields[0].key, "level");
    assert_eq!(got.pool_hidden_status.as_deref(), Some("已成交"));
    assert!(customer_templates::get(&mut c, &other, &tpl)
        .await
        .unwrap()
        .is_none());
    assert!(customer_templates::list(&mut c, &other)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        customer_templates::delete(&mut c, &other, &tpl).await,
        Err(StoreError::NotFound)
    ));
    customers::insert_customer(
        &mut c,
        &t,
        &NewCustomer {
            template_id: Some(tpl.clone()),
            ..new("在用", None, None)
        },
    )
    .await
    .unwrap();
    assert!(matches!(
        customer_templates::delete(&mut c, &t, &tpl).await,
        Err(StoreError::Reference)
    ));
}

pub(crate) async fn board_counts_follow_the_filter(store: Store) {
    let t = tenant(&store, "crm-board").await;
    let other = tenant(&store, "crm-board-other").await;
    let tpl = template(&store, &t, Some("已成交")).await;
    let role = super::people::agent_role_or_existing(&store, &t).await;
    let mut c = store.conn().await.unwrap();
    let dept = kefu_store::departments::create(&mut c, &t, "华南销售部", None)
        .await
        .unwrap();
    let seller = kefu_store::users::create(
        &mut c,
        &t,
        "seller",
        "hash",
        &kefu_store::users::UserFields {
            department_id: Some(dept.id.clone()),
            ..super::people::fields(&role)
        },
    )
    .await
    .unwrap();
    let now = 1_700_000_000_000i64;
    for (name, status, owner, source, next) in [
        ("甲", "新线索", None, "import", None),
        ("乙", "新线索", Some(&seller.id), "manual", Some(now + 1000)),
        ("丙", "跟进中", Some(&seller.id), "manual", Some(now - 1000)),
        ("丁", "已成交", None, "import", None),
    ] {
        customers::insert_customer(
            &mut c,
            &t,
            &NewCustomer {
                template_id: Some(tpl.clone()),
                status: status.into(),
                owner_id: owner.cloned(),
                source: source.into(),
                next_follow_up_at: next,
                ..new(name, None, None)
            },
        )
        .await
        .unwrap();
    }
    customers::insert_customer(&mut c, &other, &new("别家", None, None))
        .await
        .unwrap();
    let all = CustomerFilter {
        now,
        limit: 10,
        ..CustomerFilter::default()
    };
    let b = kefu_store::customer_board::board(&mut c, &t, &all)
        .await
        .unwrap();
    assert_eq!((b.total, b.pool), (4, 2));
    assert_eq!(
        (b.follow_up_on_plan, b.follow_up_overdue, b.follow_up_none),
        (1, 1, 2)
    );
    assert_eq!(
        b.by_status,
        [
            ("新线索".to_string(), 2),
            ("已成交".to_string(), 1),
            ("跟进中".to_string(), 1)
        ]
    );
    assert_eq!(
        b.by_source,
        [("import".to_string(), 2), ("manual".to_string(), 2)]
    );
    let mut depts = b.by_department.clone();
    depts.sort();
    assert_eq!(depts, [(None, 2), (Some(dept.id.clone()), 2)]);
    // The same filter as a list: here, one user's view.
    let mine = CustomerFilter {
        visible_to: Some(seller.id.clone()),
        owner: OwnerFilter::User(seller.id.clone()),
        ..all.clone()
    };
    let b = kefu_store::customer_board::board(&mut c, &t, &mine)
        .await
        .unwrap();
    assert_eq!((b.total, b.pool, b.follow_up_none), (2, 0, 0));
    let b = kefu_store::customer_board::board(&mut c, &other, &all)
        .await
        .unwrap();
    assert_eq!(b.total, 1);
}

pub(crate) async fn concurrent_creates_of_one_person_make_one_customer(store: Store) {
    let t = tenant(&store, "crm-race").await;
    let attempt = |name: &'static str| {
        let store = store.clone();
        let t = t.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            let out = customers::insert_unless_duplicate(
                &mut tx,
                &t,
                &new(name, Some("13512345678"), None),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            matches!(out, Deduped::Created(_))
        }
    };
    let handles: Vec<_> = ["一", "二", "三", "四"]
        .into_iter()
        .map(|n| tokio::spawn(attempt(n)))
        .collect();
    let mut created = 0;
    for h in handles {
        created += usize::from(h.await.unwrap());
    }
    assert_eq!(created, 1, "exactly one transaction creates the customer");
    let mut c = store.conn().await.unwrap();
    assert_eq!(
        customers::find_by_phone(&mut c, &t, "13512345678")
            .await
            .unwrap()
            .len(),
        1
    );
}
