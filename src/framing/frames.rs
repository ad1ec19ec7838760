//! The slice API: frames out of a buffer the caller owns.
//!
//! For code that brings its own memory (a DMA ring, a memory-mapped capture,
//! a static array on a microcontroller): hand over the bytes received so
//! far, take the frames out as slices of them, then keep the bytes the
//! iterator did not consume for the next round. No allocation, `no_std`.
//!
//! ```text
//! buf:  [ frame ][ frame ][ start of a frame ]
//!        \_____ consumed() ______/\_ remainder() _/
//!                                   keep these, append the next bytes
//! ```

use core::iter::FusedIterator;

use super::{Decode, DecodeMut, Decoded, decode_in_place_at};
use crate::error::Error;

/// The frames at the front of `buf`, for a [`Decode`] codec; see [`Frames`].
///
/// # Examples
///
/// Bytes arrive in pieces (here from a UART, into a fixed array); each
/// round takes the whole frames out and keeps the rest:
///
/// ```
/// use framewise::framing::frames;
/// use framewise::{LengthPrefixed, Width};
///
/// let mut codec = LengthPrefixed::builder().width(Width::U8).max_frame_len(64).build()?;
/// let mut buf = [0u8; 64];
/// let mut filled = 0;
/// let mut got = Vec::new();
/// for piece in [&b"\x02hi\x03y"[..], b"ou\x01", b"!"] {
///     buf[filled..filled + piece.len()].copy_from_slice(piece);
///     filled += piece.len();
///     let mut it = frames(&mut codec, &buf[..filled]);
///     for frame in &mut it {
///         got.push(frame?.to_vec());
///     }
///     let used = it.consumed();
///     buf.copy_within(used..filled, 0); // keep the start of the next frame
///     filled -= used;
/// }
/// assert_eq!(got, [&b"hi"[..], b"you", b"!"]);
/// assert_eq!(filled, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn frames<'c, 'b, D: Decode + ?Sized>(codec: &'c mut D, buf: &'b [u8]) -> Frames<'c, 'b, D> {
    SliceFrames::new(codec, buf)
}

/// The frames at the front of `buf`, decoded in place, for any
/// [`DecodeMut`] codec (COBS un-stuffs them where they lie); see [`FramesMut`].
///
/// # Examples
///
/// ```
/// use framewise::framing::frames_mut;
/// use framewise::{LengthPrefixed, Width};
///
/// let mut codec = LengthPrefixed::builder().width(Width::U8).build()?;
/// let mut buf = *b"\x02hi\x03you\x05he";
/// let mut it = frames_mut(&mut codec, &mut buf);
/// for frame in &mut it {
///     frame?.make_ascii_uppercase(); // frames are yours to rewrite
/// }
/// assert_eq!(it.consumed(), 7);
/// assert_eq!(it.into_remainder(), b"\x05he");
/// assert_eq!(&buf[..7], b"\x02HI\x03YOU");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn frames_mut<'c, 'b, D: DecodeMut + ?Sized>(
    codec: &'c mut D,
    buf: &'b mut [u8],
) -> FramesMut<'c, 'b, D> {
    SliceFrames::new(codec, buf)
}

/// An iterator over the frames at the front of a caller's buffer `B`, made
/// by [`frames`] ([`Frames`], over `&[u8]`) or [`frames_mut`]
/// ([`FramesMut`], over `&mut [u8]`, decoded in place): `Result<B, Error>`
/// items, frames borrowed from that buffer.
///
/// It ends when the codec needs more bytes than the buffer holds, and after
/// an error that consumed nothing (an unrecoverable one, such as
/// [`Error::CorruptHeader`]). A recoverable error (an oversized frame) is
/// yielded and the frames after it follow.
///
/// [`consumed`](SliceFrames::consumed) tells how many bytes from the front of
/// the buffer are done with; the caller keeps the rest (the `remainder`) and
/// hands it back, followed by the bytes that arrive next, to the same codec,
/// which remembers where it was. Bytes of an oversized frame are consumed as
/// they arrive, so the remainder stays under the codec's limit. A codec that
/// rewrites frames in place may have started on the unfinished frame in the
/// remainder of a [`FramesMut`]: hand those bytes back as they are.
#[derive(Debug)]
pub struct SliceFrames<'c, B, D: ?Sized> {
    codec: &'c mut D,
    /// The bytes not consumed yet.
    rest: B,
    consumed: usize,
    /// The buffer holds the end of the stream: decode with the `_eof` methods.
    eof: bool,
    /// The codec needs more bytes, or answered an error without progress.
    done: bool,
}

/// The frames of a `&[u8]`, made by [`frames`]: `Result<&[u8], Error>` items.
pub type Frames<'c, 'b, D> = SliceFrames<'c, &'b [u8], D>;

