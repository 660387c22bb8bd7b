//! `spawn_app()`: a real server on 127.0.0.1:0 over a fresh database, and a `TestApp` whose methods read like
//! the API calls they make. Every request helper returns a [`Reply`], so a test asserts on status and body alike.
//!
//! The database is a fresh SQLite file, or with `FRONTDESK_TEST_BACKEND=postgres` a fresh Postgres database made
//! on `FRONTDESK_TEST_POSTGRES_URL` (default: the server on 127.0.0.1:5432) and dropped when the last app on it
//! goes: `npm test` runs the whole suite once on each (scripts/test.sh).

use std::sync::{Arc, Once};
use std::time::Duration;

use frontdesk_protocol::headers;
use frontdesk_protocol::wire::{MessagePage, SessionEnvelope, SessionList};
use frontdesk_server::domain::{AllowedOrigin, Label};
use frontdesk_server::startup::{self, Config, ServeError};
use frontdesk_server::{db, orgs};
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};
use sqlx::{AnyPool, Connection};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

static TRACING: Once = Once::new();

/// Server logs in test output only when asked for: `TEST_LOG=1 cargo test -p frontdesk-server`.
fn init_tracing() {
    TRACING.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("debug"));
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .init();
        }
    });
}

/// An org's keys, as `org create` prints them.
#[derive(Debug, Clone)]
pub struct TestOrg {
    pub id: i64,
    pub widget_token: String,
    pub secret_key: String,
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The org created with the app, with no allowed origins.
    pub org: TestOrg,
    /// The server's own pool: reads here see exactly what the server stored.
    pub db: AnyPool,
    pub db_url: String,
    config: Config,
    /// Kept so the database outlives restarts; removed when the last `TestApp` on it goes.
    database: Arc<TestDatabase>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<Result<(), ServeError>>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Config::default()).await
}

pub async fn spawn_app_with(config: Config) -> TestApp {
    spawn_app_in(TestDatabase::fresh().await, config).await
}

/// A server with a new org on `database`.
pub async fn spawn_app_in(database: Arc<TestDatabase>, config: Config) -> TestApp {
    let db = connect(&database.url).await;
    let org = create_org_in(&db, &[]).await;
    serve(database, db, org, config).await
}

/// A second server on the same database as `app`: what a load balancer's other instance is.
pub async fn spawn_instance_beside(app: &TestApp) -> TestApp {
    let db = connect(&app.db_url).await;
    serve(
        app.database.clone(),
        db,
        app.org.clone(),
        app.config.clone(),
    )
    .await
}

/// A server on a database made elsewhere (by the CLI), with the keys printed there.
pub async fn spawn_app_on(database: Arc<TestDatabase>, org: TestOrg) -> TestApp {
    let db = connect(&database.url).await;
    serve(database, db, org, Config::default()).await
}

async fn connect(url: &str) -> AnyPool {
    db::connect(url, db::PoolConfig::default())
        .await
        .expect("database opens")
}

/// Which database the suite runs on (`FRONTDESK_TEST_BACKEND`).
pub fn backend() -> db::Backend {
    match std::env::var("FRONTDESK_TEST_BACKEND").as_deref() {
        Ok("postgres") => db::Backend::Postgres,
        Ok("sqlite") | Err(_) => db::Backend::Sqlite,
        Ok(other) => panic!("FRONTDESK_TEST_BACKEND={other}: expected sqlite or postgres"),
    }
}

/// A database of its own for one test (and the apps it starts on it), gone when the last holder drops it.
pub struct TestDatabase {
    pub url: String,
    /// Holds the SQLite file (removed with it).
    _dir: TempDir,
    /// On Postgres: the admin URL and the database's name, to drop it.
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// On the suite's backend.
    pub async fn fresh() -> Arc<Self> {
        Self::fresh_on(backend()).await
    }

    pub async fn fresh_on(backend: db::Backend) -> Arc<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            db::Backend::Sqlite => Arc::new(Self {
                url: format!("sqlite://{}", dir.path().join("frontdesk.db").display()),
                _dir: dir,
                postgres: None,
            }),
            db::Backend::Postgres => {
                let admin = std::env::var("FRONTDESK_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
                let name = format!("frontdesk_test_{}_{:016x}", std::process::id(), rand_u64());
                let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("FRONTDESK_TEST_POSTGRES_URL={admin}: cannot connect ({e}); run the suite with `npm test`, which provides one")
                });
                sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("CREATE DATABASE");
                let _ = conn.close().await;
                let mut url =
                    url::Url::parse(&admin).expect("FRONTDESK_TEST_POSTGRES_URL is a URL");
                url.set_path(&name);
                Arc::new(Self {
                    url: url.to_string(),
                    _dir: dir,
                    postgres: Some((admin, name)),
                })
            }
        }
    }
}

