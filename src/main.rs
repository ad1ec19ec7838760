//! The `framewise` command-line tool: a thin layer over `framewise::net`.
//!
//! Each subcommand is one variant of [`Command`] with its own argument struct
//! and `run` function; adding one means adding a variant, a struct and a
//! match arm in [`main`].

use std::io::Write as _;
use std::net::SocketAddr;
#[cfg(unix)]
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use clap::{Args, Parser, Subcommand};
use framewise::AnyCodec;
use framewise::net::{
    self, DEFAULT_ECHO_PORT, DEFAULT_TIME_PORT, EchoServer, Endpoint, Server, TimeServer,
};
use futures::StreamExt;
use tokio_util::codec::FramedRead;

const MAIN_EXAMPLES: &str = "\
Examples:
  framewise demo                                # see sticky and split packets, and the cures
  framewise serve echo                          # echo lines on 127.0.0.1:7007
  framewise send hello world                    # talk to it
  framewise bench --conns 16 --pipeline 32      # load-test it: msgs/s, latency, every reply checked
  framewise serve time --udp                    # time over UDP on 127.0.0.1:7037
  framewise send --udp --connect 127.0.0.1:7037 '%H:%M:%S'
  framewise chat --bind 127.0.0.1:9000 --peer 127.0.0.1:9001
  framewise tap --listen 127.0.0.1:9000 --upstream 127.0.0.1:7007 --codec length
  framewise decode --codec length capture.bin --reads 1000

Logs go to stderr; set RUST_LOG (e.g. RUST_LOG=debug) to change how much.";

/// Framing codecs for byte streams, and the classic socket-tutorial programs
/// built on them.
#[derive(Debug, Parser)]
#[command(name = "framewise", version, after_help = MAIN_EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show the sticky- and split-packet problem and its cures, on 127.0.0.1
    /// (no server to start).
    #[command(after_help = DEMO_EXAMPLES)]
    Demo(DemoArgs),
    /// Run a server (echo or time) until Ctrl-C or SIGTERM.
    #[command(subcommand)]
    Serve(Serve),
    /// Send messages as frames and print each reply frame.
    #[command(after_help = SEND_EXAMPLES)]
    Send(SendArgs),
    /// Two-way chat over UDP: lines typed go to the peer, datagrams received
    /// are printed.
    #[command(after_help = CHAT_EXAMPLES)]
    Chat(ChatArgs),
    /// Load-test an echo server: many connections, pipelined frames, every
    /// reply checked; reports msgs/s, MB/s and round-trip latency.
    #[command(after_help = BENCH_EXAMPLES)]
    Bench(BenchArgs),
    /// A proxy that shows the frames of the traffic it forwards: what each
    /// read held, each frame, each decoding error.
    #[command(after_help = TAP_EXAMPLES)]
    Tap(Box<TapArgs>),
    /// Decode a captured byte stream (a file or stdin) and show its frames
    /// and errors as the tap does.
    #[command(after_help = DECODE_EXAMPLES)]
    Decode(DecodeArgs),
}

#[derive(Debug, Subcommand)]
#[command(after_help = "\
Examples:
  framewise serve echo --codec length
  framewise serve time --udp")]
enum Serve {
    /// Echo every frame back as a frame of the same codec.
    #[command(after_help = ECHO_EXAMPLES)]
    Echo(EchoArgs),
    /// Reply to each frame (a strftime format) with the local time in it.
    #[command(after_help = TIME_EXAMPLES)]
    Time(TimeArgs),
}

const DEMO_EXAMPLES: &str = "\
Examples:
  framewise demo                    # everything: sticky, split, codecs, udp
  framewise demo sticky
  framewise demo codecs --codec length:varint
  framewise demo --no-color | less

Colour only when stdout is a terminal and NO_COLOR is not set.";

#[derive(Debug, Args)]
struct DemoArgs {
    /// Which demonstration.
    #[arg(
        value_name = "WHICH",
        default_value = "all",
        value_parser = clap::builder::TypedValueParser::map(
            clap::builder::PossibleValuesParser::new(framewise::demo::Which::NAMES),
            |name| name.parse::<framewise::demo::Which>().expect("a listed name"),
        ),
    )]
    which: framewise::demo::Which,
    /// Show the codecs demonstration with this one codec (any SPEC, as for
    /// `framewise serve echo --codec`). Default: length, lines, fixed:12, cobs.
    #[arg(long, value_name = "SPEC")]
    codec: Option<AnyCodec>,
    /// No colour.
    #[arg(long)]
    no_color: bool,
}

