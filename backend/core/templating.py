"""Jinja set-up: per-request gettext, Babel filters and the shell's globals."""

from __future__ import annotations

from typing import Any

from litestar.plugins.jinja import JinjaTemplateEngine

from backend.core import i18n
from backend.core.static_assets import StaticAssets


def configure_jinja(
    engine: JinjaTemplateEngine, assets: StaticAssets, domain_globals: dict[str, Any]
) -> None:
    """`domain_globals`: helpers the domains lend their templates (wired in create_app)."""
    environment = engine.engine
    environment.add_extension("jinja2.ext.i18n")
    # newstyle gettext: autoescaped, `%(name)s` formatting by keyword; reads the request's locale.
    environment.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    environment.globals.update(
        static_url=assets.url,
        current_locale=i18n.current_locale,
        html_lang=lambda: i18n.HTML_LANG[i18n.current_locale()],
        locale_names=i18n.LOCALE_NAMES,
        locales=i18n.LOCALES,
        **domain_globals,
    )
    environment.filters.update(
        format_date=i18n.format_date,
        format_number=i18n.format_number,
        format_money=i18n.format_money,
    )
    environment.trim_blocks = True
    environment.lstrip_blocks = True
