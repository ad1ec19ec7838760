//! A CRC trailer on any framing: each frame's payload is the data followed
//! by a checksum of the data.
//!
//! ```text
//! Crc::new(LengthPrefixed, CrcAlgorithm::Crc16Xmodem), "123456789":
//! +-- len --+------ data ------+- crc16 -+
//! | 00 00   | 1 2 3 4 5 6 7 8 9 | 31 c3   |
//! |   00 0b |                   |  (BE)   |
//! +---------+-------------------+---------+
//!   the length counts the trailer
//!
//! Crc::new(Cobs, CrcAlgorithm::Crc16Xmodem): COBS(data ‖ crc16) ‖ 00,
//! the framing of mcuboot's serial recovery and SMP clients
//! ```
//!
//! The algorithms come from the [`crc`](https://crates.io/crates/crc)
//! crate's catalogue (tables computed at compile time), so the checksums are
//! the standard ones: each has its check value for `"123456789"` in its docs
//! and in the tests.

use crate::error::Error;
use crate::framing::{DecodeMut, Decoded, Encode, Output};
use crate::length::Endian;

static CRC_8: crc::Crc<u8> = crc::Crc::<u8>::new(&crc::CRC_8_SMBUS);
static CRC_16_XMODEM: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_XMODEM);
static CRC_16_CCITT_FALSE: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_IBM_3740);
static CRC_16_MODBUS: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_MODBUS);
static CRC_16_ARC: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_ARC);
static CRC_16_KERMIT: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_KERMIT);
static CRC_16_IBM_SDLC: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_IBM_SDLC);
static CRC_32_ISO_HDLC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
static CRC_32C: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);

/// A CRC algorithm of the catalogue, by its catalogue parameters.
///
/// | variant | catalogue name | width | check (`"123456789"`) | default trailer order |
/// |---|---|---|---|---|
/// | `Crc8` | CRC-8/SMBUS ("CRC-8") | 1 | `0xf4` | - |
/// | `Crc16Xmodem` | CRC-16/XMODEM | 2 | `0x31c3` | big-endian |
/// | `Crc16CcittFalse` | CRC-16/IBM-3740 ("CCITT-FALSE") | 2 | `0x29b1` | big-endian |
/// | `Crc16Modbus` | CRC-16/MODBUS | 2 | `0x4b37` | little-endian |
/// | `Crc16Arc` | CRC-16/ARC | 2 | `0xbb3d` | little-endian |
/// | `Crc16Kermit` | CRC-16/KERMIT | 2 | `0x2189` | little-endian |
/// | `Crc16IbmSdlc` | CRC-16/IBM-SDLC ("X-25", PPP's FCS-16) | 2 | `0x906e` | little-endian |
/// | `Crc32` | CRC-32/ISO-HDLC (zlib, Ethernet, PPP's FCS-32) | 4 | `0xcbf43926` | little-endian |
/// | `Crc32c` | CRC-32/ISCSI ("CRC-32C", Castagnoli) | 4 | `0xe3069283` | little-endian |
///
/// The default trailer order follows the algorithm: reflected algorithms
/// (which process bytes least significant bit first) send the checksum least
/// significant byte first, as Modbus RTU, Kermit, PPP and Ethernet do; the
/// others most significant byte first, as XMODEM does.
///
/// # Examples
///
/// ```
/// use framewise::CrcAlgorithm;
///
/// let alg = CrcAlgorithm::from_name("crc16-xmodem").unwrap();
/// assert_eq!(alg, CrcAlgorithm::Crc16Xmodem);
/// assert_eq!(alg.checksum(b"123456789"), 0x31c3);
/// assert_eq!(alg.width(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CrcAlgorithm {
    /// CRC-8/SMBUS, the plain "CRC-8" (polynomial 0x07).
    Crc8,
    /// CRC-16/XMODEM (polynomial 0x1021, init 0): XMODEM, ZMODEM, mcuboot's
    /// serial recovery.
    Crc16Xmodem,
    /// CRC-16/CCITT-FALSE, catalogued as CRC-16/IBM-3740 (polynomial 0x1021,
    /// init 0xFFFF).
    Crc16CcittFalse,
    /// CRC-16/MODBUS: Modbus RTU.
    Crc16Modbus,
    /// CRC-16/ARC (the "CRC-16" of LHA and many serial protocols).
    Crc16Arc,
    /// CRC-16/KERMIT.
    Crc16Kermit,
    /// CRC-16/IBM-SDLC, also called X-25: the FCS-16 of HDLC and PPP
    /// (RFC 1662).
    Crc16IbmSdlc,
    /// CRC-32/ISO-HDLC: the CRC-32 of zlib, gzip, PNG, Ethernet and PPP's
    /// FCS-32.
    Crc32,
    /// CRC-32C (Castagnoli), catalogued as CRC-32/ISCSI: iSCSI, SCTP, ext4.
    Crc32c,
}

