//! `Delimited`: round trips under any read split, equality with a naive
//! decoder, limits and resynchronisation, end of stream, encoder refusals,
//! and interop with tokio-util's `AnyDelimiterCodec`.

use crate::support::codec::{
    Event, Outcome, checks, cuts_strategy, encode_all, run_all, run_in_place,
};
use crate::support::codec::{assert_line_core_end_and_discard, parse_too_long};
use bytes::{Bytes, BytesMut};
use framewise::{Delimited, Encode, Error};
use proptest::collection::vec;
use proptest::prelude::*;
use tokio_util::codec::{AnyDelimiterCodec, Decoder, Encoder};

// ---------------------------------------------------------------------------
// The naive reference (`checks::naive_delimited`): the whole stream in view,
// every position tried against every delimiter, longest first.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Naive {
    Frame(Vec<u8>),
    /// An oversized frame: its payload length, and whether a decoder that
    /// sees all the bytes in one read knows that length exactly (a delimiter
    /// ends it, and no longer delimiter could still start before that one).
    TooLong {
        len: usize,
        exact: bool,
    },
}

/// The reference (shared with the fuzz checks).
fn naive(delimiters: &[Vec<u8>], keep: bool, max: usize, data: &[u8]) -> Vec<Naive> {
    checks::naive_delimited(delimiters, keep, max, data)
        .into_iter()
        .map(|(e, exact)| match e {
            checks::Event::Frame(f) => Naive::Frame(f),
            checks::Event::TooLong { len, .. } => Naive::TooLong {
                len: len as usize,
                exact,
            },
            other => panic!("the reference gave {other:?}"),
        })
        .collect()
}

