"""The moderation signals, as a registry: each signal's name, what raises it, what its score means, and the
action suggested by default (tending.moderation.escalation reads its defaults from here).

docs/signals.md is generated from this registry (`uv run python -m tending.moderation.signals >
docs/signals.md`) and a test fails when it is stale. The full definitions, with their thresholds and
references, are in docs/moderation.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    help: str
    score: str
    default_action: str


REGISTRY: dict[str, Signal] = {
    s.name: s
    for s in (
        Signal(
            "spam",
            "The spam model's calibrated probability reaches its threshold, or junk in another script or "
            "in broken encoding; a brand-new account posting a link halves the threshold.",
            "probability",
            "remove",
        ),
        Signal(
            "self_promotion",
            "The self-promotion model reaches its threshold (lowered in introductions and "
            "first contributions); not raised when the message is already spam.",
            "probability",
            "nudge",
        ),
        Signal(
            "repost",
            "The same or nearly the same text (MinHash) or picture (dHash) was posted earlier, by the "
            "same member or copied from another's into a new thread.",
            "similarity",
            "nudge",
        ),
        Signal(
            "toxic",
            "The toxicity model of the message's language (French or English) reaches its threshold.",
            "probability",
            "warn",
        ),
        Signal(
            "heated",
            "In one thread, two members alternate quickly while the toxicity of their messages "
            "rises.",
            "mean toxicity of the run's second half",
            "note",
        ),
        Signal(
            "off_topic_drift",
            "For one week, the share of contributions unlike the community's profile exceeds "
            "the setting moderation.offtopic_tolerance.",
            "the share",
            "leave",
        ),
        Signal(
            "complaint",
            "An unhappy member or customer who needs an answer: the sentiment model's confident "
            "negative with signs of a need (service, waiting, money, an order; lexicons/complaints.txt). Never "
            "counted against the member nor escalated.",
            "complaint score",
            "nudge",
        ),
    )
}


def render_markdown() -> str:
    """docs/signals.md: every signal, what raises it, its score and the action suggested by default."""
    lines = [
        "# Moderation signals",
        "",
        "Generated from the registry in `src/tending/moderation/signals.py` by "
        "`uv run python -m tending.moderation.signals > docs/signals.md`; a test fails when it is out of "
        "date. The full definitions, thresholds and references: [moderation.md](moderation.md).",
        "",
        "| Signal | Raised when | Score | Suggested by default |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{s.name}` | {s.help} | {s.score} | `{s.default_action}` |" for s in REGISTRY.values()
    ]
    lines += [
        "",
        "A member whose findings were confirmed twice before gets at least `warn` suggested; one warned "
        "twice before gets `remove` suggested (tending.moderation.escalation).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_markdown(), end="")
