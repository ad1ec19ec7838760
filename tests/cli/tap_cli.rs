//! `framewise tap`, the real binary, between plain `std::net` clients and
//! `framewise serve echo` on loopback: bytes compared both ways, the `--json`
//! output parsed and matched against what was sent, bad frames, upstream
//! failures, 100 connections under `framewise bench`, UDP, and SIGTERM.

#![cfg(unix)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::Command;
use std::thread;
use std::time::Duration;

use crate::support::tap::{
    BIN, Json, Proc, STEP, check_reads_and_frames, events, select, wait_bounded,
};
use bytes::{Bytes, BytesMut};
use framewise::AnyCodec;
use tokio_util::codec::Encoder;

fn encode(spec: &str, payloads: &[&[u8]]) -> Vec<u8> {
    let mut codec: AnyCodec = spec.parse().unwrap();
    let mut wire = BytesMut::new();
    for p in payloads {
        codec.encode(Bytes::copy_from_slice(p), &mut wire).unwrap();
    }
    wire.to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(STEP)).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

/// Writes `wire` in the given pieces, pausing between them so the tap is
/// likely to see them as separate reads, then half-closes and reads the
/// whole reply.
fn exchange(addr: SocketAddr, wire: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut c = connect(addr);
    let mut at = 0;
    for &cut in cuts.iter().chain([&wire.len()]) {
        let cut = cut.min(wire.len());
        c.write_all(&wire[at..cut]).unwrap();
        at = cut;
        thread::sleep(Duration::from_millis(30));
    }
    c.shutdown(Shutdown::Write).unwrap();
    let mut reply = Vec::new();
    c.read_to_end(&mut reply).unwrap();
    reply
}

fn echo(codec: &str, extra: &[&str]) -> Proc {
    let mut args = vec!["serve", "echo", "--listen", "127.0.0.1:0", "--codec", codec];
    args.extend_from_slice(extra);
    Proc::start(&args)
}

fn start_tap(upstream: SocketAddr, extra: &[&str]) -> Proc {
    let upstream = upstream.to_string();
    let mut args = vec!["tap", "--listen", "127.0.0.1:0", "--upstream", &upstream];
    args.extend_from_slice(extra);
    Proc::start(&args)
}

/// Stops the tap with SIGTERM (it must exit 0) and returns its JSON events.
fn stop_json(tap: Proc) -> Vec<Json> {
    let (status, lines, logs) = tap.stop_all("TERM");
    assert_eq!(status.code(), Some(0), "{logs}");
    events(&lines)
}

#[test]
fn tap_every_codec_to_serve_echo_byte_exact_both_ways() {
    let long = vec![b'x'; 3000];
    let texts: [&[u8]; 4] = [b"hello", b"james", b"how are you?", &long];
    let fixed: [&[u8]; 3] = [b"abcdefgh", b"ijklmnop", b"qrstuvwx"];
    let binary: [&[u8]; 3] = [b"\x00\x01\x02", b"", b"zero\x00inside"];
    let cases: [(&str, &[&[u8]]); 9] = [
        ("lines", &texts),
        ("lines-crlf", &texts),
        ("delim:\\r\\n", &texts),
        ("length", &binary),
        ("length:u16le", &binary),
        ("length:varint", &binary),
        ("fixed:8", &fixed),
        ("cobs", &binary),
        ("raw", &texts),
    ];
    for (spec, payloads) in cases {
        let server = echo(spec, &[]);
        let mut tap = start_tap(server.addr(), &["--codec", spec, "--json"]);
        let wire = encode(spec, payloads);
        let reply = exchange(tap.addr(), &wire, &[3, 17]);
        assert_eq!(reply, wire, "{spec}: the reply is the bytes sent");
        tap.wait_for("\"event\":\"close\"", &mut Vec::new());
        let events = stop_json(tap);
        drop(server);

        let close = select(&events, "close", Some(1), None);
        assert_eq!(close.len(), 1, "{spec}");
        for dir in ["c2s", "s2c"] {
            let reads = select(&events, "read", Some(1), Some(dir));
            let units: Vec<&Json> = events
                .iter()
                .filter(|e| e.has("dir") && e.get("dir").str() == dir)
                .filter(|e| matches!(e.get("event").str(), "frame" | "error"))
                .collect();
            let read_bytes = check_reads_and_frames(&reads, &units);
            assert_eq!(read_bytes, wire.len() as u64, "{spec} {dir}");
            let totals = close[0].get(dir);
            assert_eq!(totals.get("bytes").u64(), wire.len() as u64, "{spec} {dir}");
            assert_eq!(totals.get("errors").u64(), 0, "{spec} {dir}");
            assert_eq!(
                select(&events, "eof", Some(1), Some(dir)).len(),
                1,
                "{spec} {dir}"
            );
            let frames = select(&events, "frame", Some(1), Some(dir));
            let payload: Vec<u8> = payloads.concat();
            if spec == "raw" {
                // Raw frames are whatever each read held.
                let total: u64 = frames.iter().map(|f| f.get("len").u64()).sum();
                assert_eq!(total, payload.len() as u64, "{spec} {dir}");
                continue;
            }
            assert_eq!(frames.len(), payloads.len(), "{spec} {dir}");
            for (f, p) in frames.iter().zip(payloads) {
                assert_eq!(f.get("len").u64(), p.len() as u64, "{spec} {dir}");
                assert_eq!(
                    f.get("preview_hex").str(),
                    hex(&p[..p.len().min(16)]),
                    "{spec}"
                );
                assert_eq!(f.get("preview_complete").bool(), p.len() <= 16, "{spec}");
            }
        }
    }
}

