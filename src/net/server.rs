//! The machinery shared by the echo and time servers: listeners, one task per
//! connection, the batched reply loop, UDP, limits and graceful shutdown.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
#[cfg(unix)]
use std::path::PathBuf;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tokio_util::codec::{Decoder, Encoder, Framed};
use tokio_util::sync::CancellationToken;
use tokio_util::udp::UdpFramed;
use tracing::{debug, error, info, warn};

use super::Endpoint;
use super::datagram::Datagram;
use crate::{AnyCodec, Error};

/// How long a closing connection may take to send its last frames and to
/// drain what the client is still sending. Closing a socket with unread
/// input makes the kernel send a reset, which can destroy replies the client
/// has not read yet; draining first (a "lingering close") avoids that.
const LINGER: Duration = Duration::from_secs(2);

/// A batch of this many frames or more means the client pipelines: its
/// connection gets [`PIPELINE_BUFFER`]-sized buffers.
const PIPELINE_BATCH: usize = 8;

/// The read buffer and write threshold of a pipelining connection. `Framed`
/// starts with 8 KiB, which caps a read (and a write) at about 120 frames of
/// 64 bytes; 64 KiB cuts the system calls per frame by 8, which is most of
/// what separates a framed echo from a raw byte copy. Connections that send
/// one request at a time keep the 8 KiB.
const PIPELINE_BUFFER: usize = 64 * 1024;

/// What a server does with each frame.
#[derive(Debug, Clone)]
pub(crate) enum Service {
    /// Send the frame back.
    Echo {
        /// Sent as soon as a client connects.
        greeting: Option<Bytes>,
        /// A frame equal to this closes the connection.
        quit: Option<Bytes>,
    },
    /// Reply with the local time in the strftime format of the frame.
    Time,
}

impl Service {
    fn name(&self) -> &'static str {
        match self {
            Service::Echo { .. } => "echo",
            Service::Time => "time",
        }
    }

    fn greeting(&self) -> Option<&Bytes> {
        match self {
            Service::Echo { greeting, .. } => greeting.as_ref(),
            Service::Time => None,
        }
    }

    #[inline]
    fn is_quit(&self, frame: &Bytes) -> bool {
        match self {
            Service::Echo { quit: Some(q), .. } => frame == q,
            _ => false,
        }
    }

    /// The reply to one frame; `max` is the longest frame the codec sends.
    #[inline]
    fn reply(&self, frame: Bytes, max: usize) -> Bytes {
        match self {
            Service::Echo { .. } => frame,
            Service::Time => super::time::reply(&frame, max),
        }
    }
}

/// A server's settings, shared by all of its connections.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) codec: AnyCodec,
    pub(crate) service: Service,
    pub(crate) max_conns: Option<usize>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) grace: Duration,
}

impl Config {
    pub(crate) fn new(codec: AnyCodec, service: Service) -> Self {
        Config {
            codec,
            service,
            max_conns: None,
            idle_timeout: None,
            grace: Duration::from_secs(5),
        }
    }
}

/// What a server did, returned by [`Server::run`].
///
/// # Examples
///
/// ```
/// let stats = framewise::net::ServerStats::default();
/// assert_eq!(stats.connections, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerStats {
    /// Stream connections served (TCP and Unix), not counting refused ones.
    pub connections: u64,
    /// Stream connections refused because `max_conns` were open.
    pub refused: u64,
    /// Frames received, over all connections and datagrams.
    pub frames_in: u64,
    /// Frames sent (greetings, replies and `error:` frames).
    pub frames_out: u64,
    /// UDP datagrams dropped because they did not decode.
    pub bad_datagrams: u64,
}

#[derive(Debug, Default)]
struct Counters {
    connections: AtomicU64,
    refused: AtomicU64,
    frames_in: AtomicU64,
    frames_out: AtomicU64,
    bad_datagrams: AtomicU64,
}

impl Counters {
    fn add(&self, n: &Counts) {
        self.frames_in.fetch_add(n.frames_in, Ordering::Relaxed);
        self.frames_out.fetch_add(n.frames_out, Ordering::Relaxed);
    }

    fn snapshot(&self) -> ServerStats {
        ServerStats {
            connections: self.connections.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            frames_in: self.frames_in.load(Ordering::Relaxed),
            frames_out: self.frames_out.load(Ordering::Relaxed),
            bad_datagrams: self.bad_datagrams.load(Ordering::Relaxed),
        }
    }
}

