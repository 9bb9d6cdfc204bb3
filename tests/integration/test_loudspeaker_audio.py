"""MP3 bulletins and platform packages, read back by independent parsers (mutagen, zipfile)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from channels.loudspeaker import count_syllables
from channels.loudspeaker.audio_mp3 import (
    PAUSE_AFTER_OPENING,
    PAUSE_BETWEEN_ITEMS,
    PAUSE_BETWEEN_REPEATS,
    PAUSE_BETWEEN_SESSIONS,
)
from jobqueue.worker import EmbeddedWorker
from publisher.delivery.dispatch import dispatch_once
from publisher.delivery.models import Publication
from publisher.loudspeaker.audio_renders import render_day_audio
from publisher.loudspeaker.bulletins import bulletin_for
from tests.integration.audio_support import needs_espeak
from tests.integration.loudspeaker_support import (
    DAY,
    MUONG_KIM,
    TAN_PHONG,
    local,
    loudspeaker_channel,
    released,
    scheduled,
)

pytestmark = needs_espeak
URL = f"/scripts/{TAN_PHONG}/{DAY.isoformat()}"
BODY = "Đợt HMTN ngày 20/12/2024 lúc 7h30 tại Hội trường UBND TP. Lai Châu."


@pytest.fixture
def rows(app, db):
    channel = loudspeaker_channel(db, [TAN_PHONG, MUONG_KIM])
    released(db, channel, local(DAY, 6), title="Lịch hiến máu", body=BODY, priority="priority",
             repeats=2)  # fmt: skip
    released(db, channel, local(DAY, 17), title="Cảm ơn người hiến máu",
             body="Cảm ơn 350 người đã hiến máu.", priority="emergency", repeats=1,
             expires_at=local(DAY + timedelta(days=3), 0))  # fmt: skip
    db.commit()
    return channel


def _render(db) -> None:
    """What the worker's job does (the ``db`` fixture holds the app context)."""
    db.commit()
    render_day_audio(DAY.isoformat())


