//! The invariants behind every fuzz target, in one file.
//!
//! Each `check_*` function takes a structured input, built by `arbitrary` from
//! the fuzzer's bytes, and panics when framewise breaks its contract. The fuzz
//! targets in `fuzz/fuzz_targets/` are one-line calls to these functions, and
//! the main crate's `tests/codecs/fuzz_regressions.rs` includes this same file to
//! replay every committed corpus and regression input on stable Rust.
//!
//! What every decoding check asserts, for the reads the input chooses, for one
//! read holding everything, and for one byte at a time:
//! - every way in agrees (`harness::run_all`): the framing core (on a buffer
//!   the harness manages), the tokio-util and futures-io adapters and the
//!   slice API call for call (the same frames and errors, the same bytes
//!   consumed); both `BorrowedReader`s give the frames and errors of the
//!   core over the pieces they read;
//! - the rules of `harness::drive` for each: no panic, and no decoder call
//!   that returns a frame or an error without making progress (a bounded
//!   number of calls per byte); after a fatal error, the next call repeats
//!   it (a `BorrowedReader` ends its stream instead); at end of stream, `decode_eof` reports what is left or clears it,
//!   and the codec is as good as new afterwards (the byte-at-a-time run
//!   reuses the codec of the first run, as `UdpFramed` reuses it for every
//!   datagram); the read buffer's capacity follows the bytes that arrived,
//!   not a length a header announces (a `BorrowedReader`'s stays within the
//!   codec's bound plus one read);
//! - the buffer held while waiting for more bytes stays within the codec's
//!   memory bound, whatever the size of the reads: `LengthPrefixed` below the
//!   limit (a varint header still arriving, up to offset + 9 bytes);
//!   `Delimited` the limit plus the longest delimiter less one (the start of a
//!   delimiter still arriving); `Lines` the limit plus one (a final `\r`);
//!   `FixedLength` one byte short of a frame; `Cobs` the longest encoding of
//!   a payload within the limit; `Raw` nothing;
//! - every frame respects the limit, and every `FrameTooLong` names a length
//!   over the configured limit;
//! - the three runs give the same frames and errors (except the length in a
//!   `FrameTooLong` from `Delimited`, `Lines` and `Cobs`, which is the bytes
//!   seen so far when the frame's end has not arrived, as documented);
//! - where a plain reference decoder is cheap to write (length, delimited,
//!   lines, fixed) or exists (the `cobs` crate, tokio-util), the frames and
//!   errors equal the reference's.
//!
//! Round trips encode arbitrary items (through both the `Bytes` and the
//! `&[u8]` encoder): each is accepted and comes back equal after any split,
//! or is refused and nothing was written.

use std::io;
use std::str::FromStr;

use arbitrary::{Arbitrary, Unstructured};
use bytes::{Bytes, BytesMut};
use framewise::{
    AnyCodec, Cobs, DecodeMut, Decoded, Delimited, Encode, Endian, Error, FixedLength,
    LengthPrefixed, Lines, Raw, Width,
};
use tokio_util::codec::{Decoder, Encoder, LengthDelimitedCodec};

pub use super::harness::{Codec, Event, Outcome, byte_reads, encode_core, one_read, run, split};

// ---------------------------------------------------------------------------
// The targets, by name, for the regression test.

/// A fuzz target: its name (the directory under `fuzz/corpus/`) and the
/// function that turns raw fuzzer bytes into its input and checks it, exactly
/// as `libfuzzer_sys::fuzz_target!` does.
pub type Target = (&'static str, fn(&[u8]));

/// Every fuzz target.
pub const TARGETS: &[Target] = &[
    ("decode_length", |d| replay(d, check_decode_length)),
    ("decode_varint", |d| replay(d, check_decode_varint)),
    ("decode_delimited", |d| replay(d, check_decode_delimited)),
    ("decode_lines", |d| replay(d, check_decode_lines)),
    ("decode_fixed", |d| replay(d, check_decode_fixed)),
    ("decode_cobs", |d| replay(d, check_decode_cobs)),
    ("decode_any", |d| replay(d, check_decode_any)),
    ("roundtrip_length", |d| replay(d, check_roundtrip_length)),
    ("roundtrip_varint", |d| replay(d, check_roundtrip_varint)),
    ("roundtrip_delimited", |d| {
        replay(d, check_roundtrip_delimited)
    }),
    ("roundtrip_lines", |d| replay(d, check_roundtrip_lines)),
    ("roundtrip_fixed", |d| replay(d, check_roundtrip_fixed)),
    ("roundtrip_cobs", |d| replay(d, check_roundtrip_cobs)),
    ("roundtrip_any", |d| replay(d, check_roundtrip_any)),
    ("differential_length", |d| {
        replay(d, check_differential_length)
    }),
    ("differential_cobs", |d| replay(d, check_differential_cobs)),
    ("decode_slip", |d| replay(d, framings::check_decode_slip)),
    ("decode_stuffed", |d| {
        replay(d, framings::check_decode_stuffed)
    }),
    ("decode_ascii", |d| replay(d, framings::check_decode_ascii)),
    ("decode_varint4", |d| {
        replay(d, framings::check_decode_varint4)
    }),
    ("decode_crc", |d| replay(d, framings::check_decode_crc)),
    ("roundtrip_slip", |d| {
        replay(d, framings::check_roundtrip_slip)
    }),
    ("roundtrip_stuffed", |d| {
        replay(d, framings::check_roundtrip_stuffed)
    }),
    ("roundtrip_ascii", |d| {
        replay(d, framings::check_roundtrip_ascii)
    }),
    ("roundtrip_varint4", |d| {
        replay(d, framings::check_roundtrip_varint4)
    }),
    ("roundtrip_crc", |d| {
        replay(d, framings::check_roundtrip_crc)
    }),
    ("differential_slip", |d| {
        replay(d, framings::check_differential_slip)
    }),
];

// SLIP, byte stuffing, ASCII lengths, MQTT's varint, CRC trailers.
#[path = "framings.rs"]
pub mod framings;

/// Builds the input from raw bytes the way `fuzz_target!` does (too short:
/// skipped; otherwise `arbitrary_take_rest`) and checks it.
pub fn replay<T: for<'a> Arbitrary<'a>>(data: &[u8], check: fn(T)) {
    if data.len() < T::size_hint(0).0 {
        return;
    }
    if let Ok(input) = T::arbitrary_take_rest(Unstructured::new(data)) {
        check(input);
    }
}

// ---------------------------------------------------------------------------
// Inputs shared by several targets.

/// A frame limit: mostly small, so that short inputs reach it.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Max {
    /// 0 to 255 bytes.
    Small(u8),
    /// Up to 64 KiB.
    Medium(u16),
    /// Anything, up to `usize::MAX`.
    Any(u64),
}

impl Max {
    fn get(self) -> usize {
        match self {
            Max::Small(n) => n.into(),
            Max::Medium(n) => n.into(),
            Max::Any(n) => usize::try_from(n).unwrap_or(usize::MAX),
        }
    }
}

/// One item for an encoder, and which of its two `Encoder` impls to use.
#[derive(Debug, Arbitrary)]
pub struct Item {
    /// The item.
    pub data: Vec<u8>,
    /// `Encoder<Bytes>` when true, `Encoder<&[u8]>` otherwise.
    pub as_bytes: bool,
}

/// Maps arbitrary bytes into a small alphabet, so that delimiters, line
/// endings and COBS codes meet each other often in short inputs.
fn squeeze(bytes: &[u8], alphabet: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .map(|&b| alphabet[usize::from(b) % alphabet.len()])
        .collect()
}

// ---------------------------------------------------------------------------
// Judging a run (the harness itself is `harness.rs`).

/// Drops the length from `FrameTooLong` errors. For a frame whose end has not
/// arrived yet (delimiters, lines, COBS), the decoder reports the bytes seen so
/// far, which depends on where the reads split (documented on the error); the
/// error itself, its limit and its place among the frames do not.
fn without_seen_len(events: &[Event]) -> Vec<Event> {
    events
        .iter()
        .map(|e| match *e {
            Event::TooLong { max, .. } => Event::TooLong { len: 0, max },
            ref other => other.clone(),
        })
        .collect()
}

/// Drops the wording of corrupt-header reasons and COBS offsets, for
/// comparisons with a reference decoder that does not produce them.
fn without_details(events: &[Event]) -> Vec<Event> {
    events
        .iter()
        .map(|e| match *e {
            Event::Corrupt(_) => Event::Corrupt(String::new()),
            Event::InvalidCobs { .. } => Event::InvalidCobs { offset: 0 },
            ref other => other.clone(),
        })
        .collect()
}

/// What a decoder promises about one run.
struct Expect {
    /// The most bytes the decoder may hold while waiting for more.
    bound: usize,
    /// The longest frame it may return.
    longest_frame: usize,
    /// The limit every `FrameTooLong` names.
    limit: u64,
    /// Whether `FrameTooLong` reports the bytes seen so far (see
    /// [`without_seen_len`]) rather than a length known from a header.
    seen_len: bool,
}

