from tests.sync_api.conftest import FORM, V, W, new_record


def test_a_new_submission_pushed_by_a_phone_is_applied_and_pulled(world) -> None:
    phone = world.phone("phone-1")
    record = new_record()
    answer = phone.push(phone.op(record, {V: "Ak-Sai", W: 12}))
    assert answer["results"][0]["status"] == "applied", answer
    changes, _ = phone.pull_all()
    assert [(c["record_id"], c["fields"]) for c in changes] == [(record, {V: "Ak-Sai", W: 12})]
    assert changes[0]["form_id"] == FORM
