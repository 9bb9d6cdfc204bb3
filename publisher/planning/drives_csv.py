"""Importing donation drives from CSV (the plan's table of drives, kept by the press office).

Columns: ``ref,campaign_slug,name,starts_at,ends_at,location,commune_code,
target_units,status,is_sample``; times are LOCAL (Asia/Ho_Chi_Minh) ``YYYY-MM-DD HH:MM``.
Rows are matched to drives by ``ref`` (stored as ``external_ref``). Every row is
checked before anything is written: one bad row and nothing is imported, and
every problem is reported with its line number, so the file can be fixed in one go.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from content_library.models import DRIVE_STATUSES, Campaign, Commune, Drive
from content_library.sanitize import nfc
from publisher.planning.vietnamese_dates import LOCAL_TZ

COLUMNS = (
    "ref",
    "campaign_slug",
    "name",
    "starts_at",
    "ends_at",
    "location",
    "commune_code",
    "target_units",
    "status",
    "is_sample",
)
REQUIRED = ("ref", "name", "starts_at", "ends_at", "location", "commune_code")
_TRUE = {"true", "1", "yes", "có", "x"}
_FALSE = {"false", "0", "no", "không", ""}


@dataclass
class ImportSummary:
    """What an import did; with any ``errors`` it wrote nothing."""

    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)
    unchanged: int = 0

    def line(self) -> str:
        if self.errors:
            count = len(self.errors)
            return f"{count} lỗi, không nhập dòng nào / {count} error(s), nothing imported"
        return (
            f"{self.created} mới, {self.updated} cập nhật, {self.unchanged} không đổi / "
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        )


class DrivesImportFailed(ValueError):
    """A drives file that must import cleanly (the shipped plan) did not."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("drives import failed: " + "; ".join(errors[:10]))
        self.errors = errors


