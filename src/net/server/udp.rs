//! Serving a UDP socket: each request datagram gets its reply datagram(s).

use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;
use tokio_util::udp::UdpFramed;
use tracing::{debug, warn};

use super::Config;
use super::reply;
use super::stats::{FrameCounts, SharedStats};
use crate::Error;
use crate::net::{Datagram, MAX_DATAGRAM_PAYLOAD};

/// Serves one UDP socket until `token` is cancelled.
pub(super) async fn serve_udp(
    socket: UdpSocket,
    config: Arc<Config>,
    stats: Arc<SharedStats>,
    token: CancellationToken,
) {
    let local = socket.local_addr().ok();
    let service = config.service.name();
    let mut replier = Replier::new(config);
    let mut requests = UdpFramed::new(socket, replier.codec.clone());
    let mut n = FrameCounts::default();
    let mut cancelled = pin!(token.cancelled());
    loop {
        let next = tokio::select! {
            biased;
            () = &mut cancelled => break,
            next = requests.next() => next,
        };
        let (frame, peer) = match next {
            None => break,
            Some(Ok(request)) => request,
            Some(Err(e)) => {
                SharedStats::bump(&stats.bad_datagrams);
                warn!(service, ?local, "dropped a datagram: {e}");
                if let Error::Io(_) = e {
                    // Not the datagram's fault: do not spin on a socket error.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                continue;
            }
        };
        n.frames_in += 1;
        match replier.reply(requests.get_ref(), frame, peer).await {
            Ok(()) => n.frames_out += 1,
            Err(e) => warn!(service, %peer, "cannot send a reply: {e}"),
        }
    }
    stats.add(&n);
    debug!(
        service,
        ?local,
        frames_in = n.frames_in,
        "udp socket closed"
    );
}

/// Answers requests, one reply datagram each.
struct Replier {
    config: Arc<Config>,
    codec: Datagram,
    /// The longest reply frame the codec sends in a datagram.
    max: usize,
    /// The reply datagram, encoded.
    datagram: BytesMut,
}

impl Replier {
    fn new(config: Arc<Config>) -> Self {
        let codec = Datagram::new(config.codec.clone());
        let max = match codec.is_whole() {
            true => config.codec.max_frame_len().min(MAX_DATAGRAM_PAYLOAD),
            false => config.codec.max_frame_len(),
        };
        Replier {
            config,
            codec,
            max,
            datagram: BytesMut::new(),
        }
    }

    /// Sends `peer` the reply to `frame`, or an `error:` datagram in its
    /// place when the codec refuses the reply.
    async fn reply(
        &mut self,
        socket: &UdpSocket,
        frame: Bytes,
        peer: SocketAddr,
    ) -> Result<(), Error> {
        let reply = self.config.service.reply(frame, self.max);
        let service = self.config.service.name();
        let refused = |e: &Error| warn!(service, %peer, "reply refused by the codec: {e}");
        self.datagram.clear();
        reply::encode_reply(&mut self.codec, reply, &mut self.datagram, refused)?;
        socket.send_to(&self.datagram, peer).await?;
        Ok(())
    }
}
