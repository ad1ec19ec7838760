//! The read analyser: which frames each read held, sans IO.
//!
//! ```text
//! read bytes --> ReadAnalyser --> decoder (any tokio-util Decoder of Bytes)
//!                     |
//!                     +--> Event::Read  (what the read held, as pieces of frames)
//!                     +--> Event::Frame / Event::Error (each frame as it completes)
//! ```
//!
//! The analyser knows nothing of sockets or clocks: it is given the bytes of
//! each read, in order, and answers with events. The proxy, the UDP relay
//! and `framewise decode` all drive it the same way.

use std::fmt;

use bytes::{Bytes, BytesMut};
use tokio_util::codec::Decoder;

use crate::Error;

/// Decodes one direction of a stream read by read, and says what each read
/// held: whole frames, the first, middle or last bytes of a frame.
///
/// The bytes of the stream are divided into *frames*, numbered from 1 in the
/// order they end: a frame is everything the decoder consumed to produce one
/// payload (header, delimiter, bytes skipped before it) or one decoding
/// error (a *bad* frame). Frame boundaries come from how many bytes the
/// decoder consumed on each call, so any `Decoder` whose items are `Bytes`
/// works, [`AnyCodec`](crate::AnyCodec) and
/// [`Datagram`](crate::net::Datagram) included.
///
/// After a recoverable error (an oversized frame, bad UTF-8, bad COBS) the
/// bytes the decoder goes on skipping belong to that bad frame. When a
/// decoder skips the rest of a bad frame and decodes the next frame in the
/// same call (the `Decoder` API does not say where one ends and the other
/// begins), the analyser finds the boundary by decoding the frame again, on
/// its own, with a fresh copy of the decoder; should that fail (a frame with
/// more than 64 bytes of framing around its payload), the skipped bytes are
/// counted in the next frame. After an
/// error the codec cannot recover from (a corrupt length header) the framing
/// is lost: the rest of the stream is counted as *undecoded* and not buffered.
///
/// Memory is bounded by the decoder's frame limit plus one read: the
/// analyser keeps only the bytes the decoder has not consumed yet.
///
/// # Examples
///
/// ```
/// use framewise::net::tap::{Event, Part, ReadAnalyser};
///
/// let mut analyser = ReadAnalyser::new("lines".parse::<framewise::AnyCodec>()?);
/// let mut events = Vec::new();
/// analyser.read(b"hello\njames\nhow a", &mut events);
/// let Event::Read(read) = &events[0] else { panic!() };
/// assert_eq!(read.held.to_string(), "2 whole frames (1-2) + the first 5 bytes of frame 3");
/// assert_eq!(read.held.pieces[2].part, Part::First);
/// assert_eq!(events.len(), 3); // the read, then frames 1 and 2
///
/// events.clear();
/// analyser.read(b"re you?\n", &mut events);
/// let Event::Read(read) = &events[0] else { panic!() };
/// assert_eq!(read.held.to_string(), "the last 8 bytes of frame 3");
/// let Event::Frame(frame) = &events[1] else { panic!() };
/// assert_eq!((frame.index, &frame.payload[..]), (3, &b"how are you?"[..]));
/// assert_eq!((frame.offset, frame.wire_len), (12, 13));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ReadAnalyser<D> {
    decoder: D,
    /// The decoder as it was made, to re-decode a frame on its own.
    pristine: D,
    /// The bytes the decoder has not consumed yet.
    buf: BytesMut,
    /// Bytes given to the analyser so far: the stream offset of the next read.
    received: u64,
    /// Bytes the decoder has consumed: the stream offset of `buf[0]`.
    consumed: u64,
    /// Where the frame in progress began. Bytes a decoder consumes without
    /// producing anything (skipped separators) stay in that frame.
    unit_start: u64,
    /// The bad frame whose rest the decoder may still be skipping: bytes
    /// consumed without a frame after an error belong to it, not to the
    /// next frame.
    skipping: Option<Skip>,
    /// Set after an unrecoverable error: nothing more is decoded.
    lost: bool,
    /// Set once [`end`](Self::end) has run.
    ended: bool,
    totals: Totals,
}

