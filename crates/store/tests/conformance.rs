//! The store conformance suite: every test here runs once on SQLite and once on
//! PostgreSQL (a fresh schema each), so the two backends cannot drift apart.

use kefu_domain::{Name, TenantSlug};
use kefu_store::{
    audit, channels, conversations, departments, migrate, offline_messages, quick_replies, roles,
    sessions, skill_groups, statuses, tenants, tokens, users, Store, StoreError, TenantScope,
};

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
);

async fn tenant(store: &Store, slug: &str) -> TenantScope {
    let mut c = store.conn().await.unwrap();
    let t = tenants::create(
        &mut c,
        &TenantSlug::parse(slug).unwrap(),
        &Name::parse("name", &format!("{slug} Ltd")).unwrap(),
    )
    .await
    .unwrap();
    TenantScope::new(kefu_domain::TenantId::from_db(t.id))
}

async fn agent_role(store: &Store, t: &TenantScope) -> String {
    let mut c = store.conn().await.unwrap();
    roles::create(
        &mut c,
        t,
        Some("agent"),
        &roles::RoleFields {
            name: "Agent",
            permissions: &[],
            description: "",
        },
    )
    .await
    .unwrap()
    .id
}

fn fields(role_id: &str) -> users::UserFields {
    users::UserFields {
        display_name: "李雷".into(),
        email: Some("li@example.cn".into()),
        role_id: role_id.into(),
        department_id: None,
        reception_limit: 5,
        sip_extension: None,
        locale: None,
        active: true,
    }
}

async fn user(store: &Store, t: &TenantScope, name: &str) -> kefu_store::User {
    let role = agent_role_or_existing(store, t).await;
    let mut c = store.conn().await.unwrap();
    users::create(&mut c, t, name, "hash", &fields(&role))
        .await
        .unwrap()
}

async fn agent_role_or_existing(store: &Store, t: &TenantScope) -> String {
    let mut c = store.conn().await.unwrap();
    match roles::find_builtin(&mut c, t, "agent").await.unwrap() {
        Some(r) => r.id,
        None => {
            drop(c);
            agent_role(store, t).await
        }
    }
}

async fn migrations_are_idempotent(store: Store) {
    // fresh_* already migrated once; a second run applies nothing.
    assert_eq!(migrate::run(&store).await.unwrap(), 0);
}

async fn tenant_slugs_are_unique(store: Store) {
    tenant(&store, "acme").await;
    let mut c = store.conn().await.unwrap();
    let again = tenants::create(
        &mut c,
        &TenantSlug::parse("acme").unwrap(),
        &Name::parse("name", "Other").unwrap(),
    )
    .await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    let found = tenants::find_by_slug_unscoped(&mut c, "ACME")
        .await
        .unwrap();
    assert_eq!(found.unwrap().name, "acme Ltd");
}

