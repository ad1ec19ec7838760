//! Crc: the catalogue's check values, the trailer over length prefixes (the
//! length counts the trailer) and SLIP, byte order, mismatches that skip one
//! frame, and properties against a bitwise CRC and the inner references.

use crate::support::codec::checks;
use crate::support::codec::{Event, cuts_strategy, encode_all, run_all};
use bytes::{Bytes, BytesMut};
use checks::framings::bitwise_crc;
use framewise::{
    Crc, CrcAlgorithm, Encode, Endian, Error, LengthPrefixed, Netstring, Slip, Stuffed, Width,
};
use proptest::prelude::*;
use tokio_util::codec::Encoder;

const CHECK: &[u8] = b"123456789";

fn frame(b: &[u8]) -> Event<Bytes> {
    Event::Frame(Bytes::copy_from_slice(b))
}

fn err(s: &str) -> Event<Bytes> {
    Event::Err(s.to_string())
}

#[test]
fn crc_catalogue_check_values() {
    // The "check" column of the CRC catalogue (reveng), for "123456789".
    let table: [(CrcAlgorithm, &str, u64, usize); 9] = [
        (CrcAlgorithm::Crc8, "crc8", 0xf4, 1),
        (CrcAlgorithm::Crc16Xmodem, "crc16-xmodem", 0x31c3, 2),
        (
            CrcAlgorithm::Crc16CcittFalse,
            "crc16-ccitt-false",
            0x29b1,
            2,
        ),
        (CrcAlgorithm::Crc16Modbus, "crc16-modbus", 0x4b37, 2),
        (CrcAlgorithm::Crc16Arc, "crc16-arc", 0xbb3d, 2),
        (CrcAlgorithm::Crc16Kermit, "crc16-kermit", 0x2189, 2),
        (CrcAlgorithm::Crc16IbmSdlc, "crc16-ibm-sdlc", 0x906e, 2),
        (CrcAlgorithm::Crc32, "crc32", 0xcbf4_3926, 4),
        (CrcAlgorithm::Crc32c, "crc32c", 0xe306_9283, 4),
    ];
    assert_eq!(CrcAlgorithm::ALL.len(), table.len());
    for (alg, name, check, width) in table {
        assert_eq!(alg.checksum(CHECK), check, "{name}");
        assert_eq!(alg.check(), check, "{name}");
        assert_eq!(bitwise_crc(alg, CHECK), check, "{name} (bitwise reference)");
        assert_eq!(alg.name(), name);
        assert_eq!(CrcAlgorithm::from_name(name), Some(alg));
        assert_eq!(alg.width(), width);
    }
}

#[test]
fn crc_over_length_prefix_counts_the_trailer() {
    let inner = LengthPrefixed::builder().width(Width::U16).build().unwrap();
    let mut codec = Crc::new(inner, CrcAlgorithm::Crc32);
    let mut wire = BytesMut::new();
    codec.encode(CHECK, &mut wire).unwrap();
    // 9 + 4 bytes; CRC-32 little-endian (cbf43926).
    assert_eq!(&wire[..], b"\x00\x0d123456789\x26\x39\xf4\xcb");
    let out = run_all(&mut codec, &wire, &[]);
    assert_eq!(out.events, vec![frame(CHECK)]);
}

#[test]
fn crc_trailer_byte_order_is_configurable() {
    let inner = LengthPrefixed::builder().width(Width::U8).build().unwrap();
    let be = Crc::new(inner.clone(), CrcAlgorithm::Crc16Modbus).with_endian(Endian::Big);
    let le = Crc::new(inner, CrcAlgorithm::Crc16Modbus);
    assert_eq!(le.endian(), Endian::Little);
    let mut buf = [0u8; 16];
    let n = le.encode_to_slice(CHECK, &mut buf).unwrap();
    assert_eq!(&buf[n - 2..n], b"\x37\x4b"); // Modbus RTU: low byte first
    let n = be.encode_to_slice(CHECK, &mut buf).unwrap();
    assert_eq!(&buf[n - 2..n], b"\x4b\x37");
    // A trailer in the other order is a mismatch, with both values.
    let out = run_all(&mut le.clone(), &buf[..n], &[]);
    assert_eq!(
        out.events,
        vec![err(
            "checksum mismatch: the data gives 0x4b37, the frame carries 0x374b"
        )]
    );
}

