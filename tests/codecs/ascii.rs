//! ASCII lengths: the netstring spec's examples, RFC 6587 octet counting with
//! RFC 5424's example messages, adb's hex lengths, limits (digits without
//! end), corrupt headers, and properties under arbitrary read splits against
//! the plain reference decoder.

use crate::support::codec::checks;
use crate::support::codec::{Event, cuts_strategy, encode_all, run_all};
use bytes::{Bytes, BytesMut};
use checks::Max;
use checks::framings::{AsciiChoice, DecodeAsciiInput, RoundTripAsciiInput};
use framewise::{Error, HexLength, Netstring, OctetCounting};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, Encoder};

fn frame(b: &[u8]) -> Event<Bytes> {
    Event::Frame(Bytes::copy_from_slice(b))
}

fn err(s: &str) -> Event<Bytes> {
    Event::Err(s.to_string())
}

/// Runs `stream` in one read, a byte at a time and cut in two; all three
/// must give `want`.
fn every_split<D>(codec: &D, stream: &[u8], want: &[Event<Bytes>])
where
    D: crate::support::codec::Codec + Decoder<Item = Bytes>,
{
    for cuts in [vec![], (0..stream.len()).collect(), vec![stream.len() / 2]] {
        let out = run_all(&mut codec.clone(), stream, &cuts);
        assert_eq!(out.events, want, "cuts {cuts:?}");
    }
}

fn encode<E: for<'a> Encoder<&'a [u8], Error = Error>>(codec: &mut E, item: &[u8]) -> Vec<u8> {
    let mut wire = BytesMut::new();
    codec.encode(item, &mut wire).expect("encodes");
    wire.to_vec()
}

// Netstrings: https://cr.yp.to/proto/netstrings.txt

#[test]
fn netstring_spec_examples() {
    // "the string "hello world!" is encoded as <31 32 3a 68 65 6c 6c 6f 20
    // 77 6f 72 6c 64 21 2c>"; "the empty string is encoded as "0:,"".
    let hello = b"\x31\x32\x3a\x68\x65\x6c\x6c\x6f\x20\x77\x6f\x72\x6c\x64\x21\x2c";
    assert_eq!(encode(&mut Netstring::new(), b"hello world!"), hello);
    assert_eq!(encode(&mut Netstring::new(), b""), b"0:,");
    let stream = [&hello[..], b"0:,"].concat();
    every_split(
        &Netstring::new(),
        &stream,
        &[frame(b"hello world!"), frame(b"")],
    );
}

#[test]
fn netstring_takes_the_payload_by_length_not_by_comma() {
    // tokio-netstring splits at the first ',' instead.
    every_split(
        &Netstring::new(),
        b"5:a,b,c,3:,,,,",
        &[frame(b"a,b,c"), frame(b",,,")],
    );
}

#[test]
fn netstring_leading_zero_is_corrupt() {
    // "[len] begins with <30> exactly when [string] is empty".
    every_split(
        &Netstring::new(),
        b"05:hello,",
        &[err("corrupt length header: the length has a leading zero")],
    );
}

#[test]
fn netstring_missing_comma_is_corrupt_and_repeated() {
    let mut codec = Netstring::new();
    let mut buf = BytesMut::from(&b"5:hello;3:abc,"[..]);
    for _ in 0..2 {
        let e = codec.decode(&mut buf).unwrap_err();
        assert_eq!(
            e.to_string(),
            "corrupt length header: the payload is not followed by ','"
        );
        assert!(!e.is_recoverable());
    }
}

#[test]
fn netstring_non_digit_and_empty_length_are_corrupt() {
    every_split(
        &Netstring::new(),
        b"1x:a,",
        &[err(
            "corrupt length header: the length holds a byte that is not a digit",
        )],
    );
    every_split(
        &Netstring::new(),
        b":a,",
        &[err("corrupt length header: the length is empty")],
    );
}

#[test]
fn netstring_oversize_is_skipped_and_the_comma_still_checked() {
    let codec = Netstring::new().with_max_frame_len(4);
    every_split(
        &codec,
        b"6:abcdef,2:ok,",
        &[err("frame of 6 bytes exceeds the limit of 4"), frame(b"ok")],
    );
    every_split(
        &codec,
        b"6:abcdef;2:ok,",
        &[
            err("frame of 6 bytes exceeds the limit of 4"),
            err("corrupt length header: the payload is not followed by ','"),
        ],
    );
}

