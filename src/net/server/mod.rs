//! The machinery shared by the echo and time servers.
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | [`Server`]: the settings, binding, the accept loop, graceful shutdown |
//! | `reply.rs` | what the services answer, and the `error:` frames (no IO) |
//! | `listen.rs` | binding endpoints, accepting from every listener in turn |
//! | `connection.rs` | one stream connection: the connection loop, batching, the polite close |
//! | `udp.rs` | one UDP socket: a reply datagram per request |
//! | `stats.rs` | [`ServerStats`] and the counters behind it |

mod connection;
mod listen;
pub(crate) mod reply;
mod stats;
mod udp;

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use self::connection::ConnectionTask;
use self::listen::{Accepted, DisplayList, Listeners};
use self::reply::Service;
pub use self::stats::ServerStats;
use self::stats::SharedStats;
use super::Endpoint;
use crate::AnyCodec;

/// A server's settings, shared by all of its connections.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) codec: AnyCodec,
    pub(crate) service: Service,
    pub(crate) max_conns: Option<usize>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) grace: Duration,
}

impl Config {
    pub(crate) fn new(codec: impl Into<AnyCodec>, service: Service) -> Self {
        Config {
            codec: codec.into(),
            service,
            max_conns: None,
            idle_timeout: None,
            grace: Duration::from_secs(5),
        }
    }
}

/// The builder methods every server type has (`max_conns`, `idle_timeout`,
/// `shutdown_grace`, `bind`), written once for a type with a
/// `config: Config` field.
macro_rules! server_builder_methods {
    ($server:ident) => {
        /// At most `n` stream connections at once. A client that connects
        /// while `n` are open is refused: it gets one
        /// `error: server is full (n connections), try again later` frame
        /// and is closed (it does not wait in a queue).
        ///
        /// # Examples
        ///
        /// ```
        #[doc = concat!("let server = framewise::net::", stringify!($server), "::new(framewise::Lines::new()).max_conns(1000);")]
        /// # Ok::<(), framewise::ConfigError>(())
        /// ```
        pub fn max_conns(mut self, n: usize) -> Self {
            self.config.max_conns = Some(n);
            self
        }

        /// Close a stream connection when no whole frame has arrived for
        /// `after` (a client that trickles bytes without finishing a frame,
        /// slowloris-style, counts as idle), or when it has not read its
        /// replies for that long. The client gets an
        /// `error: idle for N s, closing` frame.
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        #[doc = concat!("let server = framewise::net::", stringify!($server), "::new(framewise::Lines::new())")]
        ///     .idle_timeout(Duration::from_secs(30));
        /// # Ok::<(), framewise::ConfigError>(())
        /// ```
        pub fn idle_timeout(mut self, after: ::std::time::Duration) -> Self {
            self.config.idle_timeout = Some(after);
            self
        }

        /// How long a shutdown waits for open connections to flush their
        /// replies and close before cutting them (default 5 s).
        ///
        /// # Examples
        ///
        /// ```
        /// use std::time::Duration;
        #[doc = concat!("let server = framewise::net::", stringify!($server), "::new(framewise::Lines::new())")]
        ///     .shutdown_grace(Duration::from_secs(1));
        /// # Ok::<(), framewise::ConfigError>(())
        /// ```
        pub fn shutdown_grace(mut self, grace: ::std::time::Duration) -> Self {
            self.config.grace = grace;
            self
        }

        /// Opens the listening sockets.
        ///
        /// # Examples
        ///
        #[doc = concat!("See [`", stringify!($server), "`].")]
        ///
        /// # Errors
        ///
        /// An error naming the endpoint if one cannot be bound (address in
        /// use, permission denied), or if `endpoints` is empty.
        pub async fn bind(self, endpoints: &[$crate::net::Endpoint]) -> ::std::io::Result<$crate::net::Server> {
            $crate::net::Server::bind(self.config, endpoints).await
        }
    };
}
pub(crate) use server_builder_methods;

