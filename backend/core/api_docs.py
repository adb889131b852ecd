"""/schema: the API documentation, drawn by Swagger UI from the app's own files.

Litestar's render plugins load their renderer, fonts and favicon from CDNs, which the pages' CSP
blocks (and many of the office's networks cannot reach), and call it from an inline script. This
page names only files of ours: the vendored Swagger UI (frontend/static/vendor/swagger-ui-*),
css/api-docs.css (its layout on a phone) and js/api-docs.js, which starts it on
/schema/openapi.json. Swagger UI needs no inline script or style, no worker and no web font, so
/schema keeps the policy every page has (core/security.py). Redoc would need 'unsafe-inline'
styles and a blob: worker, RapiDoc inline styles and Google's fonts. Litestar's other renderer
paths (/schema/redoc, /schema/swagger, …) are not served: this page and /schema/openapi.json are
the only routes under /schema, anything else there is Litestar's 404.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin

SWAGGER_UI = "vendor/swagger-ui-5.35.0"


class SwaggerUIPage(OpenAPIRenderPlugin):
    def __init__(self) -> None:
        super().__init__(path="/", favicon="", style="")

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        static_url = request.app.state.assets.url
        title = escape(openapi_schema["info"]["title"])
        spec_url = escape(self.get_openapi_json_route(request))
        return f"""<!doctype html>
<html lang="en" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="/icons/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{static_url(f"{SWAGGER_UI}/swagger-ui.css")}">
<link rel="stylesheet" href="{static_url("css/api-docs.css")}">
<script src="{static_url(f"{SWAGGER_UI}/swagger-ui-bundle.js")}" defer></script>
<script src="{static_url("js/api-docs.js")}" type="module"></script>
</head>
<body>
<main id="api-docs" data-spec-url="{spec_url}">
<noscript><p><a href="{spec_url}">{title}: OpenAPI document (JSON)</a></p></noscript>
</main>
</body>
</html>
""".encode()
