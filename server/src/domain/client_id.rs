use frontdesk_protocol::{limits, rules};

use super::Invalid;

/// The widget's own id for a message it sends: a retried send with the same id stores nothing new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientId(String);

impl ClientId {
    pub const MIN_LEN: usize = limits::CLIENT_ID_MIN_CHARS;
    pub const MAX_LEN: usize = limits::CLIENT_ID_MAX_CHARS;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        rules::client_id(raw).map(|id| Self(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_8_to_64_safe_characters() {
        assert!(ClientId::parse("c_3f9a2b7e1d").is_ok());
        assert!(ClientId::parse("12345678").is_ok());
        assert!(ClientId::parse(&"x".repeat(64)).is_ok());
    }

    #[test]
    fn refuses_short_long_and_unsafe() {
        assert_eq!(
            ClientId::parse("1234567"),
            Err(Invalid::TooShort { min: 8 })
        );
        assert_eq!(
            ClientId::parse(&"x".repeat(65)),
            Err(Invalid::TooLong { max: 64 })
        );
        assert!(matches!(
            ClientId::parse("c_3f9a 2b7e"),
            Err(Invalid::BadCharacter { .. })
        ));
        assert!(matches!(
            ClientId::parse("c_3f9a/2b7e"),
            Err(Invalid::BadCharacter { .. })
        ));
    }
}
