//! A tap: a TCP (or UDP) proxy that shows the frames of the traffic it
//! forwards, read by read. This is `framewise tap`; `framewise decode` shows
//! a captured stream the same way.
//!
//! ```text
//!            +------------------------- tap --------------------------+
//! client <-->| read --> write (byte-exact, one read in flight each way)|<--> upstream
//!            |   \--> ReadAnalyser (decoder) --> Printer --> one writer |
//!            +---------------------------------------------------------+
//! ```
//!
//! Forwarding comes first and never depends on decoding: each direction
//! reads at most 64 KiB, writes all of it to the other side, and only then
//! reads again, so a slow side slows the other (nothing is buffered without
//! bound). A half-close (end of stream) is passed on as a half-close; a
//! reset, or any other error on either socket, closes both. The bytes just
//! forwarded go to a [`ReadAnalyser`], which decodes them with the direction's
//! codec and says what the read held ("2 whole frames (1-2) + the first 7
//! bytes of frame 3", "the middle 64 KiB of frame 3"). Decoding errors are
//! reported and the decoder resyncs as far as the codec allows; after an
//! error the codec cannot recover from, the rest of that direction is
//! forwarded undecoded. Events go through a bounded queue to one writer
//! thread, so a slow terminal slows the traffic rather than growing memory.
//!
//! [`Format::Quiet`] prints only totals, so it keeps only counts: each read
//! lands in a counter's buffer, is forwarded from there, and is then decoded
//! in place by the framing core, with no event, copy or allocation per read
//! or frame. The totals are those the [`ReadAnalyser`] would give.
//!
//! Over UDP ([`Endpoint::Udp`]) each client address gets
//! its own upstream socket (a *session*, closed after an idle time); every
//! datagram is shown with the frames inside it, decoded as
//! [`Datagram`](super::Datagram) does (`raw`: the datagram is the frame).
//!
//! # Output
//!
//! [`Format::Human`] prints one line per event, such as
//!
//! ```text
//! listening on tcp 127.0.0.1:9000 (tap to 127.0.0.1:7007, codec lines)
//! #1 open 127.0.0.1:51234 -> 127.0.0.1:7007
//! #1 c->s +0.000412s read 27 bytes: 4 whole frames (1-4)
//! #1 c->s   frame 1: 5 bytes (6 on the wire)  68 65 6c 6c 6f  |hello|
//! #1 c->s +0.503112s end of stream, passed on as a half-close
//! #1 close after 0.504s (client closed, then the server): c->s 27 bytes in 1 read, 4 frames; s->c ...
//! ```
//!
//! [`Format::Quiet`] prints only the `listening` line and the `close` line of
//! each connection. [`Format::Json`] prints one JSON object per line:
//!
//! # JSON schema
//!
//! Every object has an `"event"` member. Times `t` are seconds (a number with
//! microseconds) since the connection opened; offsets count bytes from the
//! start of that direction's stream; frame indices count from 1 in each
//! direction, good and bad frames alike. `conn` counts connections (UDP:
//! sessions) from 1; `dir` is `"c2s"` (client to server) or `"s2c"`.
//! `framewise decode` omits `conn`, `dir` and `t`. Members may be added in
//! later versions; none will be removed or change meaning.
//!
//! | event | members |
//! |---|---|
//! | `listening` | `transport` (`"tcp"`, `"udp"`), `addr`, `upstream`, `client_codec`, `server_codec` (codec specs) |
//! | `open` | `conn`, `client`, `upstream` (addresses) |
//! | `read` (UDP: `datagram`) | `conn`, `dir`, `t`, `offset`, `len`, `held`: array of `{index, part, status, len}`, `summary` (the human text) |
//! | `frame` | `conn`, `dir`, `index`, `offset`, `wire_len`, `len` (payload), `preview_hex`, `preview_text` (printable ASCII, other bytes as `.`), `preview_complete` (the preview is the whole payload) |
//! | `error` | `conn`, `dir`, `index`, `offset`, `wire_len`, `kind`, `message`, `recoverable` |
//! | `eof` | `conn`, `dir`, `t`: that side half-closed |
//! | `close` | `conn`, `t`, `reason`, `c2s` and `s2c`: totals |
//! | `end` (`framewise decode`) | `totals` |
//!
//! - `part` is `"whole"`, `"first"`, `"middle"` or `"last"`: which part of
//!   frame `index` the read held. `status` is `"good"`, `"bad"` (a decoding
//!   error), `"pending"` (not finished at the end of the read) or
//!   `"undecoded"` (after the framing was lost; `index` is 0).
//! - `kind` is `"frame_too_long"`, `"truncated"` (the stream ended inside a
//!   frame), `"corrupt_header"` (not recoverable: the rest is undecoded),
//!   `"invalid_utf8"`, `"invalid_cobs"`, `"invalid_escape"`,
//!   `"checksum_mismatch"`, `"frame_too_short"` or `"other"`.
//! - totals are `{bytes, reads, frames, payload_bytes, errors, truncated,
//!   lost, undecoded_bytes}` (UDP: `reads` counts datagrams).
//!
//! # Examples
//!
//! ```
//! use framewise::net::{EchoServer, Endpoint, tap::{Format, Tap}};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let echo = EchoServer::new(framewise::Lines::new())
//!     .bind(&[Endpoint::Tcp("127.0.0.1:0".parse()?)])
//!     .await?;
//! let upstream = echo.tcp_addrs()[0];
//! let (stop_echo, echo_stopped) = tokio::sync::oneshot::channel::<()>();
//! let echo = tokio::spawn(echo.run(async move { let _ = echo_stopped.await; }));
//!
//! let tap = Tap::new(upstream, "lines".parse()?)
//!     .format(Format::Json)
//!     .bind(&Endpoint::Tcp("127.0.0.1:0".parse()?))
//!     .await?;
//! let addr = tap.local_addr();
//! let (stop_tap, tap_stopped) = tokio::sync::oneshot::channel::<()>();
//! let output = framewise::net::tap::SharedBuffer::default();
//! let tap = tokio::spawn(tap.run(output.clone(), async move { let _ = tap_stopped.await; }));
//!
//! let mut client = tokio::net::TcpStream::connect(addr).await?;
//! client.write_all(b"hello\njames\n").await?;
//! client.shutdown().await?;
//! let mut reply = Vec::new();
//! client.read_to_end(&mut reply).await?;
//! assert_eq!(reply, b"hello\njames\n");
//!
//! stop_tap.send(()).unwrap();
//! let stats = tap.await??;
//! assert_eq!(stats.connections, 1);
//! let output = output.contents();
//! assert!(output.contains(r#""event":"frame","conn":1,"dir":"c2s","index":2"#));
//! # stop_echo.send(()).unwrap();
//! # echo.await??;
//! # Ok(())
//! # }
//! ```

