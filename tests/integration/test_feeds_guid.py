"""Feed guids are RFC 4151 tag URIs and calendar UIDs share their authority, across restarts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.conftest import app_config, clean_database
from tests.integration.feeds_support import article, campaign, drive, publish, rss_channel

BASE_WITH_PORT = "http://Publisher.Example:8080/portal"
# RFC 4151: tag:authorityName,date:specific; authorityName = DNSname / emailAddress.
_DNS_COMP = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DNS_NAME = rf"{_DNS_COMP}(?:\.{_DNS_COMP})*"
_EMAIL = rf"[A-Za-z0-9\-._]+@{_DNS_NAME}"
_DATE = r"\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?"
_PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})"
TAG_URI = re.compile(rf"^tag:(?P<authority>{_DNS_NAME}|{_EMAIL}),(?P<date>{_DATE}):{_PCHAR}*$")


def build_app(database_url: str, tmp_path: Path):
    from publisher import create_app

    return create_app(app_config(database_url, tmp_path, PUBLIC_BASE_URL=BASE_WITH_PORT))


@pytest.fixture
def apps(database_url: str, tmp_path: Path):
    from publisher.db import db

    built = [build_app(database_url, tmp_path)]

    def build_again():
        built.append(build_app(database_url, tmp_path))
        return built[-1]

    yield built[0], build_again
    for later in built[1:]:
        with later.app_context():
            db.session.remove()
            db.engine.dispose()
    clean_database(built[0])


def feed_guids(client, slug: str) -> list[str]:
    answer = client.get(f"/feeds/{slug}.rss")
    assert answer.status_code == 200
    return [el.text for el in ET.fromstring(answer.data).iter("guid")]  # noqa: S314 - ours


def test_guids_are_tag_uris_without_port_and_stable_across_apps(apps):
    first, build_again = apps
    from publisher.db import db

    with first.app_context():
        channel = rss_channel(db.session)
        camp = campaign(db.session)
        drive(db.session, campaign_id=camp.id)
        items = [article(db.session, "Lịch hiến máu tháng Mười hai")]
        db.session.commit()
        publish(first, db.session, items, channel)
        slug, campaign_slug, content_id = channel.slug, camp.slug, items[0].id

    guids = feed_guids(first.test_client(), slug)
    assert guids == [f"tag:publisher.example,2025:content-{content_id}"]
    match = TAG_URI.match(guids[0])
    assert match is not None, guids[0]
    assert match["authority"] == "publisher.example" and ":" not in match["authority"]

    # A restart (a new app, a new process's worth of state) mints the same guid.
    second = build_again()
    assert feed_guids(second.test_client(), slug) == guids

    answer = second.test_client().get(f"/calendar/{campaign_slug}.ics")
    assert answer.status_code == 200
    uids = [str(e["UID"]) for e in Calendar.from_ical(answer.data).walk("VEVENT")]
    assert uids and all(uid.endswith("@publisher.example") for uid in uids), uids
