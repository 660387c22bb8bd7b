use super::Invalid;

/// An email address, lower-cased: the same address in any case is the same contact.
///
/// The check is deliberately modest (one `@`, a dotted domain, no spaces): the only way to know an address works is
/// to send mail to it, and refusing a real address is worse than accepting an odd one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// RFC 5321's limit on a forward path.
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = super::bounded(raw, Self::MAX_LEN)?;
        let (local, domain) = s.split_once('@').ok_or(Invalid::NotAnEmail)?;
        let labels_ok = domain.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        let ok = !local.is_empty()
            && local.chars().count() <= 64
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '@' || c == '<' || c == '>')
            && domain.contains('.')
            && labels_ok;
        if !ok {
            return Err(Invalid::NotAnEmail);
        }
        Ok(Self(s.to_lowercase()))
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