impl CrcAlgorithm {
    /// Every algorithm, in the order of the table above.
    pub const ALL: [CrcAlgorithm; 9] = [
        CrcAlgorithm::Crc8,
        CrcAlgorithm::Crc16Xmodem,
        CrcAlgorithm::Crc16CcittFalse,
        CrcAlgorithm::Crc16Modbus,
        CrcAlgorithm::Crc16Arc,
        CrcAlgorithm::Crc16Kermit,
        CrcAlgorithm::Crc16IbmSdlc,
        CrcAlgorithm::Crc32,
        CrcAlgorithm::Crc32c,
    ];

    /// The algorithm's name in codec specs: `crc8`, `crc16-xmodem`,
    /// `crc16-ccitt-false`, `crc16-modbus`, `crc16-arc`, `crc16-kermit`,
    /// `crc16-ibm-sdlc`, `crc32`, `crc32c`.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::CrcAlgorithm;
    /// assert_eq!(CrcAlgorithm::Crc32c.name(), "crc32c");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            CrcAlgorithm::Crc8 => "crc8",
            CrcAlgorithm::Crc16Xmodem => "crc16-xmodem",
            CrcAlgorithm::Crc16CcittFalse => "crc16-ccitt-false",
            CrcAlgorithm::Crc16Modbus => "crc16-modbus",
            CrcAlgorithm::Crc16Arc => "crc16-arc",
            CrcAlgorithm::Crc16Kermit => "crc16-kermit",
            CrcAlgorithm::Crc16IbmSdlc => "crc16-ibm-sdlc",
            CrcAlgorithm::Crc32 => "crc32",
            CrcAlgorithm::Crc32c => "crc32c",
        }
    }

    /// The algorithm of a [`name`](Self::name), ASCII case ignored.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::CrcAlgorithm;
    /// assert_eq!(CrcAlgorithm::from_name("CRC32"), Some(CrcAlgorithm::Crc32));
    /// assert_eq!(CrcAlgorithm::from_name("crc64"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// The checksum's size in bytes: 1, 2 or 4.
    pub fn width(self) -> usize {
        match self {
            CrcAlgorithm::Crc8 => 1,
            CrcAlgorithm::Crc32 | CrcAlgorithm::Crc32c => 4,
            _ => 2,
        }
    }

    /// The catalogue's check value: the checksum of `"123456789"`.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::CrcAlgorithm;
    /// for alg in CrcAlgorithm::ALL {
    ///     assert_eq!(alg.checksum(b"123456789"), alg.check());
    /// }
    /// ```
    pub fn check(self) -> u64 {
        match self {
            CrcAlgorithm::Crc8 => CRC_8.algorithm.check.into(),
            CrcAlgorithm::Crc16Xmodem => CRC_16_XMODEM.algorithm.check.into(),
            CrcAlgorithm::Crc16CcittFalse => CRC_16_CCITT_FALSE.algorithm.check.into(),
            CrcAlgorithm::Crc16Modbus => CRC_16_MODBUS.algorithm.check.into(),
            CrcAlgorithm::Crc16Arc => CRC_16_ARC.algorithm.check.into(),
            CrcAlgorithm::Crc16Kermit => CRC_16_KERMIT.algorithm.check.into(),
            CrcAlgorithm::Crc16IbmSdlc => CRC_16_IBM_SDLC.algorithm.check.into(),
            CrcAlgorithm::Crc32 => CRC_32_ISO_HDLC.algorithm.check.into(),
            CrcAlgorithm::Crc32c => CRC_32C.algorithm.check.into(),
        }
    }

    /// The byte order a trailer of this algorithm usually has on the wire:
    /// little-endian for the reflected algorithms, big-endian for the others.
    pub fn default_endian(self) -> Endian {
        match self {
            CrcAlgorithm::Crc8 | CrcAlgorithm::Crc16Xmodem | CrcAlgorithm::Crc16CcittFalse => {
                Endian::Big
            }
            _ => Endian::Little,
        }
    }

    /// The checksum of `data`.
    pub fn checksum(self, data: &[u8]) -> u64 {
        match self {
            CrcAlgorithm::Crc8 => CRC_8.checksum(data).into(),
            CrcAlgorithm::Crc16Xmodem => CRC_16_XMODEM.checksum(data).into(),
            CrcAlgorithm::Crc16CcittFalse => CRC_16_CCITT_FALSE.checksum(data).into(),
            CrcAlgorithm::Crc16Modbus => CRC_16_MODBUS.checksum(data).into(),
            CrcAlgorithm::Crc16Arc => CRC_16_ARC.checksum(data).into(),
            CrcAlgorithm::Crc16Kermit => CRC_16_KERMIT.checksum(data).into(),
            CrcAlgorithm::Crc16IbmSdlc => CRC_16_IBM_SDLC.checksum(data).into(),
            CrcAlgorithm::Crc32 => CRC_32_ISO_HDLC.checksum(data).into(),
            CrcAlgorithm::Crc32c => CRC_32C.checksum(data).into(),
        }
    }
}

