"""Moderation rules as data: per signal, whether it is raised, its threshold, the action suggested and
its severity; context adjustments (introductions, new accounts, repeat offenders). Pure: text in,
rules out; rules and scores in, findings out.

The shipped rules are rules.yaml beside this file (today's behaviour). A community overrides any part
of them with its own YAML file; what the file leaves out keeps the shipped value, so the smallest
override is one line. Every mistake is one sentence naming the file, the line and the field:

    signals:
      spam: {threshold: 0.9, action: warn}
      complaint: {enabled: false}
    contexts:
      new_account: {days: 7}

`threshold: model` means the model's own calibrated threshold (per language for toxic), which follows
the shipped models when they are retrained. docs/moderation-rules.md is generated from FIELDS
(`uv run python -m tending.moderation.rules > docs/moderation-rules.md`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any, Protocol

import yaml

from tending.errors import BadInputError
from tending.moderation.signals import REGISTRY

ACTIONS = ("leave", "nudge", "note", "warn", "remove")
SEVERITIES = ("low", "normal", "high")
MODEL = "model"
# the signals a threshold applies to (the others are found by similarity, a thread's run or a week's share)
THRESHOLDED = ("spam", "self_promotion", "toxic", "complaint")
CONTEXTS = ("introduction", "new_account", "repeat_offender")
DEFAULT_PATH = "rules.yaml"  # shown in errors about the shipped file
LINES = "__lines__"

# the reference (docs/moderation-rules.md): every field a rules file may hold
FIELDS: tuple[tuple[str, str], ...] = (
    ("signals.SIGNAL.enabled", "true or false (default true): whether the scan raises the signal."),
    (
        "signals.SIGNAL.threshold",
        "`model` (the model's calibrated threshold) or a probability in [0, 1]; only for "
        + ", ".join(THRESHOLDED)
        + ".",
    ),
    (
        "signals.toxic.target_floor",
        "a probability in [0, 1]: toxic is raised only when a target model (insult, hate, threat) "
        "reaches it too.",
    ),
    ("signals.SIGNAL.action", "the action suggested by default: " + ", ".join(ACTIONS) + "."),
    (
        "signals.SIGNAL.severity",
        "low, normal or high: a new high item posts a team notice (setting notify.channel).",
    ),
    (
        "contexts.introduction.threshold_factor",
        "SIGNAL: factor (> 0), multiplying the threshold for a message in an introductions channel "
        "or a member's first contribution.",
    ),
    (
        "contexts.new_account.days",
        "a number > 0: an account younger than this (from its join date or first activity) is new.",
    ),
    (
        "contexts.new_account.threshold_factor",
        "SIGNAL: factor (> 0), multiplying the threshold for a new account's message with a link.",
    ),
    (
        "contexts.repeat_offender.flags_before_warn",
        "a whole number: after this many confirmed findings, at least warn is suggested.",
    ),
    (
        "contexts.repeat_offender.warnings_before_remove",
        "a whole number: after this many warnings, remove is suggested.",
    ),
)


@dataclass(frozen=True, slots=True)
class SignalRule:
    name: str
    enabled: bool = True
    threshold: float | None = None  # None: the model's own
    target_floor: float | None = None
    action: str = "leave"
    severity: str = "normal"


@dataclass(frozen=True)
class Rules:
    signals: dict[str, SignalRule]
    introduction_factor: dict[str, float] = field(default_factory=dict)
    new_account_days: float = 2.0
    new_account_factor: dict[str, float] = field(default_factory=dict)
    flags_before_warn: int = 2
    warnings_before_remove: int = 2
    source: str = ""  # the community's override file, empty for the shipped rules

    def signal(self, name: str) -> SignalRule:
        return self.signals.get(name) or SignalRule(name)

    def enabled(self, name: str) -> bool:
        return self.signal(name).enabled


class Thresholds(Protocol):
    """What the rules need from a classifier: the model's threshold for a score and a language."""

    def threshold(self, name: str, lang: str) -> float: ...