/// Checks a decoder's events against the naive reading. Frames must be equal;
/// an oversized frame must be one `FrameTooLong` whose `len` lies between the
/// limit and the real length (it is how much had arrived when the decoder
/// gave up), and is exact when `whole` (one read) and the naive reading says
/// it can be.
fn assert_matches_naive(
    got: &Outcome<Bytes>,
    want: &[Naive],
    max: usize,
    whole: bool,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        got.events.len(),
        want.len(),
        "events {:?}, naive {:?}",
        got.events,
        want
    );
    for (g, w) in got.events.iter().zip(want) {
        match (g, w) {
            (Event::Frame(f), Naive::Frame(n)) => prop_assert_eq!(&f[..], &n[..]),
            (Event::Err(msg), Naive::TooLong { len, exact }) => {
                let (l, m) = parse_too_long(msg).ok_or_else(|| TestCaseError::fail(msg.clone()))?;
                prop_assert_eq!(m, max);
                prop_assert!(l > max && l <= *len, "{} not in {}..={}", l, max + 1, len);
                if whole && *exact {
                    prop_assert_eq!(l, *len);
                }
            }
            _ => prop_assert!(false, "event {:?}, naive {:?}", g, w),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

/// Bytes that often form (parts of) delimiters.
fn delimiter_byte() -> impl Strategy<Value = u8> {
    prop_oneof![Just(b'a'), Just(b'b'), Just(b'\r'), Just(b'\n')]
}

fn stream_byte() -> impl Strategy<Value = u8> {
    prop_oneof![3 => delimiter_byte(), 2 => Just(b'x'), 1 => any::<u8>()]
}

/// A delimiter set that the builder accepts: common ones, and random short
/// ones over a small alphabet (so they overlap and collide). If the first
/// random delimiter is the start of a longer one (which the builder refuses),
/// the longest is moved to the front.
fn delimiter_set() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let random = vec(vec(delimiter_byte(), 1..=3), 1..=4).prop_map(|mut set| {
        if set[1..]
            .iter()
            .any(|d| d.len() > set[0].len() && d.starts_with(&set[0]))
        {
            let longest = (0..set.len()).max_by_key(|&i| set[i].len()).unwrap();
            set.swap(0, longest);
        }
        set
    });
    prop_oneof![
        1 => Just(vec![b"\n".to_vec()]),
        1 => Just(vec![b"\r\n".to_vec()]),
        1 => Just(vec![b"\r\n".to_vec(), b"\n".to_vec()]),
        1 => Just(vec![b"\n".to_vec(), b"\r\n".to_vec()]),
        1 => Just(vec![b"\r\n".to_vec(), b"\r".to_vec(), b"\n".to_vec()]),
        1 => Just(vec![b"a".to_vec(), b"b".to_vec(), b"\r".to_vec(), b"\n".to_vec()]),
        6 => random,
    ]
}

fn codec(set: &[Vec<u8>], keep: bool, max: usize) -> Delimited {
    set.iter()
        .fold(Delimited::builder(), |b, d| b.delimiter(d))
        .keep_delimiter(keep)
        .max_frame_len(max)
        .build()
        .expect("delimiter_set gives valid sets")
}

fn longest(set: &[Vec<u8>]) -> usize {
    set.iter().map(Vec::len).max().unwrap()
}

/// Every way the bytes after an encoded frame could begin, as far as the
/// decoder's view of that frame goes: nothing, or the rest of a delimiter.
fn continuations(set: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut out = vec![Vec::new()];
    for d in set {
        for i in 0..d.len() {
            out.push(d[i..].to_vec());
        }
    }
    out
}

/// A delimiter set, and bytes made of pieces of its delimiters and `x`, so
/// that payload ends overlap delimiters in every way.
fn set_and_fragments() -> impl Strategy<Value = (Vec<Vec<u8>>, Vec<u8>)> {
    delimiter_set().prop_flat_map(|set| {
        let mut pieces = vec![b"x".to_vec()];
        for d in &set {
            for i in 0..d.len() {
                for j in i + 1..=d.len() {
                    pieces.push(d[i..j].to_vec());
                }
            }
        }
        let bytes = vec(proptest::sample::select(pieces), 0..5).prop_map(|p| p.concat());
        (Just(set), bytes)
    })
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

proptest! {
    /// Whatever the encoder accepts decodes back, under any read split.
    #[test]
    fn delimited_round_trip(
        set in delimiter_set(),
        payloads in vec(vec(stream_byte(), 0..10), 0..12),
        cuts in cuts_strategy(150),
    ) {
        let mut codec = codec(&set, false, 64 * 1024);
        let mut wire = BytesMut::new();
        let mut accepted = Vec::new();
        for p in &payloads {
            let before = wire.clone();
            match codec.encode(&p[..], &mut wire) {
                Ok(()) => accepted.push(p.clone()),
                Err(e) => {
                    prop_assert!(matches!(e, Error::Unencodable { .. }), "{e}");
                    prop_assert_eq!(&wire, &before, "a refused payload wrote bytes");
                }
            }
        }
        let out = run_all(&mut codec, &wire, &cuts);
        prop_assert!(out.errors().is_empty(), "{:?}", out.errors());
        let frames: Vec<Vec<u8>> = out.frames().iter().map(|f| f.to_vec()).collect();
        prop_assert_eq!(frames, accepted);
    }

    /// The same with `keep_delimiter(true)`: the items are whole frames.
    #[test]
    fn delimited_keep_delimiter_round_trip(
        set in delimiter_set(),
        items in vec((vec(stream_byte(), 0..10), any::<prop::sample::Index>()), 0..12),
        cuts in cuts_strategy(150),
    ) {
        let mut codec = codec(&set, true, 64 * 1024);
        let mut wire = BytesMut::new();
        let mut accepted = Vec::new();
        for (payload, which) in &items {
            let mut item = payload.clone();
            item.extend_from_slice(which.get::<Vec<u8>>(&set));
            let before = wire.clone();
            match codec.encode(Bytes::from(item.clone()), &mut wire) {
                Ok(()) => accepted.push(item),
                Err(e) => {
                    prop_assert!(matches!(e, Error::Unencodable { .. }), "{e}");
                    prop_assert_eq!(&wire, &before, "a refused frame wrote bytes");
                }
            }
        }
        let out = run_all(&mut codec, &wire, &cuts);
        prop_assert!(out.errors().is_empty(), "{:?}", out.errors());
        let frames: Vec<Vec<u8>> = out.frames().iter().map(|f| f.to_vec()).collect();
        prop_assert_eq!(frames, accepted);
    }

    /// Any bytes, any split, any limit: the same frames as the naive reading,
    /// one error per oversized frame, and never more buffered than the limit
    /// plus the longest delimiter less one byte.
    #[test]
    fn delimited_matches_naive(
        set in delimiter_set(),
        keep in any::<bool>(),
        max in prop_oneof![0..6usize, Just(64 * 1024)],
        data in vec(stream_byte(), 0..120),
        cuts in cuts_strategy(120),
    ) {
        let want = naive(&set, keep, max, &data);
        let got = run_all(&mut codec(&set, keep, max), &data, &cuts);
        assert_matches_naive(&got, &want, max, false)?;
        prop_assert!(got.max_buffered < max + longest(&set), "buffered {}", got.max_buffered);
        // In one read, an oversized frame's delimiter is in view: exact length.
        let whole = run_all(&mut codec(&set, keep, max), &data, &[]);
        assert_matches_naive(&whole, &want, max, true)?;
    }

    /// Arbitrary bytes (all 256 values) never make the decoder panic or loop.
    #[test]
    fn delimited_no_panic_on_arbitrary_bytes(
        set in delimiter_set(),
        keep in any::<bool>(),
        max in 0..40usize,
        data in vec(any::<u8>(), 0..300),
        cuts in cuts_strategy(300),
    ) {
        let got = run_all(&mut codec(&set, keep, max), &data, &cuts);
        prop_assert!(got.max_buffered < max + longest(&set));
        prop_assert_eq!(got.events.len(), naive(&set, keep, max, &data).len());
    }

    /// After an oversized frame: exactly one error, then the frames behind it.
    #[test]
    fn delimited_resync_after_oversize_any_split(
        set in delimiter_set(),
        before in vec(vec(Just(b'x'), 0..5), 0..4),
        oversized in 6..40usize,
        after in vec(vec(Just(b'y'), 0..5), 1..4),
        cuts in cuts_strategy(120),
    ) {
        let mut codec = codec(&set, false, 5);
        let big = vec![b'z'; oversized];
        let mut wire = encode_all(&mut codec, before.iter().map(|p| &p[..]));
        wire.extend_from_slice(&big);
        wire.extend_from_slice(&set[0]);
        wire.extend_from_slice(&encode_all(&mut codec, after.iter().map(|p| &p[..])));
        let out = run_all(&mut codec, &wire, &cuts);
        let mut want: Vec<Event<Bytes>> = before.iter().map(|p| Event::Frame(Bytes::from(p.clone()))).collect();
        let errors_at = want.len();
        want.extend(after.iter().map(|p| Event::Frame(Bytes::from(p.clone()))));
        prop_assert_eq!(out.errors().len(), 1);
        prop_assert_eq!(out.events.len(), before.len() + 1 + after.len());
        prop_assert!(matches!(out.events[errors_at], Event::Err(_)));
        let mut got = out.events.clone();
        let err = got.remove(errors_at);
        let Event::Err(msg) = err else { unreachable!() };
        let (len, max) = parse_too_long(&msg).unwrap();
        prop_assert!(max == 5 && len > 5 && len <= oversized);
        prop_assert_eq!(got, want);
    }
}

proptest! {
    // Cheap cases, and the telling ones (a payload's end running into the
    // delimiter to form a third one) are rare: look at more of them.
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// The encoder accepts a payload exactly when the payload followed by the
    /// first delimiter decodes as that payload whatever comes after it: its
    /// refusals are all necessary.
    #[test]
    fn delimited_encoder_refuses_exactly_what_would_not_decode(
        (set, payload) in set_and_fragments(),
    ) {
        let mut codec = codec(&set, false, 64 * 1024);
        let mut dst = BytesMut::from(&b"before"[..]);
        let accepted = codec.encode(&payload[..], &mut dst).is_ok();
        for c in continuations(&set) {
            let mut wire = payload.clone();
            wire.extend_from_slice(&set[0]);
            wire.extend_from_slice(&c);
            let first = naive(&set, false, usize::MAX, &wire).into_iter().next();
            let decodes_back = first == Some(Naive::Frame(payload.clone()));
            if accepted {
                prop_assert!(decodes_back, "accepted {:?}, but {:?} decodes as {:?}", payload, wire, first);
            } else if !decodes_back {
                return Ok(());
            }
        }
        prop_assert!(accepted, "refused {:?}, which decodes back whatever follows", payload);
        let mut want = b"before".to_vec();
        want.extend_from_slice(&payload);
        want.extend_from_slice(&set[0]);
        prop_assert_eq!(&dst[..], &want[..]);
    }

    /// The same for whole frames with `keep_delimiter(true)`.
    #[test]
    fn delimited_keep_encoder_refuses_exactly_what_would_not_decode(
        (set, item) in set_and_fragments(),
    ) {
        let mut codec = codec(&set, true, 64 * 1024);
        let mut dst = BytesMut::new();
        let accepted = codec.encode(&item[..], &mut dst).is_ok();
        for c in continuations(&set) {
            let mut wire = item.clone();
            wire.extend_from_slice(&c);
            let first = naive(&set, true, usize::MAX, &wire).into_iter().next();
            let decodes_back = first == Some(Naive::Frame(item.clone()));
            if accepted {
                prop_assert!(decodes_back, "accepted {:?}, but {:?} decodes as {:?}", item, wire, first);
            } else if !decodes_back {
                return Ok(());
            }
        }
        prop_assert!(accepted, "refused {:?}, which decodes back whatever follows", item);
        prop_assert_eq!(&dst[..], &item[..]);
    }

}

// ---------------------------------------------------------------------------
// Situations
// ---------------------------------------------------------------------------

fn delimited(set: &[&[u8]]) -> Delimited {
    let set: Vec<Vec<u8>> = set.iter().map(|d| d.to_vec()).collect();
    codec(&set, false, 64 * 1024)
}

fn frames(out: &Outcome<Bytes>) -> Vec<&[u8]> {
    out.events
        .iter()
        .map(|e| match e {
            Event::Frame(f) => &f[..],
            Event::Err(e) => panic!("unexpected error {e}"),
        })
        .collect()
}

#[test]
fn delimited_crlf_and_lf_ties_go_to_the_longest() {
    let data = b"a\r\nb\nc\r\r\nd\r";
    for cuts in [vec![], (0..data.len()).collect()] {
        let out = run_all(&mut delimited(&[b"\r\n", b"\n"]), data, &cuts);
        // "c\r\r\n": the earliest match is the "\r\n" at 2, so "c\r".
        // The final "d\r" is unterminated: returned at the end of the stream.
        assert_eq!(frames(&out), [&b"a"[..], b"b", b"c\r", b"d\r"]);
    }
    let out = run_all(&mut delimited(&[b"\r\n", b"\r"]), b"a\r\nb\rc\r", &[3, 5]);
    assert_eq!(frames(&out), [&b"a"[..], b"b", b"c"]);
}

#[test]
fn delimited_multi_byte_delimiter_split_across_reads() {
    let data = b"one--END--two--END--three";
    let all: Vec<usize> = (0..data.len()).collect();
    for cuts in [vec![], vec![4, 6, 17], all] {
        let out = run_all(&mut delimited(&[b"--END--"]), data, &cuts);
        assert_eq!(frames(&out), [&b"one"[..], b"two", b"three"]);
    }
}

#[test]
fn delimited_encoder_writes_the_first_delimiter() {
    let mut codec = delimited(&[b"\r\n", b"\n"]);
    let wire = encode_all(&mut codec, [&b"a"[..], b"", b"b\r"]);
    assert_eq!(&wire[..], b"a\r\n\r\nb\r\r\n");
}

#[test]
fn delimited_resync_after_oversize() {
    let mut codec = delimited(&[b"\n"]).with_max_frame_len(4);
    let mut buf = BytesMut::from(&b"ok\ntoo long\nnext\nlast\n"[..]);
    assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "ok");
    let err = codec.decode(&mut buf).unwrap_err();
    assert!(
        matches!(err, Error::FrameTooLong { len: 8, max: 4 }),
        "{err}"
    );
    assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "next");
    assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "last");
    assert_eq!(codec.decode(&mut buf).unwrap(), None);
    assert!(buf.is_empty());
}

