//! The framing core: every framing's logic, once, on plain byte slices.
//!
//! Each codec type ([`LengthPrefixed`](crate::LengthPrefixed),
//! [`Cobs`](crate::Cobs), ...) implements the traits of this module. They
//! know nothing of sockets, runtimes or allocation, and build for `no_std`
//! targets without an allocator. Every way in is a thin adapter over them:
//!
//! ```text
//!                   +--> tokio-util Decoder/Encoder   (feature `tokio`, Bytes frames)
//!  bytes --> core --+--> asynchronous-codec           (feature `futures-io`)
//!  (Decode,         +--> blocking::BorrowedReader     (feature `std`, &[u8] frames)
//!   DecodeMut,      +--> Frames over your own slice   (always: DMA rings, captures)
//!   Encode)
//! ```
//!
//! # Decoding
//!
//! A decoder is given the bytes received so far (the front of the caller's
//! buffer, where the last call's `consumed` bytes have been dropped) and
//! answers with a [`Decoded`]:
//!
//! - [`Decoded::Incomplete`]: no frame yet. `consumed` is usually 0; it is
//!   more while an oversized frame is being skipped, so the caller can drop
//!   those bytes at once and memory stays bounded.
//! - [`Decoded::Frame`]: the payload is `src[start..start + len]`, and the
//!   caller drops `consumed` bytes once it is done with the payload.
//! - [`Decoded::Error`]: a bad frame; drop `consumed` bytes and carry on if
//!   [`Error::is_recoverable`] (an oversized frame, a checksum mismatch), or
//!   stop (a corrupt length header, after which the codec repeats the error).
//!
//! The decoder keeps its own state between calls (how far it has scanned, a
//! discard in progress), so the caller must hand it the same bytes again,
//! plus whatever arrived since, minus what it consumed.
//!
//! Framings that only find boundaries implement [`Decode`] on `&[u8]`;
//! framings that un-stuff bytes (COBS) decode in place and implement only
//! [`DecodeMut`] on `&mut [u8]`. Every [`Decode`] is a [`DecodeMut`] too, so
//! adapters that own their buffer take any codec through [`DecodeMut`].
//!
//! # Encoding
//!
//! [`Encode::encoded_len`] checks an item and gives its exact size on the
//! wire (or the refusal, before anything is written); [`Encode::write_frame`]
//! then writes it to any [`Output`]: a `BytesMut`, a `Vec<u8>`, or the
//! caller's own slice through [`Encode::encode_to_slice`].
//!
//! # Examples
//!
//! Decoding frames out of a buffer you own, with no allocation:
//!
//! ```
//! use framewise::{Decode, Decoded, LengthPrefixed, Width};
//!
//! let mut codec = LengthPrefixed::builder().width(Width::U8).build()?;
//! let received = b"\x02hi\x03you\x05hel"; // two frames and the start of a third
//! let mut at = 0;
//! let mut frames = Vec::new();
//! loop {
//!     match codec.decode_slice(&received[at..]) {
//!         Decoded::Frame { start, len, consumed } => {
//!             frames.push(&received[at + start..at + start + len]);
//!             at += consumed;
//!         }
//!         Decoded::Incomplete { consumed } => {
//!             at += consumed;
//!             break;
//!         }
//!         Decoded::Error { error, .. } => return Err(error.into()),
//!     }
//! }
//! assert_eq!(frames, [&b"hi"[..], b"you"]);
//! assert_eq!(&received[at..], b"\x05hel"); // waits for the rest
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::error::Error;

mod frames;

pub use frames::{Frames, FramesMut, SliceFrames, frames, frames_mut};

/// What a decoder found at the front of the bytes it was given.
///
/// See the [module docs](self) for what the caller does with each answer.
#[derive(Debug)]
#[must_use = "the caller must drop `consumed` bytes"]
pub enum Decoded {
    /// No whole frame yet: call again when more bytes have arrived.
    Incomplete {
        /// Bytes the caller drops now: the part of an oversized frame being
        /// skipped, or separators between frames. Usually 0.
        consumed: usize,
    },
    /// A frame: its payload is `src[start..start + len]`.
    Frame {
        /// Where the payload starts (after a header, for instance).
        start: usize,
        /// The payload's length.
        len: usize,
        /// Bytes the caller drops once done with the payload: the whole frame
        /// on the wire, trailing delimiter included.
        consumed: usize,
    },
    /// A bad frame: drop `consumed` bytes and, if the error is recoverable,
    /// call again for the next frame.
    Error {
        /// Bytes the caller drops: the bad frame, or the part of it that has
        /// arrived (the rest is skipped as it arrives). 0 when the framing is
        /// lost ([`Error::CorruptHeader`]).
        consumed: usize,
        /// What was wrong.
        error: Error,
    },
}

