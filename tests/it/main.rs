//! The integration tests: one binary, one module per area. Servers start in-process on port 0 unless a
//! test needs the real binary (then it says so). Set `TEST_LOG=1` to see the server's logs.
//!
//! - `support`: the in-process server, a WebSocket client that speaks protocol v1, process and fd probes.
//! - `terminal`: the terminal over `/ws`: input, output, sizes, exit, the whole of the program's output.
//! - `teardown`: disconnects of every kind leave no process behind.
//! - `durable`: sessions outlive connections: reattach with the screen, catching up with a snapshot, bad ids.
//! - `sharing`: several clients of one session: the same screen, who may attach (viewers, admins), `single` input.
//! - `session_lifetime`: when sessions end (linger, the session API, `session.once`) and `session.max_sessions`.
//! - `session_size`: one size per session, told to every client (`size`) when a client that may type changes it.
//! - `bad_input`: malformed frames, oversized messages, bad queries: the answer, and the server stays healthy.
//! - `assets`: the embedded page and its files.
//! - `session_options`: URL arguments, cwd, environment allow-list, user, per-user limit.
//! - `terminals`: `[[terminal]]` tables, each at its own path.
//! - `operations`: `/healthz`, `/metrics`, graceful shutdown.
//! - `reload`: SIGHUP reloads routes and credentials, keeps live sessions, refuses a bad config.
//! - `unix_socket`: listening on a Unix socket, whose mode is never wider than configured (the real binary, under
//!   `umask 000`).
//! - `upgrade`: the connection around a WebSocket handshake: frames sent with it, refusals, a handshake with a body.
//! - `proxy`: the shipped nginx config in front of webterm, with a real nginx.
//! - `flood`: a client that stops reading: bounded memory, a paused program, other sessions unaffected, and its
//!   connection dropped once it misses its pings; a short unsent queue, so that `pause` acts at once, and no Nagle
//!   delay; output a screen would keep for ever; attaching during a flood.
//! - `input_resume`: a page back after a drop learns how much of its old connection's input arrived
//!   (`resume_input`); the old connection types no more.
//! - `input_wait`: input a program does not read waits in the server; the client's control messages and the
//!   heartbeat go on.
//! - `soak`: thousands of sessions against the real binary; nothing left behind.
//! - `black_box`: the real binary: the `listening on` line, config errors, no fd or child leaks.
//! - `autobahn`: the `/echo` route against Autobahn's conformance cases (kosoku).
//! - `browser`: a real headless Chromium types into the page and reads what xterm.js rendered.
//! - `fuzz`: property tests of the frame decoder, control messages, the config parser and the server's screen on
//!   arbitrary input (`PROPTEST_CASES`); `fuzz/` runs the same checks under cargo-fuzz.
//! - `security`: unauthenticated, cross-origin, read-only and hostile clients; TLS; the server stays healthy.

mod support;

mod assets;
mod autobahn;
mod bad_input;
mod black_box;
mod browser;
mod durable;
mod flood;
mod fuzz;
mod input_resume;
mod input_wait;
mod operations;
mod proxy;
mod reload;
mod security;
mod session_lifetime;
mod session_options;
mod session_size;
mod sharing;
mod soak;
mod teardown;
mod terminal;
mod terminals;
mod unix_socket;
mod upgrade;
