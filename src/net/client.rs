//! A client: send messages as frames, print the reply frames.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::{FutureExt, SinkExt, Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, Interest};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::Instant;
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::udp::UdpFramed;

use super::{Datagram, Endpoint};
use crate::{AnyCodec, Error};

/// What [`send()`] did.
///
/// # Examples
///
/// ```
/// let summary = framewise::net::SendSummary::default();
/// assert_eq!((summary.sent, summary.received), (0, 0));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SendSummary {
    /// Messages sent, as frames.
    pub sent: u64,
    /// Reply frames received (and written out).
    pub received: u64,
}

/// Why [`send()`] failed. `Display` gives one line that says what happened.
///
/// # Examples
///
/// ```
/// use framewise::net::{ClientError, Endpoint};
/// use std::time::Duration;
///
/// let err = ClientError::ConnectTimeout {
///     endpoint: Endpoint::Tcp("127.0.0.1:7007".parse()?),
///     after: Duration::from_secs(5),
/// };
/// assert_eq!(err.to_string(), "timed out after 5 s connecting to tcp 127.0.0.1:7007");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The connection could not be made (over UDP: the server's port is
    /// closed, as reported by ICMP).
    Connect {
        /// Where.
        endpoint: Endpoint,
        /// Why.
        source: io::Error,
    },
    /// Connecting took longer than the timeout.
    ConnectTimeout {
        /// Where.
        endpoint: Endpoint,
        /// The timeout.
        after: Duration,
    },
    /// After the last message, the server sent nothing for the timeout
    /// (and, over TCP, did not close the connection).
    ReplyTimeout {
        /// Where.
        endpoint: Endpoint,
        /// The timeout.
        after: Duration,
        /// Messages sent.
        sent: u64,
        /// Replies received.
        received: u64,
    },
    /// A message cannot be framed by the codec (an empty `raw` message, a
    /// newline inside a `lines` message, ...).
    Encode {
        /// Which message, counting from 1.
        index: u64,
        /// Why.
        source: Error,
    },
    /// A reply from the server does not decode.
    Decode(Error),
    /// Reading the messages (stdin) failed.
    Input(io::Error),
    /// The connection failed after it was made (reset, broken pipe), or the
    /// replies could not be written out.
    Io(io::Error),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Connect { endpoint, source } => {
                write!(f, "cannot connect to {endpoint}: {source}")
            }
            ClientError::ConnectTimeout { endpoint, after } => write!(
                f,
                "timed out after {} s connecting to {endpoint}",
                after.as_secs_f64()
            ),
            ClientError::ReplyTimeout {
                endpoint,
                after,
                sent,
                received,
            } => write!(
                f,
                "timed out after {} s waiting for {endpoint} ({sent} messages sent, {received} replies received)",
                after.as_secs_f64()
            ),
            ClientError::Encode { index, source } => {
                write!(f, "cannot send message {index}: {source}")
            }
            ClientError::Decode(e) => write!(f, "bad reply from the server: {e}"),
            ClientError::Input(e) => write!(f, "cannot read the messages: {e}"),
            ClientError::Io(e) => write!(f, "connection failed: {e}"),
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Connect { source, .. } => Some(source),
            ClientError::Encode { source, .. } => Some(source),
            ClientError::Decode(e) => Some(e),
            ClientError::Input(e) | ClientError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Sends each message as a frame of `codec` to `endpoint`, and writes each
