//! Binding `listen = "unix:PATH"`: a stale socket file from an earlier run (one that refuses connections) is
//! replaced, a live one, one that cannot be told stale, or any other file is not, and the socket file never exists
//! with a wider mode than the configured one.

use std::fs::Permissions;
use std::io::{self, ErrorKind};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;

use rustix::fs::Mode;
use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};

/// The listen backlog: a negative one is the system's maximum (`net.core.somaxconn`), as std's `bind` uses.
const BACKLOG: i32 = -1;

/// Binds the socket at `path` and gives it the permissions `mode`.
pub fn bind(path: &Path, mode: u32) -> io::Result<UnixListener> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => match UnixStream::connect(path) {
            Ok(_) => {
                return Err(io::Error::new(
                    ErrorKind::AddrInUse,
                    "another server is listening on this socket",
                ));
            }
            // SECURITY: only a refused connection says that nobody listens there (a socket file left by an earlier
            // run). Any other failure (no permission, a datagram socket) may hide a live socket of another program
            // or user, which webterm must not take over.
            Err(error) if error.kind() == ErrorKind::ConnectionRefused => {
                std::fs::remove_file(path)?
            }
            Err(error) => {
                return Err(io::Error::new(
                    error.kind(),
                    format!(
                        "a socket exists there and connecting to it failed ({error}), so it may be in use; webterm \
                         will not replace it. Remove it first if it is left from an earlier run"
                    ),
                ));
            }
        },
        Ok(_) => {
            return Err(io::Error::new(
                ErrorKind::AlreadyExists,
                "the path exists and is not a socket; webterm will not replace it",
            ));
        }
        Err(error) if error.kind() == ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let socket = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )?;
    // SECURITY: whoever can connect gets a terminal (or its login page): the mode decides who that is. Linux
    // creates the socket file with the socket's own mode less the umask, and a new socket's mode is 0777, so a
    // chmod after bind would leave a moment in which anyone could connect. Narrowing the socket first means the
    // file is created with at most `mode`; the chmod below can then only widen it (to bits the umask took away).
    rustix::fs::fchmod(&socket, Mode::from_raw_mode(mode))?;
    rustix::net::bind(&socket, &SocketAddrUnix::new(path)?)?;
    rustix::net::listen(&socket, BACKLOG)?;
    let listener = UnixListener::from(socket);
    if std::fs::metadata(path)?.permissions().mode() & 0o7777 != mode {
        std::fs::set_permissions(path, Permissions::from_mode(mode))?;
    }
    Ok(listener)
}
