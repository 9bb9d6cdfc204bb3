"""The Graph emulator itself: encodings, paging, faults and usage, as HTTP clients see them."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.fakes import GraphEmulator, appsecret_proof
from tests.unit.fanpage.conftest import PAGE_ID, PNG


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _url(graph: GraphEmulator, path: str) -> str:
    return f"{graph.base_url}/v25.0/{path}"


def test_feed_accepts_query_string(graph, token, http):
    answer = http.post(
        _url(graph, f"{PAGE_ID}/feed"), params={"message": "qua query", "access_token": token}
    )

    assert answer.status_code == 200
    assert graph.posts(PAGE_ID)[0]["message"] == "qua query"
    assert graph.requests_log[0].body_kind == "none"


def test_feed_accepts_a_form_and_a_bearer_token(graph, token, http):
    answer = http.post(
        _url(graph, f"{PAGE_ID}/feed"),
        data={"message": "qua form", "link": "https://hienmau.vn", "fields": "id,permalink_url"},
        headers={"Authorization": f"Bearer {token}"},
    )

    body = answer.json()
    assert set(body) == {"id", "permalink_url"}
    (post,) = graph.posts(PAGE_ID)
    assert (post["message"], post["link"]) == ("qua form", "https://hienmau.vn")
    assert graph.requests_log[0].body_kind == "form"


def test_feed_accepts_json_with_real_types(graph, token, http):
    answer = http.post(
        _url(graph, f"{PAGE_ID}/feed"),
        json={"message": "qua JSON", "published": False, "access_token": token},
    )

    assert answer.status_code == 200
    (post,) = graph.posts(PAGE_ID)
    assert post["is_published"] is False
    assert graph.posts(PAGE_ID, include_unpublished=False) == []
    assert graph.requests_log[0].body_kind == "json"


def test_photos_accept_multipart_and_keep_the_bytes(graph, token, http):
    answer = http.post(
        _url(graph, f"{PAGE_ID}/photos"),
        data={"message": "Áp phích", "access_token": token},
        files={"source": ("a.png", PNG, "image/png")},
    )

    body = answer.json()
    assert set(body) == {"id", "post_id"}
    (photo,) = graph.photos(PAGE_ID)
    assert (photo["data"], photo["caption"], photo["post_id"]) == (PNG, "Áp phích", body["post_id"])


def test_attached_media_as_indexed_fields(graph, token, http):
    ids = [
        http.post(
            _url(graph, f"{PAGE_ID}/photos"),
            data={"published": "false", "access_token": token},
            files={"source": ("a.png", PNG, "image/png")},
        ).json()["id"]
        for _ in range(2)
    ]
    form = {f"attached_media[{n}]": json.dumps({"media_fbid": i}) for n, i in enumerate(ids)}

    answer = http.post(_url(graph, f"{PAGE_ID}/feed"), data={**form, "access_token": token})

    assert answer.status_code == 200
    assert graph.posts(PAGE_ID)[0]["attached_media"] == ids
    reused = http.post(_url(graph, f"{PAGE_ID}/feed"), data={**form, "access_token": token}).json()
    assert reused["error"]["code"] == 100


def test_errors_have_graphs_shape_and_status(graph, token, http):
    no_token = http.post(_url(graph, f"{PAGE_ID}/feed"), data={"message": "x"})
    missing = http.delete(_url(graph, f"{PAGE_ID}_9"), params={"access_token": token})
    bad_field = http.get(
        _url(graph, PAGE_ID), params={"fields": "id,secret", "access_token": token}
    )

    assert (no_token.status_code, no_token.json()["error"]["code"]) == (400, 104)
    error = missing.json()["error"]
    assert (error["code"], error["error_subcode"], error["type"]) == (
        100,
        33,
        "GraphMethodException",
    )
    assert "fbtrace_id" in error
    assert "nonexisting field (secret)" in bad_field.json()["error"]["message"]


def test_injected_errors_respect_times_method_path_and_stickiness(graph, token, http):
    graph.inject_error(2, method="POST", path_contains="/photos", times=2)
    graph.inject_error(613, method="GET", sticky=True)
    feed = _url(graph, f"{PAGE_ID}/feed")

    assert http.post(feed, data={"message": "a", "access_token": token}).status_code == 200
    photo = {"access_token": token}, {"source": ("a.png", PNG, "image/png")}
    statuses = [
        http.post(_url(graph, f"{PAGE_ID}/photos"), data=photo[0], files=photo[1]).status_code
        for _ in range(3)
    ]
    gets = [
        http.get(_url(graph, PAGE_ID), params={"access_token": token}).json()["error"]["code"]
        for _ in range(3)
    ]

    assert statuses == [503, 503, 200]
    assert gets == [613, 613, 613]
    graph.clear_faults()
    assert http.get(_url(graph, PAGE_ID), params={"access_token": token}).status_code == 200


def test_published_posts_pages_with_cursors_until_the_end(graph, token, http):
    for n in range(5):
        graph.add_post(PAGE_ID, f"bài {n}")
    url = _url(graph, f"{PAGE_ID}/published_posts")
    params = {"limit": "2", "access_token": token, "fields": "id,message"}
    seen: list[str] = []

    pages = 0
    while url:
        body = http.get(url, params=params).json()
        params = {}
        seen += [item["message"] for item in body["data"]]
        url = body["paging"].get("next")
        pages += 1

    assert seen == [f"bài {n}" for n in reversed(range(5))]
    assert pages == 3


def test_published_posts_filters_by_since(graph, token, http):
    graph.add_post(PAGE_ID, "cũ", created_time=datetime.now(UTC) - timedelta(hours=1))
    graph.add_post(PAGE_ID, "mới")
    cut = int(time.time()) - 60

    body = http.get(
        _url(graph, f"{PAGE_ID}/published_posts"), params={"since": cut, "access_token": token}
    ).json()

    assert [item["message"] for item in body["data"]] == ["mới"]
    assert "next" not in body["paging"]


def test_debug_token_answers_200_for_an_invalid_token(graph, token, http):
    graph.invalidate_token(token, 463)

    answer = http.get(
        _url(graph, "debug_token"), params={"input_token": token, "access_token": token}
    )

    assert answer.status_code == 200
    data = answer.json()["data"]
    assert data["is_valid"] is False
    assert data["error"]["subcode"] == 463
    posting = http.post(
        _url(graph, f"{PAGE_ID}/feed"), data={"message": "x", "access_token": token}
    )
    assert posting.json()["error"]["code"] == 190


def test_appsecret_proof_is_verified(graph, http):
    token = graph.add_page("2002", app_secret="khoá")
    feed = _url(graph, "2002/feed")

    without = http.post(feed, data={"message": "x", "access_token": token}).json()
    wrong = http.post(
        feed, data={"message": "x", "access_token": token, "appsecret_proof": "00"}
    ).json()
    right = http.post(
        feed,
        data={"message": "x", "access_token": token},
        params={"appsecret_proof": appsecret_proof("khoá", token)},
    ).json()

    assert without["error"]["code"] == wrong["error"]["code"] == 100
    assert "id" in right


def test_usage_headers_and_limits(graph, token, http):
    graph.set_usage(app=50, page=97, buc=30, regain_minutes=4)

    answer = http.get(_url(graph, PAGE_ID), params={"access_token": token})
    graph.set_usage(app=100)
    limited = http.get(_url(graph, PAGE_ID), params={"access_token": token})

    assert json.loads(answer.headers["X-App-Usage"])["call_count"] == 50
    assert json.loads(answer.headers["X-Page-Usage"])["call_count"] == 97
    buc = json.loads(answer.headers["X-Business-Use-Case-Usage"])[PAGE_ID][0]
    assert (buc["call_count"], buc["estimated_time_to_regain_access"]) == (30, 4)
    assert limited.json()["error"]["code"] == 4


def test_drop_closes_the_connection_after_storing(graph, token, http):
    graph.drop_after_store(path_contains="/feed")

    with pytest.raises(requests.ConnectionError):
        http.post(_url(graph, f"{PAGE_ID}/feed"), data={"message": "x", "access_token": token})

    assert len(graph.posts(PAGE_ID)) == 1
    (entry,) = graph.requests_log
    assert entry.dropped and entry.status is None


def test_stop_does_not_wait_out_a_delay():
    graph = GraphEmulator().start()
    page_token = graph.add_page("4004")
    graph.delay(30)

    with requests.Session() as http, pytest.raises(requests.ReadTimeout):
        http.get(_url(graph, "4004"), params={"access_token": page_token}, timeout=(1, 0.2))
    began = time.monotonic()
    graph.stop()

    assert time.monotonic() - began < 5


def test_concurrent_posts_are_all_kept(graph, token):
    def post(n: int) -> None:
        with requests.Session() as http:
            http.post(
                _url(graph, f"{PAGE_ID}/feed"), data={"message": f"{n}", "access_token": token}
            )

    threads = [threading.Thread(target=post, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    posts = graph.posts(PAGE_ID)
    assert sorted(int(p["message"]) for p in posts) == list(range(12))
    assert len({p["id"] for p in posts}) == 12
