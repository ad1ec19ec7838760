//! The one error type of every codec, and the error of every builder.
//!
//! Both are `no_std` and allocation-free: the text of a refusal or of a bad
//! setting is formatted into a [`Reason`], a short inline string, so that a
//! firmware build without an allocator reports the same messages as a server.

use core::fmt;
#[cfg(feature = "std")]
use std::io;

/// What went wrong while decoding or encoding a frame.
///
/// Every codec in this crate uses this one type, so code that switches codecs
/// (see [`AnyCodec`](crate::AnyCodec)) handles errors in one place.
///
/// # Which errors leave the stream usable
///
/// Only [`Error::CorruptHeader`] and [`Error::Io`] end a stream. After every
/// other decoding error the codec has already skipped (or is skipping) the bad
/// frame, and the next call to `decode` carries on with the frame after it.
/// Encoding errors never write anything to the destination buffer.
///
/// # Examples
///
/// ```
/// use framewise::{Error, LengthPrefixed};
/// use bytes::BytesMut;
/// use tokio_util::codec::Decoder;
///
/// let mut codec = LengthPrefixed::builder().max_frame_len(8).build()?;
/// let mut buf = BytesMut::from(&b"\x00\x00\x00\x10"[..]);
/// let err = codec.decode(&mut buf).unwrap_err();
/// assert!(matches!(err, Error::FrameTooLong { len: 20, max: 8 }));
/// assert_eq!(err.to_string(), "frame of 20 bytes exceeds the limit of 8");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A frame is longer than the codec's limit.
    ///
    /// From a decoder: reported once per oversized frame, which is then skipped
    /// (for length framing, the announced bytes are discarded as they arrive;
    /// for delimiters and COBS, everything up to the next delimiter). From an
    /// encoder: the item was refused and nothing was written.
    FrameTooLong {
        /// The frame's length in bytes (for a frame without a delimiter yet,
        /// the bytes seen so far).
        len: u64,
        /// The limit in bytes.
        max: u64,
    },
    /// The stream ended in the middle of a frame.
    Truncated {
        /// How many bytes of the unfinished frame were buffered.
        buffered: usize,
    },
    /// The length header cannot be decoded: the framing is lost.
    ///
    /// This is the one decoding error a codec cannot recover from, because it
    /// no longer knows where the next frame starts. The codec keeps returning
    /// this error on every later call.
    CorruptHeader {
        /// What is wrong with the header.
        reason: &'static str,
    },
    /// A `Lines` line is not valid UTF-8; the line was skipped.
    InvalidUtf8 {
        /// The length of the skipped line in bytes.
        len: usize,
        /// Offset in the line of the first byte that is not valid UTF-8.
        valid_up_to: usize,
    },
    /// A COBS frame is not a valid encoding; the frame was skipped.
    InvalidCobs {
        /// Offset in the encoded frame of the offending byte.
        offset: usize,
    },
    /// A byte-stuffed frame ([`Slip`](crate::Slip),
    /// [`Stuffed`](crate::Stuffed)) holds an escape byte followed by a byte
    /// that cannot follow it; the frame was skipped.
    InvalidEscape {
        /// Offset in the stuffed frame (on the wire, after its opening
        /// delimiter) of the byte after the escape byte.
        offset: usize,
    },
    /// A frame's checksum trailer does not match its data
    /// ([`Crc`](crate::Crc)); the frame was skipped.
    ChecksumMismatch {
        /// The checksum of the frame's data, as computed by the receiver.
        expected: u64,
        /// The checksum the frame carries in its trailer.
        actual: u64,
    },
    /// A frame is too short to be valid (a [`Crc`](crate::Crc) frame
    /// shorter than its trailer); the frame was skipped.
    FrameTooShort {
        /// The frame's length in bytes.
        len: usize,
        /// The fewest bytes a valid frame has.
        min: usize,
    },
    /// The encoder was given a payload it cannot frame; nothing was written.
    ///
    /// For example a payload that contains the delimiter, a `FixedLength`
    /// item of the wrong size, or a length-prefixed frame that does not hold
    /// its own header.
    Unencodable {
        /// Why the payload cannot be framed.
        reason: Reason,
    },
    /// The codec's configuration can decode but not encode.
    ///
    /// A length layout whose decoder throws away bytes other than the length
    /// field cannot rebuild them, so encoding with it would produce bytes the
    /// same configuration cannot decode (tokio-util silently does that).
    EncodeUnsupported {
        /// Why this configuration has no encoder.
        reason: &'static str,
    },
    /// The caller's output slice is too short for the encoded frame; nothing
    /// was written.
    ///
    /// Only the slice encoders ([`Encode::encode_to_slice`](crate::Encode::encode_to_slice))
    /// report this: the owned-buffer adapters grow their buffer instead.
    BufferTooSmall {
        /// Bytes the encoded frame takes.
        needed: usize,
        /// Bytes the slice had.
        available: usize,
    },
    /// An I/O error from the underlying reader, writer or socket.
    #[cfg(feature = "std")]
    Io(io::Error),
}

