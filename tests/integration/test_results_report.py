"""The results report from outside: a known month of rows; the JSON counts them, and the DOCX
(python-docx) and XLSX (openpyxl) carry the administrative layout and the same figures."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm
from openpyxl import load_workbook

from channels.registry import kinds
from tests.integration.reports_support import (
    DOAN_KET,
    EXPECTED_SUMMARY,
    QUERY,
    TAN_PHONG,
    build_month,
)
from tests.integration.ui_support import signed_in

STATUS = {"failed": "Lỗi", "expired": "Hết hạn"}
COVERAGE = {
    "pending": "Chưa thực hiện",
    "in_progress": "Đang thực hiện",
    "done": "Đã thực hiện",
    "overdue": "Quá hạn",
}


@pytest.fixture
def ids(app, db):
    found = build_month(db)
    db.commit()
    return found


@pytest.fixture
def editor(app, make_user):
    return make_user("editor")[1]


def _json(client, headers, **extra):
    response = client.get("/api/v1/reports/results", query_string=QUERY | extra, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _expected_tables(report: dict) -> dict[str, list[list]]:
    """Each document table's rows, read from the JSON independently of the documents' code."""
    measures = [m["name"] for m in report["engagement"]["measures"]]
    return {
        "Tổng hợp": [[r["label"], r["value"]] for r in report["summary"]],
        "Theo loại kênh": [[r["label"], r["published"]] for r in report["publications"]["by_kind"]],
        "Theo kênh": [
            [c["channel"], c["kind_label"], c["published"], c["withdrawn"]]
            for c in report["publications"]["by_channel"]
        ],
        "Loa truyền thanh cơ sở": [
            [e["commune_code"], e["name"], e["scheduled"], e["aired"], e["not_aired"]]
            for e in report["broadcasts"]["communes"]
        ],
        "Tin bài trên cổng thông tin": [
            [c["channel"], c["articles"]] for c in report["feeds"]["by_channel"]
        ],
        "Các đợt hiến máu": [
            [d["name"], d["before"], d["after"], ", ".join(d["channels"])]
            for d in report["drives"]["items"]
        ],
        "Thực hiện hướng dẫn của Sở": [
            [COVERAGE[status], count] for status, count in report["guidance"]["totals"].items()
        ],
        "Hướng dẫn theo đơn vị": [
            [g["title"], g["organisation"], COVERAGE[g["status"]], g["publications"], g["evidence"]]
            for g in report["guidance"]["items"]
        ],
        "Lỗi và hết hạn": [
            [STATUS[r["status"]], r["reason"], r["count"]] for r in report["failures"]["by_reason"]
        ],
        "Tương tác": [
            [row["title"], row["channel"], *[row["figures"][m] for m in measures]]
            for row in report["engagement"]["items"]
        ],
        "Danh sách tin đã đăng": [
            [i["publication_id"], i["title"], i["channel"], i["external_url"] or ""]
            for i in report["publications"]["items"]
        ],
    }


# Which columns of each table the comparison reads (dates are compared separately).
COLUMNS = {
    "Các đợt hiến máu": (0, 2, 3, 4),
    "Hướng dẫn theo đơn vị": (0, 2, 3, 4, 5),  # the due date is compared separately
    "Tương tác": None,  # every column but the last (the time read)
    "Danh sách tin đã đăng": (0, 1, 2, 4),
}


def _pick(title: str, row: list) -> list:
    columns = COLUMNS.get(title, "all")
    if columns == "all":
        return row
    if columns is None:
        return row[:-1]
    return [row[i] for i in columns]


def _number(text: str):
    return int(text.replace(".", "")) if re.fullmatch(r"\d{1,3}(\.\d{3})*", text) else text


def test_json_counts_the_known_month(app, client, ids, editor):
    report = _json(client, editor)
    assert {row["key"]: row["value"] for row in report["summary"]} == EXPECTED_SUMMARY
    pubs = report["publications"]
    by_kind = {row["kind"]: row["published"] for row in pubs["by_kind"]}
    # Every registered kind has its row, the kinds with nothing published a zero.
    assert by_kind == {
        **dict.fromkeys(kinds(), 0),
        **{"fanpage": 3, "rss": 2, "loudspeaker": 2},
    }
    assert [(c["channel"], c["published"], c["withdrawn"]) for c in pubs["by_channel"]] == [
        ("Trang Hội CTĐ", 3, 1),
        ("Cổng thông tin tỉnh", 2, 0),
        ("Loa hai phường", 2, 0),
    ]
    page = pubs["by_channel"][0]
    assert page["links"] == [
        "https://www.facebook.com/1001/posts/1",
        "https://www.facebook.com/1001/posts/3",
        "https://www.facebook.com/1001/posts/2",
    ]
    assert ids["hook_december"] not in {i["publication_id"] for i in pubs["items"]}
    loud = report["broadcasts"]
    assert {e["commune_code"]: (e["scheduled"], e["aired"]) for e in loud["communes"]} == {
        TAN_PHONG: (2, 2),
        DOAN_KET: (2, 0),
    }
    assert [e["commune_code"] for e in loud["silent"]] == [DOAN_KET]
    assert report["feeds"]["total"] == 2
    (drive, quiet) = report["drives"]["items"]
    assert (drive["drive_id"], drive["before"], drive["after"]) == (ids["drive"], 2, 1)
    assert drive["channels"] == ["Cổng thông tin tỉnh", "Trang Hội CTĐ"]
    assert (quiet["before"], quiet["after"], quiet["channels"]) == (0, 0, [])
    reasons = {(r["status"], r["reason"]): r["count"] for r in report["failures"]["by_reason"]}
    assert reasons == {
        ("failed", "Facebook từ chối: ảnh quá lớn"): 1,
        ("expired", "Hết hạn trước khi kịp đăng"): 1,
    }
    engagement = report["engagement"]
    assert engagement["totals"] == {"reactions": 17, "comments": 3, "shares": 2}
    first = next(r for r in engagement["items"] if r["publication_id"] == ids["fb_before"])
    assert first["figures"] == {"reactions": 12, "comments": 3, "shares": 2}  # the latest read
    assert first["read_at"].startswith("2025-11-20T09:00:00+07:00")


def test_campaign_narrows_to_its_content_and_drives(app, client, ids, editor):
    report = _json(client, editor, campaign_id=ids["campaign"])
    assert report["campaign"]["name"] == "Chủ nhật Đỏ 2025"
    published = {i["publication_id"] for i in report["publications"]["items"]}
    # Its own content, and the portal item planned for its drive (no campaign of its own).
    assert published == {ids["fb_before"], ids["fb_after"], ids["rss_before"]}
    assert report["broadcasts"]["scheduled"] == 0
    assert [d["drive_id"] for d in report["drives"]["items"]] == [ids["drive"]]
    assert report["failures"]["items"] == []


def test_campaign_alone_reports_its_dates(app, client, ids, editor):
    response = client.get(
        "/api/v1/reports/results", query_string={"campaign_id": ids["campaign"]}, headers=editor
    )
    assert response.get_json()["period"] == {"from": "2025-11-01", "to": "2025-11-30"}


def test_an_unknown_organisation_is_invalid(app, client, ids, editor):
    response = client.get(
        "/api/v1/reports/results", query_string=QUERY | {"organisation_id": 999}, headers=editor
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "organisation_id" in response.get_json()["errors"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"from": "2025-11-30", "to": "2025-11-01"}, "to"),
        ({"from": "2020-01-01", "to": "2025-11-01"}, "to"),
        ({"from": "30/11/2025"}, "from"),
        ({"campaign_id": "abc"}, "campaign_id"),
    ],
)
def test_bad_queries_are_problems(app, client, editor, args, field):
    response = client.get("/api/v1/reports/results", query_string=args, headers=editor)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_unknown_campaign_is_invalid(app, client, editor):
    response = client.get("/api/v1/reports/results?campaign_id=999", headers=editor)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "campaign_id" in response.get_json()["errors"]


def test_who_may_read(app, client, make_user):
    assert client.get("/api/v1/reports/results").status_code == 401
    _, operator = make_user("operator")
    assert client.get("/api/v1/reports/results", headers=operator).status_code == 403
    assert client.get("/reports/results.docx").status_code == 302  # to the login page
    person, _ = signed_in(app, "operator", commune_code=TAN_PHONG)
    assert person.get("/reports/results.xlsx").status_code == 403


def _docx_tables(document) -> dict[str, list[list]]:
    """Body tables by the section heading before them, numbers parsed back."""
    found, heading = {}, None
    for block in document.iter_inner_content():
        if hasattr(block, "style") and block.style.name.startswith("Heading"):
            heading = block.text.split(". ", 1)[1]
        elif hasattr(block, "rows") and heading is not None:
            rows = [[_number(cell.text) for cell in row.cells] for row in block.rows]
            found[heading] = rows[1:]
            heading = None
    return found


def test_docx_has_the_administrative_layout_and_the_json_figures(app, client, ids, editor):
    report = _json(client, editor)
    person, _ = signed_in(app, "editor", "bientap-docx")
    response = person.get("/reports/results.docx", query_string=QUERY)
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    document = Document(io.BytesIO(response.data))

    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    assert Mm(20) <= section.top_margin <= Mm(25) and Mm(20) <= section.bottom_margin <= Mm(25)
    assert Mm(30) <= section.left_margin <= Mm(35) and Mm(15) <= section.right_margin <= Mm(20)
    normal = document.styles["Normal"].font
    assert normal.name == "Times New Roman" and 13 <= normal.size.pt <= 14
    assert document.styles["Heading 2"].font.name == "Times New Roman"

    header = document.tables[0]
    body_cell, motto_cell = header.rows[0].cells
    superior, issuer = body_cell.paragraphs
    assert superior.text == "ỦY BAN NHÂN DÂN TỈNH LAI CHÂU"
    assert (
        issuer.text == "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH"
        and issuer.runs[0].bold
        and issuer.runs[0].underline
    )
    country, motto = motto_cell.paragraphs
    assert country.text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and country.runs[0].bold
    assert motto.text == "Độc lập - Tự do - Hạnh phúc" and motto.runs[0].bold
    number_cell, date_cell = header.rows[1].cells
    assert re.fullmatch(r"Số: +/BC-SVHTTDL", number_cell.text)
    assert re.fullmatch(r"Lai Châu, ngày \d\d tháng \d{1,2} năm \d{4}", date_cell.text)
    assert date_cell.paragraphs[0].runs[0].italic

    paragraphs = [p for p in document.paragraphs if p.text.strip()]
    title = next(p for p in paragraphs if p.text == "BÁO CÁO")
    assert title.runs[0].bold and title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    subject = paragraphs[paragraphs.index(title) + 1]
    assert "từ ngày 01/11/2025 đến ngày 30/11/2025" in subject.text and subject.runs[0].bold

    closing = document.tables[-1]
    recipients, signer = closing.rows[0].cells
    assert recipients.paragraphs[0].text == "Nơi nhận:"
    assert recipients.paragraphs[0].runs[0].bold and recipients.paragraphs[0].runs[0].italic
    assert "GIÁM ĐỐC" in signer.text

    expected = _expected_tables(report)
    titles = {title_text.upper(): title_text for title_text in expected}  # headings are capitals
    tables = {titles[heading]: rows for heading, rows in _docx_tables(document).items()}
    # A table without rows is a sentence in the DOCX ("Không có số liệu ...").
    assert set(tables) == {title_text for title_text, rows in expected.items() if rows}
    for title_text, rows in expected.items():
        assert [_pick(title_text, r) for r in tables.get(title_text, [])] == rows, title_text
    assert "Xã, phường chưa xác nhận phát tin nào: phường Đoàn Kết." in {
        p.text for p in document.paragraphs
    }


def test_xlsx_has_a_sheet_per_table_typed_cells_and_every_row(app, client, ids, editor):
    report = _json(client, editor)
    person, _ = signed_in(app, "editor", "bientap-xlsx")
    response = person.get("/reports/results.xlsx", query_string=QUERY)
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    expected = _expected_tables(report)
    assert workbook.sheetnames == [*expected, "Dữ liệu chi tiết"]
    for title_text, rows in expected.items():
        sheet = workbook[title_text]
        assert sheet.freeze_panes == "A2"
        values = [
            [("" if v is None else v) for v in row]
            for row in sheet.iter_rows(min_row=2, values_only=True)
        ]
        assert [_pick(title_text, r) for r in values] == rows, title_text
    summary = workbook["Tổng hợp"]
    assert all(isinstance(row[1], int) for row in summary.iter_rows(min_row=2, values_only=True))
    published = workbook["Danh sách tin đã đăng"]
    first = next(published.iter_rows(min_row=2, values_only=True))
    assert isinstance(first[0], int)
    assert first[3] == datetime(2025, 11, 10, 9, 0)  # local wall clock, a real date-time
    drives = next(workbook["Các đợt hiến máu"].iter_rows(min_row=2, values_only=True))
    assert drives[1] == datetime(2025, 11, 15, 7, 0)
    rows = workbook["Dữ liệu chi tiết"]
    assert rows.freeze_panes == "A2"
    detail = list(rows.iter_rows(min_row=2, values_only=True))
    assert len(detail) == (
        len(report["publications"]["items"])
        + len(report["broadcasts"]["items"])
        + len(report["failures"]["items"])
    )
    airings = [r for r in detail if r[0] == "Phát loa"]
    assert {(r[5], r[6], r[7]) for r in airings} == {
        ("phường Tân Phong", datetime(2025, 11, 14), "Đã phát"),
        ("phường Tân Phong", datetime(2025, 11, 15), "Đã phát"),
        ("phường Đoàn Kết", datetime(2025, 11, 14), "Chưa xác nhận"),
        ("phường Đoàn Kết", datetime(2025, 11, 15), "Chưa xác nhận"),
    }


def test_page_shows_charts_presets_and_downloads(app, ids):
    person, _ = signed_in(app, "editor", "bientap-page")
    response = person.get("/reports/results", query_string=QUERY)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count("<svg viewBox") >= 3  # kinds, communes, drives
    for label in ("Tháng này", "Tháng trước", "Quý này", "Năm nay"):
        assert label in html
    assert f'/reports/results?campaign_id={ids["campaign"]}">Chiến dịch: Chủ nhật Đỏ 2025' in html
    assert "/reports/results.docx?from=2025-11-01&amp;to=2025-11-30" in html
    assert "/reports/results.xlsx?from=2025-11-01&amp;to=2025-11-30" in html
    assert 'data-key="published">7<' in html
    bad = person.get("/reports/results", query_string={"from": "2025-11-30", "to": "2025-11-01"})
    assert bad.status_code == 200 and "ngày cuối trước ngày đầu" in bad.get_data(as_text=True)


def test_admin_sets_who_signs(app, ids):
    person, _ = signed_in(app, "admin", "quantri-sign")
    form = {
        "superior_body": "UBND tỉnh Lai Châu",
        "issuing_body": "Sở Y tế tỉnh Lai Châu",
        "symbol": "BC-SYT",
        "place": "Lai Châu",
        "signer_title": "Phó Giám đốc",
        "signer_name": "Nguyễn Văn An",
        "recipients": "UBND tỉnh;\nLưu: VT.",
    }
    assert person.post("/reports/results/signature", form).status_code == 302
    document = Document(io.BytesIO(person.get("/reports/results.docx", query_string=QUERY).data))
    recipients, signer = document.tables[-1].rows[0].cells
    assert [p.text for p in recipients.paragraphs] == ["Nơi nhận:", "- UBND tỉnh;", "- Lưu: VT."]
    lines = [p.text for p in signer.paragraphs if p.text]
    assert lines == ["PHÓ GIÁM ĐỐC", "Nguyễn Văn An"]
    empty = person.post("/reports/results/signature", form | {"issuing_body": " "})
    assert empty.status_code == 302
    editor, _ = signed_in(app, "editor", "bientap-sign")
    assert editor.post("/reports/results/signature", form).status_code == 403
    unchanged = Document(io.BytesIO(person.get("/reports/results.docx", query_string=QUERY).data))
    assert unchanged.tables[0].rows[0].cells[0].paragraphs[1].text == "SỞ Y TẾ TỈNH LAI CHÂU"


def test_vietnamese_date_pads_days_and_early_months():
    from publisher.reports.docx_layout import vietnamese_date

    assert vietnamese_date("Lai Châu", date(2026, 2, 4)) == "Lai Châu, ngày 04 tháng 02 năm 2026"
    assert vietnamese_date("Lai Châu", date(2026, 12, 25)) == "Lai Châu, ngày 25 tháng 12 năm 2026"


def test_a_scope_narrows_every_figure_to_its_rows(app, db, ids):
    """The organisation hook is a where-clause on channels: with it, every section counts only
    the rows it lets through (here: the Page's), as a unit's report will."""
    from publisher.delivery.models import Channel
    from publisher.reports.figures import results
    from publisher.reports.scope import ReportQuery
    from tests.integration.reports_support import FIRST, LAST

    report = results(
        db,
        ReportQuery(FIRST, LAST, organisation_id=5),
        scope=lambda stmt: stmt.where(Channel.slug == "trang-fb"),
    )
    assert report["organisation"] is None  # no such organisation: only the hook narrows
    summary = {row["key"]: row["value"] for row in report["summary"]}
    assert summary == {
        "published": 3,
        "channels": 1,
        "feed_articles": 0,
        "broadcasts_scheduled": 0,
        "broadcasts_aired": 0,
        "silent_communes": 0,
        "drives_covered": 1,
        "failed": 1,
        "expired": 1,
        "engagement_reactions": 17,
        "engagement_comments": 3,
        "engagement_shares": 2,
    }
    # A unit's report lists only the drives it covered, counting only its own items.
    assert [(d["drive_id"], d["before"], d["after"]) for d in report["drives"]["items"]] == [
        (ids["drive"], 1, 1)
    ]
