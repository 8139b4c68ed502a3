//! The workloads, run through a server over loopback WebSockets. Each is bounded in bytes, count and time.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::task::JoinSet;

use crate::client::{Buffers, Client, Event};
use crate::server::Server;

/// What the echo program prints once the terminal is raw and quiet.
pub const ECHO_READY: &[u8] = b"READY";

/// The program run in each terminal, the same under the bare PTY and under every server.
#[derive(Debug, Clone, Copy)]
pub enum Program {
    /// `head -c BYTES /dev/zero`: output as fast as the terminal takes it, then exit.
    Flood {
        /// How many bytes.
        bytes: u64,
    },
    /// A raw, non-echoing terminal with `cat` on it: every byte comes back once, unchanged.
    Echo,
    /// `cat`, waiting for input that never comes.
    Idle,
}

impl Program {
    /// Its command line.
    pub fn argv(&self) -> Vec<String> {
        let words: Vec<String> = match self {
            Program::Flood { bytes } => vec![
                "head".into(),
                "-c".into(),
                bytes.to_string(),
                "/dev/zero".into(),
            ],
            Program::Echo => vec![
                "sh".into(),
                "-c".into(),
                "stty raw -echo && printf READY && exec cat".into(),
            ],
            Program::Idle => vec!["cat".into()],
        };
        words
    }
}

/// What a free-running client saw of one session's whole output.
#[derive(Debug, Clone, Copy)]
pub struct Flood {
    /// Output bytes.
    pub bytes: u64,
    /// Output frames (messages) they came in.
    pub frames: u64,
    /// From connect to the end of the session.
    pub elapsed: Duration,
}

/// Reads one session's whole output as fast as possible.
pub async fn throughput(server: &Server) -> Result<Flood> {
    let started = Instant::now();
    let mut client = Client::connect(server, Buffers::Default).await?;
    let (mut bytes, mut frames) = (0u64, 0u64);
    while let Event::Output(output) = client.next().await? {
        bytes += output.len() as u64;
        frames += 1;
    }
    Ok(Flood {
        bytes,
        frames,
        elapsed: started.elapsed(),
    })
}

/// `count` one-byte round trips through a server running [`Program::Echo`], after `warmup` unrecorded ones.
pub async fn echo(server: &Server, count: usize, warmup: usize) -> Result<Vec<Duration>> {
    let mut client = Client::connect(server, Buffers::Default).await?;
    client.wait_for(ECHO_READY).await?;
    round_trips(client, count, warmup).await
}

/// The same round trips through webterm's `/echo` route: the WebSocket path alone, without a PTY.
pub async fn websocket_echo(server: &Server, count: usize, warmup: usize) -> Result<Vec<Duration>> {
    round_trips(Client::connect_echo(server).await?, count, warmup).await
}

async fn round_trips(mut client: Client, count: usize, warmup: usize) -> Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(count);
    for i in 0..warmup + count {
        let started = Instant::now();
        client.send_input(b"x").await?;
        let Event::Output(bytes) = client.next().await? else {
            bail!("the session ended during the echo test")
        };
        let elapsed = started.elapsed();
        if bytes[..] != *b"x" {
            bail!(
                "expected the echo of one byte, got {:?}",
                String::from_utf8_lossy(&bytes)
            );
        }
        if i >= warmup {
            times.push(elapsed);
        }
    }
    client.close().await?;
    Ok(times)
}

/// A slow terminal emulator's flow control, as `frontend/src/flow.ts` does it.
#[derive(Debug, Clone, Copy)]
pub struct FlowClient {
    /// Pause above this many unparsed bytes.
    pub high_water: u64,
    /// Resume below this many.
    pub low_water: u64,
    /// How fast the simulated parser consumes, in bytes per second.
    pub parse_rate: f64,
    /// Acknowledge the bytes parsed every this many (`ack`, webterm only), or never.
    pub ack_every: Option<u64>,
}

/// What the flow-control run saw.
#[derive(Debug, Clone, Copy)]
pub struct FlowResult {
    /// The most bytes ever received and not yet parsed.
    pub max_unparsed: u64,
    /// Bytes received in all.
    pub received: u64,
    /// Received bytes per second, connect to end.
    pub rate: f64,
    /// How many times the client paused the server.
    pub pauses: u32,
    /// The most bytes received between a pause and the resume after it: what was already on its way.
    pub max_after_pause: u64,
}

