//! Length-prefixed framing: a length field before each frame.
//!
//! The default layout is a 4-byte big-endian payload length, stripped from the
//! decoded frame:
//!
//! ```text
//! +---- len: u32 ----+---- payload ----+
//! | 0x00 00 00 0B    |  Hello world    |
//! +------------------+-----------------+
//! ```
//!
//! The builder describes any header layout (Netty's `LengthFieldBasedFrameDecoder`
//! and tokio-util's `LengthDelimitedCodec` are both special cases):
//!
//! ```text
//! |<- offset ->|<- width ->|<------ length + adjustment ------>|
//! +------------+-----------+-----------------------------------+
//! |   prefix   |  length   |   bytes after the length field    |
//! +------------+-----------+-----------------------------------+
//! |<- strip ->|  (dropped from the front of the decoded frame)
//! ```

use crate::error::{ConfigError, Error, reason};
use crate::framing::{Decode, Decoded, EncodeParts, Output, encode_by_parts, push_parts};

/// The default limit of a length-prefixed frame on the wire, header included: 8 MiB.
pub(crate) const DEFAULT_MAX_FRAME_LEN: usize = 8 * 1024 * 1024;

/// The longest unsigned LEB128 varint that encodes a `u64`.
const MAX_VARINT_LEN: usize = 10;

/// The largest value of a [`Width::Varint4`]: 28 bits.
const MAX_VARINT4: u64 = (1 << 28) - 1;

/// How the length field is written.
///
/// # Examples
///
/// ```
/// use framewise::{LengthPrefixed, Width};
///
/// let codec = LengthPrefixed::builder().width(Width::U16).build()?;
/// assert_eq!(codec.width(), Width::U16);
/// # Ok::<(), framewise::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Width {
    /// One byte: frames of up to 255 bytes after the length field.
    U8,
    /// Two bytes.
    U16,
    /// Three bytes (Netty's "medium").
    U24,
    /// Four bytes: the common default (tokio-util, Python's `struct.pack('!I', n)`).
    U32,
    /// Eight bytes.
    U64,
    /// Unsigned LEB128, 1 to 10 bytes: protobuf's length-delimited format.
    Varint,
    /// Unsigned LEB128 capped at 4 bytes, so at most 268,435,455: MQTT's
    /// "remaining length".
    ///
    /// ```text
    ///          0 = 00            16,384 = 80 80 01
    ///        127 = 7f         2,097,151 = ff ff 7f
    ///        128 = 80 01      2,097,152 = 80 80 80 01
    ///     16,383 = ff 7f    268,435,455 = ff ff ff 7f
    /// ```
    ///
    /// A fourth byte with its continuation bit set (a fifth byte announced)
    /// is [`Error::CorruptHeader`].
    Varint4,
}

impl Width {
    /// The size of a fixed-width field, or `None` for the varints.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::Width;
    /// assert_eq!(Width::U24.fixed_size(), Some(3));
    /// assert_eq!(Width::Varint.fixed_size(), None);
    /// ```
    pub fn fixed_size(self) -> Option<usize> {
        match self {
            Width::U8 => Some(1),
            Width::U16 => Some(2),
            Width::U24 => Some(3),
            Width::U32 => Some(4),
            Width::U64 => Some(8),
            Width::Varint | Width::Varint4 => None,
        }
    }

    /// The largest length value the field can hold.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::Width;
    /// assert_eq!(Width::U16.max_value(), 65_535);
    /// ```
    pub fn max_value(self) -> u64 {
        match self {
            Width::U8 => u8::MAX.into(),
            Width::U16 => u16::MAX.into(),
            Width::U24 => (1 << 24) - 1,
            Width::U32 => u32::MAX.into(),
            Width::Varint4 => MAX_VARINT4,
            Width::U64 | Width::Varint => u64::MAX,
        }
    }

    /// The smallest number of bytes the field occupies.
    fn min_size(self) -> usize {
        self.fixed_size().unwrap_or(1)
    }
}

/// Byte order of a fixed-width length field.
///
/// # Examples
///
/// ```
/// use framewise::{Endian, LengthPrefixed};
///
/// let codec = LengthPrefixed::builder().little_endian().build()?;
/// assert_eq!(codec.endian(), Endian::Little);
/// # Ok::<(), framewise::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endian {
    /// Most significant byte first (network order): the default.
    Big,
    /// Least significant byte first.
    Little,
}