#[test]
fn delimited_oversize_across_reads_is_dropped_as_it_arrives() {
    let mut codec = delimited(&[b"\r\n"]).with_max_frame_len(4);
    let mut buf = BytesMut::from(&b"abcdef"[..]);
    let err = codec.decode(&mut buf).unwrap_err();
    // "abcdef" minus a possible "\r" still to be followed by "\n".
    assert_eq!(err.to_string(), "frame of 5 bytes exceeds the limit of 4");
    assert_eq!(&buf[..], b"f");
    buf.extend_from_slice(b"ghijklmno\r");
    assert_eq!(codec.decode(&mut buf).unwrap(), None);
    assert_eq!(&buf[..], b"\r");
    buf.extend_from_slice(b"\nfine\r\n");
    assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "fine");
    assert_eq!(codec.decode(&mut buf).unwrap(), None);
}

#[test]
fn delimited_never_buffers_past_limit() {
    // A peer that never sends the delimiter: 1 MiB of it, in reads of 1000.
    let data = vec![b'x'; 1 << 20];
    let cuts: Vec<usize> = (0..data.len()).step_by(1000).collect();
    for set in [&[&b"\n"[..]][..], &[b"\r\n"], &[b"\r\n", b"\n"]] {
        let out = run_all(&mut delimited(set).with_max_frame_len(4096), &data, &cuts);
        let longest = set.iter().map(|d| d.len()).max().unwrap();
        assert!(out.max_buffered < 4096 + longest, "{}", out.max_buffered);
        assert_eq!(out.events.len(), 1, "{:?}", out.errors());
        let (len, max) = parse_too_long(&out.errors()[0]).unwrap();
        assert_eq!(max, 4096);
        assert!(len > 4096 && len <= 5000, "{len}");
    }
}