impl Decoded {
    /// The bytes the caller drops after this answer.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::Decoded;
    /// assert_eq!(Decoded::Frame { start: 1, len: 2, consumed: 3 }.consumed(), 3);
    /// ```
    #[inline]
    pub fn consumed(&self) -> usize {
        match *self {
            Decoded::Incomplete { consumed }
            | Decoded::Frame { consumed, .. }
            | Decoded::Error { consumed, .. } => consumed,
        }
    }

    /// This answer about `src[skipped..]`, restated about `src`.
    #[inline]
    pub(crate) fn after_skipping(self, skipped: usize) -> Decoded {
        match self {
            Decoded::Incomplete { consumed } => Decoded::Incomplete {
                consumed: skipped + consumed,
            },
            Decoded::Frame {
                start,
                len,
                consumed,
            } => Decoded::Frame {
                start: skipped + start,
                len,
                consumed: skipped + consumed,
            },
            Decoded::Error { consumed, error } => Decoded::Error {
                consumed: skipped + consumed,
                error,
            },
        }
    }

    /// The answer of a decoder whose framing is lost
    /// ([`Error::CorruptHeader`]): nothing consumed, since where the next
    /// frame starts is unknown.
    #[inline]
    pub(crate) fn corrupt(reason: &'static str) -> Decoded {
        Decoded::Error {
            consumed: 0,
            error: Error::CorruptHeader { reason },
        }
    }

    /// The end-of-stream answer for a decoder that found no frame: nothing
    /// left is clean, anything left is [`Error::Truncated`] and consumed.
    #[inline]
    pub(crate) fn truncated(remaining: usize) -> Decoded {
        if remaining == 0 {
            Decoded::Incomplete { consumed: 0 }
        } else {
            Decoded::Error {
                consumed: remaining,
                error: Error::Truncated {
                    buffered: remaining,
                },
            }
        }
    }
}

/// A framing that finds frames in a read-only buffer.
///
/// Implemented by every framing that does not rewrite bytes (length
/// prefixes, delimiters, lines, fixed length, raw). See the
/// [module docs](self) for the protocol between caller and decoder.
pub trait Decode {
    /// Looks for the next frame at the front of `src`.
    fn decode_slice(&mut self, src: &[u8]) -> Decoded;

    /// Like [`decode_slice`](Decode::decode_slice), when no more bytes will come.
    ///
    /// A partial frame is [`Error::Truncated`] (all of it consumed). A
    /// framing may instead return what is left as a last frame (an
    /// unterminated final line). After this the decoder is ready for a new
    /// stream.
    fn decode_slice_eof(&mut self, src: &[u8]) -> Decoded;
}

/// A framing that may rewrite a frame in place while decoding it.
///
/// COBS and the byte-stuffing framings un-stuff the payload in the caller's
/// buffer, so they take `&mut [u8]`; every [`Decode`] framing is a
/// `DecodeMut` too. Adapters that own their buffer (tokio-util,
/// asynchronous-codec, [`BorrowedReader`](crate::blocking::BorrowedReader))
/// accept any `DecodeMut`.
pub trait DecodeMut {
    /// Looks for the next frame at the front of `src`, rewriting its bytes
    /// in place if the framing needs to; the payload is then
    /// `src[start..start + len]`.
    fn decode_in_place(&mut self, src: &mut [u8]) -> Decoded;

    /// Like [`decode_in_place`](DecodeMut::decode_in_place), when no more bytes will
    /// come (see [`Decode::decode_slice_eof`]).
    fn decode_in_place_eof(&mut self, src: &mut [u8]) -> Decoded;
}

