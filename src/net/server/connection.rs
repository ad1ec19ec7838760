//! One stream connection (TCP or Unix): the connection loop that reads
//! bytes, answers every whole frame and writes the replies in batches, and
//! the polite close.

use std::fmt;
use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, Sleep};
use tokio_util::codec::Decoder;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use super::Config;
use super::listen::Accepted;
use super::reply;
use super::stats::{FrameCounts, SharedStats};
use crate::{AnyCodec, Error};

/// How long a closing connection may take to send its last frames and to
/// drain what the client is still sending. Closing a socket with unread
/// input makes the kernel send a reset, which can destroy replies the client
/// has not read yet; draining first (a "lingering close") avoids that.
const LINGER: Duration = Duration::from_secs(2);

/// The read buffer and write threshold a connection starts with (what
/// tokio-util's `Framed` starts with).
const INITIAL_BUFFER: usize = 8 * 1024;

/// A batch of this many frames or more means the client pipelines: its
/// connection gets [`PIPELINE_BUFFER`]-sized buffers.
const PIPELINE_BATCH: usize = 8;

/// The read buffer and write threshold of a pipelining connection. 8 KiB
/// caps a read (and a write) at about 120 frames of 64 bytes; 64 KiB cuts
/// the system calls per frame by 8, which is most of what separates a
/// framed echo from a raw byte copy. Connections that send one request at a
/// time keep the 8 KiB.
const PIPELINE_BUFFER: usize = 64 * 1024;

/// A stream socket with its codec and its two buffers (what tokio-util's
/// `Framed` holds, opened up so that the batch loop can decode from one
/// buffer and encode into the other without awaiting per frame).
struct Wire<IO> {
    io: IO,
    codec: AnyCodec,
    /// Bytes read and not yet decoded.
    input: BytesMut,
    /// Encoded replies not yet written.
    output: BytesMut,
    /// Once `output` holds this much, it is written before more frames are
    /// answered; also the size both buffers are kept at.
    boundary: usize,
    /// The client has closed its side: what is left in `input` is decoded
    /// with `decode_eof`, and nothing more will be read.
    eof: bool,
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Wire<IO> {
    fn new(io: IO, codec: AnyCodec) -> Self {
        Wire {
            io,
            codec,
            input: BytesMut::with_capacity(INITIAL_BUFFER),
            output: BytesMut::with_capacity(INITIAL_BUFFER),
            boundary: INITIAL_BUFFER,
            eof: false,
        }
    }

    /// The next whole frame in the input, if any: the one place where a
    /// connection decodes frames.
    #[inline]
    fn decode(&mut self) -> Result<Option<Bytes>, Error> {
        match self.eof {
            false => self.codec.decode(&mut self.input),
            true => self.codec.decode_eof(&mut self.input),
        }
    }

    /// Reads what the client sent next into the input; sets `eof` when the
    /// client has closed its side.
    async fn read(&mut self) -> io::Result<()> {
        // Room for at least one byte, so that a read of 0 means end of input.
        self.input.reserve(1);
        let n = self.io.read_buf(&mut self.input).await?;
        self.eof = n == 0;
        Ok(())
    }

    /// Queues `reply` (or an `error:` frame in its place) for writing.
    #[inline]
    fn encode(&mut self, reply: Bytes, refused: impl FnOnce(&Error)) -> Result<(), Error> {
        reply::encode_reply(&mut self.codec, reply, &mut self.output, refused)
    }

    /// Whether the queued replies have reached the write threshold.
    #[inline]
    fn is_full(&self) -> bool {
        self.output.len() >= self.boundary
    }

    /// Writes every queued reply, then flushes the socket.
    async fn flush(&mut self) -> io::Result<()> {
        while !self.output.is_empty() {
            if self.io.write_buf(&mut self.output).await? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "failed to write frame to transport",
                ));
            }
        }
        self.io.flush().await
    }

    /// Switches to the larger buffers of a pipelining client.
    fn grow(&mut self) {
        if self.boundary < PIPELINE_BUFFER {
            self.boundary = PIPELINE_BUFFER;
            self.input
                .reserve(PIPELINE_BUFFER.saturating_sub(self.input.len()));
        }
    }

    /// Moves the start of both buffers back to the front of their
    /// allocations after a batch, so the next read and the next replies land
    /// in memory the last batch just used.
    ///
    /// A `BytesMut` consumed from the front only moves its start forward, and
    /// reuses its front only once the end of the allocation is reached; so
    /// each connection's reads and writes sweep its whole 64 KiB buffers in
    /// turn. With many pipelining connections that is megabytes swept (16
    /// connections x 128 KiB = 2 MiB), more than a core's cache, where an
    /// 8 KiB copy loop stays in L1. Nothing is copied when a buffer is empty,
    /// and a partial frame is moved only when it is short.
    fn rewind(&mut self) {
        /// Longest partial frame worth moving to rewind the read buffer.
        const MOVE_AT_MOST: usize = 256;
        let size = self.boundary;
        if self.output.is_empty() && self.output.capacity() < size {
            // Reuses the allocation in place (the flush left nothing in it).
            self.output.reserve(size);
        }
        // Every frame of the batch has been dropped by now, so the buffer is
        // not shared and `reserve` reuses it rather than allocating.
        if self.input.len() <= MOVE_AT_MOST && self.input.capacity() < size {
            self.input.reserve(size - self.input.len());
        }
    }

    /// Closes the connection politely, within [`LINGER`]: the last frame if
    /// any, pending replies flushed, our side shut down, then (with `drain`)
    /// the client's remaining input read and discarded until it closes too.
    async fn goodbye(&mut self, last: Option<Bytes>, drain: bool) {
        let close = async {
            if let Some(last) = last {
                if self.is_full() && self.flush().await.is_err() {
                    return;
                }
                // A codec that cannot frame the message (`fixed:4`, a limit
                // shorter than the message) sends none: the close says enough.
                if let Err(e) =
                    tokio_util::codec::Encoder::encode(&mut self.codec, last, &mut self.output)
                {
                    debug!("cannot frame the error message: {e}");
                }
            }
            if self.flush().await.is_err() || self.io.shutdown().await.is_err() || !drain {
                return;
            }
            let mut scratch = [0u8; 4096];
            while let Ok(1..) = self.io.read(&mut scratch).await {}
        };
        let _ = tokio::time::timeout(LINGER, close).await;
    }
}