/// reply frame to `out` as it arrives, followed by a newline.
///
/// Messages are sent as they come from `messages` (replies are printed
/// meanwhile, so an interactive stdin works). When they run out:
///
/// - over TCP and Unix sockets, our side of the connection is shut down and
///   replies are read until the server closes;
/// - over UDP (one reply datagram expected per message) replies are read
///   until there are as many as messages.
///
/// `timeout` bounds connecting, and each wait for the server once the
/// messages have run out.
///
/// # Examples
///
/// ```
/// use bytes::Bytes;
/// use framewise::net::{EchoServer, Endpoint, send};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = EchoServer::new("length:varint".parse()?)
///     .bind(&[Endpoint::Tcp("127.0.0.1:0".parse()?)])
///     .await?;
/// let endpoint = server.endpoints()[0].clone();
/// tokio::spawn(server.run(std::future::pending()));
///
/// let messages = futures::stream::iter(["hello", "world"].map(|m| Ok(Bytes::from(m))));
/// let mut out = Vec::new();
/// let summary = send(&endpoint, "length:varint".parse()?, Duration::from_secs(5), messages, &mut out)
///     .await?;
/// assert_eq!(out, b"hello\nworld\n");
/// assert_eq!((summary.sent, summary.received), (2, 2));
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// A [`ClientError`] if the connection cannot be made, a message cannot be
/// framed, a reply does not decode, the connection fails, or the timeout
/// passes.
pub async fn send<M, W>(
    endpoint: &Endpoint,
    codec: AnyCodec,
    timeout: Duration,
    messages: M,
    out: W,
) -> Result<SendSummary, ClientError>
where
    M: Stream<Item = io::Result<Bytes>>,
    W: AsyncWrite + Unpin,
{
    let connect_failed = |source: io::Error| ClientError::Connect {
        endpoint: endpoint.clone(),
        source,
    };
    let connect_timeout = |_| ClientError::ConnectTimeout {
        endpoint: endpoint.clone(),
        after: timeout,
    };
    match endpoint {
        Endpoint::Tcp(addr) => {
            let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
                .await
                .map_err(connect_timeout)?
                .map_err(connect_failed)?;
            let _ = stream.set_nodelay(true);
            over_stream(stream, endpoint, codec, timeout, messages, out).await
        }
        #[cfg(unix)]
        Endpoint::Unix(path) => {
            let stream = tokio::time::timeout(timeout, tokio::net::UnixStream::connect(path))
                .await
                .map_err(connect_timeout)?
                .map_err(connect_failed)?;
            over_stream(stream, endpoint, codec, timeout, messages, out).await
        }
        Endpoint::Udp(addr) => over_udp(*addr, endpoint, codec, timeout, messages, out).await,
    }
}

async fn write_reply<W: AsyncWrite + Unpin>(out: &mut W, frame: &[u8]) -> Result<(), ClientError> {
    let write = async {
        out.write_all(frame).await?;
        out.write_all(b"\n").await?;
        out.flush().await
    };
    write.await.map_err(ClientError::Io)
}

async fn over_stream<IO, M, W>(
    io: IO,
    endpoint: &Endpoint,
    codec: AnyCodec,
    timeout: Duration,
    messages: M,
    mut out: W,
) -> Result<SendSummary, ClientError>
where
    IO: AsyncRead + AsyncWrite,
    M: Stream<Item = io::Result<Bytes>>,
    W: AsyncWrite + Unpin,
{
    let (rd, wr) = tokio::io::split(io);
    let mut replies = FramedRead::new(rd, codec.clone());
    let mut sink = FramedWrite::new(wr, codec);
    let writer = async move {
        let mut messages = pin!(messages.peekable());
        let mut sent = 0u64;
        while let Some(message) = messages.next().await {
            let message = message.map_err(ClientError::Input)?;
            sent += 1;
            sink.feed(message).await.map_err(|e| match e {
                Error::Io(e) => ClientError::Io(e),
                source => ClientError::Encode {
                    index: sent,
                    source,
                },
            })?;
            // Flush when the next message is not ready yet (a person typing),
            // not after every one of a batch.
            if messages.as_mut().peek().now_or_never().is_none() {
                SinkExt::<Bytes>::flush(&mut sink).await.map_err(io_error)?;
            }
        }
        // Flushes, then shuts down our side: the server sees end of input.
        SinkExt::<Bytes>::close(&mut sink).await.map_err(io_error)?;
        Ok::<u64, ClientError>(sent)
    };
    let mut writer = pin!(writer);
    let mut writing = true;
    let mut summary = SendSummary::default();
    let mut deadline = Instant::now();
    loop {
        tokio::select! {
            biased;
            reply = replies.next() => match reply {
                Some(Ok(frame)) => {
                    write_reply(&mut out, &frame).await?;
                    summary.received += 1;
                    deadline = Instant::now() + timeout;
                }
                Some(Err(e)) => return Err(match e {
                    Error::Io(e) => ClientError::Io(e),
                    e => ClientError::Decode(e),
                }),
                // The server closed the connection: everything has arrived.
                None => return Ok(summary),
            },
            sent = &mut writer, if writing => {
                summary.sent = sent?;
                writing = false;
                deadline = Instant::now() + timeout;
            }
            () = tokio::time::sleep_until(deadline), if !writing => {
                return Err(reply_timeout(endpoint, timeout, &summary));
            }
        }
    }
}

