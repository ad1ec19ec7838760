//! The two-way UDP chat of the socket tutorials.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::UdpSocket;
use tokio_util::codec::FramedRead;
use tokio_util::udp::UdpFramed;
use tracing::{debug, warn};

use super::{Datagram, MAX_DATAGRAM_PAYLOAD};
use crate::{Delimited, Error};

/// Chats with `peer` over `socket`: each line of `input` is sent as one
/// datagram, and each datagram from `peer` is written to `output` as a line,
/// at the same time. Returns when `input` ends.
///
/// Lines are sent without their `\n` (and without a `\r` before it), one
/// datagram each, an empty line as an empty datagram. Datagrams from any
/// other address are ignored (logged at `debug`). A datagram to a peer that
/// is not listening yet is simply lost, as UDP goes; the chat carries on.
///
/// # Examples
///
/// A chat with a plain UDP socket as the peer:
///
/// ```
/// use framewise::net::chat;
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
/// use tokio::net::UdpSocket;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let me = UdpSocket::bind("127.0.0.1:0").await?;
/// let peer = UdpSocket::bind("127.0.0.1:0").await?;
/// let (mut keyboard, input) = tokio::io::duplex(64);
/// let (output, mut screen) = tokio::io::duplex(64);
/// let running = tokio::spawn(chat(me, peer.local_addr()?, input, output));
///
/// keyboard.write_all(b"hi peer\n").await?;
/// let mut buf = [0; 64];
/// let (n, from) = peer.recv_from(&mut buf).await?;
/// assert_eq!(&buf[..n], b"hi peer");
///
/// peer.send_to(b"hi you", from).await?;
/// let mut line = [0; 7];
/// screen.read_exact(&mut line).await?;
/// assert_eq!(&line, b"hi you\n");
///
/// drop(keyboard); // the end of the input ends the chat
/// running.await??;
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// An error if reading `input` or writing `output` fails. Socket errors are
/// logged and the chat carries on.
pub async fn chat<R, W>(
    socket: UdpSocket,
    peer: SocketAddr,
    input: R,
    mut output: W,
) -> io::Result<()>
where
    R: AsyncRead,
    W: AsyncWrite + Unpin,
{
    let socket = Arc::new(socket);
    let mut heard = UdpFramed::new(socket.clone(), Datagram::whole(MAX_DATAGRAM_PAYLOAD));
    let mut say = UdpFramed::new(socket, Datagram::whole(MAX_DATAGRAM_PAYLOAD));
    // Lines as long as a datagram can carry; the final line needs no `\n`.
    let lines = Delimited::new(b"\n")
        .map_err(io::Error::other)?
        .with_max_frame_len(MAX_DATAGRAM_PAYLOAD);
    let mut lines = std::pin::pin!(FramedRead::new(input, lines));
    loop {
        tokio::select! {
            line = lines.next() => match line {
                None => return Ok(()),
                Some(Ok(line)) => {
                    let line = strip_cr(line);
                    if let Err(e) = say.send((line, peer)).await {
                        warn!(%peer, "cannot send: {e}");
                        say = UdpFramed::new(say.into_inner(), Datagram::whole(MAX_DATAGRAM_PAYLOAD));
                    }
                }
                Some(Err(Error::Io(e))) => return Err(e),
                Some(Err(e)) => warn!("line not sent: {e}"),
            },
            datagram = heard.next() => match datagram {
                None => return Ok(()),
                Some(Ok((text, from))) if from == peer => {
                    let mut line = BytesMut::with_capacity(text.len() + 1);
                    line.extend_from_slice(&text);
                    line.extend_from_slice(b"\n");
                    output.write_all(&line).await?;
                    output.flush().await?;
                }
                Some(Ok((_, from))) => debug!(%from, "ignored a datagram from someone else"),
                Some(Err(e)) => debug!("receive failed: {e}"),
            },
        }
    }
}

fn strip_cr(line: Bytes) -> Bytes {
    match line.last() {
        Some(b'\r') => line.slice(..line.len() - 1),
        _ => line,
    }
}
