//! The machine the bench runs on, and the per-process limits that many sessions need.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// What the report says about the machine.
#[derive(Debug, Clone)]
pub struct Machine {
    /// Logical CPUs this process may use.
    pub cpus: usize,
    /// The first `model name` of `/proc/cpuinfo`.
    pub cpu_model: String,
    /// The kernel release.
    pub kernel: String,
    /// `/proc/loadavg` when the bench started: a busy machine skews every figure.
    pub load: String,
    /// How an idle CPU waits: the cpuidle driver, and in a VM the guest's halt polling. Waking a CPU that
    /// halted at once is what the echo and throughput figures mostly pay for (BENCHMARKS.md).
    pub idle: String,
}

impl Machine {
    /// Reads the machine's description from `/proc`.
    pub fn read() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|line| {
                line.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
            kernel: read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_else(|| "unknown".into()),
            load: read_trimmed("/proc/loadavg").unwrap_or_default(),
            idle: idle(),
        }
    }
}

fn idle() -> String {
    let driver = read_trimmed("/sys/devices/system/cpu/cpuidle/current_driver");
    let poll = read_trimmed("/sys/module/haltpoll/parameters/guest_halt_poll_ns");
    match (driver, poll) {
        (Some(driver), Some(ns)) => format!("cpuidle {driver}, guest_halt_poll_ns {ns}"),
        (Some(driver), None) => format!("cpuidle {driver}"),
        (None, _) => "cpuidle unknown".into(),
    }
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

/// Raises this process's open-file limit towards `wanted` (the server child inherits it). Raising the hard
/// limit needs privilege; without it the soft limit goes up to the hard one. Returns the soft limit in force.
pub fn raise_fd_limit(wanted: u64) -> u64 {
    let now = getrlimit(Resource::Nofile);
    let current = now.current.unwrap_or(u64::MAX);
    if current >= wanted {
        return current;
    }
    let hard = now.maximum.unwrap_or(u64::MAX);
    let raised = Rlimit {
        current: Some(wanted),
        maximum: Some(hard.max(wanted)),
    };
    if setrlimit(Resource::Nofile, raised).is_err() {
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(hard.min(wanted)),
                maximum: now.maximum,
            },
        );
    }
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

/// `kernel.pty.max`: how many pseudo-terminals the whole machine may have open at once.
pub fn pty_max() -> Option<u64> {
    read_trimmed("/proc/sys/kernel/pty/max")?.parse().ok()
}

/// `kernel.pty.nr`: how many pseudo-terminals are open now, machine-wide.
pub fn pty_in_use() -> Option<u64> {
    read_trimmed("/proc/sys/kernel/pty/nr")?.parse().ok()
}
