"""A person's reading of a content item: upload it to the draft, listen to it signed in."""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for

from channels.loudspeaker.audio import AudioRejected
from content_library.services import WorkflowError, version_by_number
from publisher.api.content import load_content
from publisher.api.framework import ValidationFailed, current_user, endpoint, iso
from publisher.db import db
from publisher.errors import ApiError
from publisher.loudspeaker.models import AudioRecording
from publisher.loudspeaker.recordings import MAX_BYTES, attach_recording, current_recording
from publisher.loudspeaker.recordings import recording_of as recording_of_version


def serialise_recording(item_id: int, number: int, recording: AudioRecording) -> dict[str, Any]:
    return {
        "content_id": item_id,
        "version": number,
        "format": recording.format,
        "mime": recording.mime,
        "bytes": recording.bytes,
        "sha256": recording.sha256,
        "seconds": recording.seconds,
        "filename": recording.filename,
        "uploaded_at": iso(recording.uploaded_at),
        "url": url_for("api.recordings_recording_file", id=item_id, version=number),
    }


@endpoint(
    "POST",
    "/content/{id}/recording",
    summary="Attach a person's reading (MP3, WAV, OGG, FLAC) to the draft version",
    permission="content:write",
    body="AssetUpload",
    body_kind="multipart",
    status=201,
)
def upload_recording(id: int) -> tuple[dict[str, Any], int]:
    item = load_content(id)
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed({"file": "is required (multipart field 'file')"})
    try:
        data = upload.stream.read(MAX_BYTES + 1)
        filename = upload.filename or ""
    finally:
        upload.close()
    user = current_user()
    try:
        recording = attach_recording(db.session, item, data, filename, user.id if user else None)
    except WorkflowError as exc:
        db.session.rollback()
        raise ApiError(exc.status, str(exc)) from None
    except AudioRejected as exc:
        db.session.rollback()
        status = 413 if len(data) > MAX_BYTES else 422
        raise ApiError(status, str(exc), errors={"file": str(exc)}) from None
    number = next(v.number for v in item.versions if v.id == recording.version_id)
    db.session.commit()
    return serialise_recording(item.id, number, recording), 201


@endpoint(
    "GET",
    "/content/{id}/recording",
    summary="The reading attached to the latest version (or ?version=N), as uploaded",
    permission="content:read",
    query=({"name": "version", "in": "query", "schema": {"type": "integer", "minimum": 1}},),
)
def recording_file(id: int) -> Response:
    item = load_content(id)
    number = request.args.get("version", type=int)
    if number is None:
        recording = current_recording(db.session, item)
    else:
        version = version_by_number(item, number)
        recording = recording_of_version(db.session, version) if version else None
    if recording is None:
        raise ApiError(404, "Phiên bản này chưa có bản ghi âm / this version has no recording")
    response = Response(recording.data, mimetype=recording.mime)
    # Drafts are not public: never kept by shared caches.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["ETag"] = f'"{recording.sha256}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
