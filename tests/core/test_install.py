"""`make run` installs what the app needs to run and none of the test or lint tools.

The install test: it builds a venv in a temporary folder with the Makefile target `make run`
installs through (`make install VENV=…`, ~10 s with uv's cache warm) and reads back what is in it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.settings import PROJECT_ROOT

pytestmark = pytest.mark.install

# What the `test` and `lint` dependency groups bring; none of it may reach a venv made to run.
# (httpx, cbor2 and black are not here: Litestar, py_webauthn and Piccolo need them to run.)
TEST_AND_LINT_TOOLS = {
    "pytest",
    "pytest-asyncio",
    "pytest-xdist",
    "pytest-timeout",
    "hypothesis",
    "playwright",
    "axe-playwright-python",
    "aiosmtpd",
    "ruff",
}
# The installer itself, put in by the Makefile's bootstrap (`pip install uv`).
BOOTSTRAP = {"pip", "setuptools", "uv"}


def _name(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


@pytest.fixture(scope="module")
def app_venv() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="iph-install-") as folder:
        venv = Path(folder) / "venv"
        # A make above this test (make test) must not hand its flags or variables down.
        env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
        done = subprocess.run(
            ["make", "--no-print-directory", "-C", str(PROJECT_ROOT), "install", f"VENV={venv}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        yield venv


def _installed(venv: Path) -> set[str]:
    listing = subprocess.run(
        [
            venv / "bin" / "python",
            "-c",
            "import importlib.metadata as m, json;"
            "print(json.dumps([d.metadata['Name'] for d in m.distributions()]))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return {_name(name) for name in json.loads(listing.stdout)}


def _locked(venv: Path, *groups: str) -> set[str]:
    """Package names uv.lock gives for the project with these `uv export` group flags."""
    exported = subprocess.run(
        [venv / "bin" / "uv", "export", "--frozen", "--no-hashes", "--no-header", *groups],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {
        _name(line.split("==")[0]) for line in exported.splitlines() if "==" in line.split(";")[0]
    }


def test_make_install_brings_in_none_of_the_test_or_lint_tools(app_venv: Path) -> None:
    runtime = _locked(app_venv, "--no-default-groups")
    only_for_tools = _locked(app_venv, "--all-groups") - runtime
    assert only_for_tools >= TEST_AND_LINT_TOOLS, "a test or lint tool became a runtime package"
    assert _installed(app_venv) & only_for_tools == set()


def test_make_install_brings_in_only_packages_the_lock_gives_the_app(app_venv: Path) -> None:
    # A subset, not equal: the lock also holds packages for other Pythons (async-timeout).
    assert _installed(app_venv) - BOOTSTRAP <= _locked(app_venv, "--no-default-groups")


def test_the_app_and_its_commands_import_from_the_runtime_venv(app_venv: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="iph-install-var-") as var_dir:
        done = subprocess.run(
            [app_venv / "bin" / "python", "-c", "import backend.app, backend.cli"],
            cwd=PROJECT_ROOT,
            env={**os.environ, "IPH_VAR_DIR": var_dir},
            capture_output=True,
            text=True,
        )
    assert done.returncode == 0, done.stderr
