"""Content-library exports never carry a profile, its person, its photo or its consent."""

from __future__ import annotations

import io
import json

from PIL import Image

from tests.integration.consents_support import PERSON, approved_profile, record_consent


def test_an_export_leaves_profiles_out_and_says_so(app, client, make_user, tmp_path):
    _, editor = make_user("editor")
    _, approver = make_user("approver")
    image = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(image, "PNG")
    photo = client.post(
        "/api/v1/assets",
        data={"file": (io.BytesIO(image.getvalue()), "chan-dung.png")},
        headers=editor,
        content_type="multipart/form-data",
    ).get_json()
    consent = record_consent(client, editor)
    content_id = approved_profile(client, editor, approver, consent["id"])
    assert (
        client.patch(
            f"/api/v1/content/{content_id}", json={"asset_id": photo["id"]}, headers=editor
        ).status_code
        == 200
    )
    article = client.post(
        "/api/v1/content",
        json={"kind": "article", "title": "Tiêu chuẩn hiến máu", "body": "<p>Từ 18 tuổi.</p>"},
        headers=editor,
    )
    assert article.status_code == 201

    out = tmp_path / "export"
    result = app.test_cli_runner().invoke(args=["export", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "profiles: 1 left out" in result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["left_out"] == {"profiles": 1}
    assert manifest["counts"]["content_items"] == 1 and manifest["counts"]["assets"] == 0
    every = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    for secret in (PERSON, "Hường", "Tấm gương hiến máu", '"person"', photo["sha256"]):
        assert secret.encode() not in every, secret


def test_an_import_refuses_a_library_carrying_a_profile(app, client, make_user, tmp_path):
    import hashlib

    _, editor = make_user("editor")
    client.post(
        "/api/v1/content",
        json={"kind": "article", "title": "Tiêu chuẩn hiến máu", "body": "<p>Từ 18 tuổi.</p>"},
        headers=editor,
    )
    out = tmp_path / "export"
    assert app.test_cli_runner().invoke(args=["export", str(out)]).exit_code == 0
    data = json.loads((out / "content.json").read_text(encoding="utf-8"))
    data["items"][0]["key"] = "8d3c1d2e-0000-4000-8000-000000000001"
    data["items"][0]["kind"] = "profile"
    payload = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode() + b"\n"
    (out / "content.json").write_bytes(payload)
    meta = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    meta["checksums"]["content.json"] = hashlib.sha256(payload).hexdigest()
    (out / "manifest.json").write_text(json.dumps(meta), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", str(out)])
    assert result.exit_code != 0
    assert "profiles are not imported" in result.output
