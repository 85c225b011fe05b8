"""Live connectors: record one (checked once against the platform), list, pause, resume, remove, sync.

A sync writes through the import's single write path (store/ingest.py's Ingestor), and each step's
records and the connector's cursor are written in one transaction: killed half-way, a sync leaves only
whole steps behind, and the next one fetches again from the cursor of the last step stored. One connector
failing (expired token, unreachable host) is marked failing with its one-sentence reason and the others
carry on. Credentials are resolved here, from references, only for the time of a request; they are never
stored, printed or logged, and a reason that would contain one is masked.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from tending.config import credential, is_credential_reference
from tending.connectors import KINDS, get_connector
from tending.connectors.base import Backoff, ConnectorError, Http, Seen
from tending.errors import NotFoundError, TendingError, UsageError
from tending.store.audit import record_event
from tending.store.communities import (
    do_create_community,
    find_community,
    get_community_by_id,
    resolve_community,
)
from tending.store.connectors import (
    FAILING,
    OK,
    PAUSED,
    ConnectorRow,
    add_fetched,
    claim_cursor,
    delete_connector,
    find_connector,
    find_same_connector,
    get_connector_rows,
    get_cursor,
    insert_connector,
    record_sync,
    save_cursor,
    set_state,
)
from tending.store.ingest import IngestCounts, Ingestor, import_settings
from tending.texts import translate
from tending.timeutil import isoformat_utc, utcnow

DEFAULT_INTERVAL_S = 300
MASK = "***"


@dataclass(frozen=True, slots=True)
class ConnectorInfo:
    """A connector as the CLI and the web show it: credential references (names), never values."""

    id: int
    community: str
    kind: str
    target: str
    state: str
    reason: str | None
    interval_s: int
    last_sync_at: datetime | None
    last_ok_at: datetime | None
    cursor: dict[str, Any]
    options: dict[str, Any]
    credentials: dict[str, str]
    items_fetched: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "community": self.community,
            "kind": self.kind,
            "target": self.target,
            "state": self.state,
            "reason": self.reason,
            "interval_s": self.interval_s,
            "last_sync_at": isoformat_utc(self.last_sync_at),
            "last_ok_at": isoformat_utc(self.last_ok_at),
            "cursor": self.cursor,
            "options": self.options,
            "credentials": self.credentials,
            "items_fetched": self.items_fetched,
        }


@dataclass(frozen=True, slots=True)
class Connected:
    connector: ConnectorInfo
    seen: Seen


@dataclass
class SyncResult:
    connector_id: int
    community: str
    kind: str
    target: str
    ok: bool = True
    reason: str | None = None
    records: int = 0
    steps: int = 0
    requests: int = 0
    duration_s: float = 0.0
    counts: IngestCounts = field(default_factory=IngestCounts)
    superseded: bool = False  # stopped: another sync of the connector moved its cursor meanwhile

    def as_dict(self) -> dict[str, Any]:
        return {
            "connector": self.connector_id,
            "community": self.community,
            "kind": self.kind,
            "target": self.target,
            "state": OK if self.ok else FAILING,
            "reason": self.reason,
            "records": self.records,
            "requests": self.requests,
            "duration_s": round(self.duration_s, 3),
            "added": {
                "members": self.counts.members_added,
                "activities": self.counts.activities_added,
                "threads": self.counts.threads_added,
                "channels": self.counts.channels_added,
            },
            "updated": {
                "members": self.counts.members_updated,
                "activities": self.counts.activities_edited,
            },
            "deleted": {"activities": self.counts.activities_deleted},
            "superseded": self.superseded,
        }


def _info(row: ConnectorRow) -> ConnectorInfo:
    return ConnectorInfo(
        id=row.id,
        community=row.community,
        kind=row.kind,
        target=row.target,
        state=row.state,
        reason=row.reason,
        interval_s=row.interval_s,
        last_sync_at=row.last_sync_at,
        last_ok_at=row.last_ok_at,
        cursor=row.cursor,
        options=row.options,
        credentials=row.credentials,
        items_fetched=row.items_fetched,
    )


@dataclass(frozen=True, slots=True)
class ConnectorKind:
    """A kind `tending connect` (and the web's Sources page) offers, with the fields it takes."""

    kind: str
    description: str
    fields: tuple[tuple[str, str, bool, bool], ...]  # (name, help, secret, required)


def get_connector_kinds(language: str = "en") -> list[ConnectorKind]:
    """The kinds, their descriptions and fields' help in `language` (the back end's catalogue)."""
    found = []
    for kind in KINDS:
        module = get_connector(kind)
        found.append(
            ConnectorKind(
                kind=kind,
                description=translate(module.DESCRIPTION, language),
                fields=tuple(
                    (f.name, translate(f.help, language), f.secret, f.required)
                    for f in module.FIELDS
                ),
            )
        )
    return found


# -- connect ------------------------------------------------------------------------------------------


def split_fields(kind: str, given: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The NAME=VALUE pairs of `tending connect`, as (options, credential references); a secret given as
    a value instead of a reference is refused (and not repeated in the message)."""
    module = get_connector(kind)
    known = {f.name: f for f in module.FIELDS}
    options: dict[str, Any] = {}
    references: dict[str, str] = {}
    for name, value in given.items():
        spec = known.get(name)
        if spec is None:
            names = ", ".join(known) or "none"
            raise UsageError(f"{kind} connectors take no '{name}' (they take: {names}).")
        if spec.secret:
            if not is_credential_reference(value):
                raise UsageError(
                    f"{name}: give a reference, env:VARIABLE or config:KEY (a key of the config "
                    "file's [connectors] table), not the secret itself; it is never stored."
                )
            references[name] = value
        else:
            options[name] = value
    missing = [f.name for f in module.FIELDS if f.required and f.name not in given]
    if missing:
        raise UsageError(f"{kind} connectors need {missing[0]}=...")
    return options, references


def resolve_credentials(
    row_options: dict[str, Any], references: dict[str, str], file_values: dict[str, Any] | None
) -> dict[str, str]:
    values = {k: str(v) for k, v in row_options.items()}
    for name, reference in references.items():
        value = credential(reference, file_values)
        if value is None:
            where = (
                f"the environment variable {reference[4:]}"
                if reference.startswith("env:")
                else f"the key {reference[7:]} of the config file's [connectors] table"
            )
            raise ConnectorError(f"{name}: {where} is not set.")
        values[name] = value
    return values


def masked(text: str, secrets: list[str]) -> str:
    for value in secrets:
        if value and len(value) >= 4:
            text = text.replace(value, MASK)
    return text


def do_connect(
    engine: Engine,
    kind: str,
    target: str,
    *,
    community_name: str,
    fields: dict[str, str],
    file_values: dict[str, Any] | None = None,
    interval_s: int = DEFAULT_INTERVAL_S,
    backoff: Backoff | None = None,
    actor: str = "cli",
) -> Connected:
    """Record a connector after one check against the platform (nothing is recorded if it fails)."""
    module = get_connector(kind)
    if interval_s < 10:
        raise UsageError("--interval: at least 10 seconds between two syncs.")
    normal = module.normalise_target(target)
    options, references = split_fields(kind, fields)
    values = resolve_credentials(options, references, file_values)
    secrets = [values[name] for name in references]
    try:
        with Http(
            headers=module.headers(values), backoff=backoff, follow_redirects=not references
        ) as http:
            seen = module.check(normal, values, http=http)
    except TendingError as error:
        raise ConnectorError(masked(str(error), secrets)) from None
    with engine.begin() as conn:
        community = find_community(conn, community_name) or do_create_community(
            conn, community_name, platform=module.PLATFORM, actor=actor
        )
        same = find_same_connector(conn, community.id, module.KIND, normal)
        if same is not None:
            raise UsageError(
                f"{community_name} is already connected to {normal} (connector {same.id})."
            )
        connector_id = insert_connector(
            conn,
            community.id,
            kind=module.KIND,
            target=normal,
            options=options,
            credentials=references,
            interval_s=interval_s,
            now=utcnow(),
        )
        record_event(
            conn,
            community.id,
            actor=actor,
            action="connector.connected",
            details={"connector_id": connector_id, "kind": module.KIND, "target": normal},
        )
        row = find_connector(conn, connector_id)
    assert row is not None
    return Connected(connector=_info(row), seen=seen)


# -- list, pause, resume, remove ---------------------------------------------------------------------


def get_connectors(engine: Engine, *, community_name: str | None = None) -> list[ConnectorInfo]:
    with engine.connect() as conn:
        community_id = resolve_community(conn, community_name).id if community_name else None
        return [_info(row) for row in get_connector_rows(conn, community_id=community_id)]


def get_community_connector(engine: Engine, community_id: int, connector_id: int) -> ConnectorInfo:
    """The connector of this community with this id, or NotFoundError (what the JSON API's paths name):
    a connector of another community is not found either."""
    with engine.connect() as conn:
        row = find_connector(conn, connector_id)
    if row is None or row.community_id != community_id:
        raise NotFoundError(
            f"connector_id: no connector {connector_id} in community {community_id} "
            f"(see /api/v1/communities/{community_id}/connectors)."
        )
    return _info(row)


def do_request_sync(
    engine: Engine,
    connector_id: int,
    *,
    actor: str,
    file_values: dict[str, Any] | None = None,
    backoff: Backoff | None = None,
    now: datetime | None = None,
) -> SyncResult:
    """A sync someone asked for (the JSON API): audited with who asked, then run as `tending sync
    --connector ID` runs it, paused or not; its failure is recorded on the connector, never raised."""
    row = _existing(engine, connector_id)
    with engine.begin() as conn:
        record_event(
            conn,
            row.community_id,
            actor=actor,
            action="connector.sync_requested",
            details={"connector_id": connector_id},
        )
    return sync_one(engine, row, file_values=file_values, backoff=backoff, now=now)


def _existing(engine: Engine, connector_id: int) -> ConnectorRow:
    with engine.connect() as conn:
        row = find_connector(conn, connector_id)
    if row is None:
        raise UsageError(f"no connector {connector_id} (see tending connectors).")
    return row


def do_pause(engine: Engine, connector_id: int, *, actor: str = "cli") -> ConnectorInfo:
    return _set(engine, connector_id, PAUSED, "connector.paused", actor)


def do_resume(engine: Engine, connector_id: int, *, actor: str = "cli") -> ConnectorInfo:
    return _set(engine, connector_id, OK, "connector.resumed", actor)


def _set(engine: Engine, connector_id: int, state: str, action: str, actor: str) -> ConnectorInfo:
    row = _existing(engine, connector_id)
    with engine.begin() as conn:
        set_state(conn, connector_id, state)
        record_event(
            conn,
            row.community_id,
            actor=actor,
            action=action,
            details={"connector_id": connector_id},
        )
        after = find_connector(conn, connector_id)
    assert after is not None
    return _info(after)


def do_remove(engine: Engine, connector_id: int, *, actor: str = "cli") -> ConnectorInfo:
    """Forget the connector (what it synced stays: it is the community's history)."""
    row = _existing(engine, connector_id)
    with engine.begin() as conn:
        delete_connector(conn, connector_id)
        record_event(
            conn,
            row.community_id,
            actor=actor,
            action="connector.removed",
            details={"connector_id": connector_id, "kind": row.kind, "target": row.target},
        )
    return _info(row)


# -- sync ---------------------------------------------------------------------------------------------


def do_sync(
    engine: Engine,
    *,
    community_name: str | None = None,
    connector_id: int | None = None,
    file_values: dict[str, Any] | None = None,
    backoff: Backoff | None = None,
    now: datetime | None = None,
) -> list[SyncResult]:
    """One incremental pass of every connector not paused (or of the one named, even paused)."""
    with engine.connect() as conn:
        community_id = resolve_community(conn, community_name).id if community_name else None
        rows = get_connector_rows(conn, community_id=community_id, connector_id=connector_id)
    if connector_id is not None and not rows:
        raise UsageError(f"no connector {connector_id} (see tending connectors).")
    chosen = rows if connector_id is not None else [r for r in rows if r.state != PAUSED]
    return [
        sync_one(engine, row, file_values=file_values, backoff=backoff, now=now) for row in chosen
    ]


def get_due(rows: list[ConnectorRow], *, now: datetime) -> list[ConnectorRow]:
    """The connectors to sync now: not paused, never synced or synced at least their interval ago."""
    return [
        row
        for row in rows
        if row.state != PAUSED
        and (
            row.last_sync_at is None or row.last_sync_at + timedelta(seconds=row.interval_s) <= now
        )
    ]


def do_sync_due(
    engine: Engine,
    *,
    now: datetime | None = None,
    community_name: str | None = None,
    file_values: dict[str, Any] | None = None,
    backoff: Backoff | None = None,
    woken: set[int] | frozenset[int] = frozenset(),
) -> list[SyncResult]:
    """What `tending worker` runs before the playbooks: the connectors whose interval has passed, and
    those whose live stream said something is new (`woken`, actions/streams.py), if not paused."""
    moment = now or utcnow()
    with engine.connect() as conn:
        community_id = resolve_community(conn, community_name).id if community_name else None
        rows = get_connector_rows(conn, community_id=community_id)
    due = {row.id for row in get_due(rows, now=moment)}
    return [
        sync_one(engine, row, file_values=file_values, backoff=backoff, now=moment)
        for row in rows
        if row.id in due or (row.id in woken and row.state != PAUSED)
    ]


def sync_one(
    engine: Engine,
    row: ConnectorRow,
    *,
    file_values: dict[str, Any] | None = None,
    backoff: Backoff | None = None,
    now: datetime | None = None,
) -> SyncResult:
    """Sync one connector; a failure is recorded on it (state failing, one sentence), never raised."""
    result = SyncResult(
        connector_id=row.id, community=row.community, kind=row.kind, target=row.target
    )
    clock = time.perf_counter()
    secrets: list[str] = []
    try:
        module = get_connector(row.kind)
        values = resolve_credentials(row.options, row.credentials, file_values)
        secrets = [values[name] for name in row.credentials]
        with Http(
            headers=module.headers(values), backoff=backoff, follow_redirects=not row.credentials
        ) as http:
            try:
                _run_steps(
                    engine, row, module.fetch(row.target, values, row.cursor, http=http), result
                )
            finally:
                result.requests = http.requests
    except TendingError as error:
        result.ok, result.reason = False, masked(str(error), secrets)
    except Exception as error:  # a connector's bug must not stop the others, nor print a secret
        result.ok, result.reason = (
            False,
            f"the {row.kind} connector failed unexpectedly ({type(error).__name__}).",
        )
    result.duration_s = time.perf_counter() - clock
    with engine.begin() as conn:
        record_sync(conn, row.id, at=now or utcnow(), ok=result.ok, reason=result.reason)
    return result


def _run_steps(engine: Engine, row: ConnectorRow, steps: Any, result: SyncResult) -> None:
    """Each step's records and cursor in one transaction (the import's ingest, not its bulk mode). A
    step finding the cursor moved by another sync of the connector (the worker's while `tending sync`
    runs) stops this sync there, writing nothing: the other one stored at least as much."""
    expected = dict(row.cursor)
    for records, cursor in steps:
        with engine.connect() as conn, import_settings(conn), conn.begin():
            if claim_cursor(conn, row.id, expected) is None:
                result.superseded = True
                return
            if records:
                ingestor = Ingestor(conn, get_community_by_id(conn, row.community_id))
                ingestor.add_all(records)
                result.counts.merge(ingestor.counts)
                add_fetched(conn, row.id, ingestor.counts.activities_added)
            save_cursor(conn, row.id, cursor)
            expected = get_cursor(conn, row.id)  # as stored: JSON, read back
        result.records += len(records)
        result.steps += 1