/// The counts of one direction of a stream.
///
/// # Examples
///
/// ```
/// use framewise::net::tap::ReadAnalyser;
///
/// let mut analyser = ReadAnalyser::new("length:u8".parse::<framewise::AnyCodec>()?);
/// analyser.read(b"\x02hi\x03yo", &mut Vec::new());
/// analyser.end(&mut Vec::new());
/// let totals = analyser.totals();
/// assert_eq!((totals.bytes, totals.reads, totals.frames, totals.errors), (6, 1, 1, 1));
/// assert!(totals.truncated);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Bytes received (and forwarded).
    pub bytes: u64,
    /// Reads (or datagrams).
    pub reads: u64,
    /// Frames decoded.
    pub frames: u64,
    /// Payload bytes of the decoded frames.
    pub payload_bytes: u64,
    /// Decoding errors (bad frames), a truncated last frame included.
    pub errors: u64,
    /// Whether the stream ended in the middle of a frame.
    pub truncated: bool,
    /// Whether an unrecoverable error lost the framing.
    pub lost: bool,
    /// Bytes that were not decoded because the framing was lost.
    pub undecoded_bytes: u64,
}

impl Totals {
    /// Whether the stream decoded cleanly: no error and no truncated frame.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(framewise::net::tap::Totals::default().is_clean());
    /// ```
    pub fn is_clean(&self) -> bool {
        self.errors == 0 && !self.truncated && !self.lost
    }
}

/// What the analyser saw, in stream order.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// A read (or a datagram), and what it held.
    Read(Read),
    /// A frame decoded.
    Frame(Frame),
    /// A bad frame: a decoding error.
    Error(FrameError),
}

/// One read: its place in the stream and the pieces of frames it held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// Stream offset of the read's first byte.
    pub offset: u64,
    /// The read's size in bytes.
    pub len: usize,
    /// What the read held.
    pub held: Held,
}

/// The pieces of frames one read held, in stream order.
///
/// `Display` says it in words: `2 whole frames (1-2) + the first 7 bytes of
/// frame 3`, `the middle 64 KiB of frame 3`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Held {
    /// The pieces; their lengths add up to the read's size.
    pub pieces: Vec<Piece>,
}

/// The part of one frame that a read held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// The frame's index (from 1); 0 for [`Status::Undecoded`] bytes.
    pub index: u64,
    /// Which part of the frame.
    pub part: Part,
    /// How the frame turned out, as far as known at the end of the read.
    pub status: Status,
    /// Bytes of the frame in this read.
    pub len: usize,
}

/// Which part of a frame a read held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The whole frame.
    Whole,
    /// Its beginning; the rest comes in later reads.
    First,
    /// Neither its beginning nor its end.
    Middle,
    /// Its end; the beginning came in earlier reads.
    Last,
}

impl Part {
    /// `whole`, `first`, `middle` or `last`: the name in the JSON output.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(framewise::net::tap::Part::Middle.name(), "middle");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Part::Whole => "whole",
            Part::First => "first",
            Part::Middle => "middle",
            Part::Last => "last",
        }
    }
}

/// How a frame turned out, as far as known when the read was analysed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Decoded into a payload.
    Good,
    /// A decoding error (or the rest of a bad frame, being skipped).
    Bad,
    /// Not finished at the end of the read.
    Pending,
    /// After the framing was lost: not decoded at all.
    Undecoded,
}

impl Status {
    /// `good`, `bad`, `pending` or `undecoded`: the name in the JSON output.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(framewise::net::tap::Status::Pending.name(), "pending");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Status::Good => "good",
            Status::Bad => "bad",
            Status::Pending => "pending",
            Status::Undecoded => "undecoded",
        }
    }
}

/// A decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Its index in this direction, from 1 (bad frames count too).
    pub index: u64,
    /// Stream offset of its first byte on the wire.
    pub offset: u64,
    /// Bytes it took on the wire: header, payload, delimiter.
    pub wire_len: u64,
    /// The payload, as the codec decoded it.
    pub payload: Bytes,
}

/// A bad frame: what the decoder said, and where.
#[derive(Debug)]
pub struct FrameError {
    /// Its index in this direction, from 1 (good frames count too).
    pub index: u64,
    /// Stream offset of its first byte.
    pub offset: u64,
    /// Bytes consumed up to the error (the decoder may skip more after it).
    pub wire_len: u64,
    /// The codec's error.
    pub error: Error,
}

