//! COBS framing: Consistent Overhead Byte Stuffing, each frame ended by `0x00`.
//!
//! COBS rewrites a payload so that it contains no `0x00` byte; a `0x00` can then
//! mark the end of every frame, and a receiver that joins mid-stream or meets a
//! corrupt frame finds the next frame at the next `0x00`. The payload is cut at
//! its zeros into groups; each group is written as a code byte `k` followed by
//! `k - 1` non-zero bytes, and stands for those bytes followed by one zero
//! (except the last group, and groups with `k = 0xFF`, which stand for 254
//! bytes and no zero):
//!
//! ```text
//! payload:          11 22 00 33
//!
//!                  +----+-------+----+----+----+
//! on the wire:     | 03 | 11 22 | 02 | 33 | 00 |
//!                  +----+-------+----+----+----+
//!                    |            |         |
//!                    |            |         +-- end of frame
//!                    |            +-- 1 byte follows; last group: no zero
//!                    +-- 2 bytes follow, then a zero
//! ```
//!
//! The overhead is at most one byte per 254 bytes of payload, plus the final
//! `0x00`. The empty payload is encoded as `01 00`; bare `00` bytes between
//! frames are empty encoded frames and are skipped. The format is the one of
//! the [`cobs`](https://crates.io/crates/cobs) crate: `cobs::encode_vec(p)`
//! followed by a `0x00`.

use memchr::memchr;

use crate::error::Error;
use crate::framing::{DecodeMut, Decoded, EncodeParts, Output, encode_by_parts, parts_len_within};

/// The default limit of a COBS payload: 1 MiB.
pub(crate) const DEFAULT_MAX_FRAME_LEN: usize = 1024 * 1024;

/// The code byte of a group of 254 bytes not followed by a zero.
const FULL_GROUP: u8 = 0xFF;

