//! The processes a session started: finding all of them in `/proc`, hanging them up, killing and reaping them.
//!
//! A session's program is a session leader (`spawn.rs` calls `setsid`), so its background jobs share its
//! session id. Children that called `setsid` themselves are still found while their parent lives, by walking
//! parent links down from the session's members.

use std::collections::HashSet;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, WaitOptions};

/// One line of `/proc/PID/stat` that matters here.
#[derive(Debug, Clone, Copy)]
struct ProcStat {
    pid: i32,
    state: u8,
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
    let _ppid = fields.next()?;
    let _pgrp = fields.next()?;
    let session = fields.next()?.parse().ok()?;
    Some(ProcStat {
        pid,
        state,
        session,
    })
}

/// The environment variable every session's program gets, with the session id as its value. Children inherit
/// it, which identifies them after they left the session with `setsid` and their parent died.
pub const SESSION_ENV: &str = "WEBTERM_SESSION";

/// Every live (not zombie) process of a session: the leader (unless `leader_reaped`), the orphans reparented to
/// us (the subreaper) that were in its session or carry `WEBTERM_SESSION=session_id`, and every descendant of
/// those.
///
/// Once the leader has been reaped, its pid is free for the kernel to give to any new process, perhaps another
/// session's program: it is then no longer looked at, or signalled, by that pid.
///
/// Only those processes and our orphans ([`orphans`]) are read, through `/proc/PID/task/*/children`: the cost of
/// a look grows neither with the other processes on the machine nor with the other sessions.
pub fn session_tree(leader: i32, leader_reaped: bool, session_id: &str) -> Vec<i32> {
    let me = rustix::process::getpid().as_raw_nonzero().get();
    let marker = format!("{SESSION_ENV}={session_id}");
    let alive = |pid: i32| read_stat(pid).filter(|stat| stat.state != b'Z');
    let mut roots: Vec<i32> = if leader_reaped {
        Vec::new()
    } else {
        alive(leader).map(|stat| stat.pid).into_iter().collect()
    };
    roots.extend(orphans(me).into_iter().filter(|&pid| {
        alive(pid).is_some_and(|stat| stat.session == leader || has_env(pid, &marker))
    }));
    let mut found: HashSet<i32> = roots.iter().copied().collect();
    while let Some(pid) = roots.pop() {
        for child in children(pid) {
            if alive(child).is_some() && found.insert(child) {
                roots.push(child);
            }
        }
    }
    found.into_iter().collect()
}

/// Our children that are not session leaders: the orphans reparented to us (the subreaper), alive or not.
///
/// The kernel hands an orphan to the subreaper's first live thread, the main thread (`find_alive_thread` in
/// kernel/exit.c), while a session leader is a child of the worker thread that spawned it. So only the main
/// thread's list is read: it stays short however many sessions run. Reading every thread's list cost O(sessions)
/// per look, and dropping 4000 sessions at once took 13 s, 45% of it in the kernel's `get_children_pid`.
fn orphans(me: i32) -> Vec<i32> {
    let leaders = leaders();
    read_children(format!("/proc/{me}/task/{me}/children"))
        .into_iter()
        .filter(|pid| !leaders.contains(pid))
        .collect()
}

/// The children of `pid`, from every one of its threads.
fn children(pid: i32) -> Vec<i32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .flat_map(|task| read_children(task.path().join("children")))
        .collect()
}

/// The pids in one thread's `children` file; none if it cannot be read (the thread or process is gone).
fn read_children(path: impl AsRef<std::path::Path>) -> Vec<i32> {
    std::fs::read_to_string(path)
        .map(|list| {
            list.split_whitespace()
                .filter_map(|pid| pid.parse().ok())
                .collect()
        })
        .unwrap_or_default()
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
    leader_reaped: bool,
    session_id: String,
    deadline: Instant,
    poll: Duration,
}

