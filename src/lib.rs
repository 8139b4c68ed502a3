//! webterm: a real shell in the browser. Everything lives in this library; `main.rs` only wires it up.
//!
//! Where things live:
//! - `cli`, `config`: what the user asked for (flags, env, file) and the effective settings; `live`: a value a
//!   reload replaces; `reload`: SIGHUP reads the configuration again without dropping anything live.
//! - `server`: the one route table; bind, then run. `tls`: its rustls configuration; `handshake`: the TLS
//!   handshake of each connection, which then speaks HTTP/1.1 only; `tcp`, `unix_socket`: the listeners (`tcp`
//!   keeps each connection's unsent queue short, so that `pause` takes effect quickly).
//! - `auth`: who may connect and with which role; `origin`: the `Origin` check on WebSocket upgrades;
//!   `security_headers`: the headers on every response; `client_limit`: `session.max_clients`.
//! - `password_prompt`: reading a password for `webterm hash-password`.
//! - `routes`: HTTP handlers (`/`, `/ws`, `/echo`, assets, `/healthz`, `/metrics`, `/api/sessions`).
//! - `recording`: sessions recorded as asciicast v2 files.
//! - `screen`: the server-side model of a session's terminal (alacritty_terminal) and its snapshots.
//! - `metrics`: the counters behind `/metrics`; `shutdown`: graceful shutdown on SIGTERM/SIGINT.
//! - `protocol`: the JSON control messages of the wire protocol (pure, no I/O).
//! - `ws`: WebSocket connections: actix-ws does the handshake, our own strict frame reader, writer and transport (the
//!   upgraded connection's bytes, without actix-http's buffers) do the rest. `queue`: the small bounded queue
//!   between tasks that sessions and WebSocket writers use.
//! - `pty`: the pseudo-terminal, the process under it and its teardown. Knows nothing of WebSockets.
//! - `sessions`: sessions that outlive connections: the registry, and the hub task that runs each session
//!   (its PTY, its screen, its clients).
//! - `pump`: moves bytes and control messages between one WebSocket and the session it is attached to.

pub mod auth;
pub mod cli;
pub mod client_limit;
pub mod config;
pub mod handshake;
pub mod live;
pub mod memory;
pub mod metrics;
pub mod origin;
pub mod password_prompt;
pub mod protocol;
pub mod pty;
pub mod pump;
pub mod queue;
pub mod recording;
pub mod reload;
pub mod routes;
pub mod screen;
pub mod security_headers;
pub mod server;
pub mod sessions;
pub mod shutdown;
pub mod tcp;
pub mod telemetry;
pub mod tls;
pub mod unix_socket;
pub mod ws;
