//! A WebSocket client for either server: webterm's protocol v1 or ttyd's command-prefixed frames.
//!
//! ttyd's protocol (tsl0922/ttyd, src/protocol.c): subprotocol `tty`; the first client message is JSON
//! `{"AuthToken":"","columns":C,"rows":R}` (which spawns the program); then client frames are `'0'`+input,
//! `'2'` pause and `'3'` resume; server frames are `'0'`+output, `'1'` window title, `'2'` preferences.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::server::{Flavor, Server};

/// How long the bench waits for any one thing from a server before it calls the run failed.
pub const PATIENCE: Duration = Duration::from_secs(20);

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What the client saw next.
#[derive(Debug)]
pub enum Event {
    /// Bytes the program wrote.
    Output(Bytes),
    /// The session is over (exit message, close frame or end of stream).
    End,
}

/// How much memory a client's buffers may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Buffers {
    /// tungstenite's defaults, for the clients that move data.
    Default,
    /// Small buffers, for the thousands of idle clients of the session tests.
    Small,
}

/// One terminal connection, as a browser would hold it (TCP_NODELAY, like Chromium).
pub struct Client {
    ws: Ws,
    flavor: Flavor,
}

impl Client {
    /// Connects and waits until the program has been started: webterm's `hello`, ttyd's first message.
    pub async fn connect(server: &Server, buffers: Buffers) -> Result<Client> {
        tokio::time::timeout(PATIENCE, Client::connect_now(server, buffers))
            .await
            .context("connecting timed out")?
    }

    async fn connect_now(server: &Server, buffers: Buffers) -> Result<Client> {
        let mut request = format!("ws://{}/ws", server.addr).into_client_request()?;
        if server.flavor == Flavor::Ttyd {
            request
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", "tty".parse()?);
        }
        let config = match buffers {
            Buffers::Default => WebSocketConfig::default(),
            Buffers::Small => WebSocketConfig::default()
                .read_buffer_size(4096)
                .write_buffer_size(0),
        };
        let (ws, _) =
            tokio_tungstenite::connect_async_with_config(request, Some(config), true).await?;
        let mut client = Client {
            ws,
            flavor: server.flavor,
        };
        match client.flavor {
            Flavor::Webterm => match client.ws.next().await {
                Some(Ok(Message::Text(text))) if text.contains("\"hello\"") => {}
                other => bail!("expected hello, got {other:?}"),
            },
            Flavor::Ttyd => {
                let init = r#"{"AuthToken":"","columns":80,"rows":24}"#;
                client
                    .ws
                    .send(Message::Binary(Bytes::from_static(init.as_bytes())))
                    .await?;
                match client.ws.next().await {
                    Some(Ok(Message::Binary(_))) => {}
                    other => bail!("expected ttyd's first message, got {other:?}"),
                }
            }
        }
        Ok(client)
    }

    /// Connects to webterm's `/echo` route: the same WebSocket stack with no terminal behind it.
    pub async fn connect_echo(server: &Server) -> Result<Client> {
        let url = format!("ws://{}/echo", server.addr);
        let (ws, _) = tokio_tungstenite::connect_async_with_config(
            url,
            Some(WebSocketConfig::default()),
            true,
        )
        .await?;
        Ok(Client {
            ws,
            flavor: Flavor::Webterm,
        })
    }

    /// Sends input for the program.
    pub async fn send_input(&mut self, data: &[u8]) -> Result<()> {
        let frame = match self.flavor {
            Flavor::Webterm => Bytes::copy_from_slice(data),
            Flavor::Ttyd => Bytes::from([b"0", data].concat()),
        };
        Ok(self.ws.send(Message::Binary(frame)).await?)
    }

    /// Asks the server to stop reading the program's output.
    pub async fn pause(&mut self) -> Result<()> {
        Ok(self.ws.send(self.flow_message(true)).await?)
    }

    /// Asks the server to read again.
    pub async fn resume(&mut self) -> Result<()> {
        Ok(self.ws.send(self.flow_message(false)).await?)
    }

    /// Tells the server how many output bytes were processed in all (webterm's `ack`).
    pub async fn ack(&mut self, bytes: u64) -> Result<()> {
        if self.flavor != Flavor::Webterm {
            bail!("only webterm understands ack");
        }
        let text = format!(r#"{{"type":"ack","bytes":{bytes}}}"#);
        Ok(self.ws.send(Message::Text(text.into())).await?)
    }

    fn flow_message(&self, pause: bool) -> Message {
        match (self.flavor, pause) {
            (Flavor::Webterm, true) => Message::Text(r#"{"type":"pause"}"#.into()),
            (Flavor::Webterm, false) => Message::Text(r#"{"type":"resume"}"#.into()),
            (Flavor::Ttyd, true) => Message::Binary(Bytes::from_static(b"2")),
            (Flavor::Ttyd, false) => Message::Binary(Bytes::from_static(b"3")),
        }
    }

    /// The next output, or the end of the session. Cancel-safe.
    pub async fn next(&mut self) -> Result<Event> {
        loop {
            let message = match tokio::time::timeout(PATIENCE, self.ws.next()).await {
                Ok(message) => message,
                Err(_) => bail!("nothing from the server for {PATIENCE:?}"),
            };
            match (self.flavor, message) {
                (_, None | Some(Ok(Message::Close(_)))) => return Ok(Event::End),
                (_, Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed))) => {
                    return Ok(Event::End);
                }
                (_, Some(Err(error))) => return Err(error.into()),
                (Flavor::Webterm, Some(Ok(Message::Binary(bytes)))) => {
                    return Ok(Event::Output(bytes));
                }
                (Flavor::Webterm, Some(Ok(Message::Text(text)))) => {
                    if text.contains("\"exit\"") {
                        return Ok(Event::End);
                    }
                    if text.contains("\"error\"") {
                        bail!("the server answered {text}");
                    }
                }
                (Flavor::Ttyd, Some(Ok(Message::Binary(bytes))))
                    if bytes.first() == Some(&b'0') =>
                {
                    return Ok(Event::Output(bytes.slice(1..)));
                }
                _ => {}
            }
        }
    }

    /// Reads until the output so far contains `needle`.
    pub async fn wait_for(&mut self, needle: &[u8]) -> Result<()> {
        let mut seen = Vec::new();
        while !seen.windows(needle.len()).any(|w| w == needle) {
            match self.next().await? {
                Event::Output(bytes) => seen.extend_from_slice(&bytes),
                Event::End => bail!(
                    "the session ended before {:?}",
                    String::from_utf8_lossy(needle)
                ),
            }
        }
        Ok(())
    }

    /// Holds the connection open as an idle browser tab would: reading (and so answering pings) until the
    /// server ends it. Run it as a task; aborting the task drops the connection.
    pub async fn hold(mut self) {
        while let Some(Ok(message)) = self.ws.next().await {
            if let Message::Close(_) = message {
                break;
            }
        }
    }

    /// Closes the connection with a close frame and waits for the server's answer.
    pub async fn close(mut self) -> Result<()> {
        self.ws.close(None).await?;
        tokio::time::timeout(PATIENCE, async {
            while let Some(Ok(_)) = self.ws.next().await {}
        })
        .await
        .context("the server did not answer the close frame")
    }
}
