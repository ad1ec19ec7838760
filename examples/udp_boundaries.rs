//! UDP keeps message boundaries: one `send`, one datagram, one `recv_from`.
//! Two things to know: a buffer smaller than the datagram cuts it, and the
//! rest is gone; and an empty datagram is still a message.
//!
//! ```text
//! cargo run --example udp_boundaries
//! ```
//!
//! With tokio, `UdpFramed` and `framewise::net::Datagram` deliver each
//! datagram as one frame, the empty one included.

use std::net::UdpSocket;
use std::time::Duration;

fn main() -> std::io::Result<()> {
    let receiver = UdpSocket::bind("127.0.0.1:0")?; // any free port
    receiver.set_read_timeout(Some(Duration::from_secs(5)))?; // never hang
    let sender = UdpSocket::bind("127.0.0.1:0")?;
    sender.connect(receiver.local_addr()?)?;
    // Room for the largest UDP payload (65,507 bytes over IPv4).
    let mut buf = vec![0; 65_536];

    // 1. Four sends back to back; each recv_from returns exactly one of them,
    //    where TCP's reads would have glued them together.
    let messages = ["hello", "james", "how are you?", "bye"];
    for message in messages {
        sender.send(message.as_bytes())?;
    }
    for _ in messages {
        let (n, from) = receiver.recv_from(&mut buf)?;
        println!("{from} sent {:?}", String::from_utf8_lossy(&buf[..n]));
    }

    // 2. A 4-byte buffer for a 12-byte datagram: recv_from returns the first
    //    4 bytes, and the other 8 are discarded (TCP would keep them for the
    //    next read). The next recv_from gets the next datagram. On Windows the
    //    cut is reported as an error (WSAEMSGSIZE) instead.
    sender.send(b"how are you?")?;
    sender.send(b"bye")?;
    let mut small = [0; 4];
    let (n, _) = receiver.recv_from(&mut small)?;
    println!(
        "a 4-byte buffer got {:?}; the rest is gone",
        String::from_utf8_lossy(&small[..n])
    );
    let (n, _) = receiver.recv_from(&mut buf)?;
    println!(
        "the next recv_from got {:?}",
        String::from_utf8_lossy(&buf[..n])
    );

    // 3. An empty datagram arrives as a 0-byte message (on TCP, a 0-byte read
    //    means the peer closed the connection).
    sender.send(b"")?;
    let (n, from) = receiver.recv_from(&mut buf)?;
    println!("{from} sent an empty datagram: {n} bytes");
    Ok(())
}
