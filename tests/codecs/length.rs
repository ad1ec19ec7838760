//! LengthPrefixed: Netty's worked examples, interop with tokio-util and prost,
//! and properties under arbitrary read splits against a naive decoder.

use crate::support::codec::harness::text::from_reference;
use crate::support::codec::{Event, checks, cuts_strategy, run_all};
use bytes::{Bytes, BytesMut};
use framewise::{Endian, Error, LengthPrefixed, Width};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, Encoder, LengthDelimitedCodec};

fn decode_one(codec: &mut LengthPrefixed, wire: &[u8]) -> Bytes {
    let mut buf = BytesMut::from(wire);
    let frame = codec
        .decode(&mut buf)
        .expect("decode")
        .expect("a whole frame");
    assert!(buf.is_empty(), "frame left {} bytes behind", buf.len());
    frame
}

const HELLO: &[u8] = b"HELLO, WORLD";

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

// The seven worked examples of the javadoc of Netty's
// LengthFieldBasedFrameDecoder, as an acceptance table.

#[test]
fn length_netty_example_1_keep_header() {
    let mut c = LengthPrefixed::builder()
        .width(Width::U16)
        .strip(0)
        .build()
        .unwrap();
    let wire = cat(&[&[0x00, 0x0c], HELLO]);
    assert_eq!(decode_one(&mut c, &wire), wire);
}

#[test]
fn length_netty_example_2_strip_header() {
    let mut c = LengthPrefixed::builder()
        .width(Width::U16)
        .strip(2)
        .build()
        .unwrap();
    let wire = cat(&[&[0x00, 0x0c], HELLO]);
    assert_eq!(decode_one(&mut c, &wire), HELLO);
}

#[test]
fn length_netty_example_3_length_counts_header() {
    let mut c = LengthPrefixed::builder()
        .width(Width::U16)
        .adjustment(-2)
        .strip(0)
        .build()
        .unwrap();
    let wire = cat(&[&[0x00, 0x0e], HELLO]);
    assert_eq!(decode_one(&mut c, &wire), wire);
}

#[test]
fn length_netty_example_4_prefix_before_length() {
    let mut c = LengthPrefixed::builder()
        .offset(2)
        .width(Width::U24)
        .strip(0)
        .build()
        .unwrap();
    let wire = cat(&[&[0xca, 0xfe], &[0x00, 0x00, 0x0c], HELLO]);
    assert_eq!(decode_one(&mut c, &wire), wire);
}

#[test]
fn length_netty_example_5_header_after_length() {
    let mut c = LengthPrefixed::builder()
        .width(Width::U24)
        .adjustment(2)
        .strip(0)
        .build()
        .unwrap();
    let wire = cat(&[&[0x00, 0x00, 0x0c], &[0xca, 0xfe], HELLO]);
    assert_eq!(decode_one(&mut c, &wire), wire);
}

#[test]
fn length_netty_example_6_two_headers_strip_first() {
    let mut c = LengthPrefixed::builder()
        .offset(1)
        .width(Width::U16)
        .adjustment(1)
        .strip(3)
        .build()
        .unwrap();
    let wire = cat(&[&[0xca], &[0x00, 0x0c], &[0xfe], HELLO]);
    assert_eq!(decode_one(&mut c, &wire), cat(&[&[0xfe], HELLO]));
}

#[test]
fn length_netty_example_7_length_counts_whole_message() {
    let mut c = LengthPrefixed::builder()
        .offset(1)
        .width(Width::U16)
        .adjustment(-3)
        .strip(3)
        .build()
        .unwrap();
    let wire = cat(&[&[0xca], &[0x00, 0x10], &[0xfe], HELLO]);
    assert_eq!(decode_one(&mut c, &wire), cat(&[&[0xfe], HELLO]));
}

