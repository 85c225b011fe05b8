"""Reading a playbook (YAML) into rules, with errors naming the file, the line and the field.

name: my playbook
links:                      # shown in welcomes: getting-started links
  - {title: Start here, url: https://forum.example.org/t/start}
rules:
  - name: two_months
    trigger: days_after_join
    days: 60                # the trigger's fields sit beside it
    conditions: {not_contacted_within: 14}
    holdout: 0.1            # optional: 10% of members, chosen by a hash of their id, get nothing
    max_delay_days: 7       # a message due longer ago than this is recorded as skipped
    actions:
      - {draft_message: two_months, channel: private}
"""

from __future__ import annotations

from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from tending.playbooks import actions as _actions  # noqa: F401  (registers the actions)
from tending.playbooks import conditions as _conditions  # noqa: F401
from tending.playbooks import triggers as _triggers
from tending.playbooks.model import ActionSpec, Playbook, Rule
from tending.playbooks.registry import ACTIONS, CONDITIONS, TRIGGERS, Where

LINE = "__line__"
RULE_KEYS = {"name", "trigger", "conditions", "actions", "max_delay_days", "holdout", LINE}


class _LineLoader(yaml.SafeLoader):
    """Safe YAML that remembers the line of each mapping."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = {
        str(k): v for k, v in yaml.SafeLoader.construct_mapping(loader, node, deep=True).items()
    }
    mapping[LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _plain(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k != LINE}


def parse_playbook(text: str, *, path: str = "<playbook>") -> Playbook:
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise Where(path, mark.line + 1 if mark else None).error(
            f"not valid YAML ({error})."
        ) from None
    top = Where(path, 1)
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise top.error(
            "a playbook is a mapping with a list of rules under 'rules'.", field="rules"
        )
    rules = tuple(_rule(item, path) for item in data["rules"])
    names = [r.name for r in rules]
    for rule in rules:
        if names.count(rule.name) > 1:
            raise Where(path, rule.line).error(f"two rules are named '{rule.name}'.", field="name")
    links = tuple(_link(item, path) for item in data.get("links") or [])
    return Playbook(
        name=str(data.get("name") or Path(path).stem), rules=rules, links=links, source=text
    )


def _link(item: Any, path: str) -> dict[str, str]:
    if not isinstance(item, dict) or not {"title", "url"} <= set(item):
        raise Where(path, item.get(LINE) if isinstance(item, dict) else None).error(
            "each link needs a title and a url.", field="links"
        )
    return {"title": str(item["title"]), "url": str(item["url"])}


def _rule(item: Any, path: str) -> Rule:
    if not isinstance(item, dict):
        raise Where(path).error(
            "each rule is a mapping (name, trigger, conditions, actions).", field="rules"
        )
    where = Where(path, item.get(LINE))
    name = item.get("name")
    if not isinstance(name, str) or not name.strip() or ":" in name:
        raise where.error("each rule needs a name (text without ':').", field="name")
    trigger = item.get("trigger")
    if not isinstance(trigger, str):
        raise where.error("the trigger is a name, e.g. days_after_join.", field="trigger")
    entry = TRIGGERS.get(trigger, where)
    trigger_params = TRIGGERS.check(
        trigger, {k: v for k, v in item.items() if k not in RULE_KEYS}, where
    )
    if "time" in trigger_params:  # weekly, days_after_join, anniversary
        _check_time(trigger_params["time"], where)
    del entry
    return Rule(
        name=name,
        trigger=trigger,
        trigger_params=trigger_params,
        conditions=_conditions_of(item.get("conditions"), where),
        actions=tuple(
            _action(a, path, where) for a in _list(item.get("actions"), where, "actions")
        ),
        max_delay=timedelta(days=_number(item, "max_delay_days", 7, where)),
        holdout=_holdout(item.get("holdout", 0.0), where),
        line=where.line,
    )


def _check_time(text: str, where: Where) -> None:
    try:
        _triggers._parse_time(text)
    except ValueError:
        raise where.error(
            f"'{text}' is not a time of day (HH:MM, e.g. 18:00).", field="time"
        ) from None


def _list(value: Any, where: Where, field: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise where.error("must be a non-empty list.", field=field)
    return value


def _number(item: dict[str, Any], field: str, default: float, where: Where) -> float:
    value = item.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise where.error(f"must be a non-negative number, not {value!r}.", field=field)
    return float(value)


def _holdout(value: Any, where: Where) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise where.error(
            f"must be a fraction between 0 and 1 (e.g. 0.1 for 10%), not {value!r}.",
            field="holdout",
        )
    return float(value)


def _conditions_of(value: Any, where: Where) -> tuple[tuple[str, Any], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise where.error(
            "conditions are a mapping, e.g. {has_contributed: false}.", field="conditions"
        )
    checked = []
    for name, raw in _plain(value).items():
        CONDITIONS.get(name, where, label="conditions")
        checked.append((name, CONDITIONS.check(name, {"value": raw}, where)["value"]))
    return tuple(checked)


def _action(item: Any, path: str, rule_where: Where) -> ActionSpec:
    if isinstance(item, str):
        item = {item: None}
    if not isinstance(item, dict):
        raise rule_where.error(
            "each action is a mapping, e.g. {draft_message: welcome, channel: private}.",
            field="actions",
        )
    where = Where(path, item.get(LINE, rule_where.line))
    plain = _plain(item)
    names = [k for k in plain if k in ACTIONS.entries]
    if len(names) != 1:
        known = ", ".join(sorted(ACTIONS.entries))
        raise where.error(f"each action names exactly one of {known}.", field="actions")
    name = names[0]
    main = ACTIONS.entries[name].fields[0].name
    params = {k: v for k, v in plain.items() if k != name}
    if plain[name] is not None:
        params[main] = plain[name]
    return ActionSpec(name=name, params=ACTIONS.check(name, params, where))


def default_playbook_text() -> str:
    return resources.files("tending.playbooks").joinpath("default.yaml").read_text(encoding="utf-8")


def default_playbook() -> Playbook:
    return parse_playbook(default_playbook_text(), path="default.yaml")


def load_playbook(path: Path) -> Playbook:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise Where(str(path)).error(f"cannot read the playbook ({error.strerror}).") from None
    return parse_playbook(text, path=str(path))
