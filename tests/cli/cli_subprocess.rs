//! The real `framewise` binary as a subprocess, talked to with plain
//! `std::net` sockets the way a tutorial client would, and stopped with
//! SIGTERM or SIGINT (sent with the `kill` command): it must exit 0.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::support::tap::{BIN, Proc, STEP, run_to_end, wait_bounded};

/// A running `framewise serve` (a [`Proc`]) and the "listening on ..."
/// lines it printed, as (transport, address).
struct Serve {
    proc: Proc,
    endpoints: Vec<(String, String)>,
}

impl Serve {
    /// Starts `framewise args...` and waits for `endpoints` "listening on"
    /// lines.
    fn start(args: &[&str], endpoints: usize) -> Serve {
        let mut proc = Proc::start(args);
        let mut lines = vec![proc.first.clone()];
        while lines.len() < endpoints {
            proc.wait_for("listening on ", &mut lines);
        }
        let endpoints = lines
            .iter()
            .map(|line| {
                let rest = line.strip_prefix("listening on ").expect(line);
                let mut words = rest.split_whitespace();
                let transport = words.next().unwrap().to_string();
                (transport, words.next().unwrap().to_string())
            })
            .collect();
        Serve { proc, endpoints }
    }

    fn addr(&self, i: usize) -> SocketAddr {
        self.endpoints[i].1.parse().unwrap()
    }

    /// Sends `signal` with the `kill` command and returns the exit status
    /// and everything the server logged.
    fn stop(self, signal: &str) -> (ExitStatus, String) {
        let (status, _, logs) = self.proc.stop(signal);
        (status, logs)
    }
}

/// Runs `framewise args...` to completion (bounded), feeding it `stdin`.
fn run(args: &[&str], stdin: &[u8]) -> Output {
    run_to_end(Command::new(BIN).args(args), stdin)
}

fn tcp(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(STEP)).unwrap();
    s
}

fn read_exact(s: &mut impl Read, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    s.read_exact(&mut buf).unwrap();
    buf
}

/// `struct.pack('!I', len(payload)) + payload`
fn pack(payload: &[u8]) -> Vec<u8> {
    let mut frame = (payload.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(payload);
    frame
}

/// Reads one `!I`-prefixed frame.
fn unpack(s: &mut impl Read) -> Vec<u8> {
    let header: [u8; 4] = read_exact(s, 4).try_into().unwrap();
    read_exact(s, u32::from_be_bytes(header) as usize)
}

#[test]
fn cli_serve_echo_lines_over_std_tcp_then_sigterm() {
    let serve = Serve::start(
        &[
            "serve",
            "echo",
            "--listen",
            "127.0.0.1:0",
            "--greeting",
            "welcome",
            "--quit",
            "bye",
        ],
        1,
    );
    assert_eq!(serve.endpoints[0].0, "tcp");
    let mut c = tcp(serve.addr(0));
    assert_eq!(read_exact(&mut c, 8), b"welcome\n");
    // One line split over two writes, then two lines in one write.
    c.write_all(b"hello\nwor").unwrap();
    thread::sleep(Duration::from_millis(20));
    c.write_all(b"ld\n").unwrap();
    assert_eq!(read_exact(&mut c, 12), b"hello\nworld\n");
    c.write_all(b"bye\n").unwrap();
    let mut rest = Vec::new();
    c.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, b"", "the quit word closes the connection");
    drop(c);

    let (status, logs) = serve.stop("TERM");
    assert_eq!(status.code(), Some(0), "{logs}");
    assert!(logs.contains("connection opened"), "{logs}");
    assert!(
        logs.contains("connection closed: quit word received"),
        "{logs}"
    );
    assert!(logs.contains("frames_in=3 frames_out=3"), "{logs}");
    assert!(logs.contains("received SIGTERM, shutting down"), "{logs}");
}