fn check_outcome(name: &str, o: &Outcome, expect: &Expect) {
    assert!(
        o.max_buffered <= expect.bound,
        "{name}: the decoder held {} bytes while waiting, over its bound of {}",
        o.max_buffered,
        expect.bound
    );
    for e in &o.events {
        match *e {
            Event::Frame(ref f) => assert!(
                f.len() <= expect.longest_frame,
                "{name}: a frame of {} bytes, over the limit of {}",
                f.len(),
                expect.longest_frame
            ),
            Event::TooLong { len, max } => {
                assert_eq!(
                    max, expect.limit,
                    "{name}: FrameTooLong names the wrong limit"
                );
                // A length past u64::MAX is reported as u64::MAX.
                assert!(
                    len > max || len == u64::MAX,
                    "{name}: FrameTooLong with {len} <= {max}"
                );
            }
            _ => {}
        }
    }
}

/// Decodes `data` split by `cuts`, in one read, and one byte at a time, checks
/// each run against `expect`, and asserts that all three agree. Returns the
/// one-read events (where `FrameTooLong` lengths are the whole frame's).
fn check_splits<D>(codec: &D, data: &[u8], cuts: &[u16], expect: &Expect) -> Vec<Event>
where
    D: Codec,
{
    let mut first = codec.clone();
    let by_cuts = run(&mut first, &split(data, cuts));
    let whole = run(&mut codec.clone(), &one_read(data));
    // The codec that decoded the first stream decodes the next one: after
    // decode_eof it must hold nothing of the old stream.
    let mut reused = if by_cuts.fatal { codec.clone() } else { first };
    let bytewise = run(&mut reused, &byte_reads(data));
    for (name, o) in [
        ("split reads", &by_cuts),
        ("one read", &whole),
        ("one byte at a time", &bytewise),
    ] {
        check_outcome(name, o, expect);
    }
    let norm = |e: &[Event]| {
        if expect.seen_len {
            without_seen_len(e)
        } else {
            e.to_vec()
        }
    };
    assert_eq!(
        norm(&by_cuts.events),
        norm(&whole.events),
        "split reads and one read disagree"
    );
    assert_eq!(
        norm(&bytewise.events),
        norm(&whole.events),
        "one byte at a time (on the codec reused after the first stream) and one read disagree"
    );
    whole.events
}

fn frames_of(events: &[Event]) -> Vec<Vec<u8>> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Frame(f) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

/// Encodes one item through the tokio-util encoder (`Bytes` or `&[u8]`, as
/// the item says) and through the core ([`encode_core`]), which must agree;
/// a refusal must leave `dst` exactly as it was.
fn encode_item<E>(codec: &mut E, item: &Item, dst: &mut BytesMut) -> Result<Vec<u8>, Error>
where
    E: Encoder<Bytes, Error = Error> + for<'a> Encoder<&'a [u8], Error = Error> + Encode,
{
    let before = dst.clone();
    let result = if item.as_bytes {
        codec.encode(Bytes::from(item.data.clone()), dst)
    } else {
        codec.encode(&item.data[..], dst)
    };
    let result = match result {
        Ok(()) => {
            assert_eq!(
                &dst[..before.len()],
                &before[..],
                "the encoder changed bytes already in the buffer"
            );
            Ok(dst[before.len()..].to_vec())
        }
        Err(e) => {
            assert_eq!(
                &dst[..],
                &before[..],
                "the encoder refused an item ({e}) but wrote to the buffer"
            );
            Err(e)
        }
    };
    assert_same_encoding(&result, &encode_core(codec, &item.data));
    result
}

/// The tokio-util adapter and the core encode an item alike: the same bytes,
/// or the same refusal.
fn assert_same_encoding(adapter: &Result<Vec<u8>, Error>, core: &Result<Vec<u8>, Error>) {
    match (adapter, core) {
        (Ok(a), Ok(c)) => assert_eq!(a, c, "the adapter and the core encode differently"),
        (Err(a), Err(c)) => assert_eq!(a.to_string(), c.to_string()),
        _ => panic!("the adapter gives {adapter:?}, the core {core:?}"),
    }
}

/// The variant of an encoding result, with the numbers that must match.
fn refusal(result: &Result<Vec<u8>, Error>) -> Option<String> {
    match result {
        Ok(_) => None,
        Err(Error::FrameTooLong { len, max }) => Some(format!("FrameTooLong {len} {max}")),
        Err(Error::Unencodable { .. }) => Some("Unencodable".into()),
        Err(Error::EncodeUnsupported { .. }) => Some("EncodeUnsupported".into()),
        Err(e) => Some(format!("unexpected {e}")),
    }
}

/// Decodes a round trip's wire and asserts the frames are exactly `want`.
fn check_round_trip<D>(codec: &D, wire: &[u8], cuts: &[u16], want: Vec<Vec<u8>>, expect: &Expect)
where
    D: Codec,
{
    let events = check_splits(codec, wire, cuts, expect);
    let want: Vec<Event> = want.into_iter().map(Event::Frame).collect();
    assert_eq!(
        events, want,
        "the decoder did not give back the encoded items"
    );
}

// ---------------------------------------------------------------------------
// LengthPrefixed.

/// The length field for the fuzz input.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum WidthChoice {
    /// `Width::U8`.
    U8,
    /// `Width::U16`.
    U16,
    /// `Width::U24`.
    U24,
    /// `Width::U32`.
    U32,
    /// `Width::U64`.
    U64,
    /// `Width::Varint`.
    Varint,
}

impl WidthChoice {
    fn width(self) -> Width {
        match self {
            WidthChoice::U8 => Width::U8,
            WidthChoice::U16 => Width::U16,
            WidthChoice::U24 => Width::U24,
            WidthChoice::U32 => Width::U32,
            WidthChoice::U64 => Width::U64,
            WidthChoice::Varint => Width::Varint,
        }
    }
}

/// Bytes before the length field.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Offset {
    /// A few bytes (0 to 15).
    Small(u8),
    /// Anything, to reach the builder's overflow checks.
    Any(u64),
}

/// The length adjustment.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Adjustment {
    /// -128 to 127.
    Small(i8),
    /// Anything, to reach overflow in the header arithmetic.
    Any(i64),
}

/// A `LengthPrefixed` layout, as the fuzzer picks it.
#[derive(Debug, Arbitrary)]
pub struct LengthLayout {
    /// The length field.
    pub width: WidthChoice,
    /// Byte order.
    pub little_endian: bool,
    /// Bytes before the length field.
    pub offset: Offset,
    /// Added to the length value.
    pub adjustment: Adjustment,
    /// `strip(n)`, or the default.
    pub strip: Option<u16>,
    /// The limit.
    pub max: Max,
}

/// A resolved layout: the numbers given to the builder (and to the
/// reference, [`naive_length`]).
#[derive(Debug, Clone)]
pub struct Layout {
    /// The length field.
    pub width: Width,
    /// Big-endian.
    pub big: bool,
    /// Bytes before the length field.
    pub offset: usize,
    /// Added to the length value.
    pub adjustment: isize,
    /// Bytes stripped from each frame, or the header (`None`).
    pub strip: Option<usize>,
    /// The limit on the whole frame.
    pub max: usize,
}

impl LengthLayout {
    fn resolve(&self, force: Option<Width>) -> Layout {
        Layout {
            width: force.unwrap_or(self.width.width()),
            big: !self.little_endian,
            offset: match self.offset {
                Offset::Small(n) => usize::from(n % 16),
                Offset::Any(n) => usize::try_from(n).unwrap_or(usize::MAX),
            },
            adjustment: match self.adjustment {
                Adjustment::Small(n) => n.into(),
                Adjustment::Any(n) => isize::try_from(n).unwrap_or(isize::MAX),
            },
            strip: self.strip.map(usize::from),
            max: self.max.get(),
        }
    }
}

impl Layout {
    fn field_size(&self) -> usize {
        self.width.fixed_size().unwrap_or(1)
    }

    /// Builds the codec, asserting that the builder refuses exactly the
    /// layouts that can never decode a frame.
    fn build(&self) -> Option<LengthPrefixed> {
        let mut b = LengthPrefixed::builder()
            .width(self.width)
            .offset(self.offset)
            .adjustment(self.adjustment)
            .max_frame_len(self.max);
        b = if self.big {
            b.big_endian()
        } else {
            b.little_endian()
        };
        if let Some(s) = self.strip {
            b = b.strip(s);
        }
        let workable = self
            .offset
            .checked_add(self.field_size())
            .is_some_and(|header| header <= self.max)
            && self.strip.is_none_or(|s| s <= self.max);
        match b.build() {
            Ok(c) => {
                assert!(workable, "the builder accepted {self:?}");
                assert_eq!(c.max_frame_len(), self.max);
                assert_eq!(c.width(), self.width);
                let endian = if self.big {
                    Endian::Big
                } else {
                    Endian::Little
                };
                assert_eq!(c.endian(), endian);
                assert_eq!(c.offset(), self.offset);
                assert_eq!(c.adjustment(), self.adjustment);
                Some(c)
            }
            Err(e) => {
                assert!(!workable, "the builder refused {self:?}: {e}");
                None
            }
        }
    }

    /// The most bytes the decoder may hold while waiting: less than the
    /// limit, except that a varint header still arriving may hold up to
    /// offset + 9 bytes whatever the limit (it cannot know the length yet).
    fn bound(&self) -> usize {
        let below_limit = self.max - 1;
        match self.width {
            Width::Varint => below_limit.max(self.offset.saturating_add(9)),
            Width::Varint4 => below_limit.max(self.offset.saturating_add(3)),
            _ => below_limit,
        }
    }

