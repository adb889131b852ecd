"""The home page's top tasks, the site search over them, and the web app manifest."""

from __future__ import annotations

from backend.core import i18n
from backend.core.i18n import lazy_marker as N_
from backend.shell.schemas import ManifestIcon, ServiceEntry, WebAppManifest

THEME_COLOUR = "#0b4fa8"
BACKGROUND_COLOUR = "#ffffff"

# (key, title, summary, href): the top tasks of DESIGN.md, people's words first.
_TOP_TASKS: tuple[tuple[str, str, str, str], ...] = (
    (
        "records",
        N_("Check a patent or trademark"),
        N_("Status, timeline and next steps of any application number"),
        "/records",
    ),
    (
        "my-records",
        N_("My patents and trademarks"),
        N_("Deadlines and fees due for the rights you hold"),
        "/my/records",
    ),
    (
        "matters",
        N_("Handle a matter"),
        N_("Change a name or address, request a certificate and more"),
        "/matters",
    ),
    (
        "certificates",
        N_("E-certificates"),
        N_("Show, share and verify electronic certificates"),
        "/my/certificates",
    ),
    (
        "guides",
        N_("Policy guides"),
        N_("What a matter needs, what it costs and how long it takes; readable offline"),
        "/guides",
    ),
    (
        "gi",
        N_("Geographical indications"),
        N_("Browse GI products of your region and check a special mark"),
        "/gi",
    ),
    (
        "outlets",
        N_("Service outlets"),
        N_("Find the nearest IP service window or information centre"),
        "/outlets",
    ),
    (
        "reviews",
        N_("Rate our service"),
        N_("Tell us how we did, and see how every bad rating was put right"),
        "/disclosure",
    ),
)
# Tasks whose pages are not built yet, and the guide that says how to get them done meanwhile
# (at a window, on the office's own site). A tile never leads to a page that is not there; take
# a task out of here when its feature is built (tests/browser/test_no_dead_ends.py says when).
GUIDE_UNTIL_BUILT: dict[str, str] = {}


def top_tasks() -> list[ServiceEntry]:
    _ = i18n.gettext
    return [
        ServiceEntry(
            key=key,
            title=_(title),
            summary=_(summary),
            href=GUIDE_UNTIL_BUILT.get(key, href),
            coming_soon=key in GUIDE_UNTIL_BUILT,
        )
        for key, title, summary, href in _TOP_TASKS
    ]


def search_services(query: str) -> list[ServiceEntry]:
    """Top tasks whose title or summary holds every word of the query (any letter case).

    Later domains (records, guides, GI) add their own results to the search page.
    """
    words = query.casefold().split()
    if not words:
        return []
    return [
        entry
        for entry in top_tasks()
        if all(word in f"{entry.title} {entry.summary}".casefold() for word in words)
    ]


def web_app_manifest(icon_url) -> WebAppManifest:
    _ = i18n.gettext
    locale = i18n.current_locale()
    return WebAppManifest(
        id="/",
        name=_("IP Handheld"),
        short_name=_("IP Handheld (short)"),
        description=_("Public services of the intellectual-property office, in your hand"),
        lang=i18n.HTML_LANG[locale],
        dir="ltr",
        start_url="/?source=pwa",
        scope="/",
        display="standalone",
        background_color=BACKGROUND_COLOUR,
        theme_color=THEME_COLOUR,
        icons=[
            ManifestIcon(icon_url("icon-192.png"), "192x192", "image/png", "any"),
            ManifestIcon(icon_url("icon-512.png"), "512x512", "image/png", "any"),
            ManifestIcon(icon_url("icon-maskable-512.png"), "512x512", "image/png", "maskable"),
        ],
    )
