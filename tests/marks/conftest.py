"""A small index of demo marks for the tests: a few hundred, drawn and indexed once a session."""

from __future__ import annotations

import pytest

from backend.marks.demo import load_demo_marks
from backend.settings import Settings

DEMO_MARKS = 300


@pytest.fixture(scope="session")
async def demo_marks(settings: Settings) -> int:
    """The first DEMO_MARKS demo marks as records, indexed (as `make run` loads 10,000)."""
    await load_demo_marks(DEMO_MARKS, settings.var_path / "marks")
    return DEMO_MARKS
