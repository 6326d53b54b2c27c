//! `GET /api/v1/visitor/ws?channel=KEY[&token][&last_seq][&user_id&user_hash]`

use super::{Out, MAX_FRAME};
use crate::error::ApiResult;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use futures_util::StreamExt;
use kefu_app::chat::visitor::VisitorSession;
use kefu_app::hub::Topic;
use kefu_app::App;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct VisitorParams {
    pub channel: String,
    pub token: Option<String>,
    pub last_seq: Option<i64>,
    pub user_id: Option<String>,
    pub user_hash: Option<String>,
}

/// Resolve the visitor before upgrading, so a bad channel or identity is a
/// plain HTTP error the widget can show.
pub async fn connect(
    State(app): State<App>,
    Query(q): Query<VisitorParams>,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    let identity = match (&q.user_id, &q.user_hash) {
        (Some(u), Some(h)) => Some((u.as_str(), h.as_str())),
        _ => None,
    };
    let session = app
        .visitor_connect(&q.channel, q.token.as_deref(), identity)
        .await?;
    let last_seq = q.last_seq.unwrap_or(0).max(0);
    Ok(ws
        .max_message_size(MAX_FRAME)
        // The library's default 128 KiB read buffer per socket would cost
        // 2.8 GiB for 20,000 idle visitors; chat frames are small.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .on_upgrade(move |socket| run(app, session, last_seq, socket)))
}

struct Visitor {
    app: App,
    s: VisitorSession,
    tx: kefu_app::hub::FrameTx,
    sub: u64,
    conversation: Option<String>,
}

impl Visitor {
    /// Follow the conversation (once) and send whatever the socket has not had.
    async fn sync(&mut self, out: &mut Out, conversation: &str) -> bool {
        if self.conversation.as_deref() != Some(conversation) {
            self.app.hub.subscribe_as(
                self.sub,
                Topic::Visitor(conversation.to_string()),
                self.tx.clone(),
            );
            // Presence: the queue place is kept while some socket follows it.
            if let Some(old) = self.conversation.replace(conversation.to_string()) {
                self.app.visitor_socket_closed(&self.s.scope, &old);
            }
            self.app.visitor_socket_opened(conversation);
        }
        let after = out.last_sent(conversation);
        match self
            .app
            .visitor_events_after(&self.s, conversation, after)
            .await
        {
            Ok(events) => {
                for e in &events {
                    if !out.event(e).await {
                        return false;
                    }
                }
                true
            }
            Err(e) => out.error(&e).await,
        }
    }

    async fn handle(&mut self, out: &mut Out, frame: Value) -> bool {
        let app = self.app.clone();
        // Subscribe to a conversation as soon as it exists, before it is
        // routed, so queue and offline notices reach this socket.
        let (hub, tx, sub) = (app.hub.clone(), self.tx.clone(), self.sub);
        let follow =
            move |conv: &str| hub.subscribe_as(sub, Topic::Visitor(conv.to_string()), tx.clone());
        match frame["type"].as_str().unwrap_or("") {
            "message" => {
                let client_id = frame["client_id"].as_str().unwrap_or("").to_string();
                match app
                    .visitor_send(&mut self.s, &client_id, &frame["body"], &follow)
                    .await
                {
                    Ok((e, new)) => {
                        let conv = e.conversation_id.clone();
                        // Our own event: the ack carries its seq; then anything we missed.
                        let ok = out.ack(&client_id, &conv, e.seq).await;
                        // A new conversation: follow it and send what came before
                        // (greeting, queued). Otherwise the event itself arrives
                        // through the hub, which the writer fed before the ack.
                        let ok = ok
                            && (self.conversation.as_deref() == Some(conv.as_str())
                                || self.sync(out, &conv).await);
                        // The bot (if it serves this conversation) answers after the ack;
                        // its messages reach this socket through the hub. The ack
                        // must not wait for the bot's answer.
                        let ok = ok && (!self.s.bot_active() || out.flush().await);
                        app.visitor_bot_reply(&mut self.s, &e, new).await;
                        ok
                    }
                    Err(e) => out.error(&e).await,
                }
            }
            "start" => match app
                .visitor_start(&mut self.s, &frame["fields"], &follow)
                .await
            {
                Ok(c) => self.sync(out, &c.id).await,
                Err(e) => out.error(&e).await,
            },
            "typing" => {
                if let Some(c) = &self.conversation {
                    app.typing(c, false);
                }
                true
            }
            "read" => {
                if let Some(c) = &self.conversation {
                    app.hub.publish(&Topic::Staff(c.clone()), &json!({"type": "read", "conversation_id": c, "seq": frame["seq"], "by": "visitor"}));
                }
                true
            }
            "rate" => {
                let tags: Vec<String> = frame["tags"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|t| t.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                match app
                    .visitor_rate(
                        &self.s,
                        frame["stars"].as_i64().unwrap_or(0),
                        &tags,
                        frame["comment"].as_str().unwrap_or(""),
                    )
                    .await
                {
                    Ok(()) => out.send(&json!({"type": "rated"})).await,
                    Err(e) => out.error(&e).await,
                }
            }
            "leave_message" => {
                let f = |k: &str| frame[k].as_str().unwrap_or("").to_string();
                match app
                    .visitor_leave_message(
                        &self.s,
                        &f("name"),
                        &f("phone"),
                        &f("email"),
                        &f("text"),
                    )
                    .await
                {
                    Ok(m) => out.send(&json!({"type": "message_left", "id": m.id})).await,
                    Err(e) => out.error(&e).await,
                }
            }
            "close" => match app.visitor_close(&self.s).await {
                Ok(()) => true,
                Err(e) => out.error(&e).await,
            },
            "ping" => out.send(&json!({"type": "pong"})).await,
            other => {
                out.bad_frame(&format!("unknown frame type {other:?}"))
                    .await
            }
        }
    }
}

async fn run(app: App, session: VisitorSession, last_seq: i64, socket: WebSocket) {
    let (sink, mut stream) = socket.split();
    let mut out = Out::new(sink);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // One subscription id for the socket's whole life, topics added as needed.
    let sub = app
        .hub
        .subscribe(Topic::Socket(session.visitor.id.clone()), tx.clone());
    let mut v = Visitor {
        app: app.clone(),
        s: session,
        tx,
        sub,
        conversation: None,
    };
    let open = app.visitor_conversation(&v.s).await.ok().flatten();
    let welcome = json!({
        "type": "welcome",
        "visitor_token": v.s.token,
        "conversation": open.as_ref().map(|c| json!({"id": c.id, "state": c.state, "last_seq": c.last_seq})),
        "channel": {
            "name": v.s.channel.name,
            "greeting": v.s.channel.greeting,
            "prechat_fields": v.s.settings.prechat_fields,
            "online": v.s.is_open_now(),
        },
    });
    if !out.send(&welcome).await {
        return;
    }
    if let Some(c) = &open {
        out.mark(&c.id, last_seq);
        if !v.sync(&mut out, &c.id).await {
            cleanup(&v);
            return;
        }
        if let Some(q) = app.queue_status(&v.s.scope, &c.id).await {
            let _ = out
                .send(&json!({"type": "queue", "position": q.0, "estimated_wait_ms": q.1}))
                .await;
        }
    }
    loop {
        tokio::select! {
            msg = stream.next() => {
                let Some(Ok(msg)) = msg else { break };
                let keep = match msg {
                    Message::Text(t) => match serde_json::from_str::<Value>(&t) {
                        Ok(frame) => v.handle(&mut out, frame).await,
                        Err(_) => out.bad_frame("frames are JSON objects").await,
                    },
                    Message::Close(_) => false,
                    _ => true,
                };
                if !keep { break; }
            }
            frame = rx.recv() => {
                let Some(frame) = frame else { break };
                if !out.forward(&frame).await { break; }
            }
        }
        // Whatever else the hub has for this socket goes in the same write.
        if !out.drain(&mut rx).await {
            break;
        }
    }
    cleanup(&v);
}

fn cleanup(v: &Visitor) {
    v.app.hub.unsubscribe_all(v.sub);
    if let Some(c) = &v.conversation {
        v.app.visitor_socket_closed(&v.s.scope, c);
    }
}