#[test]
fn crc_mismatch_skips_one_frame_and_the_next_decodes() {
    let mut codec = Crc::new(Slip::new(), CrcAlgorithm::Crc16Xmodem);
    let mut wire = encode_all(&mut codec, [&b"one"[..], b"two", b"three"]);
    // Flip a bit of "two"'s data: its trailer no longer matches.
    let at = wire.iter().position(|&b| b == b'w').unwrap();
    wire[at] ^= 0x01;
    let want_bad = CrcAlgorithm::Crc16Xmodem.checksum(b"tvo");
    let carried = CrcAlgorithm::Crc16Xmodem.checksum(b"two");
    for cuts in [vec![], (0..wire.len()).collect::<Vec<_>>()] {
        let out = run_all(&mut codec.clone(), &wire, &cuts);
        assert_eq!(
            out.events,
            vec![
                frame(b"one"),
                err(&format!(
                    "checksum mismatch: the data gives {want_bad:#x}, the frame carries {carried:#x}"
                )),
                frame(b"three"),
            ]
        );
    }
}

#[test]
fn crc_slip_firmware_frame_exact_bytes() {
    // SLIP(payload ‖ crc16-xmodem, big-endian): "123456789" ends in 31 C3.
    let codec = Crc::new(
        Slip::new().with_leading_end(true),
        CrcAlgorithm::Crc16Xmodem,
    );
    let mut buf = [0u8; 16];
    let n = codec.encode_to_slice(CHECK, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"\xc0123456789\x31\xc3\xc0");
    // A trailer that must be escaped: the CRC-8 of "A" is 0xc0 (END).
    let codec = Crc::new(Slip::new(), CrcAlgorithm::Crc8);
    assert_eq!(CrcAlgorithm::Crc8.checksum(b"A"), 0xc0);
    let n = codec.encode_to_slice(b"A", &mut buf).unwrap();
    assert_eq!(&buf[..n], b"A\xdb\xdc\xc0");
    let out = run_all(&mut codec.clone(), &buf[..n], &[]);
    assert_eq!(out.events, vec![frame(b"A")]);
}

#[test]
fn crc_frame_shorter_than_the_trailer_is_skipped() {
    let codec = Crc::new(Slip::new(), CrcAlgorithm::Crc32);
    let out = run_all(&mut codec.clone(), b"ab\xc0", &[]);
    assert_eq!(
        out.events,
        vec![err("frame of 2 bytes is shorter than the minimum of 4")]
    );
}

#[test]
fn crc_empty_data_still_carries_a_trailer() {
    let mut codec = Crc::new(Netstring::new(), CrcAlgorithm::Crc16Arc);
    let wire = encode_all(&mut codec, [&b""[..]]);
    assert_eq!(&wire[..], b"2:\x00\x00,"); // CRC-16/ARC of nothing is 0
    let out = run_all(&mut codec, &wire, &[]);
    assert_eq!(out.events, vec![frame(b"")]);
}

#[test]
fn crc_inner_limit_counts_the_trailer() {
    let inner = LengthPrefixed::builder()
        .width(Width::U8)
        .max_frame_len(8)
        .build()
        .unwrap();
    let codec = Crc::new(inner, CrcAlgorithm::Crc16Xmodem);
    // 1 + 5 + 2 = 8 fits; 1 + 6 + 2 = 9 does not.
    assert_eq!(codec.encoded_len(b"12345").unwrap(), 8);
    let e = codec.encoded_len(b"123456").unwrap_err();
    assert!(matches!(e, Error::FrameTooLong { len: 9, max: 8 }));
}

