//! The `Origin` check on WebSocket upgrades: a page on another site must not open a terminal with the user's
//! cookie (cross-site WebSocket hijacking), and a rebound DNS name must not reach an unauthenticated one.

use actix_web::HttpRequest;
use actix_web::http::header;

/// Why an upgrade is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    /// The page that asked is on another origin that is not allowed.
    #[error(
        "cross-origin WebSocket refused: the page at {origin} is not this server's; add it to \
         websocket.allowed_origins if it should be allowed"
    )]
    CrossOrigin {
        /// The `Origin` header as sent.
        origin: String,
    },
    /// Without authentication, only requests addressed to loopback by name or number are served.
    #[error(
        "refused a request for host {host:?}: without authentication webterm answers only to 127.0.0.1, [::1] and \
         localhost (this blocks DNS rebinding); use that address, or turn on authentication"
    )]
    NotLoopback {
        /// The `Host` header as sent.
        host: String,
    },
}

/// Whether `text` is an origin: `http` or `https`, `://`, a host, an optional port, nothing else.
pub fn is_origin(text: &str) -> bool {
    let Some((scheme, authority)) = text.split_once("://") else {
        return false;
    };
    (scheme == "http" || scheme == "https")
        && !authority.is_empty()
        && authority
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
}

/// Checks the `Origin` of a WebSocket upgrade against the request's own `Host` and `allowed`. `https` says
/// whether the page is served over https, when that is known (webterm's own TLS, or a trusted proxy's word).
///
/// No `Origin` at all passes: browsers always send one on a WebSocket upgrade, so its absence means a
/// non-browser client, which gets no cookie for free and must bring credentials like any other.
pub fn check_upgrade(
    req: &HttpRequest,
    allowed: &[String],
    https: Option<bool>,
) -> Result<(), OriginError> {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = String::from_utf8_lossy(origin.as_bytes()).into_owned();
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    // SECURITY: the browser sets both headers and a page cannot change them. Same host and port as the request
    // means the page came from this server; `null` (sandboxed frames, file: pages) never matches. When the
    // page is known to be https, an http page on the same host is another origin: one a network attacker can
    // inject a script into, which some browsers send the `SameSite=Strict` cookie from.
    let same = origin.split_once("://").is_some_and(|(scheme, authority)| {
        // An https page on a host that a proxy says it reached over http (a TLS load balancer in front of it) is
        // the same page: only an https page's origin is narrowed.
        let scheme_matches = https != Some(true) || scheme == "https";
        is_origin(&origin)
            && scheme_matches
            && without_default_port(scheme, authority)
                .eq_ignore_ascii_case(without_default_port(scheme, host))
    });
    if same || allowed.iter().any(|a| a.eq_ignore_ascii_case(&origin)) {
        Ok(())
    } else {
        Err(OriginError::CrossOrigin { origin })
    }
}

/// Checks that a request was addressed to this machine's loopback by name or number.
pub fn check_loopback_host(req: &HttpRequest) -> Result<(), OriginError> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    // SECURITY: a web page can point its own DNS name at 127.0.0.1 (DNS rebinding) and then talk to us as its
    // own origin, so the Origin check alone would pass. Its requests still say its name in `Host`.
    let loopback = name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(OriginError::NotLoopback {
            host: host.to_owned(),
        })
    }
}

fn without_default_port<'a>(scheme: &str, authority: &'a str) -> &'a str {
    let default = if scheme == "https" { ":443" } else { ":80" };
    authority.strip_suffix(default).unwrap_or(authority)
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn upgrade(host: &str, origin: Option<&str>) -> HttpRequest {
        let mut req = TestRequest::get()
            .uri("/ws")
            .insert_header((header::HOST, host));
        if let Some(origin) = origin {
            req = req.insert_header((header::ORIGIN, origin));
        }
        req.to_http_request()
    }

    #[test]
    fn the_pages_own_origin_passes_and_others_do_not() {
        assert!(
            check_upgrade(
                &upgrade("127.0.0.1:7681", Some("http://127.0.0.1:7681")),
                &[],
                None
            )
            .is_ok()
        );
        assert!(
            check_upgrade(
                &upgrade("Term.Example.com", Some("https://term.example.com")),
                &[],
                None
            )
            .is_ok()
        );
        assert!(
            check_upgrade(
                &upgrade("term.example.com:443", Some("https://term.example.com")),
                &[],
                None
            )
            .is_ok()
        );
        for origin in [
            "http://evil.example",
            "http://127.0.0.1:7682",
            "null",
            "http://127.0.0.1:7681/x",
            "",
        ] {
            assert!(
                check_upgrade(&upgrade("127.0.0.1:7681", Some(origin)), &[], None).is_err(),
                "{origin}"
            );
        }
    }

    #[test]
    fn allowed_origins_pass() {
        let allowed = vec!["https://dash.example.com".to_owned()];
        assert!(
            check_upgrade(
                &upgrade("127.0.0.1:7681", Some("https://dash.example.com")),
                &allowed,
                None
            )
            .is_ok()
        );
        assert!(
            check_upgrade(
                &upgrade("127.0.0.1:7681", Some("http://dash.example.com")),
                &allowed,
                None
            )
            .is_err()
        );
    }

    #[test]
    fn when_the_page_is_known_to_be_https_an_http_page_on_the_same_host_is_another_origin() {
        let tls = |origin: &str, https: Option<bool>| {
            check_upgrade(&upgrade("term.example.com", Some(origin)), &[], https).is_ok()
        };
        assert!(tls("https://term.example.com", Some(true)));
        assert!(!tls("http://term.example.com", Some(true)));
        assert!(!tls("http://term.example.com:443", Some(true)));
        assert!(tls("http://term.example.com", Some(false)));
        assert!(tls("https://term.example.com", Some(false)));
        // Unknown (plain HTTP from a proxy webterm was not told about): either scheme, as before.
        assert!(tls("http://term.example.com", None));
        assert!(tls("https://term.example.com", None));
    }

    #[test]
    fn no_origin_is_left_to_authentication() {
        assert!(check_upgrade(&upgrade("127.0.0.1:7681", None), &[], None).is_ok());
    }

    #[test]
    fn only_loopback_hosts_pass_the_rebinding_check() {
        for host in [
            "127.0.0.1:7681",
            "localhost:7681",
            "[::1]:7681",
            "LOCALHOST",
            "127.1.2.3",
        ] {
            assert!(check_loopback_host(&upgrade(host, None)).is_ok(), "{host}");
        }
        for host in [
            "evil.example:7681",
            "10.0.0.1:7681",
            "",
            "localhost.evil.example",
        ] {
            assert!(check_loopback_host(&upgrade(host, None)).is_err(), "{host}");
        }
    }

    #[test]
    fn origins_are_recognized() {
        assert!(is_origin("https://example.com:8443"));
        assert!(is_origin("http://[::1]:7681"));
        assert!(!is_origin("example.com"));
        assert!(!is_origin("https://example.com/"));
        assert!(!is_origin("ftp://example.com"));
    }
}
