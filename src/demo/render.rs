//! Text output: aligned columns, boundaries drawn with bars and brackets, and
//! colour only as an extra (the text is the same without it).

use std::io::{self, Write};

use bytes::Bytes;

use super::{CodecReport, Datagrams, Received, StreamReport, UdpReport, WireFrame};

/// Where every line of a section starts.
const INDENT: &str = "   ";

/// ANSI colours for successive messages, so a glued read shows, in colour,
/// where each message was.
const PALETTE: [&str; 4] = ["32", "36", "35", "34"];

/// Framing bytes: headers, delimiters, escapes, COBS codes, checksums.
const FRAMING: &str = "1;33";

/// Whether to colour, and how.
#[derive(Debug, Clone, Copy)]
pub(super) struct Style {
    color: bool,
}

impl Style {
    pub(super) fn new(color: bool) -> Self {
        Style { color }
    }

    fn paint(&self, text: &str, code: &str) -> String {
        if self.color && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn bold(&self, text: &str) -> String {
        self.paint(text, "1")
    }

    fn bar(&self) -> String {
        self.paint("|", "2")
    }

    fn message(&self, text: &str, index: usize) -> String {
        self.paint(text, PALETTE[index % PALETTE.len()])
    }

    /// A conclusion: green when it shows what it should, red for the problem.
    fn verdict(&self, text: &str, good: bool) -> String {
        self.paint(text, if good { "32" } else { "31" })
    }
}

/// A line under construction, with its width on screen kept apart from the
/// escapes that colour it, so columns line up with or without colour.
#[derive(Debug, Default)]
struct Line {
    text: String,
    width: usize,
}

impl Line {
    fn push(&mut self, styled: &str, width: usize) -> &mut Self {
        self.text.push_str(styled);
        self.width += width;
        self
    }

    fn plain(&mut self, text: &str) -> &mut Self {
        self.push(text, text.chars().count())
    }

    fn pad_to(&mut self, width: usize) -> &mut Self {
        let pad = width.saturating_sub(self.width);
        self.plain(&" ".repeat(pad))
    }
}

/// One byte as text: printable ASCII as itself, the rest escaped.
fn escape(b: u8) -> String {
    match b {
        b'\\' => "\\\\".into(),
        b'\n' => "\\n".into(),
        b'\r' => "\\r".into(),
        b'\t' => "\\t".into(),
        0 => "\\0".into(),
        0x20..=0x7e => (b as char).to_string(),
        _ => format!("\\x{b:02x}"),
    }
}

pub(super) fn escaped(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| escape(b)).collect()
}

/// `"text"`, escaped, for table cells.
fn quoted(bytes: &[u8]) -> String {
    format!("\"{}\"", escaped(bytes).replace('"', "\\\""))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(super) fn title(style: &Style, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        style.bold("framewise demo: message boundaries on real sockets (127.0.0.1)")
    )
}

pub(super) fn sticky(report: &StreamReport, style: &Style, out: &mut impl Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{}", style.bold("1. sticky packets (粘包)"))?;
    writeln!(
        out,
        "{INDENT}The sender writes {}, one write call each. The receiver",
        plural(report.messages.len(), "message", "messages")
    )?;
    writeln!(
        out,
        "{INDENT}reads with a {}-byte buffer, and TCP, a byte stream, hands it",
        report.read_size
    )?;
    writeln!(
        out,
        "{INDENT}whatever has arrived: the messages, glued together."
    )?;
    stream(report, style, out)?;
    let (m, r) = (report.messages.len(), report.reads.len());
    let verdict = if r < m {
        format!(
            "=> {} arrived in {}: nothing marks where one ends.",
            plural(m, "message", "messages"),
            plural(r, "read", "reads")
        )
    } else {
        format!(
            "=> {} arrived in {}.",
            plural(m, "message", "messages"),
            plural(r, "read", "reads")
        )
    };
    writeln!(out, "{INDENT}{}", style.verdict(&verdict, false))
}

pub(super) fn split(report: &StreamReport, style: &Style, out: &mut impl Write) -> io::Result<()> {
    let len = report.messages.iter().map(Bytes::len).sum::<usize>();
    writeln!(out)?;
    writeln!(out, "{}", style.bold("2. split packets (半包)"))?;
    writeln!(
        out,
        "{INDENT}The sender writes one {len}-byte message; the receiver reads with a"
    )?;
    writeln!(
        out,
        "{INDENT}{}-byte buffer (a 1 MiB message read 64 KiB at a time splits the same way).",
        report.read_size
    )?;
    stream(report, style, out)?;
    let verdict = format!(
        "=> {} arrived in {}: each read holds only part of one.",
        plural(report.messages.len(), "message", "messages"),
        plural(report.reads.len(), "read", "reads")
    );
    writeln!(out, "{INDENT}{}", style.verdict(&verdict, false))
}