#[test]
fn tap_json_reads_match_the_writes() {
    let server = echo("length", &[]);
    let mut tap = start_tap(
        server.addr(),
        &["--codec", "length", "--json", "--preview", "4"],
    );
    let payloads: [&[u8]; 3] = [b"first", b"second", b"third frame"];
    let wire = encode("length", &payloads);
    // Writes: 2 bytes of a header; the rest of frame 1 + 3 bytes of frame 2;
    // the rest. The pauses make them separate reads at the tap.
    let reply = exchange(tap.addr(), &wire, &[2, 12]);
    assert_eq!(reply, wire);
    tap.wait_for("\"event\":\"close\"", &mut Vec::new());
    let events = stop_json(tap);

    let reads = select(&events, "read", Some(1), Some("c2s"));
    let summaries: Vec<&str> = reads.iter().map(|r| r.get("summary").str()).collect();
    assert_eq!(
        summaries,
        [
            "the first 2 bytes of frame 1",
            "the last 7 bytes of frame 1 + the first 3 bytes of frame 2",
            "the last 7 bytes of frame 2 + 1 whole frame (3)",
        ]
    );
    let lens: Vec<u64> = reads.iter().map(|r| r.get("len").u64()).collect();
    assert_eq!(lens, [2, 10, 22]);
    let parts: Vec<(u64, &str, &str, u64)> = reads[1]
        .get("held")
        .arr()
        .iter()
        .map(|p| {
            (
                p.get("index").u64(),
                p.get("part").str(),
                p.get("status").str(),
                p.get("len").u64(),
            )
        })
        .collect();
    assert_eq!(parts, [(1, "last", "good", 7), (2, "first", "pending", 3)]);
    let frames = select(&events, "frame", Some(1), Some("c2s"));
    let got: Vec<(u64, u64, u64, &str, &str)> = frames
        .iter()
        .map(|f| {
            (
                f.get("offset").u64(),
                f.get("wire_len").u64(),
                f.get("len").u64(),
                f.get("preview_hex").str(),
                f.get("preview_text").str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (0, 9, 5, "66697273", "firs"),
            (9, 10, 6, "7365636f", "seco"),
            (19, 15, 11, "74686972", "thir"),
        ]
    );
    for r in &reads {
        assert!(r.get("t").f64() >= 0.0);
    }
    let open = select(&events, "open", Some(1), None);
    assert_eq!(open[0].get("upstream").str(), server.addr().to_string());
    let close = select(&events, "close", Some(1), None);
    let c2s = close[0].get("c2s");
    assert_eq!(
        (
            c2s.get("bytes").u64(),
            c2s.get("reads").u64(),
            c2s.get("frames").u64(),
            c2s.get("payload_bytes").u64()
        ),
        (34, 3, 3, 22)
    );
    assert_eq!(
        close[0].get("reason").str(),
        "client closed, then server closed"
    );
}

#[test]
fn tap_reports_oversized_and_garbage_while_forwarding_them_byte_exact() {
    // A raw echo sends back exactly the bytes it got, bad frames included.
    let server = echo("raw", &[]);
    let mut tap = start_tap(server.addr(), &["--codec", "length:u8,max=8", "--json"]);
    let mut wire = vec![2, b'h', b'i', 10];
    wire.extend_from_slice(b"0123456789");
    wire.extend_from_slice(b"\x03abc");
    let reply = exchange(tap.addr(), &wire, &[6]);
    assert_eq!(reply, wire, "forwarded byte-exact");
    tap.wait_for("\"event\":\"close\"", &mut Vec::new());
    let events = stop_json(tap);
    for dir in ["c2s", "s2c"] {
        let units: Vec<String> = events
            .iter()
            .filter(|e| e.has("dir") && e.get("dir").str() == dir)
            .filter_map(|e| match e.get("event").str() {
                "frame" => Some(format!(
                    "frame {} {}",
                    e.get("index").u64(),
                    e.get("preview_text").str()
                )),
                "error" => Some(format!(
                    "error {} {} {} {}",
                    e.get("index").u64(),
                    e.get("kind").str(),
                    e.get("recoverable").bool(),
                    e.get("message").str()
                )),
                _ => None,
            })
            .collect();
        assert_eq!(
            units,
            [
                "frame 1 hi",
                "error 2 frame_too_long true frame of 11 bytes exceeds the limit of 8",
                "frame 3 abc",
            ],
            "{dir}"
        );
        let close = select(&events, "close", Some(1), None);
        assert_eq!(close[0].get(dir).get("errors").u64(), 1);
        assert_eq!(close[0].get(dir).get("frames").u64(), 2);
    }
    drop(server);

    // Garbage for lines: bytes that are not UTF-8.
    let server = echo("raw", &[]);
    let mut tap = start_tap(server.addr(), &["--codec", "lines", "--json"]);
    let wire = b"ok\n\xff\xfe garbage\nfine\n";
    assert_eq!(exchange(tap.addr(), wire, &[]), wire);
    tap.wait_for("\"event\":\"close\"", &mut Vec::new());
    let events = stop_json(tap);
    let errors = select(&events, "error", Some(1), Some("c2s"));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].get("kind").str(), "invalid_utf8");
    assert_eq!(
        (
            errors[0].get("offset").u64(),
            errors[0].get("wire_len").u64()
        ),
        (3, 11)
    );
    let frames = select(&events, "frame", Some(1), Some("c2s"));
    let texts: Vec<&str> = frames.iter().map(|f| f.get("preview_text").str()).collect();
    assert_eq!(texts, ["ok", "fine"]);
}