/// Frame counts of one connection or socket, kept locally and added to the
/// shared counters once, when it closes.
#[derive(Debug, Default)]
struct Counts {
    frames_in: u64,
    frames_out: u64,
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

/// A bound server: listening sockets ready to be [run](Server::run).
///
/// Made by [`EchoServer::bind`](super::EchoServer::bind) or
/// [`TimeServer::bind`](super::TimeServer::bind). Connections are accepted
/// (by the kernel) as soon as it is bound, and served once it runs.
///
/// # Examples
///
/// ```
/// use framewise::net::{Endpoint, TimeServer};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = TimeServer::new("lines".parse()?)
///     .bind(&[
///         Endpoint::Tcp("127.0.0.1:0".parse()?),
///         Endpoint::Udp("127.0.0.1:0".parse()?),
///     ])
///     .await?;
/// assert_eq!(server.endpoints().len(), 2);
/// assert_ne!(server.tcp_addrs()[0].port(), 0);
/// let stats = server.run(async {}).await?; // stops at once
/// assert_eq!(stats.connections, 0);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Server {
    config: Arc<Config>,
    endpoints: Vec<Endpoint>,
    tcp: Vec<TcpListener>,
    #[cfg(unix)]
    unix: Vec<(tokio::net::UnixListener, SocketFile)>,
    udp: Vec<UdpSocket>,
}

impl Server {
    pub(crate) async fn bind(config: Config, endpoints: &[Endpoint]) -> io::Result<Server> {
        let mut server = Server {
            config: Arc::new(config),
            endpoints: Vec::new(),
            tcp: Vec::new(),
            #[cfg(unix)]
            unix: Vec::new(),
            udp: Vec::new(),
        };
        for endpoint in endpoints {
            let context = |e: io::Error| {
                io::Error::new(e.kind(), format!("cannot listen on {endpoint}: {e}"))
            };
            match endpoint {
                Endpoint::Tcp(addr) => {
                    let l = TcpListener::bind(addr).await.map_err(context)?;
                    server.endpoints.push(Endpoint::Tcp(l.local_addr()?));
                    server.tcp.push(l);
                }
                Endpoint::Udp(addr) => {
                    let s = UdpSocket::bind(addr).await.map_err(context)?;
                    server.endpoints.push(Endpoint::Udp(s.local_addr()?));
                    server.udp.push(s);
                }
                #[cfg(unix)]
                Endpoint::Unix(path) => {
                    let l = bind_unix(path).map_err(context)?;
                    server.endpoints.push(endpoint.clone());
                    server.unix.push((l, SocketFile(path.clone())));
                }
            }
        }
        if server.endpoints.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "nothing to listen on: no endpoint given",
            ));
        }
        Ok(server)
    }

    /// Where the server listens, in the order given to `bind`, with the
    /// ports actually bound (a port 0 is replaced by the one the system
    /// picked).
    ///
    /// # Examples
    ///
    /// See [`Server`].
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// The bound TCP addresses, in the order given to `bind`.
    ///
    /// # Examples
    ///
    /// See [`Server`].
    pub fn tcp_addrs(&self) -> Vec<SocketAddr> {
        self.endpoints
            .iter()
            .filter_map(|e| match e {
                Endpoint::Tcp(a) => Some(*a),
                _ => None,
            })
            .collect()
    }

    /// The bound UDP addresses, in the order given to `bind`.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::net::{EchoServer, Endpoint};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = EchoServer::new("raw".parse()?)
    ///     .bind(&[Endpoint::Udp("127.0.0.1:0".parse()?)])
    ///     .await?;
    /// assert_eq!(server.udp_addrs().len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn udp_addrs(&self) -> Vec<SocketAddr> {
        self.endpoints
            .iter()
            .filter_map(|e| match e {
                Endpoint::Udp(a) => Some(*a),
                _ => None,
            })
            .collect()
    }

    /// Serves every endpoint until `shutdown` resolves, then shuts down
    /// gracefully and returns what was done.
    ///
    /// Each stream connection gets its own task. On shutdown the server
    /// stops accepting, every connection stops waiting for new input,
    /// flushes the replies to the frames it has already received and closes;
    /// connections still open after the grace period (5 s unless set with
    /// `shutdown_grace`) are cut. UDP sockets stop at once.
    ///
    /// With `max_conns` set, a client that connects while that many are open
    /// is refused: it gets one `error: server is full ...` frame and is
    /// closed.
    ///
    /// # Examples
    ///
    /// See [the module docs](super).
    ///
    /// # Errors
    ///
    /// None at present: errors of single connections, accepts and datagrams
    /// are logged and do not stop the server. The `Result` leaves room for
    /// errors that would.
    pub async fn run<F>(self, shutdown: F) -> io::Result<ServerStats>
    where
        F: Future<Output = ()>,
    {
        let Server {
            config,
            endpoints,
            tcp,
            #[cfg(unix)]
            unix,
            udp,
        } = self;
        let counters = Arc::new(Counters::default());
        let token = CancellationToken::new();
        let slots = config.max_conns.map(|n| Arc::new(Semaphore::new(n)));
        let mut tasks = JoinSet::new();
        for socket in udp {
            tasks.spawn(serve_udp(
                socket,
                config.clone(),
                counters.clone(),
                token.child_token(),
            ));
        }
        let service = config.service.name();
        info!(
            service,
            codec = %config.codec,
            endpoints = %DisplayList(&endpoints),
            "server running"
        );

        let mut shutdown = pin!(shutdown);
        let mut next_id: u64 = 0;
        let mut listeners = Listeners {
            tcp,
            #[cfg(unix)]
            unix,
            next: 0,
        };
        loop {
            let accepted = tokio::select! {
                biased;
                () = &mut shutdown => break,
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    if let Err(e) = done
                        && e.is_panic()
                    {
                        error!(service, "a connection task panicked: {e}");
                    }
                    continue;
                }
                accepted = poll_fn(|cx| listeners.poll_accept(cx)), if !listeners.is_empty() => {
                    accepted
                }
            };
            let stream = match accepted {
                Ok(stream) => stream,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it
                    // was accepted: not the server's end. Pause briefly so a
                    // persistent error does not spin.
                    warn!(service, "accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            next_id += 1;
            let permit = match &slots {
                None => None,
                Some(slots) => match slots.clone().try_acquire_owned() {
                    Ok(permit) => Some(permit),
                    Err(_) => {
                        counters.refused.fetch_add(1, Ordering::Relaxed);
                        let max = config.max_conns.unwrap_or(0);
                        info!(service, conn = next_id, peer = %stream.peer(), max, "connection refused: server full");
                        tasks.spawn(stream.refuse(config.codec.clone(), max));
                        continue;
                    }
                },
            };
            counters.connections.fetch_add(1, Ordering::Relaxed);
            let conn = Conn {
                id: next_id,
                config: config.clone(),
                counters: counters.clone(),
                token: token.child_token(),
            };
            tasks.spawn(async move {
                conn.serve(stream).await;
                drop(permit);
            });
        }

        // Stop accepting: close the listeners (and remove socket files).
        drop(listeners);
        info!(
            service,
            open = tasks.len(),
            grace = ?config.grace,
            "shutting down: no new connections; letting open ones finish"
        );
        token.cancel();
        let deadline = Instant::now() + config.grace;
        loop {
            match tokio::time::timeout_at(deadline, tasks.join_next()).await {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => {
                    warn!(
                        service,
                        open = tasks.len(),
                        "grace period over: closing the remaining connections"
                    );
                    tasks.shutdown().await;
                    break;
                }
            }
        }
        let stats = counters.snapshot();
        info!(
            service,
            connections = stats.connections,
            refused = stats.refused,
            frames_in = stats.frames_in,
            frames_out = stats.frames_out,
            "server stopped"
        );
        Ok(stats)
    }
}