#[test]
fn length_limit_counts_adjusted_frame_on_the_wire() {
    // tokio-util #4815: with a negative adjustment, the limit must apply to
    // the real frame size. A 2-byte length counting itself, limit 10: a
    // frame of exactly 10 bytes on the wire decodes, 11 does not.
    let mut c = LengthPrefixed::builder()
        .width(Width::U16)
        .adjustment(-2)
        .max_frame_len(10)
        .build()
        .unwrap();
    assert_eq!(decode_one(&mut c, b"\x00\x0aabcdefgh"), "abcdefgh");
    let mut buf = BytesMut::from(&b"\x00\x0babcdefghi"[..]);
    let err = c.decode(&mut buf).unwrap_err();
    assert!(
        matches!(err, Error::FrameTooLong { len: 11, max: 10 }),
        "{err}"
    );
    assert!(buf.is_empty(), "the oversized frame's bytes are discarded");
}

#[test]
fn length_large_announcement_reserves_nothing() {
    let mut c = LengthPrefixed::new();
    let mut buf = BytesMut::with_capacity(64);
    buf.extend_from_slice(b"\x00\x7f\xff\xf0abc");
    assert_eq!(c.decode(&mut buf).unwrap(), None);
    assert!(buf.capacity() <= 64, "capacity grew to {}", buf.capacity());
}

#[test]
fn length_resync_after_oversize_keeps_buffered_frames() {
    let c = LengthPrefixed::builder().max_frame_len(10).build().unwrap();
    let mut wire = Vec::new();
    wire.extend_from_slice(b"\x00\x00\x00\x02ok");
    wire.extend_from_slice(b"\x00\x00\x00\x20");
    wire.extend_from_slice(&[b'x'; 0x20]);
    wire.extend_from_slice(b"\x00\x00\x00\x03yes\x00\x00\x00\x00");
    // Same result however the bytes arrive.
    for cuts in [vec![], (0..wire.len()).collect(), vec![5, 9, 20, 41]] {
        let mut c = c.clone();
        let out = run_all(&mut c, &wire, &cuts);
        assert_eq!(
            out.events,
            vec![
                Event::Frame(Bytes::from_static(b"ok")),
                Event::Err("frame of 36 bytes exceeds the limit of 10".into()),
                Event::Frame(Bytes::from_static(b"yes")),
                Event::Frame(Bytes::new()),
            ]
        );
    }
}

#[test]
fn length_corrupt_header_is_sticky() {
    let mut c = LengthPrefixed::builder()
        .width(Width::U8)
        .adjustment(-5)
        .build()
        .unwrap();
    let mut buf = BytesMut::from(&b"\x02ab\x01a"[..]);
    let e1 = c.decode(&mut buf).unwrap_err();
    assert_eq!(
        e1.to_string(),
        "corrupt length header: length plus adjustment is negative"
    );
    assert!(!e1.is_recoverable());
    assert!(matches!(
        c.decode(&mut buf),
        Err(Error::CorruptHeader { .. })
    ));
}

#[test]
fn length_varint_overlong_is_an_error_not_a_hang() {
    let mut c = LengthPrefixed::varint();
    let mut buf = BytesMut::from(&[0xffu8; 9][..]);
    assert_eq!(
        c.decode(&mut buf).unwrap(),
        None,
        "9 continuation bytes: wait"
    );
    buf.extend_from_slice(&[0xff]);
    let err = c.decode(&mut buf).unwrap_err();
    assert_eq!(
        err.to_string(),
        "corrupt length header: varint length is longer than 10 bytes"
    );
}

#[test]
fn length_decode_eof_reports_truncation() {
    let mut c = LengthPrefixed::new();
    let mut buf = BytesMut::from(&b"\x00\x00\x00\x05hel"[..]);
    assert_eq!(c.decode(&mut buf).unwrap(), None);
    let err = c.decode_eof(&mut buf).unwrap_err();
    assert!(matches!(err, Error::Truncated { buffered: 7 }), "{err}");
    assert_eq!(c.decode_eof(&mut buf).unwrap(), None);
    // A partial header is a truncation too; a clean end is not.
    let mut buf = BytesMut::from(&b"\x00\x00"[..]);
    assert!(matches!(
        c.decode_eof(&mut buf),
        Err(Error::Truncated { buffered: 2 })
    ));
    assert_eq!(c.decode_eof(&mut BytesMut::new()).unwrap(), None);
}

