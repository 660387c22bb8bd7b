use super::Invalid;

/// A web origin as browsers send it in `Origin`: `scheme://host[:port]`, lower-case, without the scheme's default
/// port and without a trailing slash, so a configured origin and a request's header compare as plain strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigin(String);

impl AllowedOrigin {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let raw = raw.trim();
        let url = url::Url::parse(raw).map_err(|_| Invalid::NotAnOrigin("not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Invalid::NotAnOrigin("the scheme must be http or https"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Invalid::NotAnOrigin("it has a user name or password"));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(Invalid::NotAnOrigin("it has a path, query or fragment"));
        }
        // `Url` has already lower-cased the host, punycoded it and dropped a default port.
        Ok(Self(url.origin().ascii_serialization()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_to_what_browsers_send() {
        let cases = [
            ("https://example.com", "https://example.com"),
            ("https://example.com/", "https://example.com"),
            ("HTTPS://Example.COM:443", "https://example.com"),
            ("http://localhost:3000", "http://localhost:3000"),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
            ("https://bücher.example", "https://xn--bcher-kva.example"),
        ];
        for (raw, want) in cases {
            assert_eq!(AllowedOrigin::parse(raw).unwrap().as_str(), want, "{raw}");
        }
    }

    #[test]
    fn refuses_non_origins() {
        for bad in [
            "example.com",
            "ftp://example.com",
            "https://example.com/app",
            "https://u:p@example.com",
            "https://example.com?x=1",
            "null",
            "",
        ] {
            assert!(
                matches!(AllowedOrigin::parse(bad), Err(Invalid::NotAnOrigin(_))),
                "{bad}"
            );
        }
    }
}
