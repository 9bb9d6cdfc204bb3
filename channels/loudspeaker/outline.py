"""The bulletin as an outline of (kind, text) blocks shared by every document format.

TXT, DOCX and PDF all render this outline, so they never disagree on wording;
each maps the block kinds to its own styles.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, timezone

from channels.loudspeaker.bulletin import Bulletin

# Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed offset
# shows local dates without depending on the machine's tz database.
VIETNAM = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")

# Block kinds of the outline, in the order a renderer may meet them.
TITLE, SUBTITLE, NOTE, HEADING, SPOKEN, EMPTY, ITEM, META, BODY, VARIANT_LABEL, VARIANT = (
    "title",
    "subtitle",
    "note",
    "heading",
    "spoken",
    "empty",
    "item",
    "meta",
    "body",
    "variant_label",
    "variant",
)

Block = tuple[str, str]

# Language names are given bare ("Mông"); tolerate "Tiếng Mông" too.
_TIENG = re.compile(r"^\s*tiếng\s+", re.IGNORECASE)


def vietnamese_date(day: date) -> str:
    """E.g. "Thứ Sáu, ngày 20 tháng 12 năm 2024"."""
    return f"{WEEKDAYS[day.weekday()]}, ngày {day.day} tháng {day.month} năm {day.year}"


def duration_text(seconds: int) -> str:
    """E.g. 80 -> "1 phút 20 giây", 120 -> "2 phút", 45 -> "45 giây"."""
    minutes, rest = divmod(max(0, int(seconds)), 60)
    parts = []
    if minutes:
        parts.append(f"{minutes} phút")
    if rest or not minutes:
        parts.append(f"{rest} giây")
    return " ".join(parts)


def _local_day(moment: datetime) -> str:
    local = moment.astimezone(VIETNAM)
    return f"{local.day:02d}/{local.month:02d}/{local.year}"


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def outline(bulletin: Bulletin) -> list[Block]:
    """The bulletin as (kind, text) blocks, every text in NFC."""
    blocks: list[Block] = [
        (TITLE, bulletin.title.upper()),
        (SUBTITLE, vietnamese_date(bulletin.day)),
        (
            NOTE,
            f"Mã {bulletin.commune_kind} {bulletin.commune_code}. "
            f"Tổng thời lượng dự kiến khoảng {duration_text(bulletin.seconds)} "
            f"(đọc {bulletin.rate_per_minute} tiếng/phút).",
        ),
    ]
    for slot in bulletin.slots:
        blocks.append(
            (
                HEADING,
                f"{slot.name.upper()} ({slot.time}), khoảng {duration_text(slot.seconds)}",
            )
        )
        blocks += [(SPOKEN, line) for line in slot.opening]
        if slot.empty_notice:
            blocks.append((EMPTY, slot.empty_notice))
        for number, entry in enumerate(slot.entries, start=1):
            item = entry.item
            blocks.append((ITEM, f"{number}. [{entry.priority_label}] {item.title}"))
            blocks.append(
                (
                    META,
                    f"Đọc {item.repeats} lần, mỗi lần khoảng {duration_text(entry.seconds_once)} "
                    f"(tổng khoảng {duration_text(entry.seconds)}).",
                )
            )
            if item.valid_until is not None:
                blocks.append((META, f"Hiệu lực đến hết ngày {_local_day(item.valid_until)}."))
            blocks += [(BODY, paragraph) for paragraph in _paragraphs(item.reading_text)]
            for variant in item.variants:
                name = _TIENG.sub("", variant.language_name)
                blocks.append((VARIANT_LABEL, f"Bản tiếng {name} ({variant.language}):"))
                blocks += [(VARIANT, paragraph) for paragraph in _paragraphs(variant.text)]
        blocks += [(SPOKEN, line) for line in slot.closing]
    return [(kind, unicodedata.normalize("NFC", text)) for kind, text in blocks]
