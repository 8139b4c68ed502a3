//! [`Live`]: a value that a reload may replace while requests read it (the config, the credentials, the
//! certificate). Readers take an `Arc` of the value as it is now and keep it for as long as they need it, so a
//! request or a session never sees half of an old value and half of a new one.

use std::sync::{Arc, RwLock};

/// A shared value, replaced whole.
#[derive(Debug)]
pub struct Live<T>(RwLock<Arc<T>>);

impl<T> Live<T> {
    /// Starts with `value`.
    pub fn new(value: T) -> Live<T> {
        Live(RwLock::new(Arc::new(value)))
    }

    /// The value as it is now.
    pub fn get(&self) -> Arc<T> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the value; readers holding the old one keep it until they let go.
    pub fn set(&self, value: T) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_keeps_the_value_it_took_and_later_readers_get_the_new_one() {
        let live = Live::new(String::from("old"));
        let taken = live.get();
        live.set(String::from("new"));
        assert_eq!(*taken, "old");
        assert_eq!(*live.get(), "new");
    }
}
