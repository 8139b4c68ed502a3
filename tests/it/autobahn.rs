//! `/echo` against Autobahn's WebSocket conformance cases, sections 1 to 10, run by PyPI's `kosoku`.
//! Sections 12 and 13 (permessage-deflate) are out of scope: webterm does not negotiate compression.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use crate::support::{TestServer, config};

const PASSING: [&str; 3] = ["OK", "NON-STRICT", "INFORMATIONAL"];

#[tokio::test]
async fn the_echo_route_passes_every_autobahn_case_in_sections_1_to_10() {
    let mut config = config(&["sh"]);
    // Section 9 sends messages of up to 16 MiB.
    config.websocket.max_message_size = 32 << 20;
    let server = TestServer::start(config);
    let outdir = std::env::temp_dir().join(format!("webterm-autobahn-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&outdir);

    let url = server.ws_url("/echo");
    let args = [
        "-m",
        "fuzzingclient",
        "-x",
        "12.*",
        "-x",
        "13.*",
        "-p",
        "2",
        "-o",
    ];
    let run = tokio::task::spawn_blocking(move || {
        Command::new("kosoku")
            .args(args)
            .arg(&outdir)
            .arg(url)
            .output()
    });
    let output = run.await.unwrap().unwrap_or_else(|error| {
        panic!(
            "cannot run kosoku ({error}); install it with `pip install kosoku` (scripts/test does)"
        )
    });
    let outdir = std::env::temp_dir().join(format!("webterm-autobahn-{}", std::process::id()));
    let index: Value = serde_json::from_slice(
        &std::fs::read(outdir.join("index.json")).expect("kosoku's index.json"),
    )
    .expect("index.json is JSON");

    // The agent's key is the server's address; there is one agent.
    let cases = index
        .as_object()
        .and_then(|agents| agents.values().next())
        .and_then(Value::as_object);
    let cases = cases.expect("index.json lists the cases under one agent");
    let failed: BTreeMap<&String, (&Value, &Value)> = cases
        .iter()
        .map(|(id, case)| (id, (&case["behavior"], &case["behaviorClose"])))
        .filter(|(_, (behavior, close))| {
            !PASSING.iter().any(|ok| behavior == ok) || !PASSING.iter().any(|ok| close == ok)
        })
        .collect();
    assert!(cases.len() >= 300, "only {} cases ran", cases.len());
    assert!(
        failed.is_empty(),
        "failed cases: {failed:#?}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "kosoku: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_dir_all(&outdir);
}
