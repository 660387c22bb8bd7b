//! The wire contract of Frontdesk, written once for both sides: the widget (`frontdesk`, compiled to wasm) and the
//! server (`frontdesk-server`). `docs/api.md` is its prose.
//!
//! Layout:
//! - [`headers`] — the names of the headers that carry identity.
//! - [`limits`] — the lengths and sizes both sides enforce.
//! - [`ErrorCode`] — every `error.code` the server answers with.
//! - [`rules`] — the input rules (email, identifiers, names, message text) and [`Invalid`], why a value was refused.
//! - [`wire`] — the types of request and answer bodies.
//!
//! **Invariant:** no dependencies by default, so the widget pays nothing for what it does not use; the `serde`
//! feature (derives on the wire types) is turned on only by the server, and by the widget's native tests.
//! **Invariant:** pure: no I/O, no clock, no randomness.

#![forbid(unsafe_code)]

mod error_code;
pub mod headers;
pub mod limits;
pub mod rules;
pub mod wire;

pub use error_code::{ErrorCode, UnknownErrorCode};
pub use rules::Invalid;
pub use wire::{
    Attachment, Author, ErrorBody, Message, MessageKind, MessagePage, Rating, Session, Signal,
    SignalKind, Status, Updates,
};
