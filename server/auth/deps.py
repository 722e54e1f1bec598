"""FastAPI dependencies: the current principal, and the policy gate every route passes first."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool

from server import errors
from server.auth import credentials
from server.auth.basic import Transport
from server.auth.principal import Principal
from server.db import begin_per_statement, unit_of_work
from server.errors import Problem
from server.http.deps import request_write_uow
from server.http.problems import RENDERER_KEY
from server.policy import PUBLIC, Access, authorize
from server.policy_routes import route_verb

_UNSET = object()
_PROJECT_PARAM = re.compile(r"/projects/\{(\w+)\}")


def optional_principal(request: Request) -> Principal | None:
    """The request's principal, None without credentials; bad credentials are a 401 (or 403)."""
    return _resolve_principal(request, None)


def require_principal(request: Request) -> Principal:
    """The request's principal; 401 when it carries no credentials."""
    return _required_principal(request, None)


def _resolve_principal(request: Request, session: Session | None) -> Principal | None:
    # `session`: a read transaction to look the credentials up in (the policy gate's own).
    cached = getattr(request.state, "principal", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    authorization = request.headers.get("authorization")
    # What the connection tells is read only for Basic credentials, not on every request.
    basic = credentials.basic_value(authorization) is not None
    try:
        principal = credentials.resolve(
            request.app.state.engine, request.app.state.secret_key,
            path=request.url.path, authorization=authorization,
            session=session, transport=_transport(request) if basic else None,
        )
    except Problem as problem:
        if problem.status == 401:
            _add_challenge(request, problem)
        raise
    request.state.principal = principal
    return principal


def _required_principal(request: Request, session: Session | None) -> Principal:
    principal = _resolve_principal(request, session)
    if principal is None:
        problem = Problem(errors.AUTH_REQUIRED)
        _add_challenge(request, problem)
        raise problem
    return principal


# ODK Collect answers a 401 with the credentials it was set up with only when the challenge
# names Basic with a realm: its parser (okhttp-digest) skips a challenge without `realm="…"`,
# and uses the first scheme it finds. Central sends no challenge at all (central-backend #851),
# so there Collect cannot sign in with a username and password.
BASIC_CHALLENGE = 'Basic realm="kenesh", charset="UTF-8"'
API_CHALLENGE = f'Bearer realm="kenesh", {BASIC_CHALLENGE}'


def _add_challenge(request: Request, problem: Problem) -> None:
    if credentials.key_from_path(request.url.path) is not None:
        # A key URL is its own credential: Central answers 403, not a prompt, for bad keys.
        return
    openrosa = getattr(request.scope.get("route"), RENDERER_KEY, None) is not None
    problem.headers.setdefault("WWW-Authenticate", BASIC_CHALLENGE if openrosa else API_CHALLENGE)


_FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-proto", "x-real-ip")


def _transport(request: Request) -> Transport:
    """Whether Basic credentials may be read: HTTPS, or loopback that no proxy relayed.

    Behind a reverse proxy uvicorn takes the scheme and the client's address from
    X-Forwarded-Proto and X-Forwarded-For when the proxy is trusted (FORWARDED_ALLOW_IPS,
    loopback by default): a TLS proxy makes the scheme https.
    """
    host = request.client.host if request.client else ""
    relayed = any(name in request.headers for name in _FORWARDING_HEADERS)
    secure = request.url.scheme == "https" or (_is_loopback(host) and not relayed)
    return Transport(host or "unknown", secure, getattr(request.state, "request_id", None))


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def policy_gate(request: Request) -> None:
    """Runs before every route: credentials first, then the route's verb from the policy table.

    Routes that concern one form, or that need more than the project-level decision, call
    `server.policy.authorize` again with the form row.
    """
    # The gate's reads are one or two indexed lookups: they run on the event loop, which spares
    # each request a worker-thread hop (a fifth of a small submission's time on two cores; on
    # PostgreSQL the hop costs more than the lookup's round trip). Basic credentials cost an
    # argon2 verification (a quarter second of CPU): never on the loop.
    basic = credentials.basic_value(request.headers.get("authorization")) is not None
    if not basic:
        _gate(request)
    else:
        await run_in_threadpool(_gate, request)


def _gate(request: Request) -> None:
    path = getattr(request.scope.get("route"), "path", None)
    if path is None:
        return
    verb = route_verb(request.method, path)
    if verb is None:
        if path.startswith("/v1"):  # fail closed: a route nobody wrote a policy entry for
            raise Problem(errors.FORBIDDEN, "This route has no entry in the policy table.")
        return
    if verb == PUBLIC:
        return
    with _gate_reads(request) as session:
        principal = _required_principal(request, session)
        project_id = _project_id(path, request.path_params, principal)
        xml_form_id = request.path_params.get("xmlFormId")
        sensitive = _form_sensitive(session, project_id, xml_form_id)
        request.state.access = authorize(
            session, principal, verb, project_id, xml_form_id=xml_form_id, sensitive=sensitive
        )


# A route class sets this to True when its own work begins outside a transaction too (the
# phones' submissions: server.services.submission_at_once): on PostgreSQL the gate's reads
# then run on the request's write unit of work, whose connection the route goes on with.
SHARES_GATE_READS = "gate_reads_in_write_uow"


@contextmanager
def _gate_reads(request: Request) -> Iterator[Session]:
    # Each lookup stands alone, so no shared snapshot: per statement on PostgreSQL. A unit of
    # work of its own opens no connection when the request carries no credentials.
    if getattr(request.scope.get("route"), SHARES_GATE_READS, False):
        uow = request_write_uow(request)
        if begin_per_statement(uow.session):
            yield uow.session
            return
    with unit_of_work(request.app.state.engine, write=False, per_statement=True) as own:
        yield own.session


def _project_id(path: str, params: dict[str, Any], principal: Principal) -> int | None:
    match = _PROJECT_PARAM.search(path)
    if match is None:
        # An app user's requests always concern its one project (e.g. the sync API).
        return principal.project_id
    raw = str(params.get(match.group(1), ""))
    if not raw.isdigit():
        raise Problem(errors.NOT_FOUND)
    return int(raw)


def _form_sensitive(session: Session, project_id: int | None, xml_form_id: str | None) -> bool:
    if project_id is None or xml_form_id is None:
        return False
    try:
        from server.models.forms import Form
    except ImportError:  # forms not installed yet: nothing is sensitive
        return False
    form = session.exec(select(Form).where(
        Form.project_id == project_id, Form.xml_form_id == xml_form_id,
        Form.deleted_at.is_(None),  # type: ignore[union-attr]
    )).first()
    return bool(form is not None and form.sensitive)


def granted_access(request: Request) -> Access:
    """What the policy gate decided for this request (routes with a project-level verb)."""
    access = getattr(request.state, "access", None)
    if access is None:
        raise Problem(errors.FORBIDDEN, "This route was not authorized by the policy gate.")
    return access  # type: ignore[no-any-return]


CurrentPrincipal = Annotated[Principal, Depends(require_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
GrantedAccess = Annotated[Access, Depends(granted_access)]
PolicyGate = Depends(policy_gate)
