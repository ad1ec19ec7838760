//! A load generator for echo servers: many connections, pipelined frames,
//! every reply checked, round-trip latency percentiles.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::UdpSocket;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::codec::{Decoder, Encoder, FramedRead};
use tokio_util::udp::UdpFramed;

use super::connect::{self, ClientSocket};
use super::histogram::Histogram;
use super::{ConnectError, Datagram, Endpoint};
use crate::{AnyCodec, Error, FixedLength};

/// Replies counted locally before they are added to the shared progress
/// counter, so connections on different threads do not contend on it for
/// every frame.
const PROGRESS_EVERY: u64 = 64;

/// How many per-connection errors a report keeps word for word.
const MAX_ERRORS: usize = 8;

/// A load test against an echo server: `conns` connections each send
/// `frames` frames of `size` bytes, with up to `pipeline` frames in flight
/// per connection, and check that every reply is the frame that was sent.
///
/// Over TCP and Unix sockets the replies of a connection come back in
/// order, so each reply is matched with the oldest frame in flight; over
/// UDP each frame is one datagram, and a datagram with no reply within the
/// loss timeout is counted lost (so a lost datagram frees its window slot
/// instead of stalling the connection).
///
/// The payload of each frame is made of ASCII letters and digits, different
/// for every frame and connection (it starts with the frame's number), so a
/// reply that is altered, reordered, duplicated or meant for another
/// connection does not match. Before connecting, the payloads are checked to
/// survive a round trip through the codec (a `fixed:N` codec needs `size` =
/// N, a codec limit must fit `size`, ...).
///
/// With the `raw` codec over a stream (no frame boundaries of its own), the
/// replies are cut into pieces of `size` bytes and matched the same way.
///
/// # Examples
///
/// ```
/// use framewise::net::{Bench, EchoServer, Endpoint};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = EchoServer::new(framewise::LengthPrefixed::new())
///     .bind(&[Endpoint::Tcp("127.0.0.1:0".parse()?)])
///     .await?;
/// let endpoint = server.endpoints()[0].clone();
/// tokio::spawn(server.run(std::future::pending()));
///
/// let report = Bench::new(endpoint, framewise::LengthPrefixed::new())
///     .conns(4)
///     .frames(100)
///     .size(64)
///     .pipeline(8)
///     .run()
///     .await?;
/// assert!(report.is_ok(), "{report}");
/// assert_eq!((report.sent, report.received, report.mismatches), (400, 400, 0));
/// assert!(report.latency.p50 <= report.latency.p99);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Bench {
    endpoint: Endpoint,
    codec: AnyCodec,
    conns: usize,
    frames: u64,
    size: usize,
    pipeline: usize,
    timeout: Duration,
    loss_timeout: Duration,
    progress: Option<Arc<AtomicU64>>,
}

