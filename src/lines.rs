//! Text lines: each frame is a UTF-8 line ending at `\n`, with an optional
//! `\r` before it.
//!
//! ```text
//! Lines::new()                     Lines::crlf()
//! +-- line --+-\n-+-- line --+-\n-+  +-- line --+-\r\n-+
//! | h e l l o| 0A | w o r l d| 0A |  | h e l l o| 0D 0A|
//! +----------+----+----------+----+  +----------+------+
//! ```

use crate::error::{Error, reason};
use crate::framing::{Decode, Decoded, Encode, Output};

/// The default limit of a line, without its `\n` or `\r\n`: 64 KiB.
pub(crate) const DEFAULT_MAX_FRAME_LEN: usize = 64 * 1024;

/// Text lines as `String`s: a line ends at `\n`, and a `\r` just before it is
/// stripped too, so `\n` and `\r\n` endings both decode.
///
/// ```text
/// bytes:  h i \n t h e r e \r \n \xff \n b y e \n
/// items:  "hi"   "there"          error  "bye"
/// ```
///
/// The same as tokio-util's `LinesCodec`, with these differences:
/// - the limit does not count the `\r` of a `\r\n` ending;
/// - an oversized line is reported once and skipped instead of sticking;
/// - invalid UTF-8 costs only its own line;
/// - the encoder refuses a line that would not decode back unchanged;
/// - at the end of the stream, a final unterminated line loses one `\r` at
///   its end, like every other line; so a lone `\r` left at the end is an
///   empty final line `""`, where `LinesCodec` returns `None` and leaves the
///   `\r` in the buffer.
///
/// # Decoding
///
/// - Each line is searched once with memchr however it arrives, so a line sent
///   one byte at a time costs linear time, and is converted with a single
///   allocation, for the `String` itself.
/// - A line that is not valid UTF-8 is [`Error::InvalidUtf8`] (`len` is the
///   line's length without its ending, `valid_up_to` the offset of the first
///   bad byte); the line is consumed and the next call decodes the next line.
/// - The limit ([`max_frame_len`](Lines::max_frame_len), default 64 KiB)
///   counts the line without its `\n` or `\r\n`. A line over it is reported
///   once as [`Error::FrameTooLong`], as soon as it is known to be too long
///   (`len` is the line's length if its `\n` has arrived, or else how much of
///   it has arrived so far); its bytes are dropped as they arrive, up to and
///   including the next `\n`, and decoding goes on with the line after it. A
///   peer that never sends `\n` cannot make the decoder hold more than the
///   limit plus one byte.
/// - At the end of the stream (`decode_eof`, [`Decode::decode_slice_eof`]), the bytes after the
///   last `\n` are returned as a final line (a `\r` at their end is stripped),
///   so a text whose last line is not terminated loses nothing.
///
/// # Encoding
///
/// The encoder accepts `&str` and `String` and writes the line followed by
/// `\n` ([`Lines::new`]) or `\r\n` ([`Lines::crlf`]). It refuses, with nothing
/// written, what would not decode back unchanged: a line containing `\n`, a
/// line ending in `\r` when writing `\n` endings (the decoder would strip it),
/// both [`Error::Unencodable`], and a line over the limit,
/// [`Error::FrameTooLong`]. A `\r` anywhere else is fine.
///
/// Because the encoder takes two item types, `Sink` calls that carry no item
/// name one: `SinkExt::<&str>::flush(&mut framed)`, not `framed.flush()`.
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use framewise::Lines;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut codec = Lines::new();
/// let mut wire = BytesMut::new();
/// codec.encode("hello", &mut wire)?;
/// codec.encode(String::from("world"), &mut wire)?;
/// assert_eq!(&wire[..], b"hello\nworld\n");
///
/// wire.extend_from_slice(b"from windows\r\nno newline");
/// assert_eq!(codec.decode(&mut wire)?.as_deref(), Some("hello"));
/// assert_eq!(codec.decode(&mut wire)?.as_deref(), Some("world"));
/// assert_eq!(codec.decode(&mut wire)?.as_deref(), Some("from windows"));
/// assert_eq!(codec.decode(&mut wire)?, None);
/// assert_eq!(codec.decode_eof(&mut wire)?.as_deref(), Some("no newline"));
/// # Ok::<(), framewise::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Lines {
    /// Whether the encoder ends lines with `\r\n` rather than `\n`.
    crlf: bool,
    max_frame_len: usize,
    /// How far the read buffer has been searched for `\n`: the next search
    /// starts here, so a line arriving one byte at a time is scanned once
    /// (tokio-util's `next_index`). Zero after a line is taken.
    next_index: usize,
    /// Whether the line at the front of the buffer is an oversized one that
    /// has been reported: its bytes are dropped as they arrive, up to and
    /// including its `\n`, so that it is never buffered whole.
    discarding: bool,
}

