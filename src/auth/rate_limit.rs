//! Failed attempts per client address: too many within a window, and the address waits (429 + Retry-After).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Addresses tracked at once. Beyond this, new addresses share one window (see [`RateLimiter::failed`]).
const MAX_TRACKED: usize = 65_536;

/// Counts failed attempts per client address in fixed windows.
#[derive(Debug)]
pub struct RateLimiter {
    max_failures: u32,
    window: Duration,
    windows: Mutex<HashMap<IpAddr, Window>>,
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
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(retry_after)` while `client` has used up its failures.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        let now = Instant::now();
        let windows = self
            .windows
            .lock()
            .expect("the rate limiter's lock is never poisoned");
        let full = windows.len() >= MAX_TRACKED;
        match windows
            .get(&key(client))
            .or_else(|| windows.get(&OVERFLOW).filter(|_| full))
        {
            Some(w) if w.failures >= self.max_failures && now < w.start + self.window => {
                Err((w.start + self.window - now).max(Duration::from_secs(1)))
            }
            _ => Ok(()),
        }
    }

    /// Records one failure of `client`; true when this one used up its allowance.
    pub fn failed(&self, client: IpAddr) -> bool {
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .expect("the rate limiter's lock is never poisoned");
        let mut key = key(client);
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

    #[test]
    fn an_address_is_held_back_after_its_failures_and_others_are_not() {
        let limiter = RateLimiter::new(3, Duration::from_secs(60));
        let (bad, good): (IpAddr, IpAddr) =
            ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for _ in 0..3 {
            assert!(limiter.check(bad).is_ok());
            limiter.failed(bad);
        }
        let retry_after = limiter.check(bad).unwrap_err();
        assert!(
            retry_after > Duration::from_secs(50) && retry_after <= Duration::from_secs(60),
            "{retry_after:?}"
        );
        assert!(limiter.check(good).is_ok());
    }

    #[test]
    fn the_window_ends() {
        let limiter = RateLimiter::new(1, Duration::from_millis(1));
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        limiter.failed(client);
        std::thread::sleep(Duration::from_millis(5));
        assert!(limiter.check(client).is_ok());
    }

    #[test]
    fn ipv6_addresses_of_one_64_share_a_window() {
        let limiter = RateLimiter::new(1, Duration::from_secs(60));
        limiter.failed("2001:db8::1".parse().unwrap());
        assert!(limiter.check("2001:db8::ffff:2".parse().unwrap()).is_err());
        assert!(limiter.check("2001:db8:0:1::1".parse().unwrap()).is_ok());
    }

    #[test]
    fn memory_stays_bounded_and_overflowing_addresses_are_limited_together() {
        let limiter = RateLimiter::new(1, Duration::from_secs(60));
        for i in 0..MAX_TRACKED as u32 + 10 {
            limiter.failed(IpAddr::from(i.to_be_bytes()));
        }
        assert!(limiter.windows.lock().unwrap().len() <= MAX_TRACKED + 1);
        assert!(limiter.check(IpAddr::from([250, 0, 0, 1])).is_err());
        assert!(limiter.check(IpAddr::from([0, 0, 0, 1])).is_err());
    }
}
