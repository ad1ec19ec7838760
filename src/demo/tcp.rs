//! The problem on a real TCP connection: sticky and split reads.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{LONG_MESSAGE, MESSAGES, StreamReport};
use crate::Error;

/// The longest any one step of a demonstration may take.
pub(super) const TIMEOUT: Duration = Duration::from_secs(5);

/// A read buffer that holds all four messages at once.
const STICKY_READ_SIZE: usize = 1024;

/// A read buffer smaller than [`LONG_MESSAGE`].
const SPLIT_READ_SIZE: usize = 16;

/// Four small messages, one write each, read with a roomy buffer.
pub(super) async fn sticky() -> Result<StreamReport, Error> {
    let messages = MESSAGES.map(|m| Bytes::from_static(m.as_bytes()));
    exchange(&messages, STICKY_READ_SIZE).await
}

/// One long message read with a small buffer.
pub(super) async fn split() -> Result<StreamReport, Error> {
    exchange(
        &[Bytes::from_static(LONG_MESSAGE.as_bytes())],
        SPLIT_READ_SIZE,
    )
    .await
}

/// Writes `messages` one `write_all` each, shuts down, waits until every byte
/// has arrived, then reads it all back `read_size` bytes at most per read.
async fn exchange(messages: &[Bytes], read_size: usize) -> Result<StreamReport, Error> {
    let (mut sender, mut receiver) = connected_pair().await?;
    let from = sender.local_addr()?;
    let to = receiver.local_addr()?;
    // Nagle's algorithm off: each write leaves as its own segment, and the
    // reads glue them anyway. Framing is not a matter of socket options.
    sender.set_nodelay(true)?;
    bounded("writing the messages", async {
        for message in messages {
            sender.write_all(message).await?;
        }
        sender.shutdown().await
    })
    .await?;

    let total = messages.iter().map(Bytes::len).sum();
    wait_for_bytes(&receiver, total).await?;
    let mut reads = Vec::new();
    let mut buf = vec![0; read_size];
    loop {
        let n = bounded("reading", receiver.read(&mut buf)).await?;
        if n == 0 {
            break;
        }
        reads.push(Bytes::copy_from_slice(&buf[..n]));
    }
    Ok(StreamReport {
        from,
        to,
        messages: messages.to_vec(),
        read_size,
        reads,
    })
}

/// A connected TCP pair on 127.0.0.1: (client, accepted server side).
pub(super) async fn connected_pair() -> Result<(TcpStream, TcpStream), Error> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr: SocketAddr = listener.local_addr()?;
    let client = bounded("connecting", TcpStream::connect(addr)).await?;
    let (server, _) = bounded("accepting", listener.accept()).await?;
    Ok((client, server))
}

/// Waits until `total` bytes are buffered on `stream`, without consuming
/// them, so the reads that follow see everything the sender wrote: what they
/// return is then the same on every run, not a matter of timing.
pub(super) async fn wait_for_bytes(stream: &TcpStream, total: usize) -> Result<(), Error> {
    let mut buf = vec![0; total.max(1)];
    bounded("waiting for the bytes to arrive", async {
        loop {
            if stream.peek(&mut buf).await? >= total {
                return Ok::<_, io::Error>(());
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
}

/// Runs `f` with the demonstration timeout; `what` names the step for the
/// error message.
pub(super) async fn bounded<T, E>(
    what: &str,
    f: impl Future<Output = Result<T, E>>,
) -> Result<T, Error>
where
    Error: From<E>,
{
    match tokio::time::timeout(TIMEOUT, f).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("{what} took longer than {} seconds", TIMEOUT.as_secs()),
        )
        .into()),
    }
}
