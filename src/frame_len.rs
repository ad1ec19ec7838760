//! [`FrameLen`] on every codec type: what [`BorrowedReader`] asks to size its
//! one buffer.
//!
//! A codec whose frames announce no length only gives its limit: add it to
//! the `frame_len!` list at the bottom (one line). A codec that reads a
//! length before the frame also gives a hint, as [`LengthPrefixed`] does.
//!
//! [`BorrowedReader`]: crate::blocking::BorrowedReader

use crate::framing::FrameLen;
use crate::length::{Endian, LengthPrefixed, Width};

// The header read below repeats what `LengthPrefixed::head` does, from the
// public settings, only because this branch could not edit src/length.rs.
// TODO(merge): move this impl into length.rs as
// `match self.head(src) { Ok(Head::Frame { total, .. }) => usize::try_from(total).ok(), _ => None }`.
impl FrameLen for LengthPrefixed {
    #[inline]
    fn max_frame_len(&self) -> usize {
        LengthPrefixed::max_frame_len(self)
    }

    /// The whole frame on the wire, once its header has arrived.
    fn frame_len_hint(&self, src: &[u8]) -> Option<usize> {
        let field = src.get(self.offset()..)?;
        let (value, field_len) = match self.width().fixed_size() {
            Some(n) => {
                let bytes = field.get(..n)?;
                let mut be = [0u8; 8];
                match self.endian() {
                    Endian::Big => be[8 - n..].copy_from_slice(bytes),
                    Endian::Little => {
                        for (i, &b) in bytes.iter().enumerate() {
                            be[7 - i] = b;
                        }
                    }
                }
                (u64::from_be_bytes(be), n)
            }
            None => {
                debug_assert_eq!(self.width(), Width::Varint);
                let mut value = 0u64;
                let mut len = None;
                for (i, &b) in field.iter().take(10).enumerate() {
                    value |= u64::from(b & 0x7f).checked_shl(7 * i as u32)?;
                    if b & 0x80 == 0 {
                        len = Some(i + 1);
                        break;
                    }
                }
                (value, len?)
            }
        };
        let total =
            i128::from(value) + self.adjustment() as i128 + (self.offset() + field_len) as i128;
        usize::try_from(total).ok()
    }
}

/// `FrameLen` from each codec's own `max_frame_len()`, with no hint.
macro_rules! frame_len {
    ($($codec:ty),* $(,)?) => {$(
        impl FrameLen for $codec {
            #[inline]
            fn max_frame_len(&self) -> usize {
                <$codec>::max_frame_len(self)
            }
        }
    )*};
}

// TODO(merge): crate::Delimited, crate::Lines, crate::Cobs, crate::Raw (and
// FixedLength and AnyCodec, better with a hint: `frame_len()`, and the inner
// codec's hint).
frame_len!();

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::{Decode, Decoded};

    /// The hint, once the header is in, is the frame the decoder consumes.
    fn hint_matches_decoder(codec: LengthPrefixed, wire: &[u8]) {
        let mut decoder = codec.clone();
        let Decoded::Frame { consumed, .. } = decoder.decode_slice(wire) else {
            panic!("a whole frame");
        };
        assert_eq!(consumed, wire.len());
        let mut hinted = None;
        for end in 0..wire.len() {
            let mut decoder = codec.clone();
            assert!(matches!(
                decoder.decode_slice(&wire[..end]),
                Decoded::Incomplete { consumed: 0 }
            ));
            if let Some(n) = codec.frame_len_hint(&wire[..end]) {
                assert_eq!(n, consumed, "hint from {end} bytes");
                hinted.get_or_insert(end);
            }
        }
        assert!(hinted.is_some(), "no hint before the frame was whole");
    }

    #[test]
    fn length_hint_is_the_frame_on_the_wire() {
        hint_matches_decoder(LengthPrefixed::new(), b"\x00\x00\x00\x03abc");
        let le16 = LengthPrefixed::builder()
            .width(Width::U16)
            .little_endian()
            .build()
            .unwrap();
        hint_matches_decoder(le16, b"\x03\x00abc");
        // Netty's example 6: an offset, an adjustment, part of the header kept.
        let netty = LengthPrefixed::builder()
            .offset(1)
            .width(Width::U16)
            .adjustment(1)
            .strip(3)
            .build()
            .unwrap();
        hint_matches_decoder(netty, b"\xca\x00\x02\xfehi");
        let mut varint = [7u8; 302]; // 300 in LEB128, then 300 bytes
        varint[..2].copy_from_slice(&[0xac, 0x02]);
        hint_matches_decoder(LengthPrefixed::varint(), &varint);
        let u24 = LengthPrefixed::builder().width(Width::U24).build().unwrap();
        hint_matches_decoder(u24, b"\x00\x00\x02hi");
    }

    #[test]
    fn length_hint_waits_for_the_header() {
        assert_eq!(LengthPrefixed::new().frame_len_hint(b"\x00\x00\x01"), None);
        assert_eq!(LengthPrefixed::varint().frame_len_hint(b"\x80\x80"), None);
        assert_eq!(LengthPrefixed::new().max_frame_len(), 8 * 1024 * 1024);
    }
}
