//! The one read-split harness, shared by the fuzz checks (`checks`) and the
//! main crate's property tests (`tests/support/codec.rs` includes this file).
//!
//! A stream is cut into reads. A [`Driver`] is one way into a codec: it takes
//! each read into its buffer and makes one decoder call at a time. [`drive`]
//! makes the calls the way `FramedRead` does and checks, with the same rules
//! for every way in:
//!
//! - **progress**: every call that returns a frame or an error consumes a
//!   byte or changes the state so that the next call does, and every read
//!   adds one "need more": at most `2 × bytes + 2 × reads + 8` calls;
//! - **fatal errors**: after an error [`Error::is_recoverable`] says is fatal,
//!   the run stops, and the next call (at end of stream too) repeats the same
//!   error (or, for a way in that owns the stream, finds nothing) without
//!   consuming anything;
//! - **end of stream**: `decode_eof` is called until it needs more, carrying
//!   on after recoverable errors (as `UdpFramed` does for every datagram).
//!   Then nothing may be left in the buffer unreported, and one more call
//!   finds nothing (the codec is ready for the next stream);
//! - **memory**: where the way in may grow its buffer, its room follows the
//!   bytes that arrived, never a length a header announces (the `BytesMut`
//!   adapters), and stays within the codec's bound plus one read (the
//!   `BorrowedReader`s); the most bytes held while waiting are reported;
//! - **answers**: a core frame lies inside the bytes it consumes, and no call
//!   consumes more than it was given.
//!
//! [`run_all`] drives every way in over the same reads and asserts they
//! agree: the core; the tokio-util adapter ([`Tokio`]); the futures-io
//! adapter ([`FuturesIo`], asynchronous-codec's `Decoder`, with the
//! `futures-io` feature); the slice API ([`Slices`], `frames_mut`); the
//! two `BorrowedReader`s ([`Blocking`], [`TokioReader`]). The first four
//! take the reads as they come and agree call for call: frames, errors,
//! bytes consumed. A `BorrowedReader` reads for itself, at most a read size
//! at a time, so it cuts the reads again: it must give the frames and
//! errors of the core over the very pieces it read ([`Rereads`]). After a
//! fatal error a `BorrowedReader` ends its stream instead of repeating the
//! error ([`Driver::FATAL_REPEATS`]). The fuzz checks see the result as
//! [`Outcome`] (errors as structured [`Event`]s); the property tests as
//! [`text::Outcome`] (errors by their Display).
//!
//! # Adding a way in
//!
//! A new adapter is one [`Driver`] impl, and one line in [`run_all_with`].
//! A way in over a caller's buffer is a copy of [`Tokio`] or [`Core`]; a
//! reader that reads for itself takes its bytes from a [`Source`] (which
//! answers "pending" until the next read is fed) and is compared through
//! [`Rereads`], like [`TokioReader`].

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

use bytes::{Bytes, BytesMut};
use framewise::framing::frames_mut;
use framewise::{DecodeMut, Decoded, Encode, Error, FrameLen};
use tokio_util::codec::Decoder;

// ---------------------------------------------------------------------------
// Reads.

/// Cuts `data` into reads at `cuts`, taken modulo the length, sorted and
/// deduplicated, so any list of numbers from a fuzzer or proptest works.
pub fn split<'a, C: Copy + Into<usize>>(data: &'a [u8], cuts: &[C]) -> Vec<&'a [u8]> {
    if data.is_empty() {
        return Vec::new();
    }
    let mut points: Vec<usize> = cuts.iter().map(|&c| c.into() % data.len()).collect();
    points.push(0);
    points.push(data.len());
    points.sort_unstable();
    points.dedup();
    points.windows(2).map(|w| &data[w[0]..w[1]]).collect()
}

/// `data` in one read (none when empty).
pub fn one_read(data: &[u8]) -> Vec<&[u8]> {
    if data.is_empty() {
        Vec::new()
    } else {
        vec![data]
    }
}

/// `data` one byte at a time.
pub fn byte_reads(data: &[u8]) -> Vec<&[u8]> {
    data.chunks(1).collect()
}

// ---------------------------------------------------------------------------
// Drivers: one per way into a codec.

/// What one decoder call answered.
#[derive(Debug)]
pub enum Answer<T> {
    /// A frame.
    Frame(T),
    /// No frame yet (`Ok(None)`, `Decoded::Incomplete`).
    Incomplete,
    /// A bad frame, or a lost stream.
    Error(Error),
}

/// One decoder call, as a driver reports it.
#[derive(Debug)]
pub struct Call<T> {
    /// The answer.
    pub answer: Answer<T>,
    /// Bytes the call took off the front of the buffer.
    pub consumed: usize,
}

/// One way into a codec, seen one decoder call at a time.
///
/// See the [module docs](self) for adding one.
pub trait Driver {
    /// The frames it hands out.
    type Frame;

    /// Whether the call after a fatal error repeats it (the core and the
    /// adapters over a caller's buffer), or finds nothing because the stream
    /// is over (the `BorrowedReader`s, which own the stream).
    const FATAL_REPEATS: bool = true;

    /// A read arrives: append it to the bytes the decoder is given.
    fn feed(&mut self, read: &[u8]);

    /// One decoder call (`decode_eof` when `eof`).
    fn call(&mut self, eof: bool) -> Call<Self::Frame>;

    /// Bytes in the buffer, waiting for the decoder.
    fn buffered(&self) -> usize;

    /// Panics if the memory this way in holds is past its bound, `fed` bytes
    /// having arrived. Nothing to check where the harness owns the buffer.
    fn assert_room(&self, _fed: usize) {}
}

