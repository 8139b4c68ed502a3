//! Bundles the browser frontend (`frontend/`) into `$OUT_DIR/frontend`, which the binary embeds with rust-embed.
//!
//! Steps: `npm ci` in `frontend/` when `node_modules` is missing or older than `package-lock.json`, then
//! `node build.mjs $OUT_DIR/frontend` (esbuild). Everything comes from the npm registry at build time.

use std::env;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

const NEED_NODE: &str = "webterm's build needs Node.js 18+ and npm \
                         (Debian: apt-get install nodejs npm) to bundle the frontend";

fn main() {
    let crate_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let frontend = crate_dir.join("frontend");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("frontend");

    // A directory here is scanned recursively by cargo.
    for input in [
        "src",
        "index.html",
        "echo.html",
        "replay.html",
        "style.css",
        "build.mjs",
        "tsconfig.json",
        "package.json",
        "package-lock.json",
    ] {
        println!("cargo::rerun-if-changed=frontend/{input}");
    }

    check_node_version();
    if node_modules_is_stale(&frontend) {
        run(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&frontend),
            "npm ci",
        );
    }
    run(
        Command::new("node")
            .arg("build.mjs")
            .arg(&out)
            .current_dir(&frontend),
        "the esbuild bundle (node build.mjs)",
    );
}

/// Stops the build early, with the fix in words, when node is missing or older than 18.
fn check_node_version() {
    let output = run(Command::new("node").arg("--version"), "node --version");
    let version = String::from_utf8_lossy(&output);
    let major = version
        .trim()
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    if major.is_none_or(|major| major < 18) {
        fail(&format!("{NEED_NODE} (found node {})", version.trim()));
    }
}

/// True when `node_modules` is missing or was installed before `package-lock.json` last changed.
fn node_modules_is_stale(frontend: &Path) -> bool {
    // npm writes this file on every install; it is the install's timestamp.
    let installed = modified(&frontend.join("node_modules/.package-lock.json"));
    let locked = modified(&frontend.join("package-lock.json"));
    match (installed, locked) {
        (Some(installed), Some(locked)) => installed < locked,
        _ => true,
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Runs `command` and returns its stdout; a missing program or a failure stops the build with its output.
fn run(command: &mut Command, what: &str) -> Vec<u8> {
    let output = match command.output() {
        Ok(output) => output,
        Err(e) if e.kind() == ErrorKind::NotFound => fail(&format!(
            "{NEED_NODE} ({:?} was not found)",
            command.get_program()
        )),
        Err(e) => fail(&format!("{what} could not start: {e}. {NEED_NODE}")),
    };
    if !output.status.success() {
        fail(&format!(
            "{what} failed ({}).\n--- stdout ---\n{}\n--- stderr ---\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        ));
    }
    output.stdout
}

/// Stops the build; cargo shows this message with the rest of the build script's output.
fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