    fn expect(&self) -> Expect {
        Expect {
            bound: self.bound(),
            longest_frame: self.max,
            limit: self.max as u64,
            seen_len: false,
        }
    }
}

enum Header {
    Partial,
    Corrupt(&'static str),
    Value { value: u64, header_len: usize },
}

/// The length field at `rest[offset..]`, read plainly.
fn naive_header(l: &Layout, rest: &[u8]) -> Header {
    let Some(field) = rest.get(l.offset..) else {
        return Header::Partial;
    };
    if l.width == Width::Varint || l.width == Width::Varint4 {
        // MQTT's remaining length stops at 4 bytes.
        let (longest, too_long) = if l.width == Width::Varint4 {
            (4, "varint length is longer than 4 bytes")
        } else {
            (10, "varint length is longer than 10 bytes")
        };
        let mut value: u128 = 0;
        for i in 0..longest {
            let Some(&b) = field.get(i) else {
                return Header::Partial;
            };
            value |= u128::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return match u64::try_from(value) {
                    Ok(value) => Header::Value {
                        value,
                        header_len: l.offset + i + 1,
                    },
                    Err(_) => Header::Corrupt("varint length overflows 64 bits"),
                };
            }
        }
        return Header::Corrupt(too_long);
    }
    let n = l.field_size();
    let Some(bytes) = field.get(..n) else {
        return Header::Partial;
    };
    let mut value = 0u64;
    for i in 0..n {
        let b = if l.big { bytes[i] } else { bytes[n - 1 - i] };
        value = value << 8 | u64::from(b);
    }
    Header::Value {
        value,
        header_len: l.offset + n,
    }
}

/// A plain length-prefixed decoder over a whole stream: the reference of
/// `decode_length` and of the property tests in `tests/length.rs`.
pub fn naive_length(l: &Layout, data: &[u8]) -> Vec<Event> {
    let mut out = Vec::new();
    let mut pos = 0;
    let corrupt = |reason: &str| Event::Corrupt(reason.to_owned());
    while pos < data.len() {
        let rest = &data[pos..];
        let (value, header_len) = match naive_header(l, rest) {
            Header::Partial => {
                out.push(Event::Truncated {
                    buffered: rest.len(),
                });
                break;
            }
            Header::Corrupt(reason) => {
                out.push(corrupt(reason));
                break;
            }
            Header::Value { value, header_len } => (value, header_len),
        };
        let after = i128::from(value) + l.adjustment as i128;
        if after < 0 {
            out.push(corrupt("length plus adjustment is negative"));
            break;
        }
        let total = after + header_len as i128;
        if total > l.max as i128 {
            out.push(Event::TooLong {
                len: u64::try_from(total).unwrap_or(u64::MAX),
                max: l.max as u64,
            });
            // Skipped as it arrives; past the end of the stream, silently.
            match usize::try_from(total) {
                Ok(t) if t <= rest.len() => {
                    pos += t;
                    continue;
                }
                _ => break,
            }
        }
        let total = total as usize;
        let strip = l.strip.unwrap_or(header_len);
        if strip > total {
            out.push(corrupt("frame is shorter than the bytes to strip"));
            break;
        }
        if total > rest.len() {
            out.push(Event::Truncated {
                buffered: rest.len(),
            });
            break;
        }
        out.push(Event::Frame(rest[strip..total].to_vec()));
        pos += total;
    }
    out
}

/// Input of `decode_length` and `decode_varint`.
#[derive(Debug, Arbitrary)]
pub struct DecodeLengthInput {
    /// The header layout (`decode_varint` forces a varint field).
    pub layout: LengthLayout,
    /// Where the reads split the bytes.
    pub cuts: Vec<u16>,
    /// The bytes.
    pub data: Vec<u8>,
}

/// `decode_length`: any layout, arbitrary bytes.
pub fn check_decode_length(input: DecodeLengthInput) {
    decode_length(&input, None);
}

/// `decode_varint`: a varint length field, arbitrary bytes.
pub fn check_decode_varint(input: DecodeLengthInput) {
    decode_length(&input, Some(Width::Varint));
}

fn decode_length(input: &DecodeLengthInput, force: Option<Width>) {
    let layout = input.layout.resolve(force);
    let Some(codec) = layout.build() else {
        return;
    };
    let events = check_splits(&codec, &input.data, &input.cuts, &layout.expect());
    assert_eq!(
        events,
        naive_length(&layout, &input.data),
        "LengthPrefixed and the naive decoder disagree on {layout:?}"
    );
}

/// Input of `roundtrip_length` and `roundtrip_varint`.
#[derive(Debug, Arbitrary)]
pub struct RoundTripLengthInput {
    /// The header layout, shared by encoder and decoder.
    pub layout: LengthLayout,
    /// The items to encode.
    pub items: Vec<Item>,
    /// Where the reads split the encoded bytes.
    pub cuts: Vec<u16>,
}

/// `roundtrip_length`: any layout (varint included).
pub fn check_roundtrip_length(input: RoundTripLengthInput) {
    roundtrip_length(&input, None);
}

/// `roundtrip_varint`: a varint length field.
pub fn check_roundtrip_varint(input: RoundTripLengthInput) {
    roundtrip_length(&input, Some(Width::Varint));
}

fn varint_len(v: u64) -> usize {
    let mut n = 1;
    let mut v = v >> 7;
    while v > 0 {
        n += 1;
        v >>= 7;
    }
    n
}

/// What the encoder must do with `item`, from the issue's rules: `None` to
/// accept, or the refusal as [`refusal`] writes it.
fn length_verdict(l: &Layout, item: &[u8]) -> Option<String> {
    let keep = l.strip == Some(0);
    let plain = l.offset == 0 && (l.strip.is_none() || l.strip == l.width.fixed_size());
    let varint = l.width == Width::Varint || l.width == Width::Varint4;
    if !(keep || plain) || (keep && varint) {
        return Some("EncodeUnsupported".into());
    }
    let header = l.offset + l.field_size();
    let after = if keep {
        match item.len().checked_sub(header) {
            Some(after) => after,
            None => return Some("Unencodable".into()),
        }
    } else {
        item.len()
    };
    let value = after as i128 - l.adjustment as i128;
    let max_value = match l.width.fixed_size() {
        Some(n) if n < 8 => (1u64 << (8 * n)) - 1,
        _ if l.width == Width::Varint4 => (1 << 28) - 1,
        _ => u64::MAX,
    };
    if value < 0 || value > i128::from(max_value) {
        return Some("Unencodable".into());
    }
    let field = match l.width {
        Width::Varint | Width::Varint4 => varint_len(value as u64),
        _ => l.field_size(),
    };
    let total = if keep { l.offset } else { 0 } + field + after;
    if total > l.max {
        return Some(format!("FrameTooLong {total} {}", l.max));
    }
    None
}

fn roundtrip_length(input: &RoundTripLengthInput, force: Option<Width>) {
    let layout = input.layout.resolve(force);
    let Some(mut codec) = layout.build() else {
        return;
    };
    let keep = layout.strip == Some(0);
    let mut wire = BytesMut::new();
    let mut want = Vec::new();
    for item in &input.items {
        let result = encode_item(&mut codec, item, &mut wire);
        assert_eq!(
            refusal(&result),
            length_verdict(&layout, &item.data),
            "the encoder's verdict on a {}-byte item with {layout:?}",
            item.data.len()
        );
        let Ok(encoded) = result else { continue };
        if keep {
            // The item is a whole frame; the encoder wrote its length field.
            let field = layout.offset..layout.offset + layout.field_size();
            assert_eq!(encoded.len(), item.data.len());
            assert_eq!(encoded[..field.start], item.data[..field.start]);
            assert_eq!(encoded[field.end..], item.data[field.end..]);
            want.push(encoded);
        } else {
            assert!(encoded.ends_with(&item.data));
            want.push(item.data.clone());
        }
    }
    check_round_trip(&codec, &wire, &input.cuts, want, &layout.expect());
}

// ---------------------------------------------------------------------------
// Delimited.

/// A `Delimited` configuration, as the fuzzer picks it.
#[derive(Debug, Arbitrary)]
pub struct DelimitedConfig {
    /// The delimiters, in the order given to the builder.
    pub delimiters: Vec<Vec<u8>>,
    /// `keep_delimiter`.
    pub keep: bool,
    /// The limit.
    pub max: Max,
    /// Map delimiter and data bytes into a few bytes (`\r \n ; a b`).
    pub small_alphabet: bool,
}

const DELIMITER_ALPHABET: &[u8] = b"\r\n;";
const DELIMITED_DATA_ALPHABET: &[u8] = b"\r\n;ab";

struct DelimitedSetup {
    codec: Delimited,
    /// Without duplicates, in the order given.
    delimiters: Vec<Vec<u8>>,
    keep: bool,
    max: usize,
}

impl DelimitedSetup {
    fn expect(&self) -> Expect {
        let longest = self.delimiters.iter().map(Vec::len).max().unwrap_or(1);
        Expect {
            // Up to the limit, plus the start of a delimiter that may still
            // be arriving.
            bound: self.max.saturating_add(longest - 1),
            longest_frame: self.max.saturating_add(if self.keep { longest } else { 0 }),
            limit: self.max as u64,
            seen_len: true,
        }
    }
}

