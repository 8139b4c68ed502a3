//! Who sent a request: the TCP peer, or, on a connection from a trusted reverse proxy (`auth.trusted_proxies`,
//! or the Unix socket), the client that the proxy names in `X-Forwarded-For`. Failed logins are counted against
//! that address, and the logs show it.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use actix_web::http::header::{HeaderMap, HeaderName, X_FORWARDED_FOR};
use actix_web::{HttpMessage, HttpRequest};

/// The address a connection on the Unix socket counts as when its proxy names no client: the machine itself.
pub const LOCAL: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

/// The other end of a connection, as the listener knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    /// A TCP peer at this address.
    Tcp(IpAddr),
    /// A process that opened the Unix socket.
    UnixSocket,
    /// A TCP peer whose address could not be read (its socket already gone).
    Unknown,
}

/// Where a request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    /// The client's address: the peer's, or the one a trusted proxy named.
    pub address: IpAddr,
    /// Whether the connection came from a trusted proxy, whose headers (`X-Forwarded-For`, `X-Forwarded-Proto`,
    /// and in `proxy` mode the user header) are believed.
    pub via_proxy: bool,
    /// Whether the browser's page is https, when that is known: webterm's own TLS, or a trusted proxy's
    /// `X-Forwarded-Proto`. `None` on plain HTTP from anyone else (a proxy webterm does not know may have TLS).
    pub https: Option<bool>,
}

