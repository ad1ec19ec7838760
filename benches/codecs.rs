//! Decoder and encoder throughput, framewise against its tokio-util
//! counterpart on the same bytes in the same group, fed in 64 KiB reads, with
//! a floor (copying the bytes) or ceiling (a memchr scan) beside them.
//!
//! Run: `cargo bench --bench codecs`; one group: `cargo bench --bench codecs -- length/16`.
//! Every measured loop checks its result (frames and bytes), so a codec that
//! skipped work would fail, not win.

use std::hint::black_box;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use framewise::blocking::BorrowedReader;
use framewise::framing::frames;
use framewise::{Cobs, Decode, DecodeMut, Delimited, FixedLength, FrameLen, LengthPrefixed, Lines};
use tokio_util::codec::{AnyDelimiterCodec, Decoder, Encoder, LengthDelimitedCodec, LinesCodec};
use wire_codec::codec::FrameCodec;
use wire_codec::framing::{self as wc, Framer, StreamDecoder};

/// The size of one read, as a socket read would hand them over.
const READ: usize = 64 * 1024;

/// A read buffer of two reads, created the same way for every variant of a
/// group, floor and ceiling included. With room for one read only, a buffer
/// that frames were split from cannot take the next read plus an unfinished
/// frame, and `bytes` reallocates it at that size on every read: each read
/// then lands in cold memory, which measures the allocator, not the decoder.
fn read_buffer() -> BytesMut {
    BytesMut::with_capacity(2 * READ)
}

/// About this many bytes of frames per measured iteration.
const STREAM: usize = 4 * 1024 * 1024;

/// The stream fed to every decoder, held twice: the second copy sits 2 KiB
/// further into its page than the first.
///
/// glibc's `memcpy` (2.36 here) copies large blocks with `rep movsb`, which on
/// this AMD EPYC (FSRM) runs about 14x slower when the destination is 1 to 31
/// bytes past the source modulo 4096, and 10-30% slower up to 127 bytes (see
/// the `memcpy-aliasing` group). A decoder leaves an unfinished frame at the
/// front of the read buffer, so where each read lands depends on the frame
/// size: fed from one copy, some frame sizes would pay libc's slow path on a
/// few reads and the floor (whose reads always land at the buffer's start)
/// never would. So each read comes from whichever copy is not in that window:
/// the same bytes and the same `memcpy` for every variant, floors included.
///
/// Both copies start on a cache line, as a file's bytes do in the page cache
/// and a mapped capture's do, so a copy to a destination aligned alike runs
/// at full speed (see [`Aligned`]).
struct Wire {
    a: Vec<u8>,
    /// Where the first copy starts in `a`: its first cache line.
    a_at: usize,
    b: Vec<u8>,
    /// Where the second copy starts in `b`.
    b_at: usize,
}

/// `(dst - src) mod 4096` in this range takes glibc's slow `rep movsb` path here.
const SLOW_COPY: std::ops::Range<usize> = 1..128;

impl Wire {
    fn new(bytes: &[u8]) -> Self {
        let mut a = vec![0u8; bytes.len() + 64];
        let a_at = a.as_ptr().align_offset(64);
        a[a_at..a_at + bytes.len()].copy_from_slice(bytes);
        let mut b = vec![0u8; bytes.len() + 4096];
        let want = (a.as_ptr() as usize + a_at + 2048) % 4096;
        let b_at = (want + 4096 - b.as_ptr() as usize % 4096) % 4096;
        b[b_at..b_at + bytes.len()].copy_from_slice(bytes);
        Wire { a, a_at, b, b_at }
    }

    fn len(&self) -> usize {
        self.a.len() - 64
    }

    /// The bytes `start..end`, from the copy that is fast to copy to `dst`.
    fn read(&self, start: usize, end: usize, dst: usize) -> &[u8] {
        let distance = dst.wrapping_sub(self.a.as_ptr() as usize + self.a_at + start) % 4096;
        if SLOW_COPY.contains(&distance) {
            &self.b[self.b_at + start..self.b_at + end]
        } else {
            &self.a[self.a_at + start..self.a_at + end]
        }
    }

