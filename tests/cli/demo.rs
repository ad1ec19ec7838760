//! The demo shows what it says: counts of reads against messages, frames
//! equal to what was sent, UDP boundaries and truncation, and the same text
//! on every run.
#![cfg(feature = "demo")]
#![allow(
    clippy::single_range_in_vec_init,
    reason = "framing is compared with lists of byte ranges, often of one range"
)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use framewise::demo::{
    self, CodecReport, DEFAULT_CODECS, DemoOptions, LONG_MESSAGE, MESSAGES, Report, Which,
};

async fn run(which: Which, codec: Option<&str>) -> (Report, String) {
    let options = DemoOptions {
        which,
        codec: codec.map(|spec| spec.parse().unwrap()),
        color: false,
    };
    let mut out = Vec::new();
    let report = demo::run(&options, &mut out).await.unwrap();
    (report, String::from_utf8(out).unwrap())
}

async fn one_codec(spec: &str) -> CodecReport {
    let (report, _) = run(Which::Codecs, Some(spec)).await;
    assert_eq!(report.codecs.len(), 1);
    report.codecs.into_iter().next().unwrap()
}

fn messages() -> Vec<Bytes> {
    MESSAGES.iter().map(|m| Bytes::from(*m)).collect()
}

/// Replaces every `127.0.0.1:<port>` port with `PORT`.
fn mask_ports(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("127.0.0.1:") {
        let (head, tail) = rest.split_at(at + "127.0.0.1:".len());
        out.push_str(head);
        let digits = tail.len() - tail.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            out.push_str("PORT");
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // ESC [ ... m
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[tokio::test]
async fn sticky_four_messages_one_read() {
    let (report, text) = run(Which::Sticky, None).await;
    let sticky = report.sticky.unwrap();
    assert_eq!(sticky.messages, messages());
    // Fewer reads than messages: all four glued into one.
    assert_eq!(sticky.reads.len(), 1);
    assert!(sticky.reads.len() < sticky.messages.len());
    assert_eq!(sticky.reads[0], "hellojameshow are you?bye");
    assert!(sticky.bytes_match());
    assert!(report.split.is_none() && report.codecs.is_empty() && report.udp.is_none());

    // The picture: each write under its bytes, the one read under them all.
    assert!(text.contains("write 1   5 bytes  |hello|\n"), "{text}");
    assert!(text.contains("write 2   5 bytes       |james|\n"), "{text}");
    assert!(
        text.contains("write 4   3 bytes                        |bye|\n"),
        "{text}"
    );
    assert!(
        text.contains("read  1  25 bytes  |hellojameshow are you?bye|\n"),
        "{text}"
    );
    assert!(text.contains("4 messages arrived in 1 read"), "{text}");
}

#[tokio::test]
async fn split_one_message_many_reads() {
    let (report, text) = run(Which::Split, None).await;
    let split = report.split.unwrap();
    assert_eq!(split.messages, [LONG_MESSAGE]);
    assert_eq!(LONG_MESSAGE.len(), 51);
    assert_eq!(split.read_size, 16);
    // More reads than messages: 16 + 16 + 16 + 3 bytes.
    let lens: Vec<usize> = split.reads.iter().map(Bytes::len).collect();
    assert_eq!(lens, [16, 16, 16, 3]);
    assert!(split.reads.len() > split.messages.len());
    assert!(split.bytes_match());

    // Each read is drawn under the part of the message it holds.
    assert!(
        text.contains("read  2  16 bytes                  |, longer than th|\n"),
        "{text}"
    );
    assert!(text.contains("1 message arrived in 4 reads"), "{text}");
}

/// Frames equal to what was sent, the reads cut across frames, and the wire
/// is the frames' encodings back to back.
fn assert_cured(codec: &CodecReport) {
    assert!(
        codec.errors.is_empty(),
        "{}: {:?}",
        codec.codec,
        codec.errors
    );
    assert_eq!(codec.frames, codec.sent, "{}", codec.codec);
    assert!(codec.frames_match());
    let wire: Vec<u8> = codec.wire.iter().flat_map(|w| w.bytes.to_vec()).collect();
    assert_eq!(codec.received, wire, "{}", codec.codec);
    assert_eq!(codec.reads.iter().sum::<usize>(), wire.len());
    assert!(codec.reads.iter().all(|&n| n <= codec.read_size));

    // Some read ends inside a frame (split), and some read holds the end of
    // one frame and the start of the next (sticky).
    let mut frame_ends = Vec::new();
    let mut at = 0;
    for w in &codec.wire {
        at += w.bytes.len();
        frame_ends.push(at);
    }
    let mut read_ends = Vec::new();
    let mut at = 0;
    for n in &codec.reads {
        at += n;
        read_ends.push(at);
    }
    assert!(
        read_ends.iter().any(|e| !frame_ends.contains(e)),
        "{}",
        codec.codec
    );
    let mut start = 0;
    let sticky = read_ends.iter().any(|&end| {
        let inside = frame_ends.iter().any(|&f| start < f && f < end);
        start = end;
        inside
    });
    assert!(sticky, "{}: no read spans two frames", codec.codec);
}

#[tokio::test]
async fn codecs_default_set_each_gives_back_the_messages() {
    let (report, text) = run(Which::Codecs, None).await;
    let specs: Vec<&str> = report.codecs.iter().map(|c| c.codec.as_str()).collect();
    assert_eq!(specs, DEFAULT_CODECS);
    for codec in &report.codecs {
        assert_cured(codec);
        assert!(codec.refused.is_empty());
    }

    // length: a 4-byte big-endian header, marked.
    let length = &report.codecs[0];
    assert_eq!(length.sent, messages());
    for (w, m) in length.wire.iter().zip(MESSAGES) {
        assert_eq!(w.framing, [0..4]);
        assert_eq!(&w.bytes[..4], (m.len() as u32).to_be_bytes());
        assert_eq!(&w.bytes[4..], m.as_bytes());
    }
    assert_eq!(length.received.len(), 41);
    assert_eq!(length.reads, [8, 8, 8, 8, 8, 1]);

    // lines: the \n delimiter, marked.
    let lines = &report.codecs[1];
    assert_eq!(lines.sent, messages());
    for (w, m) in lines.wire.iter().zip(MESSAGES) {
        assert_eq!(w.framing, [m.len()..m.len() + 1]);
        assert_eq!(w.bytes[m.len()], b'\n');
    }

    // fixed:12: shorter messages padded to 12 bytes; no framing bytes.
    let fixed = &report.codecs[2];
    let padded: Vec<Bytes> = MESSAGES
        .iter()
        .map(|m| Bytes::from(format!("{m:<12}")))
        .collect();
    assert_eq!(fixed.sent, padded);
    assert!(
        fixed
            .wire
            .iter()
            .all(|w| w.framing.is_empty() && w.bytes.len() == 12)
    );

    // cobs: a code byte first, the closing 00 last, both marked.
    let cobs = &report.codecs[3];
    assert_eq!(cobs.sent, messages());
    for (w, m) in cobs.wire.iter().zip(MESSAGES) {
        let n = w.bytes.len();
        assert_eq!(w.framing, [0..1, n - 1..n]);
        assert_eq!(w.bytes[0] as usize, m.len() + 1);
        assert_eq!(w.bytes[n - 1], 0);
    }

    // The wire in hex, framing bytes bracketed.
    assert!(
        text.contains("\"hello\"         \"hello\"         [00 00 00 05] 68 65 6c 6c 6f\n"),
        "{text}"
    );
    assert!(text.contains("68 65 6c 6c 6f [0a]\n"), "{text}");
    assert!(text.contains("[06] 68 65 6c 6c 6f [00]\n"), "{text}");
    assert!(text.contains("\"bye         \""), "{text}");
    assert_eq!(
        text.matches("4 frames out, each as sent.").count(),
        4,
        "{text}"
    );
}

#[tokio::test]
async fn codec_option_shows_any_one_codec() {
    for spec in [
        "length:varint",
        "length:u16le",
        "delim:\\r\\n",
        "lines-crlf",
        "cobs,max=64",
    ] {
        let codec = one_codec(spec).await;
        assert_eq!(codec.codec, spec);
        assert_eq!(codec.sent, messages());
        assert_cured(&codec);
    }
    let crlf = one_codec("delim:\\r\\n").await;
    assert!(crlf.wire.iter().all(|w| w.bytes.ends_with(b"\r\n")));
    let varint = one_codec("length:varint").await;
    assert!(varint.wire.iter().all(|w| w.framing == [0..1]));
}

#[tokio::test]
async fn fixed_codec_refuses_longer_messages() {
    let codec = one_codec("fixed:8").await;
    assert_eq!(codec.refused.len(), 1);
    assert_eq!(codec.refused[0].0, "how are you?");
    assert_eq!(codec.sent, ["hello   ", "james   ", "bye     "]);
    assert_eq!(codec.frames, codec.sent);
}

#[tokio::test]
async fn raw_codec_keeps_the_problem() {
    let codec = one_codec("raw").await;
    // The bytes all arrive, but the frames are the reads, not the messages.
    assert_eq!(codec.sent, messages());
    assert_ne!(codec.frames, codec.sent);
    assert!(!codec.frames_match());
    assert_eq!(codec.frames.concat(), codec.sent.concat());
    let lens: Vec<usize> = codec.frames.iter().map(Bytes::len).collect();
    assert_eq!(lens, codec.reads);
    assert_eq!(lens, [8, 8, 8, 1]);
}

#[tokio::test]
async fn udp_boundaries_truncation_and_the_empty_datagram() {
    let (report, text) = run(Which::Udp, None).await;
    let udp = report.udp.unwrap();

    // One datagram per recv_from, in order, each whole.
    let b = &udp.boundaries;
    assert_eq!(b.sent, messages());
    let got: Vec<Bytes> = b.received.iter().map(|r| r.bytes.clone()).collect();
    assert_eq!(got, b.sent);
    assert!(b.received.iter().all(|r| r.buffer_len == 1024));

    // The small buffer: exactly buffer-size bytes, the rest gone, and the
    // next recv_from gets the next datagram.
    let t = &udp.truncation;
    assert_eq!(t.sent, ["how are you?", "bye"]);
    let cut = &t.received[0];
    assert_eq!(cut.buffer_len, 4);
    assert_eq!(cut.bytes.len(), cut.buffer_len);
    assert!(cut.bytes.len() < t.sent[0].len());
    assert_eq!(cut.bytes, "how ");
    assert_eq!(t.received[1].bytes, "bye");
    assert_eq!(t.received.len(), 2);

    // The empty datagram arrives as a 0-byte message, then the next one.
    let e = &udp.empty;
    assert_eq!(e.sent, ["", "after"]);
    assert_eq!(e.received[0].bytes.len(), 0);
    assert_eq!(e.received[1].bytes, "after");

    assert!(
        text.contains("recv_from 1   4 bytes  |how |  4-byte buffer: \"are you?\" lost\n"),
        "{text}"
    );
    assert!(text.contains("recv_from 1   0 bytes  ||"), "{text}");
}

#[tokio::test]
async fn two_runs_print_the_same_apart_from_ports() {
    let started = Instant::now();
    let (first, text1) = run(Which::All, None).await;
    let (_, text2) = run(Which::All, None).await;
    // Two full runs, well within a few seconds.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(text1.contains("127.0.0.1:"));
    assert_eq!(mask_ports(&text1), mask_ports(&text2));
    for section in ["1. sticky", "2. split", "3. the cure", "4. UDP", "In short"] {
        assert!(text1.contains(section), "{section} missing:\n{text1}");
    }
    assert!(!text1.contains('\x1b'), "colour without asking");

    // The same report rendered again gives the same text; with colour, the
    // same text once the escapes are removed.
    let mut plain = Vec::new();
    demo::render(&first, false, &mut plain).unwrap();
    assert_eq!(String::from_utf8(plain).unwrap(), text1);
    let mut colored = Vec::new();
    demo::render(&first, true, &mut colored).unwrap();
    let colored = String::from_utf8(colored).unwrap();
    assert!(colored.contains('\x1b'));
    assert_eq!(strip_ansi(&colored), text1);
}

#[test]
fn which_names_round_trip() {
    for name in Which::NAMES {
        assert_eq!(name.parse::<Which>().unwrap().to_string(), name);
    }
    assert_eq!(Which::default(), Which::All);
    assert!("everything".parse::<Which>().is_err());
}

#[test]
fn mask_ports_masks_only_ports() {
    assert_eq!(
        mask_ports("TCP 127.0.0.1:4321 -> 127.0.0.1:80, 127.0.0.1"),
        "TCP 127.0.0.1:PORT -> 127.0.0.1:PORT, 127.0.0.1"
    );
}

/// A frame's layout as (part, bytes) pairs.
type Parts = Vec<(framewise::WirePart, Vec<u8>)>;

/// The parts of the first wire frame ("hello").
fn hello_layout(codec: &CodecReport) -> Parts {
    let w = &codec.wire[0];
    w.layout
        .iter()
        .map(|s| (s.part, w.bytes[s.range.clone()].to_vec()))
        .collect()
}

#[tokio::test]
async fn codec_option_shows_every_new_framing() {
    use framewise::WirePart::{Checksum, Code, End, Header, Payload};
    let hello = b"hello".to_vec();
    let cases: [(&str, Parts, &str); 10] = [
        (
            "netstring",
            vec![
                (Header, b"5:".to_vec()),
                (Payload, hello.clone()),
                (End, b",".to_vec()),
            ],
            "[35 3a] 68 65 6c 6c 6f [2c]\n",
        ),
        (
            "slip",
            vec![(Payload, hello.clone()), (End, vec![0xc0])],
            "68 65 6c 6c 6f [c0]\n",
        ),
        (
            "slip:lead",
            vec![
                (Header, vec![0xc0]),
                (Payload, hello.clone()),
                (End, vec![0xc0]),
            ],
            "[c0] 68 65 6c 6c 6f [c0]\n",
        ),
        (
            "hdlc",
            vec![
                (Header, vec![0x7e]),
                (Payload, hello.clone()),
                (End, vec![0x7e]),
            ],
            "[7e] 68 65 6c 6c 6f [7e]\n",
        ),
        (
            "dle",
            vec![
                (Header, vec![0x10, 2]),
                (Payload, hello.clone()),
                (End, vec![0x10, 3]),
            ],
            "[10 02] 68 65 6c 6c 6f [10 03]\n",
        ),
        (
            "octets",
            vec![(Header, b"5 ".to_vec()), (Payload, hello.clone())],
            "[35 20] 68 65 6c 6c 6f\n",
        ),
        (
            "hexlen:4",
            vec![(Header, b"0005".to_vec()), (Payload, hello.clone())],
            "[30 30 30 35] 68 65 6c 6c 6f\n",
        ),
        (
            "length:varint4",
            vec![(Header, vec![5]), (Payload, hello.clone())],
            "[05] 68 65 6c 6c 6f\n",
        ),
        (
            "cobs,crc=crc16-xmodem",
            vec![
                (Code, vec![8]),
                (Payload, hello.clone()),
                (Checksum, vec![0xc3, 0x62]),
                (End, vec![0]),
            ],
            "[08] 68 65 6c 6c 6f [c3 62] [00]\n",
        ),
        (
            "length:u16,crc=crc32",
            vec![
                (Header, vec![0, 9]),
                (Payload, hello.clone()),
                (Checksum, vec![0x86, 0xa6, 0x10, 0x36]),
            ],
            "[00 09] 68 65 6c 6c 6f [86 a6 10 36]\n",
        ),
    ];
    for (spec, layout, hex) in cases {
        let (report, text) = run(Which::Codecs, Some(spec)).await;
        let codec = &report.codecs[0];
        assert_eq!(codec.codec, spec);
        assert_eq!(codec.sent, messages(), "{spec}");
        assert!(codec.refused.is_empty(), "{spec}");
        assert_cured(codec);
        assert_eq!(hello_layout(codec), layout, "{spec}");
        // `framing` is every run that is not payload.
        for w in &codec.wire {
            let framing: Vec<_> = w
                .layout
                .iter()
                .filter(|s| s.part.is_framing())
                .map(|s| s.range.clone())
                .collect();
            assert_eq!(w.framing, framing, "{spec}");
        }
        assert!(
            text.contains(&format!("--codec {spec}: {}", codec.description)),
            "{text}"
        );
        assert!(text.contains(hex), "{spec}: {hex:?} not in\n{text}");
    }
}

#[tokio::test]
async fn codec_escapes_are_marked() {
    use framewise::WirePart::{End, Escape, Payload};
    // A message holding the bytes SLIP escapes, through a codec value.
    let codec = framewise::AnyCodec::from(framewise::Slip::new());
    let mut wire = bytes::BytesMut::new();
    tokio_util::codec::Encoder::encode(&mut codec.clone(), &b"a\xc0b\xdb"[..], &mut wire).unwrap();
    let parts: Vec<_> = codec
        .wire_layout(&wire)
        .unwrap()
        .into_iter()
        .map(|s| (s.part, s.range))
        .collect();
    assert_eq!(
        parts,
        [
            (Payload, 0..1),
            (Escape, 1..2),
            (Payload, 2..4),
            (Escape, 4..5),
            (Payload, 5..6),
            (End, 6..7)
        ]
    );
}

#[tokio::test]
async fn codec_value_with_a_layout_no_spec_expresses() {
    // Netty's example 6: 0xCA, a u16 length, 0xFE, then the payload; the
    // demo sends the header bytes the layout keeps as part of each item.
    let layout = framewise::LengthPrefixed::builder()
        .offset(1)
        .width(framewise::Width::U16)
        .build()
        .unwrap();
    let options = DemoOptions {
        which: Which::Codecs,
        codec: Some(layout.into()),
        color: false,
    };
    let mut out = Vec::new();
    let report = demo::run(&options, &mut out).await.unwrap();
    let codec = &report.codecs[0];
    assert_eq!(
        codec.codec,
        "length(u16be, offset=1, adjustment=0, max=8388608)"
    );
    assert!(
        codec.description.contains("after 1 more header bytes"),
        "{}",
        codec.description
    );
    // The encoder cannot write an offset layout; every message is refused,
    // and the demo says so instead of failing.
    assert_eq!(codec.refused.len(), MESSAGES.len());
    assert!(codec.wire.is_empty());
}
