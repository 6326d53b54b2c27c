//! A WebSocket test client speaking the JSON frames of docs/realtime-protocol.md.

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Ws {
    stream: Stream,
    /// Every frame received so far, in order.
    pub seen: Vec<Value>,
}

impl Ws {
    /// Connect to `url` (ws://…), optionally with a Cookie header.
    pub async fn connect(url: &str, cookie: Option<&str>) -> Result<Ws, String> {
        let mut req = url.into_client_request().map_err(|e| e.to_string())?;
        if let Some(c) = cookie {
            req.headers_mut()
                .insert("cookie", c.parse().map_err(|_| "bad cookie".to_string())?);
        }
        let (stream, _) = tokio_tungstenite::connect_async(req)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Ws {
            stream,
            seen: Vec::new(),
        })
    }

    pub async fn send(&mut self, v: Value) {
        self.stream
            .send(Message::Text(v.to_string().into()))
            .await
            .expect("send frame");
    }

    /// The next frame, or panic after `secs`.
    pub async fn recv(&mut self, secs: u64) -> Value {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(secs), self.stream.next())
                .await
                .unwrap_or_else(|_| {
                    panic!("no frame within {secs} s; seen so far: {:#?}", self.seen)
                })
                .expect("socket open")
                .expect("frame");
            if let Message::Text(t) = msg {
                let v: Value = serde_json::from_str(&t).expect("JSON frame");
                self.seen.push(v.clone());
                return v;
            }
        }
    }

    /// Read frames until one matches; returns it.
    pub async fn until(&mut self, secs: u64, f: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let left = deadline
                .saturating_duration_since(tokio::time::Instant::now())
                .as_secs()
                .max(1);
            let v = self.recv(left).await;
            if f(&v) {
                return v;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!("no matching frame within {secs} s; seen: {:#?}", self.seen);
            }
        }
    }

    /// Frames arriving within `ms` (to prove nothing more comes).
    pub async fn drain(&mut self, ms: u64) -> Vec<Value> {
        let mut out = Vec::new();
        while let Ok(Some(Ok(Message::Text(t)))) =
            tokio::time::timeout(Duration::from_millis(ms), self.stream.next()).await
        {
            let v: Value = serde_json::from_str(&t).expect("JSON frame");
            self.seen.push(v.clone());
            out.push(v);
        }
        out
    }

    /// Drop the connection abruptly (no close handshake), as a dead network does.
    pub fn kill(self) {
        drop(self.stream);
    }

    /// Event frames seen, as (conversation, seq).
    pub fn event_seqs(&self) -> Vec<i64> {
        self.seen
            .iter()
            .filter(|f| f["type"] == "event")
            .map(|f| f["seq"].as_i64().unwrap_or(-1))
            .collect()
    }
}
