//! The checks of the framings real protocols use: SLIP, HDLC-like and
//! DLE-STX/ETX stuffing, ASCII lengths, MQTT's 4-byte varint and the CRC
//! trailer. A child of `checks`, whose harness it uses ([`run`],
//! `check_splits`, `Expect`); the plain reference decoders here are also what
//! the main crate's property tests compare against.
//!
//! Every reference decoder reads the whole stream with everything in view,
//! one byte after the other, and returns what the codec must say in one
//! read: frames, then errors as [`Event`]s (the `len` of a stuffed frame's
//! `FrameTooLong` as 0, since it counts the bytes seen so far; reasons of
//! corrupt headers empty).

use super::*;
use framewise::{
    Crc, CrcAlgorithm, FrameLen, HexLength, Netstring, OctetCounting, Slip, Stuffed, Stuffing,
};

/// The ways in the harness drives that a wrapper enum below delegates to
/// its variant besides the core and tokio-util traits: [`FrameLen`] (the
/// `BorrowedReader`s) and asynchronous-codec's `Decoder` (futures-io).
macro_rules! every_way_in {
    ($ty:ident { $($variant:ident),* $(,)? }) => {
        impl FrameLen for $ty {
            fn max_frame_len(&self) -> usize {
                match self {
                    $($ty::$variant(c) => FrameLen::max_frame_len(c),)*
                }
            }

            fn frame_len_hint(&self, src: &[u8]) -> Option<usize> {
                match self {
                    $($ty::$variant(c) => c.frame_len_hint(src),)*
                }
            }
        }

        #[cfg(feature = "futures-io")]
        impl asynchronous_codec::Decoder for $ty {
            type Item = Bytes;
            type Error = Error;

            fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
                match self {
                    $($ty::$variant(c) => asynchronous_codec::Decoder::decode(c, src),)*
                }
            }

            fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
                match self {
                    $($ty::$variant(c) => asynchronous_codec::Decoder::decode_eof(c, src),)*
                }
            }
        }
    };
}

/// An `InvalidEscape` event, as the codecs report it.
pub fn invalid_escape(offset: usize) -> Event {
    Event::Other(Error::InvalidEscape { offset }.to_string())
}

/// A `ChecksumMismatch` event, as the codecs report it.
pub fn checksum_mismatch(expected: u64, actual: u64) -> Event {
    Event::Other(Error::ChecksumMismatch { expected, actual }.to_string())
}

/// A `FrameTooShort` event, as the codecs report it.
pub fn too_short(len: usize, min: usize) -> Event {
    Event::Other(Error::FrameTooShort { len, min }.to_string())
}

// ---------------------------------------------------------------------------
// Byte stuffing: SLIP, HDLC-like, DLE-STX/ETX.

/// A byte-stuffing scheme, written out plainly for the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// RFC 1055.
    Slip,
    /// Flag, escape, XOR.
    Hdlc(u8, u8, u8),
    /// DLE STX ... DLE ETX.
    Dle,
}

const END: u8 = 0xC0;
const ESC: u8 = 0xDB;
const DLE: u8 = 0x10;
const STX: u8 = 0x02;
const ETX: u8 = 0x03;

/// What the reference finds after an escape byte inside a frame.
enum After {
    Byte(u8),
    /// The frame ends after this pair (DLE ETX).
    End,
    /// The escape byte is followed by a boundary that is not consumed with
    /// the bad frame: the flag (flag schemes) or `DLE STX`.
    Boundary,
    Invalid,
}

fn after_escape(scheme: Scheme, next: u8) -> After {
    match scheme {
        Scheme::Slip => match next {
            0xDC => After::Byte(END),
            0xDD => After::Byte(ESC),
            END => After::Boundary,
            _ => After::Invalid,
        },
        Scheme::Hdlc(flag, _, xor) => {
            if next == flag {
                After::Boundary
            } else {
                After::Byte(next ^ xor)
            }
        }
        Scheme::Dle => match next {
            DLE => After::Byte(DLE),
            ETX => After::End,
            STX => After::Boundary,
            _ => After::Invalid,
        },
    }
}

fn flag_of(scheme: Scheme) -> Option<u8> {
    match scheme {
        Scheme::Slip => Some(END),
        Scheme::Hdlc(flag, _, _) => Some(flag),
        Scheme::Dle => None,
    }
}

fn escape_of(scheme: Scheme) -> u8 {
    match scheme {
        Scheme::Slip => ESC,
        Scheme::Hdlc(_, escape, _) => escape,
        Scheme::Dle => DLE,
    }
}

/// Where decoding goes on after a bad frame whose bytes from `at` on are
/// skipped: after the next flag, or (DLE) after `DLE ETX` or at `DLE STX`,
/// reading DLE pairs.
fn resume_after_bad(scheme: Scheme, data: &[u8], mut at: usize) -> Option<usize> {
    match flag_of(scheme) {
        Some(flag) => data[at..]
            .iter()
            .position(|&b| b == flag)
            .map(|i| at + i + 1),
        None => {
            while at < data.len() {
                if data[at] != DLE {
                    at += 1;
                    continue;
                }
                match data.get(at + 1) {
                    None => return None,
                    Some(&ETX) => return Some(at + 2),
                    Some(&STX) => return Some(at),
                    Some(_) => at += 2,
                }
            }
            None
        }
    }
}

