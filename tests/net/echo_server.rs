//! The echo server over real loopback sockets: framing, pipelining,
//! misbehaving clients, limits, IPv6 and Unix sockets, shutdown, and the
//! `send` client against it. Every reply is checked byte for byte.

use std::time::{Duration, Instant};

use crate::support::net::{bounded, codec, decode_all, encode, read_to_end, send, spawn};
use framewise::net::{ClientError, EchoServer, Endpoint};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn tcp0() -> Endpoint {
    Endpoint::Tcp("127.0.0.1:0".parse().unwrap())
}

async fn connect(addr: std::net::SocketAddr) -> TcpStream {
    bounded("connect", TcpStream::connect(addr))
        .await
        .expect("connect")
}

async fn read_exact(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    bounded("read_exact", s.read_exact(&mut buf))
        .await
        .expect("read");
    buf
}

/// Sends `frames` with `spec` and checks the echo is the same bytes.
async fn round_trip(s: &mut TcpStream, spec: &str, frames: &[&[u8]]) {
    let wire = encode(spec, frames);
    s.write_all(&wire).await.unwrap();
    assert_eq!(read_exact(s, wire.len()).await, wire, "echo of {frames:?}");
}

#[tokio::test]
async fn echo_lines_split_and_glued_writes() {
    let server = spawn(
        EchoServer::new(codec("lines"))
            .bind(&[tcp0()])
            .await
            .unwrap(),
    );
    let mut c = connect(server.tcp()).await;
    // Split packets: one line over several writes; sticky packets: several
    // lines in one write.
    for piece in [&b"hel"[..], b"lo\nwor", b"ld\nthree\nfo", b"ur\n"] {
        c.write_all(piece).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(read_exact(&mut c, 23).await, b"hello\nworld\nthree\nfour\n");
    drop(c);
    let stats = server.stop().await;
    assert_eq!(stats.connections, 1);
    assert_eq!((stats.frames_in, stats.frames_out), (4, 4));
}

#[tokio::test]
async fn echo_every_codec_byte_for_byte() {
    let cases: &[(&str, &[&[u8]])] = &[
        ("lines-crlf", &[b"one", b"", b"three"]),
        ("delim:\\r\\n,max=4096", &[b"a\nb", b"", b"c"]),
        ("length", &[b"", b"\0\n\r", &[7; 300]]),
        ("length:u16le", &[b"hi", &[1; 1000]]),
        ("length:varint", &[b"", b"x", &[2; 200]]),
        ("fixed:4", &[b"abcd", b"\0\0\0\0", b"\n\n\n\n"]),
        ("cobs", &[b"\0", b"a\0b", &[0; 300], b"plain"]),
    ];
    for &(spec, frames) in cases {
        let server = spawn(EchoServer::new(codec(spec)).bind(&[tcp0()]).await.unwrap());
        let mut c = connect(server.tcp()).await;
        let wire = encode(spec, frames);
        // Three bytes per write: every frame arrives in pieces.
        for piece in wire.chunks(3) {
            c.write_all(piece).await.unwrap();
        }
        let reply = read_exact(&mut c, wire.len()).await;
        assert_eq!(reply, wire, "codec {spec}");
        assert_eq!(decode_all(spec, &reply).len(), frames.len(), "codec {spec}");
        drop(c);
        let stats = server.stop().await;
        assert_eq!(stats.frames_in, frames.len() as u64, "codec {spec}");
    }
}

#[tokio::test]
async fn echo_raw_gives_the_bytes_back_in_whatever_pieces() {
    let server = spawn(EchoServer::new(codec("raw")).bind(&[tcp0()]).await.unwrap());
    let mut c = connect(server.tcp()).await;
    let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    c.write_all(&data).await.unwrap();
    assert_eq!(read_exact(&mut c, data.len()).await, data);
    drop(c);
    server.stop().await;
}

#[tokio::test]
async fn echo_pipelined_frames_come_back_in_order() {
    let server = spawn(
        EchoServer::new(codec("length"))
            .bind(&[tcp0()])
            .await
            .unwrap(),
    );
    let mut c = connect(server.tcp()).await;
    let payloads: Vec<Vec<u8>> = (0..5000)
        .map(|i| format!("frame {i}").into_bytes())
        .collect();
    let frames: Vec<&[u8]> = payloads.iter().map(|p| &p[..]).collect();
    let wire = encode("length", &frames);
    let (mut rd, mut wr) = c.split();
    let write = async {
        wr.write_all(&wire).await.unwrap();
    };
    let read = async {
        let mut buf = vec![0; wire.len()];
        rd.read_exact(&mut buf).await.unwrap();
        buf
    };
    let ((), reply) = bounded("pipelined echo", async { tokio::join!(write, read) }).await;
    assert_eq!(reply, wire);
    let got = decode_all("length", &reply);
    assert_eq!(got.len(), 5000);
    assert_eq!(got[4999], "frame 4999");
    drop(c);
    let stats = server.stop().await;
    assert_eq!((stats.frames_in, stats.frames_out), (5000, 5000));
}

#[tokio::test]
async fn echo_greeting_first_and_quit_word_closes_cleanly() {
    let server = EchoServer::new(codec("lines"))
        .greeting("welcome")
        .quit_word("exit");
    let server = spawn(server.bind(&[tcp0()]).await.unwrap());
    let mut c = connect(server.tcp()).await;
    assert_eq!(read_exact(&mut c, 8).await, b"welcome\n");
    // Frames after the quit word are not answered; the word is not echoed.
    c.write_all(b"a\r\nb\nexit\nafter\n").await.unwrap();
    assert_eq!(read_to_end(&mut c).await, b"a\nb\n");
    drop(c);
    let stats = server.stop().await;
    assert_eq!((stats.frames_in, stats.frames_out), (3, 3));
}

#[tokio::test]
async fn echo_oversized_frame_gets_one_error_frame_then_close() {
    let server = spawn(
        EchoServer::new(codec("length,max=1k"))
            .bind(&[tcp0()])
            .await
            .unwrap(),
    );
    let mut good = connect(server.tcp()).await;
    round_trip(&mut good, "length", &[b"before"]).await;

    let mut bad = connect(server.tcp()).await;
    bad.write_all(b"\0\0\x08\0").await.unwrap(); // 2048 bytes announced
    bad.write_all(&[b'x'; 100]).await.unwrap();
    assert_eq!(
        read_to_end(&mut bad).await,
        encode(
            "length",
            &[b"error: frame of 2052 bytes exceeds the limit of 1024"]
        )
    );
    drop(bad);

    round_trip(&mut good, "length", &[b"after", b"and more"]).await;
    drop(good);
    let stats = server.stop().await;
    assert_eq!(stats.connections, 2);
    assert_eq!((stats.frames_in, stats.frames_out), (3, 4));
}

#[tokio::test]
async fn echo_invalid_utf8_on_lines_gets_error_frame_then_close() {
    let server = spawn(
        EchoServer::new(codec("lines"))
            .bind(&[tcp0()])
            .await
            .unwrap(),
    );
    let mut bad = connect(server.tcp()).await;
    bad.write_all(b"ok\n\xff\xfe\nnever echoed\n")
        .await
        .unwrap();
    assert_eq!(
        read_to_end(&mut bad).await,
        b"ok\nerror: line of 2 bytes is not valid utf-8 (invalid byte at offset 0)\n"
    );
    drop(bad);
    server.stop().await;
}

#[tokio::test]
async fn echo_half_close_in_the_middle_of_a_frame_gets_error_frame() {
    let server = spawn(
        EchoServer::new(codec("length"))
            .bind(&[tcp0()])
            .await
            .unwrap(),
    );
    let mut bad = connect(server.tcp()).await;
    let mut wire = encode("length", &[b"whole"]);
    wire.extend_from_slice(b"\0\0\0\x0aabc"); // 10 announced, 3 sent
    bad.write_all(&wire).await.unwrap();
    bad.shutdown().await.unwrap();
    let mut expected = encode("length", &[b"whole"]);
    expected.extend(encode(
        "length",
        &[b"error: stream ended in the middle of a frame, with 7 bytes of it buffered"],
    ));
    assert_eq!(read_to_end(&mut bad).await, expected);
    server.stop().await;
}

#[tokio::test]
async fn echo_unframable_error_message_just_closes() {
    // fixed:4 cannot frame "error: ...": the client is closed without one.
    let server = spawn(
        EchoServer::new(codec("fixed:4,max=4"))
            .bind(&[tcp0()])
            .await
            .unwrap(),
    );
    let mut c = connect(server.tcp()).await;
    c.write_all(b"abcdef").await.unwrap();
    c.shutdown().await.unwrap();
    assert_eq!(read_to_end(&mut c).await, b"abcd");
    server.stop().await;
}

/// Misbehaving clients of every kind, all at once, beside a client that
/// pipelines 2,000 frames: it gets every reply, in order.
#[tokio::test]
async fn echo_misbehaving_clients_do_not_disturb_others() {
    let server = spawn(
        EchoServer::new(codec("length,max=64k"))
            .bind(&[tcp0()])
            .await
            .unwrap(),
    );
    let addr = server.tcp();
    let payloads: Vec<Vec<u8>> = (0..2000)
        .map(|i| format!("good {i}").into_bytes())
        .collect();
    let frames: Vec<&[u8]> = payloads.iter().map(|p| &p[..]).collect();
    let wire = encode("length", &frames);

    let good = async {
        let mut c = connect(addr).await;
        let (mut rd, mut wr) = c.split();
        let write = async {
            for piece in wire.chunks(1000) {
                wr.write_all(piece).await.unwrap();
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        };
        let read = async {
            let mut buf = vec![0; wire.len()];
            rd.read_exact(&mut buf).await.unwrap();
            buf
        };
        let ((), reply) = tokio::join!(write, read);
        reply
    };
    let oversized = async {
        let mut c = connect(addr).await;
        c.write_all(&[0, 1, 0, 0]).await.unwrap(); // 65,536 + 4 bytes
        read_to_end(&mut c).await
    };
    let truncated = async {
        let mut c = connect(addr).await;
        c.write_all(b"\0\0\0\x09abc").await.unwrap();
        c.shutdown().await.unwrap();
        read_to_end(&mut c).await
    };
    let vanished = async {
        let mut c = connect(addr).await;
        c.write_all(b"\0\0\0\x09abc").await.unwrap();
        drop(c);
    };
    let reset = async {
        let c = connect(addr).await;
        let mut c = c.into_std().unwrap();
        std::io::Write::write_all(&mut c, b"\0\0\0\x09abc").unwrap();
        let c = TcpStream::from_std(c).unwrap();
        // SO_LINGER 0 makes the close a reset (RST) instead of a FIN; with
        // a zero timeout the close does not block the thread.
        #[allow(deprecated)] // set_linger's deprecation warns about blocking, moot at zero
        c.set_linger(Some(Duration::ZERO)).unwrap();
        drop(c);
    };
    let (reply, oversized, truncated, (), ()) = bounded("all clients", async {
        tokio::join!(good, oversized, truncated, vanished, reset)
    })
    .await;
    assert_eq!(reply, wire);
    assert_eq!(
        oversized,
        encode(
            "length",
            &[b"error: frame of 65540 bytes exceeds the limit of 65536"]
        )
    );
    assert_eq!(
        truncated,
        encode(
            "length",
            &[b"error: stream ended in the middle of a frame, with 7 bytes of it buffered"]
        )
    );
    let stats = server.stop().await;
    assert_eq!(stats.connections, 5);
    assert_eq!(stats.frames_in, 2000);
}

#[tokio::test]
async fn echo_max_conns_refuses_extra_clients_with_an_error_frame() {
    let server = spawn(
        EchoServer::new(codec("lines"))
            .max_conns(1)
            .bind(&[tcp0()])
            .await
            .unwrap(),
    );
    let mut first = connect(server.tcp()).await;
    round_trip(&mut first, "lines", &[b"first"]).await;

    let mut second = connect(server.tcp()).await;
    assert_eq!(
        read_to_end(&mut second).await,
        b"error: server is full (1 connections), try again later\n"
    );
    drop(second);

    // Once the first leaves, its slot is free again.
    drop(first);
    let served = bounded("a freed slot", async {
        loop {
            let mut c = connect(server.tcp()).await;
            c.write_all(b"third\n").await.unwrap();
            let mut reply = vec![0; 6];
            if c.read_exact(&mut reply).await.is_ok() && reply == b"third\n" {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(served);
    let stats = server.stop().await;
    assert_eq!(stats.connections, 2);
    assert!(stats.refused >= 1);
}

#[tokio::test]
async fn echo_idle_timeout_closes_silent_and_slowloris_clients_only() {
    let idle = Duration::from_millis(300);
    let server = spawn(
        EchoServer::new(codec("lines"))
            .idle_timeout(idle)
            .bind(&[tcp0()])
            .await
            .unwrap(),
    );
    let addr = server.tcp();
    let farewell = b"error: idle for 0.3 s, closing\n";

    let silent = async {
        let mut c = connect(addr).await;
        let start = Instant::now();
        let reply = read_to_end(&mut c).await;
        (reply, start.elapsed())
    };
    let slowloris = async {
        let mut c = connect(addr).await;
        let start = Instant::now();
        let (mut rd, mut wr) = c.split();
        let trickle = async {
            // A byte every 50 ms, never a whole line.
            for _ in 0..60 {
                if wr.write_all(b"x").await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        let read = async {
            let mut reply = Vec::new();
            rd.read_to_end(&mut reply).await.unwrap();
            (reply, start.elapsed())
        };
        tokio::select! {
            r = read => r,
            () = trickle => panic!("slowloris client was never closed"),
        }
    };
    let active = async {
        let mut c = connect(addr).await;
        // 10 frames 100 ms apart: a second in all, longer than the timeout.
        for i in 0..10 {
            let line = format!("ping {i}");
            round_trip(&mut c, "lines", &[line.as_bytes()]).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let ((silent, t1), (slow, t2), ()) = bounded("idle clients", async {
        tokio::join!(silent, slowloris, active)
    })
    .await;
    assert_eq!(silent, farewell);
    assert_eq!(slow, farewell);
    for t in [t1, t2] {
        assert!(
            t >= Duration::from_millis(250) && t < Duration::from_secs(3),
            "{t:?}"
        );
    }
    server.stop().await;
}

#[cfg(unix)]
#[tokio::test]
async fn echo_ipv6_and_unix_socket() {
    let v6: std::net::SocketAddr = "[::1]:0".parse().unwrap();
    if std::net::TcpListener::bind(v6).is_err() {
        eprintln!("skipped the IPv6 part: no [::1] on this machine");
    }
    let mut endpoints = Vec::new();
    if std::net::TcpListener::bind(v6).is_ok() {
        endpoints.push(Endpoint::Tcp(v6));
    }
    let path = crate::support::net::socket_path("echo");
    endpoints.push(Endpoint::Unix(path.clone()));
    let server = spawn(
        EchoServer::new(codec("length:varint"))
            .bind(&endpoints)
            .await
            .unwrap(),
    );
    for e in &server.endpoints {
        let frames: &[&[u8]] = &[b"over", b"", b"here"];
        let wire = encode("length:varint", frames);
        match e {
            Endpoint::Tcp(addr) => {
                assert!(addr.is_ipv6());
                let mut c = connect(*addr).await;
                round_trip(&mut c, "length:varint", frames).await;
            }
            Endpoint::Unix(p) => {
                let mut c = tokio::net::UnixStream::connect(p).await.unwrap();
                c.write_all(&wire).await.unwrap();
                let mut reply = vec![0; wire.len()];
                bounded("unix echo", c.read_exact(&mut reply))
                    .await
                    .unwrap();
                assert_eq!(reply, wire);
            }
            other => panic!("unexpected endpoint {other}"),
        }
    }
    assert!(path.exists());
    server.stop().await;
    assert!(!path.exists(), "the socket file is removed at shutdown");
}

#[cfg(unix)]
#[tokio::test]
async fn echo_unix_socket_replaces_a_stale_file_but_not_a_live_one() {
    let path = crate::support::net::socket_path("stale");
    // A socket file nobody listens on, as a crashed server leaves it.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let live = EchoServer::new(codec("lines"))
        .bind(&[Endpoint::Unix(path.clone())])
        .await
        .expect("a stale socket file is replaced");
    let err = EchoServer::new(codec("lines"))
        .bind(&[Endpoint::Unix(path.clone())])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    assert!(
        err.to_string().starts_with("cannot listen on unix "),
        "{err}"
    );
    drop(live);
    assert!(!path.exists());
}

#[tokio::test]
async fn echo_shutdown_closes_open_connections_and_stops_accepting() {
    let server = spawn(
        EchoServer::new(codec("lines"))
            .bind(&[tcp0()])
            .await
            .unwrap(),
    );
    let addr = server.tcp();
    let mut a = connect(addr).await;
    let mut b = connect(addr).await;
    round_trip(&mut a, "lines", &[b"a"]).await;
    round_trip(&mut b, "lines", &[b"b1", b"b2"]).await;
    let start = Instant::now();
    let stopping = tokio::spawn(server.stop());
    // A clean close: no error frame, just the end of the stream.
    assert_eq!(read_to_end(&mut a).await, b"");
    assert_eq!(read_to_end(&mut b).await, b"");
    drop((a, b));
    let stats = bounded("stop", stopping).await.unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(stats.connections, 2);
    assert_eq!((stats.frames_in, stats.frames_out), (3, 3));
    let refused = TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn echo_shutdown_wait_is_bounded_by_the_grace_period() {
    let server = spawn(
        EchoServer::new(codec("lines"))
            .shutdown_grace(Duration::from_millis(300))
            .bind(&[tcp0()])
            .await
            .unwrap(),
    );
    // A client that never reads and never closes, with a frame half sent.
    let mut stuck = connect(server.tcp()).await;
    stuck.write_all(b"half a li").await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let start = Instant::now();
    let stats = server.stop().await;
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    assert_eq!(stats.connections, 1);
    drop(stuck);
}

#[cfg(unix)]
#[tokio::test]
async fn send_client_prints_replies_over_tcp_and_unix() {
    let path = crate::support::net::socket_path("send");
    let server = spawn(
        EchoServer::new(codec("cobs"))
            .greeting("hi")
            .bind(&[tcp0(), Endpoint::Unix(path.clone())])
            .await
            .unwrap(),
    );
    for endpoint in server.endpoints.clone() {
        let (summary, out) = send(
            &endpoint,
            "cobs",
            Duration::from_secs(5),
            &[b"one", b"two\0with zero"],
        )
        .await
        .unwrap();
        assert_eq!(out, b"hi\none\ntwo\0with zero\n", "{endpoint}");
        assert_eq!((summary.sent, summary.received), (2, 3));
    }
    server.stop().await;
}

#[tokio::test]
async fn send_client_errors_say_what_happened() {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let endpoint = Endpoint::Tcp(addr);
    let err = send(&endpoint, "lines", Duration::from_secs(5), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Connect { .. }));
    assert!(
        err.to_string()
            .starts_with(&format!("cannot connect to tcp {addr}: ")),
        "{err}"
    );

    // A server that accepts and never answers nor closes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = Endpoint::Tcp(listener.local_addr().unwrap());
    let silent = tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(s);
    });
    let err = send(&endpoint, "lines", Duration::from_millis(200), &[b"hello"])
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "timed out after 0.2 s waiting for {endpoint} (1 messages sent, 0 replies received)"
        )
    );
    silent.abort();

    // A message the codec cannot frame.
    let server = spawn(
        EchoServer::new(codec("lines"))
            .bind(&[tcp0()])
            .await
            .unwrap(),
    );
    let err = send(
        &server.endpoints[0],
        "lines",
        Duration::from_secs(5),
        &[b"ok", b"a\nb"],
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ClientError::Encode { index: 2, .. }), "{err}");
    server.stop().await;
}
