//! The one route table, and the server's life: bind first (so the real address is known), then run actix-http's
//! service on the listener (HTTP/1.1, over TLS after `handshake`), with the upgrades (WebSockets) handed to
//! `ws::transport`.

use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::net::UnixListener;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_codec::{AsyncRead, AsyncWrite, Framed};
use actix_http::body::{BoxBody, MessageBody};
use actix_http::{HttpService, Protocol, Request, Response, h1};
use actix_service::{
    IntoServiceFactory, ServiceFactory, ServiceFactoryExt, fn_factory, fn_service, map_config,
};
use actix_web::dev::{AppConfig, ServiceRequest, ServiceResponse};
use actix_web::guard::{self, GuardContext};
use actix_web::middleware::from_fn;
use actix_web::{App, web};
use tokio::net::UnixStream;

use crate::auth::{self, Authenticator};
use crate::client_limit::ClientLimit;
use crate::config::{Config, ConfigError, HttpConfig, Listen};
use crate::handshake::Handshakes;
use crate::live::Live;
use crate::metrics::Metrics;
use crate::reload::{Loader, Reloader};
use crate::security_headers::{self, SecurityHeaders};
use crate::sessions::Sessions;
use crate::shutdown::Shutdown;
use crate::tls::{Tls, TlsError};
use crate::{pty, routes, tcp, unix_socket, ws};

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

/// `/api`: the session API (`/api/sessions`).
const API: &str = "/api";
/// `/echo`: the diagnostics socket and its page.
const ECHO: &str = "/echo";
/// `/healthz`: liveness.
const HEALTHZ: &str = "/healthz";
/// `/metrics`: the counters.
const METRICS: &str = "/metrics";
/// `/replay`: the page that plays a recording.
const REPLAY: &str = "/replay";
/// `/ws`: the main terminal's socket (each `[[terminal]]` has one under its own path too).
const WS: &str = "/ws";

/// The paths [`routes`] registers for the server itself under `base_path`, besides the main terminal's page and
/// its files (`/` and `/{file}`). `routes` names these paths from this list and from nothing else.
///
/// A `[[terminal]]` path may not be one of these or start with one (the configuration refuses it): the server's
/// own route would be matched first, so `GET /replay` would serve the replay page instead of a terminal at
/// `/replay`. The page's files need no entry: each has a `.` in its name, which a terminal's path cannot have.
pub const OWN_PATHS: [&str; 6] = [API, ECHO, HEALTHZ, METRICS, REPLAY, WS];

/// Adds every route to an app (under `base_path`); the only place where paths are named (see [`OWN_PATHS`]).
///
/// The `[[terminal]]` tables are not routes of their own: the `{terminal}` routes below look the path up in the
/// current configuration at each request ([`routes::terminal::Route`]), so that a reload adds and removes them.
/// Each has its page, socket and files under its own path, like the main terminal at the root.
///
/// SECURITY: the pages, the terminals and the echo socket are behind the gate (credentials, and the `Origin` of
/// upgrades); `/metrics` and the API are behind the API gate, which never starts a browser session. The other
/// files are the public bundle, the same for everyone and free of secrets, so a browser may load them before it
/// has signed in.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(ECHO)
            .wrap(from_fn(auth::gate))
            .route(web::get().to(routes::echo::echo)),
    )
    .service(
        web::resource(METRICS)
            .wrap(from_fn(auth::api_gate))
            .route(web::get().to(routes::health::metrics)),
    )
    .service(
        web::resource(REPLAY)
            .wrap(from_fn(auth::gate))
            .route(web::get().to(routes::assets::replay)),
    )
    .service(
        web::scope(&format!("{API}/sessions"))
            .wrap(from_fn(auth::api_gate))
            .route("", web::get().to(routes::api::list))
            .route("/{id}", web::delete().to(routes::api::end)),
    )
    // Liveness for load balancers and systemd: no credentials, no information.
    .route(HEALTHZ, web::get().to(routes::health::healthz));
    // A terminal's path without the slash (before `/{file}`, which would take `/htop`): its page's relative URLs
    // need the slash.
    cfg.service(
        web::resource("/{path:.+}")
            .guard(guard::fn_guard(is_terminal_path))
            .route(web::get().to(routes::assets::add_slash)),
    );
    terminal_routes(cfg, "");
    terminal_routes(cfg, "/{terminal:.+}");
}

/// One terminal under `prefix`: its page, its socket, and the page's files.
fn terminal_routes(cfg: &mut web::ServiceConfig, prefix: &str) {
    cfg.service(
        web::resource(format!("{prefix}/"))
            .wrap(from_fn(auth::gate))
            .route(web::get().to(routes::assets::index)),
    )
    .service(
        web::resource(format!("{prefix}{WS}"))
            .wrap(from_fn(auth::gate))
            .route(web::get().to(routes::terminal::connect)),
    )
    .route(
        &format!("{prefix}/{{file}}"),
        web::get().to(routes::assets::file),
    );
}

/// Whether the request's path is exactly a `[[terminal]]`'s path (under `base_path`).
fn is_terminal_path(ctx: &GuardContext<'_>) -> bool {
    let Some(config) = ctx.app_data::<web::Data<Live<Config>>>() else {
        return false;
    };
    let config = config.get();
    let path = ctx.head().uri.path();
    let path = path
        .strip_prefix(config.base_path.trim_end_matches('/'))
        .unwrap_or(path);
    config.terminal(path).is_some()
}

/// The App as actix-http calls it: any answer, refusals included, is a response.
trait HttpApp:
    ServiceFactory<
        Request,
        Config = (),
        Response = Response<BoxBody>,
        Error = Response<BoxBody>,
        InitError = (),
    >
{
}

impl<S> HttpApp for S where
    S: ServiceFactory<
            Request,
            Config = (),
            Response = Response<BoxBody>,
            Error = Response<BoxBody>,
            InitError = (),
        >
{
}

/// An upgrade service for connections of type `T`: it gets the request and the connection.
trait Upgrades<T>:
    ServiceFactory<
        (Request, Framed<T, h1::Codec>),
        Config = (),
        Response = (),
        Error = Infallible,
        InitError = (),
    >
{
}

impl<T, U> Upgrades<T> for U where
    U: ServiceFactory<
            (Request, Framed<T, h1::Codec>),
            Config = (),
            Response = (),
            Error = Infallible,
            InitError = (),
        >
{
}

/// What every App shares: the live configuration, the gate, and the server-wide state.
#[derive(Clone)]
struct AppState {
    config: web::Data<Live<Config>>,
    auth: web::Data<Authenticator>,
    headers: web::Data<SecurityHeaders>,
    clients: web::Data<ClientLimit>,
    sessions: web::Data<Sessions>,
    metrics: web::Data<Metrics>,
    shutdown: web::Data<Shutdown>,
    /// `base_path` without its last slash.
    prefix: String,
}

impl AppState {
    /// The App: every route under `base_path`, with the security headers on every answer.
    fn app(
        self,
    ) -> App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = actix_web::Error,
            InitError = (),
        >,
    > {
        let prefix = self.prefix;
        App::new()
            .app_data(self.config)
            .app_data(self.auth)
            .app_data(self.headers)
            .app_data(self.clients)
            .app_data(self.sessions)
            .app_data(self.metrics)
            .app_data(self.shutdown)
            .wrap(from_fn(security_headers::add))
            .configure(|cfg| {
                if !prefix.is_empty() {
                    cfg.route(&prefix, web::get().to(routes::assets::add_slash));
                }
            })
            .service(web::scope(&prefix).configure(routes))
    }

    /// The App as actix-http calls it.
    fn service(self) -> impl HttpApp {
        // actix-web's own server fills the App's config with the listener's address and scheme, for
        // `ConnectionInfo`'s fallbacks and `url_for`, and offers no public way to do the same. webterm uses neither
        // (the origin check reads the request's `Host`), so the default config is as good.
        map_config(self.app().into_factory(), |()| AppConfig::default())
            .map(|response| Response::from(response).map_into_boxed_body())
            .map_err(|error: actix_web::Error| Response::from(error.error_response()))
    }

    /// The upgrade service for connections of type `T` (see `ws::transport`), with an App of its own.
    fn upgrades<T>(self) -> impl Upgrades<T> + use<T>
    where
        T: AsyncRead + AsyncWrite + Unpin + 'static,
    {
        fn_factory(move || {
            let app = self.clone().service().new_service(());
            async move {
                let app = Rc::new(app.await?);
                Ok(fn_service(move |request| {
                    ws::transport::upgrade(app.clone(), request)
                }))
            }
        })
    }
}

/// The HTTP service for connections of type `T`: requests go to the App, and upgrades (WebSockets) to the same
/// App through our upgrade service, which then moves the connection's bytes itself.
fn http_service<T>(
    http: &HttpConfig,
    state: AppState,
) -> HttpService<T, impl HttpApp + use<T>, BoxBody, h1::ExpectHandler, impl Upgrades<T> + use<T>>
where
    T: AsyncRead + AsyncWrite + Unpin + 'static,
{
    HttpService::build()
        // SECURITY: a client that sends its request head slowly (slowloris) is dropped after this, so idle
        // half-requests cannot pile up; idle keep-alive connections are closed too.
        .client_request_timeout(http.request_timeout())
        .keep_alive(http.keep_alive())
        .client_disconnect_timeout(Duration::from_secs(1))
        .upgrade(state.clone().upgrades())
        .finish(state.service())
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
