//! Echo and time servers, a client and a UDP chat, built on tokio and
//! framewise's codecs (through tokio-util's `Decoder`/`Encoder`, and
//! `UdpFramed` for datagrams).
//!
//! These are the classic socket-tutorial programs, done so that message
//! boundaries hold whatever TCP does: every byte stream goes through a codec
//! (chosen at run time with an [`AnyCodec`](crate::AnyCodec) spec such as
//! `lines`, `length` or `delim:\r\n,max=4096`), so a server sees whole frames
//! however the bytes were split or glued together on the way.
//!
//! | what | type / function | transport |
//! |---|---|---|
//! | echo server | [`EchoServer`] | TCP, Unix socket, UDP |
//! | time server | [`TimeServer`] | TCP, Unix socket, UDP |
//! | client | [`send()`] | TCP, Unix socket, UDP |
//! | two-way chat | [`chat()`] | UDP |
//! | load generator for echo servers | [`Bench`] | TCP, Unix socket, UDP |
//! | datagram framing | [`Datagram`] | UDP |
//! | a proxy that shows the frames of real traffic | [`tap::Tap`] | TCP, UDP |
//!
//! The `framewise` command-line tool is a thin layer over this module
//! (`framewise serve echo`, `framewise serve time`, `framewise send`,
//! `framewise chat`, `framewise bench`, `framewise tap`, `framewise decode`).
//!
//! # Servers
//!
//! A server is configured, then [bound](EchoServer::bind) to one or more
//! [`Endpoint`]s (port 0 picks a free port; [`Server::endpoints`] tells
//! which), then [run](Server::run) until a shutdown future resolves:
//!
//! ```
//! use framewise::net::{EchoServer, Endpoint};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = EchoServer::new("lines".parse::<framewise::AnyCodec>()?)
//!     .bind(&[Endpoint::Tcp("127.0.0.1:0".parse()?)])
//!     .await?;
//! let addr = server.tcp_addrs()[0];
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let running = tokio::spawn(server.run(async move {
//!     let _ = stopped.await;
//! }));
//!
//! let mut client = tokio::net::TcpStream::connect(addr).await?;
//! client.write_all(b"hello\nworld\n").await?;
//! let mut reply = [0; 12];
//! client.read_exact(&mut reply).await?;
//! assert_eq!(&reply, b"hello\nworld\n");
//!
//! drop(client);
//! stop.send(()).unwrap();
//! let stats = running.await??;
//! assert_eq!(stats.frames_in, 2);
//! # Ok(())
//! # }
//! ```
//!
//! Every connection is served by its own task, so a misbehaving client
//! (oversized frame, invalid UTF-8 on `lines`, a disconnect in the middle of a
//! frame, a reset) affects only itself: it gets one `error: ...` frame where
//! the codec can still frame one, then its connection closes.
//!
//! The data path of a stream connection (`server/connection.rs`):
//!
//! ```text
//!  socket read   the client's bytes, into the read buffer (when no whole frame is left in it)
//!      │
//!   decoder      each whole frame in the read buffer, in order (the one place frames are decoded)
//!      │
//!    reply       what the service answers (`server/reply.rs`: no IO, tested without sockets)
//!      │
//!   encoder      the reply, or an `error: ...` frame in its place, into the write buffer
//!      │
//!    write       the write buffer, once no whole frame is left or it has reached its threshold
//!      │
//!    flush
//! ```
//!
//! Replies are queued in the write buffer (what `feed` does) and flushed only
//! when no complete frame is left in the read buffer: a client that pipelines
//! many frames gets its replies in one write, not one write per frame. Once a
//! client is seen pipelining (8 or more frames in one read), its connection's
//! buffers grow from 8 KiB to 64 KiB, so each system call carries more
//! frames.
//!
//! # UDP
//!
//! Over UDP every datagram is decoded on its own by [`Datagram`]:
//!
//! - with the `raw` codec (the default for UDP in the command-line tool),
//!   the datagram *is* the frame, an empty datagram included;
//! - with any other codec, a datagram holds whole frames of that codec (one
//!   or more); a frame never spans two datagrams, and an empty datagram is
//!   one empty frame.
//!
//! Each reply frame is sent as one datagram. A datagram that does not decode
//! is dropped with a log line and the server carries on.
//!
//! ```text
//!  datagram ──> Datagram decoder ──> reply ──> Datagram encoder ──> one datagram per reply
//! ```
//!
//! A reply the codec refuses (over its limit, a newline inside a `lines`
//! frame) is replaced by an `error: ...` frame, over TCP, Unix sockets and
//! UDP alike.
//!
//! # Logs
//!
//! Servers log with `tracing`: one `info` line per connection opened and per
//! connection closed (with the peer, the frames received and sent, and why it
//! closed), and `warn` lines for bad datagrams. Nothing is logged per frame.

mod bench;
mod chat;
mod client;
mod connect;
mod datagram;
mod echo;
mod endpoint;
mod histogram;
mod server;
mod shutdown;
pub mod tap;
mod time;

pub use self::bench::{Bench, BenchError, BenchReport, Latency};
pub use self::chat::chat;
pub use self::client::{ClientError, SendSummary, send};
pub use self::connect::ConnectError;
pub use self::datagram::{Datagram, MAX_DATAGRAM_PAYLOAD};
pub use self::echo::EchoServer;
pub use self::endpoint::Endpoint;
pub use self::server::{Server, ServerStats};
pub use self::shutdown::{ShutdownSignal, shutdown_signal};
pub use self::time::{DEFAULT_TIME_FORMAT, TimeServer};

/// The port `framewise serve echo` listens on by default (after the classic
/// echo service on port 7).
pub const DEFAULT_ECHO_PORT: u16 = 7007;

/// The port `framewise serve time` listens on by default (after the classic
/// time service on port 37).
pub const DEFAULT_TIME_PORT: u16 = 7037;
