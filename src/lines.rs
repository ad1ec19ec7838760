//! Text lines: each frame is a UTF-8 line ending at `\n`, with an optional
//! `\r` before it.
//!
//! ```text
//! Lines::new()                     Lines::crlf()
//! +-- line --+-\n-+-- line --+-\n-+  +-- line --+-\r\n-+
//! | h e l l o| 0A | w o r l d| 0A |  | h e l l o| 0D 0A|
//! +----------+----+----------+----+  +----------+------+
//! ```

use bytes::{Buf, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::error::{Error, reason};

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
/// The same as tokio-util's `LinesCodec`, with these differences: the limit
/// does not count the `\r` of a `\r\n` ending; an oversized line is reported
/// once and skipped instead of sticking; invalid UTF-8 costs only its own line;
/// and the encoder refuses a line that would not decode back unchanged.
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
/// - At the end of the stream ([`Decoder::decode_eof`]), the bytes after the
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

    /// Converts the first `len` bytes of `src` to a line and drops `consumed`
    /// bytes (the line and its ending).
    #[inline]
    fn take_line(src: &mut BytesMut, len: usize, consumed: usize) -> Result<Option<String>, Error> {
        match std::str::from_utf8(&src[..len]) {
            Ok(s) => {
                let line = s.to_owned();
                src.advance(consumed);
                Ok(Some(line))
            }
            Err(e) => {
                let valid_up_to = e.valid_up_to();
                src.advance(consumed);
                Err(Error::InvalidUtf8 { len, valid_up_to })
            }
        }
    }

    /// Checks a line for [`Encoder`] and writes it with its ending.
    fn encode_slice(&self, line: &[u8], dst: &mut BytesMut) -> Result<(), Error> {
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
        let ending: &[u8] = if self.crlf { b"\r\n" } else { b"\n" };
        dst.reserve(line.len() + ending.len());
        dst.extend_from_slice(line);
        dst.extend_from_slice(ending);
        Ok(())
    }
}

/// The length of `bytes` without a final `\r`.
fn without_cr(bytes: &[u8]) -> usize {
    match bytes.last() {
        Some(b'\r') => bytes.len() - 1,
        _ => bytes.len(),
    }
}

impl Decoder for Lines {
    type Item = String;
    type Error = Error;

    /// Takes the next line from `src`.
    ///
    /// # Errors
    ///
    /// [`Error::FrameTooLong`] once per line over the limit, and
    /// [`Error::InvalidUtf8`] for a line that is not UTF-8; either way the next
    /// call goes on with the line after it.
    #[inline]
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<String>, Error> {
        // The common case, inlined into the caller: a whole line within the
        // limit, valid UTF-8, no oversized line being skipped. It gives what
        // `decode_general` gives; every other case goes there.
        if !self.discarding {
            let from = self.next_index.min(src.len());
            match memchr::memchr(b'\n', &src[from..]) {
                Some(i) => {
                    let newline = from + i;
                    let len = without_cr(&src[..newline]);
                    if len <= self.max_frame_len
                        && let Ok(line) = std::str::from_utf8(&src[..len])
                    {
                        let line = line.to_owned();
                        self.next_index = 0;
                        src.advance(newline + 1);
                        return Ok(Some(line));
                    }
                }
                None if without_cr(src) <= self.max_frame_len => {
                    self.next_index = src.len();
                    return Ok(None);
                }
                None => {}
            }
        }
        self.decode_general(src)
    }

    /// Like `decode`, and then the bytes after the last `\n` are returned as a
    /// final line (without a final `\r`).
    ///
    /// # Errors
    ///
    /// As for `decode`, the final line included.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<String>, Error> {
        if let Some(line) = self.decode(src)? {
            return Ok(Some(line));
        }
        self.next_index = 0;
        if self.discarding {
            // Already reported when it went over the limit.
            self.discarding = false;
            src.clear();
            return Ok(None);
        }
        if src.is_empty() {
            return Ok(None);
        }
        // `decode` has checked the limit on these bytes.
        let len = without_cr(src);
        let all = src.len();
        Self::take_line(src, len, all)
    }
}

impl Lines {
    /// Every case of [`Decoder::decode`]: oversized lines, invalid UTF-8,
    /// skipping an oversized line as it arrives.
    fn decode_general(&mut self, src: &mut BytesMut) -> Result<Option<String>, Error> {
        loop {
            // `min`: a caller who empties the buffer between calls gets a
            // rescan, not a panic.
            let from = self.next_index.min(src.len());
            let Some(i) = memchr::memchr(b'\n', &src[from..]) else {
                if self.discarding {
                    src.clear();
                    self.next_index = 0;
                    return Ok(None);
                }
                self.next_index = src.len();
                // A final `\r` may be the start of the ending, not counted.
                let len = without_cr(src);
                if len > self.max_frame_len {
                    src.clear();
                    self.next_index = 0;
                    self.discarding = true;
                    return Err(self.too_long(len));
                }
                return Ok(None);
            };
            let newline = from + i;
            self.next_index = 0;
            if self.discarding {
                src.advance(newline + 1);
                self.discarding = false;
                continue;
            }
            let len = without_cr(&src[..newline]);
            if len > self.max_frame_len {
                src.advance(newline + 1);
                return Err(self.too_long(len));
            }
            return Self::take_line(src, len, newline + 1);
        }
    }
}

impl Encoder<&str> for Lines {
    type Error = Error;

    fn encode(&mut self, line: &str, dst: &mut BytesMut) -> Result<(), Error> {
        self.encode_slice(line.as_bytes(), dst)
    }
}

impl Encoder<String> for Lines {
    type Error = Error;

    fn encode(&mut self, line: String, dst: &mut BytesMut) -> Result<(), Error> {
        self.encode_slice(line.as_bytes(), dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
