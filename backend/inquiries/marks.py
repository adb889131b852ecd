"""Trademark images: kept under var/marks by content hash and served at /marks/<file>.

An import row names its image relative to the import file; the image is checked with the rest of
the file, then copied in under a name made from its content, so importing it again changes
nothing and a changed image gets a new address (the files are cached for a year). Demo marks are
word marks: the mark's name drawn in a frame.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

MARK_URL_PREFIX = "/marks/"
IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".webp", ".svg")
MAX_IMAGE_BYTES = 512 * 1024


def mark_image_problem(source: Path) -> str | None:
    """Why `source` cannot be a mark image, or None."""
    if source.suffix.lower() not in IMAGE_TYPES:
        return f"mark image {source.name}: use one of {', '.join(IMAGE_TYPES)}"
    if not source.is_file():
        return f"mark image {source.name}: no such file beside the import file"
    if source.stat().st_size > MAX_IMAGE_BYTES:
        return f"mark image {source.name}: larger than {MAX_IMAGE_BYTES // 1024} KB"
    return None


def keep_mark_image(content: bytes, suffix: str, marks_dir: Path) -> str:
    """Store the image once under its content hash; returns its address."""
    name = hashlib.sha256(content).hexdigest()[:24] + suffix.lower()
    target = marks_dir / name
    if not target.exists():
        marks_dir.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=marks_dir, prefix=".tmp-")
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temporary, target)
    return MARK_URL_PREFIX + name


def word_mark_svg(name: str) -> bytes:
    """A word mark as an image: its name in a frame."""
    size = 28 if len(name) <= 4 else 20
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="120" viewBox="0 0 240 120">'
        '<rect x="4" y="4" width="232" height="112" rx="12" fill="#fff" stroke="#0b4fa8" '
        'stroke-width="4"/>'
        f'<text x="120" y="68" font-size="{size}" font-family="sans-serif" font-weight="bold" '
        f'text-anchor="middle" fill="#0b4fa8">{escape(name)}</text></svg>'
    ).encode()
