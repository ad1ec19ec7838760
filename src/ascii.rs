//! Lengths written in ASCII: netstrings, RFC 6587 octet counting, and
//! fixed-width hex lengths.
//!
//! ```text
//! Netstring (cr.yp.to/proto/netstrings.txt)
//! +-- len --+---+-- payload --+---+
//! | 3 1 2   | : | 12 bytes    | , |      "12:hello world!,"   "0:,"
//! +---------+---+-------------+---+
//!   decimal, no leading zero
//!
//! RFC 6587 octet counting (syslog over TCP)
//! +-- len --+----+-- payload --+
//! | 2 4     | SP | 24 bytes    |         "24 <13>1 - host app - - - x"
//! +---------+----+-------------+
//!   decimal, first digit 1-9
//!
//! Fixed-width hex length (adb: 4 digits)
//! +-- 4 hex digits --+-- payload --+
//! | 0 0 0 C          | 12 bytes    |     "000Chost:version"
//! +------------------+-------------+
//! ```
//!
//! The three codecs share their decoder and their rules on limits and
//! errors: see [`Netstring`](crate::Netstring#limits-and-errors).

use crate::error::{ConfigError, Error, reason};
use crate::framing::{
    Decode, Decoded, EncodeParts, Output, encode_by_parts, parts_len_within, push_parts,
};

/// The default limit of an ASCII-length payload: 8 MiB, as for
/// [`LengthPrefixed`](crate::LengthPrefixed).
pub(crate) const DEFAULT_MAX_FRAME_LEN: usize = 8 * 1024 * 1024;

/// How the length is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Header {
    /// Decimal digits then `sep`; `zero` whether a length of 0 (a lone `0`)
    /// is allowed; `trailer` the byte after the payload, if any.
    Decimal {
        sep: u8,
        zero: bool,
        trailer: Option<u8>,
    },
    /// Exactly `width` hex digits (either case).
    Hex { width: usize, upper: bool },
}

/// Netstrings' header: `12:hello world!,`.
const NETSTRING: Header = Header::Decimal {
    sep: b':',
    zero: true,
    trailer: Some(b','),
};

/// RFC 6587's `MSG-LEN SP`, which has no leading zero, so no empty message.
const OCTET_COUNTING: Header = Header::Decimal {
    sep: b' ',
    zero: false,
    trailer: None,
};

/// What is being skipped of an oversized frame, already reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Skip {
    /// Nothing: the next byte starts a header.
    Nothing,
    /// The rest of a decimal length longer than the limit's digit count;
    /// `value` so far (saturating), the payload to skip once the separator
    /// arrives.
    Digits { value: u64 },
    /// The rest of the payload, then the trailer byte if the framing has
    /// one (still checked).
    Payload { remaining: u64, trailer: bool },
}

/// The decoder and encoder behind the three ASCII codecs.
#[derive(Debug, Clone)]
struct Engine {
    header: Header,
    /// The largest payload accepted, decoding and encoding.
    max: usize,
    /// What of an oversized frame is still to be skipped as it arrives:
    /// skipping across reads is what lets the next frame decode without
    /// ever buffering the oversized one.
    skip: Skip,
    /// Set once a header is malformed: where the next frame starts is
    /// unknown, so every later call repeats this error.
    corrupt: Option<&'static str>,
}

/// Decimal digits of `n` (1 for 0).
fn decimal_digits(mut n: u64) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

impl Engine {
    fn new(header: Header, max: usize) -> Self {
        Engine {
            header,
            max,
            skip: Skip::Nothing,
            corrupt: None,
        }
    }

    /// The trailer byte after the payload, if the framing has one.
    fn trailer(&self) -> Option<u8> {
        match self.header {
            Header::Decimal { trailer, .. } => trailer,
            Header::Hex { .. } => None,
        }
    }

    /// The most digits a decimal length within the limit has.
    fn max_digits(&self) -> usize {
        decimal_digits(self.max as u64)
    }

    /// Remembers that the framing is lost and reports it.
    #[cold]
    fn corrupt(&mut self, reason: &'static str) -> Decoded {
        self.corrupt = Some(reason);
        Decoded::corrupt(reason)
    }

