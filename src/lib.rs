//! Framing codecs for byte streams: the cure for sticky and split packets.
//!
//! TCP delivers a stream of bytes, not messages. One `read` can return three
//! messages glued together (a *sticky packet*, 粘包) or half of one (a *split
//! packet*, 半包):
//!
//! ```text
//! sent:      [hello] [james] [how are you?]
//! read 1:    [hellojameshow a]            <- sticky and split
//! read 2:                    [re you?]    <- the rest
//! ```
//!
//! A framing codec puts the boundaries back: the sender marks where each
//! message ends, and the receiver's decoder cuts the stream at those marks,
//! however the bytes arrive. framewise's codecs implement tokio-util's
//! [`Decoder`](tokio_util::codec::Decoder) and
//! [`Encoder`](tokio_util::codec::Encoder), so they plug into `Framed`,
//! `FramedRead`, `FramedWrite` and `UdpFramed`, and the [`blocking`] module
//! runs them over any `std::io::Read` / `Write`.
//!
//! # Example
//!
//! ```
//! use bytes::{Bytes, BytesMut};
//! use framewise::LengthPrefixed;
//! use tokio_util::codec::{Decoder, Encoder};
//!
//! let mut codec = LengthPrefixed::new();
//! let mut wire = BytesMut::new();
//! for msg in ["hello", "james", "how are you?"] {
//!     codec.encode(Bytes::from(msg), &mut wire)?;
//! }
//!
//! // The receiver gets the bytes in awkward pieces: 7 bytes, then the rest.
//! let mut received = BytesMut::new();
//! let mut frames = Vec::new();
//! for piece in [&wire[..7], &wire[7..]] {
//!     received.extend_from_slice(piece);
//!     while let Some(frame) = codec.decode(&mut received)? {
//!         frames.push(frame);
//!     }
//! }
//! assert_eq!(frames, ["hello", "james", "how are you?"]);
//! # Ok::<(), framewise::Error>(())
//! ```
//!
//! With tokio, wrap a socket in `Framed` and read frames as a `Stream`. Every
//! encoder takes both `Bytes` and `&[u8]`, so item-less sink calls name the
//! item type: `SinkExt::<Bytes>::flush(&mut framed)`.
//!
//! ```no_run
//! use bytes::Bytes;
//! use framewise::LengthPrefixed;
//! use futures::{SinkExt, StreamExt};
//! use tokio::net::TcpStream;
//! use tokio_util::codec::Framed;
//!
//! # async fn demo() -> Result<(), framewise::Error> {
//! let stream = TcpStream::connect("127.0.0.1:7007").await?;
//! let mut framed = Framed::new(stream, LengthPrefixed::new());
//! framed.feed(Bytes::from("ping")).await?;
//! SinkExt::<Bytes>::flush(&mut framed).await?;
//! while let Some(frame) = framed.next().await {
//!     println!("{:?}", frame?);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # The framings
//!
//! | codec | frame ends | wire format |
//! |---|---|---|
//! | [`LengthPrefixed`] | after the announced length | `[len: u32 BE][payload]`, any header layout, or LEB128 varint |
//! | [`Delimited`] | at a delimiter (any bytes, several) | `[payload][\r\n]` |
//! | [`Lines`] | at `\n` (a `\r` before it is dropped); UTF-8 `String` items | `[text][\n]` |
//! | [`FixedLength`] | after n bytes | `[n bytes]` |
//! | [`Cobs`] | at `0x00`; payload byte-stuffed to hold no zero | `[cobs(payload)][00]` |
//! | [`Raw`] | nowhere: each read is a frame (the problem itself; UDP datagrams) | `[bytes]` |
//! | [`Slip`] | at `0xC0` (RFC 1055); `C0`/`DB` escaped | `[slip(payload)][C0]` |
//! | [`Stuffed`] | at a flag (HDLC-like, RFC 1662) or `DLE ETX` | `[7E][stuffed][7E]`, `[10 02][stuffed][10 03]` |
//! | [`Netstring`] | after the announced decimal length | `12:hello world!,` |
//! | [`OctetCounting`] | after the announced decimal length (RFC 6587, syslog) | `5 hello` |
//! | [`HexLength`] | after the announced hex length (adb) | `000Chost:version` |
//! | [`Crc`] | wherever its inner codec ends a frame; checks a CRC trailer | `inner(payload ‖ crc)` |
//! | [`AnyCodec`] | any of the above, chosen at run time from a spec such as `"length:u16le,max=4096"` | |
//!
//! ## Length-prefixed
//!
//! ```text
//! +---- len: u32 BE ----+------- payload -------+
//! | 00 00 00 0c         | H E L L O ,   W O R L D |
//! +---------------------+-----------------------+
//! ```
//!
//! Any header layout: an offset before the length field, a 1, 2, 3, 4 or 8
//! byte field in either byte order or a varint, an adjustment when the length
//! counts more or less than the payload, and how much of the header to strip.
//!
//! ```
//! # use framewise::{LengthPrefixed, Width};
//! # use bytes::BytesMut; use tokio_util::codec::Decoder;
//! // Netty's example 6: 0xCA, a u16 length, 0xFE, then the payload.
//! let mut codec = LengthPrefixed::builder()
//!     .offset(1).width(Width::U16).adjustment(1).strip(3).build()?;
//! let mut buf = BytesMut::from(&b"\xca\x00\x02\xfehi"[..]);
//! assert_eq!(codec.decode(&mut buf)?.unwrap(), &b"\xfehi"[..]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Delimited and lines
//!
//! ```text
//! +--- payload ---+- delim -+--- payload ---+- delim -+
//! | G E T   /     |  \r \n  | H o s t : x   |  \r \n  |
//! +---------------+---------+---------------+---------+
//! ```
//!
//! ```
//! # use framewise::Delimited;
//! # use bytes::BytesMut; use tokio_util::codec::Decoder;
//! let mut codec = Delimited::builder().delimiter(b"\r\n").delimiter(b"\n").build()?;
//! let mut buf = BytesMut::from(&b"GET /\r\nHost: x\n"[..]);
//! assert_eq!(codec.decode(&mut buf)?.unwrap(), "GET /");
//! assert_eq!(codec.decode(&mut buf)?.unwrap(), "Host: x");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Fixed length
//!
//! ```text
//! +-- 4 bytes --+-- 4 bytes --+
//! | 00 01 02 03 | 04 05 06 07 |
//! +-------------+-------------+
//! ```
//!
//! ```
//! # use framewise::FixedLength;
//! # use bytes::BytesMut; use tokio_util::codec::Decoder;
//! let mut codec = FixedLength::new(4)?;
//! let mut buf = BytesMut::from(&b"abcdefg"[..]);
//! assert_eq!(codec.decode(&mut buf)?.unwrap(), "abcd");
//! assert_eq!(codec.decode(&mut buf)?, None); // "efg" waits for one more byte
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## COBS
//!
//! ```text
//! payload:   11 00 22 33          (holds a zero)
//! on wire:   02 11 03 22 33 | 00  (no zero inside; 00 ends the frame)
//! ```
//!
//! ```
//! # use framewise::Cobs;
//! # use bytes::BytesMut; use tokio_util::codec::Decoder;
//! let mut buf = BytesMut::from(&b"\x02\x11\x03\x22\x33\x00"[..]);
//! assert_eq!(Cobs::new().decode(&mut buf)?.unwrap(), &b"\x11\x00\x22\x33"[..]);
//! # Ok::<(), framewise::Error>(())
//! ```
//!
//! ## SLIP and byte stuffing
//!
//! ```text
//! Slip:            01 C0 02  ->  01 DB DC 02 | C0
//! Stuffed::hdlc(): 01 7E 02  ->  7E | 01 7D 5E 02 | 7E
//! Stuffed::dle():  01 10 02  ->  10 02 | 01 10 10 02 | 10 03
//! ```
//!
//! ```
//! # use framewise::Slip;
//! # use bytes::BytesMut; use tokio_util::codec::Decoder;
//! let mut buf = BytesMut::from(&b"\x01\xdb\xdc\x02\xc0"[..]);
//! assert_eq!(Slip::new().decode(&mut buf)?.unwrap(), &b"\x01\xc0\x02"[..]);
//! # Ok::<(), framewise::Error>(())
//! ```
//!
//! ## ASCII lengths
//!
//! ```text
//! Netstring:      5:hello,
//! OctetCounting:  5 hello
//! HexLength(4):   0005hello
//! ```
//!
//! ```
//! # use framewise::Netstring;
//! # use bytes::BytesMut; use tokio_util::codec::Decoder;
//! let mut buf = BytesMut::from(&b"5:a,b,c,0:,"[..]);
//! assert_eq!(Netstring::new().decode(&mut buf)?.unwrap(), "a,b,c");
//! # Ok::<(), framewise::Error>(())
//! ```
//!
//! ## CRC trailers
//!
//! ```text
//! Crc<LengthPrefixed>, CRC-16/XMODEM:  [00 00 00 0b][1 2 3 4 5 6 7 8 9][31 c3]
//! ```
//!
//! ```
//! # use framewise::{Crc, CrcAlgorithm, Slip};
//! # use bytes::BytesMut; use tokio_util::codec::Decoder;
//! let mut codec = Crc::new(Slip::new(), CrcAlgorithm::Crc16Xmodem);
//! let mut buf = BytesMut::from(&b"123456789\x31\xc3\xc0"[..]);
//! assert_eq!(codec.decode(&mut buf)?.unwrap(), "123456789");
//! # Ok::<(), framewise::Error>(())
//! ```
//!
//! # The contract every codec keeps
//!
//! - **Not enough bytes yet** is `Ok(None)`, never an error.
//! - **Any split**: decoding gives the same frames and errors however the
//!   bytes are split into reads (one byte at a time, all at once, at random
//!   points), and decoding what the encoder wrote gives back the items.
//!   This is property-tested for every codec.
//! - **The encoder refuses** what the decoder could not give back: a payload
//!   holding the delimiter, a payload over the limit or over what the length
//!   field can express, a fixed-length item of the wrong size. It returns an
//!   error and writes nothing.
//! - **Limits**: every codec has a maximum frame length, because a peer can
//!   announce 4 GiB in a 4-byte header or never send a delimiter. An oversized
//!   frame is reported once as [`Error::FrameTooLong`] and skipped (length
//!   framing discards the announced bytes as they arrive; delimiter framings
//!   discard up to the next delimiter). Decoding then goes on with the next
//!   frame: one bad frame never kills the stream. The exception is a corrupt
//!   length header ([`Error::CorruptHeader`]), after which the framing is lost.
//! - **Memory**: a decoder holds only bytes that have arrived, within its
//!   limit. Nothing is reserved from an announced length, and a peer that
//!   never sends a delimiter cannot grow the buffer past the limit plus one read.
//! - **End of stream**: `decode_eof` on a partial frame is
//!   [`Error::Truncated`] with the number of bytes left (they are cleared, not
//!   silently dropped). A final unterminated [`Delimited`] or [`Lines`] frame is
//!   returned as a frame.
//!
//! # One core, every way in
//!
//! Each framing's logic is written once, in its own file, on plain byte
//! slices: the [`framing`] module's [`Decode`], [`DecodeMut`] and [`Encode`]
//! traits. That core is `no_std`, allocates nothing and knows no runtime, so
//! it runs on a microcontroller as well as in a server. Every way in is a thin
//! adapter over it:
//!
//! | way in | feature | frames |
//! |---|---|---|
//! | your own buffer: [`Decode::decode_slice`], [`DecodeMut::decode_in_place`], [`Encode::encode_to_slice`] | (none; `no_std`) | `&[u8]` into your buffer |
//! | tokio-util `Decoder`/`Encoder` (`Framed`, `FramedRead`, `UdpFramed`) | `tokio` | `Bytes` (`String` for [`Lines`]) |
//! | asynchronous-codec `Decoder`/`Encoder` (smol, async-std, any futures-io) | `futures-io` | `Bytes` |
//! | `blocking::BorrowedReader` over any `std::io::Read` | `std` | `&[u8]`, no allocation per frame |
//! | `blocking::FrameReader` / `FrameWriter` | `tokio` | the tokio-util items |
//!
//! # Cargo features
//!
//! The default is the whole command-line tool. A library takes what it needs:
//!
//! ```toml
//! # the core alone: no_std, no allocator, memchr only
//! framewise = { version = "0.1", default-features = false }
//! # with tokio-util's Framed
//! framewise = { version = "0.1", default-features = false, features = ["tokio"] }
//! ```
//!
//! A library user picks what they need with
//! `framewise = { version = "0.1", default-features = false, features = [...] }`:
//!
//! - none: the framing core ([`framing`]: [`Decode`], [`DecodeMut`],
//!   [`Encode`], the slice API [`framing::frames`]), `no_std` with no
//!   allocator; memchr only. Builds for bare-metal targets (Cortex-M).
//! - `std`: [`Error::Io`], `std::error::Error`, and
//!   [`blocking::BorrowedReader`] (frames lent out of one buffer).
//! - `tokio`: tokio-util's `Decoder`/`Encoder` on every codec (`Bytes`
//!   frames), [`blocking::FrameReader`]/[`blocking::FrameWriter`], and
//!   [`tokio_io::BorrowedReader`] over `AsyncRead` (bytes, tokio-util, tokio
//!   with no features).
//! - `futures-io`: asynchronous-codec's `Decoder`/`Encoder` on every codec,
//!   for `asynchronous_codec::Framed` over smol, async-std or any futures-io
//!   stream (bytes, asynchronous-codec).
//! - `net` (default): echo and time servers and clients on `Framed` and
//!   `UdpFramed` (the tokio runtime, futures, tracing, jiff).
//! - `demo` (default): the message-boundary demonstrations.
//! - `cli` (default): the `framewise` command-line tool (clap, indicatif).