/// A stable lower-case name for each kind of decoding error, as the JSON
/// output gives it: `frame_too_long`, `truncated`, `corrupt_header`,
/// `invalid_utf8`, `invalid_cobs`, `invalid_escape` (SLIP, HDLC, DLE),
/// `checksum_mismatch`, `frame_too_short` (shorter than a CRC trailer), or
/// `other`.
///
/// # Examples
///
/// ```
/// use framewise::{Error, net::tap::error_kind};
///
/// assert_eq!(error_kind(&Error::Truncated { buffered: 3 }), "truncated");
/// ```
pub fn error_kind(error: &Error) -> &'static str {
    match error {
        Error::FrameTooLong { .. } => "frame_too_long",
        Error::Truncated { .. } => "truncated",
        Error::CorruptHeader { .. } => "corrupt_header",
        Error::InvalidUtf8 { .. } => "invalid_utf8",
        Error::InvalidCobs { .. } => "invalid_cobs",
        Error::InvalidEscape { .. } => "invalid_escape",
        Error::ChecksumMismatch { .. } => "checksum_mismatch",
        Error::FrameTooShort { .. } => "frame_too_short",
        Error::Io(_) => "io",
        _ => "other",
    }
}

impl<D> ReadAnalyser<D>
where
    D: Decoder<Item = Bytes, Error = Error> + Clone,
{
    /// An analyser decoding with `decoder`.
    ///
    /// # Examples
    ///
    /// ```
    /// let analyser = framewise::net::tap::ReadAnalyser::new(framewise::LengthPrefixed::new());
    /// assert_eq!(analyser.totals().bytes, 0);
    /// ```
    pub fn new(decoder: D) -> Self {
        ReadAnalyser {
            pristine: decoder.clone(),
            decoder,
            buf: BytesMut::new(),
            received: 0,
            consumed: 0,
            unit_start: 0,
            skipping: None,
            lost: false,
            ended: false,
            totals: Totals::default(),
        }
    }

    /// The counts so far.
    ///
    /// # Examples
    ///
    /// See [`ReadAnalyser`].
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Whether [`end`](Self::end) has run.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut a = framewise::net::tap::ReadAnalyser::new(framewise::LengthPrefixed::new());
    /// a.end(&mut Vec::new());
    /// assert!(a.is_ended());
    /// ```
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Analyses the next read: pushes an [`Event::Read`] saying what it held,
    /// then an [`Event::Frame`] or [`Event::Error`] for each frame that ended
    /// in it.
    ///
    /// # Examples
    ///
    /// See [`ReadAnalyser`].
    pub fn read(&mut self, bytes: &[u8], events: &mut Vec<Event>) {
        let read_start = self.received;
        let read_end = read_start + bytes.len() as u64;
        self.received = read_end;
        self.totals.bytes += bytes.len() as u64;
        self.totals.reads += 1;
        let at = events.len();
        events.push(Event::Read(Read {
            offset: read_start,
            len: bytes.len(),
            held: Held::default(),
        }));
        let mut pieces = Vec::new();
        if self.lost {
            self.totals.undecoded_bytes += bytes.len() as u64;
            let span = (read_start, read_end);
            push_piece(
                &mut pieces,
                span,
                (0, Status::Undecoded),
                read_start,
                read_start,
                None,
                false,
            );
        } else {
            self.buf.extend_from_slice(bytes);
            self.decode(false, (read_start, read_end), &mut pieces, events);
        }
        if let Event::Read(read) = &mut events[at] {
            read.held.pieces = pieces;
        }
    }

    /// The stream has ended: decodes what is left as the codec does at the
    /// end of a stream (a final unterminated line is a frame; a partial frame
    /// is an [`Error::Truncated`]) and pushes those events. Later calls do
    /// nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{Error, net::tap::{Event, ReadAnalyser}};
    ///
    /// let mut a = ReadAnalyser::new("length".parse::<framewise::AnyCodec>()?);
    /// let mut events = Vec::new();
    /// a.read(b"\x00\x00\x00\x05hel", &mut events);
    /// events.clear();
    /// a.end(&mut events);
    /// let Event::Error(e) = &events[0] else { panic!() };
    /// assert!(matches!(e.error, Error::Truncated { buffered: 7 }));
    /// assert_eq!((e.index, e.offset, e.wire_len), (1, 0, 7));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn end(&mut self, events: &mut Vec<Event>) {
        if self.ended {
            return;
        }
        self.ended = true;
        if self.lost {
            return;
        }
        let mut pieces = Vec::new();
        let at = self.received;
        self.decode(true, (at, at), &mut pieces, events);
        if !self.buf.is_empty() {
            // A decoder that leaves bytes at the end of the stream: they are
            // a frame that never ended, even if the codec did not say so.
            self.totals.truncated = true;
            self.buf.clear();
        }
    }

    /// Runs the decoder until it wants more bytes, recording the frames that
    /// end and the pieces of the read `span` they cover.
    fn decode(
        &mut self,
        eof: bool,
        span: (u64, u64),
        pieces: &mut Vec<Piece>,
        events: &mut Vec<Event>,
    ) {
        loop {
            let before = self.buf.len();
            let consumed_before = self.consumed;
            // After an error, keep the bytes: if the decoder skips the rest
            // of the bad frame and decodes the next one in the same call,
            // they show where one ended and the other began.
            let snapshot = self.skipping.map(|_| self.buf.clone());
            let result = if eof {
                self.decoder.decode_eof(&mut self.buf)
            } else {
                self.decoder.decode(&mut self.buf)
            };
            let used = (before - self.buf.len()) as u64;
            self.consumed += used;
            match result {
                Ok(Some(payload)) => {
                    let index = self.next_index();
                    if let (Some(skip), Some(snapshot)) = (self.skipping, snapshot)
                        && let Some(k) = self.frame_start(&snapshot, used as usize, &payload, eof)
                    {
                        let skipped_to = consumed_before + k as u64;
                        if skipped_to > self.unit_start {
                            let bad = (skip.index, Status::Bad);
                            push_piece(
                                pieces,
                                span,
                                bad,
                                skip.start,
                                self.unit_start,
                                Some(skipped_to),
                                true,
                            );
                            self.unit_start = skipped_to;
                        }
                    }
                    let start = self.unit_start;
                    let good = (index, Status::Good);
                    push_piece(pieces, span, good, start, start, Some(self.consumed), true);
                    self.totals.frames += 1;
                    self.totals.payload_bytes += payload.len() as u64;
                    self.unit_start = self.consumed;
                    self.skipping = None;
                    events.push(Event::Frame(Frame {
                        index,
                        offset: start,
                        wire_len: self.consumed - start,
                        payload,
                    }));
                    if used == 0 && self.buf.is_empty() {
                        // An empty frame out of an empty buffer (an empty
                        // datagram): asking again would repeat it.
                        break;
                    }
                }
                Ok(None) => {
                    if let Some(skip) = self.skipping
                        && used > 0
                    {
                        // The rest of the bad frame, skipped; more may follow.
                        let bad = (skip.index, Status::Bad);
                        let (from, to) = (self.unit_start, Some(self.consumed));
                        push_piece(pieces, span, bad, skip.start, from, to, false);
                        self.unit_start = self.consumed;
                    }
                    break;
                }
                Err(error) => {
                    let index = self.next_index();
                    let start = self.unit_start;
                    // An oversized frame is reported as soon as it is seen,
                    // and its rest skipped as it arrives.
                    let open = matches!(error, Error::FrameTooLong { .. });
                    let bad = (index, Status::Bad);
                    push_piece(pieces, span, bad, start, start, Some(self.consumed), !open);
                    self.totals.errors += 1;
                    if matches!(error, Error::Truncated { .. }) {
                        self.totals.truncated = true;
                    }
                    self.unit_start = self.consumed;
                    self.skipping = Some(Skip { index, start });
                    let recoverable = error.is_recoverable();
                    events.push(Event::Error(FrameError {
                        index,
                        offset: start,
                        wire_len: self.consumed - start,
                        error,
                    }));
                    if !recoverable {
                        self.lose_framing(span, pieces);
                        break;
                    }
                    if used == 0 {
                        // An error that consumed nothing would repeat: wait
                        // for more bytes.
                        break;
                    }
                    if eof && self.buf.is_empty() {
                        break;
                    }
                }
            }
        }
        // The frame in progress: the bytes of this read not yet consumed.
        if !self.lost && self.unit_start < span.1 {
            let index = self.totals.frames + self.totals.errors + 1;
            let pending = (index, Status::Pending);
            push_piece(
                pieces,
                span,
                pending,
                self.unit_start,
                self.unit_start,
                None,
                false,
            );
        }
    }

    /// Where, in `snapshot` (the buffer before a call that consumed `used`
    /// bytes and gave `payload`), the frame began: the last start from which
    /// a fresh decoder gives the same payload out of exactly those bytes.
    /// Only the few starts a header, delimiter or stuffing can take are
    /// tried.
    fn frame_start(
        &self,
        snapshot: &[u8],
        used: usize,
        payload: &Bytes,
        eof: bool,
    ) -> Option<usize> {
        let latest = used.checked_sub(payload.len())?;
        let earliest = latest.saturating_sub(FRAMING_OVERHEAD + payload.len() / 254);
        (earliest..=latest).rev().find(|&k| {
            let mut probe = self.pristine.clone();
            let mut bytes = BytesMut::from(&snapshot[k..used]);
            let decoded = if eof {
                probe.decode_eof(&mut bytes)
            } else {
                probe.decode(&mut bytes)
            };
            matches!(decoded, Ok(Some(p)) if bytes.is_empty() && p == *payload)
        })
    }

    fn next_index(&self) -> u64 {
        self.totals.frames + self.totals.errors + 1
    }

    /// After an unrecoverable error: the unconsumed bytes are undecoded.
    fn lose_framing(&mut self, span: (u64, u64), pieces: &mut Vec<Piece>) {
        self.lost = true;
        self.totals.lost = true;
        self.totals.undecoded_bytes += self.buf.len() as u64;
        let from = self.consumed.max(span.0);
        if from < span.1 {
            push_piece(
                pieces,
                span,
                (0, Status::Undecoded),
                from,
                from,
                None,
                false,
            );
        }
        self.consumed += self.buf.len() as u64;
        self.unit_start = self.consumed;
        self.buf = BytesMut::new();
    }
}