/// The frames of a `&mut [u8]`, decoded in place, made by [`frames_mut`]:
/// `Result<&mut [u8], Error>` items.
pub type FramesMut<'c, 'b, D> = SliceFrames<'c, &'b mut [u8], D>;

impl<'c, B, D: ?Sized> SliceFrames<'c, B, D> {
    fn new(codec: &'c mut D, buf: B) -> Self {
        SliceFrames {
            codec,
            rest: buf,
            consumed: 0,
            eof: false,
            done: false,
        }
    }

    /// Says that the buffer ends the stream (a whole capture file): a last
    /// partial frame is then [`Error::Truncated`], or a final unterminated
    /// line is a frame, as the codec's `_eof` decode decides.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::framing::frames;
    /// use framewise::{Error, LengthPrefixed, Width};
    ///
    /// let mut codec = LengthPrefixed::builder().width(Width::U8).build()?;
    /// let capture = b"\x02hi\x05hel";
    /// let out: Vec<_> = frames(&mut codec, capture).at_eof().collect();
    /// assert_eq!(out[0].as_ref().unwrap(), b"hi");
    /// assert!(matches!(out[1], Err(Error::Truncated { buffered: 4 })));
    /// assert_eq!(out.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn at_eof(mut self) -> Self {
        self.eof = true;
        self
    }

    /// Bytes from the front of the buffer that are done with: the frames
    /// yielded so far, and any bytes the codec skipped.
    pub fn consumed(&self) -> usize {
        self.consumed
    }
}

impl<'b, D: ?Sized> Frames<'_, 'b, D> {
    /// The bytes after [`consumed`](SliceFrames::consumed): keep them for
    /// the next call.
    pub fn remainder(&self) -> &'b [u8] {
        self.rest
    }
}

impl<'b, D: ?Sized> FramesMut<'_, 'b, D> {
    /// The bytes after [`consumed`](SliceFrames::consumed).
    pub fn remainder(&self) -> &[u8] {
        self.rest
    }

    /// The bytes after [`consumed`](SliceFrames::consumed), for as long as
    /// the buffer is borrowed.
    pub fn into_remainder(self) -> &'b mut [u8] {
        self.rest
    }
}

mod sealed {
    use super::{Decode, DecodeMut, Decoded, decode_in_place_at};

    /// A buffer [`SliceFrames`](super::SliceFrames) lends frames from, and
    /// how a codec `D` decodes it.
    pub trait Rest<D: ?Sized>: Default {
        /// Decodes the front of the buffer (the `_eof` decode when `eof`).
        fn decode(&mut self, codec: &mut D, eof: bool) -> Decoded;
        /// `(..at, at..)`, for the buffer's whole lifetime.
        fn split(self, at: usize) -> (Self, Self);
        /// The `len` bytes from `start`.
        fn frame(self, start: usize, len: usize) -> Self;
    }

    impl<D: Decode + ?Sized> Rest<D> for &[u8] {
        #[inline]
        fn decode(&mut self, codec: &mut D, eof: bool) -> Decoded {
            if eof {
                codec.decode_slice_eof(self)
            } else {
                codec.decode_slice(self)
            }
        }

        #[inline]
        fn split(self, at: usize) -> (Self, Self) {
            self.split_at(at)
        }

        #[inline]
        fn frame(self, start: usize, len: usize) -> Self {
            &self[start..start + len]
        }
    }

    impl<D: DecodeMut + ?Sized> Rest<D> for &mut [u8] {
        #[inline]
        fn decode(&mut self, codec: &mut D, eof: bool) -> Decoded {
            decode_in_place_at(codec, self, eof)
        }

        #[inline]
        fn split(self, at: usize) -> (Self, Self) {
            self.split_at_mut(at)
        }

        #[inline]
        fn frame(self, start: usize, len: usize) -> Self {
            &mut self[start..start + len]
        }
    }
}

impl<B: sealed::Rest<D>, D: ?Sized> Iterator for SliceFrames<'_, B, D> {
    type Item = Result<B, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        // Taken out so the frame and the rest are two disjoint borrows of
        // the whole buffer's lifetime.
        let mut rest = core::mem::take(&mut self.rest);
        let answer = rest.decode(self.codec, self.eof);
        let consumed = answer.consumed();
        let (done_with, rest) = rest.split(consumed);
        self.rest = rest;
        self.consumed += consumed;
        match answer {
            Decoded::Frame { start, len, .. } => Some(Ok(done_with.frame(start, len))),
            Decoded::Incomplete { .. } => {
                self.done = true;
                None
            }
            Decoded::Error { error, .. } => {
                // Nothing consumed: the codec would answer the same again.
                self.done = consumed == 0;
                Some(Err(error))
            }
        }
    }
}

impl<B: sealed::Rest<D>, D: ?Sized> FusedIterator for SliceFrames<'_, B, D> {}
