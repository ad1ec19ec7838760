//! tokio-util's `Decoder` and `Encoder` on every codec type (feature `tokio`).
//!
//! `Framed::new(io, LengthPrefixed::new())` works because of these impls.
//! Each one is a call into the codec's core ([`DecodeMut`](crate::DecodeMut),
//! [`Encode`](crate::Encode)) through [`owned`](crate::owned): the framing
//! logic lives in the codec's own file, once.
//!
//! Every encoder takes both `Bytes` and `&[u8]` items, so item-less sink
//! calls name the item type: `SinkExt::<Bytes>::flush(&mut framed)`.

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::error::Error;
use crate::owned;

/// `Decoder` with `Bytes` frames and `Encoder<Bytes>` + `Encoder<&[u8]>`.
macro_rules! bytes_codecs {
    ($($codec:ty),* $(,)?) => {$(
        bytes_codecs!(@impl [] $codec);
    )*};
    // A generic codec: `bytes_codecs!(@impl [C: Bound] Wrapper<C>)`.
    (@impl [$($generics:tt)*] $codec:ty) => {
        impl<$($generics)*> Decoder for $codec {
            type Item = Bytes;
            type Error = Error;

            #[inline]
            fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
                owned::decode(self, src, false)
            }

            fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
                owned::decode(self, src, true)
            }
        }

        impl<$($generics)*> Encoder<Bytes> for $codec {
            type Error = Error;

            #[inline]
            fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), Error> {
                owned::encode(self, &item, dst)
            }
        }

        impl<$($generics)*> Encoder<&[u8]> for $codec {
            type Error = Error;

            #[inline]
            fn encode(&mut self, item: &[u8], dst: &mut BytesMut) -> Result<(), Error> {
                owned::encode(self, item, dst)
            }
        }
    };
}

bytes_codecs!(crate::LengthPrefixed);
bytes_codecs!(
    crate::Slip,
    crate::Stuffed,
    crate::Netstring,
    crate::OctetCounting,
    crate::HexLength,
);
bytes_codecs!(@impl [C: crate::DecodeMut + crate::Encode] crate::Crc<C>);
