//! Serving a UDP socket: each request datagram gets its reply datagram(s).

use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
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
    let mut codec = Datagram::new(config.codec.clone());
    let max = match codec.is_whole() {
        true => config.codec.max_frame_len().min(MAX_DATAGRAM_PAYLOAD),
        false => config.codec.max_frame_len(),
    };
    let mut requests = UdpFramed::new(socket, codec.clone());
    let mut datagram = BytesMut::new();
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
        let reply = config.service.reply(frame, max);
        datagram.clear();
        let refused =
            |refusal: &Error| warn!(service, %peer, "reply refused by the codec: {refusal}");
        let sent = match reply::encode_reply(&mut codec, reply, &mut datagram, refused) {
            Ok(()) => requests
                .get_ref()
                .send_to(&datagram, peer)
                .await
                .map_err(Error::Io),
            Err(e) => Err(e),
        };
        match sent {
            Ok(_) => n.frames_out += 1,
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
