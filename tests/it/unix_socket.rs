//! `listen = "unix:PATH"`: the page and the terminal over a Unix socket with the configured mode, which the socket
//! file never exceeds, even for a moment; a stale socket is replaced, a live one is not.

use std::io::{BufRead, BufReader};
use std::mem::MaybeUninit;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio_tungstenite::tungstenite::Message;
use webterm::config::Listen;
use webterm::server::Server;

use crate::support::{PATIENCE, config, run_on_a_thread};

#[tokio::test]
async fn the_terminal_is_served_on_a_unix_socket_with_its_mode() {
    let dir = std::env::temp_dir().join(format!("webterm-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("webterm.sock");
    // A stale socket from an earlier run is replaced.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());

    let mut config = config(&["sh"]);
    config.listen = Listen::Unix(path.clone());
    config.unix_socket_mode = "0660".into();
    let server = Server::bind(config.clone()).expect("bind the socket");
    assert_eq!(server.url(), format!("unix:{}", path.display()));
    assert_eq!(server.local_addr(), None);
    let (handle, thread) = run_on_a_thread(server);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o660);

    // A live socket is not taken over.
    let error = Server::bind(config)
        .err()
        .expect("a second server is refused")
        .to_string();
    assert!(error.contains("another server is listening"), "{error}");

    let mut stream = UnixStream::connect(&path).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    tokio::time::timeout(PATIENCE, stream.read_to_string(&mut response))
        .await
        .unwrap()
        .unwrap();
    assert!(
        response.starts_with("HTTP/1.1 200") && response.ends_with("ok\n"),
        "{response}"
    );

    let stream = UnixStream::connect(&path).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async("ws://localhost/ws?cols=90&rows=20", stream)
        .await
        .unwrap();
    let Some(Ok(Message::Text(hello))) = ws.next().await else {
        panic!("hello first")
    };
    assert!(hello.contains("\"cols\":90"), "{hello}");
    ws.send(Message::Binary(b"stty size\r".to_vec().into()))
        .await
        .unwrap();
    let mut output = String::new();
    while !output.contains("20 90") {
        match tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("output in time")
        {
            Some(Ok(Message::Binary(bytes))) => output.push_str(&String::from_utf8_lossy(&bytes)),
            Some(Ok(_)) => {}
            other => panic!("connection ended: {other:?}"),
        }
    }
    drop(handle.stop(false));
    thread.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_socket_that_does_not_refuse_the_connection_is_not_taken_for_stale() {
    let dir = std::env::temp_dir().join(format!("webterm-unix-other-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("other.sock");
    // Another program's live datagram socket: a stream connection to it fails with EPROTOTYPE, not ECONNREFUSED.
    // (EACCES, the other such failure, cannot be had as root, which the tests run as.)
    let other = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
    let mut config = config(&["sh"]);
    config.listen = Listen::Unix(path.clone());
    let error = Server::bind(config)
        .err()
        .expect("the socket is not replaced")
        .to_string();
    assert!(
        error.contains("connecting to it failed") && error.contains("will not replace it"),
        "{error}"
    );
    // The file is still the other program's socket.
    let sender = std::os::unix::net::UnixDatagram::unbound().unwrap();
    sender.send_to(b"still mine", &path).unwrap();
    let mut buffer = [0; 16];
    let read = other.recv(&mut buffer).unwrap();
    assert_eq!(&buffer[..read], b"still mine");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs the real binary (the umask is a process's, so it needs a process of its own) under `umask 000`, watching
/// the socket's directory with inotify. A file's mode changes only by a chmod, and every chmod is an `IN_ATTRIB`
/// event: if the socket was created (`IN_CREATE`) and never had its attributes changed, the mode it has now is the
/// mode it was created with, and so the only one it ever had.
#[test]
fn under_umask_000_the_socket_is_created_with_the_configured_mode_and_never_wider() {
    let dir = std::env::temp_dir().join(format!("webterm-umask-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("webterm.sock");
    let watch = inotify::init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK).unwrap();
    inotify::add_watch(&watch, &dir, WatchFlags::CREATE | WatchFlags::ATTRIB).unwrap();

    let listen = format!("unix:{}", path.display());
    let mut child = Command::new("sh")
        .args(["-c", "umask 000 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_webterm"))
        .args(["--no-auth", "--listen", &listen, "--", "sh"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, format!("listening on {listen}\n"));
    // First the mode, then the events: any chmod before the stat is among them.
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
    let mut buffer = [MaybeUninit::uninit(); 4096];
    let mut reader = inotify::Reader::new(&watch, &mut buffer);
    let mut events = Vec::new();
    loop {
        match reader.next() {
            Ok(event) => events.push((
                event
                    .file_name()
                    .map(|name| name.to_string_lossy().into_owned()),
                event.events(),
            )),
            Err(rustix::io::Errno::AGAIN) => break,
            Err(error) => panic!("reading inotify events: {error}"),
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(mode, 0o600, "the default unix_socket_mode");
    assert_eq!(
        events,
        [(Some("webterm.sock".to_owned()), ReadFlags::CREATE)],
        "the socket is created once and its mode never changed afterwards"
    );
}
