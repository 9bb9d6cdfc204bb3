"""Public bulletin downloads: every format served over HTTP and read back."""

from __future__ import annotations

import io
import shutil
import unicodedata
import wave
from datetime import UTC, timedelta

import pytest
from docx import Document
from docx.shared import Pt
from pypdf import PdfReader
from sqlalchemy import select

from content_library.db import utcnow
from publisher.delivery.models import Channel
from tests.integration.loudspeaker_support import (
    DAY,
    MUONG_KIM,
    TAN_PHONG,
    local,
    loudspeaker_channel,
    released,
)

BODY = "Đợt HMTN ngày 20/12/2024 lúc 7h30 tại Hội trường UBND TP. Lai Châu."
READ = (
    "Đợt hiến máu tình nguyện ngày hai mươi tháng mười hai năm hai nghìn không trăm hai mươi tư "
    "lúc bảy giờ ba mươi tại hội trường ủy ban nhân dân thành phố Lai Châu."
)
MONG = "Tuaj pub ntshav rau hnub 20/12."
URL = f"/scripts/{TAN_PHONG}/{DAY.isoformat()}"


@pytest.fixture
def bulletin_rows(app, db):
    channel = loudspeaker_channel(db, [TAN_PHONG])
    released(
        db,
        channel,
        local(DAY, 6),
        title="Lịch hiến máu Tết",
        body=BODY,
        priority="priority",
        repeats=2,
        variants={"hmn": {"name": "Tiếng Mông", "text": MONG}},
    )
    released(
        db,
        channel,
        local(DAY, 17),
        title="Cảm ơn người hiến máu",
        body="Cảm ơn 350 người đã hiến máu.",
    )
    db.commit()


def _filename(response) -> str:
    return response.headers["Content-Disposition"].split("filename=")[1].strip('"')


def test_txt(client, bulletin_rows):
    response = client.get(f"{URL}.txt")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert _filename(response) == f"bantin-{TAN_PHONG}-2030-06-14.txt"
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    text = response.data.decode("utf-8")
    assert unicodedata.is_normalized("NFC", text)
    lines = text.splitlines()
    assert lines[0] == "BẢN TIN TRUYỀN THANH PHƯỜNG TÂN PHONG"
    assert lines[1] == "Thứ Sáu, ngày 14 tháng 6 năm 2030"
    for expected in (
        "Đây là Đài truyền thanh phường Tân Phong.",
        "1. [Ưu tiên] Lịch hiến máu Tết",
        READ,
        "Bản tiếng Mông (hmn):",
        MONG,  # shown as written: never spelled out
        "Cảm ơn ba trăm năm mươi người đã hiến máu.",
        "Ủy ban nhân dân phường Tân Phong trân trọng thông báo!",
    ):
        assert expected in lines
    evening = next(i for i, line in enumerate(lines) if line.startswith("=== BUỔI CHIỀU (17:30)"))
    assert lines.index(READ) < evening < lines.index("Cảm ơn ba trăm năm mươi người đã hiến máu.")


def test_docx_read_back(client, bulletin_rows):
    response = client.get(f"{URL}.docx")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert _filename(response) == f"bantin-{TAN_PHONG}-2030-06-14.docx"
    assert response.headers["Content-Disposition"].startswith("attachment")
    document = Document(io.BytesIO(response.data))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "BẢN TIN TRUYỀN THANH PHƯỜNG TÂN PHONG"
    assert READ in texts and MONG in texts
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert [h.split(" (")[0] for h in headings] == ["BUỔI SÁNG", "BUỔI CHIỀU"]
    normal = document.styles["Normal"]
    assert (normal.font.name, normal.font.size) == ("Times New Roman", Pt(14))
    props = document.core_properties
    assert props.author == "Ủy ban nhân dân phường Tân Phong"
    assert props.title == "Bản tin truyền thanh phường Tân Phong"
    created = props.created.replace(tzinfo=UTC)  # python-docx reads W3CDTF as naive UTC
    assert abs(created - utcnow()) < timedelta(minutes=5) and props.modified == props.created


def test_pdf_read_back_with_diacritics(client, bulletin_rows):
    response = client.get(f"{URL}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert _filename(response) == f"bantin-{TAN_PHONG}-2030-06-14.pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = unicodedata.normalize("NFC", "\n".join(p.extract_text() for p in reader.pages))
    flat = " ".join(text.split())
    for expected in (
        "BẢN TIN TRUYỀN THANH PHƯỜNG TÂN PHONG",
        "Đây là Đài truyền thanh phường Tân Phong.",
        "[Ưu tiên] Lịch hiến máu Tết",
        "hiến máu tình nguyện ngày hai mươi tháng mười hai",
        "hội trường ủy ban nhân dân thành phố Lai Châu",
        "Ủy ban nhân dân phường Tân Phong trân trọng thông báo!",
    ):
        assert expected in flat


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_audio_is_a_wav_draft(client, bulletin_rows):
    response = client.get(f"{URL}.wav")
    assert response.status_code == 200
    assert response.mimetype == "audio/wav"
    assert _filename(response) == f"bantin-{TAN_PHONG}-2030-06-14-ban-nhap.wav"
    with wave.open(io.BytesIO(response.data)) as audio:
        seconds = audio.getnframes() / audio.getframerate()
    assert seconds > 10


def test_audio_without_espeak_is_a_clear_404(client, bulletin_rows, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    response = client.get(f"{URL}.wav")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "espeak-ng" in response.get_json()["detail"]


def test_etag_revalidation(client, bulletin_rows):
    first = client.get(f"{URL}.docx")
    etag = first.headers["ETag"]
    again = client.get(f"{URL}.docx", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    # Each format has its own tag, and the tag follows the content.
    assert client.get(f"{URL}.txt").headers["ETag"] != etag
    assert client.get(f"{URL}.docx").headers["ETag"] == etag


def test_etag_changes_when_an_item_is_released(app, client, db, bulletin_rows):
    etag = client.get(f"{URL}.txt").headers["ETag"]
    channel = db.scalars(select(Channel)).first()
    released(db, channel, local(DAY, 7), title="Tin mới")
    db.commit()
    response = client.get(f"{URL}.txt", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "Tin mới" in response.data.decode()


def test_empty_bulletin_is_served(client, bulletin_rows):
    response = client.get(f"/scripts/{MUONG_KIM}/{DAY.isoformat()}.txt")
    assert response.status_code == 200
    assert "Đài không có thông báo mới" in response.data.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/scripts/99999/2030-06-14.txt",
        "/scripts/abc/2030-06-14.pdf",
        "/scripts/03408/2030-02-30.txt",
        "/scripts/03408/14-06-2030.txt",
        "/scripts/03408/2030-06-14.exe",
        "/scripts/03408/2030-06-14",
    ],
)
def test_unknown_commune_date_or_format_is_a_404_problem(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 404


def test_scripts_are_public(client, bulletin_rows):
    # No session, no token: operators download on any phone.
    assert client.get(f"{URL}.pdf").status_code == 200
