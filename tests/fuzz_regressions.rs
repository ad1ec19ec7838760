//! Replays every committed fuzz input through the fuzz targets' own invariant
//! checks, so that `cargo test` guards past findings on stable Rust, without
//! nightly or cargo-fuzz.
//!
//! For each target in `fuzz/src/checks.rs`, every file under
//! `fuzz/corpus/<target>/` (the seed corpus), `fuzz/regressions/<target>/`
//! (committed findings) and, when present, `fuzz/artifacts/<target>/` (local
//! crashes, git-ignored) is turned into the target's input exactly as
//! `fuzz_target!` does and checked.

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

// The checks and their harness, included from the fuzz crate.
mod common;

use common::checks;

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
