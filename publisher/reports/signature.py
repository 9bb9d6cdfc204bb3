"""Who issues and signs a results report: a row per organisation, the department's by default."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.reports.docx_layout import Letterhead, Signature
from publisher.reports.models import ReportSignature

FIELDS = {
    "superior_body": ("Cơ quan cấp trên", 200),
    "issuing_body": ("Cơ quan ban hành", 200),
    "symbol": ("Ký hiệu (sau số)", 40),
    "place": ("Địa danh", 80),
    "signer_title": ("Chức vụ người ký", 200),
    "signer_name": ("Họ tên người ký", 200),
    "recipients": ("Nơi nhận (mỗi dòng một nơi)", 2000),
}
# The department's own letterhead until someone sets it.
DEPARTMENT_DEFAULT = {
    "superior_body": "Ủy ban nhân dân tỉnh Lai Châu",
    "issuing_body": "Sở Văn hóa, Thể thao và Du lịch",
    "symbol": "BC-SVHTTDL",
    "place": "Lai Châu",
    "signer_title": "Giám đốc",
    "signer_name": "",
    "recipients": (
        "UBND tỉnh (để báo cáo);\nBan Chỉ đạo vận động hiến máu tình nguyện tỉnh;\nLưu: VT."
    ),
}


class SignatureInvalid(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _row(session: Session, organisation_id: int | None) -> ReportSignature | None:
    column = ReportSignature.organisation_id
    where = column.is_(None) if organisation_id is None else column == organisation_id
    return session.scalar(select(ReportSignature).where(where))


def signature_settings(session: Session, organisation_id: int | None = None) -> dict[str, str]:
    """The unit's settings; else the department's; else the department's defaults."""
    row = _row(session, organisation_id)
    if row is None and organisation_id is not None:
        row = _row(session, None)
    if row is None:
        return dict(DEPARTMENT_DEFAULT)
    return {name: getattr(row, name) or "" for name in FIELDS}


def save_signature(
    session: Session, values: dict[str, Any], *, organisation_id: int | None, user_id: int | None
) -> ReportSignature:
    """Check and store the settings; the caller commits."""
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, (label, limit) in FIELDS.items():
        value = values.get(name, "")
        value = value.strip() if isinstance(value, str) else ""
        if len(value) > limit:
            errors[name] = f"{label}: dài quá {limit} ký tự"
        elif not value and name not in ("signer_name", "recipients"):
            errors[name] = f"{label}: không được để trống"
        cleaned[name] = value
    if errors:
        raise SignatureInvalid(errors)
    row = _row(session, organisation_id)
    if row is None:
        row = ReportSignature(organisation_id=organisation_id)
        session.add(row)
    for name, value in cleaned.items():
        setattr(row, name, value)
    row.updated_by = user_id
    session.flush()
    return row


def letterhead(settings: dict[str, str], day: date) -> Letterhead:
    return Letterhead(
        superior_body=settings["superior_body"],
        issuing_body=settings["issuing_body"],
        symbol=settings["symbol"],
        place=settings["place"],
        day=day,
    )


def signature(settings: dict[str, str]) -> Signature:
    recipients = [r.strip() for r in settings["recipients"].splitlines() if r.strip()]
    return Signature(
        title=settings["signer_title"], name=settings["signer_name"], recipients=recipients
    )
