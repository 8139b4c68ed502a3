//! Shared test tools: an in-process server, a protocol v1 client, HTTP and `/proc` probes.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use webterm::config::Config;
use webterm::server::Server;

/// How long any single wait in a test may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Turns on the server's logs when `TEST_LOG=1`.
pub fn init_logs() {
    if std::env::var("TEST_LOG").is_ok_and(|v| v == "1") {
        webterm::telemetry::init(webterm::cli::LogFormat::Human);
    }
}

/// A test configuration: port 0, one worker, a short kill grace, no authentication (`tests/it/security.rs`
/// turns it on), and sessions that end with their last client (`linger_secs = 0`: the tests of lingering and
/// reattaching, `tests/it/durable.rs`, turn it on).
pub fn config(command: &[&str]) -> Config {
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        workers: 1,
        ..Config::default()
    };
    config.auth.mode = webterm::config::AuthMode::None;
    config.session.command = command.iter().map(|s| s.to_string()).collect();
    config.session.kill_grace_ms = 300;
    config.session.linger_secs = 0;
    config
}

/// Runs a bound server on a thread of its own; returns its handle (to stop it) and the thread.
pub fn run_on_a_thread(
    server: Server,
) -> (actix_web::dev::ServerHandle, std::thread::JoinHandle<()>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let running = server.run().expect("run");
            tx.send(running.handle()).unwrap();
            running.await.expect("server");
        })
    });
    (rx.recv().expect("server started"), thread)
}

