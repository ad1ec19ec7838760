//! The owned-buffer side shared by the tokio-util and asynchronous-codec
//! adapters: a core answer turned into a `Bytes` frame cut from a `BytesMut`,
//! and an item encoded onto the end of one.
//!
//! Both crates hand the decoder the same thing (a `BytesMut` of the bytes
//! received so far), so the two adapter files are only trait impls that call
//! these two functions.

use bytes::{Buf, Bytes, BytesMut};

use crate::error::Error;
use crate::framing::{DecodeMut, Decoded, Encode, decode_in_place_at};

/// Runs the core decoder on `src` and cuts the frame out of it.
///
/// The frame is split off and frozen without copying; the bytes around the
/// payload (a header, a trailing delimiter) are dropped from the handles, so
/// the payload is never moved.
#[inline]
pub(crate) fn decode<D: DecodeMut + ?Sized>(
    codec: &mut D,
    src: &mut BytesMut,
    eof: bool,
) -> Result<Option<Bytes>, Error> {
    let answer = decode_in_place_at(codec, src, eof);
    match answer {
        Decoded::Frame {
            start,
            len,
            consumed,
        } => {
            let end = start + len;
            let frame = src.split_to(end);
            if consumed > end {
                src.advance(consumed - end);
            }
            // Strip from the frozen handle, not the split-off BytesMut: no
            // store to it before freezing.
            let mut frame = frame.freeze();
            if start > 0 {
                frame.advance(start);
            }
            Ok(Some(frame))
        }
        Decoded::Incomplete { consumed } => {
            if consumed > 0 {
                src.advance(consumed);
            }
            Ok(None)
        }
        Decoded::Error { consumed, error } => {
            if consumed > 0 {
                src.advance(consumed);
            }
            Err(error)
        }
    }
}

/// `impl $decoder for $codec` (tokio-util's or asynchronous-codec's
/// `Decoder`, which have the same methods), with `Bytes` frames cut by
/// [`decode`]; `[$generics]` for a generic codec.
macro_rules! bytes_decoder {
    ($decoder:path, [$($generics:tt)*] $codec:ty) => {
        impl<$($generics)*> $decoder for $codec {
            type Item = bytes::Bytes;
            type Error = $crate::Error;

            #[inline]
            fn decode(
                &mut self,
                src: &mut bytes::BytesMut,
            ) -> Result<Option<bytes::Bytes>, $crate::Error> {
                $crate::owned::decode(self, src, false)
            }

            fn decode_eof(
                &mut self,
                src: &mut bytes::BytesMut,
            ) -> Result<Option<bytes::Bytes>, $crate::Error> {
                $crate::owned::decode(self, src, true)
            }
        }
    };
}
pub(crate) use bytes_decoder;

/// Appends `payload`, framed, to `dst`: one reservation, no zero-fill.
#[inline]
pub(crate) fn encode<E: Encode + ?Sized>(
    codec: &E,
    payload: &[u8],
    dst: &mut BytesMut,
) -> Result<(), Error> {
    let len = codec.encoded_len(payload)?;
    dst.reserve(len);
    codec.write_frame(payload, len, dst);
    Ok(())
}
