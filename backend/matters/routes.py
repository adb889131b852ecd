"""Matter pages: the catalogue by area (/matters) and what one matter needs (/matters/{code})."""

from __future__ import annotations

from litestar import Controller, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from backend.core import i18n
from backend.matters import catalogue_views as views
from backend.matters.catalogue import Localised, catalogue

# Read and checked when the app is built: a wrong file in content/matters/ stops the start.
catalogue()


def _in_locale(locale: str):
    """`t(text)` in the templates: a catalogue text in the person's language."""
    return lambda text: text.of(locale) if isinstance(text, Localised) else ""


class MatterController(Controller):
    path = "/matters"

    @get("/", name="matters")
    async def matters(self) -> Template:
        groups = views.by_area()
        locale = i18n.current_locale()
        return Template("matters/index.html", context={"groups": groups, "t": _in_locale(locale)})

    @get("/{code:str}", name="matter")
    async def matter(self, code: FromPath[str]) -> Template:
        matter = catalogue().get(code)
        if matter is None:
            raise NotFoundException
        locale = i18n.current_locale()
        return Template(
            "matters/matter.html",
            context={
                "matter": matter,
                "area_name": views.area_name(matter.area),
                "outlet_types": views.outlet_type_names(matter),
                "t": _in_locale(locale),
            },
        )
