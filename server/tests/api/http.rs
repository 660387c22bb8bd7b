//! Plumbing every route shares: health, CORS, the error body on unknown routes, static files.

use frontdesk_server::startup::Config;
use reqwest::Method;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let reply = app.request(Method::GET, "/healthz").await;
    assert_eq!(
        (reply.status.as_u16(), reply.body.as_str()),
        (200, Some("ok"))
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_get_our_error_body() {
    let app = spawn_app().await;
    app.request(Method::GET, "/nope")
        .await
        .assert_error(404, "not_found");
    app.request(Method::DELETE, "/widget/v1/sessions")
        .await
        .assert_error(405, "method_not_allowed");
}

#[tokio::test]
async fn preflights_are_answered_for_any_origin_with_our_headers() {
    let app = spawn_app().await;
    let reply = app
        .client
        .request(Method::OPTIONS, app.url("/widget/v1/sessions"))
        .header("Origin", "https://shop.example")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "x-frontdesk-widget-token, x-frontdesk-device, content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    let header = |name: &str| {
        reply
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
    };
    assert_eq!(
        header("access-control-allow-origin").as_deref(),
        Some("https://shop.example")
    );
    let allowed = header("access-control-allow-headers").unwrap();
    for name in [
        "authorization",
        "content-type",
        "x-frontdesk-widget-token",
        "x-frontdesk-device",
        "x-frontdesk-external-id",
    ] {
        assert!(allowed.contains(name), "{allowed}");
    }
    assert!(header("access-control-allow-methods")
        .unwrap()
        .contains("post"));
    assert!(header("access-control-max-age").is_some());
    assert_eq!(header("access-control-allow-credentials"), None);
}

#[tokio::test]
async fn error_answers_carry_cors_headers_so_the_widget_can_read_them() {
    let app = spawn_app().await;
    let reply = app
        .sessions(
            &app.device()
                .with_origin("https://shop.example")
                .with_widget_token("wt_x"),
        )
        .await;
    reply.assert_error(401, "invalid_widget_token");
    assert_eq!(
        reply.headers["access-control-allow-origin"],
        "https://shop.example"
    );
}

#[tokio::test]
async fn the_public_dir_is_served_with_wasm_mime_type_and_compression() {
    let public = tempfile::tempdir().unwrap();
    std::fs::write(
        public.path().join("widget.js"),
        "window.Frontdesk = {};\n".repeat(200),
    )
    .unwrap();
    std::fs::write(
        public.path().join("frontdesk_bg.wasm"),
        [0u8, 97, 115, 109, 1, 0, 0, 0].repeat(500),
    )
    .unwrap();
    std::fs::write(public.path().join("frontdesk.js"), "export {};\n").unwrap();
    let version = frontdesk_server::startup::widget_version(public.path()).expect("both files");
    let app = spawn_app_with(Config {
        public_dir: Some(public.path().to_owned()),
        ..Config::default()
    })
    .await;

    let js = app
        .client
        .get(app.url("/widget.js"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    assert_eq!(js.headers()["content-encoding"], "gzip");
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("javascript"));

    let wasm = app
        .client
        .get(app.url("/frontdesk_bg.wasm"))
        .header("Accept-Encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(wasm.status(), 200);
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(wasm.headers()["content-encoding"], "br");

    assert_eq!(
        js.headers()["cache-control"],
        "no-cache",
        "widget.js is revalidated"
    );
    assert!(js.headers().contains_key("last-modified"));

    let plain = app
        .client
        .get(app.url(&format!("/frontdesk_bg.wasm?v={version}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        plain.headers()["cache-control"],
        "public, max-age=31536000, immutable",
        "a content-versioned URL is cached for good"
    );
    assert_eq!(plain.bytes().await.unwrap().len(), 4000);

    // The API still answers, and a missing file is a 404 with our body.
    assert_eq!(app.request(Method::GET, "/healthz").await.body, "ok");
    app.request(Method::GET, "/missing.js")
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn the_agent_console_is_served_at_console() {
    let app = spawn_app().await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let redirect = no_redirects.get(app.url("/console")).send().await.unwrap();
    assert_eq!(redirect.status(), 308);
    assert_eq!(redirect.headers()["location"], "/console/");

    let page = app.client.get(app.url("/console/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    // Everything the page loads is served too.
    for asset in ["/console/console.js", "/console/console.css"] {
        assert!(html.contains(asset), "{asset}");
        let reply = app.client.get(app.url(asset)).send().await.unwrap();
        assert_eq!(reply.status(), 200, "{asset}");
    }
}