#[test]
fn cli_serve_echo_length_prefix_struct_pack_then_sigint() {
    let serve = Serve::start(
        &[
            "serve",
            "echo",
            "--codec",
            "length",
            "--listen",
            "127.0.0.1:0",
        ],
        1,
    );
    let mut c = tcp(serve.addr(0));
    // Two frames glued in one write (sticky packets)...
    let mut glued = pack(b"first");
    glued.extend(pack(b"second"));
    c.write_all(&glued).unwrap();
    assert_eq!(unpack(&mut c), b"first");
    assert_eq!(unpack(&mut c), b"second");
    // ...and one frame in three writes, the header itself split.
    let big: Vec<u8> = (0..3000u32).map(|i| (i % 256) as u8).collect();
    let frame = pack(&big);
    for piece in [&frame[..2], &frame[2..1000], &frame[1000..]] {
        c.write_all(piece).unwrap();
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(unpack(&mut c), big);
    drop(c);
    let (status, logs) = serve.stop("INT");
    assert_eq!(status.code(), Some(0), "{logs}");
    assert!(logs.contains("received SIGINT"), "{logs}");
}

#[test]
fn cli_serve_time_over_std_udp() {
    let serve = Serve::start(&["serve", "time", "--udp", "--listen", "127.0.0.1:0"], 1);
    assert_eq!(serve.endpoints[0].0, "udp");
    let c = UdpSocket::bind("127.0.0.1:0").unwrap();
    c.set_read_timeout(Some(STEP)).unwrap();
    c.connect(serve.addr(0)).unwrap();
    let mut buf = [0; 1000];
    c.send(b"").unwrap(); // the default format
    let n = c.recv(&mut buf).unwrap();
    let reply = std::str::from_utf8(&buf[..n]).unwrap();
    jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", reply).unwrap();
    c.send(b"%Y").unwrap();
    let n = c.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], jiff::Zoned::now().year().to_string().as_bytes());
    c.send(b"%K").unwrap();
    let n = c.recv(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"error: "), "{:?}", &buf[..n]);
    let (status, logs) = serve.stop("TERM");
    assert_eq!(status.code(), Some(0), "{logs}");
}

#[test]
fn cli_serve_unix_socket_and_ipv6() {
    let path = std::env::temp_dir().join(format!("framewise-cli-{}.sock", std::process::id()));
    let path_arg = path.to_str().unwrap();
    let v6 = std::net::TcpListener::bind("[::1]:0").is_ok();
    let mut args = vec!["serve", "echo", "--unix", path_arg];
    if v6 {
        args.extend(["--listen", "[::1]:0"]);
    }
    let serve = Serve::start(&args, if v6 { 2 } else { 1 });
    if v6 {
        assert_eq!(serve.endpoints[0].0, "tcp");
        let mut c = tcp(serve.addr(0));
        c.write_all(b"six\n").unwrap();
        assert_eq!(read_exact(&mut c, 4), b"six\n");
    }
    let (transport, p) = serve.endpoints.last().unwrap();
    assert_eq!((transport.as_str(), p.as_str()), ("unix", path_arg));
    let mut c = std::os::unix::net::UnixStream::connect(&path).unwrap();
    c.set_read_timeout(Some(STEP)).unwrap();
    c.write_all(b"local\n").unwrap();
    assert_eq!(read_exact(&mut c, 6), b"local\n");
    drop(c);
    let (status, logs) = serve.stop("TERM");
    assert_eq!(status.code(), Some(0), "{logs}");
    assert!(!path.exists(), "socket file removed at exit");
}

#[test]
fn cli_send_messages_and_stdin_lines() {
    let serve = Serve::start(&["serve", "echo", "--listen", "127.0.0.1:0"], 1);
    let addr = serve.endpoints[0].1.clone();
    let out = run(&["send", "--connect", &addr, "one", "two words"], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"one\ntwo words\n");
    let out = run(&["send", "--connect", &addr], b"from\r\nstdin\nno newline");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"from\nstdin\nno newline\n");

    let time = Serve::start(&["serve", "time", "--udp", "--listen", "127.0.0.1:0"], 1);
    let taddr = time.endpoints[0].1.clone();
    let out = run(&["send", "--udp", "--connect", &taddr, "%%", "%Y"], b"");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let year = jiff::Zoned::now().year();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("%\n{year}\n")
    );
    assert_eq!(serve.stop("TERM").0.code(), Some(0));
    assert_eq!(time.stop("TERM").0.code(), Some(0));
}

/// stderr as one line, checking it is exactly one.
fn one_line(stderr: &[u8]) -> String {
    let text = String::from_utf8(stderr.to_vec()).unwrap();
    assert_eq!(text.lines().count(), 1, "{text:?}");
    text.trim_end().to_string()
}

