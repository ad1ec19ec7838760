//! Delimited framing: each frame ends at a delimiter.
//!
//! ```text
//! Delimited::new(b"\r\n")
//! +---- payload ----+- delimiter -+---- payload ----+- delimiter -+
//! | h e l l o       |   \r \n     | w o r l d       |   \r \n     |
//! +-----------------+-------------+-----------------+-------------+
//! ```
//!
//! With several delimiters the earliest match in the stream ends the frame,
//! and where two match at the same position the longer one wins:
//!
//! ```text
//! Delimited::builder().delimiter(b"\r\n").delimiter(b"\n")
//! bytes:   a \r \n b \n c \r \r \n
//! frames:  "a"     "b"  "c\r"
//! ```

use bytes::{Buf, Bytes, BytesMut};
use memchr::memmem;
use tokio_util::codec::{Decoder, Encoder};

use crate::error::{ConfigError, Error, reason};

/// The default limit of a delimited frame's payload, delimiter excluded: 64 KiB.
pub(crate) const DEFAULT_MAX_FRAME_LEN: usize = 64 * 1024;

/// Builds a [`Delimited`] codec with one or several delimiters.
///
/// Defaults: no delimiter (at least one must be given), delimiter stripped
/// from the decoded frames, a limit of 64 KiB.
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use framewise::Delimited;
/// use tokio_util::codec::Decoder;
///
/// let mut codec = Delimited::builder()
///     .delimiter(b"\r\n")
///     .delimiter(b"\n")
///     .max_frame_len(1024)
///     .build()?;
/// let mut buf = BytesMut::from(&b"GET / HTTP/1.0\r\nHost: a\n"[..]);
/// assert_eq!(codec.decode(&mut buf)?.unwrap(), "GET / HTTP/1.0");
/// assert_eq!(codec.decode(&mut buf)?.unwrap(), "Host: a");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct DelimitedBuilder {
    /// In the order given: the first one is the one the encoder writes.
    delimiters: Vec<Vec<u8>>,
    keep_delimiter: bool,
    max_frame_len: usize,
}

impl Default for DelimitedBuilder {
    fn default() -> Self {
        DelimitedBuilder {
            delimiters: Vec::new(),
            keep_delimiter: false,
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
        }
    }
}

impl DelimitedBuilder {
    /// Adds a delimiter: any non-empty byte string.
    ///
    /// The first delimiter given is the one the encoder writes after each
    /// payload; the decoder ends a frame at whichever delimiter comes first in
    /// the stream (at the same position, the longest). Giving the same
    /// delimiter twice is the same as giving it once.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec = framewise::Delimited::builder().delimiter(b"\0").build()?;
    /// assert_eq!(codec.delimiters().next(), Some(&b"\0"[..]));
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn delimiter(mut self, delimiter: impl AsRef<[u8]>) -> Self {
        self.delimiters.push(delimiter.as_ref().to_vec());
        self
    }