def test_mp3_read_by_mutagen(app, client, db, rows):
    _render(db)
    response = client.get(f"{URL}.mp3")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "audio/mpeg"
    mp3 = MP3(io.BytesIO(response.data))
    assert mp3.info.channels == 1
    assert mp3.info.bitrate <= 48_000
    tags = ID3(io.BytesIO(response.data))
    assert tags["TIT2"].text == ["Bản tin truyền thanh phường Tân Phong ngày 14/06/2030"]
    assert tags["TLAN"].text == ["vie"]

    # Duration against the text's syllables at 190 a minute, plus the pauses between parts.
    bulletin = bulletin_for(db, TAN_PHONG, DAY)
    syllables = 0
    pauses = PAUSE_BETWEEN_SESSIONS * (len(bulletin.slots) - 1)
    for slot in bulletin.slots:
        spoken = [*slot.opening, *slot.closing, *([slot.empty_notice] if slot.empty_notice else [])]
        syllables += sum(count_syllables(line) for line in spoken)
        pauses += PAUSE_AFTER_OPENING + (PAUSE_BETWEEN_ITEMS if slot.empty_notice else 0)
        for entry in slot.entries:
            syllables += count_syllables(entry.item.reading_text) * entry.item.repeats
            pauses += PAUSE_BETWEEN_REPEATS * (entry.item.repeats - 1) + PAUSE_BETWEEN_ITEMS
    expected = syllables / 190 * 60 + pauses
    assert 0.75 * expected < mp3.info.length < 1.25 * expected, (mp3.info.length, expected)

    # Revalidation by the content hash.
    again = client.get(f"{URL}.mp3", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_not_rendered_yet_is_503_with_retry_after_then_served(app, client, db, rows):
    response = client.get(f"{URL}.mp3")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert "đang được tạo" in response.get_json()["detail"]
    queue = app.extensions["jobqueue"]
    assert queue.depth()["maintenance"] >= 1  # the request queued the work, it did not do it
    _render(db)
    assert client.get(f"{URL}.mp3").status_code == 200


def test_a_changed_bulletin_is_not_served_stale(app, client, db, rows):
    _render(db)
    assert client.get(f"{URL}.mp3").status_code == 200
    released(db, rows, local(DAY, 6, 30), title="Tin mới", body="Thông báo mới.")
    db.commit()
    assert client.get(f"{URL}.mp3").status_code == 503
    _render(db)
    assert client.get(f"{URL}.mp3").status_code == 200


def test_a_day_without_items_has_no_audio(client, rows):
    response = client.get(f"/scripts/{TAN_PHONG}/{(DAY + timedelta(days=1)).isoformat()}.mp3")
    assert response.status_code == 404
    assert "không có tin" in response.get_json()["detail"].lower()


def test_release_in_the_worker_renders_the_audio(app, client, db):
    channel = loudspeaker_channel(db, [TAN_PHONG])
    pub = scheduled(db, channel, local(DAY, 6, 30), body=BODY, priority="normal")
    db.commit()
    queue = app.extensions["jobqueue"]
    with app.app_context():
        dispatch_once(now=local(DAY - timedelta(days=1), 18, 0))
    worker = EmbeddedWorker(queue.queues(), connection=queue.redis)
    worker.app = app
    worker.work(burst=True, logging_level="WARNING", with_scheduler=False)
    db.expire_all()
    assert db.get(Publication, pub.id).status == "published"
    assert client.get(f"{URL}.mp3").status_code == 200
    assert client.get(f"{URL}.zip").status_code == 200


def test_package_for_platforms(app, client, db, rows):
    _render(db)
    response = client.get(f"{URL}.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert names[-1] == "lich-phat.csv"
    mp3s = [name for name in names if name.endswith(".mp3")]
    assert len(mp3s) == 2
    text = archive.read("lich-phat.csv").decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert list(table[0]) == [
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
    ]
    first, second = table
    assert first["tep"] == mp3s[0] and second["tep"] == mp3s[1]
    assert (first["buoi"], first["gio_phat"], first["muc_do"]) == ("Buổi sáng", "06:00", "ưu tiên")
    assert (second["buoi"], second["muc_do"]) == ("Buổi chiều", "khẩn cấp")
    assert (first["so_lan_phat"], second["so_lan_phat"]) == ("2", "1")
    assert first["hieu_luc_tu"] == "2030-06-14 06:00"
    assert first["hieu_luc_den"] > first["hieu_luc_tu"]  # the publication's default deadline
    assert second["hieu_luc_den"] == "2030-06-16 23:59"
    assert second["tieu_de"] == "Cảm ơn người hiến máu"
    assert first["giong_doc"] == "giọng máy (bản nháp)"
    for row in table:
        item = MP3(io.BytesIO(archive.read(row["tep"])))
        assert item.info.channels == 1
        assert abs(item.info.length - int(row["thoi_luong_giay"])) <= 1.5
        assert ID3(io.BytesIO(archive.read(row["tep"])))["TIT2"].text == [row["tieu_de"]]


def test_operator_page_plays_each_item(app, client, db, make_user):
    from publisher.loudspeaker.bulletins import local_today
    from tests.integration.loudspeaker_support import login

    tomorrow = local_today() + timedelta(days=1)
    channel = loudspeaker_channel(db, [TAN_PHONG])
    released(db, channel, local(tomorrow, 6), title="Lịch hiến máu", body=BODY, repeats=2)
    released(db, channel, local(tomorrow, 17), title="Cảm ơn", body="Cảm ơn bà con.")
    db.commit()
    render_day_audio(tomorrow.isoformat())
    user_id, _ = make_user("operator", TAN_PHONG)
    login(client, user_id)
    page = client.get(f"/communes/{TAN_PHONG}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count("<audio controls") == 2
    assert "<script" not in html
    assert html.count("Giọng đọc máy: bản nháp") == 2
    assert "media-src 'self'" in page.headers["Content-Security-Policy"]
    src = html.split('<audio controls preload="none" src="')[1].split('"')[0]
    item = client.get(src)
    assert item.status_code == 200 and item.mimetype == "audio/mpeg"
    assert MP3(io.BytesIO(item.data)).info.channels == 1
    day_url = f"/scripts/{TAN_PHONG}/{tomorrow.isoformat()}"
    assert f'href="{day_url}.mp3"' in html and f'href="{day_url}.zip"' in html


def test_old_renders_are_pruned(app, client, db, rows):
    from publisher.loudspeaker.audio_renders import KEEP_DAYS, prune_renders
    from publisher.loudspeaker.bulletins import local_today
    from publisher.loudspeaker.models import AudioRender

    _render(db)
    stored = db.query(AudioRender).count()
    assert stored == 2 * 2 + 2  # two communes' MP3 and ZIP, two item files
    assert prune_renders(db, local_today()) == 0
    assert prune_renders(db, DAY + timedelta(days=KEEP_DAYS)) == 2  # items made long before
    assert prune_renders(db, DAY + timedelta(days=KEEP_DAYS + 1)) == 4  # the day is past too
    assert client.get(f"{URL}.mp3").status_code == 503