    /// Copies the stream into `buf` one 64 KiB read at a time, calling
    /// `on_read` after each read.
    fn feed(&self, buf: &mut BytesMut, mut on_read: impl FnMut(&mut BytesMut)) {
        for start in (0..self.len()).step_by(READ) {
            let end = (start + READ).min(self.len());
            buf.reserve(end - start);
            let dst = buf.spare_capacity_mut().as_ptr() as usize;
            buf.extend_from_slice(black_box(self.read(start, end, dst)));
            on_read(buf);
        }
    }
}

/// Feeds `wire` in 64 KiB reads and decodes everything; returns (frames, payload bytes).
fn decode_stream<D>(codec: &mut D, wire: &Wire, buf: &mut BytesMut) -> (usize, usize)
where
    D: Decoder,
    D::Item: AsRef<[u8]>,
    D::Error: std::fmt::Debug,
{
    let (mut frames, mut bytes) = (0, 0);
    wire.feed(buf, |buf| {
        while let Some(frame) = codec.decode(buf).expect("valid stream") {
            frames += 1;
            bytes += frame.as_ref().len();
        }
    });
    (frames, bytes)
}

/// A buffer whose usable part starts on a cache line, like the source's
/// copies: the floors copy into it, aligned alike with their source, which is
/// `memcpy`'s fastest case (unaligned alike costs about 10% here).
struct Aligned {
    buf: Vec<u8>,
    at: usize,
    len: usize,
}

impl Aligned {
    fn new(len: usize) -> Self {
        let buf = vec![0u8; len + 64];
        let at = buf.as_ptr().align_offset(64);
        Aligned { buf, at, len }
    }

    fn get(&mut self) -> &mut [u8] {
        &mut self.buf[self.at..self.at + self.len]
    }
}

/// An in-memory `Read` handing out the stream in reads of at most 64 KiB,
/// each from the copy of [`Wire`] that is fast to copy to the destination.
/// An endless one starts again from the first byte after the last instead
/// of ending; no read spans the two.
struct WireReader<'w> {
    wire: &'w Wire,
    pos: usize,
    endless: bool,
}

impl<'w> WireReader<'w> {
    fn new(wire: &'w Wire) -> Self {
        WireReader {
            wire,
            pos: 0,
            endless: false,
        }
    }

    fn endless(wire: &'w Wire) -> Self {
        WireReader {
            wire,
            pos: 0,
            endless: true,
        }
    }
}

impl std::io::Read for WireReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.endless && self.pos == self.wire.len() {
            self.pos = 0;
        }
        let n = out.len().min(READ).min(self.wire.len() - self.pos);
        let src = self
            .wire
            .read(self.pos, self.pos + n, out.as_ptr() as usize);
        out[..n].copy_from_slice(black_box(src));
        self.pos += n;
        Ok(n)
    }
}

/// The caller-owned buffer of the slice API and of wire-codec's
/// `StreamDecoder`: each 64 KiB read appended after what is left, whole
/// frames taken out as slices by `take` (which returns the bytes it is done
/// with), the unfinished rest moved to the front.
fn slice_stream(wire: &Wire, buf: &mut Vec<u8>, mut take: impl FnMut(&[u8]) -> usize) {
    let mut filled = 0;
    for start in (0..wire.len()).step_by(READ) {
        let end = (start + READ).min(wire.len());
        let n = end - start;
        if filled + n > buf.len() {
            buf.resize(filled + n, 0);
        }
        let dst = buf[filled..].as_ptr() as usize;
        buf[filled..filled + n].copy_from_slice(black_box(wire.read(start, end, dst)));
        filled += n;
        let used = take(&buf[..filled]);
        buf.copy_within(used..filled, 0);
        filled -= used;
    }
    assert_eq!(filled, 0, "the stream ends with a whole frame");
}

/// framewise's slice API over [`slice_stream`]; returns (frames, payload bytes).
fn decode_slices<D: Decode>(codec: &mut D, wire: &Wire, buf: &mut Vec<u8>) -> (usize, usize) {
    let (mut frames_seen, mut bytes) = (0, 0);
    slice_stream(wire, buf, |src| {
        let mut it = frames(codec, src);
        for frame in &mut it {
            frames_seen += 1;
            bytes += frame.expect("valid stream").len();
        }
        it.consumed()
    });
    (frames_seen, bytes)
}

