//! A codec chosen at run time: from a spec string, or from a codec value.
//!
//! ```text
//! "length:u16le,max=4096" --parse--+
//!                                  +--> AnyCodec --> DecodeMut / Encode (the core)
//! LengthPrefixed, Cobs, ... --from-+                 tokio-util Decoder / Encoder
//! ```

use std::fmt;
use std::str::FromStr;

use crate::error::{ConfigError, Error};
use crate::framing::{DecodeMut, Decoded, Encode, Output};
use crate::{Cobs, Delimited, Endian, FixedLength, LengthPrefixed, Lines, Raw, Width};

/// Any framewise codec, chosen at run time from a spec string or made from a
/// codec value.
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
/// `,max=8m` for KiB and MiB). The item is bytes whatever the codec: `Lines`
/// frames are handed over as their UTF-8 bytes, and a `Lines` encoder refuses
/// bytes that are not UTF-8.
///
/// An `AnyCodec` is also made `From` any codec value, with any setting the
/// codec has (a header layout with an offset, several delimiters), so code
/// that takes an `AnyCodec` takes both; [`kind`](AnyCodec::kind) and the
/// `as_*` methods give the codec back. It decodes and encodes exactly as the
/// codec it holds, through the framing core ([`DecodeMut`], [`Encode`]) and
/// through tokio-util's `Decoder` and `Encoder` (`Bytes` frames).
///
/// # Display
///
/// `Display` gives the spec back, so a codec can be logged and parsed again:
/// the spec as written (canonical), or for a codec made from a value, the
/// canonical spec that builds the same codec. A codec no spec describes (a
/// [`LengthPrefixed`] with an offset, an adjustment or a strip of its own, a
/// [`Delimited`] with several delimiters or keeping them) is shown as a
/// description such as `length(u16be, offset=1, adjustment=1, max=8388608)`
/// or `delim(\r\n or \n, keep_delimiter, max=65536)`, which is not a spec:
/// parsing it fails rather than building another codec.
/// [`has_spec`](AnyCodec::has_spec) tells the two apart.
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
/// From a codec value, with a header layout no spec can express:
///
/// ```
/// use framewise::{AnyCodec, CodecKind, DecodeMut, Decoded, LengthPrefixed, Width};
///
/// // Netty's example 6: 0xCA, a u16 length, 0xFE, then the payload.
/// let layout = LengthPrefixed::builder().offset(1).width(Width::U16).adjustment(1).strip(3).build()?;
/// let mut codec = AnyCodec::from(layout);
/// assert_eq!(codec.kind(), CodecKind::Length);
/// assert_eq!(codec.as_length().map(|c| c.offset()), Some(1));
///
/// let mut received = *b"\xca\x00\x02\xfehi";
/// let Decoded::Frame { start, len, .. } = codec.decode_in_place(&mut received) else {
///     panic!("a whole frame is there");
/// };
/// assert_eq!(&received[start..start + len], b"\xfehi");
///
/// assert!(!codec.has_spec());
/// assert_eq!(codec.to_string(), "length(u16be, offset=1, adjustment=1, max=8388608)");
/// assert!(codec.to_string().parse::<AnyCodec>().is_err());
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
    /// The spec `Display` shows: as parsed, or the canonical one of the codec
    /// it was made from; `None` when no spec describes that codec.
    spec: Option<Spec>,
    codec: Inner,
}

/// Which codec an [`AnyCodec`] holds.
///
/// # Examples
///
/// ```
/// use framewise::{AnyCodec, CodecKind};
/// let codec: AnyCodec = "cobs".parse()?;
/// assert_eq!(codec.kind(), CodecKind::Cobs);
/// # Ok::<(), framewise::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CodecKind {
    /// [`LengthPrefixed`].
    Length,
    /// [`Delimited`].
    Delimited,
    /// [`Lines`].
    Lines,
    /// [`FixedLength`].
    Fixed,
    /// [`Cobs`].
    Cobs,
    /// [`Raw`].
    Raw,
}

