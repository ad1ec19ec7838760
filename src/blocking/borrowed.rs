//! [`BorrowedReader`]: frames as slices of one buffer, over any `std::io::Read`.

use std::io::{self, Read};

use crate::error::Error;
use crate::framing::{DecodeMut, FrameLen};
use crate::read_buffer::{ReadBuffer, Step, reader_accessors};

/// Reads frames from any [`Read`] into one buffer and lends them out as
/// `&[u8]`: no allocation and no copy per frame.
///
/// - A frame lives until the next call to [`read_frame`](Self::read_frame).
/// - `Ok(None)` is a clean end of stream; a partial frame at the end is
///   [`Error::Truncated`].
/// - A recoverable error (an oversized frame) is returned and the next call
///   goes on with the next frame; after an unrecoverable one (an I/O error,
///   a corrupt length header) every later call returns `Ok(None)`.
/// - It owns one buffer, which grows to at most the codec's limit plus one
///   read, and only as bytes arrive (a length header alone reserves
///   nothing). The rest of a large frame whose length the codec announces
///   ([`FrameLen::frame_len_hint`], length-prefixed framing) is read straight
///   into place: once the buffer has grown to the largest frame, frames are
///   never moved, and a stream of large frames is not copied beyond the read
///   itself. Otherwise only the unfinished end of a read moves to the front
///   of the buffer, once.
/// - Where the buffer has room, each byte lands at an address congruent to
///   its stream offset modulo 64 (a cache line), so a source aligned to its
///   stream (a file, a mapped capture) is copied cache line to cache line.
///   A frame's slice is therefore not aligned in any other way.
///
/// Any codec works, COBS included ([`DecodeMut`] decodes in place). Reads go
/// straight to the reader, in 8 KiB requests by default
/// ([`with_read_size`](Self::with_read_size)), so a `BufReader` adds nothing.
///
/// # Examples
///
/// ```
/// use framewise::LengthPrefixed;
/// use framewise::blocking::BorrowedReader;
///
/// let wire = &b"\x00\x00\x00\x05hello\x00\x00\x00\x05world"[..];
/// let mut reader = BorrowedReader::new(wire, LengthPrefixed::new());
/// let mut total = 0;
/// while let Some(frame) = reader.read_frame()? {
///     total += frame.len(); // borrowed until the next read_frame
/// }
/// assert_eq!(total, 10);
/// # Ok::<(), framewise::Error>(())
/// ```
#[derive(Debug)]
pub struct BorrowedReader<R, D> {
    inner: R,
    buf: ReadBuffer<D>,
}

impl<R: Read, D: DecodeMut + FrameLen> BorrowedReader<R, D> {
    reader_accessors!(borrowed);

    /// Reads the next frame: `Ok(None)` at a clean end of stream.
    ///
    /// # Errors
    ///
    /// Whatever the codec reports, and I/O errors from the reader
    /// (`Interrupted` is retried, not reported). After an unrecoverable error
    /// ([`Error::is_recoverable`] is false) every later call returns `Ok(None)`.
    #[inline]
    pub fn read_frame(&mut self) -> Result<Option<&[u8]>, Error> {
        loop {
            match self.buf.step() {
                Step::Frame(range) => return Ok(Some(self.buf.frame(range))),
                Step::Error(e) => return Err(e),
                Step::End => return Ok(None),
                Step::Read => self.fill()?,
            }
        }
    }

    /// One `read` into the buffer. Kept out of line: most calls find a
    /// frame already buffered.
    #[inline(never)]
    fn fill(&mut self) -> Result<(), Error> {
        let slot = self.buf.read_slot();
        let n = loop {
            match self.inner.read(slot) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.read_failed();
                    return Err(e.into());
                }
            }
        };
        self.buf.filled(n);
        Ok(())
    }
}
