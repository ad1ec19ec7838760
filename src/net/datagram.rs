//! Framing for datagrams: each datagram is decoded on its own, as a whole.

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::{AnyCodec, Error};

/// The largest UDP payload that fits in one IPv4 datagram: 65,535 bytes minus
/// the 20-byte IP header and the 8-byte UDP header.
///
/// IPv6 allows 20 bytes more (65,527), but a reply that must reach IPv4 and
/// IPv6 peers alike is held to the smaller limit.
pub const MAX_DATAGRAM_PAYLOAD: usize = 65_507;

/// A codec for tokio-util's `UdpFramed` that treats every datagram as a whole.
///
/// `UdpFramed` was written for codecs whose frames fit the datagram, and it
/// has two traps (see `UdpFramed`'s source): it calls `decode_eof` until it
/// returns `Ok(None)` for each datagram, so a codec that returns `None` for an
/// empty buffer silently drops empty datagrams; and if the codec returns an
/// error without consuming the bytes, every later poll returns the same error
/// forever. `Datagram` closes both:
///
/// - **An empty datagram is an empty frame**, delivered once.
/// - **A bad datagram is consumed**: after an error the rest of that datagram
///   is thrown away, the inner codec is reset to its initial state (so a
///   half-skipped oversized frame or a corrupt header cannot leak into the
///   next datagram), and the next poll reads the next datagram.
/// - **Replies that cannot be sent are refused by the encoder**: an encoded
///   frame longer than [`MAX_DATAGRAM_PAYLOAD`] is an
///   [`Error::FrameTooLong`] with nothing written, instead of an error (or a
///   truncated datagram) from the socket.
///
/// There are two ways to read a datagram:
///
/// ```text
/// whole:   | datagram ................ |   ->  one frame: the payload as is
///
/// frames:  | frame | frame | ... frame |   ->  the inner codec's frames, in order;
///                                            a frame never spans two datagrams
/// ```
///
/// [`Datagram::new`] picks `whole` for the `raw` codec (raw has no frame
/// boundaries of its own: the datagram is the boundary) and `frames` for
/// every other codec. Each encoded item becomes one datagram: `whole` sends
/// the payload as is (an empty payload is an empty datagram), `frames` sends
/// one encoded frame.
///
/// Meant for `UdpFramed`: `decode` and `decode_eof` both take the buffer to
/// be one whole datagram, which is not true of a byte stream.
///
/// # Examples
///
/// An echo over UDP in a few lines, empty datagrams included:
///
/// ```
/// use bytes::Bytes;
/// use framewise::net::Datagram;
/// use futures::{SinkExt, StreamExt};
/// use tokio::net::UdpSocket;
/// use tokio_util::udp::UdpFramed;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = UdpSocket::bind("127.0.0.1:0").await?;
/// let addr = server.local_addr()?;
/// let mut server = UdpFramed::new(server, Datagram::new("raw".parse()?));
///
/// let client = UdpSocket::bind("127.0.0.1:0").await?;
/// client.send_to(b"", addr).await?;
/// client.send_to(b"hello", addr).await?;
///
/// for expected in [&b""[..], &b"hello"[..]] {
///     let (frame, peer) = server.next().await.unwrap()?;
///     assert_eq!(frame, expected);
///     server.send((frame, peer)).await?;
///     let mut buf = [0; 16];
///     let n = client.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], expected);
/// }
/// # Ok(())
/// # }
/// ```
///
/// Frames of another codec inside a datagram:
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use framewise::{LengthPrefixed, net::Datagram};
/// use tokio_util::codec::Decoder;
///
/// let mut codec = Datagram::frames(LengthPrefixed::new());
/// let mut datagram = BytesMut::from(&b"\0\0\0\x02hi\0\0\0\x03you"[..]);
/// assert_eq!(codec.decode_eof(&mut datagram)?.unwrap(), "hi");
/// assert_eq!(codec.decode_eof(&mut datagram)?.unwrap(), "you");
/// assert_eq!(codec.decode_eof(&mut datagram)?, None);
/// # Ok::<(), framewise::Error>(())
/// ```
///
/// # Errors
///
/// Decoding: the inner codec's errors ([`Error::Truncated`] for a datagram
/// that ends inside a frame), or [`Error::FrameTooLong`] for a `whole`
/// datagram over the limit. The bad datagram is consumed either way.
/// Encoding: the inner codec's refusals, and [`Error::FrameTooLong`] for a
/// datagram over [`MAX_DATAGRAM_PAYLOAD`]; nothing is written.
#[derive(Debug, Clone)]
pub struct Datagram<C = AnyCodec> {
    mode: Mode<C>,
    /// Where we are in the `decode_eof` calls `UdpFramed` makes for one
    /// datagram: it calls until `Ok(None)`, also after an error, so the state
    /// must tell a fresh (possibly empty) datagram from a finished one.
    state: State,
}

