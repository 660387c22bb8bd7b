//! Integration tests: the real server over HTTP on 127.0.0.1:0 with a fresh database per test (SQLite, or Postgres
//! with `FRONTDESK_TEST_BACKEND=postgres`: helpers.rs).
//! One binary for the whole suite (every file directly under `tests/` would link separately).

mod admin;
mod agent;
mod attachments;
mod authenticate;
mod cli;
mod conversation;
mod greeting;
mod hardening;
mod helpers;
mod history;
mod http;
mod messages;
mod metrics;
mod migrate;
mod openapi;
mod privacy;
mod realtime;
mod restart;
mod rotation;
mod scale;
mod tokens;
mod unicode;
mod visibility;
mod webhooks;
mod wire;
