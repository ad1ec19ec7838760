//! A bounded load test: 200 concurrent TCP clients each pipeline 500 frames
//! through the echo server, and every reply is checked: none lost, none
//! reordered, none altered.

use std::time::{Duration, Instant};

use crate::support::net::{codec, decode_all, encode, spawn};
use framewise::net::{EchoServer, Endpoint};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CLIENTS: usize = 200;
const FRAMES: usize = 500;
/// The whole test fails if it takes longer than this (it takes a few
/// seconds in a debug build on two cores).
const LIMIT: Duration = Duration::from_secs(60);

/// Client `c`'s frames: distinct per client and per frame (each starts
/// with its tag "c:i:", at most 8 bytes), 8 to 64 bytes long, so a lost,
/// duplicated, reordered or crossed frame changes the bytes.
fn frames_of(c: usize) -> Vec<Vec<u8>> {
    (0..FRAMES)
        .map(|i| {
            let mut f = format!("{c}:{i}:").into_bytes();
            let len = 8 + (c * 31 + i * 17) % 57;
            f.resize(len, b'a' + (i % 26) as u8);
            f
        })
        .collect()
}

async fn client(addr: std::net::SocketAddr, c: usize) -> usize {
    let frames = frames_of(c);
    let refs: Vec<&[u8]> = frames.iter().map(|f| &f[..]).collect();
    let wire = encode("length", &refs);
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.split();
    // Write everything (pipelined, in 1 KiB writes) while reading replies.
    let write = async {
        for piece in wire.chunks(1024) {
            wr.write_all(piece).await.unwrap();
        }
    };
    let read = async {
        let mut reply = vec![0; wire.len()];
        rd.read_exact(&mut reply).await.unwrap();
        reply
    };
    let ((), reply) = tokio::join!(write, read);
    let got = decode_all("length", &reply);
    assert_eq!(got.len(), FRAMES, "client {c}: frame count");
    for (i, (got, sent)) in got.iter().zip(&frames).enumerate() {
        assert_eq!(&got[..], &sent[..], "client {c}: frame {i}");
    }
    assert_eq!(reply, wire, "client {c}: reply bytes");
    got.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_load_200_clients_500_pipelined_frames_each() {
    let server = EchoServer::new(codec("length"))
        .bind(&[Endpoint::Tcp("127.0.0.1:0".parse().unwrap())])
        .await
        .unwrap();
    let server = spawn(server);
    let addr = server.tcp();
    let start = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| tokio::spawn(client(addr, c)))
        .collect();
    let all = async {
        let mut frames = 0;
        for c in clients {
            frames += c.await.expect("client task");
        }
        frames
    };
    let frames = tokio::time::timeout(LIMIT, all)
        .await
        .unwrap_or_else(|_| panic!("load test took longer than {LIMIT:?}"));
    let took = start.elapsed();
    assert_eq!(frames, CLIENTS * FRAMES);
    let stats = server.stop().await;
    assert_eq!(stats.connections, CLIENTS as u64);
    assert_eq!(stats.refused, 0);
    assert_eq!(stats.frames_in, (CLIENTS * FRAMES) as u64);
    assert_eq!(stats.frames_out, (CLIENTS * FRAMES) as u64);
    eprintln!(
        "{CLIENTS} clients x {FRAMES} frames echoed in {took:?} ({:.0} frames/s)",
        frames as f64 / took.as_secs_f64()
    );
}