/// Delimiters, length of the first frame, the second frame.
type OneByteCase = (&'static [&'static [u8]], usize, &'static [u8]);

#[test]
fn delimited_one_byte_reads_of_a_one_mib_frame() {
    // Each byte is searched once: with a rescan from the front on every read,
    // this would be 2^39 byte comparisons and never finish.
    let mut data = vec![b'x'; 1 << 20];
    data.extend_from_slice(b"\r\nend\r\n");
    let cuts: Vec<usize> = (0..data.len()).collect();
    let cases: [OneByteCase; 3] = [
        (&[b"\r\n"], 1 << 20, b"end"),
        (&[b"\r\n", b"\n"], 1 << 20, b"end"),
        // "\n" alone: the "\r" is part of the frame.
        (&[b"\n"], (1 << 20) + 1, b"end\r"),
    ];
    for (set, first_len, second) in cases {
        let mut codec = delimited(set).with_max_frame_len(2 << 20);
        let out = run_all(&mut codec, &data, &cuts);
        let got = frames(&out);
        assert_eq!(got.len(), 2);
        assert!(got[0] == &data[..first_len]);
        assert_eq!(got[1], second);
    }
}

#[test]
fn delimited_decode_eof() {
    let mut codec = delimited(&[b"\n"]).with_max_frame_len(4);
    let mut buf = BytesMut::new();
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);

    // The final unterminated frame is a frame.
    buf.extend_from_slice(b"a\nlast");
    assert_eq!(codec.decode_eof(&mut buf).unwrap().unwrap(), "a");
    assert_eq!(codec.decode_eof(&mut buf).unwrap().unwrap(), "last");
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);

    // Oversized and unterminated, never seen by `decode`: reported, cleared.
    buf.extend_from_slice(b"12345");
    let err = codec.decode_eof(&mut buf).unwrap_err();
    assert!(
        matches!(err, Error::FrameTooLong { len: 5, max: 4 }),
        "{err}"
    );
    assert!(buf.is_empty());
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);

    // While discarding a reported frame: nothing more to say.
    buf.extend_from_slice(b"123456");
    assert!(codec.decode(&mut buf).is_err());
    buf.extend_from_slice(b"78");
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
    assert!(buf.is_empty());

    // Discarding ends at a delimiter, then the frames behind still come out.
    buf.extend_from_slice(b"123456");
    assert!(codec.decode(&mut buf).is_err());
    buf.extend_from_slice(b"78\nok\nend");
    assert_eq!(codec.decode_eof(&mut buf).unwrap().unwrap(), "ok");
    assert_eq!(codec.decode_eof(&mut buf).unwrap().unwrap(), "end");
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
}

