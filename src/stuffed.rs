//! Byte-stuffed framing: HDLC-like flags and DLE-STX/ETX, and the engine
//! [`Slip`](crate::Slip) shares.
//!
//! A byte-stuffing framing marks frame boundaries with a reserved byte (or
//! pair) and escapes that byte wherever it occurs in a payload, so a receiver
//! that joins mid-stream or meets a damaged frame finds the next boundary by
//! looking for the reserved byte. Two families:
//!
//! ```text
//! HDLC-like (RFC 1662: flag 7E, escape 7D, escaped byte XOR 20)
//! payload:       11 7E 22 7D
//! on the wire:   7E | 11 7D 5E 22 7D 5D | 7E
//!                flag   7E->7D 5E  7D->7D 5D  flag
//!
//! DLE-STX/ETX (DLE 10, STX 02, ETX 03; DLE doubled inside the payload)
//! payload:       11 10 22
//! on the wire:   10 02 | 11 10 10 22 | 10 03
//!                DLE STX   DLE doubled   DLE ETX
//! ```
//!
//! Frames are un-stuffed in the caller's buffer ([`DecodeMut`]): the payload
//! is never longer than its stuffed bytes, so it is rewritten over them.
//!
//! The engine here decodes one frame at a time on `&mut [u8]`: it looks for
//! the end marker with `memchr`, remembering how far it has looked (so a
//! frame arriving one byte at a time is scanned once), checks each escape
//! pair as it goes, and un-stuffs the frame when its end has arrived.

use memchr::{memchr, memchr_iter, memchr2, memchr2_iter};

use crate::error::{ConfigError, Error, reason};
use crate::framing::{Decoded, EncodeParts, Output, parts_len_within};

/// The default limit of a byte-stuffed payload: 1 MiB.
pub(crate) const DEFAULT_MAX_FRAME_LEN: usize = 1024 * 1024;

/// SLIP's END byte (RFC 1055).
pub(crate) const SLIP_END: u8 = 0xC0;
/// SLIP's ESC byte.
pub(crate) const SLIP_ESC: u8 = 0xDB;
/// What follows ESC for a payload END byte.
pub(crate) const SLIP_ESC_END: u8 = 0xDC;
/// What follows ESC for a payload ESC byte.
pub(crate) const SLIP_ESC_ESC: u8 = 0xDD;

/// Data Link Escape.
const DLE: u8 = 0x10;
/// Start of Text: `DLE STX` opens a frame.
const STX: u8 = 0x02;
/// End of Text: `DLE ETX` closes a frame.
const ETX: u8 = 0x03;

/// How a scheme marks boundaries and escapes bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scheme {
    /// RFC 1055: END ends a frame; ESC ESC_END and ESC ESC_ESC stand for END
    /// and ESC; ESC followed by anything else is invalid.
    Slip,
    /// HDLC-like: `flag` ends a frame; `escape` followed by `b` stands for
    /// `b ^ xor`, for any `b` but the flag (RFC 1662, 4.2: escape then flag
    /// aborts the frame).
    Xor { flag: u8, escape: u8, xor: u8 },
    /// `DLE STX` opens a frame, `DLE ETX` closes it, `DLE DLE` stands for
    /// one DLE; DLE followed by anything else is invalid.
    Dle,
}

/// What an escape byte and the byte after it mean inside a frame.
enum Pair {
    /// One payload byte.
    Data(u8),
    /// `DLE ETX`: the end of the frame.
    End,
    /// `DLE STX` inside a frame: the frame was cut short and a new one
    /// starts at the DLE.
    Start,
    /// An escape byte followed by the flag: the flag ends a bad frame.
    Abort,
    /// An escape byte followed by a byte that cannot follow it.
    Invalid,
}

/// Where the decoder is in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// In a frame, or (flag schemes) at the start of one.
    Frame,
    /// DLE only: outside any frame, skipping bytes up to the next `DLE STX`.
    Outside,
    /// Skipping the rest of a bad frame, already reported, up to its end.
    Discarding,
}

