"""The guidance pages in Vietnamese: the department sends, a unit adopts and reports,
the matrix shows units × guidance with filters."""

from __future__ import annotations

import re
from datetime import timedelta

from publisher.db import db as database
from publisher.organisations.guidance import local_today
from tests.integration.orgs_support import (
    DEPARTMENT,
    UNIT_A,
    UNIT_B,
    approved_item,
    make_units,
    rss_channel,
)
from tests.integration.ui_support import PASSWORD, Person, flashes


def _signed_in(app, username, role, org):
    from publisher.auth.services import create_user

    with app.app_context():
        create_user(database.session, username, role, password=PASSWORD, organisation=org)
        database.session.commit()
    person = Person(app.test_client())
    assert person.login(username).status_code == 302
    return person


def test_send_adopt_report_and_the_matrix(app, client):
    units = make_units(app)
    content_id = approved_item(client, units[DEPARTMENT], title="Mời hiến máu Chủ nhật Đỏ")
    channel_id = rss_channel(client, units[UNIT_A])
    sender = _signed_in(app, "so-bien-tap", "editor", DEPARTMENT)
    form = sender.get("/guidance/new").get_data(as_text=True)
    assert "Gửi hướng dẫn tuyên truyền" in form and "Mời hiến máu Chủ nhật Đỏ" in form
    due = (local_today() + timedelta(days=2)).isoformat()
    sent = sender.post(
        "/guidance/new",
        {
            "title": "Đăng tin Chủ nhật Đỏ",
            "body": "Các đơn vị đăng tin trước hạn.",
            "due_on": due,
            "content_ids": str(content_id),
            "organisation_ids": [str(units[UNIT_A].org_id), str(units[UNIT_B].org_id)],
        },
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)[:500]
    guidance_id = int(re.search(r"/guidance/(\d+)", sent.headers["Location"]).group(1))

    unit = _signed_in(app, "xa-bien-tap", "editor", UNIT_A)
    inbox = unit.get("/guidance").get_data(as_text=True)
    assert "Đăng tin Chủ nhật Đỏ" in inbox and "Sắp đến hạn" in inbox
    assert "Chưa thực hiện" in inbox
    detail = unit.get(f"/guidance/{guidance_id}").get_data(as_text=True)
    assert "không cần duyệt lại" in detail
    adopted = unit.post(
        "/publications",
        {"content_id": content_id, "channel_id": channel_id, "scheduled_at": "2099-01-01T08:00"},
    )
    assert adopted.status_code == 302
    assert "/publications/" in adopted.headers["Location"], flashes(
        unit.get(adopted.headers["Location"]).get_data(as_text=True)
    )
    assert "Đang thực hiện" in unit.get(f"/guidance/{guidance_id}").get_data(as_text=True)

    press = _signed_in(app, "bao-bien-tap", "editor", UNIT_B)
    reported = press.post(
        f"/guidance/{guidance_id}/evidence",
        {"note": "Đăng trang 3 số ra ngày 5", "date": local_today().isoformat(), "url": ""},
    )
    assert reported.status_code == 302
    page = press.get(f"/guidance/{guidance_id}").get_data(as_text=True)
    assert "Đã ghi nhận kết quả thực hiện." in page and "Đăng trang 3 số ra ngày 5" in page
    assert press.get("/guidance/matrix").status_code == 403

    matrix = sender.get("/guidance/matrix").get_data(as_text=True)
    assert "UBND phường Tân Phong" in matrix and "Báo Lai Châu" in matrix
    assert "Đang thực hiện" in matrix and "Đã thực hiện" in matrix
    only_press = sender.get("/guidance/matrix?kind=press").get_data(as_text=True)
    assert "Báo Lai Châu" in only_press and "UBND phường Tân Phong" not in only_press
    only_done = sender.get("/guidance/matrix?status=done").get_data(as_text=True)
    assert "Báo Lai Châu" in only_done and "UBND phường Tân Phong" not in only_done
    # A unit the guidance was not sent to does not see it.
    outsider = _signed_in(app, "cong-bien-tap", "editor", "cong-ttdt-lai-chau")
    assert outsider.get(f"/guidance/{guidance_id}").status_code == 404
    assert unit.get("/guidance/new").status_code == 403
