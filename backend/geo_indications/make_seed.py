"""Make seed/gi-products.jsonl, the directory's own seed, from the shared CNIPA file.

    .venv/bin/python -m backend.geo_indications.make_seed ../shared/data/cnipa-gi-products.json

It keeps the facts of each record (the product's name, province, prefecture and the places of
its protected area) and leaves out the announcements' descriptions, which may not be copied
into the repository (../shared/data/README.md). The output is in the project's own JSON Lines
format (docs/import-gi.md), one product a line in the file's order, and is the same each time
it is made from the same file. The source's MIT notice is kept beside it (seed/LICENSE). Its rows
do not repeat their source: the seed loader gives them importer.CNIPA_SOURCE.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SEED_FILE = Path(__file__).parent / "seed" / "gi-products.jsonl"


def seed_lines(entries: list[dict]) -> list[str]:
    lines = []
    for entry in entries:
        row = {
            "name": entry["product_name"],
            "province": entry["province"],
            "prefecture": entry["city"],
            "protected_area": entry["districts"],
        }
        lines.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
    return lines


def main(argv: list[str]) -> None:
    source = Path(argv[0] if argv else "../shared/data/cnipa-gi-products.json")
    lines = seed_lines(json.loads(source.read_text(encoding="utf-8")))
    SEED_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{SEED_FILE}: {len(lines)} products")


if __name__ == "__main__":
    main(sys.argv[1:])