impl<D: Decode + ?Sized> DecodeMut for D {
    #[inline]
    fn decode_in_place(&mut self, src: &mut [u8]) -> Decoded {
        self.decode_slice(src)
    }

    #[inline]
    fn decode_in_place_eof(&mut self, src: &mut [u8]) -> Decoded {
        self.decode_slice_eof(src)
    }
}

/// [`DecodeMut::decode_in_place`], or `decode_in_place_eof` when `eof`: for
/// the adapters, which carry end of stream as a flag.
#[inline]
pub(crate) fn decode_in_place_at<D: DecodeMut + ?Sized>(
    codec: &mut D,
    src: &mut [u8],
    eof: bool,
) -> Decoded {
    if eof {
        codec.decode_in_place_eof(src)
    } else {
        codec.decode_in_place(src)
    }
}

/// What a decoder tells an adapter that owns its buffer, so it can size it.
///
/// [`BorrowedReader`](crate::blocking::BorrowedReader) keeps one buffer: it
/// grows it to at most [`max_frame_len`](FrameLen::max_frame_len) plus one
/// read, and when [`frame_len_hint`](FrameLen::frame_len_hint) says how long
/// the frame at the front is, it reads exactly the rest of it, straight into
/// place, so large frames are not moved.
///
/// Every codec type implements it.
pub trait FrameLen {
    /// The largest frame the decoder accepts, on the wire (header or
    /// delimiter included).
    fn max_frame_len(&self) -> usize;

    /// The bytes on the wire of the frame at the front of `src`, when the
    /// decoder has just answered [`Decoded::Incomplete`] (with nothing
    /// consumed) for `src` and the framing announces it: a length header that
    /// has arrived. `None` when the framing does not know (delimiters).
    ///
    /// Only a hint for sizing buffers: a wrong answer costs speed, never
    /// frames. The default says `None`.
    #[inline]
    fn frame_len_hint(&self, src: &[u8]) -> Option<usize> {
        let _ = src;
        None
    }
}

/// Where an encoder writes: a growable buffer or a cursor over a slice.
///
/// [`Encode::write_frame`] is only called with room for the whole frame, so
/// writes never fail.
pub trait Output {
    /// Appends `bytes`.
    fn push_slice(&mut self, bytes: &[u8]);

    /// Appends one byte.
    #[inline]
    fn push_byte(&mut self, byte: u8) {
        self.push_slice(&[byte]);
    }
}

/// Writes into a caller's slice from the front; see [`Encode::encode_to_slice`].
///
/// # Panics
///
/// A write past the end of the slice panics; [`Encode::encode_to_slice`]
/// checks the room first, so it never does.
#[derive(Debug)]
pub struct SliceOutput<'a> {
    buf: &'a mut [u8],
    written: usize,
}

impl<'a> SliceOutput<'a> {
    /// A cursor at the start of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        SliceOutput { buf, written: 0 }
    }

    /// Bytes written so far.
    pub fn written(&self) -> usize {
        self.written
    }
}

impl Output for SliceOutput<'_> {
    #[inline]
    fn push_slice(&mut self, bytes: &[u8]) {
        self.buf[self.written..self.written + bytes.len()].copy_from_slice(bytes);
        self.written += bytes.len();
    }

    #[inline]
    fn push_byte(&mut self, byte: u8) {
        self.buf[self.written] = byte;
        self.written += 1;
    }
}

#[cfg(feature = "std")]
impl Output for std::vec::Vec<u8> {
    #[inline]
    fn push_slice(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    #[inline]
    fn push_byte(&mut self, byte: u8) {
        self.push(byte);
    }
}

#[cfg(any(feature = "tokio", feature = "futures-io"))]
impl Output for bytes::BytesMut {
    #[inline]
    fn push_slice(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    #[inline]
    fn push_byte(&mut self, byte: u8) {
        self.extend_from_slice(&[byte]);
    }
}

/// A framing's encoder: refuses what its decoder could not give back,
/// before writing anything.
pub trait Encode {
    /// The exact number of bytes `payload` takes on the wire, framed.
    ///
    /// # Errors
    ///
    /// The refusal, when the decoder could not give `payload` back: over the
    /// limit ([`Error::FrameTooLong`]), holding a delimiter or of the wrong
    /// size ([`Error::Unencodable`]), or a layout that cannot encode
    /// ([`Error::EncodeUnsupported`]).
    fn encoded_len(&self, payload: &[u8]) -> Result<usize, Error>;

