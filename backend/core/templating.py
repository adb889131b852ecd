"""Jinja set-up: per-request gettext, Babel filters and the shell's globals."""

from __future__ import annotations

from typing import Any

from litestar.plugins.jinja import JinjaTemplateEngine
from markupsafe import Markup

from backend.core import i18n
from backend.core.static_assets import StaticAssets


def _gettext(message: str, **variables: Any) -> Markup:
    """Jinja's "newstyle" gettext (escaped, `%(name)s` by keyword, in the request's locale) as a
    plain function. Jinja's own reaches it through two context calls per string: a third of the
    page shell's render time (bench/)."""
    return Markup(i18n.gettext(message)) % variables


def _ngettext(singular: str, plural: str, n: int, **variables: Any) -> Markup:
    variables.setdefault("num", n)
    return Markup(i18n.ngettext(singular, plural, n)) % variables


def configure_jinja(
    engine: JinjaTemplateEngine, assets: StaticAssets, domain_globals: dict[str, Any]
) -> None:
    """`domain_globals`: helpers the domains lend their templates (wired in create_app)."""
    environment = engine.engine
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    # Templates are part of the release: no file check on every include.
    environment.auto_reload = False
    environment.globals.update(
        _=_gettext,
        gettext=_gettext,
        ngettext=_ngettext,
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
