//! `framewise decode`: a captured byte stream, shown as the tap shows a
//! connection.

use std::io::{self, Write};

use bytes::Bytes;
use tokio_util::codec::Decoder;

use super::ReadAnalyser;
use super::analyse::Totals;
use super::print::{Format, Place, Printer};
use crate::Error;

/// Decodes a captured stream and prints its frames and errors in `format`,
/// then its totals (an `end` event).
///
/// With `reads` empty the stream is decoded as one read and no read is
/// printed. Otherwise the stream is replayed in reads of those sizes, the
/// last size repeating until the input runs out (`&[1]`: one byte at a
/// time), and each read is printed with what it held.
///
/// Returns the totals: [`Totals::is_clean`] is `false` if the stream had a
/// decoding error or ended inside a frame.
///
/// # Examples
///
/// ```
/// use framewise::net::tap::{Format, decode_capture};
///
/// let mut out = Vec::new();
/// let codec: framewise::AnyCodec = "lines".parse()?;
/// let totals = decode_capture(codec, b"hello\njames\nhow a", &[8], Format::Human { color: false }, 4, &mut out)?;
/// assert_eq!((totals.frames, totals.reads), (3, 3));
/// assert!(totals.is_clean()); // a last line without its "\n" is still a line
/// let out = String::from_utf8(out)?;
/// assert!(out.starts_with("read 8 bytes: 1 whole frame (1) + the first 2 bytes of frame 2\n"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// A read size of 0, or an error writing to `out`.
pub fn decode_capture<D, W>(
    codec: D,
    input: &[u8],
    reads: &[usize],
    format: Format,
    preview: usize,
    out: &mut W,
) -> io::Result<Totals>
where
    D: Decoder<Item = Bytes, Error = Error> + Clone,
    W: Write + ?Sized,
{
    if reads.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a read size must be at least 1 byte",
        ));
    }
    let printer = Printer {
        format,
        preview,
        datagrams: false,
    };
    let place = Place::default();
    let mut analyser = ReadAnalyser::new(codec);
    let mut events = Vec::new();
    let mut text = String::new();
    let mut rest = input;
    let mut sizes = reads.iter().copied();
    let mut size = input.len();
    while !rest.is_empty() {
        if !reads.is_empty() {
            size = sizes.next().unwrap_or(size);
        }
        let (read, after) = rest.split_at(size.min(rest.len()));
        rest = after;
        analyser.read(read, &mut events);
        if reads.is_empty() {
            // One read: nothing to say about it.
            events.remove(0);
        }
        printer.events(&mut text, &place, &events);
        events.clear();
        out.write_all(text.as_bytes())?;
        text.clear();
    }
    analyser.end(&mut events);
    printer.events(&mut text, &place, &events);
    let totals = analyser.totals();
    printer.end(&mut text, &totals);
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(totals)
}

/// Reads hex text, such as a dump copied from a terminal: pairs of hex
/// digits, with whitespace, `:`, `,`, `-` and `0x` prefixes ignored.
///
/// # Examples
///
/// ```
/// use framewise::net::tap::parse_hex;
///
/// assert_eq!(parse_hex("00 00 00 02 68 69")?, b"\0\0\0\x02hi");
/// assert_eq!(parse_hex("0x68,0x69\n")?, b"hi");
/// assert_eq!(parse_hex("de:ad:BE:EF")?, b"\xde\xad\xbe\xef");
/// assert!(parse_hex("abc").is_err());
/// # Ok::<(), String>(())
/// ```
///
/// # Errors
///
/// A character that is not a hex digit or a separator, or an odd number of
/// digits; the message says where.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let mut high: Option<u8> = None;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if high.is_none() && c == b'0' && matches!(bytes.get(i + 1), Some(b'x' | b'X')) {
            i += 2;
            continue;
        }
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            b' ' | b'\t' | b'\r' | b'\n' | b':' | b',' | b'-' => {
                if high.is_some() {
                    return Err(format!("a lone hex digit before offset {i}"));
                }
                i += 1;
                continue;
            }
            _ => {
                let ch = text[i..].chars().next().unwrap_or('?');
                return Err(format!("{ch:?} at offset {i} is not a hex digit"));
            }
        };
        match high.take() {
            None => high = Some(digit),
            Some(h) => out.push(h << 4 | digit),
        }
        i += 1;
    }
    if high.is_some() {
        return Err("an odd number of hex digits".into());
    }
    Ok(out)
}
