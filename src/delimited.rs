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

use memchr::arch::all::packedpair;

use crate::error::{ConfigError, Error, reason};
use crate::framing::{Decode, Decoded, Encode, Output};

/// The default limit of a delimited frame's payload, delimiter excluded: 64 KiB.
pub(crate) const DEFAULT_MAX_FRAME_LEN: usize = 64 * 1024;

/// The most delimiters one codec holds (duplicates count once).
const MAX_DELIMITERS: usize = 8;

/// The most bytes the delimiters of one codec take together.
const MAX_DELIMITER_BYTES: usize = 64;

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
    /// In the order given, without duplicates: the first one is the one the
    /// encoder writes.
    delimiters: Store,
    /// The first delimiter that could not be taken, reported by `build`.
    refused: Option<Refused>,
    keep_delimiter: bool,
    max_frame_len: usize,
}

impl Default for DelimitedBuilder {
    fn default() -> Self {
        DelimitedBuilder {
            delimiters: Store::default(),
            refused: None,
            keep_delimiter: false,
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
        }
    }
}

/// Why [`DelimitedBuilder::delimiter`] could not take a delimiter: kept
/// small, and turned into a [`ConfigError`] by `build`.
#[derive(Debug, Clone, Copy)]
enum Refused {
    Empty,
    TooMany,
    TooManyBytes,
}

/// Up to [`MAX_DELIMITERS`] delimiters, [`MAX_DELIMITER_BYTES`] bytes in all,
/// held inline one after another.
#[derive(Clone, Copy)]
struct Store {
    bytes: [u8; MAX_DELIMITER_BYTES],
    /// Delimiter `i` is `bytes[bounds[i]..bounds[i + 1]]`.
    bounds: [u8; MAX_DELIMITERS + 1],
    count: u8,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            bytes: [0; MAX_DELIMITER_BYTES],
            bounds: [0; MAX_DELIMITERS + 1],
            count: 0,
        }
    }
}

impl core::fmt::Debug for Store {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|d| d.escape_ascii()))
            .finish()
    }
}

impl Store {
    #[inline]
    fn len(&self) -> usize {
        usize::from(self.count)
    }

    #[inline]
    fn get(&self, i: usize) -> &[u8] {
        &self.bytes[usize::from(self.bounds[i])..usize::from(self.bounds[i + 1])]
    }