/// The listening stream sockets, polled in turn.
struct Listeners {
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

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The next connection accepted by any of the listeners.
    fn poll_accept(&mut self, cx: &mut std::task::Context<'_>) -> Poll<io::Result<Stream>> {
        let n = self.len();
        for k in 0..n {
            let i = (self.next + k) % n;
            let polled = match self.tcp.get(i) {
                Some(l) => l
                    .poll_accept(cx)
                    .map(|r| r.map(|(s, peer)| Stream::Tcp(s, peer))),
                #[cfg(unix)]
                None => {
                    let (l, file) = &self.unix[i - self.tcp.len()];
                    l.poll_accept(cx)
                        .map(|r| r.map(|(s, _)| Stream::Unix(s, file.0.clone())))
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

struct DisplayList<'a>(&'a [Endpoint]);

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

/// An accepted stream connection.
enum Stream {
    Tcp(TcpStream, SocketAddr),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream, PathBuf),
}

impl Stream {
    fn peer(&self) -> String {
        match self {
            Stream::Tcp(_, peer) => peer.to_string(),
            #[cfg(unix)]
            Stream::Unix(_, path) => format!("unix {}", path.display()),
        }
    }

    /// Tells the client the server is full, then closes.
    async fn refuse(self, codec: AnyCodec, max: usize) {
        let msg = Bytes::from(format!(
            "error: server is full ({max} connections), try again later"
        ));
        match self {
            Stream::Tcp(s, _) => goodbye(&mut Framed::new(s, codec), Some(msg), true).await,
            #[cfg(unix)]
            Stream::Unix(s, _) => goodbye(&mut Framed::new(s, codec), Some(msg), true).await,
        }
    }
}

/// Why a connection ended.
#[derive(Debug)]
enum End {
    /// The client closed its side after whole frames.
    Eof,
    /// The client sent the quit word.
    Quit,
    /// No whole frame arrived (or no reply could be written) for this long.
    Idle(Duration),
    /// The server is shutting down.
    Shutdown,
    /// The client sent something the codec cannot decode.
    BadFrame(Error),
    /// A reply could not be framed, nor an `error:` frame in its place.
    Unframable(Error),
    /// The connection failed (reset, broken pipe).
    Io(io::Error),
}

impl End {
    fn from_error(e: Error) -> End {
        match e {
            Error::Io(e) => End::Io(e),
            e => End::BadFrame(e),
        }
    }

    /// The last frame the client gets, if any.
    fn farewell(&self) -> Option<Bytes> {
        match self {
            End::BadFrame(e) => Some(Bytes::from(format!("error: {e}"))),
            End::Idle(d) => Some(Bytes::from(format!(
                "error: idle for {} s, closing",
                d.as_secs_f64()
            ))),
            _ => None,
        }
    }
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            End::Eof => f.write_str("closed by the client"),
            End::Quit => f.write_str("quit word received"),
            End::Idle(d) => write!(f, "idle for {d:?}"),
            End::Shutdown => f.write_str("server shutting down"),
            End::BadFrame(e) => write!(f, "bad frame: {e}"),
            End::Unframable(e) => write!(f, "cannot frame a reply: {e}"),
            End::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

/// Where [`Conn::answer`] stopped.
enum Step {
    /// No whole frame is left in the read buffer.
    Drained,
    /// The replies reached the backpressure boundary: flush, then go on.
    Full,
    /// The connection should end.
    End(End),
}

/// One stream connection's task.
struct Conn {
    id: u64,
    config: Arc<Config>,
    counters: Arc<Counters>,
    /// Cancelled when the server shuts down (a child token, so waiting on it
    /// touches only this connection's lock).
    token: CancellationToken,
}

impl Conn {
    async fn serve(self, stream: Stream) {
        let peer = stream.peer();
        let service = self.config.service.name();
        info!(service, conn = self.id, %peer, "connection opened");
        let mut n = Counts::default();
        let end = match stream {
            Stream::Tcp(s, _) => {
                // Replies are already batched into one write per burst of
                // frames; Nagle's algorithm would only add delay to them.
                let _ = s.set_nodelay(true);
                self.run(s, &mut n).await
            }
            #[cfg(unix)]
            Stream::Unix(s, _) => self.run(s, &mut n).await,
        };
        self.counters.add(&n);
        info!(
            service,
            conn = self.id,
            %peer,
            frames_in = n.frames_in,
            frames_out = n.frames_out,
            "connection closed: {end}"
        );
    }

    async fn run<IO>(&self, io: IO, n: &mut Counts) -> End
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let mut framed = Framed::new(io, self.config.codec.clone());
        let end = self.frames(&mut framed, n).await;
        if matches!(end, End::Io(_)) {
            return end;
        }
        let farewell = end.farewell();
        if farewell.is_some() {
            n.frames_out += 1;
        }
        // After end of input there is nothing left to drain.
        let drain = !matches!(end, End::Eof | End::BadFrame(Error::Truncated { .. }));
        goodbye(&mut framed, farewell, drain).await;
        end
    }

    /// Reads frames and writes replies until the connection should end.
    async fn frames<IO>(&self, framed: &mut Framed<IO, AnyCodec>, n: &mut Counts) -> End
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        if let Some(greeting) = self.config.service.greeting() {
            if let Err(end) = self.feed(framed, greeting.clone(), n).await {
                return end;
            }
            if let Err(e) = SinkExt::<Bytes>::flush(framed).await {
                return End::from_error(e);
            }
        }
        let idle_after = self.config.idle_timeout;
        // The idle deadline is reset whenever a whole frame arrives, so a
        // client that trickles bytes without finishing a frame (slowloris) is
        // closed as well as a silent one.
        let mut idle: Option<Pin<Box<Sleep>>> = idle_after.map(|d| Box::pin(tokio::time::sleep(d)));
        let mut cancelled = pin!(self.token.cancelled());
        loop {
            let next = tokio::select! {
                biased;
                () = &mut cancelled => return End::Shutdown,
                () = expired(&mut idle) => return End::Idle(idle_after.unwrap_or_default()),
                next = framed.next() => next,
            };
            let first = match next {
                None => return End::Eof,
                Some(Ok(frame)) => frame,
                Some(Err(e)) => return End::from_error(e),
            };
            let batch = self.batch(framed, first, n);
            let end = match (&mut idle, idle_after) {
                (Some(sleep), Some(after)) => {
                    sleep.as_mut().reset(Instant::now() + after);
                    // A client that stops reading stalls our writes: that
                    // counts as idle too.
                    tokio::select! {
                        biased;
                        end = batch => end,
                        () = sleep.as_mut() => Some(End::Idle(after)),
                    }
                }
                _ => batch.await,
            };
            if let Some(end) = end {
                return end;
            }
        }
    }

    /// Replies to `first` and to every whole frame already buffered behind
    /// it, then flushes once.
    ///
    /// This is the hot path of a pipelining client, so it awaits nothing per
    /// frame: [`answer`](Self::answer) decodes each frame straight from the
    /// read buffer and encodes its reply straight into the write buffer
    /// (what `feed` does once the sink is ready: `Framed` is ready until its
    /// buffer passes the backpressure boundary, checked there the same way).
    /// The socket is written when no whole frame is left, or when the
    /// replies pass the boundary.
    async fn batch<IO>(
        &self,
        framed: &mut Framed<IO, AnyCodec>,
        first: Bytes,
        n: &mut Counts,
    ) -> Option<End>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let boundary = framed.backpressure_boundary();
        let mut first = Some(first);
        let mut batch = 0;
        loop {
            // `Framed` lends its codec and its buffers only one at a time:
            // move the buffers out for the whole run of frames and back
            // (no copy, no allocation: an empty `BytesMut` owns nothing).
            let mut input = std::mem::take(framed.read_buffer_mut());
            let mut out = std::mem::take(framed.write_buffer_mut());
            let step = self.answer(
                framed.codec_mut(),
                &mut input,
                &mut out,
                first.take(),
                boundary,
                n,
                &mut batch,
            );
            *framed.read_buffer_mut() = input;
            *framed.write_buffer_mut() = out;
            match step {
                Step::Drained => break,
                Step::Full => {
                    if let Err(e) = SinkExt::<Bytes>::flush(framed).await {
                        return Some(End::from_error(e));
                    }
                }
                Step::End(end) => return Some(end),
            }
        }
        if batch >= PIPELINE_BATCH && boundary < PIPELINE_BUFFER {
            framed.set_backpressure_boundary(PIPELINE_BUFFER);
            let buf = framed.read_buffer_mut();
            buf.reserve(PIPELINE_BUFFER.saturating_sub(buf.len()));
        }
        match SinkExt::<Bytes>::flush(framed).await {
            Ok(()) => {
                rewind(framed);
                None
            }
            Err(e) => Some(End::from_error(e)),
        }
    }

    /// Answers `first` (if any) and the whole frames in `input`, encoding
    /// the replies into `out`, until no whole frame is left, `out` reaches
    /// `boundary`, or the connection should end. `batch` counts the frames.
    #[allow(clippy::too_many_arguments)] // the parts of a lent-out `Framed`
    #[inline]
    fn answer(
        &self,
        codec: &mut AnyCodec,
        input: &mut BytesMut,
        out: &mut BytesMut,
        first: Option<Bytes>,
        boundary: usize,
        n: &mut Counts,
        batch: &mut usize,
    ) -> Step {
        let max = self.config.codec.max_frame_len();
        let mut next = first;
        loop {
            let frame = match next.take() {
                Some(frame) => frame,
                None => match codec.decode(input) {
                    Ok(Some(frame)) => frame,
                    Ok(None) => return Step::Drained,
                    Err(e) => return Step::End(End::from_error(e)),
                },
            };
            n.frames_in += 1;
            *batch += 1;
            if self.config.service.is_quit(&frame) {
                return Step::End(End::Quit);
            }
            let reply = self.config.service.reply(frame, max);
            let mut queued = codec.encode(reply, out);
            if let Err(refused) = queued {
                queued = self.refused(codec, refused, out);
            }
            if let Err(e) = queued {
                return Step::End(End::Unframable(e));
            }
            n.frames_out += 1;
            if out.len() >= boundary {
                return Step::Full;
            }
        }
    }

    /// Encodes an `error:` frame in place of a refused reply.
    #[cold]
    fn refused(
        &self,
        codec: &mut AnyCodec,
        refused: Error,
        out: &mut BytesMut,
    ) -> Result<(), Error> {
        debug!(conn = self.id, "reply refused by the codec: {refused}");
        codec.encode(Bytes::from(format!("error: {refused}")), out)
    }

    /// Queues one frame with `feed` (the greeting); a frame the codec
    /// refuses is replaced by an `error:` frame.
    async fn feed<IO>(
        &self,
        framed: &mut Framed<IO, AnyCodec>,
        reply: Bytes,
        n: &mut Counts,
    ) -> Result<(), End>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        match framed.feed(reply).await {
            Ok(()) => {}
            Err(Error::Io(e)) => return Err(End::Io(e)),
            Err(refused) => {
                debug!(conn = self.id, "reply refused by the codec: {refused}");
                let msg = Bytes::from(format!("error: {refused}"));
                match framed.feed(msg).await {
                    Ok(()) => {}
                    Err(Error::Io(e)) => return Err(End::Io(e)),
                    Err(e) => return Err(End::Unframable(e)),
                }
            }
        }
        n.frames_out += 1;
        Ok(())
    }
}

