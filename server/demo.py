"""The demo data `make run` loads once: an admin and a project for the NAP 1325 monitoring."""

from __future__ import annotations

from sqlmodel import Session, select

from server.models import Project
from server.services.users import create_user, find_user_by_email

DEMO_PROJECT = "NAP 1325 monitoring — Batken, Osh, Jalal-Abad"


def load_demo(session: Session, admin_email: str, admin_password: str) -> list[str]:
    """Create what is missing of the demo; return one line per thing created or found."""
    report: list[str] = []
    if find_user_by_email(session, admin_email):
        report.append(f"admin {admin_email} exists")
    else:
        create_user(session, admin_email, admin_password, display_name="Demo admin", is_admin=True)
        report.append(f"created admin {admin_email}")
    project = session.exec(select(Project).where(Project.name == DEMO_PROJECT)).first()
    if project is None:
        project = Project(name=DEMO_PROJECT, description="Demo project with the example forms.")
        session.add(project)
        session.flush()
        report.append(f"created project {project.id}: {DEMO_PROJECT}")
    else:
        report.append(f"project {project.id} exists")
    return report
