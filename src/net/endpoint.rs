//! Where a server listens or a client connects.

use std::fmt;
use std::net::SocketAddr;
#[cfg(unix)]
use std::path::PathBuf;

/// A transport and an address: a TCP or UDP socket address, or a Unix
/// domain socket path.
///
/// Given to [`EchoServer::bind`](super::EchoServer::bind) it says where to
/// listen (port 0 picks a free port); [`Server::endpoints`](super::Server::endpoints)
/// gives it back with the port that was actually bound.
///
/// `Display` writes the transport, a space and the address
/// (`tcp 127.0.0.1:7007`, `udp [::1]:7037`, `unix /tmp/echo.sock`), which is
/// what `framewise serve` prints after `listening on`.
///
/// # Examples
///
/// ```
/// use framewise::net::Endpoint;
///
/// let e = Endpoint::Tcp("[::1]:7007".parse()?);
/// assert_eq!(e.to_string(), "tcp [::1]:7007");
/// assert_eq!(e.socket_addr(), Some("[::1]:7007".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// A TCP socket address.
    Tcp(SocketAddr),
    /// A UDP socket address.
    Udp(SocketAddr),
    /// A Unix domain (stream) socket at this path.
    #[cfg(unix)]
    Unix(PathBuf),
}

impl Endpoint {
    /// The socket address of a TCP or UDP endpoint; `None` for a Unix socket.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::net::Endpoint;
    ///
    /// let e = Endpoint::Udp("127.0.0.1:7037".parse()?);
    /// assert_eq!(e.socket_addr().unwrap().port(), 7037);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        match self {
            Endpoint::Tcp(a) | Endpoint::Udp(a) => Some(*a),
            #[cfg(unix)]
            Endpoint::Unix(_) => None,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp(a) => write!(f, "tcp {a}"),
            Endpoint::Udp(a) => write!(f, "udp {a}"),
            #[cfg(unix)]
            Endpoint::Unix(p) => write!(f, "unix {}", p.display()),
        }
    }
}
