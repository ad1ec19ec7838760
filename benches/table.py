#!/usr/bin/env python3
"""Print the codec benchmark medians and ratios as Markdown tables.

Run after `cargo bench --bench codecs`; reads target/criterion/*/*/new/estimates.json.
Each row compares functions of one criterion group, measured side by side in one run.
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")


def median_ns(group, fn):
    p = root / group / fn / "new" / "estimates.json"
    if not p.exists():
        return None
    return json.loads(p.read_text())["median"]["point_estimate"]


def fmt(ns):
    return "-" if ns is None else (f"{ns / 1e6:.3f} ms" if ns >= 1e6 else f"{ns / 1e3:.1f} µs")


def ratio(a, b):
    return "-" if a is None or b is None else f"{b / a:.2f}x"


print("| group | framewise | tokio-util | framewise vs tokio-util | reference | framewise vs reference |")
print("|---|---|---|---|---|---|")
rows = []
for size in (16, 256, 4096, 65536):
    g = f"length_{size}"
    fw, tk, fl = (median_ns(g, f) for f in ("framewise", "tokio-util", "floor-copy"))
    rows.append((f"length/{size} (LengthPrefixed vs LengthDelimitedCodec)", fw, tk, "floor-copy", fl))
    rows.append((f"length/{size} varint", median_ns(g, "framewise-varint"), tk, "floor-copy", fl))
    rows.append((f"length/{size} (same, against the stream floor)", fw, None, "floor-stream",
                 median_ns(g, "floor-stream")))
    rows.append((f"length/{size} (same, against the least Bytes-frame decoder)", fw, None,
                 "least-bytes-frames", median_ns(g, "least-bytes-frames")))
for size in (16, 100, 1000, 8000):
    g = f"delimited_{size}"
    ceil = median_ns(g, "ceiling-memchr")
    ceil_copy = median_ns(g, "ceiling-copy-memchr")
    d = median_ns(g, "framewise-delimited")
    rows.append((f"delimited/{size} (Delimited vs AnyDelimiterCodec)", d,
                 median_ns(g, "tokio-util-any-delimiter"), "memchr scan", ceil))
    rows.append((f"delimited/{size} (same, against copy + scan)", d, None, "copy + memchr", ceil_copy))
    rows.append((f"delimited/{size} (same, against the least Bytes-frame decoder)", d, None,
                 "least-bytes-frames", median_ns(g, "least-bytes-frames")))
    lines = median_ns(g, "framewise-lines")
    rows.append((f"delimited/{size} (Lines vs LinesCodec)", lines,
                 median_ns(g, "tokio-util-lines"), "least-string-lines", median_ns(g, "least-string-lines")))
g = "delimited-crlf-or-lf_100"
rows.append(("delimited/100, `\\r\\n` or `\\n` (Delimited vs LinesCodec)", median_ns(g, "framewise-delimited"),
             median_ns(g, "tokio-util-lines"), "", None))
for name, fw, tk, refname, ref in rows:
    # For a reference (floor or ceiling), framewise's share is ref/fw: 1.00 = as fast as it.
    share = "-" if fw is None or ref is None else f"{ref / fw:.0%}"
    print(f"| {name} | {fmt(fw)} | {fmt(tk)} | {ratio(fw, tk)} | {refname} {fmt(ref)} | {share} |")

print()
print("| memcpy of 4 MiB in 64 KiB pieces, by (dst - src) mod 4096 | time |")
print("|---|---|")
for d in (0, 16, 64, 2048):
    print(f"| {d} | {fmt(median_ns('memcpy-aliasing', f'distance-{d}'))} |")
print()
print("| encode | " + " | ".join(("16 B", "1000 B")) + " |")
print("|---|---|---|")
for fn in ("framewise-length", "tokio-util-length", "framewise-varint", "framewise-delimited",
           "tokio-util-any-delimiter", "framewise-lines", "tokio-util-lines", "framewise-fixed", "framewise-cobs"):
    print(f"| {fn} | " + " | ".join(fmt(median_ns(f"encode_{s}", fn)) for s in (16, 1000)) + " |")
print()
print("| decode, other codecs | 16 B | 1000 B |")
print("|---|---|---|")
for fn in ("framewise-cobs", "framewise-fixed"):
    print(f"| {fn} | " + " | ".join(fmt(median_ns(f"decode-other_{s}", fn)) for s in (16, 1000)) + " |")
