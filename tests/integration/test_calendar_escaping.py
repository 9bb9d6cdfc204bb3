"""Campaign and drive text in /calendar/{slug}.ics is escaped by icalendar, never injected.

A description with line breaks once made the feed answer 500 (icalendar's assert on an
unescaped X- property) and, under ``python -O`` where asserts are gone, would have
started new lines: a forged event. Both are replayed here from outside.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from icalendar import Calendar
from icalendar.parser import unescape_backslash

EVIL = (
    "Dòng một\nDòng hai, có dấu phẩy; chấm phẩy \\ gạch chéo\r\n"
    "END:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:forged@x\r\nSUMMARY:Giả mạo\r\nEND:VEVENT\rcuối\x07\x1b"
)
# What the feed may keep of it: line breaks as line breaks, other control characters gone.
KEPT = EVIL.replace("\r\n", "\n").replace("\r", "\n").replace("\x07", "").replace("\x1b", "")


def x_text(calendar: Calendar, name: str) -> str:
    """An X- property read as TEXT: the parser keeps X- values as written, escapes and all."""
    return unescape_backslash(str(calendar[name]))


def _campaign(client, headers, slug: str) -> int:
    answer = client.post(
        "/api/v1/campaigns",
        json={
            "slug": slug,
            "name": "Tên, có; ký tự \\ lạ\nX-INJECTED:1",
            "starts_on": "2025-06-01",
            "ends_on": "2025-06-30",
            "description": EVIL,
        },
        headers=headers,
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def _drive(client, headers, campaign_id: int) -> None:
    answer = client.post(
        "/api/v1/drives",
        json={
            "campaign_id": campaign_id,
            "name": "Đợt 1; ca sáng, ca chiều\nDTSTART:19700101T000000Z",
            "starts_at": "2025-06-14T07:00:00+07:00",
            "ends_at": "2025-06-14T11:00:00+07:00",
            "location": "Nhà văn hoá, bản Nà\\Sài;\nLOCATION:giả",
            "commune_code": "03408",
        },
        headers=headers,
    )
    assert answer.status_code == 201, answer.get_json()


def test_text_with_breaks_commas_semicolons_backslashes_round_trips(client, make_user):
    _, admin = make_user("admin")
    campaign_id = _campaign(client, admin, "xuan-hong")
    _drive(client, admin, campaign_id)

    response = client.get("/calendar/xuan-hong.ics")
    assert response.status_code == 200
    body = response.data
    assert b"\r\nBEGIN:VEVENT\r\nUID:forged" not in body
    assert b"\r\nX-INJECTED" not in body
    assert b"\r\nLOCATION:gi" not in body
    # No bare CR or LF: every line ends with CRLF, as RFC 5545 asks.
    assert body.replace(b"\r\n", b"").count(b"\r") == 0
    assert body.replace(b"\r\n", b"").count(b"\n") == 0

    calendar = Calendar.from_ical(body)
    assert x_text(calendar, "X-WR-CALDESC") == KEPT
    # Names are plain text: the line break typed into them is kept as a space.
    assert x_text(calendar, "X-WR-CALNAME") == "Tên, có; ký tự \\ lạ X-INJECTED:1"
    events = calendar.walk("VEVENT")
    assert len(events) == 1, [str(e.get("UID")) for e in events]
    event = events[0]
    assert str(event["SUMMARY"]) == "Đợt 1; ca sáng, ca chiều DTSTART:19700101T000000Z"
    assert str(event["LOCATION"]).startswith("Nhà văn hoá, bản Nà\\Sài; LOCATION:giả, ")
    assert event.decoded("DTSTART").year == 2025
    assert "Nhà văn hoá, bản Nà\\Sài;" in str(event["DESCRIPTION"])


SCRIPT = textwrap.dedent(
    """
    import sys
    from datetime import date
    from publisher import create_app
    from publisher.db import db
    from publisher.migrate import upgrade
    from content_library.models import Campaign

    app = create_app({
        "DATABASE_URL": "sqlite:///" + sys.argv[1] + "/o.db",
        "SECRET_KEY": "test-secret-key-0123456789",
        "INSTANCE_PATH": sys.argv[1],
        "TESTING": True,
    })
    with app.app_context():
        upgrade(app)
        db.session.add(Campaign(slug="o", name="O", starts_on=date(2025, 6, 1),
                                ends_on=date(2025, 6, 30), description=sys.stdin.read()))
        db.session.commit()
    answer = app.test_client().get("/calendar/o.ics")
    sys.stdout.buffer.write(str(answer.status_code).encode() + b"\\n" + answer.data)
    """
)


def test_escaping_holds_under_python_dash_o(tmp_path: Path):
    assert sys.flags.optimize == 0  # the child runs optimised, not this process
    done = subprocess.run(
        [sys.executable, "-O", "-c", SCRIPT, str(tmp_path)],
        input=EVIL.encode(),
        capture_output=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    status, _, body = done.stdout.partition(b"\n")
    assert status == b"200"
    calendar = Calendar.from_ical(body)
    assert calendar.walk("VEVENT") == []
    assert x_text(calendar, "X-WR-CALDESC") == KEPT