#![cfg_attr(not(feature = "std"), no_std)]

#[cfg(feature = "std")]
mod any;
mod ascii;
#[cfg(feature = "std")]
pub mod blocking;
mod cobs;
mod crc;
mod delimited;
#[cfg(feature = "demo")]
pub mod demo;
mod error;
mod fixed;
mod frame_len;
pub mod framing;
#[cfg(feature = "futures-io")]
mod futures_codec;
#[cfg(feature = "std")]
mod layout;
mod length;
mod lines;
#[cfg(feature = "net")]
pub mod net;
#[cfg(any(feature = "tokio", feature = "futures-io"))]
mod owned;
mod raw;
#[cfg(feature = "std")]
mod read_buffer;
mod slip;
mod stuffed;
#[cfg(feature = "tokio")]
mod tokio_codec;
#[cfg(feature = "tokio")]
pub mod tokio_io;

#[cfg(feature = "std")]
pub use crate::any::{AnyCodec, CodecKind};
pub use crate::ascii::{HexLength, Netstring, OctetCounting};
pub use crate::cobs::Cobs;
pub use crate::crc::{Crc, CrcAlgorithm};
pub use crate::delimited::{Delimited, DelimitedBuilder};
pub use crate::error::{ConfigError, Error, Reason, SettingReason};
pub use crate::fixed::FixedLength;
pub use crate::framing::{Decode, DecodeMut, Decoded, Encode, FrameLen, Output, SliceOutput};
#[cfg(feature = "std")]
pub use crate::layout::{WirePart, WireSpan};
pub use crate::length::{Endian, LengthPrefixed, LengthPrefixedBuilder, Width};
pub use crate::lines::Lines;
pub use crate::raw::Raw;
pub use crate::slip::Slip;
pub use crate::stuffed::{Stuffed, Stuffing};