impl Bench {
    /// A load test of the echo server at `endpoint`, speaking `codec`: by
    /// default 1 connection, 1000 frames of 64 bytes, 1 frame in flight, a
    /// 60 s timeout and a 1 s UDP loss timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::net::{Bench, Endpoint};
    ///
    /// let bench = Bench::new(Endpoint::Tcp("127.0.0.1:7007".parse()?), "lines".parse::<framewise::AnyCodec>()?)
    ///     .conns(16)
    ///     .frames(10_000)
    ///     .pipeline(32);
    /// assert_eq!(bench.total_frames(), 160_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(endpoint: Endpoint, codec: impl Into<AnyCodec>) -> Self {
        Bench {
            endpoint,
            codec: codec.into(),
            conns: 1,
            frames: 1000,
            size: 64,
            pipeline: 1,
            timeout: Duration::from_secs(60),
            loss_timeout: Duration::from_secs(1),
            progress: None,
        }
    }

    /// Connections (UDP: sockets) at once, each sending its own frames.
    ///
    /// # Examples
    ///
    /// See [`Bench::new`].
    pub fn conns(mut self, n: usize) -> Self {
        self.conns = n;
        self
    }

    /// Frames each connection sends.
    ///
    /// # Examples
    ///
    /// See [`Bench::new`].
    pub fn frames(mut self, n: u64) -> Self {
        self.frames = n;
        self
    }

    /// Payload bytes per frame (before framing).
    ///
    /// # Examples
    ///
    /// See [`Bench`].
    pub fn size(mut self, bytes: usize) -> Self {
        self.size = bytes;
        self
    }

    /// At most `k` frames in flight per connection: a connection sends a
    /// frame only while fewer than `k` are unanswered (1: one request, one
    /// reply, then the next).
    ///
    /// # Examples
    ///
    /// See [`Bench::new`].
    pub fn pipeline(mut self, k: usize) -> Self {
        self.pipeline = k;
        self
    }

    /// The whole test, connecting included, stops after `after` even if
    /// frames are still unanswered (the report then says it timed out).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use framewise::net::{Bench, Endpoint};
    ///
    /// let bench = Bench::new(Endpoint::Udp("127.0.0.1:7007".parse()?), "raw".parse::<framewise::AnyCodec>()?)
    ///     .timeout(Duration::from_secs(10))
    ///     .loss_timeout(Duration::from_millis(200));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn timeout(mut self, after: Duration) -> Self {
        self.timeout = after;
        self
    }

    /// Over UDP, a datagram with no reply after `after` is counted lost.
    /// Ignored over TCP and Unix sockets, which do not lose frames.
    ///
    /// # Examples
    ///
    /// See [`Bench::timeout`].
    pub fn loss_timeout(mut self, after: Duration) -> Self {
        self.loss_timeout = after;
        self
    }

    /// A counter the test adds to as frames are settled (answered or
    /// lost), for a progress display; it ends at [`total_frames`](Self::total_frames)
    /// when every frame was.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, atomic::AtomicU64};
    /// use framewise::net::{Bench, Endpoint};
    ///
    /// let done = Arc::new(AtomicU64::new(0));
    /// let bench = Bench::new(Endpoint::Tcp("127.0.0.1:7007".parse()?), "lines".parse::<framewise::AnyCodec>()?)
    ///     .progress(done.clone());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn progress(mut self, counter: Arc<AtomicU64>) -> Self {
        self.progress = Some(counter);
        self
    }

    /// Frames sent in all when every connection sends all of its frames.
    ///
    /// # Examples
    ///
    /// See [`Bench::new`].
    pub fn total_frames(&self) -> u64 {
        self.frames.saturating_mul(self.conns as u64)
    }

    /// Connects every connection, runs the test and reports what happened.
    ///
    /// Problems with single connections once the test runs (a reset, a
    /// server that closes early) and mismatched replies do not make this
    /// fail: they are in the report, and [`BenchReport::is_ok`] tells
    /// whether all went well.
    ///
    /// # Examples
    ///
    /// See [`Bench`].
    ///
    /// # Errors
    ///
    /// [`BenchError::Settings`] if a setting is zero or the frames cannot
    /// be carried by the codec, [`BenchError::Connect`] if a connection
    /// cannot be made or connecting takes longer than the timeout.
    pub async fn run(&self) -> Result<BenchReport, BenchError> {
        self.check()?;
        let deadline = Instant::now() + self.timeout;
        let shared = Arc::new(Shared {
            codec: self.codec.clone(),
            reply_codec: self.reply_codec()?,
            frames: self.frames,
            size: self.size,
            pipeline: self.pipeline,
            loss_timeout: self.loss_timeout,
            deadline,
            progress: self.progress.clone(),
        });
        let mut sockets = Vec::with_capacity(self.conns);
        for _ in 0..self.conns {
            sockets.push(connect::connect(&self.endpoint, deadline, self.timeout).await?);
        }
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for (id, socket) in sockets.into_iter().enumerate() {
            tasks.spawn(run_connection(socket, id as u64, shared.clone()));
        }
        let mut outcomes = Vec::with_capacity(self.conns);
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(outcome) => outcomes.push(outcome),
                // Not expected: a panic in a connection task is a bug here.
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        }
        outcomes.sort_by_key(|o| o.id);
        Ok(self.report(outcomes, start))
    }

    fn check(&self) -> Result<(), BenchError> {
        let zero = [
            (self.conns == 0, "a bench needs at least 1 connection"),
            (
                self.frames == 0,
                "a bench needs at least 1 frame per connection",
            ),
            (
                self.pipeline == 0,
                "a bench needs at least 1 frame in flight per connection",
            ),
        ];
        if let Some((_, why)) = zero.iter().find(|(bad, _)| *bad) {
            return Err(BenchError::Settings(why.to_string()));
        }
        Ok(())
    }

    /// The codec the replies are read with, after checking that a few
    /// frames survive a round trip through the codec.
    fn reply_codec(&self) -> Result<AnyCodec, BenchError> {
        let udp = matches!(self.endpoint, Endpoint::Udp(_));
        let mut reply: AnyCodec = match (self.codec.is_raw(), udp) {
            (true, false) => FixedLength::new(self.size)
                .map_err(|e| {
                    BenchError::Settings(format!("frames of {} bytes with raw: {e}", self.size))
                })?
                .into(),
            _ => self.codec.clone(),
        };
        let unfit = |e: Error| {
            BenchError::Settings(format!(
                "frames of {} bytes cannot be sent with codec {}: {e}",
                self.size, self.codec
            ))
        };
        let not_itself = || {
            unfit(Error::Unencodable {
                reason: "a frame does not decode back to itself".into(),
            })
        };
        let mut payload = vec![0; self.size];
        let mut wire = BytesMut::new();
        for seq in [0, 1, self.frames.saturating_sub(1)] {
            fill(&mut payload, 0, seq);
            wire.clear();
            if udp {
                // One datagram, written and read the way the test will.
                let mut datagram = Datagram::new(self.codec.clone());
                datagram.encode(&payload[..], &mut wire).map_err(unfit)?;
                let frame = datagram.decode_eof(&mut wire).map_err(unfit)?;
                if frame.as_deref() != Some(&payload[..]) {
                    return Err(not_itself());
                }
            } else {
                self.codec
                    .clone()
                    .encode(&payload[..], &mut wire)
                    .map_err(unfit)?;
                let frame = reply.decode(&mut wire).map_err(unfit)?;
                if frame.as_deref() != Some(&payload[..]) || !wire.is_empty() {
                    return Err(not_itself());
                }
            }
        }
        Ok(reply)
    }

    fn report(&self, outcomes: Vec<Outcome>, start: Instant) -> BenchReport {
        let mut latency = Histogram::default();
        let mut report = BenchReport {
            endpoint: self.endpoint.clone(),
            codec: self.codec.to_string(),
            conns: self.conns,
            frames: self.frames,
            size: self.size,
            pipeline: self.pipeline,
            sent: 0,
            received: 0,
            mismatches: 0,
            unanswered: 0,
            payload_bytes: 0,
            elapsed: Duration::ZERO,
            latency: Latency::default(),
            timed_out: false,
            errors: Vec::new(),
            first_mismatch: None,
        };
        let mut last = start;
        for o in outcomes {
            report.sent += o.sent;
            report.received += o.received;
            report.mismatches += o.mismatches;
            report.unanswered += o.sent.saturating_sub(o.answered);
            report.payload_bytes += o.payload_bytes;
            report.timed_out |= o.timed_out;
            if report.first_mismatch.is_none() {
                report.first_mismatch = o.first_mismatch;
            }
            if let Some(e) = o.error
                && report.errors.len() < MAX_ERRORS
            {
                report.errors.push(format!("connection {}: {e}", o.id));
            }
            latency.merge(&o.latency);
            last = last.max(o.finished);
        }
        report.elapsed = last - start;
        report.latency = Latency {
            p50: latency.quantile(0.50),
            p99: latency.quantile(0.99),
            max: latency.max(),
        };
        report
    }
}

