//! Password checks run at once across the whole server: each argon2id check takes 19 MiB and tens of
//! milliseconds of a core (with webterm's own hashes; the config refuses any beyond 256 MiB or about a second,
//! see `basic::check_cost`), so a burst of them must not run side by side.

use std::num::NonZeroUsize;
use std::sync::Arc;

use tokio::sync::Semaphore;

/// Runs password checks on the blocking threads, at most one per core at a time for the whole server (every
/// worker shares it).
#[derive(Debug)]
pub struct PasswordChecks {
    permits: Arc<Semaphore>,
}

impl PasswordChecks {
    /// Room for one check per core, as the OS reports them (one when it cannot say). More would not finish
    /// sooner, only hold more memory at once.
    pub fn new() -> PasswordChecks {
        PasswordChecks::with_room_for(
            std::thread::available_parallelism().map_or(1, NonZeroUsize::get),
        )
    }

    /// Room for `checks` checks at once.
    fn with_room_for(checks: usize) -> PasswordChecks {
        PasswordChecks {
            permits: Arc::new(Semaphore::new(checks)),
        }
    }

    /// Runs `check` on a blocking thread once there is room; `None` if it panicked.
    pub async fn run<T: Send + 'static>(
        &self,
        check: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        // SECURITY: a check that finds no room waits its turn (first come, first served) rather than being
        // refused. The line is bounded: the rate limiter lets one address have at most `auth.max_failures`
        // attempts in it, a waiting attempt holds a connection and a few hundred bytes but none of argon2's
        // memory or CPU, and a client that hangs up leaves the line (its attempt counting as a failure).
        // Refusing instead would let a burst of wrong passwords from one address turn away everyone else's
        // right ones.
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        actix_web::web::block(move || {
            // SECURITY: the permit goes with the check, so that it is held until argon2 is done, even when the
            // request that started it has gone away meanwhile.
            let _permit = permit;
            check()
        })
        .await
        .ok()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[actix_web::test]
    async fn no_more_checks_run_at_once_than_there_is_room_for() {
        let checks = PasswordChecks::with_room_for(2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let burst = (0..8).map(|_| {
            let (running, most) = (running.clone(), most.clone());
            checks.run(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(50));
                running.fetch_sub(1, Ordering::SeqCst);
            })
        });
        let done = futures_util::future::join_all(burst).await;
        assert_eq!(done.len(), 8);
        assert!(done.iter().all(Option::is_some));
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }
}
