"""Which items a commune's bulletin holds for a day, in what order, with which words."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta

from content_library.db import utcnow
from publisher.delivery.models import Publication
from publisher.delivery.publications import cancel
from publisher.loudspeaker.bulletins import bulletin_for, bulletins_for_day, items_for
from tests.integration.loudspeaker_support import (
    DAY,
    DOAN_KET,
    LOCAL,
    MUONG_KIM,
    TAN_PHONG,
    local,
    loudspeaker_channel,
    released,
    scheduled,
)
from tests.servers import run_pipeline

HMTN = (
    "Đợt HMTN ngày 20/12/2024 lúc 7h30 tại Hội trường UBND TP. Lai Châu, mục tiêu 350 đơn vị máu."
)
HMTN_READ = (
    "Đợt hiến máu tình nguyện ngày hai mươi tháng mười hai năm hai nghìn không trăm hai mươi tư "
    "lúc bảy giờ ba mươi tại hội trường ủy ban nhân dân thành phố Lai Châu, mục tiêu ba trăm "
    "năm mươi đơn vị máu."
)


def ids(bulletin, slot: str | None = None) -> list[int]:
    return [
        entry.item.publication_id
        for s in bulletin.slots
        if slot is None or s.slot == slot
        for entry in s.entries
    ]


def test_only_channels_covering_the_commune(app, db):
    ours = loudspeaker_channel(db, [TAN_PHONG, DOAN_KET])
    theirs = loudspeaker_channel(db, [MUONG_KIM])
    mine = released(db, ours, local(DAY, 6), title="Của phường")
    other = released(db, theirs, local(DAY, 6), title="Của xã khác")
    db.commit()
    assert ids(bulletin_for(db, TAN_PHONG, DAY)) == [mine.id]
    assert ids(bulletin_for(db, DOAN_KET, DAY)) == [mine.id]
    assert ids(bulletin_for(db, MUONG_KIM, DAY)) == [other.id]
    bulletin = bulletin_for(db, TAN_PHONG, DAY)
    assert (bulletin.commune_name, bulletin.commune_kind) == ("Tân Phong", "phường")
    assert bulletin.slots[0].opening[0] == "Đây là Đài truyền thanh phường Tân Phong."


def test_local_day_boundaries(app, db):
    channel = loudspeaker_channel(db, [TAN_PHONG])
    first = released(db, channel, local(DAY, 0, 0))
    last = released(db, channel, local(DAY, 23, 59))
    released(db, channel, local(DAY, 0, 0) - timedelta(minutes=1))  # the day before, locally
    released(db, channel, local(DAY + timedelta(days=1), 0, 0))
    db.commit()
    bulletin = bulletin_for(db, TAN_PHONG, DAY)
    assert ids(bulletin, "morning") == [first.id]
    assert ids(bulletin, "evening") == [last.id]
    # Stored in UTC, where the first item falls on the day before.
    assert db.get(Publication, first.id).scheduled_at.astimezone(UTC).date() < DAY


def test_priority_then_time_order_and_slots(app, db):
    channel = loudspeaker_channel(db, [TAN_PHONG])
    normal_early = released(db, channel, local(DAY, 5, 30), priority="normal")
    urgent_late = released(db, channel, local(DAY, 9), priority="emergency")
    priority = released(db, channel, local(DAY, 7), priority="priority")
    normal_late = released(db, channel, local(DAY, 6), priority="normal")
    evening_by_hour = released(db, channel, local(DAY, 12, 0))
    evening_by_slot = released(db, channel, local(DAY, 6, 15), slot="evening")
    db.commit()
    bulletin = bulletin_for(db, TAN_PHONG, DAY)
    expected = [urgent_late.id, priority.id, normal_early.id, normal_late.id]
    assert ids(bulletin, "morning") == expected
    assert ids(bulletin, "evening") == [evening_by_slot.id, evening_by_hour.id]
    labels = [e.priority_label for e in bulletin.slots[0].entries]
    assert labels == ["Khẩn cấp", "Ưu tiên", "Thông thường", "Thông thường"]


def test_reading_text_repeats_duration_and_rate(app, db):
    channel = loudspeaker_channel(db, [TAN_PHONG], slots={"morning": "05:45"})
    pub = released(db, channel, local(DAY, 6), body=HMTN, repeats=3)
    db.commit()
    bulletin = bulletin_for(db, TAN_PHONG, DAY)
    entry = bulletin.slots[0].entries[0]
    assert entry.item.reading_text == HMTN_READ
    assert entry.item.text == HMTN
    assert entry.item.repeats == 3
    syllables = len(HMTN_READ.replace(",", " ").replace(".", " ").split())
    assert entry.seconds_once == -(-syllables * 60 // 190)
    assert entry.seconds == 3 * entry.seconds_once
    assert bulletin.slots[0].time == "05:45"
    assert bulletin.rate_per_minute == 190
    assert bulletin.seconds == sum(s.seconds for s in bulletin.slots)
    assert pub.id == entry.item.publication_id


def test_reading_rate_setting(app, db):
    channel = loudspeaker_channel(db, [TAN_PHONG])
    released(db, channel, local(DAY, 6), body=HMTN)
    db.commit()
    usual = bulletin_for(db, TAN_PHONG, DAY)
    app.config["SETTINGS"] = replace(app.config["SETTINGS"], READING_RATE=95)
    slow = bulletin_for(db, TAN_PHONG, DAY)
    assert (usual.rate_per_minute, slow.rate_per_minute) == (190, 95)
    assert slow.slots[0].entries[0].seconds_once > usual.slots[0].entries[0].seconds_once


def test_editors_correction_wins(app, db):
    channel = loudspeaker_channel(db, [TAN_PHONG])
    corrected = "Đợt hiến máu ngày hai mươi tháng Chạp, bà con nhớ đến sớm."
    released(db, channel, local(DAY, 6), body=HMTN, reading_text=corrected)
    released(db, channel, local(DAY, 7), body=HMTN)
    db.commit()
    entries = bulletin_for(db, TAN_PHONG, DAY).slots[0].entries
    assert [e.item.reading_text for e in entries] == [corrected, HMTN_READ]


def test_variants_shown_as_written(app, db):
    channel = loudspeaker_channel(db, [TAN_PHONG])
    variants = {
        "hmn": {"name": "Tiếng Mông", "text": "Tuaj pub ntshav rau 20/12/2024 HMTN."},
        "tdd": {"text": "Thái 14/6"},
    }
    released(db, channel, local(DAY, 6), body=HMTN, variants=variants)
    db.commit()
    item = bulletin_for(db, TAN_PHONG, DAY).slots[0].entries[0].item
    assert [(v.language, v.language_name, v.text) for v in item.variants] == [
        ("hmn", "Tiếng Mông", "Tuaj pub ntshav rau 20/12/2024 HMTN."),
        ("tdd", "Thái", "Thái 14/6"),
    ]
    assert item.reading_text == HMTN_READ


def test_withdrawn_item_leaves_bulletins_not_yet_aired(app, db):
    channel = loudspeaker_channel(db, [TAN_PHONG])
    aired_day = utcnow().astimezone(LOCAL).date() - timedelta(days=1)
    past = released(db, channel, local(aired_day, 6))
    future = released(db, channel, local(DAY, 6))
    never = scheduled(db, channel, local(DAY, 7))
    db.commit()
    for pub in (past, future, never):
        cancel(db, pub)
    db.commit()
    assert db.get(Publication, future.id).withdrawn_at is not None
    assert ids(bulletin_for(db, TAN_PHONG, DAY)) == []
    # Withdrawn after yesterday's 06:00 session aired: it stays in yesterday's record.
    assert ids(bulletin_for(db, TAN_PHONG, aired_day)) == [past.id]


def test_withdrawal_before_the_session_on_the_day(app, db):
    channel = loudspeaker_channel(db, [TAN_PHONG], slots={"morning": "06:00", "evening": "17:30"})
    morning = released(db, channel, local(DAY, 6))
    evening = released(db, channel, local(DAY, 17))
    for pub in (morning, evening):
        pub.status = "cancelled"
        pub.cancelled_at = pub.withdrawn_at = local(DAY, 12)
    db.commit()
    # Withdrawn at noon: the morning session had aired, the evening one had not.
    assert ids(bulletin_for(db, TAN_PHONG, DAY)) == [morning.id]


def test_unreleased_and_failed_items_are_not_in_bulletins(app, db):
    channel = loudspeaker_channel(db, [TAN_PHONG])
    scheduled(db, channel, local(DAY, 6))
    failed = released(db, channel, local(DAY, 7))
    failed.status = "failed"
    db.commit()
    assert bulletin_for(db, TAN_PHONG, DAY).is_empty
    assert bulletin_for(db, TAN_PHONG, DAY).slots[0].empty_notice


def test_same_words_on_two_channels_are_read_once(app, db):
    first = loudspeaker_channel(db, [TAN_PHONG])
    second = loudspeaker_channel(db, [TAN_PHONG, DOAN_KET])
    pub = released(db, first, local(DAY, 6), body=HMTN)
    twin = released(db, second, local(DAY, 6), content=pub.content)
    db.commit()
    assert ids(bulletin_for(db, TAN_PHONG, DAY)) == [pub.id]
    assert ids(bulletin_for(db, DOAN_KET, DAY)) == [twin.id]


def test_batch_matches_single(app, db):
    channel = loudspeaker_channel(db, [TAN_PHONG, DOAN_KET])
    released(db, channel, local(DAY, 6), body=HMTN, priority="priority")
    released(db, loudspeaker_channel(db, [DOAN_KET]), local(DAY, 18))
    db.commit()
    batch = bulletins_for_day(db, DAY, [TAN_PHONG, DOAN_KET, MUONG_KIM, "99999"])
    assert sorted(batch) == sorted([DOAN_KET, MUONG_KIM, TAN_PHONG])
    for code in (TAN_PHONG, DOAN_KET, MUONG_KIM):
        assert batch[code] == bulletin_for(db, code, DAY)
    assert len(bulletins_for_day(db, DAY)) == 38
    assert [i.publication_id for i in items_for(db, DOAN_KET, DAY)] == ids(batch[DOAN_KET])


def test_release_at_the_release_hour_the_day_before(app, db):
    """Tomorrow-morning items enter bulletins at BULLETIN_RELEASE_HOUR (18:00) the day before."""
    channel = loudspeaker_channel(db, [TAN_PHONG])
    pub = scheduled(db, channel, local(DAY, 6, 30), body=HMTN, priority="emergency")
    db.commit()
    eve = DAY - timedelta(days=1)
    assert db.get(Publication, pub.id).next_attempt_at == local(eve, 18)
    db.rollback()

    run_pipeline(app, now=local(eve, 17, 59))
    db.expire_all()
    assert db.get(Publication, pub.id).status == "scheduled"
    assert bulletin_for(db, TAN_PHONG, DAY).is_empty
    db.rollback()

    run_pipeline(app, now=local(eve, 18, 0))
    db.expire_all()
    row = db.get(Publication, pub.id)
    assert row.status == "published"
    assert row.external_id == f"loudspeaker-{pub.id}"
    bulletin = bulletin_for(db, TAN_PHONG, DAY)
    assert ids(bulletin, "morning") == [pub.id]
    assert bulletin.slots[0].entries[0].item.reading_text == HMTN_READ
    assert bulletin.slots[0].entries[0].priority_label == "Khẩn cấp"
