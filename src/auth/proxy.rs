//! `proxy` mode: the user is named by a header that a trusted reverse proxy sets.

use actix_web::http::header::{HeaderMap, HeaderName};

use super::{Client, Identity, Role};

/// The header trusted proxies set, and who among their users is read-only. Which connections come from a
/// trusted proxy is the [`Client`]'s to say.
#[derive(Debug, Clone)]
pub struct TrustedProxies {
    header: HeaderName,
    read_only_users: Vec<String>,
}

/// What the user header of a request says.
#[derive(Debug, PartialEq, Eq)]
pub enum ProxyUser {
    /// A trusted proxy named this user.
    User(Identity),
    /// A trusted proxy sent the request without a user: the proxy did not authenticate it.
    Missing,
    /// The request did not come from a trusted proxy (whether or not it carries the header).
    Untrusted,
}

impl TrustedProxies {
    /// `header` was checked to be a valid header name when the config was loaded.
    pub fn new(header: &str, read_only_users: Vec<String>) -> TrustedProxies {
        let header =
            HeaderName::from_bytes(header.as_bytes()).expect("auth.user_header was validated");
        TrustedProxies {
            header,
            read_only_users,
        }
    }

    /// The user a request from `client` with `headers` comes from.
    pub fn user(&self, client: &Client, headers: &HeaderMap) -> ProxyUser {
        // SECURITY: anyone can send the header; it means something only on a connection from a trusted proxy,
        // which is expected to overwrite whatever the client sent. The TCP peer address cannot be forged.
        if !client.via_proxy {
            return ProxyUser::Untrusted;
        }
        let mut values = headers.get_all(&self.header);
        let (Some(value), None) = (values.next(), values.next()) else {
            // SECURITY: none, or several (a client's copy the proxy appended to instead of replacing): refuse.
            return ProxyUser::Missing;
        };
        match value.to_str().map(str::trim) {
            Ok(user) if !user.is_empty() => {
                let role = if self.read_only_users.iter().any(|u| u == user) {
                    Role::Read
                } else {
                    Role::Write
                };
                ProxyUser::User(Identity {
                    user: user.to_owned(),
                    role,
                })
            }
            _ => ProxyUser::Missing,
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;
    use crate::auth::client::Peer;

    fn proxies() -> TrustedProxies {
        TrustedProxies::new("X-Forwarded-User", vec!["eve".into()])
    }

    /// A request over TCP from `peer`, where 10.0.0.1 is the trusted proxy.
    fn from(peer: &str) -> Client {
        Client::new(
            Peer::Tcp(peer.parse().unwrap()),
            &HeaderMap::new(),
            &["10.0.0.1".parse().unwrap()],
            false,
        )
    }

    fn headers(users: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for user in users {
            map.append(
                HeaderName::from_static("x-forwarded-user"),
                HeaderValue::from_str(user).unwrap(),
            );
        }
        map
    }

    #[test]
    fn the_header_is_believed_only_from_a_trusted_proxy() {
        let proxies = proxies();
        let trusted = from("10.0.0.1");
        let other = from("10.0.0.2");
        let ann = Identity {
            user: "ann".into(),
            role: Role::Write,
        };
        assert_eq!(
            proxies.user(&trusted, &headers(&["ann"])),
            ProxyUser::User(ann)
        );
        assert_eq!(
            proxies.user(&other, &headers(&["ann"])),
            ProxyUser::Untrusted
        );
        // An IPv4 proxy connecting over an IPv4-mapped IPv6 socket is the same proxy.
        assert!(matches!(
            proxies.user(&from("::ffff:10.0.0.1"), &headers(&["ann"])),
            ProxyUser::User(_)
        ));
        // A connection on the Unix socket comes from the proxy.
        let unix = Client::new(Peer::UnixSocket, &HeaderMap::new(), &[], false);
        assert!(matches!(
            proxies.user(&unix, &headers(&["ann"])),
            ProxyUser::User(_)
        ));
    }

    #[test]
    fn a_missing_empty_or_doubled_header_names_nobody() {
        let proxies = proxies();
        let trusted = from("10.0.0.1");
        assert_eq!(proxies.user(&trusted, &headers(&[])), ProxyUser::Missing);
        assert_eq!(proxies.user(&trusted, &headers(&[" "])), ProxyUser::Missing);
        assert_eq!(
            proxies.user(&trusted, &headers(&["ann", "root"])),
            ProxyUser::Missing
        );
    }

    #[test]
    fn read_only_users_get_the_read_role() {
        let trusted = from("10.0.0.1");
        let eve = Identity {
            user: "eve".into(),
            role: Role::Read,
        };
        assert_eq!(
            proxies().user(&trusted, &headers(&["eve"])),
            ProxyUser::User(eve)
        );
    }
}