/// Round-trip times of the frames that were answered: from the moment a
/// frame is handed to the socket to the moment its reply is decoded.
///
/// Percentiles are within 1% (HdrHistogram-style buckets, each reported by
/// its upper end, capped at the maximum), so `p50 <= p99 <= max` always
/// holds. All zero when no frame was answered.
///
/// # Examples
///
/// ```
/// let latency = framewise::net::Latency::default();
/// assert!(latency.p50 <= latency.p99 && latency.p99 <= latency.max);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Latency {
    /// The median.
    pub p50: Duration,
    /// The 99th percentile.
    pub p99: Duration,
    /// The longest.
    pub max: Duration,
}

/// What a [`Bench`] run did. `Display` gives the summary that `framewise
/// bench` prints.
///
/// # Examples
///
/// See [`Bench`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BenchReport {
    /// Where the load went.
    pub endpoint: Endpoint,
    /// The codec spec.
    pub codec: String,
    /// Connections (UDP: sockets).
    pub conns: usize,
    /// Frames each connection was to send.
    pub frames: u64,
    /// Payload bytes per frame.
    pub size: usize,
    /// Frames in flight per connection, at most.
    pub pipeline: usize,
    /// Frames sent, over all connections.
    pub sent: u64,
    /// Reply frames received, matching or not.
    pub received: u64,
    /// Replies that are not what was sent: altered, reordered, or answering
    /// no frame in flight. Over UDP the frame such a reply should have
    /// answered is later counted unanswered as well.
    pub mismatches: u64,
    /// Frames sent that got no matching reply: lost datagrams over UDP;
    /// over TCP and Unix sockets, frames still in flight when their
    /// connection failed or the timeout passed.
    pub unanswered: u64,
    /// Payload bytes of the replies received.
    pub payload_bytes: u64,
    /// From the first frame sent to the last reply (or the stop).
    pub elapsed: Duration,
    /// Round-trip times of the answered frames.
    pub latency: Latency,
    /// Whether the timeout stopped the test before every frame was settled.
    pub timed_out: bool,
    /// What went wrong with connections that failed, one line each (the
    /// first few).
    pub errors: Vec<String>,
    /// The first mismatched reply, described.
    pub first_mismatch: Option<String>,
}

