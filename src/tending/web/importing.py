"""The bridge to the importers capability (tending.actions.imports.do_import), which may not be installed yet.

Its exact signature is read at call time, so the dashboard adapts to the names the importers chose for the
connection or engine, the community and the path (see docs/web.md, "Imports").
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tending.models import Community
from tending.web.pages import module_available

MODULE = "tending.actions.imports"
KINDS = ("discourse", "slack", "discord", "telegram", "stackexchange", "mbox", "whatsapp", "jsonl", "csv")


def available() -> bool:
    if not module_available(MODULE):
        return False
    return callable(getattr(importlib.import_module(MODULE), "do_import", None))


def _as_dict(result: Any) -> dict[str, Any]:
    if result is None:
        return {}
    if isinstance(result, dict):
        return result
    for name in ("as_dict", "to_dict"):
        method = getattr(result, name, None)
        if callable(method):
            value = method()
            return value if isinstance(value, dict) else {"result": value}
    if is_dataclass(result) and not isinstance(result, type):
        return asdict(result)
    return {"result": str(result)}


def kinds() -> tuple[str, ...]:
    """The kinds the importers offer (their registry when installed), else the issue's list."""
    try:
        registry = importlib.import_module("tending.importers").KINDS
    except (ImportError, AttributeError):
        return KINDS
    return tuple(registry)


SHOWN = ("records", "added", "updated", "unchanged", "skipped", "bad_records")


def flat_counts(counts: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """Counts as (label, number) pairs, nested groups flattened ("added members"), zeros left out."""
    pairs: list[tuple[str, Any]] = []
    for key, value in (counts or {}).items():
        if isinstance(value, dict):
            pairs.extend((f"{key} {inner}", number) for inner, number in value.items() if number)
        elif isinstance(value, int | float) and not isinstance(value, bool) and value and (
                key in SHOWN or key.endswith(("_added", "_updated", "_unchanged"))):
            pairs.append((key.replace("_", " "), value))
    return pairs


def upload_budget() -> Any:
    from tending.actions.imports import upload_budget as budget

    return budget()


def run_import(engine: Engine, community: Community, kind: str, path: Path, *, actor: str) -> dict[str, Any]:
    do_import = importlib.import_module(MODULE).do_import
    parameters = inspect.signature(do_import).parameters
    wants_conn = next(iter(parameters), "") in ("conn", "connection")
    values: dict[str, Any] = {}
    for name in parameters:
        if name in ("community", "community_name"):
            values[name] = community if name == "community" else community.name
        elif name in ("kind", "platform"):
            values[name] = kind
        elif name in ("path", "source", "source_path"):
            values[name] = path
        elif name == "actor":
            values[name] = actor
        elif name == "budget":
            values[name] = upload_budget()
        elif name in ("engine", "conn", "connection"):
            values[name] = None  # filled below
    first = next(iter(parameters))
    if wants_conn:
        with engine.begin() as conn:
            values[first] = conn
            return _as_dict(_call(do_import, parameters, values))
    values[first] = engine
    return _as_dict(_call(do_import, parameters, values))


def _call(function: Any, parameters: Any, values: dict[str, Any]) -> Any:
    args, kwargs = [], {}
    for name, parameter in parameters.items():
        if name not in values:
            continue
        if parameter.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            args.append(values[name])
        else:
            kwargs[name] = values[name]
    return function(*args, **kwargs)