/// wire-codec's `StreamDecoder` over the same [`slice_stream`].
fn decode_wire_codec_stream<F: Framer>(
    decoder: &mut StreamDecoder<F>,
    wire: &Wire,
    buf: &mut Vec<u8>,
) -> (usize, usize) {
    let (mut frames_seen, mut bytes) = (0, 0);
    slice_stream(wire, buf, |src| {
        let mut at = 0;
        while let Some(frame) = decoder.decode(&src[at..]).expect("valid stream") {
            frames_seen += 1;
            bytes += frame.payload().len();
            at += frame.consumed();
        }
        at
    });
    (frames_seen, bytes)
}

/// wire-codec's `FrameCodec` (its tokio-util adapter's decoder) over the
/// same reads as [`decode_stream`].
fn decode_wire_codec_bytes<F: Framer>(
    codec: &mut FrameCodec<F>,
    wire: &Wire,
    buf: &mut BytesMut,
) -> (usize, usize) {
    let (mut frames_seen, mut bytes) = (0, 0);
    wire.feed(buf, |buf| {
        while let Some(frame) = codec.decode_frame(buf).expect("valid stream") {
            frames_seen += 1;
            bytes += frame.len();
        }
    });
    (frames_seen, bytes)
}

/// framewise's `BorrowedReader` reading 64 KiB at a time from an endless
/// [`WireReader`]: one pass over the stream, `frames` frames. The reader
/// lives across iterations, as the `BytesMut` of the other variants does, so
/// what is measured is the steady state, not the allocation of its buffer.
fn decode_borrowed<D: DecodeMut + FrameLen>(
    reader: &mut BorrowedReader<WireReader<'_>, D>,
    frames: usize,
) -> (usize, usize) {
    let mut bytes = 0;
    for _ in 0..frames {
        bytes += reader
            .read_frame()
            .expect("valid stream")
            .expect("endless")
            .len();
    }
    (frames, bytes)
}

fn payload(size: usize, i: usize) -> Vec<u8> {
    // Printable, newline-free and zero-free, so every codec can carry it.
    (0..size).map(|j| b'a' + ((i + j) % 26) as u8).collect()
}

fn frames_for(size: usize) -> usize {
    (STREAM / (size + 4)).max(16)
}

fn encode_all<E: Encoder<Bytes>>(mut codec: E, size: usize) -> Wire
where
    E::Error: std::fmt::Debug,
{
    let mut wire = BytesMut::new();
    for i in 0..frames_for(size) {
        codec
            .encode(Bytes::from(payload(size, i)), &mut wire)
            .unwrap();
    }
    Wire::new(&wire)
}

macro_rules! group {
    ($c:expr, $name:expr) => {{
        let mut g = $c.benchmark_group($name);
        g.sample_size(20)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3));
        g
    }};
}

fn length(c: &mut Criterion) {
    for size in [16usize, 256, 4096, 65536] {
        let n = frames_for(size);
        let wire = encode_all(LengthPrefixed::new(), size);
        let varint_wire = encode_all(LengthPrefixed::varint(), size);
        let mut g = group!(c, format!("length/{size}"));
        g.throughput(Throughput::Elements(n as u64));
        let mut buf = read_buffer();
        g.bench_function("framewise", |b| {
            b.iter(|| {
                let mut codec = LengthPrefixed::new();
                assert_eq!(decode_stream(&mut codec, &wire, &mut buf), (n, n * size));
            })
        });
        g.bench_function("tokio-util", |b| {
            b.iter(|| {
                let mut codec = LengthDelimitedCodec::new();
                assert_eq!(decode_stream(&mut codec, &wire, &mut buf), (n, n * size));
            })
        });
        g.bench_function("framewise-varint", |b| {
            b.iter(|| {
                let mut codec = LengthPrefixed::varint();
                assert_eq!(
                    decode_stream(&mut codec, &varint_wire, &mut buf),
                    (n, n * size)
                );
            })
        });
        g.bench_function("floor-copy", |b| {
            b.iter(|| {
                // The same bytes copied into a BytesMut in the same reads,
                // with nothing framed: what any decoder on this path pays.
                let mut total = 0;
                wire.feed(&mut buf, |buf| {
                    total += buf.len();
                    buf.clear();
                });
                assert_eq!(total, wire.len());
            })
        });
        g.bench_function("floor-stream", |b| {
            b.iter(|| {
                // The same reads, with each whole frame dropped from the
                // buffer (`advance`) by a loop told the frame size: the
                // buffer traffic of any decoder of this stream (an unfinished
                // frame stays and is moved to the buffer's front), without
                // reading headers or handing out frames.
                let frame = wire.len() / n;
                let mut frames = 0;
                wire.feed(&mut buf, |buf| {
                    while buf.len() >= frame {
                        buf.advance(frame);
                        frames += 1;
                    }
                });
                assert_eq!((frames, buf.len()), (n, 0));
            })
        });
        g.bench_function("least-bytes-frames", |b| {
            b.iter(|| {
                // The same, handing out each frame as `Bytes` without its
                // 4-byte header, as any zero-copy decoder does: the split,
                // freeze and drop that `floor-stream` leaves out, and still
                // no header read.
                let frame = wire.len() / n;
                let (mut frames, mut bytes) = (0, 0);
                wire.feed(&mut buf, |buf| {
                    while buf.len() >= frame {
                        let mut f = buf.split_to(frame).freeze();
                        f.advance(frame - size);
                        frames += 1;
                        bytes += f.len();
                    }
                });
                assert_eq!((frames, bytes, buf.len()), (n, n * size, 0));
            })
        });
        g.finish();
    }
}

