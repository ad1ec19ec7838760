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
use crate::{
    Cobs, Crc, CrcAlgorithm, Delimited, Endian, FixedLength, HexLength, LengthPrefixed, Lines,
    Netstring, OctetCounting, Raw, Slip, Stuffed, Stuffing, Width,
};

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
/// | `length:varint4` | [`LengthPrefixed::builder`] with [`Width::Varint4`] (MQTT's remaining length) |
/// | `fixed:<n>` | [`FixedLength::new`] |
/// | `cobs` | [`Cobs::new`] |
/// | `raw` | [`Raw::new`] |
/// | `slip`, `slip:lead` | [`Slip::new`]; `lead` also writes an END before each frame ([`Slip::with_leading_end`]) |
/// | `hdlc` | [`Stuffed::hdlc`]: flag `7E`, escape `7D`, XOR `20` |
/// | `dle` | [`Stuffed::dle`]: DLE-STX/ETX with DLE doubling |
/// | `netstring` | [`Netstring::new`] |
/// | `octets` | [`OctetCounting::new`] (RFC 6587) |
/// | `hexlen`, `hexlen:<1-16>`, each with an optional `:upper` suffix | [`HexLength::new`] (4 digits by default, as adb), [`HexLength::with_uppercase`] |
///
/// Then, in any order, each at most once:
///
/// - `,crc=<name>` adds a CRC trailer to each payload ([`Crc`]): `<name>` is
///   one of [`CrcAlgorithm::name`] (`crc8`, `crc16-xmodem`,
///   `crc16-ccitt-false`, `crc16-modbus`, `crc16-arc`, `crc16-kermit`,
///   `crc16-ibm-sdlc`, `crc32`, `crc32c`), with an optional `:be` or `:le`
///   for the trailer's byte order (default: the
///   [algorithm's](CrcAlgorithm::default_endian)). `cobs,crc=crc16-xmodem` is
///   the firmware framing `COBS(payload ‖ crc16) ‖ 00`; `length:u16,crc=crc32`
///   counts the trailer in the length. Not with `lines`, `lines-crlf` or
///   `delim:`, whose encoders cannot carry the arbitrary bytes of a checksum.
/// - `,max=<n>` sets the frame limit (`,max=64k`, `,max=8m` for KiB and MiB),
///   as the codec counts it (a `length` limit counts the header, the others
///   the payload). With a `crc=`, it is the limit of the codec under the
///   trailer, so it counts the trailer too: with `length:u16,crc=crc32,max=4k`
///   a frame is at most 4,096 bytes on the wire, 2 of length, at most 4,090
///   of data and 4 of checksum, as [`max_frame_len`](AnyCodec::max_frame_len)
///   and the codec's [`FrameTooLong`](Error::FrameTooLong) errors say.
///
/// The canonical spec (what `Display` shows) writes `crc=` before `max=`,
/// sizes in bytes, and the trailer's order only when it is not the default.
///
/// The item is bytes whatever the codec: `Lines` frames are handed over as
/// their UTF-8 bytes, and a `Lines` encoder refuses bytes that are not UTF-8.
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
/// [`Delimited`] with several delimiters or keeping them, a [`Stuffed`]
/// codec with bytes of its own, a [`Crc`] over such a codec, over `lines` or
/// `delim:`, or over another `Crc`) is shown as a description such as
/// `length(u16be, offset=1, adjustment=1, max=8388608)`,
/// `delim(\r\n or \n, keep_delimiter, max=65536)` or
/// `crc(lines, crc32, le)`, which is not a spec:
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
///
/// A CRC trailer over a codec, from a spec or a value:
///
/// ```
/// use framewise::{AnyCodec, CodecKind, Cobs, Crc, CrcAlgorithm, Encode};
///
/// let codec: AnyCodec = "cobs,crc=crc16-xmodem".parse()?;
/// assert_eq!(codec.kind(), CodecKind::Crc);
/// let mut wire = [0u8; 16];
/// let n = codec.encode_to_slice(b"123456789", &mut wire)?;
/// assert_eq!(&wire[..n], b"\x0c123456789\x31\xc3\x00"); // COBS(data ‖ 31 c3) ‖ 00
///
/// let same = AnyCodec::from(Crc::new(Cobs::new(), CrcAlgorithm::Crc16Xmodem));
/// assert_eq!(same.to_string(), "cobs,crc=crc16-xmodem");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct AnyCodec {
    /// The spec `Display` shows: as parsed, or the canonical one of the codec
    /// it was made from; `None` when no spec describes that codec.
    // Boxed: only `Display` reads it, and it would double the size of
    // every `AnyCodec`.
    spec: Option<Box<Spec>>,
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
    /// [`Slip`].
    Slip,
    /// [`Stuffed`]: HDLC-like or DLE-STX/ETX.
    Stuffed,
    /// [`Netstring`].
    Netstring,
    /// [`OctetCounting`].
    OctetCounting,
    /// [`HexLength`].
    HexLength,
    /// A [`Crc`] trailer over another codec ([`AnyCodec::as_crc`] gives it).
    Crc,
}

