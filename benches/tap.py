#!/usr/bin/env python3
"""The tap's cost, measured with the real binary: `framewise bench` against
`framewise serve echo` directly, through `framewise tap --quiet`, and through
`framewise tap` with its full output going to a file.

    cargo build --release
    python3 benches/tap.py [RUNS]      # default 3 runs, alternating the setups

Each run: 16 connections x 20,000 pipelined 64-byte frames (32 in flight;
TAP_PIPELINE sets another number in flight, TAP_FRAMES other frames),
codec `length`, every reply checked by `framewise bench` (a mismatch fails
the run). Prints msgs/s per setup and run, the quiet/direct ratio (median of
per-run ratios), and for the full output the frames per second the tap
decoded and printed (both directions: 2 frames per message), checked against
the frame lines actually written to the file.

TAP_FLOOR=1 also runs each bench through benches/tap_floor.c (compiled with
gcc): the leanest epoll forwarder, one recv and one send per read and nothing
else, the floor for any tap built on epoll. It prints that ratio beside the
tap's.

It also prints the CPU time (user + system, from /proc) per message of the
echo server and the client, in the direct run and in the quiet run, and of
the tap in the quiet run. The ratio moves with whatever else the machine
runs, CPU per message much less; while the three processes are CPU-bound on
the shared cores, (server + client, direct) / (server + client + tap, through
the tap) estimates the ratio on an otherwise idle machine.
"""

import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

# FRAMEWISE_BIN: another build to measure (the bench and echo server included).
BIN = os.environ.get(
    "FRAMEWISE_BIN",
    os.path.join(os.path.dirname(__file__), "..", "target", "release", "framewise"))
# TAP_FRAMES: frames per connection (default 20,000, about a quarter of a
# second per direct run; 60,000 gave the same medians, see benches/NOTES.md).
# TAP_PIPELINE: frames in flight per connection (default 32). The tap's cost
# is per read, and a read carries what the window lets the client write, so
# the ratio rises with it (benches/NOTES.md has a sweep).
CONNS, SIZE = 16, 64
PIPELINE = int(os.environ.get("TAP_PIPELINE", "32"))
FRAMES = int(os.environ.get("TAP_FRAMES", "20000"))
MSGS = CONNS * FRAMES
TICK = os.sysconf("SC_CLK_TCK")


