"""Sample bulletin items shared by the loudspeaker tests (plain helpers, not fixtures)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from channels.loudspeaker import BulletinItem, LanguageVariant, build_bulletin, spell_out
from channels.loudspeaker.bulletin import Bulletin

VN = timezone(timedelta(hours=7))
DAY = date(2024, 12, 20)

DRIVE_TEXT = (
    "Đợt HMTN ngày 20/12/2024 lúc 7h30 tại Hội trường UBND TP. Lai Châu, mục tiêu 350 đơn vị máu."
)
MONG_TEXT = "Peb caw koj tuaj pub ntshav rau hnub 20/12/2024."


def item(
    publication_id: int,
    *,
    priority: str = "normal",
    slot: str = "morning",
    repeats: int = 2,
    hour: int = 8,
    text: str = "Mời bà con tham gia hiến máu.",
    valid_until: datetime | None = None,
    variants: tuple[LanguageVariant, ...] = (),
) -> BulletinItem:
    """A bulletin item with sensible defaults."""
    return BulletinItem(
        publication_id=publication_id,
        title=f"Thông báo số {publication_id}",
        text=text,
        reading_text=spell_out(text),
        priority=priority,
        slot=slot,
        repeats=repeats,
        scheduled_at=datetime(2024, 12, 19, hour, tzinfo=VN),
        valid_until=valid_until,
        variants=variants,
    )


def sample_bulletin() -> Bulletin:
    """A bulletin with items of every priority, both sessions and a Mông variant."""
    items = [
        item(
            1,
            text=DRIVE_TEXT,
            repeats=3,
            valid_until=datetime(2024, 12, 20, 10, tzinfo=VN),
            variants=(LanguageVariant("hmn", "Mông", MONG_TEXT),),
        ),
        item(2, priority="emergency", text="Bệnh viện cần gấp máu nhóm O."),
        item(3, priority="priority", slot="evening", text="Chủ nhật Đỏ năm 2025."),
    ]
    return build_bulletin("03385", "Bản Hon", "xã", DAY, items)