/// A CRC trailer on any framing: `payload = data ‖ crc(data)`.
///
/// The decoder takes each frame of the inner codec, checks and strips its
/// trailer, and yields the data; the encoder appends the checksum to each
/// item and hands `data ‖ crc` to the inner codec as one payload, without
/// copying the data (through [`Encode::encoded_len_parts`]).
///
/// ```text
/// inner frame:  [ ............ inner payload ............ ]
///               [ data                      | crc (1-4 B) ]
/// decoded item: [ data                      ]
/// ```
///
/// # Guarantees
///
/// - A frame whose trailer does not match its data is
///   [`Error::ChecksumMismatch`] with both values; the frame is skipped and
///   the next one decodes. A frame shorter than the trailer is
///   [`Error::FrameTooShort`], skipped the same way.
/// - The inner codec's errors, limits and resync are unchanged; its limit
///   counts the trailer (it is part of the inner payload), and so do the
///   lengths in its errors.
/// - The trailer is [`CrcAlgorithm::width`] bytes, in the algorithm's
///   [default order](CrcAlgorithm::default_endian) or the one given to
///   [`with_endian`](Self::with_endian).
///
/// # Which inner codecs encode
///
/// The encoder calls the inner codec's
/// [`encoded_len_parts`](Encode::encoded_len_parts). [`LengthPrefixed`](crate::LengthPrefixed)
/// (its length counts the trailer), [`Slip`](crate::Slip),
/// [`Stuffed`](crate::Stuffed) and the ASCII length codecs frame the two
/// parts as one payload; a codec that keeps the trait's provided method
/// refuses non-empty items with [`Error::EncodeUnsupported`]. Any
/// [`DecodeMut`] codec decodes.
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use framewise::{Crc, CrcAlgorithm, Error, LengthPrefixed, Width};
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let inner = LengthPrefixed::builder().width(Width::U8).build()?;
/// let mut codec = Crc::new(inner, CrcAlgorithm::Crc16Xmodem);
/// let mut wire = BytesMut::new();
/// codec.encode(&b"123456789"[..], &mut wire)?;
/// assert_eq!(&wire[..], b"\x0b123456789\x31\xc3");
/// assert_eq!(codec.decode(&mut wire)?.unwrap(), "123456789");
///
/// // One bit flipped: reported, skipped, and the next frame decodes.
/// wire.extend_from_slice(b"\x0b123456788\x31\xc3\x0b123456789\x31\xc3");
/// let err = codec.decode(&mut wire).unwrap_err();
/// assert!(matches!(err, Error::ChecksumMismatch { actual: 0x31c3, .. }));
/// assert_eq!(codec.decode(&mut wire)?.unwrap(), "123456789");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Crc<C> {
    inner: C,
    algorithm: CrcAlgorithm,
    endian: Endian,
}

impl<C> Crc<C> {
    /// `inner`'s frames with a trailer of `algorithm`, in the algorithm's
    /// [default byte order](CrcAlgorithm::default_endian).
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{Crc, CrcAlgorithm, Endian, Slip};
    ///
    /// let codec = Crc::new(Slip::new(), CrcAlgorithm::Crc16Modbus);
    /// assert_eq!(codec.endian(), Endian::Little);
    /// assert_eq!(codec.trailer_len(), 2);
    /// ```
    pub fn new(inner: C, algorithm: CrcAlgorithm) -> Self {
        Crc {
            inner,
            algorithm,
            endian: algorithm.default_endian(),
        }
    }

