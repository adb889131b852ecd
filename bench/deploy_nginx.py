"""The scale deployment's front door: requests per second through nginx against one worker alone.

    .venv/bin/python bench/deploy_nginx.py [--duration 8] [--connections 16]

A benchmark, not a test: pytest never collects it. Two web workers as deploy/run-scale.sh starts
them (embedded SQLite and file stores in a temporary var dir) and Debian's nginx in front with
deploy/nginx/iph.conf (tests/scale_cluster.py; no access log), then wrk (HTTP/1.1; over TLS to
nginx, plain to the worker) for the htmx file, which nginx serves from disk and a worker from
memory, and for a page, which nginx passes to the two workers. Nothing is pinned: the figures
say how the two compare on the same machine at the same moment, with its load average.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.scale_cluster import FrontNginx, WebWorkers, nginx_missing


def wrk(url: str, duration: int, connections: int) -> tuple[float, str]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "-H", "Accept-Encoding: br", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return rate, re.search(r"Latency\s+(\S+)", out).group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if problem := nginx_missing():
        sys.exit(f"{problem}: make nginx-deps (as root)")
    with tempfile.TemporaryDirectory(prefix="iph-bench-nginx-") as folder:
        directory = Path(folder)
        workers = WebWorkers(directory / "var", 2)
        nginx = FrontNginx(directory, workers, access_log=False)
        workers.settings["IPH_ORIGIN"] = nginx.url
        with workers, nginx:
            worker = workers.workers[0]
            with urllib.request.urlopen(f"{worker.url}/") as page:
                home = page.read().decode()
            htmx = re.search(r'src="(/static/vendor/htmx[^"]+)"', home).group(1)
            print("| what | through nginx (2 workers) | one worker alone | load average |")
            print("|---|---|---|---|")
            for label, path in (("htmx (static, br)", htmx), ("/guides (a page, br)", "/guides")):
                front = wrk(nginx.url + path, args.duration, args.connections)
                alone = wrk(worker.url + path, args.duration, args.connections)
                load = os.getloadavg()[0]
                print(
                    f"| {label} | {front[0]:,.0f} req/s, mean {front[1]} "
                    f"| {alone[0]:,.0f} req/s, mean {alone[1]} | {load:.1f} |"
                )


if __name__ == "__main__":
    main()
