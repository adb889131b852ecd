"""The scale profile as processes of its own on loopback, for fault tests: a PostgreSQL instance
and a redis-server started here (never the shared ones), and the app's processes as
deploy/run-scale.sh starts them: web workers (tests/scale_cluster.py's WebWorkers: uvicorn, one
process and port each, so one can be killed) and the queue worker (`litestar iph worker`).

Everything runs under one temporary folder and in process groups of its own; `Cluster.stop()`
ends them all (SIGKILL after a bound) and removes the folder, also when a test fails (use the
cluster as a context manager). PostgreSQL runs as the `postgres` system user when the tests run
as root (initdb refuses root).
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.scale_cluster import (
    PROJECT_ROOT,
    RUN_SCALE,
    START_TIMEOUT,
    STOP_TIMEOUT,
    Process,
    WebWorkers,
    free_port,
)

PG_BIN = Path(os.environ.get("IPH_PG_BIN", "/usr/lib/postgresql/15/bin"))
QUEUE_NAMESPACE = "faults"


def wait_until(check, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(interval)
    raise TimeoutError(f"{what} not within {timeout:g} s")


def children_of(parent: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # "pid (name) state ppid …": the name may hold spaces, so split after its ")".
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                children.append(int(stat.parent.name))
    return children


@dataclass
class Cluster:
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="iph-faults-")))
    pg_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        from backend.certificates.signing import _self_signed_key

        self.root.chmod(0o755)  # the postgres user reaches its data folder through it
        self.var = self.root / "var"
        self.var.mkdir()
        self.pg_data = self.root / "pg"
        self.redis_dir = self.root / "redis"
        self.redis_dir.mkdir()
        self.database_url = f"postgresql://postgres@127.0.0.1:{self.pg_port}/postgres"
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.postgres: Process | None = None
        self.redis: Process | None = None
        self.worker: Process | None = None
        office = _self_signed_key(self.root / "office-key")
        # The web workers (deploy/run-scale.sh web PORT), and the settings of every app process.
        self.web_workers = WebWorkers(
            self.var,
            0,
            {
                "IPH_DATABASE_URL": self.database_url,
                "IPH_REDIS_URL": self.redis_url,
                "IPH_ORIGIN": "http://127.0.0.1",
                "IPH_STORE_NAMESPACE": QUEUE_NAMESPACE,
                "IPH_SECRET_KEY": "fault-tests-secret-key",
                "IPH_RATE_LIMIT_PER_MINUTE": "1000000",
                "IPH_DEMO_MARKS": "0",
                "IPH_REVIEWS_PER_HOUR": "1000000",
                "IPH_PUSH_SERVICES": "http://127.0.0.1",
                "IPH_SIGNING_KEY_FILE": str(office.key_file),
                "IPH_SIGNING_CERT_FILE": str(office.cert_file),
                "IPH_GRACEFUL_SECONDS": "10",
                "PICCOLO_CONF": "backend.piccolo_conf",
                "PYTHONPATH": str(PROJECT_ROOT),
            },
            log_dir=self.root,
        )
        self.web = self.web_workers.workers

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # PostgreSQL ------------------------------------------------------------------------------

    def _pg_user(self) -> str | None:
        if os.geteuid() != 0:
            return None
        pwd.getpwnam("postgres")
        return "postgres"

    def init_postgres(self) -> None:
        user = self._pg_user()
        self.pg_data.mkdir()
        if user:
            shutil.chown(self.pg_data, user, user)
        subprocess.run(
            [PG_BIN / "initdb", "-D", self.pg_data, "-U", "postgres", "-A", "trust", "--no-sync"],
            check=True,
            capture_output=True,
            user=user,
            timeout=120,
        )

    def start_postgres(self) -> None:
        command = [
            str(PG_BIN / "postgres"),
            "-D",
            str(self.pg_data),
            "-p",
            str(self.pg_port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={self.pg_data}",
            "-c",
            "fsync=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=60",
        ]
        if self.postgres is None:
            self.postgres = Process("postgres", command, self.root / "postgres.log")
        # Its log is opened here and inherited: the postgres user need not write under root's.
        self.postgres.start({"PATH": os.environ.get("PATH", "")}, user=self._pg_user())
        wait_until(self._postgres_answers, START_TIMEOUT, "PostgreSQL")

    def _postgres_answers(self) -> bool:
        done = subprocess.run(
            [PG_BIN / "pg_isready", "-h", "127.0.0.1", "-p", str(self.pg_port), "-t", "2"],
            capture_output=True,
        )
        return done.returncode == 0

    def stop_postgres(self) -> None:
        """A fast shutdown (SIGINT): sessions are ended, as a restart does."""
        if self.postgres is not None:
            self.postgres.stop(signal.SIGINT)

    def freeze_postgres(self, number: int = signal.SIGSTOP) -> None:
        """Stop (or with SIGCONT, resume) the postmaster and every backend: a server that takes
        connections and never answers. Backends are sessions of their own (setsid), so the
        postmaster's children are found by their parent."""
        postmaster = self.postgres.popen.pid
        for pid in [postmaster, *children_of(postmaster)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, number)

    def thaw_postgres(self) -> None:
        self.freeze_postgres(signal.SIGCONT)

    # Redis -----------------------------------------------------------------------------------

    def start_redis(self) -> None:
        command = [
            "redis-server",
            "--port",
            str(self.redis_port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.redis_dir),
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        if self.redis is None:
            self.redis = Process("redis", command, self.root / "redis.log")
        self.redis.start({"PATH": os.environ.get("PATH", "")})
        wait_until(lambda: self.redis_command("PING") == "+PONG", START_TIMEOUT, "Redis")

    def redis_command(self, *words: str) -> str | None:
        """One command through the RESP protocol; its first reply line."""
        reply = self._redis_reply(*words)
        return None if reply is None else reply.split(b"\r\n", 1)[0].decode()

    def redis_members(self, key: str) -> set[str]:
        """The members of a sorted set (a small one: one reply read)."""
        reply = self._redis_reply("ZRANGE", key, "0", "-1") or b""
        return {line.decode() for line in reply.split(b"\r\n") if line[:1] not in (b"*", b"$", b"")}

    def _redis_reply(self, *words: str) -> bytes | None:
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=2) as link:
                parts = [f"*{len(words)}\r\n"] + [f"${len(w.encode())}\r\n{w}\r\n" for w in words]
                link.sendall("".join(parts).encode())
                return link.recv(65536)
        except OSError:
            return None

    def stop_redis(self) -> None:
        """Redis goes away with its data kept (SHUTDOWN SAVE), as a restart with persistence."""
        if self.redis is not None and self.redis.running:
            self.redis_command("SHUTDOWN", "SAVE")
            try:
                self.redis.popen.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.redis.stop(signal.SIGKILL)

    # The app ---------------------------------------------------------------------------------

    def prepare(self) -> dict:
        """Migrate and seed what the fault tests need (tests/faults/seed.py); its answer."""
        done = subprocess.run(
            [sys.executable, "-m", "tests.faults.seed"],
            cwd=PROJECT_ROOT,
            env=self.web_workers.environ(),
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start_web(self, count: int) -> list[Process]:
        return self.web_workers.add(count)

    def restart(self, worker: Process) -> None:
        self.web_workers.restart(worker)

    def start_worker(self) -> Process:
        """The queue worker (deploy/run-scale.sh queue), once it is taking jobs: SAQ's worker
        writes its info into Redis (`saq:<namespace>-jobs:stats`) as it starts."""
        workers = f"saq:{QUEUE_NAMESPACE}-jobs:stats"
        before = self.redis_members(workers)
        command = [str(RUN_SCALE), "queue"]
        self.worker = Process("worker", command, self.root / "worker.log")
        self.worker.start(self.web_workers.environ())

        def taking_jobs() -> bool:
            if not self.worker.running:
                raise RuntimeError(f"the queue worker ended:\n{self.worker.log()[-3000:]}")
            return bool(self.redis_members(workers) - before)

        wait_until(taking_jobs, START_TIMEOUT, "the queue worker", interval=0.5)
        return self.worker

    def stop(self) -> None:
        """The queue worker, the web workers, Redis, then PostgreSQL."""
        if self.worker is not None:
            self.worker.stop()
        self.web_workers.stop()
        self.stop_redis()
        self.stop_postgres()
        shutil.rmtree(self.root, ignore_errors=True)
