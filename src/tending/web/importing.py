"""The imports page's helpers: the kinds offered, the counts shown, and running one upload through
tending.actions.imports.do_import (the importer the CLI uses)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tending.actions.import_kinds import KINDS
from tending.models import Community
from tending.texts import translate
from tending.web.i18n import Translator
from tending.web.pages import N_


def kinds() -> tuple[str, ...]:
    """The kinds the importers offer (their registry)."""
    return tuple(KINDS)


SHOWN = ("records", "added", "updated", "unchanged", "skipped", "bad_records")


COUNT_LABELS = {
    "records": N_("records read"),
    "bad_records": N_("malformed records"),
    "members_added": N_("members added"),
    "members_updated": N_("members updated"),
    "members_unchanged": N_("members unchanged"),
    "activities_added": N_("activities added"),
    "activities_unchanged": N_("activities unchanged"),
    "activities_edited": N_("activities edited"),
    "activities_deleted": N_("activities deleted"),
    "channels_added": N_("channels added"),
    "threads_added": N_("threads added"),
}
SKIPPED_LABEL = N_("skipped (%(reason)s)")


def flat_counts(counts: dict[str, Any] | None, language: str = "en") -> list[tuple[str, Any]]:
    """Counts as (label, number) pairs in `language`, zeros left out. The import log's counts are flat
    ("members_added"), an upload's summary nests them ("added": {"members": ...}); skip reasons are the
    importers' own words (the back end's catalogue)."""
    _ = Translator(language)
    pairs: list[tuple[str, Any]] = []
    for key, value in (counts or {}).items():
        if key == "skipped" and isinstance(value, dict):
            pairs.extend(
                (_(SKIPPED_LABEL, reason=translate(reason, language)), n)
                for reason, n in value.items()
                if n
            )
        elif isinstance(value, dict):
            for inner, number in value.items():
                label = COUNT_LABELS.get(f"{inner}_{key}")
                if number:
                    pairs.append((_(label) if label else f"{key} {inner}", number))
        elif (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and value
            and (key in SHOWN or key.endswith(("_added", "_updated", "_unchanged")))
        ):
            label = COUNT_LABELS.get(key)
            pairs.append((_(label) if label else key.replace("_", " "), value))
    return pairs


def run_import(
    engine: Engine, community: Community, kind: str, path: Path, *, actor: str
) -> dict[str, Any]:
    from tending.actions.imports import do_import, upload_budget

    return do_import(
        engine, kind, path, community_name=community.name, actor=actor, budget=upload_budget()
    ).as_dict()
