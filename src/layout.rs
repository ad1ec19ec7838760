//! Which bytes of an encoded frame are framing, and which carry the payload:
//! what the demo brackets, asked of the codec rather than guessed from its
//! spec.
//!
//! ```text
//! "length:u16,crc=crc16-xmodem", "123456789":
//!   00 0b  31 32 33 34 35 36 37 38 39  31 c3
//!   Header Payload                     Checksum
//!
//! "slip", 01 C0 02:
//!   01       DB     DC       02       C0
//!   Payload  Escape Payload  Payload  End
//! ```

use std::ops::Range;

use crate::Stuffing;
use crate::any::AnyCodec;
use crate::error::Error;
use crate::framing::{DecodeMut, Decoded};

/// What a run of bytes of an encoded frame is for.
///
/// # Examples
///
/// ```
/// use framewise::WirePart;
/// assert!(WirePart::Header.is_framing());
/// assert!(!WirePart::Payload.is_framing());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WirePart {
    /// Framing before the payload: a length field (binary, decimal or hex
    /// digits, with the `:` or space after them), bytes before it in a
    /// header layout, an opening flag or END, `DLE STX`.
    Header,
    /// Bytes that carry the payload. After an [`Escape`](WirePart::Escape),
    /// the byte standing for the escaped payload byte.
    Payload,
    /// A byte that says the next one is escaped: SLIP's ESC `DB`, HDLC's
    /// `7D`, the first DLE of a doubled DLE.
    Escape,
    /// A COBS code byte: how far the next zero of the payload is.
    Code,
    /// Framing after the payload: a delimiter or line end, a closing END or
    /// flag, `DLE ETX`, a netstring's `,`, COBS's closing `00`.
    End,
    /// A [`Crc`](crate::Crc) trailer's bytes (escaped ones keep their
    /// [`Escape`](WirePart::Escape) byte; a COBS code byte standing for a
    /// zero of the checksum stays a [`Code`](WirePart::Code)).
    Checksum,
}

impl WirePart {
    /// Whether these bytes are framing: anything but the payload.
    pub fn is_framing(self) -> bool {
        self != WirePart::Payload
    }
}

/// A run of bytes of an encoded frame, and what they are for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WireSpan {
    /// What the bytes are for.
    pub part: WirePart,
    /// Where they are in the frame.
    pub range: Range<usize>,
}

/// One byte of a frame: its part, and how many payload bytes it stands for
/// once decoded (0 or 1), which is how a trailer is found at the end of a
/// stuffed payload.
#[derive(Debug, Clone, Copy)]
struct Role {
    part: WirePart,
    decoded: u8,
}

impl Role {
    /// A byte of framing, which decodes to nothing.
    const fn framing(part: WirePart) -> Role {
        Role { part, decoded: 0 }
    }
}

const HEADER: Role = Role::framing(WirePart::Header);
const PAYLOAD: Role = Role {
    part: WirePart::Payload,
    decoded: 1,
};
const ESCAPE: Role = Role::framing(WirePart::Escape);
const END: Role = Role::framing(WirePart::End);