#[test]
fn netstring_digits_without_end_are_reported_at_the_first_digit_too_many() {
    // The limit 99 has 2 digits: a third digit cannot be a frame within it.
    let codec = Netstring::new().with_max_frame_len(99);
    let mut stream = b"123".to_vec();
    stream.extend(std::iter::repeat_n(b'9', 10_000));
    let out = run_all(
        &mut codec.clone(),
        &stream,
        &(0..stream.len()).step_by(100).collect::<Vec<_>>(),
    );
    assert_eq!(
        out.events,
        vec![err("frame of 123 bytes exceeds the limit of 99")]
    );
    assert!(out.max_buffered <= 2, "held {} bytes", out.max_buffered);
    // Once the separator arrives, the announced payload is skipped and
    // the next frame decodes.
    every_split(
        &codec,
        b"100:0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789,2:ok,",
        &[err("frame of 100 bytes exceeds the limit of 99"), frame(b"ok")],
    );
}

#[test]
fn netstring_encoder_refuses_over_the_limit() {
    let mut wire = BytesMut::new();
    let e = Netstring::new()
        .with_max_frame_len(3)
        .encode(&b"abcd"[..], &mut wire)
        .unwrap_err();
    assert!(matches!(e, Error::FrameTooLong { len: 4, max: 3 }));
    assert!(wire.is_empty());
}

#[test]
fn netstring_truncated_at_end_of_stream() {
    every_split(
        &Netstring::new(),
        b"2:ok,5:hel",
        &[
            frame(b"ok"),
            err("stream ended in the middle of a frame, with 5 bytes of it buffered"),
        ],
    );
}

// RFC 6587 octet counting: SYSLOG-FRAME = MSG-LEN SP SYSLOG-MSG,
// MSG-LEN = NONZERO-DIGIT *DIGIT; the messages are RFC 5424's examples.

const RFC5424_EXAMPLES: [&[u8]; 3] = [
    b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xef\xbb\xbf'su root' failed for lonvick on /dev/pts/8",
    b"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
    b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] \xef\xbb\xbfAn application event log entry...",
];

#[test]
fn octets_rfc6587_frames_of_rfc5424_examples() {
    let mut codec = OctetCounting::new();
    let mut stream = Vec::new();
    for msg in RFC5424_EXAMPLES {
        let wire = encode(&mut codec, msg);
        let header = format!("{} ", msg.len());
        assert_eq!(&wire[..header.len()], header.as_bytes());
        assert_eq!(&wire[header.len()..], msg);
        stream.extend(wire);
    }
    // The first frame, counted by hand: 110 bytes (the BOM is 3).
    assert!(stream.starts_with(b"110 <34>1 2003"));
    let want: Vec<_> = RFC5424_EXAMPLES.iter().map(|m| frame(m)).collect();
    every_split(&OctetCounting::new(), &stream, &want);
}

#[test]
fn octets_zero_length_is_not_in_the_grammar() {
    every_split(
        &OctetCounting::new(),
        b"0 ",
        &[err("corrupt length header: the length starts with 0")],
    );
    every_split(
        &OctetCounting::new(),
        b"012 abc",
        &[err("corrupt length header: the length starts with 0")],
    );
    let mut wire = BytesMut::new();
    let e = OctetCounting::new()
        .encode(&b""[..], &mut wire)
        .unwrap_err();
    assert!(matches!(e, Error::Unencodable { .. }), "{e}");
}

#[test]
fn octets_newline_framed_peer_is_corrupt_not_guessed() {
    every_split(
        &OctetCounting::new(),
        b"<34>1 hello\n",
        &[err(
            "corrupt length header: the length holds a byte that is not a digit",
        )],
    );
}

#[test]
fn octets_digits_without_end_are_reported() {
    // The default limit (8 MiB = 8388608) has 7 digits: the 8th is too many.
    let stream = vec![b'1'; 5000];
    let out = run_all(
        &mut OctetCounting::new(),
        &stream,
        &(0..5000).step_by(9).collect::<Vec<_>>(),
    );
    assert_eq!(
        out.events,
        vec![err("frame of 11111111 bytes exceeds the limit of 8388608")]
    );
    assert!(out.max_buffered <= 7);
}

// Fixed-width hex lengths, as adb's host protocol writes them.

