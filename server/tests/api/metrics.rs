//! `/metrics` and `/readyz` (docs/operations.md, "Metrics and health"): who may read the metrics, what they count,
//! and readiness while the database cannot take a write.

use std::time::Duration;

use frontdesk_server::startup::{Config, MetricsAccess};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{backend, spawn_app, spawn_app_with, Reply, TestApp};

const TOKEN: &str = "metrics-token-for-the-tests";

async fn spawn_with_metrics_token() -> TestApp {
    spawn_app_with(Config {
        metrics: MetricsAccess::from_options(None, Some(TOKEN)),
        ..Config::default()
    })
    .await
}

async fn scrape(app: &TestApp) -> String {
    let response = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    response.text().await.unwrap()
}

/// The value of the series `name` whose labels include every one of `labels` (0 when there is none yet).
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .filter(|line| {
            labels
                .iter()
                .all(|(k, v)| line.contains(&format!("{k}=\"{v}\"")))
        })
        .map(|line| line.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum()
}

#[tokio::test]
async fn metrics_are_not_on_the_public_listener_by_default() {
    let app = spawn_app().await;
    app.request(reqwest::Method::GET, "/metrics")
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn the_metrics_token_is_refused_unless_it_is_the_one() {
    let app = spawn_with_metrics_token().await;
    app.request(reqwest::Method::GET, "/metrics")
        .await
        .assert_error(401, "invalid_api_key");
    for wrong in [
        "metrics-token-for-the-test",
        "metrics-token-for-the-testsX",
        "",
    ] {
        let response = app
            .client
            .get(app.url("/metrics"))
            .header("Authorization", format!("Bearer {wrong}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{wrong}");
    }
    let text = scrape(&app).await;
    assert!(
        text.contains("# TYPE frontdesk_db_pool_connections gauge"),
        "{text}"
    );
    assert!(
        value(&text, "frontdesk_db_pool_max_connections", &[]) >= 1.0,
        "{text}"
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_messages_stored() {
    let app = spawn_with_metrics_token().await;
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    // Other tests in this process count too: so each figure is read before and after, and must have grown.
    let route = [
        ("route", "/widget/v1/sessions/{id}/messages"),
        ("method", "POST"),
        ("status", "201"),
    ];
    let before = scrape(&app).await;
    app.send(&visitor, &session, "hello")
        .await
        .assert_status(201);
    let agent_key = frontdesk_server::orgs::create_agent(
        &app.db,
        &app.org.widget_token,
        &frontdesk_server::domain::Label::parse("Ada", 200).unwrap(),
        None,
    )
    .await
    .unwrap();
    app.agent_reply(&agent_key, &session, "hi there")
        .await
        .assert_status(201);
    let after = scrape(&app).await;
    let grew = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };
    assert!(
        grew("frontdesk_http_requests_total", &route) >= 1.0,
        "{after}"
    );
    assert!(
        grew("frontdesk_http_request_duration_seconds_count", &route[..1]) >= 1.0,
        "{after}"
    );
    assert!(grew("frontdesk_messages_stored_total", &[("author", "visitor")]) >= 1.0);
    assert!(grew("frontdesk_messages_stored_total", &[("author", "agent")]) >= 1.0);
    // Labelled by the template, never by the raw path (whose ids would make a series per chat).
    assert!(!after.contains(&session), "{after}");
    // A path no route matches is counted as `other`.
    app.request(reqwest::Method::GET, &format!("/no/such/{session}"))
        .await
        .assert_error(404, "not_found");
    let later = scrape(&app).await;
    assert!(
        value(
            &later,
            "frontdesk_http_requests_total",
            &[("route", "other"), ("status", "404")]
        ) >= 1.0,
        "{later}"
    );
    assert!(!later.contains(&session), "{later}");
}

#[tokio::test]
async fn the_held_long_polls_gauge_rises_while_one_is_held() {
    let app = spawn_with_metrics_token().await;
    let held = |text: &str| value(text, "frontdesk_long_polls_held", &[]);
    assert_eq!(held(&scrape(&app).await), 0.0);
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    let poll = {
        let app_url = app.url("/widget/v1/updates?after=1000000000&wait=30");
        let request = app
            .client
            .get(app_url)
            .header("X-Frontdesk-Widget-Token", &app.org.widget_token)
            .header("X-Frontdesk-Device", visitor.device.clone().unwrap());
        tokio::spawn(async move { request.send().await.unwrap().status() })
    };
    // The long-poll is held once the server has counted it; nothing else in this app holds one.
    let mut seen = 0.0;
    for _ in 0..200 {
        seen = held(&scrape(&app).await);
        if seen > 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(seen, 1.0);
    // A message wakes it; then the gauge falls back.
    app.send(&visitor, &session, "wake up")
        .await
        .assert_status(201);
    assert_eq!(poll.await.unwrap(), 200);
    assert_eq!(held(&scrape(&app).await), 0.0);
}

#[tokio::test]
async fn metrics_on_a_listener_of_their_own_are_not_on_the_public_one() {
    use std::process::{Command, Stdio};
    let database = crate::helpers::TestDatabase::fresh().await;
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (public, private) = (free_port(), free_port());
    let mut server = Command::new(env!("CARGO_BIN_EXE_frontdesk-server"))
        .args(["serve", "--addr", &format!("127.0.0.1:{public}")])
        .args(["--metrics-addr", &format!("127.0.0.1:{private}")])
        .env("FRONTDESK_DATABASE", &database.url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary runs");
    let client = reqwest::Client::new();
    let mut answer = None;
    for _ in 0..300 {
        if let Ok(response) = client
            .get(format!("http://127.0.0.1:{private}/metrics"))
            .send()
            .await
        {
            answer = Some((response.status(), response.text().await.unwrap()));
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let public_metrics = client
        .get(format!("http://127.0.0.1:{public}/metrics"))
        .send()
        .await
        .map(|r| r.status());
    let other_path = client
        .get(format!("http://127.0.0.1:{private}/healthz"))
        .send()
        .await
        .map(|r| r.status());
    let _ = server.kill();
    let _ = server.wait();
    let (status, text) = answer.expect("the metrics listener answers");
    assert_eq!(status, 200);
    assert!(text.contains("frontdesk_db_pool_connections"), "{text}");
    assert_eq!(public_metrics.unwrap(), 404);
    assert_eq!(other_path.unwrap(), 404);
}

#[tokio::test]
async fn readyz_fails_while_the_database_cannot_take_a_write_and_recovers() {
    let app = spawn_app().await;
    let ready = |reply: Reply| reply.status.as_u16();
    assert_eq!(
        ready(app.request(reqwest::Method::GET, "/readyz").await),
        200
    );
    match backend() {
        frontdesk_server::db::Backend::Sqlite => {
            // SQLite has no server to stop: another process holding the write lock (a backup tool, a stuck
            // migration) is how its database becomes unable to take the server's writes.
            use sqlx::{Connection, Executor};
            let mut holder = sqlx::SqliteConnection::connect(&app.db_url).await.unwrap();
            holder.execute("BEGIN EXCLUSIVE").await.unwrap();
            let reply = app.request(reqwest::Method::GET, "/readyz").await;
            reply.assert_error(503, "database_unavailable");
            assert_eq!(reply.headers["retry-after"], "5");
            holder.execute("COMMIT").await.unwrap();
        }
        frontdesk_server::db::Backend::Postgres => {
            // The database refuses connections and every open one is cut: what a stopped or unreachable server
            // looks like to this one.
            use sqlx::{Connection, Executor};
            let (admin, name) = app.database().postgres_admin().unwrap();
            let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
            conn.execute(&*format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
                .await
                .unwrap();
            conn.execute(&*format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            ))
            .await
            .unwrap();
            let reply = app.request(reqwest::Method::GET, "/readyz").await;
            reply.assert_error(503, "database_unavailable");
            conn.execute(&*format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
                .await
                .unwrap();
        }
    }
    // Ready again once the database is: the pool reconnects on the next request.
    let mut status = 0;
    for _ in 0..50 {
        status = ready(app.request(reqwest::Method::GET, "/readyz").await);
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200);
    // And the chat works again.
    let visitor = app.device();
    let session = app.start_session(&visitor).await;
    app.send_with(&visitor, &session, json!({ "content": "back" }))
        .await
        .assert_status(201);
}
