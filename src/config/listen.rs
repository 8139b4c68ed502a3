//! The `listen` setting: a TCP `ADDR:PORT`, or `unix:PATH` for a Unix socket behind a local reverse proxy.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where the server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// A TCP address and port; port 0 picks a free one.
    Tcp(SocketAddr),
    /// A Unix socket at this path (its mode comes from `unix_socket_mode`).
    Unix(PathBuf),
}

impl Listen {
    /// Whether only this machine can connect: a loopback address, or a Unix socket.
    pub fn is_local(&self) -> bool {
        match self {
            Listen::Tcp(addr) => addr.ip().is_loopback(),
            // SECURITY: a Unix socket is reachable only through the file system, guarded by its mode.
            Listen::Unix(_) => true,
        }
    }
}

impl From<SocketAddr> for Listen {
    fn from(addr: SocketAddr) -> Listen {
        Listen::Tcp(addr)
    }
}

impl FromStr for Listen {
    type Err = String;

    fn from_str(text: &str) -> Result<Listen, String> {
        match text.strip_prefix("unix:") {
            Some("") => Err("unix: needs a path, like unix:/run/webterm/webterm.sock".into()),
            Some(path) => Ok(Listen::Unix(PathBuf::from(path))),
            None => text.parse().map(Listen::Tcp).map_err(|_| {
                format!("{text:?} is neither ADDR:PORT (like 127.0.0.1:7681) nor unix:PATH")
            }),
        }
    }
}

impl fmt::Display for Listen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Listen::Tcp(addr) => write!(f, "{addr}"),
            Listen::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

impl Serialize for Listen {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Listen {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Listen, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_and_unix_forms_parse_and_print_back() {
        for text in [
            "127.0.0.1:7681",
            "[::1]:0",
            "unix:/run/webterm.sock",
            "unix:relative.sock",
        ] {
            assert_eq!(text.parse::<Listen>().unwrap().to_string(), text);
        }
        for bad in ["", "unix:", "localhost", "127.0.0.1", "tcp:1.2.3.4:5"] {
            assert!(bad.parse::<Listen>().is_err(), "{bad}");
        }
        assert!("unix:/x".parse::<Listen>().unwrap().is_local());
        assert!(!"0.0.0.0:1".parse::<Listen>().unwrap().is_local());
    }
}
