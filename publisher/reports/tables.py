"""The report's tables as the documents lay them out: one list, shared by DOCX and XLSX.

Each cell holds the value of the JSON it comes from (an ``int`` stays an ``int``, a time
stays a time), so the documents format the same numbers and never count on their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# Column kinds: how a document writes a cell.
TEXT, NUMBER, DATE, DATETIME, LINK = "text", "number", "date", "datetime", "link"
STATUS_LABELS = {"failed": "Lỗi", "expired": "Hết hạn"}
# A unit's coverage of guidance (publisher.organisations.guidance.COVERAGE_STATUSES).
COVERAGE_LABELS = {
    "pending": "Chưa thực hiện",
    "in_progress": "Đang thực hiện",
    "done": "Đã thực hiện",
    "overdue": "Quá hạn",
}


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = TEXT
    width: float = 1.0  # relative width in the DOCX


@dataclass
class Table:
    key: str
    title: str  # the section heading and the XLSX sheet's name (at most 31 characters)
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""
    in_docx: bool = True


def _when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def report_tables(report: dict[str, Any]) -> list[Table]:
    """Every table of the results report, in document order."""
    pubs, loud, feeds = report["publications"], report["broadcasts"], report["feeds"]
    drives, failures, engagement = report["drives"], report["failures"], report["engagement"]
    measures = engagement["measures"]
    tables = [
        Table(
            "summary",
            "Tổng hợp",
            [Column("Chỉ tiêu", width=4), Column("Số lượng", NUMBER)],
            [[row["label"], row["value"]] for row in report["summary"]],
        ),
        Table(
            "by_kind",
            "Theo loại kênh",
            [Column("Loại kênh", width=3), Column("Tin đã đăng", NUMBER)],
            [[row["label"], row["published"]] for row in pubs["by_kind"]],
        ),
        Table(
            "by_channel",
            "Theo kênh",
            [
                Column("Kênh", width=3),
                Column("Loại kênh", width=2),
                Column("Tin đã đăng", NUMBER),
                Column("Đã gỡ", NUMBER),
            ],
            [
                [row["channel"], row["kind_label"], row["published"], row["withdrawn"]]
                for row in pubs["by_channel"]
            ],
        ),
        Table(
            "broadcasts",
            "Loa truyền thanh cơ sở",
            [
                Column("Mã xã", width=1),
                Column("Xã, phường", width=3),
                Column("Tin đã lên lịch", NUMBER),
                Column("Tin đã phát", NUMBER),
                Column("Chưa xác nhận", NUMBER),
            ],
            [
                [e["commune_code"], e["name"], e["scheduled"], e["aired"], e["not_aired"]]
                for e in loud["communes"]
            ],
            note=(
                "Xã, phường chưa xác nhận phát tin nào: "
                + (", ".join(e["name"] for e in loud["silent"]) or "không có")
                + "."
            ),
        ),
        Table(
            "feeds",
            "Tin bài trên cổng thông tin",
            [Column("Nguồn tin", width=4), Column("Tin bài", NUMBER)],
            [[row["channel"], row["articles"]] for row in feeds["by_channel"]],
        ),
        Table(
            "drives",
            "Các đợt hiến máu",
            [
                Column("Đợt hiến máu", width=3),
                Column("Bắt đầu", DATETIME, width=1.6),
                Column("Tin trước đợt", NUMBER),
                Column("Tin sau khi bắt đầu", NUMBER),
                Column("Kênh", width=3),
            ],
            [
                [
                    d["name"],
                    _when(d["starts_at"]),
                    d["before"],
                    d["after"],
                    ", ".join(d["channels"]),
                ]
                for d in drives["items"]
            ],
        ),
        *guidance_tables(report["guidance"]),
        Table(
            "failures",
            "Lỗi và hết hạn",
            [Column("Tình trạng"), Column("Lý do", width=5), Column("Số tin", NUMBER)],
            [
                [STATUS_LABELS.get(r["status"], r["status"]), r["reason"], r["count"]]
                for r in failures["by_reason"]
            ],
        ),
        Table(
            "engagement",
            "Tương tác",
            [Column("Tin", width=3), Column("Kênh", width=2)]
            + [Column(m["label"], NUMBER) for m in measures]
            + [Column("Thời điểm đọc", DATETIME, width=1.6)],
            [
                [row["title"], row["channel"]]
                + [row["figures"][m["name"]] for m in measures]
                + [_when(row["read_at"])]
                for row in engagement["items"]
            ],
        ),
        Table(
            "published",
            "Danh sách tin đã đăng",
            [
                Column("Mã", NUMBER, width=0.7),
                Column("Tin", width=3),
                Column("Kênh", width=2),
                Column("Thời điểm đăng", DATETIME, width=1.6),
                Column("Liên kết", LINK, width=3),
            ],
            [
                [
                    item["publication_id"],
                    item["title"],
                    item["channel"],
                    _when(item["published_at"]),
                    item["external_url"] or "",
                ]
                for item in pubs["items"]
            ],
        ),
    ]
    return tables


def guidance_tables(guidance: dict[str, Any]) -> list[Table]:
    """How many units are at each status, then each unit's row for each guidance."""
    return [
        Table(
            "guidance_totals",
            "Thực hiện hướng dẫn của Sở",
            [Column("Tình trạng", width=4), Column("Số đơn vị", NUMBER)],
            [
                [COVERAGE_LABELS.get(status, status), count]
                for status, count in guidance["totals"].items()
            ],
        ),
        Table(
            "guidance",
            "Hướng dẫn theo đơn vị",
            [
                Column("Hướng dẫn", width=3),
                Column("Hạn", DATE, width=1.2),
                Column("Đơn vị", width=3),
                Column("Tình trạng", width=1.5),
                Column("Tin của đơn vị", NUMBER),
                Column("Minh chứng", NUMBER),
            ],
            [
                [
                    row["title"],
                    _day(row["due_on"]),
                    row["organisation"],
                    COVERAGE_LABELS.get(row["status"], row["status"]),
                    row["publications"],
                    row["evidence"],
                ]
                for row in guidance["items"]
            ],
        ),
    ]


def detail_table(report: dict[str, Any]) -> Table:
    """Every row behind the figures, one line per publication, airing or failure."""
    rows: list[list[Any]] = []
    for item in report["publications"]["items"]:
        rows.append(
            [
                "Đã đăng",
                item["publication_id"],
                item["title"],
                item["channel"],
                item["kind_label"],
                "",
                _when(item["published_at"]),
                "Đã gỡ" if item["withdrawn"] else "",
                item["external_url"] or "",
            ]
        )
    for item in report["broadcasts"]["items"]:
        rows.append(
            [
                "Phát loa",
                item["publication_id"],
                item["title"],
                "",
                "",
                item["commune"],
                _day(item["air_date"]),
                "Đã phát" if item["confirmed_at"] else "Chưa xác nhận",
                "",
            ]
        )
    for item in report["failures"]["items"]:
        rows.append(
            [
                STATUS_LABELS.get(item["status"], item["status"]),
                item["publication_id"],
                item["title"],
                item["channel"],
                item["kind_label"],
                "",
                _when(item["scheduled_at"]),
                item["reason"],
                "",
            ]
        )
    return Table(
        "rows",
        "Dữ liệu chi tiết",
        [
            Column("Mục"),
            Column("Mã tin", NUMBER),
            Column("Tin"),
            Column("Kênh"),
            Column("Loại kênh"),
            Column("Xã, phường"),
            Column("Thời điểm", DATETIME),
            Column("Tình trạng, lý do"),
            Column("Liên kết", LINK),
        ],
        rows,
        in_docx=False,
    )
