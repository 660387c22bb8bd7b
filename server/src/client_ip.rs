//! Which address a request comes from, for the limits a client cannot reset by changing its device id.
//!
//! The socket's peer address, unless that peer is a proxy named with `serve --trusted-proxy`: then the client is
//! the right-most address in `X-Forwarded-For` that is not itself a trusted proxy. A client can write anything
//! into `X-Forwarded-For`, so the header is believed only as far as trusted proxies vouch for it: the entries to
//! the left of the first untrusted one are the client's own claims and are ignored.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;

use crate::error::ApiError;
use crate::startup::AppState;

/// An address or a network of proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy(IpNet);

impl TrustedProxy {
    /// `10.0.0.1`, `10.0.0.0/8`, `::1` or `fd00::/8`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if let Ok(net) = raw.parse::<IpNet>() {
            return Ok(Self(net.trunc()));
        }
        raw.parse::<IpAddr>()
            .map(|ip| Self(IpNet::from(ip)))
            .map_err(|_| {
                format!(
                    "{raw:?} is not an IP address or a CIDR network (e.g. 10.0.0.1 or 10.0.0.0/8)"
                )
            })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&unmapped(ip))
    }
}

/// `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) as `10.0.0.1`, so one `--trusted-proxy` covers both.
fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// The client address of a request whose socket peer is `peer`.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[TrustedProxy]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|t| t.contains(ip));
    let mut client = unmapped(peer);
    if !is_trusted(client) {
        warn_about_unnamed_proxy(client, headers);
        return client;
    }
    // Several X-Forwarded-For lines are one list, in order.
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            // Not an address: what lies left of it cannot be trusted either, so the last proxy is the client.
            break;
        };
        client = unmapped(ip);
        if !is_trusted(client) {
            break;
        }
    }
    client
}

/// Says once, in the log, that a proxy on this machine or network forwards requests without being named: then
/// every visitor behind it shares its address, and so the limits per address.
fn warn_about_unnamed_proxy(peer: IpAddr, headers: &HeaderMap) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let local = match peer {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private(),
        IpAddr::V6(v6) => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
    };
    if local
        && headers.contains_key("x-forwarded-for")
        && !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed)
    {
        tracing::warn!(
            "requests from {peer} carry X-Forwarded-For, but {peer} is not a --trusted-proxy: every client behind \
             it shares its address and its limits (new chats, long-polls); name the proxy with --trusted-proxy"
        );
    }
}

/// The request's client address (see the module doc). Without a socket (a request made in-process with
/// `tower::ServiceExt::oneshot`), every request counts as one client, the unspecified address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(Self(client_ip(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in xff {
            headers.append("x-forwarded-for", line.parse().unwrap());
        }
        headers
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_header_is_ignored_unless_the_peer_is_a_trusted_proxy() {
        let trusted = [TrustedProxy::parse("10.0.0.0/8").unwrap()];
        let spoofed = headers(&["1.2.3.4"]);
        assert_eq!(
            client_ip(ip("203.0.113.9"), &spoofed, &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(ip("203.0.113.9"), &spoofed, &[]),
            ip("203.0.113.9")
        );
        assert_eq!(client_ip(ip("10.1.2.3"), &spoofed, &trusted), ip("1.2.3.4"));
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_hop() {
        let trusted = [
            TrustedProxy::parse("10.0.0.1").unwrap(),
            TrustedProxy::parse("10.0.0.2").unwrap(),
        ];
        // The client wrote "6.6.6.6" itself; 198.51.100.7 is what the first proxy saw.
        let chain = headers(&["6.6.6.6, 198.51.100.7", "10.0.0.1"]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &chain, &trusted),
            ip("198.51.100.7")
        );
        let garbage = headers(&["198.51.100.7, nonsense, 10.0.0.1"]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &garbage, &trusted),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), &headers(&[]), &trusted),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn mapped_ipv4_peers_match_ipv4_proxies() {
        let trusted = [TrustedProxy::parse("127.0.0.1").unwrap()];
        let forwarded = headers(&["192.0.2.1"]);
        assert_eq!(
            client_ip(ip("::ffff:127.0.0.1"), &forwarded, &trusted),
            ip("192.0.2.1")
        );
    }

    #[test]
    fn parse_names_what_is_wrong() {
        assert!(TrustedProxy::parse("::1").is_ok());
        assert!(TrustedProxy::parse("fd00::/8").is_ok());
        assert!(TrustedProxy::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxy::parse("proxy.local")
            .unwrap_err()
            .contains("not an IP address"));
    }
}