    /// Writes `payload`, framed, to `out`: exactly `encoded_len` bytes.
    ///
    /// Call only after [`encoded_len`](Encode::encoded_len) accepted
    /// `payload` and returned `encoded_len`.
    fn write_frame<O: Output + ?Sized>(&self, payload: &[u8], encoded_len: usize, out: &mut O);

    /// Like [`encoded_len`](Encode::encoded_len), for the payload
    /// `head ‖ tail` given in two parts.
    ///
    /// This is how a wrapper appends bytes to a payload without copying it
    /// into a buffer of its own (there is no allocator in the core):
    /// [`Crc`](crate::Crc) encodes `data ‖ checksum` as the parts `data` and
    /// `checksum`. A framing that writes its payload in one pass (a length
    /// header then the bytes, or byte stuffing) overrides this pair of
    /// methods and frames the two parts as one payload.
    ///
    /// The provided implementation needs no help from the framing when one
    /// part is empty; when both hold bytes, it refuses with
    /// [`Error::EncodeUnsupported`], since it could only join them by
    /// allocating.
    ///
    /// # Errors
    ///
    /// The refusals of [`encoded_len`](Encode::encoded_len) for the joined
    /// payload, and [`Error::EncodeUnsupported`] (see above).
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{Encode, LengthPrefixed, Width};
    ///
    /// let codec = LengthPrefixed::builder().width(Width::U8).build()?;
    /// let len = codec.encoded_len_parts(b"data", b"\x12\x34")?;
    /// let mut wire = Vec::new();
    /// codec.write_frame_parts(b"data", b"\x12\x34", len, &mut wire);
    /// assert_eq!(wire, b"\x06data\x12\x34");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn encoded_len_parts(&self, head: &[u8], tail: &[u8]) -> Result<usize, Error> {
        match (head.is_empty(), tail.is_empty()) {
            (_, true) => self.encoded_len(head),
            (true, false) => self.encoded_len(tail),
            (false, false) => Err(Error::EncodeUnsupported {
                reason: "this framing cannot encode a payload given in two parts",
            }),
        }
    }

    /// Like [`write_frame`](Encode::write_frame), for the payload
    /// `head ‖ tail`: exactly `encoded_len` bytes.
    ///
    /// Call only after [`encoded_len_parts`](Encode::encoded_len_parts)
    /// accepted the two parts and returned `encoded_len`.
    fn write_frame_parts<O: Output + ?Sized>(
        &self,
        head: &[u8],
        tail: &[u8],
        encoded_len: usize,
        out: &mut O,
    ) {
        if tail.is_empty() {
            self.write_frame(head, encoded_len, out);
        } else {
            debug_assert!(head.is_empty(), "the default accepts one part only");
            self.write_frame(tail, encoded_len, out);
        }
    }

    /// Encodes `payload` into the front of `dst` and returns the bytes written.
    ///
    /// # Errors
    ///
    /// The refusals of [`encoded_len`](Encode::encoded_len), and
    /// [`Error::BufferTooSmall`] (with the room needed) when `dst` is too
    /// short. Nothing is written on any error.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{Encode, Error, LengthPrefixed, Width};
    ///
    /// let codec = LengthPrefixed::builder().width(Width::U16).build()?;
    /// let mut buf = [0u8; 8];
    /// let n = codec.encode_to_slice(b"\x11\x00\x22", &mut buf)?;
    /// assert_eq!(&buf[..n], b"\x00\x03\x11\x00\x22");
    /// let err = codec.encode_to_slice(&[1; 10], &mut buf).unwrap_err();
    /// assert!(matches!(err, Error::BufferTooSmall { needed: 12, available: 8 }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn encode_to_slice(&self, payload: &[u8], dst: &mut [u8]) -> Result<usize, Error> {
        let len = self.encoded_len(payload)?;
        if len > dst.len() {
            return Err(Error::BufferTooSmall {
                needed: len,
                available: dst.len(),
            });
        }
        let mut out = SliceOutput::new(&mut dst[..len]);
        self.write_frame(payload, len, &mut out);
        debug_assert_eq!(out.written(), len, "encoded_len disagrees with write_frame");
        Ok(len)
    }
}