/// A codec spec, kept for `Display`.
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

    /// Which codec this is.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{AnyCodec, CodecKind, Lines};
    /// assert_eq!(AnyCodec::from(Lines::crlf()).kind(), CodecKind::Lines);
    /// ```
    pub fn kind(&self) -> CodecKind {
        match &self.codec {
            Inner::Length(_) => CodecKind::Length,
            Inner::Delimited(_) => CodecKind::Delimited,
            Inner::Lines(_) => CodecKind::Lines,
            Inner::Fixed(_) => CodecKind::Fixed,
            Inner::Cobs(_) => CodecKind::Cobs,
            Inner::Raw(_) => CodecKind::Raw,
        }
    }

    /// The [`LengthPrefixed`] codec, if this is one.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{AnyCodec, Width};
    /// let codec: AnyCodec = "length:u16le".parse()?;
    /// assert_eq!(codec.as_length().map(|c| c.width()), Some(Width::U16));
    /// assert!(codec.as_cobs().is_none());
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn as_length(&self) -> Option<&LengthPrefixed> {
        match &self.codec {
            Inner::Length(c) => Some(c),
            _ => None,
        }
    }

    /// The [`Delimited`] codec, if this is one.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec: framewise::AnyCodec = r"delim:\r\n".parse()?;
    /// let delimiters: Vec<&[u8]> = codec.as_delimited().unwrap().delimiters().collect();
    /// assert_eq!(delimiters, [b"\r\n"]);
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn as_delimited(&self) -> Option<&Delimited> {
        match &self.codec {
            Inner::Delimited(c) => Some(c),
            _ => None,
        }
    }

    /// The [`Lines`] codec, if this is one.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec: framewise::AnyCodec = "lines-crlf".parse()?;
    /// assert!(codec.as_lines().unwrap().is_crlf());
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn as_lines(&self) -> Option<&Lines> {
        match &self.codec {
            Inner::Lines(c) => Some(c),
            _ => None,
        }
    }

    /// The [`FixedLength`] codec, if this is one.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec: framewise::AnyCodec = "fixed:16".parse()?;
    /// assert_eq!(codec.as_fixed().map(|c| c.frame_len()), Some(16));
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn as_fixed(&self) -> Option<&FixedLength> {
        match &self.codec {
            Inner::Fixed(c) => Some(c),
            _ => None,
        }
    }

    /// The [`Cobs`] codec, if this is one.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec: framewise::AnyCodec = "cobs,max=300".parse()?;
    /// assert_eq!(codec.as_cobs().map(|c| c.max_frame_len()), Some(300));
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn as_cobs(&self) -> Option<&Cobs> {
        match &self.codec {
            Inner::Cobs(c) => Some(c),
            _ => None,
        }
    }

    /// The [`Raw`] codec, if this is one.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec: framewise::AnyCodec = "raw,max=1500".parse()?;
    /// assert_eq!(codec.as_raw().map(|c| c.max_frame_len()), Some(1500));
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn as_raw(&self) -> Option<&Raw> {
        match &self.codec {
            Inner::Raw(c) => Some(c),
            _ => None,
        }
    }

    /// Whether `Display` gives a spec that parses back to this codec, rather
    /// than a description (see [Display](AnyCodec#display)).
    ///
    /// Always true for a parsed codec.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{AnyCodec, Delimited, LengthPrefixed};
    ///
    /// let plain = AnyCodec::from(LengthPrefixed::new());
    /// assert!(plain.has_spec());
    /// assert_eq!(plain.to_string(), "length");
    ///
    /// let two = AnyCodec::from(Delimited::builder().delimiter(b"\r\n").delimiter(b"\n").build()?);
    /// assert!(!two.has_spec());
    /// assert_eq!(two.to_string(), r"delim(\r\n or \n, max=65536)");
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn has_spec(&self) -> bool {
        self.spec.is_some()
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
        Ok(AnyCodec {
            spec: Some(spec),
            codec,
        })
    }
}

/// `Some(max)` for a limit other than the codec's default, as a spec says it.
fn non_default(max: usize, default: usize) -> Option<usize> {
    (max != default).then_some(max)
}

/// Whether `codec`'s layout is one a `length` spec builds: no offset, no
/// adjustment, the length field stripped.
///
/// [`LengthPrefixed`] does not tell its strip setting, so it is asked how it
/// encodes an empty payload: only a codec that strips exactly its length
/// field encodes one (as the field alone, or over a limit smaller than that).
/// A codec keeping its header refuses it as shorter than the header, and one
/// dropping other bytes refuses to encode at all.
fn is_plain_layout(codec: &LengthPrefixed) -> bool {
    codec.offset() == 0
        && codec.adjustment() == 0
        && matches!(
            codec.encoded_len(&[]),
            Ok(_) | Err(Error::FrameTooLong { .. })
        )
}

