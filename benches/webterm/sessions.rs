//! Idle sessions: idle CPU, memory per session (and per bare WebSocket, for comparison), how many one server
//! holds, how fast it opens them as they pile up, and what dropping them all at once costs.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

use crate::client::Client;
use crate::measure::{Sizes, set};
use crate::report::{Row, Target};
use crate::server::{self, Contender, Flavor, Server};
use crate::system;
use crate::workloads::{self, Program};

/// Handshakes in flight while sessions are opened.
const CONCURRENCY: usize = 16;

/// How long the dropped sessions may take to be reaped.
const REAP_PATIENCE: Duration = Duration::from_secs(180);

/// How long after the last session is reaped the server's memory is read: webterm gives freed memory back to the
/// system a second after sessions end (`src/memory.rs`), so reading it at once would show what is about to go.
const SETTLE: Duration = Duration::from_secs(3);

fn row(figure: String, target: Target) -> Row {
    Row::new(figure, None, None, target)
}

/// The section's rows, for every contender.
pub fn sessions(rt: &Runtime, contenders: &[Contender], sizes: &Sizes) -> Result<Vec<Row>> {
    let (cpu_n, memory_n, max_n) = (
        sizes.idle_cpu_sessions,
        sizes.memory_sessions,
        sizes.max_sessions,
    );
    let mut rows = vec![
        row(
            "idle CPU, no session (the server's floor), % of one core".into(),
            Target::None,
        ),
        row(
            format!("idle CPU, {cpu_n} sessions, % of one core"),
            Target::AtMost(0.1),
        ),
        row(
            format!("RSS growth per idle session ({memory_n} sessions), KiB"),
            Target::AtMost(16.0),
        ),
        row(
            format!("RSS growth per idle WebSocket on /echo, no session ({memory_n}), KiB"),
            Target::None,
        ),
        row(
            format!("idle sessions held (of {max_n} tried)"),
            Target::AtLeast(max_n as f64),
        ),
        row(
            "RSS growth per idle session (all held), KiB".into(),
            Target::None,
        ),
        row(
            format!("opening sessions 1 to {cpu_n}, sessions/s"),
            Target::None,
        ),
        row(
            format!("opening sessions {memory_n} to all held, sessions/s"),
            Target::None,
        ),
        row("RSS at start, MiB".into(), Target::None),
        row(
            format!("RSS {}s after all closed, MiB", SETTLE.as_secs()),
            Target::None,
        ),
        row(
            "dropping all held sessions: until all reaped, s".into(),
            Target::None,
        ),
    ];
    if let (Some(max), Some(used)) = (system::pty_max(), system::pty_in_use()) {
        if max.saturating_sub(used) < max_n as u64 {
            eprintln!(
                "  note: kernel.pty.max = {max} ({used} in use) caps this run below {max_n} sessions; \
                 raise it with `sysctl -w kernel.pty.max=8192` to try them all"
            );
        }
    }
    for contender in contenders {
        let figures = rt.block_on(idle_sessions(contender, sizes))?;
        for (row, value) in rows.iter_mut().zip(figures) {
            set(row, contender.flavor, value);
        }
    }
    Ok(rows)
}

/// Opens sessions up to `target`; returns the opening rate, or the error that stopped it.
async fn open(server: &Server, held: &mut JoinSet<()>, target: usize) -> Result<f64> {
    let (before, started) = (held.len(), Instant::now());
    if let Some(error) = workloads::open_sessions(server, held, target, CONCURRENCY).await {
        return Err(error.context(format!("opening session {} of {target}", held.len() + 1)));
    }
    Ok((held.len() - before) as f64 / started.elapsed().as_secs_f64())
}

/// The server's CPU time over `window`, in % of one core.
async fn idle_cpu(server: &Server, window: Duration) -> Result<f64> {
    let cpu_before = server.cpu_time()?;
    let started = Instant::now();
    tokio::time::sleep(window).await;
    let cpu = server.cpu_time()? - cpu_before;
    Ok(cpu.as_secs_f64() / started.elapsed().as_secs_f64() * 100.0)
}

