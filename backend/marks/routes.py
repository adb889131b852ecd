"""/search/image: find registered trademarks that look like a photo of a logo.

A plain form (a file, optional filters) that works without JavaScript; with it, mark-search.js
lets the person frame the mark in a crop box and sends the browser's crop, at most 1024 px.
The same handler answers htmx with the results fragment (`_results.html`), or with the form
(`_search.html`, retargeted) when something must be fixed. The photo is read into memory,
searched and dropped (photo_form.py): it is never written to disk nor logged. A search changes
nothing and keeps nothing, so it is not behind CSRF (which would parse the body a second way,
spooling the photo to disk); each client may search `mark_searches_per_minute` times a minute.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Template
from PIL import Image

from backend.auth import limits
from backend.core import i18n
from backend.core.htmx import VARY_ON_HTMX, wants_fragment
from backend.core.i18n import lazy_marker as N_
from backend.core.uploads import Refusal, Refused
from backend.marks import service
from backend.marks.photo_form import (
    MAX_BODY_BYTES,
    FilterProblems,
    PhotoForm,
    parse_filters,
    read_photo_form,
    search_photo,
)
from backend.marks.schemas import MARK_KINDS, MarkSearch

PHOTO_FIELD = "photo"
NICE_CLASSES = tuple(range(1, 46))
KIND_NAMES = {
    "word": N_("Word mark"),
    "figurative": N_("Figurative mark"),
    "combined": N_("Combined mark (words and a figure)"),
}
PHOTO_REFUSALS = {
    Refusal.TOO_LARGE: N_(
        "The photo is larger than 10 MB: choose a smaller one or take the photo again."
    ),
    Refusal.EMPTY: N_("The file is empty: choose the photo again."),
    Refusal.UNSUPPORTED_TYPE: N_("This file is not a JPEG, PNG, WebP or HEIC photo."),
    Refusal.CORRUPT: N_(
        "This photo is damaged or incomplete: take it again or choose another file."
    ),
    Refusal.TOO_MANY_PIXELS: N_(
        "This image has too many pixels: take the photo again at a lower resolution."
    ),
}
NO_PHOTO = N_("Choose a photo of the mark, or take one.")
FILTER_PROBLEMS = {
    "nice_class": N_("Choose a Nice class from 1 to 45, or any class."),
    "kind": N_("Choose word, figurative or combined mark, or any kind."),
    "vienna": N_("Write a Vienna code as numbers and dots, for example 03.01 or 03.01.01."),
}
TOO_MANY = N_(
    "You have searched many times in a short while: wait %(seconds)s seconds and try again."
)
# Nothing of a search may be kept by a cache on the way: its answer is about someone's photo.
NO_STORE = {"Cache-Control": "private, no-store", "Vary": VARY_ON_HTMX}


class SearchRefused(Exception):
    """The search cannot run: `errors` says why, by field, in the person's language."""

    def __init__(
        self,
        errors: dict[str, str],
        status_code: int,
        *,
        values: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(errors)
        self.errors, self.status_code = errors, status_code
        self.values, self.headers = values or {}, headers or {}


def mark_search_limit(request: Request) -> limits.Limit:
    return limits.Limit("mark-search", request.app.state.settings.mark_searches_per_minute, 60)


async def run_search(request: Request, photo_field: str) -> tuple[dict[str, str], MarkSearch]:
    """Read, check and search; the form's fields (for the page) and the ranked marks.

    Shared by the page and the API (api.py); raises SearchRefused with every problem found.
    """
    client = request.client.host if request.client else ""
    try:  # counted first: a client over its limit costs no reading or decoding
        await limits.check(mark_search_limit(request), client, request.app.state.auth.now_seconds())
    except limits.RateLimited as error:
        message = i18n.gettext(TOO_MANY) % {"seconds": error.retry_after}
        headers = {"Retry-After": str(error.retry_after)}
        raise SearchRefused({photo_field: message}, 429, headers=headers) from error
    form = await read_photo_form(request, photo_field)
    image, filters, errors = await _checked(form, photo_field)
    if errors:
        status = 413 if form.photo == Refused(Refusal.TOO_LARGE) else 400
        raise SearchRefused(errors, status, values=form.fields)
    return form.fields, await service.search_marks(image, filters)


async def _checked(form: PhotoForm, photo_field: str) -> tuple[Any, Any, dict[str, str]]:
    """The photo decoded and the filters parsed, or the problem with each field (every one)."""
    errors: dict[str, str] = {}
    image: Image.Image | Refused | None = None
    if form.photo is None:
        errors[photo_field] = i18n.gettext(NO_PHOTO)
    else:
        image = form.photo if isinstance(form.photo, Refused) else await search_photo(form.photo)
        if isinstance(image, Refused):
            errors[photo_field] = i18n.gettext(PHOTO_REFUSALS[image.reason])
    filters = parse_filters(form.fields)
    if isinstance(filters, FilterProblems):
        errors.update({field: i18n.gettext(FILTER_PROBLEMS[field]) for field in filters.fields})
    return image, filters, errors


def _context(values: dict[str, str], errors: dict[str, str], found: MarkSearch | None) -> dict:
    return {
        "values": values,
        "errors": errors,
        "found": found,
        "nice_classes": NICE_CLASSES,
        "kinds": [(kind, i18n.gettext(KIND_NAMES[kind])) for kind in MARK_KINDS],
    }


class MarkSearchController(Controller):
    path = "/search/image"

    @get("/", name="mark-search")
    async def form(self) -> Template:
        return Template("marks/search.html", context=_context({}, {}, None), headers=NO_STORE)

    @post(
        "/",
        status_code=200,
        request_max_body_size=MAX_BODY_BYTES,
        opt={"exclude_from_csrf": True},
    )
    async def search(self, request: Request) -> Template:
        try:
            values, found = await run_search(request, PHOTO_FIELD)
        except SearchRefused as refused:
            return _refused_page(request, refused)
        context = _context(_kept(values), {}, found)
        template = "marks/_results.html" if wants_fragment(request) else "marks/search.html"
        return Template(template, context=context, headers=NO_STORE)


def _kept(values: dict[str, Any]) -> dict[str, str]:
    """The filters as typed, to show them again (never the photo)."""
    return {key: str(values.get(key, ""))[:20] for key in ("nice_class", "kind", "vienna")}


def _refused_page(request: Request, refused: SearchRefused) -> Template:
    """The form again with its error summary; htmx swaps it over the form and old results."""
    context = _context(_kept(refused.values), refused.errors, None)
    headers = {**NO_STORE, **refused.headers}
    if wants_fragment(request):
        headers |= {"HX-Retarget": "#mark-search", "HX-Reswap": "outerHTML"}
        return Template(
            "marks/_search.html", context=context, status_code=refused.status_code, headers=headers
        )
    return Template(
        "marks/search.html", context=context, status_code=refused.status_code, headers=headers
    )
