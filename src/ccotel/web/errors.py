"""One error base carrying its HTTP status, one handler, one JSON envelope."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from ccotel.query import BadQuery


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


async def handle_api_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, ApiError):
        return envelope(exc.status, str(exc))
    if isinstance(exc, BadQuery):
        return envelope(400, str(exc))
    return envelope(500, "internal error: see the ccotel log")


EXCEPTION_HANDLERS = {ApiError: handle_api_error, BadQuery: handle_api_error}
