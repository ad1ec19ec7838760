//! Fixed-length framing: every frame is exactly `n` bytes.
//!
//! There is no header and no delimiter: the frame boundaries are at every
//! multiple of `n` in the stream, so both peers must agree on `n` beforehand.
//!
//! ```text
//! n = 4:
//! +---- frame ----+---- frame ----+---- frame ----+
//! | 0x01 02 03 04 | 0x05 06 07 08 | 0x09 0A 0B 0C |
//! +---------------+---------------+---------------+
//! ```
//!
//! One lost or extra byte shifts every later frame: there is nothing in the
//! stream to resynchronise on. Use it for fixed-size records (sensor samples,
//! game ticks, the `time` protocol's 4-byte answer).

use crate::error::{ConfigError, Error, reason};
use crate::framing::{Decode, Decoded, EncodeParts, encode_by_parts};

/// Frames of exactly `n` bytes each, with no header or delimiter.
///
/// The decoder yields a frame as soon as `n` bytes are buffered, split from the
/// read buffer without copying. The encoder writes an item unchanged and
/// refuses any item that is not exactly `n` bytes long, so every item it
/// accepts decodes back to itself however the bytes are split into reads.
///
/// The frame length is also the limit: a decoder never buffers more than
/// `n - 1` bytes while it waits for a frame, and never reserves memory ahead.
///
/// ```text
/// +---- n bytes ----+---- n bytes ----+
/// |      frame      |      frame      |  ...
/// +-----------------+-----------------+
/// ```
///
/// # Examples
///
/// ```
/// use framewise::FixedLength;
/// use bytes::BytesMut;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut codec = FixedLength::new(4)?;
/// let mut buf = BytesMut::new();
/// codec.encode(&b"ping"[..], &mut buf)?;
/// codec.encode(&b"pong"[..], &mut buf)?;
/// assert_eq!(&buf[..], b"pingpong");
///
/// assert_eq!(codec.decode(&mut buf)?.unwrap(), "ping");
/// assert_eq!(codec.decode(&mut buf)?.unwrap(), "pong");
/// assert_eq!(codec.decode(&mut buf)?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The same with the framing core alone (`no_std`, no allocation): encode
/// into a stack buffer, find the frames in it.
///
/// ```
/// use framewise::{Decode, Decoded, Encode, FixedLength};
///
/// let mut codec = FixedLength::new(4)?;
/// let mut wire = [0u8; 10];
/// let n = codec.encode_to_slice(b"ping", &mut wire)?;
/// wire[n..n + 3].copy_from_slice(b"pon"); // and a partial frame
/// let received = &wire[..n + 3];
///
/// let Decoded::Frame { start, len, consumed } = codec.decode_slice(received) else {
///     panic!("a whole frame is there");
/// };
/// assert_eq!(&received[start..start + len], b"ping");
/// assert!(matches!(codec.decode_slice(&received[consumed..]), Decoded::Incomplete { consumed: 0 }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedLength {
    /// The length of every frame; never 0.
    len: usize,
}

impl FixedLength {
    /// A codec whose frames are all exactly `len` bytes.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Invalid`] if `len` is 0: a frame of no bytes could be
    /// decoded forever from an empty buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::FixedLength;
    ///
    /// let codec = FixedLength::new(16)?;
    /// assert_eq!(codec.frame_len(), 16);
    ///
    /// let err = FixedLength::new(0).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "invalid codec setting `len`: a fixed frame length must be at least 1 byte"
    /// );
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn new(len: usize) -> Result<Self, ConfigError> {
        if len == 0 {
            return Err(ConfigError::invalid(
                "len",
                "a fixed frame length must be at least 1 byte",
            ));
        }
        Ok(FixedLength { len })
    }

    /// The length of every frame, in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(framewise::FixedLength::new(3)?.frame_len(), 3);
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn frame_len(&self) -> usize {
        self.len
    }