/// A webterm server running on a thread of its own; stopped when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    /// The URL of the `listening on` line (with `?token=` when the token was generated).
    pub url: String,
    /// What SIGTERM would trigger: `shutdown.drain(grace)`.
    pub shutdown: webterm::shutdown::Shutdown,
    /// What SIGHUP would do with a new config.
    pub reloader: webterm::reload::Reloader,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server with `config` and returns once it is bound.
    pub fn start(config: Config) -> TestServer {
        init_logs();
        let server = Server::bind(config).expect("bind");
        let addr = server.local_addr().expect("test servers listen on TCP");
        let url = server.url();
        let shutdown = server.shutdown();
        let reloader = server.reloader();
        let (handle, thread) = run_on_a_thread(server);
        TestServer {
            addr,
            url,
            shutdown,
            reloader,
            handle,
            thread: Some(thread),
        }
    }

    /// A server running `command` in each terminal.
    pub fn with_command(command: &[&str]) -> TestServer {
        TestServer::start(config(command))
    }

    /// `ws://ADDR/PATH_AND_QUERY`.
    pub fn ws_url(&self, path_and_query: &str) -> String {
        format!("ws://{}{}", self.addr, path_and_query)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // `stop` sends the command at once; its future only reports completion, which `join` waits for.
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What a client receives.
#[derive(Debug)]
pub enum Event {
    /// Bytes from the terminal.
    Output(Vec<u8>),
    /// A control message.
    Control(Value),
    /// A close frame.
    Close(Option<CloseFrame>),
    /// The connection ended without a close frame.
    End,
}

/// The WebSocket a test client holds.
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A protocol v1 client over a real WebSocket.
pub struct Client {
    pub ws: Ws,
    pub hello: Value,
    /// Every output byte received so far.
    pub output: Vec<u8>,
    /// Control messages received after `hello`.
    pub controls: Vec<Value>,
    /// Output frames received.
    pub frames: usize,
}

impl Client {
    /// Connects to `/ws` + `query` (like `?cols=100&rows=30`, or empty) and reads `hello`.
    pub async fn connect(server: &TestServer, query: &str) -> Client {
        Client::connect_path(server, &format!("/ws{query}")).await
    }

    /// A client over an open WebSocket that has read nothing yet.
    pub fn from_ws(ws: Ws) -> Client {
        Client {
            ws,
            hello: Value::Null,
            output: Vec::new(),
            controls: Vec::new(),
            frames: 0,
        }
    }

    /// Connects to the terminal at `path_and_query` and reads `hello`.
    pub async fn connect_path(server: &TestServer, path_and_query: &str) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(server.ws_url(path_and_query))
            .await
            .expect("connect");
        let mut client = Client::from_ws(ws);
        match client.next().await {
            Event::Control(hello) if hello["type"] == "hello" => client.hello = hello,
            other => panic!("expected hello first, got {other:?}"),
        }
        client
    }

    /// Sends keystrokes / pasted text.
    pub async fn type_text(&mut self, text: &str) {
        self.ws
            .send(Message::Binary(text.as_bytes().to_vec().into()))
            .await
            .expect("send input");
    }

    /// Sends a control message.
    pub async fn control(&mut self, message: Value) {
        self.ws
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send control");
    }

    /// The next event, recording output and control messages. Fails the test after [`PATIENCE`].
    pub async fn next(&mut self) -> Event {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "nothing received for {PATIENCE:?}; output so far: {:?}",
                        self.output_text()
                    )
                });
            let event = match message {
                None | Some(Err(_)) => Event::End,
                Some(Ok(Message::Binary(bytes))) => {
                    self.output.extend_from_slice(&bytes);
                    self.frames += 1;
                    Event::Output(bytes.to_vec())
                }
                Some(Ok(Message::Text(text))) => {
                    let value: Value =
                        serde_json::from_str(&text).expect("control messages are JSON");
                    if value["type"] != "hello" {
                        self.controls.push(value.clone());
                    }
                    Event::Control(value)
                }
                Some(Ok(Message::Close(frame))) => Event::Close(frame),
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
            };
            return event;
        }
    }

    /// Reads until the output contains `needle`; returns the output text.
    pub async fn expect_output(&mut self, needle: &str) -> String {
        while !self.output_text().contains(needle) {
            if let Event::Close(_) | Event::End = self.next().await {
                panic!(
                    "connection ended before {needle:?}; output: {:?}",
                    self.output_text()
                );
            }
        }
        self.output_text()
    }

    /// Reads until a control message of `kind` arrives; returns it.
    pub async fn expect_control(&mut self, kind: &str) -> Value {
        loop {
            match self.next().await {
                Event::Control(value) if value["type"] == kind => return value,
                Event::Close(frame) => panic!("closed ({frame:?}) before a {kind} message"),
                Event::End => panic!("connection ended before a {kind} message"),
                _ => {}
            }
        }
    }

    /// Reads until the close frame, answers it, and waits until the server ends the connection; returns its code.
    pub async fn expect_close(&mut self) -> Option<u16> {
        let code = loop {
            match self.next().await {
                Event::Close(frame) => break frame.map(|f| u16::from(f.code)),
                Event::End => panic!("connection ended without a close frame"),
                _ => {}
            }
        };
        // Reading on sends our answering close frame; the server then ends the connection.
        match self.next().await {
            Event::End => code,
            other => panic!("{other:?} after the close frame"),
        }
    }

    /// The output so far, as lossy UTF-8.
    pub fn output_text(&self) -> String {
        String::from_utf8_lossy(&self.output).into_owned()
    }

    /// Types `echo "markerN"=VALUE` into the shell and returns what it printed for VALUE (a shell word
    /// like `$$` or `"$(stty size)"`). The typed line shows `"markerN"=`, the answer `markerN=`, so the echo
    /// of the command line is never mistaken for the answer.
    pub async fn ask(&mut self, value: &str) -> String {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let marker = format!(
            "marker{}=",
            COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        self.type_text(&format!(
            "echo \"{}\"={value}\r",
            &marker[..marker.len() - 1]
        ))
        .await;
        loop {
            let text = self.output_text();
            if let Some(at) = text.find(&marker) {
                let rest = &text[at + marker.len()..];
                if let Some(end) = rest.find("\r\n") {
                    return rest[..end].to_string();
                }
            }
            if let Event::Close(_) | Event::End = self.next().await {
                panic!("connection ended before {marker}; output: {text:?}");
            }
        }
    }

    /// Like [`Client::ask`], for a number.
    pub async fn ask_number(&mut self, value: &str) -> i32 {
        let answer = self.ask(value).await;
        answer
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{value} gave {answer:?}, not a number"))
    }
}

