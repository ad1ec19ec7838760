//! See the message boundaries: the sticky-packet problem and its cures, on
//! real loopback sockets.
//!
//! This is what `framewise demo` runs. Everything happens in one process on
//! 127.0.0.1, so there is no server to start and no second terminal:
//!
//! 1. **sticky** (粘包): a sender writes four small messages, one `write`
//!    each; the receiver's one `read` returns them glued together.
//! 2. **split** (半包): one message longer than the receiver's read buffer
//!    arrives over several reads.
//! 3. **codecs**: the same messages through tokio-util's `FramedWrite` and
//!    `FramedRead` with each framewise codec. The receiver reads at most 8
//!    bytes at a time, so its reads are sticky and split at once, and the
//!    frames still come out exactly as sent. The wire bytes are shown in hex
//!    with the framing bytes (headers, delimiters, escapes, COBS codes,
//!    checksums) in brackets, as the codec itself lays out each frame
//!    ([`AnyCodec::wire_layout`]).
//! 4. **udp**: datagrams keep their boundaries; a receive buffer smaller than
//!    the datagram truncates it and the rest is gone; an empty datagram is
//!    still a message.
//!
//! # Deterministic, not lucky
//!
//! Every effect shown happens on every run. The sender writes everything and
//! shuts down its side before the receiver reads, and the receiver waits (by
//! peeking, with a timeout) until all the bytes have arrived: one read then
//! sees all of them, and a small read buffer splits them at known points. Two
//! runs print the same text apart from the port numbers. Every wait is
//! bounded by a timeout, so a demo that cannot finish fails instead of
//! hanging.
//!
//! # Examples
//!
//! [`run`] gathers the results into a [`Report`] (which the tests assert on)
//! and renders each section to a writer as soon as it is done:
//!
//! ```
//! use framewise::demo::{self, DemoOptions, Which};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), framewise::Error> {
//! let options = DemoOptions { which: Which::Sticky, ..DemoOptions::default() };
//! let mut out = Vec::new();
//! let report = demo::run(&options, &mut out).await?;
//!
//! let sticky = report.sticky.unwrap();
//! assert_eq!(sticky.messages.len(), 4);
//! assert_eq!(sticky.reads.len(), 1); // four messages, one read: glued
//! assert!(String::from_utf8_lossy(&out).contains("|hellojameshow are you?bye|"));
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::io::Write;
use std::net::SocketAddr;
use std::ops::Range;
use std::str::FromStr;

use bytes::Bytes;

use crate::{AnyCodec, Error};

mod codecs;
mod render;
mod tcp;
mod udp;

/// The messages every demonstration sends, as in the socket tutorials.
pub const MESSAGES: [&str; 4] = ["hello", "james", "how are you?", "bye"];

/// The one long message of the split demonstration.
pub const LONG_MESSAGE: &str = "one long message, longer than the receiver's buffer";

/// The codecs the `codecs` demonstration shows when no `--codec` is given.
pub const DEFAULT_CODECS: [&str; 4] = ["length", "lines", "fixed:12", "cobs"];

/// Which demonstration to run.
///
/// Parses from and displays as its lower-case name (`sticky`, `split`,
/// `codecs`, `udp`, `all`), the names the `framewise demo` command takes.
///
/// # Examples
///
/// ```
/// use framewise::demo::Which;
///
/// assert_eq!("udp".parse::<Which>()?, Which::Udp);
/// assert_eq!(Which::default().to_string(), "all");
/// assert!("tcp".parse::<Which>().is_err());
/// # Ok::<(), framewise::demo::UnknownDemo>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Which {
    /// Several small messages glued together in one read.
    Sticky,
    /// One large message spread over several reads.
    Split,
    /// The cures: each framing codec over TCP.
    Codecs,
    /// UDP datagrams: boundaries kept, truncation, the empty datagram.
    Udp,
    /// All of the above, in that order.
    #[default]
    All,
}

impl Which {
    /// Every name, in the order `all` runs them (and `all` last).
    pub const NAMES: [&'static str; 5] = ["sticky", "split", "codecs", "udp", "all"];

    fn includes(self, part: Which) -> bool {
        self == Which::All || self == part
    }
}

impl fmt::Display for Which {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Which::Sticky => "sticky",
            Which::Split => "split",
            Which::Codecs => "codecs",
            Which::Udp => "udp",
            Which::All => "all",
        })
    }
}

