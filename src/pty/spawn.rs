//! Starting a program on the slave side of a PTY: the leader of a new session (`setsid`) with the terminal as its
//! controlling terminal and as its stdin, stdout and stderr, default signal handling, and none of webterm's
//! descriptors.
//!
//! Through glibc's `posix_spawn`, which starts the child in webterm's own memory (`CLONE_VM | CLONE_VFORK`) until it
//! calls `exec`, instead of `fork`, which copies webterm's page tables and then makes both sides fault in copies
//! of every page they write. Measured with `cargo bench --bench webterm -- --only churn`: fork-related work
//! (`dup_mmap`, copy-on-write faults, TLB flushes, freeing the copy) was about a fifth of the CPU of a churn run,
//! and more as webterm grows (BENCHMARKS.md). The steps, in the order glibc takes them in the child: default
//! handlers for the signals webterm handles or ignores, `setsid`, then opening the terminal as descriptor 0 (the
//! first terminal a session leader opens becomes its controlling terminal, which Ctrl-C and SIGWINCH need), 1 and
//! 2 as copies, the working directory, and every other descriptor closed (`closefrom`, glibc 2.34).
//!
//! portable-pty opens the PTY; its `spawn_command` is not used (it forks, and closes the child's descriptors one by
//! one after listing `/dev/fd`: O(sessions) for every spawn).

use std::ffi::{CString, OsStr, OsString};
use std::io;
#[cfg(test)]
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

#[cfg(test)]
use rustix::fs::{Mode, OFlags};

use super::account::Account;

/// Opens the PTY's slave side at `tty` (from the master's `ptsname`), for tests that write to it directly.
#[cfg(test)]
pub fn open_slave(tty: &Path) -> io::Result<OwnedFd> {
    let flags = OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC;
    Ok(rustix::fs::open(tty, flags, Mode::empty())?)
}

/// What to start: the arguments (the first names the program), its whole environment, and where it starts.
#[derive(Debug)]
pub struct Program {
    /// The program and its arguments. A program without a `/` is looked up in the `PATH` of `env`.
    pub argv: Vec<String>,
    /// The complete environment, one entry per name ([`Program::set`] replaces).
    pub env: Vec<(OsString, OsString)>,
    /// The working directory; `None` keeps webterm's.
    pub cwd: Option<PathBuf>,
}

impl Program {
    /// Sets `name` to `value`, replacing an earlier value.
    pub fn set(&mut self, name: impl Into<OsString>, value: impl Into<OsString>) {
        let name = name.into();
        self.env.retain(|(n, _)| *n != name);
        self.env.push((name, value.into()));
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&OsStr> {
        self.env
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_os_str())
    }

    /// The path `exec` gets: `argv[0]` itself when it has a `/`, else the first executable of that name in `PATH`.
    fn resolve(&self) -> io::Result<PathBuf> {
        let name = self
            .argv
            .first()
            .filter(|name| !name.is_empty())
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))?;
        if name.contains('/') {
            return Ok(PathBuf::from(name));
        }
        let path = self
            .get("PATH")
            .unwrap_or(OsStr::new(super::session::STANDARD_PATH));
        std::env::split_paths(path)
            .map(|dir| dir.join(name))
            .find(|candidate| {
                candidate.is_file()
                    && rustix::fs::access(candidate, rustix::fs::Access::EXEC_OK).is_ok()
            })
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))
    }
}

