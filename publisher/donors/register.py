"""The donor register: record, change, erase, list and export donors, each with its audit entry.

Every function that reads or changes a donor writes :func:`publisher.audit.record` in the
caller's transaction, so committing the work commits its entry and a rollback drops both.
Messages never quote a name: a field is named, never its value (personal data under
Nghị định 13/2023/NĐ-CP must not travel in errors or logs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from content_library.db import utcnow
from content_library.sanitize import nfc
from content_library.search import fold
from publisher.audit import record
from publisher.audit.models import AuditEvent
from publisher.auth.models import User
from publisher.donors.access import donor_condition, may_read_donor
from publisher.donors.models import Donation, Donor
from publisher.organisations.guidance import local_today
from publisher.organisations.models import Organisation
from publisher.organisations.visibility import sees_everything
from publisher.times import iso_z

ENTITY = "donor"
NAME_LIMIT, POSITION_LIMIT, PLACE_LIMIT, CERTIFICATE_LIMIT = 200, 200, 300, 80
MAX_DONATIONS = 500
EARLIEST = date(1950, 1, 1)


class DonorInvalid(ValueError):
    """Field → message ("Vietnamese / English"); never the value itself."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(sorted(errors)))
        self.errors = errors


@dataclass(frozen=True)
class DonationLine:
    donated_on: date
    place: str = ""
    certificate_no: str | None = None


def clean_text(value: Any) -> str:
    """NFC, trimmed, inner runs of spaces collapsed (names typed twice must match)."""
    if not isinstance(value, str):
        return ""
    # NUL cannot be stored in PostgreSQL text: drop it rather than fail with the value in a log.
    return re.sub(r"\s+", " ", nfc(value.replace("\x00", ""))).strip()


def check_name(value: Any, field: str, errors: dict[str, str]) -> str:
    name = clean_text(value)
    if not name:
        errors[field] = "Họ và tên không được để trống / must not be empty"
    elif len(name) > NAME_LIMIT:
        errors[field] = f"Họ và tên dài quá {NAME_LIMIT} ký tự / too long"
    return name


def check_position(value: Any, field: str, errors: dict[str, str]) -> str:
    position = clean_text(value)
    if len(position) > POSITION_LIMIT:
        errors[field] = f"Chức vụ dài quá {POSITION_LIMIT} ký tự / too long"
    return position


def check_day(value: date, field: str, errors: dict[str, str], today: date) -> None:
    if value > today:
        errors[field] = "Ngày hiến không được sau hôm nay / must not be in the future"
    elif value < EARLIEST:
        errors[field] = f"Ngày hiến phải từ năm {EARLIEST.year} / too early"


def parse_day(raw: Any) -> date | None:
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def clean_donations(
    items: Sequence[dict[str, Any]], prefix: str, errors: dict[str, str], today: date
) -> list[DonationLine]:
    """Each donation checked; a date given twice for one donor is refused."""
    lines: list[DonationLine] = []
    seen: dict[date, int] = {}
    if len(items) > MAX_DONATIONS:
        errors[prefix] = f"Tối đa {MAX_DONATIONS} lần hiến / at most {MAX_DONATIONS}"
        return lines
    for index, item in enumerate(items):
        where = f"{prefix}.{index}"
        day = parse_day(item.get("date"))
        if day is None:
            errors[f"{where}.date"] = "Ngày hiến không hợp lệ / not a date (YYYY-MM-DD)"
            continue
        check_day(day, f"{where}.date", errors, today)
        if day in seen:
            errors[f"{where}.date"] = (
                f"Trùng ngày với lần hiến thứ {seen[day] + 1} / duplicate date for this donor"
            )
        seen.setdefault(day, index)
        place = clean_text(item.get("place"))
        if len(place) > PLACE_LIMIT:
            errors[f"{where}.place"] = f"Nơi hiến dài quá {PLACE_LIMIT} ký tự / too long"
        certificate = clean_text(item.get("certificate_no")) or None
        if certificate and len(certificate) > CERTIFICATE_LIMIT:
            errors[f"{where}.certificate_no"] = (
                f"Số chứng nhận dài quá {CERTIFICATE_LIMIT} ký tự / too long"
            )
        lines.append(DonationLine(day, place, certificate))
    return lines


def target_organisation(session: Session, user: User, organisation_id: int | None) -> int:
    """The organisation a new donor belongs to: the caller's own unless a department admin
    names another. Another unit's and a missing organisation get the same answer."""
    if organisation_id is None:
        if user.organisation_id is None:
            raise DonorInvalid(
                {"organisation_id": "Cần chọn đơn vị / required: your account has no organisation"}
            )
        return user.organisation_id
    allowed = sees_everything(session, user) or organisation_id == user.organisation_id
    if not allowed or session.get(Organisation, organisation_id) is None:
        raise DonorInvalid({"organisation_id": "Không có đơn vị này / no such organisation"})
    return organisation_id