#[test]
fn cli_send_failures_exit_non_zero_with_one_line() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap().to_string();
    drop(closed);
    let out = run(&["send", "--connect", &addr, "x"], b"");
    assert_eq!(out.status.code(), Some(1));
    let line = one_line(&out.stderr);
    assert!(
        line.starts_with(&format!("framewise: error: cannot connect to tcp {addr}: ")),
        "{line}"
    );
    assert!(line.contains("refused"), "{line}");

    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    let out = run(
        &["send", "--udp", "--timeout", "0.3", "--connect", &addr, "x"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        one_line(&out.stderr),
        format!(
            "framewise: error: timed out after 0.3 s waiting for udp {addr} \
             (1 messages sent, 0 replies received)"
        )
    );

    let out = run(&["send", "--codec", "length:u12", "x"], b"");
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let text = String::from_utf8(out.stderr).unwrap();
    assert!(text.contains("expected one of: lines"), "{text}");
}

#[test]
fn cli_serve_fails_cleanly_when_the_port_is_taken() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run(&["serve", "echo", "--listen", &addr], b"");
    assert_eq!(out.status.code(), Some(1));
    let stderr = out.stderr;
    let line = one_line(&stderr);
    assert!(
        line.starts_with(&format!("framewise: error: cannot listen on tcp {addr}: ")),
        "{line}"
    );
    drop(taken);
}

#[test]
fn cli_chat_with_a_std_udp_peer() {
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(STEP)).unwrap();
    let peer_addr = peer.local_addr().unwrap().to_string();
    let mut child = Command::new(BIN)
        .args(["chat", "--bind", "127.0.0.1:0", "--peer", &peer_addr])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut keyboard = child.stdin.take().unwrap();
    let mut screen = BufReader::new(child.stdout.take().unwrap());
    keyboard.write_all(b"hi there\n").unwrap();
    keyboard.flush().unwrap();
    let mut buf = [0; 100];
    let (n, chat_addr) = peer.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hi there");
    peer.send_to(b"hello back", chat_addr).unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut line = String::new();
        screen.read_line(&mut line).unwrap();
        tx.send(line).unwrap();
    });
    assert_eq!(rx.recv_timeout(STEP).unwrap(), "hello back\n");
    drop(keyboard); // end of input ends the chat
    let status = wait_bounded(&mut child);
    assert_eq!(status.code(), Some(0));
}

#[test]
fn cli_help_shows_an_example_everywhere() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["serve", "echo", "--help"],
        &["serve", "time", "--help"],
        &["send", "--help"],
        &["chat", "--help"],
    ] {
        let out = run(args, b"");
        assert!(out.status.success(), "{args:?}");
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(help.contains("Examples"), "no example in {args:?}:\n{help}");
        assert!(
            help.contains("framewise "),
            "no command line in {args:?}:\n{help}"
        );
    }
    let out = run(&["serve", "echo", "--help"], b"");
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(
        help.contains("refused"),
        "--max-conns says what happens:\n{help}"
    );
}

/// Every framing added with SLIP, byte stuffing, ASCII lengths, Varint4
/// and CRC trailers, as `--codec` takes it.
const NEW_FRAMINGS: [&str; 14] = [
    "slip",
    "slip:lead",
    "hdlc",
    "dle",
    "netstring",
    "octets",
    "hexlen:4",
    "hexlen:2:upper",
    "length:varint4",
    "cobs,crc=crc16-xmodem",
    "length:u16,crc=crc32",
    "slip,crc=crc16-modbus",
    "hdlc,crc=crc16-ibm-sdlc",
    "netstring,crc=crc8",
];

/// `payloads` framed by `codec`, back to back.
fn frames_of(codec: &framewise::AnyCodec, payloads: &[&[u8]]) -> Vec<u8> {
    use framewise::Encode;
    let mut wire = Vec::new();
    for p in payloads {
        let len = codec.encoded_len(p).unwrap();
        codec.write_frame(p, len, &mut wire);
    }
    wire
}