impl Teardown {
    /// Hangs up the whole tree of the session `session_id` led by `leader` now (see [`session_tree`] for
    /// `leader_reaped`).
    pub fn start(leader: i32, leader_reaped: bool, session_id: &str, grace: Duration) -> Teardown {
        let tree = session_tree(leader, leader_reaped, session_id);
        signal_all(&tree, Signal::HUP);
        signal_all(&tree, Signal::CONT);
        Teardown {
            leader,
            leader_reaped,
            session_id: session_id.to_owned(),
            deadline: Instant::now() + grace,
            poll: Duration::from_millis(2),
        }
    }

    /// Checks on the tree, killing it once the grace period is over. Returns `None` when nothing of it is
    /// alive, else how long to wait before the next check.
    pub fn step(&mut self) -> Option<Duration> {
        reap_orphans();
        let left = session_tree(self.leader, self.leader_reaped, &self.session_id);
        if left.is_empty() {
            return None;
        }
        if Instant::now() >= self.deadline {
            signal_all(&left, Signal::KILL);
        }
        self.poll = (self.poll * 2).min(Duration::from_millis(100));
        Some(self.poll)
    }

    /// Runs the teardown to its end without blocking the runtime. The first look waits one poll interval: right
    /// after the hang-up the processes have not run yet, and a look costs `/proc` reads (about a third of the
    /// teardown's reads in a churn run).
    pub async fn finish(mut self) {
        tokio::time::sleep(self.poll).await;
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
pub fn spawn_leader(spawn: impl FnOnce() -> Option<i32>) -> Option<i32> {
    let mut leaders = leaders();
    let pid = spawn()?;
    leaders.insert(pid);
    Some(pid)
}

/// Forgets a leader once its owner has reaped it.
pub fn forget_leader(pid: i32) {
    leaders().remove(&pid);
}

/// Makes this process the reaper of its orphaned descendants, so that a session's processes whose parent died
/// become our children and can be reaped here instead of lingering as zombies under a pid 1 that may not reap.
///
/// The reaper thread looks a second after a SIGCHLD (so that a burst of exits costs one look), and sleeps
/// while no child exits: the look costs O(children) in the kernel (about 1 ms a second with 500 sessions,
/// BENCHMARKS.md), and an idle server should not even wake for it.
pub fn become_subreaper() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        if let Err(error) = rustix::process::set_child_subreaper(Some(rustix::process::getpid())) {
            tracing::warn!(%error, "could not become a child subreaper; orphans go to pid 1");
        }
        let woken = watch_child_exits()
            .inspect_err(|error| {
                tracing::warn!(%error, "cannot catch SIGCHLD; the reaper looks every second");
            })
            .ok();
        std::thread::Builder::new()
            .name("webterm-reaper".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(1));
                    // From here on, an exit wakes the thread again; it is looked for in this look or the next.
                    CHILD_EXITED.store(false, Ordering::Release);
                    reap_orphans();
                    if let Some(wake) = &woken {
                        wait_for_wake(wake);
                    }
                }
            })
            .expect("spawning the reaper thread");
    });
}

/// Set when a child of ours has exited since the reaper last looked (and at start, to look once).
static CHILD_EXITED: AtomicBool = AtomicBool::new(true);

/// The write end of the pipe through which the SIGCHLD handler wakes the reaper; -1 until there is one.
static WAKE: AtomicI32 = AtomicI32::new(-1);

/// Blocks until the SIGCHLD handler writes to the pipe whose read end is `wake`, and empties it.
fn wait_for_wake(wake: &OwnedFd) {
    use rustix::event::{PollFd, PollFlags, poll};
    let mut fds = [PollFd::new(wake, PollFlags::IN)];
    // EINTR: another signal came; looking once too many is harmless.
    let _ = poll(&mut fds, None);
    let mut bytes = [0u8; 64];
    let _ = rustix::io::read(wake, &mut bytes);
}

