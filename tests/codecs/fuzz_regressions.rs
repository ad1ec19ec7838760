//! Replays every committed fuzz input through the fuzz targets' own invariant
//! checks, so that `cargo test` guards past findings on stable Rust, without
//! nightly or cargo-fuzz.
//!
//! For each target in `fuzz/src/checks.rs`, every file under
//! `fuzz/corpus/<target>/` (the seed corpus), `fuzz/regressions/<target>/`
//! (committed findings) and, when present, `fuzz/artifacts/<target>/` (local
//! crashes, git-ignored) is turned into the target's input exactly as
//! `fuzz_target!` does and checked.
//!
//! Then the harness itself (`fuzz/src/harness.rs`, shared by the checks and
//! the property tests) is shown to fail a decoder that breaks its rules.

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

// The checks and their harness, included from the fuzz crate.

use crate::support::codec::checks;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs one target's inputs from `kind` (corpus, regressions, artifacts);
/// returns how many were replayed and the failures.
fn replay_dir(target: &str, check: fn(&[u8]), kind: &str) -> (usize, Vec<String>) {
    let files = inputs(&fuzz_dir().join(kind).join(target));
    let mut failures = Vec::new();
    for file in &files {
        let data = fs::read(file).expect("readable fuzz input");
        if let Err(panic) = panic::catch_unwind(|| check(&data)) {
            let msg = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            failures.push(format!("{}: {msg}", file.display()));
        }
    }
    (files.len(), failures)
}

#[test]
fn fuzz_regressions_replay_every_corpus_and_finding() {
    let mut failures = Vec::new();
    let mut report = Vec::new();
    for &(target, check) in checks::TARGETS {
        let (seeds, mut failed) = replay_dir(target, check, "corpus");
        assert!(seeds > 0, "fuzz/corpus/{target}/ holds no seed");
        let (found, more) = replay_dir(target, check, "regressions");
        failed.extend(more);
        let (local, more) = replay_dir(target, check, "artifacts");
        failed.extend(more);
        report.push(format!(
            "{target}: {seeds} seeds, {found} regressions, {local} artifacts"
        ));
        failures.extend(failed);
    }
    println!("{}", report.join("\n"));
    assert!(
        failures.is_empty(),
        "{} fuzz inputs fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn fuzz_regressions_every_directory_is_a_target() {
    let known: Vec<&str> = checks::TARGETS.iter().map(|&(name, _)| name).collect();
    for kind in ["corpus", "regressions"] {
        let Ok(entries) = fs::read_dir(fuzz_dir().join(kind)) else {
            continue;
        };
        for entry in entries {
            let name = entry.expect("readable directory entry").file_name();
            let name = name.to_string_lossy();
            assert!(
                known.contains(&name.as_ref()),
                "fuzz/{kind}/{name} is not a fuzz target, so nothing replays it"
            );
        }
    }
    // Every target named in the checks has a binary in fuzz/Cargo.toml.
    let manifest = fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz/Cargo.toml");
    for name in known {
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name} has no [[bin]] in fuzz/Cargo.toml"
        );
    }
}

/// `decode_any` on spec text naming each framing added to `AnyCodec` with
/// SLIP, stuffing, ASCII lengths, Varint4 and CRC trailers: the check knows
/// what each one's decoder promises (bounds, limits) and holds on bytes
/// rich in their special bytes.
#[test]
fn fuzz_decode_any_knows_the_new_framings() {
    let data: Vec<u8> = (0..600u32)
        .map(|i| {
            [
                0xc0, 0xdb, 0x7e, 0x7d, 0x10, 2, 3, 0, b'1', b':', b',', b' ', b'a',
            ][(i * 7 % 13) as usize]
        })
        .collect();
    for spec in [
        "slip,max=20",
        "slip:lead",
        "hdlc,max=20",
        "dle,max=20",
        "netstring,max=30",
        "octets,max=30",
        "hexlen:2",
        "hexlen:4:upper,max=40",
        "length:varint4,max=50",
        "length:varint4,max=2",
        "cobs,crc=crc16-xmodem,max=20",
        "length:u16,crc=crc32,max=30",
        "slip,crc=crc8",
        "raw,crc=crc16-arc",
    ] {
        checks::check_decode_any(checks::DecodeAnyInput {
            spec: checks::SpecInput::Text(spec.to_string()),
            cuts: vec![1, 5, 9, 64, 200, 333],
            data: data.clone(),
        });
    }
}

// ---------------------------------------------------------------------------
// The harness the checks and the property tests share catches what it
// promises to: a decoder that breaks a rule fails the run, whichever way in.

use crate::support::codec::harness::{Core, drive, split};
use framewise::{Decode, Decoded, Error};

/// A decoder that breaks one rule of the harness.
#[derive(Debug, Clone, Copy)]
enum Broken {
    /// Answers an empty frame that consumes nothing, forever.
    Stuck,
    /// Reports a fatal error once, then waits for more as if nothing happened.
    Forgetful { said: bool },
    /// Never consumes anything, and says nothing at the end of the stream.
    Hoarder,
}

impl Decode for Broken {
    fn decode_slice(&mut self, src: &[u8]) -> Decoded {
        match self {
            Broken::Stuck if !src.is_empty() => Decoded::Frame {
                start: 0,
                len: 0,
                consumed: 0,
            },
            Broken::Forgetful { said } if !*said && !src.is_empty() => {
                *said = true;
                Decoded::Error {
                    consumed: 0,
                    error: Error::CorruptHeader { reason: "broken" },
                }
            }
            _ => Decoded::Incomplete { consumed: 0 },
        }
    }

    fn decode_slice_eof(&mut self, src: &[u8]) -> Decoded {
        self.decode_slice(src)
    }
}

/// The panic message of driving `codec` through the core over `data`.
fn failure(mut codec: Broken, data: &[u8]) -> String {
    let result = panic::catch_unwind(move || {
        drive(&mut Core::new(&mut codec), &split(data, &[2usize]));
    });
    let panic = result.expect_err("the harness let a broken decoder pass");
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn harness_catches_a_decoder_that_makes_no_progress() {
    let msg = failure(Broken::Stuck, b"abcd");
    assert!(
        msg.contains("the decoder makes no progress: 21 calls for 2 bytes in 2 reads"),
        "{msg}"
    );
}

#[test]
fn harness_catches_a_fatal_error_that_does_not_repeat() {
    let msg = failure(Broken::Forgetful { said: false }, b"abcd");
    assert!(
        msg.contains("the fatal error corrupt length header: broken was not repeated: need more"),
        "{msg}"
    );
}

#[test]
fn harness_catches_bytes_left_unreported_at_the_end() {
    let msg = failure(Broken::Hoarder, b"abcd");
    assert!(
        msg.contains("the end of the stream left bytes unreported"),
        "{msg}"
    );
}