fn lines_wire(size: usize, delim: &[u8]) -> (Wire, usize) {
    let n = (STREAM / (size + delim.len())).max(16);
    let mut wire = Vec::with_capacity(n * (size + delim.len()));
    for i in 0..n {
        wire.extend_from_slice(&payload(size, i));
        wire.extend_from_slice(delim);
    }
    (Wire::new(&wire), n)
}

fn delimited(c: &mut Criterion) {
    for size in [16usize, 100, 1000, 8000] {
        let (wire, n) = lines_wire(size, b"\n");
        let mut g = group!(c, format!("delimited/{size}"));
        g.throughput(Throughput::Bytes(wire.len() as u64));
        let mut buf = read_buffer();
        g.bench_function("framewise-delimited", |b| {
            b.iter(|| {
                let mut codec = Delimited::new(b"\n").unwrap();
                assert_eq!(decode_stream(&mut codec, &wire, &mut buf), (n, n * size));
            })
        });
        g.bench_function("tokio-util-any-delimiter", |b| {
            b.iter(|| {
                let mut codec = AnyDelimiterCodec::new(b"\n".to_vec(), b"\n".to_vec());
                assert_eq!(decode_stream(&mut codec, &wire, &mut buf), (n, n * size));
            })
        });
        g.bench_function("framewise-lines", |b| {
            b.iter(|| {
                let mut codec = Lines::new();
                assert_eq!(decode_stream(&mut codec, &wire, &mut buf), (n, n * size));
            })
        });
        g.bench_function("tokio-util-lines", |b| {
            b.iter(|| {
                let mut codec = LinesCodec::new();
                assert_eq!(decode_stream(&mut codec, &wire, &mut buf), (n, n * size));
            })
        });
        g.bench_function("ceiling-memchr", |b| {
            b.iter(|| {
                // Finding every delimiter and nothing else. Each position is
                // used (summed), as a decoder uses it: counting alone would
                // let memchr take its faster bulk-count path.
                let (mut found, mut at) = (0, 0);
                for chunk in black_box(&wire.a[..]).chunks(READ) {
                    for i in memchr::memchr_iter(b'\n', chunk) {
                        found += 1;
                        at += i;
                    }
                }
                assert_eq!(found, n);
                black_box(at);
            })
        });
        g.bench_function("ceiling-copy-memchr", |b| {
            b.iter(|| {
                // The same, plus the copy of each read into the read buffer
                // that every decoder above pays (Framed does it too).
                let (mut found, mut at) = (0, 0);
                wire.feed(&mut buf, |buf| {
                    for i in memchr::memchr_iter(b'\n', buf) {
                        found += 1;
                        at += i;
                    }
                    buf.clear();
                });
                assert_eq!(found, n);
                black_box(at);
            })
        });
        g.bench_function("least-bytes-frames", |b| {
            b.iter(|| {
                // The least a decoder handing out `Bytes` frames does: find
                // the delimiter, split the frame off, freeze it, drop the
                // delimiter; no state, no limit, no checks.
                let (mut frames, mut bytes) = (0, 0);
                wire.feed(&mut buf, |buf| {
                    while let Some(i) = memchr::memchr(b'\n', buf) {
                        let mut frame = buf.split_to(i + 1).freeze();
                        frame.truncate(i);
                        frames += 1;
                        bytes += frame.len();
                    }
                });
                assert_eq!((frames, bytes), (n, n * size));
                buf.clear();
            })
        });
        g.bench_function("least-string-lines", |b| {
            b.iter(|| {
                // The least a decoder handing out `String` lines does: find
                // the newline, validate the line as UTF-8, copy it into a new
                // String, drop it from the buffer; no `\r`, limit or state.
                let (mut frames, mut bytes) = (0, 0);
                wire.feed(&mut buf, |buf| {
                    while let Some(i) = memchr::memchr(b'\n', buf) {
                        let line = std::str::from_utf8(&buf[..i]).expect("utf-8").to_owned();
                        buf.advance(i + 1);
                        frames += 1;
                        bytes += line.len();
                    }
                });
                assert_eq!((frames, bytes), (n, n * size));
                buf.clear();
            })
        });
        g.finish();
    }
    // A set of delimiters (earliest wins) on the same 100-byte lines: the case
    // AnyDelimiterCodec handles byte by byte.
    let (wire, n) = lines_wire(100, b"\r\n");
    let mut g = group!(c, "delimited-crlf-or-lf/100");
    g.throughput(Throughput::Bytes(wire.len() as u64));
    let mut buf = read_buffer();
    g.bench_function("framewise-delimited", |b| {
        b.iter(|| {
            let mut codec = Delimited::builder()
                .delimiter(b"\r\n")
                .delimiter(b"\n")
                .build()
                .unwrap();
            assert_eq!(decode_stream(&mut codec, &wire, &mut buf), (n, n * 100));
        })
    });
    g.bench_function("tokio-util-lines", |b| {
        b.iter(|| {
            let mut codec = LinesCodec::new();
            assert_eq!(decode_stream(&mut codec, &wire, &mut buf), (n, n * 100));
        })
    });
    g.finish();
}

