//! The time server: each request frame is a strftime format, each reply the
//! server's local time in that format.

use std::io;
use std::time::Duration;

use bytes::Bytes;
use jiff::Zoned;
use jiff::fmt::StdFmtWrite;
use jiff::fmt::strtime::BrokenDownTime;

use super::Endpoint;
use super::server::{Config, Server, Service};
use crate::AnyCodec;

/// The format used for an empty request: `2024-07-15 16:24:59`.
pub const DEFAULT_TIME_FORMAT: &str = "%Y-%m-%d %X";

/// A server that tells the time: each request frame is a strftime format,
/// and the reply is the server's local time in that format.
///
/// - An empty request means [`DEFAULT_TIME_FORMAT`] (`%Y-%m-%d %X`).
/// - A request that is not UTF-8, or not a valid format, gets a reply that
///   starts with `error:`, never a crash. Formatting uses jiff's `strtime`,
///   which reports a bad format as an error (chrono's `Display` panics).
/// - A reply longer than the codec's frame limit (a format can be short and
///   its output long: `%20Y%20Y...`) gets an `error:` reply instead, and so does a
///   reply the codec cannot frame (a `%n` newline on `lines`).
///
/// Over UDP it is one datagram in, one datagram back; with the `raw` codec
/// an empty datagram is a request for the default format (see
/// [`Datagram`](super::Datagram)).
///
/// # Examples
///
/// ```
/// use framewise::net::{Endpoint, TimeServer};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = TimeServer::new("raw".parse()?)
///     .bind(&[Endpoint::Udp("127.0.0.1:0".parse()?)])
///     .await?;
/// let addr = server.udp_addrs()[0];
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let running = tokio::spawn(server.run(async move {
///     let _ = stopped.await;
/// }));
///
/// let client = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
/// client.send_to(b"%%Y is %Y", addr).await?;
/// let mut buf = [0; 100];
/// let n = client.recv(&mut buf).await?;
/// let year = jiff::Zoned::now().year();
/// assert_eq!(std::str::from_utf8(&buf[..n])?, format!("%Y is {year}"));
///
/// stop.send(()).unwrap();
/// running.await??;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct TimeServer {
    config: Config,
}

impl TimeServer {
    /// A time server speaking `codec` (`lines` is the usual choice over TCP,
    /// `raw` over UDP).
    ///
    /// # Examples
    ///
    /// ```
    /// let server = framewise::net::TimeServer::new("lines".parse()?);
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn new(codec: AnyCodec) -> Self {
        TimeServer {
            config: Config::new(codec, Service::Time),
        }
    }

    /// Refuse stream clients beyond `n` open connections (see
    /// [`EchoServer::max_conns`](super::EchoServer::max_conns)).
    ///
    /// # Examples
    ///
    /// ```
    /// let server = framewise::net::TimeServer::new("lines".parse()?).max_conns(100);
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn max_conns(mut self, n: usize) -> Self {
        self.config.max_conns = Some(n);
        self
    }

    /// Close stream connections that send no whole frame for this long (see
    /// [`EchoServer::idle_timeout`](super::EchoServer::idle_timeout)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let server = framewise::net::TimeServer::new("lines".parse()?)
    ///     .idle_timeout(Duration::from_secs(30));
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn idle_timeout(mut self, after: Duration) -> Self {
        self.config.idle_timeout = Some(after);
        self
    }

    /// How long a shutdown waits for open connections (default 5 s).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let server = framewise::net::TimeServer::new("lines".parse()?)
    ///     .shutdown_grace(Duration::from_secs(1));
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.config.grace = grace;
        self
    }

    /// Opens the listening sockets.
    ///
    /// # Examples
    ///
    /// See [`TimeServer`].
    ///
    /// # Errors
    ///
    /// An error naming the endpoint if one cannot be bound (address in use,
    /// permission denied), or if `endpoints` is empty.
    pub async fn bind(self, endpoints: &[Endpoint]) -> io::Result<Server> {
        Server::bind(self.config, endpoints).await
    }
}

/// The reply to one request: the time, or an `error:` message.
pub(crate) fn reply(request: &[u8], max: usize) -> Bytes {
    let text = match format_time(request, &Zoned::now(), max) {
        Ok(time) => time,
        Err(e) => format!("error: {e}"),
    };
    Bytes::from(text)
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

impl std::fmt::Write for Capped {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.text.len() + s.len() > self.max {
            self.over = true;
            return Err(std::fmt::Error);
        }
        self.text.write_str(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_noon() -> Zoned {
        jiff::civil::date(2024, 7, 15)
            .at(16, 24, 59, 0)
            .in_tz("UTC")
            .unwrap()
    }

    #[test]
    fn default_and_custom_formats() {
        let now = at_noon();
        assert_eq!(format_time(b"", &now, 100).unwrap(), "2024-07-15 16:24:59");
        assert_eq!(format_time(b"%H:%M", &now, 100).unwrap(), "16:24");
        assert_eq!(format_time(b"100%%", &now, 100).unwrap(), "100%");
    }

    #[test]
    fn bad_formats_are_errors() {
        let now = at_noon();
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
}