#[derive(Debug, Clone)]
enum Mode<C> {
    /// The datagram is the frame, up to `max` bytes.
    Whole { max: usize },
    /// The datagram holds frames of `codec`.
    Frames {
        codec: C,
        /// The codec as configured, to start afresh after a bad datagram.
        pristine: C,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The next call sees a new datagram.
    Fresh,
    /// Frames of this datagram have been returned; more may follow.
    Inside,
    /// This datagram is finished: the next call returns `Ok(None)`.
    Done,
}

impl Datagram {
    /// The framing a codec spec implies over UDP: `whole` for `raw` (with the
    /// raw limit, at most [`MAX_DATAGRAM_PAYLOAD`]), `frames` otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::net::Datagram;
    ///
    /// assert!(Datagram::new("raw".parse()?).is_whole());
    /// assert!(!Datagram::new("lines".parse()?).is_whole());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(codec: AnyCodec) -> Self {
        if codec.is_raw() {
            Datagram::whole(codec.max_frame_len())
        } else {
            Datagram::frames(codec)
        }
    }

    /// Each datagram is one frame of at most `max` bytes (and at most
    /// [`MAX_DATAGRAM_PAYLOAD`], whatever `max` says).
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::{Bytes, BytesMut};
    /// use framewise::{Error, net::Datagram};
    /// use tokio_util::codec::{Decoder, Encoder};
    ///
    /// let mut codec = Datagram::whole(4);
    /// let mut out = BytesMut::new();
    /// let err = codec.encode(Bytes::from("hello"), &mut out).unwrap_err();
    /// assert!(matches!(err, Error::FrameTooLong { len: 5, max: 4 }));
    /// assert!(out.is_empty());
    /// ```
    pub fn whole(max: usize) -> Self {
        Datagram {
            mode: Mode::Whole {
                max: max.min(MAX_DATAGRAM_PAYLOAD),
            },
            state: State::Fresh,
        }
    }
}

impl<C: Clone> Datagram<C> {
    /// Each datagram holds whole frames of `codec`.
    ///
    /// # Examples
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use framewise::{Lines, net::Datagram};
    /// use tokio_util::codec::Decoder;
    ///
    /// let codec = Datagram::frames("lines".parse::<framewise::AnyCodec>()?);
    /// assert!(!codec.is_whole());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn frames(codec: C) -> Self {
        Datagram {
            mode: Mode::Frames {
                pristine: codec.clone(),
                codec,
            },
            state: State::Fresh,
        }
    }
}

impl<C> Datagram<C> {
    /// Whether each datagram is one frame (`true`) or holds frames of an
    /// inner codec (`false`).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(framewise::net::Datagram::whole(100).is_whole());
    /// ```
    pub fn is_whole(&self) -> bool {
        matches!(self.mode, Mode::Whole { .. })
    }

    /// Check an encoded datagram of `len` bytes against the limits.
    fn check_len(&self, len: usize) -> Result<(), Error> {
        let max = match self.mode {
            Mode::Whole { max } => max,
            Mode::Frames { .. } => MAX_DATAGRAM_PAYLOAD,
        };
        if len > max {
            return Err(Error::FrameTooLong {
                len: len as u64,
                max: max as u64,
            });
        }
        Ok(())
    }
}

