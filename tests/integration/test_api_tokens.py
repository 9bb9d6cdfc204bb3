"""API tokens with limits: read-only, expiring, listed with their last use, revocable in the
API and the UI, and revoked with their owner's password."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from publisher.api.framework import OPERATIONS
from publisher.auth.models import ApiToken
from tests.integration.test_authorization_matrix import call
from tests.integration.ui_support import signed_in


def cli_token(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["tokens", "create", *args])
    assert result.exit_code == 0, result.output
    return re.search(r"pub_[A-Za-z0-9_\-]+", result.output).group(0)


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def test_a_read_only_token_reads_and_is_refused_every_write(app, client):
    raw = cli_token(app, "bao-cao", "--role", "admin", "--read-only")
    assert client.get("/api/v1/content", headers=bearer(raw)).status_code == 200
    assert client.get("/api/v1/tokens", headers=bearer(raw)).status_code == 200
    writes = [op for op in OPERATIONS if op.method != "GET"]
    assert len(writes) >= 15
    for op in writes:
        response = call(client, op, bearer(raw))
        assert response.status_code == 403, (op.method, op.path, response.status_code)
        assert response.mimetype == "application/problem+json"
        assert "read-only" in response.get_json()["detail"]
    # Nothing was written: not even a channel, which an admin token could otherwise make.
    made = client.post(
        "/api/v1/channels",
        headers=bearer(raw),
        json={"kind": "rss", "slug": "x", "name": "X", "settings": {"title": "X"}},
    )
    assert made.status_code == 403
    assert client.get("/api/v1/channels", headers=bearer(raw)).get_json()["items"] == []
    # The same role without --read-only writes.
    writer = cli_token(app, "bao-cao", "--role", "admin")
    made = client.post(
        "/api/v1/content",
        headers=bearer(writer),
        json={"kind": "article", "title": "Được ghi", "body": "Nội dung"},
    )
    assert made.status_code == 201


def test_expired_and_revoked_tokens_get_401(app, client, db):
    expired = cli_token(app, "kiem-thu", "--role", "editor", "--expires-days", "0")
    response = client.get("/api/v1/content", headers=bearer(expired))
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert "expired" in response.get_json()["detail"]
    lasting = cli_token(app, "kiem-thu", "--role", "editor", "--expires-days", "30")
    assert client.get("/api/v1/content", headers=bearer(lasting)).status_code == 200
    row = db.scalar(select(ApiToken).where(ApiToken.prefix == lasting[:12]))
    assert timedelta(days=29, hours=23) < row.expires_at - row.created_at <= timedelta(days=30)
    # Revoked through the API by an administrator: 401 from then on.
    admin = cli_token(app, "quan-tri-may", "--role", "admin")
    assert client.delete(f"/api/v1/tokens/{row.id}", headers=bearer(admin)).status_code == 204
    assert client.get("/api/v1/content", headers=bearer(lasting)).status_code == 401
    assert client.delete(f"/api/v1/tokens/{row.id}", headers=bearer(admin)).status_code == 204
    assert client.delete("/api/v1/tokens/999999", headers=bearer(admin)).status_code == 404


def test_expires_days_must_not_be_negative(app, db):
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "sai", "--role", "editor", "--expires-days", "-1"]
    )
    assert result.exit_code != 0 and "-1" in result.output
    assert db.scalar(select(ApiToken)) is None


def test_only_admins_list_tokens_with_last_use(app, client, db):
    admin = cli_token(app, "quan-tri-may", "--role", "admin")
    reader = cli_token(app, "doi-tac", "--role", "editor", "--read-only", "--expires-days", "7")
    assert client.get("/api/v1/tokens", headers=bearer(reader)).status_code == 403
    listing = client.get("/api/v1/tokens", headers=bearer(admin)).get_json()
    assert listing["total"] == 2
    partner = next(t for t in listing["items"] if t["name"] == "doi-tac")
    assert partner["role"] == "editor" and partner["read_only"] is True
    assert partner["expires_at"] and partner["in_force"] is True and partner["revoked_at"] is None
    assert partner["last_used_at"] is not None  # its refused call above was still a use
    assert reader not in str(listing) and partner["prefix"] == reader[:12]
    # Last use is written at most once a minute: two calls in a row leave one time.
    first = db.scalar(select(ApiToken).where(ApiToken.name == "doi-tac")).last_used_at
    client.get("/api/v1/content", headers=bearer(reader))
    db.expire_all()
    assert db.scalar(select(ApiToken).where(ApiToken.name == "doi-tac")).last_used_at == first
    # ...and an older one is moved on.
    row = db.scalar(select(ApiToken).where(ApiToken.name == "doi-tac"))
    row.last_used_at = first - timedelta(minutes=5)
    db.commit()
    client.get("/api/v1/content", headers=bearer(reader))
    db.expire_all()
    assert db.scalar(select(ApiToken).where(ApiToken.name == "doi-tac")).last_used_at > first


def test_admins_see_and_revoke_tokens_in_the_ui(app, client):
    raw = cli_token(app, "cong-thong-tin", "--role", "editor", "--read-only")
    admin, _ = signed_in(app, "admin")
    page = admin.get("/admin/tokens").get_data(as_text=True)
    assert "cong-thong-tin" in page and "Chỉ đọc" in page and "Không hết hạn" in page
    assert "Dùng lần cuối" in page and "Chưa dùng" in page
    assert client.get("/api/v1/content", headers=bearer(raw)).status_code == 200
    page = admin.get("/admin/tokens").get_data(as_text=True)
    assert "Chưa dùng" not in page
    assert admin.post("/admin/tokens/1/revoke").status_code == 302
    assert "Đã thu hồi" in admin.get("/admin/tokens").get_data(as_text=True)
    assert client.get("/api/v1/content", headers=bearer(raw)).status_code == 401


@pytest.mark.parametrize(("days", "works"), [("", True), ("0", False)])
def test_the_ui_issues_read_only_and_expiring_tokens(app, client, days, works):
    admin, admin_id = signed_in(app, "admin")
    response = admin.post(
        "/admin/tokens",
        {"name": "bao-cao", "user_id": str(admin_id), "read_only": "1", "expires_days": days},
    )
    assert response.status_code == 200
    raw = re.search(r'value="(pub_[^"]+)"', response.get_data(as_text=True)).group(1)
    reading = client.get("/api/v1/content", headers=bearer(raw))
    assert reading.status_code == (200 if works else 401)
    if works:
        write = client.post(
            "/api/v1/content",
            headers=bearer(raw),
            json={"kind": "article", "title": "x", "body": "y"},
        )
        assert write.status_code == 403


def test_the_ui_refuses_a_negative_lifetime(app, db):
    admin, admin_id = signed_in(app, "admin")
    response = admin.post(
        "/admin/tokens", {"name": "sai", "user_id": str(admin_id), "expires_days": "-3"}
    )
    assert response.status_code == 422
    assert "Số ngày hiệu lực phải là số nguyên từ 0 trở lên" in response.get_data(as_text=True)
    assert db.scalar(select(ApiToken)) is None