    fn decode(&mut self, src: &[u8]) -> Decoded {
        if let Some(reason) = self.corrupt {
            return Decoded::corrupt(reason);
        }
        let mut skipped = 0;
        loop {
            let rest = &src[skipped..];
            match self.skip {
                Skip::Nothing => return self.next(rest).after_skipping(skipped),
                Skip::Digits { mut value } => {
                    let Header::Decimal { sep, .. } = self.header else {
                        unreachable!("only decimal lengths have digits to skip")
                    };
                    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                    for &d in &rest[..digits] {
                        value = value.saturating_mul(10).saturating_add(u64::from(d - b'0'));
                    }
                    skipped += digits;
                    let Some(&next) = rest.get(digits) else {
                        self.skip = Skip::Digits { value };
                        return Decoded::Incomplete { consumed: skipped };
                    };
                    if next != sep {
                        return self.corrupt("the length holds a byte that is not a digit");
                    }
                    skipped += 1;
                    self.skip = Skip::Payload {
                        remaining: value,
                        trailer: self.trailer().is_some(),
                    };
                }
                Skip::Payload { remaining, trailer } => {
                    let n = usize::try_from(remaining).map_or(rest.len(), |r| r.min(rest.len()));
                    skipped += n;
                    let remaining = remaining - n as u64;
                    if remaining > 0 || (trailer && n == rest.len()) {
                        self.skip = Skip::Payload { remaining, trailer };
                        return Decoded::Incomplete { consumed: skipped };
                    }
                    if trailer {
                        if Some(src[skipped]) != self.trailer() {
                            return self.corrupt("the payload is not followed by ','");
                        }
                        skipped += 1;
                    }
                    self.skip = Skip::Nothing;
                }
            }
        }
    }

    /// Reads the header at the front of `src` (no skip in progress).
    #[inline]
    fn next(&mut self, src: &[u8]) -> Decoded {
        let (value, header_len) = match self.header {
            Header::Decimal { sep, zero, .. } => {
                let max_digits = self.max_digits();
                let mut value = 0u64;
                let mut i = 0;
                loop {
                    let Some(&c) = src.get(i) else {
                        return Decoded::Incomplete { consumed: 0 };
                    };
                    if c == sep {
                        if i == 0 {
                            return self.corrupt("the length is empty");
                        }
                        break;
                    }
                    if !c.is_ascii_digit() {
                        return self.corrupt("the length holds a byte that is not a digit");
                    }
                    if i == 1 && src[0] == b'0' {
                        return self.corrupt("the length has a leading zero");
                    }
                    if i == 0 && c == b'0' && !zero {
                        return self.corrupt("the length starts with 0");
                    }
                    value = value.saturating_mul(10).saturating_add(u64::from(c - b'0'));
                    i += 1;
                    if i > max_digits {
                        // More digits than any length within the limit: too
                        // long, whatever follows. Reported now, skipped as
                        // the rest arrives.
                        self.skip = Skip::Digits { value };
                        return Decoded::Error {
                            consumed: i,
                            error: Error::FrameTooLong {
                                len: value,
                                max: self.max as u64,
                            },
                        };
                    }
                }
                (value, i + 1)
            }
            Header::Hex { width, .. } => {
                let Some(field) = src.get(..width) else {
                    return Decoded::Incomplete { consumed: 0 };
                };
                let mut value = 0u64;
                for &c in field {
                    let Some(d) = (c as char).to_digit(16) else {
                        return self.corrupt("the length holds a byte that is not a hex digit");
                    };
                    value = value << 4 | u64::from(d);
                }
                (value, width)
            }
        };
        let trailer = usize::from(self.trailer().is_some());
        if value > self.max as u64 {
            self.skip = Skip::Payload {
                remaining: value,
                trailer: trailer > 0,
            };
            return Decoded::Error {
                consumed: header_len,
                error: Error::FrameTooLong {
                    len: value,
                    max: self.max as u64,
                },
            };
        }
        // value <= max, so it fits in usize; the sum fits since the frame
        // would be in memory.
        let len = value as usize;
        let total = header_len.saturating_add(len).saturating_add(trailer);
        if src.len() < total {
            return Decoded::Incomplete { consumed: 0 };
        }
        if trailer > 0 && Some(src[total - 1]) != self.trailer() {
            return self.corrupt("the payload is not followed by ','");
        }
        Decoded::Frame {
            start: header_len,
            len,
            consumed: total,
        }
    }