const ECHO_EXAMPLES: &str = "\
Examples:
  framewise serve echo
  framewise serve echo --listen 127.0.0.1:7007 --listen [::1]:7007 --greeting welcome --quit exit
  framewise serve echo --codec 'length:u16le' --max-conns 100 --idle-timeout 30
  framewise serve echo --udp --codec raw

Talk to it:
  framewise send hello world
  printf 'hello\\nworld\\n' | nc 127.0.0.1 7007";

const TIME_EXAMPLES: &str = "\
Each request frame is a strftime format (an empty one means '%Y-%m-%d %X');
a format that is not UTF-8 or not valid gets a reply starting with 'error:'.

Examples:
  framewise serve time
  framewise serve time --udp
  framewise send --connect 127.0.0.1:7037 '%H:%M:%S' ''
  framewise send --udp --connect 127.0.0.1:7037 '%A %d %B %Y'";

const SEND_EXAMPLES: &str = "\
Examples:
  framewise send hello world                     # to the echo server on 127.0.0.1:7007
  printf 'a\\nb\\n' | framewise send              # each line of stdin is a message
  framewise send --codec length --connect [::1]:7007 hello
  framewise send --udp --connect 127.0.0.1:7037 '%H:%M'

Exits 0 when the server has closed the connection (TCP, Unix) or every message
got its reply (UDP); otherwise non-zero, with one line saying what happened.";

const CHAT_EXAMPLES: &str = "\
Examples (two terminals):
  framewise chat --bind 127.0.0.1:9000 --peer 127.0.0.1:9001
  framewise tap --listen 127.0.0.1:9000 --upstream 127.0.0.1:7007 --codec length
  framewise decode --codec length capture.bin --reads 1000
  framewise chat --bind 127.0.0.1:9001 --peer 127.0.0.1:9000

Ctrl-D (end of input) or Ctrl-C ends the chat.";

const BENCH_EXAMPLES: &str = "\
Examples:
  framewise serve echo --codec length &         # a server to measure (or your own)
  framewise bench --codec length --conns 16 --frames 10000 --size 64 --pipeline 32
  framewise bench --unix /tmp/echo.sock --codec lines
  framewise bench --udp --connect 127.0.0.1:7007 --pipeline 8

Each connection sends --frames frames and checks every reply against what it
sent. A progress bar is drawn on stderr when it is a terminal; the report goes
to stdout. Exits non-zero if a reply did not match, a connection failed, a
frame went unanswered over TCP or a Unix socket (over UDP lost datagrams are
only counted), or --timeout passed.";

const TAP_EXAMPLES: &str = "\
Examples:
  framewise serve echo --codec length &                 # a server (or your own)
  framewise tap --listen 127.0.0.1:9000 --upstream 127.0.0.1:7007 --codec length
  framewise send --codec length --connect 127.0.0.1:9000 hello world
  framewise tap --client-codec 'delim:\\r\\n' --server-codec length:u16 --upstream 10.0.0.5:6000
  framewise tap --json --upstream 127.0.0.1:7007 | jq 'select(.event == \"error\")'
  framewise tap --udp --listen 127.0.0.1:9037 --upstream 127.0.0.1:7037

