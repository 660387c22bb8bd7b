use super::Invalid;

/// A chat's id: 128 random bits as 32 lowercase hex characters, so ids cannot be guessed or enumerated.
/// (Not knowing an id is not what protects a chat, though: every read is checked against the identity.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionId(String);

impl SessionId {
    pub const LEN: usize = 32;

    pub fn generate() -> Self {
        Self(crate::auth::random_hex(Self::LEN / 2))
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if !super::is_lower_hex(raw, Self::LEN) {
            return Err(Invalid::NotHex { len: Self::LEN });
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_and_differ() {
        let a = SessionId::generate();
        let b = SessionId::generate();
        assert_eq!(SessionId::parse(a.as_str()).as_ref(), Ok(&a));
        assert_ne!(a, b);
    }

    #[test]
    fn refuses_non_ids() {
        assert!(SessionId::parse("1").is_err());
        assert!(SessionId::parse("' OR 1=1 --").is_err());
    }
}
