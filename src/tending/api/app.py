"""create_api(): the /api/v1 application, its routers and its JSON errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import Engine
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from tending.api import communities, connectors, moderation, outbox
from tending.api.common import ApiError, ApiState
from tending.errors import NotFoundError, TendingError, UsageError

PREFIX = "/api/v1"


def create_api(engine: Engine, *, clock: Callable[[], datetime] | None = None) -> FastAPI:
    """The API over the database of `engine`, to be mounted at /api/v1 (its OpenAPI document is
    /api/v1/openapi.json; the dashboard's own pages are not in it)."""
    api = FastAPI(
        title="tending API",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        servers=[{"url": PREFIX}],
        description="The JSON API of tending: the same operations as the CLI and the dashboard. "
        "Send an API token as `Authorization: Bearer TOKEN`.",
    )
    api.state.api = ApiState(engine) if clock is None else ApiState(engine, clock)
    for module in (communities, outbox, moderation, connectors):
        api.include_router(module.router)
    _add_handlers(api)
    return api


def _error(status: int, message: str) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _validation_sentence(error: RequestValidationError) -> str:
    first = error.errors()[0] if error.errors() else {}
    where = [str(part) for part in first.get("loc", ()) if part not in ("query", "path", "body")]
    message = str(first.get("msg", "invalid value")).rstrip(".")
    return f"{'.'.join(where) or 'request'}: {message[:1].lower()}{message[1:]}."


def _add_handlers(api: FastAPI) -> None:
    @api.exception_handler(ApiError)
    async def api_error(_request: Request, error: ApiError) -> Response:
        return _error(error.status, error.message)

    @api.exception_handler(NotFoundError)
    async def not_found(_request: Request, error: NotFoundError) -> Response:
        return _error(404, str(error))

    @api.exception_handler(UsageError)
    async def usage_error(_request: Request, error: UsageError) -> Response:
        return _error(400, str(error))

    @api.exception_handler(TendingError)
    async def tending_error(_request: Request, error: TendingError) -> Response:
        return _error(409, str(error))

    @api.exception_handler(RequestValidationError)
    async def invalid(_request: Request, error: RequestValidationError) -> Response:
        return _error(422, _validation_sentence(error))

    @api.exception_handler(HTTPException)
    async def http_error(_request: Request, error: HTTPException) -> Response:
        message = (
            "There is nothing at this address." if error.status_code == 404 else str(error.detail)
        )
        return _error(error.status_code, message)
