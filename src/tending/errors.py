"""Errors a user can cause. The CLI prints their message as one line and exits with their code."""


class TendingError(Exception):
    """A failure the user can understand and fix: one clear sentence, exit code 1."""

    exit_code = 1


class UsageError(TendingError):
    """The command was called wrongly (a bad option value, a missing community): exit code 2."""

    exit_code = 2


class NotFoundError(UsageError):
    """What the command names does not exist (a member, a message, a queue item): the JSON API answers 404.
    `exit_code` keeps the CLI's code where a caller raised a plain TendingError before (1)."""

    def __init__(self, message: str, *, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class BadInputError(TendingError):
    """Input data is malformed: the message names the file, the line or record, and the field."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        where = []
        if path:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}")
        prefix = ", ".join(where)
        if field:
            message = f"field '{field}': {message}"
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.path = path
        self.line = line
        self.field = field
