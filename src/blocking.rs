//! Blocking adapters: any framewise codec over `std::io::Read` and `Write`.
//!
//! The same codecs that serve tokio's `Framed` serve plain
//! `std::net::TcpStream` code, serial ports or files:
//!
//! - [`BorrowedReader`] (feature `std`): frames lent out as `&[u8]` from one
//!   buffer, nothing allocated per frame; any codec, through the core
//!   ([`DecodeMut`](crate::DecodeMut)).
//! - [`FrameReader`] and [`FrameWriter`] (feature `tokio`): owned items
//!   (`Bytes`, `String` lines), an [`Iterator`] of frames, and batched
//!   writes; any tokio-util `Decoder`/`Encoder`, framewise's or not.
//!
//! ```text
//!  Read --> BorrowedReader --> &[u8] frames (valid until the next call)
//!  Read --> FrameReader ------> Bytes / String frames (Iterator)
//!  items -> FrameWriter ------> Write
//! ```
//!
//! ```
//! use framewise::LengthPrefixed;
//! use framewise::blocking::BorrowedReader;
//!
//! // Two frames from a slice (any `Read`), lent one at a time.
//! let wire = &b"\x00\x00\x00\x05hello\x00\x00\x00\x05world"[..];
//! let mut reader = BorrowedReader::new(wire, LengthPrefixed::new());
//! assert_eq!(reader.read_frame()?, Some(&b"hello"[..]));
//! assert_eq!(reader.read_frame()?, Some(&b"world"[..]));
//! assert_eq!(reader.read_frame()?, None);
//! # Ok::<(), framewise::Error>(())
//! ```
//!
//! With owned frames, writing too (feature `tokio`):
//!
//! ```
//! # #[cfg(feature = "tokio")] {
//! use framewise::LengthPrefixed;
//! use framewise::blocking::{FrameReader, FrameWriter};
//!
//! // Write two frames into a Vec (any `Write`), then read them back from a
//! // slice (any `Read`).
//! let mut writer = FrameWriter::new(Vec::new(), LengthPrefixed::new());
//! writer.send(&b"hello"[..])?;
//! writer.send(&b"world"[..])?;
//! let wire = writer.into_inner()?;
//!
//! let reader = FrameReader::new(&wire[..], LengthPrefixed::new());
//! let frames: Vec<_> = reader.collect::<Result<_, _>>()?;
//! assert_eq!(frames, ["hello", "world"]);
//! # }
//! # Ok::<(), framewise::Error>(())
//! ```

mod borrowed;
#[cfg(feature = "tokio")]
mod codec_io;

pub use borrowed::BorrowedReader;
#[cfg(feature = "tokio")]
pub use codec_io::{FrameReader, FrameWriter};
