//! asynchronous-codec's `Decoder` and `Encoder` on every codec type (feature
//! `futures-io`): `asynchronous_codec::Framed` over any futures-io stream
//! (smol, async-std, `tokio_util::compat`).
//!
//! Each impl is a call into the codec's core through [`owned`](crate::owned),
//! exactly as the tokio-util impls are: same frames, same errors.
//!
//! Frames are `Bytes`. asynchronous-codec's `Encoder` has one item type (with
//! a lifetime), so the encoders take `&[u8]`: send any owned payload as a
//! slice of it (`framed.send(&frame[..])`), with no copy before encoding.

use asynchronous_codec::{Decoder, Encoder};
use bytes::BytesMut;

use crate::error::Error;
use crate::owned;

/// `Decoder` with `Bytes` frames and `Encoder` with `&[u8]` items.
macro_rules! futures_codecs {
    ($($codec:ty),* $(,)?) => {$(
        futures_codecs!(@impl [] $codec);
    )*};
    // A generic codec: `futures_codecs!(@impl [C: Bound] Wrapper<C>)`.
    (@impl [$($generics:tt)*] $codec:ty) => {
        owned::bytes_decoder!(Decoder, [$($generics)*] $codec);

        impl<$($generics)*> Encoder for $codec {
            type Item<'a> = &'a [u8];
            type Error = Error;

            #[inline]
            fn encode(&mut self, item: &[u8], dst: &mut BytesMut) -> Result<(), Error> {
                owned::encode(self, item, dst)
            }
        }
    };
}

// `Lines` too, with `Bytes` frames: asynchronous-codec users mostly want the
// bytes, and the lines are checked UTF-8 by the core all the same.
futures_codecs!(
    crate::LengthPrefixed,
    crate::Delimited,
    crate::Lines,
    crate::FixedLength,
    crate::Cobs,
    crate::Raw,
    crate::Slip,
    crate::Stuffed,
    crate::Netstring,
    crate::OctetCounting,
    crate::HexLength,
    crate::AnyCodec,
);
futures_codecs!(@impl [C: crate::DecodeMut + crate::Encode] crate::Crc<C>);