/// Resolves when the idle deadline passes; never without one.
async fn expired(idle: &mut Option<Pin<Box<Sleep>>>) {
    match idle {
        Some(sleep) => sleep.as_mut().await,
        None => std::future::pending().await,
    }
}

/// Moves the start of both buffers back to the front of their allocations
/// after a batch, so the next read and the next replies land in memory the
/// last batch just used.
///
/// A `BytesMut` consumed from the front only moves its start forward, and
/// reuses its front only once the end of the allocation is reached; so each
/// connection's reads and writes sweep its whole 64 KiB buffers in turn.
/// With many pipelining connections that is megabytes swept (16 connections
/// x 128 KiB = 2 MiB), more than a core's cache, where an 8 KiB copy loop
/// stays in L1. Nothing is copied when a buffer is empty, and a partial frame
/// is moved only when it is short.
fn rewind<IO>(framed: &mut Framed<IO, AnyCodec>) {
    /// Longest partial frame worth moving to rewind the read buffer.
    const MOVE_AT_MOST: usize = 256;
    let size = framed.backpressure_boundary();
    let out = framed.write_buffer_mut();
    if out.is_empty() && out.capacity() < size {
        // Reuses the allocation in place (the flush left nothing in it).
        out.reserve(size);
    }
    let input = framed.read_buffer_mut();
    // Every frame of the batch has been dropped by now, so the buffer is not
    // shared and `reserve` reuses it rather than allocating.
    if input.len() <= MOVE_AT_MOST && input.capacity() < size {
        input.reserve(size - input.len());
    }
}

