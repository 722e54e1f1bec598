"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from server.models.accounts import (
    ActorScope,
    AppUser,
    Audit,
    AuthSession,
    FormAssignment,
    LoginFailure,
    PersonalDataGrant,
    ProjectRole,
    ProjectScope,
)
from server.models.base import metadata
from server.models.core import Actor, Project, User

__all__ = [
    "ActorScope", "AppUser", "Audit", "AuthSession", "FormAssignment", "LoginFailure",
    "PersonalDataGrant", "ProjectRole", "ProjectScope",
    "Actor", "Project", "User", "metadata"]
