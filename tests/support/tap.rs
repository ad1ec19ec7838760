//! Helpers for the tests of `framewise tap` and `framewise decode`: the real
//! binary as a subprocess, and a small JSON parser (written here, apart from
//! the tap's own JSON writer, so the output is checked by independent code).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The `framewise` binary built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_framewise");
/// The longest any wait on a subprocess may take.
pub const STEP: Duration = Duration::from_secs(10);

/// A running `framewise` subprocess whose stdout lines are collected;
/// killed (by its pid) if the test fails before stopping it.
#[derive(Debug)]
pub struct Proc {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// The first line.
    pub first: String,
    /// Every line so far, the first included.
    all: Vec<String>,
}

impl Proc {
    /// Starts `framewise args...` and waits for its first line.
    pub fn start(args: &[&str]) -> Proc {
        let mut child = Command::new(BIN)
            .args(args)
            .env("RUST_LOG", "info")
            .env_remove("NO_COLOR")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start framewise");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let first = lines
            .recv_timeout(STEP)
            .unwrap_or_else(|_| panic!("no first line from framewise {args:?}"));
        Proc {
            child,
            lines,
            all: vec![first.clone()],
            first,
        }
    }

    /// The address in its first line (`listening on tcp ADDR ...`, or the
    /// JSON `listening` event); panics for a Unix socket path.
    pub fn addr(&self) -> SocketAddr {
        let first = &self.first;
        if first.starts_with('{') {
            let v = parse(first);
            assert_eq!(v.get("event").str(), "listening", "{first}");
            v.get("addr").str().parse().unwrap()
        } else {
            let rest = first.strip_prefix("listening on ").expect(first);
            rest.split_whitespace().nth(1).unwrap().parse().unwrap()
        }
    }

    /// Waits until a line containing `needle` has arrived; adds every line
    /// read meanwhile to `seen`.
    pub fn wait_for(&mut self, needle: &str, seen: &mut Vec<String>) {
        let deadline = Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(needle);
                    self.all.push(line.clone());
                    seen.push(line);
                    if found {
                        return;
                    }
                }
                Err(_) => panic!("no line with {needle:?} within {STEP:?}; got {seen:#?}"),
            }
        }
    }

    /// Sends `signal` with the `kill` command, waits for the exit (bounded)
    /// and returns the status, the stdout lines that [`wait_for`](Self::wait_for)
    /// has not seen, and stderr.
    pub fn stop(mut self, signal: &str) -> (ExitStatus, Vec<String>, String) {
        self.finish(signal)
    }

    /// Like [`stop`](Self::stop), with every stdout line, the first included.
    pub fn stop_all(mut self, signal: &str) -> (ExitStatus, Vec<String>, String) {
        let (status, _, logs) = self.finish(signal);
        (status, std::mem::take(&mut self.all), logs)
    }

    fn finish(&mut self, signal: &str) -> (ExitStatus, Vec<String>, String) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{signal} {pid}");
        let status = wait_bounded(&mut self.child);
        let mut lines = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(STEP) {
            lines.push(line);
        }
        self.all.extend(lines.iter().cloned());
        let mut logs = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut logs)
            .unwrap();
        (status, lines, logs)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits for `child` to exit; kills it and fails the test after [`STEP`].
pub fn wait_bounded(child: &mut Child) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > STEP {
            let _ = child.kill();
            panic!("framewise did not exit within {STEP:?}");
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `cmd` (the binary with its arguments) to completion, bounded in
/// time, feeding it `stdin`; returns its status and everything it printed.
pub fn run_to_end(cmd: &mut Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the subprocess");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let status = wait_bounded(&mut child);
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut stderr)
        .unwrap();
    Output {
        status,
        stdout,
        stderr,
    }
}

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Num(f64),
    /// A string, unescaped.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object, its members sorted by name.
    Obj(BTreeMap<String, Json>),
}

impl Json {
    /// Member `key` of an object; panics if absent.
    pub fn get(&self, key: &str) -> &Json {
        match self {
            Json::Obj(m) => m
                .get(key)
                .unwrap_or_else(|| panic!("no {key:?} in {self:?}")),
            _ => panic!("{self:?} is not an object"),
        }
    }

    /// Whether this is an object with member `key`.
    pub fn has(&self, key: &str) -> bool {
        matches!(self, Json::Obj(m) if m.contains_key(key))
    }

    /// The text of a string; panics on anything else.
    pub fn str(&self) -> &str {
        match self {
            Json::Str(s) => s,
            _ => panic!("{self:?} is not a string"),
        }
    }

    /// A whole non-negative number; panics on anything else.
    pub fn u64(&self) -> u64 {
        match self {
            Json::Num(n) if *n >= 0.0 && n.fract() == 0.0 => *n as u64,
            _ => panic!("{self:?} is not a count"),
        }
    }

    /// A number; panics on anything else.
    pub fn f64(&self) -> f64 {
        match self {
            Json::Num(n) => *n,
            _ => panic!("{self:?} is not a number"),
        }
    }

    /// A boolean; panics on anything else.
    pub fn bool(&self) -> bool {
        match self {
            Json::Bool(b) => *b,
            _ => panic!("{self:?} is not a boolean"),
        }
    }

