"""The error catalogue: every API error is an RFC 9457 problem with a stable code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ProblemType:
    """One entry of the catalogue: a code, its HTTP status and a title."""

    code: str
    status: int
    title: str


_CATALOGUE: dict[str, ProblemType] = {}


def _problem(code: str, status: int, title: str) -> ProblemType:
    entry = ProblemType(code, status, title)
    _CATALOGUE[code] = entry
    return entry


# Generic request problems.
REQUEST_INVALID = _problem("request.invalid", 400, "The request is not valid.")
REQUEST_TOO_LARGE = _problem("request.too_large", 413, "The request body is too large.")
ROUTE_NOT_FOUND = _problem("route.not_found", 404, "No such resource.")
METHOD_NOT_ALLOWED = _problem("method.not_allowed", 405, "Method not allowed on this resource.")
UNSUPPORTED_MEDIA = _problem("request.unsupported_media_type", 415, "Unsupported content type.")
INTERNAL = _problem("server.internal", 500, "Internal server error.")
NOT_READY = _problem("server.not_ready", 503, "The service is not ready.")

# Authentication and authorization.
AUTH_REQUIRED = _problem("auth.required", 401, "Authentication is required.")
AUTH_FAILED = _problem("auth.failed", 401, "Could not authenticate with the provided credentials.")
TOKEN_MALFORMED = _problem("auth.token_malformed", 401, "The token is malformed.")
TOKEN_INVALID = _problem("auth.token_invalid", 401, "The token signature is not valid.")
TOKEN_EXPIRED = _problem("auth.token_expired", 401, "The token has expired.")
TOKEN_REVOKED = _problem("auth.token_revoked", 401, "The token has been revoked.")
KEY_UNKNOWN = _problem("auth.key_unknown", 403, "The app user key is not known or was revoked.")
FORBIDDEN = _problem("auth.forbidden", 403, "The authenticated actor may not do this.")
TOO_MANY_ATTEMPTS = _problem("auth.too_many_attempts", 429, "Too many failed attempts.")

# Resources.
NOT_FOUND = _problem("resource.not_found", 404, "Could not find the resource you were looking for.")
CONFLICT = _problem("resource.conflict", 409, "The request conflicts with the current state.")
ALREADY_EXISTS = _problem("resource.exists", 409, "A resource already exists with that identity.")

# Forms (XLSForm conversion, drafts, versions, media).
XLSFORM_INVALID = _problem("xlsform.invalid", 400, "The form definition is not valid.")
XLSFORM_WARNINGS = _problem(
    "xlsform.warnings", 400,
    "The form definition is valid but has warnings; send ignoreWarnings=true to accept them.",
)
FORM_TOO_LARGE = _problem("form.too_large", 413, "The form definition is larger than allowed.")
FORM_EXISTS = _problem("form.exists", 409, "A form with this xmlFormId already exists in the project.")
FORM_ID_MISMATCH = _problem(
    "form.id_mismatch", 400, "The definition's form id does not match the form being updated."
)
FORM_ID_INVALID = _problem("form.id_invalid", 400, "The form id cannot be used.")
FORM_MISSING_META = _problem(
    "form.missing_meta", 400, "The form has no meta/instanceID field to identify submissions."
)
FORM_VERSION_UNCHANGED = _problem(
    "form.version_unchanged", 409,
    "A published version of this form already has this version string; change the version.",
)
FORM_NOT_PUBLISHED = _problem("form.not_published", 409, "The form has no published version.")
FORM_NO_DRAFT = _problem("form.no_draft", 404, "The form has no draft.")
FORM_ATTACHMENT_UNKNOWN = _problem(
    "form.attachment_unknown", 404, "The form definition declares no file by that name."
)


def problem_type(code: str) -> ProblemType:
    """The catalogue entry for `code` (KeyError for an unknown code: a programming error)."""
    return _CATALOGUE[code]


def register(code: str, status: int, title: str) -> ProblemType:
    """Add an entry to the catalogue (used by resource modules for their own codes)."""
    if code in _CATALOGUE and _CATALOGUE[code] != ProblemType(code, status, title):
        raise ValueError(f"problem code {code!r} registered twice with different meanings")
    return _problem(code, status, title)


def catalogue() -> dict[str, ProblemType]:
    """A copy of the whole catalogue (for docs and tests)."""
    return dict(_CATALOGUE)


class Problem(Exception):
    """Raised anywhere in server/ to answer with a problem document."""

    def __init__(
        self,
        kind: ProblemType,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or kind.title)
        self.kind = kind
        self.detail = detail or kind.title
        self.headers = headers or {}
        self.extra = extra

    @property
    def status(self) -> int:
        return self.kind.status

    def body(self, instance: str | None = None) -> dict[str, Any]:
        """The application/problem+json document."""
        doc: dict[str, Any] = {
            "type": f"urn:kenesh:problem:{self.kind.code}",
            "title": self.kind.title,
            "status": self.kind.status,
            "detail": self.detail,
            "code": self.kind.code,
        }
        if instance:
            doc["instance"] = instance
        doc.update(self.extra)
        return doc
