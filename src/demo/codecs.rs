//! The cures: the same messages through each codec, over TCP, with
//! tokio-util's `FramedWrite` and `FramedRead`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, ReadBuf};
use tokio_util::codec::{Encoder, FramedRead, FramedWrite};

use super::render::escaped;
use super::tcp::{bounded, connected_pair, wait_for_bytes};
use super::{CodecReport, MESSAGES, WireFrame};
use crate::{AnyCodec, CodecKind, Endian, Error, Stuffing, Width, WirePart};

/// The most one read returns on the receiving side, for most codecs: small
/// enough that the reads cut across frames, so the codec has sticky and
/// split reads to undo. (Not 7: the 7-byte frames of `cobs` and
/// `length:u16` would line up with the reads, and 5 would let `raw` hand back
/// "hello" and "james" by luck.) See [`read_size`] for the others.
pub(super) const READ_SIZE: usize = 8;

/// The messages as `codec` sends them: the items encoded, with their wire
/// bytes, and the items refused with why.
type Encoded = (Vec<Bytes>, Vec<(Bytes, String)>, Vec<WireFrame>);

/// Encodes each message on its own, to know which the encoder refuses and
/// which bytes on the wire belong to which frame.
fn encode_messages(codec: &AnyCodec) -> Result<Encoded, Error> {
    let padded_to = fixed_payload_len(codec);
    let mut sent = Vec::new();
    let mut refused = Vec::new();
    let mut wire = Vec::new();
    for message in MESSAGES {
        let item = match padded_to {
            Some(n) if message.len() < n => Bytes::from(format!("{message:<n$}")),
            _ => Bytes::from_static(message.as_bytes()),
        };
        let mut encoded = BytesMut::new();
        match codec.clone().encode(item.clone(), &mut encoded) {
            Ok(()) => {
                // The codec says which of its bytes are framing.
                let layout = codec.wire_layout(&encoded)?;
                let framing = layout
                    .iter()
                    .filter(|span| span.part.is_framing())
                    .map(|span| span.range.clone())
                    .collect();
                wire.push(WireFrame {
                    bytes: encoded.freeze(),
                    framing,
                    layout,
                });
                sent.push(item);
            }
            Err(e) => refused.push((item, e.to_string())),
        }
    }
    Ok((sent, refused, wire))
}

/// The most one read returns for `codec`: [`READ_SIZE`], or the nearest
/// size with which some read ends inside a frame (split) and some read
/// holds the end of one frame and the start of the next (sticky). Frames of
/// `netstring`, 8, 8, 16 and 6 bytes, would line up with reads of 8.
pub(super) fn read_size(codec: &AnyCodec) -> usize {
    let Ok((_, _, wire)) = encode_messages(codec) else {
        return READ_SIZE;
    };
    let lens: Vec<usize> = wire.iter().map(|w| w.bytes.len()).collect();
    [READ_SIZE, 7, 9, 6, 10, 5, 11, 12]
        .into_iter()
        .find(|&size| sticky_and_split(&lens, size))
        .unwrap_or(READ_SIZE)
}

/// Whether reads of `size` bytes over frames of `lens` bytes end inside a
/// frame and span a frame boundary, each at least once.
fn sticky_and_split(lens: &[usize], size: usize) -> bool {
    let ends: Vec<usize> = lens
        .iter()
        .scan(0, |at, len| {
            *at += len;
            Some(*at)
        })
        .collect();
    let total = ends.last().copied().unwrap_or(0);
    let reads: Vec<(usize, usize)> = (0..total)
        .step_by(size.max(1))
        .map(|start| (start, (start + size).min(total)))
        .collect();
    let split = reads.iter().any(|(_, end)| !ends.contains(end));
    let sticky = reads
        .iter()
        .any(|&(start, end)| ends.iter().any(|&f| start < f && f < end));
    split && sticky
}

/// Sends [`MESSAGES`] through `codec` over a loopback connection and decodes
/// them again with `FramedRead`, in reads of at most [`read_size`] bytes.
pub(super) async fn run(codec: &AnyCodec) -> Result<CodecReport, Error> {
    let spec = codec.to_string();
    let read_size = read_size(codec);
    let (sent, refused, wire) = encode_messages(codec)?;
    let description = describe(codec, &wire);

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
    let mut reader = FramedRead::new(Recorder::new(server, read_size), codec.clone());
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
        description,
        from,
        to,
        sent,
        refused,
        wire,
        received: recorder.received.freeze(),
        read_size,
        reads: recorder.reads,
        frames,
        errors,
    })
}

/// The payload size of a fixed-length codec (under its trailer, if it has
/// one): the demo pads shorter messages to it.
fn fixed_payload_len(codec: &AnyCodec) -> Option<usize> {
    match codec.as_crc() {
        Some(crc) => fixed_payload_len(crc.inner()).map(|n| n.saturating_sub(crc.trailer_len())),
        None => codec.as_fixed().map(|fixed| fixed.frame_len()),
    }
}