/// The most bytes a frame's header, delimiter or COBS code takes beyond its
/// payload (plus one COBS code per 254 payload bytes), when looking for where
/// a frame began after skipped bytes.
const FRAMING_OVERHEAD: usize = 64;

/// Adds the part of the frame `(index, status)` that lies in the read
/// `span`: the frame began at `start`, this part runs from `from` to `to`
/// (`None`: the end of the read), and `ended` says whether the frame ends at
/// `to`. Pieces of one bad frame in a row are merged, and a piece that
/// follows another proves that the other's frame has ended.
fn push_piece(
    pieces: &mut Vec<Piece>,
    span: (u64, u64),
    (index, status): (u64, Status),
    start: u64,
    from: u64,
    to: Option<u64>,
    ended: bool,
) {
    let lo = from.max(span.0);
    let hi = to.unwrap_or(span.1).min(span.1);
    if hi <= lo {
        return;
    }
    let ends = ended && to.is_some_and(|to| to <= span.1);
    let len = (hi - lo) as usize;
    if let Some(last) = pieces.last_mut() {
        if last.index == index && last.status == status && status == Status::Bad {
            let began = matches!(last.part, Part::Whole | Part::First);
            last.part = part(began, ends);
            last.len += len;
            return;
        }
        last.part = match last.part {
            Part::First => Part::Whole,
            Part::Middle => Part::Last,
            other => other,
        };
    }
    pieces.push(Piece {
        index,
        part: part(start >= span.0, ends),
        status,
        len,
    });
}