/// Builds a [`LengthPrefixed`] codec for any header layout.
///
/// Defaults: 4-byte big-endian length, no offset, no adjustment, header
/// stripped, 8 MiB limit.
///
/// # Examples
///
/// A 2-byte little-endian length that counts itself (as in many game
/// protocols), header stripped from the decoded frames:
///
/// ```
/// use framewise::{LengthPrefixed, Width};
/// use bytes::BytesMut;
/// use tokio_util::codec::Decoder;
///
/// let mut codec = LengthPrefixed::builder()
///     .width(Width::U16)
///     .little_endian()
///     .adjustment(-2)
///     .build()?;
/// let mut buf = BytesMut::from(&b"\x05\x00abc"[..]);
/// assert_eq!(codec.decode(&mut buf)?.unwrap(), "abc");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct LengthPrefixedBuilder {
    width: Width,
    endian: Endian,
    offset: usize,
    adjustment: isize,
    /// `None` until `.strip(n)` is called: then the whole header is stripped,
    /// whatever its size (a varint header's size varies per frame).
    strip: Option<usize>,
    max_frame_len: usize,
}

impl Default for LengthPrefixedBuilder {
    fn default() -> Self {
        LengthPrefixedBuilder {
            width: Width::U32,
            endian: Endian::Big,
            offset: 0,
            adjustment: 0,
            strip: None,
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
        }
    }
}

impl LengthPrefixedBuilder {
    /// The length field's encoding (default [`Width::U32`]).
    pub fn width(mut self, width: Width) -> Self {
        self.width = width;
        self
    }

    /// Big-endian length field (the default).
    pub fn big_endian(mut self) -> Self {
        self.endian = Endian::Big;
        self
    }

    /// Little-endian length field.
    pub fn little_endian(mut self) -> Self {
        self.endian = Endian::Little;
        self
    }

    /// Byte order of the length field.
    pub fn endian(mut self, endian: Endian) -> Self {
        self.endian = endian;
        self
    }

    /// Number of bytes before the length field (default 0).
    pub fn offset(mut self, offset: usize) -> Self {
        self.offset = offset;
        self
    }

    /// Added to the length value to get the number of bytes after the length
    /// field (default 0). Use `-(header size)` when the length counts the
    /// header too.
    pub fn adjustment(mut self, adjustment: isize) -> Self {
        self.adjustment = adjustment;
        self
    }

    /// Bytes dropped from the front of each decoded frame. Default: the
    /// offset plus the length field, so frames are the bytes after the header.
    /// `strip(0)` keeps the header.
    pub fn strip(mut self, strip: usize) -> Self {
        self.strip = Some(strip);
        self
    }

    /// The largest frame accepted, counted on the wire with its header
    /// (default 8 MiB).
    ///
    /// A limit is needed because a peer can announce a frame of 4 GiB (or
    /// 2^64 bytes) in a few header bytes.
    pub fn max_frame_len(mut self, max: usize) -> Self {
        self.max_frame_len = max;
        self
    }

    /// Checks the layout and builds the codec.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] when no frame could ever be decoded: a limit smaller
    /// than the header, or a strip larger than the limit, or an offset so
    /// large that the header size overflows.
    pub fn build(self) -> Result<LengthPrefixed, ConfigError> {
        let min_header = self
            .offset
            .checked_add(self.width.min_size())
            .ok_or_else(|| ConfigError::invalid("offset", "offset plus length field overflows"))?;
        if self.max_frame_len < min_header {
            return Err(ConfigError::invalid(
                "max_frame_len",
                reason!(
                    "a limit of {} bytes cannot hold the {min_header}-byte header",
                    self.max_frame_len
                ),
            ));
        }
        if let Some(strip) = self.strip
            && strip > self.max_frame_len
        {
            return Err(ConfigError::invalid(
                "strip",
                reason!(
                    "stripping {strip} bytes leaves nothing of frames limited to {} bytes",
                    self.max_frame_len
                ),
            ));
        }
        Ok(LengthPrefixed::with_layout(self))
    }
}

