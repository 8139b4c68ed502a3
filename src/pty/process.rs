//! The processes a session started: finding all of them in `/proc`, hanging them up, killing and reaping them.
//!
//! A session's program is a session leader (portable-pty calls `setsid`), so its background jobs share its
//! session id. Children that called `setsid` themselves are still found while their parent lives, by walking
//! parent links down from the session's members.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, WaitOptions};

/// One line of `/proc/PID/stat` that matters here.
#[derive(Debug, Clone, Copy)]
struct ProcStat {
    pid: i32,
    state: u8,
    ppid: i32,
    session: i32,
}

fn read_stat(pid: i32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// Parses `/proc/PID/stat`. The command name may contain spaces and parentheses, so fields are counted
/// from the last `)`.
fn parse_stat(text: &str) -> Option<ProcStat> {
    let pid = text.split_whitespace().next()?.parse().ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.bytes().next()?;
    let ppid = fields.next()?.parse().ok()?;
    let _pgrp = fields.next()?;
    let session = fields.next()?.parse().ok()?;
    Some(ProcStat {
        pid,
        state,
        ppid,
        session,
    })
}

fn all_processes() -> Vec<ProcStat> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(read_stat)
        .collect()
}

/// The environment variable every session's program gets, with the session id as its value. Children inherit
/// it, which identifies them after they left the session with `setsid` and their parent died.
pub const SESSION_ENV: &str = "WEBTERM_SESSION";

/// Every live (not zombie) process of a session: those in the session led by `leader`, the orphans reparented
/// to us (the subreaper) that carry `WEBTERM_SESSION=session_id`, and every descendant of those.
pub fn session_tree(leader: i32, session_id: &str) -> Vec<i32> {
    let me = rustix::process::getpid().as_raw_nonzero().get();
    let marker = format!("{SESSION_ENV}={session_id}");
    let processes: Vec<ProcStat> = all_processes()
        .into_iter()
        .filter(|p| p.state != b'Z')
        .collect();
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for p in &processes {
        children.entry(p.ppid).or_default().push(p.pid);
    }
    let leaders = leaders();
    let mut found: HashSet<i32> = processes
        .iter()
        .filter(|p| {
            p.session == leader
                || (p.ppid == me && !leaders.contains(&p.pid) && has_env(p.pid, &marker))
        })
        .map(|p| p.pid)
        .collect();
    drop(leaders);
    let mut queue: Vec<i32> = found.iter().copied().collect();
    while let Some(pid) = queue.pop() {
        for &child in children.get(&pid).into_iter().flatten() {
            if found.insert(child) {
                queue.push(child);
            }
        }
    }
    found.into_iter().collect()
}

/// Whether `pid`'s environment holds the `NAME=value` entry `entry`.
fn has_env(pid: i32, entry: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|environ| environ.split(|&b| b == 0).any(|e| e == entry.as_bytes()))
}

/// Sends `signal` to each process; processes that are already gone are skipped.
pub fn signal_all(pids: &[i32], signal: Signal) {
    for &pid in pids {
        if let Some(pid) = Pid::from_raw(pid) {
            // ESRCH (already gone) is the expected race here.
            let _ = rustix::process::kill_process(pid, signal);
        }
    }
}

/// Ending a session's process tree: SIGHUP (and SIGCONT, so stopped jobs act on it) to all of it at once,
/// then SIGKILL to whatever is still alive after the grace period.
pub struct Teardown {
    leader: i32,
    session_id: String,
    deadline: Instant,
    poll: Duration,
}

impl Teardown {
    /// Hangs up the whole tree of the session `session_id` led by `leader` now.
    pub fn start(leader: i32, session_id: &str, grace: Duration) -> Teardown {
        let tree = session_tree(leader, session_id);
        signal_all(&tree, Signal::HUP);
        signal_all(&tree, Signal::CONT);
        Teardown {
            leader,
            session_id: session_id.to_owned(),
            deadline: Instant::now() + grace,
            poll: Duration::from_millis(2),
        }
    }

    /// Checks on the tree, killing it once the grace period is over. Returns `None` when nothing of it is
    /// alive, else how long to wait before the next check.
    pub fn step(&mut self) -> Option<Duration> {
        reap_orphans();
        let left = session_tree(self.leader, &self.session_id);
        if left.is_empty() {
            return None;
        }
        if Instant::now() >= self.deadline {
            signal_all(&left, Signal::KILL);
        }
        self.poll = (self.poll * 2).min(Duration::from_millis(100));
        Some(self.poll)
    }

    /// Runs the teardown to its end without blocking the runtime.
    pub async fn finish(mut self) {
        while let Some(wait) = self.step() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Runs the teardown to its end on this thread, for drops outside a runtime.
    pub fn finish_blocking(mut self) {
        while let Some(wait) = self.step() {
            std::thread::sleep(wait);
        }
    }
}

/// Pids of the session leaders this process spawned; [`reap_orphans`] leaves those to their owners.
fn leaders() -> MutexGuard<'static, HashSet<i32>> {
    static LEADERS: OnceLock<Mutex<HashSet<i32>>> = OnceLock::new();
    LEADERS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Runs `spawn` (which returns the new leader's pid) so that the reaper cannot reap the leader before it is
/// registered.
pub fn spawn_leader<T>(spawn: impl FnOnce() -> Option<(i32, T)>) -> Option<(i32, T)> {
    let mut leaders = leaders();
    let spawned = spawn()?;
    leaders.insert(spawned.0);
    Some(spawned)
}

/// Forgets a leader once its owner has reaped it.
pub fn forget_leader(pid: i32) {
    leaders().remove(&pid);
}

/// Makes this process the reaper of its orphaned descendants, so that a session's processes whose parent died
/// become our children and can be reaped here instead of lingering as zombies under a pid 1 that may not reap.
pub fn become_subreaper() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        if let Err(error) = rustix::process::set_child_subreaper(Some(rustix::process::getpid())) {
            tracing::warn!(%error, "could not become a child subreaper; orphans go to pid 1");
        }
        std::thread::Builder::new()
            .name("webterm-reaper".into())
            .spawn(|| {
                loop {
                    std::thread::sleep(Duration::from_secs(1));
                    reap_orphans();
                }
            })
            .expect("spawning the reaper thread");
    });
}

/// Reaps our zombie children that came from a terminal session: those in another session than ours that
/// no owner waits for. Children this process started for itself (same session) are left to their owners.
pub fn reap_orphans() {
    let me = rustix::process::getpid().as_raw_nonzero().get();
    let Some(my_session) = read_stat(me).map(|s| s.session) else {
        return;
    };
    let leaders = leaders();
    for p in all_processes() {
        if p.ppid == me && p.state == b'Z' && p.session != my_session && !leaders.contains(&p.pid) {
            if let Some(pid) = Pid::from_raw(p.pid) {
                let _ = rustix::process::waitpid(Some(pid), WaitOptions::NOHANG);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_command_names_parse() {
        let line = "4242 (we ird) (name)) S 100 4242 4242 34816 4242 4194560 0 0 0 0";
        let stat = parse_stat(line).unwrap();
        assert_eq!(
            (stat.pid, stat.state, stat.ppid, stat.session),
            (4242, b'S', 100, 4242)
        );
    }

    #[test]
    fn this_process_is_found_in_its_own_session() {
        let me = rustix::process::getpid().as_raw_nonzero().get();
        let my_session = read_stat(me).unwrap().session;
        assert!(session_tree(my_session, "none").contains(&me) || my_session == 0);
    }
}
