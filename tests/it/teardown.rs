//! Disconnects of every kind end the whole process tree: SIGHUP, a grace period, SIGKILL, reaped.

use std::time::Duration;

use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;

use crate::support::{
    Binary, Client, PATIENCE, TestServer, config, wait_for_child, wait_until_gone,
};

/// Starts a shell with a background job, a job that ignores SIGHUP, and a stopped job; returns all pids.
async fn shell_with_jobs(client: &mut Client) -> Vec<i32> {
    let shell = client.ask_number("$$").await;
    let background = client
        .ask_number("\"$(sleep 1001 >/dev/null & echo $!)\"")
        .await;
    // A job that ignores SIGHUP must still die, by SIGKILL after the grace period.
    let stubborn = client
        .ask_number("\"$(sh -c 'trap \"\" HUP; exec sleep 1002' >/dev/null & echo $!)\"")
        .await;
    client.type_text("sleep 1003 &\r").await;
    let job = wait_for_child(shell, "sleep").await;
    let pids = vec![shell, background, stubborn, job];
    for &pid in &pids {
        assert!(
            crate::support::process_exists(pid),
            "{pid} should be running"
        );
    }
    pids
}

#[tokio::test]
async fn a_dropped_tcp_connection_kills_the_shell_and_its_background_jobs() {
    let server = TestServer::with_command(&["sh"]);
    let mut client = Client::connect(&server, "").await;
    let pids = shell_with_jobs(&mut client).await;
    drop(client);
    wait_until_gone(&pids).await;
}

#[tokio::test]
async fn a_close_frame_kills_the_shell_and_its_background_jobs() {
    let server = TestServer::with_command(&["sh"]);
    let mut client = Client::connect(&server, "").await;
    let pids = shell_with_jobs(&mut client).await;
    let frame = CloseFrame {
        code: 1000.into(),
        reason: "bye".into(),
    };
    client.ws.send(Message::Close(Some(frame))).await.unwrap();
    assert_eq!(
        client.expect_close().await,
        Some(1000),
        "the server answers a close with the same code"
    );
    wait_until_gone(&pids).await;
}

#[tokio::test]
async fn a_client_that_stops_answering_pings_is_dropped_and_its_processes_killed() {
    let mut config = config(&["sh"]);
    config.websocket.ping_interval_secs = 1;
    config.websocket.ping_timeout_secs = 2;
    let server = TestServer::start(config);
    let mut client = Client::connect(&server, "").await;
    let pids = shell_with_jobs(&mut client).await;
    // Stop reading: the client's library answers pings only while it reads.
    let started = std::time::Instant::now();
    wait_until_gone(&pids).await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "dropped before the ping timeout"
    );
    drop(client);
}

#[tokio::test]
async fn background_jobs_outliving_an_exited_program_are_ended_too() {
    let server = TestServer::with_command(&["sh", "-c", "sleep 1004 & echo job=$!; exit 0"]);
    let mut client = Client::connect(&server, "").await;
    let exit = client.expect_control("exit").await;
    assert_eq!(exit["code"], 0);
    let text = client.output_text();
    let job: i32 = text.trim().trim_start_matches("job=").parse().unwrap();
    wait_until_gone(&[job]).await;
}

#[tokio::test]
async fn a_lingering_session_whose_program_exits_while_a_background_job_floods_the_terminal_ends() {
    // The job ignores the hangup and keeps the terminal open. With no client attached the server reads as fast as
    // it parses; the job's output must not hold the end of the session (and so the job's end) back for ever.
    let mut config = config(&[
        "sh",
        "-c",
        "trap '' HUP; (sleep 0.5; exec yes) & echo job=$!; sleep 1; exit 3",
    ]);
    config.session.linger_secs = 60;
    let server = TestServer::start(config);
    let mut client = Client::connect(&server, "").await;
    let text = client.expect_output("\n").await;
    let job: i32 = text
        .lines()
        .next()
        .unwrap()
        .trim()
        .trim_start_matches("job=")
        .parse()
        .unwrap();
    drop(client);
    wait_until_gone(&[job]).await;
}

#[tokio::test]
async fn stopping_the_server_ends_every_session() {
    let server = TestServer::with_command(&["sh"]);
    let mut client = Client::connect(&server, "").await;
    let pids = shell_with_jobs(&mut client).await;
    drop(server);
    wait_until_gone(&pids).await;
}

#[tokio::test]
async fn a_setsid_daemon_whose_parent_died_is_found_by_its_session_marker_and_ended() {
    let server = TestServer::with_command(&["sh"]);
    let mut client = Client::connect(&server, "").await;
    // A double fork: the subshell exits, so the daemon is reparented to webterm (the subreaper) in a
    // session of its own; only the WEBTERM_SESSION it inherited ties it to this terminal.
    let daemon = client
        .ask_number("\"$( (setsid sleep 1007 >/dev/null 2>&1 & echo $!) )\"")
        .await;
    // The echo can come before `setsid` has made its session and become `sleep`.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let stat = loop {
        let stat = std::fs::read_to_string(format!("/proc/{daemon}/stat")).unwrap();
        if stat.contains("(sleep)") {
            break stat;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never became sleep: {stat}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..]
        .split_whitespace()
        .collect();
    assert_eq!(
        fields[1],
        std::process::id().to_string(),
        "reparented to the subreaper: {stat}"
    );
    assert_eq!(
        fields[3],
        daemon.to_string(),
        "a session of its own: {stat}"
    );
    drop(client);
    wait_until_gone(&[daemon]).await;
}

/// The context switches so far of `pid`'s thread named `name`.
fn context_switches(pid: i32, name: &str) -> u64 {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap();
    let task = tasks
        .map(|t| t.unwrap().path())
        .find(|t| std::fs::read_to_string(t.join("comm")).unwrap().trim() == name)
        .unwrap_or_else(|| panic!("no thread named {name}"));
    let status = std::fs::read_to_string(task.join("status")).unwrap();
    status
        .lines()
        .filter(|l| l.contains("ctxt_switches:"))
        .map(|l| l.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap())
        .sum()
}

#[tokio::test]
async fn the_reaper_sleeps_until_a_child_exits() {
    let binary = Binary::start_with_config("[session]\nlinger_secs = 0\n", &["sh"]);
    let pid = binary.pid();
    // Its first look comes a second after the start.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = context_switches(pid, "webterm-reaper");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        context_switches(pid, "webterm-reaper"),
        idle,
        "the reaper woke while no child exited"
    );
    // A session's end wakes it.
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", binary.addr))
        .await
        .unwrap();
    let mut client = Client::from_ws(ws);
    client.expect_control("hello").await;
    drop(client);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while context_switches(pid, "webterm-reaper") == idle {
        assert!(
            tokio::time::Instant::now() < deadline,
            "an exit did not wake the reaper"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
