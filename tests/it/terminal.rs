//! The terminal over `/ws`: a real shell under a real PTY, spoken to with a real WebSocket client.

use std::time::Duration;

use serde_json::json;

use crate::support::{Client, Event, TestServer, keep_sending};

#[tokio::test]
async fn typed_input_reaches_the_shell_and_its_output_comes_back() {
    let server = TestServer::with_command(&["sh"]);
    let mut client = Client::connect(&server, "").await;
    assert_eq!(client.hello["protocol"], 1);
    assert_eq!(client.hello["writable"], true);
    assert!(
        client.hello["session"]
            .as_str()
            .is_some_and(|id| id.len() >= 16)
    );
    client.type_text("echo hi; echo $((6*7))\r").await;
    client.expect_output("hi\r\n42\r\n").await;
}

#[tokio::test]
async fn input_beyond_what_the_terminal_buffers_waits_for_the_program_and_arrives_whole() {
    // The program reads nothing for a second: the terminal takes about 68 KB of input, then the server's
    // writes would block until the program reads.
    let server = TestServer::with_command(&[
        "sh",
        "-c",
        "stty raw -echo; echo ready; sleep 1; head -c 300000 | wc -c",
    ]);
    let mut client = Client::connect(&server, "").await;
    client.expect_output("ready").await;
    let chunk = "x".repeat(10_000);
    for _ in 0..30 {
        client.type_text(&chunk).await;
    }
    client.expect_output("300000").await;
}

#[tokio::test]
async fn the_program_starts_at_the_requested_size() {
    let server = TestServer::with_command(&["sh"]);
    let mut client = Client::connect(&server, "?cols=100&rows=30").await;
    assert_eq!(
        (client.hello["cols"].as_u64(), client.hello["rows"].as_u64()),
        (Some(100), Some(30))
    );
    assert_eq!(client.ask("\"$(stty size)\"").await, "30 100");
}

#[tokio::test]
async fn the_default_size_is_80_by_24() {
    let server = TestServer::with_command(&["sh"]);
    let mut client = Client::connect(&server, "").await;
    assert_eq!(client.ask("\"$(stty size)\"").await, "24 80");
}

#[tokio::test]
async fn a_resize_changes_stty_size_and_sends_sigwinch() {
    let server = TestServer::with_command(&["sh"]);
    let mut client = Client::connect(&server, "?cols=100&rows=30").await;
    // Signal 28 is SIGWINCH on Linux; dash knows it by number only.
    client.type_text("trap 'echo got-winch' 28\r").await;
    client
        .control(json!({"type": "resize", "cols": 120, "rows": 40}))
        .await;
    client.expect_output("got-winch").await;
    assert_eq!(client.ask("\"$(stty size)\"").await, "40 120");
    assert_eq!(
        client.controls,
        [json!({"type": "size", "cols": 120, "rows": 40})],
        "the resize is answered with the new size, and no error"
    );
}

#[tokio::test]
async fn the_exit_code_comes_after_all_output_then_a_normal_close() {
    let server = TestServer::with_command(&["sh", "-c", "echo bye; exit 3"]);
    let mut client = Client::connect(&server, "").await;
    let exit = client.expect_control("exit").await;
    assert_eq!(exit, json!({"type": "exit", "code": 3}));
    assert_eq!(client.output_text(), "bye\r\n");
    assert_eq!(client.expect_close().await, Some(1000));
}

#[tokio::test]
async fn death_by_signal_is_reported_by_name() {
    let server = TestServer::with_command(&["sh", "-c", "kill -KILL $$"]);
    let mut client = Client::connect(&server, "").await;
    let exit = client.expect_control("exit").await;
    assert_eq!(exit, json!({"type": "exit", "signal": "SIGKILL"}));
    assert_eq!(client.expect_close().await, Some(1000));
}

