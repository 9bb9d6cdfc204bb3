"""The results report per unit, from outside: a commune's people see their own channels'
figures only, another unit's organisation or campaign answers 404, the department reads any
unit's figures, and guidance coverage per unit is the same in the JSON, DOCX and XLSX."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
from docx import Document
from openpyxl import load_workbook

from content_library.models import Campaign
from publisher.auth.services import create_token, create_user
from publisher.delivery.publications import schedule
from publisher.organisations.guidance import create_guidance, record_evidence
from publisher.organisations.service import by_slug, department, seed_organisations
from tests.factories import approved_content
from tests.integration.reports_support import (
    DOAN_KET,
    EXPECTED_SUMMARY,
    QUERY,
    TAN_PHONG,
    _channel,
    _pub,
    at,
    build_month,
)
from tests.integration.ui_support import PASSWORD, Person, signed_in

UNIT_A, UNIT_B = f"xa-{TAN_PHONG}", f"xa-{DOAN_KET}"
URL = "/api/v1/reports/results"


def _token(session, username: str, slug: str | None, password: str | None = None) -> dict:
    user = create_user(session, username, "editor", organisation=slug, password=password)
    _t, raw = create_token(session, "t", user)
    return {"Authorization": f"Bearer {raw}"}, user


@pytest.fixture
def world(app, db):
    """The department's month (reports_support), and two communes with a channel each, their
    own publications, and guidance the department sent them."""
    ids = build_month(db)
    seed_organisations(db)
    a, b = by_slug(db, UNIT_A), by_slug(db, UNIT_B)
    ids |= {"a": a.id, "b": b.id, "dept": department(db).id}
    channel_a = _channel(db, "rss", "tin-xa-a", "Tin phường Tân Phong", {"title": "Tân Phong"})
    channel_b = _channel(db, "rss", "tin-xa-b", "Tin phường Đoàn Kết", {"title": "Đoàn Kết"})
    channel_a.organisation_id, channel_b.organisation_id = a.id, b.id
    ids["a_news"] = _pub(db, channel_a, "Tân Phong vận động hiến máu", when=at(12, 10)).id
    ids["b_news"] = _pub(db, channel_b, "Đoàn Kết vận động hiến máu", when=at(13, 10)).id
    ids["b_failed"] = _pub(
        db, channel_b, "Tin lỗi của Đoàn Kết", when=at(21, 9), status="failed", last_error="Lỗi"
    ).id
    b_campaign = Campaign(
        slug="cd-doan-ket",
        name="Chiến dịch Đoàn Kết",
        starts_on=date(2025, 11, 1),
        ends_on=date(2025, 11, 30),
        organisation_id=b.id,
    )
    db.add(b_campaign)
    db.flush()
    ids["b_campaign"] = b_campaign.id

    guided = approved_content(db, title="Chủ nhật Đỏ: mời bà con hiến máu")
    first = create_guidance(
        db,
        None,
        title="Đăng tin Chủ nhật Đỏ",
        body="Đăng trên kênh của đơn vị.",
        due_on=date(2025, 11, 20),
        content_ids=[guided.id],
        organisation_ids=[a.id, b.id],
        campaign_id=ids["campaign"],
    )
    second = create_guidance(
        db,
        None,
        title="Thông báo trên bảng tin xã",
        body="Dán thông báo tại nhà văn hóa.",
        due_on=date(2025, 11, 25),
        content_ids=[guided.id],
        organisation_ids=[b.id],
    )
    create_guidance(
        db,
        None,
        title="Hướng dẫn tháng 12",
        body="Ngoài kỳ báo cáo.",
        due_on=date(2025, 12, 5),
        content_ids=[guided.id],
        organisation_ids=[a.id, b.id],
    )
    ids |= {"first": first.id, "second": second.id}
    # A adopts the first guidance on its own channel; B records evidence for the second.
    adoption = schedule(db, content_id=guided.id, channel_id=channel_a.id, scheduled_at=at(18, 8))
    adoption.status, adoption.published_at, adoption.external_id = "published", at(18, 8), "x"
    ids["a_adoption"] = adoption.id
    headers = {}
    headers["a"], _ = _token(db, "bientap-tan-phong", UNIT_A, PASSWORD)
    headers["b"], b_user = _token(db, "bientap-doan-ket", UNIT_B)
    headers["dept"], _ = _token(db, "bientap-so", None)
    record_evidence(db, b_user, second, note="Đã dán thông báo", on_date=date(2025, 11, 22))
    db.commit()
    ids["headers"] = headers
    return ids


def _get(client, headers, **extra):
    return client.get(URL, query_string=QUERY | extra, headers=headers)


def _json(client, headers, **extra):
    response = _get(client, headers, **extra)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _published(report) -> set[int]:
    return {item["publication_id"] for item in report["publications"]["items"]}


def _summary(report) -> dict[str, int]:
    return {row["key"]: row["value"] for row in report["summary"]}


def _figures(report) -> dict:
    return {k: v for k, v in report.items() if k != "generated_at"}


def test_a_communes_editor_sees_only_its_own_channels(app, client, world):
    report = _json(client, world["headers"]["a"])
    assert report["organisation"]["id"] == world["a"]
    assert report["organisation"]["slug"] == UNIT_A
    assert _published(report) == {world["a_news"], world["a_adoption"]}
    summary = _summary(report)
    assert (summary["published"], summary["channels"], summary["feed_articles"]) == (2, 1, 2)
    assert (summary["broadcasts_scheduled"], summary["failed"], summary["expired"]) == (0, 0, 0)
    assert report["drives"]["items"] == [] and report["engagement"]["items"] == []
    # Its own organisation named explicitly is the same report.
    again = _json(client, world["headers"]["a"], organisation_id=world["a"])
    assert _figures(again) == _figures(report)
    b_report = _json(client, world["headers"]["b"])
    assert _published(b_report) == {world["b_news"]}
    assert [i["publication_id"] for i in b_report["failures"]["items"]] == [world["b_failed"]]


def test_another_units_organisation_or_campaign_answers_404(app, client, world):
    a = world["headers"]["a"]
    for extra in (
        {"organisation_id": world["b"]},
        {"organisation_id": world["dept"]},
        {"organisation_id": 99999},
        {"campaign_id": world["b_campaign"]},
        {"campaign_id": 99999},
    ):
        response = _get(client, a, **extra)
        assert response.status_code == 404, (extra, response.get_data(as_text=True))
        assert response.mimetype == "application/problem+json"
    # The department's campaign is every unit's to read: narrowed to A's rows.
    report = _json(client, a, campaign_id=world["campaign"])
    assert report["campaign"]["id"] == world["campaign"]
    assert _published(report) == set()  # A carried nothing of that campaign's own content
    # The department reads B's campaign.
    assert (
        _get(client, world["headers"]["dept"], campaign_id=world["b_campaign"]).status_code == 200
    )


def test_the_page_and_downloads_refuse_another_unit(app, world):
    person = Person(app.test_client())
    assert person.login("bientap-tan-phong").status_code == 302
    for path in ("/reports/results", "/reports/results.docx", "/reports/results.xlsx"):
        refused = person.get(path, query_string=QUERY | {"organisation_id": world["b"]})
        assert refused.status_code == 404, path
    page = person.get("/reports/results", query_string=QUERY)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-key="published">2<' in html
    assert 'data-key="channels">1<' in html
    # The campaigns offered are those the unit may ask for: not another unit's.
    assert "Chủ nhật Đỏ 2025" in html and "Chiến dịch Đoàn Kết" not in html
    workbook = load_workbook(
        io.BytesIO(person.get("/reports/results.xlsx", query_string=QUERY).data)
    )
    listed = [
        row[0] for row in workbook["Danh sách tin đã đăng"].iter_rows(min_row=2, values_only=True)
    ]
    assert sorted(listed) == sorted([world["a_news"], world["a_adoption"]])


def test_the_department_reads_any_units_figures(app, client, world):
    dept = world["headers"]["dept"]
    everything = _json(client, dept)
    assert everything["organisation"] is None
    assert _summary(everything)["published"] == EXPECTED_SUMMARY["published"] + 3
    unit_a = _json(client, dept, organisation_id=world["a"])
    assert unit_a["organisation"]["id"] == world["a"]
    assert _figures(unit_a) == _figures(_json(client, world["headers"]["a"]))
    unit_b = _json(client, dept, organisation_id=world["b"])
    assert _published(unit_b) == {world["b_news"]}
    assert _summary(unit_b)["failed"] == 1
    # The department's own figures: its channels, and those without an organisation.
    own = _json(client, dept, organisation_id=world["dept"])
    assert own["organisation"]["kind"] == "department"
    assert _summary(own) == EXPECTED_SUMMARY
    assert not _published(own) & {world["a_news"], world["b_news"], world["a_adoption"]}


def _rows(report) -> list[tuple]:
    return [
        (g["guidance_id"], g["organisation_id"], g["status"], g["publications"], g["evidence"])
        for g in report["guidance"]["items"]
    ]


def test_guidance_coverage_per_unit(app, client, world):
    first, second, a, b = world["first"], world["second"], world["a"], world["b"]
    report = _json(client, world["headers"]["dept"])
    guidance = report["guidance"]
    # Due in the period only (December's is left out); A adopted, B did not in time but
    # recorded evidence for the second.
    assert _rows(report) == sorted(  # by guidance, then unit
        [(first, a, "done", 1, 0), (first, b, "overdue", 0, 0), (second, b, "done", 0, 1)]
    )
    assert guidance["totals"] == {"pending": 0, "in_progress": 0, "done": 2, "overdue": 1}
    assert (guidance["total"], guidance["units"]) == (2, 3)
    names = {g["organisation_id"]: g["organisation"] for g in guidance["items"]}
    assert names == {a: "UBND phường Tân Phong", b: "UBND phường Đoàn Kết"}
    # A unit's report: its own rows only, whoever asks.
    assert _rows(_json(client, world["headers"]["a"])) == [(first, a, "done", 1, 0)]
    unit_b = _json(client, world["headers"]["dept"], organisation_id=b)
    assert _rows(unit_b) == [(first, b, "overdue", 0, 0), (second, b, "done", 0, 1)]
    assert unit_b["guidance"]["totals"] == {"pending": 0, "in_progress": 0, "done": 1, "overdue": 1}
    # The department's own report lists every unit its guidance went to.
    assert _rows(_json(client, world["headers"]["dept"], organisation_id=world["dept"])) == (
        _rows(report)
    )
    # A campaign keeps its own guidance.
    campaign = _json(client, world["headers"]["dept"], campaign_id=world["campaign"])
    assert {row[0] for row in _rows(campaign)} == {first}


def _number(text: str):
    return int(text.replace(".", "")) if re.fullmatch(r"\d{1,3}(\.\d{3})*", text) else text


def _docx_table(document, heading: str) -> list[list]:
    found = None
    for block in document.iter_inner_content():
        if hasattr(block, "style") and block.style.name.startswith("Heading"):
            found = block.text.split(". ", 1)[1] == heading.upper()
        elif hasattr(block, "rows") and found:
            return [[_number(cell.text) for cell in row.cells] for row in block.rows][1:]
    raise AssertionError(f"no table under {heading}")


LABELS = {"done": "Đã thực hiện", "overdue": "Quá hạn", "pending": "Chưa thực hiện"}


def test_documents_carry_the_same_guidance_figures(app, client, world):
    report = _json(client, world["headers"]["dept"])
    totals = [
        [label, report["guidance"]["totals"][status]]
        for status, label in (
            ("pending", "Chưa thực hiện"),
            ("in_progress", "Đang thực hiện"),
            ("done", "Đã thực hiện"),
            ("overdue", "Quá hạn"),
        )
    ]
    assert totals == [
        ["Chưa thực hiện", 0],
        ["Đang thực hiện", 0],
        ["Đã thực hiện", 2],
        ["Quá hạn", 1],
    ]
    per_unit = [
        [g["title"], g["organisation"], LABELS[g["status"]], g["publications"], g["evidence"]]
        for g in report["guidance"]["items"]
    ]
    assert sorted(row[2:] for row in per_unit) == [
        ["Quá hạn", 0, 0],
        ["Đã thực hiện", 0, 1],
        ["Đã thực hiện", 1, 0],
    ]
    person, _ = signed_in(app, "editor", "bientap-so-docx")
    document = Document(io.BytesIO(person.get("/reports/results.docx", query_string=QUERY).data))
    assert _docx_table(document, "Thực hiện hướng dẫn của Sở") == totals
    docx_units = _docx_table(document, "Hướng dẫn theo đơn vị")
    assert [[r[0], r[2], r[3], r[4], r[5]] for r in docx_units] == per_unit
    assert [r[1] for r in docx_units] == ["20/11/2025", "20/11/2025", "25/11/2025"]
    workbook = load_workbook(
        io.BytesIO(person.get("/reports/results.xlsx", query_string=QUERY).data)
    )
    sheet = workbook["Thực hiện hướng dẫn của Sở"]
    assert [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)] == totals
    units = [
        list(r) for r in workbook["Hướng dẫn theo đơn vị"].iter_rows(min_row=2, values_only=True)
    ]
    assert [[r[0], r[2], r[3], r[4], r[5]] for r in units] == per_unit
    assert [r[1] for r in units] == [datetime(2025, 11, 20)] * 2 + [datetime(2025, 11, 25)]
    html = person.get("/reports/results", query_string=QUERY).get_data(as_text=True)
    assert html.count(f'data-organisation="{world["b"]}"') == 2
    assert 'data-status="overdue">Quá hạn<' in html
    assert '<strong data-status="done">2</strong>' in html
