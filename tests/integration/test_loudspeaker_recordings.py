"""People's recordings: uploads decoded for real, part of the version, aired only once approved."""

from __future__ import annotations

import math

import numpy as np
import pytest

from content_library.models import ContentItem
from publisher.loudspeaker.audio_renders import render_day_audio
from publisher.loudspeaker.bulletins import bulletin_for
from publisher.loudspeaker.recordings import MAX_BYTES
from tests.integration.audio_support import (
    decoded,
    flac_bytes,
    mp3_bytes,
    needs_espeak,
    tone,
    tone_share,
    wav_bytes,
)
from tests.integration.loudspeaker_support import (
    DAY,
    TAN_PHONG,
    local,
    loudspeaker_channel,
    scheduled,
)

URL = f"/scripts/{TAN_PHONG}/{DAY.isoformat()}"
TONE_HZ = 1234.0
BODY = "Mời bà con đến hiến máu tại nhà văn hóa phường sáng Chủ nhật."


def _reading() -> np.ndarray:
    """A "reading" that is a distinctive tone with short gaps, 6 seconds long."""
    pieces = [np.concatenate([tone(TONE_HZ, 1.0, level=0.05), np.zeros(11025, np.int16)])] * 4
    return np.concatenate(pieces)


def _create(client, editor) -> int:
    response = client.post(
        "/api/v1/content",
        json={"kind": "script", "title": "Mời hiến máu", "body": BODY},
        headers=editor,
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _upload(client, content_id: int, headers, data: bytes, name: str = "doc.wav"):
    # Built by hand: Werkzeug's test builder spools large bodies to a file it never closes.
    boundary = "publisher-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    return client.post(
        f"/api/v1/content/{content_id}/recording",
        data=head.encode() + data + f"\r\n--{boundary}--\r\n".encode(),
        headers=headers,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _approve(client, content_id: int, editor, approver) -> None:
    assert client.post(f"/api/v1/content/{content_id}/submit", headers=editor).status_code == 200
    response = client.post(f"/api/v1/content/{content_id}/approve", headers=approver)
    assert response.status_code == 200, response.get_json()


def _air(db, content_id: int) -> None:
    """Schedule the approved version on a loudspeaker and release it, as the worker does."""
    from content_library.db import utcnow

    channel = loudspeaker_channel(db, [TAN_PHONG])
    pub = scheduled(db, channel, local(DAY, 6), content=db.get(ContentItem, content_id))
    pub.status, pub.published_at = "published", utcnow()
    db.commit()


def _day_mp3(client, db) -> np.ndarray:
    db.commit()
    render_day_audio(DAY.isoformat())
    response = client.get(f"{URL}.mp3")
    assert response.status_code == 200, response.get_json()
    return decoded(response.data)


@needs_espeak
def test_approved_recording_replaces_synthetic_speech(client, db, make_user):
    _, editor = make_user("editor")
    _, approver = make_user("approver")
    content_id = _create(client, editor)
    response = _upload(client, content_id, editor, wav_bytes(_reading(), rate=44100 // 2))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["version"], body["format"]) == (1, "wav")
    assert abs(body["seconds"] - 6.0) < 0.1
    # The uploader is one of the version's authors: approving it is someone else's job.
    client.post(f"/api/v1/content/{content_id}/submit", headers=editor)
    assert client.post(f"/api/v1/content/{content_id}/approve", headers=editor).status_code == 403
    assert client.post(f"/api/v1/content/{content_id}/approve", headers=approver).status_code == 200
    _air(db, content_id)

    samples = _day_mp3(client, db)
    assert tone_share(samples, TONE_HZ) > 0.8
    # Its length replaces the estimate from the syllables.
    entry = bulletin_for(db, TAN_PHONG, DAY).slots[0].entries[0]
    assert entry.seconds_once == math.ceil(body["seconds"])
    assert entry.item.recording_sha256 == body["sha256"]


@needs_espeak
def test_unapproved_recording_never_airs(client, db, make_user):
    _, editor = make_user("editor")
    _, approver = make_user("approver")
    content_id = _create(client, editor)
    _approve(client, content_id, editor, approver)
    _air(db, content_id)  # version 1, spoken by espeak-ng

    # A recording now goes to a new draft (version 2), even once it is in review.
    response = _upload(client, content_id, editor, mp3_bytes(_reading()), "doc.mp3")
    assert response.status_code == 201
    assert (response.get_json()["version"], response.get_json()["format"]) == (2, "mp3")
    assert client.post(f"/api/v1/content/{content_id}/submit", headers=editor).status_code == 200

    samples = _day_mp3(client, db)
    assert tone_share(samples, TONE_HZ) < 0.3
    entry = bulletin_for(db, TAN_PHONG, DAY).slots[0].entries[0]
    assert entry.item.recording_sha256 is None
    # The approver can listen to the draft's recording, signed in.
    listened = client.get(f"/api/v1/content/{content_id}/recording", headers=approver)
    assert listened.status_code == 200 and listened.mimetype == "audio/mpeg"
    first = client.get(f"/api/v1/content/{content_id}/recording?version=1", headers=approver)
    assert first.status_code == 404
    assert client.get(f"/api/v1/content/{content_id}/recording").status_code == 401


def test_approval_view_has_a_player(client, make_user):
    from tests.integration.loudspeaker_support import login

    _, editor = make_user("editor")
    approver_id, _ = make_user("approver")
    content_id = _create(client, editor)
    assert _upload(client, content_id, editor, wav_bytes(_reading())).status_code == 201
    client.post(f"/api/v1/content/{content_id}/submit", headers=editor)
    login(client, approver_id)
    html = client.get("/approvals").get_data(as_text=True)
    src = f"/api/v1/content/{content_id}/recording?version=1"
    assert f'<audio controls preload="none" src="{src}"></audio>' in html
    assert client.get(src).status_code == 200


def test_flac_is_accepted_and_served_as_uploaded(client, make_user):
    _, editor = make_user("editor")
    content_id = _create(client, editor)
    flac = flac_bytes(_reading())
    response = _upload(client, content_id, editor, flac, "doc.flac")
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["format"], response.get_json()["mime"]) == ("flac", "audio/flac")
    assert abs(response.get_json()["seconds"] - 6.0) < 0.05
    served = client.get(response.get_json()["url"], headers=editor)
    assert served.data == flac and served.mimetype == "audio/flac"


def _problem(response, status: int) -> str:
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    return response.get_json()["detail"]


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"Day khong phai am thanh, chi la chu.", "doc.mp3", "không phải âm thanh"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "anh.png", "không phải âm thanh"),
        (b"FORM\x00\x00\x10\x00AIFFCOMM" + bytes(100), "doc.aiff", "không phải âm thanh"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(40), "hong.wav", "không đọc được"),
        (b"fLaC" + bytes(300), "hong.flac", "không đọc được"),
        (b"", "trong.wav", "trống"),
    ],
)
def test_bad_uploads_are_refused(client, make_user, data, name, words):
    _, editor = make_user("editor")
    content_id = _create(client, editor)
    detail = _problem(_upload(client, content_id, editor, data, name), 422)
    assert words in detail.lower()


