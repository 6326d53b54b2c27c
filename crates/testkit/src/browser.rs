//! A minimal headless-Chromium driver speaking the Chrome DevTools Protocol (CDP).
//!
//! Why hand-rolled: the crates that wrap CDP (chromiumoxide, headless_chrome) pull in
//! hundreds of generated protocol types; browser tests need about ten commands. This is
//! one process, one websocket to one page target, strictly sequential request/response
//! (every method takes `&mut self`), so no background task or locking is needed: while
//! waiting for a reply we simply buffer any events that arrive in between.
//!
//! Every wait is bounded (default 15 s) and fails with a message saying what it waited for.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::time::{sleep, timeout_at, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any single wait (launch, reply, page load) may take unless changed with `set_timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// Events are only kept to detect navigations; cap them so a chatty page can't grow memory.
const MAX_BUFFERED_EVENTS: usize = 1000;
const POLL: Duration = Duration::from_millis(50);

/// `--no-sandbox` because tests run as root in containers; the rest keeps Chromium from
/// phoning home (there is no network here) and makes rendering/screenshots deterministic.
const FLAGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
    "--remote-debugging-port=0",
];

#[derive(Debug)]
pub enum BrowserError {
    /// Chromium missing (with CI=true), failed to start, or never exposed DevTools.
    Launch(String),
    /// The websocket broke or closed (usually: Chromium crashed).
    Connection(String),
    /// Chromium answered a command with an error, or with something unexpected.
    Protocol(String),
    /// A JavaScript exception, including "no element matches selector ...".
    Js(String),
    Timeout(String),
    Io(String),
}

impl fmt::Display for BrowserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, msg) = match self {
            Self::Launch(m) => ("launch", m),
            Self::Connection(m) => ("connection", m),
            Self::Protocol(m) => ("protocol", m),
            Self::Js(m) => ("javascript", m),
            Self::Timeout(m) => ("timeout", m),
            Self::Io(m) => ("io", m),
        };
        write!(f, "browser {kind} error: {msg}")
    }
}

impl std::error::Error for BrowserError {}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct Browser {
    child: Child,
    profile: PathBuf,
    ws: Ws,
    next_id: u64,
    events: VecDeque<(String, Value)>,
    timeout: Duration,
}

