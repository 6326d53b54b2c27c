//! WebSocket connections and process limits.

use futures_util::stream::{SplitSink, SplitStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;
pub type Tx = SplitSink<Ws, Message>;
pub type Rx = SplitStream<Ws>;

/// Small buffers: tens of thousands of sockets live in this process.
fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(1 << 20))
}

/// Open a WebSocket (`ws://…`), optionally with a Cookie header.
pub async fn connect(url: &str, cookie: Option<&str>) -> Result<Ws, String> {
    let mut req = url
        .into_client_request()
        .map_err(|e| format!("{url}: {e}"))?;
    if let Some(c) = cookie {
        req.headers_mut().insert(
            "cookie",
            c.parse().map_err(|_| "bad cookie value".to_string())?,
        );
    }
    let (ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config()), true)
        .await
        .map_err(|e| e.to_string())?;
    Ok(ws)
}

/// `http://host:port[/]` → `ws://host:port`.
pub fn ws_base(http: &str) -> String {
    let t = http.trim_end_matches('/');
    if let Some(rest) = t.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = t.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        t.to_string()
    }
}

/// Raise this process's open-file limit to at least `want` if it can (as root
/// the hard limit too). Returns the soft limit now in force.
pub fn raise_nofile(want: u64) -> u64 {
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) != 0 {
            return 0;
        }
        if r.rlim_cur >= want {
            return r.rlim_cur;
        }
        let wanted = libc::rlimit {
            rlim_cur: want,
            rlim_max: r.rlim_max.max(want),
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &wanted) == 0 {
            return want;
        }
        // Not allowed past the hard limit: go as far as it.
        let capped = libc::rlimit {
            rlim_cur: r.rlim_max,
            rlim_max: r.rlim_max,
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &capped) == 0 {
            return r.rlim_max;
        }
        r.rlim_cur
    }
}