/// Where the decoder may grow the buffer (the `BytesMut` adapters), its room
/// follows the bytes that arrived, never a length a header announces; the
/// buffer's own growth at most doubles what was asked for.
fn assert_room_follows_bytes(room: usize, fed: usize) {
    assert!(
        room <= 4 * fed + 64,
        "the read buffer has room for {room} bytes after {fed} bytes arrived"
    );
}

/// The framing core ([`DecodeMut`]) on a `Vec<u8>` the harness manages: each
/// answer's `consumed` bytes are dropped from its front, and frames are
/// copied out.
#[derive(Debug)]
pub struct Core<'a, D: ?Sized> {
    codec: &'a mut D,
    buf: Vec<u8>,
}

impl<'a, D: DecodeMut + ?Sized> Core<'a, D> {
    /// A driver over `codec`, with an empty buffer.
    pub fn new(codec: &'a mut D) -> Self {
        Core {
            codec,
            buf: Vec::new(),
        }
    }
}

impl<D: DecodeMut + ?Sized> Driver for Core<'_, D> {
    type Frame = Bytes;

    fn feed(&mut self, read: &[u8]) {
        self.buf.extend_from_slice(read);
    }

    fn call(&mut self, eof: bool) -> Call<Bytes> {
        let available = self.buf.len();
        let decoded = if eof {
            self.codec.decode_in_place_eof(&mut self.buf)
        } else {
            self.codec.decode_in_place(&mut self.buf)
        };
        let consumed = decoded.consumed();
        assert!(
            consumed <= available,
            "{decoded:?} consumes more than the {available} bytes given"
        );
        let answer = match decoded {
            Decoded::Frame { start, len, .. } => {
                assert!(
                    start + len <= consumed,
                    "frame {start}+{len} past consumed {consumed}"
                );
                Answer::Frame(Bytes::copy_from_slice(&self.buf[start..start + len]))
            }
            Decoded::Incomplete { .. } => Answer::Incomplete,
            Decoded::Error { error, .. } => Answer::Error(error),
        };
        self.buf.drain(..consumed);
        Call { answer, consumed }
    }

    fn buffered(&self) -> usize {
        self.buf.len()
    }
}

/// One call of an owned-frame adapter on its `BytesMut`: `consumed` is what
/// the call took off the front.
fn call_on_bytes_mut<T>(
    buf: &mut BytesMut,
    decode: impl FnOnce(&mut BytesMut) -> Result<Option<T>, Error>,
) -> Call<T> {
    let before = buf.len();
    let result = decode(buf);
    let consumed = before
        .checked_sub(buf.len())
        .expect("the decoder added bytes to the read buffer");
    let answer = match result {
        Ok(Some(frame)) => Answer::Frame(frame),
        Ok(None) => Answer::Incomplete,
        Err(e) => Answer::Error(e),
    };
    Call { answer, consumed }
}

/// An adapter that owns a `BytesMut` read buffer, as the framed streams
/// hold it: the tokio-util adapter ([`Tokio`], [`Decoder`], what
/// `FramedRead` calls) or the futures-io one ([`FuturesIo`],
/// `asynchronous_codec::Decoder`). The same calls, through either trait.
#[derive(Debug)]
pub struct OnBytesMut<'a, D, I> {
    codec: &'a mut D,
    buf: BytesMut,
    /// The adapter's `decode` (or `decode_eof` when the flag is set).
    decode: fn(&mut D, &mut BytesMut, bool) -> Result<Option<I>, Error>,
}

/// The tokio-util adapter's driver.
pub type Tokio<'a, D> = OnBytesMut<'a, D, <D as Decoder>::Item>;

/// The futures-io adapter's driver.
#[cfg(feature = "futures-io")]
pub type FuturesIo<'a, D> = OnBytesMut<'a, D, <D as asynchronous_codec::Decoder>::Item>;

impl<'a, D, I> OnBytesMut<'a, D, I> {
    /// An adapter over `codec` that decodes with `decode`, with an empty buffer.
    fn with(
        codec: &'a mut D,
        decode: fn(&mut D, &mut BytesMut, bool) -> Result<Option<I>, Error>,
    ) -> Self {
        OnBytesMut {
            codec,
            buf: BytesMut::new(),
            decode,
        }
    }
}

impl<'a, D: Decoder<Error = Error>> OnBytesMut<'a, D, D::Item> {
    /// The tokio-util adapter over `codec`, with an empty buffer.
    pub fn new(codec: &'a mut D) -> Self {
        let decode = |codec: &mut D, buf: &mut BytesMut, eof| match eof {
            true => codec.decode_eof(buf),
            false => codec.decode(buf),
        };
        OnBytesMut::with(codec, decode)
    }
}

#[cfg(feature = "futures-io")]
impl<'a, D: asynchronous_codec::Decoder<Error = Error>> OnBytesMut<'a, D, D::Item> {
    /// The futures-io adapter over `codec`, with an empty buffer.
    pub fn futures_io(codec: &'a mut D) -> Self {
        let decode = |codec: &mut D, buf: &mut BytesMut, eof| match eof {
            true => codec.decode_eof(buf),
            false => codec.decode(buf),
        };
        OnBytesMut::with(codec, decode)
    }
}

impl<D, I> Driver for OnBytesMut<'_, D, I> {
    type Frame = I;

    fn feed(&mut self, read: &[u8]) {
        self.buf.extend_from_slice(read);
    }

    fn call(&mut self, eof: bool) -> Call<I> {
        let (codec, decode) = (&mut *self.codec, self.decode);
        call_on_bytes_mut(&mut self.buf, |buf| decode(codec, buf, eof))
    }

    fn buffered(&self) -> usize {
        self.buf.len()
    }

    fn assert_room(&self, fed: usize) {
        assert_room_follows_bytes(self.buf.capacity(), fed);
    }
}

