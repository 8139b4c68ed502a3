//! A client that stops reading while its program floods output: the server's memory stays bounded, the kernel
//! pauses the program, another session still gets all of its output, and once the client misses its pings its
//! connection goes. A client attaching during a flood, and output a screen would keep for ever. A client in a file
//! transfer, which must miss no output. (The other way, input the program does not read: `input_wait.rs`.)

use std::mem::ManuallyDrop;
use std::os::fd::{FromRawFd, RawFd};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::Message;

use crate::support::{
    Binary, Client, PATIENCE, TestServer, Ws, children_of, open_fds, vm_rss_kib, wait_for_baseline,
    wait_for_child,
};

/// Bytes `pid` has written so far.
fn written(pid: i32) -> u64 {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap();
    io.lines()
        .find_map(|l| l.strip_prefix("wchar: "))
        .unwrap()
        .parse()
        .unwrap()
}

/// The next output frame; the connection must not end, and output must come in time.
pub async fn next_output(ws: &mut Ws) -> Vec<u8> {
    loop {
        match tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("output in time")
        {
            Some(Ok(Message::Binary(bytes))) => return bytes.to_vec(),
            Some(Ok(_)) => {}
            other => panic!("connection ended: {other:?}"),
        }
    }
}

/// Reads until the output holds `needle`; returns how many output bytes came.
pub async fn read_until(ws: &mut Ws, needle: &[u8]) -> usize {
    // Only the last bytes are kept and searched: the whole output may be tens of megabytes.
    let (mut total, mut tail) = (0, Vec::new());
    while !tail.windows(needle.len()).any(|w| w == needle) {
        let bytes = next_output(ws).await;
        total += bytes.len();
        tail.extend_from_slice(&bytes);
        tail.drain(..tail.len().saturating_sub(bytes.len() + needle.len()));
    }
    total
}

/// The descriptors `binary` holds once a first session (running `sh`) has come and gone: that session sets up
/// what the server keeps for all (a first blocking thread, say). `binary` must end a session with its connection.
pub async fn baseline_after_a_first_session(binary: &Binary, url: &str) -> usize {
    let (mut first, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    first
        .send(Message::Binary(b"echo \"rea\"dy\r".to_vec().into()))
        .await
        .unwrap();
    read_until(&mut first, b"ready").await;
    drop(first);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !children_of(binary.pid()).is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first session never ended"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    open_fds(binary.pid())
}

#[tokio::test]
async fn a_client_that_stops_reading_pauses_its_program_and_leaves_others_at_full_speed() {
    let binary = Binary::start(&["--no-auth", "--listen", "127.0.0.1:0", "--", "sh"]);
    let url = format!("ws://{}/ws", binary.addr);
    let (mut idle, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    idle.send(Message::Binary(b"echo \"pid\"=$$\r".to_vec().into()))
        .await
        .unwrap();
    read_until(&mut idle, b"pid=").await;
    let shells = children_of(binary.pid());
    assert_eq!(shells.len(), 1);
    let rss_before = vm_rss_kib(binary.pid());

    // The flood starts, and this client never reads again.
    idle.send(Message::Binary(b"yes flood-flood-flood\r".to_vec().into()))
        .await
        .unwrap();
    let yes = wait_for_child(shells[0].0, "yes").await;

    // Another session meanwhile gets its 20 MB, all of it.
    let (mut busy, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    busy.send(Message::Binary(
        b"head -c 20000000 /dev/zero | tr '\\0' x; echo; echo \"all\"-done\r"
            .to_vec()
            .into(),
    ))
    .await
    .unwrap();
    let received = read_until(&mut busy, b"all-done").await;
    assert!(received > 20_000_000, "{received} bytes");

    // The flooding program is blocked by the kernel: it writes nothing more.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let before = written(yes);
        tokio::time::sleep(Duration::from_millis(300)).await;
        if written(yes) == before {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "yes never stopped writing"
        );
    }
    let rss_after = vm_rss_kib(binary.pid());
    assert!(
        rss_after < rss_before + 16 * 1024,
        "the server buffered the flood: RSS {rss_before} KiB -> {rss_after} KiB"
    );
    drop(idle);
}

#[tokio::test]
async fn a_client_that_never_reads_again_is_dropped_once_it_misses_its_pings() {
    // Pings every second, the client is given up after 2 s of silence, and the session ends with its connection.
    let binary = Binary::start_with_config(
        "[websocket]\nping_interval_secs = 1\nping_timeout_secs = 2\n[session]\nlinger_secs = 0\n",
        &["sh"],
    );
    let url = format!("ws://{}/ws", binary.addr);
    let baseline = baseline_after_a_first_session(&binary, &url).await;

    // The flood fills every buffer between the program and this client, which never reads again (so it answers no
    // ping either), but keeps its end of the connection open.
    let (mut silent, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    silent
        .send(Message::Binary(b"yes flood-flood-flood\r".to_vec().into()))
        .await
        .unwrap();
    // Missed pings end the session; then the frames still queued for the client get a last 2 s, and the connection
    // goes: no socket, PTY or process of it is left, though the client never took its frames.
    wait_for_baseline(binary.pid(), baseline).await;
    drop(silent);
}

#[tokio::test]
async fn the_servers_end_keeps_a_short_unsent_queue_and_sends_small_frames_at_once() {
    let server = TestServer::with_command(&["sh"]);
    let client = Client::connect(&server, "").await;
    let MaybeTlsStream::Plain(tcp) = client.ws.get_ref() else {
        panic!("plain TCP")
    };
    let ours = tcp.local_addr().unwrap();
    // The server runs in this process: its end of the connection is the descriptor whose peer is our end.
    let theirs = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<RawFd>().ok())
        .map(|fd| ManuallyDrop::new(unsafe { std::net::TcpStream::from_raw_fd(fd) }))
        .find(|socket| socket.peer_addr().ok() == Some(ours))
        .expect("the server's end of the connection");
    // So that `pause` acts at once.
    assert_eq!(
        webterm::tcp::unsent_limit(&*theirs).unwrap(),
        webterm::tcp::UNSENT_LIMIT
    );
    // So that a small frame does not wait for the acknowledgement of the one before (Nagle's algorithm).
    assert!(theirs.nodelay().unwrap());
}

/// The server's threads with this name.
fn threads_named(pid: i32, name: &str) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|comm| comm.trim_end() == name)
        .count()
}

