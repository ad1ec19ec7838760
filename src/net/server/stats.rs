//! What a server counts: totals shared by its tasks, and the frame counts
//! each connection keeps to itself until it closes.

use std::sync::atomic::{AtomicU64, Ordering};

/// What a server did, returned by [`Server::run`](super::Server::run).
///
/// # Examples
///
/// ```
/// let stats = framewise::net::ServerStats::default();
/// assert_eq!(stats.connections, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerStats {
    /// Stream connections served (TCP and Unix), not counting refused ones.
    pub connections: u64,
    /// Stream connections refused because `max_conns` were open.
    pub refused: u64,
    /// Frames received, over all connections and datagrams.
    pub frames_in: u64,
    /// Frames sent (greetings, replies and `error:` frames).
    pub frames_out: u64,
    /// UDP datagrams dropped because they did not decode.
    pub bad_datagrams: u64,
}

/// The server's running totals, shared by the accept loop and every
/// connection and UDP task; [`snapshot`](Self::snapshot) makes them a
/// [`ServerStats`].
#[derive(Debug, Default)]
pub(super) struct SharedStats {
    pub(super) connections: AtomicU64,
    pub(super) refused: AtomicU64,
    frames_in: AtomicU64,
    frames_out: AtomicU64,
    pub(super) bad_datagrams: AtomicU64,
}

impl SharedStats {
    /// Adds what one connection or socket did, once, when it closes (so the
    /// tasks do not contend on the totals for every frame).
    pub(super) fn add(&self, n: &FrameCounts) {
        self.frames_in.fetch_add(n.frames_in, Ordering::Relaxed);
        self.frames_out.fetch_add(n.frames_out, Ordering::Relaxed);
    }

    /// Counts one more of `counter` (`connections`, `refused`, ...).
    pub(super) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn snapshot(&self) -> ServerStats {
        ServerStats {
            connections: self.connections.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            frames_in: self.frames_in.load(Ordering::Relaxed),
            frames_out: self.frames_out.load(Ordering::Relaxed),
            bad_datagrams: self.bad_datagrams.load(Ordering::Relaxed),
        }
    }
}

/// Frames received and sent by one connection or UDP socket, kept locally
/// and added to the [`SharedStats`] once, when it closes.
#[derive(Debug, Default)]
pub(super) struct FrameCounts {
    pub(super) frames_in: u64,
    pub(super) frames_out: u64,
}