    fn decode_eof(&mut self, src: &[u8]) -> Decoded {
        let answer = self.decode(src);
        let Decoded::Incomplete { consumed } = answer else {
            return answer;
        };
        if self.skip != Skip::Nothing {
            // The rest of a frame reported when its header arrived.
            self.skip = Skip::Nothing;
            return Decoded::Incomplete {
                consumed: src.len(),
            };
        }
        Decoded::truncated(src.len() - consumed).after_skipping(consumed)
    }

    /// The header for a payload of `len` bytes, in a buffer of 20 digits.
    fn header(&self, len: usize) -> ([u8; 21], usize) {
        let mut buf = [0u8; 21];
        match self.header {
            Header::Decimal { sep, .. } => {
                let digits = decimal_digits(len as u64);
                let mut v = len;
                for slot in buf[..digits].iter_mut().rev() {
                    *slot = b'0' + (v % 10) as u8;
                    v /= 10;
                }
                buf[digits] = sep;
                (buf, digits + 1)
            }
            Header::Hex { width, upper } => {
                let hex: &[u8; 16] = if upper {
                    b"0123456789ABCDEF"
                } else {
                    b"0123456789abcdef"
                };
                let mut v = len as u64;
                for slot in buf[..width].iter_mut().rev() {
                    *slot = hex[(v & 0xf) as usize];
                    v >>= 4;
                }
                (buf, width)
            }
        }
    }
}

impl EncodeParts for Engine {
    fn parts_len(&self, head: &[u8], tail: &[u8]) -> Result<usize, Error> {
        let len = parts_len_within(head, tail, self.max)?;
        match self.header {
            Header::Decimal { zero: false, .. } if len == 0 => {
                return Err(Error::Unencodable {
                    reason: reason!("an empty frame has no length: the length starts with 1 to 9"),
                });
            }
            Header::Hex { width, .. } if width < 16 && len as u64 >= 1 << (4 * width) => {
                return Err(Error::Unencodable {
                    reason: reason!(
                        "a length of {len} does not fit in {width} hex digits (at most {})",
                        (1u64 << (4 * width)) - 1
                    ),
                });
            }
            _ => {}
        }
        Ok(self.header(len).1 + len + usize::from(self.trailer().is_some()))
    }

    fn write_parts<O: Output + ?Sized>(&self, head: &[u8], tail: &[u8], out: &mut O) {
        let (header, n) = self.header(head.len() + tail.len());
        out.push_slice(&header[..n]);
        push_parts(out, head, tail);
        if let Some(t) = self.trailer() {
            out.push_byte(t);
        }
    }
}

/// Implements `Decode`, `Encode` (with two-part payloads) and the
/// `max_frame_len` accessor through the codec's `engine` field.
macro_rules! ascii_codec {
    ($codec:ty) => {
        impl $codec {
            /// The largest payload accepted, in bytes.
            pub fn max_frame_len(&self) -> usize {
                self.engine.max
            }
        }

        impl Decode for $codec {
            /// The next payload, after its header.
            ///
            /// While an oversized frame is skipped, its bytes are consumed
            /// as they arrive ([`Decoded::Incomplete`] with `consumed` > 0).
            #[inline]
            fn decode_slice(&mut self, src: &[u8]) -> Decoded {
                self.engine.decode(src)
            }

            /// As [`decode_slice`](Self::decode_slice); then a partial frame
            /// is [`Error::Truncated`], and the rest of an oversized frame
            /// being skipped is dropped silently.
            fn decode_slice_eof(&mut self, src: &[u8]) -> Decoded {
                self.engine.decode_eof(src)
            }
        }

        encode_by_parts! {
            impl Encode for $codec => engine {
                /// The header, the payload (and trailer), or the refusal.
                ///
                /// # Errors
                ///
                /// [`Error::FrameTooLong`] over the limit; [`Error::Unencodable`]
                /// for a length the header cannot write.
                fn encoded_len;
                /// The payload `head ‖ tail`: the length counts both.
                fn encoded_len_parts;
            }
        }
    };
}

