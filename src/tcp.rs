//! The TCP listener, with the options its connections inherit: a short send queue, and no Nagle delay.
//!
//! A client that asks for `pause` can only stop what the server has not handed to the kernel yet. Linux lets a
//! connection's unsent queue grow to megabytes (the send buffer grows with the connection), so a client that
//! paused still received 3.8 MB more on loopback (BENCHMARKS.md). `TCP_NOTSENT_LOWAT` makes the socket writable
//! only while less than [`UNSENT_LIMIT`] waits unsent; what is in flight on the network is not limited, so a slow
//! link keeps its speed.
//!
//! A terminal sends many small frames (an echoed keystroke, a prompt written in two pieces). With Nagle's algorithm
//! the kernel holds a small segment back while an earlier one is unacknowledged, and a browser acknowledges late
//! (delayed ACKs), so a second frame could wait a round trip or more. `TCP_NODELAY` sends each at once, as ttyd
//! (libwebsockets) and gotty (Go's default) do.
//!
//! Accepted connections inherit both options from the listener on Linux, TLS ones included.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;

/// The most a connection's kernel send queue holds beyond what is in flight.
pub const UNSENT_LIMIT: usize = 128 * 1024;

/// Binds `addr`; the connections it accepts have [`UNSENT_LIMIT`] and `TCP_NODELAY` set.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let listener = TcpListener::bind(addr)?;
    set(
        &listener,
        libc::TCP_NOTSENT_LOWAT,
        UNSENT_LIMIT as libc::c_int,
    )?;
    set(&listener, libc::TCP_NODELAY, 1)?;
    Ok(listener)
}

/// Sets the TCP-level option `option` of `socket` to `value`.
fn set(socket: &impl AsRawFd, option: libc::c_int, value: libc::c_int) -> io::Result<()> {
    // SAFETY: a valid socket, and a pointer to a c_int that lives across the call, with its size.
    let result = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            option,
            (&value as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if result != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The unsent limit of `socket` (what [`bind`] sets, for the tests).
pub fn unsent_limit(socket: &impl AsRawFd) -> io::Result<usize> {
    let mut value: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: a valid socket, and pointers to a c_int and its size that live across the call.
    let result = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NOTSENT_LOWAT,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if result != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(value as usize)
}

#[cfg(test)]
mod tests {
    use std::net::TcpStream;

    use super::*;

    #[test]
    fn accepted_connections_inherit_the_unsent_limit_and_no_delay() {
        let listener = bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert_eq!(unsent_limit(&accepted).unwrap(), UNSENT_LIMIT);
        assert!(accepted.nodelay().unwrap());
        // Neither is the system's default (the unsent queue is unlimited unless `net.ipv4.tcp_notsent_lowat` is set).
        let plain = TcpListener::bind("127.0.0.1:0").unwrap();
        let _other = TcpStream::connect(plain.local_addr().unwrap()).unwrap();
        let (default, _) = plain.accept().unwrap();
        assert_ne!(unsent_limit(&default).unwrap(), UNSENT_LIMIT);
        assert!(!default.nodelay().unwrap());
    }
}
