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
//!   error without consuming anything;
//! - **end of stream**: `decode_eof` is called until it needs more, carrying
//!   on after recoverable errors (as `UdpFramed` does for every datagram).
//!   Then nothing may be left in the buffer unreported, and one more call
//!   finds nothing (the codec is ready for the next stream);
//! - **memory**: where the decoder may grow the buffer (the tokio-util
//!   adapter), its room follows the bytes that arrived, never a length a
//!   header announces; the most bytes held while waiting are reported;
//! - **answers**: a core frame lies inside the bytes it consumes, and no call
//!   consumes more than it was given.
//!
//! [`run_both`] drives the framing core and the tokio-util adapter over the
//! same reads and asserts they agree call for call: frames, errors, bytes
//! consumed. The fuzz checks see its result as [`Outcome`] (errors as
//! structured [`Event`]s); the property tests as [`text::Outcome`] (errors
//! by their Display).
//!
//! # Adding a way in
//!
//! A new adapter is one [`Driver`] impl, and one line in [`run_both`] (or a
//! `run_*` beside it) to compare it with the core:
//! - asynchronous-codec (`futures-io`): a copy of [`Tokio`] over
//!   `asynchronous_codec::Decoder` (same `BytesMut`, same calls);
//! - `blocking::BorrowedReader` (it reads for itself): `feed` appends the
//!   read to a queue that an in-memory reader hands out, and which answers
//!   `WouldBlock` when empty (until `eof`, then `Ok(0)`); `call` is one
//!   `read_frame()`, `WouldBlock` being [`Answer::Incomplete`]; `consumed`
//!   is the bytes the reader held before plus those it read, less those it
//!   holds after.

use bytes::{Bytes, BytesMut};
use framewise::{DecodeMut, Decoded, Encode, Error};
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

    /// A read arrives: append it to the bytes the decoder is given.
    fn feed(&mut self, read: &[u8]);

    /// One decoder call (`decode_eof` when `eof`).
    fn call(&mut self, eof: bool) -> Call<Self::Frame>;

    /// Bytes in the buffer, waiting for the decoder.
    fn buffered(&self) -> usize;

    /// The buffer's room, where the decoder may grow it (it may not reserve
    /// by a length a header announces). `None` when the harness owns it.
    fn reserved(&self) -> Option<usize> {
        None
    }
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

/// The tokio-util adapter ([`Decoder`]) on a `BytesMut`, as `FramedRead`
/// holds it.
#[derive(Debug)]
pub struct Tokio<'a, D> {
    codec: &'a mut D,
    buf: BytesMut,
}

impl<'a, D: Decoder<Error = Error>> Tokio<'a, D> {
    /// A driver over `codec`, with an empty buffer.
    pub fn new(codec: &'a mut D) -> Self {
        Tokio {
            codec,
            buf: BytesMut::new(),
        }
    }
}

impl<D: Decoder<Error = Error>> Driver for Tokio<'_, D> {
    type Frame = D::Item;

    fn feed(&mut self, read: &[u8]) {
        self.buf.extend_from_slice(read);
    }

    fn call(&mut self, eof: bool) -> Call<D::Item> {
        let before = self.buf.len();
        let result = if eof {
            self.codec.decode_eof(&mut self.buf)
        } else {
            self.codec.decode(&mut self.buf)
        };
        let consumed = before
            .checked_sub(self.buf.len())
            .expect("the decoder added bytes to the read buffer");
        let answer = match result {
            Ok(Some(frame)) => Answer::Frame(frame),
            Ok(None) => Answer::Incomplete,
            Err(e) => Answer::Error(e),
        };
        Call { answer, consumed }
    }

    fn buffered(&self) -> usize {
        self.buf.len()
    }

    fn reserved(&self) -> Option<usize> {
        Some(self.buf.capacity())
    }
}

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
        if let Some(room) = self.driver.reserved() {
            // The buffer's own growth at most doubles what was asked for.
            assert!(
                room <= 4 * self.fed + 64,
                "the read buffer has room for {room} bytes after {} bytes arrived",
                self.fed
            );
        }
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

    /// After a fatal error: the next call repeats it and consumes nothing.
    fn assert_repeats(&mut self, trace: &mut Trace<R::Frame>, eof: bool, error: &Error) {
        let again = self.call(trace, eof, false);
        let consumed = trace.calls.last().map_or(0, |m| m.consumed);
        match again {
            Answer::Error(again) => assert_eq!(
                again.to_string(),
                error.to_string(),
                "a fatal error must repeat"
            ),
            Answer::Frame(_) => panic!("the fatal error {error} was not repeated: a frame"),
            Answer::Incomplete => panic!("the fatal error {error} was not repeated: need more"),
        }
        assert_eq!(
            consumed, 0,
            "the repeat of the fatal error {error} consumed bytes"
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
        "the end of the stream left bytes unreported"
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

/// Decodes `reads` through the framing core (on a clone of `codec`) and
/// through the tokio-util adapter (on `codec`), asserts that they agree, and
/// returns the adapter's run.
pub fn run_both<D>(codec: &mut D, reads: &[&[u8]]) -> Trace<D::Item>
where
    D: Decoder<Error = Error> + DecodeMut + Clone,
    D::Item: AsRef<[u8]>,
{
    let mut twin = codec.clone();
    let core = drive(&mut Core::new(&mut twin), reads);
    let tokio = drive(&mut Tokio::new(codec), reads);
    assert_agree(&tokio, &core, ("the tokio-util adapter", "the core"));
    tokio
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

/// [`run_both`], seen as an [`Outcome`].
pub fn run<D>(codec: &mut D, reads: &[&[u8]]) -> Outcome
where
    D: Decoder<Error = Error> + DecodeMut + Clone,
    D::Item: AsRef<[u8]>,
{
    run_both(codec, reads).into()
}

// ---------------------------------------------------------------------------
// The property tests' view: frames of the adapter's item type, errors by
// their Display (which carries every number).

/// The property tests' view of a run (`tests/support/codec.rs` re-exports it).
pub mod text {
    use bytes::{Bytes, BytesMut};
    use framewise::{DecodeMut, Encode, Error};
    use tokio_util::codec::{Decoder, Encoder};

    use super::{Core, Tokio, Trace, drive, split};

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

    /// Feeds `data` to `codec` in the reads given by `cuts`, through the
    /// tokio-util adapter and through the core, which must agree (see
    /// [`run_both`](super::run_both)); the adapter's events.
    pub fn run_both<D>(codec: &mut D, data: &[u8], cuts: &[usize]) -> Outcome<D::Item>
    where
        D: Decoder<Error = Error> + DecodeMut + Clone,
        D::Item: AsRef<[u8]>,
    {
        super::run_both(codec, &split(data, cuts)).into()
    }

    /// Like [`run_both`], through the tokio-util adapter alone: for any
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