impl DelimitedConfig {
    fn delimiters(&self) -> Vec<Vec<u8>> {
        self.delimiters
            .iter()
            .map(|d| {
                if self.small_alphabet {
                    squeeze(d, DELIMITER_ALPHABET)
                } else {
                    d.clone()
                }
            })
            .collect()
    }

    /// Builds the codec, asserting that the builder refuses exactly the
    /// configurations its documentation names.
    fn build(&self) -> Option<DelimitedSetup> {
        let given = self.delimiters();
        let mut unique: Vec<Vec<u8>> = Vec::new();
        for d in &given {
            if !unique.contains(d) {
                unique.push(d.clone());
            }
        }
        let workable = !unique.is_empty()
            && unique.iter().all(|d| !d.is_empty())
            && unique.len() <= Delimited::MAX_DELIMITERS
            && unique.iter().map(Vec::len).sum::<usize>() <= Delimited::MAX_DELIMITER_BYTES
            && !unique[1..].iter().any(|d| d.starts_with(&unique[0]));
        let max = self.max.get();
        let built = given
            .iter()
            .fold(Delimited::builder(), |b, d| b.delimiter(d))
            .keep_delimiter(self.keep)
            .max_frame_len(max)
            .build();
        match built {
            Ok(codec) => {
                assert!(workable, "the builder accepted {unique:?}");
                assert_eq!(codec.delimiters().collect::<Vec<_>>(), unique);
                assert_eq!(codec.keeps_delimiter(), self.keep);
                assert_eq!(codec.max_frame_len(), max);
                Some(DelimitedSetup {
                    codec,
                    delimiters: unique,
                    keep: self.keep,
                    max,
                })
            }
            Err(e) => {
                assert!(!workable, "the builder refused {unique:?}: {e}");
                None
            }
        }
    }
}

/// A plain delimited decoder over a whole stream: the earliest delimiter
/// wins, the longest where several start at the same byte; an unterminated
/// last frame is a frame. The reference of `decode_delimited` and of the
/// property tests in `tests/delimited.rs`.
///
/// Each event comes with whether a decoder that sees the whole stream in one
/// read knows its length exactly: an oversized frame's `FrameTooLong` has the
/// payload's whole length, which a decoder reports only when a delimiter
/// ends it and no longer delimiter could still start before that one
/// (otherwise it reports what had arrived when it gave up).
pub fn naive_delimited(
    delimiters: &[Vec<u8>],
    keep: bool,
    max: usize,
    data: &[u8],
) -> Vec<(Event, bool)> {
    let longest = delimiters.iter().map(Vec::len).max().unwrap_or(1);
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let frame = |out: &mut Vec<(Event, bool)>, payload: &[u8], whole: &[u8], exact: bool| {
        if payload.len() > max {
            let len = payload.len() as u64;
            out.push((
                Event::TooLong {
                    len,
                    max: max as u64,
                },
                exact,
            ));
        } else {
            out.push((
                Event::Frame(if keep { whole } else { payload }.to_vec()),
                true,
            ));
        }
    };
    while i < data.len() {
        let matched = delimiters
            .iter()
            .filter(|d| data[i..].starts_with(d))
            .map(Vec::len)
            .max();
        match matched {
            Some(len) => {
                let exact = i + longest <= data.len();
                frame(&mut out, &data[start..i], &data[start..i + len], exact);
                i += len;
                start = i;
            }
            None => i += 1,
        }
    }
    if start < data.len() {
        frame(&mut out, &data[start..], &data[start..], false);
    }
    out
}

fn naive_events(s: &DelimitedSetup, data: &[u8]) -> Vec<Event> {
    naive_delimited(&s.delimiters, s.keep, s.max, data)
        .into_iter()
        .map(|(e, _)| e)
        .collect()
}

/// Input of `decode_delimited`.
#[derive(Debug, Arbitrary)]
pub struct DecodeDelimitedInput {
    /// The configuration.
    pub config: DelimitedConfig,
    /// Where the reads split the bytes.
    pub cuts: Vec<u16>,
    /// The bytes.
    pub data: Vec<u8>,
}

/// `decode_delimited`: any delimiter set, arbitrary bytes.
pub fn check_decode_delimited(input: DecodeDelimitedInput) {
    let Some(setup) = input.config.build() else {
        return;
    };
    let data = if input.config.small_alphabet {
        squeeze(&input.data, DELIMITED_DATA_ALPHABET)
    } else {
        input.data.clone()
    };
    let events = check_splits(&setup.codec, &data, &input.cuts, &setup.expect());
    assert_eq!(
        without_seen_len(&events),
        without_seen_len(&naive_events(&setup, &data)),
        "Delimited and the naive decoder disagree on {:?} (keep {})",
        setup.delimiters,
        setup.keep
    );
}

/// Input of `roundtrip_delimited`.
#[derive(Debug, Arbitrary)]
pub struct RoundTripDelimitedInput {
    /// The configuration, shared by encoder and decoder.
    pub config: DelimitedConfig,
    /// The items to encode (whole frames with `keep`).
    pub items: Vec<Item>,
    /// Where the reads split the encoded bytes.
    pub cuts: Vec<u16>,
}

/// `roundtrip_delimited`.
pub fn check_roundtrip_delimited(input: RoundTripDelimitedInput) {
    let Some(mut setup) = input.config.build() else {
        return;
    };
    let mut wire = BytesMut::new();
    let mut want = Vec::new();
    for item in &input.items {
        let item = Item {
            data: if input.config.small_alphabet {
                squeeze(&item.data, DELIMITED_DATA_ALPHABET)
            } else {
                item.data.clone()
            },
            as_bytes: item.as_bytes,
        };
        let result = encode_item(&mut setup.codec, &item, &mut wire);
        match &result {
            Ok(encoded) => {
                if setup.keep {
                    assert_eq!(encoded, &item.data);
                } else {
                    assert!(encoded.starts_with(&item.data));
                    assert_eq!(&encoded[item.data.len()..], &setup.delimiters[0][..]);
                }
                want.push(item.data.clone());
            }
            Err(Error::FrameTooLong { len, max }) => {
                assert!(*len > *max && *max == setup.max as u64);
            }
            Err(Error::Unencodable { .. }) => {}
            Err(e) => panic!("unexpected encoder error {e}"),
        }
        // A payload within the limit that shares no byte with any delimiter
        // can always be framed.
        let disjoint = !item
            .data
            .iter()
            .any(|b| setup.delimiters.iter().any(|d| d.contains(b)));
        if !setup.keep && disjoint && item.data.len() <= setup.max {
            assert!(result.is_ok(), "refused a plain payload within the limit");
        }
    }
    check_round_trip(&setup.codec, &wire, &input.cuts, want, &setup.expect());
}

// ---------------------------------------------------------------------------
// Lines.

/// A `Lines` configuration.
#[derive(Debug, Arbitrary)]
pub struct LinesConfig {
    /// `Lines::crlf()` rather than `Lines::new()` (only the encoder differs).
    pub crlf: bool,
    /// The limit.
    pub max: Max,
    /// Map data bytes into `\r \n a` and the two bytes of `é` and `0xFF`.
    pub small_alphabet: bool,
}

const LINES_ALPHABET: &[u8] = b"\r\na\xc3\xa9\xff";

impl LinesConfig {
    fn codec(&self) -> Lines {
        let lines = if self.crlf {
            Lines::crlf()
        } else {
            Lines::new()
        };
        let lines = lines.with_max_frame_len(self.max.get());
        assert_eq!(lines.max_frame_len(), self.max.get());
        assert_eq!(lines.is_crlf(), self.crlf);
        lines
    }

    fn expect(&self) -> Expect {
        let max = self.max.get();
        Expect {
            // Up to the limit, plus a final `\r` that may start the ending.
            bound: max.saturating_add(1),
            longest_frame: max,
            limit: max as u64,
            seen_len: true,
        }
    }
}

/// A plain line splitter over a whole stream: the reference of
/// `decode_lines` and of the property tests in `tests/lines.rs`. An
/// oversized line's `FrameTooLong` has the line's whole length (a decoder
/// may report less: what had arrived when it gave up).
pub fn naive_lines(max: usize, data: &[u8]) -> Vec<Event> {
    let mut out = Vec::new();
    let mut line = |raw: &[u8]| {
        let text = raw.strip_suffix(b"\r").unwrap_or(raw);
        if text.len() > max {
            out.push(Event::TooLong {
                len: text.len() as u64,
                max: max as u64,
            });
            return;
        }
        out.push(match std::str::from_utf8(text) {
            Ok(s) => Event::Frame(s.as_bytes().to_vec()),
            Err(e) => Event::InvalidUtf8 {
                len: text.len(),
                valid_up_to: e.valid_up_to(),
            },
        });
    };
    let mut pieces: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    // The piece after the last `\n`: a final unterminated line, if any.
    let last = pieces.pop().unwrap_or_default();
    for piece in pieces {
        line(piece);
    }
    if !last.is_empty() {
        line(last);
    }
    out
}

/// Input of `decode_lines`.
#[derive(Debug, Arbitrary)]
pub struct DecodeLinesInput {
    /// The configuration.
    pub config: LinesConfig,
    /// Where the reads split the bytes.
    pub cuts: Vec<u16>,
    /// The bytes.
    pub data: Vec<u8>,
}

