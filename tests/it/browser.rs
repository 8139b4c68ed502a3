//! A real headless Chromium (Debian's `chromium`) loads the page, types `echo hello` and reads what xterm.js
//! rendered; then `exit 3` shows the exit banner. The browser side is `tests/browser/terminal.mjs`.

use std::path::Path;
use std::process::Command;

use crate::support::TestServer;

#[tokio::test]
async fn chromium_types_into_the_page_and_sees_the_output_rendered() {
    let server = TestServer::with_command(&["sh"]);
    let url = format!("http://{}/", server.addr);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let artifacts = repo.join("tests/artifacts");
    let script = repo.join("tests/browser/terminal.mjs");
    let run = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .arg(url)
            .arg(artifacts)
            .output()
    });
    let output = run
        .await
        .unwrap()
        .expect("node runs (Node.js is needed to build webterm anyway)");
    assert!(
        output.status.success(),
        "the browser test failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for screenshot in ["typed-echo.png", "exited.png"] {
        assert!(
            repo.join("tests/artifacts").join(screenshot).exists(),
            "{screenshot} was saved"
        );
    }
}