#[test]
fn crc_over_a_codec_without_parts_refuses_to_encode() {
    /// A framing that keeps `Encode`'s provided two-part methods.
    #[derive(Debug)]
    struct OnePart;
    impl Encode for OnePart {
        fn encoded_len(&self, payload: &[u8]) -> Result<usize, Error> {
            Ok(payload.len())
        }
        fn write_frame<O: framewise::Output + ?Sized>(&self, p: &[u8], _: usize, out: &mut O) {
            out.push_slice(p);
        }
    }
    let codec = Crc::new(OnePart, CrcAlgorithm::Crc8);
    let e = codec.encoded_len(b"abc").unwrap_err();
    assert!(matches!(e, Error::EncodeUnsupported { .. }), "{e}");
    // One empty part is no problem for the provided methods.
    assert_eq!(OnePart.encoded_len_parts(b"", b"xy").unwrap(), 2);
    let mut out = Vec::new();
    OnePart.write_frame_parts(b"xy", b"", 2, &mut out);
    assert_eq!(out, b"xy");
}

proptest! {
    #[test]
    fn crc_matches_bitwise_reference(
        alg in 0..CrcAlgorithm::ALL.len(),
        data in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let alg = CrcAlgorithm::ALL[alg];
        prop_assert_eq!(alg.checksum(&data), bitwise_crc(alg, &data));
    }

    #[test]
    fn crc_round_trip_any_split(
        items in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..60), 0..8),
        alg in 0..CrcAlgorithm::ALL.len(),
        big in any::<bool>(),
        cuts in cuts_strategy(800),
    ) {
        let alg = CrcAlgorithm::ALL[alg];
        let endian = if big { Endian::Big } else { Endian::Little };
        let want: Vec<Event<Bytes>> = items.iter().map(|i| frame(i)).collect();
        let mut hdlc = Crc::new(Stuffed::hdlc(), alg).with_endian(endian);
        let wire = encode_all(&mut hdlc, items.iter().map(|i| &i[..]));
        prop_assert_eq!(run_all(&mut hdlc, &wire, &cuts).events, want.clone());
        let mut varint = Crc::new(LengthPrefixed::varint(), alg).with_endian(endian);
        let wire = encode_all(&mut varint, items.iter().map(|i| &i[..]));
        prop_assert_eq!(run_all(&mut varint, &wire, &cuts).events, want);
    }

    /// Good, corrupted and arbitrary frames over several inner framings,
    /// any split: the inner reference decoder with a bitwise CRC (the fuzz
    /// target's check).
    #[test]
    fn crc_matches_reference(raw in proptest::collection::vec(any::<u8>(), 0..400)) {
        checks::replay(&raw, checks::framings::check_decode_crc);
    }

    #[test]
    fn crc_round_trip_reference(raw in proptest::collection::vec(any::<u8>(), 0..400)) {
        checks::replay(&raw, checks::framings::check_roundtrip_crc);
    }
}

/// Firmware's framing: `COBS(payload ‖ crc16) ‖ 00`, encoded without joining
/// the parts, byte for byte what the `cobs` crate gives for the joined bytes.
#[test]
fn crc_over_cobs_as_firmware_frames_it() {
    use bytes::{Bytes, BytesMut};
    use framewise::{Cobs, Crc, CrcAlgorithm};
    use tokio_util::codec::{Decoder, Encoder};

    let algo = CrcAlgorithm::Crc16Xmodem;
    for payload in [
        &b""[..],
        b"\x00",
        b"hello\x00world",
        &[0x11; 253][..],
        &[0x22; 254][..],
        &[0x33; 600][..],
    ] {
        let mut codec = Crc::new(Cobs::new(), algo);
        let mut wire = BytesMut::new();
        codec
            .encode(Bytes::copy_from_slice(payload), &mut wire)
            .unwrap();

        let mut joined = payload.to_vec();
        let crc = algo.checksum(payload) as u16;
        let trailer = match codec.endian() {
            framewise::Endian::Big => crc.to_be_bytes(),
            framewise::Endian::Little => crc.to_le_bytes(),
        };
        joined.extend_from_slice(&trailer);
        let mut expect = cobs::encode_vec(&joined);
        expect.push(0);
        assert_eq!(&wire[..], &expect[..], "{} bytes", payload.len());

        assert_eq!(codec.decode(&mut wire).unwrap().unwrap(), payload);
        assert!(wire.is_empty());
    }
}
