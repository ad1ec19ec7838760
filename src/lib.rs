//! Framing codecs for byte streams: the cure for sticky and split packets.
//!
//! (Crate docs are written in full once every codec has landed.)

mod any;
pub mod blocking;
mod cobs;
mod delimited;
mod error;
mod fixed;
mod length;
mod lines;
mod raw;

pub use crate::any::AnyCodec;
pub use crate::cobs::Cobs;
pub use crate::delimited::{Delimited, DelimitedBuilder};
pub use crate::error::{ConfigError, Error};
pub use crate::fixed::FixedLength;
pub use crate::length::{Endian, LengthPrefixed, LengthPrefixedBuilder, Width};
pub use crate::lines::Lines;
pub use crate::raw::Raw;
