//! Smoke test for the CDP driver: a real Chromium fills and submits a form served by a
//! throwaway HTTP responder, then we read the result page and take a screenshot.

use std::time::Duration;

use kefu_testkit::browser::{Browser, BrowserError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const FORM_PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>Greeter</title></head>
<body>
  <form action="/hello" method="get">
    <label for="name">Name</label> <input id="name" name="name" autocomplete="off">
    <button id="go" type="submit">Greet me</button>
  </form>
</body></html>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fill_submit_read_and_screenshot() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("local addr"));
    let server = tokio::spawn(serve(listener));

    let Some(mut browser) = Browser::launch().await.expect("launch chromium") else {
        return; // no Chromium here; launch() already printed a loud skip message
    };

    browser.goto(&format!("{base}/")).await.expect("goto form");
    assert_eq!(
        browser.eval("document.title").await.expect("title"),
        "Greeter"
    );

    // Exercise URL-encoding, HTML-escaping and non-ASCII all the way through.
    let name = "Ada <Lovelace> & Zoë";
    browser.fill("#name", name).await.expect("fill");
    assert_eq!(
        browser
            .eval("document.querySelector('#name').value")
            .await
            .expect("value"),
        name
    );

    browser
        .click_and_wait_for_navigation("#go")
        .await
        .expect("submit");
    browser
        .wait_for("#greeting", Duration::from_secs(5))
        .await
        .expect("greeting appears");
    let text = browser.text("#greeting").await.expect("text");
    assert!(
        text.contains(&format!("Hello, {name}")),
        "unexpected greeting: {text:?}"
    );
    let url = browser.url().await.expect("url");
    assert!(
        url.starts_with(&format!("{base}/hello?name=")),
        "unexpected url: {url}"
    );

    // Errors are reported, not hung on.
    match browser.eval("Promise.reject(new Error('boom'))").await {
        Err(BrowserError::Js(msg)) => assert!(msg.contains("boom"), "{msg}"),
        other => panic!("expected a JS error, got {other:?}"),
    }
    match browser.click("#does-not-exist").await {
        Err(BrowserError::Js(msg)) => assert!(msg.contains("#does-not-exist"), "{msg}"),
        other => panic!("expected a missing-element error, got {other:?}"),
    }
    match browser.wait_for("#never", Duration::from_millis(300)).await {
        Err(BrowserError::Timeout(msg)) => assert!(msg.contains("#never"), "{msg}"),
        other => panic!("expected a timeout, got {other:?}"),
    }

    let path = browser
        .screenshot("browser_smoke")
        .await
        .expect("screenshot");
    let png = std::fs::read(&path).expect("screenshot file exists");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "not a PNG: {}",
        path.display()
    );

    drop(browser);
    server.abort();
}

/// Just enough HTTP/1.1 for a browser: one request per connection, then close.
async fn serve(listener: TcpListener) {
    while let Ok((socket, _)) = listener.accept().await {
        tokio::spawn(respond(socket));
    }
}

async fn respond(mut socket: TcpStream) {
    let mut request = Vec::new();
    let mut chunk = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&chunk[..n]),
        }
    }
    let request = String::from_utf8_lossy(&request);
    let target = request.split_whitespace().nth(1).unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let (status, body) = match path {
        "/" => ("200 OK", FORM_PAGE.to_owned()),
        "/hello" => {
            let name = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("name="))
                .map(form_decode)
                .unwrap_or_default();
            let body = format!(
                "<!doctype html><html><head><meta charset=\"utf-8\"><title>Hello</title></head>\
                 <body><h1 id=\"greeting\">Hello, {}</h1></body></html>",
                html_escape(&name)
            );
            ("200 OK", body)
        }
        _ => ("404 Not Found", "not found".to_owned()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = socket.write_all(response.as_bytes()).await;
    let _ = socket.shutdown().await;
}

/// application/x-www-form-urlencoded value: '+' is a space, %XX are UTF-8 bytes.
fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