/// `decode_lines`.
pub fn check_decode_lines(input: DecodeLinesInput) {
    let codec = input.config.codec();
    let data = if input.config.small_alphabet {
        squeeze(&input.data, LINES_ALPHABET)
    } else {
        input.data.clone()
    };
    let events = check_splits(&codec, &data, &input.cuts, &input.config.expect());
    assert_eq!(
        without_seen_len(&events),
        without_seen_len(&naive_lines(input.config.max.get(), &data)),
        "Lines and the naive decoder disagree"
    );
}

/// A line for the encoder, and which of its two `Encoder` impls to use.
#[derive(Debug, Arbitrary)]
pub struct LineItem {
    /// The line.
    pub text: String,
    /// `Encoder<String>` when true, `Encoder<&str>` otherwise.
    pub as_string: bool,
}

/// Input of `roundtrip_lines`.
#[derive(Debug, Arbitrary)]
pub struct RoundTripLinesInput {
    /// The configuration.
    pub config: LinesConfig,
    /// The lines to encode.
    pub items: Vec<LineItem>,
    /// Where the reads split the encoded bytes.
    pub cuts: Vec<u16>,
}

/// `roundtrip_lines`.
pub fn check_roundtrip_lines(input: RoundTripLinesInput) {
    let mut codec = input.config.codec();
    let max = input.config.max.get();
    let mut wire = BytesMut::new();
    let mut want = Vec::new();
    for item in &input.items {
        let before = wire.clone();
        let result = if item.as_string {
            codec.encode(item.text.clone(), &mut wire)
        } else {
            codec.encode(item.text.as_str(), &mut wire)
        };
        let text = item.text.as_bytes();
        let acceptable = text.len() <= max
            && !text.contains(&b'\n')
            && (input.config.crlf || !text.ends_with(b"\r"));
        let result = result.map(|()| wire[before.len()..].to_vec());
        match &result {
            Ok(encoded) => {
                assert!(acceptable, "accepted the line {:?}", item.text);
                let ending: &[u8] = if input.config.crlf { b"\r\n" } else { b"\n" };
                assert_eq!(wire[..before.len()], before[..]);
                assert_eq!(encoded, &[text, ending].concat());
                want.push(text.to_vec());
            }
            Err(e) => {
                assert!(!acceptable, "refused the line {:?}: {e}", item.text);
                assert_eq!(wire, before, "refused a line ({e}) but wrote to the buffer");
            }
        }
        assert_same_encoding(&result, &encode_core(&codec, text));
    }
    check_round_trip(&codec, &wire, &input.cuts, want, &input.config.expect());
}

// ---------------------------------------------------------------------------
// FixedLength.

/// Input of `decode_fixed`.
#[derive(Debug, Arbitrary)]
pub struct DecodeFixedInput {
    /// The frame length (0 must be refused).
    pub len: u16,
    /// Where the reads split the bytes.
    pub cuts: Vec<u16>,
    /// The bytes.
    pub data: Vec<u8>,
}

fn fixed_codec(len: u16) -> Option<FixedLength> {
    let len = usize::from(len);
    match FixedLength::new(len) {
        Ok(c) => {
            assert!(len > 0);
            assert_eq!(c.frame_len(), len);
            assert_eq!(c.max_frame_len(), len);
            Some(c)
        }
        Err(_) => {
            assert_eq!(len, 0, "FixedLength::new({len}) refused");
            None
        }
    }
}

fn fixed_expect(len: usize) -> Expect {
    Expect {
        bound: len - 1,
        longest_frame: len,
        limit: len as u64,
        seen_len: false,
    }
}

/// The reference of `FixedLength(n)`: whole `n`-byte chunks are frames, a
/// shorter tail is `Truncated` at the end of the stream.
pub fn naive_fixed(n: usize, data: &[u8]) -> Vec<Event> {
    data.chunks(n)
        .map(|c| {
            if c.len() == n {
                Event::Frame(c.to_vec())
            } else {
                Event::Truncated { buffered: c.len() }
            }
        })
        .collect()
}

/// `decode_fixed`.
pub fn check_decode_fixed(input: DecodeFixedInput) {
    let Some(codec) = fixed_codec(input.len) else {
        return;
    };
    let n = usize::from(input.len);
    let events = check_splits(&codec, &input.data, &input.cuts, &fixed_expect(n));
    let want = naive_fixed(n, &input.data);
    assert_eq!(events, want, "FixedLength({n})");
}

/// Input of `roundtrip_fixed`.
#[derive(Debug, Arbitrary)]
pub struct RoundTripFixedInput {
    /// The frame length.
    pub len: u16,
    /// The items to encode.
    pub items: Vec<Item>,
    /// Where the reads split the encoded bytes.
    pub cuts: Vec<u16>,
}

/// `roundtrip_fixed`.
pub fn check_roundtrip_fixed(input: RoundTripFixedInput) {
    let Some(mut codec) = fixed_codec(input.len) else {
        return;
    };
    let n = usize::from(input.len);
    let mut wire = BytesMut::new();
    let mut want = Vec::new();
    for item in &input.items {
        let result = encode_item(&mut codec, item, &mut wire);
        let verdict = (item.data.len() != n).then(|| "Unencodable".to_string());
        assert_eq!(refusal(&result), verdict);
        if let Ok(encoded) = result {
            assert_eq!(encoded, item.data);
            want.push(encoded);
        }
    }
    check_round_trip(&codec, &wire, &input.cuts, want, &fixed_expect(n));
}

// ---------------------------------------------------------------------------
// Cobs.

/// The limit of a `Cobs` codec.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum CobsMax {
    /// `Cobs::new()`'s default.
    Default,
    /// Any `with_max_frame_len`.
    Set(Max),
}

impl CobsMax {
    fn codec(self) -> Cobs {
        match self {
            CobsMax::Default => Cobs::new(),
            CobsMax::Set(max) => {
                let c = Cobs::new().with_max_frame_len(max.get());
                assert_eq!(c.max_frame_len(), max.get());
                c
            }
        }
    }
}

/// The longest encoding of a payload within `max`: one code byte per 254
/// payload bytes, one more for a final group, without the `0x00` terminator.
fn cobs_bound(max: usize) -> usize {
    max.saturating_add(max / 254).saturating_add(1)
}

fn cobs_expect(codec: &Cobs) -> Expect {
    let max = codec.max_frame_len();
    Expect {
        bound: cobs_bound(max),
        longest_frame: max,
        limit: max as u64,
        seen_len: true,
    }
}

const COBS_ALPHABET: &[u8] = b"\x00\x01\x02\x03\xfea";

/// Input of `decode_cobs`.
#[derive(Debug, Arbitrary)]
pub struct DecodeCobsInput {
    /// The limit.
    pub max: CobsMax,
    /// Map data bytes into `00 01 02 03 FE 61`.
    pub small_alphabet: bool,
    /// Where the reads split the bytes.
    pub cuts: Vec<u16>,
    /// The bytes.
    pub data: Vec<u8>,
}

/// `decode_cobs`: arbitrary bytes, with the `cobs` crate as the reference
/// (see [`check_differential_cobs`]).
pub fn check_decode_cobs(input: DecodeCobsInput) {
    let codec = input.max.codec();
    let data = if input.small_alphabet {
        squeeze(&input.data, COBS_ALPHABET)
    } else {
        input.data.clone()
    };
    let events = check_splits(&codec, &data, &input.cuts, &cobs_expect(&codec));
    assert_cobs_reference(&events, &data, codec.max_frame_len());
}

/// Input of `roundtrip_cobs`.
#[derive(Debug, Arbitrary)]
pub struct RoundTripCobsInput {
    /// The limit.
    pub max: CobsMax,
    /// The payloads to encode.
    pub items: Vec<Item>,
    /// Where the reads split the encoded bytes.
    pub cuts: Vec<u16>,
}

/// `roundtrip_cobs`.
pub fn check_roundtrip_cobs(input: RoundTripCobsInput) {
    let mut codec = input.max.codec();
    let max = codec.max_frame_len();
    let mut wire = BytesMut::new();
    let mut want = Vec::new();
    for item in &input.items {
        let result = encode_item(&mut codec, item, &mut wire);
        let len = item.data.len();
        let verdict = (len > max).then(|| format!("FrameTooLong {len} {max}"));
        assert_eq!(refusal(&result), verdict);
        if let Ok(encoded) = result {
            assert_eq!(encoded.last(), Some(&0));
            assert!(!encoded[..encoded.len() - 1].contains(&0));
            assert!(encoded.len() - 1 <= cobs_bound(len));
            want.push(item.data.clone());
        }
    }
    check_round_trip(&codec, &wire, &input.cuts, want, &cobs_expect(&codec));
}

/// Input of `differential_cobs`.
#[derive(Debug, Arbitrary)]
pub struct DifferentialCobsInput {
    /// The limit.
    pub max: CobsMax,
    /// Payloads, encoded by the `cobs` crate into the stream.
    pub payloads: Vec<Vec<u8>>,
    /// Bytes of the stream to overwrite: (position, value).
    pub corruptions: Vec<(u16, u8)>,
    /// Where the reads split the stream.
    pub cuts: Vec<u16>,
    /// Arbitrary bytes appended to the stream.
    pub data: Vec<u8>,
}

