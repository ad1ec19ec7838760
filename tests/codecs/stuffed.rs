//! Stuffed: HDLC-like framing (RFC 1662) and DLE-STX/ETX, exact wire bytes,
//! shared and repeated flags, abort and invalid escapes, resync after
//! garbage and oversized frames, and properties under arbitrary read splits
//! against the plain reference decoder.

use crate::support::codec::checks;
use crate::support::codec::{Event, cuts_strategy, encode_all, run_all};
use bytes::{Bytes, BytesMut};
use checks::Max;
use checks::framings::{DecodeStuffedInput, RoundTripStuffedInput, StuffingChoice};
use framewise::{Encode, Error, Stuffed, Stuffing};
use proptest::prelude::*;
use tokio_util::codec::Encoder;

fn frame(b: &[u8]) -> Event<Bytes> {
    Event::Frame(Bytes::copy_from_slice(b))
}

fn err(s: &str) -> Event<Bytes> {
    Event::Err(s.to_string())
}

fn every_split(codec: &Stuffed, stream: &[u8], want: &[Event<Bytes>]) {
    for cuts in [vec![], (0..stream.len()).collect(), vec![stream.len() / 2]] {
        let out = run_all(&mut codec.clone(), stream, &cuts);
        assert_eq!(out.events, want, "cuts {cuts:?}");
    }
}

#[test]
fn hdlc_escapes_flag_and_escape_with_xor_20() {
    let mut wire = BytesMut::new();
    Stuffed::hdlc()
        .encode(&b"\x7e\x01\x7d\x02"[..], &mut wire)
        .unwrap();
    assert_eq!(&wire[..], b"\x7e\x7d\x5e\x01\x7d\x5d\x02\x7e");
    every_split(&Stuffed::hdlc(), &wire, &[frame(b"\x7e\x01\x7d\x02")]);
}

#[test]
fn hdlc_shared_and_repeated_flags_between_frames() {
    // One flag closes "ab" and opens "c"; repeated flags are empty frames.
    let stream = b"\x7eab\x7ec\x7e\x7e\x7e\x7ed\x7e";
    every_split(
        &Stuffed::hdlc(),
        stream,
        &[frame(b"ab"), frame(b"c"), frame(b"d")],
    );
}

#[test]
fn hdlc_decoder_unescapes_any_escaped_byte() {
    // A peer whose ACCM escapes control characters: 7D 31 is 0x11 (XON).
    every_split(
        &Stuffed::hdlc(),
        b"\x7ea\x7d\x31b\x7d\x20\x7e",
        &[frame(b"a\x11b\x00")],
    );
}

#[test]
fn hdlc_abort_sequence_is_an_invalid_escape_and_resyncs_at_the_flag() {
    // RFC 1662: 7D 7E aborts the frame; the flag opens the next one.
    every_split(
        &Stuffed::hdlc(),
        b"\x7eab\x7d\x7ecd\x7e",
        &[
            err("invalid escape sequence at offset 3 of the frame"),
            frame(b"cd"),
        ],
    );
}

#[test]
fn hdlc_encoder_refuses_the_empty_payload() {
    let e = Stuffed::hdlc().encoded_len(b"").unwrap_err();
    assert!(matches!(e, Error::Unencodable { .. }), "{e}");
}

#[test]
fn hdlc_resync_after_oversize() {
    let codec = Stuffed::hdlc().with_max_frame_len(2);
    let stream = b"\x7eabc\x7exy\x7e";
    let out = run_all(&mut codec.clone(), stream, &[]);
    assert_eq!(
        out.events,
        vec![err("frame of 3 bytes exceeds the limit of 2"), frame(b"xy")]
    );
}

#[test]
fn hdlc_like_rejects_ambiguous_bytes() {
    assert_eq!(
        Stuffed::hdlc_like(0xC0, 0xDB, 0x20).unwrap().stuffing(),
        Stuffing::Hdlc {
            flag: 0xC0,
            escape: 0xDB,
            xor: 0x20
        }
    );
    for (flag, escape, xor) in [
        (1, 1, 0x20),
        (0x7e, 0x7d, 0),
        (0x7e, 0x7d, 0x03),
        (0xaa, 0xab, 1),
    ] {
        let e = Stuffed::hdlc_like(flag, escape, xor).unwrap_err();
        assert!(e.to_string().starts_with("invalid codec setting"), "{e}");
    }
}

#[test]
fn dle_doubles_dle_and_wraps_in_stx_etx() {
    let mut wire = BytesMut::new();
    let mut codec = Stuffed::dle();
    codec.encode(&b"\x10\x02\x03"[..], &mut wire).unwrap();
    codec.encode(&b""[..], &mut wire).unwrap();
    assert_eq!(
        &wire[..],
        b"\x10\x02\x10\x10\x02\x03\x10\x03\x10\x02\x10\x03"
    );
    every_split(
        &Stuffed::dle(),
        &wire,
        &[frame(b"\x10\x02\x03"), frame(b"")],
    );
}

