use frontdesk_protocol::{limits, rules};

use super::Invalid;

/// A short human text: a person's, an org's or an agent's name, a phone number, a language tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label(String);

impl Label {
    /// Names and most free text.
    pub const NAME_MAX: usize = limits::NAME_MAX_CHARS;
    pub const PHONE_MAX: usize = limits::PHONE_MAX_CHARS;
    pub const LANGUAGE_MAX: usize = limits::LANGUAGE_MAX_CHARS;

    /// Trimmed, 1–`max` characters, no control, bidirectional-control or zero-width character (`rules::label`).
    pub fn parse(raw: &str, max: usize) -> Result<Self, Invalid> {
        rules::label(raw, max).map(|s| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A link to a picture, only http(s): anything else (`javascript:`, `data:`) has no business in an `<img src>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvatarUrl(String);

impl AvatarUrl {
    pub const MAX_LEN: usize = limits::URL_MAX_CHARS;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let s = rules::bounded(raw, Self::MAX_LEN)?;
        match url::Url::parse(s) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                Ok(Self(url.into()))
            }
            _ => Err(Invalid::NotAnHttpUrl),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Any JSON object, up to 16 KiB: the site's own data about a visitor, shown to agents as given.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomData(serde_json::Map<String, serde_json::Value>);

impl CustomData {
    pub const MAX_BYTES: usize = limits::CUSTOM_DATA_MAX_BYTES;

    pub fn parse(value: serde_json::Value) -> Result<Self, Invalid> {
        let serde_json::Value::Object(map) = value else {
            return Err(Invalid::NotAnObject);
        };
        let this = Self(map);
        if this.to_json().len() > Self::MAX_BYTES {
            return Err(Invalid::TooLarge {
                max: Self::MAX_BYTES,
            });
        }
        Ok(this)
    }

    pub fn to_json(&self) -> String {
        serde_json::Value::Object(self.0.clone()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_trims_and_bounds() {
        assert_eq!(
            Label::parse("  John Doe ", Label::NAME_MAX)
                .unwrap()
                .as_str(),
            "John Doe"
        );
        assert_eq!(Label::parse("", Label::NAME_MAX), Err(Invalid::Empty));
        assert_eq!(
            Label::parse(&"a".repeat(201), Label::NAME_MAX),
            Err(Invalid::TooLong { max: 200 })
        );
        assert_eq!(
            Label::parse("a\nb", Label::NAME_MAX),
            Err(Invalid::Invisible { found: '\n' })
        );
    }

    #[test]
    fn avatar_url_must_be_http() {
        assert!(AvatarUrl::parse("https://example.com/avatar.png").is_ok());
        assert!(AvatarUrl::parse("http://localhost:8080/a.png").is_ok());
        for bad in [
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "/avatar.png",
            "example.com/a.png",
            "https://",
        ] {
            assert_eq!(AvatarUrl::parse(bad), Err(Invalid::NotAnHttpUrl), "{bad}");
        }
    }

    #[test]
    fn custom_data_numbers_are_stored_as_the_page_sent_them() {
        // The page's JSON.stringify writes each double as its shortest round-trip text; serde_json's
        // default float reader is approximate, so without `float_roundtrip` some values came back one
        // unit in the last place off (found by the json_roundtrip fuzz target).
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..100_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let value = f64::from_bits(state >> 1);
            if !value.is_finite() {
                continue;
            }
            let text = format!("{{\"n\":{value:?}}}");
            let stored = CustomData::parse(serde_json::from_str(&text).unwrap())
                .unwrap()
                .to_json();
            let back: serde_json::Value = serde_json::from_str(&stored).unwrap();
            assert_eq!(
                back["n"].as_f64(),
                Some(value),
                "{text} was stored as {stored}"
            );
        }
    }

    #[test]
    fn custom_data_must_be_a_small_object() {
        assert!(CustomData::parse(json!({ "plan": "pro", "seats": 3, "tags": ["a"] })).is_ok());
        for bad in [
            json!("pro"),
            json!([1, 2]),
            json!(42),
            json!(null),
            json!(true),
        ] {
            assert_eq!(
                CustomData::parse(bad.clone()),
                Err(Invalid::NotAnObject),
                "{bad}"
            );
        }
        let big = json!({ "blob": "x".repeat(17 * 1024) });
        assert_eq!(
            CustomData::parse(big),
            Err(Invalid::TooLarge { max: 16 * 1024 })
        );
    }
}
