//! [`FrameLen`] on every codec type: what [`BorrowedReader`] asks to size its
//! one buffer.
//!
//! A codec whose frames announce no length only gives its limit: add it to
//! the `frame_len!` list at the bottom (one line). A codec that reads a
//! length before the frame also gives a hint, as [`LengthPrefixed`] does.
//!
//! [`BorrowedReader`]: crate::blocking::BorrowedReader

use crate::framing::FrameLen;

/// `FrameLen` from the largest frame a codec accepts, as it lies on the
/// wire: the limit (which counts what each codec documents) plus what framing
/// can add to it, at most.
macro_rules! frame_len {
    ($($codec:ty => |$c:ident| $wire:expr),* $(,)?) => {$(
        impl FrameLen for $codec {
            #[inline]
            fn max_frame_len(&self) -> usize {
                let $c = self;
                $wire
            }
        }
    )*};
}

// Frames that announce no length: the bound only.
frame_len!(
    // The limit counts the frame with its delimiter unless it is stripped.
    crate::Delimited => |c| c
        .max_frame_len()
        .saturating_add(c.delimiters().map(<[u8]>::len).max().unwrap_or(0)),
    // The limit counts the line without `\r\n`.
    crate::Lines => |c| c.max_frame_len().saturating_add(2),
    // The payload limit, stuffed: a code byte per 254 bytes, one more, `00`.
    crate::Cobs => |c| {
        let max = c.max_frame_len();
        max.saturating_add(max / 254).saturating_add(2)
    },
    crate::Raw => |c| c.max_frame_len(),
    // Every byte may be escaped; a leading and a trailing END.
    crate::Slip => |c| c.max_frame_len().saturating_mul(2).saturating_add(2),
    // Every byte may be escaped; two flags, or DLE STX and DLE ETX.
    crate::Stuffed => |c| c.max_frame_len().saturating_mul(2).saturating_add(4),
    // Up to 20 digits, `:` and `,` around the payload.
    crate::Netstring => |c| c.max_frame_len().saturating_add(22),
    // Up to 20 digits and a space before the payload.
    crate::OctetCounting => |c| c.max_frame_len().saturating_add(21),
    crate::HexLength => |c| c.max_frame_len().saturating_add(c.width()),
);

impl FrameLen for crate::FixedLength {
    #[inline]
    fn max_frame_len(&self) -> usize {
        crate::FixedLength::max_frame_len(self)
    }

    /// Every frame is `frame_len()` bytes, known before any arrive.
    #[inline]
    fn frame_len_hint(&self, _src: &[u8]) -> Option<usize> {
        Some(self.frame_len())
    }
}

impl<C: FrameLen> FrameLen for crate::Crc<C> {
    #[inline]
    fn max_frame_len(&self) -> usize {
        self.inner().max_frame_len()
    }

    #[inline]
    fn frame_len_hint(&self, src: &[u8]) -> Option<usize> {
        self.inner().frame_len_hint(src)
    }
}

#[cfg(feature = "std")]
impl FrameLen for crate::AnyCodec {
    /// The bound of the codec held.
    fn max_frame_len(&self) -> usize {
        None.or_else(|| self.as_length().map(FrameLen::max_frame_len))
            .or_else(|| self.as_delimited().map(FrameLen::max_frame_len))
            .or_else(|| self.as_lines().map(FrameLen::max_frame_len))
            .or_else(|| self.as_fixed().map(FrameLen::max_frame_len))
            .or_else(|| self.as_cobs().map(FrameLen::max_frame_len))
            .or_else(|| self.as_raw().map(FrameLen::max_frame_len))
            .or_else(|| self.as_slip().map(FrameLen::max_frame_len))
            .or_else(|| self.as_stuffed().map(FrameLen::max_frame_len))
            .or_else(|| self.as_netstring().map(FrameLen::max_frame_len))
            .or_else(|| self.as_octet_counting().map(FrameLen::max_frame_len))
            .or_else(|| self.as_hex_length().map(FrameLen::max_frame_len))
            .or_else(|| self.as_crc().map(FrameLen::max_frame_len))
            .unwrap_or_else(|| crate::AnyCodec::max_frame_len(self))
    }

    /// The hint of a length-prefixed or fixed-length codec held.
    #[inline]
    fn frame_len_hint(&self, src: &[u8]) -> Option<usize> {
        if let Some(c) = self.as_length() {
            c.frame_len_hint(src)
        } else {
            self.as_fixed().and_then(|c| c.frame_len_hint(src))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::{Decode, Decoded};
    use crate::length::{LengthPrefixed, Width};

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
