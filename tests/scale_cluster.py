"""Web workers started the way deploy/run-scale.sh starts them, and Debian's nginx in front of
them with deploy/nginx/iph.conf, for tests (tests/deploy, tests/faults) and bench/deploy_nginx.py
that need real processes. Each is a `Process`: its own process group, its own log file.

`WebWorkers(var_dir, count, settings)` runs `deploy/run-scale.sh prepare` (migrate, static files
for nginx) and then `deploy/run-scale.sh web PORT` for `count` free loopback ports; each worker
is its own process group and `stop()` ends them (SIGTERM, then SIGKILL after a bound), also when
a test fails (use it as a context manager); `add(n)` starts more, `restart(worker)` one again
on its port. With no IPH_DATABASE_URL / IPH_REDIS_URL in
`settings`, the workers share one SQLite file and the file stores of `var_dir` (the script's
defaults are for people, not tests: empty values here mean "embedded").

`FrontNginx(directory, workers)` writes a copy of the repository's nginx site file with free
loopback ports, a certificate made for 127.0.0.1 and the workers' var dir put in, wraps it in a
main file of its own (pid, logs, temporary folders in `directory`) and runs nginx in the
foreground; `stop()` ends it. `nginx_missing()` says why it cannot run here, or None.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RUN_SCALE = PROJECT_ROOT / "deploy" / "run-scale.sh"
NGINX_SITE = PROJECT_ROOT / "deploy" / "nginx" / "iph.conf"
NGINX = os.environ.get("IPH_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"
BROTLI_STATIC = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")
# Three pytest workers may start app processes at once on two loaded cores.
START_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Process:
    """A program of a test's own, in a process group of its own (signalled as a whole, and
    nothing else with it), writing its output to `log_path`."""

    name: str
    command: list[str]
    log_path: Path
    port: int | None = None
    popen: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, environ: dict[str, str], user: str | None = None) -> Process:
        with self.log_path.open("ab") as log:  # the child keeps its own copy
            self.popen = subprocess.Popen(
                self.command,
                cwd=PROJECT_ROOT,
                env=environ,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=user,
            )
        return self

    def send(self, number: int) -> None:
        """`number` to the process group (SIGTERM, as systemd or deploy/run-scale.sh stops a
        worker); returns at once."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, number)

    def stop(self, number: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int | None:
        """`number`, a wait, SIGKILL after `timeout`; the exit status."""
        if self.popen is None:
            return None
        self.send(number)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.send(signal.SIGKILL)
            return self.popen.wait(timeout=5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def rss_kib(self) -> int:
        """Resident memory (VmRSS in /proc/<pid>/status)."""
        for line in Path(f"/proc/{self.popen.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise LookupError("no VmRSS")


class WebWorkers:
    def __init__(
        self,
        var_dir: Path,
        count: int,
        settings: dict[str, str] | None = None,
        log_dir: Path | None = None,
    ) -> None:
        self.var_dir = var_dir
        self.count = count
        self.settings = dict(settings or {})
        self.log_dir = log_dir or var_dir
        self.workers: list[Process] = []

    def environ(self) -> dict[str, str]:
        # Only these workers' IPH_* settings: none of the test process's own (its database).
        environ = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("IPH_", "PYTEST"))
        }
        environ.update(
            IPH_VAR_DIR=str(self.var_dir),
            IPH_DATABASE_URL="",
            IPH_REDIS_URL="",
            IPH_LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        environ.update(self.settings)
        return environ

    def run_scale(self, *args: str, timeout: float = START_TIMEOUT) -> str:
        result = subprocess.run(
            [str(RUN_SCALE), *args],
            cwd=PROJECT_ROOT,
            env=self.environ(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"run-scale.sh {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result.stdout

    def start(self) -> WebWorkers:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        self.run_scale("prepare")
        self.add(self.count)
        return self

    def add(self, count: int) -> list[Process]:
        """`count` more workers (`run-scale.sh web PORT`) on free ports, once each is ready."""
        environ = self.environ()
        started = []
        for _ in range(count):
            port = free_port()
            name = f"web{len(self.workers)}"
            command = [str(RUN_SCALE), "web", str(port)]
            worker = Process(name, command, self.log_dir / f"{name}-{port}.log", port=port)
            started.append(worker.start(environ))
            self.workers.append(worker)
        for worker in started:
            self.wait_until_ready(worker)
        return started

    def restart(self, worker: Process) -> None:
        """Stopped if still running, then started again on its port."""
        worker.stop()
        worker.start(self.environ())
        self.wait_until_ready(worker)

    def wait_until_ready(self, worker: Process) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if not worker.running:
                raise RuntimeError(f"web worker :{worker.port} exited:\n{worker.log()[-3000:]}")
            with (
                contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError),
                urllib.request.urlopen(f"{worker.url}/readyz", timeout=2) as response,
            ):
                if response.status == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"web worker :{worker.port} not ready in {START_TIMEOUT} s")

    def stop(self) -> None:
        for worker in self.workers:
            worker.send(signal.SIGTERM)  # all at once, then each waited for
        for worker in self.workers:
            worker.stop()

    def __enter__(self) -> WebWorkers:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def nginx_missing() -> str | None:
    if not Path(NGINX).is_file():
        return f"nginx not found ({NGINX})"
    if not BROTLI_STATIC.is_file():
        return f"nginx's brotli_static module not found ({BROTLI_STATIC})"
    return None


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as an operator's would be (clients trust it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "fullchain.pem", directory / "privkey.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _replaced(text: str, old: str, new: str) -> str:
    assert old in text, f"deploy/nginx/iph.conf no longer has {old!r}: mend tests/scale_cluster.py"
    return text.replace(old, new)


class FrontNginx:
    def __init__(self, directory: Path, workers: WebWorkers, *, access_log: bool = True) -> None:
        self.directory = directory
        self.workers = workers
        self.https_port, self.http_port = free_port(), free_port()
        self.url = f"https://127.0.0.1:{self.https_port}"
        self.http_url = f"http://127.0.0.1:{self.http_port}"
        self.access_log = directory / "access.log"
        self.error_log = directory / "error.log"
        self.write_access_log = access_log
        self.cert_file, self.key_file = self_signed(directory)
        self._process: Process | None = None

    def site_config(self) -> str:
        text = NGINX_SITE.read_text()
        text = _replaced(
            text,
            "server 127.0.0.1:8000;  # EDIT: one line per web worker\n    server 127.0.0.1:8001;",
            "\n    ".join(f"server 127.0.0.1:{worker.port};" for worker in self.workers.workers),
        )
        text = _replaced(
            text,
            "listen 443 ssl http2;\n    listen [::]:443 ssl http2;",
            f"listen 127.0.0.1:{self.https_port} ssl http2;",
        )
        text = _replaced(
            text, "listen 80;\n    listen [::]:80;", f"listen 127.0.0.1:{self.http_port};"
        )
        text = _replaced(text, "/etc/ssl/iph/fullchain.pem", str(self.cert_file))
        text = _replaced(text, "/etc/ssl/iph/privkey.pem", str(self.key_file))
        log = f"access_log {self.access_log} iph;" if self.write_access_log else "access_log off;"
        text = _replaced(text, "access_log /var/log/nginx/iph.access.log iph;", log)
        return _replaced(text, "root /srv/iph/var;", f"root {self.workers.var_dir};")

    def main_config(self, site: Path) -> str:
        """What Debian's /etc/nginx/nginx.conf gives a site file, every path in `directory`."""
        temp = "\n".join(
            f"    {kind}_temp_path {self.directory / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        # Started as root, nginx's workers would be `nobody`, who cannot read the test's folders.
        user = "user root;\n" if os.geteuid() == 0 else ""
        return (
            f"daemon off;\n{user}worker_processes 1;\npid {self.directory / 'nginx.pid'};\n"
            f"error_log {self.error_log} warn;\nload_module {BROTLI_STATIC};\n"
            "events { worker_connections 256; }\n"
            "http {\n    include /etc/nginx/mime.types;\n"
            f"    default_type application/octet-stream;\n{temp}\n    include {site};\n}}\n"
        )

    def start(self) -> FrontNginx:
        site, main = self.directory / "iph.conf", self.directory / "nginx.conf"
        site.write_text(self.site_config())
        main.write_text(self.main_config(site))
        command = [NGINX, "-p", str(self.directory), "-c", str(main), "-e", str(self.error_log)]
        self._process = Process("nginx", command, self.directory / "nginx.out")
        self._process.start(os.environ.copy())
        deadline = time.monotonic() + 30
        while True:
            if not self._process.running:
                log = self.error_log.read_text()
                raise RuntimeError(f"nginx exited ({self._process.popen.returncode}):\n{log}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.https_port), 1).close()
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"nginx not listening after 30 s:\n{self.error_log.read_text()}")
            time.sleep(0.05)

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.stop(timeout=10)

    def __enter__(self) -> FrontNginx:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
