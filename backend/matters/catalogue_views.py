"""The catalogue as the pages show it: areas, matters and outlet types in the person's language."""

from __future__ import annotations

from backend.core import i18n
from backend.core.i18n import lazy_marker as N_
from backend.matters.catalogue import AREAS, Matter, catalogue
from backend.outlets.service import type_name as outlet_type_name

AREA_NAMES = {
    "patents": N_("Patents"),
    "trademarks": N_("Trademarks"),
    "geographical-indications": N_("Geographical indications"),
    "account": N_("Your account"),
}


def area_name(area: str) -> str:
    return i18n.gettext(AREA_NAMES[area])


def by_area() -> list[tuple[str, str, tuple[Matter, ...]]]:
    """(area, its name in the person's language, its matters) for each area that has some."""
    held = catalogue()
    return [(area, area_name(area), held.in_area(area)) for area in AREAS if held.in_area(area)]


def outlet_type_names(matter: Matter) -> list[str]:
    return [outlet_type_name(code) for code in matter.outlet_types]


def related_matters(codes: list[str]) -> list[tuple[str, str]]:
    """(code, name in the person's language) of the codes the catalogue holds, in their order.

    Lent to the guides' template (a guide's "Related matters"); codes not held are left out.
    """
    held, locale = catalogue(), i18n.current_locale()
    return [(code, matter.name.of(locale)) for code in codes if (matter := held.get(code))]