mod analyse;
mod count;
mod decode;
mod print;
mod udp;

use std::future::Future;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use super::Endpoint;
use crate::AnyCodec;

pub use self::analyse::{
    Event, Frame, FrameError, Held, Part, Piece, Read, ReadAnalyser, Status, Totals, error_kind,
};
use self::count::Counter;
pub use self::decode::{decode_capture, parse_hex};
pub use self::print::{Direction, Format};
use self::print::{Place, Printer};

/// Payload bytes each frame shows by default.
pub const DEFAULT_PREVIEW: usize = 16;

/// The most each direction reads (and forwards) at once.
const READ_SIZE: usize = 64 * 1024;

/// Formatted chunks of output waiting for the writer: enough to ride out a
/// slow write, few enough that memory stays bounded.
const OUTPUT_QUEUE: usize = 256;

/// How long the connections get to print their totals at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A tap: where to forward, how to decode each direction, how to print.
///
/// Configure it, [bind](Tap::bind) it, then [run](BoundTap::run) it. See the
/// [module docs](self) for what it does and prints.
///
/// # Examples
///
/// See the [module docs](self).
#[derive(Debug, Clone)]
pub struct Tap {
    upstream: SocketAddr,
    client_codec: AnyCodec,
    server_codec: AnyCodec,
    format: Format,
    preview: usize,
    connect_timeout: Duration,
    udp_idle: Duration,
}

