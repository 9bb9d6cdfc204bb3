"""The day's package for IP loudspeaker platforms: one MP3 per item and ``lich-phat.csv``.

Platforms under Thông tư 39/2020/TT-BTTTT play uploaded files on a schedule at three
priority levels; an operator uploads each file and copies its row (session, time,
priority, repeats, valid dates) into the platform's schedule. The CSV carries a BOM so
that spreadsheet programs open the Vietnamese letters correctly.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping
from datetime import datetime, time
from zoneinfo import ZoneInfo

from channels.loudspeaker.audio_mp3 import AudioRenderer, ItemAudio
from channels.loudspeaker.bulletin import Bulletin

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
SCHEDULE_NAME = "lich-phat.csv"
# The three levels of Thông tư 39/2020/TT-BTTTT, as the platforms name them.
PRIORITY_NAMES = {"normal": "thông thường", "priority": "ưu tiên", "emergency": "khẩn cấp"}
COLUMNS = (
    "tep",
    "buoi",
    "gio_phat",
    "muc_do",
    "so_lan_phat",
    "thoi_luong_giay",
    "hieu_luc_tu",
    "hieu_luc_den",
    "tieu_de",
    "giong_doc",
)


def slug(text: str, limit: int = 40) -> str:
    """ASCII file-name words: "Hiến máu 14/6" → "hien-mau-14-6"."""
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = folded.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:limit].strip("-") or "tin"


def _local(moment: datetime) -> str:
    return moment.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")


def schedule_rows(bulletin: Bulletin, files: Iterable[tuple[str, ItemAudio]]) -> list[dict]:
    """One row per item file: when, how urgent, how often, how long, from when to when."""
    slots = {slot.slot: slot for slot in bulletin.slots}
    rows = []
    for name, audio in files:
        item = audio.item
        slot = slots[item.slot]
        hour, minute = (int(part) for part in slot.time.split(":"))
        starts = datetime.combine(bulletin.day, time(hour, minute), LOCAL)
        ends = item.valid_until or datetime.combine(bulletin.day, time(23, 59), LOCAL)
        rows.append(
            {
                "tep": name,
                "buoi": slot.name,
                "gio_phat": slot.time,
                "muc_do": PRIORITY_NAMES[item.priority],
                "so_lan_phat": item.repeats,
                "thoi_luong_giay": round(audio.audio.seconds),
                "hieu_luc_tu": _local(starts),
                "hieu_luc_den": _local(ends),
                "tieu_de": item.title,
                "giong_doc": "người đọc" if audio.recorded else "giọng máy (bản nháp)",
            }
        )
    return rows


def schedule_csv(rows: Iterable[Mapping]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def build_package(
    bulletin: Bulletin, recordings: Mapping[str, bytes], renderer: AudioRenderer
) -> bytes:
    """The zip: ``01-buoi-sang-<title>.mp3`` … in reading order, and ``lich-phat.csv``."""
    files: list[tuple[str, ItemAudio]] = []
    for slot in bulletin.slots:
        for entry in slot.entries:
            number = len(files) + 1
            name = f"{number:02d}-{slug(slot.name, 12)}-{slug(entry.item.title)}.mp3"
            files.append((name, renderer.item(entry.item, recordings)))
    out = io.BytesIO()
    # MP3 does not compress further: stored, so building a package costs no CPU.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, audio in files:
            archive.writestr(name, audio.audio.data)
        archive.writestr(SCHEDULE_NAME, schedule_csv(schedule_rows(bulletin, files)))
    return out.getvalue()
