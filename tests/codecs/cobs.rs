//! `Cobs`: the contract's properties, interop with the `cobs` crate, and the
//! resynchronisation cases spelled out.

use crate::support::codec::in_place::run_in_place;
use crate::support::codec::{Event, cuts_strategy, encode_all, run_all};
use bytes::{Bytes, BytesMut};
use framewise::{Cobs, DecodeMut, Decoded, Encode, Error};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, Encoder};

/// The longest valid encoding of a payload of at most `max` bytes.
fn bound(max: usize) -> usize {
    max + max / 254 + 1
}

/// The textbook COBS decoder, on one encoded frame without its `0x00`:
/// `Err(offset)` of the code byte that points past the end.
fn naive_decode(enc: &[u8]) -> Result<Vec<u8>, usize> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < enc.len() {
        let code = enc[i] as usize;
        if i + code > enc.len() {
            return Err(i);
        }
        for j in 1..code {
            out.push(enc[i + j]);
        }
        i += code;
        if code != 0xFF && i < enc.len() {
            out.push(0);
        }
    }
    Ok(out)
}

/// How many payload bytes `enc` (no `0x00`, maybe cut short) stands for,
/// walking it one byte at a time.
fn naive_count(enc: &[u8]) -> usize {
    let mut count = 0;
    let mut left_in_group = 0;
    let mut prev_code: Option<u8> = None;
    for &b in enc {
        if left_in_group == 0 {
            if prev_code.is_some_and(|c| c != 0xFF) {
                count += 1;
            }
            prev_code = Some(b);
            left_in_group = b - 1;
        } else {
            count += 1;
            left_in_group -= 1;
        }
    }
    count
}

/// What the decoder must say. An oversized frame whose encoding is longer
/// than the bound is reported while it arrives, so its `len` depends on the
/// reads: anything from `max + 1` to the payload length of the whole frame.
#[derive(Debug, Clone, PartialEq)]
enum Expect {
    Frame(Vec<u8>),
    Err(String),
    TooLong { least: usize, most: usize },
}

/// The naive reference decoder over a whole stream.
fn naive(data: &[u8], max: usize) -> Vec<Expect> {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        while at < data.len() && data[at] == 0 {
            at += 1;
        }
        if at == data.len() {
            return out;
        }
        let end = data[at..].iter().position(|&b| b == 0).map(|i| at + i);
        let seg = &data[at..end.unwrap_or(data.len())];
        if seg.len() > bound(max) {
            out.push(Expect::TooLong {
                least: max + 1,
                most: naive_count(seg),
            });
        } else if end.is_none() {
            out.push(Expect::Err(
                Error::Truncated {
                    buffered: seg.len(),
                }
                .to_string(),
            ));
        } else {
            out.push(match naive_decode(seg) {
                Err(offset) => Expect::Err(Error::InvalidCobs { offset }.to_string()),
                Ok(p) if p.len() > max => Expect::Err(
                    Error::FrameTooLong {
                        len: p.len() as u64,
                        max: max as u64,
                    }
                    .to_string(),
                ),
                Ok(p) => Expect::Frame(p),
            });
        }
        match end {
            Some(e) => at = e + 1,
            None => return out,
        }
    }
}

/// The `len` of a "frame of {len} bytes exceeds the limit of {max}" message.
fn too_long_len(msg: &str, max: usize) -> Option<usize> {
    let rest = msg.strip_prefix("frame of ")?;
    let (len, tail) = rest.split_once(' ')?;
    (tail == format!("bytes exceeds the limit of {max}")).then(|| len.parse().ok())?
}

fn check(events: &[Event<Bytes>], expected: &[Expect], max: usize) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        events.len(),
        expected.len(),
        "{:?} vs {:?}",
        events,
        expected
    );
    for (got, want) in events.iter().zip(expected) {
        match (got, want) {
            (Event::Frame(f), Expect::Frame(w)) => prop_assert_eq!(&f[..], &w[..]),
            (Event::Err(s), Expect::Err(w)) => prop_assert_eq!(s, w),
            (Event::Err(s), Expect::TooLong { least, most }) => {
                let len = too_long_len(s, max);
                prop_assert!(
                    len.is_some_and(|l| *least <= l && l <= *most),
                    "{} not a frame of {}..={} bytes over {}",
                    s,
                    least,
                    most,
                    max
                );
            }
            _ => prop_assert!(false, "got {:?}, expected {:?}", got, want),
        }
    }
    Ok(())
}

fn frames_of(events: &[Event<Bytes>]) -> Vec<Vec<u8>> {
    events
        .iter()
        .map(|e| match e {
            Event::Frame(f) => f.to_vec(),
            Event::Err(s) => panic!("unexpected error {s}"),
        })
        .collect()
}

