"""Server benchmark of DESIGN.md's budgets: requests per second and latency at 32 connections, as
ratios to a bare Litestar plain-text endpoint, and the bytes a first visit to the home page costs.

Run it with `make bench` (or `.venv/bin/python bench/run.py`); `--write` also puts the figures
into bench/README.md. It is a benchmark, not a test: pytest never collects it.

The load generator is wrk (Debian package `wrk`). When it is missing and we are root it is
installed with apt-get; otherwise the script stops and says how to install it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gzip
import html.parser
import http.client
import importlib.metadata
import json
import os
import platform
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
README = BENCH_DIR / "README.md"
WRK_SCRIPT = BENCH_DIR / "wrk_report.lua"
FIGURES_START = "<!-- figures:start (bench/run.py --write replaces this down to the end mark) -->"
FIGURES_END = "<!-- figures:end -->"

HOST = "127.0.0.1"
BROWSER_ENCODING = "br, gzip"
KB = 1000  # budgets are checked in thousands of bytes, the stricter reading of "KB"
FIRST_RENDER_BUDGET = 14 * KB
FIRST_VISIT_BUDGET = 50 * KB
FRAGMENT_BUDGET = 10 * KB
HOME_RATIO_BUDGET = 0.10
RECORD_CACHED_BUDGET = 0.40
RECORD_UNCACHED_BUDGET = 0.10
GI_SEARCH_BUDGET = 0.10
GI_PRODUCT_CACHED_BUDGET = 0.40
# A search a person types (characters then initials): terms, candidates, pinyin check, a page.
GI_SEARCH = "/gi?q=" + urllib.parse.quote("五常dm")
P99_BUDGET_MS = 50.0
# The app must not reject the benchmark's own requests.
RATE_LIMIT_FOR_BENCH = "10000000"
# A load starts once other processes use less than this many cores (see --max-wait).
QUIET_CORES = 0.2


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- tools and machine --------------------------------------------------------------------------


def venv_bin() -> Path:
    project_venv = ROOT / ".venv" / "bin"
    return project_venv if (project_venv / "uvicorn").exists() else Path(sys.executable).parent


def ensure_wrk() -> str:
    """wrk from Debian: installed with apt-get when missing and root, else a clear stop."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk (the load generator) is missing: installing Debian's package `wrk`")
        install = ["apt-get", "install", "-y", "--no-install-recommends", "wrk"]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
        if subprocess.run(install, **quiet, check=False).returncode != 0:
            subprocess.run(["apt-get", "update"], **quiet, check=False)
            subprocess.run(install, check=False)
        found = shutil.which("wrk")
        if found:
            return found
    sys.exit(
        "bench: the load generator wrk is missing. Install it as root with "
        "`apt-get install wrk` (Debian/Ubuntu), or run `make bench` as root to have it installed."
    )


def wrk_version(wrk: str) -> str:
    output = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    first = (output.stdout or output.stderr).splitlines()
    match = re.search(r"wrk (\S+)", first[0]) if first else None
    return match.group(1) if match else "unknown"


@dataclass
class CpuPlan:
    server_prefix: list[str]
    load_prefix: list[str]
    note: str