/// COBS framing: frames ended by `0x00`, with zeros in the payload stuffed away.
///
/// The decoder yields the decoded payloads. It decodes each frame in place, in
/// the frame's own bytes split from the read buffer, so the only memory a
/// frame costs is the bytes it arrived in. Byte-compatible with the
/// [`cobs`](https://crates.io/crates/cobs) crate in both directions.
///
/// ```text
/// +------------------------+----+------------------------+----+
/// |  COBS(payload 1)       | 00 |  COBS(payload 2)       | 00 |  ...
/// +------------------------+----+------------------------+----+
///   no 0x00 inside           end   no 0x00 inside          end
/// ```
///
/// # Limit
///
/// [`max_frame_len`](Self::max_frame_len) (default 1 MiB) limits the
/// *decoded* payload. A peer that never sends a `0x00` would otherwise make
/// the decoder buffer without end, so the limit is enforced on the encoded
/// bytes as they arrive: a payload of at most `max` bytes has an encoding of
/// at most `max + max / 254 + 1` bytes, and as soon as more encoded bytes
/// than that are buffered without a `0x00`, the frame is reported as
/// [`Error::FrameTooLong`] and the rest of it is discarded as it arrives, up
/// to and including its `0x00`. A frame whose encoding is within that bound
/// but decodes to more than `max` bytes is reported the same way. Each
/// oversized frame is reported once, and decoding goes on with the next frame.
///
/// In [`Error::FrameTooLong`] from the decoder, `len` counts *payload* bytes:
/// the number the frame's encoded bytes stand for, counting the bytes that had
/// arrived when the error was raised. It is the exact payload length when the
/// whole frame had arrived, otherwise a lower bound; it is always more than
/// `max`. (So it can depend on how the stream was split into reads.)
///
/// # Errors
///
/// Decoding a frame whose code byte points past the frame's end returns
/// [`Error::InvalidCobs`] with the offset of that code byte in the encoded
/// frame. The frame is consumed, and decoding goes on after its `0x00`.
///
/// # Examples
///
/// ```
/// use framewise::Cobs;
/// use bytes::BytesMut;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut codec = Cobs::new();
/// let mut buf = BytesMut::new();
/// codec.encode(&b"\x11\x22\x00\x33"[..], &mut buf)?;
/// assert_eq!(&buf[..], b"\x03\x11\x22\x02\x33\x00");
///
/// let frame = codec.decode(&mut buf)?.unwrap();
/// assert_eq!(&frame[..], b"\x11\x22\x00\x33");
/// # Ok::<(), framewise::Error>(())
/// ```
///
/// With the framing core alone (`no_std`, no allocator, as on a
/// microcontroller): encode into a stack buffer, and decode in place in the
/// buffer the bytes were received into.
///
/// ```
/// use framewise::{Cobs, DecodeMut, Decoded, Encode};
///
/// let mut codec = Cobs::new().with_max_frame_len(64);
/// let mut tx = [0u8; 16];
/// let n = codec.encode_to_slice(b"\x11\x22\x00\x33", &mut tx)?;
/// assert_eq!(&tx[..n], b"\x03\x11\x22\x02\x33\x00");
///
/// // Received: that frame, then the start of the next one.
/// let mut rx = [0x03, 0x11, 0x22, 0x02, 0x33, 0x00, 0x02, 0x44];
/// let Decoded::Frame { start, len, consumed } = codec.decode_in_place(&mut rx) else {
///     panic!("a whole frame is there");
/// };
/// assert_eq!(&rx[start..start + len], b"\x11\x22\x00\x33");
/// assert_eq!(consumed, 6);
/// // The next frame waits for its 0x00.
/// assert!(matches!(
///     codec.decode_in_place(&mut rx[consumed..]),
///     Decoded::Incomplete { consumed: 0 }
/// ));
/// # Ok::<(), framewise::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Cobs {
    /// The largest decoded payload accepted, decoding and encoding.
    max_frame_len: usize,
    /// How many bytes at the front of the read buffer belong to the frame in
    /// progress and are known to hold no `0x00`: the next search starts there,
    /// so a frame arriving one byte at a time is scanned once (tokio-util's
    /// `next_index`). 0 between frames.
    scanned: usize,
    /// Whether the rest of an oversized frame (already reported) is being
    /// skipped, up to and including its `0x00`.
    discarding: bool,
}

impl Cobs {
    /// A COBS codec with the default 1 MiB payload limit.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(framewise::Cobs::new().max_frame_len(), 1024 * 1024);
    /// ```
    pub fn new() -> Self {
        Cobs {
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            scanned: 0,
            discarding: false,
        }
    }

