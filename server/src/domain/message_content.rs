use frontdesk_protocol::{limits, rules};

use super::Invalid;

/// A chat message's text, trimmed, 1–4000 characters, not only invisible characters (`rules::message`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageContent(String);

impl MessageContent {
    pub const MAX_LEN: usize = limits::MESSAGE_MAX_CHARS;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        rules::message(raw).map(|s| Self(s.to_owned()))
    }

    /// No text: the caption of a message that carries attachments.
    pub fn none() -> Self {
        Self(String::new())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_counts_characters_not_bytes() {
        assert_eq!(
            MessageContent::parse("  hello \n").unwrap().as_str(),
            "hello"
        );
        // 4000 three-byte characters: 12000 bytes, still within the limit.
        assert!(MessageContent::parse(&"€".repeat(4000)).is_ok());
    }

    #[test]
    fn refuses_blank_and_over_long() {
        assert_eq!(MessageContent::parse(" \t\n"), Err(Invalid::Empty));
        assert_eq!(
            MessageContent::parse("\u{200B}\u{FEFF}"),
            Err(Invalid::Empty)
        );
        assert_eq!(
            MessageContent::parse(&"a".repeat(4001)),
            Err(Invalid::TooLong { max: 4000 })
        );
    }
}
