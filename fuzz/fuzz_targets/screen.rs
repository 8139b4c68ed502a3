//! Program output into the server's screen, and its snapshot (`checks::screen`). Best with
//! `-dict=fuzz/terminal.dict`.
#![no_main]

// Each target uses one of the checks.
#[allow(dead_code)]
#[path = "../../tests/it/fuzz/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::screen(data);
});