impl<C> Datagram<C>
where
    C: Decoder<Item = Bytes, Error = Error> + Clone,
{
    fn next_frame(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        match self.state {
            State::Done => {
                self.state = State::Fresh;
                src.clear();
                return Ok(None);
            }
            State::Fresh => {
                if let Mode::Whole { max } = self.mode {
                    self.state = State::Done;
                    if src.len() > max {
                        let len = src.len();
                        src.clear();
                        return Err(Error::FrameTooLong {
                            len: len as u64,
                            max: max as u64,
                        });
                    }
                    // Copy rather than split: `UdpFramed` reserves 64 KiB
                    // before every read, so a split-off buffer would cost a
                    // fresh 64 KiB allocation per datagram.
                    let frame = Bytes::copy_from_slice(src);
                    src.clear();
                    return Ok(Some(frame));
                }
                if src.is_empty() {
                    self.state = State::Done;
                    return Ok(Some(Bytes::new()));
                }
                self.state = State::Inside;
            }
            State::Inside => {}
        }
        let Mode::Frames { codec, pristine } = &mut self.mode else {
            unreachable!("whole datagrams never reach State::Inside")
        };
        match codec.decode_eof(src) {
            Ok(Some(frame)) => Ok(Some(frame)),
            Ok(None) => {
                self.state = State::Fresh;
                src.clear();
                Ok(None)
            }
            Err(e) => {
                *codec = pristine.clone();
                self.state = State::Done;
                src.clear();
                Err(e)
            }
        }
    }
}

impl<C> Decoder for Datagram<C>
where
    C: Decoder<Item = Bytes, Error = Error> + Clone,
{
    type Item = Bytes;
    type Error = Error;

    /// The same as [`decode_eof`](Self::decode_eof): the buffer is taken to
    /// hold one whole datagram.
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        self.next_frame(src)
    }

    /// The next frame of the datagram in `src`, then `Ok(None)` once it is
    /// finished (after which `src` is empty).
    ///
    /// # Errors
    ///
    /// The inner codec's decoding errors, or [`Error::FrameTooLong`] for a
    /// whole datagram over the limit. The rest of the datagram is discarded
    /// and the next call returns `Ok(None)`.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        self.next_frame(src)
    }
}

impl<C> Datagram<C> {
    fn encode_with(
        &mut self,
        payload: &[u8],
        dst: &mut BytesMut,
        encode: impl FnOnce(&mut C, &mut BytesMut) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let start = dst.len();
        match &mut self.mode {
            Mode::Whole { .. } => {
                self.check_len(payload.len())?;
                dst.extend_from_slice(payload);
                Ok(())
            }
            Mode::Frames { codec, .. } => {
                encode(codec, dst)?;
                if let Err(e) = self.check_len(dst.len() - start) {
                    dst.truncate(start);
                    return Err(e);
                }
                Ok(())
            }
        }
    }
}

/// Encodes one datagram: the payload as is (`whole`) or one frame of the
/// inner codec.
///
/// # Errors
///
/// The inner codec's refusals, and [`Error::FrameTooLong`] for a datagram
/// over the limit; nothing is written.
impl<C> Encoder<Bytes> for Datagram<C>
where
    C: Encoder<Bytes, Error = Error>,
{
    type Error = Error;

    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), Error> {
        let payload = item.clone();
        self.encode_with(&payload, dst, |c, dst| c.encode(item, dst))
    }
}

