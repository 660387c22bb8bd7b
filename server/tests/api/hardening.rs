//! What one machine acting as an attacker cannot do: reset the limits by changing its device id, push real chats
//! out of the agent's sight, hold sockets or long-polls without bound, or get a 500 out of a busy database.

use std::time::{Duration, Instant};

use frontdesk_server::client_ip::TrustedProxy;
use frontdesk_server::db;
use frontdesk_server::domain::AllowedOrigin;
use frontdesk_server::rate_limit::{AbuseLimitsConfig, RateLimit};
use frontdesk_server::realtime::PollCaps;
use frontdesk_server::startup::{Config, ConnectionLimits};
use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{backend, spawn_app, spawn_app_with, Identity, TestApp};

/// The limits' window: long enough that no bucket refills noticeably while a test runs, however slow the machine.
const A_DAY: Duration = Duration::from_secs(86_400);

fn limits(sessions_per_ip: u32, new_devices_per_ip: u32, unverified_bytes: u32) -> Config {
    Config {
        abuse: AbuseLimitsConfig {
            sessions_per_ip: RateLimit::per(sessions_per_ip, A_DAY),
            new_devices_per_ip: RateLimit::per(new_devices_per_ip, A_DAY),
            new_devices_per_org: RateLimit::per(0, A_DAY),
            sessions_per_org: RateLimit::per(0, A_DAY),
            unverified_bytes_per_org: RateLimit::per(unverified_bytes, Duration::from_secs(3600)),
        },
        ..Config::default()
    }
}

/// Starts `n` chats, each from a brand-new device id, as the flood did; returns the statuses.
async fn flood(app: &TestApp, n: usize, forwarded_for: Option<&str>) -> Vec<u16> {
    let mut statuses = Vec::with_capacity(n);
    for _ in 0..n {
        let who = app.device();
        let mut request = app
            .client
            .post(app.url("/widget/v1/sessions"))
            .header("X-Frontdesk-Widget-Token", who.widget_token.unwrap())
            .header("X-Frontdesk-Device", who.device.unwrap())
            .json(&json!({}));
        if let Some(xff) = forwarded_for {
            request = request.header("X-Forwarded-For", xff);
        }
        let response = request.send().await.unwrap();
        if response.status() == 429 {
            assert!(response.headers().contains_key("retry-after"));
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "rate_limited", "{body}");
            statuses.push(429);
        } else {
            statuses.push(response.status().as_u16());
        }
    }
    statuses
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[tokio::test]
async fn a_flood_of_new_device_ids_from_one_address_is_refused_after_the_limit() {
    let app = spawn_app_with(limits(30, 10, 0)).await;
    let regular = app.device();
    app.start_session_with(&regular, json!({}))
        .await
        .assert_status(201);
    let statuses = flood(&app, 20, None).await;
    assert_eq!(
        (count(&statuses, 201), count(&statuses, 429)),
        (9, 11),
        "{statuses:?}"
    );
    let refused = app.start_session_with(&app.device(), json!({})).await;
    let message = refused.assert_error(429, "rate_limited");
    assert!(message.contains("new devices at this address"), "{message}");
    // A device that already has a chat is no new device: it may start another, up to the address's limit.
    app.start_session_with(&regular, json!({}))
        .await
        .assert_status(201);
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, 11, "nothing stored for a refused start");
}

