//! Slip: RFC 1055's escapes, interop with the `slip-codec` crate in both
//! directions, resync after bad escapes and oversized frames, and properties
//! under arbitrary read splits against the plain reference decoder.

use crate::support::codec::checks;
use crate::support::codec::{Event, cuts_strategy, encode_all, run_all};
use bytes::{Bytes, BytesMut};
use checks::Max;
use checks::framings::{
    DecodeStuffedInput, DifferentialSlipInput, RoundTripStuffedInput, StuffingChoice,
    slip_codec_decode, slip_codec_encode,
};
use framewise::{Encode, Error, Slip};
use proptest::prelude::*;
use tokio_util::codec::Encoder;

fn frame(b: &[u8]) -> Event<Bytes> {
    Event::Frame(Bytes::copy_from_slice(b))
}

fn err(s: &str) -> Event<Bytes> {
    Event::Err(s.to_string())
}

#[test]
fn slip_rfc1055_escapes_both_special_bytes() {
    let mut wire = BytesMut::new();
    Slip::new()
        .encode(&b"\x01\xc0\x02\xdb\x03"[..], &mut wire)
        .unwrap();
    assert_eq!(&wire[..], b"\x01\xdb\xdc\x02\xdb\xdd\x03\xc0");
    let out = run_all(&mut Slip::new(), &wire, &[]);
    assert_eq!(out.events, vec![frame(b"\x01\xc0\x02\xdb\x03")]);
}

#[test]
fn slip_leading_end_is_written_on_request_and_read_either_way() {
    let mut wire = BytesMut::new();
    let mut codec = Slip::new().with_leading_end(true);
    codec.encode(&b"ab"[..], &mut wire).unwrap();
    codec.encode(&b"c"[..], &mut wire).unwrap();
    assert_eq!(&wire[..], b"\xc0ab\xc0\xc0c\xc0");
    // Repeated ENDs are empty frames: skipped.
    let stream = b"\xc0\xc0ab\xc0\xc0\xc0c\xc0de\xc0";
    for cuts in [vec![], (0..stream.len()).collect()] {
        let out = run_all(&mut Slip::new(), stream, &cuts);
        assert_eq!(out.events, vec![frame(b"ab"), frame(b"c"), frame(b"de")]);
    }
}

#[test]
fn slip_encoder_refuses_the_empty_payload_and_writes_nothing() {
    let mut wire = BytesMut::from(&b"x"[..]);
    let e = Slip::new().encode(&b""[..], &mut wire).unwrap_err();
    assert!(matches!(e, Error::Unencodable { .. }), "{e}");
    assert_eq!(&wire[..], b"x");
}

#[test]
fn slip_invalid_escape_is_reported_and_the_next_frame_decodes() {
    // ESC 'x' at offset 1..2 of the frame "a ESC x b".
    let stream = b"a\xdbxb\xc0c\xc0";
    for cuts in [vec![], (0..stream.len()).collect()] {
        let out = run_all(&mut Slip::new(), stream, &cuts);
        assert_eq!(
            out.events,
            vec![
                err("invalid escape sequence at offset 2 of the frame"),
                frame(b"c")
            ]
        );
    }
}

#[test]
fn slip_esc_then_end_ends_the_bad_frame_at_that_end() {
    // slip-codec takes this END into the bad frame and loses "b" too.
    let stream = b"a\xdb\xc0b\xc0";
    let out = run_all(&mut Slip::new(), stream, &[]);
    assert_eq!(
        out.events,
        vec![
            err("invalid escape sequence at offset 2 of the frame"),
            frame(b"b")
        ]
    );
    assert_eq!(slip_codec_decode(stream), vec![None]);
}

#[test]
fn slip_resync_after_oversize() {
    let stream = b"abcdef\xc0xy\xc0";
    let mut codec = Slip::new().with_max_frame_len(3);
    // In one read the whole frame is seen: its exact length.
    let out = run_all(&mut codec, stream, &[]);
    assert_eq!(
        out.events,
        vec![err("frame of 6 bytes exceeds the limit of 3"), frame(b"xy")]
    );
    // A byte at a time, it is reported as soon as it passes the limit.
    let out = run_all(&mut codec, stream, &(0..stream.len()).collect::<Vec<_>>());
    assert_eq!(
        out.events,
        vec![err("frame of 4 bytes exceeds the limit of 3"), frame(b"xy")]
    );
    assert_eq!(out.max_buffered, 3);
}

#[test]
fn slip_limit_counts_unstuffed_bytes() {
    // Three payload bytes, all escaped: six on the wire, within a limit of 3.
    let stream = b"\xdb\xdc\xdb\xdd\xdb\xdc\xc0";
    let out = run_all(&mut Slip::new().with_max_frame_len(3), stream, &[]);
    assert_eq!(out.events, vec![frame(b"\xc0\xdb\xc0")]);
    let e = Slip::new()
        .with_max_frame_len(3)
        .encoded_len(b"abcd")
        .unwrap_err();
    assert!(matches!(e, Error::FrameTooLong { len: 4, max: 3 }));
}

#[test]
fn slip_peer_that_never_sends_end_cannot_grow_the_buffer() {
    let mut codec = Slip::new().with_max_frame_len(10);
    let stream: Vec<u8> = b"\xdb\xdc".repeat(500);
    let cuts: Vec<usize> = (0..stream.len()).step_by(7).collect();
    let out = run_all(&mut codec, &stream, &cuts);
    // Reported at the first read past the limit (28 bytes stand for 14),
    // then skipped as it arrives.
    assert_eq!(
        out.events,
        vec![err("frame of 14 bytes exceeds the limit of 10")]
    );
    // 10 escaped bytes and an ESC waiting for its partner: 2 * max + 1.
    assert_eq!(out.max_buffered, 21);
}

