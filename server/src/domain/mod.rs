//! Parsed values: each type can only hold a valid value, so code that receives one does not check it again.
//! The rules shared with the widget (email, identifiers, names, message text) are `frontdesk_protocol::rules`;
//! the types here wrap them.
//!
//! Every `parse` returns [`Invalid`], whose message completes a sentence that starts with the field's name
//! (`email: not an email address`); the caller, which knows the field, adds the name.

pub mod attachment;
mod client_id;
mod device_id;
mod email;
mod external_id;
mod message_content;
pub mod office_hours;
mod origin;
mod profile;
mod session_id;
pub mod webhook;

pub use client_id::ClientId;
pub use device_id::DeviceId;
pub use email::Email;
pub use external_id::ExternalId;
pub use message_content::MessageContent;
pub use origin::AllowedOrigin;
pub use profile::{AvatarUrl, CustomData, Label};
pub use session_id::SessionId;
pub use webhook::{EventType, WebhookUrl};

/// Why a value was refused: the protocol's, so the widget and the server refuse in the same words.
pub use frontdesk_protocol::Invalid;

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