impl AnyCodec {
    /// The layout of one encoded frame at the front of `frame`: which bytes
    /// are framing (a header, escapes, COBS codes, an end marker, a
    /// checksum) and which carry the payload.
    ///
    /// The spans are in order, cover the frame from its first byte to its
    /// last (bytes after it are not covered), and adjacent spans differ in
    /// [`part`](WireSpan::part). The codec is asked, not its spec: this works
    /// for any codec value, header layouts with an offset included.
    ///
    /// # Errors
    ///
    /// The decoder's error when `frame` does not start with a whole, valid
    /// frame of this codec (a checksum that does not match, a frame over the
    /// limit, [`Error::Truncated`] for a partial one).
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{AnyCodec, Encode, WirePart, WireSpan};
    ///
    /// let codec: AnyCodec = "netstring".parse()?;
    /// let mut wire = [0u8; 16];
    /// let n = codec.encode_to_slice(b"hello", &mut wire)?;
    /// assert_eq!(&wire[..n], b"5:hello,");
    /// let layout = codec.wire_layout(&wire[..n])?;
    /// assert_eq!(
    ///     layout,
    ///     [
    ///         WireSpan { part: WirePart::Header, range: 0..2 },
    ///         WireSpan { part: WirePart::Payload, range: 2..7 },
    ///         WireSpan { part: WirePart::End, range: 7..8 },
    ///     ]
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// A checksum inside a stuffed payload:
    ///
    /// ```
    /// use framewise::{AnyCodec, Encode, WirePart};
    ///
    /// let codec: AnyCodec = "cobs,crc=crc16-xmodem".parse()?;
    /// let mut wire = [0u8; 16];
    /// let n = codec.encode_to_slice(b"123456789", &mut wire)?;
    /// let parts: Vec<(WirePart, usize)> = codec
    ///     .wire_layout(&wire[..n])?
    ///     .into_iter()
    ///     .map(|s| (s.part, s.range.len()))
    ///     .collect();
    /// assert_eq!(
    ///     parts,
    ///     [(WirePart::Code, 1), (WirePart::Payload, 9), (WirePart::Checksum, 2), (WirePart::End, 1)]
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wire_layout(&self, frame: &[u8]) -> Result<Vec<WireSpan>, Error> {
        // Decoding the whole codec checks the frame, checksum included.
        decode(self, frame)?;
        let roles = roles(self, frame)?;
        let mut spans: Vec<WireSpan> = Vec::new();
        for (at, role) in roles.iter().enumerate() {
            match spans.last_mut() {
                Some(last) if last.part == role.part => last.range.end = at + 1,
                _ => spans.push(WireSpan {
                    part: role.part,
                    range: at..at + 1,
                }),
            }
        }
        Ok(spans)
    }
}

/// Where the first frame of `frame` is, as `codec` (a clone of it, so the
/// caller's state is untouched) decodes it at the end of a stream.
fn decode(codec: &AnyCodec, frame: &[u8]) -> Result<(usize, usize, usize), Error> {
    let mut copy = frame.to_vec();
    match codec.clone().decode_in_place_eof(&mut copy) {
        Decoded::Frame {
            start,
            len,
            consumed,
        } => Ok((start, len, consumed)),
        Decoded::Error { error, .. } => Err(error),
        Decoded::Incomplete { .. } => Err(Error::Truncated {
            buffered: frame.len(),
        }),
    }
}

/// The role of each byte of the first frame of `frame`, which `codec`
/// decodes without an error.
fn roles(codec: &AnyCodec, frame: &[u8]) -> Result<Vec<Role>, Error> {
    if let Some(crc) = codec.as_crc() {
        let mut roles = roles(crc.inner(), frame)?;
        mark_trailer(&mut roles, crc.trailer_len());
        return Ok(roles);
    }
    let (start, len, consumed) = decode(codec, frame)?;
    let frame = &frame[..consumed];
    let roles = if codec.as_cobs().is_some() {
        cobs(frame)
    } else if codec.as_slip().is_some() {
        flagged(frame, 0xC0, 0xDB)
    } else if let Some(stuffed) = codec.as_stuffed() {
        match stuffed.stuffing() {
            Stuffing::Hdlc { flag, escape, .. } => flagged(frame, flag, escape),
            _ => dle(frame),
        }
    } else {
        // Framings that do not rewrite the payload: it is `start..start + len`.
        let mut header_end = start;
        let mut end_start = start + len;
        if let Some(length) = codec.as_length() {
            // A layout that keeps its header in the frame still has one.
            let field = match length.width().fixed_size() {
                Some(size) => size,
                None => varint_len(frame.get(length.offset()..).unwrap_or_default()),
            };
            header_end = header_end.max(length.offset() + field).min(end_start);
        } else if let Some(delimited) = codec.as_delimited()
            && delimited.keeps_delimiter()
        {
            let kept = delimited
                .delimiters()
                .filter(|d| frame[start..end_start].ends_with(d))
                .map(<[u8]>::len)
                .max()
                .unwrap_or(0);
            end_start -= kept;
        }
        (0..consumed)
            .map(|at| match at {
                _ if at < header_end => HEADER,
                _ if at < end_start => PAYLOAD,
                _ => END,
            })
            .collect()
    };
    Ok(roles)
}