#[test]
fn slip_partial_frame_at_end_of_stream_is_truncated() {
    let out = run_all(&mut Slip::new(), b"ab\xc0cd\xdb", &[]);
    assert_eq!(
        out.events,
        vec![
            frame(b"ab"),
            err("stream ended in the middle of a frame, with 3 bytes of it buffered")
        ]
    );
}

#[test]
fn slip_encode_to_slice_without_allocation() {
    let mut buf = [0u8; 6];
    let n = Slip::new().encode_to_slice(b"\xc0\x01", &mut buf).unwrap();
    assert_eq!(&buf[..n], b"\xdb\xdc\x01\xc0");
    let e = Slip::new()
        .encode_to_slice(&[0xc0; 3], &mut buf)
        .unwrap_err();
    assert!(matches!(
        e,
        Error::BufferTooSmall {
            needed: 7,
            available: 6
        }
    ));
}

#[test]
fn slip_interop_exact_bytes_with_slip_codec() {
    let payload = b"\x01\xc0\xdb\xdc\xdd\x02";
    for leading in [false, true] {
        let mut ours = BytesMut::new();
        Slip::new()
            .with_leading_end(leading)
            .encode(&payload[..], &mut ours)
            .unwrap();
        assert_eq!(&ours[..], &slip_codec_encode(payload, leading)[..]);
    }
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    // Mostly special bytes, so escapes meet each other and read splits.
    proptest::collection::vec(
        prop_oneof![
            Just(0xc0u8),
            Just(0xdb),
            Just(0xdc),
            Just(0xdd),
            any::<u8>()
        ],
        1..64,
    )
}

proptest! {
    #[test]
    fn slip_round_trip_any_split(
        items in proptest::collection::vec(payload(), 0..8),
        leading in any::<bool>(),
        cuts in cuts_strategy(1200),
    ) {
        let mut codec = Slip::new().with_leading_end(leading);
        let wire = encode_all(&mut codec, items.iter().map(|i| &i[..]));
        let out = run_all(&mut codec, &wire, &cuts);
        let want: Vec<Event<Bytes>> = items.iter().map(|i| frame(i)).collect();
        prop_assert_eq!(out.events, want);
    }

    #[test]
    fn slip_interop_slip_codec_decodes_ours(
        items in proptest::collection::vec(payload(), 0..8),
        leading in any::<bool>(),
    ) {
        let mut codec = Slip::new().with_leading_end(leading);
        let wire = encode_all(&mut codec, items.iter().map(|i| &i[..]));
        let theirs: Vec<Option<Vec<u8>>> = slip_codec_decode(&wire);
        prop_assert_eq!(theirs, items.into_iter().map(Some).collect::<Vec<_>>());
    }

    #[test]
    fn slip_interop_decodes_slip_codec_frames(
        items in proptest::collection::vec(payload(), 0..8),
        leading in any::<bool>(),
        cuts in cuts_strategy(1200),
    ) {
        let wire: Vec<u8> = items.iter().flat_map(|p| slip_codec_encode(p, leading)).collect();
        let out = run_all(&mut Slip::new(), &wire, &cuts);
        let want: Vec<Event<Bytes>> = items.iter().map(|i| frame(i)).collect();
        prop_assert_eq!(out.events, want);
    }

    /// The fuzz target's differential check: both encoders, both decoders,
    /// and corrupted streams against slip-codec.
    #[test]
    fn slip_differential_against_slip_codec(
        payloads in proptest::collection::vec(
            proptest::collection::vec(prop_oneof![Just(0xc0u8), Just(0xdb), any::<u8>()], 0..24),
            0..6,
        ),
        leading_end in any::<bool>(),
        corruptions in proptest::collection::vec((any::<u16>(), any::<u8>()), 0..4),
        small_alphabet in any::<bool>(),
        cuts in proptest::collection::vec(any::<u16>(), 0..8),
    ) {
        checks::framings::check_differential_slip(DifferentialSlipInput {
            payloads, leading_end, corruptions, small_alphabet, cuts,
        });
    }

    /// Any bytes, any split, any limit: the plain reference decoder's events
    /// (the fuzz target's check: three splits agree, memory stays bounded).
    #[test]
    fn slip_matches_reference_on_any_bytes(
        leading_end in any::<bool>(),
        max in prop_oneof![Just(None), (0u8..40).prop_map(|n| Some(Max::Small(n)))],
        data in proptest::collection::vec(any::<u8>(), 0..200),
        cuts in proptest::collection::vec(any::<u16>(), 0..12),
    ) {
        checks::framings::check_decode_slip(DecodeStuffedInput {
            choice: StuffingChoice::Slip { leading_end },
            max,
            small_alphabet: true,
            cuts,
            data,
        });
    }

    #[test]
    fn slip_round_trip_reference_encoding(
        items in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..40), any::<bool>()), 0..6),
        max in (0u8..50).prop_map(|n| Some(Max::Small(n))),
        leading_end in any::<bool>(),
        cuts in proptest::collection::vec(any::<u16>(), 0..12),
    ) {
        checks::framings::check_roundtrip_slip(RoundTripStuffedInput {
            choice: StuffingChoice::Slip { leading_end },
            max,
            items: items
                .into_iter()
                .map(|(data, as_bytes)| checks::Item { data, as_bytes })
                .collect(),
            small_alphabet: true,
            cuts,
        });
    }
}
