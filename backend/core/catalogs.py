"""Message catalogs: derive en and zh_Hant from the sources, and find what is untranslated.

The msgids are English, so the en catalog copies them (where a translator has not written
otherwise). zh_Hans is translated by hand; zh_Hant is converted from it with OpenCC (s2hk, for
Hong Kong and Macao) wherever no hand-written zh_Hant entry exists or its msgid changed.

    python -m backend.core.catalogs fill     # after `pybabel update` (make messages does this)
    python -m backend.core.catalogs check    # exits 1 listing untranslated or fuzzy entries
"""

from __future__ import annotations

import sys

import opencc
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po, write_po

from backend.core.i18n import LOCALES, catalog_path


def read_catalog(locale: str) -> Catalog:
    with catalog_path(locale).open("rb") as source:
        return read_po(source, locale=locale)


def write_catalog(catalog: Catalog, locale: str) -> None:
    catalog.fuzzy = False  # the header's "fuzzy" from `pybabel init` would stop compilation
    with catalog_path(locale).open("wb") as target:
        write_po(target, catalog, width=100, no_location=True, sort_output=True)


def _complete(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and not message.fuzzy


def untranslated(locale: str) -> list[str]:
    """msgids with an empty or fuzzy translation in the locale's catalog."""
    return [
        str(message.id) for message in read_catalog(locale) if message.id and not _complete(message)
    ]


def fill_derived_catalogs() -> None:
    source_catalog = read_catalog("zh_Hans")
    write_catalog(source_catalog, "zh_Hans")
    sources = {message.id: message for message in source_catalog if message.id}
    converter = opencc.OpenCC("s2hk")

    english = read_catalog("en")
    for message in english:
        if message.id and not _complete(message):
            message.string = message.id
            message.flags.discard("fuzzy")
    write_catalog(english, "en")

    traditional = read_catalog("zh_Hant")
    for message in traditional:
        source = sources.get(message.id)
        if message.id and not _complete(message) and source is not None and _complete(source):
            if isinstance(source.string, tuple):
                message.string = tuple(converter.convert(text) for text in source.string)
            else:
                message.string = converter.convert(source.string)
            message.flags.discard("fuzzy")
    write_catalog(traditional, "zh_Hant")


def main(command: str) -> int:
    if command == "fill":
        fill_derived_catalogs()
        return 0
    problems = {locale: untranslated(locale) for locale in LOCALES}
    for locale, msgids in problems.items():
        for msgid in msgids:
            print(f"{locale}: untranslated or fuzzy: {msgid!r}")
    return 1 if any(problems.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "check"))
