"""The proposal for commending repeat donors ("Danh sách đề nghị biểu dương"), as a DOCX.

A "tờ trình" in the layout of Nghị định 30/2020/NĐ-CP: the organisation proposes to the
steering committee that its staff who gave blood at least N times in the period be commended,
with the list as a table (STT, Họ và tên, Chức vụ, Số lần hiến trong kỳ, Lần hiến gần nhất).
The letterhead and signature are the organisation's own (``publisher.reports.signature``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt
from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.audit import record
from publisher.auth.models import User
from publisher.donors.register import ENTITY, DonorQuery, donor_rows
from publisher.organisations.guidance import local_today
from publisher.organisations.models import Organisation
from publisher.reports.docx_layout import administrative_document, line, to_bytes
from publisher.reports.models import ReportSignature
from publisher.reports.signature import letterhead, signature, signature_settings

KIND = "TỜ TRÌNH"
SUBJECT = "Về việc đề nghị biểu dương người hiến máu tình nguyện nhiều lần"
HEADINGS = ("STT", "Họ và tên", "Chức vụ", "Số lần hiến trong kỳ", "Lần hiến gần nhất")
WIDTHS = (Mm(12), Mm(55), Mm(45), Mm(22), Mm(30))
MAX_ROWS = 2000


@dataclass(frozen=True)
class Commended:
    donor_id: int
    full_name: str
    position: str
    in_period: int
    latest: date | None


def _day(value: date | None) -> str:
    return f"{value:%d/%m/%Y}" if value is not None else ""


def commended(session: Session, user: User, query: DonorQuery) -> list[Commended]:
    return [
        Commended(r.donor.id, r.donor.full_name, r.donor.position, r.in_period, r.latest)
        for r in donor_rows(session, user, query)[:MAX_ROWS]
    ]


def _settings(session: Session, org: Organisation | None) -> dict[str, str]:
    """The organisation's own letterhead and signer. A unit that has set none issues the
    proposal under its own name (not the department's, which the results report falls
    back to), with the signer left for it to fill in."""
    org_id = org.id if org is not None else None
    own = session.scalar(select(ReportSignature).where(ReportSignature.organisation_id == org_id))
    settings = signature_settings(session, org_id)
    if own is None and org is not None and org.kind != "department":
        settings.update(
            issuing_body=org.name,
            symbol="",
            signer_title="Thủ trưởng đơn vị",
            signer_name="",
            recipients="Ban Chỉ đạo vận động hiến máu tình nguyện tỉnh;\nLưu: VT.",
        )
    # A tờ trình's symbol starts "TTr-" (Nghị định 30/2020, phụ lục III): reuse the body's
    # abbreviation from the report settings ("BC-SVHTTDL" → "TTr-SVHTTDL").
    symbol = settings["symbol"]
    abbreviation = symbol.split("-", 1)[1] if "-" in symbol else symbol
    settings["symbol"] = f"TTr-{abbreviation}" if abbreviation else "TTr"
    return settings


def commendation_docx(session: Session, user: User, query: DonorQuery) -> tuple[bytes, int]:
    """The document and how many donors it lists; audited (ids and count, no names)."""
    assert query.organisation_id is not None and query.min_donations is not None
    people = commended(session, user, query)
    org = session.get(Organisation, query.organisation_id)
    settings = _settings(session, org)
    first, last = query.first, query.last or local_today()
    period = f"từ ngày {_day(first)} đến ngày {_day(last)}" if first else f"đến ngày {_day(last)}"
    issuer = settings["issuing_body"] or (org.name if org else "")

    def body(document: DocxDocument) -> None:
        intro = (
            f"Thực hiện công tác vận động hiến máu tình nguyện, {issuer} đề nghị biểu dương "
            f"{len(people)} cán bộ, công chức, viên chức, người lao động đã hiến máu tình nguyện "
            f"từ {query.min_donations} lần trở lên trong kỳ {period}."
        )
        paragraph = line(document, intro, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        paragraph.paragraph_format.first_line_indent = Mm(10)
        document.add_paragraph()
        line(document, "DANH SÁCH ĐỀ NGHỊ BIỂU DƯƠNG", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        line(
            document,
            f"(Kèm theo Tờ trình; kỳ {period})",
            italic=True,
            align=WD_ALIGN_PARAGRAPH.CENTER,
        )
        table = document.add_table(rows=1, cols=len(HEADINGS))
        table.style = document.styles["Table Grid"]
        for cell, heading, width in zip(table.rows[0].cells, HEADINGS, WIDTHS, strict=True):
            cell.width = width
            line(cell, heading, bold=True, size=Pt(12), align=WD_ALIGN_PARAGRAPH.CENTER, first=True)
        for number, person in enumerate(people, start=1):
            cells = table.add_row().cells
            values = (
                str(number),
                person.full_name,
                person.position,
                str(person.in_period),
                _day(person.latest),
            )
            for index, (cell, value, width) in enumerate(zip(cells, values, WIDTHS, strict=True)):
                cell.width = width
                centred = index in (0, 3, 4)
                line(
                    cell,
                    value,
                    size=Pt(12),
                    first=True,
                    align=WD_ALIGN_PARAGRAPH.CENTER if centred else None,
                )
        document.add_paragraph()
        closing = line(
            document,
            "Kính trình Ban Chỉ đạo vận động hiến máu tình nguyện xem xét, quyết định./.",
            align=WD_ALIGN_PARAGRAPH.JUSTIFY,
        )
        closing.paragraph_format.first_line_indent = Mm(10)

    document = administrative_document(
        letterhead(settings, local_today()), KIND, SUBJECT, body, signature(settings)
    )
    record(
        session,
        user,
        "export",
        ENTITY,
        None,
        query.organisation_id,
        {
            "document": "commendations.docx",
            "count": len(people),
            "ids": [p.donor_id for p in people],
            "from": first.isoformat() if first else None,
            "to": last.isoformat(),
            "min_donations": query.min_donations,
        },
    )
    return to_bytes(document), len(people)