#[test]
fn tap_when_the_upstream_refuses_or_closes() {
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut tap = start_tap(port, &["--json"]);
    let mut c = connect(tap.addr());
    let mut buf = [0; 16];
    // Closed by the tap: end of stream (or a reset).
    assert!(matches!(c.read(&mut buf), Ok(0) | Err(_)));
    tap.wait_for("\"event\":\"close\"", &mut Vec::new());
    // The tap carries on: a second client gets the same.
    let mut c = connect(tap.addr());
    assert!(matches!(c.read(&mut buf), Ok(0) | Err(_)));
    tap.wait_for("\"conn\":2,\"t\"", &mut Vec::new());
    let events = stop_json(tap);
    let closes = select(&events, "close", None, None);
    assert_eq!(closes.len(), 2);
    for close in closes {
        let reason = close.get("reason").str();
        assert!(
            reason.starts_with(&format!("cannot connect to upstream {port}: ")),
            "{reason}"
        );
        assert_eq!(close.get("c2s").get("bytes").u64(), 0);
    }

    // An upstream that closes: the echo's quit word.
    let server = echo("lines", &["--quit", "bye"]);
    let mut tap = start_tap(server.addr(), &["--json"]);
    let mut c = connect(tap.addr());
    c.write_all(b"hi\nbye\n").unwrap();
    let mut reply = Vec::new();
    c.read_to_end(&mut reply).unwrap();
    assert_eq!(reply, b"hi\n", "the close is passed on");
    drop(c);
    tap.wait_for("\"event\":\"close\"", &mut Vec::new());
    let events = stop_json(tap);
    let close = select(&events, "close", Some(1), None);
    assert_eq!(
        close[0].get("reason").str(),
        "server closed, then client closed"
    );
    assert_eq!(close[0].get("s2c").get("frames").u64(), 1);
    assert_eq!(close[0].get("c2s").get("frames").u64(), 2);
    let eofs = select(&events, "eof", Some(1), None);
    let dirs: Vec<&str> = eofs.iter().map(|e| e.get("dir").str()).collect();
    assert_eq!(dirs, ["s2c", "c2s"]);
}