#[test]
fn cli_every_new_framing_end_to_end_over_loopback() {
    let payloads: [&[u8]; 3] = [
        b"hello",
        b"\xc0\xdb\x7e\x7d\x10\x02\x10\x03\x00:, the bytes framings escape",
        b"bye",
    ];
    for spec in NEW_FRAMINGS {
        let serve = Serve::start(
            &["serve", "echo", "--codec", spec, "--listen", "127.0.0.1:0"],
            1,
        );
        let addr = serve.endpoints[0].1.clone();

        // A plain std client: the frames in one write, the same bytes back.
        let codec: framewise::AnyCodec = spec.parse().unwrap();
        let wire = frames_of(&codec, &payloads);
        let mut s = tcp(serve.addr(0));
        s.write_all(&wire).unwrap();
        assert_eq!(read_exact(&mut s, wire.len()), wire, "{spec}");
        drop(s);

        // framewise send, then framewise bench.
        let out = run(
            &[
                "send",
                "--codec",
                spec,
                "--connect",
                &addr,
                "hello",
                "two words",
            ],
            b"",
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{spec}: {err}");
        assert_eq!(out.stdout, b"hello\ntwo words\n", "{spec}");
        let out = run(
            &[
                "bench",
                "--codec",
                spec,
                "--connect",
                &addr,
                "--conns",
                "2",
                "--frames",
                "50",
                "--size",
                "16",
                "--pipeline",
                "4",
            ],
            b"",
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{spec}: {text}{err}");
        assert!(text.contains(&format!("codec {spec}")), "{spec}: {text}");

        let (status, logs) = serve.stop("TERM");
        assert_eq!(status.code(), Some(0), "{spec}: {logs}");
        assert!(logs.contains("frames_in=3"), "{spec}: {logs}");
    }
}

#[test]
fn cli_new_framings_refuse_what_they_cannot_carry() {
    // SLIP cannot carry an empty payload: `send` says so and exits 1,
    // before sending anything.
    let serve = Serve::start(
        &[
            "serve",
            "echo",
            "--codec",
            "slip",
            "--listen",
            "127.0.0.1:0",
        ],
        1,
    );
    let addr = serve.endpoints[0].1.clone();
    let out = run(
        &["send", "--codec", "slip", "--connect", &addr, "a", ""],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        one_line(&out.stderr),
        "framewise: error: cannot send message 2: cannot encode frame: an empty frame cannot be sent: the decoder skips empty frames between flags"
    );
    assert_eq!(serve.stop("TERM").0.code(), Some(0));

    // A frame whose checksum does not match: the echo server answers with an
    // `error:` frame, in the same framing, and closes.
    let spec = "slip,crc=crc16-modbus";
    let serve = Serve::start(
        &["serve", "echo", "--codec", spec, "--listen", "127.0.0.1:0"],
        1,
    );
    let mut codec: framewise::AnyCodec = spec.parse().unwrap();
    let mut bad = frames_of(&codec, &[b"hello"]);
    bad[0] ^= 0x20;
    let mut s = tcp(serve.addr(0));
    s.write_all(&bad).unwrap();
    let mut reply = Vec::new();
    s.read_to_end(&mut reply).unwrap();
    let mut reply = bytes::BytesMut::from(&reply[..]);
    let frame = tokio_util::codec::Decoder::decode(&mut codec, &mut reply)
        .unwrap()
        .unwrap();
    let text = String::from_utf8(frame.to_vec()).unwrap();
    assert!(
        text.starts_with("error: checksum mismatch: the data gives 0x"),
        "{text}"
    );
    assert!(reply.is_empty());
    assert_eq!(serve.stop("TERM").0.code(), Some(0));

    // The time server's replies through a framing that refuses nothing it
    // can be asked for (octet counting: an empty format is the default one).
    let serve = Serve::start(
        &[
            "serve",
            "time",
            "--codec",
            "octets",
            "--listen",
            "127.0.0.1:0",
        ],
        1,
    );
    let addr = serve.endpoints[0].1.clone();
    let out = run(
        &["send", "--codec", "octets", "--connect", &addr, "%Y"],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let year = jiff::Zoned::now().year();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{year}\n"));
    assert_eq!(serve.stop("TERM").0.code(), Some(0));
}

/// The Python netstring client of README.md, extracted from it so the two
/// cannot drift, run against the real `framewise serve echo --codec
/// netstring`. Skipped, saying so, where `python3` is not installed.
#[test]
fn cli_readme_python_netstring_client() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("```python\n")
        .expect("README.md has a python block")
        + "```python\n".len();
    let end = start + readme[start..].find("```").expect("the python block ends");
    let snippet = &readme[start..end];
    assert!(snippet.contains("recv_netstring"), "{snippet}");

    let Ok(version) = Command::new("python3").arg("--version").output() else {
        println!("skipped: python3 is not installed");
        return;
    };
    if !version.status.success() {
        println!("skipped: python3 --version failed");
        return;
    }

    let serve = Serve::start(
        &[
            "serve",
            "echo",
            "--codec",
            "netstring",
            "--listen",
            "127.0.0.1:0",
        ],
        1,
    );
    let out = run_to_end(
        Command::new("python3")
            .args(["-c", snippet])
            .env("PORT", serve.addr(0).port().to_string()),
        b"",
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout, "hello\n\ncommas, colons: anything\n");
    let (status, logs) = serve.stop("TERM");
    assert_eq!(status.code(), Some(0));
    assert!(logs.contains("frames_in=3 frames_out=3"), "{logs}");
}
