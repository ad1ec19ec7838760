//! Support for framewise's fuzz targets: the read-split harness in
//! [`harness`] (every check drives the framing core and the tokio-util
//! adapter and asserts they agree) and the invariant checks in [`checks`].
//! The main crate's `tests/support/codec.rs` includes the same files, so the property
//! tests use the same harness and `tests/codecs/fuzz_regressions.rs` replays the
//! corpora on stable Rust.

pub mod harness;

pub mod checks;