Bytes are forwarded unchanged both ways (a half-close is passed on, a reset
closes both sides); decoding only watches. Each read prints what it held
(\"2 whole frames (1-2) + the first 7 bytes of frame 3\"), then each frame with
a hex and text preview, or its decoding error. --json prints one object per
event (schema in the README and in the docs of framewise::net::tap); --quiet
prints only each connection's totals. Colour only when stdout is a terminal
and NO_COLOR is not set. Ctrl-C or SIGTERM closes the connections and exits 0.";

const DECODE_EXAMPLES: &str = "\
Examples:
  framewise decode --codec length capture.bin
  framewise decode --codec lines --reads 5 - < chat.log      # replayed 5 bytes per read
  echo '00 00 00 02 68 69 00 00 00' | framewise decode --codec length --hex
  framewise decode --codec cobs --json dump.bin | jq .

Exits 1 when the stream had a decoding error or ended inside a frame (or the
input cannot be read), 0 otherwise.";

#[derive(Debug, Args)]
struct ShowArgs {
    /// One JSON object per event, for jq and scripts
    ///
    /// The schema is in the README (\"framewise tap\") and in the docs of
    /// framewise::net::tap.
    #[arg(long)]
    json: bool,
    /// Show the first N payload bytes of each frame, in hex and as text
    #[arg(long, value_name = "N", default_value_t = framewise::net::tap::DEFAULT_PREVIEW)]
    preview: usize,
    /// No colour
    #[arg(long)]
    no_color: bool,
}

impl ShowArgs {
    fn format(&self, quiet: bool) -> framewise::net::tap::Format {
        use framewise::net::tap::Format;
        use std::io::IsTerminal as _;
        if quiet {
            Format::Quiet
        } else if self.json {
            Format::Json
        } else {
            Format::Human {
                color: !self.no_color
                    && framewise::demo::use_color(std::io::stdout().is_terminal()),
            }
        }
    }
}

#[derive(Debug, Args)]
struct TapArgs {
    /// Address to listen on (port 0 picks a free port); printed as the first
    /// line, "listening on tcp ADDR ..."
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// The server to forward to
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7007")]
    upstream: SocketAddr,
    /// Relay UDP datagrams instead: one upstream socket per client address
    #[arg(long)]
    udp: bool,
    /// The framing of both directions [default: lines; raw with --udp]
    ///
    /// The same specs as the servers take; see `framewise serve echo --help`.
    #[arg(long, value_name = "SPEC")]
    codec: Option<AnyCodec>,
    /// The framing of what clients send, if it differs from --codec
    #[arg(long, value_name = "SPEC")]
    client_codec: Option<AnyCodec>,
    /// The framing of what the server sends back, if it differs from --codec
    #[arg(long, value_name = "SPEC")]
    server_codec: Option<AnyCodec>,
    /// Print only the totals of each connection
    #[arg(long, conflicts_with = "json")]
    quiet: bool,
    /// With --udp, close a client's session after SECS seconds without a
    /// datagram either way
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_secs)]
    udp_idle: Duration,
    #[command(flatten)]
    show: ShowArgs,
}

#[derive(Debug, Args)]
struct DecodeArgs {
    /// The framing of the stream
    ///
    /// The same specs as the servers take; see `framewise serve echo --help`.
    #[arg(long, value_name = "SPEC")]
    codec: AnyCodec,
    /// The input is hex text (pairs of hex digits; whitespace, ':', ',', '-'
    /// and 0x prefixes are ignored), such as a copied dump
    #[arg(long)]
    hex: bool,
    /// Replay the stream in reads of these sizes (the last one repeats) and
    /// show what each read held
    #[arg(long, value_name = "N,N,...", value_delimiter = ',', value_parser = clap::value_parser!(u64).range(1..))]
    reads: Vec<u64>,
    /// The captured bytes: a file, or - for stdin [default: stdin]
    #[arg(value_name = "FILE")]
    input: Option<std::path::PathBuf>,
    #[command(flatten)]
    show: ShowArgs,
}

