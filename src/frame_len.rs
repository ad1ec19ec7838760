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
