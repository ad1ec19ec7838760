//! AnyCodec: spec parsing, Display round trip, and equivalence with the codec
//! each spec names, under arbitrary read splits.

mod common;

use bytes::{Bytes, BytesMut};
use common::in_place::run_in_place;
use common::{cuts_strategy, run};
use framewise::{
    AnyCodec, Cobs, CodecKind, ConfigError, DecodeMut, Decoded, Delimited, Encode, FixedLength,
    LengthPrefixed, Lines, Raw, Width,
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

/// Every spec of `pairs`, and the encodable ones of `any_round_trip_every_spec`.
const SPECS: [&str; 14] = [
    "lines,max=40",
    "lines-crlf",
    r"delim:\r\n,max=30",
    "delim:||",
    "length:u16le,max=50",
    "length:varint,max=60",
    "length:u8",
    "length:u24le",
    "length:u64",
    "length",
    "fixed:5",
    "cobs,max=20",
    "raw,max=16",
    "cobs",
];

proptest! {
    /// Through the framing core, every spec decodes exactly as through
    /// tokio-util: same frames, same errors, same bytes kept waiting.
    #[test]
    fn any_in_place_matches_tokio(
        data in prop::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(0u8), Just(3u8), any::<u8>()], 0..300),
        cuts in cuts_strategy(300),
    ) {
        for spec in SPECS {
            let core = run_in_place(&mut parse(spec), &data, &cuts);
            let tokio = run(&mut parse(spec), &data, &cuts);
            prop_assert_eq!(core.max_buffered, tokio.max_buffered, "{}", spec);
            prop_assert_eq!(core.events, tokio.events, "{}", spec);
        }
    }

    /// `encode_to_slice` writes what the tokio-util encoder writes, in
    /// `encoded_len` bytes, and refuses what it refuses, writing nothing.
    #[test]
    fn any_encode_to_slice_matches_tokio(
        item in prop::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(0u8), b'a'..=b'z', any::<u8>()], 0..40),
    ) {
        for spec in SPECS {
            let mut codec = parse(spec);
            let mut owned = BytesMut::new();
            let tokio = codec.encode(&item[..], &mut owned).map_err(|e| e.to_string());
            let mut dst = [0xAAu8; 64];
            let core = codec.encode_to_slice(&item, &mut dst).map_err(|e| e.to_string());
            match (&core, &tokio) {
                (Ok(n), Ok(())) => {
                    prop_assert_eq!(codec.encoded_len(&item).unwrap(), *n, "{}", spec);
                    prop_assert_eq!(&dst[..*n], &owned[..], "{}", spec);
                }
                (Err(a), Err(b)) => {
                    prop_assert_eq!(a, b, "{}", spec);
                    prop_assert_eq!(dst, [0xAA; 64], "{}", spec);
                }
                _ => prop_assert!(false, "{}: core {:?}, tokio {:?}", spec, core, tokio),
            }
        }
    }

    /// Made from a layout no spec expresses, it decodes exactly as that
    /// codec does.
    #[test]
    fn any_from_custom_layout_decodes_like_it(
        data in prop::collection::vec(prop_oneof![Just(0u8), Just(1u8), Just(2u8), any::<u8>()], 0..200),
        cuts in cuts_strategy(200),
    ) {
        let make = || {
            LengthPrefixed::builder()
                .offset(1)
                .width(Width::U16)
                .adjustment(1)
                .strip(3)
                .max_frame_len(40)
                .build()
                .unwrap()
        };
        let want = run(&mut make(), &data, &cuts).events;
        prop_assert_eq!(&run(&mut AnyCodec::from(make()), &data, &cuts).events, &want);
        prop_assert_eq!(&run_in_place(&mut AnyCodec::from(make()), &data, &cuts).events, &want);
    }
}

#[test]
fn any_from_every_codec_shows_its_spec() {
    let cases: Vec<(AnyCodec, CodecKind, &str)> = vec![
        (LengthPrefixed::new().into(), CodecKind::Length, "length"),
        (
            LengthPrefixed::varint().into(),
            CodecKind::Length,
            "length:varint",
        ),
        (
            LengthPrefixed::builder()
                .width(Width::U24)
                .little_endian()
                .max_frame_len(1000)
                .build()
                .unwrap()
                .into(),
            CodecKind::Length,
            "length:u24le,max=1000",
        ),
        (
            // Stripping exactly the length field is the default layout.
            LengthPrefixed::builder()
                .width(Width::U16)
                .strip(2)
                .build()
                .unwrap()
                .into(),
            CodecKind::Length,
            "length:u16",
        ),
        (
            Delimited::new(b"\r\n").unwrap().into(),
            CodecKind::Delimited,
            r"delim:\r\n",
        ),
        (
            Delimited::new(b"a,b").unwrap().with_max_frame_len(9).into(),
            CodecKind::Delimited,
            r"delim:a\x2cb,max=9",
        ),
        (Lines::new().into(), CodecKind::Lines, "lines"),
        (
            Lines::crlf().with_max_frame_len(80).into(),
            CodecKind::Lines,
            "lines-crlf,max=80",
        ),
        (
            FixedLength::new(7).unwrap().into(),
            CodecKind::Fixed,
            "fixed:7",
        ),
        (Cobs::new().into(), CodecKind::Cobs, "cobs"),
        (
            Cobs::new().with_max_frame_len(0).into(),
            CodecKind::Cobs,
            "cobs,max=0",
        ),
        (Raw::new().into(), CodecKind::Raw, "raw"),
        (
            Raw::new().with_max_frame_len(1500).into(),
            CodecKind::Raw,
            "raw,max=1500",
        ),
    ];
    for (codec, kind, spec) in cases {
        assert_eq!(codec.kind(), kind, "{spec}");
        assert!(codec.has_spec(), "{spec}");
        assert_eq!(codec.to_string(), spec);
        let parsed = parse(spec);
        assert_eq!(parsed.kind(), kind, "{spec}");
        assert_eq!(parsed.max_frame_len(), codec.max_frame_len(), "{spec}");
        assert_eq!(parsed.to_string(), spec);
        assert_eq!(codec.is_raw(), kind == CodecKind::Raw, "{spec}");
        let held = [
            codec.as_length().is_some(),
            codec.as_delimited().is_some(),
            codec.as_lines().is_some(),
            codec.as_fixed().is_some(),
            codec.as_cobs().is_some(),
            codec.as_raw().is_some(),
        ];
        assert_eq!(held.iter().filter(|&&h| h).count(), 1, "{spec}");
    }
}