impl Browser {
    /// Launch headless Chromium. `Ok(None)` (after a loud message on stderr) when no binary
    /// is found, so developers without Chromium can still run the suite; with `CI=true` a
    /// missing browser is an error, so CI can never silently skip browser tests.
    pub async fn launch() -> Result<Option<Browser>, BrowserError> {
        let Some(bin) = find_chromium()? else {
            if std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1") {
                return Err(BrowserError::Launch(
                    "no Chromium found (KEFU_CHROMIUM, /usr/bin/chromium, chromium, chromium-browser) \
                     and CI=true: browser tests must not be skipped in CI"
                        .into(),
                ));
            }
            eprintln!("\n{0}\n!!! SKIPPING BROWSER TEST: no Chromium found.\n!!! Install it (apt-get install chromium) or set KEFU_CHROMIUM=/path/to/chrome.\n{0}\n", "!".repeat(78));
            return Ok(None);
        };
        let profile = fresh_profile_dir()?;
        // stderr goes to a file, not a pipe: Chromium is chatty and an undrained pipe would
        // eventually block it; the file's tail goes into the error if startup fails.
        let log = std::fs::File::create(profile.join("chromium-stderr.log")).map_err(|e| {
            remove_dir(&profile);
            BrowserError::Io(format!(
                "creating chromium log in {}: {e}",
                profile.display()
            ))
        })?;
        let mut user_data_dir = OsString::from("--user-data-dir=");
        user_data_dir.push(&profile);
        let spawned = Command::new(&bin)
            .args(FLAGS)
            .arg(user_data_dir)
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .kill_on_drop(true) // if the launch future is cancelled, don't leak a browser
            .spawn();
        let mut child = spawned.map_err(|e| {
            remove_dir(&profile);
            BrowserError::Launch(format!("spawning {}: {e}", bin.display()))
        })?;
        match connect(&mut child, &profile).await {
            Ok(ws) => {
                let mut browser = Browser {
                    child,
                    profile,
                    ws,
                    next_id: 0,
                    events: VecDeque::new(),
                    timeout: DEFAULT_TIMEOUT,
                };
                // Page: lifecycle events for navigation waits. Runtime: execution contexts.
                browser.call("Page.enable", json!({})).await?;
                browser.call("Runtime.enable", json!({})).await?;
                Ok(Some(browser))
            }
            Err(e) => {
                shutdown(&mut child, &profile);
                Err(e)
            }
        }
    }

    /// Change the limit used by every subsequent wait (except `wait_for`, which takes its own).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Navigate and wait for the new document's load event.
    pub async fn goto(&mut self, url: &str) -> Result<(), BrowserError> {
        self.events.clear(); // only events caused by this navigation count
        let res = self.call("Page.navigate", json!({ "url": url })).await?;
        if let Some(err) = res.get("errorText").and_then(Value::as_str) {
            return Err(BrowserError::Protocol(format!(
                "navigating to {url} failed: {err}"
            )));
        }
        if res.get("loaderId").is_none() {
            return Ok(()); // same-document (#fragment) navigation: no load event will come
        }
        self.wait_for_load(&format!("the page load after navigating to {url}"))
            .await
    }

    /// `Runtime.evaluate` with `awaitPromise`; the result is returned by value (JSON).
    /// `undefined` becomes `Value::Null`; thrown exceptions/rejections become `BrowserError::Js`.
    pub async fn eval(&mut self, js: &str) -> Result<Value, BrowserError> {
        let params = json!({ "expression": js, "returnByValue": true, "awaitPromise": true, "userGesture": true });
        let res = self.call("Runtime.evaluate", params).await?;
        if let Some(ex) = res.get("exceptionDetails") {
            // Error objects carry a description (message + stack); `throw 42` only a value.
            let text = ex["text"].as_str().unwrap_or("exception");
            let msg = match (
                ex.pointer("/exception/description").and_then(Value::as_str),
                ex.pointer("/exception/value"),
            ) {
                (Some(desc), _) => desc.to_owned(),
                (None, Some(value)) => format!("{text}: {value}"),
                (None, None) => text.to_owned(),
            };
            return Err(BrowserError::Js(msg));
        }
        Ok(res.pointer("/result/value").cloned().unwrap_or(Value::Null))
    }

    /// Set an input's value and fire `input` + `change`. Uses the prototype's value setter so
    /// frameworks that shadow `.value` (React-style) still see the change.
    pub async fn fill(&mut self, css: &str, value: &str) -> Result<(), BrowserError> {
        let body = format!(
            "if (el.disabled || el.readOnly) throw new Error('element ' + sel + ' is disabled or read-only');
             el.focus();
             const d = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), 'value');
             if (d && d.set) d.set.call(el, {v}); else el.value = {v};
             el.dispatchEvent(new Event('input', {{ bubbles: true }}));
             el.dispatchEvent(new Event('change', {{ bubbles: true }}));",
            v = Value::from(value)
        );
        self.eval(&with_element(css, &body)).await.map(drop)
    }

    /// A real (trusted) mouse click at the element's centre, like a user's. Fails instead of
    /// silently clicking something else when the element is hidden, disabled or covered.
    pub async fn click(&mut self, css: &str) -> Result<(), BrowserError> {
        let body = "if (el.disabled) throw new Error('element ' + sel + ' is disabled');
             el.scrollIntoView({ block: 'center', inline: 'center', behavior: 'instant' });
             const r = el.getBoundingClientRect();
             if (r.width === 0 || r.height === 0) throw new Error('element ' + sel + ' is not visible');
             const x = r.left + r.width / 2, y = r.top + r.height / 2;
             const hit = document.elementFromPoint(x, y);
             if (!hit || !(hit === el || el.contains(hit)))
                 throw new Error('element ' + sel + ' is covered by ' + (hit ? hit.outerHTML.slice(0, 120) : 'nothing'));
             return [x, y];";
        let point = self.eval(&with_element(css, body)).await?;
        let (Some(x), Some(y)) = (point[0].as_f64(), point[1].as_f64()) else {
            return Err(BrowserError::Protocol(format!(
                "bad click point for {css}: {point}"
            )));
        };
        for (kind, button, buttons, count) in [
            ("mouseMoved", "none", 0, 0),
            ("mousePressed", "left", 1, 1),
            ("mouseReleased", "left", 0, 1),
        ] {
            let p = json!({ "type": kind, "x": x, "y": y, "button": button, "buttons": buttons, "clickCount": count });
            self.call("Input.dispatchMouseEvent", p).await?;
        }
        Ok(())
    }

    /// Click something that navigates (a submit button, a link) and wait for the new page's load.
    pub async fn click_and_wait_for_navigation(&mut self, css: &str) -> Result<(), BrowserError> {
        self.events.clear();
        self.click(css).await?;
        self.wait_for_load(&format!("a navigation after clicking {css}"))
            .await
    }

    /// Poll until `document.querySelector(css)` finds something.
    pub async fn wait_for(&mut self, css: &str, timeout: Duration) -> Result<(), BrowserError> {
        let deadline = Instant::now() + timeout;
        let probe = format!("!!document.querySelector({})", Value::from(css));
        let mut last_err = String::new();
        loop {
            match self.eval(&probe).await {
                Ok(Value::Bool(true)) => return Ok(()),
                Ok(_) => {}
                // An invalid selector will never match: fail now rather than at the deadline.
                Err(BrowserError::Js(m)) if m.starts_with("SyntaxError") => {
                    return Err(BrowserError::Js(m))
                }
                // Mid-navigation the execution context may be gone; that's transient.
                Err(BrowserError::Js(m) | BrowserError::Protocol(m)) => {
                    last_err = format!(" (last error: {m})")
                }
                Err(e) => return Err(e),
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(BrowserError::Timeout(format!(
                    "no element matched {css} within {timeout:?}{last_err}"
                )));
            }
            sleep(POLL.min(deadline - now)).await;
        }
    }

    /// The element's `innerText` (rendered text, as a user would read it).
    pub async fn text(&mut self, css: &str) -> Result<String, BrowserError> {
        let v = self
            .eval(&with_element(css, "return el.innerText;"))
            .await?;
        v.as_str().map(str::to_owned).ok_or_else(|| {
            BrowserError::Protocol(format!("innerText of {css} is not a string: {v}"))
        })
    }

    pub async fn url(&mut self) -> Result<String, BrowserError> {
        let v = self.eval("location.href").await?;
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| BrowserError::Protocol(format!("location.href is {v}")))
    }

    /// Viewport PNG written to `<target dir>/screenshots/<name>.png` (name sanitised to a file name).
    pub async fn screenshot(&mut self, name: &str) -> Result<PathBuf, BrowserError> {
        let res = self
            .call("Page.captureScreenshot", json!({ "format": "png" }))
            .await?;
        let data = res.get("data").and_then(Value::as_str).ok_or_else(|| {
            BrowserError::Protocol("Page.captureScreenshot returned no data".into())
        })?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| BrowserError::Protocol(format!("screenshot is not valid base64: {e}")))?;
        let dir = target_dir().join("screenshots");
        let file: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!("{file}.png"));
        let io = |e: std::io::Error| BrowserError::Io(format!("writing {}: {e}", path.display()));
        tokio::fs::create_dir_all(&dir).await.map_err(io)?;
        tokio::fs::write(&path, png).await.map_err(io)?;
        Ok(path)
    }

    /// Send one CDP command and wait for the reply with the same `id`, buffering events.
    async fn call(&mut self, method: &str, params: Value) -> Result<Value, BrowserError> {
        self.next_id += 1;
        let id = self.next_id;
        let deadline = Instant::now() + self.timeout;
        let what = format!("the reply to {method} (timeout {:?})", self.timeout);
        let msg = json!({ "id": id, "method": method, "params": params }).to_string();
        match timeout_at(deadline, self.ws.send(Message::text(msg))).await {
            Err(_) => return Err(BrowserError::Timeout(format!("sending {method}"))),
            Ok(Err(e)) => return Err(BrowserError::Connection(format!("sending {method}: {e}"))),
            Ok(Ok(())) => {}
        }
        loop {
            let mut msg = self.next_message(deadline, &what).await?;
            if msg.get("id").and_then(Value::as_u64) != Some(id) {
                self.buffer_event(msg);
                continue;
            }
            if let Some(err) = msg.get("error") {
                return Err(BrowserError::Protocol(format!("{method} failed: {err}")));
            }
            return Ok(msg
                .get_mut("result")
                .map(Value::take)
                .unwrap_or(Value::Null));
        }
    }

    /// Wait for the main frame to commit a new document and then fire `load`. Requiring
    /// `frameNavigated` first means a late load event of the *previous* page can't fool us.
    async fn wait_for_load(&mut self, what: &str) -> Result<(), BrowserError> {
        let deadline = Instant::now() + self.timeout;
        let what = format!("{what} (timeout {:?})", self.timeout);
        let mut navigated = false;
        loop {
            while let Some((method, params)) = self.events.pop_front() {
                match method.as_str() {
                    "Page.frameNavigated" if params.pointer("/frame/parentId").is_none() => {
                        navigated = true
                    }
                    "Page.loadEventFired" if navigated => return Ok(()),
                    _ => {}
                }
            }
            let msg = self.next_message(deadline, &what).await?;
            self.buffer_event(msg);
        }
    }

    fn buffer_event(&mut self, mut msg: Value) {
        // Replies to other ids can't occur (one command in flight at a time); keep events only.
        if let Some(method) = msg.get("method").and_then(Value::as_str).map(str::to_owned) {
            if self.events.len() >= MAX_BUFFERED_EVENTS {
                self.events.pop_front();
            }
            self.events.push_back((
                method,
                msg.get_mut("params")
                    .map(Value::take)
                    .unwrap_or(Value::Null),
            ));
        }
    }

    async fn next_message(&mut self, deadline: Instant, what: &str) -> Result<Value, BrowserError> {
        let closed = || {
            BrowserError::Connection(format!(
                "DevTools connection closed while waiting for {what} (did Chromium crash?)"
            ))
        };
        loop {
            let frame = match timeout_at(deadline, self.ws.next()).await {
                Err(_) => return Err(BrowserError::Timeout(format!("gave up waiting for {what}"))),
                Ok(None) => return Err(closed()),
                Ok(Some(Err(e))) => {
                    return Err(BrowserError::Connection(format!("waiting for {what}: {e}")))
                }
                Ok(Some(Ok(frame))) => frame,
            };
            let parsed = match frame {
                Message::Text(t) => serde_json::from_str(t.as_str()),
                Message::Binary(b) => serde_json::from_slice(&b),
                Message::Close(_) => return Err(closed()),
                _ => continue, // ping/pong: tungstenite answers pings itself
            };
            return parsed
                .map_err(|e| BrowserError::Protocol(format!("malformed CDP message: {e}")));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        shutdown(&mut self.child, &self.profile);
    }
}

