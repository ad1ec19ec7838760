//! Frames from a UART on a microcontroller: `no_std`, no allocator, only the
//! framing core and the slice API ([`framewise::framing::frames_mut`]).
//!
//! A UART's DMA fills a ring and hands over each chunk as it arrives (half
//! the ring, or what came before the line went idle). Chunks are appended to
//! a fixed array; every complete frame is taken out as a slice of it, and the
//! start of the next frame stays for the next chunk:
//!
//! ```text
//! DMA chunks:  [03 h] [i 00 04 y o] [u 00]
//! accumulator: [03 h i 00 04 y o] -> frame "hi"; keeps [04 y o]
//!              [04 y o u 00]      -> frame "you"
//! ```
//!
//! (Shown without the checksum: each frame also carries a CRC-16.)
//!
//! The same code builds for a Cortex-M4 and runs its tests on the host:
//!
//! ```text
//! cargo build --example uart_frames --no-default-features --target thumbv7em-none-eabihf
//! cargo test --example uart_frames
//! ```
//!
//! Framed as firmware does it: `COBS(payload ‖ CRC-16/XMODEM) ‖ 00`. A `00`
//! ends every frame, so a receiver that starts mid-stream, or after line
//! noise, resynchronises at the next one; the CRC catches corrupted frames.
//! COBS decodes in place, in the accumulator itself.
#![cfg_attr(not(test), no_std)]

use framewise::framing::frames_mut;
use framewise::{Cobs, Crc, CrcAlgorithm, Encode, Error, FrameLen};

/// The largest payload, with its 2-byte checksum.
pub const MAX_PAYLOAD: usize = 62;

/// The accumulator: the largest frame on the wire (COBS adds 2 bytes to a
/// payload under 254).
pub const MAX_FRAME: usize = MAX_PAYLOAD + 2 + 2;

/// The codec both ends use.
pub type Codec = Crc<Cobs>;

/// COBS with a CRC-16/XMODEM trailer.
pub fn codec() -> Codec {
    Crc::new(
        Cobs::new().with_max_frame_len(MAX_PAYLOAD + 2),
        CrcAlgorithm::Crc16Xmodem,
    )
}

/// The receiving end: the bytes received so far, in an array of `N` bytes.
///
/// `N` must hold one whole frame: bytes of an oversized frame are consumed
/// as they arrive, so what waits here is always under the codec's limit.
#[derive(Debug)]
pub struct Receiver<const N: usize> {
    codec: Codec,
    buf: [u8; N],
    filled: usize,
}

impl<const N: usize> Receiver<N> {
    /// A receiver for frames of at most `FrameLen::max_frame_len` bytes on
    /// the wire.
    ///
    /// # Panics
    ///
    /// If `N` is smaller than that limit.
    pub fn new(codec: Codec) -> Self {
        assert!(
            N >= FrameLen::max_frame_len(&codec),
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

            let mut it = frames_mut(&mut self.codec, &mut self.buf[..self.filled]);
            for frame in &mut it {
                on_frame(frame.map(|f| &*f));
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
pub fn frame_into<'t>(codec: &Codec, payload: &[u8], tx: &'t mut [u8]) -> Result<&'t [u8], Error> {
    let n = codec.encode_to_slice(payload, tx)?;
    Ok(&tx[..n])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything `push` reported, frames as bytes and errors as text.
    fn receive(chunks: &[&[u8]]) -> (Vec<Result<Vec<u8>, String>>, usize) {
        let mut rx = Receiver::<MAX_FRAME>::new(codec());
        let mut got = Vec::new();
        for chunk in chunks {
            rx.push(chunk, |f| {
                got.push(f.map(<[u8]>::to_vec).map_err(|e| e.to_string()))
            });
        }
        (got, rx.waiting())
    }

    fn wire(payloads: &[&[u8]]) -> Vec<u8> {
        let c = codec();
        let mut out = Vec::new();
        let mut tx = [0u8; MAX_FRAME];
        for p in payloads {
            out.extend_from_slice(frame_into(&c, p, &mut tx).unwrap());
        }
        out
    }

    #[test]
    fn uart_frames_at_every_split() {
        let payloads: [&[u8]; 5] = [b"hi", b"", b"you", &[0; 9], &[7; MAX_PAYLOAD]];
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
        // "hello" + CRC is 1 code byte, 7 bytes, 00; then 3 bytes of "abc".
        let chunks: Vec<&[u8]> = wire[..12].chunks(1).collect();
        let (got, waiting) = receive(&chunks);
        assert_eq!(got, [Ok(b"hello".to_vec())]);
        assert_eq!(waiting, 3);
    }

    #[test]
    fn uart_noise_and_corruption_cost_one_frame_each() {
        // Line noise longer than any frame, then a frame with a flipped
        // bit, then good frames: each bad frame is reported and skipped.
        let mut stream = vec![0x55; 200];
        stream.push(0);
        let mut bad = wire(&[b"flip"]);
        bad[2] ^= 0x01;
        stream.extend_from_slice(&bad);
        stream.extend_from_slice(&wire(&[b"ok", b"fine"]));
        let chunks: Vec<&[u8]> = stream.chunks(10).collect();
        let (got, waiting) = receive(&chunks);
        assert_eq!(got.len(), 4, "{got:?}");
        assert!(
            matches!(&got[0], Err(e) if e.starts_with("frame of ")),
            "{got:?}"
        );
        assert!(
            matches!(&got[1], Err(e) if e.starts_with("checksum mismatch")),
            "{got:?}"
        );
        assert_eq!(got[2..], [Ok(b"ok".to_vec()), Ok(b"fine".to_vec())]);
        assert_eq!(waiting, 0);
    }

    #[test]
    fn uart_encoder_refuses_without_writing() {
        let c = codec();
        let mut tx = [0xaa; 8];
        assert!(matches!(
            frame_into(&c, &[0; MAX_PAYLOAD + 1], &mut tx),
            Err(Error::FrameTooLong { .. })
        ));
        assert!(matches!(
            frame_into(&c, &[0; 5], &mut tx),
            Err(Error::BufferTooSmall {
                needed: 9,
                available: 8
            })
        ));
        assert_eq!(tx, [0xaa; 8]);
    }
}
