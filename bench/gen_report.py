#!/usr/bin/env python3
"""Generate large Trivy reports for the benchmark (python3 standard library only).

The base is the real trivy v0.20 report of a CentOS 7 image (1 result, 711 findings). Its result
is repeated N times, each copy with a distinct Target, so 75 copies give 53,325 findings
(about 111 MB). Smaller files keep a prefix of the findings of a single copy.
"""
import argparse
import copy
import json
import os


def write(doc, path):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, path)


def repeated(base, copies):
    doc = copy.copy(base)
    (result,) = base["Results"]
    results = []
    for i in range(copies):
        r = dict(result)
        r["Target"] = f"{result['Target']} copy {i + 1}"
        results.append(r)
    doc["Results"] = results
    return doc


def truncated(base, target_bytes):
    """One copy with as many findings as fit in about target_bytes."""
    (result,) = base["Results"]
    vulns = result["Vulnerabilities"]
    lo, hi = 1, len(vulns)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        doc = copy.copy(base)
        doc["Results"] = [dict(result, Vulnerabilities=vulns[:mid])]
        if len(json.dumps(doc, indent=2, ensure_ascii=False)) <= target_bytes:
            lo = mid
        else:
            hi = mid - 1
    doc = copy.copy(base)
    doc["Results"] = [dict(result, Vulnerabilities=vulns[:lo])]
    return doc


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--base", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--copies", default="1,5,15,35,75", help="comma list of repeat counts")
    ap.add_argument("--small-bytes", type=int, default=1_000_000)
    args = ap.parse_args()
    with open(args.base, encoding="utf-8") as f:
        base = json.load(f)
    os.makedirs(args.out_dir, exist_ok=True)
    made = []
    p = os.path.join(args.out_dir, "report-1mb.json")
    write(truncated(base, args.small_bytes), p)
    made.append(p)
    for n in [int(x) for x in args.copies.split(",") if x]:
        p = os.path.join(args.out_dir, f"report-x{n}.json")
        if not (os.path.exists(p) and os.path.getmtime(p) > os.path.getmtime(args.base)):
            write(repeated(base, n), p)
        made.append(p)
    for p in made:
        print(p)


if __name__ == "__main__":
    main()
