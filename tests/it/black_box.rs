//! The real `webterm` binary, run as a user would: its one stdout line, its errors, and what it leaves behind.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{Binary, PATIENCE, audit_events, http_get, open_fds, wait_for_baseline};

#[tokio::test]
async fn the_binary_prints_one_listening_line_and_serves_the_page() {
    let binary = Binary::start(&["--no-auth", "--listen", "127.0.0.1:0", "--", "sh"]);
    assert!(
        binary.url.starts_with("http://127.0.0.1:") && binary.url.ends_with('/'),
        "{}",
        binary.url
    );
    assert_ne!(binary.addr.port(), 0, "port 0 is replaced by the real port");
    let (status, _, body) = http_get(binary.addr, "/", "").await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("./app.js"));
}

#[tokio::test]
async fn the_listen_address_comes_from_the_env_when_no_flag_is_given() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_webterm"))
        .args(["--no-auth"])
        .env("WEBTERM_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        line.starts_with("listening on http://127.0.0.1:") && !line.contains(":7681/"),
        "{line}"
    );
}

/// Runs the binary expecting it to refuse to start; returns its stderr.
fn refusal(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_webterm"))
        .args(args)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "exit code 1 for {args:?}");
    assert!(output.stdout.is_empty(), "no listening line");
    String::from_utf8(output.stderr).unwrap()
}

