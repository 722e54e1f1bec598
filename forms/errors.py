"""Errors raised by the forms package: every failure a form designer or a device can cause."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a form definition, located where pyxform says it is."""

    sheet: str | None
    row: int | None
    message: str


class FormsError(Exception):
    """Base class of the errors the forms package raises on purpose."""


class XLSFormInvalid(FormsError):
    """The uploaded definition is not a form Kenesh can use (pyxform said no, or unreadable)."""

    def __init__(self, problems: list[Problem]) -> None:
        # An empty list would give the user nothing to act on.
        self.problems: list[Problem] = problems or [
            Problem(sheet=None, row=None, message="The form definition is invalid.")
        ]
        super().__init__("; ".join(p.message for p in self.problems))


class WorkbookTooLarge(FormsError):
    """The upload is larger than the configured limits (e.g. a zip bomb disguised as .xlsx)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class InstanceUnparseable(FormsError):
    """A submission's XML cannot be read safely (malformed, entities, too deep or too large)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)
