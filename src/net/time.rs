//! The time server: each request frame is a strftime format, each reply the
//! server's local time in that format.

use super::server::reply::Service;
use super::server::{Config, server_builder_methods};
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
/// let server = TimeServer::new("raw".parse::<framewise::AnyCodec>()?)
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
    /// use framewise::{Lines, net::TimeServer};
    ///
    /// let server = TimeServer::new(Lines::new());
    /// let server = TimeServer::new("lines".parse::<framewise::AnyCodec>()?);
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn new(codec: impl Into<AnyCodec>) -> Self {
        TimeServer {
            config: Config::new(codec, Service::Time),
        }
    }

    server_builder_methods!(TimeServer);
}
