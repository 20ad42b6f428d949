"""ccotel's one error hierarchy: what went wrong, the exit code a command ends with and the
HTTP status the API answers with.

Domain code raises these (or subclasses beside its domain); the CLI turns them into one
line and an exit code in one place (`cli.py`), the web app into a JSON envelope with
`http_error`. Exit codes, as documented in the README:

    0  done
    1  the work failed: store in use, server unreachable or refusing, ports busy
    2  usage: a bad option, value or argument
    3  an internal error (a bug): one line; CCOTEL_DEBUG=1 shows the traceback
"""

from __future__ import annotations

from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class CcotelError(Exception):
    """Something the user can act on; the message says what and, where it can, how."""

    exit_code: int = EXIT_FAILED
    status: int = 500

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:  # a subclass's status, changed for one case
            self.status = status

    @property
    def message(self) -> str:
        return str(self)


class UsageError(CcotelError):
    """Bad input from the user: an option, a query parameter, a request body."""

    exit_code = EXIT_USAGE
    status = 400


class NotFound(UsageError):
    """The thing asked for does not exist (a session, an endpoint)."""

    status = 404


class TooLarge(UsageError):
    """A request beyond a configured bound."""

    status = 413


class Unauthorized(CcotelError):
    """A missing or wrong token."""

    status = 401


class Forbidden(CcotelError):
    """Refused whatever the credentials (e.g. a foreign Host on a loopback server)."""

    status = 403


class Busy(CcotelError):
    """Try again later: the store is in use, the write queue is full."""

    status = 503

    def __init__(self, message: str, status: int | None = None, *,
                 retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class OutOfMemory(Busy):
    """A query found no room under the store's memory limit (`--memory-limit`), taken
    for now by other work: asked again, it may fit."""


class Unreachable(CcotelError):
    """A running server was found but could not be talked to."""

    status = 502


class StoreError(CcotelError):
    """The store cannot be used as it is (an incompatible or foreign file)."""

    status = 500


class StartupError(CcotelError):
    """`ccotel serve` cannot start (a port in use, a setting that cannot work)."""


INTERNAL_MESSAGE = "internal error: see the ccotel log"


def http_error(exc: BaseException) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(status, JSON envelope, headers) for an error raised while answering a request.

    A `CcotelError` keeps its message; anything else is a 500 whose message reveals
    nothing (the handler logs the traceback)."""
    if isinstance(exc, CcotelError):
        status, message = exc.status, exc.message
    else:
        status, message = 500, INTERNAL_MESSAGE
    headers: dict[str, str] = {}
    if isinstance(exc, Busy) and exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    return status, envelope(status, message), headers


def envelope(status: int, message: str) -> dict[str, Any]:
    """The JSON API's one error shape: `{"error": {"status": ..., "message": ...}}`."""
    return {"error": {"status": status, "message": message}}


def one_line(message: str) -> str:
    """A message as one line: a terminal error is read at a glance and grepped in logs."""
    return " ".join(part.strip() for part in str(message).splitlines() if part.strip())
