//! `Lines`: round trips under any read split, equality with a naive decoder,
//! invalid UTF-8, limits and resynchronisation, end of stream, encoder
//! refusals, and interop with tokio-util's `LinesCodec`.

use crate::support::codec::{
    Event, Outcome, checks, cuts_strategy, encode_all, run_all, run_in_place,
};
use crate::support::codec::{assert_line_core_end_and_discard, parse_too_long};
use bytes::BytesMut;
use framewise::{Decode, Decoded, Encode, Error, Lines};
use proptest::collection::vec;
use proptest::prelude::*;
use tokio_util::codec::{Decoder, Encoder, LinesCodec};

// ---------------------------------------------------------------------------
// The naive reference (`checks::naive_lines`): split the whole stream at every
// `\n`.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Naive {
    Line(String),
    TooLong { len: usize },
    BadUtf8 { len: usize, valid_up_to: usize },
}

/// The reference (shared with the fuzz checks), read as lines.
fn naive(max: usize, data: &[u8]) -> Vec<Naive> {
    checks::naive_lines(max, data)
        .into_iter()
        .map(|e| match e {
            checks::Event::Frame(line) => Naive::Line(String::from_utf8(line).unwrap()),
            checks::Event::TooLong { len, .. } => Naive::TooLong { len: len as usize },
            checks::Event::InvalidUtf8 { len, valid_up_to } => Naive::BadUtf8 { len, valid_up_to },
            other => panic!("the reference gave {other:?}"),
        })
        .collect()
}