/// The byte-stuffing engine behind [`Stuffed`] and [`Slip`](crate::Slip).
#[derive(Debug, Clone)]
pub(crate) struct Engine {
    scheme: Scheme,
    /// The largest payload accepted, decoding and encoding.
    max: usize,
    /// Flag schemes: whether the encoder writes a flag before each frame as
    /// well as after it.
    open: bool,
    /// Bytes at the front of the buffer that belong to the frame in
    /// progress and are checked: no end marker among them, every escape pair
    /// valid. The next scan starts there, so a frame arriving a byte at a
    /// time is scanned once. Never ends between an escape byte and the byte
    /// after it. 0 at the start of a frame.
    scanned: usize,
    /// The payload bytes that `scanned` stands for: the limit is checked on
    /// it as bytes arrive, so a peer that never ends a frame cannot grow the
    /// buffer past twice the limit.
    decoded: usize,
    state: State,
}

impl Engine {
    fn with(scheme: Scheme, open: bool) -> Self {
        Engine {
            scheme,
            max: DEFAULT_MAX_FRAME_LEN,
            open,
            scanned: 0,
            decoded: 0,
            state: Self::initial(scheme),
        }
    }

    /// RFC 1055 SLIP, END after each frame (and before it with `open`).
    pub(crate) fn slip(open: bool) -> Self {
        Self::with(Scheme::Slip, open)
    }

    fn initial(scheme: Scheme) -> State {
        match scheme {
            Scheme::Dle => State::Outside,
            _ => State::Frame,
        }
    }

    pub(crate) fn set_max(&mut self, max: usize) {
        self.max = max;
    }

    pub(crate) fn max(&self) -> usize {
        self.max
    }

    pub(crate) fn set_open(&mut self, open: bool) {
        self.open = open;
    }

    pub(crate) fn open(&self) -> bool {
        self.open
    }

    /// The byte that ends a frame, for the flag schemes.
    #[inline]
    fn flag(&self) -> Option<u8> {
        match self.scheme {
            Scheme::Slip => Some(SLIP_END),
            Scheme::Xor { flag, .. } => Some(flag),
            Scheme::Dle => None,
        }
    }

    /// The byte that starts an escape pair.
    #[inline]
    fn escape(&self) -> u8 {
        match self.scheme {
            Scheme::Slip => SLIP_ESC,
            Scheme::Xor { escape, .. } => escape,
            Scheme::Dle => DLE,
        }
    }

    /// Where the next flag or escape byte is in `s`.
    #[inline]
    fn find_special(&self, s: &[u8]) -> Option<usize> {
        match self.flag() {
            Some(flag) => memchr2(flag, self.escape(), s),
            None => memchr(DLE, s),
        }
    }

    /// What the escape byte followed by `next` means.
    #[inline]
    fn pair(&self, next: u8) -> Pair {
        match self.scheme {
            Scheme::Slip => match next {
                SLIP_ESC_END => Pair::Data(SLIP_END),
                SLIP_ESC_ESC => Pair::Data(SLIP_ESC),
                SLIP_END => Pair::Abort,
                _ => Pair::Invalid,
            },
            Scheme::Xor { flag, xor, .. } => {
                if next == flag {
                    Pair::Abort
                } else {
                    Pair::Data(next ^ xor)
                }
            }
            Scheme::Dle => match next {
                DLE => Pair::Data(DLE),
                ETX => Pair::End,
                STX => Pair::Start,
                _ => Pair::Invalid,
            },
        }
    }

    /// Forgets the frame in progress.
    #[inline]
    fn restart(&mut self, state: State) {
        self.scanned = 0;
        self.decoded = 0;
        self.state = state;
    }

    /// The state after a frame has ended.
    #[inline]
    fn between(&self) -> State {
        Self::initial(self.scheme)
    }

