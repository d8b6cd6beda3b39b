#!/usr/bin/env python3
"""`make bench`: time iotopo against the floors and the reference tool on generated
platforms, on this machine, and print a markdown report (also written to
bench/out/results.md). Medians of several runs; peak memory from the kernel's rusage.

    bench/run.py [--sizes 2000,20000,200000] [--runs N] [--quick]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")
IOTOPO = os.path.join(ROOT, ".build", "release", "iotopo")


def run_once(cmd):
    """Wall time (s) and peak RSS (KiB) of one run, measured by GNU time (a fork of this
    Python process would count Python's own memory); raises if the command fails."""
    p = subprocess.run(["/usr/bin/time", "-f", "IOTOPO-BENCH %e %M"] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    err = p.stderr.decode(errors="replace")
    if p.returncode != 0:
        raise RuntimeError("%s failed:\n%s" % (" ".join(cmd), err[-2000:]))
    line = [l for l in err.splitlines() if l.startswith("IOTOPO-BENCH ")][-1]
    _, elapsed, rss = line.split()
    return float(elapsed), int(rss)


def measure(cmd, runs):
    times, peaks = [], []
    for _ in range(runs):
        t, m = run_once(cmd)
        times.append(t)
        peaks.append(m)
    return statistics.median(times), max(peaks)


def ensure_inputs(n):
    y = os.path.join(OUT, "p%d.yaml" % n)
    d = os.path.join(OUT, "p%d.dts" % n)
    nl = os.path.join(OUT, "p%d-nl.dts" % n)
    gen = os.path.join(HERE, "gen_platform.py")
    if not all(os.path.exists(f) and os.path.getmtime(f) >= os.path.getmtime(gen) for f in (y, d, nl)):
        subprocess.check_call([sys.executable, gen, str(n), y, d, nl])
    return y, d, nl


def ensure_floor():
    exe = os.path.join(OUT, "libyaml_parse")
    src = os.path.join(HERE, "libyaml_parse.c")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        subprocess.check_call(["cc", "-O2", "-o", exe, src, "-lyaml"])
    return exe


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="2000,20000,200000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="one size (20000), three runs")
    ap.add_argument("--full", action="store_true", help="also run dtc with labels at 200k devices (about 20 minutes: it is quadratic)")
    args = ap.parse_args()
    sizes = [20000] if args.quick else [int(s) for s in args.sizes.split(",")]
    runs = 3 if args.quick else args.runs
    os.makedirs(OUT, exist_ok=True)
    if not os.path.exists(IOTOPO):
        sys.exit("build the release binary first: swift build -c release")
    floor = ensure_floor()
    rows = []
    for n in sizes:
        y, d, nl = ensure_inputs(n)
        r = 3 if n >= 200000 else runs
        size = os.path.getsize(y)
        print("== %d devices (%.1f MB of YAML), %d runs each" % (n, size / 1e6, r), file=sys.stderr)
        res = {"n": n, "bytes": size}
        res["iotopo"] = measure([IOTOPO, "check", "--max-file-size", "512MiB", y], r)
        res["libyaml"] = measure([floor, y], r)
        prev = rows[-1] if rows else None
        if n >= 200000 and not args.full and prev:
            # dtc resolves every label reference by walking the tree: quadratic. Project from
            # the previous size instead of spending twenty minutes (--full measures it).
            factor = (n / prev["n"]) ** 2
            res["dtc"] = (prev["dtc"][0] * factor, None)
            res["dtc-projected"] = True
        else:
            res["dtc"] = measure(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", "/dev/null", d], 1 if n >= 200000 else r)
        res["dtc-nl"] = measure(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", "/dev/null", nl], 1 if n >= 200000 else r)
        for k in ("iotopo", "libyaml", "dtc", "dtc-nl"):
            mem = "%8.1f MB" % (res[k][1] / 1024) if res[k][1] else "projected"
            print("   %-8s %8.3f s  %s" % (k, res[k][0], mem), file=sys.stderr)
        rows.append(res)

    lines = ["| devices | YAML | iotopo check | libyaml events only | dtc (labels) | dtc (no labels) | iotopo / libyaml | dtc / iotopo | iotopo peak memory | peak / input |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for res in rows:
        it, im = res["iotopo"]
        lt, _ = res["libyaml"]
        dt, _ = res["dtc"]
        nt, _ = res["dtc-nl"]
        dtext = ("~%.0f s (projected, quadratic)" if res.get("dtc-projected") else "%.2f s") % dt
        lines.append("| %d | %.1f MB | %.3f s | %.3f s | %s | %.2f s | %.1fx | %.1fx | %.0f MB | %.1fx |" % (
            res["n"], res["bytes"] / 1e6, it, lt, dtext, nt, it / lt, dt / it, im / 1024, im * 1024 / res["bytes"]))
    lines.append("")
    lines.append("Growth (time per 1,000 devices): " + ", ".join(
        "%d: iotopo %.1f ms, libyaml %.1f ms" % (res["n"], 1000 * res["iotopo"][0] / res["n"] * 1000, 1000 * res["libyaml"][0] / res["n"] * 1000) for res in rows))
    report = "\n".join(lines) + "\n"
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write(report)
    print(report)


if __name__ == "__main__":
    main()