/// The slice API ([`frames_mut`]) the way its caller uses it: after each
/// read, one iterator over the whole buffer, taken to its end, then the
/// bytes it consumed dropped from the front. Its items are handed to the
/// harness one call at a time, each with the bytes it consumed (the last,
/// "need more", with what the iterator consumed past its last item).
#[derive(Debug)]
pub struct Slices<'a, D: ?Sized> {
    codec: &'a mut D,
    buf: Vec<u8>,
    /// The rest of the last iterator's items, not yet handed out, and
    /// whether it ran at end of stream.
    pending: VecDeque<Call<Bytes>>,
    pending_eof: bool,
}

impl<'a, D: DecodeMut + ?Sized> Slices<'a, D> {
    /// A driver over `codec`, with an empty buffer.
    pub fn new(codec: &'a mut D) -> Self {
        Slices {
            codec,
            buf: Vec::new(),
            pending: VecDeque::new(),
            pending_eof: false,
        }
    }

    /// Runs one iterator over the buffer to its end. It stops after an
    /// error that consumed nothing, which the next iterator gives again.
    fn iterate(&mut self, eof: bool) {
        let mut it = frames_mut(&mut *self.codec, &mut self.buf);
        if eof {
            it = it.at_eof();
        }
        let mut before = 0;
        while let Some(item) = it.next() {
            let answer = match item {
                Ok(frame) => Answer::Frame(Bytes::copy_from_slice(frame)),
                Err(e) => Answer::Error(e),
            };
            let consumed = it.consumed() - before;
            before = it.consumed();
            self.pending.push_back(Call { answer, consumed });
        }
        let stopped_on_error = matches!(
            self.pending.back(),
            Some(Call {
                answer: Answer::Error(_),
                consumed: 0
            })
        );
        if !stopped_on_error {
            self.pending.push_back(Call {
                answer: Answer::Incomplete,
                consumed: it.consumed() - before,
            });
        }
        let used = it.consumed();
        self.buf.drain(..used);
        self.pending_eof = eof;
    }
}

impl<D: DecodeMut + ?Sized> Driver for Slices<'_, D> {
    type Frame = Bytes;

    fn feed(&mut self, read: &[u8]) {
        assert!(self.pending.is_empty(), "a read before the iterator ended");
        self.buf.extend_from_slice(read);
    }

    fn call(&mut self, eof: bool) -> Call<Bytes> {
        if self.pending.is_empty() {
            self.iterate(eof);
        }
        assert_eq!(self.pending_eof, eof, "an iterator left half-used");
        self.pending.pop_front().expect("an iterator's items")
    }

    fn buffered(&self) -> usize {
        let held: usize = self.pending.iter().map(|c| c.consumed).sum();
        self.buf.len() + held
    }
}

/// The stream a `BorrowedReader` reads, in memory: the reads released to it,
/// handed out in pieces no larger than the reader asks for and never across
/// two reads; every piece it handed out is recorded, so the core can be run
/// over the very same pieces.
#[derive(Debug, Default)]
pub struct Source {
    /// Reads released and not yet handed out (the front from `pos`).
    queue: VecDeque<Vec<u8>>,
    pos: usize,
    /// The end of the stream is released: `Ok(0)` once the queue is empty.
    eof: bool,
    /// Reads of which a byte was handed out, the end of the stream counting
    /// as one more once it was.
    started: usize,
    ended: bool,
    /// The bytes handed out, and the length of each piece.
    taken: Vec<u8>,
    pieces: Vec<usize>,
}

impl Source {
    fn release(&mut self, read: &[u8]) {
        if !read.is_empty() {
            self.queue.push_back(read.to_vec());
        }
    }

    /// One read into `out`; `None` when nothing is released yet.
    fn hand_out(&mut self, out: &mut [u8]) -> Option<usize> {
        assert!(!out.is_empty(), "a read into an empty slot");
        let Some(front) = self.queue.front() else {
            if self.eof && !self.ended {
                self.ended = true;
                self.started += 1;
            }
            return self.eof.then_some(0);
        };
        if self.pos == 0 {
            self.started += 1;
        }
        let n = out.len().min(front.len() - self.pos);
        let piece = &front[self.pos..self.pos + n];
        out[..n].copy_from_slice(piece);
        self.taken.extend_from_slice(piece);
        self.pieces.push(n);
        self.pos += n;
        if self.pos == front.len() {
            self.queue.pop_front();
            self.pos = 0;
        }
        Some(n)
    }

    /// Released bytes not yet handed out.
    fn waiting(&self) -> usize {
        self.queue.iter().map(Vec::len).sum::<usize>() - self.pos
    }

    /// The pieces handed out, in order.
    pub fn pieces(&self) -> Vec<&[u8]> {
        let mut at = 0;
        self.pieces
            .iter()
            .map(|&n| {
                at += n;
                &self.taken[at - n..at]
            })
            .collect()
    }
}

impl io::Read for Source {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        Ok(self
            .hand_out(out)
            .expect("the blocking reader's stream is released whole"))
    }
}

impl tokio::io::AsyncRead for Source {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        out: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // Polled by hand with a no-op waker: "pending" is the end of a call.
        match self.hand_out(out.initialize_unfilled()) {
            Some(n) => {
                out.advance(n);
                Poll::Ready(Ok(()))
            }
            None => Poll::Pending,
        }
    }
}