/// Payloads that cross the 254-byte group size, that end with whole 254-byte
/// groups (where encoders differ), and short ones full of zeros and `0xFF`.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    let byte = || prop_oneof![2 => any::<u8>(), 1 => Just(0u8), 1 => Just(0xFFu8)];
    let whole_groups =
        (proptest::collection::vec(byte(), 0..10), 1usize..3).prop_flat_map(|(head, groups)| {
            proptest::collection::vec(1u8..=255, 254 * groups)
                .prop_map(move |tail| [head.clone(), tail].concat())
        });
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..700),
        proptest::collection::vec(1u8..=255, 250..520),
        whole_groups,
        proptest::collection::vec(byte(), 0..40),
    ]
}

/// Byte soup that often looks like COBS: zeros and small codes.
fn soup() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![2 => Just(0u8), 3 => 1u8..6, 3 => any::<u8>()];
    proptest::collection::vec(byte, 0..400)
}

fn encode_ours(payload: &[u8]) -> Vec<u8> {
    let mut dst = BytesMut::new();
    Cobs::new().encode(payload, &mut dst).unwrap();
    dst.to_vec()
}

fn encode_theirs(payload: &[u8]) -> Vec<u8> {
    let mut v = cobs::encode_vec(payload);
    v.push(0);
    v
}

proptest! {
    #[test]
    fn cobs_round_trip_any_split(
        items in proptest::collection::vec(payload(), 0..8),
        cuts in cuts_strategy(5000),
    ) {
        let mut codec = Cobs::new();
        let wire = encode_all(&mut codec, items.iter().map(|i| &i[..]));
        let out = run_all(&mut codec, &wire, &cuts);
        prop_assert_eq!(frames_of(&out.events), items);
    }

    #[test]
    fn cobs_interop_our_encoding_is_the_cobs_crates(p in payload()) {
        let ours = encode_ours(&p);
        prop_assert_eq!(&ours, &encode_theirs(&p));
        prop_assert_eq!(cobs::decode_vec(&ours[..ours.len() - 1]).unwrap(), p.clone());
        prop_assert_eq!(cobs::decode_vec(&ours).unwrap(), p);
    }

    #[test]
    fn cobs_interop_decodes_cobs_crate_frames(
        items in proptest::collection::vec(payload(), 0..8),
        cuts in cuts_strategy(5000),
    ) {
        let wire: Vec<u8> = items.iter().flat_map(|p| encode_theirs(p)).collect();
        let out = run_all(&mut Cobs::new(), &wire, &cuts);
        prop_assert_eq!(frames_of(&out.events), items);
    }

    #[test]
    fn cobs_naive_decoder_agrees_with_cobs_crate(
        seg in proptest::collection::vec(prop_oneof![1u8..6, 1u8..=255], 1..600),
    ) {
        // Keeps the reference honest: it accepts and rejects what `cobs` does.
        prop_assert_eq!(naive_decode(&seg).ok(), cobs::decode_vec(&seg).ok());
    }

    #[test]
    fn cobs_matches_naive_on_any_bytes(
        data in soup(),
        max in prop_oneof![0usize..40, Just(1024 * 1024)],
        cuts in cuts_strategy(400),
    ) {
        let mut codec = Cobs::new().with_max_frame_len(max);
        let out = run_all(&mut codec, &data, &cuts);
        prop_assert!(out.max_buffered <= bound(max), "{} buffered", out.max_buffered);
        check(&out.events, &naive(&data, max), max)?;
    }

    #[test]
    fn cobs_resync_after_oversize(
        before in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..4),
        big_extra in 1usize..600,
        after in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..4),
        max in 40usize..600,
        zeros_in_big in any::<bool>(),
        cuts in cuts_strategy(3000),
    ) {
        let big: Vec<u8> = (0..max + big_extra)
            .map(|i| if zeros_in_big && i % 7 == 0 { 0 } else { (i % 250) as u8 + 1 })
            .collect();
        let mut wire = encode_all(&mut Cobs::new(), before.iter().map(|i| &i[..]));
        wire.extend_from_slice(&encode_ours(&big));
        wire.extend_from_slice(&encode_all(&mut Cobs::new(), after.iter().map(|i| &i[..])));

        let mut codec = Cobs::new().with_max_frame_len(max);
        let out = run_all(&mut codec, &wire, &cuts);
        prop_assert!(out.max_buffered <= bound(max));
        let mut expected: Vec<Expect> = before.into_iter().map(Expect::Frame).collect();
        expected.push(Expect::TooLong { least: max + 1, most: big.len() });
        expected.extend(after.into_iter().map(Expect::Frame));
        check(&out.events, &expected, max)?;
        if cuts.is_empty() {
            // All in one read: the whole frame was seen, so `len` is exact.
            let errors = out.errors();
            prop_assert_eq!(too_long_len(&errors[0], max), Some(big.len()));
        }
    }

    #[test]
    fn cobs_never_buffers_past_limit(
        max in 2usize..600,
        extra in 1usize..3000,
        cuts in cuts_strategy(4000),
    ) {
        // A peer that never sends 0x00 ... until it finally does, then a frame.
        let mut wire: Vec<u8> = (0..bound(max) + extra).map(|i| (i % 255) as u8 + 1).collect();
        wire.push(0);
        wire.extend_from_slice(b"\x03ok\x00");
        let mut codec = Cobs::new().with_max_frame_len(max);
        let out = run_all(&mut codec, &wire, &cuts);
        prop_assert!(out.max_buffered <= bound(max), "{} buffered", out.max_buffered);
        prop_assert_eq!(out.errors().len(), 1);
        prop_assert!(too_long_len(&out.errors()[0], max).is_some_and(|l| l > max));
        prop_assert_eq!(out.frames(), vec![Bytes::from_static(b"ok")]);
    }

    #[test]
    fn cobs_encoder_refusals_write_nothing(
        max in 0usize..300,
        extra in 1usize..300,
        prefix in proptest::collection::vec(any::<u8>(), 0..8),
    ) {
        let mut codec = Cobs::new().with_max_frame_len(max);
        let mut dst = BytesMut::from(&prefix[..]);
        let item = vec![0u8; max + extra];
        let err = codec.encode(&item[..], &mut dst).unwrap_err();
        let expected = format!("frame of {} bytes exceeds the limit of {max}", max + extra);
        prop_assert_eq!(err.to_string(), expected);
        prop_assert!(codec.encode(Bytes::from(item), &mut dst).is_err());
        prop_assert_eq!(&dst[..], &prefix[..]);
    }
}

