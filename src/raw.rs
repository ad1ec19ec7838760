//! No framing at all: each decode returns whatever bytes are buffered.
//!
//! ```text
//! writes:   "hello"   "world"             "foo"
//! wire:     h e l l o w o r l d  . . .  f o o
//! reads:    [h e l l o w o][r l d]      [f o o]
//! frames:   "hellowo"      "rld"        "foo"
//! ```
//!
//! The frames are whatever the reads happened to return: two writes can come
//! out as one frame (sticky packets) and one write as two (split packets).
//! That is the problem every other codec in this crate solves, and `Raw`
//! exists to show it. It is also the right codec for datagrams (UDP), where
//! the transport already keeps each message whole: one datagram, one frame.

use crate::error::Error;
use crate::framing::{Decode, Decoded, EncodeParts, encode_by_parts, parts_len_within};

/// The default limit of a raw frame: 64 KiB.
///
/// It holds the largest UDP payload (65,507 bytes over IPv4, 65,527 over IPv6
/// without jumbograms), so with `UdpFramed` one datagram is always one frame.
pub(crate) const DEFAULT_MAX_FRAME_LEN: usize = 64 * 1024;

/// No framing: every decode returns everything buffered, as one frame.
///
/// `Raw` keeps the bytes and loses the boundaries: decoding gives back the
/// concatenation of everything written, cut wherever the reads were cut.
/// Only a single item delivered in a single read (or a single datagram)
/// comes back as itself; this is the sticky/split packet problem in codec form.
///
/// # Limit
///
/// A frame is at most [`max_frame_len`](Self::max_frame_len) bytes (default
/// 64 KiB), so one huge read never becomes one huge frame. Since `Raw` has no
/// frame boundaries to respect, a buffer longer than the limit is not an
/// error: it is returned in pieces of the limit's size, and every byte is
/// still delivered exactly once, in order. The encoder refuses payloads over
/// the limit, and empty payloads, which could not be decoded back.
///
/// # Examples
///
/// Two writes, one read, one frame:
///
/// ```
/// use framewise::Raw;
/// use bytes::BytesMut;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut codec = Raw::new();
/// let mut wire = BytesMut::new();
/// codec.encode(&b"hello"[..], &mut wire)?;
/// codec.encode(&b"world"[..], &mut wire)?;
///
/// assert_eq!(codec.decode(&mut wire)?.unwrap(), "helloworld");
/// assert_eq!(codec.decode(&mut wire)?, None);
/// # Ok::<(), framewise::Error>(())
/// ```
///
/// With the framing core alone (`no_std`): one received datagram is one
/// frame, all of it.
///
/// ```
/// use framewise::{Decode, Decoded, Raw};
///
/// let datagram = b"hello";
/// assert!(matches!(
///     Raw::new().decode_slice_eof(datagram),
///     Decoded::Frame { start: 0, len: 5, consumed: 5 }
/// ));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raw {
    /// The largest frame returned or accepted; at least 1, so that a
    /// non-empty buffer always makes progress.
    max_frame_len: usize,
}

impl Raw {
    /// A raw codec with the default 64 KiB limit.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(framewise::Raw::new().max_frame_len(), 64 * 1024);
    /// ```
    pub fn new() -> Self {
        Raw {
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
        }
    }

    /// The same codec with a limit of `max` bytes per frame.
    ///
    /// Decoded frames are at most `max` bytes (longer buffers are returned in
    /// pieces) and the encoder refuses payloads longer than `max`. A limit of
    /// 0 is taken as 1: a frame must hold at least one byte, or a non-empty
    /// buffer could never be drained.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::Raw;
    /// use bytes::BytesMut;
    /// use tokio_util::codec::Decoder;
    ///
    /// let mut codec = Raw::new().with_max_frame_len(4);
    /// let mut buf = BytesMut::from(&b"abcdefghij"[..]);
    /// assert_eq!(codec.decode(&mut buf)?.unwrap(), "abcd");
    /// assert_eq!(codec.decode(&mut buf)?.unwrap(), "efgh");
    /// assert_eq!(codec.decode(&mut buf)?.unwrap(), "ij");
    /// assert_eq!(codec.decode(&mut buf)?, None);
    /// # Ok::<(), framewise::Error>(())
    /// ```
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.max_frame_len = max.max(1);
        self
    }

    /// The largest frame this codec returns or accepts, in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::Raw;
    /// assert_eq!(Raw::new().with_max_frame_len(1500).max_frame_len(), 1500);
    /// ```
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }
}

