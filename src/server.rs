//! The one route table, and the server's life: bind first (so the real address is known), then run.

use std::net::{SocketAddr, TcpListener};

use actix_web::{App, HttpServer, web};

use crate::config::Config;
use crate::pty;
use crate::routes;

/// A bound, not yet running, webterm server.
pub struct Server {
    listener: TcpListener,
    config: Config,
}

/// Adds every route to an app; the only place where paths are named.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(routes::assets::index))
        .route("/ws", web::get().to(routes::terminal::connect))
        .route("/echo", web::get().to(routes::echo::echo))
        .route("/{file}", web::get().to(routes::assets::file));
}

impl Server {
    /// Binds the configured address. Port 0 picks a free port; [`Server::local_addr`] tells which.
    pub fn bind(config: Config) -> std::io::Result<Server> {
        let listener = TcpListener::bind(config.listen)?;
        Ok(Server { listener, config })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// The URL a browser should open.
    pub fn url(&self) -> String {
        format!("http://{}/", self.local_addr())
    }

    /// Serves until the process is asked to stop (SIGINT/SIGTERM) or the returned server is stopped.
    pub fn run(self) -> std::io::Result<actix_web::dev::Server> {
        pty::become_subreaper();
        let config = web::Data::new(self.config.clone());
        let mut server = HttpServer::new(move || App::new().app_data(config.clone()).configure(routes))
            .listen(self.listener)?;
        if self.config.workers > 0 {
            server = server.workers(self.config.workers);
        }
        Ok(server.run())
    }
}