#[test]
fn length_encoder_refusals_write_nothing() {
    let mut dst = BytesMut::from(&b"keep"[..]);
    let mut u8c = LengthPrefixed::builder().width(Width::U8).build().unwrap();
    let err = u8c.encode(&[0u8; 256][..], &mut dst).unwrap_err();
    assert!(err.to_string().contains("outside 0..=255"), "{err}");
    let mut small = LengthPrefixed::builder().max_frame_len(8).build().unwrap();
    let err = small.encode(&b"12345"[..], &mut dst).unwrap_err();
    assert!(
        matches!(err, Error::FrameTooLong { len: 9, max: 8 }),
        "{err}"
    );
    let mut netty6 = LengthPrefixed::builder()
        .offset(1)
        .width(Width::U16)
        .adjustment(1)
        .strip(3)
        .build()
        .unwrap();
    assert!(matches!(
        netty6.encode(&b"x"[..], &mut dst),
        Err(Error::EncodeUnsupported { .. })
    ));
    let mut keep = LengthPrefixed::builder()
        .width(Width::U16)
        .strip(0)
        .build()
        .unwrap();
    assert!(matches!(
        keep.encode(&b"x"[..], &mut dst),
        Err(Error::Unencodable { .. })
    ));
    assert_eq!(&dst[..], b"keep");
}

#[test]
fn length_keep_header_encoder_writes_the_length() {
    let mut c = LengthPrefixed::builder()
        .offset(2)
        .width(Width::U24)
        .strip(0)
        .build()
        .unwrap();
    let mut item = cat(&[&[0xca, 0xfe], &[0, 0, 0], HELLO]);
    let mut dst = BytesMut::new();
    c.encode(&item[..], &mut dst).unwrap();
    item[4] = 0x0c;
    assert_eq!(&dst[..], &item[..]);
    assert_eq!(decode_one(&mut c, &dst), item);
}

// Interop with tokio-util's LengthDelimitedCodec in both directions.

fn tokio_codecs() -> Vec<(LengthDelimitedCodec, LengthPrefixed)> {
    vec![
        (LengthDelimitedCodec::new(), LengthPrefixed::new()),
        (
            LengthDelimitedCodec::builder().little_endian().new_codec(),
            LengthPrefixed::builder().little_endian().build().unwrap(),
        ),
        (
            LengthDelimitedCodec::builder()
                .length_field_type::<u16>()
                .new_codec(),
            LengthPrefixed::builder().width(Width::U16).build().unwrap(),
        ),
    ]
}

proptest! {
    #[test]
    fn length_interop_tokio_util(
        items in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..8),
        cuts in cuts_strategy(2500),
    ) {
        for (mut theirs, mut ours) in tokio_codecs() {
            // tokio-util encodes, framewise decodes.
            let mut wire = BytesMut::new();
            for item in &items {
                theirs.encode(Bytes::copy_from_slice(item), &mut wire).unwrap();
            }
            let out = run_all(&mut ours, &wire, &cuts);
            prop_assert_eq!(out.frames(), items.iter().map(|i| Bytes::copy_from_slice(i)).collect::<Vec<_>>());
            prop_assert!(out.errors().is_empty());
            // framewise encodes: the same bytes, which tokio-util decodes.
            let mut ours_wire = BytesMut::new();
            for item in &items {
                ours.encode(&item[..], &mut ours_wire).unwrap();
            }
            prop_assert_eq!(&ours_wire, &wire);
            let mut back = Vec::new();
            while let Some(f) = theirs.decode(&mut ours_wire).unwrap() {
                back.push(f.to_vec());
            }
            prop_assert_eq!(&back, &items);
        }
    }

    #[test]
    fn length_interop_prost_varint(
        items in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..400), 0..6),
        cuts in cuts_strategy(2500),
    ) {
        let mut wire = BytesMut::new();
        for item in &items {
            prost::encode_length_delimiter(item.len(), &mut wire).unwrap();
            wire.extend_from_slice(item);
        }
        let out = run_all(&mut LengthPrefixed::varint(), &wire, &cuts);
        prop_assert_eq!(out.frames(), items.iter().map(|i| Bytes::copy_from_slice(i)).collect::<Vec<_>>());
        let mut ours = BytesMut::new();
        for item in &items {
            LengthPrefixed::varint().encode(&item[..], &mut ours).unwrap();
        }
        prop_assert_eq!(&ours, &wire);
        let mut rest = &ours[..];
        for item in &items {
            let len = prost::decode_length_delimiter(rest).unwrap();
            prop_assert_eq!(len, item.len());
            rest = &rest[prost::length_delimiter_len(len)..];
            prop_assert_eq!(&rest[..len], &item[..]);
            rest = &rest[len..];
        }
    }
}