/// The memory bound of a `BorrowedReader` (`src/read_buffer.rs`): at most
/// the codec's bound plus one read, and, since an announced length reserves
/// nothing, a multiple of the bytes received plus a read or two.
fn assert_reader_room(capacity: usize, max: usize, read_size: usize, received: usize) {
    assert!(
        capacity <= max.saturating_add(read_size),
        "buffer of {capacity} bytes, over the limit {max} plus one read {read_size}"
    );
    assert!(
        capacity <= 4 * received + 2 * read_size,
        "buffer of {capacity} bytes after {received} bytes arrived in reads of {read_size}"
    );
}

/// A way in that cuts the reads again, into the pieces it read: the core
/// over the same pieces must give the same frames and errors.
pub trait Rereads: Driver {
    /// The pieces read, in order.
    fn pieces(&self) -> Vec<&[u8]>;

    /// What the reader asks for at most per read.
    fn read_size(&self) -> usize;
}

/// What the two `BorrowedReader` drivers share, both readers having the same
/// accessors over a [`Source`]: what the reader holds and took, its room
/// check, and the reads it took for [`Rereads`].
macro_rules! reader_driver {
    ($driver:ident) => {
        impl<D: DecodeMut + FrameLen> $driver<D> {
            /// Bytes in the reader's buffer and bytes it took from the source.
            fn held_and_taken(&self) -> (usize, usize) {
                (
                    self.reader.read_buffer().len(),
                    self.reader.get_ref().taken.len(),
                )
            }

            fn assert_reader_room(&self) {
                assert_reader_room(
                    self.reader.buffer_capacity(),
                    self.reader.codec().max_frame_len(),
                    self.read_size,
                    self.reader.get_ref().taken.len(),
                );
            }
        }

        impl<D: DecodeMut + FrameLen> Rereads for $driver<D> {
            fn pieces(&self) -> Vec<&[u8]> {
                self.reader.get_ref().pieces()
            }

            fn read_size(&self) -> usize {
                self.read_size
            }
        }
    };
}

/// `blocking::BorrowedReader` over a [`Source`] holding the whole stream
/// from the start, since a blocking read cannot wait for the next one.
/// Its answers are held back, as "need more", until the drive has fed the
/// read each one needed: the calls the drive sees are those of a reader
/// woken at each read.
#[derive(Debug)]
pub struct Blocking<D> {
    reader: framewise::blocking::BorrowedReader<Source, D>,
    read_size: usize,
    /// Reads fed so far (the end of the stream counting as one more), and
    /// their bytes.
    fed: usize,
    fed_bytes: usize,
    /// Bytes consumed by the answers handed to the drive.
    answered: usize,
    /// An answer the reader found after reading past the reads fed so far,
    /// with the number of reads it needed.
    held: Option<(usize, Call<Bytes>)>,
}

impl<D: DecodeMut + FrameLen> Blocking<D> {
    /// A reader over `codec` that reads at most `read_size` bytes at a time
    /// from a stream of `reads`: the drive must feed the same.
    pub fn new(codec: D, reads: &[&[u8]], read_size: usize) -> Self {
        let mut source = Source::default();
        for read in reads {
            source.release(read);
        }
        source.eof = true;
        Blocking {
            reader: framewise::blocking::BorrowedReader::with_read_size(source, codec, read_size),
            read_size,
            fed: 0,
            fed_bytes: 0,
            answered: 0,
            held: None,
        }
    }

    /// One `read_frame()`, with the number of reads it needed.
    fn read_frame(&mut self) -> (usize, Call<Bytes>) {
        let (held, taken) = self.held_and_taken();
        let answer = match self.reader.read_frame() {
            Ok(Some(frame)) => Answer::Frame(Bytes::copy_from_slice(frame)),
            Ok(None) => Answer::Incomplete,
            Err(e) => Answer::Error(e),
        };
        let (held_after, taken_after) = self.held_and_taken();
        let consumed = held + (taken_after - taken) - held_after;
        (self.reader.get_ref().started, Call { answer, consumed })
    }
}

impl<D: DecodeMut + FrameLen> Driver for Blocking<D> {
    type Frame = Bytes;
    const FATAL_REPEATS: bool = false;

    fn feed(&mut self, read: &[u8]) {
        if !read.is_empty() {
            self.fed += 1;
            self.fed_bytes += read.len();
        }
    }

    fn call(&mut self, eof: bool) -> Call<Bytes> {
        if eof {
            self.fed = usize::MAX;
        }
        let (needed, call) = match self.held.take() {
            Some(held) => held,
            None => self.read_frame(),
        };
        if needed > self.fed {
            self.held = Some((needed, call));
            return Call {
                answer: Answer::Incomplete,
                consumed: 0,
            };
        }
        self.answered += call.consumed;
        call
    }

    fn buffered(&self) -> usize {
        self.fed_bytes - self.answered
    }

    fn assert_room(&self, _fed: usize) {
        self.assert_reader_room();
    }
}

reader_driver!(Blocking);

/// `tokio_io::BorrowedReader` over a [`Source`] that each read is released
/// to: `read_frame()` is polled once per call, and "pending" (the source
/// has nothing yet) is "need more". The next call polls a new `read_frame()`
/// on the same reader, as a `select!` that dropped the first one would.
#[derive(Debug)]
pub struct TokioReader<D> {
    reader: framewise::tokio_io::BorrowedReader<Source, D>,
    read_size: usize,
}

impl<D: DecodeMut + FrameLen> TokioReader<D> {
    /// A reader over `codec` that reads at most `read_size` bytes at a time.
    pub fn new(codec: D, read_size: usize) -> Self {
        TokioReader {
            reader: framewise::tokio_io::BorrowedReader::with_read_size(
                Source::default(),
                codec,
                read_size,
            ),
            read_size,
        }
    }
}

