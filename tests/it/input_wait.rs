//! Input the program does not read: it waits in the server, without a leak, while the client's acknowledgements,
//! pauses and pings are still read, and past the input the server takes ahead, the client still hears from it.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::flood::{baseline_after_a_first_session, read_until};
use crate::support::{Binary, Client, PATIENCE, TestServer, http_get, open_fds, wait_for_baseline};

/// Waits until `binary` holds exactly `count` descriptors.
async fn wait_for_fds(binary: &Binary, count: usize, when: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while open_fds(binary.pid()) != count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} fds {when}, not {count}",
            open_fds(binary.pid())
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn input_the_program_does_not_read_waits_on_a_copy_of_the_pty_that_goes_once_it_is_written() {
    let binary = Binary::start_with_config("[session]\nlinger_secs = 0\n", &["sh"]);
    let url = format!("ws://{}/ws", binary.addr);
    let baseline = baseline_after_a_first_session(&binary, &url).await;

    // The program reads nothing for a few seconds, then everything.
    let (mut client, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let program = "stty raw -echo; echo \"rea\"dy; sleep 4; exec cat >/dev/null\r";
    client
        .send(Message::Binary(program.as_bytes().to_vec().into()))
        .await
        .unwrap();
    read_until(&mut client, b"ready").await;
    // The terminal takes about 68 KB; the server waits with the rest, on a copy of the PTY registered for
    // writing: a fourth descriptor besides the socket, the PTY and the pidfd.
    for _ in 0..30 {
        client
            .send(Message::Binary(vec![b'x'; 10_000].into()))
            .await
            .unwrap();
    }
    wait_for_fds(&binary, baseline + 4, "while input waits").await;
    // Once the program reads, the input is written and the copy goes.
    wait_for_fds(&binary, baseline + 3, "after the program read").await;
    drop(client);
    wait_for_baseline(binary.pid(), baseline).await;
}

/// Reads output for `time`; returns how many bytes came.
async fn output_for(client: &mut Client, time: Duration) -> usize {
    let before = client.output.len();
    let _ = tokio::time::timeout(time, async {
        loop {
            client.next().await;
        }
    })
    .await;
    client.output.len() - before
}

#[tokio::test]
async fn acks_and_pings_are_read_while_input_waits_for_a_program_that_does_not_read() {
    // A program that floods output and never reads its input, for a page that acknowledges what it drew (as the
    // bundled page does) and pastes more than the terminal buffers meanwhile. The input waits; the page's
    // acknowledgements, pauses and pings must still be read, or the session stalls for good: no room for output
    // without an ack, and no ack read while the input waits for a program that waits for room.
    let server = TestServer::with_command(&["sh", "-c", "stty raw -echo; exec yes"]);
    let mut client = Client::connect(&server, "").await;
    client
        .control(serde_json::json!({"type": "ack", "bytes": 0}))
        .await;
    // The window (1 MiB beyond the last ack) fills, and then no more output comes.
    while client.output.len() < 1024 * 1024 {
        client.next().await;
    }
    output_for(&mut client, Duration::from_millis(300)).await;
    assert_eq!(
        output_for(&mut client, Duration::from_millis(300)).await,
        0,
        "the window is full"
    );

    // 300 KiB of paste: far beyond the terminal's own buffers (about 68 KiB) and the server's queues.
    for _ in 0..19 {
        client
            .ws
            .send(Message::Binary(vec![b'p'; 16 * 1024].into()))
            .await
            .unwrap();
    }
    let drawn = client.output.len();
    client
        .control(serde_json::json!({"type": "ack", "bytes": drawn}))
        .await;
    client.control(serde_json::json!({"type": "ping"})).await;
    // Bounded: the server's own pings would keep `next` waiting for ever.
    tokio::time::timeout(PATIENCE, client.expect_control("pong"))
        .await
        .expect("the ping is answered while the input waits");
    assert!(
        output_for(&mut client, Duration::from_millis(500)).await > 0,
        "the ack opened the window again"
    );
    // The server still answers others (its terminals run `yes`, so no shell to ask).
    assert_eq!(http_get(server.addr, "/healthz", "").await.0, 200);
}

#[tokio::test]
async fn a_client_whose_paste_waits_for_a_program_that_does_not_read_still_hears_from_the_server() {
    // Past the input the server takes ahead, it reads no more of the client's frames until the program reads:
    // the client's pings wait behind its paste. It must still hear from the server every heartbeat, or the page
    // takes the silence for a dead connection, reconnects, and the rest of its paste is lost: at least as often as
    // the page wants an answer to the ping it sends on waking up (5 s).
    // The default heartbeat (20 s): the page's ping on waking up wants an answer within 5 s.
    let server = TestServer::with_command(&["sh", "-c", "stty raw -echo; exec sleep 600"]);
    let client = Client::connect(&server, "").await;
    let (mut sink, mut stream) = client.ws.split();
    // 2 MiB in 64 KiB frames, as the page sends a paste; the sending stops when the server stops reading.
    let paste = tokio::spawn(async move {
        for _ in 0..32 {
            let frame = Message::Binary(vec![b'p'; 64 * 1024].into());
            if sink.send(frame).await.is_err() {
                break;
            }
        }
        sink.send(Message::Text(r#"{"type":"ping"}"#.into())).await
    });
    for _ in 0..3 {
        let heard = tokio::time::timeout(Duration::from_secs(3), async {
            loop {
                match stream.next().await {
                    Some(Ok(Message::Text(text))) => break text,
                    Some(Ok(_)) => {}
                    other => panic!("connection ended: {other:?}"),
                }
            }
        })
        .await
        .expect("a message every heartbeat while the paste waits");
        assert!(heard.contains(r#""type":"pong""#), "{heard}");
    }
    paste.abort();
    assert_eq!(http_get(server.addr, "/healthz", "").await.0, 200);
}
