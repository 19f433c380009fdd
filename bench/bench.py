#!/usr/bin/env python3
"""vulngate benchmark driver (python3 standard library only). Called by bench/run.sh.

Runs every tool on the same files, alternating tools within each round so that machine noise
hits all of them alike, and reports medians, ratios and peak RSS (from /usr/bin/time %M).
Writes OUT/results.md, OUT/results.json and OUT/plot.svg.
"""
import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

PY_COUNT = r"""
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
results = doc if isinstance(doc, list) else (doc.get("Results") or [])
counts = {s: 0 for s in ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")}
for r in results:
    for v in r.get("Vulnerabilities") or []:
        s = v.get("Severity", "UNKNOWN")
        counts[s if s in counts else "UNKNOWN"] += 1
print(json.dumps(counts))
"""

JQ_COUNT = (
    '[(if type == "array" then .[] else .Results[]? end) | .Vulnerabilities[]? | .Severity]'
    ' | reduce .[] as $s ({"CRITICAL":0,"HIGH":0,"MEDIUM":0,"LOW":0,"UNKNOWN":0}; .[$s] += 1)'
)


def measure(cmd, ok_codes=(0,), stdin=None):
    """Wall seconds (perf_counter) and peak RSS in KB (/usr/bin/time -f %M)."""
    wall, rss, _cpu, out = measure_cpu(cmd, ok_codes, stdin)
    return wall, rss, out