/// Length-prefixed framing, for any header layout and varint lengths.
///
/// A superset of tokio-util's `LengthDelimitedCodec` and Netty's
/// `LengthFieldBasedFrameDecoder`, with the same configuration shared by
/// decoder and encoder.
///
/// ```text
/// LengthPrefixed::new()          LengthPrefixed::varint()
/// +--- u32 BE ---+-- payload --+  +- LEB128 -+-- payload --+
/// | 00 00 00 05  | h e l l o   |  |    05    | h e l l o   |
/// +--------------+-------------+  +----------+-------------+
/// ```
///
/// # Guarantees
///
/// - The limit ([`LengthPrefixedBuilder::max_frame_len`]) counts the whole
///   frame on the wire, header included, after the adjustment, and is checked
///   as soon as the header has arrived.
/// - An oversized frame is reported once as [`Error::FrameTooLong`]; its
///   bytes are then discarded as they arrive, and decoding resumes with the
///   next frame.
/// - Nothing is reserved from an announced length: the decoder holds only
///   bytes that have arrived, and while it waits they are fewer than the
///   limit (or, with a limit smaller than the longest header, fewer than
///   offset + 10 bytes: an incomplete varint must be read to its end to know
///   how much to skip).
/// - A header that cannot be decoded (a varint longer than 10 bytes or
///   overflowing 64 bits, a [`Width::Varint4`] longer than 4 bytes, a length plus adjustment that is negative or shorter
///   than the strip) is [`Error::CorruptHeader`], and the codec keeps
///   returning it, since the framing is lost.
///
/// # Encoding
///
/// The encoder writes the header and the payload so that the same
/// configuration decodes the item back:
/// - with the header stripped and no offset (the usual case), the item is the
///   payload;
/// - with `strip(0)`, the item is a whole frame including its header bytes,
///   and the encoder writes the right length into the header;
/// - any other layout throws away bytes on decoding that the encoder cannot
///   rebuild, so encoding with it is [`Error::EncodeUnsupported`].
///
/// # Examples
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use framewise::LengthPrefixed;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut codec = LengthPrefixed::new();
/// let mut wire = BytesMut::new();
/// codec.encode(Bytes::from("hello"), &mut wire)?;
/// codec.encode(&b"world"[..], &mut wire)?;
/// assert_eq!(&wire[..], b"\x00\x00\x00\x05hello\x00\x00\x00\x05world");
///
/// assert_eq!(codec.decode(&mut wire)?.unwrap(), "hello");
/// assert_eq!(codec.decode(&mut wire)?.unwrap(), "world");
/// assert_eq!(codec.decode(&mut wire)?, None);
/// # Ok::<(), framewise::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct LengthPrefixed {
    layout: LengthPrefixedBuilder,
    /// Bytes of an oversized frame still to be skipped as they arrive. The
    /// frame was reported once; skipping it across reads is what lets the next
    /// frame decode without ever buffering the oversized one.
    discarding: u64,
    /// Set once a header could not be decoded: where the next frame starts is
    /// unknown, so every later call repeats this error.
    corrupt: Option<&'static str>,
    /// The header is a big-endian u8, u16 or u32 payload length at the
    /// front, stripped: the layout of nearly every protocol, decoded by a
    /// short inlined path ([`LengthPrefixed::plain_frame`]).
    plain: bool,
}

impl Default for LengthPrefixed {
    fn default() -> Self {
        Self::new()
    }
}

/// What the bytes at the front of the buffer say about the next frame.
enum Head {
    /// Not all of the header has arrived.
    Partial,
    /// The header is complete.
    Frame {
        /// Bytes of offset plus length field.
        header_len: usize,
        /// The whole frame on the wire, header included. Wider than `u64`:
        /// a `u64` length plus a positive adjustment plus the header can pass
        /// `u64::MAX`, and saturating it would let such a frame through a
        /// limit of `usize::MAX`.
        total: u128,
    },
}

impl LengthPrefixed {
    fn with_layout(layout: LengthPrefixedBuilder) -> LengthPrefixed {
        let plain = layout.offset == 0
            && layout.adjustment == 0
            && layout.strip.is_none()
            && (layout.endian == Endian::Big || layout.width == Width::U8)
            && matches!(layout.width, Width::U8 | Width::U16 | Width::U32);
        LengthPrefixed {
            layout,
            discarding: 0,
            corrupt: None,
            plain,
        }
    }

    /// A whole frame within the limit at the front of `src`, for a plain
    /// layout; `None` for anything else, which [`next`](Self::next) handles.
    /// It gives exactly what `next` gives for such a frame.
    #[inline(always)]
    fn plain_frame(&self, src: &[u8]) -> Option<Decoded> {
        let (len, header) = match self.layout.width {
            Width::U8 => (usize::from(*src.first()?), 1),
            Width::U16 => (usize::from(u16::from_be_bytes(*src.first_chunk()?)), 2),
            Width::U32 => (
                usize::try_from(u32::from_be_bytes(*src.first_chunk()?)).ok()?,
                4,
            ),
            _ => return None,
        };
        let total = len.checked_add(header)?;
        if total > self.layout.max_frame_len || total > src.len() {
            return None;
        }
        Some(Decoded::Frame {
            start: header,
            len,
            consumed: total,
        })
    }

