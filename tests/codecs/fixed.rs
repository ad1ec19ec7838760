//! `FixedLength`: the contract's properties, and the cases worth spelling out.

use crate::support::codec::harness::text::from_reference;
use crate::support::codec::in_place::run_in_place;
use crate::support::codec::{Event, checks, cuts_strategy, encode_all, run_all};
use bytes::{Bytes, BytesMut};
use framewise::{ConfigError, Decode, Decoded, Encode, Error, FixedLength};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, Encoder};

/// The reference (shared with the fuzz checks): whole `n`-byte chunks are
/// frames, a shorter tail is reported as truncated at the end of the stream.
fn naive(data: &[u8], n: usize) -> Vec<Event<Vec<u8>>> {
    from_reference(checks::naive_fixed(n, data))
}

fn to_vecs(events: Vec<Event<Bytes>>) -> Vec<Event<Vec<u8>>> {
    events
        .into_iter()
        .map(|e| match e {
            Event::Frame(f) => Event::Frame(f.to_vec()),
            Event::Err(s) => Event::Err(s),
        })
        .collect()
}

/// A frame length and some items of exactly that length.
fn items_strategy() -> impl Strategy<Value = (usize, Vec<Vec<u8>>)> {
    (1usize..20).prop_flat_map(|n| {
        (
            Just(n),
            proptest::collection::vec(proptest::collection::vec(any::<u8>(), n), 0..20),
        )
    })
}

proptest! {
    #[test]
    fn fixed_round_trip_any_split(
        (n, items) in items_strategy(),
        cuts in cuts_strategy(400),
    ) {
        let mut codec = FixedLength::new(n).unwrap();
        let wire = encode_all(&mut codec, items.iter().map(|i| &i[..]));
        prop_assert_eq!(wire.len(), n * items.len());
        let out = run_all(&mut codec, &wire, &cuts);
        let expected: Vec<Event<Vec<u8>>> = items.into_iter().map(Event::Frame).collect();
        prop_assert_eq!(to_vecs(out.events), expected);
    }

    #[test]
    fn fixed_matches_naive_on_any_bytes(
        n in 1usize..40,
        data in proptest::collection::vec(any::<u8>(), 0..300),
        cuts in cuts_strategy(300),
    ) {
        let mut codec = FixedLength::new(n).unwrap();
        let out = run_all(&mut codec, &data, &cuts);
        // The decoder never keeps a whole frame waiting, nor reserves ahead.
        prop_assert!(out.max_buffered < n, "{} bytes buffered, n = {}", out.max_buffered, n);
        prop_assert_eq!(to_vecs(out.events), naive(&data, n));
    }

    #[test]
    fn fixed_encoder_refusals_write_nothing(
        n in 1usize..40,
        len in 0usize..80,
        prefix in proptest::collection::vec(any::<u8>(), 0..8),
    ) {
        prop_assume!(len != n);
        let mut codec = FixedLength::new(n).unwrap();
        let mut dst = BytesMut::from(&prefix[..]);
        let item = vec![7u8; len];
        let err = codec.encode(&item[..], &mut dst).unwrap_err();
        let expected = format!(
            "cannot encode frame: a fixed-length frame must be exactly {n} bytes, got {len}"
        );
        prop_assert_eq!(err.to_string(), expected);
        prop_assert!(codec.encode(Bytes::from(item), &mut dst).is_err());
        prop_assert_eq!(&dst[..], &prefix[..]);
    }
}

#[test]
fn fixed_zero_length_is_refused() {
    let err = FixedLength::new(0).unwrap_err();
    assert!(matches!(err, ConfigError::Invalid { setting: "len", .. }));
}

#[test]
fn fixed_limit_is_the_frame_length() {
    let codec = FixedLength::new(12).unwrap();
    assert_eq!(codec.max_frame_len(), 12);
    assert_eq!(codec.frame_len(), 12);
}

#[test]
fn fixed_one_byte_reads() {
    let mut codec = FixedLength::new(3).unwrap();
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for &b in b"abcdefgh" {
        buf.extend_from_slice(&[b]);
        while let Some(frame) = codec.decode(&mut buf).unwrap() {
            frames.push(frame);
        }
        assert!(buf.len() < 3);
    }
    assert_eq!(frames, [&b"abc"[..], b"def"]);
    assert_eq!(&buf[..], b"gh");
}

