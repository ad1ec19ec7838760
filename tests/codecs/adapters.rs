//! Every way in on the same core gives the same frames: the 18 codec
//! configurations below, through every way in the shared harness drives
//! (`run_all_with`: the core, the tokio-util and futures-io adapters, the
//! slice API and both `BorrowedReader`s, which must agree under its rules),
//! under arbitrary reads and read sizes, noisy streams and garbage included,
//! against the core run once over the whole buffer; round trips of encoded
//! items; the slice iterators' and `BorrowedReader`s' own edges; and an echo
//! over a real TCP socket through asynchronous-codec's `Framed`.
//!
//! Codecs are listed once, in `for_each_codec!`: adding one is one line.

use std::io::{self, Read};
use std::time::Duration;

use bytes::Bytes;
use framewise::framing::{frames, frames_mut};
use framewise::{
    AnyCodec, Cobs, Crc, CrcAlgorithm, DecodeMut, Delimited, Encode, Error, FixedLength, HexLength,
    LengthPrefixed, Lines, Netstring, OctetCounting, Slip, Stuffed, Width,
};
use futures::{SinkExt, StreamExt};
use proptest::prelude::*;

use crate::support::codec::harness::run_all_with;

/// Calls `$check!(name, constructor)` for every codec on the core.
///
/// Each entry is a constructor; the checks build a fresh codec per run.
/// Every codec but `Raw`, whose frames are the reads themselves, so no two
/// read splits agree (that is the problem it shows).
macro_rules! for_each_codec {
    ($check:ident) => {
        $check!(
            delimited_crlf_or_lf,
            Delimited::builder()
                .delimiter(b"\r\n")
                .delimiter(b"\n")
                .max_frame_len(300)
                .build()
                .unwrap()
        );
        $check!(lines, Lines::new().with_max_frame_len(1 << 20));
        $check!(fixed_5, FixedLength::new(5).unwrap());
        $check!(cobs, Cobs::new().with_max_frame_len(1 << 20));
        $check!(cobs_limit_100, Cobs::new().with_max_frame_len(100));
        $check!(slip, Slip::new().with_leading_end(true));
        $check!(hdlc, Stuffed::hdlc().with_max_frame_len(1 << 20));
        $check!(dle, Stuffed::dle().with_max_frame_len(1 << 20));
        $check!(netstring, Netstring::new());
        $check!(octets, OctetCounting::new().with_max_frame_len(300));
        $check!(hexlen_4, HexLength::new(4).unwrap());
        $check!(
            cobs_crc16,
            Crc::new(
                Cobs::new().with_max_frame_len(1 << 20),
                CrcAlgorithm::Crc16Xmodem
            )
        );
        $check!(
            length_crc32,
            Crc::new(LengthPrefixed::new(), CrcAlgorithm::Crc32)
        );
        $check!(
            any_length_u16,
            "length:u16,max=4k".parse::<AnyCodec>().unwrap()
        );
        $check!(length, LengthPrefixed::new());
        $check!(length_varint, LengthPrefixed::varint());
        $check!(
            length_u8_limit_40,
            LengthPrefixed::builder()
                .width(Width::U8)
                .max_frame_len(40)
                .build()
                .unwrap()
        );
        $check!(
            length_u16le_counts_header_limit_300,
            LengthPrefixed::builder()
                .width(Width::U16)
                .little_endian()
                .adjustment(-2)
                .max_frame_len(300)
                .build()
                .unwrap()
        );
    };
}

/// What a decoder said: frames, and errors by their Display text.
type Events = Vec<Result<Vec<u8>, String>>;

/// The reference: the core over the whole stream at once, through the
/// in-place slice API, at end of stream.
fn whole<C: DecodeMut>(mut codec: C, data: &[u8]) -> Events {
    let mut buf = data.to_vec();
    frames_mut(&mut codec, &mut buf)
        .at_eof()
        .map(|r| r.map(|f| f.to_vec()).map_err(|e| e.to_string()))
        .collect()
}

/// `data` in reads of the given sizes, cycled.
fn reads_of<'a>(data: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut reads = Vec::new();
    let mut rest = data;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (read, after) = rest.split_at(size.min(rest.len()));
        reads.push(read);
        rest = after;
    }
    reads
}