impl Tap {
    /// A tap forwarding to `upstream`, decoding both directions with `codec`,
    /// printing [`Format::Human`] without colour and [`DEFAULT_PREVIEW`]
    /// bytes of each frame.
    ///
    /// # Examples
    ///
    /// ```
    /// let tap = framewise::net::tap::Tap::new("127.0.0.1:7007".parse()?, "length".parse()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(upstream: SocketAddr, codec: AnyCodec) -> Self {
        Tap {
            upstream,
            client_codec: codec.clone(),
            server_codec: codec,
            format: Format::Human { color: false },
            preview: DEFAULT_PREVIEW,
            connect_timeout: Duration::from_secs(10),
            udp_idle: Duration::from_secs(60),
        }
    }

    /// Decode what clients send with `codec`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let tap = framewise::net::tap::Tap::new("127.0.0.1:7007".parse()?, "lines".parse()?);
    /// let tap = tap.client_codec("length".parse()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn client_codec(mut self, codec: AnyCodec) -> Self {
        self.client_codec = codec;
        self
    }

    /// Decode what the upstream sends back with `codec`.
    ///
    /// # Examples
    ///
    /// ```
    /// # let tap = framewise::net::tap::Tap::new("127.0.0.1:7007".parse()?, "lines".parse()?);
    /// let tap = tap.server_codec("length:u16".parse()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn server_codec(mut self, codec: AnyCodec) -> Self {
        self.server_codec = codec;
        self
    }

    /// How to print (default: human lines without colour).
    ///
    /// # Examples
    ///
    /// ```
    /// # let tap = framewise::net::tap::Tap::new("127.0.0.1:7007".parse()?, "lines".parse()?);
    /// let tap = tap.format(framewise::net::tap::Format::Quiet);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Show the first `n` payload bytes of each frame (default
    /// [`DEFAULT_PREVIEW`]; 0 shows none).
    ///
    /// # Examples
    ///
    /// ```
    /// # let tap = framewise::net::tap::Tap::new("127.0.0.1:7007".parse()?, "lines".parse()?);
    /// let tap = tap.preview(64);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn preview(mut self, n: usize) -> Self {
        self.preview = n;
        self
    }

    /// Over UDP, close a session after `after` without a datagram either way
    /// (default 60 s).
    ///
    /// # Examples
    ///
    /// ```
    /// # let tap = framewise::net::tap::Tap::new("127.0.0.1:7007".parse()?, "raw".parse()?);
    /// let tap = tap.udp_idle_timeout(std::time::Duration::from_secs(5));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn udp_idle_timeout(mut self, after: std::time::Duration) -> Self {
        self.udp_idle = after;
        self
    }

    /// Listens on `listen`: a TCP address, or a UDP address for a datagram
    /// relay. Port 0 picks a free port ([`BoundTap::local_addr`]).
    ///
    /// # Examples
    ///
    /// See the [module docs](self).
    ///
    /// # Errors
    ///
    /// The address cannot be bound, or is a Unix socket path (not supported).
    pub async fn bind(self, listen: &Endpoint) -> io::Result<BoundTap> {
        let listener = match listen {
            Endpoint::Tcp(addr) => Listener::Tcp(TcpListener::bind(addr).await.map_err(|e| {
                io::Error::new(e.kind(), format!("cannot listen on tcp {addr}: {e}"))
            })?),
            Endpoint::Udp(addr) => Listener::Udp(UdpSocket::bind(addr).await.map_err(|e| {
                io::Error::new(e.kind(), format!("cannot listen on udp {addr}: {e}"))
            })?),
            #[cfg(unix)]
            Endpoint::Unix(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "the tap listens on tcp or udp only",
                ));
            }
        };
        let local = match &listener {
            Listener::Tcp(l) => l.local_addr()?,
            Listener::Udp(s) => s.local_addr()?,
        };
        Ok(BoundTap {
            tap: self,
            listener,
            local,
        })
    }

    fn printer(&self, datagrams: bool) -> Printer {
        Printer {
            format: self.format,
            preview: self.preview,
            datagrams,
        }
    }
}

