//! The buffer behind both `BorrowedReader`s (blocking and tokio): one `Vec`,
//! the codec, and where the unconsumed bytes are. It decides where the next
//! read goes; the two readers only do the reading.
//!
//! ```text
//! buf: [ handed out / free ][ start .. end: not yet decoded ][ next read ]
//! ```
//!
//! - A frame handed out stays where it is until the next call.
//! - When the next read does not fit after `end`, the unconsumed bytes (the
//!   start of one frame, or what little follows the last frame) move to the
//!   front, into a larger buffer if they must: each byte moves once.
//! - When the codec knows the size of the frame at the front
//!   ([`FrameLen::frame_len_hint`]) and it is large, the reads ask for
//!   exactly the rest of it, so it is read straight into place and the
//!   buffer is empty again after it: once the buffer has grown to the
//!   largest frame, a stream of large frames is never moved at all.
//! - The buffer grows to at most the codec's limit plus one read, and to no
//!   more than twice the bytes received (or one read): an announced length
//!   reserves nothing by itself.
//! - Where the buffer has room, bytes are placed so that their address is
//!   congruent to their stream offset modulo [`ALIGN`], a cache line. A
//!   frame read in place ends between two reads (a 64 KiB read, then the
//!   frame's last 4 bytes), so without this each read would land at a
//!   different offset from its source's alignment, and a large `memcpy`
//!   runs about 10% slower when source and destination are not aligned
//!   alike (the kernel's copy out of the page cache about 4%, see
//!   benches/NOTES.md). With it, a source
//!   aligned to its stream (a file, a mapped capture, an aligned buffer) is
//!   always copied cache line to cache line.

use std::ops::Range;

use crate::error::Error;
use crate::framing::{DecodeMut, Decoded, FrameLen, decode_in_place_at};

/// Bytes are placed congruent to their stream offset modulo this: a cache line.
const ALIGN: usize = 64;

/// How many bytes one read asks for, unless told otherwise.
pub(crate) const DEFAULT_READ_SIZE: usize = 8 * 1024;

/// What the reader does next.
pub(crate) enum Step {
    /// Hand out `buf[range]`.
    Frame(Range<usize>),
    /// Report this error.
    Error(Error),
    /// Read into [`ReadBuffer::read_slot`], then call [`ReadBuffer::filled`].
    Read,
    /// A clean end of stream (or the stream already ended with an error).
    End,
}

#[derive(Debug)]
pub(crate) struct ReadBuffer<D> {
    pub(crate) codec: D,
    /// Always initialized: reads go into `buf[end..]` as plain `&mut [u8]`.
    buf: Vec<u8>,
    /// The first byte the codec has not consumed.
    start: usize,
    /// The end of the bytes read.
    end: usize,
    read_size: usize,
    /// How many bytes were read in all (wrapping): the stream offset of `end`.
    received: usize,
    /// The reader returned 0: only the `_eof` decode is left.
    eof: bool,
    /// Nothing more will come: the end was reached or a fatal error seen.
    done: bool,
}

impl<D: DecodeMut + FrameLen> ReadBuffer<D> {
    pub(crate) fn new(codec: D, read_size: usize) -> Self {
        assert!(read_size > 0, "the read size must be at least 1 byte");
        ReadBuffer {
            codec,
            buf: Vec::new(),
            start: 0,
            end: 0,
            read_size,
            received: 0,
            eof: false,
            done: false,
        }
    }

    /// Decodes what is buffered: a frame, an error, the end, or a read to do.
    #[inline]
    pub(crate) fn step(&mut self) -> Step {
        if self.done {
            return Step::End;
        }
        let src = &mut self.buf[self.start..self.end];
        let answer = decode_in_place_at(&mut self.codec, src, self.eof);
        let at = self.start;
        self.start += answer.consumed();
        match answer {
            Decoded::Frame { start, len, .. } => Step::Frame(at + start..at + start + len),
            Decoded::Error { error, .. } => {
                // A fatal error (a corrupt header) would come back on every
                // call: the stream is over. A recoverable one may consume
                // nothing and still move the decoder on (a stuffed frame's
                // bad escape found in a one-byte read): decoding goes on.
                if !error.is_recoverable() {
                    self.done = true;
                }
                Step::Error(error)
            }
            Decoded::Incomplete { .. } if !self.eof => Step::Read,
            Decoded::Incomplete { .. } => {
                self.done = true;
                let buffered = self.end - self.start;
                self.start = self.end;
                if buffered == 0 {
                    Step::End
                } else {
                    // The codec's `_eof` decode reports a partial frame
                    // itself; this is only a backstop.
                    Step::Error(Error::Truncated { buffered })
                }
            }
        }
    }