// A naive reference decoder, written plainly: the whole stream at once, no
// state carried between reads.

#[derive(Debug, Clone)]
struct Layout {
    width: Width,
    endian: Endian,
    offset: usize,
    adjustment: isize,
    strip: Option<usize>,
    max: usize,
}

impl Layout {
    fn build(&self) -> Option<LengthPrefixed> {
        let mut b = LengthPrefixed::builder()
            .width(self.width)
            .endian(self.endian)
            .offset(self.offset)
            .adjustment(self.adjustment)
            .max_frame_len(self.max);
        if let Some(s) = self.strip {
            b = b.strip(s);
        }
        b.build().ok()
    }

    fn encodable(&self) -> bool {
        (self.offset == 0 && self.strip.is_none())
            || (self.offset == 0 && self.strip.is_some() && self.strip == self.width.fixed_size())
            || (self.strip == Some(0) && self.width != Width::Varint)
    }
}

fn layout_strategy() -> impl Strategy<Value = Layout> {
    (
        prop_oneof![
            Just(Width::U8),
            Just(Width::U16),
            Just(Width::U24),
            Just(Width::U32),
            Just(Width::U64),
            Just(Width::Varint)
        ],
        prop_oneof![Just(Endian::Big), Just(Endian::Little)],
        0usize..4,
        -12isize..12,
        prop::option::of(0usize..14),
        1usize..400,
    )
        .prop_map(|(width, endian, offset, adjustment, strip, max)| Layout {
            width,
            endian,
            offset,
            adjustment,
            strip,
            max,
        })
}

/// What `LengthPrefixed` documents it may hold while waiting: less than the
/// limit, or than the longest possible header.
fn memory_bound(l: &Layout) -> usize {
    l.max.max(l.offset + l.width.fixed_size().unwrap_or(10))
}

/// The reference (shared with the fuzz checks): a plain length-prefixed
/// decoder over the whole stream.
fn naive(l: &Layout, data: &[u8]) -> Vec<Event<Bytes>> {
    let layout = checks::Layout {
        width: l.width,
        big: l.endian == Endian::Big,
        offset: l.offset,
        adjustment: l.adjustment,
        strip: l.strip,
        max: l.max,
    };
    from_reference(checks::naive_length(&layout, data))
}

