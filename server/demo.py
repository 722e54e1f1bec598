"""The demo data `make run` loads once: an admin and a project for the NAP 1325 monitoring."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from server.models import Project
from server.services import form_lifecycle
from server.services import forms as form_service
from server.services.form_upload import XLSX_TYPE, Upload, prepare_definition
from server.services.users import create_user, find_user_by_email
from server.settings import Settings, get_settings

DEMO_PROJECT = "NAP 1325 monitoring — Batken, Osh, Jalal-Abad"


EXAMPLE_FORMS = Path(__file__).resolve().parent.parent / "forms" / "examples"


def load_demo(
    session: Session, admin_email: str, admin_password: str, settings: Settings | None = None
) -> list[str]:
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
    report.extend(_publish_example_forms(session, project, settings or get_settings()))
    return report


def _publish_example_forms(session: Session, project: Project, settings: Settings) -> list[str]:
    """Publish each example workbook (forms/examples/*.xlsx) that the project does not have."""
    assert project.id is not None
    report = []
    for path in sorted(EXAMPLE_FORMS.glob("*.xlsx")):
        prepared = prepare_definition(settings, Upload(path.read_bytes(), XLSX_TYPE))
        if form_service.find_form(session, project.id, prepared.xml_form_id) is not None:
            report.append(f"form {prepared.xml_form_id} exists")
            continue
        form_lifecycle.create_form(
            session, project, prepared, actor_id=None, publish=True, ignore_warnings=True
        )
        report.append(f"published form {prepared.xml_form_id} from {path.name}")
    return report
