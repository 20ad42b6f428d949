"""The export API: `GET /api/v1/export/{events|requests|sessions|daily|tools|repos}
?format=csv|parquet|jsonl&since=&until=&user=&session=&model=`.

DuckDB writes the export to a temporary file beside the store (private to the server's
user: the data dir is 0700), which is then streamed in chunks and deleted, so the server's
memory stays bounded whatever the size. `ccotel export` asks this endpoint while a server
holds the store's lock.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ccotel.errors import Busy, OutOfMemory
from ccotel.store import export
from ccotel.web.openapi import QUERY_PARAMS, STRING, operation, param

CHUNK = 256 * 1024
PREFIX, SUFFIX = "ccotel-", ".export"  # the temporary directories' names


def _chunks(directory: Path, path: Path) -> Iterator[bytes]:
    """The file's bytes in chunks; the temporary directory goes when the stream ends or
    the client leaves."""
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk
    finally:
        shutil.rmtree(directory, ignore_errors=True)


EXPORT_PARAMS = [
    param("what", {"type": "string", "enum": list(export.KINDS)}, "Which table.", where="path"),
    param("format", {"type": "string", "enum": list(export.FORMATS), "default": "csv"},
          "The file's format."),
    param("since", STRING, "Start (inclusive), as `from`; default: all history."),
    param("until", STRING, "End (exclusive), as `to`; default: now."),
    *QUERY_PARAMS,
]


def routes(ctx: Any) -> list[Route]:
    """Routes for `web.app.build_app`; `ctx` is its WebContext."""
    parent = ctx.settings.data_dir if ctx.settings is not None else None
    if parent is not None:  # left by a server that stopped mid-export
        for stale in Path(parent).glob(f"{PREFIX}*{SUFFIX}"):
            shutil.rmtree(stale, ignore_errors=True)

    @operation("A table of the store as a file: CSV (header row), Parquet (typed columns) or "
               "JSON lines (`ccotel export`).", STRING, params=EXPORT_PARAMS,
               description="Same range, filters and totals as `/api/v1/summary`; the range "
                           "defaults to all history. The file is streamed.",
               media_types=tuple(dict.fromkeys(m.split(";")[0]
                                               for m in export.MEDIA_TYPES.values())))
    async def export_route(request: Request) -> Response:
        kind = request.path_params["what"]
        params = dict(request.query_params)
        fmt = params.pop("format", "csv")
        export.check(kind, fmt)
        q = export.parse_query(params)
        directory = Path(await run_in_threadpool(
            tempfile.mkdtemp, SUFFIX, PREFIX, None if parent is None else str(parent)))
        path = directory / f"{kind}.{fmt}"
        try:
            await ctx.read(export.write, kind, fmt, q, path, long=True)
        except BaseException as exc:
            shutil.rmtree(directory, ignore_errors=True)
            if isinstance(exc, OutOfMemory):
                raise Busy("the export needs more memory than --memory-limit allows: "
                           "narrow the range, or raise --memory-limit", retry_after=60) from None
            if isinstance(exc, OSError):
                raise Busy(f"cannot write the export in the data dir: {exc.strerror}",
                           retry_after=60) from None
            raise
        return StreamingResponse(
            _chunks(directory, path), media_type=export.MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="ccotel-{kind}.{fmt}"',
                     "Content-Length": str(path.stat().st_size)})

    return [Route("/api/v1/export/{what}", export_route, methods=["GET"])]