impl Error {
    /// Whether the stream can still be decoded after this error.
    ///
    /// `false` for [`Error::CorruptHeader`] and [`Error::Io`]; `true` for every
    /// error that only concerns one frame.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = framewise::Error::FrameTooLong { len: 10, max: 4 };
    /// assert!(err.is_recoverable());
    /// ```
    pub fn is_recoverable(&self) -> bool {
        match self {
            Error::CorruptHeader { .. } => false,
            #[cfg(feature = "std")]
            Error::Io(_) => false,
            _ => true,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::FrameTooLong { len, max } => {
                write!(f, "frame of {len} bytes exceeds the limit of {max}")
            }
            Error::Truncated { buffered } => write!(
                f,
                "stream ended in the middle of a frame, with {buffered} bytes of it buffered"
            ),
            Error::CorruptHeader { reason } => write!(f, "corrupt length header: {reason}"),
            Error::InvalidUtf8 { len, valid_up_to } => write!(
                f,
                "line of {len} bytes is not valid utf-8 (invalid byte at offset {valid_up_to})"
            ),
            Error::InvalidCobs { offset } => {
                write!(f, "invalid cobs encoding at offset {offset} of the frame")
            }
            Error::InvalidEscape { offset } => {
                write!(f, "invalid escape sequence at offset {offset} of the frame")
            }
            Error::ChecksumMismatch { expected, actual } => write!(
                f,
                "checksum mismatch: the data gives {expected:#x}, the frame carries {actual:#x}"
            ),
            Error::FrameTooShort { len, min } => write!(
                f,
                "frame of {len} bytes is shorter than the minimum of {min}"
            ),
            Error::Unencodable { reason } => write!(f, "cannot encode frame: {reason}"),
            Error::EncodeUnsupported { reason } => {
                write!(f, "this codec configuration cannot encode: {reason}")
            }
            Error::BufferTooSmall { needed, available } => write!(
                f,
                "output buffer of {available} bytes is too small for a frame of {needed}"
            ),
            #[cfg(feature = "std")]
            Error::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            #[cfg(feature = "std")]
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(feature = "std")]
impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

#[cfg(feature = "std")]
impl From<Error> for io::Error {
    /// An [`Error::Io`] gives back the original error. An encoder's refusal
    /// of the caller's item ([`Error::Unencodable`],
    /// [`Error::EncodeUnsupported`], [`Error::BufferTooSmall`]) becomes
    /// `InvalidInput`, as tokio-util's do: the item is what is wrong.
    /// [`Error::Truncated`] becomes `UnexpectedEof`, and every other error
    /// (bad bytes from the peer) `InvalidData`; [`Error::FrameTooLong`], which
    /// both sides report, counts as bad data. The framewise error is the
    /// source of the `io::Error`.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{Error, Reason};
    /// use std::io::ErrorKind;
    ///
    /// let refusal = Error::Unencodable { reason: Reason::from("a line holds a \\n") };
    /// assert_eq!(std::io::Error::from(refusal).kind(), ErrorKind::InvalidInput);
    /// let bad = Error::InvalidCobs { offset: 3 };
    /// assert_eq!(std::io::Error::from(bad).kind(), ErrorKind::InvalidData);
    /// ```
    fn from(e: Error) -> Self {
        let kind = match e {
            Error::Io(e) => return e,
            Error::Truncated { .. } => io::ErrorKind::UnexpectedEof,
            Error::Unencodable { .. }
            | Error::EncodeUnsupported { .. }
            | Error::BufferTooSmall { .. } => io::ErrorKind::InvalidInput,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, e)
    }
}

/// A codec configuration that cannot work, from a builder or a codec spec.
///
/// Builders never panic on an impossible combination: they return this.
///
/// # Examples
///
/// ```
/// use framewise::LengthPrefixed;
///
/// // A limit of 2 bytes cannot hold the 4-byte header of any frame.
/// let err = LengthPrefixed::builder().max_frame_len(2).build().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "invalid codec setting `max_frame_len`: a limit of 2 bytes cannot hold the 4-byte header"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "inline text instead of an allocation; a ConfigError is made once, by a builder"
)]
pub enum ConfigError {
    /// A setting has a value the codec cannot work with.
    Invalid {
        /// The setting, as named by the builder method (`"strip"`, `"delimiter"`).
        setting: &'static str,
        /// Why the value does not work.
        reason: SettingReason,
    },
    /// A codec spec string (see `AnyCodec`) is not understood.
    Spec {
        /// The spec as given (its first 240 bytes).
        spec: SettingReason,
        /// What is wrong with it.
        reason: SettingReason,
    },
}

