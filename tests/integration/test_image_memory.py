"""Decoded image memory is bounded by width × height × bands × bytes per band.

A 150 KB PNG of 6300×6300 RGBA is under the pixel limit (40 MP) but decodes to
about 160 MB. It is refused from its header, before any pixel is decoded: the API
answers 422, the editor UI says why in Vietnamese, and a process that refuses it
grows by a few megabytes, where decoding it grows by more than 150 MB.
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from content_library.assets import AssetRejected, decoded_size, process_image
from content_library.models import Asset
from tests.integration.test_assets_api import upload
from tests.integration.ui_support import signed_in

ROOT = Path(__file__).resolve().parents[2]
# PNG colour types: 0 grey, 2 RGB, 6 RGBA.
CHANNELS = {0: 1, 2: 3, 6: 4}


def blank_png(width: int, height: int, colour_type: int = 6, bit_depth: int = 8) -> bytes:
    """A valid PNG of one flat colour, compressed row by row: small on disk, never in memory."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    row = b"\x00" + b"\x7f" * (width * CHANNELS[colour_type] * bit_depth // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def bomb_png() -> bytes:
    data = blank_png(6300, 6300)
    assert len(data) < 200_000  # small on disk
    return data


def test_the_reported_png_is_under_the_pixel_limit_but_refused_by_decoded_size(bomb_png):
    assert 6300 * 6300 < 40_000_000  # the old pixel-count check let it through
    with pytest.raises(AssetRejected) as refused:
        process_image(bomb_png, max_bytes=10 << 20, max_pixels=40_000_000)
    assert "6300×6300" in str(refused.value) and "RGBA" in str(refused.value)


def test_decoded_size_counts_bands_and_bytes_per_band():
    assert decoded_size(4096, 4096, "RGBA") == 4096 * 4096 * 4
    assert decoded_size(100, 100, "L") == 10_000
    assert decoded_size(100, 100, "RGB") == 40_000  # Pillow keeps RGB in four bytes
    assert decoded_size(100, 100, "I;16") == 20_000
    assert decoded_size(100, 100, "F") == 40_000
    # 16-bit grey: under the byte limit with one byte a band, over it with two.
    grey16 = blank_png(6000, 6000, colour_type=0, bit_depth=16)
    with Image.open(io.BytesIO(grey16)) as probe:
        assert probe.mode.startswith("I;16")
    with pytest.raises(AssetRejected):
        process_image(grey16, max_bytes=10 << 20, max_pixels=40_000_000)


def test_a_poster_at_the_limit_is_still_accepted():
    processed = process_image(blank_png(4096, 4096), max_bytes=10 << 20, max_pixels=40_000_000)
    assert (processed.width, processed.height) == (4096, 4096)
    with Image.open(io.BytesIO(processed.thumbnail)) as thumb:
        assert thumb.size == (320, 320)


def test_api_refuses_it_with_a_422_problem_and_stores_nothing(client, db, make_user, bomb_png):
    _, editor = make_user("editor")
    response = upload(client, editor, bomb_png, "bomb.png")
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert "giải nén" in problem["errors"]["file"]
    assert "decoded" in problem["detail"]
    assert db.scalar(select(func.count()).select_from(Asset)) == 0
    good = upload(client, editor, blank_png(800, 600), "poster.png")
    assert good.status_code == 201, good.get_json()


def test_editor_ui_says_why_in_vietnamese_and_keeps_the_form(app, bomb_png):
    editor, _ = signed_in(app, "editor")
    response = editor.post(
        "/content/new",
        {
            "kind": "poster",
            "title": "Áp phích lớn",
            "body": "",
            "poster": (io.BytesIO(bomb_png), "lon.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ảnh quá lớn để xử lý" in page and "6300×6300" in page
    assert "decoded" not in page  # the Vietnamese half only
    assert 'value="Áp phích lớn"' in page


MEASURE = textwrap.dedent(
    """
    import re, sys
    from PIL import Image
    from content_library.assets import AssetRejected, process_image

    def peak_kib():
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
        status = open("/proc/self/status").read()
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))

    data = open(sys.argv[1], "rb").read()
    before = peak_kib()
    if sys.argv[2] == "refuse":
        try:
            process_image(data, max_bytes=10 << 20, max_pixels=40_000_000)
        except AssetRejected:
            pass
        else:
            raise SystemExit("not refused")
    else:
        import io
        Image.open(io.BytesIO(data)).load()
    print((peak_kib() - before) // 1024)  # MiB
    """
)


def _growth_mib(path: Path, how: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), how],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    return int(done.stdout.strip())


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_refusal_happens_before_decoding_measured(tmp_path, bomb_png):
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb_png)
    # The measurement sees decoding: loading this file costs about 150 MiB.
    assert _growth_mib(path, "decode") > 120
    # Refusing it costs next to nothing: the pixels are never decoded.
    assert _growth_mib(path, "refuse") < 20
