//! The sections of the run: each measures the bare PTY (where there is a bare figure) and every contender on one
//! workload, and returns its rows of the table.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::runtime::Runtime;

use crate::bare;
use crate::report::{Row, Target, median, micros, quantile};
use crate::server::{Contender, Flavor};
use crate::workloads::{self, FlowClient, Program};

/// How big each workload is.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Bytes each throughput run floods.
    pub flood_bytes: u64,
    /// Throughput runs per contender (the median is reported).
    pub flood_runs: usize,
    /// Recorded echo round trips.
    pub echoes: usize,
    /// Bytes of the flow-control run.
    pub flow_bytes: u64,
    /// Sessions for the idle-CPU figure.
    pub idle_cpu_sessions: usize,
    /// How long idle CPU is measured.
    pub idle_cpu_window: Duration,
    /// Sessions for the memory-per-session figure.
    pub memory_sessions: usize,
    /// The most concurrent sessions tried.
    pub max_sessions: usize,
    /// Open+close cycles of the churn run.
    pub churn_cycles: usize,
    /// Clients opening and closing at once during churn.
    pub churn_concurrency: usize,
    /// Starts timed for the start-up figure.
    pub starts: usize,
}

impl Sizes {
    /// The sizes the targets of issue 7 are stated for.
    pub const FULL: Sizes = Sizes {
        flood_bytes: 200_000_000,
        flood_runs: 5,
        echoes: 2000,
        flow_bytes: 64_000_000,
        idle_cpu_sessions: 500,
        idle_cpu_window: Duration::from_secs(5),
        memory_sessions: 1000,
        max_sessions: 5000,
        churn_cycles: 2000,
        churn_concurrency: 8,
        starts: 20,
    };

    /// A smoke run of a few seconds, to check that the bench works.
    pub const QUICK: Sizes = Sizes {
        flood_bytes: 20_000_000,
        flood_runs: 1,
        echoes: 200,
        flow_bytes: 8_000_000,
        idle_cpu_sessions: 50,
        idle_cpu_window: Duration::from_secs(1),
        memory_sessions: 100,
        max_sessions: 200,
        churn_cycles: 200,
        churn_concurrency: 8,
        starts: 5,
    };
}

const MB: f64 = 1e6;

/// Sets the figure of `flavor` in `row`.
pub fn set(row: &mut Row, flavor: Flavor, value: Option<f64>) {
    match flavor {
        Flavor::Webterm => row.webterm = value,
        Flavor::Ttyd => row.ttyd = value,
    }
}

/// Output throughput with a free-running client, against the bare PTY read rate.
pub fn throughput(rt: &Runtime, contenders: &[Contender], sizes: &Sizes) -> Result<Vec<Row>> {
    let program = Program::Flood {
        bytes: sizes.flood_bytes,
    };
    let mut bare_rates = Vec::new();
    let mut rates = vec![Vec::new(); contenders.len()];
    let mut frame_sizes = vec![Vec::new(); contenders.len()];
    let mut lost = vec![0u64; contenders.len()];
    // Interleaved, so that a slow phase of the machine hits every contender alike.
    for _ in 0..sizes.flood_runs {
        let (bytes, elapsed) = bare::read_rate(&program)?;
        check_bytes("bare PTY", bytes, sizes.flood_bytes)?;
        bare_rates.push(bytes as f64 / MB / elapsed.as_secs_f64());
        for (i, contender) in contenders.iter().enumerate() {
            let server = contender.start(&program)?;
            let flood = rt.block_on(workloads::throughput(&server))?;
            lost[i] = lost[i].max(lost_bytes(contender, flood.bytes, sizes.flood_bytes)?);
            let rate = flood.bytes as f64 / MB / flood.elapsed.as_secs_f64();
            eprintln!(
                "  bare PTY {:.1} MB/s, {} {rate:.1} MB/s",
                bare_rates.last().expect("measured above"),
                contender.name()
            );
            rates[i].push(rate);
            frame_sizes[i].push(flood.bytes as f64 / flood.frames.max(1) as f64 / 1024.0);
        }
    }
    let mut row = Row::new(
        "output throughput, MB/s",
        Some(median(&bare_rates)),
        None,
        Target::FractionOfBareAtLeast(0.95),
    );
    let mut frames = Row::new("output frame, mean size, KiB", None, None, Target::None);
    let mut losses = Row::new(
        "output lost when the program exits (most of the floods), bytes",
        None,
        None,
        Target::AtMost(0.0),
    );
    for (i, contender) in contenders.iter().enumerate() {
        set(&mut row, contender.flavor, Some(median(&rates[i])));
        set(&mut frames, contender.flavor, Some(median(&frame_sizes[i])));
        set(&mut losses, contender.flavor, Some(lost[i] as f64));
    }
    Ok(vec![row, frames, losses])
}

