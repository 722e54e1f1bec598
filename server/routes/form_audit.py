"""The audit entry of a change to a form, its draft or its files, as the form routes write it."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from server.policy import Access
from server.services.audit import record_audit


def audit_form(
    session: Session, access: Access, action: str, project_id: int, xml_form_id: str,
    details: dict[str, Any] | None = None, request_id: str | None = None,
) -> None:
    """Put the caller's `action` on the form on the record (target project:…/form:…)."""
    target = f"project:{project_id}/form:{xml_form_id}"
    record_audit(session, access.principal.actor_id, action, target, details, request_id)
