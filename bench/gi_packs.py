"""The size of each province's offline pack, on the whole seed: bench/README.md "GI offline packs".

    .venv/bin/python bench/gi_packs.py

A fresh var dir is migrated and seeded by `litestar iph setup` (as bench/run.py does); then, for
each province with GI products, `offline.province_pack` gives its pages and their estimated
download, and the pack JSON itself is gzip-compressed. Prints the Markdown table rows, smallest
first.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import app_env, setup_database


async def pack_rows() -> list[tuple[str, int, int, int, int]]:
    import msgspec

    from backend.app import create_app
    from backend.geo_indications import offline, service

    app = create_app()
    rows = []
    async with app.lifespan():
        for place in await service.province_counts():
            pack = await offline.province_pack(place.code)
            compressed = len(gzip.compress(msgspec.json.encode(pack)))
            rows.append((place.name, place.count, len(pack.pages), pack.total_bytes, compressed))
    return sorted(rows, key=lambda row: row[3])


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="iph-gi-packs-") as var_dir:
        setup_database(Path(var_dir))
        os.environ.update(app_env(Path(var_dir)))
        for name, products, pages, download, pack in asyncio.run(pack_rows()):
            print(
                f"| {name} | {products} | {pages} | {download / 1000:,.0f} KB "
                f"| {pack / 1000:.1f} KB |"
            )


if __name__ == "__main__":
    main()
