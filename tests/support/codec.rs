//! Shared test support: the fuzz crate's read-split harness, checks and
//! reference decoders, included by path, so that the property tests and the
//! fuzz targets run one copy of each (see `fuzz/src/harness.rs` for the rules
//! every run is held to).
//!
//! [`run_all`] feeds bytes to a codec in arbitrary reads, the way a socket
//! would, through every way in (the framing core, the tokio-util and
//! futures-io adapters, the slice API, both `BorrowedReader`s), asserts they
//! agree, and records everything the tokio-util adapter says. [`run`] does
//! the same through the tokio-util adapter alone, for any `Decoder`.

use proptest::prelude::*;

#[path = "../../fuzz/src/harness.rs"]
pub mod harness;

#[path = "../../fuzz/src/checks.rs"]
pub mod checks;

pub use harness::Codec;
pub use harness::split as chunks;
pub use harness::text::{Event, Outcome, encode_all, run, run_all, run_in_place};

/// The framing core's side: [`run_in_place`](in_place::run_in_place) drives
/// a [`DecodeMut`](framewise::DecodeMut) alone, on a buffer the harness
/// manages.
pub mod in_place {
    pub use super::harness::text::run_in_place;
}

/// Read splits: a list of cut points, or one byte at a time.
pub fn cuts_strategy(max_len: usize) -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        3 => proptest::collection::vec(0..max_len.max(1), 0..16),
        1 => Just((0..max_len).collect::<Vec<_>>()),
    ]
}

/// `(len, max)` of a `FrameTooLong` message ("frame of N bytes exceeds the
/// limit of M"), for the suites that compare its numbers.
pub fn parse_too_long(msg: &str) -> Option<(usize, usize)> {
    let rest = msg.strip_prefix("frame of ")?;
    let (len, max) = rest.split_once(" bytes exceeds the limit of ")?;
    Some((len.parse().ok()?, max.parse().ok()?))
}

/// The end-of-stream and discard rules of a line codec's core, limit 3:
/// `ab\r` waits (the `\r` may grow into `\r\n`) but ends the frame `ab` at
/// the end of the stream; `abcde` is reported over the limit once and `fg`
/// skipped as it arrives; then `resync` ends the skipping and its frame
/// `ok` starts at `ok_at`, everything consumed.
pub fn assert_line_core_end_and_discard<D: framewise::Decode>(
    codec: &mut D,
    resync: &[u8],
    ok_at: usize,
) {
    use framewise::Decoded;
    assert!(matches!(
        codec.decode_slice(b"ab\r"),
        Decoded::Incomplete { consumed: 0 }
    ));
    assert!(matches!(
        codec.decode_slice_eof(b"ab\r"),
        Decoded::Frame {
            start: 0,
            len: 2,
            consumed: 3
        }
    ));
    let Decoded::Error { consumed: 5, error } = codec.decode_slice(b"abcde") else {
        panic!("no error for a frame over the limit");
    };
    assert_eq!(error.to_string(), "frame of 5 bytes exceeds the limit of 3");
    assert!(matches!(
        codec.decode_slice(b"fg"),
        Decoded::Incomplete { consumed: 2 }
    ));
    let answer = codec.decode_slice(resync);
    assert!(
        matches!(answer, Decoded::Frame { start, len: 2, consumed } if start == ok_at && consumed == resync.len()),
        "{answer:?}"
    );
    assert_eq!(&resync[ok_at..ok_at + 2], b"ok");
}
