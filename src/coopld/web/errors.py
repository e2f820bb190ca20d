"""The one place errors become responses: one shape per audience, CORS always.

Browsers get an HTML page, JSON clients ``{"ok": false, "error": ..., "status": ...}``,
everybody else text/plain. Never a traceback; a client's mistake is never a 500.
"""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from ..errors import CoopldError, NotAcceptableError
from .negotiate import parse_accept, wants_html

__all__ = ["error_response", "register_error_handlers"]

log = logging.getLogger("coopld.web")

_JSON_TYPES = ("application/json", "application/sparql-results+json", "application/ld+json")


def _wants_json(accept: str | None) -> bool:
    if not accept:
        return False
    return any(f"{r.type}/{r.subtype}" in _JSON_TYPES and r.q > 0 for r in parse_accept(accept))


def error_response(
    status: int, message: str, hint: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    accept = request.headers.get("Accept")
    if wants_html(accept):
        root = escape(request.script_root)  # links work behind a proxy's path prefix
        body = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{status} · coopld</title>"
            f'<link rel="icon" href="data:,"><link rel="stylesheet" href="{root}/static/coopld.css">'
            f'</head><body><main class="error"><h1>{status}</h1><p>{escape(message)}</p>'
            + (f'<p class="hint">{escape(hint)}</p>' if hint else "")
            + f'<p><a href="{root}/">Home</a></p></main></body></html>'
        )
        response = Response(body, status=status, content_type="text/html; charset=utf-8")
    elif _wants_json(accept):
        payload: dict[str, object] = {"ok": False, "error": message, "status": status}
        if hint:
            payload["hint"] = hint
        response = Response(
            json.dumps(payload), status=status, content_type="application/json; charset=utf-8"
        )
    else:
        text = message + (f"\n{hint}" if hint else "") + "\n"
        response = Response(text, status=status, content_type="text/plain; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CoopldError)
    def coopld_error(exc: CoopldError) -> Response:
        headers = {}
        if isinstance(exc, NotAcceptableError):
            headers["Vary"] = "Accept"
        return error_response(exc.status, exc.message, exc.hint, headers)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        headers = {}
        valid_methods = getattr(exc, "valid_methods", None)
        if status == 405 and valid_methods:
            headers["Allow"] = ", ".join(valid_methods)
        message = {
            404: f"nothing known about <{request.base_url}>",
            413: "request too large",
        }.get(status, exc.description or exc.name)
        return error_response(status, message, None, headers)

    @app.errorhandler(Exception)
    def internal_error(exc: Exception) -> Response:
        log.exception("internal error on %s %s", request.method, request.path)
        return error_response(500, "internal server error")