    /// Looks for the next frame at the front of `src`, un-stuffing it in place.
    pub(crate) fn decode(&mut self, src: &mut [u8]) -> Decoded {
        let mut skipped = 0;
        loop {
            let rest = &mut src[skipped..];
            match self.state {
                State::Discarding => {
                    let (n, done) = self.skip_bad(rest);
                    skipped += n;
                    if !done {
                        return Decoded::Incomplete { consumed: skipped };
                    }
                    self.restart(self.between());
                }
                State::Outside => {
                    let (n, found) = skip_to_dle_stx(rest);
                    skipped += n;
                    if !found {
                        return Decoded::Incomplete { consumed: skipped };
                    }
                    self.restart(State::Frame);
                }
                State::Frame => {
                    if let (Some(flag), 0) = (self.flag(), self.scanned) {
                        // Flags between frames (shared or repeated) are empty
                        // frames: skipped.
                        let flags = rest.iter().take_while(|&&b| b == flag).count();
                        if flags > 0 {
                            skipped += flags;
                            continue;
                        }
                    }
                    return self.scan(rest).after_skipping(skipped);
                }
            }
        }
    }

    /// Scans the frame at the front of `src` (its opening marker consumed).
    #[inline]
    fn scan(&mut self, src: &mut [u8]) -> Decoded {
        let mut pos = self.scanned;
        let mut decoded = self.decoded;
        loop {
            let found = self.find_special(&src[pos..]).map(|i| pos + i);
            decoded += found.unwrap_or(src.len()) - pos;
            if decoded > self.max {
                return self.too_long(src);
            }
            let Some(j) = found else {
                self.scanned = src.len();
                self.decoded = decoded;
                return Decoded::Incomplete { consumed: 0 };
            };
            if Some(src[j]) == self.flag() {
                let len = self.unstuff(&mut src[..j]);
                debug_assert_eq!(len, decoded);
                self.restart(State::Frame);
                return Decoded::Frame {
                    start: 0,
                    len,
                    consumed: j + 1,
                };
            }
            let Some(&next) = src.get(j + 1) else {
                // The escape byte's partner has not arrived.
                self.scanned = j;
                self.decoded = decoded;
                return Decoded::Incomplete { consumed: 0 };
            };
            let invalid = Error::InvalidEscape { offset: j + 1 };
            match self.pair(next) {
                Pair::Data(_) => {
                    decoded += 1;
                    if decoded > self.max {
                        return self.too_long(src);
                    }
                    pos = j + 2;
                }
                Pair::End => {
                    let len = self.unstuff(&mut src[..j]);
                    debug_assert_eq!(len, decoded);
                    self.restart(State::Outside);
                    return Decoded::Frame {
                        start: 0,
                        len,
                        consumed: j + 2,
                    };
                }
                Pair::Start => {
                    // The next frame starts at this DLE.
                    self.restart(State::Outside);
                    return Decoded::Error {
                        consumed: j,
                        error: invalid,
                    };
                }
                Pair::Abort => {
                    // The flag ends the bad frame; it is skipped as a
                    // leading flag of the next one.
                    self.restart(State::Frame);
                    return Decoded::Error {
                        consumed: j + 1,
                        error: invalid,
                    };
                }
                Pair::Invalid => {
                    self.restart(State::Discarding);
                    return Decoded::Error {
                        consumed: j + 2,
                        error: invalid,
                    };
                }
            }
        }
    }

    /// Reports the frame at the front of `src` as too long and skips what
    /// has arrived of it: up to its end if that is here, or all of it.
    #[cold]
    fn too_long(&mut self, src: &[u8]) -> Decoded {
        let (len, end) = self.stands_for(src);
        let consumed = match end {
            Some((end, state)) => {
                self.restart(state);
                end
            }
            None => {
                self.restart(State::Discarding);
                self.skip_bad(src).0
            }
        };
        Decoded::Error {
            consumed,
            error: Error::FrameTooLong {
                len: len as u64,
                max: self.max as u64,
            },
        }
    }

