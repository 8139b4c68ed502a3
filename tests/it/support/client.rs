//! The protocol v1 client over a real WebSocket, and what a test does with a WebSocket beyond it.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{PATIENCE, TestServer};

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

/// A fresh client can still use a terminal on `server`.
pub async fn still_healthy(server: &TestServer) {
    let mut client = Client::connect(server, "").await;
    assert_eq!(client.ask("healthy").await, "healthy");
}