    /// The same codec with the trailer in `endian` byte order.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{Crc, CrcAlgorithm, Encode, Endian, LengthPrefixed, Width};
    ///
    /// let inner = LengthPrefixed::builder().width(Width::U8).build()?;
    /// let codec = Crc::new(inner, CrcAlgorithm::Crc32).with_endian(Endian::Big);
    /// let mut buf = [0u8; 16];
    /// let n = codec.encode_to_slice(b"123456789", &mut buf)?;
    /// assert_eq!(&buf[n - 4..n], b"\xcb\xf4\x39\x26");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_endian(mut self, endian: Endian) -> Self {
        self.endian = endian;
        self
    }

    /// The checksum algorithm.
    pub fn algorithm(&self) -> CrcAlgorithm {
        self.algorithm
    }

    /// The trailer's byte order.
    pub fn endian(&self) -> Endian {
        self.endian
    }

    /// The trailer's size in bytes: the algorithm's width.
    pub fn trailer_len(&self) -> usize {
        self.algorithm.width()
    }

    /// The inner codec.
    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// The inner codec, mutably (to change settings between frames).
    pub fn inner_mut(&mut self) -> &mut C {
        &mut self.inner
    }

    /// The inner codec, unwrapped.
    pub fn into_inner(self) -> C {
        self.inner
    }

    /// The trailer for `data`: the bytes, of which the first
    /// [`trailer_len`](Self::trailer_len) are used.
    #[inline]
    fn trailer(&self, data: &[u8]) -> [u8; 4] {
        let value = self.algorithm.checksum(data);
        let width = self.trailer_len();
        let mut out = [0u8; 4];
        let bytes = match self.endian {
            Endian::Big => &value.to_be_bytes()[8 - width..],
            Endian::Little => &value.to_le_bytes()[..width],
        };
        out[..width].copy_from_slice(bytes);
        out
    }

    /// The value a trailer carries.
    #[inline]
    fn read_trailer(&self, trailer: &[u8]) -> u64 {
        let fold = |v: u64, &b: &u8| v << 8 | u64::from(b);
        match self.endian {
            Endian::Big => trailer.iter().fold(0, fold),
            Endian::Little => trailer.iter().rev().fold(0, fold),
        }
    }

    /// Checks and strips the trailer of a frame the inner codec found.
    #[inline]
    fn check(&self, answer: Decoded, src: &[u8]) -> Decoded {
        let Decoded::Frame {
            start,
            len,
            consumed,
        } = answer
        else {
            return answer;
        };
        let width = self.trailer_len();
        if len < width {
            return Decoded::Error {
                consumed,
                error: Error::FrameTooShort { len, min: width },
            };
        }
        let data_len = len - width;
        let data = &src[start..start + data_len];
        let expected = self.algorithm.checksum(data);
        let actual = self.read_trailer(&src[start + data_len..start + len]);
        if expected != actual {
            return Decoded::Error {
                consumed,
                error: Error::ChecksumMismatch { expected, actual },
            };
        }
        Decoded::Frame {
            start,
            len: data_len,
            consumed,
        }
    }
}

impl<C: DecodeMut> DecodeMut for Crc<C> {
    /// The next frame of the inner codec, its trailer checked and stripped.
    #[inline]
    fn decode_in_place(&mut self, src: &mut [u8]) -> Decoded {
        let answer = self.inner.decode_in_place(src);
        self.check(answer, src)
    }

    /// As [`decode_in_place`](Self::decode_in_place), at the end of the
    /// stream (the inner codec's end-of-stream rules apply).
    fn decode_in_place_eof(&mut self, src: &mut [u8]) -> Decoded {
        let answer = self.inner.decode_in_place_eof(src);
        self.check(answer, src)
    }
}

impl<C: Encode> Encode for Crc<C> {
    /// The inner codec's size for `payload ‖ crc(payload)`.
    ///
    /// # Errors
    ///
    /// The inner codec's refusals of `payload ‖ crc` (lengths in them count
    /// the trailer), and [`Error::EncodeUnsupported`] from an inner codec
    /// that cannot frame a payload given in two parts.
    #[inline]
    fn encoded_len(&self, payload: &[u8]) -> Result<usize, Error> {
        let trailer = self.trailer(payload);
        self.inner
            .encoded_len_parts(payload, &trailer[..self.trailer_len()])
    }

    #[inline]
    fn write_frame<O: Output + ?Sized>(&self, payload: &[u8], encoded_len: usize, out: &mut O) {
        let trailer = self.trailer(payload);
        self.inner
            .write_frame_parts(payload, &trailer[..self.trailer_len()], encoded_len, out);
    }
}