/// A bound server: listening sockets ready to be [run](Server::run).
///
/// Made by [`EchoServer::bind`](super::EchoServer::bind) or
/// [`TimeServer::bind`](super::TimeServer::bind). Connections are accepted
/// (by the kernel) as soon as it is bound, and served once it runs.
///
/// # Examples
///
/// ```
/// use framewise::net::{Endpoint, TimeServer};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = TimeServer::new("lines".parse::<framewise::AnyCodec>()?)
///     .bind(&[
///         Endpoint::Tcp("127.0.0.1:0".parse()?),
///         Endpoint::Udp("127.0.0.1:0".parse()?),
///     ])
///     .await?;
/// assert_eq!(server.endpoints().len(), 2);
/// assert_ne!(server.tcp_addrs()[0].port(), 0);
/// let stats = server.run(async {}).await?; // stops at once
/// assert_eq!(stats.connections, 0);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Server {
    config: Arc<Config>,
    endpoints: Vec<Endpoint>,
    listeners: Listeners,
    udp: Vec<UdpSocket>,
}

impl Server {
    pub(crate) async fn bind(config: Config, endpoints: &[Endpoint]) -> io::Result<Server> {
        let bound = listen::bind(endpoints).await?;
        Ok(Server {
            config: Arc::new(config),
            endpoints: bound.endpoints,
            listeners: bound.listeners,
            udp: bound.udp,
        })
    }

    /// Where the server listens, in the order given to `bind`, with the
    /// ports actually bound (a port 0 is replaced by the one the system
    /// picked).
    ///
    /// # Examples
    ///
    /// See [`Server`].
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// The bound TCP addresses, in the order given to `bind`.
    ///
    /// # Examples
    ///
    /// See [`Server`].
    pub fn tcp_addrs(&self) -> Vec<SocketAddr> {
        self.addrs(|e| match e {
            Endpoint::Tcp(a) => Some(*a),
            _ => None,
        })
    }

    /// The bound UDP addresses, in the order given to `bind`.
    ///
    /// # Examples
    ///
    /// ```
    /// use framewise::net::{EchoServer, Endpoint};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = EchoServer::new("raw".parse::<framewise::AnyCodec>()?)
    ///     .bind(&[Endpoint::Udp("127.0.0.1:0".parse()?)])
    ///     .await?;
    /// assert_eq!(server.udp_addrs().len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn udp_addrs(&self) -> Vec<SocketAddr> {
        self.addrs(|e| match e {
            Endpoint::Udp(a) => Some(*a),
            _ => None,
        })
    }

    fn addrs(&self, pick: fn(&Endpoint) -> Option<SocketAddr>) -> Vec<SocketAddr> {
        self.endpoints.iter().filter_map(pick).collect()
    }

    /// Serves every endpoint until `shutdown` resolves, then shuts down
    /// gracefully and returns what was done.
    ///
    /// Each stream connection gets its own task. On shutdown the server
    /// stops accepting, every connection stops waiting for new input,
    /// flushes the replies to the frames it has already received and closes;
    /// connections still open after the grace period (5 s unless set with
    /// `shutdown_grace`) are cut. UDP sockets stop at once.
    ///
    /// With `max_conns` set, a client that connects while that many are open
    /// is refused: it gets one `error: server is full ...` frame and is
    /// closed.
    ///
    /// # Examples
    ///
    /// See [the module docs](super).
    ///
    /// # Errors
    ///
    /// None at present: errors of single connections, accepts and datagrams
    /// are logged and do not stop the server. The `Result` leaves room for
    /// errors that would.
    pub async fn run<F>(self, shutdown: F) -> io::Result<ServerStats>
    where
        F: Future<Output = ()>,
    {
        let Server {
            config,
            endpoints,
            mut listeners,
            udp,
        } = self;
        let mut serving = Serving::new(config);
        for socket in udp {
            serving.spawn_udp(socket);
        }
        info!(
            service = serving.service(),
            codec = %serving.config.codec,
            endpoints = %DisplayList(&endpoints),
            "server running"
        );
        serving.accept_until(&mut listeners, shutdown).await;
        // Stop accepting: close the listeners (and remove socket files).
        drop(listeners);
        Ok(serving.shut_down().await)
    }
}

/// The connection limit: `max` permits, one per open connection.
struct ConnLimit {
    slots: Arc<Semaphore>,
    max: usize,
}