impl<D: DecodeMut + FrameLen> Driver for TokioReader<D> {
    type Frame = Bytes;
    const FATAL_REPEATS: bool = false;

    fn feed(&mut self, read: &[u8]) {
        self.reader.get_mut().release(read);
    }

    fn call(&mut self, eof: bool) -> Call<Bytes> {
        if eof {
            self.reader.get_mut().eof = true;
        }
        let (held, taken) = self.held_and_taken();
        let answer = {
            let mut cx = Context::from_waker(Waker::noop());
            let mut read = pin!(self.reader.read_frame());
            match read.as_mut().poll(&mut cx) {
                Poll::Ready(Ok(Some(frame))) => Answer::Frame(Bytes::copy_from_slice(frame)),
                Poll::Ready(Ok(None)) | Poll::Pending => Answer::Incomplete,
                Poll::Ready(Err(e)) => Answer::Error(e),
            }
        };
        let (held_after, taken_after) = self.held_and_taken();
        let consumed = held + (taken_after - taken) - held_after;
        Call { answer, consumed }
    }

    fn buffered(&self) -> usize {
        self.reader.read_buffer().len() + self.reader.get_ref().waiting()
    }

    fn assert_room(&self, _fed: usize) {
        self.assert_reader_room();
    }
}

reader_driver!(TokioReader);

// ---------------------------------------------------------------------------
// The run.

/// What kind of answer a call gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A frame.
    Frame,
    /// Need more.
    Incomplete,
    /// An error.
    Error,
}

/// One call of a run, without its frame or error: what two ways into the
/// same codec must agree on, call for call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Made {
    /// A `decode_eof` call.
    pub eof: bool,
    /// What it answered.
    pub kind: Kind,
    /// Bytes it consumed.
    pub consumed: usize,
}

/// Everything a run of one driver over a stream produced.
#[derive(Debug)]
pub struct Trace<T> {
    /// Frames and errors, in order.
    pub events: Vec<Result<T, Error>>,
    /// Every call made, the checks included (the repeat of a fatal error,
    /// the call after the end of the stream).
    pub calls: Vec<Made>,
    /// The most bytes left in the buffer while the decoder waited for more
    /// (after a call during the reads answered "need more").
    pub max_buffered: usize,
    /// Whether the run ended on an error the codec cannot recover from.
    pub fatal: bool,
}

/// The calls a run may make (see the module docs).
fn budget(total: usize, reads: usize) -> usize {
    2 * total + 2 * reads + 8
}

struct Run<'r, R: ?Sized> {
    driver: &'r mut R,
    /// Calls counted against the budget.
    counted: usize,
    budget: usize,
    /// Bytes fed so far.
    fed: usize,
    reads: usize,
}

impl<R: Driver + ?Sized> Run<'_, R> {
    /// One call, checked for the reservation; `counted` against the budget.
    fn call(&mut self, trace: &mut Trace<R::Frame>, eof: bool, counted: bool) -> Answer<R::Frame> {
        if counted {
            self.counted += 1;
            assert!(
                self.counted <= self.budget,
                "the decoder makes no progress: {} calls for {} bytes in {} reads",
                self.counted,
                self.fed,
                self.reads
            );
        }
        let call = self.driver.call(eof);
        self.driver.assert_room(self.fed);
        let kind = match call.answer {
            Answer::Frame(_) => Kind::Frame,
            Answer::Incomplete => Kind::Incomplete,
            Answer::Error(_) => Kind::Error,
        };
        trace.calls.push(Made {
            eof,
            kind,
            consumed: call.consumed,
        });
        call.answer
    }

    /// Calls until the decoder needs more, carrying on after recoverable
    /// errors; `false` when it stopped on a fatal error (checked to repeat).
    fn decode(&mut self, trace: &mut Trace<R::Frame>, eof: bool) -> bool {
        loop {
            match self.call(trace, eof, true) {
                Answer::Frame(frame) => trace.events.push(Ok(frame)),
                Answer::Incomplete => return true,
                Answer::Error(e) if e.is_recoverable() => trace.events.push(Err(e)),
                Answer::Error(e) => {
                    self.assert_repeats(trace, eof, &e);
                    trace.events.push(Err(e));
                    trace.fatal = true;
                    return false;
                }
            }
        }
    }

    /// After a fatal error: the next call repeats it, or where the way in
    /// owns the stream ([`Driver::FATAL_REPEATS`]) finds nothing; either way
    /// it consumes nothing.
    fn assert_repeats(&mut self, trace: &mut Trace<R::Frame>, eof: bool, error: &Error) {
        let again = self.call(trace, eof, false);
        let consumed = trace.calls.last().map_or(0, |m| m.consumed);
        match again {
            Answer::Error(again) if R::FATAL_REPEATS => assert_eq!(
                again.to_string(),
                error.to_string(),
                "a fatal error must repeat"
            ),
            Answer::Incomplete if !R::FATAL_REPEATS => {}
            Answer::Error(again) => {
                panic!("after the fatal error {error} the stream must end, not give {again}")
            }
            Answer::Frame(_) => panic!("the fatal error {error} was not repeated: a frame"),
            Answer::Incomplete => panic!("the fatal error {error} was not repeated: need more"),
        }
        assert_eq!(
            consumed, 0,
            "the call after the fatal error {error} consumed bytes"
        );
    }
}