    /// Where the next read goes, after making room for it.
    pub(crate) fn read_slot(&mut self) -> &mut [u8] {
        let tail = self.end - self.start;
        if tail == 0 {
            let at = self.fitting(self.received, self.read_size);
            self.start = at;
            self.end = at;
        }
        let max = self.codec.max_frame_len();
        let frame = self
            .codec
            .frame_len_hint(&self.buf[self.start..self.end])
            .filter(|&n| n > tail && n <= max);
        let want = match frame {
            // A frame of half a read or more: read exactly its rest, so it
            // lands in place and the buffer is empty after it. Room is made
            // for at most as much again as has arrived (or one read), so an
            // announced length alone reserves nothing: memory follows the
            // bytes received, and a huge frame grows the buffer by doubling.
            Some(n) if n >= self.read_size / 2 => (n - tail).min(tail.max(self.read_size)),
            _ => self.read_size,
        };
        if self.end + want > self.buf.len() {
            self.make_room(tail, want, max);
        }
        &mut self.buf[self.end..self.end + want]
    }

    /// Moves the unconsumed bytes to the front, into a larger buffer if
    /// `want` more bytes do not fit after them.
    #[cold]
    fn make_room(&mut self, tail: usize, want: usize, max: usize) {
        let needed = tail + want;
        let at = if needed <= self.buf.len() {
            let at = self.fitting(self.received.wrapping_sub(tail), needed);
            self.buf.copy_within(self.start..self.end, at);
            at
        } else {
            // Doubling keeps a long delimited frame from being moved once per
            // read; the cap keeps the buffer within the limit plus one read.
            let cap = max.saturating_add(self.read_size);
            let size = needed.max(cap.min(2 * self.buf.len()));
            let old = std::mem::replace(&mut self.buf, vec![0u8; size]);
            let at = self.fitting(self.received.wrapping_sub(tail), needed);
            self.buf[at..at + tail].copy_from_slice(&old[self.start..self.end]);
            at
        };
        self.start = at;
        self.end = at + tail;
    }

    /// The index in `buf` whose address is congruent to `stream_offset`
    /// modulo [`ALIGN`].
    #[inline]
    fn congruent(&self, stream_offset: usize) -> usize {
        stream_offset.wrapping_sub(self.buf.as_ptr() as usize) % ALIGN
    }

    /// Where `len` bytes starting at `stream_offset` go: congruent if they
    /// fit there, else at the front.
    fn fitting(&self, stream_offset: usize, len: usize) -> usize {
        let at = self.congruent(stream_offset);
        if at + len <= self.buf.len() { at } else { 0 }
    }

    /// Records a read of `n` bytes into the slot; 0 is the end of stream.
    #[inline]
    pub(crate) fn filled(&mut self, n: usize) {
        self.end += n;
        self.received = self.received.wrapping_add(n);
        if n == 0 {
            self.eof = true;
        }
    }

    /// Records a failed read: the stream is over.
    pub(crate) fn read_failed(&mut self) {
        self.done = true;
    }

    #[inline]
    pub(crate) fn frame(&self, range: Range<usize>) -> &[u8] {
        &self.buf[range]
    }

    /// Bytes read but not yet decoded.
    pub(crate) fn buffered(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    pub(crate) fn capacity(&self) -> usize {
        self.buf.len()
    }
}

/// The accessors every frame reader has (`FrameReader` and both
/// `BorrowedReader`s): the codec, at the field path given, and the
/// underlying reader in the field `inner`. Written once here so the three
/// keep the same names and words. `borrowed` adds what the two
/// `BorrowedReader`s (fields `inner` and `buf: ReadBuffer`) share besides
/// `read_frame`: the constructors and the buffer's accessors.
macro_rules! reader_accessors {
    (borrowed) => {
        /// Wraps `inner`, decoding with `codec`, reading 8 KiB at a time.
        pub fn new(inner: R, codec: D) -> Self {
            Self::with_read_size(inner, codec, $crate::read_buffer::DEFAULT_READ_SIZE)
        }

        /// Wraps `inner`, asking for `read_size` bytes per read.
        ///
        /// Larger reads mean fewer calls on fast streams; the buffer holds at
        /// most the codec's limit plus one read.
        ///
        /// # Panics
        ///
        /// If `read_size` is 0.
        pub fn with_read_size(inner: R, codec: D, read_size: usize) -> Self {
            BorrowedReader {
                inner,
                buf: $crate::read_buffer::ReadBuffer::new(codec, read_size),
            }
        }

        /// Bytes read but not yet decoded.
        pub fn read_buffer(&self) -> &[u8] {
            self.buf.buffered()
        }

        /// The size of the buffer now: at most the codec's limit plus one read.
        pub fn buffer_capacity(&self) -> usize {
            self.buf.capacity()
        }

        $crate::read_buffer::reader_accessors!(codec: buf.codec);
    };
    (codec: $($codec:ident).+) => {
        /// The codec.
        pub fn codec(&self) -> &D {
            &self.$($codec).+
        }

        /// The codec, mutably (to change its settings between frames).
        pub fn codec_mut(&mut self) -> &mut D {
            &mut self.$($codec).+
        }

        /// The underlying reader.
        pub fn get_ref(&self) -> &R {
            &self.inner
        }

        /// The underlying reader, mutably. Reading from it directly loses the
        /// framing of whatever is buffered here.
        pub fn get_mut(&mut self) -> &mut R {
            &mut self.inner
        }

        /// The underlying reader; bytes read but not decoded are dropped.
        pub fn into_inner(self) -> R {
            self.inner
        }
    };
}

pub(crate) use reader_accessors;