/// The writes above, the reads below, each drawn under the bytes it holds:
///
/// ```text
/// write 1   5 bytes  |hello|
/// write 2   5 bytes       |james|
/// read  1  10 bytes  |hellojames|
/// ```
fn stream(report: &StreamReport, style: &Style, out: &mut impl Write) -> io::Result<()> {
    let bytes: Vec<u8> = report.messages.concat();
    // Which message each byte of the stream came from, to colour the reads.
    let owner: Vec<usize> = report
        .messages
        .iter()
        .enumerate()
        .flat_map(|(i, m)| std::iter::repeat_n(i, m.len()))
        .collect();
    let rows: Vec<(&str, usize)> = report
        .messages
        .iter()
        .map(|m| ("write", m.len()))
        .chain(report.reads.iter().map(|r| ("read", r.len())))
        .collect();
    let widths = Widths::of(
        rows.iter().map(|r| r.0),
        report.messages.len().max(report.reads.len()),
        rows.iter().map(|r| r.1),
    );

    writeln!(out)?;
    writeln!(out, "{INDENT}TCP {} -> {}", report.from, report.to)?;
    let mut start = 0;
    let mut column = 0;
    let mut index = 0;
    for (n, &(label, len)) in rows.iter().enumerate() {
        if n == report.messages.len() {
            // The reads start again at the first byte of the stream.
            (start, column, index) = (0, 0, 0);
        }
        index += 1;
        let end = start + len;
        let mut line = widths.prefix(label, index, len);
        line.plain(&" ".repeat(column)).push(&style.bar(), 1);
        let mut run_width = 0;
        // Runs of bytes from the same message, each in that message's colour.
        let mut run = String::new();
        let mut run_owner = None;
        for at in start..end {
            let b = report_byte(&bytes, report, n, at, start);
            let who = owner.get(at).copied().unwrap_or(0);
            if run_owner.is_some_and(|o| o != who) {
                line.push(&style.message(&run, run_owner.unwrap_or(0)), run.len());
                run_width += run.len();
                run.clear();
            }
            run_owner = Some(who);
            run.push_str(&escape(b));
        }
        line.push(&style.message(&run, run_owner.unwrap_or(0)), run.len());
        run_width += run.len();
        line.push(&style.bar(), 1);
        writeln!(out, "{INDENT}{}", line.text)?;
        start = end;
        column += run_width;
    }
    writeln!(out)
}

/// The byte at stream offset `at` of row `n`: a write or a read.
fn report_byte(bytes: &[u8], report: &StreamReport, n: usize, at: usize, start: usize) -> u8 {
    if n < report.messages.len() {
        bytes[at]
    } else {
        report.reads[n - report.messages.len()][at - start]
    }
}

/// Column widths for `label index  n bytes` row prefixes.
struct Widths {
    label: usize,
    index: usize,
    len: usize,
}

impl Widths {
    /// Widths for rows with these labels and lengths, numbered from 1 to at
    /// most `count`.
    fn of<'a>(
        labels: impl Iterator<Item = &'a str>,
        count: usize,
        lens: impl Iterator<Item = usize>,
    ) -> Self {
        Widths {
            label: labels.map(str::len).max().unwrap_or(0),
            index: count.to_string().len(),
            len: lens.max().unwrap_or(0).to_string().len(),
        }
    }

    fn prefix(&self, label: &str, index: usize, len: usize) -> Line {
        let mut line = Line::default();
        line.plain(&format!(
            "{label:<w$} {index:>iw$}  {len:>lw$} bytes  ",
            w = self.label,
            iw = self.index,
            lw = self.len
        ));
        line
    }
}

/// The introduction of the codecs section; `read_size` is the most one read
/// returns, for the codecs shown.
pub(super) fn codecs_intro(
    style: &Style,
    read_size: usize,
    out: &mut impl Write,
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        style.bold("3. the cure: a framing codec (FramedWrite -> TCP -> FramedRead)")
    )?;
    writeln!(
        out,
        "{INDENT}The same messages, framed by the sender's codec. The receiver reads at most"
    )?;
    writeln!(
        out,
        "{INDENT}{read_size} bytes at a time, cutting across frames (sticky and split at once),"
    )?;
    writeln!(
        out,
        "{INDENT}and its codec cuts them back into frames. Framing bytes are in [brackets]."
    )
}

