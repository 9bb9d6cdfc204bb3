"""Signed forms (real PDFs and images), consents and profiles made through the API."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

from fpdf import FPDF
from PIL import Image

# A name with every kind of Vietnamese mark: it must never show in logs, errors or exports.
PERSON = "Nguyễn Thị Hường"
PERSON_FOLDED_QUERY = "nguyen thi huong"


def pdf_bytes(pages: int = 1) -> bytes:
    pdf = FPDF()
    for n in range(pages):
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.cell(text=f"Consent form, page {n + 1}")
    return bytes(pdf.output())


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes())))
    writer.encrypt("mat-khau")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def today() -> date:
    from publisher.times import local_date

    return local_date(datetime.now(UTC))


def consent_body(**overrides) -> dict:
    body = {
        "person_name": PERSON,
        "scope": ["rss", "webhook"],
        "given_on": (today() - timedelta(days=1)).isoformat(),
        "expires_on": (today() + timedelta(days=60)).isoformat(),
        "note": "Đã ký tại trụ sở Hội",
    }
    body.update(overrides)
    return body


def record_consent(client, headers, **overrides) -> dict:
    answer = client.post("/api/v1/consents", json=consent_body(**overrides), headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def profile_body(consent_id: int, **overrides) -> dict:
    body = {
        "kind": "profile",
        "title": "Tấm gương hiến máu 30 lần",
        "body": "<p>Chị đã hiến máu tình nguyện 30 lần.</p>",
        "person": {"name": PERSON, "commune_code": "03408", "consent_id": consent_id},
    }
    body.update(overrides)
    return body


def write_profile(client, headers, consent_id: int) -> int:
    answer = client.post("/api/v1/content", json=profile_body(consent_id), headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def approved_profile(client, editor, approver, consent_id: int) -> int:
    content_id = write_profile(client, editor, consent_id)
    assert client.post(f"/api/v1/content/{content_id}/submit", headers=editor).status_code == 200
    approved = client.post(f"/api/v1/content/{content_id}/approve", headers=approver)
    assert approved.status_code == 200, approved.get_json()
    return content_id


def channel(client, admin, kind: str, settings: dict, slug: str) -> int:
    answer = client.post(
        "/api/v1/channels",
        json={"kind": kind, "slug": slug, "name": f"Kênh {slug}", "settings": settings},
        headers=admin,
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def soon(hours: float = 2) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def schedule(client, headers, content_id: int, channel_id: int, at: str | None = None):
    return client.post(
        "/api/v1/publications",
        json={"content_id": content_id, "channel_id": channel_id, "scheduled_at": at or soon()},
        headers=headers,
    )


def post_multipart(client, headers, fields: dict, file: tuple[bytes, str] | None = None):
    """POST /api/v1/consents as a browser form would send it (scope: one field per kind).

    Built by hand: Werkzeug's test builder spools large bodies to a file it never closes."""
    boundary = "consent-test-boundary"
    parts = []
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{one}\r\n".encode()
            )
    if file is not None:
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{file[1]}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            + file[0]
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return client.post(
        "/api/v1/consents",
        data=body,
        headers=headers,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
