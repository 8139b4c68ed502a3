//! `GET /ws`: the terminal. Checks the query, starts a session (or finds the one `?session=ID` names), and
//! hands the connection to the pump.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use futures_util::FutureExt;
use tracing::Instrument;

use crate::auth::{Identity, Role};
use crate::client_limit::{ClientLimit, ClientSlot, Full};
use crate::config::{Config, SessionConfig, TerminalConfig};
use crate::live::Live;
use crate::metrics::Metrics;
use crate::protocol::{DEFAULT_SIZE, ServerMessage, Size};
use crate::pty::{Session, SpawnOptions};
use crate::sessions::{Hub, HubSettings, Rights, Sessions};
use crate::shutdown::Shutdown;
use crate::{pump, ws};

/// The query of `/ws`: `cols`, `rows`, `session` (attach to that live session), and `arg` (repeatable) when
/// `session.allow_url_args` is on.
#[derive(Debug, Default)]
struct ConnectQuery {
    cols: Option<u32>,
    rows: Option<u32>,
    session: Option<String>,
    args: Vec<String>,
}

impl ConnectQuery {
    fn parse(query: &str, allow_args: bool) -> Result<ConnectQuery, String> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query).map_err(|e| format!("bad query: {e}"))?;
        let number = |name: &str, value: &str| {
            value
                .parse::<u32>()
                .map_err(|_| format!("{name} must be a whole number, got {value:?}"))
        };
        let mut parsed = ConnectQuery::default();
        for (name, value) in pairs {
            match name.as_str() {
                "cols" => parsed.cols = Some(number("cols", &value)?),
                "rows" => parsed.rows = Some(number("rows", &value)?),
                "session" if value.is_empty() || value.len() > 64 => {
                    return Err("session must be a session id from hello".into());
                }
                "session" => parsed.session = Some(value),
                // SECURITY: URL arguments reach the program only when the operator opted in, and only as argv
                // entries of their own: no shell ever sees them.
                "arg" if allow_args => parsed.args.push(value),
                "arg" => {
                    return Err("arguments from the URL are off (session.allow_url_args)".into());
                }
                other => return Err(format!("unknown query parameter {other:?}")),
            }
        }
        Ok(parsed)
    }
}

/// The `[[terminal]]` a request is for, as the configuration has it now; `None` for the main terminal. A request
/// to a `{terminal}` route whose path no `[[terminal]]` has (any more) is answered 404.
#[derive(Debug)]
pub struct Route(pub Option<TerminalConfig>);

impl FromRequest for Route {
    type Error = actix_web::Error;
    type Future = Ready<Result<Route, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let Some(path) = req.match_info().get("terminal") else {
            return ready(Ok(Route(None)));
        };
        let config = req
            .app_data::<web::Data<Live<Config>>>()
            .expect("the server registers the config")
            .get();
        let found = config.terminal(&format!("/{path}")).cloned();
        ready(found.map(|t| Route(Some(t))).ok_or_else(|| {
            actix_web::error::InternalError::from_response(
                "no such terminal",
                HttpResponse::NotFound()
                    .content_type("text/plain; charset=utf-8")
                    .body("not found\n"),
            )
            .into()
        }))
    }
}

/// `403` when `identity` may not use the `[[terminal]]` `route`.
pub fn refuse_user(route: Option<&TerminalConfig>, identity: &Identity) -> Option<HttpResponse> {
    let terminal = route.filter(|terminal| !terminal.allows(&identity.user))?;
    tracing::warn!(
        user = identity.user,
        path = terminal.path,
        "refused: not among the terminal's users"
    );
    Some(
        HttpResponse::Forbidden()
            .content_type("text/plain; charset=utf-8")
            .body(format!(
                "{} may not use the terminal at {}\n",
                identity.user, terminal.path
            )),
    )
}

/// The program's environment: `None` to inherit webterm's, else the allowed variables and the route's own.
fn environment(
    session: &SessionConfig,
    route: Option<&TerminalConfig>,
) -> Option<Vec<(String, String)>> {
    let extra = route
        .map(|terminal| &terminal.env)
        .filter(|env| !env.is_empty());
    if session.env_allow.is_none() && extra.is_none() {
        return None;
    }
    let mut env: Vec<(String, String)> = std::env::vars()
        .filter(|(name, _)| session.env_allowed(name))
        .collect();
    env.extend(
        extra
            .into_iter()
            .flatten()
            .map(|(name, value)| (name.clone(), value.clone())),
    );
    Some(env)
}

fn bad_request(reason: String) -> HttpResponse {
    HttpResponse::BadRequest()
        .content_type("text/plain; charset=utf-8")
        .body(reason + "\n")
}

/// The close code for "no such session" (a reattach to a session that ended or is someone else's).
pub const CLOSE_NO_SESSION: u16 = 4404;

/// What `/ws` does once the request is checked.
enum Plan {
    /// Attach to the live session with this id.
    Attach(String),
    /// Start a session in this place among `session.max_sessions`.
    Start(ClientSlot),
}