#[tokio::test]
async fn known_devices_are_bound_by_the_address_limit_too() {
    let app = spawn_app_with(limits(5, 0, 0)).await;
    let who = app.device();
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(
            app.start_session_with(&who, json!({}))
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(statuses, [201, 201, 201, 201, 201, 429, 429, 429]);
}

#[tokio::test]
async fn x_forwarded_for_counts_only_from_a_trusted_proxy() {
    // Without a trusted proxy, a client that writes a new X-Forwarded-For on every request is still one address.
    let app = spawn_app_with(limits(0, 3, 0)).await;
    let mut statuses = Vec::new();
    for n in 0..6 {
        statuses.extend(flood(&app, 1, Some(&format!("198.51.100.{n}"))).await);
    }
    assert_eq!(statuses, [201, 201, 201, 429, 429, 429]);

    // Behind a named proxy (the test client's own address), each forwarded client has its own bucket.
    let config = Config {
        trusted_proxies: vec![TrustedProxy::parse("127.0.0.1").unwrap()],
        ..limits(0, 3, 0)
    };
    let app = spawn_app_with(config).await;
    let first = flood(&app, 4, Some("198.51.100.1")).await;
    let second = flood(&app, 4, Some("198.51.100.2")).await;
    assert_eq!(first, [201, 201, 201, 429]);
    assert_eq!(second, [201, 201, 201, 429]);
}

#[tokio::test]
async fn unverified_custom_data_has_a_quota_per_org() {
    let app = spawn_app_with(limits(0, 0, 40 * 1024)).await;
    let blob = "x".repeat(15 * 1024);
    let body = json!({ "visitor": { "custom_data": { "blob": blob } } });
    let mut replies = Vec::new();
    for _ in 0..3 {
        replies.push(app.start_session_with(&app.device(), body.clone()).await);
    }
    replies[0].assert_status(201);
    replies[1].assert_status(201);
    let message = replies[2].assert_error(429, "unverified_data_quota");
    assert!(message.starts_with("visitor.custom_data:"), "{message}");
    assert!(replies[2].headers.contains_key("retry-after"));
    // A chat without custom data still starts.
    app.start_session_with(&app.device(), json!({}))
        .await
        .assert_status(201);
}

async fn agent_page(app: &TestApp, query: &str) -> Value {
    let reply = app
        .client
        .get(app.url(&format!("/api/sessions{query}")))
        .bearer_auth(&app.org.secret_key)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    reply.json().await.unwrap()
}

fn ids(page: &Value) -> Vec<String> {
    page["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_real_chat_with_a_new_message_is_first_in_the_agent_list_after_a_flood() {
    let app = spawn_app_with(limits(0, 0, 0)).await;
    let customer: Identity = app.device();
    let real = app.start_session(&customer).await;
    app.send(&customer, &real, "hello").await.assert_status(201);
    let spam = flood(&app, 450, None).await;
    assert_eq!(count(&spam, 201), 450);
    let page = agent_page(&app, "").await;
    assert!(!ids(&page).contains(&real), "pushed out by the flood");

    app.send(&customer, &real, "are you there?")
        .await
        .assert_status(201);
    let page = agent_page(&app, "").await;
    assert_eq!(
        ids(&page)[0],
        real,
        "the chat with the new message is first"
    );
    assert_eq!(
        page["sessions"][0]["last_message"]["content"],
        "are you there?"
    );

    // Paging with `before` walks every chat once, most recent activity first.
    let mut seen = Vec::new();
    let mut query = "?limit=100".to_owned();
    loop {
        let page = agent_page(&app, &query).await;
        seen.extend(ids(&page));
        match page["next_before"].as_i64() {
            Some(before) => query = format!("?limit=100&before={before}"),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (451, 451));
    assert_eq!(seen[0], real);

    let reply = app
        .client
        .get(app.url("/api/sessions?limit=0"))
        .bearer_auth(&app.org.secret_key)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 422);
}

fn connection_limits(header_read_timeout: Duration, max_connections: usize) -> Config {
    Config {
        connections: ConnectionLimits {
            header_read_timeout,
            body_read_timeout: Duration::from_secs(1),
            max_connections,
        },
        ..Config::default()
    }
}

fn socket_address(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the socket; returns what it sent and how long that took.
async fn read_until_closed(stream: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let read =
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut received)).await;
    assert!(read.is_ok(), "the server still holds the socket after 10 s");
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn a_socket_that_sends_half_a_header_is_closed_after_the_header_timeout() {
    let app = spawn_app_with(connection_limits(Duration::from_secs(1), 100)).await;
    let mut stream = TcpStream::connect(socket_address(&app)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let (_, after) = read_until_closed(&mut stream).await;
    // Well before read_until_closed's 10 s, with room for a loaded machine.
    assert!(after < Duration::from_secs(8), "closed after {after:?}");
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_header_timeout() {
    let app = spawn_app_with(connection_limits(Duration::from_secs(1), 100)).await;
    let mut stream = TcpStream::connect(socket_address(&app)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (received, after) = read_until_closed(&mut stream).await;
    assert!(received.starts_with("HTTP/1.1 200"), "{received}");
    // Well before read_until_closed's 10 s, with room for a loaded machine.
    assert!(after < Duration::from_secs(8), "closed after {after:?}");
}

#[tokio::test]
async fn a_body_that_trickles_in_gets_408_after_the_body_timeout() {
    let app = spawn_app_with(connection_limits(Duration::from_secs(5), 100)).await;
    let mut stream = TcpStream::connect(socket_address(&app)).await.unwrap();
    let head = format!(
        "POST /widget/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\
         X-Frontdesk-Widget-Token: {}\r\nX-Frontdesk-Device: {}\r\n\r\n{{",
        app.org.widget_token,
        crate::helpers::new_device_id()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut received = vec![0; 4096];
    // One byte a second, as the slow client did, until the server answers.
    let n = loop {
        tokio::select! {
            n = stream.read(&mut received) => break n.unwrap(),
            () = tokio::time::sleep(Duration::from_millis(300)) => {
                let _ = stream.write_all(b" ").await;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no answer");
    };
    let answer = String::from_utf8_lossy(&received[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body_timeout"), "{answer}");
}

#[tokio::test]
async fn past_the_connection_limit_new_connections_get_503_and_the_server_recovers() {
    let app = spawn_app_with(connection_limits(Duration::from_secs(5), 2)).await;
    let idle: Vec<TcpStream> = futures_connect(&app, 2).await;
    // The server counts the idle two once it has accepted them; ask until it has (a fresh client each time,
    // so no pooled connection of ours is among them).
    let started = Instant::now();
    let reply = loop {
        let reply = reqwest::Client::new()
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap();
        if reply.status() == 503 {
            break reply;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "never refused");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(reply.headers().contains_key("retry-after"));
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["error"]["code"], "server_busy", "{body}");
    drop(idle);
    let started = Instant::now();
    loop {
        let reply = reqwest::Client::new().get(app.url("/healthz")).send().await;
        if reply.is_ok_and(|r| r.status() == 200) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never recovered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The real binary under a low open-file limit: `max_connections` (4096 by default) is lowered to fit, so the
/// connection past it still gets its 503 instead of `accept` failing for want of a file descriptor.
#[tokio::test]
async fn under_a_low_open_file_limit_the_connection_past_the_limit_still_gets_503() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("fd.db").display());
    let mut server = std::process::Command::new("bash")
        .args([
            "-c",
            r#"ulimit -n 300 && exec "$0" serve --addr 127.0.0.1:0 --database "$1""#,
            env!("CARGO_BIN_EXE_frontdesk-server"),
            &database,
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(server.stderr.take().unwrap());
    let _server = KillOnDrop(server);
    let (lines, seen) = std::sync::mpsc::channel();
    // Drained to the end, or the server would block writing its log.
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let mut log = Vec::new();
    let address = loop {
        let line = seen
            .recv_timeout(Duration::from_secs(20))
            .expect("the server starts");
        log.push(line.clone());
        if let Some((_, address)) = line.split_once("listening on http://") {
            break address.trim().to_owned();
        }
    };
    let mut held = Vec::new();
    for _ in 0..225 {
        held.push(TcpStream::connect(&address).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut extra = TcpStream::connect(&address).await.unwrap();
    extra
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (answer, _) = read_until_closed(&mut extra).await;
    log.extend(seen.try_iter());
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("server_busy"), "{answer}");
    assert!(log.iter().any(|l| l.contains("using 225")), "{log:#?}");
    drop(held);
}

/// Stops a server process however its test ends, so a failed assertion does not leave it running.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn futures_connect(app: &TestApp, n: usize) -> Vec<TcpStream> {
    let mut streams = Vec::new();
    for _ in 0..n {
        streams.push(TcpStream::connect(socket_address(app)).await.unwrap());
    }
    streams
}

#[tokio::test]
async fn long_polls_are_capped_per_visitor_and_per_address() {
    let config = Config {
        long_polls: PollCaps {
            per_identity: 2,
            per_address: 3,
        },
        ..Config::default()
    };
    let app = std::sync::Arc::new(spawn_app_with(config).await);
    // One round: these long-polls at once, each held 5 s (no message comes), long enough that all of a round
    // overlap however slow the machine. Which of them is refused depends on arrival order; how many does not.
    let round = |who: Vec<Identity>| {
        let app = app.clone();
        async move {
            let polls: Vec<_> = who
                .into_iter()
                .map(|who| {
                    let app = app.clone();
                    tokio::spawn(async move { app.updates(&who, 0, 5).await })
                })
                .collect();
            let mut replies = Vec::new();
            for poll in polls {
                replies.push(poll.await.unwrap());
            }
            replies
                .into_iter()
                .partition::<Vec<_>, _>(|r| r.status == 429)
        }
    };

    // Three tabs of one visitor, two allowed.
    let tab = app.device();
    let (refused, held) = round(vec![tab.clone(), tab.clone(), tab.clone()]).await;
    assert_eq!((refused.len(), held.len()), (1, 2), "{refused:#?}");
    let message = refused[0].assert_error(429, "too_many_long_polls");
    assert!(message.contains("visitor"), "{message}");
    assert!(refused[0].headers.contains_key("retry-after"));
    for reply in &held {
        reply.assert_status(200);
    }

    // Four visitors at one address, three allowed: a new device id does not lift the address's cap.
    let (refused, held) = round((0..4).map(|_| app.device()).collect()).await;
    assert_eq!((refused.len(), held.len()), (1, 3), "{refused:#?}");
    let message = refused[0].assert_error(429, "too_many_long_polls");
    assert!(message.contains("client address"), "{message}");

    // Once answered, they no longer count.
    app.updates(&tab, 0, 0).await.assert_status(200);
}

#[tokio::test]
async fn a_locked_database_answers_503_with_retry_after_and_requests_succeed_once_it_is_released() {
    use sqlx::Connection;
    let app = spawn_app().await;
    app.request(Method::GET, "/readyz").await.assert_status(200);
    // Another process holds the write lock for longer than the server's busy (SQLite) or lock (Postgres) timeout.
    let mut other = sqlx::AnyConnection::connect(&app.db_url).await.unwrap();
    let lock = match backend() {
        db::Backend::Sqlite => {
            "BEGIN EXCLUSIVE; INSERT INTO readiness (slot, checked_at) VALUES (1, 0) ON CONFLICT DO NOTHING;"
        }
        db::Backend::Postgres => "BEGIN; LOCK TABLE sessions, readiness IN ACCESS EXCLUSIVE MODE;",
    };
    sqlx::raw_sql(lock).execute(&mut other).await.unwrap();

    let reply = app.start_session_with(&app.device(), json!({})).await;
    let message = reply.assert_error(503, "database_unavailable");
    assert!(message.contains("retry"), "{message}");
    assert_eq!(reply.headers["retry-after"], "5");
    app.request(Method::GET, "/readyz")
        .await
        .assert_error(503, "database_unavailable");
    app.request(Method::GET, "/healthz")
        .await
        .assert_status(200);

    sqlx::raw_sql("ROLLBACK").execute(&mut other).await.unwrap();
    for _ in 0..5 {
        app.start_session_with(&app.device(), json!({}))
            .await
            .assert_status(201);
    }
    app.request(Method::GET, "/readyz").await.assert_status(200);
}

#[tokio::test]
async fn a_path_over_255_bytes_answers_414_not_500() {
    let public = tempfile::tempdir().unwrap();
    std::fs::write(public.path().join("widget.js"), "x").unwrap();
    let app = spawn_app_with(Config {
        public_dir: Some(public.path().to_owned()),
        ..Config::default()
    })
    .await;
    for path in [
        format!("/{}", "a".repeat(300)),
        format!("/{}", "b/".repeat(30_000)),
    ] {
        app.request(Method::GET, &path)
            .await
            .assert_error(414, "uri_too_long");
    }
    app.request(Method::GET, &format!("/{}", "a".repeat(200)))
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn the_agent_api_sends_no_cors_headers_and_the_widget_api_still_does() {
    let app = spawn_app().await;
    let preflight = |path: &str| {
        app.client
            .request(Method::OPTIONS, app.url(path))
            .header("Origin", "null")
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "authorization")
            .send()
    };
    let api = preflight("/api/sessions").await.unwrap();
    assert!(
        !api.headers().contains_key("access-control-allow-origin"),
        "{:?}",
        api.headers()
    );
    let widget = preflight("/widget/v1/sessions").await.unwrap();
    assert_eq!(widget.headers()["access-control-allow-origin"], "null");

    let listed = app
        .client
        .get(app.url("/api/sessions"))
        .bearer_auth(&app.org.secret_key)
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    assert!(!listed.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn an_origin_named_with_agent_api_origin_may_call_the_agent_api() {
    let app = spawn_app_with(Config {
        agent_api_origins: vec![AllowedOrigin::parse("https://admin.example").unwrap()],
        ..Config::default()
    })
    .await;
    let from = |origin: &str| {
        app.client
            .get(app.url("/api/sessions"))
            .bearer_auth(&app.org.secret_key)
            .header("Origin", origin.to_owned())
            .send()
    };
    let named = from("https://admin.example").await.unwrap();
    assert_eq!(
        named.headers()["access-control-allow-origin"],
        "https://admin.example"
    );
    let other = from("https://evil.example").await.unwrap();
    assert!(!other.headers().contains_key("access-control-allow-origin"));
}

fn widget_build(dir: &std::path::Path) -> String {
    use sha2::{Digest, Sha256};
    let js = b"export default function init() {}\n".repeat(50);
    let wasm = [0u8, 97, 115, 109, 1, 0, 0, 0].repeat(100);
    std::fs::write(dir.join("frontdesk.js"), &js).unwrap();
    std::fs::write(dir.join("frontdesk_bg.wasm"), &wasm).unwrap();
    std::fs::write(dir.join("widget.js"), "window.Frontdesk = {};").unwrap();
    // As scripts/build.sh: `cat frontdesk.js frontdesk_bg.wasm | sha256sum | cut -c1-12`.
    let digest = Sha256::new()
        .chain_update(&js)
        .chain_update(&wasm)
        .finalize();
    digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..12]
        .to_owned()
}

#[tokio::test]
async fn only_the_real_content_hash_is_cached_immutable_and_every_answer_says_nosniff() {
    let public = tempfile::tempdir().unwrap();
    let version = widget_build(public.path());
    let app = spawn_app_with(Config {
        public_dir: Some(public.path().to_owned()),
        ..Config::default()
    })
    .await;
    let cache = |path: String| {
        let app = &app;
        async move {
            let reply = app.client.get(app.url(&path)).send().await.unwrap();
            assert_eq!(reply.status(), 200, "{path}");
            assert_eq!(
                reply.headers()["x-content-type-options"],
                "nosniff",
                "{path}"
            );
            reply.headers()["cache-control"]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    for file in ["frontdesk.js", "frontdesk_bg.wasm"] {
        assert_eq!(
            cache(format!("/{file}?v={version}")).await,
            "public, max-age=31536000, immutable"
        );
        assert_eq!(cache(format!("/{file}?v=0123abcd0123")).await, "no-cache");
    }
    assert_eq!(cache(format!("/widget.js?v={version}")).await, "no-cache");
    for path in ["/healthz", "/api/sessions", "/nope"] {
        let reply = app.request(Method::GET, path).await;
        assert_eq!(reply.headers["x-content-type-options"], "nosniff", "{path}");
    }
}

#[tokio::test]
async fn a_chat_start_client_id_used_by_another_visitor_reveals_nothing() {
    let app = spawn_app().await;
    let (alice, mallory) = (app.device(), app.device());
    let body = json!({ "client_id": "c_shared_0001" });
    let alices = app.start_session_with(&alice, body.clone()).await;
    let alices = alices.assert_status(201)["session"]["id"].clone();
    let mallorys = app.start_session_with(&mallory, body.clone()).await;
    let mallorys = mallorys.assert_status(201)["session"]["id"].clone();
    assert_ne!(alices, mallorys, "a chat of mallory's own, not alice's");
    // Each one's retry still finds its own chat.
    let retry = app.start_session_with(&alice, body.clone()).await;
    assert_eq!(retry.assert_status(200)["session"]["id"], alices);
    let retry = app.start_session_with(&mallory, body).await;
    assert_eq!(retry.assert_status(200)["session"]["id"], mallorys);
}

#[tokio::test]
async fn a_duplicate_json_key_is_named() {
    let app = spawn_app().await;
    let who = app.device();
    let reply = app
        .client
        .post(app.url("/widget/v1/sessions"))
        .header("X-Frontdesk-Widget-Token", who.widget_token.unwrap())
        .header("X-Frontdesk-Device", who.device.unwrap())
        .header("Content-Type", "application/json")
        .body(r#"{"visitor":{"name":"Ada","name":"Eve"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 422);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_body");
    assert_eq!(
        body["error"]["message"],
        "visitor.name: given twice (each key may appear once in an object)"
    );
}