/// True while `pid` exists (a zombie counts: it has not been reaped).
pub fn process_exists(pid: i32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Waits until none of `pids` exists any more, failing the test after [`PATIENCE`].
pub async fn wait_until_gone(pids: &[i32]) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while pids.iter().any(|&pid| process_exists(pid)) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "processes still alive: {:?}",
            alive(pids)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The children of `parent` as (pid, command name).
pub fn children_of(parent: i32) -> Vec<(i32, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let ppid = stat[close + 2..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<i32>().ok());
        if ppid == Some(parent) {
            found.push((pid, stat[open + 1..close].to_string()));
        }
    }
    found
}

/// Waits until `parent` has a child called `name`; returns its pid.
pub async fn wait_for_child(parent: i32, name: &str) -> i32 {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some((pid, _)) = children_of(parent)
            .into_iter()
            .find(|(_, comm)| comm == name)
        {
            return pid;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{parent} never started {name}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn alive(pids: &[i32]) -> Vec<String> {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .collect()
}

/// A raw HTTP/1.1 exchange: returns (status, headers as lowercase `name: value` lines, body).
pub async fn http_get(addr: SocketAddr, path: &str, extra_headers: &str) -> (u16, String, Vec<u8>) {
    http_request(addr, "GET", path, extra_headers).await
}

/// Like [`http_get`], with another method (`DELETE`, say).
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    extra_headers: &str,
) -> (u16, String, Vec<u8>) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    exchange(stream, addr, method, path, extra_headers).await
}

/// [`http_get`] over a connection the caller opened (from a chosen source address, say).
pub async fn http_get_over(
    stream: TcpStream,
    addr: SocketAddr,
    path: &str,
    extra_headers: &str,
) -> (u16, String, Vec<u8>) {
    exchange(stream, addr, "GET", path, extra_headers).await
}

async fn exchange(
    stream: TcpStream,
    addr: SocketAddr,
    method: &str,
    path: &str,
    extra_headers: &str,
) -> (u16, String, Vec<u8>) {
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra_headers}\r\n"
    );
    send_and_read(stream, request.as_bytes()).await
}

/// Sends a WebSocket handshake for `path` with `extra` header lines, expecting a refusal: (status, lowercase
/// header lines, body). The server ends the connection after refusing an upgrade.
pub async fn refused_upgrade(addr: SocketAddr, path: &str, extra: &str) -> (u16, String, Vec<u8>) {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra}\r\n"
    );
    http_raw(addr, request.as_bytes()).await
}

/// Sends `request` as it is (head, body and all) and reads the answer until the server closes the connection.
pub async fn http_raw(addr: SocketAddr, request: &[u8]) -> (u16, String, Vec<u8>) {
    send_and_read(TcpStream::connect(addr).await.expect("connect"), request).await
}

/// A GET of `path` on the Unix socket at `socket`, with `extra_headers` (each line ending in CRLF).
pub async fn http_get_unix(
    socket: &std::path::Path,
    path: &str,
    extra_headers: &str,
) -> (u16, String, Vec<u8>) {
    let stream = tokio::net::UnixStream::connect(socket)
        .await
        .expect("connect");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra_headers}\r\n"
    );
    send_and_read(stream, request.as_bytes()).await
}

async fn send_and_read(
    mut stream: impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    request: &[u8],
) -> (u16, String, Vec<u8>) {
    stream.write_all(request).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut response))
        .await
        .expect("response in time")
        .unwrap();
    split_response(&response)
}

/// An HTTP/1.1 response as (status, headers as lowercase `name: value` lines, body).
pub fn split_response(response: &[u8]) -> (u16, String, Vec<u8>) {
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| {
            panic!(
                "no end of headers in {:?}",
                String::from_utf8_lossy(response)
            )
        });
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let headers = head
        .lines()
        .skip(1)
        .map(|l| l.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("\n");
    (status, headers, response[split + 4..].to_vec())
}

/// A running `webterm` child process, killed when dropped.
pub struct Binary {
    pub child: Child,
    pub addr: SocketAddr,
    pub url: String,
}

impl Binary {
    /// Starts `webterm ARGS` and reads its `listening on` line; its logs are dropped.
    pub fn start(args: &[&str]) -> Binary {
        Binary::spawn(args, Stdio::null())
    }

