//! A client: send messages as frames, print the reply frames.

use std::fmt;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::{FutureExt, Sink, SinkExt, Stream, StreamExt, future};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::UdpSocket;
use tokio::time::Instant;
use tokio_util::codec::{FramedRead, FramedWrite};
use tokio_util::udp::UdpFramed;

use super::ConnectError;
use super::connect::{self, ClientSocket};
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
/// let err = ClientError::ReplyTimeout {
///     endpoint: Endpoint::Udp("127.0.0.1:7037".parse()?),
///     after: Duration::from_secs(5),
///     sent: 3,
///     received: 2,
/// };
/// assert_eq!(
///     err.to_string(),
///     "timed out after 5 s waiting for udp 127.0.0.1:7037 (3 messages sent, 2 replies received)"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The connection could not be made, or not within the timeout.
    Connect(ConnectError),
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
            ClientError::Connect(e) => e.fmt(f),
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

impl From<ConnectError> for ClientError {
    fn from(e: ConnectError) -> Self {
        ClientError::Connect(e)
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // Displayed as the `ConnectError` itself: its cause is next.
            ClientError::Connect(e) => std::error::Error::source(e),
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
/// let server = EchoServer::new("length:varint".parse::<framewise::AnyCodec>()?)
///     .bind(&[Endpoint::Tcp("127.0.0.1:0".parse()?)])
///     .await?;
/// let endpoint = server.endpoints()[0].clone();
/// tokio::spawn(server.run(std::future::pending()));
///
/// let messages = futures::stream::iter(["hello", "world"].map(|m| Ok(Bytes::from(m))));
/// let mut out = Vec::new();
/// let summary = send(&endpoint, "length:varint".parse::<framewise::AnyCodec>()?, Duration::from_secs(5), messages, &mut out)
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
    codec: impl Into<AnyCodec>,
    timeout: Duration,
    messages: M,
    out: W,
) -> Result<SendSummary, ClientError>
where
    M: Stream<Item = io::Result<Bytes>>,
    W: AsyncWrite + Unpin,
{
    let socket = connect::connect(endpoint, Instant::now() + timeout, timeout).await?;
    let progress = Progress::new(endpoint, timeout, out);
    let codec = codec.into();
    match socket {
        ClientSocket::Tcp(stream) => over_stream(stream, codec, messages, progress).await,
        #[cfg(unix)]
        ClientSocket::Unix(stream) => over_stream(stream, codec, messages, progress).await,
        ClientSocket::Udp(socket) => over_udp(socket, codec, messages, progress).await,
    }
}

/// Where an exchange stands: what was sent and received, and until when
/// the server may stay silent once the messages have run out.
struct Progress<'a, W> {
    endpoint: &'a Endpoint,
    timeout: Duration,
    /// Where the replies are written.
    out: W,
    summary: SendSummary,
    /// Whether messages are still being sent (no deadline yet).
    writing: bool,
    deadline: Instant,
}

impl<'a, W: AsyncWrite + Unpin> Progress<'a, W> {
    fn new(endpoint: &'a Endpoint, timeout: Duration, out: W) -> Self {
        Progress {
            endpoint,
            timeout,
            out,
            summary: SendSummary::default(),
            writing: true,
            deadline: Instant::now(),
        }
    }

    /// Writes out a reply frame, followed by a newline.
    async fn reply(&mut self, frame: &[u8]) -> Result<(), ClientError> {
        let write = async {
            self.out.write_all(frame).await?;
            self.out.write_all(b"\n").await?;
            self.out.flush().await
        };
        write.await.map_err(ClientError::Io)?;
        self.summary.received += 1;
        self.deadline = Instant::now() + self.timeout;
        Ok(())
    }

    /// The messages have run out: `sent` of them were sent.
    fn sent(&mut self, sent: u64) {
        self.summary.sent = sent;
        self.writing = false;
        self.deadline = Instant::now() + self.timeout;
    }

    /// The error for a server that stopped answering: what was sent and
    /// received by then.
    fn timed_out(&self) -> ClientError {
        ClientError::ReplyTimeout {
            endpoint: self.endpoint.clone(),
            after: self.timeout,
            sent: self.summary.sent,
            received: self.summary.received,
        }
    }
}

