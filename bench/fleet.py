#!/usr/bin/env python3
"""Fleet benchmark (python3 standard library only): 20 images through one trivy server.

Three commands scan the same 20 images, alternating within each round so machine noise hits
them alike:
  sequential  bare `trivy image` (standalone, offline DB), one image after another;
  xargs -P2   the best a shell expert does by hand: `xargs -P2` over trivy's client against
              the trivy server;
  trivy-scan  `trivy-scan --server URL --token-file F --jobs 2` over the same list (counts,
              metrics to stdout, summary).
Prints median wall time, images per second, the ratios the goals are stated in
(DESIGN.md "Performance targets") and peak RSS per job; writes OUT/fleet.md and OUT/fleet.json.

Everything runs offline on loopback: a real docker-registry holds 20 distinct images (the
fixture image plus one small layer of its own each, so no two share a digest), a real
`trivy server` holds the fixture DB.
"""
import argparse
import hashlib
import io
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

TOKEN = "bench-fleet-token"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what, limit=60):
    deadline = time.time() + limit
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} exited ({proc.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{what} did not listen on {port} within {limit}s")


def distinct_images(base_tar, n, out_dir):
    """n docker-archive tars: the base image plus a layer holding /etc/fleet-id = i."""
    with tarfile.open(base_tar) as t:
        members = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
    manifest = json.loads(members["manifest.json"])[0]
    config = json.loads(members[manifest["Config"]])
    paths = []
    for i in range(n):
        layer_buf = io.BytesIO()
        with tarfile.open(fileobj=layer_buf, mode="w", format=tarfile.USTAR_FORMAT) as lt:
            for d in ("etc",):
                info = tarfile.TarInfo(d)
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                lt.addfile(info)
            data = f"fleet image {i}\n".encode()
            info = tarfile.TarInfo("etc/fleet-id")
            info.size = len(data)
            info.mode = 0o644
            lt.addfile(info, io.BytesIO(data))
        layer = layer_buf.getvalue()
        diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
        cfg = json.loads(json.dumps(config))
        cfg["rootfs"]["diff_ids"] = list(cfg["rootfs"]["diff_ids"]) + [diff_id]
        cfg.setdefault("history", []).append({"created_by": f"fleet bench layer {i}"})
        cfg_bytes = json.dumps(cfg).encode()
        cfg_name = hashlib.sha256(cfg_bytes).hexdigest() + ".json"
        layer_name = diff_id[7:] + "/layer.tar"
        tag = f"fleet/app-{i:02d}:1"
        new_manifest = [{"Config": cfg_name, "RepoTags": [tag],
                         "Layers": list(manifest["Layers"]) + [layer_name]}]
        path = os.path.join(out_dir, f"app-{i:02d}.tar")
        with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as out:
            def add(name, data):
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mode = 0o644
                out.addfile(info, io.BytesIO(data))
            for name, data in members.items():
                if name not in ("manifest.json", "repositories", manifest["Config"]):
                    add(name, data)
            add(cfg_name, cfg_bytes)
            add(layer_name, layer)
            add("manifest.json", json.dumps(new_manifest).encode())
        paths.append((path, tag))
    return paths


def measure(cmd, env=None, ok=(0,), shell=False):
    """Wall seconds and peak RSS in KB of the largest process of the job (/usr/bin/time %M:
    the rusage of the child and every descendant it waited for)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = ["/usr/bin/time", "-f", "%M", "-o", tf.name]
        full += ["sh", "-c", cmd] if shell else cmd
        t0 = time.perf_counter()
        p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        wall = time.perf_counter() - t0
        if p.returncode not in ok:
            sys.exit(f"command failed ({p.returncode}): {cmd}\n{p.stderr.decode(errors='replace')[-3000:]}")
        rss = int([l for l in open(tf.name).read().splitlines() if l.strip()][-1])
    return wall, rss, p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trivy-scan", required=True)
    ap.add_argument("--image-tar", required=True)
    ap.add_argument("--trivy-db", required=True)
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    for tool in ("trivy", "docker-registry", "skopeo"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed (scripts/install-deps.sh test installs it)")
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="fleet-bench-")
    procs = []
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIVY_", "REGISTRY_"))}
        env.pop("CI", None)
        # The registry, with 20 distinct images.
        reg_port = free_port()
        reg_dir = os.path.join(work, "registry")
        os.makedirs(reg_dir)
        with open(os.path.join(reg_dir, "config.yml"), "w") as f:
            f.write(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {reg_dir}/data\n"
                    f"http:\n  addr: 127.0.0.1:{reg_port}\n")
        reg = subprocess.Popen(["docker-registry", "serve", os.path.join(reg_dir, "config.yml")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        procs.append(reg)
        wait_port(reg_port, reg, "docker-registry")
        images = []
        tars = os.path.join(work, "tars")
        os.makedirs(tars)
        for path, tag in distinct_images(args.image_tar, args.images, tars):
            ref = f"127.0.0.1:{reg_port}/{tag}"
            subprocess.run(["skopeo", "copy", "--quiet", "--insecure-policy", "--dest-tls-verify=false",
                            f"docker-archive:{path}", f"docker://{ref}"], check=True, env=env)
            images.append(ref)
        print(f"== {len(images)} distinct images in the registry on 127.0.0.1:{reg_port}", file=sys.stderr)

        # Caches with the fixture DB: one for the server, one for the standalone runs.
        def cache(name):
            d = os.path.join(work, name)
            os.makedirs(os.path.join(d, "db"))
            for f in ("trivy.db", "metadata.json"):
                shutil.copy(os.path.join(args.trivy_db, f), os.path.join(d, "db", f))
            return d
        server_cache, bare_cache = cache("server-cache"), cache("bare-cache")
        client_cache = os.path.join(work, "client-cache")
        os.makedirs(client_cache)
        port = free_port()
        server = subprocess.Popen(
            ["trivy", "server", f"--listen=127.0.0.1:{port}", "--skip-db-update", "--no-progress",
             f"--cache-dir={server_cache}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**env, "TRIVY_TOKEN": TOKEN})
        procs.append(server)
        wait_port(port, server, "trivy server")
        url = f"http://127.0.0.1:{port}"
        token_file = os.path.join(work, "token")
        with open(token_file, "w") as f:
            f.write(TOKEN + "\n")
        list_file = os.path.join(work, "images.txt")
        with open(list_file, "w") as f:
            f.write("\n".join(images) + "\n")
        out_dir = os.path.join(work, "xargs-out")
        os.makedirs(out_dir)

        q = subprocess.list2cmdline
        flags = "--format json --scanners vuln --quiet --insecure"
        commands = {
            "sequential trivy image": (
                f"for i in $(cat {list_file}); do trivy image {flags} --skip-db-update --offline-scan "
                f"--cache-dir {bare_cache} \"$i\" > /dev/null || exit 1; done", env, True),
            "xargs -P2 trivy client": (
                f"xargs -P2 -I{{}} sh -c 'trivy image {flags} --server {url} --cache-dir {client_cache} "
                f"\"$1\" > /dev/null' _ {{}} < {list_file}", {**env, "TRIVY_TOKEN": TOKEN}, True),
            "trivy-scan --jobs 2": (
                [args.trivy_scan, "--images", list_file, "--jobs", "2", "--server", url, "--token-file",
                 token_file, "--insecure-registry", "--cache-dir", client_cache, "--format", "json",
                 "--sink", "stdout"], env, False),
        }

        # Once first: every command must scan every image (and trivy-scan count 29 each).
        _, _, stdout = measure(commands["trivy-scan --jobs 2"][0], env=env)
        lines = [json.loads(l) for l in stdout.decode().splitlines() if l.startswith("{")]
        results = [l for l in lines if "total" in l]
        summary = [l for l in lines if "summary" in l][-1]["summary"]
        if summary["ok"] != len(images) or any(r["total"] != 29 for r in results):
            sys.exit(f"trivy-scan did not count 29 in each image: {summary}")

        names = list(commands)
        walls = {n: [] for n in names}
        rss = {n: [] for n in names}
        for r in range(args.runs):
            order = names[r % len(names):] + names[:r % len(names)]
            for n in order:
                cmd, cenv, shell = commands[n]
                w, m, _ = measure(cmd, env=cenv, shell=shell)
                walls[n].append(w)
                rss[n].append(m)
                print(f"  round {r + 1}: {n}: {w:.2f}s, peak RSS {m / 1024:.0f} MB", file=sys.stderr)
        with open(f"/proc/{server.pid}/status") as f:
            server_hwm = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)

    med = {n: statistics.median(walls[n]) for n in names}
    seq, xargs, ours = (med[n] for n in names)
    r_xargs = ours / xargs
    speedup = seq / ours
    rows = []
    for n in names:
        rows.append(f"| {n} | {med[n]:.2f} | {len(images) / med[n]:.2f} | {max(rss[n]) / 1024:.0f} |")
    ok_x = "meets" if r_xargs <= 1.10 else "MISSES"
    ok_s = "meets" if speedup >= 1.5 else "MISSES"
    md = "\n".join([
        f"Fleet run: {len(images)} distinct images, {args.runs} rounds (commands alternate), medians.",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}; trivy "
        + subprocess.run(["trivy", "--version"], capture_output=True, text=True).stdout.splitlines()[0].split()[-1],
        "",
        "| command | wall s | images/s | peak RSS of the largest process, MB |",
        "| --- | --- | --- | --- |",
        *rows,
        "",
        f"- trivy-scan / xargs -P2: **{r_xargs:.3f}x** the time (goal at most 1.10: {ok_x})",
        f"- trivy-scan throughput / sequential: **{speedup:.2f}x** (goal at least 1.5: {ok_s})",
        f"- the trivy server's peak RSS over the whole run: {server_hwm / 1024:.0f} MB",
        "",
    ])
    print(md)
    with open(os.path.join(args.out, "fleet.md"), "w") as f:
        f.write(md)
    with open(os.path.join(args.out, "fleet.json"), "w") as f:
        json.dump({"images": len(images), "runs": args.runs, "walls": walls, "peak_rss_kb": rss,
                   "ratio_trivy_scan_over_xargs": r_xargs, "speedup_over_sequential": speedup,
                   "server_peak_rss_kb": server_hwm}, f, indent=2)


if __name__ == "__main__":
    main()
