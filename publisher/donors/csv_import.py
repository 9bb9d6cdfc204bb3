"""Importing an organisation's donations from a CSV file, one row per donation.

Columns: ho_ten, chuc_vu, ngay_hien (dd/mm/yyyy or yyyy-mm-dd), noi_hien, so_chung_nhan; the
accented headers ("Họ và tên", "Ngày hiến" …) are accepted too. Rows with the same name and
position are one donor, matched to the organisation's existing donors as well. Nothing is
written unless every row is valid; a donation already held (same donor, same day) is
reported and skipped, never doubled. Errors name the row and the column, never the person.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_library.search import fold
from publisher.audit import record
from publisher.auth.models import User
from publisher.donors.models import Donation, Donor
from publisher.donors.register import (
    CERTIFICATE_LIMIT,
    EARLIEST,
    ENTITY,
    NAME_LIMIT,
    PLACE_LIMIT,
    POSITION_LIMIT,
    clean_text,
)
from publisher.organisations.guidance import local_today

MAX_BYTES = 1_000_000
MAX_ROWS = 5_000
COLUMNS = ("ho_ten", "chuc_vu", "ngay_hien", "noi_hien", "so_chung_nhan")
REQUIRED = ("ho_ten", "ngay_hien")
# Header spellings (without diacritics, lower case, words joined by "_") → column.
ALIASES = {
    "ho_ten": "ho_ten",
    "ho_va_ten": "ho_ten",
    "chuc_vu": "chuc_vu",
    "ngay_hien": "ngay_hien",
    "ngay_hien_mau": "ngay_hien",
    "noi_hien": "noi_hien",
    "noi_hien_mau": "noi_hien",
    "so_chung_nhan": "so_chung_nhan",
    "so_giay_chung_nhan": "so_chung_nhan",
}


class ImportRefused(ValueError):
    """The file as a whole cannot be read (size, encoding, headers)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowError:
    row: int
    column: str | None
    problem: str

    @property
    def message(self) -> str:
        where = f"Dòng {self.row}" + (f", cột {self.column}" if self.column else "")
        return f"{where}: {self.problem}"


@dataclass
class PlannedDonor:
    full_name: str
    position: str
    donor_id: int | None  # an existing donor of the organisation, else None (new)
    donations: list[tuple[int, date, str, str | None]] = field(default_factory=list)


@dataclass
class ImportPlan:
    rows: int = 0
    donors: list[PlannedDonor] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    duplicates: list[RowError] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "valid": not self.errors,
            "donors_created": sum(1 for d in self.donors if d.donor_id is None),
            "donors_matched": sum(1 for d in self.donors if d.donor_id is not None),
            "donations_created": sum(len(d.donations) for d in self.donors),
            "errors": [_row_json(e) for e in self.errors],
            "duplicates": [_row_json(e) for e in self.duplicates],
            "donors": [
                {
                    "full_name": d.full_name,
                    "position": d.position,
                    "donor_id": d.donor_id,
                    "new": d.donor_id is None,
                    "dates": [day.isoformat() for _row, day, _p, _c in d.donations],
                }
                for d in self.donors
            ],
        }


def _row_json(error: RowError) -> dict[str, Any]:
    return {"row": error.row, "column": error.column, "message": error.message}


def _plain(header: str) -> str:
    """ "Ngày hiến" → "ngay_hien": folded (no diacritics, đ → d), words joined by "_"."""
    return "_".join(fold(header.replace("-", " ").replace("_", " ")).split())