#[test]
fn dle_skips_bytes_between_frames() {
    // Noise, a stray DLE ETX, and a doubled DLE before STX (not a start).
    let stream = b"noise\x10\x03\x10\x10\x02\x10\x02ok\x10\x03\xff\x10\x02x\x10\x03";
    every_split(&Stuffed::dle(), stream, &[frame(b"ok"), frame(b"x")]);
}

#[test]
fn dle_invalid_pair_resyncs_at_the_next_frame() {
    let stream = b"\x10\x02ab\x10\x41cd\x10\x03\x10\x02ok\x10\x03";
    every_split(
        &Stuffed::dle(),
        stream,
        &[
            err("invalid escape sequence at offset 3 of the frame"),
            frame(b"ok"),
        ],
    );
}

#[test]
fn dle_stx_inside_a_frame_starts_the_next_frame() {
    let stream = b"\x10\x02ab\x10\x02ok\x10\x03";
    every_split(
        &Stuffed::dle(),
        stream,
        &[
            err("invalid escape sequence at offset 3 of the frame"),
            frame(b"ok"),
        ],
    );
}

#[test]
fn dle_resync_after_oversize_at_next_frame() {
    let codec = Stuffed::dle().with_max_frame_len(2);
    // The oversized frame is cut short by a new DLE STX: that frame decodes.
    let stream = b"\x10\x02abc\x10\x02xy\x10\x03\x10\x02abcd\x10\x03\x10\x02z\x10\x03";
    let out = run_all(&mut codec.clone(), stream, &[]);
    assert_eq!(
        out.events,
        vec![
            err("frame of 3 bytes exceeds the limit of 2"),
            frame(b"xy"),
            err("frame of 4 bytes exceeds the limit of 2"),
            frame(b"z"),
        ]
    );
}

#[test]
fn dle_partial_frame_at_end_of_stream_is_truncated() {
    let out = run_all(&mut Stuffed::dle(), b"\x10\x02ab\x10", &[]);
    assert_eq!(
        out.events,
        vec![err(
            "stream ended in the middle of a frame, with 3 bytes of it buffered"
        )]
    );
    // Garbage outside frames is not a frame: nothing to report.
    let out = run_all(&mut Stuffed::dle(), b"xyz\x10", &[]);
    assert_eq!(out.events, vec![]);
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            Just(0x7eu8),
            Just(0x7d),
            Just(0x10),
            Just(0x02),
            Just(0x03),
            any::<u8>()
        ],
        1..64,
    )
}

proptest! {
    #[test]
    fn stuffed_round_trip_any_split(
        items in proptest::collection::vec(payload(), 0..8),
        dle in any::<bool>(),
        cuts in cuts_strategy(1200),
    ) {
        let mut codec = if dle { Stuffed::dle() } else { Stuffed::hdlc() };
        let wire = encode_all(&mut codec, items.iter().map(|i| &i[..]));
        let out = run_all(&mut codec, &wire, &cuts);
        let want: Vec<Event<Bytes>> = items.iter().map(|i| frame(i)).collect();
        prop_assert_eq!(out.events, want);
    }

    /// Any bytes, any split, any limit, every scheme: the plain reference
    /// decoder's events (the fuzz target's check).
    #[test]
    fn stuffed_matches_reference_on_any_bytes(
        choice in prop_oneof![
            Just(StuffingChoice::Hdlc),
            Just(StuffingChoice::Dle),
            (any::<u8>(), any::<u8>(), any::<u8>())
                .prop_map(|(flag, escape, xor)| StuffingChoice::HdlcLike { flag, escape, xor }),
        ],
        max in prop_oneof![Just(None), (0u8..40).prop_map(|n| Some(Max::Small(n)))],
        data in proptest::collection::vec(any::<u8>(), 0..200),
        cuts in proptest::collection::vec(any::<u16>(), 0..12),
    ) {
        checks::framings::check_decode_stuffed(DecodeStuffedInput {
            choice, max, small_alphabet: true, cuts, data,
        });
    }

    #[test]
    fn stuffed_round_trip_reference_encoding(
        choice in prop_oneof![Just(StuffingChoice::Hdlc), Just(StuffingChoice::Dle)],
        items in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..40), any::<bool>()), 0..6),
        max in (0u8..50).prop_map(|n| Some(Max::Small(n))),
        cuts in proptest::collection::vec(any::<u16>(), 0..12),
    ) {
        checks::framings::check_roundtrip_stuffed(RoundTripStuffedInput {
            choice,
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