/// Feeds `reads` to `driver` and decodes everything after each, then ends the
/// stream, checking the rules of the module docs; panics where one is broken.
pub fn drive<R: Driver + ?Sized>(driver: &mut R, reads: &[&[u8]]) -> Trace<R::Frame> {
    let total: usize = reads.iter().map(|r| r.len()).sum();
    let mut run = Run {
        driver,
        counted: 0,
        budget: budget(total, reads.len()),
        fed: 0,
        reads: reads.len(),
    };
    let mut trace = Trace {
        events: Vec::new(),
        calls: Vec::new(),
        max_buffered: 0,
        fatal: false,
    };
    for read in reads {
        run.driver.feed(read);
        run.fed += read.len();
        if !run.decode(&mut trace, false) {
            return trace;
        }
        trace.max_buffered = trace.max_buffered.max(run.driver.buffered());
    }
    if !run.decode(&mut trace, true) {
        return trace;
    }
    assert_eq!(
        run.driver.buffered(),
        0,
        "the end of the stream left bytes unreported ({})",
        std::any::type_name::<R>()
    );
    let after = run.call(&mut trace, true, false);
    assert!(
        matches!(after, Answer::Incomplete) && trace.calls.last().is_some_and(|m| m.consumed == 0),
        "decode_eof after the end of the stream must find nothing: {:?}",
        trace.calls.last()
    );
    trace
}

/// Asserts that two runs over the same reads agree call for call: the same
/// answers, consuming the same bytes, with equal frames and errors.
pub fn assert_agree<A: AsRef<[u8]>, B: AsRef<[u8]>>(
    a: &Trace<A>,
    b: &Trace<B>,
    (a_name, b_name): (&str, &str),
) {
    assert_eq!(
        shown(&a.events),
        shown(&b.events),
        "{a_name} and {b_name} give different frames or errors"
    );
    assert_eq!(
        a.calls, b.calls,
        "{a_name} and {b_name} answer or consume differently"
    );
    assert_eq!(a.max_buffered, b.max_buffered);
    assert_eq!(a.fatal, b.fatal);
}

/// Frames as bytes and errors by their Display, to compare two ways in.
fn shown<T: AsRef<[u8]>>(events: &[Result<T, Error>]) -> Vec<Result<&[u8], String>> {
    events
        .iter()
        .map(|e| match e {
            Ok(frame) => Ok(frame.as_ref()),
            Err(e) => Err(e.to_string()),
        })
        .collect()
}

/// A codec every way in takes: the core's traits, the tokio-util adapter's
/// and (with `futures-io`) asynchronous-codec's, frames of any item type.
/// Every framewise codec is one.
#[cfg(feature = "futures-io")]
pub trait Codec:
    Decoder<Error = Error, Item: AsRef<[u8]>>
    + asynchronous_codec::Decoder<Error = Error, Item: AsRef<[u8]>>
    + DecodeMut
    + FrameLen
    + Clone
{
}

#[cfg(feature = "futures-io")]
impl<D> Codec for D where
    D: Decoder<Error = Error, Item: AsRef<[u8]>>
        + asynchronous_codec::Decoder<Error = Error, Item: AsRef<[u8]>>
        + DecodeMut
        + FrameLen
        + Clone
{
}

/// A codec every way in takes: the core's traits and the tokio-util
/// adapter's, frames of any item type. Every framewise codec is one.
#[cfg(not(feature = "futures-io"))]
pub trait Codec: Decoder<Error = Error, Item: AsRef<[u8]>> + DecodeMut + FrameLen + Clone {}

#[cfg(not(feature = "futures-io"))]
impl<D> Codec for D where D: Decoder<Error = Error, Item: AsRef<[u8]>> + DecodeMut + FrameLen + Clone
{}

/// The read size [`run_all`] gives the `BorrowedReader`s: one of a few,
/// picked by the reads, so that inputs try each (one byte at a time, less
/// than a frame, more than most reads, the default).
pub fn read_size_for(reads: &[&[u8]]) -> usize {
    let total: usize = reads.iter().map(|r| r.len()).sum();
    [1, 7, 64, 8192][(total + reads.len()) % 4]
}

/// Decodes `reads` through every way into `codec`, each checked by
/// [`drive`], and asserts they agree; returns the tokio-util adapter's run
/// (on `codec` itself: a caller may go on with it; the others decode clones
/// of it as it was). With the `BorrowedReader`s reading at most
/// [`read_size_for`] bytes at a time.
pub fn run_all<D: Codec>(codec: &mut D, reads: &[&[u8]]) -> Trace<<D as Decoder>::Item> {
    run_all_with(codec, reads, read_size_for(reads))
}

/// [`run_all`], the `BorrowedReader`s reading at most `read_size` bytes at a
/// time.
///
/// The ways in that take the reads as they come answer call for call as the
/// core does ([`assert_agree`]); the `BorrowedReader`s cut the reads again
/// into the pieces they read, and give the frames and errors the core gives
/// over those pieces ([`assert_rereads_agree`]). Adding a way in is one line
/// here.
pub fn run_all_with<D: Codec>(
    codec: &mut D,
    reads: &[&[u8]],
    read_size: usize,
) -> Trace<<D as Decoder>::Item> {
    let fresh = codec.clone();
    let core = drive(&mut Core::new(&mut fresh.clone()), reads);
    let tokio = drive(&mut Tokio::new(codec), reads);
    assert_agree(&tokio, &core, ("the tokio-util adapter", "the core"));
    #[cfg(feature = "futures-io")]
    assert_agree(
        &drive(&mut FuturesIo::futures_io(&mut fresh.clone()), reads),
        &core,
        ("the futures-io adapter", "the core"),
    );
    assert_agree(
        &drive(&mut Slices::new(&mut fresh.clone()), reads),
        &core,
        ("the slice API", "the core"),
    );
    assert_rereads_agree(
        &mut Blocking::new(fresh.clone(), reads, read_size),
        reads,
        &fresh,
        "blocking::BorrowedReader",
    );
    assert_rereads_agree(
        &mut TokioReader::new(fresh.clone(), read_size),
        reads,
        &fresh,
        "tokio_io::BorrowedReader",
    );
    tokio
}

