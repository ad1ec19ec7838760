//! Listening: binding the endpoints, and accepting stream connections from
//! every listener in turn.

use std::fmt;
use std::io;
use std::net::SocketAddr;
#[cfg(unix)]
use std::path::PathBuf;
use std::task::{Context, Poll};

use tokio::net::{TcpListener, TcpStream, UdpSocket};

use crate::net::Endpoint;

/// The sockets a server listens on, bound.
#[derive(Debug)]
pub(super) struct Bound {
    /// Where, in the order given, with the ports actually bound.
    pub(super) endpoints: Vec<Endpoint>,
    pub(super) listeners: Listeners,
    pub(super) udp: Vec<UdpSocket>,
}

/// Binds every endpoint.
///
/// # Errors
///
/// An error naming the endpoint that cannot be bound, or one saying that
/// there is none.
pub(super) async fn bind(endpoints: &[Endpoint]) -> io::Result<Bound> {
    let mut bound = Bound {
        endpoints: Vec::new(),
        listeners: Listeners::default(),
        udp: Vec::new(),
    };
    for endpoint in endpoints {
        let context =
            |e: io::Error| io::Error::new(e.kind(), format!("cannot listen on {endpoint}: {e}"));
        match endpoint {
            Endpoint::Tcp(addr) => {
                let l = TcpListener::bind(addr).await.map_err(context)?;
                bound.endpoints.push(Endpoint::Tcp(l.local_addr()?));
                bound.listeners.tcp.push(l);
            }
            Endpoint::Udp(addr) => {
                let s = UdpSocket::bind(addr).await.map_err(context)?;
                bound.endpoints.push(Endpoint::Udp(s.local_addr()?));
                bound.udp.push(s);
            }
            #[cfg(unix)]
            Endpoint::Unix(path) => {
                let l = bind_unix(path).map_err(context)?;
                bound.endpoints.push(endpoint.clone());
                bound.listeners.unix.push((l, SocketFile(path.clone())));
            }
        }
    }
    if bound.endpoints.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "nothing to listen on: no endpoint given",
        ));
    }
    Ok(bound)
}

/// A Unix socket file, removed when the listener is done with it.
#[cfg(unix)]
#[derive(Debug)]
struct SocketFile(PathBuf);

#[cfg(unix)]
impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Binds a Unix socket, replacing a stale socket file left by a server that
/// did not clean up (one that nobody answers on), but never a live one.
#[cfg(unix)]
fn bind_unix(path: &std::path::Path) -> io::Result<tokio::net::UnixListener> {
    match tokio::net::UnixListener::bind(path) {
        Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
            match std::os::unix::net::UnixStream::connect(path) {
                Err(c) if c.kind() == io::ErrorKind::ConnectionRefused => {
                    std::fs::remove_file(path)?;
                    tokio::net::UnixListener::bind(path)
                }
                _ => Err(e),
            }
        }
        r => r,
    }
}

/// The listening stream sockets, polled in turn. Dropping them closes them
/// (and removes the Unix socket files).
#[derive(Debug, Default)]
pub(super) struct Listeners {
    tcp: Vec<TcpListener>,
    #[cfg(unix)]
    unix: Vec<(tokio::net::UnixListener, SocketFile)>,
    /// Which listener to poll first, so a busy one cannot starve the others.
    next: usize,
}

impl Listeners {
    fn len(&self) -> usize {
        #[cfg(unix)]
        return self.tcp.len() + self.unix.len();
        #[cfg(not(unix))]
        return self.tcp.len();
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The next connection accepted by any of the listeners.
    pub(super) fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Accepted>> {
        let n = self.len();
        for k in 0..n {
            let i = (self.next + k) % n;
            let polled = match self.tcp.get(i) {
                Some(l) => l
                    .poll_accept(cx)
                    .map(|r| r.map(|(s, peer)| Accepted::Tcp(s, peer))),
                #[cfg(unix)]
                None => {
                    let (l, file) = &self.unix[i - self.tcp.len()];
                    l.poll_accept(cx)
                        .map(|r| r.map(|(s, _)| Accepted::Unix(s, file.0.clone())))
                }
                #[cfg(not(unix))]
                None => unreachable!("i < n = tcp.len()"),
            };
            if polled.is_ready() {
                self.next = i.wrapping_add(1);
                return polled;
            }
        }
        Poll::Pending
    }
}

/// An accepted stream connection, and who is at the other end.
pub(super) enum Accepted {
    Tcp(TcpStream, SocketAddr),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream, PathBuf),
}

impl Accepted {
    /// The peer, for the logs.
    pub(super) fn peer(&self) -> String {
        match self {
            Accepted::Tcp(_, peer) => peer.to_string(),
            #[cfg(unix)]
            Accepted::Unix(_, path) => format!("unix {}", path.display()),
        }
    }
}

/// Endpoints one after the other, for the logs.
pub(super) struct DisplayList<'a>(pub(super) &'a [Endpoint]);

impl fmt::Display for DisplayList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}