    /// 4-byte big-endian payload length, header stripped, 8 MiB limit.
    ///
    /// Byte-compatible with tokio-util's `LengthDelimitedCodec::new()` and
    /// with Python's `struct.pack('!I', len(p)) + p`.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::LengthPrefixed;
    /// assert_eq!(LengthPrefixed::new().max_frame_len(), 8 * 1024 * 1024);
    /// ```
    pub fn new() -> Self {
        LengthPrefixed::with_layout(LengthPrefixedBuilder::default())
    }

    /// Unsigned LEB128 length, header stripped, 8 MiB limit: the protobuf
    /// length-delimited format (prost's `encode_length_delimiter`).
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use framewise::LengthPrefixed;
    /// use tokio_util::codec::Encoder;
    ///
    /// let mut wire = BytesMut::new();
    /// LengthPrefixed::varint().encode(&[7u8; 300][..], &mut wire)?;
    /// assert_eq!(&wire[..2], &[0xac, 0x02]); // 300 in LEB128
    /// # Ok::<(), framewise::Error>(())
    /// ```
    pub fn varint() -> Self {
        LengthPrefixed::with_layout(LengthPrefixedBuilder::default().width(Width::Varint))
    }

    /// A builder for any header layout.
    pub fn builder() -> LengthPrefixedBuilder {
        LengthPrefixedBuilder::default()
    }

    /// The limit set with [`LengthPrefixedBuilder::max_frame_len`]: no frame
    /// longer than this, on the wire with its header, is accepted.
    ///
    /// It is the configured limit, not always the largest frame that can
    /// occur: a narrow length field can hold less (a [`Width::U8`] field with
    /// no adjustment announces at most 255 bytes after the header, whatever
    /// the limit). tokio-util's `LengthDelimitedCodec::max_frame_length`
    /// reports the smaller of the two; [`largest_frame_len`](Self::largest_frame_len)
    /// gives that here.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{LengthPrefixed, Width};
    ///
    /// let codec = LengthPrefixed::builder().width(Width::U8).max_frame_len(256).build()?;
    /// assert_eq!(codec.max_frame_len(), 256);
    /// assert_eq!(codec.largest_frame_len(), 1 + 255);
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn max_frame_len(&self) -> usize {
        self.layout.max_frame_len
    }

    /// The longest frame on the wire that can decode: the limit, or less
    /// when the length field cannot announce that much (its largest value
    /// plus the adjustment, plus the header of that frame).
    pub fn largest_frame_len(&self) -> usize {
        let l = &self.layout;
        let field = match l.width.fixed_size() {
            Some(n) => n,
            None => varint_len(l.width.max_value()),
        };
        let after = i128::from(l.width.max_value()) + l.adjustment as i128;
        let largest = (l.offset as i128 + field as i128 + after.max(0)).max(0);
        usize::try_from(largest).map_or(l.max_frame_len, |n| n.min(l.max_frame_len))
    }

    /// Bytes dropped from the front of each decoded frame: `None` for the
    /// default, the whole header whatever its size; `Some(n)` as set with
    /// [`LengthPrefixedBuilder::strip`].
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::LengthPrefixed;
    /// assert_eq!(LengthPrefixed::new().strip(), None);
    /// assert_eq!(LengthPrefixed::builder().strip(0).build()?.strip(), Some(0));
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn strip(&self) -> Option<usize> {
        self.layout.strip
    }

    /// The length field's encoding.
    pub fn width(&self) -> Width {
        self.layout.width
    }

    /// The length field's byte order.
    pub fn endian(&self) -> Endian {
        self.layout.endian
    }

    /// Bytes before the length field.
    pub fn offset(&self) -> usize {
        self.layout.offset
    }

    /// Added to the length value to get the bytes after the length field.
    pub fn adjustment(&self) -> isize {
        self.layout.adjustment
    }