#[test]
fn tap_100_connections_under_bench_every_reply_verified() {
    let server = echo("length", &[]);
    let mut tap = start_tap(server.addr(), &["--codec", "length", "--quiet"]);
    let addr = tap.addr().to_string();
    let mut bench = Command::new(BIN)
        .args([
            "bench",
            "--connect",
            &addr,
            "--codec",
            "length",
            "--conns",
            "100",
            "--frames",
            "200",
            "--size",
            "64",
            "--pipeline",
            "8",
            "--timeout",
            "30",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_bounded(&mut bench);
    let mut report = String::new();
    bench
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut report)
        .unwrap();
    let mut errors = String::new();
    bench
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut errors)
        .unwrap();
    assert!(status.success(), "{report}\n{errors}");
    assert!(
        report.contains("frames:   sent 20000, received 20000, mismatched 0, unanswered 0"),
        "{report}"
    );
    let mut seen = Vec::new();
    while seen
        .iter()
        .filter(|l: &&String| l.contains(" close "))
        .count()
        < 100
    {
        tap.wait_for(" close ", &mut seen);
    }
    let (status, _, logs) = tap.stop("TERM");
    assert_eq!(status.code(), Some(0), "{logs}");
    // --quiet: only the totals, one line per connection, 200 frames each way.
    assert!(
        seen.iter()
            .all(|l| l.starts_with('#') && l.contains(" close ")),
        "{seen:?}"
    );
    for line in &seen {
        // 200 frames of 4 + 64 bytes each way.
        assert!(
            line.contains("(client closed, then server closed): c->s 13600 bytes in "),
            "{line}"
        );
        assert!(
            line.contains(", 200 frames; s->c 13600 bytes in "),
            "{line}"
        );
        assert!(line.ends_with(", 200 frames"), "{line}");
    }
}

#[test]
fn tap_udp_one_upstream_socket_per_client() {
    let server = Proc::start(&[
        "serve",
        "echo",
        "--udp",
        "--listen",
        "127.0.0.1:0",
        "--codec",
        "lines",
    ]);
    let mut tap = Proc::start(&[
        "tap",
        "--udp",
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &server.addr().to_string(),
        "--codec",
        "lines",
        "--json",
    ]);
    assert!(tap.first.contains("\"transport\":\"udp\""), "{}", tap.first);
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    for s in [&a, &b] {
        s.set_read_timeout(Some(STEP)).unwrap();
    }
    let mut buf = [0; 100];
    a.send_to(b"one\ntwo\n", tap.addr()).unwrap();
    // The echo answers each frame with a datagram of its own.
    let n = a.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"one\n");
    let n = a.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"two\n");
    b.send_to(b"three\n", tap.addr()).unwrap();
    let n = b.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"three\n");
    a.send_to(b"four\n", tap.addr()).unwrap();
    let n = a.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"four\n");
    let mut seen = Vec::new();
    tap.wait_for(
        "\"event\":\"frame\",\"conn\":1,\"dir\":\"s2c\",\"index\":3",
        &mut seen,
    );
    let events = stop_json(tap);
    let opens = select(&events, "open", None, None);
    assert_eq!(opens.len(), 2, "one session per client address");
    assert_eq!(
        opens[0].get("client").str(),
        a.local_addr().unwrap().to_string()
    );
    assert_eq!(
        opens[1].get("client").str(),
        b.local_addr().unwrap().to_string()
    );
    let datagrams = select(&events, "datagram", Some(1), Some("c2s"));
    let summaries: Vec<&str> = datagrams.iter().map(|d| d.get("summary").str()).collect();
    assert_eq!(summaries, ["2 whole frames (1-2)", "1 whole frame (3)"]);
    let closes = select(&events, "close", None, None);
    assert_eq!(closes.len(), 2);
    let c1 = closes.iter().find(|c| c.get("conn").u64() == 1).unwrap();
    assert_eq!(c1.get("reason").str(), "tap shut down");
    assert_eq!(c1.get("c2s").get("reads").u64(), 2);
    assert_eq!(c1.get("c2s").get("frames").u64(), 3);
}

#[test]
fn tap_sigterm_closes_the_connections_and_exits_0() {
    let server = echo("lines", &[]);
    let mut tap = start_tap(server.addr(), &["--no-color"]);
    assert!(tap.first.starts_with("listening on tcp "), "{}", tap.first);
    let mut c = connect(tap.addr());
    c.write_all(b"ping\n").unwrap();
    let mut reply = [0; 5];
    c.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"ping\n");
    let mut seen = Vec::new();
    tap.wait_for("s->c   frame 1", &mut seen);
    let (status, lines, logs) = tap.stop("TERM");
    assert_eq!(status.code(), Some(0), "{logs}");
    assert!(logs.contains("received SIGTERM"), "{logs}");
    let mut rest = Vec::new();
    assert!(
        matches!(c.read_to_end(&mut rest), Ok(0) | Err(_)),
        "the connection is closed"
    );
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("#1 close after ")
            && lines[0].contains(
                "(tap shut down): c->s 5 bytes in 1 read, 1 frame; s->c 5 bytes in 1 read, 1 frame"
            ),
        "{lines:?}"
    );
    assert!(
        seen.iter()
            .any(|l| l.contains("c->s   frame 1: 4 bytes (5 on the wire)  70 69 6e 67  |ping|")),
        "{seen:?}"
    );
}