/// A running server: its tasks, and what they share.
struct Serving {
    config: Arc<Config>,
    stats: Arc<SharedStats>,
    /// Cancelled to shut the tasks down.
    token: CancellationToken,
    /// Every connection and UDP task.
    tasks: JoinSet<()>,
    limit: Option<ConnLimit>,
    /// The number of the last connection accepted, for the logs.
    last_id: u64,
}

impl Serving {
    fn new(config: Arc<Config>) -> Self {
        let limit = config.max_conns.map(|max| ConnLimit {
            slots: Arc::new(Semaphore::new(max)),
            max,
        });
        Serving {
            config,
            stats: Arc::default(),
            token: CancellationToken::new(),
            tasks: JoinSet::new(),
            limit,
            last_id: 0,
        }
    }

    fn service(&self) -> &'static str {
        self.config.service.name()
    }

    fn spawn_udp(&mut self, socket: UdpSocket) {
        self.tasks.spawn(udp::serve_udp(
            socket,
            self.config.clone(),
            self.stats.clone(),
            self.token.child_token(),
        ));
    }

    /// Accepts connections (and reaps finished tasks) until `shutdown`
    /// resolves.
    async fn accept_until<F>(&mut self, listeners: &mut Listeners, shutdown: F)
    where
        F: Future<Output = ()>,
    {
        let service = self.service();
        let mut shutdown = pin!(shutdown);
        loop {
            let accepted = tokio::select! {
                biased;
                () = &mut shutdown => return,
                Some(done) = self.tasks.join_next(), if !self.tasks.is_empty() => {
                    if let Err(e) = done
                        && e.is_panic()
                    {
                        error!(service, "a connection task panicked: {e}");
                    }
                    continue;
                }
                accepted = poll_fn(|cx| listeners.poll_accept(cx)), if !listeners.is_empty() => {
                    accepted
                }
            };
            match accepted {
                Ok(stream) => self.admit(stream),
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it
                    // was accepted: not the server's end. Pause briefly so a
                    // persistent error does not spin.
                    warn!(service, "accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    /// Serves an accepted connection in its own task, or refuses it when
    /// the limit of open connections is reached.
    fn admit(&mut self, stream: Accepted) {
        self.last_id += 1;
        let permit = match self.permit() {
            Ok(permit) => permit,
            Err(max) => {
                SharedStats::bump(&self.stats.refused);
                let (service, conn, peer) = (self.service(), self.last_id, stream.peer());
                info!(service, conn, %peer, max, "connection refused: server full");
                let codec = self.config.codec.clone();
                self.tasks.spawn(connection::refuse(stream, codec, max));
                return;
            }
        };
        SharedStats::bump(&self.stats.connections);
        let task = ConnectionTask {
            id: self.last_id,
            config: self.config.clone(),
            stats: self.stats.clone(),
            token: self.token.child_token(),
        };
        self.tasks.spawn(async move {
            task.serve(stream).await;
            drop(permit);
        });
    }

    /// A slot for one more connection (`None` without a limit), or the
    /// limit when every slot is taken.
    fn permit(&self) -> Result<Option<OwnedSemaphorePermit>, usize> {
        match &self.limit {
            None => Ok(None),
            Some(limit) => match limit.slots.clone().try_acquire_owned() {
                Ok(permit) => Ok(Some(permit)),
                Err(_) => Err(limit.max),
            },
        }
    }

    /// Lets the open connections finish within the grace period, cuts the
    /// rest, and returns the stats.
    async fn shut_down(mut self) -> ServerStats {
        let service = self.service();
        info!(
            service,
            open = self.tasks.len(),
            grace = ?self.config.grace,
            "shutting down: no new connections; letting open ones finish"
        );
        self.token.cancel();
        let deadline = Instant::now() + self.config.grace;
        loop {
            match tokio::time::timeout_at(deadline, self.tasks.join_next()).await {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => {
                    warn!(
                        service,
                        open = self.tasks.len(),
                        "grace period over: closing the remaining connections"
                    );
                    self.tasks.shutdown().await;
                    break;
                }
            }
        }
        let stats = self.stats.snapshot();
        info!(
            service,
            connections = stats.connections,
            refused = stats.refused,
            frames_in = stats.frames_in,
            frames_out = stats.frames_out,
            "server stopped"
        );
        stats
    }
}