    /// The same codec with a limit of `max` bytes of decoded payload.
    ///
    /// Any value works: with 0, only empty payloads (`01 00`) are accepted.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{Cobs, Error};
    /// use bytes::BytesMut;
    /// use tokio_util::codec::Decoder;
    ///
    /// let mut codec = Cobs::new().with_max_frame_len(2);
    /// // "abc" (too long), then "ab"
    /// let mut buf = BytesMut::from(&b"\x04abc\x00\x03ab\x00"[..]);
    /// let err = codec.decode(&mut buf).unwrap_err();
    /// assert!(matches!(err, Error::FrameTooLong { len: 3, max: 2 }));
    /// assert_eq!(codec.decode(&mut buf)?.unwrap(), "ab");
    /// # Ok::<(), framewise::Error>(())
    /// ```
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.max_frame_len = max;
        self
    }

    /// The largest decoded payload this codec accepts, in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::Cobs;
    /// assert_eq!(Cobs::new().with_max_frame_len(300).max_frame_len(), 300);
    /// ```
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }

    /// The longest valid encoding (without its `0x00`) of a payload within
    /// the limit: one code byte, plus one per full 254-byte group.
    fn max_encoded_len(&self) -> usize {
        let max = self.max_frame_len;
        max.saturating_add(max / 254).saturating_add(1)
    }

    fn too_long(&self, len: usize) -> Error {
        Error::FrameTooLong {
            len: len as u64,
            max: self.max_frame_len as u64,
        }
    }

    /// What follows any zeros between frames at the front of `src`: the
    /// frame in progress, not counting a discard or separators.
    #[inline]
    fn next(&mut self, src: &mut [u8]) -> Decoded {
        let bound = self.max_encoded_len();
        let window = src.len().min(bound.saturating_add(1));
        // `min`: a caller who empties the buffer between calls gets a
        // rescan, not a panic.
        let from = self.scanned.min(window);
        if let Some(i) = memchr(0, &src[from..window]) {
            let end = from + i;
            self.scanned = 0;
            let consumed = end + 1;
            return match decode_in_place(&mut src[..end]) {
                Err(offset) => Decoded::Error {
                    consumed,
                    error: Error::InvalidCobs { offset },
                },
                Ok(len) if len > self.max_frame_len => Decoded::Error {
                    consumed,
                    error: self.too_long(len),
                },
                Ok(len) => Decoded::Frame {
                    start: 1,
                    len,
                    consumed,
                },
            };
        }
        if window <= bound {
            self.scanned = window;
            return Decoded::Incomplete { consumed: 0 };
        }

        // More than `bound` encoded bytes and no end: oversized whatever
        // follows. Drop what has arrived of it, and the rest as it arrives.
        self.scanned = 0;
        let seen = memchr(0, &src[window..]).map_or(src.len(), |i| window + i);
        let error = self.too_long(decoded_len(&src[..seen]));
        let consumed = if seen < src.len() {
            seen + 1
        } else {
            self.discarding = true;
            src.len()
        };
        Decoded::Error { consumed, error }
    }
}

impl Default for Cobs {
    /// Same as [`Cobs::new`].
    fn default() -> Self {
        Cobs::new()
    }
}

/// Decode the COBS frame `buf` (no `0x00` inside, not empty) in place.
///
/// The payload ends up in `buf[1..1 + len]` and `Ok(len)` is returned: the
/// first code byte is dropped and every later code byte becomes the zero it
/// stands for, so bytes only move after a full (`0xFF`) group, whose following
/// code byte stands for nothing. `Err(offset)` names the code byte that points
/// past the end of the frame.
fn decode_in_place(buf: &mut [u8]) -> Result<usize, usize> {
    let end = buf.len();
    // The code byte of the current group, where its data starts, and where
    // its decoded bytes go (never after `at + 1`).
    let mut at = 0;
    let mut out = 1;
    let mut code = buf[0];
    loop {
        let next = at + usize::from(code);
        if next > end {
            return Err(at);
        }
        if out != at + 1 {
            buf.copy_within(at + 1..next, out);
        }
        out += usize::from(code) - 1;
        if next == end {
            return Ok(out - 1);
        }
        // Read the next code before a zero may take its place.
        let next_code = buf[next];
        if code != FULL_GROUP {
            buf[out] = 0;
            out += 1;
        }
        at = next;
        code = next_code;
    }
}

/// How many payload bytes the encoded bytes `buf` (no `0x00` inside) stand
/// for, counting a trailing group that has not fully arrived by its bytes.
fn decoded_len(buf: &[u8]) -> usize {
    let mut at = 0;
    let mut len = 0;
    while at < buf.len() {
        let code = usize::from(buf[at]);
        let next = at + code;
        if next >= buf.len() {
            return len + (buf.len() - at - 1);
        }
        len += code - 1 + usize::from(code != usize::from(FULL_GROUP));
        at = next;
    }
    len
}

