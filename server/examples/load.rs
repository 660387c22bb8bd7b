//! Load check: how fast an agent's reply reaches a waiting widget, and how many messages a second the server
//! accepts from many visitors at once.
//!
//! ```text
//! cargo run --release -p frontdesk-server --example load -- [--concurrency 1,100] [--seconds 5] [--replies 200] [--floor]
//! cargo run --release -p frontdesk-server --example load -- --url http://127.0.0.1:8787 \
//!     --widget-token wt_… --secret-key sk_…
//! cargo run --release -p frontdesk-server --example load -- --url http://127.0.0.1:8787,http://127.0.0.1:8788 \
//!     --reply-url http://127.0.0.1:8788 --widget-token wt_… --secret-key sk_…
//! ```
//!
//! Without `--url` it starts the server in this process on 127.0.0.1:0 over a temporary SQLite file, with the
//! per-visitor rate limit lifted (it would otherwise measure the limit: 3 messages a second a visitor). Against a
//! `--url`, the server's own limit applies and refused sends are counted. `--replies 0` skips the latency figures,
//! `--concurrency 0` the throughput runs; `--floor` adds, for each concurrency, the rate of `GET /healthz` (HTTP
//! plus one trivial database query: the floor a send is compared with). Prints one JSON object.
//!
//! Several instances of one installation (one shared database): `--url` takes them all (comma-separated or
//! repeated), and the throughput runs spread the visitors over them round robin, as a load balancer would (each
//! visitor keeps its instance). The latency figures long-poll on the first `--url`; with `--reply-url` (another
//! instance) every other reply is posted there instead, so the same waiting widget times a reply stored through its
//! own instance and one stored through another, alternately, under the same conditions.
//!
//! While a throughput run sends, stderr carries `window start <concurrency>` and `window end <concurrency>`, so a
//! caller can measure CPU over exactly that window.

use std::time::{Duration, Instant};

use clap::Parser;
use frontdesk_server::domain::Label;
use frontdesk_server::rate_limit::{AbuseLimitsConfig, RateLimit};
use frontdesk_server::realtime::PollCaps;
use frontdesk_server::startup::{self, Config, ConnectionLimits};
use frontdesk_server::{auth, db, orgs};
use serde_json::{json, Value};
use tokio::sync::mpsc;

#[derive(Debug, Parser)]
struct Args {
    /// A running server, or several instances of one (comma-separated or repeated); default: start one in this
    /// process.
    #[arg(long, value_delimiter = ',', requires_all = ["widget_token", "secret_key"])]
    url: Vec<String>,
    /// Another instance (same database) that every other timed reply is posted to, while the widget long-polls the
    /// first --url: cross-instance delivery beside same-instance delivery.
    #[arg(long, requires = "url")]
    reply_url: Option<String>,
    /// The org's widget token (with --url).
    #[arg(long)]
    widget_token: Option<String>,
    /// The org's secret key (with --url).
    #[arg(long)]
    secret_key: Option<String>,
    /// Replies timed one at a time for the latency figures.
    #[arg(long, default_value_t = 200)]
    replies: usize,
    /// Concurrent visitor sessions for the throughput figures, comma-separated (one run each; 0: no run).
    #[arg(long, value_delimiter = ',', default_value = "1,100")]
    concurrency: Vec<usize>,
    /// Length of each throughput run.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Also measure `GET /healthz` at each concurrency: the floor of a request that reaches the database.
    #[arg(long)]
    floor: bool,
    /// In each throughput run, once the visitors exist, print `ready <concurrency>` on stderr and wait for a line on
    /// stdin before sending, so that several load processes started together send over the same window.
    #[arg(long)]
    go_on_stdin: bool,
}

/// Where to send requests (one or more instances of one installation), and with which keys.
#[derive(Clone)]
struct Target {
    urls: Vec<String>,
    widget_token: String,
    secret_key: String,
    client: reqwest::Client,
}

/// A visitor on its own device, with one chat, served by one instance.
struct Visitor {
    url: String,
    device: String,
    session: String,
}

impl Target {
    fn widget(&self, request: reqwest::RequestBuilder, device: &str) -> reqwest::RequestBuilder {
        request
            .header("X-Frontdesk-Widget-Token", &self.widget_token)
            .header("X-Frontdesk-Device", device)
    }