fn events(codec: &mut Cobs, wire: &[u8], cuts: &[usize]) -> Vec<Event<Bytes>> {
    run_all(codec, wire, cuts).events
}

fn frame(b: &'static [u8]) -> Event<Bytes> {
    Event::Frame(Bytes::from_static(b))
}

#[test]
fn cobs_one_byte_reads() {
    let mut wire = encode_ours(b"\x11\x22\x00\x33");
    wire.extend_from_slice(&encode_ours(b""));
    wire.extend_from_slice(&encode_ours(b"abc"));
    let one_by_one: Vec<usize> = (0..wire.len()).collect();
    assert_eq!(
        events(&mut Cobs::new(), &wire, &one_by_one),
        [frame(b"\x11\x22\x00\x33"), frame(b""), frame(b"abc")]
    );
}

#[test]
fn cobs_empty_payload_is_a_frame() {
    assert_eq!(encode_ours(b""), b"\x01\x00");
    assert_eq!(events(&mut Cobs::new(), b"\x01\x00", &[]), [frame(b"")]);
}

#[test]
fn cobs_zero_bytes_between_frames_skipped() {
    let wire = b"\x00\x00\x02a\x00\x00\x00\x00\x02b\x00\x00";
    for cuts in [vec![], (0..wire.len()).collect(), vec![1, 4, 6]] {
        assert_eq!(
            events(&mut Cobs::new(), wire, &cuts),
            [frame(b"a"), frame(b"b")]
        );
    }
    assert_eq!(events(&mut Cobs::new(), b"\x00\x00\x00", &[]), []);
}

#[test]
fn cobs_resync_after_invalid() {
    // "a", then a code promising 4 bytes where 2 follow, then "b".
    let wire = b"\x02a\x00\x05xy\x00\x02b\x00";
    for cuts in [vec![], (0..wire.len()).collect(), vec![4, 5]] {
        assert_eq!(
            events(&mut Cobs::new(), wire, &cuts),
            [
                frame(b"a"),
                Event::Err("invalid cobs encoding at offset 0 of the frame".into()),
                frame(b"b"),
            ]
        );
    }
    // The offending code byte can be later in the frame.
    let mut codec = Cobs::new();
    let mut buf = BytesMut::from(&b"\x02a\x04b\x00\x02c\x00"[..]);
    let err = codec.decode(&mut buf).unwrap_err();
    assert!(matches!(err, Error::InvalidCobs { offset: 2 }));
    assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "c");
}