async fn every_lookup_is_confined_to_its_tenant(store: Store) {
    let a = tenant(&store, "tenant-a").await;
    let b = tenant(&store, "tenant-b").await;
    let ua = user(&store, &a, "alice").await;
    let mut c = store.conn().await.unwrap();
    let dept = departments::create(&mut c, &a, "售后部", None)
        .await
        .unwrap();
    let group = skill_groups::create(&mut c, &a, "售后组", None, "")
        .await
        .unwrap();
    let status = statuses::create(&mut c, &a, "在线", true, 0).await.unwrap();
    let chan = channels::create(
        &mut c,
        &a,
        "web",
        "key-a",
        &channels::ChannelFields {
            name: "官网",
            skill_group_id: None,
            greeting: "",
        },
    )
    .await
    .unwrap();

    // Reads from tenant B see nothing of A.
    assert!(users::get(&mut c, &b, &ua.id).await.unwrap().is_none());
    assert!(users::list(&mut c, &b).await.unwrap().is_empty());
    assert!(departments::get(&mut c, &b, &dept.id)
        .await
        .unwrap()
        .is_none());
    assert!(skill_groups::get(&mut c, &b, &group.id)
        .await
        .unwrap()
        .is_none());
    assert!(statuses::get(&mut c, &b, &status.id)
        .await
        .unwrap()
        .is_none());
    assert!(channels::get(&mut c, &b, &chan.id).await.unwrap().is_none());
    assert!(roles::get(&mut c, &b, &ua.role_id).await.unwrap().is_none());

    // Writes from tenant B touch nothing of A.
    assert!(matches!(
        departments::update(&mut c, &b, &dept.id, "hijacked", None).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        users::delete(&mut c, &b, &ua.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        statuses::delete(&mut c, &b, &status.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        users::set_status(&mut c, &b, &ua.id, &status.id, None).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        departments::get(&mut c, &a, &dept.id)
            .await
            .unwrap()
            .unwrap()
            .name,
        "售后部"
    );
    assert!(users::get(&mut c, &a, &ua.id).await.unwrap().is_some());
}

async fn usernames_are_unique_per_tenant_only(store: Store) {
    let a = tenant(&store, "one").await;
    let b = tenant(&store, "two").await;
    user(&store, &a, "agent1").await;
    user(&store, &b, "agent1").await; // same name, other tenant: fine
    let role = agent_role_or_existing(&store, &a).await;
    let mut c = store.conn().await.unwrap();
    let dup = users::create(&mut c, &a, "agent1", "h", &fields(&role)).await;
    assert!(matches!(dup, Err(StoreError::Conflict)), "{dup:?}");
}

async fn role_in_use_cannot_be_deleted(store: Store) {
    let t = tenant(&store, "roles").await;
    let u = user(&store, &t, "bob").await;
    let mut c = store.conn().await.unwrap();
    assert_eq!(
        users::count_with_role(&mut c, &t, &u.role_id)
            .await
            .unwrap(),
        1
    );
    let r = roles::delete(&mut c, &t, &u.role_id).await;
    assert!(matches!(r, Err(StoreError::Reference)), "{r:?}");
    let perms = vec!["users.view".to_string()];
    let custom = roles::create(
        &mut c,
        &t,
        None,
        &roles::RoleFields {
            name: "质检员",
            permissions: &perms,
            description: "QA",
        },
    )
    .await
    .unwrap();
    let back = roles::get(&mut c, &t, &custom.id).await.unwrap().unwrap();
    assert_eq!(back.permissions, perms);
    assert_eq!(back.builtin, None);
    roles::delete(&mut c, &t, &custom.id).await.unwrap();
    assert!(roles::get(&mut c, &t, &custom.id).await.unwrap().is_none());
}

async fn skill_group_membership_and_levels(store: Store) {
    let t = tenant(&store, "groups").await;
    let u1 = user(&store, &t, "u1").await;
    let u2 = user(&store, &t, "u2").await;
    let mut c = store.conn().await.unwrap();
    let g = skill_groups::create(&mut c, &t, "VIP", None, "大客户")
        .await
        .unwrap();
    skill_groups::put_member(&mut c, &t, &g.id, &u1.id, 3)
        .await
        .unwrap();
    skill_groups::put_member(&mut c, &t, &g.id, &u2.id, 7)
        .await
        .unwrap();
    skill_groups::put_member(&mut c, &t, &g.id, &u1.id, 9)
        .await
        .unwrap(); // level change, not a duplicate
    let m = skill_groups::members(&mut c, &t, &g.id).await.unwrap();
    let levels: Vec<(String, i64)> = m.iter().map(|m| (m.username.clone(), m.level)).collect();
    assert_eq!(levels, vec![("u1".to_string(), 9), ("u2".to_string(), 7)]);
    let mine = skill_groups::groups_of_user(&mut c, &t, &u2.id)
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].1, 7);
    skill_groups::remove_member(&mut c, &t, &g.id, &u2.id)
        .await
        .unwrap();
    assert!(matches!(
        skill_groups::remove_member(&mut c, &t, &g.id, &u2.id).await,
        Err(StoreError::NotFound)
    ));
    let dup = skill_groups::create(&mut c, &t, "VIP", None, "").await;
    assert!(matches!(dup, Err(StoreError::Conflict)));
}

async fn status_change_is_recorded_as_event(store: Store) {
    let t = tenant(&store, "status").await;
    let u = user(&store, &t, "carol").await;
    let mut c = store.conn().await.unwrap();
    let online = statuses::create(&mut c, &t, "在线", true, 0).await.unwrap();
    let rest = statuses::create(&mut c, &t, "小休", false, 1)
        .await
        .unwrap();
    let e1 = users::set_status(&mut c, &t, &u.id, &online.id, Some(&u.id))
        .await
        .unwrap();
    let e2 = users::set_status(&mut c, &t, &u.id, &rest.id, None)
        .await
        .unwrap();
    assert_eq!(e1.from_status_id, None);
    assert_eq!(e2.from_status_id.as_deref(), Some(online.id.as_str()));
    let now = users::get(&mut c, &t, &u.id).await.unwrap().unwrap();
    assert_eq!(now.status_id.as_deref(), Some(rest.id.as_str()));
    assert!(now.status_changed_at.unwrap() >= e1.at);
    let events = users::status_events(&mut c, &t, &u.id, 10).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].to_status_id, rest.id, "newest first");
    // A status in use by an agent cannot be deleted out from under them.
    assert!(matches!(
        statuses::delete(&mut c, &t, &rest.id).await,
        Err(StoreError::Reference)
    ));
}

