//! `Raw`: bytes are kept, boundaries are not. The properties say exactly that.

use crate::support::codec::in_place::run_in_place;
use crate::support::codec::{Event, chunks, cuts_strategy, encode_all, run_all};
use bytes::{Bytes, BytesMut};
use framewise::{Decode, Decoded, Encode, Error, Raw};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, Encoder};

/// The naive reference: every read is handed out as it came, in pieces of at
/// most `max` bytes.
fn naive(data: &[u8], cuts: &[usize], max: usize) -> Vec<Vec<u8>> {
    let mut frames = Vec::new();
    for read in chunks(data, cuts) {
        let mut rest = read;
        while !rest.is_empty() {
            let n = rest.len().min(max);
            frames.push(rest[..n].to_vec());
            rest = &rest[n..];
        }
    }
    frames
}

fn frames(events: &[Event<Bytes>]) -> Vec<Vec<u8>> {
    events
        .iter()
        .map(|e| match e {
            Event::Frame(f) => f.to_vec(),
            Event::Err(s) => panic!("raw decoding never fails, got {s}"),
        })
        .collect()
}

proptest! {
    #[test]
    fn raw_round_trip_single_item_single_read(
        item in proptest::collection::vec(any::<u8>(), 1..2000),
    ) {
        let mut codec = Raw::new();
        let wire = encode_all(&mut codec, [&item[..]]);
        prop_assert_eq!(&wire[..], &item[..]);
        let out = run_all(&mut codec, &wire, &[]);
        prop_assert_eq!(frames(&out.events), vec![item]);
    }

    #[test]
    fn raw_keeps_the_bytes_for_any_items_and_splits(
        items in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..100), 0..20),
        max in 1usize..64,
        cuts in cuts_strategy(2000),
    ) {
        let mut codec = Raw::new().with_max_frame_len(max);
        let items: Vec<Vec<u8>> = items.into_iter().map(|mut i| { i.truncate(max); i }).collect();
        let wire = encode_all(&mut codec, items.iter().map(|i| &i[..]));
        let out = run_all(&mut codec, &wire, &cuts);
        let got = frames(&out.events);
        // The stream is preserved byte for byte, every frame within the limit.
        prop_assert_eq!(got.concat(), items.concat());
        prop_assert!(got.iter().all(|f| !f.is_empty() && f.len() <= max));
        prop_assert_eq!(got, naive(&wire, &cuts, max));
    }

    #[test]
    fn raw_matches_naive_on_any_bytes(
        data in proptest::collection::vec(any::<u8>(), 0..500),
        max in 1usize..200,
        cuts in cuts_strategy(500),
    ) {
        let mut codec = Raw::new().with_max_frame_len(max);
        let out = run_all(&mut codec, &data, &cuts);
        // Raw drains the buffer on every call: nothing is ever kept waiting.
        prop_assert_eq!(out.max_buffered, 0);
        prop_assert_eq!(frames(&out.events), naive(&data, &cuts, max));
    }

    #[test]
    fn raw_encoder_refusals_write_nothing(
        max in 1usize..100,
        extra in 1usize..100,
        prefix in proptest::collection::vec(any::<u8>(), 0..8),
    ) {
        let mut codec = Raw::new().with_max_frame_len(max);
        let mut dst = BytesMut::from(&prefix[..]);
        let item = vec![1u8; max + extra];
        let err = codec.encode(&item[..], &mut dst).unwrap_err();
        let expected = format!("frame of {} bytes exceeds the limit of {max}", max + extra);
        prop_assert_eq!(err.to_string(), expected);
        prop_assert!(codec.encode(Bytes::from(item), &mut dst).is_err());
        let empty = codec.encode(&b""[..], &mut dst);
        prop_assert!(matches!(empty, Err(Error::Unencodable { .. })), "{:?}", empty);
        prop_assert_eq!(&dst[..], &prefix[..]);
    }
}

#[test]
fn raw_sticky_packets_come_out_as_one_frame() {
    let mut codec = Raw::new();
    let wire = encode_all(&mut codec, [&b"hello"[..], b"world"]);
    let out = run_all(&mut codec, &wire, &[]);
    assert_eq!(frames(&out.events), [b"helloworld".to_vec()]);
}