fn decode_other(c: &mut Criterion) {
    for size in [16usize, 1000] {
        let n = frames_for(size);
        let cobs_wire = encode_all(Cobs::new(), size);
        let fixed_wire = encode_all(FixedLength::new(size).unwrap(), size);
        let mut g = group!(c, format!("decode-other/{size}"));
        g.throughput(Throughput::Elements(n as u64));
        let mut buf = read_buffer();
        g.bench_function("framewise-cobs", |b| {
            b.iter(|| {
                let mut codec = Cobs::new();
                assert_eq!(
                    decode_stream(&mut codec, &cobs_wire, &mut buf),
                    (n, n * size)
                );
            })
        });
        g.bench_function("framewise-fixed", |b| {
            b.iter(|| {
                let mut codec = FixedLength::new(size).unwrap();
                assert_eq!(
                    decode_stream(&mut codec, &fixed_wire, &mut buf),
                    (n, n * size)
                );
            })
        });
        g.finish();
    }
}

fn encode(c: &mut Criterion) {
    for size in [16usize, 1000] {
        let n = frames_for(size);
        let items: Vec<Bytes> = (0..n).map(|i| Bytes::from(payload(size, i))).collect();
        let owned: Vec<String> = (0..n)
            .map(|i| String::from_utf8(payload(size, i)).unwrap())
            .collect();
        let lines: Vec<&str> = owned.iter().map(String::as_str).collect();
        let mut g = group!(c, format!("encode/{size}"));
        g.throughput(Throughput::Elements(n as u64));
        let mut dst = BytesMut::new();
        macro_rules! enc {
            ($name:expr, $codec:expr, $items:expr, $overhead:expr) => {
                g.bench_function($name, |b| {
                    b.iter(|| {
                        dst.clear();
                        let mut codec = $codec;
                        for item in $items.iter() {
                            codec.encode(item.clone(), &mut dst).unwrap();
                        }
                        assert_eq!(dst.len(), n * (size + $overhead));
                    })
                });
            };
        }
        enc!("framewise-length", LengthPrefixed::new(), items, 4);
        enc!("tokio-util-length", LengthDelimitedCodec::new(), items, 4);
        enc!(
            "framewise-varint",
            LengthPrefixed::varint(),
            items,
            if size < 128 { 1 } else { 2 }
        );
        enc!(
            "framewise-delimited",
            Delimited::new(b"\n").unwrap(),
            items,
            1
        );
        enc!(
            "tokio-util-any-delimiter",
            AnyDelimiterCodec::new(b"\n".to_vec(), b"\n".to_vec()),
            lines,
            1
        );
        enc!("framewise-lines", Lines::new(), lines, 1);
        enc!("tokio-util-lines", LinesCodec::new(), lines, 1);
        enc!("framewise-fixed", FixedLength::new(size).unwrap(), items, 0);
        enc!("framewise-cobs", Cobs::new(), items, 1 + size.div_ceil(254));
        g.finish();
    }
}

