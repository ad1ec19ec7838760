//! The one error type of every codec, and the error of every builder.

use std::fmt;
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
    /// The encoder was given a payload it cannot frame; nothing was written.
    ///
    /// For example a payload that contains the delimiter, a `FixedLength`
    /// item of the wrong size, or a length-prefixed frame that does not hold
    /// its own header.
    Unencodable {
        /// Why the payload cannot be framed.
        reason: String,
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
    /// An I/O error from the underlying reader, writer or socket.
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
        !matches!(self, Error::CorruptHeader { .. } | Error::Io(_))
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
            Error::Unencodable { reason } => write!(f, "cannot encode frame: {reason}"),
            Error::EncodeUnsupported { reason } => {
                write!(f, "this codec configuration cannot encode: {reason}")
            }
            Error::Io(e) => write!(f, "i/o error: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<Error> for io::Error {
    /// An [`Error::Io`] gives back the original error; every other error
    /// becomes `InvalidData` (or `UnexpectedEof` for [`Error::Truncated`]),
    /// with the framewise error as its source.
    fn from(e: Error) -> Self {
        match e {
            Error::Io(e) => e,
            Error::Truncated { .. } => io::Error::new(io::ErrorKind::UnexpectedEof, e),
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
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
pub enum ConfigError {
    /// A setting has a value the codec cannot work with.
    Invalid {
        /// The setting, as named by the builder method (`"strip"`, `"delimiter"`).
        setting: &'static str,
        /// Why the value does not work.
        reason: String,
    },
    /// A codec spec string (see [`AnyCodec`](crate::AnyCodec)) is not understood.
    Spec {
        /// The spec as given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(setting: &'static str, reason: impl Into<String>) -> Self {
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
                write!(f, "invalid codec spec {spec:?}: {reason}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}
