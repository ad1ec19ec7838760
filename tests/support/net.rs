//! Helpers shared by the server tests: start a server on an ephemeral
//! loopback port, stop it, and bound every wait in time.

use std::future::Future;
use std::io;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use framewise::AnyCodec;
use framewise::net::{ClientError, Endpoint, SendSummary, Server, ServerStats};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_util::codec::{Decoder, Encoder};

/// The longest any single test step may take before the test fails.
pub const STEP: Duration = Duration::from_secs(10);

/// A server running in the background.
#[derive(Debug)]
pub struct Running {
    /// The addresses it listens on (ports chosen by the system).
    pub endpoints: Vec<Endpoint>,
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<io::Result<ServerStats>>,
}

impl Running {
    /// Its TCP address; panics if it has none.
    pub fn tcp(&self) -> std::net::SocketAddr {
        self.endpoints
            .iter()
            .find_map(|e| match e {
                Endpoint::Tcp(a) => Some(*a),
                _ => None,
            })
            .expect("a tcp endpoint")
    }

    /// Its UDP address; panics if it has none.
    pub fn udp(&self) -> std::net::SocketAddr {
        self.endpoints
            .iter()
            .find_map(|e| match e {
                Endpoint::Udp(a) => Some(*a),
                _ => None,
            })
            .expect("a udp endpoint")
    }

    /// Triggers the shutdown and waits (bounded) for the server's stats.
    pub async fn stop(mut self) -> ServerStats {
        let _ = self.stop.take().unwrap().send(());
        bounded("server shutdown", self.handle)
            .await
            .expect("server task")
            .expect("server run")
    }
}

/// Runs a bound server until [`Running::stop`].
pub fn spawn(server: Server) -> Running {
    let endpoints = server.endpoints().to_vec();
    let (stop, stopped) = oneshot::channel::<()>();
    let handle = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    Running {
        endpoints,
        stop: Some(stop),
        handle,
    }
}

/// Awaits `fut`, failing the test if it takes longer than [`STEP`].
pub async fn bounded<F: Future>(what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(STEP, fut).await {
        Ok(out) => out,
        Err(_) => panic!("timed out after {STEP:?}: {what}"),
    }
}

/// The codec of `spec` (as on the command line); panics if invalid.
pub fn codec(spec: &str) -> AnyCodec {
    spec.parse().expect("valid codec spec")
}

/// The bytes of `frames` encoded one after the other by `spec`.
pub fn encode(spec: &str, frames: &[&[u8]]) -> Vec<u8> {
    let mut codec = codec(spec);
    let mut wire = BytesMut::new();
    for f in frames {
        codec.encode(*f, &mut wire).expect("encodable frame");
    }
    wire.to_vec()
}

/// Runs the `send` client (bounded by [`STEP`]): `messages`, framed by
/// `spec`, to `endpoint`, waiting at most `timeout` for replies; returns its
/// summary and the replies it printed.
pub async fn send(
    endpoint: &Endpoint,
    spec: &str,
    timeout: Duration,
    messages: &[&'static [u8]],
) -> Result<(SendSummary, Vec<u8>), ClientError> {
    let messages = futures::stream::iter(messages.iter().map(|m| Ok(Bytes::from_static(m))));
    let mut out = Vec::new();
    let summary = bounded(
        "send",
        framewise::net::send(endpoint, codec(spec), timeout, messages, &mut out),
    )
    .await?;
    Ok((summary, out))
}

/// Reads until end of stream (bounded), returning everything read.
pub async fn read_to_end<R: AsyncRead + Unpin>(r: &mut R) -> Vec<u8> {
    let mut out = Vec::new();
    bounded("read to end of stream", r.read_to_end(&mut out))
        .await
        .expect("read");
    out
}

/// Decodes every frame of `wire` with `spec` (a final partial frame fails).
pub fn decode_all(spec: &str, wire: &[u8]) -> Vec<Bytes> {
    let mut codec = codec(spec);
    let mut buf = BytesMut::from(wire);
    let mut frames = Vec::new();
    while let Some(f) = codec.decode_eof(&mut buf).expect("decodable reply") {
        frames.push(f);
    }
    frames
}

/// A unique path for a Unix socket in the temp directory.
#[cfg(unix)]
pub fn socket_path(name: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    std::env::temp_dir().join(format!(
        "framewise-{name}-{}-{}.sock",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}