    /// Starts `webterm --no-auth --listen 127.0.0.1:0 --config FILE -- COMMAND`, FILE holding `toml`.
    pub fn start_with_config(toml: &str, command: &[&str]) -> Binary {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("webterm-config-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("webterm.toml");
        std::fs::write(&file, toml).unwrap();
        let file = file.to_str().unwrap();
        let args = [
            &[
                "--no-auth",
                "--listen",
                "127.0.0.1:0",
                "--config",
                file,
                "--",
            ],
            command,
        ]
        .concat();
        let binary = Binary::start(&args);
        // The server has read its config by the time it listens.
        let _ = std::fs::remove_dir_all(&dir);
        binary
    }

    /// Starts `webterm --log-format json ARGS`; returns it and its stderr, one JSON log event per line.
    pub fn start_with_json_logs(args: &[&str]) -> (Binary, std::process::ChildStderr) {
        Binary::start_with_logs(&[&["--log-format", "json"], args].concat())
    }

    /// Starts `webterm ARGS`; returns it and its stderr (a pipe, so not a terminal).
    pub fn start_with_logs(args: &[&str]) -> (Binary, std::process::ChildStderr) {
        let mut binary = Binary::spawn(args, Stdio::piped());
        let stderr = binary.child.stderr.take().unwrap();
        (binary, stderr)
    }

    fn spawn(args: &[&str], stderr: Stdio) -> Binary {
        let mut child = Command::new(env!("CARGO_BIN_EXE_webterm"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("the webterm binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line is `listening on URL`, got {line:?}"))
            .trim_end()
            .to_string();
        let host = url
            .strip_prefix("http://")
            .unwrap()
            .split('/')
            .next()
            .unwrap();
        Binary {
            addr: host.parse().unwrap(),
            url,
            child,
        }
    }

    /// The process id.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }
}

/// Reads JSON log events from `logs` until `count` audit events (target `webterm::audit`) came; fails the test
/// after [`PATIENCE`], or at once if a line contains `forbidden`.
pub async fn audit_events(
    logs: std::process::ChildStderr,
    count: usize,
    forbidden: &str,
) -> Vec<Value> {
    let forbidden = forbidden.to_string();
    let read = tokio::task::spawn_blocking(move || {
        let mut events = Vec::new();
        for line in BufReader::new(logs).lines() {
            let line = line.unwrap();
            assert!(
                forbidden.is_empty() || !line.contains(&forbidden),
                "{forbidden:?} reached the log: {line}"
            );
            let event: Value = serde_json::from_str(&line).expect("every log line is JSON");
            if event["target"] == "webterm::audit" {
                events.push(event);
                if events.len() == count {
                    break;
                }
            }
        }
        events
    });
    tokio::time::timeout(PATIENCE, read)
        .await
        .expect("audit events in time")
        .unwrap()
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The resident memory of `pid`, in KiB.
pub fn vm_rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Sends frames on `ws` for `time` while reading nothing, as a client does that is still sending when the server
/// closes: unsolicited pongs, which the server takes without answering. A failed send fails the test (the server
/// dropped a client that was still sending).
pub async fn keep_sending(ws: Ws, time: Duration) -> Ws {
    let (mut sink, stream) = ws.split();
    let until = tokio::time::Instant::now() + time;
    while tokio::time::Instant::now() < until {
        sink.send(Message::Pong(vec![0; 16].into()))
            .await
            .expect("the server keeps a client that is still sending until it answers the close");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    sink.reunite(stream)
        .expect("the two halves of one WebSocket")
}

/// Waits until `pid` holds at most `baseline` descriptors and has no child left (teardown, and the end of a
/// connection, come after the client has gone). Fails the test after [`PATIENCE`], saying what is left.
pub async fn wait_for_baseline(pid: i32, baseline: usize) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let fds = open_fds(pid);
        let children = children_of(pid);
        if fds <= baseline && children.is_empty() {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{fds} fds (baseline {baseline}), children {children:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A fresh client can still use a terminal on `server`.
pub async fn still_healthy(server: &TestServer) {
    let mut client = Client::connect(server, "").await;
    assert_eq!(client.ask("healthy").await, "healthy");
}

/// How many file descriptors `pid` has open.
pub fn open_fds(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}
