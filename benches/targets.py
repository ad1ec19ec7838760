#!/usr/bin/env python3
"""Run the codec groups behind issue #6's targets several times and print the
median of the per-run ratios (each ratio is read from one run, side by side).

    python3 benches/targets.py [RUNS]      # default 3 runs, about 2 minutes each

Ratios are throughput ratios: framewise's rate over the other's (tokio-util),
or framewise's share of a floor/ceiling (1.0 = as fast as the reference).
"""
import json
import pathlib
import statistics
import subprocess
import sys

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
root = pathlib.Path("target/criterion")
FILTER = "^(length/(16|4096|65536)|delimited/(100|8000))/"

# (label, group, framewise fn, other fn, target, kind)
TARGETS = [
    ("LengthPrefixed 16 B vs LengthDelimitedCodec", "length_16", "framewise", "tokio-util", 2.0, "x"),
    ("LengthPrefixed 4 KiB vs copy floor", "length_4096", "framewise", "floor-copy", 0.9, "%"),
    ("LengthPrefixed 64 KiB vs copy floor", "length_65536", "framewise", "floor-copy", 0.9, "%"),
    ("Delimited 100 B vs AnyDelimiterCodec", "delimited_100", "framewise-delimited", "tokio-util-any-delimiter", 5.0, "x"),
    ("Lines 100 B vs LinesCodec", "delimited_100", "framewise-lines", "tokio-util-lines", 1.3, "x"),
    ("Delimited 8000 B vs memchr scan", "delimited_8000", "framewise-delimited", "ceiling-memchr", 0.7, "%"),
]

# What bounds the targets: the same ratios for the least code doing the work
# any decoder of that kind must do (see the benches' comments), and framewise
# against that least code. Printed for information; no target.
BOUNDS = [
    ("floor-stream (frames advanced past) vs copy floor, 4 KiB", "length_4096", "floor-stream", "floor-copy", "%"),
    ("LengthPrefixed vs floor-stream, 4 KiB", "length_4096", "framewise", "floor-stream", "%"),
    ("least Bytes-frame decoder vs copy floor, 4 KiB", "length_4096", "least-bytes-frames", "floor-copy", "%"),
    ("LengthPrefixed vs least Bytes-frame decoder, 4 KiB", "length_4096", "framewise", "least-bytes-frames", "%"),
    ("floor-stream vs copy floor, 64 KiB", "length_65536", "floor-stream", "floor-copy", "%"),
    ("LengthPrefixed vs floor-stream, 64 KiB", "length_65536", "framewise", "floor-stream", "%"),
    ("least Bytes-frame decoder vs AnyDelimiterCodec, 100 B", "delimited_100", "least-bytes-frames", "tokio-util-any-delimiter", "x"),
    ("Delimited vs least Bytes-frame decoder, 100 B", "delimited_100", "framewise-delimited", "least-bytes-frames", "%"),
    ("least String-line decoder vs LinesCodec, 100 B", "delimited_100", "least-string-lines", "tokio-util-lines", "x"),
    ("Lines vs least String-line decoder, 100 B", "delimited_100", "framewise-lines", "least-string-lines", "%"),
    ("copy + memchr scan vs memchr scan, 8000 B", "delimited_8000", "ceiling-copy-memchr", "ceiling-memchr", "%"),
    ("Delimited vs copy + memchr scan, 8000 B", "delimited_8000", "framewise-delimited", "ceiling-copy-memchr", "%"),
    ("Delimited vs least Bytes-frame decoder, 8000 B", "delimited_8000", "framewise-delimited", "least-bytes-frames", "%"),
]


def median_ns(group, fn):
    p = root / group / fn / "new" / "estimates.json"
    return json.loads(p.read_text())["median"]["point_estimate"]


ratios = {t[0]: [] for t in TARGETS}
bounds = {b[0]: [] for b in BOUNDS}
for i in range(runs):
    print(f"run {i + 1}/{runs}: cargo bench --bench codecs -- '{FILTER}'", file=sys.stderr, flush=True)
    subprocess.run(["cargo", "bench", "--bench", "codecs", "--", FILTER],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for label, group, fw, other, _, _ in TARGETS:
        # time(other) / time(framewise) = rate(framewise) / rate(other)
        ratios[label].append(median_ns(group, other) / median_ns(group, fw))
    for label, group, fw, other, _ in BOUNDS:
        bounds[label].append(median_ns(group, other) / median_ns(group, fw))

print("| target | ratio, median of runs | runs | target | met |")
print("|---|---|---|---|---|")
for label, _, _, _, target, kind in TARGETS:
    rs = ratios[label]
    m = statistics.median(rs)
    show = (lambda r: f"{r:.0%}") if kind == "%" else (lambda r: f"{r:.2f}x")
    runs_txt = ", ".join(show(r) for r in rs)
    print(f"| {label} | **{show(m)}** | {runs_txt} | {show(target)} | {'yes' if m >= target else 'no'} |")

print()
print("| bound | ratio, median of runs | runs |")
print("|---|---|---|")
for label, _, _, _, kind in BOUNDS:
    rs = bounds[label]
    m = statistics.median(rs)
    show = (lambda r: f"{r:.0%}") if kind == "%" else (lambda r: f"{r:.2f}x")
    print(f"| {label} | **{show(m)}** | {', '.join(show(r) for r in rs)} |")
