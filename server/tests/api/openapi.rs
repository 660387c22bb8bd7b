//! The OpenAPI document (`GET /openapi.json`, docs/openapi.json): what the server serves is the committed copy,
//! and it names every route the router has, with the security, identity headers and error body of each.

use std::collections::BTreeSet;

use frontdesk_protocol::ErrorCode;
use serde_json::Value;

use crate::helpers::spawn_app;

const COMMITTED: &str = include_str!("../../../docs/openapi.json");

/// Paths the document has that no `.route(…)` of `src/routes/` makes: the widget's files from `--public-dir`.
const STATIC_FILES: [&str; 3] = ["/widget.js", "/frontdesk.js", "/frontdesk_bg.wasm"];

#[tokio::test]
async fn the_served_document_is_the_committed_one() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let served = response.text().await.unwrap();
    assert!(
        served == COMMITTED,
        "docs/openapi.json is not what the code generates: regenerate it with \
         `cargo run -q -p frontdesk-server -- openapi > docs/openapi.json`"
    );
    let document: Value = serde_json::from_str(&served).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
}

/// `(METHOD, path)` of every `.route("path", get(…).post(…))` in the files of `src/routes/`, read from the source:
/// a route added in any file there (a new one included) without a path annotation fails the test below.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/routes");
    let mut routes = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for call in source.split(".route(").skip(1) {
            let path = call
                .split('"')
                .nth(1)
                .expect("a route's first argument is its path literal");
            // The method router: up to the call's closing parenthesis at depth 0.
            let mut depth = 0;
            let end = call
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' if depth == 0 => return true,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    false
                })
                .map_or(call.len(), |(i, _)| i);
            let methods = &call[..end];
            let mut found = false;
            for method in ["get", "post", "put", "patch", "delete"] {
                let called = methods.contains(&format!(" {method}("))
                    || methods.contains(&format!("({method}("))
                    || methods.contains(&format!(".{method}("));
                if called {
                    routes.insert((method.to_ascii_uppercase(), path.to_owned()));
                    found = true;
                }
            }
            assert!(found, "no method found for the route {path}");
        }
    }
    routes
}

fn document() -> Value {
    serde_json::from_str(COMMITTED).unwrap()
}

fn operations_in(document: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    operations
}

#[test]
fn every_route_of_the_router_is_documented_and_nothing_else() {
    let in_source = routes_in_source();
    assert!(
        in_source.len() > 30,
        "the source scan finds the routes: {in_source:?}"
    );
    let mut documented = operations_in(&document());
    for file in STATIC_FILES {
        assert!(
            documented.remove(&("GET".to_owned(), file.to_owned())),
            "{file}"
        );
    }
    let undocumented: Vec<_> = in_source.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes without `#[utoipa::path]` in `openapi::ApiDoc` (see server/src/openapi.rs): {undocumented:?}"
    );
    let unrouted: Vec<_> = documented.difference(&in_source).collect();
    assert!(
        unrouted.is_empty(),
        "documented but not routed: {unrouted:?}"
    );
}

#[test]
fn each_audience_has_its_security_and_the_identity_headers() {
    let document = document();
    let schemes = document["components"]["securitySchemes"]
        .as_object()
        .unwrap();
    assert_eq!(schemes["widget_token"]["name"], "X-Frontdesk-Widget-Token");
    assert_eq!(schemes["device_id"]["name"], "X-Frontdesk-Device");
    for bearer in ["user_token", "secret_key", "agent_key", "metrics_token"] {
        assert_eq!(schemes[bearer]["scheme"], "bearer", "{bearer}");
    }
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let security = &operation["security"];
            let statuses: Vec<&String> =
                operation["responses"].as_object().unwrap().keys().collect();
            assert!(
                statuses
                    .iter()
                    .any(|s| s.starts_with('2') || s.starts_with('3')),
                "{method} {path}"
            );
            assert!(
                statuses.contains(&&"500".to_owned()),
                "{method} {path}: {statuses:?}"
            );
            if path.starts_with("/widget/v1/") {
                assert_eq!(
                    security,
                    &serde_json::json!([
                        { "user_token": [], "widget_token": [] },
                        { "device_id": [], "widget_token": [] }
                    ]),
                    "{method} {path}"
                );
                let parameters = operation["parameters"].as_array().unwrap();
                assert!(
                    parameters
                        .iter()
                        .any(|p| p["name"] == "X-Frontdesk-External-Id" && p["in"] == "header"),
                    "{method} {path}"
                );
                for status in ["400", "401", "403", "422"] {
                    assert!(
                        statuses.contains(&&status.to_owned()),
                        "{method} {path} {status}"
                    );
                }
            } else if path == "/widget/authenticate-user" || path.starts_with("/api/admin/") {
                assert_eq!(
                    security,
                    &serde_json::json!([{ "secret_key": [] }]),
                    "{method} {path}"
                );
            } else if path.starts_with("/api/") {
                assert_eq!(
                    security,
                    &serde_json::json!([{ "secret_key": [] }, { "agent_key": [] }]),
                    "{method} {path}"
                );
                assert!(statuses.contains(&&"401".to_owned()), "{method} {path}");
            }
            if operation.get("requestBody").is_some() {
                for status in ["413", "422"] {
                    assert!(
                        statuses.contains(&&status.to_owned()),
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_error_body_names_every_code() {
    let document = document();
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["ErrorBody"]["properties"]["code"]["$ref"],
        "#/components/schemas/ErrorCode"
    );
    let code = &schemas["ErrorCode"];
    let listed: Vec<&str> = code["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("ErrorBody.code is an enum: {code}"))
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let codes: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(listed, codes);
    assert_eq!(
        schemas["ErrorEnvelope"]["properties"]["error"]["$ref"],
        "#/components/schemas/ErrorBody"
    );
}
