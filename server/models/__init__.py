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
from server.models.forms import Blob, Form, FormAttachment, FormDef

__all__ = [
    "ActorScope", "AppUser", "Audit", "AuthSession", "FormAssignment", "LoginFailure",
    "PersonalDataGrant", "ProjectRole", "ProjectScope",
    "Actor", "Blob", "Form", "FormAttachment", "FormDef", "Project", "User", "metadata"]