#[tokio::test]
async fn a_flood_is_read_on_a_thread_of_its_own_which_ends_when_the_output_pauses() {
    let binary = Binary::start(&["--no-auth", "--listen", "127.0.0.1:0", "--", "sh"]);
    let url = format!("ws://{}/ws", binary.addr);
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    ws.send(Message::Binary(b"echo \"ready\"=$$\r".to_vec().into()))
        .await
        .unwrap();
    read_until(&mut ws, b"ready=").await;
    let fds = crate::support::open_fds(binary.pid());
    assert_eq!(
        threads_named(binary.pid(), "webterm-burst"),
        0,
        "at the prompt"
    );

    // 3,000,000 numbered lines (23.9 MB: more than socket buffers hold), then a marker; this client pauses
    // after the first megabyte.
    ws.send(Message::Binary(
        b"seq 3000000; echo \"flood\"-over\r".to_vec().into(),
    ))
    .await
    .unwrap();
    let mut output = Vec::new();
    while output.len() < 1 << 20 {
        output.extend(next_output(&mut ws).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        threads_named(binary.pid(), "webterm-burst"),
        1,
        "the flood is read on a thread of its own"
    );

    // Every line arrives, once and in order.
    while !output[output.len().saturating_sub(4096)..]
        .windows(10)
        .any(|w| w == b"flood-over")
    {
        output.extend(next_output(&mut ws).await);
    }
    let text = String::from_utf8(output).expect("text");
    let numbers: Vec<&str> = text
        .lines()
        .map(|line| line.trim_end_matches('\r'))
        .filter(|line| !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    assert_eq!(numbers.len(), 3_000_000, "lines lost or repeated");
    assert!(
        numbers
            .iter()
            .zip(1..)
            .all(|(line, n)| line.parse() == Ok(n)),
        "lines out of order"
    );

    // Quiet again: the thread and its copy of the PTY are gone, and the shell still answers.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while threads_named(binary.pid(), "webterm-burst") > 0
        || crate::support::open_fds(binary.pid()) > fds
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the burst thread or its descriptor stayed after the flood"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ws.send(Message::Binary(b"echo \"still\"-here\r".to_vec().into()))
        .await
        .unwrap();
    read_until(&mut ws, b"still-here").await;
}