/// Tells a client the server is full (`max` connections open), then closes.
pub(super) async fn refuse(stream: Accepted, codec: AnyCodec, max: usize) {
    let last = Some(reply::server_full(max));
    match stream {
        Accepted::Tcp(s, _) => Wire::new(s, codec).goodbye(last, true).await,
        #[cfg(unix)]
        Accepted::Unix(s, _) => Wire::new(s, codec).goodbye(last, true).await,
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
            End::BadFrame(e) => Some(reply::error_frame(e)),
            End::Idle(d) => Some(reply::error_frame(format_args!(
                "idle for {} s, closing",
                d.as_secs_f64()
            ))),
            _ => None,
        }
    }

    /// Whether the client may still be sending, so that closing should
    /// drain its input (not after end of input).
    fn should_drain(&self) -> bool {
        !matches!(self, End::Eof | End::BadFrame(Error::Truncated { .. }))
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

/// Where [`ConnectionTask::answer`] stopped.
enum Step {
    /// No whole frame is left in the read buffer.
    Drained,
    /// The replies reached the write threshold: flush, then go on.
    Full,
    /// The connection should end.
    End(End),
}

/// The idle timeout of a connection: how long it may go without a whole
/// frame, and the timer running out.
struct IdleTimer {
    after: Duration,
    sleep: Pin<Box<Sleep>>,
}

impl IdleTimer {
    fn new(after: Duration) -> Self {
        IdleTimer {
            after,
            sleep: Box::pin(tokio::time::sleep(after)),
        }
    }

    /// Starts the wait afresh: a whole frame has arrived.
    fn reset(&mut self) {
        self.sleep.as_mut().reset(Instant::now() + self.after);
    }

    /// Resolves with the timeout when it passes.
    async fn expired(&mut self) -> Duration {
        self.sleep.as_mut().await;
        self.after
    }
}

/// Resolves with the timeout when it passes; never without one.
async fn expired(idle: &mut Option<IdleTimer>) -> Duration {
    match idle {
        Some(timer) => timer.expired().await,
        None => std::future::pending().await,
    }
}

/// One stream connection's task.
pub(super) struct ConnectionTask {
    pub(super) id: u64,
    pub(super) config: Arc<Config>,
    pub(super) stats: Arc<SharedStats>,
    /// Cancelled when the server shuts down (a child token, so waiting on it
    /// touches only this connection's lock).
    pub(super) token: CancellationToken,
}

impl ConnectionTask {
    /// Serves an accepted connection to its end, logging its opening and
    /// closing and adding its counts to the server's.
    pub(super) async fn serve(self, stream: Accepted) {
        let peer = stream.peer();
        let service = self.config.service.name();
        info!(service, conn = self.id, %peer, "connection opened");
        let mut n = FrameCounts::default();
        let end = match stream {
            Accepted::Tcp(s, _) => {
                // Replies are already batched into one write per burst of
                // frames; Nagle's algorithm would only add delay to them.
                let _ = s.set_nodelay(true);
                self.run(s, &mut n).await
            }
            #[cfg(unix)]
            Accepted::Unix(s, _) => self.run(s, &mut n).await,
        };
        self.stats.add(&n);
        info!(
            service,
            conn = self.id,
            %peer,
            frames_in = n.frames_in,
            frames_out = n.frames_out,
            "connection closed: {end}"
        );
    }

    /// Runs the connection loop over `io`, then closes it politely.
    async fn run<IO>(&self, io: IO, n: &mut FrameCounts) -> End
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let mut wire = Wire::new(io, self.config.codec.clone());
        let end = self.connection_loop(&mut wire, n).await;
        if matches!(end, End::Io(_)) {
            return end;
        }
        let farewell = end.farewell();
        if farewell.is_some() {
            n.frames_out += 1;
        }
        wire.goodbye(farewell, end.should_drain()).await;
        end
    }

    /// The connection loop: the greeting, then, until the connection should
    /// end, every whole frame in the read buffer answered and the replies
    /// written, and more input read.
    async fn connection_loop<IO>(&self, wire: &mut Wire<IO>, n: &mut FrameCounts) -> End
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        if let Err(end) = self.greet(wire, n).await {
            return end;
        }
        // The idle deadline is reset whenever a whole frame arrives, so a
        // client that trickles bytes without finishing a frame (slowloris) is
        // closed as well as a silent one.
        let mut idle = self.config.idle_timeout.map(IdleTimer::new);
        let mut cancelled = pin!(self.token.cancelled());
        loop {
            if let Some(end) = self.batch(wire, n, &mut idle).await {
                return end;
            }
            if wire.eof {
                return End::Eof;
            }
            tokio::select! {
                biased;
                () = &mut cancelled => return End::Shutdown,
                after = expired(&mut idle) => return End::Idle(after),
                read = wire.read() => if let Err(e) = read {
                    return End::Io(e);
                },
            }
        }
    }

    /// Sends the greeting, if the service has one.
    async fn greet<IO>(&self, wire: &mut Wire<IO>, n: &mut FrameCounts) -> Result<(), End>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let Some(greeting) = self.config.service.greeting() else {
            return Ok(());
        };
        wire.encode(greeting.clone(), |e| self.log_refusal(e))
            .map_err(End::Unframable)?;
        n.frames_out += 1;
        wire.flush().await.map_err(End::Io)
    }

    /// Replies to every whole frame in the read buffer, then flushes once.
    ///
    /// This is the hot path of a pipelining client, so it awaits nothing per
    /// frame: [`answer`](Self::answer) decodes each frame straight from the
    /// read buffer and encodes its reply straight into the write buffer.
    /// The socket is written when no whole frame is left, or when the
    /// replies pass the write threshold. A client that stops reading its
    /// replies stalls these writes: that counts as idle too.
    async fn batch<IO>(
        &self,
        wire: &mut Wire<IO>,
        n: &mut FrameCounts,
        idle: &mut Option<IdleTimer>,
    ) -> Option<End>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let mut frames = 0;
        let step = self.answer(wire, n, &mut frames);
        if frames == 0 {
            // Nothing answered, nothing to write.
            return match step {
                Step::End(end) => Some(end),
                Step::Drained | Step::Full => None,
            };
        }
        match idle {
            Some(timer) => {
                timer.reset();
                tokio::select! {
                    biased;
                    end = self.finish_batch(wire, n, step, frames) => end,
                    after = timer.expired() => Some(End::Idle(after)),
                }
            }
            None => self.finish_batch(wire, n, step, frames).await,
        }
    }

    /// Goes on from `step` until no whole frame is left, writing the
    /// replies whenever they pass the write threshold, then flushes.
    async fn finish_batch<IO>(
        &self,
        wire: &mut Wire<IO>,
        n: &mut FrameCounts,
        mut step: Step,
        mut frames: usize,
    ) -> Option<End>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        loop {
            match step {
                Step::Drained => break,
                Step::Full => {
                    if let Err(e) = wire.flush().await {
                        return Some(End::Io(e));
                    }
                }
                Step::End(end) => return Some(end),
            }
            step = self.answer(wire, n, &mut frames);
        }
        if frames >= PIPELINE_BATCH {
            wire.grow();
        }
        match wire.flush().await {
            Ok(()) => {
                wire.rewind();
                None
            }
            Err(e) => Some(End::Io(e)),
        }
    }

    /// Answers the whole frames in the read buffer, encoding the replies
    /// into the write buffer, until no whole frame is left, the replies
    /// reach the write threshold, or the connection should end. `frames`
    /// counts the frames.
    #[inline]
    fn answer<IO>(&self, wire: &mut Wire<IO>, n: &mut FrameCounts, frames: &mut usize) -> Step
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let max = self.config.codec.max_frame_len();
        loop {
            let frame = match wire.decode() {
                Ok(Some(frame)) => frame,
                Ok(None) => return Step::Drained,
                Err(e) => return Step::End(End::from_error(e)),
            };
            n.frames_in += 1;
            *frames += 1;
            if self.config.service.is_quit(&frame) {
                return Step::End(End::Quit);
            }
            let reply = self.config.service.reply(frame, max);
            if let Err(e) = wire.encode(reply, |e| self.log_refusal(e)) {
                return Step::End(End::Unframable(e));
            }
            n.frames_out += 1;
            if wire.is_full() {
                return Step::Full;
            }
        }
    }

    fn log_refusal(&self, refusal: &Error) {
        debug!(conn = self.id, "reply refused by the codec: {refusal}");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll};

    use tokio::io::{DuplexStream, ReadBuf};
    use tokio_util::codec::Encoder;

    use super::super::reply::Service;
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

    fn echo_task(spec: &str) -> ConnectionTask {
        ConnectionTask {
            id: 1,
            config: Arc::new(Config::new(
                spec.parse::<AnyCodec>().unwrap(),
                Service::echo(),
            )),
            stats: Arc::default(),
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
        tokio::task::JoinHandle<(End, FrameCounts)>,
    ) {
        let (client, server_end) = tokio::io::duplex(1 << 20);
        let log = Arc::new(IoLog::default());
        let io = CountingIo {
            inner: server_end,
            log: log.clone(),
        };
        (client, log, spawn_echo(spec, io))
    }

    /// Runs an echo connection over `io` in a task that returns why it
    /// ended and its counts.
    fn spawn_echo<IO>(spec: &str, io: IO) -> tokio::task::JoinHandle<(End, FrameCounts)>
    where
        IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let task = echo_task(spec);
        tokio::spawn(async move {
            let mut n = FrameCounts::default();
            let end = task.run(io, &mut n).await;
            (end, n)
        })
    }

    /// `count` frames of the `length` codec, each a 60-digit number.
    fn length_frames(count: usize) -> BytesMut {
        let mut codec: AnyCodec = "length".parse().unwrap();
        let mut wire = BytesMut::new();
        for i in 0..count {
            codec
                .encode(format!("{i:060}").as_bytes(), &mut wire)
                .unwrap();
        }
        wire
    }

    #[tokio::test]
    async fn pipelined_frames_are_answered_with_one_write_per_read_not_per_frame() {
        const FRAMES: usize = 1000;
        let wire = length_frames(FRAMES);
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
        let wire = length_frames(FRAMES);
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
        let burst = length_frames(100);
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
        let server = spawn_echo("lines", server_end);
        for piece in [&b"hel"[..], b"lo\nwor", b"ld", b"\n"] {
            client.write_all(piece).await.unwrap();
            tokio::task::yield_now().await;
        }
        let mut replies = [0; 12];
        client.read_exact(&mut replies).await.unwrap();
        assert_eq!(&replies, b"hello\nworld\n");
        drop(client);
        let (end, n) = server.await.unwrap();
        assert!(matches!(end, End::Eof), "{end}");
        assert_eq!((n.frames_in, n.frames_out), (2, 2));
    }

    #[tokio::test]
    async fn a_frame_cut_by_the_end_of_input_gets_an_error_frame() {
        let (mut client, server_end) = tokio::io::duplex(64);
        let server = spawn_echo("length:u8", server_end);
        // "whole", then 2 of the 4 bytes announced.
        client.write_all(b"\x05whole\x04pa").await.unwrap();
        client.shutdown().await.unwrap();
        let mut replies = Vec::new();
        client.read_to_end(&mut replies).await.unwrap();
        let (end, n) = server.await.unwrap();
        assert!(
            matches!(end, End::BadFrame(Error::Truncated { .. })),
            "{end}"
        );
        let farewell = end.farewell().unwrap();
        assert!(farewell.starts_with(b"error: stream ended"), "{farewell:?}");
        let mut expected = b"\x05whole".to_vec();
        expected.push(farewell.len() as u8);
        expected.extend_from_slice(&farewell);
        assert_eq!(replies, expected);
        assert_eq!((n.frames_in, n.frames_out), (1, 2));
    }
}