impl Default for Lines {
    fn default() -> Self {
        Self::new()
    }
}

impl Lines {
    /// Lines ending in `\n` when encoding (`\n` or `\r\n` when decoding), with a
    /// limit of 64 KiB.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec = framewise::Lines::new();
    /// assert_eq!(codec.max_frame_len(), 64 * 1024);
    /// assert!(!codec.is_crlf());
    /// ```
    pub fn new() -> Self {
        Lines {
            crlf: false,
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            next_index: 0,
            discarding: false,
        }
    }

    /// Lines ending in `\r\n` when encoding (`\n` or `\r\n` when decoding), as
    /// text protocols such as SMTP, FTP and Redis's inline commands want, with
    /// a limit of 64 KiB.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use tokio_util::codec::Encoder;
    ///
    /// let mut wire = BytesMut::new();
    /// framewise::Lines::crlf().encode("HELO example.org", &mut wire)?;
    /// assert_eq!(&wire[..], b"HELO example.org\r\n");
    /// # Ok::<(), framewise::Error>(())
    /// ```
    pub fn crlf() -> Self {
        Lines {
            crlf: true,
            ..Self::new()
        }
    }

    /// The same codec with another limit on a line's length, without its
    /// `\n` or `\r\n`.
    ///
    /// A limit is needed because a peer that never sends `\n` would otherwise
    /// make the decoder buffer without end.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use framewise::{Error, Lines};
    /// use tokio_util::codec::Decoder;
    ///
    /// let mut codec = Lines::new().with_max_frame_len(4);
    /// let mut buf = BytesMut::from(&b"four\r\nfive!\nok\n"[..]);
    /// assert_eq!(codec.decode(&mut buf)?.as_deref(), Some("four"));
    /// assert!(matches!(codec.decode(&mut buf), Err(Error::FrameTooLong { len: 5, max: 4 })));
    /// assert_eq!(codec.decode(&mut buf)?.as_deref(), Some("ok"));
    /// # Ok::<(), framewise::Error>(())
    /// ```
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.max_frame_len = max;
        self
    }

    /// The longest line accepted, without its `\n` or `\r\n`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(framewise::Lines::new().with_max_frame_len(80).max_frame_len(), 80);
    /// ```
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// Whether the encoder ends lines with `\r\n` (else `\n`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(framewise::Lines::crlf().is_crlf());
    /// ```
    pub fn is_crlf(&self) -> bool {
        self.crlf
    }

    fn too_long(&self, len: usize) -> Error {
        Error::FrameTooLong {
            len: len as u64,
            max: self.max_frame_len as u64,
        }
    }

    /// Checks a line for the encoder, given as bytes that are valid UTF-8;
    /// returns its length on the wire, ending included.
    #[inline]
    pub(crate) fn line_encoded_len(&self, line: &[u8]) -> Result<usize, Error> {
        if line.len() > self.max_frame_len {
            return Err(self.too_long(line.len()));
        }
        if let Some(at) = memchr::memchr(b'\n', line) {
            return Err(Error::Unencodable {
                reason: reason!("the line contains a \\n at byte {at}"),
            });
        }
        if !self.crlf && line.last() == Some(&b'\r') {
            return Err(Error::Unencodable {
                reason: "the line ends with \\r, which the decoder would strip as part of \
                         a \\r\\n ending"
                    .into(),
            });
        }
        Ok(line.len() + self.ending().len())
    }

    /// What the encoder writes after each line.
    #[inline]
    fn ending(&self) -> &'static [u8] {
        if self.crlf { b"\r\n" } else { b"\n" }
    }

    /// The common case of decoding, inlined into the caller: a whole line
    /// within the limit, valid UTF-8, no oversized line being skipped. It
    /// gives what [`decode_line`](Self::decode_line) gives, as a small value
    /// that stays in registers, and [`QuickLine::Other`] for every other
    /// case, with nothing changed. The line is checked as UTF-8 once, for
    /// both [`Decode`] and the `String` decoders.
    #[inline]
    pub(crate) fn decode_quick<'a>(&mut self, src: &'a [u8]) -> QuickLine<'a> {
        if !self.discarding {
            let from = self.next_index.min(src.len());
            match memchr::memchr(b'\n', &src[from..]) {
                Some(i) => {
                    let newline = from + i;
                    let len = without_cr(&src[..newline]);
                    if len <= self.max_frame_len
                        && let Ok(line) = core::str::from_utf8(&src[..len])
                    {
                        self.next_index = 0;
                        return QuickLine::Line {
                            line,
                            consumed: newline + 1,
                        };
                    }
                }
                None if without_cr(src) <= self.max_frame_len => {
                    self.next_index = src.len();
                    return QuickLine::Incomplete;
                }
                None => {}
            }
        }
        QuickLine::Other
    }

    /// The next line at the front of `src`, validated as UTF-8, in every
    /// case: oversized lines, invalid UTF-8, a line being skipped. At the end
    /// of the stream (`eof`), the bytes after the last `\n` are a final line.
    pub(crate) fn decode_line<'a>(&mut self, src: &'a [u8], eof: bool) -> DecodedLine<'a> {
        let answer = self.decode_general(src);
        if !eof {
            return answer;
        }
        let DecodedLine::Incomplete { consumed } = answer else {
            return answer;
        };
        self.next_index = 0;
        if self.discarding {
            // Already reported when it went over the limit.
            self.discarding = false;
            return DecodedLine::Incomplete {
                consumed: src.len(),
            };
        }
        let rest = &src[consumed..];
        if rest.is_empty() {
            return DecodedLine::Incomplete { consumed };
        }
        // `decode_general` has checked the limit on these bytes.
        Self::take_line(rest, without_cr(rest), rest.len()).after_skipping(consumed)
    }

    /// The first `len` bytes of `src` as a line, `consumed` bytes with its
    /// ending.
    #[inline]
    fn take_line(src: &[u8], len: usize, consumed: usize) -> DecodedLine<'_> {
        match core::str::from_utf8(&src[..len]) {
            Ok(line) => DecodedLine::Line {
                start: 0,
                line,
                consumed,
            },
            Err(e) => DecodedLine::Error {
                consumed,
                error: Error::InvalidUtf8 {
                    len,
                    valid_up_to: e.valid_up_to(),
                },
            },
        }
    }

    /// Every case of decoding before the end of the stream: oversized lines,
    /// invalid UTF-8, skipping an oversized line as it arrives.
    fn decode_general<'a>(&mut self, src: &'a [u8]) -> DecodedLine<'a> {
        let mut skipped = 0;
        loop {
            let buf = &src[skipped..];
            // `min`: a caller who empties the buffer between calls gets a
            // rescan, not a panic.
            let from = self.next_index.min(buf.len());
            let Some(i) = memchr::memchr(b'\n', &buf[from..]) else {
                if self.discarding {
                    self.next_index = 0;
                    return DecodedLine::Incomplete {
                        consumed: src.len(),
                    };
                }
                self.next_index = buf.len();
                // A final `\r` may be the start of the ending, not counted.
                let len = without_cr(buf);
                if len > self.max_frame_len {
                    self.next_index = 0;
                    self.discarding = true;
                    return DecodedLine::Error {
                        consumed: src.len(),
                        error: self.too_long(len),
                    };
                }
                return DecodedLine::Incomplete { consumed: skipped };
            };
            let newline = from + i;
            self.next_index = 0;
            if self.discarding {
                skipped += newline + 1;
                self.discarding = false;
                continue;
            }
            let len = without_cr(&buf[..newline]);
            if len > self.max_frame_len {
                return DecodedLine::Error {
                    consumed: skipped + newline + 1,
                    error: self.too_long(len),
                };
            }
            return Self::take_line(buf, len, newline + 1).after_skipping(skipped);
        }
    }
}

