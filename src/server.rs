//! The server's life: bind first (so the real address is known), then run actix-http's service on the listener
//! (HTTP/1.1, over TLS after `handshake`), with the upgrades (WebSockets) handed to `ws::transport`.
//!
//! The parts: `route_table` is the one route table (re-exported here: [`routes`], [`OWN_PATHS`]); `app` builds the
//! actix-http service every listener runs, from the App and the state all its routes share.

mod app;
mod route_table;

use std::net::{SocketAddr, TcpListener};
use std::os::unix::net::UnixListener;
use std::sync::Arc;

use actix_http::Protocol;
use actix_service::{ServiceFactoryExt, fn_service};
use actix_web::web;
use tokio::net::UnixStream;

use crate::auth::Authenticator;
use crate::client_limit::ClientLimit;
use crate::config::{Config, ConfigError, Listen};
use crate::handshake::Handshakes;
use crate::live::Live;
use crate::metrics::Metrics;
use crate::reload::{Loader, Reloader};
use crate::security_headers::SecurityHeaders;
use crate::sessions::Sessions;
use crate::shutdown::Shutdown;
use crate::tls::{Tls, TlsError};
use crate::{pty, tcp, unix_socket};
use app::{AppState, http_service};

pub use route_table::{OWN_PATHS, routes};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The configuration is refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The address could not be bound.
    #[error(
        "cannot listen on {addr}: {source}; pick another address or port (port 0 picks a free one)"
    )]
    Bind {
        /// The configured address.
        addr: Listen,
        /// Why.
        source: std::io::Error,
    },
    /// TLS was configured for a Unix socket.
    #[error(
        "TLS on a Unix socket is not supported: terminate TLS in the reverse proxy in front of it"
    )]
    UnixTls,
    /// The certificate, key or client CA could not be loaded.
    #[error(transparent)]
    Tls(#[from] TlsError),
}

/// A bound socket.
enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

/// A bound, not yet running, webterm server.
pub struct Server {
    listener: Listener,
    /// The configuration as it is now: a reload replaces it.
    config: web::Data<Live<Config>>,
    /// The TLS configuration, which a reload replaces; `None` without TLS.
    tls: Option<Arc<Tls>>,
    auth: web::Data<Authenticator>,
    shutdown: Shutdown,
    /// Where SIGHUP reads the configuration again; without it SIGHUP is ignored.
    loader: Option<Loader>,
}

impl Server {
    /// Checks the configuration, loads the TLS files and binds the address. Port 0 picks a free port;
    /// [`Server::local_addr`] tells which.
    pub fn bind(config: Config) -> Result<Server, ServerError> {
        config.validate()?;
        let tls = Tls::load(&config.tls)?.map(Arc::new);
        let bind_error = |source| ServerError::Bind {
            addr: config.listen.clone(),
            source,
        };
        let listener = match &config.listen {
            Listen::Tcp(addr) => Listener::Tcp(tcp::bind(*addr).map_err(bind_error)?),
            Listen::Unix(_) if tls.is_some() => return Err(ServerError::UnixTls),
            Listen::Unix(path) => Listener::Unix(
                unix_socket::bind(path, config.unix_socket_mode()).map_err(bind_error)?,
            ),
        };
        let port = match &listener {
            Listener::Tcp(tcp) => tcp.local_addr().map_err(bind_error)?.port(),
            Listener::Unix(_) => 0,
        };
        let auth = web::Data::new(Authenticator::new(&config, port));
        if !config.listen.is_local() && tls.is_none() {
            tracing::warn!(
                listen = %config.listen,
                "serving a terminal over plain HTTP on a non-loopback address: credentials and keystrokes cross the \
                 network unencrypted; set [tls] or put a TLS reverse proxy in front"
            );
        }
        Ok(Server {
            shutdown: Shutdown::new(),
            listener,
            config: web::Data::new(Live::new(config)),
            tls,
            auth,
            loader: None,
        })
    }

    /// Reloads the configuration with `loader` on SIGHUP once running (see [`crate::reload`]).
    pub fn reload_on_hangup(mut self, loader: Loader) -> Server {
        self.loader = Some(loader);
        self
    }