#[test]
fn fixed_sticky_reads_split_into_frames() {
    let mut codec = FixedLength::new(2).unwrap();
    let out = run_all(&mut codec, b"aabbccd", &[]);
    assert_eq!(
        out.events,
        vec![
            Event::Frame(Bytes::from_static(b"aa")),
            Event::Frame(Bytes::from_static(b"bb")),
            Event::Frame(Bytes::from_static(b"cc")),
            Event::Err("stream ended in the middle of a frame, with 1 bytes of it buffered".into()),
        ]
    );
}

#[test]
fn fixed_eof_with_whole_frames_only() {
    let mut codec = FixedLength::new(2).unwrap();
    let mut buf = BytesMut::from(&b"abcd"[..]);
    assert_eq!(codec.decode_eof(&mut buf).unwrap().unwrap(), "ab");
    assert_eq!(codec.decode_eof(&mut buf).unwrap().unwrap(), "cd");
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
}

#[test]
fn fixed_eof_with_partial_frame_is_truncated_and_cleared() {
    let mut codec = FixedLength::new(5).unwrap();
    let mut buf = BytesMut::from(&b"abc"[..]);
    assert_eq!(codec.decode(&mut buf).unwrap(), None);
    let err = codec.decode_eof(&mut buf).unwrap_err();
    assert!(matches!(err, Error::Truncated { buffered: 3 }));
    assert!(buf.is_empty());
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
}

#[test]
fn fixed_eof_on_empty_buffer() {
    let mut codec = FixedLength::new(5).unwrap();
    assert_eq!(codec.decode_eof(&mut BytesMut::new()).unwrap(), None);
}

proptest! {
    /// The core on a plain buffer gives what the naive reference gives, and
    /// exactly what the tokio-util adapter gives.
    #[test]
    fn fixed_in_place_matches_naive_and_tokio(
        n in 1usize..40,
        data in proptest::collection::vec(any::<u8>(), 0..300),
        cuts in cuts_strategy(300),
    ) {
        let core = run_in_place(&mut FixedLength::new(n).unwrap(), &data, &cuts);
        prop_assert!(core.max_buffered < n);
        prop_assert_eq!(to_vecs(core.events.clone()), naive(&data, n));
        let tokio = run_all(&mut FixedLength::new(n).unwrap(), &data, &cuts);
        prop_assert_eq!(core.events, tokio.events);
    }

    #[test]
    fn fixed_encode_to_slice_writes_the_item((n, items) in items_strategy()) {
        let codec = FixedLength::new(n).unwrap();
        let mut dst = vec![0u8; n * items.len()];
        let mut at = 0;
        for item in &items {
            prop_assert_eq!(codec.encoded_len(item).unwrap(), n);
            at += codec.encode_to_slice(item, &mut dst[at..]).unwrap();
        }
        prop_assert_eq!(dst, items.concat());
    }
}

#[test]
fn fixed_core_frames_and_eof() {
    let mut codec = FixedLength::new(3).unwrap();
    let answer = codec.decode_slice(b"abcd");
    assert!(
        matches!(
            answer,
            Decoded::Frame {
                start: 0,
                len: 3,
                consumed: 3
            }
        ),
        "{answer:?}"
    );
    assert!(matches!(
        codec.decode_slice(b"d"),
        Decoded::Incomplete { consumed: 0 }
    ));
    let answer = codec.decode_slice_eof(b"d");
    assert!(
        matches!(
            answer,
            Decoded::Error {
                consumed: 1,
                error: Error::Truncated { buffered: 1 }
            }
        ),
        "{answer:?}"
    );
    assert!(matches!(
        codec.decode_slice_eof(b""),
        Decoded::Incomplete { consumed: 0 }
    ));
}

#[test]
fn fixed_slice_encoder_refusals_write_nothing() {
    let codec = FixedLength::new(2).unwrap();
    let mut dst = [0xAA; 4];
    let err = codec.encode_to_slice(b"abc", &mut dst).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot encode frame: a fixed-length frame must be exactly 2 bytes, got 3"
    );
    let err = codec.encode_to_slice(b"ab", &mut dst[..1]).unwrap_err();
    assert!(matches!(
        err,
        Error::BufferTooSmall {
            needed: 2,
            available: 1
        }
    ));
    assert_eq!(dst, [0xAA; 4]);
}