/// What [`Lines::decode_quick`] found.
#[derive(Debug, Clone, Copy)]
pub(crate) enum QuickLine<'a> {
    /// A line at the front, without its ending; drop `consumed` bytes once
    /// done with it.
    Line { line: &'a str, consumed: usize },
    /// No line yet, nothing to drop.
    Incomplete,
    /// Not the common case: ask [`Lines::decode_line`].
    Other,
}

/// What [`Lines::decode_line`] found: [`Decoded`], with the line as text.
#[derive(Debug)]
pub(crate) enum DecodedLine<'a> {
    /// No whole line yet; drop `consumed` bytes (of a line being skipped).
    Incomplete { consumed: usize },
    /// A line, without its ending, found at `src[start..]`; drop `consumed`
    /// bytes once done with it.
    Line {
        start: usize,
        line: &'a str,
        consumed: usize,
    },
    /// A bad line; drop `consumed` bytes and carry on.
    Error { consumed: usize, error: Error },
}

impl DecodedLine<'_> {
    /// This answer about `src[skipped..]`, restated about `src`.
    #[inline]
    fn after_skipping(self, skipped: usize) -> Self {
        match self {
            DecodedLine::Incomplete { consumed } => DecodedLine::Incomplete {
                consumed: skipped + consumed,
            },
            DecodedLine::Line {
                start,
                line,
                consumed,
            } => DecodedLine::Line {
                start: skipped + start,
                line,
                consumed: skipped + consumed,
            },
            DecodedLine::Error { consumed, error } => DecodedLine::Error {
                consumed: skipped + consumed,
                error,
            },
        }
    }

    /// The same answer, with the line as a byte range of the source.
    #[inline]
    fn into_decoded(self) -> Decoded {
        match self {
            DecodedLine::Incomplete { consumed } => Decoded::Incomplete { consumed },
            DecodedLine::Line {
                start,
                line,
                consumed,
            } => Decoded::Frame {
                start,
                len: line.len(),
                consumed,
            },
            DecodedLine::Error { consumed, error } => Decoded::Error { consumed, error },
        }
    }
}

