//! End-to-end echo over loopback TCP: messages per second through four echo
//! servers, driven by one and the same client.
//!
//! Run: `cargo bench --bench echo` (about a minute); one group:
//! `cargo bench --bench echo -- echo/16conns/window1024`.
//!
//! The servers, all answering 4-byte big-endian length-prefixed frames:
//!
//! - `framewise`: framewise's [`EchoServer`] with the `length` codec (the
//!   library API, as `framewise serve echo --codec length` runs it);
//! - `tokio_send_each`: tokio-util's `Framed` with `LengthDelimitedCodec`,
//!   `send` (so a flush) per reply, what most tutorials write;
//! - `tokio_feed_flush_idle`: the same `Framed`, replies queued with `feed`
//!   and flushed once no whole frame is left in the read buffer;
//! - `raw_copy`: `tokio::io::copy` from the socket to itself, no framing at
//!   all: the ceiling.
//!
//! Every server sets `TCP_NODELAY` on its connections (framewise does it
//! itself; the accept loop of the others does it for them), so none is
//! helped or hurt by Nagle's algorithm.
//!
//! The client is the same for all four: N connections, each sending the
//! same pre-encoded stream of 64-byte frames (68 bytes on the wire) with at
//! most K frames in flight, reading the echo as raw bytes and comparing every
//! byte with what was sent (a framed echo re-encodes the same header, so the
//! echo is byte-identical for every variant). An iteration is `MESSAGES`
//! frames in all, spread over the connections; it fails (panics) unless
//! every byte came back, in order, within [`ROUND_LIMIT`]. The [`CASES`]:
//! 16 connections with K = 1024 (a pipelining client, 68 KiB in flight per
//! connection: the target of the issue); 1 connection; and 16 connections
//! with K = 64, where round trips rather than framing bound everyone.
//!
//! Runtimes: the servers run on one multi-thread runtime, the client on
//! another, both with tokio's default worker count (one per core: 2 on the
//! 2-core machine of `BENCHMARKS.md`), in this process. That is how
//! `framewise serve` runs, and the layout of the figures in
//! `shared/ANCHORS.md` (client and server on the same cores). With one worker
//! per side the ceiling and tokio-util's echoes lose 10-35% and framewise
//! about 1%, so the ratios would flatter framewise.

use std::future::Future;
use std::hint::black_box;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use framewise::net::{EchoServer, Endpoint};
use futures::{SinkExt, StreamExt};
use tokio::io::Interest;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio_util::codec::{Decoder, Framed, LengthDelimitedCodec};

/// Payload bytes per frame.
const SIZE: usize = 64;

/// Bytes per frame on the wire: a 4-byte length, then the payload.
const WIRE_FRAME: usize = SIZE + 4;

/// The measured cases: (connections, frames in flight per connection). The
/// client writes only while fewer than that many frames are unanswered.
const CASES: [(usize, usize); 3] = [(16, 1024), (1, 1024), (16, 64)];

/// Frames per iteration, over all connections.
const MESSAGES: usize = 32 * 1024;

/// The longest one iteration may take before the bench gives up (a lost
/// reply must fail the bench, not hang it).
const ROUND_LIMIT: Duration = Duration::from_secs(30);

/// The four servers, in the order they are measured.
#[derive(Debug, Clone, Copy)]
enum Variant {
    Framewise,
    TokioSendEach,
    TokioFeedFlushIdle,
    RawCopy,
}

impl Variant {
    const ALL: [Variant; 4] = [
        Variant::Framewise,
        Variant::TokioSendEach,
        Variant::TokioFeedFlushIdle,
        Variant::RawCopy,
    ];

    fn name(self) -> &'static str {
        match self {
            Variant::Framewise => "framewise",
            Variant::TokioSendEach => "tokio_send_each",
            Variant::TokioFeedFlushIdle => "tokio_feed_flush_idle",
            Variant::RawCopy => "raw_copy",
        }
    }

    /// Starts this server on `rt` on an ephemeral loopback port.
    fn start(self, rt: &Runtime) -> SocketAddr {
        match self {
            Variant::Framewise => rt.block_on(async {
                let server = EchoServer::new(framewise::LengthPrefixed::new())
                    .bind(&[Endpoint::Tcp(SocketAddr::from(([127, 0, 0, 1], 0)))])
                    .await
                    .expect("bind the framewise echo server");
                let addr = server.tcp_addrs()[0];
                // Runs until the runtime is dropped at the end of the bench.
                tokio::spawn(server.run(std::future::pending()));
                addr
            }),
            Variant::TokioSendEach => serve(rt, send_each),
            Variant::TokioFeedFlushIdle => serve(rt, feed_flush_idle),
            Variant::RawCopy => serve(rt, raw_copy),
        }
    }
}

/// Accepts connections on an ephemeral loopback port, each served by
/// `handler` in its own task.
fn serve<F, Fut>(rt: &Runtime, handler: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = rt
        .block_on(TcpListener::bind(("127.0.0.1", 0)))
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    rt.spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(handler(stream));
        }
    });
    addr
}

/// The tutorial echo: `send` flushes every reply, one write per frame.
async fn send_each(stream: TcpStream) {
    let mut framed = Framed::new(stream, LengthDelimitedCodec::new());
    while let Some(Ok(frame)) = framed.next().await {
        if framed.send(frame.freeze()).await.is_err() {
            return;
        }
    }
}