    #[inline]
    fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.bounds[..=self.len()]
            .windows(2)
            .map(|w| &self.bytes[usize::from(w[0])..usize::from(w[1])])
    }

    /// Appends `d` (non-empty, not already held), if there is room.
    fn push(&mut self, d: &[u8]) -> Result<(), Refused> {
        let n = self.len();
        if n == MAX_DELIMITERS {
            return Err(Refused::TooMany);
        }
        let at = usize::from(self.bounds[n]);
        if d.len() > MAX_DELIMITER_BYTES - at {
            return Err(Refused::TooManyBytes);
        }
        self.bytes[at..at + d.len()].copy_from_slice(d);
        // At most MAX_DELIMITER_BYTES, which fits a u8.
        self.bounds[n + 1] = (at + d.len()) as u8;
        self.count += 1;
        Ok(())
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
    /// A codec holds its delimiters inline, without allocating: at most
    /// [`Delimited::MAX_DELIMITERS`] different ones, of
    /// [`Delimited::MAX_DELIMITER_BYTES`] bytes together. [`build`](Self::build)
    /// refuses more.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec = framewise::Delimited::builder().delimiter(b"\0").build()?;
    /// assert_eq!(codec.delimiters().next(), Some(&b"\0"[..]));
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn delimiter(mut self, delimiter: impl AsRef<[u8]>) -> Self {
        let d = delimiter.as_ref();
        if self.refused.is_some() || self.delimiters.iter().any(|g| g == d) {
            return self;
        }
        let taken = if d.is_empty() {
            Err(Refused::Empty)
        } else {
            self.delimiters.push(d)
        };
        self.refused = taken.err();
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
    /// delimiter first instead; the order does not change decoding. Also when
    /// more than [`Delimited::MAX_DELIMITERS`] different delimiters, or more
    /// than [`Delimited::MAX_DELIMITER_BYTES`] bytes of them, were given.
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
        match self.refused {
            Some(Refused::Empty) => {
                return Err(ConfigError::invalid(
                    "delimiter",
                    "a delimiter cannot be empty: it would match everywhere",
                ));
            }
            Some(Refused::TooMany) => {
                return Err(ConfigError::invalid(
                    "delimiter",
                    reason!("a codec takes at most {MAX_DELIMITERS} different delimiters"),
                ));
            }
            Some(Refused::TooManyBytes) => {
                return Err(ConfigError::invalid(
                    "delimiter",
                    reason!(
                        "the delimiters of a codec take at most {MAX_DELIMITER_BYTES} bytes \
                         together"
                    ),
                ));
            }
            None => {}
        }
        let given = &self.delimiters;
        if given.len() == 0 {
            return Err(ConfigError::invalid(
                "delimiter",
                "at least one delimiter is needed",
            ));
        }
        let first = given.get(0);
        if let Some(longer) = given.iter().skip(1).find(|d| d.starts_with(first)) {
            return Err(ConfigError::invalid(
                "delimiter",
                reason!(
                    "the first delimiter \"{}\", which the encoder writes, is the start of the \
                     longer delimiter \"{}\", so an encoded frame could be read as ending at \
                     the longer one; give the longer delimiter first",
                    first.escape_ascii(),
                    longer.escape_ascii()
                ),
            ));
        }
        // Longest first; equal lengths keep the order given (they never match
        // at the same position anyway).
        let mut order = [0u8; MAX_DELIMITERS];
        for (i, slot) in order.iter_mut().enumerate().take(given.len()) {
            *slot = i as u8;
        }
        let len_of = |i: u8| given.get(usize::from(i)).len();
        for i in 1..given.len() {
            // Insertion sort, stable: a delimiter moves only past shorter ones.
            let mut j = i;
            while j > 0 && len_of(order[j - 1]) < len_of(order[j]) {
                order.swap(j - 1, j);
                j -= 1;
            }
        }
        let mut longest_first = Store::default();
        for &i in &order[..given.len()] {
            // The same delimiters again: they fit.
            let _ = longest_first.push(given.get(usize::from(i)));
        }
        let longest = longest_first.get(0).len();
        let search = if longest == 1 {
            let mut bytes = [0u8; MAX_DELIMITERS];
            for (b, d) in bytes.iter_mut().zip(given.iter()) {
                *b = d[0];
            }
            Search::Bytes(ByteSet::new(&bytes[..given.len()]))
        } else if let (1, Some(finder)) = (given.len(), packedpair::Finder::new(first)) {
            Search::One(finder)
        } else {
            let mut firsts = [0u8; MAX_DELIMITERS];
            let mut n = 0;
            for d in given.iter() {
                if !firsts[..n].contains(&d[0]) {
                    firsts[n] = d[0];
                    n += 1;
                }
            }
            firsts[..n].sort_unstable();
            Search::Set(ByteSet::new(&firsts[..n]))
        };
        Ok(Delimited {
            given: self.delimiters,
            longest_first,
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
/// - At the end of the stream (`decode_eof`, [`Decode::decode_slice_eof`]), the bytes after the
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
// `repr(C)`: the fields every decode call reads come first, in one cache
// line, ahead of the delimiter bytes.
#[repr(C)]
pub struct Delimited {
    /// How far the read buffer has been searched without finding the end of
    /// the frame: no delimiter starts before it. The next search starts here,
    /// so bytes arriving one at a time are each looked at once (tokio-util's
    /// `next_index`). Zero after a frame is taken or bytes are dropped.
    next_index: usize,
    max_frame_len: usize,
    /// Length of the longest delimiter: a delimiter split across reads starts
    /// at most this many bytes less one before the end of the buffer.
    longest: usize,
    search: Search,
    keep_delimiter: bool,
    /// Whether the frame at the front of the buffer is an oversized one that
    /// has been reported: its bytes are dropped as they arrive, up to and
    /// including its delimiter, so that it is never buffered whole.
    discarding: bool,
    /// The delimiters in the order given: the first is written by the encoder.
    given: Store,
    /// The same delimiters, longest first, so that the first one found to
    /// match at a position is the longest there (ties go to the longest).
    longest_first: Store,
}

/// What [`Delimited::decode_quick`] found.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Quick {
    /// A frame at the front: `src[..len]`, and `consumed` bytes with its
    /// delimiter.
    Frame { len: usize, consumed: usize },
    /// No frame yet, nothing to drop.
    Incomplete,
    /// Not the common case: ask [`Decode::decode_slice`].
    Other,
}

/// How the decoder finds delimiters: the fastest way for the set given.
#[derive(Debug, Clone)]
enum Search {
    /// Every delimiter is a single byte: memchr finds the first of them.
    Bytes(ByteSet),
    /// One delimiter of two bytes or more: memchr finds its rarest byte, and
    /// the positions where a second byte of it matches too are checked
    /// against the whole delimiter. Holds two offsets into the delimiter and
    /// their bytes, no copy of it.
    One(packedpair::Finder),
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
    /// More than three: memchr has no routine for that, so a lookup per byte
    /// in a 256-bit table (what tokio-util's `AnyDelimiterCodec` does for
    /// every set).
    Many([u64; 4]),
}

impl ByteSet {
    /// `bytes` is non-empty and has no duplicates.
    fn new(bytes: &[u8]) -> Self {
        match *bytes {
            [a] => ByteSet::One(a),
            [a, b] => ByteSet::Two(a, b),
            [a, b, c] => ByteSet::Three(a, b, c),
            _ => {
                let mut table = [0u64; 4];
                for &b in bytes {
                    table[usize::from(b >> 6)] |= 1 << (b & 63);
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
            ByteSet::Many(ref table) => haystack
                .iter()
                .position(|&b| table[usize::from(b >> 6)] & (1 << (b & 63)) != 0),
        }
    }
}

impl Delimited {
    /// The most different delimiters one codec takes: 8.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::Delimited;
    ///
    /// let nine = (b'a'..=b'i').fold(Delimited::builder(), |b, d| b.delimiter([d]));
    /// let err = nine.build().unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "invalid codec setting `delimiter`: a codec takes at most 8 different delimiters"
    /// );
    /// ```
    pub const MAX_DELIMITERS: usize = MAX_DELIMITERS;

    /// The most bytes the delimiters of one codec take together: 64.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::Delimited;
    ///
    /// assert!(Delimited::new([b'-'; 64]).is_ok());
    /// assert!(Delimited::new([b'-'; 65]).is_err());
    /// ```
    pub const MAX_DELIMITER_BYTES: usize = MAX_DELIMITER_BYTES;

    /// Frames ending at `delimiter` (any non-empty byte string), stripped from
    /// the decoded frames, with a limit of 64 KiB.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] if `delimiter` is empty or longer than
    /// [`MAX_DELIMITER_BYTES`](Self::MAX_DELIMITER_BYTES).
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
        self.given.iter()
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
            Search::One(pair) => {
                let needle = self.given.get(0);
                let mut pos = from;
                while let Some(i) = pair.find_prefilter(&buf[pos..]) {
                    let at = pos + i;
                    // The prefilter has checked two bytes of the delimiter,
                    // both in `buf`: all of a two-byte one.
                    if needle.len() == 2 || buf[at..].starts_with(needle) {
                        return Ok((at, needle.len()));
                    }
                    pos = at + 1;
                }
                // The last `len - 1` bytes may be the start of the delimiter.
                Err(buf.len().saturating_sub(self.longest - 1).max(from))
            }
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

    /// The common case of [`Decode::decode_slice`], inlined into the caller:
    /// single-byte delimiters, a frame within the limit, no oversized frame
    /// being skipped. It gives what `decode_general` gives, as a small value
    /// that stays in registers (a [`Decoded`] is as large as an [`Error`]),
    /// and [`Quick::Other`] for every other case, with nothing changed.
    #[inline]
    pub(crate) fn decode_quick(&mut self, src: &[u8]) -> Quick {
        if let Search::Bytes(set) = &self.search
            && !self.discarding
        {
            let from = self.next_index.min(src.len());
            match set.find(&src[from..]) {
                Some(i) if from + i <= self.max_frame_len => {
                    let start = from + i;
                    self.next_index = 0;
                    return Quick::Frame {
                        len: start + usize::from(self.keep_delimiter),
                        consumed: start + 1,
                    };
                }
                None if src.len() <= self.max_frame_len => {
                    self.next_index = src.len();
                    return Quick::Incomplete;
                }
                _ => {}
            }
        }
        Quick::Other
    }

    /// Every case of decoding: oversized frames, skipping an oversized frame
    /// as it arrives, the end of the stream.
    fn decode_general(&mut self, src: &[u8], eof: bool) -> Decoded {
        let mut skipped = 0;
        loop {
            let buf = &src[skipped..];
            // `min`: a caller who empties the buffer between calls gets a
            // rescan, not a panic.
            let found = self.find(buf, self.next_index.min(buf.len()), eof);
            if self.discarding {
                match found {
                    Ok((start, len)) => {
                        // The end of the oversized frame: drop it and go on
                        // with the frames behind it.
                        skipped += start + len;
                        self.discarding = false;
                        self.next_index = 0;
                        continue;
                    }
                    Err(_) if eof => {
                        // Already reported when it went over the limit.
                        self.discarding = false;
                        self.next_index = 0;
                        return Decoded::Incomplete {
                            consumed: src.len(),
                        };
                    }
                    Err(resume) => {
                        // Nothing before `resume` can be a delimiter.
                        self.next_index = 0;
                        return Decoded::Incomplete {
                            consumed: skipped + resume,
                        };
                    }
                }
            }
            let answer = match found {
                Ok((start, len)) => {
                    self.next_index = 0;
                    if start > self.max_frame_len {
                        Decoded::Error {
                            consumed: start + len,
                            error: self.too_long(start),
                        }
                    } else {
                        Decoded::Frame {
                            start: 0,
                            len: if self.keep_delimiter {
                                start + len
                            } else {
                                start
                            },
                            consumed: start + len,
                        }
                    }
                }
                Err(_) if eof => {
                    self.next_index = 0;
                    if buf.is_empty() {
                        Decoded::Incomplete { consumed: 0 }
                    } else if buf.len() > self.max_frame_len {
                        Decoded::Error {
                            consumed: buf.len(),
                            error: self.too_long(buf.len()),
                        }
                    } else {
                        Decoded::Frame {
                            start: 0,
                            len: buf.len(),
                            consumed: buf.len(),
                        }
                    }
                }
                Err(resume) if resume > self.max_frame_len => {
                    self.next_index = 0;
                    self.discarding = true;
                    Decoded::Error {
                        consumed: resume,
                        error: self.too_long(resume),
                    }
                }
                Err(resume) => {
                    self.next_index = resume;
                    Decoded::Incomplete { consumed: 0 }
                }
            };
            return answer.after_skipping(skipped);
        }
    }

    /// The delimiter the encoder writes after each payload.
    #[inline]
    fn written(&self) -> &[u8] {
        self.given.get(0)
    }

    /// With the delimiter stripped: `payload` followed by the first delimiter
    /// must decode as `payload`, whatever bytes come after.
    fn check_payload(&self, payload: &[u8]) -> Result<(), Error> {
        if payload.len() > self.max_frame_len {
            return Err(self.too_long(payload.len()));
        }
        let found = match &self.search {
            // Single-byte delimiters: memchr alone, and no delimiter can run
            // from the payload into the one written after it.
            Search::Bytes(set) => match set.find(payload) {
                None => return Ok(()),
                Some(at) => Ok((at, 1)),
            },
            _ => self.find(payload, 0, true),
        };
        if let Ok((at, len)) = found {
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
        let written = self.written();
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

impl Decode for Delimited {
    /// The next frame, with its delimiter unless
    /// [`keep_delimiter(true)`](DelimitedBuilder::keep_delimiter).
    ///
    /// While an oversized frame is skipped, its bytes are consumed as they
    /// arrive ([`Decoded::Incomplete`] with `consumed` > 0). An oversized
    /// frame is [`Error::FrameTooLong`], once; the next call goes on with the
    /// frame after it.
    #[inline]
    fn decode_slice(&mut self, src: &[u8]) -> Decoded {
        match self.decode_quick(src) {
            Quick::Frame { len, consumed } => Decoded::Frame {
                start: 0,
                len,
                consumed,
            },
            Quick::Incomplete => Decoded::Incomplete { consumed: 0 },
            Quick::Other => self.decode_general(src, false),
        }
    }

    /// Like [`decode_slice`](Self::decode_slice), and then the bytes after
    /// the last delimiter are returned as a final frame (without a
    /// delimiter, even with `keep_delimiter(true)`); a delimiter that could
    /// still have grown into a longer one ends its frame.
    fn decode_slice_eof(&mut self, src: &[u8]) -> Decoded {
        self.decode_general(src, true)
    }
}

impl Encode for Delimited {
    /// The payload plus the first delimiter, or (with
    /// `keep_delimiter(true)`) the frame as it is; or the refusal.
    ///
    /// # Errors
    ///
    /// [`Error::FrameTooLong`] over the limit; [`Error::Unencodable`] for an
    /// item that would not decode back unchanged (see [`Delimited`]'s
    /// encoding rules).
    #[inline]
    fn encoded_len(&self, item: &[u8]) -> Result<usize, Error> {
        if self.keep_delimiter {
            self.check_frame(item)?;
            Ok(item.len())
        } else {
            self.check_payload(item)?;
            Ok(item.len() + self.written().len())
        }
    }

    #[inline]
    fn write_frame<O: Output + ?Sized>(&self, item: &[u8], _encoded_len: usize, out: &mut O) {
        out.push_slice(item);
        if !self.keep_delimiter {
            out.push_slice(self.written());
        }
    }
}

#[cfg(all(test, feature = "tokio"))]
mod tests {
    use super::*;
    use bytes::{Bytes, BytesMut};
    use tokio_util::codec::Decoder;

    impl Delimited {
        /// Checks an item and writes it, as the `Encoder` impls do.
        fn encode_slice(&self, item: &[u8], dst: &mut BytesMut) -> Result<(), Error> {
            crate::owned::encode(self, item, dst)
        }
    }

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