/// Through every way in ([`run_all_with`], which asserts they agree and
/// holds each to the harness's rules), the `BorrowedReader`s reading at most
/// `read_size` bytes at a time; the tokio-util adapter's events.
fn every_way<C>(mut codec: C, data: &[u8], sizes: &[usize], read_size: usize) -> Events
where
    C: crate::support::codec::Codec,
{
    run_all_with(&mut codec, &reads_of(data, sizes), read_size)
        .events
        .into_iter()
        .map(|e| e.map(|f| f.as_ref().to_vec()).map_err(|e| e.to_string()))
        .collect()
}

/// Encodes the payloads the codec accepts; returns them and the wire.
fn encode_accepted<C: Encode>(codec: &C, payloads: &[Vec<u8>]) -> (Vec<Vec<u8>>, Vec<u8>) {
    let mut wire = Vec::new();
    let mut kept = Vec::new();
    for p in payloads {
        if let Ok(len) = codec.encoded_len(p) {
            codec.write_frame(p, len, &mut wire);
            kept.push(p.clone());
        }
    }
    (kept, wire)
}

fn sizes_strategy() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        3 => proptest::collection::vec(1usize..80, 1..8),
        1 => Just(vec![1]),
        1 => Just(vec![65536]),
    ]
}

/// Bytes that are mostly frames of this codec, with noise between them.
fn stream_strategy() -> impl Strategy<Value = (Vec<Vec<u8>>, Vec<u8>, Vec<usize>)> {
    (
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..120), 0..12),
        proptest::collection::vec(any::<u8>(), 0..40),
        proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
    )
        .prop_map(|(payloads, noise, at)| {
            let at = at.iter().map(|i| i.index(12)).collect();
            (payloads, noise, at)
        })
}

/// `payloads` encoded by `codec`, with `noise` put in before the frames at
/// positions `at` (corrupt or oversized frames, the rest resynchronised).
fn noisy_stream<C: Encode>(codec: &C, payloads: &[Vec<u8>], noise: &[u8], at: &[usize]) -> Vec<u8> {
    let mut wire = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        if at.contains(&i) {
            wire.extend_from_slice(noise);
        }
        if let Ok(len) = codec.encoded_len(p) {
            codec.write_frame(p, len, &mut wire);
        }
    }
    wire
}

/// Events compared across read splits. The framings that find a frame's
/// end by scanning (delimiters, lines, stuffing, COBS) report an oversized
/// frame as soon as it is known to be too long, with the bytes seen so far
/// as its length, so that one number depends on the split (as documented);
/// for them it is blanked. Length-prefixed framings report the announced
/// length, which is compared exactly.
fn comparable(codec: &str, events: Events) -> Events {
    let scans = ["delimited", "lines", "cobs", "slip", "hdlc", "dle"]
        .iter()
        .any(|p| codec.starts_with(p));
    if !scans {
        return events;
    }
    events
        .into_iter()
        .map(|e| {
            e.map_err(|text| match text.strip_prefix("frame of ") {
                Some(rest) if rest.contains(" bytes exceeds the limit of ") => {
                    let limit = rest
                        .split(" bytes exceeds the limit of ")
                        .nth(1)
                        .unwrap_or("");
                    format!("frame of _ bytes exceeds the limit of {limit}")
                }
                _ => text,
            })
        })
        .collect()
}

macro_rules! adapter_properties {
    ($name:ident, $codec:expr) => {
        mod $name {
            use super::*;

            proptest! {
                #![proptest_config(ProptestConfig::with_cases(256))]

                #[test]
                fn every_adapter_matches_the_core_on_the_whole_stream(
                    (payloads, noise, at) in stream_strategy(),
                    garbage in proptest::collection::vec(any::<u8>(), 0..200),
                    sizes in sizes_strategy(),
                    read_size in 1usize..300,
                    use_garbage in any::<bool>(),
                ) {
                    let data = if use_garbage {
                        garbage
                    } else {
                        noisy_stream(&$codec, &payloads, &noise, &at)
                    };
                    let name = stringify!($name);
                    let want = comparable(name, whole($codec, &data));
                    let got = comparable(name, every_way($codec, &data, &sizes, read_size));
                    prop_assert_eq!(got, want);
                }

                #[test]
                fn every_adapter_gives_back_the_items(
                    payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..400), 0..12),
                    sizes in sizes_strategy(),
                    read_size in 1usize..300,
                ) {
                    let (items, wire) = encode_accepted(&$codec, &payloads);
                    let want: Events = items.into_iter().map(Ok).collect();
                    prop_assert_eq!(every_way($codec, &wire, &sizes, read_size), want);
                }
            }
        }
    };
}