async fn api_tokens_resolve_by_hash_and_revoke(store: Store) {
    let t = tenant(&store, "tokens").await;
    let role = agent_role(&store, &t).await;
    let mut c = store.conn().await.unwrap();
    let tok = tokens::create(&mut c, &t, "CRM sync", "hash-abc", "kefu_abcd", &role, None)
        .await
        .unwrap();
    let (tenant_id, found) = tokens::find_by_hash_unscoped(&mut c, "hash-abc")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&tenant_id, t.tenant_id());
    assert_eq!(found.id, tok.id);
    assert!(found.revoked_at.is_none());
    tokens::revoke(&mut c, &t, &tok.id).await.unwrap();
    let (_, after) = tokens::find_by_hash_unscoped(&mut c, "hash-abc")
        .await
        .unwrap()
        .unwrap();
    assert!(after.revoked_at.is_some());
    assert!(tokens::find_by_hash_unscoped(&mut c, "other")
        .await
        .unwrap()
        .is_none());
}

async fn sessions_expire_and_complete_totp(store: Store) {
    let t = tenant(&store, "sessions").await;
    let u = user(&store, &t, "dave").await;
    let mut c = store.conn().await.unwrap();
    let future = kefu_store::now_ms() + 60_000;
    let s = sessions::create(&mut c, &t, &u.id, "live", "csrf", true, future)
        .await
        .unwrap();
    sessions::create(
        &mut c,
        &t,
        &u.id,
        "dead",
        "csrf",
        false,
        kefu_store::now_ms() - 1,
    )
    .await
    .unwrap();
    assert!(sessions::find_live_by_hash_unscoped(&mut c, "dead")
        .await
        .unwrap()
        .is_none());
    let live = sessions::find_live_by_hash_unscoped(&mut c, "live")
        .await
        .unwrap()
        .unwrap();
    assert!(live.totp_pending);
    sessions::complete_totp(&mut c, &t, &s.id).await.unwrap();
    let live = sessions::find_live_by_hash_unscoped(&mut c, "live")
        .await
        .unwrap()
        .unwrap();
    assert!(!live.totp_pending);
    assert_eq!(
        sessions::delete_for_user(&mut c, &t, &u.id, Some(&s.id))
            .await
            .unwrap(),
        1
    );
    assert!(sessions::find_live_by_hash_unscoped(&mut c, "live")
        .await
        .unwrap()
        .is_some());
}