/// The bytes of a varint at the front of `bytes`: up to the first without
/// its continuation bit.
fn varint_len(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|b| b & 0x80 == 0)
        .map_or(bytes.len(), |i| i + 1)
}

/// The last `width` payload bytes, counted as decoded, become the checksum.
fn mark_trailer(roles: &mut [Role], width: usize) {
    let mut left = width;
    for role in roles.iter_mut().rev() {
        if left == 0 {
            break;
        }
        if role.decoded == 0 {
            continue;
        }
        left -= 1;
        if role.part == WirePart::Payload {
            role.part = WirePart::Checksum;
        }
    }
}

/// COBS: a code byte, the bytes it covers, the next code byte, ..., `00`.
fn cobs(frame: &[u8]) -> Vec<Role> {
    let end = frame.len().saturating_sub(1);
    let mut roles = Vec::with_capacity(frame.len());
    let mut at = 0;
    // Whether the next code byte stands for a zero of the payload: it does
    // after a block shorter than 254 bytes.
    let mut zero_before = false;
    while at < end {
        let code = usize::from(frame[at]).max(1);
        roles.push(Role {
            part: WirePart::Code,
            decoded: u8::from(zero_before),
        });
        let data = (code - 1).min(end - at - 1);
        roles.extend(std::iter::repeat_n(PAYLOAD, data));
        zero_before = code < 0xFF;
        at += 1 + data;
    }
    roles.extend(std::iter::repeat_n(END, frame.len() - roles.len()));
    roles
}

/// SLIP and HDLC-like: flags before the frame, `escape` pairs, the closing flag.
fn flagged(frame: &[u8], flag: u8, escape: u8) -> Vec<Role> {
    let mut roles = Vec::with_capacity(frame.len());
    let opening = frame.iter().take_while(|&&b| b == flag).count();
    roles.extend(std::iter::repeat_n(HEADER, opening));
    let mut escaped = false;
    for &b in &frame[opening..] {
        roles.push(match b {
            _ if escaped => {
                escaped = false;
                PAYLOAD
            }
            _ if b == escape => {
                escaped = true;
                ESCAPE
            }
            _ if b == flag => END,
            _ => PAYLOAD,
        });
    }
    roles
}

/// DLE-STX/ETX: anything up to `DLE STX`, doubled DLEs, `DLE ETX`.
fn dle(frame: &[u8]) -> Vec<Role> {
    const DLE: u8 = 0x10;
    const STX: u8 = 0x02;
    let opening = frame
        .windows(2)
        .position(|w| w == [DLE, STX])
        .map_or(0, |i| i + 2);
    let mut roles = Vec::with_capacity(frame.len());
    roles.extend(std::iter::repeat_n(HEADER, opening));
    let mut at = opening;
    while at < frame.len() {
        match (frame[at], frame.get(at + 1)) {
            (DLE, Some(&DLE)) => {
                roles.extend([ESCAPE, PAYLOAD]);
                at += 2;
            }
            (DLE, _) => {
                // DLE ETX: the end of the frame.
                roles.extend(std::iter::repeat_n(END, frame.len() - at));
                break;
            }
            _ => {
                roles.push(PAYLOAD);
                at += 1;
            }
        }
    }
    roles
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_lengths() {
        assert_eq!(varint_len(b"\x05hello"), 1);
        assert_eq!(varint_len(b"\x80\x01"), 2);
        assert_eq!(varint_len(b"\xff\xff\xff\x7f\x00"), 4);
        // Cut short: all of it.
        assert_eq!(varint_len(b"\x80\x80"), 2);
    }

    #[test]
    fn cobs_zero_codes_count_as_decoded() {
        // "a\0b" is 02 61 02 62 00: the second code stands for the zero.
        let roles = cobs(b"\x02a\x02b\x00");
        let decoded: Vec<u8> = roles.iter().map(|r| r.decoded).collect();
        assert_eq!(decoded, [0, 1, 1, 1, 0]);
    }
}
