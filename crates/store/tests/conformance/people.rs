//! Foundation: tenants, people, access, sessions, audit.

use kefu_domain::{Name, TenantSlug};
use kefu_store::{
    audit, channels, departments, migrate, roles, sessions, skill_groups, statuses, tenants,
    tokens, users, Store, StoreError, TenantScope,
};

pub(crate) async fn tenant(store: &Store, slug: &str) -> TenantScope {
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

pub(crate) async fn agent_role(store: &Store, t: &TenantScope) -> String {
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

pub(crate) fn fields(role_id: &str) -> users::UserFields {
    users::UserFields {
        display_name: "李雷".into(),
        email: Some("li@example.cn".into()),
        role_id: role_id.into(),
        department_id: None,
        reception_limit: 5,
        ticket_limit: 10,
        sip_extension: None,
        locale: None,
        active: true,
    }
}

pub(crate) async fn user(store: &Store, t: &TenantScope, name: &str) -> kefu_store::User {
    let role = agent_role_or_existing(store, t).await;
    let mut c = store.conn().await.unwrap();
    users::create(&mut c, t, name, "hash", &fields(&role))
        .await
        .unwrap()
}

pub(crate) async fn agent_role_or_existing(store: &Store, t: &TenantScope) -> String {
    let mut c = store.conn().await.unwrap();
    match roles::find_builtin(&mut c, t, "agent").await.unwrap() {
        Some(r) => r.id,
        None => {
            drop(c);
            agent_role(store, t).await
        }
    }
}

pub(crate) async fn migrations_are_idempotent(store: Store) {
    // fresh_* already migrated once; a second run applies nothing.
    assert_eq!(migrate::run(&store).await.unwrap(), 0);
}

pub(crate) async fn tenant_slugs_are_unique(store: Store) {
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

pub(crate) async fn every_lookup_is_confined_to_its_tenant(store: Store) {
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

pub(crate) async fn usernames_are_unique_per_tenant_only(store: Store) {
    let a = tenant(&store, "one").await;
    let b = tenant(&store, "two").await;
    user(&store, &a, "agent1").await;
    user(&store, &b, "agent1").await; // same name, other tenant: fine
    let role = agent_role_or_existing(&store, &a).await;
    let mut c = store.conn().await.unwrap();
    let dup = users::create(&mut c, &a, "agent1", "h", &fields(&role)).await;
    assert!(matches!(dup, Err(StoreError::Conflict)), "{dup:?}");
}

pub(crate) async fn user_limits_are_stored_and_updated(store: Store) {
    let t = tenant(&store, "limits").await;
    let u = user(&store, &t, "carol").await;
    assert_eq!((u.reception_limit, u.ticket_limit), (5, 10));
    let mut c = store.conn().await.unwrap();
    let mut f = users::UserFields::from(&u);
    f.ticket_limit = 3;
    users::update(&mut c, &t, &u.id, &f).await.unwrap();
    let after = users::get(&mut c, &t, &u.id).await.unwrap().unwrap();
    assert_eq!((after.reception_limit, after.ticket_limit), (5, 3));
}

pub(crate) async fn role_in_use_cannot_be_deleted(store: Store) {
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

pub(crate) async fn skill_group_membership_and_levels(store: Store) {
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

pub(crate) async fn status_change_is_recorded_as_event(store: Store) {
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

pub(crate) async fn api_tokens_resolve_by_hash_and_revoke(store: Store) {
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

pub(crate) async fn sessions_expire_and_complete_totp(store: Store) {
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

pub(crate) async fn audit_log_filters_newest_first(store: Store) {
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

pub(crate) async fn rolled_back_transaction_leaves_nothing(store: Store) {
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

pub(crate) async fn failed_logins_lock_and_clear(store: Store) {
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