/// Borrowed frames: framewise's slice API and `BorrowedReader` beside
/// wire-codec's `StreamDecoder` (borrowed slices) and `FrameCodec` (its
/// tokio-util adapter, `BytesMut` frames), and framewise's own `Bytes` path,
/// on the same 64 KiB reads.
fn borrowed(c: &mut Criterion) {
    for size in [16usize, 65536] {
        let n = frames_for(size);
        let wire = encode_all(LengthPrefixed::new(), size);
        let mut g = group!(c, format!("borrowed/length/{size}"));
        g.throughput(Throughput::Elements(n as u64));
        let mut slice_buf = vec![0u8; 2 * READ];
        let mut buf = read_buffer();
        g.bench_function("framewise-slices", |b| {
            b.iter(|| {
                let mut codec = LengthPrefixed::new();
                assert_eq!(
                    decode_slices(&mut codec, &wire, &mut slice_buf),
                    (n, n * size)
                );
            })
        });
        let mut reader =
            BorrowedReader::with_read_size(WireReader::endless(&wire), LengthPrefixed::new(), READ);
        g.bench_function("framewise-borrowed-reader", |b| {
            b.iter(|| assert_eq!(decode_borrowed(&mut reader, n), (n, n * size)))
        });
        g.bench_function("wire-codec-stream-decoder", |b| {
            b.iter(|| {
                let framer = wc::LengthPrefixed::bounded(wc::LengthWidth::U32, wc::Endian::Big);
                let mut decoder = StreamDecoder::new(framer);
                assert_eq!(
                    decode_wire_codec_stream(&mut decoder, &wire, &mut slice_buf),
                    (n, n * size)
                );
            })
        });
        g.bench_function("framewise-bytes", |b| {
            b.iter(|| {
                let mut codec = LengthPrefixed::new();
                assert_eq!(decode_stream(&mut codec, &wire, &mut buf), (n, n * size));
            })
        });
        g.bench_function("wire-codec-frame-codec", |b| {
            b.iter(|| {
                let framer = wc::LengthPrefixed::bounded(wc::LengthWidth::U32, wc::Endian::Big);
                let mut codec = FrameCodec::new(framer);
                assert_eq!(
                    decode_wire_codec_bytes(&mut codec, &wire, &mut buf),
                    (n, n * size)
                );
            })
        });
        let mut floor = Aligned::new(READ);
        g.bench_function("floor-copy-reads", |b| {
            b.iter(|| {
                // The same 64 KiB reads from the same reader, each copied
                // over the last in one buffer: what any reader pays.
                use std::io::Read as _;
                let mut reader = WireReader::new(&wire);
                let mut total = 0;
                loop {
                    let got = reader.read(floor.get()).unwrap();
                    if got == 0 {
                        break;
                    }
                    total += got;
                }
                assert_eq!(total, wire.len());
            })
        });
        if size == 65536 {
            // A new reader for each pass: what a reader made per stream pays
            // on top, for its buffer's allocation and first touch.
            g.bench_function("framewise-borrowed-reader-fresh", |b| {
                b.iter(|| {
                    let source = WireReader::new(&wire);
                    let mut reader =
                        BorrowedReader::with_read_size(source, LengthPrefixed::new(), READ);
                    let (mut frames, mut bytes) = (0, 0);
                    while let Some(frame) = reader.read_frame().expect("valid stream") {
                        frames += 1;
                        bytes += frame.len();
                    }
                    assert_eq!((frames, bytes), (n, n * size));
                })
            });
            // The floor again, with the reads `BorrowedReader` makes: 64 KiB,
            // then exactly the rest of the 65,540-byte frame, so every later
            // read starts 4 bytes further along the stream than the floor's,
            // but always lands at the buffer's start: source and destination
            // aligned unalike on 15 reads in 16. What `BorrowedReader` would
            // pay without placing its bytes congruent to the stream.
            let mut floor = Aligned::new(READ + 4);
            g.bench_function("floor-copy-frame-reads", |b| {
                b.iter(|| {
                    use std::io::Read as _;
                    let mut reader = WireReader::new(&wire);
                    let mut total = 0;
                    loop {
                        let got = reader.read(&mut floor.get()[..READ]).unwrap();
                        if got == 0 {
                            break;
                        }
                        let rest = reader.read(&mut floor.get()[READ..READ + 4]).unwrap();
                        total += got + rest;
                    }
                    assert_eq!(total, wire.len());
                })
            });
        }
        g.finish();
    }

    let size = 100;
    let (wire, n) = lines_wire(size, b"\n");
    let mut g = group!(c, format!("borrowed/delimited/{size}"));
    g.throughput(Throughput::Elements(n as u64));
    let mut slice_buf = vec![0u8; 2 * READ];
    let mut buf = read_buffer();
    g.bench_function("framewise-slices", |b| {
        b.iter(|| {
            let mut codec = Delimited::new(b"\n").unwrap();
            assert_eq!(
                decode_slices(&mut codec, &wire, &mut slice_buf),
                (n, n * size)
            );
        })
    });
    let codec = Delimited::new(b"\n").unwrap();
    let mut reader = BorrowedReader::with_read_size(WireReader::endless(&wire), codec, READ);
    g.bench_function("framewise-borrowed-reader", |b| {
        b.iter(|| assert_eq!(decode_borrowed(&mut reader, n), (n, n * size)))
    });
    g.bench_function("wire-codec-stream-decoder", |b| {
        b.iter(|| {
            let mut decoder = StreamDecoder::new(wc::Delimited::bounded(b"\n").unwrap());
            assert_eq!(
                decode_wire_codec_stream(&mut decoder, &wire, &mut slice_buf),
                (n, n * size)
            );
        })
    });
    g.bench_function("framewise-bytes", |b| {
        b.iter(|| {
            let mut codec = Delimited::new(b"\n").unwrap();
            assert_eq!(decode_stream(&mut codec, &wire, &mut buf), (n, n * size));
        })
    });
    g.bench_function("wire-codec-frame-codec", |b| {
        b.iter(|| {
            let mut codec = FrameCodec::new(wc::Delimited::bounded(b"\n").unwrap());
            assert_eq!(
                decode_wire_codec_bytes(&mut codec, &wire, &mut buf),
                (n, n * size)
            );
        })
    });
    g.finish();
}

/// The libc effect that [`Wire`] steers every variant clear of: the same
/// 4 MiB copied in 64 KiB `memcpy`s, at several distances (destination minus
/// source, modulo 4096).
fn memcpy_aliasing(c: &mut Criterion) {
    let src = vec![b'x'; STREAM];
    let mut dst = vec![0u8; READ + 4096];
    let base = (dst.as_ptr() as usize).wrapping_sub(src.as_ptr() as usize) % 4096;
    let mut g = group!(c, "memcpy-aliasing");
    g.throughput(Throughput::Bytes(STREAM as u64));
    for distance in [0usize, 16, 64, 2048] {
        let at = (distance + 4096 - base) % 4096;
        g.bench_function(format!("distance-{distance}"), |b| {
            b.iter(|| {
                for chunk in black_box(&src[..]).chunks(READ) {
                    dst[at..at + READ].copy_from_slice(chunk);
                }
                black_box(&dst);
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    length,
    delimited,
    decode_other,
    encode,
    borrowed,
    memcpy_aliasing
);
criterion_main!(benches);