pub(super) fn codec(report: &CodecReport, style: &Style, out: &mut impl Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "{INDENT}{}: {}",
        style.bold(&format!("--codec {}", report.codec)),
        report.description
    )?;
    let sent: Vec<String> = report.sent.iter().map(|s| quoted(s)).collect();
    let frames: Vec<String> = report.frames.iter().map(|f| quoted(f)).collect();
    let sent_w = sent.iter().map(String::len).max().unwrap_or(0).max(4);
    let frame_w = frames.iter().map(String::len).max().unwrap_or(0).max(8);
    let mut head = Line::default();
    head.plain("  sent").pad_to(sent_w + 4).plain("received");
    head.pad_to(sent_w + 4 + frame_w + 2)
        .plain("on the wire (hex)");
    writeln!(out, "{INDENT}{}", style.bold(&head.text))?;
    for i in 0..sent.len().max(frames.len()) {
        let mut line = Line::default();
        line.plain("  ");
        if let Some(s) = sent.get(i) {
            line.push(&style.message(s, i), s.len());
        }
        line.pad_to(sent_w + 4);
        if let Some(f) = frames.get(i) {
            let same = report.sent.get(i) == report.frames.get(i);
            let styled = if same {
                style.message(f, i)
            } else {
                style.verdict(f, false)
            };
            line.push(&styled, f.len());
        }
        line.pad_to(sent_w + 4 + frame_w + 2);
        if let Some(w) = report.wire.get(i) {
            hex(&mut line, w, style);
        }
        writeln!(out, "{INDENT}{}", line.text.trim_end())?;
    }
    for (message, error) in &report.refused {
        writeln!(
            out,
            "{INDENT}  {} not sent: {}",
            quoted(message),
            style.verdict(error, false)
        )?;
    }
    for error in &report.errors {
        writeln!(
            out,
            "{INDENT}  decoder error: {}",
            style.verdict(error, false)
        )?;
    }
    let reads = format!(
        "=> {} bytes in {} of at most {}; ",
        report.received.len(),
        plural(report.reads.len(), "read", "reads"),
        report.read_size
    );
    let verdict = if report.frames_match() {
        format!(
            "{reads}{} out, each as sent.",
            plural(report.frames.len(), "frame", "frames")
        )
    } else {
        format!(
            "{reads}{} out for {} sent: not the messages.",
            plural(report.frames.len(), "frame", "frames"),
            report.sent.len()
        )
    };
    writeln!(
        out,
        "{INDENT}{}",
        style.verdict(&verdict, report.frames_match())
    )
}

/// `[00 00 00 05] 68 65 6c 6c 6f`: framing bytes bracketed (and coloured).
fn hex(line: &mut Line, wire: &WireFrame, style: &Style) {
    let mut first = true;
    let mut at = 0;
    let mut spans: Vec<(std::ops::Range<usize>, bool)> = Vec::new();
    for r in &wire.framing {
        if r.start > at {
            spans.push((at..r.start, false));
        }
        spans.push((r.clone(), true));
        at = r.end;
    }
    if at < wire.bytes.len() {
        spans.push((at..wire.bytes.len(), false));
    }
    for (range, framing) in spans {
        if range.is_empty() {
            continue;
        }
        if !first {
            line.plain(" ");
        }
        first = false;
        let text = wire.bytes[range]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        if framing {
            let text = format!("[{text}]");
            line.push(&style.paint(&text, FRAMING), text.len());
        } else {
            line.plain(&text);
        }
    }
}

