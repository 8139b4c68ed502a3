//! A server under test, run as a child process exactly as a user runs it: the release `webterm` binary (with
//! `--no-auth`, on a free loopback port), or a `ttyd` for comparison. Also the `/proc` probes read on it.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rustix::process::{Pid, Signal};

use crate::workloads::Program;

/// How long a server may take to start listening before the bench gives up on it.
const START_PATIENCE: Duration = Duration::from_secs(10);

/// Which server, and so which wire protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// webterm, protocol v1 (`docs/protocol.md`).
    Webterm,
    /// ttyd: binary frames with a one-byte command prefix, subprotocol `tty`.
    Ttyd,
}

/// A server binary to measure.
#[derive(Debug, Clone)]
pub struct Contender {
    /// Which server it is.
    pub flavor: Flavor,
    /// Its executable.
    pub binary: PathBuf,
    /// Where the servers' logs go (stderr of every child), for when something fails.
    pub log_dir: PathBuf,
}

/// A running server; stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Server {
    child: Child,
    /// The address it listens on.
    pub addr: SocketAddr,
    /// Its protocol.
    pub flavor: Flavor,
    /// From spawn to listening (webterm: the `listening on` line; ttyd: the first accepted TCP connection).
    pub started_in: Duration,
    log: PathBuf,
}

impl Contender {
    /// Starts the server with `program` in every terminal.
    pub fn start(&self, program: &Program) -> Result<Server> {
        static STARTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let log = self.log_dir.join(format!("{}-{n}.log", self.name()));
        let stderr =
            std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        match self.flavor {
            Flavor::Webterm => {
                let config = self.log_dir.join("webterm-bench.toml");
                std::fs::write(&config, WEBTERM_CONFIG)?;
                start_webterm(&self.binary, &config, program, stderr, log)
            }
            Flavor::Ttyd => start_ttyd(&self.binary, program, stderr, log),
        }
    }

    /// `webterm` or `ttyd`.
    pub fn name(&self) -> &'static str {
        match self.flavor {
            Flavor::Webterm => "webterm",
            Flavor::Ttyd => "ttyd",
        }
    }
}

/// The only settings the bench changes: the session tests hold thousands of terminals at once, and a session ends
/// with its connection (no lingering), as in ttyd, so that open/close churn measures the same work.
const WEBTERM_CONFIG: &str = "[session]\nmax_clients = 100000\nmax_sessions = 0\nlinger_secs = 0\n";

fn start_webterm(
    binary: &Path,
    config: &Path,
    program: &Program,
    stderr: std::fs::File,
    log: PathBuf,
) -> Result<Server> {
    let mut command = Command::new(binary);
    command
        .args(["--no-auth", "--listen", "127.0.0.1:0", "--config"])
        .arg(config)
        .arg("--")
        .args(program.argv());
    // Only the flags above configure it: no config file or `WEBTERM_*` setting from the caller's environment.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("WEBTERM_") {
            command.env_remove(key);
        }
    }
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next();
        let _ = tx.send(first);
        // Keep reading so that the server never writes into a closed pipe.
        for _ in lines {}
    });
    let line = match rx.recv_timeout(START_PATIENCE) {
        Ok(Some(Ok(line))) => line,
        _ => {
            stop(&mut child);
            bail!(
                "webterm did not print `listening on`; see {}",
                log.display()
            );
        }
    };
    let started_in = started.elapsed();
    let addr = line
        .strip_prefix("listening on ")
        .and_then(|url| url.split_once("://"))
        .and_then(|(_, rest)| rest.split('/').next())
        .and_then(|addr| addr.parse().ok())
        .with_context(|| format!("unexpected first line {line:?}"))?;
    Ok(Server {
        child,
        addr,
        flavor: Flavor::Webterm,
        started_in,
        log,
    })
}

fn start_ttyd(
    binary: &Path,
    program: &Program,
    stderr: std::fs::File,
    log: PathBuf,
) -> Result<Server> {
    // ttyd cannot report a port it picked, so take a free one from the kernel and hand it over.
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let help = Command::new(binary)
        .arg("--help")
        .output()
        .context("running ttyd --help")?;
    let help =
        String::from_utf8_lossy(&help.stdout).into_owned() + &String::from_utf8_lossy(&help.stderr);
    let mut command = Command::new(binary);
    command.args(["--port", &port.to_string(), "--interface", "lo"]);
    // ttyd 1.7 and later are read-only unless told otherwise.
    if help.contains("--writable") {
        command.arg("--writable");
    }
    let started = Instant::now();
    let mut child = command
        .args(program.argv())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    while TcpStream::connect(addr).is_err() {
        if started.elapsed() > START_PATIENCE || child.try_wait()?.is_some() {
            stop(&mut child);
            bail!("ttyd did not listen on {addr}; see {}", log.display());
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let started_in = started.elapsed();
    Ok(Server {
        child,
        addr,
        flavor: Flavor::Ttyd,
        started_in,
        log,
    })
}

fn stop(child: &mut Child) {
    if let Some(pid) = Pid::from_raw(child.id() as i32) {
        let _ = rustix::process::kill_process(pid, Signal::TERM);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl Server {
    /// The server's process id.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Where its stderr goes.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Resident memory, from `/proc/PID/status` (`VmRSS`), in KiB.
    pub fn rss_kib(&self) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmRSS in /proc/PID/status")
    }

    /// CPU time used so far by all its threads, from `/proc/PID/task/*/schedstat` (nanoseconds on CPU).
    pub fn cpu_time(&self) -> Result<Duration> {
        let mut total = 0u64;
        for task in std::fs::read_dir(format!("/proc/{}/task", self.pid()))? {
            let Ok(text) = std::fs::read_to_string(task?.path().join("schedstat")) else {
                continue;
            };
            total += text
                .split_whitespace()
                .next()
                .and_then(|ns| ns.parse::<u64>().ok())
                .unwrap_or(0);
        }
        Ok(Duration::from_nanos(total))
    }

    /// Waits until the server has no child process left, up to `patience`; returns how long it took, or `None`.
    pub fn wait_childless(&self, patience: Duration) -> Option<Duration> {
        wait_childless(self.pid(), patience)
    }
}

/// How many processes are children of `parent` right now (zombies included).
pub fn children(parent: i32) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .filter(|stat| {
            let after_name = stat.rfind(')').map_or("", |at| &stat[at + 1..]);
            after_name
                .split_whitespace()
                .nth(1)
                .and_then(|ppid| ppid.parse::<i32>().ok())
                == Some(parent)
        })
        .count()
}

/// Waits until `parent` has no child process left, up to `patience`; returns how long it took, or `None`.
pub fn wait_childless(parent: i32, patience: Duration) -> Option<Duration> {
    let started = Instant::now();
    while children(parent) > 0 {
        if started.elapsed() > patience {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Some(started.elapsed())
}

impl Drop for Server {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}