    /// Reads the length field at `buf[offset..]`, if it has arrived.
    #[inline]
    fn read_length(&self, buf: &[u8]) -> Result<Option<(u64, usize)>, &'static str> {
        let off = self.layout.offset;
        let big = self.layout.endian == Endian::Big;
        let field = |n: usize| buf.get(off..off + n);
        let value = match self.layout.width {
            Width::U8 => field(1).map(|b| u64::from(b[0])),
            Width::U16 => field(2).map(|b| {
                let b = [b[0], b[1]];
                u64::from(if big {
                    u16::from_be_bytes(b)
                } else {
                    u16::from_le_bytes(b)
                })
            }),
            Width::U24 => field(3).map(|b| {
                let (hi, lo) = if big { (b[0], b[2]) } else { (b[2], b[0]) };
                u64::from(u32::from_be_bytes([0, hi, b[1], lo]))
            }),
            Width::U32 => field(4).map(|b| {
                let b = [b[0], b[1], b[2], b[3]];
                u64::from(if big {
                    u32::from_be_bytes(b)
                } else {
                    u32::from_le_bytes(b)
                })
            }),
            Width::U64 => field(8).map(|b| {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                if big {
                    u64::from_be_bytes(a)
                } else {
                    u64::from_le_bytes(a)
                }
            }),
            Width::Varint => {
                return match buf.get(off..) {
                    Some(rest) => read_varint(rest).map(|v| v.map(|(v, n)| (v, off + n))),
                    None => Ok(None),
                };
            }
            Width::Varint4 => {
                return match buf.get(off..) {
                    Some(rest) => read_varint4(rest).map(|v| v.map(|(v, n)| (v, off + n))),
                    None => Ok(None),
                };
            }
        };
        let end = off + self.layout.width.min_size();
        Ok(value.map(|v| (v, end)))
    }

    /// Parses the header at the front of `buf` into the frame's size.
    #[inline]
    fn head(&self, buf: &[u8]) -> Result<Head, &'static str> {
        let Some((value, header_len)) = self.read_length(buf)? else {
            return Ok(Head::Partial);
        };
        // i128 holds any u64 value plus any isize adjustment without overflow.
        let after = i128::from(value) + self.layout.adjustment as i128;
        if after < 0 {
            return Err("length plus adjustment is negative");
        }
        // `after` is not negative here, so the sum is too.
        let total = (after + header_len as i128) as u128;
        Ok(Head::Frame { header_len, total })
    }

    /// Bytes to strip from a frame whose header is `header_len` bytes.
    #[inline]
    fn strip_len(&self, header_len: usize) -> usize {
        self.layout.strip.unwrap_or(header_len)
    }

    /// Every case of [`Decode::decode_slice`] but a whole plain frame.
    #[inline(never)]
    fn decode_general(&mut self, src: &[u8]) -> Decoded {
        if let Some(reason) = self.corrupt {
            return Decoded::corrupt(reason);
        }
        if self.discarding > 0 {
            let skipped = self.discard(src.len());
            if self.discarding > 0 {
                return Decoded::Incomplete { consumed: skipped };
            }
            return self.next(&src[skipped..]).after_skipping(skipped);
        }
        self.next(src)
    }

    /// What the front of `src` holds, once no discard is in progress.
    #[inline]
    fn next(&mut self, src: &[u8]) -> Decoded {
        let (header_len, total) = match self.head(src) {
            Ok(Head::Partial) => return Decoded::Incomplete { consumed: 0 },
            Ok(Head::Frame { header_len, total }) => (header_len, total),
            Err(reason) => return self.corrupt(reason),
        };
        let max = self.layout.max_frame_len;
        if total > max as u128 {
            // Past u64::MAX bytes, the rest of any stream is all the same.
            let len = u64::try_from(total).unwrap_or(u64::MAX);
            self.discarding = len;
            let consumed = self.discard(src.len());
            return Decoded::Error {
                consumed,
                error: Error::FrameTooLong {
                    len,
                    max: max as u64,
                },
            };
        }
        // total <= max, so it fits in usize.
        let total = total as usize;
        let strip = self.strip_len(header_len);
        if strip > total {
            return self.corrupt("frame is shorter than the bytes to strip");
        }
        if src.len() < total {
            return Decoded::Incomplete { consumed: 0 };
        }
        Decoded::Frame {
            start: strip,
            len: total - strip,
            consumed: total,
        }
    }

    /// Remembers that the framing is lost and reports it.
    #[cold]
    fn corrupt(&mut self, reason: &'static str) -> Decoded {
        self.corrupt = Some(reason);
        Decoded::corrupt(reason)
    }

    /// Counts what has arrived of an oversized frame as skipped: the bytes
    /// of it among `available`.
    fn discard(&mut self, available: usize) -> usize {
        let n = usize::try_from(self.discarding).map_or(available, |d| d.min(available));
        self.discarding -= n as u64;
        n
    }

    /// Writes the length field.
    #[inline]
    fn put_field<O: Output + ?Sized>(&self, value: u64, out: &mut O) {
        let big = self.layout.endian == Endian::Big;
        match self.layout.width {
            Width::U8 => out.push_byte(value as u8),
            Width::U16 if big => out.push_slice(&(value as u16).to_be_bytes()),
            Width::U16 => out.push_slice(&(value as u16).to_le_bytes()),
            Width::U24 if big => out.push_slice(&value.to_be_bytes()[5..]),
            Width::U24 => out.push_slice(&value.to_le_bytes()[..3]),
            Width::U32 if big => out.push_slice(&(value as u32).to_be_bytes()),
            Width::U32 => out.push_slice(&(value as u32).to_le_bytes()),
            Width::U64 if big => out.push_slice(&value.to_be_bytes()),
            Width::U64 => out.push_slice(&value.to_le_bytes()),
            Width::Varint | Width::Varint4 => {
                let mut v = value;
                while v >= 0x80 {
                    out.push_byte(v as u8 | 0x80);
                    v >>= 7;
                }
                out.push_byte(v as u8);
            }
        }
    }

    /// Whether an item is a whole frame with its header (`strip(0)`), or the
    /// payload after it; and the refusal of a layout that cannot encode.
    #[inline]
    fn keeps_header(&self) -> Result<bool, Error> {
        let l = &self.layout;
        let keep_header = l.strip == Some(0);
        if !keep_header
            && (l.offset != 0 || l.strip.is_some_and(|s| Some(s) != l.width.fixed_size()))
        {
            return Err(Error::EncodeUnsupported {
                reason: "the decoder drops bytes other than the length field, which cannot be rebuilt",
            });
        }
        if keep_header && l.width.fixed_size().is_none() {
            return Err(Error::EncodeUnsupported {
                reason: "a kept varint header changes size with its value and cannot be rewritten in place",
            });
        }
        Ok(keep_header)
    }

    /// The bytes of the item `head ‖ tail` before the length field, and
    /// those after it (in two parts).
    ///
    /// With a kept header, the header lies in `head` (checked by
    /// `parts_len`).
    #[inline]
    fn split_item<'p>(
        &self,
        head: &'p [u8],
        tail: &'p [u8],
        keep_header: bool,
    ) -> (&'p [u8], &'p [u8], &'p [u8]) {
        if keep_header {
            let header = self.layout.offset + self.layout.width.min_size();
            (&head[..self.layout.offset], &head[header..], tail)
        } else {
            (&head[..0], head, tail)
        }
    }

    /// The length value that announces `after` bytes after the field.
    #[inline]
    fn length_value(&self, after: usize) -> i128 {
        after as i128 - self.layout.adjustment as i128
    }
}

