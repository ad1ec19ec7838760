//! Connecting a client to an [`Endpoint`]: what [`send()`](super::send) and
//! [`Bench`](super::Bench) share.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::Interest;
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::Instant;

use super::Endpoint;

/// A client's socket, connected.
pub(super) enum ClientSocket {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
    /// Connected to the server: it hears only the server, and learns from
    /// ICMP when nothing listens there (see [`socket_error`]).
    Udp(UdpSocket),
}

/// Why a client ([`send()`](super::send), [`Bench`](super::Bench)) could
/// not connect to a server. `Display` gives one line that says what
/// happened.
///
/// # Examples
///
/// ```
/// use framewise::net::{ClientError, ConnectError, Endpoint};
/// use std::time::Duration;
///
/// let err = ClientError::Connect(ConnectError::TimedOut {
///     endpoint: Endpoint::Tcp("127.0.0.1:7007".parse()?),
///     after: Duration::from_secs(5),
/// });
/// assert_eq!(err.to_string(), "timed out after 5 s connecting to tcp 127.0.0.1:7007");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectError {
    /// The connection could not be made (over UDP: the server's port is
    /// closed, as reported by ICMP).
    Failed {
        /// Where.
        endpoint: Endpoint,
        /// Why.
        source: io::Error,
    },
    /// Connecting took longer than the timeout.
    TimedOut {
        /// Where.
        endpoint: Endpoint,
        /// The timeout.
        after: Duration,
    },
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::Failed { endpoint, source } => {
                write!(f, "cannot connect to {endpoint}: {source}")
            }
            ConnectError::TimedOut { endpoint, after } => write!(
                f,
                "timed out after {} s connecting to {endpoint}",
                after.as_secs_f64()
            ),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConnectError::Failed { source, .. } => Some(source),
            ConnectError::TimedOut { .. } => None,
        }
    }
}

/// Connects to `endpoint` by `deadline`; `timeout` is what a failure to
/// make the deadline reports.
pub(super) async fn connect(
    endpoint: &Endpoint,
    deadline: Instant,
    timeout: Duration,
) -> Result<ClientSocket, ConnectError> {
    match tokio::time::timeout_at(deadline, connect_now(endpoint)).await {
        Ok(Ok(socket)) => Ok(socket),
        Ok(Err(source)) => Err(ConnectError::Failed {
            endpoint: endpoint.clone(),
            source,
        }),
        Err(_) => Err(ConnectError::TimedOut {
            endpoint: endpoint.clone(),
            after: timeout,
        }),
    }
}

async fn connect_now(endpoint: &Endpoint) -> io::Result<ClientSocket> {
    match endpoint {
        Endpoint::Tcp(addr) => {
            let stream = TcpStream::connect(addr).await?;
            // Messages are written in batches already; Nagle's algorithm
            // would only hold them back. Without it, they are merely slower.
            let _ = stream.set_nodelay(true);
            Ok(ClientSocket::Tcp(stream))
        }
        #[cfg(unix)]
        Endpoint::Unix(path) => Ok(ClientSocket::Unix(
            tokio::net::UnixStream::connect(path).await?,
        )),
        Endpoint::Udp(addr) => {
            let socket = UdpSocket::bind((local_ip_toward(*addr), 0)).await?;
            socket.connect(addr).await?;
            Ok(ClientSocket::Udp(socket))
        }
    }
}

/// The local address to bind to for talking to `peer`: loopback for a
/// loopback peer (stay on loopback), any address otherwise.
fn local_ip_toward(peer: SocketAddr) -> IpAddr {
    match (peer.ip().is_loopback(), peer) {
        (true, SocketAddr::V4(_)) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        (true, SocketAddr::V6(_)) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        (false, SocketAddr::V4(_)) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        (false, SocketAddr::V6(_)) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

/// The next error reported on `socket` (ICMP "port unreachable" on a
/// connected socket comes as one). The kernel reports it as a socket error,
/// which wakes no reader (epoll signals it as EPOLLERR alone): a client
/// waiting for replies must ask for it.
pub(super) async fn socket_error(socket: &UdpSocket) -> io::Error {
    loop {
        match socket.ready(Interest::ERROR).await {
            Ok(_) => {}
            Err(e) => return e,
        }
        // Clears the readiness when there is no error after all (a receive
        // took it first), so the loop waits for the next one.
        match socket.try_io(Interest::ERROR, || match socket.take_error()? {
            Some(e) => Ok(e),
            None => Err(io::ErrorKind::WouldBlock.into()),
        }) {
            Ok(e) => return e,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return e,
        }
    }
}
