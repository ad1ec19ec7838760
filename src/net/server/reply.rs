//! What the echo and time services answer: the reply to a frame, the
//! `error:` frames, and the fallback to an `error:` frame when the codec
//! refuses a reply. No sockets and no clock of its own: everything here is
//! tested on plain buffers.

use std::fmt::{self, Display};

use bytes::{Bytes, BytesMut};
use jiff::Zoned;
use jiff::fmt::StdFmtWrite;
use jiff::fmt::strtime::BrokenDownTime;
use tokio_util::codec::Encoder;

use crate::Error;
use crate::net::DEFAULT_TIME_FORMAT;

/// What a server does with each frame.
#[derive(Debug, Clone)]
pub(crate) enum Service {
    /// Send the frame back.
    Echo {
        /// Sent as soon as a client connects.
        greeting: Option<Bytes>,
        /// A frame equal to this closes the connection.
        quit: Option<Bytes>,
    },
    /// Reply with the local time in the strftime format of the frame.
    Time,
}

impl Service {
    /// An echo service with no greeting and no quit word.
    pub(crate) fn echo() -> Self {
        Service::Echo {
            greeting: None,
            quit: None,
        }
    }

    /// The name logs give the service.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Service::Echo { .. } => "echo",
            Service::Time => "time",
        }
    }

    /// The frame sent to each client as soon as it connects, if any.
    pub(crate) fn greeting(&self) -> Option<&Bytes> {
        match self {
            Service::Echo { greeting, .. } => greeting.as_ref(),
            Service::Time => None,
        }
    }

    /// Whether `frame` asks to close the connection.
    #[inline]
    pub(crate) fn is_quit(&self, frame: &Bytes) -> bool {
        match self {
            Service::Echo { quit: Some(q), .. } => frame == q,
            _ => false,
        }
    }

    /// The reply to one frame; `max` is the longest frame the codec sends.
    #[inline]
    pub(crate) fn reply(&self, frame: Bytes, max: usize) -> Bytes {
        match self {
            Service::Echo { .. } => frame,
            Service::Time => time_reply(&frame, &Zoned::now(), max),
        }
    }
}

/// An `error:` frame: what the client gets instead of a reply, or before
/// its connection is closed (off the hot path).
#[cold]
pub(crate) fn error_frame(reason: impl Display) -> Bytes {
    Bytes::from(format!("error: {reason}"))
}

/// The last frame of a client refused because `max` connections are open.
pub(crate) fn server_full(max: usize) -> Bytes {
    error_frame(format_args!(
        "server is full ({max} connections), try again later"
    ))
}

/// Encodes `reply` into `out`. A reply the codec refuses (too long for its
/// limit, a newline inside a `lines` frame) is replaced by an `error:` frame
/// naming the refusal, after `refused` has been told of it (to log it).
///
/// # Errors
///
/// The codec's refusal of the `error:` frame as well (a `fixed:4` codec, a
/// limit shorter than the message); nothing is written then.
#[inline]
pub(crate) fn encode_reply<E>(
    codec: &mut E,
    reply: Bytes,
    out: &mut BytesMut,
    refused: impl FnOnce(&Error),
) -> Result<(), Error>
where
    E: Encoder<Bytes, Error = Error>,
{
    codec.encode(reply, out).or_else(|refusal| {
        refused(&refusal);
        codec.encode(error_frame(refusal), out)
    })
}

/// The time service's reply to one request at `now`: the time in the
/// request's strftime format, or an `error:` frame.
pub(crate) fn time_reply(request: &[u8], now: &Zoned, max: usize) -> Bytes {
    match format_time(request, now, max) {
        Ok(time) => Bytes::from(time),
        Err(e) => error_frame(e),
    }
}

/// `now` in the strftime `format`, at most `max` bytes long.
fn format_time(format: &[u8], now: &Zoned, max: usize) -> Result<String, String> {
    let format = match std::str::from_utf8(format) {
        Ok("") => DEFAULT_TIME_FORMAT,
        Ok(f) => f,
        Err(e) => {
            return Err(format!(
                "the format is not utf-8 (invalid byte at offset {})",
                e.valid_up_to()
            ));
        }
    };
    let mut out = Capped {
        text: String::new(),
        max,
        over: false,
    };
    match BrokenDownTime::from(now).format(format, StdFmtWrite(&mut out)) {
        Ok(()) => Ok(out.text),
        Err(_) if out.over => Err(format!(
            "the formatted time exceeds the limit of {max} bytes"
        )),
        Err(e) => Err(format!("invalid time format: {e}")),
    }
}

/// A string that refuses to grow past `max` bytes, so a short format with a
/// long output cannot make the server build a huge reply.
struct Capped {
    text: String,
    max: usize,
    over: bool,
}