/// The plain reference decoder of a byte-stuffed stream.
pub fn naive_stuffed(scheme: Scheme, data: &[u8], max: usize) -> Vec<Event> {
    let too_long = Event::TooLong {
        len: 0,
        max: max as u64,
    };
    let mut out = Vec::new();
    let mut pos = 0;
    'frames: loop {
        // Find the start of the next frame.
        match flag_of(scheme) {
            Some(flag) => {
                while pos < data.len() && data[pos] == flag {
                    pos += 1;
                }
                if pos == data.len() {
                    break;
                }
            }
            None => loop {
                if pos >= data.len() {
                    break 'frames;
                }
                if data[pos] != DLE {
                    pos += 1;
                    continue;
                }
                match data.get(pos + 1) {
                    None => break 'frames,
                    Some(&STX) => {
                        pos += 2;
                        break;
                    }
                    Some(_) => pos += 2,
                }
            },
        }
        let start = pos;
        let mut payload = Vec::new();
        let mut i = start;
        loop {
            let Some(&b) = data.get(i) else {
                out.push(Event::Truncated {
                    buffered: data.len() - start,
                });
                break 'frames;
            };
            if Some(b) == flag_of(scheme) {
                out.push(Event::Frame(payload));
                pos = i + 1;
                continue 'frames;
            }
            if b != escape_of(scheme) {
                payload.push(b);
                i += 1;
            } else {
                let Some(&next) = data.get(i + 1) else {
                    out.push(Event::Truncated {
                        buffered: data.len() - start,
                    });
                    break 'frames;
                };
                match after_escape(scheme, next) {
                    After::Byte(x) => {
                        payload.push(x);
                        i += 2;
                    }
                    After::End => {
                        out.push(Event::Frame(payload));
                        pos = i + 2;
                        continue 'frames;
                    }
                    After::Boundary => {
                        out.push(invalid_escape(i + 1 - start));
                        pos = i + 1;
                        if scheme == Scheme::Dle {
                            pos = i;
                        }
                        continue 'frames;
                    }
                    After::Invalid => {
                        out.push(invalid_escape(i + 1 - start));
                        match resume_after_bad(scheme, data, i + 2) {
                            Some(p) => {
                                pos = p;
                                continue 'frames;
                            }
                            None => break 'frames,
                        }
                    }
                }
            }
            if payload.len() > max {
                out.push(too_long.clone());
                match resume_after_bad(scheme, data, i) {
                    Some(p) => {
                        pos = p;
                        continue 'frames;
                    }
                    None => break 'frames,
                }
            }
        }
    }
    out
}

/// The plain encoder of a byte-stuffed frame.
pub fn naive_stuff(scheme: Scheme, open: bool, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match scheme {
        Scheme::Slip => {
            if open {
                out.push(END);
            }
            for &b in payload {
                match b {
                    END => out.extend_from_slice(&[ESC, 0xDC]),
                    ESC => out.extend_from_slice(&[ESC, 0xDD]),
                    _ => out.push(b),
                }
            }
            out.push(END);
        }
        Scheme::Hdlc(flag, escape, xor) => {
            out.push(flag);
            for &b in payload {
                if b == flag || b == escape {
                    out.extend_from_slice(&[escape, b ^ xor]);
                } else {
                    out.push(b);
                }
            }
            out.push(flag);
        }
        Scheme::Dle => {
            out.extend_from_slice(&[DLE, STX]);
            for &b in payload {
                if b == DLE {
                    out.extend_from_slice(&[DLE, DLE]);
                } else {
                    out.push(b);
                }
            }
            out.extend_from_slice(&[DLE, ETX]);
        }
    }
    out
}

/// Which stuffing codec a fuzz input uses.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum StuffingChoice {
    /// `Slip`, with or without a leading END.
    Slip {
        /// `with_leading_end`.
        leading_end: bool,
    },
    /// `Stuffed::hdlc()`.
    Hdlc,
    /// `Stuffed::dle()`.
    Dle,
    /// `Stuffed::hdlc_like(flag, escape, xor)`, if the builder accepts it.
    HdlcLike {
        /// The flag.
        flag: u8,
        /// The escape byte.
        escape: u8,
        /// The XOR.
        xor: u8,
    },
}

/// A stuffing codec under test: `Slip` or `Stuffed`.
#[derive(Debug, Clone)]
pub enum StuffingCodec {
    /// SLIP.
    Slip(Slip),
    /// HDLC-like or DLE.
    Stuffed(Stuffed),
}

every_way_in!(StuffingCodec { Slip, Stuffed });

impl Decoder for StuffingCodec {
    type Item = Bytes;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        match self {
            StuffingCodec::Slip(c) => c.decode(src),
            StuffingCodec::Stuffed(c) => c.decode(src),
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        match self {
            StuffingCodec::Slip(c) => c.decode_eof(src),
            StuffingCodec::Stuffed(c) => c.decode_eof(src),
        }
    }
}

impl DecodeMut for StuffingCodec {
    fn decode_in_place(&mut self, src: &mut [u8]) -> Decoded {
        match self {
            StuffingCodec::Slip(c) => c.decode_in_place(src),
            StuffingCodec::Stuffed(c) => c.decode_in_place(src),
        }
    }

    fn decode_in_place_eof(&mut self, src: &mut [u8]) -> Decoded {
        match self {
            StuffingCodec::Slip(c) => c.decode_in_place_eof(src),
            StuffingCodec::Stuffed(c) => c.decode_in_place_eof(src),
        }
    }
}

impl Encode for StuffingCodec {
    fn encoded_len(&self, payload: &[u8]) -> Result<usize, Error> {
        match self {
            StuffingCodec::Slip(c) => c.encoded_len(payload),
            StuffingCodec::Stuffed(c) => c.encoded_len(payload),
        }
    }

    fn write_frame<O: framewise::Output + ?Sized>(&self, payload: &[u8], len: usize, out: &mut O) {
        match self {
            StuffingCodec::Slip(c) => c.write_frame(payload, len, out),
            StuffingCodec::Stuffed(c) => c.write_frame(payload, len, out),
        }
    }
}

impl Encoder<Bytes> for StuffingCodec {
    type Error = Error;

    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), Error> {
        match self {
            StuffingCodec::Slip(c) => c.encode(item, dst),
            StuffingCodec::Stuffed(c) => c.encode(item, dst),
        }
    }
}

impl Encoder<&[u8]> for StuffingCodec {
    type Error = Error;

    fn encode(&mut self, item: &[u8], dst: &mut BytesMut) -> Result<(), Error> {
        match self {
            StuffingCodec::Slip(c) => c.encode(item, dst),
            StuffingCodec::Stuffed(c) => c.encode(item, dst),
        }
    }
}