/// SIGKILL (the profile is thrown away, so nothing needs a clean shutdown), then delete the
/// profile. Drop can't await, so wait for the exit synchronously but briefly (SIGKILL takes
/// milliseconds) — otherwise Chromium might still be writing into the dir we delete.
fn shutdown(child: &mut Child, profile: &Path) {
    let _ = child.start_kill();
    for _ in 0..200 {
        if !matches!(child.try_wait(), Ok(None)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    remove_dir(profile);
}

fn remove_dir(dir: &Path) {
    // Helper processes may still be exiting and touching files; retry a few times.
    for _ in 0..5 {
        if std::fs::remove_dir_all(dir).is_ok() || !dir.exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Wait for DevTools to come up, find the page target and open its websocket.
async fn connect(child: &mut Child, profile: &Path) -> Result<Ws, BrowserError> {
    let deadline = Instant::now() + DEFAULT_TIMEOUT;
    let log_tail = || {
        let log = std::fs::read_to_string(profile.join("chromium-stderr.log")).unwrap_or_default();
        let start = log.char_indices().rev().nth(2000).map_or(0, |(i, _)| i);
        format!("chromium stderr (tail):\n{}", &log[start..])
    };
    // With --remote-debugging-port=0 Chromium picks a free port and writes it as the first
    // line of DevToolsActivePort: race-free, unlike guessing a port or scraping stderr.
    let port_file = profile.join("DevToolsActivePort");
    let port = loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(BrowserError::Launch(format!(
                "chromium exited during startup ({status}); {}",
                log_tail()
            )));
        }
        let content = tokio::fs::read_to_string(&port_file)
            .await
            .unwrap_or_default();
        if let Some(port) = content
            .lines()
            .next()
            .and_then(|l| l.trim().parse::<u16>().ok())
        {
            break port;
        }
        if Instant::now() >= deadline {
            return Err(BrowserError::Launch(format!(
                "no DevToolsActivePort after {DEFAULT_TIMEOUT:?}; {}",
                log_tail()
            )));
        }
        sleep(POLL).await;
    };
    // The page target can appear slightly after the port file; poll. Note /json/list also
    // lists "browser_ui" targets (omnibox popups), hence the type filter.
    let ws_url = loop {
        let last = match http_get(port, "/json/list", deadline).await {
            Ok(body) => {
                let targets: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                let page = targets
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|t| t["type"] == "page");
                match page.and_then(|t| t["webSocketDebuggerUrl"].as_str()) {
                    Some(url) => break url.to_owned(),
                    None => format!("no page target in {body}"),
                }
            }
            Err(e) => e.to_string(),
        };
        if Instant::now() >= deadline {
            return Err(BrowserError::Launch(format!(
                "no page target on port {port}: {last}"
            )));
        }
        sleep(POLL).await;
    };
    match timeout_at(deadline, tokio_tungstenite::connect_async(ws_url.as_str())).await {
        Err(_) => Err(BrowserError::Launch(format!(
            "timed out connecting to {ws_url}"
        ))),
        Ok(Err(e)) => Err(BrowserError::Launch(format!("connecting to {ws_url}: {e}"))),
        Ok(Ok((ws, _response))) => Ok(ws),
    }
}

/// Tiny HTTP/1.1 GET. Chromium's DevTools server ignores `Connection: close` and keeps the
/// socket open, so reading to EOF would hang: stop once Content-Length bytes have arrived.
async fn http_get(port: u16, path: &str, deadline: Instant) -> Result<String, BrowserError> {
    let io =
        |e: std::io::Error| BrowserError::Io(format!("GET http://127.0.0.1:{port}{path}: {e}"));
    let request = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.map_err(io)?;
        let req =
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
        stream.write_all(req.as_bytes()).await.map_err(io)?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let n = stream.read(&mut chunk).await.map_err(io)?;
            buf.extend_from_slice(&chunk[..n]);
            // Work on bytes: Content-Length counts bytes, and a read may end mid-character.
            if let Some(split) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..split]);
                let body = &buf[split + 4..];
                let len = head.lines().find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                });
                if n == 0 || len.is_some_and(|len| body.len() >= len) {
                    if !head.starts_with("HTTP/1.1 200") {
                        let status = head.lines().next().unwrap_or_default();
                        return Err(BrowserError::Protocol(format!("GET {path}: {status}")));
                    }
                    return Ok(String::from_utf8_lossy(body).into_owned());
                }
            }
            if n == 0 {
                return Err(BrowserError::Protocol(format!(
                    "GET {path}: connection closed mid-response"
                )));
            }
        }
    };
    timeout_at(deadline, request)
        .await
        .map_err(|_| BrowserError::Timeout(format!("GET http://127.0.0.1:{port}{path}")))?
}