# -- reading -----------------------------------------------------------------------------------------


class _LineLoader(yaml.SafeLoader):
    """Safe YAML that remembers the line of each key."""


def _mapping_with_lines(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = str(loader.construct_object(key_node, deep=True))
        mapping[key] = loader.construct_object(value_node, deep=True)
        lines[key] = key_node.start_mark.line + 1
    mapping[LINES] = lines
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_lines)


@dataclass(frozen=True)
class _At:
    path: str
    lines: Mapping[str, int]
    prefix: str

    def error(self, key: str, message: str) -> BadInputError:
        return BadInputError(
            message, path=self.path, line=self.lines.get(key), field=self.prefix + key
        )

    def inner(self, key: str, value: Mapping[str, Any]) -> _At:
        return _At(self.path, value.get(LINES, {}) or {}, f"{self.prefix}{key}.")


def default_rules_text() -> str:
    return resources.files("tending.moderation").joinpath("rules.yaml").read_text(encoding="utf-8")


@cache
def default_rules() -> Rules:
    """The shipped rules (rules.yaml): today's behaviour."""
    return _apply(Rules(signals={}), _load(default_rules_text(), DEFAULT_PATH), DEFAULT_PATH)


def parse_rules(text: str, *, path: str = "<rules>") -> Rules:
    """A community's rules file over the shipped rules; a BadInputError naming file, line and field."""
    rules = _apply(default_rules(), _load(text, path), path)
    return replace(rules, source=text)