impl StuffingChoice {
    /// The codec (`None` when the builder refuses the bytes, which is
    /// checked against the rule), its scheme, and whether it opens frames.
    pub fn build(self, max: Option<usize>) -> Option<(StuffingCodec, Scheme, bool)> {
        let (codec, scheme, open) = match self {
            StuffingChoice::Slip { leading_end } => {
                let mut c = Slip::new().with_leading_end(leading_end);
                assert_eq!(c.leading_end(), leading_end);
                if let Some(max) = max {
                    c = c.with_max_frame_len(max);
                    assert_eq!(c.max_frame_len(), max);
                }
                (StuffingCodec::Slip(c), Scheme::Slip, leading_end)
            }
            StuffingChoice::Hdlc | StuffingChoice::Dle | StuffingChoice::HdlcLike { .. } => {
                let (c, scheme) = match self {
                    StuffingChoice::Hdlc => (Stuffed::hdlc(), Scheme::Hdlc(0x7E, 0x7D, 0x20)),
                    StuffingChoice::Dle => (Stuffed::dle(), Scheme::Dle),
                    StuffingChoice::HdlcLike { flag, escape, xor } => {
                        let special = [flag, escape];
                        let ok =
                            flag != escape && !special.iter().any(|b| special.contains(&(b ^ xor)));
                        match Stuffed::hdlc_like(flag, escape, xor) {
                            Ok(c) => {
                                assert!(ok, "hdlc_like accepted {flag} {escape} {xor}");
                                assert_eq!(c.stuffing(), Stuffing::Hdlc { flag, escape, xor });
                                (c, Scheme::Hdlc(flag, escape, xor))
                            }
                            Err(_) => {
                                assert!(!ok, "hdlc_like refused {flag} {escape} {xor}");
                                return None;
                            }
                        }
                    }
                    StuffingChoice::Slip { .. } => unreachable!(),
                };
                let c = match max {
                    Some(max) => c.with_max_frame_len(max),
                    None => c,
                };
                let open = scheme != Scheme::Dle;
                (StuffingCodec::Stuffed(c), scheme, open)
            }
        };
        Some((codec, scheme, open))
    }
}

fn stuffing_max(codec: &StuffingCodec) -> usize {
    match codec {
        StuffingCodec::Slip(c) => c.max_frame_len(),
        StuffingCodec::Stuffed(c) => c.max_frame_len(),
    }
}

/// A stuffed frame's payload within `max` takes at most `2 * max` bytes,
/// and an escape byte may wait for its partner.
pub(super) fn stuffing_expect(max: usize) -> Expect {
    Expect {
        bound: max.saturating_mul(2).saturating_add(1),
        longest_frame: max,
        limit: max as u64,
        seen_len: true,
    }
}

/// Maps bytes into an alphabet where the scheme's special bytes are common.
fn stuffing_alphabet(scheme: Scheme) -> Vec<u8> {
    match scheme {
        Scheme::Slip => vec![END, ESC, 0xDC, 0xDD, b'a'],
        Scheme::Hdlc(flag, escape, xor) => vec![flag, escape, flag ^ xor, escape ^ xor, b'a'],
        Scheme::Dle => vec![DLE, STX, ETX, DLE, b'a'],
    }
}

/// Input of `decode_slip` and `decode_stuffed`.
#[derive(Debug, Arbitrary)]
pub struct DecodeStuffedInput {
    /// The codec.
    pub choice: StuffingChoice,
    /// The limit, or the default.
    pub max: Option<Max>,
    /// Map data bytes into the scheme's special bytes and `a`.
    pub small_alphabet: bool,
    /// Where the reads split the bytes.
    pub cuts: Vec<u16>,
    /// The bytes.
    pub data: Vec<u8>,
}

/// `decode_slip`: SLIP on arbitrary bytes, against the reference.
pub fn check_decode_slip(mut input: DecodeStuffedInput) {
    if !matches!(input.choice, StuffingChoice::Slip { .. }) {
        input.choice = StuffingChoice::Slip { leading_end: false };
    }
    decode_stuffed(&input);
}

/// `decode_stuffed`: any stuffing codec on arbitrary bytes, against the
/// reference.
pub fn check_decode_stuffed(input: DecodeStuffedInput) {
    decode_stuffed(&input);
}

fn decode_stuffed(input: &DecodeStuffedInput) {
    let Some((codec, scheme, _)) = input.choice.build(input.max.map(Max::get)) else {
        return;
    };
    let max = stuffing_max(&codec);
    let data = if input.small_alphabet {
        squeeze(&input.data, &stuffing_alphabet(scheme))
    } else {
        input.data.clone()
    };
    let events = check_splits(&codec, &data, &input.cuts, &stuffing_expect(max));
    assert_eq!(
        without_seen_len(&events),
        naive_stuffed(scheme, &data, max),
        "the stuffing codec and the reference disagree on {scheme:?}"
    );
}

/// Input of `roundtrip_slip` and `roundtrip_stuffed`.
#[derive(Debug, Arbitrary)]
pub struct RoundTripStuffedInput {
    /// The codec.
    pub choice: StuffingChoice,
    /// The limit, or the default.
    pub max: Option<Max>,
    /// The payloads.
    pub items: Vec<Item>,
    /// Map payload bytes into the scheme's special bytes and `a`.
    pub small_alphabet: bool,
    /// Where the reads split the encoded bytes.
    pub cuts: Vec<u16>,
}

/// `roundtrip_slip`.
pub fn check_roundtrip_slip(mut input: RoundTripStuffedInput) {
    if !matches!(input.choice, StuffingChoice::Slip { .. }) {
        input.choice = StuffingChoice::Slip { leading_end: true };
    }
    roundtrip_stuffed(input);
}

/// `roundtrip_stuffed`.
pub fn check_roundtrip_stuffed(input: RoundTripStuffedInput) {
    roundtrip_stuffed(input);
}

fn roundtrip_stuffed(mut input: RoundTripStuffedInput) {
    let Some((mut codec, scheme, open)) = input.choice.build(input.max.map(Max::get)) else {
        return;
    };
    let max = stuffing_max(&codec);
    let mut wire = BytesMut::new();
    let mut want = Vec::new();
    for item in &mut input.items {
        if input.small_alphabet {
            item.data = squeeze(&item.data, &stuffing_alphabet(scheme));
        }
        let result = encode_item(&mut codec, item, &mut wire);
        let len = item.data.len();
        let verdict = if len > max {
            Some(format!("FrameTooLong {len} {max}"))
        } else if len == 0 && scheme != Scheme::Dle {
            Some("Unencodable".into())
        } else {
            None
        };
        assert_eq!(refusal(&result), verdict);
        if let Ok(encoded) = result {
            assert_eq!(encoded, naive_stuff(scheme, open, &item.data));
            want.push(item.data.clone());
        }
    }
    check_round_trip(&codec, &wire, &input.cuts, want, &stuffing_expect(max));
}

/// Input of `differential_slip`.
#[derive(Debug, Arbitrary)]
pub struct DifferentialSlipInput {
    /// Payloads, encoded by `slip-codec` (and by framewise) into the stream.
    pub payloads: Vec<Vec<u8>>,
    /// `slip-codec`'s `begin_with_end`, and framewise's leading END.
    pub leading_end: bool,
    /// Bytes of the stream to overwrite: (position, value).
    pub corruptions: Vec<(u16, u8)>,
    /// Map the corruptions into SLIP's special bytes and `a`.
    pub small_alphabet: bool,
    /// Where the reads split the stream.
    pub cuts: Vec<u16>,
}