/// Checks a decoder's events against the naive reading. Lines and UTF-8
/// errors must be equal; an oversized line must be one `FrameTooLong` whose
/// `len` lies between the limit and the line's length (it is how much had
/// arrived when the decoder gave up), and is exact when `whole` (one read).
fn assert_matches_naive(
    got: &Outcome<String>,
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
            (Event::Frame(line), Naive::Line(n)) => prop_assert_eq!(line, n),
            (Event::Err(msg), Naive::BadUtf8 { len, valid_up_to }) => {
                let expected = Error::InvalidUtf8 {
                    len: *len,
                    valid_up_to: *valid_up_to,
                };
                prop_assert_eq!(msg, &expected.to_string());
            }
            (Event::Err(msg), Naive::TooLong { len }) => {
                let (l, m) = parse_too_long(msg).ok_or_else(|| TestCaseError::fail(msg.clone()))?;
                prop_assert_eq!(m, max);
                prop_assert!(l > max && l <= *len, "{} not in {}..={}", l, max + 1, len);
                if whole {
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

/// Bytes rich in line endings and in pieces of UTF-8 (`é` is `c3 a9`).
fn stream_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => Just(b'a'),
        2 => Just(b'\r'),
        2 => Just(b'\n'),
        1 => Just(0xc3),
        1 => Just(0xa9),
        1 => Just(0xff),
        1 => any::<u8>(),
    ]
}

/// Text lines, some of which the encoder must refuse.
fn line() -> impl Strategy<Value = String> {
    "[a\r\né😀 ]{0,10}"
}

fn lines_codec(crlf: bool, max: usize) -> Lines {
    let codec = if crlf { Lines::crlf() } else { Lines::new() };
    codec.with_max_frame_len(max)
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

proptest! {
    /// Whatever the encoder accepts decodes back, under any read split.
    #[test]
    fn lines_round_trip(
        crlf in any::<bool>(),
        items in vec(line(), 0..12),
        cuts in cuts_strategy(200),
    ) {
        let mut codec = lines_codec(crlf, 64 * 1024);
        let mut wire = BytesMut::new();
        let mut accepted = Vec::new();
        for item in &items {
            let before = wire.clone();
            match codec.encode(item.as_str(), &mut wire) {
                Ok(()) => accepted.push(item.clone()),
                Err(e) => {
                    prop_assert!(matches!(e, Error::Unencodable { .. }), "{e}");
                    prop_assert_eq!(&wire, &before, "a refused line wrote bytes");
                }
            }
        }
        let out = run_all(&mut codec, &wire, &cuts);
        prop_assert!(out.errors().is_empty(), "{:?}", out.errors());
        prop_assert_eq!(out.frames(), accepted);
    }

    /// The encoder accepts a line exactly when the line with its ending
    /// decodes as that line: its refusals are all necessary.
    #[test]
    fn lines_encoder_refuses_exactly_what_would_not_decode(
        crlf in any::<bool>(),
        line in line(),
    ) {
        let mut codec = lines_codec(crlf, 64 * 1024);
        let mut dst = BytesMut::from(&b"before"[..]);
        let accepted = codec.encode(line.clone(), &mut dst).is_ok();
        let ending: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        let mut wire = line.clone().into_bytes();
        wire.extend_from_slice(ending);
        let decodes_back = naive(usize::MAX, &wire) == [Naive::Line(line.clone())];
        prop_assert_eq!(accepted, decodes_back, "{:?}", line);
        let mut want = b"before".to_vec();
        if accepted {
            want.extend_from_slice(&wire);
        }
        prop_assert_eq!(&dst[..], &want[..]);
    }

    /// Any bytes, any split, any limit: the same lines and errors as the naive
    /// reading, and never more buffered than the limit plus one byte (a `\r`
    /// that may be the start of `\r\n`).
    #[test]
    fn lines_matches_naive(
        max in prop_oneof![0..6usize, Just(64 * 1024)],
        data in vec(stream_byte(), 0..120),
        cuts in cuts_strategy(120),
    ) {
        let want = naive(max, &data);
        let got = run_all(&mut Lines::new().with_max_frame_len(max), &data, &cuts);
        assert_matches_naive(&got, &want, max, false)?;
        prop_assert!(got.max_buffered <= max + 1, "buffered {}", got.max_buffered);
        let whole = run_all(&mut Lines::new().with_max_frame_len(max), &data, &[]);
        assert_matches_naive(&whole, &want, max, true)?;
    }

    /// Arbitrary bytes (all 256 values) never make the decoder panic or loop.
    #[test]
    fn lines_no_panic_on_arbitrary_bytes(
        max in 0..40usize,
        data in vec(any::<u8>(), 0..300),
        cuts in cuts_strategy(300),
    ) {
        let got = run_all(&mut Lines::new().with_max_frame_len(max), &data, &cuts);
        prop_assert!(got.max_buffered <= max + 1);
        prop_assert_eq!(got.events.len(), naive(max, &data).len());
    }

    /// After an oversized line: exactly one error, then the lines behind it.
    #[test]
    fn lines_resync_after_oversize_any_split(
        crlf in any::<bool>(),
        before in vec("[a-z]{0,5}", 0..4),
        oversized in 6..40usize,
        after in vec("[a-z]{0,5}", 1..4),
        cuts in cuts_strategy(120),
    ) {
        let mut codec = lines_codec(crlf, 5);
        let mut wire = encode_all(&mut codec, before.iter().map(String::as_str));
        wire.extend_from_slice("z".repeat(oversized).as_bytes());
        wire.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        wire.extend_from_slice(&encode_all(&mut codec, after.iter().map(String::as_str)));
        let out = run_all(&mut codec, &wire, &cuts);
        prop_assert_eq!(out.errors().len(), 1);
        prop_assert_eq!(out.events.len(), before.len() + 1 + after.len());
        let mut got = out.events.clone();
        let Event::Err(msg) = got.remove(before.len()) else {
            return Err(TestCaseError::fail("the error is not where the oversized line was"));
        };
        let (len, max) = parse_too_long(&msg).unwrap();
        prop_assert!(max == 5 && len > 5 && len <= oversized);
        let want: Vec<Event<String>> = before.iter().chain(&after).cloned().map(Event::Frame).collect();
        prop_assert_eq!(got, want);
    }

    /// tokio-util's `LinesCodec` and `Lines` read each other's lines.
    #[test]
    fn lines_interop_with_tokio_lines_codec(
        crlf in any::<bool>(),
        items in vec("[a-zé😀 \r]{0,12}[a-zé😀 ]", 0..10),
        cuts in cuts_strategy(200),
    ) {
        // tokio-util writes, framewise reads.
        let mut theirs = LinesCodec::new();
        let mut wire = BytesMut::new();
        for item in &items {
            theirs.encode(item.as_str(), &mut wire).unwrap();
        }
        let out = run_all(&mut Lines::new(), &wire, &cuts);
        prop_assert_eq!(out.frames(), items.clone());
        prop_assert!(out.errors().is_empty());

        // framewise writes, tokio-util reads.
        let mut wire = encode_all(&mut lines_codec(crlf, 64 * 1024), items.iter().map(String::as_str));
        let mut read = Vec::new();
        while let Some(line) = theirs.decode(&mut wire).unwrap() {
            read.push(line);
        }
        prop_assert!(wire.is_empty());
        prop_assert_eq!(read, items);
    }
}

// ---------------------------------------------------------------------------
// Situations
// ---------------------------------------------------------------------------

fn lines(out: &Outcome<String>) -> Vec<&str> {
    out.events
        .iter()
        .map(|e| match e {
            Event::Frame(l) => l.as_str(),
            Event::Err(e) => panic!("unexpected error {e}"),
        })
        .collect()
}

#[test]
fn lines_lf_and_crlf_endings() {
    let data = b"unix\nwindows\r\nmid\rdle\r\n\r\n\nlast\r";
    for cuts in [vec![], vec![5, 13, 14], (0..data.len()).collect()] {
        let out = run_all(&mut Lines::new(), data, &cuts);
        assert_eq!(lines(&out), ["unix", "windows", "mid\rdle", "", "", "last"]);
    }
}

#[test]
fn lines_invalid_utf8_then_next_line() {
    let mut codec = Lines::new();
    let mut buf = BytesMut::from(&b"ok\nbad \xff\xfe\r\nnext\n"[..]);
    assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some("ok"));
    let err = codec.decode(&mut buf).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidUtf8 {
                len: 6,
                valid_up_to: 4
            }
        ),
        "{err}"
    );
    assert!(err.is_recoverable());
    assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some("next"));
    assert_eq!(codec.decode(&mut buf).unwrap(), None);

    // A multi-byte character split across reads is not an error.
    let out = run_all(&mut Lines::new(), "é😀\n".as_bytes(), &[1, 3, 4]);
    assert_eq!(lines(&out), ["é😀"]);
    // A truncated character at the end of the stream is.
    let out = run_all(&mut Lines::new(), b"fine\nab\xc3", &[]);
    assert_eq!(
        out.events,
        [
            Event::Frame("fine".to_owned()),
            Event::Err(
                Error::InvalidUtf8 {
                    len: 3,
                    valid_up_to: 2
                }
                .to_string()
            )
        ]
    );
}