/// Where and how a server listens; shared by `serve echo` and `serve time`.
#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on; repeatable, IPv4 or IPv6 ([::1]:7007)
    ///
    /// Default: 127.0.0.1 on the server's port (echo 7007, time 7037), unless
    /// --unix is given. Port 0 picks a free port. Each endpoint is printed on
    /// stdout as "listening on tcp ADDR ...".
    #[arg(long = "listen", value_name = "ADDR")]
    listen: Vec<SocketAddr>,
    /// Also serve a Unix domain socket at PATH
    ///
    /// A stale socket file (nobody listening) is replaced; the file is
    /// removed at exit.
    #[cfg(unix)]
    #[arg(long, value_name = "PATH", conflicts_with = "udp")]
    unix: Option<PathBuf>,
    /// Serve UDP instead of TCP on the --listen addresses
    ///
    /// Each datagram is a request, each reply frame a datagram.
    #[arg(long)]
    udp: bool,
    /// The framing [default: lines; raw with --udp]
    ///
    /// One of lines, lines-crlf, delim:BYTES (escapes \r \n \t \0 \xNN),
    /// length (u32 big-endian), length:u8|u16|u24|u32|u64 with le or be,
    /// length:varint, length:varint4, fixed:N, cobs, raw, slip, slip:lead,
    /// hdlc, dle, netstring, octets, hexlen:N (1-16 hex digits, default 4;
    /// :upper); each with an optional ,crc=NAME[:be|:le] (crc8, crc16-xmodem,
    /// crc16-ccitt-false, crc16-modbus, crc16-arc, crc16-kermit,
    /// crc16-ibm-sdlc, crc32, crc32c; not after lines or delim) and ,max=N
    /// (bytes, or with a k or m suffix). Over UDP, raw means the datagram is the frame
    /// (an empty datagram included); any other codec reads whole frames inside
    /// each datagram.
    #[arg(long, value_name = "SPEC")]
    codec: Option<AnyCodec>,
    /// At most N connections at once; further clients are refused
    ///
    /// A client over the limit is not queued: it gets one
    /// "error: server is full (N connections), try again later" frame and is
    /// closed. Default: no limit.
    #[arg(long, value_name = "N")]
    max_conns: Option<usize>,
    /// Close connections idle for SECS seconds
    ///
    /// Idle means no whole frame arrives (a client trickling bytes of a frame
    /// that never ends counts as idle) or the replies are not read. The client
    /// gets an "error: idle for SECS s, closing" frame first. Default: never.
    #[arg(long, value_name = "SECS", value_parser = parse_secs)]
    idle_timeout: Option<Duration>,
}

#[derive(Debug, Args)]
struct EchoArgs {
    #[command(flatten)]
    serve: ServeArgs,
    /// One frame sent to each client as soon as it connects
    #[arg(long, value_name = "TEXT")]
    greeting: Option<String>,
    /// A frame equal to WORD closes that connection cleanly
    ///
    /// The replies before it are sent; the word itself is not echoed.
    #[arg(long = "quit", value_name = "WORD")]
    quit: Option<String>,
}

#[derive(Debug, Args)]
struct TimeArgs {
    #[command(flatten)]
    serve: ServeArgs,
}

/// Where a client command (`send`, `bench`) connects, and with which codec.
#[derive(Debug, Args)]
struct TargetArgs {
    /// The server's address [default: 127.0.0.1:7007, the echo server]
    #[arg(long, value_name = "ADDR")]
    connect: Option<SocketAddr>,
    /// Connect to a Unix domain socket instead
    #[cfg(unix)]
    #[arg(long, value_name = "PATH", conflicts_with_all = ["connect", "udp"])]
    unix: Option<PathBuf>,
    /// Over UDP: one datagram per message (bench: per frame), one reply
    /// expected each
    #[arg(long)]
    udp: bool,
    /// The framing the server speaks [default: lines; raw with --udp]
    ///
    /// The same specs as the servers take; see `framewise serve echo --help`.
    #[arg(long, value_name = "SPEC")]
    codec: Option<AnyCodec>,
}

#[derive(Debug, Args)]
struct SendArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Give up connecting, or waiting for the server, after SECS seconds
    ///
    /// The wait for the server starts after the last message: over TCP and
    /// Unix sockets until it closes the connection, over UDP until every
    /// message has had its reply.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_secs)]
    timeout: Duration,
    /// The messages, one frame each [default: each line of stdin]
    #[arg(value_name = "MESSAGE")]
    messages: Vec<String>,
}