/// Sets [`CHILD_EXITED`] on every SIGCHLD, and writes a byte to a pipe the first time after the reaper cleared
/// it; returns the pipe's read end, for [`wait_for_wake`]. Nothing else in webterm handles SIGCHLD; children
/// get the default back before `exec` (`spawn.rs`).
fn watch_child_exits() -> std::io::Result<OwnedFd> {
    extern "C" fn on_sigchld(_: libc::c_int) {
        // Async-signal-safe: atomics and write(2), with errno kept for the code the signal interrupted.
        if !CHILD_EXITED.swap(true, Ordering::AcqRel) {
            let fd = WAKE.load(Ordering::Acquire);
            if fd >= 0 {
                // SAFETY: errno is this thread's; the byte is a valid buffer of length 1; a full pipe (EAGAIN,
                // the write end does not block) already holds a wake-up.
                unsafe {
                    let errno = *libc::__errno_location();
                    libc::write(fd, [1u8].as_ptr().cast(), 1);
                    *libc::__errno_location() = errno;
                }
            }
        }
    }
    // Close-on-exec: the programs of sessions must not inherit it. The write end lives as long as the process.
    let flags = rustix::pipe::PipeFlags::CLOEXEC | rustix::pipe::PipeFlags::NONBLOCK;
    let (read_end, write_end) = rustix::pipe::pipe_with(flags)?;
    WAKE.store(write_end.as_raw_fd(), Ordering::Release);
    std::mem::forget(write_end);
    // SAFETY: a zeroed `sigaction` is a valid start; the handler only uses atomics and write(2); SA_RESTART keeps
    // interrupted system calls going.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigchld as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART | libc::SA_NOCLDSTOP;
        libc::sigemptyset(&mut action.sa_mask);
        if libc::sigaction(libc::SIGCHLD, &action, std::ptr::null_mut()) == -1 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(read_end)
}

/// Reaps our zombie children that came from a terminal session: those in another session than ours that
/// no owner waits for. Children this process started for itself (same session) are left to their owners.
pub fn reap_orphans() {
    // One system call when there is nothing to reap (nearly always), instead of a /proc read per child.
    if !any_zombie_child() {
        return;
    }
    let me = rustix::process::getpid().as_raw_nonzero().get();
    let Some(my_session) = read_stat(me).map(|s| s.session) else {
        return;
    };
    for pid in orphans(me) {
        let Some(stat) = read_stat(pid) else { continue };
        if stat.state == b'Z' && stat.session != my_session {
            if let Some(pid) = Pid::from_raw(pid) {
                let _ = rustix::process::waitpid(Some(pid), WaitOptions::NOHANG);
            }
        }
    }
}

/// Whether some child of ours has exited and waits to be reaped; reaps nothing.
fn any_zombie_child() -> bool {
    use rustix::process::{WaitId, WaitIdOptions, waitid};
    let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
    // An error (no children at all: ECHILD) means there is nothing to reap either.
    matches!(waitid(WaitId::All, options), Ok(Some(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reaped_leaders_pid_is_not_taken_for_the_leader() {
        // A process of ours in no webterm session stands for whatever process got a reaped leader's pid.
        let mut other = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = other.id() as i32;
        assert_eq!(session_tree(pid, false, "no-such-session"), vec![pid]);
        assert!(session_tree(pid, true, "no-such-session").is_empty());
        other.kill().unwrap();
        other.wait().unwrap();
    }

    #[test]
    fn an_exited_child_is_seen_as_a_zombie_and_left_for_its_owner_to_reap() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id() as i32;
        while read_stat(pid).map(|s| s.state) != Some(b'Z') {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(any_zombie_child());
        // Still there for its owner: looking did not reap it.
        assert!(child.wait().unwrap().success());
    }

    #[test]
    fn a_child_exit_wakes_the_reaper() {
        let wake = watch_child_exits().unwrap();
        CHILD_EXITED.store(false, Ordering::SeqCst);
        let woken = std::thread::spawn(move || wait_for_wake(&wake));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        assert!(child.wait().unwrap().success());
        // The signal may come a moment after the exit.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !woken.is_finished() {
            assert!(
                Instant::now() < deadline,
                "the exit did not wake the reaper"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(CHILD_EXITED.load(Ordering::SeqCst));
    }

    #[test]
    fn stat_lines_with_odd_command_names_parse() {
        let line = "4242 (we ird) (name)) S 100 4242 4242 34816 4242 4194560 0 0 0 0";
        let stat = parse_stat(line).unwrap();
        assert_eq!((stat.pid, stat.state, stat.session), (4242, b'S', 4242));
    }
}