    /// Whether decoded frames end with their delimiter (default `false`: it
    /// is stripped).
    ///
    /// With `true`, the encoder takes frames that already end with a
    /// delimiter, so that what it accepts decodes back unchanged (see
    /// [`Delimited`]'s encoding rules).
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use framewise::Delimited;
    /// use tokio_util::codec::Decoder;
    ///
    /// let mut codec = Delimited::builder().delimiter(b";").keep_delimiter(true).build()?;
    /// let mut buf = BytesMut::from(&b"a;b;"[..]);
    /// assert_eq!(codec.decode(&mut buf)?.unwrap(), "a;");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keep_delimiter(mut self, keep: bool) -> Self {
        self.keep_delimiter = keep;
        self
    }

    /// The largest payload accepted, delimiter excluded (default 64 KiB).
    ///
    /// A limit is needed because a peer that never sends a delimiter would
    /// otherwise make the decoder buffer without end. With it, the decoder
    /// holds at most this many bytes plus the longest delimiter less one
    /// while it waits.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec = framewise::Delimited::builder().delimiter(b"\n").max_frame_len(80).build()?;
    /// assert_eq!(codec.max_frame_len(), 80);
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn max_frame_len(mut self, max: usize) -> Self {
        self.max_frame_len = max;
        self
    }

    /// Checks the delimiters and builds the codec.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] for the setting `"delimiter"` when no delimiter was
    /// given, when one is empty (it would match everywhere), or when the first
    /// delimiter (the one the encoder writes) is the beginning of a longer
    /// delimiter: then every encoded frame could be read as ending at the
    /// longer one, depending on the bytes that follow it. Give the longer
    /// delimiter first instead; the order does not change decoding.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::Delimited;
    ///
    /// assert!(Delimited::builder().build().is_err());
    /// assert!(Delimited::builder().delimiter(b"").build().is_err());
    /// assert!(Delimited::builder().delimiter(b"\r").delimiter(b"\r\n").build().is_err());
    /// assert!(Delimited::builder().delimiter(b"\r\n").delimiter(b"\r").build().is_ok());
    /// ```
    pub fn build(self) -> Result<Delimited, ConfigError> {
        let mut given: Vec<Box<[u8]>> = Vec::with_capacity(self.delimiters.len());
        for d in self.delimiters {
            if d.is_empty() {
                return Err(ConfigError::invalid(
                    "delimiter",
                    "a delimiter cannot be empty: it would match everywhere",
                ));
            }
            if !given.iter().any(|g| **g == *d) {
                given.push(d.into_boxed_slice());
            }
        }
        let Some(first) = given.first() else {
            return Err(ConfigError::invalid(
                "delimiter",
                "at least one delimiter is needed",
            ));
        };
        if let Some(longer) = given[1..].iter().find(|d| d.starts_with(first)) {
            return Err(ConfigError::invalid(
                "delimiter",
                format!(
                    "the first delimiter \"{}\", which the encoder writes, is the start of the \
                     longer delimiter \"{}\", so an encoded frame could be read as ending at \
                     the longer one; give the longer delimiter first",
                    first.escape_ascii(),
                    longer.escape_ascii()
                ),
            ));
        }
        let mut longest_first = given.clone();
        // Stable sort: equal lengths keep the order given (they never match
        // at the same position anyway).
        longest_first.sort_by_key(|d| std::cmp::Reverse(d.len()));
        let longest = longest_first[0].len();
        let search = if longest == 1 {
            let bytes: Vec<u8> = given.iter().map(|d| d[0]).collect();
            Search::Bytes(ByteSet::new(&bytes))
        } else if given.len() == 1 {
            Search::One(Box::new(memmem::Finder::new(&given[0][..]).into_owned()))
        } else {
            let mut firsts: Vec<u8> = given.iter().map(|d| d[0]).collect();
            firsts.sort_unstable();
            firsts.dedup();
            Search::Set(ByteSet::new(&firsts))
        };
        Ok(Delimited {
            given: given.into_boxed_slice(),
            longest_first: longest_first.into_boxed_slice(),
            longest,
            search,
            keep_delimiter: self.keep_delimiter,
            max_frame_len: self.max_frame_len,
            next_index: 0,
            discarding: false,
        })
    }
}