impl Client {
    /// The client of a request from `peer` with `headers`, where `trusted` are the addresses of the reverse
    /// proxies and `tls` says whether webterm itself speaks TLS.
    pub fn new(peer: Peer, headers: &HeaderMap, trusted: &[IpAddr], tls: bool) -> Client {
        let is_trusted = |ip: IpAddr| {
            trusted
                .iter()
                .any(|t| t.to_canonical() == ip.to_canonical())
        };
        // SECURITY: only a process that may open the Unix socket (`unix_socket_mode`) connects there: the reverse
        // proxy that listening on a socket is for. Anyone else's forwarding headers are not believed, nor those of
        // a TCP peer whose address is unknown.
        let (via_proxy, direct) = match peer {
            Peer::Tcp(ip) => (is_trusted(ip), ip.to_canonical()),
            Peer::UnixSocket => (true, LOCAL),
            Peer::Unknown => (false, IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
        };
        if !via_proxy {
            return Client {
                address: direct,
                via_proxy,
                https: tls.then_some(true),
            };
        }
        Client {
            address: forwarded_client(headers, is_trusted).unwrap_or(direct),
            via_proxy,
            https: if tls {
                Some(true)
            } else {
                forwarded_https(headers)
            },
        }
    }
}

/// How logs name who sent `req`: the client a trusted proxy named (the gate puts the [`Client`] in the request),
/// else the peer's address and port.
pub fn label(req: &HttpRequest) -> String {
    match req.extensions().get::<Client>() {
        Some(client) if client.via_proxy => client.address.to_string(),
        Some(client) => req
            .peer_addr()
            .map_or_else(|| client.address.to_string(), |addr| addr.to_string()),
        None => req
            .peer_addr()
            .map_or_else(|| LOCAL.to_string(), |addr| addr.to_string()),
    }
}

/// The client named by `X-Forwarded-For`, if any: the last entry that is not a trusted proxy.
///
/// SECURITY: each proxy appends the address it got the request from to what it was sent, and the client may
/// have sent anything. So the entries are read from the right: past the trusted proxies, the first address is
/// the one the outermost trusted proxy saw, and everything left of it is the client's own word. An entry that is
/// not an address stops the reading at the last one a trusted proxy vouched for.
fn forwarded_client(headers: &HeaderMap, is_trusted: impl Fn(IpAddr) -> bool) -> Option<IpAddr> {
    let entries: Vec<&str> = headers
        .get_all(X_FORWARDED_FOR)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = None;
    for entry in entries.into_iter().rev() {
        let Some(address) = parse_address(entry) else {
            break;
        };
        client = Some(address);
        if !is_trusted(address) {
            break;
        }
    }
    client
}

/// What the nearest proxy's `X-Forwarded-Proto` says: whether the browser spoke https to it.
fn forwarded_https(headers: &HeaderMap) -> Option<bool> {
    const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
    let last = headers
        .get_all(X_FORWARDED_PROTO)
        .next_back()?
        .to_str()
        .ok()?;
    match last.rsplit(',').next()?.trim() {
        proto if proto.eq_ignore_ascii_case("https") => Some(true),
        proto if proto.eq_ignore_ascii_case("http") => Some(false),
        _ => None,
    }
}

/// An entry of `X-Forwarded-For`: an address, possibly with a port (`192.0.2.1:5000`, `[2001:db8::1]:5000`).
fn parse_address(entry: &str) -> Option<IpAddr> {
    let address = entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()?;
    Some(address.to_canonical())
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    const PROXY: &str = "10.0.0.1";

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(X_FORWARDED_FOR, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn client(peer: Option<&str>, values: &[&str]) -> Client {
        let trusted: Vec<IpAddr> = vec![PROXY.parse().unwrap(), "10.0.0.2".parse().unwrap()];
        Client::new(
            peer.map_or(Peer::UnixSocket, |p| Peer::Tcp(p.parse().unwrap())),
            &forwarded(values),
            &trusted,
            false,
        )
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_sends() {
        let got = client(Some("192.0.2.7"), &["198.51.100.1"]);
        assert_eq!(got.address, ip("192.0.2.7"));
        assert!(!got.via_proxy);
    }

    #[test]
    fn behind_a_trusted_proxy_the_address_it_appended_is_the_client() {
        // The client wrote "203.0.113.9" itself; the proxy appended the address it really came from.
        let got = client(Some(PROXY), &["203.0.113.9, 192.0.2.7"]);
        assert_eq!(got.address, ip("192.0.2.7"));
        assert!(got.via_proxy);
        // The same, over two header lines, and through a second trusted proxy.
        let got = client(Some(PROXY), &["203.0.113.9", "192.0.2.7, 10.0.0.2"]);
        assert_eq!(got.address, ip("192.0.2.7"));
    }

    #[test]
    fn a_trusted_proxy_that_names_nobody_or_garbage_is_the_client_itself() {
        assert_eq!(client(Some(PROXY), &[]).address, ip(PROXY));
        assert_eq!(client(Some(PROXY), &["unknown"]).address, ip(PROXY));
        assert_eq!(client(Some(PROXY), &[""]).address, ip(PROXY));
        // Garbage left of a good address does not hide it.
        assert_eq!(
            client(Some(PROXY), &["junk, 192.0.2.7"]).address,
            ip("192.0.2.7")
        );
        // Garbage appended by a trusted hop stops the reading at the last address a trusted proxy vouched for.
        assert_eq!(
            client(Some(PROXY), &["192.0.2.7, 10.0.0.2, junk"]).address,
            ip(PROXY)
        );
    }

    #[test]
    fn addresses_with_ports_and_mapped_addresses_are_understood() {
        assert_eq!(
            client(Some(PROXY), &["192.0.2.7:5000"]).address,
            ip("192.0.2.7")
        );
        assert_eq!(
            client(Some(PROXY), &["[2001:db8::1]:443"]).address,
            ip("2001:db8::1")
        );
        assert_eq!(
            client(Some("::ffff:10.0.0.1"), &["::ffff:192.0.2.7"]).address,
            ip("192.0.2.7")
        );
    }

    #[test]
    fn whether_the_page_is_https_is_known_from_our_tls_or_a_trusted_proxy_only() {
        let proto = |peer: Option<&str>, value: &str, tls: bool| {
            let mut headers = HeaderMap::new();
            headers.append(
                HeaderName::from_static("x-forwarded-proto"),
                HeaderValue::from_str(value).unwrap(),
            );
            let trusted: Vec<IpAddr> = vec![PROXY.parse().unwrap()];
            Client::new(
                peer.map_or(Peer::UnixSocket, |p| Peer::Tcp(p.parse().unwrap())),
                &headers,
                &trusted,
                tls,
            )
            .https
        };
        assert_eq!(proto(Some(PROXY), "https", false), Some(true));
        assert_eq!(proto(Some(PROXY), "HTTP", false), Some(false));
        assert_eq!(proto(None, "https", false), Some(true));
        assert_eq!(proto(Some(PROXY), "gopher", false), None);
        // Anyone else's header means nothing; webterm's own TLS means https whatever is said.
        assert_eq!(proto(Some("192.0.2.7"), "https", false), None);
        assert_eq!(proto(Some("192.0.2.7"), "http", true), Some(true));
        assert_eq!(proto(Some(PROXY), "http", true), Some(true));
    }

    #[test]
    fn logs_name_the_forwarded_client_or_the_peer_with_its_port() {
        let direct = actix_web::test::TestRequest::default()
            .peer_addr("192.0.2.1:5000".parse().unwrap())
            .to_http_request();
        direct
            .extensions_mut()
            .insert(client(Some("192.0.2.1"), &[]));
        assert_eq!(label(&direct), "192.0.2.1:5000");
        let proxied = actix_web::test::TestRequest::default()
            .peer_addr("10.0.0.1:5000".parse().unwrap())
            .to_http_request();
        proxied
            .extensions_mut()
            .insert(client(Some(PROXY), &["192.0.2.7"]));
        assert_eq!(label(&proxied), "192.0.2.7");
    }

    #[test]
    fn a_tcp_peer_of_unknown_address_is_not_a_proxy() {
        let got = Client::new(Peer::Unknown, &forwarded(&["192.0.2.7"]), &[], false);
        assert!(!got.via_proxy);
        assert_ne!(got.address, ip("192.0.2.7"));
    }

    #[test]
    fn on_the_unix_socket_the_proxy_is_trusted_and_names_the_client() {
        let got = client(None, &["198.51.100.1, 192.0.2.7"]);
        assert_eq!(got.address, ip("192.0.2.7"));
        assert!(got.via_proxy);
        assert_eq!(client(None, &[]).address, LOCAL);
    }
}
