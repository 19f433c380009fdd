#!/usr/bin/env python3
"""Replicates a real Grype JSON report and a real SARIF log to about --mb megabytes each.

Grype: the `matches` array is repeated, each copy's artifact renamed so that no two findings are
the same package. SARIF: the first run's `results` are repeated, each copy's location made
distinct; the rules stay as they are (results keep pointing at them by ruleIndex / ruleId), which
is how real SARIF from a large repository looks.

Prints one line per file: `FORMAT PATH EXPECTED_FINDINGS`. The expected count is the base
report's own count (every match / every result of the bases used here counts) times the copies.
"""
import argparse
import copy
import json
import os


def write_json(path, doc):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)


def grype(base_path, out_dir, target_bytes):
    with open(base_path, encoding="utf-8") as f:
        base = json.load(f)
    matches = base["matches"]
    one = len(json.dumps(matches, indent=1))
    copies = max(1, target_bytes // one)
    out = []
    for i in range(copies):
        for m in matches:
            m = copy.deepcopy(m)
            m["artifact"]["name"] = f"{m['artifact']['name']}-copy{i}"
            out.append(m)
    doc = dict(base)
    doc["matches"] = out
    path = os.path.join(out_dir, "grype-big.json")
    write_json(path, doc)
    return path, len(out)


def sarif(base_path, out_dir, target_bytes):
    with open(base_path, encoding="utf-8") as f:
        base = json.load(f)
    run = base["runs"][0]
    results = run["results"]
    one = len(json.dumps(results, indent=1))
    copies = max(1, target_bytes // one)
    out = []
    for i in range(copies):
        for r in results:
            r = copy.deepcopy(r)
            for loc in r.get("locations", []):
                art = loc.get("physicalLocation", {}).get("artifactLocation", {})
                if "uri" in art:
                    art["uri"] = f"copy{i}/{art['uri']}"
            out.append(r)
    doc = copy.deepcopy(base)
    doc["runs"] = [dict(run, results=out)]
    path = os.path.join(out_dir, "sarif-big.sarif")
    write_json(path, doc)
    return path, len(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--grype", required=True, help="a real Grype JSON report")
    ap.add_argument("--sarif", required=True, help="a real SARIF 2.1.0 log whose results all count")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--mb", type=int, default=100)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    target = args.mb * 1_000_000
    for fmt, fn, base in (("grype", grype, args.grype), ("sarif", sarif, args.sarif)):
        path, n = fn(base, args.out_dir, target)
        print(fmt, path, n)


if __name__ == "__main__":
    main()