impl Decode for LengthPrefixed {
    /// The next frame, with `strip` bytes of its header dropped.
    ///
    /// While an oversized frame is skipped, its bytes are consumed as they
    /// arrive ([`Decoded::Incomplete`] with `consumed` > 0).
    #[inline(always)]
    fn decode_slice(&mut self, src: &[u8]) -> Decoded {
        if self.plain
            && self.discarding == 0
            && self.corrupt.is_none()
            && let Some(frame) = self.plain_frame(src)
        {
            return frame;
        }
        self.decode_general(src)
    }

    /// As [`decode_slice`](Self::decode_slice); then a partial frame is
    /// [`Error::Truncated`], and the rest of an oversized frame being skipped
    /// is dropped silently (it was reported when its header arrived).
    fn decode_slice_eof(&mut self, src: &[u8]) -> Decoded {
        let answer = self.decode_slice(src);
        let Decoded::Incomplete { consumed } = answer else {
            return answer;
        };
        if self.discarding > 0 {
            self.discarding = 0;
            return Decoded::Incomplete {
                consumed: src.len(),
            };
        }
        Decoded::truncated(src.len() - consumed).after_skipping(consumed)
    }
}

impl crate::framing::FrameLen for LengthPrefixed {
    /// The limit, or the longest header where that is longer (a limit below
    /// the header's size still lets the header arrive, to be judged).
    #[inline]
    fn max_frame_len(&self) -> usize {
        let l = &self.layout;
        let field = match l.width.fixed_size() {
            Some(n) => n,
            None => varint_len(l.width.max_value()),
        };
        l.max_frame_len.max(l.offset.saturating_add(field))
    }

