//! Counters for `GET /metrics`, rendered in Prometheus' text format. Updating one is a relaxed atomic add.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::protocol::ExitStatus;

/// The server's counters and gauges.
#[derive(Debug, Default)]
pub struct Metrics {
    sessions_started: AtomicU64,
    sessions_ended: AtomicU64,
    clients_connected: AtomicU64,
    clients_disconnected: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    auth_failures: AtomicU64,
    protocol_errors: AtomicU64,
    exits: Mutex<BTreeMap<String, u64>>,
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl Metrics {
    /// A session (a program under a PTY) started.
    pub fn session_started(&self) {
        add(&self.sessions_started, 1);
    }

    /// A session ended; `status` is how its program ended, when known.
    pub fn session_ended(&self, status: Option<&ExitStatus>) {
        add(&self.sessions_ended, 1);
        let label = match status {
            Some(ExitStatus::Code { code }) => code.to_string(),
            Some(ExitStatus::Signal { signal }) => signal.clone(),
            None => "unknown".to_string(),
        };
        *self
            .exits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(label)
            .or_default() += 1;
    }

    /// A client attached to a session.
    pub fn client_connected(&self) {
        add(&self.clients_connected, 1);
    }

    /// A client went away.
    pub fn client_disconnected(&self) {
        add(&self.clients_disconnected, 1);
    }

    /// Bytes of input a client sent to a program.
    pub fn bytes_in(&self, n: usize) {
        add(&self.bytes_in, n as u64);
    }

    /// Bytes of output a program sent to a client.
    pub fn bytes_out(&self, n: usize) {
        add(&self.bytes_out, n as u64);
    }

    /// A request was refused for bad or missing credentials.
    pub fn auth_failure(&self) {
        add(&self.auth_failures, 1);
    }

    /// A client broke the WebSocket protocol or sent a bad control message.
    pub fn protocol_error(&self) {
        add(&self.protocol_errors, 1);
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let started = get(&self.sessions_started);
        let connected = get(&self.clients_connected);
        let rows = [
            (
                "webterm_sessions_active",
                "gauge",
                "Sessions running now.",
                started - get(&self.sessions_ended).min(started),
            ),
            (
                "webterm_sessions_total",
                "counter",
                "Sessions started.",
                started,
            ),
            (
                "webterm_clients_active",
                "gauge",
                "Clients attached now.",
                connected - get(&self.clients_disconnected).min(connected),
            ),
            (
                "webterm_clients_total",
                "counter",
                "Clients that attached.",
                connected,
            ),
            (
                "webterm_input_bytes_total",
                "counter",
                "Bytes typed or pasted by clients.",
                get(&self.bytes_in),
            ),
            (
                "webterm_output_bytes_total",
                "counter",
                "Bytes of program output sent to clients.",
                get(&self.bytes_out),
            ),
            (
                "webterm_auth_failures_total",
                "counter",
                "Requests refused for credentials.",
                get(&self.auth_failures),
            ),
            (
                "webterm_protocol_errors_total",
                "counter",
                "Protocol violations and rejected control messages.",
                get(&self.protocol_errors),
            ),
        ];
        let mut text = String::new();
        for (name, kind, help, value) in rows {
            let _ = writeln!(
                text,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        let _ = writeln!(
            text,
            "# HELP webterm_exits_total Programs ended, by exit code or signal."
        );
        let _ = writeln!(text, "# TYPE webterm_exits_total counter");
        for (status, count) in self.exits.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(text, "webterm_exits_total{{status=\"{status}\"}} {count}");
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_in_prometheus_text_format() {
        let metrics = Metrics::default();
        metrics.session_started();
        metrics.session_started();
        metrics.session_ended(Some(&ExitStatus::Code { code: 3 }));
        metrics.session_ended(Some(&ExitStatus::Signal {
            signal: "SIGKILL".into(),
        }));
        metrics.session_started();
        metrics.bytes_out(10);
        let text = metrics.render();
        assert!(
            text.contains("# TYPE webterm_sessions_active gauge\nwebterm_sessions_active 1\n"),
            "{text}"
        );
        assert!(text.contains("webterm_sessions_total 3\n"), "{text}");
        assert!(text.contains("webterm_output_bytes_total 10\n"), "{text}");
        assert!(
            text.contains("webterm_exits_total{status=\"3\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("webterm_exits_total{status=\"SIGKILL\"} 1\n"),
            "{text}"
        );
    }
}
