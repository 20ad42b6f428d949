"""The web app's error handler: every error becomes the one JSON envelope of `ccotel.errors`.

Handlers raise `ccotel.errors` classes (each carries its HTTP status); Starlette's own
404/405 get the envelope under /api/ and a short page elsewhere; anything else is logged
and answered with a 500 that reveals nothing.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from ccotel import errors

log = logging.getLogger("ccotel.web")


def envelope(status: int, message: str) -> JSONResponse:
    return JSONResponse(errors.envelope(status, message), status_code=status)


async def handle_api_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        # Starlette's own 404/405: the envelope under /api/, a short page elsewhere.
        if request.url.path.startswith("/api/"):
            message = {404: f"no endpoint {request.url.path}: see GET /api/v1/panels",
                       405: f"{request.method} is not allowed on {request.url.path}"}.get(
                           exc.status_code, str(exc.detail))
            return envelope(exc.status_code, message)
        return PlainTextResponse(f"{exc.status_code} {exc.detail}\n", status_code=exc.status_code,
                                 headers=getattr(exc, "headers", None))
    if isinstance(exc, ClientDisconnect):  # gone, or cut off by the receipt deadline
        return Response(status_code=408)  # no one is left to read it
    if not isinstance(exc, errors.CcotelError):
        log.exception("unhandled error on %s", request.url.path)
    status, body, headers = errors.http_error(exc)
    return JSONResponse(body, status_code=status, headers=headers)


EXCEPTION_HANDLERS = {errors.CcotelError: handle_api_error, HTTPException: handle_api_error,
                      ClientDisconnect: handle_api_error, Exception: handle_api_error}