    /// The payload bytes the frame at the front of `src` stands for, counting
    /// an invalid escape pair as one byte; and, if its end has arrived, the
    /// bytes up to it (to consume) and the state after it.
    fn stands_for(&self, src: &[u8]) -> (usize, Option<(usize, State)>) {
        let flag = self.flag();
        let escape = self.escape();
        let mut len = 0;
        let mut i = 0;
        while i < src.len() {
            let b = src[i];
            if Some(b) == flag {
                return (len, Some((i + 1, State::Frame)));
            }
            if b != escape {
                len += 1;
                i += 1;
                continue;
            }
            let Some(&next) = src.get(i + 1) else { break };
            match self.pair(next) {
                Pair::Data(_) | Pair::Invalid => {}
                Pair::End => return (len, Some((i + 2, State::Outside))),
                Pair::Start => return (len, Some((i, State::Outside))),
                Pair::Abort => return (len, Some((i + 1, State::Frame))),
            }
            len += 1;
            i += 2;
        }
        (len, None)
    }

    /// Skips bytes of a bad frame: returns how many, and whether its end was
    /// among them (consumed with it, except a `DLE STX`, which opens the next
    /// frame).
    fn skip_bad(&self, src: &[u8]) -> (usize, bool) {
        if let Some(flag) = self.flag() {
            return match memchr(flag, src) {
                Some(i) => (i + 1, true),
                None => (src.len(), false),
            };
        }
        let mut pos = 0;
        while let Some(i) = memchr(DLE, &src[pos..]) {
            let j = pos + i;
            match src.get(j + 1) {
                // Keep the DLE: what follows decides what it means.
                None => return (j, false),
                Some(&ETX) => return (j + 2, true),
                Some(&STX) => return (j, true),
                Some(_) => pos = j + 2,
            }
        }
        (src.len(), false)
    }

    /// Un-stuffs a whole checked frame in place; returns the payload length.
    fn unstuff(&self, frame: &mut [u8]) -> usize {
        let escape = self.escape();
        let mut read = 0;
        let mut write = 0;
        while let Some(i) = memchr(escape, &frame[read..]) {
            let j = read + i;
            if write != read {
                frame.copy_within(read..j, write);
            }
            write += j - read;
            frame[write] = match self.pair(frame[j + 1]) {
                Pair::Data(b) => b,
                // `scan` checked every pair before calling.
                _ => unreachable!("unchecked escape pair"),
            };
            write += 1;
            read = j + 2;
        }
        if write != read {
            frame.copy_within(read.., write);
        }
        write + (frame.len() - read)
    }

    /// At the end of the stream: a partial frame is [`Error::Truncated`];
    /// bytes outside frames and the rest of a reported frame are dropped.
    pub(crate) fn decode_eof(&mut self, src: &mut [u8]) -> Decoded {
        let answer = self.decode(src);
        let Decoded::Incomplete { consumed } = answer else {
            return answer;
        };
        let state = self.state;
        self.restart(self.between());
        let left = src.len() - consumed;
        match state {
            State::Frame if left > 0 || self.flag().is_none() => Decoded::Error {
                consumed: src.len(),
                error: Error::Truncated { buffered: left },
            },
            _ => Decoded::Incomplete {
                consumed: src.len(),
            },
        }
    }

    /// How many payload bytes of `part` are escaped on the wire.
    #[inline]
    fn escaped(&self, part: &[u8]) -> usize {
        match self.flag() {
            Some(flag) => memchr2_iter(flag, self.escape(), part).count(),
            None => memchr_iter(DLE, part).count(),
        }
    }

    /// Writes `part` with every flag and escape byte escaped.
    #[inline]
    fn stuff<O: Output + ?Sized>(&self, part: &[u8], out: &mut O) {
        let mut pos = 0;
        while let Some(i) = self.find_special(&part[pos..]) {
            let j = pos + i;
            if j > pos {
                out.push_slice(&part[pos..j]);
            }
            let b = part[j];
            let code = match self.scheme {
                Scheme::Slip if b == SLIP_END => SLIP_ESC_END,
                Scheme::Slip => SLIP_ESC_ESC,
                Scheme::Xor { xor, .. } => b ^ xor,
                Scheme::Dle => DLE,
            };
            out.push_slice(&[self.escape(), code]);
            pos = j + 1;
        }
        if pos < part.len() {
            out.push_slice(&part[pos..]);
        }
    }
}

