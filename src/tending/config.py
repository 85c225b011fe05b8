"""The only place that reads the environment and configuration files.

Precedence: command-line option > environment variable > config file > default.
- Database: `--db URL` > TENDING_DATABASE_URL > `database_url` in the config file >
  sqlite:///$TENDING_HOME/tending.db (TENDING_HOME defaults to $XDG_DATA_HOME/tending, i.e.
  ~/.local/share/tending). Until that file exists, a command that only reads uses the demo's database
  ($TENDING_HOME/demo.db) when `tending demo` made one (`demo_fallback`), so the README's tour works right
  after the demo; a command that creates (an import) always makes the real one.
- Config file: $TENDING_CONFIG, else $XDG_CONFIG_HOME/tending/config.toml (~/.config/tending/config.toml).
  It may hold delivery credentials; they are never logged.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tending.errors import UsageError


def data_home() -> Path:
    explicit = os.environ.get("TENDING_HOME")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "tending"


def config_path() -> Path:
    explicit = os.environ.get("TENDING_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(xdg) / "tending" / "config.toml"


def default_database_url() -> str:
    return f"sqlite:///{data_home() / 'tending.db'}"


def demo_database_url() -> str:
    return f"sqlite:///{data_home() / 'demo.db'}"


@dataclass
class Settings:
    database_url: str
    file_values: dict[str, Any] = field(default_factory=dict)
    chosen: bool = True  # named by --db, TENDING_DATABASE_URL or the config file, not the default

    def section(self, name: str) -> dict[str, Any]:
        value = self.file_values.get(name, {})
        return value if isinstance(value, dict) else {}


def read_config_file(path: Path | None = None) -> dict[str, Any]:
    """The config file's values ({} when the default file does not exist). A file named by TENDING_CONFIG
    must exist: a mistyped path silently ignored is how every due message once failed."""
    explicit = path is not None or bool(os.environ.get("TENDING_CONFIG"))
    path = path or config_path()
    if not path.exists():
        if explicit:
            raise UsageError(
                f"the configuration file {path} does not exist (named by TENDING_CONFIG); "
                "create it or unset TENDING_CONFIG."
            )
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path}: not valid TOML ({error}).") from None
    except OSError as error:
        raise UsageError(
            f"the configuration file {path} cannot be read ({error.strerror})."
        ) from None


def load_settings(db_option: str | None = None, *, for_demo: bool = False) -> Settings:
    values = read_config_file()
    url = db_option or os.environ.get("TENDING_DATABASE_URL") or values.get("database_url")
    chosen = bool(url)
    if not url:
        url = demo_database_url() if for_demo else default_database_url()
    return Settings(database_url=normalise_database_url(url), file_values=values, chosen=chosen)


def _file_of(url: str) -> Path:
    return Path(url.split(":///", 1)[1])


def demo_fallback(settings: Settings) -> str | None:
    """The demo's database URL when no database was named, the real default file does not exist yet and
    `tending demo` made its own: what a command that only reads uses until a real database exists."""
    if settings.chosen or settings.database_url != default_database_url():
        return None
    if _file_of(default_database_url()).exists():
        return None
    demo = demo_database_url()
    return demo if _file_of(demo).exists() else None


def normalise_database_url(url: str) -> str:
    """Accept a bare file path for SQLite and plain postgresql:// URLs (psycopg 3 is the driver)."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def secret(name: str, section: dict[str, Any] | None = None) -> str | None:
    """A credential from the environment (TENDING_<NAME>) or the config file's section; never logged."""
    value = os.environ.get(f"TENDING_{name.upper()}")
    if value:
        return value
    if section and name in section:
        return str(section[name])
    return None


def credential(reference: str, file_values: dict[str, Any] | None = None) -> str | None:
    """The value a connector's credential reference names: `env:VARIABLE` (the environment) or
    `config:KEY` (the config file's [connectors] table). None when it is not set; never logged."""
    scheme, _, name = reference.partition(":")
    if scheme == "env":
        return os.environ.get(name) or None
    if scheme == "config":
        section = (file_values or {}).get("connectors")
        value = section.get(name) if isinstance(section, dict) else None
        return None if value in (None, "") else str(value)
    return None


def is_credential_reference(value: str) -> bool:
    scheme, _, name = value.partition(":")
    return scheme in ("env", "config") and bool(name.strip())