def test_silence_is_refused(client, make_user):
    _, editor = make_user("editor")
    content_id = _create(client, editor)
    silent = wav_bytes(np.zeros(22050 * 3, np.int16))
    assert "không có tiếng" in _problem(_upload(client, content_id, editor, silent), 422)


def test_too_long_is_refused(client, make_user):
    _, editor = make_user("editor")
    content_id = _create(client, editor)
    eleven_minutes = mp3_bytes(tone(440, 11 * 60, rate=8000, level=0.05), rate=8000, kbps=8)
    assert len(eleven_minutes) < MAX_BYTES
    detail = _problem(_upload(client, content_id, editor, eleven_minutes, "dai.mp3"), 422)
    assert "quá 10 phút" in detail


def test_too_big_is_refused(client, make_user):
    _, editor = make_user("editor")
    content_id = _create(client, editor)
    huge = wav_bytes(np.zeros(MAX_BYTES // 2 + 10, np.int16))
    assert "quá lớn" in _problem(_upload(client, content_id, editor, huge, "lon.wav"), 413)


def test_content_in_review_takes_no_recording_and_operators_none_at_all(client, make_user):
    _, editor = make_user("editor")
    _, operator = make_user("operator")
    content_id = _create(client, editor)
    client.post(f"/api/v1/content/{content_id}/submit", headers=editor)
    assert "chờ duyệt" in _problem(_upload(client, content_id, editor, wav_bytes(_reading())), 409)
    assert _upload(client, content_id, operator, wav_bytes(_reading())).status_code == 403
    assert _upload(client, 987654, editor, wav_bytes(_reading())).status_code == 404
    missing = client.post(f"/api/v1/content/{content_id}/recording", headers=editor, data={})
    assert missing.status_code == 422
