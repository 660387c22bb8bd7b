//! Signed webhooks (docs/api.md "Webhooks") against real receivers on loopback started by the tests: signatures
//! checked in Rust and with the documented Node and Python recipes, a receiver that is down, one that hangs, the
//! server killed with SIGKILL mid-queue, two instances on one Postgres database, the address guard, and the bot of
//! `examples/webhook-bot` answering a visitor.

use std::collections::{BTreeSet, HashMap};
use std::io::BufRead;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use frontdesk_server::startup::Config;
use frontdesk_server::webhooks::WebhookConfig;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::helpers::{backend, spawn_app_with, spawn_instance_beside, TestApp, TestDatabase};

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk-server");
const ALL_EVENTS: [&str; 5] = [
    "session.created",
    "message.created",
    "session.resolved",
    "csat.submitted",
    "contact.updated",
];

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    signature: String,
    event: String,
    delivery: String,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a delivery is JSON")
    }

    fn event_id(&self) -> String {
        self.json()["id"].as_str().unwrap().to_owned()
    }
}

/// How a receiver answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Answer,
    /// Holds every request until [`Receiver::release`] (then answers 200).
    Hang,
    /// Answers 200 after this many milliseconds.
    Slow(u64),
}

/// A webhook receiver on 127.0.0.1: records every request.
struct Receiver {
    address: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    released: watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(behaviour: Behaviour) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::on(listener, behaviour)
    }

    fn on(listener: tokio::net::TcpListener, behaviour: Behaviour) -> Self {
        let address = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let (released, release) = watch::channel(false);
        let log = received.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let log = log.clone();
                let mut release = release.clone();
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    log.lock().unwrap().push(Received {
                        signature: header("frontdesk-signature"),
                        event: header("frontdesk-event"),
                        delivery: header("frontdesk-delivery"),
                        body: String::from_utf8(body.to_vec()).unwrap(),
                    });
                    match behaviour {
                        Behaviour::Answer => {}
                        Behaviour::Hang => {
                            let _ = release.wait_for(|released| *released).await;
                        }
                        Behaviour::Slow(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
                    }
                    StatusCode::OK
                }
            }),
        );
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            address,
            received,
            released,
            server,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.address)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    fn release(&self) {
        self.released.send_replace(true);
    }

    /// Waits until `pred` holds for what was received (at most `secs`), and returns it.
    async fn wait_for(&self, secs: u64, pred: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        for _ in 0..secs * 10 {
            let got = self.received();
            if pred(&got) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the receiver did not get what was expected within {secs} s; it got {:#?}",
            self.received()
        );
    }

    /// Waits until `n` distinct events arrived.
    async fn wait_for_events(&self, n: usize, secs: u64) -> Vec<Received> {
        self.wait_for(secs, |got| distinct_events(got).len() >= n)
            .await
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn distinct_events(got: &[Received]) -> BTreeSet<String> {
    got.iter().map(Received::event_id).collect()
}

/// A port with nothing listening on it (for now): bound, then let go.
async fn free_port() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

fn webhook_config() -> WebhookConfig {
    WebhookConfig {
        allow_private: true,
        ..WebhookConfig::default()
    }
}

async fn spawn_app_allowing_loopback() -> TestApp {
    spawn_app_with(Config {
        webhooks: webhook_config(),
        ..Config::default()
    })
    .await
}

/// Registers `url` for `events` through the admin API; returns the endpoint's id and secret.
async fn add_endpoint(app: &TestApp, url: &str, events: &[&str]) -> (i64, String) {
    let reply = app
        .agent_post(
            &app.org.secret_key,
            "/api/admin/webhooks",
            json!({ "url": url, "events": events }),
        )
        .await;
    let body = reply.assert_status(201);
    (
        body["endpoint"]["id"].as_i64().unwrap(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

/// The signature check, in Rust, as docs/api.md describes it.
fn verifies(secret: &str, received: &Received) -> bool {
    use hmac::{Hmac, Mac};
    let parts: HashMap<&str, &str> = received
        .signature
        .split(',')
        .filter_map(|p| p.split_once('='))
        .collect();
    let (Some(t), Some(v1)) = (parts.get("t"), parts.get("v1")) else {
        return false;
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", received.body).as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    expected == *v1
}

/// The first fenced block of `language` in docs/api.md's "Webhooks" section: the recipe receivers copy.
fn documented_recipe(language: &str) -> String {
    let docs = include_str!("../../../docs/api.md");
    let section = docs
        .split("\n## Webhooks")
        .nth(1)
        .expect("docs/api.md has a Webhooks section");
    let fence = format!("```{language}\n");
    let start = section.find(&fence).expect("a recipe in that language") + fence.len();
    let end = start + section[start..].find("```").unwrap();
    section[start..end].to_owned()
}

/// Runs the documented recipe of `language` on a delivery; whether it accepted it.
fn recipe_accepts(language: &str, secret: &str, received: &Received) -> bool {
    let recipe = documented_recipe(language);
    let (program, args) = match language {
        "js" => (
            "node",
            vec![
                "--input-type=module".to_owned(),
                "-e".to_owned(),
                format!(
                    "{recipe}\nprocess.exit(verify(process.env.SECRET, process.env.SIGNATURE, process.env.BODY) ? 0 : 1);"
                ),
            ],
        ),
        "python" => (
            "python3",
            vec![
                "-c".to_owned(),
                format!(
                    "{recipe}\nimport os, sys\nsys.exit(0 if verify(os.environ['SECRET'], os.environ['SIGNATURE'], os.environ['BODY'].encode()) else 1)"
                ),
            ],
        ),
        other => panic!("no runner for {other}"),
    };
    let out = Command::new(program)
        .args(args)
        .env("SECRET", secret)
        .env("SIGNATURE", &received.signature)
        .env("BODY", &received.body)
        .output()
        .unwrap_or_else(|e| panic!("{program} runs: {e}"));
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{program} failed to run the recipe: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.status.success()
}

#[tokio::test]
async fn every_event_is_delivered_signed_and_the_documented_recipes_verify_it() {
    let app = spawn_app_allowing_loopback().await;
    let receiver = Receiver::start(Behaviour::Answer).await;
    let (endpoint, secret) = add_endpoint(&app, &receiver.url(), &ALL_EVENTS).await;
    assert!(
        secret.starts_with("whsec_") && secret.len() == 54,
        "{secret}"
    );

    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    app.send(&visitor, &session, "hello, anyone?")
        .await
        .assert_status(201);
    app.agent_reply(&app.org.secret_key, &session, "Hi! How can I help?")
        .await
        .assert_status(201);
    app.agent_post(
        &app.org.secret_key,
        &format!("/api/sessions/{session}/resolve"),
        json!({}),
    )
    .await
    .assert_status(200);
    app.widget_post(
        &visitor,
        &format!("/widget/v1/sessions/{session}/rating"),
        json!({ "score": 5, "comment": "quick" }),
    )
    .await
    .assert_status(201);
    // A new contact, the same profile again (no event), then a changed name.
    app.token_for(json!({ "email": "ada@example.com", "name": "Ada" }))
        .await;
    app.token_for(json!({ "email": "ada@example.com", "name": "Ada" }))
        .await;
    app.token_for(json!({ "email": "ada@example.com", "name": "Ada L." }))
        .await;

    let got = receiver.wait_for_events(7, 20).await;
    let types: Vec<String> = got
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect();
    for t in ALL_EVENTS {
        assert!(types.iter().any(|x| x == t), "{t} delivered: {types:?}");
    }
    for r in &got {
        let body = r.json();
        assert_eq!(r.event, body["type"], "Frontdesk-Event names the type");
        assert!(r.delivery.parse::<i64>().is_ok(), "{r:?}");
        assert!(body["id"].as_str().unwrap().starts_with("evt_"));
        assert!(body["created_at"].as_str().unwrap().ends_with('Z'));
        assert!(
            verifies(&secret, r),
            "the signature verifies in Rust: {r:?}"
        );
    }
    let by_type = |t: &str| -> Vec<Value> {
        got.iter()
            .map(Received::json)
            .filter(|b| b["type"] == t)
            .map(|b| b["data"].clone())
            .collect()
    };
    let messages = by_type("message.created");
    let authors: Vec<&str> = messages
        .iter()
        .map(|d| d["message"]["author"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert!(
        authors.contains(&"visitor") && authors.contains(&"agent"),
        "{authors:?}"
    );
    for d in &messages {
        assert_eq!(d["session"]["id"], session.as_str());
        assert_eq!(d["message"]["session_id"], session.as_str());
    }
    assert_eq!(by_type("session.created")[0]["session"]["verified"], false);
    let resolved = &by_type("session.resolved")[0];
    assert_eq!(resolved["message"]["kind"], "resolved");
    assert_eq!(resolved["message"]["author"], "agent");
    let rating = &by_type("csat.submitted")[0];
    assert_eq!(rating["rating"], json!({ "score": 5, "comment": "quick" }));
    let contacts = by_type("contact.updated");
    assert_eq!(
        contacts.len(),
        2,
        "an unchanged profile is no event: {contacts:#?}"
    );
    assert_eq!(contacts[0]["created"], true);
    assert_eq!(contacts[0]["contact"]["email"], "ada@example.com");
    let changed = contacts.iter().find(|c| c["created"] == false).unwrap();
    assert_eq!(changed["changed"], json!(["name"]));
    assert_eq!(changed["contact"]["name"], "Ada L.");

    // The documented recipes accept a real delivery and refuse it once its body or secret is changed.
    let sample = got.iter().find(|r| r.event == "message.created").unwrap();
    let mut tampered = sample.clone();
    tampered.body = tampered.body.replacen("hello", "HELLO", 1);
    for language in ["js", "python"] {
        assert!(
            recipe_accepts(language, &secret, sample),
            "{language} accepts"
        );
        assert!(
            !recipe_accepts(language, &secret, &tampered),
            "{language} refuses a changed body"
        );
        assert!(
            !recipe_accepts(language, "whsec_wrong", sample),
            "{language} refuses another secret"
        );
    }
    // An old timestamp is refused by the recipes (a replayed capture).
    let mut old = sample.clone();
    let (_, v1) = old.signature.split_once(",v1=").unwrap();
    let stale = time_now() - 3_600;
    let mut mac =
        <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(secret.as_bytes()).unwrap();
    hmac::Mac::update(&mut mac, format!("{stale}.{}", old.body).as_bytes());
    let resigned: String = hmac::Mac::finalize(mac)
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_ne!(resigned, v1);
    old.signature = format!("t={stale},v1={resigned}");
    assert!(verifies(&secret, &old), "well signed, only old");
    for language in ["js", "python"] {
        assert!(
            !recipe_accepts(language, &secret, &old),
            "{language} refuses an hour-old timestamp"
        );
    }

    // Listed with their attempts, through the admin API, once the last answers are recorded.
    let deliveries = loop {
        let list = app
            .agent_get(
                &app.org.secret_key,
                &format!("/api/admin/webhooks/deliveries?endpoint={endpoint}"),
            )
            .await;
        let deliveries = list.assert_status(200)["deliveries"]
            .as_array()
            .unwrap()
            .clone();
        if deliveries.iter().all(|d| d["state"] != "pending") {
            break deliveries;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(deliveries.len(), 7);
    for d in &deliveries {
        assert_eq!(d["state"], "delivered", "{d:#}");
        assert_eq!(d["attempt_log"][0]["status"], 200);
        assert!(d["attempt_log"][0]["latency_ms"].is_i64());
    }
}

fn time_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn a_receiver_that_is_down_gets_every_delivery_later_once() {
    let app = spawn_app_allowing_loopback().await;
    let port = free_port().await;
    let url = format!("http://{port}/hook");
    add_endpoint(&app, &url, &["message.created"]).await;
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    let mut sent = BTreeSet::new();
    for i in 0..10 {
        let reply = app.send(&visitor, &session, &format!("m{i}")).await;
        sent.insert(reply.assert_status(201)["message"]["id"].as_i64().unwrap());
    }
    // The first attempts fail (nothing listens): they are logged and the deliveries wait for their retry.
    let failing = loop {
        let list = app
            .agent_get(&app.org.secret_key, "/api/admin/webhooks/deliveries")
            .await;
        let deliveries = list.assert_status(200)["deliveries"]
            .as_array()
            .unwrap()
            .clone();
        if deliveries.len() == 10 && deliveries.iter().all(|d| d["attempts"].as_i64() >= Some(1)) {
            break deliveries;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for d in &failing {
        assert_eq!(d["state"], "pending", "{d:#}");
        assert_eq!(d["attempt_log"][0]["status"], Value::Null);
        assert!(
            d["attempt_log"][0]["error"]
                .as_str()
                .unwrap()
                .contains("onnect"),
            "{d:#}"
        );
        assert!(d["next_attempt_at"].is_string());
    }

    let receiver = Receiver::on(
        tokio::net::TcpListener::bind(port).await.unwrap(),
        Behaviour::Answer,
    );
    receiver.wait_for_events(10, 30).await;
    // Long enough for a duplicate to show, were one coming: a retry is due within a second of a failure.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let got = receiver.received();
    let ids: BTreeSet<i64> = got
        .iter()
        .map(|r| r.json()["data"]["message"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, sent, "every message's delivery arrived");
    assert_eq!(got.len(), 10, "each once");
}

#[tokio::test]
async fn a_receiver_that_hangs_does_not_hold_up_sends() {
    let app = spawn_app_with(Config {
        webhooks: WebhookConfig {
            timeout: Duration::from_secs(3),
            ..webhook_config()
        },
        ..Config::default()
    })
    .await;
    let receiver = Receiver::start(Behaviour::Hang).await;
    add_endpoint(&app, &receiver.url(), &["message.created"]).await;
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    app.send(&visitor, &session, "first")
        .await
        .assert_status(201);
    // The worker's request is held by the receiver, unanswered …
    receiver.wait_for(10, |got| !got.is_empty()).await;
    // … while every send is stored and answered. Sent one after another, so each waits for the one before: 40 of
    // them far outlast any hold-up a worker request could cause. (Agent replies: a visitor's sends are rate-limited.)
    for i in 0..40 {
        app.agent_reply(&app.org.secret_key, &session, &format!("m{i}"))
            .await
            .assert_status(201);
    }
    let hung = receiver.received().len();
    assert!(
        hung >= 1,
        "the receiver was holding requests while the sends went through"
    );
    assert!(
        !*receiver.released.borrow(),
        "and had answered none of them"
    );
    receiver.release();
    let got = receiver.wait_for_events(41, 60).await;
    assert_eq!(distinct_events(&got).len(), 41);
}

#[tokio::test]
async fn the_address_guard_refuses_private_addresses_without_the_switch() {
    let app = crate::helpers::spawn_app().await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/hook",
        "http://localhost:9/hook",
    ] {
        let reply = app
            .agent_post(
                &app.org.secret_key,
                "/api/admin/webhooks",
                json!({ "url": url, "events": ["message.created"] }),
            )
            .await;
        let message = reply.assert_error(422, "webhook_url_not_allowed");
        assert!(message.contains("--allow-private-webhooks"), "{message}");
    }
    let reply = app
        .agent_post(
            &app.org.secret_key,
            "/api/admin/webhooks",
            json!({ "url": "ftp://example.com/", "events": ["message.created"] }),
        )
        .await;
    reply.assert_error(422, "invalid_body");
    let reply = app
        .agent_post(
            &app.org.secret_key,
            "/api/admin/webhooks",
            json!({ "url": "https://example.com/", "events": ["message.sent"] }),
        )
        .await;
    assert!(reply
        .assert_error(422, "invalid_body")
        .contains("message.sent"));

    // A name that resolves to loopback passes the early check; the resolver refuses it at connect time, and so
    // does the sender for a literal address stored before the guard was on.
    let receiver = Receiver::start(Behaviour::Answer).await;
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let hostname = hostname.trim();
    let loopback_name = std::net::ToSocketAddrs::to_socket_addrs(&(hostname, 0))
        .is_ok_and(|mut a| a.all(|a| a.ip().is_loopback()));
    let mut urls = vec![receiver.url()];
    if loopback_name && !hostname.is_empty() {
        let url = format!("http://{hostname}:{}/hook", receiver.address.port());
        add_endpoint(&app, &url, &["message.created"]).await;
        urls.push(url);
    }
    sqlx::query(
        "INSERT INTO webhook_endpoints (org_id, url, events, secret, created_at) VALUES ($1, $2, 'message.created', 'whsec_x', 0)",
    )
    .bind(app.org.id)
    .bind(receiver.url())
    .execute(&app.db)
    .await
    .unwrap();
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    app.send(&visitor, &session, "hi").await.assert_status(201);
    let refused = loop {
        let list = app
            .agent_get(&app.org.secret_key, "/api/admin/webhooks/deliveries")
            .await;
        let deliveries = list.assert_status(200)["deliveries"]
            .as_array()
            .unwrap()
            .clone();
        if deliveries.len() == urls.len()
            && deliveries.iter().all(|d| d["attempts"].as_i64() >= Some(1))
        {
            break deliveries;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for d in &refused {
        let error = d["attempt_log"][0]["error"].as_str().unwrap();
        assert!(error.contains("loopback"), "{error}");
    }
    assert!(
        receiver.received().is_empty(),
        "nothing reached the loopback receiver"
    );
}

/// Two instances on one Postgres database: every event delivered once, though both workers claim.
#[tokio::test]
async fn two_instances_on_postgres_deliver_each_event_once() {
    if backend() != frontdesk_server::db::Backend::Postgres {
        eprintln!("two instances: runs in the Postgres pass (FRONTDESK_TEST_BACKEND=postgres)");
        return;
    }
    let a = spawn_app_allowing_loopback().await;
    let b = spawn_instance_beside(&a).await;
    let receiver = Receiver::start(Behaviour::Answer).await;
    add_endpoint(&a, &receiver.url(), &["message.created"]).await;
    let session = a.start_session(&a.device()).await;
    // Five at a time through each instance: both workers are woken and claim at once, without a hundred sends
    // queueing for the org's insert lock on a loaded test machine.
    for chunk in 0..10 {
        let sends = (0..10).map(|i| {
            let n = chunk * 10 + i;
            let (app, session) = (if n % 2 == 0 { &a } else { &b }, &session);
            async move {
                app.agent_reply(&app.org.secret_key, session, &format!("r{n}"))
                    .await
                    .assert_status(201);
            }
        });
        futures_util::future::join_all(sends).await;
    }
    receiver.wait_for_events(100, 30).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let got = receiver.received();
    assert_eq!(distinct_events(&got).len(), 100);
    assert_eq!(
        got.len(),
        100,
        "each event once, however the two workers raced"
    );
}

/// A `serve` process of the real binary on `database`.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start(database: &str, extra: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--database", database])
            .args(extra)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        let (lines, seen) = std::sync::mpsc::channel();
        // Drained to the end, or the server would block writing its log.
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let address = loop {
            let line = seen
                .recv_timeout(Duration::from_secs(30))
                .expect("the server starts");
            if let Some((_, address)) = line.split_once("listening on ") {
                break address.trim().to_owned();
            }
        };
        Self { child, address }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cli(database: &str, args: &[&str]) -> Value {
    let out = Command::new(BIN)
        .args(args)
        .env("FRONTDESK_DATABASE", database)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[tokio::test]
async fn the_server_killed_mid_queue_loses_no_delivery() {
    let database = TestDatabase::fresh().await;
    let url = database.url.clone();
    let org = cli(&url, &["org", "create", "--name", "Acme", "--json"]);
    let widget_token = org["widget_token"].as_str().unwrap().to_owned();
    let secret_key = org["secret_key"].as_str().unwrap().to_owned();
    let receiver = Receiver::start(Behaviour::Slow(150)).await;
    let added = cli(
        &url,
        &[
            "webhook",
            "add",
            "--org",
            &widget_token,
            "--url",
            &receiver.url(),
            "--events",
            "message.created",
            "--allow-private-webhooks",
            "--json",
        ],
    );
    let secret = added["secret"].as_str().unwrap().to_owned();
    let endpoint = added["endpoint"]["id"].as_i64().unwrap();
    assert_eq!(added["endpoint"]["events"], json!(["message.created"]));

    let server = Server::start(
        &url,
        &[
            "--allow-private-webhooks",
            "--webhook-timeout-secs",
            "1",
            "--webhook-concurrency",
            "2",
        ],
    );
    let client = reqwest::Client::new();
    let device = frontdesk_server::auth::random_hex(16);
    let started: Value = client
        .post(format!("{}/widget/v1/sessions", server.address))
        .header("X-Frontdesk-Widget-Token", &widget_token)
        .header("X-Frontdesk-Device", &device)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = started["session"]["id"].as_str().unwrap().to_owned();
    let mut sent = BTreeSet::new();
    for i in 0..30 {
        let reply: Value = client
            .post(format!(
                "{}/api/sessions/{session}/messages",
                server.address
            ))
            .bearer_auth(&secret_key)
            .json(&json!({ "content": format!("r{i}") }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        sent.insert(reply["message"]["id"].as_i64().unwrap());
    }
    // Some delivered, some in flight, most still queued: then SIGKILL, no shutdown of any kind.
    receiver.wait_for(20, |got| got.len() >= 3).await;
    let mut server = server;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let before_restart = receiver.received().len();
    assert!(
        before_restart < 30,
        "killed mid-queue ({before_restart} of 30 arrived)"
    );

    let _restarted = Server::start(
        &url,
        &["--allow-private-webhooks", "--webhook-timeout-secs", "1"],
    );
    let got = receiver
        .wait_for(60, |got| {
            let ids: BTreeSet<i64> = got
                .iter()
                .map(|r| r.json()["data"]["message"]["id"].as_i64().unwrap())
                .collect();
            ids == sent
        })
        .await;
    for r in &got {
        assert!(verifies(&secret, r));
    }

    // The CLI lists them delivered, and a replay sends one again with the same event id.
    let list = cli(
        &url,
        &[
            "webhook",
            "deliveries",
            "--org",
            &widget_token,
            "--endpoint",
            &endpoint.to_string(),
            "--limit",
            "200",
            "--json",
        ],
    );
    let deliveries = list["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 30);
    let finished = || async {
        let list = cli(
            &url,
            &["webhook", "deliveries", "--org", &widget_token, "--json"],
        );
        list["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["state"] == "delivered")
    };
    for _ in 0..100 {
        if finished().await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(finished().await, "every delivery ends delivered");
    let first = &deliveries[deliveries.len() - 1];
    let replayed = cli(
        &url,
        &[
            "webhook",
            "replay",
            &first["id"].as_i64().unwrap().to_string(),
            "--json",
        ],
    );
    assert_eq!(replayed["delivery"]["state"], "pending");
    let event_id = first["event_id"].as_str().unwrap().to_owned();
    let times = |got: &[Received]| got.iter().filter(|r| r.event_id() == event_id).count();
    let before = times(&receiver.received());
    receiver.wait_for(10, |got| times(got) > before).await;
}

#[tokio::test]
async fn the_example_bot_answers_a_visitor() {
    let app = spawn_app_allowing_loopback().await;
    let port = free_port().await.port();
    let (_, secret) = add_endpoint(
        &app,
        &format!("http://127.0.0.1:{port}/webhook"),
        &["message.created"],
    )
    .await;
    let agent_key = frontdesk_server::orgs::create_agent(
        &app.db,
        &app.org.widget_token,
        &frontdesk_server::domain::Label::parse("FAQ bot", 200).unwrap(),
        None,
    )
    .await
    .unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/webhook-bot/bot.mjs"
    );
    let mut bot = Command::new("node")
        .arg(script)
        .env("FRONTDESK_URL", &app.address)
        .env("FRONTDESK_AGENT_KEY", &agent_key)
        .env("FRONTDESK_WEBHOOK_SECRET", &secret)
        .env("PORT", port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs the example bot");
    let stdout = std::io::BufReader::new(bot.stdout.take().unwrap());
    let (lines, seen) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let ready = seen
        .recv_timeout(Duration::from_secs(20))
        .expect("the bot starts");
    assert!(ready.contains("listening"), "{ready}");
    let bot = KillOnDrop(bot);

    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    app.send(&visitor, &session, "What are your opening hours?")
        .await
        .assert_status(201);
    let mut answer = None;
    for _ in 0..100 {
        let contents = app.contents(&visitor, &session).await;
        if contents.len() >= 2 {
            answer = Some(contents);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let contents = answer.expect("the bot answered within 10 s");
    assert_eq!(contents[0], "What are your opening hours?");
    assert!(contents[1].contains("9:00"), "the FAQ answer: {contents:?}");
    let messages = app.agent_messages(&app.org.secret_key, &session).await;
    let reply = &messages.assert_status(200)["messages"][1];
    assert_eq!(reply["author"], "agent");
    assert_eq!(reply["author_name"], "FAQ bot");
    // Its own reply came back to it as message.created by an agent: it does not answer itself.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(app.contents(&visitor, &session).await.len(), 2);
    drop(bot);
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
