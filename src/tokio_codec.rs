//! tokio-util's `Decoder` and `Encoder` on every codec type (feature `tokio`).
//!
//! `Framed::new(io, LengthPrefixed::new())` works because of these impls.
//! Each one is a call into the codec's core ([`DecodeMut`](crate::DecodeMut),
//! [`Encode`](crate::Encode)) through [`owned`](crate::owned): the framing
//! logic lives in the codec's own file, once.
//!
//! Every encoder takes both `Bytes` and `&[u8]` items, so item-less sink
//! calls name the item type: `SinkExt::<Bytes>::flush(&mut framed)`.

use bytes::{Buf, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::delimited::Quick;
use crate::error::Error;
use crate::lines::{DecodedLine, QuickLine};
use crate::owned;
use crate::{Delimited, Lines};

/// `Decoder` with `Bytes` frames and `Encoder<Bytes>` + `Encoder<&[u8]>`.
macro_rules! bytes_codecs {
    ($($codec:ty),* $(,)?) => {$(
        bytes_codecs!(@impl [] $codec);
    )*};
    // A generic codec: `bytes_codecs!(@impl [C: Bound] Wrapper<C>)`.
    (@impl [$($generics:tt)*] $codec:ty) => {
        owned::bytes_decoder!(Decoder, [$($generics)*] $codec);
        bytes_encoders!(@impl [$($generics)*] $codec);
    };
}

/// `Encoder<Bytes>` + `Encoder<&[u8]>`.
macro_rules! bytes_encoders {
    ($($codec:ty),* $(,)?) => {$(
        bytes_encoders!(@impl [] $codec);
    )*};
    (@impl [$($generics:tt)*] $codec:ty) => {
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

bytes_codecs!(
    crate::LengthPrefixed,
    crate::FixedLength,
    crate::Cobs,
    crate::Raw,
    crate::AnyCodec,
);
// Delimited's decoder is below: its common case skips the `Decoded` round trip.
bytes_encoders!(Delimited);

impl Decoder for Delimited {
    type Item = Bytes;
    type Error = Error;

    /// The common case straight from the core's `decode_quick`,
    /// without a round trip through a `Decoded`; every other case through
    /// `owned::decode`.
    #[inline]
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        match self.decode_quick(src) {
            Quick::Frame { len, consumed } => {
                // Split the frame off and leave it untouched: writing to the
                // split-off BytesMut (truncate) before freezing it costs a
                // store-forwarding stall per frame.
                let frame = src.split_to(len).freeze();
                src.advance(consumed - len);
                Ok(Some(frame))
            }
            Quick::Incomplete => Ok(None),
            Quick::Other => owned::decode(self, src, false),
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        owned::decode(self, src, true)
    }
}

/// `Lines`, every case: `String` lines, from the `&str` the core has
/// already checked.
#[inline]
fn decode_string(
    codec: &mut Lines,
    src: &mut BytesMut,
    eof: bool,
) -> Result<Option<String>, Error> {
    let (answer, consumed) = match codec.decode_line(src, eof) {
        DecodedLine::Line { line, consumed, .. } => (Ok(Some(line.to_owned())), consumed),
        DecodedLine::Incomplete { consumed } => (Ok(None), consumed),
        DecodedLine::Error { consumed, error } => (Err(error), consumed),
    };
    if consumed > 0 {
        src.advance(consumed);
    }
    answer
}

/// `Lines`: a line given as text, so already UTF-8.
#[inline]
fn encode_str(codec: &Lines, line: &str, dst: &mut BytesMut) -> Result<(), Error> {
    let len = codec.line_encoded_len(line.as_bytes())?;
    dst.reserve(len);
    crate::Encode::write_frame(codec, line.as_bytes(), len, dst);
    Ok(())
}

impl Decoder for Lines {
    type Item = String;
    type Error = Error;

    /// Takes the next line from `src`.
    ///
    /// # Errors
    ///
    /// [`Error::FrameTooLong`] once per line over the limit, and
    /// [`Error::InvalidUtf8`] for a line that is not UTF-8; either way the next
    /// call goes on with the line after it.
    #[inline]
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<String>, Error> {
        match self.decode_quick(src) {
            QuickLine::Line { line, consumed } => {
                let line = line.to_owned();
                src.advance(consumed);
                Ok(Some(line))
            }
            QuickLine::Incomplete => Ok(None),
            QuickLine::Other => decode_string(self, src, false),
        }
    }

    /// Like `decode`, and then the bytes after the last `\n` are returned as a
    /// final line (without a final `\r`).
    ///
    /// # Errors
    ///
    /// As for `decode`, the final line included.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<String>, Error> {
        decode_string(self, src, true)
    }
}

impl Encoder<&str> for Lines {
    type Error = Error;

    #[inline]
    fn encode(&mut self, line: &str, dst: &mut BytesMut) -> Result<(), Error> {
        encode_str(self, line, dst)
    }
}

impl Encoder<String> for Lines {
    type Error = Error;

    #[inline]
    fn encode(&mut self, line: String, dst: &mut BytesMut) -> Result<(), Error> {
        encode_str(self, &line, dst)
    }
}
bytes_codecs!(
    crate::Slip,
    crate::Stuffed,
    crate::Netstring,
    crate::OctetCounting,
    crate::HexLength,
);
bytes_codecs!(@impl [C: crate::DecodeMut + crate::Encode] crate::Crc<C>);
