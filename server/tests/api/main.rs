//! Integration tests: the real server over HTTP on 127.0.0.1:0 with a fresh database per test (SQLite, or Postgres
//! with `FRONTDESK_TEST_BACKEND=postgres`: helpers.rs).
//! One binary for the whole suite (every file directly under `tests/` would link separately).

mod agent;
mod attachments;
mod authenticate;
mod cli;
mod conversation;
mod hardening;
mod helpers;
mod history;
mod http;
mod messages;
mod migrate;
mod realtime;
mod restart;
mod scale;
mod tokens;
mod unicode;
mod visibility;
mod webhooks;
mod wire;
