//! What a webhook endpoint is made of: its URL (with the address guard) and the event types it asks for.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The events an endpoint can subscribe to (docs/api.md "Webhooks").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    SessionCreated,
    MessageCreated,
    SessionResolved,
    CsatSubmitted,
    ContactUpdated,
}

impl EventType {
    pub const ALL: [Self; 5] = [
        Self::SessionCreated,
        Self::MessageCreated,
        Self::SessionResolved,
        Self::CsatSubmitted,
        Self::ContactUpdated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SessionCreated => "session.created",
            Self::MessageCreated => "message.created",
            Self::SessionResolved => "session.resolved",
            Self::CsatSubmitted => "csat.submitted",
            Self::ContactUpdated => "contact.updated",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }

    /// A list as given to `webhook add --events` or the admin API: each known, none twice, at least one.
    pub fn parse_list<'a>(
        raw: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<Self>, WebhookRefused> {
        let mut types = Vec::new();
        for name in raw.into_iter().map(str::trim).filter(|n| !n.is_empty()) {
            let t =
                Self::parse(name).ok_or_else(|| WebhookRefused::UnknownEvent(name.to_owned()))?;
            if !types.contains(&t) {
                types.push(t);
            }
        }
        if types.is_empty() {
            return Err(WebhookRefused::NoEvents);
        }
        Ok(types)
    }

    /// The stored form: comma-separated.
    pub fn join(types: &[Self]) -> String {
        types
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The stored form read back; names this version does not know are skipped.
    pub fn split(stored: &str) -> Vec<Self> {
        stored.split(',').filter_map(Self::parse).collect()
    }
}

/// Why an endpoint was refused, worded to complete "url: …" or "events: …".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookRefused {
    #[error("url: longer than {} characters", WebhookUrl::MAX_LEN)]
    UrlTooLong,
    #[error("url: not an http(s) URL with a host")]
    NotAnHttpUrl,
    #[error(
        "url: must not carry a user name or password; authenticate the request by its signature"
    )]
    Credentials,
    #[error(
        "url: {host} is {why}; webhooks go only to public addresses (serve and `webhook add` take \
         --allow-private-webhooks for tests)"
    )]
    PrivateAddress { host: String, why: &'static str },
    #[error("events: unknown event type {0:?}; one of session.created, message.created, session.resolved, csat.submitted, contact.updated")]
    UnknownEvent(String),
    #[error("events: name at least one event type")]
    NoEvents,
}

/// An endpoint's URL: http(s), with a host, no credentials, at most [`WebhookUrl::MAX_LEN`] characters, and,
/// unless private addresses are allowed, not a literal private address nor `localhost`. A host name is checked
/// again on every connection, on the addresses it then resolves to (`webhooks::GuardedResolver`): this check
/// only refuses early what could never be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(url::Url);

impl WebhookUrl {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(raw: &str, allow_private: bool) -> Result<Self, WebhookRefused> {
        let raw = raw.trim();
        if raw.chars().count() > Self::MAX_LEN {
            return Err(WebhookRefused::UrlTooLong);
        }
        let url = url::Url::parse(raw).map_err(|_| WebhookRefused::NotAnHttpUrl)?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(WebhookRefused::NotAnHttpUrl);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(WebhookRefused::Credentials);
        }
        if !allow_private {
            if let Some(why) = forbidden_host(&url) {
                return Err(WebhookRefused::PrivateAddress {
                    host: url.host_str().unwrap_or_default().to_owned(),
                    why,
                });
            }
        }
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Why `url`'s host may not be called without resolving it: a literal forbidden address, or `localhost`.
pub fn forbidden_host(url: &url::Url) -> Option<&'static str> {
    match url.host()? {
        url::Host::Ipv4(ip) => forbidden_address(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => forbidden_address(IpAddr::V6(ip)),
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            (name == "localhost" || name.ends_with(".localhost")).then_some("a loopback name")
        }
    }
}

