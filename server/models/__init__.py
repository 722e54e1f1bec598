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
from server.models.changes import ChangeCounter
from server.models.core import Actor, Project, User
from server.models.entities import (
    Dataset,
    DatasetForm,
    DatasetProperty,
    Entity,
    EntityDef,
    EntitySubmission,
)
from server.models.forms import Blob, Form, FormAttachment, FormDef
from server.models.submissions import (
    Submission,
    SubmissionAttachment,
    SubmissionComment,
    SubmissionDef,
)
from server.models.sync import (
    ServerClock,
    SyncConflict,
    SyncDevice,
    SyncHorizon,
    SyncOp,
    SyncQuarantine,
)

__all__ = [
    "ActorScope", "AppUser", "Audit", "AuthSession", "FormAssignment", "LoginFailure",
    "PersonalDataGrant", "ProjectRole", "ProjectScope",
    "Actor", "Blob", "ChangeCounter", "Submission", "SubmissionAttachment", "SubmissionComment",
    "SubmissionDef", "Form", "FormAttachment", "FormDef", "Project", "User", "metadata",
    "Dataset", "DatasetForm", "DatasetProperty", "Entity", "EntityDef", "EntitySubmission",
    "ServerClock", "SyncConflict", "SyncDevice", "SyncHorizon", "SyncOp", "SyncQuarantine"]