fn io_error(e: Error) -> ClientError {
    match e {
        Error::Io(e) => ClientError::Io(e),
        e => ClientError::Io(e.into()),
    }
}

/// The next error reported on `socket` (ICMP "port unreachable" on a
/// connected socket comes as one).
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

async fn over_udp<M, W>(
    addr: SocketAddr,
    endpoint: &Endpoint,
    codec: AnyCodec,
    timeout: Duration,
    messages: M,
    mut out: W,
) -> Result<SendSummary, ClientError>
where
    M: Stream<Item = io::Result<Bytes>>,
    W: AsyncWrite + Unpin,
{
    let connect_failed = |source: io::Error| ClientError::Connect {
        endpoint: endpoint.clone(),
        source,
    };
    // Stay on loopback when talking to loopback.
    let local = match (addr.ip().is_loopback(), addr) {
        (true, SocketAddr::V4(_)) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        (true, SocketAddr::V6(_)) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        (false, SocketAddr::V4(_)) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        (false, SocketAddr::V6(_)) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    let socket = UdpSocket::bind((local, 0)).await.map_err(connect_failed)?;
    // A connected socket hears only the server, and learns from ICMP when
    // nothing listens on its port ("connection refused").
    socket.connect(addr).await.map_err(connect_failed)?;
    let socket = Arc::new(socket);
    let errors = socket.clone();
    let mut replies = UdpFramed::new(socket.clone(), Datagram::new(codec.clone()));
    let mut sink = UdpFramed::new(socket, Datagram::new(codec));

    let writer = async move {
        let mut messages = pin!(messages);
        let mut sent = 0u64;
        while let Some(message) = messages.next().await {
            let message = message.map_err(ClientError::Input)?;
            sent += 1;
            sink.send((message, addr)).await.map_err(|e| match e {
                Error::Io(e) => ClientError::Io(e),
                source => ClientError::Encode {
                    index: sent,
                    source,
                },
            })?;
        }
        Ok::<u64, ClientError>(sent)
    };
    let mut writer = pin!(writer);
    let mut writing = true;
    let mut summary = SendSummary::default();
    let mut deadline = Instant::now();
    loop {
        if !writing && summary.received >= summary.sent {
            return Ok(summary);
        }
        tokio::select! {
            biased;
            reply = replies.next() => match reply {
                Some(Ok((frame, _))) => {
                    write_reply(&mut out, &frame).await?;
                    summary.received += 1;
                    deadline = Instant::now() + timeout;
                }
                Some(Err(Error::Io(e))) if e.kind() == io::ErrorKind::ConnectionRefused => {
                    return Err(connect_failed(e));
                }
                Some(Err(e)) => return Err(match e {
                    Error::Io(e) => ClientError::Io(e),
                    e => ClientError::Decode(e),
                }),
                None => return Ok(summary),
            },
            // The kernel reports "port unreachable" as a socket error, which
            // wakes no reader (epoll signals it as EPOLLERR alone): ask for it.
            error = socket_error(&errors) => {
                return Err(match error {
                    e if e.kind() == io::ErrorKind::ConnectionRefused => connect_failed(e),
                    e => ClientError::Io(e),
                });
            }
            sent = &mut writer, if writing => {
                summary.sent = match sent {
                    Err(ClientError::Io(e)) if e.kind() == io::ErrorKind::ConnectionRefused => {
                        return Err(connect_failed(e));
                    }
                    sent => sent?,
                };
                writing = false;
                deadline = Instant::now() + timeout;
            }
            () = tokio::time::sleep_until(deadline), if !writing => {
                return Err(reply_timeout(endpoint, timeout, &summary));
            }
        }
    }
}

/// The error for a server that stopped answering: what was sent and received
/// by then, shared by the stream and the datagram clients.
fn reply_timeout(endpoint: &Endpoint, after: Duration, summary: &SendSummary) -> ClientError {
    ClientError::ReplyTimeout {
        endpoint: endpoint.clone(),
        after,
        sent: summary.sent,
        received: summary.received,
    }
}
