//! Every codec through a real `Framed<TcpStream>` on 127.0.0.1, with the
//! writer sending the encoded bytes in awkward pieces (1, 2, 3, 5, 8, ...
//! bytes, flushed one by one), and the blocking adapters over std::net.

use std::io::Write as _;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use framewise::blocking::{FrameReader, FrameWriter};
use framewise::{AnyCodec, Cobs, Delimited, FixedLength, LengthPrefixed, Lines};
use futures::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Decoder, Encoder, Framed};

/// Messages with every awkward property: empty, one byte, with zeros, long.
fn messages() -> Vec<Bytes> {
    let mut m: Vec<Bytes> = ["hello", "james", "how are you?", "x", "", "tail"]
        .into_iter()
        .map(Bytes::from)
        .collect();
    m.push(Bytes::from(vec![0u8, 1, 0, 2, 0]));
    m.push(Bytes::from(
        (0..3000u32).map(|i| (i % 251) as u8).collect::<Vec<_>>(),
    ));
    m
}

/// Sends `wire` in pieces of 1, 2, 3, 5, 8, 13, ... bytes, each written and
/// flushed on its own with Nagle off, so the reader sees split and sticky reads.
async fn send_awkwardly(mut stream: TcpStream, wire: Bytes) {
    stream.set_nodelay(true).unwrap();
    let (mut a, mut b) = (1usize, 2usize);
    let mut pos = 0;
    while pos < wire.len() {
        let end = (pos + a).min(wire.len());
        stream.write_all(&wire[pos..end]).await.unwrap();
        stream.flush().await.unwrap();
        tokio::task::yield_now().await;
        pos = end;
        (a, b) = (b, (a + b) % 4096);
    }
    stream.shutdown().await.unwrap();
}

/// Encodes `items` with `codec`, sends them awkwardly over loopback, and
/// returns what a `Framed` on the other end decodes.
async fn through_tcp<C>(mut codec: C, items: Vec<Bytes>) -> Vec<C::Item>
where
    C: Decoder<Error = framewise::Error>
        + Encoder<Bytes, Error = framewise::Error>
        + Clone
        + Send
        + 'static,
    C::Item: Send,
{
    let mut wire = BytesMut::new();
    for item in items {
        codec.encode(item, &mut wire).unwrap();
    }
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sender = tokio::spawn(async move {
        let stream = TcpStream::connect(addr).await.unwrap();
        send_awkwardly(stream, wire.freeze()).await;
    });
    let (stream, _) = listener.accept().await.unwrap();
    let mut framed = Framed::new(stream, codec);
    let mut out = Vec::new();
    let recv = async {
        while let Some(frame) = framed.next().await {
            out.push(frame.expect("decode over tcp"));
        }
    };
    tokio::time::timeout(Duration::from_secs(20), recv)
        .await
        .expect("bounded in time");
    sender.await.unwrap();
    out
}

#[tokio::test]
async fn framed_tcp_length_prefixed() {
    let got = through_tcp(LengthPrefixed::new(), messages()).await;
    assert_eq!(got, messages());
}

#[tokio::test]
async fn framed_tcp_varint() {
    let got = through_tcp(LengthPrefixed::varint(), messages()).await;
    assert_eq!(got, messages());
}

#[tokio::test]
async fn framed_tcp_cobs() {
    let got = through_tcp(Cobs::new(), messages()).await;
    assert_eq!(got, messages());
}

#[tokio::test]
async fn framed_tcp_delimited_multibyte() {
    let codec = Delimited::builder().delimiter(b"\r\n").build().unwrap();
    let items: Vec<Bytes> = messages()
        .into_iter()
        .filter(|m| !m.windows(2).any(|w| w == b"\r\n"))
        .collect();
    assert_eq!(through_tcp(codec, items.clone()).await, items);
}

#[tokio::test]
async fn framed_tcp_fixed_length() {
    let items: Vec<Bytes> = (0..50u8).map(|i| Bytes::from(vec![i; 7])).collect();
    assert_eq!(
        through_tcp(FixedLength::new(7).unwrap(), items.clone()).await,
        items
    );
}

#[tokio::test]
async fn framed_tcp_lines() {
    // Lines takes &str/String, so its items go through AnyCodec's Bytes
    // interface here, and through Lines itself in the blocking test below.
    let items: Vec<Bytes> = ["GET /", "Host: x", "", "ünïcödé", "last"]
        .into_iter()
        .map(Bytes::from)
        .collect();
    let got = through_tcp("lines".parse::<AnyCodec>().unwrap(), items.clone()).await;
    assert_eq!(got, items);
}

#[tokio::test]
async fn framed_tcp_every_spec_echo_roundtrip() {
    // A Framed echo peer on each side: the client feeds all frames and
    // flushes once (`SinkExt::<Bytes>::flush`, as the docs show), the server
    // echoes; every frame comes back in order.
    for spec in [
        "lines",
        "length:u16le",
        "length:varint",
        r"delim:\0",
        "cobs",
        "length:u24,max=5000",
    ] {
        let codec: AnyCodec = spec.parse().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server_codec = codec.clone();
        let server = tokio::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            let mut framed = Framed::new(s, server_codec);
            while let Some(Ok(frame)) = framed.next().await {
                framed.send(frame).await.unwrap();
            }
        });
        let mut client = Framed::new(TcpStream::connect(addr).await.unwrap(), codec);
        let items: Vec<Bytes> = (0..100)
            .map(|i| Bytes::from(format!("message {i}")))
            .collect();
        for item in &items {
            client.feed(item.clone()).await.unwrap();
        }
        SinkExt::<Bytes>::flush(&mut client).await.unwrap();
        let mut back = Vec::new();
        while back.len() < items.len() {
            let next = tokio::time::timeout(Duration::from_secs(10), client.next())
                .await
                .expect(spec);
            back.push(next.expect("stream open").expect("frame"));
        }
        assert_eq!(back, items, "{spec}");
        drop(client);
        server.await.unwrap();
    }
}

#[test]
fn blocking_std_net_lines_and_length() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = std::thread::spawn(move || {
        let stream = std::net::TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        let mut w = FrameWriter::new(stream.try_clone().unwrap(), Lines::new());
        for line in ["one", "two", "three"] {
            w.send(line).unwrap();
        }
        // Then the same socket switches to length framing, in tiny writes.
        let mut wire = BytesMut::new();
        LengthPrefixed::new()
            .encode(&b"binary\x00frame"[..], &mut wire)
            .unwrap();
        let mut raw = w.into_inner().unwrap();
        for b in wire.iter() {
            raw.write_all(&[*b]).unwrap();
        }
    });
    let (stream, _) = listener.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut lines = FrameReader::new(stream, Lines::new());
    let got: Vec<String> = (0..3).map(|_| lines.next().unwrap().unwrap()).collect();
    assert_eq!(got, ["one", "two", "three"]);
    // Whatever was read past the lines is still buffered: hand it over.
    let leftover = lines.read_buffer().to_vec();
    let stream = lines.into_inner();
    let rest = std::io::Read::chain(&leftover[..], stream);
    let frames: Vec<Bytes> = FrameReader::new(rest, LengthPrefixed::new())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(frames, [Bytes::from_static(b"binary\x00frame")]);
    client.join().unwrap();
}