/// Drives a way in that cuts the reads again ([`Rereads`]), then the core
/// (a clone of `codec`) over the pieces it read, and asserts they give the
/// same frames and errors and end the same way.
pub fn assert_rereads_agree<R, D>(driver: &mut R, reads: &[&[u8]], codec: &D, name: &str)
where
    R: Rereads<Frame = Bytes>,
    D: DecodeMut + Clone,
{
    let trace = drive(driver, reads);
    let pieces = driver.pieces();
    let core = drive(&mut Core::new(&mut codec.clone()), &pieces);
    assert_eq!(
        shown(&trace.events),
        shown(&core.events),
        "{name} (reads of at most {} bytes) and the core over the same {} pieces give different frames or errors",
        driver.read_size(),
        pieces.len()
    );
    assert_eq!(
        trace.fatal, core.fatal,
        "{name} and the core end differently"
    );
}

// ---------------------------------------------------------------------------
// Encoding through the core.

/// What the slices around an encoding are filled with, to see a stray write.
const FILL: u8 = 0xA5;

/// Encodes `payload` through the core, the way a caller with its own buffer
/// does, checking the encoder's promises on the way: `encoded_len` is the
/// exact size that `encode_to_slice` writes, a slice one byte short is
/// refused with `BufferTooSmall`, and no refusal writes anything. Compare the
/// result with an adapter's encoding of the same item.
pub fn encode_core<E: Encode + ?Sized>(codec: &E, payload: &[u8]) -> Result<Vec<u8>, Error> {
    let len = match codec.encoded_len(payload) {
        Ok(len) => len,
        Err(refusal) => {
            let mut dst = vec![FILL; payload.len() + 64];
            let again = codec
                .encode_to_slice(payload, &mut dst)
                .expect_err("encode_to_slice accepted what encoded_len refused");
            assert_eq!(again.to_string(), refusal.to_string());
            assert!(
                dst.iter().all(|&b| b == FILL),
                "the encoder refused an item ({refusal}) but wrote to the slice"
            );
            return Err(refusal);
        }
    };
    if len > 0 {
        let mut short = vec![FILL; len - 1];
        match codec.encode_to_slice(payload, &mut short) {
            Err(Error::BufferTooSmall { needed, available }) => {
                assert_eq!((needed, available), (len, len - 1));
            }
            other => panic!("{len} bytes into {} of room: {other:?}", len - 1),
        }
        assert!(
            short.iter().all(|&b| b == FILL),
            "BufferTooSmall but the encoder wrote to the slice"
        );
    }
    let mut dst = vec![FILL; len + 8];
    let written = codec
        .encode_to_slice(payload, &mut dst)
        .expect("encode_to_slice refused what encoded_len accepted");
    assert_eq!(written, len, "encoded_len is not the size written");
    assert!(
        dst[len..].iter().all(|&b| b == FILL),
        "the encoder wrote past encoded_len"
    );
    dst.truncate(len);
    Ok(dst)
}

// ---------------------------------------------------------------------------
// The fuzz checks' view: errors as structured events.

/// One thing a decoder said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A frame (a `Lines` line as its UTF-8 bytes).
    Frame(Vec<u8>),
    /// `Error::FrameTooLong`.
    TooLong {
        /// The reported length.
        len: u64,
        /// The reported limit.
        max: u64,
    },
    /// `Error::Truncated`.
    Truncated {
        /// Bytes reported left over.
        buffered: usize,
    },
    /// `Error::CorruptHeader`, with its reason.
    Corrupt(String),
    /// `Error::InvalidCobs`.
    InvalidCobs {
        /// Offset of the offending byte.
        offset: usize,
    },
    /// `Error::InvalidUtf8`.
    InvalidUtf8 {
        /// Length of the skipped line.
        len: usize,
        /// Where the invalid byte is.
        valid_up_to: usize,
    },
    /// Any other error, by its message.
    Other(String),
}

impl Event {
    /// The event of an error.
    pub fn of(e: &Error) -> Event {
        match *e {
            Error::FrameTooLong { len, max } => Event::TooLong { len, max },
            Error::Truncated { buffered } => Event::Truncated { buffered },
            Error::CorruptHeader { reason } => Event::Corrupt(reason.to_owned()),
            Error::InvalidCobs { offset } => Event::InvalidCobs { offset },
            Error::InvalidUtf8 { len, valid_up_to } => Event::InvalidUtf8 { len, valid_up_to },
            _ => Event::Other(e.to_string()),
        }
    }

    /// The error's Display, as the codec would write it; `None` for a frame.
    pub fn error_text(&self) -> Option<String> {
        let error = match *self {
            Event::Frame(_) => return None,
            Event::TooLong { len, max } => Error::FrameTooLong { len, max },
            Event::Truncated { buffered } => Error::Truncated { buffered },
            // The reason is a `&'static str`, and comes last in the message.
            Event::Corrupt(ref reason) => {
                let prefix = Error::CorruptHeader { reason: "" }.to_string();
                return Some(prefix + reason);
            }
            Event::InvalidCobs { offset } => Error::InvalidCobs { offset },
            Event::InvalidUtf8 { len, valid_up_to } => Error::InvalidUtf8 { len, valid_up_to },
            Event::Other(ref text) => return Some(text.clone()),
        };
        Some(error.to_string())
    }
}

