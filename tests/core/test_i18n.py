"""Locales: negotiation rules and complete catalogs (no untranslated or fuzzy UI string)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from backend.core import i18n
from backend.core.catalogs import read_catalog, untranslated
from backend.settings import PROJECT_ROOT


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_ui_string_is_translated_and_none_is_fuzzy(locale: str) -> None:
    assert untranslated(locale) == []


def test_the_catalogs_hold_every_string_the_code_and_templates_use(tmp_path: Path) -> None:
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-k",
            "_",
            "-k",
            "gettext",
            "-k",
            "ngettext:1,2",
            "--no-location",
            "-o",
            str(template),
            ".",
        ],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as source:
        used = {message.id for message in read_po(source) if message.id}
    for locale in i18n.LOCALES:
        known = {message.id for message in read_catalog(locale) if message.id}
        assert used - known == set(), f"{locale}: run `make messages` and translate"


@pytest.mark.parametrize(
    ("cookie", "account", "header", "expected"),
    [
        ("en", "zh_Hant", "zh-CN", "en"),
        (None, "zh_Hant", "en", "zh_Hant"),
        ("bogus", None, "en-GB", "en"),
        (None, None, "zh-Hant-TW;q=0.9, en;q=0.8", "zh_Hant"),
        (None, None, "de, en;q=0", "zh_Hans"),
        (None, None, None, "zh_Hans"),
    ],
)
def test_negotiation_order_is_switch_then_account_then_header_then_default(
    cookie, account, header, expected
) -> None:
    assert i18n.negotiate_locale(cookie, account, header) == expected


@pytest.mark.parametrize(
    ("cookie", "account", "header", "expected"),
    [
        ("zh_Hant", None, "en", "zh_Hant"),
        (None, None, "en-GB,en;q=0.9", "en"),
        (None, None, "zh-CN", "zh_Hans"),
        (None, None, "de, en;q=0", None),
        ("bogus", None, None, None),
        (None, None, None, None),
    ],
)
def test_the_preferred_locale_is_none_when_only_the_default_would_apply(
    cookie, account, header, expected
) -> None:
    """What a new account may keep as its language: never the default no one asked for."""
    assert i18n.preferred_locale(cookie, account, header) == expected


@given(st.text(max_size=200))
def test_any_accept_language_header_gives_one_of_our_locales(header: str) -> None:
    assert i18n.negotiate_locale(None, None, header) in i18n.LOCALES


@pytest.mark.parametrize(
    ("locale", "date_text", "money_text"),
    [
        ("zh_Hans", "2026年3月1日", "¥1,200.00"),
        ("zh_Hant", "2026年3月1日", "CN¥1,200.00"),
        ("en", "March 1, 2026", "CN¥1,200.00"),
    ],
)
def test_dates_and_money_are_formatted_by_babel_for_the_locale(
    locale: str, date_text: str, money_text: str
) -> None:
    i18n.set_locale(locale)
    try:
        assert i18n.format_date(dt.date(2026, 3, 1)) == date_text
        assert i18n.format_money(1200) == money_text
    finally:
        i18n.set_locale(i18n.DEFAULT_LOCALE)