/// `differential_cobs`: framewise's `Cobs` against the `cobs` crate, encoding
/// and decoding.
///
/// Encoding: every payload within the limit encodes to `cobs::encode_vec(p)`
/// followed by `0x00`; a longer one is refused.
///
/// Decoding: the stream is cut at its zeros. Empty pieces are skipped. A
/// terminated piece no longer than the longest encoding of a payload within
/// the limit is decoded by `cobs::decode_vec`: a payload within the limit is
/// the frame, a longer one `FrameTooLong` with its exact length, a failure
/// `InvalidCobs`. A longer piece is `FrameTooLong` (whatever its content). An
/// unterminated last piece is `Truncated`, or `FrameTooLong` if too long.
pub fn check_differential_cobs(input: DifferentialCobsInput) {
    let mut codec = input.max.codec();
    let max = codec.max_frame_len();
    let mut stream = Vec::new();
    for p in &input.payloads {
        let mut ours = BytesMut::new();
        let result = codec.encode(&p[..], &mut ours);
        if p.len() <= max {
            let mut theirs = cobs::encode_vec(p);
            theirs.push(0);
            assert!(result.is_ok(), "refused a payload within the limit");
            assert_eq!(&ours[..], &theirs[..], "encodings differ");
            stream.extend_from_slice(&theirs);
        } else {
            assert!(matches!(result, Err(Error::FrameTooLong { .. })));
            assert!(ours.is_empty());
        }
    }
    stream.extend_from_slice(&input.data);
    if !stream.is_empty() {
        for &(at, value) in &input.corruptions {
            let at = usize::from(at) % stream.len();
            stream[at] = value;
        }
    }

    let got = run(&mut codec.clone(), &split(&stream, &input.cuts));
    check_outcome("split reads", &got, &cobs_expect(&codec));
    assert_cobs_reference(&got.events, &stream, max);
}

/// Asserts that framewise's events on `stream` are the reference's, built on
/// `cobs::decode_vec` (see [`check_differential_cobs`]).
fn assert_cobs_reference(events: &[Event], stream: &[u8], max: usize) {
    let bound = cobs_bound(max);
    // `len: 0`: too long to hold, the length reported is the bytes seen so far.
    let too_long = Event::TooLong {
        len: 0,
        max: max as u64,
    };
    let mut want = Vec::new();
    let mut pieces: Vec<&[u8]> = stream.split(|&b| b == 0).collect();
    let last = pieces.pop().unwrap_or_default();
    for piece in pieces {
        if piece.is_empty() {
            continue;
        }
        if piece.len() > bound {
            want.push(too_long.clone());
            continue;
        }
        want.push(match cobs::decode_vec(piece) {
            Ok(p) if p.len() <= max => Event::Frame(p),
            Ok(p) => Event::TooLong {
                len: p.len() as u64,
                max: max as u64,
            },
            Err(_) => Event::InvalidCobs { offset: 0 },
        });
    }
    if !last.is_empty() {
        want.push(if last.len() > bound {
            too_long
        } else {
            Event::Truncated {
                buffered: last.len(),
            }
        });
    }
    let got = without_details(events);
    assert_eq!(
        got.len(),
        want.len(),
        "framewise and the cobs crate disagree: {got:?} against {want:?}"
    );
    let got: Vec<Event> = got
        .into_iter()
        .zip(&want)
        .map(|(g, w)| match (g, w) {
            (Event::TooLong { max, .. }, Event::TooLong { len: 0, .. }) => {
                Event::TooLong { len: 0, max }
            }
            (g, _) => g,
        })
        .collect();
    assert_eq!(got, want, "framewise and the cobs crate disagree");
}

// ---------------------------------------------------------------------------
// AnyCodec.

/// A codec spec: arbitrary text, or one assembled from valid parts.
#[derive(Debug, Arbitrary)]
pub enum SpecInput {
    /// Any string.
    Text(String),
    /// A spec built from parts, so that valid specs are common.
    Parts(SpecParts),
}

/// The parts of a valid-looking spec.
#[derive(Debug, Arbitrary)]
pub struct SpecParts {
    /// The codec.
    pub kind: KindChoice,
    /// `,max=<n>` with an optional `k`/`m` suffix.
    pub max: Option<(u16, Unit)>,
}

/// A `,max=` suffix.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Unit {
    /// Bytes.
    B,
    /// `k`: KiB.
    K,
    /// `m`: MiB.
    M,
}

/// The codec of a spec.
#[derive(Debug, Arbitrary)]
pub enum KindChoice {
    /// `lines`.
    Lines,
    /// `lines-crlf`.
    LinesCrlf,
    /// `delim:<escaped bytes>`.
    Delim(Vec<u8>),
    /// `length`.
    LengthDefault,
    /// `length:<width>[le|be]`, or `length:varint`.
    Length {
        /// The width.
        width: WidthChoice,
        /// `None`: no suffix; `Some(true)`: `le`.
        little_endian: Option<bool>,
    },
    /// `fixed:<n>`.
    Fixed(u16),
    /// `cobs`.
    Cobs,
    /// `raw`.
    Raw,
}

/// The codec a spec names, built directly.
#[derive(Debug, Clone)]
enum Direct {
    Length(LengthPrefixed),
    Delimited(Delimited),
    Lines(Lines),
    Fixed(FixedLength),
    Cobs(Cobs),
    Raw(Raw),
}

impl SpecParts {
    fn max(&self) -> Option<usize> {
        self.max.map(|(n, unit)| {
            usize::from(n)
                * match unit {
                    Unit::B => 1,
                    Unit::K => 1024,
                    Unit::M => 1024 * 1024,
                }
        })
    }

    fn render(&self) -> String {
        let mut s = match &self.kind {
            KindChoice::Lines => "lines".to_string(),
            KindChoice::LinesCrlf => "lines-crlf".to_string(),
            KindChoice::Delim(d) => {
                let mut s = "delim:".to_string();
                for &b in d {
                    match b {
                        b'\n' => s.push_str("\\n"),
                        b'\r' => s.push_str("\\r"),
                        b'\t' => s.push_str("\\t"),
                        0 => s.push_str("\\0"),
                        b'\\' => s.push_str("\\\\"),
                        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b';' | b'|' => {
                            s.push(char::from(b))
                        }
                        _ => s.push_str(&format!("\\x{b:02X}")),
                    }
                }
                s
            }
            KindChoice::LengthDefault => "length".to_string(),
            KindChoice::Length {
                width: WidthChoice::Varint,
                ..
            } => "length:varint".to_string(),
            KindChoice::Length {
                width,
                little_endian,
            } => {
                let w = match width {
                    WidthChoice::U8 => "u8",
                    WidthChoice::U16 => "u16",
                    WidthChoice::U24 => "u24",
                    WidthChoice::U32 => "u32",
                    WidthChoice::U64 | WidthChoice::Varint => "u64",
                };
                let e = match little_endian {
                    None => "",
                    Some(true) => "le",
                    Some(false) => "be",
                };
                format!("length:{w}{e}")
            }
            KindChoice::Fixed(n) => format!("fixed:{n}"),
            KindChoice::Cobs => "cobs".to_string(),
            KindChoice::Raw => "raw".to_string(),
        };
        if let Some((n, unit)) = self.max {
            let suffix = match unit {
                Unit::B => "",
                Unit::K => "k",
                Unit::M => "M",
            };
            s.push_str(&format!(",max={n}{suffix}"));
        }
        s
    }

    /// The codec the spec names, built without `AnyCodec`; `None` where the
    /// spec must be refused.
    fn direct(&self) -> Option<Direct> {
        let max = self.max();
        Some(match &self.kind {
            KindChoice::Lines | KindChoice::LinesCrlf => {
                let l = if matches!(self.kind, KindChoice::Lines) {
                    Lines::new()
                } else {
                    Lines::crlf()
                };
                Direct::Lines(match max {
                    Some(m) => l.with_max_frame_len(m),
                    None => l,
                })
            }
            KindChoice::Delim(d) => {
                let mut b = Delimited::builder().delimiter(d);
                if let Some(m) = max {
                    b = b.max_frame_len(m);
                }
                Direct::Delimited(b.build().ok()?)
            }
            KindChoice::LengthDefault | KindChoice::Length { .. } => {
                let (width, little) = match self.kind {
                    KindChoice::Length {
                        width,
                        little_endian,
                    } => (width.width(), little_endian == Some(true)),
                    _ => (Width::U32, false),
                };
                let mut b = LengthPrefixed::builder().width(width);
                if little && width != Width::Varint {
                    b = b.little_endian();
                }
                if let Some(m) = max {
                    b = b.max_frame_len(m);
                }
                Direct::Length(b.build().ok()?)
            }
            KindChoice::Fixed(n) => {
                let n = usize::from(*n);
                if max.is_some_and(|m| m < n) {
                    return None;
                }
                Direct::Fixed(FixedLength::new(n).ok()?)
            }
            KindChoice::Cobs => Direct::Cobs(match max {
                Some(m) => Cobs::new().with_max_frame_len(m),
                None => Cobs::new(),
            }),
            KindChoice::Raw => Direct::Raw(match max {
                Some(m) => Raw::new().with_max_frame_len(m),
                None => Raw::new(),
            }),
        })
    }
}