    /// The whole frame on the wire, once its header has arrived.
    fn frame_len_hint(&self, src: &[u8]) -> Option<usize> {
        match self.head(src) {
            Ok(Head::Frame { total, .. }) => usize::try_from(total).ok(),
            _ => None,
        }
    }
}

encode_by_parts! {
    impl Encode for LengthPrefixed {
        /// The header plus the payload, or the refusal.
        ///
        /// # Errors
        ///
        /// [`Error::EncodeUnsupported`] for a layout that drops bytes it cannot
        /// rebuild; [`Error::Unencodable`] for a length the field cannot hold, or
        /// (with `strip(0)`) an item shorter than its own header;
        /// [`Error::FrameTooLong`] over the limit.
        fn encoded_len;
        /// The item `head ‖ tail`: the length field counts both parts. With
        /// `strip(0)`, the header must lie in `head`
        /// ([`Error::EncodeUnsupported`] otherwise).
        fn encoded_len_parts;
    }
}

impl EncodeParts for LengthPrefixed {
    #[inline]
    fn parts_len(&self, head: &[u8], tail: &[u8]) -> Result<usize, Error> {
        let l = &self.layout;
        let keep_header = self.keeps_header()?;
        let item_len = head.len() + tail.len();
        if keep_header {
            let header = l.offset + l.width.min_size();
            if item_len < header {
                return Err(Error::Unencodable {
                    reason: reason!(
                        "a frame of {item_len} bytes cannot hold its own {header}-byte header"
                    ),
                });
            }
            if head.len() < header {
                return Err(Error::EncodeUnsupported {
                    reason: "a kept header must lie in the first part of a payload given in two parts",
                });
            }
        }
        let (prefix, after, tail) = self.split_item(head, tail, keep_header);
        let after_len = after.len() + tail.len();
        let value = self.length_value(after_len);
        if value < 0 || value > i128::from(l.width.max_value()) {
            return Err(Error::Unencodable {
                reason: reason!(
                    "{after_len} bytes after the length field give a length of {value}, outside 0..={} for {:?}",
                    l.width.max_value(),
                    l.width
                ),
            });
        }
        let field_len = match l.width {
            Width::Varint | Width::Varint4 => varint_len(value as u64),
            w => w.min_size(),
        };
        let total = prefix.len() + field_len + after_len;
        if total > l.max_frame_len {
            return Err(Error::FrameTooLong {
                len: total as u64,
                max: l.max_frame_len as u64,
            });
        }
        Ok(total)
    }

    #[inline]
    fn write_parts<O: Output + ?Sized>(&self, head: &[u8], tail: &[u8], out: &mut O) {
        let keep_header = self.layout.strip == Some(0);
        let (prefix, after, tail) = self.split_item(head, tail, keep_header);
        if !prefix.is_empty() {
            out.push_slice(prefix);
        }
        self.put_field(self.length_value(after.len() + tail.len()) as u64, out);
        push_parts(out, after, tail);
    }
}

/// Decodes an unsigned LEB128 varint at the front of `buf`.
///
/// `Ok(None)` when fewer than 10 bytes are there and all carry the
/// continuation bit (more may come); an error when the varint runs past 10
/// bytes or past 64 bits, so a hostile peer cannot make the decoder wait
/// forever on an endless varint.
fn read_varint(buf: &[u8]) -> Result<Option<(u64, usize)>, &'static str> {
    let mut value = 0u64;
    for (i, &b) in buf.iter().take(MAX_VARINT_LEN).enumerate() {
        if i == MAX_VARINT_LEN - 1 {
            // The 10th byte ends the varint and may carry bit 63 only.
            if b & 0x80 != 0 {
                return Err("varint length is longer than 10 bytes");
            }
            if b > 1 {
                return Err("varint length overflows 64 bits");
            }
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    Ok(None)
}

/// Decodes MQTT's remaining length: LEB128 of at most 4 bytes.
///
/// `Ok(None)` while fewer than 4 bytes have arrived and all carry the
/// continuation bit; an error when the fourth one does too (MQTT 5.0, 1.5.5:
/// "a maximum of four bytes").
fn read_varint4(buf: &[u8]) -> Result<Option<(u64, usize)>, &'static str> {
    let mut value = 0u64;
    for (i, &b) in buf.iter().take(4).enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
        if i == 3 {
            return Err("varint length is longer than 4 bytes");
        }
    }
    Ok(None)
}

/// Bytes needed to write `v` as LEB128.
fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