async fn idle_sessions(contender: &Contender, sizes: &Sizes) -> Result<Vec<Option<f64>>> {
    let server = contender.start(&Program::Idle)?;
    // One session first, so that the code paths and buffers of a session exist before the baseline.
    workloads::churn(&server, 1, 1).await?;
    server
        .wait_childless(Duration::from_secs(10))
        .context("the warm-up session was not reaped")?;
    let rss_start = server.rss_kib()?;
    let per_session = |rss: u64, n: usize| (rss as f64 - rss_start as f64) / n as f64;
    // What an empty server costs (its runtime's own timers), for comparison with the figure below.
    let floor_cpu = idle_cpu(&server, sizes.idle_cpu_window).await?;

    let mut held = JoinSet::new();
    let first_rate = open(&server, &mut held, sizes.idle_cpu_sessions).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_cpu = idle_cpu(&server, sizes.idle_cpu_window).await?;

    open(&server, &mut held, sizes.memory_sessions).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let at_memory = per_session(server.rss_kib()?, held.len());

    let last_rate = match open(&server, &mut held, sizes.max_sessions).await {
        Ok(rate) => Some(rate),
        Err(error) => {
            eprintln!(
                "  {}: stopped at {} sessions: {error:#} (server log: {})",
                contender.name(),
                held.len(),
                server.log().display()
            );
            None
        }
    };
    let count = held.len();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // A server that has died has no figures from here on (ttyd 1.7.7 exits when a session finds no descriptor).
    let at_max = match server.rss_kib() {
        Ok(rss) => Some(per_session(rss, count)),
        Err(error) => {
            eprintln!(
                "  {}: the server is gone after {count} sessions: {error:#}",
                contender.name()
            );
            None
        }
    };

    // An abrupt drop of every connection at once, the worst case for the server's teardown.
    held.abort_all();
    while held.join_next().await.is_some() {}
    let pid = server.pid();
    let reaped =
        tokio::task::spawn_blocking(move || server::wait_childless(pid, REAP_PATIENCE)).await?;
    if reaped.is_none() {
        eprintln!(
            "  {}: dropped sessions were still not reaped after {REAP_PATIENCE:?}",
            contender.name()
        );
    }
    tokio::time::sleep(SETTLE).await;
    let rss_end = server.rss_kib().ok();
    drop(server);
    let echo_memory = match contender.flavor {
        Flavor::Webterm => Some(idle_echo(contender, sizes.memory_sessions).await?),
        Flavor::Ttyd => None,
    };
    Ok(vec![
        Some(floor_cpu),
        Some(idle_cpu),
        Some(at_memory),
        echo_memory,
        Some(count as f64),
        at_max,
        Some(first_rate),
        last_rate,
        Some(rss_start as f64 / 1024.0),
        rss_end.map(|rss| rss as f64 / 1024.0),
        reaped.map(|d| d.as_secs_f64()),
    ])
}

/// RSS growth per idle WebSocket on webterm's `/echo`, which has no session behind it: what the WebSocket stack
/// alone costs. On a server of its own, so that neither measurement reuses memory the other freed.
async fn idle_echo(contender: &Contender, count: usize) -> Result<f64> {
    let server = contender.start(&Program::Idle)?;
    let mut held = JoinSet::new();
    // One first, so that what every connection shares exists before the baseline.
    held.spawn(Client::connect_echo(&server).await?.hold());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss_start = server.rss_kib()?;
    for _ in 0..count {
        held.spawn(Client::connect_echo(&server).await?.hold());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let growth = (server.rss_kib()? as f64 - rss_start as f64) / count as f64;
    held.abort_all();
    while held.join_next().await.is_some() {}
    Ok(growth)
}
