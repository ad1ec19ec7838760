//! [`FrameReader`] and [`FrameWriter`]: owned items through tokio-util's
//! `Decoder` and `Encoder` (feature `tokio`).

use std::io::{self, Read, Write};

use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

use crate::error::Error;
use crate::read_buffer::reader_accessors;

/// How many bytes one `read` call asks for.
const READ_SIZE: usize = 8 * 1024;

/// Buffered bytes above which [`FrameWriter::feed`] writes them out.
const WRITE_HIGH_WATER: usize = 64 * 1024;

/// Reads frames from any [`Read`] with a framewise codec.
///
/// An [`Iterator`] of `Result<Item, Error>`: it ends at a clean end of stream.
/// A recoverable error (an oversized frame, a bad line) is yielded and the
/// iteration goes on with the next frame; after an unrecoverable one (an I/O
/// error, a corrupt length header, a truncated last frame) the iterator ends.
///
/// Reads go straight to the underlying reader in 8 KiB requests, so wrapping
/// it in a `BufReader` adds nothing.
///
/// # Examples
///
/// ```
/// use framewise::Lines;
/// use framewise::blocking::FrameReader;
///
/// let input = &b"one\r\ntwo\nthree"[..];
/// let lines: Vec<String> = FrameReader::new(input, Lines::new()).collect::<Result<_, _>>()?;
/// assert_eq!(lines, ["one", "two", "three"]);
/// # Ok::<(), framewise::Error>(())
/// ```
#[derive(Debug)]
pub struct FrameReader<R, D> {
    inner: R,
    codec: D,
    buf: BytesMut,
    /// The reader returned 0: only `decode_eof` is left.
    eof: bool,
    /// Nothing more will come: end of stream reached or a fatal error seen.
    done: bool,
}

impl<R: Read, D: Decoder<Error = Error>> FrameReader<R, D> {
    /// Wraps `inner`, decoding with `codec`.
    pub fn new(inner: R, codec: D) -> Self {
        FrameReader {
            inner,
            codec,
            buf: BytesMut::new(),
            eof: false,
            done: false,
        }
    }

    /// Reads the next frame: `Ok(None)` at a clean end of stream.
    ///
    /// # Errors
    ///
    /// Whatever the codec reports, and I/O errors from the reader
    /// (`Interrupted` is retried, not reported). After an unrecoverable error
    /// ([`Error::is_recoverable`] is false) every later call returns `Ok(None)`.
    pub fn read_frame(&mut self) -> Result<Option<D::Item>, Error> {
        let result = self.next_frame();
        match &result {
            Ok(None) => self.done = true,
            Err(e) if !e.is_recoverable() || self.eof => self.done = true,
            _ => {}
        }
        result
    }

    fn next_frame(&mut self) -> Result<Option<D::Item>, Error> {
        if self.done {
            return Ok(None);
        }
        loop {
            if self.eof {
                return self.codec.decode_eof(&mut self.buf);
            }
            if let Some(frame) = self.codec.decode(&mut self.buf)? {
                return Ok(Some(frame));
            }
            self.fill()?;
        }
    }

    /// One `read` into the spare end of the buffer.
    fn fill(&mut self) -> Result<(), Error> {
        let len = self.buf.len();
        self.buf.resize(len + READ_SIZE, 0);
        let n = loop {
            match self.inner.read(&mut self.buf[len..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(len);
                    return Err(e.into());
                }
            }
        };
        self.buf.truncate(len + n);
        self.eof = n == 0;
        Ok(())
    }

    /// Bytes read but not yet decoded.
    pub fn read_buffer(&self) -> &[u8] {
        &self.buf
    }

    reader_accessors!(codec: codec);
}

impl<R: Read, D: Decoder<Error = Error>> Iterator for FrameReader<R, D> {
    type Item = Result<D::Item, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.read_frame().transpose()
    }
}

/// Writes frames to any [`Write`] with a framewise codec.
///
/// [`send`](Self::send) writes one frame and flushes; [`feed`](Self::feed)
/// only buffers (writing once 64 KiB are waiting), and
/// [`flush`](Self::flush) writes what is buffered: feed many frames, flush
/// once, and pipelined traffic costs one write instead of one per frame.
///
/// Dropping the writer writes what is still buffered and ignores errors, as
/// `BufWriter` does; call [`flush`](Self::flush) or
/// [`into_inner`](Self::into_inner) to see them.
///
/// # Examples
///
/// ```
/// use framewise::Lines;
/// use framewise::blocking::FrameWriter;
///
/// let mut w = FrameWriter::new(Vec::new(), Lines::crlf());
/// w.feed("HELO example")?;
/// w.feed("QUIT")?;
/// assert_eq!(w.into_inner()?, b"HELO example\r\nQUIT\r\n");
/// # Ok::<(), framewise::Error>(())
/// ```
#[derive(Debug)]
pub struct FrameWriter<W: Write, E> {
    /// `None` only after `into_inner` took it, so `Drop` skips the flush.
    inner: Option<W>,
    codec: E,
    buf: BytesMut,
}

impl<W: Write, E> FrameWriter<W, E> {
    /// Wraps `inner`, encoding with `codec`.
    pub fn new(inner: W, codec: E) -> Self {
        FrameWriter {
            inner: Some(inner),
            codec,
            buf: BytesMut::new(),
        }
    }

