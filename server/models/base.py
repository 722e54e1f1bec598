"""Column types and helpers shared by every table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache, partial
from typing import Any, TypeVar

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

metadata = SQLModel.metadata
M = TypeVar("M")

# Constraint names are fixed so that migrations and models agree on every backend.
metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """ODK Central's timestamp format: ISO 8601 in UTC with milliseconds and a Z."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def new_row(model: type[M], **values: Any) -> M:
    """A new (transient) `model` object, as `model(**values)` makes it, in a fraction of the time.

    SQLModel's constructor of a table model goes through pydantic's machinery and sets every
    field by an instrumented setattr, about 40 µs for a submission's row, and a phone's
    submission makes two. Here the defaults are filled in and the values stored as a row
    loaded by the ORM holds them. As with the constructor, nothing is validated, and a
    required field not given is left unset (it reads as None).
    """
    row = model._sa_class_manager.new_instance()  # type: ignore[attr-defined]
    unknown = values.keys() - model.model_fields.keys()  # type: ignore[attr-defined]
    if unknown:
        raise TypeError(f"{model.__name__} has no field {sorted(unknown)[0]!r}")
    state = row.__dict__
    for name, default in _defaults_of(model):
        if name not in values:
            state[name] = default()
    state.update(values)
    object.__setattr__(row, "__pydantic_fields_set__", set(values))
    return row  # type: ignore[no-any-return]


@cache
def _defaults_of(model: type[Any]) -> tuple[tuple[str, Callable[[], Any]], ...]:
    return tuple(
        (name, _default_maker(field))
        for name, field in model.model_fields.items()
        if not field.is_required()
    )


def _default_maker(field: Any) -> Callable[[], Any]:
    # A plain factory is called as it is: pydantic's get_default inspects its signature on
    # every call, for every row made.
    factory = field.default_factory
    if factory is not None and not field.default_factory_takes_validated_data:
        return factory  # type: ignore[no-any-return]
    return partial(field.get_default, call_default_factory=True)
