//! The WebSocket frame decoder: the stream cut into pieces, any message limit (`checks::frames`).
#![no_main]

// Each target uses one of the checks.
#[allow(dead_code)]
#[path = "../../tests/it/fuzz/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::frames(data);
});