/// Decodes a whole stream with `slip-codec`: frames, and `None` for each
/// framing error.
pub fn slip_codec_decode(stream: &[u8]) -> Vec<Option<Vec<u8>>> {
    let mut decoder = slip_codec::SlipDecoder::new();
    let mut source = stream;
    let mut out = Vec::new();
    loop {
        let mut sink = Vec::new();
        match decoder.decode(&mut source, &mut sink) {
            Ok(_) => out.push(Some(sink)),
            Err(slip_codec::SlipError::FramingError) => out.push(None),
            Err(slip_codec::SlipError::EndOfStream) => return out,
            Err(e) => panic!("slip-codec: {e:?}"),
        }
    }
}

/// Encodes one payload with `slip-codec`.
pub fn slip_codec_encode(payload: &[u8], leading_end: bool) -> Vec<u8> {
    let mut out = Vec::new();
    slip_codec::SlipEncoder::new(leading_end)
        .encode(payload, &mut out)
        .expect("writing to a Vec");
    out
}

/// `differential_slip`: framewise's `Slip` against the `slip-codec` crate.
///
/// Encoding: every non-empty payload encodes to what `slip-codec` writes;
/// each side decodes the other's stream back to the non-empty payloads.
///
/// Decoding a corrupted stream: the same frames, and an `InvalidEscape`
/// wherever `slip-codec` reports a framing error, except where the two differ
/// by design: an ESC directly followed by END (framewise ends the bad frame
/// at that END; `slip-codec` takes it into the bad frame, so it drops the next
/// frame too) is avoided by overwriting such an END with `a`, and a partial
/// frame at the end is `Truncated` for framewise and silently dropped by
/// `slip-codec`.
pub fn check_differential_slip(input: DifferentialSlipInput) {
    let mut ours = Slip::new().with_leading_end(input.leading_end);
    let mut stream = Vec::new();
    let mut want = Vec::new();
    for p in &input.payloads {
        let theirs = slip_codec_encode(p, input.leading_end);
        let mut mine = BytesMut::new();
        match ours.encode(&p[..], &mut mine) {
            Ok(()) => {
                assert_eq!(&mine[..], &theirs[..], "encodings differ");
                want.push(p.clone());
            }
            Err(e) => {
                assert!(p.is_empty(), "refused a {}-byte payload: {e}", p.len());
                assert!(matches!(e, Error::Unencodable { .. }));
            }
        }
        stream.extend_from_slice(&theirs);
    }
    // Each side decodes the other's encoding (identical, as checked).
    let theirs_decoded: Vec<Vec<u8>> = slip_codec_decode(&stream)
        .into_iter()
        .map(|f| f.expect("slip-codec failed on its own encoding"))
        .collect();
    assert_eq!(
        theirs_decoded, want,
        "slip-codec did not decode the payloads"
    );
    let expect = stuffing_expect(ours.max_frame_len());
    check_round_trip(&ours, &stream, &input.cuts, want, &expect);

    if input.corruptions.is_empty() || stream.is_empty() {
        return;
    }
    for &(at, value) in &input.corruptions {
        let at = usize::from(at) % stream.len();
        stream[at] = if input.small_alphabet {
            squeeze(&[value], &stuffing_alphabet(Scheme::Slip))[0]
        } else {
            value
        };
    }
    for i in 1..stream.len() {
        if stream[i - 1] == ESC && stream[i] == END {
            stream[i] = b'a';
        }
    }
    let got = run(&mut ours.clone(), &split(&stream, &input.cuts));
    check_outcome("split reads", &got, &expect);
    let mut ours_events: Vec<Option<Vec<u8>>> = Vec::new();
    for e in &got.events {
        match e {
            Event::Frame(f) => ours_events.push(Some(f.clone())),
            Event::Truncated { .. } => {}
            Event::Other(s) if s.starts_with("invalid escape sequence at offset ") => {
                ours_events.push(None);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        ours_events,
        slip_codec_decode(&stream),
        "framewise and slip-codec disagree on a corrupted stream"
    );
}

// ---------------------------------------------------------------------------
// ASCII lengths.

/// An ASCII length framing, for the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsciiKind {
    /// `12:hello world!,`.
    Netstring,
    /// `5 hello`.
    Octets,
    /// `000Chost:version` with this many digits.
    Hex(usize),
}

/// Which ASCII codec a fuzz input uses.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum AsciiChoice {
    /// `Netstring`.
    Netstring,
    /// `OctetCounting`.
    Octets,
    /// `HexLength::new(width % 18)` (0 and 17 are refused).
    Hex {
        /// The width, modulo 18.
        width: u8,
        /// `with_uppercase`.
        upper: bool,
    },
}

/// An ASCII codec under test.
#[derive(Debug, Clone)]
pub enum AsciiCodec {
    /// Netstrings.
    Netstring(Netstring),
    /// Octet counting.
    Octets(OctetCounting),
    /// Hex lengths.
    Hex(HexLength),
}

macro_rules! delegate {
    ($self:ident, $c:ident => $e:expr) => {
        match $self {
            AsciiCodec::Netstring($c) => $e,
            AsciiCodec::Octets($c) => $e,
            AsciiCodec::Hex($c) => $e,
        }
    };
}

every_way_in!(AsciiCodec {
    Netstring,
    Octets,
    Hex
});

impl Decoder for AsciiCodec {
    type Item = Bytes;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        delegate!(self, c => c.decode(src))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        delegate!(self, c => c.decode_eof(src))
    }
}

impl DecodeMut for AsciiCodec {
    fn decode_in_place(&mut self, src: &mut [u8]) -> Decoded {
        delegate!(self, c => c.decode_in_place(src))
    }

    fn decode_in_place_eof(&mut self, src: &mut [u8]) -> Decoded {
        delegate!(self, c => c.decode_in_place_eof(src))
    }
}

impl Encode for AsciiCodec {
    fn encoded_len(&self, payload: &[u8]) -> Result<usize, Error> {
        delegate!(self, c => c.encoded_len(payload))
    }

    fn write_frame<O: framewise::Output + ?Sized>(&self, payload: &[u8], len: usize, out: &mut O) {
        delegate!(self, c => c.write_frame(payload, len, out))
    }
}

impl Encoder<Bytes> for AsciiCodec {
    type Error = Error;

    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), Error> {
        delegate!(self, c => c.encode(item, dst))
    }
}

impl Encoder<&[u8]> for AsciiCodec {
    type Error = Error;

    fn encode(&mut self, item: &[u8], dst: &mut BytesMut) -> Result<(), Error> {
        delegate!(self, c => c.encode(item, dst))
    }
}