#[test]
fn hexlen_adb_host_version() {
    // adb's OVERVIEW.TXT: the client sends "000Chost:version".
    assert_eq!(
        encode(
            &mut HexLength::new(4).unwrap().with_uppercase(true),
            b"host:version"
        ),
        b"000Chost:version"
    );
    // adb's own client writes "%04x".
    assert_eq!(
        encode(&mut HexLength::new(4).unwrap(), b"host:version"),
        b"000chost:version"
    );
    every_split(
        &HexLength::new(4).unwrap(),
        b"000Chost:version000chost:version0004OKAY0000",
        &[
            frame(b"host:version"),
            frame(b"host:version"),
            frame(b"OKAY"),
            frame(b""),
        ],
    );
}

#[test]
fn hexlen_non_hex_digit_is_corrupt() {
    every_split(
        &HexLength::new(4).unwrap(),
        b"00g1abc",
        &[err(
            "corrupt length header: the length holds a byte that is not a hex digit",
        )],
    );
}

#[test]
fn hexlen_field_width_bounds_encoding_and_limit() {
    let codec = HexLength::new(2).unwrap();
    assert_eq!(codec.max_frame_len(), 255);
    let mut wire = BytesMut::new();
    let e = codec
        .clone()
        .with_max_frame_len(1000)
        .encode(&[0u8; 256][..], &mut wire)
        .unwrap_err();
    assert!(matches!(e, Error::Unencodable { .. }), "{e}");
    assert!(wire.is_empty());
    every_split(
        &codec.with_max_frame_len(2),
        b"03abc02ok",
        &[err("frame of 3 bytes exceeds the limit of 2"), frame(b"ok")],
    );
    assert!(HexLength::new(17).is_err());
    assert_eq!(HexLength::new(16).unwrap().max_frame_len(), 8 << 20);
}

fn items() -> impl Strategy<Value = Vec<Vec<u8>>> {
    proptest::collection::vec(
        proptest::collection::vec(
            prop_oneof![Just(b','), Just(b':'), Just(b'0'), Just(b' '), any::<u8>()],
            1..80,
        ),
        0..8,
    )
}

proptest! {
    #[test]
    fn ascii_round_trip_any_split(items in items(), which in 0..3u8, cuts in cuts_strategy(800)) {
        let want: Vec<Event<Bytes>> = items.iter().map(|i| frame(i)).collect();
        let out = match which {
            0 => {
                let mut c = Netstring::new();
                let wire = encode_all(&mut c, items.iter().map(|i| &i[..]));
                run_all(&mut c, &wire, &cuts)
            }
            1 => {
                let mut c = OctetCounting::new();
                let wire = encode_all(&mut c, items.iter().map(|i| &i[..]));
                run_all(&mut c, &wire, &cuts)
            }
            _ => {
                let mut c = HexLength::new(4).unwrap();
                let wire = encode_all(&mut c, items.iter().map(|i| &i[..]));
                run_all(&mut c, &wire, &cuts)
            }
        };
        prop_assert_eq!(out.events, want);
    }

    /// Any bytes, any split, any limit: the plain reference decoder's events
    /// (the fuzz target's check).
    #[test]
    fn ascii_matches_reference_on_any_bytes(
        choice in prop_oneof![
            Just(AsciiChoice::Netstring),
            Just(AsciiChoice::Octets),
            (0u8..18, any::<bool>()).prop_map(|(width, upper)| AsciiChoice::Hex { width, upper }),
        ],
        max in prop_oneof![Just(None), (0u8..120).prop_map(|n| Some(Max::Small(n)))],
        data in proptest::collection::vec(any::<u8>(), 0..200),
        cuts in proptest::collection::vec(any::<u16>(), 0..12),
    ) {
        checks::framings::check_decode_ascii(DecodeAsciiInput {
            choice, max, small_alphabet: true, cuts, data,
        });
    }

    #[test]
    fn ascii_round_trip_reference_encoding(
        choice in prop_oneof![
            Just(AsciiChoice::Netstring),
            Just(AsciiChoice::Octets),
            (0u8..18, any::<bool>()).prop_map(|(width, upper)| AsciiChoice::Hex { width, upper }),
        ],
        items in proptest::collection::vec(
            (proptest::collection::vec(any::<u8>(), 0..40), any::<bool>()), 0..6),
        max in prop_oneof![Just(None), (0u8..50).prop_map(|n| Some(Max::Small(n)))],
        cuts in proptest::collection::vec(any::<u16>(), 0..12),
    ) {
        checks::framings::check_roundtrip_ascii(RoundTripAsciiInput {
            choice,
            max,
            items: items
                .into_iter()
                .map(|(data, as_bytes)| checks::Item { data, as_bytes })
                .collect(),
            cuts,
        });
    }
}
