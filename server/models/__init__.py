"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from server.models.base import metadata
from server.models.core import Actor, Project, User

__all__ = ["Actor", "Project", "User", "metadata"]