#[tokio::test]
async fn a_pause_during_a_flood_stops_the_output_within_a_few_frames() {
    let server = TestServer::with_command(&["sh"]);
    // A small receive buffer on the client's side: what still arrives after the pause is then what the server had
    // queued beyond its socket, not what this kernel could hold.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(64 * 1024).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let stream = MaybeTlsStream::Plain(stream);
    let (ws, _) = tokio_tungstenite::client_async(server.ws_url("/ws"), stream)
        .await
        .unwrap();
    let mut client = Client::from_ws(ws);
    client.expect_control("hello").await;
    client.type_text("yes | head -c 300000000\r").await;
    let mut ws = client.ws;
    let mut received = 0;
    while received < 4_000_000 {
        received += next_output(&mut ws).await.len();
    }
    ws.send(Message::Text(r#"{"type":"pause"}"#.into()))
        .await
        .unwrap();
    // Not reading for a while lets everything the server queued pile up in front of this client.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut after_pause = 0;
    while let Ok(Some(Ok(message))) =
        tokio::time::timeout(Duration::from_millis(500), ws.next()).await
    {
        if let Message::Binary(bytes) = message {
            after_pause += bytes.len();
        }
    }
    // What was on its way: the socket buffers on both sides (64 KiB here, 128 KiB unsent on the server's side plus
    // what is in flight), actix-http's write buffer and the writer's queue of four frames. 0 to 196 KB in six runs.
    assert!(
        after_pause < 1_000_000,
        "{after_pause} bytes arrived after the pause"
    );
}

#[tokio::test]
async fn a_client_attaching_during_a_flood_gets_the_screen_while_the_flood_goes_on() {
    // Reattaching to a session that is busy printing (a build, a `cat`): the screen must come while it prints,
    // not once it is quiet, and the client already there must keep its output meanwhile.
    let mut config = crate::support::config(&["sh"]);
    config.session.linger_secs = 60;
    let server = TestServer::start(config);
    let mut active = Client::connect(&server, "").await;
    let id = active.hello["session"].as_str().unwrap().to_owned();
    active
        .type_text("yes | head -c 3000000000; echo flood\"\"-over\r")
        .await;
    while !active.output_text().contains("y\r\ny\r\n") {
        active.next().await;
    }
    // The active client keeps reading (and dropping) what comes, as a page does.
    let reader = tokio::spawn(async move {
        let mut frames_per_second = Vec::new();
        for _ in 0..4 {
            let until = tokio::time::Instant::now() + Duration::from_secs(1);
            let mut frames = 0;
            while let Ok(Some(Ok(_))) = tokio::time::timeout_at(until, active.ws.next()).await {
                frames += 1;
            }
            frames_per_second.push(frames);
        }
        frames_per_second
    });

    let mut late = Client::connect_path(&server, &format!("/ws?session={id}")).await;
    let screen = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match late.ws.next().await {
                Some(Ok(Message::Binary(bytes))) => break bytes,
                Some(Ok(_)) => {}
                other => panic!("connection ended: {other:?}"),
            }
        }
    })
    .await
    .expect("the screen comes within 3 s, while the flood goes on");
    assert!(
        screen.starts_with(b"\x1bc"),
        "the first output of a resumed client is the screen"
    );
    let frames_per_second = reader.await.unwrap();
    assert!(
        frames_per_second.iter().all(|&frames| frames > 0),
        "the client already there kept its output: {frames_per_second:?} frames per second"
    );
}

