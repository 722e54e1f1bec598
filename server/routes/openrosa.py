"""OpenRosa for ODK Collect and Enketo: formList, manifest, form and media download, submission.

Every route exists twice: under /v1/projects/{projectId}/… (web users: a Bearer session, or Basic
email and password) and under /v1/key/{token}/projects/{projectId}/… (app users, the URL ODK
Collect is given).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from server import errors
from server.errors import Problem
from server.http.backlog import BacklogCheck
from server.http.deps import ReadUoW, WriteUoW
from server.http.direct_route import DirectRoute
from server.http.multipart_files import MalformedMultipart, read_multipart_files
from server.openrosa import (
    openrosa_context,
    openrosa_message,
    openrosa_response,
    render_openrosa_problem,
)
from server.policy import authorize, can, project_role_of
from server.policy_routes import register
from server.services.entity_csv import linked_dataset, manifest_entry
from server.services.form_media import list_attachments_with_blobs
from server.services.forms import get_form, get_project, list_fillable_forms
from server.services.submissions import IncomingFile, Sender, XmlLimits, receive_openrosa

MISSING_SUBMISSION_FILE = errors.register(
    "openrosa.missing_submission_file", 400, "The multipart body has no xml_submission_file part."
)
MALFORMED_MULTIPART = errors.register(
    "openrosa.malformed_multipart", 400, "The request body is not valid multipart/form-data."
)

FORMLIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
PREFIXES = ("/v1/projects/{projectId}", "/v1/key/{token}/projects/{projectId}")


class OpenRosaRoute(APIRoute):
    """A route whose errors, authentication errors included, are OpenRosa XML."""

    problem_renderer = staticmethod(render_openrosa_problem)


class DirectOpenRosaRoute(OpenRosaRoute, DirectRoute):
    """The phones' submission route: served without FastAPI's per-request dependency solving,
    and the policy gate reads through its unit of work (one connection for the request)."""

    gate_reads_in_write_uow = True


router = APIRouter(route_class=OpenRosaRoute, tags=["openrosa"])
OpenRosaHeaders = Depends(openrosa_context)


def _base(request: Request) -> str:
    """The URL prefix this request came through (with the key for app users)."""
    project_id = request.path_params["projectId"]
    token = request.path_params.get("token")
    prefix = f"/v1/key/{token}/projects/{project_id}" if token else f"/v1/projects/{project_id}"
    return request.app.state.settings.public_url + prefix


def form_list(
    request: Request, projectId: int, uow: ReadUoW, formID: str | None = None
) -> Response:
    """The open, published forms this actor may fill."""
    session = uow.session
    get_project(session, projectId)
    principal = request.state.principal
    role = project_role_of(session, principal, projectId)
    from server.policy import form_assigned

    def may_fill(form: Any) -> bool:
        assigned = form_assigned(session, principal.actor_id, projectId, form.xml_form_id)
        return can(
            principal,
            "form.fill",
            project_role=role,
            form_assigned=assigned,
            sensitive=form.sensitive,
        )

    base = _base(request)
    items = []
    for view in list_fillable_forms(session, projectId, may_fill):
        form, definition = view.form, view.definition
        if formID is not None and form.xml_form_id != formID:
            continue
        assert definition is not None
        entry = (
            f"<formID>{escape(form.xml_form_id)}</formID>"
            f"<name>{escape(definition.name or form.xml_form_id)}</name>"
            f"<version>{escape(definition.version)}</version>"
            f"<hash>md5:{definition.hash}</hash>"
            f"<downloadUrl>{escape(base)}/forms/{escape(form.xml_form_id)}.xml</downloadUrl>"
        )
        if list_attachments_with_blobs(session, definition.id):
            entry += f"<manifestUrl>{escape(base)}/forms/{escape(form.xml_form_id)}/manifest</manifestUrl>"
        items.append(f"<xform>{entry}</xform>")
    return openrosa_response(request, f'<xforms xmlns="{FORMLIST_NS}">{"".join(items)}</xforms>')


def manifest(request: Request, projectId: int, xmlFormId: str, uow: ReadUoW) -> Response:
    """The media files of the published version, with their md5 hashes."""
    session = uow.session
    form = get_form(session, projectId, xmlFormId)
    access = authorize(session, request.state.principal, "form.fill", projectId, form=form)
    if form.current_def_id is None:
        raise Problem(errors.NOT_FOUND)
    base = _base(request)
    files = []
    for attachment, blob in list_attachments_with_blobs(session, form.current_def_id):
        if blob is None:
            # An empty slot named like an entity list is that list, as the caller may see it.
            dataset = linked_dataset(session, projectId, attachment.name, uploaded=False)
            if dataset is not None:
                files.append(
                    manifest_entry(
                        session,
                        access,
                        dataset,
                        f"{base}/forms/{xmlFormId}/attachments/{attachment.name}",
                        f"{base}/datasets/{dataset.name}/integrity",
                    )
                )
            continue
        files.append(
            f"<mediaFile><filename>{escape(attachment.name)}</filename><hash>md5:{blob.md5}</hash>"
            f"<downloadUrl>{escape(base)}/forms/{escape(xmlFormId)}/attachments/{escape(attachment.name)}"
            "</downloadUrl></mediaFile>"
        )
    return openrosa_response(
        request, f'<manifest xmlns="{MANIFEST_NS}">{"".join(files)}</manifest>'
    )


def submission_probe(request: Request, projectId: int, uow: ReadUoW) -> Response:
    """HEAD/GET /submission: 204, as the OpenRosa spec asks of a server ready for submissions."""
    get_project(uow.session, projectId)
    response = openrosa_response(request, "", 204)
    response.body = b""
    del response.headers["content-length"]
    return response


async def submission(
    request: Request, projectId: int, uow: WriteUoW, deviceID: str | None = None
) -> Response:
    """POST /submission: multipart with xml_submission_file and one part per attachment."""
    xml, files = await _read_multipart(request)
    sender = Sender(
        request.state.principal,
        deviceID,
        request.headers.get("user-agent"),
        access=getattr(request.state, "access", None),
    )
    limits = XmlLimits.of(request.app.state.settings)
    receive_openrosa(uow.session, projectId, xml, files, sender, limits)
    uow.commit()
    body = openrosa_message("full submission upload was successful!")
    return openrosa_response(request, body, 201)


async def _read_multipart(request: Request) -> tuple[bytes, dict[str, IncomingFile]]:
    data_dir = request.app.state.settings.data_dir
    try:
        xml, parts = await read_multipart_files(request, data_dir, keep="xml_submission_file")
    except MalformedMultipart as exc:
        raise Problem(MALFORMED_MULTIPART, str(exc)) from exc
    if xml is None:
        raise Problem(MISSING_SUBMISSION_FILE)
    # A name sent twice: the last file wins, as it did in the form Starlette read.
    return xml, {part.name: IncomingFile(part.name, part.stored, part.content_type) for part in parts}


def _add(
    method: str, suffix: str, endpoint: Callable[..., Any], verb: str, openrosa: bool = True,
    lists: bool = False, direct: bool = False,
) -> None:
    # `lists`: the answer shows entity-list hashes, so held offline updates past their
    # timeout are applied first (Collect downloads a list only when its hash changed).
    deps = ([OpenRosaHeaders] if openrosa else []) + ([BacklogCheck] if lists else [])
    for prefix in PREFIXES:
        router.add_api_route(
            prefix + suffix, endpoint, methods=[method], dependencies=deps,
            route_class_override=DirectOpenRosaRoute if direct else None,
        )
        register({(method, prefix + suffix): verb})


_add("GET", "/formList", form_list, "form.list")
_add("GET", "/forms/{xmlFormId}/manifest", manifest, "form.list", lists=True)
_add("HEAD", "/submission", submission_probe, "form.list")
_add("GET", "/submission", submission_probe, "form.list")
_add("POST", "/submission", submission, "form.list", direct=True)
