"""Opening a database: the engine, SQLite pragmas, and migrations run automatically and safely."""

from __future__ import annotations

import ast
import re
import shutil
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from tending.errors import TendingError, UsageError

if (
    TYPE_CHECKING
):  # alembic loads only when the schema must change (it costs a command ~0.5 s of CPU)
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS = str(Path(__file__).parent / "migrations")


BUSY_TIMEOUT_MS = 30_000


def create_db_engine(url: str) -> Engine:
    """An engine for `url`. A SQLite URL may end with ?busy_timeout_ms=N: how long a statement waits for
    another process's write lock before "database is locked" (30 s by default). hide_parameters: a
    database error's message carries its SQL statement but never the values bound to it (names, e-mail
    addresses, message texts), wherever it ends up (docs/privacy.md)."""
    try:
        if url.startswith("sqlite"):
            url, busy_ms = _busy_timeout(url)
            path = sqlite_path(url)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                url, poolclass=NullPool if path is None else None, hide_parameters=True
            )
            event.listen(
                engine, "connect", lambda dbapi, record: _sqlite_pragmas(dbapi, record, busy_ms)
            )
            return engine
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    except ArgumentError:
        raise UsageError(
            f"--db: '{url}' is not a database URL (try sqlite:///path/to/file.db or "
            "postgresql+psycopg://user@host/dbname)."
        ) from None
    except ModuleNotFoundError as error:
        raise UsageError(
            f"--db: no driver for '{url.split(':', 1)[0]}' ({error.name} is not installed)."
        ) from None


LOCKED_SIGNS = ("database is locked", "database table is locked")
AWAY_SIGNS = ("connection", "could not connect", "server closed", "timeout")


def describe_database_error(error: BaseException) -> str:
    """One sentence for a database that is busy, away or not a database (never the URL's password)."""
    text = str(getattr(error, "orig", error) or "").strip().splitlines()
    first = text[0] if text else type(error).__name__
    lower = first.lower()
    if any(sign in lower for sign in LOCKED_SIGNS):
        return (
            "the database is busy: another process (an import, perhaps) holds its write lock; "
            "try again when it has finished"
        )
    if "disk is full" in lower or "no space left" in lower:
        return "the disk holding the database is full; nothing of this operation was kept (free some space)"
    if "file is not a database" in lower or "file is encrypted" in lower:
        return "the database file is not a SQLite database (check --db or TENDING_DATABASE_URL)"
    if "unable to open database file" in lower:
        return "the database file cannot be opened (check the path and its folder's permissions)"
    if any(sign in lower for sign in AWAY_SIGNS):
        return f"the database server cannot be reached ({first[:160]})"
    return f"the database failed ({type(getattr(error, 'orig', error)).__name__}: {first[:160]})"


def is_database_unavailable(error: BaseException) -> bool:
    """Whether a database error says the database is busy or out of reach for now (worth trying again
    shortly), rather than damaged or a bug."""
    text = str(getattr(error, "orig", error) or "").lower()
    return any(sign in text for sign in (*LOCKED_SIGNS, *AWAY_SIGNS))


def check_database_exists(url: str, *, creating: bool) -> None:
    """A command that only reads must not create a SQLite file (nor its folders) by mistake: it says where
    it looked instead. A path that is a folder is refused for every command."""
    if not url.startswith("sqlite"):
        return
    path = sqlite_path(_busy_timeout(url)[0])
    if path is None:
        return
    if path.is_dir():
        raise UsageError(f"--db: {path} is a folder, not a database file.")
    if not creating and not path.exists():
        raise UsageError(
            f"no database at {path}: import an export first (tending import KIND FILE), try "
            "tending demo, or name the database with --db."
        )


def sqlite_path(url: str) -> Path | None:
    rest = url.split(":///", 1)[1] if ":///" in url else ""
    if not rest or rest == ":memory:":
        return None
    return Path(rest.split("?", 1)[0])


def _busy_timeout(url: str) -> tuple[str, int]:
    base, _, query = url.partition("?")
    kept, busy = [], BUSY_TIMEOUT_MS
    for part in filter(None, query.split("&")):
        name, _, value = part.partition("=")
        if name == "busy_timeout_ms":
            if not value.isdigit():
                raise UsageError(
                    f"--db: busy_timeout_ms must be a number of milliseconds, not '{value}'."
                )
            busy = int(value)
        else:
            kept.append(part)
    return (f"{base}?{'&'.join(kept)}" if kept else base), busy


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, busy_ms: int = BUSY_TIMEOUT_MS) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(
        "PRAGMA cache_size=-200000"
    )  # 200 MB of page cache: rollups and indexes stay hot
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return config


def current_revisions(engine: Engine) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=([^\n#]*)", re.MULTILINE)


@cache
def script_heads() -> frozenset[str] | None:
    """The newest revisions, read from the migration files' `revision` and `down_revision` without
    alembic; None when a file does not say them plainly (then alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((Path(MIGRATIONS) / "versions").glob("*.py")):
        if path.name == "__init__.py":
            continue
        # a line match, not ast.parse: parsing every migration cost ~20 ms of each command's start-up
        found: dict[str, Any] = {}
        for match in _REVISION_LINE.finditer(path.read_text(encoding="utf-8")):
            try:
                found[match[1]] = ast.literal_eval(match[2].strip())
            except (ValueError, SyntaxError):
                return None
        if not isinstance(found.get("revision"), str):
            return None
        revisions.add(found["revision"])
        down = found.get("down_revision")
        parents.update([down] if isinstance(down, str) else list(down or ()))
    return frozenset(revisions - parents)


def _up_to_date(engine: Engine) -> bool:
    """Whether the database is already at the newest schema, asked with one SELECT (no alembic)."""
    heads = script_heads()
    if not heads:
        return False
    try:
        with engine.connect() as connection:
            current = {
                row[0]
                for row in connection.execute(text("SELECT version_num FROM alembic_version"))
            }
    except (
        DBAPIError
    ):  # no alembic_version table yet (a new database), or not readable: alembic decides
        return False
    return current == heads


def migrate(engine: Engine) -> list[str]:
    """Bring the database to the newest schema. Returns the revisions applied (empty when up to date).

    A database written by a newer tending is refused rather than damaged; a SQLite file is copied to
    `<file>.before-<revision>` before its schema changes, so an upgrade can always be undone by hand.
    """
    if _up_to_date(engine):
        return []
    from alembic import command
    from alembic.script import ScriptDirectory

    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    heads = set(script.get_heads())
    try:
        current = current_revisions(engine)
    except OperationalError as error:
        raise TendingError(
            f"cannot open the database {engine.url.render_as_string(hide_password=True)}: "
            f"{error.orig}"
        ) from None
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = current - known
    if unknown:
        names = ", ".join(sorted(unknown))
        raise TendingError(
            f"the database was written by a newer version of tending (schema {names}); "
            "upgrade tending to open it."
        )
    if current == heads:
        return []
    pending = _pending(script, current)
    if current:
        _backup_sqlite(engine, "-".join(sorted(current)))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
    return pending


def _pending(script: ScriptDirectory, current: set[str]) -> list[str]:
    applied: set[str] = set()
    for rev in current:
        applied.update(r.revision for r in script.iterate_revisions(rev, "base"))
    return [rev.revision for rev in script.walk_revisions() if rev.revision not in applied][::-1]


def _backup_sqlite(engine: Engine, revision: str) -> None:
    path = sqlite_path(str(engine.url))
    if path is not None and path.exists():
        engine.dispose()
        shutil.copy2(path, path.with_name(f"{path.name}.before-{revision}"))