/// The length of `bytes` without a final `\r`.
fn without_cr(bytes: &[u8]) -> usize {
    match bytes.last() {
        Some(b'\r') => bytes.len() - 1,
        _ => bytes.len(),
    }
}

impl Decode for Lines {
    /// The next line, without its `\n` or `\r\n`, checked to be UTF-8.
    ///
    /// [`Error::FrameTooLong`] once per line over the limit, and
    /// [`Error::InvalidUtf8`] for a line that is not UTF-8; either way the next
    /// call goes on with the line after it.
    #[inline]
    fn decode_slice(&mut self, src: &[u8]) -> Decoded {
        match self.decode_quick(src) {
            QuickLine::Line { line, consumed } => Decoded::Frame {
                start: 0,
                len: line.len(),
                consumed,
            },
            QuickLine::Incomplete => Decoded::Incomplete { consumed: 0 },
            QuickLine::Other => self.decode_line(src, false).into_decoded(),
        }
    }

    /// Like [`decode_slice`](Self::decode_slice), and then the bytes after
    /// the last `\n` are returned as a final line (without a final `\r`).
    fn decode_slice_eof(&mut self, src: &[u8]) -> Decoded {
        self.decode_line(src, true).into_decoded()
    }
}

impl Encode for Lines {
    /// The line plus its ending, or the refusal.
    ///
    /// # Errors
    ///
    /// [`Error::FrameTooLong`] over the limit; [`Error::Unencodable`] for a
    /// line that is not UTF-8, holds a `\n`, or (writing `\n` endings) ends
    /// with `\r`.
    #[inline]
    fn encoded_len(&self, line: &[u8]) -> Result<usize, Error> {
        if let Err(e) = core::str::from_utf8(line) {
            return Err(Error::Unencodable {
                reason: reason!(
                    "a line must be utf-8, and byte {} of this {}-byte frame is not",
                    e.valid_up_to(),
                    line.len()
                ),
            });
        }
        self.line_encoded_len(line)
    }

