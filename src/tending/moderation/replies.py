"""Suggested replies in the member's language, from Jinja2 templates the moderators can edit.

Templates live in `templates/<lang>/<action>_<signal>.txt.j2` inside the package, with
`<action>_default.txt.j2` as the fallback. A file of the same name in
`<tending data home>/templates/moderation/<lang>/` (e.g. ~/.local/share/tending/templates/moderation/fr/)
overrides the shipped one.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

from tending.config import data_home

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("en", "fr")


def override_dir() -> Path:
    return data_home() / "templates" / "moderation"


@cache
def _environment(lang: str, override: Path) -> Environment:
    loader = ChoiceLoader(
        [FileSystemLoader(str(override / lang)), FileSystemLoader(str(PACKAGE_TEMPLATES / lang))]
    )
    return Environment(
        loader=loader, undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
    )


def render_reply(
    action: str, signal: str, lang: str, context: dict[str, Any], *, override: Path | None = None
) -> str | None:
    """The suggested message for an action on a finding, or None when the action has no message."""
    language = lang if lang in LANGUAGES else "en"
    environment = _environment(language, override or override_dir())
    for name in (f"{action}_{signal}.txt.j2", f"{action}_default.txt.j2"):
        try:
            template = environment.get_template(name)
        except TemplateNotFound:
            continue
        return template.render(**context).strip()
    return None
