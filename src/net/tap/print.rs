//! The tap's output: events as human lines (coloured or not), JSON objects,
//! or nothing but the totals.
//!
//! Every function appends whole lines to a `String`, so a connection's
//! events are formatted where they happen and written out by one writer.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use super::analyse::{Event, Frame, FrameError, Read, Totals, error_kind, size};

/// How the tap and `framewise decode` print what they see.
///
/// # Examples
///
/// ```
/// use framewise::net::tap::Format;
///
/// let format = Format::Human { color: false };
/// assert_ne!(format, Format::Json);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One line per event, for people; `color` adds ANSI colours.
    Human {
        /// Colour the lines (only on a terminal, and not when `NO_COLOR` is set).
        color: bool,
    },
    /// One JSON object per line and per event (see the [module docs](super)
    /// for the schema).
    Json,
    /// Only the totals of each connection (and the listening line).
    Quiet,
}

/// Which way bytes went through the tap.
///
/// # Examples
///
/// ```
/// use framewise::net::tap::Direction;
///
/// assert_eq!(Direction::ClientToServer.name(), "c2s");
/// assert_eq!(Direction::ServerToClient.arrow(), "s->c");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the client to the upstream server.
    ClientToServer,
    /// From the upstream server back to the client.
    ServerToClient,
}

impl Direction {
    /// `c2s` or `s2c`: the name in the JSON output.
    ///
    /// # Examples
    ///
    /// See [`Direction`].
    pub fn name(self) -> &'static str {
        match self {
            Direction::ClientToServer => "c2s",
            Direction::ServerToClient => "s2c",
        }
    }

    /// `c->s` or `s->c`: the name in the human output.
    ///
    /// # Examples
    ///
    /// See [`Direction`].
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::ClientToServer => "c->s",
            Direction::ServerToClient => "s->c",
        }
    }
}

/// Where an event happened: which connection and direction, and when.
/// `framewise decode` has none of these.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Place {
    pub(crate) conn: Option<u64>,
    pub(crate) dir: Option<Direction>,
    /// Time since the connection opened.
    pub(crate) t: Option<Duration>,
}

/// Formats events in one [`Format`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Printer {
    pub(crate) format: Format,
    /// Payload bytes shown per frame.
    pub(crate) preview: usize,
    /// Whether reads are called datagrams.
    pub(crate) datagrams: bool,
}

const DIM: &str = "2";
const BOLD: &str = "1";
const GREEN: &str = "32";
const RED: &str = "31";
const CYAN: &str = "36";

impl Printer {
    pub(crate) fn quiet(&self) -> bool {
        self.format == Format::Quiet
    }

    fn paint(&self, out: &mut String, code: &str, text: &str) {
        match self.format {
            Format::Human { color: true } => {
                let _ = write!(out, "\x1b[{code}m{text}\x1b[0m");
            }
            _ => out.push_str(text),
        }
    }

    /// `#3 c->s ` for the tap; nothing for `framewise decode`.
    fn prefix(&self, out: &mut String, place: &Place) {
        if let Some(conn) = place.conn {
            let _ = write!(out, "#{conn} ");
        }
        if let Some(dir) = place.dir {
            out.push_str(dir.arrow());
            out.push(' ');
        }
        if let Some(t) = place.t {
            self.paint(out, DIM, &format!("+{:.6}s", t.as_secs_f64()));
            out.push(' ');
        }
    }

    /// `{"event":"read","conn":1,"dir":"c2s","t":0.5,` (no closing brace).
    fn json_head(&self, out: &mut String, event: &str, place: &Place) {
        let _ = write!(out, "{{\"event\":\"{event}\"");
        if let Some(conn) = place.conn {
            let _ = write!(out, ",\"conn\":{conn}");
        }
        if let Some(dir) = place.dir {
            let _ = write!(out, ",\"dir\":\"{}\"", dir.name());
        }
        if let Some(t) = place.t {
            let _ = write!(out, ",\"t\":{:.6}", t.as_secs_f64());
        }
    }

    /// The events of one read (or of the end of a stream).
    pub(crate) fn events(&self, out: &mut String, place: &Place, events: &[Event]) {
        if self.quiet() {
            return;
        }
        for event in events {
            match event {
                Event::Read(read) => self.read(out, place, read),
                Event::Frame(frame) => self.frame(out, place, frame),
                Event::Error(error) => self.error(out, place, error),
            }
        }
    }