impl BenchReport {
    /// Replies received per second.
    ///
    /// # Examples
    ///
    /// See [`Bench`].
    pub fn msgs_per_sec(&self) -> f64 {
        per_sec(self.received as f64, self.elapsed)
    }

    /// Megabytes (10^6 bytes) of reply payload per second: the payload
    /// throughput in each direction.
    ///
    /// # Examples
    ///
    /// See [`Bench`].
    pub fn mb_per_sec(&self) -> f64 {
        per_sec(self.payload_bytes as f64, self.elapsed) / 1e6
    }

    /// Whether the server passed: every reply matched, no connection
    /// failed, the timeout did not pass, and every frame was answered (over
    /// UDP, where datagrams may be lost: at least one was).
    ///
    /// # Examples
    ///
    /// See [`Bench`].
    pub fn is_ok(&self) -> bool {
        let answered = self.sent - self.unanswered;
        let lossy = matches!(self.endpoint, Endpoint::Udp(_));
        self.mismatches == 0
            && self.errors.is_empty()
            && !self.timed_out
            && (self.unanswered == 0 || (lossy && answered > 0))
    }

    /// One line on why [`is_ok`](Self::is_ok) is false, `None` when it is
    /// true.
    ///
    /// # Examples
    ///
    /// See [`Bench`].
    pub fn failure(&self) -> Option<String> {
        if self.is_ok() {
            return None;
        }
        let mut why = Vec::new();
        if self.mismatches > 0 {
            why.push(format!(
                "{} of {} replies did not match what was sent",
                self.mismatches, self.received
            ));
        }
        if !self.errors.is_empty() {
            why.push(format!("{} connection(s) failed", self.errors.len()));
        }
        if self.timed_out {
            why.push(format!(
                "timed out after {:.1} s",
                self.elapsed.as_secs_f64()
            ));
        }
        if self.unanswered > 0 {
            why.push(format!(
                "{} of {} frames unanswered",
                self.unanswered, self.sent
            ));
        }
        Some(why.join(", "))
    }
}

