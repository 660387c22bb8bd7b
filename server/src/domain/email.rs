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

    #[test]
    fn accepts_ordinary_addresses_and_lower_cases_them() {
        assert_eq!(
            Email::parse(" John@Doe.com ").unwrap().as_str(),
            "john@doe.com"
        );
        assert!(Email::parse("a.b+tag@sub.example.co.uk").is_ok());
        assert!(Email::parse("x@xn--bcher-kva.example").is_ok());
        assert_eq!(
            Email::parse("\u{212A}ate@x.com").unwrap().as_str(),
            "\u{212A}ate@x.com"
        );
    }

    #[test]
    fn refuses_what_cannot_be_an_address() {
        for bad in [
            "john",
            "john@",
            "@doe.com",
            "john@doe",
            "jo hn@doe.com",
            "a@b@c.com",
            "a@-x.com",
            "a@x..com",
            "<a>@x.com",
        ] {
            assert_eq!(Email::parse(bad), Err(Invalid::NotAnEmail), "{bad}");
        }
        assert_eq!(Email::parse("  "), Err(Invalid::Empty));
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(Invalid::TooLong { max: 254 }));
    }
}
