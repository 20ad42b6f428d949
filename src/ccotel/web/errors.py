"""One error base carrying its HTTP status, one handler, one JSON envelope."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from ccotel.query import BadQuery

log = logging.getLogger("ccotel.web")


class ApiError(Exception):
    status = 500

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status


class NotFound(ApiError):
    status = 404


class Unauthorized(ApiError):
    status = 401


def envelope(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message}}, status_code=status)


async def handle_api_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ApiError):
        return envelope(exc.status, str(exc))
    if isinstance(exc, BadQuery):
        return envelope(400, str(exc))
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
    log.exception("unhandled error on %s", request.url.path)
    return envelope(500, "internal error: see the ccotel log")


EXCEPTION_HANDLERS = {ApiError: handle_api_error, BadQuery: handle_api_error,
                      HTTPException: handle_api_error, ClientDisconnect: handle_api_error,
                      Exception: handle_api_error}