    /// The elements of an array; panics on anything else.
    pub fn arr(&self) -> &[Json] {
        match self {
            Json::Arr(a) => a,
            _ => panic!("{self:?} is not an array"),
        }
    }
}

/// Parses one JSON text (RFC 8259); panics on anything else.
pub fn parse(text: &str) -> Json {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    let v = p.value();
    p.ws();
    assert_eq!(p.i, p.s.len(), "trailing text in {text:?}");
    v
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) {
        self.ws();
        assert_eq!(
            self.s.get(self.i),
            Some(&b),
            "expected {:?} at {}",
            b as char,
            self.i
        );
        self.i += 1;
    }

    fn value(&mut self) -> Json {
        self.ws();
        match self.s[self.i] {
            b'{' => {
                self.i += 1;
                let mut m = BTreeMap::new();
                self.ws();
                if self.s[self.i] == b'}' {
                    self.i += 1;
                    return Json::Obj(m);
                }
                loop {
                    self.ws();
                    let k = self.string();
                    self.eat(b':');
                    let v = self.value();
                    assert!(m.insert(k.clone(), v).is_none(), "duplicate key {k}");
                    self.ws();
                    match self.s[self.i] {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Json::Obj(m);
                        }
                        c => panic!("unexpected {:?} in object", c as char),
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut a = Vec::new();
                self.ws();
                if self.s[self.i] == b']' {
                    self.i += 1;
                    return Json::Arr(a);
                }
                loop {
                    a.push(self.value());
                    self.ws();
                    match self.s[self.i] {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Json::Arr(a);
                        }
                        c => panic!("unexpected {:?} in array", c as char),
                    }
                }
            }
            b'"' => Json::Str(self.string()),
            b't' => self.word("true", Json::Bool(true)),
            b'f' => self.word("false", Json::Bool(false)),
            b'n' => self.word("null", Json::Null),
            _ => {
                let start = self.i;
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.s[start..self.i]).unwrap();
                Json::Num(t.parse().unwrap_or_else(|_| panic!("bad number {t:?}")))
            }
        }
    }

    fn word(&mut self, w: &str, v: Json) -> Json {
        assert!(self.s[self.i..].starts_with(w.as_bytes()));
        self.i += w.len();
        v
    }

    fn string(&mut self) -> String {
        assert_eq!(self.s[self.i], b'"');
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let c = self.s[self.i];
            self.i += 1;
            match c {
                b'"' => return String::from_utf8(out).unwrap(),
                b'\\' => {
                    let e = self.s[self.i];
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'u' => {
                            let h = std::str::from_utf8(&self.s[self.i..self.i + 4]).unwrap();
                            self.i += 4;
                            char::from_u32(u32::from_str_radix(h, 16).unwrap()).unwrap()
                        }
                        _ => panic!("bad escape"),
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c if c < 0x20 => panic!("raw control character in a string"),
                c => out.push(c),
            }
        }
    }
}

/// The JSON events among `lines`, each line parsed (every line must be JSON).
pub fn events(lines: &[String]) -> Vec<Json> {
    lines.iter().map(|l| parse(l)).collect()
}

/// The events named `name` (optionally of one connection and direction).
pub fn select<'a>(
    events: &'a [Json],
    name: &str,
    conn: Option<u64>,
    dir: Option<&str>,
) -> Vec<&'a Json> {
    events
        .iter()
        .filter(|e| e.get("event").str() == name)
        .filter(|e| conn.is_none_or(|c| e.get("conn").u64() == c))
        .filter(|e| dir.is_none_or(|d| e.get("dir").str() == d))
        .collect()
}

/// Checks that the read (or datagram) events of one direction and its frame
/// and error events tell one consistent story: reads are contiguous, each
/// read's pieces add up to it, frames are numbered 1, 2, ... and contiguous
/// on the wire, and every piece of a frame lies within that frame. Returns
/// the number of bytes read.
pub fn check_reads_and_frames(reads: &[&Json], units: &[&Json]) -> u64 {
    let mut offset = 0;
    for r in reads {
        assert_eq!(r.get("offset").u64(), offset, "{r:?}");
        let len = r.get("len").u64();
        let sum: u64 = r.get("held").arr().iter().map(|p| p.get("len").u64()).sum();
        assert_eq!(sum, len, "{r:?}");
        offset += len;
    }
    let mut at = 0;
    for (i, u) in units.iter().enumerate() {
        assert_eq!(u.get("index").u64(), i as u64 + 1, "{u:?}");
        assert_eq!(u.get("offset").u64(), at, "{u:?}");
        at += u.get("wire_len").u64();
    }
    // The pieces of a good frame add up to its wire length (a bad frame's
    // also hold the rest skipped after the error).
    let mut per_frame: BTreeMap<u64, u64> = BTreeMap::new();
    for r in reads {
        for p in r.get("held").arr() {
            *per_frame.entry(p.get("index").u64()).or_default() += p.get("len").u64();
        }
    }
    for u in units {
        let got = per_frame.get(&u.get("index").u64()).copied().unwrap_or(0);
        if u.get("event").str() == "frame" {
            assert_eq!(got, u.get("wire_len").u64(), "{u:?}");
        } else {
            assert!(got >= u.get("wire_len").u64(), "{u:?}: {got}");
        }
    }
    offset
}