impl TestDatabase {
    /// On Postgres: the admin URL and this database's name (to cut its connections in a test).
    pub fn postgres_admin(&self) -> Option<(&str, &str)> {
        self.postgres
            .as_ref()
            .map(|(admin, name)| (admin.as_str(), name.as_str()))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot block on another future: a thread of its own does.
        // FORCE: the apps' pools may not be closed yet (an aborted server task).
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(async move {
                    let mut conn = sqlx::PgConnection::connect(&admin).await?;
                    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await
                        .map(drop)
                })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("could not drop the test database: {e}");
        }
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

async fn create_org_in(db: &AnyPool, origins: &[&str]) -> TestOrg {
    let origins: Vec<AllowedOrigin> = origins
        .iter()
        .map(|o| AllowedOrigin::parse(o).unwrap())
        .collect();
    let org = orgs::create_org(
        db,
        &Label::parse("Acme", Label::NAME_MAX).unwrap(),
        &origins,
    )
    .await
    .unwrap();
    TestOrg {
        id: org.id,
        widget_token: org.widget_token,
        secret_key: org.secret_key,
    }
}

async fn serve(database: Arc<TestDatabase>, db: AnyPool, org: TestOrg, config: Config) -> TestApp {
    init_tracing();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = format!("http://{}", listener.local_addr().unwrap());
    let (shutdown, stop) = oneshot::channel::<()>();
    let server = tokio::spawn(startup::run(
        listener,
        db.clone(),
        config.clone(),
        async move {
            let _ = stop.await;
        },
    ));
    TestApp {
        address,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(40))
            .build()
            .unwrap(),
        org,
        db,
        db_url: database.url.clone(),
        config,
        database,
        shutdown: Some(shutdown),
        server: Some(server),
    }
}

/// What the server answered.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// Asserts an error answer with our body: `{ "error": { "code", "message" } }`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> &str {
        assert_eq!(
            (self.status.as_u16(), self.body["error"]["code"].as_str()),
            (status, Some(code)),
            "{self:#?}"
        );
        let message = self.body["error"]["message"]
            .as_str()
            .expect("error message");
        assert!(!message.is_empty());
        message
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "{self:#?}");
        &self.body
    }
}

/// A file as the server answered it.
#[derive(Debug)]
pub struct Download {
    pub status: u16,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Download {
    async fn of(request: RequestBuilder) -> Self {
        let response = request.send().await.expect("request reaches the server");
        Self {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            bytes: response.bytes().await.expect("body").to_vec(),
        }
    }

    /// A header's value, or "" when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The body as JSON (an error's).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }
}

/// Who a widget request claims to be: the headers the widget would send.
#[derive(Debug, Clone)]
pub struct Identity {
    pub widget_token: Option<String>,
    pub user_token: Option<String>,
    pub device: Option<String>,
    pub external_id: Option<String>,
    pub origin: Option<String>,
}

impl Identity {
    pub fn in_scope(mut self, external_id: &str) -> Self {
        self.external_id = Some(external_id.to_owned());
        self
    }

    pub fn with_origin(mut self, origin: &str) -> Self {
        self.origin = Some(origin.to_owned());
        self
    }

    /// The same browser storage, presented with another site's widget token.
    pub fn with_widget_token(mut self, widget_token: &str) -> Self {
        self.widget_token = Some(widget_token.to_owned());
        self
    }