    /// The largest frame this codec decodes or encodes: the frame length.
    ///
    /// Every codec in this crate has a limit; for `FixedLength` it is the
    /// frame length itself, so it is never exceeded and there is nothing to
    /// configure.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(framewise::FixedLength::new(8)?.max_frame_len(), 8);
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn max_frame_len(&self) -> usize {
        self.len
    }
}

impl Decode for FixedLength {
    /// The next `n` bytes as a frame, or [`Decoded::Incomplete`] while fewer
    /// are there.
    ///
    /// Never an error: every byte sequence is a valid stream of fixed-length
    /// frames.
    #[inline]
    fn decode_slice(&mut self, src: &[u8]) -> Decoded {
        if src.len() < self.len {
            return Decoded::Incomplete { consumed: 0 };
        }
        Decoded::Frame {
            start: 0,
            len: self.len,
            consumed: self.len,
        }
    }

    /// Like [`decode_slice`](Self::decode_slice), at the end of the stream:
    /// fewer than `n` bytes (but more than none) are [`Error::Truncated`], and
    /// all of them are consumed.
    fn decode_slice_eof(&mut self, src: &[u8]) -> Decoded {
        match self.decode_slice(src) {
            Decoded::Incomplete { .. } => Decoded::truncated(src.len()),
            frame => frame,
        }
    }
}

encode_by_parts! {
    impl Encode for FixedLength {
        /// `n`, for an item of exactly `n` bytes: it is written unchanged.
        ///
        /// # Errors
        ///
        /// [`Error::Unencodable`] if the item is not exactly `n` bytes long.
        fn encoded_len;
        /// `n`, for the payload `head ‖ tail` of exactly `n` bytes (a
        /// [`Crc`](crate::Crc) trailer inside a fixed-size record).
        fn encoded_len_parts;
    }
}

impl EncodeParts for FixedLength {
    #[inline]
    fn parts_len(&self, head: &[u8], tail: &[u8]) -> Result<usize, Error> {
        let len = head.len() + tail.len();
        if len != self.len {
            return Err(Error::Unencodable {
                reason: reason!(
                    "a fixed-length frame must be exactly {} bytes, got {len}",
                    self.len
                ),
            });
        }
        Ok(self.len)
    }
}

#[cfg(all(test, feature = "tokio"))]
mod tests {
    use super::*;
    use bytes::{Bytes, BytesMut};
    use tokio_util::codec::{Decoder, Encoder};

    #[test]
    fn zero_length_is_a_config_error() {
        assert!(matches!(
            FixedLength::new(0),
            Err(ConfigError::Invalid { setting: "len", .. })
        ));
    }

    #[test]
    fn waits_for_a_whole_frame() {
        let mut codec = FixedLength::new(3).unwrap();
        let mut buf = BytesMut::from(&b"ab"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        assert_eq!(buf.len(), 2);
        buf.extend_from_slice(b"cd");
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "abc");
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        assert_eq!(&buf[..], b"d");
    }

    #[test]
    fn eof_reports_a_partial_frame_once() {
        let mut codec = FixedLength::new(4).unwrap();
        let mut buf = BytesMut::from(&b"abcdef"[..]);
        assert_eq!(codec.decode_eof(&mut buf).unwrap().unwrap(), "abcd");
        let err = codec.decode_eof(&mut buf).unwrap_err();
        assert!(matches!(err, Error::Truncated { buffered: 2 }));
        assert!(buf.is_empty());
        assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
    }

    #[test]
    fn encoder_refuses_wrong_sizes() {
        let mut codec = FixedLength::new(2).unwrap();
        let mut buf = BytesMut::new();
        let err = codec.encode(&b"abc"[..], &mut buf).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot encode frame: a fixed-length frame must be exactly 2 bytes, got 3"
        );
        assert!(codec.encode(Bytes::from_static(b"a"), &mut buf).is_err());
        assert!(buf.is_empty());
        codec.encode(&b"ab"[..], &mut buf).unwrap();
        assert_eq!(&buf[..], b"ab");
    }
}
