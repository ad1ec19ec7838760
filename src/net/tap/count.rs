//! The totals-only analyser of `framewise tap --quiet`, sans IO.
//!
//! ```text
//! socket --read--> Counter's buffer --write--> other socket
//!                        |
//!                        +--> core decoder (DecodeMut, in place) --> Totals
//! ```
//!
//! `--quiet` prints only each direction's [`Totals`], so nothing is kept of
//! a read or a frame but counts: the bytes are read straight into the
//! counter's one buffer, forwarded from there, then decoded where they lie
//! by the framing core, with no copy and no allocation per read or per
//! frame. The counts are those [`ReadAnalyser`](super::ReadAnalyser) gives
//! for the same bytes: both run the same core decoder on the same bytes and
//! drop what it consumes (the tokio-util adapter the analyser decodes
//! through is that core, on a `BytesMut`).

use crate::Error;
use crate::framing::{DecodeMut, Decoded};

use super::analyse::Totals;

/// Counts the frames, errors and bytes of one direction of a stream, read by
/// read, without recording them.
///
/// Memory is bounded as for [`ReadAnalyser`](super::ReadAnalyser): the
/// bytes the decoder has not consumed yet (at most its frame limit) plus
/// room for one read.
#[derive(Debug)]
pub(crate) struct Counter<D> {
    decoder: D,
    /// Storage: `buf[start..end]` are the bytes the decoder has not consumed
    /// yet, and reads land after them.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The most one read may bring.
    read_size: usize,
    /// Set after an unrecoverable error: nothing more is decoded.
    lost: bool,
    /// Set once [`end`](Self::end) has run.
    ended: bool,
    totals: Totals,
}

impl<D: DecodeMut> Counter<D> {
    /// A counter decoding with `decoder`, taking reads of up to `read_size`
    /// bytes.
    pub(crate) fn new(decoder: D, read_size: usize) -> Self {
        Counter {
            decoder,
            buf: vec![0; read_size],
            start: 0,
            end: 0,
            read_size,
            lost: false,
            ended: false,
            totals: Totals::default(),
        }
    }

    /// The counts so far.
    pub(crate) fn totals(&self) -> Totals {
        self.totals
    }

    /// Whether [`end`](Self::end) has run.
    pub(crate) fn is_ended(&self) -> bool {
        self.ended
    }

