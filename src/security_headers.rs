//! The security headers on every response: a strict Content-Security-Policy, no sniffing, no referrer, no
//! framing by others, and HSTS under TLS.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use crate::config::Config;

/// The headers, worked out once from the configuration.
#[derive(Debug, Clone)]
pub struct SecurityHeaders {
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl SecurityHeaders {
    /// The headers for `config`.
    pub fn new(config: &Config) -> SecurityHeaders {
        let ancestors = if config.http.frame_ancestors.is_empty() {
            "'none'".to_owned()
        } else {
            config.http.frame_ancestors.join(" ")
        };
        // SECURITY: scripts only from our own files (the page has no inline script), so an injected `<script>`
        // or `onclick=` does not run. `'wasm-unsafe-eval'` lets those scripts compile WebAssembly (the image
        // addon's SIXEL decoder, built into our bundle), and nothing else: no `eval`, no `new Function`. `'unsafe-inline'` for styles only: xterm.js writes `<style>` elements for
        // its cell sizes and colours. `connect-src 'self'` covers our own ws:/wss: URL and nothing else.
        let csp = format!(
            "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
             font-src 'self' data:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; \
             frame-ancestors {ancestors}"
        );
        let mut headers = vec![
            (header::CONTENT_SECURITY_POLICY, value(&csp)),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            // SECURITY: a URL with `?token=` never leaves in a Referer.
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            (
                header::CROSS_ORIGIN_OPENER_POLICY,
                HeaderValue::from_static("same-origin"),
            ),
            (
                header::CROSS_ORIGIN_RESOURCE_POLICY,
                HeaderValue::from_static("same-origin"),
            ),
        ];
        if config.http.frame_ancestors.is_empty() {
            // For browsers that predate `frame-ancestors`.
            headers.push((header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")));
        }
        if config.tls.enabled() {
            // SECURITY: once a browser has seen this over TLS it refuses plain HTTP to this host for a year, so a
            // network attacker cannot strip TLS from the next visit.
            headers.push((
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=31536000"),
            ));
        }
        SecurityHeaders { headers }
    }
}

fn value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).expect("http.frame_ancestors was validated to be header-safe")
}

/// Adds the headers to every response.
pub async fn add(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let headers = req
        .app_data::<web::Data<SecurityHeaders>>()
        .expect("the server registers the headers")
        .clone();
    let mut response = next.call(req).await?.map_into_boxed_body();
    for (name, value) in &headers.headers {
        response.headers_mut().insert(name.clone(), value.clone());
    }
    Ok(response)
}