/// Reads a flooding session while "parsing" at `flow.parse_rate` (a token bucket), sending pause above the high
/// water mark and resume below the low one. The socket is read freely, as a browser does.
pub async fn flow(server: &Server, flow: FlowClient) -> Result<FlowResult> {
    let started = Instant::now();
    let mut client = Client::connect(server, Buffers::Default).await?;
    let (mut unparsed, mut max_unparsed, mut received, mut pauses) = (0f64, 0u64, 0u64, 0u32);
    let (mut after_pause, mut max_after_pause) = (0u64, 0u64);
    let mut paused = false;
    let mut acked = 0u64;
    if flow.ack_every.is_some() {
        // As the page does on `hello`: the window applies from the first byte.
        client.ack(0).await?;
    }
    let mut last = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    // Once the session has ended, the server sends its close frame and drops the connection; this client may still
    // be "parsing" and sending acks then. A failed send means the server has gone: what was sent before it is
    // still read, and the caller checks that every byte came.
    let mut gone = false;
    loop {
        let event = tokio::select! {
            event = client.next() => match event {
                Ok(event) => Some(event),
                Err(_) if gone => break,
                Err(error) => return Err(error),
            },
            _ = tick.tick() => None,
        };
        let now = Instant::now();
        unparsed = (unparsed - flow.parse_rate * (now - last).as_secs_f64()).max(0.0);
        last = now;
        match event {
            Some(Event::Output(bytes)) => {
                received += bytes.len() as u64;
                unparsed += bytes.len() as f64;
                if paused {
                    after_pause += bytes.len() as u64;
                    max_after_pause = max_after_pause.max(after_pause);
                }
                max_unparsed = max_unparsed.max(unparsed as u64);
            }
            Some(Event::End) => break,
            None => {}
        }
        if gone {
            continue;
        }
        let sent = if let Some(every) = flow.ack_every {
            let parsed = received - unparsed.ceil() as u64;
            if parsed - acked >= every {
                acked = parsed;
                client.ack(parsed).await
            } else {
                Ok(())
            }
        } else {
            Ok(())
        };
        let sent = sent.and(if !paused && unparsed > flow.high_water as f64 {
            paused = true;
            after_pause = 0;
            pauses += 1;
            client.pause().await
        } else if paused && unparsed < flow.low_water as f64 {
            paused = false;
            client.resume().await
        } else {
            Ok(())
        });
        gone = sent.is_err();
    }
    let rate = received as f64 / started.elapsed().as_secs_f64();
    Ok(FlowResult {
        max_unparsed,
        received,
        rate,
        pauses,
        max_after_pause,
    })
}

/// Opens sessions until `held` holds `target`, `concurrency` handshakes at a time; each is then held by a task
/// of `held` (dropping it drops them all). Stops at the first failure and returns it.
pub async fn open_sessions(
    server: &Server,
    held: &mut JoinSet<()>,
    target: usize,
    concurrency: usize,
) -> Option<anyhow::Error> {
    let mut pending = FuturesUnordered::new();
    let mut started = held.len();
    let mut hold = |client: Client| {
        held.spawn(client.hold());
    };
    loop {
        while started < target && pending.len() < concurrency {
            pending.push(Client::connect(server, Buffers::Small));
            started += 1;
        }
        match pending.next().await {
            Some(Ok(client)) => hold(client),
            Some(Err(error)) => {
                // Let the handshakes in flight finish so that their sessions are counted, then stop.
                while let Some(result) = pending.next().await {
                    if let Ok(client) = result {
                        hold(client);
                    }
                }
                return Some(error);
            }
            None => return None,
        }
    }
}

/// What the churn run saw.
#[derive(Debug, Clone)]
pub struct Churn {
    /// Sessions opened (to `hello`) and closed (close frame answered).
    pub cycles: usize,
    /// Time from the first open to the last close answered.
    pub elapsed: Duration,
    /// Per session, from connect to `hello`.
    pub open_times: Vec<Duration>,
}

/// `cycles` open+close cycles, `concurrency` at a time.
pub async fn churn(server: &Server, cycles: usize, concurrency: usize) -> Result<Churn> {
    let started = Instant::now();
    let one = || async {
        let opening = Instant::now();
        let client = Client::connect(server, Buffers::Small).await?;
        let open_time = opening.elapsed();
        client.close().await?;
        anyhow::Ok(open_time)
    };
    let mut pending = FuturesUnordered::new();
    let mut open_times = Vec::with_capacity(cycles);
    let mut launched = 0;
    while open_times.len() < cycles {
        while launched < cycles && pending.len() < concurrency {
            pending.push(one());
            launched += 1;
        }
        match pending.next().await {
            Some(result) => open_times.push(result?),
            None => break,
        }
    }
    Ok(Churn {
        cycles,
        elapsed: started.elapsed(),
        open_times,
    })
}
