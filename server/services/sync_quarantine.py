"""Ops the push set aside (quarantined) because they could not be applied, for managers to see."""

from __future__ import annotations

from sqlmodel import Session, col, select

from server.models import SyncQuarantine


def list_quarantined(session: Session, project_id: int) -> list[SyncQuarantine]:
    """The project's quarantined ops, oldest first."""
    return list(session.exec(
        select(SyncQuarantine).where(SyncQuarantine.project_id == project_id)
        .order_by(col(SyncQuarantine.id))
    ))
