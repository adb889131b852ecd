"""Locales: negotiation, the per-request gettext, and Babel formatting.

The locale of a request lives in a ContextVar, never in a process-wide `install()`, so one
person never sees another's language.
"""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale, dates, numbers
from babel.support import NullTranslations, Translations

from backend.settings import PROJECT_ROOT

LOCALES_DIR = PROJECT_ROOT / "locales"
LOCALES: tuple[str, ...] = ("zh_Hans", "zh_Hant", "en")
DEFAULT_LOCALE = "zh_Hans"
LOCALE_COOKIE = "iph_locale"
# The other display preference kept in a cookie (shell/routes.py sets both).
ELDER_COOKIE = "iph_elder"

# Each locale's own name, shown in the switcher whatever the page's language.
LOCALE_NAMES: dict[str, str] = {"zh_Hans": "简体中文", "zh_Hant": "繁體中文", "en": "English"}
# BCP 47 tags for <html lang> and the manifest.
HTML_LANG: dict[str, str] = {"zh_Hans": "zh-Hans", "zh_Hant": "zh-Hant", "en": "en"}
# The Babel locale used for dates and numbers: zh_Hant serves Hong Kong and Macao.
BABEL_LOCALE: dict[str, str] = {"zh_Hans": "zh_Hans_CN", "zh_Hant": "zh_Hant_HK", "en": "en"}
# Parsed once: Locale.parse on every date or number formatted is a measurable share of a page.
_BABEL_LOCALES: dict[str, Locale] = {code: Locale.parse(tag) for code, tag in BABEL_LOCALE.items()}

_current_locale: ContextVar[str] = ContextVar("iph_locale", default=DEFAULT_LOCALE)


@cache
def translations_for(locale: str) -> NullTranslations:
    """The compiled catalog of a locale (loaded once per process)."""
    return Translations.load(str(LOCALES_DIR), [locale], domain="messages")


def set_locale(locale: str) -> None:
    _current_locale.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def current_locale() -> str:
    return _current_locale.get()


def gettext(message: str) -> str:
    return translations_for(current_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations_for(current_locale()).ngettext(singular, plural, n)


def lazy_marker(message: str) -> str:
    """Marks a string for extraction where it is translated later (at render time)."""
    return message


def locale_from_tag(tag: str) -> str | None:
    """Map a BCP 47 language tag (zh-CN, zh-Hant-HK, en-GB, …) to one of our locales."""
    parts = tag.strip().replace("_", "-").lower().split("-")
    if not parts or not parts[0]:
        return None
    if parts[0] == "en":
        return "en"
    if parts[0] != "zh":
        return None
    rest = set(parts[1:])
    if rest & {"hant", "tw", "hk", "mo"}:
        return "zh_Hant"
    return "zh_Hans"


def locale_from_accept_language(header: str) -> str | None:
    """The best of our locales for an Accept-Language header, by its q-values."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        tag, _, params = item.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if quality > 0:
            weighted.append((-quality, position, tag))
    for _, _, tag in sorted(weighted):
        if locale := locale_from_tag(tag):
            return locale
    return None


def preferred_locale(
    cookie_value: str | None, account_locale: str | None, accept_language: str | None
) -> str | None:
    """The locale the person's own signals ask for: switch (cookie) > account > browser.

    None when none of them names one of our locales: only the default would apply, and no one
    chose it (an account must then not be given it as a preference).
    """
    for candidate in (cookie_value, account_locale):
        if candidate in LOCALES:
            return candidate
    if accept_language:
        return locale_from_accept_language(accept_language)
    return None


def negotiate_locale(
    cookie_value: str | None, account_locale: str | None, accept_language: str | None
) -> str:
    """Explicit switch (cookie) > account preference > Accept-Language > default."""
    return preferred_locale(cookie_value, account_locale, accept_language) or DEFAULT_LOCALE


def babel_locale() -> Locale:
    return _BABEL_LOCALES[current_locale()]


def format_date(value: dt.date, format: str = "long") -> str:
    return _format_date(value, format, current_locale())


@lru_cache(maxsize=8192)
def _format_date(value: dt.date, format: str, locale: str) -> str:
    """Dates recur across pages (filing and event dates); Babel takes ~5 µs for each."""
    return dates.format_date(value, format=format, locale=_BABEL_LOCALES[locale])


def format_number(value: int | float | Decimal) -> str:
    if isinstance(value, int):
        return _format_integer(value, babel_locale())
    return numbers.format_decimal(value, locale=babel_locale())


@lru_cache(maxsize=8192)
def _format_integer(value: int, locale: Locale) -> str:
    """Counts recur on every page (a directory's 45 links); Babel takes ~25 µs for each."""
    return numbers.format_decimal(value, locale=locale)


def format_money(value: int | float | Decimal, currency: str = "CNY") -> str:
    return numbers.format_currency(value, currency, locale=babel_locale())


def catalog_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"


def locale_for_connection(cookies: dict[str, str], headers, session: dict | None) -> str:
    """Negotiate from what a request carries (used by the middleware and error pages)."""
    return preferred_locale_for_connection(cookies, headers, session) or DEFAULT_LOCALE


def preferred_locale_for_connection(
    cookies: dict[str, str], headers, session: dict | None
) -> str | None:
    """The language a request's page is shown in, unless only the default put it there.

    The session's "locale" is the signed-in account's choice (None: it has none).
    """
    return preferred_locale(
        cookies.get(LOCALE_COOKIE), (session or {}).get("locale"), headers.get("accept-language")
    )


class using_locale:
    """Render something in another person's language (a notification), then switch back."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def __enter__(self) -> None:
        self._token = _current_locale.set(self.locale if self.locale in LOCALES else DEFAULT_LOCALE)

    def __exit__(self, *_: object) -> None:
        _current_locale.reset(self._token)