impl EncodeParts for Engine {
    fn parts_len(&self, head: &[u8], tail: &[u8]) -> Result<usize, Error> {
        let len = parts_len_within(head, tail, self.max)?;
        let markers = match self.flag() {
            Some(_) if len == 0 => {
                return Err(Error::Unencodable {
                    reason: reason!(
                        "an empty frame cannot be sent: the decoder skips empty frames between flags"
                    ),
                });
            }
            Some(_) => 1 + usize::from(self.open),
            None => 4,
        };
        Ok(markers + len + self.escaped(head) + self.escaped(tail))
    }

    fn write_parts<O: Output + ?Sized>(&self, head: &[u8], tail: &[u8], out: &mut O) {
        match self.flag() {
            Some(flag) if self.open => out.push_byte(flag),
            Some(_) => {}
            None => out.push_slice(&[DLE, STX]),
        }
        self.stuff(head, out);
        self.stuff(tail, out);
        match self.flag() {
            Some(flag) => out.push_byte(flag),
            None => out.push_slice(&[DLE, ETX]),
        }
    }
}

/// Skips bytes outside a DLE frame: returns how many, and whether they end
/// with a `DLE STX` (consumed with them).
fn skip_to_dle_stx(src: &[u8]) -> (usize, bool) {
    let mut pos = 0;
    while let Some(i) = memchr(DLE, &src[pos..]) {
        let j = pos + i;
        match src.get(j + 1) {
            None => return (j, false),
            Some(&STX) => return (j + 2, true),
            // DLE DLE, DLE ETX, or noise: taken as a pair, so the second
            // byte of a doubled DLE never opens a frame.
            Some(_) => pos = j + 2,
        }
    }
    (src.len(), false)
}

/// Which byte-stuffing family a [`Stuffed`] codec speaks.
///
/// # Examples
///
/// ```
/// use framewise::{Stuffed, Stuffing};
///
/// assert_eq!(
///     Stuffed::hdlc().stuffing(),
///     Stuffing::Hdlc { flag: 0x7e, escape: 0x7d, xor: 0x20 }
/// );
/// assert_eq!(Stuffed::dle().stuffing(), Stuffing::DleStxEtx);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stuffing {
    /// Frames between `flag` bytes; `escape` followed by the byte XOR `xor`
    /// stands for a flag or escape byte of the payload.
    Hdlc {
        /// The byte between frames (HDLC: `0x7E`).
        flag: u8,
        /// The byte that starts an escape pair (HDLC: `0x7D`).
        escape: u8,
        /// What the escaped byte is XORed with (HDLC: `0x20`).
        xor: u8,
    },
    /// `DLE STX` payload `DLE ETX`, with each DLE (`0x10`) of the payload
    /// doubled.
    DleStxEtx,
}