impl DecodeMut for Cobs {
    /// The next frame, decoded in place: its payload is
    /// `src[start..start + len]` (the frame's code bytes rewritten into the
    /// zeros they stand for); [`Decoded::Incomplete`] until its `0x00` arrives.
    ///
    /// `0x00` bytes between frames are skipped (consumed). While a frame is
    /// incomplete, at most `max + max / 254 + 1` of its bytes are left
    /// unconsumed; while an oversized frame is skipped, none.
    ///
    /// # Errors
    ///
    /// - [`Error::FrameTooLong`] once per oversized frame (see the
    ///   [type docs](Cobs#limit) for what `len` counts); the frame is skipped.
    /// - [`Error::InvalidCobs`] for a frame whose code byte points past its
    ///   end; the frame is consumed.
    ///
    /// Both leave the codec ready for the next frame.
    #[inline]
    fn decode_in_place(&mut self, src: &mut [u8]) -> Decoded {
        let mut skipped = 0;
        if self.discarding {
            match memchr(0, src) {
                Some(i) => {
                    skipped = i + 1;
                    self.discarding = false;
                }
                None => {
                    return Decoded::Incomplete {
                        consumed: src.len(),
                    };
                }
            }
        }
        if self.scanned == 0 {
            // Bare zeros are empty encoded frames: not frames at all.
            skipped += src[skipped..]
                .iter()
                .position(|&b| b != 0)
                .unwrap_or(src.len() - skipped);
            if skipped == src.len() {
                return Decoded::Incomplete { consumed: skipped };
            }
        }
        self.next(&mut src[skipped..]).after_skipping(skipped)
    }

    /// Like [`decode_in_place`](Self::decode_in_place), at the end of the
    /// stream.
    ///
    /// # Errors
    ///
    /// As [`decode_in_place`](Self::decode_in_place), and [`Error::Truncated`]
    /// if bytes of an unfinished frame (no `0x00` yet) are left; all of them
    /// are consumed. The rest of an oversized frame being skipped is consumed
    /// silently: the frame was already reported. The codec is then ready for
    /// a new stream (as `UdpFramed` uses it, one datagram after another).
    fn decode_in_place_eof(&mut self, src: &mut [u8]) -> Decoded {
        let answer = self.decode_in_place(src);
        match answer {
            Decoded::Frame { .. } => answer,
            Decoded::Error { consumed, .. } => {
                if consumed == src.len() {
                    // Nothing more will come to discard.
                    self.discarding = false;
                }
                answer
            }
            Decoded::Incomplete { consumed } => {
                self.scanned = 0;
                if self.discarding {
                    // `decode_in_place` consumed all of it.
                    self.discarding = false;
                    return answer;
                }
                Decoded::truncated(src.len() - consumed).after_skipping(consumed)
            }
        }
    }
}

encode_by_parts! {
    impl Encode for Cobs {
        /// The exact size of the encoding with its final `0x00`: the payload
        /// without its zeros, plus one code byte per group, plus one.
        ///
        /// # Errors
        ///
        /// [`Error::FrameTooLong`] for a payload over the limit.
        fn encoded_len;
        /// The payload `head ‖ tail` (data and a CRC trailer, say), encoded
        /// as one frame without joining the parts first.
        ///
        /// # Errors
        ///
        /// [`Error::FrameTooLong`] for a payload over the limit.
        fn encoded_len_parts;
    }
}

impl EncodeParts for Cobs {
    #[inline]
    fn parts_len(&self, head: &[u8], tail: &[u8]) -> Result<usize, Error> {
        parts_len_within(head, tail, self.max_frame_len)?;
        if tail.is_empty() {
            return Ok(encoded_len(head));
        }
        let mut count = Count(0);
        write_groups(Joined([head, tail]), &mut count);
        Ok(count.0)
    }

    /// Encodes `head ‖ tail` straight into `out`, one run of non-zero bytes
    /// at a time (see [`write_groups`]).
    #[inline]
    fn write_parts<O: Output + ?Sized>(&self, head: &[u8], tail: &[u8], out: &mut O) {
        write_groups(Joined([head, tail]), out);
    }
}

/// A payload given in two parts, read as one.
#[derive(Clone, Copy)]
struct Joined<'a>([&'a [u8]; 2]);

