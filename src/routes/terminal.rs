//! `GET /ws`: the terminal. Checks the query, starts a PTY session and hands both ends to the pump.

use actix_web::{HttpRequest, HttpResponse, web};
use tracing::Instrument;

use crate::auth::{Identity, Role};
use crate::client_limit::{ClientLimit, Full};
use crate::config::{Config, SessionConfig, TerminalConfig};
use crate::metrics::Metrics;
use crate::protocol::{DEFAULT_SIZE, ServerMessage, Size};
use crate::pty::{Session, SpawnOptions};
use crate::shutdown::Shutdown;
use crate::{pump, ws};

/// The query of `/ws`: `cols`, `rows`, and `arg` (repeatable) when `session.allow_url_args` is on.
#[derive(Debug, Default)]
struct ConnectQuery {
    cols: Option<u32>,
    rows: Option<u32>,
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

/// Upgrades to a WebSocket and attaches it to a new session running the configured command.
pub async fn connect(
    req: HttpRequest,
    payload: web::Payload,
    config: web::Data<Config>,
    clients: web::Data<ClientLimit>,
    metrics: web::Data<Metrics>,
    shutdown: web::Data<Shutdown>,
    identity: Identity,
) -> actix_web::Result<HttpResponse> {
    // The `[[terminal]]` this socket belongs to; none for the main terminal.
    let route = req.app_data::<web::Data<TerminalConfig>>().cloned();
    if let Some(refusal) = refuse_user(route.as_ref().map(|r| r.get_ref()), &identity) {
        return Ok(refusal);
    }
    if shutdown.is_started() {
        return Ok(HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body("webterm is shutting down\n"));
    }
    let query = match ConnectQuery::parse(req.query_string(), config.session.allow_url_args) {
        Ok(query) => query,
        Err(reason) => return Ok(bad_request(reason)),
    };
    let size = match Size::new(
        query.cols.unwrap_or(DEFAULT_SIZE.cols.into()),
        query.rows.unwrap_or(DEFAULT_SIZE.rows.into()),
    ) {
        Ok(size) => size,
        Err(reason) => return Ok(bad_request(reason)),
    };
    let peer = req.peer_addr().map(|a| a.to_string()).unwrap_or_default();
    let slot = match clients.acquire(&identity.user) {
        Ok(slot) => slot,
        Err(full) => {
            let reason = match full {
                Full::Server => format!(
                    "webterm already has its maximum of {} terminals open (session.max_clients); try again later",
                    clients.max()
                ),
                Full::User => format!(
                    "you already have {} terminals open (session.max_per_user); close one and try again",
                    clients.max_per_user()
                ),
            };
            tracing::warn!(%peer, user = identity.user, "refused a terminal: {reason}");
            return Ok(HttpResponse::ServiceUnavailable()
                .insert_header((actix_web::http::header::RETRY_AFTER, "5"))
                .content_type("text/plain; charset=utf-8")
                .body(reason + "\n"));
        }
    };
    let (response, out, inbox) = ws::accept(&req, payload, config.websocket.max_message_size)?;

    let session_config = &config.session;
    let route = route.as_ref().map(|r| r.get_ref());
    let mut command = match route {
        Some(terminal) => terminal.command.clone(),
        None => session_config.command.clone(),
    };
    if !query.args.is_empty() {
        if command.is_empty() {
            command = crate::pty::default_command();
        }
        command.extend(query.args);
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
        account: session_config
            .account()
            .map_err(actix_web::error::ErrorInternalServerError)?,
    };
    match Session::spawn(&options) {
        Ok(session) => {
            let span = tracing::info_span!("connection", session = %session.id(), %peer, user = identity.user);
            let mut settings =
                pump::Settings::new(&config, metrics.into_inner(), (**shutdown).clone());
            // SECURITY: the server decides who types; a read-only client's input never reaches the program,
            // whatever its page does.
            settings.writable &= identity.role == Role::Write && route.is_none_or(|t| t.writable);
            settings.title = route.and_then(|terminal| terminal.title.clone());
            let pump = async move {
                pump::run(session, out, inbox, settings).await;
                drop(slot);
            };
            actix_web::rt::spawn(shutdown.track(pump.instrument(span)));
        }
        Err(error) => {
            tracing::error!(%peer, %error, "could not start a session");
            actix_web::rt::spawn(async move {
                let mut out = out;
                let message = ServerMessage::Error {
                    message: error.to_string(),
                };
                let _ = out.text(message.to_json()).await;
                ws::close(out, 1011, "could not start the program").await;
            });
        }
    }
    Ok(response)
}
