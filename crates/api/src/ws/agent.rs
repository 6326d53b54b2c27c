//! `GET /api/v1/agent/ws` — the workbench's socket (session cookie or bearer).

use super::{Out, MAX_FRAME};
use crate::error::{ApiError, ApiResult};
use crate::extract::Auth;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use futures_util::stream::FuturesOrdered;
use futures_util::StreamExt;
use kefu_app::hub::Topic;
use kefu_app::{App, Principal};
use serde_json::{json, Value};

/// Browsers send cookies with cross-site WebSocket handshakes and CSRF tokens
/// cannot ride along, so the Origin must be this host (cross-site WebSocket
/// hijacking). Non-browser clients send no Origin and authenticate by token.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin.split_once("://").map(|(_, h)| h) == Some(host)
}

pub async fn connect(
    State(app): State<App>,
    Auth(p): Auth,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    if !same_origin(&headers) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_origin",
            "the workbench socket only accepts this site's pages",
        ));
    }
    p.require_user()?;
    Ok(ws
        .max_message_size(MAX_FRAME)
        // The library's default 128 KiB read buffer per socket would cost
        // 2.8 GiB for 20,000 idle visitors; chat frames are small.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .on_upgrade(move |socket| run(app, p, socket)))
}

struct Agent {
    app: App,
    p: Principal,
    me: String,
    tx: kefu_app::hub::FrameTx,
    sub: u64,
    following: std::collections::HashSet<String>,
}

/// A message frame's outcome, for its reply.
struct Sent {
    conversation: String,
    client_id: String,
    result: kefu_app::AppResult<(kefu_store::ConversationEvent, bool)>,
}

/// Messages stored in flight per socket before the socket stops reading.
const MAX_IN_FLIGHT: usize = 64;

