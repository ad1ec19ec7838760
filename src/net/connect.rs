//! Connecting a client to an [`Endpoint`]: what [`send()`](super::send) and
//! [`Bench`](super::Bench) share.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::Interest;
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::Instant;

use super::{BenchError, ClientError, Endpoint};

/// A client's socket, connected.
pub(super) enum ClientSocket {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
    /// Connected to the server: it hears only the server, and learns from
    /// ICMP when nothing listens there (see [`socket_error`]).
    Udp(UdpSocket),
}

/// Why a client could not connect; becomes the `Connect` or
/// `ConnectTimeout` variant of [`ClientError`] and [`BenchError`].
pub(super) enum ConnectFailure {
    Failed {
        endpoint: Endpoint,
        source: io::Error,
    },
    TimedOut {
        endpoint: Endpoint,
        after: Duration,
    },
}

/// Connects to `endpoint` by `deadline`; `timeout` is what a failure to
/// make the deadline reports.
pub(super) async fn connect(
    endpoint: &Endpoint,
    deadline: Instant,
    timeout: Duration,
) -> Result<ClientSocket, ConnectFailure> {
    match tokio::time::timeout_at(deadline, connect_now(endpoint)).await {
        Ok(Ok(socket)) => Ok(socket),
        Ok(Err(source)) => Err(ConnectFailure::Failed {
            endpoint: endpoint.clone(),
            source,
        }),
        Err(_) => Err(ConnectFailure::TimedOut {
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

/// The text of a `Connect` error variant.
pub(super) fn write_failed(
    f: &mut fmt::Formatter<'_>,
    endpoint: &Endpoint,
    source: &io::Error,
) -> fmt::Result {
    write!(f, "cannot connect to {endpoint}: {source}")
}

/// The text of a `ConnectTimeout` error variant.
pub(super) fn write_timed_out(
    f: &mut fmt::Formatter<'_>,
    endpoint: &Endpoint,
    after: &Duration,
) -> fmt::Result {
    write!(
        f,
        "timed out after {} s connecting to {endpoint}",
        after.as_secs_f64()
    )
}

/// `From<ConnectFailure>` for the error types with `Connect` and
/// `ConnectTimeout` variants.
macro_rules! from_connect_failure {
    ($($error:ident),*) => {$(
        impl From<ConnectFailure> for $error {
            fn from(failure: ConnectFailure) -> Self {
                match failure {
                    ConnectFailure::Failed { endpoint, source } => $error::Connect { endpoint, source },
                    ConnectFailure::TimedOut { endpoint, after } => {
                        $error::ConnectTimeout { endpoint, after }
                    }
                }
            }
        }
    )*};
}

from_connect_failure!(ClientError, BenchError);
