//! The echo server: every frame comes back as a frame of the same codec.

use bytes::Bytes;

use super::server::reply::Service;
use super::server::{Config, server_builder_methods};
use crate::AnyCodec;

/// A server that sends every frame back, framed by the same codec.
///
/// Configure it with the builder methods, [bind](Self::bind) it, then
/// [run](super::Server::run) it. Over TCP and Unix sockets:
///
/// - one task per connection; a client that sends an oversized frame,
///   invalid UTF-8 on `lines`, disconnects in the middle of a frame or resets
///   affects only itself: it gets one `error: ...` frame where the codec can
///   still frame one, then its connection closes;
/// - pipelined frames are answered in order, replies queued as with `feed`
///   and flushed once no whole frame is left in the read buffer.
///
/// Over UDP each frame comes back in its own datagram; the greeting, the
/// quit word and the connection limits have no meaning there and are
/// ignored.
///
/// # Examples
///
/// A tutorial-style server with a welcome and an exit word, over the
/// length-prefixed codec:
///
/// ```
/// use framewise::net::{EchoServer, Endpoint};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = EchoServer::new(framewise::LengthPrefixed::new())
///     .greeting("welcome")
///     .quit_word("exit")
///     .bind(&[Endpoint::Tcp("127.0.0.1:0".parse()?)])
///     .await?;
/// let addr = server.tcp_addrs()[0];
/// let running = tokio::spawn(server.run(std::future::pending()));
///
/// let mut client = tokio::net::TcpStream::connect(addr).await?;
/// client.write_all(b"\0\0\0\x02hi\0\0\0\x04exit").await?;
/// let mut replies = Vec::new();
/// client.read_to_end(&mut replies).await?; // the server closes after "exit"
/// assert_eq!(replies, b"\0\0\0\x07welcome\0\0\0\x02hi");
/// running.abort();
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct EchoServer {
    config: Config,
}

impl EchoServer {
    /// An echo server speaking `codec`, with no greeting, no quit word, no
    /// connection limit and no idle timeout.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::{AnyCodec, Delimited, net::EchoServer};
    ///
    /// // From a spec, or from any codec value.
    /// let server = EchoServer::new("delim:\\r\\n,max=4096".parse::<AnyCodec>()?);
    /// let server = EchoServer::new(Delimited::new(b"\r\n")?.with_max_frame_len(4096));
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn new(codec: impl Into<AnyCodec>) -> Self {
        EchoServer {
            config: Config::new(codec, Service::echo()),
        }
    }

    /// One frame sent to every client as soon as it connects.
    ///
    /// # Examples
    ///
    /// ```
    /// let server = framewise::net::EchoServer::new("lines".parse::<framewise::AnyCodec>()?).greeting("welcome");
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn greeting(mut self, text: impl Into<Bytes>) -> Self {
        if let Service::Echo { greeting, .. } = &mut self.config.service {
            *greeting = Some(text.into());
        }
        self
    }

    /// A frame equal to `word` closes that connection cleanly: replies to
    /// the frames before it are sent, the word itself is not echoed.
    ///
    /// # Examples
    ///
    /// ```
    /// let server = framewise::net::EchoServer::new("lines".parse::<framewise::AnyCodec>()?).quit_word("exit");
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn quit_word(mut self, word: impl Into<Bytes>) -> Self {
        if let Service::Echo { quit, .. } = &mut self.config.service {
            *quit = Some(word.into());
        }
        self
    }

    server_builder_methods!(EchoServer);
}