/// Closes a connection politely, within [`LINGER`]: the last frame if any,
/// pending replies flushed, our side shut down, then (with `drain`) the
/// client's remaining input read and discarded until it closes too.
async fn goodbye<IO>(framed: &mut Framed<IO, AnyCodec>, last: Option<Bytes>, drain: bool)
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let close = async {
        if let Some(last) = last {
            // A codec that cannot frame the message (`fixed:4`, a limit
            // shorter than the message) gets none: the close says enough.
            match framed.feed(last).await {
                Err(Error::Io(_)) => return,
                Err(e) => debug!("cannot frame the error message: {e}"),
                Ok(()) => {}
            }
        }
        if SinkExt::<Bytes>::close(framed).await.is_err() || !drain {
            return;
        }
        let io = framed.get_mut();
        let mut scratch = [0u8; 4096];
        while let Ok(1..) = io.read(&mut scratch).await {}
    };
    let _ = tokio::time::timeout(LINGER, close).await;
}

/// Serves one UDP socket: each request datagram gets its reply datagram(s).
async fn serve_udp(
    socket: UdpSocket,
    config: Arc<Config>,
    counters: Arc<Counters>,
    token: CancellationToken,
) {
    let local = socket.local_addr().ok();
    let service = config.service.name();
    let fresh = Datagram::new(config.codec.clone());
    let max = match fresh.is_whole() {
        true => config
            .codec
            .max_frame_len()
            .min(super::MAX_DATAGRAM_PAYLOAD),
        false => config.codec.max_frame_len(),
    };
    let mut framed = UdpFramed::new(socket, fresh.clone());
    let mut n = Counts::default();
    let mut cancelled = pin!(token.cancelled());
    loop {
        let next = tokio::select! {
            biased;
            () = &mut cancelled => break,
            next = framed.next() => next,
        };
        let (frame, peer) = match next {
            None => break,
            Some(Ok(request)) => request,
            Some(Err(e)) => {
                counters.bad_datagrams.fetch_add(1, Ordering::Relaxed);
                warn!(service, ?local, "dropped a datagram: {e}");
                if let Error::Io(_) = e {
                    // Not the datagram's fault: do not spin on a socket error.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                continue;
            }
        };
        n.frames_in += 1;
        let reply = config.service.reply(frame, max);
        let sent = match framed.send((reply, peer)).await {
            Err(refused @ (Error::FrameTooLong { .. } | Error::Unencodable { .. })) => {
                warn!(service, %peer, "reply refused by the codec: {refused}");
                let msg = Bytes::from(format!("error: {refused}"));
                framed.send((msg, peer)).await
            }
            other => other,
        };
        match sent {
            Ok(()) => n.frames_out += 1,
            Err(e) => {
                warn!(service, %peer, "cannot send a reply: {e}");
                // `UdpFramed` keeps a datagram it failed to send and retries
                // it before every later one: start afresh instead.
                framed = UdpFramed::new(framed.into_inner(), fresh.clone());
            }
        }
    }
    counters.add(&n);
    debug!(
        service,
        ?local,
        frames_in = n.frames_in,
        "udp socket closed"
    );
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::task::Context;

    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, ReadBuf};
    use tokio_util::codec::Encoder;

    use super::*;

    /// What reached a [`CountingIo`].
    #[derive(Debug, Default)]
    struct IoLog {
        /// Writes (one per system call on a real socket).
        writes: AtomicUsize,
        /// The largest read asked for: the free space of the read buffer.
        max_read: AtomicUsize,
        /// The smallest read asked for.
        min_read: AtomicUsize,
    }

    /// A stream that records the reads and writes reaching it.
    struct CountingIo {
        inner: DuplexStream,
        log: Arc<IoLog>,
    }

    impl AsyncRead for CountingIo {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            self.log
                .max_read
                .fetch_max(buf.remaining(), Ordering::Relaxed);
            self.log
                .min_read
                .fetch_min(buf.remaining(), Ordering::Relaxed);
            Pin::new(&mut self.inner).poll_read(cx, buf)
        }
    }

    impl AsyncWrite for CountingIo {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
            if polled.is_ready() {
                self.log.writes.fetch_add(1, Ordering::Relaxed);
            }
            polled
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.inner).poll_flush(cx)
        }

        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.inner).poll_shutdown(cx)
        }
    }

    fn echo_conn(spec: &str) -> Conn {
        let service = Service::Echo {
            greeting: None,
            quit: None,
        };
        Conn {
            id: 1,
            config: Arc::new(Config::new(spec.parse().unwrap(), service)),
            counters: Arc::default(),
            token: CancellationToken::new(),
        }
    }

    /// Runs an echo connection over a duplex pipe whose server end is
    /// recorded; returns the client end, the log and the task.
    fn run_logged(
        spec: &str,
    ) -> (
        DuplexStream,
        Arc<IoLog>,
        tokio::task::JoinHandle<(End, Counts)>,
    ) {
        let (client, server_end) = tokio::io::duplex(1 << 20);
        let log = Arc::new(IoLog::default());
        let io = CountingIo {
            inner: server_end,
            log: log.clone(),
        };
        let conn = echo_conn(spec);
        let server = tokio::spawn(async move {
            let mut n = Counts::default();
            let end = conn.run(io, &mut n).await;
            (end, n)
        });
        (client, log, server)
    }

    #[tokio::test]
    async fn pipelined_frames_are_answered_with_one_write_per_read_not_per_frame() {
        const FRAMES: usize = 1000;
        let mut codec: AnyCodec = "length".parse().unwrap();
        let mut wire = BytesMut::new();
        for i in 0..FRAMES {
            let payload = format!("{i:060}");
            codec.encode(payload.as_bytes(), &mut wire).unwrap();
        }
        let (mut client, log, server) = run_logged("length");
        // Everything is buffered before the server reads anything.
        client.write_all(&wire).await.unwrap();
        let mut replies = vec![0; wire.len()];
        client.read_exact(&mut replies).await.unwrap();
        assert_eq!(replies, wire);
        drop(client);
        let (end, n) = server.await.unwrap();
        assert!(matches!(end, End::Eof), "{end}");
        assert_eq!((n.frames_in, n.frames_out), (FRAMES as u64, FRAMES as u64));
        // 64,000 bytes: one 8 KiB read, then the buffer grows to 64 KiB for
        // the rest; one write per read. One write per frame would be 1000.
        let writes = log.writes.load(Ordering::Relaxed);
        assert!(
            (1..=4).contains(&writes),
            "{writes} writes for {FRAMES} frames"
        );
        assert!(log.max_read.load(Ordering::Relaxed) >= PIPELINE_BUFFER);
    }

    #[tokio::test]
    async fn replies_past_the_write_boundary_are_flushed_mid_batch_in_order() {
        // 192,000 bytes in one go: a read of 64 KiB holds ~1000 frames whose
        // replies pass the 64 KiB boundary, so batches flush and go on.
        const FRAMES: usize = 3000;
        let mut codec: AnyCodec = "length".parse().unwrap();
        let mut wire = BytesMut::new();
        for i in 0..FRAMES {
            codec
                .encode(format!("{i:060}").as_bytes(), &mut wire)
                .unwrap();
        }
        let (mut client, log, server) = run_logged("length");
        let (mut rd, mut wr) = tokio::io::split(&mut client);
        let expected = wire.clone();
        let reader = async move {
            let mut replies = vec![0; expected.len()];
            rd.read_exact(&mut replies).await.unwrap();
            assert!(replies == expected, "replies differ from the frames sent");
        };
        tokio::join!(wr.write_all(&wire), reader).0.unwrap();
        drop(client);
        let (end, n) = server.await.unwrap();
        assert!(matches!(end, End::Eof), "{end}");
        assert_eq!((n.frames_in, n.frames_out), (FRAMES as u64, FRAMES as u64));
        let writes = log.writes.load(Ordering::Relaxed);
        assert!((3..=40).contains(&writes), "{writes} writes");
    }

    #[tokio::test]
    async fn every_read_after_a_batch_starts_at_the_front_of_the_buffer() {
        // Bursts of pipelined frames, each answered before the next: once
        // the buffers have grown, every read must be offered (nearly) the
        // whole 64 KiB again, not what is left behind the frames already
        // consumed.
        let mut codec: AnyCodec = "length".parse().unwrap();
        let mut burst = BytesMut::new();
        for i in 0..100 {
            codec
                .encode(format!("{i:060}").as_bytes(), &mut burst)
                .unwrap();
        }
        let (mut client, log, server) = run_logged("length");
        for round in 0..8 {
            client.write_all(&burst).await.unwrap();
            let mut replies = vec![0; burst.len()];
            client.read_exact(&mut replies).await.unwrap();
            assert_eq!(replies, burst);
            if round == 0 {
                // The first burst grew the buffers: measure from here on.
                log.min_read.store(usize::MAX, Ordering::Relaxed);
            }
        }
        drop(client);
        let (_, n) = server.await.unwrap();
        assert_eq!(n.frames_in, 800);
        // Without rewinding, the eighth burst would be read into what is
        // left after seven bursts of 6,400 bytes: about 20 KiB.
        let min = log.min_read.load(Ordering::Relaxed);
        assert!(
            min >= PIPELINE_BUFFER - 256,
            "a read was offered {min} bytes"
        );
    }

    #[tokio::test]
    async fn one_request_at_a_time_keeps_the_small_buffers() {
        let (mut client, log, server) = run_logged("lines");
        for i in 0..20 {
            let line = format!("request {i:02}\n");
            client.write_all(line.as_bytes()).await.unwrap();
            let mut reply = vec![0; line.len()];
            client.read_exact(&mut reply).await.unwrap();
            assert_eq!(reply, line.as_bytes());
        }
        drop(client);
        let (_, n) = server.await.unwrap();
        assert_eq!(n.frames_in, 20);
        assert_eq!(log.writes.load(Ordering::Relaxed), 20);
        assert!(log.max_read.load(Ordering::Relaxed) <= 8 * 1024);
    }

    #[tokio::test]
    async fn a_frame_split_across_reads_is_answered_once_whole() {
        let (mut client, server_end) = tokio::io::duplex(64);
        let conn = echo_conn("lines");
        let server = tokio::spawn(async move {
            let mut n = Counts::default();
            conn.run(server_end, &mut n).await;
            n
        });
        for piece in [&b"hel"[..], b"lo\nwor", b"ld", b"\n"] {
            client.write_all(piece).await.unwrap();
            tokio::task::yield_now().await;
        }
        let mut replies = [0; 12];
        client.read_exact(&mut replies).await.unwrap();
        assert_eq!(&replies, b"hello\nworld\n");
        drop(client);
        let n = server.await.unwrap();
        assert_eq!((n.frames_in, n.frames_out), (2, 2));
    }
}