/// Byte-stuffed framing: HDLC-like flags ([`Stuffed::hdlc`]) or DLE-STX/ETX
/// ([`Stuffed::dle`]).
///
/// ```text
/// Stuffed::hdlc()                       Stuffed::dle()
/// +----+--------------------+----+      +-------+----------------+-------+
/// | 7E | payload, 7E and 7D | 7E |      | 10 02 | payload, 10 as | 10 03 |
/// |    | sent as 7D 5E/7D 5D|    |      |       | 10 10          |       |
/// +----+--------------------+----+      +-------+----------------+-------+
/// ```
///
/// # HDLC-like (RFC 1662, section 4)
///
/// - The encoder writes a flag before and after each frame. The decoder
///   takes one flag between two frames as well (a shared flag), and skips
///   the empty frames of repeated flags, so an empty payload cannot be sent
///   (the encoder refuses it with [`Error::Unencodable`]).
/// - The encoder escapes only the flag and escape bytes. The decoder
///   un-escapes any byte after an escape byte, so it reads peers that also
///   escape control characters (PPP's async control character map).
/// - An escape byte followed by the flag (RFC 1662's abort sequence) is
///   [`Error::InvalidEscape`], and decoding resumes at that flag.
/// - No FCS: wrap the codec in [`Crc`](crate::Crc) for one (RFC 1662's
///   FCS-16 is [`CrcAlgorithm::Crc16IbmSdlc`](crate::CrcAlgorithm)).
///
/// # DLE-STX/ETX
///
/// - A frame is `DLE STX` payload `DLE ETX`; a DLE in the payload is sent
///   as `DLE DLE`. The empty payload is `10 02 10 03`.
/// - Bytes outside frames are skipped silently, taken in pairs after a DLE
///   so that the second byte of a doubled DLE never opens a frame.
/// - Inside a frame, DLE followed by anything but DLE, ETX or STX is
///   [`Error::InvalidEscape`], and decoding resumes at the next `DLE STX`
///   (or after the frame's `DLE ETX`). A `DLE STX` inside a frame is
///   [`Error::InvalidEscape`] too: the frame was cut short, and the new frame
///   starts there.
///
/// # Limit and resync
///
/// [`max_frame_len`](Self::max_frame_len) (default 1 MiB) limits the
/// un-stuffed payload, on the decoder and the encoder. It is checked as bytes
/// arrive: once a frame stands for more than `max` payload bytes it is
/// reported as [`Error::FrameTooLong`], and the rest of it is skipped up to
/// its end (the next flag, or `DLE ETX`/`DLE STX`). While waiting for the end
/// of a frame the decoder holds at most `2 * max + 1` bytes (every byte
/// escaped, and an escape byte whose partner has not arrived). As for
/// [`Cobs`](crate::Cobs), `len` in a decoder's `FrameTooLong` counts the
/// payload bytes that had arrived when the error was raised: the exact
/// length when the whole frame had arrived, a lower bound otherwise.
///
/// At the end of the stream, a frame without its end is
/// [`Error::Truncated`].
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use framewise::Stuffed;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut codec = Stuffed::hdlc();
/// let mut wire = BytesMut::new();
/// codec.encode(&b"\x11\x7e\x22\x7d"[..], &mut wire)?;
/// assert_eq!(&wire[..], b"\x7e\x11\x7d\x5e\x22\x7d\x5d\x7e");
/// assert_eq!(codec.decode(&mut wire)?.unwrap(), &b"\x11\x7e\x22\x7d"[..]);
///
/// let mut codec = Stuffed::dle();
/// codec.encode(&b"\x11\x10\x22"[..], &mut wire)?;
/// assert_eq!(&wire[..], b"\x10\x02\x11\x10\x10\x22\x10\x03");
/// assert_eq!(codec.decode(&mut wire)?.unwrap(), &b"\x11\x10\x22"[..]);
/// # Ok::<(), framewise::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Stuffed {
    engine: Engine,
}

impl Stuffed {
    /// HDLC-like framing (RFC 1662): flag `0x7E`, escape `0x7D`, XOR `0x20`;
    /// 1 MiB limit.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(framewise::Stuffed::hdlc().max_frame_len(), 1024 * 1024);
    /// ```
    pub fn hdlc() -> Self {
        Stuffed {
            engine: Engine::with(
                Scheme::Xor {
                    flag: 0x7E,
                    escape: 0x7D,
                    xor: 0x20,
                },
                true,
            ),
        }
    }

    /// DLE-STX/ETX framing with DLE doubling; 1 MiB limit.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{Encode, Stuffed};
    ///
    /// let mut buf = [0u8; 8];
    /// let n = Stuffed::dle().encode_to_slice(b"", &mut buf)?;
    /// assert_eq!(&buf[..n], b"\x10\x02\x10\x03");
    /// # Ok::<(), framewise::Error>(())
    /// ```
    pub fn dle() -> Self {
        Stuffed {
            engine: Engine::with(Scheme::Dle, false),
        }
    }