#[test]
fn cobs_resync_after_oversize_exact() {
    // max 3: "abcd" (encoding 5 bytes, over the bound of 4) is reported while
    // it arrives; "ab\0cd" (encoding 6 bytes, over the bound) likewise;
    // then "xyz" fits.
    let wire = b"\x05abcd\x00\x03ab\x03cd\x00\x04xyz\x00";
    let all_at_once = events(&mut Cobs::new().with_max_frame_len(3), wire, &[]);
    assert_eq!(
        all_at_once,
        [
            Event::Err("frame of 4 bytes exceeds the limit of 3".into()),
            Event::Err("frame of 5 bytes exceeds the limit of 3".into()),
            frame(b"xyz"),
        ]
    );
    let one_by_one: Vec<usize> = (0..wire.len()).collect();
    // Byte by byte, each is reported as soon as its encoding passes 4 bytes.
    assert_eq!(
        events(&mut Cobs::new().with_max_frame_len(3), wire, &one_by_one),
        [
            Event::Err("frame of 4 bytes exceeds the limit of 3".into()),
            Event::Err("frame of 4 bytes exceeds the limit of 3".into()),
            frame(b"xyz"),
        ]
    );
}

#[test]
fn cobs_oversize_within_encoded_bound_reports_exact_len() {
    // max 254: the bound is 256 encoded bytes. A 255-byte payload with a zero
    // in it encodes to 256 bytes: within the bound, decoded, then refused.
    let mut payload = vec![b'x'; 255];
    payload[100] = 0;
    let mut wire = encode_ours(&payload);
    assert_eq!(wire.len(), 257);
    wire.extend_from_slice(b"\x02y\x00");
    let one_by_one: Vec<usize> = (0..wire.len()).collect();
    for cuts in [vec![], one_by_one] {
        assert_eq!(
            events(&mut Cobs::new().with_max_frame_len(254), &wire, &cuts),
            [
                Event::Err("frame of 255 bytes exceeds the limit of 254".into()),
                frame(b"y"),
            ]
        );
    }
}