def load_donor(session: Session, user: User | None, donor_id: int) -> Donor | None:
    """The donor if ``user`` may read it, else None (answered 404: not revealed)."""
    donor = session.get(Donor, donor_id)
    if donor is None or not may_read_donor(session, user, donor):
        return None
    return donor


def create_donor(
    session: Session,
    user: User,
    *,
    full_name: Any,
    position: Any = "",
    organisation_id: int | None = None,
    donations: Sequence[dict[str, Any]] = (),
) -> Donor:
    errors: dict[str, str] = {}
    name = check_name(full_name, "full_name", errors)
    role = check_position(position, "position", errors)
    lines = clean_donations(donations, "donations", errors, local_today())
    org_id = None
    try:
        org_id = target_organisation(session, user, organisation_id)
    except DonorInvalid as exc:
        errors.update(exc.errors)
    if errors:
        raise DonorInvalid(errors)
    donor = Donor(organisation_id=org_id, full_name=name, position=role, created_by=user.id)
    donor.donations = [
        Donation(donated_on=line.donated_on, place=line.place, certificate_no=line.certificate_no)
        for line in lines
    ]
    session.add(donor)
    session.flush()
    record(session, user, "create", ENTITY, donor.id, org_id, {"donations": len(lines)})
    return donor


def update_donor(session: Session, user: User, donor: Donor, changes: dict[str, Any]) -> Donor:
    """Change the fields given; ``donations`` replaces the list, ``add_donations`` appends."""
    errors: dict[str, str] = {}
    today = local_today()
    changed: list[str] = []
    name = position = None
    if "full_name" in changes:
        name = check_name(changes["full_name"], "full_name", errors)
    if "position" in changes:
        position = check_position(changes["position"], "position", errors)
    replaced = None
    if "donations" in changes:
        replaced = clean_donations(changes["donations"], "donations", errors, today)
    added = clean_donations(changes.get("add_donations") or [], "add_donations", errors, today)
    kept = (
        replaced
        if replaced is not None
        else [DonationLine(d.donated_on, d.place, d.certificate_no) for d in donor.donations]
    )
    taken = {line.donated_on for line in kept}
    for index, line in enumerate(added):
        if line.donated_on in taken:
            errors[f"add_donations.{index}.date"] = (
                "Đã có lần hiến ngày này / duplicate date for this donor"
            )
    if len(kept) + len(added) > MAX_DONATIONS:
        errors["donations"] = f"Tối đa {MAX_DONATIONS} lần hiến / at most {MAX_DONATIONS}"
    if errors:
        raise DonorInvalid(errors)
    if name is not None and name != donor.full_name:
        donor.full_name = name
        changed.append("full_name")
    if position is not None and position != donor.position:
        donor.position = position
        changed.append("position")
    if replaced is not None:
        _replace_donations(session, donor, replaced)
        changed.append("donations")
    if added:
        for line in added:
            donor.donations.append(
                Donation(
                    donated_on=line.donated_on, place=line.place, certificate_no=line.certificate_no
                )
            )
        changed.append("add_donations")
    session.flush()
    record(
        session,
        user,
        "update",
        ENTITY,
        donor.id,
        donor.organisation_id,
        {"fields": changed, "donations": len(donor.donations)},
    )
    return donor


def _replace_donations(session: Session, donor: Donor, lines: list[DonationLine]) -> None:
    by_day = {d.donated_on: d for d in donor.donations}
    wanted = {line.donated_on: line for line in lines}
    for day, row in list(by_day.items()):
        if day not in wanted:
            donor.donations.remove(row)
    session.flush()  # the removed dates are free again before any is added back
    for day, line in wanted.items():
        row = by_day.get(day)
        if row is None:
            donor.donations.append(
                Donation(donated_on=day, place=line.place, certificate_no=line.certificate_no)
            )
        else:
            row.place, row.certificate_no = line.place, line.certificate_no


def erase_donor(session: Session, user: User | None, donor: Donor, reason: str = "request") -> int:
    """Delete the donor and their donations; the log keeps the id and the count only."""
    donor_id, org_id, count = donor.id, donor.organisation_id, len(donor.donations)
    session.delete(donor)
    session.flush()
    record(
        session, user, "delete", ENTITY, donor_id, org_id, {"donations": count, "reason": reason}
    )
    return donor_id


def serialise_donor(donor: Donor) -> dict[str, Any]:
    return {
        "id": donor.id,
        "organisation_id": donor.organisation_id,
        "full_name": donor.full_name,
        "position": donor.position,
        "donations": [
            {"date": d.donated_on.isoformat(), "place": d.place, "certificate_no": d.certificate_no}
            for d in donor.donations
        ],
        "total_donations": len(donor.donations),
        "created_at": iso_z(donor.created_at),
        "updated_at": iso_z(donor.updated_at),
    }


