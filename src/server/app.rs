//! The actix-http service every listener runs: the App with its shared state (`AppState`), and the upgrade
//! service that hands WebSockets to `ws::transport`.

use std::convert::Infallible;
use std::rc::Rc;
use std::time::Duration;

use actix_codec::{AsyncRead, AsyncWrite, Framed};
use actix_http::body::{BoxBody, MessageBody};
use actix_http::{HttpService, Request, Response, h1};
use actix_service::{
    IntoServiceFactory, ServiceFactory, ServiceFactoryExt, fn_factory, fn_service, map_config,
};
use actix_web::dev::{AppConfig, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, web};

use super::route_table;
use crate::auth::Authenticator;
use crate::client_limit::ClientLimit;
use crate::config::{Config, HttpConfig};
use crate::live::Live;
use crate::metrics::Metrics;
use crate::security_headers::{self, SecurityHeaders};
use crate::sessions::Sessions;
use crate::shutdown::Shutdown;
use crate::{routes, ws};

/// The App as actix-http calls it: any answer, refusals included, is a response.
pub(super) trait HttpApp:
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
pub(super) trait Upgrades<T>:
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
pub(super) struct AppState {
    pub(super) config: web::Data<Live<Config>>,
    pub(super) auth: web::Data<Authenticator>,
    pub(super) headers: web::Data<SecurityHeaders>,
    pub(super) clients: web::Data<ClientLimit>,
    pub(super) sessions: web::Data<Sessions>,
    pub(super) metrics: web::Data<Metrics>,
    pub(super) shutdown: web::Data<Shutdown>,
    /// `base_path` without its last slash.
    pub(super) prefix: String,
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
            .service(web::scope(&prefix).configure(route_table::routes))
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
pub(super) fn http_service<T>(
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