fn per_sec(n: f64, elapsed: Duration) -> f64 {
    match elapsed.as_secs_f64() {
        0.0 => 0.0,
        secs => n / secs,
    }
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        writeln!(
            f,
            "{}, codec {}: {} connection(s) x {} frames of {} bytes, {} in flight each",
            self.endpoint, self.codec, self.conns, self.frames, self.size, self.pipeline
        )?;
        writeln!(
            f,
            "frames:   sent {}, received {}, mismatched {}, unanswered {}",
            self.sent, self.received, self.mismatches, self.unanswered
        )?;
        writeln!(f, "time:     {:.3} s", self.elapsed.as_secs_f64())?;
        writeln!(
            f,
            "rate:     {:.0} msgs/s, {:.2} MB/s of payload each way",
            self.msgs_per_sec(),
            self.mb_per_sec()
        )?;
        write!(
            f,
            "latency:  p50 {:.1} us, p99 {:.1} us, max {:.1} us",
            us(self.latency.p50),
            us(self.latency.p99),
            us(self.latency.max)
        )?;
        if let Some(m) = &self.first_mismatch {
            write!(f, "\nfirst mismatch: {m}")?;
        }
        for e in &self.errors {
            write!(f, "\nerror: {e}")?;
        }
        if self.timed_out {
            write!(f, "\nstopped by the timeout")?;
        }
        Ok(())
    }
}

/// Why a [`Bench`] could not run. `Display` gives one line.
///
/// # Examples
///
/// ```
/// use framewise::net::{Bench, BenchError, Endpoint};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let bench = Bench::new(Endpoint::Tcp("127.0.0.1:7007".parse()?), "fixed:8".parse::<framewise::AnyCodec>()?).size(64);
/// let err = bench.run().await.unwrap_err();
/// assert!(matches!(err, BenchError::Settings(_)), "{err}");
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum BenchError {
    /// A setting is out of range, or the frames cannot be carried by the
    /// codec (a `fixed:N` codec and another size, a limit below the size,
    /// a payload the codec refuses).
    Settings(String),
    /// A connection could not be made, or not within the timeout.
    Connect(ConnectError),
}

impl From<ConnectError> for BenchError {
    fn from(e: ConnectError) -> Self {
        BenchError::Connect(e)
    }
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BenchError::Settings(why) => f.write_str(why),
            BenchError::Connect(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for BenchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // Displayed as the `ConnectError` itself: its cause is next.
            BenchError::Connect(e) => std::error::Error::source(e),
            _ => None,
        }
    }
}

/// Fills `payload` with the bytes of frame `seq` of connection `conn`: the
/// frame number in hex (lowest digit first, so even short frames differ),
/// a separator and the connection number, then letters that shift with the
/// frame number. ASCII letters and digits only, so line and delimiter
/// codecs carry it.
fn fill(payload: &mut [u8], conn: u64, seq: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut tag = [0u8; 24];
    let mut n = seq;
    for b in &mut tag[..16] {
        *b = HEX[(n & 15) as usize];
        n >>= 4;
    }
    tag[16] = b'z';
    let mut c = conn;
    for b in &mut tag[17..] {
        *b = HEX[(c & 15) as usize];
        c >>= 4;
    }
    let head = payload.len().min(tag.len());
    payload[..head].copy_from_slice(&tag[..head]);
    let shift = (seq % 26) as usize;
    for (i, b) in payload[head..].iter_mut().enumerate() {
        *b = b'A' + ((i + shift) % 26) as u8;
    }
}

/// What every connection of a run shares.
#[derive(Debug)]
struct Shared {
    codec: AnyCodec,
    /// What the replies are decoded with: the codec, or `fixed:size` for
    /// `raw` over a stream.
    reply_codec: AnyCodec,
    frames: u64,
    size: usize,
    pipeline: usize,
    loss_timeout: Duration,
    deadline: Instant,
    progress: Option<Arc<AtomicU64>>,
}