impl Joined<'_> {
    fn len(self) -> usize {
        self.0[0].len() + self.0[1].len()
    }

    /// The first zero at or after `from`.
    #[inline]
    fn find_zero(self, from: usize) -> Option<usize> {
        let [a, b] = self.0;
        if from < a.len() {
            if let Some(i) = memchr(0, &a[from..]) {
                return Some(from + i);
            }
            return memchr(0, b).map(|i| a.len() + i);
        }
        memchr(0, &b[from - a.len()..]).map(|i| from + i)
    }

    /// Writes the bytes at `from..to`.
    #[inline]
    fn copy<O: Output + ?Sized>(self, from: usize, to: usize, out: &mut O) {
        let [a, b] = self.0;
        if from < a.len() {
            out.push_slice(&a[from..to.min(a.len())]);
        }
        if to > a.len() {
            out.push_slice(&b[from.max(a.len()) - a.len()..to - a.len()]);
        }
    }
}

/// Counts bytes instead of writing them: the exact size of an encoding.
struct Count(usize);

impl Output for Count {
    fn push_slice(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }

    fn push_byte(&mut self, _: u8) {
        self.0 += 1;
    }
}

/// The COBS encoder: each run of non-zero bytes as its full 254-byte
/// groups, then a group for the rest of it, whose code stands for the zero
/// after the run; then the final `0x00`.
#[inline]
fn write_groups<O: Output + ?Sized>(payload: Joined<'_>, out: &mut O) {
    let n = payload.len();
    let mut pos = 0;
    loop {
        let zero = payload.find_zero(pos);
        let run_end = zero.unwrap_or(n);
        let mut at = pos;
        while run_end - at >= 254 {
            out.push_byte(FULL_GROUP);
            payload.copy(at, at + 254, out);
            at += 254;
        }
        if zero.is_none() && at == run_end && run_end > pos {
            // Like the `cobs` crate: no empty group after a full last
            // group.
            break;
        }
        // Under 254 bytes are left of the run: the code fits. It stands
        // for the zero after the run, if there is one.
        out.push_byte((run_end - at) as u8 + 1);
        payload.copy(at, run_end, out);
        match zero {
            Some(z) => pos = z + 1,
            None => break,
        }
    }
    out.push_byte(0);
}

/// The size of `payload` encoded, with its final `0x00`.
///
/// Each zero of the payload becomes the code byte of the group it ends, and
/// the last group has a code byte of its own; so a payload that takes no
/// full (`0xFF`) group, as every payload under 254 bytes, is 2 bytes longer
/// encoded. A run of `r` non-zero bytes takes `r / 254` full groups, except
/// that a last run of a non-empty multiple of 254 bytes needs no group after
/// its last full one.
#[inline]
fn encoded_len(payload: &[u8]) -> usize {
    let mut len = payload.len() + 2;
    if payload.len() < 254 {
        return len;
    }
    let mut rest = payload;
    while let Some(zero) = memchr(0, rest) {
        len += zero / 254;
        rest = &rest[zero + 1..];
    }
    let last = rest.len();
    len += last / 254;
    if last > 0 && last.is_multiple_of(254) {
        len -= 1;
    }
    len
}