/// Netstrings: `12:hello world!,`, exactly as
/// [cr.yp.to/proto/netstrings.txt](https://cr.yp.to/proto/netstrings.txt)
/// defines them.
///
/// ```text
/// +-- decimal length --+---+-- payload --+---+
/// | 1 2                | : | hello world!| , |
/// +--------------------+---+-------------+---+
/// ```
///
/// # Guarantees
///
/// - The length is read as the spec writes it: a nonempty run of ASCII
///   digits, starting with `0` exactly when the payload is empty (`0:,`).
///   The payload is taken by its length, never by looking for a `,` (a
///   payload may hold commas), and the `,` after it is checked.
/// - A length over the limit (default 8 MiB of payload) is recoverable; a
///   malformed header or a missing `,` is [`Error::CorruptHeader`] (below).
///
/// # Limits and errors
///
/// The rules of all three ASCII codecs ([`Netstring`], [`OctetCounting`],
/// [`HexLength`]).
///
/// They keep [`LengthPrefixed`](crate::LengthPrefixed)'s contract, with
/// the length field read as text:
///
/// - **Too long is recoverable.** A length over the limit is
///   [`Error::FrameTooLong`] as soon as the header has arrived, and the frame
///   is skipped as it arrives (a netstring's `,` is still checked after it).
///   A decimal length with more digits than the limit has (the field's
///   maximum digit count: 7 for the 8 MiB default) is reported as soon as the
///   first digit past that count arrives, with `len` the value of the digits
///   so far (a lower bound; the rest is not waited for). Its further digits
///   are then consumed as they arrive, and the frame is skipped once its
///   separator arrives. A peer sending digits without end gets the error,
///   and its digits do not grow the buffer.
/// - **Malformed is fatal.** A header that is not the grammar (a non-digit in
///   the length, an empty length, a leading zero, a netstring whose payload
///   is not followed by `,`) is [`Error::CorruptHeader`], repeated on every
///   later call. Where the next frame starts is unknown: scanning ahead for
///   something that looks like a header would mistake payload bytes for one.
///   This is the netstring spec's own rule (its sample parser stops at any
///   malformed byte), and what a varint longer than 10 bytes is to
///   `LengthPrefixed`.
/// - **The limit counts the payload**, not the header: `max_frame_len(4096)`
///   accepts `4096:...,`. (Unlike `LengthPrefixed`, whose binary header has a
///   fixed size, an ASCII header's size depends on the value.)
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use framewise::Netstring;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut codec = Netstring::new();
/// let mut wire = BytesMut::new();
/// codec.encode(&b"hello world!"[..], &mut wire)?;
/// codec.encode(&b""[..], &mut wire)?;
/// assert_eq!(&wire[..], b"12:hello world!,0:,");
/// assert_eq!(codec.decode(&mut wire)?.unwrap(), "hello world!");
/// assert_eq!(codec.decode(&mut wire)?.unwrap(), "");
/// # Ok::<(), framewise::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Netstring {
    engine: Engine,
}

impl Netstring {
    /// Netstrings with an 8 MiB payload limit.
    pub fn new() -> Self {
        Netstring {
            engine: Engine::new(NETSTRING, DEFAULT_MAX_FRAME_LEN),
        }
    }

    /// The same codec with a limit of `max` payload bytes.
    ///
    /// A limit is needed because a peer can announce any length, in as many
    /// digits as it likes. Any value works.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use framewise::{Error, Netstring};
    /// use tokio_util::codec::Decoder;
    ///
    /// let mut codec = Netstring::new().with_max_frame_len(99);
    /// // A third digit means at least 100 bytes: reported at once, skipped.
    /// let mut buf = BytesMut::from(&b"123"[..]);
    /// let err = codec.decode(&mut buf).unwrap_err();
    /// assert!(matches!(err, Error::FrameTooLong { len: 123, max: 99 }));
    /// assert!(buf.is_empty());
    /// # Ok::<(), framewise::Error>(())
    /// ```
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.engine.max = max;
        self
    }
}

impl Default for Netstring {
    /// [`Netstring::new`].
    fn default() -> Self {
        Self::new()
    }
}

ascii_codec!(Netstring);

/// RFC 6587 octet counting (syslog over TCP): `MSG-LEN SP SYSLOG-MSG`.
///
/// ```text
/// +-- decimal length --+----+-- payload ---------------+
/// | 2 0                | SP | <13>1 - host app - - - x |
/// +--------------------+----+--------------------------+
/// ```
///
/// # Guarantees
///
/// - The length is RFC 6587's `MSG-LEN = NONZERO-DIGIT *DIGIT`: no leading
///   zero, so no empty message (the encoder refuses an empty payload with
///   [`Error::Unencodable`]). The payload is taken by its length.
/// - See [`Netstring`](Netstring#limits-and-errors) for limits and
///   errors: a length over the limit (default 8 MiB) is recoverable, a malformed header is
///   [`Error::CorruptHeader`] (RFC 6587's receivers that fall back to
///   newline framing are not imitated: a receiver that guesses mistakes
///   payload for headers).
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use framewise::OctetCounting;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut codec = OctetCounting::new();
/// let mut wire = BytesMut::new();
/// codec.encode(&b"<13>1 - host app - - - x"[..], &mut wire)?;
/// assert_eq!(&wire[..], b"24 <13>1 - host app - - - x");
/// assert_eq!(codec.decode(&mut wire)?.unwrap(), "<13>1 - host app - - - x");
/// # Ok::<(), framewise::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct OctetCounting {
    engine: Engine,
}