impl ConfigError {
    pub(crate) fn invalid(setting: &'static str, reason: impl Into<SettingReason>) -> Self {
        ConfigError::Invalid {
            setting,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Invalid { setting, reason } => {
                write!(f, "invalid codec setting `{setting}`: {reason}")
            }
            ConfigError::Spec { spec, reason } => {
                write!(f, "invalid codec spec {spec:?}: {reason}; {ACCEPTED}")
            }
        }
    }
}

impl core::error::Error for ConfigError {}

/// What a codec spec may say: the end of every [`ConfigError::Spec`] message.
pub(crate) const ACCEPTED: &str = "expected one of: lines, lines-crlf, delim:<bytes> (escapes \\n \\r \\t \\0 \\\\ \\xNN), \
length, length:u8|u16|u24|u32|u64 with an optional le or be suffix, length:varint, length:varint4, \
fixed:<n>, cobs, raw, slip, slip:lead, hdlc, dle, netstring, octets, hexlen or hexlen:<1-16> (hex digits, \
default 4) with an optional :upper suffix; each optionally followed by ,crc=<crc8|crc16-xmodem|\
crc16-ccitt-false|crc16-modbus|crc16-arc|crc16-kermit|crc16-ibm-sdlc|crc32|crc32c> with an optional \
:be or :le suffix (not after lines or delim) and by ,max=<n> (n in bytes, or with a k or m suffix for \
KiB or MiB; with crc=, the trailer counts)";

/// A short message held inline: the text of a refusal or of a bad setting.
///
/// `N` is the capacity in bytes: [`Error`] holds a `Reason` (104 bytes, so
/// an `Error` stays under 128 bytes on every hot path) and [`ConfigError`]
/// a `Reason<240>` (settings can quote delimiters, and builders are not hot).
///
/// Errors must not allocate (the core runs on microcontrollers without an
/// allocator), yet their messages carry numbers ("a limit of 2 bytes cannot
/// hold the 4-byte header"). A `Reason` formats into a fixed buffer of
/// [`Reason::CAPACITY`] bytes; a longer text is cut at a character boundary
/// and ends in `...`. It derefs to `str` and compares equal to string slices.
///
/// # Examples
///
/// ```
/// use framewise::Reason;
///
/// let r: Reason = Reason::format(format_args!("{} bytes", 42));
/// assert_eq!(r, "42 bytes");
/// assert_eq!(r.len(), 8);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reason<const N: usize = 104> {
    len: u8,
    buf: [u8; N],
}