impl Direct {
    fn run(&self, reads: &[&[u8]]) -> Outcome {
        match self.clone() {
            Direct::Length(mut c) => run(&mut c, reads),
            Direct::Delimited(mut c) => run(&mut c, reads),
            Direct::Lines(mut c) => run(&mut c, reads),
            Direct::Fixed(mut c) => run(&mut c, reads),
            Direct::Cobs(mut c) => run(&mut c, reads),
            Direct::Raw(mut c) => run(&mut c, reads),
        }
    }

    fn encode(&self, item: &[u8]) -> Result<Vec<u8>, String> {
        let mut dst = BytesMut::new();
        let result = match self.clone() {
            Direct::Length(mut c) => c.encode(item, &mut dst),
            Direct::Delimited(mut c) => c.encode(item, &mut dst),
            Direct::Lines(mut c) => match std::str::from_utf8(item) {
                Ok(s) => c.encode(s, &mut dst),
                Err(_) => return Err("not utf-8".into()),
            },
            Direct::Fixed(mut c) => c.encode(item, &mut dst),
            Direct::Cobs(mut c) => c.encode(item, &mut dst),
            Direct::Raw(mut c) => c.encode(item, &mut dst),
        };
        result.map(|()| dst.to_vec()).map_err(|e| e.to_string())
    }
}

/// What the decoder of a parsed `AnyCodec` promises: for the framings of
/// SLIP, stuffing and ASCII lengths (and a CRC trailer over any codec, whose
/// inner codec's limit counts the trailer), what their own checks expect;
/// for the others, from the canonical spec.
fn any_expect(codec: &AnyCodec) -> Expect {
    if let Some(crc) = codec.as_crc() {
        return any_expect(crc.inner());
    }
    let max = codec.max_frame_len();
    if codec.as_slip().is_some() || codec.as_stuffed().is_some() {
        return framings::stuffing_expect(max);
    }
    if codec.as_netstring().is_some() {
        return framings::ascii_expect(framings::AsciiKind::Netstring, max);
    }
    if codec.as_octet_counting().is_some() {
        return framings::ascii_expect(framings::AsciiKind::Octets, max);
    }
    if let Some(hex) = codec.as_hex_length() {
        return framings::ascii_expect(framings::AsciiKind::Hex(hex.width()), max);
    }
    let spec = codec.to_string();
    let base = spec.rsplit_once(",max=").map_or(&spec[..], |(b, _)| b);
    let max = codec.max_frame_len();
    let (bound, seen_len) = if base.starts_with("lines") {
        (max.saturating_add(1), true)
    } else if base.starts_with("delim:") {
        // The delimiter is no longer than its escaped form.
        (max.saturating_add(base.len()), true)
    } else if base == "length:varint" {
        ((max - 1).max(9), false)
    } else if base == "length:varint4" {
        ((max - 1).max(3), false)
    } else if base.starts_with("length") || base.starts_with("fixed") {
        (max - 1, false)
    } else if base == "cobs" {
        (cobs_bound(max), true)
    } else {
        assert_eq!(base, "raw", "unknown canonical spec {spec:?}");
        (0, false)
    };
    Expect {
        bound,
        longest_frame: max,
        limit: max as u64,
        seen_len,
    }
}

/// Decodes with `Raw`: frames depend on the reads by design, so instead of
/// comparing splits: the frames are the bytes in order, none empty or over
/// the limit, and nothing is held.
fn check_raw(codec: &AnyCodec, data: &[u8], cuts: &[u16]) -> Vec<Event> {
    let max = codec.max_frame_len();
    let mut last = Vec::new();
    for reads in [split(data, cuts), one_read(data), byte_reads(data)] {
        let o = run(&mut codec.clone(), &reads);
        assert_eq!(o.max_buffered, 0, "raw held bytes");
        let frames = frames_of(&o.events);
        assert_eq!(frames.len(), o.events.len(), "raw reported an error");
        assert!(frames.iter().all(|f| !f.is_empty() && f.len() <= max));
        assert_eq!(frames.concat(), data, "raw lost or reordered bytes");
        last = o.events;
    }
    last
}

fn check_any_decoding(codec: &AnyCodec, data: &[u8], cuts: &[u16]) {
    if codec.as_crc().is_some_and(|crc| crc.inner().is_raw()) {
        // A trailer on each read: the frames are the reads, as for `raw`,
        // and what they hold is checksums of wherever the reads fell.
        let o = run(&mut codec.clone(), &split(data, cuts));
        assert_eq!(o.max_buffered, 0, "raw with a trailer held bytes");
        return;
    }
    if codec.is_raw() {
        check_raw(codec, data, cuts);
    } else {
        check_splits(codec, data, cuts, &any_expect(codec));
    }
}

/// Parses `spec`, asserting that a refusal lists what is accepted and that an
/// accepted spec's canonical form parses to the same codec.
fn parse_spec(spec: &str) -> Option<AnyCodec> {
    match AnyCodec::from_str(spec) {
        Ok(codec) => {
            let canonical = codec.to_string();
            let again = AnyCodec::from_str(&canonical)
                .unwrap_or_else(|e| panic!("{spec:?} displays as {canonical:?}, which fails: {e}"));
            assert_eq!(
                again.to_string(),
                canonical,
                "the canonical spec is not stable"
            );
            assert_eq!(again.max_frame_len(), codec.max_frame_len());
            Some(codec)
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains("expected one of"), "{msg}");
            None
        }
    }
}

/// Input of `decode_any`.
#[derive(Debug, Arbitrary)]
pub struct DecodeAnyInput {
    /// The spec.
    pub spec: SpecInput,
    /// Where the reads split the bytes.
    pub cuts: Vec<u16>,
    /// The bytes.
    pub data: Vec<u8>,
}

/// `decode_any`: an arbitrary spec string, arbitrary bytes. A spec built from
/// parts must parse exactly when the codec it names can be built, and decode
/// exactly like that codec built directly.
pub fn check_decode_any(input: DecodeAnyInput) {
    match &input.spec {
        SpecInput::Text(spec) => {
            let Some(codec) = parse_spec(spec) else {
                return;
            };
            check_any_decoding(&codec, &input.data, &input.cuts);
            // The canonical spec names the same codec.
            let mut again = AnyCodec::from_str(&codec.to_string()).unwrap();
            let reads = split(&input.data, &input.cuts);
            assert_eq!(
                run(&mut again, &reads).events,
                run(&mut codec.clone(), &reads).events,
                "{spec:?} and its canonical form {codec} decode differently"
            );
        }
        SpecInput::Parts(parts) => {
            let spec = parts.render();
            let direct = parts.direct();
            let parsed = parse_spec(&spec);
            assert_eq!(
                parsed.is_some(),
                direct.is_some(),
                "{spec:?}: AnyCodec and the direct build disagree on validity"
            );
            let (Some(codec), Some(direct)) = (parsed, direct) else {
                return;
            };
            check_any_decoding(&codec, &input.data, &input.cuts);
            let reads = split(&input.data, &input.cuts);
            assert_eq!(
                run(&mut codec.clone(), &reads).events,
                direct.run(&reads).events,
                "{spec:?} decodes differently from {direct:?}"
            );
        }
    }
}

/// Input of `roundtrip_any`.
#[derive(Debug, Arbitrary)]
pub struct RoundTripAnyInput {
    /// The spec.
    pub spec: SpecParts,
    /// The items to encode.
    pub items: Vec<Item>,
    /// Where the reads split the encoded bytes.
    pub cuts: Vec<u16>,
}

/// `roundtrip_any`: what `AnyCodec` encodes comes back, and it encodes exactly
/// like the codec it names.
pub fn check_roundtrip_any(input: RoundTripAnyInput) {
    let spec = input.spec.render();
    let (Some(mut codec), Some(direct)) = (parse_spec(&spec), input.spec.direct()) else {
        return;
    };
    let mut wire = BytesMut::new();
    let mut want = Vec::new();
    for item in &input.items {
        let result = encode_item(&mut codec, item, &mut wire);
        match (&result, direct.encode(&item.data)) {
            (Ok(ours), Ok(theirs)) => assert_eq!(ours, &theirs),
            (Err(e), Err(theirs)) if theirs == "not utf-8" => {
                assert!(matches!(e, Error::Unencodable { .. }), "{e}");
            }
            (Err(e), Err(theirs)) => assert_eq!(e.to_string(), theirs),
            (ours, theirs) => panic!("{spec:?}: AnyCodec gives {ours:?}, {direct:?} {theirs:?}"),
        }
        if result.is_ok() {
            want.push(item.data.clone());
        }
    }
    if codec.is_raw() {
        let events = check_raw(&codec, &wire, &input.cuts);
        assert_eq!(frames_of(&events).concat(), want.concat());
    } else {
        check_round_trip(&codec, &wire, &input.cuts, want, &any_expect(&codec));
    }
}

// ---------------------------------------------------------------------------
// LengthPrefixed against tokio-util's LengthDelimitedCodec.

/// A fixed-width length field (tokio-util has no varint).
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum FixedWidth {
    /// 1 byte.
    U8,
    /// 2 bytes.
    U16,
    /// 3 bytes.
    U24,
    /// 4 bytes.
    U32,
    /// 8 bytes.
    U64,
}

