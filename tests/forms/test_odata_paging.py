"""Paging links and tokens byte for byte as ODK Central writes them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forms.odata import ODataError, next_link, page, parse_paging, parse_skiptoken, skiptoken

SERVICE = "http://localhost:8989/v1/projects/1/forms/withrepeat.svc"


def test_next_link_of_the_main_table_carries_the_last_instance_id() -> None:
    link = next_link(f"{SERVICE}/Submissions", [("$top", "1"), ("$skip", "1")],
                     remaining=1, token={"instanceId": "rtwo"})
    assert link == f"{SERVICE}/Submissions?%24top=1&%24skiptoken=01eyJpbnN0YW5jZUlkIjoicnR3byJ9"


def test_next_link_keeps_other_parameters_form_encoded_like_central() -> None:
    link = next_link(
        f"{SERVICE}/Submissions",
        [("$top", "1"), ("$filter", "not __system/reviewState eq 'rejected'")],
        remaining=2, token={"instanceId": "rthree"},
    )
    assert link == (
        f"{SERVICE}/Submissions?%24top=1&%24filter=not+__system%2FreviewState+eq+%27rejected%27"
        "&%24skiptoken=01eyJpbnN0YW5jZUlkIjoicnRocmVlIn0%3D"
    )


def test_next_link_of_a_repeat_table_carries_the_last_repeat_id() -> None:
    url = ("http://localhost:8989/v1/projects/1/forms/doubleRepeat.svc/"
           "Submissions(%27double%27)/children/child")
    link = next_link(url, [("$top", "1"), ("$skip", "1")], remaining=1,
                     token={"repeatId": "b6e93a81a53eed0566e65e472d4a4b9ae383ee6d"})
    assert link == (f"{url}?%24top=1&%24skiptoken=01eyJyZXBlYXRJZCI6ImI2ZTkzYTgxYTUzZWVkMDU2NmU2"
                    "NWU0NzJkNGE0YjlhZTM4M2VlNmQifQ%3D%3D")


def test_a_new_token_replaces_the_one_the_request_came_with() -> None:
    link = next_link(f"{SERVICE}/Submissions", [("$skiptoken", skiptoken({"instanceId": "a"})),
                                                ("$top", "2")],
                     remaining=5, token={"instanceId": "b"})
    assert link is not None
    assert link.count("skiptoken") == 1
    assert skiptoken({"instanceId": "b"}).replace("=", "%3D") in link


def test_there_is_no_next_link_when_nothing_remains() -> None:
    assert next_link(f"{SERVICE}/Submissions", [("$top", "3")], remaining=0,
                     token={"instanceId": "x"}) is None


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["instanceId", "repeatId", "uuid"]), st.text(), min_size=1))
def test_skiptokens_read_back_what_they_hold(data: dict[str, str]) -> None:
    assert parse_skiptoken(skiptoken(data)) == data


@pytest.mark.parametrize("token", ["", "02e30=", "01!!!", "01" + "WzFd", "01bm90IGpzb24="])
def test_tokens_kenesh_did_not_write_are_400_35(token: str) -> None:
    with pytest.raises(ODataError) as refused:
        parse_skiptoken(token)
    assert refused.value.code == "400.35"


def test_paging_reads_top_skip_and_count_as_central_does() -> None:
    paging = parse_paging({"$top": "250", "$skip": "10", "$count": "true"})
    assert (paging.top, paging.skip, paging.count, paging.skiptoken) == (250, 10, True, None)
    assert parse_paging({}).top is None
    assert parse_paging({"$top": "-5", "$skip": "abc"}).top == 0
    with_token = parse_paging({"$skip": "10", "$skiptoken": skiptoken({"instanceId": "a"})})
    assert (with_token.skip, with_token.skiptoken) == (0, {"instanceId": "a"})


def test_a_page_has_centrals_keys() -> None:
    body = page(SERVICE, "Submissions.children.child", [], count=3)
    assert body == {
        "value": [],
        "@odata.context": f"{SERVICE}/$metadata#Submissions.children.child",
        "@odata.count": 3,
    }
    assert "@odata.count" not in page(SERVICE, "Submissions", [])
