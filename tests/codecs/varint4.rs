//! `Width::Varint4`: MQTT's remaining length, the spec's table of encodings,
//! the fifth continuation byte, and properties under arbitrary read splits
//! against the plain reference decoder.

use crate::support::codec::checks;
use crate::support::codec::{Event, run_all};
use bytes::{Bytes, BytesMut};
use framewise::{Encode, Error, LengthPrefixed, Width};
use proptest::prelude::*;
use tokio_util::codec::Decoder;

fn mqtt() -> LengthPrefixed {
    LengthPrefixed::builder()
        .width(Width::Varint4)
        .max_frame_len(usize::MAX)
        .build()
        .unwrap()
}

/// MQTT 3.1.1, 2.2.3, table 2.4 (and MQTT 5.0, 1.5.5): the boundaries of
/// each encoded size.
const MQTT_TABLE: [(usize, &[u8]); 8] = [
    (0, &[0x00]),
    (127, &[0x7f]),
    (128, &[0x80, 0x01]),
    (16_383, &[0xff, 0x7f]),
    (16_384, &[0x80, 0x80, 0x01]),
    (2_097_151, &[0xff, 0xff, 0x7f]),
    (2_097_152, &[0x80, 0x80, 0x80, 0x01]),
    (268_435_455, &[0xff, 0xff, 0xff, 0x7f]),
];

#[test]
fn varint4_encodes_the_mqtt_table() {
    let codec = mqtt();
    for (len, header) in MQTT_TABLE {
        let payload = vec![0x5a; len];
        let size = codec.encoded_len(&payload).unwrap();
        assert_eq!(size, header.len() + len, "{len}");
        let mut wire = Vec::with_capacity(size);
        codec.write_frame(&payload, size, &mut wire);
        assert_eq!(&wire[..header.len()], header, "{len}");
    }
}

#[test]
fn varint4_decodes_the_mqtt_table() {
    for (len, header) in MQTT_TABLE {
        let mut c = mqtt();
        let mut buf = BytesMut::from(header);
        // The header alone announces `len` bytes: wait for them.
        if len > 0 {
            assert_eq!(c.decode(&mut buf).unwrap(), None, "{len}");
        }
        buf.extend_from_slice(&vec![0x5a; len]);
        let frame = c.decode(&mut buf).unwrap().expect("a frame");
        assert_eq!(frame.len(), len);
        assert!(buf.is_empty());
    }
}

#[test]
fn varint4_fifth_continuation_byte_is_a_corrupt_header() {
    let mut c = mqtt();
    // Three continuation bytes wait; a fourth is one too many.
    let mut buf = BytesMut::from(&[0xff, 0xff, 0xff][..]);
    assert_eq!(c.decode(&mut buf).unwrap(), None);
    buf.extend_from_slice(&[0xff, 0x01]);
    for _ in 0..2 {
        let e = c.decode(&mut buf).unwrap_err();
        assert_eq!(
            e.to_string(),
            "corrupt length header: varint length is longer than 4 bytes"
        );
        assert!(!e.is_recoverable());
    }
    // A plain varint reads the same bytes as 0x1fffffff.
    let plain = LengthPrefixed::builder()
        .width(Width::Varint)
        .max_frame_len(usize::MAX)
        .build()
        .unwrap();
    let out = run_all(&mut plain.clone(), &[0xff, 0xff, 0xff, 0xff, 0x01], &[]);
    assert_eq!(
        out.events,
        vec![Event::Err(
            "stream ended in the middle of a frame, with 5 bytes of it buffered".into()
        )]
    );
}

#[test]
fn varint4_refuses_more_than_268435455() {
    let e = mqtt().encoded_len(&vec![0; 268_435_456]).unwrap_err();
    assert!(matches!(e, Error::Unencodable { .. }), "{e}");
    assert_eq!(Width::Varint4.max_value(), 268_435_455);
    assert_eq!(Width::Varint4.fixed_size(), None);
}

#[test]
fn varint4_mqtt_packet_with_fixed_header_byte() {
    // An MQTT PINGREQ is C0 00; a PUBLISH with 3 bytes after the length is
    // 30 03 ...: a one-byte offset before the remaining length, kept.
    let mut c = LengthPrefixed::builder()
        .offset(1)
        .width(Width::Varint4)
        .strip(0)
        .build()
        .unwrap();
    let stream = b"\xc0\x00\x30\x03\x00\x01a";
    let out = run_all(&mut c, stream, &(0..stream.len()).collect::<Vec<_>>());
    assert_eq!(
        out.events,
        vec![
            Event::Frame(Bytes::from_static(b"\xc0\x00")),
            Event::Frame(Bytes::from_static(b"\x30\x03\x00\x01a")),
        ]
    );
}

proptest! {
    /// Any bytes, any split, any layout with a 4-byte varint: the plain
    /// reference decoder's events (the fuzz target's check).
    #[test]
    fn varint4_matches_reference_on_any_bytes(
        raw in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        checks::replay(&raw, checks::framings::check_decode_varint4);
    }

    #[test]
    fn varint4_round_trip_reference(
        raw in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        checks::replay(&raw, checks::framings::check_roundtrip_varint4);
    }
}
