//! Failed attempts per client address: too many within a window, and the address waits (429 + Retry-After).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Addresses tracked at once. Beyond this, new addresses share one window (see [`RateLimiter::record_failure`]).
const MAX_TRACKED: usize = 65_536;

/// Counts failed attempts per client address in fixed windows, and the attempts being checked right now.
#[derive(Debug)]
pub struct RateLimiter {
    max_failures: u32,
    window: Duration,
    tables: Mutex<Tables>,
}

#[derive(Debug, Default)]
struct Tables {
    /// The failures of each address, in the window that began with its first one.
    windows: HashMap<IpAddr, Window>,
    /// The attempts of each address whose credentials are being checked now. An address is here only while it
    /// has one, so the table is no bigger than the number of requests in flight.
    in_flight: HashMap<IpAddr, u32>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    failures: u32,
}

impl RateLimiter {
    /// Allows `max_failures` failures per address in each `window`.
    pub fn new(max_failures: u32, window: Duration) -> RateLimiter {
        RateLimiter {
            max_failures,
            window,
            tables: Mutex::new(Tables::default()),
        }
    }

    /// Starts an attempt of `client`: it counts against the client's allowance until it is decided (see
    /// [`Attempt`]). `Err(retry_after)` when the client's failures, and its attempts still being checked, have
    /// used up its allowance.
    pub fn reserve(self: &Arc<Self>, client: IpAddr) -> Result<Attempt, Duration> {
        let now = Instant::now();
        let key = key(client);
        let mut tables = self.lock();
        let full = tables.windows.len() >= MAX_TRACKED;
        let window = tables
            .windows
            .get(&key)
            .or_else(|| tables.windows.get(&OVERFLOW).filter(|_| full))
            .filter(|w| now < w.start + self.window)
            .copied();
        let failures = window.map_or(0, |w| w.failures);
        if let Some(w) = window.filter(|_| failures >= self.max_failures) {
            return Err((w.start + self.window - now).max(Duration::from_secs(1)));
        }
        let in_flight = tables.in_flight.get(&key).copied().unwrap_or(0);
        if failures.saturating_add(in_flight) >= self.max_failures {
            // SECURITY: the attempts in flight could all turn out wrong, so they hold the rest of the allowance:
            // attempts sent in parallel cannot all be checked before the first failure is counted. They are
            // decided within a second or so, hence the short wait.
            return Err(Duration::from_secs(1));
        }
        *tables.in_flight.entry(key).or_insert(0) += 1;
        Ok(Attempt {
            limiter: Arc::clone(self),
            key,
            decided: false,
        })
    }

    /// Ends an attempt under `key`, counting it as a failure when `failed`; true when that failure used up the
    /// allowance.
    fn decide(&self, key: IpAddr, failed: bool) -> bool {
        let mut tables = self.lock();
        if let Some(count) = tables.in_flight.get_mut(&key) {
            *count -= 1;
            if *count == 0 {
                tables.in_flight.remove(&key);
            }
        }
        failed && self.record_failure(&mut tables, key)
    }

    /// Records one failure under `key`; true when this one used up its allowance.
    fn record_failure(&self, tables: &mut Tables, mut key: IpAddr) -> bool {
        let now = Instant::now();
        let windows = &mut tables.windows;
        if !windows.contains_key(&key) && windows.len() >= MAX_TRACKED {
            windows.retain(|_, w| now < w.start + self.window);
            if windows.len() >= MAX_TRACKED {
                // SECURITY: memory stays bounded under a flood from many addresses; the addresses beyond the
                // table share one window, so they are limited together rather than not at all.
                key = OVERFLOW;
            }
        }
        let window = windows.entry(key).or_insert(Window {
            start: now,
            failures: 0,
        });
        if now >= window.start + self.window {
            *window = Window {
                start: now,
                failures: 0,
            };
        }
        window.failures = window.failures.saturating_add(1);
        window.failures == self.max_failures
    }

    fn lock(&self) -> MutexGuard<'_, Tables> {
        self.tables
            .lock()
            .expect("the rate limiter's lock is never poisoned")
    }
}

/// One attempt of a client, counted against its allowance from before its credentials are looked at until it is
/// decided: [`Attempt::give_back`] when they were right (or missing), [`Attempt::failed`] when they were wrong.
#[derive(Debug)]
#[must_use = "an attempt dropped undecided counts as a failure"]
pub struct Attempt {
    limiter: Arc<RateLimiter>,
    key: IpAddr,
    decided: bool,
}

impl Attempt {
    /// The credentials were right, or there were none: the attempt does not count.
    pub fn give_back(mut self) {
        self.decided = true;
        self.limiter.decide(self.key, false);
    }

