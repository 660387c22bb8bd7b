//! Parsed values: each type can only hold a valid value, so code that receives one does not check it again.
//!
//! Every `parse` returns [`Invalid`], whose message completes a sentence that starts with the field's name
//! (`email: not an email address`); the caller, which knows the field, adds the name.

mod client_id;
mod device_id;
mod email;
mod external_id;
mod message_content;
mod origin;
mod profile;
mod session_id;

pub use client_id::ClientId;
pub use device_id::DeviceId;
pub use email::Email;
pub use external_id::ExternalId;
pub use message_content::MessageContent;
pub use origin::AllowedOrigin;
pub use profile::{AvatarUrl, CustomData, Label};
pub use session_id::SessionId;

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("must not be empty")]
    Empty,
    #[error("longer than {max} characters")]
    TooLong { max: usize },
    #[error("shorter than {min} characters")]
    TooShort { min: usize },
    #[error("may only contain {allowed}")]
    BadCharacter { allowed: &'static str },
    #[error("not an email address")]
    NotAnEmail,
    #[error("not an http:// or https:// URL")]
    NotAnHttpUrl,
    #[error("not an origin ({0}); expected scheme://host[:port], e.g. https://example.com")]
    NotAnOrigin(&'static str),
    #[error("must be a JSON object")]
    NotAnObject,
    #[error("larger than {max} bytes as JSON")]
    TooLarge { max: usize },
    #[error("must be {len} lowercase hexadecimal characters")]
    NotHex { len: usize },
}

/// Trims `raw` and checks its length in characters (not bytes: limits are what a person can count).
fn bounded(raw: &str, max: usize) -> Result<&str, Invalid> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(Invalid::Empty);
    }
    if s.chars().count() > max {
        return Err(Invalid::TooLong { max });
    }
    Ok(s)
}

/// An identifier the client chooses: `min..=max` bytes of ASCII letters, digits and the bytes of `extra`
/// (`allowed` says the same in words, for the error). Not trimmed: ids are compared byte for byte.
fn check_identifier(
    raw: &str,
    min: usize,
    max: usize,
    extra: &[u8],
    allowed: &'static str,
) -> Result<(), Invalid> {
    if raw.len() < min {
        // With a minimum of one, "too short" can only mean empty: say that.
        return Err(if min == 1 {
            Invalid::Empty
        } else {
            Invalid::TooShort { min }
        });
    }
    if raw.len() > max {
        return Err(Invalid::TooLong { max });
    }
    if !raw
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
    {
        return Err(Invalid::BadCharacter { allowed });
    }
    Ok(())
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