/// A codec spec, kept for `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Spec {
    kind: Kind,
    crc: Option<CrcSpec>,
    max: Option<usize>,
}

/// A spec's `crc=` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CrcSpec {
    algorithm: CrcAlgorithm,
    endian: Endian,
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
    Slip {
        lead: bool,
    },
    Hdlc,
    Dle,
    Netstring,
    Octets,
    HexLen {
        width: usize,
        upper: bool,
    },
}

impl Kind {
    /// Whether a CRC trailer may be added: the encoder can carry any bytes
    /// at the end of a payload (so not a delimiter or UTF-8 text).
    fn takes_crc(&self) -> bool {
        !matches!(self, Kind::Lines { .. } | Kind::Delim(_))
    }
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
    Slip(Slip),
    Stuffed(Stuffed),
    Netstring(Netstring),
    OctetCounting(OctetCounting),
    HexLength(HexLength),
    // Boxed: it holds an `AnyCodec`.
    Crc(Box<Crc<AnyCodec>>),
}

/// Calls `$body` with `$c` bound to the codec an [`Inner`] holds.
macro_rules! dispatch {
    ($inner:expr, $c:ident => $body:expr) => {
        match $inner {
            Inner::Length($c) => $body,
            Inner::Delimited($c) => $body,
            Inner::Lines($c) => $body,
            Inner::Fixed($c) => $body,
            Inner::Cobs($c) => $body,
            Inner::Raw($c) => $body,
            Inner::Slip($c) => $body,
            Inner::Stuffed($c) => $body,
            Inner::Netstring($c) => $body,
            Inner::OctetCounting($c) => $body,
            Inner::HexLength($c) => $body,
            Inner::Crc($c) => $body,
        }
    };
}

impl AnyCodec {
    /// The largest frame the codec accepts.
    ///
    /// For a [`Crc`] trailer over a codec, the limit of the codec under it,
    /// which counts the trailer: the data of a frame can be
    /// [`trailer_len`](Crc::trailer_len) bytes fewer.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec: framewise::AnyCodec = "lines,max=1k".parse()?;
    /// assert_eq!(codec.max_frame_len(), 1024);
    /// let codec: framewise::AnyCodec = "length:u16,crc=crc32,max=4k".parse()?;
    /// assert_eq!(codec.max_frame_len(), 4096); // 2 of length, 4090 of data, 4 of CRC-32
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
            Inner::Slip(c) => c.max_frame_len(),
            Inner::Stuffed(c) => c.max_frame_len(),
            Inner::Netstring(c) => c.max_frame_len(),
            Inner::OctetCounting(c) => c.max_frame_len(),
            Inner::HexLength(c) => c.max_frame_len(),
            Inner::Crc(c) => c.inner().max_frame_len(),
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
            Inner::Slip(_) => CodecKind::Slip,
            Inner::Stuffed(_) => CodecKind::Stuffed,
            Inner::Netstring(_) => CodecKind::Netstring,
            Inner::OctetCounting(_) => CodecKind::OctetCounting,
            Inner::HexLength(_) => CodecKind::HexLength,
            Inner::Crc(_) => CodecKind::Crc,
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

    /// The [`Slip`] codec, if this is one.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec: framewise::AnyCodec = "slip:lead".parse()?;
    /// assert_eq!(codec.as_slip().map(|c| c.leading_end()), Some(true));
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn as_slip(&self) -> Option<&Slip> {
        match &self.codec {
            Inner::Slip(c) => Some(c),
            _ => None,
        }
    }

