"""Web workers started the way deploy/run-scale.sh starts them, for tests that need real processes.

`WebWorkers(var_dir, count, settings)` runs `deploy/run-scale.sh prepare` (migrate, static files
for nginx) and then `deploy/run-scale.sh web PORT` for `count` free loopback ports; each worker
is its own process group and `stop()` ends them (SIGTERM, then SIGKILL after a bound), also when
a test fails (use it as a context manager). With no IPH_DATABASE_URL / IPH_REDIS_URL in
`settings`, the workers share one SQLite file and the file stores of `var_dir` (the script's
defaults are for people, not tests: empty values here mean "embedded").
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RUN_SCALE = PROJECT_ROOT / "deploy" / "run-scale.sh"
# Three pytest workers may start app processes at once on two loaded cores.
START_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WebWorker:
    def __init__(self, port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
        self.port = port
        self.process = process
        self.log_path = log_path
        self.url = f"http://127.0.0.1:{port}"

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def terminate(self) -> None:
        """SIGTERM, as systemd or deploy/run-scale.sh stops a worker; returns at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self) -> int | None:
        if self.running:
            self.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        return self.process.returncode


class WebWorkers:
    def __init__(self, var_dir: Path, count: int, settings: dict[str, str] | None = None) -> None:
        self.var_dir = var_dir
        self.count = count
        self.settings = dict(settings or {})
        self.workers: list[WebWorker] = []

    def environ(self) -> dict[str, str]:
        # Only this cluster's IPH_* settings: none of the test process's own (its database).
        environ = {key: value for key, value in os.environ.items() if not key.startswith("IPH_")}
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
        for _ in range(self.count):
            port = free_port()
            log_path = self.var_dir / f"web-{port}.log"
            with log_path.open("ab") as log:
                process = subprocess.Popen(
                    [str(RUN_SCALE), "web", str(port)],
                    cwd=PROJECT_ROOT,
                    env=self.environ(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own group: stop() reaches it and nothing else
                )
            self.workers.append(WebWorker(port, process, log_path))
        for worker in self.workers:
            self._wait_until_ready(worker)
        return self

    def _wait_until_ready(self, worker: WebWorker) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if not worker.running:
                raise RuntimeError(f"web worker :{worker.port} exited:\n{worker.log()}")
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
            worker.terminate()
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