/// Why a webhook may not be sent to `ip`, or `None` for a public address. Refused: loopback, private (RFC 1918),
/// shared (carrier-grade NAT, 100.64/10, where some clouds keep their metadata service), link-local (169.254/16,
/// the cloud metadata address 169.254.169.254 among them; fe80::/10), unique-local (fc00::/7, AWS's IPv6
/// metadata fd00:ec2::254 among them), unspecified, broadcast, multicast, reserved and documentation ranges, and
/// the IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64), judged by that address.
pub fn forbidden_address(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => forbidden_v4(ip),
        IpAddr::V6(ip) => forbidden_v6(ip),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_private() {
        Some("a private address")
    } else if ip.is_link_local() {
        Some("a link-local address (where cloud metadata services answer)")
    } else if a == 100 && (64..128).contains(&b) {
        Some("a shared (carrier-grade NAT) address")
    } else if ip.is_unspecified() || a == 0 {
        Some("an unspecified address")
    } else if ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        Some("a broadcast, multicast or reserved address")
    } else if (a, b, c) == (192, 0, 0) || (a, b) == (198, 18) || (a, b) == (198, 19) {
        Some("a reserved address")
    } else if ip.is_documentation() {
        Some("a documentation address")
    } else {
        None
    }
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) and the deprecated IPv4-compatible form (::a.b.c.d) reach an IPv4 address.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
        || (segments[..6] == [0; 6] && !ip.is_loopback() && !ip.is_unspecified())
    {
        let v4 = Ipv4Addr::from((u32::from(segments[6]) << 16) | u32::from(segments[7]));
        return forbidden_v4(v4);
    }
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_unspecified() {
        Some("an unspecified address")
    } else if segments[0] & 0xfe00 == 0xfc00 {
        Some("a unique-local address (where cloud metadata services answer)")
    } else if segments[0] & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if ip.is_multicast() {
        Some("a multicast address")
    } else if segments[0] == 0x2001 && segments[1] == 0x0db8 {
        Some("a documentation address")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(raw: &str) -> bool {
        matches!(
            WebhookUrl::parse(raw, false),
            Err(WebhookRefused::PrivateAddress { .. })
        )
    }

    #[test]
    fn private_and_metadata_addresses_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1:9000/hook",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.100.100.200/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[::]/",
            "http://[fd00:ec2::254]/",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:169.254.169.254]/",
            "http://[64:ff9b::a00:1]/",
            "http://localhost:8080/",
            "http://api.localhost/",
            "http://2130706433/",
        ] {
            assert!(refused(url), "{url} must be refused");
            assert!(
                WebhookUrl::parse(url, true).is_ok(),
                "{url} with the switch"
            );
        }
        for url in [
            "https://hooks.example.com/frontdesk",
            "http://93.184.216.34/",
            "http://[2606:4700::1111]/",
        ] {
            assert!(WebhookUrl::parse(url, false).is_ok(), "{url} is public");
        }
    }

    #[test]
    fn only_http_urls_without_credentials() {
        assert_eq!(
            WebhookUrl::parse("ftp://example.com/", false),
            Err(WebhookRefused::NotAnHttpUrl)
        );
        assert_eq!(
            WebhookUrl::parse("https://user:pw@example.com/", false),
            Err(WebhookRefused::Credentials)
        );
        let long = format!("https://example.com/{}", "a".repeat(WebhookUrl::MAX_LEN));
        assert_eq!(
            WebhookUrl::parse(&long, false),
            Err(WebhookRefused::UrlTooLong)
        );
    }

    #[test]
    fn event_lists_name_known_types_once() {
        assert_eq!(
            EventType::parse_list("message.created, session.created,message.created".split(',')),
            Ok(vec![EventType::MessageCreated, EventType::SessionCreated])
        );
        assert_eq!(
            EventType::parse_list("message.sent".split(',')),
            Err(WebhookRefused::UnknownEvent("message.sent".into()))
        );
        assert_eq!(
            EventType::parse_list("".split(',')),
            Err(WebhookRefused::NoEvents)
        );
        assert_eq!(
            EventType::split("contact.updated,future.event"),
            [EventType::ContactUpdated]
        );
    }
}
