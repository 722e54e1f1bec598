"""The commit-ordered change counter behind the sync feed's cursor."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer
from sqlmodel import Field, SQLModel


class ChangeCounter(SQLModel, table=True):
    """A single row (id 1): the number of the last committed write transaction that changed records."""

    __tablename__ = "change_counter"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    value: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
