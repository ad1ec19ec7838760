//! The servers over UDP on loopback, the `send` client over UDP, and the
//! chat: empty datagrams, the largest datagrams, bad datagrams dropped,
//! replies too large for a datagram refused by the encoder.

use std::net::SocketAddr;
use std::time::Duration;

use crate::support::net::{bounded, codec, encode, send, spawn};
use framewise::net::{ClientError, EchoServer, Endpoint, MAX_DATAGRAM_PAYLOAD, TimeServer, chat};
use jiff::Zoned;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UdpSocket;

fn udp0() -> Endpoint {
    Endpoint::Udp("127.0.0.1:0".parse().unwrap())
}

async fn client() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0").await.unwrap()
}

/// The next datagram (bounded in time).
async fn recv(s: &UdpSocket) -> Vec<u8> {
    let mut buf = vec![0; 70_000];
    let n = bounded("a datagram", s.recv(&mut buf)).await.unwrap();
    buf.truncate(n);
    buf
}

/// Nothing more arrives within 100 ms.
async fn assert_nothing_more(s: &UdpSocket) {
    let mut buf = [0; 100];
    if let Ok(r) = tokio::time::timeout(Duration::from_millis(100), s.recv(&mut buf)).await {
        panic!("unexpected datagram: {:?}", r.map(|n| buf[..n].to_vec()));
    }
}

fn year() -> String {
    Zoned::now().year().to_string()
}

#[tokio::test]
async fn udp_time_empty_datagram_is_a_request_for_the_default_format() {
    let server = spawn(TimeServer::new(codec("raw")).bind(&[udp0()]).await.unwrap());
    let c = client().await;
    c.connect(server.udp()).await.unwrap();
    c.send(b"").await.unwrap();
    let reply = String::from_utf8(recv(&c).await).unwrap();
    let then = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", &reply).unwrap();
    let diff = Zoned::now().datetime().duration_since(then).as_secs_f64();
    assert!(diff.abs() < 5.0, "{reply}");

    c.send(b"%Y").await.unwrap();
    assert_eq!(String::from_utf8(recv(&c).await).unwrap(), year());
    c.send(b"\xff").await.unwrap();
    assert_eq!(
        recv(&c).await,
        b"error: the format is not utf-8 (invalid byte at offset 0)"
    );
    // 16,000 bytes of format would make 80,000 bytes of time: more than a
    // datagram holds, refused before it is built.
    c.send("%20Y".repeat(4000).as_bytes()).await.unwrap();
    assert_eq!(
        recv(&c).await,
        b"error: the formatted time exceeds the limit of 65507 bytes"
    );
    assert_nothing_more(&c).await;
    let stats = server.stop().await;
    assert_eq!((stats.frames_in, stats.frames_out), (4, 4));
}

#[tokio::test]
async fn udp_echo_datagrams_from_empty_to_65507_bytes_round_trip() {
    let server = spawn(EchoServer::new(codec("raw")).bind(&[udp0()]).await.unwrap());
    let c = client().await;
    c.connect(server.udp()).await.unwrap();
    for len in [0, 1, 1472, 9000, MAX_DATAGRAM_PAYLOAD] {
        let datagram: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
        c.send(&datagram).await.unwrap();
        assert_eq!(recv(&c).await, datagram, "datagram of {len} bytes");
    }
    assert_nothing_more(&c).await;
    server.stop().await;
}

#[tokio::test]
async fn udp_bad_datagrams_are_dropped_and_the_server_keeps_going() {
    let server = spawn(
        EchoServer::new(codec("length:u8"))
            .bind(&[udp0()])
            .await
            .unwrap(),
    );
    let c = client().await;
    c.connect(server.udp()).await.unwrap();
    c.send(b"\x05ab").await.unwrap(); // ends inside a frame
    c.send(b"\x02ok").await.unwrap();
    // The bad datagram got no reply; the next one did.
    assert_eq!(recv(&c).await, b"\x02ok");
    c.send(b"\x02ab\x09cut").await.unwrap(); // a frame, then a bad one
    c.send(b"\x01z").await.unwrap();
    assert_eq!(recv(&c).await, b"\x02ab");
    assert_eq!(recv(&c).await, b"\x01z");
    assert_nothing_more(&c).await;
    let stats = server.stop().await;
    assert_eq!(stats.bad_datagrams, 2);
    assert_eq!((stats.frames_in, stats.frames_out), (3, 3));

    let server = spawn(
        EchoServer::new(codec("raw,max=8"))
            .bind(&[udp0()])
            .await
            .unwrap(),
    );
    let c = client().await;
    c.connect(server.udp()).await.unwrap();
    c.send(b"123456789").await.unwrap();
    c.send(b"12345678").await.unwrap();
    assert_eq!(recv(&c).await, b"12345678");
    assert_nothing_more(&c).await;
    assert_eq!(server.stop().await.bad_datagrams, 1);
}

#[tokio::test]
async fn udp_reply_too_large_for_a_datagram_is_refused_by_the_encoder() {
    // Over `length` the time server may build a long reply (the codec's limit
    // is 8 MiB); the datagram encoder refuses it and an error goes instead.
    let server = spawn(
        TimeServer::new(codec("length"))
            .bind(&[udp0()])
            .await
            .unwrap(),
    );
    let c = client().await;
    c.connect(server.udp()).await.unwrap();
    let format = "%20Y".repeat(4000);
    c.send(&encode("length", &[format.as_bytes()]))
        .await
        .unwrap();
    assert_eq!(
        recv(&c).await,
        encode(
            "length",
            &[b"error: frame of 80004 bytes exceeds the limit of 65507"]
        )
    );
    c.send(&encode("length", &[b"%Y"])).await.unwrap();
    assert_eq!(recv(&c).await, encode("length", &[year().as_bytes()]));
    server.stop().await;
}

