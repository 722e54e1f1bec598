"""Typed cells: answers converted for spreadsheets, CSV text, and formula-injection defence."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

# A cell keeps its type so that XLSX gets real numbers and dates; CSV renders it as text.
Cell = str | int | float | date | datetime | time | None

# A spreadsheet treats a cell starting with one of these as a formula (OWASP CSV injection).
FORMULA_TRIGGERS = frozenset("=+-@\t\r")


def neutralise(text: str) -> str:
    """`text` with a leading ' when a spreadsheet would read it as a formula.

    Only text is ever escaped: numbers are typed int/float cells and stay numbers, so a
    negative number is never touched, while a text answer "-5" is.
    """
    if text and text[0] in FORMULA_TRIGGERS:
        return "'" + text
    return text


def as_number(value: Any) -> Cell:
    """An integer or decimal answer as a number; text that is no number stays text."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return str(value)
    return number if number == number and abs(number) != float("inf") else str(value)


def as_date(value: Any) -> Cell:
    """A date answer ("YYYY-MM-DD") as a date; anything else is kept as it came."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if len(str(value)) == 10 else str(value)
    except ValueError:
        return str(value)


def as_datetime(value: Any) -> Cell:
    """A dateTime answer (ISO 8601, ODK gives its offset) as a datetime; else kept as it came.

    The offset is kept: a datetime cell is turned to UTC where it is written (XLSX).
    """
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)


def as_time(value: Any) -> Cell:
    """A time answer ("10:15:00.000+06:00") as the time of day answered, without its offset.

    A time of day has no date to move across midnight, so it is kept as the clock showed it.
    """
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    try:
        return time.fromisoformat(str(value).replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return str(value)


def as_text(value: Any) -> Cell:
    """Any other answer as text; lists (select multiple, traces) joined with spaces like XML."""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return " ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, int | float) else str(value)


def geo_part(value: Any, part: int) -> Cell:
    """One component of a geopoint ([lat, lon, alt, acc] or ODK's "lat lon alt acc" text)."""
    parts = value.split() if isinstance(value, str) else value
    if not isinstance(parts, list | tuple) or part >= len(parts) or parts[part] is None:
        return None
    return as_number(parts[part])


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def csv_text(cell: Cell) -> str:
    """How ODK Central writes a cell in CSV; text is neutralised against formula injection."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return neutralise(cell)
    if isinstance(cell, bool):
        return "1" if cell else "0"
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, float):
        return float_text(cell)
    if isinstance(cell, datetime):
        # Central's SubmissionDate: UTC with milliseconds, e.g. 2018-01-01T00:00:00.000Z.
        return utc(cell).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return cell.isoformat()


def float_text(number: float) -> str:
    """A decimal as plain digits, never in exponent notation (spreadsheets misread 1e-05)."""
    text = repr(number)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text
