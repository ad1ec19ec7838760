//! UDP: the datagram is the message, for better and worse.
//!
//! Plain blocking `std::net::UdpSocket`s with a read timeout, so every
//! `recv_from` shows exactly what the system call returns.

use std::io;
use std::net::{Ipv4Addr, UdpSocket};

use bytes::Bytes;

use super::tcp::TIMEOUT;
use super::{Datagrams, MESSAGES, Received, UdpReport};
use crate::Error;

/// A receive buffer that holds any of the demonstration's datagrams.
const ROOMY: usize = 1024;

/// A receive buffer smaller than the truncated datagram.
const SMALL: usize = 4;

/// Runs the three UDP demonstrations between two loopback sockets.
pub(super) fn run() -> Result<UdpReport, Error> {
    let receiver = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
    receiver.set_read_timeout(Some(TIMEOUT))?;
    let sender = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
    sender.connect(receiver.local_addr()?)?;

    let exchange = |sent: &[&str], buffers: &[usize]| -> Result<Datagrams, Error> {
        // Everything is sent before the first receive: the datagrams wait in
        // the receiver's queue, as back-to-back TCP writes would.
        for datagram in sent {
            sender.send(datagram.as_bytes())?;
        }
        let mut received = Vec::new();
        for &buffer_len in buffers {
            let mut buf = vec![0; buffer_len];
            let n = match receiver.recv_from(&mut buf) {
                Ok((n, _)) => n,
                // Windows fills the buffer, then reports the truncation as
                // an error (WSAEMSGSIZE); unix returns the truncated length.
                Err(e) if cfg!(windows) && e.raw_os_error() == Some(10040) => buffer_len,
                Err(e) => return Err(timed_out(e, "recv_from").into()),
            };
            received.push(Received {
                buffer_len,
                bytes: Bytes::copy_from_slice(&buf[..n]),
            });
        }
        Ok(Datagrams {
            sent: sent
                .iter()
                .map(|d| Bytes::copy_from_slice(d.as_bytes()))
                .collect(),
            received,
        })
    };

    let boundaries = exchange(&MESSAGES, &[ROOMY; MESSAGES.len()])?;
    let truncation = exchange(&[MESSAGES[2], MESSAGES[3]], &[SMALL, ROOMY])?;
    let empty = exchange(&["", "after"], &[ROOMY, ROOMY])?;
    Ok(UdpReport {
        from: sender.local_addr()?,
        to: receiver.local_addr()?,
        boundaries,
        truncation,
        empty,
    })
}

/// A read timeout shows up as `WouldBlock` on unix: say what it means.
fn timed_out(e: io::Error, what: &str) -> io::Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "{what} received nothing within {} seconds",
                TIMEOUT.as_secs()
            ),
        ),
        _ => e,
    }
}