/// How many of `wanted` output bytes `contender` lost. For webterm any loss is a bug (of webterm or of the
/// bench) and stops the run; ttyd 1.7.7 loses the last few KiB of output when the program exits (it stops
/// reading the terminal then), which is measured and reported instead.
fn lost_bytes(contender: &Contender, got: u64, wanted: u64) -> Result<u64> {
    if contender.flavor == Flavor::Ttyd && got < wanted {
        eprintln!("  ttyd lost the last {} of {wanted} bytes", wanted - got);
        return Ok(wanted - got);
    }
    check_bytes(contender.name(), got, wanted)?;
    Ok(0)
}

fn check_bytes(who: &str, got: u64, wanted: u64) -> Result<()> {
    if got != wanted {
        bail!("{who} delivered {got} bytes of output, not {wanted}");
    }
    Ok(())
}

/// One-byte echo round trips, against the same round trip on a bare PTY.
pub fn echo(rt: &Runtime, contenders: &[Contender], sizes: &Sizes) -> Result<Vec<Row>> {
    let warmup = sizes.echoes / 10;
    let bare = bare::echo(sizes.echoes, warmup)?;
    let mut p50 = Row::new(
        "echo round trip p50, µs",
        Some(micros(quantile(&bare, 0.5))),
        None,
        Target::AboveBareAtMost(40.0),
    );
    let mut p99 = Row::new(
        "echo round trip p99, µs",
        Some(micros(quantile(&bare, 0.99))),
        None,
        Target::TimesBareAtMost(1.5),
    );
    for contender in contenders {
        let server = contender.start(&Program::Echo)?;
        let times = rt.block_on(workloads::echo(&server, sizes.echoes, warmup))?;
        set(
            &mut p50,
            contender.flavor,
            Some(micros(quantile(&times, 0.5))),
        );
        set(
            &mut p99,
            contender.flavor,
            Some(micros(quantile(&times, 0.99))),
        );
    }
    // Where the time goes: the WebSocket path alone, through the same server with no PTY behind it.
    let webterm = contenders.iter().find(|c| c.flavor == Flavor::Webterm);
    let mut rows = vec![p50, p99];
    if let Some(contender) = webterm {
        let server = contender.start(&Program::Idle)?;
        let times = rt.block_on(workloads::websocket_echo(&server, sizes.echoes, warmup))?;
        for (q, name) in [(0.5, "p50"), (0.99, "p99")] {
            let figure = format!("WebSocket round trip without a PTY (/echo) {name}, µs");
            rows.push(Row::new(
                figure,
                None,
                Some(micros(quantile(&times, q))),
                Target::None,
            ));
        }
    }
    Ok(rows)
}