#[test]
fn delimited_decode_eof_keep_delimiter() {
    let mut codec = Delimited::builder()
        .delimiter(b"\r\n")
        .delimiter(b"\r")
        .keep_delimiter(true)
        .build()
        .unwrap();
    // "\r" could grow into "\r\n" until the stream ends.
    let mut buf = BytesMut::from(&b"a\r"[..]);
    assert_eq!(codec.decode(&mut buf).unwrap(), None);
    assert_eq!(codec.decode_eof(&mut buf).unwrap().unwrap(), "a\r");
    // The unterminated final frame has no delimiter to keep.
    buf.extend_from_slice(b"b\r\nc");
    assert_eq!(codec.decode_eof(&mut buf).unwrap().unwrap(), "b\r\n");
    assert_eq!(codec.decode_eof(&mut buf).unwrap().unwrap(), "c");
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
}

#[test]
fn delimited_encoder_refusals_write_nothing() {
    let mut codec = delimited(&[b"\n", b"\r\n"]).with_max_frame_len(4);
    let mut dst = BytesMut::from(&b"earlier"[..]);
    let refusals: [&[u8]; 4] = [b"a\nb", b"a\r\nb", b"ab\r", b"12345"];
    for payload in refusals {
        let err = codec.encode(payload, &mut dst).unwrap_err();
        match err {
            Error::FrameTooLong { len: 5, max: 4 } => assert_eq!(payload, b"12345"),
            Error::Unencodable { reason } => assert!(reason.contains("delimiter"), "{reason}"),
            other => panic!("{other}"),
        }
        assert_eq!(&dst[..], b"earlier");
    }
    codec.encode(Bytes::from_static(b"1234"), &mut dst).unwrap();
    assert_eq!(&dst[..], b"earlier1234\n");

    let mut keep = Delimited::builder()
        .delimiter(b";")
        .keep_delimiter(true)
        .build()
        .unwrap();
    let mut dst = BytesMut::new();
    for frame in [&b"no delimiter"[..], b"a;b;", b""] {
        assert!(matches!(
            keep.encode(frame, &mut dst),
            Err(Error::Unencodable { .. })
        ));
    }
    assert!(dst.is_empty());
}