/// Runs one connection of the test to its end (or the deadline).
async fn run_connection(socket: ClientSocket, id: u64, shared: Arc<Shared>) -> Outcome {
    let mut tally = Tally::new(id, &shared);
    // Counted by the writer while the reader updates `tally`; read here
    // also when the timeout has cut both short.
    let sent = AtomicU64::new(0);
    let work = async {
        match socket {
            ClientSocket::Tcp(s) => stream(s, id, &shared, &sent, &mut tally).await,
            #[cfg(unix)]
            ClientSocket::Unix(s) => stream(s, id, &shared, &sent, &mut tally).await,
            ClientSocket::Udp(s) => datagrams(s, id, &shared, &sent, &mut tally).await,
        }
    };
    let error = match tokio::time::timeout_at(shared.deadline, work).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(_) => {
            tally.outcome.timed_out = true;
            None
        }
    };
    tally.outcome.sent = sent.load(Ordering::Relaxed);
    tally.finish(error)
}

/// What one connection did.
#[derive(Debug)]
struct Outcome {
    id: u64,
    sent: u64,
    received: u64,
    /// Frames that got their reply: over a stream, every reply in its place
    /// (matching or not); over UDP, the matching ones.
    answered: u64,
    /// Over UDP, frames given up on after the loss timeout.
    lost: u64,
    mismatches: u64,
    payload_bytes: u64,
    latency: Histogram,
    timed_out: bool,
    error: Option<String>,
    first_mismatch: Option<String>,
    finished: Instant,
}

/// A connection's counts as it runs, and the scratch space to check replies.
struct Tally {
    outcome: Outcome,
    /// The payload the next reply should carry.
    expected: Vec<u8>,
    progress: Option<Arc<AtomicU64>>,
    /// Settled frames not yet added to `progress`.
    unreported: u64,
}

impl Tally {
    fn new(id: u64, shared: &Shared) -> Self {
        Tally {
            outcome: Outcome {
                id,
                sent: 0,
                received: 0,
                answered: 0,
                lost: 0,
                mismatches: 0,
                payload_bytes: 0,
                latency: Histogram::default(),
                timed_out: false,
                error: None,
                first_mismatch: None,
                finished: Instant::now(),
            },
            expected: vec![0; shared.size],
            progress: shared.progress.clone(),
            unreported: 0,
        }
    }

    /// Whether `reply` is frame `seq` of connection `conn`.
    fn matches(&mut self, conn: u64, seq: u64, reply: &[u8]) -> bool {
        fill(&mut self.expected, conn, seq);
        reply == &self.expected[..]
    }

    fn reply(&mut self, reply: &Bytes) {
        self.outcome.received += 1;
        self.outcome.payload_bytes += reply.len() as u64;
        self.outcome.finished = Instant::now();
    }

    fn answered(&mut self, sent_at: Instant) {
        self.outcome.answered += 1;
        self.outcome.latency.record(self.outcome.finished - sent_at);
        self.settled(1);
    }

    fn mismatch(&mut self, what: impl FnOnce() -> String) {
        self.outcome.mismatches += 1;
        if self.outcome.first_mismatch.is_none() {
            self.outcome.first_mismatch = Some(what());
        }
    }

    fn settled(&mut self, n: u64) {
        self.unreported += n;
        if self.unreported >= PROGRESS_EVERY {
            self.report_progress();
        }
    }

    fn report_progress(&mut self) {
        if let Some(p) = &self.progress {
            p.fetch_add(self.unreported, Ordering::Relaxed);
        }
        self.unreported = 0;
    }

    fn finish(mut self, error: Option<io::Error>) -> Outcome {
        self.report_progress();
        self.outcome.error = error.map(|e| e.to_string());
        if self.outcome.received == 0 {
            self.outcome.finished = Instant::now();
        }
        self.outcome
    }
}

/// Shows the start of a frame, for the report.
fn preview(bytes: &[u8]) -> String {
    const SHOW: usize = 32;
    let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(SHOW)]).into_owned();
    let more = if bytes.len() > SHOW { "..." } else { "" };
    format!("{} bytes {shown:?}{more}", bytes.len())
}

/// A connection's pipeline: a permit per frame it may still send, and the
/// frames in flight with their send times, oldest first, shared by the
/// writer (which takes permits and pushes) and the reader (which pops and
/// gives permits back).
struct Window {
    permits: Semaphore,
    in_flight: Mutex<VecDeque<(u64, Instant)>>,
}

impl Window {
    fn new(pipeline: usize) -> Self {
        Window {
            permits: Semaphore::new(pipeline),
            in_flight: Mutex::new(VecDeque::with_capacity(pipeline)),
        }
    }

