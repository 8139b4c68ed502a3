//! The bare PTY limit: the same programs under a pseudo-terminal (portable-pty, as webterm uses), with the master
//! read and written directly by one blocking thread. Nothing between the program and the reader but the kernel.

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use portable_pty::{CommandBuilder, PtyPair, PtySize, native_pty_system};

use crate::workloads::{ECHO_READY, Program};

fn open(program: &Program) -> Result<(PtyPair, Box<dyn portable_pty::Child + Send + Sync>)> {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .map_err(|e| anyhow::anyhow!("openpty: {e}"))?;
    let argv = program.argv();
    let mut command = CommandBuilder::new(&argv[0]);
    command.args(&argv[1..]);
    let child = pair
        .slave
        .spawn_command(command)
        .map_err(|e| anyhow::anyhow!("spawn {argv:?}: {e}"))?;
    Ok((pair, child))
}

/// Reads the master until the program's output ends; returns (bytes, time from spawn to the end).
pub fn read_rate(program: &Program) -> Result<(u64, Duration)> {
    let started = Instant::now();
    let (pair, mut child) = open(program)?;
    // Our copy of the slave would keep the terminal open after the program exits.
    drop(pair.slave);
    let mut reader = pair
        .master
        .try_clone_reader()
        .map_err(|e| anyhow::anyhow!("reader: {e}"))?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // Linux answers EIO once the slave is closed and the buffer drained.
            Err(e) if e.raw_os_error() == Some(5) => break,
            Err(e) => return Err(e).context("reading the PTY master"),
        }
    }
    let elapsed = started.elapsed();
    child.wait().context("waiting for the program")?;
    Ok((total, elapsed))
}

/// `count` one-byte round trips through `stty raw -echo; cat` (after `warmup` unrecorded ones).
pub fn echo(count: usize, warmup: usize) -> Result<Vec<Duration>> {
    let (pair, mut child) = open(&Program::Echo)?;
    drop(pair.slave);
    let mut reader = pair
        .master
        .try_clone_reader()
        .map_err(|e| anyhow::anyhow!("reader: {e}"))?;
    let mut writer = pair
        .master
        .take_writer()
        .map_err(|e| anyhow::anyhow!("writer: {e}"))?;

    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !seen.windows(ECHO_READY.len()).any(|w| w == ECHO_READY) {
        let n = reader
            .read(&mut buf)
            .context("waiting for the echo program")?;
        if n == 0 {
            bail!(
                "the echo program ended before it was ready: {:?}",
                String::from_utf8_lossy(&seen)
            );
        }
        seen.extend_from_slice(&buf[..n]);
    }

    let mut times = Vec::with_capacity(count);
    for i in 0..warmup + count {
        let started = Instant::now();
        writer.write_all(b"x").context("writing the PTY master")?;
        let n = reader.read(&mut buf).context("reading the echo")?;
        let elapsed = started.elapsed();
        if buf[..n] != *b"x" {
            bail!(
                "expected the echo of one byte, got {:?}",
                String::from_utf8_lossy(&buf[..n])
            );
        }
        if i >= warmup {
            times.push(elapsed);
        }
    }
    child.kill().ok();
    child.wait().ok();
    Ok(times)
}