/// 503 with a reason and `Retry-After`.
fn unavailable(reason: String) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((actix_web::http::header::RETRY_AFTER, "5"))
        .content_type("text/plain; charset=utf-8")
        .body(reason + "\n")
}

/// The 503 that refuses a new WebSocket once the shutdown has started; `None` before.
pub fn refuse_during_shutdown(shutdown: &Shutdown) -> Option<HttpResponse> {
    shutdown.is_started().then(|| {
        HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body("webterm is shutting down\n")
    })
}

/// A place among `session.max_clients` for one more WebSocket of `identity`'s (a terminal's, or `/echo`'s), or
/// the 503 that refuses it.
pub fn take_place(
    clients: &ClientLimit,
    identity: &Identity,
    peer: &str,
) -> Result<ClientSlot, HttpResponse> {
    let user = identity.user.as_str();
    // SECURITY: read-only credentials get at most half of the places (see `client_limit`).
    let place = match identity.role {
        Role::Write => clients.acquire(user),
        Role::Read => clients.acquire_viewer(user),
    };
    place.map_err(|full| {
        let reason = match full {
            // Connections have no limit per user of their own (`session.max_per_user` counts sessions).
            Full::Server | Full::User => format!(
                "webterm already has its maximum of {} WebSocket connections open (session.max_clients); \
                 try again later",
                clients.max()
            ),
            Full::Viewers => format!(
                "read-only clients already have {} WebSocket connections open, half of session.max_clients \
                 (the other half is kept for clients that may type); try again later",
                clients.max_viewers()
            ),
        };
        tracing::warn!(%peer, user, "refused a WebSocket: {reason}");
        unavailable(reason)
    })
}