impl fmt::Write for Capped {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.text.len() + s.len() > self.max {
            self.over = true;
            return Err(fmt::Error);
        }
        self.text.write_str(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AnyCodec;

    /// 2024-07-15 16:24:59 UTC: a fixed clock for the time service.
    fn at_2024_07_15_16_24_59() -> Zoned {
        jiff::civil::date(2024, 7, 15)
            .at(16, 24, 59, 0)
            .in_tz("UTC")
            .unwrap()
    }

    #[test]
    fn default_and_custom_formats() {
        let now = at_2024_07_15_16_24_59();
        assert_eq!(format_time(b"", &now, 100).unwrap(), "2024-07-15 16:24:59");
        assert_eq!(format_time(b"%H:%M", &now, 100).unwrap(), "16:24");
        assert_eq!(format_time(b"100%%", &now, 100).unwrap(), "100%");
    }

    #[test]
    fn bad_formats_are_errors() {
        let now = at_2024_07_15_16_24_59();
        assert_eq!(
            format_time(b"%Y\xff", &now, 100).unwrap_err(),
            "the format is not utf-8 (invalid byte at offset 2)"
        );
        assert_eq!(
            format_time(b"%K", &now, 100).unwrap_err(),
            "invalid time format: strftime formatting failed: \
             found unrecognized specifier directive `K`"
        );
        for bad in [&b"%"[..], b"%i", b"%Y %"] {
            let err = format_time(bad, &now, 100).unwrap_err();
            assert!(err.starts_with("invalid time format: "), "{err}");
        }
        assert_eq!(
            format_time(b"%Y%Y", &now, 6).unwrap_err(),
            "the formatted time exceeds the limit of 6 bytes"
        );
        assert_eq!(format_time(b"%Y%Y", &now, 8).unwrap(), "20242024");
    }

    #[test]
    fn time_replies_are_the_time_or_an_error_frame() {
        let now = at_2024_07_15_16_24_59();
        assert_eq!(time_reply(b"%H:%M:%S", &now, 100), "16:24:59");
        assert_eq!(time_reply(b"", &now, 100), "2024-07-15 16:24:59");
        assert_eq!(
            time_reply(b"%Y%Y", &now, 6),
            "error: the formatted time exceeds the limit of 6 bytes"
        );
    }

    #[test]
    fn echo_sends_the_frame_back_and_knows_its_quit_word() {
        let service = Service::Echo {
            greeting: Some(Bytes::from("welcome")),
            quit: Some(Bytes::from("exit")),
        };
        assert_eq!(service.name(), "echo");
        assert_eq!(service.greeting().unwrap(), "welcome");
        assert_eq!(service.reply(Bytes::from("hi"), 100), "hi");
        assert!(service.is_quit(&Bytes::from("exit")));
        assert!(!service.is_quit(&Bytes::from("exit ")));
        let plain = Service::echo();
        assert!(plain.greeting().is_none());
        assert!(!plain.is_quit(&Bytes::new()));
    }

    #[test]
    fn the_time_service_has_no_greeting_and_no_quit_word() {
        let service = Service::Time;
        assert_eq!(service.name(), "time");
        assert!(service.greeting().is_none());
        assert!(!service.is_quit(&Bytes::from("exit")));
        // The year is four digits whatever the clock says.
        assert_eq!(service.reply(Bytes::from("%Y"), 100).len(), 4);
    }

    #[test]
    fn error_frames_say_what_is_wrong() {
        assert_eq!(error_frame("idle"), "error: idle");
        assert_eq!(
            server_full(3),
            "error: server is full (3 connections), try again later"
        );
    }

    #[test]
    fn a_reply_the_codec_accepts_is_encoded_as_is() {
        let mut codec: AnyCodec = "lines".parse().unwrap();
        let mut out = BytesMut::new();
        let mut told = 0;
        encode_reply(&mut codec, Bytes::from("hi"), &mut out, |_| told += 1).unwrap();
        assert_eq!(&out[..], b"hi\n");
        assert_eq!(told, 0);
    }

    #[test]
    fn a_refused_reply_becomes_an_error_frame() {
        let mut codec: AnyCodec = "lines".parse().unwrap();
        let mut out = BytesMut::from(&b"a\n"[..]);
        let mut told = Vec::new();
        encode_reply(&mut codec, Bytes::from("two\nlines"), &mut out, |e| {
            told.push(e.to_string())
        })
        .unwrap();
        assert_eq!(
            told,
            ["cannot encode frame: the line contains a \\n at byte 3"]
        );
        assert_eq!(
            &out[..],
            b"a\nerror: cannot encode frame: the line contains a \\n at byte 3\n"
        );
    }

    #[test]
    fn an_error_frame_the_codec_refuses_too_is_an_error_and_writes_nothing() {
        let mut codec: AnyCodec = "fixed:4".parse().unwrap();
        let mut out = BytesMut::from(&b"abcd"[..]);
        let err = encode_reply(&mut codec, Bytes::from("hello"), &mut out, |_| {}).unwrap_err();
        assert!(matches!(err, Error::Unencodable { .. }), "{err}");
        assert_eq!(&out[..], b"abcd");
    }
}
