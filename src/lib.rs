//! webterm: a real shell in the browser. Everything lives in this library; `main.rs` only wires it up.
//!
//! Where things live:
//! - `cli`, `config`: what the user asked for (flags, env, file) and the effective settings.
//! - `server`: the one route table; bind, then run.
//! - `routes`: HTTP handlers (`/`, `/ws`, `/echo`, assets).
//! - `protocol`: the JSON control messages of the wire protocol (pure, no I/O).
//! - `ws`: WebSocket framing on top of actix-ws (our own strict frame reader).
//! - `pty`: the pseudo-terminal, the process under it and its teardown. Knows nothing of WebSockets.
//! - `pump`: moves bytes and control messages between one PTY session and one WebSocket.

pub mod cli;
pub mod config;
pub mod protocol;
pub mod pty;
pub mod pump;
pub mod routes;
pub mod server;
pub mod telemetry;
pub mod ws;
