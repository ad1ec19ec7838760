//! framewise without async: the same codecs over plain `std::net` sockets,
//! with `FrameWriter` (frames out) and `FrameReader` (frames in, as an
//! iterator). A length-prefixed echo server runs on a thread so the example
//! is self-contained; the client would talk the same way to
//! `framewise serve echo --codec length`, or to a Python peer using
//! `struct.pack('!I', len(payload)) + payload`.
//!
//! ```text
//! cargo run --example blocking_client
//! ```

use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use framewise::LengthPrefixed;
use framewise::blocking::{FrameReader, FrameWriter};

fn main() -> Result<(), framewise::Error> {
    let listener = TcpListener::bind("127.0.0.1:0")?; // any free port
    let addr = listener.local_addr()?;
    let server = thread::spawn(move || serve_one(listener));

    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?; // never hang
    // One socket, two handles: the reader and the writer each own one.
    let mut writer = FrameWriter::new(stream.try_clone()?, LengthPrefixed::new());
    let mut reader = FrameReader::new(stream.try_clone()?, LengthPrefixed::new());

    let messages = ["hello", "james", "how are you?", "bye"];
    for message in messages {
        writer.feed(message.as_bytes())?; // buffered
    }
    writer.flush()?; // one write for all four frames

    for message in messages {
        let reply = reader.read_frame()?.expect("the server hung up early");
        println!("sent {message:?}, got back {reply:?}");
        assert_eq!(reply, message);
    }
    stream.shutdown(Shutdown::Write)?; // the server's reader ends after this
    server.join().expect("the server thread panicked")?;
    Ok(())
}

/// Echoes every frame of one connection, then returns.
fn serve_one(listener: TcpListener) -> Result<(), framewise::Error> {
    let (stream, peer) = listener.accept()?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let reader = FrameReader::new(stream.try_clone()?, LengthPrefixed::new());
    let mut writer = FrameWriter::new(stream, LengthPrefixed::new());
    let mut count = 0;
    // The iterator yields each whole frame, and ends at the end of stream.
    for frame in reader {
        writer.send(frame?)?; // encode, write, flush
        count += 1;
    }
    println!("server: {peer} closed after {count} frames");
    Ok(())
}