#[tokio::test]
async fn ten_megabytes_of_output_arrive_complete_before_the_exit_message() {
    const SIZE: usize = 10_000_000;
    let script = format!("head -c {SIZE} /dev/zero | tr '\\0' x");
    let server = TestServer::with_command(&["sh", "-c", &script]);
    let mut client = Client::connect(&server, "").await;
    let exit = client.expect_control("exit").await;
    assert_eq!(exit["code"], 0);
    assert_eq!(client.output.len(), SIZE, "every byte, and nothing else");
    assert!(client.output.iter().all(|&b| b == b'x'));
    // Frames are as large as a read gives, not byte by byte.
    assert!(
        client.frames < SIZE / 1000,
        "{} frames for {SIZE} bytes",
        client.frames
    );
}

#[tokio::test]
async fn utf8_split_across_reads_arrives_byte_exact() {
    // 3-byte CJK characters in output long enough to be split across several frames.
    let script = "i=0; while [ $i -lt 3000 ]; do printf '漢字かな'; i=$((i+1)); done";
    let server = TestServer::with_command(&["sh", "-c", script]);
    let mut client = Client::connect(&server, "").await;
    client.expect_control("exit").await;
    assert_eq!(
        String::from_utf8(client.output.clone()).unwrap(),
        "漢字かな".repeat(3000)
    );
}

#[tokio::test]
async fn ctrl_c_interrupts_the_foreground_program_not_the_shell() {
    let server = TestServer::with_command(&["sh"]);
    let mut client = Client::connect(&server, "").await;
    let shell = client.ask_number("$$").await;
    client.type_text("sleep 1000\r").await;
    let sleep = crate::support::wait_for_child(shell, "sleep").await;
    client.type_text("\x03").await;
    crate::support::wait_until_gone(&[sleep]).await;
    assert_eq!(client.ask("still-here").await, "still-here");
}

#[tokio::test]
async fn pause_stops_output_until_resume() {
    let server = TestServer::with_command(&["sh"]);
    let mut client = Client::connect(&server, "").await;
    client.ask("ready").await;
    client.control(json!({"type": "pause"})).await;
    // While paused the shell's output stays in the kernel; what the client already has is all it gets.
    client.type_text("echo paused-$((1+1))\r").await;
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(300), async {
        loop {
            if let Event::Output(_) = client.next().await {
                if client.output_text().contains("paused-2\r\n") {
                    return;
                }
            }
        }
    })
    .await;
    assert!(
        quiet.is_err(),
        "output arrived while paused: {:?}",
        client.output_text()
    );
    client.control(json!({"type": "resume"})).await;
    client.expect_output("paused-2\r\n").await;
}

#[tokio::test]
async fn a_ping_is_answered_with_a_pong_at_the_heartbeat_hello_announces_even_for_a_read_only_client()
 {
    let mut config = crate::support::config(&["sh"]);
    config.websocket.ping_interval_secs = 7;
    config.websocket.ping_timeout_secs = 21;
    config.session.writable = false;
    let server = TestServer::start(config);
    let mut client = Client::connect(&server, "").await;
    assert_eq!(client.hello["heartbeat"], 7);
    assert_eq!(client.hello["writable"], false);
    for _ in 0..3 {
        client.control(json!({"type": "ping"})).await;
        client.expect_control("pong").await;
    }
    assert!(
        client.controls.iter().all(|c| c["type"] == "pong"),
        "only pongs expected: {:?}",
        client.controls
    );
}

