"""TXT, DOCX and PDF bulletins, read back with python-docx and pypdf."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from datetime import UTC, date, datetime
from xml.etree import ElementTree

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from pypdf import PdfReader

from channels.loudspeaker import (
    build_bulletin,
    duration_text,
    render_docx,
    render_pdf,
    render_txt,
    spell_out,
    vietnamese_date,
)
from channels.loudspeaker.pdf_document import BOLD_FONT, REGULAR_FONT
from tests.unit.loudspeaker.samples import DAY, DRIVE_TEXT, MONG_TEXT, item, sample_bulletin


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 giây"),
        (45, "45 giây"),
        (60, "1 phút"),
        (80, "1 phút 20 giây"),
        (605, "10 phút 5 giây"),
    ],
)
def test_duration_text(seconds: int, text: str) -> None:
    assert duration_text(seconds) == text


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2024, 12, 20), "Thứ Sáu, ngày 20 tháng 12 năm 2024"),
        (date(2025, 4, 7), "Thứ Hai, ngày 7 tháng 4 năm 2025"),
        (date(2025, 6, 15), "Chủ nhật, ngày 15 tháng 6 năm 2025"),
    ],
)
def test_vietnamese_date(day: date, text: str) -> None:
    assert vietnamese_date(day) == text


def test_txt_content_and_order() -> None:
    bulletin = sample_bulletin()
    txt = render_txt(bulletin)
    assert unicodedata.is_normalized("NFC", txt)
    txt.encode("utf-8")
    lines = txt.splitlines()
    assert lines[0] == "BẢN TIN TRUYỀN THANH XÃ BẢN HON"
    assert lines[1] == "Thứ Sáu, ngày 20 tháng 12 năm 2024"
    expected_in_order = [
        "=== BUỔI SÁNG (06:00), khoảng",
        "Đây là Đài truyền thanh xã Bản Hon.",
        "Kính thưa bà con nhân dân!",
        "1. [Khẩn cấp] Thông báo số 2",
        "2. [Thông thường] Thông báo số 1",
        "Đọc 3 lần, mỗi lần khoảng 14 giây (tổng khoảng 42 giây).",
        "Hiệu lực đến hết ngày 20/12/2024.",
        spell_out(DRIVE_TEXT),
        "Bản tiếng Mông (hmn):",
        MONG_TEXT,
        "Ủy ban nhân dân xã Bản Hon trân trọng thông báo!",
        "=== BUỔI CHIỀU (17:30), khoảng",
        "1. [Ưu tiên] Thông báo số 3",
        "Chủ nhật Đỏ năm hai nghìn không trăm hai mươi lăm.",
        "Ủy ban nhân dân xã Bản Hon trân trọng thông báo!",
    ]
    position = 0
    for expected in expected_in_order:
        found = next(
            (i for i in range(position, len(lines)) if lines[i].startswith(expected)), None
        )
        assert found is not None, f"{expected!r} missing or out of order"
        position = found + 1
    # Variants are shown as written, not spelled out.
    assert "20/12/2024." in MONG_TEXT and MONG_TEXT in lines
    assert f"khoảng {duration_text(bulletin.seconds)}" in lines[2]
    assert txt.endswith("trân trọng thông báo!\n")


def test_txt_of_empty_bulletin() -> None:
    txt = render_txt(build_bulletin("03385", "Bản Hon", "xã", DAY, []))
    assert "Trong buổi sáng nay, Đài không có thông báo mới." in txt
    assert "Trong buổi chiều nay, Đài không có thông báo mới." in txt
    assert "Đọc " not in txt


def test_docx_text_fonts_and_headings() -> None:
    data = render_docx(sample_bulletin())
    document = Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "BẢN TIN TRUYỀN THANH XÃ BẢN HON"
    assert "Kính thưa bà con nhân dân!" in texts
    assert spell_out(DRIVE_TEXT) in texts
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert len(headings) == 2
    assert headings[0].startswith("BUỔI SÁNG (06:00)")
    assert headings[1].startswith("BUỔI CHIỀU (17:30)")
    for name in ("Normal", "Heading 1", "Heading 2"):
        style = document.styles[name]
        assert style.font.name == "Times New Roman"
        assert style.font.size == Pt(14)
        fonts = style.element.rPr.find(qn("w:rFonts"))
        for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            assert fonts.get(qn(slot)) == "Times New Roman"
        assert fonts.get(qn("w:asciiTheme")) is None
    # Runs carry no font of their own, so they inherit Times New Roman.
    assert all(run.font.name is None for p in document.paragraphs for run in p.runs)
    assert document.core_properties.title == "Bản tin truyền thanh xã Bản Hon"


def test_docx_core_properties_name_the_issuing_unit_and_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    data = render_docx(sample_bulletin())
    after = datetime.now(UTC)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        core = archive.read("docProps/core.xml").decode("utf-8")
    assert "python-docx" not in core and "2013" not in core
    root = ElementTree.fromstring(core)  # noqa: S314 - the document we just made
    ns = {
        "dc": "http://purl.org/dc/elements/1.1/",
        "dcterms": "http://purl.org/dc/terms/",
        "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    }
    assert root.findtext("dc:creator", namespaces=ns) == "Ủy ban nhân dân xã Bản Hon"
    assert root.findtext("cp:lastModifiedBy", namespaces=ns) == "Ủy ban nhân dân xã Bản Hon"
    assert root.findtext("dc:title", namespaces=ns) == "Bản tin truyền thanh xã Bản Hon"
    assert root.findtext("dc:subject", namespaces=ns) == "Bản tin ngày 20/12/2024"
    assert (root.findtext("dc:description", namespaces=ns) or "") == ""
    for name in ("dcterms:created", "dcterms:modified"):
        stamp = datetime.fromisoformat(root.findtext(name, namespaces=ns))
        assert stamp.tzinfo is not None and before <= stamp <= after, (name, stamp)

    props = Document(io.BytesIO(data)).core_properties
    assert props.author == props.last_modified_by == "Ủy ban nhân dân xã Bản Hon"
    assert props.title == "Bản tin truyền thanh xã Bản Hon"
    assert props.comments == "" and props.revision == 1
    created = props.created.replace(tzinfo=UTC) if props.created.tzinfo is None else props.created
    assert before <= created <= after


def test_pdf_names_the_issuing_unit() -> None:
    metadata = PdfReader(io.BytesIO(render_pdf(sample_bulletin()))).metadata
    assert metadata.author == "Ủy ban nhân dân xã Bản Hon"
    assert metadata.title == "Bản tin truyền thanh xã Bản Hon"


def test_pdf_text_keeps_diacritics() -> None:
    data = render_pdf(sample_bulletin())
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert unicodedata.is_normalized("NFC", text)
    for expected in (
        "BẢN TIN TRUYỀN THANH XÃ BẢN HON",
        "Kính thưa bà con nhân dân",
        "Đây là Đài truyền thanh xã Bản Hon.",
        "[Khẩn cấp]",
        "hội trường ủy ban nhân dân",
        "Ủy ban nhân dân xã Bản Hon trân trọng thông báo!",
    ):
        assert expected in text
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert any("DejaVuSans" in name for name in fonts)


def test_pdf_wraps_long_text_onto_more_pages() -> None:
    long_text = " ".join(["Kính thưa bà con nhân dân, hãy tham gia hiến máu."] * 200)
    bulletin = build_bulletin("03385", "Bản Hon", "xã", DAY, [item(1, text=long_text)])
    reader = PdfReader(io.BytesIO(render_pdf(bulletin)))
    assert len(reader.pages) > 1
    widest = max(len(line) for page in reader.pages for line in page.extract_text().splitlines())
    assert widest < 120


def test_pdf_fonts_are_shipped_with_a_licence() -> None:
    assert REGULAR_FONT.is_file() and BOLD_FONT.is_file()
    licence = (REGULAR_FONT.parent / "LICENSE.txt").read_text(encoding="utf-8")
    assert "Bitstream" in licence and "DejaVu" in licence
