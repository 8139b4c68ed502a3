//! The real `webterm` binary as a child process, and the audit events in its JSON logs.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::PATIENCE;

/// A running `webterm` child process, killed when dropped.
pub struct Binary {
    pub child: Child,
    pub addr: SocketAddr,
    pub url: String,
}

impl Binary {
    /// Starts `webterm ARGS` and reads its `listening on` line; its logs are dropped.
    pub fn start(args: &[&str]) -> Binary {
        Binary::spawn(args, Stdio::null())
    }

    /// Starts `webterm --no-auth --listen 127.0.0.1:0 --config FILE -- COMMAND`, FILE holding `toml`.
    pub fn start_with_config(toml: &str, command: &[&str]) -> Binary {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("webterm-config-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("webterm.toml");
        std::fs::write(&file, toml).unwrap();
        let file = file.to_str().unwrap();
        let args = [
            &[
                "--no-auth",
                "--listen",
                "127.0.0.1:0",
                "--config",
                file,
                "--",
            ],
            command,
        ]
        .concat();
        let binary = Binary::start(&args);
        // The server has read its config by the time it listens.
        let _ = std::fs::remove_dir_all(&dir);
        binary
    }

    /// Starts `webterm --log-format json ARGS`; returns it and its stderr, one JSON log event per line.
    pub fn start_with_json_logs(args: &[&str]) -> (Binary, std::process::ChildStderr) {
        Binary::start_with_logs(&[&["--log-format", "json"], args].concat())
    }

    /// Starts `webterm ARGS`; returns it and its stderr (a pipe, so not a terminal).
    pub fn start_with_logs(args: &[&str]) -> (Binary, std::process::ChildStderr) {
        let mut binary = Binary::spawn(args, Stdio::piped());
        let stderr = binary.child.stderr.take().unwrap();
        (binary, stderr)
    }

    fn spawn(args: &[&str], stderr: Stdio) -> Binary {
        let mut child = Command::new(env!("CARGO_BIN_EXE_webterm"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("the webterm binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line is `listening on URL`, got {line:?}"))
            .trim_end()
            .to_string();
        let host = url
            .strip_prefix("http://")
            .unwrap()
            .split('/')
            .next()
            .unwrap();
        Binary {
            addr: host.parse().unwrap(),
            url,
            child,
        }
    }

    /// The process id.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }
}

/// Reads JSON log events from `logs` until `count` audit events (target `webterm::audit`) came; fails the test
/// after [`PATIENCE`], or at once if a line contains `forbidden`.
pub async fn audit_events(
    logs: std::process::ChildStderr,
    count: usize,
    forbidden: &str,
) -> Vec<Value> {
    let forbidden = forbidden.to_string();
    let read = tokio::task::spawn_blocking(move || {
        let mut events = Vec::new();
        for line in BufReader::new(logs).lines() {
            let line = line.unwrap();
            assert!(
                forbidden.is_empty() || !line.contains(&forbidden),
                "{forbidden:?} reached the log: {line}"
            );
            let event: Value = serde_json::from_str(&line).expect("every log line is JSON");
            if event["target"] == "webterm::audit" {
                events.push(event);
                if events.len() == count {
                    break;
                }
            }
        }
        events
    });
    tokio::time::timeout(PATIENCE, read)
        .await
        .expect("audit events in time")
        .unwrap()
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