def read_donor(session: Session, user: User, donor: Donor) -> dict[str, Any]:
    record(session, user, "read", ENTITY, donor.id, donor.organisation_id)
    return serialise_donor(donor)


def export_donor(session: Session, user: User, donor: Donor) -> dict[str, Any]:
    """Everything held on the person: the row, the donations, and who read or changed them."""
    org = session.get(Organisation, donor.organisation_id)
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity == ENTITY, AuditEvent.entity_id == donor.id)
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    record(session, user, "export", ENTITY, donor.id, donor.organisation_id)
    data = serialise_donor(donor)
    data["organisation"] = {"id": donor.organisation_id, "name": org.name if org else None}
    data["audit"] = [
        {"at": iso_z(e.at), "actor": e.actor_username, "action": e.action} for e in events
    ]
    data["exported_at"] = iso_z(utcnow())
    data["legal_basis"] = (
        "Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân: dữ liệu dùng để biểu dương "
        "người hiến máu tình nguyện nhiều lần."
    )
    return data


@dataclass(frozen=True)
class DonorQuery:
    """Which donors a list shows: an organisation, a period (inclusive), a minimum count."""

    organisation_id: int | None = None
    first: date | None = None
    last: date | None = None
    min_donations: int | None = None


def check_period(first: date | None, last: date | None) -> None:
    errors: dict[str, str] = {}
    if first is not None and last is not None and first > last:
        errors["from"] = "Từ ngày phải trước hoặc bằng đến ngày / from must be on or before to"
    if errors:
        raise DonorInvalid(errors)


def donor_rows(session: Session, user: User | None, query: DonorQuery) -> list[DonorRow]:
    """The donors the user may read, with their donations in the period and in all; with a
    minimum, the repeat donors only. Most donations in the period first, then by name in
    Vietnamese order (folded: "Ánh" before "Bùi"), which no database collation gives alike
    on SQLite and PostgreSQL, so the sort is done here."""
    period = [Donation.donor_id == Donor.id]
    if query.first is not None:
        period.append(Donation.donated_on >= query.first)
    if query.last is not None:
        period.append(Donation.donated_on <= query.last)
    in_period = (
        select(func.count(Donation.id)).where(and_(*period)).correlate(Donor).scalar_subquery()
    )
    latest = (
        select(func.max(Donation.donated_on)).where(and_(*period)).correlate(Donor)
    ).scalar_subquery()
    total = (
        select(func.count(Donation.id)).where(Donation.donor_id == Donor.id).correlate(Donor)
    ).scalar_subquery()
    stmt = select(Donor, in_period, total, latest).where(donor_condition(session, user))
    if query.organisation_id is not None:
        stmt = stmt.where(Donor.organisation_id == query.organisation_id)
    if query.min_donations is not None:
        stmt = stmt.where(in_period >= query.min_donations)
    rows = [
        DonorRow(donor, int(n or 0), int(t or 0), _as_date(last))
        for donor, n, t, last in session.execute(stmt)
    ]
    by_count = query.min_donations is not None
    rows.sort(key=lambda r: (-r.in_period if by_count else 0, fold(r.donor.full_name), r.donor.id))
    return rows


@dataclass(frozen=True)
class DonorRow:
    donor: Donor
    in_period: int
    total: int
    latest: date | None


def _as_date(value: Any) -> date | None:
    if isinstance(value, str):  # SQLite hands MAX() of a date back as text
        return date.fromisoformat(value)
    return value


def record_list(
    session: Session, user: User, donors: Iterable[Donor], fallback_org: int | None
) -> None:
    """One "list" entry per organisation whose donors were shown, with their ids: a unit's
    admins see when the department read their register."""
    by_org: dict[int | None, list[int]] = {}
    for donor in donors:
        by_org.setdefault(donor.organisation_id, []).append(donor.id)
    if not by_org:
        by_org[fallback_org] = []
    for org_id, ids in by_org.items():
        record(session, user, "list", ENTITY, None, org_id, {"ids": ids, "count": len(ids)})


def list_organisation(session: Session, user: User, organisation_id: int | None) -> int | None:
    """The organisation filter a list may use: any for the department's admins, else only
    the user's own (another one answers as missing)."""
    if organisation_id is None:
        return None if sees_everything(session, user) else user.organisation_id
    own = sees_everything(session, user) or organisation_id == user.organisation_id
    if own and session.get(Organisation, organisation_id) is not None:
        return organisation_id
    raise DonorInvalid({"organisation_id": "Không có đơn vị này / no such organisation"})
