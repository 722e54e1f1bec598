"""The submission XML limits are the operator's settings, on OpenRosa and on the REST API alike."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import ValidationError

from server.settings import Settings
from tests.entities.forms import CREATE_MD, create_xml, publish
from tests.odk.conftest import OPENROSA, Setup, error_message, instance_xml

MAX_BYTES = 2000
MAX_DEPTH = 8


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.max_submission_xml_bytes = MAX_BYTES
    settings.max_submission_xml_depth = MAX_DEPTH
    return settings


def sized(size: int, instance_id: str | None = None) -> bytes:
    """A valid open_day submission of exactly `size` bytes (the village answer is the padding)."""
    bare = instance_xml(instance_id=instance_id or f"uuid:{uuid.uuid4()}", village="")
    return bare.replace(b"<village></village>", b"<village>" + b"v" * (size - len(bare)) + b"</village>")


def nested(depth: int, **kwargs: Any) -> bytes:
    """A valid open_day submission nesting `depth` levels, the root counted as the first."""
    chain = b"<g>" * (depth - 1) + b"</g>" * (depth - 1)
    return instance_xml(**kwargs).replace(b"<meta>", chain + b"<meta>")


def post_openrosa(client: Any, odk: Setup, xml: bytes) -> Any:
    return client.post(
        f"/v1/key/{odk.key}/projects/{odk.project_id}/submission",
        headers=OPENROSA,
        files={"xml_submission_file": ("submission.xml", xml, "text/xml")},
    )


def openrosa_error(response: Any) -> str:
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    return error_message(response)


def assert_refused(response: Any, detail: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "submission.unparseable"
    assert detail in response.json()["detail"]


@pytest.mark.parametrize(
    ("make", "limit", "detail"),
    [
        (sized, MAX_BYTES, f"the limit is {MAX_BYTES}"),
        (nested, MAX_DEPTH, f"deeper than {MAX_DEPTH} levels"),
    ],
    ids=["bytes", "depth"],
)
def test_openrosa_accepts_xml_at_a_limit_and_refuses_one_more(
    client: Any, odk: Setup, make: Any, limit: int, detail: str
) -> None:
    assert post_openrosa(client, odk, make(limit)).status_code == 201
    refused = post_openrosa(client, odk, make(limit + 1))
    assert refused.status_code == 400
    assert detail in openrosa_error(refused)


def test_rest_accepts_xml_within_the_limits(client: Any, odk: Setup) -> None:
    url = f"/v1/projects/{odk.project_id}/forms/open_day/submissions"
    for xml in (sized(MAX_BYTES), nested(MAX_DEPTH)):
        assert client.post(url, content=xml, headers=odk.manager).status_code == 200


def test_rest_refuses_xml_one_byte_or_one_level_over_the_limits(client: Any, odk: Setup) -> None:
    url = f"/v1/projects/{odk.project_id}/forms/open_day/submissions"
    too_large = client.post(url, content=sized(MAX_BYTES + 1), headers=odk.manager)
    assert_refused(too_large, f"the limit is {MAX_BYTES}")
    too_deep = client.post(url, content=nested(MAX_DEPTH + 1), headers=odk.manager)
    assert_refused(too_deep, f"deeper than {MAX_DEPTH} levels")
    assert client.get(url, headers=odk.manager).json() == []


def test_a_rest_edit_over_the_limits_is_refused_and_the_record_kept(
    client: Any, odk: Setup
) -> None:
    url = f"/v1/projects/{odk.project_id}/forms/open_day/submissions"
    first = f"uuid:{uuid.uuid4()}"
    original = instance_xml(instance_id=first)
    assert client.post(url, content=original, headers=odk.manager).status_code == 200
    too_deep = nested(MAX_DEPTH + 1, deprecated_id=first)
    assert_refused(client.put(f"{url}/{first}", content=too_deep, headers=odk.manager),
                   f"deeper than {MAX_DEPTH} levels")
    edit = sized(MAX_BYTES + 1).replace(b"</instanceID>",
                                        f"</instanceID><deprecatedID>{first}</deprecatedID>".encode())
    assert_refused(client.put(f"{url}/{first}", content=edit, headers=odk.manager),
                   f"the limit is {MAX_BYTES}")
    assert client.get(f"{url}/{first}.xml", headers=odk.manager).content == original


def test_an_entity_submission_deeper_than_forms_default_is_processed_under_a_raised_limit(
    client: Any, odk: Setup, settings: Settings
) -> None:
    # Its stored XML is read again for the entity: that reading must not apply a limit of its own.
    settings.max_submission_xml_depth = 100
    publish(client, odk.manager, odk.project_id, CREATE_MD)
    entity = str(uuid.uuid4())
    xml = create_xml(entity, "Well repair")
    deep = xml.replace(b"<meta>", b"<g>" * 80 + b"</g>" * 80 + b"<meta>")
    response = client.post(f"/v1/projects/{odk.project_id}/submission", headers={
        **odk.manager, **OPENROSA}, files={"xml_submission_file": ("submission.xml", deep)})
    assert response.status_code == 201, response.text
    found = client.get(f"/v1/projects/{odk.project_id}/datasets/acts/entities/{entity}",
                       headers=odk.manager)
    assert found.status_code == 200, found.text
    assert found.json()["currentVersion"]["label"] == "Well repair"


def test_the_limits_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KENESH_MAX_SUBMISSION_XML_BYTES", raising=False)
    monkeypatch.delenv("KENESH_MAX_SUBMISSION_XML_DEPTH", raising=False)
    defaults = Settings()
    assert (defaults.max_submission_xml_bytes, defaults.max_submission_xml_depth) == (
        10 * 1024 * 1024, 64)
    monkeypatch.setenv("KENESH_MAX_SUBMISSION_XML_BYTES", "5000")
    monkeypatch.setenv("KENESH_MAX_SUBMISSION_XML_DEPTH", "12")
    configured = Settings()
    assert (configured.max_submission_xml_bytes, configured.max_submission_xml_depth) == (5000, 12)


@pytest.mark.parametrize("name", ["max_submission_xml_bytes", "max_submission_xml_depth"])
@pytest.mark.parametrize("value", ["0", "-5", "ten"])
def test_a_limit_that_is_not_a_positive_integer_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(f"KENESH_{name.upper()}", value)
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert [error["loc"] for error in refused.value.errors()] == [(name,)]
