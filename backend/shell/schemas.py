from __future__ import annotations

import msgspec


class ServiceEntry(msgspec.Struct, frozen=True):
    """A top task offered on the home page, already in the person's language."""

    key: str
    title: str
    summary: str
    href: str
    coming_soon: bool = False  # not in the app yet: href is the guide to how it is done now


class LocaleChoice(msgspec.Struct):
    locale: str
    next: str = "/"


class ElderModeChoice(msgspec.Struct):
    enabled: str = "0"
    next: str = "/"


class ManifestIcon(msgspec.Struct):
    src: str
    sizes: str
    type: str
    purpose: str


class WebAppManifest(msgspec.Struct):
    """The subset of the W3C manifest we publish; names are in the page's locale."""

    id: str
    name: str
    short_name: str
    description: str
    lang: str
    dir: str
    start_url: str
    scope: str
    display: str
    background_color: str
    theme_color: str
    icons: list[ManifestIcon]
