//! The TLS handshake of each new connection, before actix-http's HTTP/1.1 dispatcher takes it over.
//!
//! actix-http's own rustls service always offers HTTP/2 over ALPN, and its HTTP/2 dispatcher closes no idle
//! connection whose client answers its pings: anyone could hold thousands of connections open. webterm serves
//! HTTP/1.1 only (its WebSockets are HTTP/1.1 upgrades anyway), whose dispatcher closes idle connections after
//! `http.keep_alive_secs` and drops slow request heads after `http.request_timeout_ms`. What actix-tls's acceptor
//! did is done here too: a handshake gets `http.request_timeout_ms`, and a worker runs at most
//! [`MAX_HANDSHAKES`] at once.

use std::future::{Ready, ready};
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_http::Protocol;
use actix_http::error::DispatchError;
use actix_service::{Service, ServiceFactory};
use actix_utils::counter::Counter;
use futures_util::future::LocalBoxFuture;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::tls::Tls;

/// The most handshakes one worker runs at once (actix-tls's default); further connections wait to be accepted.
pub const MAX_HANDSHAKES: usize = 256;

/// What a handshake hands to actix-http: the encrypted connection, spoken as HTTP/1.1, and the peer's address.
type Handshaken = (TlsStream<TcpStream>, Protocol, Option<SocketAddr>);

/// Makes the handshake service of each worker.
#[derive(Clone)]
pub struct Handshakes {
    tls: Arc<Tls>,
    timeout: Duration,
}

impl Handshakes {
    /// Handshakes with `tls`'s configuration as it is at each one (its ALPN offers `http/1.1` only), each given
    /// at most `timeout`.
    pub fn new(tls: Arc<Tls>, timeout: Duration) -> Handshakes {
        Handshakes { tls, timeout }
    }
}

impl ServiceFactory<TcpStream> for Handshakes {
    type Response = Handshaken;
    type Error = DispatchError;
    type Config = ();
    type Service = Handshake;
    type InitError = ();
    type Future = Ready<Result<Handshake, ()>>;

    fn new_service(&self, (): ()) -> Self::Future {
        ready(Ok(Handshake {
            tls: self.tls.clone(),
            timeout: self.timeout,
            running: Counter::new(MAX_HANDSHAKES),
        }))
    }
}

/// One worker's handshake service.
pub struct Handshake {
    tls: Arc<Tls>,
    timeout: Duration,
    running: Counter,
}

impl Service<TcpStream> for Handshake {
    type Response = Handshaken;
    type Error = DispatchError;
    type Future = LocalBoxFuture<'static, Result<Handshaken, DispatchError>>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), DispatchError>> {
        if self.running.available(cx) {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    fn call(&self, tcp: TcpStream) -> Self::Future {
        let running = self.running.get();
        // A reload replaces the configuration: each handshake takes the one in use when it starts.
        let acceptor = TlsAcceptor::from(self.tls.current());
        let timeout = self.timeout;
        Box::pin(async move {
            let _running = running;
            let peer = tcp.peer_addr().ok();
            // SECURITY: a handshake gets no longer than a request head (slowloris).
            let tls = tokio::time::timeout(timeout, acceptor.accept(tcp))
                .await
                .map_err(|_| DispatchError::SlowRequestTimeout)?
                .map_err(DispatchError::Io)?;
            // The ALPN offers nothing else, so a client that speaks HTTP/2 failed the handshake already.
            Ok((tls, Protocol::Http1, peer))
        })
    }
}
