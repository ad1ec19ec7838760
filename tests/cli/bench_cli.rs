//! The load generator (`framewise::net::Bench` and `framewise bench`) against
//! framewise's echo server and against deliberately wrong servers, over
//! loopback TCP, a Unix socket and UDP, with small counts.

#![cfg(feature = "cli")]

use std::net::SocketAddr;
use std::process::Output;
use std::time::Duration;

use crate::support::net::{STEP, bounded, codec, spawn};
use bytes::Bytes;
use framewise::net::{Bench, BenchReport, EchoServer, Endpoint};
use futures::{SinkExt, StreamExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio_util::codec::{Framed, LengthDelimitedCodec};

const LOOPBACK: &str = "127.0.0.1:0";

/// An echo server of framewise on `endpoint`, running in the background.
async fn echo(spec: &str, endpoint: Endpoint) -> crate::support::net::Running {
    let server = EchoServer::new(codec(spec))
        .bind(&[endpoint])
        .await
        .expect("bind the echo server");
    spawn(server)
}

fn tcp() -> Endpoint {
    Endpoint::Tcp(LOOPBACK.parse().unwrap())
}

fn udp() -> Endpoint {
    Endpoint::Udp(LOOPBACK.parse().unwrap())
}

/// Runs `bench`, bounded in time.
async fn run(bench: Bench) -> BenchReport {
    bounded("bench run", bench.run()).await.expect("bench runs")
}

/// The report of a clean run of `conns` x `frames` frames of `size` bytes.
fn assert_clean(report: &BenchReport, conns: u64, frames: u64, size: u64) {
    let all = conns * frames;
    assert_eq!(
        (
            report.sent,
            report.received,
            report.mismatches,
            report.unanswered
        ),
        (all, all, 0, 0),
        "{report}"
    );
    assert_eq!(report.payload_bytes, all * size);
    assert!(report.errors.is_empty() && !report.timed_out, "{report}");
    assert!(report.is_ok() && report.failure().is_none(), "{report}");
    let l = report.latency;
    assert!(l.p50 > Duration::ZERO, "{report}");
    assert!(l.p50 <= l.p99 && l.p99 <= l.max, "{l:?}");
    assert!(report.elapsed > Duration::ZERO && report.msgs_per_sec() > 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_tcp_counts_every_frame_and_orders_latencies() {
    let server = echo("length", tcp()).await;
    let bench = Bench::new(server.endpoints[0].clone(), codec("length"))
        .conns(4)
        .frames(300)
        .size(64)
        .pipeline(16);
    assert_eq!(bench.total_frames(), 1200);
    let report = run(bench).await;
    assert_clean(&report, 4, 300, 64);
    let stats = server.stop().await;
    assert_eq!(
        (stats.connections, stats.frames_in, stats.frames_out),
        (4, 1200, 1200)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_tcp_one_in_flight_and_text_codecs() {
    // pipeline 1: request, reply, request...; lines and a delimiter codec
    // carry the payloads as they are.
    for spec in ["lines", "delim:\\r\\n", "cobs", "length:varint"] {
        let server = echo(spec, tcp()).await;
        let report = run(Bench::new(server.endpoints[0].clone(), codec(spec))
            .conns(2)
            .frames(50)
            .size(100)
            .pipeline(1))
        .await;
        assert_clean(&report, 2, 50, 100);
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_tcp_raw_codec_cuts_replies_by_size() {
    let server = echo("raw", tcp()).await;
    let report = run(Bench::new(server.endpoints[0].clone(), codec("raw"))
        .conns(3)
        .frames(200)
        .size(10)
        .pipeline(32))
    .await;
    assert_clean(&report, 3, 200, 10);
    server.stop().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_unix_socket() {
    let path = crate::support::net::socket_path("bench");
    let server = echo("length", Endpoint::Unix(path.clone())).await;
    let report = run(Bench::new(Endpoint::Unix(path), codec("length"))
        .conns(3)
        .frames(200)
        .size(32)
        .pipeline(8))
    .await;
    assert_clean(&report, 3, 200, 32);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_udp_raw_and_framed_datagrams() {
    for spec in ["raw", "length"] {
        let server = echo(spec, udp()).await;
        let report = run(Bench::new(server.endpoints[0].clone(), codec(spec))
            .conns(3)
            .frames(100)
            .size(64)
            .pipeline(4))
        .await;
        assert_clean(&report, 3, 100, 64);
        let stats = server.stop().await;
        assert_eq!(stats.frames_in, 300);
    }
}

/// A length-prefixed TCP echo that reverses every third frame of each
/// connection (frames 0, 3, 6, ...): replies stay framed, but wrong.
async fn altering_tcp_server() -> SocketAddr {
    let listener = TcpListener::bind(LOOPBACK).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut framed = Framed::new(stream, LengthDelimitedCodec::new());
                let mut i = 0u64;
                while let Some(Ok(frame)) = framed.next().await {
                    let mut reply = frame.to_vec();
                    if i.is_multiple_of(3) {
                        reply.reverse();
                    }
                    i += 1;
                    if framed.send(Bytes::from(reply)).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_counts_altered_replies_as_mismatches() {
    let addr = altering_tcp_server().await;
    let report = run(Bench::new(Endpoint::Tcp(addr), codec("length"))
        .conns(2)
        .frames(30)
        .size(64)
        .pipeline(4))
    .await;
    // 10 of every connection's 30 frames came back reversed; each still
    // answered its frame, so none is unanswered.
    assert_eq!(
        (
            report.sent,
            report.received,
            report.mismatches,
            report.unanswered
        ),
        (60, 60, 20, 0),
        "{report}"
    );
    assert!(!report.is_ok());
    let why = report.failure().expect("a failure");
    assert!(why.contains("20 of 60 replies did not match"), "{why}");
    let first = report.first_mismatch.as_deref().expect("described");
    assert!(first.contains("frame 0"), "{first}");
}

/// A UDP echo that drops every `drop_every`-th datagram and reverses every
/// `alter_every`-th (0: never).
async fn lossy_udp_server(drop_every: u64, alter_every: u64) -> SocketAddr {
    let socket = UdpSocket::bind(LOOPBACK).await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = vec![0; 65536];
        let mut i = 0u64;
        while let Ok((n, peer)) = socket.recv_from(&mut buf).await {
            i += 1;
            let datagram = &mut buf[..n];
            if drop_every > 0 && i.is_multiple_of(drop_every) {
                continue;
            }
            if alter_every > 0 && i.is_multiple_of(alter_every) {
                datagram.reverse();
            }
            let _ = socket.send_to(datagram, peer).await;
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_udp_counts_lost_datagrams_and_does_not_hang() {
    let addr = lossy_udp_server(5, 0).await;
    // One socket, so the server's count is this connection's count: 20 of
    // the 100 datagrams are dropped.
    let report = run(Bench::new(Endpoint::Udp(addr), codec("raw"))
        .conns(1)
        .frames(100)
        .size(64)
        .pipeline(8)
        .loss_timeout(Duration::from_millis(100)))
    .await;
    assert_eq!(
        (
            report.sent,
            report.received,
            report.mismatches,
            report.unanswered
        ),
        (100, 80, 0, 20),
        "{report}"
    );
    // Lost datagrams are counted, not a failure of the server.
    assert!(report.is_ok(), "{report}");
    assert!(report.elapsed < STEP);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_udp_counts_altered_datagrams() {
    let addr = lossy_udp_server(0, 4).await;
    let report = run(Bench::new(Endpoint::Udp(addr), codec("raw"))
        .conns(1)
        .frames(40)
        .size(64)
        .pipeline(4)
        .loss_timeout(Duration::from_millis(100)))
    .await;
    // Every 4th datagram comes back reversed: it matches no frame in
    // flight, and its frame is then given up on.
    assert_eq!(
        (
            report.sent,
            report.received,
            report.mismatches,
            report.unanswered
        ),
        (40, 40, 10, 10),
        "{report}"
    );
    assert!(!report.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_stops_at_the_timeout_when_the_server_never_answers() {
    let listener = TcpListener::bind(LOOPBACK).await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Accepts and reads, never replies.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let report = run(Bench::new(Endpoint::Tcp(addr), codec("length"))
        .conns(2)
        .frames(10)
        .pipeline(4)
        .timeout(Duration::from_millis(300)))
    .await;
    assert!(report.timed_out, "{report}");
    assert_eq!(
        (report.sent, report.received, report.unanswered),
        (8, 0, 8),
        "{report}"
    );
    assert!(!report.is_ok());
}

#[tokio::test]
async fn bench_refuses_frames_the_codec_cannot_carry() {
    let endpoint = tcp(); // never connected to: the check comes first
    for (spec, size) in [
        ("fixed:8", 64),
        ("length:u8", 300),
        ("lines,max=10", 64),
        ("raw", 0),
    ] {
        let err = Bench::new(endpoint.clone(), codec(spec))
            .size(size)
            .run()
            .await
            .unwrap_err();
        assert!(
            matches!(err, framewise::net::BenchError::Settings(_)),
            "{spec}: {err}"
        );
    }
    let err = Bench::new(endpoint, codec("lines"))
        .pipeline(0)
        .run()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "a bench needs at least 1 frame in flight per connection"
    );
}

#[tokio::test]
async fn bench_connect_failure_is_an_error() {
    // A port that was free a moment ago: nothing listens there.
    let addr = TcpListener::bind(LOOPBACK)
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let err = Bench::new(Endpoint::Tcp(addr), codec("lines"))
        .run()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("cannot connect to tcp {addr}")),
        "{err}"
    );
}

// --- The real binary ---------------------------------------------------------

/// Runs `framewise ARGS...` to completion, bounded in time.
async fn framewise(args: &[&str]) -> Output {
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_framewise"))
        .args(args)
        .kill_on_drop(true)
        .output();
    bounded("framewise subprocess", child)
        .await
        .expect("run framewise")
}

/// The four counts of the report's `frames:` line.
fn counts(stdout: &str) -> [u64; 4] {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("frames:"))
        .unwrap_or_else(|| panic!("no frames line in {stdout:?}"));
    // frames:   sent N, received N, mismatched N, unanswered N
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    numbers
        .try_into()
        .unwrap_or_else(|n| panic!("{n:?} in {line:?}"))
}

/// p50, p99 and max of the report's `latency:` line, in microseconds.
fn latencies(stdout: &str) -> [f64; 3] {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("latency:"))
        .unwrap_or_else(|| panic!("no latency line in {stdout:?}"));
    // latency:  p50 12.3 us, p99 45.6 us, max 78.9 us
    let numbers: Vec<f64> = line
        .split([' ', ','])
        .filter_map(|s| s.parse::<f64>().ok())
        .collect();
    numbers
        .try_into()
        .unwrap_or_else(|n| panic!("{n:?} in {line:?}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs the binary with `args`, expecting a clean report of `all` frames.
async fn binary_clean(args: &[&str], all: u64) {
    let out = framewise(args).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{args:?}: {stdout}\n{stderr}");
    assert_eq!(counts(&stdout), [all, all, 0, 0], "{stdout}");
    let [p50, p99, max] = latencies(&stdout);
    assert!(p50 > 0.0 && p50 <= p99 && p99 <= max, "{stdout}");
    assert!(
        stdout.contains("msgs/s") && stdout.contains("MB/s"),
        "{stdout}"
    );
    // Not a terminal: no progress bar.
    assert!(!stderr.contains("frames,"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_bench_over_tcp_unix_and_udp() {
    let server = echo("length", tcp()).await;
    let addr = server.tcp().to_string();
    #[rustfmt::skip]
    binary_clean(&["bench", "--connect", &addr, "--codec", "length",
        "--conns", "3", "--frames", "200", "--size", "64", "--pipeline", "8"], 600).await;
    server.stop().await;

    #[cfg(unix)]
    {
        let path = crate::support::net::socket_path("bench-bin");
        let server = echo("lines", Endpoint::Unix(path.clone())).await;
        let p = path.to_str().unwrap();
        #[rustfmt::skip]
        binary_clean(&["bench", "--unix", p, "--conns", "2", "--frames", "100", "--size", "20"], 200).await;
        server.stop().await;
    }

    let server = echo("raw", udp()).await;
    let addr = server.udp().to_string();
    #[rustfmt::skip]
    binary_clean(&["bench", "--udp", "--connect", &addr, "--conns", "2", "--frames", "100",
        "--pipeline", "4", "--loss-timeout", "0.5"], 200).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_bench_exits_non_zero_on_mismatches() {
    let addr = altering_tcp_server().await.to_string();
    #[rustfmt::skip]
    let out = framewise(&["bench", "--connect", &addr, "--codec", "length",
        "--conns", "1", "--frames", "9", "--pipeline", "3"]).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert_eq!(counts(&stdout), [9, 9, 3, 0], "{stdout}");
    assert!(
        stdout.contains("first mismatch: connection 0, frame 0"),
        "{stdout}"
    );
    assert!(
        stderr.contains("framewise: error: 3 of 9 replies did not match what was sent"),
        "{stderr}"
    );
}

#[tokio::test]
async fn binary_bench_errors_and_help() {
    let out = framewise(&["bench", "--codec", "fixed:8", "--size", "64"]).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr
            .starts_with("framewise: error: frames of 64 bytes cannot be sent with codec fixed:8"),
        "{stderr}"
    );

    let out = framewise(&["bench", "--conns", "0"]).await;
    assert!(!out.status.success());

    let out = framewise(&["bench", "--help"]).await;
    let help = text(&out.stdout);
    assert!(out.status.success());
    assert!(
        help.contains("Examples:\n  framewise serve echo --codec length &"),
        "{help}"
    );
    assert!(
        help.contains("framewise bench --codec length --conns 16"),
        "{help}"
    );
}
