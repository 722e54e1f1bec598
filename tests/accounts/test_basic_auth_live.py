"""HTTP Basic authentication over real HTTP (uvicorn on 127.0.0.1): ODK Collect's challenge and
response, the HTTPS rule behind a proxy, and the lockout under concurrent guesses."""

from __future__ import annotations

import re
import threading
import uuid
from collections import Counter
from collections.abc import Generator, Iterator
from typing import Any

import httpx
import pytest

from server.db import unit_of_work
from server.services.ratelimit import MAX_FAILURES_PER_EMAIL, failures_for
from tests.factories import PASSWORD, headers_for, make_project, make_user
from tests.live import serve_in_thread
from tests.odk.conftest import OPENROSA, instance_xml, publish_form

EMAIL = "collector@example.kg"
# How ODK Collect's authenticator (okhttp-digest's ChallengeParser) reads a challenge: a scheme,
# then a realm; a challenge without a realm is not seen at all.
OKHTTP_DIGEST_CHALLENGE = re.compile(r'(.*?) .*?realm="(.*?)"', re.IGNORECASE)


class CollectAuth(httpx.Auth):
    """Collect's way: ask without credentials, answer a Basic challenge once (HTTPS only there;
    here loopback, which Kenesh treats alike)."""

    def __init__(self, username: str, password: str) -> None:
        self.basic = httpx.BasicAuth(username, password)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield request
        if response.status_code != 401:
            return
        match = OKHTTP_DIGEST_CHALLENGE.search(response.headers.get("WWW-Authenticate", ""))
        assert match is not None, "Collect would fail: unsupported auth scheme"
        assert match.group(1).lower() == "basic"
        yield from self.basic.auth_flow(request)


@pytest.fixture
def live(app: Any, engine: Any, client: Any) -> Iterator[dict[str, Any]]:
    project_id = make_project(engine)
    manager = headers_for(app, make_user(engine, "manager@example.kg", role="manager",
                                         project=project_id))
    publish_form(client, manager, project_id, "open_day", "1")
    make_user(engine, EMAIL, role="collector", project=project_id)
    with serve_in_thread(app) as base_url:
        app.state.settings.public_url = base_url
        yield {"url": base_url, "base": f"{base_url}/v1/projects/{project_id}"}


def test_collect_style_challenge_and_response_lists_and_submits(live: dict[str, Any]) -> None:
    auth = CollectAuth(EMAIL, PASSWORD)
    with httpx.Client(headers=OPENROSA, auth=auth, timeout=60) as phone:
        listing = phone.get(f"{live['base']}/formList")
        assert listing.status_code == 200, listing.text
        assert "<formID>open_day</formID>" in listing.text
        xml = instance_xml(instance_id=f"uuid:{uuid.uuid4()}")
        files = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
        sent = phone.post(f"{live['base']}/submission", files=files)
    assert sent.status_code == 201, sent.text


def test_httpx_basic_auth_on_loopback(live: dict[str, Any]) -> None:
    with httpx.Client(auth=httpx.BasicAuth(EMAIL, PASSWORD), timeout=60) as script:
        me = script.get(f"{live['url']}/v1/users/current")
    assert me.status_code == 200 and me.json()["email"] == EMAIL


def test_behind_a_proxy_basic_needs_the_proxy_to_say_https(live: dict[str, Any]) -> None:
    # uvicorn trusts X-Forwarded-* from loopback (FORWARDED_ALLOW_IPS), as from a local proxy.
    auth = httpx.BasicAuth(EMAIL, PASSWORD)
    url = f"{live['url']}/v1/users/current"
    plain = httpx.get(url, auth=auth, headers={"X-Forwarded-For": "203.0.113.7"}, timeout=60)
    assert (plain.status_code, plain.json()["code"]) == (401, "auth.https_only")
    said_http = httpx.get(url, auth=auth, timeout=60, headers={
        "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "http"})
    assert said_http.status_code == 401
    tls = httpx.get(url, auth=auth, timeout=60, headers={
        "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    assert tls.status_code == 200 and tls.json()["email"] == EMAIL


def test_concurrent_wrong_passwords_let_at_most_ten_through(
    live: dict[str, Any], engine: Any
) -> None:
    attempts = 25
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(attempts)

    def attempt() -> None:
        with httpx.Client(auth=httpx.BasicAuth(EMAIL, "a wrong guess"), timeout=120) as http:
            start.wait()
            status = http.get(f"{live['url']}/v1/users/current").status_code
        with lock:
            statuses[status] += 1

    threads = [threading.Thread(target=attempt) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == {401: MAX_FAILURES_PER_EMAIL, 429: attempts - MAX_FAILURES_PER_EMAIL}
    with unit_of_work(engine, write=False) as uow:
        assert failures_for(uow.session, EMAIL) == MAX_FAILURES_PER_EMAIL
