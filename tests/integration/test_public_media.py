"""/media serves only posters of approved content, under URLs nobody can guess.

The attack: posters were public at ``/media/{id}`` from the moment they were uploaded,
with sequential ids, so anyone could walk every draft. Now a poster answers in public
only at ``/media/<random key>/<name>`` and only once an approved version uses it; editors
see drafts' posters signed in, through ``/api/v1/assets/{id}/file``.
"""

from __future__ import annotations

import io

from PIL import Image

from content_library.models import Asset, ContentItem
from publisher.media_paths import media_path
from tests.integration.test_assets_api import upload

BASE = "http://publisher.test"


def _png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), colour).save(out, "PNG")
    return out.getvalue()


def _poster(client, editor, colour, name="Áp phích ngày 7-4.png") -> dict:
    answer = upload(client, editor, _png(colour), name)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _content(client, editor, asset_id: int) -> int:
    answer = client.post(
        "/api/v1/content",
        json={
            "kind": "poster",
            "title": "Ngày toàn dân hiến máu",
            "body": "",
            "asset_id": asset_id,
        },
        headers=editor,
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def _approve(client, editor, approver, content_id: int) -> None:
    assert client.post(f"/api/v1/content/{content_id}/submit", headers=editor).status_code == 200
    done = client.post(f"/api/v1/content/{content_id}/approve", headers=approver)
    assert done.status_code == 200, done.get_json()


def test_a_draft_poster_is_not_public_even_with_its_key(client, db, make_user):
    _, editor = make_user("editor")
    asset = _poster(client, editor, (200, 0, 0))
    _content(client, editor, asset["id"])
    assert asset["public_url"] is None
    # The old sequential addresses, and every id near them: nothing.
    for n in range(0, asset["id"] + 3):
        assert client.get(f"/media/{n}").status_code == 404
        assert client.get(f"/media/{n}/thumbnail").status_code == 404
    # Even someone who learnt the key gets the same 404 as for a key that names nothing.
    row = db.get(Asset, asset["id"])
    path = media_path(row)
    assert client.get(path).status_code == 404
    assert client.get(media_path(row, thumbnail=True)).status_code == 404
    assert client.get(path.replace(row.media_key, "x" * 32)).status_code == 404
    # The editor still sees it, signed in; nobody else does.
    assert client.get(asset["url"]).status_code == 401
    assert client.get(asset["url"], headers=editor).status_code == 200
    assert client.get(asset["thumbnail_url"], headers=editor).status_code == 200


def test_an_approved_poster_is_public_at_an_unguessable_url(client, db, make_user):
    _, editor = make_user("editor")
    _, approver = make_user("approver")
    first = _poster(client, editor, (10, 20, 30))
    second = _poster(client, editor, (30, 20, 10))
    content_id = _content(client, editor, first["id"])
    _approve(client, editor, approver, content_id)

    shown = client.get(f"/api/v1/assets/{first['id']}", headers=editor).get_json()
    public_url = shown["public_url"]
    row = db.get(Asset, first["id"])
    assert public_url == BASE + media_path(row)
    path = public_url.removeprefix(BASE)
    key = path.split("/")[2]
    assert len(key) >= 32 and str(first["id"]) not in path.split("/")[2:3]
    assert path.endswith("/ap-phich-ngay-7-4.png")
    other = db.get(Asset, second["id"])
    assert other.media_key != row.media_key

    answer = client.get(path)
    assert answer.status_code == 200 and answer.mimetype == "image/png"
    assert answer.data == client.get(first["url"], headers=editor).data
    assert "public" in answer.headers["Cache-Control"]
    assert client.get(media_path(row, thumbnail=True)).status_code == 200
    # Only the exact name answers; the unapproved second poster stays private.
    assert client.get(path.replace("ap-phich-ngay-7-4.png", "khac.png")).status_code == 404
    assert client.get(media_path(other)).status_code == 404


def test_a_new_draft_poster_stays_private_while_the_approved_one_stays_public(
    client, db, make_user
):
    _, editor = make_user("editor")
    _, approver = make_user("approver")
    approved = _poster(client, editor, (1, 2, 3))
    content_id = _content(client, editor, approved["id"])
    _approve(client, editor, approver, content_id)
    replacement = _poster(client, editor, (3, 2, 1))
    edited = client.patch(
        f"/api/v1/content/{content_id}", json={"asset_id": replacement["id"]}, headers=editor
    )
    assert edited.status_code == 200, edited.get_json()
    db.expire_all()
    assert db.get(ContentItem, content_id).latest_version == 2
    assert client.get(media_path(db.get(Asset, approved["id"]))).status_code == 200
    assert client.get(media_path(db.get(Asset, replacement["id"]))).status_code == 404
    _approve(client, editor, approver, content_id)
    assert client.get(media_path(db.get(Asset, replacement["id"]))).status_code == 200


def test_channels_get_the_public_url_of_the_approved_poster(app, client, db, make_user):
    from publisher.delivery.channels import create_channel
    from publisher.delivery.render import render
    from tests.factories import due_publication

    _, editor = make_user("editor")
    _, approver = make_user("approver")
    asset = _poster(client, editor, (90, 0, 0))
    content_id = _content(client, editor, asset["id"])
    _approve(client, editor, approver, content_id)
    channel = create_channel(
        db,
        kind="rss",
        slug="cong-tinh",
        name="Cổng tỉnh",
        settings={"title": "Tin hiến máu"},
        secret_key=app.config["SETTINGS"].SECRET_KEY,
    )
    pub = due_publication(db, db.get(ContentItem, content_id), channel)
    db.commit()
    (media,) = render(db, pub).media
    assert media.url == BASE + media_path(db.get(Asset, asset["id"]))
    assert client.get(media.url.removeprefix(BASE)).status_code == 200
