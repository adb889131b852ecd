"""deploy/run-scale.sh as a supervisor: what it starts, with which arguments, and how it stops them.

The programs it starts are stand-ins here (IPH_BIN: a folder of small scripts that note their
arguments and environment, and take a moment to stop), so the launcher's own logic runs in a
second; tests/deploy/test_nginx.py starts real workers through its `prepare` and `web` modes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scale_cluster import PROJECT_ROOT, RUN_SCALE

# A stand-in for uvicorn and litestar: notes "<name> <args> | <database> | <redis>", returns at
# once from the one-shot commands, and otherwise runs until SIGTERM, then takes 0.3 s to stop.
# With STAND_IN_FAILS, the queue worker's stand-in exits with 3 once both web workers run.
STAND_IN = """#!/usr/bin/env bash
name=$(basename "$0")
trap 'sleep 0.3; echo "stopped $name $*" >> "$STAND_IN_LOG"; exit 0' TERM
echo "started $name $* | $IPH_DATABASE_URL | $IPH_REDIS_URL" >> "$STAND_IN_LOG"
case "$*" in *" iph migrate"|*" iph static-export") exit 0 ;; esac
if [ -n "${STAND_IN_FAILS:-}" ] && [[ "$*" == *" iph worker" ]]; then
  until [ "$(grep -c '^started uvicorn' "$STAND_IN_LOG")" = 2 ]; do sleep 0.05; done
  exit 3
fi
while :; do sleep 0.05; done
"""


@pytest.fixture
def stand_ins(tmp_path: Path) -> Path:
    for name in ("uvicorn", "litestar"):
        program = tmp_path / name
        program.write_text(STAND_IN)
        program.chmod(0o755)
    return tmp_path


def _lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


@contextlib.contextmanager
def _launched(bin_dir: Path, **settings: str) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    log = bin_dir / "calls.log"
    environ = {key: value for key, value in os.environ.items() if not key.startswith("IPH_")}
    environ.update(IPH_BIN=str(bin_dir), STAND_IN_LOG=str(log), IPH_WORKERS="2", **settings)
    process = subprocess.Popen(
        [str(RUN_SCALE)],
        cwd=PROJECT_ROOT,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield process, log
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _wait_for(log: Path, count: int, prefix: str) -> list[str]:
    deadline = time.monotonic() + 20
    while len(found := [line for line in _lines(log) if line.startswith(prefix)]) < count:
        assert time.monotonic() < deadline, _lines(log)
        time.sleep(0.05)
    return found


def test_run_scale_migrates_then_starts_each_worker_and_stops_them_all_on_sigterm(
    stand_ins: Path,
) -> None:
    with _launched(stand_ins, IPH_PORT="9100") as (launcher, log):
        _wait_for(log, 5, "started")
        launcher.send_signal(signal.SIGTERM)  # as systemd or a shell's kill would
        assert launcher.wait(timeout=10) == 0
        calls = _lines(log)
    started = [
        line.split(" | ")[0].split(" ", 1)[1] for line in calls if line.startswith("started")
    ]
    app = "--app backend.app:app"
    assert started[:2] == [f"litestar {app} iph migrate", f"litestar {app} iph static-export"]
    web = [
        f"uvicorn backend.app:app --host 127.0.0.1 --port {port} --proxy-headers "
        "--forwarded-allow-ips 127.0.0.1 --timeout-graceful-shutdown 30 --no-access-log"
        for port in (9100, 9101)
    ]
    assert sorted(started[2:]) == sorted([*web, f"litestar {app} iph worker"])
    # The launcher returned only once each worker had finished stopping.
    stopped = [line.removeprefix("stopped ") for line in calls if line.startswith("stopped")]
    assert sorted(stopped) == sorted([*web, f"litestar {app} iph worker"])
    # Unset, the URLs are this machine's PostgreSQL and Redis.
    assert all(
        line.endswith("| postgresql://postgres@127.0.0.1:5432/test | redis://127.0.0.1:6379/0")
        for line in calls
        if line.startswith("started")
    )


def test_when_one_worker_stops_by_itself_run_scale_stops_the_rest_and_exits_with_its_status(
    stand_ins: Path,
) -> None:
    with _launched(stand_ins, STAND_IN_FAILS="1", IPH_DATABASE_URL="", IPH_REDIS_URL="") as (
        launcher,
        log,
    ):
        assert launcher.wait(timeout=20) == 3
        calls = _lines(log)
    assert len([line for line in calls if line.startswith("stopped uvicorn")]) == 2
    # Empty URLs stay empty: the embedded SQLite file and file stores.
    assert all(line.endswith("|  | ") for line in calls if line.startswith("started"))
