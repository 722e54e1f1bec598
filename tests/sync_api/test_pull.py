"""GET …/sync/pull: paging in commit order, scope, form announcements and the 410 horizon."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from server.models.base import utcnow
from server.services.trash import purge_trash
from tests.factories import bearer, make_app_user
from tests.sync_api.conftest import FORM, V, new_record, publish


def test_pages_cut_through_one_push_and_together_hold_every_record_once(world) -> None:
    phone = world.phone("phone-1")
    records = [new_record() for _ in range(120)]
    phone.push(*[phone.op(r, {V: str(i)}) for i, r in enumerate(records)])
    changes, cursor = phone.pull_all()  # pages of 50 inside one transaction's stamp
    assert sorted(c["record_id"] for c in changes) == sorted(records)
    more, _ = phone.pull_all(cursor)
    assert more == []


def test_a_record_changed_again_comes_again_with_its_new_state(world) -> None:
    phone = world.phone("phone-1")
    record = new_record()
    phone.push(phone.op(record, {V: "first"}))
    _, cursor = phone.pull_all()
    phone.push(phone.op(record, {V: "second"}, base=1))
    changes, _ = phone.pull_all(cursor)
    assert [(c["version"], c["fields"][V]) for c in changes] == [(2, "second")]


def test_the_first_pull_announces_published_forms(world) -> None:
    page = world.client.get(f"/v1/projects/{world.project}/sync/pull",
                            headers=bearer(world.key)).json()
    assert [(f["form_id"], f["version"]) for f in page["forms"]] == [(FORM, "1")]
    assert page["forms"][0]["hash"].startswith("md5:")


def test_a_phone_pulls_only_records_of_forms_assigned_to_it(world) -> None:
    publish(world.client, world.manager, world.project, form_id="other_form")
    manager = world.manager_phone("laptop")
    manager.push(manager.op(new_record(), {V: "A"}),
                 manager.op(new_record(), {"/data/village": "B"}, form_id="other_form"))
    changes, _ = world.phone("phone-1").pull_all()
    assert [c["form_id"] for c in changes] == [FORM]
    everything, _ = manager.pull_all()
    assert sorted(c["form_id"] for c in everything) == [FORM, "other_form"]


def test_with_an_own_scope_a_phone_pulls_only_what_it_submitted(world) -> None:
    response = world.client.put(f"/v1/projects/{world.project}/scope",
                                json={"mode": "own", "field": None}, headers=world.manager)
    assert response.status_code == 200, response.text
    _, other_key = make_app_user(world.engine, world.project, "Phone 2", forms=(FORM,))
    mine, theirs = world.phone("phone-1"), world.phone("phone-2", bearer(other_key))
    record = new_record()
    mine.push(mine.op(record, {V: "mine"}))
    theirs.push(theirs.op(new_record(), {V: "theirs"}))
    assert [c["record_id"] for c in mine.pull_all()[0]] == [record]


def test_a_cursor_older_than_purged_deletes_is_gone_and_a_fresh_pull_works(world) -> None:
    phone = world.phone("phone-1")
    doomed, kept = new_record(), new_record()
    phone.push(phone.op(doomed, {V: "x"}), phone.op(kept, {V: "y"}))
    _, old_cursor = phone.pull_all()
    phone.push(phone.op(doomed, {}, base=1, deleted=True))
    _, cursor = phone.pull_all(old_cursor)
    with Session(world.engine) as session:
        assert purge_trash(session, utcnow() + timedelta(seconds=1)).submissions == 1
        session.commit()
    url = f"/v1/projects/{world.project}/sync/pull"
    gone = world.client.get(url, params={"cursor": old_cursor}, headers=phone.headers)
    assert gone.status_code == 410 and gone.json()["code"] == "sync.cursor_expired"
    recent = world.client.get(url, params={"cursor": cursor}, headers=phone.headers)
    assert recent.status_code == 200
    fresh, _ = phone.pull_all()
    assert [c["record_id"] for c in fresh] == [kept]


def test_a_cursor_that_is_not_one_is_a_400(world) -> None:
    response = world.client.get(f"/v1/projects/{world.project}/sync/pull",
                                params={"cursor": "bm9wZQ"}, headers=bearer(world.key))
    assert response.status_code == 400 and response.json()["code"] == "sync.cursor_invalid"


def test_with_an_own_scope_a_phone_cannot_push_edits_to_another_phones_record(world) -> None:
    response = world.client.put(f"/v1/projects/{world.project}/scope",
                                json={"mode": "own", "field": None}, headers=world.manager)
    assert response.status_code == 200, response.text
    _, other_key = make_app_user(world.engine, world.project, "Phone 2", forms=(FORM,))
    mine, theirs = world.phone("phone-1"), world.phone("phone-2", bearer(other_key))
    my_record, their_record = new_record(), new_record()
    mine.push(mine.op(my_record, {V: "mine"}))
    theirs.push(theirs.op(their_record, {V: "theirs"}))
    answer = mine.push(mine.op(their_record, {V: "overwritten"}, base=1),
                       mine.op(my_record, {V: "mine, edited"}, base=1))
    assert [r["status"] for r in answer["results"]] == ["rejected", "applied"]
    assert answer["results"][0]["error"]["code"] == "not_found"
    theirs_now = {c["record_id"]: c for c in theirs.pull_all()[0]}
    assert theirs_now[their_record]["fields"][V] == "theirs"