    /// What applies a new configuration to this server, once it runs.
    pub fn reloader(&self) -> Reloader {
        Reloader {
            config: self.config.clone(),
            auth: self.auth.clone(),
            tls: self.tls.clone(),
        }
    }

    /// The TCP address actually bound (port 0 replaced by the real port); `None` on a Unix socket.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        match &self.listener {
            Listener::Tcp(tcp) => Some(tcp.local_addr().expect("a bound listener has an address")),
            Listener::Unix(_) => None,
        }
    }

    /// The URL a browser should open: `http(s)://ADDR/` (or `unix:PATH` on a Unix socket), with
    /// `?token=TOKEN` when the token was generated at start. This is the only place the token is shown.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let base = match self.local_addr() {
            Some(addr) => format!(
                "{scheme}://{addr}{}/",
                self.config.get().base_path.trim_end_matches('/')
            ),
            None => self.config.get().listen.to_string(),
        };
        match self.auth.url_token() {
            Some(token) => format!("{base}?token={token}"),
            None => base,
        }
    }

    /// Serves until the process is asked to stop (SIGINT/SIGTERM) or the returned server is stopped.
    pub fn run(self) -> std::io::Result<actix_web::dev::Server> {
        pty::become_subreaper();
        if let Some(loader) = self.loader.clone() {
            actix_web::rt::spawn(self.reloader().on_hangup(loader)?);
        }
        let config = self.config.clone();
        // What only changes with a restart is read once, here.
        let first = self.config.get();
        let headers = web::Data::new(SecurityHeaders::new(&first));
        let clients = web::Data::new(ClientLimit::new(first.session.max_clients, 0));
        let sessions = web::Data::new(Sessions::new(
            first.session.max_sessions,
            first.session.max_per_user,
        ));
        let metrics = web::Data::new(Metrics::default());
        let shutdown = web::Data::new(self.shutdown.clone());
        let state = AppState {
            config,
            auth: self.auth.clone(),
            headers,
            clients,
            sessions,
            metrics,
            shutdown,
            prefix: first.base_path.trim_end_matches('/').to_owned(),
        };
        let http = first.http.clone();
        let mut server = actix_server::Server::build();
        if first.workers > 0 {
            server = server.workers(first.workers);
        }
        server = match (self.listener, self.tls) {
            (Listener::Tcp(tcp), Some(tls)) => {
                let handshakes = Handshakes::new(tls, http.request_timeout());
                server.listen("webterm-https", tcp, move || {
                    // SECURITY: HTTP/1.1 only, never HTTP/2, whose idle connections actix-http never closes
                    // (see `handshake`).
                    handshakes
                        .clone()
                        .and_then(http_service(&http, state.clone()))
                })?
            }
            (Listener::Tcp(tcp), None) => server.listen("webterm-http", tcp, move || {
                http_service(&http, state.clone()).tcp()
            })?,
            (Listener::Unix(socket), _) => {
                server.listen_uds("webterm-unix", socket, move || {
                    fn_service(|io: UnixStream| async { Ok((io, Protocol::Http1, None)) })
                        .and_then(http_service(&http, state.clone()))
                })?
            }
        };
        // webterm handles SIGTERM/SIGINT itself: actix's own graceful stop would wait for WebSocket connections
        // that never end by themselves.
        let server = server.disable_signals().shutdown_timeout(1).run();
        let handle = server.handle();
        let grace = first.shutdown_grace();
        let shutdown = self.shutdown;
        actix_web::rt::spawn(async move {
            tokio::select! {
                _ = crate::shutdown::wait_for_signal() => {}
                _ = shutdown.requested() => {}
            }
            if !shutdown.drain(grace).await {
                tracing::warn!(
                    ?grace,
                    "sessions still running at the end of shutdown_grace_ms; stopping anyway"
                );
            }
            handle.stop(true).await;
        });
        Ok(server)
    }

    /// The shutdown shared with every connection; [`Shutdown::drain`] on it is what SIGTERM does.
    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.clone()
    }
}