for_each_codec!(adapter_properties);

/// The borrowed-slice iterator over a `Decode` codec agrees with the
/// in-place one, and tells where the unfinished frame starts.
#[test]
fn slice_frames_consumed_and_remainder() {
    let mut codec = LengthPrefixed::builder().width(Width::U8).build().unwrap();
    let buf = b"\x02hi\x00\x03you\x04ab";
    let mut it = frames(&mut codec, buf);
    let got: Vec<&[u8]> = it.by_ref().map(Result::unwrap).collect();
    assert_eq!(got, [&b"hi"[..], b"", b"you"]);
    assert_eq!(it.consumed(), 8);
    assert_eq!(it.remainder(), b"\x04ab");
    assert!(it.next().is_none(), "fused after needing more bytes");
}

#[test]
fn slice_frames_stop_after_a_corrupt_header() {
    let mut codec = LengthPrefixed::builder()
        .width(Width::U8)
        .adjustment(-3)
        .build()
        .unwrap();
    // 0x05 - 3 = 2 payload bytes; then 0x01 - 3 is negative: framing lost.
    let buf = b"\x05hi\x01xyz";
    let out: Vec<_> = frames(&mut codec, buf).collect();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].as_ref().unwrap(), b"hi");
    assert!(matches!(out[1], Err(Error::CorruptHeader { .. })));
}

#[test]
fn borrowed_reader_large_frames_are_read_in_place() {
    // 64 KiB frames read 64 KiB at a time: after the first frame the buffer
    // never grows, and every frame is exact.
    const N: usize = 64 * 1024;
    let codec = LengthPrefixed::new();
    let mut wire = Vec::new();
    for i in 0..20u8 {
        let payload = vec![i; N];
        let len = codec.encoded_len(&payload).unwrap();
        codec.write_frame(&payload, len, &mut wire);
    }
    let mut r = framewise::blocking::BorrowedReader::with_read_size(&wire[..], codec, N);
    let mut i = 0u8;
    while let Some(frame) = r.read_frame().unwrap() {
        assert_eq!(frame.len(), N);
        assert!(frame.iter().all(|&b| b == i));
        i += 1;
    }
    assert_eq!(i, 20);
    assert_eq!(
        r.buffer_capacity(),
        2 * N,
        "one read plus the frame's rest, once"
    );
}

#[test]
fn borrowed_reader_places_bytes_congruent_to_the_stream() {
    // Frames of 65,540 bytes read 64 KiB at a time: every frame ends 4 bytes
    // further past a 64-byte boundary than the last, and each is read in
    // place from the buffer's front. The reader places each one so that its
    // address is congruent to its stream offset modulo 64, as the copy of a
    // source aligned to its stream is fastest (see benches/NOTES.md). The
    // first frame comes before the buffer has the room to shift a read.
    const N: usize = 64 * 1024;
    let codec = LengthPrefixed::new();
    let mut wire = Vec::new();
    for _ in 0..20 {
        let len = codec.encoded_len(&[5; N]).unwrap();
        codec.write_frame(&[5; N], len, &mut wire);
    }
    let mut r = framewise::blocking::BorrowedReader::with_read_size(&wire[..], codec, N);
    let (mut offset, mut congruent) = (0usize, 0);
    while let Some(frame) = r.read_frame().unwrap() {
        let header = frame.as_ptr() as usize - 4;
        if offset > 0 {
            assert_eq!(header % 64, offset % 64, "frame at stream offset {offset}");
            congruent += 1;
        }
        offset += 4 + frame.len();
    }
    assert_eq!(congruent, 19);
    assert_eq!(r.buffer_capacity(), 2 * N, "no more room than before");
}

