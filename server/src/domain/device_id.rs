use super::Invalid;

/// The secret a widget generates once per browser (128 random bits, hex) to tell its non-verified visitor apart.
///
/// Deliberately not `Display`/`Serialize`: the only thing done with it is hashing (`auth::device_hash`).
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceId(String);

impl DeviceId {
    pub const LEN: usize = 32;

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

impl std::fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceId(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_32_lowercase_hex() {
        assert!(DeviceId::parse("0123456789abcdef0123456789abcdef").is_ok());
    }

    #[test]
    fn refuses_anything_else() {
        for bad in [
            "",
            "0123456789ABCDEF0123456789ABCDEF",
            "0123456789abcdef",
            "0123456789abcdef0123456789abcdeg",
            "0123456789abcdef0123456789abcdef0",
        ] {
            assert_eq!(
                DeviceId::parse(bad),
                Err(Invalid::NotHex { len: 32 }),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_does_not_print_the_secret() {
        let id = DeviceId::parse("0123456789abcdef0123456789abcdef").unwrap();
        assert!(!format!("{id:?}").contains("0123"));
    }
}