#[derive(Debug, Args)]
struct BenchArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Connections at once (UDP: sockets)
    #[arg(long, value_name = "N", default_value = "16", value_parser = clap::value_parser!(u32).range(1..))]
    conns: u32,
    /// Frames each connection sends
    #[arg(long, value_name = "M", default_value = "10000", value_parser = clap::value_parser!(u64).range(1..))]
    frames: u64,
    /// Payload bytes per frame
    ///
    /// Letters and digits, different for every frame, so line and delimiter
    /// codecs carry them.
    #[arg(long, value_name = "S", default_value = "64")]
    size: usize,
    /// Frames in flight per connection (1: wait for each reply before the
    /// next)
    #[arg(long, value_name = "K", default_value = "32", value_parser = clap::value_parser!(u32).range(1..))]
    pipeline: u32,
    /// Stop after SECS seconds in all, even if frames are unanswered
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_secs)]
    timeout: Duration,
    /// Over UDP, count a datagram lost after SECS seconds without a reply
    ///
    /// A lost datagram frees its slot in the pipeline.
    #[arg(long, value_name = "SECS", default_value = "1", value_parser = parse_secs)]
    loss_timeout: Duration,
}

#[derive(Debug, Args)]
struct ChatArgs {
    /// The local UDP address to receive on
    #[arg(long, value_name = "ADDR")]
    bind: SocketAddr,
    /// The peer's UDP address
    #[arg(long, value_name = "ADDR")]
    peer: SocketAddr,
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    s.parse::<f64>()
        .ok()
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .ok_or_else(|| format!("{s:?} is not a number of seconds"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    let result = match cli.command {
        Command::Demo(args) => runtime.block_on(demo(args)),
        Command::Serve(Serve::Echo(args)) => {
            init_logs("info");
            runtime.block_on(serve_echo(args))
        }
        Command::Serve(Serve::Time(args)) => {
            init_logs("info");
            runtime.block_on(serve_time(args))
        }
        Command::Send(args) => {
            init_logs("warn");
            runtime.block_on(send(args))
        }
        Command::Chat(args) => {
            init_logs("warn");
            runtime.block_on(chat(args))
        }
        Command::Bench(args) => {
            init_logs("warn");
            runtime.block_on(bench(args))
        }
        Command::Tap(args) => {
            init_logs("warn");
            runtime.block_on(tap(*args))
        }
        Command::Decode(args) => decode(args),
    };
    let code = match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    };
    // A read of stdin blocks a runtime thread that cannot be interrupted;
    // do not wait for it on the way out.
    runtime.shutdown_background();
    code
}

async fn demo(args: DemoArgs) -> Result<(), String> {
    use std::io::IsTerminal as _;
    let options = framewise::demo::DemoOptions {
        which: args.which,
        codec: args.codec,
        color: !args.no_color && framewise::demo::use_color(std::io::stdout().is_terminal()),
    };
    match framewise::demo::run(&options, &mut std::io::stdout()).await {
        Ok(_) => Ok(()),
        // `framewise demo | head`: the reader has seen enough.
        Err(framewise::Error::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("framewise: error: {message}");
    ExitCode::FAILURE
}

fn init_logs(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// The codec given, or the default: `lines`, or `raw` over UDP.
fn codec_or_default(codec: Option<AnyCodec>, udp: bool) -> AnyCodec {
    codec.unwrap_or_else(|| {
        let spec = if udp { "raw" } else { "lines" };
        spec.parse().expect("the default codec specs parse")
    })
}

/// `addr` over UDP or TCP.
fn socket_endpoint(addr: SocketAddr, udp: bool) -> Endpoint {
    match udp {
        true => Endpoint::Udp(addr),
        false => Endpoint::Tcp(addr),
    }
}

impl ServeArgs {
    /// The codec and the endpoints these arguments ask for.
    fn resolve(&self, default_port: u16) -> (AnyCodec, Vec<Endpoint>) {
        let codec = codec_or_default(self.codec.clone(), self.udp);
        let mut endpoints: Vec<Endpoint> = self
            .listen
            .iter()
            .map(|&a| socket_endpoint(a, self.udp))
            .collect();
        #[cfg(unix)]
        let unix = self.unix.clone();
        #[cfg(not(unix))]
        let unix: Option<()> = None;
        if endpoints.is_empty() && unix.is_none() {
            let a = SocketAddr::from(([127, 0, 0, 1], default_port));
            endpoints.push(socket_endpoint(a, self.udp));
        }
        #[cfg(unix)]
        if let Some(path) = unix {
            endpoints.push(Endpoint::Unix(path));
        }
        (codec, endpoints)
    }
}

/// A server builder with the settings of `ServeArgs` applied (the two
/// server types share these builder methods, but no trait).
macro_rules! with_serve_args {
    ($server:expr, $args:expr) => {{
        let mut server = $server;
        if let Some(n) = $args.max_conns {
            server = server.max_conns(n);
        }
        if let Some(after) = $args.idle_timeout {
            server = server.idle_timeout(after);
        }
        server
    }};
}

async fn serve_echo(args: EchoArgs) -> Result<(), String> {
    let (codec, endpoints) = args.serve.resolve(DEFAULT_ECHO_PORT);
    let mut server = with_serve_args!(EchoServer::new(codec.clone()), args.serve);
    if let Some(greeting) = args.greeting {
        server = server.greeting(greeting);
    }
    if let Some(quit) = args.quit {
        server = server.quit_word(quit);
    }
    let server = server.bind(&endpoints).await.map_err(|e| e.to_string())?;
    run_server(server, "echo", &codec).await
}

async fn serve_time(args: TimeArgs) -> Result<(), String> {
    let (codec, endpoints) = args.serve.resolve(DEFAULT_TIME_PORT);
    let server = with_serve_args!(TimeServer::new(codec.clone()), args.serve);
    let server = server.bind(&endpoints).await.map_err(|e| e.to_string())?;
    run_server(server, "time", &codec).await
}

/// Prints where the server listens, then runs it until Ctrl-C or SIGTERM.
async fn run_server(server: Server, service: &str, codec: &AnyCodec) -> Result<(), String> {
    let signal = net::shutdown_signal().map_err(|e| format!("cannot handle signals: {e}"))?;
    {
        let mut out = std::io::stdout().lock();
        for endpoint in server.endpoints() {
            // Tests and scripts read the port from this line.
            let _ = writeln!(out, "listening on {endpoint} ({service}, codec {codec})");
        }
        let _ = out.flush();
    }
    server
        .run(async {
            let which = signal.await;
            tracing::info!("received {which}, shutting down");
        })
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

impl TargetArgs {
    /// The endpoint and the codec: `--connect` (default: the echo server on
    /// 127.0.0.1) over TCP or `--udp`, or `--unix`; `--codec`, by default
    /// `lines` (`raw` over UDP).
    fn resolve(self) -> (Endpoint, AnyCodec) {
        let connect = self
            .connect
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], DEFAULT_ECHO_PORT)));
        let mut endpoint = socket_endpoint(connect, self.udp);
        #[cfg(unix)]
        if let Some(path) = self.unix {
            endpoint = Endpoint::Unix(path);
        }
        (endpoint, codec_or_default(self.codec, self.udp))
    }
}

async fn send(args: SendArgs) -> Result<(), String> {
    let (endpoint, codec) = args.target.resolve();
    let stdout = tokio::io::stdout();
    let result = if args.messages.is_empty() {
        let lines = framewise::Delimited::new(b"\n")
            .map_err(|e| e.to_string())?
            .with_max_frame_len(16 << 20);
        let lines = FramedRead::new(tokio::io::stdin(), lines).map(|line| {
            line.map(|line| match line.last() {
                Some(b'\r') => line.slice(..line.len() - 1),
                _ => line,
            })
            .map_err(std::io::Error::from)
        });
        net::send(&endpoint, codec, args.timeout, lines, stdout).await
    } else {
        let messages = futures::stream::iter(args.messages.into_iter().map(|m| Ok(Bytes::from(m))));
        net::send(&endpoint, codec, args.timeout, messages, stdout).await
    };
    result.map(drop).map_err(|e| e.to_string())
}

async fn chat(args: ChatArgs) -> Result<(), String> {
    let socket = tokio::net::UdpSocket::bind(args.bind)
        .await
        .map_err(|e| format!("cannot bind udp {}: {e}", args.bind))?;
    let local = socket.local_addr().map_err(|e| e.to_string())?;
    eprintln!(
        "chatting on udp {local} with {}; type lines, Ctrl-D to end",
        args.peer
    );
    let signal = net::shutdown_signal().map_err(|e| format!("cannot handle signals: {e}"))?;
    tokio::select! {
        r = net::chat(socket, args.peer, tokio::io::stdin(), tokio::io::stdout()) => {
            r.map_err(|e| e.to_string())
        }
        _ = signal => Ok(()),
    }
}

async fn bench(args: BenchArgs) -> Result<(), String> {
    use std::io::IsTerminal as _;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    let (endpoint, codec) = args.target.resolve();
    let mut bench = net::Bench::new(endpoint, codec)
        .conns(args.conns as usize)
        .frames(args.frames)
        .size(args.size)
        .pipeline(args.pipeline as usize)
        .timeout(args.timeout)
        .loss_timeout(args.loss_timeout);

    // The bar only on a terminal: a report piped to a file stays clean.
    let mut progress = None;
    if std::io::stderr().is_terminal() {
        let settled = Arc::new(AtomicU64::new(0));
        bench = bench.progress(settled.clone());
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(bench.total_frames()),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "[{elapsed_precise}] {wide_bar} {human_pos}/{human_len} frames, {msg}, eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message("0 msgs/s");
        let shown = bar.clone();
        let ticker = tokio::spawn(async move {
            let start = std::time::Instant::now();
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tick.tick().await;
                let done = settled.load(Ordering::Relaxed);
                let rate = done as f64 / start.elapsed().as_secs_f64().max(1e-3);
                shown.set_message(format!("{rate:.0} msgs/s"));
                shown.set_position(done);
            }
        });
        progress = Some((bar, ticker));
    }
    let report = bench.run().await;
    if let Some((bar, ticker)) = progress {
        ticker.abort();
        bar.finish_and_clear();
    }
    let report = report.map_err(|e| e.to_string())?;
    println!("{report}");
    match report.failure() {
        None => Ok(()),
        Some(why) => Err(why),
    }
}