/// A client that parses at 25 MB/s and pauses above 1 MiB unparsed, first with `pause` alone, then (webterm only)
/// also acknowledging every 128 KiB parsed, as the page does (`frontend/src/flow.ts`).
pub fn flow(rt: &Runtime, contenders: &[Contender], sizes: &Sizes) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for (kind, ack_every) in [("pause", None), ("pause + ack", Some(128 << 10))] {
        let client = FlowClient {
            high_water: 1 << 20,
            low_water: 128 << 10,
            parse_rate: 25.0 * MB,
            ack_every,
        };
        let mut most = Row::new(
            format!("flow control ({kind}): most bytes unparsed, MB"),
            None,
            None,
            Target::AtMost(2.0),
        );
        let mut in_flight = Row::new(
            format!("flow control ({kind}): most bytes received while paused, MB"),
            None,
            None,
            Target::None,
        );
        let mut rate = Row::new(
            format!("flow control ({kind}): rate into a 25 MB/s parser, MB/s"),
            None,
            None,
            Target::None,
        );
        for contender in contenders {
            if ack_every.is_some() && contender.flavor != Flavor::Webterm {
                continue;
            }
            let server = contender.start(&Program::Flood {
                bytes: sizes.flow_bytes,
            })?;
            let result = rt.block_on(workloads::flow(&server, client))?;
            lost_bytes(contender, result.received, sizes.flow_bytes)?;
            eprintln!("  {} ({kind}): {} pauses", contender.name(), result.pauses);
            set(
                &mut most,
                contender.flavor,
                Some(result.max_unparsed as f64 / MB),
            );
            set(
                &mut in_flight,
                contender.flavor,
                Some(result.max_after_pause as f64 / MB),
            );
            set(&mut rate, contender.flavor, Some(result.rate / MB));
        }
        rows.extend([most, in_flight, rate]);
    }
    Ok(rows)
}

/// Open+close churn: sessions per second, until every session's process is reaped.
pub fn churn(rt: &Runtime, contenders: &[Contender], sizes: &Sizes) -> Result<Vec<Row>> {
    let title = format!(
        "open/close churn, {} at a time, sessions/s",
        sizes.churn_concurrency
    );
    let mut rate = Row::new(title, None, None, Target::AtLeast(1000.0));
    let mut open = Row::new(
        "session open (connect to hello) p50 under churn, ms",
        None,
        None,
        Target::None,
    );
    for contender in contenders {
        let server = contender.start(&Program::Idle)?;
        let started = Instant::now();
        let churn = rt.block_on(workloads::churn(
            &server,
            sizes.churn_cycles,
            sizes.churn_concurrency,
        ))?;
        let reaped = server
            .wait_childless(Duration::from_secs(60))
            .context("churned sessions were not reaped")?;
        let elapsed = started.elapsed();
        eprintln!(
            "  {}: {} cycles answered in {:.2} s, all reaped {:.3} s later",
            contender.name(),
            churn.cycles,
            churn.elapsed.as_secs_f64(),
            reaped.as_secs_f64()
        );
        set(
            &mut rate,
            contender.flavor,
            Some(churn.cycles as f64 / elapsed.as_secs_f64()),
        );
        set(
            &mut open,
            contender.flavor,
            Some(quantile(&churn.open_times, 0.5).as_secs_f64() * 1e3),
        );
    }
    Ok(vec![rate, open])
}

/// The binary's size (webterm stripped, with the frontend inside) and its time from start to listening.
pub fn binary(contenders: &[Contender], sizes: &Sizes) -> Result<Vec<Row>> {
    let mut size = Row::new("binary size, stripped, MB", None, None, Target::AtMost(8.0));
    let mut start = Row::new(
        format!("start to listening, median of {}, ms", sizes.starts),
        None,
        None,
        Target::AtMost(50.0),
    );
    for contender in contenders {
        let bytes = match contender.flavor {
            Flavor::Webterm => stripped_size(&contender.binary)?,
            // A packaged ttyd is already stripped, and links libwebsockets, libuv and json-c dynamically.
            Flavor::Ttyd => std::fs::metadata(&contender.binary)?.len(),
        };
        set(&mut size, contender.flavor, Some(bytes as f64 / MB));
        let mut times = Vec::new();
        for _ in 0..sizes.starts {
            times.push(contender.start(&Program::Idle)?.started_in.as_secs_f64() * 1e3);
        }
        set(&mut start, contender.flavor, Some(median(&times)));
    }
    Ok(vec![size, start])
}

/// The size of `binary` after `strip`, measured on a copy.
fn stripped_size(binary: &Path) -> Result<u64> {
    let copy = std::env::temp_dir().join(format!("webterm-bench-stripped-{}", std::process::id()));
    let status = Command::new("strip")
        .arg("-o")
        .arg(&copy)
        .arg(binary)
        .status()
        .context("running strip")?;
    if !status.success() {
        bail!("strip {} failed", binary.display());
    }
    let size = std::fs::metadata(&copy)?.len();
    let _ = std::fs::remove_file(&copy);
    Ok(size)
}