#[tokio::test]
async fn a_bad_config_key_stops_startup_naming_the_file_line_and_key() {
    let dir = std::env::temp_dir().join(format!("webterm-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:0\"\n[session]\ncomand = [\"sh\"]\n",
    )
    .unwrap();
    let stderr = refusal(&["--config", file.to_str().unwrap()]);
    assert!(
        stderr.contains("bad.toml") && stderr.contains("line 3") && stderr.contains("comand"),
        "{stderr}"
    );

    std::fs::write(&file, "[websocket]\nping_interval_secs = 0\n").unwrap();
    let stderr = refusal(&["--config", file.to_str().unwrap()]);
    assert!(
        stderr.contains("line 2") && stderr.contains("ping_interval_secs"),
        "{stderr}"
    );

    std::fs::write(&file, "workers = 1000000\n").unwrap();
    let stderr = refusal(&["--config", file.to_str().unwrap()]);
    assert!(
        stderr.contains("line 1")
            && stderr.contains("workers")
            && stderr.contains("between 0 and 1024, got 1000000"),
        "{stderr}"
    );

    // A check that runs once the file is read names the file too (and the key).
    std::fs::write(&file, "[auth]\nmode = \"proxy\"\n").unwrap();
    let stderr = refusal(&["--config", file.to_str().unwrap()]);
    assert!(
        stderr.contains(&format!("invalid config file {}: ", file.display()))
            && stderr.contains("auth.trusted_proxies"),
        "{stderr}"
    );

    let stderr = refusal(&["--config", dir.join("missing.toml").to_str().unwrap()]);
    assert!(stderr.contains("missing.toml"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_flag_beats_the_config_file() {
    let dir = std::env::temp_dir().join(format!("webterm-precedence-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("webterm.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:1\"\n").unwrap();
    let binary = Binary::start(&[
        "--no-auth",
        "--config",
        file.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_ne!(binary.addr.port(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn two_hundred_connect_disconnect_cycles_leave_no_fds_or_children() {
    // Each session ends with its connection here; `durable.rs` tests sessions that linger.
    let binary = Binary::start_with_config("[session]\nlinger_secs = 0\n", &["sh"]);
    let url = format!("ws://{}/ws", binary.addr);
    let cycle = || async {
        let (mut ws, _) = tokio_tungstenite::connect_async(&url)
            .await
            .expect("connect");
        use futures_util::StreamExt;
        let hello = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("hello in time");
        assert!(matches!(hello, Some(Ok(_))));
        drop(ws);
    };
    cycle().await;
    let baseline = open_fds(binary.pid());
    for _ in 0..200 {
        cycle().await;
    }
    // Teardown runs after each disconnect (SIGHUP, grace, reap); wait for it to settle.
    wait_for_baseline(binary.pid(), baseline).await;
}

#[tokio::test]
async fn a_session_holds_three_descriptors_its_socket_its_pty_and_its_pidfd() {
    // The open-file limit caps the sessions a server can hold: with 20,000 files, 6,666 sessions at 3 each.
    const SESSIONS: usize = 20;
    let binary = Binary::start_with_config(
        "[session]\nmax_clients = 100\nmax_per_user = 100\n",
        &["sh"],
    );
    let url = format!("ws://{}/ws", binary.addr);
    let mut held = Vec::new();
    let mut baseline = 0;
    // The first session also sets up what the server keeps for all (a first blocking thread, say).
    for i in 0..=SESSIONS {
        if i == 1 {
            baseline = open_fds(binary.pid());
        }
        let mut client = crate::support::Client::from_ws(
            tokio_tungstenite::connect_async(&url)
                .await
                .expect("connect")
                .0,
        );
        client.expect_control("hello").await;
        held.push(client);
    }
    let per_session = (open_fds(binary.pid()) - baseline) as f64 / SESSIONS as f64;
    assert!(per_session <= 3.0, "{per_session} descriptors per session");
}

#[tokio::test]
async fn sigterm_tells_the_client_ends_the_shell_and_exits_zero() {
    let mut binary = Binary::start(&["--no-auth", "--listen", "127.0.0.1:0", "--", "sh"]);
    let url = format!("ws://{}/ws", binary.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("connect");
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    ws.send(Message::Binary(b"echo \"pid\"=$$\r".to_vec().into()))
        .await
        .unwrap();
    let mut seen = String::new();
    let shell: i32 = loop {
        match tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("output in time")
        {
            Some(Ok(Message::Binary(bytes))) => seen.push_str(&String::from_utf8_lossy(&bytes)),
            Some(Ok(_)) => {}
            other => panic!("connection ended early: {other:?}"),
        }
        if let Some(pid) = seen
            .split("pid=")
            .nth(1)
            .and_then(|rest| rest.split('\r').next())
        {
            if let Ok(pid) = pid.parse() {
                break pid;
            }
        }
    };
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(binary.pid()).unwrap(),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    let mut got_shutdown = false;
    let close = loop {
        match tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("shutdown in time")
        {
            Some(Ok(Message::Text(text))) => got_shutdown |= text.contains("\"shutdown\""),
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            other => panic!("no close frame: {other:?}"),
        }
    };
    assert!(got_shutdown, "the client was told");
    assert_eq!(close, Some(1001));
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = binary.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "webterm did not exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(status.code(), Some(0));
    crate::support::wait_until_gone(&[shell]).await;
}

#[tokio::test]
async fn check_prints_the_effective_config_with_secrets_redacted_or_fails_with_the_line() {
    let dir = std::env::temp_dir().join(format!("webterm-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("webterm.toml");
    std::fs::write(
        &file,
        "[auth]\ntoken = \"0123456789abcdef0123456789abcdef\"\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_webterm"))
        .args(["check", "--config", file.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("valid") && stdout.contains("kill_grace_ms = 2000"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("0123456789abcdef") && stdout.contains("<redacted>"),
        "{stdout}"
    );

    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml");
    let output = Command::new(env!("CARGO_BIN_EXE_webterm"))
        .args(["check", "--config", shipped])
        .output()
        .unwrap();
    assert!(output.status.success(), "the shipped config.toml is valid");

    std::fs::write(
        &file,
        "[session]
kill_grace_ms = \"soon\"\n",
    )
    .unwrap();
    let stderr = refusal(&["check", "--config", file.to_str().unwrap()]);
    assert!(
        stderr.contains("webterm.toml")
            && stderr.contains("line 2")
            && stderr.contains("kill_grace_ms"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn logs_to_a_pipe_or_a_file_carry_no_color_codes() {
    let (binary, logs) =
        Binary::start_with_logs(&["--no-auth", "--listen", "127.0.0.1:0", "--", "sh"]);
    // A session start is logged; read up to its line.
    let (_ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", binary.addr))
        .await
        .unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut lines = Vec::new();
        for line in std::io::BufReader::new(logs).lines() {
            let line = line.unwrap();
            let done = line.contains("session started");
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    });
    let lines = tokio::time::timeout(PATIENCE, lines)
        .await
        .expect("a session start in the logs")
        .unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("INFO") && l.contains("session started")),
        "{lines:?}"
    );
    assert!(
        lines.iter().all(|l| !l.contains('\x1b')),
        "escape codes in logs that are not on a terminal: {lines:?}"
    );
}

#[tokio::test]
async fn json_logs_carry_an_audit_trail_of_each_session() {
    let (binary, logs) = Binary::start_with_json_logs(&[
        "--no-auth",
        "--listen",
        "127.0.0.1:0",
        "--",
        "sh",
        "-c",
        "exit 4",
    ]);
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", binary.addr))
        .await
        .unwrap();
    use futures_util::StreamExt;
    while let Some(Ok(message)) = tokio::time::timeout(PATIENCE, ws.next()).await.unwrap() {
        if message.is_close() {
            break;
        }
    }
    let audit = audit_events(logs, 4, "").await;
    let event = |name: &str| {
        audit
            .iter()
            .find(|e| e["fields"]["event"] == name)
            .unwrap_or_else(|| panic!("no {name} in {audit:?}"))
    };
    let (start, attach, detach, end) = (
        event("session.start"),
        event("session.attach"),
        event("session.detach"),
        event("session.end"),
    );
    assert_eq!(audit[0], *start, "the session starts first");
    assert_eq!(start["fields"]["command"], "sh -c exit 4");
    let session = &start["fields"]["session"];
    assert!(session.is_string(), "{start}");
    for later in [attach, detach, end] {
        assert_eq!(later["fields"]["session"], *session, "{later}");
    }
    let peer = attach["fields"]["peer"].as_str().unwrap_or_default();
    assert!(peer.starts_with("127.0.0.1:"), "{attach}");
    assert_eq!(end["fields"]["reason"], "exited");
    let exit = end["fields"]["exit"].as_str().unwrap_or_default();
    assert!(exit.contains('4'), "{end}");
    assert!(end["fields"]["duration_ms"].is_u64());
    assert!(detach["fields"]["duration_ms"].is_u64());
}

#[tokio::test]
async fn logins_and_failed_logins_are_in_the_audit_trail_without_the_token() {
    let (binary, logs) = Binary::start_with_json_logs(&["--listen", "127.0.0.1:0", "--", "sh"]);
    let token = binary
        .url
        .split_once("?token=")
        .expect("a token in the URL")
        .1;
    let wrong = "/?token=0123456789abcdef0123456789abcdef";
    assert_eq!(http_get(binary.addr, wrong, "").await.0, 401);
    assert_eq!(
        http_get(binary.addr, &format!("/?token={token}"), "")
            .await
            .0,
        303
    );
    let events: Vec<_> = audit_events(logs, 2, token)
        .await
        .iter()
        .map(|event| {
            event["fields"]["event"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(events, ["login.failed", "login"]);
}

#[tokio::test]
async fn a_program_that_ignores_the_hang_up_is_killed_before_webterm_exits_on_sigterm() {
    // kill_grace (30 s) longer than the shutdown's grace (1 s): the kill must still come before webterm exits,
    // or the program outlives it, nobody's to end.
    let mut binary = Binary::start_with_config(
        "shutdown_grace_ms = 1000\n[session]\nkill_grace_ms = 30000\n",
        &["sh", "-c", "trap '' HUP; echo pid=$$; exec sleep 60"],
    );
    let mut client = crate::support::Client::from_ws(
        tokio_tungstenite::connect_async(format!("ws://{}/ws", binary.addr))
            .await
            .expect("connect")
            .0,
    );
    client.expect_control("hello").await;
    let output = client.expect_output("\r\n").await;
    let program: i32 = output
        .trim()
        .strip_prefix("pid=")
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no pid in {output:?}"));
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(binary.pid()).unwrap(),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while binary.child.try_wait().unwrap().is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "webterm did not exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let left = crate::support::process_exists(program);
    if left {
        // Not to leave it behind for the rest of the run.
        let _ = rustix::process::kill_process(
            rustix::process::Pid::from_raw(program).unwrap(),
            rustix::process::Signal::KILL,
        );
    }
    assert!(!left, "the program outlived webterm");
}
