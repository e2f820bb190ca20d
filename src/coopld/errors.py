"""One exception tree. Non-conformance is a value, never an exception: these
mean that something could not be done, and say what would be valid."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field

__all__ = [
    "BadRequestError",
    "BuildError",
    "CoopldError",
    "NotAcceptableError",
    "NotFoundError",
    "RecordError",
    "RecordIssue",
]


class CoopldError(Exception):
    """Base error: a message for people, an optional hint, an HTTP status."""

    status = 500
    exit_code = 3

    def __init__(self, message: str, hint: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if status is not None:
            self.status = status


@dataclass(frozen=True, order=True)
class RecordIssue:
    """One problem in the source records, pointing at file, line, key and field."""

    file: str
    line: int
    key: str | None
    field: str | None
    message: str
    valid: str | None = dataclass_field(default=None, compare=False)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        what = " ".join(
            part
            for part in (
                f"record {self.key!r}" if self.key else None,
                f"field {self.field!r}" if self.field else None,
            )
            if part
        )
        text = f"{where}: {what + ': ' if what else ''}{self.message}"
        return f"{text} (valid: {self.valid})" if self.valid else text


class RecordError(CoopldError):
    """The source records cannot be converted; carries every issue found in one run."""

    status = 400
    exit_code = 2

    def __init__(self, issues: list[RecordIssue]) -> None:
        self.issues = sorted(issues)
        count = len(self.issues)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} in the source records",
            hint="fix the records named above and run the command again",
        )


class BuildError(CoopldError):
    """The build could not run (bad input files, an unwritable output folder)."""

    status = 500
    exit_code = 2


class BadRequestError(CoopldError):
    status = 400
    exit_code = 2


class NotFoundError(CoopldError):
    status = 404
    exit_code = 2


class NotAcceptableError(CoopldError):
    status = 406
    exit_code = 2

    def __init__(self, message: str, supported: list[str]) -> None:
        super().__init__(message, hint="supported: " + ", ".join(supported))
        self.supported = supported