impl OctetCounting {
    /// Octet counting with an 8 MiB payload limit.
    pub fn new() -> Self {
        OctetCounting {
            engine: Engine::new(OCTET_COUNTING, DEFAULT_MAX_FRAME_LEN),
        }
    }

    /// The same codec with a limit of `max` payload bytes.
    ///
    /// A limit is needed because a peer can announce any length, in as many
    /// digits as it likes. Any value works.
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.engine.max = max;
        self
    }
}

impl Default for OctetCounting {
    /// [`OctetCounting::new`].
    fn default() -> Self {
        Self::new()
    }
}

ascii_codec!(OctetCounting);

/// A fixed-width hexadecimal length before each payload, as Android's adb
/// host protocol writes it: `000Chost:version`.
///
/// ```text
/// +-- 4 hex digits --+-- payload ---+
/// | 0 0 0 c          | host:version |
/// +------------------+--------------+
/// ```
///
/// # Guarantees
///
/// - The decoder reads the digits in either case; the encoder writes them in
///   lower case (what adb's own client sends, `%04x`) or, with
///   [`with_uppercase`](Self::with_uppercase), in upper case.
/// - The limit (default the field's largest value, at most 8 MiB) counts the
///   payload; a length over it is recoverable, and a byte that is not a hex
///   digit in the field is [`Error::CorruptHeader`] (see
///   [`Netstring`](Netstring#limits-and-errors)).
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use framewise::HexLength;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut codec = HexLength::new(4)?.with_uppercase(true);
/// let mut wire = BytesMut::new();
/// codec.encode(&b"host:version"[..], &mut wire)?;
/// assert_eq!(&wire[..], b"000Chost:version");
/// assert_eq!(codec.decode(&mut wire)?.unwrap(), "host:version");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct HexLength {
    engine: Engine,
}

impl HexLength {
    /// A length of `width` hex digits (adb: 4), lower-case on the wire; the
    /// limit is the largest length the field holds, capped at 8 MiB.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] for a width outside 1 to 16.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::HexLength;
    /// assert_eq!(HexLength::new(4)?.max_frame_len(), 0xffff);
    /// assert!(HexLength::new(0).is_err());
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn new(width: usize) -> Result<Self, ConfigError> {
        if !(1..=16).contains(&width) {
            return Err(ConfigError::invalid(
                "width",
                reason!("a hex length of {width} digits is not 1 to 16"),
            ));
        }
        let field_max = if width == 16 {
            u64::MAX
        } else {
            (1 << (4 * width)) - 1
        };
        let max = usize::try_from(field_max)
            .map_or(DEFAULT_MAX_FRAME_LEN, |m| m.min(DEFAULT_MAX_FRAME_LEN));
        Ok(HexLength {
            engine: Engine::new(
                Header::Hex {
                    width,
                    upper: false,
                },
                max,
            ),
        })
    }

    /// The same codec with a limit of `max` payload bytes.
    ///
    /// A limit is needed because a peer can announce any length the field
    /// holds. Any value works; the encoder also refuses lengths the field
    /// cannot hold.
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.engine.max = max;
        self
    }

    /// The same codec, writing upper-case hex digits when `yes`.
    pub fn with_uppercase(mut self, yes: bool) -> Self {
        if let Header::Hex { upper, .. } = &mut self.engine.header {
            *upper = yes;
        }
        self
    }

    /// The number of hex digits in the length field.
    pub fn width(&self) -> usize {
        match self.engine.header {
            Header::Hex { width, .. } => width,
            Header::Decimal { .. } => unreachable!("a HexLength has a hex header"),
        }
    }

    /// Whether the encoder writes upper-case hex digits.
    pub fn uppercase(&self) -> bool {
        matches!(self.engine.header, Header::Hex { upper: true, .. })
    }
}

ascii_codec!(HexLength);
