//! The cures: the same messages through each codec, over TCP, with
//! tokio-util's `FramedWrite` and `FramedRead`.

use std::io;
use std::ops::Range;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, ReadBuf};
use tokio_util::codec::{Encoder, FramedRead, FramedWrite};

use super::tcp::{bounded, connected_pair, wait_for_bytes};
use super::{CodecReport, MESSAGES, WireFrame};
use crate::{AnyCodec, Error};

/// The most one read returns on the receiving side: small enough that the
/// reads cut across frames, so the codec has sticky and split reads to undo.
/// (Not 7: the 7-byte frames of `cobs` and `length:u16` would line up with
/// the reads, and 5 would let `raw` hand back "hello" and "james" by luck.)
pub(super) const READ_SIZE: usize = 8;

/// How a codec marks its frames, read from its spec, to tell framing bytes
/// from payload bytes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// A length header before the payload.
    Header,
    /// A delimiter after the payload.
    Trailer,
    /// COBS: code bytes through the payload, and a closing `00`.
    Cobs,
    /// Every frame is this many bytes; nothing marks it.
    Fixed(usize),
    /// No framing at all (`raw`).
    Unframed,
}

impl Framing {
    /// The framing of the codec with this spec (as `AnyCodec` displays it).
    pub(super) fn of(spec: &str) -> Framing {
        // `,max=` can only be the suffix: a delimiter's comma displays as \x2c.
        let base = spec.split(",max=").next().unwrap_or(spec);
        if base.starts_with("length") {
            Framing::Header
        } else if base.starts_with("lines") || base.starts_with("delim:") {
            Framing::Trailer
        } else if base == "cobs" {
            Framing::Cobs
        } else if let Some(n) = base.strip_prefix("fixed:").and_then(|n| n.parse().ok()) {
            Framing::Fixed(n)
        } else {
            Framing::Unframed
        }
    }

    /// The framing byte ranges of `encoded`, which carries `payload_len`
    /// payload bytes.
    fn ranges(self, encoded: &[u8], payload_len: usize) -> Vec<Range<usize>> {
        let overhead = encoded.len().saturating_sub(payload_len);
        match self {
            Framing::Header => std::iter::once(0..overhead).collect(),
            Framing::Trailer => std::iter::once(payload_len..encoded.len()).collect(),
            Framing::Cobs => {
                // Each code byte says where the next one is; the last byte is
                // the 00 that ends the frame.
                let end = encoded.len().saturating_sub(1);
                let mut ranges = Vec::new();
                let mut at = 0;
                while at < end && encoded[at] != 0 {
                    ranges.push(at..at + 1);
                    at += usize::from(encoded[at]);
                }
                ranges.push(end..encoded.len());
                ranges
            }
            Framing::Fixed(_) | Framing::Unframed => Vec::new(),
        }
    }
}

/// Sends [`MESSAGES`] through `codec` over a loopback connection and decodes
/// them again with `FramedRead`, in reads of at most [`READ_SIZE`] bytes.
pub(super) async fn run(codec: &AnyCodec) -> Result<CodecReport, Error> {
    let spec = codec.to_string();
    let framing = Framing::of(&spec);

    // Encode each message on its own first, to know which the encoder
    // refuses and which bytes on the wire belong to which frame.
    let mut sent = Vec::new();
    let mut refused = Vec::new();
    let mut wire = Vec::new();
    for message in MESSAGES {
        let item = match framing {
            Framing::Fixed(n) if message.len() < n => Bytes::from(format!("{message:<n$}")),
            _ => Bytes::from_static(message.as_bytes()),
        };
        let mut encoded = BytesMut::new();
        match codec.clone().encode(item.clone(), &mut encoded) {
            Ok(()) => {
                let framing = framing.ranges(&encoded, item.len());
                wire.push(WireFrame {
                    bytes: encoded.freeze(),
                    framing,
                });
                sent.push(item);
            }
            Err(e) => refused.push((item, e.to_string())),
        }
    }

    let (client, server) = connected_pair().await?;
    let from = client.local_addr()?;
    let to = server.local_addr()?;
    let mut writer = FramedWrite::new(client, codec.clone());
    bounded("sending the frames", async {
        for item in &sent {
            // `feed` only buffers; `close` flushes everything in one write
            // and shuts down the sending side.
            writer.feed(item.clone()).await?;
        }
        SinkExt::<Bytes>::close(&mut writer).await?;
        Ok::<_, Error>(())
    })
    .await?;

    let total = wire.iter().map(|w| w.bytes.len()).sum();
    wait_for_bytes(&server, total).await?;
    let mut reader = FramedRead::new(Recorder::new(server, READ_SIZE), codec.clone());
    let mut frames = Vec::new();
    let mut errors = Vec::new();
    while let Some(frame) = bounded("receiving the frames", async {
        Ok::<_, Error>(reader.next().await)
    })
    .await?
    {
        match frame {
            Ok(frame) => frames.push(frame),
            Err(e) => errors.push(e.to_string()),
        }
    }
    let recorder = reader.into_inner();
    Ok(CodecReport {
        codec: spec,
        from,
        to,
        sent,
        refused,
        wire,
        received: recorder.received.freeze(),
        read_size: READ_SIZE,
        reads: recorder.reads,
        frames,
        errors,
    })
}

/// An `AsyncRead` that hands out at most `max` bytes per read and remembers
/// every byte and every read length, to show how the bytes arrived.
#[derive(Debug)]
struct Recorder<R> {
    inner: R,
    max: usize,
    received: BytesMut,
    reads: Vec<usize>,
}

impl<R> Recorder<R> {
    fn new(inner: R, max: usize) -> Self {
        Recorder {
            inner,
            max,
            received: BytesMut::new(),
            reads: Vec::new(),
        }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Recorder<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let mut small = vec![0; buf.remaining().min(this.max)];
        let mut small = ReadBuf::new(&mut small);
        ready!(Pin::new(&mut this.inner).poll_read(cx, &mut small))?;
        let got = small.filled();
        if !got.is_empty() {
            this.received.extend_from_slice(got);
            this.reads.push(got.len());
        }
        buf.put_slice(got);
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
#[allow(
    clippy::single_range_in_vec_init,
    reason = "framing is compared with lists of byte ranges, often of one range"
)]
mod tests {
    use super::*;

    #[test]
    fn framing_from_spec() {
        assert_eq!(Framing::of("length:u16le,max=4096"), Framing::Header);
        assert_eq!(Framing::of("lines-crlf"), Framing::Trailer);
        assert_eq!(Framing::of("delim:\\x2c"), Framing::Trailer);
        assert_eq!(Framing::of("fixed:12"), Framing::Fixed(12));
        assert_eq!(Framing::of("cobs,max=10"), Framing::Cobs);
        assert_eq!(Framing::of("raw"), Framing::Unframed);
    }

    #[test]
    fn cobs_code_bytes_marked() {
        // "a\0b" encodes as 02 61 02 62 00.
        let ranges = Framing::Cobs.ranges(b"\x02a\x02b\x00", 3);
        assert_eq!(ranges, [0..1, 2..3, 4..5]);
    }

    #[test]
    fn header_and_trailer_marked() {
        assert_eq!(Framing::Header.ranges(b"\x00\x02hi", 2), [0..2]);
        assert_eq!(Framing::Trailer.ranges(b"hi\r\n", 2), [2..4]);
    }
}