#[derive(Debug)]
enum Listener {
    Tcp(TcpListener),
    Udp(UdpSocket),
}

/// A bound tap, ready to [run](BoundTap::run).
///
/// # Examples
///
/// See the [module docs](self).
#[derive(Debug)]
pub struct BoundTap {
    tap: Tap,
    listener: Listener,
    local: SocketAddr,
}

/// What a tap did, once it has stopped.
///
/// # Examples
///
/// See the [module docs](self).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TapStats {
    /// Connections accepted (UDP: sessions opened).
    pub connections: u64,
}

/// An in-memory output for [`BoundTap::run`], readable while the tap runs
/// (for tests and embedding).
///
/// # Examples
///
/// ```
/// use std::io::Write;
///
/// let out = framewise::net::tap::SharedBuffer::default();
/// out.clone().write_all(b"hi")?;
/// assert_eq!(out.contents(), "hi");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    /// Everything written so far, as text (invalid UTF-8 replaced).
    ///
    /// # Examples
    ///
    /// See [`SharedBuffer`].
    pub fn contents(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut bytes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl BoundTap {
    /// The address the tap listens on.
    ///
    /// # Examples
    ///
    /// See the [module docs](self).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Runs the tap until `shutdown` resolves, writing events to `out` (from
    /// a thread of its own; a write error, such as a closed pipe, silences
    /// the output but not the forwarding).
    ///
    /// The first line written says where the tap listens. At shutdown every
    /// connection is closed, and prints its totals.
    ///
    /// # Examples
    ///
    /// See the [module docs](self).
    ///
    /// # Errors
    ///
    /// An error if the listening socket fails.
    pub async fn run<W, F>(self, out: W, shutdown: F) -> io::Result<TapStats>
    where
        W: Write + Send + 'static,
        F: Future<Output = ()>,
    {
        let (tx, rx) = mpsc::channel::<String>(OUTPUT_QUEUE);
        let writer = std::thread::spawn(move || write_out(rx, out));
        let (transport, datagrams) = match self.listener {
            Listener::Tcp(_) => ("tcp", false),
            Listener::Udp(_) => ("udp", true),
        };
        let printer = self.tap.printer(datagrams);
        let mut head = String::new();
        printer.listening(
            &mut head,
            transport,
            self.local,
            self.tap.upstream,
            (
                &self.tap.client_codec.to_string(),
                &self.tap.server_codec.to_string(),
            ),
        );
        let _ = tx.send(head).await;
        let result = match self.listener {
            Listener::Tcp(listener) => run_tcp(listener, Arc::new(self.tap), tx, shutdown).await,
            Listener::Udp(socket) => udp::run(socket, self.tap, tx, shutdown).await,
        };
        // The senders are gone: the writer drains the queue and ends.
        let _ = tokio::task::spawn_blocking(move || writer.join()).await;
        result
    }
}

/// Writes the formatted chunks in order, flushing whenever the queue is
/// empty so interactive output shows at once.
fn write_out(mut rx: mpsc::Receiver<String>, out: impl Write) {
    let mut out = io::BufWriter::with_capacity(64 * 1024, out);
    let mut broken = false;
    while let Some(chunk) = rx.blocking_recv() {
        if !broken {
            broken = out.write_all(chunk.as_bytes()).is_err();
        }
        if !broken && rx.is_empty() {
            broken = out.flush().is_err();
        }
    }
    let _ = out.flush();
}

async fn run_tcp<F: Future<Output = ()>>(
    listener: TcpListener,
    tap: Arc<Tap>,
    out: mpsc::Sender<String>,
    shutdown: F,
) -> io::Result<TapStats> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut stats = TapStats::default();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((client, peer)) => {
                    stats.connections += 1;
                    tasks.spawn(connection(
                        stats.connections,
                        client,
                        peer,
                        tap.clone(),
                        out.clone(),
                        stop_rx.clone(),
                    ));
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tasks.abort_all();
    }
    Ok(stats)
}

