"""The search form's body, read in memory: the photo within its limit, the filters, nothing kept.

Litestar's own form parsing spools a file past 1 MiB to a temporary file on disk; a search
photo must never touch the disk, so the body is read here with the multipart parser Litestar
itself uses (`multipart`), the photo into memory only, counted as it comes and refused at the
first chunk past the limit — the rest of the body is never read. The route's
`request_max_body_size` refuses a declared Content-Length over it before a byte is read. Then
`search_photo` decodes it (backend/core/uploads.py: type from the content, bombs refused, EXIF
orientation honoured) to the RGB image, at most 1024 px, that the search takes.
"""

from __future__ import annotations

import io
import re

import anyio.to_thread
import msgspec
from litestar import Request
from litestar.exceptions import ClientException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from multipart import MultipartSegment, ParserError, ParserLimitReached, PushMultipartParser
from PIL import Image

from backend.core import uploads
from backend.core.uploads import ImageFormat, Refusal, Refused
from backend.marks.schemas import MARK_KINDS, MarkFilters

MAX_PHOTO_BYTES = uploads.MAX_UPLOAD_BYTES
"""A phone's own photo, sent without the browser shrinking it (no JavaScript), fits."""
MAX_BODY_BYTES = MAX_PHOTO_BYTES + 64 * 1024
"""The photo, the filters and the multipart envelope (boundaries, part headers)."""
SEARCH_LONG_SIDE = 1024
ACCEPTED = (ImageFormat.JPEG, ImageFormat.PNG, ImageFormat.WEBP, ImageFormat.HEIF)
_MAX_FIELD_BYTES = 200
_MAX_PARTS = 12
# Vienna classification codes as written: category, division, section (03.01.01, or 3.1.1).
_VIENNA = re.compile(r"\d{1,2}(\.\d{1,2}){0,2}")


class PhotoForm(msgspec.Struct, frozen=True, kw_only=True):
    photo: bytes | Refused | None
    """The photo's bytes; why it was refused; or None when no file was chosen."""
    fields: dict[str, str]


class FilterProblems(msgspec.Struct, frozen=True):
    """The filter fields that are wrong, for the form's messages."""

    fields: tuple[str, ...]


async def read_photo_form(request: Request, photo_field: str) -> PhotoForm:
    """The photo and text fields of a multipart body; a malformed body is a 400."""
    content_type, options = request.content_type
    boundary = options.get("boundary")
    if content_type != "multipart/form-data" or not boundary:
        raise ClientException(detail="send the form as multipart/form-data")
    parser = PushMultipartParser(boundary, max_segment_count=_MAX_PARTS)
    fields: dict[str, str] = {}
    photo: bytearray | None = None
    photo_named = False
    taking = False  # this part is the photo (the first file part of that name with bytes)
    segment: MultipartSegment | None = None
    text = bytearray()
    try:
        async for chunk in request.stream():
            for event in parser.parse(chunk):
                if isinstance(event, MultipartSegment):
                    segment, text = event, bytearray()
                    # The form has two photo inputs (camera, file); the one left empty is skipped.
                    taking = event.name == photo_field and event.filename is not None and not photo
                    if taking:
                        photo, photo_named = bytearray(), photo_named or bool(event.filename)
                elif event:
                    if taking and photo is not None:
                        photo.extend(event)
                        if len(photo) > MAX_PHOTO_BYTES:
                            return PhotoForm(photo=Refused(Refusal.TOO_LARGE), fields=fields)
                    elif len(text) + len(event) <= _MAX_FIELD_BYTES:
                        text.extend(event)
                elif segment is not None:
                    if segment.filename is None:
                        fields.setdefault(segment.name, text.decode("utf-8", "replace"))
                    segment = None
    except RequestEntityTooLarge:
        return PhotoForm(photo=Refused(Refusal.TOO_LARGE), fields=fields)
    except (ParserError, ParserLimitReached) as error:
        raise ClientException(detail="invalid multipart/form-data") from error
    if not parser.closed:
        raise ClientException(detail="the multipart/form-data body ended early")
    if not photo:  # no file chosen (a browser sends an empty part with no name), or an empty one
        return PhotoForm(photo=Refused(Refusal.EMPTY) if photo_named else None, fields=fields)
    return PhotoForm(photo=bytes(photo), fields=fields)


async def search_photo(data: bytes) -> Image.Image | Refused:
    """Decoded by its content, upright, RGB, at most 1024 px; in a worker thread."""
    with io.BytesIO(data) as spool:
        return await anyio.to_thread.run_sync(
            lambda: uploads.upright_rgb(spool, ACCEPTED, long_side=SEARCH_LONG_SIDE)
        )


def parse_filters(fields: dict[str, str]) -> MarkFilters | FilterProblems:
    """Nice class 1–45, a kind of mark, a Vienna code prefix (03, 03.01, 03.01.01); blank is any."""
    problems: list[str] = []
    nice_text = fields.get("nice_class", "").strip()
    nice_class = None
    if nice_text:
        if nice_text.isdecimal() and 1 <= int(nice_text) <= 45:
            nice_class = int(nice_text)
        else:
            problems.append("nice_class")
    kind = fields.get("kind", "").strip() or None
    if kind is not None and kind not in MARK_KINDS:
        problems.append("kind")
    vienna = fields.get("vienna", "").strip() or None
    if vienna is not None:
        if _VIENNA.fullmatch(vienna):
            vienna = ".".join(part.zfill(2) for part in vienna.split("."))
        else:
            problems.append("vienna")
    if problems:
        return FilterProblems(tuple(problems))
    return MarkFilters(nice_class=nice_class, kind=kind, vienna=vienna)
