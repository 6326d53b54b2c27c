//! Online service: visitors, conversations and their log, offline messages, quick replies.

use super::people::tenant;
use kefu_store::{
    channels, conversations, offline_messages, quick_replies, Store, StoreError, TenantScope,
};

pub(crate) async fn chat_fixture(
    store: &Store,
    slug: &str,
) -> (TenantScope, String, kefu_store::Visitor) {
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

/// A new queued conversation of visitor `v` on channel `ch`.
pub(crate) async fn queued_conversation(
    c: &mut kefu_store::Conn,
    t: &TenantScope,
    ch: &str,
    v: &kefu_store::Visitor,
) -> kefu_store::Conversation {
    conversations::create_conversation(
        c,
        t,
        &conversations::NewConversation {
            channel_id: ch,
            visitor_id: &v.id,
            customer_id: &v.customer_id,
            state: "queued",
            skill_group_id: None,
            priority: 0,
        },
    )
    .await
    .unwrap()
}

pub(crate) async fn conversation_log_is_gap_free_and_idempotent(store: Store) {
    let (t, ch, v) = chat_fixture(&store, "chat").await;
    let (other, _, _) = chat_fixture(&store, "chat-other").await;
    let mut c = store.conn().await.unwrap();
    let conv = queued_conversation(&mut c, &t, &ch, &v).await;
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

pub(crate) async fn visitors_offline_messages_and_quick_replies(store: Store) {
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

/// The message writer's batches: one transaction, outcomes per append, a
/// missing or (when asked) closed conversation failing alone.
pub(crate) async fn message_writer_batches_fail_one_append_not_all(store: Store) {
    use kefu_store::event_log::{Append, EventLog};
    let (t, ch, v) = chat_fixture(&store, "writer").await;
    let (other, _, _) = chat_fixture(&store, "writer-other").await;
    let mut c = store.conn().await.unwrap();
    let new_conv = |state: &'static str| conversations::NewConversation {
        channel_id: &ch,
        visitor_id: &v.id,
        customer_id: &v.customer_id,
        state,
        skill_group_id: None,
        priority: 0,
    };
    let open = conversations::create_conversation(&mut c, &t, &new_conv("queued"))
        .await
        .unwrap();
    let done = conversations::create_conversation(&mut c, &t, &new_conv("queued"))
        .await
        .unwrap();
    let ended = conversations::StateChange {
        state: "closed",
        agent_id: None,
        skill_group_id: None,
        queued: false,
        assigned: false,
        ended: true,
    };
    conversations::set_state(&mut c, &t, &done.id, &ended)
        .await
        .unwrap();
    drop(c);
    let body = serde_json::json!({"kind": "text", "text": "在吗"});
    let append =
        |scope: &'static str, conv: String, cid, require_open| (scope, conv, cid, require_open);
    let plan = [
        append("t", open.id.clone(), Some("w-1"), true),
        append("t", "no-such-conversation".to_string(), Some("w-2"), false),
        append("other", open.id.clone(), Some("w-3"), false),
        append("t", open.id.clone(), Some("w-1"), true), // a retry inside the same batch
        append("t", done.id.clone(), Some("w-4"), true),
        append("t", done.id.clone(), None, false), // a system note after the end is allowed
        append("t", open.id.clone(), None, false),
    ];
    let results = {
        let store = store.clone();
        let (t, other) = (t.clone(), other.clone());
        let body = body.clone();
        tokio::task::spawn_blocking(move || {
            let msg = |cid| conversations::NewEvent {
                kind: "message",
                sender: "visitor",
                sender_id: Some("v"),
                sender_name: "访客",
                client_id: cid,
                body: &body,
                private: false,
            };
            let batch: Vec<Append<'_>> = plan
                .iter()
                .map(|(scope, conv, cid, require_open)| Append {
                    scope: if *scope == "t" { &t } else { &other },
                    conversation_id: conv,
                    event: msg(*cid),
                    cond: conversations::AppendIf {
                        open: *require_open,
                        agent: None,
                    },
                })
                .collect();
            let mut log = EventLog::open(&store).unwrap();
            log.append_batch(&batch).unwrap()
        })
        .await
        .unwrap()
    };
    let outcome: Vec<String> = results
        .iter()
        .map(|r| match r {
            Ok((e, new)) => format!("seq {} new {new}", e.seq),
            Err(StoreError::NotFound) => "not found".to_string(),
            Err(e) => format!("error {e}"),
        })
        .collect();
    assert_eq!(
        outcome,
        [
            "seq 1 new true",
            "not found",
            "not found",
            "seq 1 new false",
            "not found",
            "seq 1 new true",
            "seq 2 new true",
        ]
    );
    let mut c = store.conn().await.unwrap();
    let log = conversations::events_after(&mut c, &t, &open.id, 0, 10)
        .await
        .unwrap();
    assert_eq!(
        log.iter()
            .map(|e| (e.seq, e.client_id.clone()))
            .collect::<Vec<_>>(),
        vec![(1, Some("w-1".to_string())), (2, None)]
    );
    assert_eq!(log[0].body, body);
    let after_end = conversations::events_after(&mut c, &t, &done.id, 0, 10)
        .await
        .unwrap();
    assert_eq!(
        after_end.len(),
        1,
        "only the append that allowed a closed conversation"
    );
}

/// Several conversations interleaved in one batch, with agent conditions:
/// each conversation's new events get consecutive numbers in batch order,
/// and the next batch continues after them.
pub(crate) async fn message_writer_numbers_each_conversation_in_batch_order(store: Store) {
    use kefu_store::event_log::{Append, EventLog};
    let (t, ch, v) = chat_fixture(&store, "writer-order").await;
    let mut c = store.conn().await.unwrap();
    let new_conv = conversations::NewConversation {
        channel_id: &ch,
        visitor_id: &v.id,
        customer_id: &v.customer_id,
        state: "queued",
        skill_group_id: None,
        priority: 0,
    };
    let a = conversations::create_conversation(&mut c, &t, &new_conv)
        .await
        .unwrap();
    let b = conversations::create_conversation(&mut c, &t, &new_conv)
        .await
        .unwrap();
    let assigned = conversations::StateChange {
        state: "active",
        agent_id: Some("agent-1"),
        skill_group_id: None,
        queued: false,
        assigned: true,
        ended: false,
    };
    conversations::set_state(&mut c, &t, &a.id, &assigned)
        .await
        .unwrap();
    drop(c);
    let body = serde_json::json!({"kind": "text", "text": "好的"});
    // (conversation, client id, agent condition)
    let first = vec![
        (a.id.clone(), Some("a-1"), None),
        (b.id.clone(), Some("b-1"), None),
        (a.id.clone(), Some("a-2"), Some("agent-1")),
        (a.id.clone(), Some("a-3"), Some("agent-2")), // not this agent's conversation
        (b.id.clone(), Some("b-1"), None),            // retry of b-1
        (a.id.clone(), None, None),
        (b.id.clone(), Some("b-2"), Some("agent-1")), // b has no agent
        (b.id.clone(), Some("b-3"), None),
    ];
    let second = vec![
        (b.id.clone(), Some("b-4"), None),
        (a.id.clone(), Some("a-2"), Some("agent-1")), // retry from the first batch
        (a.id.clone(), Some("a-4"), Some("agent-1")),
    ];
    let outcomes = {
        let (store, t, body) = (store.clone(), t.clone(), body.clone());
        tokio::task::spawn_blocking(move || {
            let mut log = EventLog::open(&store).unwrap();
            [first, second]
                .iter()
                .map(|plan| {
                    let batch: Vec<Append<'_>> = plan
                        .iter()
                        .map(|(conv, cid, agent)| Append {
                            scope: &t,
                            conversation_id: conv,
                            event: conversations::NewEvent {
                                kind: "message",
                                sender: "visitor",
                                sender_id: Some("v"),
                                sender_name: "访客",
                                client_id: *cid,
                                body: &body,
                                private: false,
                            },
                            cond: conversations::AppendIf {
                                open: true,
                                agent: *agent,
                            },
                        })
                        .collect();
                    log.append_batch(&batch)
                        .unwrap()
                        .iter()
                        .map(|r| match r {
                            Ok((e, new)) => format!("seq {} new {new}", e.seq),
                            Err(StoreError::NotFound) => "not found".to_string(),
                            Err(e) => format!("error {e}"),
                        })
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap()
    };
    assert_eq!(
        outcomes,
        [
            vec![
                "seq 1 new true",
                "seq 1 new true",
                "seq 2 new true",
                "not found",
                "seq 1 new false",
                "seq 3 new true",
                "not found",
                "seq 2 new true",
            ],
            vec!["seq 3 new true", "seq 2 new false", "seq 4 new true"],
        ]
    );
    let mut c = store.conn().await.unwrap();
    for (conv, expected) in [
        (&a.id, vec![Some("a-1"), Some("a-2"), None, Some("a-4")]),
        (&b.id, vec![Some("b-1"), Some("b-3"), Some("b-4")]),
    ] {
        let log = conversations::events_after(&mut c, &t, conv, 0, 10)
            .await
            .unwrap();
        let got: Vec<(i64, Option<&str>)> = log
            .iter()
            .map(|e| (e.seq, e.client_id.as_deref()))
            .collect();
        let want: Vec<(i64, Option<&str>)> = (1..).zip(expected).collect();
        assert_eq!(got, want, "gap-free log in batch order");
    }
}

/// The writer's newest events (on a SQLite file, still in its journal) are
/// read, retried and numbered like stored ones, before and after the journal
/// moves into the log and across a restart of the writer; appends outside the
/// writer keep the numbering gap-free.
pub(crate) async fn message_writer_journal_is_read_like_the_log(store: Store) {
    use kefu_store::event_log::{Append, EventLog};
    let (t, ch, v) = chat_fixture(&store, "journal").await;
    let mut c = store.conn().await.unwrap();
    let conv = queued_conversation(&mut c, &t, &ch, &v).await;
    drop(c);
    let body = serde_json::json!({"kind": "text", "text": "我的快递到哪了"});
    // Runs `plans` through one writer, each plan a batch of client ids
    // (None: no client id), moving the journal where a plan is `["move"]`.
    let run = |plans: Vec<Vec<Option<&'static str>>>| {
        let (store, t, conv, body) = (store.clone(), t.clone(), conv.id.clone(), body.clone());
        tokio::task::spawn_blocking(move || {
            let mut log = EventLog::open(&store).unwrap();
            let mut out = Vec::new();
            for plan in plans {
                if plan == [Some("move")] {
                    log.move_journal().unwrap();
                    continue;
                }
                let batch: Vec<Append<'_>> = plan
                    .iter()
                    .map(|cid| Append {
                        scope: &t,
                        conversation_id: &conv,
                        event: conversations::NewEvent {
                            kind: "message",
                            sender: "visitor",
                            sender_id: Some("v"),
                            sender_name: "访客",
                            client_id: *cid,
                            body: &body,
                            private: false,
                        },
                        cond: conversations::AppendIf {
                            open: true,
                            agent: None,
                        },
                    })
                    .collect();
                for r in log.append_batch(&batch).unwrap() {
                    let (e, new) = r.unwrap();
                    out.push(format!("seq {} new {new}", e.seq));
                }
            }
            out
        })
    };
    let log_of = |store: Store, t: TenantScope, id: String| async move {
        let mut c = store.conn().await.unwrap();
        conversations::events_after(&mut c, &t, &id, 0, 100)
            .await
            .unwrap()
            .iter()
            .map(|e| (e.seq, e.client_id.clone(), e.body.clone()))
            .collect::<Vec<_>>()
    };

    // Before any move: the log reads what the writer just stored.
    let first = run(vec![vec![Some("j-1"), None], vec![Some("j-1")]])
        .await
        .unwrap();
    assert_eq!(
        first,
        ["seq 1 new true", "seq 2 new true", "seq 1 new false"]
    );
    let seen = log_of(store.clone(), t.clone(), conv.id.clone()).await;
    assert_eq!(
        seen.iter()
            .map(|(s, c, _)| (*s, c.clone()))
            .collect::<Vec<_>>(),
        [(1, Some("j-1".to_string())), (2, None)]
    );
    assert_eq!(seen[0].2, body);

    // An append outside the writer sees the writer's client ids and numbers.
    let mut c = store.conn().await.unwrap();
    let msg = |cid| conversations::NewEvent {
        kind: "message",
        sender: "visitor",
        sender_id: Some("v"),
        sender_name: "访客",
        client_id: cid,
        body: &body,
        private: false,
    };
    let (again, new) = conversations::append_event(&mut c, &t, &conv.id, &msg(Some("j-1")))
        .await
        .unwrap();
    assert_eq!((again.seq, new), (1, false), "a retry of a journal event");
    let (outside, new) = conversations::append_event(&mut c, &t, &conv.id, &msg(Some("x-1")))
        .await
        .unwrap();
    assert_eq!((outside.seq, new), (3, true));
    let texts = kefu_store::bot::recent_visitor_texts(&mut c, &t, &conv.id)
        .await
        .unwrap();
    assert_eq!(
        texts.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [3, 2, 1],
        "the bot reads the visitor's latest texts in both tables"
    );
    drop(c);

    // A move, retries of moved events, new ones; then a writer that stops
    // with events in its journal and a new one that starts after it.
    let second = run(vec![
        vec![Some("j-3")],
        vec![Some("move")],
        vec![Some("j-1"), Some("j-3"), Some("x-1"), Some("j-4")],
    ])
    .await
    .unwrap();
    assert_eq!(
        second,
        [
            "seq 4 new true",
            "seq 1 new false",
            "seq 4 new false",
            "seq 3 new false",
            "seq 5 new true",
        ]
    );
    let third = run(vec![vec![Some("j-4"), Some("j-6")]]).await.unwrap();
    assert_eq!(third, ["seq 5 new false", "seq 6 new true"]);
    let all = log_of(store.clone(), t.clone(), conv.id.clone()).await;
    assert_eq!(
        all.iter()
            .map(|(s, c, _)| (*s, c.clone()))
            .collect::<Vec<_>>(),
        [
            (1, Some("j-1".to_string())),
            (2, None),
            (3, Some("x-1".to_string())),
            (4, Some("j-3".to_string())),
            (5, Some("j-4".to_string())),
            (6, Some("j-6".to_string())),
        ],
        "gap-free, in order, each once"
    );
    let mut c = store.conn().await.unwrap();
    let after_4 = conversations::events_after(&mut c, &t, &conv.id, 4, 1)
        .await
        .unwrap();
    assert_eq!(after_4.iter().map(|e| e.seq).collect::<Vec<_>>(), [5]);
}