    #[inline]
    fn write_frame<O: Output + ?Sized>(&self, line: &[u8], _encoded_len: usize, out: &mut O) {
        out.push_slice(line);
        out.push_slice(self.ending());
    }
}

#[cfg(all(test, feature = "tokio"))]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use tokio_util::codec::Decoder;

    #[test]
    fn lone_cr_at_end_of_stream_is_an_empty_final_line() {
        // Documented as a difference from LinesCodec, which keeps the `\r`.
        let mut buf = BytesMut::from(&b"a\n\r"[..]);
        let mut c = Lines::new();
        assert_eq!(c.decode(&mut buf).unwrap().as_deref(), Some("a"));
        assert_eq!(c.decode(&mut buf).unwrap(), None);
        assert_eq!(c.decode_eof(&mut buf).unwrap().as_deref(), Some(""));
        assert!(buf.is_empty());
        assert_eq!(c.decode_eof(&mut buf).unwrap(), None);
    }

    impl Lines {
        /// Checks a line and writes it with its ending, as the `Encoder`
        /// impls do.
        fn encode_slice(&self, line: &[u8], dst: &mut BytesMut) -> Result<(), Error> {
            crate::owned::encode(self, line, dst)
        }
    }

    #[test]
    fn crlf_split_between_reads_is_stripped() {
        let mut c = Lines::new();
        let mut buf = BytesMut::from(&b"ab\r"[..]);
        assert_eq!(c.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"\n");
        assert_eq!(c.decode(&mut buf).unwrap().as_deref(), Some("ab"));
        assert!(buf.is_empty());
    }

    #[test]
    fn trailing_cr_does_not_count_toward_the_limit() {
        let mut c = Lines::new().with_max_frame_len(2);
        let mut buf = BytesMut::from(&b"ab\r"[..]);
        assert_eq!(c.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"\ncd\r\r\n");
        assert_eq!(c.decode(&mut buf).unwrap().as_deref(), Some("ab"));
        // "cd\r" is three bytes of line.
        assert!(matches!(
            c.decode(&mut buf),
            Err(Error::FrameTooLong { len: 3, max: 2 })
        ));
        assert!(buf.is_empty());
    }

    #[test]
    fn oversize_without_newline_is_dropped_as_it_arrives() {
        let mut c = Lines::new().with_max_frame_len(2);
        let mut buf = BytesMut::from(&b"abc\r"[..]);
        assert!(matches!(
            c.decode(&mut buf),
            Err(Error::FrameTooLong { len: 3, max: 2 })
        ));
        assert!(buf.is_empty());
        buf.extend_from_slice(b"more\r\nok\n");
        assert_eq!(c.decode(&mut buf).unwrap().as_deref(), Some("ok"));
    }

    #[test]
    fn encoder_line_endings() {
        let mut dst = BytesMut::new();
        Lines::crlf().encode_slice(b"a\r", &mut dst).unwrap();
        assert_eq!(&dst[..], b"a\r\r\n");
        assert!(Lines::new().encode_slice(b"a\r", &mut dst).is_err());
        assert!(Lines::new().encode_slice(b"a\rb", &mut dst).is_ok());
        assert_eq!(&dst[..], b"a\r\r\na\rb\n");
    }
}