def measure_cpu(cmd, ok_codes=(0,), stdin=None):
    """As measure, plus the CPU seconds the process used (user + system, /usr/bin/time %U %S):
    what a run costs, less exposed than wall time to other work on a shared machine."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = ["/usr/bin/time", "-f", "%M %U %S", "-o", tf.name] + cmd
        t0 = time.perf_counter()
        p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=stdin)
        wall = time.perf_counter() - t0
        if p.returncode not in ok_codes:
            sys.exit(f"command failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr.decode(errors='replace')[-2000:]}")
        lines = [l for l in open(tf.name).read().splitlines() if l.strip()]
        rss, user, system = lines[-1].split()
    return wall, int(rss), float(user) + float(system), p.stdout


def instructions(cmd):
    """Instructions executed by `cmd` (valgrind --tool=cachegrind, "I refs")."""
    p = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no",
                        "--cachegrind-out-file=/dev/null"] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in p.stderr.splitlines():
        if "I" in line and "refs:" in line:
            return int(line.split("refs:")[1].strip().replace(",", ""))
    sys.exit(f"valgrind gave no instruction count for {' '.join(cmd)}:\n{p.stderr[-2000:]}")


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_s(x):
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def tools_for(args, path, with_all_options=True):
    t = {"floor": ([args.floor, path], (0,))}
    if args.trivy_scan:
        t["trivy-scan"] = ([args.trivy_scan, "--report", path, "--format", "json"], (0,))
    if args.slo_gate:
        # exit 1 = gate failed (the big report has findings); still a complete run.
        t["slo-gate"] = ([args.slo_gate, "--slo", args.slo, "--report", path, "--format", "json"], (0, 1))
        if args.slo_explain and with_all_options:
            # A gate that fails on the big report: every objective explained (text, --explain
            # default 10), fix plans searched and re-evaluated.
            t["slo-gate, explanations"] = (
                [args.slo_gate, "--slo", args.slo_explain, "--report", path], (1,))
    if args.trivy_scan and args.slo_explain and with_all_options:
        # The same two gates inline, in the plain count's own binary: what keeping the
        # findings costs, without the difference between two binaries' code layout.
        t["trivy-scan --slo"] = ([args.trivy_scan, "--report", path, "--slo", args.slo,
                                  "--format", "json"], (0, 1))
        t["trivy-scan --slo, explanations"] = (
            [args.trivy_scan, "--report", path, "--slo", args.slo_explain], (1,))
    t["library (count example)"] = ([args.count, path], (0,))
    if with_all_options:
        if args.trivy_scan:
            t["trivy-scan, all options"] = (
                [args.trivy_scan, "--report", path, "--format", "json", "--unique", "--fixable-only",
                 "--ignore-file", args.ignore], (0,))
        else:
            t["library, all options"] = (
                [args.count, "--unique", "--fixable-only", "--ignore", args.ignore, path], (0,))
    t["python json"] = ([sys.executable, "-c", PY_COUNT, path], (0,))
    if shutil.which("jq"):
        t["jq"] = (["jq", "-c", JQ_COUNT, path], (0,))
    return t


def ours_name(tools):
    return "trivy-scan" if "trivy-scan" in tools else "library (count example)"


def check_counts(args, path, expected_total):
    """Our answer must be right before its speed means anything."""
    _, _, out = measure([args.count, path])
    s = json.loads(out)
    if s["findings"] != expected_total:
        sys.exit(f"library counted {s['findings']} findings in {path}, expected {expected_total}")
    if args.trivy_scan:
        _, _, out = measure([args.trivy_scan, "--report", path, "--format", "json"])
        j = json.loads(out)
        if j.get("total") != expected_total:
            sys.exit(f"trivy-scan counted {j.get('total')} in {path}, expected {expected_total}")
    _, _, out = measure([sys.executable, "-c", PY_COUNT, path])
    if sum(json.loads(out).values()) != expected_total:
        sys.exit("python count disagrees")


def expected_findings(path):
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    rs = d if isinstance(d, list) else d.get("Results") or []
    return sum(len(r.get("Vulnerabilities") or []) for r in rs)


def run_rounds(tools, runs):
    res = {name: {"wall": [], "rss": [], "cpu": []} for name in tools}
    # A new order every round (seeded: runs repeat), so that no tool always runs first.
    order = random.Random(6)
    for _ in range(runs):
        items = list(tools.items())
        order.shuffle(items)
        for name, (cmd, ok) in items:
            w, r, c, _ = measure_cpu(cmd, ok)
            res[name]["wall"].append(w)
            res[name]["rss"].append(r)
            res[name]["cpu"].append(c)
    return res


def svg_plot(series, sizes_mb, path):
    """Two panels (time, peak RSS) against report size; one polyline per tool. Hand-written SVG."""
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf"]
    W, H, pad_l, pad_r, pad_t, pad_b, gap = 980, 420, 70, 20, 40, 50, 80
    pw = (W - pad_l - pad_r - gap) // 2
    ph = H - pad_t - pad_b
    xmax = max(sizes_mb) * 1.05
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H + 30 + 18 * len(series)}" '
             f'font-family="sans-serif" font-size="12">',
             f'<rect width="100%" height="100%" fill="white"/>']
    for panel, (key, label, scale) in enumerate([("wall", "median wall time (s)", 1.0),
                                                 ("rss", "peak RSS (MB)", 1 / 1024)]):
        x0 = pad_l + panel * (pw + gap)
        ymax = max(max(v[key]) * scale for v in series.values()) * 1.1
        def X(mb):
            return x0 + mb / xmax * pw
        def Y(v):
            return pad_t + ph - v / ymax * ph
        parts.append(f'<text x="{x0 + pw / 2}" y="{pad_t - 15}" text-anchor="middle" font-weight="bold">{label} vs report size</text>')
        parts.append(f'<line x1="{x0}" y1="{pad_t + ph}" x2="{x0 + pw}" y2="{pad_t + ph}" stroke="black"/>')
        parts.append(f'<line x1="{x0}" y1="{pad_t}" x2="{x0}" y2="{pad_t + ph}" stroke="black"/>')
        for i in range(6):
            v = ymax * i / 5
            parts.append(f'<line x1="{x0 - 4}" y1="{Y(v):.1f}" x2="{x0 + pw}" y2="{Y(v):.1f}" stroke="#ddd"/>')
            parts.append(f'<text x="{x0 - 6}" y="{Y(v) + 4:.1f}" text-anchor="end">{v:.2f}</text>' if ymax < 10
                         else f'<text x="{x0 - 6}" y="{Y(v) + 4:.1f}" text-anchor="end">{v:.0f}</text>')
        for mb in sizes_mb:
            parts.append(f'<line x1="{X(mb):.1f}" y1="{pad_t + ph}" x2="{X(mb):.1f}" y2="{pad_t + ph + 4}" stroke="black"/>')
            parts.append(f'<text x="{X(mb):.1f}" y="{pad_t + ph + 18}" text-anchor="middle">{mb:.0f}</text>')
        parts.append(f'<text x="{x0 + pw / 2}" y="{pad_t + ph + 36}" text-anchor="middle">report size (MB)</text>')
        for ci, (name, v) in enumerate(series.items()):
            c = colors[ci % len(colors)]
            pts = " ".join(f"{X(mb):.1f},{Y(val * scale):.1f}" for mb, val in zip(sizes_mb, v[key]))
            parts.append(f'<polyline fill="none" stroke="{c}" stroke-width="2" points="{pts}"/>')
            for mb, val in zip(sizes_mb, v[key]):
                parts.append(f'<circle cx="{X(mb):.1f}" cy="{Y(val * scale):.1f}" r="3" fill="{c}"/>')
    ly = H + 10
    for ci, name in enumerate(series):
        c = colors[ci % len(colors)]
        parts.append(f'<rect x="{pad_l}" y="{ly + 18 * ci}" width="14" height="4" fill="{c}"/>')
        parts.append(f'<text x="{pad_l + 20}" y="{ly + 18 * ci + 6}">{name}</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--floor", required=True)
    ap.add_argument("--count", required=True, help="crates/report-formats example `count`")
    ap.add_argument("--trivy-scan")
    ap.add_argument("--slo-gate")
    ap.add_argument("--slo", required=True)
    ap.add_argument("--slo-explain", help="a gate that fails on the big report (explanations)")
    ap.add_argument("--ignore", required=True)
    ap.add_argument("--big", required=True)
    ap.add_argument("--sizes", required=True, help="comma list of report files for the growth curve")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sweep-runs", type=int, default=3)
    ap.add_argument("--image-tar")
    ap.add_argument("--trivy-db")
    ap.add_argument("--wrapper-runs", type=int, default=5)
    ap.add_argument("--scanner-report", action="append", default=[],
                    help="FORMAT:PATH:EXPECTED_FINDINGS, a big report of another scanner (repeatable)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    results = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                           "load_before": os.getloadavg()[0]}}
    big_n = expected_findings(args.big)
    check_counts(args, args.big, big_n)

    # 1. The big report, all tools alternating.
    big_tools = tools_for(args, args.big)
    print(f"big report: {os.path.getsize(args.big) / 1e6:.1f} MB, {big_n} findings, {args.runs} rounds", flush=True)
    big = run_rounds(big_tools, args.runs)
    results["big"] = {"path": args.big, "bytes": os.path.getsize(args.big), "findings": big_n, "tools": big}

    # 2. Growth from 1 MB to the big report.
    sizes = [p for p in args.sizes.split(",") if p]
    sweep = {}
    for p in sizes:
        print(f"sweep: {os.path.getsize(p) / 1e6:.1f} MB", flush=True)
        tools = tools_for(args, p, with_all_options=False)
        tools.pop("slo-gate", None)
        sweep[p] = {"bytes": os.path.getsize(p), "tools": run_rounds(tools, args.sweep_runs)}
    results["sweep"] = sweep

    # 3. Other scanners' big reports: the same reader path, a different adapter.
    scanners = {}
    for spec in args.scanner_report:
        fmt, path, expected = spec.split(":")
        expected = int(expected)
        _, _, out = measure([args.count, path])
        if json.loads(out)["findings"] != expected:
            sys.exit(f"library counted {json.loads(out)['findings']} findings in {path}, expected {expected}")
        tools = {"floor": ([args.floor, path], (0,)), "library (count example)": ([args.count, path], (0,))}
        if args.trivy_scan:
            _, _, out = measure([args.trivy_scan, "--report", path, "--format", "json"])
            if json.loads(out).get("total") != expected:
                sys.exit(f"trivy-scan counted {json.loads(out).get('total')} in {path}, expected {expected}")
            tools["trivy-scan"] = ([args.trivy_scan, "--report", path, "--format", "json"], (0,))
        print(f"{fmt}: {os.path.getsize(path) / 1e6:.1f} MB, {expected} findings, {args.runs} rounds", flush=True)
        scanners[fmt] = {"path": path, "bytes": os.path.getsize(path), "findings": expected,
                         "tools": run_rounds(tools, args.runs)}
    results["scanners"] = scanners

    # 4. Wrapper overhead: trivy-scan --input vs bare trivy with the same flags, offline.
    if args.trivy_scan and args.image_tar and args.trivy_db and shutil.which("trivy"):
        cache = os.path.join(args.out, "cache")
        os.makedirs(os.path.join(cache, "db"), exist_ok=True)
        for f in ("trivy.db", "metadata.json"):
            shutil.copy(os.path.join(args.trivy_db, f), os.path.join(cache, "db", f))
        outp = os.path.join(args.out, "bare-trivy.json")
        bare = ["trivy", "image", "--input", args.image_tar, "--offline-scan", "--skip-db-update",
                "--scanners", "vuln", "--cache-dir", cache, "--format", "json", "--quiet", "--output", outp]
        ours = [args.trivy_scan, "--input", args.image_tar, "--offline", "--cache-dir", cache,
                "--format", "json"]
        print(f"wrapper overhead: {args.wrapper_runs} rounds", flush=True)
        results["wrapper"] = run_rounds({"bare trivy image --input": (bare, (0,)),
                                         "trivy-scan --input": (ours, (0,))}, args.wrapper_runs)
    # 5. Startup: plain spawns (no /usr/bin/time in between), against /bin/true spawned the
    #    same way, so the harness's own cost is visible.
    if args.trivy_scan:
        def spawn(cmd):
            t0 = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            return time.perf_counter() - t0
        walls, base = [], []
        for _ in range(50):
            walls.append(spawn([args.trivy_scan, "--help"]))
            base.append(spawn(["/bin/true"]))
        results["help"] = {"wall": walls, "bin_true": base}
    # 6. Instructions (valgrind's cachegrind, when installed): deterministic, so the cost of
    #    keeping the findings shows without the machine's noise (wall and CPU times on a
    #    shared 2-CPU machine move by 20% or more between rounds of the same command).
    if shutil.which("valgrind"):
        wanted = ["trivy-scan", "trivy-scan --slo", "trivy-scan --slo, explanations",
                  "slo-gate", "slo-gate, explanations"]
        results["instructions"] = {}
        for name in [n for n in wanted if n in big_tools]:
            print(f"instructions: {name}", flush=True)
            results["instructions"][name] = instructions(big_tools[name][0])
    results["machine"]["load_after"] = os.getloadavg()[0]

    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    write_markdown(results, args)
    series = {}
    size_mb = [sweep[p]["bytes"] / 1e6 for p in sizes]
    for name in next(iter(sweep.values()))["tools"]:
        series[name] = {"wall": [med(sweep[p]["tools"][name]["wall"]) for p in sizes],
                        "rss": [med(sweep[p]["tools"][name]["rss"]) for p in sizes]}
    svg_plot(series, size_mb, os.path.join(args.out, "plot.svg"))
    print(open(os.path.join(args.out, "results.md")).read())


def verdict(ok):
    if ok is None:
        return "informational"
    return "met" if ok else "**missed**"


def write_markdown(r, args):
    big = r["big"]["tools"]
    ours = ours_name(big)
    floor_t = med(big["floor"]["wall"])
    L = []
    m = r["machine"]
    L.append(f"Machine: {m['cpus']} CPUs, {m['platform']}; load average {m['load_before']:.1f} before, "
             f"{m['load_after']:.1f} after (the machine is shared; figures are ratios measured in the same rounds).")
    L.append("")
    L.append(f"### Big report: {r['big']['bytes'] / 1e6:.1f} MB, {r['big']['findings']} findings, "
             f"median of {args.runs} alternating rounds")
    L.append("")
    L.append("| tool | median s | min s | max s | x floor | median CPU s | peak RSS MB |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, v in big.items():
        L.append(f"| {name} | {fmt_s(med(v['wall']))} | {fmt_s(min(v['wall']))} | {fmt_s(max(v['wall']))} | "
                 f"{med(v['wall']) / floor_t:.2f} | {fmt_s(med(v['cpu']))} | {med(v['rss']) / 1024:.1f} |")
    L.append("")
    t_ours = med(big[ours]["wall"])
    checks = []
    checks.append((f"{ours} within 1.3x the floor", t_ours / floor_t, t_ours / floor_t <= 1.3))
    if "slo-gate" in big:
        x = med(big["slo-gate"]["wall"]) / floor_t
        checks.append(("slo-gate --report within 1.3x the floor", x, x <= 1.3))
    if "trivy-scan --slo, explanations" in big:
        # The cost of keeping the findings (compact records), in the plain count's own binary:
        # CPU time (user + system) and wall time.
        for key, unit in (("cpu", "CPU time"), ("wall", "wall time")):
            plain = med(big["trivy-scan"][key])
            x = med(big["trivy-scan --slo, explanations"][key]) / plain
            checks.append((f"findings kept, failing gate explained and planned (trivy-scan --slo) within 1.10x the plain count, {unit}", x, x <= 1.10))
            x = med(big["trivy-scan --slo"][key]) / plain
            checks.append((f"findings kept, passing gate (trivy-scan --slo) within 1.10x the plain count, {unit}", x, x <= 1.10))
    ins = r.get("instructions", {})
    if "trivy-scan" in ins:
        plain = ins["trivy-scan"]
        L.append("Instructions executed on the big report (valgrind cachegrind, deterministic):")
        L.append("")
        L.append("| tool | instructions | x plain count |")
        L.append("| --- | ---: | ---: |")
        for name, n in ins.items():
            L.append(f"| {name} | {n:,} | {n / plain:.3f} |")
        L.append("")
        for name, what in (("trivy-scan --slo, explanations", "findings kept, failing gate explained and planned (trivy-scan --slo)"),
                           ("trivy-scan --slo", "findings kept, passing gate (trivy-scan --slo)"),
                           ("slo-gate, explanations", "slo-gate --report, failing gate explained and planned"),
                           ("slo-gate", "slo-gate --report, passing gate")):
            if name in ins:
                x = ins[name] / plain
                checks.append((f"{what} within 1.10x the plain count, instructions", x, x <= 1.10))
        # The least-disturbed round of each: noise only ever adds time.
        for name in ("trivy-scan --slo, explanations", "trivy-scan --slo"):
            if name in big:
                x = min(big[name]["wall"]) / min(big["trivy-scan"]["wall"])
                checks.append((f"{name} against the plain count, fastest round of each, wall time", x, x <= 1.10))
    if "slo-gate, explanations" in big and "trivy-scan" in big:
        # The same across two binaries (slo-gate against trivy-scan): informational, as code
        # layout alone moves the same read path by up to 10% between binaries.
        plain = med(big["trivy-scan"]["wall"])
        for name in ("slo-gate", "slo-gate, explanations"):
            x = med(big[name]["wall"]) / plain
            checks.append((f"{name} against the plain count (trivy-scan), wall time (another binary)", x, None))
        rss = med(big["slo-gate, explanations"]["rss"]) / 1024
        checks.append(("slo-gate with explanations peak RSS (MB; bounded by the findings kept)", rss, rss < 64))
    rss_big = med(big[ours]["rss"]) / 1024
    checks.append((f"{ours} peak RSS under 32 MB ({r['big']['bytes'] / 1e6:.0f} MB report, MB)", rss_big, rss_big < 32))
    sweep = r["sweep"]
    smallest = min(sweep.values(), key=lambda s: s["bytes"])
    rss_small = med(smallest["tools"][ours]["rss"]) / 1024
    grow = rss_big / rss_small - 1
    checks.append((f"{ours} peak RSS within 10% of the {smallest['bytes'] / 1e6:.0f} MB report's ({rss_small:.1f} MB), %",
                   grow * 100, abs(grow) <= 0.10))
    if "python json" in big:
        x = med(big["python json"]["wall"]) / t_ours
        checks.append(("at least 6x faster than python json", x, x >= 6))
    if "jq" in big:
        x = med(big["jq"]["wall"]) / t_ours
        checks.append(("at least 10x faster than jq", x, x >= 10))
    allopt = [k for k in big if "all options" in k]
    if allopt:
        x = med(big[allopt[0]]["wall"]) / t_ours
        checks.append(("every option on within 1.5x the plain count", x, x <= 1.5))
    if "wrapper" in r:
        w = r["wrapper"]
        bare = med(w["bare trivy image --input"]["wall"])
        oursw = med(w["trivy-scan --input"]["wall"])
        x = (oursw / bare - 1) * 100
        checks.append(("trivy-scan --input within 5% of bare trivy (median wall, %)", x, x <= 5))
    if "help" in r:
        x = med(r["help"]["wall"]) * 1000
        checks.append(("trivy-scan --help under 10 ms (median ms, whole process incl. spawn)", x, x < 10))
    for fmt, sc in r.get("scanners", {}).items():
        t = sc["tools"]
        who = "trivy-scan" if "trivy-scan" in t else "library (count example)"
        x = med(t[who]["wall"]) / med(t["floor"]["wall"])
        checks.append((f"{who} on the {sc['bytes'] / 1e6:.0f} MB {fmt} report within 1.5x the floor", x, x <= 1.5))
        rss = med(t[who]["rss"]) / 1024
        checks.append((f"{who} peak RSS on the {fmt} report under 32 MB (MB)", rss, rss < 32))
    L.append("| target | measured | verdict |")
    L.append("| --- | ---: | --- |")
    for name, val, ok in checks:
        L.append(f"| {name} | {val:.2f} | {verdict(ok)} |")
    L.append("")
    for fmt, sc in r.get("scanners", {}).items():
        L.append(f"### {fmt} report: {sc['bytes'] / 1e6:.1f} MB, {sc['findings']} findings, "
                 f"median of {args.runs} alternating rounds")
        L.append("")
        L.append("| tool | median s | min s | max s | x floor | peak RSS MB |")
        L.append("| --- | ---: | ---: | ---: | ---: | ---: |")
        ft = med(sc["tools"]["floor"]["wall"])
        for name, v in sc["tools"].items():
            L.append(f"| {name} | {fmt_s(med(v['wall']))} | {fmt_s(min(v['wall']))} | {fmt_s(max(v['wall']))} | "
                     f"{med(v['wall']) / ft:.2f} | {med(v['rss']) / 1024:.1f} |")
        L.append("")
    L.append(f"### Growth (median of {args.sweep_runs} rounds per size)")
    L.append("")
    names = list(next(iter(sweep.values()))["tools"])
    L.append("| size MB | " + " | ".join(f"{n} s" for n in names) + " | " + " | ".join(f"{n} RSS MB" for n in names) + " |")
    L.append("| ---: | " + " | ".join("---:" for _ in names * 2) + " |")
    for p, s in sorted(sweep.items(), key=lambda kv: kv[1]["bytes"]):
        L.append(f"| {s['bytes'] / 1e6:.1f} | " + " | ".join(fmt_s(med(s["tools"][n]["wall"])) for n in names) + " | "
                 + " | ".join(f"{med(s['tools'][n]['rss']) / 1024:.1f}" for n in names) + " |")
    if "wrapper" in r:
        L.append("")
        L.append(f"### Wrapper overhead (offline scan of the fixture image tar, {args.wrapper_runs} alternating rounds)")
        L.append("")
        L.append("| command | median s | min s | max s | peak RSS MB |")
        L.append("| --- | ---: | ---: | ---: | ---: |")
        for name, v in r["wrapper"].items():
            L.append(f"| {name} | {fmt_s(med(v['wall']))} | {fmt_s(min(v['wall']))} | {fmt_s(max(v['wall']))} | {med(v['rss']) / 1024:.1f} |")
    if "help" in r:
        h = r["help"]["wall"]
        t = r["help"].get("bin_true", [])
        L.append("")
        L.append(f"`trivy-scan --help`: median {med(h) * 1000:.1f} ms, min {min(h) * 1000:.1f} ms over {len(h)} spawns "
                 f"from python; `/bin/true` spawned the same way: median {med(t) * 1000:.1f} ms, min {min(t) * 1000:.1f} ms.")
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    main()
