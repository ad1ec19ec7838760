//! The echo server: every frame comes back as a frame of the same codec.

use std::io;
use std::time::Duration;

use bytes::Bytes;

use super::Endpoint;
use super::server::{Config, Server, Service};
use crate::AnyCodec;

/// A server that sends every frame back, framed by the same codec.
///
/// Configure it with the builder methods, [bind](Self::bind) it, then
/// [run](Server::run) it. Over TCP and Unix sockets:
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
/// let server = EchoServer::new("length".parse()?)
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
    /// let server = framewise::net::EchoServer::new("delim:\\r\\n,max=4096".parse()?);
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn new(codec: AnyCodec) -> Self {
        EchoServer {
            config: Config::new(
                codec,
                Service::Echo {
                    greeting: None,
                    quit: None,
                },
            ),
        }
    }

    /// One frame sent to every client as soon as it connects.
    ///
    /// # Examples
    ///
    /// ```
    /// let server = framewise::net::EchoServer::new("lines".parse()?).greeting("welcome");
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
    /// let server = framewise::net::EchoServer::new("lines".parse()?).quit_word("exit");
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn quit_word(mut self, word: impl Into<Bytes>) -> Self {
        if let Service::Echo { quit, .. } = &mut self.config.service {
            *quit = Some(word.into());
        }
        self
    }

    /// At most `n` stream connections at once. A client that connects while
    /// `n` are open is refused: it gets one
    /// `error: server is full (n connections), try again later` frame and
    /// is closed (it does not wait in a queue).
    ///
    /// # Examples
    ///
    /// ```
    /// let server = framewise::net::EchoServer::new("lines".parse()?).max_conns(1000);
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn max_conns(mut self, n: usize) -> Self {
        self.config.max_conns = Some(n);
        self
    }

    /// Close a connection when no whole frame has arrived for `after` (a
    /// client that trickles bytes without finishing a frame, slowloris-style,
    /// counts as idle), or when it has not read its replies for that long.
    /// The client gets an `error: idle for N s, closing` frame.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let server = framewise::net::EchoServer::new("lines".parse()?)
    ///     .idle_timeout(Duration::from_secs(30));
    /// # Ok::<(), framewise::ConfigError>(())
    /// ```
    pub fn idle_timeout(mut self, after: Duration) -> Self {
        self.config.idle_timeout = Some(after);
        self
    }

    /// How long a shutdown waits for open connections to flush their replies
    /// and close before cutting them (default 5 s).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let server = framewise::net::EchoServer::new("lines".parse()?)
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
    /// See [`EchoServer`].
    ///
    /// # Errors
    ///
    /// An error naming the endpoint if one cannot be bound (address in use,
    /// permission denied), or if `endpoints` is empty.
    pub async fn bind(self, endpoints: &[Endpoint]) -> io::Result<Server> {
        Server::bind(self.config, endpoints).await
    }
}