impl AsciiCodec {
    fn max(&self) -> usize {
        delegate!(self, c => c.max_frame_len())
    }
}

impl AsciiChoice {
    /// The codec and its kind, or `None` for a width the builder refuses
    /// (checked against the rule).
    pub fn build(self, max: Option<usize>) -> Option<(AsciiCodec, AsciiKind)> {
        let (codec, kind) = match self {
            AsciiChoice::Netstring => {
                let c = Netstring::new();
                assert_eq!(c.max_frame_len(), 8 << 20);
                (
                    AsciiCodec::Netstring(max.map_or(c.clone(), |m| c.with_max_frame_len(m))),
                    AsciiKind::Netstring,
                )
            }
            AsciiChoice::Octets => {
                let c = OctetCounting::new();
                assert_eq!(c.max_frame_len(), 8 << 20);
                (
                    AsciiCodec::Octets(max.map_or(c.clone(), |m| c.with_max_frame_len(m))),
                    AsciiKind::Octets,
                )
            }
            AsciiChoice::Hex { width, upper } => {
                let width = usize::from(width % 18);
                let Ok(c) = HexLength::new(width) else {
                    assert!(!(1..=16).contains(&width), "refused width {width}");
                    return None;
                };
                assert!((1..=16).contains(&width), "accepted width {width}");
                assert_eq!(c.width(), width);
                let field = if width == 16 {
                    u64::MAX
                } else {
                    (1u64 << (4 * width)) - 1
                };
                assert_eq!(c.max_frame_len() as u64, field.min(8 << 20));
                let c = c.with_uppercase(upper);
                assert_eq!(c.uppercase(), upper);
                (
                    AsciiCodec::Hex(max.map_or(c.clone(), |m| c.with_max_frame_len(m))),
                    AsciiKind::Hex(width),
                )
            }
        };
        if let Some(m) = max {
            assert_eq!(codec.max(), m);
        }
        Some((codec, kind))
    }
}

fn decimal_digits(n: usize) -> usize {
    n.to_string().len()
}

/// While waiting, an ASCII decoder holds less than a whole frame within the
/// limit: header, payload and trailer, less one byte.
pub(super) fn ascii_expect(kind: AsciiKind, max: usize) -> Expect {
    let (header, trailer) = match kind {
        AsciiKind::Netstring => (decimal_digits(max) + 1, 1),
        AsciiKind::Octets => (decimal_digits(max) + 1, 0),
        AsciiKind::Hex(w) => (w, 0),
    };
    Expect {
        bound: (header + trailer - 1).saturating_add(max),
        longest_frame: max,
        limit: max as u64,
        seen_len: false,
    }
}

/// The plain reference decoder of an ASCII-length stream.
pub fn naive_ascii(kind: AsciiKind, data: &[u8], max: usize) -> Vec<Event> {
    let mut out = Vec::new();
    let mut pos = 0;
    let corrupt = Event::Corrupt(String::new());
    let (sep, trailer) = match kind {
        AsciiKind::Netstring => (b':', Some(b',')),
        AsciiKind::Octets => (b' ', None),
        AsciiKind::Hex(_) => (0, None),
    };
    while pos < data.len() {
        let rest = &data[pos..];
        let truncated = Event::Truncated {
            buffered: rest.len(),
        };
        // (value, header length), or an event that ends the stream.
        let (value, header_len): (u64, usize) = match kind {
            AsciiKind::Hex(w) => {
                if rest.len() < w {
                    out.push(truncated);
                    break;
                }
                let text = std::str::from_utf8(&rest[..w]).ok();
                match text.and_then(|t| {
                    t.bytes()
                        .all(|b| b.is_ascii_hexdigit())
                        .then(|| u64::from_str_radix(t, 16).ok())
                        .flatten()
                }) {
                    Some(v) => (v, w),
                    None => {
                        out.push(corrupt);
                        break;
                    }
                }
            }
            _ => {
                let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                let max_digits = decimal_digits(max);
                let leading_zero = match kind {
                    AsciiKind::Netstring => rest.first() == Some(&b'0') && digits > 1,
                    _ => rest.first() == Some(&b'0'),
                };
                if leading_zero {
                    out.push(corrupt);
                    break;
                }
                let value_of = |ds: &[u8]| {
                    ds.iter().fold(0u64, |v, &d| {
                        v.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                    })
                };
                if digits > max_digits {
                    out.push(Event::TooLong {
                        len: value_of(&rest[..=max_digits]),
                        max: max as u64,
                    });
                    // Skip the digits, the separator, the payload, the trailer.
                    match rest.get(digits) {
                        None => break,
                        Some(&b) if b != sep => {
                            out.push(corrupt);
                            break;
                        }
                        Some(_) => {}
                    }
                    let value = value_of(&rest[..digits]);
                    let after = (digits as u64 + 1).saturating_add(value);
                    match skip_payload(rest, after, trailer) {
                        Skipped::To(n) => {
                            pos += n;
                            continue;
                        }
                        Skipped::End => break,
                        Skipped::BadTrailer => {
                            out.push(corrupt);
                            break;
                        }
                    }
                }
                match rest.get(digits) {
                    None => {
                        out.push(truncated);
                        break;
                    }
                    Some(&b) if b != sep || digits == 0 => {
                        out.push(corrupt);
                        break;
                    }
                    Some(_) => (value_of(&rest[..digits]), digits + 1),
                }
            }
        };
        if value > max as u64 {
            out.push(Event::TooLong {
                len: value,
                max: max as u64,
            });
            match skip_payload(rest, (header_len as u64).saturating_add(value), trailer) {
                Skipped::To(n) => {
                    pos += n;
                    continue;
                }
                Skipped::End => break,
                Skipped::BadTrailer => {
                    out.push(corrupt);
                    break;
                }
            }
        }
        // A length near u64::MAX under a limit of usize::MAX: more bytes than
        // any stream holds, so the frame can only be cut short.
        let Some(total) = header_len
            .checked_add(value as usize)
            .and_then(|t| t.checked_add(usize::from(trailer.is_some())))
        else {
            out.push(truncated);
            break;
        };
        if rest.len() < total {
            out.push(truncated);
            break;
        }
        if let Some(t) = trailer
            && rest[total - 1] != t
        {
            out.push(corrupt);
            break;
        }
        out.push(Event::Frame(
            rest[header_len..header_len + value as usize].to_vec(),
        ));
        pos += total;
    }
    out
}