impl FromStr for Which {
    type Err = UnknownDemo;

    fn from_str(s: &str) -> Result<Self, UnknownDemo> {
        Ok(match s {
            "sticky" => Which::Sticky,
            "split" => Which::Split,
            "codecs" => Which::Codecs,
            "udp" => Which::Udp,
            "all" => Which::All,
            _ => {
                return Err(UnknownDemo {
                    name: s.to_string(),
                });
            }
        })
    }
}

/// A demonstration name that [`Which`] does not know.
///
/// # Examples
///
/// ```
/// let err = "tcp".parse::<framewise::demo::Which>().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "unknown demo \"tcp\"; expected one of: sticky, split, codecs, udp, all"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownDemo {
    /// The name as given.
    pub name: String,
}

impl fmt::Display for UnknownDemo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown demo {:?}; expected one of: {}",
            self.name,
            Which::NAMES.join(", ")
        )
    }
}

impl std::error::Error for UnknownDemo {}

/// What to show, and how.
///
/// The default runs everything, with the default codecs, without colour.
#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    /// Which demonstration.
    pub which: Which,
    /// The one codec the `codecs` demonstration shows; `None` shows
    /// [`DEFAULT_CODECS`]. Ignored by the other demonstrations.
    pub codec: Option<AnyCodec>,
    /// Colour the output with ANSI escapes. The text is the same without:
    /// boundaries are drawn with bars and brackets either way.
    pub color: bool,
}

/// Whether output to a stream should be coloured: only on a terminal, and
/// not when the `NO_COLOR` environment variable is set to anything non-empty
/// (<https://no-color.org>).
///
/// # Examples
///
/// ```
/// // A Vec is not a terminal.
/// assert!(!framewise::demo::use_color(false));
/// ```
pub fn use_color(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Everything the demonstrations saw, section by section.
///
/// A section that was not run is `None` (or empty, for `codecs`).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Report {
    /// The sticky-packet demonstration.
    pub sticky: Option<StreamReport>,
    /// The split-packet demonstration.
    pub split: Option<StreamReport>,
    /// One entry per codec shown.
    pub codecs: Vec<CodecReport>,
    /// The UDP demonstrations.
    pub udp: Option<UdpReport>,
}

/// Messages written to a TCP socket, and the reads that received them.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StreamReport {
    /// The sender's address.
    pub from: SocketAddr,
    /// The receiver's address.
    pub to: SocketAddr,
    /// The messages, one `write_all` call each.
    pub messages: Vec<Bytes>,
    /// The receiver's read buffer size.
    pub read_size: usize,
    /// What each `read` returned, in order (the final 0-byte read at the end
    /// of stream is not included).
    pub reads: Vec<Bytes>,
}

impl StreamReport {
    /// Whether the reads hold exactly the bytes written, in order: TCP lost
    /// nothing, only the boundaries.
    pub fn bytes_match(&self) -> bool {
        self.messages.concat() == self.reads.concat()
    }
}

/// One codec's run: what was sent, the wire bytes, and the frames decoded.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CodecReport {
    /// The codec's spec (see [`AnyCodec`]), such as `length` or `fixed:12`.
    pub codec: String,
    /// One line on how the codec marks its frames, as the demo prints it.
    pub description: String,
    /// The sender's address.
    pub from: SocketAddr,
    /// The receiver's address.
    pub to: SocketAddr,
    /// The items handed to the encoder, in order. For `fixed:<n>` the
    /// shorter messages are padded with spaces to n bytes.
    pub sent: Vec<Bytes>,
    /// Messages the encoder refused (nothing was sent for them), with why.
    pub refused: Vec<(Bytes, String)>,
    /// Each sent item as encoded on the wire, with its framing bytes marked.
    pub wire: Vec<WireFrame>,
    /// Every byte the receiver read.
    pub received: Bytes,
    /// The most one read may return (the reads cut across the frames).
    pub read_size: usize,
    /// The length of each read.
    pub reads: Vec<usize>,
    /// The frames `FramedRead` gave back, in order.
    pub frames: Vec<Bytes>,
    /// Errors `FramedRead` gave back, as text.
    pub errors: Vec<String>,
}

impl CodecReport {
    /// Whether the receiver got back exactly the items sent, without errors.
    pub fn frames_match(&self) -> bool {
        self.errors.is_empty() && self.frames == self.sent
    }
}