#[tokio::test]
async fn output_that_the_terminal_would_keep_for_ever_does_not_grow_the_servers_memory() {
    // A title that never ends, then a thousand pushed copies of a long one, then one character with millions of
    // combining marks: what `cat` of a hostile file does. The server's screen keeps each within a limit.
    let script = "printf '\\033]2;'; head -c 200000000 /dev/zero | tr '\\0' t; printf '\\007'; \
        printf '\\033]2;%s\\007' \"$(head -c 60000 /dev/zero | tr '\\0' t)\"; \
        i=0; while [ $i -lt 1000 ]; do printf '\\033[22t'; i=$((i+1)); done; \
        printf a; yes \"$(printf '\\314\\201')\" | tr -d '\\n' | head -c 60000000; \
        echo; echo all\"\"-done; exec sleep 600";
    let binary = Binary::start_with_config("[session]\nlinger_secs = 60\n", &["sh", "-c", script]);
    let url = format!("ws://{}/ws", binary.addr);
    let rss_before = vm_rss_kib(binary.pid());
    let (mut client, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let hello = match client.next().await {
        Some(Ok(Message::Text(text))) => serde_json::from_str::<serde_json::Value>(&text).unwrap(),
        other => panic!("expected hello, got {other:?}"),
    };
    read_until(&mut client, b"all-done").await;
    // A client attaching now gets the screen once all of that output is parsed into it.
    let id = hello["session"].as_str().unwrap();
    let (mut late, _) = tokio_tungstenite::connect_async(format!("{url}?session={id}"))
        .await
        .unwrap();
    let screen = next_output(&mut late).await;
    assert!(screen.starts_with(b"\x1bc"));
    let rss_after = vm_rss_kib(binary.pid());
    assert!(
        rss_after < rss_before + 32 * 1024,
        "the screen kept the output: RSS {rss_before} KiB -> {rss_after} KiB"
    );
    assert!(
        screen.len() < 1024 * 1024,
        "a snapshot of {} bytes",
        screen.len()
    );
}

#[tokio::test]
async fn a_client_in_a_file_transfer_misses_no_output_while_another_reads_faster() {
    // A page downloading a file (trzsz) beside a second tab that reads faster: were the downloading client to fall
    // behind and get a snapshot instead of what it missed, the file would arrive broken. With `transfer` on, the
    // program waits for it instead.
    const LINES: usize = 300_000;
    let mut config = crate::support::config(&["sh"]);
    config.session.linger_secs = 60;
    let server = TestServer::start(config);
    let mut downloading = Client::connect(&server, "").await;
    let id = downloading.hello["session"].as_str().unwrap().to_owned();
    let mut other = Client::connect_path(&server, &format!("/ws?session={id}")).await;
    other.expect_output("\x1bc").await;
    // The other client reads all it gets, as fast as it comes.
    let reader = tokio::spawn(async move {
        other.expect_output("seq-done").await;
    });
    downloading
        .control(serde_json::json!({"type": "transfer", "active": true}))
        .await;
    downloading
        .type_text(&format!("seq 1 {LINES}; echo seq\"\"-done\r"))
        .await;
    // The downloading client reads nothing for a while (a slow page), then all of it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut output = Vec::new();
    while !output.windows(8).any(|w| w == b"seq-done") {
        match tokio::time::timeout(PATIENCE, downloading.ws.next()).await {
            Ok(Some(Ok(Message::Binary(bytes)))) => {
                assert!(
                    !bytes.starts_with(b"\x1bc"),
                    "a snapshot came in the transfer"
                );
                output.extend_from_slice(&bytes);
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("the output stopped: {other:?}"),
        }
    }
    let text = String::from_utf8_lossy(&output);
    let numbers: Vec<usize> = text
        .split("\r\n")
        .filter_map(|line| line.parse().ok())
        .collect();
    assert!(
        numbers.iter().copied().eq(1..=LINES),
        "{} numbers, the first missing: {:?}",
        numbers.len(),
        (1..=LINES).zip(&numbers).find(|(want, got)| want != *got)
    );
    tokio::time::timeout(PATIENCE, reader)
        .await
        .expect("the other client gets all of it too")
        .unwrap();
    downloading
        .control(serde_json::json!({"type": "transfer", "active": false}))
        .await;
    assert_eq!(downloading.ask("$((6*7))").await, "42");
}

#[tokio::test]
async fn a_read_only_client_may_not_make_the_program_wait_for_it() {
    let mut config = crate::support::config(&["sh"]);
    config.session.writable = false;
    let server = TestServer::start(config);
    let mut viewer = Client::connect(&server, "").await;
    viewer
        .control(serde_json::json!({"type": "transfer", "active": true}))
        .await;
    assert_eq!(
        viewer.expect_control("error").await["message"],
        "transfer refused: this connection is read-only"
    );
    // The session goes on: the viewer still gets what the program prints.
    viewer.control(serde_json::json!({"type": "ping"})).await;
    viewer.expect_control("pong").await;
}