/// Why one direction stopped.
#[derive(Debug)]
enum PumpError {
    /// Reading from the sending side failed (a reset, for instance).
    Read(io::Error),
    /// Writing to the receiving side failed.
    Write(io::Error),
}

/// What one direction of a connection needs to report.
struct Side<'a> {
    conn: u64,
    dir: Direction,
    opened: Instant,
    printer: Printer,
    out: &'a mpsc::Sender<String>,
}

impl Side<'_> {
    fn place(&self) -> Place {
        Place {
            conn: Some(self.conn),
            dir: Some(self.dir),
            t: Some(self.opened.elapsed()),
        }
    }

    async fn send(&self, text: &mut String) {
        if !text.is_empty() {
            let _ = self.out.send(std::mem::take(text)).await;
        }
    }
}

/// What a connection keeps of one direction.
#[derive(Debug)]
enum Analysis {
    /// Every read and frame, to print them.
    Full(ReadAnalyser<AnyCodec>),
    /// Only the totals (`--quiet`): no event, no copy of the bytes.
    Count(Counter<AnyCodec>),
}

impl Analysis {
    fn new(codec: AnyCodec, printer: &Printer) -> Self {
        if printer.quiet() {
            Analysis::Count(Counter::new(codec, READ_SIZE))
        } else {
            Analysis::Full(ReadAnalyser::new(codec))
        }
    }

    fn totals(&self) -> Totals {
        match self {
            Analysis::Full(analyser) => analyser.totals(),
            Analysis::Count(counter) => counter.totals(),
        }
    }

    fn is_ended(&self) -> bool {
        match self {
            Analysis::Full(analyser) => analyser.is_ended(),
            Analysis::Count(counter) => counter.is_ended(),
        }
    }

    /// The stream has ended: what is left in the decoder is decoded (and
    /// its events pushed).
    fn end(&mut self, events: &mut Vec<Event>) {
        match self {
            Analysis::Full(analyser) => analyser.end(events),
            Analysis::Count(counter) => counter.end(),
        }
    }
}

/// Forwards one direction until its end of stream (passed on as a
/// half-close) or an error, analysing each read after forwarding it.
async fn pump<R, W>(
    from: &mut R,
    to: &mut W,
    analysis: &mut Analysis,
    side: &Side<'_>,
) -> Result<(), PumpError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    match analysis {
        Analysis::Full(analyser) => pump_full(from, to, analyser, side).await,
        Analysis::Count(counter) => pump_count(from, to, counter).await,
    }
}

/// [`pump`] printing every read and frame.
async fn pump_full<R, W>(
    from: &mut R,
    to: &mut W,
    analyser: &mut ReadAnalyser<AnyCodec>,
    side: &Side<'_>,
) -> Result<(), PumpError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0; READ_SIZE];
    let mut events = Vec::new();
    let mut text = String::new();
    loop {
        let n = from.read(&mut buf).await.map_err(PumpError::Read)?;
        if n == 0 {
            analyser.end(&mut events);
            let place = side.place();
            side.printer.eof(&mut text, &place);
            side.printer.events(&mut text, &place, &events);
            side.send(&mut text).await;
            return to.shutdown().await.map_err(PumpError::Write);
        }
        to.write_all(&buf[..n]).await.map_err(PumpError::Write)?;
        analyser.read(&buf[..n], &mut events);
        side.printer.events(&mut text, &side.place(), &events);
        events.clear();
        side.send(&mut text).await;
    }
}

/// [`pump`] counting only: each read lands in the counter's buffer, is
/// forwarded from there and then decoded in place.
async fn pump_count<R, W>(
    from: &mut R,
    to: &mut W,
    counter: &mut Counter<AnyCodec>,
) -> Result<(), PumpError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    loop {
        let buf = counter.spare();
        let n = from.read(buf).await.map_err(PumpError::Read)?;
        if n == 0 {
            counter.end();
            return to.shutdown().await.map_err(PumpError::Write);
        }
        to.write_all(&buf[..n]).await.map_err(PumpError::Write)?;
        counter.received(n);
    }
}

