//! Starting a program on the slave side of a PTY: the leader of a new session (`setsid`) with the terminal as its
//! controlling terminal and as its stdin, stdout and stderr, default signal handling, and none of webterm's
//! descriptors.
//!
//! portable-pty opens the PTY, but its `spawn_command` closes the child's inherited descriptors one by one after
//! listing `/dev/fd` (O(open descriptors), so O(sessions) for every spawn: with 5,000 sessions open, 20 sessions a
//! second). Here one `close_range` call marks them all close-on-exec instead; webterm opens its own with
//! `O_CLOEXEC` anyway, so this only guards against a library that does not.

use std::ffi::OsStr;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use rustix::fs::{Mode, OFlags};

use super::account::Account;

/// Opens the PTY's slave side at `tty` (from the master's `ptsname`) for a child to inherit.
pub fn open_slave(tty: &Path) -> io::Result<OwnedFd> {
    let flags = OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC;
    Ok(rustix::fs::open(tty, flags, Mode::empty())?)
}

/// Starts `command` on the terminal `slave`; see the module documentation.
pub fn spawn(mut command: Command, slave: &OwnedFd) -> io::Result<Child> {
    command
        .stdin(Stdio::from(slave.try_clone()?))
        .stdout(Stdio::from(slave.try_clone()?))
        .stderr(Stdio::from(slave.try_clone()?));
    // SAFETY: the closure runs in the forked child before `exec`, and only makes async-signal-safe system calls.
    unsafe {
        command.pre_exec(|| {
            for signal in [
                libc::SIGCHLD,
                libc::SIGHUP,
                libc::SIGINT,
                libc::SIGQUIT,
                libc::SIGTERM,
                libc::SIGALRM,
                libc::SIGPIPE,
            ] {
                libc::signal(signal, libc::SIG_DFL);
            }
            let empty: libc::sigset_t = std::mem::zeroed();
            libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
            if libc::setsid() == -1 {
                return Err(io::Error::last_os_error());
            }
            // Without a controlling terminal, resizing would send no SIGWINCH and Ctrl-C no SIGINT.
            if libc::ioctl(0, libc::TIOCSCTTY as _, 0) == -1 {
                return Err(io::Error::last_os_error());
            }
            // Descriptors 3 and up close at `exec` (Linux 5.11+; older kernels refuse, and O_CLOEXEC covers it).
            // Closing them outright would also close the pipe through which std reports a failed `exec`.
            libc::syscall(
                libc::SYS_close_range,
                3 as libc::c_uint,
                libc::c_uint::MAX,
                libc::CLOSE_RANGE_CLOEXEC,
            );
            Ok(())
        });
    }
    command.spawn()
}

/// The `SHELL` a program gets: `inherited` (from its environment) when it names an executable, else the login
/// shell of the user webterm runs as (from `/etc/passwd`), else `/bin/sh`.
pub fn login_shell(inherited: Option<&OsStr>) -> String {
    let executable = |path: &str| {
        !path.is_empty() && rustix::fs::access(path, rustix::fs::Access::EXEC_OK).is_ok()
    };
    if let Some(shell) = inherited.and_then(OsStr::to_str).filter(|s| executable(s)) {
        return shell.to_string();
    }
    Account::of_uid(rustix::process::getuid().as_raw())
        .map(|account| account.shell)
        .filter(|shell| executable(shell))
        .unwrap_or_else(|| "/bin/sh".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_is_the_inherited_one_when_it_runs_else_a_login_shell() {
        assert_eq!(login_shell(Some(OsStr::new("/bin/sh"))), "/bin/sh");
        for missing in [
            None,
            Some(OsStr::new("/nonexistent/shell")),
            Some(OsStr::new("")),
        ] {
            let shell = login_shell(missing);
            assert!(
                shell.starts_with('/') && Path::new(&shell).exists(),
                "{shell}"
            );
        }
    }
}