def _load(text: str, path: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or "syntax error"
        raise BadInputError(
            f"not valid YAML ({problem}).", path=path, line=mark.line + 1 if mark else None
        ) from None
    if data is None:
        return {LINES: {}}
    if not isinstance(data, dict):
        raise BadInputError(
            "a rules file is a mapping with 'signals' and/or 'contexts'.", path=path, line=1
        )
    return data


def _apply(base: Rules, data: dict[str, Any], path: str) -> Rules:
    top = _At(path, data.get(LINES, {}), "")
    for key in data:
        if key not in ("signals", "contexts", LINES):
            raise top.error(key, "unknown section (a rules file has 'signals' and 'contexts').")
    signals = dict(base.signals)
    for name, value in _section(data, "signals", top).items():
        if name == LINES:
            continue
        if name not in REGISTRY:
            raise top.inner("signals", data["signals"]).error(
                name, f"'{name}' is not a signal (signals: {', '.join(REGISTRY)})."
            )
        signals[name] = _signal(base.signal(name), value, top.inner("signals", data["signals"]))
    rules = replace(base, signals=signals)
    contexts = _section(data, "contexts", top)
    at = top.inner("contexts", contexts)
    for name, value in contexts.items():
        if name == LINES:
            continue
        if name not in CONTEXTS:
            raise at.error(name, f"'{name}' is not a context (contexts: {', '.join(CONTEXTS)}).")
        if not isinstance(value, dict):
            raise at.error(name, "must be a mapping of its fields.")
        rules = _CONTEXT_READERS[name](rules, value, at.inner(name, value))
    return rules


def _section(data: dict[str, Any], key: str, at: _At) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise at.error(key, "must be a mapping.")
    return value


def _signal(base: SignalRule, value: Any, at: _At) -> SignalRule:
    if value is None:
        return base
    if not isinstance(value, dict):
        raise at.error(base.name, "must be a mapping (enabled, threshold, action, severity).")
    inner = at.inner(base.name, value)
    known = {"enabled", "threshold", "action", "severity"} | (
        {"target_floor"} if base.name == "toxic" else set()
    )
    changes: dict[str, Any] = {}
    for key, item in value.items():
        if key == LINES:
            continue
        if key not in known:
            raise inner.error(key, f"unknown field (fields: {', '.join(sorted(known))}).")
        if key == "enabled":
            if not isinstance(item, bool):
                raise inner.error(key, f"must be true or false, not {item!r}.")
            changes[key] = item
        elif key == "threshold":
            changes[key] = _threshold(base.name, item, inner)
        elif key == "target_floor":
            changes[key] = _probability(item, inner, key)
        elif key == "action":
            changes[key] = _choice(item, ACTIONS, inner, key)
        else:
            changes[key] = _choice(item, SEVERITIES, inner, key)
    return replace(base, **changes)


def _threshold(signal: str, value: Any, at: _At) -> float | None:
    if signal not in THRESHOLDED:
        raise at.error(
            "threshold",
            f"'{signal}' has no threshold in the rules (only {', '.join(THRESHOLDED)}).",
        )
    if value == MODEL:
        return None
    return _probability(value, at, "threshold", model=True)


def _probability(value: Any, at: _At, key: str, *, model: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        also = "'model' or " if model else ""
        raise at.error(key, f"must be {also}a probability between 0 and 1, not {value!r}.")
    return float(value)


def _choice(value: Any, choices: tuple[str, ...], at: _At, key: str) -> str:
    if value not in choices:
        raise at.error(key, f"must be one of {', '.join(choices)}, not {value!r}.")
    return str(value)


def _positive(value: Any, at: _At, key: str, *, whole: bool = False) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value <= 0
        or (whole and value != int(value))
    ):
        kind = "a whole number > 0" if whole else "a number > 0"
        raise at.error(key, f"must be {kind}, not {value!r}.")
    return float(value)


def _factors(value: Any, at: _At) -> dict[str, float]:
    if not isinstance(value, dict):
        raise at.error("threshold_factor", "must be a mapping of signal: factor.")
    inner = at.inner("threshold_factor", value)
    out = {}
    for name, factor in value.items():
        if name == LINES:
            continue
        if name not in THRESHOLDED:
            raise inner.error(
                name, f"'{name}' has no threshold to adjust (only {', '.join(THRESHOLDED)})."
            )
        out[name] = _positive(factor, inner, name)
    return out


def _only(value: dict[str, Any], known: set[str], at: _At) -> None:
    for key in value:
        if key != LINES and key not in known:
            raise at.error(key, f"unknown field (fields: {', '.join(sorted(known))}).")


def _introduction(rules: Rules, value: dict[str, Any], at: _At) -> Rules:
    _only(value, {"threshold_factor"}, at)
    if "threshold_factor" not in value:
        return rules
    return replace(rules, introduction_factor=_factors(value["threshold_factor"], at))


def _new_account(rules: Rules, value: dict[str, Any], at: _At) -> Rules:
    _only(value, {"days", "threshold_factor"}, at)
    changes: dict[str, Any] = {}
    if "days" in value:
        changes["new_account_days"] = _positive(value["days"], at, "days")
    if "threshold_factor" in value:
        changes["new_account_factor"] = _factors(value["threshold_factor"], at)
    return replace(rules, **changes)


def _repeat_offender(rules: Rules, value: dict[str, Any], at: _At) -> Rules:
    _only(value, {"flags_before_warn", "warnings_before_remove"}, at)

    def count(key: str, current: int) -> int:
        return int(_positive(value[key], at, key, whole=True)) if key in value else current

    return replace(
        rules,
        flags_before_warn=count("flags_before_warn", rules.flags_before_warn),
        warnings_before_remove=count("warnings_before_remove", rules.warnings_before_remove),
    )


_CONTEXT_READERS = {
    "introduction": _introduction,
    "new_account": _new_account,
    "repeat_offender": _repeat_offender,
}


# -- applying ------------------------------------------------------------------------------------------


def threshold(
    rules: Rules, models: Thresholds, signal: str, lang: str, context: list[str] | None = None
) -> float:
    """The threshold of `signal` for a message in `lang` with `context` (introduction, first_post,
    new_account_link): the rule's or the model's, times the context's factors."""
    rule = rules.signal(signal)
    value = rule.threshold if rule.threshold is not None else models.threshold(signal, lang)
    context = context or []
    if "introduction" in context or "first_post" in context:
        value *= rules.introduction_factor.get(signal, 1.0)
    if "new_account_link" in context:
        value *= rules.new_account_factor.get(signal, 1.0)
    return value


def suggest_action(
    rules: Rules, signal: str, counts: Mapping[str, int] | None, *, counted: bool
) -> str:
    """The action to suggest for a new finding given the member's confirmed history (`counted`: the
    signal counts against the member; a complaint never does)."""
    suggestion = rules.signal(signal).action
    if not counts or not counted:
        return suggestion
    if counts.get("warnings", 0) >= rules.warnings_before_remove:
        return "remove"
    if counts.get("flags", 0) >= rules.flags_before_warn and ACTIONS.index(
        suggestion
    ) < ACTIONS.index("warn"):
        return "warn"
    return suggestion


@dataclass(frozen=True, slots=True)
class Finding:
    signal: str
    score: float
    threshold: float


def is_toxic(rules: Rules, models: Thresholds, values: Mapping[str, float], lang: str) -> bool:
    """The toxicity model reaches the rule's threshold, a target model (insult, hate, threat) the
    rule's target floor, and the message is not strong language aimed at nobody."""
    from tending.moderation.classifier import TARGET_FLOOR, TARGETS

    if (
        values["toxic"] < threshold(rules, models, "toxic", lang)
        or values.get("addressed", 1.0) == 0.0
    ):
        return False
    targets = [values[name] for name in TARGETS if name in values]
    floor = rules.signal("toxic").target_floor
    return not targets or max(targets) >= (TARGET_FLOOR if floor is None else floor)


def text_findings(
    rules: Rules,
    models: Thresholds,
    *,
    scores: Mapping[str, float],
    lang: str,
    context: list[str],
    junk: str | None,
) -> list[Finding]:
    """What one message's scores raise under `rules`: spam or self-promotion (one of them: a newcomer
    promoting themselves gets the gentle path, others the firmer one), toxic, and a complaint (someone
    to answer, never for spam). `junk` (broken encoding, another script) is spam whatever the score."""
    welcome = "introduction" in context or "first_post" in context
    spam_threshold = threshold(rules, models, "spam", lang, context)
    spam_score = max(scores["spam"], 0.5) if junk else scores["spam"]
    promo_threshold = threshold(rules, models, "self_promotion", lang, context)
    is_spam = rules.enabled("spam") and (spam_score >= spam_threshold or junk is not None)
    is_promo = rules.enabled("self_promotion") and scores["self_promotion"] >= promo_threshold
    found = []
    if is_promo and (not is_spam or (welcome and junk is None)):
        found.append(Finding("self_promotion", scores["self_promotion"], promo_threshold))
    elif is_spam:
        found.append(Finding("spam", spam_score, spam_threshold))
    if rules.enabled("toxic") and is_toxic(rules, models, scores, lang):
        found.append(
            Finding("toxic", scores["toxic"], threshold(rules, models, "toxic", lang, context))
        )
    complaint_at = threshold(rules, models, "complaint", lang, context)
    if rules.enabled("complaint") and scores.get("complaint", 0.0) >= complaint_at and not is_spam:
        found.append(Finding("complaint", scores["complaint"], complaint_at))
    return found


def _shown(value: object) -> str:
    if value is None:
        return MODEL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, dict):
        return _factor_map(value)
    return str(value)


