"""The demo is seeded relative to today, so it looks alive whatever the date.

tests/integration/test_reference_dates.py runs this at the year's last half hour, a leap
day, Tết and a drive day.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from channels.loudspeaker import vietnamese_date
from content_library.models import Campaign, Drive
from publisher.auth.models import User
from publisher.loudspeaker.bulletins import local_today
from publisher.loudspeaker.models import BroadcastConfirmation
from publisher.planning.vietnamese_dates import LOCAL_TZ, to_local
from tests.integration.loudspeaker_support import login


# SQLite only: test_cli.py seeds the demo on PostgreSQL too, and each seed takes seconds.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_demo_is_about_today(app, client, db):
    result = app.test_cli_runner().invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    today = local_today()

    campaign = db.scalar(select(Campaign).where(Campaign.slug == "hien-mau-mua-dong-demo"))
    assert (campaign.starts_on, campaign.ends_on) == (
        today - timedelta(days=14),
        today + timedelta(days=45),
    )
    drives = db.scalars(
        select(Drive).where(Drive.external_ref.like("DEMO-%")).order_by(Drive.external_ref)
    ).all()
    assert [to_local(d.starts_at) for d in drives] == [
        datetime.combine(today + timedelta(days=n), time(7), LOCAL_TZ) for n in (3, 8, 15)
    ]

    operator_id = db.scalar(select(User.id).where(User.username == "loa-tanphong"))
    # End this transaction: on SQLite every one takes the write lock the page's would need.
    db.commit()
    login(client, operator_id)
    html = client.get("/communes/03408").data.decode()
    assert f"Hôm nay: {vietnamese_date(today)}" in html
    assert f"Ngày mai: {vietnamese_date(today + timedelta(days=1))}" in html

    # Yesterday's bulletin was aired and confirmed, whatever month or year yesterday was.
    confirmed_on = set(db.scalars(select(BroadcastConfirmation.air_date)))
    assert confirmed_on == {today - timedelta(days=1)}