#[test]
fn raw_split_packet_comes_out_as_two_frames() {
    let mut codec = Raw::new();
    let out = run_all(&mut codec, b"helloworld", &[3]);
    assert_eq!(frames(&out.events), [b"hel".to_vec(), b"loworld".to_vec()]);
}

#[test]
fn raw_large_read_in_limit_pieces() {
    let mut codec = Raw::new().with_max_frame_len(4);
    let mut buf = BytesMut::from(&b"0123456789"[..]);
    assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "0123");
    assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "4567");
    assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "89");
    assert_eq!(codec.decode(&mut buf).unwrap(), None);
}

#[test]
fn raw_default_limit_holds_a_whole_udp_datagram() {
    let codec = Raw::default();
    assert_eq!(codec.max_frame_len(), 64 * 1024);
    let datagram = vec![0xAB; 65_507];
    let mut buf = BytesMut::from(&datagram[..]);
    let mut codec = codec;
    assert_eq!(codec.decode_eof(&mut buf).unwrap().unwrap(), datagram);
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
}

#[test]
fn raw_eof_returns_what_is_left_then_none() {
    let mut codec = Raw::new().with_max_frame_len(3);
    let mut buf = BytesMut::from(&b"abcde"[..]);
    assert_eq!(codec.decode_eof(&mut buf).unwrap().unwrap(), "abc");
    assert_eq!(codec.decode_eof(&mut buf).unwrap().unwrap(), "de");
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
}

#[test]
fn raw_zero_limit_is_one() {
    let codec = Raw::new().with_max_frame_len(0);
    assert_eq!(codec.max_frame_len(), 1);
}

proptest! {
    /// The core on a plain buffer: each read handed out as it came, exactly
    /// as the tokio-util adapter does.
    #[test]
    fn raw_in_place_matches_naive_and_tokio(
        data in proptest::collection::vec(any::<u8>(), 0..500),
        max in 1usize..200,
        cuts in cuts_strategy(500),
    ) {
        let core = run_in_place(&mut Raw::new().with_max_frame_len(max), &data, &cuts);
        prop_assert_eq!(core.max_buffered, 0);
        prop_assert_eq!(frames(&core.events), naive(&data, &cuts, max));
        let tokio = run_all(&mut Raw::new().with_max_frame_len(max), &data, &cuts);
        prop_assert_eq!(core.events, tokio.events);
    }
}

#[test]
fn raw_core_empty_input_is_no_frame_even_at_eof() {
    let mut codec = Raw::new();
    assert!(matches!(
        codec.decode_slice(b""),
        Decoded::Incomplete { consumed: 0 }
    ));
    assert!(matches!(
        codec.decode_slice_eof(b""),
        Decoded::Incomplete { consumed: 0 }
    ));
    let answer = codec.decode_slice_eof(b"dgram");
    assert!(
        matches!(
            answer,
            Decoded::Frame {
                start: 0,
                len: 5,
                consumed: 5
            }
        ),
        "{answer:?}"
    );
}

#[test]
fn raw_slice_encoder_refusals_write_nothing() {
    let codec = Raw::new().with_max_frame_len(3);
    let mut dst = [0xAA; 4];
    let err = codec.encode_to_slice(b"abcd", &mut dst).unwrap_err();
    assert_eq!(err.to_string(), "frame of 4 bytes exceeds the limit of 3");
    let err = codec.encode_to_slice(b"", &mut dst).unwrap_err();
    assert!(matches!(err, Error::Unencodable { .. }), "{err:?}");
    let err = codec.encode_to_slice(b"abc", &mut dst[..2]).unwrap_err();
    assert!(matches!(
        err,
        Error::BufferTooSmall {
            needed: 3,
            available: 2
        }
    ));
    assert_eq!(dst, [0xAA; 4]);
    assert_eq!(codec.encode_to_slice(b"abc", &mut dst).unwrap(), 3);
    assert_eq!(&dst[..3], b"abc");
}
