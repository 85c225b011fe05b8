"""Message templates: Jinja2 files `<language>/<name>.txt.j2`, in French and English in the package, each
overridable by a file of the same name in the user's templates folder (`$TENDING_HOME/templates`).

A community's own texts, edited on the web (the `onboarding_texts` setting: `{language: {name: text}}`), come
before both: `Templates.with_texts()`.

A template's first line may be `Subject: ...`: it becomes the message's subject (e-mail, Discourse
private message) and is removed from the body.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from babel.dates import format_date
from jinja2 import (
    ChoiceLoader,
    DictLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)

from tending.errors import BadInputError
from tending.playbooks.conditions import base_language

LANGUAGES = ("en", "fr")


class Templates:
    def __init__(
        self, user_dir: Path | None = None, *, texts: dict[str, dict[str, str]] | None = None
    ) -> None:
        loaders: list[Any] = []
        self.texts = {lang: dict(names) for lang, names in (texts or {}).items()}
        if self.texts:
            loaders.append(
                DictLoader(
                    {
                        f"{lang}/{name}.txt.j2": text
                        for lang, names in self.texts.items()
                        for name, text in names.items()
                    }
                )
            )
        if user_dir is not None and user_dir.is_dir():
            loaders.append(FileSystemLoader(str(user_dir)))
        loaders.append(PackageLoader("tending.playbooks", "templates"))
        self.user_dir = user_dir
        self.env = Environment(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )

    def with_texts(self, texts: dict[str, dict[str, str]]) -> Templates:
        """These templates with a community's own texts first (`{language: {name: text}}`)."""
        return self if not texts else Templates(self.user_dir, texts=texts)

    def source(self, name: str, language: str) -> str | None:
        """The text of a template as it would be used (the community's, the user's or the built-in one)."""
        try:
            return self.env.loader.get_source(self.env, f"{language}/{name}.txt.j2")[0]  # type: ignore[union-attr]
        except TemplateNotFound:
            return None

    def builtin_source(self, name: str, language: str) -> str | None:
        """The text the package ships (what "reset to the default" goes back to)."""
        try:
            return PackageLoader("tending.playbooks", "templates").get_source(
                self.env, f"{language}/{name}.txt.j2"
            )[0]
        except TemplateNotFound:
            return None

    def check(self, text: str, *, where: str) -> None:
        """A text as a template would be: Jinja2 syntax checked, one sentence naming the line."""
        try:
            self.env.parse(text)
        except TemplateSyntaxError as error:
            raise BadInputError(
                error.message or "syntax error", path=where, line=error.lineno
            ) from None

    def exists(self, name: str, language: str) -> bool:
        try:
            self.env.get_template(f"{language}/{name}.txt.j2")
        except TemplateNotFound:
            return False
        return True

    def language_for(self, name: str, *preferred: str | None) -> str:
        """The first of the preferred languages (member's, community's) that has the template, else English."""
        for language in (*(base_language(p) for p in preferred), "en", *LANGUAGES):
            if language and self.exists(name, language):
                return language
        where = (
            f"{self.user_dir} or the built-in templates"
            if self.user_dir
            else "the built-in templates"
        )
        raise BadInputError(
            f"no template named '{name}' in {where} (expected <language>/{name}.txt.j2).",
            field="template",
        )

    def render(self, name: str, language: str, context: dict[str, Any]) -> tuple[str | None, str]:
        filename = f"{language}/{name}.txt.j2"
        try:
            text = self.env.get_template(filename).render(**context, language=language)
        except TemplateSyntaxError as error:
            raise BadInputError(
                error.message or "syntax error", path=error.filename or filename, line=error.lineno
            ) from None
        except TemplateError as error:
            raise BadInputError(f"cannot render: {error}", path=filename) from None
        return split_subject(text)


def split_subject(text: str) -> tuple[str | None, str]:
    first, _, rest = text.strip().partition("\n")
    if first.lower().startswith("subject:"):
        return first.split(":", 1)[1].strip() or None, rest.strip()
    return None, text.strip()


def local_date(moment: datetime | None, zone: Any, language: str) -> str:
    if moment is None:
        return ""
    return format_date(moment.astimezone(zone).date(), format="long", locale=language)
