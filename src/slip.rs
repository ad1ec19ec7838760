//! SLIP framing (RFC 1055): frames ended by END `0xC0`, with END and ESC
//! bytes of the payload escaped.
//!
//! ```text
//! payload:        01 C0 02 DB 03
//!
//!                +----+-------+----+-------+----+----+
//! on the wire:   | 01 | DB DC | 02 | DB DD | 03 | C0 |
//!                +----+-------+----+-------+----+----+
//!                       |              |          +-- END: end of frame
//!                       |              +-- ESC ESC_ESC: a DB of the payload
//!                       +-- ESC ESC_END: a C0 of the payload
//! ```
//!
//! Many devices also send an END before each frame, to flush line noise
//! into an empty frame that the receiver drops ([`Slip::with_leading_end`]).

use crate::stuffed::Engine;

/// SLIP framing (RFC 1055): frames ended by `0xC0`, un-stuffed in place.
///
/// Byte-compatible with the [`slip-codec`](https://crates.io/crates/slip-codec)
/// crate (what `espflash` speaks) in both directions:
/// `Slip::new().with_leading_end(true)` writes what its `SlipEncoder::new(true)`
/// writes, and the decoder reads both forms.
///
/// ```text
/// +--------------------------+----+--------------------------+----+
/// | SLIP(payload 1)          | C0 | SLIP(payload 2)          | C0 |  ...
/// +--------------------------+----+--------------------------+----+
///   C0 -> DB DC, DB -> DB DD   END
/// ```
///
/// # Guarantees
///
/// - The decoder skips END bytes between frames (empty frames), so it reads
///   streams with or without an END before each frame; an empty payload
///   cannot be sent (the encoder refuses it with [`Error::Unencodable`](crate::Error::Unencodable)).
/// - ESC followed by anything but `DC` or `DD` is [`Error::InvalidEscape`](crate::Error::InvalidEscape)
///   (with the offset of that byte in the frame); the frame is skipped up to
///   its END and the next frame decodes. When the byte after ESC is END, that
///   END ends the bad frame. (RFC 1055's sample code keeps the byte after a
///   bad ESC as data; `slip-codec` reports the error but takes the END after
///   ESC as part of the bad frame, and so loses the next frame too.)
/// - [`max_frame_len`](Self::max_frame_len) (default 1 MiB; RFC 1055
///   suggests 1006 bytes) limits the un-stuffed payload and is checked as
///   bytes arrive, so a peer that never sends END cannot grow the buffer
///   past `2 * max + 1` bytes: see [`Stuffed`](crate::Stuffed) for the
///   details, which SLIP shares.
/// - At the end of the stream, bytes after the last END are
///   [`Error::Truncated`](crate::Error::Truncated).
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use framewise::Slip;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut codec = Slip::new();
/// let mut wire = BytesMut::new();
/// codec.encode(&b"\x01\xc0\x02\xdb\x03"[..], &mut wire)?;
/// assert_eq!(&wire[..], b"\x01\xdb\xdc\x02\xdb\xdd\x03\xc0");
/// assert_eq!(codec.decode(&mut wire)?.unwrap(), &b"\x01\xc0\x02\xdb\x03"[..]);
/// # Ok::<(), framewise::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Slip {
    engine: Engine,
}

impl Slip {
    /// SLIP with an END after each frame and a 1 MiB payload limit.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec = framewise::Slip::new();
    /// assert_eq!(codec.max_frame_len(), 1024 * 1024);
    /// assert!(!codec.leading_end());
    /// ```
    pub fn new() -> Self {
        Slip {
            engine: Engine::slip(false),
        }
    }

    /// The same codec with a limit of `max` bytes of un-stuffed payload.
    ///
    /// A limit is needed because a peer that never sends END would otherwise
    /// make the decoder buffer without end. Any value works.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use framewise::{Error, Slip};
    /// use tokio_util::codec::Decoder;
    ///
    /// let mut codec = Slip::new().with_max_frame_len(2);
    /// let mut buf = BytesMut::from(&b"abc\xc0ab\xc0"[..]);
    /// let err = codec.decode(&mut buf).unwrap_err();
    /// assert!(matches!(err, Error::FrameTooLong { len: 3, max: 2 }));
    /// assert_eq!(codec.decode(&mut buf)?.unwrap(), "ab");
    /// # Ok::<(), framewise::Error>(())
    /// ```
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.engine.set_max(max);
        self
    }

    /// The same codec, writing an END before each frame as well as after it
    /// when `yes` (RFC 1055's advice for noisy lines). The decoder reads
    /// both forms either way.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{Encode, Slip};
    ///
    /// let mut buf = [0u8; 8];
    /// let n = Slip::new().with_leading_end(true).encode_to_slice(b"hi", &mut buf)?;
    /// assert_eq!(&buf[..n], b"\xc0hi\xc0");
    /// # Ok::<(), framewise::Error>(())
    /// ```
    pub fn with_leading_end(mut self, yes: bool) -> Self {
        self.engine.set_open(yes);
        self
    }

    /// The largest un-stuffed payload accepted, in bytes.
    pub fn max_frame_len(&self) -> usize {
        self.engine.max()
    }

    /// Whether the encoder writes an END before each frame.
    pub fn leading_end(&self) -> bool {
        self.engine.open()
    }
}

impl Default for Slip {
    /// [`Slip::new`].
    fn default() -> Self {
        Self::new()
    }
}

crate::stuffed::stuffing_codec!(Slip);