/// A framing that frames a payload given in two parts as one: a length
/// header counting both, or stuffing run over both. Its [`Encode`] impl is
/// written from these two methods by [`encode_by_parts!`], the one-part
/// methods being the two-part ones with an empty tail.
pub(crate) trait EncodeParts {
    /// The exact size of `head ‖ tail` framed, or the refusal
    /// ([`Encode::encoded_len_parts`]).
    fn parts_len(&self, head: &[u8], tail: &[u8]) -> Result<usize, Error>;

    /// Writes `head ‖ tail`, framed ([`Encode::write_frame_parts`]); the
    /// size found by [`parts_len`](EncodeParts::parts_len) is not needed.
    ///
    /// The default writes the parts as they are, for a framing that adds no
    /// bytes (fixed-length records, raw datagrams).
    #[inline]
    fn write_parts<O: Output + ?Sized>(&self, head: &[u8], tail: &[u8], out: &mut O) {
        push_parts(out, head, tail);
    }
}

/// The length of the payload `head ‖ tail`, or [`Error::FrameTooLong`] when
/// it is over `max`: the first check of an encoder with a payload limit.
#[inline]
pub(crate) fn parts_len_within(head: &[u8], tail: &[u8], max: usize) -> Result<usize, Error> {
    let len = head.len() + tail.len();
    if len > max {
        return Err(Error::FrameTooLong {
            len: len as u64,
            max: max as u64,
        });
    }
    Ok(len)
}

/// Writes `head ‖ tail` as they are (a tail is often empty).
#[inline]
pub(crate) fn push_parts<O: Output + ?Sized>(out: &mut O, head: &[u8], tail: &[u8]) {
    out.push_slice(head);
    if !tail.is_empty() {
        out.push_slice(tail);
    }
}

/// `impl Encode for $codec`, all four methods, from the [`EncodeParts`]
/// impl of the codec (or of its field `$field`), with the doc comments
/// given for `encoded_len` (the codec's "# Errors") and
/// `encoded_len_parts`:
///
/// ```text
/// encode_by_parts! {
///     impl Encode for Netstring => engine {
///         /// The header, the payload (and trailer), or the refusal.
///         fn encoded_len;
///         /// The payload `head ‖ tail`: the length counts both.
///         fn encoded_len_parts;
///     }
/// }
/// ```
macro_rules! encode_by_parts {
    (
        impl Encode for $codec:ty $(=> $field:ident)? {
            $(#[$one:meta])*
            fn encoded_len;
            $(#[$two:meta])*
            fn encoded_len_parts;
        }
    ) => {
        impl $crate::framing::Encode for $codec {
            $(#[$one])*
            #[inline]
            fn encoded_len(&self, payload: &[u8]) -> Result<usize, $crate::Error> {
                $crate::framing::EncodeParts::parts_len($crate::framing::encode_by_parts!(@parts self $(.$field)?), payload, &[])
            }

            #[inline]
            fn write_frame<O: $crate::framing::Output + ?Sized>(
                &self,
                payload: &[u8],
                _encoded_len: usize,
                out: &mut O,
            ) {
                $crate::framing::EncodeParts::write_parts($crate::framing::encode_by_parts!(@parts self $(.$field)?), payload, &[], out);
            }

            $(#[$two])*
            #[inline]
            fn encoded_len_parts(&self, head: &[u8], tail: &[u8]) -> Result<usize, $crate::Error> {
                $crate::framing::EncodeParts::parts_len($crate::framing::encode_by_parts!(@parts self $(.$field)?), head, tail)
            }

            #[inline]
            fn write_frame_parts<O: $crate::framing::Output + ?Sized>(
                &self,
                head: &[u8],
                tail: &[u8],
                _encoded_len: usize,
                out: &mut O,
            ) {
                $crate::framing::EncodeParts::write_parts($crate::framing::encode_by_parts!(@parts self $(.$field)?), head, tail, out);
            }
        }
    };
    // What implements `EncodeParts`: the codec, or its field.
    (@parts $self:ident) => {
        $self
    };
    (@parts $self:ident . $field:ident) => {
        &$self.$field
    };
}
pub(crate) use encode_by_parts;