#[test]
fn cobs_never_buffers_past_limit_against_an_endless_peer() {
    let mut codec = Cobs::new().with_max_frame_len(1000);
    let mut buf = BytesMut::new();
    let mut errors = 0;
    for _ in 0..1000 {
        buf.extend_from_slice(&[0x42; 100]);
        match codec.decode(&mut buf) {
            Ok(None) => {}
            Err(Error::FrameTooLong { len, max: 1000 }) => {
                assert!(len > 1000);
                errors += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(buf.len() <= bound(1000), "{} bytes buffered", buf.len());
    }
    assert_eq!(errors, 1);
    buf.extend_from_slice(b"\x42\x00\x03hi\x00");
    assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "hi");
}

#[test]
fn cobs_noncanonical_trailing_group_decodes_like_cobs_crate() {
    // Some encoders end a full group with an empty group `01`.
    let mut enc = vec![0xFF];
    enc.extend(std::iter::repeat_n(9u8, 254));
    enc.push(0x01);
    let theirs = cobs::decode_vec(&enc).unwrap();
    enc.push(0);
    let ours = events(&mut Cobs::new(), &enc, &[]);
    assert_eq!(ours, [Event::Frame(Bytes::from(theirs))]);
}

#[test]
fn cobs_eof_partial_frame_is_truncated_and_cleared() {
    let mut codec = Cobs::new();
    let mut buf = BytesMut::from(&b"\x02a\x00\x00\x03ab"[..]);
    assert_eq!(codec.decode_eof(&mut buf).unwrap().unwrap(), "a");
    let err = codec.decode_eof(&mut buf).unwrap_err();
    assert!(matches!(err, Error::Truncated { buffered: 3 }));
    assert!(buf.is_empty());
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
}

#[test]
fn cobs_eof_with_zeros_only_is_nothing() {
    let mut codec = Cobs::new();
    let mut buf = BytesMut::from(&b"\x00\x00"[..]);
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
    assert!(buf.is_empty());
}

#[test]
fn cobs_eof_while_discarding_is_silent() {
    let mut codec = Cobs::new().with_max_frame_len(2);
    let mut buf = BytesMut::from(&b"\x09abcdefg"[..]);
    assert!(matches!(
        codec.decode(&mut buf),
        Err(Error::FrameTooLong { len: 7, max: 2 })
    ));
    buf.extend_from_slice(b"h");
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
    assert!(buf.is_empty());
    // The next stream starts clean.
    buf.extend_from_slice(b"\x02z\x00");
    assert_eq!(codec.decode_eof(&mut buf).unwrap().unwrap(), "z");
}

#[test]
fn cobs_default_limit_is_one_mib() {
    let codec = Cobs::default();
    assert_eq!(codec.max_frame_len(), 1024 * 1024);
    let payload = vec![7u8; 1024 * 1024];
    let wire = encode_ours(&payload);
    let out = run_all(&mut Cobs::new(), &wire, &[4096, 500_000]);
    assert_eq!(frames_of(&out.events), [payload]);
}

proptest! {
    /// The core, decoding in place in a plain buffer, gives what the naive
    /// decoder gives, and exactly what the tokio-util adapter gives.
    #[test]
    fn cobs_in_place_matches_naive_and_tokio(
        data in soup(),
        max in prop_oneof![0usize..40, Just(1024 * 1024)],
        cuts in cuts_strategy(400),
    ) {
        let core = run_in_place(&mut Cobs::new().with_max_frame_len(max), &data, &cuts);
        prop_assert!(core.max_buffered <= bound(max), "{} buffered", core.max_buffered);
        check(&core.events, &naive(&data, max), max)?;
        let tokio = run_all(&mut Cobs::new().with_max_frame_len(max), &data, &cuts);
        prop_assert_eq!(core.max_buffered, tokio.max_buffered);
        prop_assert_eq!(core.events, tokio.events);
    }

    /// `encoded_len` is the exact size (the `cobs` crate's encoding plus the
    /// final zero), and `encode_to_slice` writes exactly that, or nothing.
    #[test]
    fn cobs_encoded_len_is_exact(p in payload(), spare in 0usize..4) {
        let codec = Cobs::new();
        let theirs = encode_theirs(&p);
        prop_assert_eq!(codec.encoded_len(&p).unwrap(), theirs.len());
        let mut dst = vec![0xAA; theirs.len() + spare];
        let n = codec.encode_to_slice(&p, &mut dst).unwrap();
        prop_assert_eq!(&dst[..n], &theirs[..]);
        prop_assert!(dst[n..].iter().all(|&b| b == 0xAA));
        let mut short = vec![0xAA; theirs.len() - 1];
        let err = codec.encode_to_slice(&p, &mut short).unwrap_err();
        prop_assert_eq!(
            err.to_string(),
            format!(
                "output buffer of {} bytes is too small for a frame of {}",
                theirs.len() - 1,
                theirs.len()
            )
        );
        prop_assert!(short.iter().all(|&b| b == 0xAA));
    }
}

#[test]
fn cobs_decode_in_place_rewrites_only_its_frame() {
    let mut codec = Cobs::new();
    let mut rx = *b"\x00\x03\x11\x22\x02\x33\x00\x02\x44\x00";
    let answer = codec.decode_in_place(&mut rx);
    // The zero before the frame is skipped with it.
    assert!(
        matches!(
            answer,
            Decoded::Frame {
                start: 2,
                len: 4,
                consumed: 7
            }
        ),
        "{answer:?}"
    );
    assert_eq!(&rx[2..6], b"\x11\x22\x00\x33");
    assert_eq!(&rx[7..], b"\x02\x44\x00");
    let answer = codec.decode_in_place(&mut rx[7..]);
    assert!(
        matches!(
            answer,
            Decoded::Frame {
                start: 1,
                len: 1,
                consumed: 3
            }
        ),
        "{answer:?}"
    );
    assert_eq!(rx[8], 0x44);
}

#[test]
fn cobs_slice_encoder_refusals_write_nothing() {
    let codec = Cobs::new().with_max_frame_len(3);
    let mut dst = [0xAA; 16];
    let err = codec
        .encode_to_slice(b"\x00\x00\x00\x00", &mut dst)
        .unwrap_err();
    assert_eq!(err.to_string(), "frame of 4 bytes exceeds the limit of 3");
    assert_eq!(dst, [0xAA; 16]);
    assert_eq!(codec.encode_to_slice(b"\x00\x00\x00", &mut dst).unwrap(), 5);
    assert_eq!(&dst[..5], b"\x01\x01\x01\x01\x00");
}

#[test]
fn cobs_in_place_eof_partial_frame_is_truncated_and_consumed() {
    let mut codec = Cobs::new();
    let mut rx = *b"\x00\x00\x03ab";
    let answer = codec.decode_in_place_eof(&mut rx);
    assert!(
        matches!(
            answer,
            Decoded::Error {
                consumed: 5,
                error: Error::Truncated { buffered: 3 }
            }
        ),
        "{answer:?}"
    );
    // Zeros alone are nothing, and consumed.
    let answer = codec.decode_in_place_eof(&mut [0, 0]);
    assert!(
        matches!(answer, Decoded::Incomplete { consumed: 2 }),
        "{answer:?}"
    );
}
