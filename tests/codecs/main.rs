//! The codec tests: every codec through the framing core and its adapters,
//! against references, over arbitrary read splits; the fuzz regressions.

#[path = "../support/mod.rs"]
pub mod support;

#[cfg(feature = "futures-io")]
mod adapters;
mod any;
mod ascii;
mod cobs;
mod crc;
mod delimited;
mod fixed;
mod fuzz_regressions;
mod length;
mod lines;
mod raw;
mod slip;
mod stuffed;
mod varint4;