fn part(begins: bool, ends: bool) -> Part {
    match (begins, ends) {
        (true, true) => Part::Whole,
        (true, false) => Part::First,
        (false, true) => Part::Last,
        (false, false) => Part::Middle,
    }
}

/// A bad frame whose rest the decoder may be skipping.
#[derive(Debug, Clone, Copy)]
struct Skip {
    index: u64,
    /// Stream offset of its first byte.
    start: u64,
}

/// `7 bytes`, `1 byte`, `64 KiB`, `3 MiB`: sizes that are whole KiB or MiB
/// in those units, every other size in bytes.
pub(crate) fn size(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    match n {
        1 => "1 byte".to_string(),
        n if n >= MIB && n % MIB == 0 => format!("{} MiB", n / MIB),
        n if n >= KIB && n % KIB == 0 => format!("{} KiB", n / KIB),
        n => format!("{n} bytes"),
    }
}

impl fmt::Display for Held {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pieces.is_empty() {
            return f.write_str("nothing");
        }
        let mut first = true;
        let mut i = 0;
        while i < self.pieces.len() {
            if !first {
                f.write_str(" + ")?;
            }
            first = false;
            let piece = self.pieces[i];
            // A run of whole good frames reads as one count.
            if piece.part == Part::Whole && piece.status == Status::Good {
                let mut j = i + 1;
                while j < self.pieces.len()
                    && self.pieces[j].part == Part::Whole
                    && self.pieces[j].status == Status::Good
                {
                    j += 1;
                }
                let (a, b) = (piece.index, self.pieces[j - 1].index);
                match j - i {
                    1 => write!(f, "1 whole frame ({a})")?,
                    n => write!(f, "{n} whole frames ({a}-{b})")?,
                }
                i = j;
                continue;
            }
            let what = match piece.status {
                Status::Good | Status::Pending => format!("frame {}", piece.index),
                Status::Bad => format!("bad frame {}", piece.index),
                Status::Undecoded => {
                    write!(f, "{} undecoded (framing lost)", size(piece.len as u64))?;
                    i += 1;
                    continue;
                }
            };
            let len = size(piece.len as u64);
            match piece.part {
                Part::Whole => write!(f, "all of {what} ({len})")?,
                Part::First => write!(f, "the first {len} of {what}")?,
                Part::Middle => write!(f, "the middle {len} of {what}")?,
                Part::Last => write!(f, "the last {len} of {what}")?,
            }
            i += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AnyCodec;

    fn codec(spec: &str) -> AnyCodec {
        spec.parse().unwrap()
    }

    /// Each read's description, and the frames and errors as text.
    fn run(spec: &str, reads: &[&[u8]]) -> (Vec<String>, Vec<String>, Totals) {
        let mut a = ReadAnalyser::new(codec(spec));
        let mut events = Vec::new();
        for r in reads {
            a.read(r, &mut events);
        }
        a.end(&mut events);
        let mut held = Vec::new();
        let mut frames = Vec::new();
        let mut total_read = 0;
        for e in &events {
            match e {
                Event::Read(r) => {
                    assert_eq!(r.held.pieces.iter().map(|p| p.len).sum::<usize>(), r.len);
                    total_read += r.len;
                    held.push(r.held.to_string());
                }
                Event::Frame(f) => frames.push(format!(
                    "{} @{}+{} {:?}",
                    f.index,
                    f.offset,
                    f.wire_len,
                    String::from_utf8_lossy(&f.payload)
                )),
                Event::Error(e) => frames.push(format!(
                    "{} @{}+{} error {}",
                    e.index, e.offset, e.wire_len, e.error
                )),
            }
        }
        assert_eq!(total_read as u64, a.totals().bytes);
        (held, frames, a.totals())
    }

    #[test]
    fn analyse_sticky_and_split_lines() {
        let (held, frames, totals) =
            run("lines", &[b"hello\njames\nhow a", b"re ", b"you?\nbye\n"]);
        assert_eq!(
            held,
            [
                "2 whole frames (1-2) + the first 5 bytes of frame 3",
                "the middle 3 bytes of frame 3",
                "the last 5 bytes of frame 3 + 1 whole frame (4)",
            ]
        );
        assert_eq!(
            frames,
            [
                "1 @0+6 \"hello\"",
                "2 @6+6 \"james\"",
                "3 @12+13 \"how are you?\"",
                "4 @25+4 \"bye\"",
            ]
        );
        assert_eq!(
            (totals.frames, totals.errors, totals.payload_bytes),
            (4, 0, 25)
        );
        assert!(totals.is_clean());
    }

    #[test]
    fn analyse_middle_of_a_big_frame_in_kib() {
        let mut wire = vec![0, 3, 0, 0];
        wire.extend(std::iter::repeat_n(b'x', 3 << 16));
        let (held, frames, _) = run(
            "length,max=1m",
            &[&wire[..10], &wire[10..10 + 65536], &wire[10 + 65536..]],
        );
        assert_eq!(
            held,
            [
                "the first 10 bytes of frame 1",
                "the middle 64 KiB of frame 1",
                "the last 131066 bytes of frame 1",
            ]
        );
        assert_eq!(frames.len(), 1);
        assert!(frames[0].starts_with("1 @0+196612 "));
    }

    #[test]
    fn analyse_oversized_frame_is_bad_then_resyncs() {
        // max=4: "toolong" is too long, the lines around it are fine.
        let (held, frames, totals) = run("lines,max=4", &[b"ab\ntoo", b"long", b"er\ncd\n"]);
        assert_eq!(
            frames,
            [
                "1 @0+3 \"ab\"",
                "2 @3+7 error frame of 7 bytes exceeds the limit of 4",
                "3 @13+3 \"cd\"",
            ]
        );
        assert_eq!(held[0], "1 whole frame (1) + the first 3 bytes of frame 2");
        assert_eq!(held[1], "the middle 4 bytes of bad frame 2");
        assert_eq!(
            held[2],
            "the last 3 bytes of bad frame 2 + 1 whole frame (3)"
        );
        assert_eq!((totals.frames, totals.errors), (2, 1));
        assert!(!totals.is_clean() && !totals.truncated);
    }

    #[test]
    fn analyse_length_discard_spans_reads() {
        // u8 length, max 2: a 5-byte frame is skipped across three reads.
        let (held, frames, totals) = run("length:u8,max=2", &[b"\x01a\x05ab", b"c", b"de\x01z"]);
        assert_eq!(
            frames,
            [
                "1 @0+2 \"a\"",
                "2 @2+3 error frame of 6 bytes exceeds the limit of 2",
                "3 @8+2 \"z\"",
            ]
        );
        assert_eq!(
            held,
            [
                "1 whole frame (1) + the first 3 bytes of bad frame 2",
                "the middle 1 byte of bad frame 2",
                "the last 2 bytes of bad frame 2 + 1 whole frame (3)",
            ]
        );
        assert_eq!(totals.errors, 1);
    }

    #[test]
    fn analyse_truncated_end_and_lost_framing() {
        let (_, frames, totals) = run("length:u8", &[b"\x03ab"]);
        assert_eq!(
            frames,
            ["1 @0+3 error stream ended in the middle of a frame, with 3 bytes of it buffered"]
        );
        assert!(totals.truncated);

        let (held, frames, totals) = run("cobs", &[b"\x02a\x00\x05\x00zz", b"\x00"]);
        assert_eq!(frames[0], "1 @0+3 \"a\"");
        assert!(
            frames[1].starts_with("2 @3+2 error invalid cobs"),
            "{frames:?}"
        );
        assert_eq!(
            frames[2],
            "3 @5+3 error invalid cobs encoding at offset 0 of the frame"
        );
        assert_eq!(held[1], "the last 1 byte of bad frame 3");
        assert!(!totals.lost);
    }

    #[test]
    fn analyse_raw_and_empty_frames_terminate() {
        let (held, frames, _) = run("raw", &[b"abc", b"de"]);
        assert_eq!(held, ["1 whole frame (1)", "1 whole frame (2)"]);
        assert_eq!(frames, ["1 @0+3 \"abc\"", "2 @3+2 \"de\""]);
        let (_, frames, _) = run("lines", &[b"\n\n"]);
        assert_eq!(frames, ["1 @0+1 \"\"", "2 @1+1 \"\""]);
    }

    #[test]
    fn analyse_datagrams_through_datagram_codec() {
        let mut a = ReadAnalyser::new(crate::net::Datagram::new(codec("lines")));
        let mut events = Vec::new();
        a.read(b"a\nb\n", &mut events);
        a.read(b"", &mut events);
        let texts: Vec<String> = events
            .iter()
            .map(|e| match e {
                Event::Read(r) => format!("read {}: {}", r.len, r.held),
                Event::Frame(f) => format!("frame {} {:?}", f.index, f.payload),
                Event::Error(e) => format!("error {}", e.error),
            })
            .collect();
        assert_eq!(
            texts,
            [
                "read 4: 2 whole frames (1-2)",
                "frame 1 b\"a\"",
                "frame 2 b\"b\"",
                "read 0: nothing",
                "frame 3 b\"\"",
            ]
        );
    }

    #[test]
    fn sizes_in_words() {
        assert_eq!(size(1), "1 byte");
        assert_eq!(size(7), "7 bytes");
        assert_eq!(size(1024), "1 KiB");
        assert_eq!(size(65536), "64 KiB");
        assert_eq!(size(70000), "70000 bytes");
        assert_eq!(size(3 << 20), "3 MiB");
    }
}