/// Frames that end at a delimiter: one byte string or several, any length.
///
/// ```text
/// +---- payload ----+- delimiter -+---- payload ----+- delimiter -+
/// | h e l l o       |   \r \n     | w o r l d       |   \r \n     |
/// +-----------------+-------------+-----------------+-------------+
/// ```
///
/// Where tokio-util's `AnyDelimiterCodec` takes a set of single bytes,
/// `Delimited` takes delimiters of any length (`\r\n`, `\r\n\r\n`, `--END--`)
/// and searches them with the `memchr` crate's SIMD routines.
///
/// # Decoding
///
/// - A frame ends at the earliest delimiter in the stream; where several
///   delimiters match at the same position, the longest wins. The answer never
///   depends on how the bytes were split into reads: a delimiter that could
///   still grow into a longer one (`\r` when `\r\n` is also a delimiter) waits
///   for the next byte.
/// - The delimiter is stripped from the frame unless
///   [`keep_delimiter(true)`](DelimitedBuilder::keep_delimiter).
/// - Every byte is searched once, however the frame arrives (the codec
///   remembers how far it has looked), so a frame sent one byte at a time
///   costs linear time, never quadratic.
/// - The limit ([`max_frame_len`](Delimited::max_frame_len), default 64 KiB)
///   counts the payload without its delimiter. A frame over it is reported
///   once as [`Error::FrameTooLong`], as soon as it is known to be too long
///   (`len` is then the payload length if its delimiter has arrived, or else
///   how much of the payload has arrived so far); its bytes are dropped from
///   the read buffer as they arrive, up to and including the next delimiter,
///   and decoding goes on with the frame after it. A peer that never sends a
///   delimiter cannot make the decoder hold more than the limit plus the
///   longest delimiter less one byte.
/// - At the end of the stream ([`Decoder::decode_eof`]), the bytes after the
///   last delimiter are returned as one final frame (without a delimiter,
///   even with `keep_delimiter(true)`), so a file or stream whose last line
///   is not terminated loses nothing. Nothing left is `Ok(None)`.
///
/// # Encoding
///
/// The encoder accepts `Bytes` and `&[u8]` and refuses, with nothing written,
/// what the decoder would not give back unchanged:
/// - With the delimiter stripped (the default), the item is the payload; the
///   encoder writes it followed by the first delimiter. It refuses a payload
///   over the limit ([`Error::FrameTooLong`]), one containing a delimiter, and
///   one whose end forms a delimiter (or could, depending on the bytes that
///   follow) together with the delimiter written after it, such as `a\r` when
///   the delimiters are `\n` then `\r\n` ([`Error::Unencodable`]).
/// - With `keep_delimiter(true)`, the item is a whole frame ending with a
///   delimiter (any of them), and is written as it is. It is refused unless
///   that final delimiter is the frame's only delimiter match and is sure to
///   end it, or if its payload is over the limit.
///
/// Because the encoder takes two item types, `Sink` calls that carry no item
/// name it: `SinkExt::<Bytes>::flush(&mut framed)`, not `framed.flush()`.
///
/// # Examples
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use framewise::Delimited;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut codec = Delimited::new(b"\r\n")?;
/// let mut wire = BytesMut::new();
/// codec.encode(Bytes::from("hello"), &mut wire)?;
/// codec.encode(&b"world"[..], &mut wire)?;
/// assert_eq!(&wire[..], b"hello\r\nworld\r\n");
///
/// assert_eq!(codec.decode(&mut wire)?.unwrap(), "hello");
/// assert_eq!(codec.decode(&mut wire)?.unwrap(), "world");
/// assert_eq!(codec.decode(&mut wire)?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Delimited {
    /// The delimiters in the order given: the first is written by the encoder.
    given: Box<[Box<[u8]>]>,
    /// The same delimiters, longest first, so that the first one found to
    /// match at a position is the longest there (ties go to the longest).
    longest_first: Box<[Box<[u8]>]>,
    /// Length of the longest delimiter: a delimiter split across reads starts
    /// at most this many bytes less one before the end of the buffer.
    longest: usize,
    search: Search,
    keep_delimiter: bool,
    max_frame_len: usize,
    /// How far the read buffer has been searched without finding the end of
    /// the frame: no delimiter starts before it. The next search starts here,
    /// so bytes arriving one at a time are each looked at once (tokio-util's
    /// `next_index`). Zero after a frame is taken or bytes are dropped.
    next_index: usize,
    /// Whether the frame at the front of the buffer is an oversized one that
    /// has been reported: its bytes are dropped as they arrive, up to and
    /// including its delimiter, so that it is never buffered whole.
    discarding: bool,
}

