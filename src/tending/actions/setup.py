"""Setting up a community from the web: the first-run page (name, platform, language, time zone, "start
here" link) and the community's onboarding texts, each shown with a preview in both languages, checked, saved
as the community's own (the `onboarding_texts` setting) or reset to the built-in text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection

from tending.actions.communities import (
    do_create_community,
    do_set_start_url,
    do_update_community,
    do_update_community_settings,
    find_community,
)
from tending.actions.onboarding import (
    community_templates,
    get_rules_playbook,
    message_templates,
)
from tending.errors import BadInputError, UsageError
from tending.lib.settings import get_setting
from tending.models import LANGUAGES, Community
from tending.playbooks.model import Playbook
from tending.playbooks.placeholders import find_placeholders
from tending.playbooks.render import Templates, local_date
from tending.texts import T_, Text
from tending.timeutil import get_zone

PLATFORMS = ("facebook", "discourse", "discord", "slack", "telegram", "whatsapp", "matrix", "other")
MAX_TEXT = 20_000

# who the previews greet: made-up names, never a member's
SAMPLE_PEOPLE = (
    {"name": "Camille", "handle": "camille", "has_contributed": False},
    {"name": "Youssef", "handle": "youssef", "has_contributed": True},
    {"name": "Léa", "handle": "lea", "has_contributed": False},
)


@dataclass(frozen=True, slots=True)
class TextView:
    """One template in one language as the community would send it, with its preview."""

    name: str
    language: str
    source: str
    custom: bool  # the community's own text (else the built-in or the templates folder's)
    subject: str | None
    body: str
    error: str | None  # why it cannot be rendered, or holds a placeholder
    placeholders: tuple[str, ...]


def do_setup_community(
    conn: Connection,
    *,
    name: str,
    platform: str,
    language: str,
    timezone: str,
    start_url: str,
    actor: str,
) -> Community:
    """The first-run: create the community with its language, time zone and "start here" link."""
    name = name.strip()
    if platform not in PLATFORMS:
        raise UsageError(
            Text(
                T_("platform: '%(platform)s' is not one of %(known)s."),
                platform=platform,
                known=", ".join(PLATFORMS),
            )
        )
    _check_language(language)
    if not name:
        raise UsageError(Text(T_("name: a community needs a non-empty name.")))
    if find_community(conn, name) is not None:
        raise UsageError(Text(T_("name: a community named '%(name)s' already exists."), name=name))
    _check_zone(timezone)
    community = do_create_community(
        conn, name, platform=platform, timezone=timezone, language=language, actor=actor
    )
    if start_url.strip():
        community = do_set_start_url(conn, community, start_url.strip(), actor=actor)
    return community


def do_update_setup(
    conn: Connection,
    community: Community,
    *,
    name: str,
    language: str,
    timezone: str,
    start_url: str,
    actor: str,
) -> Community:
    """The community's page: its name, language, time zone and "start here" link (an empty link keeps it)."""
    _check_language(language)
    _check_zone(timezone)
    community = do_update_community(
        conn, community, name=name.strip(), timezone=timezone, language=language, actor=actor
    )
    links = get_setting(community.settings, "onboarding_links")
    current = links[0]["url"] if links else ""
    if start_url.strip() and start_url.strip() != current:
        community = do_set_start_url(conn, community, start_url.strip(), actor=actor)
    return community


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise UsageError(
            Text(
                T_("language: '%(language)s' is not one of %(known)s."),
                language=language,
                known=", ".join(LANGUAGES),
            )
        )


def _check_zone(timezone: str) -> None:
    try:
        get_zone(timezone)
    except UsageError:
        raise UsageError(
            Text(
                T_("time zone: '%(zone)s' is not an IANA time zone (e.g. Europe/Paris)."),
                zone=timezone,
            )
        ) from None


def sample_context(
    community: Community, playbook: Playbook, language: str, *, today: date
) -> dict[str, Any]:
    """What a preview renders with: the community's name and links, made-up people, this week."""
    zone = get_zone(community.timezone)
    links = list(get_setting(community.settings, "onboarding_links")) or list(playbook.links)
    end = datetime.combine(today, time(12), tzinfo=zone)
    return {
        "community": community.name,
        "rule": "preview",
        "members": list(SAMPLE_PEOPLE),
        "member": SAMPLE_PEOPLE[0],
        "links": links,
        "part": 1,
        "total": len(SAMPLE_PEOPLE),
        "week_start": local_date(end - timedelta(days=7), zone, language),
        "week_end": local_date(end, zone, language),
    }