enum Skipped {
    /// Decoding goes on this many bytes further.
    To(usize),
    /// The stream ended inside the skipped frame.
    End,
    /// The trailer after the skipped payload is wrong.
    BadTrailer,
}

/// Skips `upto` bytes of `rest`, then checks the trailer.
fn skip_payload(rest: &[u8], upto: u64, trailer: Option<u8>) -> Skipped {
    let Ok(upto) = usize::try_from(upto) else {
        return Skipped::End;
    };
    if upto >= rest.len() + usize::from(trailer.is_none()) {
        return Skipped::End;
    }
    match trailer {
        None => Skipped::To(upto),
        Some(t) if rest[upto] == t => Skipped::To(upto + 1),
        Some(_) => Skipped::BadTrailer,
    }
}

/// The plain encoder of an ASCII-length frame.
pub fn naive_ascii_frame(kind: AsciiKind, upper: bool, payload: &[u8]) -> Vec<u8> {
    let mut out = match kind {
        AsciiKind::Netstring => format!("{}:", payload.len()).into_bytes(),
        AsciiKind::Octets => format!("{} ", payload.len()).into_bytes(),
        AsciiKind::Hex(w) if upper => format!("{:0w$X}", payload.len()).into_bytes(),
        AsciiKind::Hex(w) => format!("{:0w$x}", payload.len()).into_bytes(),
    };
    out.extend_from_slice(payload);
    if kind == AsciiKind::Netstring {
        out.push(b',');
    }
    out
}

/// Input of `decode_ascii`.
#[derive(Debug, Arbitrary)]
pub struct DecodeAsciiInput {
    /// The codec.
    pub choice: AsciiChoice,
    /// The limit, or the default.
    pub max: Option<Max>,
    /// Map data bytes into digits, separators and `a`.
    pub small_alphabet: bool,
    /// Where the reads split the bytes.
    pub cuts: Vec<u16>,
    /// The bytes.
    pub data: Vec<u8>,
}

/// `decode_ascii`: any ASCII length codec on arbitrary bytes, against the
/// reference.
pub fn check_decode_ascii(input: DecodeAsciiInput) {
    let Some((codec, kind)) = input.choice.build(input.max.map(Max::get)) else {
        return;
    };
    let max = codec.max();
    let data = if input.small_alphabet {
        squeeze(&input.data, b"0123:, aAf")
    } else {
        input.data.clone()
    };
    let events = check_splits(&codec, &data, &input.cuts, &ascii_expect(kind, max));
    assert_eq!(
        without_details(&events),
        naive_ascii(kind, &data, max),
        "the ASCII codec and the reference disagree on {kind:?}"
    );
}

/// Input of `roundtrip_ascii`.
#[derive(Debug, Arbitrary)]
pub struct RoundTripAsciiInput {
    /// The codec.
    pub choice: AsciiChoice,
    /// The limit, or the default.
    pub max: Option<Max>,
    /// The payloads.
    pub items: Vec<Item>,
    /// Where the reads split the encoded bytes.
    pub cuts: Vec<u16>,
}

/// `roundtrip_ascii`.
pub fn check_roundtrip_ascii(input: RoundTripAsciiInput) {
    let Some((mut codec, kind)) = input.choice.build(input.max.map(Max::get)) else {
        return;
    };
    let upper = matches!(input.choice, AsciiChoice::Hex { upper: true, .. });
    let max = codec.max();
    let mut wire = BytesMut::new();
    let mut want = Vec::new();
    for item in &input.items {
        let result = encode_item(&mut codec, item, &mut wire);
        let len = item.data.len();
        let fits = match kind {
            AsciiKind::Hex(w) => w == 16 || (len as u64) < 1 << (4 * w),
            AsciiKind::Octets => len > 0,
            AsciiKind::Netstring => true,
        };
        let verdict = if len > max {
            Some(format!("FrameTooLong {len} {max}"))
        } else if !fits {
            Some("Unencodable".into())
        } else {
            None
        };
        assert_eq!(refusal(&result), verdict);
        if let Ok(encoded) = result {
            assert_eq!(encoded, naive_ascii_frame(kind, upper, &item.data));
            want.push(item.data.clone());
        }
    }
    check_round_trip(&codec, &wire, &input.cuts, want, &ascii_expect(kind, max));
}

// ---------------------------------------------------------------------------
// MQTT's 4-byte varint: `LengthPrefixed` with `Width::Varint4`.

/// `decode_varint4`: a `Width::Varint4` length field, arbitrary bytes.
pub fn check_decode_varint4(input: DecodeLengthInput) {
    decode_length(&input, Some(Width::Varint4));
}

/// `roundtrip_varint4`: a `Width::Varint4` length field.
pub fn check_roundtrip_varint4(input: RoundTripLengthInput) {
    roundtrip_length(&input, Some(Width::Varint4));
}

// ---------------------------------------------------------------------------
// The CRC trailer.

/// Which inner codec a `Crc` wraps.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum CrcInner {
    /// `LengthPrefixed` with a `u16` big-endian length.
    LengthU16,
    /// `LengthPrefixed` with a varint length.
    Varint,
    /// `Slip` (with or without a leading END).
    Slip {
        /// `with_leading_end`.
        leading_end: bool,
    },
    /// `Stuffed::hdlc()`.
    Hdlc,
    /// `Netstring`.
    Netstring,
}

/// A `Crc` codec under test.
#[derive(Debug, Clone)]
pub enum CrcCodec {
    /// Over `LengthPrefixed`.
    Length(Crc<LengthPrefixed>),
    /// Over `Slip`.
    Slip(Crc<Slip>),
    /// Over `Stuffed`.
    Stuffed(Crc<Stuffed>),
    /// Over `Netstring`.
    Netstring(Crc<Netstring>),
}

macro_rules! delegate_crc {
    ($self:ident, $c:ident => $e:expr) => {
        match $self {
            CrcCodec::Length($c) => $e,
            CrcCodec::Slip($c) => $e,
            CrcCodec::Stuffed($c) => $e,
            CrcCodec::Netstring($c) => $e,
        }
    };
}

every_way_in!(CrcCodec {
    Length,
    Slip,
    Stuffed,
    Netstring
});

impl Decoder for CrcCodec {
    type Item = Bytes;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        delegate_crc!(self, c => c.decode(src))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        delegate_crc!(self, c => c.decode_eof(src))
    }
}

impl DecodeMut for CrcCodec {
    fn decode_in_place(&mut self, src: &mut [u8]) -> Decoded {
        delegate_crc!(self, c => c.decode_in_place(src))
    }