pub(super) fn udp(report: &UdpReport, style: &Style, out: &mut impl Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{}", style.bold("4. UDP: each datagram is a message"))?;
    writeln!(out, "{INDENT}UDP {} -> {}", report.from, report.to)?;
    // One set of columns for all three exchanges.
    let all = [&report.boundaries, &report.truncation, &report.empty];
    let widths = Widths::of(
        ["send", "recv_from"].into_iter(),
        all.iter()
            .map(|d| d.sent.len().max(d.received.len()))
            .max()
            .unwrap_or(0),
        all.iter().flat_map(|d| {
            d.sent
                .iter()
                .map(Bytes::len)
                .chain(d.received.iter().map(|r| r.bytes.len()))
        }),
    );

    let b = &report.boundaries;
    writeln!(out)?;
    writeln!(
        out,
        "{INDENT}{} sent back to back, then received into a {}-byte buffer:",
        plural(b.sent.len(), "datagram", "datagrams"),
        b.received.first().map_or(0, |r| r.buffer_len)
    )?;
    datagrams(b, &widths, &[], style, out)?;
    let kept = b.sent
        == b.received
            .iter()
            .map(|r| r.bytes.clone())
            .collect::<Vec<_>>();
    let verdict = format!(
        "=> {} sent, {} received, each whole: the boundaries hold.",
        plural(b.sent.len(), "datagram", "datagrams"),
        b.received.len()
    );
    writeln!(out, "{INDENT}{}", style.verdict(&verdict, kept))?;

    let t = &report.truncation;
    let (big, cut) = (&t.sent[0], &t.received[0]);
    let lost = big.get(cut.bytes.len()..).unwrap_or_default();
    writeln!(out)?;
    writeln!(
        out,
        "{INDENT}A {}-byte datagram received into a {}-byte buffer is cut, and the rest is gone:",
        big.len(),
        cut.buffer_len
    )?;
    let notes = [
        format!("{}-byte buffer: {} lost", cut.buffer_len, quoted(lost)),
        "the next datagram, not the rest".to_string(),
    ];
    datagrams(t, &widths, &notes, style, out)?;
    let verdict = format!(
        "=> TCP would have kept the other {} bytes for the next read; UDP dropped them.",
        lost.len()
    );
    writeln!(out, "{INDENT}{}", style.verdict(&verdict, false))?;

    let e = &report.empty;
    writeln!(out)?;
    writeln!(out, "{INDENT}An empty datagram is still a message:")?;
    let notes = [
        "a 0-byte message (on TCP, a 0-byte read means end of stream)".to_string(),
        String::new(),
    ];
    datagrams(e, &widths, &notes, style, out)?;
    let empty_kept = e.received.first().is_some_and(|r| r.bytes.is_empty());
    writeln!(
        out,
        "{INDENT}{}",
        style.verdict(
            "=> one empty datagram, one recv_from returning 0 bytes.",
            empty_kept
        )
    )
}

/// `send` rows then `recv_from` rows, each datagram drawn between bars,
/// with an optional note after each `recv_from` row.
fn datagrams(
    exchange: &Datagrams,
    widths: &Widths,
    notes: &[String],
    style: &Style,
    out: &mut impl Write,
) -> io::Result<()> {
    let rows: Vec<(&str, usize, &Bytes)> = exchange
        .sent
        .iter()
        .enumerate()
        .map(|(i, d)| ("send", i, d))
        .chain(
            exchange
                .received
                .iter()
                .enumerate()
                .map(|(i, Received { bytes, .. })| ("recv_from", i, bytes)),
        )
        .collect();
    let lines: Vec<Line> = rows
        .iter()
        .map(|&(label, i, bytes)| {
            let mut line = widths.prefix(label, i + 1, bytes.len());
            let text = escaped(bytes);
            line.push(&style.bar(), 1)
                .push(&style.message(&text, i), text.len())
                .push(&style.bar(), 1);
            line
        })
        .collect();
    // Notes line up after the widest received row.
    let width = lines[exchange.sent.len()..]
        .iter()
        .map(|l| l.width)
        .max()
        .unwrap_or(0);
    for (n, mut line) in lines.into_iter().enumerate() {
        let note = n
            .checked_sub(exchange.sent.len())
            .and_then(|i| notes.get(i))
            .filter(|note| !note.is_empty());
        if let Some(note) = note {
            line.pad_to(width + 2).plain(note);
        }
        writeln!(out, "{INDENT}{}", line.text)?;
    }
    Ok(())
}

pub(super) fn summary(style: &Style, out: &mut impl Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{}", style.bold("In short"))?;
    writeln!(
        out,
        "{INDENT}TCP delivers bytes, not messages: give every message a frame (a framewise"
    )?;
    writeln!(
        out,
        "{INDENT}codec with Framed, or FrameReader/FrameWriter over std::net). UDP keeps"
    )?;
    writeln!(
        out,
        "{INDENT}boundaries but cuts what does not fit: size the buffer for the largest datagram."
    )?;
    writeln!(
        out,
        "{INDENT}Code to copy: cargo run --example length_prefixed_echo (and sticky_tcp,"
    )?;
    writeln!(out, "{INDENT}udp_boundaries, blocking_client).")
}