#[test]
fn lines_resync_after_oversize() {
    let mut codec = Lines::new().with_max_frame_len(4);
    let mut buf = BytesMut::from(&b"ok\ntoo long\r\nnext\nlast\n"[..]);
    assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some("ok"));
    let err = codec.decode(&mut buf).unwrap_err();
    assert!(
        matches!(err, Error::FrameTooLong { len: 8, max: 4 }),
        "{err}"
    );
    assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some("next"));
    assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some("last"));
    assert_eq!(codec.decode(&mut buf).unwrap(), None);
    assert!(buf.is_empty());
}

#[test]
fn lines_trailing_cr_not_counted_toward_the_limit() {
    // tokio-util's LinesCodec counts the "\r" and refuses this line.
    let out = run_all(
        &mut Lines::new().with_max_frame_len(4),
        b"four\r\nfive!\r\n",
        &[5],
    );
    assert_eq!(out.events.len(), 2);
    assert_eq!(out.events[0], Event::Frame("four".to_owned()));
    assert_eq!(
        out.events[1],
        Event::Err("frame of 5 bytes exceeds the limit of 4".to_owned())
    );
    let mut theirs = LinesCodec::new_with_max_length(4);
    assert!(
        theirs
            .decode(&mut BytesMut::from(&b"four\r\n"[..]))
            .is_err()
    );
}