#[test]
fn any_from_codec_gives_the_codec_back() {
    let layout = LengthPrefixed::builder()
        .offset(2)
        .width(Width::U8)
        .adjustment(-1)
        .build()
        .unwrap();
    let codec = AnyCodec::from(layout);
    let inner = codec.as_length().unwrap();
    assert_eq!(
        (inner.offset(), inner.width(), inner.adjustment()),
        (2, Width::U8, -1)
    );
    let codec = AnyCodec::from(
        Delimited::builder()
            .delimiter(b"|")
            .keep_delimiter(true)
            .build()
            .unwrap(),
    );
    assert!(codec.as_delimited().unwrap().keeps_delimiter());
    assert_eq!(
        AnyCodec::from(FixedLength::new(3).unwrap())
            .as_fixed()
            .unwrap()
            .frame_len(),
        3
    );
}

#[test]
fn any_from_custom_codecs_describe_themselves_and_do_not_parse() {
    let length = |b: framewise::LengthPrefixedBuilder| AnyCodec::from(b.build().unwrap());
    let cases = [
        (
            length(
                LengthPrefixed::builder()
                    .offset(1)
                    .width(Width::U16)
                    .adjustment(1)
                    .strip(3),
            ),
            "length(u16be, offset=1, adjustment=1, max=8388608)",
        ),
        (
            length(
                LengthPrefixed::builder()
                    .width(Width::U32)
                    .little_endian()
                    .adjustment(-4),
            ),
            "length(u32le, offset=0, adjustment=-4, max=8388608)",
        ),
        (
            // Keeps its header: `strip(0)`.
            length(
                LengthPrefixed::builder()
                    .width(Width::U8)
                    .strip(0)
                    .max_frame_len(100),
            ),
            "length(u8be, offset=0, adjustment=0, max=100)",
        ),
        (
            length(LengthPrefixed::builder().width(Width::Varint).strip(0)),
            "length(varint, offset=0, adjustment=0, max=8388608)",
        ),
        (
            AnyCodec::from(
                Delimited::builder()
                    .delimiter(b"\r\n")
                    .delimiter(b"\n")
                    .build()
                    .unwrap(),
            ),
            r"delim(\r\n or \n, max=65536)",
        ),
        (
            AnyCodec::from(
                Delimited::builder()
                    .delimiter(b"a b,")
                    .keep_delimiter(true)
                    .max_frame_len(10)
                    .build()
                    .unwrap(),
            ),
            r"delim(a\x20b\x2c, keep_delimiter, max=10)",
        ),
    ];
    for (codec, shown) in cases {
        assert!(!codec.has_spec(), "{shown}");
        assert_eq!(codec.to_string(), shown);
        let err = shown.parse::<AnyCodec>().expect_err(shown);
        assert!(matches!(err, ConfigError::Spec { .. }), "{shown}: {err:?}");
    }
}

#[test]
fn any_lines_slice_encoder_refuses_non_utf8() {
    let codec = parse("lines");
    let mut dst = [0xAA; 8];
    let err = codec.encode_to_slice(b"ok\xff", &mut dst).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot encode frame: a line must be utf-8, and byte 2 of this 3-byte frame is not"
    );
    assert_eq!(dst, [0xAA; 8]);
    assert_eq!(codec.encode_to_slice(b"ok", &mut dst).unwrap(), 3);
    assert_eq!(&dst[..3], b"ok\n");
}

#[test]
fn any_cobs_decodes_in_place() {
    let mut codec = parse("cobs");
    let mut rx = *b"\x03\x11\x22\x02\x33\x00";
    let answer = codec.decode_in_place(&mut rx);
    assert!(
        matches!(
            answer,
            Decoded::Frame {
                start: 1,
                len: 4,
                consumed: 6
            }
        ),
        "{answer:?}"
    );
    assert_eq!(&rx[1..5], b"\x11\x22\x00\x33");
}
