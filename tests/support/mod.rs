//! Support shared by the three test binaries (`codecs`, `net`, `cli`), each
//! of which includes this tree as `pub mod support` from its `main.rs`:
//! - [`codec`]: the fuzz crate's read-split harness, checks and reference
//!   decoders, and the proptest strategies of the codec tests;
//! - [`net`]: servers on ephemeral loopback ports, bounded waits, the
//!   `send` client;
//! - [`tap`]: the `framewise` binary as a subprocess and a JSON parser.
//!
//! Every helper is `pub` in a `pub` module of the binary's root, so a binary
//! that uses only part of it gets no dead-code warning for the rest.

#[cfg(feature = "tokio")]
pub mod codec;

#[cfg(feature = "net")]
pub mod net;

// Needs the `framewise` binary (`CARGO_BIN_EXE_framewise`).
#[cfg(feature = "cli")]
pub mod tap;
