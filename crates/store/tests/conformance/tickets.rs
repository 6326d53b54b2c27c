//! Tickets (工单): types, numbering, several tickets per conversation,
//! conditional status moves, history, assignment, watchers, notifications,
//! visibility filters, the flow-scope column, merge moving tickets, and tenancy.

use super::chat::chat_fixture;
use super::people::{tenant, user};
use kefu_domain::ticket::Workflow;
use kefu_store::ticket_activity::{self as activity, NewChange, NewComment, NewNotification};
use kefu_store::ticket_types::{self, TypeFields};
use kefu_store::tickets::{self, NewTicket, TicketFilter, Visibility};
use kefu_store::{conversations, customer_history, skill_groups, Store, StoreError, TenantScope};
use serde_json::json;

async fn ticket_type(store: &Store, t: &TenantScope, name: &str, group: Option<&str>) -> String {
    let mut c = store.conn().await.unwrap();
    let fields: Vec<kefu_domain::ticket::TicketFieldDef> = serde_json::from_value(json!([
        {"key": "order_no", "label": "订单号", "kind": "text"},
        {"key": "detail", "label": "描述", "kind": "rich_text"}
    ]))
    .unwrap();
    ticket_types::create(
        &mut c,
        t,
        &TypeFields {
            name,
            description: "",
            fields: &fields,
            workflow: &Workflow::standard(true),
            skill_group_id: group,
            default_priority: "normal",
            active: true,
        },
    )
    .await
    .unwrap()
    .id
}

fn new_ticket<'a>(
    type_id: &'a str,
    title: &'a str,
    fields: &'a serde_json::Map<String, serde_json::Value>,
) -> NewTicket<'a> {
    NewTicket {
        type_id,
        title,
        fields,
        customer_id: None,
        conversation_id: None,
        offline_message_id: None,
        source: "manual",
        assignee_id: None,
        skill_group_id: None,
        status: "new",
        status_category: "open",
        priority: "normal",
        due_at: None,
        created_by: None,
        created_by_name: "test",
    }
}