impl From<LengthPrefixed> for AnyCodec {
    /// Holds `codec`, with any header layout.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{AnyCodec, LengthPrefixed, Width};
    /// let codec = AnyCodec::from(LengthPrefixed::builder().width(Width::U16).little_endian().build()?);
    /// assert_eq!(codec.to_string(), "length:u16le");
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    fn from(codec: LengthPrefixed) -> Self {
        let spec = is_plain_layout(&codec).then(|| Spec {
            kind: Kind::Length {
                width: codec.width(),
                endian: (codec.endian() == Endian::Little && codec.width() != Width::Varint)
                    .then_some(Endian::Little),
            },
            max: non_default(codec.max_frame_len(), crate::length::DEFAULT_MAX_FRAME_LEN),
        });
        AnyCodec {
            spec,
            codec: Inner::Length(codec),
        }
    }
}

impl From<Delimited> for AnyCodec {
    /// Holds `codec`, with any delimiters.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{AnyCodec, Delimited};
    /// let codec = AnyCodec::from(Delimited::new(b"\r\n")?.with_max_frame_len(100));
    /// assert_eq!(codec.to_string(), r"delim:\r\n,max=100");
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    fn from(codec: Delimited) -> Self {
        let spec = {
            let mut delimiters = codec.delimiters();
            match (delimiters.next(), delimiters.next()) {
                (Some(only), None) if !codec.keeps_delimiter() => Some(Spec {
                    kind: Kind::Delim(only.to_vec()),
                    max: non_default(
                        codec.max_frame_len(),
                        crate::delimited::DEFAULT_MAX_FRAME_LEN,
                    ),
                }),
                _ => None,
            }
        };
        AnyCodec {
            spec,
            codec: Inner::Delimited(Box::new(codec)),
        }
    }
}

impl From<Lines> for AnyCodec {
    /// Holds `codec`.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{AnyCodec, Lines};
    /// assert_eq!(AnyCodec::from(Lines::crlf()).to_string(), "lines-crlf");
    /// ```
    fn from(codec: Lines) -> Self {
        let spec = Spec {
            kind: Kind::Lines {
                crlf: codec.is_crlf(),
            },
            max: non_default(codec.max_frame_len(), crate::lines::DEFAULT_MAX_FRAME_LEN),
        };
        AnyCodec {
            spec: Some(spec),
            codec: Inner::Lines(codec),
        }
    }
}

impl From<FixedLength> for AnyCodec {
    /// Holds `codec`.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{AnyCodec, FixedLength};
    /// assert_eq!(AnyCodec::from(FixedLength::new(4)?).to_string(), "fixed:4");
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    fn from(codec: FixedLength) -> Self {
        let spec = Spec {
            kind: Kind::Fixed(codec.frame_len()),
            max: None,
        };
        AnyCodec {
            spec: Some(spec),
            codec: Inner::Fixed(codec),
        }
    }
}

impl From<Cobs> for AnyCodec {
    /// Holds `codec`.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{AnyCodec, Cobs};
    /// let codec = AnyCodec::from(Cobs::new().with_max_frame_len(256));
    /// assert_eq!(codec.to_string(), "cobs,max=256");
    /// ```
    fn from(codec: Cobs) -> Self {
        let spec = Spec {
            kind: Kind::Cobs,
            max: non_default(codec.max_frame_len(), crate::cobs::DEFAULT_MAX_FRAME_LEN),
        };
        AnyCodec {
            spec: Some(spec),
            codec: Inner::Cobs(codec),
        }
    }
}

