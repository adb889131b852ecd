"""What every checked, refused-whole, upserting import reports (docs/import-*.md)."""

from __future__ import annotations

import msgspec


class RowProblem(msgspec.Struct, frozen=True):
    """A row the file cannot be imported with: its line (1 the header, 0 the file) and why."""

    line: int
    message: str


class ImportResult(msgspec.Struct):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = []
