//! A client that stops reading while its program floods output: the server's memory stays bounded, the kernel
//! pauses the program, and another session still gets all of its output.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::support::{Binary, PATIENCE, children_of, wait_for_child};

pub fn vm_rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Bytes `pid` has written so far.
fn written(pid: i32) -> u64 {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap();
    io.lines()
        .find_map(|l| l.strip_prefix("wchar: "))
        .unwrap()
        .parse()
        .unwrap()
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Reads until the output holds `needle`; returns how many output bytes came.
async fn read_until(ws: &mut Ws, needle: &[u8]) -> usize {
    // Only the last bytes are kept and searched: the whole output may be tens of megabytes.
    let (mut total, mut tail) = (0, Vec::new());
    while !tail.windows(needle.len()).any(|w| w == needle) {
        match tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("output in time")
        {
            Some(Ok(Message::Binary(bytes))) => {
                total += bytes.len();
                tail.extend_from_slice(&bytes);
                tail.drain(..tail.len().saturating_sub(bytes.len() + needle.len()));
            }
            Some(Ok(_)) => {}
            other => panic!("connection ended: {other:?}"),
        }
    }
    total
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
