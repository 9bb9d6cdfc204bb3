"""Poster uploads: decoded for real, bounded, stripped of metadata, deduplicated."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image
from sqlalchemy import func, select

from content_library.models import Asset


def image_bytes(fmt: str = "PNG", size=(64, 48), color=(200, 20, 20), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **save)
    return out.getvalue()


def upload(client, headers, data: bytes, name: str = "poster.png"):
    # Built by hand: Werkzeug's test builder spools large bodies to a file it never closes.
    boundary = "publisher-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        "/api/v1/assets",
        data=body,
        headers=headers,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def asset_count(db) -> int:
    return db.scalar(select(func.count()).select_from(Asset))


def test_png_jpeg_webp_are_accepted_with_metadata(client, make_user):
    _, editor = make_user("editor")
    for fmt, mime in (("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")):
        response = upload(client, editor, image_bytes(fmt, color=(len(fmt), 40, 60)), f"a.{fmt}")
        assert response.status_code == 201, response.get_json()
        data = response.get_json()
        assert data["mime"] == mime
        assert (data["width"], data["height"]) == (64, 48)
        assert len(data["sha256"]) == 64 and data["bytes"] > 0
        # Not approved yet: readable signed in, not in public.
        assert data["public_url"] is None
        assert client.get(data["url"]).status_code == 401
        served = client.get(data["url"], headers=editor)
        assert served.status_code == 200 and served.mimetype == mime
        assert "private" in served.headers["Cache-Control"]
        assert Image.open(io.BytesIO(served.data)).size == (64, 48)
        thumb = client.get(data["thumbnail_url"], headers=editor)
        assert thumb.status_code == 200


def test_same_image_twice_is_one_asset(client, db, make_user):
    _, editor = make_user("editor")
    data = image_bytes()
    first = upload(client, editor, data)
    second = upload(client, editor, data, "copy.png")
    assert first.status_code == 201 and second.status_code == 200
    assert first.get_json()["id"] == second.get_json()["id"]
    assert asset_count(db) == 1


def test_exif_metadata_is_stripped(client, make_user):
    _, editor = make_user("editor")
    exif = Image.Exif()
    exif[0x010E] = "GPS secret description"
    exif[0x0131] = "Camera software"
    data = image_bytes("JPEG", exif=exif.tobytes())
    assert b"GPS secret description" in data
    response = upload(client, editor, data, "photo.jpg")
    assert response.status_code == 201
    stored = client.get(response.get_json()["url"], headers=editor).data
    assert b"GPS secret description" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif()


def _refused(client, db, headers, data: bytes, name: str) -> str:
    response = upload(client, headers, data, name)
    assert response.status_code == 422, (name, response.status_code)
    assert response.mimetype == "application/problem+json"
    assert "file" in response.get_json()["errors"]
    assert asset_count(db) == 0
    return response.get_json()["detail"]


def test_bad_uploads_are_refused_and_leave_nothing(client, db, make_user):
    _, editor = make_user("editor")
    _refused(client, db, editor, b"this is not an image at all", "fake.png")
    png = image_bytes("PNG", size=(200, 200))
    _refused(client, db, editor, png[: len(png) // 2], "truncated.png")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    _refused(client, db, editor, svg, "poster.svg")
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    _refused(client, db, editor, gif.getvalue(), "anim.gif")
    _refused(client, db, editor, b"", "empty.png")


def huge_png(width: int, height: int) -> bytes:
    """A tiny file that claims a huge canvas: the decompression-bomb shape."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload))
            + kind
            + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 16)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def test_twenty_thousand_square_image_is_refused(client, db, make_user):
    _, editor = make_user("editor")
    detail = _refused(client, db, editor, huge_png(20000, 20000), "bomb.png")
    assert "quá lớn" in detail and "too many pixels" in detail


def test_over_the_pixel_limit_is_refused_by_our_own_limit(client, db, make_user):
    _, editor = make_user("editor")
    detail = _refused(client, db, editor, huge_png(8000, 6000), "big-canvas.png")
    assert "8000×6000" in detail


def test_too_many_bytes_is_refused(app, client, db, make_user):
    _, editor = make_user("editor")
    limit = app.config["SETTINGS"].ASSET_MAX_BYTES
    noise = image_bytes() + b"\x00" * (limit + 10)
    _refused(client, db, editor, noise, "big.png")


def test_missing_file_field_and_roles(client, make_user):
    _, editor = make_user("editor")
    _, operator = make_user("operator")
    missing = client.post(
        "/api/v1/assets", data={}, headers=editor, content_type="multipart/form-data"
    )
    assert missing.status_code == 422
    assert upload(client, operator, image_bytes()).status_code == 403