def parse_day(raw: str) -> date | None:
    text = raw.strip()
    for layout in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, layout).date()
        except ValueError:
            continue
    return None


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ImportRefused(f"Tệp quá lớn: tối đa {MAX_BYTES // 1000} KB.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused("Tệp không phải văn bản UTF-8 (hãy lưu CSV dạng UTF-8).") from None


def _reader(text: str) -> csv.reader:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def plan_import(session: Session, organisation_id: int, data: bytes) -> ImportPlan:
    """Read and check every row; match donors to the organisation's register."""
    text = decode(data)
    if "\x00" in text:
        raise ImportRefused("Tệp chứa ký tự không hợp lệ (NUL).")
    rows = _reader(text)
    try:
        header = next(rows)
    except (StopIteration, csv.Error):
        raise ImportRefused("Tệp trống: cần dòng tiêu đề và ít nhất một dòng dữ liệu.") from None
    columns = [ALIASES.get(_plain(h)) for h in header]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ImportRefused(
            "Thiếu cột " + ", ".join(missing) + f" ở dòng tiêu đề (các cột: {', '.join(COLUMNS)})."
        )
    plan = ImportPlan()
    existing = {
        (d.full_name.casefold(), d.position.casefold()): d
        for d in session.scalars(select(Donor).where(Donor.organisation_id == organisation_id))
    }
    planned: dict[tuple[str, str], PlannedDonor] = {}
    seen: dict[tuple[tuple[str, str], date], int] = {}
    today = local_today()
    try:
        for number, cells in enumerate(rows, start=2):
            if not any(c.strip() for c in cells):
                continue
            plan.rows += 1
            if plan.rows > MAX_ROWS:
                raise ImportRefused(f"Tệp quá nhiều dòng: tối đa {MAX_ROWS} dòng dữ liệu.")
            _plan_row(number, cells, columns, plan, existing, planned, seen, today)
    except csv.Error:
        raise ImportRefused("Tệp CSV sai định dạng (dấu ngoặc kép không khép).") from None
    if plan.rows == 0:
        raise ImportRefused("Tệp không có dòng dữ liệu nào.")
    plan.donors = [d for d in planned.values() if d.donations or d.donor_id is None]
    return plan


def _plan_row(
    number: int,
    cells: list[str],
    columns: list[str | None],
    plan: ImportPlan,
    existing: dict[tuple[str, str], Donor],
    planned: dict[tuple[str, str], PlannedDonor],
    seen: dict[tuple[tuple[str, str], date], int],
    today: date,
) -> None:
    if len(cells) != len(columns):
        plan.errors.append(RowError(number, None, "số cột không khớp với dòng tiêu đề"))
        return
    values = {c: cells[i] for i, c in enumerate(columns) if c is not None}
    errors_before = len(plan.errors)
    name = clean_text(values.get("ho_ten", ""))
    if not name:
        plan.errors.append(RowError(number, "ho_ten", "không được để trống"))
    elif len(name) > NAME_LIMIT:
        plan.errors.append(RowError(number, "ho_ten", f"dài quá {NAME_LIMIT} ký tự"))
    position = clean_text(values.get("chuc_vu", ""))
    if len(position) > POSITION_LIMIT:
        plan.errors.append(RowError(number, "chuc_vu", f"dài quá {POSITION_LIMIT} ký tự"))
    raw_day = values.get("ngay_hien", "").strip()
    day = parse_day(raw_day) if raw_day else None
    if not raw_day:
        plan.errors.append(RowError(number, "ngay_hien", "không được để trống"))
    elif day is None:
        plan.errors.append(RowError(number, "ngay_hien", "ngày không hợp lệ"))
    elif day > today:
        plan.errors.append(RowError(number, "ngay_hien", "ngày hiến sau ngày hôm nay"))
    elif day < EARLIEST:
        plan.errors.append(RowError(number, "ngay_hien", f"ngày hiến trước năm {EARLIEST.year}"))
    place = clean_text(values.get("noi_hien", ""))
    if len(place) > PLACE_LIMIT:
        plan.errors.append(RowError(number, "noi_hien", f"dài quá {PLACE_LIMIT} ký tự"))
    certificate = clean_text(values.get("so_chung_nhan", "")) or None
    if certificate and len(certificate) > CERTIFICATE_LIMIT:
        plan.errors.append(RowError(number, "so_chung_nhan", f"dài quá {CERTIFICATE_LIMIT} ký tự"))
    if len(plan.errors) > errors_before or day is None:
        return
    key = (name.casefold(), position.casefold())
    donor = planned.get(key)
    if donor is None:
        known = existing.get(key)
        donor = PlannedDonor(name, position, known.id if known else None)
        planned[key] = donor
        if known is not None:
            for held in known.donations:
                seen[(key, held.donated_on)] = 0
    earlier = seen.get((key, day))
    if earlier is not None:
        where = f"dòng {earlier}" if earlier else "sổ của đơn vị"
        plan.duplicates.append(
            RowError(number, "ngay_hien", f"lần hiến này đã có ({where}), bỏ qua")
        )
        return
    seen[(key, day)] = number
    donor.donations.append((number, day, place, certificate))


def apply_import(
    session: Session, user: User, organisation_id: int, plan: ImportPlan
) -> dict[str, Any]:
    """Write a valid plan (the caller commits: one transaction) and its audit entry."""
    if plan.errors:
        raise ValueError("an import with row errors is never written")
    created: list[int] = []
    touched: list[int] = []
    for planned in plan.donors:
        if planned.donor_id is None:
            donor = Donor(
                organisation_id=organisation_id,
                full_name=planned.full_name,
                position=planned.position,
                created_by=user.id,
            )
            session.add(donor)
        else:
            donor = session.get(Donor, planned.donor_id)
        for _row, day, place, certificate in planned.donations:
            donor.donations.append(
                Donation(donated_on=day, place=place, certificate_no=certificate)
            )
        session.flush()
        (created if planned.donor_id is None else touched).append(donor.id)
    summary = plan.summary()
    record(
        session,
        user,
        "import",
        ENTITY,
        None,
        organisation_id,
        {
            "rows": plan.rows,
            "created_ids": created,
            "updated_ids": touched,
            "donations_created": summary["donations_created"],
            "duplicates": len(plan.duplicates),
        },
    )
    summary["created_ids"], summary["updated_ids"] = created, touched
    return summary


def record_dry_run(session: Session, user: User, organisation_id: int, plan: ImportPlan) -> None:
    """A check reads the register too (it matches names to donors): audited, ids only."""
    record(
        session,
        user,
        "import",
        ENTITY,
        None,
        organisation_id,
        {
            "dry_run": True,
            "rows": plan.rows,
            "errors": len(plan.errors),
            "matched_ids": [d.donor_id for d in plan.donors if d.donor_id is not None],
        },
    )