/// What a run of a decoder over a byte stream produced.
#[derive(Debug)]
pub struct Outcome {
    /// Frames and errors, in order.
    pub events: Vec<Event>,
    /// The most bytes left in the read buffer while the decoder waited for
    /// more.
    pub max_buffered: usize,
    /// Whether the run ended on an error the codec cannot recover from.
    pub fatal: bool,
}

impl<T: AsRef<[u8]>> From<Trace<T>> for Outcome {
    fn from(t: Trace<T>) -> Outcome {
        Outcome {
            events: t
                .events
                .iter()
                .map(|e| match e {
                    Ok(frame) => Event::Frame(frame.as_ref().to_vec()),
                    Err(e) => Event::of(e),
                })
                .collect(),
            max_buffered: t.max_buffered,
            fatal: t.fatal,
        }
    }
}

/// [`run_all`], seen as an [`Outcome`].
pub fn run<D: Codec>(codec: &mut D, reads: &[&[u8]]) -> Outcome {
    run_all(codec, reads).into()
}

// ---------------------------------------------------------------------------
// The property tests' view: frames of the adapter's item type, errors by
// their Display (which carries every number).

/// The property tests' view of a run (`tests/support/codec.rs` re-exports it).
pub mod text {
    use bytes::{Bytes, BytesMut};
    use framewise::{DecodeMut, Encode, Error};
    use tokio_util::codec::{Decoder, Encoder};

    use super::{Codec, Core, Tokio, Trace, drive, split};

    /// One thing a decoder said: a frame, or an error rendered as text.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Event<T> {
        /// A frame.
        Frame(T),
        /// An error, by its Display.
        Err(String),
    }

    /// What a whole run of a decoder over a byte stream produced.
    #[derive(Debug)]
    pub struct Outcome<T> {
        /// Frames and errors, in order.
        pub events: Vec<Event<T>>,
        /// The largest number of bytes left in the read buffer after a
        /// decode call answered "need more".
        pub max_buffered: usize,
    }

    impl<T> From<Trace<T>> for Outcome<T> {
        fn from(t: Trace<T>) -> Outcome<T> {
            Outcome {
                events: t
                    .events
                    .into_iter()
                    .map(|e| match e {
                        Ok(frame) => Event::Frame(frame),
                        Err(e) => Event::Err(e.to_string()),
                    })
                    .collect(),
                max_buffered: t.max_buffered,
            }
        }
    }

    /// A reference decoder's events (see `checks`), as the property tests
    /// compare them: frames as `T`, errors by their Display.
    pub fn from_reference<T: From<Vec<u8>>>(events: Vec<super::Event>) -> Vec<Event<T>> {
        events
            .into_iter()
            .map(|e| match e {
                super::Event::Frame(f) => Event::Frame(f.into()),
                other => Event::Err(other.error_text().expect("an error")),
            })
            .collect()
    }

    impl<T: Clone> Outcome<T> {
        /// The frames, in order.
        pub fn frames(&self) -> Vec<T> {
            self.events
                .iter()
                .filter_map(|e| match e {
                    Event::Frame(f) => Some(f.clone()),
                    Event::Err(_) => None,
                })
                .collect()
        }

        /// The errors, in order.
        pub fn errors(&self) -> Vec<String> {
            self.events
                .iter()
                .filter_map(|e| match e {
                    Event::Err(s) => Some(s.clone()),
                    Event::Frame(_) => None,
                })
                .collect()
        }
    }

    /// Feeds `data` to `codec` in the reads given by `cuts` through every
    /// way in, which must agree (see [`run_all`](super::run_all)); the
    /// tokio-util adapter's events.
    pub fn run_all<D: Codec>(
        codec: &mut D,
        data: &[u8],
        cuts: &[usize],
    ) -> Outcome<<D as Decoder>::Item> {
        super::run_all(codec, &split(data, cuts)).into()
    }

    /// Like [`run_all`], through the tokio-util adapter alone: for any
    /// [`Decoder`] (a wrapper, or a peer's codec).
    pub fn run<D: Decoder<Error = Error>>(
        codec: &mut D,
        data: &[u8],
        cuts: &[usize],
    ) -> Outcome<D::Item> {
        drive(&mut Tokio::new(codec), &split(data, cuts)).into()
    }

    /// Like [`run`], through the core alone (any [`DecodeMut`], unsized
    /// too), frames copied out as `Bytes`.
    pub fn run_in_place<D: DecodeMut + ?Sized>(
        codec: &mut D,
        data: &[u8],
        cuts: &[usize],
    ) -> Outcome<Bytes> {
        drive(&mut Core::new(codec), &split(data, cuts)).into()
    }

    /// Encodes every item into one buffer through the tokio-util encoder,
    /// and each through the core too ([`encode_core`](super::encode_core)),
    /// which must write the same bytes; panics if either refuses one.
    pub fn encode_all<E, I>(codec: &mut E, items: impl IntoIterator<Item = I>) -> BytesMut
    where
        E: Encoder<I, Error = Error> + Encode,
        I: AsRef<[u8]>,
    {
        let mut buf = BytesMut::new();
        for item in items {
            let core = super::encode_core(codec, item.as_ref()).expect("the core refused an item");
            let before = buf.len();
            codec
                .encode(item, &mut buf)
                .expect("encoder refused an item");
            assert_eq!(
                &buf[before..],
                &core[..],
                "the adapter and the core encode differently"
            );
        }
        buf
    }
}
