use frontdesk_protocol::{limits, rules};

use super::Invalid;

/// A workspace id: the scope in which a visitor's chats live (docs/api.md, "Who sees which chats").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalId(String);

impl ExternalId {
    pub const MAX_LEN: usize = limits::EXTERNAL_ID_MAX_CHARS;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        // Not trimmed: an id is compared byte for byte, so " ws_1" must not quietly become "ws_1".
        rules::external_id(raw).map(|id| Self(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_workspace_like_ids() {
        for ok in [
            "workspace_42",
            "org:185938572649",
            "a",
            "team@acme.example",
            "x-y.z",
        ] {
            assert_eq!(ExternalId::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_empty_long_and_odd_characters() {
        assert_eq!(ExternalId::parse(""), Err(Invalid::Empty));
        assert_eq!(
            ExternalId::parse(&"a".repeat(129)),
            Err(Invalid::TooLong { max: 128 })
        );
        assert!(ExternalId::parse(&"a".repeat(128)).is_ok());
        assert!(matches!(
            ExternalId::parse("wś"),
            Err(Invalid::NotAscii { found: 'ś', .. })
        ));
        for bad in [" ws", "ws 1", "ws/1", "a%20b"] {
            assert!(
                matches!(ExternalId::parse(bad), Err(Invalid::BadCharacter { .. })),
                "{bad}"
            );
        }
    }
}