/// How the decoder finds delimiters: the fastest way for the set given.
#[derive(Debug, Clone)]
enum Search {
    /// Every delimiter is a single byte: memchr finds the first of them.
    Bytes(ByteSet),
    /// One delimiter of two bytes or more: memchr's substring search.
    One(Box<memmem::Finder<'static>>),
    /// Several delimiters, not all single bytes: memchr finds the positions
    /// holding the first byte of some delimiter, and each is then checked
    /// against the delimiters, longest first.
    Set(ByteSet),
}

/// A set of distinct bytes, searched with memchr for up to three.
#[derive(Debug, Clone)]
enum ByteSet {
    One(u8),
    Two(u8, u8),
    Three(u8, u8, u8),
    /// More than three: memchr has no routine for that, so a table lookup per
    /// byte (what tokio-util's `AnyDelimiterCodec` does for every set).
    Many(Box<[bool; 256]>),
}

impl ByteSet {
    /// `bytes` is non-empty and has no duplicates.
    fn new(bytes: &[u8]) -> Self {
        match *bytes {
            [a] => ByteSet::One(a),
            [a, b] => ByteSet::Two(a, b),
            [a, b, c] => ByteSet::Three(a, b, c),
            _ => {
                let mut table = Box::new([false; 256]);
                for &b in bytes {
                    table[usize::from(b)] = true;
                }
                ByteSet::Many(table)
            }
        }
    }

    #[inline]
    fn find(&self, haystack: &[u8]) -> Option<usize> {
        match *self {
            ByteSet::One(a) => memchr::memchr(a, haystack),
            ByteSet::Two(a, b) => memchr::memchr2(a, b, haystack),
            ByteSet::Three(a, b, c) => memchr::memchr3(a, b, c, haystack),
            ByteSet::Many(ref table) => haystack.iter().position(|&b| table[usize::from(b)]),
        }
    }
}

impl Delimited {
    /// Frames ending at `delimiter` (any non-empty byte string), stripped from
    /// the decoded frames, with a limit of 64 KiB.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] if `delimiter` is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use framewise::Delimited;
    /// use tokio_util::codec::Decoder;
    ///
    /// let mut codec = Delimited::new(b"\r\n\r\n")?;
    /// let mut buf = BytesMut::from(&b"head\r\nmore\r\n\r\nbody"[..]);
    /// assert_eq!(codec.decode(&mut buf)?.unwrap(), "head\r\nmore");
    /// assert_eq!(codec.decode(&mut buf)?, None);
    /// assert!(Delimited::new(b"").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(delimiter: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        Self::builder().delimiter(delimiter).build()
    }

    /// A builder for several delimiters, keeping the delimiter, or another limit.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec = framewise::Delimited::builder().delimiter(b"\n").build()?;
    /// assert!(!codec.keeps_delimiter());
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn builder() -> DelimitedBuilder {
        DelimitedBuilder::default()
    }

