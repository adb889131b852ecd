"""Jinja set-up: per-request gettext, Babel filters and the shell's globals."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from litestar.plugins.jinja import JinjaTemplateEngine
from markupsafe import Markup, escape

from backend.core import i18n
from backend.core.static_assets import StaticAssets


def _gettext(message: str, **variables: Any) -> Markup:
    """Jinja's "newstyle" gettext (escaped, `%(name)s` by keyword, in the request's locale) as a
    plain function. Jinja's own reaches it through two context calls per string: rendering a
    record page took 272 µs with it, 168 µs with this."""
    translated = i18n.gettext(message)
    # `%` leaves a string without "%" as it is: skip it for the many that have none.
    return Markup(translated) % variables if variables or "%" in translated else Markup(translated)


def _ngettext(singular: str, plural: str, n: int, **variables: Any) -> Markup:
    variables.setdefault("num", n)
    return Markup(i18n.ngettext(singular, plural, n)) % variables


# Stands for the page's own path in a shell part rendered once for many pages.
NEXT_PATH = "__iph_next_path__"
NAV_PATHS = frozenset({"/", "/records", "/matters", "/guides", "/account"})


class ShellParts:
    """The page's header and foot (navigation, language and elder-mode switches), rendered once
    per language, elder mode, current section and signed-in state, then reused: they are most of
    a page's render time, and the same on every page but for the return path of the switches.
    """

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.rendered: dict[tuple, str] = {}

    @pass_context
    def __call__(self, context: Context, template: str) -> Markup:
        request = context["request"]
        path = request.url.path
        elder_on = request.cookies.get(i18n.ELDER_COOKIE) == "1"
        current_path = path if path in NAV_PATHS else ""
        signed_in = request.scope.get("user") is not None
        key = (template, i18n.current_locale(), elder_on, current_path, signed_in)
        html = self.rendered.get(key)
        if html is None:
            html = self.rendered[key] = self.environment.get_template(template).render(
                elder_on=elder_on,
                current_path=current_path,
                signed_in=signed_in,
                next_path=NEXT_PATH,
            )
        return Markup(html.replace(NEXT_PATH, str(escape(path))))


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
        shell_part=ShellParts(environment),
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
    environment.make_globals = lambda template_globals: _flat_globals(environment, template_globals)


def _flat_globals(environment: Environment, template_globals: dict | None) -> dict[str, Any]:
    """A template's globals as one dict, made when the template is first loaded.

    Jinja's own is a ChainMap over the environment's globals, which every render (and every
    include) copies key by key in Python: 10 µs of a record page's 72 (bench/). Nothing adds
    globals once the app is built, which is what makes a copy at load time safe."""
    return {**environment.globals, **(template_globals or {})}
