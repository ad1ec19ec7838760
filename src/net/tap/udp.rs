//! The UDP relay: one upstream socket per client address (a session), every
//! datagram shown with the frames inside it.
//!
//! ```text
//! client A --\                      /-- socket A <--> upstream
//!             >-- listening socket -
//! client B --/   (datagrams in)     \-- socket B <--> upstream
//!            <-- replies sent from the listening socket, to A or B
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::print::{Direction, Place, Printer};
use super::{ReadAnalyser, Tap, TapStats, Totals};
use crate::AnyCodec;
use crate::net::{Datagram, MAX_DATAGRAM_PAYLOAD};

/// Client addresses served at once; datagrams from further addresses are
/// dropped (with a log line) until a session closes.
const MAX_SESSIONS: usize = 4096;

/// One client address and its upstream socket.
struct Session {
    conn: u64,
    opened: Instant,
    upstream: Arc<UdpSocket>,
    c2s: ReadAnalyser<Datagram<AnyCodec>>,
    /// The replies' totals, kept by the reply task.
    s2c: Arc<Mutex<Totals>>,
    /// Milliseconds since `opened` of the last datagram either way.
    last: Arc<std::sync::atomic::AtomicU64>,
    replies: JoinHandle<()>,
}

impl Session {
    fn touch(last: &std::sync::atomic::AtomicU64, opened: Instant) {
        let ms = opened.elapsed().as_millis() as u64;
        last.store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    fn idle_for(&self) -> std::time::Duration {
        let last = self.last.load(std::sync::atomic::Ordering::Relaxed);
        self.opened
            .elapsed()
            .saturating_sub(std::time::Duration::from_millis(last))
    }

    /// Stops the reply task and prints the totals.
    async fn close(self, printer: &Printer, out: &mpsc::Sender<String>, reason: &str) {
        self.replies.abort();
        let _ = self.replies.await;
        let s2c = *self.s2c.lock().unwrap_or_else(|e| e.into_inner());
        let mut text = String::new();
        printer.close(
            &mut text,
            self.conn,
            self.opened.elapsed(),
            reason,
            &self.c2s.totals(),
            &s2c,
        );
        let _ = out.send(text).await;
    }
}

pub(super) async fn run<F: Future<Output = ()>>(
    socket: UdpSocket,
    tap: Tap,
    out: mpsc::Sender<String>,
    shutdown: F,
) -> io::Result<TapStats> {
    let socket = Arc::new(socket);
    let printer = tap.printer(true);
    let mut sessions: HashMap<SocketAddr, Session> = HashMap::new();
    let mut stats = TapStats::default();
    let mut buf = vec![0; MAX_DATAGRAM_PAYLOAD + 1];
    let mut sweep = tokio::time::interval(tap.udp_idle.min(std::time::Duration::from_secs(1)));
    let mut shutdown = std::pin::pin!(shutdown);
    let mut events = Vec::new();
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            received = socket.recv_from(&mut buf) => {
                let (n, client) = match received {
                    Ok(received) => received,
                    Err(e) => {
                        // An ICMP error for an earlier reply, for instance.
                        tracing::debug!("udp receive failed: {e}");
                        continue;
                    }
                };
                if !sessions.contains_key(&client) {
                    if sessions.len() >= MAX_SESSIONS {
                        tracing::warn!("{MAX_SESSIONS} udp sessions open; dropping a datagram from {client}");
                        continue;
                    }
                    stats.connections += 1;
                    match open(stats.connections, client, &socket, &tap, printer, &out).await {
                        Ok(session) => {
                            sessions.insert(client, session);
                        }
                        Err(reason) => {
                            let mut text = String::new();
                            let none = Totals::default();
                            printer.close(&mut text, stats.connections, std::time::Duration::ZERO, &reason, &none, &none);
                            let _ = out.send(text).await;
                            continue;
                        }
                    }
                }
                let Some(session) = sessions.get_mut(&client) else { continue };
                Session::touch(&session.last, session.opened);
                if let Err(e) = session.upstream.send(&buf[..n]).await {
                    tracing::debug!("udp send to the upstream failed: {e}");
                }
                session.c2s.read(&buf[..n], &mut events);
                let place = Place {
                    conn: Some(session.conn),
                    dir: Some(Direction::ClientToServer),
                    t: Some(session.opened.elapsed()),
                };
                let mut text = String::new();
                printer.events(&mut text, &place, &events);
                events.clear();
                if !text.is_empty() {
                    let _ = out.send(text).await;
                }
            }
            _ = sweep.tick() => {
                let idle: Vec<SocketAddr> = sessions
                    .iter()
                    .filter(|(_, s)| s.idle_for() >= tap.udp_idle)
                    .map(|(a, _)| *a)
                    .collect();
                for addr in idle {
                    if let Some(session) = sessions.remove(&addr) {
                        let reason = format!("idle for {:?}", tap.udp_idle);
                        session.close(&printer, &out, &reason).await;
                    }
                }
            }
        }
    }
    for (_, session) in sessions.drain() {
        session.close(&printer, &out, "tap shut down").await;
    }
    Ok(stats)
}