#[tokio::test]
async fn udp_framed_codec_reads_several_frames_per_datagram() {
    let server = spawn(
        EchoServer::new(codec("lines"))
            .bind(&[udp0()])
            .await
            .unwrap(),
    );
    let c = client().await;
    c.connect(server.udp()).await.unwrap();
    c.send(b"a\nbb\r\nccc").await.unwrap(); // the last line needs no newline
    assert_eq!(recv(&c).await, b"a\n");
    assert_eq!(recv(&c).await, b"bb\n");
    assert_eq!(recv(&c).await, b"ccc\n");
    c.send(b"").await.unwrap(); // an empty datagram is one empty frame
    assert_eq!(recv(&c).await, b"\n");
    assert_nothing_more(&c).await;
    server.stop().await;
}

#[tokio::test]
async fn udp_server_serves_many_clients_and_ipv6() {
    let mut endpoints = vec![udp0()];
    let v6: SocketAddr = "[::1]:0".parse().unwrap();
    if std::net::UdpSocket::bind(v6).is_ok() {
        endpoints.push(Endpoint::Udp(v6));
    } else {
        eprintln!("skipped the IPv6 part: no [::1] on this machine");
    }
    let server = spawn(
        EchoServer::new(codec("raw"))
            .bind(&endpoints)
            .await
            .unwrap(),
    );
    for endpoint in &server.endpoints {
        let addr = endpoint.socket_addr().unwrap();
        let local = if addr.is_ipv6() {
            "[::1]:0"
        } else {
            "127.0.0.1:0"
        };
        let mut clients = Vec::new();
        for _ in 0..10 {
            let c = UdpSocket::bind(local).await.unwrap();
            c.connect(addr).await.unwrap();
            clients.push(c);
        }
        for (i, c) in clients.iter().enumerate() {
            c.send(format!("client {i}").as_bytes()).await.unwrap();
        }
        for (i, c) in clients.iter().enumerate() {
            assert_eq!(recv(c).await, format!("client {i}").as_bytes());
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn udp_send_client_gets_one_reply_per_message() {
    let server = spawn(TimeServer::new(codec("raw")).bind(&[udp0()]).await.unwrap());
    let endpoint = server.endpoints[0].clone();
    let (summary, out) = send(
        &endpoint,
        "raw",
        Duration::from_secs(5),
        &[b"%Y", b"", b"%%"],
    )
    .await
    .unwrap();
    assert_eq!((summary.sent, summary.received), (3, 3));
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0], year());
    assert_eq!(lines[1].len(), "2024-07-15 16:24:59".len());
    assert_eq!(lines[2], "%");
    server.stop().await;
}

#[tokio::test]
async fn udp_send_client_reports_no_server_and_timeouts() {
    // A closed port: the kernel answers with ICMP port unreachable.
    let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let endpoint = Endpoint::Udp(closed.local_addr().unwrap());
    drop(closed);
    let err = send(&endpoint, "raw", Duration::from_secs(5), &[b"hello"])
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Connect { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("cannot connect to {endpoint}: ")),
        "{err}"
    );

    // A socket that listens and never answers.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let endpoint = Endpoint::Udp(silent.local_addr().unwrap());
    let err = send(&endpoint, "raw", Duration::from_millis(200), &[b"a", b"b"])
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "timed out after 0.2 s waiting for {endpoint} (2 messages sent, 0 replies received)"
        )
    );
    drop(silent);
}

#[tokio::test]
async fn udp_chat_both_ways_at_once() {
    let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    let (mut a_keys, a_in) = tokio::io::duplex(1024);
    let (a_out, mut a_screen) = tokio::io::duplex(1024);
    let (mut b_keys, b_in) = tokio::io::duplex(1024);
    let (b_out, mut b_screen) = tokio::io::duplex(1024);
    let a_chat = tokio::spawn(chat(a, b_addr, a_in, a_out));
    let b_chat = tokio::spawn(chat(b, a_addr, b_in, b_out));

    // Both type before either reads: sending and receiving run together.
    a_keys
        .write_all(b"hello b\r\n\nhow are you\n")
        .await
        .unwrap();
    b_keys.write_all(b"hello a\n").await.unwrap();
    let mut seen_by_b = vec![0; "hello b\n\nhow are you\n".len()];
    bounded("b hears a", b_screen.read_exact(&mut seen_by_b))
        .await
        .unwrap();
    assert_eq!(seen_by_b, b"hello b\n\nhow are you\n");
    let mut seen_by_a = vec![0; "hello a\n".len()];
    bounded("a hears b", a_screen.read_exact(&mut seen_by_a))
        .await
        .unwrap();
    assert_eq!(seen_by_a, b"hello a\n");

    // A stranger is not printed.
    let stranger = client().await;
    stranger.send_to(b"spam", a_addr).await.unwrap();
    b_keys.write_all(b"still here\n").await.unwrap();
    let mut next = vec![0; "still here\n".len()];
    bounded("a hears b again", a_screen.read_exact(&mut next))
        .await
        .unwrap();
    assert_eq!(next, b"still here\n");

    // The end of input ends each chat.
    drop(a_keys);
    drop(b_keys);
    bounded("a ends", a_chat).await.unwrap().unwrap();
    bounded("b ends", b_chat).await.unwrap().unwrap();
}