    fn decode_in_place_eof(&mut self, src: &mut [u8]) -> Decoded {
        delegate_crc!(self, c => c.decode_in_place_eof(src))
    }
}

impl Encode for CrcCodec {
    fn encoded_len(&self, payload: &[u8]) -> Result<usize, Error> {
        delegate_crc!(self, c => c.encoded_len(payload))
    }

    fn write_frame<O: framewise::Output + ?Sized>(&self, payload: &[u8], len: usize, out: &mut O) {
        delegate_crc!(self, c => c.write_frame(payload, len, out))
    }
}

impl Encoder<Bytes> for CrcCodec {
    type Error = Error;

    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), Error> {
        delegate_crc!(self, c => c.encode(item, dst))
    }
}

impl Encoder<&[u8]> for CrcCodec {
    type Error = Error;

    fn encode(&mut self, item: &[u8], dst: &mut BytesMut) -> Result<(), Error> {
        delegate_crc!(self, c => c.encode(item, dst))
    }
}

/// The CRC settings of a fuzz input.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub struct CrcSetup {
    /// The inner codec.
    pub inner: CrcInner,
    /// Index into `CrcAlgorithm::ALL`.
    pub algorithm: u8,
    /// Swap the default byte order.
    pub swap_endian: bool,
    /// The inner codec's limit (small, so it is reached).
    pub max: u8,
}

/// The CRC of `data` by plain bitwise long division, from the catalogue's
/// parameters (width, poly, init, refin, refout, xorout), for the
/// reference: independent of the tables of the `crc` crate.
pub fn bitwise_crc(alg: CrcAlgorithm, data: &[u8]) -> u64 {
    let (width, poly, init, refin, refout, xorout): (u32, u64, u64, bool, bool, u64) = match alg {
        CrcAlgorithm::Crc8 => (8, 0x07, 0, false, false, 0),
        CrcAlgorithm::Crc16Xmodem => (16, 0x1021, 0, false, false, 0),
        CrcAlgorithm::Crc16CcittFalse => (16, 0x1021, 0xffff, false, false, 0),
        CrcAlgorithm::Crc16Modbus => (16, 0x8005, 0xffff, true, true, 0),
        CrcAlgorithm::Crc16Arc => (16, 0x8005, 0, true, true, 0),
        CrcAlgorithm::Crc16Kermit => (16, 0x1021, 0, true, true, 0),
        CrcAlgorithm::Crc16IbmSdlc => (16, 0x1021, 0xffff, true, true, 0xffff),
        CrcAlgorithm::Crc32 => (32, 0x04c1_1db7, 0xffff_ffff, true, true, 0xffff_ffff),
        CrcAlgorithm::Crc32c => (32, 0x1edc_6f41, 0xffff_ffff, true, true, 0xffff_ffff),
        _ => panic!("no reference parameters for {alg:?}"),
    };
    let top = 1u64 << (width - 1);
    let mask = if width == 64 {
        u64::MAX
    } else {
        (1 << width) - 1
    };
    let reflect = |mut v: u64, bits: u32| {
        let mut r = 0;
        for _ in 0..bits {
            r = r << 1 | (v & 1);
            v >>= 1;
        }
        r
    };
    let mut reg = init;
    for &byte in data {
        let b = if refin {
            reflect(byte.into(), 8)
        } else {
            byte.into()
        };
        reg ^= b << (width - 8);
        for _ in 0..8 {
            reg = if reg & top != 0 {
                (reg << 1) ^ poly
            } else {
                reg << 1
            } & mask;
        }
    }
    if refout {
        reg = reflect(reg, width);
    }
    (reg ^ xorout) & mask
}

impl CrcSetup {
    /// The codec, its algorithm and byte order (big-endian when `true`).
    pub fn build(self) -> (CrcCodec, CrcAlgorithm, bool) {
        let alg = CrcAlgorithm::ALL[usize::from(self.algorithm) % CrcAlgorithm::ALL.len()];
        let default_big = matches!(
            alg,
            CrcAlgorithm::Crc8 | CrcAlgorithm::Crc16Xmodem | CrcAlgorithm::Crc16CcittFalse
        );
        let big = default_big != self.swap_endian;
        let endian = if big { Endian::Big } else { Endian::Little };
        let max = usize::from(self.max);
        macro_rules! wrap {
            ($inner:expr) => {{
                let c = Crc::new($inner, alg);
                assert_eq!(c.endian() == Endian::Big, default_big);
                assert_eq!(c.trailer_len(), alg.width());
                assert_eq!(c.algorithm(), alg);
                c.with_endian(endian)
            }};
        }
        let codec = match self.inner {
            CrcInner::LengthU16 => CrcCodec::Length(wrap!(
                LengthPrefixed::builder()
                    .width(Width::U16)
                    .max_frame_len(max + 2)
                    .build()
                    .expect("a u16 layout")
            )),
            CrcInner::Varint => CrcCodec::Length(wrap!(
                LengthPrefixed::builder()
                    .width(Width::Varint)
                    .max_frame_len(max + 1)
                    .build()
                    .expect("a varint layout")
            )),
            CrcInner::Slip { leading_end } => CrcCodec::Slip(wrap!(
                Slip::new()
                    .with_leading_end(leading_end)
                    .with_max_frame_len(max)
            )),
            CrcInner::Hdlc => CrcCodec::Stuffed(wrap!(Stuffed::hdlc().with_max_frame_len(max))),
            CrcInner::Netstring => {
                CrcCodec::Netstring(wrap!(Netstring::new().with_max_frame_len(max)))
            }
        };
        (codec, alg, big)
    }
}

/// The trailer of `data`, written plainly.
fn naive_trailer(alg: CrcAlgorithm, big: bool, data: &[u8]) -> Vec<u8> {
    let value = bitwise_crc(alg, data);
    let mut bytes: Vec<u8> = (0..alg.width()).map(|i| (value >> (8 * i)) as u8).collect();
    if big {
        bytes.reverse();
    }
    bytes
}

