//! The cure for sticky and split packets: a length-prefixed echo server and
//! client on tokio-util's `Framed`. Every message crosses TCP as a frame
//! (a 4-byte big-endian length, then the payload), so each one comes back
//! whole, however TCP glued or split the bytes on the way.
//!
//! ```text
//! cargo run --example length_prefixed_echo
//! ```

use std::time::Duration;

use bytes::Bytes;
use framewise::LengthPrefixed;
use futures::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Framed;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[tokio::main]
async fn main() -> Result<()> {
    // Stop after 5 seconds whatever happens: an example must never hang.
    tokio::time::timeout(Duration::from_secs(5), run()).await?
}

async fn run() -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?; // any free port
    let addr = listener.local_addr()?;
    let server = tokio::spawn(serve_one(listener));

    // The client. Same codec on both sides: one configuration encodes and decodes.
    let stream = TcpStream::connect(addr).await?;
    let mut framed = Framed::new(stream, LengthPrefixed::new());
    let messages = ["hello", "james", "how are you?", "bye"];
    for message in messages {
        // `feed` encodes into the write buffer; nothing is sent yet.
        framed.feed(Bytes::from(message)).await?;
    }
    // One write for all four. framewise's encoders take both `Bytes` and
    // `&[u8]`, so a call without an item names the item type (a plain
    // `framed.flush()` does not compile: error E0283).
    SinkExt::<Bytes>::flush(&mut framed).await?;

    for message in messages {
        let reply = framed.next().await.ok_or("the server hung up")??;
        println!("sent {message:?}, got back {reply:?}");
        assert_eq!(reply, message);
    }
    drop(framed); // closes the connection: the server's stream ends
    server.await??;
    Ok(())
}

/// Echoes every frame of one connection back as a frame, then returns.
async fn serve_one(listener: TcpListener) -> Result<()> {
    let (stream, peer) = listener.accept().await?;
    let mut framed = Framed::new(stream, LengthPrefixed::new());
    let mut count = 0;
    while let Some(frame) = framed.next().await {
        // `frame` is one whole message; the bytes were split off the read
        // buffer without copying.
        let frame: Bytes = frame?;
        // `send` = `feed` + flush: one write per reply. A server for
        // pipelined traffic feeds and flushes once no frame is waiting
        // (as `framewise serve echo` does).
        framed.send(frame).await?;
        count += 1;
    }
    println!("server: {peer} closed after {count} frames");
    Ok(())
}