    /// Encodes `item` into the write buffer, writing the buffer out once it
    /// holds 64 KiB.
    ///
    /// # Errors
    ///
    /// The codec's refusal (nothing is buffered then), or an I/O error.
    pub fn feed<I>(&mut self, item: I) -> Result<(), Error>
    where
        E: Encoder<I, Error = Error>,
    {
        self.codec.encode(item, &mut self.buf)?;
        if self.buf.len() >= WRITE_HIGH_WATER {
            self.write_buffered()?;
        }
        Ok(())
    }

    /// Encodes `item`, writes it and everything buffered, and flushes.
    ///
    /// # Errors
    ///
    /// The codec's refusal (nothing is written for this item), or an I/O error.
    pub fn send<I>(&mut self, item: I) -> Result<(), Error>
    where
        E: Encoder<I, Error = Error>,
    {
        self.codec.encode(item, &mut self.buf)?;
        self.flush()
    }

    /// Writes everything buffered and flushes the underlying writer.
    ///
    /// # Errors
    ///
    /// An I/O error from the writer; what was not written stays buffered.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.write_buffered()?;
        self.writer().flush()?;
        Ok(())
    }

    fn write_buffered(&mut self) -> Result<(), Error> {
        let inner = self
            .inner
            .as_mut()
            .expect("writer present until into_inner");
        while !self.buf.is_empty() {
            match inner.write(&self.buf) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
                Ok(n) => {
                    let _ = self.buf.split_to(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    fn writer(&mut self) -> &mut W {
        self.inner
            .as_mut()
            .expect("writer present until into_inner")
    }

    /// The codec.
    pub fn codec(&self) -> &E {
        &self.codec
    }

    /// The codec, mutably.
    pub fn codec_mut(&mut self) -> &mut E {
        &mut self.codec
    }

    /// Encoded bytes not yet written.
    pub fn write_buffer(&self) -> &[u8] {
        &self.buf
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        self.inner
            .as_ref()
            .expect("writer present until into_inner")
    }

    /// The underlying writer, mutably. Writing to it directly while frames
    /// are buffered here interleaves bytes in the middle of the framing.
    pub fn get_mut(&mut self) -> &mut W {
        self.writer()
    }

    /// Flushes, then gives back the underlying writer.
    ///
    /// # Errors
    ///
    /// An I/O error from the final flush.
    pub fn into_inner(mut self) -> Result<W, Error> {
        self.flush()?;
        Ok(self.inner.take().expect("writer present until into_inner"))
    }
}

impl<W: Write, E> Drop for FrameWriter<W, E> {
    fn drop(&mut self) {
        if self.inner.is_some() {
            // Errors cannot be reported from drop; `flush` reports them.
            let _ = self.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, LengthPrefixed};

    /// A reader that returns one byte per call and an `Interrupted` between.
    struct Trickle<'a> {
        data: &'a [u8],
        interrupt: bool,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            self.interrupt = !self.interrupt;
            if self.interrupt {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let Some((&b, rest)) = self.data.split_first() else {
                return Ok(0);
            };
            out[0] = b;
            self.data = rest;
            Ok(1)
        }
    }

    #[test]
    fn reader_one_byte_reads_and_interrupts() {
        let wire = b"\x00\x00\x00\x02hi\x00\x00\x00\x03you";
        let r = FrameReader::new(
            Trickle {
                data: wire,
                interrupt: false,
            },
            LengthPrefixed::new(),
        );
        let frames: Vec<_> = r.collect::<Result<_, _>>().unwrap();
        assert_eq!(frames, ["hi", "you"]);
    }

    #[test]
    fn reader_truncated_then_ends() {
        let mut r = FrameReader::new(&b"\x00\x00\x00\x09abc"[..], LengthPrefixed::new());
        assert!(matches!(
            r.next(),
            Some(Err(Error::Truncated { buffered: 7 }))
        ));
        assert!(r.next().is_none());
    }

    #[test]
    fn reader_goes_on_after_recoverable_error() {
        let codec = LengthPrefixed::builder().max_frame_len(6).build().unwrap();
        let wire = b"\x00\x00\x00\x05toolong\x00\x00\x00\x02ok";
        let mut wire = wire.to_vec();
        wire.drain(9..11); // the 5-byte frame is "toolo"
        let out: Vec<_> = FrameReader::new(&wire[..], codec)
            .map(|r| r.map_err(|e| e.to_string()))
            .collect();
        assert_eq!(
            out,
            vec![
                Err("frame of 9 bytes exceeds the limit of 6".to_string()),
                Ok(bytes::Bytes::from_static(b"ok"))
            ]
        );
    }

    #[test]
    fn writer_feed_batches_until_flush() {
        let mut w = FrameWriter::new(Vec::new(), LengthPrefixed::new());
        w.feed(&b"a"[..]).unwrap();
        w.feed(&b"b"[..]).unwrap();
        assert!(w.get_ref().is_empty(), "feed must not write small frames");
        w.flush().unwrap();
        assert_eq!(
            w.get_ref().as_slice(),
            b"\x00\x00\x00\x01a\x00\x00\x00\x01b"
        );
    }

    #[test]
    fn writer_refusal_writes_nothing() {
        let codec = LengthPrefixed::builder().max_frame_len(5).build().unwrap();
        let mut w = FrameWriter::new(Vec::new(), codec);
        assert!(matches!(
            w.send(&b"too long"[..]),
            Err(Error::FrameTooLong { .. })
        ));
        assert!(w.write_buffer().is_empty());
        assert!(w.into_inner().unwrap().is_empty());
    }
}