#[test]
fn lines_never_buffers_past_limit() {
    // A peer that never sends "\n": 1 MiB of text in reads of 1000 bytes.
    let data = "x".repeat(1 << 20);
    let cuts: Vec<usize> = (0..data.len()).step_by(1000).collect();
    let out = run_all(
        &mut Lines::new().with_max_frame_len(4096),
        data.as_bytes(),
        &cuts,
    );
    assert!(out.max_buffered <= 4096, "{}", out.max_buffered);
    assert_eq!(
        out.events,
        [Event::Err(
            "frame of 5000 bytes exceeds the limit of 4096".to_owned()
        )]
    );
}

#[test]
fn lines_one_byte_reads_of_a_one_mib_line() {
    // Each byte is searched once: with a rescan from the front on every read,
    // this would be 2^39 byte comparisons and never finish.
    let mut data = "é".repeat(1 << 19);
    data.push_str("\r\nend\n");
    let cuts: Vec<usize> = (0..data.len()).collect();
    let out = run_all(
        &mut Lines::new().with_max_frame_len(2 << 20),
        data.as_bytes(),
        &cuts,
    );
    let got = lines(&out);
    assert_eq!(got.len(), 2);
    assert!(got[0] == "é".repeat(1 << 19));
    assert_eq!(got[1], "end");
}

#[test]
fn lines_decode_eof() {
    let mut codec = Lines::new().with_max_frame_len(4);
    let mut buf = BytesMut::new();
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);

    // The final unterminated line is a line, without a final "\r".
    buf.extend_from_slice(b"a\nlast\r");
    assert_eq!(codec.decode_eof(&mut buf).unwrap().as_deref(), Some("a"));
    assert_eq!(codec.decode_eof(&mut buf).unwrap().as_deref(), Some("last"));
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
    assert!(buf.is_empty());

    // Oversized and unterminated: reported once, then nothing.
    buf.extend_from_slice(b"12345");
    let err = codec.decode_eof(&mut buf).unwrap_err();
    assert!(
        matches!(err, Error::FrameTooLong { len: 5, max: 4 }),
        "{err}"
    );
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
    assert!(buf.is_empty());

    // Discarding ends at a "\n", then the lines behind still come out.
    buf.extend_from_slice(b"123456");
    assert!(codec.decode(&mut buf).is_err());
    buf.extend_from_slice(b"78\nok\nend");
    assert_eq!(codec.decode_eof(&mut buf).unwrap().as_deref(), Some("ok"));
    assert_eq!(codec.decode_eof(&mut buf).unwrap().as_deref(), Some("end"));
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
}

#[test]
fn lines_encoder_refusals_write_nothing() {
    let mut codec = Lines::new().with_max_frame_len(4);
    let mut dst = BytesMut::from(&b"earlier"[..]);
    for line in ["a\nb", "\n", "abc\r", "12345"] {
        let err = codec.encode(line, &mut dst).unwrap_err();
        match err {
            Error::FrameTooLong { len: 5, max: 4 } => assert_eq!(line, "12345"),
            Error::Unencodable { reason } => {
                assert!(reason.contains("\\n") || reason.contains("\\r"), "{reason}")
            }
            other => panic!("{other}"),
        }
        assert_eq!(&dst[..], b"earlier");
    }
    codec.encode(String::from("a\rb"), &mut dst).unwrap();
    assert_eq!(&dst[..], b"earliera\rb\n");

    // With "\r\n" endings a final "\r" decodes back, so it is accepted.
    let mut dst = BytesMut::new();
    Lines::crlf().encode("abc\r", &mut dst).unwrap();
    assert_eq!(&dst[..], b"abc\r\r\n");
    assert!(Lines::crlf().encode("a\nb", &mut dst).is_err());
    assert_eq!(&dst[..], b"abc\r\r\n");
}

