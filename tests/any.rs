//! AnyCodec: spec parsing, Display round trip, and equivalence with the codec
//! each spec names, under arbitrary read splits.

mod common;

use bytes::{Bytes, BytesMut};
use common::{cuts_strategy, run};
use framewise::{
    AnyCodec, Cobs, ConfigError, Delimited, FixedLength, LengthPrefixed, Lines, Raw, Width,
};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, Encoder};

fn parse(spec: &str) -> AnyCodec {
    spec.parse().unwrap_or_else(|e| panic!("{spec}: {e}"))
}

#[test]
fn any_canonical_display() {
    for (spec, canonical) in [
        ("lines", "lines"),
        ("lines-crlf", "lines-crlf"),
        ("lines,max=64k", "lines,max=65536"),
        (r"delim:\r\n", r"delim:\r\n"),
        (r"delim:\x00\xff", r"delim:\0\xff"),
        (r"delim:a\x2cb", r"delim:a\x2cb"),
        ("length", "length"),
        ("length:u32", "length"),
        ("length:u32be", "length:u32be"),
        ("length:u16le", "length:u16le"),
        ("length:u8,max=200", "length:u8,max=200"),
        ("length:u24", "length:u24"),
        ("length:u64le", "length:u64le"),
        ("length:varint,max=1m", "length:varint,max=1048576"),
        ("fixed:16", "fixed:16"),
        ("cobs", "cobs"),
        ("raw,max=65507", "raw,max=65507"),
    ] {
        let c = parse(spec);
        let shown = c.to_string();
        // `length:u32` with no order shows as the default `length`.
        if spec != "length:u32" {
            assert_eq!(shown, canonical, "{spec}");
        }
        assert_eq!(
            parse(&shown).to_string(),
            shown,
            "display must parse back: {spec}"
        );
    }
}

#[test]
fn any_limits_from_spec() {
    assert_eq!(parse("lines").max_frame_len(), Lines::new().max_frame_len());
    assert_eq!(parse("length").max_frame_len(), 8 * 1024 * 1024);
    assert_eq!(parse("length:u16,max=4096").max_frame_len(), 4096);
    assert_eq!(parse("cobs,max=10").max_frame_len(), 10);
    assert_eq!(parse("fixed:7").max_frame_len(), 7);
    assert!(parse("raw").is_raw());
    assert!(!parse("cobs").is_raw());
}

#[test]
fn any_bad_specs_list_what_is_accepted() {
    for bad in [
        "",
        "line",
        "length:u12",
        "length:varintle",
        "delim:",
        r"delim:\q",
        r"delim:\x4",
        "fixed:",
        "fixed:0",
        "fixed:x",
        "fixed:8,max=4",
        "lines,max=",
        "lines,max=lots",
        "cobs:1",
        "length,max=2",
    ] {
        let err = bad.parse::<AnyCodec>().expect_err(bad);
        assert!(matches!(err, ConfigError::Spec { .. }), "{bad}: {err:?}");
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("invalid codec spec {bad:?}: ")),
            "{msg}"
        );
        assert!(
            msg.contains("expected one of: lines, lines-crlf, delim:<bytes>"),
            "{msg}"
        );
    }
}

/// Decodes a stream split at the given cuts, as `common::run` does.
type Reference = Box<dyn Fn(&[u8], &[usize]) -> Vec<common::Event<Bytes>>>;

/// The spec and the codec it must behave exactly like.
fn pairs() -> Vec<(&'static str, Reference)> {
    fn with<D>(make: impl Fn() -> D + 'static) -> Reference
    where
        D: Decoder<Error = framewise::Error>,
        D::Item: Into<Bytes>,
    {
        Box::new(move |data, cuts| {
            run(&mut make(), data, cuts)
                .events
                .into_iter()
                .map(|e| match e {
                    common::Event::Frame(f) => common::Event::Frame(f.into()),
                    common::Event::Err(s) => common::Event::Err(s),
                })
                .collect()
        })
    }
    vec![
        ("lines,max=40", with(|| Lines::new().with_max_frame_len(40))),
        (
            r"delim:\r\n,max=30",
            with(|| {
                Delimited::builder()
                    .delimiter(b"\r\n")
                    .max_frame_len(30)
                    .build()
                    .unwrap()
            }),
        ),
        (
            "length:u16le,max=50",
            with(|| {
                LengthPrefixed::builder()
                    .width(Width::U16)
                    .little_endian()
                    .max_frame_len(50)
                    .build()
                    .unwrap()
            }),
        ),
        (
            "length:varint,max=60",
            with(|| {
                LengthPrefixed::builder()
                    .width(Width::Varint)
                    .max_frame_len(60)
                    .build()
                    .unwrap()
            }),
        ),
        ("fixed:5", with(|| FixedLength::new(5).unwrap())),
        ("cobs,max=20", with(|| Cobs::new().with_max_frame_len(20))),
        ("raw,max=16", with(|| Raw::new().with_max_frame_len(16))),
    ]
}

proptest! {
    #[test]
    fn any_decodes_exactly_like_the_named_codec(
        data in prop::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(0u8), Just(3u8), any::<u8>()], 0..300),
        cuts in cuts_strategy(300),
    ) {
        for (spec, reference) in pairs() {
            let mut any = parse(spec);
            let got: Vec<_> = run(&mut any, &data, &cuts).events;
            prop_assert_eq!(got, reference(&data, &cuts), "{}", spec);
        }
    }

    #[test]
    fn any_round_trip_every_spec(
        items in prop::collection::vec(prop::collection::vec(b'a'..=b'z', 1..20), 1..6),
        cuts in cuts_strategy(200),
    ) {
        for spec in ["lines", "lines-crlf", r"delim:\r\n", "delim:||", "length", "length:u8", "length:u24le", "length:u64", "length:varint", "cobs"] {
            let mut codec = parse(spec);
            let wire = common::encode_all(&mut codec, items.iter().map(|i| Bytes::copy_from_slice(i)));
            let out = run(&mut codec, &wire, &cuts);
            prop_assert_eq!(out.frames(), items.iter().map(|i| Bytes::copy_from_slice(i)).collect::<Vec<_>>(), "{}", spec);
        }
    }
}

#[test]
fn any_lines_encoder_refuses_non_utf8() {
    let mut codec = parse("lines");
    let mut dst = BytesMut::new();
    let err = codec.encode(&b"ok\xff"[..], &mut dst).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot encode frame: a line must be utf-8, and byte 2 of this 3-byte frame is not"
    );
    assert!(dst.is_empty());
}