    /// The [`Stuffed`] codec (`hdlc`, `dle`), if this is one.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::Stuffing;
    /// let codec: framewise::AnyCodec = "dle".parse()?;
    /// assert_eq!(codec.as_stuffed().map(|c| c.stuffing()), Some(Stuffing::DleStxEtx));
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn as_stuffed(&self) -> Option<&Stuffed> {
        match &self.codec {
            Inner::Stuffed(c) => Some(c),
            _ => None,
        }
    }

    /// The [`Netstring`] codec, if this is one.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec: framewise::AnyCodec = "netstring,max=100".parse()?;
    /// assert_eq!(codec.as_netstring().map(|c| c.max_frame_len()), Some(100));
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn as_netstring(&self) -> Option<&Netstring> {
        match &self.codec {
            Inner::Netstring(c) => Some(c),
            _ => None,
        }
    }

    /// The [`OctetCounting`] codec, if this is one.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec: framewise::AnyCodec = "octets".parse()?;
    /// assert!(codec.as_octet_counting().is_some());
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn as_octet_counting(&self) -> Option<&OctetCounting> {
        match &self.codec {
            Inner::OctetCounting(c) => Some(c),
            _ => None,
        }
    }

    /// The [`HexLength`] codec, if this is one.
    ///
    /// # Examples
    ///
    /// ```
    /// let codec: framewise::AnyCodec = "hexlen:8:upper".parse()?;
    /// let hex = codec.as_hex_length().unwrap();
    /// assert_eq!((hex.width(), hex.uppercase()), (8, true));
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn as_hex_length(&self) -> Option<&HexLength> {
        match &self.codec {
            Inner::HexLength(c) => Some(c),
            _ => None,
        }
    }

    /// The [`Crc`] trailer and the codec under it, if this is one.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{CodecKind, CrcAlgorithm, Endian};
    ///
    /// let codec: framewise::AnyCodec = "length:u16,crc=crc32:be".parse()?;
    /// let crc = codec.as_crc().unwrap();
    /// assert_eq!((crc.algorithm(), crc.endian()), (CrcAlgorithm::Crc32, Endian::Big));
    /// assert_eq!(crc.inner().kind(), CodecKind::Length);
    /// assert_eq!(crc.inner().to_string(), "length:u16");
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn as_crc(&self) -> Option<&Crc<AnyCodec>> {
        match &self.codec {
            Inner::Crc(c) => Some(c),
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
        if let Some(crc) = spec.crc {
            // The limit goes to the codec under the trailer, and counts it.
            let inner = AnyCodec::build(Spec {
                crc: None,
                ..spec.clone()
            })?;
            let codec = Crc::new(inner, crc.algorithm).with_endian(crc.endian);
            return Ok(AnyCodec {
                spec: Some(Box::new(spec)),
                codec: Inner::Crc(Box::new(codec)),
            });
        }
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
            Kind::Slip { lead } => {
                let slip = Slip::new().with_leading_end(*lead);
                Inner::Slip(match spec.max {
                    Some(max) => slip.with_max_frame_len(max),
                    None => slip,
                })
            }
            Kind::Hdlc | Kind::Dle => {
                let stuffed = match spec.kind {
                    Kind::Hdlc => Stuffed::hdlc(),
                    _ => Stuffed::dle(),
                };
                Inner::Stuffed(match spec.max {
                    Some(max) => stuffed.with_max_frame_len(max),
                    None => stuffed,
                })
            }
            Kind::Netstring => Inner::Netstring(match spec.max {
                Some(max) => Netstring::new().with_max_frame_len(max),
                None => Netstring::new(),
            }),
            Kind::Octets => Inner::OctetCounting(match spec.max {
                Some(max) => OctetCounting::new().with_max_frame_len(max),
                None => OctetCounting::new(),
            }),
            Kind::HexLen { width, upper } => {
                let hex = HexLength::new(*width)?.with_uppercase(*upper);
                Inner::HexLength(match spec.max {
                    Some(max) => hex.with_max_frame_len(max),
                    None => hex,
                })
            }
        };
        Ok(AnyCodec {
            spec: Some(Box::new(spec)),
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
                endian: (codec.endian() == Endian::Little && codec.width().fixed_size().is_some())
                    .then_some(Endian::Little),
            },
            crc: None,
            max: non_default(codec.max_frame_len(), crate::length::DEFAULT_MAX_FRAME_LEN),
        });
        AnyCodec {
            spec: spec.map(Box::new),
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
                    crc: None,
                    max: non_default(
                        codec.max_frame_len(),
                        crate::delimited::DEFAULT_MAX_FRAME_LEN,
                    ),
                }),
                _ => None,
            }
        };
        AnyCodec {
            spec: spec.map(Box::new),
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
            crc: None,
            max: non_default(codec.max_frame_len(), crate::lines::DEFAULT_MAX_FRAME_LEN),
        };
        AnyCodec {
            spec: Some(Box::new(spec)),
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
            crc: None,
            max: None,
        };
        AnyCodec {
            spec: Some(Box::new(spec)),
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
            crc: None,
            max: non_default(codec.max_frame_len(), crate::cobs::DEFAULT_MAX_FRAME_LEN),
        };
        AnyCodec {
            spec: Some(Box::new(spec)),
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
            crc: None,
            max: non_default(codec.max_frame_len(), crate::raw::DEFAULT_MAX_FRAME_LEN),
        };
        AnyCodec {
            spec: Some(Box::new(spec)),
            codec: Inner::Raw(codec),
        }
    }
}