/// One item as encoded on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WireFrame {
    /// The encoded bytes.
    pub bytes: Bytes,
    /// The byte ranges that are framing, not payload: a length header, a
    /// delimiter, escape bytes, COBS code bytes and the closing `00`, a
    /// checksum (one range per run of one [`WirePart`](crate::WirePart)).
    pub framing: Vec<Range<usize>>,
    /// What each run of bytes is, as the codec lays out the frame
    /// ([`AnyCodec::wire_layout`]).
    pub layout: Vec<crate::WireSpan>,
}

/// The three UDP demonstrations, all between the same two sockets.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct UdpReport {
    /// The sender's address.
    pub from: SocketAddr,
    /// The receiver's address.
    pub to: SocketAddr,
    /// Datagrams sent back to back, each received by one `recv_from`.
    pub boundaries: Datagrams,
    /// A datagram received into a buffer smaller than itself, then the next.
    pub truncation: Datagrams,
    /// An empty datagram, then a non-empty one.
    pub empty: Datagrams,
}

/// Datagrams sent, then received one `recv_from` call each.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Datagrams {
    /// The datagrams sent, in order, all before the first receive.
    pub sent: Vec<Bytes>,
    /// What each `recv_from` call returned.
    pub received: Vec<Received>,
}

/// What one `recv_from` call returned.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Received {
    /// The size of the buffer passed to `recv_from`.
    pub buffer_len: usize,
    /// The bytes received: as many as `recv_from` said it returned.
    pub bytes: Bytes,
}

/// Runs the demonstrations `options` selects and renders each section to
/// `out` as soon as it is done.
///
/// All sockets are on 127.0.0.1 with ports chosen by the system. It finishes
/// in well under a second on an idle machine.
///
/// # Errors
///
/// A socket error, a timeout (every wait is bounded, at 5 seconds), or an
/// error writing to `out`.
pub async fn run(options: &DemoOptions, out: &mut impl Write) -> Result<Report, Error> {
    let which = options.which;
    let style = render::Style::new(options.color);
    let mut report = Report::default();
    render::title(&style, out)?;
    if which.includes(Which::Sticky) {
        let sticky = tcp::sticky().await?;
        render::sticky(&sticky, &style, out)?;
        report.sticky = Some(sticky);
    }
    if which.includes(Which::Split) {
        let split = tcp::split().await?;
        render::split(&split, &style, out)?;
        report.split = Some(split);
    }
    if which.includes(Which::Codecs) {
        let codecs = match &options.codec {
            Some(codec) => vec![codec.clone()],
            None => DEFAULT_CODECS
                .iter()
                .map(|spec| spec.parse().expect("the default codec specs parse"))
                .collect(),
        };
        let read_size = codecs.iter().map(codecs::read_size).max().unwrap_or(0);
        render::codecs_intro(&style, read_size, out)?;
        for codec in &codecs {
            let shown = codecs::run(codec).await?;
            render::codec(&shown, &style, out)?;
            report.codecs.push(shown);
        }
    }
    if which.includes(Which::Udp) {
        let udp = tokio::task::spawn_blocking(udp::run)
            .await
            .map_err(std::io::Error::other)??;
        render::udp(&udp, &style, out)?;
        report.udp = Some(udp);
    }
    if which == Which::All {
        render::summary(&style, out)?;
    }
    out.flush()?;
    Ok(report)
}

/// Renders a report the way [`run`] does, section by section.
///
/// # Errors
///
/// An error writing to `out`.
pub fn render(report: &Report, color: bool, out: &mut impl Write) -> Result<(), Error> {
    let style = render::Style::new(color);
    render::title(&style, out)?;
    if let Some(sticky) = &report.sticky {
        render::sticky(sticky, &style, out)?;
    }
    if let Some(split) = &report.split {
        render::split(split, &style, out)?;
    }
    if !report.codecs.is_empty() {
        let read_size = report.codecs.iter().map(|c| c.read_size).max();
        render::codecs_intro(&style, read_size.unwrap_or(0), out)?;
        for shown in &report.codecs {
            render::codec(shown, &style, out)?;
        }
    }
    if let Some(udp) = &report.udp {
        render::udp(udp, &style, out)?;
    }
    if report.sticky.is_some()
        && report.split.is_some()
        && !report.codecs.is_empty()
        && report.udp.is_some()
    {
        render::summary(&style, out)?;
    }
    Ok(())
}
