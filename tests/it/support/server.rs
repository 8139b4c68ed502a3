//! The in-process test server: a test configuration, and a server on a thread of its own.

use std::net::SocketAddr;

use webterm::config::Config;
use webterm::server::Server;

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
