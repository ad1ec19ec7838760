//! The time server over TCP on loopback: formats, the default format, and
//! every kind of bad request gets an `error:` reply instead of a crash.

use std::time::Duration;

use crate::support::net::{bounded, codec, decode_all, encode, read_to_end, spawn};
use framewise::net::{Endpoint, TimeServer};
use jiff::Zoned;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

fn tcp0() -> Endpoint {
    Endpoint::Tcp("127.0.0.1:0".parse().unwrap())
}

/// Checks `reply` is the local time now in `%Y-%m-%d %H:%M:%S`, within a
/// few seconds.
fn assert_is_now_by_default_format(reply: &str) {
    let then = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", reply)
        .unwrap_or_else(|e| panic!("{reply:?} is not in the default format: {e}"));
    let now = Zoned::now().datetime();
    let diff = now.duration_since(then).as_secs_f64().abs();
    assert!(diff < 5.0, "{reply} is {diff} s away from {now}");
}

fn assert_is_this_year(reply: &str) {
    let year = Zoned::now().year();
    // Around midnight on New Year's Eve the year may just have changed.
    assert!(
        reply == year.to_string() || reply == (year - 1).to_string(),
        "{reply:?} is not the year {year}"
    );
}

#[tokio::test]
async fn time_lines_formats_default_and_bad_formats() {
    let server = spawn(
        TimeServer::new(codec("lines"))
            .bind(&[tcp0()])
            .await
            .unwrap(),
    );
    let c = bounded("connect", TcpStream::connect(server.tcp()))
        .await
        .unwrap();
    let (rd, mut wr) = c.into_split();
    wr.write_all(b"%Y\n\n100%%\n%K\n%n\n%H:%M:%S\n%20Y\n%Y\n")
        .await
        .unwrap();
    let mut lines = BufReader::new(rd).lines();
    let mut replies = Vec::new();
    for _ in 0..8 {
        let line = bounded("a reply", lines.next_line()).await.unwrap();
        replies.push(line.expect("a reply line"));
    }
    assert_is_this_year(&replies[0]);
    assert_is_now_by_default_format(&replies[1]);
    assert_eq!(replies[2], "100%");
    assert_eq!(
        replies[3],
        "error: invalid time format: strftime formatting failed: \
         found unrecognized specifier directive `K`"
    );
    // "%n" is a newline, which a line cannot hold: the encoder refuses the
    // reply and an error goes out in its place.
    assert!(
        replies[4].starts_with("error: cannot encode frame: "),
        "{}",
        replies[4]
    );
    assert_eq!(replies[5].len(), 8);
    jiff::civil::Time::strptime("%H:%M:%S", &replies[5]).unwrap();
    let padded = &replies[6];
    assert_eq!(padded.len(), 20);
    assert!(padded.trim_start_matches('0').len() == 4, "{padded}");
    // After all that, the connection still works.
    assert_is_this_year(&replies[7]);
    drop(wr);
    let stats = server.stop().await;
    assert_eq!((stats.frames_in, stats.frames_out), (8, 8));
}

#[tokio::test]
async fn time_long_output_is_an_error_reply_not_a_huge_one() {
    let server = spawn(
        TimeServer::new(codec("lines"))
            .bind(&[tcp0()])
            .await
            .unwrap(),
    );
    let mut c = bounded("connect", TcpStream::connect(server.tcp()))
        .await
        .unwrap();
    // 16,000 bytes of format, 80,000 bytes of output: over the 64 KiB limit.
    let mut request = "%20Y".repeat(4000).into_bytes();
    request.push(b'\n');
    c.write_all(&request).await.unwrap();
    c.write_all(b"%%\n").await.unwrap();
    let expected = b"error: the formatted time exceeds the limit of 65536 bytes\n%\n";
    let mut reply = vec![0; expected.len()];
    bounded("replies", c.read_exact(&mut reply)).await.unwrap();
    assert_eq!(reply, expected);
    drop(c);
    server.stop().await;
}

#[tokio::test]
async fn time_non_utf8_format_gets_error_reply_and_connection_goes_on() {
    let server = spawn(
        TimeServer::new(codec("length"))
            .bind(&[tcp0()])
            .await
            .unwrap(),
    );
    let mut c = bounded("connect", TcpStream::connect(server.tcp()))
        .await
        .unwrap();
    c.write_all(&encode("length", &[b"\xff%Y", b"%Y %%", b""]))
        .await
        .unwrap();
    c.shutdown().await.unwrap();
    let replies = decode_all("length", &read_to_end(&mut c).await);
    assert_eq!(replies.len(), 3);
    assert_eq!(
        replies[0],
        "error: the format is not utf-8 (invalid byte at offset 0)"
    );
    let second = std::str::from_utf8(&replies[1]).unwrap();
    assert_is_this_year(second.strip_suffix(" %").unwrap());
    assert_is_now_by_default_format(std::str::from_utf8(&replies[2]).unwrap());
    server.stop().await;
}

#[tokio::test]
async fn time_invalid_utf8_line_is_a_framing_error_then_close() {
    // On `lines` the codec itself refuses a non-UTF-8 line, before the time
    // server sees it: one error frame, then the connection closes.
    let server = spawn(
        TimeServer::new(codec("lines"))
            .bind(&[tcp0()])
            .await
            .unwrap(),
    );
    let mut c = bounded("connect", TcpStream::connect(server.tcp()))
        .await
        .unwrap();
    c.write_all(b"%%\n\xc3(\n%Y\n").await.unwrap();
    assert_eq!(
        read_to_end(&mut c).await,
        b"%\nerror: line of 2 bytes is not valid utf-8 (invalid byte at offset 0)\n"
    );
    drop(c);
    server.stop().await;
}

#[tokio::test]
async fn time_idle_and_max_conns_apply_to_the_time_server_too() {
    let server = spawn(
        TimeServer::new(codec("lines"))
            .max_conns(1)
            .idle_timeout(Duration::from_millis(200))
            .bind(&[tcp0()])
            .await
            .unwrap(),
    );
    let mut first = TcpStream::connect(server.tcp()).await.unwrap();
    first.write_all(b"%%\n").await.unwrap();
    let mut reply = [0; 2];
    bounded("reply", first.read_exact(&mut reply))
        .await
        .unwrap();
    let mut second = TcpStream::connect(server.tcp()).await.unwrap();
    assert_eq!(
        read_to_end(&mut second).await,
        b"error: server is full (1 connections), try again later\n"
    );
    assert_eq!(
        read_to_end(&mut first).await,
        b"error: idle for 0.2 s, closing\n"
    );
    drop((first, second));
    server.stop().await;
}
