//! `framewise decode`, the real binary, on captured streams in files (every
//! codec, whole and truncated), on stdin, on hex text, and replayed in
//! given read sizes.

#![cfg(unix)]

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::support::tap::{BIN, Json, events, run_to_end, select};
use bytes::{Bytes, BytesMut};
use framewise::AnyCodec;
use tokio_util::codec::Encoder;

fn encode(spec: &str, payloads: &[&[u8]]) -> Vec<u8> {
    let mut codec: AnyCodec = spec.parse().unwrap();
    let mut wire = BytesMut::new();
    for p in payloads {
        codec.encode(Bytes::copy_from_slice(p), &mut wire).unwrap();
    }
    wire.to_vec()
}

/// A file of `bytes` in the temporary directory, removed on drop.
struct Capture(PathBuf);

impl Capture {
    fn new(name: &str, bytes: &[u8]) -> Capture {
        let path = std::env::temp_dir().join(format!(
            "framewise-decode-{}-{name}.bin",
            std::process::id()
        ));
        std::fs::write(&path, bytes).unwrap();
        Capture(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `framewise decode args...` with `stdin`, bounded in time.
fn decode(args: &[&str], stdin: &[u8]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("decode").args(args).env_remove("NO_COLOR");
    run_to_end(&mut cmd, stdin)
}

fn json(out: &Output) -> Vec<Json> {
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    let lines: Vec<String> = text.lines().map(String::from).collect();
    events(&lines)
}

fn text(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The payload lengths and the kinds of error, in order.
fn units(events: &[Json]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e.get("event").str() {
            "frame" => Some(format!("frame {}", e.get("len").u64())),
            "error" => Some(format!("error {}", e.get("kind").str())),
            _ => None,
        })
        .collect()
}

#[test]
fn decode_every_codec_from_a_file_whole_and_truncated() {
    let long = vec![b'y'; 300];
    let texts: [&[u8]; 3] = [b"hello", b"how are you?", &long];
    let fixed: [&[u8]; 2] = [b"abcdefgh", b"ijklmnop"];
    let binary: [&[u8]; 3] = [b"\x00\x01\x02", b"", &long];
    let cases: [(&str, &[&[u8]]); 8] = [
        ("lines", &texts),
        ("lines-crlf", &texts),
        ("delim:\\r\\n", &texts),
        ("length", &binary),
        ("length:u16le", &binary),
        ("length:varint", &binary),
        ("fixed:8", &fixed),
        ("cobs", &binary),
    ];
    for (spec, payloads) in cases {
        let wire = encode(spec, payloads);
        let whole = Capture::new(&format!("{}-whole", spec.replace(['\\', ':'], "_")), &wire);
        let out = decode(&["--codec", spec, "--json", whole.path()], b"");
        assert!(
            out.status.success(),
            "{spec}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let events = json(&out);
        let expected: Vec<String> = payloads
            .iter()
            .map(|p| format!("frame {}", p.len()))
            .collect();
        assert_eq!(units(&events), expected, "{spec}");
        assert!(
            select(&events, "read", None, None).is_empty(),
            "no reads without --reads"
        );
        let end = select(&events, "end", None, None);
        let totals = end[0].get("totals");
        assert_eq!(totals.get("bytes").u64(), wire.len() as u64, "{spec}");
        assert_eq!(totals.get("frames").u64(), payloads.len() as u64, "{spec}");
        assert!(!totals.get("truncated").bool());

        // The last byte lost: the last frame never ended.
        let cut = Capture::new(
            &format!("{}-cut", spec.replace(['\\', ':'], "_")),
            &wire[..wire.len() - 1],
        );
        let out = decode(&["--codec", spec, "--json", cut.path()], b"");
        let events = json(&out);
        let got = units(&events);
        let mut expected = expected[..payloads.len() - 1].to_vec();
        if spec.starts_with("lines") || spec.starts_with("delim") {
            // A last line without its delimiter is still a line. Lines drop
            // a "\r" before the missing "\n"; the "\r\n" delimiter keeps it.
            let last = payloads[payloads.len() - 1].len() + usize::from(spec.starts_with("delim"));
            expected.push(format!("frame {last}"));
            assert_eq!(got, expected, "{spec}");
            assert_eq!(out.status.code(), Some(0), "{spec}");
        } else {
            expected.push("error truncated".to_string());
            assert_eq!(got, expected, "{spec}");
            assert_eq!(
                out.status.code(),
                Some(1),
                "{spec}: exit 1 when it ends inside a frame"
            );
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                stderr, "framewise: error: the stream ended inside a frame\n",
                "{spec}"
            );
            let totals = select(&events, "end", None, None)[0].get("totals");
            assert!(totals.get("truncated").bool(), "{spec}");
        }
    }
}

#[test]
fn decode_exits_1_on_a_decoding_error() {
    let capture = Capture::new("cobs-bad", b"\x02a\x00\x05\x00\x02b\x00");
    let out = decode(&["--codec", "cobs", capture.path(), "--no-color"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out),
        "  frame 1: 1 byte (3 on the wire)  61  |a|\n\
         \x20 frame 2: error: invalid cobs encoding at offset 0 of the frame (2 bytes on the wire)\n\
         \x20 frame 3: 1 byte (3 on the wire)  62  |b|\n\
         end: 8 bytes in 1 read, 2 frames, 1 error\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "framewise: error: the stream had 1 decoding error\n"
    );
}

#[test]
fn decode_replays_reads_from_stdin() {
    let wire = encode("length:u8", &[b"hello", b"james", b"how are you?"]);
    let out = decode(&["--codec", "length:u8", "--reads", "4,10,1", "-"], &wire);
    assert!(out.status.success());
    let out = text(&out);
    let reads: Vec<&str> = out.lines().filter(|l| l.starts_with("read")).collect();
    assert_eq!(
        reads[..3],
        [
            "read 4 bytes: the first 4 bytes of frame 1",
            "read 10 bytes: the last 2 bytes of frame 1 + 1 whole frame (2) + the first 2 bytes of frame 3",
            "read 1 byte: the middle 1 byte of frame 3",
        ],
        "{out}"
    );
    assert_eq!(reads[12], "read 1 byte: the last 1 byte of frame 3");
    // The last size repeats: 1 byte at a time until the end.
    assert_eq!(
        out.lines()
            .filter(|l| l.starts_with("read 1 byte:"))
            .count(),
        11
    );
    assert!(
        out.ends_with("end: 25 bytes in 13 reads, 3 frames\n"),
        "{out}"
    );
}

#[test]
fn decode_hex_text_and_bad_input() {
    let out = decode(
        &["--codec", "length", "--hex", "--json"],
        b"00 00 00 02 68 69\n0x00,0x00,0x00,0x01,0x21\n00:00",
    );
    assert_eq!(out.status.code(), Some(1), "ends inside a header");
    let events = json(&out);
    assert_eq!(units(&events), ["frame 2", "frame 1", "error truncated"]);
    let frames = select(&events, "frame", None, None);
    assert_eq!(frames[0].get("preview_text").str(), "hi");
    assert!(!frames[0].has("conn") && !frames[0].has("dir"));

    let out = decode(&["--codec", "length", "--hex"], b"00 0g");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "framewise: error: stdin: 'g' at offset 4 is not a hex digit\n"
    );
    let out = decode(&["--codec", "length", "/nonexistent/capture.bin"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("framewise: error: cannot read /nonexistent/capture.bin: ")
    );
    let out = decode(&["--codec", "length", "--reads", "0"], b"");
    assert_eq!(out.status.code(), Some(2), "clap refuses a read of 0 bytes");
}

#[test]
fn decode_new_framings_and_a_checksum_mismatch() {
    let wire = encode("netstring", &[b"hello", b"", b"a,b"]);
    assert_eq!(wire, b"5:hello,0:,3:a,b,");
    let out = decode(&["--codec", "netstring", "-"], &wire);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("frame 1: 5 bytes (8 on the wire)  68 65 6c 6c 6f  |hello|"),
        "{text}"
    );
    assert!(text.contains("frame 2: 0 bytes (3 on the wire)"), "{text}");
    assert!(
        text.contains("frame 3: 3 bytes (6 on the wire)  61 2c 62  |a,b|"),
        "{text}"
    );
    assert!(text.contains("end: 17 bytes in 1 read, 3 frames"), "{text}");

    // COBS(data ‖ crc16) ‖ 00, one frame with a flipped bit between two good ones.
    let spec = "cobs,crc=crc16-xmodem";
    let mut wire = encode(spec, &[b"hello"]);
    let mut bad = encode(spec, &[b"james"]);
    bad[1] ^= 0x01;
    wire.extend_from_slice(&bad);
    wire.extend_from_slice(&encode(spec, &[b"bye"]));
    let out = decode(&["--codec", spec, "--json", "-"], &wire);
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let events = events(&lines);
    let frames: Vec<&str> = events
        .iter()
        .filter(|e| e.get("event").str() == "frame")
        .map(|e| e.get("preview_text").str())
        .collect();
    assert_eq!(frames, ["hello", "bye"]);
    let errors: Vec<&Json> = events
        .iter()
        .filter(|e| e.get("event").str() == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{lines:?}");
    assert_eq!(
        errors[0].get("kind").str(),
        "checksum_mismatch",
        "{lines:?}"
    );
    assert!(errors[0].get("recoverable").bool(), "{lines:?}");
    assert!(
        errors[0]
            .get("message")
            .str()
            .starts_with("checksum mismatch: the data gives 0x"),
        "{lines:?}"
    );
}
