"""The imports page's helpers: the kinds offered, the counts shown, and running one upload through
tending.actions.imports.do_import (the importer the CLI uses)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tending.actions.import_kinds import KINDS
from tending.models import Community


def kinds() -> tuple[str, ...]:
    """The kinds the importers offer (their registry)."""
    return tuple(KINDS)


SHOWN = ("records", "added", "updated", "unchanged", "skipped", "bad_records")


def flat_counts(counts: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """Counts as (label, number) pairs, nested groups flattened ("added members"), zeros left out."""
    pairs: list[tuple[str, Any]] = []
    for key, value in (counts or {}).items():
        if isinstance(value, dict):
            pairs.extend((f"{key} {inner}", number) for inner, number in value.items() if number)
        elif (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and value
            and (key in SHOWN or key.endswith(("_added", "_updated", "_unchanged")))
        ):
            pairs.append((key.replace("_", " "), value))
    return pairs


def run_import(
    engine: Engine, community: Community, kind: str, path: Path, *, actor: str
) -> dict[str, Any]:
    from tending.actions.imports import do_import, upload_budget

    return do_import(
        engine, kind, path, community_name=community.name, actor=actor, budget=upload_budget()
    ).as_dict()