impl Agent {
    /// Store a message frame. The future owns what it needs, so the socket
    /// can go on forwarding while the writer commits it.
    fn send_message(
        &self,
        frame: Value,
    ) -> impl std::future::Future<Output = Sent> + Send + 'static {
        let (app, p) = (self.app.clone(), self.p.clone());
        async move {
            let conversation = frame["conversation_id"].as_str().unwrap_or("").to_string();
            let client_id = frame["client_id"].as_str().unwrap_or("").to_string();
            let private = frame["private"].as_bool().unwrap_or(false);
            let result = app
                .agent_send(&p, &conversation, &client_id, &frame["body"], private)
                .await;
            Sent {
                conversation,
                client_id,
                result,
            }
        }
    }

    /// Reply to a message frame: its `ack`, or its error.
    async fn answer_message(&mut self, out: &mut Out, sent: Sent) -> bool {
        let Sent {
            conversation: conv,
            client_id,
            result,
        } = sent;
        match result {
            // Already following (the usual case): the event comes through
            // the hub; a lead writing into a watched one follows it now.
            Ok((e, _)) => {
                out.ack(&client_id, &conv, e.seq).await
                    && (self.following.contains(&conv) || self.follow(out, &conv).await)
            }
            Err(e) => out.error(&e).await,
        }
    }

    /// Forward a frame from the hub; new work (`assigned`) is followed at
    /// once, with its whole history (text typed while queued included).
    async fn hub_frame(&mut self, out: &mut Out, frame: kefu_app::hub::Frame) -> bool {
        let assigned =
            frame.starts_with(r#"{"type":"assigned""#) || frame.contains(r#""type":"assigned""#);
        if !out.forward(&frame).await {
            return false;
        }
        if assigned {
            if let Ok(v) = serde_json::from_str::<Value>(&frame) {
                if let Some(id) = v["conversation"]["id"].as_str() {
                    return self.follow(out, id).await;
                }
            }
        }
        true
    }

    /// Follow a conversation and send what this socket has not had.
    async fn follow(&mut self, out: &mut Out, conversation: &str) -> bool {
        self.following.insert(conversation.to_string());
        self.app.hub.subscribe_as(
            self.sub,
            Topic::Staff(conversation.to_string()),
            self.tx.clone(),
        );
        let mut after = out.last_sent(conversation);
        loop {
            match self
                .app
                .conversation_events(&self.p, conversation, after, 500)
                .await
            {
                Ok(events) => {
                    for e in &events {
                        if !out.event(e).await {
                            return false;
                        }
                    }
                    if events.len() < 500 {
                        return true;
                    }
                    after = events.last().map(|e| e.seq).unwrap_or(after);
                }
                Err(e) => return out.error(&e).await,
            }
        }
    }

    async fn handle(&mut self, out: &mut Out, frame: Value) -> bool {
        let app = self.app.clone();
        let conv = frame["conversation_id"].as_str().unwrap_or("").to_string();
        let result = match frame["type"].as_str().unwrap_or("") {
            "resume" => {
                let given = frame["conversations"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                for (id, last) in &given {
                    out.mark(id, last.as_i64().unwrap_or(0));
                    if !self.follow(out, id).await {
                        return false;
                    }
                }
                // My conversations the client did not mention: from the start.
                for c in app.agent_conversations(&self.p).await.unwrap_or_default() {
                    if let Some(id) = c["id"].as_str().filter(|id| !given.contains_key(*id)) {
                        if !self.follow(out, id).await {
                            return false;
                        }
                    }
                }
                Ok(())
            }
            "watch" => {
                // A team lead opens any conversation read-only.
                match app.get_conversation(&self.p, &conv).await {
                    Ok(_) => return self.follow(out, &conv).await,
                    Err(e) => Err(e),
                }
            }
            "message" => {
                let sent = self.send_message(frame).await;
                return self.answer_message(out, sent).await;
            }
            "typing" => {
                app.typing(&conv, true);
                Ok(())
            }
            "read" => {
                app.hub.publish(
                    &Topic::Visitor(conv.clone()),
                    &json!({"type": "read", "conversation_id": conv, "seq": frame["seq"]}),
                );
                Ok(())
            }
            "transfer" => {
                app.agent_transfer(
                    &self.p,
                    &conv,
                    frame["to_agent_id"].as_str(),
                    frame["to_group_id"].as_str(),
                    frame["note"].as_str().unwrap_or(""),
                )
                .await
            }
            "close" => {
                let tags: Vec<String> = frame["tags"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|t| t.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                app.agent_close(
                    &self.p,
                    &conv,
                    frame["resolved"].as_bool().unwrap_or(true),
                    frame["summary"].as_str().unwrap_or(""),
                    &tags,
                )
                .await
            }
            "invite_rating" => app.agent_invite_rating(&self.p, &conv).await,
            "pickup" => {
                match app.pick_up(&self.p, &conv).await {
                    // The `assigned` frame follows through the hub; this says the claim won.
                    Ok(_) => Ok(()),
                    // Say which claim failed, with the status the REST call would give.
                    Err(e) => {
                        let (code, message) = (e.code(), e.to_string());
                        let status = crate::error::ApiError::from(e).status.as_u16();
                        return out
                        .send(&json!({"type": "error", "request": "pickup", "conversation_id": conv,
                            "status": status, "code": code, "message": message}))
                        .await;
                    }
                }
            }
            "pickups" => match app.pickups(&self.p).await {
                Ok(list) => return out.send(&list).await,
                Err(e) => Err(e),
            },
            "status" => app
                .set_agent_status(
                    &self.p,
                    &self.me.clone(),
                    frame["status_id"].as_str().unwrap_or(""),
                )
                .await
                .map(|_| ()),
            "subscribe_monitor" => {
                // Team leads' monitor page: a nudge whenever queues or agents change.
                match self.p.require(kefu_domain::Permission::Supervise) {
                    Ok(()) => {
                        app.hub.subscribe_as(
                            self.sub,
                            Topic::Monitor(self.p.tenant.tenant_id().to_string()),
                            self.tx.clone(),
                        );
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            "ping" => return out.send(&json!({"type": "pong"})).await,
            other => {
                return out
                    .bad_frame(&format!("unknown frame type {other:?}"))
                    .await
            }
        };
        match result {
            Ok(()) => {
                out.send(
                    &json!({"type": "done", "request": frame["type"], "conversation_id": conv}),
                )
                .await
            }
            Err(e) => out.error(&e).await,
        }
    }
}

async fn run(app: App, p: Principal, socket: WebSocket) {
    let (sink, mut stream) = socket.split();
    let mut out = Out::new(sink);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let me = p.user_id.clone().unwrap_or_default();
    let sub = app.hub.subscribe(Topic::Agent(me.clone()), tx.clone());
    let mut agent = Agent {
        app: app.clone(),
        p,
        me,
        tx,
        sub,
        following: Default::default(),
    };
    // Existing conversations are followed when the client says where it is
    // (`resume`): following them now could deliver a live event first and make
    // the replay skip what lies between.
    let conversations = app.agent_conversations(&agent.p).await.unwrap_or_default();
    // What waits for pick-up (抢单) now; later changes arrive as `pickups` frames.
    let pickups = app
        .pickups(&agent.p)
        .await
        .unwrap_or_else(|_| json!({"type": "pickups", "version": 0, "conversations": []}));
    let welcome = json!({"type": "welcome", "agent": {"id": agent.me}, "conversations": conversations, "pickups": pickups});
    // Message frames in flight, oldest first. Waiting for each one's commit
    // before reading on would hold up everything this socket forwards (the
    // visitors' messages to this agent) for a commit per reply; instead the
    // writer stores them while the socket forwards, and replies still go out
    // in frame order: acks in order, and any other frame waits for the
    // messages before it (the workbench pairs replies with frames in order).
    let mut in_flight = FuturesOrdered::new();
    if out.send(&welcome).await {
        'socket: loop {
            tokio::select! {
                msg = stream.next(), if in_flight.len() < MAX_IN_FLIGHT => {
                    let Some(Ok(msg)) = msg else { break };
                    let frame = match msg {
                        Message::Text(t) => serde_json::from_str::<Value>(&t),
                        Message::Close(_) => break,
                        _ => continue,
                    };
                    let keep = match frame {
                        Ok(frame) if frame["type"] == "message" => {
                            in_flight.push_back(agent.send_message(frame));
                            true
                        }
                        other => {
                            while let Some(sent) = in_flight.next().await {
                                if !agent.answer_message(&mut out, sent).await { break 'socket; }
                            }
                            match other {
                                Ok(frame) => agent.handle(&mut out, frame).await,
                                Err(_) => out.bad_frame("frames are JSON objects").await,
                            }
                        }
                    };
                    if !keep { break; }
                }
                Some(sent) = in_flight.next(), if !in_flight.is_empty() => {
                    if !agent.answer_message(&mut out, sent).await { break; }
                }
                frame = rx.recv() => {
                    let Some(frame) = frame else { break };
                    if !agent.hub_frame(&mut out, frame).await { break; }
                }
            }
            // Acks and hub frames of this turn, and what else waits, in one write.
            for _ in 0..super::BURST {
                let Ok(frame) = rx.try_recv() else { break };
                if !agent.hub_frame(&mut out, frame).await {
                    break 'socket;
                }
            }
            if !out.flush().await {
                break;
            }
        }
    }
    app.hub.unsubscribe_all(sub);
}