/// Streams that look like frames of the layout (so they are not all errors):
/// a mix of honest frames and arbitrary bytes.
fn stream_for(l: &Layout, payloads: &[Vec<u8>], noise: &[u8]) -> Vec<u8> {
    let mut wire = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        let value = p.len() as i128 - l.adjustment as i128;
        wire.extend(std::iter::repeat_n(0xab, l.offset));
        let v = value.clamp(0, i128::from(l.width.max_value())) as u64;
        match l.width.fixed_size() {
            Some(n) => {
                let be = v.to_be_bytes();
                let mut field = be[8 - n..].to_vec();
                if l.endian == Endian::Little {
                    field.reverse();
                }
                wire.extend(field);
            }
            None => {
                let mut v = v;
                while v >= 0x80 {
                    wire.push(v as u8 | 0x80);
                    v >>= 7;
                }
                wire.push(v as u8);
            }
        }
        wire.extend_from_slice(p);
        if i == payloads.len() / 2 {
            wire.extend_from_slice(noise);
        }
    }
    wire
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn length_matches_naive_decoder_under_any_split(
        l in layout_strategy(),
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..60), 0..6),
        noise in prop::collection::vec(any::<u8>(), 0..8),
        cuts in cuts_strategy(500),
    ) {
        let Some(mut codec) = l.build() else { return Ok(()); };
        let wire = stream_for(&l, &payloads, &noise);
        let out = run_all(&mut codec, &wire, &cuts);
        prop_assert_eq!(&out.events, &naive(&l, &wire));
        // Memory: what the decoder waits on is part of one frame within the
        // limit, or an incomplete header (a varint takes up to 10 bytes).
        prop_assert!(out.max_buffered < memory_bound(&l), "buffered {} of limit {}", out.max_buffered, l.max);
        for f in out.frames() {
            prop_assert!(f.len() <= l.max);
        }
    }

    #[test]
    fn length_arbitrary_bytes_never_panic(
        l in layout_strategy(),
        wire in prop::collection::vec(any::<u8>(), 0..600),
        cuts in cuts_strategy(600),
    ) {
        let Some(mut codec) = l.build() else { return Ok(()); };
        let out = run_all(&mut codec, &wire, &cuts);
        prop_assert_eq!(&out.events, &naive(&l, &wire));
        prop_assert!(out.max_buffered < memory_bound(&l));
    }

    #[test]
    fn length_round_trip_any_layout_any_split(
        l in layout_strategy(),
        payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..80), 0..8),
        cuts in cuts_strategy(800),
    ) {
        let Some(mut codec) = l.build() else { return Ok(()); };
        let mut wire = BytesMut::new();
        let mut accepted = Vec::new();
        for p in &payloads {
            // With a kept header, the item is the whole frame: prefix bytes,
            // then the length field with the value the encoder must write.
            let item = if l.strip == Some(0) {
                let field = l.width.fixed_size().unwrap_or(1);
                let mut item = vec![0xab; l.offset];
                let v = (p.len() as i128 - l.adjustment as i128).max(0) as u64;
                let mut f = v.to_be_bytes()[8 - field.min(8)..].to_vec();
                if l.endian == Endian::Little { f.reverse(); }
                item.extend(f);
                item.extend_from_slice(p);
                item
            } else {
                p.clone()
            };
            let before = wire.clone();
            match codec.encode(&item[..], &mut wire) {
                Ok(()) => accepted.push(Bytes::from(item)),
                Err(e) => {
                    prop_assert_eq!(&wire, &before, "refusal wrote bytes: {}", e);
                    let expected_refusal = !l.encodable()
                        || matches!(e, Error::FrameTooLong { .. } | Error::Unencodable { .. });
                    prop_assert!(expected_refusal, "unexpected refusal {e}");
                }
            }
        }
        if l.encodable() {
            // Every payload within the width and the limit must be accepted.
            let fits = |p: &Vec<u8>| {
                let v = p.len() as i128 - l.adjustment as i128;
                let header = l.offset + match l.width { Width::Varint => 10, w => w.fixed_size().unwrap() };
                v >= 0 && v <= i128::from(l.width.max_value()) && p.len() + header <= l.max
            };
            prop_assert!(accepted.len() >= payloads.iter().filter(|p| fits(p)).count());
        } else {
            prop_assert!(accepted.is_empty());
        }
        let out = run_all(&mut codec, &wire, &cuts);
        prop_assert_eq!(out.frames(), accepted);
        prop_assert!(out.errors().is_empty(), "{:?}", out.errors());
    }
}