/// The inner codec's reference events, with each frame's trailer checked.
fn naive_crc(setup: CrcSetup, alg: CrcAlgorithm, big: bool, data: &[u8]) -> Vec<Event> {
    let max = usize::from(setup.max);
    let inner = match setup.inner {
        CrcInner::LengthU16 | CrcInner::Varint => {
            let varint = matches!(setup.inner, CrcInner::Varint);
            let layout = Layout {
                width: if varint { Width::Varint } else { Width::U16 },
                big: true,
                offset: 0,
                adjustment: 0,
                strip: None,
                max: max + if varint { 1 } else { 2 },
            };
            naive_length(&layout, data)
        }
        CrcInner::Slip { .. } => naive_stuffed(Scheme::Slip, data, max),
        CrcInner::Hdlc => naive_stuffed(Scheme::Hdlc(0x7E, 0x7D, 0x20), data, max),
        CrcInner::Netstring => naive_ascii(AsciiKind::Netstring, data, max),
    };
    let w = alg.width();
    inner
        .into_iter()
        .map(|e| match e {
            Event::Frame(f) if f.len() < w => too_short(f.len(), w),
            Event::Frame(f) => {
                let (body, trailer) = f.split_at(f.len() - w);
                if trailer == naive_trailer(alg, big, body) {
                    Event::Frame(body.to_vec())
                } else {
                    let fold = |v: u64, b: &u8| v << 8 | u64::from(*b);
                    let actual = if big {
                        trailer.iter().fold(0, fold)
                    } else {
                        trailer.iter().rev().fold(0, fold)
                    };
                    checksum_mismatch(bitwise_crc(alg, body), actual)
                }
            }
            other => other,
        })
        .collect()
}

fn crc_expect(setup: CrcSetup) -> Expect {
    let max = usize::from(setup.max);
    let length = |width, max| {
        Layout {
            width,
            big: true,
            offset: 0,
            adjustment: 0,
            strip: None,
            max,
        }
        .expect()
    };
    match setup.inner {
        CrcInner::LengthU16 => length(Width::U16, max + 2),
        CrcInner::Varint => length(Width::Varint, max + 1),
        CrcInner::Slip { .. } | CrcInner::Hdlc => stuffing_expect(max),
        CrcInner::Netstring => ascii_expect(AsciiKind::Netstring, max),
    }
}

/// The bytes the reference writes for `payload` (data and trailer) in the
/// inner framing.
fn naive_crc_frame(inner: CrcInner, payload: &[u8]) -> Vec<u8> {
    match inner {
        CrcInner::LengthU16 => {
            let mut v = (payload.len() as u16).to_be_bytes().to_vec();
            v.extend_from_slice(payload);
            v
        }
        CrcInner::Varint => {
            let mut v = Vec::new();
            let mut n = payload.len() as u64;
            while n >= 0x80 {
                v.push(n as u8 | 0x80);
                n >>= 7;
            }
            v.push(n as u8);
            v.extend_from_slice(payload);
            v
        }
        CrcInner::Slip { leading_end } => naive_stuff(Scheme::Slip, leading_end, payload),
        CrcInner::Hdlc => naive_stuff(Scheme::Hdlc(0x7E, 0x7D, 0x20), true, payload),
        CrcInner::Netstring => naive_ascii_frame(AsciiKind::Netstring, false, payload),
    }
}

/// Input of `decode_crc`.
#[derive(Debug, Arbitrary)]
pub struct DecodeCrcInput {
    /// The codec.
    pub setup: CrcSetup,
    /// Frames with a good trailer, encoded by the reference into the stream.
    pub frames: Vec<Vec<u8>>,
    /// Bytes of the stream to overwrite: (position, value).
    pub corruptions: Vec<(u16, u8)>,
    /// Where the reads split the stream.
    pub cuts: Vec<u16>,
    /// Arbitrary bytes appended to the stream.
    pub data: Vec<u8>,
}

/// `decode_crc`: a `Crc` over several framings, on good frames, corrupted
/// frames and arbitrary bytes, against the inner reference with a bitwise
/// CRC.
pub fn check_decode_crc(input: DecodeCrcInput) {
    let (codec, alg, big) = input.setup.build();
    let mut stream = Vec::new();
    for f in &input.frames {
        let mut payload = f.clone();
        payload.extend(naive_trailer(alg, big, f));
        if matches!(input.setup.inner, CrcInner::LengthU16) && payload.len() > 0xffff {
            continue;
        }
        let framed = naive_crc_frame(input.setup.inner, &payload);
        stream.extend(framed);
    }
    stream.extend_from_slice(&input.data);
    if !stream.is_empty() {
        for &(at, value) in &input.corruptions {
            let at = usize::from(at) % stream.len();
            stream[at] = value;
        }
    }
    let events = check_splits(&codec, &stream, &input.cuts, &crc_expect(input.setup));
    let seen = matches!(input.setup.inner, CrcInner::Slip { .. } | CrcInner::Hdlc);
    let norm = |e: &[Event]| {
        let e = without_details(e);
        if seen { without_seen_len(&e) } else { e }
    };
    assert_eq!(
        norm(&events),
        norm(&naive_crc(input.setup, alg, big, &stream)),
        "Crc and the reference disagree"
    );
}

/// Input of `roundtrip_crc`.
#[derive(Debug, Arbitrary)]
pub struct RoundTripCrcInput {
    /// The codec.
    pub setup: CrcSetup,
    /// The items.
    pub items: Vec<Item>,
    /// Where the reads split the encoded bytes.
    pub cuts: Vec<u16>,
}

/// `roundtrip_crc`: every item comes back, with the reference's trailer on
/// the wire, or is refused as the inner codec refuses `item ‖ crc`.
pub fn check_roundtrip_crc(input: RoundTripCrcInput) {
    let (mut codec, alg, big) = input.setup.build();
    let max = usize::from(input.setup.max);
    let w = alg.width();
    let mut wire = BytesMut::new();
    let mut want = Vec::new();
    for item in &input.items {
        let result = encode_item(&mut codec, item, &mut wire);
        let payload_len = item.data.len() + w;
        let on_wire = match input.setup.inner {
            CrcInner::LengthU16 => payload_len + 2,
            CrcInner::Varint => payload_len + varint_len(payload_len as u64),
            _ => payload_len,
        };
        let limit = match input.setup.inner {
            CrcInner::LengthU16 => max + 2,
            CrcInner::Varint => max + 1,
            _ => max,
        };
        let verdict = if matches!(input.setup.inner, CrcInner::LengthU16) && payload_len > 0xffff {
            Some("Unencodable".to_string())
        } else {
            (on_wire > limit).then(|| format!("FrameTooLong {on_wire} {limit}"))
        };
        assert_eq!(
            refusal(&result),
            verdict,
            "refusal of a {}-byte item",
            item.data.len()
        );
        if let Ok(encoded) = result {
            let mut payload = item.data.clone();
            payload.extend(naive_trailer(alg, big, &item.data));
            assert_eq!(encoded, naive_crc_frame(input.setup.inner, &payload));
            want.push(item.data.clone());
        }
    }
    check_round_trip(&codec, &wire, &input.cuts, want, &crc_expect(input.setup));
}