#[tokio::test]
async fn an_acknowledging_client_never_has_more_than_the_window_in_flight() {
    const FLOOD: usize = 6_000_000;
    const FRAME: usize = 64 * 1024;
    let window = webterm::protocol::ACK_WINDOW as usize;
    let server = TestServer::with_command(&["sh"]);
    let mut client = Client::connect(&server, "").await;
    client.ask("ready").await;
    let mut acked = client.output.len();
    client.control(json!({"type": "ack", "bytes": acked})).await;
    client
        .type_text(&format!(
            "head -c {FLOOD} /dev/zero | tr '\\0' '\\121'; echo; echo flood-\"done\"\r"
        ))
        .await;
    let mut stalls = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let done = |output: &[u8]| {
        let tail = &output[output.len().saturating_sub(64)..];
        tail.windows(12).any(|w| w == b"flood-done\r\n")
    };
    while !done(&client.output) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the flood did not finish in 60 s"
        );
        // Output comes until the window is full, then stops until the next ack.
        let quiet = tokio::time::timeout(Duration::from_millis(300), client.next()).await;
        let in_flight = client.output.len() - acked;
        assert!(
            in_flight < window + FRAME,
            "{in_flight} bytes arrived beyond the last ack; the window is {window}"
        );
        if quiet.is_err() {
            if in_flight + FRAME >= window {
                stalls += 1;
            }
            acked = client.output.len();
            client.control(json!({"type": "ack", "bytes": acked})).await;
        }
    }
    // The flood is `Q` (octal 121), which the command line itself does not contain.
    let qs = client.output.iter().filter(|&&b| b == b'Q').count();
    assert_eq!(qs, FLOOD, "every byte arrives");
    assert!(
        stalls >= 2,
        "the server waited for an ack at a full window {stalls} times"
    );
    assert!(client.controls.is_empty(), "{:?}", client.controls);
    // Acknowledgements only go forward.
    client
        .control(json!({"type": "ack", "bytes": acked - 1}))
        .await;
    let error = client.expect_control("error").await;
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains("acknowledged after"), "{message}");
}

#[tokio::test]
async fn ctrl_z_stops_the_foreground_job_and_the_shell_takes_over() {
    let server = TestServer::with_command(&["sh"]);
    let mut client = Client::connect(&server, "").await;
    let shell = client.ask_number("$$").await;
    client.type_text("sleep 1000\r").await;
    let sleep = crate::support::wait_for_child(shell, "sleep").await;
    client.type_text("\x1a").await;
    client.expect_output("Stopped").await;
    let state = std::fs::read_to_string(format!("/proc/{sleep}/stat")).unwrap();
    let state = state[state.rfind(')').unwrap() + 2..].chars().next();
    assert_eq!(state, Some('T'), "the job is stopped");
    assert_eq!(client.ask("back").await, "back");
}

#[tokio::test]
async fn vim_runs_full_screen_edits_a_file_and_quits() {
    let dir = std::env::temp_dir().join(format!("webterm-vim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("note.txt");
    let file_arg = file.to_str().unwrap();
    let server = TestServer::with_command(&["vim", "-u", "NONE", "-i", "NONE", "-N", file_arg]);
    let mut client = Client::connect(&server, "?cols=90&rows=20").await;
    // vim switches to the alternate screen and draws its empty-buffer tildes.
    client.expect_output("\x1b[?1049h").await;
    client.expect_output("~").await;
    client.type_text("iwritten in vim 漢字\x1b:wq\r").await;
    let exit = client.expect_control("exit").await;
    assert_eq!(exit["code"], 0);
    assert!(
        client.output_text().contains("\x1b[?1049l"),
        "vim left the alternate screen"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "written in vim 漢字\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_client_still_sending_when_the_program_exits_gets_all_output_and_the_exit() {
    // The program's output waits in the server's socket while the client, not reading yet, still sends frames.
    // Dropping the connection with those frames unread would make the kernel reset it and throw away the output
    // still queued for the client; the server must finish the closing handshake instead.
    const LINES: usize = 100_000;
    let script = format!("seq 1 {LINES}; exit 7");
    let server = TestServer::with_command(&["sh", "-c", &script]);
    let client = Client::connect(&server, "").await;
    let mut client = Client::from_ws(keep_sending(client.ws, Duration::from_secs(1)).await);
    let exit = client.expect_control("exit").await;
    assert_eq!(exit, json!({"type": "exit", "code": 7}));
    let expected: String = (1..=LINES).map(|n| format!("{n}\r\n")).collect();
    assert!(client.output_text() == expected, "every line, in order");
    assert_eq!(client.expect_close().await, Some(1000));
}