#[test]
fn borrowed_reader_announced_length_reserves_nothing() {
    // A header announcing 8 MiB - 16 (within the default limit), then 100
    // bytes and the end: the buffer follows the bytes, not the announcement.
    let mut wire = vec![0x00, 0x7f, 0xff, 0xf0];
    wire.extend_from_slice(&[7; 100]);
    let mut r = framewise::blocking::BorrowedReader::new(&wire[..], LengthPrefixed::new());
    assert!(matches!(
        r.read_frame(),
        Err(Error::Truncated { buffered: 104 })
    ));
    assert_eq!(r.buffer_capacity(), 2 * 8192, "two reads, not 8 MiB");
}

#[test]
fn borrowed_reader_truncated_then_ends() {
    let mut r = framewise::blocking::BorrowedReader::new(
        &b"\x00\x00\x00\x02hi\x00\x00\x00\x09abc"[..],
        LengthPrefixed::new(),
    );
    assert_eq!(r.read_frame().unwrap(), Some(&b"hi"[..]));
    assert!(matches!(
        r.read_frame(),
        Err(Error::Truncated { buffered: 7 })
    ));
    assert_eq!(r.read_frame().unwrap(), None);
}

#[test]
fn borrowed_reader_io_error_is_returned_then_the_stream_ends() {
    struct Broken(bool);
    impl Read for Broken {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if std::mem::replace(&mut self.0, true) {
                return Err(io::Error::other("cable cut"));
            }
            out[..6].copy_from_slice(b"\x00\x00\x00\x01a\x00");
            Ok(6)
        }
    }
    let mut r = framewise::blocking::BorrowedReader::new(Broken(false), LengthPrefixed::new());
    assert_eq!(r.read_frame().unwrap(), Some(&b"a"[..]));
    assert_eq!(
        r.read_frame().unwrap_err().to_string(),
        "i/o error: cable cut"
    );
    assert_eq!(r.read_buffer(), b"\x00");
    assert_eq!(r.read_frame().unwrap(), None);
}

/// Echoes through asynchronous-codec's `Framed` over a real TCP socket.
async fn echo<C>(make: impl Fn() -> C, payloads: &[Vec<u8>])
where
    C: asynchronous_codec::Decoder<Item = Bytes, Error = Error>
        + for<'a> asynchronous_codec::Encoder<Item<'a> = &'a [u8], Error = Error>
        + Encode
        + Send
        + 'static,
{
    use tokio_util::compat::TokioAsyncReadCompatExt;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server_codec = make();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut framed = asynchronous_codec::Framed::new(stream.compat(), server_codec);
        let mut echoed = 0;
        while let Some(frame) = framed.next().await {
            let frame = frame.unwrap();
            framed.send(&frame[..]).await.unwrap();
            echoed += 1;
        }
        echoed
    });

    let (items, _) = encode_accepted(&make(), payloads);
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut framed = asynchronous_codec::Framed::new(stream.compat(), make());
    // One at a time: each frame goes out and comes back.
    for item in &items {
        framed.send(&item[..]).await.unwrap();
        let back = framed.next().await.unwrap().unwrap();
        assert_eq!(&back[..], &item[..]);
    }
    // Pipelined: all fed, one flush, then all read back.
    for item in &items {
        framed.feed(&item[..]).await.unwrap();
    }
    framed.flush().await.unwrap();
    for item in &items {
        let back = framed.next().await.unwrap().unwrap();
        assert_eq!(&back[..], &item[..]);
    }
    framed.close().await.unwrap();
    assert!(
        framed.next().await.is_none(),
        "server closes after our close"
    );
    assert_eq!(server.await.unwrap(), 2 * items.len());
}

#[tokio::test]
async fn futures_io_echo_over_tcp() {
    let mut payloads: Vec<Vec<u8>> = ["hello", "", "how are you?", "x"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    payloads.push(vec![0, 1, 0, 2, 0]);
    payloads.push((0..200_000u32).map(|i| (i % 251) as u8).collect());
    payloads.extend((0..40u8).map(|i| vec![i; i as usize]));
    let run = async {
        macro_rules! echo_codec {
            ($name:ident, $codec:expr) => {
                echo(|| $codec, &payloads).await;
            };
        }
        for_each_codec!(echo_codec);
    };
    tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("echo timed out");
}