#[test]
fn delimited_builder_errors() {
    let err = Delimited::builder().build().unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid codec setting `delimiter`: at least one delimiter is needed"
    );
    assert!(Delimited::new(b"").is_err());
    assert!(
        Delimited::builder()
            .delimiter(b"\n")
            .delimiter(b"")
            .build()
            .is_err()
    );
    let err = Delimited::builder()
        .delimiter(b"\r")
        .delimiter(b"\r\n")
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("give the longer delimiter first"),
        "{err}"
    );
}

#[test]
fn delimited_many_single_bytes() {
    // More than three single-byte delimiters: no memchr routine, same result.
    let set: &[&[u8]] = &[b",", b";", b"|", b"\t", b"\n"];
    let out = run_all(&mut delimited(set), b"a,b;c|d\te\nf", &[2, 3, 7]);
    assert_eq!(frames(&out), [&b"a"[..], b"b", b"c", b"d", b"e", b"f"]);
}

// ---------------------------------------------------------------------------
// The core: `Decode` and `Encode` on plain slices, no tokio types
// ---------------------------------------------------------------------------

/// A single delimiter of 2 to 8 bytes over two letters, so that it overlaps
/// itself (`aab`, `abab`) and the search for its rarest byte meets many
/// false starts.
fn periodic_delimiter() -> impl Strategy<Value = Vec<u8>> {
    vec(prop_oneof![Just(b'a'), Just(b'b')], 2..=8)
}

