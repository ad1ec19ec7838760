//! A codec chosen at run time from a spec string.

use std::fmt;
use std::str::FromStr;

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::error::{ConfigError, Error, reason};
use crate::{Cobs, Delimited, Endian, FixedLength, LengthPrefixed, Lines, Raw, Width};

/// Any framewise codec, chosen at run time from a spec string.
///
/// | spec | codec |
/// |---|---|
/// | `lines`, `lines-crlf` | [`Lines::new`], [`Lines::crlf`] |
/// | `delim:<bytes>` | [`Delimited::new`], with `\n \r \t \0 \\ \xNN` escapes |
/// | `length` | [`LengthPrefixed::new`]: u32 big-endian |
/// | `length:u8`, `u16`, `u24`, `u32`, `u64`, each with an optional `le`/`be` suffix | [`LengthPrefixed::builder`] |
/// | `length:varint` | [`LengthPrefixed::varint`] |
/// | `fixed:<n>` | [`FixedLength::new`] |
/// | `cobs` | [`Cobs::new`] |
/// | `raw` | [`Raw::new`] |
///
/// Any spec may end in `,max=<n>` to set the frame limit (`,max=64k`,
/// `,max=8m` for KiB and MiB). The item is [`Bytes`] whatever the codec:
/// `Lines` frames are handed over as their UTF-8 bytes, and a `Lines` encoder
/// refuses bytes that are not UTF-8.
///
/// `Display` gives the canonical spec back, so a codec can be logged and
/// parsed again.
///
/// # Examples
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use framewise::AnyCodec;
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut codec: AnyCodec = "length:u16le,max=4096".parse()?;
/// let mut wire = BytesMut::new();
/// codec.encode(Bytes::from("hi"), &mut wire)?;
/// assert_eq!(&wire[..], b"\x02\x00hi");
/// assert_eq!(codec.decode(&mut wire)?.unwrap(), "hi");
/// assert_eq!(codec.to_string(), "length:u16le,max=4096");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// Parsing returns a [`ConfigError::Spec`] that lists what is accepted.
///
/// ```
/// let err = "length:u12".parse::<framewise::AnyCodec>().unwrap_err();
/// assert!(err.to_string().contains("expected one of: lines"));
/// ```
#[derive(Debug, Clone)]
pub struct AnyCodec {
    spec: Spec,
    codec: Inner,
}

/// The parsed spec, kept for `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Spec {
    kind: Kind,
    max: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Lines {
        crlf: bool,
    },
    Delim(Vec<u8>),
    Length {
        width: Width,
        endian: Option<Endian>,
    },
    Fixed(usize),
    Cobs,
    Raw,
}

#[derive(Debug, Clone)]
enum Inner {
    Length(LengthPrefixed),
    // Boxed: its searcher state is several times the size of the others.
    Delimited(Box<Delimited>),
    Lines(Lines),
    Fixed(FixedLength),
    Cobs(Cobs),
    Raw(Raw),
}

impl AnyCodec {
    /// The largest frame the codec accepts.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec: framewise::AnyCodec = "lines,max=1k".parse()?;
    /// assert_eq!(codec.max_frame_len(), 1024);
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn max_frame_len(&self) -> usize {
        match &self.codec {
            Inner::Length(c) => c.max_frame_len(),
            Inner::Delimited(c) => c.max_frame_len(),
            Inner::Lines(c) => c.max_frame_len(),
            Inner::Fixed(c) => c.max_frame_len(),
            Inner::Cobs(c) => c.max_frame_len(),
            Inner::Raw(c) => c.max_frame_len(),
        }
    }

    /// Whether this is the `raw` codec, which has no frame boundaries of its own.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!("raw".parse::<framewise::AnyCodec>()?.is_raw());
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn is_raw(&self) -> bool {
        matches!(self.codec, Inner::Raw(_))
    }