    /// Waits for room for one more frame.
    async fn acquire(&self) -> io::Result<()> {
        self.permits
            .acquire()
            .await
            .map_err(|_| io::Error::other("window closed"))?
            .forget();
        Ok(())
    }

    /// Takes the room there is for up to `most` more frames, at once;
    /// returns how many.
    fn try_acquire_more(&self, most: u64) -> u64 {
        let more = (self.permits.available_permits() as u64).min(most);
        if more == 0 {
            return 0;
        }
        match self.permits.try_acquire_many(more as u32) {
            Ok(permits) => {
                permits.forget();
                more
            }
            Err(_) => 0,
        }
    }

    /// Frees the room of `n` frames answered or lost.
    fn release(&self, n: usize) {
        self.permits.add_permits(n);
    }

    fn in_flight(&self) -> std::sync::MutexGuard<'_, VecDeque<(u64, Instant)>> {
        // Nothing panics while holding it; if something did, the queue is
        // still consistent (every operation on it is a single push or pop).
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// One stream connection: a writer sending batches of frames as the window
/// allows, a reader matching replies in order, run together.
async fn stream<IO>(
    io: IO,
    id: u64,
    shared: &Shared,
    sent: &AtomicU64,
    tally: &mut Tally,
) -> io::Result<()>
where
    IO: AsyncRead + AsyncWrite,
{
    let (rd, wr) = tokio::io::split(io);
    let window = Window::new(shared.pipeline);
    let writer = write_stream(wr, id, shared, sent, &window);
    let reader = read_stream(rd, id, shared, tally, &window);
    tokio::try_join!(writer, reader).map(drop)
}

/// Sends the connection's frames in batches: each time the window has
/// room, as many frames as it has room for, in one write.
async fn write_stream<W>(
    mut wr: W,
    id: u64,
    shared: &Shared,
    sent: &AtomicU64,
    window: &Window,
) -> io::Result<()>
where
    W: AsyncWrite + Unpin,
{
    let mut codec = shared.codec.clone();
    let mut wire = BytesMut::new();
    let mut payload = vec![0; shared.size];
    let mut seq = 0;
    while seq < shared.frames {
        // One permit per frame; the reader gives one back per reply.
        window.acquire().await?;
        let batch = 1 + window.try_acquire_more(shared.frames - seq - 1);
        wire.clear();
        for s in seq..seq + batch {
            fill(&mut payload, id, s);
            codec
                .encode(&payload[..], &mut wire)
                .map_err(io::Error::from)?;
        }
        let now = Instant::now();
        window
            .in_flight()
            .extend((seq..seq + batch).map(|s| (s, now)));
        wr.write_all(&wire).await?;
        seq += batch;
        sent.store(seq, Ordering::Relaxed);
    }
    wr.flush().await
}

/// Matches the replies, in order, with the frames in flight.
async fn read_stream<R>(
    rd: R,
    id: u64,
    shared: &Shared,
    tally: &mut Tally,
    window: &Window,
) -> io::Result<()>
where
    R: AsyncRead + Unpin,
{
    let mut replies = FramedRead::new(rd, shared.reply_codec.clone());
    while tally.outcome.answered < shared.frames {
        let reply = match replies.next().await {
            Some(Ok(reply)) => reply,
            Some(Err(e)) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("bad reply from the server: {e}"),
                ));
            }
            None => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the server closed the connection after {} replies",
                        tally.outcome.received
                    ),
                ));
            }
        };
        tally.reply(&reply);
        let Some((seq, sent_at)) = window.in_flight().pop_front() else {
            tally.mismatch(|| format!("connection {id}: a reply to no frame: {}", preview(&reply)));
            continue;
        };
        // Replies come back in order: this one answers the oldest frame in
        // flight, whatever it says.
        if !tally.matches(id, seq, &reply) {
            let expected = preview(&tally.expected);
            tally.mismatch(|| {
                format!(
                    "connection {id}, frame {seq}: sent {expected}, got {}",
                    preview(&reply)
                )
            });
        }
        tally.answered(sent_at);
        window.release(1);
    }
    Ok(())
}