/// One line on how `codec` marks its frames, from its settings (and, for a
/// delimiter, the bytes it wrote).
fn describe(codec: &AnyCodec, wire: &[WireFrame]) -> String {
    if let Some(crc) = codec.as_crc() {
        let order = match crc.endian() {
            _ if crc.trailer_len() == 1 => "",
            Endian::Big => ", big-endian",
            Endian::Little => ", little-endian",
        };
        return format!(
            "{}; the last {} of each payload are its {} [checksum]{order}",
            describe(crc.inner(), wire),
            match crc.trailer_len() {
                1 => "byte".to_string(),
                n => format!("{n} bytes"),
            },
            crc.algorithm().name().to_uppercase(),
        );
    }
    match codec.kind() {
        CodecKind::Length => {
            let Some(length) = codec.as_length() else {
                return String::new();
            };
            let field = match (length.width(), length.endian()) {
                (Width::Varint, _) => "a LEB128 varint".to_string(),
                (Width::Varint4, _) => "an MQTT varint (1 to 4 bytes)".to_string(),
                (Width::U8, _) => "a 1-byte".to_string(),
                (width, endian) => {
                    let endian = if endian == Endian::Big { "big" } else { "little" };
                    format!("a {}-byte {endian}-endian", width.fixed_size().unwrap_or(0))
                }
            };
            match length.offset() {
                0 => format!("{field} [length] before each payload"),
                n => format!("{field} [length] after {n} more header bytes, before each payload"),
            }
        }
        CodecKind::Lines | CodecKind::Delimited => {
            let delimiter = wire
                .iter()
                .find_map(|w| {
                    w.layout
                        .iter()
                        .find(|span| span.part == WirePart::End)
                        .map(|span| &w.bytes[span.range.clone()])
                })
                .map(|d| {
                    let hex: Vec<String> = d.iter().map(|b| format!("{b:02x}")).collect();
                    format!(" {} [{}]", escaped(d), hex.join(" "))
                })
                .unwrap_or_default();
            if codec.kind() == CodecKind::Lines {
                format!("each line ends at{delimiter}")
            } else {
                format!("each frame ends at the delimiter{delimiter}")
            }
        }
        CodecKind::Cobs => {
            "[code] bytes stand in for any 00 in the payload; [00] ends each frame".to_string()
        }
        CodecKind::Fixed => format!(
            "every frame is exactly {} bytes; shorter messages padded with spaces",
            codec.as_fixed().map_or(0, |f| f.frame_len())
        ),
        CodecKind::Slip => {
            let lead = codec.as_slip().is_some_and(|s| s.leading_end());
            format!(
                "{} each frame; c0 and db in the payload are sent as [db] dc and [db] dd",
                if lead { "[c0] (END) before and after" } else { "[c0] (END) ends" }
            )
        }
        CodecKind::Stuffed => match codec.as_stuffed().map(|s| s.stuffing()) {
            Some(Stuffing::Hdlc { flag, escape, xor }) => format!(
                "[{flag:02x}] flags around each frame; {flag:02x} and {escape:02x} in the payload are sent as [{escape:02x}] {:02x} and [{escape:02x}] {:02x}",
                flag ^ xor,
                escape ^ xor
            ),
            _ => "[10 02] (DLE STX) starts each frame, [10 03] (DLE ETX) ends it; a 10 in the payload is doubled: [10] 10".to_string(),
        },
        CodecKind::Netstring => {
            "the decimal [length and :] before each payload, [,] after it".to_string()
        }
        CodecKind::OctetCounting => {
            "the decimal [length and a space] before each payload (RFC 6587)".to_string()
        }
        CodecKind::HexLength => format!(
            "{} hex digits of [length] before each payload",
            codec.as_hex_length().map_or(0, |h| h.width())
        ),
        _ => "no framing at all: each read becomes a frame".to_string(),
    }
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
mod tests {
    use super::*;

    fn described(spec: &str) -> String {
        describe(&spec.parse().unwrap(), &[])
    }

    #[test]
    fn descriptions_from_codec_values() {
        assert_eq!(
            described("length"),
            "a 4-byte big-endian [length] before each payload"
        );
        assert_eq!(
            described("length:u16le,max=4096"),
            "a 2-byte little-endian [length] before each payload"
        );
        assert_eq!(
            described("length:u8"),
            "a 1-byte [length] before each payload"
        );
        assert_eq!(
            described("length:varint"),
            "a LEB128 varint [length] before each payload"
        );
        assert_eq!(
            described("fixed:12"),
            "every frame is exactly 12 bytes; shorter messages padded with spaces"
        );
        assert_eq!(
            described("raw"),
            "no framing at all: each read becomes a frame"
        );
        assert_eq!(
            described("hexlen:6"),
            "6 hex digits of [length] before each payload"
        );
        assert_eq!(
            described("cobs,crc=crc16-xmodem"),
            "[code] bytes stand in for any 00 in the payload; [00] ends each frame; \
             the last 2 bytes of each payload are its CRC16-XMODEM [checksum], big-endian"
        );
    }

    #[test]
    fn read_size_cuts_across_frames() {
        assert_eq!(read_size(&"length".parse().unwrap()), READ_SIZE);
        assert_eq!(read_size(&"cobs".parse().unwrap()), READ_SIZE);
        // 5:hello, 5:james, 12:how are you?, 3:bye,
        assert!(!sticky_and_split(&[8, 8, 16, 6], 8));
        assert_eq!(read_size(&"netstring".parse().unwrap()), 7);
        assert!(sticky_and_split(&[8, 8, 16, 6], 7));
    }

    #[test]
    fn fixed_messages_leave_room_for_the_trailer() {
        assert_eq!(fixed_payload_len(&"fixed:12".parse().unwrap()), Some(12));
        assert_eq!(
            fixed_payload_len(&"fixed:12,crc=crc32".parse().unwrap()),
            Some(8)
        );
        assert_eq!(fixed_payload_len(&"length".parse().unwrap()), None);
    }
}