    fn build(spec: Spec) -> Result<Self, ConfigError> {
        let codec = match &spec.kind {
            Kind::Lines { crlf } => {
                let lines = if *crlf { Lines::crlf() } else { Lines::new() };
                Inner::Lines(match spec.max {
                    Some(max) => lines.with_max_frame_len(max),
                    None => lines,
                })
            }
            Kind::Delim(d) => {
                let mut b = Delimited::builder().delimiter(&d[..]);
                if let Some(max) = spec.max {
                    b = b.max_frame_len(max);
                }
                Inner::Delimited(Box::new(b.build()?))
            }
            Kind::Length { width, endian } => {
                let mut b = LengthPrefixed::builder()
                    .width(*width)
                    .endian(endian.unwrap_or(Endian::Big));
                if let Some(max) = spec.max {
                    b = b.max_frame_len(max);
                }
                Inner::Length(b.build()?)
            }
            Kind::Fixed(n) => {
                if spec.max.is_some_and(|max| max < *n) {
                    return Err(ConfigError::invalid(
                        "max",
                        format!(
                            "a limit below the fixed frame length of {n} bytes lets no frame through"
                        ),
                    ));
                }
                Inner::Fixed(FixedLength::new(*n)?)
            }
            Kind::Cobs => Inner::Cobs(match spec.max {
                Some(max) => Cobs::new().with_max_frame_len(max),
                None => Cobs::new(),
            }),
            Kind::Raw => Inner::Raw(match spec.max {
                Some(max) => Raw::new().with_max_frame_len(max),
                None => Raw::new(),
            }),
        };
        Ok(AnyCodec { spec, codec })
    }
}

impl FromStr for AnyCodec {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, ConfigError> {
        let fail = |reason: String| ConfigError::Spec {
            spec: s.into(),
            reason: reason.into(),
        };
        let (base, max) = match s.rsplit_once(",max=") {
            Some((base, max)) => (base, Some(parse_size(max).map_err(fail)?)),
            None => (s, None),
        };
        let (name, arg) = match base.split_once(':') {
            Some((name, arg)) => (name, Some(arg)),
            None => (base, None),
        };
        let kind = match (name, arg) {
            ("lines", None) => Kind::Lines { crlf: false },
            ("lines-crlf", None) => Kind::Lines { crlf: true },
            ("delim", Some(arg)) => {
                let d = unescape(arg).map_err(fail)?;
                if d.is_empty() {
                    return Err(fail("the delimiter is empty".into()));
                }
                Kind::Delim(d)
            }
            ("length", None) => Kind::Length {
                width: Width::U32,
                endian: None,
            },
            ("length", Some("varint")) => Kind::Length {
                width: Width::Varint,
                endian: None,
            },
            ("length", Some(arg)) => {
                parse_length(arg).ok_or_else(|| fail(format!("unknown length field {arg:?}")))?
            }
            ("fixed", Some(arg)) => Kind::Fixed(
                arg.parse()
                    .map_err(|_| fail(format!("{arg:?} is not a frame length in bytes")))?,
            ),
            ("cobs", None) => Kind::Cobs,
            ("raw", None) => Kind::Raw,
            _ => return Err(fail(format!("unknown codec {base:?}"))),
        };
        AnyCodec::build(Spec { kind, max }).map_err(|e| fail(e.to_string()))
    }
}

impl fmt::Display for AnyCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.spec.kind {
            Kind::Lines { crlf: false } => f.write_str("lines")?,
            Kind::Lines { crlf: true } => f.write_str("lines-crlf")?,
            Kind::Delim(d) => {
                f.write_str("delim:")?;
                for &b in d {
                    match b {
                        b'\n' => f.write_str("\\n")?,
                        b'\r' => f.write_str("\\r")?,
                        b'\t' => f.write_str("\\t")?,
                        0 => f.write_str("\\0")?,
                        b'\\' => f.write_str("\\\\")?,
                        b',' => f.write_str("\\x2c")?,
                        0x21..=0x7e => write!(f, "{}", b as char)?,
                        _ => write!(f, "\\x{b:02x}")?,
                    }
                }
            }
            Kind::Length {
                width: Width::U32,
                endian: None,
            } => f.write_str("length")?,
            Kind::Length {
                width: Width::Varint,
                ..
            } => f.write_str("length:varint")?,
            Kind::Length { width, endian } => {
                let w = match width {
                    Width::U8 => "u8",
                    Width::U16 => "u16",
                    Width::U24 => "u24",
                    Width::U64 => "u64",
                    _ => "u32",
                };
                let e = match endian {
                    None => "",
                    Some(Endian::Big) => "be",
                    Some(Endian::Little) => "le",
                };
                write!(f, "length:{w}{e}")?;
            }
            Kind::Fixed(n) => write!(f, "fixed:{n}")?,
            Kind::Cobs => f.write_str("cobs")?,
            Kind::Raw => f.write_str("raw")?,
        }
        if let Some(max) = self.spec.max {
            write!(f, ",max={max}")?;
        }
        Ok(())
    }
}

