//! Soak: thousands of sessions opened and closed against the real binary, half by an abrupt TCP drop, every
//! one leaving a background job and a `setsid` daemon behind it. Afterwards nothing may be left: no fd, no
//! process, no zombie, and the server's memory back near where it started. `WEBTERM_SOAK_SESSIONS` sets the
//! count (default 10,000).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Binary, PATIENCE, children_of, open_fds, vm_rss_kib};

const CONCURRENCY: usize = 16;
const SCRIPT: &str = "sleep 1000 & (setsid sleep 1001 >/dev/null 2>&1 &); echo ready; exec cat";

/// Processes anywhere on the machine that one of `server`'s sessions started (they carry WEBTERM_SESSION and
/// run our script's sleeps).
fn leftovers() -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let path = entry.path();
        let Ok(cmdline) = std::fs::read(path.join("cmdline")) else {
            continue;
        };
        let is_ours = cmdline == b"sleep\x001000\x00" || cmdline == b"sleep\x001001\x00";
        let marked = std::fs::read(path.join("environ")).is_ok_and(|env| {
            env.split(|&b| b == 0)
                .any(|e| e.starts_with(b"WEBTERM_SESSION="))
        });
        if is_ours && marked {
            found.push(std::fs::read_to_string(path.join("stat")).unwrap_or_default());
        }
    }
    found
}

/// One session: connect, wait until the script ran, then leave: abruptly (drop) or politely (close frame).
async fn one_session(url: &str, abrupt: bool) {
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    let mut output = Vec::new();
    while !output.windows(5).any(|w| w == b"ready") {
        match tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("output in time")
        {
            Some(Ok(Message::Binary(bytes))) => output.extend_from_slice(&bytes),
            Some(Ok(_)) => {}
            other => panic!("session ended early: {other:?}"),
        }
    }
    if abrupt {
        drop(ws);
    } else {
        ws.send(Message::Close(None)).await.unwrap();
        while let Some(Ok(message)) = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("close in time")
        {
            if message.is_close() {
                break;
            }
        }
    }
}

#[tokio::test]
async fn ten_thousand_sessions_leave_no_fd_process_zombie_or_memory_behind() {
    let sessions: usize = std::env::var("WEBTERM_SOAK_SESSIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let dir = std::env::temp_dir().join(format!("webterm-soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("soak.toml");
    std::fs::write(
        &config,
        "[session]\nmax_clients = 64\nkill_grace_ms = 500\nlinger_secs = 0\n",
    )
    .unwrap();
    let binary = Binary::start(&[
        "--no-auth",
        "--listen",
        "127.0.0.1:0",
        "--config",
        config.to_str().unwrap(),
        "--",
        "sh",
        "-c",
        SCRIPT,
    ]);
    let url = format!("ws://{}/ws", binary.addr);

    let run = |count: usize, offset: usize| {
        let url = url.clone();
        async move {
            futures_util::stream::iter(0..count)
                .for_each_concurrent(CONCURRENCY, |i| {
                    let url = url.clone();
                    async move { one_session(&url, (i + offset) % 2 == 0).await }
                })
                .await;
        }
    };
    let pid = binary.pid();
    let settle = |what: &'static str| async move {
        let deadline = tokio::time::Instant::now() + PATIENCE * 3;
        loop {
            let children = children_of(pid);
            let left = leftovers();
            if children.is_empty() && left.is_empty() {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what}: children of webterm {children:?}, session processes left {left:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };

    // Warm up: the first sessions grow the allocator's pools and the runtime's tables.
    run(200, 0).await;
    settle("after the warm-up").await;
    let (fds, rss) = (open_fds(binary.pid()), vm_rss_kib(binary.pid()));

    let started = std::time::Instant::now();
    run(sessions, 1).await;
    settle("after the soak").await;
    let elapsed = started.elapsed();

    let (fds_after, rss_after) = (open_fds(binary.pid()), vm_rss_kib(binary.pid()));
    eprintln!(
        "soak: {sessions} sessions in {elapsed:.1?} ({:.0}/s); fds {fds} -> {fds_after}; RSS {rss} -> {rss_after} KiB",
        sessions as f64 / elapsed.as_secs_f64()
    );
    assert!(
        fds_after <= fds,
        "fds leaked: {fds} before, {fds_after} after"
    );
    assert!(
        rss_after <= rss + rss / 4 + 4096,
        "RSS grew from {rss} KiB to {rss_after} KiB"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
