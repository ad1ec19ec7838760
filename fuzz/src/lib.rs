//! Support for framewise's fuzz targets: the invariant checks live in
//! [`checks`], shared with the main crate's `tests/fuzz_regressions.rs`, which
//! includes the same file to replay the corpora on stable Rust.

pub mod checks;