    fn apply(&self, mut request: RequestBuilder) -> RequestBuilder {
        let headers = [
            (headers::WIDGET_TOKEN, &self.widget_token),
            (headers::DEVICE, &self.device),
            (headers::EXTERNAL_ID, &self.external_id),
            ("Origin", &self.origin),
        ];
        for (name, value) in headers {
            if let Some(value) = value {
                request = request.header(name, value);
            }
        }
        if let Some(token) = &self.user_token {
            request = request.bearer_auth(token);
        }
        request
    }
}

/// A fresh device id, as the widget makes one: 32 lowercase hex characters.
pub fn new_device_id() -> String {
    frontdesk_server::auth::random_hex(16)
}

fn client_id() -> String {
    format!("c_{}", frontdesk_server::auth::random_hex(8))
}

impl TestApp {
    /// The database this app serves.
    pub fn database(&self) -> &TestDatabase {
        &self.database
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    async fn reply(request: RequestBuilder) -> Reply {
        let response = request.send().await.expect("request reaches the server");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn request(&self, method: Method, path: &str) -> Reply {
        Self::reply(self.client.request(method, self.url(path))).await
    }

    pub async fn create_org(&self, allowed_origins: &[&str]) -> TestOrg {
        create_org_in(&self.db, allowed_origins).await
    }

    // --- identities -------------------------------------------------------------------------------------------

    /// A new anonymous / non-verified browser on this app's org.
    pub fn device(&self) -> Identity {
        self.device_of(&self.org)
    }

    pub fn device_of(&self, org: &TestOrg) -> Identity {
        Identity {
            widget_token: Some(org.widget_token.clone()),
            user_token: None,
            device: Some(new_device_id()),
            external_id: None,
            origin: None,
        }
    }

    /// A browser presenting `user_token` on this app's org.
    pub fn user(&self, user_token: &str) -> Identity {
        Identity {
            widget_token: Some(self.org.widget_token.clone()),
            user_token: Some(user_token.to_owned()),
            device: None,
            external_id: None,
            origin: None,
        }
    }

    /// The site's backend logs `email` in (authenticate-user), and a browser uses the token it got.
    pub async fn verified(&self, email: &str) -> Identity {
        let token = self.token_for(json!({ "email": email })).await;
        self.user(&token)
    }

    pub async fn token_for(&self, body: Value) -> String {
        let reply = self.authenticate_user(body).await;
        reply.assert_status(200)["token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    // --- server-to-server -------------------------------------------------------------------------------------

    pub async fn authenticate_user(&self, body: Value) -> Reply {
        self.authenticate_user_with(Some(&self.org.secret_key), None, body)
            .await
    }

    pub async fn authenticate_user_with(
        &self,
        key: Option<&str>,
        origin: Option<&str>,
        body: Value,
    ) -> Reply {
        let mut request = self
            .client
            .post(self.url("/widget/authenticate-user"))
            .json(&body);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        Self::reply(request).await
    }

    // --- widget API -------------------------------------------------------------------------------------------

    pub async fn start_session_with(&self, who: &Identity, body: Value) -> Reply {
        Self::reply(
            who.apply(
                self.client
                    .post(self.url("/widget/v1/sessions"))
                    .json(&body),
            ),
        )
        .await
    }

    /// Starts a chat and returns its id.
    pub async fn start_session(&self, who: &Identity) -> String {
        let reply = self.start_session_with(who, json!({})).await;
        reply.decode::<SessionEnvelope>(201).session.id
    }

    pub async fn sessions(&self, who: &Identity) -> Reply {
        Self::reply(who.apply(self.client.get(self.url("/widget/v1/sessions")))).await
    }

    /// The ids of the chats `who` sees, newest first.
    pub async fn session_ids(&self, who: &Identity) -> Vec<String> {
        let reply = self.sessions(who).await;
        let list: SessionList = reply.decode(200);
        list.sessions.into_iter().map(|s| s.id).collect()
    }

    pub async fn messages(&self, who: &Identity, session: &str) -> Reply {
        Self::reply(
            who.apply(
                self.client
                    .get(self.url(&format!("/widget/v1/sessions/{session}/messages"))),
            ),
        )
        .await
    }

    /// `GET /widget/v1/sessions/{id}/messages?{query}`: a page of the history (`before=`, `limit=`).
    pub async fn history(&self, who: &Identity, session: &str, query: &str) -> Reply {
        let path = format!("/widget/v1/sessions/{session}/messages?{query}");
        Self::reply(who.apply(self.client.get(self.url(&path)))).await
    }

    /// The contents of a chat's messages, oldest first.
    pub async fn contents(&self, who: &Identity, session: &str) -> Vec<String> {
        let reply = self.messages(who, session).await;
        let list: MessagePage = reply.decode(200);
        list.messages.into_iter().map(|m| m.content).collect()
    }

    pub async fn send_with(&self, who: &Identity, session: &str, body: Value) -> Reply {
        let url = self.url(&format!("/widget/v1/sessions/{session}/messages"));
        Self::reply(who.apply(self.client.post(url).json(&body))).await
    }

    /// Sends `content` with a fresh client id.
    pub async fn send(&self, who: &Identity, session: &str, content: &str) -> Reply {
        self.send_with(
            who,
            session,
            json!({ "client_id": client_id(), "content": content }),
        )
        .await
    }

    pub async fn updates(&self, who: &Identity, after: i64, wait: u64) -> Reply {
        let url = self.url(&format!("/widget/v1/updates?after={after}&wait={wait}"));
        Self::reply(who.apply(self.client.get(url))).await
    }

    // --- agent API --------------------------------------------------------------------------------------------

    pub async fn agent_sessions(&self, key: &str, external_id: Option<&str>) -> Reply {
        let mut request = self.client.get(self.url("/api/sessions")).bearer_auth(key);
        if let Some(external_id) = external_id {
            request = request.query(&[("external_id", external_id)]);
        }
        Self::reply(request).await
    }

    /// The agent's view of one session, found in the org's list.
    pub async fn agent_session(&self, session: &str) -> Value {
        let reply = self.agent_sessions(&self.org.secret_key, None).await;
        let sessions = reply.assert_status(200)["sessions"]
            .as_array()
            .unwrap()
            .clone();
        sessions
            .into_iter()
            .find(|s| s["id"] == session)
            .expect("the agent sees the session")
    }

    pub async fn agent_messages(&self, key: &str, session: &str) -> Reply {
        Self::reply(
            self.client
                .get(self.url(&format!("/api/sessions/{session}/messages")))
                .bearer_auth(key),
        )
        .await
    }

    /// `GET /api/sessions/{id}/messages?{query}`: a page of the history, as an agent.
    pub async fn agent_history(&self, key: &str, session: &str, query: &str) -> Reply {
        let path = format!("/api/sessions/{session}/messages?{query}");
        Self::reply(self.client.get(self.url(&path)).bearer_auth(key)).await
    }

    pub async fn agent_reply(&self, key: &str, session: &str, content: &str) -> Reply {
        let url = self.url(&format!("/api/sessions/{session}/messages"));
        Self::reply(
            self.client
                .post(url)
                .bearer_auth(key)
                .json(&json!({ "content": content })),
        )
        .await
    }

    pub async fn agent_updates(&self, key: &str, after: i64, wait: u64) -> Reply {
        let url = self.url(&format!("/api/updates?after={after}&wait={wait}"));
        Self::reply(self.client.get(url).bearer_auth(key)).await
    }

    /// `POST {path}` from the widget, as `who`.
    pub async fn widget_post(&self, who: &Identity, path: &str, body: Value) -> Reply {
        Self::reply(who.apply(self.client.post(self.url(path)).json(&body))).await
    }

    /// `GET {path}` from the widget, as `who`.
    pub async fn widget_get(&self, who: &Identity, path: &str) -> Reply {
        Self::reply(who.apply(self.client.get(self.url(path)))).await
    }

    /// `POST {path}` with an agent API key.
    pub async fn agent_post(&self, key: &str, path: &str, body: Value) -> Reply {
        Self::reply(
            self.client
                .post(self.url(path))
                .bearer_auth(key)
                .json(&body),
        )
        .await
    }

    /// `GET {path}` with an agent API key.
    pub async fn agent_get(&self, key: &str, path: &str) -> Reply {
        Self::reply(self.client.get(self.url(path)).bearer_auth(key)).await
    }

    /// `POST {path}` with a multipart form, from the widget as `who`.
    pub async fn widget_multipart(
        &self,
        who: &Identity,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> Reply {
        Self::reply(who.apply(self.client.post(self.url(path)).multipart(form))).await
    }

    /// `POST {path}` with a multipart form and an agent API key.
    pub async fn agent_multipart(
        &self,
        key: &str,
        path: &str,
        form: reqwest::multipart::Form,
    ) -> Reply {
        Self::reply(
            self.client
                .post(self.url(path))
                .bearer_auth(key)
                .multipart(form),
        )
        .await
    }

    /// `GET {path}` from the widget as `who`, the body kept as bytes (a file).
    pub async fn widget_download(&self, who: &Identity, path: &str) -> Download {
        Download::of(who.apply(self.client.get(self.url(path)))).await
    }

    /// `GET {path}` with an agent API key, the body kept as bytes.
    pub async fn agent_download(&self, key: &str, path: &str) -> Download {
        Download::of(self.client.get(self.url(path)).bearer_auth(key)).await
    }

    /// `{method} {path}` of the admin API with `key` (none: no Authorization), and a JSON body when given.
    pub async fn admin(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Self::reply(request).await
    }

    // --- lifecycle --------------------------------------------------------------------------------------------

    /// Stops the server as SIGTERM would, and waits until it has finished and closed the database.
    pub async fn shutdown(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            let finished = tokio::time::timeout(Duration::from_secs(10), server).await;
            finished
                .expect("graceful shutdown within 10 s")
                .expect("server task")
                .expect("server ran cleanly");
        }
    }

    /// Shuts this server down and starts a new one on the same database file.
    pub async fn restart(mut self) -> TestApp {
        self.shutdown().await;
        assert!(self.db.is_closed(), "run() closes the pool on the way out");
        spawn_instance_beside(&self).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}