/// One UDP socket: a writer sending one datagram per frame as the window
/// allows, a reader matching replies with the frames in flight and counting
/// the ones with no reply after the loss timeout as lost.
async fn datagrams(
    socket: UdpSocket,
    id: u64,
    shared: &Shared,
    sent: &AtomicU64,
    tally: &mut Tally,
) -> io::Result<()> {
    let socket = Arc::new(socket);
    let window = Window::new(shared.pipeline);
    let writer = write_datagrams(&socket, id, shared, sent, &window);
    let reader = read_datagrams(&socket, id, shared, tally, &window);
    tokio::try_join!(writer, reader).map(drop)
}

/// Sends the connection's frames, one datagram each, as the window allows.
async fn write_datagrams(
    socket: &UdpSocket,
    id: u64,
    shared: &Shared,
    sent: &AtomicU64,
    window: &Window,
) -> io::Result<()> {
    let mut codec = Datagram::new(shared.codec.clone());
    let mut wire = BytesMut::new();
    let mut payload = vec![0; shared.size];
    for seq in 0..shared.frames {
        window.acquire().await?;
        fill(&mut payload, id, seq);
        wire.clear();
        codec
            .encode(&payload[..], &mut wire)
            .map_err(io::Error::from)?;
        window.in_flight().push_back((seq, Instant::now()));
        socket.send(&wire).await?;
        sent.store(seq + 1, Ordering::Relaxed);
    }
    Ok(())
}

/// Matches reply datagrams with the frames in flight, and counts the frames
/// with no reply after the loss timeout as lost, until every frame is
/// settled.
async fn read_datagrams(
    socket: &Arc<UdpSocket>,
    id: u64,
    shared: &Shared,
    tally: &mut Tally,
    window: &Window,
) -> io::Result<()> {
    let mut replies = UdpFramed::new(socket.clone(), Datagram::new(shared.codec.clone()));
    while tally.outcome.answered + tally.outcome.lost < shared.frames {
        let oldest = window.in_flight().front().map(|&(_, at)| at);
        // Nothing in flight yet: look again after a while.
        let expires = oldest.unwrap_or_else(Instant::now) + shared.loss_timeout;
        tokio::select! {
            biased;
            reply = replies.next() => match reply {
                Some(Ok((reply, _))) => settle_reply(id, &reply, tally, window),
                Some(Err(Error::Io(e))) => return Err(e),
                Some(Err(e)) => {
                    tally.outcome.received += 1;
                    tally.mismatch(|| format!("connection {id}: a reply that does not decode: {e}"));
                }
                None => return Err(io::Error::other("the socket closed")),
            },
            error = connect::socket_error(socket) => return Err(error),
            () = tokio::time::sleep_until(expires) => settle_lost(shared, tally, window),
        }
    }
    Ok(())
}

/// Settles the frame in flight that a reply datagram answers: usually the
/// oldest; a lost or reordered datagram puts it further on.
fn settle_reply(id: u64, reply: &Bytes, tally: &mut Tally, window: &Window) {
    tally.reply(reply);
    let mut queue = window.in_flight();
    let at = queue
        .iter()
        .position(|&(seq, _)| tally.matches(id, seq, reply));
    let answered = at.and_then(|i| queue.remove(i));
    drop(queue);
    match answered {
        Some((_, sent_at)) => {
            tally.answered(sent_at);
            window.release(1);
        }
        None => tally.mismatch(|| {
            format!(
                "connection {id}: a datagram matching no frame in flight: {}",
                preview(reply)
            )
        }),
    }
}

/// Counts the frames in flight for longer than the loss timeout as lost.
fn settle_lost(shared: &Shared, tally: &mut Tally, window: &Window) {
    let now = Instant::now();
    let mut queue = window.in_flight();
    let mut n = 0;
    while queue
        .front()
        .is_some_and(|&(_, at)| at + shared.loss_timeout <= now)
    {
        queue.pop_front();
        n += 1;
    }
    drop(queue);
    tally.outcome.lost += n;
    tally.settled(n);
    window.release(n as usize);
}