pub(crate) async fn tickets_are_numbered_and_linked(store: Store) {
    let (t, ch, v) = chat_fixture(&store, "tk-create").await;
    let ty = ticket_type(&store, &t, "售后", None).await;
    let mut c = store.conn().await.unwrap();
    let conv = conversations::create_conversation(
        &mut c,
        &t,
        &conversations::NewConversation {
            channel_id: &ch,
            visitor_id: &v.id,
            customer_id: &v.customer_id,
            state: "active",
            skill_group_id: None,
            priority: 0,
        },
    )
    .await
    .unwrap();
    let fields = json!({"order_no": "A-1"}).as_object().cloned().unwrap();
    let mut tx = store.begin().await.unwrap();
    let first = tickets::create(
        &mut tx,
        &t,
        &NewTicket {
            customer_id: Some(&v.customer_id),
            conversation_id: Some(&conv.id),
            source: "conversation",
            ..new_ticket(&ty, "退货", &fields)
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    // A rolled-back creation uses no number.
    let mut tx = store.begin().await.unwrap();
    tickets::create(&mut tx, &t, &new_ticket(&ty, "作废", &fields))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let second = tickets::create(
        &mut c,
        &t,
        &NewTicket {
            conversation_id: Some(&conv.id),
            ..new_ticket(&ty, "换货", &fields)
        },
    )
    .await
    .unwrap();
    assert_eq!((first.number, second.number), (1, 2));
    assert_eq!(first.type_name, "售后");
    assert_eq!(first.fields["order_no"], "A-1");
    assert_eq!(first.customer_name.as_deref(), Some("访客"));
    // Several tickets per conversation.
    let of_conv = tickets::list(
        &mut c,
        &t,
        &TicketFilter {
            conversation_id: Some(conv.id.clone()),
            limit: 50,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(of_conv.len(), 2);
    assert_eq!(of_conv[0].number, 2, "newest first");
    let by_number = tickets::get_by_number(&mut c, &t, 1).await.unwrap();
    assert_eq!(by_number.map(|k| k.id), Some(first.id.clone()));
    // Another tenant counts from 1 and sees none of these.
    let other = tenant(&store, "tk-create-other").await;
    let ty2 = ticket_type(&store, &other, "售后", None).await;
    let theirs = tickets::create(&mut c, &other, &new_ticket(&ty2, "x", &fields))
        .await
        .unwrap();
    assert_eq!(theirs.number, 1);
    assert!(tickets::get(&mut c, &other, &first.id)
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        tickets::set_assignment(&mut c, &other, &first.id, None, None).await,
        Err(StoreError::NotFound)
    ));
    // A type in use cannot be deleted.
    assert!(matches!(
        ticket_types::delete(&mut c, &t, &ty).await,
        Err(StoreError::Reference)
    ));
    assert!(matches!(
        ticket_types::delete(&mut c, &other, &ty).await,
        Err(StoreError::NotFound)
    ));
}

pub(crate) async fn ticket_status_moves_once_and_history_is_kept(store: Store) {
    let t = tenant(&store, "tk-status").await;
    let ty = ticket_type(&store, &t, "咨询", None).await;
    let agent = user(&store, &t, "agent-a").await;
    let mut c = store.conn().await.unwrap();
    let empty = serde_json::Map::new();
    let k = tickets::create(&mut c, &t, &new_ticket(&ty, "问题", &empty))
        .await
        .unwrap();
    assert!(
        tickets::set_status(&mut c, &t, &k.id, "new", "resolved", "resolved")
            .await
            .unwrap()
    );
    // A second move from the old status loses: the ticket is no longer there.
    assert!(
        !tickets::set_status(&mut c, &t, &k.id, "new", "in_progress", "open")
            .await
            .unwrap()
    );
    let k = tickets::get(&mut c, &t, &k.id).await.unwrap().unwrap();
    assert_eq!(
        (k.status.as_str(), k.status_category.as_str()),
        ("resolved", "resolved")
    );
    assert!(k.resolved_at.is_some());
    tickets::set_status(&mut c, &t, &k.id, "resolved", "in_progress", "open")
        .await
        .unwrap();
    let k = tickets::get(&mut c, &t, &k.id).await.unwrap().unwrap();
    assert!(
        k.resolved_at.is_none(),
        "reopening clears the resolution time"
    );

    for (field, old, new) in [
        ("status", json!("new"), json!("resolved")),
        ("status", json!("resolved"), json!("in_progress")),
        ("fields.order_no", json!(null), json!("B-2")),
    ] {
        activity::record_change(
            &mut c,
            &t,
            &k.id,
            &NewChange {
                actor_id: Some(&agent.id),
                actor_name: "agent-a",
                field,
                old_value: Some(&old).filter(|v| !v.is_null()),
                new_value: Some(&new),
            },
        )
        .await
        .unwrap();
    }
    let h = activity::history(&mut c, &t, &k.id).await.unwrap();
    assert_eq!(h.len(), 3);
    assert_eq!(h[0].field, "status");
    assert_eq!(h[0].old_value, Some(json!("new")));
    assert_eq!(h[2].old_value, None);
    assert_eq!(h[2].new_value, Some(json!("B-2")));
    assert_eq!(h[2].actor_name, "agent-a");

    // Comments: notes are internal.
    for (kind, body) in [("reply", "已收到"), ("note", "客户很急")] {
        activity::add_comment(
            &mut c,
            &t,
            &k.id,
            &NewComment {
                kind,
                author_type: "agent",
                author_id: Some(&agent.id),
                author_name: "agent-a",
                body,
                attachments: &[],
            },
        )
        .await
        .unwrap();
    }
    assert_eq!(
        activity::comments(&mut c, &t, &k.id, true)
            .await
            .unwrap()
            .len(),
        2
    );
    let public = activity::comments(&mut c, &t, &k.id, false).await.unwrap();
    assert_eq!(public.len(), 1);
    assert_eq!(public[0].body, "已收到");
}

pub(crate) async fn ticket_assignment_watchers_and_visibility(store: Store) {
    let t = tenant(&store, "tk-assign").await;
    let a = user(&store, &t, "agent-a").await;
    let b = user(&store, &t, "agent-b").await;
    let mut c = store.conn().await.unwrap();
    let g1 = skill_groups::create(&mut c, &t, "售后组", None, "")
        .await
        .unwrap();
    let g2 = skill_groups::create(&mut c, &t, "技术组", None, "")
        .await
        .unwrap();
    let ty = ticket_type(&store, &t, "售后", Some(&g1.id)).await;
    let empty = serde_json::Map::new();
    let k1 = tickets::create(
        &mut c,
        &t,
        &NewTicket {
            skill_group_id: Some(&g1.id),
            created_by: Some(&a.id),
            ..new_ticket(&ty, "一", &empty)
        },
    )
    .await
    .unwrap();
    let k2 = tickets::create(
        &mut c,
        &t,
        &NewTicket {
            skill_group_id: Some(&g2.id),
            ..new_ticket(&ty, "二", &empty)
        },
    )
    .await
    .unwrap();
    assert_eq!(
        tickets::open_for_routing(&mut c, &t).await.unwrap().len(),
        2
    );
    tickets::set_assignment(&mut c, &t, &k2.id, Some(&b.id), Some(&g2.id))
        .await
        .unwrap();
    let k2 = tickets::get(&mut c, &t, &k2.id).await.unwrap().unwrap();
    assert_eq!(k2.assignee_name.as_deref(), Some(b.display_name.as_str()));
    assert_eq!(k2.skill_group_name.as_deref(), Some("技术组"));

    let visible = |user_id: &str, groups: &[&str]| TicketFilter {
        visible_to: Some(Visibility {
            user_id: user_id.into(),
            skill_groups: groups.iter().map(|s| s.to_string()).collect(),
        }),
        limit: 50,
        ..Default::default()
    };
    let numbers = |v: Vec<tickets::Ticket>| v.into_iter().map(|k| k.number).collect::<Vec<_>>();
    // a created #1; b is assigned #2; a member of 技术组 sees #2 through the group.
    assert_eq!(
        numbers(
            tickets::list(&mut c, &t, &visible(&a.id, &[]))
                .await
                .unwrap()
        ),
        [1]
    );
    assert_eq!(
        numbers(
            tickets::list(&mut c, &t, &visible(&b.id, &[]))
                .await
                .unwrap()
        ),
        [2]
    );
    let outsider = user(&store, &t, "agent-c").await;
    assert_eq!(
        numbers(
            tickets::list(&mut c, &t, &visible(&outsider.id, &[&g2.id]))
                .await
                .unwrap()
        ),
        [2]
    );
    // Watching makes a ticket visible.
    assert!(activity::watch(&mut c, &t, &k1.id, &outsider.id)
        .await
        .unwrap());
    assert!(!activity::watch(&mut c, &t, &k1.id, &outsider.id)
        .await
        .unwrap());
    assert_eq!(
        numbers(
            tickets::list(&mut c, &t, &visible(&outsider.id, &[]))
                .await
                .unwrap()
        ),
        [1]
    );
    let w = activity::watchers(&mut c, &t, &k1.id).await.unwrap();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].username, "agent-c");
    assert!(activity::unwatch(&mut c, &t, &k1.id, &outsider.id)
        .await
        .unwrap());
    assert!(!activity::unwatch(&mut c, &t, &k1.id, &outsider.id)
        .await
        .unwrap());

    // Filters: mine, group, unassigned, priority, category.
    let f = TicketFilter {
        assignee_id: Some(b.id.clone()),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(tickets::count(&mut c, &t, &f).await.unwrap(), 1);
    let f = TicketFilter {
        unassigned: true,
        category: Some("open".into()),
        skill_group_id: Some(g1.id.clone()),
        priority: Some("normal".into()),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(numbers(tickets::list(&mut c, &t, &f).await.unwrap()), [1]);

    // Notifications: per user, read one or all; someone else's is not found.
    for title in ["工单 #1 已分派给你", "工单 #1 有新回复"] {
        activity::notify(
            &mut c,
            &t,
            &NewNotification {
                user_id: &a.id,
                kind: "ticket_assigned",
                ticket_id: Some(&k1.id),
                title,
                body: "",
            },
        )
        .await
        .unwrap();
    }
    let list = activity::notifications(&mut c, &t, &a.id, false, 10)
        .await
        .unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].title, "工单 #1 有新回复", "newest first");
    assert!(matches!(
        activity::mark_read(&mut c, &t, &b.id, Some(&list[0].id)).await,
        Err(StoreError::NotFound)
    ));
    activity::mark_read(&mut c, &t, &a.id, Some(&list[0].id))
        .await
        .unwrap();
    assert_eq!(activity::unread_count(&mut c, &t, &a.id).await.unwrap(), 1);
    assert_eq!(
        activity::mark_read(&mut c, &t, &a.id, None).await.unwrap(),
        1
    );
    assert_eq!(activity::unread_count(&mut c, &t, &a.id).await.unwrap(), 0);

    // The flow scope is stored on the group and can be cleared.
    skill_groups::set_flow_scope(&mut c, &t, &g1.id, Some(std::slice::from_ref(&g2.id)))
        .await
        .unwrap();
    let got = skill_groups::get(&mut c, &t, &g1.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.flow_scope, Some(vec![g2.id.clone()]));
    let mine = skill_groups::groups_of_user(&mut c, &t, &a.id)
        .await
        .unwrap();
    assert!(mine.is_empty());
    skill_groups::set_flow_scope(&mut c, &t, &g1.id, None)
        .await
        .unwrap();
    let got = skill_groups::get(&mut c, &t, &g1.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.flow_scope, None);
    let other = tenant(&store, "tk-assign-other").await;
    assert!(matches!(
        skill_groups::set_flow_scope(&mut c, &other, &g1.id, None).await,
        Err(StoreError::NotFound)
    ));
}

pub(crate) async fn merge_moves_tickets_to_the_kept_customer(store: Store) {
    let (t, _, v) = chat_fixture(&store, "tk-merge").await;
    let ty = ticket_type(&store, &t, "售后", None).await;
    let mut c = store.conn().await.unwrap();
    let keep = conversations::create_customer(&mut c, &t, "王芳", None, None)
        .await
        .unwrap();
    let empty = serde_json::Map::new();
    let k = tickets::create(
        &mut c,
        &t,
        &NewTicket {
            customer_id: Some(&v.customer_id),
            ..new_ticket(&ty, "退款", &empty)
        },
    )
    .await
    .unwrap();
    let mut tx = store.begin().await.unwrap();
    let moved = customer_history::merge(&mut tx, &t, &keep.id, &v.customer_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(moved.tickets, 1);
    let k = tickets::get(&mut c, &t, &k.id).await.unwrap().unwrap();
    assert_eq!(k.customer_id.as_deref(), Some(keep.id.as_str()));
}
