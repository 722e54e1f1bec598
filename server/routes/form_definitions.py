"""Read-only routes shared by a form, each of its published versions and its draft (as ODK Central's
formResource): the JSON, the XForm, the original XLSForm and the media files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from server import errors
from server.auth.deps import GrantedAccess
from server.errors import Problem
from server.http.deps import ReadUoW, SettingsDep
from server.models import FormDef
from server.policy import Access
from server.routes.datasets import entity_list_attachment
from server.routes.form_access import blob_response, check_readable, xml_response
from server.routes.form_json import json_response, view_json, wants_extended
from server.services import form_media
from server.services import forms as form_service
from server.services.blobs import get_blob
from server.services.form_upload import ORIGINAL_TYPES
from server.services.forms import FormView

# Resolves the (form, definition) a route family serves, from the request's path parameters.
Resolver = Callable[[Session, dict[str, Any]], FormView]


def current_view(session: Session, params: dict[str, Any]) -> FormView:
    """The form through its published definition, or its draft when never published."""
    form = form_service.get_form(session, int(params["projectId"]), params["xmlFormId"])
    return FormView(form, form_service.shown_definition(session, form))


def version_view(session: Session, params: dict[str, Any]) -> FormView:
    """The form through one of its published versions."""
    form = form_service.get_form(session, int(params["projectId"]), params["xmlFormId"])
    return FormView(form, form_service.get_published_version(session, form, params["version"]))


def draft_view(session: Session, params: dict[str, Any]) -> FormView:
    """The form through its draft."""
    form = form_service.get_form(session, int(params["projectId"]), params["xmlFormId"])
    return FormView(form, form_service.get_draft(session, form))


def _readable(session: Session, access: Access, resolve: Resolver, request: Request) -> FormView:
    view = resolve(session, request.path_params)
    check_readable(access, view.form, view.definition)
    return view


def _definition_of(view: FormView) -> FormDef:
    if view.definition is None:
        raise Problem(errors.NOT_FOUND, "The form has no definition.")
    return view.definition


def add_definition_routes(router: APIRouter, base: str, resolve: Resolver) -> list[str]:
    """Register GET {base}.xml, the original's download ({base}.xlsx, .xls, .csv, .md),
    {base}, {base}/attachments[/{name}]; return the path templates (for the policy table)."""

    def get_xml(request: Request, uow: ReadUoW, access: GrantedAccess) -> Response:
        return xml_response(_definition_of(_readable(uow.session, access, resolve, request)))

    def original(extension: str) -> Callable[..., Response]:
        # ODK Central serves .xlsx and .xls; .csv and .md are Kenesh's, for the same purpose.
        content_type = ORIGINAL_TYPES[extension]

        def get_original(
            request: Request, uow: ReadUoW, access: GrantedAccess, settings: SettingsDep
        ) -> Response:
            view = _readable(uow.session, access, resolve, request)
            definition = _definition_of(view)
            blob_id = definition.xlsx_blob_id
            blob = get_blob(uow.session, blob_id) if blob_id else None
            if blob is None or definition.xlsx_content_type != content_type:
                raise Problem(errors.NOT_FOUND, f"No .{extension} file was uploaded for it.")
            name = f"{view.form.xml_form_id}.{extension}"
            return blob_response(request, settings, blob, name, content_type)

        return get_original

    def get_json(request: Request, uow: ReadUoW, access: GrantedAccess) -> Response:
        view = _readable(uow.session, access, resolve, request)
        extended = wants_extended(request.headers.get("x-extended-metadata"))
        return json_response(view_json(uow.session, access, view, extended=extended))

    def list_files(request: Request, uow: ReadUoW, access: GrantedAccess) -> Response:
        definition = _definition_of(_readable(uow.session, access, resolve, request))
        rows = form_media.list_attachments_with_blobs(uow.session, definition.id)
        return json_response([form_media.attachment_json(a, b) for a, b in rows])

    def get_file(
        name: str, request: Request, uow: ReadUoW, access: GrantedAccess, settings: SettingsDep
    ) -> Response:
        definition = _definition_of(_readable(uow.session, access, resolve, request))
        assert definition.id is not None
        served = entity_list_attachment(uow.session, access, definition, name, request)
        if served is not None:
            return served
        attachment, blob = form_media.get_attachment_file(uow.session, definition.id, name)
        content_type = form_media.served_content_type(attachment, blob)
        return blob_response(request, settings, blob, attachment.name, content_type)

    routes: list[tuple[str, Callable[..., Response]]] = [
        (f"{base}.xml", get_xml),
        *((f"{base}.{extension}", original(extension)) for extension in ORIGINAL_TYPES),
        (base, get_json),
        (f"{base}/attachments", list_files),
        (f"{base}/attachments/{{name}}", get_file),
    ]
    for path, endpoint in routes:
        router.add_api_route(path, endpoint, methods=["GET"], response_model=None)
    return [path for path, _ in routes]
