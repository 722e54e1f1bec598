"""The sign-in limits hold under concurrent failures, as several server workers would send them."""

from __future__ import annotations

import threading
from collections import Counter

import httpx

from server.db import unit_of_work
from server.services.ratelimit import MAX_FAILURES_PER_EMAIL, failures_for
from tests.factories import make_user
from tests.live import serve_in_thread

EMAIL = "target@example.kg"
ATTEMPTS = 25


def _concurrent_wrong_sign_ins(base_url: str, emails: list[str]) -> Counter[int]:
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(len(emails))

    def attempt(email: str) -> None:
        with httpx.Client(base_url=base_url, timeout=120) as http:
            start.wait()
            status = http.post(
                "/v1/sessions", json={"email": email, "password": "a wrong guess"}
            ).status_code
        with lock:
            statuses[status] += 1

    threads = [threading.Thread(target=attempt, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_concurrent_wrong_passwords_for_one_email_let_at_most_ten_through(app, engine) -> None:
    make_user(engine, EMAIL)
    with serve_in_thread(app) as base_url:
        statuses = _concurrent_wrong_sign_ins(base_url, [EMAIL] * ATTEMPTS)
    assert statuses == {401: MAX_FAILURES_PER_EMAIL, 429: ATTEMPTS - MAX_FAILURES_PER_EMAIL}
    with unit_of_work(engine, write=False) as uow:
        assert failures_for(uow.session, EMAIL) == MAX_FAILURES_PER_EMAIL


def test_concurrent_failures_from_one_address_are_all_counted(app, engine, monkeypatch) -> None:
    from server.services import ratelimit

    # A lower address limit, so that a handful of concurrent failures can cross it.
    monkeypatch.setattr(ratelimit, "MAX_FAILURES_PER_ADDRESS", 5)
    emails = [f"user{i}@example.kg" for i in range(12)]
    with serve_in_thread(app) as base_url:
        statuses = _concurrent_wrong_sign_ins(base_url, emails)
    assert statuses == {401: 5, 429: 7}
