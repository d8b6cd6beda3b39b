#!/usr/bin/env python3
"""`make bench`: time iotopo against the floors and the reference tool on generated
platforms, on this machine, and print a markdown report (also written to
bench/out/results.md). Medians of several runs; peak memory from the kernel's rusage.

Two parts:
- compile: `iotopo check` against libyaml's bare event parse and dtc, at 2k, 20k and 200k
  devices;
- engine: ten million DMAs over the 20,000-device platform in `--summary` mode, once
  hitting mostly in the IOTLB and once mostly walking, against bench/pagehash.c doing the
  same number of lookups in a hash table of the same pages; runs alternate with the C
  program so both see the same machine noise. Also the peak memory of the walk at one and
  at ten million steps (it must not grow with the number of steps).

- analysis: `iotopo groups`, `reach` and `graph` against `check` at each size;
- golden: `iotopo test` on the bundled project, on a heavy generated project with one and
  with every core, and the cost of a diff on a large golden.
- import: `iotopo fleet` over the corpus of real lspci reports beside the project (when it is
  there), and `iotopo import` and `groups --compare recorded` of generated server reports
  (bench/gen_lspci.py) of about 2k, 20k and 100k functions.

    bench/run.py [--sizes 2000,20000,200000] [--runs N] [--quick] [--only compile|engine|golden|analysis|mistakes|import|firmware]
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


def run_once(cmd, ok=(0,)):
    """Wall time (s) and peak RSS (KiB) of one run, measured by GNU time (a fork of this
    Python process would count Python's own memory); raises if the command exits with a
    status not in `ok`."""
    p = subprocess.run(["/usr/bin/time", "-f", "IOTOPO-BENCH %e %M"] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    err = p.stderr.decode(errors="replace")
    if p.returncode not in ok:
        raise RuntimeError("%s failed:\n%s" % (" ".join(cmd), err[-2000:]))
    line = [l for l in err.splitlines() if l.startswith("IOTOPO-BENCH ")][-1]
    _, elapsed, rss = line.split()
    return float(elapsed), int(rss)


def measure(cmd, runs, ok=(0,)):
    times, peaks = [], []
    for _ in range(runs):
        t, m = run_once(cmd, ok)
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


def ensure_engine_inputs(n, steps_list):
    """The platform, the hit and walk workloads for each step count, and the C floor."""
    y, _, _ = ensure_inputs(n)
    gen = os.path.join(HERE, "gen_workloads.py")
    work = {}
    for steps in steps_list:
        hit = os.path.join(OUT, "hit%d-%d.yaml" % (n, steps))
        walk = os.path.join(OUT, "walk%d-%d.yaml" % (n, steps))
        if not all(os.path.exists(f) and os.path.getmtime(f) >= os.path.getmtime(gen) for f in (hit, walk)):
            subprocess.check_call([sys.executable, gen, str(n), y, hit, walk, str(steps)])
        work[steps] = (hit, walk)
    exe = os.path.join(OUT, "pagehash")
    src = os.path.join(HERE, "pagehash.c")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        subprocess.check_call(["cc", "-O2", "-o", exe, src])
    return y, work, exe


def engine_once(workload):
    """The engine's own time for the steps (IOTOPO_TIMINGS reports it apart from compiling
    the platform), the whole run's wall time and its peak RSS (KiB)."""
    env = dict(os.environ, IOTOPO_TIMINGS="1")
    p = subprocess.run(["/usr/bin/time", "-f", "IOTOPO-BENCH %e %M", IOTOPO, "run", "--summary", workload],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    err = p.stderr.decode(errors="replace")
    if p.returncode != 0:
        raise RuntimeError("iotopo run %s failed:\n%s" % (workload, err[-2000:]))
    run_ms = None
    for line in err.splitlines():
        parts = line.split()
        if line.startswith("iotopo timing: run ") and parts[-1] == "ms":
            run_ms = float(parts[-2])
    wall, rss = [l for l in err.splitlines() if l.startswith("IOTOPO-BENCH ")][-1].split()[1:]
    if "expectations:" not in p.stdout.decode() or run_ms is None:
        raise RuntimeError("unexpected output from iotopo run %s" % workload)
    return run_ms / 1000, float(wall), int(rss)


def floor_once(exe, n, kind):
    out = subprocess.check_output([exe, str(n), kind]).decode()
    # "walk: 10000000 lookups in 0.755 s = 13.2 M/s (checksum ...)"
    return float(out.split(" in ")[1].split()[0])


def engine_bench(runs):
    n, steps = 20000, 10_000_000
    y, work, exe = ensure_engine_inputs(n, [1_000_000, steps])
    lines = ["| path | iotopo engine (median of %d) | DMAs per second | C hash lookups | lookups per second | iotopo / C | whole run (compile + engine) | peak memory |" % runs,
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for kind, idx in (("hit", 0), ("walk", 1)):
        eng, wall, peak, floor = [], [], [], []
        print("== engine, %s path: %d DMAs, %d runs alternating with the C floor" % (kind, steps, runs), file=sys.stderr)
        for _ in range(runs):
            t, w, m = engine_once(work[steps][idx])
            eng.append(t); wall.append(w); peak.append(m)
            floor.append(floor_once(exe, n, kind))
        et, ft = statistics.median(eng), statistics.median(floor)
        print("   iotopo %.3f s (%s)   C %.3f s (%s)" % (et, " ".join("%.2f" % x for x in eng), ft, " ".join("%.2f" % x for x in floor)), file=sys.stderr)
        lines.append("| %s | %.3f s | %.1f M/s | %.3f s | %.1f M/s | %.1fx | %.2f s | %.0f MB |" % (
            kind, et, steps / et / 1e6, ft, steps / ft / 1e6, et / ft, statistics.median(wall), max(peak) / 1024))
    small = [engine_once(work[1_000_000][1])[2] for _ in range(3)]
    big = [engine_once(work[steps][1])[2] for _ in range(3)]
    lines.append("")
    lines.append("Peak memory of the walk workload: %.1f MB at 1,000,000 steps, %.1f MB at 10,000,000 steps (%.2fx for 10x the steps)." % (
        max(small) / 1024, max(big) / 1024, max(big) / max(small)))
    return "\n".join(lines) + "\n"


def golden_project(platforms, devices, repeat):
    """A project of `platforms` copies of a generated platform, each with a workload that
    prints devices x repeat step lines; goldens created by iotopo itself."""
    proj = os.path.join(OUT, "golden-proj-%d-%d-%d" % (platforms, devices, repeat))
    y, _, _ = ensure_inputs(devices)
    if not os.path.isdir(os.path.join(proj, "golden")):
        for i in range(platforms):
            d = os.path.join(proj, "topologies", "p%d" % i, "workloads")
            os.makedirs(d, exist_ok=True)
            with open(y) as src, open(os.path.join(proj, "topologies", "p%d" % i, "platform.yaml"), "w") as dst:
                dst.write(src.read())
            with open(os.path.join(d, "steps.yaml"), "w") as f:
                f.write("workload: {name: steps, topology: ../platform.yaml}\nsteps:\n")
                f.write("  - dma: {device: {each: \"dev{i}\", count: %d}, op: read, address: 0x10_0000, size: 64}\n" % devices)
                f.write("    repeat: %d\n" % repeat)
        env = dict(os.environ)
        env.pop("CI", None)
        subprocess.run([IOTOPO, "test", "--root", proj, "--update=all"], stdout=subprocess.DEVNULL, env=env, check=True)
    return proj


def golden_bench(runs):
    """`iotopo test`: the bundled cases, the scaling over cores of a heavy project, and the
    cost of diffing a 40,000-line golden with a few scattered changes and with every line
    changed (the edit budget keeps the latter bounded)."""
    env_ci = dict(os.environ, CI="true")
    lines = []
    t, m = measure([IOTOPO, "test", "--root", ROOT, "--color", "never"], runs)
    cases = len([l for l in subprocess.run([IOTOPO, "test", "--root", ROOT, "--format", "json"], capture_output=True, env=env_ci).stdout.decode().splitlines() if '"name":' in l])
    lines.append("Bundled project: %d cases in %.2f s (median of %d), peak %.0f MB." % (cases, t, runs, m / 1024))
    lines.append("")
    proj = golden_project(8, 2000, 20)
    out_lines = sum(1 for _ in open(os.path.join(proj, "golden", "p0", "workloads", "steps.txt")))
    print("== golden: 16 cases of a 2,000-device platform, %d-line workload goldens" % out_lines, file=sys.stderr)
    cores = os.cpu_count() or 1
    lines.append("| heavy project: 8 platforms x (summary + %d-line workload) | --jobs 1 | --jobs %d | speed-up |" % (out_lines, cores))
    lines.append("| --- | ---: | ---: | ---: |")
    t1, _ = measure([IOTOPO, "test", "--root", proj, "--jobs", "1"], runs)
    tn, mn = measure([IOTOPO, "test", "--root", proj, "--jobs", str(cores)], runs)
    lines.append("| all pass | %.2f s | %.2f s | %.2fx |" % (t1, tn, t1 / tn))
    lines.append("")
    golden = os.path.join(proj, "golden", "p0", "workloads", "steps.txt")
    with open(golden) as f:
        original = f.read()
    rows = original.split("\n")
    target = ["topologies/p0/workloads/steps.yaml"]
    try:
        t_match, _ = measure([IOTOPO, "test", "--root", proj] + target, runs)
        scattered = list(rows)
        for k in range(10):
            i = (k * 2 + 1) * len(rows) // 21
            scattered[i] = scattered[i] + " (changed)"
        with open(golden, "w") as f:
            f.write("\n".join(scattered))
        t_few, _ = measure([IOTOPO, "test", "--root", proj] + target, runs, ok=(1,))
        with open(golden, "w") as f:
            f.write("\n".join(r + " (changed)" if r else r for r in rows))
        t_all, m_all = measure([IOTOPO, "test", "--root", proj] + target, runs, ok=(1,))
    finally:
        with open(golden, "w") as f:
            f.write(original)
    lines.append("| one %d-line workload case | time | over matching |" % out_lines)
    lines.append("| --- | ---: | ---: |")
    lines.append("| golden matches | %.3f s | |" % t_match)
    lines.append("| 10 scattered lines differ (10 hunks shown) | %.3f s | +%.3f s |" % (t_few, t_few - t_match))
    lines.append("| every line differs (edit budget: one replaced block) | %.3f s | +%.3f s (peak %.0f MB) |" % (t_all, t_all - t_match, m_all / 1024))
    return "\n".join(lines) + "\n"


def analysis_bench(sizes, runs):
    """`iotopo groups`, `reach` and `graph` against `check` of the same platform: what the
    analysis adds to compiling."""
    lines = ["| devices | check | groups --why --passthrough | reach | graph (dot) | groups over check | peak memory (reach) |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for n in sizes:
        y, _, _ = ensure_inputs(n)
        r = 3 if n >= 200000 else runs
        print("== analysis, %d devices, %d runs each" % (n, r), file=sys.stderr)
        base = [IOTOPO]
        t = {}
        for name, cmd in (("check", ["check"]), ("groups", ["groups", "--why", "--passthrough"]), ("reach", ["reach"]), ("graph", ["graph"])):
            t[name] = measure(base + cmd + ["--max-file-size", "512MiB", y], r)
        lines.append("| %d | %.2f s | %.2f s | %.2f s | %.2f s | %.2fx | %.0f MB |" % (
            n, t["check"][0], t["groups"][0], t["reach"][0], t["graph"][0], t["groups"][0] / t["check"][0], t["reach"][1] / 1024))
    return "\n".join(lines) + "\n"


MISTAKES_HEADER = """platform: {name: t}
memory:
  - {name: dram, base: 0x0, size: 2GiB}
buses:
  - {name: system, kind: system}
  - {name: pcie0, kind: pcie, number: 0}
bridges:
  - {name: rc0, kind: root-complex, upstream: system, downstream: pcie0}
iommus:
  - {name: dmar0, kind: intel-vtd, at: rc0}
"""


def ensure_mistake_inputs():
    """Three files full of one kind of mistake each, at a size where searching for "did
    you mean" hints used to dominate (RELIABILITY.md, findings 6 to 8)."""
    files = {}
    # A 100,000-instance template with an unknown key and a misspelt suppression.
    files["repeated"] = MISTAKES_HEADER + """devices:
  - name: "dev{i}"
    count: 100000
    bus: system
    dma: false
    colour: red
    suppress: {dma-without-iommu-x: "because"}
"""
    # 20,000 attachments, each naming a missing device (dex0...) among 20,000 (dev0...).
    att = [MISTAKES_HEADER, 'devices:\n  - {count: 20000, name: "dev{i}", bus: system, dma: false}\n',
           "domains:\n  - {name: dom, iommu: dmar0}\nattachments:\n"]
    att += ["  - {device: dex%d, domain: dom}\n" % i for i in range(20000)]
    files["distinct"] = "".join(att)
    # The platform of 20,000 devices alone, and a 20,000-step workload template that misses
    # a device at every instance.
    files["platform"] = MISTAKES_HEADER + 'devices:\n  - {count: 20000, name: "dev{i}", bus: system, dma: false}\n'
    files["workload"] = """workload: {name: w, topology: mistakes-platform.yaml}
steps:
  - count: 20000
    dma: {device: "dex{i}", op: read, address: 0x1000, size: 64}
"""
    # Containers copied on every change (RELIABILITY.md, "Copies on hot paths"): 800,000
    # devices on one bus, and 200,000 map steps into one domain.
    files["onebus"] = MISTAKES_HEADER + 'devices:\n  - {count: 800000, name: "dev{i}", bus: system, dma: false}\n'
    files["maps-platform"] = MISTAKES_HEADER + """devices:
  - {name: nvme0, bus: pcie0, rid: 00:01.0}
domains:
  - {name: dom, iommu: dmar0}
attachments:
  - {device: nvme0, domain: dom}
"""
    files["maps"] = """workload: {name: maps, topology: mistakes-maps-platform.yaml}
steps:
  - count: 200000
    map: {domain: dom, iova: "0x{i}000", phys: 0x1000, size: 4KiB}
"""
    # Diagnostics without a cap (RELIABILITY.md, "Diagnostics without a cap"): a file just
    # under the 32 MiB limit of 6.7 million duplicate keys, and 300,000 devices from one
    # template sharing one requester ID (a model check, folded into one error).
    files["dupkeys"] = "platform: {name: t}\n" + "k: 1\n" * 6700000
    files["samerid"] = MISTAKES_HEADER + 'devices:\n  - {count: 300000, name: "dev{i}", bus: pcie0, rid: "00:01.0"}\n'
    # The audit of containers changed in place (RELIABILITY.md, "Copies on hot paths"):
    # maps in descending IOVA order (each an insertion at the front of one sorted array),
    # maps then unmaps from the front, and maps on a 20,000-device platform (each map
    # scanned every context slot for a user of the domain).
    files["descmaps"] = """workload: {name: descmaps, topology: mistakes-maps-platform.yaml}
steps:
  - count: 200000
    map: {domain: dom, iova: "(200000 - {i}) * 4KiB", phys: 0x1000, size: 4KiB}
"""
    files["unmaps"] = """workload: {name: unmaps, topology: mistakes-maps-platform.yaml}
steps:
  - count: 100000
    map: {domain: dom, iova: "{i} * 4KiB", phys: 0x1000, size: 4KiB}
  - count: 100000
    unmap: {domain: dom, iova: "{i} * 4KiB", size: 4KiB}
"""
    files["manymaps"] = """workload: {name: manymaps, topology: p20000.yaml}
steps:
  - count: 200000
    map: {domain: dom0, iova: "0x80_0000_0000 - {i} * 4KiB", phys: 0x1000, size: 4KiB}
"""
    # One line of 50,000 flow entries, each with an unknown key: up to 1,000 diagnostics
    # on one 2 MB line, whose snippet decoded the whole line each time.
    files["longline"] = "platform: {name: t}\nbuses: [{name: system, kind: system}]\ndevices: [" + ", ".join(
        "{name: d%d, bus: system, colour: red}" % i for i in range(50000)) + "]\n"
    # A DMA split into pages (RELIABILITY.md, "A DMA split into pages"): 16 TiB mapped in
    # 4 KiB pages, then one DMA over all of it (four billion page lookups, one segment).
    files["bigdma-platform"] = files["maps-platform"].replace("size: 2GiB}", "size: 64TiB}")
    files["bigdma"] = """workload: {name: bigdma, topology: mistakes-bigdma-platform.yaml}
steps:
  - map: {domain: dom, iova: 0x0, phys: 0x1000_0000_0000, size: 16TiB, page-size: 4KiB}
  - dma: {device: nvme0, op: write, address: 0x0, size: 16TiB}
"""
    paths = {}
    for name, text in files.items():
        path = os.path.join(OUT, "mistakes-%s.yaml" % name)
        if not os.path.exists(path) or open(path).read() != text:
            with open(path, "w") as f:
                f.write(text)
        paths[name] = path
    return paths


def mistakes_bench(runs):
    """Files with many mistakes: each must be reported in about the time a clean file of
    the same size compiles, not in minutes."""
    ensure_inputs(20000)
    p = ensure_mistake_inputs()
    lines = ["| input | command | time | peak memory |", "| --- | --- | ---: | ---: |"]
    cases = (
        ("100,000 instances of a device with an unknown key and a misspelt suppression", ["check", p["repeated"]]),
        ("20,000 attachments naming missing devices, among 20,000 devices", ["check", p["distinct"]]),
        ("a 20,000-step template missing a device at every step, among 20,000 devices", ["run", p["workload"]]),
        ("800,000 devices on one bus (no mistake: each append copied the bus's list)", ["check", p["onebus"]]),
        ("200,000 map steps into one domain (no mistake: each map copied the mapping list)", ["run", "--summary", p["maps"]]),
        ("6.7 million duplicate keys in a 32 MiB file", ["check", p["dupkeys"]]),
        ("300,000 devices from one template sharing a requester ID", ["check", p["samerid"]]),
        ("one 2 MB line of 50,000 entries, each with an unknown key", ["check", p["longline"]]),
        ("one DMA over 16 TiB mapped in 4 KiB pages", ["run", "--summary", p["bigdma"]]),
        ("200,000 map steps in descending IOVA order", ["run", "--summary", p["descmaps"]]),
        ("100,000 maps, then 100,000 unmaps from the lowest IOVA up", ["run", "--summary", p["unmaps"]]),
        ("200,000 map steps on the 20,000-device platform", ["run", "--summary", "--max-file-size", "512MiB", p["manymaps"]]),
    )
    for what, cmd in cases:
        print("== mistakes: %s, %d runs" % (what, runs), file=sys.stderr)
        t, m = measure([IOTOPO] + cmd, runs, ok=(0, 1))
        lines.append("| %s | `iotopo %s` | %.2f s | %.0f MB |" % (what, cmd[0], t, m / 1024))
    return "\n".join(lines) + "\n"


CORPUS = os.path.join(ROOT, "..", "shared", "corpus", "lspci")
ACPI_CORPUS = os.path.join(ROOT, "..", "shared", "corpus", "acpi")


def firmware_bench(runs, quick):
    """Reading the corpus's DMAR, IVRS and IORT tables (in process, median of 1000 reads of
    each), the whole firmware fleet, and generated device trees through import."""
    out = ""
    if os.path.isdir(ACPI_CORPUS):
        print("== firmware, the ACPI corpus: parse timing", file=sys.stderr)
        p = subprocess.run([IOTOPO, "fleet", ACPI_CORPUS, "--parse-timing", "1000"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        timing = p.stderr.decode(errors="replace").strip()
        t, m = measure([IOTOPO, "fleet", ACPI_CORPUS], max(runs, 5))
        out += "```text\n" + timing + "\n```\n\n"
        out += "| corpus | fleet (read, cross-check with iasl, import, check) | peak memory |\n| --- | ---: | ---: |\n"
        out += "| ../shared/corpus/acpi | %.3f s | %.0f MB |\n\n" % (t, m / 1024)
    else:
        out += "(the ACPI corpus is absent: %s)\n\n" % ACPI_CORPUS
    lines = ["| masters | DTB | import -o | check of what import wrote | peak memory (import) |", "| ---: | ---: | ---: | ---: | ---: |"]
    for n in ([11500] if quick else [1000, 11500, 50000]):
        dtb = os.path.join(OUT, "soc-%d.dtb" % n)
        gen = os.path.join(HERE, "gen_dtb.py")
        if not os.path.exists(dtb) or os.path.getmtime(dtb) < os.path.getmtime(gen):
            subprocess.check_call([sys.executable, gen, str(n), dtb])
        yaml = os.path.join(OUT, "soc-%d.yaml" % n)
        print("== firmware, a DTB of %d masters, %d runs" % (n, runs), file=sys.stderr)
        ti = measure([IOTOPO, "import", "--max-file-size", "512MiB", dtb, "-o", yaml], runs)
        tc = measure([IOTOPO, "check", "--max-file-size", "512MiB", yaml], runs, ok=(0, 1))
        lines.append("| %d | %.2f MB | %.3f s | %.3f s | %.0f MB |" % (n, os.path.getsize(dtb) / 1e6, ti[0], tc[0], ti[1] / 1024))
    return out + "\n".join(lines) + "\n"


def import_bench(runs, quick):
    """The corpus of real machines through `iotopo fleet` (import, check, groups with each
    kernel's quirks, compare), and generated servers through import and compare."""
    out = ""
    if os.path.isdir(CORPUS):
        n = len([f for f in os.listdir(CORPUS) if f.endswith(".txt")])
        print("== import, the corpus (%d reports), %d runs" % (n, max(runs, 5)), file=sys.stderr)
        t, m = measure([IOTOPO, "fleet", CORPUS], max(runs, 5))
        out += "| corpus | reports | fleet (import, check, groups, compare) | per report | peak memory |\n| --- | ---: | ---: | ---: | ---: |\n"
        out += "| ../shared/corpus/lspci | %d | %.3f s | %.1f ms | %.0f MB |\n\n" % (n, t, t / n * 1000, m / 1024)
    else:
        out += "(the corpus is absent: %s)\n\n" % CORPUS
    lines = ["| functions | lspci text | import -o | groups --compare recorded | peak memory (compare) |",
             "| ---: | ---: | ---: | ---: | ---: |"]
    for domains in ([20] if quick else [2, 20, 100]):
        txt = os.path.join(OUT, "lspci-%d.txt" % domains)
        gen = os.path.join(HERE, "gen_lspci.py")
        if not os.path.exists(txt) or os.path.getmtime(txt) < os.path.getmtime(gen):
            subprocess.check_call([sys.executable, gen, str(domains), txt])
        with open(txt) as f:
            functions = sum(1 for line in f if line[:1] != "\t" and line.strip())
        r = 3 if domains >= 100 else runs
        print("== import, %d functions, %d runs each" % (functions, r), file=sys.stderr)
        ti = measure([IOTOPO, "import", "--max-file-size", "512MiB", txt, "-o", os.path.join(OUT, "imported.yaml")], r)
        tc = measure([IOTOPO, "groups", "--max-file-size", "512MiB", "--compare", "recorded", txt], r)
        lines.append("| %d | %.1f MB | %.2f s | %.2f s | %.0f MB |" % (functions, os.path.getsize(txt) / 1e6, ti[0], tc[0], tc[1] / 1024))
    return out + "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="2000,20000,200000")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="one size (20000), three runs")
    ap.add_argument("--full", action="store_true", help="also run dtc with labels at 200k devices (about 20 minutes: it is quadratic)")
    ap.add_argument("--only", choices=["compile", "engine", "golden", "analysis", "mistakes", "import", "firmware"], help="run one part")
    args = ap.parse_args()
    sizes = [20000] if args.quick else [int(s) for s in args.sizes.split(",")]
    runs = 3 if args.quick else args.runs
    os.makedirs(OUT, exist_ok=True)
    if not os.path.exists(IOTOPO):
        sys.exit("build the release binary first: swift build -c release")
    report = ""
    if args.only in (None, "compile"):
        report += "## Compile\n\n" + compile_bench(args, sizes, runs) + "\n"
    if args.only in (None, "engine"):
        report += "## Engine\n\n" + engine_bench(max(runs, 5)) + "\n"
    if args.only in (None, "golden"):
        report += "## Golden runs\n\n" + golden_bench(max(runs, 5)) + "\n"
    if args.only in (None, "analysis"):
        report += "## Isolation analysis\n\n" + analysis_bench(sizes, runs) + "\n"
    if args.only in (None, "mistakes"):
        report += "## Mistakes at scale\n\n" + mistakes_bench(runs) + "\n"
    if args.only in (None, "import"):
        report += "## Import\n\n" + import_bench(runs, args.quick) + "\n"
    if args.only in (None, "firmware"):
        report += "## Firmware\n\n" + firmware_bench(runs, args.quick) + "\n"
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write(report)
    print(report)


def compile_bench(args, sizes, runs):
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
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
