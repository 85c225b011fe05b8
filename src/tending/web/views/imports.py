"""Imports: upload an export file, follow it, and see the history with its counts (admins import).

The upload is copied to a private temporary folder and handed to tending.actions.imports.do_import (the
importers capability) in a background thread; the page reloads itself every few seconds while an import
runs.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.responses import Response

from tending.actions.imports import get_imports, import_error_in
from tending.actions.web_users import WebSession
from tending.errors import TendingError, describe_unexpected
from tending.models import Community
from tending.web import importing
from tending.web.auth import acting, get_state, require
from tending.web.pages import render, translator
from tending.web.views import sources
from tending.web.views.common import community_or_404, see_other

log = logging.getLogger(__name__)

router = APIRouter()

MAX_UPLOAD_BYTES = 2 * 1024**3
UPLOAD_PREFIX = "tending-upload-"
UPLOAD_FOLDER = re.compile(r"\S*" + UPLOAD_PREFIX + r"[^/\s]+/")


@dataclass
class Upload:
    """An import started from this dashboard process (the imports table holds every import ever made)."""

    number: int
    community_id: int
    kind: str
    filename: str
    status: str = "running"  # running, done, failed
    error: str | None = None
    counts: dict[str, Any] = field(default_factory=dict)


_lock = threading.Lock()


def _uploads(request: Request) -> list[Upload]:
    found: list[Upload] = get_state(request).uploads
    return found


def _safe_name(name: str | None) -> str:
    base = Path(name or "upload").name
    return re.sub(r"[^A-Za-z0-9._-]", "_", base)[:120] or "upload"


@router.get("/c/{community_id}/sources")
@router.get("/c/{community_id}/imports")
def imports_page(
    request: Request, community_id: int, session: WebSession = require("viewer")
) -> Response:
    """The Sources page: connectors, then file imports (/imports is its former address)."""
    return render_sources(request, community_or_404(request, community_id))


def render_sources(
    request: Request, community: Community, *, status_code: int = 200, **extra: Any
) -> Response:
    # the uploads' states first, then the history: an upload marked done has committed, so its line is in
    # the history read after (read the other way round, an import ending in between showed done, unlogged)
    uploads = [
        replace(u, counts=dict(u.counts))
        for u in _uploads(request)
        if u.community_id == community.id
    ][::-1]
    language = translator(request).language
    with get_state(request).engine.connect() as conn:
        history = [
            replace(
                row,
                error=UPLOAD_FOLDER.sub("", said)
                if (said := import_error_in(row, language))
                else None,
            )
            for row in get_imports(conn, community.id)
        ]
    connectors = sources.connectors_context(request, community)
    running = (
        any(u.status == "running" for u in uploads)
        or any(h.status == "running" for h in history)
        or bool(connectors["syncing"])
    )
    return render(
        request,
        "imports.html",
        community=community,
        history=history,
        uploads=uploads,
        kinds=importing.kinds(),
        running=running,
        flat_counts=lambda counts: importing.flat_counts(counts, language),
        error=request.query_params.get("error"),
        msg=request.query_params.get("msg"),
        page_name="imports",
        status_code=status_code,
        **connectors,
        **extra,
    )


def _without_folder(message: str, path: Path) -> str:
    """Messages name the uploaded file, not the private temporary folder it was copied to."""
    return message.replace(f"{path.parent}/", "")


def _run(
    upload: Upload, engine: Any, community: Community, path: Path, actor: str, language: str
) -> None:
    try:
        upload.counts = importing.run_import(engine, community, upload.kind, path, actor=actor)
        upload.status = "done"
    except TendingError as error:  # in the uploader's language (the back end's catalogue)
        upload.status, upload.error = "failed", _without_folder(error.in_language(language), path)
    except Exception as error:  # an importer's bug must not kill the server; show its one line
        # its type and place, never its message: that may quote what the importer was reading
        upload.status, upload.error = "failed", describe_unexpected(error)
        log.error("import %s into community %s: %s", upload.number, community.id, upload.error)
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


@router.post("/c/{community_id}/imports")
async def start_import(
    request: Request,
    community_id: int,
    kind: str = Form(...),
    file: UploadFile = File(...),
    session: WebSession = acting("admin"),
) -> Response:
    community = community_or_404(request, community_id)
    if kind not in importing.kinds():
        return see_other(f"/c/{community.id}/sources", error="kind")
    folder = Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX))
    path = folder / _safe_name(file.filename)
    size = 0
    with path.open("wb") as handle:
        while chunk := await file.read(1024 * 1024):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                handle.close()
                shutil.rmtree(folder, ignore_errors=True)
                return see_other(f"/c/{community.id}/sources", error="size")
            handle.write(chunk)
    if size == 0:
        shutil.rmtree(folder, ignore_errors=True)
        return see_other(f"/c/{community.id}/sources", error="empty")
    uploads = _uploads(request)
    with _lock:
        upload = Upload(
            number=len(uploads) + 1, community_id=community.id, kind=kind, filename=path.name
        )
        uploads.append(upload)
    state = get_state(request)
    threading.Thread(
        target=_run,
        args=(
            upload,
            state.engine,
            community,
            path,
            f"web:{session.user.email}",
            session.user.language,
        ),
        daemon=True,
        name=f"import-{upload.number}",
    ).start()
    return see_other(f"/c/{community.id}/sources", started=str(upload.number))
