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
use bytes::{Bytes, BytesMut};

use crate::error::Error;
use crate::owned;

/// `Decoder` with `Bytes` frames and `Encoder` with `&[u8]` items.
macro_rules! futures_codecs {
    ($($codec:ty),* $(,)?) => {$(
        impl Decoder for $codec {
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

        impl Encoder for $codec {
            type Item<'a> = &'a [u8];
            type Error = Error;

            #[inline]
            fn encode(&mut self, item: &[u8], dst: &mut BytesMut) -> Result<(), Error> {
                owned::encode(self, item, dst)
            }
        }
    )*};
}

// TODO(merge): crate::Delimited, crate::Lines, crate::FixedLength, crate::Cobs,
// crate::Raw, crate::AnyCodec.
futures_codecs!(crate::LengthPrefixed);