def cpu(pid):
    """Seconds of CPU (user + system) process `pid` has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def spawn(cmd, stdout=subprocess.PIPE):
    return subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.DEVNULL, text=True)


def start(args, stdout=subprocess.PIPE):
    return spawn([BIN] + args, stdout)


def listening(p, out_path=None):
    """The address from the 'listening on tcp ADDR' line."""
    if out_path is None:
        line = p.stdout.readline()
    else:
        deadline = time.time() + 10
        line = ""
        while time.time() < deadline and not line:
            with open(out_path) as f:
                line = f.readline()
            time.sleep(0.05)
    return line.split()[3]


def bench(addr):
    out = subprocess.run(
        [BIN, "bench", "--connect", addr, "--codec", "length", "--conns", str(CONNS),
         "--frames", str(FRAMES), "--size", str(SIZE), "--pipeline", str(PIPELINE),
         "--timeout", "120"],
        capture_output=True, text=True, check=True)
    rate = float(re.search(r"rate:\s+(\d+) msgs/s", out.stdout).group(1))
    secs = float(re.search(r"time:\s+([\d.]+) s", out.stdout).group(1))
    return rate, secs


def floor(upstream, tmp):
    """benches/tap_floor.c, compiled and started in front of `upstream`."""
    exe = os.path.join(tmp, "tap_floor")
    src = os.path.join(os.path.dirname(__file__), "tap_floor.c")
    subprocess.run(["gcc", "-O2", "-o", exe, src], check=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = spawn([exe, str(port), upstream.rsplit(":", 1)[1]])
    return p, listening(p)


def measured(addr, echo, middle=None):
    """`framewise bench` against `addr`: msgs/s, and the CPU per message (us)
    of the echo server and the client together, and of `middle` (the process
    in between, if any)."""
    m0 = cpu(middle.pid) if middle else 0
    e0, c0 = cpu(echo.pid), children_cpu()
    rate, _ = bench(addr)
    # The bench has been reaped: its CPU is in children_cpu().
    rest = (cpu(echo.pid) - e0 + children_cpu() - c0) / MSGS * 1e6
    mid = (cpu(middle.pid) - m0) / MSGS * 1e6 if middle else 0
    return rate, rest, mid


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    echo = start(["serve", "echo", "--codec", "length", "--listen", "127.0.0.1:0"])
    upstream = listening(echo)
    direct, quiet, full, ratios, tap_us, rest_us, rest_tap_us = [], [], [], [], [], [], []
    floor_ratios, floor_us = [], []
    tmp = tempfile.TemporaryDirectory()
    fwd = floor(upstream, tmp.name) if os.environ.get("TAP_FLOOR") else None
    try:
        for run in range(runs):
            d, rest, _ = measured(upstream, echo)
            # The floor goes before the quiet tap on odd runs, after it on even.
            floor_first = fwd and run % 2
            if floor_first:
                fl = measured(fwd[1], echo, fwd[0])
            tap = start(["tap", "--codec", "length", "--quiet", "--listen", "127.0.0.1:0",
                         "--upstream", upstream])
            q, rest_tap, t = measured(listening(tap), echo, tap)
            stop(tap)
            if fwd and not floor_first:
                fl = measured(fwd[1], echo, fwd[0])
            floor_text = ""
            if fwd:
                floor_ratios.append(fl[0] / d)
                floor_us.append(fl[2])
                floor_text = f"; floor forwarder {fl[0] / d:.0%}, {fl[2]:.2f} us"
            with tempfile.NamedTemporaryFile("w+", suffix=".tap") as f:
                tap = start(["tap", "--codec", "length", "--listen", "127.0.0.1:0",
                             "--upstream", upstream], stdout=f)
                rate, secs = bench(listening(tap, f.name))
                stop(tap)
                f.seek(0)
                lines = sum(1 for line in f if "   frame " in line)
            expected = 2 * CONNS * FRAMES
            assert lines == expected, f"{lines} frame lines, expected {expected}"
            frames_per_sec = lines / secs
            direct.append(d)
            quiet.append(q)
            full.append(frames_per_sec)
            ratios.append(q / d)
            tap_us.append(t)
            rest_us.append(rest)
            rest_tap_us.append(rest_tap)
            print(f"run {run + 1}: direct {d:,.0f} msgs/s, tap --quiet {q:,.0f} msgs/s "
                  f"({q / d:.0%}), tap full output {rate:,.0f} msgs/s = "
                  f"{frames_per_sec:,.0f} frames/s printed; CPU per message: server + "
                  f"client {rest:.2f} us direct, {rest_tap:.2f} us through the tap; "
                  f"tap {t:.2f} us (quiet){floor_text}", flush=True)
    finally:
        if fwd:
            stop(fwd[0])
        tmp.cleanup()
        stop(echo)
    print(f"median: direct {statistics.median(direct):,.0f} msgs/s; tap --quiet "
          f"{statistics.median(quiet):,.0f} msgs/s, ratio {statistics.median(ratios):.0%} "
          f"(target >= 60%); full output {statistics.median(full):,.0f} frames/s "
          f"(target >= 200,000)")
    r, rt = statistics.median(rest_us), statistics.median(rest_tap_us)
    t = statistics.median(tap_us)
    print(f"median CPU per message: server + client {r:.2f} us direct, {rt:.2f} us "
          f"through the tap; tap --quiet {t:.2f} us (ratio if CPU-bound: "
          f"{r / (rt + t):.0%}); {PIPELINE} frames in flight per connection")
    if fwd:
        print(f"floor forwarder (benches/tap_floor.c): ratio "
              f"{statistics.median(floor_ratios):.0%}, "
              f"{statistics.median(floor_us):.2f} us of CPU per message")


if __name__ == "__main__":
    main()
