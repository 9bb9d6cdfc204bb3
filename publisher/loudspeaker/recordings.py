"""People's readings of content versions: attach to the draft, find the approved ones.

A recording is part of the version, like its words: it is attached to the current draft
(approved content gets a new draft first, as any edit does), the person who attaches it
becomes one of the version's authors (so cannot approve it), and it airs only once that
version is approved.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.loudspeaker.audio import RECORDING_FORMATS, AudioRejected
from content_library.db import utcnow
from content_library.models import ContentItem, ContentVersion
from content_library.services import edit_content, latest
from publisher.loudspeaker.models import AudioRecording

# A ten-minute reading is far longer than any notice (stations keep items short). 10 MB
# stays under the service's request limit (MAX_REQUEST_BYTES, 12 MB) and holds ten minutes
# of MP3 or Ogg at any usual bitrate, of FLAC at 16 kHz mono, or four minutes of WAV.
MAX_BYTES = 10 * 1024 * 1024
MAX_SECONDS = 10 * 60


def attach_recording(
    session: Session,
    item: ContentItem,
    data: bytes,
    filename: str,
    user_id: int | None,
    *,
    max_bytes: int = MAX_BYTES,
    max_seconds: float = MAX_SECONDS,
) -> AudioRecording:
    """Decode ``data`` for real and attach it to the item's draft (replacing any earlier one).

    Raises ``AudioRejected`` (a Vietnamese message) for unusable audio and
    ``content_library.services.WorkflowError`` when the item cannot take a new draft
    (in review, archived).
    """
    if len(data) > max_bytes:
        raise AudioRejected(
            f"Tệp quá lớn: tối đa {max_bytes // (1024 * 1024)} MB "
            f"/ the file is larger than {max_bytes} bytes"
        )
    if not data:
        raise AudioRejected("Tệp trống / the file is empty")
    # Imported here: numpy and the decoders are for the upload and the worker, not for
    # every process that builds the app (the dispatcher, the CLI).
    from channels.loudspeaker.audio_pcm import decode_upload

    decoded = decode_upload(data, max_seconds=max_seconds)
    # The same rule as any edit: approved content gets a new draft, the uploader is an author.
    version = edit_content(session, item, {}, user_id)
    session.flush()
    recording = session.scalar(
        select(AudioRecording).where(AudioRecording.version_id == version.id)
    )
    if recording is None:
        recording = AudioRecording(version_id=version.id)
        session.add(recording)
    recording.filename = (filename or "")[:255]
    recording.format = decoded.format
    recording.mime = RECORDING_FORMATS[decoded.format]
    recording.bytes = len(data)
    recording.sha256 = hashlib.sha256(data).hexdigest()
    recording.seconds = round(decoded.seconds, 2)
    recording.data = data
    recording.uploaded_by = user_id
    recording.uploaded_at = utcnow()
    session.flush()
    return recording


def recording_of(session: Session, version: ContentVersion) -> AudioRecording | None:
    return session.scalar(select(AudioRecording).where(AudioRecording.version_id == version.id))


def current_recording(session: Session, item: ContentItem) -> AudioRecording | None:
    """The recording of the item's latest version (the one being edited or reviewed)."""
    return recording_of(session, latest(item))


def recording_data(session: Session, shas: Iterable[str]) -> dict[str, bytes]:
    """Stored recordings by sha256 (the audio files a bulletin's items point at)."""
    wanted = sorted(set(shas))
    found: dict[str, bytes] = {}
    for offset in range(0, len(wanted), 900):
        rows = session.execute(
            select(AudioRecording.sha256, AudioRecording.data).where(
                AudioRecording.sha256.in_(wanted[offset : offset + 900])
            )
        )
        found.update((sha, data) for sha, data in rows)
    return found
