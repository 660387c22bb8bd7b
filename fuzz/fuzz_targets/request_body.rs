//! The server's request-body extractor on any bytes: it never panics, it accepts only JSON objects, and a
//! refusal is a client error (422/400-class), never an internal one.
#![no_main]

use axum::response::IntoResponse;
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;

/// The shape of a chat-start body: nested optional objects, strings and a free-form map, which is what
/// the extractor's path tracking and unknown-field checks walk.
#[allow(dead_code)]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StartChat {
    content: String,
    client_id: Option<String>,
    visitor: Option<Visitor>,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Visitor {
    name: Option<String>,
    email: Option<String>,
    avatar_url: Option<String>,
    custom_data: Option<serde_json::Map<String, serde_json::Value>>,
}

fuzz_target!(|data: &[u8]| {
    use frontdesk_server::extract::parse;
    match parse::<serde_json::Value>(data) {
        Ok(value) => assert!(value.is_object(), "a body that is not an object was accepted"),
        Err(error) => assert_client_error(error),
    }
    if let Err(error) = parse::<StartChat>(data) {
        assert_client_error(error);
    }
});

fn assert_client_error(error: frontdesk_server::error::ApiError) {
    let status = error.into_response().status();
    assert!(status.is_client_error(), "a malformed body answered {status}");
}