impl From<Slip> for AnyCodec {
    /// Holds `codec`.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{AnyCodec, Slip};
    /// let codec = AnyCodec::from(Slip::new().with_leading_end(true));
    /// assert_eq!(codec.to_string(), "slip:lead");
    /// ```
    fn from(codec: Slip) -> Self {
        let spec = Spec {
            kind: Kind::Slip {
                lead: codec.leading_end(),
            },
            crc: None,
            max: non_default(codec.max_frame_len(), crate::stuffed::DEFAULT_MAX_FRAME_LEN),
        };
        AnyCodec {
            spec: Some(Box::new(spec)),
            codec: Inner::Slip(codec),
        }
    }
}

impl From<Stuffed> for AnyCodec {
    /// Holds `codec`, with any stuffing bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{AnyCodec, Stuffed};
    /// assert_eq!(AnyCodec::from(Stuffed::hdlc()).to_string(), "hdlc");
    /// let other = AnyCodec::from(Stuffed::hdlc_like(0xc0, 0xdb, 0x20)?);
    /// assert!(!other.has_spec());
    /// assert_eq!(other.to_string(), "hdlc(flag=0xc0, escape=0xdb, xor=0x20, max=1048576)");
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    fn from(codec: Stuffed) -> Self {
        let kind = match codec.stuffing() {
            Stuffing::Hdlc {
                flag: 0x7E,
                escape: 0x7D,
                xor: 0x20,
            } => Some(Kind::Hdlc),
            Stuffing::DleStxEtx => Some(Kind::Dle),
            _ => None,
        };
        let spec = kind.map(|kind| Spec {
            kind,
            crc: None,
            max: non_default(codec.max_frame_len(), crate::stuffed::DEFAULT_MAX_FRAME_LEN),
        });
        AnyCodec {
            spec: spec.map(Box::new),
            codec: Inner::Stuffed(codec),
        }
    }
}

impl From<Netstring> for AnyCodec {
    /// Holds `codec`.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{AnyCodec, Netstring};
    /// assert_eq!(AnyCodec::from(Netstring::new()).to_string(), "netstring");
    /// ```
    fn from(codec: Netstring) -> Self {
        let spec = Spec {
            kind: Kind::Netstring,
            crc: None,
            max: non_default(codec.max_frame_len(), crate::ascii::DEFAULT_MAX_FRAME_LEN),
        };
        AnyCodec {
            spec: Some(Box::new(spec)),
            codec: Inner::Netstring(codec),
        }
    }
}

impl From<OctetCounting> for AnyCodec {
    /// Holds `codec`.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{AnyCodec, OctetCounting};
    /// assert_eq!(AnyCodec::from(OctetCounting::new()).to_string(), "octets");
    /// ```
    fn from(codec: OctetCounting) -> Self {
        let spec = Spec {
            kind: Kind::Octets,
            crc: None,
            max: non_default(codec.max_frame_len(), crate::ascii::DEFAULT_MAX_FRAME_LEN),
        };
        AnyCodec {
            spec: Some(Box::new(spec)),
            codec: Inner::OctetCounting(codec),
        }
    }
}

