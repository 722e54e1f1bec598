"""Signing in and out: Central's session shape, one answer for every failure, brute-force limits."""

from __future__ import annotations

from datetime import timedelta

from server.db import unit_of_work
from server.models import LoginFailure
from server.models.base import utcnow
from server.services.ratelimit import MAX_FAILURES_PER_ADDRESS, WINDOW
from tests.factories import PASSWORD, bearer, login, make_user

EMAIL = "aizada@example.kg"


def _sign_in(client, email=EMAIL, password=PASSWORD):
    return client.post("/v1/sessions", json={"email": email, "password": password})


def test_signing_in_returns_centrals_session_shape_and_the_token_opens_users_current(
    client, engine
) -> None:
    actor_id = make_user(engine, EMAIL)
    response = _sign_in(client)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiresAt", "createdAt"}
    assert body["expiresAt"].endswith("Z") and body["createdAt"] < body["expiresAt"]
    me = client.get("/v1/users/current", headers=bearer(body["token"]))
    assert me.status_code == 200
    assert me.json() == {
        "id": actor_id, "type": "user", "displayName": EMAIL, "email": EMAIL,
        "createdAt": me.json()["createdAt"], "updatedAt": None, "deletedAt": None,
    }


def test_email_is_matched_without_regard_to_case_or_surrounding_spaces(client, engine) -> None:
    make_user(engine, EMAIL)
    assert _sign_in(client, email="  Aizada@Example.KG ").status_code == 200


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(client, engine) -> None:
    make_user(engine, EMAIL)
    wrong = _sign_in(client, password="not the password")
    unknown = _sign_in(client, email="nobody@example.kg")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "auth.failed"
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_the_eleventh_failure_within_fifteen_minutes_gets_429_with_retry_after(
    client, engine
) -> None:
    make_user(engine, EMAIL)
    for _ in range(10):
        assert _sign_in(client, password="guess").status_code == 401
    blocked = _sign_in(client)  # even the right password is refused while blocked
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "auth.too_many_attempts"
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60


def test_an_email_without_an_account_is_blocked_the_same_way(client, engine) -> None:
    for _ in range(10):
        assert _sign_in(client, email="ghost@example.kg").status_code == 401
    assert _sign_in(client, email="ghost@example.kg").status_code == 429


def test_failures_older_than_the_window_no_longer_count(client, engine) -> None:
    make_user(engine, EMAIL)
    long_ago = utcnow() - WINDOW - timedelta(seconds=1)
    with unit_of_work(engine) as uow:
        for _ in range(10):
            uow.session.add(
                LoginFailure(email=EMAIL, client_address="testclient", failed_at=long_ago)
            )
        uow.commit()
    assert _sign_in(client).status_code == 200


def test_one_persons_typos_do_not_lock_out_colleagues_behind_the_same_address(
    client, engine
) -> None:
    make_user(engine, EMAIL)
    for _ in range(10):
        _sign_in(client, email="typo@example.kg", password="oops")
    assert _sign_in(client).status_code == 200


def test_many_failures_from_one_address_block_that_address(client, engine) -> None:
    make_user(engine, EMAIL)
    now = utcnow()
    with unit_of_work(engine) as uow:
        for i in range(MAX_FAILURES_PER_ADDRESS):
            uow.session.add(LoginFailure(email=f"u{i}@example.kg", client_address="testclient",
                                         failed_at=now))
        uow.commit()
    response = _sign_in(client)
    assert response.status_code == 429
    assert "Retry-After" in response.headers


def test_signing_out_revokes_the_token_at_once(client, engine) -> None:
    make_user(engine, EMAIL)
    headers = login(client, EMAIL)
    assert client.delete("/v1/sessions/current", headers=headers).json() == {"success": True}
    response = client.get("/v1/users/current", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "auth.token_revoked"


def test_changing_the_password_revokes_every_session_of_the_user(client, engine) -> None:
    actor_id = make_user(engine, EMAIL)
    first, second = login(client, EMAIL), login(client, EMAIL)
    response = client.put(f"/v1/users/{actor_id}/password", headers=first,
                          json={"old": PASSWORD, "new": "a brand new passphrase"})
    assert response.status_code == 200
    for headers in (first, second):
        response = client.get("/v1/users/current", headers=headers)
        assert response.json()["code"] == "auth.token_revoked"
    assert _sign_in(client, password="a brand new passphrase").status_code == 200


def test_a_password_change_needs_the_old_password(client, engine) -> None:
    actor_id = make_user(engine, EMAIL)
    headers = login(client, EMAIL)
    response = client.put(f"/v1/users/{actor_id}/password", headers=headers,
                          json={"old": "wrong", "new": "a brand new passphrase"})
    assert response.status_code == 401
    assert client.get("/v1/users/current", headers=headers).status_code == 200


def test_sign_ins_and_failures_are_in_the_audit_log(client, engine) -> None:
    make_user(engine, "admin@example.kg", admin=True)
    _sign_in(client, email="admin@example.kg", password="wrong")
    headers = login(client, "admin@example.kg")
    actions = [a["action"] for a in client.get("/v1/audits", headers=headers).json()]
    assert actions[:2] == ["user.login", "user.login.failed"]