impl From<Raw> for AnyCodec {
    /// Holds `codec`.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{AnyCodec, Raw};
    /// assert_eq!(AnyCodec::from(Raw::new()).to_string(), "raw");
    /// ```
    fn from(codec: Raw) -> Self {
        let spec = Spec {
            kind: Kind::Raw,
            max: non_default(codec.max_frame_len(), crate::raw::DEFAULT_MAX_FRAME_LEN),
        };
        AnyCodec {
            spec: Some(spec),
            codec: Inner::Raw(codec),
        }
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
    /// The spec, or a description for a codec no spec describes (see
    /// [Display](AnyCodec#display)).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.spec, &self.codec) {
            (Some(spec), _) => spec.fmt(f),
            (None, Inner::Length(c)) => {
                f.write_str("length(")?;
                match c.width() {
                    Width::Varint => f.write_str("varint")?,
                    w => {
                        let e = if c.endian() == Endian::Big {
                            "be"
                        } else {
                            "le"
                        };
                        write!(f, "{}{e}", width_name(w))?;
                    }
                }
                write!(
                    f,
                    ", offset={}, adjustment={}, max={})",
                    c.offset(),
                    c.adjustment(),
                    c.max_frame_len()
                )
            }
            (None, Inner::Delimited(c)) => {
                f.write_str("delim(")?;
                for (i, d) in c.delimiters().enumerate() {
                    if i > 0 {
                        // Spaces in a delimiter are escaped: this cannot be one.
                        f.write_str(" or ")?;
                    }
                    write_escaped(f, d)?;
                }
                if c.keeps_delimiter() {
                    f.write_str(", keep_delimiter")?;
                }
                write!(f, ", max={})", c.max_frame_len())
            }
            // Never: every other codec has a spec.
            (None, _) => write!(f, "{:?}", self.kind()),
        }
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Lines { crlf: false } => f.write_str("lines")?,
            Kind::Lines { crlf: true } => f.write_str("lines-crlf")?,
            Kind::Delim(d) => {
                f.write_str("delim:")?;
                write_escaped(f, d)?;
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
                let e = match endian {
                    None => "",
                    Some(Endian::Big) => "be",
                    Some(Endian::Little) => "le",
                };
                write!(f, "length:{}{e}", width_name(*width))?;
            }
            Kind::Fixed(n) => write!(f, "fixed:{n}")?,
            Kind::Cobs => f.write_str("cobs")?,
            Kind::Raw => f.write_str("raw")?,
        }
        if let Some(max) = self.max {
            write!(f, ",max={max}")?;
        }
        Ok(())
    }
}

/// A fixed width as a spec names it.
fn width_name(width: Width) -> &'static str {
    match width {
        Width::U8 => "u8",
        Width::U16 => "u16",
        Width::U24 => "u24",
        Width::U64 => "u64",
        _ => "u32",
    }
}

/// Delimiter bytes as `delim:` spells them: the escapes [`unescape`] reads,
/// `,` and anything not printable as `\xNN`.
fn write_escaped(f: &mut fmt::Formatter<'_>, delimiter: &[u8]) -> fmt::Result {
    for &b in delimiter {
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
    Ok(())
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

impl DecodeMut for AnyCodec {
    /// The next frame, as the codec held decodes it.
    #[inline]
    fn decode_in_place(&mut self, src: &mut [u8]) -> Decoded {
        match &mut self.codec {
            Inner::Length(c) => c.decode_in_place(src),
            Inner::Delimited(c) => c.decode_in_place(src),
            Inner::Lines(c) => c.decode_in_place(src),
            Inner::Fixed(c) => c.decode_in_place(src),
            Inner::Cobs(c) => c.decode_in_place(src),
            Inner::Raw(c) => c.decode_in_place(src),
        }
    }

    /// The next frame at the end of the stream, as the codec held decodes it.
    fn decode_in_place_eof(&mut self, src: &mut [u8]) -> Decoded {
        match &mut self.codec {
            Inner::Length(c) => c.decode_in_place_eof(src),
            Inner::Delimited(c) => c.decode_in_place_eof(src),
            Inner::Lines(c) => c.decode_in_place_eof(src),
            Inner::Fixed(c) => c.decode_in_place_eof(src),
            Inner::Cobs(c) => c.decode_in_place_eof(src),
            Inner::Raw(c) => c.decode_in_place_eof(src),
        }
    }
}

impl Encode for AnyCodec {
    /// The size of `item` framed by the codec held, or its refusal.
    ///
    /// # Errors
    ///
    /// The codec's refusals; for `Lines`, first [`Error::Unencodable`] for
    /// an item that is not UTF-8.
    #[inline]
    fn encoded_len(&self, item: &[u8]) -> Result<usize, Error> {
        match &self.codec {
            Inner::Length(c) => c.encoded_len(item),
            Inner::Delimited(c) => c.encoded_len(item),
            Inner::Lines(c) => c.encoded_len(item),
            Inner::Fixed(c) => c.encoded_len(item),
            Inner::Cobs(c) => c.encoded_len(item),
            Inner::Raw(c) => c.encoded_len(item),
        }
    }

    #[inline]
    fn write_frame<O: Output + ?Sized>(&self, item: &[u8], encoded_len: usize, out: &mut O) {
        match &self.codec {
            Inner::Length(c) => c.write_frame(item, encoded_len, out),
            Inner::Delimited(c) => c.write_frame(item, encoded_len, out),
            Inner::Lines(c) => c.write_frame(item, encoded_len, out),
            Inner::Fixed(c) => c.write_frame(item, encoded_len, out),
            Inner::Cobs(c) => c.write_frame(item, encoded_len, out),
            Inner::Raw(c) => c.write_frame(item, encoded_len, out),
        }
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
