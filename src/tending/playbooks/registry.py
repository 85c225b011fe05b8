"""Registries of triggers, conditions and actions: one small function each, declaring its fields.

A playbook names entries and gives their fields; `Registry.check` validates them with one clear sentence
naming the file, the line and the field, so a typo in a rule never reaches a member.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from typing_extensions import TypedDict

from tending.errors import BadInputError


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: type | tuple[type, ...]
    required: bool = False
    default: Any = None
    choices: tuple[str, ...] | None = None
    help: str = ""


@dataclass(frozen=True, slots=True)
class Where:
    """Where a value came from, for error messages."""

    path: str
    line: int | None = None

    def error(self, message: str, *, field: str | None = None) -> BadInputError:
        return BadInputError(message, path=self.path, line=self.line, field=field)


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    function: Callable[..., Any]
    fields: tuple[Field, ...]
    doc: str
    extra: dict[str, Any] = field(default_factory=dict)


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {
        int: "a whole number",
        float: "a number",
        str: "a text",
        bool: "true or false",
        list: "a list",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _check_value(spec: Field, value: Any, where: Where, label: str) -> Any:
    kinds = spec.kind if isinstance(spec.kind, tuple) else (spec.kind,)
    if float in kinds and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        raise where.error(f"must be {_type_name(spec.kind)}, not {value!r}.", field=label)
    if spec.choices is not None:
        for item in value if isinstance(value, list) else [value]:
            if item not in spec.choices:
                raise where.error(f"'{item}' is not one of {', '.join(spec.choices)}.", field=label)
    return value


class Registry:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.entries: dict[str, Entry] = {}

    def register(
        self, name: str, *fields: Field, **extra: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
            doc = (function.__doc__ or "").strip().splitlines()[0] if function.__doc__ else ""
            self.entries[name] = Entry(name, function, fields, doc, extra)
            return function

        return decorate

    def get(self, name: str, where: Where, *, label: str | None = None) -> Entry:
        entry = self.entries.get(name)
        if entry is None:
            known = ", ".join(sorted(self.entries))
            raise where.error(
                f"unknown {self.kind} '{name}' (known: {known}).", field=label or self.kind
            )
        return entry

    def check(self, name: str, params: dict[str, Any], where: Where) -> dict[str, Any]:
        """The params of entry `name`, type-checked, with defaults filled in."""
        entry = self.get(name, where)
        known = {spec.name for spec in entry.fields}
        for key in params:
            if key not in known:
                allowed = ", ".join(sorted(known)) or "none"
                raise where.error(
                    f"{self.kind} '{name}' has no field '{key}' (fields: {allowed}).", field=key
                )
        checked: dict[str, Any] = {}
        for spec in entry.fields:
            if spec.name in params and params[spec.name] is not None:
                checked[spec.name] = _check_value(spec, params[spec.name], where, spec.name)
            elif spec.required:
                raise where.error(f"{self.kind} '{name}' needs this field.", field=spec.name)
            else:
                checked[spec.name] = spec.default
        return checked

    def describe(self) -> list[DescribedEntry]:
        return [
            {
                "name": e.name,
                "doc": e.doc,
                "fields": [
                    {
                        "name": f.name,
                        "type": _type_name(f.kind),
                        "required": f.required,
                        "default": f.default,
                        "help": f.help,
                    }
                    for f in e.fields
                ],
            }
            for e in sorted(self.entries.values(), key=lambda e: e.name)
        ]


class DescribedField(TypedDict):
    """A field as `tending onboarding rules --registry --format json` prints it."""

    name: str
    type: str
    required: bool
    default: Any  # the field's default value, of its own type
    help: str


class DescribedEntry(TypedDict):
    name: str
    doc: str
    fields: list[DescribedField]


TRIGGERS = Registry("trigger")
CONDITIONS = Registry("condition")
ACTIONS = Registry("action")