    /// HDLC-like framing with other bytes: frames between `flag` bytes, and
    /// `escape` followed by the byte XOR `xor` for a flag or escape byte of
    /// the payload.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] when the escaped forms would be ambiguous: the flag
    /// equal to the escape byte, an `xor` of 0, or a flag or escape byte
    /// that XORs to the flag or the escape byte.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::Stuffed;
    ///
    /// let codec = Stuffed::hdlc_like(0xC0, 0xDB, 0x20)?;
    /// assert!(Stuffed::hdlc_like(0x7E, 0x7D, 0x03).is_err()); // 7E ^ 03 = 7D
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn hdlc_like(flag: u8, escape: u8, xor: u8) -> Result<Self, ConfigError> {
        let special = [flag, escape];
        if flag == escape {
            return Err(ConfigError::invalid(
                "escape",
                reason!("the escape byte {escape:#04x} is the flag"),
            ));
        }
        if special.iter().any(|b| special.contains(&(b ^ xor))) {
            return Err(ConfigError::invalid(
                "xor",
                reason!(
                    "with xor {xor:#04x}, an escaped flag ({flag:#04x}) or escape byte ({escape:#04x}) is still a flag or escape byte"
                ),
            ));
        }
        Ok(Stuffed {
            engine: Engine::with(Scheme::Xor { flag, escape, xor }, true),
        })
    }

    /// The same codec with a limit of `max` bytes of un-stuffed payload.
    ///
    /// A limit is needed because a peer that never sends a frame's end would
    /// otherwise make the decoder buffer without end. Any value works.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use framewise::{Error, Stuffed};
    /// use tokio_util::codec::Decoder;
    ///
    /// let mut codec = Stuffed::hdlc().with_max_frame_len(2);
    /// let mut buf = BytesMut::from(&b"\x7eabc\x7e\x7eab\x7e"[..]);
    /// let err = codec.decode(&mut buf).unwrap_err();
    /// assert!(matches!(err, Error::FrameTooLong { len: 3, max: 2 }));
    /// assert_eq!(codec.decode(&mut buf)?.unwrap(), "ab");
    /// # Ok::<(), framewise::Error>(())
    /// ```
    pub fn with_max_frame_len(mut self, max: usize) -> Self {
        self.engine.set_max(max);
        self
    }

    /// The largest un-stuffed payload accepted, in bytes.
    pub fn max_frame_len(&self) -> usize {
        self.engine.max()
    }

    /// The stuffing family and its bytes.
    pub fn stuffing(&self) -> Stuffing {
        match self.engine.scheme {
            Scheme::Xor { flag, escape, xor } => Stuffing::Hdlc { flag, escape, xor },
            Scheme::Dle => Stuffing::DleStxEtx,
            Scheme::Slip => unreachable!("a Stuffed codec is never SLIP"),
        }
    }
}

/// `DecodeMut` + `Encode` for a codec whose `engine` field is the stuffing
/// [`Engine`]: `Stuffed` and [`Slip`](crate::Slip) are that engine with
/// their own markers.
macro_rules! stuffing_codec {
    ($codec:ty) => {
        impl $crate::framing::DecodeMut for $codec {
            /// The next frame, un-stuffed in place.
            #[inline]
            fn decode_in_place(&mut self, src: &mut [u8]) -> $crate::framing::Decoded {
                self.engine.decode(src)
            }

            /// As [`decode_in_place`](crate::DecodeMut::decode_in_place); then a frame
            /// without its end is [`Error::Truncated`](crate::Error::Truncated).
            fn decode_in_place_eof(&mut self, src: &mut [u8]) -> $crate::framing::Decoded {
                self.engine.decode_eof(src)
            }
        }

        $crate::framing::encode_by_parts! {
            impl Encode for $codec => engine {
                /// The stuffed payload between its markers, or the refusal.
                ///
                /// # Errors
                ///
                /// [`Error::FrameTooLong`](crate::Error::FrameTooLong) over the
                /// limit; [`Error::Unencodable`](crate::Error::Unencodable) for
                /// an empty payload where the decoder skips empty frames.
                fn encoded_len;
                /// The payload `head ‖ tail`, stuffed as one.
                fn encoded_len_parts;
            }
        }
    };
}
pub(crate) use stuffing_codec;

stuffing_codec!(Stuffed);