def get_text_views(
    community: Community,
    playbook: Playbook,
    *,
    today: date,
    templates: Templates | None = None,
    drafts: dict[tuple[str, str], str] | None = None,
) -> list[TextView]:
    """Every text the playbook's rules send, in both languages, with a preview. `drafts` (name, language)
    -> text replaces a stored text, to preview one before saving it."""
    base = community_templates(community, templates)
    views = []
    own = get_setting(community.settings, "onboarding_texts")
    links = list(get_setting(community.settings, "onboarding_links")) or list(playbook.links)
    languages = sorted(LANGUAGES, key=lambda code: code != community.language)  # its own first
    for name in message_templates(playbook):
        for language in languages:
            draft = (drafts or {}).get((name, language))
            source = draft if draft is not None else base.source(name, language)
            if source is None:
                continue
            used = base.with_texts({language: {name: source}}) if draft is not None else base
            views.append(
                _view(
                    used,
                    name,
                    language,
                    source,
                    custom=draft is not None or name in own.get(language, {}),
                    context=sample_context(community, playbook, language, today=today),
                    links=links,
                )
            )
    return views


def _view(
    templates: Templates,
    name: str,
    language: str,
    source: str,
    *,
    custom: bool,
    context: dict[str, Any],
    links: list[dict[str, str]],
) -> TextView:
    error = None
    subject, body = None, ""
    try:
        subject, body = templates.render(name, language, context)
    except BadInputError as failure:
        error = str(failure)
    found = tuple(p.value for p in find_placeholders(links, {f"{language}/{name}": source}))
    return TextView(name, language, source, custom, subject, body, error, found)


def check_text(
    community: Community, playbook: Playbook, name: str, language: str, text: str, *, today: date
) -> str:
    """The text as it will be stored (line endings normalised), or one sentence saying what is wrong:
    unknown template, empty, too long, or not renderable (Jinja2 syntax, an unknown value)."""
    if name not in message_templates(playbook):
        raise UsageError(
            Text(T_("template: '%(name)s' is not a text of this playbook."), name=name)
        )
    _check_language(language)
    text = text.replace("\r\n", "\n").strip()
    where = f"{language}/{name}"
    if not text:
        raise UsageError(
            Text(
                T_("%(where)s: a text cannot be empty (reset it to the default instead)."),
                where=where,
            )
        )
    if len(text) > MAX_TEXT:
        raise UsageError(
            Text(T_("%(where)s: at most %(n)s characters."), where=where, n=f"{MAX_TEXT:,}")
        )
    (view,) = [
        v
        for v in get_text_views(community, playbook, today=today, drafts={(name, language): text})
        if (v.name, v.language) == (name, language)
    ]
    if view.error:
        raise UsageError(view.error)
    return text + "\n"


def do_set_text(
    conn: Connection,
    community: Community,
    name: str,
    language: str,
    text: str,
    *,
    actor: str,
    today: date,
) -> Community:
    """Save the community's own text for one template in one language (checked first)."""
    playbook = get_rules_playbook(conn, community)
    checked = check_text(community, playbook, name, language, text, today=today)
    texts = {
        lang: dict(names)
        for lang, names in get_setting(community.settings, "onboarding_texts").items()
    }
    texts.setdefault(language, {})[name] = checked
    return do_update_community_settings(conn, community, {"onboarding_texts": texts}, actor=actor)


def do_reset_text(
    conn: Connection, community: Community, name: str, language: str, *, actor: str
) -> Community:
    """Go back to the built-in text (or the templates folder's) for one template in one language."""
    texts = {
        lang: dict(names)
        for lang, names in get_setting(community.settings, "onboarding_texts").items()
    }
    if texts.get(language, {}).pop(name, None) is None:
        return community
    texts = {lang: names for lang, names in texts.items() if names}
    return do_update_community_settings(conn, community, {"onboarding_texts": texts}, actor=actor)
