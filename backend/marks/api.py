"""POST /api/v1/marks/search: the image search for other systems, as ranked JSON.

Open like the record look-up (GET /api/v1/records/{number}): what it answers is public, and no
key is needed; each client address may search `mark_searches_per_minute` times a minute, the
page and the interface together, counted by the atomic SQL counter sign-in uses. The body is
multipart/form-data, read as the page's is (photo_form.py: in memory, never kept); its schema is
written out here because the handler reads the stream itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
from litestar import Controller, MediaType, Request, Response, post
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example, OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType

from backend.core import i18n
from backend.core.request_log import request_id_of
from backend.marks.photo_form import MAX_BODY_BYTES, MAX_PHOTO_BYTES
from backend.marks.routes import SearchRefused, run_search
from backend.marks.schemas import MARK_KINDS, MarkSearch

IMAGE_FIELD = "image"


class MarkSearchProblem(msgspec.Struct, frozen=True):
    """Why a search was refused: the status, and the problem with each field, in English."""

    status: int
    title: str
    detail: str
    fields: dict[str, str] = {}
    request_id: str = ""


_EXAMPLE = {
    "matches": [
        {
            "record_id": 101,
            "number": "17593425",
            "title": "山川",
            "owner": "山川食品有限公司",
            "status": "registered",
            "image": "/marks/3f5a0c.png",
            "score": 0.91,
            "through": "both",
        }
    ],
    "close": True,
    "text_read": "山川",
}


def _multipart_body() -> RequestBody:
    return RequestBody(
        required=True,
        description=f"The photo as `{IMAGE_FIELD}` (JPEG, PNG, WebP or HEIC, at most "
        f"{MAX_PHOTO_BYTES // (1024 * 1024)} MiB; the type is read from its bytes), and any "
        "filters. It is searched and dropped, never kept.",
        content={
            "multipart/form-data": OpenAPIMediaType(
                schema=Schema(
                    type=OpenAPIType.OBJECT,
                    required=[IMAGE_FIELD],
                    properties={
                        IMAGE_FIELD: Schema(type=OpenAPIType.STRING, format="binary"),
                        "nice_class": Schema(
                            type=OpenAPIType.INTEGER,
                            minimum=1,
                            maximum=45,
                            description="Only marks registered in this Nice class.",
                        ),
                        "kind": Schema(
                            type=OpenAPIType.STRING,
                            enum=list(MARK_KINDS),
                            description="Only marks of this kind.",
                        ),
                        "vienna": Schema(
                            type=OpenAPIType.STRING,
                            pattern=r"^\d{1,2}(\.\d{1,2}){0,2}$",
                            description="Only marks with a figurative element under this "
                            "Vienna code (category, division or section: 03, 03.01, 03.01.01).",
                        ),
                    },
                )
            )
        },
    )


@dataclass
class _MultipartSearch(Operation):
    """The operation as Litestar writes it, with the multipart body it cannot see (the handler
    reads the stream itself)."""

    def __post_init__(self) -> None:
        self.request_body = _multipart_body()


def _problem(status: int, title: str, detail: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=MarkSearchProblem,
        description=title,
        generate_examples=False,
        examples=[
            Example(summary=title, value={"status": status, "title": title, "detail": detail})
        ],
    )


def _api_problem(request: Request, exc: HTTPException) -> Response:
    return Response(
        MarkSearchProblem(
            status=exc.status_code,
            title=exc.__class__.__name__,
            detail=exc.detail,
            request_id=request_id_of(request.scope),
        ),
        status_code=exc.status_code,
        headers=dict(exc.headers or {}),
        media_type=MediaType.JSON,
    )


class MarkSearchApiController(Controller):
    path = "/api/v1/marks"
    tags = ["marks"]
    exception_handlers = {HTTPException: _api_problem}

    @post(
        "/search",
        status_code=200,
        summary="Registered marks that look like a photo, best first",
        description="The image search of /search/image: marks close in shape, and marks whose "
        "words match the text read in the photo. `close` is false when none is close; "
        "`through` says whether a match came from the image, the text or both.",
        request_max_body_size=MAX_BODY_BYTES,
        opt={"exclude_from_csrf": True},
        operation_class=_MultipartSearch,
        responses={
            200: ResponseSpec(
                data_container=MarkSearch,
                description="The matches, best first (at most 20)",
                generate_examples=False,
                examples=[Example(summary="A mark found", value=_EXAMPLE)],
            ),
            400: _problem(400, "Bad form", "image: no photo sent"),
            413: _problem(413, "Too large", f"image: larger than {MAX_PHOTO_BYTES} bytes"),
            429: _problem(429, "Too many searches", "wait before searching again"),
        },
    )
    async def search(self, request: Request) -> Response[MarkSearch | MarkSearchProblem]:
        with i18n.using_locale("en"):
            try:
                _, found = await run_search(request, IMAGE_FIELD)
            except SearchRefused as refused:
                return _refusal(request, refused)
        return Response(found, headers={"Cache-Control": "private, no-store"})


def _refusal(request: Request, refused: SearchRefused) -> Response[MarkSearchProblem]:
    problem = MarkSearchProblem(
        status=refused.status_code,
        title={413: "Too large", 429: "Too many searches"}.get(refused.status_code, "Bad form"),
        detail="; ".join(f"{name}: {message}" for name, message in refused.errors.items()),
        fields=refused.errors,
        request_id=request_id_of(request.scope),
    )
    return Response(
        problem,
        status_code=refused.status_code,
        headers={"Cache-Control": "private, no-store", **refused.headers},
        media_type=MediaType.JSON,
    )
