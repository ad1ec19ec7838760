//! Borrowed frames over tokio's `AsyncRead` (feature `tokio`): the async
//! twin of [`blocking::BorrowedReader`](crate::blocking::BorrowedReader).
//!
//! The same buffer logic, the same guarantees; only the read is awaited.
//! Reads go into the initialized buffer through `ReadBuf::new`, so no
//! `unsafe` code is needed.
//!
//! ```text
//!  AsyncRead --> tokio_io::BorrowedReader --> &[u8] frames (valid until the next call)
//! ```

use std::future::poll_fn;
use std::io;
use std::pin::Pin;

use tokio::io::{AsyncRead, ReadBuf};

use crate::error::Error;
use crate::framing::{DecodeMut, FrameLen};
use crate::read_buffer::{ReadBuffer, Step, reader_accessors};

/// Reads frames from any tokio [`AsyncRead`] into one buffer and lends them
/// out as `&[u8]`: no allocation and no copy per frame.
///
/// Everything said of [`blocking::BorrowedReader`](crate::blocking::BorrowedReader)
/// holds: a frame lives until the next call, `Ok(None)` is a clean end of
/// stream, a partial last frame is [`Error::Truncated`], recoverable errors
/// are returned and reading goes on, one buffer of at most the codec's limit
/// plus one read, large frames read straight into place, bytes placed
/// congruent to their stream offset modulo 64.
///
/// # Cancel safety
///
/// [`read_frame`](Self::read_frame) is cancel safe: dropping its future
/// loses no bytes (a read that completed is recorded in the same poll), so
/// it can sit in a `tokio::select!` loop.
///
/// # Examples
///
/// ```
/// use framewise::LengthPrefixed;
/// use framewise::tokio_io::BorrowedReader;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), framewise::Error> {
/// let wire = &b"\x00\x00\x00\x02hi\x00\x00\x00\x03you"[..]; // any AsyncRead
/// let mut reader = BorrowedReader::new(wire, LengthPrefixed::new());
/// assert_eq!(reader.read_frame().await?, Some(&b"hi"[..]));
/// assert_eq!(reader.read_frame().await?, Some(&b"you"[..]));
/// assert_eq!(reader.read_frame().await?, None);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct BorrowedReader<R, D> {
    inner: R,
    buf: ReadBuffer<D>,
}

impl<R: AsyncRead + Unpin, D: DecodeMut + FrameLen> BorrowedReader<R, D> {
    reader_accessors!(borrowed);

    /// Reads the next frame: `Ok(None)` at a clean end of stream.
    ///
    /// # Errors
    ///
    /// Whatever the codec reports, and I/O errors from the reader
    /// (`Interrupted` is retried). After an unrecoverable error
    /// ([`Error::is_recoverable`] is false) every later call returns `Ok(None)`.
    pub async fn read_frame(&mut self) -> Result<Option<&[u8]>, Error> {
        loop {
            match self.buf.step() {
                Step::Frame(range) => return Ok(Some(self.buf.frame(range))),
                Step::Error(e) => return Err(e),
                Step::End => return Ok(None),
                Step::Read => {
                    let mut slot = ReadBuf::new(self.buf.read_slot());
                    let inner = &mut self.inner;
                    match poll_fn(|cx| Pin::new(&mut *inner).poll_read(cx, &mut slot)).await {
                        Ok(()) => {
                            let n = slot.filled().len();
                            self.buf.filled(n);
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            self.buf.read_failed();
                            return Err(e.into());
                        }
                    }
                }
            }
        }
    }
}
