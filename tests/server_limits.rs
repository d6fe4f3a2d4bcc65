//! `hearth serve`'s listener under abuse (issue 17, "a server that sheds
//! abuse"): the app's router served by `hearth::app::listener`, as `serve`
//! serves it, with small limits set through the same variables, and raw
//! TCP clients that misbehave.

use hearth::app::listener::{ServerLimits, serve_listener};
use hearth_tests::TestApp;
use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The test app's router on a second port, under `pairs` as limits.
async fn listener(t: &TestApp, pairs: &[(&str, &str)]) -> String {
    let env: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let limits = ServerLimits::from_env(|k| env.get(k).cloned()).expect("limits");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let router = hearth::http::router(t.app.clone());
    tokio::spawn(serve_listener(
        listener,
        router,
        limits,
        std::future::pending(),
    ));
    addr
}

/// Read until the server closes the connection (or `within` passes):
/// what it sent, and whether it closed.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return (String::from_utf8_lossy(&got).into(), false),
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&got).into(), true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

fn status_and_json(response: &str) -> (u16, Value) {
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {response:?}"));
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("");
    let json = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {response:?}"));
    (status, json)
}

#[tokio::test]
async fn slowloris_connections_are_closed_within_the_header_timeout() {
    let t = TestApp::start().await;
    let addr = listener(&t, &[("HEARTH_HEADER_TIMEOUT_SECS", "0.5")]).await;
    let started = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .expect("half a header");
        slow.push(s);
    }
    for s in &mut slow {
        let (_, closed) = read_until_closed(s, Duration::from_secs(3)).await;
        assert!(closed, "a half-sent header kept its connection open");
    }
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(400),
        "closed before the timeout: {took:?}"
    );
    assert!(took < Duration::from_secs(3), "closed too late: {took:?}");
}

#[tokio::test]
async fn a_trickling_body_is_cut_at_the_body_timeout() {
    let t = TestApp::start().await;
    let addr = listener(&t, &[("HEARTH_BODY_TIMEOUT_SECS", "0.5")]).await;
    let token = t.token("ana");
    let mut s = TcpStream::connect(&addr).await.expect("connect");
    let head = format!(
        "POST /v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{{\"mess"
    );
    s.write_all(head.as_bytes()).await.expect("write");
    let started = Instant::now();
    let (response, closed) = read_until_closed(&mut s, Duration::from_secs(4)).await;
    assert!(closed, "the connection waited on the body: {response:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    let (status, json) = status_and_json(&response);
    assert!((400..500).contains(&status), "{response}");
    assert!(json["error"]["code"].is_string(), "{json}");
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_at_the_idle_timeout() {
    let t = TestApp::start().await;
    let addr = listener(
        &t,
        &[
            ("HEARTH_HEADER_TIMEOUT_SECS", "30"),
            ("HEARTH_IDLE_TIMEOUT_SECS", "0.4"),
        ],
    )
    .await;
    let mut s = TcpStream::connect(&addr).await.expect("connect");
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).await.expect("response");
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // Kept alive, then nothing more is sent.
    let (_, closed) = read_until_closed(&mut s, Duration::from_secs(3)).await;
    assert!(closed, "an idle connection stayed open");
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_the_body() {
    let t = TestApp::start().await;
    let addr = listener(&t, &[]).await;
    let token = t.token("ana");
    for (path, length) in [("/v1/chat", 10_000_000u64), ("/v1/import", 100_000_000)] {
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
        );
        s.write_all(head.as_bytes()).await.expect("write");
        // No body is sent: the answer must not wait for one.
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf))
            .await
            .expect("413 without waiting for the body")
            .expect("read");
        let (status, json) = status_and_json(&String::from_utf8_lossy(&buf[..n]));
        assert_eq!(status, 413, "{path}: {json}");
        assert_eq!(json["error"]["code"], "too_large");
    }
}

#[tokio::test]
async fn connections_past_the_cap_get_a_json_503_and_a_freed_slot_serves_again() {
    let t = TestApp::start().await;
    let addr = listener(&t, &[("HEARTH_MAX_CONNECTIONS", "3")]).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(&addr).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut extra = TcpStream::connect(&addr).await.expect("connect");
    let _ = extra
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let (response, closed) = read_until_closed(&mut extra, Duration::from_secs(2)).await;
    assert!(closed, "{response}");
    let (status, json) = status_and_json(&response);
    assert_eq!(status, 503, "{response}");
    assert_eq!(json["error"]["code"], "overloaded");
    assert!(response.to_ascii_lowercase().contains("retry-after: 1"));

    drop(held.pop());
    let mut answered = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut s = TcpStream::connect(&addr).await.expect("connect");
        let _ = s
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await;
        let (response, _) = read_until_closed(&mut s, Duration::from_secs(2)).await;
        if response.starts_with("HTTP/1.1 200") {
            answered = true;
            break;
        }
    }
    assert!(answered, "the freed slot was never reused");
}