def rule_changes(current: Rules, proposed: Rules) -> list[str]:
    """Each field the proposed rules change, as 'field: current -> proposed'."""
    changes = []
    for name in REGISTRY:
        a, b = current.signal(name), proposed.signal(name)
        for key in ("enabled", "threshold", "target_floor", "action", "severity"):
            if getattr(a, key) != getattr(b, key):
                changes.append(
                    f"signals.{name}.{key}: {_shown(getattr(a, key))} -> {_shown(getattr(b, key))}"
                )
    for key, label in (
        ("introduction_factor", "contexts.introduction.threshold_factor"),
        ("new_account_days", "contexts.new_account.days"),
        ("new_account_factor", "contexts.new_account.threshold_factor"),
        ("flags_before_warn", "contexts.repeat_offender.flags_before_warn"),
        ("warnings_before_remove", "contexts.repeat_offender.warnings_before_remove"),
    ):
        if getattr(current, key) != getattr(proposed, key):
            changes.append(
                f"{label}: {_shown(getattr(current, key))} -> {_shown(getattr(proposed, key))}"
            )
    return changes


# -- writing ---------------------------------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{value:g}" if value == round(value, 6) else f"{value:.6g}"


def render_rules(rules: Rules, models: Thresholds | None = None) -> str:
    """The rules as a complete rules file (parse_rules reads it back to the same rules); with `models`,
    a comment gives the value `threshold: model` stands for."""
    lines = [
        "# The moderation rules in force. Save this file, change it and load it with",
        "# `tending moderate rules --set FILE` (try it first: `tending moderate backtest --rules FILE`).",
        "signals:",
    ]
    for name in REGISTRY:
        rule = rules.signal(name)
        lines.append(f"  {name}:")
        if not rule.enabled:
            lines.append("    enabled: false")
        if name in THRESHOLDED:
            lines.append(_threshold_line(rule, models))
        if name == "toxic" and rule.target_floor is not None:
            lines.append(f"    target_floor: {_number(rule.target_floor)}")
        lines.append(f"    action: {rule.action}")
        lines.append(f"    severity: {rule.severity}")
    lines += [
        "contexts:",
        "  introduction:",
        f"    threshold_factor: {_factor_map(rules.introduction_factor)}",
        "  new_account:",
        f"    days: {_number(rules.new_account_days)}",
        f"    threshold_factor: {_factor_map(rules.new_account_factor)}",
        "  repeat_offender:",
        f"    flags_before_warn: {rules.flags_before_warn}",
        f"    warnings_before_remove: {rules.warnings_before_remove}",
    ]
    return "\n".join(lines) + "\n"


