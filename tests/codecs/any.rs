//! AnyCodec: spec parsing, Display round trip, and equivalence with the codec
//! each spec names, under arbitrary read splits.

use crate::support::codec::in_place::run_in_place;
// Every run here drives the tokio-util adapter and the core, and asserts
// they agree call for call.
use crate::support::codec::cuts_strategy;
use crate::support::codec::run_all as run;
use bytes::{Bytes, BytesMut};
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

/// Decodes a stream split at the given cuts, as `crate::support::codec::run` does.
type Reference = Box<dyn Fn(&[u8], &[usize]) -> Vec<crate::support::codec::Event<Bytes>>>;

/// The spec and the codec it must behave exactly like.
fn pairs() -> Vec<(&'static str, Reference)> {
    fn with<D>(make: impl Fn() -> D + 'static) -> Reference
    where
        D: crate::support::codec::Codec,
        <D as Decoder>::Item: Into<Bytes>,
    {
        Box::new(move |data, cuts| {
            run(&mut make(), data, cuts)
                .events
                .into_iter()
                .map(|e| match e {
                    crate::support::codec::Event::Frame(f) => {
                        crate::support::codec::Event::Frame(f.into())
                    }
                    crate::support::codec::Event::Err(s) => crate::support::codec::Event::Err(s),
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
            let wire = crate::support::codec::encode_all(&mut codec, items.iter().map(|i| Bytes::copy_from_slice(i)));
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

// ---------------------------------------------------------------------------
// The framings of SLIP, byte stuffing, ASCII lengths, Varint4 and CRC trailers.

/// Every new spec: as written, its canonical form, and its kind.
const NEW_SPECS: [(&str, &str, CodecKind); 24] = [
    ("slip", "slip", CodecKind::Slip),
    ("slip:lead", "slip:lead", CodecKind::Slip),
    ("slip,max=1006", "slip,max=1006", CodecKind::Slip),
    ("hdlc", "hdlc", CodecKind::Stuffed),
    ("dle,max=2k", "dle,max=2048", CodecKind::Stuffed),
    ("netstring", "netstring", CodecKind::Netstring),
    (
        "octets,max=64k",
        "octets,max=65536",
        CodecKind::OctetCounting,
    ),
    ("hexlen", "hexlen:4", CodecKind::HexLength),
    ("hexlen:4", "hexlen:4", CodecKind::HexLength),
    ("hexlen:upper", "hexlen:4:upper", CodecKind::HexLength),
    (
        "hexlen:8:upper,max=100",
        "hexlen:8:upper,max=100",
        CodecKind::HexLength,
    ),
    ("hexlen:2", "hexlen:2", CodecKind::HexLength),
    ("length:varint4", "length:varint4", CodecKind::Length),
    (
        "length:varint4,max=1m",
        "length:varint4,max=1048576",
        CodecKind::Length,
    ),
    (
        "cobs,crc=crc16-xmodem",
        "cobs,crc=crc16-xmodem",
        CodecKind::Crc,
    ),
    (
        "length:u16,crc=crc32",
        "length:u16,crc=crc32",
        CodecKind::Crc,
    ),
    (
        "length:u16,crc=crc32:le",
        "length:u16,crc=crc32",
        CodecKind::Crc,
    ),
    (
        "length:u16,crc=crc32:be,max=4k",
        "length:u16,crc=crc32:be,max=4096",
        CodecKind::Crc,
    ),
    (
        "length:u16,max=4k,crc=CRC32",
        "length:u16,crc=crc32,max=4096",
        CodecKind::Crc,
    ),
    (
        "slip,crc=crc16-modbus",
        "slip,crc=crc16-modbus",
        CodecKind::Crc,
    ),
    (
        "hdlc,crc=crc16-ibm-sdlc",
        "hdlc,crc=crc16-ibm-sdlc",
        CodecKind::Crc,
    ),
    ("netstring,crc=crc8", "netstring,crc=crc8", CodecKind::Crc),
    ("fixed:8,crc=crc32c", "fixed:8,crc=crc32c", CodecKind::Crc),
    (
        "raw,crc=crc16-kermit:be",
        "raw,crc=crc16-kermit:be",
        CodecKind::Crc,
    ),
];

#[test]
fn any_new_specs_parse_and_display_back() {
    for (spec, canonical, kind) in NEW_SPECS {
        let codec = parse(spec);
        assert_eq!(codec.kind(), kind, "{spec}");
        assert!(codec.has_spec(), "{spec}");
        assert_eq!(codec.to_string(), canonical, "{spec}");
        let again = parse(canonical);
        assert_eq!(again.to_string(), canonical, "{spec}");
        assert_eq!(again.kind(), kind, "{spec}");
        assert_eq!(again.max_frame_len(), codec.max_frame_len(), "{spec}");
    }
}

#[test]
fn any_new_specs_build_the_named_codec() {
    use framewise::{CrcAlgorithm, Endian, Stuffing};
    assert!(!parse("slip").as_slip().unwrap().leading_end());
    assert!(parse("slip:lead").as_slip().unwrap().leading_end());
    assert_eq!(parse("slip").max_frame_len(), 1024 * 1024);
    assert_eq!(parse("slip,max=1006").max_frame_len(), 1006);
    assert_eq!(
        parse("hdlc").as_stuffed().unwrap().stuffing(),
        Stuffing::Hdlc {
            flag: 0x7e,
            escape: 0x7d,
            xor: 0x20
        }
    );
    assert_eq!(
        parse("dle").as_stuffed().unwrap().stuffing(),
        Stuffing::DleStxEtx
    );
    assert_eq!(parse("netstring").max_frame_len(), 8 * 1024 * 1024);
    assert!(parse("octets").as_octet_counting().is_some());
    let hex = parse("hexlen");
    let hex = hex.as_hex_length().unwrap();
    assert_eq!(
        (hex.width(), hex.uppercase(), hex.max_frame_len()),
        (4, false, 0xffff)
    );
    assert_eq!(parse("hexlen:2").max_frame_len(), 0xff);
    assert_eq!(
        parse("length:varint4").as_length().unwrap().width(),
        Width::Varint4
    );

    let crc = parse("length:u16,crc=crc32,max=4k");
    let trailer = crc.as_crc().unwrap();
    assert_eq!(trailer.algorithm(), CrcAlgorithm::Crc32);
    assert_eq!(trailer.endian(), Endian::Little);
    assert_eq!(trailer.inner().to_string(), "length:u16,max=4096");
    assert_eq!(trailer.inner().as_length().unwrap().max_frame_len(), 4096);
    assert_eq!(crc.max_frame_len(), 4096);
    assert_eq!(
        parse("length:u16,crc=crc32:be").as_crc().unwrap().endian(),
        Endian::Big
    );
    // Exactly one accessor answers.
    for (spec, _, _) in NEW_SPECS {
        let c = parse(spec);
        let held = [
            c.as_length().is_some(),
            c.as_cobs().is_some(),
            c.as_slip().is_some(),
            c.as_stuffed().is_some(),
            c.as_netstring().is_some(),
            c.as_octet_counting().is_some(),
            c.as_hex_length().is_some(),
            c.as_crc().is_some(),
        ];
        assert_eq!(held.iter().filter(|&&h| h).count(), 1, "{spec}");
    }
}

#[test]
fn any_new_specs_encode_the_known_wire_bytes() {
    let cases: [(&str, &[u8], &[u8]); 12] = [
        ("slip", b"\x01\xc0\x02\xdb", b"\x01\xdb\xdc\x02\xdb\xdd\xc0"),
        ("slip:lead", b"hi", b"\xc0hi\xc0"),
        ("hdlc", b"\x11\x7e\x7d", b"\x7e\x11\x7d\x5e\x7d\x5d\x7e"),
        ("dle", b"\x10a", b"\x10\x02\x10\x10a\x10\x03"),
        ("netstring", b"hello world!", b"12:hello world!,"),
        ("octets", b"hello", b"5 hello"),
        ("hexlen:4", b"host:version", b"000chost:version"),
        ("hexlen:4:upper", b"host:version", b"000Chost:version"),
        ("length:varint4", &[7; 128], &[]),
        (
            "cobs,crc=crc16-xmodem",
            b"123456789",
            b"\x0c123456789\x31\xc3\x00",
        ),
        (
            "length:u16,crc=crc32",
            b"123456789",
            b"\x00\x0d123456789\x26\x39\xf4\xcb",
        ),
        (
            "raw,crc=crc16-kermit:be",
            b"123456789",
            b"123456789\x21\x89",
        ),
    ];
    for (spec, item, want) in cases {
        let mut codec = parse(spec);
        let mut wire = BytesMut::new();
        codec.encode(item, &mut wire).unwrap();
        if spec == "length:varint4" {
            assert_eq!(&wire[..2], b"\x80\x01", "{spec}");
            assert_eq!(&wire[2..], item, "{spec}");
        } else {
            assert_eq!(&wire[..], want, "{spec}");
        }
        assert_eq!(codec.encoded_len(item).unwrap(), wire.len(), "{spec}");
        assert_eq!(codec.decode(&mut wire).unwrap().unwrap(), item, "{spec}");
        assert!(wire.is_empty(), "{spec}");
    }
}

#[test]
fn any_crc_mismatch_is_reported_and_skipped() {
    let mut codec = parse("cobs,crc=crc16-xmodem");
    let mut wire = BytesMut::from(&b"\x0c123456788\x31\xc3\x00\x0c123456789\x31\xc3\x00"[..]);
    let err = codec.decode(&mut wire).unwrap_err();
    assert!(
        matches!(
            err,
            framewise::Error::ChecksumMismatch { actual: 0x31c3, .. }
        ),
        "{err:?}"
    );
    assert_eq!(codec.decode(&mut wire).unwrap().unwrap(), "123456789");
}

#[test]
fn any_crc_from_a_value() {
    use framewise::{Crc, CrcAlgorithm, Endian, Slip};
    let codec = AnyCodec::from(Crc::new(Slip::new(), CrcAlgorithm::Crc16Modbus));
    assert_eq!(codec.kind(), CodecKind::Crc);
    assert_eq!(codec.to_string(), "slip,crc=crc16-modbus");
    let codec = AnyCodec::from(
        Crc::new(
            LengthPrefixed::builder().width(Width::U8).build().unwrap(),
            CrcAlgorithm::Crc8,
        )
        .with_endian(Endian::Little),
    );
    // One byte: either order is the default, and the default is shown.
    assert_eq!(codec.to_string(), "length:u8,crc=crc8:le");
    assert_eq!(
        parse("length:u8,crc=crc8:le").to_string(),
        codec.to_string()
    );

    // No spec: over lines, over a custom layout, or twice.
    let no_spec = [
        (
            AnyCodec::from(Crc::new(Lines::new(), CrcAlgorithm::Crc32)),
            "crc(lines, crc32, le)",
        ),
        (
            AnyCodec::from(Crc::new(
                LengthPrefixed::builder().offset(1).build().unwrap(),
                CrcAlgorithm::Crc8,
            )),
            "crc(length(u32be, offset=1, adjustment=0, max=8388608), crc8, be)",
        ),
        (
            AnyCodec::from(Crc::new(parse("cobs,crc=crc8"), CrcAlgorithm::Crc8)),
            "crc(cobs,crc=crc8, crc8, be)",
        ),
        (
            AnyCodec::from(framewise::Stuffed::hdlc_like(0xc0, 0xdb, 0x20).unwrap()),
            "hdlc(flag=0xc0, escape=0xdb, xor=0x20, max=1048576)",
        ),
    ];
    for (codec, shown) in no_spec {
        assert!(!codec.has_spec(), "{shown}");
        assert_eq!(codec.to_string(), shown);
        assert!(shown.parse::<AnyCodec>().is_err(), "{shown}");
    }
}

#[test]
fn any_from_every_new_codec_shows_its_spec() {
    use framewise::{HexLength, Netstring, OctetCounting, Slip, Stuffed};
    let cases: Vec<(AnyCodec, &str)> = vec![
        (Slip::new().into(), "slip"),
        (
            Slip::new()
                .with_leading_end(true)
                .with_max_frame_len(9)
                .into(),
            "slip:lead,max=9",
        ),
        (Stuffed::hdlc().into(), "hdlc"),
        (Stuffed::dle().with_max_frame_len(10).into(), "dle,max=10"),
        (Netstring::new().into(), "netstring"),
        (
            OctetCounting::new().with_max_frame_len(5).into(),
            "octets,max=5",
        ),
        (HexLength::new(4).unwrap().into(), "hexlen:4"),
        (
            HexLength::new(16).unwrap().with_uppercase(true).into(),
            "hexlen:16:upper",
        ),
        (
            LengthPrefixed::builder()
                .width(Width::Varint4)
                .build()
                .unwrap()
                .into(),
            "length:varint4",
        ),
        (
            LengthPrefixed::builder()
                .width(Width::Varint4)
                .little_endian()
                .build()
                .unwrap()
                .into(),
            "length:varint4",
        ),
    ];
    for (codec, spec) in cases {
        assert!(codec.has_spec(), "{spec}");
        assert_eq!(codec.to_string(), spec);
        assert_eq!(parse(spec).to_string(), spec);
        assert_eq!(parse(spec).max_frame_len(), codec.max_frame_len(), "{spec}");
    }
    let custom = AnyCodec::from(
        LengthPrefixed::builder()
            .width(Width::Varint4)
            .offset(2)
            .build()
            .unwrap(),
    );
    assert_eq!(
        custom.to_string(),
        "length(varint4, offset=2, adjustment=0, max=8388608)"
    );
}

#[test]
fn any_new_bad_specs_list_what_is_accepted() {
    for (bad, why) in [
        ("slip:", "unknown codec"),
        ("slip:trail", "unknown codec"),
        ("hdlc:7e", "unknown codec"),
        ("netstrings", "unknown codec"),
        ("hexlen:0", "not 1 to 16"),
        ("hexlen:17", "not 1 to 16"),
        ("hexlen:x", "is not a number of hex digits"),
        ("hexlen:4:lower", "is not a number of hex digits"),
        ("length:varint5", "unknown length field"),
        ("cobs,crc=crc64", "unknown CRC \"crc64\""),
        ("cobs,crc=crc32:middle", "unknown CRC \"crc32:middle\""),
        ("cobs,crc=", "unknown CRC"),
        ("lines,crc=crc32", "lines cannot carry a CRC trailer"),
        (r"delim:\r\n,crc=crc8", "delim cannot carry a CRC trailer"),
        ("cobs,crc=crc8,crc=crc32", "crc= is given twice"),
        ("cobs,max=1,max=2", "max= is given twice"),
        (
            "fixed:4,crc=crc8,max=2",
            "a limit below the fixed frame length",
        ),
    ] {
        let err = bad.parse::<AnyCodec>().expect_err(bad);
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("invalid codec spec {bad:?}: ")),
            "{msg}"
        );
        assert!(msg.contains(why), "{bad}: {msg}");
        for listed in [
            "expected one of: lines, lines-crlf, delim:<bytes>",
            "length:varint4",
            "slip, slip:lead, hdlc, dle, netstring, octets, hexlen",
            "crc16-xmodem",
            ",max=<n>",
        ] {
            assert!(msg.contains(listed), "{bad}: {listed} not in {msg}");
        }
    }
    // A delimiter may still be a comma: options are only taken from the end.
    assert_eq!(
        parse("delim:,")
            .as_delimited()
            .unwrap()
            .delimiters()
            .collect::<Vec<_>>(),
        [b","]
    );
    assert_eq!(parse("delim:,,max=9").max_frame_len(), 9);
}

/// Specs whose encoder takes any non-empty item of up to 40 bytes.
const NEW_ROUND_TRIP: [&str; 16] = [
    "slip",
    "slip:lead",
    "hdlc",
    "dle",
    "netstring",
    "octets",
    "hexlen:2",
    "hexlen:4:upper",
    "length:varint4",
    "cobs,crc=crc16-xmodem",
    "length:u16,crc=crc32",
    "slip,crc=crc16-modbus",
    "hdlc,crc=crc16-ibm-sdlc",
    "dle,crc=crc32c:be",
    "netstring,crc=crc8",
    "hexlen,crc=crc16-arc",
];

proptest! {
    /// Items holding the bytes every framing escapes or counts, under any
    /// read split, through tokio-util and through the core in place.
    #[test]
    fn any_new_specs_round_trip(
        items in prop::collection::vec(
            prop::collection::vec(prop_oneof![Just(0xc0u8), Just(0xdb), Just(0x7e), Just(0x7d), Just(0x10), Just(0), Just(b':'), Just(b','), any::<u8>()], 1..40),
            1..6,
        ),
        cuts in cuts_strategy(400),
    ) {
        let want: Vec<Bytes> = items.iter().map(|i| Bytes::copy_from_slice(i)).collect();
        for spec in NEW_ROUND_TRIP {
            let mut codec = parse(spec);
            let wire = crate::support::codec::encode_all(&mut codec, want.iter().cloned());
            let tokio = run(&mut parse(spec), &wire, &cuts);
            prop_assert_eq!(tokio.frames(), want.clone(), "{}", spec);
            prop_assert!(tokio.errors().is_empty(), "{}", spec);
            let core = run_in_place(&mut parse(spec), &wire, &cuts);
            prop_assert_eq!(core.events, tokio.events, "{}", spec);
            // Byte for byte what the codec value writes.
            let mut again = BytesMut::new();
            for item in &want {
                let mut one = BytesMut::new();
                codec.encode(item.clone(), &mut one).unwrap();
                let mut slice = [0u8; 128];
                let n = codec.encode_to_slice(item, &mut slice).unwrap();
                prop_assert_eq!(&slice[..n], &one[..], "{}", spec);
                again.extend_from_slice(&one);
            }
            prop_assert_eq!(&again[..], &wire[..], "{}", spec);
        }
    }

    /// A spec decodes exactly like the codec value it names, garbage included.
    #[test]
    fn any_new_specs_decode_like_their_values(
        data in prop::collection::vec(prop_oneof![Just(0xc0u8), Just(0xdb), Just(0x7e), Just(0x7d), Just(0x10), Just(2), Just(3), Just(0), Just(b'1'), Just(b':'), Just(b','), any::<u8>()], 0..300),
        cuts in cuts_strategy(300),
    ) {
        use framewise::{Crc, CrcAlgorithm, HexLength, Netstring, OctetCounting, Slip, Stuffed};
        let check = |spec: &str, got: Vec<crate::support::codec::Event<Bytes>>, want: Vec<crate::support::codec::Event<Bytes>>| {
            prop_assert_eq!(got, want, "{}", spec);
            Ok(())
        };
        let of = |spec: &str| run(&mut parse(spec), &data, &cuts).events;
        check("slip,max=20", of("slip,max=20"), run(&mut Slip::new().with_max_frame_len(20), &data, &cuts).events)?;
        check("hdlc,max=20", of("hdlc,max=20"), run(&mut Stuffed::hdlc().with_max_frame_len(20), &data, &cuts).events)?;
        check("dle,max=20", of("dle,max=20"), run(&mut Stuffed::dle().with_max_frame_len(20), &data, &cuts).events)?;
        check("netstring,max=20", of("netstring,max=20"), run(&mut Netstring::new().with_max_frame_len(20), &data, &cuts).events)?;
        check("octets,max=20", of("octets,max=20"), run(&mut OctetCounting::new().with_max_frame_len(20), &data, &cuts).events)?;
        check("hexlen:2", of("hexlen:2"), run(&mut HexLength::new(2).unwrap(), &data, &cuts).events)?;
        check(
            "length:varint4,max=30",
            of("length:varint4,max=30"),
            run(&mut LengthPrefixed::builder().width(Width::Varint4).max_frame_len(30).build().unwrap(), &data, &cuts).events,
        )?;
        check(
            "cobs,crc=crc16-xmodem,max=20",
            of("cobs,crc=crc16-xmodem,max=20"),
            run(&mut Crc::new(Cobs::new().with_max_frame_len(20), CrcAlgorithm::Crc16Xmodem), &data, &cuts).events,
        )?;
        check(
            "slip,crc=crc8",
            of("slip,crc=crc8"),
            run(&mut Crc::new(Slip::new(), CrcAlgorithm::Crc8), &data, &cuts).events,
        )?;
    }
}

#[test]
fn any_encoders_refuse_what_their_decoders_skip() {
    // Empty payloads: SLIP, HDLC and octet counting cannot carry one; the
    // refusal writes nothing. DLE and netstrings can.
    for spec in ["slip", "hdlc", "octets", "raw"] {
        let mut wire = BytesMut::new();
        let err = parse(spec).encode(&b""[..], &mut wire).unwrap_err();
        assert!(
            matches!(err, framewise::Error::Unencodable { .. }),
            "{spec}: {err:?}"
        );
        assert!(wire.is_empty(), "{spec}");
    }
    for (spec, want) in [
        ("dle", &b"\x10\x02\x10\x03"[..]),
        ("netstring", b"0:,"),
        ("hexlen", b"0000"),
    ] {
        let mut codec = parse(spec);
        let mut wire = BytesMut::new();
        codec.encode(&b""[..], &mut wire).unwrap();
        assert_eq!(&wire[..], want, "{spec}");
        assert_eq!(codec.decode(&mut wire).unwrap().unwrap(), "", "{spec}");
    }
    // With a trailer the payload is never empty.
    let mut codec = parse("slip,crc=crc16-xmodem");
    let mut wire = BytesMut::new();
    codec.encode(&b""[..], &mut wire).unwrap();
    assert_eq!(&wire[..], b"\x00\x00\xc0");
    assert_eq!(codec.decode(&mut wire).unwrap().unwrap(), "");
    // The limit counts the trailer.
    // (a `length` limit counts the header as well).
    let mut codec = parse("length:u16,crc=crc32,max=10");
    let err = codec.encode(&b"12345"[..], &mut wire).unwrap_err();
    assert!(
        matches!(err, framewise::Error::FrameTooLong { len: 11, max: 10 }),
        "{err:?}"
    );
    codec.encode(&b"1234"[..], &mut wire).unwrap();
    assert_eq!(wire.len(), 10);
    let mut codec = parse("slip,crc=crc32,max=8");
    let err = codec.encode(&b"12345"[..], &mut wire).unwrap_err();
    assert!(
        matches!(err, framewise::Error::FrameTooLong { len: 9, max: 8 }),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------
// wire_layout: the codec says which of its bytes are framing.

/// `(part, bytes)` for each span of `spec`'s encoding of `item`, after
/// checking the spans cover the frame in order.
/// A frame's layout as (part, bytes) pairs.
type Parts = Vec<(framewise::WirePart, Vec<u8>)>;

fn layout_of(codec: &AnyCodec, item: &[u8]) -> Parts {
    let mut wire = BytesMut::new();
    codec.clone().encode(item, &mut wire).unwrap();
    let spans = codec.wire_layout(&wire).unwrap();
    let mut at = 0;
    for pair in spans.windows(2) {
        assert_ne!(pair[0].part, pair[1].part, "{codec}: adjacent spans merge");
    }
    for span in &spans {
        assert_eq!(span.range.start, at, "{codec}");
        assert!(!span.range.is_empty(), "{codec}");
        at = span.range.end;
    }
    assert_eq!(at, wire.len(), "{codec}: the spans cover the frame");
    spans
        .into_iter()
        .map(|s| (s.part, wire[s.range].to_vec()))
        .collect()
}

#[test]
fn any_wire_layout_of_every_framing() {
    use framewise::WirePart::{Checksum, Code, End, Escape, Header, Payload};
    let p = |b: &[u8]| (Payload, b.to_vec());
    let cases: Vec<(&str, &[u8], Parts)> = vec![
        ("length:u16", b"hi", vec![(Header, vec![0, 2]), p(b"hi")]),
        (
            "length:varint",
            &[7; 200],
            vec![(Header, vec![0xc8, 1]), p(&[7; 200])],
        ),
        ("lines-crlf", b"hi", vec![p(b"hi"), (End, b"\r\n".to_vec())]),
        ("delim:||", b"hi", vec![p(b"hi"), (End, b"||".to_vec())]),
        ("fixed:2", b"hi", vec![p(b"hi")]),
        ("raw", b"hi", vec![p(b"hi")]),
        (
            "cobs",
            b"a\0b",
            vec![
                (Code, vec![2]),
                p(b"a"),
                (Code, vec![2]),
                p(b"b"),
                (End, vec![0]),
            ],
        ),
        (
            "slip:lead",
            b"\xc0\xdb",
            vec![
                (Header, vec![0xc0]),
                (Escape, vec![0xdb]),
                p(b"\xdc"),
                (Escape, vec![0xdb]),
                p(b"\xdd"),
                (End, vec![0xc0]),
            ],
        ),
        (
            "hdlc",
            b"a\x7e",
            vec![
                (Header, vec![0x7e]),
                p(b"a"),
                (Escape, vec![0x7d]),
                p(b"\x5e"),
                (End, vec![0x7e]),
            ],
        ),
        (
            "dle",
            b"\x10\x03",
            vec![
                (Header, vec![0x10, 0x02]),
                (Escape, vec![0x10]),
                p(b"\x10\x03"),
                (End, vec![0x10, 0x03]),
            ],
        ),
        (
            "dle",
            b"",
            vec![(Header, vec![0x10, 0x02]), (End, vec![0x10, 0x03])],
        ),
        (
            "netstring",
            b"",
            vec![(Header, b"0:".to_vec()), (End, b",".to_vec())],
        ),
        ("octets", b"a b", vec![(Header, b"3 ".to_vec()), p(b"a b")]),
        ("hexlen:2", b"hi", vec![(Header, b"02".to_vec()), p(b"hi")]),
        ("length:varint4", b"hi", vec![(Header, vec![2]), p(b"hi")]),
        (
            "length:u8,crc=crc16-xmodem",
            b"123456789",
            vec![
                (Header, vec![11]),
                p(b"123456789"),
                (Checksum, vec![0x31, 0xc3]),
            ],
        ),
        (
            // CRC-8 of a zero byte is zero.
            "slip,crc=crc8",
            b"\x00",
            vec![p(b"\x00"), (Checksum, vec![0x00]), (End, vec![0xc0])],
        ),
        (
            "netstring,crc=crc8",
            b"hi",
            vec![
                (Header, b"3:".to_vec()),
                p(b"hi"),
                (Checksum, vec![0x45]),
                (End, b",".to_vec()),
            ],
        ),
    ];
    for (spec, item, want) in cases {
        assert_eq!(layout_of(&parse(spec), item), want, "{spec}");
    }
}

#[test]
fn any_wire_layout_of_an_escaped_or_zero_checksum() {
    use framewise::WirePart::{Checksum, Code, End, Escape, Payload};
    use framewise::{CrcAlgorithm, Encode};
    // Find items whose CRC-8 is a byte SLIP escapes, and a zero (COBS).
    let item_with_crc = |want: u8| {
        (0u8..=255)
            .map(|b| [b'x', b])
            .find(|item| CrcAlgorithm::Crc8.checksum(item) == u64::from(want))
            .unwrap()
    };
    let item = item_with_crc(0xc0);
    let spans = layout_of(&parse("slip,crc=crc8"), &item);
    assert_eq!(spans.last().unwrap(), &(End, vec![0xc0]), "{spans:?}");
    let n = spans.len();
    assert_eq!(
        spans[n - 3..n - 1],
        [(Escape, vec![0xdb]), (Checksum, vec![0xdc])]
    );

    let item = item_with_crc(0x00);
    let codec = parse("cobs,crc=crc8");
    let mut wire = [0u8; 8];
    let len = codec.encode_to_slice(&item, &mut wire).unwrap();
    // x ? 00 -> 03 x ? 01 00: the code byte 01 stands for the checksum's zero.
    assert_eq!(&wire[..len], [3, b'x', item[1], 1, 0]);
    let spans = layout_of(&codec, &item);
    assert_eq!(
        spans,
        [
            (Code, vec![3]),
            (Payload, item.to_vec()),
            (Code, vec![1]),
            (End, vec![0])
        ]
    );
}

#[test]
fn any_wire_layout_of_a_header_layout_and_bad_frames() {
    use framewise::WirePart::{Header, Payload};
    // A codec that keeps its header: the header is still framing.
    let keep = AnyCodec::from(
        LengthPrefixed::builder()
            .width(Width::U8)
            .strip(0)
            .build()
            .unwrap(),
    );
    let spans: Vec<_> = keep
        .wire_layout(b"\x02hi")
        .unwrap()
        .into_iter()
        .map(|s| (s.part, s.range))
        .collect();
    assert_eq!(spans, [(Header, 0..1), (Payload, 1..3)]);
    // Netty's example 6: CA, u16 length, FE, payload.
    let six = AnyCodec::from(
        LengthPrefixed::builder()
            .offset(1)
            .width(Width::U16)
            .adjustment(1)
            .strip(3)
            .build()
            .unwrap(),
    );
    let spans: Vec<_> = six
        .wire_layout(b"\xca\x00\x02\xfehi")
        .unwrap()
        .into_iter()
        .map(|s| (s.part, s.range))
        .collect();
    assert_eq!(spans, [(Header, 0..3), (Payload, 3..6)]);
    // Bytes after the frame are not covered.
    let spans = parse("netstring").wire_layout(b"2:hi,1:x,").unwrap();
    assert_eq!(spans.last().unwrap().range.end, 5);

    // Not a whole valid frame: the decoder's error.
    let err = parse("length:u8").wire_layout(b"\x05hi").unwrap_err();
    assert!(
        matches!(err, framewise::Error::Truncated { buffered: 3 }),
        "{err:?}"
    );
    let err = parse("length:u8,crc=crc8")
        .wire_layout(b"\x03hi\x00")
        .unwrap_err();
    assert!(
        matches!(err, framewise::Error::ChecksumMismatch { .. }),
        "{err:?}"
    );
    let err = parse("length:u8,max=2")
        .wire_layout(b"\x05hello")
        .unwrap_err();
    assert!(
        matches!(err, framewise::Error::FrameTooLong { .. }),
        "{err:?}"
    );
    assert!(parse("slip").wire_layout(b"").is_err());
}