impl From<HexLength> for AnyCodec {
    /// Holds `codec`.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{AnyCodec, HexLength};
    /// assert_eq!(AnyCodec::from(HexLength::new(4)?).to_string(), "hexlen:4");
    /// let upper = AnyCodec::from(HexLength::new(6)?.with_uppercase(true).with_max_frame_len(100));
    /// assert_eq!(upper.to_string(), "hexlen:6:upper,max=100");
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    fn from(codec: HexLength) -> Self {
        let width = codec.width();
        let default = HexLength::new(width).map_or(0, |c| c.max_frame_len());
        let spec = Spec {
            kind: Kind::HexLen {
                width,
                upper: codec.uppercase(),
            },
            crc: None,
            max: non_default(codec.max_frame_len(), default),
        };
        AnyCodec {
            spec: Some(Box::new(spec)),
            codec: Inner::HexLength(codec),
        }
    }
}

impl<C: Into<AnyCodec>> From<Crc<C>> for AnyCodec {
    /// Holds the trailer over its codec, itself held as an `AnyCodec`.
    ///
    /// The spec is the inner codec's with `crc=` added, when the inner codec
    /// has a spec that takes one (not `lines` or `delim:`, not a trailer
    /// already).
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{AnyCodec, Crc, CrcAlgorithm, Endian, LengthPrefixed, Lines, Width};
    ///
    /// let length = LengthPrefixed::builder().width(Width::U16).build()?;
    /// let codec = AnyCodec::from(Crc::new(length, CrcAlgorithm::Crc32).with_endian(Endian::Big));
    /// assert_eq!(codec.to_string(), "length:u16,crc=crc32:be");
    ///
    /// // Decodes, but no spec says it: a line cannot carry any checksum.
    /// let lines = AnyCodec::from(Crc::new(Lines::new(), CrcAlgorithm::Crc8));
    /// assert_eq!(lines.to_string(), "crc(lines, crc8, be)");
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    fn from(codec: Crc<C>) -> Self {
        let (algorithm, endian) = (codec.algorithm(), codec.endian());
        let inner: AnyCodec = codec.into_inner().into();
        let spec = match &inner.spec {
            Some(spec) if spec.crc.is_none() && spec.kind.takes_crc() => Some(Spec {
                crc: Some(CrcSpec { algorithm, endian }),
                ..(**spec).clone()
            }),
            _ => None,
        };
        AnyCodec {
            spec: spec.map(Box::new),
            codec: Inner::Crc(Box::new(Crc::new(inner, algorithm).with_endian(endian))),
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
        // Options are taken from the end, so a delimiter may hold a comma
        // (`delim:,` is the delimiter `,`).
        let mut base = s;
        let mut max = None;
        let mut crc = None;
        while let Some((rest, option)) = base.rsplit_once(',') {
            if let Some(size) = option.strip_prefix("max=") {
                if max.is_some() {
                    return Err(fail("max= is given twice".into()));
                }
                max = Some(parse_size(size).map_err(fail)?);
            } else if let Some(name) = option.strip_prefix("crc=") {
                if crc.is_some() {
                    return Err(fail("crc= is given twice".into()));
                }
                crc = Some(parse_crc(name).map_err(fail)?);
            } else {
                break;
            }
            base = rest;
        }
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
            ("length", Some("varint4")) => Kind::Length {
                width: Width::Varint4,
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
            ("slip", None) => Kind::Slip { lead: false },
            ("slip", Some("lead")) => Kind::Slip { lead: true },
            ("hdlc", None) => Kind::Hdlc,
            ("dle", None) => Kind::Dle,
            ("netstring", None) => Kind::Netstring,
            ("octets", None) => Kind::Octets,
            ("hexlen", arg) => parse_hexlen(arg.unwrap_or("")).map_err(fail)?,
            _ => return Err(fail(format!("unknown codec {base:?}"))),
        };
        if crc.is_some() && !kind.takes_crc() {
            return Err(fail(format!(
                "{name} cannot carry a CRC trailer (a checksum can hold any byte, a delimiter or a line break included)"
            )));
        }
        AnyCodec::build(Spec { kind, crc, max }).map_err(|e| fail(e.to_string()))
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
                    Width::Varint4 => f.write_str("varint4")?,
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
            (None, Inner::Stuffed(c)) => match c.stuffing() {
                Stuffing::Hdlc { flag, escape, xor } => write!(
                    f,
                    "hdlc(flag={flag:#04x}, escape={escape:#04x}, xor={xor:#04x}, max={})",
                    c.max_frame_len()
                ),
                other => write!(f, "{other:?}"),
            },
            (None, Inner::Crc(c)) => {
                let endian = match c.endian() {
                    Endian::Big => "be",
                    Endian::Little => "le",
                };
                write!(f, "crc({}, {}, {endian})", c.inner(), c.algorithm().name())
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
            Kind::Length {
                width: Width::Varint4,
                ..
            } => f.write_str("length:varint4")?,
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
            Kind::Slip { lead: false } => f.write_str("slip")?,
            Kind::Slip { lead: true } => f.write_str("slip:lead")?,
            Kind::Hdlc => f.write_str("hdlc")?,
            Kind::Dle => f.write_str("dle")?,
            Kind::Netstring => f.write_str("netstring")?,
            Kind::Octets => f.write_str("octets")?,
            Kind::HexLen { width, upper } => {
                write!(f, "hexlen:{width}{}", if *upper { ":upper" } else { "" })?;
            }
        }
        if let Some(crc) = self.crc {
            write!(f, ",crc={}", crc.algorithm.name())?;
            if crc.endian != crc.algorithm.default_endian() {
                f.write_str(match crc.endian {
                    Endian::Big => ":be",
                    Endian::Little => ":le",
                })?;
            }
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

/// `crc32`, `crc16-modbus:be`.
fn parse_crc(arg: &str) -> Result<CrcSpec, String> {
    let (name, endian) = match arg.rsplit_once(':') {
        Some((name, "be")) => (name, Some(Endian::Big)),
        Some((name, "le")) => (name, Some(Endian::Little)),
        _ => (arg, None),
    };
    let algorithm = CrcAlgorithm::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = CrcAlgorithm::ALL.iter().map(|a| a.name()).collect();
        format!(
            "unknown CRC {name:?} (crc= takes {}, with an optional :be or :le)",
            names.join(", ")
        )
    })?;
    Ok(CrcSpec {
        algorithm,
        endian: endian.unwrap_or(algorithm.default_endian()),
    })
}

/// What follows `hexlen`: nothing, `:<digits>`, and/or `:upper`.
fn parse_hexlen(arg: &str) -> Result<Kind, String> {
    let (digits, upper) = match arg.strip_suffix("upper") {
        Some(rest) if rest.is_empty() || rest.ends_with(':') => {
            (rest.strip_suffix(':').unwrap_or(rest), true)
        }
        _ => (arg, false),
    };
    let width = match digits {
        "" => 4,
        d => d
            .parse()
            .map_err(|_| format!("{d:?} is not a number of hex digits"))?,
    };
    Ok(Kind::HexLen { width, upper })
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
        dispatch!(&mut self.codec, c => c.decode_in_place(src))
    }

    /// The next frame at the end of the stream, as the codec held decodes it.
    fn decode_in_place_eof(&mut self, src: &mut [u8]) -> Decoded {
        dispatch!(&mut self.codec, c => c.decode_in_place_eof(src))
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
        dispatch!(&self.codec, c => c.encoded_len(item))
    }

    #[inline]
    fn write_frame<O: Output + ?Sized>(&self, item: &[u8], encoded_len: usize, out: &mut O) {
        dispatch!(&self.codec, c => c.write_frame(item, encoded_len, out))
    }

    /// The codec held's size for the payload `head ‖ tail`, so that a
    /// [`Crc`] over an `AnyCodec` encodes wherever the codec held can.
    ///
    /// # Errors
    ///
    /// The codec held's refusals (see [`Encode::encoded_len_parts`]).
    #[inline]
    fn encoded_len_parts(&self, head: &[u8], tail: &[u8]) -> Result<usize, Error> {
        dispatch!(&self.codec, c => c.encoded_len_parts(head, tail))
    }

    #[inline]
    fn write_frame_parts<O: Output + ?Sized>(
        &self,
        head: &[u8],
        tail: &[u8],
        encoded_len: usize,
        out: &mut O,
    ) {
        dispatch!(&self.codec, c => c.write_frame_parts(head, tail, encoded_len, out))
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