impl Default for Raw {
    /// Same as [`Raw::new`].
    fn default() -> Self {
        Raw::new()
    }
}

impl Decode for Raw {
    /// Everything in `src` (at most the limit) as one frame, or
    /// [`Decoded::Incomplete`] if `src` is empty.
    ///
    /// Never an error.
    #[inline]
    fn decode_slice(&mut self, src: &[u8]) -> Decoded {
        if src.is_empty() {
            return Decoded::Incomplete { consumed: 0 };
        }
        let n = src.len().min(self.max_frame_len);
        Decoded::Frame {
            start: 0,
            len: n,
            consumed: n,
        }
    }

    /// The same as [`decode_slice`](Self::decode_slice): what is left is a
    /// frame, then [`Decoded::Incomplete`].
    ///
    /// An empty datagram therefore yields no frame (tokio-util's `UdpFramed`
    /// calls `decode_eof` until it returns `Ok(None)`, so an empty frame for an
    /// empty buffer would repeat forever).
    ///
    /// Never an error.
    fn decode_slice_eof(&mut self, src: &[u8]) -> Decoded {
        self.decode_slice(src)
    }
}

encode_by_parts! {
    impl Encode for Raw {
        /// The payload's own length: it is written as is.
        ///
        /// # Errors
        ///
        /// [`Error::FrameTooLong`] for a payload over the limit, and
        /// [`Error::Unencodable`] for an empty one, which writes no bytes and
        /// could not be decoded back.
        fn encoded_len;
        /// The length of `head ‖ tail`, written as is (a [`Crc`](crate::Crc)
        /// trailer on each datagram).
        fn encoded_len_parts;
    }
}

impl EncodeParts for Raw {
    #[inline]
    fn parts_len(&self, head: &[u8], tail: &[u8]) -> Result<usize, Error> {
        let len = parts_len_within(head, tail, self.max_frame_len)?;
        if len == 0 {
            return Err(Error::Unencodable {
                reason: "raw framing cannot carry an empty payload: it writes no bytes".into(),
            });
        }
        Ok(len)
    }
}

#[cfg(all(test, feature = "tokio"))]
mod tests {
    use super::*;
    use bytes::{Bytes, BytesMut};
    use tokio_util::codec::{Decoder, Encoder};

    #[test]
    fn empty_buffer_is_no_frame() {
        let mut codec = Raw::new();
        let mut buf = BytesMut::new();
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
    }

    #[test]
    fn zero_limit_is_one() {
        let mut codec = Raw::new().with_max_frame_len(0);
        assert_eq!(codec.max_frame_len(), 1);
        let mut buf = BytesMut::from(&b"ab"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "a");
        assert_eq!(codec.decode_eof(&mut buf).unwrap().unwrap(), "b");
        assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
    }

    #[test]
    fn encoder_refusals_write_nothing() {
        let mut codec = Raw::new().with_max_frame_len(3);
        let mut buf = BytesMut::new();
        let err = codec.encode(&b"abcd"[..], &mut buf).unwrap_err();
        assert_eq!(err.to_string(), "frame of 4 bytes exceeds the limit of 3");
        let err = codec.encode(Bytes::new(), &mut buf).unwrap_err();
        assert!(matches!(err, Error::Unencodable { .. }));
        assert!(buf.is_empty());
        codec.encode(&b"abc"[..], &mut buf).unwrap();
        assert_eq!(&buf[..], b"abc");
    }
}