    /// A new visitor on instance `url`.
    async fn visitor(&self, url: &str) -> Result<Visitor, reqwest::Error> {
        let device = auth::random_hex(16);
        let request = self.widget(
            self.client.post(format!("{url}/widget/v1/sessions")),
            &device,
        );
        let body: Value = request
            .json(&json!({}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let session = body["session"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        Ok(Visitor {
            url: url.to_owned(),
            device,
            session,
        })
    }

    async fn send(
        &self,
        visitor: &Visitor,
        n: usize,
    ) -> Result<reqwest::StatusCode, reqwest::Error> {
        let url = format!(
            "{}/widget/v1/sessions/{}/messages",
            visitor.url, visitor.session
        );
        let body = json!({ "client_id": format!("c_load_{n:08}"), "content": format!("load message {n}") });
        Ok(self
            .widget(self.client.post(url), &visitor.device)
            .json(&body)
            .send()
            .await?
            .status())
    }

    /// An agent reply posted through instance `url`; the stored message's id.
    async fn reply(&self, url: &str, session: &str, n: usize) -> Result<i64, reqwest::Error> {
        let url = format!("{url}/api/sessions/{session}/messages");
        let request = self
            .client
            .post(url)
            .bearer_auth(&self.secret_key)
            .json(&json!({ "content": format!("reply {n}") }));
        let body: Value = request.send().await?.error_for_status()?.json().await?;
        Ok(body["message"]["id"].as_i64().unwrap_or_default())
    }
}

/// Long-polls `visitor`'s instance as the widget does and reports each message id with the moment it arrived.
async fn subscribe(
    target: Target,
    visitor: (String, String),
    seen: mpsc::UnboundedSender<(i64, Instant)>,
) {
    let (base, device) = visitor;
    let mut cursor = 0;
    loop {
        let url = format!("{base}/widget/v1/updates?after={cursor}&wait=25");
        let Ok(response) = target.widget(target.client.get(url), &device).send().await else {
            return;
        };
        let Ok(body) = response.json::<Value>().await else {
            return;
        };
        let arrived = Instant::now();
        for message in body["messages"].as_array().into_iter().flatten() {
            if seen
                .send((message["id"].as_i64().unwrap_or_default(), arrived))
                .is_err()
            {
                return;
            }
        }
        cursor = body["cursor"].as_i64().unwrap_or(cursor);
    }
}

/// The `q` quantile of sorted durations, in milliseconds.
fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    (sorted[index].as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

/// Requests a second that `GET /healthz` answers with `concurrency` clients at once, for `seconds`.
async fn healthz_throughput(
    target: &Target,
    concurrency: usize,
    seconds: u64,
) -> Result<Value, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..concurrency)
        .map(|i| {
            let target = target.clone();
            tokio::spawn(async move {
                let (mut latencies, mut failed) = (Vec::new(), 0usize);
                let url = format!("{}/healthz", target.urls[i % target.urls.len()]);
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    match target.client.get(&url).send().await {
                        Ok(response) if response.status().is_success() => {
                            // Read the body so the connection goes back to the pool.
                            match response.bytes().await {
                                Ok(_) => latencies.push(sent.elapsed()),
                                Err(_) => failed += 1,
                            }
                        }
                        _ => failed += 1,
                    }
                }
                (latencies, failed)
            })
        })
        .collect();
    let (mut latencies, mut failed) = (Vec::new(), 0);
    for task in tasks {
        let (l, f) = task.await?;
        latencies.extend(l);
        failed += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    Ok(json!({
        "concurrency": concurrency,
        "seconds": (elapsed * 100.0).round() / 100.0,
        "answered": latencies.len(),
        "requests_per_second": (latencies.len() as f64 / elapsed).round(),
        "median_ms": quantile_ms(&latencies, 0.5),
        "p99_ms": quantile_ms(&latencies, 0.99),
        "failed": failed,
    }))
}

/// Latencies as `{ replies, median_ms, p90_ms, p95_ms, p99_ms, max_ms }`.
fn latency_figures(mut latencies: Vec<Duration>) -> Value {
    latencies.sort();
    json!({
        "replies": latencies.len(),
        "median_ms": quantile_ms(&latencies, 0.5),
        "p90_ms": quantile_ms(&latencies, 0.9),
        "p95_ms": quantile_ms(&latencies, 0.95),
        "p99_ms": quantile_ms(&latencies, 0.99),
        "max_ms": quantile_ms(&latencies, 1.0),
    })
}

/// Agent reply posted → seen by a widget long-poll held on the first instance, `replies` times (one at a time). With
/// `reply_url`, as many more posted through that instance, alternating with the others: `(same, Some(cross))`.
async fn reply_latency(
    target: &Target,
    replies: usize,
    reply_url: Option<&str>,
) -> Result<(Value, Option<Value>), Box<dyn std::error::Error>> {
    let home = target.urls[0].as_str();
    let visitor = target.visitor(home).await?;
    let (seen, mut arrivals) = mpsc::unbounded_channel();
    let subscriber = tokio::spawn(subscribe(
        target.clone(),
        (visitor.url.clone(), visitor.device.clone()),
        seen,
    ));
    // Let the first poll reach the server and start waiting.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut same = Vec::with_capacity(replies);
    let mut cross = Vec::with_capacity(replies);
    let posts = if reply_url.is_some() {
        2 * replies
    } else {
        replies
    };
    for n in 0..posts {
        let (through, latencies) = match reply_url {
            Some(other) if n % 2 == 1 => (other, &mut cross),
            _ => (home, &mut same),
        };
        let posted = Instant::now();
        let id = target.reply(through, &visitor.session, n).await?;
        let arrived = loop {
            match tokio::time::timeout(Duration::from_secs(10), arrivals.recv()).await {
                Ok(Some((seen_id, at))) if seen_id == id => break at,
                Ok(Some(_)) => continue,
                _ => return Err(format!("reply {id} never reached the subscriber").into()),
            }
        };
        latencies.push(arrived - posted);
    }
    subscriber.abort();
    Ok((
        latency_figures(same),
        reply_url.map(|_| latency_figures(cross)),
    ))
}

async fn throughput(
    target: &Target,
    concurrency: usize,
    seconds: u64,
    go_on_stdin: bool,
) -> Result<Value, Box<dyn std::error::Error>> {
    let mut visitors = Vec::with_capacity(concurrency);
    for i in 0..concurrency {
        visitors.push(target.visitor(&target.urls[i % target.urls.len()]).await?);
    }
    if go_on_stdin {
        eprintln!("ready {concurrency}");
        tokio::task::spawn_blocking(|| std::io::stdin().read_line(&mut String::new())).await??;
    }
    eprintln!("window start {concurrency}");
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = visitors
        .into_iter()
        .map(|visitor| {
            let target = target.clone();
            tokio::spawn(async move {
                let (mut latencies, mut refused, mut failed) = (Vec::new(), 0usize, 0usize);
                let mut n = 0;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    match target.send(&visitor, n).await {
                        Ok(status) if status == reqwest::StatusCode::CREATED => {
                            latencies.push(sent.elapsed())
                        }
                        Ok(status) if status == reqwest::StatusCode::TOO_MANY_REQUESTS => {
                            refused += 1
                        }
                        _ => failed += 1,
                    }
                    n += 1;
                }
                (visitor.url, latencies, refused, failed)
            })
        })
        .collect();
    let (mut latencies, mut refused, mut failed) = (Vec::new(), 0, 0);
    let mut per_instance: Vec<usize> = vec![0; target.urls.len()];
    for task in tasks {
        let (url, l, r, f) = task.await?;
        if let Some(i) = target.urls.iter().position(|u| *u == url) {
            per_instance[i] += l.len();
        }
        latencies.extend(l);
        refused += r;
        failed += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!("window end {concurrency}");
    latencies.sort();
    Ok(json!({
        "concurrency": concurrency,
        "seconds": (elapsed * 100.0).round() / 100.0,
        "accepted": latencies.len(),
        "messages_per_second": (latencies.len() as f64 / elapsed).round(),
        "send_median_ms": quantile_ms(&latencies, 0.5),
        "send_p99_ms": quantile_ms(&latencies, 0.99),
        "rate_limited": refused,
        "failed": failed,
        "accepted_per_instance": per_instance,
    }))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    // Kept alive until the end: the in-process server's database and shutdown switch.
    let mut local = None;
    let target = match (args.url, args.widget_token, args.secret_key) {
        (urls, Some(widget_token), Some(secret_key)) if !urls.is_empty() => Target {
            urls,
            widget_token,
            secret_key,
            client,
        },
        _ => {
            let dir = tempfile::tempdir()?;
            let pool = db::connect(
                &format!("sqlite://{}", dir.path().join("load.db").display()),
                db::PoolConfig::default(),
            )
            .await?;
            let org = orgs::create_org(&pool, &Label::parse("Load", Label::NAME_MAX)?, &[]).await?;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let url = format!("http://{}", listener.local_addr()?);
            let unlimited = RateLimit {
                burst: u32::MAX,
                window: Duration::from_secs(1),
            };
            // Every visitor comes from 127.0.0.1: the limits per address would measure themselves, not the server.
            let config = Config {
                rate_limit: unlimited,
                abuse: AbuseLimitsConfig::off(),
                long_polls: PollCaps {
                    per_identity: usize::MAX,
                    per_address: usize::MAX,
                },
                connections: ConnectionLimits {
                    max_connections: 100_000,
                    ..ConnectionLimits::default()
                },
                ..Config::default()
            };
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let server = tokio::spawn(startup::run(listener, pool, config, async move {
                let _ = stopped.await;
            }));
            local = Some((dir, stop, server));
            Target {
                urls: vec![url],
                widget_token: org.widget_token,
                secret_key: org.secret_key,
                client,
            }
        }
    };

    let (latency, cross_instance) = if args.replies > 0 {
        reply_latency(&target, args.replies, args.reply_url.as_deref()).await?
    } else {
        (Value::Null, None)
    };
    let mut runs = Vec::new();
    let mut floor = Vec::new();
    for &concurrency in args.concurrency.iter().filter(|&&c| c > 0) {
        runs.push(throughput(&target, concurrency, args.seconds, args.go_on_stdin).await?);
        if args.floor {
            floor.push(healthz_throughput(&target, concurrency, args.seconds).await?);
        }
    }
    let report = json!({
        "server": if local.is_some() { json!("in-process, temporary SQLite file, rate limit lifted") } else { json!(target.urls.join(",")) },
        "instances": target.urls,
        "reply_to_long_poll_latency": latency,
        "cross_instance_reply_latency": cross_instance.map_or(Value::Null, |cross| json!({
            "long_poll_on": target.urls[0],
            "replies_through": args.reply_url,
            "figures": cross,
        })),
        "visitor_send_throughput": runs,
        "healthz_throughput": floor,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);

    if let Some((_dir, stop, server)) = local {
        let _ = stop.send(());
        server.await??;
    }
    Ok(())
}
