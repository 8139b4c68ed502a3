//! Shared test tools: an in-process server, a protocol v1 client, HTTP and `/proc` probes.
//!
//! The parts: `server` starts webterm in-process ([`TestServer`], [`config`]); `client` is the protocol v1
//! WebSocket client ([`Client`]); `http` speaks raw HTTP/1.1 to a server; `binary` runs the real `webterm` binary
//! ([`Binary`]); `procfs` reads processes, descriptors and memory from `/proc`.

#![allow(dead_code)]

mod binary;
mod client;
mod http;
mod procfs;
mod server;

use std::time::Duration;

pub use binary::{Binary, audit_events};
pub use client::{Client, Event, Ws, keep_sending, still_healthy};
pub use http::{
    http_get, http_get_over, http_get_unix, http_raw, http_request, refused_upgrade, split_response,
};
pub use procfs::{
    children_of, open_fds, process_exists, vm_rss_kib, wait_for_baseline, wait_for_child,
    wait_until_gone,
};
pub use server::{TestServer, config, run_on_a_thread};

/// How long any single wait in a test may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(20);