#[cfg(all(test, feature = "tokio"))]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use tokio_util::codec::{Decoder, Encoder};

    fn encode(payload: &[u8]) -> Vec<u8> {
        let mut buf = BytesMut::new();
        Cobs::new().encode(payload, &mut buf).unwrap();
        buf.to_vec()
    }

    #[test]
    fn encodes_the_wikipedia_examples() {
        assert_eq!(encode(b""), b"\x01\x00");
        assert_eq!(encode(b"\x00"), b"\x01\x01\x00");
        assert_eq!(encode(b"\x00\x00"), b"\x01\x01\x01\x00");
        assert_eq!(encode(b"\x00\x11\x00"), b"\x01\x02\x11\x01\x00");
        assert_eq!(encode(b"\x11\x22\x00\x33"), b"\x03\x11\x22\x02\x33\x00");
        assert_eq!(encode(b"\x11\x00\x00\x00"), b"\x02\x11\x01\x01\x01\x00");

        let full: Vec<u8> = (1..=254).collect();
        let mut want = vec![0xFF];
        want.extend_from_slice(&full);
        want.push(0);
        assert_eq!(encode(&full), want);

        let mut longer = full.clone();
        longer.push(0xFF);
        let mut want = vec![0xFF];
        want.extend_from_slice(&full);
        want.extend_from_slice(b"\x02\xFF\x00");
        assert_eq!(encode(&longer), want);
    }

    #[test]
    fn decodes_in_place() {
        let mut buf = *b"\x03\x11\x22\x02\x33";
        assert_eq!(decode_in_place(&mut buf), Ok(4));
        assert_eq!(&buf[1..5], b"\x11\x22\x00\x33");

        let mut buf = *b"\x01\x01\x01";
        assert_eq!(decode_in_place(&mut buf), Ok(2));
        assert_eq!(&buf[1..3], b"\x00\x00");

        // A full group, then a group that has to move back by one byte.
        let mut enc = vec![0xFF];
        enc.extend(std::iter::repeat_n(7u8, 254));
        enc.extend_from_slice(b"\x02\x08\x02\x09");
        assert_eq!(decode_in_place(&mut enc), Ok(257));
        let mut want = vec![7u8; 254];
        want.extend_from_slice(b"\x08\x00\x09");
        assert_eq!(&enc[1..258], &want[..]);
    }

    #[test]
    fn invalid_code_names_its_offset() {
        assert_eq!(decode_in_place(&mut { *b"\x05\x11\x22" }), Err(0));
        assert_eq!(decode_in_place(&mut { *b"\x02\x11\x03\x22" }), Err(2));
    }

    #[test]
    fn decoded_len_of_partial_frames() {
        assert_eq!(decoded_len(b"\x03\x11"), 1);
        assert_eq!(decoded_len(b"\x03\x11\x22"), 2);
        assert_eq!(decoded_len(b"\x03\x11\x22\x02"), 3);
        assert_eq!(decoded_len(b"\x01\x01\x01"), 2);
        let mut full = vec![0xFF];
        full.extend(std::iter::repeat_n(1u8, 254));
        full.push(1);
        assert_eq!(decoded_len(&full), 254);
    }

    #[test]
    fn oversized_encoding_reports_payload_bytes() {
        // max 2: encodings longer than 3 bytes are oversized at once.
        let mut codec = Cobs::new().with_max_frame_len(2);
        let mut buf = BytesMut::from(&b"\x05abcd"[..]);
        let err = codec.decode(&mut buf).unwrap_err();
        assert!(matches!(err, Error::FrameTooLong { len: 4, max: 2 }));
        assert!(buf.is_empty());
        buf.extend_from_slice(b"ef\x00\x02z\x00");
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "z");
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
    }

    #[test]
    fn byte_at_a_time_is_scanned_once() {
        let mut codec = Cobs::new();
        let mut buf = BytesMut::new();
        for (i, &b) in b"\x00\x05abcd".iter().enumerate() {
            buf.extend_from_slice(&[b]);
            assert_eq!(codec.decode(&mut buf).unwrap(), None);
            // Everything buffered has been searched: the next search starts
            // after it, not at the front of the frame.
            assert_eq!(codec.scanned, i);
            assert_eq!(codec.scanned, buf.len());
        }
        buf.extend_from_slice(b"\x00");
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "abcd");
        assert_eq!(codec.scanned, 0);
    }

    #[test]
    fn eof_while_discarding_is_silent_and_resets() {
        let mut codec = Cobs::new().with_max_frame_len(1);
        let mut buf = BytesMut::from(&b"\x09abc"[..]);
        assert!(codec.decode_eof(&mut buf).is_err());
        assert!(buf.is_empty());
        // The stream is over: a new one (the next datagram) starts clean,
        // even if nobody calls `decode_eof` again.
        buf.extend_from_slice(b"\x02x\x00");
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "x");
    }
}