    fn read(&self, out: &mut String, place: &Place, read: &Read) {
        let name = if self.datagrams { "datagram" } else { "read" };
        match self.format {
            Format::Quiet => {}
            Format::Human { .. } => {
                self.prefix(out, place);
                self.paint(out, CYAN, &format!("{name} {}", size(read.len as u64)));
                let _ = writeln!(out, ": {}", read.held);
            }
            Format::Json => {
                self.json_head(out, name, place);
                let _ = write!(
                    out,
                    ",\"offset\":{},\"len\":{},\"held\":[",
                    read.offset, read.len
                );
                for (i, p) in read.held.pieces.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(
                        out,
                        "{{\"index\":{},\"part\":\"{}\",\"status\":\"{}\",\"len\":{}}}",
                        p.index,
                        p.part.name(),
                        p.status.name(),
                        p.len
                    );
                }
                out.push_str("],\"summary\":");
                json_string(out, &read.held.to_string());
                out.push_str("}\n");
            }
        }
    }

    fn frame(&self, out: &mut String, place: &Place, frame: &Frame) {
        let shown = &frame.payload[..frame.payload.len().min(self.preview)];
        let more = frame.payload.len() > shown.len();
        match self.format {
            Format::Quiet => {}
            Format::Human { .. } => {
                let place = Place { t: None, ..*place };
                self.prefix(out, &place);
                self.paint(out, GREEN, &format!("  frame {}", frame.index));
                let _ = write!(out, ": {}", size(frame.payload.len() as u64));
                if frame.wire_len != frame.payload.len() as u64 {
                    let _ = write!(out, " ({} on the wire)", frame.wire_len);
                }
                if !shown.is_empty() {
                    out.push_str("  ");
                    for (i, b) in shown.iter().enumerate() {
                        if i > 0 {
                            out.push(' ');
                        }
                        let _ = write!(out, "{b:02x}");
                    }
                    out.push_str("  |");
                    printable(out, shown);
                    out.push('|');
                    if more {
                        out.push_str("...");
                    }
                }
                out.push('\n');
            }
            Format::Json => {
                self.json_head(out, "frame", &Place { t: None, ..*place });
                let _ = write!(
                    out,
                    ",\"index\":{},\"offset\":{},\"wire_len\":{},\"len\":{},\"preview_hex\":\"",
                    frame.index,
                    frame.offset,
                    frame.wire_len,
                    frame.payload.len()
                );
                for b in shown {
                    let _ = write!(out, "{b:02x}");
                }
                out.push_str("\",\"preview_text\":");
                let mut text = String::with_capacity(shown.len());
                printable(&mut text, shown);
                json_string(out, &text);
                let _ = writeln!(out, ",\"preview_complete\":{}}}", !more);
            }
        }
    }

    fn error(&self, out: &mut String, place: &Place, error: &FrameError) {
        match self.format {
            Format::Quiet => {}
            Format::Human { .. } => {
                self.prefix(out, &Place { t: None, ..*place });
                self.paint(
                    out,
                    RED,
                    &format!("  frame {}: error: {}", error.index, error.error),
                );
                let _ = write!(out, " ({} on the wire", size(error.wire_len));
                if !error.error.is_recoverable() {
                    out.push_str("; framing lost, the rest is forwarded undecoded");
                }
                out.push_str(")\n");
            }
            Format::Json => {
                self.json_head(out, "error", &Place { t: None, ..*place });
                let _ = write!(
                    out,
                    ",\"index\":{},\"offset\":{},\"wire_len\":{},\"kind\":\"{}\",\"message\":",
                    error.index,
                    error.offset,
                    error.wire_len,
                    error_kind(&error.error)
                );
                json_string(out, &error.error.to_string());
                let _ = writeln!(out, ",\"recoverable\":{}}}", error.error.is_recoverable());
            }
        }
    }

    /// The tap is listening.
    pub(crate) fn listening(
        &self,
        out: &mut String,
        transport: &str,
        addr: SocketAddr,
        upstream: SocketAddr,
        codecs: (&str, &str),
    ) {
        match self.format {
            Format::Json => {
                let _ = write!(
                    out,
                    "{{\"event\":\"listening\",\"transport\":\"{transport}\",\"addr\":\"{addr}\",\"upstream\":\"{upstream}\",\"client_codec\":"
                );
                json_string(out, codecs.0);
                out.push_str(",\"server_codec\":");
                json_string(out, codecs.1);
                out.push_str("}\n");
            }
            _ => {
                // Tests and scripts read the port from this line.
                let _ = write!(
                    out,
                    "listening on {transport} {addr} (tap to {upstream}, codec "
                );
                if codecs.0 == codecs.1 {
                    let _ = writeln!(out, "{})", codecs.0);
                } else {
                    let _ = writeln!(
                        out,
                        "{} from clients, {} from the server)",
                        codecs.0, codecs.1
                    );
                }
            }
        }
    }

    /// A client connected (TCP) or sent its first datagram (UDP).
    pub(crate) fn open(
        &self,
        out: &mut String,
        conn: u64,
        client: SocketAddr,
        upstream: SocketAddr,
    ) {
        match self.format {
            Format::Quiet => {}
            Format::Human { .. } => {
                self.paint(out, BOLD, &format!("#{conn} open"));
                let _ = writeln!(out, " {client} -> {upstream}");
            }
            Format::Json => {
                let _ = writeln!(
                    out,
                    "{{\"event\":\"open\",\"conn\":{conn},\"client\":\"{client}\",\"upstream\":\"{upstream}\"}}"
                );
            }
        }
    }

    /// One direction reached the end of its stream.
    pub(crate) fn eof(&self, out: &mut String, place: &Place) {
        match self.format {
            Format::Quiet => {}
            Format::Human { .. } => {
                self.prefix(out, place);
                out.push_str("end of stream, passed on as a half-close\n");
            }
            Format::Json => {
                self.json_head(out, "eof", place);
                out.push_str("}\n");
            }
        }
    }

    /// A connection (or UDP session) is over: why, and its totals.
    pub(crate) fn close(
        &self,
        out: &mut String,
        conn: u64,
        t: Duration,
        reason: &str,
        c2s: &Totals,
        s2c: &Totals,
    ) {
        match self.format {
            Format::Human { .. } | Format::Quiet => {
                self.paint(out, BOLD, &format!("#{conn} close"));
                let _ = write!(out, " after {:.3}s ({reason}): ", t.as_secs_f64());
                self.totals_text(out, Some(Direction::ClientToServer), c2s);
                out.push_str("; ");
                self.totals_text(out, Some(Direction::ServerToClient), s2c);
                out.push('\n');
            }
            Format::Json => {
                let _ = write!(
                    out,
                    "{{\"event\":\"close\",\"conn\":{conn},\"t\":{:.6},\"reason\":",
                    t.as_secs_f64()
                );
                json_string(out, reason);
                out.push_str(",\"c2s\":");
                totals_json(out, c2s);
                out.push_str(",\"s2c\":");
                totals_json(out, s2c);
                out.push_str("}\n");
            }
        }
    }

    /// `framewise decode`: the end of the input, with its totals.
    pub(crate) fn end(&self, out: &mut String, totals: &Totals) {
        match self.format {
            Format::Json => {
                out.push_str("{\"event\":\"end\",\"totals\":");
                totals_json(out, totals);
                out.push_str("}\n");
            }
            _ => {
                out.push_str("end: ");
                self.totals_text(out, None, totals);
                out.push('\n');
            }
        }
    }

    fn totals_text(&self, out: &mut String, dir: Option<Direction>, t: &Totals) {
        if let Some(dir) = dir {
            out.push_str(dir.arrow());
            out.push(' ');
        }
        let noun = if self.datagrams { "datagram" } else { "read" };
        let _ = write!(
            out,
            "{} in {} {noun}{}, {} frame{}",
            size(t.bytes),
            t.reads,
            plural(t.reads),
            t.frames,
            plural(t.frames)
        );
        if t.errors > 0 {
            let text = format!("{} error{}", t.errors, plural(t.errors));
            out.push_str(", ");
            self.paint(out, RED, &text);
        }
        if t.truncated {
            out.push_str(", ended inside a frame");
        }
        if t.lost {
            let _ = write!(
                out,
                ", framing lost ({} undecoded)",
                size(t.undecoded_bytes)
            );
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn totals_json(out: &mut String, t: &Totals) {
    let _ = write!(
        out,
        "{{\"bytes\":{},\"reads\":{},\"frames\":{},\"payload_bytes\":{},\"errors\":{},\"truncated\":{},\"lost\":{},\"undecoded_bytes\":{}}}",
        t.bytes,
        t.reads,
        t.frames,
        t.payload_bytes,
        t.errors,
        t.truncated,
        t.lost,
        t.undecoded_bytes
    );
}

/// Printable ASCII as is, every other byte as `.`.
fn printable(out: &mut String, bytes: &[u8]) {
    out.extend(bytes.iter().map(|&b| match b {
        0x20..=0x7e => b as char,
        _ => '.',
    }));
}

/// Appends `s` as a JSON string literal (RFC 8259): quotes, backslashes and
/// control characters escaped, everything else as is (a Rust string is UTF-8,
/// as JSON text must be).
pub(crate) fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::tap::ReadAnalyser;

    fn printed(format: Format, reads: &[&[u8]]) -> String {
        let printer = Printer {
            format,
            preview: 4,
            datagrams: false,
        };
        let mut a = ReadAnalyser::new("lines,max=8".parse::<crate::AnyCodec>().unwrap());
        let mut out = String::new();
        let place = Place {
            conn: Some(1),
            dir: Some(Direction::ClientToServer),
            t: Some(Duration::from_micros(1500)),
        };
        for r in reads {
            let mut events = Vec::new();
            a.read(r, &mut events);
            printer.events(&mut out, &place, &events);
        }
        out
    }

    #[test]
    fn json_string_escapes() {
        let mut out = String::new();
        json_string(&mut out, "a\"b\\c\nd\re\tf\u{1}g\u{7f}h\u{e9}");
        assert_eq!(out, "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u007fh\u{e9}\"");
    }

    #[test]
    fn human_lines() {
        let out = printed(Format::Human { color: false }, &[b"hello\nab", b"\xff\n"]);
        assert_eq!(
            out,
            "#1 c->s +0.001500s read 8 bytes: 1 whole frame (1) + the first 2 bytes of frame 2\n\
             #1 c->s   frame 1: 5 bytes (6 on the wire)  68 65 6c 6c  |hell|...\n\
             #1 c->s +0.001500s read 2 bytes: the last 2 bytes of bad frame 2\n\
             #1 c->s   frame 2: error: line of 3 bytes is not valid utf-8 (invalid byte at offset 2) (4 bytes on the wire)\n"
        );
        let coloured = printed(Format::Human { color: true }, &[b"hi\n"]);
        assert!(coloured.contains("\x1b[32m  frame 1\x1b[0m"), "{coloured}");
        assert!(printed(Format::Quiet, &[b"hi\n"]).is_empty());
    }

    #[test]
    fn json_lines() {
        let out = printed(Format::Json, &[b"hi\n\"x"]);
        assert_eq!(
            out,
            "{\"event\":\"read\",\"conn\":1,\"dir\":\"c2s\",\"t\":0.001500,\"offset\":0,\"len\":5,\"held\":[\
             {\"index\":1,\"part\":\"whole\",\"status\":\"good\",\"len\":3},\
             {\"index\":2,\"part\":\"first\",\"status\":\"pending\",\"len\":2}],\
             \"summary\":\"1 whole frame (1) + the first 2 bytes of frame 2\"}\n\
             {\"event\":\"frame\",\"conn\":1,\"dir\":\"c2s\",\"index\":1,\"offset\":0,\"wire_len\":3,\"len\":2,\
             \"preview_hex\":\"6869\",\"preview_text\":\"hi\",\"preview_complete\":true}\n"
        );
    }

    #[test]
    fn close_and_end_totals() {
        let printer = Printer {
            format: Format::Human { color: false },
            preview: 0,
            datagrams: false,
        };
        let t = Totals {
            bytes: 2048,
            reads: 1,
            frames: 3,
            payload_bytes: 2000,
            errors: 1,
            truncated: true,
            lost: false,
            undecoded_bytes: 0,
        };
        let mut out = String::new();
        printer.close(
            &mut out,
            7,
            Duration::from_millis(1500),
            "client closed",
            &t,
            &Totals::default(),
        );
        assert_eq!(
            out,
            "#7 close after 1.500s (client closed): c->s 2 KiB in 1 read, 3 frames, 1 error, \
             ended inside a frame; s->c 0 bytes in 0 reads, 0 frames\n"
        );
        let mut out = String::new();
        Printer {
            format: Format::Json,
            ..printer
        }
        .end(&mut out, &t);
        assert_eq!(
            out,
            "{\"event\":\"end\",\"totals\":{\"bytes\":2048,\"reads\":1,\"frames\":3,\"payload_bytes\":2000,\
             \"errors\":1,\"truncated\":true,\"lost\":false,\"undecoded_bytes\":0}}\n"
        );
    }
}