impl<const N: usize> Reason<N> {
    /// The longest text kept, in bytes (at most 255).
    pub const CAPACITY: usize = if N > 255 { 255 } else { N };

    /// Formats `args` into a new reason, cut to [`Reason::CAPACITY`] bytes.
    pub fn format(args: fmt::Arguments<'_>) -> Self {
        let mut r = Reason {
            len: 0,
            buf: [0; N],
        };
        if let Some(s) = args.as_str() {
            r.push(s);
        } else {
            // `write_str` never fails: it cuts instead.
            let _ = fmt::write(&mut r, args);
        }
        r
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only whole characters are ever pushed, so the prefix is UTF-8; the
        // fallback is unreachable but costs nothing to keep panic-free.
        core::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or("")
    }

    /// Appends as much of `s` as fits, cutting at a character boundary and
    /// marking the cut with `...`.
    fn push(&mut self, s: &str) {
        let len = usize::from(self.len);
        let room = Self::CAPACITY - len;
        if s.len() <= room {
            self.buf[len..len + s.len()].copy_from_slice(s.as_bytes());
            self.len += s.len() as u8;
            return;
        }
        if room < 3 {
            return;
        }
        let mut cut = room - 3;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        self.buf[len..len + cut].copy_from_slice(&s.as_bytes()[..cut]);
        self.buf[len + cut..len + cut + 3].copy_from_slice(b"...");
        self.len = (len + cut + 3) as u8;
    }
}

impl<const N: usize> fmt::Write for Reason<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s);
        Ok(())
    }
}

impl<const N: usize> core::ops::Deref for Reason<N> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> fmt::Display for Reason<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> fmt::Debug for Reason<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> From<&str> for Reason<N> {
    fn from(s: &str) -> Self {
        let mut r = Self::format(format_args!(""));
        r.push(s);
        r
    }
}

#[cfg(feature = "std")]
impl<const N: usize> From<String> for Reason<N> {
    fn from(s: String) -> Self {
        Self::from(s.as_str())
    }
}

impl<const N: usize> PartialEq<str> for Reason<N> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl<const N: usize> PartialEq<&str> for Reason<N> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Formats a [`Reason`] (of the capacity the context asks for) like
/// `format!` formats a `String`.
macro_rules! reason {
    ($($arg:tt)*) => {
        $crate::error::Reason::format(format_args!($($arg)*))
    };
}

/// The text of a [`ConfigError`].
pub type SettingReason = Reason<240>;
pub(crate) use reason;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_stays_small() {
        // Every decode returns a Result holding an Error: keep it in registers'
        // reach and under clippy's default large-error threshold.
        assert!(
            core::mem::size_of::<Error>() <= 128,
            "{}",
            core::mem::size_of::<Error>()
        );
    }

    #[test]
    fn reason_cuts_long_text_at_a_char_boundary() {
        let long = "é".repeat(200);
        let r = SettingReason::from(long.as_str());
        assert!(r.len() <= SettingReason::CAPACITY);
        assert!(r.ends_with("..."));
        assert!(long.starts_with(r.trim_end_matches('.')));
        let r: Reason = reason!("{}-{}", "a".repeat(80), "b".repeat(100));
        assert_eq!(r.len(), Reason::<104>::CAPACITY);
        assert!(r.starts_with(&"a".repeat(80)));
        assert!(r.ends_with("b..."));
    }
}