/// Wrap `body` in a function where `el` is the element matching `css` (and `sel` its selector),
/// throwing a clear error when nothing matches. The selector is embedded as a JSON string literal.
fn with_element(css: &str, body: &str) -> String {
    format!(
        "(() => {{ const sel = {}; const el = document.querySelector(sel);
           if (!el) throw new Error('no element matches selector ' + sel);
           {body} }})()",
        Value::from(css)
    )
}

/// KEFU_CHROMIUM (a path or a name on PATH), else /usr/bin/chromium, else chromium or
/// chromium-browser on PATH. A KEFU_CHROMIUM that resolves to nothing is a config error.
fn find_chromium() -> Result<Option<PathBuf>, BrowserError> {
    let on_path = |name: &str| {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    };
    if let Some(explicit) = std::env::var_os("KEFU_CHROMIUM").filter(|v| !v.is_empty()) {
        let p = PathBuf::from(&explicit);
        let found = if p.components().count() > 1 {
            p.is_file().then_some(p)
        } else {
            on_path(&p.to_string_lossy())
        };
        return found.map(Some).ok_or_else(|| {
            BrowserError::Launch(format!(
                "KEFU_CHROMIUM={} does not point to a file",
                explicit.to_string_lossy()
            ))
        });
    }
    let debian = PathBuf::from("/usr/bin/chromium");
    if debian.is_file() {
        return Ok(Some(debian));
    }
    Ok(on_path("chromium").or_else(|| on_path("chromium-browser")))
}

/// A fresh, empty user-data-dir so tests never share cookies/cache or fight over a profile lock.
fn fresh_profile_dir() -> Result<PathBuf, BrowserError> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("kefu-chromium-{}-{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            // Left over from a crashed run that had the same pid: try the next number.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 10_000 => continue,
            Err(e) => return Err(BrowserError::Io(format!("creating {}: {e}", dir.display()))),
        }
    }
}

/// CARGO_TARGET_DIR if set (relative paths taken from the workspace root, where cargo is
/// normally run), else `target/` next to the Cargo.lock above this crate.
fn target_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest
        .ancestors()
        .find(|d| d.join("Cargo.lock").is_file())
        .unwrap_or(manifest);
    match std::env::var_os("CARGO_TARGET_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => root.join(dir), // join() keeps an absolute `dir` as is
        None => root.join("target"),
    }
}