    /// The same codec with another limit on the payload, delimiter excluded.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec = framewise::Delimited::new(b"\n")?.with_max_frame_len(512);
    /// assert_eq!(codec.max_frame_len(), 512);
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.max_frame_len = max;
        self
    }

    /// The largest payload accepted, delimiter excluded.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(framewise::Delimited::new(b"\n")?.max_frame_len(), 64 * 1024);
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// The delimiters in the order given, without duplicates; the first is
    /// the one the encoder writes.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec = framewise::Delimited::builder().delimiter(b"\r\n").delimiter(b"\n").build()?;
    /// let delimiters: Vec<&[u8]> = codec.delimiters().collect();
    /// assert_eq!(delimiters, [&b"\r\n"[..], &b"\n"[..]]);
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn delimiters(&self) -> impl Iterator<Item = &[u8]> {
        self.given.iter().map(|d| &d[..])
    }

    /// Whether decoded frames end with their delimiter.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec = framewise::Delimited::builder().delimiter(b"\n").keep_delimiter(true).build()?;
    /// assert!(codec.keeps_delimiter());
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn keeps_delimiter(&self) -> bool {
        self.keep_delimiter
    }

    /// Finds the delimiter ending the frame at the front of `buf`, searching
    /// from `from` (no delimiter starts before it).
    ///
    /// `Ok((start, len))`: the delimiter at `start`, `len` bytes long.
    /// `Err(resume)`: not found yet; no delimiter can start before `resume`,
    /// so the next search starts there, and the frame has at least `resume`
    /// bytes. Unless `eof`, a match that bytes still to come could turn into
    /// a longer or an earlier one is not taken, so the result never depends on
    /// how the stream was split into reads.
    fn find(&self, buf: &[u8], from: usize, eof: bool) -> Result<(usize, usize), usize> {
        match &self.search {
            Search::Bytes(set) => match set.find(&buf[from..]) {
                Some(i) => Ok((from + i, 1)),
                None => Err(buf.len()),
            },
            Search::One(finder) => match finder.find(&buf[from..]) {
                Some(i) => Ok((from + i, finder.needle().len())),
                // The last `len - 1` bytes may be the start of the delimiter.
                None => Err(buf.len().saturating_sub(self.longest - 1).max(from)),
            },
            Search::Set(firsts) => {
                let mut pos = from;
                while let Some(i) = firsts.find(&buf[pos..]) {
                    let at = pos + i;
                    let rest = &buf[at..];
                    for d in self.longest_first.iter() {
                        if rest.starts_with(d) {
                            return Ok((at, d.len()));
                        }
                        if !eof && rest.len() < d.len() && d.starts_with(rest) {
                            // `d` may still arrive here, and it would win over
                            // any match found so far or further on.
                            return Err(at);
                        }
                    }
                    pos = at + 1;
                }
                Err(buf.len())
            }
        }
    }

    fn too_long(&self, len: usize) -> Error {
        Error::FrameTooLong {
            len: len as u64,
            max: self.max_frame_len as u64,
        }
    }

    fn decode_at(&mut self, src: &mut BytesMut, eof: bool) -> Result<Option<Bytes>, Error> {
        loop {
            // `min`: a caller who empties the buffer between calls gets a
            // rescan, not a panic.
            let found = self.find(src, self.next_index.min(src.len()), eof);
            if self.discarding {
                match found {
                    Ok((start, len)) => {
                        // The end of the oversized frame: drop it and go on
                        // with the frames behind it.
                        src.advance(start + len);
                        self.discarding = false;
                        self.next_index = 0;
                        continue;
                    }
                    Err(_) if eof => {
                        // Already reported when it went over the limit.
                        src.clear();
                        self.discarding = false;
                        self.next_index = 0;
                        return Ok(None);
                    }
                    Err(resume) => {
                        // Nothing before `resume` can be a delimiter.
                        src.advance(resume);
                        self.next_index = 0;
                        return Ok(None);
                    }
                }
            }
            return match found {
                Ok((start, len)) => {
                    self.next_index = 0;
                    if start > self.max_frame_len {
                        src.advance(start + len);
                        return Err(self.too_long(start));
                    }
                    // Split the frame off and leave it untouched: writing to
                    // the split-off BytesMut (truncate) before freezing it
                    // costs a store-forwarding stall per frame.
                    if self.keep_delimiter {
                        Ok(Some(src.split_to(start + len).freeze()))
                    } else {
                        let frame = src.split_to(start).freeze();
                        src.advance(len);
                        Ok(Some(frame))
                    }
                }
                Err(_) if eof => {
                    self.next_index = 0;
                    if src.is_empty() {
                        Ok(None)
                    } else if src.len() > self.max_frame_len {
                        let len = src.len();
                        src.clear();
                        Err(self.too_long(len))
                    } else {
                        Ok(Some(src.split().freeze()))
                    }
                }
                Err(resume) if resume > self.max_frame_len => {
                    src.advance(resume);
                    self.next_index = 0;
                    self.discarding = true;
                    Err(self.too_long(resume))
                }
                Err(resume) => {
                    self.next_index = resume;
                    Ok(None)
                }
            };
        }
    }

    /// Checks an item for [`Encoder`] and writes it.
    fn encode_slice(&self, item: &[u8], dst: &mut BytesMut) -> Result<(), Error> {
        if self.keep_delimiter {
            self.check_frame(item)?;
            dst.extend_from_slice(item);
        } else {
            self.check_payload(item)?;
            let delimiter = &self.given[0];
            dst.reserve(item.len() + delimiter.len());
            dst.extend_from_slice(item);
            dst.extend_from_slice(delimiter);
        }
        Ok(())
    }

    /// With the delimiter stripped: `payload` followed by the first delimiter
    /// must decode as `payload`, whatever bytes come after.
    fn check_payload(&self, payload: &[u8]) -> Result<(), Error> {
        if payload.len() > self.max_frame_len {
            return Err(self.too_long(payload.len()));
        }
        if let Ok((at, len)) = self.find(payload, 0, true) {
            return Err(Error::Unencodable {
                reason: reason!(
                    "the payload contains the delimiter \"{}\" at byte {at}",
                    payload[at..at + len].escape_ascii()
                ),
            });
        }
        // A delimiter starting in the last bytes of the payload and running
        // into the delimiter written after it (or past it, into bytes not yet
        // known) would end the frame early or make its end uncertain.
        let written = &self.given[0];
        let tail_start = payload.len().saturating_sub(self.longest - 1);
        for at in tail_start..payload.len() {
            let head = &payload[at..];
            for d in self.longest_first.iter() {
                if d.len() > head.len() && d.starts_with(head) {
                    let rest = &d[head.len()..];
                    let n = rest.len().min(written.len());
                    if rest[..n] == written[..n] {
                        return Err(Error::Unencodable {
                            reason: reason!(
                                "the payload's last {} bytes and the delimiter \"{}\" written \
                                 after them can be read as the delimiter \"{}\"",
                                head.len(),
                                written.escape_ascii(),
                                d.escape_ascii()
                            ),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// With the delimiter kept: `frame` must decode as itself, whatever bytes
    /// come after.
    fn check_frame(&self, frame: &[u8]) -> Result<(), Error> {
        match self.find(frame, 0, false) {
            Ok((start, len)) if start + len == frame.len() => {
                if start > self.max_frame_len {
                    Err(self.too_long(start))
                } else {
                    Ok(())
                }
            }
            Ok((start, len)) => Err(Error::Unencodable {
                reason: reason!(
                    "the frame contains the delimiter \"{}\" at byte {start}, before its end",
                    frame[start..start + len].escape_ascii()
                ),
            }),
            Err(_) => {
                let ends_with_one = self.given.iter().any(|d| frame.ends_with(d));
                Err(Error::Unencodable {
                    reason: if ends_with_one {
                        "the frame's final delimiter could be read as part of a longer \
                         delimiter, depending on the bytes that follow"
                            .into()
                    } else {
                        "with keep_delimiter(true) a frame must end with a delimiter".into()
                    },
                })
            }
        }
    }
}

impl Decoder for Delimited {
    type Item = Bytes;
    type Error = Error;

    /// Takes the next frame from `src`, without copying.
    ///
    /// # Errors
    ///
    /// [`Error::FrameTooLong`] once per frame over the limit; the next call
    /// goes on with the frame after it.
    #[inline]
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        // The common case, inlined into the caller: single-byte delimiters
        // and no oversized frame being skipped. It gives what `decode_at`
        // gives; anything over the limit goes there.
        if let Search::Bytes(set) = &self.search
            && !self.discarding
        {
            let from = self.next_index.min(src.len());
            match set.find(&src[from..]) {
                Some(i) if from + i <= self.max_frame_len => {
                    let start = from + i;
                    self.next_index = 0;
                    // Split the frame off and step over the delimiter in the
                    // read buffer. Splitting both off and then shortening the
                    // frozen handle (`Bytes::truncate`) compiles here to a
                    // 16-byte copy of fields just stored 8 bytes at a time: a
                    // store-forwarding stall on every frame (found with perf).
                    let keep = usize::from(self.keep_delimiter);
                    let frame = src.split_to(start + keep).freeze();
                    src.advance(1 - keep);
                    return Ok(Some(frame));
                }
                None if src.len() <= self.max_frame_len => {
                    self.next_index = src.len();
                    return Ok(None);
                }
                _ => {}
            }
        }
        self.decode_at(src, false)
    }

    /// Like `decode`, and then the bytes after the last delimiter are
    /// returned as a final frame.
    ///
    /// # Errors
    ///
    /// [`Error::FrameTooLong`] once per frame over the limit, the final
    /// unterminated one included.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        self.decode_at(src, true)
    }
}

impl Encoder<Bytes> for Delimited {
    type Error = Error;

    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), Error> {
        self.encode_slice(&item, dst)
    }
}

impl Encoder<&[u8]> for Delimited {
    type Error = Error;

    fn encode(&mut self, item: &[u8], dst: &mut BytesMut) -> Result<(), Error> {
        self.encode_slice(item, dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec(delimiters: &[&[u8]]) -> Delimited {
        delimiters
            .iter()
            .fold(Delimited::builder(), |b, d| b.delimiter(d))
            .build()
            .unwrap()
    }

    /// Feeds `reads` one after another, then ends the stream.
    fn decode_reads(codec: &mut Delimited, reads: &[&[u8]]) -> Vec<Result<Bytes, String>> {
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for read in reads {
            buf.extend_from_slice(read);
            loop {
                match codec.decode(&mut buf) {
                    Ok(Some(f)) => out.push(Ok(f)),
                    Ok(None) => break,
                    Err(e) => out.push(Err(e.to_string())),
                }
            }
        }
        loop {
            match codec.decode_eof(&mut buf) {
                Ok(Some(f)) => out.push(Ok(f)),
                Ok(None) => break,
                Err(e) => out.push(Err(e.to_string())),
            }
        }
        out
    }

    fn frames(list: &[&str]) -> Vec<Result<Bytes, String>> {
        list.iter()
            .map(|s| Ok(Bytes::from(s.to_string())))
            .collect()
    }

    #[test]
    fn search_kind_fits_the_set() {
        assert!(matches!(
            codec(&[b"\n"]).search,
            Search::Bytes(ByteSet::One(b'\n'))
        ));
        assert!(matches!(
            codec(&[b"\n", b";"]).search,
            Search::Bytes(ByteSet::Two(..))
        ));
        assert!(matches!(
            codec(&[b"a", b"b", b"c", b"d"]).search,
            Search::Bytes(ByteSet::Many(_))
        ));
        assert!(matches!(codec(&[b"\r\n"]).search, Search::One(_)));
        assert!(matches!(
            codec(&[b"\r\n", b"\r"]).search,
            Search::Set(ByteSet::One(b'\r'))
        ));
        assert!(matches!(
            codec(&[b"\r\n", b"\n"]).search,
            Search::Set(ByteSet::Two(..))
        ));
    }

    #[test]
    fn duplicates_are_merged() {
        let c = codec(&[b"\n", b"\n", b";"]);
        assert_eq!(c.delimiters().collect::<Vec<_>>(), [&b"\n"[..], &b";"[..]]);
    }

    #[test]
    fn crlf_split_between_reads() {
        let mut c = codec(&[b"\r\n"]);
        assert_eq!(
            decode_reads(&mut c, &[b"ab\r", b"\ncd\r", b"\n"]),
            frames(&["ab", "cd"])
        );
    }

    #[test]
    fn prefix_delimiter_waits_for_the_next_byte() {
        // "\r" alone is a delimiter, but "\r\n" may still be arriving.
        let mut c = codec(&[b"\r\n", b"\r"]);
        let mut buf = BytesMut::from(&b"ab\r"[..]);
        assert_eq!(c.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"\n");
        assert_eq!(c.decode(&mut buf).unwrap().unwrap(), "ab");
        assert!(buf.is_empty());
        // At the end of the stream, "\r" is the delimiter.
        buf.extend_from_slice(b"cd\r");
        assert_eq!(c.decode(&mut buf).unwrap(), None);
        assert_eq!(c.decode_eof(&mut buf).unwrap().unwrap(), "cd");
        assert_eq!(c.decode_eof(&mut buf).unwrap(), None);
    }

    #[test]
    fn earlier_delimiter_still_arriving_wins() {
        // "c" is complete, but "abcd" started earlier and may complete.
        let mut c = codec(&[b"abcd", b"c"]);
        assert_eq!(decode_reads(&mut c, &[b"xabc", b"d"]), frames(&["x"]));
        let mut c = codec(&[b"abcd", b"c"]);
        assert_eq!(
            decode_reads(&mut c, &[b"xabc", b"e"]),
            frames(&["xab", "e"])
        );
        let mut c = codec(&[b"abcd", b"c"]);
        assert_eq!(decode_reads(&mut c, &[b"xabc"]), frames(&["xab"]));
    }

    #[test]
    fn oversize_lower_bound_keeps_a_possible_delimiter_start() {
        let mut c = codec(&[b"--"]).with_max_frame_len(3);
        let mut buf = BytesMut::from(&b"abc-"[..]);
        assert_eq!(c.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"x");
        let err = c.decode(&mut buf).unwrap_err();
        assert_eq!(err.to_string(), "frame of 4 bytes exceeds the limit of 3");
        assert_eq!(&buf[..], b"x");
        buf.extend_from_slice(b"-");
        assert_eq!(c.decode(&mut buf).unwrap(), None);
        assert_eq!(&buf[..], b"-");
        buf.extend_from_slice(b"-ok--");
        assert_eq!(c.decode(&mut buf).unwrap().unwrap(), "ok");
    }

    #[test]
    fn encoder_refusals() {
        let c = codec(&[b"\n", b"\r\n"]);
        let mut dst = BytesMut::from(&b"keep"[..]);
        assert!(matches!(
            c.encode_slice(b"a\r", &mut dst),
            Err(Error::Unencodable { .. })
        ));
        assert!(matches!(
            c.encode_slice(b"a\nb", &mut dst),
            Err(Error::Unencodable { .. })
        ));
        assert_eq!(&dst[..], b"keep");
        let c = codec(&[b"\r\n", b"\n"]);
        c.encode_slice(b"a\r", &mut dst).unwrap();
        assert_eq!(&dst[..], b"keepa\r\r\n");
        // "aa": a payload ending in "a" would end one byte early.
        let c = codec(&[b"aa"]);
        assert!(c.encode_slice(b"xa", &mut BytesMut::new()).is_err());
        assert!(c.encode_slice(b"ax", &mut BytesMut::new()).is_ok());
    }

    #[test]
    fn keep_delimiter_frames() {
        let mut c = Delimited::builder()
            .delimiter(b"\r\n")
            .delimiter(b"\n")
            .keep_delimiter(true)
            .max_frame_len(2)
            .build()
            .unwrap();
        assert_eq!(
            decode_reads(&mut c, &[b"a\r\nb\nc\r\r\nz"]),
            frames(&["a\r\n", "b\n", "c\r\r\n", "z"])
        );
        let mut dst = BytesMut::new();
        c.encode_slice(b"ab\r\n", &mut dst).unwrap();
        c.encode_slice(b"b\n", &mut dst).unwrap();
        assert!(c.encode_slice(b"abc\n", &mut dst).is_err());
        assert!(c.encode_slice(b"a\nb\n", &mut dst).is_err());
        assert!(c.encode_slice(b"ab", &mut dst).is_err());
        assert_eq!(&dst[..], b"ab\r\nb\n");
    }
}
