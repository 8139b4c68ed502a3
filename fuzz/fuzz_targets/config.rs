//! The config parser (`checks::config`).
#![no_main]

// Each target uses one of the checks.
#[allow(dead_code)]
#[path = "../../tests/it/fuzz/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        checks::config(text);
    }
});