def cpu_plan() -> CpuPlan:
    """Server on one core, load generator on another, so they do not take turns on one core."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) >= 2 and shutil.which("taskset"):
        server, load = str(cores[0]), str(cores[1])
        return CpuPlan(
            ["taskset", "-c", server],
            ["taskset", "-c", load],
            f"server pinned to core {server}, wrk to core {load} (taskset)",
        )
    why = "fewer than 2 cores" if len(cores) < 2 else "taskset not found"
    return CpuPlan([], [], f"not pinned ({why}): server and wrk share the cores")


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def machine_info(wrk: str) -> dict[str, str]:
    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "nproc": str(os.cpu_count()),
        "python": platform.python_version(),
        "litestar": version("litestar"),
        "uvicorn": version("uvicorn"),
        "uvloop": version("uvloop"),
        "httptools": version("httptools"),
        "wrk": wrk_version(wrk),
        "kernel": platform.release(),
    }


# --- the app's environment and servers ----------------------------------------------------------


def app_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without its IPH_* settings, plus the benchmark's."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("IPH_")}
    env.update(
        PICCOLO_CONF="backend.piccolo_conf",
        IPH_VAR_DIR=str(var_dir),
        IPH_RATE_LIMIT_PER_MINUTE=RATE_LIMIT_FOR_BENCH,
        IPH_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def setup_database(var_dir: Path, **extra: str) -> None:
    """`iph setup` on a fresh database (`extra`: more settings, e.g. IPH_DATABASE_URL)."""
    command = [str(venv_bin() / "litestar"), "--app", "backend.app:app", "iph", "setup"]
    log(f"migrating and seeding a fresh database in {var_dir}")
    environment = app_env(var_dir, **{"IPH_DEMO_MARKS": "0", **extra})  # no image-search marks
    done = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"bench: `iph setup` failed:\n{done.stdout}\n{done.stderr}")


def a_record_page(var_dir: Path) -> str:
    """A demo record with a full timeline: the page the record-page budgets are measured on."""
    import sqlite3

    with sqlite3.connect(var_dir / "iph.sqlite3") as db:
        (number,) = db.execute(
            "SELECT record.number FROM record JOIN status_event ON status_event.record = record.id"
            " GROUP BY record.id ORDER BY count(*) DESC, record.id LIMIT 1"
        ).fetchone()
    return f"/records/{number}"


def a_gi_product_page(var_dir: Path) -> str:
    """The page of 五常大米 (the team's compilation in the seed)."""
    import sqlite3

    with sqlite3.connect(var_dir / "iph.sqlite3") as db:
        (product_id,) = db.execute("SELECT id FROM gi_product WHERE name = '五常大米'").fetchone()
    return f"/gi/{product_id}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """One production-like uvicorn process: 1 worker, uvloop, httptools, no access log."""

    def __init__(
        self, name: str, target: str, env: dict[str, str], plan: CpuPlan, log_dir: Path
    ) -> None:
        self.name = name
        self.port = free_port()
        self.log_path = log_dir / f"server-{name}.log"
        factory = ["--factory"] if target.startswith("bench.variants:") else []
        self.command = [
            *plan.server_prefix,
            str(venv_bin() / "uvicorn"),
            target,
            *factory,
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--workers",
            "1",
            "--no-access-log",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--log-level",
            "warning",
        ]
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        with self.log_path.open("wb") as log_file:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log_file, stderr=subprocess.STDOUT
            )
        self._wait_until_up()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _wait_until_up(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                break
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        sys.exit(f"bench: server {self.name} did not start:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def count_log_lines(self, needle: str) -> int:
        with self.log_path.open(errors="replace") as lines:
            return sum(needle in line for line in lines)

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"


# --- one HTTP exchange (sizes) ------------------------------------------------------------------


@dataclass
class Exchange:
    path: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes  # as received: still compressed
    header_bytes: int

    def header(self, name: str) -> str:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return ""

    @property
    def encoding(self) -> str:
        return self.header("content-encoding") or "identity"

    @property
    def wire_bytes(self) -> int:
        return self.header_bytes + len(self.body)

    def text(self) -> str:
        if self.encoding == "br":
            import brotli  # installed with litestar[brotli]

            return brotli.decompress(self.body).decode()
        if self.encoding == "gzip":
            return gzip.decompress(self.body).decode()
        return self.body.decode()


class Browser:
    """Just enough of a browser for counting bytes: sends Accept-Encoding and keeps cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def get(self, path: str, headers: dict[str, str] | None = None) -> Exchange:
        request_headers = {"Accept-Encoding": BROWSER_ENCODING, **(headers or {})}
        if self.cookies:
            request_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            connection.request("GET", path, headers=request_headers)
            response = connection.getresponse()
            body = response.read()
            raw_headers = response.getheaders()
        finally:
            connection.close()
        status_line = f"HTTP/1.1 {response.status} {response.reason}\r\n"
        header_bytes = len(status_line) + 2
        header_bytes += sum(len(f"{k}: {v}\r\n".encode("latin-1")) for k, v in raw_headers)
        for key, value in raw_headers:
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return Exchange(path, response.status, raw_headers, body, header_bytes)


class PageRefs(html.parser.HTMLParser):
    """What a browser fetches for a page: stylesheets, scripts, images, favicon, manifest."""

    def __init__(self) -> None:
        super().__init__()
        self.stylesheets: list[str] = []
        self.scripts: list[str] = []
        self.images: list[str] = []
        self.after_load: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        rel = values.get("rel", "").lower().split()
        if tag == "link" and "stylesheet" in rel:
            self.stylesheets.append(values["href"])
        elif tag == "link" and "modulepreload" in rel:
            self.scripts.append(values["href"])
        elif tag == "link" and ("icon" in rel or "manifest" in rel):
            self.after_load.append(values["href"])
        elif tag == "script" and values.get("src"):
            self.scripts.append(values["src"])
        elif tag == "img" and values.get("src"):
            self.images.append(values["src"])


JS_IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+\.m?js[^"']*)["']""")
SW_REGISTER = re.compile(r"""serviceWorker\.register\(\s*["']([^"']+)["']""")
SW_PRECACHE = re.compile(r"PRECACHE_URLS\s*=\s*(\[[^\]]*\])")
SW_OFFLINE_URL = re.compile(r"""OFFLINE_URL\s*=\s*["']([^"']+)["']""")
MAX_AGE = re.compile(r"max-age=[1-9]")
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")


def same_origin_path(base: str, ref: str) -> str | None:
    absolute = urllib.parse.urljoin(f"http://{HOST}{base}", ref)
    parsed = urllib.parse.urlsplit(absolute)
    if parsed.scheme != "http" or parsed.hostname != HOST:
        return None
    return parsed.path + (f"?{parsed.query}" if parsed.query else "")


@dataclass
class Transfer:
    label: str
    exchange: Exchange
    stage: str  # "render" (HTML + CSS), "page" (JS, images), "after" (after load)


@dataclass
class SizeReport:
    transfers: list[Transfer] = field(default_factory=list)
    fragment: Exchange | None = None

    def total(self, *stages: str) -> int:
        return sum(t.exchange.wire_bytes for t in self.transfers if t.stage in stages)


def measure_first_visit(port: int) -> SizeReport:
    """Fetch the home page and everything it pulls in, as a first-time browser would."""
    browser = Browser(port)
    report = SizeReport()
    seen: set[str] = set()

    def fetch(path: str, label: str, stage: str, again: bool = False) -> Exchange:
        if path in seen and not again:
            return next(t.exchange for t in report.transfers if t.exchange.path == path)
        seen.add(path)
        exchange = browser.get(path)
        if exchange.status != 200:
            sys.exit(f"bench: GET {path} answered {exchange.status}")
        report.transfers.append(Transfer(label, exchange, stage))
        return exchange

    def held_fresh(path: str) -> bool:
        """Whether the HTTP cache answers `path` again without the network (a max-age)."""
        earlier = [t.exchange for t in report.transfers if t.exchange.path == path]
        control = earlier[-1].header("cache-control") if earlier else ""
        return "no-store" not in control and bool(MAX_AGE.search(control))

    home = fetch("/", "home page HTML", "render")
    refs = PageRefs()
    refs.feed(home.text())
    for href in refs.stylesheets:
        css_path = same_origin_path("/", href)
        if css_path:
            css = fetch(css_path, "CSS", "render")
            for ref in CSS_URL.findall(css.text()):
                ref_path = None if ref.startswith("data:") else same_origin_path(css_path, ref)
                if ref_path:
                    fetch(ref_path, "CSS asset", "page")
    scripts = [p for p in (same_origin_path("/", s) for s in refs.scripts) if p]
    service_worker = None
    while scripts:
        path = scripts.pop(0)
        if path in seen:
            continue
        label = "htmx" if "htmx" in path else "JS"
        source = fetch(path, label, "page").text()
        scripts += [p for p in (same_origin_path(path, m) for m in JS_IMPORT.findall(source)) if p]
        registered = SW_REGISTER.search(source)
        if registered:
            service_worker = same_origin_path(path, registered.group(1))
    for src in refs.images:
        image = same_origin_path("/", src)
        if image:
            fetch(image, "image", "page")
    # After load: favicon and manifest, then the service worker, whose install fetches its
    # precache list: the URL it asks for with `cache: "reload"` (the offline page) over the
    # network, the rest through the HTTP cache, which already holds what the page loaded with a
    # max-age (the versioned CSS and scripts).
    for href in refs.after_load:
        path = same_origin_path("/", href)
        if path and "apple-touch-icon" not in href:
            fetch(path, "manifest" if "manifest" in path else "favicon", "after")
    if service_worker:
        worker = fetch(service_worker, "service worker", "after")
        source = worker.text()
        precache = SW_PRECACHE.search(source)
        reloaded = SW_OFFLINE_URL.search(source)
        for url in json.loads(precache.group(1)) if precache else []:
            path = same_origin_path(service_worker, url)
            if not path:
                continue
            if reloaded and url == reloaded.group(1):
                fetch(path, "service-worker precache (cache: reload)", "after", again=True)
            elif not held_fresh(path):
                fetch(path, "service-worker precache", "after", again=True)
    report.fragment = Browser(port).get(
        "/search?q=" + urllib.parse.quote("专利"),
        {"HX-Request": "true", "HX-Request-Type": "partial"},
    )
    return report


# --- load ---------------------------------------------------------------------------------------


@dataclass
class Load:
    group: str
    target: str
    request: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int  # non-2xx/3xx answers and socket errors
    server_cores: float  # CPU the server used during the run, in cores
    other_cores: float  # CPU that neither the server nor wrk used (other processes, steal)
    server_cpu_us: float  # server CPU time per request
    helper_cores: float = 0.0  # CPU of the helpers given (the database's processes), in cores
    helper_cpu_us: float = 0.0  # their CPU time per request


@dataclass
class LoadPlan:
    wrk: str
    plan: CpuPlan
    duration: int
    warmup: int
    connections: int
    max_wait: float
    retries: int


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent on work (user, system, steal), from /proc/stat.

    Interrupt time is left out: loopback traffic is handled there and belongs to no process."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = values
    return (user + nice + system + steal) / CLOCK_TICKS


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime, all threads


def children_cpu_seconds() -> float:
    """CPU of finished child processes (wrk, once subprocess.run has waited for it)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def processes_cpu_seconds(pids: Sequence[int]) -> float:
    """CPU of these processes (those that have ended count nothing)."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            total += process_cpu_seconds(pid)
    return total


class CpuMeter:
    """CPU used by the server, by wrk and by everything else between start and stop.

    `helper_pids`: processes that work for the server (its database's, in the scale profile),
    counted apart instead of as *other* (`helper_seconds`)."""

    def __init__(self, server_pid: int, helper_pids: Sequence[int] = ()) -> None:
        self.server_pid = server_pid
        self.helper_pids = tuple(helper_pids)
        self.started = time.monotonic()
        self.busy = machine_busy_seconds()
        self.server = process_cpu_seconds(server_pid)
        self.helpers = processes_cpu_seconds(self.helper_pids)
        self.children = children_cpu_seconds()
        self.helper_seconds = 0.0

    def read(self) -> tuple[float, float, float]:
        """(seconds elapsed, server CPU seconds, other processes' CPU seconds)."""
        elapsed = time.monotonic() - self.started
        server = process_cpu_seconds(self.server_pid) - self.server
        children = children_cpu_seconds() - self.children
        self.helper_seconds = processes_cpu_seconds(self.helper_pids) - self.helpers
        other = machine_busy_seconds() - self.busy - server - children - self.helper_seconds
        return elapsed, server, max(other, 0.0)


def wait_for_quiet(server: Server, max_wait: float) -> None:
    """Start a load only once other processes leave the cores alone (or after max_wait)."""
    assert server.process is not None
    deadline = time.monotonic() + max_wait
    warned = False
    while True:
        meter = CpuMeter(server.process.pid)
        time.sleep(1.0)
        elapsed, _server, other = meter.read()
        busy = other / elapsed
        if busy < QUIET_CORES or time.monotonic() >= deadline:
            if busy >= QUIET_CORES:
                log(f"other processes still use {busy:.2f} cores: measuring anyway")
            return
        if not warned:
            log(f"other processes use {busy:.2f} cores: waiting up to {max_wait:.0f} s")
            warned = True


def wait_for_drain(server: Server, most: float = 3.0) -> None:
    """Let the server finish the warm-up's requests still in flight when its wrk stopped
    before the run's wrk opens its connections: uvloop lets new connections in one an
    event-loop round, and rounds made long by those leftovers kept the run's first requests
    waiting in the kernel (docs/decisions/shell-and-performance.md "New connections under
    load")."""
    assert server.process is not None
    deadline = time.monotonic() + most
    used = process_cpu_seconds(server.process.pid)
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = process_cpu_seconds(server.process.pid)
        if now - used < 2 / CLOCK_TICKS:  # idle: nothing left in flight
            return
        used = now


def run_wrk(
    settings: LoadPlan,
    url: str,
    headers: dict[str, str],
    seconds: int,
    script: Path = WRK_SCRIPT,
    script_args: Sequence[str] = (),
) -> dict:
    """wrk's figures (`script` must print wrk_report.lua's line; `script_args` go to its init)."""
    command = [
        *settings.plan.load_prefix,
        settings.wrk,
        "-t1",
        f"-c{settings.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
    ]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line.removeprefix("BENCH_JSON "))
    sys.exit(f"bench: wrk failed on {url}:\n{done.stdout}\n{done.stderr}")


def measure(
    settings: LoadPlan,
    server: Server,
    group: str,
    target: str,
    path: str,
    headers: dict[str, str] | None = None,
    *,
    request: str = "",
    script: Path = WRK_SCRIPT,
    script_args: Sequence[str] = (),
    helper_pids: Callable[[], Sequence[int]] | None = None,
) -> Load:
    """The least disturbed of up to 1 + retries runs of wrk on `path`.

    By default a GET of `path` with `headers` must answer 200 first. Given `request` (what the
    requests are, for the table), the caller checks them instead: a `script` that makes its own
    requests, or a check of the caller's own.
    `helper_pids`: asked after each warm-up, processes whose CPU is counted apart (CpuMeter)."""
    headers = headers or {}
    shown = ", ".join(f"{k}: {v}" for k, v in headers.items())
    if not request:
        check = Browser(server.port).get(path, headers)
        if check.status != 200:
            status = check.status
            sys.exit(f"bench: GET {path} on {server.name} answered {status}\n{server.log_tail()}")
        request = f"`GET {path}`" + (f" ({shown})" if shown else "")
    timing = f"warm-up {settings.warmup} s, then {settings.duration} s"
    log(f"{server.name}: {request} — {timing}")
    assert server.process is not None
    url = server.url(path)
    best: Load | None = None
    for attempt in range(1 + settings.retries):
        wait_for_quiet(server, settings.max_wait)
        run_wrk(settings, url, headers, settings.warmup, script, script_args)
        wait_for_drain(server)
        meter = CpuMeter(server.process.pid, helper_pids() if helper_pids else ())
        figures = run_wrk(settings, url, headers, settings.duration, script, script_args)
        elapsed, server_cpu, other_cpu = meter.read()
        seconds = figures["duration_us"] / 1e6
        bad = sum(figures[key] for key in ("connect", "read", "write", "status", "timeout"))
        load = Load(
            group=group,
            target=target,
            request=request,
            rps=figures["requests"] / seconds,
            p50_ms=figures["p50_us"] / 1000,
            p99_ms=figures["p99_us"] / 1000,
            requests=figures["requests"],
            bad=bad,
            server_cores=server_cpu / elapsed,
            other_cores=other_cpu / elapsed,
            server_cpu_us=server_cpu * 1e6 / max(figures["requests"], 1),
            helper_cores=meter.helper_seconds / elapsed,
            helper_cpu_us=meter.helper_seconds * 1e6 / max(figures["requests"], 1),
        )
        if best is None or load.other_cores < best.other_cores:
            best = load
        if best.other_cores < QUIET_CORES:
            break
        if attempt < settings.retries:
            log(f"other processes took {load.other_cores:.2f} cores during the run: again")
    assert best is not None
    return best


def redis_reachable(url: str) -> bool:
    parsed = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


# --- report -------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "ok" if ok else "**missed**"


def fmt_int(value: float) -> str:
    return f"{value:,.0f}"


def fmt_ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def fmt_ratio(value: float) -> str:
    return f"{value:.1%}" if value < 0.1 else f"{value:.0%}"


def load_table(loads: list[Load], plain_rps: float, budgets: dict[str, str]) -> list[str]:
    lines = [
        "| target | request | req/s | p50 ms | p99 ms | vs plain | server CPU µs/req "
        "| server / other CPU | budget |",
        "|---|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for item in loads:
        note = budgets.get(item.target, "")
        if item.bad:
            note = f"{note} ({item.bad} failed requests!)".strip()
        lines.append(
            f"| {item.target} | {item.request} | {fmt_int(item.rps)} | {fmt_ms(item.p50_ms)} | "
            f"{fmt_ms(item.p99_ms)} | {fmt_ratio(item.rps / plain_rps)} | "
            f"{fmt_int(item.server_cpu_us)} | {item.server_cores:.2f} / {item.other_cores:.2f} | "
            f"{note} |"
        )
    return lines


def render(
    info: dict[str, str],
    settings: LoadPlan,
    loads: list[Load],
    sizes: SizeReport,
    request_log_lines: int,
) -> str:
    main = [item for item in loads if item.group == "main"]
    diagnostics = [item for item in loads if item.group == "diagnose"]
    by_target = {item.target: item for item in main}
    plain = by_target["plain"]

    def within(target: str, ratio: float) -> bool:
        load = by_target[target]
        return load.rps / plain.rps >= ratio and load.p99_ms < P99_BUDGET_MS

    budgets = {
        "plain": "baseline",
        "home": f"≥ 10% and p99 < 50 ms: {verdict(within('home', HOME_RATIO_BUDGET))}",
        "record, cached": "≥ 40% and p99 < 50 ms: "
        + verdict(within("record, cached", RECORD_CACHED_BUDGET)),
        "record, uncached": "≥ 10% and p99 < 50 ms: "
        + verdict(within("record, uncached", RECORD_UNCACHED_BUDGET)),
        "GI search": "≥ 10% and p99 < 50 ms: " + verdict(within("GI search", GI_SEARCH_BUDGET)),
        "GI product, cached": "≥ 40% and p99 < 50 ms: "
        + verdict(within("GI product, cached", GI_PRODUCT_CACHED_BUDGET)),
        "healthz": "none (shows the app's fixed per-request cost)",
    }
    out = [
        "### Machine and set-up",
        "",
        f"- measured {info['date']}",
        f"- {info['cpu']}, {info['nproc']} cores (nproc), Linux {info['kernel']}",
        f"- Python {info['python']}, Litestar {info['litestar']}, uvicorn {info['uvicorn']} "
        f"(uvloop {info['uvloop']}, httptools {info['httptools']}), wrk {info['wrk']}",
        f"- uvicorn, 1 worker, `--no-access-log`, log level warning; {settings.plan.note}",
        f"- wrk: 1 thread, {settings.connections} connections, {settings.duration} s after a "
        f"{settings.warmup} s warm-up",
        "- the app in its embedded profile (SQLite and file stores in a fresh temporary var dir, "
        "migrated and seeded by `litestar iph setup`), IPH_LOG_LEVEL=WARNING, "
        f"IPH_RATE_LIMIT_PER_MINUTE={RATE_LIMIT_FOR_BENCH}",
        "",
        "*server CPU µs/req*: the server process's CPU time (all its threads) per request. "
        "*server / other CPU*: cores used during the run by the server and by processes other "
        "than the server and wrk; server 1.00 means its core was saturated, other above 0.2 "
        "means something else on the machine competed (each load waits up to "
        f"{settings.max_wait:.0f} s for the machine to be quiet before it starts, and is run "
        f"up to {settings.retries} more times when it was disturbed; the least disturbed run "
        "is shown).",
        "",
        "### Requests per second",
        "",
        *load_table(main, plain.rps, budgets),
        "",
        f"Request-log lines the app wrote during these runs although IPH_LOG_LEVEL=WARNING: "
        f"{fmt_int(request_log_lines)}" + (" (expected 0)." if request_log_lines else "."),
    ]
    if diagnostics:
        out += [
            "",
            "### Where the time goes (diagnostics, not budgets)",
            "",
            "Each variant (bench/variants.py) takes one more per-request cost out of the app: "
            "A mutes the request log line (what IPH_LOG_LEVEL=WARNING should do), B also "
            "freezes the start-up heap with `gc.freeze()` so that full garbage collections do "
            "not walk it, C also exempts the home page from the rate limiter (no rate-limit "
            "store read and write), D is B with sessions and rate limits in Redis (the scale "
            "profile). The static file is served by the app as configured.",
            "",
            *load_table(diagnostics, plain.rps, {}),
        ]
    render_total = sizes.total("render")
    page_total = sizes.total("render", "page")
    all_total = sizes.total("render", "page", "after")
    out += [
        "",
        "### First visit: bytes transferred (Accept-Encoding: br, gzip)",
        "",
        "Bytes on the wire = response headers + body as sent (compressed). Asset requests carry "
        "the cookies set by the home page, as a browser's would. KB = 1,000 bytes.",
        "",
        "| request | what | encoding | body B | headers B | on the wire B |",
        "|---|---|---|--:|--:|--:|",
    ]
    for item in sizes.transfers:
        exchange = item.exchange
        path = exchange.path.split("?", 1)[0]
        out.append(
            f"| `{path}` | {item.label} | {exchange.encoding} | {fmt_int(len(exchange.body))} | "
            f"{fmt_int(exchange.header_bytes)} | {fmt_int(exchange.wire_bytes)} |"
        )
    fragment = sizes.fragment
    out += [
        "",
        "| total | on the wire | budget |",
        "|---|--:|---|",
        f"| HTML + CSS (first render) | {fmt_int(render_total)} B | ≤ 14 KB: "
        f"{verdict(render_total <= FIRST_RENDER_BUDGET)} |",
        f"| HTML + CSS + JS + htmx (the page) | {fmt_int(page_total)} B | ≤ 50 KB: "
        f"{verdict(page_total <= FIRST_VISIT_BUDGET)} |",
        f"| the page + what the browser fetches after load (favicon, manifest, service worker "
        f"and its precache) | {fmt_int(all_total)} B | ≤ 50 KB: "
        f"{verdict(all_total <= FIRST_VISIT_BUDGET)} |",
    ]
    if fragment is not None:
        out.append(
            f"| htmx fragment `GET /search?q=专利` (HX-Request, {fragment.encoding}) | "
            f"{fmt_int(fragment.wire_bytes)} B | ≤ 10 KB: "
            f"{verdict(fragment.wire_bytes <= FRAGMENT_BUDGET)} |"
        )
    return "\n".join(out) + "\n"


def readme_marks(start_mark: str = FIGURES_START, end_mark: str = FIGURES_END):
    """bench/README.md's text and where the section between two marks starts and ends."""
    text = README.read_text() if README.exists() else ""
    start, end = text.find(start_mark), text.find(end_mark)
    if start < 0 or end < start:
        sys.exit(f"bench: {README} has no marks ({start_mark} … {end_mark})")
    return text, start, end


def write_readme(section: str, start_mark: str = FIGURES_START, end_mark: str = FIGURES_END):
    """Replace bench/README.md's section between the two marks with `section`."""
    text, start, end = readme_marks(start_mark, end_mark)
    head = text[: start + len(start_mark)]
    README.write_text(f"{head}\n{section}{text[end:]}")
    log(f"figures written to {README.relative_to(ROOT)}")


def run_diagnostics(settings: LoadPlan, var_dir: Path, log_dir: Path, redis_url: str) -> list[Load]:
    """The variants of bench/variants.py, each taking one more per-request cost out."""
    loads: list[Load] = []
    browser = {"Accept-Encoding": BROWSER_ENCODING}
    plan = settings.plan
    steps = [
        ("A", "quiet_log", "A: request log muted", ["/", "/healthz"]),
        ("B", "quiet_log_gc_frozen", "B: A + gc.freeze() after start-up", ["/", "/healthz"]),
        ("C", "quiet_log_gc_frozen_no_rate_limit", "C: B + home exempt from rate limit", ["/"]),
    ]
    for step, factory, name, paths in steps:
        target = f"bench.variants:{factory}"
        with Server(f"variant-{step}", target, app_env(var_dir), plan, log_dir) as server:
            for path in paths:
                headers = browser if path == "/" else {}
                loads.append(measure(settings, server, "diagnose", name, path, headers))
            if step == "C":
                name = "C, uncompressed (no Accept-Encoding)"
                loads.append(measure(settings, server, "diagnose", name, "/"))
    if not redis_url:
        return loads
    if not redis_reachable(redis_url):
        log(f"Redis at {redis_url} does not answer: the scale-profile diagnostic is skipped")
        return loads
    namespace = f"iph-bench-{os.getpid()}"
    env = app_env(var_dir, IPH_REDIS_URL=redis_url, IPH_STORE_NAMESPACE=namespace)
    target = "bench.variants:quiet_log_gc_frozen"
    with Server("variant-D", target, env, plan, log_dir) as server:
        name = "D: B with stores in Redis (scale profile)"
        loads.append(measure(settings, server, "diagnose", name, "/", browser))
    return loads


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per load (10)")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per load (2)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument(
        "--no-diagnose", action="store_true", help="skip the variants that explain the figures"
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("IPH_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="Redis for the scale-profile diagnostic; skipped when it does not answer",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=180,
        help="seconds to wait before each load for other processes to leave the CPU (180)",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help="runs of a load again when other processes competed during it (2)",
    )
    parser.add_argument("--write", action="store_true", help="update bench/README.md's figures")
    parser.add_argument("--keep", action="store_true", help="keep the temporary var dir and logs")
    args = parser.parse_args()

    if args.write:
        readme_marks()  # fail now, not after the run
    wrk = ensure_wrk()
    plan = cpu_plan()
    settings = LoadPlan(
        wrk, plan, args.duration, args.warmup, args.connections, args.max_wait, args.retries
    )
    info = machine_info(wrk)
    var_dir = Path(tempfile.mkdtemp(prefix="iph-bench-"))
    log_dir = var_dir / "logs"
    log_dir.mkdir()
    loads: list[Load] = []
    browser_headers = {"Accept-Encoding": BROWSER_ENCODING}
    try:
        setup_database(var_dir)
        with Server("plain", "bench.plain_app:app", app_env(var_dir), plan, log_dir) as server:
            loads.append(measure(settings, server, "main", "plain", "/"))

        with Server("app", "backend.app:app", app_env(var_dir), plan, log_dir) as server:
            loads.append(measure(settings, server, "main", "home", "/", browser_headers))
            loads.append(measure(settings, server, "main", "healthz", "/healthz"))
            record_page = a_record_page(var_dir)
            name = "record, cached"
            loads.append(measure(settings, server, "main", name, record_page, browser_headers))
            loads.append(measure(settings, server, "main", "GI search", GI_SEARCH, browser_headers))
            name, gi_page = "GI product, cached", a_gi_product_page(var_dir)
            loads.append(measure(settings, server, "main", name, gi_page, browser_headers))
            request_log_lines = server.count_log_lines("backend.request")
            sizes = measure_first_visit(server.port)
            htmx = [t.exchange.path for t in sizes.transfers if t.label == "htmx"]
            if htmx and not args.no_diagnose:
                name = "as configured: a static file"
                loads.append(measure(settings, server, "diagnose", name, htmx[0], browser_headers))

        target = "bench.variants:record_pages_uncached"
        env = app_env(var_dir, IPH_STORE_NAMESPACE="uncached")  # an empty page cache
        with Server("uncached", target, env, plan, log_dir) as server:
            name = "record, uncached"
            loads.append(measure(settings, server, "main", name, record_page, browser_headers))

        if not args.no_diagnose:
            loads += run_diagnostics(settings, var_dir, log_dir, args.redis_url)
    finally:
        if args.keep:
            log(f"kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)

    section = render(info, settings, loads, sizes, request_log_lines)
    print(section)
    if args.write:
        write_readme(section)


if __name__ == "__main__":
    main()