/// `u16le` and friends.
fn parse_length(arg: &str) -> Option<Kind> {
    let (w, endian) = if let Some(w) = arg.strip_suffix("le") {
        (w, Some(Endian::Little))
    } else if let Some(w) = arg.strip_suffix("be") {
        (w, Some(Endian::Big))
    } else {
        (arg, None)
    };
    let width = match w {
        "u8" => Width::U8,
        "u16" => Width::U16,
        "u24" => Width::U24,
        "u32" => Width::U32,
        "u64" => Width::U64,
        _ => return None,
    };
    Some(Kind::Length { width, endian })
}

/// `4096`, `64k`, `8m`.
fn parse_size(s: &str) -> Result<usize, String> {
    let (digits, unit) = match s.as_bytes().last() {
        Some(b'k' | b'K') => (&s[..s.len() - 1], 1024),
        Some(b'm' | b'M') => (&s[..s.len() - 1], 1024 * 1024),
        _ => (s, 1),
    };
    digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .ok_or_else(|| format!("max={s} is not a size in bytes"))
}

/// Turns `\r\n`, `\x00` and friends into bytes.
fn unescape(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let e = bytes
            .next()
            .ok_or("the delimiter ends in a lone backslash")?;
        out.push(match e {
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'0' => 0,
            b'\\' => b'\\',
            b'x' => {
                let hex = [bytes.next(), bytes.next()];
                let [Some(h), Some(l)] = hex else {
                    return Err("\\x needs two hex digits".into());
                };
                std::str::from_utf8(&[h, l])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("\\x{}{} is not a hex byte", h as char, l as char))?
            }
            other => return Err(format!("unknown escape \\{}", other as char)),
        });
    }
    Ok(out)
}

impl Decoder for AnyCodec {
    type Item = Bytes;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        match &mut self.codec {
            Inner::Length(c) => c.decode(src),
            Inner::Delimited(c) => c.decode(src),
            Inner::Lines(c) => Ok(c.decode(src)?.map(Bytes::from)),
            Inner::Fixed(c) => c.decode(src),
            Inner::Cobs(c) => c.decode(src),
            Inner::Raw(c) => c.decode(src),
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        match &mut self.codec {
            Inner::Length(c) => c.decode_eof(src),
            Inner::Delimited(c) => c.decode_eof(src),
            Inner::Lines(c) => Ok(c.decode_eof(src)?.map(Bytes::from)),
            Inner::Fixed(c) => c.decode_eof(src),
            Inner::Cobs(c) => c.decode_eof(src),
            Inner::Raw(c) => c.decode_eof(src),
        }
    }
}

impl Encoder<&[u8]> for AnyCodec {
    type Error = Error;

    fn encode(&mut self, item: &[u8], dst: &mut BytesMut) -> Result<(), Error> {
        match &mut self.codec {
            Inner::Length(c) => c.encode(item, dst),
            Inner::Delimited(c) => c.encode(item, dst),
            Inner::Lines(c) => {
                let line = std::str::from_utf8(item).map_err(|e| Error::Unencodable {
                    reason: reason!(
                        "a line must be utf-8, and byte {} of this {}-byte frame is not",
                        e.valid_up_to(),
                        item.len()
                    ),
                })?;
                c.encode(line, dst)
            }
            Inner::Fixed(c) => c.encode(item, dst),
            Inner::Cobs(c) => c.encode(item, dst),
            Inner::Raw(c) => c.encode(item, dst),
        }
    }
}

impl Encoder<Bytes> for AnyCodec {
    type Error = Error;

    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), Error> {
        self.encode(&item[..], dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_all_escapes() {
        assert_eq!(unescape(r"a\r\n\t\0\\\x7f").unwrap(), b"a\r\n\t\0\\\x7f");
        assert!(unescape(r"\x7").is_err());
        assert!(unescape(r"\q").is_err());
        assert!(unescape("\\").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64k"), Ok(65536));
        assert_eq!(parse_size("8M"), Ok(8 << 20));
        assert!(parse_size("").is_err());
        assert!(parse_size("k").is_err());
        assert!(parse_size("99999999999999999999m").is_err());
    }
}