proptest! {
    /// The core decoder over a plain buffer: the same frames as the naive
    /// reading, and the same memory bound.
    #[test]
    fn delimited_core_matches_naive(
        set in delimiter_set(),
        keep in any::<bool>(),
        max in prop_oneof![0..6usize, Just(64 * 1024)],
        data in vec(stream_byte(), 0..120),
        cuts in cuts_strategy(120),
    ) {
        let want = naive(&set, keep, max, &data);
        let got = run_in_place(&mut codec(&set, keep, max), &data, &cuts);
        assert_matches_naive(&got, &want, max, false)?;
        prop_assert!(got.max_buffered < max + longest(&set), "buffered {}", got.max_buffered);
        let whole = run_in_place(&mut codec(&set, keep, max), &data, &[]);
        assert_matches_naive(&whole, &want, max, true)?;
    }

    /// One delimiter that overlaps itself, through both the core and
    /// tokio-util's `Decoder`: the frames of the naive reading.
    #[test]
    fn delimited_self_overlapping_delimiter_matches_naive(
        delimiter in periodic_delimiter(),
        max in prop_oneof![0..6usize, Just(64 * 1024)],
        data in vec(prop_oneof![3 => Just(b'a'), 3 => Just(b'b'), 1 => Just(b'x')], 0..200),
        cuts in cuts_strategy(200),
    ) {
        let set = vec![delimiter];
        let want = naive(&set, false, max, &data);
        let got = run_all(&mut codec(&set, false, max), &data, &cuts);
        assert_matches_naive(&got, &want, max, false)?;
        let got = run_in_place(&mut codec(&set, false, max), &data, &cuts);
        assert_matches_naive(&got, &want, max, false)?;
        let whole = run_in_place(&mut codec(&set, false, max), &data, &[]);
        assert_matches_naive(&whole, &want, max, true)?;
    }

    /// `encode_to_slice` writes what the tokio-util encoder writes, refuses
    /// what it refuses (with the same message), and writes nothing when it
    /// refuses or the slice is too short.
    #[test]
    fn delimited_encode_to_slice_matches_the_encoder(
        (set, item) in set_and_fragments(),
        keep in any::<bool>(),
        max in prop_oneof![0..6usize, Just(64 * 1024)],
        room in 0..24usize,
    ) {
        let mut codec = codec(&set, keep, max);
        let mut wire = BytesMut::new();
        let encoded = codec.encode(&item[..], &mut wire).map_err(|e| e.to_string());
        let mut dst = [0xeeu8; 24];
        let got = codec.encode_to_slice(&item, &mut dst[..room]);
        match (&encoded, got) {
            (Ok(()), Ok(n)) => {
                prop_assert_eq!(&dst[..n], &wire[..]);
                prop_assert!(dst[n..].iter().all(|&b| b == 0xee));
            }
            (Ok(()), Err(Error::BufferTooSmall { needed, available })) => {
                prop_assert_eq!((needed, available), (wire.len(), room));
                prop_assert!(wire.len() > room);
                prop_assert!(dst.iter().all(|&b| b == 0xee));
            }
            (Err(want), Err(e)) => {
                prop_assert_eq!(want, &e.to_string());
                prop_assert!(dst.iter().all(|&b| b == 0xee));
            }
            (want, got) => prop_assert!(false, "encoder {:?}, encode_to_slice {:?}", want, got),
        }
        prop_assert_eq!(codec.encoded_len(&item).ok(), encoded.ok().map(|()| wire.len()));
    }
}

