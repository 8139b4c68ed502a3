//! The one route table: every path the server answers under `base_path`, and the handler behind it.

use actix_web::guard::{self, GuardContext};
use actix_web::middleware::from_fn;
use actix_web::web;

use crate::auth;
use crate::config::Config;
use crate::live::Live;
use crate::routes;

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
