//! The sticky-packet problem (粘包), on a real TCP connection: four messages
//! written one `write` each come out of the other end glued together.
//!
//! ```text
//! cargo run --example sticky_tcp
//! ```
//!
//! The cure is a framing codec: see `length_prefixed_echo.rs`.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?; // port 0: any free port
    let addr = listener.local_addr()?;

    // The client, as in every socket tutorial: one write per message.
    let client = thread::spawn(move || -> std::io::Result<()> {
        let mut stream = TcpStream::connect(addr)?;
        for message in ["hello", "james", "how are you?", "bye"] {
            stream.write_all(message.as_bytes())?;
        }
        stream.shutdown(Shutdown::Write) // the server's read returns 0 after the last byte
    });

    let (mut conn, _) = listener.accept()?;
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    client.join().expect("the client thread panicked")?;
    // A busy server gets to the socket a moment later; by then all has arrived.
    thread::sleep(Duration::from_millis(50));

    let mut buf = [0; 1024];
    let mut reads = 0;
    loop {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            break; // end of stream
        }
        reads += 1;
        println!("read {reads}: {:?}", String::from_utf8_lossy(&buf[..n]));
    }
    // Typically: read 1: "hellojameshow are you?bye". Where did "hello" end?
    println!("4 messages written, {reads} read(s): TCP carries bytes, not messages");
    Ok(())
}
