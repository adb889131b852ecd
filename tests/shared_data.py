"""Where the team's shared reference data lies (../shared/data beside the checkout).

A clone elsewhere on the same machine (CI's) finds it at the workplace's own path, or wherever
IPH_SHARED_DATA says. The tests that read it skip, saying why, where it is nowhere.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
_CANDIDATES = [
    Path(os.environ["IPH_SHARED_DATA"]) if os.environ.get("IPH_SHARED_DATA") else None,
    PROJECT_ROOT.parent / "shared" / "data",
    Path("/work/shared/data"),
]
SHARED_DATA = next(
    (path for path in _CANDIDATES if path and (path / "README.md").exists()),
    PROJECT_ROOT.parent / "shared" / "data",
)