// ---------------------------------------------------------------------------
// The core: `Decode` and `Encode` on plain slices, no tokio types
// ---------------------------------------------------------------------------

/// [`run_in_place`] (the core decoder over a plain buffer, through the
/// shared harness) with the lines as `String`s: they must be UTF-8.
fn run_core(codec: &mut Lines, data: &[u8], cuts: &[usize]) -> Outcome<String> {
    let out = run_in_place(codec, data, cuts);
    Outcome {
        events: out
            .events
            .into_iter()
            .map(|e| match e {
                Event::Frame(line) => {
                    Event::Frame(String::from_utf8(line.to_vec()).expect("utf-8"))
                }
                Event::Err(e) => Event::Err(e),
            })
            .collect(),
        max_buffered: out.max_buffered,
    }
}

proptest! {
    /// The core decoder over a plain buffer: the same lines and errors as the
    /// naive reading, and the same memory bound.
    #[test]
    fn lines_core_matches_naive(
        max in prop_oneof![0..6usize, Just(64 * 1024)],
        data in vec(stream_byte(), 0..120),
        cuts in cuts_strategy(120),
    ) {
        let want = naive(max, &data);
        let got = run_core(&mut Lines::new().with_max_frame_len(max), &data, &cuts);
        assert_matches_naive(&got, &want, max, false)?;
        prop_assert!(got.max_buffered <= max + 1, "buffered {}", got.max_buffered);
        let whole = run_core(&mut Lines::new().with_max_frame_len(max), &data, &[]);
        assert_matches_naive(&whole, &want, max, true)?;
    }

    /// `encode_to_slice` writes what the tokio-util encoder writes, refuses
    /// what it refuses (with the same message), and writes nothing when it
    /// refuses or the slice is too short.
    #[test]
    fn lines_encode_to_slice_matches_the_encoder(
        line in line(),
        crlf in any::<bool>(),
        max in prop_oneof![0..6usize, Just(64 * 1024)],
        room in 0..48usize,
    ) {
        let mut codec = lines_codec(crlf, max);
        let mut wire = BytesMut::new();
        let encoded = codec.encode(line.as_str(), &mut wire).map_err(|e| e.to_string());
        let mut dst = [0xeeu8; 48];
        let got = codec.encode_to_slice(line.as_bytes(), &mut dst[..room]);
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
    }
}

#[test]
fn lines_core_encoder_refuses_bytes_that_are_not_utf8() {
    let codec = Lines::crlf();
    let mut dst = [0u8; 8];
    let err = codec.encode_to_slice(b"ab\xc3", &mut dst).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot encode frame: a line must be utf-8, and byte 2 of this 3-byte frame is not"
    );
    assert_eq!(dst, [0; 8]);
    assert_eq!(codec.encode_to_slice("é".as_bytes(), &mut dst).unwrap(), 4);
    assert_eq!(&dst[..4], b"\xc3\xa9\r\n");
}

#[test]
fn lines_core_end_of_stream_and_discard() {
    let mut codec = Lines::new().with_max_frame_len(3);
    // At the end of the stream the final "\r" is stripped; a newline ends
    // the skipping.
    assert_line_core_end_and_discard(&mut codec, b"h\nok\r\n", 2);
    // A bad line costs only itself.
    let Decoded::Error { consumed: 3, error } = codec.decode_slice(b"a\xff\nok\n") else {
        panic!("no error");
    };
    assert!(matches!(
        error,
        Error::InvalidUtf8 {
            len: 2,
            valid_up_to: 1
        }
    ));
}
