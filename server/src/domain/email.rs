use frontdesk_protocol::{limits, rules};

use super::Invalid;

/// An email address in the form it is stored and compared: `frontdesk_protocol::rules::email`'s (ASCII letters
/// lower-cased, nothing else changed, so `\u{212A}ate@x.com` is not `kate@x.com`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = limits::EMAIL_MAX_CHARS;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        rules::email(raw).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The rule's cases are tested once, in `frontdesk_protocol::rules`; here only that `Email` keeps its answer.
    #[test]
    fn holds_the_rules_stored_form() {
        assert_eq!(
            Email::parse(" John@Doe.com ").unwrap().as_str(),
            "john@doe.com"
        );
        assert_eq!(
            Email::parse("\u{212A}ate@x.com").unwrap().as_str(),
            "\u{212A}ate@x.com"
        );
        assert_eq!(Email::parse("john"), Err(Invalid::NotAnEmail));
    }
}