def _threshold_line(rule: SignalRule, models: Thresholds | None) -> str:
    if rule.threshold is not None:
        return f"    threshold: {_number(rule.threshold)}"
    if models is None:
        return "    threshold: model"
    if rule.name == "toxic":
        shown = ", ".join(f"{lang} {models.threshold('toxic', lang):.4f}" for lang in ("fr", "en"))
    else:
        shown = f"{models.threshold(rule.name, 'en'):.4f}"
    return f"    threshold: model  # the model's calibrated threshold: {shown}"


def _factor_map(factors: dict[str, float]) -> str:
    return "{" + ", ".join(f"{k}: {_number(v)}" for k, v in factors.items()) + "}"


def render_markdown() -> str:
    """docs/moderation-rules.md: the fields of a rules file and the shipped rules."""
    lines = [
        "# Moderation rules",
        "",
        "Generated from `src/tending/moderation/rules.py` by "
        "`uv run python -m tending.moderation.rules > docs/moderation-rules.md`; a test fails when it is "
        "out of date. The signals themselves: [signals.md](signals.md).",
        "",
        "A community's rules file overrides the shipped rules field by field (what it leaves out keeps the "
        "shipped value). `tending moderate rules` prints the rules in force, `--set FILE` checks and "
        "saves a file (an error names the file, the line and the field), `--reset` returns to the "
        "shipped rules, and `tending moderate backtest --rules FILE --since ISO` shows what a file "
        "would have queued differently before it is switched on.",
        "",
        "| Field | Value |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {help_text} |" for name, help_text in FIELDS]
    lines += ["", "## The shipped rules", "", "```yaml", default_rules_text().rstrip(), "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_markdown(), end="")
