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

use super::{Decode, DecodeMut, Decoded};
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
    Frames {
        codec,
        rest: buf,
        consumed: 0,
        eof: false,
        done: false,
    }
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
    FramesMut {
        codec,
        rest: buf,
        consumed: 0,
        eof: false,
        done: false,
    }
}

/// An iterator over the frames at the front of a caller's buffer, made by
/// [`frames`]: `Result<&[u8], Error>` items borrowed from that buffer.
///
/// It ends when the codec needs more bytes than the buffer holds, and after
/// an error that consumed nothing (an unrecoverable one, such as
/// [`Error::CorruptHeader`]). A recoverable error (an oversized frame) is
/// yielded and the frames after it follow.
///
/// [`consumed`](Frames::consumed) tells how many bytes from the front of the
/// buffer are done with; the caller keeps the rest (the
/// [`remainder`](Frames::remainder)) and hands it back, followed by the
/// bytes that arrive next, to the same codec, which remembers where it was.
/// Bytes of an oversized frame are consumed as they arrive, so the remainder
/// stays under the codec's limit.
#[derive(Debug)]
pub struct Frames<'c, 'b, D: ?Sized> {
    codec: &'c mut D,
    /// The bytes not consumed yet.
    rest: &'b [u8],
    consumed: usize,
    /// The buffer holds the end of the stream: decode with the `_eof` methods.
    eof: bool,
    /// The codec needs more bytes, or answered an error without progress.
    done: bool,
}

impl<'b, D: Decode + ?Sized> Frames<'_, 'b, D> {
    /// Says that the buffer ends the stream (a whole capture file): a last
    /// partial frame is then [`Error::Truncated`], or a final unterminated
    /// line is a frame, as the codec's `decode_slice_eof` decides.
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

    /// The bytes after [`consumed`](Frames::consumed): keep them for the
    /// next call.
    pub fn remainder(&self) -> &'b [u8] {
        self.rest
    }
}

impl<'b, D: Decode + ?Sized> Iterator for Frames<'_, 'b, D> {
    type Item = Result<&'b [u8], Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.rest;
        let answer = if self.eof {
            self.codec.decode_slice_eof(rest)
        } else {
            self.codec.decode_slice(rest)
        };
        // Each arm builds its item in place: moving a finished item (it can
        // hold an `Error`) costs more than decoding a small frame.
        match answer {
            Decoded::Frame {
                start,
                len,
                consumed,
            } => {
                self.advance(consumed);
                Some(Ok(&rest[start..start + len]))
            }
            Decoded::Incomplete { consumed } => {
                self.advance(consumed);
                self.done = true;
                None
            }
            Decoded::Error { consumed, error } => {
                self.advance(consumed);
                // Nothing consumed: the codec would answer the same again.
                self.done = consumed == 0;
                Some(Err(error))
            }
        }
    }
}

impl<D: Decode + ?Sized> Frames<'_, '_, D> {
    #[inline]
    fn advance(&mut self, consumed: usize) {
        self.rest = &self.rest[consumed..];
        self.consumed += consumed;
    }
}

impl<D: Decode + ?Sized> FusedIterator for Frames<'_, '_, D> {}

/// An iterator over the frames at the front of a caller's buffer, decoded in
/// place, made by [`frames_mut`]: `Result<&mut [u8], Error>` items.
///
/// The same rules as [`Frames`]. A codec that rewrites frames in place may
/// have started on the unfinished frame in the
/// [`remainder`](FramesMut::into_remainder): hand those bytes back as they
/// are.
#[derive(Debug)]
pub struct FramesMut<'c, 'b, D: ?Sized> {
    codec: &'c mut D,
    /// The bytes not consumed yet.
    rest: &'b mut [u8],
    consumed: usize,
    /// The buffer holds the end of the stream: decode with the `_eof` methods.
    eof: bool,
    /// The codec needs more bytes, or answered an error without progress.
    done: bool,
}

impl<'b, D: DecodeMut + ?Sized> FramesMut<'_, 'b, D> {
    /// Says that the buffer ends the stream; see [`Frames::at_eof`].
    #[must_use]
    pub fn at_eof(mut self) -> Self {
        self.eof = true;
        self
    }

    /// Bytes from the front of the buffer that are done with.
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// The bytes after [`consumed`](FramesMut::consumed).
    pub fn remainder(&self) -> &[u8] {
        self.rest
    }

    /// The bytes after [`consumed`](FramesMut::consumed), for as long as the
    /// buffer is borrowed.
    pub fn into_remainder(self) -> &'b mut [u8] {
        self.rest
    }
}

impl<'b, D: DecodeMut + ?Sized> Iterator for FramesMut<'_, 'b, D> {
    type Item = Result<&'b mut [u8], Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        // Taken out so the frame and the rest are two disjoint borrows of
        // the whole buffer's lifetime.
        let rest = core::mem::take(&mut self.rest);
        let answer = if self.eof {
            self.codec.decode_in_place_eof(rest)
        } else {
            self.codec.decode_in_place(rest)
        };
        let consumed = answer.consumed();
        let (done_with, rest) = rest.split_at_mut(consumed);
        self.rest = rest;
        self.consumed += consumed;
        match answer {
            Decoded::Frame { start, len, .. } => Some(Ok(&mut done_with[start..start + len])),
            Decoded::Incomplete { .. } => {
                self.done = true;
                None
            }
            Decoded::Error { error, .. } => {
                self.done = consumed == 0;
                Some(Err(error))
            }
        }
    }
}

impl<D: DecodeMut + ?Sized> FusedIterator for FramesMut<'_, '_, D> {}