    /// Where the next read goes: room for `read_size` bytes after the bytes
    /// still waiting to be decoded. Fill a prefix of it, then call
    /// [`received`](Self::received) with its length.
    pub(crate) fn spare(&mut self) -> &mut [u8] {
        if self.buf.len() - self.end < self.read_size {
            if self.start > 0 {
                // Move the start of the frame in progress to the front: a
                // few bytes, usually.
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.buf.len() - self.end < self.read_size {
                // A frame bigger than the buffer: room for one more read.
                self.buf.resize(self.end + self.read_size, 0);
            }
        }
        &mut self.buf[self.end..self.end + self.read_size]
    }

    /// Counts the `n` bytes just read into [`spare`](Self::spare), decoding
    /// every frame they end.
    pub(crate) fn received(&mut self, n: usize) {
        debug_assert!(n <= self.read_size);
        self.totals.bytes += n as u64;
        self.totals.reads += 1;
        if self.lost {
            self.totals.undecoded_bytes += n as u64;
            return;
        }
        self.end += n;
        self.decode(false);
        if self.start == self.end {
            // Everything consumed (the usual case): start the buffer over.
            self.start = 0;
            self.end = 0;
        }
    }

    /// The stream has ended: decodes what is left as the codec does at the
    /// end of a stream. Later calls do nothing.
    pub(crate) fn end(&mut self) {
        if self.ended {
            return;
        }
        self.ended = true;
        if self.lost {
            return;
        }
        self.decode(true);
        if self.start < self.end {
            // A decoder that leaves bytes at the end of the stream: they are
            // a frame that never ended, even if the codec did not say so.
            self.totals.truncated = true;
        }
        self.start = 0;
        self.end = 0;
    }

    /// Runs the decoder until it wants more bytes, counting what it finds.
    fn decode(&mut self, eof: bool) {
        loop {
            let src = &mut self.buf[self.start..self.end];
            let answer = if eof {
                self.decoder.decode_in_place_eof(src)
            } else {
                self.decoder.decode_in_place(src)
            };
            let used = answer.consumed();
            self.start += used;
            match answer {
                Decoded::Frame { len, .. } => {
                    self.totals.frames += 1;
                    self.totals.payload_bytes += len as u64;
                    if used == 0 && self.start == self.end {
                        // An empty frame out of nothing: asking again would
                        // repeat it.
                        break;
                    }
                }
                Decoded::Incomplete { .. } => break,
                Decoded::Error { error, .. } => {
                    self.totals.errors += 1;
                    if matches!(error, Error::Truncated { .. }) {
                        self.totals.truncated = true;
                    }
                    if !error.is_recoverable() {
                        // The framing is lost: the rest is not decoded.
                        self.lost = true;
                        self.totals.lost = true;
                        self.totals.undecoded_bytes += (self.end - self.start) as u64;
                        self.start = 0;
                        self.end = 0;
                        break;
                    }
                    // An error that consumed nothing would repeat: wait for
                    // more bytes.
                    if used == 0 || (eof && self.start == self.end) {
                        break;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AnyCodec;
    use crate::net::tap::ReadAnalyser;

    /// `wire` cut at `cuts`, each piece read `read_size` bytes at a time.
    fn reads<'a>(wire: &'a [u8], cuts: &[usize], read_size: usize) -> Vec<&'a [u8]> {
        let mut out = Vec::new();
        let mut at = 0;
        for &cut in cuts.iter().chain([&wire.len()]) {
            let cut = cut.clamp(at, wire.len());
            out.extend(wire[at..cut].chunks(read_size));
            at = cut;
        }
        out
    }

    /// The counter's totals for those reads.
    fn count(spec: &str, reads: &[&[u8]], read_size: usize) -> Totals {
        let mut counter = Counter::new(spec.parse::<AnyCodec>().unwrap(), read_size);
        for read in reads {
            counter.spare()[..read.len()].copy_from_slice(read);
            counter.received(read.len());
        }
        counter.end();
        assert!(counter.is_ended());
        counter.totals()
    }

    /// The full analyser's totals for the same reads: the reference.
    fn analyse(spec: &str, reads: &[&[u8]]) -> Totals {
        let mut analyser = ReadAnalyser::new(spec.parse::<AnyCodec>().unwrap());
        let mut events = Vec::new();
        for read in reads {
            analyser.read(read, &mut events);
        }
        analyser.end(&mut events);
        analyser.totals()
    }

    /// Every split of `wire` into three reads, and reads of 1 and 3 bytes:
    /// the counter's totals equal the full analyser's, and `expected` but
    /// for the number of reads (which is checked against the split).
    fn check(spec: &str, wire: &[u8], expected: Totals) {
        let mut splits = vec![(vec![], 64), (vec![], 1), (vec![], 3)];
        for a in 0..=wire.len() {
            for b in a..=wire.len() {
                splits.push((vec![a, b], 64));
            }
        }
        for (cuts, read_size) in splits {
            let reads = reads(wire, &cuts, read_size);
            let got = count(spec, &reads, read_size);
            let context = format!("{spec} cut at {cuts:?}, reads of {read_size}");
            assert_eq!(got, analyse(spec, &reads), "{context}");
            assert_eq!(got.reads, reads.len() as u64, "{context}");
            assert_eq!(Totals { reads: 0, ..got }, expected, "{context}");
        }
    }

    fn totals(bytes: u64, frames: u64, payload_bytes: u64, errors: u64) -> Totals {
        Totals {
            bytes,
            frames,
            payload_bytes,
            errors,
            ..Totals::default()
        }
    }

    #[test]
    fn count_good_frames_in_any_split() {
        check("length:u8", b"\x02hi\x03you\x00", totals(8, 3, 5, 0));
        check("lines", b"hello\r\njames\n\nbye", totals(17, 4, 13, 0));
        check("cobs", b"\x03hi\x00\x01\x00", totals(6, 2, 2, 0));
        check("netstring", b"2:hi,0:,", totals(8, 2, 2, 0));
        check("lines", b"", Totals::default());
    }

    #[test]
    fn count_oversized_and_garbage_frames_in_any_split() {
        // An oversized frame, skipped across reads, between two good ones.
        check(
            "length:u8,max=8",
            b"\x02hi\x0a0123456789\x03abc",
            totals(18, 2, 5, 1),
        );
        // Bytes that are not UTF-8 in a line.
        check(
            "lines",
            b"ok\n\xff\xfe garbage\nfine\n",
            totals(19, 2, 6, 1),
        );
        // Bad COBS, twice, then a good frame.
        check("cobs", b"\x05\x00zz\x00\x02a\x00", totals(8, 1, 1, 2));
    }

    #[test]
    fn count_truncated_end() {
        let truncated = Totals {
            truncated: true,
            ..totals(5, 1, 2, 1)
        };
        check("length:u8", b"\x02hi\x03y", truncated);
        // A final unterminated line is a frame, not a truncation.
        check("lines", b"a\nbc", totals(4, 2, 3, 0));
    }

    #[test]
    fn count_lost_framing_leaves_the_rest_undecoded() {
        // A netstring whose length is not a number: the framing is lost,
        // the 11 bytes from there on are not decoded.
        let lost = Totals {
            lost: true,
            undecoded_bytes: 11,
            ..totals(16, 1, 2, 1)
        };
        check("netstring", b"2:hi,x:abc,2:ok,", lost);
    }

    #[test]
    fn count_frame_bigger_than_a_read_grows_the_buffer() {
        let mut wire = vec![0x10, 0];
        wire.extend(std::iter::repeat_n(b'x', 4096));
        wire.extend_from_slice(&[0, 1, b'y']);
        for read_size in [1, 7, 64, 5000] {
            let reads = reads(&wire, &[], read_size);
            let got = count("length:u16,max=8k", &reads, read_size);
            assert_eq!((got.frames, got.payload_bytes, got.errors), (2, 4097, 0));
            assert_eq!(got, analyse("length:u16,max=8k", &reads));
        }
    }

    #[test]
    fn count_end_twice_counts_once() {
        let mut counter = Counter::new("length:u8".parse::<AnyCodec>().unwrap(), 16);
        counter.spare()[..2].copy_from_slice(b"\x03a");
        counter.received(2);
        counter.end();
        counter.end();
        let t = counter.totals();
        assert_eq!((t.bytes, t.errors, t.truncated), (2, 1, true));
    }
}