#[test]
fn tap_new_framings_to_serve_echo_byte_exact_both_ways() {
    let payloads: [&[u8]; 3] = [b"hello", b"\xc0\xdb\x7e\x7d\x10\x00:, bytes", b"bye"];
    for spec in ["netstring", "slip:lead", "cobs,crc=crc16-xmodem"] {
        let server = echo(spec, &[]);
        let mut tap = start_tap(server.addr(), &["--codec", spec, "--json"]);
        let wire = encode(spec, &payloads);
        let reply = exchange(tap.addr(), &wire, &[3, 17]);
        assert_eq!(reply, wire, "{spec}: the reply is the bytes sent");
        tap.wait_for("\"event\":\"close\"", &mut Vec::new());
        let events = stop_json(tap);
        drop(server);
        for dir in ["c2s", "s2c"] {
            let frames = select(&events, "frame", Some(1), Some(dir));
            let lens: Vec<u64> = frames.iter().map(|f| f.get("len").u64()).collect();
            assert_eq!(lens, [5, 14, 3], "{spec} {dir}");
            assert_eq!(
                frames[1].get("preview_hex").str(),
                hex(payloads[1]),
                "{spec}"
            );
            let close = select(&events, "close", Some(1), None);
            assert_eq!(close[0].get(dir).get("errors").u64(), 0, "{spec} {dir}");
        }
    }
}

/// Writes `wire` in pieces cut at `cuts`, waiting for each piece's echo
/// before the next (so the tap reads each piece on its own, both ways),
/// then half-closes and returns everything echoed.
fn exchange_in_step(addr: SocketAddr, wire: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut c = connect(addr);
    let mut reply = Vec::new();
    let mut at = 0;
    for &cut in cuts.iter().chain([&wire.len()]) {
        let piece = &wire[at..cut];
        c.write_all(piece).unwrap();
        let mut echoed = vec![0; piece.len()];
        c.read_exact(&mut echoed).unwrap();
        reply.extend_from_slice(&echoed);
        at = cut;
    }
    c.shutdown(Shutdown::Write).unwrap();
    c.read_to_end(&mut reply).unwrap();
    reply
}

#[test]
fn tap_quiet_totals_equal_what_was_sent() {
    // (codec, wire, cuts, the totals of each direction)
    let mut oversized = vec![2, b'h', b'i', 10];
    oversized.extend_from_slice(b"0123456789\x03abc");
    let cases: [(&str, &[u8], &[usize], &str); 5] = [
        (
            "length",
            &encode("length", &[b"hello", b"", &[7; 300]]),
            &[3, 12],
            "317 bytes in 3 reads, 3 frames",
        ),
        (
            "length:u8,max=8",
            &oversized,
            &[6, 12],
            "18 bytes in 3 reads, 2 frames, 1 error",
        ),
        (
            "lines",
            b"ok\n\xff\xfe garbage\nfine\n",
            &[4],
            "19 bytes in 2 reads, 2 frames, 1 error",
        ),
        (
            "length:u8",
            b"\x02hi\x03y",
            &[],
            "5 bytes in 1 read, 1 frame, 1 error, ended inside a frame",
        ),
        (
            "netstring",
            b"2:hi,x:abc,2:ok,",
            &[7],
            "16 bytes in 2 reads, 1 frame, 1 error, framing lost (11 bytes undecoded)",
        ),
    ];
    for (codec, wire, cuts, totals) in cases {
        // A raw echo sends back exactly the bytes it got, bad frames included.
        let server = echo("raw", &[]);
        let mut tap = start_tap(server.addr(), &["--codec", codec, "--quiet"]);
        assert_eq!(exchange_in_step(tap.addr(), wire, cuts), wire, "{codec}");
        let mut seen = Vec::new();
        tap.wait_for(" close ", &mut seen);
        let (status, rest, logs) = tap.stop("TERM");
        assert_eq!(status.code(), Some(0), "{logs}");
        seen.extend(rest);
        // Only the close line: the totals, each way.
        assert_eq!(seen.len(), 1, "{codec}: {seen:?}");
        let expected = format!("(client closed, then server closed): c->s {totals}; s->c {totals}");
        assert!(
            seen[0].starts_with("#1 close after ") && seen[0].ends_with(&expected),
            "{codec}: {} does not end with {expected}",
            seen[0]
        );
    }
}