#[test]
fn delimited_builder_capacity() {
    // Eight delimiters of eight bytes: every byte of the store.
    let eight: Vec<Vec<u8>> = (0..8u8).map(|i| vec![b'0' + i; 8]).collect();
    let codec = eight
        .iter()
        .fold(Delimited::builder(), |b, d| b.delimiter(d))
        .build()
        .unwrap();
    assert_eq!(codec.delimiters().collect::<Vec<_>>(), eight);
    assert_eq!(
        (Delimited::MAX_DELIMITERS, Delimited::MAX_DELIMITER_BYTES),
        (8, 64)
    );

    // A ninth, even one byte long.
    let err = eight
        .iter()
        .fold(Delimited::builder(), |b, d| b.delimiter(d))
        .delimiter(b"\n")
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid codec setting `delimiter`: a codec takes at most 8 different delimiters"
    );

    // Duplicates count once.
    let again = eight
        .iter()
        .chain(&eight)
        .fold(Delimited::builder(), |b, d| b.delimiter(d))
        .build()
        .unwrap();
    assert_eq!(again.delimiters().count(), 8);

    // 65 bytes: in one delimiter or in two.
    let too_long = "invalid codec setting `delimiter`: the delimiters of a codec take at most 64 \
                    bytes together";
    assert_eq!(
        Delimited::new([b'-'; 65]).unwrap_err().to_string(),
        too_long
    );
    let err = Delimited::builder()
        .delimiter([b'-'; 60])
        .delimiter(b"\r\n\r\n\n")
        .build()
        .unwrap_err();
    assert_eq!(err.to_string(), too_long);
    let codec = Delimited::builder()
        .delimiter([b'-'; 60])
        .delimiter(b"\r\n\r\n")
        .build()
        .unwrap();
    let mut buf = BytesMut::from(
        &b"a\r\n\r\nb------------------------------------------------------------c"[..],
    );
    let mut codec = codec;
    assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "a");
    assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "b");
    assert_eq!(&buf[..], b"c");

    // The first refusal is the one reported.
    let err = Delimited::builder()
        .delimiter(b"")
        .delimiter([b'-'; 65])
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid codec setting `delimiter`: a delimiter cannot be empty: it would match everywhere"
    );
}

#[test]
fn delimited_core_end_of_stream_and_discard() {
    let mut codec = delimited(&[b"\r\n", b"\r"]).with_max_frame_len(3);
    // "\r" may still grow into "\r\n"; its delimiter ends the skipping.
    assert_line_core_end_and_discard(&mut codec, b"h\r\nok\r\n", 3);
}

// ---------------------------------------------------------------------------
// Interop with tokio-util's AnyDelimiterCodec (single-byte delimiters)
// ---------------------------------------------------------------------------

proptest! {
    #[test]
    fn delimited_interop_with_any_delimiter_codec(
        payloads in vec("[a-z ]{0,12}", 0..10),
        cuts in cuts_strategy(150),
    ) {
        // tokio-util writes, framewise reads.
        let mut theirs = AnyDelimiterCodec::new(b",;".to_vec(), b";".to_vec());
        let mut wire = BytesMut::new();
        for p in &payloads {
            theirs.encode(p.as_str(), &mut wire).unwrap();
        }
        let mut ours = delimited(&[b",", b";"]);
        let out = run_all(&mut ours, &wire, &cuts);
        let got: Vec<&[u8]> = frames(&out);
        let want: Vec<&[u8]> = payloads.iter().map(|p| p.as_bytes()).collect();
        prop_assert_eq!(got, want);

        // framewise writes, tokio-util reads.
        let mut wire = encode_all(&mut ours, payloads.iter().map(|p| p.as_bytes()));
        let mut read = Vec::new();
        while let Some(frame) = theirs.decode(&mut wire).unwrap() {
            read.push(frame);
        }
        prop_assert!(wire.is_empty());
        let want: Vec<Bytes> = payloads.iter().map(|p| Bytes::from(p.clone())).collect();
        prop_assert_eq!(read, want);
    }
}