/// The careful tokio-util echo: replies queued with `feed`, every whole frame
/// already in the read buffer answered, then one flush.
async fn feed_flush_idle(stream: TcpStream) {
    let mut framed = Framed::new(stream, LengthDelimitedCodec::new());
    while let Some(Ok(frame)) = framed.next().await {
        let mut next = Some(frame);
        while let Some(frame) = next {
            if framed.feed(frame.freeze()).await.is_err() {
                return;
            }
            // Decode straight from the read buffer: no socket read, so `None`
            // means no whole frame is left. (`Framed` lends its codec and its
            // buffer one at a time; moving the buffer out and back is free.)
            let mut buf = std::mem::take(framed.read_buffer_mut());
            let decoded = framed.codec_mut().decode(&mut buf);
            *framed.read_buffer_mut() = buf;
            next = match decoded {
                Ok(next) => next,
                Err(_) => return,
            };
        }
        if SinkExt::<Bytes>::flush(&mut framed).await.is_err() {
            return;
        }
    }
}

/// The ceiling: bytes copied back as they come, no framing.
async fn raw_copy(mut stream: TcpStream) {
    let (mut rd, mut wr) = stream.split();
    let _ = tokio::io::copy(&mut rd, &mut wr).await;
}

/// One client connection and its scratch buffer.
struct Client {
    stream: TcpStream,
    buf: Box<[u8]>,
}

/// The frames one connection sends per iteration, encoded once: 4-byte
/// big-endian lengths and payloads that differ from frame to frame.
fn wire(frames: usize) -> Bytes {
    let mut codec = LengthDelimitedCodec::new();
    let mut wire = BytesMut::with_capacity(frames * WIRE_FRAME);
    for i in 0..frames {
        let payload: Vec<u8> = (0..SIZE).map(|j| b'a' + ((i + j) % 26) as u8).collect();
        tokio_util::codec::Encoder::encode(&mut codec, Bytes::from(payload), &mut wire)
            .expect("encode");
    }
    assert_eq!(wire.len(), frames * WIRE_FRAME);
    wire.freeze()
}

/// Sends `wire` over `client` with at most `window` frames in flight and
/// reads the echo back, checking every byte; returns the frames echoed.
async fn round(client: &mut Client, wire: &[u8], window: usize) -> io::Result<usize> {
    let window = window * WIRE_FRAME;
    let (mut sent, mut received) = (0, 0);
    while received < wire.len() {
        let room = (received + window).min(wire.len()) - sent;
        let interest = match room {
            0 => Interest::READABLE,
            _ => Interest::READABLE | Interest::WRITABLE,
        };
        let ready = client.stream.ready(interest).await?;
        if ready.is_readable() {
            match client.stream.try_read(&mut client.buf) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    let expected = wire.get(received..received + n);
                    if expected != Some(&client.buf[..n]) {
                        return Err(io::Error::other(format!(
                            "echo differs from what was sent at byte {received}"
                        )));
                    }
                    received += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        if room > 0 && ready.is_writable() {
            match client.stream.try_write(&wire[sent..sent + room]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(received / WIRE_FRAME)
}

/// Runs `iters` iterations over `clients` (all connections at once, each in
/// its own task); returns the time taken.
async fn run_iters(clients: &mut Vec<Client>, wire: &Bytes, window: usize, iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let tasks: Vec<_> = clients
            .drain(..)
            .map(|mut client| {
                let wire = wire.clone();
                tokio::spawn(async move {
                    let echoed =
                        tokio::time::timeout(ROUND_LIMIT, round(&mut client, &wire, window))
                            .await
                            .expect("an iteration timed out: replies were lost")
                            .expect("echo failed");
                    (client, echoed)
                })
            })
            .collect();
        let mut echoed = 0;
        for task in tasks {
            let (client, n) = task.await.expect("client task");
            echoed += n;
            clients.push(client);
        }
        assert_eq!(echoed, MESSAGES, "every frame echoed");
        black_box(echoed);
    }
    start.elapsed()
}

fn runtime(name: &str) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .thread_name(name)
        .enable_all()
        .build()
        .expect("a runtime")
}

fn echo(c: &mut Criterion) {
    let servers = runtime("echo-server");
    let client_rt = runtime("echo-client");
    let addrs: Vec<(Variant, SocketAddr)> = Variant::ALL
        .iter()
        .map(|&v| (v, v.start(&servers)))
        .collect();
    for (conns, window) in CASES {
        let per_conn = MESSAGES / conns;
        let wire = wire(per_conn);
        let mut g = c.benchmark_group(format!("echo/{conns}conns/window{window}"));
        // Flat: the same number of iterations in every sample, so the slow
        // flush-per-reply server needs only ten iterations.
        g.sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3))
            .throughput(Throughput::Elements(MESSAGES as u64));
        for &(variant, addr) in &addrs {
            let mut clients = client_rt.block_on(async {
                let mut clients = Vec::with_capacity(conns);
                for _ in 0..conns {
                    let stream = TcpStream::connect(addr).await.expect("connect");
                    stream.set_nodelay(true).expect("nodelay");
                    clients.push(Client {
                        stream,
                        buf: vec![0; 64 * 1024].into_boxed_slice(),
                    });
                }
                clients
            });
            g.bench_function(variant.name(), |b| {
                b.iter_custom(|iters| {
                    client_rt.block_on(run_iters(&mut clients, &wire, window, iters))
                })
            });
            // Closing the connections ends their server tasks.
            drop(clients);
        }
        g.finish();
    }
    client_rt.shutdown_timeout(Duration::from_secs(1));
    servers.shutdown_timeout(Duration::from_secs(1));
}

criterion_group!(benches, echo);
criterion_main!(benches);