def read_rows(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """The file's rows with their line numbers, or the reason it cannot be read."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return [], [f"không đọc được tệp {path} / cannot read the file: {exc.strerror}"]
    except UnicodeDecodeError as exc:
        return [], [f"tệp không phải UTF-8 (byte {exc.start}) / the file is not UTF-8"]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        return [], [
            "dòng 1: thiếu cột "
            + ", ".join(missing)
            + " / missing column(s) "
            + ", ".join(missing)
            + " (expected: "
            + ",".join(COLUMNS)
            + ")"
        ]
    reader.fieldnames = header
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for raw in reader:
            values = {k: (v or "").strip() for k, v in raw.items() if k is not None}
            if raw.get(None):  # type: ignore[call-overload]
                values["__extra__"] = "yes"
            if any(values.values()):
                # The line the row ends on: the row's own line unless a quoted field wraps.
                rows.append((reader.line_num, values))
    except csv.Error as exc:
        return [], [f"dòng {reader.line_num}: CSV hỏng / malformed CSV: {exc}"]
    return rows, []


def import_drives_csv(
    session: Session,
    path: Path | str,
    *,
    update_existing: bool = True,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Create drives by ``ref`` and (unless ``update_existing`` is false) update known ones.

    A drive that moves or is cancelled by the import takes its planned
    publications along, as an edit through the API would. Flushes, never commits.
    """
    rows, errors = read_rows(Path(path))
    if errors:
        return ImportSummary(errors=errors)
    campaigns = {c.slug: c.id for c in session.scalars(select(Campaign))}
    communes = set(session.scalars(select(Commune.code)))
    parsed: list[tuple[str, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        values = _check_row(line, row, campaigns, communes, errors)
        ref = row.get("ref", "")
        if ref in seen:
            errors.append(f"dòng {line}: ref “{ref}” trùng với dòng {seen[ref]} / duplicate ref")
        elif ref:
            seen[ref] = line
        if values is not None:
            parsed.append((ref, values))
    if errors:
        return ImportSummary(errors=errors)

    existing = {
        d.external_ref: d
        for d in session.scalars(select(Drive).where(Drive.external_ref.in_(list(seen))))
    }
    summary = ImportSummary()
    moved: list[tuple[Drive, datetime, str]] = []
    for ref, values in parsed:
        drive = existing.get(ref)
        if drive is None:
            session.add(Drive(external_ref=ref, **values))
            summary.created += 1
        elif not update_existing or all(getattr(drive, k) == v for k, v in values.items()):
            summary.unchanged += 1
        else:
            moved.append((drive, drive.starts_at, drive.status))
            for name, value in values.items():
                setattr(drive, name, value)
            summary.updated += 1
        if progress is not None:
            progress(1)
    session.flush()
    if moved:
        from publisher.planning.follow import follow_drive

        for drive, previous_start, previous_status in moved:
            follow_drive(
                session, drive, previous_start=previous_start, previous_status=previous_status
            )
    return summary


def _check_row(
    line: int,
    row: dict[str, str],
    campaigns: dict[str, int],
    communes: set[str],
    errors: list[str],
) -> dict[str, Any] | None:
    before = len(errors)

    def fail(column: str, message: str) -> None:
        errors.append(f"dòng {line}, cột {column}: {message}")

    if row.get("__extra__"):
        errors.append(
            f"dòng {line}: nhiều giá trị hơn số cột; giá trị có dấu phẩy phải đặt trong "
            "ngoặc kép / more values than columns: quote values that contain commas"
        )

    for column in REQUIRED:
        if not row.get(column):
            fail(column, "bắt buộc, đang để trống / required")
    ref = row.get("ref", "")
    if len(ref) > 80:
        fail("ref", "dài quá 80 ký tự / longer than 80 characters")
    slug = row.get("campaign_slug", "")
    if slug and slug not in campaigns:
        fail("campaign_slug", f"không có chiến dịch “{slug}” / no such campaign")
    starts = _local(row.get("starts_at", ""), "starts_at", fail)
    ends = _local(row.get("ends_at", ""), "ends_at", fail)
    if starts and ends and ends <= starts:
        fail("ends_at", "phải sau starts_at / must be after starts_at")
    code = row.get("commune_code", "")
    if code and code not in communes:
        fail("commune_code", f"không có xã, phường mã “{code}” / no such commune code")
    target = None
    if row.get("target_units"):
        try:
            target = int(row["target_units"])
            if target < 0:
                raise ValueError
        except ValueError:
            fail(
                "target_units",
                f"“{row['target_units']}” không phải số nguyên không âm "
                "/ not a non-negative integer",
            )
    status = row.get("status") or "planned"
    if status not in DRIVE_STATUSES:
        fail("status", f"“{status}” không hợp lệ; dùng {', '.join(DRIVE_STATUSES)} / invalid")
    sample = row.get("is_sample", "").lower()
    if sample not in _TRUE | _FALSE:
        fail("is_sample", f"“{row['is_sample']}” phải là true hoặc false / must be true or false")
    for column, limit in (("name", 200), ("location", 300)):
        if len(row.get(column, "")) > limit:
            fail(column, f"dài quá {limit} ký tự / longer than {limit} characters")
    if len(errors) > before:
        return None
    return {
        "campaign_id": campaigns.get(slug) if slug else None,
        "name": nfc(row["name"]),
        "starts_at": starts,
        "ends_at": ends,
        "location": nfc(row["location"]),
        "commune_code": code,
        "target_units": target,
        "status": status,
        "is_sample": sample in _TRUE,
    }


def _local(value: str, column: str, fail: Callable[[str, str], None]) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.strptime(value, "%Y-%m-%d %H:%M")
    except ValueError:
        fail(
            column,
            f"“{value}” không phải giờ địa phương dạng YYYY-MM-DD HH:MM "
            "/ not a local date-time YYYY-MM-DD HH:MM",
        )
        return None
    return parsed.replace(tzinfo=LOCAL_TZ).astimezone(UTC)