/// Sends every message into `sink`, flushing when the next message is not
/// ready yet (a person typing) rather than after every one of a batch, then
/// closes the sink; returns how many were sent.
async fn write_messages<M, S>(messages: M, mut sink: S) -> Result<u64, ClientError>
where
    M: Stream<Item = io::Result<Bytes>>,
    S: Sink<Bytes, Error = Error> + Unpin,
{
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
        if messages.as_mut().peek().now_or_never().is_none() {
            sink.flush().await.map_err(io_error)?;
        }
    }
    // Flushes, then (over a stream) shuts down our side: the server sees
    // end of input.
    sink.close().await.map_err(io_error)?;
    Ok(sent)
}

/// Over TCP or a Unix socket: replies are read until the server closes.
async fn over_stream(
    io: impl AsyncRead + AsyncWrite,
    codec: AnyCodec,
    messages: impl Stream<Item = io::Result<Bytes>>,
    mut progress: Progress<'_, impl AsyncWrite + Unpin>,
) -> Result<SendSummary, ClientError> {
    let (rd, wr) = tokio::io::split(io);
    let mut replies = FramedRead::new(rd, codec.clone());
    let mut writer = pin!(write_messages(messages, FramedWrite::new(wr, codec)));
    loop {
        tokio::select! {
            biased;
            reply = replies.next() => match reply {
                Some(Ok(frame)) => progress.reply(&frame).await?,
                Some(Err(e)) => return Err(io_or(e, ClientError::Decode)),
                // The server closed the connection: everything has arrived.
                None => return Ok(progress.summary),
            },
            sent = &mut writer, if progress.writing => progress.sent(sent?),
            () = tokio::time::sleep_until(progress.deadline), if !progress.writing => {
                return Err(progress.timed_out());
            }
        }
    }
}

/// Over UDP: one datagram per message, and replies are read until there
/// are as many as messages.
async fn over_udp(
    socket: UdpSocket,
    codec: AnyCodec,
    messages: impl Stream<Item = io::Result<Bytes>>,
    mut progress: Progress<'_, impl AsyncWrite + Unpin>,
) -> Result<SendSummary, ClientError> {
    let socket = Arc::new(socket);
    let server = socket.peer_addr().map_err(ClientError::Io)?;
    let mut replies = UdpFramed::new(socket.clone(), Datagram::new(codec.clone()));
    let sink = UdpFramed::new(socket.clone(), Datagram::new(codec))
        .with(move |message: Bytes| future::ready(Ok::<_, Error>((message, server))));
    let mut writer = pin!(write_messages(messages, sink));
    // ICMP "port unreachable" says nothing listens on the server's port.
    let endpoint = progress.endpoint;
    let refused_or_io = |e: io::Error| match e.kind() {
        io::ErrorKind::ConnectionRefused => ClientError::Connect(ConnectError::Failed {
            endpoint: endpoint.clone(),
            source: e,
        }),
        _ => ClientError::Io(e),
    };
    loop {
        if !progress.writing && progress.summary.received >= progress.summary.sent {
            return Ok(progress.summary);
        }
        tokio::select! {
            biased;
            reply = replies.next() => match reply {
                Some(Ok((frame, _))) => progress.reply(&frame).await?,
                Some(Err(Error::Io(e))) => return Err(refused_or_io(e)),
                Some(Err(e)) => return Err(ClientError::Decode(e)),
                None => return Ok(progress.summary),
            },
            error = connect::socket_error(&socket) => return Err(refused_or_io(error)),
            sent = &mut writer, if progress.writing => match sent {
                Err(ClientError::Io(e)) => return Err(refused_or_io(e)),
                sent => progress.sent(sent?),
            },
            () = tokio::time::sleep_until(progress.deadline), if !progress.writing => {
                return Err(progress.timed_out());
            }
        }
    }
}

/// `Error::Io` as `ClientError::Io`, any other error as `other` makes it.
fn io_or(e: Error, other: fn(Error) -> ClientError) -> ClientError {
    match e {
        Error::Io(e) => ClientError::Io(e),
        e => other(e),
    }
}

fn io_error(e: Error) -> ClientError {
    io_or(e, |e| ClientError::Io(e.into()))
}