    /// The credentials were wrong: the attempt counts as a failure. True when it used up the allowance.
    pub fn failed(mut self) -> bool {
        self.decided = true;
        self.limiter.decide(self.key, true)
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if !self.decided {
            // SECURITY: the request went away before its credentials were decided (the client hung up while its
            // password was checked). It counts as a failure, so that hanging up early is no way to have passwords
            // checked beyond the allowance.
            if self.limiter.decide(self.key, true) {
                // SECURITY: the address (as counted: an IPv6 /64 by its prefix) and nothing of what was tried.
                tracing::warn!(target: "webterm::audit", event = "login.locked_out", client = %self.key, "too many failed attempts (the last one abandoned); refusing this address for a while");
            }
        }
    }
}

/// The key of the shared window for addresses beyond [`MAX_TRACKED`].
const OVERFLOW: IpAddr = IpAddr::V6(Ipv6Addr::UNSPECIFIED);

/// The address a client is counted under.
fn key(client: IpAddr) -> IpAddr {
    match client.to_canonical() {
        // SECURITY: one IPv6 host usually holds a whole /64; counting single addresses would give it 2^64 tries.
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(max_failures: u32, window: Duration) -> Arc<RateLimiter> {
        Arc::new(RateLimiter::new(max_failures, window))
    }

    #[test]
    fn an_address_is_held_back_after_its_failures_and_others_are_not() {
        let limiter = limiter(3, Duration::from_secs(60));
        let (bad, good): (IpAddr, IpAddr) =
            ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for _ in 0..3 {
            limiter.reserve(bad).unwrap().failed();
        }
        let retry_after = limiter.reserve(bad).unwrap_err();
        assert!(
            retry_after > Duration::from_secs(50) && retry_after <= Duration::from_secs(60),
            "{retry_after:?}"
        );
        limiter.reserve(good).unwrap().give_back();
    }

    #[test]
    fn attempts_in_flight_hold_the_allowance_until_they_are_decided() {
        let limiter = limiter(3, Duration::from_secs(60));
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        let in_flight: Vec<Attempt> = (0..3).map(|_| limiter.reserve(client).unwrap()).collect();
        assert_eq!(limiter.reserve(client).unwrap_err(), Duration::from_secs(1));
        let mut in_flight = in_flight.into_iter();
        in_flight.next().unwrap().give_back();
        let fourth = limiter
            .reserve(client)
            .expect("a right attempt gave its place back");
        assert!(!in_flight.next().unwrap().failed());
        assert!(!in_flight.next().unwrap().failed());
        assert!(fourth.failed(), "the third failure uses up the allowance");
        assert!(limiter.reserve(client).unwrap_err() > Duration::from_secs(50));
        assert!(limiter.lock().in_flight.is_empty());
    }

    #[test]
    fn an_attempt_dropped_undecided_counts_as_a_failure() {
        let limiter = limiter(1, Duration::from_secs(60));
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        drop(limiter.reserve(client).unwrap());
        assert!(limiter.reserve(client).unwrap_err() > Duration::from_secs(50));
    }

    #[test]
    fn the_window_ends() {
        let limiter = limiter(1, Duration::from_millis(1));
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        limiter.reserve(client).unwrap().failed();
        std::thread::sleep(Duration::from_millis(5));
        limiter.reserve(client).unwrap().give_back();
    }

    #[test]
    fn ipv6_addresses_of_one_64_share_a_window() {
        let limiter = limiter(1, Duration::from_secs(60));
        limiter
            .reserve("2001:db8::1".parse().unwrap())
            .unwrap()
            .failed();
        assert!(
            limiter
                .reserve("2001:db8::ffff:2".parse().unwrap())
                .is_err()
        );
        limiter
            .reserve("2001:db8:0:1::1".parse().unwrap())
            .unwrap()
            .give_back();
    }

    #[test]
    fn memory_stays_bounded_and_overflowing_addresses_are_limited_together() {
        let limiter = limiter(1, Duration::from_secs(60));
        for i in 0..MAX_TRACKED as u32 + 10 {
            // Beyond the table, the shared window refuses all but the first.
            if let Ok(attempt) = limiter.reserve(IpAddr::from(i.to_be_bytes())) {
                attempt.failed();
            }
        }
        assert!(limiter.lock().windows.len() <= MAX_TRACKED + 1);
        assert!(limiter.lock().in_flight.is_empty());
        assert!(limiter.reserve(IpAddr::from([250, 0, 0, 1])).is_err());
        assert!(limiter.reserve(IpAddr::from([0, 0, 0, 1])).is_err());
    }
}