/// A new session for `client`: its own upstream socket and reply task.
async fn open(
    conn: u64,
    client: SocketAddr,
    socket: &Arc<UdpSocket>,
    tap: &Tap,
    printer: Printer,
    out: &mpsc::Sender<String>,
) -> Result<Session, String> {
    let mut text = String::new();
    printer.open(&mut text, conn, client, tap.upstream);
    if !text.is_empty() {
        let _ = out.send(text).await;
    }
    let any: SocketAddr = match tap.upstream {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let upstream = UdpSocket::bind(any)
        .await
        .map_err(|e| format!("cannot open a socket for upstream {}: {e}", tap.upstream))?;
    upstream
        .connect(tap.upstream)
        .await
        .map_err(|e| format!("cannot reach upstream {}: {e}", tap.upstream))?;
    let upstream = Arc::new(upstream);
    let opened = Instant::now();
    let last = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let s2c = Arc::new(Mutex::new(Totals::default()));
    let replies = tokio::spawn(replies(
        conn,
        client,
        opened,
        upstream.clone(),
        socket.clone(),
        Datagram::new(tap.server_codec.clone()),
        printer,
        out.clone(),
        last.clone(),
        s2c.clone(),
    ));
    Ok(Session {
        conn,
        opened,
        upstream,
        c2s: ReadAnalyser::new(Datagram::new(tap.client_codec.clone())),
        s2c,
        last,
        replies,
    })
}

/// Relays the upstream's datagrams back to `client`, showing each one.
#[allow(clippy::too_many_arguments)] // one task's whole context, passed once
async fn replies(
    conn: u64,
    client: SocketAddr,
    opened: Instant,
    upstream: Arc<UdpSocket>,
    socket: Arc<UdpSocket>,
    codec: Datagram<AnyCodec>,
    printer: Printer,
    out: mpsc::Sender<String>,
    last: Arc<std::sync::atomic::AtomicU64>,
    totals: Arc<Mutex<Totals>>,
) {
    let mut analyser = ReadAnalyser::new(codec);
    let mut buf = vec![0; MAX_DATAGRAM_PAYLOAD + 1];
    let mut events = Vec::new();
    loop {
        let n = match upstream.recv(&mut buf).await {
            Ok(n) => n,
            Err(e) => {
                // Connection refused (ICMP port unreachable) after a send to
                // an upstream that is not listening; the next datagram may
                // find it.
                tracing::debug!("udp receive from the upstream failed: {e}");
                tokio::task::yield_now().await;
                continue;
            }
        };
        Session::touch(&last, opened);
        if let Err(e) = socket.send_to(&buf[..n], client).await {
            tracing::debug!("udp send to {client} failed: {e}");
        }
        analyser.read(&buf[..n], &mut events);
        *totals.lock().unwrap_or_else(|e| e.into_inner()) = analyser.totals();
        let place = Place {
            conn: Some(conn),
            dir: Some(Direction::ServerToClient),
            t: Some(opened.elapsed()),
        };
        let mut text = String::new();
        printer.events(&mut text, &place, &events);
        events.clear();
        if !text.is_empty() {
            let _ = out.send(text).await;
        }
    }
}