#[cfg(all(test, feature = "tokio"))]
mod tests {
    use super::*;
    use bytes::{BufMut, Bytes, BytesMut};
    use tokio_util::codec::{Decoder, Encoder};

    /// LEB128 written plainly, byte by byte, to check the encoder against.
    fn put_varint(dst: &mut BytesMut, mut v: u64) {
        while v >= 0x80 {
            dst.put_u8((v as u8) | 0x80);
            v >>= 7;
        }
        dst.put_u8(v as u8);
    }

    fn decode_all(codec: &mut LengthPrefixed, bytes: &[u8]) -> Vec<Result<Bytes, String>> {
        let mut buf = BytesMut::from(bytes);
        let mut out = Vec::new();
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(f)) => out.push(Ok(f)),
                Ok(None) => break,
                Err(e) => {
                    let fatal = !e.is_recoverable();
                    out.push(Err(e.to_string()));
                    if fatal {
                        break;
                    }
                }
            }
        }
        out
    }

    #[test]
    fn varint_len_matches_encoding() {
        for v in [0, 1, 127, 128, 16_383, 16_384, u32::MAX as u64, u64::MAX] {
            let mut b = BytesMut::new();
            put_varint(&mut b, v);
            assert_eq!(b.len(), varint_len(v), "{v}");
            assert_eq!(read_varint(&b), Ok(Some((v, b.len()))));
        }
    }

    #[test]
    fn varint_encoder_header_matches_plain_leb128() {
        for len in [0usize, 1, 127, 128, 300, 16_383, 16_384, 70_000] {
            let mut wire = BytesMut::new();
            LengthPrefixed::varint()
                .encode(&vec![7u8; len][..], &mut wire)
                .unwrap();
            let mut header = BytesMut::new();
            put_varint(&mut header, len as u64);
            assert_eq!(&wire[..header.len()], &header[..], "{len}");
            assert_eq!(wire.len(), header.len() + len);
        }
    }

    #[test]
    fn varint_overlong_is_corrupt_not_a_wait() {
        assert_eq!(read_varint(&[0x80; 9]), Ok(None));
        assert!(read_varint(&[0x80; 10]).is_err());
        // 10th byte may only carry bit 63.
        let mut max = vec![0xff; 9];
        max.push(0x01);
        assert_eq!(read_varint(&max), Ok(Some((u64::MAX, 10))));
        max[9] = 0x02;
        assert!(read_varint(&max).is_err());
    }

    #[test]
    fn u24_both_orders() {
        let be = LengthPrefixed::builder().width(Width::U24).build().unwrap();
        let le = LengthPrefixed::builder()
            .width(Width::U24)
            .little_endian()
            .build()
            .unwrap();
        assert_eq!(be.read_length(&[1, 2, 3]), Ok(Some((0x010203, 3))));
        assert_eq!(le.read_length(&[1, 2, 3]), Ok(Some((0x030201, 3))));
    }

    #[test]
    fn frame_past_u64_max_is_too_long_even_without_a_limit() {
        // A length of u64::MAX plus a positive adjustment and the header
        // announces more than u64::MAX bytes: over any limit, even
        // usize::MAX, so it is reported, not waited for. (Found by the
        // decode_length and decode_varint fuzz targets.)
        let too_long = format!(
            "frame of {} bytes exceeds the limit of {}",
            u64::MAX,
            usize::MAX
        );
        for (width, wire) in [
            (Width::U64, vec![0xff; 8]),
            (Width::Varint, [&[0xff; 9][..], &[0x01]].concat()),
        ] {
            let mut c = LengthPrefixed::builder()
                .width(width)
                .adjustment(1)
                .max_frame_len(usize::MAX)
                .build()
                .unwrap();
            assert_eq!(decode_all(&mut c, &wire), vec![Err(too_long.clone())]);
        }
    }

    #[test]
    fn discard_spans_reads() {
        let mut c = LengthPrefixed::builder()
            .width(Width::U8)
            .max_frame_len(4)
            .build()
            .unwrap();
        // A 1+5 byte frame is over the limit of 4; the next frame follows it.
        assert_eq!(
            decode_all(&mut c, &[5, b'a', b'b']),
            vec![Err("frame of 6 bytes exceeds the limit of 4".to_string())]
        );
        assert_eq!(c.discarding, 3);
        let got = decode_all(&mut c, &[b'c', b'd', b'e', 2, b'o', b'k']);
        assert_eq!(got, vec![Ok(Bytes::from_static(b"ok"))]);
    }
}