/// Input of `differential_length`.
#[derive(Debug, Arbitrary)]
pub struct DifferentialLengthInput {
    /// The length field.
    pub width: FixedWidth,
    /// Byte order.
    pub little_endian: bool,
    /// Bytes before the length field (taken modulo 8).
    pub offset: u8,
    /// framewise's adjustment (bytes after the length field = value + this).
    pub adjustment: i8,
    /// Bytes stripped from each frame (taken modulo the header size + 9: up
    /// to 8 bytes past the header).
    pub strip: Option<u8>,
    /// framewise's limit, on the whole frame.
    pub max: u16,
    /// Items framewise encodes at the front of the stream, where its layout
    /// can encode.
    pub items: Vec<Vec<u8>>,
    /// Where the reads split the stream.
    pub cuts: Vec<u16>,
    /// Arbitrary bytes after the encoded items.
    pub data: Vec<u8>,
}

/// Frames until the first error, and that error's kind, from tokio-util.
fn run_tokio(
    codec: &mut LengthDelimitedCodec,
    reads: &[&[u8]],
) -> (Vec<Vec<u8>>, Option<io::ErrorKind>) {
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for read in reads {
        buf.extend_from_slice(read);
        loop {
            let before = buf.len();
            match codec.decode(&mut buf) {
                // A frame of 0 bytes that skips 0 bytes consumes nothing, and
                // tokio-util would return it forever: count it as a failure
                // (framewise reports that header as corrupt).
                Ok(Some(f)) if f.is_empty() && buf.len() == before => {
                    return (frames, Some(io::ErrorKind::Other));
                }
                Ok(Some(f)) => frames.push(f.to_vec()),
                Ok(None) => break,
                Err(e) => return (frames, Some(e.kind())),
            }
        }
    }
    loop {
        let before = buf.len();
        match codec.decode_eof(&mut buf) {
            Ok(Some(f)) if f.is_empty() && buf.len() == before => {
                return (frames, Some(io::ErrorKind::Other));
            }
            Ok(Some(f)) => frames.push(f.to_vec()),
            Ok(None) => return (frames, None),
            Err(e) => return (frames, Some(e.kind())),
        }
    }
}

/// `differential_length`: framewise's `LengthPrefixed` against tokio-util's
/// `LengthDelimitedCodec` on every layout both define: widths 1, 2, 3, 4, 8,
/// both byte orders, any offset, adjustment and strip (`num_skip`).
///
/// The two describe a layout differently, and this is the translation:
/// - tokio-util's adjustment counts from the end of its skipped bytes, not from
///   the end of the length field: `adj_tokio = adj + offset + width - strip`;
/// - tokio-util's limit is on the raw length value, before the adjustment
///   (framewise's is on the whole frame): `max_tokio = max - offset - width -
///   adj`, so that both refuse exactly the same frames (when that is negative,
///   framewise refuses every frame and tokio-util gets 0). tokio-util lowers
///   its limit further, to the field's largest value plus its own
///   adjustment, so when that adjustment is negative the limits can differ,
///   and then only the frames before the first error are compared.
///
/// What is compared, on the same reads:
/// - the frames before the first error of either are the same (framewise
///   reports a header whose length plus adjustment is negative or shorter than
///   the strip as corrupt, where tokio-util may return a slice of the header);
/// - when the limits are the same: if framewise reports no error, tokio-util
///   reports none, and the frames are identical; where framewise's first error
///   is `FrameTooLong`, tokio-util also fails at that frame (after the same
///   frames); where it is `Truncated`, tokio-util returns no more frames
///   either (it may end without an error: once it has consumed the bytes it
///   skips, its `decode_eof` sees an empty buffer);
/// - with no offset and the header stripped, both encoders write the same
///   bytes for every item both accept.
pub fn check_differential_length(input: DifferentialLengthInput) {
    let t = Translation::of(&input);
    let Some(mut ours) = t.layout.build() else {
        return;
    };
    let mut theirs = t.tokio_codec(input.little_endian);
    let mut stream = BytesMut::new();
    for item in &input.items {
        let mut mine = BytesMut::new();
        let mut tokio_bytes = BytesMut::new();
        let ok = ours.encode(&item[..], &mut mine).is_ok();
        if t.plain() && ok && theirs.encode(&item[..], &mut tokio_bytes).is_ok() {
            assert_eq!(mine, tokio_bytes, "the encoders disagree on {:?}", t.layout);
        }
        stream.extend_from_slice(&mine);
    }
    stream.extend_from_slice(&input.data);

    let reads = split(&stream, &input.cuts);
    let fw = run(&mut ours.clone(), &reads);
    let (tokio_frames, tokio_error) = run_tokio(&mut theirs, &reads);
    t.compare(&fw.events, &tokio_frames, tokio_error);
}

/// A `differential_length` layout, in framewise's terms and tokio-util's
/// (see [`check_differential_length`] for the translation).
struct Translation {
    layout: Layout,
    /// Bytes of the length field.
    width: usize,
    /// Offset plus width.
    header: usize,
    /// Bytes stripped from each frame: tokio-util's `num_skip`.
    skip: usize,
    /// tokio-util's limit on the raw length value (may be negative).
    tokio_max: isize,
    /// tokio-util's adjustment, counted from the end of its skipped bytes.
    tokio_adjustment: isize,
    /// Whether both refuse exactly the same frames.
    same_limit: bool,
}

impl Translation {
    fn of(input: &DifferentialLengthInput) -> Translation {
        let (width, w) = match input.width {
            FixedWidth::U8 => (Width::U8, 1),
            FixedWidth::U16 => (Width::U16, 2),
            FixedWidth::U24 => (Width::U24, 3),
            FixedWidth::U32 => (Width::U32, 4),
            FixedWidth::U64 => (Width::U64, 8),
        };
        let offset = usize::from(input.offset % 8);
        let header = offset + w;
        let strip = input.strip.map(|s| usize::from(s) % (header + 9));
        let adjustment = isize::from(input.adjustment);
        let max = usize::from(input.max);
        let skip = strip.unwrap_or(header);
        let tokio_max = max as isize - header as isize - adjustment;
        let tokio_adjustment = adjustment + header as isize - skip as isize;
        // tokio-util lowers its limit to the largest value of the field plus
        // its adjustment: with a negative adjustment it refuses length values
        // the field can hold and framewise accepts (compare tokio-util issue
        // #4815).
        let field_max = if w == 8 { u64::MAX } else { (1 << (8 * w)) - 1 };
        let tokio_cap = i128::from(field_max) + tokio_adjustment as i128;
        Translation {
            layout: Layout {
                width,
                big: !input.little_endian,
                offset,
                adjustment,
                strip,
                max,
            },
            width: w,
            header,
            skip,
            tokio_max,
            tokio_adjustment,
            same_limit: tokio_max >= 0 && tokio_cap >= tokio_max as i128,
        }
    }

    /// With no offset and the header stripped, both encoders write the same
    /// bytes.
    fn plain(&self) -> bool {
        self.layout.offset == 0 && self.skip == self.header
    }

    fn tokio_codec(&self, little_endian: bool) -> LengthDelimitedCodec {
        let mut builder = LengthDelimitedCodec::builder();
        builder
            .length_field_offset(self.layout.offset)
            .length_field_length(self.width)
            .length_adjustment(self.tokio_adjustment)
            .num_skip(self.skip)
            .max_frame_length(usize::try_from(self.tokio_max).unwrap_or(0));
        if little_endian {
            builder.little_endian();
        } else {
            builder.big_endian();
        }
        builder.new_codec()
    }

    /// Compares framewise's events with tokio-util's frames and first error
    /// on the same reads.
    fn compare(
        &self,
        events: &[Event],
        tokio_frames: &[Vec<u8>],
        tokio_error: Option<io::ErrorKind>,
    ) {
        let layout = &self.layout;
        let first_error = events.iter().position(|e| !matches!(e, Event::Frame(_)));
        let fw_frames = frames_of(&events[..first_error.unwrap_or(events.len())]);
        let n = fw_frames.len().min(tokio_frames.len());
        assert_eq!(
            fw_frames[..n],
            tokio_frames[..n],
            "framewise and tokio-util disagree on {layout:?} (tokio max {})",
            self.tokio_max
        );
        if !self.same_limit {
            return;
        }
        let same_count = || {
            assert_eq!(
                fw_frames.len(),
                tokio_frames.len(),
                "failed at another frame"
            );
        };
        match first_error.map(|i| &events[i]) {
            None => {
                assert_eq!(tokio_error, None, "only tokio-util failed on {layout:?}");
                assert_eq!(fw_frames, tokio_frames);
            }
            Some(Event::TooLong { .. }) => {
                assert!(
                    tokio_error.is_some(),
                    "tokio-util did not fail on {layout:?}"
                );
                same_count();
            }
            Some(&Event::Truncated { buffered }) => {
                // tokio-util fails too, or, when the stream ends right after
                // the bytes it skips, ends silently: it consumed them, its
                // buffer is empty, and its decode_eof sees nothing left over.
                assert!(
                    tokio_error.is_some() || buffered == self.skip,
                    "tokio-util ended silently with {buffered} bytes left on {layout:?}"
                );
                same_count();
            }
            Some(_) => {}
        }
    }
}