/// Encodes one datagram: the payload as is (`whole`) or one frame of the
/// inner codec.
///
/// # Errors
///
/// The inner codec's refusals, and [`Error::FrameTooLong`] for a datagram
/// over the limit; nothing is written.
impl<'a, C> Encoder<&'a [u8]> for Datagram<C>
where
    C: Encoder<&'a [u8], Error = Error>,
{
    type Error = Error;

    fn encode(&mut self, item: &'a [u8], dst: &mut BytesMut) -> Result<(), Error> {
        self.encode_with(item, dst, |c, dst| c.encode(item, dst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drive the codec the way `UdpFramed` does for one datagram: call
    /// `decode_eof` until `Ok(None)`, carrying on after errors.
    fn udp_framed_calls(codec: &mut Datagram, datagram: &[u8]) -> Vec<Result<Bytes, String>> {
        let mut buf = BytesMut::from(datagram);
        let mut out = Vec::new();
        loop {
            match codec.decode_eof(&mut buf) {
                Ok(Some(f)) => out.push(Ok(f)),
                Ok(None) => break,
                Err(e) => out.push(Err(e.to_string())),
            }
            assert!(out.len() < 100, "decode_eof never returned None");
        }
        assert!(buf.is_empty());
        out
    }

    /// A datagram, and what `UdpFramed` should get from it: its frames
    /// (`Ok`) and error texts.
    type Case<'a> = (&'a [u8], &'a [Result<&'a str, &'a str>]);

    /// Feeds each datagram in turn to one codec made from `spec` and checks
    /// what `UdpFramed` gets from it.
    fn check(spec: &str, datagrams: &[Case<'_>]) {
        let mut codec = Datagram::new(spec.parse().unwrap());
        for &(datagram, want) in datagrams {
            let want: Vec<Result<Bytes, String>> = want
                .iter()
                .map(|w| {
                    w.map(|frame| Bytes::copy_from_slice(frame.as_bytes()))
                        .map_err(String::from)
                })
                .collect();
            let got = udp_framed_calls(&mut codec, datagram);
            assert_eq!(got, want, "{spec}: datagram {datagram:?}");
        }
    }

    #[test]
    fn whole_delivers_empty_and_full_datagrams() {
        check("raw", &[(b"", &[Ok("")]), (b"abc", &[Ok("abc")])]);
        let mut c = Datagram::new("raw".parse().unwrap());
        let big = vec![7u8; MAX_DATAGRAM_PAYLOAD];
        assert_eq!(
            udp_framed_calls(&mut c, &big),
            vec![Ok(Bytes::from(big.clone()))]
        );
    }

    #[test]
    fn whole_oversized_is_one_error_then_next_datagram() {
        check(
            "raw,max=4",
            &[
                (b"abcdef", &[Err("frame of 6 bytes exceeds the limit of 4")]),
                (b"abcd", &[Ok("abcd")]),
            ],
        );
    }

    #[test]
    fn frames_in_a_datagram() {
        check(
            "lines",
            &[
                (b"a\nbb\nccc", &[Ok("a"), Ok("bb"), Ok("ccc")]),
                (b"", &[Ok("")]),
                (b"\n", &[Ok("")]),
            ],
        );
    }

    #[test]
    fn frames_error_drops_rest_of_datagram_and_resets() {
        // "hi", then a frame announcing 9 bytes with only 2 present.
        let truncated = "stream ended in the middle of a frame, with 3 bytes of it buffered";
        check(
            "length:u8",
            &[
                (b"\x02hi\x09ab", &[Ok("hi"), Err(truncated)]),
                (b"\x01z", &[Ok("z")]),
            ],
        );
    }

    #[test]
    fn frames_oversized_does_not_leak_discard_into_next_datagram() {
        let mut c = Datagram::new("length:u8,max=4".parse().unwrap());
        let out = udp_framed_calls(&mut c, b"\x09abc");
        assert_eq!(out.len(), 1);
        assert!(out[0].as_ref().unwrap_err().contains("exceeds the limit"));
        assert_eq!(
            udp_framed_calls(&mut c, b"\x02ok"),
            vec![Ok(Bytes::from_static(b"ok"))]
        );
    }

    /// Encodes `payload_len` zero bytes with a `Datagram` made from `spec`
    /// into `out`, which holds `x`: the datagram one byte over the limit is
    /// refused and nothing is written.
    fn refuses_one_over(spec: &str, payload_len: usize) {
        let mut c = Datagram::new(spec.parse().unwrap());
        let mut out = BytesMut::from(&b"x"[..]);
        let err = c
            .encode(Bytes::from(vec![0u8; payload_len]), &mut out)
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::FrameTooLong {
                    len: 65_508,
                    max: 65_507
                }
            ),
            "{spec}: {err:?}"
        );
        assert_eq!(&out[..], b"x", "{spec}");
    }

    #[test]
    fn encoder_refuses_oversized_datagrams() {
        assert_eq!(MAX_DATAGRAM_PAYLOAD, 65_507);
        refuses_one_over("raw", MAX_DATAGRAM_PAYLOAD + 1);
        let mut c = Datagram::new("raw".parse().unwrap());
        let mut out = BytesMut::from(&b"x"[..]);
        c.encode(&b""[..], &mut out).unwrap();
        assert_eq!(&out[..], b"x");

        refuses_one_over("length", MAX_DATAGRAM_PAYLOAD - 3);
        let mut c = Datagram::new("length".parse().unwrap());
        let mut out = BytesMut::new();
        c.encode(Bytes::from(vec![0u8; MAX_DATAGRAM_PAYLOAD - 4]), &mut out)
            .unwrap();
        assert_eq!(out.len(), MAX_DATAGRAM_PAYLOAD);
    }
}
