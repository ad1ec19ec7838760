//! Frames from a UART on a microcontroller: `no_std`, no allocator, only the
//! framing core and the slice API ([`framewise::framing::frames`]).
//!
//! A UART's DMA fills a ring and hands over each chunk as it arrives (half
//! the ring, or what came before the line went idle). Chunks are appended to
//! a fixed array; every complete frame is taken out as a slice of it, and the
//! start of the next frame stays for the next chunk:
//!
//! ```text
//! DMA chunks:  [\x02h] [i\x03you\x05h] [ello]
//! accumulator: [\x02hi\x03you\x05h] -> frames "hi", "you"; keeps [\x05h]
//!              [\x05hello]          -> frame "hello"
//! ```
//!
//! The same code builds for a Cortex-M4 and runs its tests on the host:
//!
//! ```text
//! cargo build --example uart_frames --no-default-features --target thumbv7em-none-eabihf
//! cargo test --example uart_frames
//! ```
//!
//! Framed here with a 1-byte length prefix (`LengthPrefixed` with
//! `Width::U8`).
// TODO(merge): switch to `Cobs` once it is on the core: a 0x00 ends every
// frame, so a receiver that starts mid-stream resynchronises at the next one.
#![cfg_attr(not(test), no_std)]

use framewise::framing::frames;
use framewise::{ConfigError, Encode, Error, LengthPrefixed, Width};

/// The largest frame on the wire, header included.
pub const MAX_FRAME: usize = 64;

/// The codec both ends use: a 1-byte length, then the payload.
pub fn codec() -> Result<LengthPrefixed, ConfigError> {
    LengthPrefixed::builder()
        .width(Width::U8)
        .max_frame_len(MAX_FRAME)
        .build()
}

/// The receiving end: the bytes received so far, in an array of `N` bytes.
///
/// `N` must hold one whole frame: bytes of an oversized frame are consumed
/// as they arrive, so what waits here is always under the codec's limit.
#[derive(Debug)]
pub struct Receiver<const N: usize> {
    codec: LengthPrefixed,
    buf: [u8; N],
    filled: usize,
}

impl<const N: usize> Receiver<N> {
    /// A receiver for frames of at most `codec.max_frame_len()` bytes.
    ///
    /// # Panics
    ///
    /// If `N` is smaller than that limit.
    pub fn new(codec: LengthPrefixed) -> Self {
        assert!(
            N >= codec.max_frame_len(),
            "the buffer must hold one whole frame"
        );
        Receiver {
            codec,
            buf: [0; N],
            filled: 0,
        }
    }

    /// Takes one chunk from the UART and calls `on_frame` with every frame
    /// (or bad frame) completed by it, in order.
    pub fn push(&mut self, mut chunk: &[u8], mut on_frame: impl FnMut(Result<&[u8], Error>)) {
        while !chunk.is_empty() {
            let n = chunk.len().min(N - self.filled);
            self.buf[self.filled..self.filled + n].copy_from_slice(&chunk[..n]);
            self.filled += n;
            chunk = &chunk[n..];

            let mut it = frames(&mut self.codec, &self.buf[..self.filled]);
            for frame in &mut it {
                on_frame(frame);
            }
            // Keep the start of the next frame for the next chunk.
            let used = it.consumed();
            self.buf.copy_within(used..self.filled, 0);
            self.filled -= used;
        }
    }

    /// Bytes of an unfinished frame, waiting for the rest.
    pub fn waiting(&self) -> usize {
        self.filled
    }
}

/// Frames `payload` into `tx` for the UART to send; returns the bytes to send.
///
/// # Errors
///
/// [`Error::FrameTooLong`] over the limit, [`Error::BufferTooSmall`] if `tx`
/// is too short; nothing is written then.
pub fn frame_into<'t>(
    codec: &LengthPrefixed,
    payload: &[u8],
    tx: &'t mut [u8],
) -> Result<&'t [u8], Error> {
    let n = codec.encode_to_slice(payload, tx)?;
    Ok(&tx[..n])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything `push` reported, frames as bytes and errors as text.
    fn receive(chunks: &[&[u8]]) -> (Vec<Result<Vec<u8>, String>>, usize) {
        let mut rx = Receiver::<MAX_FRAME>::new(codec().unwrap());
        let mut got = Vec::new();
        for chunk in chunks {
            rx.push(chunk, |f| {
                got.push(f.map(<[u8]>::to_vec).map_err(|e| e.to_string()))
            });
        }
        (got, rx.waiting())
    }

    fn wire(payloads: &[&[u8]]) -> Vec<u8> {
        let c = codec().unwrap();
        let mut out = Vec::new();
        let mut tx = [0u8; MAX_FRAME];
        for p in payloads {
            out.extend_from_slice(frame_into(&c, p, &mut tx).unwrap());
        }
        out
    }

    #[test]
    fn uart_frames_at_every_split() {
        let payloads: [&[u8]; 4] = [b"hi", b"", b"you", &[7; 63]];
        let wire = wire(&payloads);
        let want: Vec<Result<Vec<u8>, String>> = payloads.iter().map(|p| Ok(p.to_vec())).collect();
        for a in 0..=wire.len() {
            for b in a..=wire.len() {
                let (got, waiting) = receive(&[&wire[..a], &wire[a..b], &wire[b..]]);
                assert_eq!(got, want, "cut at {a} and {b}");
                assert_eq!(waiting, 0);
            }
        }
    }

    #[test]
    fn uart_one_byte_chunks_keep_the_partial_frame() {
        let wire = wire(&[b"hello", b"abc"]);
        let chunks: Vec<&[u8]> = wire[..9].chunks(1).collect();
        let (got, waiting) = receive(&chunks);
        assert_eq!(got, [Ok(b"hello".to_vec())]);
        assert_eq!(waiting, 3); // \x03 a b
    }

    #[test]
    fn uart_oversized_frame_is_skipped_then_frames_go_on() {
        // 0xff announces 256 bytes: over the 64-byte limit, in a 64-byte array.
        let mut stream = vec![0xff];
        stream.extend_from_slice(&[1; 255]);
        stream.extend_from_slice(&wire(&[b"ok"]));
        let chunks: Vec<&[u8]> = stream.chunks(10).collect();
        let (got, waiting) = receive(&chunks);
        assert_eq!(
            got,
            [
                Err("frame of 256 bytes exceeds the limit of 64".to_string()),
                Ok(b"ok".to_vec())
            ]
        );
        assert_eq!(waiting, 0);
    }

    #[test]
    fn uart_encoder_refuses_without_writing() {
        let c = codec().unwrap();
        let mut tx = [0xaa; 8];
        assert!(matches!(
            frame_into(&c, &[0; 64], &mut tx),
            Err(Error::FrameTooLong { len: 65, max: 64 })
        ));
        assert!(matches!(
            frame_into(&c, &[0; 8], &mut tx),
            Err(Error::BufferTooSmall {
                needed: 9,
                available: 8
            })
        ));
        assert_eq!(tx, [0xaa; 8]);
    }
}
