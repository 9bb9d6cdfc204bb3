"""Out-of-range ids and dates in URLs answer 404, never 500, on SQLite and on PostgreSQL.

PostgreSQL refuses an integer above 2**31 - 1 and a NUL byte in text (a DataError);
Python's dates stop at year 9999, so the day after 9999-12-31 overflows. Every GET
route with a path part is tried with such values, anonymous and signed in as an admin.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.integration.ui_support import HTML, Person, make_person

HUGE = "99999999999999999999"
BAD_PARTS = (HUGE, "2147483648", "-1", "0", "abc", "%00", "a%0Ab", "9999-12-31.pdf")


@pytest.fixture
def admin(app, client) -> Person:
    make_person(app, "quan-tri", "admin")
    person = Person(client)
    assert person.login("quan-tri").status_code == 302
    return person


@pytest.mark.parametrize(
    "path",
    [
        "/scripts/03408/9999-12-31.pdf",
        "/scripts/03408/9999-12-31.txt",
        "/scripts/03408/9999-12-31.docx",
        "/scripts/03408/9999-12-31.wav",
        "/scripts/03408/0001-01-01.txt",
        "/scripts/03408/0000-01-01.pdf",
        "/scripts/03408/10000-01-01.txt",
        "/scripts/03408/2025-02-30.txt",
        "/scripts/03408/2025-13-01.docx",
        "/scripts/03408/-2025-01-01.txt",
        "/scripts/03408/abcd-ef-gh.txt",
        f"/scripts/{HUGE}/2025-06-14.txt",
        "/scripts/%00/2025-06-14.txt",
        f"/articles/{HUGE}-x",
        f"/articles/{HUGE}",
        "/articles/2147483648-x",
        "/articles/-1-x",
        "/articles/0-x",
        "/articles/abc",
        f"/media/{HUGE}",
        f"/media/{HUGE}/thumbnail",
        "/media/-1",
        "/media/%00",
        "/feeds/%00.rss",
        f"/feeds/{HUGE}.rss",
        "/calendar/%00.ics",
        "/calendar/a%0D%0Ab.ics",
        f"/calendar/{HUGE}.ics",
    ],
)
def test_out_of_range_public_urls_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404, (path, response.status_code, response.data[:300])


def test_operator_page_with_bad_codes_is_404_for_a_signed_in_admin(admin):
    for code in (HUGE, "%00", "-1", "abc", "0" * 300):
        response = admin.get(f"/communes/{code}")
        assert response.status_code == 404, (code, response.status_code)
    confirm = admin.post("/communes/03408/confirm", {"date": "9999-12-31", "publication_id": HUGE})
    assert confirm.status_code == 303  # back to the page with a message, nothing recorded
    page = admin.get("/communes/03408")
    assert page.status_code == 200
    assert "thiếu ngày hoặc số tin" in page.get_data(as_text=True)


def test_ui_calendar_with_out_of_range_query_shows_today(admin):
    for query in (
        "date=9999-12-31",
        "date=0001-01-01",
        "date=9999-12",
        f"campaign_id={HUGE}&channel_id={HUGE}",
        "campaign_id=-1&channel_id=%00",
    ):
        response = admin.get(f"/calendar?{query}")
        assert response.status_code == 200, (query, response.status_code)


def _get_rules(app) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and rule.arguments
    )


def test_every_get_route_with_a_path_part_never_answers_500(app, client, admin):
    rules = _get_rules(app)
    assert "/articles/<int:content_id>-<slug>" in rules and len(rules) > 10
    failures = []
    for rule in rules:
        for bad in BAD_PARTS:
            path = re.sub(r"<[^>]+>", bad, rule)
            for headers in (HTML, {"Accept": "application/json"}):
                status = client.get(path, headers=headers).status_code
                if status >= 500:
                    failures.append((path, status))
    assert failures == []


def test_legitimate_urls_still_answer(client):
    assert client.get("/scripts/03408/2025-06-14.txt").status_code == 200
    assert client.get("/scripts/03408/2200-12-31.txt").status_code == 200
    assert client.get("/calendar/khong-co.ics").status_code == 404
    assert client.get("/articles/1-x").status_code == 404
    assert client.get(quote("/feeds/không-có.rss")).status_code == 404


def test_api_refuses_nul_in_json_instead_of_failing_on_postgresql(client, make_user):
    _, admin = make_user("admin")
    answer = client.post(
        "/api/v1/campaigns",
        json={
            "slug": "nul",
            "name": "Tên",
            "starts_on": "2025-06-01",
            "ends_on": "2025-06-30",
            "description": "trước\x00sau",
        },
        headers=admin,
    )
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    assert "NUL" in answer.get_json()["errors"]["description"]