async fn audit_log_filters_newest_first(store: Store) {
    let t = tenant(&store, "audit").await;
    let other = tenant(&store, "audit-other").await;
    let mut c = store.conn().await.unwrap();
    for (i, kind) in ["user", "role", "user"].iter().enumerate() {
        audit::record(
            &mut c,
            &t,
            audit::NewAudit {
                actor_id: Some("actor"),
                actor_name: "admin",
                action: &format!("{kind}.update"),
                resource_type: kind,
                resource_id: Some(&i.to_string()),
                before: Some(serde_json::json!({"n": i})),
                after: Some(serde_json::json!({"n": i + 1})),
                ip: None,
            },
        )
        .await
        .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let all = audit::list(
        &mut c,
        &t,
        &audit::AuditFilter {
            limit: 50,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].resource_id.as_deref(), Some("2"));
    assert_eq!(all[0].after, Some(serde_json::json!({"n": 3})));
    let users_only = audit::list(
        &mut c,
        &t,
        &audit::AuditFilter {
            resource_type: Some("user".into()),
            limit: 50,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(users_only.len(), 2);
    let none = audit::list(
        &mut c,
        &other,
        &audit::AuditFilter {
            limit: 50,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(none.is_empty());
}

async fn rolled_back_transaction_leaves_nothing(store: Store) {
    let t = tenant(&store, "tx").await;
    {
        let mut tx = store.begin().await.unwrap();
        departments::create(&mut tx, &t, "临时", None)
            .await
            .unwrap();
        tx.rollback().await.unwrap();
    }
    let mut c = store.conn().await.unwrap();
    assert!(departments::list(&mut c, &t).await.unwrap().is_empty());
}

async fn failed_logins_lock_and_clear(store: Store) {
    let t = tenant(&store, "lock").await;
    let u = user(&store, &t, "erin").await;
    let mut c = store.conn().await.unwrap();
    users::record_failed_login(&mut c, &t, &u.id, 5, Some(12345))
        .await
        .unwrap();
    assert_eq!(
        users::credentials(&mut c, &t, &u.id)
            .await
            .unwrap()
            .failed_logins,
        5
    );
    assert_eq!(
        users::get(&mut c, &t, &u.id)
            .await
            .unwrap()
            .unwrap()
            .locked_until,
        Some(12345)
    );
    users::clear_failed_logins(&mut c, &t, &u.id).await.unwrap();
    assert_eq!(
        users::credentials(&mut c, &t, &u.id)
            .await
            .unwrap()
            .failed_logins,
        0
    );
    assert_eq!(
        users::get(&mut c, &t, &u.id)
            .await
            .unwrap()
            .unwrap()
            .locked_until,
        None
    );
}

async fn chat_fixture(store: &Store, slug: &str) -> (TenantScope, String, kefu_store::Visitor) {
    let t = tenant(store, slug).await;
    let mut c = store.conn().await.unwrap();
    let ch = channels::create(
        &mut c,
        &t,
        "web",
        &format!("key-{slug}"),
        &channels::ChannelFields {
            name: "官网",
            skill_group_id: None,
            greeting: "",
        },
    )
    .await
    .unwrap();
    let cust = conversations::create_customer(&mut c, &t, "访客", None, None)
        .await
        .unwrap();
    let v =
        conversations::create_visitor(&mut c, &t, &ch.id, &format!("hash-{slug}"), None, &cust.id)
            .await
            .unwrap();
    (t, ch.id, v)
}

async fn conversation_log_is_gap_free_and_idempotent(store: Store) {
    let (t, ch, v) = chat_fixture(&store, "chat").await;
    let (other, _, _) = chat_fixture(&store, "chat-other").await;
    let mut c = store.conn().await.unwrap();
    let conv = conversations::create_conversation(
        &mut c,
        &t,
        &conversations::NewConversation {
            channel_id: &ch,
            visitor_id: &v.id,
            customer_id: &v.customer_id,
            state: "queued",
            skill_group_id: None,
            priority: 0,
        },
    )
    .await
    .unwrap();
    assert!(conv.queued_at.is_some());
    let body = serde_json::json!({"kind": "text", "text": "你好"});
    let msg = |cid: Option<&'static str>| conversations::NewEvent {
        kind: "message",
        sender: "visitor",
        sender_id: Some("v"),
        sender_name: "访客",
        client_id: cid,
        body: &body,
        private: false,
    };
    let (e1, new1) = conversations::append_event(&mut c, &t, &conv.id, &msg(Some("c-1")))
        .await
        .unwrap();
    let (e2, _) = conversations::append_event(&mut c, &t, &conv.id, &msg(None))
        .await
        .unwrap();
    let (again, new_again) = conversations::append_event(&mut c, &t, &conv.id, &msg(Some("c-1")))
        .await
        .unwrap();
    assert!(new1 && !new_again, "a retried client id stores nothing new");
    assert_eq!((e1.seq, e2.seq, again.seq), (1, 2, 1));
    let (e3, _) = conversations::append_event(&mut c, &t, &conv.id, &msg(Some("c-3")))
        .await
        .unwrap();
    assert_eq!(e3.seq, 3);
    let missed = conversations::events_after(&mut c, &t, &conv.id, 1, 100)
        .await
        .unwrap();
    assert_eq!(missed.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2, 3]);
    assert_eq!(missed[0].body, body);
    // Another tenant can neither read nor append to it.
    assert!(
        conversations::events_after(&mut c, &other, &conv.id, 0, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        conversations::append_event(&mut c, &other, &conv.id, &msg(None)).await,
        Err(StoreError::NotFound)
    ));
    assert!(conversations::get_conversation(&mut c, &other, &conv.id)
        .await
        .unwrap()
        .is_none());
    // State changes and the open-conversation lookups.
    conversations::set_state(
        &mut c,
        &t,
        &conv.id,
        &conversations::StateChange {
            state: "active",
            agent_id: Some("agent-1"),
            skill_group_id: None,
            queued: false,
            assigned: true,
            ended: false,
        },
    )
    .await
    .unwrap();
    let open = conversations::open_conversation_of_visitor(&mut c, &t, &v.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (open.state.as_str(), open.agent_id.as_deref(), open.last_seq),
        ("active", Some("agent-1"), 3)
    );
    assert_eq!(
        conversations::open_conversations_of_agent(&mut c, &t, "agent-1")
            .await
            .unwrap()
            .len(),
        1
    );
    conversations::record_assignment(
        &mut c,
        &t,
        &conv.id,
        "agent-1",
        None,
        Some(&serde_json::json!({"winner": 1})),
    )
    .await
    .unwrap();
    assert_eq!(
        conversations::assignments_of(&mut c, &t, &conv.id)
            .await
            .unwrap()[0]
            .explanation,
        Some(serde_json::json!({"winner": 1}))
    );
    conversations::set_state(
        &mut c,
        &t,
        &conv.id,
        &conversations::StateChange {
            state: "completed",
            agent_id: Some("agent-1"),
            skill_group_id: None,
            queued: false,
            assigned: false,
            ended: true,
        },
    )
    .await
    .unwrap();
    assert!(
        conversations::open_conversation_of_visitor(&mut c, &t, &v.id)
            .await
            .unwrap()
            .is_none()
    );
    conversations::set_rating(&mut c, &t, &conv.id, 5, &["回复及时".to_string()], "谢谢")
        .await
        .unwrap();
    let done = conversations::get_conversation(&mut c, &t, &conv.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            done.rating_stars,
            done.rating_tags.clone(),
            done.ended_at.is_some()
        ),
        (Some(5), vec!["回复及时".to_string()], true)
    );
}

async fn visitors_offline_messages_and_quick_replies(store: Store) {
    let (t, ch, v) = chat_fixture(&store, "vis").await;
    let mut c = store.conn().await.unwrap();
    assert_eq!(
        conversations::find_visitor_by_token(&mut c, &t, &ch, "hash-vis")
            .await
            .unwrap()
            .unwrap()
            .id,
        v.id
    );
    assert!(
        conversations::find_visitor_by_token(&mut c, &t, &ch, "nope")
            .await
            .unwrap()
            .is_none()
    );
    let (tenant_id, found) = channels::find_by_key_unscoped(&mut c, "key-vis")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (&tenant_id, found.id.as_str()),
        (t.tenant_id(), ch.as_str())
    );
    let m = offline_messages::create(
        &mut c,
        &t,
        &offline_messages::NewOfflineMessage {
            channel_id: &ch,
            visitor_id: Some(&v.id),
            name: "王先生",
            phone: Some("13800000000"),
            email: None,
            text: "请回电",
        },
    )
    .await
    .unwrap();
    assert_eq!(
        offline_messages::list(&mut c, &t, true, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    offline_messages::mark_handled(&mut c, &t, &m.id, "agent-1")
        .await
        .unwrap();
    assert!(offline_messages::list(&mut c, &t, true, 10)
        .await
        .unwrap()
        .is_empty());
    quick_replies::create(&mut c, &t, None, "问候", "您好，请问有什么可以帮您？")
        .await
        .unwrap();
    quick_replies::create(
        &mut c,
        &t,
        Some("agent-1"),
        "退款",
        "退款将在3个工作日内到账",
    )
    .await
    .unwrap();
    quick_replies::create(&mut c, &t, Some("agent-2"), "私人", "别人的")
        .await
        .unwrap();
    let mine = quick_replies::visible_to(&mut c, &t, "agent-1", "")
        .await
        .unwrap();
    assert_eq!(mine.len(), 2, "team replies and my own, not a colleague's");
    let found = quick_replies::visible_to(&mut c, &t, "agent-1", "退款")
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
}