/// Starts `program` on the terminal at `tty`; returns its pid. See the module documentation.
pub fn spawn(program: &Program, tty: &Path) -> io::Result<i32> {
    let path = c_string(program.resolve()?.as_os_str())?;
    let argv = program
        .argv
        .iter()
        .map(|arg| c_string(OsStr::new(arg)))
        .collect::<io::Result<Vec<_>>>()?;
    let env = program
        .env
        .iter()
        .map(|(name, value)| {
            let mut entry = name.clone();
            entry.push("=");
            entry.push(value);
            c_string(&entry)
        })
        .collect::<io::Result<Vec<_>>>()?;
    let tty = c_string(tty.as_os_str())?;
    let cwd = program
        .cwd
        .as_ref()
        .map(|dir| c_string(dir.as_os_str()))
        .transpose()?;
    let mut argv_ptrs: Vec<*mut libc::c_char> =
        argv.iter().map(|a| a.as_ptr().cast_mut()).collect();
    argv_ptrs.push(std::ptr::null_mut());
    let mut env_ptrs: Vec<*mut libc::c_char> = env.iter().map(|e| e.as_ptr().cast_mut()).collect();
    env_ptrs.push(std::ptr::null_mut());

    let mut actions = FileActions::new()?;
    let mut attributes = Attributes::new()?;
    let mut pid: libc::pid_t = 0;
    // SAFETY: every pointer handed over points into a CString or a Vec above, alive until this function
    // returns, and `posix_spawn` returns only after the child has called `exec` (or failed to).
    let status = unsafe {
        check(libc::posix_spawn_file_actions_addopen(
            &mut actions.0,
            0,
            tty.as_ptr(),
            libc::O_RDWR,
            0,
        ))?;
        check(libc::posix_spawn_file_actions_adddup2(&mut actions.0, 0, 1))?;
        check(libc::posix_spawn_file_actions_adddup2(&mut actions.0, 0, 2))?;
        if let Some(cwd) = &cwd {
            check(libc::posix_spawn_file_actions_addchdir_np(
                &mut actions.0,
                cwd.as_ptr(),
            ))?;
        }
        check(libc::posix_spawn_file_actions_addclosefrom_np(
            &mut actions.0,
            3,
        ))?;

        let mut defaults: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut defaults);
        for signal in [
            libc::SIGCHLD,
            libc::SIGHUP,
            libc::SIGINT,
            libc::SIGQUIT,
            libc::SIGTERM,
            libc::SIGALRM,
            libc::SIGPIPE,
        ] {
            libc::sigaddset(&mut defaults, signal);
        }
        check(libc::posix_spawnattr_setsigdefault(
            &mut attributes.0,
            &defaults,
        ))?;
        let mut mask: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut mask);
        check(libc::posix_spawnattr_setsigmask(&mut attributes.0, &mask))?;
        let flags = libc::POSIX_SPAWN_SETSID
            | libc::POSIX_SPAWN_SETSIGDEF as libc::c_short
            | libc::POSIX_SPAWN_SETSIGMASK as libc::c_short;
        check(libc::posix_spawnattr_setflags(&mut attributes.0, flags))?;

        libc::posix_spawn(
            &mut pid,
            path.as_ptr(),
            &actions.0,
            &attributes.0,
            argv_ptrs.as_ptr(),
            env_ptrs.as_ptr(),
        )
    };
    check(status)?;
    Ok(pid)
}

fn c_string(text: &OsStr) -> io::Result<CString> {
    CString::new(text.as_bytes()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{text:?} contains a NUL byte"),
        )
    })
}

/// `posix_spawn*` functions return an error number instead of setting `errno`.
fn check(status: libc::c_int) -> io::Result<()> {
    match status {
        0 => Ok(()),
        error => Err(io::Error::from_raw_os_error(error)),
    }
}

/// A `posix_spawn_file_actions_t`, destroyed when dropped.
struct FileActions(libc::posix_spawn_file_actions_t);

impl FileActions {
    fn new() -> io::Result<FileActions> {
        // SAFETY: zeroed memory is a valid place for `init` to initialise.
        let mut actions = FileActions(unsafe { std::mem::zeroed() });
        // SAFETY: `actions.0` is a valid, writable `posix_spawn_file_actions_t`.
        check(unsafe { libc::posix_spawn_file_actions_init(&mut actions.0) })?;
        Ok(actions)
    }
}

impl Drop for FileActions {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`, destroyed once.
        unsafe { libc::posix_spawn_file_actions_destroy(&mut self.0) };
    }
}

/// A `posix_spawnattr_t`, destroyed when dropped.
struct Attributes(libc::posix_spawnattr_t);

impl Attributes {
    fn new() -> io::Result<Attributes> {
        // SAFETY: zeroed memory is a valid place for `init` to initialise.
        let mut attributes = Attributes(unsafe { std::mem::zeroed() });
        // SAFETY: `attributes.0` is a valid, writable `posix_spawnattr_t`.
        check(unsafe { libc::posix_spawnattr_init(&mut attributes.0) })?;
        Ok(attributes)
    }
}

impl Drop for Attributes {
    fn drop(&mut self) {
        // SAFETY: initialised in `new`, destroyed once.
        unsafe { libc::posix_spawnattr_destroy(&mut self.0) };
    }
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

    fn program(argv: &[&str], path: &str) -> Program {
        let mut program = Program {
            argv: argv.iter().map(|a| a.to_string()).collect(),
            env: vec![("PATH".into(), "/early".into())],
            cwd: None,
        };
        program.set("PATH", path);
        program
    }

    #[test]
    fn set_replaces_and_a_name_is_looked_up_in_the_programs_own_path() {
        let sh = program(&["sh", "-c", "true"], "/nonexistent:/bin");
        assert_eq!(sh.env.len(), 1, "{:?}", sh.env);
        assert_eq!(sh.get("PATH"), Some(OsStr::new("/nonexistent:/bin")));
        assert_eq!(sh.resolve().unwrap(), Path::new("/bin/sh"));
        // Not found in that PATH, even if webterm's own would have it.
        let error = program(&["sh"], "/nonexistent").resolve().unwrap_err();
        assert_eq!(error.raw_os_error(), Some(libc::ENOENT));
        // A path is taken as it is.
        assert_eq!(
            program(&["./run"], "/bin").resolve().unwrap(),
            Path::new("./run")
        );
    }

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
