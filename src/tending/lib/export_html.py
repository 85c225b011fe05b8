"""The member export as a page the person can read: HTML, every value escaped, in the community's language
(French or English), dates in the community's time zone. Pure: a MemberExport-like dict in, text out."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "What {community} holds about you",
        "generated": "Prepared on {date} ({zone}).",
        "intro": "This page lists everything tending, the tool the team of {community} uses, holds about you: "
        "your profile, your accounts, what you wrote, the messages drafted or sent to you, the "
        "check-ins, the moderation findings and decisions, and the record of changes that name you.",
        "profile": "Profile",
        "name": "Name",
        "handle": "Handle",
        "platform": "Platform",
        "id": "Id",
        "joined": "Joined",
        "left": "Left",
        "language": "Language",
        "staff": "Staff",
        "bot": "Bot",
        "dnc": "Do not contact",
        "first_seen": "First seen",
        "merged": "Other accounts merged into this one",
        "identities": "Accounts",
        "email": "E-mail",
        "tags": "Tags",
        "notes": "Notes from the team",
        "activities": "What you did ({n})",
        "when": "When",
        "kind": "Kind",
        "where": "Where",
        "text": "Text",
        "messages": "Messages drafted or sent to you ({n})",
        "status": "Status",
        "subject": "Subject",
        "checkins": "Check-ins",
        "reason": "Reason",
        "outcome": "Outcome",
        "moderation": "Moderation findings and decisions",
        "signal": "Signal",
        "decision": "Decision",
        "audit": "Changes that name you",
        "actor": "By",
        "action": "Change",
        "none": "Nothing.",
        "yes": "yes",
        "no": "no",
    },
    "fr": {
        "title": "Ce que {community} détient à votre sujet",
        "generated": "Préparé le {date} ({zone}).",
        "intro": "Cette page liste tout ce que tending, l'outil de l'équipe de {community}, détient à votre "
        "sujet : votre profil, vos comptes, ce que vous avez écrit, les messages rédigés ou envoyés à "
        "votre intention, les prises de nouvelles, les signalements et décisions de modération, et "
        "le journal des changements qui vous concernent.",
        "profile": "Profil",
        "name": "Nom",
        "handle": "Pseudo",
        "platform": "Plateforme",
        "id": "Identifiant",
        "joined": "Arrivée",
        "left": "Départ",
        "language": "Langue",
        "staff": "Équipe",
        "bot": "Robot",
        "dnc": "Ne pas contacter",
        "first_seen": "Vu pour la première fois",
        "merged": "Autres comptes fusionnés avec celui-ci",
        "identities": "Comptes",
        "email": "Courriel",
        "tags": "Étiquettes",
        "notes": "Notes de l'équipe",
        "activities": "Ce que vous avez fait ({n})",
        "when": "Quand",
        "kind": "Type",
        "where": "Où",
        "text": "Texte",
        "messages": "Messages rédigés ou envoyés à votre intention ({n})",
        "status": "État",
        "subject": "Objet",
        "checkins": "Prises de nouvelles",
        "reason": "Raison",
        "outcome": "Suite",
        "moderation": "Signalements et décisions de modération",
        "signal": "Signal",
        "decision": "Décision",
        "audit": "Changements qui vous concernent",
        "actor": "Par",
        "action": "Changement",
        "none": "Rien.",
        "yes": "oui",
        "no": "non",
    },
}


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("tending.lib", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_member_export(export: dict[str, Any], *, language: str, timezone: str) -> str:
    """The export (MemberExport.as_dict()) as one self-contained HTML page."""
    words = LABELS.get((language or "en")[:2], LABELS["en"])
    zone = ZoneInfo(timezone)

    def local(value: str | None) -> str:
        if not value:
            return ""
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    def label(key: str, **values: Any) -> str:
        return words[key].format(**values)

    return (
        _environment()
        .get_template("member_export.html.j2")
        .render(e=export, t=label, local=local, lang=(language or "en")[:2], zone=timezone)
    )