async fn tap(args: TapArgs) -> Result<(), String> {
    use framewise::net::tap::Tap;
    let codec = args.codec.clone().unwrap_or_else(|| {
        let spec = if args.udp { "raw" } else { "lines" };
        spec.parse().expect("the default codec specs parse")
    });
    let tap = Tap::new(args.upstream, codec.clone())
        .client_codec(args.client_codec.unwrap_or_else(|| codec.clone()))
        .server_codec(args.server_codec.unwrap_or(codec))
        .format(args.show.format(args.quiet))
        .preview(args.show.preview)
        .udp_idle_timeout(args.udp_idle);
    let listen = match args.udp {
        true => Endpoint::Udp(args.listen),
        false => Endpoint::Tcp(args.listen),
    };
    let signal = net::shutdown_signal().map_err(|e| format!("cannot handle signals: {e}"))?;
    let tap = tap.bind(&listen).await.map_err(|e| e.to_string())?;
    tap.run(std::io::stdout(), async {
        let which = signal.await;
        tracing::info!("received {which}, shutting down");
    })
    .await
    .map(drop)
    .map_err(|e| e.to_string())
}

fn decode(args: DecodeArgs) -> Result<(), String> {
    use std::io::Read as _;
    let mut input = Vec::new();
    let name = match &args.input {
        Some(path) if path.as_os_str() != "-" => {
            input =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            path.display().to_string()
        }
        _ => {
            std::io::stdin()
                .read_to_end(&mut input)
                .map_err(|e| format!("cannot read stdin: {e}"))?;
            "stdin".to_string()
        }
    };
    if args.hex {
        let text = String::from_utf8(input).map_err(|_| format!("{name} is not hex text"))?;
        input = framewise::net::tap::parse_hex(&text).map_err(|e| format!("{name}: {e}"))?;
    }
    let reads: Vec<usize> = args.reads.iter().map(|&n| n as usize).collect();
    let totals = framewise::net::tap::decode_capture(
        args.codec,
        &input,
        &reads,
        args.show.format(false),
        args.show.preview,
        &mut std::io::stdout().lock(),
    );
    let totals = match totals {
        Ok(totals) => totals,
        // `framewise decode ... | head`: the reader has seen enough.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    if totals.is_clean() {
        Ok(())
    } else if totals.truncated && totals.errors == 1 {
        Err("the stream ended inside a frame".into())
    } else {
        Err(format!(
            "the stream had {} decoding error{}",
            totals.errors,
            if totals.errors == 1 { "" } else { "s" }
        ))
    }
}