/// One client: connects it to the upstream, forwards and reports both ways.
async fn connection(
    conn: u64,
    mut client: TcpStream,
    peer: SocketAddr,
    tap: Arc<Tap>,
    out: mpsc::Sender<String>,
    mut stop: watch::Receiver<bool>,
) {
    let opened = Instant::now();
    let printer = tap.printer(false);
    let mut text = String::new();
    printer.open(&mut text, conn, peer, tap.upstream);
    if !text.is_empty() {
        let _ = out.send(std::mem::take(&mut text)).await;
    }
    let mut c2s = Analysis::new(tap.client_codec.clone(), &printer);
    let mut s2c = Analysis::new(tap.server_codec.clone(), &printer);

    let connect = tokio::time::timeout(tap.connect_timeout, TcpStream::connect(tap.upstream));
    let upstream = tokio::select! {
        r = connect => match r {
            Ok(Ok(upstream)) => Ok(upstream),
            Ok(Err(e)) => Err(format!("cannot connect to upstream {}: {e}", tap.upstream)),
            Err(_) => Err(format!(
                "cannot connect to upstream {}: no answer within {:?}",
                tap.upstream, tap.connect_timeout
            )),
        },
        _ = stop.wait_for(|stop| *stop) => Err("tap shut down".to_string()),
    };
    let reason = match upstream {
        Err(reason) => reason,
        Ok(mut upstream) => {
            // Forward each read as soon as it arrives, as the peers wrote it.
            let _ = client.set_nodelay(true);
            let _ = upstream.set_nodelay(true);
            let (mut client_read, mut client_write) = client.split();
            let (mut upstream_read, mut upstream_write) = upstream.split();
            let side = |dir| Side {
                conn,
                dir,
                opened,
                printer,
                out: &out,
            };
            let (c_side, s_side) = (
                side(Direction::ClientToServer),
                side(Direction::ServerToClient),
            );
            let up = pump(&mut client_read, &mut upstream_write, &mut c2s, &c_side);
            let down = pump(&mut upstream_read, &mut client_write, &mut s2c, &s_side);
            let mut up = std::pin::pin!(up);
            let mut down = std::pin::pin!(down);
            let (mut up_done, mut down_done) = (false, false);
            let mut order = Vec::new();
            loop {
                tokio::select! {
                    r = &mut up, if !up_done => {
                        up_done = true;
                        match r {
                            Ok(()) => order.push("client closed"),
                            Err(e) => break failure("client", "upstream", e),
                        }
                    }
                    r = &mut down, if !down_done => {
                        down_done = true;
                        match r {
                            Ok(()) => order.push("server closed"),
                            Err(e) => break failure("upstream", "client", e),
                        }
                    }
                    _ = stop.wait_for(|stop| *stop) => break "tap shut down".to_string(),
                }
                if up_done && down_done {
                    break order.join(", then ");
                }
            }
        }
    };
    // Whatever is left in a decoder is a frame the connection ended inside.
    let mut events = Vec::new();
    for (analyser, dir) in [
        (&mut c2s, Direction::ClientToServer),
        (&mut s2c, Direction::ServerToClient),
    ] {
        if !analyser.is_ended() && analyser.totals().bytes > 0 {
            analyser.end(&mut events);
            let place = Place {
                conn: Some(conn),
                dir: Some(dir),
                t: Some(opened.elapsed()),
            };
            printer.events(&mut text, &place, &events);
            events.clear();
        }
    }
    printer.close(
        &mut text,
        conn,
        opened.elapsed(),
        &reason,
        &c2s.totals(),
        &s2c.totals(),
    );
    let _ = out.send(text).await;
}

/// The close reason for an error on one direction: `from` is the side it
/// reads, `to` the side it writes.
fn failure(from: &str, to: &str, e: PumpError) -> String {
    let (who, e) = match e {
        PumpError::Read(e) => (from, e),
        PumpError::Write(e) => (to, e),
    };
    match e.kind() {
        io::ErrorKind::ConnectionReset => format!("{who} reset the connection, closed both"),
        io::ErrorKind::BrokenPipe => format!("{who} went away, closed both"),
        _ => format!("{who} connection failed: {e}, closed both"),
    }
}
