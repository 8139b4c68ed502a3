//! Process and descriptor probes read from `/proc`: processes alive, children, open fds, resident memory.

use std::time::Duration;

use super::PATIENCE;

/// True while `pid` exists (a zombie counts: it has not been reaped).
pub fn process_exists(pid: i32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Waits until none of `pids` exists any more, failing the test after [`PATIENCE`].
pub async fn wait_until_gone(pids: &[i32]) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while pids.iter().any(|&pid| process_exists(pid)) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "processes still alive: {:?}",
            alive(pids)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The children of `parent` as (pid, command name).
pub fn children_of(parent: i32) -> Vec<(i32, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let ppid = stat[close + 2..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<i32>().ok());
        if ppid == Some(parent) {
            found.push((pid, stat[open + 1..close].to_string()));
        }
    }
    found
}

/// Waits until `parent` has a child called `name`; returns its pid.
pub async fn wait_for_child(parent: i32, name: &str) -> i32 {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some((pid, _)) = children_of(parent)
            .into_iter()
            .find(|(_, comm)| comm == name)
        {
            return pid;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{parent} never started {name}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn alive(pids: &[i32]) -> Vec<String> {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .collect()
}

/// The resident memory of `pid`, in KiB.
pub fn vm_rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Waits until `pid` holds at most `baseline` descriptors and has no child left (teardown, and the end of a
/// connection, come after the client has gone). Fails the test after [`PATIENCE`], saying what is left.
pub async fn wait_for_baseline(pid: i32, baseline: usize) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let fds = open_fds(pid);
        let children = children_of(pid);
        if fds <= baseline && children.is_empty() {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{fds} fds (baseline {baseline}), children {children:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How many file descriptors `pid` has open.
pub fn open_fds(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}