/// Upgrades to a WebSocket and attaches it to a new session running the configured command, or with
/// `?session=ID` to that live session.
#[allow(clippy::too_many_arguments)]
pub async fn connect(
    req: HttpRequest,
    payload: web::Payload,
    config: web::Data<Live<Config>>,
    route: Route,
    clients: web::Data<ClientLimit>,
    sessions: web::Data<Sessions>,
    metrics: web::Data<Metrics>,
    shutdown: web::Data<Shutdown>,
    identity: Identity,
) -> actix_web::Result<HttpResponse> {
    // The configuration as it is now; a reload during this session does not change it for this connection.
    let config = config.get();
    // The `[[terminal]]` this socket belongs to; none for the main terminal.
    let route = route.0.as_ref();
    if let Some(refusal) = refuse_user(route, &identity) {
        return Ok(refusal);
    }
    if let Some(refusal) = refuse_during_shutdown(&shutdown) {
        return Ok(refusal);
    }
    let query = match ConnectQuery::parse(req.query_string(), config.session.allow_url_args) {
        Ok(query) => query,
        Err(reason) => return Ok(bad_request(reason)),
    };
    let size = match (query.cols, query.rows) {
        (None, None) => None,
        (cols, rows) => match Size::new(
            cols.unwrap_or(DEFAULT_SIZE.cols.into()),
            rows.unwrap_or(DEFAULT_SIZE.rows.into()),
        ) {
            Ok(size) => Some(size),
            Err(reason) => return Ok(bad_request(reason)),
        },
    };
    // Every refusal of a bad request (4xx) comes before the places are taken: a request that is no WebSocket
    // handshake gets its 400 on a full server too, not a 503, and takes no place.
    let handshake = ws::handshake(&req)?;
    let peer = crate::auth::client_label(&req);
    // SECURITY: the server decides who types; a read-only client's input never reaches the program,
    // whatever its page does.
    let role = if identity.role == Role::Write
        && config.session.writable
        && route.is_none_or(|t| t.writable)
    {
        Role::Write
    } else {
        Role::Read
    };
    // SECURITY: only a client whose credentials let it type keeps its session alive after it leaves (for
    // `session.linger_secs`). A session that only read-only clients (a read token, a read-only user) ever saw
    // ends with the last of them: otherwise opening and closing sockets would leave a lingering session each
    // time, fill `session.max_sessions` and lock every writer out. Where nobody may type (`session.writable =
    // false`, a terminal's `writable = false`), a client whose credentials could still keeps its session: that
    // is the one holding the server's full trust, and a durable session (reattached after a network drop) is
    // what makes a watched `top` or `tail -f` worth keeping; a read token there still keeps nothing alive.
    let rights = Rights {
        role,
        keeps: identity.role == Role::Write,
    };
    // SECURITY: arguments from the URL choose what the program runs, which is more than typing: a client that may
    // not type (a read-only user or token, a read-only terminal) may not pass them either.
    if role == Role::Read && !query.args.is_empty() {
        tracing::warn!(%peer, user = identity.user, "refused URL arguments from a read-only client");
        return Ok(HttpResponse::Forbidden()
            .content_type("text/plain; charset=utf-8")
            .body("arguments from the URL (?arg=) need a client that may type; this one is read-only\n"));
    }
    let slot = match take_place(&clients, &identity, &peer) {
        Ok(slot) => slot,
        Err(refusal) => return Ok(refusal),
    };
    let route_path = route.map_or("/", |t| t.path.as_str()).to_owned();
    // A new session needs a place among `session.max_sessions` before the upgrade: refusing it is a 503.
    let plan = match query.session {
        Some(id) => Plan::Attach(id),
        None => match sessions.reserve(&identity.user) {
            Ok(session_slot) => Plan::Start(session_slot),
            Err(full) => {
                let (max, per_user) = sessions.limits();
                let reason = match full {
                    Full::Server => format!(
                        "webterm already has its maximum of {max} sessions (session.max_sessions); \
                         end one or try again later"
                    ),
                    // Sessions are reserved with `acquire`, never as a viewer's.
                    Full::User | Full::Viewers => format!(
                        "you already have {per_user} sessions (session.max_per_user); end one and try again"
                    ),
                };
                tracing::warn!(%peer, user = identity.user, "refused a session: {reason}");
                return Ok(unavailable(reason));
            }
        },
    };
    let (response, out, inbox) = handshake.accept(payload, config.websocket.max_message_size);
    let attaching = matches!(plan, Plan::Attach(_));
    let attachment = match plan {
        Plan::Attach(id) => {
            // SECURITY: only the session's owner, an admin, or a read-only viewer (a share link) attaches,
            // and only through the terminal the session runs under. Who else has a session is not told.
            let admin = config.auth.is_admin(&identity);
            let may_attach = |info: &crate::sessions::Info| {
                info.route == route_path
                    && (info.owner == identity.user || admin || role == Role::Read)
            };
            sessions
                .attach(&id, may_attach, rights, size)
                .await
                .map_err(|e| e.to_string())
        }
        Plan::Start(session_slot) => {
            start(&config, route, query.args, size.unwrap_or(DEFAULT_SIZE)).map(|session| {
                let settings = HubSettings {
                    linger: config.session.linger(),
                    scrollback: config.session.scrollback,
                    input: route.and_then(|t| t.input).unwrap_or(config.session.input),
                    metrics: metrics.clone().into_inner(),
                    shutdown: (**shutdown).clone(),
                    recording: config
                        .session
                        .record_dir
                        .clone()
                        .map(|dir| (dir, config.session.record_input)),
                    once: config.session.once,
                };
                Hub::start(
                    session,
                    &identity.user,
                    &route_path,
                    rights,
                    settings,
                    &sessions,
                    session_slot,
                )
            })
        }
    };
    match attachment {
        Ok(attachment) => {
            let span = tracing::info_span!("connection", session = %attachment.info.id, %peer, user = identity.user);
            let mut settings =
                pump::Settings::new(&config, metrics.into_inner(), (**shutdown).clone());
            settings.title = route.and_then(|terminal| terminal.title.clone());
            settings.peer = peer;
            settings.user = identity.user.clone();
            // `map`, not an async block around the call: that would hold the arguments twice.
            let pump = pump::run(attachment, out, inbox, settings).map(move |()| drop(slot));
            actix_web::rt::spawn(shutdown.track(pump.instrument(span)));
        }
        Err(message) => {
            // Told over the socket: a browser cannot read the status of a refused upgrade.
            if !attaching {
                tracing::error!(%peer, error = message, "could not start a session");
            }
            let code = if attaching { CLOSE_NO_SESSION } else { 1011 };
            actix_web::rt::spawn(async move {
                let error = ServerMessage::Error { message }.to_json();
                let _ = out.send(ws::Outgoing::Text(error)).await;
                let reason = if code == CLOSE_NO_SESSION {
                    "no such session"
                } else {
                    "could not start the program"
                };
                out.close(code, reason).await;
                inbox.until_closed().await;
            });
        }
    }
    Ok(response)
}

/// Starts the program of `route` (or `[session]`'s), with the URL's `args`, at `size`.
fn start(
    config: &Config,
    route: Option<&TerminalConfig>,
    args: Vec<String>,
    size: Size,
) -> Result<Session, String> {
    let session_config = &config.session;
    let mut command = match route {
        Some(terminal) => terminal.command.clone(),
        None => session_config.command.clone(),
    };
    if !args.is_empty() {
        if command.is_empty() {
            command = crate::pty::default_command();
        }
        command.extend(args);
    }
    let options = SpawnOptions {
        command,
        size,
        term: session_config.term.clone(),
        kill_grace: session_config.kill_grace(),
        cwd: route
            .and_then(|terminal| terminal.cwd.clone())
            .or_else(|| session_config.cwd.clone()),
        env: environment(session_config, route),
        account: session_config.account().map_err(|e| e.to_string())?,
    };
    Session::spawn(&options).map_err(|e| e.to_string())
}
